/* szip decoder: CCSDS 121.0-B-3 adaptive entropy decoding (full stream,
 * byte range via RSI offsets, and an offset scan).
 *
 * Blocks are decoded one at a time into a block-sized buffer of residuals,
 * turned back into samples (inverse of the unit-delay predictor, §4.3) and
 * stored straight into the caller's memory, so memory use does not depend
 * on the RSI size or on sizes claimed by the input.
 *
 * Values are computed with libaec's arithmetic (wrapping uint32), so every
 * stream decodes to the bytes libaec's decoder produces, including the
 * streams libaec writes for malformed input (container bits above
 * bits_per_sample), whose residuals exceed the sample range.
 *
 * Hostile input: the bit reader never reads past the input; bits requested
 * beyond its end read as zeros and are detected at the end of every block
 * (and at once inside fundamental sequences, which could otherwise run
 * long).  Zero-block runs are checked against the RSI and second-extension
 * codes against the block size, so a corrupt stream fails with the RSI,
 * block and bit position named, or decodes to some bytes; it never reads or
 * writes out of bounds. */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "codecs/szip.h"
#include "common/alloc.h"
#include "common/endian.h"
#include "common/error.h"

/* ---- bit reader -------------------------------------------------------- */

/* The next stream bits sit at the top of `acc`; `avail` of them are
 * accounted for.  Bits below `avail` may hold further stream bits (a
 * word load brings in more than it accounts for) but never anything else.
 * `virt` counts zero bytes supplied past the end of the input. */
typedef struct bitr {
    const uint8_t *start;
    const uint8_t *p;
    const uint8_t *end;
    uint64_t acc;
    unsigned avail;
    size_t virt;
} bitr;

static inline uint64_t load_be64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
#if TGM_HOST_BIG_ENDIAN
    return v;
#else
    return __builtin_bswap64(v);
#endif
}

/* Byte-wise refill near the end of the input.  Takes and returns the
 * reader by value so that callers can keep theirs in registers. */
static bitr br_refill_slow(bitr r) {
    while (r.avail < 56) {
        if (r.p < r.end) {
            r.acc |= (uint64_t)*r.p++ << (56 - r.avail);
        } else {
            r.virt++;
        }
        r.avail += 8;
    }
    return r;
}

/* Make 56..63 bits available (zeros past the end of the input).  avail
 * never reaches 64, which lets the FS decoder treat a clz of 63 as "no
 * one bit within the available bits". */
static inline void br_refill(bitr *r) {
    if (r->avail >= 56) {
        return;
    }
    if (r->end - r->p >= 8) {
        r->acc |= load_be64(r->p) >> r->avail;
        r->p += (63 - r->avail) >> 3;
        r->avail |= 56;
    } else {
        *r = br_refill_slow(*r);
    }
}

/* Take n bits, 1 <= n <= avail. */
static inline uint32_t br_take(bitr *r, unsigned n) {
    uint32_t v = (uint32_t)(r->acc >> (64 - n));
    r->acc <<= n;
    r->avail -= n;
    return v;
}

static inline uint32_t br_get(bitr *r, unsigned n) {
    if (r->avail < n) {
        br_refill(r);
    }
    return br_take(r, n);
}

/* Bits consumed so far, counting from the start of the input. */
static inline uint64_t br_pos(const bitr *r) {
    return ((uint64_t)(r->p - r->start) + r->virt) * 8u - r->avail;
}

/* 1 when bits past the end of the input have been consumed. */
static inline int br_overrun(const bitr *r) { return r->virt * 8u > r->avail; }

static void br_init(bitr *r, const uint8_t *src, size_t n, uint64_t bitpos) {
    r->start = src;
    r->p = src + bitpos / 8;
    r->end = src + n;
    r->acc = 0;
    r->avail = 0;
    r->virt = 0;
    unsigned skip = (unsigned)(bitpos % 8);
    if (skip != 0) {
        br_refill(r);
        br_take(r, skip);
    }
}

/* Read n fields of `bits` bits (1..32) at the reader position straight
 * from the input, each with its own unaligned load, so that no dependency
 * runs from one field to the next; with `append` the fields become the low
 * bits of v[i] (split-sample binary part), else they replace it.  Returns 0
 * without reading when the fields (plus an 8-byte load) are not all inside
 * the input. */
static inline int read_fixed(bitr *r, uint32_t *v, unsigned n, unsigned bits, int append) {
    if (r->virt != 0) {
        return 0;
    }
    uint64_t pos = br_pos(r);
    uint64_t endpos = pos + (uint64_t)n * bits;
    if ((endpos >> 3) + 8 > (uint64_t)(r->end - r->start)) {
        return 0;
    }
    const uint8_t *base = r->start;
    /* at & 7 <= 7 plus bits <= 32 fit in the 64 loaded bits; appending is
     * only done for split parameters k <= 29. */
    if (append) {
        for (unsigned i = 0; i < n; i++) {
            uint64_t at = pos + (uint64_t)i * bits;
            uint64_t w = load_be64(base + (at >> 3)) << (at & 7);
            v[i] = (v[i] << bits) | (uint32_t)(w >> (64 - bits));
        }
    } else {
        for (unsigned i = 0; i < n; i++) {
            uint64_t at = pos + (uint64_t)i * bits;
            uint64_t w = load_be64(base + (at >> 3)) << (at & 7);
            v[i] = (uint32_t)(w >> (64 - bits));
        }
    }
    /* Continue after the fields: 7 whole bytes from there are accounted
     * for (the 8th, loaded too, only supplies look-ahead bits). */
    unsigned skip = (unsigned)(endpos & 7);
    r->acc = load_be64(base + (endpos >> 3)) << skip;
    r->avail = 56 - skip;
    r->p = base + (endpos >> 3) + 7;
    return 1;
}

/* ---- decoder state ---------------------------------------------------------- */

typedef struct dec {
    const tgm_szip_cfg *c;
    bitr r;
    uint32_t *vals;   /* two blocks (+ slack): residuals, then samples */
    size_t rsi_index; /* for error messages */
    size_t blk;       /* block within the RSI, for error messages */
    /* output window: bytes [lo, hi) of the decoded stream go to dst */
    uint64_t lo, hi;
    uint8_t *dst;
} dec;

