/* The predictor sections of an SZ3 stream, and SZ3's choice between them.
 *
 * Sections (what goes through the lossless stage):
 *   interpolation: u64 n, u32 block size (32), i32 algorithm (0 linear,
 *     1 cubic), i32 direction (0), u64 anchor stride, f64 alpha, f64 beta,
 *     the quantiser, the Huffman tree of the bins, u64 bin count, the bins;
 *   Lorenzo (both orders): u64 block count, the Huffman tree of the
 *     per-block predictor indices and those indices (both skipped when
 *     the count is 0), the quantiser, the Huffman tree of the bins, u64 bin
 *     count, the bins.
 *
 * The choice (SZ3's ALGO_INTERP_LORENZO on 1-D data).  A sample block size
 * starts at 4096 and is halved below n, then while it is >= 16 and a block
 * of it plus one exceeds 0.75 % of the values, with a floor of 8.  Tuning
 * runs only when such a block is at most 5 % of the values.  Blocks of that
 * size are profiled (min and max over every quarter-block point); when the
 * non-flat ones cover at least 0.25 % of the values, every k-th non-flat
 * block is sampled (k keeps about 0.5 % of all blocks), otherwise every
 * 200th block.  Each sampled block (its size plus one values) is
 * compressed as a whole test stream with each setting, and the compression
 * ratios decide: linear vs cubic (higher wins), then the alpha/beta pairs
 * (1, 1), (1.5, 2.5), (2, 3) (each must beat the best by 2 %), then, if
 * interpolation is below ratio 50, Lorenzo with blocks of 5 wins if it
 * beats interpolation by 10 % and is itself below 50; with a zero relative
 * bound and a Lorenzo ratio above 5, 16384 quantisation bins are tried too
 * (kept if 2 % better).  A test stream whose lossless stage could overflow
 * a buffer of the whole input's size makes SZ3 give up on lossy compression
 * altogether, and so does this code. */
#include <string.h>

#include "codecs/sz3_internal.h"
#include "common/alloc.h"
#include "common/checked.h"
#include "common/endian.h"
#include "common/error.h"

#define SAMPLE_RATE 0.005
#define ANCHOR_STRIDE 4096u
#define SAMPLE_BLOCK 4096u

/* ---- sections ------------------------------------------------------------ */

tgm_error tgm__sz3_write_interp(size_t n, const sz3_interp_params *ip, const sz3_quant *q,
                                const int32_t *bins, size_t nbins, tgm_buf *dst) {
    sz3_huff h;
    TGM_TRY(tgm__sz3_huff_build(&h, bins, nbins, NULL, 0, 0));
    size_t need = tgm__sz3_interp_save_size(q) + tgm__sz3_huff_save_size(&h) + 8 +
                  tgm__sz3_huff_encoded_size(&h);
    dst->len = 0;
    tgm_error err = tgm__buf_reserve(dst, need + 8); /* + encoder slack */
    if (err == TGM_ERROR_OK) {
        uint8_t *p = dst->data;
        tgm__sz3_interp_save(n, ip, q, &p);
        tgm__sz3_huff_save(&h, &p);
        tgm__wr_le64(p, nbins);
        p += 8;
        tgm__sz3_huff_encode(&h, bins, nbins, &p);
        dst->len = (size_t)(p - dst->data);
    }
    tgm__sz3_huff_free(&h);
    return err;
}

tgm_error tgm__sz3_write_lorenzo(const int32_t *sel, size_t nsel, const sz3_quant *q,
                                 const int32_t *bins, size_t nbins, const uint64_t *hist,
                                 tgm_buf *dst) {
    sz3_huff hs, hb;
    memset(&hs, 0, sizeof hs);
    if (nsel > 0) {
        TGM_TRY(tgm__sz3_huff_build(&hs, sel, nsel, NULL, 0, 0));
    }
    tgm_error err =
        tgm__sz3_huff_build(&hb, bins, nbins, hist, 0, hist != NULL ? 2 * (size_t)q->radius : 0);
    if (err != TGM_ERROR_OK) {
        tgm__sz3_huff_free(&hs);
        return err;
    }
    size_t need = 8 + tgm__sz3_quant_save_size(q) + tgm__sz3_huff_save_size(&hb) + 8 +
                  tgm__sz3_huff_encoded_size(&hb);
    if (nsel > 0) {
        need += tgm__sz3_huff_save_size(&hs) + tgm__sz3_huff_encoded_size(&hs);
    }
    dst->len = 0;
    err = tgm__buf_reserve(dst, need + 8);
    if (err == TGM_ERROR_OK) {
        uint8_t *p = dst->data;
        tgm__wr_le64(p, nsel);
        p += 8;
        if (nsel > 0) {
            tgm__sz3_huff_save(&hs, &p);
            tgm__sz3_huff_encode(&hs, sel, nsel, &p);
        }
        tgm__sz3_quant_save(q, &p);
        tgm__sz3_huff_save(&hb, &p);
        tgm__wr_le64(p, nbins);
        p += 8;
        tgm__sz3_huff_encode(&hb, bins, nbins, &p);
        dst->len = (size_t)(p - dst->data);
    }
    tgm__sz3_huff_free(&hs);
    tgm__sz3_huff_free(&hb);
    return err;
}

