/* NaN / Inf masks (WIRE_FORMAT §6.5, §6.5.1-§6.5.4).
 *
 * Encode side: tgm__masks_scan_substitute finds the non-finite values of a
 * float payload, rejects the kinds that are not allowed, and produces a copy
 * with those elements zeroed plus one packed bitmask per kind (nan, inf+,
 * inf-).  tgm__masks_append_region compresses the masks behind the encoded
 * payload and reports each blob's method / offset / length for the
 * descriptor's `masks` sub-map.
 *
 * Decode side: tgm__mask_decode turns one blob back into a packed bitmask;
 * tgm__masks_restore writes the canonical NaN / +Inf / -Inf bit patterns at
 * the masked positions of a decoded payload (or of an element range of it).
 *
 * Packed bitmasks: ceil(n / 8) bytes, bit i at byte i / 8, position
 * 7 - (i % 8), trailing bits zero (WIRE_FORMAT §6.5.2).
 *
 * Errors go through common/error.h; every function is thread-safe. */
#ifndef TGM_MASKS_MASKS_H
#define TGM_MASKS_MASKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codecs/blosc2.h"
#include "codecs/codec.h"
#include "common/buf.h"
#include "dtype/dtype.h"
#include "tensogram/tensogram.h"

/* ========================================================================
 * Packed bitmask helpers
 * ====================================================================== */

/* ceil(n_bits / 8) in *nbytes; 1 when it does not fit in size_t. */
int tgm__bitmask_size(uint64_t n_bits, size_t *nbytes);

/* Pack `n` one-byte flags (non-zero = set) into dst (ceil(n / 8) bytes, all
 * written, trailing bits zero). */
void tgm__bitmask_pack(const uint8_t *flags, size_t n, uint8_t *dst);

/* Unpack the first n bits into n bytes of 0 / 1. */
void tgm__bitmask_unpack(const uint8_t *bits, size_t n, uint8_t *dst);

/* Number of ones among the first n_bits bits (trailing bits ignored). */
uint64_t tgm__bitmask_popcount(const uint8_t *bits, uint64_t n_bits);

/* Bit i (0 or 1); the caller keeps i < n_bits. */
static inline int tgm__bitmask_test(const uint8_t *bits, uint64_t i) {
    return (bits[i >> 3] >> (7 - (i & 7))) & 1;
}

/* Index of the first one at or after `from`, or n_bits when none. */
uint64_t tgm__bitmask_next_set(const uint8_t *bits, uint64_t n_bits, uint64_t from);

/* Zero the trailing bits of the last byte (determinism before hashing). */
void tgm__bitmask_clear_tail(uint8_t *bits, uint64_t n_bits);

/* ========================================================================
 * Mask kinds and sets
 * ====================================================================== */

typedef enum tgm_mask_kind {
    TGM_MASK_NAN = 0,     /* descriptor key "nan" */
    TGM_MASK_POS_INF = 1, /* "inf+" */
    TGM_MASK_NEG_INF = 2, /* "inf-" */
    TGM_MASK_KINDS = 3
} tgm_mask_kind;

/* The descriptor key of a kind ("nan", "inf+", "inf-").  Blobs are laid out
 * in kind order (nan, inf+, inf-); the CBOR map sorts the keys as
 * inf+ < inf- < nan. */
const char *tgm__mask_kind_key(tgm_mask_kind kind);
/* Kind of a descriptor key; -1 when it is none of the three. */
int tgm__mask_kind_lookup(const char *key, size_t len);

/* Up to three packed masks over the same n_bits elements.  bits[k] is NULL
 * when kind k has no set bit (no mask is written for it); otherwise it owns
 * ceil(n_bits / 8) bytes from tgm__malloc and count[k] >= 1 is its number of
 * ones. */
typedef struct tgm_mask_set {
    uint64_t n_bits;
    uint8_t *bits[TGM_MASK_KINDS];
    uint64_t count[TGM_MASK_KINDS];
} tgm_mask_set;

