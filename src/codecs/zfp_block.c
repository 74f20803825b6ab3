/* zfp block kernels in portable C, the plane-code tables, and the choice
 * of kernels at run time (AVX-512, AVX2 or these).  Stream: zfp.h; plane
 * coder: zfp_coder.h. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>

#include "codecs/zfp.h"
#include "codecs/zfp_coder.h"
#include "common/cpu.h"

uint16_t tgm__zfp_enc_table[4 * 16];
uint16_t tgm__zfp_dec_table[4 * 256];
uint8_t tgm__zfp_cut_table[4 * 8 * 256];

/* ---- tables --------------------------------------------------------------- */

/* zfp's plane encoding loop for plane x with n significant coefficients,
 * without a bit budget: the first n bits verbatim, then for the rest a
 * group test (is any bit left?) and, when positive, the bits up to and
 * including the next one (the last coefficient's one is implied). */
static uint32_t model_encode(uint32_t n, uint32_t x, uint32_t *len, uint32_t *n_after) {
    uint32_t code = 0, l = 0;
    for (uint32_t i = 0; i < n; i++) {
        code |= ((x >> i) & 1u) << l++;
    }
    x >>= n;
    for (; n < 4; x >>= 1, n++) {
        uint32_t any = x != 0;
        code |= any << l++;
        if (!any) {
            break;
        }
        for (; n < 3; x >>= 1, n++) {
            uint32_t bit = x & 1u;
            code |= bit << l++;
            if (bit) {
                break;
            }
        }
    }
    *len = l;
    *n_after = n;
    return code;
}

/* The matching decoding loop over the stream bits b. */
static uint32_t model_decode(uint32_t n, uint32_t b, uint32_t *len, uint32_t *n_after) {
    uint32_t pos = n;
    uint32_t x = b & ((1u << n) - 1u);
    for (; n < 4; n++) {
        if (((b >> pos++) & 1u) == 0) {
            break;
        }
        for (; n < 3; n++) {
            if ((b >> pos++) & 1u) {
                break;
            }
        }
        x += 1u << n;
    }
    *len = pos;
    *n_after = n;
    return x;
}

/* zfp's decoding loop for one plane with a budget of r bits, bit by bit:
 * when the budget ends after a positive group test, the bit being tested
 * is set. */
static uint32_t model_decode_cut(uint32_t n, uint32_t bits, uint32_t r) {
    uint32_t m = n < r ? n : r;
    uint32_t x = bits & ((1u << m) - 1u);
    bits >>= m;
    r -= m;
    for (; r != 0 && n < 4; n++) {
        r--;
        uint32_t bit = bits & 1u;
        bits >>= 1;
        if (!bit) {
            break;
        }
        for (; r != 0 && n < 3; n++) {
            r--;
            bit = bits & 1u;
            bits >>= 1;
            if (bit) {
                break;
            }
        }
        x += 1u << n;
    }
    return x;
}

/* ---- portable block transform ------------------------------------------- */

static uint64_t bitrev64(uint64_t x) {
    x = ((x >> 1) & UINT64_C(0x5555555555555555)) | ((x & UINT64_C(0x5555555555555555)) << 1);
    x = ((x >> 2) & UINT64_C(0x3333333333333333)) | ((x & UINT64_C(0x3333333333333333)) << 2);
    x = ((x >> 4) & UINT64_C(0x0f0f0f0f0f0f0f0f)) | ((x & UINT64_C(0x0f0f0f0f0f0f0f0f)) << 4);
    return __builtin_bswap64(x);
}

/* Bit m of the low 16 bits of x to bit 4 m. */
static uint64_t spread16(uint64_t x) {
    x &= 0xffffu;
    x = (x | (x << 24)) & UINT64_C(0x000000ff000000ff);
    x = (x | (x << 12)) & UINT64_C(0x000f000f000f000f);
    x = (x | (x << 6)) & UINT64_C(0x0303030303030303);
    x = (x | (x << 3)) & UINT64_C(0x1111111111111111);
    return x;
}

/* The inverse: bit 4 m of x to bit m. */
static uint64_t gather16(uint64_t x) {
    x &= UINT64_C(0x1111111111111111);
    x = (x | (x >> 3)) & UINT64_C(0x0303030303030303);
    x = (x | (x >> 6)) & UINT64_C(0x000f000f000f000f);
    x = (x | (x >> 12)) & UINT64_C(0x000000ff000000ff);
    x = (x | (x >> 24)) & UINT64_C(0xffff);
    return x;
}

/* Planes of coefficients u, and the plane of each one's leading one. */
/* Only planes 0 .. planes - 1 are filled in (the coder reads no others:
 * each plane it codes takes at least one bit of the budget). */
