/* Encoding small messages without JSON text: tgm_encode_doc (metadata as a
 * tgm_json_t document) and encoder handles must give the bytes
 * tgm_encode_ex gives for the same metadata written as JSON text.
 * Provenance is fixed through TENSOGRAM_PROVENANCE so that two encodes can
 * be compared byte for byte; an encoder's own messages (live provenance)
 * are compared with tgm_encode_ex given their UUID and time. */
#include "tt.h"
#include "tt_provenance.h"

#include <math.h>
#include <pthread.h>

#include "tensogram/tensogram.h"

#define PROV "{\"time\":\"2026-01-01T00:00:00Z\",\"uuid\":\"00000000-0000-4000-8000-000000000000\"}"

/* Expected by hand: keys sorted, as the JSON reader keeps them. */
static const char *META_TEXT =
    "{\"base\":[{\"name\":\"sample\",\"step\":3}],\"descriptors\":[{\"byte_order\":\"little\","
    "\"compression\":\"none\",\"dtype\":\"float32\",\"encoding\":\"none\",\"filter\":\"none\","
    "\"ndim\":3,\"shape\":[3,8,8],\"strides\":[64,8,1],\"type\":\"ntensor\"}],\"run\":\"r1\"}";

static float values[192];
static const uint8_t *ptrs[1] = {(const uint8_t *)values};
static size_t lens[1] = {sizeof values};

static tgm_encode_options xxh3_options(void) {
    tgm_encode_options o = TGM_ENCODE_OPTIONS_INIT;
    o.hash_algo = "xxh3";
    return o;
}

static int same_bytes(tgm_bytes_t a, tgm_bytes_t b) {
    return a.len == b.len && a.len > 0 && memcmp(a.data, b.data, a.len) == 0;
}

static tgm_bytes_t encode_text(const char *json) {
    tgm_encode_options o = xxh3_options();
    tgm_bytes_t out = {NULL, 0};
    if (tgm_encode_ex(json, ptrs, lens, 1, &o, &out) != TGM_ERROR_OK) {
        fprintf(stderr, "encode_text: %s\n", tgm_last_error());
    }
    return out;
}

/* A parsed document encodes to the bytes of its text, and decodes back. */
static void test_parsed_doc(void) {
    tgm_json_t *doc;
    TT_ASSERT(tgm_json_parse(META_TEXT, strlen(META_TEXT), 0, &doc) == TGM_ERROR_OK);
    tgm_encode_options o = xxh3_options();
    tgm_bytes_t a = encode_text(META_TEXT), b = {NULL, 0};
    TT_CHECK_ERR(tgm_encode_doc(doc, ptrs, lens, 1, &o, &b), TGM_ERROR_OK);
    TT_CHECK(same_bytes(a, b));

    tgm_message_t *m;
    TT_ASSERT(tgm_decode(b.data, b.len, 0, 1, 1, &m) == TGM_ERROR_OK);
    size_t n = 0;
    const uint8_t *d = tgm_object_data(m, 0, &n);
    TT_CHECK(n == sizeof values && d != NULL && memcmp(d, values, n) == 0);
    tgm_message_free(m);
    tgm_metadata_t *md;
    TT_ASSERT(tgm_decode_metadata(b.data, b.len, &md) == TGM_ERROR_OK);
    size_t len = 0;
    const char *run = tgm_value_as_string(tgm_value_map_get(tgm_metadata_extra(md), "run"), &len);
    TT_CHECK(run != NULL && len == 2 && memcmp(run, "r1", 2) == 0);
    tgm_metadata_free(md);
    tgm_bytes_free(a);
    tgm_bytes_free(b);
    tgm_json_free(doc);
}

static tgm_value_t *member(tgm_json_t *doc, tgm_value_t *map, const char *key) {
    return tgm_json_map_member(doc, map, key, strlen(key));
}

