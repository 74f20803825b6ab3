// tensogram/async/coro.hpp - asynchronous C++ API for C++20 coroutines.
//
//   tco::task<std::size_t> count(std::string path) {
//       auto f = co_await tco::async_file::open(path);
//       co_return co_await f.message_count();
//   }
//   std::size_t n = tco::block_on(count("data.tgm"));
//
// Operations return an awaiter<T>: co_await suspends the coroutine until
// the operation is done and then yields its value or throws the
// tensogram::error subclass of its error code.  A suspended coroutine is
// resumed on the library's callback thread that saw the operation finish.
// task<T> is a lazily started coroutine type; block_on runs one to the end
// from ordinary code.
#ifndef TENSOGRAM_ASYNC_CORO_HPP
#define TENSOGRAM_ASYNC_CORO_HPP

#if __cplusplus < 202002L
#error "tensogram/async/coro.hpp needs C++20; use tensogram/async/callback.hpp with C++17"
#endif

#include <condition_variable>
#include <coroutine>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>

#include "callback.hpp"

namespace tensogram::coro {

namespace tac = tensogram::async_callback;

namespace detail {

/// Where an operation's outcome meets the coroutine waiting for it.
template <typename T> struct slot {
    std::mutex mu;
    bool done = false;
    std::coroutine_handle<> waiter;
    std::optional<std::conditional_t<std::is_void_v<T>, bool, T>> value;
    tgm_error code = TGM_ERROR_OK;
    std::string message;

    /// Store the outcome; returns the coroutine to resume, if one waits.
    template <typename R> std::coroutine_handle<> fill(R &&r) {
        std::lock_guard<std::mutex> g(mu);
        if (r.ok()) {
            if constexpr (std::is_void_v<T>) {
                value.emplace(true);
            } else {
                value.emplace(r.take());
            }
        } else {
            code = r.code();
            message = r.message();
        }
        done = true;
        return std::exchange(waiter, nullptr);
    }
};

} // namespace detail

/// What the operations return: co_await it.
template <typename T> class awaiter {
  public:
    explicit awaiter(std::shared_ptr<detail::slot<T>> s) : s_(std::move(s)) {}

    bool await_ready() const noexcept {
        std::lock_guard<std::mutex> g(s_->mu);
        return s_->done;
    }
    bool await_suspend(std::coroutine_handle<> h) noexcept {
        std::lock_guard<std::mutex> g(s_->mu);
        if (s_->done) {
            return false; /* finished meanwhile: continue at once */
        }
        s_->waiter = h;
        return true;
    }
    T await_resume() {
        if (s_->code != TGM_ERROR_OK) {
            tensogram::detail::throw_for_code(s_->code, s_->message);
        }
        if constexpr (!std::is_void_v<T>) {
            return std::move(*s_->value);
        }
    }

  private:
    std::shared_ptr<detail::slot<T>> s_;
};

namespace detail {

/// An awaiter for T and the callback (taking result<U>, converted by
/// `conv`) that completes it.
template <typename T, typename U = T, typename Conv = std::nullptr_t>
std::pair<awaiter<T>, std::function<void(tac::result<U>)>> make_awaiter(Conv conv = nullptr) {
    auto s = std::make_shared<slot<T>>();
    std::function<void(tac::result<U>)> cb = [s, conv](tac::result<U> r) {
        std::coroutine_handle<> h;
        if constexpr (std::is_same_v<T, U>) {
            h = s->fill(std::move(r));
        } else if (r.ok()) {
            h = s->fill(tac::result<T>::ok_value(conv(r.take())));
        } else {
            h = s->fill(tac::result<T>::err(r.code(), r.message()));
        }
        if (h) {
            h.resume();
        }
    };
    return {awaiter<T>(s), std::move(cb)};
}

/// Shared by task<T> promises: completion flag for block_on, the awaiting
/// coroutine to continue, and the exception the body ended with.
struct promise_base {
    std::mutex mu;
    std::condition_variable cv;
    bool finished = false;
    std::coroutine_handle<> continuation;
    std::exception_ptr error;

    std::suspend_always initial_suspend() noexcept { return {}; }

    struct final_step {
        bool await_ready() noexcept { return false; }
        template <typename P>
        std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
            promise_base &p = h.promise();
            std::coroutine_handle<> next;
            {
                // Notify under the lock: block_on may destroy the frame
                // (and this condition variable) as soon as it sees
                // `finished`, which it cannot before the lock is released.
                std::lock_guard<std::mutex> g(p.mu);
                p.finished = true;
                next = p.continuation;
                p.cv.notify_all();
            }
            return next ? next : std::noop_coroutine();
        }
        void await_resume() noexcept {}
    };
    final_step final_suspend() noexcept { return {}; }
    void unhandled_exception() noexcept { error = std::current_exception(); }
};

template <typename T> struct value_promise : promise_base {
    std::optional<T> value;
    void return_value(T v) { value.emplace(std::move(v)); }
    T take() { return std::move(*value); }
};

struct void_promise : promise_base {
    void return_void() noexcept {}
    void take() {}
};

} // namespace detail

