/* Many small tensors (the webdataset / ML-sample case): per-tensor framing
 * cost of Tensogram against a tenbin-style baseline that writes a fixed
 * header (magic, dtype, rank, shape) and the raw bytes, 64-byte aligned.
 *
 * Each sample is one float32 tensor of 3 x S x S (S = 8, 32, 128).
 * Encode: tgm_encode_into (caller buffer, no allocation), hash none and
 * xxh3.  `bench_framing S` runs one size.  Decode: tgm_decode_object_view (zero copy) and
 * tgm_decode_object_into (copy into caller memory, hash verified).  Baseline encode = header +
 * memcpy; baseline decode = header parse + memcpy.
 *
 * `bench_framing fill` (also run by default): tgm_encode_fill against
 * tgm_encode_ex for one message of 10 float32 objects of 1 M values, xxh3,
 * allow_nan on, object 4 holding NaNs (1 % of its values, in runs, as a
 * land-sea mask gives) or none; the fill copies each object in
 * (tgm_encode_fill_copy, flags CHECK; or NONFINITE for the masked one), or
 * writes it into its slot and commits it (as a reader would).  Ratio: the
 * time of tgm_encode_ex of the same data over the fill's. */
#include "bench_common.h"

#include <stdbool.h>

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

/* ---- tgm_encode_fill with a masked object -------------------------------------------------- */

#define FILL_OBJS 10
#define FILL_VALS ((size_t)1 << 20)
#define FILL_MASKED 4

/* Object i's values: smooth, finite; with `nan`, object FILL_MASKED has
 * NaN runs of 64 values every 6400 (1 %). */
static void fill_values(float *v, size_t i, bool nan) {
    for (size_t k = 0; k < FILL_VALS; k++) {
        v[k] = 280.0f + (float)((k * 7 + i * 13) % 1000) * 0.01f;
    }
    if (nan && i == FILL_MASKED) {
        for (size_t k = 0; k + 64 <= FILL_VALS; k += 6400) {
            for (size_t j = 0; j < 64; j++) {
                v[k + j] = NAN;
            }
        }
    }
}

/* mode 0: copy, flags CHECK; 1: copy, the masked object NONFINITE; 2: slot
 * + memcpy + commit CHECK. */
static void fill_once(const char *meta, const tgm_encode_options *o, float *const *v, int mode,
                      bool nan) {
    tgm_encode_fill_t *f;
    tgm_error e = tgm_encode_fill_begin(meta, o, &f);
    if (e != TGM_ERROR_OK) {
        die("fill begin", e);
    }
    for (size_t i = 0; i < FILL_OBJS && e == TGM_ERROR_OK; i++) {
        uint32_t flags = mode == 1 && nan && i == FILL_MASKED ? TGM_ENCODE_FILL_NONFINITE
                                                              : TGM_ENCODE_FILL_CHECK;
        if (mode == 2) {
            void *p;
            size_t len;
            e = tgm_encode_fill_slot(f, i, &p, &len);
            if (e == TGM_ERROR_OK) {
                memcpy(p, v[i], len);
                e = tgm_encode_fill_commit(f, i, flags);
            }
        } else {
            e = tgm_encode_fill_copy(f, i, v[i], FILL_VALS * 4, flags);
        }
    }
    tgm_bytes_t out = {NULL, 0};
    if (e != TGM_ERROR_OK || (e = tgm_encode_fill_finish(f, &out)) != TGM_ERROR_OK) {
        die("fill", e);
    }
    tgm_bytes_free(out);
    tgm_encode_fill_free(f);
}

static void encode_ex_once(const char *meta, const tgm_encode_options *o,
                           const uint8_t *const *ptrs, const size_t *lens) {
    tgm_bytes_t out = {NULL, 0};
    tgm_error e = tgm_encode_ex(meta, ptrs, lens, FILL_OBJS, o, &out);
    if (e != TGM_ERROR_OK) {
        die("encode_ex", e);
    }
    tgm_bytes_free(out);
}

static void run_fill(void) {
    char *meta = malloc(8192);
    size_t at = (size_t)snprintf(meta, 8192, "{\"version\":3,\"descriptors\":[");
    for (size_t i = 0; i < FILL_OBJS; i++) {
        at += (size_t)snprintf(meta + at, 8192 - at,
                               "%s{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[%zu],\"strides\":[1],"
                               "\"dtype\":\"float32\",\"encoding\":\"none\",\"filter\":\"none\","
                               "\"compression\":\"none\"}",
                               i ? "," : "", FILL_VALS);
    }
    snprintf(meta + at, 8192 - at, "]}");
    float *v[FILL_OBJS];
    const uint8_t *ptrs[FILL_OBJS];
    size_t lens[FILL_OBJS];
    TgmEncodeMaskOptions mo;
    memset(&mo, 0, sizeof mo);
    mo.allow_nan = true;
    mo.small_mask_threshold_bytes = -1;
    tgm_encode_options o = TGM_ENCODE_OPTIONS_INIT;
    o.hash_algo = "xxh3";
    o.mask_options = &mo;
    size_t total = FILL_OBJS * FILL_VALS * 4;
    printf("tgm_encode_fill, %d float32 objects of %zu values (%.0f MB), xxh3, allow_nan:\n",
           FILL_OBJS, FILL_VALS, total / 1e6);
    static const char *const modes[3] = {"copy, CHECK", "copy, masked one NONFINITE",
                                         "slot + memcpy + commit CHECK"};
    for (int nan = 1; nan >= 0; nan--) {
        for (size_t i = 0; i < FILL_OBJS; i++) {
            v[i] = malloc(FILL_VALS * 4);
            fill_values(v[i], i, nan);
            ptrs[i] = (const uint8_t *)v[i];
            lens[i] = FILL_VALS * 4;
        }
        double t_ex;
        BENCH_BEST(7, t_ex, encode_ex_once(meta, &o, ptrs, lens));
        printf("  %s\n  %-34s %8.2f ms %8.0f MB/s\n",
               nan ? "object 4 with 1 % NaN (a mask):" : "no NaN:", "tgm_encode_ex (baseline)",
               t_ex * 1e3, bench_mbps(total, t_ex));
        for (int m = 0; m < 3; m++) {
            if (m == 1 && !nan) {
                continue;
            }
            double t;
            BENCH_BEST(7, t, fill_once(meta, &o, v, m, nan));
            printf("  %-34s %8.2f ms %8.0f MB/s %6.2fx\n", modes[m], t * 1e3, bench_mbps(total, t),
                   t_ex / t);
        }
        for (size_t i = 0; i < FILL_OBJS; i++) {
            free(v[i]);
        }
    }
    free(meta);
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "fill") == 0) {
        run_fill();
        return 0;
    }
    if (argc > 1) { /* one size only, e.g. for profiling */
        run((unsigned)atoi(argv[1]));
        return 0;
    }
    run(8);
    run(32);
    run(128);
    run_fill();
    return 0;
}