static void set_str(tgm_json_t *doc, tgm_value_t *v, const char *s) {
    tgm_json_set_string(doc, v, s, strlen(s));
}

/* A document built member by member, out of key order, with a repeated
 * key: the same bytes as the sorted text. */
static void test_built_doc(void) {
    tgm_json_t *doc;
    TT_ASSERT(tgm_json_new(&doc) == TGM_ERROR_OK);
    tgm_value_t *root = tgm_json_edit(doc, tgm_json_root(doc));
    TT_ASSERT(tgm_json_set_map(doc, root) == TGM_ERROR_OK);
    set_str(doc, member(doc, root, "run"), "r1");
    tgm_value_t *descs = member(doc, root, "descriptors");
    tgm_json_set_array(doc, descs);
    tgm_value_t *d = tgm_json_array_append(doc, descs);
    tgm_json_set_map(doc, d);
    set_str(doc, member(doc, d, "type"), "ntensor");
    set_str(doc, member(doc, d, "dtype"), "float32");
    tgm_json_set_i64(doc, member(doc, d, "ndim"), 3);
    tgm_value_t *shape = member(doc, d, "shape");
    tgm_json_set_array(doc, shape);
    tgm_json_set_i64(doc, tgm_json_array_append(doc, shape), 3);
    tgm_json_set_i64(doc, tgm_json_array_append(doc, shape), 8);
    tgm_json_set_i64(doc, tgm_json_array_append(doc, shape), 8);
    tgm_value_t *strides = member(doc, d, "strides");
    tgm_json_set_array(doc, strides);
    tgm_json_set_i64(doc, tgm_json_array_append(doc, strides), 64);
    tgm_json_set_i64(doc, tgm_json_array_append(doc, strides), 8);
    tgm_json_set_i64(doc, tgm_json_array_append(doc, strides), 1);
    set_str(doc, member(doc, d, "filter"), "none");
    set_str(doc, member(doc, d, "encoding"), "none");
    set_str(doc, member(doc, d, "compression"), "none");
    set_str(doc, member(doc, d, "byte_order"), "little");
    tgm_value_t *base = member(doc, root, "base");
    tgm_json_set_array(doc, base);
    tgm_value_t *b0 = tgm_json_array_append(doc, base);
    tgm_json_set_map(doc, b0);
    tgm_json_set_i64(doc, member(doc, b0, "step"), 3);
    set_str(doc, member(doc, b0, "name"), "sample");

    tgm_encode_options o = xxh3_options();
    tgm_bytes_t a = encode_text(META_TEXT), b = {NULL, 0};
    TT_CHECK_ERR(tgm_encode_doc(doc, ptrs, lens, 1, &o, &b), TGM_ERROR_OK);
    TT_CHECK(same_bytes(a, b));
    tgm_bytes_free(b);

    /* A repeated key (kept in document order): the last one counts. */
    const char *dup = "{\"run\":\"old\",\"descriptors\":[],\"run\":\"r1\"}";
    const char *dedup = "{\"descriptors\":[],\"run\":\"r1\"}";
    tgm_json_t *dd;
    TT_ASSERT(tgm_json_parse(dup, strlen(dup), TGM_JSON_KEEP_ORDER, &dd) == TGM_ERROR_OK);
    tgm_bytes_t c = {NULL, 0}, e = {NULL, 0};
    TT_CHECK_ERR(tgm_encode_doc(dd, NULL, NULL, 0, &o, &c), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_encode_ex(dedup, NULL, NULL, 0, &o, &e), TGM_ERROR_OK);
    TT_CHECK(same_bytes(c, e));
    tgm_bytes_free(c);
    tgm_bytes_free(e);
    tgm_json_free(dd);
    tgm_bytes_free(a);
    tgm_json_free(doc);
}

/* Non-finite floats in a document are what the words NaN / Infinity are
 * in the text. */
