/* The per-thread cache of metadata texts behind tgm_encode (api/encode_cache.c).
 *
 * The first call with a text takes the general path, the second compiles
 * the text, later ones reuse it.  Every message must be the bytes the
 * general path writes for the same input: each is compared with
 * tgm_encode_ex given the message's own UUID and time through
 * TENSOGRAM_PROVENANCE (which the cache never serves).  Errors must be
 * those of the general path, call after call. */
#include "tt.h"
#include "tt_provenance.h"

#include <math.h>
#include <pthread.h>

#include "tensogram/tensogram.h"

#define DESC_F32                                                                                   \
    "{\"type\":\"ntensor\",\"ndim\":3,\"shape\":[3,8,8],\"strides\":[64,8,1],\"dtype\":"           \
    "\"float32\",\"byte_order\":\"little\",\"encoding\":\"none\",\"filter\":\"none\","             \
    "\"compression\":\"none\"}"
#define DESC_I16                                                                                   \
    "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[5],\"strides\":[1],\"dtype\":\"int16\","          \
    "\"byte_order\":\"big\",\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"none\"}"

/* Texts of one float32 object, the common case and unusual JSON. */
static const char *const ONE[] = {
    "{\"base\":[{\"name\":\"sample\",\"step\":3}],\"descriptors\":[" DESC_F32 "]}",
    /* no base, keys out of order, whitespace */
    " {\n \"descriptors\" : [ " DESC_F32 " ] ,\"run\":\"r1\" } ",
    /* escapes and unicode, in keys and values */
    "{\"base\":[{\"n\\u00e4me\":\"a\\\"b\\\\c\\n\\t\\/\",\"\\u00fc\":\"\\ud83d\\ude00\","
    "\"\xc3\xa9t\xc3\xa9\":\"\xe2\x82\xac\"}],\"descriptors\":[" DESC_F32 "]}",
    /* nested maps and arrays, floats, big and negative integers */
    "{\"base\":[{\"mars\":{\"param\":\"2t\",\"levels\":[1000,850,[500,{\"z\":null,\"a\":true}]],"
    "\"grid\":{\"dx\":0.25,\"dy\":-1.5e-7,\"n\":18446744073709551615,\"m\":-9223372036854775808,"
    "\"big\":1e300,\"f\":false}}}],\"descriptors\":[" DESC_F32 "],\"_extra_\":{\"k\":[1.0,2.5]}}",
    /* top-level keys besides base / descriptors, empty containers */
    /* repeated keys: the JSON reader keeps the last */
    "{\"descriptors\":[" DESC_F32 "],\"a\":1,\"base\":[{\"k\":1,\"k\":[2]}],\"a\":2}",
    "{\"version\":3,\"descriptors\":[" DESC_F32 "],\"a\":{},\"b\":[],\"base\":[{}]}",
};

static float values[192];
static const uint8_t *ptrs[1] = {(const uint8_t *)values};
static size_t lens[1] = {sizeof values};

/* Whether msg is what the general path writes for the input (with the
 * message's own UUID and time, given through TENSOGRAM_PROVENANCE). */
static int same_as_general(const uint8_t *msg, size_t len, const char *json,
                           const uint8_t *const *p, const size_t *l, size_t n,
                           const tgm_encode_options *o) {
    char uuid[64], now[64], env[256];
    if (tt_provenance_of(msg, len, "uuid", uuid, sizeof uuid) != 0 ||
        tt_provenance_of(msg, len, "time", now, sizeof now) != 0) {
        return 0;
    }
    snprintf(env, sizeof env, "{\"time\":\"%s\",\"uuid\":\"%s\"}", now, uuid);
    setenv("TENSOGRAM_PROVENANCE", env, 1);
    tgm_bytes_t want = {NULL, 0};
    tgm_error e = tgm_encode_ex(json, p, l, n, o, &want);
    unsetenv("TENSOGRAM_PROVENANCE");
    int same = e == TGM_ERROR_OK && want.len == len && memcmp(want.data, msg, len) == 0;
    if (!same) {
        fprintf(stderr, "  differs from the general path (%zu vs %zu bytes): %s\n", len, want.len,
                json);
    }
    tgm_bytes_free(want);
    return same;
}

/* Five calls with each text and each option set: every message the
 * general path's bytes, and a new UUID each time. */
