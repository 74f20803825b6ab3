/* The lz4 compressor (codecs/lz4.c) against an independent decoder and the
 * block format's rules:
 *  - every output is a 4-byte little-endian size, then one LZ4 block that
 *    liblz4's LZ4_decompress_safe (not the codec's own decode path) turns
 *    back into the input, exactly filling an output of the input's size;
 *  - the block obeys the format's end rules (the last sequence is literals
 *    only, the last 5 bytes are literals, no match starts in the last 12)
 *    and no offset is 0, beyond the bytes written or above 65535;
 *  - edge cases: empty, below the 13-byte minimum, incompressible, long
 *    runs, repeats at distances around 65535, matches running into the
 *    end of the block, sizes either side of the 16-bit table's limit;
 *  - large inputs (whose long literal runs go out with non-temporal
 *    stores) give the same bytes with and without the inspection hook, at
 *    any output alignment, and a hook that objects inside such a run stops
 *    the codec and leaves the output as it was. */
#include "codecs/codec.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/error.h"
#include "tt.h"

#ifdef TGM_HAVE_LZ4
#include <lz4.h>

static uint32_t rng_next(uint32_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static void fill_random(uint8_t *p, size_t n, uint32_t seed) {
    uint32_t s = seed | 1u;
    for (size_t i = 0; i < n; i++) {
        p[i] = (uint8_t)(rng_next(&s) >> 24);
    }
}

static size_t rd_len(const uint8_t **p, const uint8_t *end, size_t base, int *bad) {
    size_t n = base;
    if (base == 15) {
        uint8_t b;
        do {
            if (*p >= end) {
                *bad = 1;
                return n;
            }
            b = *(*p)++;
            n += b;
        } while (b == 255);
    }
    return n;
}

/* Walk the block's sequences and check the format's rules; returns the
 * largest offset used (0: no match), or -1 when a rule is broken. */
static long check_block(const uint8_t *b, size_t blen, size_t n) {
    const uint8_t *p = b, *end = b + blen;
    size_t out = 0;
    long max_off = 0;
    int bad = 0;
    for (;;) {
        if (p >= end) {
            return -1; /* the block must end with a literals-only sequence */
        }
        uint8_t token = *p++;
        size_t lit = rd_len(&p, end, token >> 4, &bad);
        if (bad || lit > (size_t)(end - p)) {
            return -1;
        }
        p += lit;
        out += lit;
        if (p == end) {
            break; /* the last sequence */
        }
        if (end - p < 2) {
            return -1;
        }
        size_t off = (size_t)p[0] | (size_t)p[1] << 8;
        p += 2;
        size_t mlen = rd_len(&p, end, token & 15, &bad) + 4;
        if (bad || off == 0 || off > out) {
            return -1;
        }
        /* A match starts at least 12 bytes before the end and leaves at
         * least 5 literals after it. */
        if (out + 12 > n || out + mlen + 5 > n) {
            return -1;
        }
        out += mlen;
        if ((long)off > max_off) {
            max_off = (long)off;
        }
    }
    if (out != n) {
        return -1;
    }
    return max_off;
}

/* Compress with the codec, check the block and decode it with liblz4;
 * returns the largest offset (see check_block), or -2 on any failure. */
static long squeeze_check(const uint8_t *src, size_t n, size_t *clen) {
    tgm_codec_params p;
    tgm__codec_params_init(&p, 1, n);
    tgm_buf b = TGM_BUF_INIT;
    TT_CHECK_ERR(tgm__codec_lz4.compress(&p, src, n, &b, NULL), TGM_ERROR_OK);
    if (b.len < 4) {
        tgm__buf_free(&b);
        return -2;
    }
    uint32_t declared = (uint32_t)b.data[0] | (uint32_t)b.data[1] << 8 | (uint32_t)b.data[2] << 16 |
                        (uint32_t)b.data[3] << 24;
    TT_CHECK_EQ_INT(declared, n);
    long max_off = check_block(b.data + 4, b.len - 4, n);
    TT_CHECK(max_off >= 0);
    uint8_t *back = malloc(n + 1);
    int r = LZ4_decompress_safe((const char *)b.data + 4, (char *)back, (int)(b.len - 4), (int)n);
    TT_CHECK_EQ_INT(r, (long long)n);
    TT_CHECK(r == (int)n && (n == 0 || memcmp(back, src, n) == 0));
    /* One byte less of room is refused: the block fills it exactly. */
    if (n > 0) {
        TT_CHECK(LZ4_decompress_safe((const char *)b.data + 4, (char *)back, (int)(b.len - 4),
                                     (int)n - 1) < 0);
    }
    *clen = b.len;
    free(back);
    tgm__buf_free(&b);
    return max_off < 0 ? -2 : max_off;
}

static void test_small_inputs(void) {
    uint8_t zeros[64] = {0};
    size_t clen;
    for (size_t n = 0; n <= 64; n++) {
        long off = squeeze_check(zeros, n, &clen);
        /* Below 13 bytes there is no match at all: a token, the bytes. */
        if (n < 13) {
            TT_CHECK_EQ_INT(off, 0);
            TT_CHECK_EQ_INT(clen, 4 + 1 + n);
        } else {
            TT_CHECK(off >= 1);
            TT_CHECK(clen < 4 + 1 + n);
        }
    }
}

static void test_incompressible(void) {
    static const size_t sizes[] = {13, 100, 4096, 65534, 65535, 65536, 65537, 1000003};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = sizes[i];
        uint8_t *d = malloc(n);
        fill_random(d, n, (uint32_t)(n * 2654435761u));
        size_t clen;
        squeeze_check(d, n, &clen);
        /* Within the documented bound: n + n / 255 + 16 after the prefix. */
        TT_CHECK(clen <= 4 + n + n / 255 + 16);
        free(d);
    }
}

