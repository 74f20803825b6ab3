/* szip encoder: CCSDS 121.0-B-3 adaptive entropy coder.
 *
 * Per reference sample interval (RSI):
 *   1. read the samples and, with the preprocessor on, map each one to its
 *      prediction residual (unit-delay predictor, §4);
 *   2. per block, pick the cheapest coding option (§5): zero-block run,
 *      second extension, split-sample with parameter k, or no compression;
 *   3. emit the coded data set MSB first.
 *
 * The choices follow libaec exactly (the stream must be byte-identical):
 * the split parameter is searched by a hill climb that starts at the
 * previous block's k; ties go to second extension over split and to no
 * compression over second extension; a zero-block run is cut at the end of
 * every 64-block segment and at the end of the RSI, and a run of five or
 * more blocks that ends there is sent as "remainder of segment".  A final
 * partial block is completed by repeating the last sample.
 *
 * Two deliberate differences from libaec 1.0.6, both for input it does not
 * code faithfully: container bits above bits_per_sample are ignored (libaec
 * lets them leak into the stream), and AEC_PAD_RSI pads every RSI to a byte
 * boundary, as libaec does only when built with RSI padding (Debian's build
 * ignores the flag when encoding, yet its decoder skips to a byte boundary
 * after each RSI, so it reads our padded streams but not its own).
 *
 * Threads: whole RSIs are coded in chunks, each into its own region of the
 * output buffer, and the bit streams are then compacted in place.  The only
 * state crossing an RSI boundary is the starting k of the split search:
 * each chunk derives it by replaying the search over the previous RSI, and
 * a chunk whose guess turns out wrong is re-encoded, so the output never
 * depends on the thread count. */
#include <string.h>

#include "codecs/szip.h"
#include "common/alloc.h"
#include "common/checked.h"
#include "common/endian.h"
#include "common/error.h"
#include "common/thread.h"

/* ---- bit writer -------------------------------------------------------- */

/* Bits accumulate in the low `nb` bits of `acc` (older bits higher); full
 * 64-bit words are stored big-endian.  Bits of `acc` above `nb` are stale
 * and never reach the output.  The caller sizes the buffer so that every
 * store is in bounds (see enc_bound). */
typedef struct bitw {
    uint8_t *p;
    uint8_t *start;
    uint64_t acc;
    unsigned nb;
} bitw;

static inline void store_be64(uint8_t *p, uint64_t v) {
#if TGM_HOST_BIG_ENDIAN
    memcpy(p, &v, 8);
#else
    v = __builtin_bswap64(v);
    memcpy(p, &v, 8);
#endif
}

/* Append the n low bits of v (1 <= n <= 63, v < 2^n).  When the word
 * fills, nb >= 1 here (n < 64), so both shifts stay below 64. */
static inline void bw_put(bitw *w, uint64_t v, unsigned n) {
    unsigned nb = w->nb + n;
    if (nb < 64) {
        w->acc = (w->acc << n) | v;
        w->nb = nb;
    } else {
        unsigned r = nb - 64; /* bits of v left over for the next word */
        store_be64(w->p, (w->acc << (n - r)) | (v >> r));
        w->p += 8;
        w->acc = v;
        w->nb = r;
    }
}

/* Fundamental sequence: q zeros then a one (§5.1.3). */
static inline void bw_fs(bitw *w, uint64_t q) {
    while (q >= 48) {
        bw_put(w, 0, 48);
        q -= 48;
    }
    bw_put(w, 1, (unsigned)q + 1);
}

/* Short codes are gathered in a 64-bit batch `t` of `tn` bits and written
 * with one bw_put when the next code would not fit in 56 bits. */
#define BATCH_MAX 56u

static inline uint64_t bw_bitpos(const bitw *w) { return (uint64_t)(w->p - w->start) * 8u + w->nb; }

static inline void bw_pad_byte(bitw *w) {
    unsigned r = w->nb & 7u;
    if (r != 0) {
        bw_put(w, 0, 8 - r);
    }
}

/* Write the pending bits (zero-padded to a byte); returns the byte length. */
static size_t bw_finish(bitw *w) {
    bw_pad_byte(w);
    unsigned nbytes = w->nb / 8;
    uint64_t v = w->nb == 0 ? 0 : w->acc << (64 - w->nb);
    for (unsigned i = 0; i < nbytes; i++) {
        w->p[i] = (uint8_t)(v >> (56 - 8 * i));
    }
    size_t len = (size_t)(w->p - w->start) + nbytes;
    w->p += nbytes;
    w->nb = 0;
    return len;
}

