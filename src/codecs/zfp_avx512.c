/* zfp block kernels for AVX-512 (F, BW, DQ, VL): eight blocks at a time.
 *
 * The block transform runs across blocks: 32 values are loaded and
 * transposed so that each of four vectors holds one coefficient position
 * of eight blocks; exponent, scaling, the conversion to integers
 * (vcvttpd2qq: NaN and out-of-range give INT64_MIN exactly like the
 * cvttsd2si libzfp is compiled to), lifting and negabinary are then
 * lane-wise.  The transposition of a block's coefficients into bit planes
 * takes four mask-to-byte moves (vpmovm2b) and one byte pack per block;
 * the way back, four byte tests (vptestmb).  The plane coder itself is
 * zfp_coder.h's, one block after the other.  Stream: zfp.h. */
#include "codecs/zfp.h"

#ifdef TGM_ZFP_X86

/* Headers first, then the instruction set for the functions below. */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "common/endian.h"

#if defined(__clang__)
#pragma clang attribute push(                                                                      \
    __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,bmi,bmi2"))),                   \
    apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,avx2,bmi,bmi2")
#endif

#define ZFP_USE_BMI2 1 /* pext / pdep: fast on every CPU with AVX-512 */
#include "codecs/zfp_coder.h"

/* Reverse the bits of each 64-bit lane. */
static inline __m512i bitrev(__m512i x) {
    const __m512i lut = _mm512_broadcast_i32x4(_mm_setr_epi8(
        0x0, 0x8, 0x4, 0xc, 0x2, 0xa, 0x6, 0xe, 0x1, 0x9, 0x5, 0xd, 0x3, 0xb, 0x7, 0xf));
    const __m512i bswap =
        _mm512_broadcast_i32x4(_mm_setr_epi8(7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8));
    const __m512i lo4 = _mm512_set1_epi8(0x0f);
    __m512i lo = _mm512_and_si512(x, lo4);
    __m512i hi = _mm512_and_si512(_mm512_srli_epi16(x, 4), lo4);
    __m512i r = _mm512_or_si512(_mm512_slli_epi16(_mm512_shuffle_epi8(lut, lo), 4),
                                _mm512_shuffle_epi8(lut, hi));
    return _mm512_shuffle_epi8(r, bswap);
}

/* Lanes of 8 blocks: one coefficient position per vector. */
typedef struct {
    __m512d x, y, z, w;
} quad_pd;

static inline quad_pd load8(const uint8_t *p) {
    const __m512i i0 = _mm512_setr_epi64(0, 4, 8, 12, 1, 5, 9, 13);
    const __m512i i1 = _mm512_setr_epi64(2, 6, 10, 14, 3, 7, 11, 15);
    const __m512i lo = _mm512_setr_epi64(0, 1, 2, 3, 8, 9, 10, 11);
    const __m512i hi = _mm512_setr_epi64(4, 5, 6, 7, 12, 13, 14, 15);
    __m512d a0 = _mm512_loadu_pd(p), a1 = _mm512_loadu_pd(p + 64);
    __m512d a2 = _mm512_loadu_pd(p + 128), a3 = _mm512_loadu_pd(p + 192);
    __m512d xy01 = _mm512_permutex2var_pd(a0, i0, a1), zw01 = _mm512_permutex2var_pd(a0, i1, a1);
    __m512d xy23 = _mm512_permutex2var_pd(a2, i0, a3), zw23 = _mm512_permutex2var_pd(a2, i1, a3);
    quad_pd q;
    q.x = _mm512_permutex2var_pd(xy01, lo, xy23);
    q.y = _mm512_permutex2var_pd(xy01, hi, xy23);
    q.z = _mm512_permutex2var_pd(zw01, lo, zw23);
    q.w = _mm512_permutex2var_pd(zw01, hi, zw23);
    return q;
}

static inline void store8(uint8_t *p, __m512d x, __m512d y, __m512d z, __m512d w) {
    const __m512i ilo = _mm512_setr_epi64(0, 8, 1, 9, 2, 10, 3, 11);
    const __m512i ihi = _mm512_setr_epi64(4, 12, 5, 13, 6, 14, 7, 15);
    const __m512i o01 = _mm512_setr_epi64(0, 1, 8, 9, 2, 3, 10, 11);
    const __m512i o23 = _mm512_setr_epi64(4, 5, 12, 13, 6, 7, 14, 15);
    __m512d xy_lo = _mm512_permutex2var_pd(x, ilo, y), zw_lo = _mm512_permutex2var_pd(z, ilo, w);
    __m512d xy_hi = _mm512_permutex2var_pd(x, ihi, y), zw_hi = _mm512_permutex2var_pd(z, ihi, w);
    _mm512_storeu_pd(p, _mm512_permutex2var_pd(xy_lo, o01, zw_lo));
    _mm512_storeu_pd(p + 64, _mm512_permutex2var_pd(xy_lo, o23, zw_lo));
    _mm512_storeu_pd(p + 128, _mm512_permutex2var_pd(xy_hi, o01, zw_hi));
    _mm512_storeu_pd(p + 192, _mm512_permutex2var_pd(xy_hi, o23, zw_hi));
}

