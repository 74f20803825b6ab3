/* simple_packing: quantisation, bit packing and the inverse.  See
 * simple_packing.h for the formulas and layouts.
 *
 * Structure: values are processed in blocks of BLOCK values, each small
 * enough to stay in L1.  A block is byte-swapped into host order when the
 * data is foreign-endian, checked for NaN/Inf (one flag over the block; the
 * exact index is looked up only on failure), quantised into an array of
 * integers, then packed (one loop per container width, or the bit writer).
 * Every loop is branch-free so the compiler vectorises it.  Decoding mirrors
 * this.  Blocks are grouped into tasks of CHUNK values for
 * tgm__parallel_for; CHUNK is a multiple of 8, so every task starts on a
 * byte boundary whatever the bit width. */
#include "encodings/simple_packing.h"

#include <math.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "common/alloc.h"
#include "common/checked.h"
#include "common/endian.h"
#include "common/error.h"
#include "common/thread.h"

/* a*b+c must stay two roundings (no fused multiply-add) to reproduce the
 * reference's values, whatever -march or -std the build uses. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

/* The block kernels stay out of line: inlined into their callers, GCC
 * sometimes threads jumps through them and then gives up vectorising. */
#if defined(__GNUC__) || defined(__clang__)
#define KERNEL __attribute__((noinline)) static
#else
#define KERNEL static
#endif

#define BLOCK 512
#define CHUNK ((size_t)1 << 16)

#define EXP_MASK 0x7FF0000000000000ULL
#define MANT_MASK 0x000FFFFFFFFFFFFFULL
/* 2^52: adding it to a double in [0, 2^52) leaves the nearest integer in the
 * low mantissa bits, and OR-ing an integer below 2^52 into its bit pattern
 * gives 2^52 + that integer exactly. */
#define TWO52 4503599627370496.0
#define TWO52_BITS 0x4330000000000000ULL
#define TWO64 18446744073709551616.0

