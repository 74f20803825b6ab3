/* The plain pipeline (encoding, filter, compression all "none"): what a
 * Tensogram message costs over copying the bytes, into fresh memory and
 * into memory the caller already has.
 *
 *   bench_plain [num_values (default 16777216)] [repeats (default 7)]
 *
 * One float64 object.  Rows:
 *   tgm_encode            new message buffer      vs memcpy into a fresh malloc
 *   tgm_encode_into       caller's buffer (warm)  vs memcpy into a warm buffer
 *   tgm_decode            new decoded buffer      vs memcpy into a fresh malloc
 *   tgm_decode_object_into caller's buffer (warm) vs memcpy into a warm buffer
 *   tgm_decode_object_view zero copy (pointer into the message)
 * each without and with the xxh3 hash (written on encode, verified on
 * decode).  MB/s over the float64 bytes. */
#include "bench_common.h"

#include "tensogram/tensogram.h"

static void die(const char *what) {
    fprintf(stderr, "%s: %s\n", what, tgm_last_error());
    exit(1);
}

int main(int argc, char **argv) {
    size_t n = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : (size_t)1 << 24;
    int reps = argc > 2 ? atoi(argv[2]) : 7;
    size_t bytes = n * 8;
    double *v = bench_smooth_field(n, 42);
    uint8_t *warm = malloc(bytes + 65536);
    if (v == NULL || warm == NULL) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    bench_touch(warm, bytes + 65536);
    char meta[256];
    snprintf(meta, sizeof meta,
             "{\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[%zu],\"strides\":[1],"
             "\"dtype\":\"float64\",\"encoding\":\"none\",\"filter\":\"none\","
             "\"compression\":\"none\"}]}",
             n);
    const uint8_t *ptrs[1] = {(const uint8_t *)v};
    size_t lens[1] = {bytes};

    double m_fresh, m_warm;
    BENCH_BEST(reps, m_fresh, {
        uint8_t *d = malloc(bytes);
        memcpy(d, v, bytes);
        volatile uint8_t keep = d[bytes - 1];
        (void)keep;
        free(d);
    });
    BENCH_BEST(reps, m_warm, memcpy(warm, v, bytes));
    printf("none/none, %zu float64 values (%.1f MiB), best of %d\n", n, (double)bytes / 1048576.0,
           reps);
    printf("memcpy fresh %.0f MB/s, memcpy warm %.0f MB/s\n", bench_mbps(bytes, m_fresh),
           bench_mbps(bytes, m_warm));
    printf("%-24s %-5s %10s %10s\n", "operation", "hash", "MB/s", "x memcpy");

    static const char *const hashes[2] = {"none", "xxh3"};
    for (int h = 0; h < 2; h++) {
        double t;
        tgm_bytes_t msg = {NULL, 0};
        BENCH_BEST(reps, t, {
            tgm_bytes_free(msg);
            if (tgm_encode(meta, ptrs, lens, 1, hashes[h], 1, &msg) != TGM_ERROR_OK) {
                die("encode");
            }
        });
        printf("%-24s %-5s %10.0f %10.2f\n", "tgm_encode", hashes[h], bench_mbps(bytes, t),
               m_fresh / t);
        size_t len = 0;
        BENCH_BEST(reps, t, {
            if (tgm_encode_into(meta, ptrs, lens, 1, hashes[h], 1, NULL, warm, bytes + 65536,
                                &len) != TGM_ERROR_OK) {
                die("encode_into");
            }
        });
        printf("%-24s %-5s %10.0f %10.2f\n", "tgm_encode_into", hashes[h], bench_mbps(bytes, t),
               m_warm / t);
        int verify = h;
        BENCH_BEST(reps, t, {
            tgm_message_t *m;
            if (tgm_decode(msg.data, msg.len, 1, 1, verify, &m) != TGM_ERROR_OK) {
                die("decode");
            }
            tgm_message_free(m);
        });
        printf("%-24s %-5s %10.0f %10.2f\n", "tgm_decode", hashes[h], bench_mbps(bytes, t),
               m_fresh / t);
        BENCH_BEST(reps, t, {
            if (tgm_decode_object_into(msg.data, msg.len, 0, 1, 1, verify, NULL, warm, bytes,
                                       &len) != TGM_ERROR_OK) {
                die("decode_object_into");
            }
        });
        printf("%-24s %-5s %10.0f %10.2f\n", "tgm_decode_object_into", hashes[h],
               bench_mbps(bytes, t), m_warm / t);
        if (h == 0) {
            const uint8_t *d;
            BENCH_BEST(reps, t, {
                if (tgm_decode_object_view(msg.data, msg.len, 0, &d, &len) != TGM_ERROR_OK ||
                    d == NULL) {
                    die("decode_object_view");
                }
            });
            printf("%-24s %-5s %10.0f %10.0f\n", "tgm_decode_object_view", "none",
                   bench_mbps(bytes, t), m_warm / t);
        }
        tgm_bytes_free(msg);
    }
    free(v);
    free(warm);
    return 0;
}
