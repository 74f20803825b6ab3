/* sz3: the SZ3 stream (header, configuration, lossless stage) and the
 * encoder's and decoder's top level.  See codecs/sz3.h.
 *
 * Stream: u32 magic 0xF342F310, u32 data version (3.3.2 as 0x03030200),
 * u64 payload size, the payload, then the configuration:
 *   u8 its size in bytes (counting this byte), u8 dimensions (1),
 *   u8 bit width w of the dimension, the dimension in ceil(w / 8) bytes
 *   (bits least significant first), u64 value count, u8 algorithm,
 *   u8 error-bound mode, f64 bound (two for the abs-and/or-rel modes),
 *   u8 flags (Lorenzo, second-order Lorenzo, regression, second-order
 *   regression, OpenMP, from the top bit), u8 data type (1: double),
 *   i32 quantisation bins, i32 block size, u8 prediction dimensions.
 * The payload is the lossless stage's output: u64 size of what it
 * compressed, then one zstd frame (ZSTD_compress, level 3).  What it
 * compressed is either the raw doubles (algorithm 4, lossless) or a
 * predictor section (sz3_tune.c).
 *
 * Encoding follows SZ3's dispatcher: the bound becomes an absolute bound
 * (rel: times max - min; psnr: range * 10^-((psnr + 10 log10(1 - 2/3 *
 * 0.99)) / 20)), which the configuration then records in abs mode; a zero
 * bound means lossless; otherwise the tuned predictor compresses, and the
 * raw doubles are stored losslessly instead when the predictor's output
 * would not fit SZ3's output budget, or when its ratio is below 3 and zstd
 * alone does better. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "codecs/codec.h"
#include "codecs/sz3.h"
#include "common/error.h"

#ifdef TGM_HAVE_SZ3
#include "codecs/sz3_internal.h"
#include "common/alloc.h"
#include "common/checked.h"
#include "common/endian.h"

#define CONF_FLAGS_INTERP 0xE0u  /* Lorenzo, Lorenzo2, regression: as the reference sets them */
#define CONF_FLAGS_LORENZO 0xC0u /* what SZ3's Lorenzo choice stores */
#define CONF_BLOCK_SIZE 128
/* Slack after every decoded section: the Huffman decoder loads whole words. */
#define DECODE_SLACK 16u

/* ---- cursor -------------------------------------------------------------- */

tgm_error tgm__sz3_take(sz3_cur *c, size_t n, const char *what, const uint8_t **out) {
    TGM_RETURN_IF(n > c->left, TGM_ERROR_COMPRESSION,
                  "sz3: truncated %s (%zu bytes needed, %zu left)", what, n, c->left);
    *out = c->p;
    c->p += n;
    c->left -= n;
    return TGM_ERROR_OK;
}

tgm_error tgm__sz3_u8(sz3_cur *c, const char *what, uint8_t *v) {
    const uint8_t *p = NULL;
    TGM_TRY(tgm__sz3_take(c, 1, what, &p));
    *v = p[0];
    return TGM_ERROR_OK;
}

tgm_error tgm__sz3_u32(sz3_cur *c, const char *what, uint32_t *v) {
    const uint8_t *p = NULL;
    TGM_TRY(tgm__sz3_take(c, 4, what, &p));
    *v = tgm__rd_le32(p);
    return TGM_ERROR_OK;
}

tgm_error tgm__sz3_u64(sz3_cur *c, const char *what, uint64_t *v) {
    const uint8_t *p = NULL;
    TGM_TRY(tgm__sz3_take(c, 8, what, &p));
    *v = tgm__rd_le64(p);
    return TGM_ERROR_OK;
}

tgm_error tgm__sz3_f64(sz3_cur *c, const char *what, double *v) {
    uint64_t bits;
    TGM_TRY(tgm__sz3_u64(c, what, &bits));
    memcpy(v, &bits, 8);
    return TGM_ERROR_OK;
}

/* ---- lossless stage -------------------------------------------------------- */

