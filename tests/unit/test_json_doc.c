/* Tests for the public JSON document API (tgm_json_*, tgm_value_equal,
 * tgm_value_to_json_ex, tgm_object_descriptor): parsing in both member
 * orders, building and editing through handles, printing styles, deep
 * copies from metadata and descriptors, equality, and the refusals.
 *
 * Expected texts are written out by hand (serde_json's formatting rules);
 * metadata round trips go through the encoder and the CBOR decoder. */
#include "tt.h"

#include <math.h>

#include "tensogram/tensogram.h"

/* v as JSON with `flags`, into a static buffer ("<error>" on failure). */
static const char *js(const tgm_value_t *v, uint32_t flags) {
    static char out[65536];
    tgm_bytes_t b = {NULL, 0};
    if (tgm_value_to_json_ex(v, flags, &b) != TGM_ERROR_OK || b.len >= sizeof out) {
        tgm_bytes_free(b);
        return "<error>";
    }
    memcpy(out, b.data, b.len);
    out[b.len] = '\0';
    tgm_bytes_free(b);
    return out;
}

static tgm_json_t *parse(const char *text, uint32_t flags) {
    tgm_json_t *doc = NULL;
    tgm_error e = tgm_json_parse(text, strlen(text), flags, &doc);
    if (e != TGM_ERROR_OK) {
        fprintf(stderr, "parse %s: %s\n", text, tgm_last_error());
        return NULL;
    }
    return doc;
}

static void test_parse_orders(void) {
    const char *text = "{\"b\":1,\"a\":[true,null,\"x\"],\"b\":2.5,\"c\":{\"z\":-3,\"y\":{}}}";
    tgm_json_t *sorted = parse(text, 0);
    tgm_json_t *kept = parse(text, TGM_JSON_KEEP_ORDER);
    TT_ASSERT(sorted != NULL && kept != NULL);
    const tgm_value_t *r = tgm_json_root(sorted);
    TT_CHECK_EQ_INT(tgm_value_get_type(r), TGM_VALUE_TYPE_MAP);
    TT_CHECK_EQ_INT(tgm_value_map_len(r), 3); /* the last "b" wins */
    double d = 0;
    TT_CHECK(tgm_value_as_f64(tgm_value_map_get(r, "b"), &d) && d == 2.5);
    TT_CHECK_EQ_STR(js(r, 0), "{\"a\":[true,null,\"x\"],\"b\":2.5,\"c\":{\"y\":{},\"z\":-3}}");
    const tgm_value_t *k = tgm_json_root(kept);
    TT_CHECK_EQ_INT(tgm_value_map_len(k), 4);
    size_t n = 0;
    TT_CHECK_EQ_STR(tgm_value_map_key_at(k, 0, &n), "b");
    TT_CHECK_EQ_STR(js(k, TGM_JSON_KEEP_ORDER),
                    "{\"b\":1,\"a\":[true,null,\"x\"],\"b\":2.5,\"c\":{\"z\":-3,\"y\":{}}}");
    /* The first of duplicates, as tgm_value_map_get. */
    int64_t i = 0;
    TT_CHECK(tgm_value_as_i64(tgm_value_map_get(k, "b"), &i) && i == 1);
    TT_CHECK_EQ_STR(js(tgm_value_map_get(r, "c"), TGM_JSON_PRETTY),
                    "{\n  \"y\": {},\n  \"z\": -3\n}");
    tgm_json_free(sorted);
    tgm_json_free(kept);

    tgm_json_t *doc = NULL;
    TT_CHECK_ERR(tgm_json_parse("[1,", 3, 0, &doc), TGM_ERROR_METADATA);
    TT_CHECK(doc == NULL);
    TT_CHECK(strstr(tgm_last_error(), "line 1 column 3") != NULL);
    TT_CHECK_ERR(tgm_json_parse("1", 1, TGM_JSON_PRETTY, &doc), TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm_json_parse(NULL, 0, 0, NULL), TGM_ERROR_INVALID_ARG);
    /* Scalars and big integers keep their exact values. */
    doc = parse("18446744073709551615", 0);
    TT_ASSERT(doc != NULL);
    uint64_t u = 0;
    TT_CHECK(tgm_value_as_u64(tgm_json_root(doc), &u) && u == UINT64_MAX);
    TT_CHECK_EQ_STR(js(tgm_json_root(doc), 0), "18446744073709551615");
    tgm_json_free(doc);
}

