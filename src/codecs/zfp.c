/* zfp compression of a 1-D float64 array, byte-compatible with libzfp 1.0
 * and so with the reference: parameters, stream-length checks, threads and
 * the codec table entry.  The stream and the coder: zfp.h, zfp_coder.h.
 *
 * The stream is zfp's raw bit stream, no header, cut at ceil(bits / 8)
 * bytes (the reference's length; libzfp itself pads to its word size).
 *
 * Fixed-rate streams have every block at bit i * maxbits, so encoding and
 * decoding split into tasks of RATE_CHUNK_BLOCKS blocks (a multiple of 64,
 * so every task starts on a 64-bit word boundary and writes whole words of
 * its own), and range decode reads only the blocks it needs.  Other modes
 * decode sequentially; their range decode skips the blocks before the range
 * without reconstructing them (as the reference, which decodes everything
 * and slices).  Encoding in those modes splits into tasks too: each codes
 * its blocks into a buffer of its own and the bit strings are joined. */
#include "codecs/zfp.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/checked.h"
#include "common/error.h"

#ifdef TGM_HAVE_ZFP
#include "codecs/zfp_coder.h"
#include "common/alloc.h"
#include "common/thread.h"

/* Blocks per parallel task: a multiple of 64 (see above), and 128 KiB of
 * input. */
#define RATE_CHUNK_BLOCKS ((size_t)4096)

static size_t block_count(size_t n) { return n / 4 + (n % 4 != 0); }

/* Bits in n bytes (saturating). */
static uint64_t bits_in(size_t n) {
    return (uint64_t)n > UINT64_MAX / 8 ? UINT64_MAX : (uint64_t)n * 8;
}

tgm_error tgm__zfp_config(const tgm_codec_params *cp, tgm_zfp_cfg *c) {
    tgm_zfp_params zp;
    TGM_CODEC_OWN_GET(cp, zp);
    const tgm_zfp_params *p = &zp;
    memset(c, 0, sizeof *c);
    c->maxprec = TGM_ZFP_MAX_PREC;
    c->minexp = TGM_ZFP_MIN_EXP;
    switch (p->mode) {
    case TGM_ZFP_FIXED_RATE: {
        /* libzfp converts 4 * rate to an unsigned int: keep it in range. */
        TGM_RETURN_IF(!(p->rate > 0.0) || !(p->rate <= (double)TGM_ZFP_MAX_BITS / 4),
                      TGM_ERROR_ENCODING, "zfp error: zfp_rate must be in (0, %g], got %g",
                      (double)TGM_ZFP_MAX_BITS / 4, p->rate);
        uint32_t bits = (uint32_t)floor(4 * p->rate + 0.5);
        if (bits < 12) {
            bits = 12; /* 1 + 11 exponent bits */
        }
        c->minbits = c->maxbits = bits;
        c->fixed_rate = 1;
        return TGM_ERROR_OK;
    }
    case TGM_ZFP_FIXED_PRECISION:
        c->minbits = TGM_ZFP_MIN_BITS;
        c->maxbits = TGM_ZFP_MAX_BITS;
        if (p->precision != 0 && p->precision < TGM_ZFP_MAX_PREC) {
            c->maxprec = p->precision;
        }
        return TGM_ERROR_OK;
    case TGM_ZFP_FIXED_ACCURACY: {
        double t = p->tolerance;
        TGM_RETURN_IF(isinf(t), TGM_ERROR_ENCODING,
                      "zfp error: zfp_tolerance must be finite, got %g", t);
        /* The reference's text: libzfp's zfp_stream_set_accuracy returns 0
         * for a tolerance that is not positive. */
        TGM_RETURN_IF(!(t > 0), TGM_ERROR_ENCODING,
                      "zfp error: zfp_stream_set_accuracy returned 0");
        int e;
        frexp(t, &e); /* t = m 2^e, 0.5 <= m < 1 */
        c->minbits = TGM_ZFP_MIN_BITS;
        c->maxbits = TGM_ZFP_MAX_BITS;
        c->minexp = e - 1;
        return TGM_ERROR_OK;
    }
    default:
        return tgm__fail(TGM_ERROR_ENCODING, "zfp error: unknown zfp mode %d", (int)p->mode);
    }
}

