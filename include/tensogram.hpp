// tensogram.hpp - C++17 interface to Tensogram for C.
//
// A header-only layer over the C API in <tensogram/tensogram.h>, source
// compatible with the C++ wrapper of the reference implementation: the
// same namespace (tensogram), classes, member functions, default
// arguments and exception types, so code written against the reference
// builds against this library unchanged.
//
//  - Every handle class owns one C handle (move-only, freed by its
//    destructor).  decoded_object and meta_value are views that borrow
//    from their message / metadata and must not outlive it.
//  - Every failing C call throws a tensogram::error subclass chosen by the
//    error code (framing_error, io_error, ...); what() is the library's
//    detail text.
//  - Thread safety is the C API's: distinct objects may be used from
//    different threads; one object must not be used concurrently.
//
// The asynchronous frontends are in <tensogram/async/callback.hpp>
// (callbacks), <tensogram/async/std_future.hpp> (std::future) and
// <tensogram/async/coro.hpp> (C++20 coroutines).
#ifndef TENSOGRAM_HPP
#define TENSOGRAM_HPP

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tensogram/tensogram.h"

// This library always provides the asynchronous API.
#ifndef TENSOGRAM_ASYNC
#define TENSOGRAM_ASYNC 1
#endif

namespace tensogram {

/// Wire format version written and accepted (WIRE_FORMAT §3).
inline constexpr std::uint16_t wire_version = TGM_WIRE_VERSION;

// ---- exceptions -------------------------------------------------------------------

/// Base of every exception thrown by this interface.
class error : public std::runtime_error {
  public:
    error(tgm_error code, const std::string &msg) : std::runtime_error(msg), code_(code) {}
    [[nodiscard]] tgm_error code() const noexcept { return code_; }

  private:
    tgm_error code_;
};

#define TGM_CPP_ERROR_CLASS(name, base)                                                            \
    class name : public base {                                                                     \
      public:                                                                                      \
        name(tgm_error code, const std::string &msg) : base(code, msg) {}                          \
    }

TGM_CPP_ERROR_CLASS(framing_error, error);
TGM_CPP_ERROR_CLASS(metadata_error, error);
TGM_CPP_ERROR_CLASS(encoding_error, error);
TGM_CPP_ERROR_CLASS(compression_error, error);
TGM_CPP_ERROR_CLASS(object_error, error);
TGM_CPP_ERROR_CLASS(io_error, error);
/// Hash problems: the stored hash disagrees, or there is none to check.
TGM_CPP_ERROR_CLASS(integrity_error, error);
TGM_CPP_ERROR_CLASS(hash_mismatch_error, integrity_error);
TGM_CPP_ERROR_CLASS(missing_hash_error, integrity_error);
TGM_CPP_ERROR_CLASS(invalid_arg_error, error);
TGM_CPP_ERROR_CLASS(remote_error, error);
TGM_CPP_ERROR_CLASS(timeout_error, error);
TGM_CPP_ERROR_CLASS(cancelled_error, error);

#undef TGM_CPP_ERROR_CLASS

namespace detail {

/// Throw the exception class that matches `err`.
[[noreturn]] inline void throw_for_code(tgm_error err, const std::string &message) {
    switch (err) {
    case TGM_ERROR_FRAMING:
        throw framing_error(err, message);
    case TGM_ERROR_METADATA:
        throw metadata_error(err, message);
    case TGM_ERROR_ENCODING:
        throw encoding_error(err, message);
    case TGM_ERROR_COMPRESSION:
        throw compression_error(err, message);
    case TGM_ERROR_OBJECT:
        throw object_error(err, message);
    case TGM_ERROR_IO:
        throw io_error(err, message);
    case TGM_ERROR_HASH_MISMATCH:
        throw hash_mismatch_error(err, message);
    case TGM_ERROR_MISSING_HASH:
        throw missing_hash_error(err, message);
    case TGM_ERROR_INVALID_ARG:
        throw invalid_arg_error(err, message);
    case TGM_ERROR_REMOTE:
        throw remote_error(err, message);
    case TGM_ERROR_TIMEOUT:
        throw timeout_error(err, message);
    case TGM_ERROR_CANCELLED:
        throw cancelled_error(err, message);
    default:
        throw error(err, message);
    }
}

/// The error text of the last failure on this thread (or the code's name).
inline std::string last_error_text(tgm_error err) {
    const char *m = tgm_last_error();
    return m != nullptr ? std::string(m) : std::string(tgm_error_string(err));
}

/// Throw when a C call failed.
inline void check(tgm_error err) {
    if (err != TGM_ERROR_OK) {
        throw_for_code(err, last_error_text(err));
    }
}

inline std::string error_string(tgm_error err) { return tgm_error_string(err); }

/// unique_ptr with a C free function as deleter.
template <typename T, void (*Free)(T *)> struct c_free {
    void operator()(T *p) const noexcept { Free(p); }
};
template <typename T, void (*Free)(T *)> using c_handle = std::unique_ptr<T, c_free<T, Free>>;

/// A tgm_bytes_t copied into a vector, then freed.
inline std::vector<std::uint8_t> take_bytes(tgm_bytes_t b) {
    std::vector<std::uint8_t> v(b.data, b.data + b.len);
    tgm_bytes_free(b);
    return v;
}

inline std::string take_string(tgm_bytes_t b) {
    std::string s(reinterpret_cast<const char *>(b.data), b.len);
    tgm_bytes_free(b);
    return s;
}

inline std::string str_or_empty(const char *s) {
    return s != nullptr ? std::string(s) : std::string();
}

/// Pointer and length arrays of (pointer, length) pairs.
struct object_arrays {
    std::vector<const std::uint8_t *> ptrs;
    std::vector<std::size_t> lens;
    explicit object_arrays(const std::vector<std::pair<const std::uint8_t *, std::size_t>> &objs) {
        ptrs.reserve(objs.size());
        lens.reserve(objs.size());
        for (const auto &o : objs) {
            ptrs.push_back(o.first);
            lens.push_back(o.second);
        }
    }
};

} // namespace detail

// ---- options --------------------------------------------------------------------------

/// One message found by scan(): byte offset and length in the buffer.
struct scan_entry {
    std::size_t offset;
    std::size_t length;
};

/// Encoding options.  hash_algo "" stores no hashes; the NaN / Inf fields
/// are those of TgmEncodeMaskOptions ("" = default method, a negative
/// threshold = default).
struct encode_options {
    std::string hash_algo = "xxh3";
    std::uint32_t threads = 0;
    bool allow_nan = false;
    bool allow_inf = false;
    std::string nan_mask_method = "";
    std::string pos_inf_mask_method = "";
    std::string neg_inf_mask_method = "";
    std::ptrdiff_t small_mask_threshold_bytes = -1;
};

/// Decoding options.
struct decode_options {
    bool native_byte_order = true;
    std::uint32_t threads = 0;
    bool restore_non_finite = true;
    bool verify_hash = false;
};

namespace detail {

/// The C view of encode_options: mask options only when a mask field
/// differs from its default (otherwise the plain entry points are used).
struct c_encode_options {
    const char *hash = nullptr;
    TgmEncodeMaskOptions mask{};
    bool has_mask = false;

