/* zfp's embedded bit-plane coder and bit I/O, shared by the kernels in
 * zfp_block.c, zfp_avx2.c and zfp_avx512.c (included, so each copy is
 * compiled for its instruction set).  See zfp.h for the stream.
 *
 * A block's 4 negabinary coefficients u0..u3 are handled transposed, as
 * "planes": 256 bits P where bits 4j..4j+3 hold bit plane 63 - j (bit i of
 * the nibble is bit 63 - j of u_i).  zfp codes planes from the most
 * significant down, so the plane code is a function of P read from bit 0
 * on, in three phases:
 *   1. while no coefficient is significant (n = 0), each all-zero plane is
 *      one 0 bit: the leading zero nibbles of P become that many 0 bits;
 *   2. while 0 < n < 4 (and for the first non-zero plane), each plane is
 *      the bits of the n significant coefficients and a group-test code of
 *      the others: one table entry per plane (enc/dec tables, built in
 *      zfp_block.c from a bit-by-bit model of zfp's loop);
 *   3. once n = 4, each plane is its 4 bits verbatim: the rest of P is
 *      copied as it is.
 * The code is cut after `budget` bits (fixed rate), exactly where zfp's
 * bit-by-bit loop stops; a decoder that runs out of budget in the middle
 * of a plane follows zfp's loop bit by bit for that plane. */
#ifndef TGM_CODECS_ZFP_CODER_H
#define TGM_CODECS_ZFP_CODER_H

#include <stdint.h>
#include <string.h>

#include "codecs/zfp.h"
#include "common/endian.h"

#if defined(__GNUC__) || defined(__clang__)
#define ZFP_INLINE static inline __attribute__((always_inline))
#else
#define ZFP_INLINE static inline
#endif

/* ---- little-endian words ------------------------------------------------- */

ZFP_INLINE uint64_t zfp_ld64(const uint8_t *p) {
#if TGM_HOST_BIG_ENDIAN
    return tgm__rd_le64(p);
#else
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
#endif
}

ZFP_INLINE void zfp_st64(uint8_t *p, uint64_t v) {
#if TGM_HOST_BIG_ENDIAN
    tgm__wr_le64(p, v);
#else
    memcpy(p, &v, 8);
#endif
}

ZFP_INLINE uint32_t zfp_ctz64(uint64_t x) { return (uint32_t)__builtin_ctzll(x); }

/* ---- bit writer: whole 8-byte words, least significant bit first --------- */

typedef struct zfp_bw {
    uint8_t *p;    /* next word */
    uint64_t acc;  /* pending bits */
    uint32_t fill; /* number of pending bits, < 64 */
} zfp_bw;

/* Append the low n bits of v (0 <= n <= 64; bits of v above n are zero). */
ZFP_INLINE void zfp_put(zfp_bw *w, uint64_t v, uint32_t n) {
    w->acc |= v << w->fill;
    uint32_t f = w->fill + n;
    if (f >= 64) {
        zfp_st64(w->p, w->acc);
        w->p += 8;
        f -= 64;
        w->acc = f != 0 ? v >> (n - f) : 0;
    }
    w->fill = f;
}

ZFP_INLINE void zfp_put_zeros(zfp_bw *w, uint64_t n) {
    while (n >= 64) {
        zfp_put(w, 0, 64);
        n -= 64;
    }
    zfp_put(w, 0, (uint32_t)n);
}

/* Write the pending bits as a whole word (zero-filled). */
ZFP_INLINE void zfp_flush(zfp_bw *w) {
    if (w->fill != 0) {
        zfp_st64(w->p, w->acc);
        w->p += 8;
        w->acc = 0;
        w->fill = 0;
    }
}

/* ---- bit reader: at least 57 bits from any bit position ------------------ */