/* ---- trial compressions ---------------------------------------------------- */

typedef struct trial {
    sz3_ctx *cx;
    const double *data; /* the whole input */
    size_t n;
    size_t m;       /* values per sampled block */
    size_t *starts; /* sampled block starts */
    size_t nblk;
    double eb;
    int32_t *bins; /* nblk * m */
    int32_t *sel;  /* nblk * ceil(m / 5) */
    double *blk;   /* m */
} trial;

/* The lossless stage of a test stream, into a buffer of the whole input's
 * size: returns its size, or 0 when SZ3 would find that buffer too small
 * (which ends lossy compression). */
static tgm_error trial_size(trial *t, size_t *size) {
    tgm_buf *src = &t->cx->scratch;
    size_t cap = t->n * sizeof(double) - 8;
    if (t->n * sizeof(double) < 8 || cap < ZSTD_compressBound(src->len)) {
        *size = 0;
        return TGM_ERROR_OK;
    }
    t->cx->zout.len = 0;
    TGM_TRY(tgm__sz3_lossless(t->cx, src->data, src->len, &t->cx->zout));
    *size = t->cx->zout.len;
    return TGM_ERROR_OK;
}

static double ratio_of(const trial *t, size_t size) {
    return (double)(t->m * t->nblk * sizeof(double)) * 1.0 / (double)size;
}

/* Interpolation test with `ip` (anchor stride chosen for m): its ratio, or
 * 0 when SZ3 would abandon lossy compression. */
static tgm_error interp_trial(trial *t, const sz3_interp_params *ip, double *ratio) {
    sz3_quant q;
    tgm__sz3_quant_init(&q, t->eb, 32768);
    sz3_interp_params p = *ip;
    p.anchor = tgm__sz3_interp_anchor(t->m, ANCHOR_STRIDE);
    for (size_t k = 0; k < t->nblk; k++) {
        memcpy(t->blk, t->data + t->starts[k], t->m * sizeof(double));
        tgm__sz3_interp_compress(t->blk, t->m, &p, &q, t->bins + k * t->m);
    }
    tgm_error err = TGM_ERROR_OK;
    if (q.oom) {
        err = tgm__oom(q.cap_unpred * 16, "sz3 unpredictable values");
    } else {
        err = tgm__sz3_write_interp(t->m, &p, &q, t->bins, t->m * t->nblk, &t->cx->scratch);
    }
    size_t size = 0;
    if (err == TGM_ERROR_OK) {
        err = trial_size(t, &size);
    }
    tgm__sz3_quant_free(&q);
    *ratio = size == 0 ? 0 : ratio_of(t, size);
    return err;
}

static tgm_error lorenzo_trial(trial *t, int32_t qbins, double *ratio) {
    sz3_quant q;
    tgm__sz3_quant_init(&q, t->eb, qbins / 2);
    sz3_lorenzo_params lp = {1, 1, 5};
    size_t per = (t->m + 4) / 5, nsel = 0;
    for (size_t k = 0; k < t->nblk; k++) {
        tgm__sz3_lorenzo_compress(t->data + t->starts[k], t->m, &lp, &q, t->sel + nsel,
                                  t->bins + k * t->m, NULL);
        nsel += per;
    }
    tgm_error err = TGM_ERROR_OK;
    if (q.oom) {
        err = tgm__oom(q.cap_unpred * 16, "sz3 unpredictable values");
    } else {
        err = tgm__sz3_write_lorenzo(t->sel, nsel, &q, t->bins, t->m * t->nblk, NULL,
                                     &t->cx->scratch);
    }
    size_t size = 0;
    if (err == TGM_ERROR_OK) {
        err = trial_size(t, &size);
    }
    tgm__sz3_quant_free(&q);
    *ratio = size == 0 ? 0 : ratio_of(t, size);
    return err;
}

/* ---- sampling ------------------------------------------------------------- */