    explicit c_encode_options(const encode_options &o) {
        hash = o.hash_algo.empty() ? nullptr : o.hash_algo.c_str();
        auto name = [](const std::string &s) { return s.empty() ? nullptr : s.c_str(); };
        has_mask = o.allow_nan || o.allow_inf || !o.nan_mask_method.empty() ||
                   !o.pos_inf_mask_method.empty() || !o.neg_inf_mask_method.empty() ||
                   o.small_mask_threshold_bytes >= 0;
        mask.allow_nan = o.allow_nan;
        mask.allow_inf = o.allow_inf;
        mask.nan_mask_method = name(o.nan_mask_method);
        mask.pos_inf_mask_method = name(o.pos_inf_mask_method);
        mask.neg_inf_mask_method = name(o.neg_inf_mask_method);
        mask.small_mask_threshold_bytes = o.small_mask_threshold_bytes;
    }
    const TgmEncodeMaskOptions *mask_ptr() const { return has_mask ? &mask : nullptr; }
};

} // namespace detail

class message;
class metadata;
class file;
class object_iterator;

namespace detail {
inline message message_from_raw(tgm_message_t *raw);
inline metadata metadata_from_raw(tgm_metadata_t *raw);
} // namespace detail

[[nodiscard]] inline message decode(const std::uint8_t *buf, std::size_t len,
                                    const decode_options &opts = {});
[[nodiscard]] inline message decode_object(const std::uint8_t *buf, std::size_t len,
                                           std::size_t index, const decode_options &opts = {});
[[nodiscard]] inline metadata decode_metadata(const std::uint8_t *buf, std::size_t len);

// ---- decoded objects and messages ------------------------------------------------------

/// One object of a message (a view: valid while the message lives).
/// Accessors of an index out of range return empty values.
class decoded_object {
  public:
    [[nodiscard]] std::uint64_t ndim() const { return tgm_object_ndim(msg_, i_); }
    [[nodiscard]] std::vector<std::uint64_t> shape() const {
        return dims(tgm_object_shape(msg_, i_));
    }
    [[nodiscard]] std::vector<std::uint64_t> strides() const {
        return dims(tgm_object_strides(msg_, i_));
    }
    [[nodiscard]] std::string dtype_string() const {
        return detail::str_or_empty(tgm_object_dtype(msg_, i_));
    }
    [[nodiscard]] std::string object_type() const {
        return detail::str_or_empty(tgm_object_type(msg_, i_));
    }
    [[nodiscard]] std::string byte_order_string() const {
        return detail::str_or_empty(tgm_object_byte_order(msg_, i_));
    }
    [[nodiscard]] std::string encoding() const {
        return detail::str_or_empty(tgm_payload_encoding(msg_, i_));
    }
    [[nodiscard]] std::string filter() const {
        return detail::str_or_empty(tgm_object_filter(msg_, i_));
    }
    [[nodiscard]] std::string compression() const {
        return detail::str_or_empty(tgm_object_compression(msg_, i_));
    }
    [[nodiscard]] bool has_hash() const { return tgm_payload_has_hash(msg_, i_) != 0; }
    [[nodiscard]] std::string hash_type() const {
        return detail::str_or_empty(tgm_object_hash_type(msg_, i_));
    }
    [[nodiscard]] std::string hash_value() const {
        return detail::str_or_empty(tgm_object_hash_value(msg_, i_));
    }
    /// Decoded bytes (borrowed from the message).
    [[nodiscard]] const std::uint8_t *data() const {
        std::size_t n = 0;
        return tgm_object_data(msg_, i_, &n);
    }
    [[nodiscard]] std::size_t data_size() const {
        std::size_t n = 0;
        (void)tgm_object_data(msg_, i_, &n);
        return n;
    }
    template <typename T> [[nodiscard]] const T *data_as() const {
        return reinterpret_cast<const T *>(data());
    }
    template <typename T> [[nodiscard]] std::size_t element_count() const {
        return data_size() / sizeof(T);
    }
    /// The full descriptor as JSON (ours).
    [[nodiscard]] std::string descriptor_json() const {
        return detail::str_or_empty(tgm_object_descriptor_json(msg_, i_));
    }