tgm_error tgm__sz3_lossless(sz3_ctx *cx, const uint8_t *src, size_t n, tgm_buf *out) {
    size_t bound = ZSTD_compressBound(n);
    TGM_TRY(tgm__buf_reserve(out, 8 + bound));
    uint8_t *o = out->data + out->len;
    tgm__wr_le64(o, n);
    size_t r = ZSTD_compressCCtx(cx->zc, o + 8, bound, src, n, SZ3_ZSTD_LEVEL);
    TGM_RETURN_IF(ZSTD_isError(r), TGM_ERROR_COMPRESSION, "sz3: zstd error: %s",
                  ZSTD_getErrorName(r));
    out->len += 8 + r;
    return TGM_ERROR_OK;
}

/* ---- configuration -------------------------------------------------------- */

static unsigned bit_width(uint64_t v) {
    unsigned b = 0;
    while (v > 0) {
        v >>= 1;
        b++;
    }
    return b;
}

static size_t config_size(size_t n) { return 32 + (bit_width(n) + 7) / 8; }

static void write_config(uint8_t *o, size_t n, int algo, double eb, unsigned flags, int32_t qbins) {
    size_t size = config_size(n);
    unsigned w = bit_width(n);
    uint64_t bits;
    o[0] = (uint8_t)size;
    o[1] = 1;
    o[2] = (uint8_t)w;
    uint8_t *p = o + 3;
    for (unsigned i = 0; i < (w + 7) / 8; i++) {
        *p++ = (uint8_t)((uint64_t)n >> (8 * i));
    }
    tgm__wr_le64(p, n);
    p[8] = (uint8_t)algo;
    p[9] = SZ3_EB_ABS;
    memcpy(&bits, &eb, 8);
    tgm__wr_le64(p + 10, bits);
    p[18] = (uint8_t)flags;
    p[19] = SZ3_TYPE_DOUBLE;
    tgm__wr_le32(p + 20, (uint32_t)qbins);
    tgm__wr_le32(p + 24, CONF_BLOCK_SIZE);
    p[28] = 1; /* prediction dimensions */
}

typedef struct conf {
    uint64_t num;
    uint8_t algo;
    uint8_t flags;
    uint8_t dtype;
    int32_t qbins;
    int32_t block;
} conf;

static const char *algo_name(unsigned a) {
    static const char *const names[] = {"LORENZO_REG", "INTERP_LORENZO", "INTERP",  "NOPRED",
                                        "LOSSLESS",    "BIOMD",          "BIOMDXTC"};
    return a < sizeof names / sizeof names[0] ? names[a] : "unknown";
}

static tgm_error read_config(const uint8_t *p, size_t left, conf *cf) {
    sz3_cur c = {p, left};
    uint8_t size, ndim, w, ebm;
    TGM_TRY(tgm__sz3_u8(&c, "configuration size", &size));
    TGM_RETURN_IF(size != left, TGM_ERROR_COMPRESSION,
                  "sz3: configuration claims %u bytes, stream has %zu after the payload", size,
                  left);
    TGM_TRY(tgm__sz3_u8(&c, "dimension count", &ndim));
    TGM_RETURN_IF(ndim != 1, TGM_ERROR_COMPRESSION,
                  "sz3: %u-dimensional stream (Tensogram's sz3 payloads are 1-D)", ndim);
    TGM_TRY(tgm__sz3_u8(&c, "dimension width", &w));
    TGM_RETURN_IF(w > 64, TGM_ERROR_COMPRESSION, "sz3: dimension width %u bits", w);
    const uint8_t *d = NULL;
    TGM_TRY(tgm__sz3_take(&c, (w + 7u) / 8u, "dimensions", &d));
    uint64_t dim = 0;
    for (unsigned i = 0; i < w; i++) {
        dim |= (uint64_t)((d[i / 8] >> (i % 8)) & 1) << i;
    }
    TGM_TRY(tgm__sz3_u64(&c, "value count", &cf->num));
    TGM_RETURN_IF(dim != cf->num && !(cf->num == 1 && dim <= 1), TGM_ERROR_COMPRESSION,
                  "sz3: dimension %llu does not match value count %llu", (unsigned long long)dim,
                  (unsigned long long)cf->num);
    TGM_TRY(tgm__sz3_u8(&c, "algorithm", &cf->algo));
    TGM_TRY(tgm__sz3_u8(&c, "error-bound mode", &ebm));
    TGM_RETURN_IF(ebm > 5, TGM_ERROR_COMPRESSION, "sz3: unknown error-bound mode %u", ebm);
    const uint8_t *bounds = NULL;
    TGM_TRY(tgm__sz3_take(&c, ebm >= 4 ? 16 : 8, "error bound", &bounds));
    uint32_t qb, bs;
    uint8_t predim;
    TGM_TRY(tgm__sz3_u8(&c, "flags", &cf->flags));
    TGM_TRY(tgm__sz3_u8(&c, "data type", &cf->dtype));
    TGM_TRY(tgm__sz3_u32(&c, "quantisation bins", &qb));
    TGM_TRY(tgm__sz3_u32(&c, "block size", &bs));
    TGM_TRY(tgm__sz3_u8(&c, "prediction dimensions", &predim));
    TGM_RETURN_IF(c.left != 0, TGM_ERROR_COMPRESSION,
                  "sz3: %zu unexpected bytes at the end of the configuration", c.left);
    cf->qbins = (int32_t)qb;
    cf->block = (int32_t)bs;
    return TGM_ERROR_OK;
}

