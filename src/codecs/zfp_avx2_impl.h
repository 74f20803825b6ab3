/* zfp block kernels for AVX2: four blocks at a time.  Included by
 * zfp_avx2.c (kernels "avx2") and by zfp_avx2_bmi2.c (kernels "avx2+bmi2",
 * with ZFP_USE_BMI2 defined: the plane coder then uses BMI2's pdep / pext,
 * which are fast on Intel and on AMD from Zen 3 on, microcoded and slow
 * before).  ZFP_AVX2_KERNELS names the kernel table.
 *
 * As the AVX-512 kernels (zfp_avx512.c), the block transform runs across
 * blocks after a 4x4 transposition.  AVX2 has no conversions between
 * doubles and 64-bit integers, so both are done exactly by hand:
 *   - to int64 with x86's truncation semantics: the integer part is the
 *     mantissa shifted by the exponent, INT64_MIN for |y| >= 2^63 or NaN;
 *   - to double with one rounding: the top 16 bits and the low 48 bits are
 *     placed in two doubles whose sum is the value (exact halves, one
 *     rounding in the final addition).
 * The transposition into bit planes spreads each 16-bit piece of a
 * coefficient to every fourth bit with shifts and masks, four blocks per
 * vector; the way back moves bit i of every plane nibble to a byte's sign
 * and takes the byte mask (vpmovmskb).  Stream: zfp.h. */
#include "codecs/zfp.h"

#ifdef TGM_ZFP_X86

/* Headers first, then the instruction set for the functions below. */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "common/endian.h"

#if defined(__clang__)
#ifdef ZFP_USE_BMI2
#pragma clang attribute push(__attribute__((target("avx2,bmi,bmi2"))), apply_to = function)
#else
#pragma clang attribute push(__attribute__((target("avx2,bmi"))), apply_to = function)
#endif
#else
#pragma GCC push_options
#ifdef ZFP_USE_BMI2
#pragma GCC target("avx2,bmi,bmi2")
#else
#pragma GCC target("avx2,bmi")
#endif
#endif

#include "codecs/zfp_coder.h"

#define SET64(v) _mm256_set1_epi64x((long long)(v))

static inline __m256i bitrev(__m256i x) {
    const __m256i lut = _mm256_setr_epi8(0x0, 0x8, 0x4, 0xc, 0x2, 0xa, 0x6, 0xe, 0x1, 0x9, 0x5, 0xd,
                                         0x3, 0xb, 0x7, 0xf, 0x0, 0x8, 0x4, 0xc, 0x2, 0xa, 0x6, 0xe,
                                         0x1, 0x9, 0x5, 0xd, 0x3, 0xb, 0x7, 0xf);
    const __m256i bswap = _mm256_setr_epi8(7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8, 7,
                                           6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8);
    const __m256i lo4 = _mm256_set1_epi8(0x0f);
    __m256i lo = _mm256_and_si256(x, lo4);
    __m256i hi = _mm256_and_si256(_mm256_srli_epi16(x, 4), lo4);
    __m256i r = _mm256_or_si256(_mm256_slli_epi16(_mm256_shuffle_epi8(lut, lo), 4),
                                _mm256_shuffle_epi8(lut, hi));
    return _mm256_shuffle_epi8(r, bswap);
}

static inline __m256i asr1(__m256i v) {
    return _mm256_or_si256(_mm256_srli_epi64(v, 1), _mm256_and_si256(v, SET64(INT64_MIN)));
}

static inline __m256i max64(__m256i a, __m256i b) {
    return _mm256_blendv_epi8(a, b, _mm256_cmpgt_epi64(b, a));
}

static inline __m256i sel(__m256i mask, __m256i yes, __m256i no) {
    return _mm256_blendv_epi8(no, yes, mask);
}

/* 4x4 transposition of 64-bit lanes (its own inverse). */
static inline void transpose4(__m256d *a, __m256d *b, __m256d *c, __m256d *d) {
    __m256d t0 = _mm256_unpacklo_pd(*a, *b), t1 = _mm256_unpackhi_pd(*a, *b);
    __m256d t2 = _mm256_unpacklo_pd(*c, *d), t3 = _mm256_unpackhi_pd(*c, *d);
    *a = _mm256_permute2f128_pd(t0, t2, 0x20);
    *b = _mm256_permute2f128_pd(t1, t3, 0x20);
    *c = _mm256_permute2f128_pd(t0, t2, 0x31);
    *d = _mm256_permute2f128_pd(t1, t3, 0x31);
}

