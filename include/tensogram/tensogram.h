/*
 * tensogram.h - Tensogram for C: the public API.
 *
 * Tensogram is a self-describing binary message format for N-dimensional
 * tensors (wire format version 3).  This header is source-compatible with
 * the C header of the reference implementation: the same `tgm_*` names,
 * types, error codes and semantics, so programs and wrappers written for
 * the reference build against this library unchanged.  Functions that exist
 * only here are grouped at the end under "Additions of Tensogram for C".
 *
 * Conventions used throughout
 * ---------------------------
 *  - Every fallible function returns a `tgm_error`.  Out-parameters are
 *    written only on success.  After a failure, `tgm_last_error()` returns
 *    a one-line description ("framing error: frame at offset 24 ...") that
 *    stays valid until the next call into the library on the same thread.
 *  - Buffers returned in a `tgm_bytes_t` are owned by the caller and
 *    released with `tgm_bytes_free`.
 *  - Handles (`tgm_message_t`, `tgm_metadata_t`, iterators, files,
 *    encoders) are opaque; each has its own free/close function.  Strings
 *    and arrays returned by accessors are borrowed from their handle and
 *    stay valid until that handle is freed.
 *  - `metadata_json` arguments are UTF-8 JSON objects: a `"descriptors"`
 *    array (one descriptor object per data object), an optional `"base"`
 *    array (per-object application metadata), an optional `"_extra_"` (or
 *    `"extra"`) object, and any other top-level key, which is stored in
 *    `_extra_`.  The `_reserved_` namespace belongs to the library.
 *    As an extension to strict JSON, the bare words `NaN`, `Infinity` and
 *    `-Infinity` (what Python's json module writes) are read as float64
 *    values; metadata JSON output prints such values as `null`.
 *  - `threads`: 0 means "use TENSOGRAM_THREADS if set, else one thread";
 *    N >= 1 uses up to N threads.  Output never depends on the count.
 *  - `native_byte_order` (non-zero, the usual choice) converts decoded
 *    values to this machine's byte order; zero returns them in the byte
 *    order the descriptor declares.
 *  - Thread safety: distinct handles may be used from different threads
 *    at the same time; a single handle must not be used concurrently
 *    unless its section says otherwise.  Decoding functions that take a
 *    `const uint8_t *buf` are safe to call concurrently on the same buffer.
 */
#ifndef TENSOGRAM_H
#define TENSOGRAM_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32) && defined(TENSOGRAM_SHARED_BUILD)
#define TGM_API __declspec(dllexport)
#elif defined(__GNUC__) || defined(__clang__)
#define TGM_API __attribute__((visibility("default")))
#else
#define TGM_API
#endif

/* Wire-format version written to and required from every preamble
 * (WIRE_FORMAT §3).  Independent of the library version below. */
#define TGM_WIRE_VERSION 3

/* ======================================================================
 * Errors
 * ====================================================================== */

/* Every error code: its name, its value (the reference's; 14 is an
 * addition of Tensogram for C) and the short text tgm_error_string gives.
 * The enum below and the library's message table are both made from this
 * list. */
#define TGM_ERROR_CODES(X)                                                                         \
    X(TGM_ERROR_OK, 0, "ok")                                                                       \
    X(TGM_ERROR_FRAMING, 1, "framing error")         /* malformed message structure */             \
    X(TGM_ERROR_METADATA, 2, "metadata error")       /* bad or missing metadata / descriptor */    \
    X(TGM_ERROR_ENCODING, 3, "encoding error")       /* encoding pipeline or parameter error */    \
    X(TGM_ERROR_COMPRESSION, 4, "compression error") /* a codec failed or is not built in */       \
    X(TGM_ERROR_OBJECT, 5, "object error")           /* object index or range out of bounds */     \
    X(TGM_ERROR_IO, 6, "I/O error")                  /* file system error */                       \
    X(TGM_ERROR_HASH_MISMATCH, 7, "hash mismatch")   /* stored and computed hash differ */         \
    X(TGM_ERROR_INVALID_ARG, 8, "invalid argument")  /* NULL pointer, bad option value */          \
    X(TGM_ERROR_END_OF_ITER, 9, "end of iteration")  /* iterator exhausted (not a failure) */      \
    X(TGM_ERROR_REMOTE, 10, "remote error")          /* remote (HTTP/S3) access error */           \
    X(TGM_ERROR_MISSING_HASH, 11, "missing hash")    /* hash verification asked for, none */       \
    X(TGM_ERROR_TIMEOUT, 12, "async task timed out") /* async task deadline passed */              \
    X(TGM_ERROR_CANCELLED, 13, "async task cancelled")                                             \
    /* ecCodes or netCDF-C reported a failure (the converters of                                   \
     * tensogram/convert.h) */                                                                     \
    X(TGM_ERROR_CONVERT, 14, "conversion error")

#define TGM_ERROR_ENUM_ENTRY_(name, value, text) name = value,
typedef enum { TGM_ERROR_CODES(TGM_ERROR_ENUM_ENTRY_) } tgm_error;
#undef TGM_ERROR_ENUM_ENTRY_

/* Detail text of the last failure on this thread, or NULL if none.  Valid
 * until the next library call on the same thread. */
TGM_API const char *tgm_last_error(void);

/* Short static description of a code ("framing error", ...); never NULL,
 * "unknown error" for values outside the enum. */
TGM_API const char *tgm_error_string(tgm_error err);

/* ======================================================================
 * Types
 * ====================================================================== */

/* Kind of a metadata value reached through a `tgm_value_t` cursor. */
typedef enum {
    TGM_VALUE_TYPE_NULL,
    TGM_VALUE_TYPE_BOOL,
    TGM_VALUE_TYPE_INT,
    TGM_VALUE_TYPE_FLOAT,
    TGM_VALUE_TYPE_STRING,
    TGM_VALUE_TYPE_BYTES,
    TGM_VALUE_TYPE_ARRAY,
    TGM_VALUE_TYPE_MAP
} tgm_value_type;

typedef struct tgm_buffer_iter_t tgm_buffer_iter_t; /* messages in a buffer */
typedef struct tgm_file_t tgm_file_t;               /* a .tgm file */
typedef struct tgm_file_iter_t tgm_file_iter_t;     /* messages in a file */
typedef struct tgm_message_t tgm_message_t;         /* decoded message */
typedef struct tgm_metadata_t tgm_metadata_t;       /* global metadata only */
typedef struct tgm_object_iter_t tgm_object_iter_t; /* objects in a message */
typedef struct tgm_scan_result_t tgm_scan_result_t; /* message boundaries */
typedef struct tgm_streaming_encoder_t tgm_streaming_encoder_t;
typedef struct tgm_value_t tgm_value_t; /* borrowed value cursor */

/* A caller-owned byte buffer; free with tgm_bytes_free. */
typedef struct {
    uint8_t *data;
    size_t len;
} tgm_bytes_t;

/* NaN / Inf handling on encode (WIRE_FORMAT §6.5).  By default encoding
 * rejects non-finite floats.  With allow_nan / allow_inf, each NaN / +Inf /
 * -Inf element is replaced by zero and its position recorded in a bitmask
 * stored next to the payload.  Mask methods: "none", "rle", "roaring",
 * "lz4", "zstd", "blosc2"; NULL selects the default ("roaring").  Masks
 * whose raw size is at most small_mask_threshold_bytes are stored as
 * "none"; 0 disables that fallback, a negative value selects the default
 * (128).  Unknown method names make the call fail with
 * TGM_ERROR_INVALID_ARG. */
typedef struct {
    bool allow_nan;
    bool allow_inf;
    const char *nan_mask_method;
    const char *pos_inf_mask_method;
    const char *neg_inf_mask_method;
    ptrdiff_t small_mask_threshold_bytes;
} TgmEncodeMaskOptions;

/* NaN / Inf handling on decode.  restore_non_finite (the default when the
 * options pointer is NULL) writes canonical NaN / +Inf / -Inf back at the
 * masked positions; false leaves the zeros the encoder substituted. */
typedef struct {
    bool restore_non_finite;
} TgmDecodeMaskOptions;

/* One message found by tgm_scan: byte offset and length in the buffer. */
typedef struct {
    size_t offset;
    size_t length;
} tgm_scan_entry_t;

/* Release a buffer returned by the library (data may be NULL). */
TGM_API void tgm_bytes_free(tgm_bytes_t buf);

/* ======================================================================
 * Encoding
 * ====================================================================== */

/* Encode one message from JSON metadata and one raw buffer per object.
 *
 * data_ptrs[i] / data_lens[i] hold object i's elements in C order, in the
 * byte order its descriptor declares (native when the descriptor has no
 * "byte_order").  The encoding pipeline named by each descriptor
 * (encoding / filter / compression) is applied.  hash_algo is "xxh3" to
 * store per-frame hashes, or NULL / "none" for none.  Non-finite values
 * are rejected (see tgm_encode_with_options).
 *
 * On success *out receives the message bytes (free with tgm_bytes_free).
 * Errors: INVALID_ARG (NULL pointers, bad hash name), METADATA (bad JSON or
 * descriptor), ENCODING / COMPRESSION (pipeline failures).
 *
 * Repeated metadata: each thread keeps the compiled form of the last few
 * metadata texts it encoded more than once (objects copied unchanged, no
 * TENSOGRAM_PROVENANCE), so a text given again is not read again; the
 * bytes and errors are those of a first read.  This holds for every
 * tgm_encode* call taking JSON text; the memory is released when the
 * thread exits.  Thread-safe. */
TGM_API tgm_error tgm_encode(const char *metadata_json, const uint8_t *const *data_ptrs,
                             const size_t *data_lens, size_t num_objects, const char *hash_algo,
                             uint32_t threads, tgm_bytes_t *out);

/* tgm_encode with NaN / Inf mask options (NULL = reject non-finite). */
TGM_API tgm_error tgm_encode_with_options(const char *metadata_json,
                                          const uint8_t *const *data_ptrs, const size_t *data_lens,
                                          size_t num_objects, const char *hash_algo,
                                          uint32_t threads,
                                          const TgmEncodeMaskOptions *mask_options,
                                          tgm_bytes_t *out);