/* ---- sample reading and preprocessing ----------------------------------- */

/* Load sample i of width W bytes, most or least significant byte first. */
#define LOAD1(s, i) ((uint32_t)(s)[(i)])
#define LOAD2M(s, i) (((uint32_t)(s)[2 * (i)] << 8) | (s)[2 * (i) + 1])
#define LOAD2L(s, i) (((uint32_t)(s)[2 * (i) + 1] << 8) | (s)[2 * (i)])
#define LOAD3M(s, i)                                                                               \
    (((uint32_t)(s)[3 * (i)] << 16) | ((uint32_t)(s)[3 * (i) + 1] << 8) | (s)[3 * (i) + 2])
#define LOAD3L(s, i)                                                                               \
    (((uint32_t)(s)[3 * (i) + 2] << 16) | ((uint32_t)(s)[3 * (i) + 1] << 8) | (s)[3 * (i)])
#define LOAD4M(s, i)                                                                               \
    (((uint32_t)(s)[4 * (i)] << 24) | ((uint32_t)(s)[4 * (i) + 1] << 16) |                         \
     ((uint32_t)(s)[4 * (i) + 2] << 8) | (s)[4 * (i) + 3])
#define LOAD4L(s, i)                                                                               \
    (((uint32_t)(s)[4 * (i) + 3] << 24) | ((uint32_t)(s)[4 * (i) + 2] << 16) |                     \
     ((uint32_t)(s)[4 * (i) + 1] << 8) | (s)[4 * (i)])

/* Prediction residuals mapped to non-negative integers (§4.3), with
 * libaec's arithmetic: plain uint32 operations on the samples as read from
 * their containers.  For samples within bits_per_sample that is exactly the
 * standard's mapping; container bits above bits_per_sample (which libaec
 * does not clear) then flow through the same wrapping arithmetic, so such
 * input codes to libaec's bytes too.  Written with selects only: residual
 * signs of noisy data are random and branches would mispredict. */
static inline uint32_t map_unsigned(uint32_t x, uint32_t prev, uint32_t xmax) {
    int up = x >= prev;
    uint32_t d = up ? x - prev : prev - x;
    uint32_t room = up ? prev : xmax - prev;
    uint32_t small = 2 * d - (uint32_t)!up;
    uint32_t big = up ? x : xmax - x;
    return d <= room ? small : big;
}

/* Signed samples, sign-extended from bits_per_sample the way libaec does
 * ((v ^ m) - m); "x < prev" is the two's-complement comparison (done on
 * sign-flipped values to stay in unsigned arithmetic). */
static inline uint32_t map_signed(uint32_t x, uint32_t prev, uint32_t xmax, uint32_t xmin) {
    int down = (x ^ 0x80000000u) < (prev ^ 0x80000000u);
    uint32_t d = down ? prev - x : x - prev;
    uint32_t room = down ? xmax - prev : prev - xmin;
    uint32_t small = 2 * d - (uint32_t)down;
    uint32_t big = down ? xmax - x : x - xmin;
    return d <= room ? small : big;
}

/* Fill out[0..n) from n samples at s: residuals when preprocessing (out[0]
 * is the placeholder 0 and the first sample, as read, goes to *ref), else
 * the samples as read.  Returns the container bits above bits_per_sample
 * found in any sample (0 for well-formed input). */
#define DEFINE_READER(NAME, LOAD)                                                                  \
    static uint32_t NAME(const uint8_t *s, size_t n, uint32_t *out, const tgm_szip_cfg *c,         \
                         uint32_t *ref) {                                                          \
        uint32_t seen = 0;                                                                         \
        if (!c->preprocess) {                                                                      \
            for (size_t i = 0; i < n; i++) {                                                       \
                uint32_t v = LOAD(s, i);                                                           \
                seen |= v;                                                                         \
                out[i] = v;                                                                        \
            }                                                                                      \
            return seen & ~c->mask;                                                                \
        }                                                                                          \
        *ref = LOAD(s, 0);                                                                         \
        seen = *ref;                                                                               \
        out[0] = 0;                                                                                \
        if (!c->is_signed) {                                                                       \
            const uint32_t xmax = c->mask;                                                         \
            for (size_t i = 1; i < n; i++) {                                                       \
                uint32_t x = LOAD(s, i);                                                           \
                seen |= x;                                                                         \
                out[i] = map_unsigned(x, LOAD(s, i - 1), xmax);                                    \
            }                                                                                      \
        } else {                                                                                   \
            const uint32_t m = 1u << (c->bps - 1), xmax = m - 1, xmin = ~xmax;                     \
            for (size_t i = 1; i < n; i++) {                                                       \
                uint32_t x = LOAD(s, i);                                                           \
                seen |= x;                                                                         \
                out[i] = map_signed((x ^ m) - m, (LOAD(s, i - 1) ^ m) - m, xmax, xmin);            \
            }                                                                                      \
        }                                                                                          \
        return seen & ~c->mask;                                                                    \
    }