uint64_t tgm__zfp_max_stream_bytes(const tgm_zfp_cfg *c, uint64_t n) {
    /* libzfp: header allowance of 148 bits, then per block the header and
     * 4 bit planes of maxprec bits plus 3 group tests, within
     * [minbits, maxbits]; rounded up to whole bytes (its 8-bit stream
     * words, as Debian's build and the reference's). */
    uint64_t per = 12 + 3 + 4 * (uint64_t)c->maxprec;
    if (per > c->maxbits) {
        per = c->maxbits;
    }
    if (per < c->minbits) {
        per = c->minbits;
    }
    uint64_t blocks = n / 4 + (n % 4 != 0);
    if (blocks > (UINT64_MAX - 148 - 7) / per) {
        return UINT64_MAX;
    }
    return (148 + blocks * per + 7) / 8;
}

/* ---- encoding ------------------------------------------------------------ */

typedef struct {
    const tgm_zfp_kernels *k;
    const tgm_zfp_cfg *c;
    const uint8_t *src; /* encode: values; decode: stream */
    size_t src_len;     /* decode: stream bytes */
    uint8_t *dst;       /* encode: stream (word-aligned task starts); decode: values */
    size_t n;
    size_t nblocks;
    size_t chunk; /* blocks per task */
    /* variable-rate encoding: one buffer and bit count per task */
    uint8_t **parts;
    uint64_t *part_bits;
} zfp_job;

static void task_blocks(const zfp_job *j, size_t index, size_t *b0, size_t *b1) {
    *b0 = index * j->chunk;
    *b1 = j->nblocks - *b0 < j->chunk ? j->nblocks : *b0 + j->chunk;
}

static tgm_error rate_encode_task(void *ctx, size_t index) {
    const zfp_job *j = ctx;
    size_t b0, b1;
    task_blocks(j, index, &b0, &b1);
    j->k->encode(j->c, j->src, j->n, b0, b1, j->dst + (size_t)((uint64_t)b0 * j->c->maxbits / 8));
    return TGM_ERROR_OK;
}

static tgm_error var_encode_task(void *ctx, size_t index) {
    const zfp_job *j = ctx;
    size_t b0, b1;
    task_blocks(j, index, &b0, &b1);
    size_t cap = (size_t)(((uint64_t)(b1 - b0) * TGM_ZFP_BLOCK_MAX_CODE + 63) / 64 * 8);
    uint8_t *buf = tgm__malloc(cap);
    if (buf == NULL) {
        return tgm__oom(cap, "zfp task stream");
    }
    j->parts[index] = buf;
    j->part_bits[index] = j->k->encode(j->c, j->src, j->n, b0, b1, buf);
    return TGM_ERROR_OK;
}

/* Append the first `bits` bits of src to the stream at dst, whose last
 * `fill` bits (of the word at dst) are already written. */
static uint8_t *join_bits(uint8_t *dst, uint32_t *fill, const uint8_t *src, uint64_t bits) {
    zfp_bw w = {dst, 0, *fill};
    if (*fill != 0) {
        w.acc = zfp_ld64(dst) & ((UINT64_C(1) << *fill) - 1);
    }
    for (; bits >= 64; bits -= 64, src += 8) {
        zfp_put(&w, zfp_ld64(src), 64);
    }
    if (bits != 0) {
        zfp_put(&w, zfp_ld64(src) & ((UINT64_C(1) << bits) - 1), (uint32_t)bits);
    }
    *fill = w.fill;
    if (w.fill != 0) {
        zfp_st64(w.p, w.acc); /* not a whole word yet: the next join reloads it */
    }
    return w.p;
}

