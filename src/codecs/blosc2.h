/* Internal interface of the blosc2 codec (own implementation of c-blosc2's
 * chunk format v5 and contiguous frame format 2; no libblosc2).
 *
 *   blosc2.c          frame reader / writer and the codec table entry
 *   blosc2_chunk.c    one chunk: header parsing, block decode, inner
 *                     decompressors, scratch and worker pool
 *   blosc2_chunk_enc.c  one chunk: c-blosc2's automatic block size, block
 *                     encode, inner compressors
 *   blosc2_filters.c  byte shuffle, bit shuffle, delta
 *   blosc2_blosclz.c  the BloscLZ compressor and decompressor
 *
 * Formats: c-blosc2 README_CHUNK_FORMAT.rst and README_CFRAME_FORMAT.rst
 * (c-blosc2 2.21.3).  Every integer inside a chunk is little-endian; the
 * frame header and trailer are msgpack (big-endian). */
#ifndef TGM_CODECS_BLOSC2_H
#define TGM_CODECS_BLOSC2_H

#include <stddef.h>
#include <stdint.h>

#include "codecs/codec.h"
#include "common/buf.h"
#include "tensogram/tensogram.h"

/* ---- the codec's parameters --------------------------------------------- */

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

/* blosc2's own parameters in tgm_codec_params (TGM_CODEC_OWN_PUT). */
typedef struct tgm_blosc2_params {
    tgm_blosc2_inner codec;
    int clevel;
    size_t typesize;
    tgm_blosc2_filter filter;
    size_t chunk_bytes; /* most bytes per chunk; 0 = 256 MiB (the reference's payloads) */
} tgm_blosc2_params;

/* Names of the inner codecs as the descriptor's "blosc2_codec" and the mask
 * params' "codec" spell them ("blosclz", "lz4", "lz4hc", "zlib", "zstd"). */
const char *tgm__blosc2_inner_name(tgm_blosc2_inner c);
/* 0 and *out set when `name` (len bytes) is one of them, else -1. */
int tgm__blosc2_inner_lookup(const char *name, size_t len, tgm_blosc2_inner *out);

/* Set p's own parameters. */
void tgm__blosc2_params(tgm_codec_params *p, const tgm_blosc2_params *bp);

/* ---- chunk format constants (README_CHUNK_FORMAT) ------------------------ */
#define TGM_B2_MIN_HEADER 16u
#define TGM_B2_EXT_HEADER 32u
#define TGM_B2_MAX_FILTERS 6
#define TGM_B2_VERSION_FORMAT 5u
#define TGM_B2_MAX_BLOCKSIZE 536866816 /* c-blosc2 BLOSC2_MAXBLOCKSIZE */
#define TGM_B2_MIN_BUFFERSIZE 32       /* smaller chunks are stored memcpy'd */
#define TGM_B2_MAX_DICT (128 * 1024)

/* header byte 2 (flags) */
#define TGM_B2_FLAG_SHUFFLE 0x01u
#define TGM_B2_FLAG_MEMCPY 0x02u
#define TGM_B2_FLAG_BITSHUFFLE 0x04u
#define TGM_B2_FLAG_DELTA 0x08u
#define TGM_B2_FLAG_DONT_SPLIT 0x10u

/* header byte 31 (blosc2_flags) */
#define TGM_B2_B2FLAG_DICT 0x01u
#define TGM_B2_B2FLAG_LAZY 0x08u
#define TGM_B2_B2FLAG_INSTR 0x80u

/* special values (blosc2_flags bits 4..6, and frame offsets) */
#define TGM_B2_SPECIAL_NONE 0
#define TGM_B2_SPECIAL_ZERO 1
#define TGM_B2_SPECIAL_NAN 2
#define TGM_B2_SPECIAL_VALUE 3
#define TGM_B2_SPECIAL_UNINIT 4

/* filter ids */
#define TGM_B2_NOFILTER 0
#define TGM_B2_SHUFFLE 1
#define TGM_B2_BITSHUFFLE 2
#define TGM_B2_DELTA 3
#define TGM_B2_TRUNC_PREC 4