/* Bits [pos, pos + 57) of src[0, len) in the low bits (zeros past len). */
ZFP_INLINE uint64_t zfp_peek(const uint8_t *src, size_t len, uint64_t pos) {
    uint64_t byte = pos >> 3;
    uint64_t w;
    if (byte + 8 <= len) {
        w = zfp_ld64(src + byte);
    } else if (byte >= len) {
        return 0;
    } else {
        uint8_t tmp[8] = {0};
        memcpy(tmp, src + byte, (size_t)(len - byte));
        w = zfp_ld64(tmp);
    }
    return w >> (pos & 7);
}

/* first[i] for zfp_code_planes from coefficient i bit-reversed. */
ZFP_INLINE uint32_t zfp_first_one(uint64_t r) { return r != 0 ? zfp_ctz64(r) : 64; }

/* ---- planes ---------------------------------------------------------------- */

ZFP_INLINE uint32_t zfp_precision(int32_t emax, const tgm_zfp_cfg *c) {
    int32_t p = emax - c->minexp + 4;
    if (p <= 0) {
        return 0;
    }
    return (uint32_t)p < c->maxprec ? (uint32_t)p : c->maxprec;
}

/* 64 bits of P from bit o (P has a fifth, zero word). */
ZFP_INLINE uint64_t zfp_window(const uint64_t *P, uint32_t o) {
    uint32_t i = o >> 6, s = o & 63;
    uint64_t v = P[i] >> s;
    if (s != 0) {
        v |= P[i + 1] << (64 - s);
    }
    return v;
}

/* P |= v << o (P has five words). */
ZFP_INLINE void zfp_deposit(uint64_t *P, uint32_t o, uint64_t v) {
    uint32_t i = o >> 6, s = o & 63;
    P[i] |= v << s;
    if (s != 0) {
        P[i + 1] |= v >> (64 - s);
    }
}

ZFP_INLINE uint64_t zfp_low(uint64_t v, uint32_t bits) {
    return bits >= 64 ? v : v & ((UINT64_C(1) << bits) - 1);
}

/* Plane nibbles <-> groups of the low 2 or 3 bits of each nibble (BMI2's
 * pext / pdep with masks 0x3333... and 0x7777...). */
#ifdef ZFP_USE_BMI2
ZFP_INLINE uint64_t zfp_pack2(uint64_t x) { return _pext_u64(x, UINT64_C(0x3333333333333333)); }
ZFP_INLINE uint64_t zfp_pack3(uint64_t x) { return _pext_u64(x, UINT64_C(0x7777777777777777)); }
ZFP_INLINE uint64_t zfp_unpack2(uint64_t x) { return _pdep_u64(x, UINT64_C(0x3333333333333333)); }
ZFP_INLINE uint64_t zfp_unpack3(uint64_t x) { return _pdep_u64(x, UINT64_C(0x7777777777777777)); }
#else
ZFP_INLINE uint64_t zfp_pack2(uint64_t x) {
    x &= UINT64_C(0x3333333333333333);
    x = (x & UINT64_C(0x0303030303030303)) | ((x & UINT64_C(0x3030303030303030)) >> 2);
    x = (x & UINT64_C(0x000f000f000f000f)) | ((x & UINT64_C(0x0f000f000f000f00)) >> 4);
    x = (x & UINT64_C(0x000000ff000000ff)) | ((x & UINT64_C(0x00ff000000ff0000)) >> 8);
    return (x & UINT64_C(0xffff)) | ((x & UINT64_C(0x0000ffff00000000)) >> 16);
}
ZFP_INLINE uint64_t zfp_pack3(uint64_t x) {
    x &= UINT64_C(0x7777777777777777);
    x = (x & UINT64_C(0x0707070707070707)) | ((x & UINT64_C(0x7070707070707070)) >> 1);
    x = (x & UINT64_C(0x003f003f003f003f)) | ((x & UINT64_C(0x3f003f003f003f00)) >> 2);
    x = (x & UINT64_C(0x00000fff00000fff)) | ((x & UINT64_C(0x0fff00000fff0000)) >> 4);
    return (x & UINT64_C(0xffffff)) | ((x & UINT64_C(0x00ffffff00000000)) >> 8);
}
ZFP_INLINE uint64_t zfp_unpack2(uint64_t x) {
    x = (x & UINT64_C(0xffff)) | ((x & UINT64_C(0xffff0000)) << 16);
    x = (x & UINT64_C(0x000000ff000000ff)) | ((x & UINT64_C(0x0000ff000000ff00)) << 8);
    x = (x & UINT64_C(0x000f000f000f000f)) | ((x & UINT64_C(0x00f000f000f000f0)) << 4);
    return (x & UINT64_C(0x0303030303030303)) | ((x & UINT64_C(0x0c0c0c0c0c0c0c0c)) << 2);
}
ZFP_INLINE uint64_t zfp_unpack3(uint64_t x) {
    x = (x & UINT64_C(0xffffff)) | ((x & UINT64_C(0x0000ffffff000000)) << 8);
    x = (x & UINT64_C(0x00000fff00000fff)) | ((x & UINT64_C(0x00fff00000fff000)) << 4);
    x = (x & UINT64_C(0x003f003f003f003f)) | ((x & UINT64_C(0x0fc00fc00fc00fc0)) << 2);
    return (x & UINT64_C(0x0707070707070707)) | ((x & UINT64_C(0x3838383838383838)) << 1);
}
#endif

