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
    sz3_quant *q;      /* compress: unpredictable values go here */
    sz3_qk k;          /* compress: the current level's constants */
    int32_t *bins;     /* compress: written */
    const int32_t *in; /* decompress: read */
    rec *r;            /* decompress */
    size_t n;          /* next bin */
} walk;

static inline __attribute__((always_inline)) void visit(walk *w, double *d, double pred,
                                                        const int dec) {
    if (dec) {
        *d = recover(w->r, pred, w->in[w->n++]);
    } else {
        double v;
        int32_t b = tgm__sz3_quant1(w->k, *d, pred, &v);
        *d = v;
        w->bins[w->n++] = b;
        if (b == 0) {
            tgm__sz3_quant_push(w->q, v);
        }
    }
}

/* ---- decoding kernels: a block's interior points, four at a time --------
 * The interior points of a block (cubic: odd i from 3 while i + 3 < m;
 * linear: odd i while i + 1 < m) are independent of each other; their bins
 * are consecutive in the stream.  The even points they read are gathered
 * into a small array, the predictions and reconstructions computed four
 * lanes at a time with the scalar code's operations in its order (so the
 * values are the same bits), and any group holding a bin outside 1 ..
 * 2 * radius - 1 (an unpredictable value, or a hostile bin) goes through the
 * scalar path, which keeps the unpredictable values in stream order.  Built
 * for AVX2 and for the baseline instruction set, chosen at run time. */

typedef double v4d __attribute__((vector_size(32)));
typedef int32_t v4i __attribute__((vector_size(16)));
typedef uint32_t v4u __attribute__((vector_size(16)));

/* Not under ThreadSanitizer: an ifunc resolver runs during relocation,
 * before the TSan runtime is set up, and its instrumented code crashes
 * every program linked with the library. */
#if defined(__SANITIZE_THREAD__)
#define SZ3_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SZ3_TSAN 1
#endif
#endif
#if defined(__x86_64__) && defined(__has_attribute) && !defined(SZ3_TSAN)
#if __has_attribute(target_clones)
#define SZ3_CLONES __attribute__((target_clones("avx2", "default")))
#endif
#endif
#ifndef SZ3_CLONES
#define SZ3_CLONES
#endif

/* Lanes of two vectors (clang, and gcc from 12, have __builtin_shufflevector). */
#if defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 12)
#define SHUF(a, b, i, j, k, l) __builtin_shufflevector(a, b, i, j, k, l)
#else
typedef int64_t v4l __attribute__((vector_size(32)));
#define SHUF(a, b, i, j, k, l) __builtin_shuffle(a, b, (v4l){i, j, k, l})
#endif

/* Four even points E_k .. E_k+3, 2 s apart, built in registers (a vector
 * load of values just stored one by one would stall on store forwarding). */
#define EVENS(p, s) ((v4d){(p)[0], (p)[2 * (s)], (p)[4 * (s)], (p)[6 * (s)]})

/* cubic: targets t_j = b[(3 + 2j) s], prediction from E_j .. E_j+3 where
 * E_k = b[2 k s]; linear: targets b[(1 + 2j) s], from E_j and E_j+1. */