/* ---- encoding ------------------------------------------------------------ */

static double value_range(const double *v, size_t n) {
    double hi = v[0], lo = v[0];
    for (size_t i = 1; i < n; i++) {
        if (hi < v[i]) {
            hi = v[i];
        }
        if (lo > v[i]) {
            lo = v[i];
        }
    }
    return hi - lo;
}

static double psnr_bound(double psnr, double range) {
    double v1 = psnr + 10 * log10(1 - 2.0 / 3.0 * 0.99);
    double v2 = v1 / (-20);
    double v3 = pow(10, v2);
    return range * v3;
}

/* Lossy compression with the tuned choice: appends the payload to out, or
 * sets *fits = 0 when SZ3 would run out of output budget (cap). */
static tgm_error lossy(sz3_ctx *cx, const double *x, size_t n, double eb, const sz3_choice *ch,
                       size_t cap, tgm_buf *out, int *fits) {
    tgm_error err = TGM_ERROR_OK;
    int32_t *bins = tgm__malloc_array(n, sizeof *bins);
    int32_t *sel = NULL;
    double *work = NULL;
    uint64_t *hist = NULL;
    sz3_quant q;
    if (ch->algo == SZ3_ALGO_INTERP) {
        tgm__sz3_quant_init(&q, eb, 32768);
    } else {
        tgm__sz3_quant_init(&q, eb, ch->lorenzo_bins / 2);
    }
    TGM_FAIL_IF(bins == NULL, TGM_ERROR_COMPRESSION, "sz3: out of memory for %zu bins", n);
    if (ch->algo == SZ3_ALGO_INTERP) {
        /* Interpolation predicts from reconstructed values: work in a copy. */
        work = tgm__malloc_array(n, sizeof *work);
        TGM_FAIL_IF(work == NULL, TGM_ERROR_COMPRESSION, "sz3: out of memory for %zu values", n);
        memcpy(work, x, n * sizeof *work);
        sz3_interp_params ip = ch->interp;
        ip.anchor = tgm__sz3_interp_anchor(n, 4096);
        tgm__sz3_interp_compress(work, n, &ip, &q, bins);
        TGM_FAIL_IF(q.oom, TGM_ERROR_COMPRESSION, "sz3: out of memory for unpredictable values");
        TGM_CHECK(tgm__sz3_write_interp(n, &ip, &q, bins, n, &cx->scratch));
    } else {
        sz3_lorenzo_params lp = {1, 1, CONF_BLOCK_SIZE};
        size_t nsel = (n + CONF_BLOCK_SIZE - 1) / CONF_BLOCK_SIZE;
        sel = tgm__malloc_array(nsel, sizeof *sel);
        hist = tgm__calloc(2 * (size_t)q.radius, sizeof *hist);
        TGM_FAIL_IF(sel == NULL || hist == NULL, TGM_ERROR_COMPRESSION, "sz3: out of memory");
        tgm__sz3_lorenzo_compress(x, n, &lp, &q, sel, bins, hist);
        TGM_FAIL_IF(q.oom, TGM_ERROR_COMPRESSION, "sz3: out of memory for unpredictable values");
        TGM_CHECK(tgm__sz3_write_lorenzo(sel, nsel, &q, bins, n, hist, &cx->scratch));
    }
    /* SZ3's lossless stage refuses when its output might not fit what is
     * left of the budget; SZ3 then stores the input losslessly. */
    if (cap - 8 < ZSTD_compressBound(cx->scratch.len)) {
        *fits = 0;
    } else {
        *fits = 1;
        TGM_CHECK(tgm__sz3_lossless(cx, cx->scratch.data, cx->scratch.len, out));
    }
cleanup:
    tgm__sz3_quant_free(&q);
    tgm__free(bins);
    tgm__free(sel);
    tgm__free(work);
    tgm__free(hist);
    return err;
}