/* Encode from payloads that are already encoded by each descriptor's
 * pipeline (for example simple_packing + szip bytes produced elsewhere).
 * The bytes are written as given after the descriptor is checked; hashes
 * are always recomputed.  Descriptors must carry every parameter needed to
 * decode (sp_* values, szip_block_offsets in bits, ...).  The result is
 * indistinguishable from a normal encode of the same payloads. */
TGM_API tgm_error tgm_encode_pre_encoded(const char *metadata_json, const uint8_t *const *data_ptrs,
                                         const size_t *data_lens, size_t num_objects,
                                         const char *hash_algo, uint32_t threads, tgm_bytes_t *out);

/* ======================================================================
 * Decoding
 * ====================================================================== */

/* Decode a whole message: metadata and every object's values.
 * verify_hash non-zero checks each object's stored xxh3 hash
 * (TGM_ERROR_HASH_MISMATCH / TGM_ERROR_MISSING_HASH).  buf may hold more
 * than one message; the first is decoded.  Free *out with
 * tgm_message_free. */
TGM_API tgm_error tgm_decode(const uint8_t *buf, size_t buf_len, int32_t native_byte_order,
                             uint32_t threads, int32_t verify_hash, tgm_message_t **out);

/* tgm_decode with NaN / Inf restoration options (NULL = restore). */
TGM_API tgm_error tgm_decode_with_options(const uint8_t *buf, size_t buf_len,
                                          int32_t native_byte_order, uint32_t threads,
                                          int32_t verify_hash,
                                          const TgmDecodeMaskOptions *mask_options,
                                          tgm_message_t **out);

/* Decode only the global metadata; no payload is touched. */
TGM_API tgm_error tgm_decode_metadata(const uint8_t *buf, size_t buf_len, tgm_metadata_t **out);

/* Decode the object at `index` only, located through the index frame
 * (O(1)) or by walking the frames when the message has no index.  The
 * result holds one object (at index 0) and the whole message's metadata.
 * TGM_ERROR_OBJECT when index is out of range. */
TGM_API tgm_error tgm_decode_object(const uint8_t *buf, size_t buf_len, size_t index,
                                    int32_t native_byte_order, uint32_t threads,
                                    int32_t verify_hash, tgm_message_t **out);

/* Decode element ranges of one object without decoding the rest, where
 * the pipeline allows it (encoding none or simple_packing, compression
 * none, szip, zfp fixed_rate or blosc2; not with shuffle or the bitmask
 * dtype).  Ranges are (element offset, element count) pairs in
 * ranges_offsets / ranges_counts.  With join != 0 all ranges are
 * concatenated into out[0] and *out_count = 1; otherwise out[i] receives
 * range i and *out_count = num_ranges (`out` must have room).  Free each
 * buffer with tgm_bytes_free.  A range past the end of the object fails
 * with TGM_ERROR_OBJECT. */
TGM_API tgm_error tgm_decode_range(const uint8_t *buf, size_t buf_len, size_t object_index,
                                   const uint64_t *ranges_offsets, const uint64_t *ranges_counts,
                                   size_t num_ranges, int32_t native_byte_order, uint32_t threads,
                                   int32_t join, tgm_bytes_t *out, size_t *out_count);

/* ======================================================================
 * Scanning a buffer of concatenated messages
 * ====================================================================== */

/* Find every complete message in buf, skipping bytes that are not part of
 * a message.  Never fails on malformed content (it is skipped); fails only
 * on NULL arguments or out-of-memory.  Free *out with tgm_scan_free. */
TGM_API tgm_error tgm_scan(const uint8_t *buf, size_t buf_len, tgm_scan_result_t **out);
TGM_API size_t tgm_scan_count(const tgm_scan_result_t *result);
/* Entry `index`; {0, 0} for a NULL handle or an index out of range. */
TGM_API tgm_scan_entry_t tgm_scan_entry(const tgm_scan_result_t *result, size_t index);
TGM_API void tgm_scan_free(tgm_scan_result_t *result);

/* ======================================================================
 * Decoded messages
 * ====================================================================== */

/* Wire version read from the preamble (always 3); 0 for NULL. */
TGM_API uint64_t tgm_message_version(const tgm_message_t *msg);
/* Number of decoded objects (1 after tgm_decode_object). */
TGM_API size_t tgm_message_num_objects(const tgm_message_t *msg);
/* Same as tgm_message_num_objects (kept for compatibility). */
TGM_API size_t tgm_message_num_decoded(const tgm_message_t *msg);

/* Per-object descriptor accessors.  `index` counts decoded objects.
 * Out-of-range indexes and NULL handles return 0 / NULL. */
TGM_API uint64_t tgm_object_ndim(const tgm_message_t *msg, size_t index);
TGM_API const uint64_t *tgm_object_shape(const tgm_message_t *msg, size_t index);
TGM_API const uint64_t *tgm_object_strides(const tgm_message_t *msg, size_t index);
TGM_API const char *tgm_object_dtype(const tgm_message_t *msg, size_t index);
TGM_API const char *tgm_object_type(const tgm_message_t *msg, size_t index);
/* "big" or "little": the byte order of the stored payload. */
TGM_API const char *tgm_object_byte_order(const tgm_message_t *msg, size_t index);
TGM_API const char *tgm_payload_encoding(const tgm_message_t *msg, size_t index);
TGM_API const char *tgm_object_filter(const tgm_message_t *msg, size_t index);
TGM_API const char *tgm_object_compression(const tgm_message_t *msg, size_t index);

/* Decoded values of object `decoded_index`; *out_len receives the byte
 * count.  The pointer is valid until tgm_message_free. */
TGM_API const uint8_t *tgm_object_data(const tgm_message_t *msg, size_t decoded_index,
                                       size_t *out_len);

/* 1 when the object's frame carries a non-zero hash, else 0. */
TGM_API int32_t tgm_payload_has_hash(const tgm_message_t *msg, size_t index);
/* "xxh3" when the object has a hash, else NULL. */
TGM_API const char *tgm_object_hash_type(const tgm_message_t *msg, size_t index);
/* The hash as 16 lowercase hex digits, or NULL. */
TGM_API const char *tgm_object_hash_value(const tgm_message_t *msg, size_t index);

/* A metadata handle for the message's global metadata (an independent
 * copy: free it with tgm_metadata_free). */
TGM_API tgm_error tgm_message_metadata(const tgm_message_t *msg, tgm_metadata_t **out);

TGM_API void tgm_message_free(tgm_message_t *msg);

/* ======================================================================
 * Metadata
 *
 * Paths use dots to walk nested maps: "mars.param".  Message-level lookups
 * search base[0], base[1], ... in order (skipping each entry's _reserved_)
 * and then _extra_; a leading "extra." or "_extra_." targets _extra_
 * directly.  The *_at variants look in base[obj_index] only.
 * ====================================================================== */

/* Wire version (always 3); 0 for NULL. */
TGM_API uint64_t tgm_metadata_version(const tgm_metadata_t *meta);
/* Length of the base array (one entry per object). */
TGM_API size_t tgm_metadata_num_objects(const tgm_metadata_t *meta);

/* String value at `key`; integers, floats and booleans are converted to
 * text.  NULL when absent, a container, null, bytes, or holding a NUL.
 * The key "version" returns the wire version. */
TGM_API const char *tgm_metadata_get_string(const tgm_metadata_t *meta, const char *key);
/* Integer at `key` (the key "version" gives the wire version), else
 * default_val. */
TGM_API int64_t tgm_metadata_get_int(const tgm_metadata_t *meta, const char *key,
                                     int64_t default_val);
/* Float at `key` (integers widened), else default_val. */
TGM_API double tgm_metadata_get_float(const tgm_metadata_t *meta, const char *key,
                                      double default_val);

TGM_API const char *tgm_metadata_get_string_at(const tgm_metadata_t *meta, size_t obj_index,
                                               const char *key);
TGM_API int64_t tgm_metadata_get_int_at(const tgm_metadata_t *meta, size_t obj_index,
                                        const char *key, int64_t default_val);
TGM_API double tgm_metadata_get_float_at(const tgm_metadata_t *meta, size_t obj_index,
                                         const char *key, double default_val);

/* base[obj_index] (including its _reserved_.tensor) as a JSON object; NULL
 * when out of range. */
TGM_API const char *tgm_metadata_object_to_json(const tgm_metadata_t *meta, size_t obj_index);
/* {"base": [...], "_reserved_": {...}, "_extra_": {...}}, empty sections
 * left out.  Keys are sorted; floats print in shortest round-trip form. */
TGM_API const char *tgm_metadata_to_json(const tgm_metadata_t *meta);

/* Value cursors: borrowed, valid until tgm_metadata_free, never freed by
 * the caller.  NULL means absent; a present CBOR null is a non-NULL handle
 * of type TGM_VALUE_TYPE_NULL. */
TGM_API const tgm_value_t *tgm_metadata_get(const tgm_metadata_t *meta, const char *path);
TGM_API const tgm_value_t *tgm_metadata_get_at(const tgm_metadata_t *meta, size_t obj_index,
                                               const char *path);
TGM_API bool tgm_metadata_has(const tgm_metadata_t *meta, const char *path);
TGM_API bool tgm_metadata_has_at(const tgm_metadata_t *meta, size_t obj_index, const char *path);
/* base[obj_index] as a map (includes _reserved_). */
TGM_API const tgm_value_t *tgm_metadata_object(const tgm_metadata_t *meta, size_t obj_index);
/* The _extra_ / _reserved_ sections as maps (empty maps when absent). */
TGM_API const tgm_value_t *tgm_metadata_extra(const tgm_metadata_t *meta);
TGM_API const tgm_value_t *tgm_metadata_reserved(const tgm_metadata_t *meta);