static void test_nonfinite(void) {
    const char *text = "{\"descriptors\":[],\"x\":NaN,\"y\":-Infinity}";
    tgm_json_t *doc;
    TT_ASSERT(tgm_json_new(&doc) == TGM_ERROR_OK);
    tgm_value_t *root = tgm_json_edit(doc, tgm_json_root(doc));
    tgm_json_set_map(doc, root);
    tgm_json_set_f64(doc, member(doc, root, "y"), -INFINITY);
    tgm_json_set_f64(doc, member(doc, root, "x"), NAN);
    tgm_json_set_array(doc, member(doc, root, "descriptors"));
    tgm_bytes_t a = {NULL, 0}, b = {NULL, 0};
    TT_CHECK_ERR(tgm_encode_ex(text, NULL, NULL, 0, NULL, &a), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_encode_doc(doc, NULL, NULL, 0, NULL, &b), TGM_ERROR_OK);
    TT_CHECK(same_bytes(a, b));
    tgm_bytes_free(a);
    tgm_bytes_free(b);
    tgm_json_free(doc);
}

/* Caller memory: too small reports the size needed, then the same bytes. */
static void test_into(void) {
    tgm_json_t *doc;
    TT_ASSERT(tgm_json_parse(META_TEXT, strlen(META_TEXT), 0, &doc) == TGM_ERROR_OK);
    tgm_encode_options o = xxh3_options();
    tgm_bytes_t a = encode_text(META_TEXT);
    uint8_t small[64];
    size_t need = 0;
    TT_CHECK_ERR(tgm_encode_doc_into(doc, ptrs, lens, 1, &o, small, sizeof small, &need),
                 TGM_ERROR_INVALID_ARG);
    TT_CHECK_EQ_INT(need, a.len);
    uint8_t *buf = malloc(a.len);
    size_t got = 0;
    TT_CHECK_ERR(tgm_encode_doc_into(doc, ptrs, lens, 1, &o, buf, a.len, &got), TGM_ERROR_OK);
    TT_CHECK(got == a.len && memcmp(buf, a.data, a.len) == 0);
    free(buf);
    tgm_bytes_free(a);
    tgm_json_free(doc);
}

/* Errors: those of the text path, plus what only a document can hold. */
static void test_errors(void) {
    tgm_bytes_t out = {NULL, 0};
    tgm_json_t *doc;
    TT_CHECK_ERR(tgm_encode_doc(NULL, ptrs, lens, 1, NULL, &out), TGM_ERROR_INVALID_ARG);
    TT_ASSERT(tgm_json_parse(META_TEXT, strlen(META_TEXT), 0, &doc) == TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_encode_doc(doc, ptrs, lens, 1, NULL, NULL), TGM_ERROR_INVALID_ARG);
    /* Two objects for one descriptor, as tgm_encode_ex reports it. */
    const uint8_t *p2[2] = {ptrs[0], ptrs[0]};
    size_t l2[2] = {lens[0], lens[0]};
    TT_CHECK_ERR(tgm_encode_doc(doc, p2, l2, 2, NULL, &out), TGM_ERROR_INVALID_ARG);
    TT_CHECK(strstr(tgm_last_error(), "does not match num_objects") != NULL);
    /* Wrong payload length. */
    size_t short_len = lens[0] - 4;
    TT_CHECK(tgm_encode_doc(doc, ptrs, &short_len, 1, NULL, &out) != TGM_ERROR_OK);
    tgm_json_free(doc);

    /* The root must be an object. */
    TT_ASSERT(tgm_json_new(&doc) == TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_encode_doc(doc, NULL, NULL, 0, NULL, &out), TGM_ERROR_METADATA);
    /* Nesting the JSON reader would refuse. */
    tgm_value_t *v = tgm_json_edit(doc, tgm_json_root(doc));
    tgm_json_set_map(doc, v);
    tgm_json_set_array(doc, member(doc, v, "descriptors"));
    v = member(doc, v, "deep");
    for (int i = 0; i < 130; i++) {
        tgm_json_set_array(doc, v);
        v = tgm_json_array_append(doc, v);
    }
    TT_CHECK_ERR(tgm_encode_doc(doc, NULL, NULL, 0, NULL, &out), TGM_ERROR_METADATA);
    TT_CHECK(strstr(tgm_last_error(), "deeper") != NULL);
    tgm_json_free(doc);
}

