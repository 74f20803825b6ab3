/* zfp compression (libzfp) of a 1-D float64 array, byte-compatible with the
 * reference.
 *
 * Stream: the raw zfp bit stream of blocks of 4 values, no header.  libzfp
 * writes its stream in words of 8 bits (Debian's build, and the reference's)
 * or 64 bits (zfp's default), least significant bit first, which gives the
 * same bytes on a little-endian host except for where the stream ends.  So
 * blocks are encoded here one by one (exactly what zfp_compress does for a
 * contiguous 1-D field) and the output is cut at ceil(bits / 8) bytes, the
 * reference's length whatever word size libzfp uses.
 *
 * Modes: fixed_rate (`zfp_rate` bits per value; every block then takes
 * exactly maxbits = max(floor(4 * rate + 0.5), 12) bits, so block i starts at
 * bit i * maxbits), fixed_precision (`zfp_precision` bit planes) and
 * fixed_accuracy (`zfp_tolerance`, an absolute error bound).
 *
 * Decoding reads a zero-padded copy of the stream (libzfp reads whole words
 * and does not bounds-check), decodes block by block into the caller's
 * buffer, and rejects a stream that ends before the last block.  Fixed-rate
 * streams are checked for their exact minimum length, decoded in parallel
 * when threads allow, and support range decode by seeking straight to the
 * blocks needed; other modes range-decode by decoding blocks sequentially
 * from the start up to the end of the range (as the reference, which
 * decodes everything and slices). */
#include <math.h>
#include <string.h>
#include <zfp.h>

#include "codecs/codec.h"
#include "common/alloc.h"
#include "common/checked.h"
#include "common/error.h"
#include "common/thread.h"

/* Blocks per parallel task in fixed-rate mode: a multiple of 64, so every
 * task starts on a 64-bit word boundary whatever maxbits is. */
#define RATE_CHUNK_BLOCKS ((size_t)4096)
/* More than any 1-D float64 block can read, even from garbage: 12 header
 * bits and at most 64 bit planes of 4 value bits plus group tests. */
#define MAX_BLOCK_BITS 512u

/* Configure `zs` for the mode in `p`.  Texts follow the reference. */
static tgm_error set_mode(const tgm_codec_params *p, zfp_stream *zs) {
    switch (p->zfp_mode) {
    case TGM_ZFP_FIXED_RATE:
        /* libzfp converts 4 * rate to an unsigned int: keep it in range. */
        TGM_RETURN_IF(!(p->zfp_rate > 0.0) || !(p->zfp_rate <= (double)ZFP_MAX_BITS / 4),
                      TGM_ERROR_ENCODING, "zfp error: zfp_rate must be in (0, %g], got %g",
                      (double)ZFP_MAX_BITS / 4, p->zfp_rate);
        zfp_stream_set_rate(zs, p->zfp_rate, zfp_type_double, 1, zfp_false);
        return TGM_ERROR_OK;
    case TGM_ZFP_FIXED_PRECISION:
        zfp_stream_set_precision(zs, p->zfp_precision);
        return TGM_ERROR_OK;
    case TGM_ZFP_FIXED_ACCURACY:
        TGM_RETURN_IF(isinf(p->zfp_tolerance), TGM_ERROR_ENCODING,
                      "zfp error: zfp_tolerance must be finite, got %g", p->zfp_tolerance);
        TGM_RETURN_IF(zfp_stream_set_accuracy(zs, p->zfp_tolerance) == 0.0, TGM_ERROR_ENCODING,
                      "zfp error: zfp_stream_set_accuracy returned 0");
        return TGM_ERROR_OK;
    default:
        return tgm__fail(TGM_ERROR_ENCODING, "zfp error: unknown zfp mode %d", (int)p->zfp_mode);
    }
}

static uint32_t rate_bits(const zfp_stream *zs) {
    uint maxbits = 0;
    zfp_stream_params(zs, NULL, &maxbits, NULL, NULL);
    return maxbits;
}

static size_t block_count(size_t n) { return n / 4 + (n % 4 != 0); }

/* Encode blocks [b0, b1) of the n values at src (host doubles, any
 * alignment) into the stream attached to zs; returns the bits written. */