static inline __m512i abs_bits(__m512d v) {
    __m512i a = _mm512_and_si512(_mm512_castpd_si512(v), _mm512_set1_epi64(INT64_MAX));
    /* NaNs do not count towards the block maximum. */
    __mmask8 nan = _mm512_cmpgt_epu64_mask(a, _mm512_set1_epi64(0x7ff0000000000000));
    return _mm512_mask_mov_epi64(a, nan, _mm512_setzero_si512());
}

static inline __m512i asr1(__m512i v) { return _mm512_srai_epi64(v, 1); }

/* The transform of 8 blocks: biased exponents (0: coded as zero),
 * precisions, and the bit-reversed negabinary coefficients r[i][block]. */
typedef struct {
    uint64_t e[8];
    uint64_t prec[8];
    uint64_t r[4][8];
} fwd8;

static inline void forward8(const tgm_zfp_cfg *c, const uint8_t *src, fwd8 *o) {
    quad_pd q = load8(src);
    __m512i m = _mm512_max_epu64(_mm512_max_epu64(abs_bits(q.x), abs_bits(q.y)),
                                 _mm512_max_epu64(abs_bits(q.z), abs_bits(q.w)));
    __m512i E = _mm512_srli_epi64(m, 52);
    __m512i emax = _mm512_sub_epi64(E, _mm512_set1_epi64(1022));
    emax = _mm512_mask_mov_epi64(emax, _mm512_cmpeq_epi64_mask(E, _mm512_set1_epi64(2047)),
                                 _mm512_setzero_si512());
    emax = _mm512_mask_mov_epi64(emax, _mm512_cmpeq_epi64_mask(m, _mm512_setzero_si512()),
                                 _mm512_set1_epi64(-1023));
    __m512i prec = _mm512_add_epi64(emax, _mm512_set1_epi64(4 - (int64_t)c->minexp));
    prec = _mm512_max_epi64(prec, _mm512_setzero_si512());
    prec = _mm512_min_epi64(prec, _mm512_set1_epi64(c->maxprec));
    __mmask8 coded = _mm512_cmpneq_epi64_mask(prec, _mm512_setzero_si512());
    __m512i e = _mm512_maskz_add_epi64(coded, emax, _mm512_set1_epi64(1023));
    _mm512_storeu_si512(o->e, e);
    _mm512_storeu_si512(o->prec, prec);
    /* s = 2^(62 - emax), +inf when that overflows. */
    __m512i k = _mm512_sub_epi64(_mm512_set1_epi64(1085), emax);
    __m512i sb = _mm512_slli_epi64(k, 52);
    sb = _mm512_mask_mov_epi64(sb, _mm512_cmpgt_epi64_mask(k, _mm512_set1_epi64(2046)),
                               _mm512_set1_epi64(0x7ff0000000000000));
    __m512d s = _mm512_castsi512_pd(sb);
    __m512i x = _mm512_cvttpd_epi64(_mm512_mul_pd(q.x, s));
    __m512i y = _mm512_cvttpd_epi64(_mm512_mul_pd(q.y, s));
    __m512i z = _mm512_cvttpd_epi64(_mm512_mul_pd(q.z, s));
    __m512i w = _mm512_cvttpd_epi64(_mm512_mul_pd(q.w, s));
    x = _mm512_add_epi64(x, w);
    x = asr1(x);
    w = _mm512_sub_epi64(w, x);
    z = _mm512_add_epi64(z, y);
    z = asr1(z);
    y = _mm512_sub_epi64(y, z);
    x = _mm512_add_epi64(x, z);
    x = asr1(x);
    z = _mm512_sub_epi64(z, x);
    w = _mm512_add_epi64(w, y);
    w = asr1(w);
    y = _mm512_sub_epi64(y, w);
    w = _mm512_add_epi64(w, asr1(y));
    y = _mm512_sub_epi64(y, asr1(w));
    const __m512i nb = _mm512_set1_epi64((int64_t)ZFP_NB);
    _mm512_storeu_si512(o->r[0], bitrev(_mm512_xor_si512(_mm512_add_epi64(x, nb), nb)));
    _mm512_storeu_si512(o->r[1], bitrev(_mm512_xor_si512(_mm512_add_epi64(y, nb), nb)));
    _mm512_storeu_si512(o->r[2], bitrev(_mm512_xor_si512(_mm512_add_epi64(z, nb), nb)));
    _mm512_storeu_si512(o->r[3], bitrev(_mm512_xor_si512(_mm512_add_epi64(w, nb), nb)));
}

