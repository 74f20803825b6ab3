/* The NaN / Inf rejection fused into the codecs' read of their input
 * (tgm_codec_params.inspect, flag TGM_CODEC_INSPECTS: lz4, zstd, blosc2):
 *  - through the public API, a non-finite value anywhere (first, middle,
 *    last element, in the first and in later inspection chunks, tiny and
 *    large inputs) is still rejected with the reference's message naming
 *    the first offending element, and allow_nan still substitutes and
 *    restores;
 *  - at the codec level, an inspection hook changes no output byte, sees
 *    every input byte in whole items, and a hook that objects stops the
 *    codec with TGM_ERROR_ENCODING and leaves the output as it was. */
#include <math.h>

#include "codecs/blosc2.h"
#include "codecs/codec.h"
#include "codecs/zstd.h"
#include "common/alloc.h"
#include "common/error.h"
#include "tensogram/tensogram.h"
#include "tt.h"

/* ---- through the public API ------------------------------------------------ */

static const char *const PIPELINES[] = {
    "\"compression\":\"lz4\"",
    "\"compression\":\"zstd\",\"zstd_level\":3",
    "\"compression\":\"blosc2\",\"blosc2_codec\":\"lz4\",\"blosc2_clevel\":5",
    "\"compression\":\"blosc2\",\"blosc2_codec\":\"blosclz\",\"blosc2_clevel\":5",
    "\"compression\":\"blosc2\",\"blosc2_codec\":\"zstd\",\"blosc2_clevel\":1",
};

static void meta_for(char *buf, size_t cap, const char *dtype, size_t n, const char *pipe) {
    snprintf(buf, cap,
             "{\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[%zu],"
             "\"strides\":[1],\"dtype\":\"%s\",\"byte_order\":\"little\",\"encoding\":\"none\","
             "\"filter\":\"none\",%s}]}",
             n, dtype, pipe);
}

/* A smooth field with some repetition, so that every codec finds matches. */
static void fill64(double *v, size_t n) {
    for (size_t i = 0; i < n; i++) {
        v[i] = 280.0 + (double)((i / 7) % 1000) * 0.25;
    }
}

static void fill32(float *v, size_t n) {
    for (size_t i = 0; i < n; i++) {
        v[i] = 280.0f + (float)((i / 5) % 500) * 0.5f;
    }
}

static tgm_error encode_one(const char *meta, const void *data, size_t len, bool allow_nan,
                            tgm_bytes_t *out) {
    const uint8_t *ptrs[1] = {data};
    size_t lens[1] = {len};
    TgmEncodeMaskOptions mo;
    memset(&mo, 0, sizeof mo);
    mo.allow_nan = allow_nan;
    return tgm_encode_with_options(meta, ptrs, lens, 1, NULL, 1, allow_nan ? &mo : NULL, out);
}