void tgm__mask_set_init(tgm_mask_set *set, uint64_t n_bits);
/* Free the masks and reset to empty (n_bits kept). */
void tgm__mask_set_free(tgm_mask_set *set);
/* 1 when no kind has a mask. */
int tgm__mask_set_empty(const tgm_mask_set *set);

/* ========================================================================
 * Encode: detection and substitution
 * ====================================================================== */

/* Scan `n_bytes` of `dtype` elements stored in byte order `big_endian`
 * (1 = big, 0 = little) for NaN / +Inf / -Inf (WIRE_FORMAT §6.5.2):
 *  - float16 / bfloat16 / float32 / float64 by their bit patterns;
 *  - complex64 / complex128 per element with the priority rules: NaN in
 *    either component -> nan; else +Inf in either -> inf+; else -Inf -> inf-;
 *  - integer and bitmask dtypes have no non-finite values: nothing to do.
 * A kind that is not allowed (NaN unless allow_nan, +/-Inf unless
 * allow_inf) fails with TGM_ERROR_ENCODING for the first such element, with
 * the reference's text, e.g. "strict-NaN check: NaN at element 3 of float32
 * array; pass allow_nan=true to substitute with 0.0 and record positions in
 * a mask" (complex adds " (real component)" / " (imaginary component)"
 * after "array").
 *
 * On success `masks` (overwritten; call tgm__mask_set_free later) holds the
 * masks of the kinds found, and *substituted is NULL when no element was
 * non-finite (use `src` as is: no copy was made) or a tgm__malloc'd copy of
 * the n_bytes with every masked element zeroed (both components for
 * complex), which the caller frees.  The scan and the copy are one pass.
 * `threads` (resolved, >= 1) splits large inputs; results do not depend on
 * it.  Errors: ENCODING (disallowed value, n_bytes not a multiple of the
 * element width), out of memory. */
/* Quick check: might `data` (whole float units of `dtype` in the given byte
 * order) hold a NaN or an infinity?  Exact (true only when one is there),
 * branch-free and vectorised; used to check payloads while they are copied.
 * Integer dtypes: always false. */
bool tgm__masks_any_nonfinite(tgm_dtype dtype, int big_endian, const uint8_t *data, size_t n_bytes);

tgm_error tgm__masks_scan_substitute(tgm_dtype dtype, int big_endian, const uint8_t *src,
                                     size_t n_bytes, bool allow_nan, bool allow_inf,
                                     uint32_t threads, uint8_t **substituted, tgm_mask_set *masks);

/* ========================================================================
 * Mask blob methods (WIRE_FORMAT §6.5.1)
 * ====================================================================== */

typedef enum tgm_mask_codec {
    TGM_MASK_CODEC_NONE = 0, /* raw packed bytes */
    TGM_MASK_CODEC_RLE,
    TGM_MASK_CODEC_ROARING, /* the default */
    TGM_MASK_CODEC_LZ4,     /* lz4 of the packed bytes (size-prepended block) */
    TGM_MASK_CODEC_ZSTD,    /* zstd frame of the packed bytes */
    TGM_MASK_CODEC_BLOSC2,  /* blosc2 frame of the packed bytes */
    TGM_MASK_CODEC_COUNT
} tgm_mask_codec;

/* A method with its parameters.  params written to the descriptor:
 *  zstd   {"level": zstd_level} only when zstd_level_set (else level 3 is
 *         used and no params are written);
 *  blosc2 {"codec": tgm__blosc2_inner_name(blosc2_codec),
 *          "level": blosc2_level} (defaults lz4, 5; the level is clamped to
 *         1..9 when compressing, written as given);
 *  others: none. */
typedef struct tgm_mask_method {
    tgm_mask_codec codec;
    bool zstd_level_set;
    int zstd_level;
    tgm_blosc2_inner blosc2_codec;
    int blosc2_level;
} tgm_mask_method;