tgm_error tgm__sz3_compress(const uint8_t *src, size_t n, tgm_sz3_mode mode, double bound,
                            tgm_buf *out) {
    TGM_RETURN_IF(n == 0, TGM_ERROR_ENCODING, "sz3: cannot compress an empty array");
    TGM_RETURN_IF(mode != TGM_SZ3_PSNR && !(bound >= 0 && isfinite(bound)), TGM_ERROR_ENCODING,
                  "sz3: sz3_error_bound must be a finite number >= 0, got %g", bound);
    TGM_RETURN_IF(mode == TGM_SZ3_PSNR && !isfinite(bound), TGM_ERROR_ENCODING,
                  "sz3: sz3_error_bound (psnr) must be finite, got %g", bound);
    size_t raw_bytes;
    TGM_RETURN_IF(tgm__mul_size(n, sizeof(double), &raw_bytes) || raw_bytes > ZSTD_MAX_INPUT_SIZE,
                  TGM_ERROR_ENCODING, "sz3: %zu values are too many", n);

    tgm_error err = TGM_ERROR_OK;
    sz3_ctx cx = {NULL, TGM_BUF_INIT, TGM_BUF_INIT};
    size_t start = out->len;
    /* The values are read in place when they are aligned. */
    double *copy = NULL;
    const double *x = (const double *)(const void *)src;
    if ((uintptr_t)src % sizeof(double) != 0) {
        copy = tgm__malloc_array(n, sizeof(double));
        TGM_FAIL_IF(copy == NULL, TGM_ERROR_COMPRESSION, "sz3: out of memory for %zu values", n);
        memcpy(copy, src, raw_bytes);
        x = copy;
    }
    cx.zc = ZSTD_createCCtx();
    TGM_FAIL_IF(cx.zc == NULL, TGM_ERROR_COMPRESSION, "sz3: cannot create a zstd context");

    double eb = bound, rel = 0;
    if (mode == TGM_SZ3_REL) {
        rel = bound;
        eb = bound * value_range(x, n);
    } else if (mode == TGM_SZ3_PSNR) {
        eb = psnr_bound(bound, value_range(x, n));
    }
    /* SZ3's output budget for the payload: its size bound minus the header
     * and twice the configuration. */
    size_t csize = config_size(n);
    size_t cap = 4096 + csize + ZSTD_compressBound(raw_bytes) - 16 - 2 * csize;

    sz3_choice ch;
    ch.algo = SZ3_ALGO_LOSSLESS;
    ch.lorenzo_bins = 65536;
    if (eb != 0) {
        TGM_CHECK(tgm__sz3_tune(&cx, x, n, eb, rel, &ch));
    }
    unsigned flags = ch.algo == SZ3_ALGO_LORENZO_REG ? CONF_FLAGS_LORENZO : CONF_FLAGS_INTERP;
    int32_t qbins = ch.algo == SZ3_ALGO_LORENZO_REG ? ch.lorenzo_bins : 65536;

    uint8_t *hdr;
    TGM_CHECK(tgm__buf_extend(out, SZ3_HEADER_BYTES, &hdr));
    size_t pay = out->len;
    int algo = ch.algo;
    if (algo != SZ3_ALGO_LOSSLESS) {
        int fits = 0;
        TGM_CHECK(lossy(&cx, x, n, eb, &ch, cap, out, &fits));
        if (!fits) {
            algo = SZ3_ALGO_LOSSLESS;
        } else if ((double)raw_bytes / 1.0 / (double)(out->len - pay) < 3) {
            /* Below ratio 3 SZ3 also tries zstd alone and keeps the smaller. */
            cx.zout.len = 0;
            TGM_CHECK(tgm__sz3_lossless(&cx, src, raw_bytes, &cx.zout));
            if (cx.zout.len < out->len - pay && cx.zout.len <= cap) {
                out->len = pay;
                TGM_CHECK(tgm__buf_append(out, cx.zout.data, cx.zout.len));
                algo = SZ3_ALGO_LOSSLESS;
            }
        }
    }
    if (algo == SZ3_ALGO_LOSSLESS && out->len == pay) {
        TGM_CHECK(tgm__sz3_lossless(&cx, src, raw_bytes, out));
    }
    size_t payload = out->len - pay;
    uint8_t *cfg;
    TGM_CHECK(tgm__buf_extend(out, csize, &cfg));
    write_config(cfg, n, algo, eb, flags, qbins);
    hdr = out->data + start;
    tgm__wr_le32(hdr, SZ3_MAGIC);
    tgm__wr_le32(hdr + 4, SZ3_DATA_VERSION);
    tgm__wr_le64(hdr + 8, payload);
cleanup:
    if (err != TGM_ERROR_OK) {
        out->len = start;
    }
    ZSTD_freeCCtx(cx.zc);
    tgm__buf_free(&cx.scratch);
    tgm__buf_free(&cx.zout);
    tgm__free(copy);
    return err;
}

