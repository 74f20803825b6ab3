/* The codec table: everything the library knows about each compressor.
 *
 * Every compression the format defines ("none" aside) is one `tgm_codec`
 * entry, defined in the codec's own file (codecs/<name>.c) and listed once
 * in codecs/registry.c; the codecs an application registers
 * (include/tensogram/codec.h) share one entry, `tgm__codec_user`
 * (codecs/user_codec.c).  An entry carries all of its codec's knowledge, so
 * that nothing outside the codec's files tests a codec's name:
 *
 *  - parse: reads the codec's descriptor parameters ("zstd_level",
 *    "szip_rsi", ...) through a key getter (tgm_codec_keys) into the
 *    codec's own parameter block.  Codecs never see a descriptor, a frame
 *    or a metadata value: the pipeline implements the getter.
 *  - flags and dtypes: what the pipeline checks and arranges around the
 *    codec (accepted dtypes, values in host byte order, block offsets to
 *    record, lossy, ...).
 *  - max_expansion: the most bytes a stream of n bytes can decode to, the
 *    evidence checked before memory is allocated for a decoded object.
 *  - compress / decompress / decompress_range: the engine.
 *  - doctor facts: the feature row and the self-test case of
 *    tgm_doctor_to_json.
 *
 * A codec left out of the build (CMake TGM_WITH_<NAME>=OFF, or a library
 * Debian lacks) keeps its entry with a NULL engine: its name, parameters
 * and flags are still known, so a descriptor naming it is checked as usual
 * and then refused as "<name> is not built in".  Adding a codec touches its
 * own files and one line of registry.c (CONTRIBUTING.md, "Adding a codec").
 *
 * Engine conventions
 *  - compress appends the compressed bytes to `out` (which may already hold
 *    data: write after out->len).  Codecs with random access (flag
 *    TGM_CODEC_BLOCK_OFFSETS) also fill `block_offsets` when it is non-NULL.
 *  - decompress writes exactly `dst_len` bytes into caller memory; a stream
 *    that yields more or fewer bytes is an error (TGM_ERROR_COMPRESSION).
 *    `dst_len` is computed by the caller from the descriptor, so hostile
 *    input cannot make a codec allocate an arbitrary amount.
 *  - decompress_range (NULL when unsupported) writes bytes
 *    [byte_pos, byte_pos + byte_size) of the decompressed stream into dst,
 *    touching only the compressed blocks it needs.
 *  - Errors are TGM_ERROR_COMPRESSION (bad stream, library failure),
 *    TGM_ERROR_ENCODING (bad parameters) or TGM_ERROR_METADATA (block
 *    offsets that contradict the stream), with the detail naming the codec,
 *    e.g. "zstd: frame content size 812 does not match expected 900".
 *  - All functions are thread-safe (no global mutable state). */
#ifndef TGM_CODECS_CODEC_H
#define TGM_CODECS_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/buf.h"
#include "dtype/dtype.h"
#include "tensogram/tensogram.h"

/* ---- what a codec is told ------------------------------------------------ */

/* The stream a codec compresses: what the encoding and filter steps before
 * it produced (docs/pipeline.md). */
typedef struct tgm_codec_stream {
    tgm_dtype dtype;       /* the object's element type */
    bool big_endian;       /* byte order of the object's values */
    uint64_t n;            /* elements of the object */
    size_t ndim;           /* the object's shape */
    const uint64_t *shape; /* ndim extents */
    size_t typesize;       /* bytes per item: the dtype's width; 1 after the shuffle filter
                            * or for bitmask; the packed width after simple_packing */
    uint32_t sample_bits;  /* significant bits per item: simple_packing's bit width, 8 after
                            * shuffle, 8 x the dtype's width otherwise */
    bool packed;           /* items are simple_packing integers, most significant byte first */
    size_t size;           /* bytes of the whole stream (set after parse) */
} tgm_codec_stream;

