/* bench_simple_packing: throughput of simple_packing encode/decode on a
 * smooth float64 field (the reference benchmarks' recipe: a sinusoidal
 * pattern around 280 K with +-0.1 noise from SplitMix64), against memcpy of
 * the same bytes and, when built with -DBENCH_WITH_ECCODES, ecCodes'
 * grid_simple packing of the same field.
 *
 * Build (from the repository root):
 *   gcc -std=c11 -O3 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Iinclude -Isrc \
 *       bench/bench_simple_packing.c src/encodings/simple_packing.c src/common/[a-z]*.c \
 *       -o bench_simple_packing -lm -lpthread
 *   (add -DBENCH_WITH_ECCODES -I/usr/include/x86_64-linux-gnu -leccodes for ecCodes)
 * Run: ./bench_simple_packing [num_values (default 16777216)] [repeats (default 5)]
 *
 * MB/s are over the float64 bytes (n * 8), best of `repeats` runs.  "encode" is
 * what a caller without parameters pays: the R/E scan ("params") plus
 * quantising and packing ("pack"); ecCodes' set_double_array does both. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "encodings/simple_packing.h"

#ifdef BENCH_WITH_ECCODES
#include <eccodes.h>
#endif

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t splitmix(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void smooth_field(double *v, size_t n, uint64_t seed) {
    size_t ncols = (size_t)ceil(sqrt((double)n));
    size_t nrows = (n + ncols - 1) / ncols;
    double fi = 6.283185307179586 * 4.0 / (double)nrows;
    double fj = 6.283185307179586 * 4.0 / (double)ncols;
    uint64_t s = seed;
    size_t k = 0;
    for (size_t i = 0; i < nrows && k < n; i++) {
        for (size_t j = 0; j < ncols && k < n; j++) {
            double noise =
                0.1 * ((double)(splitmix(&s) >> 11) * (1.0 / 9007199254740992.0) * 2.0 - 1.0);
            v[k++] = 280.0 + 30.0 * sin(fi * (double)i) * cos(fj * (double)j) + noise;
        }
    }
}

static double mbs(size_t bytes, double secs) { return (double)bytes / secs / 1e6; }

int main(int argc, char **argv) {
    size_t n = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : (size_t)1 << 24;
    int reps = argc > 2 ? atoi(argv[2]) : 5;
    size_t bytes = n * 8;
    double *v = malloc(bytes);
    double *out = malloc(bytes);
    unsigned char *packed = malloc(bytes);
    if (v == NULL || out == NULL || packed == NULL) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    smooth_field(v, n, 42);

    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        memcpy(out, v, bytes);
        double t = now() - t0;
        best = t < best ? t : best;
    }
    double memcpy_mbs = mbs(bytes, best);
    printf("simple_packing, %zu float64 values (%.1f MiB), best of %d\n", n,
           (double)bytes / 1048576.0, reps);
    printf("memcpy: %.0f MB/s\n", memcpy_mbs);
    printf("%-5s %-3s %12s %12s %12s %12s %8s %8s\n", "bits", "thr", "params MB/s", "pack MB/s",
           "encode MB/s", "decode MB/s", "enc/mcp", "dec/mcp");

    static const uint32_t widths[] = {8, 12, 16, 24, 32};
    static const uint32_t threads[] = {1, 2};
    for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++) {
        for (size_t t = 0; t < 2; t++) {
            tgm_sp_params p;
            size_t sz = 0;
            double bp = 1e30, bk = 1e30, be = 1e30, bd = 1e30;
            tgm__sp_packed_size(n, widths[w], 0, &sz);
            for (int r = 0; r < reps; r++) {
                double t0 = now();
                if (tgm__sp_compute_params((const unsigned char *)v, 0, n, widths[w], 0, threads[t],
                                           &p) != TGM_ERROR_OK) {
                    fprintf(stderr, "compute_params failed: %s\n", tgm_last_error());
                    return 1;
                }
                double t1 = now();
                if (tgm__sp_encode((const unsigned char *)v, 0, n, &p, 0, packed, sz, threads[t]) !=
                    TGM_ERROR_OK) {
                    fprintf(stderr, "encode failed: %s\n", tgm_last_error());
                    return 1;
                }
                double t2 = now();
                if (tgm__sp_decode(packed, sz, n, &p, 0, (unsigned char *)out, 0, threads[t]) !=
                    TGM_ERROR_OK) {
                    fprintf(stderr, "decode failed: %s\n", tgm_last_error());
                    return 1;
                }
                double t3 = now();
                bp = t1 - t0 < bp ? t1 - t0 : bp;
                bk = t2 - t1 < bk ? t2 - t1 : bk;
                be = t2 - t0 < be ? t2 - t0 : be; /* encode = params scan + pack */
                bd = t3 - t2 < bd ? t3 - t2 : bd;
            }
            printf("%-5u %-3u %12.0f %12.0f %12.0f %12.0f %8.2f %8.2f\n", widths[w], threads[t],
                   mbs(bytes, bp), mbs(bytes, bk), mbs(bytes, be), mbs(bytes, bd),
                   mbs(bytes, be) / memcpy_mbs, mbs(bytes, bd) / memcpy_mbs);
        }
    }

#ifdef BENCH_WITH_ECCODES
    /* ecCodes grid_simple on a regular lat/lon grid holding the same values:
     * "encode" is codes_set_double_array (parameters + packing), "decode" is
     * codes_get_double_array. */
    size_t ni = (size_t)ceil(sqrt((double)n));
    size_t nj = (n + ni - 1) / ni;
    size_t ne = ni * nj;
    double *ev = malloc(ne * 8);
    double *eo = malloc(ne * 8);
    smooth_field(ev, ne, 42);
    printf("\necCodes %s grid_simple, %zu values (%zux%zu)\n", ECCODES_VERSION_STR, ne, ni, nj);
    printf("%-5s %12s %12s %8s %8s\n", "bits", "encode MB/s", "decode MB/s", "enc/mcp", "dec/mcp");
    for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++) {
        codes_handle *h = codes_grib_handle_new_from_samples(NULL, "regular_ll_sfc_grib2");
        if (h == NULL) {
            fprintf(stderr, "ecCodes sample not found\n");
            break;
        }
        codes_set_long(h, "Ni", (long)ni);
        codes_set_long(h, "Nj", (long)nj);
        codes_set_string(h, "packingType", "grid_simple", &(size_t){12});
        codes_set_long(h, "bitsPerValue", (long)widths[w]);
        double be = 1e30, bd = 1e30;
        for (int r = 0; r < reps; r++) {
            double t0 = now();
            int e1 = codes_set_double_array(h, "values", ev, ne);
            double t1 = now();
            size_t got = ne;
            int e2 = codes_get_double_array(h, "values", eo, &got);
            double t2 = now();
            if (e1 != 0 || e2 != 0) {
                fprintf(stderr, "ecCodes error %d %d\n", e1, e2);
                break;
            }
            be = t1 - t0 < be ? t1 - t0 : be;
            bd = t2 - t1 < bd ? t2 - t1 : bd;
        }
        printf("%-5u %12.0f %12.0f %8.2f %8.2f\n", widths[w], mbs(ne * 8, be), mbs(ne * 8, bd),
               mbs(ne * 8, be) / memcpy_mbs, mbs(ne * 8, bd) / memcpy_mbs);
        codes_handle_delete(h);
    }
    free(ev);
    free(eo);
#endif
    free(v);
    free(out);
    free(packed);
    return 0;
}
