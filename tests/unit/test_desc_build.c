/* tgm__desc_build gives the encoder's final descriptor without reading
 * back the map it builds; this test holds it to that read
 * (tgm__desc_from_val over the same map) for descriptors parsed from
 * JSON: every dtype, both byte orders and none, scalars, empty and
 * overflowing shapes, long types, parameters of every kind (including
 * non-text keys, which the read refuses), and masks. */
#include <string.h>

#include "cbor/cbor.h"
#include "meta/meta.h"
#include "tt.h"
#include "json/json.h"

static bool same_u64s(const uint64_t *a, const uint64_t *b, size_t n) {
    return n == 0 || memcmp(a, b, n * sizeof *a) == 0;
}

/* The two descriptors agree on every field a reader sees. */
static void check_same(const tgm_descriptor *x, const tgm_descriptor *y, const char *json) {
    bool ok =
        x->map == y->map && x->params == y->params && x->cbor == y->cbor &&
        strcmp(x->obj_type, y->obj_type) == 0 && x->ndim == y->ndim && x->nshape == y->nshape &&
        same_u64s(x->shape, y->shape, x->nshape) && x->nstrides == y->nstrides &&
        same_u64s(x->strides, y->strides, x->nstrides) && x->dtype == y->dtype &&
        x->big_endian == y->big_endian && x->byte_order_present == y->byte_order_present &&
        strcmp(x->encoding, y->encoding) == 0 && strcmp(x->filter, y->filter) == 0 &&
        strcmp(x->compression, y->compression) == 0 && x->has_masks == y->has_masks &&
        x->num_elements == y->num_elements && x->num_elements_overflow == y->num_elements_overflow;
    for (int k = 0; k < TGM_DESC_MASKS && ok; k++) {
        ok = x->masks[k].present == y->masks[k].present &&
             x->masks[k].offset == y->masks[k].offset && x->masks[k].length == y->masks[k].length;
    }
    if (!ok) {
        fprintf(stderr, "  differs for %s\n", json);
    }
    TT_CHECK(ok);
}

/* Parse `json` as a descriptor, build its final form with `params` (a map
 * given as JSON, or NULL: the descriptor's own) and `masks` (JSON or
 * NULL), and compare with the read-back. */
static void one(const char *json, const char *params_json, const char *masks_json) {
    tgm_arena a = TGM_ARENA_INIT;
    tgm_val *v, *pv = NULL, *mv = NULL;
    tgm_descriptor in;
    TT_ASSERT(tgm__json_parse(json, strlen(json), &a, &v) == TGM_ERROR_OK);
    TT_ASSERT(tgm__desc_from_val(&a, v, "d", &in) == TGM_ERROR_OK);
    if (params_json != NULL) {
        TT_ASSERT(tgm__json_parse(params_json, strlen(params_json), &a, &pv) == TGM_ERROR_OK);
    } else {
        pv = tgm__desc_params_map(&a, &in);
        TT_ASSERT(pv != NULL);
    }
    if (masks_json != NULL) {
        TT_ASSERT(tgm__json_parse(masks_json, strlen(masks_json), &a, &mv) == TGM_ERROR_OK);
    }
    tgm_val *built;
    tgm_descriptor fast;
    memset(&fast, 0xa5, sizeof fast);
    tgm_error e1 = tgm__desc_build(&a, &in, pv, mv, &built, &fast);
    tgm_val *built2;
    tgm_descriptor slow;
    tgm_error e2 = tgm__desc_build_val(&a, &in, pv, mv, &built2);
    TT_ASSERT(e2 == TGM_ERROR_OK);
    e2 = tgm__desc_from_val(&a, built2, "descriptor", &slow);
    TT_CHECK_EQ_INT(e1, e2);
    if (e1 == TGM_ERROR_OK && e2 == TGM_ERROR_OK) {
        /* The same map content: both encode to the same CBOR. */
        tgm_buf c1 = TGM_BUF_INIT, c2 = TGM_BUF_INIT;
        TT_CHECK(tgm__cbor_encode(built, &c1) == TGM_ERROR_OK);
        TT_CHECK(tgm__cbor_encode(built2, &c2) == TGM_ERROR_OK);
        TT_CHECK(c1.len == c2.len && memcmp(c1.data, c2.data, c1.len) == 0);
        tgm__buf_free(&c1);
        tgm__buf_free(&c2);
        slow.map = built; /* the one field that names its own map */
        check_same(&fast, &slow, json);
    }
    tgm__arena_free(&a);
}