/* ---- encoders ---------------------------------------------------------------------------- */

/* Whether msg is what tgm_encode_ex writes for meta_json (with the
 * message's own UUID and time). */
static int same_as_encode_ex(const tgm_bytes_t *msg, const char *meta_json, const uint8_t *const *p,
                             const size_t *l, size_t n, const tgm_encode_options *o) {
    char uuid[64], now[64], env[256];
    if (tt_provenance_of(msg->data, msg->len, "uuid", uuid, sizeof uuid) != 0 ||
        tt_provenance_of(msg->data, msg->len, "time", now, sizeof now) != 0) {
        return 0;
    }
    snprintf(env, sizeof env, "{\"time\":\"%s\",\"uuid\":\"%s\"}", now, uuid);
    setenv("TENSOGRAM_PROVENANCE", env, 1);
    tgm_bytes_t want = {NULL, 0};
    int same = tgm_encode_ex(meta_json, p, l, n, o, &want) == TGM_ERROR_OK &&
               want.len == msg->len && memcmp(want.data, msg->data, want.len) == 0;
    unsetenv("TENSOGRAM_PROVENANCE");
    tgm_bytes_free(want);
    return same;
}

/* Many messages: new data each time, the bytes of tgm_encode_ex each
 * time, a new UUID each time. */
static void test_encoder_reuse(void) {
    unsetenv("TENSOGRAM_PROVENANCE");
    tgm_encode_options o = xxh3_options();
    tgm_encoder_t *enc;
    TT_ASSERT(tgm_encoder_create(META_TEXT, &o, &enc) == TGM_ERROR_OK);
    TT_CHECK_EQ_INT(tgm_encoder_num_objects(enc), 1);
    float v[192];
    const uint8_t *p[1] = {(const uint8_t *)v};
    char last_uuid[64] = "";
    int all_same = 1, all_new = 1;
    for (int m = 0; m < 50; m++) {
        for (size_t i = 0; i < 192; i++) {
            v[i] = (float)(m * 1000 + (int)i);
        }
        tgm_bytes_t msg = {NULL, 0};
        TT_ASSERT(tgm_encoder_encode(enc, p, lens, 1, &msg) == TGM_ERROR_OK);
        all_same &= same_as_encode_ex(&msg, META_TEXT, p, lens, 1, &o);
        char uuid[64];
        all_new &= tt_provenance_of(msg.data, msg.len, "uuid", uuid, sizeof uuid) == 0 &&
                   strcmp(uuid, last_uuid) != 0;
        strcpy(last_uuid, uuid);
        tgm_message_t *dm;
        TT_ASSERT(tgm_decode(msg.data, msg.len, 0, 1, 1, &dm) == TGM_ERROR_OK);
        size_t n = 0;
        const uint8_t *d = tgm_object_data(dm, 0, &n);
        TT_CHECK(n == sizeof v && memcmp(d, v, n) == 0);
        tgm_message_free(dm);
        tgm_bytes_free(msg);
    }
    TT_CHECK(all_same);
    TT_CHECK(all_new);
    tgm_encoder_free(enc);
}

/* Values changed between messages: in place (same width) and laid out
 * again (wider), base entries and _extra_, new keys, other kinds. */