#define TGM_MASK_ZSTD_DEFAULT_LEVEL 3
#define TGM_MASK_BLOSC2_DEFAULT_LEVEL 5
#define TGM_MASK_SMALL_THRESHOLD_DEFAULT 128

/* "none", "rle", "roaring", "lz4", "zstd", "blosc2"; NULL out of range. */
const char *tgm__mask_codec_name(tgm_mask_codec codec);
/* Every method name, separated by `sep`, each in double quotes when
 * `quoted` ("\"none\" | \"rle\" | ..."), in buf. */
const char *tgm__mask_codec_names(char *buf, size_t cap, const char *sep, bool quoted);
/* Look a method name up (exact, case-sensitive); 0 found, -1 unknown.
 * Records no error. */
int tgm__mask_codec_lookup(const char *name, size_t len, tgm_mask_codec *out);
/* 1 when the method can be used in this build (zstd / lz4 / blosc2 /
 * roaring depend on build options). */
int tgm__mask_codec_available(tgm_mask_codec codec);

/* A method with default parameters. */
void tgm__mask_method_init(tgm_mask_method *m, tgm_mask_codec codec);
/* The default method (roaring). */
void tgm__mask_method_default(tgm_mask_method *m);

/* Parse a user-supplied method name (encode options); NULL name selects the
 * default.  Errors (TGM_ERROR_INVALID_ARG, text without category prefix,
 * as the reference's C API reports it):
 *   unknown mask method "brotli" (expected "none" | "rle" | "roaring" |
 *   "lz4" | "zstd" | "blosc2")
 *   mask method "zstd" requires feature "zstd" which is not compiled in */
tgm_error tgm__mask_method_parse(const char *name, tgm_mask_method *out);

/* Validate one key of a descriptor's masks[kind].params for `method`
 * (allowed: zstd {level}; blosc2 {codec, level}; others none).  Errors
 * (TGM_ERROR_METADATA, reference texts):
 *   mask nan has unknown method "x"; expected one of: none, rle, roaring,
 *   lz4, zstd, blosc2
 *   mask inf+ (method "zstd") has unknown param "lvl"; allowed for this
 *   method: ["level"]
 * Pass param = NULL to check only the method name. */
tgm_error tgm__mask_check_descriptor(tgm_mask_kind kind, const char *method, size_t method_len,
                                     const char *param, size_t param_len);

/* ========================================================================
 * Mask blobs
 * ====================================================================== */

/* Compress the first n_bits bits of `bits` with `requested`, appending the
 * blob to `out` (after out->len).  Small-mask fallback (WIRE_FORMAT §6.5.3):
 * when small_threshold > 0 and ceil(n_bits / 8) <= small_threshold the blob
 * is written as "none" instead.  *used (may be NULL) receives the method
 * actually written, for the descriptor.  The blob for "none" has its
 * trailing bits zeroed.  Errors: ENCODING ("roaring mask encode: ...",
 * "zstd mask encode: ...", method not built in), out of memory; `out` keeps
 * its old length on failure. */
tgm_error tgm__mask_encode(const tgm_mask_method *requested, const uint8_t *bits, uint64_t n_bits,
                           uint64_t small_threshold, tgm_buf *out, tgm_mask_method *used);

/* Decode one blob into `dst` (ceil(n_bits / 8) bytes, caller-owned, fully
 * written, trailing bits zero).  Errors: TGM_ERROR_ENCODING with the
 * reference's shape "bitmask decode (rle): RLE decode error: ...", including
 * a codec that is not built in ("mask method \"zstd\" requires feature
 * ..."). */
tgm_error tgm__mask_decode(tgm_mask_codec codec, const uint8_t *blob, size_t blob_len,
                           uint64_t n_bits, uint8_t *dst);

/* As tgm__mask_decode with the method name from a descriptor; an unknown
 * name fails with TGM_ERROR_ENCODING "unknown mask method \"x\" (expected
 * ...)". */