static tgm_error zfp_compress_values(const tgm_codec_params *p, const uint8_t *src, size_t n_bytes,
                                     tgm_buf *out, tgm_u64vec *block_offsets) {
    (void)block_offsets;
    TGM_RETURN_IF(n_bytes % 8 != 0, TGM_ERROR_ENCODING,
                  "zfp error: data length %zu is not a multiple of 8", n_bytes);
    tgm_zfp_cfg c;
    TGM_TRY(tgm__zfp_config(p, &c));
    size_t n = n_bytes / 8;
    if (n == 0) {
        return TGM_ERROR_OK;
    }
    const tgm_zfp_kernels *k = tgm__zfp_kernels();
    size_t nblocks = block_count(n);
    uint32_t threads = n_bytes >= TGM_PARALLEL_THRESHOLD_BYTES ? p->threads : 1;
    zfp_job j = {k, &c, src, 0, NULL, n, nblocks, RATE_CHUNK_BLOCKS, NULL, NULL};
    size_t ntasks = (nblocks + RATE_CHUNK_BLOCKS - 1) / RATE_CHUNK_BLOCKS;

    if (c.fixed_rate) {
        uint64_t total;
        size_t words;
        TGM_RETURN_IF(tgm__mul_u64(nblocks, c.maxbits, &total) || total > UINT64_MAX - 63 ||
                          tgm__u64_to_size((total + 63) / 64 * 8, &words),
                      TGM_ERROR_COMPRESSION, "zfp error: %zu values are too many", n);
        TGM_TRY(tgm__buf_reserve(out, words));
        j.dst = out->data + out->len;
        if (threads <= 1 || ntasks <= 1) {
            k->encode(&c, src, n, 0, nblocks, j.dst);
        } else {
            TGM_TRY(tgm__parallel_for(threads, ntasks, rate_encode_task, &j));
        }
        out->len += (size_t)((total + 7) / 8);
        return TGM_ERROR_OK;
    }

    if (threads <= 1 || ntasks <= 1) {
        size_t cap;
        uint64_t most;
        TGM_RETURN_IF(tgm__mul_u64(nblocks, TGM_ZFP_BLOCK_MAX_CODE, &most) ||
                          most > UINT64_MAX - 63 || tgm__u64_to_size((most + 63) / 64 * 8, &cap),
                      TGM_ERROR_COMPRESSION, "zfp error: %zu values are too many", n);
        TGM_TRY(tgm__buf_reserve(out, cap));
        uint64_t bits = k->encode(&c, src, n, 0, nblocks, out->data + out->len);
        out->len += (size_t)((bits + 7) / 8);
        return TGM_ERROR_OK;
    }

    /* Variable rate on several threads: code each task's blocks on its
     * own, then join the bit strings in order. */
    tgm_error err = TGM_ERROR_OK;
    j.parts = tgm__calloc(ntasks, sizeof *j.parts);
    j.part_bits = tgm__calloc(ntasks, sizeof *j.part_bits);
    TGM_FAIL_IF(j.parts == NULL || j.part_bits == NULL, TGM_ERROR_COMPRESSION,
                "zfp error: out of memory for %zu tasks", ntasks);
    TGM_CHECK(tgm__parallel_for(threads, ntasks, var_encode_task, &j));
    uint64_t total = 0;
    for (size_t t = 0; t < ntasks; t++) {
        total += j.part_bits[t];
    }
    TGM_CHECK(tgm__buf_reserve(out, (size_t)((total + 63) / 64 * 8 + 8)));
    uint8_t *w = out->data + out->len;
    uint32_t fill = 0;
    for (size_t t = 0; t < ntasks; t++) {
        w = join_bits(w, &fill, j.parts[t], j.part_bits[t]);
    }
    out->len += (size_t)((total + 7) / 8);
cleanup:
    if (j.parts != NULL) {
        for (size_t t = 0; t < ntasks; t++) {
            tgm__free(j.parts[t]);
        }
    }
    tgm__free(j.parts);
    tgm__free(j.part_bits);
    return err;
}

/* ---- decoding ------------------------------------------------------------ */

/* Validate the stream length against the descriptor (the reference's
 * checks and texts). */
static tgm_error check_stream(const tgm_zfp_cfg *c, size_t n_values, size_t len) {
    uint64_t max_size = tgm__zfp_max_stream_bytes(c, n_values);
    TGM_RETURN_IF(len > max_size, TGM_ERROR_COMPRESSION,
                  "zfp error: zfp stream length %zu inconsistent with descriptor (max %llu for "
                  "%zu values) - truncated or malformed payload",
                  len, (unsigned long long)max_size, n_values);
    if (c->fixed_rate) {
        uint64_t need;
        if (tgm__mul_u64(block_count(n_values), c->maxbits, &need) || need > UINT64_MAX - 7) {
            need = UINT64_MAX; /* no stream is that long */
        } else {
            need = (need + 7) / 8;
        }
        TGM_RETURN_IF(len < need, TGM_ERROR_COMPRESSION,
                      "zfp error: fixed-rate stream of %zu bytes is shorter than the %llu bytes "
                      "%zu values need (truncated payload)",
                      len, (unsigned long long)need, n_values);
    }
    return TGM_ERROR_OK;
}