  private:
    friend class message;
    decoded_object(const tgm_message_t *msg, std::size_t i) : msg_(msg), i_(i) {}
    std::vector<std::uint64_t> dims(const std::uint64_t *p) const {
        return p != nullptr ? std::vector<std::uint64_t>(p, p + ndim())
                            : std::vector<std::uint64_t>();
    }
    const tgm_message_t *msg_;
    std::size_t i_;
};

/// A decoded message (owns tgm_message_t).  Iterating gives its objects.
class message {
  public:
    message(message &&) noexcept = default;
    message &operator=(message &&) noexcept = default;
    message(const message &) = delete;
    message &operator=(const message &) = delete;
    ~message() = default;

    [[nodiscard]] std::uint64_t version() const { return tgm_message_version(h_.get()); }
    [[nodiscard]] std::size_t num_objects() const { return tgm_message_num_objects(h_.get()); }
    [[nodiscard]] decoded_object object(std::size_t index) const {
        return decoded_object(h_.get(), index);
    }
    /// An independent copy of the global metadata.
    [[nodiscard]] metadata get_metadata() const;
    /// The C handle (still owned by this object).
    [[nodiscard]] const tgm_message_t *raw() const noexcept { return h_.get(); }

    class iterator {
      public:
        using value_type = decoded_object;
        using difference_type = std::ptrdiff_t;
        using pointer = void;
        using reference = decoded_object;
        using iterator_category = std::input_iterator_tag;
        [[nodiscard]] decoded_object operator*() const { return decoded_object(m_, i_); }
        iterator &operator++() {
            ++i_;
            return *this;
        }
        iterator operator++(int) {
            iterator old = *this;
            ++i_;
            return old;
        }
        [[nodiscard]] bool operator==(const iterator &o) const { return i_ == o.i_; }
        [[nodiscard]] bool operator!=(const iterator &o) const { return i_ != o.i_; }

      private:
        friend class message;
        iterator(const tgm_message_t *m, std::size_t i) : m_(m), i_(i) {}
        const tgm_message_t *m_;
        std::size_t i_;
    };
    [[nodiscard]] iterator begin() const { return iterator(h_.get(), 0); }
    [[nodiscard]] iterator end() const { return iterator(h_.get(), num_objects()); }

  private:
    friend message tensogram::detail::message_from_raw(tgm_message_t *);
    explicit message(tgm_message_t *raw) : h_(raw) {}
    detail::c_handle<tgm_message_t, tgm_message_free> h_;
};

// ---- metadata values ---------------------------------------------------------------------

/// Kind of a metadata value.
enum class value_type { null, boolean, integer, floating, string, bytes, array, map };

namespace detail {
[[nodiscard]] inline value_type value_type_from_c(tgm_value_type t) noexcept {
    switch (t) {
    case TGM_VALUE_TYPE_BOOL:
        return value_type::boolean;
    case TGM_VALUE_TYPE_INT:
        return value_type::integer;
    case TGM_VALUE_TYPE_FLOAT:
        return value_type::floating;
    case TGM_VALUE_TYPE_STRING:
        return value_type::string;
    case TGM_VALUE_TYPE_BYTES:
        return value_type::bytes;
    case TGM_VALUE_TYPE_ARRAY:
        return value_type::array;
    case TGM_VALUE_TYPE_MAP:
        return value_type::map;
    default:
        return value_type::null;
    }
}
} // namespace detail

/// A borrowed cursor on one metadata value (valid while its metadata
/// lives).  The typed accessors give std::nullopt on a kind mismatch;
/// as_double widens integers.
class meta_value {
  public:
    [[nodiscard]] value_type type() const {
        return detail::value_type_from_c(tgm_value_get_type(v_));
    }
    [[nodiscard]] bool valid() const noexcept { return v_ != nullptr; }
    [[nodiscard]] bool is_null() const { return type() == value_type::null; }
    [[nodiscard]] bool is_bool() const { return type() == value_type::boolean; }
    [[nodiscard]] bool is_int() const { return type() == value_type::integer; }
    [[nodiscard]] bool is_float() const { return type() == value_type::floating; }
    [[nodiscard]] bool is_string() const { return type() == value_type::string; }
    [[nodiscard]] bool is_bytes() const { return type() == value_type::bytes; }
    [[nodiscard]] bool is_array() const { return type() == value_type::array; }
    [[nodiscard]] bool is_map() const { return type() == value_type::map; }

