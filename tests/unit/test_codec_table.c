/* The codec table (src/codecs/codec.h): its contents and order, what the
 * pipeline does with each entry's knowledge (flags, accepted dtypes, the
 * parameter parsers, the expansion bounds, block offsets), and every built
 * codec's self-test case run through the public API. */
#include "tt.h"

#include "codecs/codec.h"
#include "codecs/szip.h"
#include "codecs/zfp.h"
#include "codecs/zstd.h"
#include "common/alloc.h"
#include "common/error.h"
#include "tensogram/tensogram.h"

static int contains(const char *s, const char *sub) { return s != NULL && strstr(s, sub); }

/* The format's compressions, in the order the documentation (and the
 * doctor report) lists them. */
static void test_contents(void) {
    static const char *const want[] = {"szip", "zstd", "lz4", "blosc2",
                                       "zfp",  "sz3",  "rle", "roaring"};
    TT_ASSERT(tgm__codec_count() == sizeof want / sizeof want[0]);
    for (size_t i = 0; i < tgm__codec_count(); i++) {
        const tgm_codec *c = tgm__codec_at(i);
        TT_CHECK_EQ_STR(c->name, want[i]);
        TT_CHECK(tgm__codec_format(want[i]) == c);
        TT_CHECK(tgm__codec_lookup(want[i]) == c);
        TT_CHECK(tgm__codec_known(want[i]));
        TT_CHECK(tgm__codec_find(want[i]) == (tgm__codec_built(c) ? c : NULL));
        /* An engine is whole or absent. */
        TT_CHECK(tgm__codec_built(c) == (c->decompress != NULL));
        TT_CHECK(!tgm__codec_built(c) || (c->flags & TGM_CODEC_FEATURE) == 0 || c->backend != NULL);
    }
    TT_CHECK(tgm__codec_at(tgm__codec_count()) == NULL);
    TT_CHECK_EQ_STR(tgm__codec_all_names(),
                    "none, szip, zstd, lz4, blosc2, zfp, sz3, rle, roaring");
    TT_CHECK(tgm__codec_known("none"));
    TT_CHECK(tgm__codec_lookup("none") == NULL);
    TT_CHECK(!tgm__codec_known("brotli") && tgm__codec_lookup("brotli") == NULL);
    TT_CHECK(tgm__codec_lookup("ZSTD") == NULL); /* names are case-sensitive */
#ifdef TGM_HAVE_ZSTD
    TT_CHECK(tgm__codec_find("zstd") == &tgm__codec_zstd);
#endif
#ifdef TGM_HAVE_SZ3
    TT_CHECK(tgm__codec_find("sz3") != NULL && tgm__codec_find("sz3") == tgm__codec_format("sz3"));
#else
    TT_CHECK(tgm__codec_find("sz3") == NULL); /* not built in */
#endif
}

/* One float64 / float32 object of 16 values i * 1.5 with `pipeline`
 * (encoding, filter, compression and parameters, JSON members). */
static tgm_error encode16(const char *dtype, const char *pipeline, tgm_bytes_t *msg) {
    static double d[16];
    static float f[16];
    for (int i = 0; i < 16; i++) {
        d[i] = i * 1.5;
        f[i] = (float)(i * 1.5);
    }
    bool f64 = strcmp(dtype, "float64") == 0;
    char json[1024];
    snprintf(json, sizeof json,
             "{\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[16],\"strides\":[1],"
             "\"dtype\":\"%s\",%s}]}",
             dtype, pipeline);
    const uint8_t *ptrs[1] = {f64 ? (const uint8_t *)d : (const uint8_t *)f};
    size_t lens[1] = {f64 ? sizeof d : sizeof f};
    return tgm_encode(json, ptrs, lens, 1, NULL, 0, msg);
}

/* Each codec's self-test descriptor encodes (built in) or is refused as
 * not built in, after its parameters are checked; lossless pipelines give
 * the input back bit for bit. */
static void test_selftests(void) {
    for (size_t i = 0; i < tgm__codec_count(); i++) {
        const tgm_codec *c = tgm__codec_at(i);
        const tgm_codec_selftest *t = c->selftest;
        if (t == NULL) {
            continue;
        }
        char pipe[512];
        snprintf(pipe, sizeof pipe,
                 "\"encoding\":\"%s\",\"filter\":\"%s\",\"compression\":\"%s\"%s", t->encoding,
                 t->filter, c->name, t->params);
        tgm_bytes_t msg = {NULL, 0};
        tgm_error e = encode16(t->dtype, pipe, &msg);
        if (!tgm__codec_built(c)) {
            TT_CHECK_ERR(e, TGM_ERROR_COMPRESSION);
            char want[64];
            snprintf(want, sizeof want, "%s is not built in", c->name);
            TT_CHECK(contains(tgm_last_error(), want));
            continue;
        }
        TT_CHECK_ERR(e, TGM_ERROR_OK);
        tgm_message_t *m = NULL;
        TT_CHECK_ERR(tgm_decode(msg.data, msg.len, 1, 0, 0, &m), TGM_ERROR_OK);
        size_t n = 0;
        const uint8_t *p = m != NULL ? tgm_object_data(m, 0, &n) : NULL;
        bool f64 = strcmp(t->dtype, "float64") == 0;
        TT_CHECK(p != NULL && n == 16 * (f64 ? 8u : 4u));
        bool lossless = strcmp(t->encoding, "none") == 0 && (c->flags & TGM_CODEC_LOSSY) == 0;
        if (p != NULL && lossless) {
            for (int k = 0; k < 16; k++) {
                double v = f64 ? ((const double *)p)[k] : ((const float *)p)[k];
                TT_CHECK(v == k * 1.5);
            }
        }
        tgm_message_free(m);
        tgm_bytes_free(msg);
    }
}

