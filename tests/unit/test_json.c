/* Tests for src/json: serde_json-compatible writer, float formatting and
 * the parser.
 *
 * Float expectations are serde_json 1.0.149's output (zmij notation); the
 * digit strings of the table come from zmij's and Ryu's own test vectors
 * and from glibc's correctly rounded printf/strtod, which also serve as
 * the oracle for the randomized round-trip and shortness checks. */
#include "tt.h"

#include <dirent.h>
#include <float.h>
#include <math.h>

#include "cbor/cbor.h"
#include "cbor/value.h"
#include "common/alloc.h"
#include "common/arena.h"
#include "common/error.h"
#include "json/json.h"
#include "json/json_internal.h"

static tgm_arena A = TGM_ARENA_INIT;

static double dbits(uint64_t b) {
    double d;
    memcpy(&d, &b, 8);
    return d;
}

static uint64_t bitsof(double d) {
    uint64_t b;
    memcpy(&b, &d, 8);
    return b;
}

static int contains(const char *hay, const char *needle) {
    return hay != NULL && strstr(hay, needle) != NULL;
}

/* Parse then write compactly (or pretty); returns a static copy or NULL. */
static const char *rewrite(const char *json, tgm_json_style style) {
    static char out[8192];
    tgm_val *v;
    if (tgm__json_parse(json, strlen(json), &A, &v) != TGM_ERROR_OK) {
        return NULL;
    }
    tgm_buf b = TGM_BUF_INIT;
    if (tgm__json_write(v, style, &b) != TGM_ERROR_OK || b.len >= sizeof out) {
        tgm__buf_free(&b);
        return NULL;
    }
    memcpy(out, b.data, b.len);
    out[b.len] = '\0';
    tgm__buf_free(&b);
    return out;
}

static const char *write_val(const tgm_val *v, tgm_json_style style) {
    static char out[8192];
    tgm_buf b = TGM_BUF_INIT;
    if (tgm__json_write(v, style, &b) != TGM_ERROR_OK || b.len >= sizeof out) {
        tgm__buf_free(&b);
        return NULL;
    }
    memcpy(out, b.data, b.len);
    out[b.len] = '\0';
    tgm__buf_free(&b);
    return out;
}

static tgm_val *parse(const char *json, tgm_error *err) {
    tgm_val *v = NULL;
    *err = tgm__json_parse(json, strlen(json), &A, &v);
    return v;
}

/* ---- float formatting --------------------------------------------------- */