    [[nodiscard]] std::optional<std::int64_t> as_int() const {
        std::int64_t x = 0;
        return tgm_value_as_i64(v_, &x) ? std::optional<std::int64_t>(x) : std::nullopt;
    }
    [[nodiscard]] std::optional<std::uint64_t> as_uint() const {
        std::uint64_t x = 0;
        return tgm_value_as_u64(v_, &x) ? std::optional<std::uint64_t>(x) : std::nullopt;
    }
    [[nodiscard]] std::optional<double> as_double() const {
        double x = 0;
        return tgm_value_as_f64(v_, &x) ? std::optional<double>(x) : std::nullopt;
    }
    [[nodiscard]] std::optional<bool> as_bool() const {
        bool x = false;
        return tgm_value_as_bool(v_, &x) ? std::optional<bool>(x) : std::nullopt;
    }
    [[nodiscard]] std::optional<std::string_view> as_string() const {
        std::size_t n = 0;
        const char *p = tgm_value_as_string(v_, &n);
        return p != nullptr ? std::optional<std::string_view>(std::string_view(p, n))
                            : std::nullopt;
    }
    [[nodiscard]] std::optional<std::vector<std::uint8_t>> as_bytes() const {
        std::size_t n = 0;
        const std::uint8_t *p = tgm_value_as_bytes(v_, &n);
        if (p == nullptr) {
            return std::nullopt;
        }
        return std::vector<std::uint8_t>(p, p + n);
    }
    /// Elements of an array or entries of a map; 0 otherwise.
    [[nodiscard]] std::size_t size() const {
        value_type t = type();
        return t == value_type::array ? tgm_value_array_len(v_)
               : t == value_type::map ? tgm_value_map_len(v_)
                                      : 0;
    }
    [[nodiscard]] std::optional<meta_value> at(std::size_t index) const {
        return wrap(tgm_value_array_get(v_, index));
    }
    /// Unchecked: an invalid value (valid() == false) when out of range.
    [[nodiscard]] meta_value operator[](std::size_t index) const {
        return meta_value(tgm_value_array_get(v_, index));
    }

    /// Iterates the elements of an array.
    class iterator {
      public:
        using value_type = meta_value;
        using difference_type = std::ptrdiff_t;
        using pointer = void;
        using reference = meta_value;
        using iterator_category = std::input_iterator_tag;
        [[nodiscard]] meta_value operator*() const {
            return meta_value(tgm_value_array_get(v_, i_));
        }
        iterator &operator++() {
            ++i_;
            return *this;
        }
        iterator operator++(int) {
            iterator old = *this;
            ++i_;
            return old;
        }
        [[nodiscard]] bool operator==(const iterator &o) const { return v_ == o.v_ && i_ == o.i_; }
        [[nodiscard]] bool operator!=(const iterator &o) const { return !(*this == o); }

      private:
        friend class meta_value;
        iterator(const tgm_value_t *v, std::size_t i) : v_(v), i_(i) {}
        const tgm_value_t *v_;
        std::size_t i_;
    };
    [[nodiscard]] iterator begin() const { return iterator(v_, 0); }
    [[nodiscard]] iterator end() const { return iterator(v_, size()); }

    [[nodiscard]] bool contains(std::string_view key) const {
        return tgm_value_map_get(v_, std::string(key).c_str()) != nullptr;
    }
    [[nodiscard]] std::optional<meta_value> get(std::string_view key) const {
        return wrap(tgm_value_map_get(v_, std::string(key).c_str()));
    }
    [[nodiscard]] std::optional<std::string_view> key_at(std::size_t index) const {
        std::size_t n = 0;
        const char *p = tgm_value_map_key_at(v_, index, &n);
        return p != nullptr ? std::optional<std::string_view>(std::string_view(p, n))
                            : std::nullopt;
    }
    [[nodiscard]] std::optional<meta_value> value_at(std::size_t index) const {
        return wrap(tgm_value_map_value_at(v_, index));
    }
    /// The value as compact JSON (ours).
    [[nodiscard]] std::string to_json() const {
        tgm_bytes_t b{};
        detail::check(tgm_value_to_json(v_, &b));
        return detail::take_string(b);
    }

  private:
    friend class metadata;
    explicit meta_value(const tgm_value_t *v) noexcept : v_(v) {}
    static std::optional<meta_value> wrap(const tgm_value_t *v) {
        return v != nullptr ? std::optional<meta_value>(meta_value(v)) : std::nullopt;
    }
    const tgm_value_t *v_;
};

/// Global metadata of a message (owns tgm_metadata_t).  Key paths use dots
/// ("mars.param"); see the C header for the lookup order.
class metadata {
  public:
    metadata(metadata &&) noexcept = default;
    metadata &operator=(metadata &&) noexcept = default;
    metadata(const metadata &) = delete;
    metadata &operator=(const metadata &) = delete;
    ~metadata() = default;