static inline uint64_t dbl_bits(double d) {
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static inline double bits_dbl(uint64_t u) {
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static inline uint64_t load_u64(const uint8_t *p, int swap) {
    uint64_t u;
    memcpy(&u, p, sizeof u);
    return swap ? __builtin_bswap64(u) : u;
}

static inline void store_u64(uint8_t *p, uint64_t u, int swap) {
    if (swap) {
        u = __builtin_bswap64(u);
    }
    memcpy(p, &u, sizeof u);
}

static inline int need_swap(int big_endian) { return (big_endian != 0) != TGM_HOST_BIG_ENDIAN; }

double tgm__sp_powi(double base, int32_t exp) {
    /* Walk the bits of |exp| (C division truncates toward zero, so b / 2 and
     * b & 1 behave for negative b exactly as in compiler-rt). */
    int32_t b = exp;
    double r = 1.0;
    double a = base;
    for (;;) {
        if (b & 1) {
            r *= a;
        }
        b /= 2;
        if (b == 0) {
            break;
        }
        a *= a;
    }
    return exp < 0 ? 1.0 / r : r;
}

/* Rust's saturating float -> i32 cast: NaN -> 0, out of range -> bound. */
static int32_t sat_i32(double x) {
    if (x != x) {
        return 0;
    }
    if (x >= 2147483647.0) {
        return INT32_MAX;
    }
    if (x <= -2147483648.0) {
        return INT32_MIN;
    }
    return (int32_t)x;
}

static uint64_t max_packed(uint32_t bits) {
    return bits >= 64 ? UINT64_MAX : (((uint64_t)1 << bits) - 1);
}

/* The first non-finite value among m raw doubles, as an error. */
static tgm_error report_nonfinite(const uint8_t *src, int swap, size_t m, size_t base_index) {
    for (size_t i = 0; i < m; i++) {
        uint64_t u = load_u64(src + 8 * i, swap);
        if ((u & EXP_MASK) == EXP_MASK) {
            if (u & MANT_MASK) {
                return tgm__fail(TGM_ERROR_ENCODING, "NaN value encountered at index %zu",
                                 base_index + i);
            }
            return tgm__fail(TGM_ERROR_ENCODING, "infinite value encountered at index %zu",
                             base_index + i);
        }
    }
    /* Unreachable when called after a non-finite flag was raised. */
    return tgm__fail(TGM_ERROR_ENCODING, "non-finite value in block at index %zu", base_index);
}

static int use_threads(uint32_t threads, size_t n) {
    return threads >= 2 && n >= TGM_PARALLEL_THRESHOLD_BYTES / 8;
}

/* Copy m raw doubles into host order (the byte-swapped case), so the loops
 * below always read host doubles. */
KERNEL void swap_block(const uint8_t *src, size_t m, uint64_t *out) {
    for (size_t i = 0; i < m; i++) {
        out[i] = load_u64(src + 8 * i, 1);
    }
}

/* Non-zero when one of m host-order doubles is NaN or infinite.  Only the
 * high 32 bits are examined (32-bit compares vectorise on every x86-64). */
KERNEL uint32_t any_nonfinite(const uint8_t *src, size_t m) {
    const size_t hi = TGM_HOST_BIG_ENDIAN ? 0 : 4;
    uint32_t bad = 0;
    for (size_t i = 0; i < m; i++) {
        uint32_t w;
        memcpy(&w, src + 8 * i + hi, sizeof w);
        bad |= (uint32_t)((w & 0x7FF00000u) == 0x7FF00000u);
    }
    return bad;
}

/* ------------------------------------------------------------------------
 * compute_params
 * ------------------------------------------------------------------------ */

typedef struct {
    const uint8_t *src;
    int swap;
    size_t n;
    size_t chunk;
    double *mins;
    double *maxs;
} scan_job;

/* Fold m finite host doubles into *lo / *hi.  Which of +0 and -0 survives
 * is left open here (scan_range settles it). */
KERNEL void minmax_block(const uint8_t *src, size_t m, double *lo, double *hi) {
    size_t i = 0;
#if defined(__SSE2__)
    __m128d mn0 = _mm_set1_pd(*lo), mn1 = mn0, mx0 = _mm_set1_pd(*hi), mx1 = mx0;
    for (; i + 4 <= m; i += 4) {
        __m128d a = _mm_loadu_pd((const double *)(const void *)(src + 8 * i));
        __m128d b = _mm_loadu_pd((const double *)(const void *)(src + 8 * i + 16));
        mn0 = _mm_min_pd(mn0, a);
        mx0 = _mm_max_pd(mx0, a);
        mn1 = _mm_min_pd(mn1, b);
        mx1 = _mm_max_pd(mx1, b);
    }
    double t[4];
    _mm_storeu_pd(t, _mm_min_pd(mn0, mn1));
    _mm_storeu_pd(t + 2, _mm_max_pd(mx0, mx1));
    *lo = t[0] < t[1] ? t[0] : t[1];
    *hi = t[2] > t[3] ? t[2] : t[3];
#endif
    double l = *lo, h = *hi;
    for (; i < m; i++) {
        double v;
        memcpy(&v, src + 8 * i, sizeof v);
        l = v < l ? v : l;
        h = v > h ? v : h;
    }
    *lo = l;
    *hi = h;
}

/* Min and max of m values, each the first element attaining that value
 * (which only matters for +0/-0), or an error naming the first non-finite
 * value. */
static tgm_error scan_range(const uint8_t *src, int swap, size_t m, size_t base_index,
                            double *out_min, double *out_max) {
    uint64_t host[BLOCK];
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < m; i += BLOCK) {
        size_t k = m - i < BLOCK ? m - i : BLOCK;
        const uint8_t *s = src + 8 * i;
        if (swap) {
            swap_block(s, k, host);
            s = (const uint8_t *)host;
        }
        if (TGM_UNLIKELY(any_nonfinite(s, k) != 0)) {
            return report_nonfinite(s, 0, k, base_index + i);
        }
        minmax_block(s, k, &lo, &hi);
    }
    /* Equal values with different bits are only +0 and -0: a sequential
     * strict-comparison scan keeps the first one met, so look it up. */
    if (lo == 0.0 || hi == 0.0) {
        for (size_t i = 0; i < m; i++) {
            double v = bits_dbl(load_u64(src + 8 * i, swap));
            if (v == 0.0) {
                lo = lo == 0.0 ? v : lo;
                hi = hi == 0.0 ? v : hi;
                break;
            }
        }
    }
    *out_min = lo;
    *out_max = hi;
    return TGM_ERROR_OK;
}

static tgm_error scan_task(void *ctx, size_t index) {
    scan_job *j = ctx;
    size_t i0 = index * j->chunk;
    size_t m = j->n - i0 < j->chunk ? j->n - i0 : j->chunk;
    return scan_range(j->src + 8 * i0, j->swap, m, i0, &j->mins[index], &j->maxs[index]);
}

tgm_error tgm__sp_compute_params(const uint8_t *src, int src_big_endian, size_t n, uint32_t bits,
                                 int32_t dsf, uint32_t threads, tgm_sp_params *out) {
    TGM_RETURN_IF(bits > 64, TGM_ERROR_ENCODING, "bits_per_value %u exceeds maximum of 64", bits);
    int swap = need_swap(src_big_endian);
    tgm_sp_params p;
    p.decimal_scale_factor = dsf;
    p.bits_per_value = bits;
    p.binary_scale_factor = 0;
    if (n == 0 || bits == 0) {
        p.reference_value = n == 0 ? 0.0 : bits_dbl(load_u64(src, swap));
        *out = p;
        return TGM_ERROR_OK;
    }

    double lo, hi;
    if (use_threads(threads, n) && n > CHUNK) {
        size_t ntasks = (n + CHUNK - 1) / CHUNK;
        double local[2 * 64];
        double *mm = ntasks <= 64 ? local : tgm__malloc_array(ntasks, 2 * sizeof(double));
        if (mm == NULL) {
            return tgm__oom(ntasks * 2 * sizeof(double), "simple_packing min/max scan");
        }
        scan_job job = {src, swap, n, CHUNK, mm, mm + ntasks};
        tgm_error err = tgm__parallel_for(threads, ntasks, scan_task, &job);
        if (err == TGM_ERROR_OK) {
            lo = mm[0];
            hi = mm[ntasks];
            for (size_t t = 1; t < ntasks; t++) {
                lo = mm[t] < lo ? mm[t] : lo;
                hi = mm[ntasks + t] > hi ? mm[ntasks + t] : hi;
            }
        }
        if (mm != local) {
            tgm__free(mm);
        }
        TGM_TRY(err);
    } else {
        TGM_TRY(scan_range(src, swap, n, 0, &lo, &hi));
    }

    double range = (hi - lo) * tgm__sp_powi(10.0, dsf);
    double maxq = (double)max_packed(bits);
    p.reference_value = lo;
    if (range != 0.0 && maxq != 0.0) {
        p.binary_scale_factor = sat_i32(ceil(log2(range / maxq)));
    }
    *out = p;
    return TGM_ERROR_OK;
}

/* ------------------------------------------------------------------------
 * Parameter and size checks
 * ------------------------------------------------------------------------ */

tgm_error tgm__sp_check_params(const tgm_sp_params *p) {
    double r = p->reference_value;
    if (r != r || r == INFINITY || r == -INFINITY) {
        return tgm__fail(TGM_ERROR_ENCODING, "invalid reference_value: must be finite, got %s",
                         r != r ? "NaN" : (r > 0 ? "inf" : "-inf"));
    }
    int64_t e = p->binary_scale_factor;
    TGM_RETURN_IF(e > TGM_SP_MAX_BINARY_SCALE || e < -TGM_SP_MAX_BINARY_SCALE, TGM_ERROR_ENCODING,
                  "invalid binary_scale_factor: value %d is outside the reasonable range "
                  "\xC2\xB1%d; recompute the parameters from finite data",
                  (int)p->binary_scale_factor, TGM_SP_MAX_BINARY_SCALE);
    TGM_RETURN_IF(p->bits_per_value > 64, TGM_ERROR_ENCODING,
                  "bits_per_value %u exceeds maximum of 64", p->bits_per_value);
    return TGM_ERROR_OK;
}

tgm_error tgm__sp_check_container(uint32_t bits, uint32_t container_bytes) {
    if (container_bytes == 0) {
        return TGM_ERROR_OK;
    }
    uint32_t need = (bits + 7) / 8;
    TGM_RETURN_IF(container_bytes > 8 || container_bytes < need, TGM_ERROR_ENCODING,
                  "simple_packing container of %u bytes cannot hold %u-bit values", container_bytes,
                  bits);
    return TGM_ERROR_OK;
}

tgm_error tgm__sp_packed_size(size_t n, uint32_t bits, uint32_t container_bytes, size_t *out) {
    TGM_RETURN_IF(bits > 64, TGM_ERROR_ENCODING, "bits_per_value %u exceeds maximum of 64", bits);
    TGM_TRY(tgm__sp_check_container(bits, container_bytes));
    if (bits == 0) {
        *out = 0;
        return TGM_ERROR_OK;
    }
    if (container_bytes != 0) {
        size_t sz;
        TGM_RETURN_IF(tgm__mul_size(n, container_bytes, &sz), TGM_ERROR_ENCODING,
                      "output size overflow: %zu values \xC3\x97 %u bytes", n, container_bytes);
        *out = sz;
        return TGM_ERROR_OK;
    }
    uint64_t total_bits;
    size_t sz;
    TGM_RETURN_IF(tgm__mul_u64((uint64_t)n, bits, &total_bits), TGM_ERROR_ENCODING,
                  "bit-count overflow: %zu values \xC3\x97 %u bits per value", n, bits);
    TGM_RETURN_IF(tgm__u64_to_size(total_bits / 8 + (total_bits % 8 != 0), &sz), TGM_ERROR_ENCODING,
                  "output size overflow: %zu values \xC3\x97 %u bits", n, bits);
    *out = sz;
    return TGM_ERROR_OK;
}

/* ------------------------------------------------------------------------
 * Encoding
 * ------------------------------------------------------------------------ */

typedef struct {
    const uint8_t *src;
    int swap;
    size_t n;
    double ref;
    double scale;
    double lim; /* max_packed as a double; exact when bits <= 52 */
    uint64_t maxq;
    uint32_t bits;
    uint32_t cb; /* bytes per value when byte-aligned, 0 for the bit stream */
    uint8_t *dst;
    size_t chunk;
} enc_job;

/* Quantise m finite host doubles for bits <= 52, exactly as
 * min(sat_u64(round((v - ref) * scale)), maxq).  Clamping x to [0, maxq]
 * first is equivalent because maxq is an integer.  Adding 2^52 rounds to
 * the nearest integer, ties to even; h = x - that integer is exact and lies
 * in [-0.5, 0.5], so h >= 0.5 marks exactly the ties that must round up
 * (half away from zero).  Written with selects between constants and
 * integer adds so the loop has no branches and vectorises. */
KERNEL void quantise_fast(const uint8_t *src, size_t m, const enc_job *j, uint64_t *q) {
    const double ref = j->ref, scale = j->scale, lim = j->lim;
    for (size_t i = 0; i < m; i++) {
        double v;
        memcpy(&v, src + 8 * i, sizeof v);
        double x = (v - ref) * scale;
        x = x > 0.0 ? x : 0.0;
        x = x < lim ? x : lim;
        double y = x + TWO52;
        double h = x - (y - TWO52);
        double up = h >= 0.5 ? 1.0 : 0.0;
        q[i] = dbl_bits(y) - TWO52_BITS + ((dbl_bits(up) >> 52) & 1u);
    }
}

static inline uint64_t quantise_exact_one(double x, uint64_t maxq) {
    uint64_t q;
    if (!(x > 0.0)) {
        q = 0; /* negative, zero or NaN */
    } else {
        double r = round(x);
        q = r >= TWO64 ? UINT64_MAX : (uint64_t)r;
    }
    return q < maxq ? q : maxq;
}

/* Bits > 52: the integers no longer fit the 2^52 trick. */
KERNEL void quantise_exact(const uint8_t *src, size_t m, const enc_job *j, uint64_t *q) {
    for (size_t i = 0; i < m; i++) {
        double v;
        memcpy(&v, src + 8 * i, sizeof v);
        q[i] = quantise_exact_one((v - j->ref) * j->scale, j->maxq);
    }
}

KERNEL void store_containers(const uint64_t *q, size_t m, uint32_t cb, uint8_t *dst) {
    switch (cb) {
    case 1:
        for (size_t i = 0; i < m; i++) {
            dst[i] = (uint8_t)q[i];
        }
        break;
    case 2:
        for (size_t i = 0; i < m; i++) {
            dst[2 * i] = (uint8_t)(q[i] >> 8);
            dst[2 * i + 1] = (uint8_t)q[i];
        }
        break;
    case 3:
        for (size_t i = 0; i < m; i++) {
            dst[3 * i] = (uint8_t)(q[i] >> 16);
            dst[3 * i + 1] = (uint8_t)(q[i] >> 8);
            dst[3 * i + 2] = (uint8_t)q[i];
        }
        break;
    case 4:
        /* Byte reversal by shifts (vectorises with plain SSE2), then the
         * 32-bit word stored in host order: big endian on the wire. */
        for (size_t i = 0; i < m; i++) {
            uint32_t v = (uint32_t)q[i];
            v = (v >> 24) | ((v >> 8) & 0xFF00u) | ((v << 8) & 0xFF0000u) | (v << 24);
#if TGM_HOST_BIG_ENDIAN
            v = (uint32_t)q[i];
#endif
            memcpy(dst + 4 * i, &v, sizeof v);
        }
        break;
    case 8:
        for (size_t i = 0; i < m; i++) {
            store_u64(dst + 8 * i, q[i], !TGM_HOST_BIG_ENDIAN);
        }
        break;
    default:
        for (size_t i = 0; i < m; i++) {
            for (uint32_t k = 0; k < cb; k++) {
                dst[cb * i + k] = (uint8_t)(q[i] >> (8 * (cb - 1 - k)));
            }
        }
        break;
    }
}

/* MSB-first bit writer: `acc` holds `n` (< 32) pending bits. */
typedef struct {
    uint8_t *p;
    uint64_t acc;
    uint32_t n;
} bit_writer;

static inline void bw_put(bit_writer *w, uint64_t v, uint32_t b) {
    /* b <= 32 and v < 2^b */
    w->acc = (w->acc << b) | v;
    w->n += b;
    if (w->n >= 32) {
        w->n -= 32;
        tgm__wr_be32(w->p, (uint32_t)(w->acc >> w->n));
        w->p += 4;
    }
}

KERNEL void pack_bits(const uint64_t *q, size_t m, uint32_t bits, bit_writer *w) {
    if (bits <= 32) {
        for (size_t i = 0; i < m; i++) {
            bw_put(w, q[i], bits);
        }
    } else {
        for (size_t i = 0; i < m; i++) {
            bw_put(w, q[i] >> 32, bits - 32);
            bw_put(w, q[i] & 0xFFFFFFFFu, 32);
        }
    }
}

static void bw_flush(bit_writer *w) {
    while (w->n >= 8) {
        w->n -= 8;
        *w->p++ = (uint8_t)(w->acc >> w->n);
    }
    if (w->n > 0) {
        *w->p++ = (uint8_t)(w->acc << (8 - w->n));
        w->n = 0;
    }
}

static tgm_error encode_task(void *ctx, size_t index) {
    const enc_job *j = ctx;
    size_t i0 = index * j->chunk;
    size_t end = j->n - i0 < j->chunk ? j->n : i0 + j->chunk;
    uint64_t q[BLOCK];
    uint64_t host[BLOCK];
    bit_writer w = {NULL, 0, 0};
    if (j->cb == 0) {
        w.p = j->dst + (i0 / 8) * j->bits; /* i0 is a multiple of 8 */
    }
    for (size_t i = i0; i < end; i += BLOCK) {
        size_t m = end - i < BLOCK ? end - i : BLOCK;
        const uint8_t *s = j->src + 8 * i;
        if (j->swap) {
            swap_block(s, m, host);
            s = (const uint8_t *)host;
        }
        if (TGM_UNLIKELY(any_nonfinite(s, m) != 0)) {
            return report_nonfinite(s, 0, m, i);
        }
        if (j->bits <= 52) {
            quantise_fast(s, m, j, q);
        } else {
            quantise_exact(s, m, j, q);
        }
        if (j->cb != 0) {
            store_containers(q, m, j->cb, j->dst + i * j->cb);
        } else {
            pack_bits(q, m, j->bits, &w);
        }
    }
    if (j->cb == 0) {
        bw_flush(&w);
    }
    return TGM_ERROR_OK;
}

/* Scan for NaN/Inf only (bits == 0 stores nothing but still rejects them). */
static tgm_error check_finite(const uint8_t *src, int swap, size_t n) {
    for (size_t i = 0; i < n; i += BLOCK) {
        size_t m = n - i < BLOCK ? n - i : BLOCK;
        uint64_t bad = 0;
        for (size_t k = 0; k < m; k++) {
            uint64_t u = load_u64(src + 8 * (i + k), swap);
            bad |= (uint64_t)((u & EXP_MASK) == EXP_MASK);
        }
        if (bad) {
            return report_nonfinite(src + 8 * i, swap, m, i);
        }
    }
    return TGM_ERROR_OK;
}

tgm_error tgm__sp_encode(const uint8_t *src, int src_big_endian, size_t n, const tgm_sp_params *p,
                         uint32_t container_bytes, uint8_t *dst, size_t dst_len, uint32_t threads) {
    TGM_TRY(tgm__sp_check_params(p));
    size_t need;
    TGM_TRY(tgm__sp_packed_size(n, p->bits_per_value, container_bytes, &need));
    TGM_RETURN_IF(dst_len != need, TGM_ERROR_ENCODING,
                  "simple_packing output buffer is %zu bytes, %zu needed", dst_len, need);
    int swap = need_swap(src_big_endian);
    if (p->bits_per_value == 0 || n == 0) {
        return check_finite(src, swap, n);
    }

    enc_job j;
    j.src = src;
    j.swap = swap;
    j.n = n;
    j.ref = p->reference_value;
    j.scale =
        tgm__sp_powi(10.0, p->decimal_scale_factor) * tgm__sp_powi(2.0, -p->binary_scale_factor);
    j.bits = p->bits_per_value;
    j.maxq = max_packed(j.bits);
    j.lim = (double)j.maxq;
    j.cb = container_bytes != 0 ? container_bytes : (j.bits % 8 == 0 ? j.bits / 8 : 0);
    j.dst = dst;
    if (use_threads(threads, n)) {
        j.chunk = CHUNK;
        return tgm__parallel_for(threads, (n + CHUNK - 1) / CHUNK, encode_task, &j);
    }
    j.chunk = n;
    return encode_task(&j, 0);
}

/* ------------------------------------------------------------------------
 * Decoding
 * ------------------------------------------------------------------------ */

typedef struct {
    const uint8_t *packed;
    size_t packed_len;
    uint64_t bit_offset; /* of value 0 */
    size_t n;
    double ref;
    double inv;
    uint32_t bits;
    uint32_t cb; /* bytes per value when byte-aligned, 0 for the bit stream */
    uint8_t *dst;
    int swap;
    size_t chunk;
} dec_job;

static uint64_t read_bits_slow(const uint8_t *p, uint64_t pos, uint32_t bits) {
    uint64_t v = 0;
    for (uint32_t k = 0; k < bits; k++, pos++) {
        v = (v << 1) | ((uint64_t)(p[pos >> 3] >> (7 - (pos & 7))) & 1u);
    }
    return v;
}

/* Read m values of `bits` bits starting at bit `pos`; the caller has checked
 * that they lie within p[0, len). */
KERNEL void unpack_bits(const uint8_t *p, size_t len, uint64_t pos, size_t m, uint32_t bits,
                        uint64_t *q) {
    const uint32_t down = 64 - bits;
    size_t i = 0;
    if (bits <= 56) {
        for (; i < m; i++, pos += bits) {
            uint64_t byte = pos >> 3;
            if (TGM_UNLIKELY(byte + 8 > len)) {
                break;
            }
            q[i] = (tgm__rd_be64(p + byte) << (pos & 7)) >> down;
        }
    } else {
        for (; i < m; i++, pos += bits) {
            uint64_t byte = pos >> 3;
            uint32_t sh = (uint32_t)(pos & 7);
            if (TGM_UNLIKELY(byte + 9 > len)) {
                break;
            }
            uint64_t v = tgm__rd_be64(p + byte) << sh;
            if (sh != 0) {
                v |= (uint64_t)(p[byte + 8] >> (8 - sh));
            }
            q[i] = v >> down;
        }
    }
    for (; i < m; i++, pos += bits) {
        q[i] = read_bits_slow(p, pos, bits);
    }
}

KERNEL void load_containers(const uint8_t *src, size_t m, uint32_t cb, uint64_t *q) {
    switch (cb) {
    case 1:
        for (size_t i = 0; i < m; i++) {
            q[i] = src[i];
        }
        break;
    case 2:
        for (size_t i = 0; i < m; i++) {
            q[i] = ((uint64_t)src[2 * i] << 8) | src[2 * i + 1];
        }
        break;
    case 3:
        for (size_t i = 0; i < m; i++) {
            q[i] = ((uint64_t)src[3 * i] << 16) | ((uint64_t)src[3 * i + 1] << 8) | src[3 * i + 2];
        }
        break;
    case 4:
        for (size_t i = 0; i < m; i++) {
            uint32_t v;
            memcpy(&v, src + 4 * i, sizeof v);
#if !TGM_HOST_BIG_ENDIAN
            v = (v >> 24) | ((v >> 8) & 0xFF00u) | ((v << 8) & 0xFF0000u) | (v << 24);
#endif
            q[i] = v;
        }
        break;
    case 8:
        for (size_t i = 0; i < m; i++) {
            q[i] = tgm__rd_be64(src + 8 * i);
        }
        break;
    default:
        for (size_t i = 0; i < m; i++) {
            uint64_t v = 0;
            for (uint32_t k = 0; k < cb; k++) {
                v = (v << 8) | src[cb * i + k];
            }
            q[i] = v;
        }
        break;
    }
}

/* value = ref + inv * q, two roundings, in the reference's order. */
static inline void dequantise_fast(const uint64_t *q, size_t m, double ref, double inv,
                                   uint8_t *dst, const int swap) {
    for (size_t i = 0; i < m; i++) {
        double d = bits_dbl(q[i] | TWO52_BITS) - TWO52; /* exact for q < 2^52 */
        store_u64(dst + 8 * i, dbl_bits(ref + inv * d), swap);
    }
}

static void dequantise(const uint64_t *q, size_t m, const dec_job *j, uint8_t *dst) {
    if (j->bits <= 52) {
        if (j->swap) {
            dequantise_fast(q, m, j->ref, j->inv, dst, 1);
        } else {
            dequantise_fast(q, m, j->ref, j->inv, dst, 0);
        }
        return;
    }
    for (size_t i = 0; i < m; i++) {
        store_u64(dst + 8 * i, dbl_bits(j->ref + j->inv * (double)q[i]), j->swap);
    }
}

static tgm_error decode_task(void *ctx, size_t index) {
    const dec_job *j = ctx;
    size_t i0 = index * j->chunk;
    size_t end = j->n - i0 < j->chunk ? j->n : i0 + j->chunk;
    uint64_t q[BLOCK];
    for (size_t i = i0; i < end; i += BLOCK) {
        size_t m = end - i < BLOCK ? end - i : BLOCK;
        if (j->cb != 0) {
            load_containers(j->packed + j->bit_offset / 8 + i * j->cb, m, j->cb, q);
        } else {
            unpack_bits(j->packed, j->packed_len, j->bit_offset + (uint64_t)i * j->bits, m, j->bits,
                        q);
        }
        dequantise(q, m, j, j->dst + 8 * i);
    }
    return TGM_ERROR_OK;
}

static void fill_reference(uint8_t *dst, size_t n, double ref, int swap) {
    uint64_t u = dbl_bits(ref);
    for (size_t i = 0; i < n; i++) {
        store_u64(dst + 8 * i, u, swap);
    }
}

/* Shared set-up of decode and decode_range: validates and fills `j`.
 * Returns 1 in *done when nothing remains to unpack (bits == 0 or count 0). */
static tgm_error decode_setup(const uint8_t *packed, size_t packed_len, uint64_t bit_offset,
                              size_t count, const tgm_sp_params *p, uint32_t container_bytes,
                              uint8_t *dst, int dst_big_endian, dec_job *j, int *done) {
    uint32_t bits = p->bits_per_value;
    TGM_RETURN_IF(bits > 64, TGM_ERROR_ENCODING, "bits_per_value %u exceeds maximum of 64", bits);
    TGM_TRY(tgm__sp_check_container(bits, container_bytes));
    TGM_RETURN_IF(count > SIZE_MAX / 8, TGM_ERROR_ENCODING,
                  "output size overflow: %zu values \xC3\x97 8 bytes", count);
    int swap = need_swap(dst_big_endian);
    *done = 0;
    if (bits == 0) {
        fill_reference(dst, count, p->reference_value, swap);
        *done = 1;
        return TGM_ERROR_OK;
    }
    uint32_t stride = container_bytes != 0 ? container_bytes * 8 : bits;
    TGM_RETURN_IF(container_bytes != 0 && bit_offset % 8 != 0, TGM_ERROR_ENCODING,
                  "simple_packing container layout needs a byte-aligned offset, got bit %llu",
                  (unsigned long long)bit_offset);
    uint64_t span, end_bit;
    TGM_RETURN_IF(tgm__mul_u64((uint64_t)count, stride, &span) ||
                      tgm__add_u64(span, bit_offset, &end_bit),
                  TGM_ERROR_ENCODING, "bit-count overflow: %zu values \xC3\x97 %u bits per value",
                  count, bits);
    uint64_t need = end_bit / 8 + (end_bit % 8 != 0);
    TGM_RETURN_IF(need > (uint64_t)packed_len, TGM_ERROR_ENCODING,
                  "insufficient data: expected at least %llu bytes, got %zu",
                  (unsigned long long)need, packed_len);
    j->packed = packed;
    j->packed_len = packed_len;
    j->bit_offset = bit_offset;
    j->n = count;
    j->ref = p->reference_value;
    j->inv =
        tgm__sp_powi(2.0, p->binary_scale_factor) * tgm__sp_powi(10.0, -p->decimal_scale_factor);
    j->bits = bits;
    j->cb = container_bytes != 0 ? container_bytes : (bits % 8 == 0 ? bits / 8 : 0);
    j->dst = dst;
    j->swap = swap;
    *done = count == 0;
    return TGM_ERROR_OK;
}

tgm_error tgm__sp_decode(const uint8_t *packed, size_t packed_len, size_t n, const tgm_sp_params *p,
                         uint32_t container_bytes, uint8_t *dst, int dst_big_endian,
                         uint32_t threads) {
    dec_job j;
    int done;
    memset(&j, 0, sizeof j);
    TGM_TRY(
        decode_setup(packed, packed_len, 0, n, p, container_bytes, dst, dst_big_endian, &j, &done));
    if (done) {
        return TGM_ERROR_OK;
    }
    if (use_threads(threads, n)) {
        j.chunk = CHUNK;
        return tgm__parallel_for(threads, (n + CHUNK - 1) / CHUNK, decode_task, &j);
    }
    j.chunk = n;
    return decode_task(&j, 0);
}

tgm_error tgm__sp_decode_range(const uint8_t *packed, size_t packed_len, uint64_t bit_offset,
                               size_t count, const tgm_sp_params *p, uint32_t container_bytes,
                               uint8_t *dst, int dst_big_endian) {
    dec_job j;
    int done;
    memset(&j, 0, sizeof j);
    TGM_TRY(decode_setup(packed, packed_len, bit_offset, count, p, container_bytes, dst,
                         dst_big_endian, &j, &done));
    if (done) {
        return TGM_ERROR_OK;
    }
    if (j.cb != 0 && bit_offset % 8 != 0) {
        /* A byte-multiple width in the tight layout at an odd offset: read it
         * as a bit stream. */
        j.cb = 0;
    }
    j.chunk = count;
    return decode_task(&j, 0);
}
