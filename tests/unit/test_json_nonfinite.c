/* The JSON parser's NaN / Infinity / -Infinity extension
 * (TGM_JSON_ALLOW_NONFINITE), used for the metadata the C API receives.
 *
 * Checks: the three words read as the expected float64 bit patterns and
 * nothing else does; without the flag the strict parser refuses them with
 * serde_json's texts; their canonical CBOR is the shortest exact float
 * (half precision: f9 7e00 / f9 7c00 / f9 fc00, bytes written out by hand
 * from RFC 8949 §3.3 and IEEE 754 binary16); metadata holding them
 * survives tgm_encode / tgm_decode_metadata and the streaming encoder,
 * while the JSON output keeps printing them as null. */
#include "tt.h"

#include <math.h>
#include <stdint.h>
#include <unistd.h>

#include "cbor/cbor.h"
#include "cbor/value.h"
#include "common/arena.h"
#include "common/buf.h"
#include "common/error.h"
#include "tensogram/tensogram.h"
#include "json/json.h"

static uint64_t bitsof(double d) {
    uint64_t b;
    memcpy(&b, &d, 8);
    return b;
}

static tgm_error parse_ext(tgm_arena *a, const char *s, tgm_val **v) {
    return tgm__json_parse_ex(s, strlen(s), TGM_JSON_ALLOW_NONFINITE, a, v);
}

/* Canonical CBOR of the value parsed (with the extension) from json, as
 * lowercase hex; "" on failure. */
static const char *cbor_hex(const char *json) {
    static char hex[512];
    tgm_arena a = TGM_ARENA_INIT;
    tgm_val *v = NULL;
    tgm_buf b = TGM_BUF_INIT;
    hex[0] = '\0';
    if (parse_ext(&a, json, &v) == TGM_ERROR_OK && tgm__cbor_encode(v, &b) == TGM_ERROR_OK &&
        b.len * 2 < sizeof hex) {
        for (size_t i = 0; i < b.len; i++) {
            snprintf(hex + 2 * i, 3, "%02x", b.data[i]);
        }
    }
    tgm__buf_free(&b);
    tgm__arena_free(&a);
    return hex;
}

static void test_words(void) {
    struct {
        const char *in;
        uint64_t bits;
    } t[] = {
        {"NaN", 0x7ff8000000000000ull},
        {"Infinity", 0x7ff0000000000000ull},
        {"-Infinity", 0xfff0000000000000ull},
        {" \n\tNaN \r\n", 0x7ff8000000000000ull},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        tgm_arena a = TGM_ARENA_INIT;
        tgm_val *v = NULL;
        TT_CHECK_ERR(parse_ext(&a, t[i].in, &v), TGM_ERROR_OK);
        TT_CHECK(v != NULL && v->kind == TGM_V_FLOAT && bitsof(v->num.f) == t[i].bits);
        tgm__arena_free(&a);
    }
    /* Inside containers, next to ordinary values. */
    tgm_arena a = TGM_ARENA_INIT;
    tgm_val *v = NULL;
    TT_ASSERT(parse_ext(&a, "{\"b\":[1,NaN,-Infinity,{\"c\":Infinity}],\"a\":-0.5}", &v) ==
              TGM_ERROR_OK);
    TT_ASSERT(v->kind == TGM_V_MAP && v->len == 2);
    const tgm_val *arr = &v->p.items[3]; /* keys sorted: "a", then "b" */
    TT_ASSERT(arr->kind == TGM_V_ARRAY && arr->len == 4);
    TT_CHECK(arr->p.items[0].kind == TGM_V_INT);
    TT_CHECK(arr->p.items[1].kind == TGM_V_FLOAT && isnan(arr->p.items[1].num.f));
    TT_CHECK(arr->p.items[2].kind == TGM_V_FLOAT &&
             bitsof(arr->p.items[2].num.f) == 0xfff0000000000000ull);
    const tgm_val *inner = &arr->p.items[3];
    TT_CHECK(inner->kind == TGM_V_MAP && inner->len == 1 && inner->p.items[1].kind == TGM_V_FLOAT &&
             isinf(inner->p.items[1].num.f));
    TT_CHECK(v->p.items[1].kind == TGM_V_FLOAT && v->p.items[1].num.f == -0.5);
    tgm__arena_free(&a);
}