/* Planes [j, j + count) while n coefficients are significant and none
 * becomes so: each plane is its n significant bits then a negative group
 * test (n + 1 bits; 4 bits once n = 4).  The bits of the other
 * coefficients are zero in these planes, so the code is P's nibbles cut to
 * their low n + 1 bits.  Writes at most `room` bits; returns the bits. */
ZFP_INLINE uint32_t zfp_code_run(zfp_bw *w, const uint64_t *P, uint32_t j, uint32_t count,
                                 uint32_t n, uint32_t room) {
    uint32_t g = n < 4 ? n + 1 : 4;
    uint32_t total = count * g;
    if (total > room) {
        total = room;
    }
    uint32_t left = total, o = 4 * j;
    switch (g) {
    case 1:
        zfp_put_zeros(w, total);
        break;
    case 2:
        for (; left != 0; o += 64) {
            uint32_t c = left < 32 ? left : 32;
            zfp_put(w, zfp_low(zfp_pack2(zfp_window(P, o)), c), c);
            left -= c;
        }
        break;
    case 3:
        for (; left != 0; o += 64) {
            uint32_t c = left < 48 ? left : 48;
            zfp_put(w, zfp_low(zfp_pack3(zfp_window(P, o)), c), c);
            left -= c;
        }
        break;
    default:
        for (; left != 0; o += 64) {
            uint32_t c = left < 64 ? left : 64;
            zfp_put(w, zfp_low(zfp_window(P, o), c), c);
            left -= c;
        }
        break;
    }
    return total;
}

/* Code planes 63 .. 64 - prec of P, cut after `budget` bits; returns the
 * bits written.  first[i] is the index j of the plane holding coefficient
 * i's leading one (64 when it is zero): the planes where the number n of
 * significant coefficients grows.  Between them, runs (zfp_code_run). */
ZFP_INLINE uint32_t zfp_code_planes(zfp_bw *w, const uint64_t *P, const uint32_t *first,
                                    uint32_t prec, uint32_t budget) {
    uint32_t used = 0, j = 0, n = 0;
    for (;;) {
        uint32_t ev = 64;
        for (uint32_t i = n; i < 4; i++) {
            ev = first[i] < ev ? first[i] : ev;
        }
        if (ev > prec) {
            ev = prec;
        }
        used += zfp_code_run(w, P, j, ev - j, n, budget - used);
        j = ev;
        if (j == prec || used == budget) {
            return used;
        }
        /* A coefficient becomes significant in plane j. */
        uint32_t x = (uint32_t)(P[j >> 4] >> (4 * (j & 15))) & 15u;
        uint32_t t = tgm__zfp_enc_table[16 * n + x];
        uint32_t len = (t >> 8) & 15u;
        if (used + len >= budget) {
            uint32_t r = budget - used;
            zfp_put(w, (t & 0xffu) & ((1u << r) - 1u), r);
            return budget;
        }
        zfp_put(w, t & 0xffu, len);
        used += len;
        /* n is now one more than the last coefficient whose leading one is
         * in plane j or above (the table's bits 12-14 say the same, later). */
        n = first[3] <= j ? 4 : first[2] <= j ? 3 : first[1] <= j ? 2 : 1;
        j++;
        if (j == prec) {
            return used;
        }
    }
}