#define DESC(order, extra)                                                                         \
    "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[2],\"strides\":[1],\"dtype\":\"float64\"" order   \
    ",\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"none\"" extra "}"

static void test_dtypes_orders(void) {
    static const char *dtypes[] = {"float16",    "bfloat16", "float32", "float64", "complex64",
                                   "complex128", "int8",     "int16",   "int32",   "int64",
                                   "uint8",      "uint16",   "uint32",  "uint64",  "bitmask"};
    static const char *orders[] = {"", ",\"byte_order\":\"big\"", ",\"byte_order\":\"little\""};
    char json[512];
    for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++) {
        for (size_t k = 0; k < 3; k++) {
            snprintf(json, sizeof json,
                     "{\"type\":\"ntensor\",\"ndim\":2,\"shape\":[3,4],\"strides\":[4,1],"
                     "\"dtype\":\"%s\"%s,\"encoding\":\"simple_packing\",\"filter\":\"shuffle\","
                     "\"compression\":\"zstd\"}",
                     dtypes[i], orders[k]);
            one(json, NULL, NULL);
        }
    }
}

static void test_shapes(void) {
    static const char *shapes[][2] = {
        {"[]", "[]"},
        {"[0]", "[1]"},
        {"[1,1,1,1,1,1,1,1]", "[1,1,1,1,1,1,1,1]"},
        {"[18446744073709551615,2]", "[2,1]"}, /* product overflows */
        {"[4294967296,4294967296]", "[4294967296,1]"},
        {"[3]", "[]"}, /* strides shorter than shape: read as given */
        {"[3,8,8]", "[64,8,1]"},
    };
    char json[512];
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        snprintf(json, sizeof json,
                 "{\"type\":\"some \\u00e9 type \\\"q\\\"\",\"ndim\":9,\"shape\":%s,"
                 "\"strides\":%s,\"dtype\":\"int16\",\"encoding\":\"none\",\"filter\":\"none\","
                 "\"compression\":\"none\"}",
                 shapes[i][0], shapes[i][1]);
        one(json, NULL, NULL);
    }
}

static void test_params_masks(void) {
    const char *base = DESC("", "");
    const char *withp = DESC(",\"byte_order\":\"big\"",
                             ",\"zz\":1,\"aa\":{\"x\":[1,2.5,null]},\"\":\"\",\"long key ok\":-5");
    one(withp, NULL, NULL);
    one(base, "{\"reference_value\":1.5,\"bits_per_value\":16,\"binary_scale_factor\":-3}", NULL);
    one(base, "{}", NULL);
    /* Non-text parameter keys: the read refuses them, so must the build. */
    tgm_arena a = TGM_ARENA_INIT;
    tgm_val *v;
    tgm_descriptor in;
    TT_ASSERT(tgm__json_parse(base, strlen(base), &a, &v) == TGM_ERROR_OK);
    TT_ASSERT(tgm__desc_from_val(&a, v, "d", &in) == TGM_ERROR_OK);
    tgm_val *pv = tgm__val_map(&a, 1);
    TT_ASSERT(pv != NULL);
    tgm__val_set_uint(&pv->p.items[0], 7);
    tgm__val_set_uint(&pv->p.items[1], 8);
    tgm_val *built;
    tgm_descriptor fd;
    TT_CHECK_ERR(tgm__desc_build(&a, &in, pv, NULL, &built, &fd), TGM_ERROR_METADATA);
    tgm__arena_free(&a);
    /* Masks: taken from the read. */
    one(base, NULL,
        "{\"nan\":{\"method\":\"roaring\",\"offset\":16,\"length\":9},"
        "\"inf+\":{\"method\":\"rle\",\"offset\":25,\"length\":3}}");
}

/* tgm__desc_from_val itself: the first entry of a repeated fixed key is
 * the one read, near-miss keys are parameters, and each missing or
 * mistyped field is reported by name, in the order of the fields. */
static void read_err(const char *json, const char *want) {
    tgm_arena a = TGM_ARENA_INIT;
    tgm_val *v;
    tgm_descriptor d;
    TT_ASSERT(tgm__json_parse_ex(json, strlen(json), TGM_JSON_PARSE_KEEP_ORDER, &a, &v) ==
              TGM_ERROR_OK);
    TT_CHECK_ERR(tgm__desc_from_val(&a, v, "descriptors[0]", &d), TGM_ERROR_METADATA);
    if (strstr(tgm_last_error(), want) == NULL) {
        fprintf(stderr, "  %s: got '%s', want '%s'\n", json, tgm_last_error(), want);
        TT_CHECK(0);
    }
    tgm__arena_free(&a);
}

