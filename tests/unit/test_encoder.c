/* Encoding small messages without JSON text: tgm_encode_doc (metadata as a
 * tgm_json_t document) must give the bytes tgm_encode_ex gives for the
 * same metadata written as JSON text.  Provenance is fixed through
 * TENSOGRAM_PROVENANCE so that two encodes can be compared byte for byte. */
#include "tt.h"

#include <math.h>

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
    return tt_finish("test_encoder");
}