/* compressor formats (header flags bits 5..7) */
#define TGM_B2_FORMAT_BLOSCLZ 0
#define TGM_B2_FORMAT_LZ4 1
#define TGM_B2_FORMAT_ZLIB 3
#define TGM_B2_FORMAT_ZSTD 4

/* split modes (c-blosc2 numbering) */
#define TGM_B2_ALWAYS_SPLIT 1
#define TGM_B2_NEVER_SPLIT 2
#define TGM_B2_AUTO_SPLIT 3
#define TGM_B2_FORWARD_COMPAT_SPLIT 4

/* ---- per-worker scratch ------------------------------------------------ */

/* Buffers and inner-codec contexts reused by one worker across blocks.
 * Grown on demand; freed with tgm__b2_scratch_free. */
typedef struct tgm_b2_scratch {
    uint8_t *a, *b; /* two block-sized work buffers */
    size_t a_cap, b_cap;
    uint8_t *dref; /* decoded block 0 of a delta chunk (decode side) */
    size_t dref_cap;
    const uint8_t *dref_chunk; /* which chunk dref belongs to */
    uint8_t *c;                /* one decoded block when only part of it is wanted */
    size_t c_cap;
    void *zstd_c, *zstd_d; /* ZSTD_CCtx / ZSTD_DCtx */
    void *lz4hc_state;
    void *zlib_c, *zlib_d; /* z_stream, initialised lazily */
    int zlib_c_level;
    uint32_t *htab; /* BloscLZ hash table (1 << 14 entries) */
} tgm_b2_scratch;

void tgm__b2_scratch_free(tgm_b2_scratch *s);
/* Make *buf hold at least `need` bytes (contents are not kept). */
tgm_error tgm__b2_grow(uint8_t **buf, size_t *cap, size_t need, const char *what);

/* ---- chunks: reading ---------------------------------------------------- */

/* A chunk whose header has been checked against the bytes that hold it.
 * Everything a block decode reads is inside [p, p + cbytes). */
typedef struct tgm_b2_chunk {
    const uint8_t *p;
    uint32_t cbytes;     /* whole chunk, header included */
    uint32_t nbytes;     /* decoded size */
    uint32_t blocksize;  /* >= 1 */
    uint32_t typesize;   /* header typesize (or the repeated value's size) */
    uint32_t header_len; /* 16 or 32 */
    uint32_t nblocks;
    uint32_t leftover; /* size of a short last block, 0 when none */
    uint8_t version;
    uint8_t flags;
    uint8_t compformat;
    uint8_t special; /* TGM_B2_SPECIAL_* */
    uint8_t memcpyed;
    uint8_t split; /* blocks other than a short last one hold typesize streams */
    uint8_t filters[TGM_B2_MAX_FILTERS];
    int8_t last_transform; /* filter slot of the last (un)shuffle run on decode, -1 if none */
    uint8_t has_delta;     /* blocks other than 0 need the decoded block 0 */
    const uint8_t *dict;   /* zstd dictionary, or NULL */
    uint32_t dict_len;
} tgm_b2_chunk;

/* Parse and check the chunk header at p (avail bytes are readable there;
 * the chunk's cbytes must fit in them).  `what` names the chunk in errors
 * ("chunk 3", "offsets chunk"). */
tgm_error tgm__b2_chunk_parse(const uint8_t *p, size_t avail, const char *what, tgm_b2_chunk *c);

/* Decode block j of the chunk into out (the block's decoded size bytes).
 * For a chunk with the delta filter and j > 0, dref must hold the decoded
 * block 0; otherwise it is ignored.  Works for every chunk kind (special,
 * memcpy'd, compressed). */
tgm_error tgm__b2_block_decode(const tgm_b2_chunk *c, uint32_t j, uint8_t *out, const uint8_t *dref,
                               tgm_b2_scratch *s, const char *what);

/* Fill n bytes with a special value (TGM_B2_SPECIAL_ZERO, _NAN, _VALUE or
 * _UNINIT, which reads as zeros) of ts-byte items; `pos` is the offset of
 * out[0] in the chunk, so that items stay aligned.  `value` is the
 * repeated item for _VALUE. */