/* The sampled block starts (at most n / sbs of them). */
static size_t sample(const double *data, size_t n, size_t sbs, double eb, size_t *starts) {
    /* Profiling: blocks whose sampled points are not all within eb. */
    size_t stride = sbs / 4, nf = 0;
    for (size_t i = 0; i < n - sbs; i += sbs) {
        double lo = data[i], hi = data[i];
        for (size_t j = 0; j <= sbs; j += stride) {
            double v = data[i + j];
            if (v < lo) {
                lo = v;
            } else if (v > hi) {
                hi = v;
            }
        }
        if (hi - lo > eb) {
            starts[nf++] = i;
        }
    }
    int profiling = (double)(nf * (sbs + 1)) >= 0.5 * SAMPLE_RATE * (double)n;
    size_t total = (size_t)(int)((n - 1) / sbs);
    size_t count = 0;
    if (profiling) {
        size_t step = (size_t)((double)nf / ((double)total * SAMPLE_RATE));
        if (step == 0) {
            step = 1;
        }
        for (size_t i = 0; i < nf; i += step) {
            starts[count++] = starts[i];
        }
    } else {
        size_t step = (size_t)(1.0 / SAMPLE_RATE), idx = 0;
        for (size_t x = 0; x < n - sbs; x += sbs) {
            if (idx % step == 0) {
                starts[count++] = x;
            }
            idx++;
        }
    }
    return count;
}

tgm_error tgm__sz3_tune(sz3_ctx *cx, const double *data, size_t n, double eb, double rel,
                        sz3_choice *out) {
    out->algo = SZ3_ALGO_INTERP;
    out->interp = (sz3_interp_params){1, 0, 32, 0, 1.25, 2.0};
    out->lorenzo_bins = 65536;

    size_t sbs = SAMPLE_BLOCK;
    while (sbs >= n) {
        sbs /= 2;
    }
    while (sbs >= 16 && (double)(sbs + 1) / (double)n > 1.5 * SAMPLE_RATE) {
        sbs /= 2;
    }
    if (sbs < 8) {
        sbs = 8;
    }
    if (!((double)(sbs + 1) <= 0.05 * (double)n) || n < sbs) {
        return TGM_ERROR_OK; /* too small to sample: interpolation, defaults */
    }

    tgm_error err = TGM_ERROR_OK;
    trial t;
    memset(&t, 0, sizeof t);
    t.cx = cx;
    t.data = data;
    t.n = n;
    t.m = sbs + 1;
    t.eb = eb;
    t.starts = tgm__malloc_array(n / sbs + 1, sizeof *t.starts);
    TGM_FAIL_IF(t.starts == NULL, TGM_ERROR_COMPRESSION, "sz3: out of memory for sampling");
    t.nblk = sample(data, n, sbs, eb, t.starts);
    if (t.nblk == 0 || (double)(t.nblk * t.m) >= (double)n * 0.2) {
        goto cleanup; /* nothing (or too much) to sample: defaults */
    }
    t.bins = tgm__malloc_array(t.nblk * t.m, sizeof *t.bins);
    t.sel = tgm__malloc_array(t.nblk * ((t.m + 4) / 5), sizeof *t.sel);
    t.blk = tgm__malloc_array(t.m, sizeof *t.blk);
    TGM_FAIL_IF(t.bins == NULL || t.sel == NULL || t.blk == NULL, TGM_ERROR_COMPRESSION,
                "sz3: out of memory for tuning");

    /* Interpolation: linear vs cubic, then alpha/beta.  (SZ3 also retries
     * its one 1-D direction, which repeats a test already made.) */
    double best = 0, r;
    sz3_interp_params ip = out->interp;
    for (int cubic = 0; cubic <= 1; cubic++) {
        ip.cubic = cubic;
        TGM_CHECK(interp_trial(&t, &ip, &r));
        if (r == 0) {
            out->algo = SZ3_ALGO_LOSSLESS;
            goto cleanup;
        }
        if (r > best) {
            best = r;
            out->interp.cubic = cubic;
        }
    }
    ip.cubic = out->interp.cubic;
    static const double alphas[3] = {1.0, 1.5, 2.0}, betas[3] = {1.0, 2.5, 3.0};
    for (int i = 0; i < 3; i++) {
        ip.alpha = alphas[i];
        ip.beta = betas[i];
        TGM_CHECK(interp_trial(&t, &ip, &r));
        if (r == 0) {
            out->algo = SZ3_ALGO_LOSSLESS;
            goto cleanup;
        }
        if (r > best * 1.02) {
            best = r;
            out->interp.alpha = alphas[i];
            out->interp.beta = betas[i];
        }
    }

    /* Lorenzo, 1-D only. */
    double lor = 0;
    if (best < 50) {
        TGM_CHECK(lorenzo_trial(&t, 65536, &lor));
        if (lor == 0) {
            out->algo = SZ3_ALGO_LOSSLESS;
            goto cleanup;
        }
    }
    if (lor >= best * 1.1 && lor < 50 && best < 50) {
        if (rel < 1.01e-6 && lor > 5) {
            TGM_CHECK(lorenzo_trial(&t, 16384, &r));
            if (r == 0) {
                out->algo = SZ3_ALGO_LOSSLESS;
                goto cleanup;
            }
            if (r > lor * 1.02) {
                out->lorenzo_bins = 16384;
            }
        }
        out->algo = SZ3_ALGO_LORENZO_REG;
    }
cleanup:
    tgm__free(t.starts);
    tgm__free(t.bins);
    tgm__free(t.sel);
    tgm__free(t.blk);
    return err;
}