static tgm_error rate_decode_task(void *ctx, size_t index) {
    const zfp_job *j = ctx;
    size_t b0, b1;
    task_blocks(j, index, &b0, &b1);
    size_t v1 = 4 * b1 < j->n ? 4 * b1 : j->n;
    j->k->decode(j->c, j->src, j->src_len, (uint64_t)b0 * j->c->maxbits, j->n, 4 * b0, v1,
                 j->dst + 32 * b0);
    return TGM_ERROR_OK;
}

static tgm_error zfp_decompress_values(const tgm_codec_params *p, const uint8_t *src, size_t n,
                                       uint8_t *dst, size_t dst_len) {
    tgm_zfp_params zp;
    TGM_CODEC_OWN_GET(p, zp);
    size_t nv = zp.num_values;
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
    tgm_zfp_cfg c;
    TGM_TRY(tgm__zfp_config(p, &c));
    TGM_TRY(check_stream(&c, nv, n));

    const tgm_zfp_kernels *k = tgm__zfp_kernels();
    size_t nblocks = block_count(nv);
    if (c.fixed_rate) {
        zfp_job j = {k, &c, src, n, dst, nv, nblocks, RATE_CHUNK_BLOCKS, NULL, NULL};
        size_t ntasks = (nblocks + RATE_CHUNK_BLOCKS - 1) / RATE_CHUNK_BLOCKS;
        uint32_t threads = dst_len >= TGM_PARALLEL_THRESHOLD_BYTES ? p->threads : 1;
        if (threads <= 1 || ntasks <= 1) {
            k->decode(&c, src, n, 0, nv, 0, nv, dst);
            return TGM_ERROR_OK;
        }
        return tgm__parallel_for(threads, ntasks, rate_decode_task, &j);
    }
    uint64_t used = k->decode(&c, src, n, 0, nv, 0, nv, dst);
    TGM_RETURN_IF(used > bits_in(n), TGM_ERROR_COMPRESSION,
                  "zfp error: stream of %zu bytes ends before its %zu values (truncated payload)",
                  n, nv);
    return TGM_ERROR_OK;
}

static tgm_error zfp_decompress_range(const tgm_codec_params *p, const uint8_t *src, size_t n,
                                      const uint64_t *block_offsets, size_t n_offsets,
                                      uint64_t byte_pos, uint64_t byte_size, uint8_t *dst) {
    (void)block_offsets;
    (void)n_offsets;
    tgm_zfp_params zp;
    TGM_CODEC_OWN_GET(p, zp);
    size_t nv = zp.num_values;
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
    tgm_zfp_cfg c;
    TGM_TRY(tgm__zfp_config(p, &c));
    TGM_TRY(check_stream(&c, nv, n));
    const tgm_zfp_kernels *k = tgm__zfp_kernels();
    size_t v1 = (size_t)(v0 + count);
    if (c.fixed_rate) {
        /* O(1): block v0 / 4 starts at bit (v0 / 4) * maxbits. */
        k->decode(&c, src, n, (uint64_t)(v0 / 4) * c.maxbits, nv, (size_t)v0, v1, dst);
        return TGM_ERROR_OK;
    }
    uint64_t bit = k->skip(&c, src, n, 0, (size_t)v0 / 4);
    bit = k->decode(&c, src, n, bit, nv, (size_t)v0, v1, dst);
    TGM_RETURN_IF(bit > bits_in(n), TGM_ERROR_COMPRESSION,
                  "zfp error: stream of %zu bytes ends before value %zu (truncated payload)", n,
                  v1 - 1);
    return TGM_ERROR_OK;
}

