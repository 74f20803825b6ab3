/*
 * tensogram/codec.h - Tensogram for C: user compression codecs.
 *
 * Not part of the reference API, and not included by tensogram.h: only code
 * that defines or manages codecs needs it (#include <tensogram/codec.h>,
 * which includes tensogram.h).
 *
 * A user codec is a pair of byte-level callbacks registered under a name
 * and a numeric id, in the spirit of c-blosc2's blosc2_register_codec and
 * numcodecs' Codec.  Once registered, a descriptor whose "compression" is
 * that name is compressed and decompressed by the callbacks, after the
 * encoding and filter steps like any built-in compressor:
 *
 *     {"type":"ntensor", ..., "encoding":"none", "filter":"shuffle",
 *      "shuffle_element_size":4, "compression":"xor8", "xor8_key":90}
 *
 * What is written on the wire
 *  - "compression" holds the codec's name.  The encoder adds one
 *    parameter, "user_codec_id": the codec's id.  A decoder compares it
 *    with the id registered under that name and refuses a mismatch (two
 *    different codecs that happen to share a name); a descriptor without
 *    it (written by other software) is decoded by name alone.  Giving
 *    "user_codec_id" yourself is allowed when it equals the codec's id.
 *  - Every other descriptor key the caller gives is stored as is; the
 *    callbacks receive them as a JSON object (tgm_codec_call.params_json),
 *    so a codec reads its own parameters from there.  Prefix them with the
 *    codec's name ("xor8_key") to keep clear of the format's keys.
 *  - Messages that use a user codec are readable only where the same codec
 *    is registered.  Decoding one elsewhere fails with TGM_ERROR_ENCODING:
 *    'unknown compression: xor8 (expected one of: ...); compression "xor8"
 *    is not registered as a user codec'.  Nothing is ever loaded because a
 *    message names it: no plugin search paths, no dlopen.  Copying such a
 *    message's stored payloads (tgm_decode_encoded + tgm_encode_stored)
 *    needs no codec: the descriptor's user_codec_id marks the name as a
 *    user codec's.
 *
 * Names and ids
 *  - Names: 1 to TGM_CODEC_NAME_MAX characters from [A-Za-z0-9_.-].  The
 *    names of the format's compressions (none, szip, zstd, lz4, blosc2,
 *    zfp, sz3, rle, roaring) are reserved, whether built in or not.
 *  - Ids: TGM_CODEC_ID_USER_MIN (160) to TGM_CODEC_ID_USER_MAX (255), the
 *    range c-blosc2 leaves to users.  Lower ids are reserved.
 *  - One name has one id and one id has one name: registering a name again
 *    with another id, or an id again with another name, fails.
 *  - Registering exactly the same definition again (same name, id, flags,
 *    callbacks and user pointer) succeeds and changes nothing: it does not
 *    count as a second registration (one unregister removes it).  The same
 *    name and id with different callbacks or user pointer fails: unregister
 *    the old one first.
 *
 * Threads
 *  - The registry is thread-safe: register, unregister, lookup and list may
 *    be called from any thread, concurrently with encodes and decodes.
 *  - Callbacks run on the thread that called the encode / decode function
 *    or on a worker thread that call starts (with threads > 1 the objects
 *    of a message are processed in parallel), so one codec's callbacks may
 *    run concurrently with themselves, on different data.  They must be
 *    thread-safe, or lock internally.  Every callback started by a library
 *    call has returned when that call returns.
 *  - Callbacks may call any library function, including encode / decode
 *    (even with their own codec) and register / unregister.
 *  - Language bindings with a global interpreter lock: acquire it inside
 *    each callback (PyGILState_Ensure), and release it around library calls
 *    that may run callbacks on worker threads (encode, decode with threads
 *    > 1) and around tgm_unregister_codec, whose release callback may need
 *    it.
 *
 * Unregistering
 *  - tgm_unregister_codec removes the name at once: encodes and decodes
 *    that look the codec up afterwards fail as for any unregistered name.
 *    Callbacks already running finish normally (the library holds a
 *    reference to the codec for the duration of each call), and the
 *    definition's `release` callback, when given, runs exactly once after
 *    the last of them has returned - in tgm_unregister_codec itself when
 *    none is running, otherwise on the thread whose callback finished
 *    last.  Free the codec's state in `release`, not after unregistering.
 *  - A codec that is never unregistered stays registered until the process
 *    exits (its `release` is not called at exit).
 *
 * Callback protocol
 *  - `call`, `src` and `out` are valid during the callback only: copy what
 *    must outlive it.  `src` is read-only.
 *  - Output goes through a tgm_codec_output owned by the library: append
 *    bytes with tgm_codec_output_write, or reserve space, fill it and
 *    commit.  The callback never allocates memory the library must free.
 *  - encode receives the stream produced by the encoding and filter steps
 *    and appends the compressed bytes (any number, zero included).
 *  - decode must produce exactly call->decoded_size bytes: the output
 *    refuses more (tgm_codec_output_write fails, reserve returns NULL) and
 *    the library fails the decode when the callback produces fewer.  The
 *    compressed bytes come from the message and may be hostile: check them.
 *  - decode_range (optional) produces bytes [byte_pos, byte_pos +
 *    byte_size) of the decompressed stream, exactly byte_size bytes; used
 *    by the partial-decode functions (tgm_decode_range), which otherwise
 *    fail for the codec as they do for zstd.
 *  - validate (optional) is called when an object is encoded (pre-encoded
 *    payloads included, stored copies not), before any data is compressed,
 *    to accept or refuse the descriptor's parameters.
 *  - A callback returns TGM_ERROR_OK, or an error code (use
 *    TGM_ERROR_COMPRESSION for bad compressed data, TGM_ERROR_ENCODING or
 *    TGM_ERROR_METADATA for bad parameters; other values are reported as
 *    TGM_ERROR_COMPRESSION) after describing the problem with
 *    tgm_codec_error.  The library's error text then reads
 *    'compression error: user codec "xor8" (id 200) decode: <your text>'.
 *    An output that failed (a write past the expected size, out of memory)
 *    fails the call even if the callback returns TGM_ERROR_OK.
 */