/* The same for 3-byte samples, which do not vectorise: a scalar loop that
 * loads each sample once and carries the previous one. */
#define DEFINE_READER_SCALAR(NAME, LOAD)                                                           \
    static uint32_t NAME(const uint8_t *s, size_t n, uint32_t *out, const tgm_szip_cfg *c,         \
                         uint32_t *ref) {                                                          \
        uint32_t seen = 0;                                                                         \
        if (!c->preprocess) {                                                                      \
            for (size_t i = 0; i < n; i++) {                                                       \
                uint32_t v = LOAD(s, i);                                                           \
                seen |= v;                                                                         \
                out[i] = v;                                                                        \
            }                                                                                      \
            return seen & ~c->mask;                                                                \
        }                                                                                          \
        *ref = LOAD(s, 0);                                                                         \
        seen = *ref;                                                                               \
        out[0] = 0;                                                                                \
        uint32_t prev = *ref;                                                                      \
        if (!c->is_signed) {                                                                       \
            const uint32_t xmax = c->mask;                                                         \
            for (size_t i = 1; i < n; i++) {                                                       \
                uint32_t x = LOAD(s, i);                                                           \
                seen |= x;                                                                         \
                out[i] = map_unsigned(x, prev, xmax);                                              \
                prev = x;                                                                          \
            }                                                                                      \
        } else {                                                                                   \
            const uint32_t m = 1u << (c->bps - 1), xmax = m - 1, xmin = ~xmax;                     \
            prev = (prev ^ m) - m;                                                                 \
            for (size_t i = 1; i < n; i++) {                                                       \
                uint32_t x = LOAD(s, i);                                                           \
                seen |= x;                                                                         \
                x = (x ^ m) - m;                                                                   \
                out[i] = map_signed(x, prev, xmax, xmin);                                          \
                prev = x;                                                                          \
            }                                                                                      \
        }                                                                                          \
        return seen & ~c->mask;                                                                    \
    }

DEFINE_READER(read_w1, LOAD1)
DEFINE_READER(read_w2m, LOAD2M)
DEFINE_READER(read_w2l, LOAD2L)
DEFINE_READER_SCALAR(read_w3m, LOAD3M)
DEFINE_READER_SCALAR(read_w3l, LOAD3L)
DEFINE_READER(read_w4m, LOAD4M)
DEFINE_READER(read_w4l, LOAD4L)

typedef uint32_t (*reader_fn)(const uint8_t *, size_t, uint32_t *, const tgm_szip_cfg *,
                              uint32_t *);

static reader_fn pick_reader(const tgm_szip_cfg *c) {
    switch (c->width) {
    case 1:
        return read_w1;
    case 2:
        return c->msb ? read_w2m : read_w2l;
    case 3:
        return c->msb ? read_w3m : read_w3l;
    default:
        return c->msb ? read_w4m : read_w4l;
    }
}

/* ---- coding option assessment ------------------------------------------ */

static inline uint64_t sum_shifted(const uint32_t *b, unsigned n, unsigned k, int narrow) {
    if (narrow) {
        /* A 32-bit sum cannot overflow (see encode_chunk) and vectorises
         * better. */
        uint32_t s = 0;
        for (unsigned i = 0; i < n; i++) {
            s += b[i] >> k;
        }
        return s;
    }
    uint64_t s = 0;
    for (unsigned i = 0; i < n; i++) {
        s += b[i] >> k;
    }
    return s;
}

/* Length of the split-sample coding of b[0..n) with the best k, found by
 * the hill climb libaec uses (start at the previous k, walk up while the
 * length falls, then possibly down).  *kstate is the previous k on entry
 * and the chosen k on exit. */