TGM_API tgm_value_type tgm_value_get_type(const tgm_value_t *v);
/* Typed extraction without coercion (except as_f64, which widens
 * integers).  Return true and write *out on success. */
TGM_API bool tgm_value_as_bool(const tgm_value_t *v, bool *out);
TGM_API bool tgm_value_as_i64(const tgm_value_t *v, int64_t *out);
TGM_API bool tgm_value_as_u64(const tgm_value_t *v, uint64_t *out);
TGM_API bool tgm_value_as_f64(const tgm_value_t *v, double *out);
/* Borrowed, not NUL-terminated-guaranteed text / bytes; length in *len_out. */
TGM_API const char *tgm_value_as_string(const tgm_value_t *v, size_t *len_out);
TGM_API const uint8_t *tgm_value_as_bytes(const tgm_value_t *v, size_t *len_out);
TGM_API size_t tgm_value_array_len(const tgm_value_t *v);
TGM_API const tgm_value_t *tgm_value_array_get(const tgm_value_t *v, size_t index);
TGM_API size_t tgm_value_map_len(const tgm_value_t *v);
TGM_API const char *tgm_value_map_key_at(const tgm_value_t *v, size_t index, size_t *len_out);
TGM_API const tgm_value_t *tgm_value_map_value_at(const tgm_value_t *v, size_t index);
/* One map key (no dot splitting). */
TGM_API const tgm_value_t *tgm_value_map_get(const tgm_value_t *v, const char *key);

TGM_API void tgm_metadata_free(tgm_metadata_t *meta);

/* ======================================================================
 * Files
 * ====================================================================== */

/* A .tgm file holds messages back to back.  Reading: the first access scans
 * the file once and keeps each complete message's offset and length; bytes
 * that are not part of a complete message (a torn tail, a message whose
 * writer died) are skipped, never merged into a neighbour, and reported by
 * tgm_validate_file.  Growth of the file is picked up on the next access.
 * Appending (tgm_file_append*, any number of handles, threads and
 * processes at once): every append takes an exclusive advisory lock on the
 * file, so messages never interleave; an append that returns OK has put
 * the whole message, contiguous and readable, in the file; one that fails
 * removes only the bytes it wrote (never anyone else's, never leaving a
 * hole), or, when another program wrote after them, leaves them as a torn
 * region readers skip.  Appends are not synced: see tgm_file_sync.
 * docs/security.md states these guarantees in full.
 * A handle may be used from several threads at once.
 *
 * Open an existing file for reading (and appending). */
TGM_API tgm_error tgm_file_open(const char *path, tgm_file_t **out);
/* Create (truncate) a file for writing. */
TGM_API tgm_error tgm_file_create(const char *path, tgm_file_t **out);
/* Number of messages; the first call scans the file once. */
TGM_API tgm_error tgm_file_message_count(tgm_file_t *file, size_t *out_count);
TGM_API tgm_error tgm_file_decode_message(tgm_file_t *file, size_t index, int32_t native_byte_order,
                                          uint32_t threads, int32_t verify_hash,
                                          tgm_message_t **out);
/* Raw bytes of message `index`. */
TGM_API tgm_error tgm_file_read_message(tgm_file_t *file, size_t index, tgm_bytes_t *out);
/* Append already-encoded bytes: one or more complete messages, back to
 * back.  They are checked first (each is found by the scanner and parses:
 * frames, metadata, descriptors); anything else fails with
 * TGM_ERROR_FRAMING and writes nothing (the reference appends any bytes). */
TGM_API tgm_error tgm_file_append_raw(tgm_file_t *file, const uint8_t *buf, size_t buf_len);
/* Path the handle was opened with; valid until tgm_file_close. */
TGM_API const char *tgm_file_path(const tgm_file_t *file);
/* Encode (as tgm_encode) and append. */
TGM_API tgm_error tgm_file_append(tgm_file_t *file, const char *metadata_json,
                                  const uint8_t *const *data_ptrs, const size_t *data_lens,
                                  size_t num_objects, const char *hash_algo, uint32_t threads);
TGM_API tgm_error tgm_file_append_with_options(tgm_file_t *file, const char *metadata_json,
                                               const uint8_t *const *data_ptrs,
                                               const size_t *data_lens, size_t num_objects,
                                               const char *hash_algo, uint32_t threads,
                                               const TgmEncodeMaskOptions *mask_options);
TGM_API void tgm_file_close(tgm_file_t *file);

/* ======================================================================
 * simple_packing helper
 * ====================================================================== */

/* Reference value and binary scale factor simple_packing would use for
 * `values` at `bits_per_value` bits and the given decimal scale factor.
 * TGM_ERROR_ENCODING when a value is NaN or infinite. */
TGM_API tgm_error tgm_simple_packing_compute_params(const double *values, size_t num_values,
                                                    uint32_t bits_per_value,
                                                    int32_t decimal_scale_factor,
                                                    double *out_reference_value,
                                                    int32_t *out_binary_scale_factor);

/* ======================================================================
 * Iterators
 * ====================================================================== */

/* Messages in a buffer (scanned once).  The buffer must outlive the
 * iterator.  next() yields slices of the buffer and returns
 * TGM_ERROR_END_OF_ITER when done. */
TGM_API tgm_error tgm_buffer_iter_create(const uint8_t *buf, size_t buf_len,
                                         tgm_buffer_iter_t **out);
TGM_API size_t tgm_buffer_iter_count(const tgm_buffer_iter_t *iter);
TGM_API tgm_error tgm_buffer_iter_next(tgm_buffer_iter_t *iter, const uint8_t **out_buf,
                                       size_t *out_len);
TGM_API void tgm_buffer_iter_free(tgm_buffer_iter_t *iter);

/* Messages in a file; next() returns each message's bytes (caller frees). */
TGM_API tgm_error tgm_file_iter_create(tgm_file_t *file, tgm_file_iter_t **out);
TGM_API tgm_error tgm_file_iter_next(tgm_file_iter_t *iter, tgm_bytes_t *out);
TGM_API void tgm_file_iter_free(tgm_file_iter_t *iter);

/* Objects of one message, decoded one at a time.  Each yielded message
 * holds one object and the whole message's metadata. */
TGM_API tgm_error tgm_object_iter_create(const uint8_t *buf, size_t buf_len,
                                         int32_t native_byte_order, int32_t verify_hash,
                                         tgm_object_iter_t **out);
TGM_API tgm_error tgm_object_iter_next(tgm_object_iter_t *iter, tgm_message_t **out);
TGM_API void tgm_object_iter_free(tgm_object_iter_t *iter);

/* ======================================================================
 * Hashing, diagnostics
 * ====================================================================== */

/* Hash `data` with `algo` ("xxh3"; NULL means xxh3).  *out receives the
 * digest as 16 lowercase hex digits (not NUL-terminated). */
TGM_API tgm_error tgm_compute_hash(const uint8_t *data, size_t data_len, const char *algo,
                                   tgm_bytes_t *out);

/* Environment report as JSON: build, built-in codecs, self-tests. */
TGM_API tgm_error tgm_doctor_to_json(tgm_bytes_t *out);

/* ======================================================================
 * Streaming encoder: writes each frame as it is produced
 * ====================================================================== */

/* Create an encoder writing to `path`.  metadata_json holds message-level
 * metadata (no "descriptors").  Each frame is written as soon as it is
 * produced; the message ends with footer metadata, hash and index frames.
 * tgm_streaming_encoder_finish leaves the total lengths 0 (as the
 * reference does); tgm_streaming_encoder_finish_backfilled (ours, in
 * tensogram_stream.h) writes them back when the output is seekable. */
TGM_API tgm_error tgm_streaming_encoder_create(const char *path, const char *metadata_json,
                                               const char *hash_algo, uint32_t threads,
                                               tgm_streaming_encoder_t **out);
TGM_API tgm_error tgm_streaming_encoder_create_with_options(
    const char *path, const char *metadata_json, const char *hash_algo, uint32_t threads,
    const TgmEncodeMaskOptions *mask_options, tgm_streaming_encoder_t **out);
/* Per-object metadata for the next object (a JSON object). */
TGM_API tgm_error tgm_streaming_encoder_write_preceder(tgm_streaming_encoder_t *enc,
                                                       const char *metadata_json);
/* Encode one object (descriptor as a JSON object) and write its frame. */
TGM_API tgm_error tgm_streaming_encoder_write(tgm_streaming_encoder_t *enc,
                                              const char *descriptor_json, const uint8_t *data,
                                              size_t data_len);
TGM_API tgm_error tgm_streaming_encoder_write_pre_encoded(tgm_streaming_encoder_t *enc,
                                                          const char *descriptor_json,
                                                          const uint8_t *data, size_t data_len);
TGM_API size_t tgm_streaming_encoder_count(const tgm_streaming_encoder_t *enc);
/* Write the footer (total lengths 0) and close the output; the handle must
 * still be freed. */
TGM_API tgm_error tgm_streaming_encoder_finish(tgm_streaming_encoder_t *enc);
/* Free without finishing (the output is abandoned). */
TGM_API void tgm_streaming_encoder_free(tgm_streaming_encoder_t *enc);

/* ======================================================================
 * Validation
 * ====================================================================== */

/* Validate one message.  level: "quick", "default", "checksum", "full"
 * (NULL = "default").  *out receives a JSON report (not NUL-terminated);
 * problems are reported in it, not as an error code. */
TGM_API tgm_error tgm_validate(const uint8_t *buf, size_t buf_len, const char *level,
                               int32_t check_canonical, tgm_bytes_t *out);
/* Validate every message of a file, plus file-level issues. */
TGM_API tgm_error tgm_validate_file(const char *path, const char *level, int32_t check_canonical,
                                    tgm_bytes_t *out);