#ifndef TENSOGRAM_CODEC_H
#define TENSOGRAM_CODEC_H

#include "tensogram/tensogram.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TGM_CODEC_ID_USER_MIN 160
#define TGM_CODEC_ID_USER_MAX 255
#define TGM_CODEC_NAME_MAX 63

/* What a callback is told about the call.  Built by the library; valid for
 * the duration of the callback only.  `size` is sizeof(tgm_codec_call) of
 * the library that built it: fields added by later versions go at the end,
 * so check `size` before reading a field your header has and an older
 * library may lack. */
typedef struct tgm_codec_call {
    size_t size;
    const char *name;        /* the codec's registered name */
    uint32_t id;             /* the codec's registered id */
    uint32_t threads;        /* threads the callback may use internally (>= 1) */
    const char *params_json; /* the descriptor's parameters (every key other than type,
                              * ndim, shape, strides, dtype, byte_order, encoding, filter,
                              * compression, masks; user_codec_id included) as a JSON
                              * object with sorted keys, NUL-terminated */
    size_t params_json_len;  /* strlen(params_json) */
    const char *dtype;       /* the object's dtype ("float32", "bitmask", ...) */
    int big_endian;          /* byte order of the object's values (1 big, 0 little) */
    size_t ndim;
    const uint64_t *shape; /* ndim extents */
    size_t typesize;       /* bytes per item of the stream the codec sees: the dtype's width,
                            * 1 after the shuffle filter or for bitmask, the packed width
                            * after simple_packing (what blosc2 uses as its typesize) */
    uint64_t decoded_size; /* bytes of the whole decompressed stream (encode: the input
                            * length; validate: 0) */
} tgm_codec_call;

/* Output of one callback invocation (opaque, owned by the library). */
typedef struct tgm_codec_output tgm_codec_output;

typedef tgm_error (*tgm_codec_encode_fn)(void *user, const tgm_codec_call *call, const uint8_t *src,
                                         size_t src_len, tgm_codec_output *out);
typedef tgm_error (*tgm_codec_decode_fn)(void *user, const tgm_codec_call *call, const uint8_t *src,
                                         size_t src_len, tgm_codec_output *out);
typedef tgm_error (*tgm_codec_decode_range_fn)(void *user, const tgm_codec_call *call,
                                               const uint8_t *src, size_t src_len,
                                               uint64_t byte_pos, uint64_t byte_size,
                                               tgm_codec_output *out);
/* Accept (TGM_ERROR_OK) or refuse the parameters in call->params_json. */
typedef tgm_error (*tgm_codec_validate_fn)(void *user, const tgm_codec_call *call);
/* Last use of `user`: see "Unregistering". */
typedef void (*tgm_codec_release_fn)(void *user);