static uint64_t encode_blocks(zfp_stream *zs, const uint8_t *src, size_t n, size_t b0, size_t b1) {
    uint64_t bits = 0;
    double blk[4];
    for (size_t b = b0; b < b1; b++) {
        size_t i = 4 * b, k = n - i < 4 ? n - i : 4;
        memcpy(blk, src + 8 * i, 8 * k);
        if (k == 4) {
            bits += zfp_encode_block_double_1(zs, blk);
        } else {
            bits += zfp_encode_partial_block_strided_double_1(zs, blk, k, 1);
        }
    }
    return bits;
}

typedef struct {
    const tgm_codec_params *p;
    const uint8_t *src; /* compress: values; decompress: padded stream */
    size_t src_len;     /* decompress: padded length */
    uint8_t *dst;       /* compress: word-aligned stream; decompress: values */
    size_t n;
    size_t nblocks;
    uint32_t maxbits;
} rate_job;

/* One task of a fixed-rate encode: its blocks start at a word boundary. */
static tgm_error rate_encode_task(void *ctx, size_t index) {
    const rate_job *j = ctx;
    size_t b0 = index * RATE_CHUNK_BLOCKS;
    size_t b1 = j->nblocks - b0 < RATE_CHUNK_BLOCKS ? j->nblocks : b0 + RATE_CHUNK_BLOCKS;
    uint64_t first_bit = (uint64_t)b0 * j->maxbits;
    uint64_t end_bit = (uint64_t)b1 * j->maxbits;
    size_t off = (size_t)(first_bit / 8);
    size_t len = (size_t)((end_bit + 63) / 64 * 8) - off;
    zfp_stream *zs = zfp_stream_open(NULL);
    bitstream *bs = zs != NULL ? stream_open(j->dst + off, len) : NULL;
    tgm_error err = TGM_ERROR_OK;
    if (bs == NULL) {
        err = tgm__fail(TGM_ERROR_COMPRESSION, "zfp error: cannot open a stream");
    } else if ((err = set_mode(j->p, zs)) == TGM_ERROR_OK) {
        zfp_stream_set_bit_stream(zs, bs);
        zfp_stream_rewind(zs);
        encode_blocks(zs, j->src, j->n, b0, b1);
        zfp_stream_flush(zs);
    }
    if (bs != NULL) {
        stream_close(bs);
    }
    if (zs != NULL) {
        zfp_stream_close(zs);
    }
    return err;
}

static tgm_error zfp_compress_values(const tgm_codec_params *p, const uint8_t *src, size_t n_bytes,
                                     tgm_buf *out, tgm_u64vec *block_offsets) {
    (void)block_offsets;
    TGM_RETURN_IF(n_bytes % 8 != 0, TGM_ERROR_ENCODING,
                  "zfp error: data length %zu is not a multiple of 8", n_bytes);
    size_t n = n_bytes / 8;
    if (n == 0) {
        return TGM_ERROR_OK;
    }
    tgm_error err = TGM_ERROR_OK;
    uint8_t *buf = NULL;
    bitstream *bs = NULL;
    zfp_stream *zs = zfp_stream_open(NULL);
    zfp_field *field = zfp_field_1d(NULL, zfp_type_double, n);
    TGM_FAIL_IF(zs == NULL || field == NULL, TGM_ERROR_COMPRESSION,
                "zfp error: zfp_stream_open failed");
    TGM_CHECK(set_mode(p, zs));

    size_t nblocks = block_count(n);
    uint64_t bits;
    if (p->zfp_mode == TGM_ZFP_FIXED_RATE) {
        rate_job j = {p, src, 0, NULL, n, nblocks, rate_bits(zs)};
        uint64_t total = (uint64_t)nblocks * j.maxbits;
        size_t cap = (size_t)((total + 63) / 64 * 8);
        buf = tgm__malloc(cap);
        TGM_FAIL_IF(buf == NULL, TGM_ERROR_COMPRESSION,
                    "zfp error: out of memory allocating %zu bytes", cap);
        j.dst = buf;
        size_t ntasks = (nblocks + RATE_CHUNK_BLOCKS - 1) / RATE_CHUNK_BLOCKS;
        uint32_t threads = n_bytes >= TGM_PARALLEL_THRESHOLD_BYTES ? p->threads : 1;
        TGM_CHECK(tgm__parallel_for(threads, ntasks, rate_encode_task, &j));
        bits = total;
    } else {
        size_t cap = zfp_stream_maximum_size(zs, field);
        buf = tgm__malloc(cap);
        TGM_FAIL_IF(buf == NULL, TGM_ERROR_COMPRESSION,
                    "zfp error: out of memory allocating %zu bytes", cap);
        bs = stream_open(buf, cap);
        TGM_FAIL_IF(bs == NULL, TGM_ERROR_COMPRESSION, "zfp error: cannot open a stream");
        zfp_stream_set_bit_stream(zs, bs);
        zfp_stream_rewind(zs);
        bits = encode_blocks(zs, src, n, 0, nblocks);
        zfp_stream_flush(zs);
    }
    TGM_CHECK(tgm__buf_append(out, buf, (size_t)((bits + 7) / 8)));
cleanup:
    if (bs != NULL) {
        stream_close(bs);
    }
    if (zs != NULL) {
        zfp_stream_close(zs);
    }
    if (field != NULL) {
        zfp_field_free(field);
    }
    tgm__free(buf);
    return err;
}