/* Planes of block b: byte j of the vector is plane 63 - j's nibble. */
static inline void planes(const fwd8 *o, int b, uint64_t *P, uint32_t *first) {
    for (int i = 0; i < 4; i++) {
        first[i] = zfp_first_one(o->r[i][b]);
    }
    __m512i v = _mm512_maskz_mov_epi8(_cvtu64_mask64(o->r[0][b]), _mm512_set1_epi8(1));
    v = _mm512_mask_mov_epi8(v, _cvtu64_mask64(o->r[1][b]),
                             _mm512_or_si512(v, _mm512_set1_epi8(2)));
    v = _mm512_mask_mov_epi8(v, _cvtu64_mask64(o->r[2][b]),
                             _mm512_or_si512(v, _mm512_set1_epi8(4)));
    v = _mm512_mask_mov_epi8(v, _cvtu64_mask64(o->r[3][b]),
                             _mm512_or_si512(v, _mm512_set1_epi8(8)));
    /* Two nibbles per byte: byte 2m | byte 2m+1 << 4. */
    __m512i pairs = _mm512_or_si512(v, _mm512_srli_epi16(v, 4));
    _mm256_storeu_si256((__m256i *)(void *)P, _mm512_cvtepi16_epi8(pairs));
    P[4] = 0;
}

/* The values of blocks [b, b + count) (count <= 8, the last one perhaps
 * partial), padded as zfp pads, into 32 doubles. */