static void test_rejects_float64(void) {
    /* 5 values (below every codec's minimum), 3000 (one chunk), 600000
     * (4.8 MB: several of lz4's 64 KiB and zstd's 1 MiB chunks, and
     * several blosc2 blocks). */
    static const size_t sizes[] = {5, 3000, 600000};
    for (size_t si = 0; si < 3; si++) {
        size_t n = sizes[si];
        double *v = tgm__malloc(n * sizeof *v);
        TT_ASSERT(v != NULL);
        size_t where[] = {0, n / 2, n - 1, n > 200000 ? 200003 : n - 2};
        for (size_t pi = 0; pi < sizeof PIPELINES / sizeof PIPELINES[0]; pi++) {
            char meta[512];
            meta_for(meta, sizeof meta, "float64", n, PIPELINES[pi]);
            for (size_t wi = 0; wi < 4; wi++) {
                for (int kind = 0; kind < 3; kind++) {
                    fill64(v, n);
                    v[where[wi]] = kind == 0 ? NAN : kind == 1 ? INFINITY : -INFINITY;
                    tgm_bytes_t out = {NULL, 0};
                    tgm_error e = encode_one(meta, v, n * 8, false, &out);
                    TT_CHECK_ERR(e, TGM_ERROR_ENCODING);
                    char want[256];
                    if (kind == 0) {
                        snprintf(want, sizeof want,
                                 "encoding error: strict-NaN check: NaN at element %zu of "
                                 "float64 array; pass allow_nan=true to substitute with 0.0 and "
                                 "record positions in a mask",
                                 where[wi]);
                    } else {
                        snprintf(want, sizeof want,
                                 "encoding error: strict-Inf check: %s at element %zu of "
                                 "float64 array; pass allow_inf=true to substitute with 0.0 and "
                                 "record positions in a mask",
                                 kind == 1 ? "+Inf" : "-Inf", where[wi]);
                    }
                    if (strcmp(tgm_last_error(), want) != 0) {
                        fprintf(stderr, "  %s n=%zu at %zu: %s\n", PIPELINES[pi], n, where[wi],
                                tgm_last_error());
                    }
                    TT_CHECK_EQ_STR(tgm_last_error(), want);
                    tgm_bytes_free(out);
                }
            }
            /* All finite: encodes and decodes to the same values. */
            fill64(v, n);
            tgm_bytes_t out = {NULL, 0};
            TT_CHECK_ERR(encode_one(meta, v, n * 8, false, &out), TGM_ERROR_OK);
            tgm_message_t *m = NULL;
            TT_CHECK_ERR(tgm_decode(out.data, out.len, 1, 1, 0, &m), TGM_ERROR_OK);
            size_t dl = 0;
            const uint8_t *d = m != NULL ? tgm_object_data(m, 0, &dl) : NULL;
            TT_CHECK(d != NULL && dl == n * 8 && memcmp(d, v, n * 8) == 0);
            tgm_message_free(m);
            tgm_bytes_free(out);
        }
        tgm__free(v);
    }
}

static void test_rejects_float32_and_masks(void) {
    size_t n = 700001; /* odd: a short last block and a tail after the chunks */
    float *v = tgm__malloc(n * sizeof *v);
    TT_ASSERT(v != NULL);
    for (size_t pi = 0; pi < sizeof PIPELINES / sizeof PIPELINES[0]; pi++) {
        char meta[512];
        meta_for(meta, sizeof meta, "float32", n, PIPELINES[pi]);
        fill32(v, n);
        v[n - 1] = NAN;
        v[400000] = NAN;
        tgm_bytes_t out = {NULL, 0};
        TT_CHECK_ERR(encode_one(meta, v, n * 4, false, &out), TGM_ERROR_ENCODING);
        TT_CHECK_EQ_STR(tgm_last_error(),
                        "encoding error: strict-NaN check: NaN at element 400000 of float32 "
                        "array; pass allow_nan=true to substitute with 0.0 and record positions "
                        "in a mask");
        /* allow_nan: substituted, masked and restored on decode. */
        TT_CHECK_ERR(encode_one(meta, v, n * 4, true, &out), TGM_ERROR_OK);
        tgm_message_t *m = NULL;
        TT_CHECK_ERR(tgm_decode(out.data, out.len, 1, 1, 0, &m), TGM_ERROR_OK);
        size_t dl = 0;
        const float *d = m != NULL ? (const float *)(const void *)tgm_object_data(m, 0, &dl) : NULL;
        TT_ASSERT(d != NULL && dl == n * 4);
        size_t bad = 0;
        for (size_t i = 0; i < n; i++) {
            bool want_nan = i == 400000 || i == n - 1;
            if (want_nan ? !isnan(d[i]) : d[i] != v[i]) {
                bad++;
            }
        }
        TT_CHECK_EQ_INT(bad, 0);
        tgm_message_free(m);
        tgm_bytes_free(out);
    }
    tgm__free(v);
}

/* ---- at the codec level ---------------------------------------------------- */

typedef struct seen {
    uint8_t *hit; /* per input byte: times inspected */
    const uint8_t *base;
    size_t n;
    size_t unit;
    int misaligned;
    size_t reject_at; /* object to a range containing this byte (SIZE_MAX: never) */
} seen;

