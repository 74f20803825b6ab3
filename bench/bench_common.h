/* Shared benchmark harness: monotonic timing, best-of-N runs, the smooth
 * float64 field of the reference's benchmark recipe (a sinusoidal pattern
 * around 280 K, amplitude 30 K, +-0.1 K SplitMix64 noise, seed 42), and
 * MB/s / ratio printing.  Benchmarks never assert timings. */
#ifndef TGM_BENCH_COMMON_H
#define TGM_BENCH_COMMON_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* BENCH_CLOCK=cpu: the process's CPU time instead of elapsed time (steadier
 * on a shared machine; meaningful for single-threaded runs only). */
static inline double bench_now(void) {
    static int cpu = -1;
    if (cpu < 0) {
        const char *c = getenv("BENCH_CLOCK");
        cpu = c != NULL && strcmp(c, "cpu") == 0;
    }
    struct timespec ts;
    clock_gettime(cpu ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct {
    uint64_t state;
} bench_rng;

static inline uint64_t bench_rng_next(bench_rng *r) {
    r->state += 0x9e3779b97f4a7c15ull;
    uint64_t z = r->state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline double bench_rng_f64(bench_rng *r) {
    return (double)(bench_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* n values in a ceil(sqrt(n)) x rows grid, as the reference generates them. */
static inline double *bench_smooth_field(size_t n, uint64_t seed) {
    double *v = malloc(n * sizeof *v + 1);
    if (v == NULL || n == 0) {
        return v;
    }
    size_t ncols = (size_t)ceil(sqrt((double)n));
    size_t nrows = (n + ncols - 1) / ncols;
    const double tau = 6.283185307179586;
    double fi = tau * 4.0 / (double)nrows, fj = tau * 4.0 / (double)ncols;
    bench_rng r = {seed};
    size_t k = 0;
    for (size_t i = 0; i < nrows && k < n; i++) {
        for (size_t j = 0; j < ncols && k < n; j++) {
            double signal = 30.0 * sin(fi * (double)i) * cos(fj * (double)j);
            double noise = 0.1 * (bench_rng_f64(&r) * 2.0 - 1.0);
            v[k++] = 280.0 + signal + noise;
        }
    }
    return v;
}

/* Best (minimum) time of `reps` runs of `body` (a statement). */
#define BENCH_BEST(reps, out_seconds, body)                                                        \
    do {                                                                                           \
        double best_ = 1e30;                                                                       \
        for (int r_ = 0; r_ < (reps); r_++) {                                                      \
            double t0_ = bench_now();                                                              \
            body;                                                                                  \
            double dt_ = bench_now() - t0_;                                                        \
            if (dt_ < best_) {                                                                     \
                best_ = dt_;                                                                       \
            }                                                                                      \
        }                                                                                          \
        (out_seconds) = best_;                                                                     \
    } while (0)

static inline double bench_mbps(size_t bytes, double seconds) {
    return seconds > 0 ? (double)bytes / seconds / 1e6 : 0.0;
}

/* Touch every page so first-touch page faults do not count as work. */
static inline void bench_touch(void *p, size_t n) {
    volatile uint8_t *b = p;
    for (size_t i = 0; i < n; i += 4096) {
        b[i] = 0;
    }
}

#endif