static tgm_error corrupt(const dec *d, const char *what) {
    return tgm__fail(TGM_ERROR_COMPRESSION,
                     "szip: %s in RSI %zu block %zu (bit %" PRIu64 " of a %zu-byte stream)", what,
                     d->rsi_index, d->blk, br_pos(&d->r), (size_t)(d->r.end - d->r.start));
}

static tgm_error truncated(const dec *d) { return corrupt(d, "stream ends early"); }

/* Fundamental sequence (count of zeros before a one), at most `limit`. */
static tgm_error fs_slow(dec *d, uint32_t limit, uint32_t *out) {
    bitr *r = &d->r;
    uint64_t q = 0;
    for (;;) {
        br_refill(r);
        uint64_t valid = r->avail >= 64 ? r->acc : r->acc & ~(UINT64_MAX >> r->avail);
        if (valid != 0) {
            unsigned z = (unsigned)__builtin_clzll(valid);
            q += z;
            r->acc = (r->acc << z) << 1;
            r->avail -= z + 1;
            if (br_overrun(r)) {
                return truncated(d);
            }
            if (q > limit) {
                return corrupt(d, "coded value out of range");
            }
            *out = (uint32_t)q;
            return TGM_ERROR_OK;
        }
        q += r->avail;
        r->acc = r->avail >= 64 ? 0 : r->acc << r->avail;
        r->avail = 0;
        if (r->virt > 0) {
            return truncated(d);
        }
        if (q > limit) {
            return corrupt(d, "coded value out of range");
        }
    }
}

/* ---- output --------------------------------------------------------------- */

#define STORE_LOOP(EXPR)                                                                           \
    for (size_t i = 0; i < count; i++) {                                                           \
        uint32_t v = vals[i];                                                                      \
        uint8_t *o = dst + i * W;                                                                  \
        EXPR;                                                                                      \
    }

/* Store helpers for 2- and 4-byte samples in the host's order plus a swap
 * when needed (one store each instead of byte stores). */
static inline void st16(uint8_t *o, uint32_t v, int swap) {
    uint16_t h = (uint16_t)v;
    if (swap) {
        h = __builtin_bswap16(h);
    }
    memcpy(o, &h, 2);
}
static inline void st32(uint8_t *o, uint32_t v, int swap) {
    if (swap) {
        v = __builtin_bswap32(v);
    }
    memcpy(o, &v, 4);
}

/* Write count samples to dst in the stream's sample format. */
static inline void store_samples(const tgm_szip_cfg *c, const uint32_t *vals, size_t count,
                                 uint8_t *dst) {
    /* swap when the wanted byte order is not the host's */
    const int swap = c->msb != TGM_HOST_BIG_ENDIAN;
    switch (c->width) {
    case 1: {
        const size_t W = 1;
        STORE_LOOP(o[0] = (uint8_t)v)
        break;
    }
    case 2: {
        const size_t W = 2;
        if (swap) {
            STORE_LOOP(st16(o, v, 1))
        } else {
            STORE_LOOP(st16(o, v, 0))
        }
        break;
    }
    case 3: {
        const size_t W = 3;
        if (c->msb) {
            STORE_LOOP(o[0] = (uint8_t)(v >> 16); o[1] = (uint8_t)(v >> 8); o[2] = (uint8_t)v)
        } else {
            STORE_LOOP(o[0] = (uint8_t)v; o[1] = (uint8_t)(v >> 8); o[2] = (uint8_t)(v >> 16))
        }
        break;
    }
    default: {
        const size_t W = 4;
        if (swap) {
            STORE_LOOP(st32(o, v, 1))
        } else {
            STORE_LOOP(st32(o, v, 0))
        }
        break;
    }
    }
}

/* Store samples [s, s + count) of the decoded stream (values in vals)
 * where they intersect the output window. */
static void emit_samples_edge(dec *d, uint64_t s, const uint32_t *vals, size_t count) {
    const tgm_szip_cfg *c = d->c;
    uint64_t w = c->width;
    uint64_t a = s * w;
    uint64_t b = a + (uint64_t)count * w;
    if (b <= d->lo || a >= d->hi) {
        return;
    }
    /* Window edge: clip to whole samples inside, stage the partial ones. */
    uint64_t first = a < d->lo ? (d->lo - a) / w : 0;
    uint64_t last = b > d->hi ? (d->hi - a + w - 1) / w : count; /* exclusive */
    for (uint64_t i = first; i < last; i++) {
        uint8_t tmp[4];
        uint64_t sa = a + i * w;
        store_samples(c, vals + i, 1, tmp);
        uint64_t from = sa < d->lo ? d->lo : sa;
        uint64_t to = sa + w > d->hi ? d->hi : sa + w;
        memcpy(d->dst + (from - d->lo), tmp + (from - sa), (size_t)(to - from));
    }
}

static inline void emit_samples(dec *d, uint64_t s, const uint32_t *vals, size_t count) {
    uint64_t a = s * d->c->width;
    uint64_t b = a + (uint64_t)count * d->c->width;
    if (TGM_LIKELY(a >= d->lo && b <= d->hi)) {
        store_samples(d->c, vals, count, d->dst + (a - d->lo));
    } else {
        emit_samples_edge(d, s, vals, count);
    }
}

/* Inverse of the residual mapping (§4.3), in libaec's arithmetic so that
 * every stream decodes to libaec's bytes, including streams of malformed
 * input (see szip_enc.c) whose residuals exceed the sample range.  `x` is
 * the previous sample: unsigned, or signed sign-extended to 32 bits.  A
 * residual m moves x by +m/2 (even) or -(m+1)/2 (odd) when ceil(m/2) fits
 * in the room towards the nearer range limit, else it encodes the sample
 * directly. */
static inline uint32_t small_step(uint32_t m) { return (m >> 1) ^ (0u - (m & 1u)); }

static inline uint32_t unmap_unsigned(uint32_t m, uint32_t x, uint32_t xmax, uint32_t med) {
    uint32_t lim = (x & med) ? xmax : 0; /* upper half: measure from xmax */
    uint32_t half = (m >> 1) + (m & 1u);
    return half <= (lim ^ x) ? x + small_step(m) : lim ^ m;
}

static inline uint32_t unmap_signed(uint32_t m, uint32_t x, uint32_t xmax) {
    int neg = (x & 0x80000000u) != 0;
    uint32_t half = (m >> 1) + (m & 1u);
    uint32_t room = neg ? xmax + x + 1 : xmax - x;
    uint32_t far = neg ? m - xmax - 1 : xmax - m;
    return half <= room ? x + small_step(m) : far;
}