static void test_format_table(void) {
    struct {
        double v;
        const char *want;
    } t[] = {
        {0.0, "0.0"},
        {-0.0, "-0.0"},
        {1.0, "1.0"},
        {-1.0, "-1.0"},
        {0.1, "0.1"},
        {0.3, "0.3"},
        {1.5, "1.5"},
        {100.0, "100.0"},
        {273.15, "273.15"},
        {1e15, "1000000000000000.0"},
        {1e16, "1e+16"},
        {123456789012345680.0, "1.2345678901234568e+17"},
        {9007199254740993.0, "9007199254740992.0"},
        {1e21, "1e+21"},
        {1e22, "1e+22"},
        {1e23, "1e+23"},
        {1e-4, "0.0001"},
        {1e-5, "0.00001"},
        {2.5e-5, "0.000025"},
        {1.5e-6, "1.5e-6"},
        {1e-7, "1e-7"},
        {1.5e-7, "1.5e-7"},
        {5e-324, "5e-324"},
        {1e-323, "1e-323"},
        {1.2e-322, "1.2e-322"},
        {1.24e-322, "1.24e-322"},
        {1.234e-320, "1.234e-320"},
        {2.2250738585072014e-308, "2.2250738585072014e-308"},
        {1.7976931348623157e308, "1.7976931348623157e+308"},
        {-1.7976931348623157e308, "-1.7976931348623157e+308"},
        {6.62607015e-34, "6.62607015e-34"},
        {5.444310685350916e+14, "544431068535091.6"},
        {-4.932096661796888e-226, "-4.932096661796888e-226"},
        {3.439070283483335e+35, "3.439070283483335e+35"},
        {6.606854224493745e-17, "6.606854224493745e-17"},
        {6.079537928711555e+61, "6.079537928711555e+61"},
        {9.061488e15, "9061488000000000.0"},
        {1234567.125, "1234567.125"},
        {0.30000000000000004, "0.30000000000000004"},
        {1.0 / 3.0, "0.3333333333333333"},
        {2.0 / 3.0, "0.6666666666666666"},
        {1e100, "1e+100"},
        {1.5e300, "1.5e+300"},
        {4294967296.0, "4294967296.0"},
        {65504.0, "65504.0"},
        {3.4028234663852886e+38, "3.4028234663852886e+38"},
        {1.1754943508222875e-38, "1.1754943508222875e-38"},
        {9.5367431640625e-7, "9.5367431640625e-7"},
        {0.000001, "1e-6"},
        {0.00001234, "0.00001234"},
        {999999999999999.9, "999999999999999.9"},
        {9999999999999998.0, "9999999999999998.0"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char buf[32];
        size_t n = tgm__json_format_f64(t[i].v, buf);
        TT_CHECK_EQ_STR(buf, t[i].want);
        TT_CHECK_EQ_INT(n, strlen(t[i].want));
    }
}

static void test_rust_debug_format(void) {
    struct {
        double v;
        const char *want;
    } t[] = {
        {0.0, "0.0"},
        {-0.0, "-0.0"},
        {1.0, "1.0"},
        {1.5, "1.5"},
        {0.0001, "0.0001"},
        {0.00001, "1e-5"},
        {1.5e-7, "1.5e-7"},
        {1e15, "1000000000000000.0"},
        {1e16, "1e16"},
        {1.2345e20, "1.2345e20"},
        {-2.5, "-2.5"},
        {5e-324, "5e-324"},
        {1.7976931348623157e308, "1.7976931348623157e308"},
        {NAN, "NaN"},
        {INFINITY, "inf"},
        {-INFINITY, "-inf"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char buf[32];
        tgm__f64_format_rust_debug(t[i].v, buf);
        TT_CHECK_EQ_STR(buf, t[i].want);
    }
}

static uint64_t rng_state = 0x2545f4914f6cdd1dull;
static uint64_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Random doubles: the output reads back exactly (glibc strtod is correctly
 * rounded), uses no more digits than needed, and is the nearest of the
 * candidates with that many digits. */
static void test_format_random(void) {
    int checked = 0;
    for (int i = 0; i < 200000; i++) {
        uint64_t b = rnd();
        switch (i % 4) {
        case 1:
            b = (b & 0x800fffffffffffffull) | ((uint64_t)(1023 - 40 + (int)(rnd() % 80)) << 52);
            break;
        case 2:
            b = bitsof((double)(int64_t)(rnd() % 2000001 - 1000000) /
                       pow(10.0, (double)(rnd() % 9)));
            break;
        case 3:
            b &= 0x800fffffffffffffull | (rnd() % 2 ? 0x0010000000000000ull : 0); /* tiny */
            break;
        default:
            break;
        }
        double v = dbits(b);
        if (!isfinite(v)) {
            continue;
        }
        char buf[32];
        tgm__json_format_f64(v, buf);
        double back = strtod(buf, NULL);
        if (bitsof(back) != bitsof(v)) {
            TT_CHECK(!"round trip");
            fprintf(stderr, "  %016llx -> %s\n", (unsigned long long)b, buf);
            continue;
        }
        if (v == 0.0) {
            continue;
        }
        char dg[17];
        int k;
        int n = tgm__f64_shortest(v, dg, &k);
        /* Nearest: the correctly rounded n-digit value, when it reads back as
         * v, must be our output. */
        char ref[40];
        snprintf(ref, sizeof ref, "%.*e", n - 1, fabs(v));
        if (strtod(ref, NULL) == fabs(v)) {
            char mine[40];
            snprintf(mine, sizeof mine, "%c%s%.*se%d", dg[0], n > 1 ? "." : "", n - 1, dg + 1,
                     k - 1);
            if (strtod(mine, NULL) != strtod(ref, NULL) || strncmp(ref, mine, (size_t)n + 1) != 0) {
                TT_CHECK(!"nearest");
                fprintf(stderr, "  %016llx: %s vs %s\n", (unsigned long long)b, mine, ref);
            }
        }
        /* Shortest: no value with n-1 digits near v reads back as v. */
        if (n > 1) {
            snprintf(ref, sizeof ref, "%.*e", n - 2, fabs(v));
            double lo = strtod(ref, NULL);
            if (lo == fabs(v)) {
                TT_CHECK(!"shorter exists");
                fprintf(stderr, "  %016llx: %s is shorter\n", (unsigned long long)b, ref);
            }
        }
        checked++;
    }
    TT_CHECK(checked > 150000);
}

/* ---- writer ------------------------------------------------------------------ */

static void test_write_scalars(void) {
    struct {
        const char *in;
        const char *out;
    } t[] = {
        {"null", "null"},
        {"true", "true"},
        {"false", "false"},
        {"0", "0"},
        {"-1", "-1"},
        {"18446744073709551615", "18446744073709551615"},
        {"-9223372036854775808", "-9223372036854775808"},
        {"1.0", "1.0"},
        {"-0", "-0.0"},
        {"1e2", "100.0"},
        {"1E+2", "100.0"},
        {"0.5e-3", "0.0005"},
        {"1e16", "1e+16"},
        {"\"\"", "\"\""},
        {"[]", "[]"},
        {"{}", "{}"},
        {" [ 1 , 2 ] ", "[1,2]"},
        {"{\"a\":[1,2.5,-3,true,false,null,\"x\\ny\"],\"b\":{\"c\":1e+300}}",
         "{\"a\":[1,2.5,-3,true,false,null,\"x\\ny\"],\"b\":{\"c\":1e+300}}"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        TT_CHECK_EQ_STR(rewrite(t[i].in, TGM_JSON_COMPACT), t[i].out);
    }

    /* integers the reference prints as strings or plain numbers */
    tgm_val v;
    tgm__val_set_uint(&v, (uint64_t)INT64_MAX); /* -2^63 */
    v.neg = 1;
    TT_CHECK_EQ_STR(write_val(&v, TGM_JSON_COMPACT), "-9223372036854775808");
    tgm__val_set_uint(&v, (uint64_t)INT64_MAX + 1); /* -2^63 - 1 */
    v.neg = 1;
    TT_CHECK_EQ_STR(write_val(&v, TGM_JSON_COMPACT), "\"-9223372036854775809\"");
    tgm__val_set_uint(&v, UINT64_MAX); /* -2^64 */
    v.neg = 1;
    TT_CHECK_EQ_STR(write_val(&v, TGM_JSON_COMPACT), "\"-18446744073709551616\"");
    tgm__val_set_uint(&v, 9); /* -10: the +1 carry */
    v.neg = 1;
    TT_CHECK_EQ_STR(write_val(&v, TGM_JSON_COMPACT), "-10");

    /* non-finite floats, bytes, tags, undefined, simple values */
    tgm__val_set_float(&v, NAN);
    TT_CHECK_EQ_STR(write_val(&v, TGM_JSON_COMPACT), "null");
    tgm__val_set_float(&v, -INFINITY);
    TT_CHECK_EQ_STR(write_val(&v, TGM_JSON_COMPACT), "null");
    const uint8_t bytes[] = {0xde, 0xad, 0x00, 0x0f};
    TT_CHECK_EQ_STR(write_val(tgm__val_bytes(&A, bytes, 4), TGM_JSON_COMPACT), "\"dead000f\"");
    TT_CHECK_EQ_STR(write_val(tgm__val_bytes(&A, bytes, 0), TGM_JSON_COMPACT), "\"\"");
    tgm_val *tag = tgm__val_new(&A, TGM_V_TAG);
    tag->num.u = 1;
    tag->len = 1;
    tag->p.items = tgm__val_uint(&A, 5);
    TT_CHECK_EQ_STR(write_val(tag, TGM_JSON_COMPACT), "null");
    TT_CHECK_EQ_STR(write_val(tgm__val_new(&A, TGM_V_UNDEFINED), TGM_JSON_COMPACT), "null");
    tgm_val *simple = tgm__val_new(&A, TGM_V_SIMPLE);
    simple->num.u = 99;
    TT_CHECK_EQ_STR(write_val(simple, TGM_JSON_COMPACT), "null");
}

static void test_write_strings(void) {
    /* every control character, quote, backslash; DEL, slash and non-ASCII raw */
    char in[40];
    for (int i = 0; i < 32; i++) {
        in[i] = (char)(i + 1 == 32 ? 0x1f : i + 1);
    }
    tgm_val *v =
        tgm__val_text(&A, "\x01\x08\x09\x0a\x0b\x0c\x0d\x1f\"\\/\x7f\xc3\xa9\xf0\x9f\x98\x80", 18);
    TT_CHECK_EQ_STR(
        write_val(v, TGM_JSON_COMPACT),
        "\"\\u0001\\b\\t\\n\\u000b\\f\\r\\u001f\\\"\\\\/\x7f\xc3\xa9\xf0\x9f\x98\x80\"");
    v = tgm__val_text(&A, "a\0b", 3);
    TT_CHECK_EQ_STR(write_val(v, TGM_JSON_COMPACT), "\"a\\u0000b\"");
    (void)in;
}

static void test_write_objects(void) {
    /* keys in byte order, not CBOR's length-first order */
    TT_CHECK_EQ_STR(
        rewrite("{\"shape\":1,\"ndim\":2,\"dtype\":3,\"B\":4,\"aa\":5,\"a\":6}", TGM_JSON_COMPACT),
        "{\"B\":4,\"a\":6,\"aa\":5,\"dtype\":3,\"ndim\":2,\"shape\":1}");
    /* a map read from CBOR with duplicate keys: the last one wins */
    tgm_val *m = tgm__val_map(&A, 3);
    tgm__val_set_text(&A, &m->p.items[0], "k", 1);
    tgm__val_set_uint(&m->p.items[1], 1);
    tgm__val_set_text(&A, &m->p.items[2], "j", 1);
    tgm__val_set_uint(&m->p.items[3], 2);
    tgm__val_set_text(&A, &m->p.items[4], "k", 1);
    tgm__val_set_uint(&m->p.items[5], 3);
    TT_CHECK_EQ_STR(write_val(m, TGM_JSON_COMPACT), "{\"j\":2,\"k\":3}");

    /* non-text keys become Rust debug renderings of the CBOR value */
    tgm_val *k = tgm__val_map(&A, 10);
    tgm__val_set_uint(&k->p.items[0], 1);
    tgm__val_set_int(&k->p.items[2], -5);
    tgm__val_set_bool(&k->p.items[4], true);
    tgm__val_set_float(&k->p.items[6], 1.5);
    k->p.items[8] = *tgm__val_bytes(&A, (const uint8_t *)"\x01\xff", 2);
    tgm__val_set_null(&k->p.items[10]);
    k->p.items[12] = *tgm__val_array(&A, 2);
    tgm__val_set_uint(&k->p.items[12].p.items[0], 7);
    tgm__val_set_text(&A, &k->p.items[12].p.items[1], "q\"\n\x01", 4);
    k->p.items[14] = *tgm__val_map(&A, 1);
    tgm__val_set_text(&A, &k->p.items[14].p.items[0], "a", 1);
    tgm__val_set_float(&k->p.items[14].p.items[1], 1e20);
    k->p.items[16] = *tgm__val_new(&A, TGM_V_TAG);
    k->p.items[16].num.u = 1;
    k->p.items[16].len = 1;
    k->p.items[16].p.items = tgm__val_float(&A, NAN);
    tgm__val_set_float(&k->p.items[18], -1e-7);
    for (int i = 0; i < 10; i++) {
        tgm__val_set_uint(&k->p.items[2 * i + 1], (uint64_t)i);
    }
    TT_CHECK_EQ_STR(write_val(k, TGM_JSON_COMPACT),
                    "{\"Array([Integer(Integer(7)), Text(\\\"q\\\\\\\"\\\\n\\\\u{1}\\\")])\":6,"
                    "\"Bool(true)\":2,"
                    "\"Bytes([1, 255])\":4,"
                    "\"Float(-1e-7)\":9,"
                    "\"Float(1.5)\":3,"
                    "\"Integer(Integer(-5))\":1,"
                    "\"Integer(Integer(1))\":0,"
                    "\"Map([(Text(\\\"a\\\"), Float(1e20))])\":7,"
                    "\"Null\":5,"
                    "\"Tag(1, Float(NaN))\":8}");

    /* a debug rendering that collides with a text key: the later entry wins */
    tgm_val *c = tgm__val_map(&A, 2);
    tgm__val_set_uint(&c->p.items[0], 1);
    tgm__val_set_text(&A, &c->p.items[1], "int", 3);
    tgm__val_set_text(&A, &c->p.items[2], "Integer(Integer(1))", 19);
    tgm__val_set_text(&A, &c->p.items[3], "text", 4);
    TT_CHECK_EQ_STR(write_val(c, TGM_JSON_COMPACT), "{\"Integer(Integer(1))\":\"text\"}");
}

static void test_write_pretty(void) {
    const char *in = "{\"b\":{\"c\":[1,[],{}],\"d\":\"x\"},\"a\":[],\"e\":{\"f\":null}}";
    TT_CHECK_EQ_STR(rewrite(in, TGM_JSON_PRETTY), "{\n"
                                                  "  \"a\": [],\n"
                                                  "  \"b\": {\n"
                                                  "    \"c\": [\n"
                                                  "      1,\n"
                                                  "      [],\n"
                                                  "      {}\n"
                                                  "    ],\n"
                                                  "    \"d\": \"x\"\n"
                                                  "  },\n"
                                                  "  \"e\": {\n"
                                                  "    \"f\": null\n"
                                                  "  }\n"
                                                  "}");
    TT_CHECK_EQ_STR(rewrite("[1.5]", TGM_JSON_PRETTY), "[\n  1.5\n]");
    TT_CHECK_EQ_STR(rewrite("7", TGM_JSON_PRETTY), "7");
    TT_CHECK_EQ_STR(rewrite("{}", TGM_JSON_PRETTY), "{}");

    /* KEEP_ORDER writes maps as stored (struct-like output), duplicates included */
    tgm_val *m = tgm__val_map(&A, 3);
    tgm__val_set_text(&A, &m->p.items[0], "zeta", 4);
    tgm__val_set_uint(&m->p.items[1], 1);
    tgm__val_set_text(&A, &m->p.items[2], "alpha", 5);
    m->p.items[3] = *tgm__val_map(&A, 0);
    tgm__val_set_text(&A, &m->p.items[4], "zeta", 4);
    tgm__val_set_bool(&m->p.items[5], false);
    TT_CHECK_EQ_STR(write_val(m, (tgm_json_style)(TGM_JSON_COMPACT | TGM_JSON_KEEP_ORDER)),
                    "{\"zeta\":1,\"alpha\":{},\"zeta\":false}");
    TT_CHECK_EQ_STR(write_val(m, (tgm_json_style)(TGM_JSON_PRETTY | TGM_JSON_KEEP_ORDER)),
                    "{\n  \"zeta\": 1,\n  \"alpha\": {},\n  \"zeta\": false\n}");
    TT_CHECK_EQ_STR(write_val(m, TGM_JSON_COMPACT), "{\"alpha\":{},\"zeta\":false}");
}

/* ---- parser -------------------------------------------------------------------- */

static void test_parse_numbers(void) {
    tgm_error err;
    tgm_val *v;
    struct {
        const char *in;
        int neg;
        uint64_t u;
    } ints[] = {
        {"0", 0, 0},
        {"7", 0, 7},
        {"-1", 1, 0},
        {"9223372036854775807", 0, (uint64_t)INT64_MAX},
        {"9223372036854775808", 0, (uint64_t)INT64_MAX + 1},
        {"18446744073709551615", 0, UINT64_MAX},
        {"-9223372036854775808", 1, (uint64_t)INT64_MAX},
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        v = parse(ints[i].in, &err);
        TT_CHECK(err == TGM_ERROR_OK && v->kind == TGM_V_INT && v->neg == ints[i].neg &&
                 v->num.u == ints[i].u);
    }
    struct {
        const char *in;
        uint64_t bits;
    } floats[] = {
        {"-0", 0x8000000000000000ull},
        {"-0.0", 0x8000000000000000ull},
        {"0.0", 0},
        {"1.0", 0x3ff0000000000000ull},
        {"1e2", 0x4059000000000000ull},
        {"1E2", 0x4059000000000000ull},
        {"1e+2", 0x4059000000000000ull},
        {"100e-2", 0x3ff0000000000000ull},
        {"0.1", 0x3fb999999999999aull},
        {"-9223372036854775809", 0xc3e0000000000000ull},
        {"18446744073709551616", 0x43f0000000000000ull},
        {"1.7976931348623157e308", 0x7fefffffffffffffull},
        {"2.2250738585072014e-308", 0x0010000000000000ull},
        {"5e-324", 0x0000000000000001ull},
        {"1e-400", 0},
        {"-1e-400", 0x8000000000000000ull},
        {"0e999999999999", 0},
        {"1e-99999999999", 0},
        {"123456789012345678901234567890", 0x45f8ee90ff6c373eull},
    };
    for (size_t i = 0; i < sizeof floats / sizeof floats[0]; i++) {
        v = parse(floats[i].in, &err);
        TT_CHECK(err == TGM_ERROR_OK && v->kind == TGM_V_FLOAT);
        if (err == TGM_ERROR_OK && bitsof(v->num.f) != floats[i].bits) {
            TT_CHECK(!"float bits");
            fprintf(stderr, "  %s -> %016llx, want %016llx\n", floats[i].in,
                    (unsigned long long)bitsof(v->num.f), (unsigned long long)floats[i].bits);
        }
    }
    /* Correctly rounded, unlike serde_json's default reader (which gives
     * 58 / 1e31 here, one ulp off): the exact decimal value wins. */
    v = parse("5.8e-30", &err);
    TT_CHECK(err == TGM_ERROR_OK && v->num.f == strtod("5.8e-30", NULL));
    TT_CHECK(v->num.f != (double)58 / 1e31);
    v = parse("2.3973648755513431e-6", &err);
    TT_CHECK(err == TGM_ERROR_OK && v->num.f == strtod("2.3973648755513431e-6", NULL));

    const char *out_of_range[] = {"1e309", "-1e309", "1.8e308", "1e99999999999"};
    for (size_t i = 0; i < sizeof out_of_range / sizeof out_of_range[0]; i++) {
        v = parse(out_of_range[i], &err);
        TT_CHECK_ERR(err, TGM_ERROR_METADATA);
        TT_CHECK(contains(tgm_last_error(), "number out of range"));
    }
}

static void test_parse_strings(void) {
    tgm_error err;
    tgm_val *v =
        parse("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u0041\\u00e9\\u20ac\\ud83d\\ude00\"", &err);
    TT_ASSERT(err == TGM_ERROR_OK && v->kind == TGM_V_TEXT);
    const char *want = "a\"b\\c/d\b\f\n\r\tA\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
    TT_CHECK(v->len == strlen(want) && memcmp(v->p.str, want, v->len) == 0);
    v = parse("\"\\u0000\"", &err);
    TT_CHECK(err == TGM_ERROR_OK && v->len == 1 && v->p.str[0] == 0);
    v = parse("\"caf\xc3\xa9 \xe6\xb0\xb4 \xf0\x90\x85\x91\"", &err);
    TT_CHECK(err == TGM_ERROR_OK && v->len == 14);
    v = parse("\"\\uD83D\\uDE00\"", &err); /* upper-case hex */
    TT_CHECK(err == TGM_ERROR_OK && v->len == 4);
    v = parse("\"\x7f\"", &err);
    TT_CHECK(err == TGM_ERROR_OK && v->len == 1);
}

static void test_parse_objects(void) {
    tgm_error err;
    tgm_val *v = parse("{\"b\":1,\"a\":2,\"a\":3,\"ab\":4,\"B\":5}", &err);
    TT_ASSERT(err == TGM_ERROR_OK && v->kind == TGM_V_MAP && v->len == 4);
    const char *keys[] = {"B", "a", "ab", "b"};
    const uint64_t vals[] = {5, 3, 4, 1};
    for (size_t i = 0; i < 4; i++) {
        TT_CHECK(tgm__val_is_text(tgm__val_map_key(v, i), keys[i]));
        TT_CHECK(tgm__val_map_value(v, i)->num.u == vals[i]);
    }
    v = parse("{\"x\":{\"z\":[],\"y\":{}},\"x\":[1]}", &err);
    TT_ASSERT(err == TGM_ERROR_OK && v->len == 1);
    TT_CHECK(tgm__val_map_value(v, 0)->kind == TGM_V_ARRAY);
    /* whitespace of all four kinds */
    v = parse(" \t\r\n{ \"a\" :\n[ 1 ,\t2 ] } \n", &err);
    TT_CHECK(err == TGM_ERROR_OK && v->len == 1);
}

/* Objects with repeated keys, against a model: the distinct keys in byte
 * order, each with the value of its last occurrence.  Keys come from a
 * small set (so repeats are common) in random orders, objects of 1 to 24
 * entries (the small-object sort and the general one). */
static void test_parse_repeated_keys(void) {
    static const char *const pool[] = {"a", "b", "ab", "ba", "", "aa", "b\u00e9", "zz", "A"};
    const size_t npool = sizeof pool / sizeof pool[0];
    uint64_t r = 88172645463325252ull;
    char text[2048];
    for (int t = 0; t < 3000; t++) {
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        size_t n = 1 + (size_t)(r % 24);
        size_t pick[24];
        size_t len = 0;
        text[len++] = '{';
        for (size_t i = 0; i < n; i++) {
            r ^= r << 13, r ^= r >> 7, r ^= r << 17;
            pick[i] = (size_t)(r % (t % 3 == 0 ? 3 : npool));
            len += (size_t)snprintf(text + len, sizeof text - len, "%s\"%s\":%zu", i ? "," : "",
                                    pool[pick[i]], i);
        }
        text[len++] = '}';
        text[len] = '\0';
        tgm_error err;
        tgm_val *v = parse(text, &err);
        TT_ASSERT(err == TGM_ERROR_OK && v->kind == TGM_V_MAP);
        /* the model */
        const char *keys[24];
        size_t last[24], m = 0;
        for (size_t i = 0; i < n; i++) {
            size_t k = 0;
            while (k < m && strcmp(keys[k], pool[pick[i]]) != 0) {
                k++;
            }
            if (k == m) {
                keys[m++] = pool[pick[i]];
            }
            last[k] = i;
        }
        for (size_t i = 1; i < m; i++) { /* byte order */
            for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
                const char *tk = keys[j];
                size_t tl = last[j];
                keys[j] = keys[j - 1];
                last[j] = last[j - 1];
                keys[j - 1] = tk;
                last[j - 1] = tl;
            }
        }
        bool ok = v->len == m;
        for (size_t i = 0; ok && i < m; i++) {
            ok = tgm__val_is_text(tgm__val_map_key(v, i), keys[i]) &&
                 tgm__val_map_value(v, i)->num.u == last[i];
        }
        if (!ok) {
            fprintf(stderr, "  %s\n", text);
        }
        TT_CHECK(ok);
    }
}

typedef struct jbad {
    const char *in;
    const char *msg;
} jbad;

static void test_parse_errors(void) {
    jbad t[] = {
        {"", "EOF while parsing a value at line 1 column 0"},
        {"   ", "EOF while parsing a value at line 1 column 3"},
        {"[1,]", "trailing comma at line 1 column 4"},
        {"{\"a\":1,}", "trailing comma at line 1 column 8"},
        {"[1 2]", "expected `,` or `]` at line 1 column 4"},
        {"{\"a\":1 \"b\":2}", "expected `,` or `}` at line 1 column 8"},
        {"{1:2}", "key must be a string at line 1 column 2"},
        {"{\"a\" 1}", "expected `:` at line 1 column 6"},
        {"[", "EOF while parsing a list at line 1 column 1"},
        {"[1", "EOF while parsing a list at line 1 column 2"},
        {"{", "EOF while parsing an object at line 1 column 1"},
        {"{\"a\"", "EOF while parsing an object at line 1 column 4"},
        {"{\"a\":", "EOF while parsing a value at line 1 column 5"},
        {"nul", "EOF while parsing a value at line 1 column 3"},
        {"nulx", "expected ident at line 1 column 4"},
        {"True", "expected value at line 1 column 1"},
        {"NaN", "expected value at line 1 column 1"},
        {"Infinity", "expected value at line 1 column 1"},
        {"-Infinity", "invalid number at line 1 column 2"},
        {"+1", "expected value at line 1 column 1"},
        {".5", "expected value at line 1 column 1"},
        {"01", "invalid number at line 1 column 2"},
        {"-01", "invalid number at line 1 column 3"},
        {"1.", "EOF while parsing a value at line 1 column 2"},
        {"1.a", "invalid number at line 1 column 3"},
        {"1.e5", "invalid number at line 1 column 3"},
        {"-", "EOF while parsing a value at line 1 column 1"},
        {"1e", "EOF while parsing a value at line 1 column 2"},
        {"1e+", "EOF while parsing a value at line 1 column 3"},
        {"1ea", "invalid number at line 1 column 3"},
        {"\"abc", "EOF while parsing a string at line 1 column 4"},
        {"\"\\x\"", "invalid escape at line 1 column 3"},
        {"\"\\u12g4\"", "invalid escape at line 1 column 6"},
        {"\"\\u12", "EOF while parsing a string at line 1 column 5"},
        {"\"\\ud800\"", "unexpected end of hex escape at line 1 column 8"},
        {"\"\\ud800\\n\"", "unexpected end of hex escape at line 1 column 9"},
        {"\"\\udc00\"", "lone leading surrogate in hex escape at line 1 column 7"},
        {"\"\\ud800\\u0041\"", "lone leading surrogate in hex escape at line 1 column 13"},
        {"\"a\x01\"", "control character (\\u0000-\\u001F) found while parsing a string at line 1 "
                      "column 3"},
        {"\"a\nb\"", "control character (\\u0000-\\u001F) found while parsing a string at line 2 "
                     "column 0"},
        {"\"\xff\"", "invalid UTF-8 in string at line 1 column 2"},
        {"\"\xc3\"", "invalid UTF-8 in string at line 1 column 2"},
        {"\"\xed\xa0\x80\"", "invalid UTF-8 in string at line 1 column 2"},
        {"[1] x", "trailing characters at line 1 column 5"},
        {"1 2", "trailing characters at line 1 column 3"},
        {"// comment\n1", "expected value at line 1 column 1"},
        {"/* c */ 1", "expected value at line 1 column 1"},
        {"{\n  \"a\": tru\n}", "expected ident at line 3 column 0"},
        {"{\n  \"a\": [1,\n    2,,3]}", "expected value at line 3 column 7"},
        {"\xef\xbb\xbf{}", "expected value at line 1 column 1"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        tgm_val *v = NULL;
        tgm__clear_error();
        tgm_error err = tgm__json_parse(t[i].in, strlen(t[i].in), &A, &v);
        TT_CHECK_ERR(err, TGM_ERROR_METADATA);
        const char *d = tgm_last_error();
        char want[256];
        snprintf(want, sizeof want, "metadata error: failed to parse metadata JSON: %s", t[i].msg);
        int ok = d != NULL && strcmp(d, want) == 0;
        TT_CHECK(ok);
        if (!ok) {
            fprintf(stderr, "  input [%s]: got \"%s\"\n  want \"%s\"\n", t[i].in, d ? d : "(none)",
                    want);
        }
    }
}

static void test_parse_depth(void) {
    char buf[1200];
    tgm_val *v;
    /* 127 nested arrays parse; 128 hit serde_json's recursion limit */
    for (int depth = 126; depth <= 129; depth++) {
        size_t n = 0;
        for (int i = 0; i < depth; i++) {
            buf[n++] = '[';
        }
        for (int i = 0; i < depth; i++) {
            buf[n++] = ']';
        }
        tgm_error err = tgm__json_parse(buf, n, &A, &v);
        TT_CHECK_ERR(err, depth < TGM_JSON_MAX_DEPTH ? TGM_ERROR_OK : TGM_ERROR_METADATA);
        if (depth >= TGM_JSON_MAX_DEPTH) {
            TT_CHECK(contains(tgm_last_error(), "recursion limit exceeded at line 1 column 128"));
        }
    }
    /* mixed objects and arrays; and a bomb far beyond the cap */
    size_t n = 0;
    for (int i = 0; i < 200; i++) {
        memcpy(buf + n, "{\"a\":", 5);
        n += 5;
    }
    tgm_error err = tgm__json_parse(buf, n, &A, &v);
    TT_CHECK_ERR(err, TGM_ERROR_METADATA);
    TT_CHECK(contains(tgm_last_error(), "recursion limit exceeded"));
}

/* ---- round trips ---------------------------------------------------------------------- */

static void test_json_cbor_json(void) {
    const char *docs[] = {
        "{\"_extra_\":{\"source\":\"test\"},\"base\":[{\"mars\":{\"class\":\"od\",\"param\":\"2t\","
        "\"step\":12},\"scale\":0.5}],\"values\":[1.5,-2,1e-7,1e+300,18446744073709551615,"
        "-9223372036854775808,0.1,true,null,\"\xc3\xa9\\n\"]}",
        "[]",
        "{\"a\":{\"b\":{\"c\":{}}}}",
        "[-0.0,0.0,5e-324,1.7976931348623157e+308,1000000000000000.0,1e+16]",
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        tgm_error err;
        tgm_val *v = parse(docs[i], &err);
        TT_ASSERT(err == TGM_ERROR_OK);
        tgm_buf cb = TGM_BUF_INIT;
        TT_ASSERT(tgm__cbor_encode(v, &cb) == TGM_ERROR_OK);
        TT_CHECK_ERR(tgm__cbor_check_canonical(cb.data, cb.len), TGM_ERROR_OK);
        tgm_val *d;
        TT_ASSERT(tgm__cbor_decode(cb.data, cb.len, &A, NULL, &d, NULL) == TGM_ERROR_OK);
        TT_CHECK_EQ_STR(write_val(d, TGM_JSON_COMPACT), docs[i]);
        tgm__buf_free(&cb);
    }
    /* The floats a JSON document carries end up in the narrowest exact CBOR width. */
    tgm_error err;
    tgm_val *v = parse("[1.5,100000.0,0.1]", &err);
    tgm_buf cb = TGM_BUF_INIT;
    TT_ASSERT(tgm__cbor_encode(v, &cb) == TGM_ERROR_OK);
    const uint8_t want[] = {0x83, 0xf9, 0x3e, 0x00, 0xfa, 0x47, 0xc3, 0x50, 0x00,
                            0xfb, 0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a};
    TT_CHECK(cb.len == sizeof want && memcmp(cb.data, want, sizeof want) == 0);
    tgm__buf_free(&cb);
}

/* Random finite doubles written and read back: the shortest round-trip
 * text and the correctly rounded reader must give back every bit. */
static int64_t ulp_distance(double x, double y) {
    int64_t a = (int64_t)bitsof(x), b = (int64_t)bitsof(y);
    if (a < 0) {
        a = INT64_MIN - a;
    }
    if (b < 0) {
        b = INT64_MIN - b;
    }
    return a > b ? a - b : b - a;
}

static void test_float_text_round_trip(void) {
    int hist[4] = {0, 0, 0, 0}, total = 0;
    for (int i = 0; i < 100000; i++) {
        uint64_t b = rnd();
        if (i % 2) {
            b = (b & 0x800fffffffffffffull) | ((uint64_t)(1023 - 30 + (int)(rnd() % 60)) << 52);
        }
        double x = dbits(b);
        if (!isfinite(x)) {
            continue;
        }
        char buf[40];
        tgm__json_format_f64(x, buf);
        TT_CHECK(bitsof(strtod(buf, NULL)) == bitsof(x));
        tgm_val *v = NULL;
        if (tgm__json_parse(buf, strlen(buf), &A, &v) != TGM_ERROR_OK || v->kind != TGM_V_FLOAT) {
            TT_CHECK(!"parse of formatted float");
            continue;
        }
        int64_t d = ulp_distance(x, v->num.f);
        hist[d < 3 ? d : 3]++;
        total++;
        if (d > 8) {
            TT_CHECK(!"far off");
            fprintf(stderr, "  %s -> %.17g\n", buf, v->num.f);
        }
        if (i % 1000 == 999) {
            tgm__arena_free(&A);
        }
    }
    printf("float text round trip: %d of %d exact\n", hist[0], total);
    TT_CHECK(hist[0] == total);

    /* Short decimals with moderate exponents (the usual metadata numbers)
     * take serde_json's exact path: one correctly rounded operation. */
    for (int i = 0; i < 20000; i++) {
        char buf[64];
        int digits = 1 + (int)(rnd() % 15);
        uint64_t sig = rnd() % 1000000000000000ull;
        uint64_t lim = 1;
        for (int k = 0; k < digits; k++) {
            lim *= 10;
        }
        sig %= lim;
        int e = (int)(rnd() % 45) - 22;
        snprintf(buf, sizeof buf, "%s%llue%d", rnd() % 2 ? "-" : "", (unsigned long long)sig, e);
        tgm_val *v = NULL;
        TT_ASSERT(tgm__json_parse(buf, strlen(buf), &A, &v) == TGM_ERROR_OK);
        if (bitsof(v->num.f) != bitsof(strtod(buf, NULL))) {
            TT_CHECK(!"short decimal not exact");
            fprintf(stderr, "  %s -> %.17g\n", buf, v->num.f);
        }
        if (i % 1000 == 999) {
            tgm__arena_free(&A);
        }
    }
}

static void test_bad_files(void) {
#ifdef TGM_TEST_DATA_DIR
    const char *dir = TGM_TEST_DATA_DIR "/json/bad";
    DIR *d = opendir(dir);
    TT_ASSERT(d != NULL);
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0) {
            continue;
        }
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t n;
        unsigned char *buf = tt_read_file(path, &n);
        TT_CHECK(buf != NULL || n == 0);
        tgm_arena a = TGM_ARENA_INIT;
        tgm_val *v = NULL;
        tgm__clear_error();
        tgm_error err = tgm__json_parse(buf != NULL ? (const char *)buf : "", n, &a, &v);
        int ok = err == TGM_ERROR_METADATA &&
                 contains(tgm_last_error(), "metadata error: failed to parse metadata JSON: ") &&
                 contains(tgm_last_error(), " at line ");
        TT_CHECK(ok);
        if (!ok) {
            fprintf(stderr, "  %s: %s\n", e->d_name, tgm_last_error() ? tgm_last_error() : "ok");
        }
        tgm__arena_free(&a);
        free(buf);
        count++;
    }
    closedir(d);
    TT_CHECK(count >= 30);
#endif
}

static void test_alloc_failures(void) {
    if (!tgm__alloc_injection_enabled()) {
        return;
    }
    const char *doc = "{\"b\":[1,2.5,\"x\\n\",{\"k\":[]}],\"a\":{\"z\":null,\"y\":\"\\u00e9\"},"
                      "\"c\":[[[]]],\"a\":1}";
    for (uint64_t k = 1; k < 300; k++) {
        tgm_arena a = TGM_ARENA_INIT;
        tgm_val *v = NULL;
        tgm__alloc_fail_after(k, 1);
        tgm_error e = tgm__json_parse(doc, strlen(doc), &a, &v);
        tgm_buf out = TGM_BUF_INIT;
        tgm_error e2 = e == TGM_ERROR_OK ? tgm__json_write(v, TGM_JSON_PRETTY, &out) : e;
        tgm__alloc_fail_after(0, 0);
        TT_CHECK(e == TGM_ERROR_OK || e == TGM_ERROR_ENCODING);
        TT_CHECK(e2 == TGM_ERROR_OK || e2 == TGM_ERROR_ENCODING);
        tgm__buf_free(&out);
        tgm__arena_free(&a);
        if (e == TGM_ERROR_OK && e2 == TGM_ERROR_OK) {
            break;
        }
    }
}

/* Containers past the parser's first stack entries (64 values, kept in
 * the parser itself): the stack moves to the heap while outer containers'
 * entries are on it, and every value must survive the move. */
static void test_parse_large(void) {
    static char text[16384];
    size_t n = 0;
    n += (size_t)snprintf(text + n, sizeof text - n, "{\"z\":7,\"b\":{");
    for (int i = 0; i < 100; i++) {
        n += (size_t)snprintf(text + n, sizeof text - n, "%s\"k%03d\":[%d,\"s%d\"]", i ? "," : "",
                              99 - i, 99 - i, 99 - i);
    }
    n += (size_t)snprintf(text + n, sizeof text - n, "},\"a\":[");
    for (int i = 0; i < 300; i++) {
        n += (size_t)snprintf(text + n, sizeof text - n, "%s%d", i ? "," : "", i * 3);
    }
    n += (size_t)snprintf(text + n, sizeof text - n, "],\"y\":\"end\"}");
    TT_ASSERT(n < sizeof text - 1);
    tgm_val *v;
    TT_ASSERT(tgm__json_parse(text, n, &A, &v) == TGM_ERROR_OK);
    TT_ASSERT(v->kind == TGM_V_MAP && v->len == 4);
    const tgm_val *z = tgm__val_map_get(v, "z"), *y = tgm__val_map_get(v, "y");
    TT_CHECK(z != NULL && z->kind == TGM_V_INT && z->num.u == 7);
    TT_CHECK(y != NULL && tgm__val_is_text(y, "end"));
    const tgm_val *a = tgm__val_map_get(v, "a");
    TT_ASSERT(a != NULL && a->kind == TGM_V_ARRAY && a->len == 300);
    for (size_t i = 0; i < 300; i++) {
        TT_CHECK(a->p.items[i].kind == TGM_V_INT && a->p.items[i].num.u == 3 * i);
    }
    const tgm_val *b = tgm__val_map_get(v, "b");
    TT_ASSERT(b != NULL && b->kind == TGM_V_MAP && b->len == 100);
    for (size_t i = 0; i < 100; i++) { /* sorted by key */
        char key[8], s[8];
        snprintf(key, sizeof key, "k%03zu", i);
        snprintf(s, sizeof s, "s%zu", i);
        const tgm_val *k = tgm__val_map_key(b, i), *e = tgm__val_map_value(b, i);
        TT_CHECK(tgm__val_is_text(k, key));
        TT_ASSERT(e->kind == TGM_V_ARRAY && e->len == 2);
        TT_CHECK(e->p.items[0].kind == TGM_V_INT && e->p.items[0].num.u == i);
        TT_CHECK(tgm__val_is_text(&e->p.items[1], s));
    }
}

int main(void) {
    TT_RUN(test_format_table);
    TT_RUN(test_rust_debug_format);
    TT_RUN(test_format_random);
    TT_RUN(test_write_scalars);
    TT_RUN(test_write_strings);
    TT_RUN(test_write_objects);
    TT_RUN(test_write_pretty);
    TT_RUN(test_parse_numbers);
    TT_RUN(test_parse_strings);
    TT_RUN(test_parse_objects);
    TT_RUN(test_parse_repeated_keys);
    TT_RUN(test_parse_errors);
    TT_RUN(test_parse_depth);
    TT_RUN(test_parse_large);
    TT_RUN(test_json_cbor_json);
    TT_RUN(test_float_text_round_trip);
    TT_RUN(test_bad_files);
    TT_RUN(test_alloc_failures);
    tgm__arena_free(&A);
    return tt_finish("test_json");
}