static void test_encoder_set(void) {
    unsetenv("TENSOGRAM_PROVENANCE");
    tgm_encode_options o = xxh3_options();
    tgm_encoder_t *enc;
    TT_ASSERT(tgm_encoder_create(META_TEXT, &o, &enc) == TGM_ERROR_OK);
    int all_same = 1;
    char text[1024];
    for (int m = 0; m < 40; m++) {
        int64_t step = (int64_t)m * 7; /* crosses 23 and 255: the CBOR head widens */
        char name[32];
        snprintf(name, sizeof name, "s%d", m); /* two, then three bytes */
        TT_ASSERT(tgm_encoder_set_i64(enc, 0, "step", step) == TGM_ERROR_OK);
        TT_ASSERT(tgm_encoder_set_string(enc, 0, "name", name, strlen(name)) == TGM_ERROR_OK);
        TT_ASSERT(tgm_encoder_set_f64(enc, TGM_ENCODER_EXTRA, "t", 0.5 * m) == TGM_ERROR_OK);
        if (m == 20) {
            TT_ASSERT(tgm_encoder_set_i64(enc, 0, "new", -5) == TGM_ERROR_OK);
        }
        char t[32];
        snprintf(t, sizeof t, "%d.%d", m / 2, m % 2 ? 5 : 0);
        snprintf(text, sizeof text,
                 "{\"base\":[{\"name\":\"%s\",%s\"step\":%lld}],\"descriptors\":[{\"byte_order\":"
                 "\"little\",\"compression\":\"none\",\"dtype\":\"float32\",\"encoding\":\"none\","
                 "\"filter\":\"none\",\"ndim\":3,\"shape\":[3,8,8],\"strides\":[64,8,1],"
                 "\"type\":\"ntensor\"}],\"run\":\"r1\",\"t\":%s}",
                 name, m >= 20 ? "\"new\":-5," : "", (long long)step, t);
        tgm_bytes_t msg = {NULL, 0};
        TT_ASSERT(tgm_encoder_encode(enc, ptrs, lens, 1, &msg) == TGM_ERROR_OK);
        int same = same_as_encode_ex(&msg, text, ptrs, lens, 1, &o);
        if (!same) {
            fprintf(stderr, "message %d differs from %s\n", m, text);
        }
        all_same &= same;
        tgm_bytes_free(msg);
    }
    TT_CHECK(all_same);

    /* A value from a document, nested. */
    const char *sub = "{\"b\":[1,2],\"a\":null}";
    tgm_json_t *doc;
    TT_ASSERT(tgm_json_parse(sub, strlen(sub), TGM_JSON_KEEP_ORDER, &doc) == TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_encoder_set_value(enc, TGM_ENCODER_EXTRA, "mars", tgm_json_root(doc)),
                 TGM_ERROR_OK);
    tgm_json_free(doc);
    tgm_bytes_t msg = {NULL, 0};
    TT_ASSERT(tgm_encoder_encode(enc, ptrs, lens, 1, &msg) == TGM_ERROR_OK);
    tgm_metadata_t *md;
    TT_ASSERT(tgm_decode_metadata(msg.data, msg.len, &md) == TGM_ERROR_OK);
    tgm_bytes_t js = {NULL, 0};
    TT_ASSERT(tgm_value_to_json(tgm_value_map_get(tgm_metadata_extra(md), "mars"), &js) ==
              TGM_ERROR_OK);
    TT_CHECK(js.len == 20 && memcmp(js.data, "{\"a\":null,\"b\":[1,2]}", 20) == 0);
    tgm_bytes_free(js);
    tgm_metadata_free(md);
    tgm_bytes_free(msg);

    /* Errors. */
    TT_CHECK_ERR(tgm_encoder_set_i64(enc, 1, "step", 1), TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm_encoder_set_i64(enc, 0, "_reserved_", 1), TGM_ERROR_METADATA);
    TT_CHECK_ERR(tgm_encoder_set_i64(NULL, 0, "x", 1), TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm_encoder_set_string(enc, 0, "x", "\xff", 1), TGM_ERROR_INVALID_ARG);
    tgm_encoder_free(enc);
}