/* ---- decoding ------------------------------------------------------------ */

/* Decode values [v0, v1) with a stream positioned at the start of block
 * v0 / 4, writing them to dst (host doubles, any alignment). */
static void decode_values(zfp_stream *zs, size_t v0, size_t v1, uint8_t *dst) {
    double blk[4];
    size_t v = v0;
    while (v < v1) {
        zfp_decode_block_double_1(zs, blk);
        size_t first = v % 4;
        size_t k = 4 - first < v1 - v ? 4 - first : v1 - v;
        memcpy(dst, blk + first, 8 * k);
        dst += 8 * k;
        v += k;
    }
}

/* Skip `count` blocks in a variable-rate stream by decoding them. */
static void skip_blocks(zfp_stream *zs, size_t count) {
    double blk[4];
    for (size_t b = 0; b < count; b++) {
        zfp_decode_block_double_1(zs, blk);
    }
}

/* A stream over a zero-padded, word-aligned copy of src: the real bytes,
 * then `slack` zero bytes, rounded up to whole words. */
typedef struct {
    uint8_t *copy;
    bitstream *bs;
    zfp_stream *zs;
} reader;

static void reader_close(reader *r) {
    if (r->bs != NULL) {
        stream_close(r->bs);
    }
    if (r->zs != NULL) {
        zfp_stream_close(r->zs);
    }
    tgm__free(r->copy);
    memset(r, 0, sizeof *r);
}

static tgm_error reader_open(reader *r, const tgm_codec_params *p, const uint8_t *src, size_t n,
                             size_t slack) {
    memset(r, 0, sizeof *r);
    size_t len;
    TGM_RETURN_IF(tgm__add_size(n, slack + 16, &len), TGM_ERROR_COMPRESSION,
                  "zfp error: stream of %zu bytes is too large", n);
    len = len / 8 * 8;
    r->copy = tgm__calloc(len, 1);
    if (r->copy == NULL) {
        return tgm__oom(len, "zfp stream copy");
    }
    memcpy(r->copy, src, n);
    r->zs = zfp_stream_open(NULL);
    r->bs = stream_open(r->copy, len);
    if (r->zs == NULL || r->bs == NULL) {
        reader_close(r);
        return tgm__fail(TGM_ERROR_COMPRESSION, "zfp error: cannot open a stream");
    }
    tgm_error err = set_mode(p, r->zs);
    if (err != TGM_ERROR_OK) {
        reader_close(r);
        return err;
    }
    zfp_stream_set_bit_stream(r->zs, r->bs);
    zfp_stream_rewind(r->zs);
    return TGM_ERROR_OK;
}

/* Validate the stream length against the descriptor; returns the number of
 * zero bytes to pad with so no block can read past the copy. */