static inline __m256i abs_bits(__m256d v) {
    __m256i a = _mm256_and_si256(_mm256_castpd_si256(v), SET64(INT64_MAX));
    __m256i nan = _mm256_cmpgt_epi64(a, SET64(0x7ff0000000000000));
    return _mm256_andnot_si256(nan, a); /* NaNs do not count */
}

/* y to int64 as cvttsd2si does it. */
static inline __m256i to_int(__m256d y) {
    __m256i b = _mm256_castpd_si256(y);
    __m256i a = _mm256_and_si256(b, SET64(INT64_MAX));
    __m256i E = _mm256_srli_epi64(a, 52);
    __m256i mant =
        _mm256_or_si256(_mm256_and_si256(a, SET64(0x000fffffffffffff)), SET64(0x0010000000000000));
    __m256i left = _mm256_sllv_epi64(mant, _mm256_sub_epi64(E, SET64(1075)));
    __m256i right = _mm256_srlv_epi64(mant, _mm256_sub_epi64(SET64(1075), E));
    __m256i mag = sel(_mm256_cmpgt_epi64(E, SET64(1074)), left, right);
    __m256i neg = _mm256_cmpgt_epi64(_mm256_setzero_si256(), b);
    __m256i v = _mm256_sub_epi64(_mm256_xor_si256(mag, neg), neg);
    return sel(_mm256_cmpgt_epi64(E, SET64(1085)), SET64(INT64_MIN), v);
}

/* int64 to double, rounded once to nearest. */
static inline __m256d to_double(__m256i x) {
    __m256i hi = _mm256_srai_epi32(x, 16);
    hi = _mm256_blend_epi16(hi, _mm256_setzero_si256(), 0x33);
    hi = _mm256_add_epi64(hi, _mm256_castpd_si256(_mm256_set1_pd(0x1.8p68)));
    __m256i lo = _mm256_blend_epi16(x, _mm256_castpd_si256(_mm256_set1_pd(0x1p52)), 0x88);
    __m256d f = _mm256_sub_pd(_mm256_castsi256_pd(hi), _mm256_set1_pd(0x1.8p68 + 0x1p52));
    return _mm256_add_pd(f, _mm256_castsi256_pd(lo));
}

/* Bit m of each lane's low 16 bits to bit 4 m. */
static inline __m256i spread16(__m256i x) {
    x = _mm256_and_si256(x, SET64(0xffff));
    x = _mm256_and_si256(_mm256_or_si256(x, _mm256_slli_epi64(x, 24)), SET64(0x000000ff000000ff));
    x = _mm256_and_si256(_mm256_or_si256(x, _mm256_slli_epi64(x, 12)), SET64(0x000f000f000f000f));
    x = _mm256_and_si256(_mm256_or_si256(x, _mm256_slli_epi64(x, 6)), SET64(0x0303030303030303));
    x = _mm256_and_si256(_mm256_or_si256(x, _mm256_slli_epi64(x, 3)), SET64(0x1111111111111111));
    return x;
}

/* The transform of 4 blocks: biased exponents, precisions and planes. */
typedef struct {
    uint64_t e[4];
    uint64_t prec[4];
    uint64_t P[4][5];
    uint32_t first[4][4]; /* [block][coefficient] */
} fwd4;

