/* SZ3's linear quantiser and its two 1-D predictors, value-exact with SZ3
 * 3.3.2: interpolation (its InterpolationDecomposition) and block-wise
 * Lorenzo (its BlockwiseDecomposition with a composed first/second-order
 * Lorenzo predictor).
 *
 * Every prediction is computed with the same operations in the same order
 * as SZ3 (the build disables floating-point contraction), so compression
 * reconstructs, and decompression reproduces, SZ3's values bit for bit.
 *
 * Interpolation.  With n > anchor stride A (4096 by default), every A-th
 * value is stored exactly ("anchor grid", bins 0, values in the quantiser's
 * unpredictable list); otherwise value 0 is quantised against 0.  Then, for
 * each level from the top (ceil(log2 n), or log2 A when anchored) down to
 * 1, with stride s = 2^(level-1), the array is cut into blocks of 32 s
 * values (sharing their end points) and in each block the points at odd
 * multiples of s are predicted from the even multiples (known from the
 * levels above) and quantised.  The error bound of a level is eb /
 * min(alpha^(level-1), beta).  Inside a block of m points, linear
 * interpolation visits the odd points in order, and an even m ends with an
 * extrapolated last point; cubic interpolation (m >= 5) visits the interior
 * odd points 3, 5, ... (cubic), then point 1 and the last odd point
 * (quadratic), then the extrapolated last point of an even m.
 *
 * Lorenzo.  Values in blocks of `block`; for each block the first- and
 * second-order predictors are scored on its first and last value (the
 * block's own values still original, earlier blocks reconstructed; the two
 * values before the array read as 0) plus a fixed noise term (0.5 eb and
 * 1.08 eb), the smaller score wins (first order on a tie), and the block is
 * quantised with it. */
#include <math.h>
#include <string.h>

#include "codecs/sz3_internal.h"
#include "common/alloc.h"
#include "common/endian.h"
#include "common/error.h"

/* ---- quantiser -------------------------------------------------------- */

void tgm__sz3_quant_init(sz3_quant *q, double eb, int32_t radius) {
    memset(q, 0, sizeof *q);
    q->eb = eb;
    q->recip = 1.0 / eb;
    q->radius = radius;
}

void tgm__sz3_quant_set_eb(sz3_quant *q, double eb) {
    q->eb = eb;
    q->recip = 1.0 / eb;
}

void tgm__sz3_quant_free(sz3_quant *q) {
    tgm__free(q->unpred);
    q->unpred = NULL;
    q->n_unpred = q->cap_unpred = 0;
}

void tgm__sz3_quant_push(sz3_quant *q, double v) {
    if (q->n_unpred == q->cap_unpred) {
        size_t cap = q->cap_unpred < 256 ? 256 : q->cap_unpred * 2;
        double *u = tgm__realloc(q->unpred, cap * sizeof *u);
        if (u == NULL) {
            q->oom = 1;
            return;
        }
        q->unpred = u;
        q->cap_unpred = cap;
    }
    q->unpred[q->n_unpred++] = v;
}

size_t tgm__sz3_quant_save_size(const sz3_quant *q) { return 1 + 8 + 4 + 8 + 8 * q->n_unpred; }

void tgm__sz3_quant_save(const sz3_quant *q, uint8_t **p) {
    uint8_t *o = *p;
    uint64_t bits;
    o[0] = 2; /* SZ3's LinearQuantizer uid */
    memcpy(&bits, &q->eb, 8);
    tgm__wr_le64(o + 1, bits);
    tgm__wr_le32(o + 9, (uint32_t)q->radius);
    tgm__wr_le64(o + 13, q->n_unpred);
    o += 21;
    for (size_t i = 0; i < q->n_unpred; i++) {
        memcpy(&bits, &q->unpred[i], 8);
        tgm__wr_le64(o, bits);
        o += 8;
    }
    *p = o;
}