/* Same bytes from a document; caller memory; errors on bad calls, after
 * which the encoder still works. */
static void test_encoder_errors(void) {
    unsetenv("TENSOGRAM_PROVENANCE");
    tgm_encode_options o = xxh3_options();
    tgm_json_t *doc;
    TT_ASSERT(tgm_json_parse(META_TEXT, strlen(META_TEXT), 0, &doc) == TGM_ERROR_OK);
    tgm_encoder_t *enc;
    TT_ASSERT(tgm_encoder_create_doc(doc, &o, &enc) == TGM_ERROR_OK);
    tgm_json_free(doc); /* read during create only */
    tgm_bytes_t out = {NULL, 0};
    const uint8_t *p2[2] = {ptrs[0], ptrs[0]};
    size_t l2[2] = {lens[0], lens[0]};
    TT_CHECK_ERR(tgm_encoder_encode(enc, p2, l2, 2, &out), TGM_ERROR_INVALID_ARG);
    size_t short_len = lens[0] - 4;
    tgm_error e_enc = tgm_encoder_encode(enc, ptrs, &short_len, 1, &out);
    tgm_error e_ref = tgm_encode_ex(META_TEXT, ptrs, &short_len, 1, &o, &out);
    TT_CHECK(e_enc != TGM_ERROR_OK && e_enc == e_ref);
    const uint8_t *nullp[1] = {NULL};
    TT_CHECK_ERR(tgm_encoder_encode(enc, nullp, lens, 1, &out), TGM_ERROR_INVALID_ARG);
    /* NaN refused as tgm_encode_ex refuses it, after a good message. */
    TT_ASSERT(tgm_encoder_encode(enc, ptrs, lens, 1, &out) == TGM_ERROR_OK);
    tgm_bytes_free(out);
    float bad[192];
    memcpy(bad, values, sizeof bad);
    bad[17] = NAN;
    const uint8_t *pb[1] = {(const uint8_t *)bad};
    e_enc = tgm_encoder_encode(enc, pb, lens, 1, &out);
    char detail[512];
    snprintf(detail, sizeof detail, "%s", tgm_last_error());
    e_ref = tgm_encode_ex(META_TEXT, pb, lens, 1, &o, &out);
    TT_CHECK(e_enc != TGM_ERROR_OK && e_enc == e_ref);
    TT_CHECK_EQ_STR(detail, tgm_last_error());
    /* Caller memory: too small, then right. */
    tgm_bytes_t ok = {NULL, 0};
    TT_ASSERT(tgm_encoder_encode(enc, ptrs, lens, 1, &ok) == TGM_ERROR_OK);
    uint8_t small[32];
    size_t need = 0;
    TT_CHECK_ERR(tgm_encoder_encode_into(enc, ptrs, lens, 1, small, sizeof small, &need),
                 TGM_ERROR_INVALID_ARG);
    TT_CHECK_EQ_INT(need, ok.len);
    uint8_t *buf = malloc(need);
    size_t got = 0;
    TT_CHECK_ERR(tgm_encoder_encode_into(enc, ptrs, lens, 1, buf, need, &got), TGM_ERROR_OK);
    tgm_bytes_t into = {buf, got};
    TT_CHECK(got == ok.len && same_as_encode_ex(&into, META_TEXT, ptrs, lens, 1, &o));
    free(buf);
    tgm_bytes_free(ok);
    tgm_encoder_free(enc);
    tgm_encoder_free(NULL);

    /* Bad metadata and options at create. */
    TT_CHECK_ERR(tgm_encoder_create("{", &o, &enc), TGM_ERROR_METADATA);
    TT_CHECK_ERR(tgm_encoder_create(NULL, &o, &enc), TGM_ERROR_INVALID_ARG);
    tgm_encode_options bad_o = xxh3_options();
    bad_o.hash_algo = "md5";
    TT_CHECK_ERR(tgm_encoder_create(META_TEXT, &bad_o, &enc), TGM_ERROR_INVALID_ARG);
}

