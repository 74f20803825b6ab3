/* bench_scan: scanning speed on 16 MiB inputs, valid and hostile, in memory
 * (tgm_scan) and as a file (tgm_file_open + tgm_file_message_count), against
 * memcpy of the same bytes as the in-run baseline.  Scanning must stay
 * linear on any input: a hostile input may be slower per byte than valid
 * messages, but a quadratic case shows as a ratio thousands of times worse.
 *
 *   bench_scan [dir]      (dir: where the file copies go; default /tmp) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tensogram/tensogram.h"

#define SIZE ((size_t)16 << 20)

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void be64(uint8_t *p, uint64_t v) {
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

static void preamble(uint8_t *p, uint64_t tl) {
    memcpy(p, "TENSOGRM", 8);
    p[8] = 0;
    p[9] = 3;
    memset(p + 10, 0, 6);
    be64(p + 16, tl);
}

/* A minimal HeaderMetadata-typed frame of `len` bytes (len >= 28). */
static void frame(uint8_t *p, size_t len) {
    memset(p, 0, len);
    p[0] = 'F';
    p[1] = 'R';
    p[3] = 1;
    p[5] = 1;
    be64(p + 8, len);
    memcpy(p + len - 4, "ENDF", 4);
}

static uint8_t *make(const char *kind, size_t *n) {
    uint8_t *b = calloc(SIZE, 1);
    size_t len = SIZE;
    if (strcmp(kind, "valid") == 0 || strcmp(kind, "streamed") == 0) {
        /* 1 KiB int32 messages, back to back (streamed: total_length 0) */
        int32_t v[256] = {0};
        const uint8_t *ptrs[1] = {(const uint8_t *)v};
        size_t lens[1] = {sizeof v};
        tgm_bytes_t m;
        if (tgm_encode("{\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[256],"
                       "\"strides\":[1],\"dtype\":\"int32\",\"encoding\":\"none\","
                       "\"filter\":\"none\",\"compression\":\"none\"}]}",
                       ptrs, lens, 1, "xxh3", 0, &m) != TGM_ERROR_OK) {
            fprintf(stderr, "encode: %s\n", tgm_last_error());
            exit(1);
        }
        if (strcmp(kind, "streamed") == 0) {
            memset((uint8_t *)m.data + 16, 0, 8);
            memset((uint8_t *)m.data + m.len - 16, 0, 8);
        }
        len = SIZE / m.len * m.len;
        for (size_t p = 0; p < len; p += m.len) {
            memcpy(b + p, m.data, m.len);
        }
        tgm_bytes_free(m);
    } else if (strcmp(kind, "preamble_stubs") == 0) {
        /* streaming preambles back to back, nothing else */
        len = SIZE / 24 * 24;
        for (size_t p = 0; p < len; p += 24) {
            preamble(b + p, 0);
        }
    } else if (strcmp(kind, "frame_chain") == 0) {
        /* one long chain of frames, each hiding a streaming preamble whose
         * walk would follow the rest of the chain; no postamble anywhere */
        preamble(b, 0);
        size_t p = 24;
        while (p + 64 <= SIZE) {
            frame(b + p, 64);
            preamble(b + p + 16, 0);
            p += 64;
        }
        len = p;
    } else if (strcmp(kind, "nested_claims") == 0) {
        /* preambles every 64 bytes, each claiming to end at the buffer's
         * end, where a postamble with total_length 0 waits */
        len = SIZE / 64 * 64;
        for (size_t p = 0; p + 64 <= len - 24; p += 64) {
            preamble(b + p, len - p);
        }
        memcpy(b + len - 8, "39277777", 8);
    } else if (strcmp(kind, "all_T") == 0) {
        memset(b, 'T', len);
    } else if (strcmp(kind, "magic_no_version") == 0) {
        for (size_t p = 0; p + 8 <= len; p += 8) {
            memcpy(b + p, "TENSOGRM", 8);
        }
    } else if (strcmp(kind, "end_magics") == 0) {
        /* a streaming preamble, then end magics everywhere */
        for (size_t p = 0; p + 8 <= len; p += 8) {
            memcpy(b + p, "39277777", 8);
        }
        preamble(b, 0);
    }
    *n = len;
    return b;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    static const char *const kinds[] = {
        "valid",         "streamed", "preamble_stubs",   "frame_chain",
        "nested_claims", "all_T",    "magic_no_version", "end_magics"};
    printf("%-18s %10s %12s %12s %12s %10s\n", "input (16 MiB)", "messages", "memcpy MB/s",
           "scan MB/s", "file MB/s", "scan/memcpy");
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        size_t n;
        uint8_t *b = make(kinds[k], &n);
        uint8_t *copy = malloc(n);
        memcpy(copy, b, n); /* fault the pages in */
        double t0 = now();
        for (int r = 0; r < 4; r++) {
            memcpy(copy, b, n);
            __asm__ volatile("" : : "r"(copy) : "memory");
        }
        double t_memcpy = (now() - t0) / 4;
        free(copy);
        double t_scan = 1e30;
        size_t count = 0;
        for (int r = 0; r < 3; r++) {
            t0 = now();
            tgm_scan_result_t *sr = NULL;
            if (tgm_scan(b, n, &sr) != TGM_ERROR_OK) {
                fprintf(stderr, "scan: %s\n", tgm_last_error());
                return 1;
            }
            double t = now() - t0;
            t_scan = t < t_scan ? t : t_scan;
            count = tgm_scan_count(sr);
            tgm_scan_free(sr);
        }
        char path[1024];
        snprintf(path, sizeof path, "%s/bench_scan_%d.tgm", dir, (int)getpid());
        FILE *f = fopen(path, "wb");
        if (f == NULL || fwrite(b, 1, n, f) != n || fclose(f) != 0) {
            fprintf(stderr, "cannot write %s\n", path);
            return 1;
        }
        double t_file = 1e30;
        size_t fcount = 0;
        for (int r = 0; r < 3; r++) {
            t0 = now();
            tgm_file_t *tf = NULL;
            if (tgm_file_open(path, &tf) != TGM_ERROR_OK ||
                tgm_file_message_count(tf, &fcount) != TGM_ERROR_OK) {
                fprintf(stderr, "file: %s\n", tgm_last_error());
                return 1;
            }
            double t = now() - t0;
            t_file = t < t_file ? t : t_file;
            tgm_file_close(tf);
        }
        unlink(path);
        if (fcount != count) {
            fprintf(stderr, "%s: file count %zu != scan count %zu\n", kinds[k], fcount, count);
            return 1;
        }
        double mb = (double)n / 1e6;
        printf("%-18s %10zu %12.0f %12.0f %12.0f %10.2f\n", kinds[k], count, mb / t_memcpy,
               mb / t_scan, mb / t_file, t_scan / t_memcpy);
        free(b);
    }
    return 0;
}