/* Turn residuals res[i0..n) back into samples out[i0..n), given the
 * sample x before res[i0]; returns the last sample.
 *
 * Smooth data almost never leaves the small-step case, where the samples
 * are a plain prefix sum of the steps.  That sum is computed first (the
 * only serial part), then the small-step condition is checked for every
 * sample independently (vectorisable): with the samples in offset-binary
 * form u in [0, mask] (signed ones shifted by 2^(bps-1)), it reads
 * m <= 2 min(u, mask - u), which is libaec's condition for samples within
 * range; a sample out of range (only from malformed streams) or a failed
 * check sends the block through the exact serial inverse. */
static inline uint32_t unmap_block(const uint32_t *res, uint32_t *out, unsigned i0, unsigned n,
                                   uint32_t prev, int is_signed, uint32_t xmax, uint32_t med,
                                   uint32_t mask) {
    if (i0 >= n) {
        return prev;
    }
    uint32_t x = prev;
    for (unsigned i = i0; i < n; i++) {
        x += small_step(res[i]);
        out[i] = x;
    }
    const uint32_t off = is_signed ? med : 0;
    uint32_t u0 = prev + off;
    uint32_t bad = (uint32_t)(u0 > mask);
    uint32_t th0 = u0 < mask - u0 ? u0 : mask - u0;
    bad |= (uint32_t)(res[i0] > 2 * th0);
    for (unsigned i = i0 + 1; i < n; i++) {
        uint32_t u = out[i - 1] + off;
        uint32_t th = u < mask - u ? u : mask - u;
        bad |= (uint32_t)(res[i] > 2 * th);
    }
    if (TGM_UNLIKELY(bad != 0)) {
        x = prev;
        for (unsigned i = i0; i < n; i++) {
            x = is_signed ? unmap_signed(res[i], x, xmax) : unmap_unsigned(res[i], x, xmax, med);
            out[i] = x;
        }
    }
    return x;
}

/* FS decoding by bytes: for a byte b read MSB first, fs_gap[b][j] is the
 * number of zeros before its j-th one bit (counted from the previous one,
 * the first from the top of the byte) and fs_cnt[b] the number of ones.
 * Generated; entries past fs_cnt[b] are 0. */