/* Encoders that take the general path (NaN masks, a codec, TENSOGRAM_PROVENANCE)
 * give tgm_encode_ex's bytes too. */
static void test_encoder_general(void) {
    setenv("TENSOGRAM_PROVENANCE", PROV, 1);
    TgmEncodeMaskOptions mo = {0};
    mo.allow_nan = true;
    tgm_encode_options o = xxh3_options();
    o.mask_options = &mo;
    float v[192];
    memcpy(v, values, sizeof v);
    v[3] = NAN;
    const uint8_t *p[1] = {(const uint8_t *)v};
    const char *texts[2] = {META_TEXT,
                            "{\"descriptors\":[{\"byte_order\":\"little\",\"compression\":"
                            "\"zstd\",\"dtype\":\"float32\",\"encoding\":\"none\",\"filter\":"
                            "\"shuffle\",\"ndim\":1,\"shape\":[192],\"strides\":[1],\"type\":"
                            "\"ntensor\"}]}"};
    for (int k = 0; k < 2; k++) {
        tgm_encoder_t *enc;
        TT_ASSERT(tgm_encoder_create(texts[k], &o, &enc) == TGM_ERROR_OK);
        for (int m = 0; m < 3; m++) {
            tgm_bytes_t a = {NULL, 0}, b = {NULL, 0};
            tgm_error ea = tgm_encoder_encode(enc, p, lens, 1, &a);
            tgm_error eb = tgm_encode_ex(texts[k], p, lens, 1, &o, &b);
            TT_CHECK_EQ_INT(ea, eb);
            TT_CHECK(ea != TGM_ERROR_OK || same_bytes(a, b));
            tgm_bytes_free(a);
            tgm_bytes_free(b);
        }
        tgm_encoder_free(enc);
    }
    /* The plain encoder with the variable set: the fixed provenance. */
    tgm_encoder_t *enc;
    tgm_encode_options plain = xxh3_options();
    TT_ASSERT(tgm_encoder_create(META_TEXT, &plain, &enc) == TGM_ERROR_OK);
    tgm_bytes_t a = {NULL, 0}, b = encode_text(META_TEXT);
    TT_CHECK_ERR(tgm_encoder_encode(enc, ptrs, lens, 1, &a), TGM_ERROR_OK);
    TT_CHECK(same_bytes(a, b));
    tgm_bytes_free(a);
    tgm_bytes_free(b);
    tgm_encoder_free(enc);
}

/* Encoders on different threads are independent. */
static void *thread_body(void *arg) {
    int *ok = arg;
    tgm_encode_options o = xxh3_options();
    tgm_encoder_t *enc;
    *ok = tgm_encoder_create(META_TEXT, &o, &enc) == TGM_ERROR_OK;
    float v[192];
    const uint8_t *p[1] = {(const uint8_t *)v};
    for (int m = 0; *ok && m < 300; m++) {
        for (size_t i = 0; i < 192; i++) {
            v[i] = (float)(m + (int)i);
        }
        tgm_bytes_t msg = {NULL, 0};
        *ok = tgm_encoder_set_i64(enc, 0, "step", m) == TGM_ERROR_OK &&
              tgm_encoder_encode(enc, p, lens, 1, &msg) == TGM_ERROR_OK;
        tgm_message_t *dm = NULL;
        tgm_metadata_t *md = NULL;
        int64_t step = -1;
        size_t n = 0;
        *ok = *ok && tgm_decode(msg.data, msg.len, 0, 1, 1, &dm) == TGM_ERROR_OK &&
              tgm_decode_metadata(msg.data, msg.len, &md) == TGM_ERROR_OK &&
              tgm_value_as_i64(tgm_metadata_get(md, "step"), &step) && step == m &&
              memcmp(tgm_object_data(dm, 0, &n), v, sizeof v) == 0;
        tgm_message_free(dm);
        tgm_metadata_free(md);
        tgm_bytes_free(msg);
    }
    tgm_encoder_free(enc);
    return NULL;
}