/* Flags and dtypes are checked before the parameters, with the texts the
 * reference uses. */
static void test_fits(void) {
    tgm_bytes_t msg = {NULL, 0};
    TT_CHECK_ERR(encode16("float32",
                          "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"rle\"",
                          &msg),
                 TGM_ERROR_ENCODING);
    TT_CHECK(contains(tgm_last_error(),
                      "compression \"rle\" only supports dtype=bitmask, got dtype=Float32"));
    TT_CHECK_ERR(encode16("float32",
                          "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"zfp\","
                          "\"zfp_mode\":\"fixed_rate\",\"zfp_rate\":8",
                          &msg),
                 TGM_ERROR_ENCODING);
    TT_CHECK(contains(tgm_last_error(), "only supports dtype=float64, got dtype=Float32"));
    TT_CHECK_ERR(encode16("float64",
                          "\"encoding\":\"none\",\"filter\":\"shuffle\",\"shuffle_element_size\":8,"
                          "\"compression\":\"sz3\",\"sz3_error_bound_mode\":\"abs\","
                          "\"sz3_error_bound\":0.1",
                          &msg),
                 TGM_ERROR_ENCODING);
    TT_CHECK(contains(tgm_last_error(), "compression \"sz3\" cannot follow filter \"shuffle\""));
    /* parameters: each codec's own parser, the reference's texts */
    TT_CHECK_ERR(encode16("float64",
                          "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"zfp\","
                          "\"zfp_mode\":\"fixed\"",
                          &msg),
                 TGM_ERROR_ENCODING);
    TT_CHECK(contains(tgm_last_error(), "unknown zfp_mode: fixed (expected one of:"));
    TT_CHECK_ERR(encode16("float64",
                          "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"sz3\","
                          "\"sz3_error_bound_mode\":\"abs\"",
                          &msg),
                 TGM_ERROR_METADATA);
    TT_CHECK(contains(tgm_last_error(), "missing required parameter: sz3_error_bound"));
    TT_CHECK_ERR(encode16("float32",
                          "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"zstd\","
                          "\"zstd_level\":3000000000",
                          &msg),
                 TGM_ERROR_METADATA);
    TT_CHECK(contains(tgm_last_error(), "zstd_level value 3000000000 out of i32 range"));
    TT_CHECK_ERR(encode16("float32",
                          "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"blosc2\","
                          "\"blosc2_codec\":\"lzma\"",
                          &msg),
                 TGM_ERROR_ENCODING);
    TT_CHECK(contains(tgm_last_error(), "unknown blosc2 codec: lzma"));
    TT_CHECK_ERR(encode16("float32",
                          "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"szip\","
                          "\"szip_rsi\":-1,\"szip_block_size\":8,\"szip_flags\":8",
                          &msg),
                 TGM_ERROR_METADATA);
    TT_CHECK(contains(tgm_last_error(), "out of u64 range for szip_rsi"));
    TT_CHECK_ERR(encode16("float32",
                          "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"brotli\"",
                          &msg),
                 TGM_ERROR_ENCODING);
    TT_CHECK(contains(tgm_last_error(), "unknown compression: brotli (expected one of: none, szip, "
                                        "zstd, lz4, blosc2, zfp, sz3, rle, roaring)"));
}

/* Every bound is above what a real stream decodes to. */
static void test_max_expansion(void) {
    uint8_t raw[4096];
    for (size_t i = 0; i < sizeof raw; i++) {
        raw[i] = (uint8_t)(i % 7 == 0 ? i : 0);
    }
    for (size_t i = 0; i < tgm__codec_count(); i++) {
        const tgm_codec *c = tgm__codec_at(i);
        if (c->max_expansion == NULL || !tgm__codec_built(c)) {
            continue;
        }
        tgm_codec_params p;
        size_t ts = c->dtypes == TGM_DTYPE_BIT(TGM_DT_FLOAT64) ? 8 : 1;
        tgm__codec_params_init(&p, ts, sizeof raw);
        if (strcmp(c->name, "szip") == 0) {
            tgm_szip_params sp = {8, 8, 0, 8};
            TGM_CODEC_OWN_PUT(&p, sp);
        } else if (strcmp(c->name, "zfp") == 0) {
            tgm_zfp_params zp = {TGM_ZFP_FIXED_ACCURACY, 0, 0, 1e-3, sizeof raw / 8};
            TGM_CODEC_OWN_PUT(&p, zp);
        } else if (strcmp(c->name, "zstd") == 0) {
            tgm__zstd_params(&p, 19);
        }
        tgm_buf out = TGM_BUF_INIT;
        tgm_error e = c->compress(&p, raw, sizeof raw, &out, NULL);
        TT_CHECK_ERR(e, TGM_ERROR_OK);
        uint64_t most = c->max_expansion(&p, out.len);
        TT_CHECK(most >= sizeof raw);
        tgm__buf_free(&out);
    }
}