/// A coroutine producing T; started when awaited or passed to block_on.
template <typename T> class [[nodiscard]] task {
  public:
    struct promise_type
        : std::conditional_t<std::is_void_v<T>, detail::void_promise, detail::value_promise<T>> {
        task get_return_object() {
            return task(std::coroutine_handle<promise_type>::from_promise(*this));
        }
    };
    using handle_type = std::coroutine_handle<promise_type>;

    explicit task(handle_type h) : h_(h) {}
    task(task &&o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
    task &operator=(task &&o) noexcept {
        if (this != &o) {
            if (h_) {
                h_.destroy();
            }
            h_ = std::exchange(o.h_, nullptr);
        }
        return *this;
    }
    task(const task &) = delete;
    task &operator=(const task &) = delete;
    ~task() {
        if (h_) {
            h_.destroy();
        }
    }

    bool await_ready() const noexcept { return false; }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> caller) {
        promise_type &p = h_.promise();
        std::lock_guard<std::mutex> g(p.mu);
        if (p.finished) {
            return caller;
        }
        p.continuation = caller;
        return h_; /* start (or continue) the body */
    }
    T await_resume() { return result(); }

    /// Run to the end on this thread's behalf, waiting while it is
    /// suspended on operations.
    T sync_run() {
        h_.resume();
        promise_type &p = h_.promise();
        {
            std::unique_lock<std::mutex> g(p.mu);
            p.cv.wait(g, [&] { return p.finished; });
        }
        return result();
    }

  private:
    T result() {
        promise_type &p = h_.promise();
        if (p.error) {
            std::rethrow_exception(p.error);
        }
        return p.take();
    }
    handle_type h_;
};

/// Run `t` to completion from non-coroutine code and return its value.
template <typename T> T block_on(task<T> t) { return t.sync_run(); }

/// async_file for coroutines.
class async_file {
  public:
    [[nodiscard]] static awaiter<async_file>
    open(const std::string &path, tac::cancellation_token *token = nullptr,
         std::chrono::milliseconds timeout = std::chrono::milliseconds::zero()) {
        auto [aw, cb] = detail::make_awaiter<async_file, tac::async_file>(wrap);
        tac::async_file::open(path, std::move(cb), token, timeout);
        return std::move(aw);
    }
    [[nodiscard]] static awaiter<async_file>
    open_remote(const std::string &url,
                const std::vector<std::pair<std::string, std::string>> &storage_options,
                bool bidirectional, tac::cancellation_token *token = nullptr,
                std::chrono::milliseconds timeout = std::chrono::milliseconds::zero()) {
        auto [aw, cb] = detail::make_awaiter<async_file, tac::async_file>(wrap);
        tac::async_file::open_remote(url, storage_options, bidirectional, std::move(cb), token,
                                     timeout);
        return std::move(aw);
    }
    [[nodiscard]] awaiter<std::size_t>
    message_count(tac::cancellation_token *token = nullptr,
                  std::chrono::milliseconds timeout = std::chrono::milliseconds::zero()) const {
        auto [aw, cb] = detail::make_awaiter<std::size_t>();
        f_->message_count(std::move(cb), token, timeout);
        return std::move(aw);
    }
    [[nodiscard]] awaiter<tensogram::message>
    decode_message(std::size_t index, tac::cancellation_token *token = nullptr,
                   std::chrono::milliseconds timeout = std::chrono::milliseconds::zero()) const {
        auto [aw, cb] = detail::make_awaiter<tensogram::message>();
        f_->decode_message(index, std::move(cb), token, timeout);
        return std::move(aw);
    }
    [[nodiscard]] awaiter<tensogram::metadata>
    decode_metadata(std::size_t index, tac::cancellation_token *token = nullptr,
                    std::chrono::milliseconds timeout = std::chrono::milliseconds::zero()) const {
        auto [aw, cb] = detail::make_awaiter<tensogram::metadata>();
        f_->decode_metadata(index, std::move(cb), token, timeout);
        return std::move(aw);
    }
    [[nodiscard]] awaiter<std::vector<std::uint8_t>>
    read_message(std::size_t index, tac::cancellation_token *token = nullptr,
                 std::chrono::milliseconds timeout = std::chrono::milliseconds::zero()) const {
        auto [aw, cb] = detail::make_awaiter<std::vector<std::uint8_t>>();
        f_->read_message(index, std::move(cb), token, timeout);
        return std::move(aw);
    }
    /// One object of a message (ours).
    [[nodiscard]] awaiter<tensogram::message>
    decode_object(std::size_t msg_index, std::size_t obj_index,
                  const tensogram::decode_options &opts = {},
                  tac::cancellation_token *token = nullptr,
                  std::chrono::milliseconds timeout = std::chrono::milliseconds::zero()) const {
        auto [aw, cb] = detail::make_awaiter<tensogram::message>();
        f_->decode_object(msg_index, obj_index, std::move(cb), opts, token, timeout);
        return std::move(aw);
    }
    /// Element ranges of one object (ours).
    [[nodiscard]] awaiter<std::vector<std::vector<std::uint8_t>>>
    decode_range(std::size_t msg_index, std::size_t obj_index,
                 const std::vector<std::pair<std::uint64_t, std::uint64_t>> &ranges,
                 const tensogram::decode_options &opts = {},
                 tac::cancellation_token *token = nullptr,
                 std::chrono::milliseconds timeout = std::chrono::milliseconds::zero()) const {
        auto [aw, cb] = detail::make_awaiter<std::vector<std::vector<std::uint8_t>>>();
        f_->decode_range(msg_index, obj_index, ranges, std::move(cb), opts, token, timeout);
        return std::move(aw);
    }
    [[nodiscard]] std::string path() const { return f_->path(); }