static void test_bytes(void) {
    const char *hashes[] = {"xxh3", "none", NULL};
    const char *aggregate[] = {"header", "footer", "both", "none"};
    for (size_t t = 0; t < sizeof ONE / sizeof ONE[0]; t++) {
        for (size_t h = 0; h < 3; h++) {
            for (size_t g = 0; g < 4; g++) {
                tgm_encode_options o = TGM_ENCODE_OPTIONS_INIT;
                o.hash_algo = hashes[h];
                o.aggregate_hash = aggregate[g];
                char last[64] = "";
                for (int call = 0; call < 5; call++) {
                    tgm_bytes_t b = {NULL, 0};
                    TT_ASSERT(tgm_encode_ex(ONE[t], ptrs, lens, 1, &o, &b) == TGM_ERROR_OK);
                    TT_CHECK(same_as_general(b.data, b.len, ONE[t], ptrs, lens, 1, &o));
                    char uuid[64];
                    TT_CHECK(tt_provenance_of(b.data, b.len, "uuid", uuid, sizeof uuid) == 0 &&
                             strcmp(uuid, last) != 0);
                    strcpy(last, uuid);
                    tgm_bytes_free(b);
                }
            }
        }
    }
}

/* The positional and caller-memory forms, two objects, other data each call. */
static void test_forms(void) {
    static const char *two = "{\"base\":[{\"i\":1},{\"i\":2}],\"descriptors\":[" DESC_F32
                             "," DESC_I16 "],\"_extra_\":{\"x\":\"y\"}}";
    int16_t iv[5] = {1, -2, 3, -4, 5};
    const uint8_t *p[2] = {(const uint8_t *)values, (const uint8_t *)iv};
    size_t l[2] = {sizeof values, sizeof iv};
    tgm_encode_options o = TGM_ENCODE_OPTIONS_INIT;
    o.hash_algo = "xxh3";
    for (int call = 0; call < 5; call++) {
        iv[0] = (int16_t)call;
        tgm_bytes_t b = {NULL, 0};
        TT_ASSERT(tgm_encode(two, p, l, 2, "xxh3", 1, &b) == TGM_ERROR_OK);
        TT_CHECK(same_as_general(b.data, b.len, two, p, l, 2, &o));
        tgm_bytes_free(b);
        uint8_t dst[4096];
        size_t len = 0;
        TT_ASSERT(tgm_encode_into(two, p, l, 2, "xxh3", 1, NULL, dst, sizeof dst, &len) ==
                  TGM_ERROR_OK);
        TT_CHECK(same_as_general(dst, len, two, p, l, 2, &o));
        /* Too small a buffer: the size needed, as the general path says. */
        size_t need = 0;
        TT_CHECK_ERR(tgm_encode_into(two, p, l, 2, "xxh3", 1, NULL, dst, 100, &need),
                     TGM_ERROR_INVALID_ARG);
        TT_CHECK_EQ_INT(need, len);
    }
}

/* The error code and text of one call. */
typedef struct outcome {
    tgm_error e;
    char text[512];
    size_t len;
} outcome;

static outcome run(const char *json, const uint8_t *const *p, const size_t *l, size_t n,
                   const char *hash) {
    outcome r;
    tgm_bytes_t b = {NULL, 0};
    r.e = tgm_encode(json, p, l, n, hash, 1, &b);
    snprintf(r.text, sizeof r.text, "%s", r.e == TGM_ERROR_OK ? "" : tgm_last_error());
    r.len = b.len;
    tgm_bytes_free(b);
    return r;
}

/* The general path's outcome (TENSOGRAM_PROVENANCE set: no cache). */
static outcome run_general(const char *json, const uint8_t *const *p, const size_t *l, size_t n,
                           const char *hash) {
    setenv("TENSOGRAM_PROVENANCE",
           "{\"time\":\"2026-01-01T00:00:00Z\",\"uuid\":\"00000000-0000-4000-8000-000000000000\"}",
           1);
    outcome r = run(json, p, l, n, hash);
    unsetenv("TENSOGRAM_PROVENANCE");
    return r;
}

static int same_outcome(outcome a, outcome b) {
    int same = a.e == b.e && strcmp(a.text, b.text) == 0 && a.len == b.len;
    if (!same) {
        fprintf(stderr, "  %d '%s' vs %d '%s'\n", (int)a.e, a.text, (int)b.e, b.text);
    }
    return same;
}

/* Texts that do not read (bad JSON, bad structure, lone surrogate) fail the same way on every call.
 */
