/* bench_sz3: the sz3 codec's encode and decode throughput on the shared
 * fields, against SZ3 3.3.2 itself when built with -DTGM_BENCH_SZ3_DIR
 * (bench/sz3_reference.cpp; bench/README.md says how to get SZ3).
 *
 * Fields: the reference's smooth benchmark field (n values, default 4 M)
 * and, through ecCodes when available, the 0.25-degree GRIB fields 2t,
 * q_150, t_600 and lsm of ../shared/reference/grib (TGM_SHARED_DIR).
 * Bounds: rel 1e-2, 1e-3, 1e-4, 1e-5 and psnr 60 (SZ3's own modes).
 *
 * Times are per-thread CPU time, best of `reps` runs: the codec is
 * single-threaded on both sides, and on a shared machine wall time would
 * mix in other processes.  MB/s are over the float64 input.  With SZ3 the
 * program also checks that both streams are byte-identical and that each
 * decoder reproduces the other's values bit for bit.
 *
 * Run: bench_sz3 [n (default 4194304)] [reps (default 5)] */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_common.h"
#include "codecs/sz3.h"
#include "common/alloc.h"
#include "common/buf.h"

#ifdef BENCH_WITH_ECCODES
#include <eccodes.h>
#endif

#ifdef TGM_BENCH_SZ3
size_t bench_sz3_bound(size_t n, int mode, double bound);
size_t bench_sz3_compress(const double *v, size_t n, int mode, double bound, char *out, size_t cap);
int bench_sz3_decompress(const char *s, size_t len, double *out);
#endif

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#define BEST(reps, out, body)                                                                      \
    do {                                                                                           \
        double b_ = 1e30;                                                                          \
        for (int r_ = 0; r_ < (reps); r_++) {                                                      \
            double t0_ = cpu_now();                                                                \
            body;                                                                                  \
            double dt_ = cpu_now() - t0_;                                                          \
            b_ = dt_ < b_ ? dt_ : b_;                                                              \
        }                                                                                          \
        (out) = b_;                                                                                \
    } while (0)

typedef struct field {
    char name[32];
    double *v;
    size_t n;
} field;

#ifdef BENCH_WITH_ECCODES
static int load_grib(const char *dir, const char *name, field *f) {
    char path[4096];
    snprintf(path, sizeof path, "%s/grib/%s.grib2", dir, name);
    FILE *in = fopen(path, "rb");
    if (in == NULL) {
        return -1;
    }
    int err = 0;
    codes_handle *h = codes_handle_new_from_file(NULL, in, PRODUCT_GRIB, &err);
    fclose(in);
    if (h == NULL) {
        return -1;
    }
    size_t n = 0;
    codes_get_size(h, "values", &n);
    f->v = malloc(n * sizeof *f->v);
    if (f->v == NULL || codes_get_double_array(h, "values", f->v, &n) != 0) {
        codes_handle_delete(h);
        free(f->v);
        return -1;
    }
    codes_handle_delete(h);
    f->n = n;
    snprintf(f->name, sizeof f->name, "%s", name);
    return 0;
}
#endif

static const struct {
    tgm_sz3_mode mode;
    double bound;
    const char *label;
} settings[] = {{TGM_SZ3_REL, 1e-2, "rel 1e-2"},
                {TGM_SZ3_REL, 1e-3, "rel 1e-3"},
                {TGM_SZ3_REL, 1e-4, "rel 1e-4"},
                {TGM_SZ3_REL, 1e-5, "rel 1e-5"},
                {TGM_SZ3_PSNR, 60, "psnr 60"}};