static const uint8_t fs_gap[256][8] = {
    {0, 0, 0, 0, 0, 0, 0, 0}, {7, 0, 0, 0, 0, 0, 0, 0}, {6, 0, 0, 0, 0, 0, 0, 0},
    {6, 0, 0, 0, 0, 0, 0, 0}, {5, 0, 0, 0, 0, 0, 0, 0}, {5, 1, 0, 0, 0, 0, 0, 0},
    {5, 0, 0, 0, 0, 0, 0, 0}, {5, 0, 0, 0, 0, 0, 0, 0}, {4, 0, 0, 0, 0, 0, 0, 0},
    {4, 2, 0, 0, 0, 0, 0, 0}, {4, 1, 0, 0, 0, 0, 0, 0}, {4, 1, 0, 0, 0, 0, 0, 0},
    {4, 0, 0, 0, 0, 0, 0, 0}, {4, 0, 1, 0, 0, 0, 0, 0}, {4, 0, 0, 0, 0, 0, 0, 0},
    {4, 0, 0, 0, 0, 0, 0, 0}, {3, 0, 0, 0, 0, 0, 0, 0}, {3, 3, 0, 0, 0, 0, 0, 0},
    {3, 2, 0, 0, 0, 0, 0, 0}, {3, 2, 0, 0, 0, 0, 0, 0}, {3, 1, 0, 0, 0, 0, 0, 0},
    {3, 1, 1, 0, 0, 0, 0, 0}, {3, 1, 0, 0, 0, 0, 0, 0}, {3, 1, 0, 0, 0, 0, 0, 0},
    {3, 0, 0, 0, 0, 0, 0, 0}, {3, 0, 2, 0, 0, 0, 0, 0}, {3, 0, 1, 0, 0, 0, 0, 0},
    {3, 0, 1, 0, 0, 0, 0, 0}, {3, 0, 0, 0, 0, 0, 0, 0}, {3, 0, 0, 1, 0, 0, 0, 0},
    {3, 0, 0, 0, 0, 0, 0, 0}, {3, 0, 0, 0, 0, 0, 0, 0}, {2, 0, 0, 0, 0, 0, 0, 0},
    {2, 4, 0, 0, 0, 0, 0, 0}, {2, 3, 0, 0, 0, 0, 0, 0}, {2, 3, 0, 0, 0, 0, 0, 0},
    {2, 2, 0, 0, 0, 0, 0, 0}, {2, 2, 1, 0, 0, 0, 0, 0}, {2, 2, 0, 0, 0, 0, 0, 0},
    {2, 2, 0, 0, 0, 0, 0, 0}, {2, 1, 0, 0, 0, 0, 0, 0}, {2, 1, 2, 0, 0, 0, 0, 0},
    {2, 1, 1, 0, 0, 0, 0, 0}, {2, 1, 1, 0, 0, 0, 0, 0}, {2, 1, 0, 0, 0, 0, 0, 0},
    {2, 1, 0, 1, 0, 0, 0, 0}, {2, 1, 0, 0, 0, 0, 0, 0}, {2, 1, 0, 0, 0, 0, 0, 0},
    {2, 0, 0, 0, 0, 0, 0, 0}, {2, 0, 3, 0, 0, 0, 0, 0}, {2, 0, 2, 0, 0, 0, 0, 0},
    {2, 0, 2, 0, 0, 0, 0, 0}, {2, 0, 1, 0, 0, 0, 0, 0}, {2, 0, 1, 1, 0, 0, 0, 0},
    {2, 0, 1, 0, 0, 0, 0, 0}, {2, 0, 1, 0, 0, 0, 0, 0}, {2, 0, 0, 0, 0, 0, 0, 0},
    {2, 0, 0, 2, 0, 0, 0, 0}, {2, 0, 0, 1, 0, 0, 0, 0}, {2, 0, 0, 1, 0, 0, 0, 0},
    {2, 0, 0, 0, 0, 0, 0, 0}, {2, 0, 0, 0, 1, 0, 0, 0}, {2, 0, 0, 0, 0, 0, 0, 0},
    {2, 0, 0, 0, 0, 0, 0, 0}, {1, 0, 0, 0, 0, 0, 0, 0}, {1, 5, 0, 0, 0, 0, 0, 0},
    {1, 4, 0, 0, 0, 0, 0, 0}, {1, 4, 0, 0, 0, 0, 0, 0}, {1, 3, 0, 0, 0, 0, 0, 0},
    {1, 3, 1, 0, 0, 0, 0, 0}, {1, 3, 0, 0, 0, 0, 0, 0}, {1, 3, 0, 0, 0, 0, 0, 0},
    {1, 2, 0, 0, 0, 0, 0, 0}, {1, 2, 2, 0, 0, 0, 0, 0}, {1, 2, 1, 0, 0, 0, 0, 0},
    {1, 2, 1, 0, 0, 0, 0, 0}, {1, 2, 0, 0, 0, 0, 0, 0}, {1, 2, 0, 1, 0, 0, 0, 0},
    {1, 2, 0, 0, 0, 0, 0, 0}, {1, 2, 0, 0, 0, 0, 0, 0}, {1, 1, 0, 0, 0, 0, 0, 0},
    {1, 1, 3, 0, 0, 0, 0, 0}, {1, 1, 2, 0, 0, 0, 0, 0}, {1, 1, 2, 0, 0, 0, 0, 0},
    {1, 1, 1, 0, 0, 0, 0, 0}, {1, 1, 1, 1, 0, 0, 0, 0}, {1, 1, 1, 0, 0, 0, 0, 0},
    {1, 1, 1, 0, 0, 0, 0, 0}, {1, 1, 0, 0, 0, 0, 0, 0}, {1, 1, 0, 2, 0, 0, 0, 0},
    {1, 1, 0, 1, 0, 0, 0, 0}, {1, 1, 0, 1, 0, 0, 0, 0}, {1, 1, 0, 0, 0, 0, 0, 0},
    {1, 1, 0, 0, 1, 0, 0, 0}, {1, 1, 0, 0, 0, 0, 0, 0}, {1, 1, 0, 0, 0, 0, 0, 0},
    {1, 0, 0, 0, 0, 0, 0, 0}, {1, 0, 4, 0, 0, 0, 0, 0}, {1, 0, 3, 0, 0, 0, 0, 0},
    {1, 0, 3, 0, 0, 0, 0, 0}, {1, 0, 2, 0, 0, 0, 0, 0}, {1, 0, 2, 1, 0, 0, 0, 0},
    {1, 0, 2, 0, 0, 0, 0, 0}, {1, 0, 2, 0, 0, 0, 0, 0}, {1, 0, 1, 0, 0, 0, 0, 0},
    {1, 0, 1, 2, 0, 0, 0, 0}, {1, 0, 1, 1, 0, 0, 0, 0}, {1, 0, 1, 1, 0, 0, 0, 0},
    {1, 0, 1, 0, 0, 0, 0, 0}, {1, 0, 1, 0, 1, 0, 0, 0}, {1, 0, 1, 0, 0, 0, 0, 0},
    {1, 0, 1, 0, 0, 0, 0, 0}, {1, 0, 0, 0, 0, 0, 0, 0}, {1, 0, 0, 3, 0, 0, 0, 0},
    {1, 0, 0, 2, 0, 0, 0, 0}, {1, 0, 0, 2, 0, 0, 0, 0}, {1, 0, 0, 1, 0, 0, 0, 0},
    {1, 0, 0, 1, 1, 0, 0, 0}, {1, 0, 0, 1, 0, 0, 0, 0}, {1, 0, 0, 1, 0, 0, 0, 0},
    {1, 0, 0, 0, 0, 0, 0, 0}, {1, 0, 0, 0, 2, 0, 0, 0}, {1, 0, 0, 0, 1, 0, 0, 0},
    {1, 0, 0, 0, 1, 0, 0, 0}, {1, 0, 0, 0, 0, 0, 0, 0}, {1, 0, 0, 0, 0, 1, 0, 0},
    {1, 0, 0, 0, 0, 0, 0, 0}, {1, 0, 0, 0, 0, 0, 0, 0}, {0, 0, 0, 0, 0, 0, 0, 0},
    {0, 6, 0, 0, 0, 0, 0, 0}, {0, 5, 0, 0, 0, 0, 0, 0}, {0, 5, 0, 0, 0, 0, 0, 0},
    {0, 4, 0, 0, 0, 0, 0, 0}, {0, 4, 1, 0, 0, 0, 0, 0}, {0, 4, 0, 0, 0, 0, 0, 0},
    {0, 4, 0, 0, 0, 0, 0, 0}, {0, 3, 0, 0, 0, 0, 0, 0}, {0, 3, 2, 0, 0, 0, 0, 0},
    {0, 3, 1, 0, 0, 0, 0, 0}, {0, 3, 1, 0, 0, 0, 0, 0}, {0, 3, 0, 0, 0, 0, 0, 0},
    {0, 3, 0, 1, 0, 0, 0, 0}, {0, 3, 0, 0, 0, 0, 0, 0}, {0, 3, 0, 0, 0, 0, 0, 0},
    {0, 2, 0, 0, 0, 0, 0, 0}, {0, 2, 3, 0, 0, 0, 0, 0}, {0, 2, 2, 0, 0, 0, 0, 0},
    {0, 2, 2, 0, 0, 0, 0, 0}, {0, 2, 1, 0, 0, 0, 0, 0}, {0, 2, 1, 1, 0, 0, 0, 0},
    {0, 2, 1, 0, 0, 0, 0, 0}, {0, 2, 1, 0, 0, 0, 0, 0}, {0, 2, 0, 0, 0, 0, 0, 0},
    {0, 2, 0, 2, 0, 0, 0, 0}, {0, 2, 0, 1, 0, 0, 0, 0}, {0, 2, 0, 1, 0, 0, 0, 0},
    {0, 2, 0, 0, 0, 0, 0, 0}, {0, 2, 0, 0, 1, 0, 0, 0}, {0, 2, 0, 0, 0, 0, 0, 0},
    {0, 2, 0, 0, 0, 0, 0, 0}, {0, 1, 0, 0, 0, 0, 0, 0}, {0, 1, 4, 0, 0, 0, 0, 0},
    {0, 1, 3, 0, 0, 0, 0, 0}, {0, 1, 3, 0, 0, 0, 0, 0}, {0, 1, 2, 0, 0, 0, 0, 0},
    {0, 1, 2, 1, 0, 0, 0, 0}, {0, 1, 2, 0, 0, 0, 0, 0}, {0, 1, 2, 0, 0, 0, 0, 0},
    {0, 1, 1, 0, 0, 0, 0, 0}, {0, 1, 1, 2, 0, 0, 0, 0}, {0, 1, 1, 1, 0, 0, 0, 0},
    {0, 1, 1, 1, 0, 0, 0, 0}, {0, 1, 1, 0, 0, 0, 0, 0}, {0, 1, 1, 0, 1, 0, 0, 0},
    {0, 1, 1, 0, 0, 0, 0, 0}, {0, 1, 1, 0, 0, 0, 0, 0}, {0, 1, 0, 0, 0, 0, 0, 0},
    {0, 1, 0, 3, 0, 0, 0, 0}, {0, 1, 0, 2, 0, 0, 0, 0}, {0, 1, 0, 2, 0, 0, 0, 0},
    {0, 1, 0, 1, 0, 0, 0, 0}, {0, 1, 0, 1, 1, 0, 0, 0}, {0, 1, 0, 1, 0, 0, 0, 0},
    {0, 1, 0, 1, 0, 0, 0, 0}, {0, 1, 0, 0, 0, 0, 0, 0}, {0, 1, 0, 0, 2, 0, 0, 0},
    {0, 1, 0, 0, 1, 0, 0, 0}, {0, 1, 0, 0, 1, 0, 0, 0}, {0, 1, 0, 0, 0, 0, 0, 0},
    {0, 1, 0, 0, 0, 1, 0, 0}, {0, 1, 0, 0, 0, 0, 0, 0}, {0, 1, 0, 0, 0, 0, 0, 0},
    {0, 0, 0, 0, 0, 0, 0, 0}, {0, 0, 5, 0, 0, 0, 0, 0}, {0, 0, 4, 0, 0, 0, 0, 0},
    {0, 0, 4, 0, 0, 0, 0, 0}, {0, 0, 3, 0, 0, 0, 0, 0}, {0, 0, 3, 1, 0, 0, 0, 0},
    {0, 0, 3, 0, 0, 0, 0, 0}, {0, 0, 3, 0, 0, 0, 0, 0}, {0, 0, 2, 0, 0, 0, 0, 0},
    {0, 0, 2, 2, 0, 0, 0, 0}, {0, 0, 2, 1, 0, 0, 0, 0}, {0, 0, 2, 1, 0, 0, 0, 0},
    {0, 0, 2, 0, 0, 0, 0, 0}, {0, 0, 2, 0, 1, 0, 0, 0}, {0, 0, 2, 0, 0, 0, 0, 0},
    {0, 0, 2, 0, 0, 0, 0, 0}, {0, 0, 1, 0, 0, 0, 0, 0}, {0, 0, 1, 3, 0, 0, 0, 0},
    {0, 0, 1, 2, 0, 0, 0, 0}, {0, 0, 1, 2, 0, 0, 0, 0}, {0, 0, 1, 1, 0, 0, 0, 0},
    {0, 0, 1, 1, 1, 0, 0, 0}, {0, 0, 1, 1, 0, 0, 0, 0}, {0, 0, 1, 1, 0, 0, 0, 0},
    {0, 0, 1, 0, 0, 0, 0, 0}, {0, 0, 1, 0, 2, 0, 0, 0}, {0, 0, 1, 0, 1, 0, 0, 0},
    {0, 0, 1, 0, 1, 0, 0, 0}, {0, 0, 1, 0, 0, 0, 0, 0}, {0, 0, 1, 0, 0, 1, 0, 0},
    {0, 0, 1, 0, 0, 0, 0, 0}, {0, 0, 1, 0, 0, 0, 0, 0}, {0, 0, 0, 0, 0, 0, 0, 0},
    {0, 0, 0, 4, 0, 0, 0, 0}, {0, 0, 0, 3, 0, 0, 0, 0}, {0, 0, 0, 3, 0, 0, 0, 0},
    {0, 0, 0, 2, 0, 0, 0, 0}, {0, 0, 0, 2, 1, 0, 0, 0}, {0, 0, 0, 2, 0, 0, 0, 0},
    {0, 0, 0, 2, 0, 0, 0, 0}, {0, 0, 0, 1, 0, 0, 0, 0}, {0, 0, 0, 1, 2, 0, 0, 0},
    {0, 0, 0, 1, 1, 0, 0, 0}, {0, 0, 0, 1, 1, 0, 0, 0}, {0, 0, 0, 1, 0, 0, 0, 0},
    {0, 0, 0, 1, 0, 1, 0, 0}, {0, 0, 0, 1, 0, 0, 0, 0}, {0, 0, 0, 1, 0, 0, 0, 0},
    {0, 0, 0, 0, 0, 0, 0, 0}, {0, 0, 0, 0, 3, 0, 0, 0}, {0, 0, 0, 0, 2, 0, 0, 0},
    {0, 0, 0, 0, 2, 0, 0, 0}, {0, 0, 0, 0, 1, 0, 0, 0}, {0, 0, 0, 0, 1, 1, 0, 0},
    {0, 0, 0, 0, 1, 0, 0, 0}, {0, 0, 0, 0, 1, 0, 0, 0}, {0, 0, 0, 0, 0, 0, 0, 0},
    {0, 0, 0, 0, 0, 2, 0, 0}, {0, 0, 0, 0, 0, 1, 0, 0}, {0, 0, 0, 0, 0, 1, 0, 0},
    {0, 0, 0, 0, 0, 0, 0, 0}, {0, 0, 0, 0, 0, 0, 1, 0}, {0, 0, 0, 0, 0, 0, 0, 0},
    {0, 0, 0, 0, 0, 0, 0, 0},
};
static const uint8_t fs_cnt[256] = {
    0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 1, 2, 2, 3, 2, 3, 3, 4, 2, 3, 3, 4, 3, 4, 4, 5,
    1, 2, 2, 3, 2, 3, 3, 4, 2, 3, 3, 4, 3, 4, 4, 5, 2, 3, 3, 4, 3, 4, 4, 5, 3, 4, 4, 5, 4, 5, 5, 6,
    1, 2, 2, 3, 2, 3, 3, 4, 2, 3, 3, 4, 3, 4, 4, 5, 2, 3, 3, 4, 3, 4, 4, 5, 3, 4, 4, 5, 4, 5, 5, 6,
    2, 3, 3, 4, 3, 4, 4, 5, 3, 4, 4, 5, 4, 5, 5, 6, 3, 4, 4, 5, 4, 5, 5, 6, 4, 5, 5, 6, 5, 6, 6, 7,
    1, 2, 2, 3, 2, 3, 3, 4, 2, 3, 3, 4, 3, 4, 4, 5, 2, 3, 3, 4, 3, 4, 4, 5, 3, 4, 4, 5, 4, 5, 5, 6,
    2, 3, 3, 4, 3, 4, 4, 5, 3, 4, 4, 5, 4, 5, 5, 6, 3, 4, 4, 5, 4, 5, 5, 6, 4, 5, 5, 6, 5, 6, 6, 7,
    2, 3, 3, 4, 3, 4, 4, 5, 3, 4, 4, 5, 4, 5, 5, 6, 3, 4, 4, 5, 4, 5, 5, 6, 4, 5, 5, 6, 5, 6, 6, 7,
    3, 4, 4, 5, 4, 5, 5, 6, 4, 5, 5, 6, 5, 6, 6, 7, 4, 5, 5, 6, 5, 6, 6, 7, 5, 6, 6, 7, 6, 7, 7, 8,
};