static inline void forward4(const tgm_zfp_cfg *c, const uint8_t *src, fwd4 *o) {
    __m256d x = _mm256_loadu_pd((const double *)(const void *)src);
    __m256d y = _mm256_loadu_pd((const double *)(const void *)(src + 32));
    __m256d z = _mm256_loadu_pd((const double *)(const void *)(src + 64));
    __m256d w = _mm256_loadu_pd((const double *)(const void *)(src + 96));
    transpose4(&x, &y, &z, &w);
    __m256i m = max64(max64(abs_bits(x), abs_bits(y)), max64(abs_bits(z), abs_bits(w)));
    __m256i E = _mm256_srli_epi64(m, 52);
    __m256i emax = _mm256_sub_epi64(E, SET64(1022));
    emax = sel(_mm256_cmpeq_epi64(E, SET64(2047)), _mm256_setzero_si256(), emax);
    emax = sel(_mm256_cmpeq_epi64(m, _mm256_setzero_si256()), SET64(-1023), emax);
    __m256i prec = _mm256_add_epi64(emax, SET64(4 - (int64_t)c->minexp));
    __m256i pos = _mm256_cmpgt_epi64(prec, _mm256_setzero_si256());
    prec = _mm256_and_si256(prec, pos);
    prec = sel(_mm256_cmpgt_epi64(prec, SET64(c->maxprec)), SET64(c->maxprec), prec);
    __m256i e = _mm256_and_si256(_mm256_add_epi64(emax, SET64(1023)), pos);
    _mm256_storeu_si256((__m256i *)(void *)o->e, e);
    _mm256_storeu_si256((__m256i *)(void *)o->prec, prec);
    __m256i k = _mm256_sub_epi64(SET64(1085), emax);
    __m256i sb = sel(_mm256_cmpgt_epi64(k, SET64(2046)), SET64(0x7ff0000000000000),
                     _mm256_slli_epi64(k, 52));
    __m256d s = _mm256_castsi256_pd(sb);
    __m256i ix = to_int(_mm256_mul_pd(x, s)), iy = to_int(_mm256_mul_pd(y, s));
    __m256i iz = to_int(_mm256_mul_pd(z, s)), iw = to_int(_mm256_mul_pd(w, s));
    ix = _mm256_add_epi64(ix, iw);
    ix = asr1(ix);
    iw = _mm256_sub_epi64(iw, ix);
    iz = _mm256_add_epi64(iz, iy);
    iz = asr1(iz);
    iy = _mm256_sub_epi64(iy, iz);
    ix = _mm256_add_epi64(ix, iz);
    ix = asr1(ix);
    iz = _mm256_sub_epi64(iz, ix);
    iw = _mm256_add_epi64(iw, iy);
    iw = asr1(iw);
    iy = _mm256_sub_epi64(iy, iw);
    iw = _mm256_add_epi64(iw, asr1(iy));
    iy = _mm256_sub_epi64(iy, asr1(iw));
    const __m256i nb = SET64(ZFP_NB);
    __m256i r[4] = {bitrev(_mm256_xor_si256(_mm256_add_epi64(ix, nb), nb)),
                    bitrev(_mm256_xor_si256(_mm256_add_epi64(iy, nb), nb)),
                    bitrev(_mm256_xor_si256(_mm256_add_epi64(iz, nb), nb)),
                    bitrev(_mm256_xor_si256(_mm256_add_epi64(iw, nb), nb))};
    for (int i = 0; i < 4; i++) {
        uint64_t ri[4];
        _mm256_storeu_si256((__m256i *)(void *)ri, r[i]);
        for (int b = 0; b < 4; b++) {
            o->first[b][i] = zfp_first_one(ri[b]);
        }
    }
    /* Plane words: P_w = sum over i of spread16(r_i >> 16 w) << i, for the
     * planes the precision and the rate budget can reach (every coded plane
     * takes at least one bit). */
    uint32_t reach = c->maxprec < c->maxbits - 12 ? c->maxprec : c->maxbits - 12;
    __m256d pw[4];
    for (int wd = 0; wd < 4; wd++) {
        __m256i v = _mm256_setzero_si256();
        for (int i = 0; i < 4 && 16u * (uint32_t)wd < reach; i++) {
            __m256i piece = spread16(_mm256_srli_epi64(r[i], 16 * wd));
            v = _mm256_or_si256(v, _mm256_slli_epi64(piece, i));
        }
        pw[wd] = _mm256_castsi256_pd(v);
    }
    transpose4(&pw[0], &pw[1], &pw[2], &pw[3]);
    for (int b = 0; b < 4; b++) {
        _mm256_storeu_pd((double *)(void *)o->P[b], pw[b]);
        o->P[b][4] = 0;
    }
}

