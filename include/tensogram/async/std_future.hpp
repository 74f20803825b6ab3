// tensogram/async/std_future.hpp - asynchronous C++ API returning
// std::future (C++17).  get() blocks until the operation is done and
// throws the tensogram::error subclass of its error code.  Built on the
// callback frontend; the same launch-time and thread rules apply.
#ifndef TENSOGRAM_ASYNC_STD_FUTURE_HPP
#define TENSOGRAM_ASYNC_STD_FUTURE_HPP

#include <future>
#include <memory>

#include "callback.hpp"

namespace tensogram::stdfuture {

namespace tac = tensogram::async_callback;

namespace detail {

/// A promise for T and the callback that fulfils it from a result<U>
/// (converted by `conv`, which wraps callback-frontend handles).
template <typename T, typename U, typename Conv> struct bridge {
    static std::pair<std::future<T>, std::function<void(tac::result<U>)>> make(Conv conv) {
        auto p = std::make_shared<std::promise<T>>();
        std::future<T> f = p->get_future();
        std::function<void(tac::result<U>)> cb = [p, conv](tac::result<U> r) {
            if (!r.ok()) {
                try {
                    tensogram::detail::throw_for_code(r.code(), r.message());
                } catch (...) {
                    p->set_exception(std::current_exception());
                }
                return;
            }
            if constexpr (std::is_void_v<T>) {
                p->set_value();
            } else {
                p->set_value(conv(r.take()));
            }
        };
        return {std::move(f), std::move(cb)};
    }
};

struct identity {
    template <typename V> V operator()(V &&v) const { return std::forward<V>(v); }
};

template <typename T> auto plain() { return bridge<T, T, identity>::make(identity{}); }

} // namespace detail

/// async_file whose operations return futures.
class async_file {
  public:
    [[nodiscard]] static std::future<async_file>
    open(const std::string &path, tac::cancellation_token *token = nullptr,
         std::chrono::milliseconds timeout = std::chrono::milliseconds::zero()) {
        auto [fut, cb] = wrap();
        tac::async_file::open(path, std::move(cb), token, timeout);
        return std::move(fut);
    }
    [[nodiscard]] static std::future<async_file>
    open_remote(const std::string &url,
                const std::vector<std::pair<std::string, std::string>> &storage_options,
                bool bidirectional, tac::cancellation_token *token = nullptr,
                std::chrono::milliseconds timeout = std::chrono::milliseconds::zero()) {
        auto [fut, cb] = wrap();
        tac::async_file::open_remote(url, storage_options, bidirectional, std::move(cb), token,
                                     timeout);
        return std::move(fut);
    }
    [[nodiscard]] std::future<std::size_t>
    message_count(tac::cancellation_token *token = nullptr,
                  std::chrono::milliseconds timeout = std::chrono::milliseconds::zero()) const {
        auto [fut, cb] = detail::plain<std::size_t>();
        f_->message_count(std::move(cb), token, timeout);
        return std::move(fut);
    }
    [[nodiscard]] std::future<tensogram::message>
    decode_message(std::size_t index, tac::cancellation_token *token = nullptr,
                   std::chrono::milliseconds timeout = std::chrono::milliseconds::zero()) const {
        auto [fut, cb] = detail::plain<tensogram::message>();
        f_->decode_message(index, std::move(cb), token, timeout);
        return std::move(fut);
    }
    [[nodiscard]] std::future<tensogram::metadata>
    decode_metadata(std::size_t index, tac::cancellation_token *token = nullptr,
                    std::chrono::milliseconds timeout = std::chrono::milliseconds::zero()) const {
        auto [fut, cb] = detail::plain<tensogram::metadata>();
        f_->decode_metadata(index, std::move(cb), token, timeout);
        return std::move(fut);
    }
    [[nodiscard]] std::future<std::vector<std::uint8_t>>
    read_message(std::size_t index, tac::cancellation_token *token = nullptr,
                 std::chrono::milliseconds timeout = std::chrono::milliseconds::zero()) const {
        auto [fut, cb] = detail::plain<std::vector<std::uint8_t>>();
        f_->read_message(index, std::move(cb), token, timeout);
        return std::move(fut);
    }
    /// One object of a message (ours).
    [[nodiscard]] std::future<tensogram::message>
    decode_object(std::size_t msg_index, std::size_t obj_index,
                  const tensogram::decode_options &opts = {},
                  tac::cancellation_token *token = nullptr,
                  std::chrono::milliseconds timeout = std::chrono::milliseconds::zero()) const {
        auto [fut, cb] = detail::plain<tensogram::message>();
        f_->decode_object(msg_index, obj_index, std::move(cb), opts, token, timeout);
        return std::move(fut);
    }
    /// Element ranges of one object (ours).
    [[nodiscard]] std::future<std::vector<std::vector<std::uint8_t>>>
    decode_range(std::size_t msg_index, std::size_t obj_index,
                 const std::vector<std::pair<std::uint64_t, std::uint64_t>> &ranges,
                 const tensogram::decode_options &opts = {},
                 tac::cancellation_token *token = nullptr,
                 std::chrono::milliseconds timeout = std::chrono::milliseconds::zero()) const {
        auto [fut, cb] = detail::plain<std::vector<std::vector<std::uint8_t>>>();
        f_->decode_range(msg_index, obj_index, ranges, std::move(cb), opts, token, timeout);
        return std::move(fut);
    }
    [[nodiscard]] std::string path() const { return f_->path(); }