/* ---- decoding ------------------------------------------------------------ */

/* The payload's lossless stage, into dst of exactly `expect` bytes. */
static tgm_error unzstd(const uint8_t *p, size_t len, uint8_t *dst, size_t expect) {
    sz3_cur c = {p, len};
    uint64_t claimed;
    TGM_TRY(tgm__sz3_u64(&c, "lossless size", &claimed));
    TGM_RETURN_IF(claimed != expect, TGM_ERROR_COMPRESSION,
                  "sz3: lossless stage holds %llu bytes, expected %zu", (unsigned long long)claimed,
                  expect);
    unsigned long long fcs = ZSTD_getFrameContentSize(c.p, c.left);
    TGM_RETURN_IF(fcs != ZSTD_CONTENTSIZE_UNKNOWN && fcs != claimed, TGM_ERROR_COMPRESSION,
                  "sz3: zstd frame holds %llu bytes, the stream says %llu", fcs,
                  (unsigned long long)claimed);
    size_t r = ZSTD_decompress(dst, expect, c.p, c.left);
    TGM_RETURN_IF(ZSTD_isError(r), TGM_ERROR_COMPRESSION, "sz3: zstd error: %s",
                  ZSTD_getErrorName(r));
    TGM_RETURN_IF(r != expect, TGM_ERROR_COMPRESSION,
                  "sz3: zstd frame holds %zu bytes, expected %zu", r, expect);
    return TGM_ERROR_OK;
}

/* The size of a predictor section for n values is at most: 8 bytes per
 * unpredictable value and per bin (codes are at most 64 bits), the tree
 * (at most 2 * 65537 nodes of 13 bytes), a few headers. */
static size_t section_limit(size_t n) {
    size_t lim;
    if (tgm__mul_size(n, 16, &lim) || tgm__add_size(lim, (size_t)4 << 20, &lim)) {
        return SIZE_MAX;
    }
    return lim;
}