tgm_error tgm__b2_fill_special(uint8_t kind, uint32_t ts, const uint8_t *value, uint8_t *out,
                               size_t n, uint64_t pos, const char *what);

/* Decoded size of block j. */
static inline uint32_t tgm__b2_block_size(const tgm_b2_chunk *c, uint32_t j) {
    return (j + 1 == c->nblocks && c->leftover != 0) ? c->leftover : c->blocksize;
}

/* ---- chunks: writing ---------------------------------------------------- */

typedef struct tgm_b2_cparams {
    int compcode; /* tgm_blosc2_inner value: 0, 1, 2, 4, 5 */
    int clevel;   /* 0..9 */
    uint32_t typesize;
    uint8_t filters[TGM_B2_MAX_FILTERS];
    int splitmode;
    /* The codec call's parameters when its input is to be inspected
     * (tgm_codec_params.inspect: each block just before it is filtered),
     * else NULL. */
    const tgm_codec_params *check;
    /* How the lz4 inner codec is driven (other inner codecs ignore it).
     * The zero value is what the library writes; the other is internal,
     * for tests that check the frame writer against c-blosc2 2.21.3's
     * frames byte for byte. */
    int lz4_rule;
} tgm_b2_cparams;

/* lz4_rule values.  Both write valid c-blosc2 chunks; only the block size
 * and liblz4's acceleration differ.
 *   TGM_B2_LZ4_FAST:  acceleration 10 - clevel (c-blosc2 >= 3.0 and
 *                     c-blosc 1.x) and c-blosc 1.x's block sizes (512 KiB
 *                     blocks of four 128 KiB streams for float32 at
 *                     clevel 5): the streams c-blosc 1.x (numcodecs)
 *                     writes for the same input.
 *   TGM_B2_LZ4_C2_2:  acceleration 1 and c-blosc2's block sizes: the bytes
 *                     of c-blosc2 2.x, which the reference 0.24 links. */
#define TGM_B2_LZ4_FAST 0
#define TGM_B2_LZ4_C2_2 1

/* The automatic block size for a chunk of nbytes: c-blosc2's (stune.c
 * semantics), except for lz4 under TGM_B2_LZ4_FAST, which takes c-blosc
 * 1.x's (compute_blocksize of blosc.c 1.21).  user_blocksize is the value
 * carried by the compression context: 0 for the first chunk, then the
 * previous chunk's block size. */
int32_t tgm__b2_blocksize(const tgm_b2_cparams *cp, int32_t user_blocksize, int32_t nbytes);

/* Whether blocks of `blocksize` are split into typesize streams. */
int tgm__b2_split_block(const tgm_b2_cparams *cp, int32_t blocksize);

/* Result kind of a compressed chunk. */
#define TGM_B2_CHUNK_REGULAR 0
#define TGM_B2_CHUNK_ZEROS 1 /* every stream was a run of zeros: header only */

/* Chunk compressor state reused across the chunks of one frame: per-worker
 * scratch and the staging area for blocks compressed in parallel. */
typedef struct tgm_b2_enc tgm_b2_enc;

tgm_error tgm__b2_enc_create(uint32_t threads, tgm_b2_enc **out);
void tgm__b2_enc_free(tgm_b2_enc *e);

/* Compress one chunk (nbytes <= INT32_MAX - 32) exactly as c-blosc2's
 * serial path does (for lz4 under TGM_B2_LZ4_FAST: c-blosc2 >= 3.0's,
 * given `blocksize`), appending it to out.  Blocks are compressed on the
 * encoder's threads; the bytes never depend on the thread count.  *kind
 * reports a chunk that became a special zero chunk (32 bytes appended). */
tgm_error tgm__b2_chunk_compress(tgm_b2_enc *e, const tgm_b2_cparams *cp, int32_t blocksize,
                                 const uint8_t *src, uint32_t nbytes, tgm_buf *out, int *kind);