/* se_root[m]: the largest t with t(t+1)/2 <= m (second extension). */
static const uint8_t se_root[256] = {
    0,  1,  1,  2,  2,  2,  3,  3,  3,  3,  4,  4,  4,  4,  4,  5,  5,  5,  5,  5,  5,  6,  6,  6,
    6,  6,  6,  6,  7,  7,  7,  7,  7,  7,  7,  7,  8,  8,  8,  8,  8,  8,  8,  8,  8,  9,  9,  9,
    9,  9,  9,  9,  9,  9,  9,  10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 11, 11, 11, 11, 11, 11,
    11, 11, 11, 11, 11, 11, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 13, 13, 13, 13, 13,
    13, 13, 13, 13, 13, 13, 13, 13, 13, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14,
    15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 16, 16, 16, 16, 16, 16, 16, 16,
    16, 16, 16, 16, 16, 16, 16, 16, 16, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17,
    17, 17, 17, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 19, 19,
    19, 19, 19, 19, 19, 19, 19, 19, 19, 19, 19, 19, 19, 19, 19, 19, 19, 19, 20, 20, 20, 20, 20, 20,
    20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 21, 21, 21, 21, 21, 21, 21, 21, 21,
    21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 22, 22, 22,
};

/* Decode n fundamental sequences into out[0..n) a byte at a time: each
 * byte's one bits give its codes directly (fs_gap), zeros carry over into
 * the next byte.  This avoids the clz -> shift dependency of decoding code
 * by code.  out needs 8 entries of slack past n.  Returns 0, or -1 when a
 * value exceeds lim (a mask 2^j - 1) or the input ends. */