static void gather_tail(const uint8_t *src, size_t n, size_t b, size_t count, uint8_t *out) {
    double v[16] = {0};
    for (size_t t = 0; t < count; t++) {
        size_t i = 4 * (b + t), k = n - i < 4 ? n - i : 4;
        double *d = v + 4 * t;
        memcpy(d, src + 8 * i, 8 * k);
        if (k == 1) {
            d[1] = d[2] = d[3] = d[0];
        } else if (k == 2) {
            d[2] = d[1];
            d[3] = d[0];
        } else if (k == 3) {
            d[3] = d[0];
        }
    }
    memcpy(out, v, sizeof v);
}

static uint64_t avx2_encode(const tgm_zfp_cfg *c, const uint8_t *src, size_t n, size_t b0,
                            size_t b1, uint8_t *dst) {
    zfp_bw w = {dst, 0, 0};
    uint64_t bits = 0;
    size_t full = n / 4 < b1 ? n / 4 : b1;
    size_t b = b0;
    fwd4 o;
    for (; b + 4 <= full; b += 4) {
        forward4(c, src + 32 * b, &o);
        for (int t = 0; t < 4; t++) {
            bits +=
                zfp_code_block(&w, c, (uint32_t)o.e[t], (uint32_t)o.prec[t], o.P[t], o.first[t]);
        }
    }
    while (b < b1) {
        uint8_t tail[128];
        size_t count = b1 - b < 4 ? b1 - b : 4;
        gather_tail(src, n, b, count, tail);
        forward4(c, tail, &o);
        for (size_t t = 0; t < count; t++) {
            bits +=
                zfp_code_block(&w, c, (uint32_t)o.e[t], (uint32_t)o.prec[t], o.P[t], o.first[t]);
        }
        b += count;
    }
    zfp_flush(&w);
    return bits;
}

/* Bit-reversed coefficient i of a block from its planes. */
static inline void coeffs(const uint64_t *P, uint64_t *r) {
    __m256i p = _mm256_loadu_si256((const __m256i *)(const void *)P);
    const __m256i lo4 = _mm256_set1_epi8(0x0f);
    __m256i lo = _mm256_and_si256(p, lo4);
    __m256i hi = _mm256_and_si256(_mm256_srli_epi16(p, 4), lo4);
    __m256i a = _mm256_unpacklo_epi8(lo, hi), b = _mm256_unpackhi_epi8(lo, hi);
    __m256i first = _mm256_permute2x128_si256(a, b, 0x20); /* planes 63 .. 32 */
    r[0] = (uint32_t)_mm256_movemask_epi8(_mm256_slli_epi16(first, 7));
    r[1] = (uint32_t)_mm256_movemask_epi8(_mm256_slli_epi16(first, 6));
    r[2] = (uint32_t)_mm256_movemask_epi8(_mm256_slli_epi16(first, 5));
    r[3] = (uint32_t)_mm256_movemask_epi8(_mm256_slli_epi16(first, 4));
    if ((P[2] | P[3]) == 0) {
        return; /* low rates: planes 31 .. 0 were not decoded */
    }
    __m256i second = _mm256_permute2x128_si256(a, b, 0x31); /* planes 31 .. 0 */
    r[0] |= (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_slli_epi16(second, 7)) << 32;
    r[1] |= (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_slli_epi16(second, 6)) << 32;
    r[2] |= (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_slli_epi16(second, 5)) << 32;
    r[3] |= (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_slli_epi16(second, 4)) << 32;
}