    [[nodiscard]] std::uint64_t version() const { return tgm_metadata_version(h_.get()); }
    [[nodiscard]] std::size_t num_objects() const { return tgm_metadata_num_objects(h_.get()); }
    [[nodiscard]] std::string get_string(std::string_view key) const {
        return detail::str_or_empty(tgm_metadata_get_string(h_.get(), std::string(key).c_str()));
    }
    [[nodiscard]] std::int64_t get_int(std::string_view key, std::int64_t default_val = 0) const {
        return tgm_metadata_get_int(h_.get(), std::string(key).c_str(), default_val);
    }
    [[nodiscard]] double get_float(std::string_view key, double default_val = 0.0) const {
        return tgm_metadata_get_float(h_.get(), std::string(key).c_str(), default_val);
    }
    [[nodiscard]] std::string get_string_at(std::size_t obj_index, std::string_view key) const {
        return detail::str_or_empty(
            tgm_metadata_get_string_at(h_.get(), obj_index, std::string(key).c_str()));
    }
    [[nodiscard]] std::int64_t get_int_at(std::size_t obj_index, std::string_view key,
                                          std::int64_t default_val = 0) const {
        return tgm_metadata_get_int_at(h_.get(), obj_index, std::string(key).c_str(), default_val);
    }
    [[nodiscard]] double get_float_at(std::size_t obj_index, std::string_view key,
                                      double default_val = 0.0) const {
        return tgm_metadata_get_float_at(h_.get(), obj_index, std::string(key).c_str(),
                                         default_val);
    }
    [[nodiscard]] std::string object_to_json(std::size_t obj_index) const {
        return detail::str_or_empty(tgm_metadata_object_to_json(h_.get(), obj_index));
    }
    [[nodiscard]] std::string to_json() const {
        return detail::str_or_empty(tgm_metadata_to_json(h_.get()));
    }
    [[nodiscard]] bool contains(std::string_view path) const {
        return tgm_metadata_has(h_.get(), std::string(path).c_str());
    }
    [[nodiscard]] bool contains_at(std::size_t obj, std::string_view path) const {
        return tgm_metadata_has_at(h_.get(), obj, std::string(path).c_str());
    }
    [[nodiscard]] std::optional<meta_value> get(std::string_view path) const {
        return meta_value::wrap(tgm_metadata_get(h_.get(), std::string(path).c_str()));
    }
    [[nodiscard]] std::optional<meta_value> get_at(std::size_t obj, std::string_view path) const {
        return meta_value::wrap(tgm_metadata_get_at(h_.get(), obj, std::string(path).c_str()));
    }
    [[nodiscard]] std::optional<std::int64_t> try_get_int(std::string_view path) const {
        auto v = get(path);
        return v ? v->as_int() : std::nullopt;
    }
    [[nodiscard]] std::optional<std::uint64_t> try_get_uint(std::string_view path) const {
        auto v = get(path);
        return v ? v->as_uint() : std::nullopt;
    }
    [[nodiscard]] std::optional<double> try_get_double(std::string_view path) const {
        auto v = get(path);
        return v ? v->as_double() : std::nullopt;
    }
    [[nodiscard]] std::optional<std::string_view> try_get_string(std::string_view path) const {
        auto v = get(path);
        return v ? v->as_string() : std::nullopt;
    }
    [[nodiscard]] std::optional<bool> try_get_bool(std::string_view path) const {
        auto v = get(path);
        return v ? v->as_bool() : std::nullopt;
    }
    /// base[obj] as a map; extra() and reserved() the other sections.
    [[nodiscard]] meta_value object(std::size_t obj) const {
        return meta_value(tgm_metadata_object(h_.get(), obj));
    }
    [[nodiscard]] meta_value extra() const { return meta_value(tgm_metadata_extra(h_.get())); }
    [[nodiscard]] meta_value reserved() const {
        return meta_value(tgm_metadata_reserved(h_.get()));
    }
    [[nodiscard]] const tgm_metadata_t *raw() const noexcept { return h_.get(); }

  private:
    friend metadata tensogram::detail::metadata_from_raw(tgm_metadata_t *);
    explicit metadata(tgm_metadata_t *raw) : h_(raw) {}
    detail::c_handle<tgm_metadata_t, tgm_metadata_free> h_;
};

namespace detail {
/// Wrap a handle the C API returned (ownership moves to the wrapper).
inline message message_from_raw(tgm_message_t *raw) { return message(raw); }
inline metadata metadata_from_raw(tgm_metadata_t *raw) { return metadata(raw); }
} // namespace detail

inline metadata message::get_metadata() const {
    tgm_metadata_t *raw = nullptr;
    detail::check(tgm_message_metadata(h_.get(), &raw));
    return detail::metadata_from_raw(raw);
}

// ---- files --------------------------------------------------------------------------------

/// A .tgm file of concatenated messages (owns tgm_file_t).
class file {
  public:
    [[nodiscard]] static file open(const std::string &path) {
        tgm_file_t *raw = nullptr;
        detail::check(tgm_file_open(path.c_str(), &raw));
        return file(raw);
    }
    [[nodiscard]] static file create(const std::string &path) {
        tgm_file_t *raw = nullptr;
        detail::check(tgm_file_create(path.c_str(), &raw));
        return file(raw);
    }
    file(file &&) noexcept = default;
    file &operator=(file &&) noexcept = default;
    file(const file &) = delete;
    file &operator=(const file &) = delete;
    ~file() = default;