tgm_error tgm__sz3_quant_load(sz3_cur *c, sz3_quant *q, size_t n_values) {
    uint8_t uid;
    uint32_t radius;
    uint64_t count;
    double eb;
    TGM_TRY(tgm__sz3_u8(c, "quantiser id", &uid));
    TGM_RETURN_IF(uid != 2, TGM_ERROR_COMPRESSION, "sz3: unknown quantiser id %u (expected 2)",
                  uid);
    TGM_TRY(tgm__sz3_f64(c, "quantiser error bound", &eb));
    TGM_TRY(tgm__sz3_u32(c, "quantiser radius", &radius));
    TGM_TRY(tgm__sz3_u64(c, "unpredictable count", &count));
    TGM_RETURN_IF(count > n_values || count > c->left / 8, TGM_ERROR_COMPRESSION,
                  "sz3: %llu unpredictable values claimed for %zu values with %zu bytes left",
                  (unsigned long long)count, n_values, c->left);
    tgm__sz3_quant_init(q, eb, (int32_t)radius);
    if (count > 0) {
        q->unpred = tgm__malloc_array((size_t)count, sizeof(double));
        if (q->unpred == NULL) {
            return tgm__oom((size_t)count * 8, "sz3 unpredictable values");
        }
        const uint8_t *v = NULL;
        TGM_TRY(tgm__sz3_take(c, (size_t)count * 8, "unpredictable values", &v));
        for (size_t i = 0; i < count; i++) {
            uint64_t bits = tgm__rd_le64(v + 8 * i);
            memcpy(&q->unpred[i], &bits, 8);
        }
        q->n_unpred = q->cap_unpred = (size_t)count;
    }
    return TGM_ERROR_OK;
}

/* Decoding state: the quantiser plus the read position in its list. */
typedef struct rec {
    double eb;
    int32_t radius;
    const double *unpred;
    size_t n_unpred;
    size_t next;
    int over; /* more unpredictable values asked for than stored */
} rec;

static inline double recover(rec *r, double pred, int32_t bin) {
    if (bin != 0) {
        /* SZ3 computes 2 * (bin - radius) in int; valid streams stay far
         * inside int range, where int64 gives the same value. */
        return pred + (double)(2 * ((int64_t)bin - r->radius)) * r->eb;
    }
    if (r->next < r->n_unpred) {
        return r->unpred[r->next++];
    }
    r->over = 1;
    return 0.0;
}

/* ---- interpolation ------------------------------------------------------ */

uint64_t tgm__sz3_interp_anchor(size_t n, uint64_t stride) { return n > stride ? stride : 0; }

static int top_level(size_t n, uint64_t anchor) {
    int level = n > 1 ? (int)ceil(log2((double)n)) : 0;
    if (anchor > 0) {
        int most = (int)log2((double)anchor) + 1;
        if (most <= level) {
            level = most;
        }
    }
    return level;
}

static double level_eb(const sz3_interp_params *ip, double eb, int level) {
    if (ip->alpha < 0) {
        return level >= 3 ? eb * 0.5 : eb;
    }
    if (ip->alpha >= 1) {
        double ratio = pow(ip->alpha, level - 1);
        if (ratio > ip->beta) {
            ratio = ip->beta;
        }
        return eb / ratio;
    }
    return eb;
}

/* One visit: compress quantises *d against pred; decompress reconstructs
 * it.  Inlined into both passes with `dec` constant. */
typedef struct walk {
    sz3_quant *q;  /* compress */
    int32_t *bins; /* compress: written; decompress: read */
    const int32_t *in;
    rec *r;   /* decompress */
    size_t k; /* next bin */
} walk;

static inline __attribute__((always_inline)) void visit(walk *w, double *d, double pred,
                                                        const int dec) {
    if (dec) {
        *d = recover(w->r, pred, w->in[w->k++]);
    } else {
        w->bins[w->k++] = tgm__sz3_quantize(w->q, d, pred);
    }
}

static inline __attribute__((always_inline)) void
interp_block(walk *w, double *data, size_t begin, size_t end, size_t s, int cubic, const int dec) {
    size_t m = (end - begin) / s + 1;
    if (m <= 1) {
        return;
    }
    double *b = data + begin;
    if (!cubic || m < 5) {
        for (size_t i = 1; i + 1 < m; i += 2) {
            double *d = b + i * s;
            visit(w, d, (d[-(ptrdiff_t)s] + d[s]) / 2, dec);
        }
        if (m % 2 == 0) {
            double *d = b + (m - 1) * s;
            if (m < 4) {
                visit(w, d, d[-(ptrdiff_t)s], dec);
            } else {
                visit(w, d, -0.5 * d[-3 * (ptrdiff_t)s] + 1.5 * d[-(ptrdiff_t)s], dec);
            }
        }
        return;
    }
    const ptrdiff_t s1 = (ptrdiff_t)s, s3 = 3 * (ptrdiff_t)s, s5 = 5 * (ptrdiff_t)s;
    size_t i;
    for (i = 3; i + 3 < m; i += 2) {
        double *d = b + i * s;
        visit(w, d, (-d[-s3] + 9 * d[-s1] + 9 * d[s1] - d[s3]) / 16, dec);
    }
    double *d = b + s;
    visit(w, d, (3 * d[-s1] + 6 * d[s1] - d[s3]) / 8, dec);
    d = b + i * s;
    visit(w, d, (-d[-s3] + 6 * d[-s1] + 3 * d[s1]) / 8, dec);
    if (m % 2 == 0) {
        d = b + (m - 1) * s;
        visit(w, d, (3 * d[-s5] - 10 * d[-s3] + 15 * d[-s1]) / 8, dec);
    }
}