/* Code one block: e is the biased exponent (0: the block is coded as
 * zero); returns the bits written, at least minbits. */
ZFP_INLINE uint32_t zfp_code_block(zfp_bw *w, const tgm_zfp_cfg *c, uint32_t e, uint32_t prec,
                                   const uint64_t *P, const uint32_t *first) {
    uint32_t bits;
    if (e == 0) {
        zfp_put(w, 0, 1);
        bits = 1;
    } else {
        zfp_put(w, 2u * e + 1u, 12);
        bits = 12 + zfp_code_planes(w, P, first, prec, c->maxbits - 12);
    }
    if (bits < c->minbits) {
        zfp_put_zeros(w, c->minbits - bits);
        bits = c->minbits;
    }
    return bits;
}

/* Decode planes 63 .. 64 - prec from bit pos into P (5 words, cleared
 * here), reading at most budget bits; returns the bits read.  Runs of
 * planes with a negative group test are found with one mask over the next
 * 56 stream bits (the test bit is bit n of every (n + 1)-bit group) and
 * deposited at once; a plane with a positive test goes through the table;
 * once n = 4 the rest is copied. */
ZFP_INLINE uint32_t zfp_decode_planes(const uint8_t *src, size_t len, uint64_t pos, uint64_t *P,
                                      uint32_t prec, uint32_t budget) {
    static const uint64_t test_bits[4] = {
        UINT64_C(0x00ffffffffffffff), UINT64_C(0x00aaaaaaaaaaaaaa), UINT64_C(0x0024924924924924),
        UINT64_C(0x0088888888888888)};
    static const uint32_t groups[4] = {56, 28, 18, 14};
    P[0] = P[1] = P[2] = P[3] = P[4] = 0;
    uint32_t used = 0, j = 0, n = 0;
    while (j < prec && used < budget) {
        uint32_t rem = budget - used;
        if (n == 4) {
            uint32_t L = 4 * (prec - j);
            L = L < rem ? L : rem;
            uint32_t o = 4 * j;
            uint64_t at = pos + used;
            used += L;
            while (L != 0) {
                uint32_t c = L < 56 ? L : 56;
                zfp_deposit(P, o, zfp_peek(src, len, at) & ((UINT64_C(1) << c) - 1));
                o += c;
                at += c;
                L -= c;
            }
            return used;
        }
        uint32_t g = n + 1;
        uint64_t win = zfp_peek(src, len, pos + used);
        uint64_t t = win & test_bits[n];
        uint32_t qe = groups[n]; /* planes before the first positive test */
        if (t != 0) {
            uint32_t b = zfp_ctz64(t); /* = qe * g + n */
            qe = g == 1 ? b : g == 2 ? b >> 1 : g == 3 ? (b * 0x5556u) >> 16 : b >> 2;
        }
        /* Whole groups the budget allows (rem < 2^16: exact division). */
        uint32_t byrem = g == 1   ? rem
                         : g == 2 ? rem >> 1
                         : g == 3 ? (rem * 0xaaabu) >> 17
                                  : rem >> 2;
        uint32_t q = qe;
        q = q < prec - j ? q : prec - j;
        q = q < byrem ? q : byrem;
        if (q != 0) {
            uint32_t bits = q * g;
            uint64_t v = zfp_low(win, bits);
            if (g == 2) {
                zfp_deposit(P, 4 * j, zfp_unpack2(v));
                if (q > 16) {
                    zfp_deposit(P, 4 * j + 64, zfp_unpack2(v >> 32));
                }
            } else if (g == 3) {
                zfp_deposit(P, 4 * j, zfp_unpack3(v));
                if (q > 16) {
                    zfp_deposit(P, 4 * j + 64, zfp_unpack3(v >> 48));
                }
            } else if (g == 4) {
                zfp_deposit(P, 4 * j, v);
            }
            used += bits;
            j += q;
        }
        if (j == prec || used == budget) {
            return used;
        }
        if (q < qe) {
            /* The budget ends inside plane j. */
            uint64_t b = zfp_peek(src, len, pos + used);
            zfp_deposit(P, 4 * j, tgm__zfp_cut_table[(8 * n + budget - used) * 256 + (b & 0xffu)]);
            return budget;
        }
        if (t == 0) {
            continue; /* no positive test in this window */
        }
        /* Plane j has a positive group test. */
        uint64_t b = zfp_peek(src, len, pos + used);
        uint32_t e = tgm__zfp_dec_table[256 * n + (uint32_t)(b & 0xffu)];
        uint32_t l = (e >> 4) & 15u;
        if (used + l > budget) {
            zfp_deposit(P, 4 * j, tgm__zfp_cut_table[(8 * n + budget - used) * 256 + (b & 0xffu)]);
            return budget;
        }
        zfp_deposit(P, 4 * j, e & 15u);
        used += l;
        n = e >> 8;
        j++;
    }
    return used;
}