/* ---- worker pool ----------------------------------------------------------
 * One scratch per concurrently running task.  tgm__parallel_for runs at
 * most min(threads, tasks) tasks at once, so a pool of that many slots
 * always has a free one. */
typedef struct tgm_b2_pool {
    uint32_t n;
    struct tgm_b2_slot *slots;
} tgm_b2_pool;

tgm_error tgm__b2_pool_init(tgm_b2_pool *p, uint32_t n);
tgm_b2_scratch *tgm__b2_pool_acquire(tgm_b2_pool *p, uint32_t *idx);
void tgm__b2_pool_release(tgm_b2_pool *p, uint32_t idx);
void tgm__b2_pool_free(tgm_b2_pool *p);

/* ---- filters (blosc2_filters.c) ----------------------------------------- */

void tgm__b2_shuffle(uint32_t ts, size_t n, const uint8_t *src, uint8_t *dst);
void tgm__b2_unshuffle(uint32_t ts, size_t n, const uint8_t *src, uint8_t *dst);
/* Bit shuffle of the first (n / ts) - (n / ts) % 8 elements; the remaining
 * bytes are copied (chunk format >= 3). */
void tgm__b2_bitshuffle(uint32_t ts, size_t n, const uint8_t *src, uint8_t *dst);
void tgm__b2_bitunshuffle(uint32_t ts, size_t n, const uint8_t *src, uint8_t *dst);
/* Delta filter (delta.c semantics).  Elements are ts bytes wide when ts is
 * 1, 2, 4 or 8, else 8 when ts is a multiple of 8, else 1; bytes past the
 * last whole element are left as they are.  In block 0 every element is
 * XORed with the previous element of `ref` (the chunk's unfiltered block 0);
 * in other blocks with the element at the same position of `ref`. */
void tgm__b2_delta_encode(uint32_t ts, size_t n, const uint8_t *src, const uint8_t *ref, int block0,
                          uint8_t *dst);
/* Inverse, in place.  For block 0 ref is NULL (the previous, already
 * decoded element is used); otherwise ref is the decoded block 0. */
void tgm__b2_delta_decode(uint32_t ts, size_t n, uint8_t *buf, const uint8_t *ref);

/* ---- BloscLZ (blosc2_blosclz.c) ----------------------------------------- */

#define TGM_BLOSCLZ_HASH_LOG 14u

/* Compress `len` bytes; returns the compressed size, or 0 when the data is
 * not worth compressing or does not fit in maxout (c-blosc2 then stores the
 * stream verbatim).  htab: 1 << TGM_BLOSCLZ_HASH_LOG entries of scratch. */
int tgm__blosclz_compress(int clevel, const uint8_t *in, int len, uint8_t *out, int maxout,
                          uint32_t *htab);
/* Decompress; returns the number of bytes produced (at most maxout), or -1
 * on a malformed stream. */
int64_t tgm__blosclz_decompress(const uint8_t *in, size_t len, uint8_t *out, size_t maxout);

/* ---- frames (blosc2.c) --------------------------------------------------- */

/* Options of the frame writer.  The codec table uses the reference's
 * defaults (byte shuffle, forward-compatible split mode, 256 MiB chunks);
 * tests and benchmarks may vary them. */
typedef struct tgm_b2_frame_opts {
    tgm_b2_cparams cp;
    size_t chunk_bytes; /* max bytes per chunk; 0 = 256 MiB floored to typesize */
    uint32_t threads;
} tgm_b2_frame_opts;

void tgm__b2_frame_opts_default(tgm_b2_frame_opts *o, tgm_blosc2_inner codec, int clevel,
                                size_t typesize, uint32_t threads);
tgm_error tgm__b2_frame_encode(const tgm_b2_frame_opts *o, const uint8_t *src, size_t n,
                               tgm_buf *out);
/* Decode bytes [pos, pos + size) of the frame's decoded stream.  When
 * expect_total is not UINT64_MAX the frame must decode to exactly that
 * many bytes. */
tgm_error tgm__b2_frame_decode(const uint8_t *src, size_t n, uint64_t expect_total, uint64_t pos,
                               uint64_t size, uint8_t *dst, uint32_t threads);

#endif