static inline __attribute__((always_inline)) void
interior_dec(double *b, size_t s, size_t cnt, int cubic, const int32_t *bins, rec *r) {
    const double eb = r->eb;
    const int32_t rad = r->radius;
    const uint32_t span = (uint32_t)(2 * (int64_t)rad - 1); /* bins 1 .. 2 rad - 1 */
    const size_t first = cubic ? 3 : 1, reach = cubic ? 3 : 1;
    double *t0 = b + first * s;        /* first target */
    const double *e0 = t0 - reach * s; /* E_0 */
    size_t j = 0;
    if (cnt >= 4) {
        v4d lo = EVENS(e0, s);
        for (; j + 4 <= cnt; j += 4) {
            v4i bi;
            memcpy(&bi, bins + j, sizeof bi);
            v4u off = (v4u)bi - 1u;
            v4i bad = off >= span;
            if (bad[0] | bad[1] | bad[2] | bad[3]) {
                break; /* the rest goes the scalar way */
            }
            /* E_j+4 .. E_j+7: the last ones may lie past the block (and
             * past the array) when not needed, so only load what is.  The
             * lanes not needed repeat a loaded value rather than hold 0: a
             * zero lane makes gcc copy with a vmovq form (VEX 66 0F D6,
             * register to register) that valgrind 3.19 cannot execute. */
            size_t need = cubic ? 3 : 1; /* E values needed past E_j+3 */
            const double *h = e0 + 2 * (j + 4) * s;
            double h1 = need > 1 ? h[2 * s] : h[0], h2 = need > 2 ? h[4 * s] : h1;
            v4d hi = {h[0], h1, h2, h2};
            v4d pred;
            if (cubic) {
                v4d p1 = SHUF(lo, hi, 1, 2, 3, 4);
                v4d p2 = SHUF(lo, hi, 2, 3, 4, 5);
                v4d p3 = SHUF(lo, hi, 3, 4, 5, 6);
                pred = (-lo + 9 * p1 + 9 * p2 - p3) / 16;
            } else {
                v4d p1 = SHUF(lo, hi, 1, 2, 3, 4);
                pred = (lo + p1) / 2;
            }
            v4i q2 = (bi - rad) * 2;
            v4d v = pred + __builtin_convertvector(q2, v4d) * eb;
            double *t = t0 + 2 * j * s;
            t[0] = v[0];
            t[2 * s] = v[1];
            t[4 * s] = v[2];
            t[6 * s] = v[3];
            if (j + 8 <= cnt) {
                lo = (v4d){hi[0], need > 1 ? hi[1] : h[2 * s], need > 2 ? hi[2] : h[4 * s],
                           h[6 * s]};
            }
        }
    }
    for (; j < cnt; j++) {
        const double *e = e0 + 2 * j * s;
        double pred =
            cubic ? (-e[0] + 9 * e[2 * s] + 9 * e[4 * s] - e[6 * s]) / 16 : (e[0] + e[2 * s]) / 2;
        t0[2 * j * s] = recover(r, pred, bins[j]);
    }
}

