// tensogram/async/callback.hpp - asynchronous C++ API with completion
// callbacks (C++17), over the tgm_async_* C functions.
//
// Each launching member function returns at once and later calls the
// given callback exactly once with a result<T>: ok() and the value, or the
// error code and message.  Errors of the launch itself (bad arguments, a
// shut-down runtime) are reported by calling the callback before the
// function returns.  Otherwise the callback runs on one of the library's
// callback threads: it must be short, must not throw, and should hand
// heavy work to a thread of its own.
//
// async_file and async_streaming_encoder own their C handles (move-only);
// operations in flight keep what they need alive, so an object may be
// destroyed before its callbacks have run.
#ifndef TENSOGRAM_ASYNC_CALLBACK_HPP
#define TENSOGRAM_ASYNC_CALLBACK_HPP

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "../../tensogram.hpp"

namespace tensogram::async_callback {

/// Outcome of an asynchronous operation.
template <typename T> class result {
  public:
    static result<T> ok_value(T v) {
        result<T> r;
        r.value_.emplace(std::move(v));
        return r;
    }
    static result<T> err(tgm_error code, std::string msg) {
        result<T> r;
        r.code_ = code;
        r.message_ = std::move(msg);
        return r;
    }
    [[nodiscard]] bool ok() const noexcept { return value_.has_value(); }
    [[nodiscard]] tgm_error code() const noexcept { return code_; }
    [[nodiscard]] const std::string &message() const noexcept { return message_; }
    /// The value (only when ok()).
    T &value() noexcept { return *value_; }
    const T &value() const noexcept { return *value_; }
    /// Move the value out (only when ok()).
    T take() noexcept { return std::move(*value_); }

  private:
    std::optional<T> value_;
    tgm_error code_ = TGM_ERROR_OK;
    std::string message_;
};

template <> class result<void> {
  public:
    static result<void> ok_value() {
        result<void> r;
        r.ok_ = true;
        return r;
    }
    static result<void> err(tgm_error code, std::string msg) {
        result<void> r;
        r.code_ = code;
        r.message_ = std::move(msg);
        return r;
    }
    [[nodiscard]] bool ok() const noexcept { return ok_; }
    [[nodiscard]] tgm_error code() const noexcept { return code_; }
    [[nodiscard]] const std::string &message() const noexcept { return message_; }

  private:
    bool ok_ = false;
    tgm_error code_ = TGM_ERROR_OK;
    std::string message_;
};

/// Cancels every operation it is passed to (any thread may cancel).
class cancellation_token {
  public:
    cancellation_token() : h_(tgm_cancellation_token_create()) {
        if (!h_) {
            throw tensogram::error(TGM_ERROR_ENCODING, "out of memory creating a token");
        }
    }
    cancellation_token(cancellation_token &&) noexcept = default;
    cancellation_token &operator=(cancellation_token &&) noexcept = default;
    cancellation_token(const cancellation_token &) = delete;
    cancellation_token &operator=(const cancellation_token &) = delete;

    void cancel() noexcept { tgm_cancellation_token_cancel(h_.get()); }
    [[nodiscard]] bool cancelled() const noexcept {
        return tgm_cancellation_token_is_cancelled(h_.get());
    }
    [[nodiscard]] tgm_cancellation_token_t *raw() noexcept { return h_.get(); }

