/* Many small tensors (the webdataset / ML-sample case): per-tensor framing
 * cost of Tensogram against a tenbin-style baseline that writes a fixed
 * header (magic, dtype, rank, shape) and the raw bytes, 64-byte aligned.
 *
 * Each sample is one float32 tensor of 3 x S x S (S = 8, 32, 128).
 * Encode: tgm_encode_into (caller buffer, no allocation), hash none and
 * xxh3.  `bench_framing S` runs one size.  Decode: tgm_decode_object_view (zero copy) and
 * tgm_decode_object_into (copy into caller memory, hash verified).  Baseline encode = header +
 * memcpy; baseline decode = header parse + memcpy. */
#include "bench_common.h"

#include "tensogram/tensogram.h"

#define NSAMPLES 2000

static void die(const char *what, tgm_error e) {
    fprintf(stderr, "%s: %s (%s)\n", what, tgm_error_string(e), tgm_last_error());
    exit(1);
}

/* tenbin-style record: "~TenBin~" | dtype code | rank | shape[rank] as
 * uint64 | padding to 64 | data | padding to 64. */
static size_t tenbin_put(uint8_t *dst, const float *v, const uint64_t *shape, int rank) {
    size_t n = 1;
    memcpy(dst, "~TenBin~", 8);
    uint64_t code = 0x66333220; /* "f32 " */
    uint64_t r = (uint64_t)rank;
    memcpy(dst + 8, &code, 8);
    memcpy(dst + 16, &r, 8);
    for (int i = 0; i < rank; i++) {
        memcpy(dst + 24 + 8 * (size_t)i, &shape[i], 8);
        n *= shape[i];
    }
    size_t off = (24 + 8 * (size_t)rank + 63) & ~(size_t)63;
    memcpy(dst + off, v, n * 4);
    return (off + n * 4 + 63) & ~(size_t)63;
}

static size_t tenbin_get(const uint8_t *src, float *out) {
    uint64_t r, shape, n = 1;
    if (memcmp(src, "~TenBin~", 8) != 0) {
        exit(1);
    }
    memcpy(&r, src + 16, 8);
    for (uint64_t i = 0; i < r; i++) {
        memcpy(&shape, src + 24 + 8 * i, 8);
        n *= shape;
    }
    size_t off = (24 + 8 * (size_t)r + 63) & ~(size_t)63;
    memcpy(out, src + off, n * 4);
    return (off + n * 4 + 63) & ~(size_t)63;
}

static void run(unsigned side) {
    size_t nval = 3u * side * side;
    size_t raw = nval * 4;
    float *v = malloc(raw);
    for (size_t i = 0; i < nval; i++) {
        v[i] = (float)i * 0.001f;
    }
    char meta[512];
    snprintf(
        meta, sizeof meta,
        "{\"version\":3,\"base\":[{\"name\":\"image\"}],\"descriptors\":[{\"type\":\"ntensor\","
        "\"ndim\":3,\"shape\":[3,%u,%u],\"strides\":[%u,%u,1],\"dtype\":\"float32\","
        "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"none\"}]}",
        side, side, side * side, side);
    const uint8_t *ptrs[1] = {(const uint8_t *)v};
    size_t lens[1] = {raw};
    size_t cap = (raw + 4096) * NSAMPLES;
    uint8_t *out = malloc(cap), *base = malloc(cap);
    float *dec = malloc(raw);
    bench_touch(out, cap);
    bench_touch(base, cap);
    size_t *offs = malloc(sizeof *offs * (NSAMPLES + 1));
    uint64_t shape[3] = {3, side, side};
    double t_tb, t_none = 0, t_xxh = 0, t_tbd, t_view, t_into;
    size_t tb_total = 0, tg_total = 0;
    BENCH_BEST(5, t_tb, {
        size_t pos = 0;
        for (int s = 0; s < NSAMPLES; s++) {
            pos += tenbin_put(base + pos, v, shape, 3);
        }
        tb_total = pos;
    });
    const char *hashes[2] = {"none", "xxh3"};
    for (int h = 0; h < 2; h++) {
        double t;
        BENCH_BEST(5, t, {
            size_t pos = 0;
            for (int s = 0; s < NSAMPLES; s++) {
                size_t len;
                tgm_error e = tgm_encode_into(meta, ptrs, lens, 1, hashes[h], 1, NULL, out + pos,
                                              cap - pos, &len);
                if (e != TGM_ERROR_OK) {
                    die("encode", e);
                }
                offs[s] = pos;
                pos += len;
            }
            offs[NSAMPLES] = pos;
            tg_total = pos;
        });
        if (h == 0) {
            t_none = t;
        } else {
            t_xxh = t;
        }
    }
    BENCH_BEST(5, t_tbd, {
        size_t pos = 0;
        for (int s = 0; s < NSAMPLES; s++) {
            pos += tenbin_get(base + pos, dec);
        }
    });
    volatile float sink = 0;
    BENCH_BEST(5, t_view, {
        for (int s = 0; s < NSAMPLES; s++) {
            const uint8_t *d;
            size_t len;
            tgm_error e = tgm_decode_object_view(out + offs[s], offs[s + 1] - offs[s], 0, &d, &len);
            if (e != TGM_ERROR_OK || len != raw) {
                die("view", e);
            }
            sink += ((const float *)d)[1];
        }
    });
    BENCH_BEST(5, t_into, {
        for (int s = 0; s < NSAMPLES; s++) {
            size_t len;
            tgm_error e = tgm_decode_object_into(out + offs[s], offs[s + 1] - offs[s], 0, 1, 1, 1,
                                                 NULL, dec, raw, &len);
            if (e != TGM_ERROR_OK) {
                die("decode", e);
            }
        }
    });
    (void)sink;
    size_t total = raw * NSAMPLES;
    printf("3x%ux%u float32 (%zu B): tensogram %zu B/sample (tenbin-style %zu)\n", side, side, raw,
           tg_total / NSAMPLES, tb_total / NSAMPLES);
    printf("  %-28s %8.2f us/sample %8.0f MB/s\n", "tenbin-style encode", t_tb * 1e6 / NSAMPLES,
           bench_mbps(total, t_tb));
    printf("  %-28s %8.2f us/sample %8.0f MB/s %6.2fx\n", "tgm_encode_into, no hash",
           t_none * 1e6 / NSAMPLES, bench_mbps(total, t_none), t_tb / t_none);
    printf("  %-28s %8.2f us/sample %8.0f MB/s %6.2fx\n", "tgm_encode_into, xxh3",
           t_xxh * 1e6 / NSAMPLES, bench_mbps(total, t_xxh), t_tb / t_xxh);
    printf("  %-28s %8.2f us/sample %8.0f MB/s\n", "tenbin-style decode", t_tbd * 1e6 / NSAMPLES,
           bench_mbps(total, t_tbd));
    printf("  %-28s %8.2f us/sample %8.0f MB/s %6.2fx\n", "tgm_decode_object_view",
           t_view * 1e6 / NSAMPLES, bench_mbps(total, t_view), t_tbd / t_view);
    printf("  %-28s %8.2f us/sample %8.0f MB/s %6.2fx\n", "tgm_decode_object_into",
           t_into * 1e6 / NSAMPLES, bench_mbps(total, t_into), t_tbd / t_into);
    free(v);
    free(out);
    free(base);
    free(dec);
    free(offs);
}

int main(int argc, char **argv) {
    if (argc > 1) { /* one size only, e.g. for profiling */
        run((unsigned)atoi(argv[1]));
        return 0;
    }
    run(8);
    run(32);
    run(128);
    return 0;
}