    [[nodiscard]] std::size_t message_count() {
        std::size_t n = 0;
        detail::check(tgm_file_message_count(h_.get(), &n));
        return n;
    }
    [[nodiscard]] message decode_message(std::size_t index, const decode_options &opts = {}) {
        tgm_message_t *raw = nullptr;
        TgmDecodeMaskOptions mo{opts.restore_non_finite};
        detail::check(tgm_file_decode_message_with_options(
            h_.get(), index, opts.native_byte_order ? 1 : 0, opts.threads, opts.verify_hash ? 1 : 0,
            &mo, &raw));
        return detail::message_from_raw(raw);
    }
    /// One object of message `msg_index`, reading only what it needs (ours).
    [[nodiscard]] message decode_object(std::size_t msg_index, std::size_t obj_index,
                                        const decode_options &opts = {}) {
        tgm_message_t *raw = nullptr;
        detail::check(tgm_file_decode_object(h_.get(), msg_index, obj_index,
                                             opts.native_byte_order ? 1 : 0, opts.threads,
                                             opts.verify_hash ? 1 : 0, &raw));
        return detail::message_from_raw(raw);
    }
    /// Metadata of message `index` only (ours).
    [[nodiscard]] metadata decode_metadata(std::size_t index) {
        tgm_metadata_t *raw = nullptr;
        detail::check(tgm_file_decode_metadata(h_.get(), index, &raw));
        return detail::metadata_from_raw(raw);
    }
    [[nodiscard]] std::vector<std::uint8_t> read_message(std::size_t index) {
        tgm_bytes_t b{};
        detail::check(tgm_file_read_message(h_.get(), index, &b));
        return detail::take_bytes(b);
    }
    void append_raw(const std::uint8_t *data, std::size_t len) {
        detail::check(tgm_file_append_raw(h_.get(), data, len));
    }
    void append_raw(const std::vector<std::uint8_t> &data) { append_raw(data.data(), data.size()); }
    void append(const std::string &metadata_json,
                const std::vector<std::pair<const std::uint8_t *, std::size_t>> &objects,
                const encode_options &opts = {}) {
        detail::object_arrays a(objects);
        detail::c_encode_options o(opts);
        detail::check(tgm_file_append_with_options(h_.get(), metadata_json.c_str(), a.ptrs.data(),
                                                   a.lens.data(), objects.size(), o.hash,
                                                   opts.threads, o.mask_ptr()));
    }
    [[nodiscard]] std::string path() const { return detail::str_or_empty(tgm_file_path(h_.get())); }
    [[nodiscard]] tgm_file_t *raw() { return h_.get(); }

  private:
    explicit file(tgm_file_t *raw) : h_(raw) {}
    detail::c_handle<tgm_file_t, tgm_file_close> h_;
};

// ---- iterators ------------------------------------------------------------------------------

/// Messages of a buffer (the buffer must outlive the iterator).
class buffer_iterator {
  public:
    buffer_iterator(const std::uint8_t *buf, std::size_t len) {
        tgm_buffer_iter_t *raw = nullptr;
        detail::check(tgm_buffer_iter_create(buf, len, &raw));
        h_.reset(raw);
    }
    buffer_iterator(buffer_iterator &&) noexcept = default;
    buffer_iterator &operator=(buffer_iterator &&) noexcept = default;
    buffer_iterator(const buffer_iterator &) = delete;
    buffer_iterator &operator=(const buffer_iterator &) = delete;

    [[nodiscard]] std::size_t count() const { return tgm_buffer_iter_count(h_.get()); }
    /// The next message as a slice of the buffer; false at the end.
    bool next(const std::uint8_t *&out_buf, std::size_t &out_len) {
        const std::uint8_t *p = nullptr;
        std::size_t n = 0;
        tgm_error e = tgm_buffer_iter_next(h_.get(), &p, &n);
        if (e == TGM_ERROR_END_OF_ITER) {
            return false;
        }
        detail::check(e);
        out_buf = p;
        out_len = n;
        return true;
    }

  private:
    detail::c_handle<tgm_buffer_iter_t, tgm_buffer_iter_free> h_;
};

/// Messages of a file, as bytes (the file must outlive the iterator).
class file_iterator {
  public:
    explicit file_iterator(file &f) {
        tgm_file_iter_t *raw = nullptr;
        detail::check(tgm_file_iter_create(f.raw(), &raw));
        h_.reset(raw);
    }
    file_iterator(file_iterator &&) noexcept = default;
    file_iterator &operator=(file_iterator &&) noexcept = default;
    file_iterator(const file_iterator &) = delete;
    file_iterator &operator=(const file_iterator &) = delete;