/* ======================================================================
 * Asynchronous API
 *
 * Every tgm_async_* call that starts work returns at once with a task
 * handle in *out_task; the work runs on the library's worker pool (a fixed
 * set of threads, started on first use, sized by tgm_runtime_configure).
 * A task is observed with tgm_async_task_is_ready, a completion callback,
 * a readiness notifier (tensogram_async.h), or a blocking
 * tgm_async_task_join_<kind>, which hands its result over once.
 *
 * Arguments shared by every launching call:
 *  - cancel: NULL, or a token shared by any number of tasks; cancelling it
 *    cancels each of them (as tgm_async_task_cancel does).
 *  - timeout_ms: 0 for none; otherwise the task resolves with
 *    TGM_ERROR_TIMEOUT once that many milliseconds have passed since the
 *    call, unless it finished first.
 *  - out_task: receives the task.  The launching call itself fails only on
 *    bad arguments (TGM_ERROR_INVALID_ARG, or METADATA for malformed JSON
 *    given to the streaming encoder) or after tgm_runtime_shutdown_blocking
 *    (TGM_ERROR_IO, "runtime has been shut down"); every other error is
 *    reported by the join.
 *
 * Ownership: the caller owns each task and frees it exactly once with
 * tgm_async_task_free, joined or not, ready or not (freeing a pending task
 * does not cancel it; its result is discarded when it finishes).  File
 * handles and encoders may be closed / freed while tasks that use them are
 * in flight: those tasks keep what they need alive.
 *
 * Cancellation and timeouts resolve the task at once (join returns
 * TGM_ERROR_CANCELLED / TGM_ERROR_TIMEOUT, the callback fires).  A task not
 * yet started is never run; a running one stops at its next cancellation
 * point (between reading and decoding, between objects, between the
 * chunks of a parallel codec, and for remote files between network
 * transfers, which are aborted), and what it produced is freed.
 *
 * Threads: every function here may be called from any thread; one task
 * may be joined, polled and cancelled from different threads.  One async
 * file serves any number of concurrent tasks.  Operations on one async
 * streaming encoder run one at a time in the order they were submitted.
 * ====================================================================== */

/* The state of tgm_async_streaming_encoder_try_object_count. */
typedef enum {
    TGM_OBJECT_COUNT_STATUS_OK = 0,          /* *out_count is the count */
    TGM_OBJECT_COUNT_STATUS_NULL_HANDLE = 1, /* enc (or out_count) was NULL */
    TGM_OBJECT_COUNT_STATUS_BUSY = 2,        /* an operation is running on it: retry */
    TGM_OBJECT_COUNT_STATUS_FINISHED = 3     /* finish has completed on it */
} TgmObjectCountStatus;

typedef struct tgm_async_task_t tgm_async_task_t; /* one asynchronous operation */
typedef struct tgm_async_file_t tgm_async_file_t; /* a file shared by tasks */
typedef struct tgm_async_streaming_encoder_t tgm_async_streaming_encoder_t;
typedef struct tgm_cancellation_token_t tgm_cancellation_token_t; /* cancels many tasks */

/* Worker pool settings, before any other tgm_async_* call (0 = default for
 * a field): workers (CPU work; default min(CPUs, 8)), dispatcher_workers
 * (threads running completion callbacks; default min(CPUs, 4)) and
 * multipart_part_size_bytes (the largest single range request of remote
 * reads; default 8 MiB).  TGM_ERROR_INVALID_ARG once configured, once
 * the pool has started, or after shutdown. */
TGM_API tgm_error tgm_runtime_configure(uint32_t workers, uint32_t dispatcher_workers,
                                        uint64_t multipart_part_size_bytes);

/* Stop the pool: refuse new work, wait up to timeout_ms for tasks in
 * flight to finish, cancel those still unfinished (their joins return
 * TGM_ERROR_CANCELLED and their callbacks fire), stop the threads, and
 * return how many tasks had not finished in time (0 for a clean drain).
 * Final: later launching calls fail with TGM_ERROR_IO; a second call
 * returns 0.  Call it from an application thread, never from a completion
 * callback. */
TGM_API uint64_t tgm_runtime_shutdown_blocking(uint64_t timeout_ms);

/* Cancellation tokens.  create returns NULL only when out of memory.
 * cancel is idempotent and cancels every task the token was given to;
 * tasks started with an already cancelled token resolve as cancelled.
 * Freeing a token does not cancel anything; tasks keep their own
 * reference.  NULL handles are ignored (is_cancelled returns false). */
TGM_API tgm_cancellation_token_t *tgm_cancellation_token_create(void);
TGM_API void tgm_cancellation_token_cancel(tgm_cancellation_token_t *tok);
TGM_API bool tgm_cancellation_token_is_cancelled(const tgm_cancellation_token_t *tok);
TGM_API void tgm_cancellation_token_free(tgm_cancellation_token_t *tok);

/* Call cb(userdata) once when the task resolves (success, error, timeout
 * or cancellation), on a callback thread of the library; at once (on such
 * a thread) when it already has.  One registration per task: a second one,
 * or one after the result was joined, fails with TGM_ERROR_INVALID_ARG.
 * The callback may join and free the task; it must be quick and must not
 * call tgm_runtime_shutdown_blocking.  When the callback queue is full the
 * callback runs on the thread that resolved the task. */
TGM_API tgm_error tgm_async_task_set_completion(tgm_async_task_t *task, void (*cb)(void *),
                                                void *userdata);
/* True once the task has resolved (false for NULL).  Never blocks. */
TGM_API bool tgm_async_task_is_ready(const tgm_async_task_t *task);
/* Cancel the task (see above); no effect once resolved or for NULL. */
TGM_API void tgm_async_task_cancel(tgm_async_task_t *task);
/* Release the caller's handle (NULL is ignored). */
TGM_API void tgm_async_task_free(tgm_async_task_t *task);

/* Joins: wait until the task resolves, then hand over its result.  On
 * failure the task's error code is returned and tgm_last_error() holds its
 * detail ("async task timed out", "async task cancelled", or the
 * operation's own).  A second join, or a join of the wrong kind (which
 * discards the result), fails with TGM_ERROR_INVALID_ARG. */
TGM_API tgm_error tgm_async_task_join_void(tgm_async_task_t *task);
TGM_API tgm_error tgm_async_task_join_size(tgm_async_task_t *task, uint64_t *out);
/* *out: free with tgm_bytes_free. */
TGM_API tgm_error tgm_async_task_join_bytes(tgm_async_task_t *task, tgm_bytes_t *out);
/* *out: free with tgm_message_free. */
TGM_API tgm_error tgm_async_task_join_message(tgm_async_task_t *task, tgm_message_t **out);
/* *out: free with tgm_metadata_free. */
TGM_API tgm_error tgm_async_task_join_metadata(tgm_async_task_t *task, tgm_metadata_t **out);
/* *out: close with tgm_async_file_close. */
TGM_API tgm_error tgm_async_task_join_async_file(tgm_async_task_t *task, tgm_async_file_t **out);
/* *out_array of *out_count buffers: free with tgm_multi_bytes_free. */
TGM_API tgm_error tgm_async_task_join_multi_bytes(tgm_async_task_t *task, tgm_bytes_t **out_array,
                                                  size_t *out_count);
/* *out: free with tgm_async_streaming_encoder_free. */
TGM_API tgm_error tgm_async_task_join_async_streaming_encoder(tgm_async_task_t *task,
                                                              tgm_async_streaming_encoder_t **out);
/* Free an array from tgm_async_task_join_multi_bytes and its buffers. */
TGM_API void tgm_multi_bytes_free(tgm_bytes_t *array, size_t count);

/* Open a local file (resolves to an async file; a missing file gives
 * TGM_ERROR_IO). */
TGM_API tgm_error tgm_async_file_open(const char *path, tgm_cancellation_token_t *cancel,
                                      uint64_t timeout_ms, tgm_async_task_t **out_task);
/* Open a remote file by URL (http://, https://, s3://, file://) with
 * storage options as nopts key / value pairs (see docs/remote.md for the
 * keys).  bidirectional scans the message index from both ends.  A build
 * without remote access resolves the task with TGM_ERROR_REMOTE. */
TGM_API tgm_error tgm_async_file_open_remote(const char *url, const char *const *storage_keys,
                                             const char *const *storage_values, size_t nopts,
                                             bool bidirectional, tgm_cancellation_token_t *cancel,
                                             uint64_t timeout_ms, tgm_async_task_t **out_task);
/* The path or URL given to open (NULL for NULL); valid until close. */
TGM_API const char *tgm_async_file_path(const tgm_async_file_t *file);
/* Release the caller's handle (NULL is ignored); tasks in flight keep the
 * file open until they finish. */
TGM_API void tgm_async_file_close(tgm_async_file_t *file);

/* The file operations, as their synchronous tgm_file_* counterparts.
 * message_count resolves to a size, read_message to bytes,
 * decode_message / decode_object to a message (decode_object's holds one
 * object), decode_metadata to metadata, and decode_range to one buffer per
 * (offsets[i], counts[i]) element range.  threads = 0 as everywhere. */
TGM_API tgm_error tgm_async_file_message_count(tgm_async_file_t *file,
                                               tgm_cancellation_token_t *cancel,
                                               uint64_t timeout_ms, tgm_async_task_t **out_task);
TGM_API tgm_error tgm_async_file_read_message(tgm_async_file_t *file, size_t index,
                                              tgm_cancellation_token_t *cancel, uint64_t timeout_ms,
                                              tgm_async_task_t **out_task);
TGM_API tgm_error tgm_async_file_decode_message(tgm_async_file_t *file, size_t index,
                                                bool native_byte_order, uint32_t threads,
                                                bool restore_non_finite, bool verify_hash,
                                                tgm_cancellation_token_t *cancel,
                                                uint64_t timeout_ms, tgm_async_task_t **out_task);
TGM_API tgm_error tgm_async_file_decode_metadata(tgm_async_file_t *file, size_t index,
                                                 tgm_cancellation_token_t *cancel,
                                                 uint64_t timeout_ms, tgm_async_task_t **out_task);