static void test_encoder_threads(void) {
    unsetenv("TENSOGRAM_PROVENANCE");
    pthread_t th[3];
    int ok[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++) {
        pthread_create(&th[i], NULL, thread_body, &ok[i]);
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
        TT_CHECK(ok[i]);
    }
}

/* Ten objects (past the stack layout of small messages), mixed dtypes,
 * header and footer hash frames: the encoder's messages are tgm_encode_ex's. */
static void test_encoder_many_objects(void) {
    unsetenv("TENSOGRAM_PROVENANCE");
    char meta[4096] = "{\"base\":[{\"k\":0}],\"descriptors\":[";
    static int32_t ints[10][17];
    static double dbl[10][5];
    const uint8_t *p[10];
    size_t l[10];
    for (int i = 0; i < 10; i++) {
        int is_int = i % 2 == 0;
        char d[256];
        snprintf(d, sizeof d,
                 "%s{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[%d],\"strides\":[1],\"dtype\":"
                 "\"%s\",\"byte_order\":\"little\",\"encoding\":\"none\",\"filter\":\"none\","
                 "\"compression\":\"none\",\"unit\":\"u%d\"}",
                 i ? "," : "", is_int ? 17 : 5, is_int ? "int32" : "float64", i);
        strcat(meta, d);
        for (int k = 0; k < 17; k++) {
            ints[i][k] = i * 100 - k;
        }
        for (int k = 0; k < 5; k++) {
            dbl[i][k] = i * 0.25 + k;
        }
        p[i] = is_int ? (const uint8_t *)ints[i] : (const uint8_t *)dbl[i];
        l[i] = is_int ? sizeof ints[i] : sizeof dbl[i];
    }
    strcat(meta, "]}");
    tgm_encode_options o = xxh3_options();
    o.aggregate_hash = "both";
    tgm_encoder_t *enc;
    TT_ASSERT(tgm_encoder_create(meta, &o, &enc) == TGM_ERROR_OK);
    TT_CHECK_EQ_INT(tgm_encoder_num_objects(enc), 10);
    int all_same = 1;
    for (int m = 0; m < 5; m++) {
        ints[3][0] = m;
        TT_ASSERT(tgm_encoder_set_i64(enc, 7, "k", m) == TGM_ERROR_OK);
        tgm_bytes_t msg = {NULL, 0};
        TT_ASSERT(tgm_encoder_encode(enc, p, l, 10, &msg) == TGM_ERROR_OK);
        /* The same metadata as text: base[7].k = m, the other entries empty. */
        char text[8192];
        snprintf(text, sizeof text, "{\"base\":[{\"k\":0},{},{},{},{},{},{},{\"k\":%d}],%s", m,
                 meta + strlen("{\"base\":[{\"k\":0}],"));
        all_same &= same_as_encode_ex(&msg, text, p, l, 10, &o);
        tgm_bytes_free(msg);
    }
    TT_CHECK(all_same);
    tgm_encoder_free(enc);
}

int main(void) {
    setenv("TENSOGRAM_PROVENANCE", PROV, 1);
    for (size_t i = 0; i < 192; i++) {
        values[i] = (float)i * 0.25f - 3.0f;
    }
    TT_RUN(test_parsed_doc);
    TT_RUN(test_built_doc);
    TT_RUN(test_nonfinite);
    TT_RUN(test_into);
    TT_RUN(test_errors);
    TT_RUN(test_encoder_reuse);
    TT_RUN(test_encoder_set);
    TT_RUN(test_encoder_errors);
    TT_RUN(test_encoder_general);
    TT_RUN(test_encoder_threads);
    TT_RUN(test_encoder_many_objects);
    return tt_finish("test_encoder");
}