/* zfp is implemented here; the kernels follow the CPU. */
static const char *zfp_backend(char *buf, size_t cap) {
    snprintf(buf, cap, "tensogram-c (built-in, %s kernels)", tgm__zfp_kernels()->name);
    return buf;
}

static const char *zfp_version(void) { return TGM_VERSION_STRING; }
#endif /* TGM_HAVE_ZFP */

/* ---- the codec table entry ------------------------------------------------ */

/* zfp_mode with the parameter it needs (the reference's texts). */
static tgm_error zfp_parse(const tgm_codec_keys *k, tgm_codec_params *p) {
    tgm_zfp_params zp;
    memset(&zp, 0, sizeof zp);
    const char *mode = tgm__key_text(k, "zfp_mode");
    TGM_RETURN_IF(mode == NULL, TGM_ERROR_METADATA, "missing required parameter: zfp_mode");
    if (strcmp(mode, "fixed_rate") == 0) {
        zp.mode = TGM_ZFP_FIXED_RATE;
        TGM_TRY(tgm__key_f64(k, "zfp_rate", &zp.rate));
    } else if (strcmp(mode, "fixed_precision") == 0) {
        zp.mode = TGM_ZFP_FIXED_PRECISION;
        TGM_TRY(tgm__key_u32(k, "zfp_precision", &zp.precision));
    } else if (strcmp(mode, "fixed_accuracy") == 0) {
        zp.mode = TGM_ZFP_FIXED_ACCURACY;
        TGM_TRY(tgm__key_f64(k, "zfp_tolerance", &zp.tolerance));
    } else {
        return tgm__fail(TGM_ERROR_ENCODING,
                         "unknown zfp_mode: %s (expected one of: fixed_rate, fixed_precision, "
                         "fixed_accuracy)",
                         mode);
    }
    TGM_RETURN_IF(p->stream.n > SIZE_MAX, TGM_ERROR_METADATA, "too many values");
    zp.num_values = (size_t)p->stream.n;
    TGM_CODEC_OWN_PUT(p, zp);
    return TGM_ERROR_OK;
}

/* 1-D blocks of 4 doubles (32 bytes).  In fixed_rate mode every block takes
 * exactly max(floor(4 rate + 0.5), 12) bits, so n bytes hold at most
 * 8 n / that many blocks; in the other modes a block takes at least one bit
 * (TGM_ZFP_MIN_BITS). */
static uint64_t zfp_max_expansion(const tgm_codec_params *p, uint64_t n) {
    tgm_zfp_params zp;
    TGM_CODEC_OWN_GET(p, zp);
    uint64_t r, bits;
    if (zp.mode == TGM_ZFP_FIXED_RATE && zp.rate > 0 && zp.rate <= TGM_ZFP_MAX_BITS / 4.0) {
        uint64_t per = (uint64_t)floor(4 * zp.rate + 0.5);
        per = per < 12 ? 12 : per;
        if (tgm__mul_u64(n, 8, &bits)) {
            return UINT64_MAX;
        }
        return tgm__mul_u64(bits / per, 32, &r) ? UINT64_MAX : r;
    }
    return tgm__mul_u64(n, 8 * 32, &r) ? UINT64_MAX : r;
}

/* zfp compresses float64 values in this library (the reference also feeds
 * it float32 bytes); the test uses float64 and checks the decoded size. */
static const tgm_codec_selftest zfp_selftest = {"pipeline       zfp (fixed-rate)",
                                                "float64",
                                                "none",
                                                "none",
                                                ",\"zfp_mode\":\"fixed_rate\",\"zfp_rate\":16.0",
                                                1.5};

const tgm_codec tgm__codec_zfp = {
    .name = "zfp",
    .flags = TGM_CODEC_VALUES | TGM_CODEC_HOST_ORDER | TGM_CODEC_LOSSY | TGM_CODEC_FEATURE,
    .dtypes = TGM_DTYPE_BIT(TGM_DT_FLOAT64),
    .parse = zfp_parse,
    .max_expansion = zfp_max_expansion,
#ifdef TGM_HAVE_ZFP
    .compress = zfp_compress_values,
    .decompress = zfp_decompress_values,
    .decompress_range = zfp_decompress_range,
    .backend = zfp_backend,
    .version = zfp_version,
#endif
    .selftest = &zfp_selftest,
};