    async_file(async_file &&) noexcept = default;
    async_file &operator=(async_file &&) noexcept = default;
    async_file(const async_file &) = delete;
    async_file &operator=(const async_file &) = delete;

  private:
    struct wrap_file {
        async_file operator()(tac::async_file f) const { return async_file(std::move(f)); }
    };
    static std::pair<std::future<async_file>, std::function<void(tac::result<tac::async_file>)>>
    wrap() {
        return detail::bridge<async_file, tac::async_file, wrap_file>::make({});
    }
    explicit async_file(tac::async_file f) : f_(std::make_shared<tac::async_file>(std::move(f))) {}
    std::shared_ptr<tac::async_file> f_;
};

/// async_streaming_encoder whose operations return futures.
class async_streaming_encoder {
  public:
    [[nodiscard]] static std::future<async_streaming_encoder>
    create(const std::string &path, const std::string &metadata_json,
           const std::string &hash_algo = "xxh3", std::uint32_t threads = 0,
           tac::cancellation_token *token = nullptr,
           std::chrono::milliseconds timeout = std::chrono::milliseconds::zero()) {
        auto [fut, cb] = detail::bridge<async_streaming_encoder, tac::async_streaming_encoder,
                                        wrap_encoder>::make({});
        tac::async_streaming_encoder::create(path, metadata_json, std::move(cb), hash_algo, threads,
                                             token, timeout);
        return std::move(fut);
    }
    [[nodiscard]] std::future<void>
    write_object(const std::string &descriptor_json, const std::uint8_t *data, std::size_t len,
                 tac::cancellation_token *token = nullptr,
                 std::chrono::milliseconds timeout = std::chrono::milliseconds::zero()) {
        auto [fut, cb] = detail::plain<void>();
        e_->write_object(descriptor_json, data, len, std::move(cb), token, timeout);
        return std::move(fut);
    }
    [[nodiscard]] std::future<void>
    write_pre_encoded(const std::string &descriptor_json, const std::uint8_t *data, std::size_t len,
                      tac::cancellation_token *token = nullptr,
                      std::chrono::milliseconds timeout = std::chrono::milliseconds::zero()) {
        auto [fut, cb] = detail::plain<void>();
        e_->write_pre_encoded(descriptor_json, data, len, std::move(cb), token, timeout);
        return std::move(fut);
    }
    [[nodiscard]] std::future<void>
    write_preceder(const std::string &metadata_json, tac::cancellation_token *token = nullptr,
                   std::chrono::milliseconds timeout = std::chrono::milliseconds::zero()) {
        auto [fut, cb] = detail::plain<void>();
        e_->write_preceder(metadata_json, std::move(cb), token, timeout);
        return std::move(fut);
    }
    [[nodiscard]] std::future<void>
    finish(bool backfill = true, tac::cancellation_token *token = nullptr,
           std::chrono::milliseconds timeout = std::chrono::milliseconds::zero()) {
        auto [fut, cb] = detail::plain<void>();
        e_->finish(std::move(cb), backfill, token, timeout);
        return std::move(fut);
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
    struct wrap_encoder {
        async_streaming_encoder operator()(tac::async_streaming_encoder e) const {
            return async_streaming_encoder(std::move(e));
        }
    };
    explicit async_streaming_encoder(tac::async_streaming_encoder e)
        : e_(std::make_shared<tac::async_streaming_encoder>(std::move(e))) {}
    std::shared_ptr<tac::async_streaming_encoder> e_;
};

} // namespace tensogram::stdfuture

#endif // TENSOGRAM_ASYNC_STD_FUTURE_HPP