  private:
    tensogram::detail::c_handle<tgm_cancellation_token_t, tgm_cancellation_token_free> h_;
};

class async_file;
class async_streaming_encoder;

namespace detail {

inline std::string last_message() {
    const char *m = tgm_last_error();
    return m != nullptr ? std::string(m) : std::string();
}

inline tgm_cancellation_token_t *raw_token(cancellation_token *t) {
    return t != nullptr ? t->raw() : nullptr;
}

inline std::uint64_t millis(std::chrono::milliseconds t) {
    return t.count() > 0 ? static_cast<std::uint64_t>(t.count()) : 0;
}

/// What a task resolves to, and how its C result becomes a T.
template <typename T> struct joiner;

template <> struct joiner<void> {
    static result<void> join(tgm_async_task_t *t) {
        tgm_error e = tgm_async_task_join_void(t);
        return e == TGM_ERROR_OK ? result<void>::ok_value() : result<void>::err(e, last_message());
    }
};

template <> struct joiner<std::size_t> {
    static result<std::size_t> join(tgm_async_task_t *t) {
        std::uint64_t n = 0;
        tgm_error e = tgm_async_task_join_size(t, &n);
        return e == TGM_ERROR_OK ? result<std::size_t>::ok_value(static_cast<std::size_t>(n))
                                 : result<std::size_t>::err(e, last_message());
    }
};

template <> struct joiner<std::vector<std::uint8_t>> {
    static result<std::vector<std::uint8_t>> join(tgm_async_task_t *t) {
        tgm_bytes_t b{};
        tgm_error e = tgm_async_task_join_bytes(t, &b);
        if (e != TGM_ERROR_OK) {
            return result<std::vector<std::uint8_t>>::err(e, last_message());
        }
        return result<std::vector<std::uint8_t>>::ok_value(tensogram::detail::take_bytes(b));
    }
};

template <> struct joiner<std::vector<std::vector<std::uint8_t>>> {
    using value = std::vector<std::vector<std::uint8_t>>;
    static result<value> join(tgm_async_task_t *t) {
        tgm_bytes_t *parts = nullptr;
        std::size_t n = 0;
        tgm_error e = tgm_async_task_join_multi_bytes(t, &parts, &n);
        if (e != TGM_ERROR_OK) {
            return result<value>::err(e, last_message());
        }
        value v;
        v.reserve(n);
        for (std::size_t i = 0; i < n; i++) {
            v.emplace_back(parts[i].data, parts[i].data + parts[i].len);
        }
        tgm_multi_bytes_free(parts, n);
        return result<value>::ok_value(std::move(v));
    }
};

template <> struct joiner<tensogram::message> {
    static result<tensogram::message> join(tgm_async_task_t *t) {
        tgm_message_t *m = nullptr;
        tgm_error e = tgm_async_task_join_message(t, &m);
        if (e != TGM_ERROR_OK) {
            return result<tensogram::message>::err(e, last_message());
        }
        return result<tensogram::message>::ok_value(tensogram::detail::message_from_raw(m));
    }
};

template <> struct joiner<tensogram::metadata> {
    static result<tensogram::metadata> join(tgm_async_task_t *t) {
        tgm_metadata_t *m = nullptr;
        tgm_error e = tgm_async_task_join_metadata(t, &m);
        if (e != TGM_ERROR_OK) {
            return result<tensogram::metadata>::err(e, last_message());
        }
        return result<tensogram::metadata>::ok_value(tensogram::detail::metadata_from_raw(m));
    }
};

/// Hand `task` to the library with `cb`; the callback joins, converts,
/// calls `cb` and frees the task.  A failed launch calls `cb` at once.
template <typename T>
void on_complete(tgm_error launch, tgm_async_task_t *task, std::function<void(result<T>)> cb) {
    if (launch != TGM_ERROR_OK) {
        cb(result<T>::err(launch, last_message()));
        return;
    }
    struct pending {
        std::function<void(result<T>)> cb;
        tgm_async_task_t *task;
    };
    auto *p = new pending{std::move(cb), task};
    auto fire = [](void *ud) noexcept {
        std::unique_ptr<pending> q(static_cast<pending *>(ud));
        result<T> r = joiner<T>::join(q->task);
        tgm_async_task_free(q->task);
        q->cb(std::move(r));
    };
    if (tgm_async_task_set_completion(task, fire, p) != TGM_ERROR_OK) {
        // Only possible for a task already given a callback: not ours.
        std::unique_ptr<pending> q(p);
        q->cb(result<T>::err(TGM_ERROR_INVALID_ARG, last_message()));
        tgm_async_task_free(task);
    }
}

} // namespace detail

/// A file read by asynchronous operations; any number may be in flight
/// at once on one async_file.
class async_file {
  public:
    async_file(async_file &&) noexcept = default;
    async_file &operator=(async_file &&) noexcept = default;
    async_file(const async_file &) = delete;
    async_file &operator=(const async_file &) = delete;

    static void open(const std::string &path, std::function<void(result<async_file>)> cb,
                     cancellation_token *token = nullptr,
                     std::chrono::milliseconds timeout = std::chrono::milliseconds::zero());

    /// Open by URL; storage_options are (key, value) pairs.
    static void open_remote(const std::string &url,
                            const std::vector<std::pair<std::string, std::string>> &storage_options,
                            bool bidirectional, std::function<void(result<async_file>)> cb,
                            cancellation_token *token = nullptr,
                            std::chrono::milliseconds timeout = std::chrono::milliseconds::zero());