static inline __attribute__((always_inline)) void interp_levels(walk *w, double *data, size_t n,
                                                                const sz3_interp_params *ip,
                                                                int top, double eb, const int dec) {
    for (int level = top; level > 0; level--) {
        double cur = level_eb(ip, eb, level);
        if (dec) {
            if (ip->alpha < 0 || ip->alpha >= 1) {
                w->r->eb = cur;
            }
        } else {
            tgm__sz3_quant_set_eb(w->q, cur);
        }
        size_t s = (size_t)1 << (level - 1);
        size_t ibs = (size_t)ip->blocksize * s;
        for (size_t b = 0; b < n; b += ibs) {
            size_t e = n - 1 - b < ibs ? n - 1 : b + ibs;
            interp_block(w, data, b, e, s, ip->cubic, dec);
        }
    }
}

void tgm__sz3_interp_compress(double *data, size_t n, const sz3_interp_params *ip, sz3_quant *q,
                              int32_t *bins) {
    walk w = {q, bins, NULL, NULL, 0};
    double eb = q->eb;
    int top = top_level(n, ip->anchor);
    if (ip->anchor == 0) {
        bins[w.k++] = tgm__sz3_quantize(q, data, 0);
    } else {
        for (size_t i = 0; i < n; i += ip->anchor) {
            tgm__sz3_quant_push(q, data[i]);
            bins[w.k++] = 0;
        }
        top--;
    }
    interp_levels(&w, data, n, ip, top, eb, 0);
    tgm__sz3_quant_set_eb(q, eb);
}

tgm_error tgm__sz3_interp_decompress(double *data, size_t n, const sz3_interp_params *ip,
                                     sz3_quant *q, const int32_t *bins) {
    rec r = {q->eb, q->radius, q->unpred, q->n_unpred, 0, 0};
    walk w = {NULL, NULL, bins, &r, 0};
    int top = top_level(n, ip->anchor);
    if (ip->anchor == 0) {
        data[0] = recover(&r, 0, bins[w.k++]);
    } else {
        for (size_t i = 0; i < n; i += ip->anchor) {
            if (r.next < r.n_unpred) {
                data[i] = r.unpred[r.next++];
            } else {
                r.over = 1;
                data[i] = 0;
            }
            w.k++;
        }
        top--;
    }
    interp_levels(&w, data, n, ip, top, q->eb, 1);
    TGM_RETURN_IF(r.over, TGM_ERROR_COMPRESSION,
                  "sz3: stream uses more than its %zu unpredictable values", r.n_unpred);
    return TGM_ERROR_OK;
}

size_t tgm__sz3_interp_save_size(const sz3_quant *q) {
    return 8 + 4 + 4 + 4 + 8 + 8 + 8 + tgm__sz3_quant_save_size(q);
}

void tgm__sz3_interp_save(size_t n, const sz3_interp_params *ip, const sz3_quant *q, uint8_t **p) {
    uint8_t *o = *p;
    uint64_t bits;
    tgm__wr_le64(o, n);
    tgm__wr_le32(o + 8, ip->blocksize);
    tgm__wr_le32(o + 12, (uint32_t)ip->cubic);
    tgm__wr_le32(o + 16, (uint32_t)ip->direction);
    tgm__wr_le64(o + 20, ip->anchor);
    memcpy(&bits, &ip->alpha, 8);
    tgm__wr_le64(o + 28, bits);
    memcpy(&bits, &ip->beta, 8);
    tgm__wr_le64(o + 36, bits);
    o += 44;
    tgm__sz3_quant_save(q, &o);
    *p = o;
}