static void test_runs_and_ends(void) {
    /* Long runs: one byte, a two-byte pattern, a 7-byte pattern; the
     * match runs into the end of the block, where the last 5 bytes must
     * stay literals. */
    static const size_t sizes[] = {13, 14, 17, 18, 19, 20, 31, 1000, 65535, 65536, 300001};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = sizes[i];
        uint8_t *d = malloc(n);
        size_t clen;
        /* (A match needs its period plus 12 bytes: one before the
         * search's first position, 12 after the match's start.) */
        memset(d, 'a', n);
        TT_CHECK(squeeze_check(d, n, &clen) >= 1);
        for (size_t k = 0; k < n; k++) {
            d[k] = (uint8_t)(k & 1 ? 0x55 : 0xAA);
        }
        TT_CHECK(squeeze_check(d, n, &clen) >= (n >= 14 ? 1 : 0));
        for (size_t k = 0; k < n; k++) {
            d[k] = (uint8_t)("tensogr"[k % 7]);
        }
        TT_CHECK(squeeze_check(d, n, &clen) >= (n >= 19 ? 1 : 0));
        if (n >= 1000) {
            TT_CHECK(clen < n / 30);
        }
        /* Random bytes ending in a copy of their start: the match ends
         * exactly where the end rules cut it. */
        fill_random(d, n, 7);
        size_t half = (n + 1) / 2;
        memcpy(d + half, d, n - half);
        squeeze_check(d, n, &clen);
        free(d);
    }
}

static void test_far_offsets(void) {
    /* A random prefix repeated at distances around the 65535 limit:
     * whatever matches the compressor takes, none reaches further. */
    static const size_t dist[] = {65533, 65534, 65535, 65536, 65537, 70000};
    for (size_t i = 0; i < sizeof dist / sizeof dist[0]; i++) {
        size_t n = dist[i] + 4096;
        uint8_t *d = malloc(n);
        fill_random(d, n, (uint32_t)(dist[i] + 1));
        memcpy(d + dist[i], d, 4096);
        size_t clen;
        long off = squeeze_check(d, n, &clen);
        TT_CHECK(off >= 0 && off <= 65535);
        free(d);
    }
    /* Repeats at short distances in a long input: 16-bit offsets in a
     * block that uses the 32-bit table. */
    size_t n = 3u << 20;
    uint8_t *d = malloc(n);
    fill_random(d, 40000, 3);
    for (size_t k = 40000; k < n; k++) {
        d[k] = d[k - 40000 + (k / 40000) % 3];
    }
    size_t clen;
    long off = squeeze_check(d, n, &clen);
    TT_CHECK(off >= 39998 && off <= 40000);
    TT_CHECK(clen < n / 2);
    free(d);
}