TGM_API tgm_error tgm_async_file_decode_object(tgm_async_file_t *file, size_t msg_index,
                                               size_t obj_index, bool native_byte_order,
                                               uint32_t threads, bool restore_non_finite,
                                               bool verify_hash, tgm_cancellation_token_t *cancel,
                                               uint64_t timeout_ms, tgm_async_task_t **out_task);
TGM_API tgm_error tgm_async_file_decode_range(tgm_async_file_t *file, size_t msg_index,
                                              size_t obj_index, const uint64_t *offsets,
                                              const uint64_t *counts, size_t n_ranges,
                                              bool native_byte_order, uint32_t threads,
                                              tgm_cancellation_token_t *cancel, uint64_t timeout_ms,
                                              tgm_async_task_t **out_task);

/* Asynchronous streaming encoder writing one message to a local file, as
 * tgm_streaming_encoder_* does.  create validates metadata_json (METADATA
 * error at once) and resolves once the preamble and header are written.
 * write_object / write_pre_encoded copy `data` before returning;
 * descriptor_json and metadata_json are validated at once.  finish writes
 * the footer (with backfill, the real total length in the preamble and
 * postamble); afterwards every operation resolves with TGM_ERROR_FRAMING
 * ("encoder already finished").  Freeing an encoder that was not finished
 * leaves an incomplete message in the file. */
TGM_API tgm_error tgm_async_streaming_encoder_create(const char *path, const char *metadata_json,
                                                     const char *hash_algo, uint32_t threads,
                                                     tgm_cancellation_token_t *cancel,
                                                     uint64_t timeout_ms,
                                                     tgm_async_task_t **out_task);
TGM_API tgm_error tgm_async_streaming_encoder_write_object(
    tgm_async_streaming_encoder_t *enc, const char *descriptor_json, const uint8_t *data,
    size_t len, tgm_cancellation_token_t *cancel, uint64_t timeout_ms, tgm_async_task_t **out_task);
TGM_API tgm_error tgm_async_streaming_encoder_write_pre_encoded(
    tgm_async_streaming_encoder_t *enc, const char *descriptor_json, const uint8_t *data,
    size_t len, tgm_cancellation_token_t *cancel, uint64_t timeout_ms, tgm_async_task_t **out_task);
TGM_API tgm_error tgm_async_streaming_encoder_write_preceder(tgm_async_streaming_encoder_t *enc,
                                                             const char *metadata_json,
                                                             tgm_cancellation_token_t *cancel,
                                                             uint64_t timeout_ms,
                                                             tgm_async_task_t **out_task);
TGM_API tgm_error tgm_async_streaming_encoder_finish(tgm_async_streaming_encoder_t *enc,
                                                     bool backfill,
                                                     tgm_cancellation_token_t *cancel,
                                                     uint64_t timeout_ms,
                                                     tgm_async_task_t **out_task);
/* Objects written so far, without waiting (see TgmObjectCountStatus). */
TGM_API TgmObjectCountStatus tgm_async_streaming_encoder_try_object_count(
    const tgm_async_streaming_encoder_t *enc, size_t *out_count);
/* The same as one number: SIZE_MAX for every status but OK. */
TGM_API size_t tgm_async_streaming_encoder_object_count(const tgm_async_streaming_encoder_t *enc);
/* The path given to create (NULL for NULL); valid until free. */
TGM_API const char *tgm_async_streaming_encoder_path(const tgm_async_streaming_encoder_t *enc);
TGM_API void tgm_async_streaming_encoder_free(tgm_async_streaming_encoder_t *enc);

/* ======================================================================
 * Additions of Tensogram for C (not in the reference header)
 * ====================================================================== */

#define TGM_VERSION_MAJOR 0
#define TGM_VERSION_MINOR 1
#define TGM_VERSION_PATCH 0
#define TGM_VERSION_STRING "0.1.0"
#define TGM_VERSION_NUMBER (TGM_VERSION_MAJOR * 10000 + TGM_VERSION_MINOR * 100 + TGM_VERSION_PATCH)

/* Library version of the loaded library, as TGM_VERSION_NUMBER and
 * TGM_VERSION_STRING; compare with the macros to detect a header/library
 * mismatch. */
TGM_API unsigned tgm_version_number(void);
TGM_API const char *tgm_version_string(void);

/* Object index attached to the last TGM_ERROR_MISSING_HASH or
 * TGM_ERROR_HASH_MISMATCH on this thread, or -1. */
TGM_API int64_t tgm_last_error_object_index(void);

/* Record `code` and a detail text (printf-style, used verbatim, no category
 * prefix added) as this thread's last error, and return `code`.  This is how
 * code layered on the library (libtensogram_convert, language bindings)
 * reports its own failures through the one tgm_last_error().  The text of
 * tgm_last_error() may be passed as an argument ("%s: %s", context,
 * tgm_last_error()).  Texts longer than 4095 bytes are cut. */