static uint64_t assess_split(const uint32_t *b, unsigned n, int kmax, int narrow, int *kstate) {
    int k0 = *kstate;
    int k = k0;
    int kbest = k;
    int no_turn = k == 0;
    int up = 1;
    uint64_t best = UINT64_MAX;
    for (;;) {
        uint64_t fs = sum_shifted(b, n, (unsigned)k, narrow);
        uint64_t len = fs + (uint64_t)n * (uint64_t)(k + 1);
        if (len < best) {
            if (best != UINT64_MAX) {
                no_turn = 1;
            }
            best = len;
            kbest = k;
            if (up) {
                if (fs < n || k >= kmax) {
                    if (no_turn) {
                        break;
                    }
                    k = k0 - 1;
                    up = 0;
                    no_turn = 1;
                } else {
                    k++;
                }
            } else {
                if (fs >= n || k == 0) {
                    break;
                }
                k--;
            }
        } else {
            if (no_turn) {
                break;
            }
            k = k0 - 1;
            up = 0;
            no_turn = 1;
        }
    }
    *kstate = kbest;
    return best;
}

/* Length of the second-extension coding of the whole block (pairs from
 * b[0]; in a reference block b[0] is the zero placeholder), or UINT64_MAX
 * once a pair alone exceeds the no-compression length. */
static uint64_t assess_se(const uint32_t *b, unsigned bs, uint64_t uncomp_len) {
    uint64_t len = 1;
    for (unsigned i = 0; i < bs; i += 2) {
        uint64_t d = (uint64_t)b[i] + b[i + 1];
        if (d > uncomp_len) {
            return UINT64_MAX;
        }
        len += d * (d + 1) / 2 + b[i + 1] + 1;
    }
    return len;
}

/* ---- coded data sets ------------------------------------------------------ */

typedef struct enc_state {
    const tgm_szip_cfg *c;
    reader_fn read;
    int narrow; /* 32-bit sums suffice for well-formed samples */
    int k;      /* split search start: the k chosen for the previous block */
    int leaked; /* a reference sample carried bits above bits_per_sample */
} enc_state;

/* libaec writes the reference sample as it was read.  Bits above
 * bits_per_sample (only present in malformed input) do not vanish: its bit
 * writer adds them, modulo 2^u, to the u bits already written in the
 * current byte (u = 8: the previous, complete byte, as the identifier
 * written just before always leaves libaec's writer on a byte it has
 * started).  Reproduced here so that such input codes to the same bytes;
 * returns 1 when it happened. */
static inline int put_ref(bitw *w, uint32_t ref, unsigned bps, uint32_t mask) {
    uint32_t extra = bps < 32 ? ref >> bps : 0;
    int leaked = 0;
    if (TGM_UNLIKELY(extra != 0)) {
        unsigned u = ((w->nb - 1) & 7u) + 1; /* nb == 0: the last stored byte */
        if (w->nb >= u) {
            uint64_t um = ((uint64_t)1 << u) - 1;
            w->acc = (w->acc & ~um) | ((w->acc + extra) & um);
        } else {
            w->p[-1] = (uint8_t)(w->p[-1] + extra);
        }
        leaked = 1;
    }
    bw_put(w, ref & mask, bps);
    return leaked;
}

static inline int emit_zero_run(bitw *w, unsigned id_len, unsigned bps, uint32_t mask,
                                unsigned count, int has_ref, uint32_t ref, int ros) {
    int leaked = 0;
    bw_put(w, 0, id_len + 1);
    if (has_ref) {
        leaked = put_ref(w, ref, bps, mask);
    }
    /* §5.1.4 Table 5-4: runs of 1..4 blocks are sent as count-1, "remainder
     * of segment" as 4, longer runs as the count itself. */
    if (ros) {
        bw_fs(w, 4);
    } else if (count >= 5) {
        bw_fs(w, count);
    } else {
        bw_fs(w, count - 1);
    }
    return leaked;
}

static inline void emit_split(bitw *w, const uint32_t *b, unsigned n, unsigned k) {
    uint64_t t = 0;
    unsigned tn = 0;
    for (unsigned i = 0; i < n; i++) {
        uint32_t q = b[i] >> k;
        if (TGM_UNLIKELY(tn + q + 1 > BATCH_MAX)) {
            if (tn > 0) {
                bw_put(w, t, tn);
                t = 0;
                tn = 0;
            }
            if (q + 1 > BATCH_MAX) {
                bw_fs(w, q);
                continue;
            }
        }
        t = (t << (q + 1)) | 1u;
        tn += q + 1;
    }
    if (k > 0) {
        uint32_t m = (uint32_t)((1ull << k) - 1);
        for (unsigned i = 0; i < n; i++) {
            if (tn + k > BATCH_MAX) {
                bw_put(w, t, tn);
                t = 0;
                tn = 0;
            }
            t = (t << k) | (b[i] & m);
            tn += k;
        }
    }
    if (tn > 0) {
        bw_put(w, t, tn);
    }
}

