/* bench_blosc2: blosc2 frame encode / decode throughput for every inner
 * codec, against memcpy of the same buffer and, when built with
 * TGM_BENCH_CBLOSC2, against c-blosc2 itself doing the same work (the
 * reference's path: one super-chunk append per 256 MiB chunk, serialised
 * to a contiguous frame; decode chunk by chunk).
 *
 * Build (from the repository root):
 *   gcc -std=c11 -O3 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -DTGM_HAVE_LZ4 -DTGM_HAVE_ZSTD \
 *       -Iinclude -Isrc bench/bench_blosc2.c src/codecs/blosc2*.c src/common/[a-z]*.c \
 *       -o bench_blosc2 -llz4 -lzstd -lz -lpthread -lm
 * With c-blosc2 for comparison (its headers and library built elsewhere):
 *   add -DTGM_BENCH_CBLOSC2 -I<c-blosc2>/include <c-blosc2-build>/blosc/libblosc2.a -ldl
 * Run: ./bench_blosc2 [bytes (default 67108864)] [repeats (default 3)] [threads (default 4)]
 *
 * Input: float32 values of a smooth 2-D field with small noise (a stand-in
 * for a weather field), typesize 4, byte shuffle (the reference's cparams). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codecs/blosc2.h"
#include "common/buf.h"

#ifdef TGM_BENCH_CBLOSC2
#include <blosc2.h>
#endif

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static const struct {
    const char *name;
    int code;
    int clevel;
} cases[] = {{"blosclz", TGM_BLOSC2_BLOSCLZ, 5}, {"blosclz", TGM_BLOSC2_BLOSCLZ, 9},
             {"lz4", TGM_BLOSC2_LZ4, 5},         {"lz4hc", TGM_BLOSC2_LZ4HC, 5},
             {"zlib", TGM_BLOSC2_ZLIB, 5},       {"zstd", TGM_BLOSC2_ZSTD, 1},
             {"zstd", TGM_BLOSC2_ZSTD, 5}};

#ifdef TGM_BENCH_CBLOSC2
/* The reference's way of building a frame with c-blosc2. */
static int64_t cb_encode(int code, int clevel, int threads, const uint8_t *src, size_t n,
                         uint8_t **frame, int *needs_free) {
    blosc2_cparams cp = BLOSC2_CPARAMS_DEFAULTS;
    cp.compcode = (uint8_t)code;
    cp.clevel = (uint8_t)clevel;
    cp.typesize = 4;
    cp.nthreads = (int16_t)threads;
    blosc2_dparams dp = BLOSC2_DPARAMS_DEFAULTS;
    dp.nthreads = (int16_t)threads;
    blosc2_storage st = {.contiguous = false, .cparams = &cp, .dparams = &dp};
    blosc2_schunk *sc = blosc2_schunk_new(&st);
    size_t chunk = (size_t)256 << 20;
    for (size_t o = 0; o < n; o += chunk) {
        size_t l = n - o < chunk ? n - o : chunk;
        if (blosc2_schunk_append_buffer(sc, src + o, (int32_t)l) < 0) {
            return -1;
        }
    }
    bool nf;
    int64_t len = blosc2_schunk_to_buffer(sc, frame, &nf);
    *needs_free = nf;
    if (!nf) {
        /* the frame belongs to the super-chunk: copy it out */
        uint8_t *c = malloc((size_t)len);
        memcpy(c, *frame, (size_t)len);
        *frame = c;
        *needs_free = 1;
    }
    blosc2_schunk_free(sc);
    return len;
}

static int cb_decode(const uint8_t *frame, int64_t len, uint8_t *dst, size_t n, int threads) {
    blosc2_schunk *sc = blosc2_schunk_from_buffer((uint8_t *)(uintptr_t)frame, len, false);
    if (sc == NULL) {
        return -1;
    }
    blosc2_dparams dp = BLOSC2_DPARAMS_DEFAULTS;
    dp.nthreads = (int16_t)threads;
    dp.schunk = sc;
    blosc2_free_ctx(sc->dctx);
    sc->dctx = blosc2_create_dctx(dp);
    size_t pos = 0;
    for (int64_t i = 0; i < sc->nchunks; i++) {
        int r = blosc2_schunk_decompress_chunk(sc, i, dst + pos, (int32_t)(n - pos));
        if (r < 0) {
            blosc2_schunk_free(sc);
            return -1;
        }
        pos += (size_t)r;
    }
    blosc2_schunk_free(sc);
    return pos == n ? 0 : -1;
}
#endif