static inline __attribute__((always_inline)) void interp_block(walk *w, double *data, size_t begin,
                                                               size_t end, size_t s, int lg,
                                                               int cubic, const int dec) {
    size_t m = ((end - begin) >> lg) + 1; /* s = 2^lg */
    if (m <= 1) {
        return;
    }
    double *b = data + begin;
    if (!cubic || m < 5) {
        size_t cnt = (m - 1) / 2; /* odd i with i + 1 < m */
        if (dec && cnt > 0) {
            interior_dec(b, s, cnt, 0, w->in + w->n, w->r);
            w->n += cnt;
        } else {
            for (size_t i = 1; i + 1 < m; i += 2) {
                double *d = b + i * s;
                visit(w, d, (d[-(ptrdiff_t)s] + d[s]) / 2, dec);
            }
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
    size_t i = 3 + 2 * ((m - 5) / 2); /* the first odd i >= 3 with i + 3 >= m */
    if (dec) {
        size_t cnt = (i - 3) / 2;
        if (cnt > 0) {
            interior_dec(b, s, cnt, 1, w->in + w->n, w->r);
            w->n += cnt;
        }
    } else {
        for (size_t k = 3; k < i; k += 2) {
            double *d = b + k * s;
            visit(w, d, (-d[-s3] + 9 * d[-s1] + 9 * d[s1] - d[s3]) / 16, dec);
        }
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

/* Level `level` in SZ3's order over blocks [j0, j1) of blocksize * 2^(level-1)
 * values (block j1 may be cut short by n). */
static inline __attribute__((always_inline)) void level_blocks(walk *w, double *data, size_t n,
                                                               const sz3_interp_params *ip,
                                                               int level, size_t j0, size_t j1,
                                                               const int dec) {
    size_t s = (size_t)1 << (level - 1);
    size_t ibs = (size_t)ip->blocksize * s;
    for (size_t j = j0; j < j1; j++) {
        size_t b = j * ibs;
        if (b >= n) {
            break;
        }
        size_t e = n - 1 - b < ibs ? n - 1 : b + ibs;
        interp_block(w, data, b, e, s, level - 1, ip->cubic, dec);
    }
}

/* Odd multiples of 2^(level-1) in 1 .. n-1: the values one level visits. */
static size_t level_count(size_t n, int level) {
    size_t c = (n - 1) >> (level - 1);
    return (c + 1) / 2;
}

/* Levels at and below TILE_LEVEL run tile by tile when the array is
 * anchored: a tile is one block of that level (blocksize * 2^(TILE_LEVEL-1)
 * values, 16 KiB at blocksize 32), and every block of a lower level lies
 * inside one block of the level above, so a tile can go down to level 1
 * while it sits in the first-level cache.  The bins still land where SZ3's
 * level-by-level order puts them (a level's full blocks hold blocksize / 2
 * values each, so a block's first bin is known); unpredictable values are
 * gathered per level and joined in SZ3's order afterwards (compression), or
 * found through the count of zero bins before each tile (decompression). */
#define TILE_LEVEL 7

typedef struct tiling {
    int top;        /* top level (after the anchor grid) */
    int tl;         /* tiled levels: 1 .. tl */
    size_t ntiles;  /* tiles over the array */
    size_t lv0[64]; /* first bin of each level */
} tiling;

static void tiling_init(tiling *t, size_t n, const sz3_interp_params *ip, int top, size_t first) {
    memset(t, 0, sizeof *t);
    t->top = top;
    t->tl = ip->anchor > 0 && top > TILE_LEVEL ? TILE_LEVEL : 0;
    size_t at = first;
    for (int l = top; l >= 1; l--) {
        t->lv0[l] = at;
        at += level_count(n, l);
    }
    if (t->tl > 0) {
        size_t ts = (size_t)ip->blocksize << (t->tl - 1);
        t->ntiles = (n - 1) / ts + 1;
    }
}

/* Tile k's first bin at `level` (<= tl). */
static size_t tile_bin(const tiling *t, const sz3_interp_params *ip, int level, size_t k) {
    return t->lv0[level] + (size_t)(ip->blocksize / 2) * (k << (t->tl - level));
}

void tgm__sz3_interp_compress(double *data, size_t n, const sz3_interp_params *ip, sz3_quant *q,
                              int32_t *bins) {
    walk w = {q, tgm__sz3_qk(q), bins, NULL, NULL, 0};
    double eb = q->eb;
    int top = top_level(n, ip->anchor);
    if (ip->anchor == 0) {
        visit(&w, data, 0, 0);
    } else {
        for (size_t i = 0; i < n; i += ip->anchor) {
            tgm__sz3_quant_push(q, data[i]);
            bins[w.n++] = 0;
        }
        top--;
    }
    tiling t;
    tiling_init(&t, n, ip, top, w.n);
    for (int level = top; level > t.tl; level--) {
        tgm__sz3_quant_set_eb(q, level_eb(ip, eb, level));
        w.k = tgm__sz3_qk(q);
        level_blocks(&w, data, n, ip, level, 0, SIZE_MAX, 0);
    }
    if (t.tl > 0) {
        sz3_quant lists[TILE_LEVEL + 1];
        sz3_qk ks[TILE_LEVEL + 1];
        for (int l = 1; l <= t.tl; l++) {
            tgm__sz3_quant_init(&lists[l], level_eb(ip, eb, l), q->radius);
            ks[l] = tgm__sz3_qk(&lists[l]);
        }
        for (size_t k = 0; k < t.ntiles; k++) {
            for (int l = t.tl; l >= 1; l--) {
                size_t per = (size_t)1 << (t.tl - l);
                w.q = &lists[l];
                w.k = ks[l];
                w.n = tile_bin(&t, ip, l, k);
                level_blocks(&w, data, n, ip, l, k * per, (k + 1) * per, 0);
            }
        }
        for (int l = t.tl; l >= 1; l--) {
            for (size_t i = 0; i < lists[l].n_unpred; i++) {
                tgm__sz3_quant_push(q, lists[l].unpred[i]);
            }
            q->oom |= lists[l].oom;
            tgm__sz3_quant_free(&lists[l]);
        }
    }
    tgm__sz3_quant_set_eb(q, eb);
}

/* The whole decoding pass, built for AVX2 and the baseline (one run-time
 * choice per call, so the kernels inline into the loops). */
SZ3_CLONES static tgm_error interp_decode(double *data, size_t n, const sz3_interp_params *ip,
                                          sz3_quant *q, const int32_t *bins) {
    rec r = {q->eb, q->radius, q->unpred, q->n_unpred, 0, 0};
    walk w = {NULL, {0, 0, 0, 0}, NULL, bins, &r, 0};
    int top = top_level(n, ip->anchor);
    if (ip->anchor == 0) {
        data[0] = recover(&r, 0, bins[w.n++]);
    } else {
        for (size_t i = 0; i < n; i += ip->anchor) {
            if (r.next < r.n_unpred) {
                data[i] = r.unpred[r.next++];
            } else {
                r.over = 1;
                data[i] = 0;
            }
            w.n++;
        }
        top--;
    }
    size_t anchors = w.n;
    tiling t;
    tiling_init(&t, n, ip, top, w.n);
    int scaled = ip->alpha < 0 || ip->alpha >= 1;
    for (int level = top; level > t.tl; level--) {
        if (scaled) {
            r.eb = level_eb(ip, q->eb, level);
        }
        level_blocks(&w, data, n, ip, level, 0, SIZE_MAX, 1);
    }
    if (t.tl > 0) {
        /* Unpredictable values before each tile of each level: zero bins
         * from the first level on (the anchors took theirs whatever their
         * bins say). */
        size_t *start = tgm__malloc_array(t.ntiles * (size_t)t.tl, sizeof *start);
        if (start == NULL) {
            return tgm__oom(t.ntiles * (size_t)t.tl * sizeof *start, "sz3 tiles");
        }
        size_t at = anchors, zeros = anchors;
        for (int l = t.tl; l >= 1; l--) {
            for (size_t k = 0; k < t.ntiles; k++) {
                size_t b = tile_bin(&t, ip, l, k);
                for (; at < b; at++) {
                    zeros += bins[at] == 0;
                }
                start[(size_t)(l - 1) * t.ntiles + k] = zeros;
            }
        }
        double ebs[TILE_LEVEL + 1];
        for (int l = 1; l <= t.tl; l++) {
            ebs[l] = scaled ? level_eb(ip, q->eb, l) : r.eb;
        }
        for (size_t k = 0; k < t.ntiles; k++) {
            for (int l = t.tl; l >= 1; l--) {
                size_t per = (size_t)1 << (t.tl - l);
                r.eb = ebs[l];
                r.next = start[(size_t)(l - 1) * t.ntiles + k];
                w.n = tile_bin(&t, ip, l, k);
                level_blocks(&w, data, n, ip, l, k * per, (k + 1) * per, 1);
            }
        }
        tgm__free(start);
    }
    TGM_RETURN_IF(r.over, TGM_ERROR_COMPRESSION,
                  "sz3: stream uses more than its %zu unpredictable values", r.n_unpred);
    return TGM_ERROR_OK;
}

tgm_error tgm__sz3_interp_decompress(double *data, size_t n, const sz3_interp_params *ip,
                                     sz3_quant *q, const int32_t *bins) {
    return interp_decode(data, n, ip, q, bins);
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

void tgm__sz3_lorenzo_compress(const double *x, size_t n, const sz3_lorenzo_params *lp,
                               sz3_quant *q, int32_t *sel, int32_t *bins, uint64_t *hist) {
    const sz3_qk k = tgm__sz3_qk(q);
    const double noise1 = 0.5 * q->eb, noise2 = 1.08 * q->eb;
    size_t nb = 0, j = 0;
    /* The reconstructed values before the current one; SZ3 pads the array
     * with zeros in front. */
    double p1 = 0, p2 = 0;
    size_t center = 0; /* values given bin radius directly */
    for (size_t b = 0; b < n; b += lp->block) {
        size_t len = n - b < lp->block ? n - b : lp->block;
        const double *d0 = x + b, *dl = x + b + len - 1;
        int sid;
        if (lp->first && lp->second) {
            /* Scored on the block's first and last values: the first one's
             * predecessors are reconstructed, the last one's are original
             * values of the block (reconstructed ones when the block is
             * shorter than 3). */
            double l1 = len == 1 ? p1 : dl[-1], l2 = len == 1 ? p2 : len == 2 ? p1 : dl[-2];
            double e1 = 0, e2 = 0;
            e1 += fabs(d0[0] - p1) + noise1;
            e1 += fabs(dl[0] - l1) + noise1;
            e2 += fabs(d0[0] - (2 * p1 - p2)) + noise2;
            e2 += fabs(dl[0] - (2 * l1 - l2)) + noise2;
            sid = e2 < e1;
            sel[nb++] = sid;
        } else {
            sid = lp->second;
        }
        /* The chain through p1 is serial (the histogram update is free).  A
         * value within the bound of its prediction with |diff| / eb below 1
         * (runs in masks, constant stretches) gets what the quantiser would
         * give it, bin radius and reconstruction pred + 0.0, without its
         * conversions: the next prediction, speculated on that branch, need
         * not wait for them. */
        for (size_t i = 0; i < len; i++) {
            double pred = sid == 0 ? p1 : 2 * p1 - p2, v, xi = d0[i];
            double diff = fabs(xi - pred);
            int32_t bin;
            if (diff * k.recip < 1.0 && diff <= k.eb) {
                bin = k.radius;
                v = pred + 0.0;
                center++;
            } else {
                bin = tgm__sz3_quant1(k, xi, pred, &v);
                if (hist != NULL) {
                    hist[bin]++;
                }
                if (bin == 0) {
                    tgm__sz3_quant_push(q, v);
                }
            }
            bins[j++] = bin;
            p2 = p1;
            p1 = v;
        }
    }
    if (hist != NULL) {
        hist[k.radius] += center;
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