/* A codec definition, copied by tgm_register_codec (the name too).  Start
 * from TGM_CODEC_DEF_INIT, or zero the struct and set `size`: fields added
 * by later versions go at the end and `size` tells the library which fields
 * the caller knows.  A size smaller than this version's is refused, and so
 * is a larger one whose unknown trailing bytes are not all zero. */
typedef struct tgm_codec_def {
    size_t size;                            /* sizeof(tgm_codec_def) */
    const char *name;                       /* see "Names and ids" */
    uint32_t id;                            /* 160..255 */
    uint32_t flags;                         /* reserved: 0 */
    void *user;                             /* passed to every callback */
    tgm_codec_encode_fn encode;             /* required */
    tgm_codec_decode_fn decode;             /* required */
    tgm_codec_decode_range_fn decode_range; /* optional (NULL) */
    tgm_codec_validate_fn validate;         /* optional (NULL) */
    tgm_codec_release_fn release;           /* optional (NULL) */
} tgm_codec_def;

/* Initializer for a declaration: tgm_codec_def d = TGM_CODEC_DEF_INIT; */
#define TGM_CODEC_DEF_INIT                                                                         \
    { sizeof(tgm_codec_def), NULL, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL }

/* A registered codec, as reported by lookup and list. */
typedef struct tgm_codec_info {
    char name[TGM_CODEC_NAME_MAX + 1];
    uint32_t id;
} tgm_codec_info;

/* ---- registry ------------------------------------------------------------ */

/* Register a codec (see the rules above).  Errors: TGM_ERROR_INVALID_ARG
 * for a NULL or wrongly sized `def`, a bad or reserved name, an id out of
 * range, non-zero flags, a missing encode or decode callback, a name or id
 * already registered differently (the text names the conflicting codec);
 * out of memory. */
TGM_API tgm_error tgm_register_codec(const tgm_codec_def *def);

/* Remove a codec (see "Unregistering").  TGM_ERROR_INVALID_ARG when `name`
 * is NULL or not registered. */
TGM_API tgm_error tgm_unregister_codec(const char *name);

/* Whether `name` / `id` is a registered user codec (built-in compressions
 * are not); fills *out (may be NULL) when it is. */
TGM_API bool tgm_codec_lookup(const char *name, tgm_codec_info *out);
TGM_API bool tgm_codec_lookup_id(uint32_t id, tgm_codec_info *out);

/* The registered user codecs, ordered by id: writes up to `capacity`
 * entries to `out` (may be NULL when capacity is 0) and returns how many
 * codecs are registered (which may exceed capacity).  A snapshot: codecs
 * may come and go right after. */
TGM_API size_t tgm_codec_list(tgm_codec_info *out, size_t capacity);

/* ---- inside a callback ----------------------------------------------------- */

/* Append n bytes.  Errors: TGM_ERROR_COMPRESSION when a decode output
 * would exceed its expected size, out of memory (TGM_ERROR_COMPRESSION);
 * either way the output has failed and so will the call. */
TGM_API tgm_error tgm_codec_output_write(tgm_codec_output *out, const void *data, size_t n);

/* n writable bytes after the current end, valid until the next call on this
 * output; nothing is added until tgm_codec_output_commit.  NULL (and the
 * output has failed) when a decode output cannot take n more bytes or
 * memory runs out.  A zero-byte reservation returns a non-NULL pointer. */
TGM_API uint8_t *tgm_codec_output_reserve(tgm_codec_output *out, size_t n);

/* Add the first n bytes of the last reservation.  TGM_ERROR_INVALID_ARG
 * (the output has failed) when n exceeds it. */
TGM_API tgm_error tgm_codec_output_commit(tgm_codec_output *out, size_t n);

/* Bytes written so far, and the most the output takes (SIZE_MAX for
 * encode, the expected size for decode and decode_range). */
TGM_API size_t tgm_codec_output_len(const tgm_codec_output *out);
TGM_API size_t tgm_codec_output_limit(const tgm_codec_output *out);

/* Describe why the callback fails (printf-style; truncated to 511 bytes);
 * the last message wins.  `call` is the pointer the callback received. */
TGM_API void tgm_codec_error(const tgm_codec_call *call, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#ifdef __cplusplus
}
#endif

#endif /* TENSOGRAM_CODEC_H */