static inline int decode_fs_part(bitr *r, uint32_t *out, unsigned n, uint32_t lim) {
    unsigned got = 0;
    uint32_t carry = 0;
    uint32_t any = 0;
    for (;;) {
        br_refill(r);
        unsigned b = (unsigned)(r->acc >> 56);
        unsigned cnt = fs_cnt[b];
        const uint8_t *g = fs_gap[b];
        if (cnt == 0) {
            carry += 8;
            r->acc <<= 8;
            r->avail -= 8;
            if (carry > lim || br_overrun(r)) {
                return -1;
            }
            continue;
        }
        if (got + cnt >= n) {
            /* the block's last code ends in this byte */
            unsigned need = n - got;
            unsigned used = g[0] + 1u;
            out[got] = carry + g[0];
            any |= out[got];
            for (unsigned j = 1; j < need; j++) {
                out[got + j] = g[j];
                used += g[j] + 1u;
            }
            r->acc <<= used;
            r->avail -= used;
            break;
        }
        for (unsigned j = 0; j < 8; j++) {
            out[got + j] = g[j];
        }
        out[got] += carry;
        any |= out[got];
        got += cnt;
        carry = (uint32_t)__builtin_ctz(b); /* zeros after the last one */
        r->acc <<= 8;
        r->avail -= 8;
    }
    /* Only a code's first value can carry zeros from earlier bytes; the
     * others are < 8.  Check them all against the limit anyway when the
     * limit is below 8. */
    if (lim < 7) {
        for (unsigned j = 0; j < n; j++) {
            any |= out[j];
        }
    }
    return (any & ~lim) != 0 ? -1 : 0;
}

/* ---- one RSI ----------------------------------------------------------------- */

/* Decode the RSI starting at the reader position, whose first sample is
 * stream sample s0, producing `need` samples (<= rsi_samples; the encoder
 * codes only the blocks that hold samples).
 *
 * The bit reader lives in the local `r` (its address never leaves inlined
 * code, so it stays in registers); it is copied to d->r around the
 * out-of-line slow paths and error reports. */
#define SYNC_OUT() (d->r = r)
#define SYNC_IN() (r = d->r)
#define FAIL(what)                                                                                 \
    do {                                                                                           \
        SYNC_OUT();                                                                                \
        return corrupt(d, (what));                                                                 \
    } while (0)