static void test_read(void) {
    const char *json =
        "{\"typo\":1,\"type\":\"first\",\"Type\":2,\"ndim\":1,\"shape\":[5],\"strides\":[1],"
        "\"type\":\"second\",\"dtype\":\"int8\",\"dtype\":\"float64\",\"byte_order\":\"big\","
        "\"encoding\":\"e\",\"filter\":\"f\",\"compression\":\"c\",\"filters\":0,"
        "\"compression\":\"later\",\"byte_orde\":0,\"masks\":null,\"shape2\":[9]}";
    tgm_arena a = TGM_ARENA_INIT;
    tgm_val *v;
    tgm_descriptor d;
    TT_ASSERT(tgm__json_parse_ex(json, strlen(json), TGM_JSON_PARSE_KEEP_ORDER, &a, &v) ==
              TGM_ERROR_OK);
    TT_ASSERT(tgm__desc_from_val(&a, v, "d", &d) == TGM_ERROR_OK);
    TT_CHECK_EQ_STR(d.obj_type, "first");
    TT_CHECK(d.dtype == TGM_DT_INT8 && d.big_endian && d.byte_order_present);
    TT_CHECK(d.nshape == 1 && d.shape[0] == 5 && d.num_elements == 5);
    TT_CHECK_EQ_STR(d.compression, "c");
    TT_CHECK(!d.has_masks);
    tgm_val *pm = tgm__desc_params_map(&a, &d);
    TT_ASSERT(pm != NULL);
    /* parameters: the near misses, sorted; no fixed key */
    static const char *const want[] = {"Type", "byte_orde", "filters", "shape2", "typo"};
    TT_CHECK_EQ_INT(pm->len, 5);
    for (size_t i = 0; i < pm->len && i < 5; i++) {
        TT_CHECK(tgm__val_is_text(tgm__val_map_key(pm, i), want[i]));
    }
    tgm__arena_free(&a);

    const char *full = "\"type\":\"t\",\"ndim\":1,\"shape\":[2],\"strides\":[1],\"dtype\":"
                       "\"int8\",\"encoding\":\"none\",\"filter\":\"none\",\"compression\":"
                       "\"none\"";
    static const char *const fields[] = {"type",  "ndim",     "shape",  "strides",
                                         "dtype", "encoding", "filter", "compression"};
    char buf[512];
    for (size_t f = 0; f < 8; f++) {
        /* without field f: "missing field `f`" */
        const char *at = strstr(full, fields[f]) - 1;
        const char *end = strchr(strchr(at, ':'), f == 2 || f == 3 ? ']' : ',');
        if (f == 2 || f == 3) {
            end++;
        }
        if (end == NULL) {
            end = full + strlen(full);
        }
        size_t pre = (size_t)(at - full), skip = (size_t)(end - at);
        snprintf(buf, sizeof buf, "{%.*s%s}", (int)pre, full, at + skip + (*end == ',' ? 1 : 0));
        size_t bl = strlen(buf);
        if (buf[bl - 2] == ',') {
            buf[bl - 2] = '}';
            buf[bl - 1] = '\0';
        }
        char want_err[64];
        snprintf(want_err, sizeof want_err, "missing field `%s`", fields[f]);
        read_err(buf, want_err);
        /* field f given as true first (the later good one is not read) */
        snprintf(buf, sizeof buf, "{\"%s\":true,%s}", fields[f], full);
        snprintf(want_err, sizeof want_err, "invalid type for `%s`", fields[f]);
        read_err(buf, want_err);
    }
    snprintf(buf, sizeof buf, "{\"byte_order\":\"middle\",%s}", full);
    read_err(buf, "unknown variant `middle` for `byte_order`");
    snprintf(buf, sizeof buf, "{\"masks\":3,%s}", full);
    read_err(buf, "invalid type for `masks`");
}

int main(void) {
    TT_RUN(test_dtypes_orders);
    TT_RUN(test_shapes);
    TT_RUN(test_params_masks);
    TT_RUN(test_read);
    return tt_finish("test_desc_build");
}