/* ---- large inputs: non-temporal literal runs and the inspection hook ---- */

typedef struct hook {
    const uint8_t *base;
    size_t n;
    size_t covered; /* bytes seen, in order and whole items */
    int out_of_order;
    size_t reject_at;
} hook;

static int hook_fn(void *ctx, const uint8_t *p, size_t n) {
    hook *h = ctx;
    size_t off = (size_t)(p - h->base);
    if (off != h->covered || (n % 8 != 0 && off + n != h->n)) {
        h->out_of_order = 1;
    }
    h->covered = off + n;
    return h->reject_at >= off && h->reject_at < off + n;
}

static void test_large_hooked(void) {
    /* 12 MiB: random (one long literal run), a compressible stretch in the
     * middle, random again. */
    size_t n = (size_t)12 << 20;
    uint8_t *d = malloc(n);
    TT_ASSERT(d != NULL);
    fill_random(d, n, 99);
    for (size_t k = (size_t)5 << 20; k < ((size_t)6 << 20); k++) {
        d[k] = (uint8_t)((k / 64) & 7);
    }
    tgm_codec_params p;
    tgm__codec_params_init(&p, 1, n);
    tgm_buf plain = TGM_BUF_INIT;
    TT_CHECK_ERR(tgm__codec_lz4.compress(&p, d, n, &plain, NULL), TGM_ERROR_OK);
    TT_CHECK(check_block(plain.data + 4, plain.len - 4, n) > 0);
    uint8_t *back = malloc(n);
    TT_CHECK_EQ_INT(LZ4_decompress_safe((const char *)plain.data + 4, (char *)back,
                                        (int)(plain.len - 4), (int)n),
                    (long long)n);
    TT_CHECK(memcmp(back, d, n) == 0);

    static const char prefix[] = "0123456789abcdef";
    for (size_t shift = 0; shift < 16; shift += 5) {
        hook h = {d, n, 0, 0, SIZE_MAX};
        tgm_codec_inspect insp = {hook_fn, &h, 8};
        p.inspect = &insp;
        tgm_buf b = TGM_BUF_INIT;
        TT_CHECK_ERR(tgm__buf_append(&b, prefix, shift), TGM_ERROR_OK);
        TT_CHECK_ERR(tgm__codec_lz4.compress(&p, d, n, &b, NULL), TGM_ERROR_OK);
        TT_CHECK(b.len == shift + plain.len && memcmp(b.data, prefix, shift) == 0 &&
                 memcmp(b.data + shift, plain.data, plain.len) == 0);
        TT_CHECK_EQ_INT(h.covered, n);
        TT_CHECK_EQ_INT(h.out_of_order, 0);

        /* Objecting inside the first run, in the middle, near the end. */
        static const size_t at[] = {(size_t)3 << 20, ((size_t)11 << 20) + 12345};
        for (size_t a = 0; a < 2; a++) {
            hook r = {d, n, 0, 0, at[a]};
            insp.ctx = &r;
            b.len = shift;
            TT_CHECK_ERR(tgm__codec_lz4.compress(&p, d, n, &b, NULL), TGM_ERROR_ENCODING);
            TT_CHECK_EQ_INT(b.len, shift);
            TT_CHECK(r.covered > at[a] && r.covered <= at[a] + (size_t)(64 << 10));
        }
        tgm__buf_free(&b);
        p.inspect = NULL;
    }
    free(back);
    tgm__buf_free(&plain);
    free(d);
}

int main(void) {
    TT_RUN(test_small_inputs);
    TT_RUN(test_incompressible);
    TT_RUN(test_runs_and_ends);
    TT_RUN(test_far_offsets);
    TT_RUN(test_large_hooked);
    return tt_finish("test_lz4");
}

#else
int main(void) {
    printf("test_lz4: built without lz4, skipped\n");
    return 77;
}
#endif