static tgm_error decode_interp(sz3_cur *c, size_t n, double *x, int32_t *bins) {
    sz3_interp_params ip;
    sz3_quant q;
    memset(&q, 0, sizeof q);
    sz3_huff_dec h;
    memset(&h, 0, sizeof h);
    uint64_t count;
    tgm_error err = TGM_ERROR_OK;
    TGM_CHECK(tgm__sz3_interp_load(c, n, &ip, &q));
    TGM_CHECK(tgm__sz3_huff_load(c, &h));
    TGM_CHECK(tgm__sz3_u64(c, "bin count", &count));
    TGM_FAIL_IF(count != n, TGM_ERROR_COMPRESSION, "sz3: %llu bins for %zu values",
                (unsigned long long)count, n);
    TGM_CHECK(tgm__sz3_huff_decode(&h, c, bins, n));
    TGM_CHECK(tgm__sz3_interp_decompress(x, n, &ip, &q, bins));
cleanup:
    tgm__sz3_huff_dec_free(&h);
    tgm__sz3_quant_free(&q);
    return err;
}

static tgm_error decode_lorenzo(sz3_cur *c, size_t n, const conf *cf, double *x, int32_t *bins) {
    sz3_lorenzo_params lp = {(cf->flags >> 7) & 1, (cf->flags >> 6) & 1, 0};
    TGM_RETURN_IF((cf->flags >> 5) & 1, TGM_ERROR_COMPRESSION,
                  "sz3: streams with the regression predictor are not supported (the "
                  "reference's configuration never selects it)");
    TGM_RETURN_IF((cf->flags >> 4) & 1, TGM_ERROR_COMPRESSION,
                  "sz3: streams with the second-order regression predictor are not supported");
    TGM_RETURN_IF(!lp.first && !lp.second, TGM_ERROR_COMPRESSION,
                  "sz3: Lorenzo stream with every predictor disabled");
    TGM_RETURN_IF(cf->block <= 0, TGM_ERROR_COMPRESSION, "sz3: block size %d", cf->block);
    lp.block = (size_t)cf->block;
    size_t nblocks = n / lp.block + (n % lp.block != 0);
    sz3_quant q;
    memset(&q, 0, sizeof q);
    sz3_huff_dec h;
    memset(&h, 0, sizeof h);
    int32_t *sel = NULL;
    uint64_t count;
    tgm_error err = TGM_ERROR_OK;
    if (lp.first && lp.second) {
        TGM_CHECK(tgm__sz3_u64(c, "predictor selection count", &count));
        TGM_FAIL_IF(count != nblocks, TGM_ERROR_COMPRESSION,
                    "sz3: %llu predictor selections for %zu blocks", (unsigned long long)count,
                    nblocks);
        sel = tgm__malloc_array(nblocks, sizeof *sel);
        TGM_FAIL_IF(sel == NULL, TGM_ERROR_COMPRESSION, "sz3: out of memory");
        TGM_CHECK(tgm__sz3_huff_load(c, &h));
        TGM_CHECK(tgm__sz3_huff_decode(&h, c, sel, nblocks));
        tgm__sz3_huff_dec_free(&h);
        for (size_t i = 0; i < nblocks; i++) {
            TGM_FAIL_IF(sel[i] != 0 && sel[i] != 1, TGM_ERROR_COMPRESSION,
                        "sz3: block %zu selects predictor %d of 2", i, (int)sel[i]);
        }
    }
    TGM_CHECK(tgm__sz3_quant_load(c, &q, n));
    TGM_CHECK(tgm__sz3_huff_load(c, &h));
    TGM_CHECK(tgm__sz3_u64(c, "bin count", &count));
    TGM_FAIL_IF(count != n, TGM_ERROR_COMPRESSION, "sz3: %llu bins for %zu values",
                (unsigned long long)count, n);
    TGM_CHECK(tgm__sz3_huff_decode(&h, c, bins, n));
    TGM_CHECK(tgm__sz3_lorenzo_decompress(x, n, &lp, &q, sel, bins));
cleanup:
    tgm__sz3_huff_dec_free(&h);
    tgm__sz3_quant_free(&q);
    tgm__free(sel);
    return err;
}