static tgm_error check_stream(const tgm_codec_params *p, size_t n_values, size_t len,
                              uint32_t *maxbits, size_t *slack) {
    zfp_stream *zs = zfp_stream_open(NULL);
    zfp_field *field = zfp_field_1d(NULL, zfp_type_double, n_values);
    tgm_error err = TGM_ERROR_OK;
    TGM_FAIL_IF(zs == NULL || field == NULL, TGM_ERROR_COMPRESSION,
                "zfp error: zfp_stream_open failed");
    TGM_CHECK(set_mode(p, zs));
    size_t max_size = zfp_stream_maximum_size(zs, field);
    TGM_FAIL_IF(max_size == 0 || len > max_size, TGM_ERROR_COMPRESSION,
                "zfp error: zfp stream length %zu inconsistent with descriptor (max %zu for %zu "
                "values) - truncated or malformed payload",
                len, max_size, n_values);
    size_t nblocks = block_count(n_values);
    *maxbits = rate_bits(zs);
    if (p->zfp_mode == TGM_ZFP_FIXED_RATE) {
        uint64_t need = ((uint64_t)nblocks * *maxbits + 7) / 8;
        TGM_FAIL_IF(len < need, TGM_ERROR_COMPRESSION,
                    "zfp error: fixed-rate stream of %zu bytes is shorter than the %llu bytes "
                    "%zu values need (truncated payload)",
                    len, (unsigned long long)need, n_values);
        *slack = 0;
    } else {
        /* Past the real bytes a block reads at most MAX_BLOCK_BITS once and
         * then one zero bit per remaining block. */
        *slack = nblocks / 8 + MAX_BLOCK_BITS / 8 + 2;
    }
cleanup:
    if (zs != NULL) {
        zfp_stream_close(zs);
    }
    if (field != NULL) {
        zfp_field_free(field);
    }
    return err;
}

static tgm_error rate_decode_task(void *ctx, size_t index) {
    const rate_job *j = ctx;
    size_t b0 = index * RATE_CHUNK_BLOCKS;
    size_t b1 = j->nblocks - b0 < RATE_CHUNK_BLOCKS ? j->nblocks : b0 + RATE_CHUNK_BLOCKS;
    size_t v1 = 4 * b1 < j->n ? 4 * b1 : j->n;
    zfp_stream *zs = zfp_stream_open(NULL);
    /* The const copy is only read; libzfp's stream type takes void *. */
    bitstream *bs = zs != NULL ? stream_open((void *)(uintptr_t)j->src, j->src_len) : NULL;
    tgm_error err = TGM_ERROR_OK;
    if (bs == NULL) {
        err = tgm__fail(TGM_ERROR_COMPRESSION, "zfp error: cannot open a stream");
    } else if ((err = set_mode(j->p, zs)) == TGM_ERROR_OK) {
        zfp_stream_set_bit_stream(zs, bs);
        stream_rseek(bs, (uint64_t)b0 * j->maxbits);
        decode_values(zs, 4 * b0, v1, j->dst + 32 * b0);
    }
    if (bs != NULL) {
        stream_close(bs);
    }
    if (zs != NULL) {
        zfp_stream_close(zs);
    }
    return err;
}