static void test_build(void) {
    tgm_json_t *doc = NULL;
    TT_ASSERT(tgm_json_new(&doc) == TGM_ERROR_OK);
    TT_CHECK_EQ_STR(js(tgm_json_root(doc), 0), "null");
    tgm_value_t *root = tgm_json_edit(doc, tgm_json_root(doc));
    TT_ASSERT(root != NULL);
    TT_CHECK_ERR(tgm_json_set_map(doc, root), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_json_set_string(doc, tgm_json_map_member(doc, root, "s", 1), "h\"é\n", 5),
                 TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_json_set_i64(doc, tgm_json_map_member(doc, root, "i", 1), INT64_MIN),
                 TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_json_set_u64(doc, tgm_json_map_member(doc, root, "u", 1), UINT64_MAX),
                 TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_json_set_f64(doc, tgm_json_map_member(doc, root, "f", 1), 0.1), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_json_set_f64(doc, tgm_json_map_member(doc, root, "nan", 3), NAN),
                 TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_json_set_bool(doc, tgm_json_map_member(doc, root, "t", 1), true),
                 TGM_ERROR_OK);
    TT_CHECK(tgm_json_map_member(doc, root, "n", 1) != NULL); /* new members are null */
    tgm_value_t *arr = tgm_json_map_member(doc, root, "a", 1);
    TT_ASSERT(arr != NULL && tgm_json_set_array(doc, arr) == TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_json_set_map(doc, tgm_json_array_append(doc, arr)), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_json_set_f64(doc, tgm_json_array_append(doc, arr), 1e16), TGM_ERROR_OK);
    TT_CHECK_EQ_STR(js(tgm_json_root(doc), 0),
                    "{\"a\":[{},1e+16],\"f\":0.1,\"i\":-9223372036854775808,\"n\":null,"
                    "\"nan\":null,\"s\":\"h\\\"é\\n\",\"t\":true,\"u\":18446744073709551615}");
    TT_CHECK_EQ_STR(js(tgm_json_root(doc), TGM_JSON_KEEP_ORDER),
                    "{\"s\":\"h\\\"é\\n\",\"i\":-9223372036854775808,\"u\":18446744073709551615,"
                    "\"f\":0.1,\"nan\":null,\"t\":true,\"n\":null,\"a\":[{},1e+16]}");
    double d = 0;
    TT_CHECK(tgm_value_as_f64(tgm_value_map_get(tgm_json_root(doc), "nan"), &d) && isnan(d));
    TT_CHECK_EQ_STR(js(tgm_json_root(doc), TGM_JSON_PRETTY | TGM_JSON_KEEP_ORDER),
                    "{\n  \"s\": \"h\\\"é\\n\",\n  \"i\": -9223372036854775808,\n"
                    "  \"u\": 18446744073709551615,\n  \"f\": 0.1,\n  \"nan\": null,\n"
                    "  \"t\": true,\n  \"n\": null,\n  \"a\": [\n    {},\n    1e+16\n  ]\n}");

    /* An existing member is returned, not added again; replacing it keeps
     * its place. */
    root = tgm_json_edit(doc, tgm_json_root(doc));
    TT_CHECK_ERR(tgm_json_set_string(doc, tgm_json_map_member(doc, root, "i", 1), "x", 1),
                 TGM_ERROR_OK);
    TT_CHECK_EQ_INT(tgm_value_map_len(tgm_json_root(doc)), 8);
    size_t removed = 9;
    TT_CHECK_ERR(tgm_json_map_remove(doc, root, "nan", 3, &removed), TGM_ERROR_OK);
    TT_CHECK_EQ_INT(removed, 1);
    TT_CHECK_ERR(tgm_json_map_remove(doc, root, "nan", 3, &removed), TGM_ERROR_OK);
    TT_CHECK_EQ_INT(removed, 0);
    TT_CHECK_ERR(tgm_json_map_remove(doc, root, "s", 1, NULL), TGM_ERROR_OK);
    TT_CHECK_EQ_STR(js(tgm_json_root(doc), TGM_JSON_KEEP_ORDER),
                    "{\"i\":\"x\",\"u\":18446744073709551615,\"f\":0.1,\"t\":true,\"n\":null,"
                    "\"a\":[{},1e+16]}");
    /* Members added after a removal reuse the room. */
    TT_CHECK_ERR(tgm_json_set_bool(doc, tgm_json_map_member(doc, root, "z", 1), false),
                 TGM_ERROR_OK);
    TT_CHECK_EQ_STR(js(tgm_value_map_get(tgm_json_root(doc), "z"), 0), "false");
    TT_CHECK_EQ_INT(tgm_value_map_len(tgm_json_root(doc)), 7);
    tgm_json_free(doc);
}