static void gather_tail(const uint8_t *src, size_t n, size_t b, size_t count, uint8_t *out) {
    double v[32] = {0};
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

static uint64_t avx512_encode(const tgm_zfp_cfg *c, const uint8_t *src, size_t n, size_t b0,
                              size_t b1, uint8_t *dst) {
    zfp_bw w = {dst, 0, 0};
    uint64_t bits = 0;
    size_t full = n / 4 < b1 ? n / 4 : b1;
    size_t b = b0;
    fwd8 o;
    uint64_t P[5];
    uint32_t first[4];
    for (; b + 8 <= full; b += 8) {
        forward8(c, src + 32 * b, &o);
        for (int t = 0; t < 8; t++) {
            if (o.e[t] != 0) {
                planes(&o, t, P, first);
            }
            bits += zfp_code_block(&w, c, (uint32_t)o.e[t], (uint32_t)o.prec[t], P, first);
        }
    }
    if (b < b1) {
        uint8_t tail[256];
        size_t count = b1 - b;
        gather_tail(src, n, b, count, tail);
        forward8(c, tail, &o);
        for (size_t t = 0; t < count; t++) {
            if (o.e[t] != 0) {
                planes(&o, (int)t, P, first);
            }
            bits += zfp_code_block(&w, c, (uint32_t)o.e[t], (uint32_t)o.prec[t], P, first);
        }
    }
    zfp_flush(&w);
    return bits;
}

/* Reconstruct 8 blocks from their planes and exponents into 32 doubles. */
static inline void inverse8(const uint64_t (*P)[5], const int64_t *emax, uint8_t *out) {
    uint64_t r[4][8];
    for (int b = 0; b < 8; b++) {
        __m512i wds = _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)(const void *)P[b]));
        __m512i nib =
            _mm512_or_si512(_mm512_and_si512(wds, _mm512_set1_epi16(0x000f)),
                            _mm512_and_si512(_mm512_slli_epi16(wds, 4), _mm512_set1_epi16(0x0f00)));
        r[0][b] = _cvtmask64_u64(_mm512_test_epi8_mask(nib, _mm512_set1_epi8(1)));
        r[1][b] = _cvtmask64_u64(_mm512_test_epi8_mask(nib, _mm512_set1_epi8(2)));
        r[2][b] = _cvtmask64_u64(_mm512_test_epi8_mask(nib, _mm512_set1_epi8(4)));
        r[3][b] = _cvtmask64_u64(_mm512_test_epi8_mask(nib, _mm512_set1_epi8(8)));
    }
    const __m512i nb = _mm512_set1_epi64((int64_t)ZFP_NB);
    __m512i x = _mm512_sub_epi64(_mm512_xor_si512(bitrev(_mm512_loadu_si512(r[0])), nb), nb);
    __m512i y = _mm512_sub_epi64(_mm512_xor_si512(bitrev(_mm512_loadu_si512(r[1])), nb), nb);
    __m512i z = _mm512_sub_epi64(_mm512_xor_si512(bitrev(_mm512_loadu_si512(r[2])), nb), nb);
    __m512i w = _mm512_sub_epi64(_mm512_xor_si512(bitrev(_mm512_loadu_si512(r[3])), nb), nb);
    y = _mm512_add_epi64(y, asr1(w));
    w = _mm512_sub_epi64(w, asr1(y));
    y = _mm512_add_epi64(y, w);
    w = _mm512_slli_epi64(w, 1);
    w = _mm512_sub_epi64(w, y);
    z = _mm512_add_epi64(z, x);
    x = _mm512_slli_epi64(x, 1);
    x = _mm512_sub_epi64(x, z);
    y = _mm512_add_epi64(y, z);
    z = _mm512_slli_epi64(z, 1);
    z = _mm512_sub_epi64(z, y);
    w = _mm512_add_epi64(w, x);
    x = _mm512_slli_epi64(x, 1);
    x = _mm512_sub_epi64(x, w);
    /* s = 2^(emax - 62) as ldexp gives it (subnormal, or zero below
     * 2^-1074). */
    __m512i k = _mm512_sub_epi64(_mm512_loadu_si512(emax), _mm512_set1_epi64(62));
    __m512i normal = _mm512_slli_epi64(_mm512_add_epi64(k, _mm512_set1_epi64(1023)), 52);
    __m512i sub =
        _mm512_sllv_epi64(_mm512_set1_epi64(1), _mm512_add_epi64(k, _mm512_set1_epi64(1074)));
    __m512i sb =
        _mm512_mask_mov_epi64(normal, _mm512_cmplt_epi64_mask(k, _mm512_set1_epi64(-1022)), sub);
    sb = _mm512_mask_mov_epi64(sb, _mm512_cmplt_epi64_mask(k, _mm512_set1_epi64(-1074)),
                               _mm512_setzero_si512());
    __m512d s = _mm512_castsi512_pd(sb);
    store8(out, _mm512_mul_pd(_mm512_cvtepi64_pd(x), s), _mm512_mul_pd(_mm512_cvtepi64_pd(y), s),
           _mm512_mul_pd(_mm512_cvtepi64_pd(z), s), _mm512_mul_pd(_mm512_cvtepi64_pd(w), s));
}

static uint64_t avx512_decode(const tgm_zfp_cfg *c, const uint8_t *src, size_t len, uint64_t bit,
                              size_t n, size_t v0, size_t v1, uint8_t *dst) {
    (void)n;
    uint64_t P[8][5];
    int64_t emax[8];
    uint8_t tmp[256];
    size_t v = v0;
    while (v < v1) {
        size_t b = v / 4;
        size_t last = (v1 - 1) / 4;
        size_t count = last - b + 1 < 8 ? last - b + 1 : 8;
        for (size_t t = 0; t < count; t++) {
            int32_t e;
            bit = zfp_decode_block(c, src, len, bit, P[t], &e);
            emax[t] = e;
        }
        for (size_t t = count; t < 8; t++) {
            memset(P[t], 0, sizeof P[t]);
            emax[t] = 0;
        }
        size_t first = v - 4 * b;
        size_t end = 4 * (b + count) < v1 ? 4 * (b + count) : v1;
        if (first == 0 && end - v == 32) {
            inverse8((const uint64_t(*)[5])P, emax, dst);
        } else {
            inverse8((const uint64_t(*)[5])P, emax, tmp);
            memcpy(dst, tmp + 8 * first, 8 * (end - v));
        }
        dst += 8 * (end - v);
        v = end;
    }
    return bit;
}

static uint64_t avx512_skip(const tgm_zfp_cfg *c, const uint8_t *src, size_t len, uint64_t bit,
                            size_t count) {
    return zfp_skip_blocks(c, src, len, bit, count);
}

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

const tgm_zfp_kernels tgm__zfp_avx512 = {"avx512", avx512_encode, avx512_decode, avx512_skip};

#endif
