/* bench_zfp: the project's zfp codec against libzfp 1.0 (the baseline,
 * linked only here and in the tests) on the same values, in one run.
 *
 * Data: the reference's smooth float64 field (bench_common.h), N values.
 * For each mode (fixed_rate 8 / 16 / 32, fixed_precision 16 / 32,
 * fixed_accuracy 1e-2 / 1e-6) it prints encode and decode throughput in
 * MB/s of float64 input for libzfp (zfp_compress / zfp_decompress) and for
 * our codec on one thread with each kernel set this CPU runs, and our
 * ratio to libzfp.  Every stream is checked byte-identical to libzfp's
 * before it is timed.  Then our codec on 1 and T threads (encode and
 * decode, every mode; fixed-rate is the one whose decode splits), and
 * range decode of 64 values from fixed-rate streams of growing size (the
 * time stays flat: only the blocks of the range are read).
 *
 * Single-threaded runs are timed in process CPU time (a busy machine
 * disturbs it less), threaded runs in wall time; best of `reps`.
 * Usage: bench_zfp [n_values (8M)] [reps (5)] [threads (2)] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zfp.h>

#include "bench_common.h"
#include "codecs/codec.h"
#include "codecs/zfp.h"
#include "common/buf.h"

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#define BEST(reps, clock, out, body)                                                               \
    do {                                                                                           \
        double best_ = 1e30;                                                                       \
        for (int r_ = 0; r_ < (reps); r_++) {                                                      \
            double t0_ = clock();                                                                  \
            body;                                                                                  \
            double dt_ = clock() - t0_;                                                            \
            best_ = dt_ < best_ ? dt_ : best_;                                                     \
        }                                                                                          \
        (out) = best_;                                                                             \
    } while (0)

typedef struct {
    const char *name;
    tgm_zfp_mode mode;
    double arg;
} bmode;

static const bmode modes[] = {
    {"fixed_rate 8", TGM_ZFP_FIXED_RATE, 8},
    {"fixed_rate 16", TGM_ZFP_FIXED_RATE, 16},
    {"fixed_rate 32", TGM_ZFP_FIXED_RATE, 32},
    {"fixed_precision 16", TGM_ZFP_FIXED_PRECISION, 16},
    {"fixed_precision 32", TGM_ZFP_FIXED_PRECISION, 32},
    {"fixed_accuracy 1e-2", TGM_ZFP_FIXED_ACCURACY, 1e-2},
    {"fixed_accuracy 1e-6", TGM_ZFP_FIXED_ACCURACY, 1e-6},
};
#define NMODES (sizeof modes / sizeof modes[0])

static tgm_codec_params params(const bmode *m, size_t n, uint32_t threads) {
    tgm_codec_params p;
    tgm__codec_params_init(&p, 8, n * 8);
    p.threads = threads;
    tgm_zfp_params zp = {m->mode, m->arg, (uint32_t)m->arg, m->arg, n};
    TGM_CODEC_OWN_PUT(&p, zp);
    return p;
}

static void lib_mode(zfp_stream *zs, const bmode *m) {
    if (m->mode == TGM_ZFP_FIXED_RATE) {
        zfp_stream_set_rate(zs, m->arg, zfp_type_double, 1, zfp_false);
    } else if (m->mode == TGM_ZFP_FIXED_PRECISION) {
        zfp_stream_set_precision(zs, (uint)m->arg);
    } else {
        zfp_stream_set_accuracy(zs, m->arg);
    }
}

static size_t our_encode(const tgm_codec_params *p, const double *v, size_t n, tgm_buf *b) {
    b->len = 0;
    if (tgm__codec_zfp.compress(p, (const uint8_t *)v, 8 * n, b, NULL) != TGM_ERROR_OK) {
        fprintf(stderr, "encode failed: %s\n", tgm_last_error());
        exit(1);
    }
    return b->len;
}

static void our_decode(const tgm_codec_params *p, const uint8_t *z, size_t len, double *out,
                       size_t n) {
    if (tgm__codec_zfp.decompress(p, z, len, (uint8_t *)out, 8 * n) != TGM_ERROR_OK) {
        fprintf(stderr, "decode failed: %s\n", tgm_last_error());
        exit(1);
    }
}

static const char *const isa_names[] = {"", "portable", "avx2", "avx2+bmi2", "avx512"};

int main(int argc, char **argv) {
    size_t n = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : ((size_t)8 << 20);
    int reps = argc > 2 ? atoi(argv[2]) : 5;
    uint32_t threads = argc > 3 ? (uint32_t)atoi(argv[3]) : 2;
    size_t nbytes = 8 * n;
    double *v = bench_smooth_field(n, 42);
    double *back = malloc(nbytes + 8), *ref = malloc(nbytes + 8);
    bench_touch(back, nbytes);
    bench_touch(ref, nbytes);
    tgm_buf ours = TGM_BUF_INIT;

    int have[5] = {0};
    for (int isa = TGM_ZFP_ISA_PORTABLE; isa <= TGM_ZFP_ISA_AVX512; isa++) {
        have[isa] = tgm__zfp_force_isa((tgm_zfp_isa)isa) == 0;
    }
    tgm__zfp_force_isa(TGM_ZFP_ISA_AUTO);
    printf("zfp: %zu float64 values (%.1f MB), best of %d; kernels in use: %s\n\n", n,
           (double)nbytes / 1e6, reps, tgm__zfp_kernels()->name);
    printf("one thread, MB/s of float64 (ratio to libzfp):\n");
    printf("| mode | bits/value | libzfp enc | libzfp dec |");
    for (int isa = TGM_ZFP_ISA_AVX512; isa >= TGM_ZFP_ISA_PORTABLE; isa--) {
        if (have[isa]) {
            printf(" %s enc | %s dec |", isa_names[isa], isa_names[isa]);
        }
    }
    printf("\n|---|---|---|---|");
    for (int isa = TGM_ZFP_ISA_AVX512; isa >= TGM_ZFP_ISA_PORTABLE; isa--) {
        if (have[isa]) {
            printf("---|---|");
        }
    }
    printf("\n");

    for (size_t mi = 0; mi < NMODES; mi++) {
        const bmode *m = &modes[mi];
        /* libzfp */
        zfp_field *f = zfp_field_1d(v, zfp_type_double, n);
        zfp_field *fo = zfp_field_1d(ref, zfp_type_double, n);
        zfp_stream *zs = zfp_stream_open(NULL);
        lib_mode(zs, m);
        size_t cap = zfp_stream_maximum_size(zs, f);
        uint8_t *lz = malloc(cap);
        bench_touch(lz, cap);
        bitstream *bs = stream_open(lz, cap);
        zfp_stream_set_bit_stream(zs, bs);
        size_t llen = 0;
        double t_le, t_ld;
        BEST(reps, cpu_now, t_le, {
            zfp_stream_rewind(zs);
            llen = zfp_compress(zs, f);
        });
        BEST(reps, cpu_now, t_ld, {
            zfp_stream_rewind(zs);
            zfp_decompress(zs, fo);
        });
        printf("| %s | %.2f | %.0f | %.0f |", m->name, 8.0 * (double)llen / (double)n,
               bench_mbps(nbytes, t_le), bench_mbps(nbytes, t_ld));
        tgm_codec_params p = params(m, n, 1);
        for (int isa = TGM_ZFP_ISA_AVX512; isa >= TGM_ZFP_ISA_PORTABLE; isa--) {
            if (!have[isa]) {
                continue;
            }
            tgm__zfp_force_isa((tgm_zfp_isa)isa);
            size_t len = our_encode(&p, v, n, &ours);
            if (len != llen || memcmp(ours.data, lz, len) != 0) {
                fprintf(stderr, "\n%s: stream differs from libzfp's (%zu vs %zu bytes)\n", m->name,
                        len, llen);
                return 1;
            }
            our_decode(&p, lz, llen, back, n);
            if (memcmp(back, ref, nbytes) != 0) {
                fprintf(stderr, "\n%s: decoded values differ from libzfp's\n", m->name);
                return 1;
            }
            double t_e, t_d;
            BEST(reps, cpu_now, t_e, our_encode(&p, v, n, &ours));
            BEST(reps, cpu_now, t_d, our_decode(&p, lz, llen, back, n));
            printf(" %.0f (%.2fx) | %.0f (%.2fx) |", bench_mbps(nbytes, t_e), t_le / t_e,
                   bench_mbps(nbytes, t_d), t_ld / t_d);
        }
        printf("\n");
        fflush(stdout);
        tgm__zfp_force_isa(TGM_ZFP_ISA_AUTO);
        stream_close(bs);
        zfp_stream_close(zs);
        zfp_field_free(f);
        zfp_field_free(fo);
        free(lz);
    }

    printf("\nthreads (%s kernels, wall time), MB/s of float64:\n", tgm__zfp_kernels()->name);
    printf("| mode | enc 1 thread | enc %u threads | speed-up | dec 1 thread | dec %u threads | "
           "speed-up |\n|---|---|---|---|---|---|---|\n",
           threads, threads);
    for (size_t mi = 0; mi < NMODES; mi++) {
        const bmode *m = &modes[mi];
        tgm_codec_params p1 = params(m, n, 1), pt = params(m, n, threads);
        size_t len = our_encode(&p1, v, n, &ours);
        uint8_t *z = malloc(len);
        memcpy(z, ours.data, len);
        double e1, et, d1, dt;
        BEST(reps, bench_now, e1, our_encode(&p1, v, n, &ours));
        BEST(reps, bench_now, et, our_encode(&pt, v, n, &ours));
        if (ours.len != len || memcmp(ours.data, z, len) != 0) {
            fprintf(stderr, "%s: threaded stream differs\n", m->name);
            return 1;
        }
        BEST(reps, bench_now, d1, our_decode(&p1, z, len, back, n));
        BEST(reps, bench_now, dt, our_decode(&pt, z, len, ref, n));
        if (memcmp(back, ref, nbytes) != 0) {
            fprintf(stderr, "%s: threaded decode differs\n", m->name);
            return 1;
        }
        printf("| %s | %.0f | %.0f | %.2fx | %.0f | %.0f | %.2fx |\n", m->name,
               bench_mbps(nbytes, e1), bench_mbps(nbytes, et), e1 / et, bench_mbps(nbytes, d1),
               bench_mbps(nbytes, dt), d1 / dt);
        fflush(stdout);
        free(z);
    }

    printf("\nrange decode of 64 values (fixed_rate 16, middle of the object), microseconds:\n");
    printf("| values in the object | stream bytes | range decode | full decode |\n"
           "|---|---|---|---|\n");
    const bmode *r16 = &modes[1];
    for (size_t rn = (size_t)1 << 16; rn <= n; rn <<= 2) {
        tgm_codec_params p = params(r16, rn, 1);
        size_t len = our_encode(&p, v, rn, &ours);
        double tr, tf;
        int inner = 2000;
        BEST(reps, bench_now, tr, {
            for (int k = 0; k < inner; k++) {
                size_t pos = rn / 2 + (size_t)(k % 64) * 4;
                tgm__codec_zfp.decompress_range(&p, ours.data, len, NULL, 0, 8 * pos, 8 * 64,
                                                (uint8_t *)back);
            }
        });
        BEST(reps, bench_now, tf, our_decode(&p, ours.data, len, ref, rn));
        printf("| %zu | %zu | %.2f | %.0f |\n", rn, len, tr / inner * 1e6, tf * 1e6);
    }
    tgm__buf_free(&ours);
    free(v);
    free(back);
    free(ref);
    return 0;
}