TGM_API tgm_error tgm_set_last_error(tgm_error code, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* What the data buffers given to tgm_encode_ex hold. */
typedef enum {
    TGM_INPUT_RAW = 0,         /* raw values: the descriptor's pipeline is applied */
    TGM_INPUT_PRE_ENCODED = 1, /* already encoded payloads (as tgm_encode_pre_encoded) */
    TGM_INPUT_STORED = 2       /* stored payloads with their masks (as tgm_encode_stored) */
} tgm_encode_input;

/* Every encoding option in one versioned struct.  Start from
 * TGM_ENCODE_OPTIONS_INIT (or zero it and set `size`): fields added by
 * later versions go at the end, and `size` tells the library which fields
 * the caller knows about. */
typedef struct {
    size_t size;           /* sizeof(tgm_encode_options) */
    const char *hash_algo; /* "xxh3", or NULL / "none" for no hashes */
    uint32_t threads;      /* 0 = TENSOGRAM_THREADS or 1 */
    /* NaN / Inf handling; NULL refuses non-finite values. */
    const TgmEncodeMaskOptions *mask_options;
    /* Aggregate hash frame placement when hashing (WIRE_FORMAT §6.3):
     * NULL or "auto" (= "header", what tgm_encode writes), "header",
     * "footer", "both" or "none" (per-frame hashes only).  Other names:
     * TGM_ERROR_INVALID_ARG. */
    const char *aggregate_hash;
    int32_t input; /* tgm_encode_input */
} tgm_encode_options;

#define TGM_ENCODE_OPTIONS_INIT                                                                    \
    { sizeof(tgm_encode_options), NULL, 0, NULL, NULL, TGM_INPUT_RAW }

/* tgm_encode with every option (NULL options = TGM_ENCODE_OPTIONS_INIT,
 * i.e. no hashes).  tgm_encode_ex_into writes into caller memory with the
 * contract of tgm_encode_into; tgm_file_append_ex encodes and appends. */
TGM_API tgm_error tgm_encode_ex(const char *metadata_json, const uint8_t *const *data_ptrs,
                                const size_t *data_lens, size_t num_objects,
                                const tgm_encode_options *options, tgm_bytes_t *out);
TGM_API tgm_error tgm_encode_ex_into(const char *metadata_json, const uint8_t *const *data_ptrs,
                                     const size_t *data_lens, size_t num_objects,
                                     const tgm_encode_options *options, uint8_t *dst,
                                     size_t dst_capacity, size_t *out_len);
TGM_API tgm_error tgm_file_append_ex(tgm_file_t *file, const char *metadata_json,
                                     const uint8_t *const *data_ptrs, const size_t *data_lens,
                                     size_t num_objects, const tgm_encode_options *options);

/* Encode into caller memory (dst, dst_capacity bytes).  On success
 * *out_len is the message length.  When the capacity is too small the
 * call fails with TGM_ERROR_INVALID_ARG, writes nothing useful, and sets
 * *out_len to the size needed. */
TGM_API tgm_error tgm_encode_into(const char *metadata_json, const uint8_t *const *data_ptrs,
                                  const size_t *data_lens, size_t num_objects,
                                  const char *hash_algo, uint32_t threads,
                                  const TgmEncodeMaskOptions *mask_options, uint8_t *dst,
                                  size_t dst_capacity, size_t *out_len);

/* Decode object `index` into caller memory.  *out_len receives the decoded
 * size; with dst NULL nothing is decoded (size query).  dst_len must be at
 * least that size (TGM_ERROR_INVALID_ARG otherwise). */
TGM_API tgm_error tgm_decode_object_into(const uint8_t *buf, size_t buf_len, size_t index,
                                         int32_t native_byte_order, uint32_t threads,
                                         int32_t verify_hash,
                                         const TgmDecodeMaskOptions *mask_options, void *dst,
                                         size_t dst_len, size_t *out_len);

/* Zero-copy access: when object `index` is stored exactly as its decoded
 * values (no encoding, filter, compression or masks, native byte order),
 * *data points into `buf` (valid as long as buf is) and *len is its size.
 * Otherwise *data is NULL and *len the decoded size: decode instead. */
TGM_API tgm_error tgm_decode_object_view(const uint8_t *buf, size_t buf_len, size_t index,
                                         const uint8_t **data, size_t *len);

/* Descriptors only: metadata and every object's descriptor, no payload is
 * decoded (tgm_object_data returns NULL / length 0).  Free with
 * tgm_message_free. */
TGM_API tgm_error tgm_decode_descriptors(const uint8_t *buf, size_t buf_len, tgm_message_t **out);

/* Descriptors plus each object's payload exactly as stored (still encoded
 * and compressed, mask blobs included): tgm_object_data returns those
 * bytes.  Together with tgm_object_descriptor_json this feeds
 * tgm_encode_pre_encoded to rewrite metadata without re-encoding data. */
TGM_API tgm_error tgm_decode_encoded(const uint8_t *buf, size_t buf_len, tgm_message_t **out);

/* Like tgm_encode_pre_encoded, for payloads exactly as a message stores
 * them (tgm_decode_encoded gives them): compressed objects with encoding
 * "none" and payloads followed by NaN/Inf mask blobs (the descriptor's
 * "masks" entries locate them) are accepted too.  Rewrites metadata without
 * decoding or re-encoding any value. */
TGM_API tgm_error tgm_encode_stored(const char *metadata_json, const uint8_t *const *data_ptrs,
                                    const size_t *data_lens, size_t num_objects,
                                    const char *hash_algo, uint32_t threads, tgm_bytes_t *out);

/* A value (any kind, nested ones included) as compact JSON, formatted as
 * tgm_metadata_to_json formats values.  *out is caller-owned. */
TGM_API tgm_error tgm_value_to_json(const tgm_value_t *value, tgm_bytes_t *out);

/* ---- Values as JSON, and JSON documents ------------------------------
 * The value model that tgm_value_t cursors walk (metadata, descriptors)
 * also serves JSON documents the caller reads, builds or edits: the
 * library's own JSON reader and writer, so that a program needs no JSON
 * code of its own to reshape what the library prints (reports, metadata)
 * and to hand metadata back to the encoder. */

/* JSON output styles (flags, combinable; 0 = compact, keys sorted). */
#define TGM_JSON_PRETTY 1u     /* two-space indentation (serde_json's to_string_pretty) */
#define TGM_JSON_KEEP_ORDER 2u /* map entries as stored, not sorted by key */

/* tgm_value_to_json with a style.  Numbers print as the library prints
 * them everywhere (integers exactly, floats in shortest round-trip form:
 * "1.0", "0.1", "1e+16"; non-finite floats as null), strings with
 * serde_json's escapes, byte strings as lowercase hex. */
TGM_API tgm_error tgm_value_to_json_ex(const tgm_value_t *value, uint32_t flags, tgm_bytes_t *out);

/* Whether two values are equal: the same kind and value (integers exactly,
 * floats by bit pattern, so 1 != 1.0 and -0.0 != 0.0), arrays element by
 * element, maps with the same keys each holding an equal value, in any
 * order.  Either being NULL, or nesting deeper than 1024 levels, compares
 * unequal. */
TGM_API bool tgm_value_equal(const tgm_value_t *a, const tgm_value_t *b);

/* A JSON document: a tree of values owned by the document, reached through
 * the tgm_value_* cursors.  Read one with tgm_json_parse (the reader that
 * reads metadata: RFC 8259, integers exact, floats as serde_json reads
 * them; objects become maps whose members are sorted by key, the last of
 * duplicate keys winning, or with TGM_JSON_KEEP_ORDER stay in document
 * order, duplicates included), or start an empty one (root null) with
 * tgm_json_new.  Parse errors: TGM_ERROR_METADATA with the position
 * ("failed to parse metadata JSON: expected value at line 1 column 2").
 * Print with tgm_value_to_json_ex(tgm_json_root(doc), ...).  Free with
 * tgm_json_free; cursors into the document are valid until then. */
typedef struct tgm_json_t tgm_json_t;
TGM_API tgm_error tgm_json_parse(const char *text, size_t len, uint32_t flags, tgm_json_t **out);
TGM_API tgm_error tgm_json_new(tgm_json_t **out);
TGM_API const tgm_value_t *tgm_json_root(const tgm_json_t *doc);
TGM_API void tgm_json_free(tgm_json_t *doc);

/* Editing a document.  The functions below change values of `doc` through
 * mutable handles (tgm_value_t *), which come from tgm_json_edit, and from
 * tgm_json_map_member and tgm_json_array_append.  Growing or shrinking an
 * array or map (appending, adding a member, removing members) or replacing
 * a value (tgm_json_set_*) moves what it contains: handles and cursors to
 * the members of that container, or inside the replaced value, are stale
 * afterwards and must be fetched again.  Errors: TGM_ERROR_INVALID_ARG (a
 * NULL argument, a handle of another kind than the function needs,
 * strings that are not UTF-8) and, out of memory, TGM_ERROR_ENCODING ("out
 * of memory allocating ..."); the NULL-returning functions say why through
 * tgm_last_error. */

/* A mutable handle for `v`, which must be the root of doc or a value in
 * it reached through cursors; NULL (TGM_ERROR_INVALID_ARG) when v does not
 * lie in doc. */
TGM_API tgm_value_t *tgm_json_edit(tgm_json_t *doc, const tgm_value_t *v);

/* Replace the value at handle v. */
TGM_API tgm_error tgm_json_set_null(tgm_json_t *doc, tgm_value_t *v);
TGM_API tgm_error tgm_json_set_bool(tgm_json_t *doc, tgm_value_t *v, bool b);
TGM_API tgm_error tgm_json_set_i64(tgm_json_t *doc, tgm_value_t *v, int64_t i);
TGM_API tgm_error tgm_json_set_u64(tgm_json_t *doc, tgm_value_t *v, uint64_t u);
/* Non-finite floats are stored (tgm_value_as_f64 returns them) and print
 * as null. */
TGM_API tgm_error tgm_json_set_f64(tgm_json_t *doc, tgm_value_t *v, double d);
/* s holds len bytes of UTF-8 (copied). */
TGM_API tgm_error tgm_json_set_string(tgm_json_t *doc, tgm_value_t *v, const char *s, size_t len);
/* An empty array / an empty map. */
TGM_API tgm_error tgm_json_set_array(tgm_json_t *doc, tgm_value_t *v);
TGM_API tgm_error tgm_json_set_map(tgm_json_t *doc, tgm_value_t *v);
/* A deep copy of src, a value from anywhere (this or another document,
 * metadata, a descriptor; v itself or a value inside it too).  Nesting
 * deeper than 1024 levels is refused. */
TGM_API tgm_error tgm_json_set_copy(tgm_json_t *doc, tgm_value_t *v, const tgm_value_t *src);

/* The value of the member `key` (key[0..klen), UTF-8) of the map at
 * handle `map`, for editing: the first one when the key occurs more than
 * once (as tgm_value_map_get); when absent, a new member (value null) is
 * added at the end. */
TGM_API tgm_value_t *tgm_json_map_member(tgm_json_t *doc, tgm_value_t *map, const char *key,
                                         size_t klen);
/* Remove every member `key` of the map at handle `map`; the count removed
 * in *removed (optional). */
TGM_API tgm_error tgm_json_map_remove(tgm_json_t *doc, tgm_value_t *map, const char *key,
                                      size_t klen, size_t *removed);
/* A new element (null) at the end of the array at handle `array`. */
TGM_API tgm_value_t *tgm_json_array_append(tgm_json_t *doc, tgm_value_t *array);

/* The object's full descriptor as a map cursor (the map
 * tgm_object_descriptor_json prints); NULL when out of range.  Valid until
 * the message is freed. */
TGM_API const tgm_value_t *tgm_object_descriptor(const tgm_message_t *msg, size_t index);

/* The object's full descriptor (every key, parameters included) as a JSON
 * object, e.g. {"byte_order":"little","compression":"szip",...,
 * "szip_block_offsets":[0,...]}.  NULL when out of range; valid until the
 * message is freed. */
TGM_API const char *tgm_object_descriptor_json(const tgm_message_t *msg, size_t index);

/* Durability of appends: fdatasync the file, and its directory when the
 * handle created the file.  Until then an acknowledged append survives a
 * crash of the process but not necessarily a power loss or a kernel crash.
 * TGM_ERROR_IO when the system reports a write-back failure (the messages
 * appended since the last sync may then be lost). */
TGM_API tgm_error tgm_file_sync(tgm_file_t *file);

/* Per-message access to files, reading only what is needed (messages over
 * 64 KiB are viewed through a memory mapping, made after checking the file
 * still holds them; an object is reached through the message's index).  A
 * message no longer in the file (another program truncated or rewrote it)
 * gives TGM_ERROR_IO "changed underneath" and the handle rescans.
 * Message indexes out of range give TGM_ERROR_FRAMING, as
 * tgm_file_read_message does. */
TGM_API tgm_error tgm_file_message_layout(tgm_file_t *file, size_t index, uint64_t *offset,
                                          uint64_t *length);
TGM_API tgm_error tgm_file_decode_metadata(tgm_file_t *file, size_t index, tgm_metadata_t **out);
TGM_API tgm_error tgm_file_decode_descriptors(tgm_file_t *file, size_t index, tgm_message_t **out);
TGM_API tgm_error tgm_file_decode_object(tgm_file_t *file, size_t msg_index, size_t obj_index,
                                         int32_t native_byte_order, uint32_t threads,
                                         int32_t verify_hash, tgm_message_t **out);
TGM_API tgm_error tgm_file_decode_range(tgm_file_t *file, size_t msg_index, size_t obj_index,
                                        const uint64_t *ranges_offsets,
                                        const uint64_t *ranges_counts, size_t num_ranges,
                                        int32_t native_byte_order, uint32_t threads, int32_t join,
                                        tgm_bytes_t *out, size_t *out_count);
TGM_API tgm_error tgm_file_decode_message_with_options(tgm_file_t *file, size_t index,
                                                       int32_t native_byte_order, uint32_t threads,
                                                       int32_t verify_hash,
                                                       const TgmDecodeMaskOptions *mask_options,
                                                       tgm_message_t **out);

/* NaN / Inf restoration options (NULL = restore) for one object and for
 * element ranges; otherwise as tgm_decode_object and tgm_decode_range.
 * Ranges are restored from the masks decoded once per call. */
TGM_API tgm_error tgm_decode_object_with_options(const uint8_t *buf, size_t buf_len, size_t index,
                                                 int32_t native_byte_order, uint32_t threads,
                                                 int32_t verify_hash,
                                                 const TgmDecodeMaskOptions *mask_options,
                                                 tgm_message_t **out);
TGM_API tgm_error tgm_decode_range_with_options(
    const uint8_t *buf, size_t buf_len, size_t object_index, const uint64_t *ranges_offsets,
    const uint64_t *ranges_counts, size_t num_ranges, int32_t native_byte_order, uint32_t threads,
    int32_t join, const TgmDecodeMaskOptions *mask_options, tgm_bytes_t *out, size_t *out_count);

/* The three NaN / Inf mask kinds of WIRE_FORMAT §6.5 (descriptor keys
 * "nan", "inf+", "inf-"). */
typedef enum {
    TGM_MASK_KIND_NAN = 0,
    TGM_MASK_KIND_POS_INF = 1,
    TGM_MASK_KIND_NEG_INF = 2
} tgm_mask_kind_id;

/* Decode every object without restoring NaN / Inf (the values hold the
 * zeros the encoder wrote at masked positions) and keep each object's
 * decoded masks, read with tgm_object_mask.  Arguments as tgm_decode
 * (verify_hash included).  Free *out with tgm_message_free. */
TGM_API tgm_error tgm_decode_with_masks(const uint8_t *buf, size_t buf_len,
                                        int32_t native_byte_order, uint32_t threads,
                                        int32_t verify_hash, tgm_message_t **out);

/* Mask `kind` (a tgm_mask_kind_id) of decoded object `index`, packed as the
 * bitmask dtype packs bits: element i is bit 7 - i % 8 of byte i / 8 (most
 * significant bit first), ceil(n / 8) bytes, trailing bits zero.  *n_bits
 * (may be NULL) receives the element count n.  NULL (and *n_bits = 0)
 * when the object stores no mask of that kind, when the message was not
 * decoded by tgm_decode_with_masks, or for an index or kind out of range.
 * Valid until tgm_message_free. */
TGM_API const uint8_t *tgm_object_mask(const tgm_message_t *msg, size_t index, int32_t kind,
                                       uint64_t *n_bits);

/* The NaN / Inf mask methods TgmEncodeMaskOptions accepts, one per index
 * from 0 ("none", "rle", "roaring", "lz4", "zstd", "blosc2"), NULL past the
 * last: for front ends that check or list them (the library's list is the
 * only one).  A method whose codec is not built in is listed; encoding
 * with it fails. */
TGM_API const char *tgm_mask_method_name(size_t index);

/* The compressions the format defines, one per index from 0 ("none",
 * "szip", "zstd", "lz4", "blosc2", "zfp", "sz3", "rle", "roaring"), NULL
 * past the last: for front ends that tell them apart from user codecs'
 * names (tensogram/codec.h) or list them (the library's list is the only
 * one).  A compression whose codec is not built in is listed; encoding or
 * decoding with it fails. */
TGM_API const char *tgm_compression_name(size_t index);

/* Cap on the bytes one decoding call may produce (one object, the sum
 * over a message, or one range), checked before anything is allocated;
 * a call over it fails with TGM_ERROR_OBJECT.  0 means no cap.  The
 * initial value comes from TENSOGRAM_MAX_OBJECT_BYTES (bytes, or with a
 * K/M/G/T suffix; unset = no cap), read on first use; the setter replaces
 * it for every thread.  docs/security.md explains when to set it. */
TGM_API void tgm_set_max_object_bytes(uint64_t max_bytes);
TGM_API uint64_t tgm_max_object_bytes(void);

/* ---- Remote files: http(s)://, s3://, gs://, az:// (docs/remote.md) ----
 *
 * A remote .tgm file is read with HTTP range requests, fetching only the
 * bytes an operation needs: one request opens it, messages are found by
 * reading preambles and postambles, a message's metadata and index come
 * from its two ends, an object from its frame alone.  Every tgm_file_*
 * read works on it (appends fail with TGM_ERROR_REMOTE); the handle is
 * thread-safe like a local one.  Failures (unreachable host, HTTP errors,
 * a server that ignores Range, an object that changes while being read)
 * give TGM_ERROR_REMOTE with the status and URL (without credentials) in
 * tgm_last_error(); transient ones (429, 5xx, dropped connections) are
 * retried first.  A build without libcurl fails every remote open with
 * TGM_ERROR_REMOTE "remote access is not built in". */

/* 1 when `source` names a remote object: a URL whose scheme is http,
 * https, s3, s3a, gs, az or azure (any case), else 0 (a local path). */
TGM_API int32_t tgm_is_remote_url(const char *source);

/* How a remote file is searched for messages.  Start from
 * TGM_SCAN_OPTIONS_INIT; `size` lets later versions add fields. */
typedef struct {
    size_t size;           /* sizeof(tgm_scan_options) */
    int32_t bidirectional; /* 1 (default): each round trip reads ahead from the front and
                              back from the end; 0: front only.  Same messages either way. */
} tgm_scan_options;

#define TGM_SCAN_OPTIONS_INIT                                                                      \
    { sizeof(tgm_scan_options), 1 }

/* Open a remote file.  Storage options are num_options pairs
 * storage_keys[i] = storage_values[i] (both arrays may be NULL when
 * num_options is 0), with the reference's keys: "aws_access_key_id",
 * "region", "endpoint", "allow_http", "timeout" ("30s"), ... (the table is
 * in docs/remote.md); an unknown key is TGM_ERROR_INVALID_ARG.  scan may be
 * NULL (TGM_SCAN_OPTIONS_INIT).  Exactly one range request is made here:
 * it reads the first bytes and learns the size.  *out is freed with
 * tgm_file_close; tgm_file_path returns the URL. */
TGM_API tgm_error tgm_file_open_remote(const char *url, const char *const *storage_keys,
                                       const char *const *storage_values, size_t num_options,
                                       const tgm_scan_options *scan, tgm_file_t **out);

/* Open a local path (as tgm_file_open; storage options must then be
 * empty, scan options do not apply) or a remote URL (as
 * tgm_file_open_remote), whichever tgm_is_remote_url says `source` is. */
TGM_API tgm_error tgm_file_open_source(const char *source, const char *const *storage_keys,
                                       const char *const *storage_values, size_t num_options,
                                       const tgm_scan_options *scan, tgm_file_t **out);

/* 1 for a file opened from a URL, else 0. */
TGM_API int32_t tgm_file_is_remote(const tgm_file_t *file);

/* Object obj_index of each of the n messages msg_indices[i], decoded into
 * out[i] (an array of n pointers the caller provides; free each with
 * tgm_message_free).  On a remote file the layouts not yet known are read
 * in one batch of concurrent requests, then every object frame in another
 * (neighbouring ranges coalesced into one request); local files decode
 * from their mapping.  On failure every out[i] is NULL. */
TGM_API tgm_error tgm_file_decode_object_batch(tgm_file_t *file, const size_t *msg_indices,
                                               size_t n, size_t obj_index,
                                               int32_t native_byte_order, uint32_t threads,
                                               int32_t verify_hash, tgm_message_t **out);

/* Element ranges of object obj_index of each of the n messages, read as
 * tgm_file_decode_object_batch reads objects and decoded as
 * tgm_file_decode_range decodes them.  out holds n * (join ? 1 :
 * num_ranges) buffers (caller's array): message i's parts start at
 * out[i * (join ? 1 : num_ranges)]; free each with tgm_bytes_free.  On
 * failure nothing is left in out. */
TGM_API tgm_error tgm_file_decode_range_batch(tgm_file_t *file, const size_t *msg_indices, size_t n,
                                              size_t obj_index, const uint64_t *ranges_offsets,
                                              const uint64_t *ranges_counts, size_t num_ranges,
                                              int32_t native_byte_order, uint32_t threads,
                                              int32_t join, tgm_bytes_t *out);

/* Learn where the given messages are and read their layouts (metadata and
 * index) now, in one batch of concurrent requests on a remote file, so
 * later per-message calls need no request for them.  Local files: the
 * scan only. */
TGM_API tgm_error tgm_file_prefetch_layouts(tgm_file_t *file, const size_t *msg_indices, size_t n);

/* The element type name ("float32", ...) of object obj_index of message
 * msg_index, without decoding values: on a remote file known for free
 * after any read of that object (decode, range, descriptors, batches),
 * else read with the message's descriptors.  *out is a static string. */
TGM_API tgm_error tgm_file_object_dtype(tgm_file_t *file, size_t msg_index, size_t obj_index,
                                        const char **out);

/* Size in bytes of the file (local: now; remote: as first read). */
TGM_API tgm_error tgm_file_size(tgm_file_t *file, uint64_t *out);

/* tgm_validate_file for a local path or a remote URL (with storage options
 * as tgm_file_open_remote): a remote object is read whole (in parallel
 * range requests), then validated exactly as a local file. */
TGM_API tgm_error tgm_validate_source(const char *source, const char *const *storage_keys,
                                      const char *const *storage_values, size_t num_options,
                                      const char *level, int32_t check_canonical, tgm_bytes_t *out);

/* Requests a remote file has made so far (each retry counts), of which
 * retries, and bytes received.  All zero for a local file. */
typedef struct {
    uint64_t requests;
    uint64_t retries;
    uint64_t bytes;
} tgm_remote_stats_t;

TGM_API tgm_error tgm_file_remote_stats(const tgm_file_t *file, tgm_remote_stats_t *out);

/* ---- Small messages: metadata as a document (docs/encoder.md) ----------
 *
 * tgm_encode_ex and tgm_encode_ex_into with the metadata given as a JSON
 * document (tgm_json_t: parsed, or built and edited with tgm_json_*)
 * instead of JSON text: no text is written or read.  The document holds
 * what the JSON text would ("base", "descriptors", "_extra_" / "extra",
 * other top-level keys), and a document encodes to the same bytes as its
 * text printed by tgm_value_to_json_ex(tgm_json_root(doc), 0, ...) (maps
 * whose members are out of order or repeated count as that text does:
 * sorted, the last of a repeated key winning).  Beyond the text:
 * non-finite floats are written as they are (as the words NaN / Infinity
 * in JSON text are), as are byte strings.  A map key that is not a string,
 * or nesting deeper than 127 levels: TGM_ERROR_METADATA.  Other errors,
 * out_len and ownership as tgm_encode_ex / tgm_encode_ex_into; the
 * document is only read (one document may feed concurrent calls while no
 * thread edits it). */
TGM_API tgm_error tgm_encode_doc(const tgm_json_t *metadata, const uint8_t *const *data_ptrs,
                                 const size_t *data_lens, size_t num_objects,
                                 const tgm_encode_options *options, tgm_bytes_t *out);
TGM_API tgm_error tgm_encode_doc_into(const tgm_json_t *metadata, const uint8_t *const *data_ptrs,
                                      const size_t *data_lens, size_t num_objects,
                                      const tgm_encode_options *options, uint8_t *dst,
                                      size_t dst_capacity, size_t *out_len);

/* ---- Small messages: encoders (docs/encoder.md) ------------------------
 *
 * An encoder reads the metadata and descriptors once (JSON text, or a
 * document) with the options, then encodes any number of messages from
 * new data pointers, each the bytes tgm_encode_ex would write for the
 * same metadata, data and options at that moment (provenance: a new UUID
 * and time stamp per message).  TENSOGRAM_PROVENANCE and, for threads =
 * 0, TENSOGRAM_THREADS are read when the encoder is created.  When every object is stored as given
 * (encoding, filter and compression "none", TGM_INPUT_RAW, and for float dtypes no allow_nan /
 * allow_inf), the first message lays out the metadata and descriptor frames and later messages with
 * the same data lengths reuse them: per message, only the UUID and time are written in, the
 * payloads copied (and checked for NaN / Inf, and hashed).  Other encoders save the reading of the
 * metadata and descriptors.
 *
 * create: errors as tgm_encode_ex for the metadata and options (the
 * descriptor count fixes num_objects; tgm_encoder_num_objects gives it).
 * encode / encode_into: as tgm_encode_ex / tgm_encode_ex_into, num_objects
 * must be the encoder's.  An encoder is used by one thread at a time;
 * different encoders are independent.  tgm_encoder_free(NULL) is a no-op. */
typedef struct tgm_encoder_t tgm_encoder_t;
TGM_API tgm_error tgm_encoder_create(const char *metadata_json, const tgm_encode_options *options,
                                     tgm_encoder_t **out);
/* The document is read during the call only (rules of tgm_encode_doc). */
TGM_API tgm_error tgm_encoder_create_doc(const tgm_json_t *metadata,
                                         const tgm_encode_options *options, tgm_encoder_t **out);
TGM_API size_t tgm_encoder_num_objects(const tgm_encoder_t *enc);
TGM_API tgm_error tgm_encoder_encode(tgm_encoder_t *enc, const uint8_t *const *data_ptrs,
                                     const size_t *data_lens, size_t num_objects, tgm_bytes_t *out);
TGM_API tgm_error tgm_encoder_encode_into(tgm_encoder_t *enc, const uint8_t *const *data_ptrs,
                                          const size_t *data_lens, size_t num_objects, uint8_t *dst,
                                          size_t dst_capacity, size_t *out_len);
TGM_API void tgm_encoder_free(tgm_encoder_t *enc);

/* Change one metadata value for the following messages: key `key` (a
 * top-level key, UTF-8, NUL-terminated; added when absent) of object
 * `object`'s base entry, or with object = TGM_ENCODER_EXTRA of the
 * message-level _extra_.  The value is copied.  A new value that encodes
 * to as many CBOR bytes as the old one (an integer of the same magnitude
 * class, a string of the same length, ...) is written into the laid-out
 * metadata in place; otherwise the next message lays it out again.
 * TGM_ERROR_INVALID_ARG for an object index out of range or invalid
 * UTF-8; TGM_ERROR_METADATA for the key "_reserved_", and (set_value) for
 * a value a document could not encode (see tgm_encode_doc). */
#define TGM_ENCODER_EXTRA ((size_t)-1)
TGM_API tgm_error tgm_encoder_set_i64(tgm_encoder_t *enc, size_t object, const char *key,
                                      int64_t value);
TGM_API tgm_error tgm_encoder_set_f64(tgm_encoder_t *enc, size_t object, const char *key,
                                      double value);
/* value[0..len) */
TGM_API tgm_error tgm_encoder_set_string(tgm_encoder_t *enc, size_t object, const char *key,
                                         const char *value, size_t len);
/* A copy of any value (a document's, a decoded message's). */
TGM_API tgm_error tgm_encoder_set_value(tgm_encoder_t *enc, size_t object, const char *key,
                                        const tgm_value_t *value);

/* ---- Payloads filled in place (extension; docs/encode_fill.md) ---------
 *
 * Encode a message whose values the caller writes straight into it (a
 * reader such as nc_get_var filling the payload), with no copy of the
 * data by the library:
 *
 *   begin   the metadata and descriptors (as tgm_encode_ex's JSON) and the
 *           options; the message is laid out and allocated at once;
 *   slot    object i's writable bytes: exactly the raw size of its values
 *           (shape x dtype width, in the descriptor's byte order);
 *   commit  object i is written: its frame is finished now (the values
 *           checked for NaN / Inf and hashed in one pass, while they are
 *           still in cache);
 *   finish  the message, the bytes tgm_encode_ex would return for the same
 *           metadata, values and options (provenance: drawn at begin).
 *
 * Objects stored as their raw values (encoding, filter and compression
 * "none", no "masks" given) are written in place.  When any object has
 * another pipeline, every slot is instead an input buffer the library
 * owns and finish encodes from them (one read of each, as tgm_encode_ex).
 * A NaN / Inf the mask options allow is replaced and recorded as a mask,
 * which lengthens that object's frame: its commit encodes it the general
 * way (its frame in a buffer of its own), the other objects are still
 * written in place, and finish moves their frames to the final layout
 * (no check or hash again) and copies the masked frames in.
 *
 * commit flags: TGM_ENCODE_FILL_CHECK, the values are checked as
 * tgm_encode_ex checks them (always right); TGM_ENCODE_FILL_FINITE, the
 * caller has itself checked that the values hold no NaN / Inf, and the
 * library does not look (a false claim writes a message holding values
 * that the options refuse: use it only after a check of your own over
 * these very bytes); TGM_ENCODE_FILL_NONFINITE, the caller knows some
 * value is NaN / Inf (the commit masks them as above, or, when the
 * options refuse them, finish reports them as tgm_encode_ex would).  The
 * flags matter for float dtypes only.
 *
 * Rules (TGM_ERROR_INVALID_ARG otherwise): options->input must be
 * TGM_INPUT_RAW; every object's slot is taken and committed before
 * finish; no slot after its object's commit; one commit per object; one
 * finish.  Slots stay valid until finish or free; do not write a slot
 * after its commit.  slot and commit of *different* objects may run on
 * different threads at once; begin, finish and free on one thread.  A
 * commit that fails (a NaN / Inf the options refuse: TGM_ERROR_ENCODING,
 * the text of tgm_encode_ex) fails finish too.  *out of finish is freed
 * with tgm_bytes_free; the handle with tgm_encode_fill_free (NULL: no-op),
 * whatever happened before. */
typedef struct tgm_encode_fill_t tgm_encode_fill_t;
#define TGM_ENCODE_FILL_CHECK 0u
#define TGM_ENCODE_FILL_FINITE 1u
#define TGM_ENCODE_FILL_NONFINITE 2u
TGM_API tgm_error tgm_encode_fill_begin(const char *metadata_json,
                                        const tgm_encode_options *options, tgm_encode_fill_t **out);
TGM_API size_t tgm_encode_fill_num_objects(const tgm_encode_fill_t *fill);
TGM_API tgm_error tgm_encode_fill_slot(tgm_encode_fill_t *fill, size_t index, void **data,
                                       size_t *len);
TGM_API tgm_error tgm_encode_fill_commit(tgm_encode_fill_t *fill, size_t index, uint32_t flags);
/* commit in pieces (ours, an addition to the extension): bytes [offset,
 * offset + len) of object `index`'s slot are written and final; they are
 * checked (as `flags` say, for these bytes) and hashed now, while a reader
 * that just wrote them has left them in cache, and the range that reaches
 * the end of the slot commits the object: the same frame, hash and NaN /
 * Inf outcome as one tgm_encode_fill_commit of it all (flags CHECK
 * throughout is always right; FINITE for a range means the caller checked
 * these very bytes; NONFINITE for any range, the object has NaN / Inf).
 * Ranges of an object come in order from byte 0, each starting where the
 * last ended, on whole elements of its dtype (offset and len multiples of
 * its width), non-empty (an empty slot: one range (0, 0)); they cover the
 * slot exactly.  TGM_ERROR_INVALID_ARG, nothing done, for a range out of
 * order, overlapping, past the end or splitting an element, for
 * tgm_encode_fill_commit of an object being committed in ranges, and at
 * finish for an object whose ranges do not reach its end.  A range
 * holding a NaN / Inf the options refuse fails as commit does (the
 * object is failed).  The ranges of one object run one at a time (any
 * thread, in order: the caller orders them); ranges of different objects
 * may run at once on different threads, as slot and commit do. */
TGM_API tgm_error tgm_encode_fill_commit_range(tgm_encode_fill_t *fill, size_t index, size_t offset,
                                               size_t len, uint32_t flags);
/* slot + a copy of src[0..len) + commit, for values already in memory: the
 * copy, the check and the hash in one pass (where tgm_encode_ex's flags
 * are per call, these are per object).  len must be the object's raw size;
 * the object must not be committed yet.  src must stay valid and unchanged
 * until finish: values to mask, or other pipelines, are read from it
 * (by the commit, or by finish) rather than from a copy of it. */
TGM_API tgm_error tgm_encode_fill_copy(tgm_encode_fill_t *fill, size_t index, const void *src,
                                       size_t len, uint32_t flags);
TGM_API tgm_error tgm_encode_fill_finish(tgm_encode_fill_t *fill, tgm_bytes_t *out);
TGM_API void tgm_encode_fill_free(tgm_encode_fill_t *fill);

#ifdef __cplusplus
}
#endif

/* More additions of Tensogram for C, one header per area. */
#include "tensogram/tensogram_async.h"
#include "tensogram/tensogram_stream.h"
#include "tensogram/tensogram_validate.h"

#endif /* TENSOGRAM_H */