static inline void emit_se(bitw *w, const uint32_t *b, unsigned bs) {
    for (unsigned i = 0; i < bs; i += 2) {
        uint64_t d = (uint64_t)b[i] + b[i + 1];
        bw_fs(w, d * (d + 1) / 2 + b[i + 1]);
    }
}

/* bps low bits of each value (libaec masks here). */
static inline void emit_verbatim(bitw *w, const uint32_t *b, unsigned n, unsigned bps,
                                 uint32_t mask) {
    if (bps > 28) {
        for (unsigned i = 0; i < n; i++) {
            bw_put(w, b[i] & mask, bps);
        }
        return;
    }
    uint64_t t = 0;
    unsigned tn = 0;
    for (unsigned i = 0; i < n; i++) {
        if (tn + bps > BATCH_MAX) {
            bw_put(w, t, tn);
            t = 0;
            tn = 0;
        }
        t = (t << bps) | (b[i] & mask);
        tn += bps;
    }
    if (tn > 0) {
        bw_put(w, t, tn);
    }
}

/* Encode one RSI of n samples (n <= rsi_samples) from s; d is scratch of
 * rsi_samples entries (rounded up to whole blocks).  The writer is copied
 * into a local so that it stays in registers across the byte stores. */
static void encode_rsi(enc_state *st, bitw *wp, const uint8_t *s, size_t n, uint32_t *d) {
    const tgm_szip_cfg *c = st->c;
    const unsigned bs = c->block_size;
    const unsigned bps = c->bps;
    const unsigned id_len = c->id_len;
    const int kmax = c->kmax;
    const uint32_t mask = c->mask;
    uint32_t ref = 0;
    size_t nblocks = (n + bs - 1) / bs;
    bitw w = *wp;
    int kstate = st->k;
    int leaked = 0;

    uint32_t extra_bits = st->read(s, n, d, c, &ref);
    const int narrow = st->narrow && extra_bits == 0;
    /* Complete the last block by repeating the last sample: its residual is
     * 0, without preprocessing the sample itself. */
    uint32_t fill = c->preprocess ? 0 : d[n - 1];
    for (size_t i = n; i < nblocks * bs; i++) {
        d[i] = fill;
    }

    unsigned zero_run = 0;
    int zero_ref = 0;
    for (size_t blk = 0; blk < nblocks; blk++) {
        const uint32_t *b = d + blk * bs;
        int has_ref = c->preprocess && blk == 0;
        uint32_t any = 0;
        uint64_t sum = 0;
        if (narrow) {
            uint32_t s32 = 0;
            for (unsigned i = 0; i < bs; i++) {
                any |= b[i];
                s32 += b[i];
            }
            sum = s32;
        } else {
            for (unsigned i = 0; i < bs; i++) {
                any |= b[i];
                sum += b[i];
            }
        }
        if (any == 0) {
            if (zero_run++ == 0) {
                zero_ref = has_ref;
            }
            if (blk + 1 == nblocks || (blk + 1) % 64 == 0) {
                leaked |=
                    emit_zero_run(&w, id_len, bps, mask, zero_run, zero_ref, ref, zero_run > 4);
                zero_run = 0;
            }
            continue;
        }
        if (zero_run > 0) {
            leaked |= emit_zero_run(&w, id_len, bps, mask, zero_run, zero_ref, ref, 0);
            zero_run = 0;
        }

        unsigned skip = has_ref ? 1u : 0u;
        unsigned n_coded = bs - skip;
        uint64_t uncomp_len = (uint64_t)n_coded * bps;
        uint64_t split_len = UINT64_MAX;
        int k = kstate;
        if (kmax >= 0) {
            split_len = assess_split(b + skip, n_coded, kmax, narrow, &k);
            kstate = k;
        }
        /* Second extension costs at least 1 + sum + bs/2 bits (each pair
         * at least a+b+1); compute it exactly only when that bound does not
         * already rule it out.  The choice is libaec's: split if strictly
         * shorter than both others, else second extension if strictly
         * shorter than no compression. */
        uint64_t se_bound = 1 + sum + bs / 2;
        int use_split = split_len < uncomp_len;
        uint64_t se_len = UINT64_MAX;
        if (se_bound <= (use_split ? split_len : uncomp_len)) {
            se_len = assess_se(b, bs, uncomp_len);
        }
        if (use_split && split_len < se_len) {
            bw_put(&w, (uint32_t)k + 1, id_len);
            if (has_ref) {
                leaked |= put_ref(&w, ref, bps, mask);
            }
            emit_split(&w, b + skip, n_coded, (unsigned)k);
        } else if (use_split || se_len < uncomp_len) {
            bw_put(&w, 1, id_len + 1);
            if (has_ref) {
                leaked |= put_ref(&w, ref, bps, mask);
            }
            emit_se(&w, b, bs);
        } else {
            /* the reference goes out masked here, like every sample */
            bw_put(&w, (1u << id_len) - 1, id_len);
            if (has_ref) {
                bw_put(&w, ref & mask, bps);
            }
            emit_verbatim(&w, b + skip, n_coded, bps, mask);
        }
    }
    if (c->pad_rsi) {
        bw_pad_byte(&w);
    }
    *wp = w;
    st->k = kstate;
    st->leaked |= leaked;
}

