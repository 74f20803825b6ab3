/* bench_szip: throughput of the project's szip codec against libaec on the
 * same data.
 *
 * Data: a smooth float64 field of N values (default 16M) quantised to
 * 16 bits the way simple_packing does it (big-endian 16-bit words), then
 * szip-coded with the tensogram defaults (rsi 128, block 16, preprocessing,
 * MSB).  Throughput is in MB/s of uncompressed bytes (2 bytes per value).
 *
 * Build (standalone; links libaec for the baseline):
 *   gcc -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Iinclude -Isrc
 *       bench/bench_szip.c src/codecs/szip.c src/codecs/szip_enc.c src/codecs/szip_dec.c
 *       src/common/[a-z]*.c -laec -lpthread -lm -o bench_szip
 *
 * Set BENCH_WALL=1 to time single-threaded runs in wall time too.
 * Usage: bench_szip [n_values] [block_size] [rsi] [threads] [repeats] [bits] [noise]
 * (noise: amplitude of the random part of the field, default 0.01 on a
 * range of about 40, i.e. a few quantisation steps at 16 bits)
 * Without libaec, define BENCH_NO_LIBAEC to time the project's codec only. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codecs/codec.h"
#include "codecs/szip.h"
#include "common/buf.h"

#ifndef BENCH_NO_LIBAEC
#include <libaec.h>
#endif

/* Single-threaded runs are timed in process CPU time, which a busy
 * machine disturbs much less than wall time; threaded runs in wall time. */
static clockid_t bench_clock = CLOCK_PROCESS_CPUTIME_ID;