/* A codec's own parameters live in `own`, a block only the codec reads:
 * each codec defines its struct in its file (or header, when tests and
 * other modules set it) and copies it in and out with TGM_CODEC_OWN_GET /
 * TGM_CODEC_OWN_PUT, which check at compile time that it fits. */
#define TGM_CODEC_OWN_BYTES 96

/* A check of the codec's input fused into the codec's own read of it
 * (the pipeline's NaN / Inf rejection): a codec with the flag
 * TGM_CODEC_INSPECTS calls fn on ranges of its input that together cover
 * every byte at least once, each a whole number of `unit`-byte items, just
 * before or just after it reads them (while they are in cache), possibly
 * from several threads at once.  A non-zero return stops the codec, which then fails
 * with TGM_ERROR_ENCODING; the caller (which knows why) reports the detail.
 * Other codecs ignore it, and the caller checks the input first. */
typedef struct tgm_codec_inspect {
    int (*fn)(void *ctx, const uint8_t *p, size_t n);
    void *ctx;
    size_t unit;
} tgm_codec_inspect;

typedef struct tgm_codec_params {
    const char *name;                 /* the compression name (a user codec's registered name) */
    uint32_t threads;                 /* resolved thread budget (>= 1) */
    const tgm_codec_inspect *inspect; /* NULL: none (TGM_CODEC_INSPECTS codecs only) */
    tgm_codec_stream stream;          /* the stream compressed */
    union {
        uint64_t u;
        double d;
        const void *p;
        unsigned char bytes[TGM_CODEC_OWN_BYTES];
    } own;
} tgm_codec_params;

#define TGM_CODEC_OWN_GET(params, var)                                                             \
    do {                                                                                           \
        _Static_assert(sizeof(var) <= TGM_CODEC_OWN_BYTES, "codec parameters too large");          \
        memcpy(&(var), (params)->own.bytes, sizeof(var));                                          \
    } while (0)
#define TGM_CODEC_OWN_PUT(params, var)                                                             \
    do {                                                                                           \
        _Static_assert(sizeof(var) <= TGM_CODEC_OWN_BYTES, "codec parameters too large");          \
        memcpy((params)->own.bytes, &(var), sizeof(var));                                          \
    } while (0)

/* Parameters with the stream of `typesize`-byte items of `n` bytes and no
 * own parameters (tests, mask blobs and benchmarks call engines directly). */
void tgm__codec_params_init(tgm_codec_params *p, size_t typesize, size_t n);

/* The descriptor parameters a parser reads.  Each getter fails with
 * TGM_ERROR_METADATA and the reference's text: a required key that is
 * absent ("missing required parameter: zfp_rate"), a value of the wrong
 * kind, an integer out of range. */
typedef struct tgm_codec_keys_ops {
    tgm_error (*u64)(const void *src, const char *key, uint64_t *out);
    tgm_error (*i64_or)(const void *src, const char *key, int64_t dflt, int64_t *out);
    tgm_error (*f64)(const void *src, const char *key, double *out);
    tgm_error (*text_or)(const void *src, const char *key, const char *dflt, const char **out);
    /* The value's text when the key is present and holds text, else NULL. */
    const char *(*text)(const void *src, const char *key);
    /* 1 when the key is present and is a non-negative integer (*out = it),
     * 0 when absent, -1 when present with another kind or sign. */
    int (*uint_opt)(const void *src, const char *key, uint64_t *out);
    /* The reference's name of the value's kind ("integer", "text", ...),
     * NULL when absent. */
    const char *(*kind)(const void *src, const char *key);
    /* Every parameter as a JSON object with sorted keys, appended to out. */
    tgm_error (*json)(const void *src, tgm_buf *out);
} tgm_codec_keys_ops;

typedef struct tgm_codec_keys {
    const tgm_codec_keys_ops *ops;
    const void *src; /* stays valid while the parameters are used */
} tgm_codec_keys;