static inline void inverse4(const uint64_t (*P)[5], const int64_t *emax, uint8_t *out) {
    uint64_t r[4][4]; /* [block][coefficient] */
    for (int b = 0; b < 4; b++) {
        coeffs(P[b], r[b]);
    }
    __m256d q0 = _mm256_loadu_pd((const double *)(const void *)r[0]);
    __m256d q1 = _mm256_loadu_pd((const double *)(const void *)r[1]);
    __m256d q2 = _mm256_loadu_pd((const double *)(const void *)r[2]);
    __m256d q3 = _mm256_loadu_pd((const double *)(const void *)r[3]);
    transpose4(&q0, &q1, &q2, &q3);
    const __m256i nb = SET64(ZFP_NB);
    __m256i x = _mm256_sub_epi64(_mm256_xor_si256(bitrev(_mm256_castpd_si256(q0)), nb), nb);
    __m256i y = _mm256_sub_epi64(_mm256_xor_si256(bitrev(_mm256_castpd_si256(q1)), nb), nb);
    __m256i z = _mm256_sub_epi64(_mm256_xor_si256(bitrev(_mm256_castpd_si256(q2)), nb), nb);
    __m256i w = _mm256_sub_epi64(_mm256_xor_si256(bitrev(_mm256_castpd_si256(q3)), nb), nb);
    y = _mm256_add_epi64(y, asr1(w));
    w = _mm256_sub_epi64(w, asr1(y));
    y = _mm256_add_epi64(y, w);
    w = _mm256_slli_epi64(w, 1);
    w = _mm256_sub_epi64(w, y);
    z = _mm256_add_epi64(z, x);
    x = _mm256_slli_epi64(x, 1);
    x = _mm256_sub_epi64(x, z);
    y = _mm256_add_epi64(y, z);
    z = _mm256_slli_epi64(z, 1);
    z = _mm256_sub_epi64(z, y);
    w = _mm256_add_epi64(w, x);
    x = _mm256_slli_epi64(x, 1);
    x = _mm256_sub_epi64(x, w);
    __m256i k =
        _mm256_sub_epi64(_mm256_loadu_si256((const __m256i *)(const void *)emax), SET64(62));
    __m256i normal = _mm256_slli_epi64(_mm256_add_epi64(k, SET64(1023)), 52);
    __m256i sub = _mm256_sllv_epi64(SET64(1), _mm256_add_epi64(k, SET64(1074)));
    __m256i sb = sel(_mm256_cmpgt_epi64(SET64(-1022), k), sub, normal);
    sb = sel(_mm256_cmpgt_epi64(SET64(-1074), k), _mm256_setzero_si256(), sb);
    __m256d s = _mm256_castsi256_pd(sb);
    __m256d fx = _mm256_mul_pd(to_double(x), s), fy = _mm256_mul_pd(to_double(y), s);
    __m256d fz = _mm256_mul_pd(to_double(z), s), fw = _mm256_mul_pd(to_double(w), s);
    transpose4(&fx, &fy, &fz, &fw);
    _mm256_storeu_pd((double *)(void *)out, fx);
    _mm256_storeu_pd((double *)(void *)(out + 32), fy);
    _mm256_storeu_pd((double *)(void *)(out + 64), fz);
    _mm256_storeu_pd((double *)(void *)(out + 96), fw);
}

static uint64_t avx2_decode(const tgm_zfp_cfg *c, const uint8_t *src, size_t len, uint64_t bit,
                            size_t n, size_t v0, size_t v1, uint8_t *dst) {
    (void)n;
    uint64_t P[4][5];
    int64_t emax[4];
    uint8_t tmp[128];
    size_t v = v0;
    while (v < v1) {
        size_t b = v / 4;
        size_t last = (v1 - 1) / 4;
        size_t count = last - b + 1 < 4 ? last - b + 1 : 4;
        for (size_t t = 0; t < count; t++) {
            int32_t e;
            bit = zfp_decode_block(c, src, len, bit, P[t], &e);
            emax[t] = e;
        }
        for (size_t t = count; t < 4; t++) {
            memset(P[t], 0, sizeof P[t]);
            emax[t] = 0;
        }
        size_t first = v - 4 * b;
        size_t end = 4 * (b + count) < v1 ? 4 * (b + count) : v1;
        if (first == 0 && end - v == 16) {
            inverse4((const uint64_t(*)[5])P, emax, dst);
        } else {
            inverse4((const uint64_t(*)[5])P, emax, tmp);
            memcpy(dst, tmp + 8 * first, 8 * (end - v));
        }
        dst += 8 * (end - v);
        v = end;
    }
    return bit;
}

static uint64_t avx2_skip(const tgm_zfp_cfg *c, const uint8_t *src, size_t len, uint64_t bit,
                          size_t count) {
    return zfp_skip_blocks(c, src, len, bit, count);
}

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

const tgm_zfp_kernels ZFP_AVX2_KERNELS = {ZFP_AVX2_NAME, avx2_encode, avx2_decode, avx2_skip};

#endif