static int record(void *ctx, const uint8_t *p, size_t n) {
    seen *s = ctx;
    size_t off = (size_t)(p - s->base);
    if (off % s->unit != 0 || n % s->unit != 0 || off + n > s->n) {
        s->misaligned = 1;
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        s->hit[off + i] = (uint8_t)(s->hit[off + i] < 255 ? s->hit[off + i] + 1 : 255);
    }
    return s->reject_at >= off && s->reject_at < off + n;
}

static tgm_codec_params codec_params(const tgm_codec *c, size_t n) {
    tgm_codec_params p;
    tgm__codec_params_init(&p, 8, n);
    p.name = c->name;
    if (c == &tgm__codec_zstd) {
        tgm__zstd_params(&p, 3);
    } else if (c == &tgm__codec_blosc2) {
        tgm_blosc2_params bp;
        memset(&bp, 0, sizeof bp);
        bp.codec = TGM_BLOSC2_LZ4;
        bp.clevel = 5;
        bp.typesize = 8;
        bp.chunk_bytes = 1u << 20; /* several chunks */
        tgm__blosc2_params(&p, &bp);
    }
    return p;
}

static void test_codec_hooks(void) {
    const tgm_codec *codecs[] = {&tgm__codec_lz4, &tgm__codec_zstd, &tgm__codec_blosc2};
    static const size_t sizes[] = {8, 96, 4096, 3000008};
    for (size_t ci = 0; ci < 3; ci++) {
        const tgm_codec *c = codecs[ci];
        if (!tgm__codec_built(c)) {
            continue;
        }
        TT_CHECK(c->flags & TGM_CODEC_INSPECTS);
        for (size_t si = 0; si < 4; si++) {
            size_t n = sizes[si];
            double *v = tgm__malloc(n);
            uint8_t *hit = tgm__calloc(n, 1);
            TT_ASSERT(v != NULL && hit != NULL);
            fill64(v, n / 8);
            tgm_codec_params p = codec_params(c, n);
            tgm_buf plain = TGM_BUF_INIT, checked = TGM_BUF_INIT;
            TT_CHECK_ERR(c->compress(&p, (const uint8_t *)v, n, &plain, NULL), TGM_ERROR_OK);

            seen s = {hit, (const uint8_t *)v, n, 8, 0, SIZE_MAX};
            tgm_codec_inspect insp = {record, &s, 8};
            p.inspect = &insp;
            TT_CHECK_ERR(tgm__buf_append(&checked, "prefix", 6), TGM_ERROR_OK);
            TT_CHECK_ERR(c->compress(&p, (const uint8_t *)v, n, &checked, NULL), TGM_ERROR_OK);
            /* Same bytes with the hook, appended after what was there. */
            TT_CHECK(checked.len == plain.len + 6 && memcmp(checked.data, "prefix", 6) == 0 &&
                     memcmp(checked.data + 6, plain.data, plain.len) == 0);
            size_t unseen = 0;
            for (size_t i = 0; i < n; i++) {
                unseen += hit[i] == 0;
            }
            TT_CHECK_EQ_INT(unseen, 0);
            TT_CHECK_EQ_INT(s.misaligned, 0);

            /* Objecting to the last item stops the codec; the output keeps
             * only what it held before. */
            s.reject_at = n - 1;
            checked.len = 6;
            tgm_error e = c->compress(&p, (const uint8_t *)v, n, &checked, NULL);
            TT_CHECK_ERR(e, TGM_ERROR_ENCODING);
            TT_CHECK_EQ_INT(checked.len, 6);
            tgm__buf_free(&plain);
            tgm__buf_free(&checked);
            tgm__free(v);
            tgm__free(hit);
        }
    }
}

int main(void) {
    TT_RUN(test_rejects_float64);
    TT_RUN(test_rejects_float32_and_masks);
    TT_RUN(test_codec_hooks);
    return tt_finish("test_codec_inspect");
}