/* Many appends, nested edits through handles fetched again after each
 * growth, and a value copied into its own member. */
static void test_growth_and_self_copy(void) {
    tgm_json_t *doc = parse("{\"list\":[],\"m\":{}}", 0);
    TT_ASSERT(doc != NULL);
    enum { N = 5000 };
    for (int i = 0; i < N; i++) {
        tgm_value_t *root = tgm_json_edit(doc, tgm_json_root(doc));
        tgm_value_t *list = tgm_json_map_member(doc, root, "list", 4);
        tgm_value_t *e = tgm_json_array_append(doc, list);
        TT_ASSERT(e != NULL);
        TT_ASSERT(tgm_json_set_i64(doc, e, i) == TGM_ERROR_OK);
        char key[16];
        snprintf(key, sizeof key, "k%d", i % 97);
        tgm_value_t *m = tgm_json_map_member(doc, root, "m", 1);
        TT_ASSERT(tgm_json_set_i64(doc, tgm_json_map_member(doc, m, key, strlen(key)), i) ==
                  TGM_ERROR_OK);
    }
    const tgm_value_t *list = tgm_value_map_get(tgm_json_root(doc), "list");
    TT_CHECK_EQ_INT(tgm_value_array_len(list), N);
    int bad = 0;
    for (size_t i = 0; i < N; i++) {
        int64_t v = -1;
        bad += !tgm_value_as_i64(tgm_value_array_get(list, i), &v) || v != (int64_t)i;
    }
    TT_CHECK_EQ_INT(bad, 0);
    const tgm_value_t *m = tgm_value_map_get(tgm_json_root(doc), "m");
    TT_CHECK_EQ_INT(tgm_value_map_len(m), 97);
    int64_t last = 0;
    TT_CHECK(tgm_value_as_i64(tgm_value_map_get(m, "k3"), &last) &&
             last == (N - 1) - ((N - 1 - 3) % 97));

    /* root.m.self = root (a copy of the whole tree into one of its members). */
    tgm_value_t *root = tgm_json_edit(doc, tgm_json_root(doc));
    tgm_value_t *mm = tgm_json_map_member(doc, root, "m", 1);
    tgm_value_t *self = tgm_json_map_member(doc, mm, "self", 4);
    TT_ASSERT(tgm_json_set_copy(doc, self, tgm_json_root(doc)) == TGM_ERROR_OK);
    const tgm_value_t *copy = tgm_value_map_get(tgm_value_map_get(tgm_json_root(doc), "m"), "self");
    TT_CHECK_EQ_INT(tgm_value_array_len(tgm_value_map_get(copy, "list")), N);
    TT_CHECK(tgm_value_get_type(tgm_value_map_get(tgm_value_map_get(copy, "m"), "self")) ==
             TGM_VALUE_TYPE_NULL);
    /* The copy is independent: editing it leaves the original alone. */
    tgm_value_t *cl = tgm_json_edit(doc, tgm_value_map_get(copy, "list"));
    TT_ASSERT(cl != NULL && tgm_json_set_array(doc, cl) == TGM_ERROR_OK);
    TT_CHECK_EQ_INT(tgm_value_array_len(tgm_value_map_get(tgm_json_root(doc), "list")), N);
    /* root = root.list[7] (a member copied over its ancestor). */
    root = tgm_json_edit(doc, tgm_json_root(doc));
    TT_ASSERT(tgm_json_set_copy(doc, root,
                                tgm_value_array_get(tgm_value_map_get(tgm_json_root(doc), "list"),
                                                    7)) == TGM_ERROR_OK);
    TT_CHECK_EQ_STR(js(tgm_json_root(doc), 0), "7");
    tgm_json_free(doc);
}