    async_file(async_file &&) noexcept = default;
    async_file &operator=(async_file &&) noexcept = default;
    async_file(const async_file &) = delete;
    async_file &operator=(const async_file &) = delete;

  private:
    static async_file wrap(tac::async_file f) { return async_file(std::move(f)); }
    explicit async_file(tac::async_file f) : f_(std::make_shared<tac::async_file>(std::move(f))) {}
    std::shared_ptr<tac::async_file> f_;
};

/// async_streaming_encoder for coroutines.
class async_streaming_encoder {
  public:
    [[nodiscard]] static awaiter<async_streaming_encoder>
    create(const std::string &path, const std::string &metadata_json,
           const std::string &hash_algo = "xxh3", std::uint32_t threads = 0,
           tac::cancellation_token *token = nullptr,
           std::chrono::milliseconds timeout = std::chrono::milliseconds::zero()) {
        auto [aw, cb] =
            detail::make_awaiter<async_streaming_encoder, tac::async_streaming_encoder>(wrap);
        tac::async_streaming_encoder::create(path, metadata_json, std::move(cb), hash_algo, threads,
                                             token, timeout);
        return std::move(aw);
    }
    [[nodiscard]] awaiter<void>
    write_object(const std::string &descriptor_json, const std::uint8_t *data, std::size_t len,
                 tac::cancellation_token *token = nullptr,
                 std::chrono::milliseconds timeout = std::chrono::milliseconds::zero()) {
        auto [aw, cb] = detail::make_awaiter<void>();
        e_->write_object(descriptor_json, data, len, std::move(cb), token, timeout);
        return std::move(aw);
    }
    [[nodiscard]] awaiter<void>
    write_pre_encoded(const std::string &descriptor_json, const std::uint8_t *data, std::size_t len,
                      tac::cancellation_token *token = nullptr,
                      std::chrono::milliseconds timeout = std::chrono::milliseconds::zero()) {
        auto [aw, cb] = detail::make_awaiter<void>();
        e_->write_pre_encoded(descriptor_json, data, len, std::move(cb), token, timeout);
        return std::move(aw);
    }
    [[nodiscard]] awaiter<void>
    write_preceder(const std::string &metadata_json, tac::cancellation_token *token = nullptr,
                   std::chrono::milliseconds timeout = std::chrono::milliseconds::zero()) {
        auto [aw, cb] = detail::make_awaiter<void>();
        e_->write_preceder(metadata_json, std::move(cb), token, timeout);
        return std::move(aw);
    }
    [[nodiscard]] awaiter<void>
    finish(bool backfill = true, tac::cancellation_token *token = nullptr,
           std::chrono::milliseconds timeout = std::chrono::milliseconds::zero()) {
        auto [aw, cb] = detail::make_awaiter<void>();
        e_->finish(std::move(cb), backfill, token, timeout);
        return std::move(aw);
    }

    using object_count_status = tac::async_streaming_encoder::object_count_status;
    using object_count_result = tac::async_streaming_encoder::object_count_result;
    [[nodiscard]] object_count_result try_object_count() const noexcept {
        return e_->try_object_count();
    }
    [[nodiscard]] std::size_t object_count() const noexcept { return e_->object_count(); }

    async_streaming_encoder(async_streaming_encoder &&) noexcept = default;
    async_streaming_encoder &operator=(async_streaming_encoder &&) noexcept = default;
    async_streaming_encoder(const async_streaming_encoder &) = delete;
    async_streaming_encoder &operator=(const async_streaming_encoder &) = delete;

  private:
    static async_streaming_encoder wrap(tac::async_streaming_encoder e) {
        return async_streaming_encoder(std::move(e));
    }
    explicit async_streaming_encoder(tac::async_streaming_encoder e)
        : e_(std::make_shared<tac::async_streaming_encoder>(std::move(e))) {}
    std::shared_ptr<tac::async_streaming_encoder> e_;
};

/// Decode every message of `file` in turn and pass it to fn; when fn
/// returns bool, false stops the walk.
template <typename Fn> task<void> async_for_each(async_file &file, Fn fn) {
    std::size_t n = co_await file.message_count();
    for (std::size_t i = 0; i < n; i++) {
        tensogram::message m = co_await file.decode_message(i);
        if constexpr (std::is_same_v<std::invoke_result_t<Fn, tensogram::message>, bool>) {
            if (!fn(std::move(m))) {
                co_return;
            }
        } else {
            fn(std::move(m));
        }
    }
}

} // namespace tensogram::coro

#endif // TENSOGRAM_ASYNC_CORO_HPP