static tgm_error decode_rsi(dec *d, uint64_t s0, size_t need, int is_last) {
    const tgm_szip_cfg *c = d->c;
    const unsigned bs = c->block_size;
    const unsigned bps = c->bps;
    const unsigned id_len = c->id_len;
    /* Like libaec, preprocessed signed samples come out sign-extended to
     * their container; other samples as decoded (bits_per_sample bits for
     * well-formed streams). */
    const int is_signed = c->is_signed;
    const uint32_t sign = 1u << (bps - 1);
    const uint32_t xmax = is_signed ? sign - 1 : c->mask;
    const uint32_t med = sign; /* xmax / 2 + 1 for unsigned samples */
    const uint32_t uncomp_id = (1u << id_len) - 1;
    const int pp = c->preprocess;
    /* Second-extension codes: libaec sends a block that way only when it
     * is shorter than bs*bps bits, so larger codes mean a corrupt stream.
     * The limit is rounded up to a mask for decode_fs_part. */
    uint32_t se_lim = 1;
    while (se_lim < bs * bps) {
        se_lim = 2 * se_lim + 1;
    }
    uint32_t *vals = d->vals;
    uint32_t *outv = d->vals + bs + 8;
    size_t nblocks = (need + bs - 1) / bs;
    uint32_t prev = 0; /* previous sample (signed: sign-extended) */
    bitr r = d->r;
    tgm_error err;

    for (size_t blk = 0; blk < nblocks;) {
        d->blk = blk;
        int has_ref = pp && blk == 0;
        size_t nout = need - blk * bs < bs ? need - blk * bs : bs;
        /* In the block that completes the output only the bits of the
         * samples still wanted have to be present (libaec stops reading
         * once its output is full), so a stream cut after them decodes. */
        int last = is_last && blk + 1 == nblocks;
        br_refill(&r);
        uint32_t id = br_take(&r, id_len);
        uint32_t ref = 0;
        if (last && has_ref && nout == 1) {
            /* only the reference sample: it follows the identifier (and the
             * low-entropy selector bit), or opens the verbatim samples */
            if (id == 0) {
                br_take(&r, 1);
            }
            ref = br_get(&r, bps);
            if (br_overrun(&r)) {
                FAIL("stream ends early");
            }
            outv[0] = is_signed ? (ref ^ sign) - sign : ref;
            emit_samples(d, s0 + blk * bs, outv, 1);
            break;
        }
        if (id != 0 && id != uncomp_id) {
            /* split sample: FS codes of the high parts, then k low bits of
             * every sample (§5.1.3) */
            unsigned k = id - 1; /* <= 29; libaec's arithmetic wraps mod 2^32 */
            unsigned i0 = 0;
            if (has_ref) {
                ref = br_get(&r, bps);
                i0 = 1;
            }
            if (decode_fs_part(&r, vals + i0, bs - i0, UINT32_MAX) != 0) {
                if (br_overrun(&r)) {
                    FAIL("stream ends early");
                }
                FAIL("coded value out of range");
            }
            if (k > 0) {
                uint32_t *v = vals + i0;
                unsigned n = last ? (unsigned)nout - i0 : bs - i0;
                if (!read_fixed(&r, v, n, k, 1)) {
                    /* near the end of the input: through the accumulator */
                    for (unsigned i = 0; i < n; i++) {
                        v[i] = (v[i] << k) | br_get(&r, k);
                    }
                }
            }
        } else if (id == 0) {
            uint32_t se = br_take(&r, 1);
            if (has_ref) {
                ref = br_get(&r, bps);
            }
            if (se == 0) {
                /* zero-block run (§5.1.4): 1..4 blocks as count-1, 4 for
                 * "remainder of segment", longer runs as the count */
                uint32_t fs = 0;
                br_refill(&r);
                unsigned z = (unsigned)__builtin_clzll(r.acc | 1u);
                if (TGM_LIKELY(z < r.avail && z <= 64)) {
                    r.acc = (r.acc << z) << 1;
                    r.avail -= z + 1;
                    fs = z;
                } else {
                    SYNC_OUT();
                    err = fs_slow(d, 64, &fs);
                    if (err != TGM_ERROR_OK) {
                        return err;
                    }
                    SYNC_IN();
                }
                size_t count;
                size_t to_seg = 64 - blk % 64;
                size_t to_rsi = c->rsi - blk;
                if (fs == 4) {
                    count = to_seg < to_rsi ? to_seg : to_rsi;
                } else {
                    count = fs < 4 ? fs + 1u : fs;
                    if (count > to_rsi) {
                        FAIL("zero-block run longer than the RSI");
                    }
                }
                if (br_overrun(&r)) {
                    FAIL("stream ends early");
                }
                if (count > nblocks - blk) {
                    count = nblocks - blk;
                }
                /* All residuals zero: every sample repeats the reference
                 * (or the previous sample); without preprocessing they are
                 * zero. */
                uint32_t v = 0;
                if (pp) {
                    if (has_ref) {
                        prev = is_signed ? (ref ^ sign) - sign : ref;
                    }
                    v = prev;
                }
                for (unsigned i = 0; i < bs; i++) {
                    vals[i] = v;
                }
                for (size_t j = 0; j < count; j++) {
                    size_t first = (blk + j) * bs;
                    size_t m = need - first < bs ? need - first : bs;
                    emit_samples(d, s0 + first, vals, m);
                }
                blk += count;
                continue;
            }
            /* second extension (§5.1.5): pairs (a, b) sent as the FS code
             * of (a+b)(a+b+1)/2 + b; in a reference block the first a is
             * the zero placeholder */
            unsigned npairs = bs / 2;
            uint32_t *mv = outv; /* scratch for the pair codes */
            if (last) {
                /* codes of the pairs holding wanted samples only */
                npairs = (unsigned)(nout - 1) / 2 + 1;
                for (unsigned j = 0; j < npairs; j++) {
                    SYNC_OUT();
                    err = fs_slow(d, se_lim, &mv[j]);
                    if (err != TGM_ERROR_OK) {
                        return err;
                    }
                    SYNC_IN();
                }
            } else if (decode_fs_part(&r, mv, npairs, se_lim) != 0) {
                if (br_overrun(&r)) {
                    FAIL("stream ends early");
                }
                FAIL("coded value out of range");
            }
            for (unsigned j = 0; j < npairs; j++) {
                uint32_t m = mv[j];
                uint32_t t;
                if (m < 256) {
                    t = se_root[m];
                } else {
                    t = (uint32_t)((sqrt(8.0 * m + 1.0) - 1.0) / 2.0);
                    while ((uint64_t)t * (t + 1) / 2 > m) {
                        t--;
                    }
                    while ((uint64_t)(t + 1) * (t + 2) / 2 <= m) {
                        t++;
                    }
                }
                uint32_t b = m - t * (t + 1) / 2;
                vals[2 * j] = t - b;
                vals[2 * j + 1] = b;
            }
        } else {
            /* no compression: all samples verbatim (the reference first) */
            unsigned n = last ? (unsigned)nout : bs;
            if (!read_fixed(&r, vals, n, bps, 0)) {
                for (unsigned i = 0; i < n; i++) {
                    vals[i] = br_get(&r, bps);
                }
            }
            ref = vals[0];
        }
        if (br_overrun(&r)) {
            FAIL("stream ends early");
        }
        /* residuals -> samples */
        if (pp) {
            unsigned i0 = 0;
            if (has_ref) {
                prev = is_signed ? (ref ^ sign) - sign : ref;
                outv[0] = prev;
                i0 = 1;
            }
            prev = unmap_block(vals, outv, i0, (unsigned)nout, prev, is_signed, xmax, med, c->mask);
            emit_samples(d, s0 + blk * bs, outv, nout);
        } else {
            emit_samples(d, s0 + blk * bs, vals, nout);
        }
        blk++;
    }
    SYNC_OUT();
    return TGM_ERROR_OK;
}