/* The split-search state after coding one RSI of n samples from s when
 * the search starts at k, without writing anything (same block walk and
 * assessment as encode_rsi). */
static int rsi_final_k(const enc_state *st, const uint8_t *s, size_t n, uint32_t *d, int k) {
    const tgm_szip_cfg *c = st->c;
    const unsigned bs = c->block_size;
    uint32_t ref = 0;
    size_t nblocks = (n + bs - 1) / bs;
    if (c->kmax < 0) {
        return k;
    }
    uint32_t extra_bits = st->read(s, n, d, c, &ref);
    const int narrow = st->narrow && extra_bits == 0;
    uint32_t fill = c->preprocess ? 0 : d[n - 1];
    for (size_t i = n; i < nblocks * bs; i++) {
        d[i] = fill;
    }
    for (size_t blk = 0; blk < nblocks; blk++) {
        const uint32_t *b = d + blk * bs;
        uint32_t any = 0;
        for (unsigned i = 0; i < bs; i++) {
            any |= b[i];
        }
        if (any != 0) {
            unsigned skip = c->preprocess && blk == 0 ? 1u : 0u;
            assess_split(b + skip, bs - skip, c->kmax, narrow, &k);
        }
    }
    return k;
}

/* ---- driver ---------------------------------------------------------------- */

/* Upper bound of the coded size in bytes of `nsamples` samples starting on
 * an RSI boundary.  A block that is not zero costs at most an identifier
 * (<= 6 bits with the second-extension selector) plus bs*bps bits (the
 * options other than no compression are only chosen when shorter; the
 * reference sample replaces one sample).  A run of c zero blocks costs at
 * most 6 + 32 (reference) + c + 1 bits (65 for c = 64), i.e. at most 40
 * bits per block.  Plus up to a byte of padding per RSI and slack for the
 * final partial word. */
static int enc_bound(const tgm_szip_cfg *c, size_t nsamples, size_t *bound) {
    uint64_t nblocks = ((uint64_t)nsamples + c->block_size - 1) / c->block_size;
    uint64_t nrsi = ((uint64_t)nsamples + c->rsi_samples - 1) / c->rsi_samples;
    uint64_t per_block = (uint64_t)c->block_size * c->bps + 6;
    if (per_block < 40) {
        per_block = 40;
    }
    uint64_t bits;
    if (tgm__mul_u64(nblocks, per_block, &bits)) {
        return 1;
    }
    uint64_t bytes = bits / 8 + 1 + nrsi + 16;
    return tgm__u64_to_size(bytes, bound);
}

typedef struct chunk {
    size_t first_rsi;
    size_t n_rsi;
    int k_in;     /* k assumed at the start */
    int guess_k;  /* derive k_in from the previous RSI first */
    int leaked;   /* put_ref changed bits before a reference sample */
    int k_out;    /* k at the end */
    uint8_t *buf; /* coded bits, starting at bit 0 */
    uint64_t nbits;
    uint64_t *rsi_bits; /* bit offset of each RSI within the chunk */
} chunk;

typedef struct enc_job {
    const tgm_szip_cfg *c;
    const uint8_t *src;
    size_t nsamples;
    chunk *chunks;
    size_t scratch_len; /* samples of residual scratch per chunk */
} enc_job;

/* Code one chunk into ch->buf.  The residual scratch is allocated here so
 * that only as many exist at once as threads run. */