tgm_error tgm__mask_decode_named(const char *method, size_t method_len, const uint8_t *blob,
                                 size_t blob_len, uint64_t n_bits, uint8_t *dst);

/* Where one kind's blob went. */
typedef struct tgm_mask_entry {
    bool present;
    tgm_mask_method method; /* as written (after the small-mask fallback) */
    uint64_t offset;        /* from the start of the payload region */
    uint64_t length;
} tgm_mask_entry;

/* Append the blobs of every mask in `set` to `region` in kind order
 * (nan, inf+, inf-).  `region` already holds the encoded payload and
 * starts the payload region, so each offset is region->len at the time
 * its blob is appended.  methods[k] is the requested method for kind k.
 * entries[k].present says whether kind k was written.  Errors as
 * tgm__mask_encode; on failure region->len is restored. */
tgm_error tgm__masks_append_region(const tgm_mask_set *set,
                                   const tgm_mask_method methods[TGM_MASK_KINDS],
                                   uint64_t small_threshold, tgm_buf *region,
                                   tgm_mask_entry entries[TGM_MASK_KINDS]);

/* One kind's entry as read from a descriptor's masks sub-map. */
typedef struct tgm_mask_ref {
    bool present;
    const char *method; /* not necessarily NUL-terminated */
    size_t method_len;
    uint64_t offset; /* from the start of the payload region */
    uint64_t length;
} tgm_mask_ref;

/* Decode every present mask of one object: refs[k] locates kind k's blob
 * inside `region` (the frame's payload region, region_len bytes).  `set` is
 * (re)initialised for n_bits and gets one tgm__malloc'd mask per present
 * kind with its popcount.  Errors: TGM_ERROR_FRAMING for a blob outside the
 * region ("mask nan: offset 800 + length 25 exceeds the payload region of
 * 820 bytes"), tgm__mask_decode_named's errors, out of memory; `set` is
 * left empty on failure. */
tgm_error tgm__masks_decode_region(const tgm_mask_ref refs[TGM_MASK_KINDS], const uint8_t *region,
                                   size_t region_len, uint64_t n_bits, tgm_mask_set *set);

/* ========================================================================
 * Decode: restoration (WIRE_FORMAT §6.5.4)
 * ====================================================================== */

/* The canonical bit pattern of `kind` for one element of `dtype` in byte
 * order `big_endian`, written to out (up to 16 bytes); returns its length,
 * or 0 for dtypes without non-finite values (integers, bitmask).
 *   float16 7E00 / 7C00 / FC00      bfloat16 7FC0 / 7F80 / FF80
 *   float32 7FC00000 / 7F800000 / FF800000
 *   float64 7FF8000000000000 / 7FF0000000000000 / FFF0000000000000
 *   complex: the float32 / float64 pattern in both components. */
size_t tgm__mask_canonical_pattern(tgm_dtype dtype, tgm_mask_kind kind, int big_endian,
                                   uint8_t out[16]);

/* Write the canonical pattern of `kind` into data element i (0 <= i <
 * count) wherever bit first_bit + i of `bits` is set.  `data` holds count
 * elements of dtype in byte order big_endian, e.g. a decoded range starting
 * at element first_bit.  No-op for dtypes without non-finite values. */
void tgm__mask_restore_kind(uint8_t *data, tgm_dtype dtype, int big_endian, const uint8_t *bits,
                            uint64_t first_bit, uint64_t count, tgm_mask_kind kind);

/* Restore every mask of `set` over data elements [0, count), which are
 * elements [first, first + count) of the object: nan, then inf+, then inf-
 * (a later kind wins where hostile masks overlap, as in the reference).
 * Errors: TGM_ERROR_FRAMING for the bitmask dtype ("bitmask-companion masks
 * cannot be restored on bitmask-dtype payloads") and for first + count >
 * set->n_bits. */
tgm_error tgm__masks_restore(uint8_t *data, tgm_dtype dtype, int big_endian,
                             const tgm_mask_set *set, uint64_t first, uint64_t count);

#endif