tgm_error tgm__sz3_decompress(const uint8_t *src, size_t len, uint8_t *dst, size_t n) {
    size_t raw_bytes;
    TGM_RETURN_IF(tgm__mul_size(n, sizeof(double), &raw_bytes), TGM_ERROR_COMPRESSION,
                  "sz3: %zu values are too many", n);
    TGM_RETURN_IF(len < SZ3_HEADER_BYTES, TGM_ERROR_COMPRESSION,
                  "sz3: stream of %zu bytes is shorter than its 16-byte header", len);
    uint32_t magic = tgm__rd_le32(src), ver = tgm__rd_le32(src + 4);
    uint64_t payload = tgm__rd_le64(src + 8);
    TGM_RETURN_IF(magic != SZ3_MAGIC, TGM_ERROR_COMPRESSION,
                  "sz3: bad magic number 0x%08X (not an SZ3 stream)", magic);
    TGM_RETURN_IF((ver >> 8) != (SZ3_DATA_VERSION >> 8), TGM_ERROR_COMPRESSION,
                  "sz3: stream data version %u.%u.%u, this decoder reads 3.3.2", ver >> 24,
                  (ver >> 16) & 0xFF, (ver >> 8) & 0xFF);
    TGM_RETURN_IF(payload >= len - SZ3_HEADER_BYTES, TGM_ERROR_COMPRESSION,
                  "sz3: payload of %llu bytes leaves no room for the configuration in a "
                  "%zu-byte stream",
                  (unsigned long long)payload, len);
    const uint8_t *pay = src + SZ3_HEADER_BYTES;
    conf cf;
    TGM_TRY(read_config(pay + payload, len - SZ3_HEADER_BYTES - (size_t)payload, &cf));
    TGM_RETURN_IF(cf.num != n, TGM_ERROR_COMPRESSION, "sz3: stream holds %llu values, expected %zu",
                  (unsigned long long)cf.num, n);
    TGM_RETURN_IF(cf.dtype != SZ3_TYPE_DOUBLE, TGM_ERROR_COMPRESSION,
                  "sz3: stream holds data type %u, not double (1)", cf.dtype);
    TGM_RETURN_IF(cf.algo != SZ3_ALGO_LOSSLESS && cf.algo != SZ3_ALGO_INTERP &&
                      cf.algo != SZ3_ALGO_LORENZO_REG,
                  TGM_ERROR_COMPRESSION,
                  "sz3: algorithm %u (%s) is not supported (the reference writes INTERP, "
                  "LORENZO_REG or LOSSLESS)",
                  cf.algo, algo_name(cf.algo));

    int aligned = ((uintptr_t)dst % sizeof(double)) == 0;
    if (cf.algo == SZ3_ALGO_LOSSLESS) {
        return unzstd(pay, (size_t)payload, dst, raw_bytes);
    }

    tgm_error err = TGM_ERROR_OK;
    uint8_t *section = NULL;
    int32_t *bins = NULL;
    double *x = aligned ? (double *)(void *)dst : NULL;
    sz3_cur c = {pay, (size_t)payload};
    uint64_t slen;
    TGM_CHECK(tgm__sz3_u64(&c, "section size", &slen));
    TGM_FAIL_IF(slen > section_limit(n), TGM_ERROR_COMPRESSION,
                "sz3: section of %llu bytes is more than %zu values can need",
                (unsigned long long)slen, n);
    section = tgm__malloc((size_t)slen + DECODE_SLACK);
    bins = tgm__malloc_array(n, sizeof *bins);
    if (x == NULL) {
        x = tgm__malloc_array(n, sizeof *x);
    }
    TGM_FAIL_IF(section == NULL || bins == NULL || x == NULL, TGM_ERROR_COMPRESSION,
                "sz3: out of memory decoding %zu values", n);
    memset(section + slen, 0, DECODE_SLACK);
    TGM_CHECK(unzstd(pay, (size_t)payload, section, (size_t)slen));
    sz3_cur s = {section, (size_t)slen};
    if (cf.algo == SZ3_ALGO_INTERP) {
        TGM_CHECK(decode_interp(&s, n, x, bins));
    } else {
        TGM_CHECK(decode_lorenzo(&s, n, &cf, x, bins));
    }
    TGM_FAIL_IF(s.left != 0, TGM_ERROR_COMPRESSION, "sz3: %zu trailing bytes in the section",
                s.left);
    if (!aligned) {
        memcpy(dst, x, raw_bytes);
    }
cleanup:
    tgm__free(section);
    tgm__free(bins);
    if (!aligned) {
        tgm__free(x);
    }
    return err;
}