/* Decode one block's header and planes from bit pos.  Sets *emax (0 for a
 * zero block, whose P is all zero) and returns the position after the
 * block (at least minbits on). */
ZFP_INLINE uint64_t zfp_decode_block(const tgm_zfp_cfg *c, const uint8_t *src, size_t len,
                                     uint64_t pos, uint64_t *P, int32_t *emax) {
    uint64_t h = zfp_peek(src, len, pos);
    uint32_t bits;
    if ((h & 1u) == 0) {
        P[0] = P[1] = P[2] = P[3] = 0;
        *emax = 0;
        bits = 1;
    } else {
        int32_t e = (int32_t)((h >> 1) & 0x7ffu) - 1023;
        *emax = e;
        bits = 12 + zfp_decode_planes(src, len, pos + 12, P, zfp_precision(e, c), c->maxbits - 12);
    }
    /* Fixed rate: the next block's position does not wait for this one's
     * decoding, so consecutive blocks can overlap in the CPU. */
    if (c->fixed_rate) {
        return pos + c->maxbits;
    }
    return pos + (bits < c->minbits ? c->minbits : bits);
}

/* Skip `count` blocks from bit pos (variable-rate streams). */
ZFP_INLINE uint64_t zfp_skip_blocks(const tgm_zfp_cfg *c, const uint8_t *src, size_t len,
                                    uint64_t pos, size_t count) {
    uint64_t P[5];
    int32_t e;
    for (size_t b = 0; b < count; b++) {
        pos = zfp_decode_block(c, src, len, pos, P, &e);
    }
    return pos;
}

/* ---- scalar helpers of the block transform -------------------------------- */

ZFP_INLINE uint64_t zfp_asr1(uint64_t x) { return (x >> 1) | (x & UINT64_C(0x8000000000000000)); }

ZFP_INLINE double zfp_bits_to_double(uint64_t b) {
    double d;
    memcpy(&d, &b, 8);
    return d;
}

ZFP_INLINE uint64_t zfp_double_to_bits(double d) {
    uint64_t b;
    memcpy(&b, &d, 8);
    return b;
}

/* 2^k as ldexp(1, k) gives it: +inf above 1023, subnormal below -1022,
 * zero below -1074. */
ZFP_INLINE double zfp_pow2(int32_t k) {
    if (k > 1023) {
        return zfp_bits_to_double(UINT64_C(0x7ff0000000000000));
    }
    if (k >= -1022) {
        return zfp_bits_to_double((uint64_t)(k + 1023) << 52);
    }
    if (k >= -1074) {
        return zfp_bits_to_double(UINT64_C(1) << (k + 1074));
    }
    return 0.0;
}

#define ZFP_NB UINT64_C(0xaaaaaaaaaaaaaaaa) /* negabinary mask */

#endif