    void
    message_count(std::function<void(result<std::size_t>)> cb, cancellation_token *token = nullptr,
                  std::chrono::milliseconds timeout = std::chrono::milliseconds::zero()) const {
        tgm_async_task_t *t = nullptr;
        tgm_error e = tgm_async_file_message_count(h_.get(), detail::raw_token(token),
                                                   detail::millis(timeout), &t);
        detail::on_complete<std::size_t>(e, t, std::move(cb));
    }

    void
    decode_message(std::size_t index, std::function<void(result<tensogram::message>)> cb,
                   cancellation_token *token = nullptr,
                   std::chrono::milliseconds timeout = std::chrono::milliseconds::zero()) const {
        decode_message(index, tensogram::decode_options{}, std::move(cb), token, timeout);
    }

    /// decode_message with decoding options (ours).
    void
    decode_message(std::size_t index, const tensogram::decode_options &opts,
                   std::function<void(result<tensogram::message>)> cb,
                   cancellation_token *token = nullptr,
                   std::chrono::milliseconds timeout = std::chrono::milliseconds::zero()) const {
        tgm_async_task_t *t = nullptr;
        tgm_error e = tgm_async_file_decode_message(
            h_.get(), index, opts.native_byte_order, opts.threads, opts.restore_non_finite,
            opts.verify_hash, detail::raw_token(token), detail::millis(timeout), &t);
        detail::on_complete<tensogram::message>(e, t, std::move(cb));
    }

    void
    decode_metadata(std::size_t index, std::function<void(result<tensogram::metadata>)> cb,
                    cancellation_token *token = nullptr,
                    std::chrono::milliseconds timeout = std::chrono::milliseconds::zero()) const {
        tgm_async_task_t *t = nullptr;
        tgm_error e = tgm_async_file_decode_metadata(h_.get(), index, detail::raw_token(token),
                                                     detail::millis(timeout), &t);
        detail::on_complete<tensogram::metadata>(e, t, std::move(cb));
    }

    void read_message(std::size_t index, std::function<void(result<std::vector<std::uint8_t>>)> cb,
                      cancellation_token *token = nullptr,
                      std::chrono::milliseconds timeout = std::chrono::milliseconds::zero()) const {
        tgm_async_task_t *t = nullptr;
        tgm_error e = tgm_async_file_read_message(h_.get(), index, detail::raw_token(token),
                                                  detail::millis(timeout), &t);
        detail::on_complete<std::vector<std::uint8_t>>(e, t, std::move(cb));
    }

    /// One object of a message (ours): a message holding that object.
    void
    decode_object(std::size_t msg_index, std::size_t obj_index,
                  std::function<void(result<tensogram::message>)> cb,
                  const tensogram::decode_options &opts = {}, cancellation_token *token = nullptr,
                  std::chrono::milliseconds timeout = std::chrono::milliseconds::zero()) const {
        tgm_async_task_t *t = nullptr;
        tgm_error e =
            tgm_async_file_decode_object(h_.get(), msg_index, obj_index, opts.native_byte_order,
                                         opts.threads, opts.restore_non_finite, opts.verify_hash,
                                         detail::raw_token(token), detail::millis(timeout), &t);
        detail::on_complete<tensogram::message>(e, t, std::move(cb));
    }

    /// Element ranges (offset, count) of one object, one buffer each (ours).
    void decode_range(std::size_t msg_index, std::size_t obj_index,
                      const std::vector<std::pair<std::uint64_t, std::uint64_t>> &ranges,
                      std::function<void(result<std::vector<std::vector<std::uint8_t>>>)> cb,
                      const tensogram::decode_options &opts = {},
                      cancellation_token *token = nullptr,
                      std::chrono::milliseconds timeout = std::chrono::milliseconds::zero()) const {
        std::vector<std::uint64_t> offs, counts;
        tensogram::detail::split_ranges(ranges, offs, counts);
        tgm_async_task_t *t = nullptr;
        tgm_error e =
            tgm_async_file_decode_range(h_.get(), msg_index, obj_index, offs.data(), counts.data(),
                                        ranges.size(), opts.native_byte_order, opts.threads,
                                        detail::raw_token(token), detail::millis(timeout), &t);
        detail::on_complete<std::vector<std::vector<std::uint8_t>>>(e, t, std::move(cb));
    }

