/* shuffle / unshuffle: hand-computed layouts, agreement with a naive
 * transpose for every element size 1..17 and many lengths (SSE2 blocks and
 * tails), round trips, thread-count invariance, and the error rules. */
#include "common/error.h"
#include "filters/shuffle.h"
#include "tt.h"

static void naive_shuffle(const unsigned char *src, size_t n, size_t es, unsigned char *dst) {
    size_t ne = n / es;
    for (size_t e = 0; e < ne; e++) {
        for (size_t b = 0; b < es; b++) {
            dst[b * ne + e] = src[e * es + b];
        }
    }
}

static unsigned char *pattern(size_t n, unsigned seed) {
    unsigned char *p = malloc(n + 1);
    uint32_t s = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        p[i] = (unsigned char)(s >> 24);
    }
    return p;
}

static void test_hand(void) {
    const unsigned char in4[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    const unsigned char want4[8] = {1, 5, 2, 6, 3, 7, 4, 8};
    unsigned char out[8], back[8];
    TT_CHECK_ERR(tgm__shuffle(in4, 8, 4, out, 1), TGM_ERROR_OK);
    TT_CHECK(memcmp(out, want4, 8) == 0);
    TT_CHECK_ERR(tgm__unshuffle(out, 8, 4, back, 1), TGM_ERROR_OK);
    TT_CHECK(memcmp(back, in4, 8) == 0);
    const unsigned char in2[6] = {0xA0, 0xA1, 0xB0, 0xB1, 0xC0, 0xC1};
    const unsigned char want2[6] = {0xA0, 0xB0, 0xC0, 0xA1, 0xB1, 0xC1};
    TT_CHECK_ERR(tgm__shuffle(in2, 6, 2, out, 1), TGM_ERROR_OK);
    TT_CHECK(memcmp(out, want2, 6) == 0);
    /* 16 little-endian uint16 values 0x0100 + i: low bytes then high bytes. */
    unsigned char in16[32], o16[32];
    for (int i = 0; i < 16; i++) {
        in16[2 * i] = (unsigned char)i;
        in16[2 * i + 1] = 1;
    }
    TT_CHECK_ERR(tgm__shuffle(in16, 32, 2, o16, 1), TGM_ERROR_OK);
    int ok = 1;
    for (int i = 0; i < 16; i++) {
        ok &= o16[i] == i && o16[16 + i] == 1;
    }
    TT_CHECK(ok);
}

static void test_against_naive(void) {
    static const size_t counts[] = {0, 1, 2, 15, 16, 17, 31, 32, 33, 100, 1023, 4097};
    for (size_t es = 1; es <= 17; es++) {
        for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
            size_t n = counts[c] * es;
            unsigned char *src = pattern(n, (unsigned)(es * 131 + c));
            unsigned char *want = malloc(n + 1), *got = malloc(n + 1), *back = malloc(n + 1);
            naive_shuffle(src, n, es, want);
            TT_CHECK_ERR(tgm__shuffle(src, n, es, got, 1), TGM_ERROR_OK);
            TT_CHECK(n == 0 || memcmp(got, want, n) == 0);
            TT_CHECK_ERR(tgm__unshuffle(got, n, es, back, 1), TGM_ERROR_OK);
            TT_CHECK(n == 0 || memcmp(back, src, n) == 0);
            free(src);
            free(want);
            free(got);
            free(back);
        }
    }
}

static void test_large_threads(void) {
    static const size_t sizes[] = {2, 4, 8, 3, 12};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t es = sizes[k];
        size_t n = ((size_t)5 * 1024 * 1024 / es + 7) * es; /* > 4 MiB, odd element count */
        unsigned char *src = pattern(n, (unsigned)es);
        unsigned char *want = malloc(n), *got = malloc(n), *back = malloc(n);
        naive_shuffle(src, n, es, want);
        static const uint32_t threads[] = {1, 2, 3, 8};
        for (size_t t = 0; t < 4; t++) {
            memset(got, 0, n);
            TT_CHECK_ERR(tgm__shuffle(src, n, es, got, threads[t]), TGM_ERROR_OK);
            TT_CHECK(memcmp(got, want, n) == 0);
            memset(back, 0, n);
            TT_CHECK_ERR(tgm__unshuffle(got, n, es, back, threads[t]), TGM_ERROR_OK);
            TT_CHECK(memcmp(back, src, n) == 0);
        }
        free(src);
        free(want);
        free(got);
        free(back);
    }
}

static void test_errors(void) {
    unsigned char buf[16] = {0}, out[16];
    TT_CHECK_ERR(tgm__shuffle(buf, 10, 4, out, 1), TGM_ERROR_ENCODING);
    TT_CHECK_EQ_STR(tgm_last_error(),
                    "encoding error: shuffle error: data length 10 is not divisible by "
                    "element_size 4");
    TT_CHECK_ERR(tgm__unshuffle(buf, 10, 4, out, 1), TGM_ERROR_ENCODING);
    TT_CHECK_ERR(tgm__shuffle(buf, 16, 0, out, 1), TGM_ERROR_ENCODING);
    TT_CHECK_EQ_STR(tgm_last_error(),
                    "encoding error: shuffle error: element_size must not be zero");
    TT_CHECK_ERR(tgm__unshuffle(buf, 0, 0, out, 1), TGM_ERROR_ENCODING);
    /* Element size 1 and empty input are copies, whatever the length. */
    unsigned char in[5] = {9, 8, 7, 6, 5};
    TT_CHECK_ERR(tgm__shuffle(in, 5, 1, out, 1), TGM_ERROR_OK);
    TT_CHECK(memcmp(out, in, 5) == 0);
    TT_CHECK_ERR(tgm__shuffle(in, 0, 3, out, 1), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm__shuffle_check(7, 7), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm__shuffle_check(7, 8), TGM_ERROR_ENCODING);
}

int main(void) {
    TT_RUN(test_hand);
    TT_RUN(test_against_naive);
    TT_RUN(test_large_threads);
    TT_RUN(test_errors);
    return tt_finish("test_shuffle");
}
