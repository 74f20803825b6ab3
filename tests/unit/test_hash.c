/* hash/: tgm__xxh3 and the streaming hasher against libxxhash's generic
 * code (included here on its own, compiled for the baseline instruction
 * set), over lengths on both sides of every size class of xxh3 and of the
 * AVX2 dispatch threshold, unaligned starts and split points. */
#include "tt.h"

#include <stdlib.h>
#include <string.h>

#include "common/cpu.h"
#include "hash/hash.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

static uint8_t *pattern(size_t n) {
    uint8_t *p = malloc(n);
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        p[i] = (uint8_t)x;
    }
    return p;
}

static const size_t lens[] = {0,   1,    3,    16,   17,   128,   129,   240,   241,    600,
                              922, 1023, 1024, 1025, 4095, 65536, 65599, 99999, 1048583};

static void test_one_shot(void) {
    size_t max = 1048583 + 64;
    uint8_t *p = pattern(max);
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        for (size_t off = 0; off < 3; off++) {
            uint64_t want = XXH3_64bits(p + off, lens[k]);
            uint64_t got = tgm__xxh3(p + off, lens[k]);
            if (got != want) {
                fprintf(stderr, "xxh3 of %zu bytes at offset %zu\n", lens[k], off);
            }
            TT_CHECK(got == want);
        }
    }
    free(p);
}

static void test_streaming(void) {
    static const size_t pieces[] = {1, 7, 64, 1000, 1024, 32768, 65536 + 3};
    size_t max = 1048583 + 64;
    uint8_t *p = pattern(max);
    tgm_hasher *h = NULL;
    TT_ASSERT(tgm__hasher_new(&h) == TGM_ERROR_OK);
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        size_t n = lens[k];
        uint64_t want = XXH3_64bits(p + 1, n);
        for (size_t j = 0; j < sizeof pieces / sizeof pieces[0]; j++) {
            if (pieces[j] == 1 && n > 70000) {
                continue; /* byte by byte is slow and proves nothing more */
            }
            tgm__hasher_reset(h);
            /* Alternate the piece with a small one: the state switches
             * between the AVX2 and the generic update mid-stream. */
            size_t at = 0;
            for (int turn = 0; at < n; turn++) {
                size_t step = turn % 2 == 0 ? pieces[j] : 5;
                step = step < n - at ? step : n - at;
                tgm__hasher_update(h, p + 1 + at, step);
                at += step;
            }
            uint64_t got = tgm__hasher_digest(h);
            if (got != want) {
                fprintf(stderr, "streamed xxh3 of %zu bytes in pieces of %zu\n", n, pieces[j]);
            }
            TT_CHECK(got == want);
        }
    }
    tgm__hasher_free(h);
    free(p);
}

/* A known digest (the empty input's, from the xxh3 specification's test
 * vectors) guards against this test and the library sharing a wrong
 * build of the header. */
static void test_known(void) {
    TT_CHECK(tgm__xxh3("", 0) == 0x2D06800538D394C2ull);
    char hex[17];
    tgm__hash_hex(tgm__xxh3("", 0), hex);
    TT_CHECK_EQ_STR(hex, "2d06800538d394c2");
}

/* Hex rendering (a word at a time) against printf, and back. */
static void test_hex(void) {
    uint64_t x = 1;
    for (int i = 0; i < 20000; i++) {
        char got[17], want[17];
        uint64_t v = i < 16 ? 0x1111111111111111ull * (uint64_t)i : x;
        tgm__hash_hex(v, got);
        snprintf(want, sizeof want, "%016llx", (unsigned long long)v);
        TT_CHECK(strcmp(got, want) == 0);
        uint64_t back = 0;
        TT_CHECK(tgm__hash_parse_hex(got, 16, &back) == 0 && back == v);
        x = x * 6364136223846793005ull + 1442695040888963407ull;
    }
}

int main(void) {
    TT_RUN(test_hex);
    TT_RUN(test_known);
    TT_RUN(test_one_shot);
    TT_RUN(test_streaming);
    printf("  (AVX2 %s)\n", (tgm__cpu_features() & TGM_CPU_AVX2) ? "used" : "not available");
    return tt_finish("test_hash");
}