/* ---- the engine in the codec table ---------------------------------------- */

/* The stream is host-order float64 values (flag TGM_CODEC_HOST_ORDER). */
static tgm_error sz3_engine_compress(const tgm_codec_params *p, const uint8_t *src, size_t n,
                                     tgm_buf *out, tgm_u64vec *block_offsets) {
    (void)block_offsets;
    tgm_sz3_params sp;
    TGM_CODEC_OWN_GET(p, sp);
    TGM_RETURN_IF(n % sizeof(double) != 0, TGM_ERROR_ENCODING,
                  "sz3: data length %zu is not a multiple of 8 (float64 values)", n);
    return tgm__sz3_compress(src, n / sizeof(double), sp.mode, sp.bound, out);
}

static tgm_error sz3_engine_decompress(const tgm_codec_params *p, const uint8_t *src, size_t n,
                                       uint8_t *dst, size_t dst_len) {
    (void)p;
    TGM_RETURN_IF(dst_len % sizeof(double) != 0, TGM_ERROR_COMPRESSION,
                  "sz3: decoded size %zu is not a multiple of 8 (float64 values)", dst_len);
    return tgm__sz3_decompress(src, n, dst, dst_len / sizeof(double));
}

/* SZ3 is implemented here. */
static const char *sz3_backend(char *buf, size_t cap) {
    snprintf(buf, cap, "tensogram-c (built-in, SZ3 3.3.2 streams)");
    return buf;
}

static const char *sz3_version(void) { return TGM_VERSION_STRING; }
#endif /* TGM_HAVE_SZ3 */

/* ---- the codec table entry ------------------------------------------------ */

/* sz3_error_bound_mode and sz3_error_bound, both required (the reference's
 * texts). */

static tgm_error sz3_parse(const tgm_codec_keys *k, tgm_codec_params *p) {
    static const char *const modes[] = {"abs", "rel", "psnr"};
    static const tgm_sz3_mode values[] = {TGM_SZ3_ABS, TGM_SZ3_REL, TGM_SZ3_PSNR};
    tgm_sz3_params sp;
    memset(&sp, 0, sizeof sp);
    const char *mode = tgm__key_text(k, "sz3_error_bound_mode");
    TGM_RETURN_IF(mode == NULL, TGM_ERROR_METADATA,
                  "missing required parameter: sz3_error_bound_mode");
    int found = 0;
    for (int i = 0; i < 3; i++) {
        if (strcmp(mode, modes[i]) == 0) {
            sp.mode = values[i];
            found = 1;
        }
    }
    TGM_RETURN_IF(!found, TGM_ERROR_ENCODING,
                  "unknown sz3_error_bound_mode: %s (expected one of: abs, rel, psnr)", mode);
    TGM_TRY(tgm__key_f64(k, "sz3_error_bound", &sp.bound));
    TGM_CODEC_OWN_PUT(p, sp);
    return TGM_ERROR_OK;
}

static const tgm_codec_selftest sz3_selftest = {
    "pipeline       sz3 (absolute error)",
    "float64",
    "none",
    "none",
    ",\"sz3_error_bound_mode\":\"abs\",\"sz3_error_bound\":0.1",
    1.5};

/* No max_expansion: a stream of constant values is a few hundred bytes
 * whatever their number (the stream records it; the object cap applies). */
const tgm_codec tgm__codec_sz3 = {
    .name = "sz3",
    .flags = TGM_CODEC_VALUES | TGM_CODEC_HOST_ORDER | TGM_CODEC_LOSSY | TGM_CODEC_FEATURE,
    .dtypes = TGM_DTYPE_BIT(TGM_DT_FLOAT64),
    .parse = sz3_parse,
#ifdef TGM_HAVE_SZ3
    .compress = sz3_engine_compress,
    .decompress = sz3_engine_decompress,
    .backend = sz3_backend,
    .version = sz3_version,
#endif
    .selftest = &sz3_selftest,
};