static tgm_error zfp_decompress_values(const tgm_codec_params *p, const uint8_t *src, size_t n,
                                       uint8_t *dst, size_t dst_len) {
    size_t nv = p->zfp_num_values;
    if (nv == 0 || n == 0) {
        TGM_RETURN_IF(nv == 0 && n != 0, TGM_ERROR_COMPRESSION,
                      "zfp error: num_values=0 with non-empty compressed stream (malformed zfp "
                      "descriptor)");
        TGM_RETURN_IF(nv != 0, TGM_ERROR_COMPRESSION,
                      "zfp error: num_values=%zu with empty compressed stream (truncated or "
                      "malformed payload)",
                      nv);
        TGM_RETURN_IF(dst_len != 0, TGM_ERROR_COMPRESSION,
                      "zfp error: expected %zu output bytes for 0 values", dst_len);
        return TGM_ERROR_OK;
    }
    TGM_RETURN_IF(nv > SIZE_MAX / 8 || dst_len != nv * 8, TGM_ERROR_COMPRESSION,
                  "zfp error: output of %zu bytes does not hold %zu float64 values", dst_len, nv);
    uint32_t maxbits;
    size_t slack;
    TGM_TRY(check_stream(p, nv, n, &maxbits, &slack));

    reader r;
    TGM_TRY(reader_open(&r, p, src, n, slack));
    tgm_error err = TGM_ERROR_OK;
    size_t nblocks = block_count(nv);
    if (p->zfp_mode == TGM_ZFP_FIXED_RATE) {
        rate_job j = {p, r.copy, (n + slack + 16) / 8 * 8, dst, nv, nblocks, maxbits};
        uint32_t threads = dst_len >= TGM_PARALLEL_THRESHOLD_BYTES ? p->threads : 1;
        err = tgm__parallel_for(threads, (nblocks + RATE_CHUNK_BLOCKS - 1) / RATE_CHUNK_BLOCKS,
                                rate_decode_task, &j);
    } else {
        decode_values(r.zs, 0, nv, dst);
        uint64_t used = stream_rtell(r.bs);
        if (used > (uint64_t)n * 8) {
            err = tgm__fail(TGM_ERROR_COMPRESSION,
                            "zfp error: stream of %zu bytes ends before its %zu values "
                            "(truncated payload)",
                            n, nv);
        }
    }
    reader_close(&r);
    return err;
}

static tgm_error zfp_decompress_range(const tgm_codec_params *p, const uint8_t *src, size_t n,
                                      const uint64_t *block_offsets, size_t n_offsets,
                                      uint64_t byte_pos, uint64_t byte_size, uint8_t *dst) {
    (void)block_offsets;
    (void)n_offsets;
    size_t nv = p->zfp_num_values;
    TGM_RETURN_IF(byte_pos % 8 != 0 || byte_size % 8 != 0, TGM_ERROR_COMPRESSION,
                  "zfp error: byte range (%llu, %llu) is not a whole number of float64 values",
                  (unsigned long long)byte_pos, (unsigned long long)byte_size);
    uint64_t v0 = byte_pos / 8, count = byte_size / 8;
    TGM_RETURN_IF(v0 > nv || count > nv - v0, TGM_ERROR_COMPRESSION,
                  "zfp error: range (%llu, %llu) exceeds total values %zu", (unsigned long long)v0,
                  (unsigned long long)count, nv);
    if (count == 0) {
        return TGM_ERROR_OK;
    }
    TGM_RETURN_IF(n == 0, TGM_ERROR_COMPRESSION,
                  "zfp error: num_values=%zu with empty compressed stream (truncated or "
                  "malformed payload)",
                  nv);
    uint32_t maxbits;
    size_t slack;
    TGM_TRY(check_stream(p, nv, n, &maxbits, &slack));
    size_t v1 = (size_t)(v0 + count);
    reader r;
    tgm_error err;
    if (p->zfp_mode == TGM_ZFP_FIXED_RATE) {
        /* Copy only the words holding the blocks needed. */
        uint64_t first_bit = (uint64_t)(v0 / 4) * maxbits;
        uint64_t end_bit = (uint64_t)block_count(v1) * maxbits;
        size_t start = (size_t)(first_bit / 64 * 8);
        size_t stop = (size_t)((end_bit + 7) / 8);
        TGM_TRY(reader_open(&r, p, src + start, stop - start, 0));
        stream_rseek(r.bs, first_bit - (uint64_t)start * 8);
        decode_values(r.zs, (size_t)v0, v1, dst);
        reader_close(&r);
        return TGM_ERROR_OK;
    }
    TGM_TRY(reader_open(&r, p, src, n, slack));
    skip_blocks(r.zs, (size_t)v0 / 4);
    decode_values(r.zs, (size_t)v0, v1, dst);
    err = stream_rtell(r.bs) > (uint64_t)n * 8
              ? tgm__fail(TGM_ERROR_COMPRESSION,
                          "zfp error: stream of %zu bytes ends before value %zu (truncated "
                          "payload)",
                          n, v1 - 1)
              : TGM_ERROR_OK;
    reader_close(&r);
    return err;
}

const tgm_codec tgm__codec_zfp = {"zfp", zfp_compress_values, zfp_decompress_values,
                                  zfp_decompress_range};