static int run_field(const field *f, int reps, double *geo_enc, double *geo_dec, int *cases) {
    size_t bytes = f->n * sizeof(double);
    double *dec = malloc(bytes + 8);
    if (dec == NULL) {
        return -1;
    }
    bench_touch(dec, bytes);
    int bad = 0;
    for (size_t k = 0; k < sizeof settings / sizeof settings[0]; k++) {
        tgm_buf out = TGM_BUF_INIT;
        double te, td;
        size_t len = 0;
        BEST(reps, te, {
            out.len = 0;
            if (tgm__sz3_compress((const uint8_t *)f->v, f->n, settings[k].mode, settings[k].bound,
                                  &out) != TGM_ERROR_OK) {
                fprintf(stderr, "%s %s: compress failed\n", f->name, settings[k].label);
                bad = 1;
            }
            len = out.len;
        });
        BEST(reps, td, {
            if (tgm__sz3_decompress(out.data, len, (uint8_t *)dec, f->n) != TGM_ERROR_OK) {
                fprintf(stderr, "%s %s: decompress failed\n", f->name, settings[k].label);
                bad = 1;
            }
        });
        printf("%-9s %-9s %8.1f %9zu %8.0f %8.0f", f->name, settings[k].label,
               (double)bytes / (double)len, len, bench_mbps(bytes, te), bench_mbps(bytes, td));
#ifdef TGM_BENCH_SZ3
        size_t cap = bench_sz3_bound(f->n, (int)settings[k].mode, settings[k].bound);
        char *s = malloc(cap);
        double *sdec = malloc(bytes + 8);
        size_t slen = 0;
        double se, sd;
        BEST(reps, se, {
            slen = bench_sz3_compress(f->v, f->n, (int)settings[k].mode, settings[k].bound, s, cap);
        });
        BEST(reps, sd, { bench_sz3_decompress(s, slen, sdec); });
        int same = slen == len && memcmp(s, out.data, len) == 0;
        /* SZ3 decodes our stream to our values (streams are identical, but
         * check the decoders too). */
        bench_sz3_decompress((const char *)out.data, len, sdec);
        int values_same = memcmp(sdec, dec, bytes) == 0;
        bad |= !same || !values_same;
        printf(" %8.0f %8.0f %6.2f %6.2f %s", bench_mbps(bytes, se), bench_mbps(bytes, sd), se / te,
               sd / td, same && values_same ? "identical" : "DIFFERENT");
        *geo_enc += log(se / te);
        *geo_dec += log(sd / td);
        free(s);
        free(sdec);
#else
        (void)geo_enc;
        (void)geo_dec;
#endif
        (*cases)++;
        printf("\n");
        tgm__buf_free(&out);
    }
    free(dec);
    return bad ? -1 : 0;
}

int main(int argc, char **argv) {
    size_t n = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : (size_t)4 << 20;
    int reps = argc > 2 ? atoi(argv[2]) : 5;
    field fields[8];
    size_t nf = 0;
    fields[nf].v = bench_smooth_field(n, 42);
    fields[nf].n = n;
    snprintf(fields[nf].name, sizeof fields[nf].name, "smooth");
    nf++;
#ifdef BENCH_WITH_ECCODES
    const char *shared = getenv("TGM_SHARED_DIR");
    if (shared == NULL) {
        shared = "../shared/reference";
    }
    static const char *const grib[] = {"2t", "q_150", "t_600", "lsm"};
    for (size_t i = 0; i < 4; i++) {
        if (load_grib(shared, grib[i], &fields[nf]) == 0) {
            nf++;
        }
    }
    if (nf == 1) {
        printf("(no GRIB fields under %s/grib: smooth field only)\n", shared);
    }
#endif
    printf("sz3: 1-D float64, best of %d, thread CPU time; MB/s over the input\n", reps);
    printf("%-9s %-9s %8s %9s %8s %8s", "field", "bound", "ratio", "bytes", "enc MB/s", "dec MB/s");
#ifdef TGM_BENCH_SZ3
    printf(" %8s %8s %6s %6s %s", "SZ3 enc", "SZ3 dec", "x enc", "x dec", "stream");
#endif
    printf("\n");
    double ge = 0, gd = 0;
    int cases = 0, fail = 0;
    for (size_t i = 0; i < nf; i++) {
        fail |= run_field(&fields[i], reps, &ge, &gd, &cases) != 0;
        free(fields[i].v);
    }
#ifdef TGM_BENCH_SZ3
    printf("geometric mean over %d cases: encode %.2fx, decode %.2fx SZ3 3.3.2\n", cases,
           exp(ge / cases), exp(gd / cases));
#else
    printf("(built without SZ3: -DTGM_BENCH_SZ3_DIR=<SZ3 install prefix> adds the comparison)\n");
#endif
    return fail;
}