tgm_error tgm__sz3_interp_load(sz3_cur *c, size_t n, sz3_interp_params *ip, sz3_quant *q) {
    uint64_t dim, anchor;
    uint32_t bs, algo, dir;
    TGM_TRY(tgm__sz3_u64(c, "interpolation dimension", &dim));
    TGM_RETURN_IF(dim != n, TGM_ERROR_COMPRESSION,
                  "sz3: interpolation dimension %llu does not match %zu values",
                  (unsigned long long)dim, n);
    TGM_TRY(tgm__sz3_u32(c, "interpolation block size", &bs));
    TGM_TRY(tgm__sz3_u32(c, "interpolation algorithm", &algo));
    TGM_TRY(tgm__sz3_u32(c, "interpolation direction", &dir));
    TGM_TRY(tgm__sz3_u64(c, "anchor stride", &anchor));
    TGM_TRY(tgm__sz3_f64(c, "interpolation alpha", &ip->alpha));
    TGM_TRY(tgm__sz3_f64(c, "interpolation beta", &ip->beta));
    /* SZ3 requires an even block size and a power-of-two anchor stride;
     * with them every value is visited exactly once. */
    TGM_RETURN_IF(bs < 2 || bs > 65536 || bs % 2 != 0, TGM_ERROR_COMPRESSION,
                  "sz3: interpolation block size %u is not an even number in 2..65536", bs);
    TGM_RETURN_IF(algo > 1, TGM_ERROR_COMPRESSION,
                  "sz3: unknown interpolation algorithm %u (expected 0 linear or 1 cubic)", algo);
    TGM_RETURN_IF(dir != 0, TGM_ERROR_COMPRESSION,
                  "sz3: interpolation direction %u is not valid for 1-D data", dir);
    TGM_RETURN_IF(anchor > ((uint64_t)1 << 32) || (anchor & (anchor - 1)) != 0,
                  TGM_ERROR_COMPRESSION,
                  "sz3: anchor stride %llu is not 0 or a power of two up to 2^32",
                  (unsigned long long)anchor);
    ip->blocksize = bs;
    ip->cubic = (int)algo;
    ip->direction = 0;
    ip->anchor = tgm__sz3_interp_anchor(n, anchor);
    return tgm__sz3_quant_load(c, q, n);
}

/* ---- Lorenzo ------------------------------------------------------------ */

void tgm__sz3_lorenzo_compress(double *x, size_t n, const sz3_lorenzo_params *lp, sz3_quant *q,
                               int32_t *sel, int32_t *bins) {
    const double noise1 = 0.5 * q->eb, noise2 = 1.08 * q->eb;
    size_t nb = 0, k = 0;
    for (size_t b = 0; b < n; b += lp->block) {
        size_t len = n - b < lp->block ? n - b : lp->block;
        double *d0 = x + b, *dl = x + b + len - 1;
        int sid;
        if (lp->first && lp->second) {
            double e1 = 0, e2 = 0;
            e1 += fabs(d0[0] - d0[-1]) + noise1;
            e1 += fabs(dl[0] - dl[-1]) + noise1;
            e2 += fabs(d0[0] - (2 * d0[-1] - d0[-2])) + noise2;
            e2 += fabs(dl[0] - (2 * dl[-1] - dl[-2])) + noise2;
            sid = e2 < e1;
            sel[nb++] = sid;
        } else {
            sid = lp->second;
        }
        if (sid == 0) {
            for (size_t i = 0; i < len; i++) {
                bins[k++] = tgm__sz3_quantize(q, &d0[i], d0[i - 1]);
            }
        } else {
            for (size_t i = 0; i < len; i++) {
                bins[k++] = tgm__sz3_quantize(q, &d0[i], 2 * d0[i - 1] - d0[i - 2]);
            }
        }
    }
}

tgm_error tgm__sz3_lorenzo_decompress(double *data, size_t n, const sz3_lorenzo_params *lp,
                                      sz3_quant *q, const int32_t *sel, const int32_t *bins) {
    rec r = {q->eb, q->radius, q->unpred, q->n_unpred, 0, 0};
    size_t nb = 0, k = 0;
    double p1 = 0, p2 = 0; /* the two values before the current one */
    for (size_t b = 0; b < n; b += lp->block) {
        size_t len = n - b < lp->block ? n - b : lp->block;
        int sid = lp->first && lp->second ? sel[nb++] != 0 : lp->second;
        double *d = data + b;
        if (sid == 0) {
            for (size_t i = 0; i < len; i++) {
                double v = recover(&r, p1, bins[k++]);
                d[i] = v;
                p2 = p1;
                p1 = v;
            }
        } else {
            for (size_t i = 0; i < len; i++) {
                double v = recover(&r, 2 * p1 - p2, bins[k++]);
                d[i] = v;
                p2 = p1;
                p1 = v;
            }
        }
    }
    TGM_RETURN_IF(r.over, TGM_ERROR_COMPRESSION,
                  "sz3: stream uses more than its %zu unpredictable values", r.n_unpred);
    return TGM_ERROR_OK;
}