static void test_near_misses(void) {
    /* Only the exact spellings: everything else stays an error, even with
     * the extension, and overflow is still refused. */
    struct {
        const char *in;
        const char *msg; /* NULL: any metadata error */
    } t[] = {
        {"nan", "expected ident at line 1 column 2"},
        {"NAN", "expected ident at line 1 column 2"},
        {"Nan", "expected ident at line 1 column 3"},
        {"Inf", "EOF while parsing a value at line 1 column 3"},
        {"inf", "expected value at line 1 column 1"},
        {"+Infinity", "expected value at line 1 column 1"},
        {"-inf", "invalid number at line 1 column 2"},
        {"-NaN", "invalid number at line 1 column 2"},
        {"InfinitY", "expected ident at line 1 column 8"},
        {"NaN1", "trailing characters at line 1 column 4"},
        {"[Infinity,]", "trailing comma at line 1 column 11"},
        {"[Infinity 1]", "expected `,` or `]` at line 1 column 11"},
        {"{NaN:1}", "key must be a string at line 1 column 2"},
        {"1e309", "number out of range at line 1 column 5"},
        {"\"NaN\"x", NULL},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        tgm_arena a = TGM_ARENA_INIT;
        tgm_val *v = NULL;
        tgm__clear_error();
        TT_CHECK_ERR(parse_ext(&a, t[i].in, &v), TGM_ERROR_METADATA);
        if (t[i].msg != NULL) {
            char want[256];
            snprintf(want, sizeof want, "metadata error: failed to parse metadata JSON: %s",
                     t[i].msg);
            const char *got = tgm_last_error();
            int ok = got != NULL && strcmp(got, want) == 0;
            TT_CHECK(ok);
            if (!ok) {
                fprintf(stderr, "  input [%s]: got \"%s\"\n", t[i].in, got ? got : "(none)");
            }
        }
        tgm__arena_free(&a);
    }
    /* A string "NaN" is just text. */
    tgm_arena a = TGM_ARENA_INIT;
    tgm_val *v = NULL;
    TT_CHECK(parse_ext(&a, "\"NaN\"", &v) == TGM_ERROR_OK && v->kind == TGM_V_TEXT);
    tgm__arena_free(&a);
}