/* Block offsets: one check, METADATA, whether they come with a
 * pre-encoded payload or back from a descriptor for a range decode. */
static void test_block_offsets(void) {
    char kb[64];
    TT_CHECK_EQ_STR(tgm__codec_offsets_key(&tgm__codec_szip, kb, sizeof kb), "szip_block_offsets");
    TT_CHECK(tgm__codec_offsets_key(&tgm__codec_zstd, kb, sizeof kb) == NULL);
    TT_CHECK(tgm__codec_offsets_key(NULL, kb, sizeof kb) == NULL);
    uint64_t ok[3] = {0, 100, 250};
    TT_CHECK_ERR(tgm__codec_check_offsets(&tgm__codec_szip, ok, 3, 40), TGM_ERROR_OK);
    uint64_t dup[3] = {0, 100, 100};
    TT_CHECK_ERR(tgm__codec_check_offsets(&tgm__codec_szip, dup, 3, 40), TGM_ERROR_METADATA);
    TT_CHECK_EQ_STR(tgm_last_error(),
                    "metadata error: szip: szip_block_offsets must be strictly increasing: "
                    "szip_block_offsets[2]=100 is not greater than szip_block_offsets[1]=100");
    uint64_t past[2] = {0, 320};
    TT_CHECK_ERR(tgm__codec_check_offsets(&tgm__codec_szip, past, 2, 40), TGM_ERROR_METADATA);
    TT_CHECK(contains(tgm_last_error(), "points past the end of the 40-byte stream (320 bits)"));
    TT_CHECK_ERR(tgm__codec_check_offsets(&tgm__codec_szip, ok, 0, 40), TGM_ERROR_METADATA);
    TT_CHECK_ERR(tgm__codec_check_offsets(&tgm__codec_szip, ok, 0, 0), TGM_ERROR_OK);

    /* pre-encoded: the same check, and offsets only with their codec */
    uint8_t payload[40] = {0};
    const uint8_t *ptrs[1] = {payload};
    size_t lens[1] = {sizeof payload};
    tgm_bytes_t msg = {NULL, 0};
    const char *wrong =
        "{\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[10],\"strides\":[1],"
        "\"dtype\":\"float32\",\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"zstd\","
        "\"szip_block_offsets\":[0]}]}";
    TT_CHECK_ERR(tgm_encode_pre_encoded(wrong, ptrs, lens, 1, NULL, 0, &msg), TGM_ERROR_METADATA);
    TT_CHECK(contains(tgm_last_error(),
                      "szip_block_offsets provided but compression is 'zstd', not 'szip'"));
    const char *bad =
        "{\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[10],\"strides\":[1],"
        "\"dtype\":\"uint32\",\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"szip\","
        "\"szip_rsi\":4,\"szip_block_size\":8,\"szip_flags\":8,"
        "\"szip_block_offsets\":[0,100,100]}]}";
    tgm_error e = tgm_encode_pre_encoded(bad, ptrs, lens, 1, NULL, 0, &msg);
    if (tgm__codec_built(&tgm__codec_szip)) {
        TT_CHECK_ERR(e, TGM_ERROR_METADATA);
        TT_CHECK(contains(tgm_last_error(), "szip_block_offsets[2]=100 is not greater than"));
        /* The reference's wording, which its Python suite matches. */
        TT_CHECK(contains(tgm_last_error(), "szip_block_offsets must be strictly increasing"));
    }
    const char *kind =
        "{\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[10],\"strides\":[1],"
        "\"dtype\":\"uint32\",\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"szip\","
        "\"szip_rsi\":4,\"szip_block_size\":8,\"szip_flags\":8,"
        "\"szip_block_offsets\":[0,\"8\"]}]}";
    TT_CHECK_ERR(tgm_encode_pre_encoded(kind, ptrs, lens, 1, NULL, 0, &msg), TGM_ERROR_METADATA);
    TT_CHECK(contains(tgm_last_error(), "szip_block_offsets[1] must be an integer, got text"));
}

int main(void) {
    TT_RUN(test_contents);
    TT_RUN(test_selftests);
    TT_RUN(test_fits);
    TT_RUN(test_max_expansion);
    TT_RUN(test_block_offsets);
    return tt_finish("test_codec_table");
}
