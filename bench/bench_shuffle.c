/* bench_shuffle: byte shuffle / unshuffle throughput against memcpy of the
 * same buffer, for element sizes 2, 3, 4, 8 and 1 or 2 threads.
 *
 * Build (from the repository root):
 *   gcc -std=c11 -O3 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Iinclude -Isrc \
 *       bench/bench_shuffle.c src/filters/shuffle.c src/common/[a-z]*.c -o bench_shuffle -lpthread
 * Run: ./bench_shuffle [bytes (default 67108864)] [repeats (default 5)] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "filters/shuffle.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    size_t n = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : (size_t)64 << 20;
    int reps = argc > 2 ? atoi(argv[2]) : 5;
    n -= n % 24; /* a multiple of every element size below */
    unsigned char *src = malloc(n), *mid = malloc(n), *dst = malloc(n);
    if (src == NULL || mid == NULL || dst == NULL) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    uint32_t s = 12345;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        src[i] = (unsigned char)(s >> 24);
    }
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        memcpy(dst, src, n);
        double t = now() - t0;
        best = t < best ? t : best;
    }
    double mcp = (double)n / best / 1e6;
    printf("shuffle, %.1f MiB, best of %d; memcpy %.0f MB/s\n", (double)n / 1048576.0, reps, mcp);
    printf("%-4s %-3s %14s %16s %8s %8s\n", "size", "thr", "shuffle MB/s", "unshuffle MB/s",
           "shf/mcp", "uns/mcp");
    static const size_t sizes[] = {2, 3, 4, 8};
    for (size_t k = 0; k < 4; k++) {
        for (uint32_t t = 1; t <= 2; t++) {
            double bs = 1e30, bu = 1e30;
            for (int r = 0; r < reps; r++) {
                double t0 = now();
                tgm__shuffle(src, n, sizes[k], mid, t);
                double t1 = now();
                tgm__unshuffle(mid, n, sizes[k], dst, t);
                double t2 = now();
                bs = t1 - t0 < bs ? t1 - t0 : bs;
                bu = t2 - t1 < bu ? t2 - t1 : bu;
            }
            if (memcmp(src, dst, n) != 0) {
                fprintf(stderr, "round trip failed for element size %zu\n", sizes[k]);
                return 1;
            }
            double ms = (double)n / bs / 1e6, mu = (double)n / bu / 1e6;
            printf("%-4zu %-3u %14.0f %16.0f %8.2f %8.2f\n", sizes[k], t, ms, mu, ms / mcp,
                   mu / mcp);
        }
    }
    free(src);
    free(mid);
    free(dst);
    return 0;
}