    /// The path or URL it was opened with (ours).
    [[nodiscard]] std::string path() const {
        return tensogram::detail::str_or_empty(tgm_async_file_path(h_.get()));
    }
    [[nodiscard]] tgm_async_file_t *raw() const noexcept { return h_.get(); }

  private:
    template <typename> friend struct detail::joiner;
    explicit async_file(tgm_async_file_t *raw) : h_(raw) {}
    tensogram::detail::c_handle<tgm_async_file_t, tgm_async_file_close> h_;
};

/// Writes one message to a local file; operations run one at a time in
/// the order they were launched.
class async_streaming_encoder {
  public:
    async_streaming_encoder(async_streaming_encoder &&) noexcept = default;
    async_streaming_encoder &operator=(async_streaming_encoder &&) noexcept = default;
    async_streaming_encoder(const async_streaming_encoder &) = delete;
    async_streaming_encoder &operator=(const async_streaming_encoder &) = delete;

    static void create(const std::string &path, const std::string &metadata_json,
                       std::function<void(result<async_streaming_encoder>)> cb,
                       const std::string &hash_algo = "xxh3", std::uint32_t threads = 0,
                       cancellation_token *token = nullptr,
                       std::chrono::milliseconds timeout = std::chrono::milliseconds::zero());

    /// `data` is copied before this returns.
    void write_object(const std::string &descriptor_json, const std::uint8_t *data, std::size_t len,
                      std::function<void(result<void>)> cb, cancellation_token *token = nullptr,
                      std::chrono::milliseconds timeout = std::chrono::milliseconds::zero()) {
        tgm_async_task_t *t = nullptr;
        tgm_error e = tgm_async_streaming_encoder_write_object(h_.get(), descriptor_json.c_str(),
                                                               data, len, detail::raw_token(token),
                                                               detail::millis(timeout), &t);
        detail::on_complete<void>(e, t, std::move(cb));
    }

    void write_pre_encoded(const std::string &descriptor_json, const std::uint8_t *data,
                           std::size_t len, std::function<void(result<void>)> cb,
                           cancellation_token *token = nullptr,
                           std::chrono::milliseconds timeout = std::chrono::milliseconds::zero()) {
        tgm_async_task_t *t = nullptr;
        tgm_error e = tgm_async_streaming_encoder_write_pre_encoded(
            h_.get(), descriptor_json.c_str(), data, len, detail::raw_token(token),
            detail::millis(timeout), &t);
        detail::on_complete<void>(e, t, std::move(cb));
    }

    void write_preceder(const std::string &metadata_json, std::function<void(result<void>)> cb,
                        cancellation_token *token = nullptr,
                        std::chrono::milliseconds timeout = std::chrono::milliseconds::zero()) {
        tgm_async_task_t *t = nullptr;
        tgm_error e = tgm_async_streaming_encoder_write_preceder(
            h_.get(), metadata_json.c_str(), detail::raw_token(token), detail::millis(timeout), &t);
        detail::on_complete<void>(e, t, std::move(cb));
    }

    /// Write the footer; backfill puts the real length in the preamble.
    void finish(std::function<void(result<void>)> cb, bool backfill = true,
                cancellation_token *token = nullptr,
                std::chrono::milliseconds timeout = std::chrono::milliseconds::zero()) {
        tgm_async_task_t *t = nullptr;
        tgm_error e = tgm_async_streaming_encoder_finish(
            h_.get(), backfill, detail::raw_token(token), detail::millis(timeout), &t);
        detail::on_complete<void>(e, t, std::move(cb));
    }

    enum class object_count_status { ok = 0, null_handle = 1, busy = 2, finished = 3 };
    struct object_count_result {
        object_count_status status;
        std::size_t value;
    };

    /// Objects written so far, without waiting.
    [[nodiscard]] object_count_result try_object_count() const noexcept {
        std::size_t n = 0;
        TgmObjectCountStatus s = tgm_async_streaming_encoder_try_object_count(h_.get(), &n);
        return object_count_result{static_cast<object_count_status>(static_cast<int>(s)), n};
    }
    /// The count, or SIZE_MAX when try_object_count() would not say ok.
    [[nodiscard]] std::size_t object_count() const noexcept {
        return tgm_async_streaming_encoder_object_count(h_.get());
    }
    [[nodiscard]] std::string path() const {
        return tensogram::detail::str_or_empty(tgm_async_streaming_encoder_path(h_.get()));
    }
    [[nodiscard]] tgm_async_streaming_encoder_t *raw() const noexcept { return h_.get(); }