static void test_bad_texts(void) {
    const char *bad[] = {
        "{\"descriptors\":[" DESC_F32 "]",
        "{\"descriptors\":[" DESC_F32 "],\"base\":[{},{}]}",
        "{\"descriptors\":[" DESC_F32 "],\"base\":[{\"_reserved_\":{}}]}",
        "{\"descriptors\":[{\"type\":\"ntensor\"}]}",
        "{\"descriptors\":[" DESC_F32 "],\"x\":\"\\ud800\"}",
        "[1,2]",
        "",
    };
    for (size_t t = 0; t < sizeof bad / sizeof bad[0]; t++) {
        outcome want = run_general(bad[t], ptrs, lens, 1, "xxh3");
        TT_CHECK(want.e != TGM_ERROR_OK);
        for (int call = 0; call < 4; call++) {
            TT_CHECK(same_outcome(run(bad[t], ptrs, lens, 1, "xxh3"), want));
        }
    }
}

/* A text the cache holds, called wrongly: the general path's errors. */
static void test_bad_calls(void) {
    const char *json = ONE[0];
    for (int call = 0; call < 3; call++) {
        TT_CHECK(run(json, ptrs, lens, 1, "xxh3").e == TGM_ERROR_OK);
    }
    float nan_values[192];
    memcpy(nan_values, values, sizeof values);
    nan_values[7] = NAN;
    const uint8_t *pn[1] = {(const uint8_t *)nan_values};
    size_t short_len[1] = {sizeof values - 4};
    const uint8_t *pnull[1] = {NULL};
    struct {
        const uint8_t *const *p;
        const size_t *l;
        size_t n;
        const char *hash;
    } cases[] = {
        {pn, lens, 1, "xxh3"},     {ptrs, short_len, 1, "xxh3"}, {pnull, lens, 1, "xxh3"},
        {ptrs, lens, 2, "xxh3"},   {ptrs, lens, 0, "xxh3"},      {NULL, NULL, 1, "xxh3"},
        {ptrs, lens, 1, "sha256"}, {ptrs, lens, 1, "none"},      {ptrs, lens, 1, NULL},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        outcome want = run_general(json, cases[c].p, cases[c].l, cases[c].n, cases[c].hash);
        for (int call = 0; call < 4; call++) {
            outcome got = run(json, cases[c].p, cases[c].l, cases[c].n, cases[c].hash);
            TT_CHECK(same_outcome(got, want));
            /* and the text still encodes afterwards */
            TT_CHECK(run(json, ptrs, lens, 1, "xxh3").e == TGM_ERROR_OK);
        }
    }
}

/* A cached text follows TENSOGRAM_PROVENANCE when it appears. */
static void test_provenance_env(void) {
    const char *json = ONE[1];
    for (int call = 0; call < 3; call++) {
        TT_CHECK(run(json, ptrs, lens, 1, "xxh3").e == TGM_ERROR_OK);
    }
    setenv("TENSOGRAM_PROVENANCE", "{\"time\":\"T\",\"uuid\":\"U\"}", 1);
    tgm_bytes_t b = {NULL, 0};
    TT_ASSERT(tgm_encode(json, ptrs, lens, 1, "xxh3", 1, &b) == TGM_ERROR_OK);
    unsetenv("TENSOGRAM_PROVENANCE");
    char uuid[64];
    TT_CHECK(tt_provenance_of(b.data, b.len, "uuid", uuid, sizeof uuid) == 0 &&
             strcmp(uuid, "U") == 0);
    tgm_bytes_free(b);
}

/* Objects that are not copied unchanged (compressed, masks allowed) and
 * data of another length for a cached text: still the general bytes. */
static void test_not_cached_forms(void) {
    static const char *zstd =
        "{\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[192],"
        "\"strides\":[1],\"dtype\":\"float32\",\"byte_order\":\"little\","
        "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"zstd\"}]}";
    static const char *flat =
        "{\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[192],"
        "\"strides\":[1],\"dtype\":\"uint8\",\"byte_order\":\"little\","
        "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"none\"}]}";
    tgm_encode_options o = TGM_ENCODE_OPTIONS_INIT;
    o.hash_algo = "xxh3";
    for (int call = 0; call < 4; call++) {
        tgm_bytes_t b = {NULL, 0};
        TT_ASSERT(tgm_encode_ex(zstd, ptrs, lens, 1, &o, &b) == TGM_ERROR_OK);
        TT_CHECK(same_as_general(b.data, b.len, zstd, ptrs, lens, 1, &o));
        tgm_bytes_free(b);
    }
    TgmEncodeMaskOptions mo;
    memset(&mo, 0, sizeof mo);
    mo.allow_nan = true;
    mo.small_mask_threshold_bytes = -1;
    o.mask_options = &mo;
    float nv[192];
    memcpy(nv, values, sizeof nv);
    nv[3] = NAN;
    const uint8_t *pn[1] = {(const uint8_t *)nv};
    for (int call = 0; call < 4; call++) {
        tgm_bytes_t b = {NULL, 0};
        TT_ASSERT(tgm_encode_ex(ONE[0], call & 1 ? pn : ptrs, lens, 1, &o, &b) == TGM_ERROR_OK);
        TT_CHECK(same_as_general(b.data, b.len, ONE[0], call & 1 ? pn : ptrs, lens, 1, &o));
        tgm_bytes_free(b);
    }
    /* uint8 of 192 elements: the same text, then a wrong length. */
    o.mask_options = NULL;
    size_t l192[1] = {192}, l100[1] = {100};
    for (int call = 0; call < 4; call++) {
        tgm_bytes_t b = {NULL, 0};
        TT_ASSERT(tgm_encode_ex(flat, ptrs, l192, 1, &o, &b) == TGM_ERROR_OK);
        TT_CHECK(same_as_general(b.data, b.len, flat, ptrs, l192, 1, &o));
        tgm_bytes_free(b);
        TT_CHECK(same_outcome(run(flat, ptrs, l100, 1, "xxh3"),
                              run_general(flat, ptrs, l100, 1, "xxh3")));
    }
}

