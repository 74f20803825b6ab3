/* The internal compression-codec interface.
 *
 * Every compressor (none, zstd, lz4, szip, zfp, sz3, blosc2, rle, roaring) is
 * one `tgm_codec` table in its own file; registered user codecs share one
 * table, `tgm__codec_user` (pipeline/user_codec.c), that calls them through
 * the registry (codecs/user.h).  Codecs work on plain byte buffers and a
 * plain parameter struct; they know nothing of frames, descriptors or
 * metadata (the pipeline module translates a descriptor into
 * `tgm_codec_params`).
 *
 * Conventions
 *  - compress appends the compressed bytes to `out` (which may already hold
 *    data: write after out->len).  Codecs with random access (szip) also
 *    fill `block_offsets` when it is non-NULL.
 *  - decompress writes exactly `dst_len` bytes into caller memory; a stream
 *    that yields more or fewer bytes is an error (TGM_ERROR_COMPRESSION).
 *    `dst_len` is computed by the caller from the descriptor, so hostile
 *    input cannot make a codec allocate an arbitrary amount.
 *  - decompress_range (NULL when unsupported) writes bytes
 *    [byte_pos, byte_pos + byte_size) of the decompressed stream into dst,
 *    touching only the compressed blocks it needs.
 *  - Errors are TGM_ERROR_COMPRESSION (bad stream, library failure) or
 *    TGM_ERROR_ENCODING (bad parameters), with the detail naming the codec,
 *    e.g. "zstd: frame content size 812 does not match expected 900".
 *  - All functions are thread-safe (no global mutable state). */
#ifndef TGM_CODECS_CODEC_H
#define TGM_CODECS_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "tensogram/tensogram.h"

typedef enum tgm_zfp_mode {
    TGM_ZFP_FIXED_RATE = 1,
    TGM_ZFP_FIXED_PRECISION = 2,
    TGM_ZFP_FIXED_ACCURACY = 3
} tgm_zfp_mode;

typedef enum tgm_blosc2_inner {
    TGM_BLOSC2_BLOSCLZ = 0,
    TGM_BLOSC2_LZ4 = 1,
    TGM_BLOSC2_LZ4HC = 2,
    TGM_BLOSC2_ZLIB = 4,
    TGM_BLOSC2_ZSTD = 5
} tgm_blosc2_inner; /* values are c-blosc2's compcode numbers */

/* The blosc2 filter pipeline.  The zero value is c-blosc2's default (and
 * the reference's for payloads): one byte shuffle in the last of the six
 * filter slots.  The reference's NaN/Inf mask blobs use a bit shuffle in
 * the first slot (the Rust blosc2 crate's CParams::filters(&[BitShuffle])
 * clears all six slots, then fills them from the front). */
typedef enum tgm_blosc2_filter {
    TGM_BLOSC2_FILTER_SHUFFLE = 0,    /* {0, 0, 0, 0, 0, SHUFFLE} */
    TGM_BLOSC2_FILTER_BITSHUFFLE = 1, /* {BITSHUFFLE, 0, 0, 0, 0, 0} */
    TGM_BLOSC2_FILTER_NONE = 2        /* {0, 0, 0, 0, 0, 0} */
} tgm_blosc2_filter;

typedef struct tgm_codec_params {
    uint32_t threads; /* resolved thread budget (>= 1) */

    /* zstd */
    int zstd_level;

    /* szip (CCSDS 121.0-B-3, libaec-compatible) */
    uint32_t szip_rsi;             /* blocks per reference sample interval */
    uint32_t szip_block_size;      /* samples per block (8, 16, 32, 64) */
    uint32_t szip_flags;           /* AEC_DATA_* flags as stored in the descriptor */
    uint32_t szip_bits_per_sample; /* 1..32 */

    /* zfp (1-D float64 stream) */
    tgm_zfp_mode zfp_mode;
    double zfp_rate;
    uint32_t zfp_precision;
    double zfp_tolerance;
    size_t zfp_num_values;

    /* blosc2 */
    tgm_blosc2_inner blosc2_codec;
    int blosc2_clevel;
    size_t blosc2_typesize;
    tgm_blosc2_filter blosc2_filter;
    size_t blosc2_chunk_bytes; /* most bytes per chunk; 0 = 256 MiB (the reference's payloads) */

    /* rle / roaring: number of bits in the bitmask */
    uint64_t bitmask_bits;

    /* user codecs (codecs/user.h, pipeline/user_codec.c): the registered
     * name, the object's descriptor (a tgm_descriptor, opaque here) and the
     * item size and length of the stream the codec sees */
    const char *user_name;
    const void *user_desc;
    size_t user_typesize;
    size_t user_stream_size;
} tgm_codec_params;

typedef struct tgm_codec {
    const char *name;
    tgm_error (*compress)(const tgm_codec_params *p, const uint8_t *src, size_t n, tgm_buf *out,
                          tgm_u64vec *block_offsets);
    tgm_error (*decompress)(const tgm_codec_params *p, const uint8_t *src, size_t n, uint8_t *dst,
                            size_t dst_len);
    tgm_error (*decompress_range)(const tgm_codec_params *p, const uint8_t *src, size_t n,
                                  const uint64_t *block_offsets, size_t n_offsets,
                                  uint64_t byte_pos, uint64_t byte_size, uint8_t *dst);
} tgm_codec;

/* Built-in codec tables.  A codec left out of the build is absent from
 * the registry: tgm__codec_find returns NULL and tgm__codec_known reports
 * the name as recognised-but-not-built-in. */
extern const tgm_codec tgm__codec_zstd;
extern const tgm_codec tgm__codec_lz4;
extern const tgm_codec tgm__codec_szip;
extern const tgm_codec tgm__codec_zfp;
extern const tgm_codec tgm__codec_blosc2;
extern const tgm_codec tgm__codec_rle;
extern const tgm_codec tgm__codec_roaring;

/* Look up a built-in compressor by descriptor name ("zstd", ...).  NULL when
 * the name is unknown or the codec was not compiled in. */
const tgm_codec *tgm__codec_find(const char *name);
/* 1 when `name` is a compression the format defines (even if not built in). */
int tgm__codec_known(const char *name);
/* Comma-separated list of every compression name, for error messages. */
const char *tgm__codec_all_names(void);

#endif