/* Typed reads for parsers (registry.c); the narrowing ones add the
 * reference's range checks ("szip_rsi out of u32 range", "zstd_level value
 * 3000000000 out of i32 range"). */
tgm_error tgm__key_u64(const tgm_codec_keys *k, const char *key, uint64_t *out);
tgm_error tgm__key_u32(const tgm_codec_keys *k, const char *key, uint32_t *out);
tgm_error tgm__key_i32_or(const tgm_codec_keys *k, const char *key, int32_t dflt, int32_t *out);
tgm_error tgm__key_f64(const tgm_codec_keys *k, const char *key, double *out);
tgm_error tgm__key_text_or(const tgm_codec_keys *k, const char *key, const char *dflt,
                           const char **out);
const char *tgm__key_text(const tgm_codec_keys *k, const char *key);

/* ---- the entry ------------------------------------------------------------ */

/* Flags */
/* The codec compresses the values themselves: no encoding or filter may
 * come before it (zfp, sz3). */
#define TGM_CODEC_VALUES 0x01u
/* The engine reads and writes values in host byte order: the pipeline
 * swaps other orders around it. */
#define TGM_CODEC_HOST_ORDER 0x02u
/* compress records the bit offset of each independently decodable block;
 * the encoder stores them in the descriptor as "<name>_block_offsets" and
 * decompress_range needs them back. */
#define TGM_CODEC_BLOCK_OFFSETS 0x04u
/* Packed values whose bit width is not a multiple of 8 are handed over one
 * per ceil(bits / 8)-byte container, not as a tight bit stream (szip: the
 * way GRIB2's CCSDS packing does; docs/pipeline.md). */
#define TGM_CODEC_BYTE_SAMPLES 0x08u
/* Decoded values may differ from the encoded ones. */
#define TGM_CODEC_LOSSY 0x10u
/* The doctor lists the codec as a feature ("zstd": on / off). */
#define TGM_CODEC_FEATURE 0x20u
/* ... followed by the reference's pure-Rust variant "<name>-pure", which
 * this library never has (always off). */
#define TGM_CODEC_PURE_VARIANT 0x40u

/* compress honours tgm_codec_params.inspect. */
#define TGM_CODEC_INSPECTS 0x80u

/* Accepted dtypes: a bit (TGM_DTYPE_BIT) per dtype; 0 = every dtype. */
#define TGM_DTYPE_BIT(d) (1u << (unsigned)(d))

/* The doctor's self-test of a codec: 16 values i * step of `dtype`
 * encoded with the codec and decoded back; the decoded bytes must equal the
 * input for a lossless pipeline, and have its size otherwise. */
typedef struct tgm_codec_selftest {
    const char *label;    /* "pipeline       shuffle+zstd" */
    const char *dtype;    /* "float32" or "float64" */
    const char *encoding; /* "none" or "simple_packing" */
    const char *filter;   /* "none" or "shuffle" */
    const char *params;   /* further descriptor members, each after a comma */
    double step;
} tgm_codec_selftest;

typedef struct tgm_codec tgm_codec;
struct tgm_codec {
    const char *name;
    uint32_t flags;  /* TGM_CODEC_* */
    uint32_t dtypes; /* TGM_DTYPE_BIT of each dtype accepted; 0 = all */

    /* Read the parameters (NULL: the codec has none).  p->name, threads
     * and stream (but stream.size) are filled in. */
    tgm_error (*parse)(const tgm_codec_keys *keys, tgm_codec_params *p);
    /* The most bytes a valid n-byte stream can decode to, saturating at
     * UINT64_MAX (NULL: no bound; the object cap applies). */
    uint64_t (*max_expansion)(const tgm_codec_params *p, uint64_t n);
    /* Accept or refuse the parameters before anything is compressed
     * (optional: parse already checks the built-in codecs'). */
    tgm_error (*validate)(const tgm_codec_params *p);