static void test_strict_unchanged(void) {
    struct {
        const char *in;
        const char *msg;
    } t[] = {
        {"NaN", "expected value at line 1 column 1"},
        {"Infinity", "expected value at line 1 column 1"},
        {"-Infinity", "invalid number at line 1 column 2"},
        {"{\"a\":NaN}", "expected value at line 1 column 6"},
        {"[1, Infinity]", "expected value at line 1 column 5"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        tgm_arena a = TGM_ARENA_INIT;
        tgm_val *v = NULL;
        char want[256];
        snprintf(want, sizeof want, "metadata error: failed to parse metadata JSON: %s", t[i].msg);
        TT_CHECK_ERR(tgm__json_parse(t[i].in, strlen(t[i].in), &a, &v), TGM_ERROR_METADATA);
        TT_CHECK_EQ_STR(tgm_last_error(), want);
        TT_CHECK_ERR(tgm__json_parse_ex(t[i].in, strlen(t[i].in), 0, &a, &v), TGM_ERROR_METADATA);
        TT_CHECK_EQ_STR(tgm_last_error(), want);
        tgm__arena_free(&a);
    }
}

static void test_cbor_bytes(void) {
    /* Half precision: sign | 5-bit exponent | 10-bit fraction.  NaN is the
     * quiet NaN 0 11111 1000000000 = 0x7e00, +Inf 0x7c00, -Inf 0xfc00;
     * major type 7 with additional information 25 = 0xf9. */
    TT_CHECK_EQ_STR(cbor_hex("NaN"), "f97e00");
    TT_CHECK_EQ_STR(cbor_hex("Infinity"), "f97c00");
    TT_CHECK_EQ_STR(cbor_hex("-Infinity"), "f9fc00");
    /* Array of 5 (0x85) with 1.5 = half 0x3e00 and -0.0 = half 0x8000. */
    TT_CHECK_EQ_STR(cbor_hex("[NaN,Infinity,-Infinity,1.5,-0.0]"),
                    "85f97e00f97c00f9fc00f93e00f98000");
    /* Map of 3 (0xa3), one-letter text keys (0x61 + byte), sorted. */
    TT_CHECK_EQ_STR(cbor_hex("{\"c\":-Infinity,\"a\":NaN,\"b\":Infinity}"),
                    "a36161f97e006162f97c006163f9fc00");
}

/* Index of `needle` in hay, or SIZE_MAX. */
static size_t find(const uint8_t *hay, size_t n, const uint8_t *needle, size_t m) {
    for (size_t i = 0; i + m <= n; i++) {
        if (memcmp(hay + i, needle, m) == 0) {
            return i;
        }
    }
    return SIZE_MAX;
}

#define DESC                                                                                       \
    "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[2],\"strides\":[1],\"dtype\":\"float32\","        \
    "\"byte_order\":\"little\",\"encoding\":\"none\",\"filter\":\"none\",\"compression\":"         \
    "\"none\"}"

static void check_metadata(const uint8_t *msg, size_t len) {
    /* The CBOR of the metadata frame: "nan_key": NaN as 67 "nan_key" f97e00,
     * "neg": -Infinity in base[0] as 63 "neg" f9fc00. */
    static const uint8_t nan_entry[] = {0x67, 'n', 'a', 'n', '_', 'k', 'e', 'y', 0xf9, 0x7e, 0x00};
    static const uint8_t neg_entry[] = {0x63, 'n', 'e', 'g', 0xf9, 0xfc, 0x00};
    static const uint8_t inf_item[] = {0x82, 0xf9, 0x7c, 0x00, 0x01}; /* [Infinity, 1] */
    TT_CHECK(find(msg, len, nan_entry, sizeof nan_entry) != SIZE_MAX);
    TT_CHECK(find(msg, len, neg_entry, sizeof neg_entry) != SIZE_MAX);
    TT_CHECK(find(msg, len, inf_item, sizeof inf_item) != SIZE_MAX);

    /* Through a full decode: the streaming encoder keeps per-object
     * metadata in preceder frames, which only a decode merges into base. */
    tgm_message_t *m = NULL;
    TT_ASSERT(tgm_decode(msg, len, 1, 0, 1, &m) == TGM_ERROR_OK);
    tgm_metadata_t *md = NULL;
    tgm_error e = tgm_message_metadata(m, &md);
    tgm_message_free(m);
    TT_ASSERT(e == TGM_ERROR_OK);
    double f = tgm_metadata_get_float(md, "nan_key", 0.0);
    TT_CHECK(bitsof(f) == 0x7ff8000000000000ull);
    f = tgm_metadata_get_float_at(md, 0, "neg", 0.0);
    TT_CHECK(bitsof(f) == 0xfff0000000000000ull);
    const tgm_value_t *l = tgm_metadata_get(md, "list");
    TT_CHECK(tgm_value_array_len(l) == 2);
    double g = 0;
    TT_CHECK(tgm_value_as_f64(tgm_value_array_get(l, 0), &g) && isinf(g) && g > 0);
    /* The JSON output is unchanged: non-finite floats print as null. */
    const char *js = tgm_metadata_to_json(md);
    TT_CHECK(js != NULL && strstr(js, "\"nan_key\":null") != NULL);
    TT_CHECK(js != NULL && strstr(js, "\"neg\":null") != NULL);
    TT_CHECK(js != NULL && strstr(js, "\"list\":[null,1]") != NULL);
    TT_CHECK(js != NULL && strstr(js, "NaN") == NULL && strstr(js, "Infinity") == NULL);
    tgm_metadata_free(md);
}

static void test_encode_roundtrip(void) {
    const char *meta = "{\"descriptors\":[" DESC "],\"nan_key\":NaN,\"list\":[Infinity,1],"
                       "\"base\":[{\"neg\":-Infinity}]}";
    float v[2] = {1, 2};
    const uint8_t *p = (const uint8_t *)v;
    size_t len = sizeof v;
    tgm_bytes_t msg = {NULL, 0};
    TT_ASSERT(tgm_encode(meta, &p, &len, 1, "xxh3", 0, &msg) == TGM_ERROR_OK);
    check_metadata(msg.data, msg.len);
    /* The metadata CBOR is canonical: validation with the canonical check
     * finds nothing to report. */
    tgm_bytes_t rep = {NULL, 0};
    TT_ASSERT(tgm_validate(msg.data, msg.len, "default", 1, &rep) == TGM_ERROR_OK);
    char *text = calloc(1, rep.len + 1);
    memcpy(text, rep.data, rep.len);
    TT_CHECK(strstr(text, "\"issues\":[]") != NULL);
    free(text);
    tgm_bytes_free(rep);
    tgm_bytes_free(msg);

    /* Descriptors too go through the extended parser, but the pipeline
     * still checks its parameters. */
    const char *bad = "{\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[2],"
                      "\"strides\":[1],\"dtype\":\"float64\",\"byte_order\":\"little\","
                      "\"encoding\":\"simple_packing\",\"sp_bits_per_value\":16,"
                      "\"sp_reference_value\":NaN,\"sp_binary_scale_factor\":0,"
                      "\"sp_decimal_scale_factor\":0,\"filter\":\"none\",\"compression\":"
                      "\"none\"}]}";
    double dv[2] = {1, 2};
    p = (const uint8_t *)dv;
    len = sizeof dv;
    TT_CHECK(tgm_encode(bad, &p, &len, 1, NULL, 0, &msg) != TGM_ERROR_OK);
}

static void test_streaming(void) {
    char path[] = "/tmp/tgm_json_nonfinite_XXXXXX";
    int fd = mkstemp(path);
    TT_ASSERT(fd >= 0);
    close(fd);
    tgm_streaming_encoder_t *e = NULL;
    TT_ASSERT(tgm_streaming_encoder_create(path, "{\"nan_key\":NaN,\"list\":[Infinity,1]}", "xxh3",
                                           0, &e) == TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_streaming_encoder_write_preceder(e, "{\"neg\":-Infinity}"), TGM_ERROR_OK);
    float v[2] = {1, 2};
    TT_CHECK_ERR(tgm_streaming_encoder_write(e, DESC, (const uint8_t *)v, sizeof v), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_streaming_encoder_finish(e), TGM_ERROR_OK);
    tgm_streaming_encoder_free(e);
    size_t n = 0;
    uint8_t *msg = tt_read_file(path, &n);
    TT_ASSERT(msg != NULL);
    check_metadata(msg, n);
    free(msg);
    unlink(path);
}

int main(void) {
    TT_RUN(test_words);
    TT_RUN(test_near_misses);
    TT_RUN(test_strict_unchanged);
    TT_RUN(test_cbor_bytes);
    TT_RUN(test_encode_roundtrip);
    TT_RUN(test_streaming);
    return tt_finish("test_json_nonfinite");
}