#undef SYNC_OUT
#undef SYNC_IN
#undef FAIL

/* ---- entry points ------------------------------------------------------------ */

static tgm_error dec_setup(dec *d, const tgm_szip_cfg *c, const uint8_t *src, size_t n,
                           uint64_t bitpos) {
    memset(d, 0, sizeof *d);
    d->c = c;
    /* residuals, then samples (which also hold second-extension codes);
     * each with 8 entries of slack for decode_fs_part */
    d->vals = tgm__malloc_array(2 * (size_t)c->block_size + 16, sizeof(uint32_t));
    if (d->vals == NULL) {
        return tgm__oom((2 * (size_t)c->block_size + 16) * sizeof(uint32_t), "szip block buffer");
    }
    br_init(&d->r, src, n, bitpos);
    return TGM_ERROR_OK;
}

static void align_rsi(dec *d) {
    uint64_t pos = br_pos(&d->r);
    unsigned skip = (unsigned)((8 - pos % 8) % 8);
    if (skip != 0) {
        br_get(&d->r, skip);
    }
}

/* Decode RSIs from the current position until total_samples samples
 * (counting from s0, the first sample of the current RSI) have been
 * produced; offsets, when non-NULL, receive each RSI's bit position. */
static tgm_error decode_rsis(dec *d, size_t first_rsi, uint64_t s0, uint64_t s_end,
                             tgm_u64vec *offsets) {
    const tgm_szip_cfg *c = d->c;
    size_t rsi_index = first_rsi;
    for (uint64_t s = s0; s < s_end; s += c->rsi_samples, rsi_index++) {
        uint64_t left = s_end - s;
        size_t need = left < c->rsi_samples ? (size_t)left : c->rsi_samples;
        d->rsi_index = rsi_index;
        if (offsets != NULL) {
            TGM_TRY(tgm__u64vec_push(offsets, br_pos(&d->r)));
        }
        TGM_TRY(decode_rsi(d, s, need, s_end - s <= c->rsi_samples));
        if (c->pad_rsi) {
            align_rsi(d);
        }
    }
    return TGM_ERROR_OK;
}

tgm_error tgm__szip_decode(const tgm_szip_cfg *c, const uint8_t *src, size_t n, uint8_t *dst,
                           size_t dst_len) {
    if (dst_len == 0) {
        TGM_RETURN_IF(n != 0, TGM_ERROR_COMPRESSION,
                      "szip: expected size 0 with a non-empty %zu-byte stream", n);
        return TGM_ERROR_OK;
    }
    TGM_RETURN_IF(n == 0, TGM_ERROR_COMPRESSION,
                  "szip: expected size %zu with an empty compressed stream", dst_len);
    TGM_RETURN_IF(dst_len % c->width != 0, TGM_ERROR_COMPRESSION,
                  "szip: expected size %zu is not a multiple of sample byte width %u", dst_len,
                  c->width);
    dec d;
    TGM_TRY(dec_setup(&d, c, src, n, 0));
    d.lo = 0;
    d.hi = dst_len;
    d.dst = dst;
    tgm_error err = decode_rsis(&d, 0, 0, dst_len / c->width, NULL);
    tgm__free(d.vals);
    return err;
}

tgm_error tgm__szip_scan_offsets(const tgm_szip_cfg *c, const uint8_t *src, size_t n,
                                 size_t decoded_len, tgm_u64vec *offsets) {
    if (decoded_len == 0) {
        return TGM_ERROR_OK;
    }
    TGM_RETURN_IF(n == 0, TGM_ERROR_COMPRESSION,
                  "szip: expected size %zu with an empty compressed stream", decoded_len);
    TGM_RETURN_IF(decoded_len % c->width != 0, TGM_ERROR_COMPRESSION,
                  "szip: expected size %zu is not a multiple of sample byte width %u", decoded_len,
                  c->width);
    dec d;
    TGM_TRY(dec_setup(&d, c, src, n, 0));
    d.lo = 0;
    d.hi = 0; /* store nothing */
    d.dst = NULL;
    tgm_error err = decode_rsis(&d, 0, 0, decoded_len / c->width, offsets);
    tgm__free(d.vals);
    return err;
}

tgm_error tgm__szip_decode_range(const tgm_szip_cfg *c, const uint8_t *src, size_t n,
                                 const uint64_t *offsets, size_t n_offsets, uint64_t byte_pos,
                                 uint64_t byte_size, uint8_t *dst) {
    if (byte_size == 0) {
        return TGM_ERROR_OK;
    }
    TGM_RETURN_IF(n == 0, TGM_ERROR_COMPRESSION,
                  "szip: cannot decode a range from an empty compressed stream");
    TGM_TRY(tgm__codec_check_offsets(&tgm__codec_szip, offsets, n_offsets, n));
    uint64_t end;
    TGM_RETURN_IF(__builtin_add_overflow(byte_pos, byte_size, &end), TGM_ERROR_COMPRESSION,
                  "szip: range %" PRIu64 " + %" PRIu64 " overflows", byte_pos, byte_size);
    uint64_t rsi_n = byte_pos / c->rsi_bytes;
    TGM_RETURN_IF(rsi_n >= n_offsets, TGM_ERROR_COMPRESSION,
                  "szip: range starting at byte %" PRIu64 " lies in RSI %" PRIu64
                  " but the stream has %zu RSI offsets",
                  byte_pos, rsi_n, n_offsets);
    uint64_t w = c->width;
    uint64_t s0 = rsi_n * c->rsi_samples;
    uint64_t s_end = (end + w - 1) / w;
    dec d;
    TGM_TRY(dec_setup(&d, c, src, n, offsets[rsi_n]));
    d.lo = byte_pos;
    d.hi = end;
    d.dst = dst;
    tgm_error err = decode_rsis(&d, (size_t)rsi_n, s0, s_end, NULL);
    tgm__free(d.vals);
    return err;
}