static const char *META =
    "{\"base\":[{\"mars\":{\"param\":\"2t\",\"levelist\":[1000,850]},\"scale\":0.1}],"
    "\"_extra_\":{\"source\":\"test\",\"big\":18446744073709551615,\"neg\":-5},"
    "\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[4],\"strides\":[1],"
    "\"dtype\":\"float32\",\"byte_order\":\"little\",\"encoding\":\"none\","
    "\"filter\":\"none\",\"compression\":\"zstd\",\"zstd_level\":3}]}";

static void test_copy_from_metadata(void) {
    float data[4] = {1, 2, 3, 4};
    const uint8_t *ptrs[1] = {(const uint8_t *)data};
    size_t lens[1] = {sizeof data};
    tgm_bytes_t msg = {NULL, 0};
    TT_ASSERT(tgm_encode(META, ptrs, lens, 1, NULL, 0, &msg) == TGM_ERROR_OK);
    tgm_metadata_t *meta = NULL;
    tgm_message_t *enc = NULL;
    TT_ASSERT(tgm_decode_metadata(msg.data, msg.len, &meta) == TGM_ERROR_OK);
    TT_ASSERT(tgm_decode_encoded(msg.data, msg.len, &enc) == TGM_ERROR_OK);

    /* Rebuild {"base":[entry without _reserved_], "_extra_":..., "descriptors":[...]}
     * from cursors, encode it with the stored payload, and compare. */
    tgm_json_t *doc = NULL;
    TT_ASSERT(tgm_json_new(&doc) == TGM_ERROR_OK);
    tgm_value_t *root = tgm_json_edit(doc, tgm_json_root(doc));
    TT_ASSERT(tgm_json_set_map(doc, root) == TGM_ERROR_OK);
    tgm_value_t *base = tgm_json_map_member(doc, root, "base", 4);
    TT_ASSERT(tgm_json_set_array(doc, base) == TGM_ERROR_OK);
    tgm_value_t *entry = tgm_json_array_append(doc, base);
    TT_ASSERT(tgm_json_set_copy(doc, entry, tgm_metadata_object(meta, 0)) == TGM_ERROR_OK);
    TT_CHECK(tgm_value_map_get(entry, "_reserved_") != NULL);
    TT_CHECK_ERR(tgm_json_map_remove(doc, entry, "_reserved_", 10, NULL), TGM_ERROR_OK);
    TT_CHECK_EQ_STR(js(entry, 0),
                    "{\"mars\":{\"levelist\":[1000,850],\"param\":\"2t\"},\"scale\":0.1}");
    TT_ASSERT(tgm_json_set_copy(doc, tgm_json_map_member(doc, root, "_extra_", 7),
                                tgm_metadata_extra(meta)) == TGM_ERROR_OK);
    tgm_value_t *descs = tgm_json_map_member(doc, root, "descriptors", 11);
    TT_ASSERT(tgm_json_set_array(doc, descs) == TGM_ERROR_OK);
    const tgm_value_t *desc = tgm_object_descriptor(enc, 0);
    TT_ASSERT(desc != NULL);
    TT_CHECK(tgm_object_descriptor(enc, 1) == NULL);
    TT_CHECK_EQ_STR(js(desc, 0), tgm_object_descriptor_json(enc, 0));
    TT_ASSERT(tgm_json_set_copy(doc, tgm_json_array_append(doc, descs), desc) == TGM_ERROR_OK);
    TT_CHECK_EQ_STR(js(tgm_value_map_get(tgm_json_root(doc), "_extra_"), 0),
                    "{\"big\":18446744073709551615,\"neg\":-5,\"source\":\"test\"}");

    tgm_bytes_t text = {NULL, 0};
    TT_ASSERT(tgm_value_to_json_ex(tgm_json_root(doc), 0, &text) == TGM_ERROR_OK);
    char *json = malloc(text.len + 1);
    TT_ASSERT(json != NULL);
    memcpy(json, text.data, text.len);
    json[text.len] = '\0';
    size_t plen = 0;
    const uint8_t *payload = tgm_object_data(enc, 0, &plen);
    tgm_bytes_t again = {NULL, 0};
    TT_CHECK_ERR(tgm_encode_stored(json, &payload, &plen, 1, NULL, 0, &again), TGM_ERROR_OK);
    tgm_metadata_t *meta2 = NULL;
    TT_ASSERT(tgm_decode_metadata(again.data, again.len, &meta2) == TGM_ERROR_OK);
    /* Everything but _reserved_'s time and uuid is as it was. */
    TT_CHECK_EQ_STR(tgm_metadata_object_to_json(meta2, 0), tgm_metadata_object_to_json(meta, 0));
    /* Equality across orders: CBOR canonical (length first) vs built. */
    TT_CHECK(tgm_value_equal(tgm_metadata_extra(meta2),
                             tgm_value_map_get(tgm_json_root(doc), "_extra_")));
    TT_CHECK(tgm_value_equal(tgm_metadata_object(meta2, 0), tgm_metadata_object(meta, 0)));
    TT_CHECK(!tgm_value_equal(tgm_metadata_object(meta2, 0),
                              tgm_value_array_get(tgm_value_map_get(tgm_json_root(doc), "base"),
                                                  0))); /* _reserved_ removed from one */
    /* A value of the metadata is not part of the document. */
    TT_CHECK(tgm_json_edit(doc, tgm_metadata_extra(meta)) == NULL);
    TT_CHECK(strstr(tgm_last_error(), "not part of this JSON document") != NULL);
    TT_CHECK_ERR(tgm_json_set_null(doc, (tgm_value_t *)(uintptr_t)tgm_metadata_extra(meta)),
                 TGM_ERROR_INVALID_ARG);
    free(json);
    tgm_bytes_free(text);
    tgm_bytes_free(again);
    tgm_bytes_free(msg);
    tgm_metadata_free(meta);
    tgm_metadata_free(meta2);
    tgm_message_free(enc);
    tgm_json_free(doc);
}