static tgm_error encode_chunk(const enc_job *job, chunk *ch) {
    const tgm_szip_cfg *c = job->c;
    uint32_t *scratch = tgm__malloc_array(job->scratch_len, sizeof(uint32_t));
    if (scratch == NULL) {
        return tgm__oom(job->scratch_len * sizeof(uint32_t), "szip encoder scratch");
    }
    enc_state st;
    st.c = c;
    st.read = pick_reader(c);
    /* 32-bit sums suffice when a whole block of maximal samples fits. */
    st.narrow = (uint64_t)c->block_size * c->mask <= UINT32_MAX;
    if (ch->guess_k && ch->first_rsi > 0) {
        /* Parallel chunks: the search state entering this chunk is the one
         * the previous chunk leaves.  Replaying the search over the
         * previous RSI from k = 0 almost always arrives at it (the search
         * converges within a few blocks); the caller checks and re-encodes
         * the chunk otherwise. */
        size_t first = (ch->first_rsi - 1) * c->rsi_samples;
        ch->k_in = rsi_final_k(&st, job->src + first * c->width, c->rsi_samples, scratch, 0);
        ch->guess_k = 0;
    }
    st.k = ch->k_in;
    st.leaked = 0;
    bitw w = {ch->buf, ch->buf, 0, 0};
    for (size_t r = 0; r < ch->n_rsi; r++) {
        size_t first = (ch->first_rsi + r) * c->rsi_samples;
        size_t n = job->nsamples - first;
        if (n > c->rsi_samples) {
            n = c->rsi_samples;
        }
        ch->rsi_bits[r] = bw_bitpos(&w);
        encode_rsi(&st, &w, job->src + first * c->width, n, scratch);
    }
    /* Flush the partial word; the bit count excludes the padding. */
    ch->nbits = bw_bitpos(&w);
    bw_finish(&w);
    ch->k_out = st.k;
    ch->leaked = st.leaked;
    tgm__free(scratch);
    return TGM_ERROR_OK;
}

static tgm_error encode_task(void *ctx, size_t index) {
    enc_job *job = ctx;
    return encode_chunk(job, &job->chunks[index]);
}

/* Append nbits bits from src (starting at its bit 0) to the stream at
 * dst, whose first byte already holds `used` bits (0..7).  dst <= src is
 * allowed (chunks are compacted in place): every source word is read
 * before the output word at the same index is written. */
static void append_bits(uint8_t *dst, unsigned used, const uint8_t *src, uint64_t nbits) {
    size_t nbytes = (size_t)((nbits + 7) / 8);
    if (used == 0) {
        memmove(dst, src, nbytes);
        return;
    }
    const unsigned back = 64 - used;
    uint64_t carry = (uint64_t)(dst[0] >> (8 - used)); /* the `used` bits already there */
    size_t j = 0;
    for (; j + 8 <= nbytes; j += 8) {
        uint64_t w;
        memcpy(&w, src + j, 8);
#if !TGM_HOST_BIG_ENDIAN
        w = __builtin_bswap64(w);
#endif
        uint64_t o = (carry << back) | (w >> used);
        carry = w & ((1ull << used) - 1);
#if !TGM_HOST_BIG_ENDIAN
        o = __builtin_bswap64(o);
#endif
        memcpy(dst + j, &o, 8);
    }
    /* tail bytes; carry holds the low `used` bits of the previous byte */
    uint8_t c8 = (uint8_t)(carry << (8 - used));
    for (; j < nbytes; j++) {
        uint8_t b = src[j];
        dst[j] = (uint8_t)(c8 | (b >> used));
        c8 = (uint8_t)(b << (8 - used));
    }
    dst[nbytes] = c8;
}