static void planes_from_coeffs(const uint64_t *u, uint64_t *P, uint32_t *first, uint32_t planes) {
    uint64_t r[4];
    for (int i = 0; i < 4; i++) {
        r[i] = bitrev64(u[i]);
        first[i] = zfp_first_one(r[i]);
    }
    for (uint32_t w = 0; w < 4; w++) {
        uint64_t v = 0;
        if (16 * w < planes) {
            for (int i = 0; i < 4; i++) {
                v |= spread16(r[i] >> (16 * w)) << i;
            }
        }
        P[w] = v;
    }
    P[4] = 0;
}

static void coeffs_from_planes(const uint64_t *P, uint64_t *u) {
    uint64_t r[4] = {0, 0, 0, 0};
    for (int w = 0; w < 4; w++) {
        if (P[w] == 0) {
            continue; /* low rates decode only the top planes */
        }
        for (int i = 0; i < 4; i++) {
            r[i] |= gather16(P[w] >> i) << (16 * w);
        }
    }
    for (int i = 0; i < 4; i++) {
        u[i] = bitrev64(r[i]);
    }
}

/* Block exponent of v[0..3] (zfp.h) and the block's precision; returns the
 * biased exponent to code, 0 for a block coded as zero. */
static uint32_t block_exponent(const double *v, const tgm_zfp_cfg *c, int32_t *emax,
                               uint32_t *prec) {
    double m = 0;
    for (int i = 0; i < 4; i++) {
        double f = fabs(v[i]);
        if (m < f) { /* false for NaN: NaNs do not count */
            m = f;
        }
    }
    uint32_t E = (uint32_t)(zfp_double_to_bits(m) >> 52);
    int32_t e = m == 0 ? -1023 : (E == 2047 ? 0 : (int32_t)E - 1022);
    *emax = e;
    *prec = zfp_precision(e, c);
    return *prec != 0 ? (uint32_t)(e + 1023) : 0;
}

/* Forward transform of one block to negabinary coefficients. */
static void fwd_block(const double *v, int32_t emax, uint64_t *u) {
    double s = zfp_pow2(62 - emax);
    uint64_t q[4];
    for (int i = 0; i < 4; i++) {
        double y = s * v[i];
        /* cvttsd2si: NaN and |y| >= 2^63 give INT64_MIN. */
        q[i] = fabs(y) < 0x1p63 ? (uint64_t)(int64_t)y : UINT64_C(0x8000000000000000);
    }
    uint64_t x = q[0], y = q[1], z = q[2], w = q[3];
    x += w;
    x = zfp_asr1(x);
    w -= x;
    z += y;
    z = zfp_asr1(z);
    y -= z;
    x += z;
    x = zfp_asr1(x);
    z -= x;
    w += y;
    w = zfp_asr1(w);
    y -= w;
    w += zfp_asr1(y);
    y -= zfp_asr1(w);
    u[0] = (x + ZFP_NB) ^ ZFP_NB;
    u[1] = (y + ZFP_NB) ^ ZFP_NB;
    u[2] = (z + ZFP_NB) ^ ZFP_NB;
    u[3] = (w + ZFP_NB) ^ ZFP_NB;
}

static void inv_block(const uint64_t *u, int32_t emax, double *v) {
    uint64_t x = (u[0] ^ ZFP_NB) - ZFP_NB;
    uint64_t y = (u[1] ^ ZFP_NB) - ZFP_NB;
    uint64_t z = (u[2] ^ ZFP_NB) - ZFP_NB;
    uint64_t w = (u[3] ^ ZFP_NB) - ZFP_NB;
    y += zfp_asr1(w);
    w -= zfp_asr1(y);
    y += w;
    w <<= 1;
    w -= y;
    z += x;
    x <<= 1;
    x -= z;
    y += z;
    z <<= 1;
    z -= y;
    w += x;
    x <<= 1;
    x -= w;
    double s = zfp_pow2(emax - 62);
    v[0] = (double)(int64_t)x * s;
    v[1] = (double)(int64_t)y * s;
    v[2] = (double)(int64_t)z * s;
    v[3] = (double)(int64_t)w * s;
}

/* The values of block b, a partial last block padded as zfp pads it. */
static void load_block(const uint8_t *src, size_t n, size_t b, double *v) {
    size_t i = 4 * b, k = n - i < 4 ? n - i : 4;
    memcpy(v, src + 8 * i, 8 * k);
    switch (k) {
    case 1:
        v[1] = v[0];
        v[2] = v[0];
        v[3] = v[0];
        break;
    case 2:
        v[2] = v[1];
        v[3] = v[0];
        break;
    case 3:
        v[3] = v[0];
        break;
    default:
        break;
    }
}