    bool next(std::vector<std::uint8_t> &out) {
        tgm_bytes_t b{};
        tgm_error e = tgm_file_iter_next(h_.get(), &b);
        if (e == TGM_ERROR_END_OF_ITER) {
            return false;
        }
        detail::check(e);
        out = detail::take_bytes(b);
        return true;
    }

  private:
    detail::c_handle<tgm_file_iter_t, tgm_file_iter_free> h_;
};

/// Objects of one message, decoded one at a time (each as a one-object
/// message carrying the whole metadata).
class object_iterator {
  public:
    object_iterator(const std::uint8_t *buf, std::size_t len, const decode_options &opts = {}) {
        tgm_object_iter_t *raw = nullptr;
        detail::check(tgm_object_iter_create(buf, len, opts.native_byte_order ? 1 : 0,
                                             opts.verify_hash ? 1 : 0, &raw));
        h_.reset(raw);
    }
    object_iterator(object_iterator &&) noexcept = default;
    object_iterator &operator=(object_iterator &&) noexcept = default;
    object_iterator(const object_iterator &) = delete;
    object_iterator &operator=(const object_iterator &) = delete;

    bool next(message &out) {
        tgm_message_t *raw = nullptr;
        tgm_error e = tgm_object_iter_next(h_.get(), &raw);
        if (e == TGM_ERROR_END_OF_ITER) {
            return false;
        }
        detail::check(e);
        out = detail::message_from_raw(raw);
        return true;
    }

  private:
    detail::c_handle<tgm_object_iter_t, tgm_object_iter_free> h_;
};

// ---- streaming encoder ------------------------------------------------------------------------

/// Writes one message to a file, object by object.
class streaming_encoder {
  public:
    streaming_encoder(const std::string &path, const std::string &metadata_json,
                      const encode_options &opts = {}) {
        detail::c_encode_options o(opts);
        tgm_streaming_encoder_t *raw = nullptr;
        detail::check(tgm_streaming_encoder_create_with_options(
            path.c_str(), metadata_json.c_str(), o.hash, opts.threads, o.mask_ptr(), &raw));
        h_.reset(raw);
    }
    streaming_encoder(streaming_encoder &&) noexcept = default;
    streaming_encoder &operator=(streaming_encoder &&) noexcept = default;
    streaming_encoder(const streaming_encoder &) = delete;
    streaming_encoder &operator=(const streaming_encoder &) = delete;

    void write_preceder(const std::string &metadata_json) {
        detail::check(tgm_streaming_encoder_write_preceder(h_.get(), metadata_json.c_str()));
    }
    void write_object(const std::string &descriptor_json, const std::uint8_t *data,
                      std::size_t len) {
        detail::check(tgm_streaming_encoder_write(h_.get(), descriptor_json.c_str(), data, len));
    }
    void write_object_pre_encoded(const std::string &descriptor_json, const std::uint8_t *data,
                                  std::size_t len) {
        detail::check(
            tgm_streaming_encoder_write_pre_encoded(h_.get(), descriptor_json.c_str(), data, len));
    }
    [[nodiscard]] std::size_t object_count() const { return tgm_streaming_encoder_count(h_.get()); }
    /// Write the footer; the object stays (empty) until destroyed.
    void finish() { detail::check(tgm_streaming_encoder_finish(h_.get())); }
    /// finish() with the real total length written back (ours).
    void finish_backfilled() { detail::check(tgm_streaming_encoder_finish_backfilled(h_.get())); }