static void test_equal(void) {
    tgm_json_t *a = parse("{\"x\":[1,2,{\"p\":0.5,\"q\":\"s\"}],\"y\":null,\"z\":-0.0}", 0);
    tgm_json_t *b =
        parse("{\"z\":-0.0,\"y\":null,\"x\":[1,2,{\"q\":\"s\",\"p\":0.5}]}", TGM_JSON_KEEP_ORDER);
    tgm_json_t *c = parse("{\"z\":0.0,\"y\":null,\"x\":[1,2,{\"q\":\"s\",\"p\":0.5}]}", 0);
    tgm_json_t *d = parse("{\"z\":-0.0,\"y\":null,\"x\":[2,1,{\"q\":\"s\",\"p\":0.5}]}", 0);
    tgm_json_t *e = parse("{\"z\":-0.0,\"y\":null,\"w\":[1,2,{\"q\":\"s\",\"p\":0.5}]}", 0);
    tgm_json_t *f = parse("[1, 1.0]", 0);
    TT_ASSERT(a && b && c && d && e && f);
    TT_CHECK(tgm_value_equal(tgm_json_root(a), tgm_json_root(b)));
    TT_CHECK(tgm_value_equal(tgm_json_root(b), tgm_json_root(a)));
    TT_CHECK(!tgm_value_equal(tgm_json_root(a), tgm_json_root(c))); /* -0.0 vs 0.0 */
    TT_CHECK(!tgm_value_equal(tgm_json_root(a), tgm_json_root(d))); /* array order */
    TT_CHECK(!tgm_value_equal(tgm_json_root(a), tgm_json_root(e))); /* other key */
    TT_CHECK(!tgm_value_equal(tgm_value_array_get(tgm_json_root(f), 0),
                              tgm_value_array_get(tgm_json_root(f), 1))); /* 1 vs 1.0 */
    TT_CHECK(!tgm_value_equal(tgm_json_root(a), NULL));
    TT_CHECK(!tgm_value_equal(NULL, NULL));
    tgm_json_free(a);
    tgm_json_free(b);
    tgm_json_free(c);
    tgm_json_free(d);
    tgm_json_free(e);
    tgm_json_free(f);
}