tgm_error tgm__szip_encode(const tgm_szip_cfg *c, uint32_t threads, const uint8_t *src, size_t n,
                           tgm_buf *out, tgm_u64vec *offsets) {
    tgm_error err = TGM_ERROR_OK;
    chunk *chunks = NULL;
    uint64_t *rsi_bits = NULL;

    if (n == 0) {
        return TGM_ERROR_OK;
    }
    TGM_RETURN_IF(n % c->width != 0, TGM_ERROR_ENCODING,
                  "szip: data length %zu is not a multiple of sample byte width %u", n, c->width);
    size_t nsamples = n / c->width;
    size_t nrsi = (nsamples + c->rsi_samples - 1) / c->rsi_samples;

    /* Chunking: about 8 chunks per thread so an uneven chunk cannot stall
     * the others; one chunk when single-threaded or small. */
    size_t nchunks = 1;
    if (threads > 1 && n >= TGM_PARALLEL_THRESHOLD_BYTES && nrsi > 1) {
        nchunks = (size_t)threads * 8;
        if (nchunks > nrsi) {
            nchunks = nrsi;
        }
    }
    size_t per_chunk = (nrsi + nchunks - 1) / nchunks;
    nchunks = (nrsi + per_chunk - 1) / per_chunk;

    size_t total_bound;
    TGM_RETURN_IF(enc_bound(c, nsamples, &total_bound), TGM_ERROR_ENCODING,
                  "szip: %zu samples are too many to encode", nsamples);
    size_t scratch_len = c->rsi_samples < nsamples ? c->rsi_samples : nsamples;
    /* Round the scratch up to whole blocks (the last block is completed). */
    scratch_len = (scratch_len + c->block_size - 1) / c->block_size * c->block_size;

    chunks = tgm__calloc(nchunks, sizeof *chunks);
    rsi_bits = tgm__malloc_array(nrsi, sizeof *rsi_bits);
    if (chunks == NULL || rsi_bits == NULL) {
        err = tgm__oom(nrsi * sizeof *rsi_bits, "szip encoder state");
        goto cleanup;
    }

    /* Every chunk codes into its own region of the output buffer (one
     * region when single-threaded); the regions are then compacted in
     * place. */
    size_t chunk_bound = total_bound;
    if (nchunks > 1) {
        size_t chunk_samples = per_chunk * c->rsi_samples;
        TGM_FAIL_IF(enc_bound(c, chunk_samples, &chunk_bound), TGM_ERROR_ENCODING,
                    "szip: chunk of %zu samples is too large", chunk_samples);
    }
    size_t work_len;
    TGM_FAIL_IF(tgm__mul_size(chunk_bound, nchunks, &work_len) ||
                    tgm__add_size(work_len, 8, &work_len),
                TGM_ERROR_ENCODING, "szip: output size overflows");
    TGM_CHECK(tgm__buf_reserve(out, work_len));
    if (offsets != NULL) {
        TGM_CHECK(tgm__u64vec_reserve(offsets, offsets->n + nrsi));
    }
    for (size_t i = 0; i < nchunks; i++) {
        chunks[i].buf = out->data + out->len + i * chunk_bound;
        chunks[i].first_rsi = i * per_chunk;
        chunks[i].n_rsi =
            nrsi - chunks[i].first_rsi < per_chunk ? nrsi - chunks[i].first_rsi : per_chunk;
        chunks[i].rsi_bits = rsi_bits + chunks[i].first_rsi;
        chunks[i].k_in = 0;
        chunks[i].guess_k = 1;
    }

    enc_job job = {c, src, nsamples, chunks, scratch_len};
    TGM_CHECK(tgm__parallel_for(threads, nchunks, encode_task, &job));

    if (nchunks == 1) {
        uint64_t nbits = chunks[0].nbits;
        out->len += (size_t)((nbits + 7) / 8);
        if (offsets != NULL) {
            for (size_t r = 0; r < nrsi; r++) {
                offsets->v[offsets->n++] = rsi_bits[r];
            }
        }
    } else {
        /* A reference sample with bits above bits_per_sample changes
         * already written bits of its byte, and byte boundaries inside a
         * chunk other than the first are not known until the chunks are
         * joined: code such (malformed) input single-threaded. */
        int redo = 0;
        for (size_t i = 1; i < nchunks; i++) {
            redo |= chunks[i].leaked;
        }
        if (redo) {
            tgm__free(chunks);
            tgm__free(rsi_bits);
            return tgm__szip_encode(c, 1, src, n, out, offsets);
        }
        /* Stitch: a chunk whose guessed starting k differs from the k its
         * predecessor really ended with is re-encoded (rare, see
         * encode_chunk), so the output is the single-threaded one. */
        for (size_t i = 1; i < nchunks; i++) {
            if (chunks[i].k_in != chunks[i - 1].k_out) {
                chunks[i].k_in = chunks[i - 1].k_out;
                TGM_CHECK(encode_chunk(&job, &chunks[i]));
            }
        }
        uint64_t pos = 0; /* bits written so far */
        uint8_t *base = out->data + out->len;
        for (size_t i = 0; i < nchunks; i++) {
            if (offsets != NULL) {
                for (size_t r = 0; r < chunks[i].n_rsi; r++) {
                    offsets->v[offsets->n++] = pos + chunks[i].rsi_bits[r];
                }
            }
            append_bits(base + pos / 8, (unsigned)(pos % 8), chunks[i].buf, chunks[i].nbits);
            pos += chunks[i].nbits;
        }
        out->len += (size_t)((pos + 7) / 8);
    }

cleanup:
    tgm__free(chunks);
    tgm__free(rsi_bits);
    return err;
}