static uint64_t portable_encode(const tgm_zfp_cfg *c, const uint8_t *src, size_t n, size_t b0,
                                size_t b1, uint8_t *dst) {
    zfp_bw w = {dst, 0, 0};
    uint64_t bits = 0;
    for (size_t b = b0; b < b1; b++) {
        double v[4];
        uint64_t u[4], P[5];
        uint32_t first[4];
        int32_t emax;
        uint32_t prec;
        load_block(src, n, b, v);
        uint32_t e = block_exponent(v, c, &emax, &prec);
        if (e != 0) {
            fwd_block(v, emax, u);
            planes_from_coeffs(u, P, first, prec < c->maxbits - 12 ? prec : c->maxbits - 12);
        }
        bits += zfp_code_block(&w, c, e, prec, P, first);
    }
    zfp_flush(&w);
    return bits;
}

static uint64_t portable_decode(const tgm_zfp_cfg *c, const uint8_t *src, size_t len, uint64_t bit,
                                size_t n, size_t v0, size_t v1, uint8_t *dst) {
    (void)n;
    size_t v = v0;
    while (v < v1) {
        uint64_t P[5], u[4];
        double blk[4];
        int32_t emax;
        bit = zfp_decode_block(c, src, len, bit, P, &emax);
        coeffs_from_planes(P, u);
        inv_block(u, emax, blk);
        size_t first = v % 4;
        size_t k = 4 - first < v1 - v ? 4 - first : v1 - v;
        memcpy(dst, blk + first, 8 * k);
        dst += 8 * k;
        v += k;
    }
    return bit;
}

static uint64_t portable_skip(const tgm_zfp_cfg *c, const uint8_t *src, size_t len, uint64_t bit,
                              size_t count) {
    return zfp_skip_blocks(c, src, len, bit, count);
}

const tgm_zfp_kernels tgm__zfp_portable = {"portable", portable_encode, portable_decode,
                                           portable_skip};

/* ---- dispatch ----------------------------------------------------------------- */

static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void build_tables(void) {
    for (uint32_t n = 0; n < 4; n++) {
        for (uint32_t x = 0; x < 16; x++) {
            uint32_t len, after;
            uint32_t code = model_encode(n, x, &len, &after);
            tgm__zfp_enc_table[16 * n + x] = (uint16_t)(code | len << 8 | after << 12);
        }
        for (uint32_t b = 0; b < 256; b++) {
            uint32_t len, after;
            uint32_t x = model_decode(n, b, &len, &after);
            tgm__zfp_dec_table[256 * n + b] = (uint16_t)(x | len << 4 | after << 8);
            for (uint32_t r = 0; r < 8; r++) {
                tgm__zfp_cut_table[256 * (8 * n + r) + b] = (uint8_t)model_decode_cut(n, b, r);
            }
        }
    }
}

static _Atomic(const tgm_zfp_kernels *) active;

static const tgm_zfp_kernels *best(void) {
#if defined(TGM_ZFP_X86)
    unsigned f = tgm__cpu_features();
    if (f & TGM_CPU_AVX512) {
        return &tgm__zfp_avx512;
    }
    if (f & TGM_CPU_AVX2) {
        return (f & TGM_CPU_FAST_BMI2) ? &tgm__zfp_avx2_bmi2 : &tgm__zfp_avx2;
    }
#endif
    return &tgm__zfp_portable;
}

const tgm_zfp_kernels *tgm__zfp_kernels(void) {
    const tgm_zfp_kernels *k = atomic_load_explicit(&active, memory_order_acquire);
    if (k == NULL) {
        pthread_once(&tables_once, build_tables);
        k = best();
        atomic_store_explicit(&active, k, memory_order_release);
    }
    return k;
}

int tgm__zfp_have_x86_kernels(void) {
#if defined(TGM_ZFP_X86)
    return 1;
#else
    return 0;
#endif
}

int tgm__zfp_force_isa(tgm_zfp_isa isa) {
    pthread_once(&tables_once, build_tables);
    const tgm_zfp_kernels *k = NULL;
    switch (isa) {
    case TGM_ZFP_ISA_AUTO:
        k = best();
        break;
    case TGM_ZFP_ISA_PORTABLE:
        k = &tgm__zfp_portable;
        break;
#if defined(TGM_ZFP_X86)
    case TGM_ZFP_ISA_AVX2:
        k = (tgm__cpu_features() & TGM_CPU_AVX2) ? &tgm__zfp_avx2 : NULL;
        break;
    case TGM_ZFP_ISA_AVX2_BMI2:
        /* runs wherever AVX2 does (our AVX2 flag includes BMI2), fast or not */
        k = (tgm__cpu_features() & TGM_CPU_AVX2) ? &tgm__zfp_avx2_bmi2 : NULL;
        break;
    case TGM_ZFP_ISA_AVX512:
        k = (tgm__cpu_features() & TGM_CPU_AVX512) ? &tgm__zfp_avx512 : NULL;
        break;
#endif
    default:
        break;
    }
    if (k == NULL) {
        return -1;
    }
    atomic_store_explicit(&active, k, memory_order_release);
    return 0;
}