  private:
    detail::c_handle<tgm_streaming_encoder_t, tgm_streaming_encoder_free> h_;
};

// ---- free functions -------------------------------------------------------------------------

/// Encode one message; objects are (pointer, byte length) pairs.
[[nodiscard]] inline std::vector<std::uint8_t>
encode(const std::string &metadata_json,
       const std::vector<std::pair<const std::uint8_t *, std::size_t>> &objects,
       const encode_options &opts = {}) {
    detail::object_arrays a(objects);
    detail::c_encode_options o(opts);
    tgm_bytes_t b{};
    detail::check(tgm_encode_with_options(metadata_json.c_str(), a.ptrs.data(), a.lens.data(),
                                          objects.size(), o.hash, opts.threads, o.mask_ptr(), &b));
    return detail::take_bytes(b);
}

/// Encode payloads already encoded by their descriptors' pipelines (the
/// NaN / Inf options do not apply).
[[nodiscard]] inline std::vector<std::uint8_t>
encode_pre_encoded(const std::string &metadata_json,
                   const std::vector<std::pair<const std::uint8_t *, std::size_t>> &objects,
                   const encode_options &opts = {}) {
    detail::object_arrays a(objects);
    detail::c_encode_options o(opts);
    tgm_bytes_t b{};
    detail::check(tgm_encode_pre_encoded(metadata_json.c_str(), a.ptrs.data(), a.lens.data(),
                                         objects.size(), o.hash, opts.threads, &b));
    return detail::take_bytes(b);
}

[[nodiscard]] inline message decode(const std::uint8_t *buf, std::size_t len,
                                    const decode_options &opts) {
    tgm_message_t *raw = nullptr;
    TgmDecodeMaskOptions mo{opts.restore_non_finite};
    detail::check(tgm_decode_with_options(buf, len, opts.native_byte_order ? 1 : 0, opts.threads,
                                          opts.verify_hash ? 1 : 0, &mo, &raw));
    return detail::message_from_raw(raw);
}

[[nodiscard]] inline metadata decode_metadata(const std::uint8_t *buf, std::size_t len) {
    tgm_metadata_t *raw = nullptr;
    detail::check(tgm_decode_metadata(buf, len, &raw));
    return detail::metadata_from_raw(raw);
}

[[nodiscard]] inline message decode_object(const std::uint8_t *buf, std::size_t len,
                                           std::size_t index, const decode_options &opts) {
    tgm_message_t *raw = nullptr;
    TgmDecodeMaskOptions mo{opts.restore_non_finite};
    detail::check(tgm_decode_object_with_options(buf, len, index, opts.native_byte_order ? 1 : 0,
                                                 opts.threads, opts.verify_hash ? 1 : 0, &mo,
                                                 &raw));
    return detail::message_from_raw(raw);
}

namespace detail {
inline void split_ranges(const std::vector<std::pair<std::uint64_t, std::uint64_t>> &ranges,
                         std::vector<std::uint64_t> &offs, std::vector<std::uint64_t> &counts) {
    offs.reserve(ranges.size());
    counts.reserve(ranges.size());
    for (const auto &r : ranges) {
        offs.push_back(r.first);
        counts.push_back(r.second);
    }
}
} // namespace detail

/// Element ranges (offset, count) of one object, one buffer per range.
[[nodiscard]] inline std::vector<std::vector<std::uint8_t>>
decode_range(const std::uint8_t *buf, std::size_t len, std::size_t object_index,
             const std::vector<std::pair<std::uint64_t, std::uint64_t>> &ranges,
             const decode_options &opts = {}) {
    std::vector<std::uint64_t> offs, counts;
    detail::split_ranges(ranges, offs, counts);
    std::vector<tgm_bytes_t> parts(ranges.size());
    std::size_t n = 0;
    TgmDecodeMaskOptions mo{opts.restore_non_finite};
    detail::check(tgm_decode_range_with_options(buf, len, object_index, offs.data(), counts.data(),
                                                ranges.size(), opts.native_byte_order ? 1 : 0,
                                                opts.threads, 0, &mo, parts.data(), &n));
    std::vector<std::vector<std::uint8_t>> out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; i++) {
        out.push_back(detail::take_bytes(parts[i]));
    }
    return out;
}

/// The same ranges concatenated into one buffer.
[[nodiscard]] inline std::vector<std::uint8_t>
decode_range_joined(const std::uint8_t *buf, std::size_t len, std::size_t object_index,
                    const std::vector<std::pair<std::uint64_t, std::uint64_t>> &ranges,
                    const decode_options &opts = {}) {
    std::vector<std::uint64_t> offs, counts;
    detail::split_ranges(ranges, offs, counts);
    tgm_bytes_t b{};
    std::size_t n = 0;
    TgmDecodeMaskOptions mo{opts.restore_non_finite};
    detail::check(tgm_decode_range_with_options(buf, len, object_index, offs.data(), counts.data(),
                                                ranges.size(), opts.native_byte_order ? 1 : 0,
                                                opts.threads, 1, &mo, &b, &n));
    return detail::take_bytes(b);
}

/// Every complete message in a buffer.
[[nodiscard]] inline std::vector<scan_entry> scan(const std::uint8_t *buf, std::size_t len) {
    tgm_scan_result_t *raw = nullptr;
    detail::check(tgm_scan(buf, len, &raw));
    detail::c_handle<tgm_scan_result_t, tgm_scan_free> h(raw);
    std::vector<scan_entry> out(tgm_scan_count(raw));
    for (std::size_t i = 0; i < out.size(); i++) {
        tgm_scan_entry_t e = tgm_scan_entry(raw, i);
        out[i] = scan_entry{e.offset, e.length};
    }
    return out;
}

/// Hash of `data` as lowercase hex.
[[nodiscard]] inline std::string compute_hash(const std::uint8_t *data, std::size_t len,
                                              const std::string &algo = "xxh3") {
    tgm_bytes_t b{};
    detail::check(tgm_compute_hash(data, len, algo.c_str(), &b));
    return detail::take_string(b);
}

/// Validation report (JSON) of one message.
[[nodiscard]] inline std::string validate(const std::uint8_t *buf, std::size_t len,
                                          const char *level = "default",
                                          bool check_canonical = false) {
    tgm_bytes_t b{};
    detail::check(tgm_validate(buf, len, level, check_canonical ? 1 : 0, &b));
    return detail::take_string(b);
}

/// Validation report (JSON) of every message of a file.
[[nodiscard]] inline std::string validate_file(const char *path, const char *level = "default",
                                               bool check_canonical = false) {
    tgm_bytes_t b{};
    detail::check(tgm_validate_file(path, level, check_canonical ? 1 : 0, &b));
    return detail::take_string(b);
}

} // namespace tensogram

#endif // TENSOGRAM_HPP