int main(int argc, char **argv) {
    size_t n = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : (size_t)64 << 20;
    int reps = argc > 2 ? atoi(argv[2]) : 3;
    uint32_t threads = argc > 3 ? (uint32_t)atoi(argv[3]) : 4;
    n -= n % 4;
    uint8_t *src = malloc(n), *dst = malloc(n);
    if (src == NULL || dst == NULL) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    size_t nx = 1440, count = n / 4;
    uint32_t s = 12345;
    for (size_t i = 0; i < count; i++) {
        s = s * 1664525u + 1013904223u;
        double x = (double)(i % nx) / (double)nx, y = (double)(i / nx) / 721.0;
        float v = (float)(280.0 + 20.0 * sin(6.28 * x) * cos(3.14 * y) + 1e-3 * (double)(s >> 20));
        memcpy(src + 4 * i, &v, 4);
    }
#ifdef TGM_BENCH_CBLOSC2
    blosc2_init();
#endif

    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        memcpy(dst, src, n);
        double t = now() - t0;
        best = t < best ? t : best;
    }
    double mcp = (double)n / best / 1e6;
    printf("blosc2 frames, %.1f MiB float32 field, typesize 4, shuffle, best of %d; memcpy %.0f "
           "MB/s\n",
           (double)n / 1048576.0, reps, mcp);
    printf("%-8s %2s %3s %7s %9s %9s %7s %7s", "codec", "cl", "thr", "ratio", "enc MB/s",
           "dec MB/s", "enc/mcp", "dec/mcp");
#ifdef TGM_BENCH_CBLOSC2
    printf(" %11s %11s %8s %8s", "c-b2 enc", "c-b2 dec", "enc/c-b2", "dec/c-b2");
#endif
    printf("\n");

    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (uint32_t t = 1; t <= threads; t = (t == 1 && threads > 1) ? threads : t + threads) {
            tgm_b2_frame_opts o;
            tgm__b2_frame_opts_default(&o, (tgm_blosc2_inner)cases[c].code, cases[c].clevel, 4, t);
            double be = 1e30, bd = 1e30;
            size_t flen = 0;
            tgm_buf b = TGM_BUF_INIT;
            for (int r = 0; r < reps; r++) {
                b.len = 0;
                double t0 = now();
                if (tgm__b2_frame_encode(&o, src, n, &b) != TGM_ERROR_OK) {
                    fprintf(stderr, "encode failed: %s\n", tgm_last_error());
                    return 1;
                }
                double te = now() - t0;
                be = te < be ? te : be;
                flen = b.len;
                t0 = now();
                if (tgm__b2_frame_decode(b.data, b.len, n, 0, n, dst, t) != TGM_ERROR_OK ||
                    memcmp(dst, src, n) != 0) {
                    fprintf(stderr, "decode failed: %s\n", tgm_last_error());
                    return 1;
                }
                double td = now() - t0;
                bd = td < bd ? td : bd;
            }
            double enc = (double)n / be / 1e6, dec = (double)n / bd / 1e6;
            printf("%-8s %2d %3u %7.2f %9.0f %9.0f %7.2f %7.2f", cases[c].name, cases[c].clevel, t,
                   (double)n / (double)flen, enc, dec, enc / mcp, dec / mcp);
#ifdef TGM_BENCH_CBLOSC2
            double ce = 1e30, cd = 1e30;
            for (int r = 0; r < reps; r++) {
                uint8_t *fr;
                int nf;
                double t0 = now();
                int64_t fl = cb_encode(cases[c].code, cases[c].clevel, (int)t, src, n, &fr, &nf);
                double te = now() - t0;
                ce = te < ce ? te : ce;
                t0 = now();
                if (fl < 0 || cb_decode(fr, fl, dst, n, (int)t) != 0 || memcmp(dst, src, n)) {
                    fprintf(stderr, "c-blosc2 failed\n");
                    return 1;
                }
                double td = now() - t0;
                cd = td < cd ? td : cd;
                if (r == 0 && t == 1 && ((size_t)fl != b.len || memcmp(fr, b.data, b.len) != 0)) {
                    printf(" (frames differ)");
                }
                if (nf) {
                    free(fr);
                }
            }
            double cenc = (double)n / ce / 1e6, cdec = (double)n / cd / 1e6;
            printf(" %11.0f %11.0f %8.2f %8.2f", cenc, cdec, enc / cenc, dec / cdec);
#endif
            printf("\n");
            tgm__buf_free(&b);
        }
    }
    free(src);
    free(dst);
    return 0;
}