/* More texts than the cache keeps, in rotation: each message carries its
 * own text's values. */
static void test_rotation(void) {
    char texts[12][512];
    for (int i = 0; i < 12; i++) {
        snprintf(texts[i], sizeof texts[i],
                 "{\"base\":[{\"id\":%d}],\"descriptors\":[" DESC_F32 "]}", i);
    }
    for (int round = 0; round < 6; round++) {
        int k = round < 3 ? 3 : 12; /* fits in the cache, then not */
        for (int i = 0; i < k; i++) {
            tgm_bytes_t b = {NULL, 0};
            TT_ASSERT(tgm_encode(texts[i], ptrs, lens, 1, "xxh3", 1, &b) == TGM_ERROR_OK);
            tgm_metadata_t *md;
            TT_ASSERT(tgm_decode_metadata(b.data, b.len, &md) == TGM_ERROR_OK);
            TT_CHECK_EQ_INT(tgm_metadata_get_int(md, "id", -1), i);
            tgm_metadata_free(md);
            tgm_bytes_free(b);
        }
    }
}

/* Threads encoding the same and their own texts side by side. */
typedef struct worker {
    int id;
    int ok;
} worker;

static void *worker_body(void *arg) {
    worker *w = arg;
    char own[512];
    snprintf(own, sizeof own, "{\"base\":[{\"id\":%d}],\"descriptors\":[" DESC_F32 "]}", w->id);
    float v[192];
    const uint8_t *p[1] = {(const uint8_t *)v};
    w->ok = 1;
    for (int i = 0; i < 200 && w->ok; i++) {
        for (int k = 0; k < 192; k++) {
            v[k] = (float)(w->id * 1000 + i + k);
        }
        const char *json = (i & 1) ? own : ONE[0];
        tgm_bytes_t b = {NULL, 0};
        tgm_message_t *m = NULL;
        size_t n = 0;
        w->ok = tgm_encode(json, p, lens, 1, "xxh3", 1, &b) == TGM_ERROR_OK &&
                tgm_decode(b.data, b.len, 0, 1, 1, &m) == TGM_ERROR_OK;
        if (w->ok) {
            const uint8_t *d = tgm_object_data(m, 0, &n);
            tgm_metadata_t *md = NULL;
            w->ok = n == sizeof v && memcmp(d, v, n) == 0 &&
                    tgm_message_metadata(m, &md) == TGM_ERROR_OK &&
                    tgm_metadata_get_int(md, "id", -1) == ((i & 1) ? w->id : -1);
            tgm_metadata_free(md);
        }
        tgm_message_free(m);
        tgm_bytes_free(b);
    }
    return NULL;
}

static void test_threads(void) {
    pthread_t th[4];
    worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i].id = i;
        TT_ASSERT(pthread_create(&th[i], NULL, worker_body, &w[i]) == 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        TT_CHECK(w[i].ok);
    }
}

int main(void) {
    unsetenv("TENSOGRAM_PROVENANCE");
    for (size_t i = 0; i < 192; i++) {
        values[i] = (float)i * 0.25f - 3.0f;
    }
    TT_RUN(test_bytes);
    TT_RUN(test_forms);
    TT_RUN(test_bad_texts);
    TT_RUN(test_bad_calls);
    TT_RUN(test_provenance_env);
    TT_RUN(test_not_cached_forms);
    TT_RUN(test_rotation);
    TT_RUN(test_threads);
    return tt_finish("test_encode_cache");
}
