/* Thread scaling of tgm_encode / tgm_decode: one message of 8 float64
 * objects (1M values each, the smooth benchmark field) through six
 * pipelines, timed with threads = 1, 2, ... up to the core count (or argv[1]),
 * best of argv[2] (default 11) runs.
 * Prints throughput over the raw data size, the speed-up over 1 thread, and
 * whether the message is byte-identical to the 1-thread one. */
#include "bench_common.h"

#include <unistd.h>

#include "tensogram/tensogram.h"

#define NOBJ 8
#define NVAL (1u << 20)

static void die(const char *what, tgm_error e) {
    fprintf(stderr, "%s: %s (%s)\n", what, tgm_error_string(e), tgm_last_error());
    exit(1);
}

static char *metadata(const char *stages) {
    size_t cap = 512 + NOBJ * (strlen(stages) + 200);
    char *s = malloc(cap);
    size_t n = (size_t)snprintf(s, cap, "{\"version\":3,\"descriptors\":[");
    for (int i = 0; i < NOBJ; i++) {
        n += (size_t)snprintf(s + n, cap - n,
                              "%s{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[%u],\"strides\":[1],"
                              "\"dtype\":\"float64\",%s}",
                              i ? "," : "", NVAL, stages);
    }
    snprintf(s + n, cap - n, "]}");
    return s;
}

int main(int argc, char **argv) {
    /* Fixed provenance, so that messages from different thread counts can
     * be compared byte for byte. */
    setenv("TENSOGRAM_PROVENANCE",
           "{\"encoder\":{\"name\":\"bench\",\"version\":\"0\"},\"time\":\"2026-01-01T00:00:00Z\","
           "\"uuid\":\"00000000-0000-4000-8000-000000000000\"}",
           1);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    uint32_t max_threads = argc > 1 ? (uint32_t)atoi(argv[1]) : (uint32_t)(cores > 0 ? cores : 1);
    int reps = argc > 2 ? atoi(argv[2]) : 11;
    static const struct {
        const char *name, *stages;
    } cases[] = {
        {"none", "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"none\""},
        {"zstd(3)", "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"zstd\","
                    "\"zstd_level\":3"},
        {"sp16", "\"encoding\":\"simple_packing\",\"sp_bits_per_value\":16,"
                 "\"filter\":\"none\",\"compression\":\"none\""},
        {"shuffle", "\"encoding\":\"none\",\"filter\":\"shuffle\",\"shuffle_element_size\":8,"
                    "\"compression\":\"none\""},
        {"shuffle+lz4", "\"encoding\":\"none\",\"filter\":\"shuffle\",\"shuffle_element_size\":8,"
                        "\"compression\":\"lz4\""},
        {"sp24+szip", "\"encoding\":\"simple_packing\",\"sp_bits_per_value\":24,"
                      "\"filter\":\"none\",\"compression\":\"szip\",\"szip_rsi\":128,"
                      "\"szip_block_size\":16,\"szip_flags\":8"},
    };
    double *fields[NOBJ];
    const uint8_t *ptrs[NOBJ];
    size_t lens[NOBJ];
    for (int i = 0; i < NOBJ; i++) {
        fields[i] = bench_smooth_field(NVAL, 42 + (uint64_t)i);
        ptrs[i] = (const uint8_t *)fields[i];
        lens[i] = NVAL * sizeof(double);
    }
    size_t raw = (size_t)NOBJ * NVAL * sizeof(double);
    printf("%d objects x %u float64 (%.1f MB raw), %ld cores\n", NOBJ, NVAL, (double)raw / 1e6,
           cores);
    /* Baseline: copying the raw data into a fresh allocation, as encode and
     * decode must (first-touch page faults included). */
    double tcopy;
    BENCH_BEST(5, tcopy, {
        uint8_t *dst = malloc(raw);
        for (int i = 0; i < NOBJ; i++) {
            memcpy(dst + (size_t)i * lens[i], ptrs[i], lens[i]);
        }
        volatile uint8_t keep = dst[raw - 1];
        (void)keep;
        free(dst);
    });
    printf("baseline memcpy into a fresh buffer: %.0f MB/s\n", bench_mbps(raw, tcopy));
    printf("%-12s %7s %10s %8s %10s %8s  %s\n", "pipeline", "threads", "enc MB/s", "speedup",
           "dec MB/s", "speedup", "output");
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char *meta = metadata(cases[c].stages);
        double enc1 = 0, dec1 = 0;
        tgm_bytes_t first = {0}; /* the 1-thread message */
        for (uint32_t t = 1; t <= max_threads; t++) {
            tgm_bytes_t msg = {0};
            tgm_error e;
            double te, td;
            BENCH_BEST(reps, te, {
                tgm_bytes_free(msg);
                if ((e = tgm_encode(meta, ptrs, lens, NOBJ, "xxh3", t, &msg)) != TGM_ERROR_OK) {
                    die("encode", e);
                }
            });
            BENCH_BEST(reps, td, {
                tgm_message_t *m;
                if ((e = tgm_decode(msg.data, msg.len, 1, t, 1, &m)) != TGM_ERROR_OK) {
                    die("decode", e);
                }
                tgm_message_free(m);
            });
            const char *same = "";
            if (t == 1) {
                enc1 = te;
                dec1 = td;
                first = msg;
                msg.data = NULL;
            } else {
                same = msg.len == first.len && memcmp(msg.data, first.data, msg.len) == 0
                           ? "identical to 1 thread"
                           : "DIFFERS from 1 thread";
            }
            printf("%-12s %7u %10.0f %7.2fx %10.0f %7.2fx  %s\n", cases[c].name, t,
                   bench_mbps(raw, te), enc1 / te, bench_mbps(raw, td), dec1 / td, same);
            tgm_bytes_free(msg);
        }
        tgm_bytes_free(first);
        free(meta);
    }
    for (int i = 0; i < NOBJ; i++) {
        free(fields[i]);
    }
    return 0;
}