  private:
    template <typename> friend struct detail::joiner;
    explicit async_streaming_encoder(tgm_async_streaming_encoder_t *raw) : h_(raw) {}
    tensogram::detail::c_handle<tgm_async_streaming_encoder_t, tgm_async_streaming_encoder_free> h_;
};

namespace detail {

template <> struct joiner<async_file> {
    static result<async_file> join(tgm_async_task_t *t) {
        tgm_async_file_t *f = nullptr;
        tgm_error e = tgm_async_task_join_async_file(t, &f);
        return e == TGM_ERROR_OK ? result<async_file>::ok_value(async_file(f))
                                 : result<async_file>::err(e, last_message());
    }
};

template <> struct joiner<async_streaming_encoder> {
    static result<async_streaming_encoder> join(tgm_async_task_t *t) {
        tgm_async_streaming_encoder_t *s = nullptr;
        tgm_error e = tgm_async_task_join_async_streaming_encoder(t, &s);
        return e == TGM_ERROR_OK
                   ? result<async_streaming_encoder>::ok_value(async_streaming_encoder(s))
                   : result<async_streaming_encoder>::err(e, last_message());
    }
};

} // namespace detail

inline void async_file::open(const std::string &path, std::function<void(result<async_file>)> cb,
                             cancellation_token *token, std::chrono::milliseconds timeout) {
    tgm_async_task_t *t = nullptr;
    tgm_error e =
        tgm_async_file_open(path.c_str(), detail::raw_token(token), detail::millis(timeout), &t);
    detail::on_complete<async_file>(e, t, std::move(cb));
}

inline void
async_file::open_remote(const std::string &url,
                        const std::vector<std::pair<std::string, std::string>> &storage_options,
                        bool bidirectional, std::function<void(result<async_file>)> cb,
                        cancellation_token *token, std::chrono::milliseconds timeout) {
    std::vector<const char *> keys, values;
    for (const auto &kv : storage_options) {
        keys.push_back(kv.first.c_str());
        values.push_back(kv.second.c_str());
    }
    tgm_async_task_t *t = nullptr;
    tgm_error e = tgm_async_file_open_remote(
        url.c_str(), keys.empty() ? nullptr : keys.data(), values.empty() ? nullptr : values.data(),
        keys.size(), bidirectional, detail::raw_token(token), detail::millis(timeout), &t);
    detail::on_complete<async_file>(e, t, std::move(cb));
}

inline void async_streaming_encoder::create(const std::string &path,
                                            const std::string &metadata_json,
                                            std::function<void(result<async_streaming_encoder>)> cb,
                                            const std::string &hash_algo, std::uint32_t threads,
                                            cancellation_token *token,
                                            std::chrono::milliseconds timeout) {
    tgm_async_task_t *t = nullptr;
    tgm_error e = tgm_async_streaming_encoder_create(
        path.c_str(), metadata_json.c_str(), hash_algo.empty() ? nullptr : hash_algo.c_str(),
        threads, detail::raw_token(token), detail::millis(timeout), &t);
    detail::on_complete<async_streaming_encoder>(e, t, std::move(cb));
}

/// Size the worker pool before any other asynchronous call (0 = default
/// for a field); throws invalid_arg_error once the pool exists.
inline void runtime_configure(std::uint32_t workers = 0, std::uint32_t dispatcher_workers = 0,
                              std::uint64_t multipart_part_size_bytes = 0) {
    tensogram::detail::check(
        tgm_runtime_configure(workers, dispatcher_workers, multipart_part_size_bytes));
}

/// Stop the runtime for good (see tgm_runtime_shutdown_blocking); returns
/// the number of operations that had not finished within `timeout`.
inline std::uint64_t runtime_shutdown_blocking(std::chrono::milliseconds timeout) {
    return tgm_runtime_shutdown_blocking(detail::millis(timeout));
}

} // namespace tensogram::async_callback

#endif // TENSOGRAM_ASYNC_CALLBACK_HPP