    /* The engine; compress is NULL when the codec is not built in. */
    tgm_error (*compress)(const tgm_codec_params *p, const uint8_t *src, size_t n, tgm_buf *out,
                          tgm_u64vec *block_offsets);
    tgm_error (*decompress)(const tgm_codec_params *p, const uint8_t *src, size_t n, uint8_t *dst,
                            size_t dst_len);
    tgm_error (*decompress_range)(const tgm_codec_params *p, const uint8_t *src, size_t n,
                                  const uint64_t *block_offsets, size_t n_offsets,
                                  uint64_t byte_pos, uint64_t byte_size, uint8_t *dst);

    /* Doctor (flag TGM_CODEC_FEATURE): what implements the codec in this
     * build ("libzstd") and its version (may return NULL); called only
     * when built in. */
    const char *(*backend)(char *buf, size_t cap);
    const char *(*version)(void);
    const tgm_codec_selftest *selftest; /* NULL: none */
};

/* Entries other modules and tests name directly (the table itself is
 * registry.c's list).  tgm__codec_user stands for every registered user
 * codec (codecs/user_codec.c). */
extern const tgm_codec tgm__codec_szip;
extern const tgm_codec tgm__codec_zstd;
extern const tgm_codec tgm__codec_lz4;
extern const tgm_codec tgm__codec_blosc2;
extern const tgm_codec tgm__codec_zfp;
extern const tgm_codec tgm__codec_rle;
extern const tgm_codec tgm__codec_roaring;
extern const tgm_codec tgm__codec_user;

/* Inspect [p, p + n) when p->inspect is set; TGM_ERROR_ENCODING when it
 * objects ("<codec>: input rejected by the pipeline's check"). */
tgm_error tgm__codec_inspect_fail(const tgm_codec_params *p);
static inline tgm_error tgm__codec_inspect(const tgm_codec_params *p, const uint8_t *src,
                                           size_t n) {
    if (p->inspect == NULL || n == 0 || p->inspect->fn(p->inspect->ctx, src, n) == 0) {
        return TGM_ERROR_OK;
    }
    return tgm__codec_inspect_fail(p);
}

/* ---- the table (registry.c) --------------------------------------------- */

/* The format's compressions, in documentation order: i < count. */
size_t tgm__codec_count(void);
const tgm_codec *tgm__codec_at(size_t i);

/* The entry of a format compression, built in or not; NULL for "none" and
 * names the format does not define. */
const tgm_codec *tgm__codec_format(const char *name);
/* The entry for a descriptor's compression: a format compression's, or
 * tgm__codec_user when `name` is registered as a user codec; NULL for
 * "none" and unknown names. */
const tgm_codec *tgm__codec_lookup(const char *name);
/* The built-in codec named `name` (engine present), or NULL. */
const tgm_codec *tgm__codec_find(const char *name);

static inline bool tgm__codec_built(const tgm_codec *c) { return c->compress != NULL; }

/* 1 when `name` is a compression the format defines ("none" included),
 * built in or not. */
int tgm__codec_known(const char *name);
/* Every compression name, comma-separated ("none, szip, zstd, ..."). */
const char *tgm__codec_all_names(void);

/* The descriptor key holding a TGM_CODEC_BLOCK_OFFSETS codec's offsets
 * ("szip_block_offsets") in buf, or NULL for other codecs. */
const char *tgm__codec_offsets_key(const tgm_codec *c, char *buf, size_t cap);

/* Check block offsets against an n-byte stream: the first is 0, they
 * increase strictly, each points inside the stream (an empty list only for
 * an empty stream).  TGM_ERROR_METADATA, e.g. "szip: szip_block_offsets
 * must be strictly increasing: szip_block_offsets[3]=812 is not greater
 * than szip_block_offsets[2]=900" (the reference's wording first). */
tgm_error tgm__codec_check_offsets(const tgm_codec *c, const uint64_t *offsets, size_t n_offsets,
                                   size_t n);

#endif