static double now(void) {
    struct timespec ts;
    clock_gettime(bench_clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A smooth 2-D-like field laid out row by row, with a little noise. */
static void make_field(double *v, size_t n, double noise_amp) {
    size_t nx = 4096;
    uint64_t s = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < n; i++) {
        double x = (double)(i % nx) / (double)nx;
        double y = (double)(i / nx) / 4096.0;
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        double noise = (double)(s >> 11) / 9007199254740992.0 - 0.5;
        v[i] = 280.0 + 15.0 * sin(6.28318 * x * 3.0) * cos(6.28318 * y * 2.0) +
               5.0 * sin(6.28318 * (x + y) * 7.0) + noise_amp * noise;
    }
}

/* Quantise to `bits` (<= 32) like simple_packing and write big-endian
 * words of width bytes. */
static void pack(const double *v, size_t n, unsigned bits, unsigned width, uint8_t *out) {
    double lo = 1e300, hi = -1e300;
    for (size_t i = 0; i < n; i++) {
        lo = v[i] < lo ? v[i] : lo;
        hi = v[i] > hi ? v[i] : hi;
    }
    double maxq = bits == 32 ? 4294967295.0 : (double)((1ull << bits) - 1);
    double scale = hi > lo ? maxq / (hi - lo) : 0.0;
    for (size_t i = 0; i < n; i++) {
        uint32_t q = (uint32_t)llround((v[i] - lo) * scale);
        for (unsigned b = 0; b < width; b++) {
            out[i * width + b] = (uint8_t)(q >> (8 * (width - 1 - b)));
        }
    }
}

int main(int argc, char **argv) {
    size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : (size_t)16 << 20;
    unsigned bs = argc > 2 ? (unsigned)atoi(argv[2]) : 16;
    unsigned rsi = argc > 3 ? (unsigned)atoi(argv[3]) : 128;
    unsigned threads = argc > 4 ? (unsigned)atoi(argv[4]) : 1;
    int reps = argc > 5 ? atoi(argv[5]) : 5;
    unsigned bits = argc > 6 ? (unsigned)atoi(argv[6]) : 16;
    double noise_amp = argc > 7 ? atof(argv[7]) : 0.01;
    unsigned flags = TGM_SZIP_DATA_PREPROCESS | TGM_SZIP_DATA_MSB;
    unsigned width = bits <= 8 ? 1 : bits <= 16 ? 2 : bits <= 24 ? 3 : 4;
    if (n == 0 || bits == 0 || bits > 32) {
        fprintf(stderr, "need n_values > 0 and 1 <= bits <= 32\n");
        return 2;
    }

    double *field = malloc(n * sizeof *field);
    size_t nbytes = n * width;
    uint8_t *raw = malloc(nbytes);
    uint8_t *back = malloc(nbytes);
    if (field == NULL || raw == NULL || back == NULL) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    make_field(field, n, noise_amp);
    pack(field, n, bits, width, raw);
    free(field);

    tgm_codec_params p;
    memset(&p, 0, sizeof p);
    tgm_szip_params sp = {rsi, bs, flags, bits};
    TGM_CODEC_OWN_PUT(&p, sp);
    p.threads = threads;

    if (threads > 1 || getenv("BENCH_WALL") != NULL) {
        bench_clock = CLOCK_MONOTONIC;
    }
    double mb = (double)nbytes / 1e6;
    double best_enc = 1e30, best_dec = 1e30;
    tgm_buf out = TGM_BUF_INIT;
#ifndef BENCH_NO_LIBAEC
    size_t cap = nbytes + nbytes / 2 + 1024;
    uint8_t *aout = malloc(cap);
    double a_enc = 1e30, a_dec = 1e30;
    size_t alen = 0;
    unsigned aflags = flags | (width == 3 ? AEC_DATA_3BYTE : 0);
#endif
    /* Runs alternate between the two codecs so that a busy machine slows
     * both alike; the best of `reps` runs counts. */
    for (int r = 0; r < reps; r++) {
        out.len = 0;
        double t0 = now();
        if (tgm__codec_szip.compress(&p, raw, nbytes, &out, NULL) != TGM_ERROR_OK) {
            fprintf(stderr, "encode failed: %s\n", tgm_last_error());
            return 1;
        }
        double t1 = now();
        if (tgm__codec_szip.decompress(&p, out.data, out.len, back, nbytes) != TGM_ERROR_OK) {
            fprintf(stderr, "decode failed: %s\n", tgm_last_error());
            return 1;
        }
        double t2 = now();
        best_enc = t1 - t0 < best_enc ? t1 - t0 : best_enc;
        best_dec = t2 - t1 < best_dec ? t2 - t1 : best_dec;
        if (memcmp(raw, back, nbytes) != 0) {
            fprintf(stderr, "round trip mismatch\n");
            return 1;
        }
#ifndef BENCH_NO_LIBAEC
        struct aec_stream s;
        memset(&s, 0, sizeof s);
        s.next_in = raw;
        s.avail_in = nbytes;
        s.next_out = aout;
        s.avail_out = cap;
        s.bits_per_sample = bits;
        s.block_size = bs;
        s.rsi = rsi;
        s.flags = aflags;
        t0 = now();
        if (aec_buffer_encode(&s) != AEC_OK) {
            fprintf(stderr, "libaec encode failed\n");
            return 1;
        }
        t1 = now();
        alen = cap - s.avail_out;
        memset(&s, 0, sizeof s);
        s.next_in = aout;
        s.avail_in = alen;
        s.next_out = back;
        s.avail_out = nbytes;
        s.bits_per_sample = bits;
        s.block_size = bs;
        s.rsi = rsi;
        s.flags = aflags;
        if (aec_buffer_decode(&s) != AEC_OK) {
            fprintf(stderr, "libaec decode failed\n");
            return 1;
        }
        t2 = now();
        a_enc = t1 - t0 < a_enc ? t1 - t0 : a_enc;
        a_dec = t2 - t1 < a_dec ? t2 - t1 : a_dec;
#endif
    }
    printf("data: %zu values, %u bits, block %u, rsi %u, %.1f MB -> %zu bytes (ratio %.2f)\n", n,
           bits, bs, rsi, mb, out.len, (double)nbytes / (double)out.len);
    printf("timing: best of %d, %s\n", reps,
           bench_clock == CLOCK_MONOTONIC ? "wall clock" : "process CPU time");
    printf("tensogram szip (threads=%u): encode %8.1f MB/s  decode %8.1f MB/s\n", threads,
           mb / best_enc, mb / best_dec);
#ifndef BENCH_NO_LIBAEC
    printf("libaec:                      encode %8.1f MB/s  decode %8.1f MB/s\n", mb / a_enc,
           mb / a_dec);
    printf("ratio (ours / libaec):       encode %8.2fx     decode %8.2fx\n", a_enc / best_enc,
           a_dec / best_dec);
    printf("identical output: %s\n",
           alen == out.len && memcmp(aout, out.data, alen) == 0 ? "yes" : "NO");
    free(aout);
#endif
    tgm__buf_free(&out);
    free(raw);
    free(back);
    return 0;
}