static void test_refusals(void) {
    tgm_json_t *doc = parse("{\"a\":[1],\"m\":{}}", 0);
    TT_ASSERT(doc != NULL);
    tgm_value_t *root = tgm_json_edit(doc, tgm_json_root(doc));
    tgm_value_t *a = tgm_json_map_member(doc, root, "a", 1);
    TT_CHECK(tgm_json_map_member(doc, a, "k", 1) == NULL);
    TT_CHECK_EQ_STR(tgm_last_error(), "not a map");
    TT_CHECK(tgm_json_array_append(doc, root) == NULL);
    TT_CHECK_EQ_STR(tgm_last_error(), "not an array");
    TT_CHECK_ERR(tgm_json_map_remove(doc, a, "k", 1, NULL), TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm_json_set_string(doc, a, "\xff", 1), TGM_ERROR_INVALID_ARG);
    TT_CHECK_EQ_STR(tgm_last_error(), "string is not valid UTF-8");
    TT_CHECK(tgm_json_map_member(doc, root, "\xc0\x80", 2) == NULL);
    TT_CHECK_ERR(tgm_json_set_null(NULL, root), TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm_json_set_copy(doc, root, NULL), TGM_ERROR_INVALID_ARG);
    TT_CHECK(tgm_json_edit(doc, NULL) == NULL);
    TT_CHECK_ERR(tgm_value_to_json_ex(tgm_json_root(doc), 4, &(tgm_bytes_t){NULL, 0}),
                 TGM_ERROR_INVALID_ARG);
    /* The document is unchanged by the refusals. */
    TT_CHECK_EQ_STR(js(tgm_json_root(doc), 0), "{\"a\":[1],\"m\":{}}");

    /* 1100 nested maps: built, but not copied, printed or compared. */
    tgm_value_t *v = tgm_json_map_member(doc, root, "m", 1);
    for (int i = 0; i < 1100 && v != NULL; i++) {
        v = tgm_json_map_member(doc, v, "d", 1);
        if (v != NULL && tgm_json_set_map(doc, v) != TGM_ERROR_OK) {
            v = NULL;
        }
    }
    TT_ASSERT(v != NULL);
    tgm_json_t *other = NULL;
    TT_ASSERT(tgm_json_new(&other) == TGM_ERROR_OK);
    TT_CHECK_ERR(
        tgm_json_set_copy(other, tgm_json_edit(other, tgm_json_root(other)), tgm_json_root(doc)),
        TGM_ERROR_INVALID_ARG);
    TT_CHECK(strstr(tgm_last_error(), "deeper than 1024") != NULL);
    tgm_bytes_t out = {NULL, 0};
    TT_CHECK(tgm_value_to_json_ex(tgm_json_root(doc), 0, &out) != TGM_ERROR_OK);
    TT_CHECK(!tgm_value_equal(tgm_json_root(doc), tgm_json_root(doc)));
    tgm_json_free(other);
    tgm_json_free(doc);
    tgm_json_free(NULL);
}

int main(void) {
    TT_RUN(test_parse_orders);
    TT_RUN(test_build);
    TT_RUN(test_growth_and_self_copy);
    TT_RUN(test_copy_from_metadata);
    TT_RUN(test_equal);
    TT_RUN(test_refusals);
    return tt_finish("test_json_doc");
}
