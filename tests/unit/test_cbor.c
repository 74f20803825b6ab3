/* Tests for src/cbor: value model, bounded reader, canonical writer and
 * canonical-form check.
 *
 * Expectations come from RFC 8949 Appendix A, hand-computed encodings,
 * the reference's own files in the shared directory (decode, re-encode,
 * compare bytes) and round trips. */
#include "tt.h"

#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <time.h>

#include "cbor/cbor.h"
#include "cbor/cbor_internal.h"
#include "cbor/value.h"
#include "common/alloc.h"
#include "common/arena.h"
#include "common/endian.h"
#include "common/error.h"
#include "json/json.h"

/* ---- helpers ------------------------------------------------------------ */

static tgm_arena A = TGM_ARENA_INIT;

/* Parse "0a 1b ff" style hex (spaces ignored) into buf; returns the length. */
static size_t unhex(const char *hex, uint8_t *buf, size_t cap) {
    size_t n = 0;
    int hi = -1;
    for (const char *p = hex; *p != '\0'; p++) {
        int v;
        if (*p >= '0' && *p <= '9') {
            v = *p - '0';
        } else if (*p >= 'a' && *p <= 'f') {
            v = *p - 'a' + 10;
        } else if (*p >= 'A' && *p <= 'F') {
            v = *p - 'A' + 10;
        } else {
            continue;
        }
        if (hi < 0) {
            hi = v;
        } else {
            if (n < cap) {
                buf[n] = (uint8_t)(hi * 16 + v);
            }
            n++;
            hi = -1;
        }
    }
    return n;
}

static void tohex(const uint8_t *b, size_t n, char *out) {
    for (size_t i = 0; i < n; i++) {
        sprintf(out + 2 * i, "%02x", b[i]);
    }
    out[2 * n] = '\0';
}

static int contains(const char *hay, const char *needle) {
    return hay != NULL && strstr(hay, needle) != NULL;
}

static tgm_val *U(uint64_t u) { return tgm__val_uint(&A, u); }
static tgm_val *N(uint64_t u) { /* -1 - u */
    tgm_val *v = tgm__val_uint(&A, u);
    v->neg = 1;
    return v;
}
static tgm_val *I(int64_t i) { return tgm__val_int(&A, i); }
static tgm_val *F(double d) { return tgm__val_float(&A, d); }
static tgm_val *T(const char *s) { return tgm__val_cstr(&A, s); }
static tgm_val *B(const char *hex) {
    uint8_t b[256];
    size_t n = unhex(hex, b, sizeof b);
    return tgm__val_bytes(&A, b, n);
}
static tgm_val *SIMPLE(unsigned k) {
    tgm_val *v = tgm__val_new(&A, TGM_V_SIMPLE);
    v->num.u = k;
    return v;
}
static tgm_val *TAG(uint64_t tag, tgm_val *inner) {
    tgm_val *v = tgm__val_new(&A, TGM_V_TAG);
    v->num.u = tag;
    v->len = 1;
    v->p.items = inner;
    return v;
}
static tgm_val *ARR(size_t n, ...) {
    tgm_val *v = tgm__val_array(&A, n);
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++) {
        v->p.items[i] = *va_arg(ap, tgm_val *);
    }
    va_end(ap);
    return v;
}
/* MAP(n, k0, v0, k1, v1, ...) */
static tgm_val *MAP(size_t n, ...) {
    tgm_val *v = tgm__val_map(&A, n);
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < 2 * n; i++) {
        v->p.items[i] = *va_arg(ap, tgm_val *);
    }
    va_end(ap);
    return v;
}

static tgm_val *decode_hex(const char *hex, tgm_error *err) {
    uint8_t b[512];
    size_t n = unhex(hex, b, sizeof b);
    tgm_val *v = NULL;
    size_t used = 0;
    *err = tgm__cbor_decode(b, n, &A, NULL, &v, &used);
    if (*err == TGM_ERROR_OK && used != n) {
        *err = TGM_ERROR_FRAMING; /* flag trailing bytes in the test */
    }
    return v;
}

/* Encode v; compare with the expected hex. */
static int encodes_to(const tgm_val *v, const char *hex) {
    uint8_t want[512];
    size_t n = unhex(hex, want, sizeof want);
    tgm_buf out = TGM_BUF_INIT;
    int ok =
        tgm__cbor_encode(v, &out) == TGM_ERROR_OK && out.len == n && memcmp(out.data, want, n) == 0;
    if (!ok) {
        char got[1100];
        tohex(out.data, out.len < 500 ? out.len : 500, got);
        fprintf(stderr, "  encode mismatch: want %s got %s\n", hex, got);
    }
    tgm__buf_free(&out);
    return ok;
}

static tgm_error check_hex(const char *hex) {
    uint8_t b[512];
    size_t n = unhex(hex, b, sizeof b);
    return tgm__cbor_check_canonical(b, n);
}

static double dbits(uint64_t b) {
    double d;
    memcpy(&d, &b, 8);
    return d;
}

/* ---- RFC 8949 Appendix A ------------------------------------------------ */

typedef struct vec {
    const char *hex;
    tgm_val *value;
    const char *canonical; /* NULL: hex is canonical; else the canonical form */
} vec;

static void test_rfc8949_appendix_a(void) {
    tgm_val *one_to_25 = tgm__val_array(&A, 25);
    for (int i = 0; i < 25; i++) {
        tgm__val_set_uint(&one_to_25->p.items[i], (uint64_t)(i + 1));
    }
    const char *seq25 = "98190102030405060708090a0b0c0d0e0f101112131415161718181819";
    vec v[] = {
        {"00", U(0), NULL},
        {"01", U(1), NULL},
        {"0a", U(10), NULL},
        {"17", U(23), NULL},
        {"1818", U(24), NULL},
        {"1819", U(25), NULL},
        {"1864", U(100), NULL},
        {"1903e8", U(1000), NULL},
        {"1a000f4240", U(1000000), NULL},
        {"1b000000e8d4a51000", U(1000000000000ull), NULL},
        {"1bffffffffffffffff", U(UINT64_MAX), NULL},
        {"c249010000000000000000", TAG(2, B("010000000000000000")), NULL},
        {"3bffffffffffffffff", N(UINT64_MAX), NULL},
        {"c349010000000000000000", TAG(3, B("010000000000000000")), NULL},
        {"20", I(-1), NULL},
        {"29", I(-10), NULL},
        {"3863", I(-100), NULL},
        {"3903e7", I(-1000), NULL},
        {"f90000", F(0.0), NULL},
        {"f98000", F(-0.0), NULL},
        {"f93c00", F(1.0), NULL},
        {"fb3ff199999999999a", F(1.1), NULL},
        {"f93e00", F(1.5), NULL},
        {"f97bff", F(65504.0), NULL},
        {"fa47c35000", F(100000.0), NULL},
        {"fa7f7fffff", F(3.4028234663852886e+38), NULL},
        {"fb7e37e43c8800759c", F(1.0e+300), NULL},
        {"f90001", F(5.960464477539063e-8), NULL},
        {"f90400", F(0.00006103515625), NULL},
        {"f9c400", F(-4.0), NULL},
        {"fbc010666666666666", F(-4.1), NULL},
        {"f97c00", F(INFINITY), NULL},
        {"f97e00", F(dbits(0x7ff8000000000000ull)), NULL},
        {"f9fc00", F(-INFINITY), NULL},
        {"fa7f800000", F(INFINITY), "f97c00"},
        {"fa7fc00000", F(dbits(0x7ff8000000000000ull)), "f97e00"},
        {"faff800000", F(-INFINITY), "f9fc00"},
        {"fb7ff0000000000000", F(INFINITY), "f97c00"},
        {"fb7ff8000000000000", F(dbits(0x7ff8000000000000ull)), "f97e00"},
        {"fbfff0000000000000", F(-INFINITY), "f9fc00"},
        {"f4", tgm__val_bool(&A, false), NULL},
        {"f5", tgm__val_bool(&A, true), NULL},
        {"f6", tgm__val_null(&A), NULL},
        {"f7", tgm__val_new(&A, TGM_V_UNDEFINED), NULL},
        {"f0", SIMPLE(16), NULL},
        {"f8ff", SIMPLE(255), NULL},
        {"c074323031332d30332d32315432303a30343a30305a", TAG(0, T("2013-03-21T20:04:00Z")), NULL},
        {"c11a514b67b0", TAG(1, U(1363896240)), NULL},
        {"c1fb41d452d9ec200000", TAG(1, F(1363896240.5)), NULL},
        {"d74401020304", TAG(23, B("01020304")), NULL},
        {"d818456449455446", TAG(24, B("6449455446")), NULL},
        {"d82076687474703a2f2f7777772e6578616d706c652e636f6d", TAG(32, T("http://www.example.com")),
         NULL},
        {"40", B(""), NULL},
        {"4401020304", B("01020304"), NULL},
        {"60", T(""), NULL},
        {"6161", T("a"), NULL},
        {"6449455446", T("IETF"), NULL},
        {"62225c", T("\"\\"), NULL},
        {"62c3bc", T("\xc3\xbc"), NULL},
        {"63e6b0b4", T("\xe6\xb0\xb4"), NULL},
        {"64f0908591", T("\xf0\x90\x85\x91"), NULL},
        {"80", tgm__val_array(&A, 0), NULL},
        {"83010203", ARR(3, U(1), U(2), U(3)), NULL},
        {"8301820203820405", ARR(3, U(1), ARR(2, U(2), U(3)), ARR(2, U(4), U(5))), NULL},
        {seq25, one_to_25, NULL},
        {"a0", tgm__val_map(&A, 0), NULL},
        {"a201020304", MAP(2, U(1), U(2), U(3), U(4)), NULL},
        {"a26161016162820203", MAP(2, T("a"), U(1), T("b"), ARR(2, U(2), U(3))), NULL},
        {"826161a161626163", ARR(2, T("a"), MAP(1, T("b"), T("c"))), NULL},
        {"a56161614161626142616361436164614461656145",
         MAP(5, T("a"), T("A"), T("b"), T("B"), T("c"), T("C"), T("d"), T("D"), T("e"), T("E")),
         NULL},
        /* indefinite-length forms decode to the same values */
        {"5f42010243030405ff", B("0102030405"), "450102030405"},
        {"7f657374726561646d696e67ff", T("streaming"), "6973747265616d696e67"},
        {"9fff", tgm__val_array(&A, 0), "80"},
        {"9f018202039f0405ffff", ARR(3, U(1), ARR(2, U(2), U(3)), ARR(2, U(4), U(5))),
         "8301820203820405"},
        {"9f01820203820405ff", ARR(3, U(1), ARR(2, U(2), U(3)), ARR(2, U(4), U(5))),
         "8301820203820405"},
        {"83018202039f0405ff", ARR(3, U(1), ARR(2, U(2), U(3)), ARR(2, U(4), U(5))),
         "8301820203820405"},
        {"83019f0203ff820405", ARR(3, U(1), ARR(2, U(2), U(3)), ARR(2, U(4), U(5))),
         "8301820203820405"},
        {"9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff", one_to_25, seq25},
        {"bf61610161629f0203ffff", MAP(2, T("a"), U(1), T("b"), ARR(2, U(2), U(3))),
         "a26161016162820203"},
        {"826161bf61626163ff", ARR(2, T("a"), MAP(1, T("b"), T("c"))), "826161a161626163"},
        /* {_ "Fun": true, "Amt": -2}: the canonical form sorts "Amt" first */
        {"bf6346756ef563416d7421ff", MAP(2, T("Fun"), tgm__val_bool(&A, true), T("Amt"), I(-2)),
         "a263416d74216346756ef5"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        tgm_error err;
        tgm_val *d = decode_hex(v[i].hex, &err);
        TT_CHECK_ERR(err, TGM_ERROR_OK);
        if (err != TGM_ERROR_OK) {
            fprintf(stderr, "  vector %s\n", v[i].hex);
            continue;
        }
        int eq = tgm__val_equal(d, v[i].value);
        TT_CHECK(eq);
        if (!eq) {
            fprintf(stderr, "  decoded value differs for %s\n", v[i].hex);
        }
        const char *canon = v[i].canonical != NULL ? v[i].canonical : v[i].hex;
        TT_CHECK(encodes_to(d, canon));
        TT_CHECK(encodes_to(v[i].value, canon));
        if (v[i].canonical == NULL) {
            TT_CHECK_ERR(check_hex(v[i].hex), TGM_ERROR_OK);
        } else {
            TT_CHECK_ERR(check_hex(v[i].hex), TGM_ERROR_METADATA);
            TT_CHECK_ERR(check_hex(v[i].canonical), TGM_ERROR_OK);
        }
    }
}

/* ---- decoder details ------------------------------------------------------ */

static void test_decode_flags(void) {
    tgm_error err;
    tgm_val *v = decode_hex("1805", &err);
    TT_ASSERT(err == TGM_ERROR_OK);
    TT_CHECK(v->kind == TGM_V_INT && v->num.u == 5 && (v->flags & TGM_VAL_F_NONSHORTEST));
    v = decode_hex("05", &err);
    TT_CHECK(v->flags == 0);
    v = decode_hex("9f01ff", &err);
    TT_CHECK(v->kind == TGM_V_ARRAY && v->len == 1 && (v->flags & TGM_VAL_F_INDEFINITE));
    v = decode_hex("7f6161ff", &err);
    TT_CHECK(v->kind == TGM_V_TEXT && v->len == 1 && (v->flags & TGM_VAL_F_INDEFINITE));
    v = decode_hex("7fff", &err); /* empty indefinite text */
    TT_CHECK(err == TGM_ERROR_OK && v->kind == TGM_V_TEXT && v->len == 0 && v->p.str[0] == 0);
    v = decode_hex("fa3fc00000", &err);
    TT_CHECK(v->kind == TGM_V_FLOAT && v->fwidth == 4 && v->num.f == 1.5);
    v = decode_hex("f93e00", &err);
    TT_CHECK(v->fwidth == 2 && v->num.f == 1.5);
    v = decode_hex("fb3ff8000000000000", &err);
    TT_CHECK(v->fwidth == 8 && v->num.f == 1.5);
    v = decode_hex("b9000161610a", &err); /* map length in a 2-byte argument */
    TT_CHECK(err == TGM_ERROR_OK && v->kind == TGM_V_MAP && (v->flags & TGM_VAL_F_NONSHORTEST));
    /* unsorted and duplicate keys are read as they are, last one wins on lookup */
    v = decode_hex("a3616202616101616203", &err);
    TT_ASSERT(err == TGM_ERROR_OK && v->len == 3);
    TT_CHECK(tgm__val_is_text(tgm__val_map_key(v, 0), "b"));
    const tgm_val *b = tgm__val_map_get(v, "b");
    TT_CHECK(b != NULL && b->num.u == 3);
    /* trailing bytes are left for the caller */
    uint8_t two[2] = {0x01, 0x02};
    size_t used = 0;
    TT_CHECK_ERR(tgm__cbor_decode(two, 2, &A, NULL, &v, &used), TGM_ERROR_OK);
    TT_CHECK_EQ_INT(used, 1);
    /* half-precision subnormals and NaN payloads */
    v = decode_hex("f90001", &err);
    TT_CHECK(v->num.f == ldexp(1.0, -24));
    v = decode_hex("f903ff", &err);
    TT_CHECK(v->num.f == 1023 * ldexp(1.0, -24));
    v = decode_hex("fa00000001", &err);
    TT_CHECK(v->num.f == ldexp(1.0, -149));
    v = decode_hex("f97e01", &err);
    uint64_t bits;
    memcpy(&bits, &v->num.f, 8);
    TT_CHECK(bits == 0x7ff8040000000000ull);
    v = decode_hex("f97c01", &err); /* signalling half NaN comes back quiet, payload kept */
    memcpy(&bits, &v->num.f, 8);
    TT_CHECK(bits == 0x7ff8040000000000ull);
}

typedef struct bad {
    const char *hex;
    const char *msg; /* substring of the expected detail */
} bad;

static void test_malformed(void) {
    bad t[] = {
        {"", "unexpected end of input: expected a data item at byte 0"},
        {"18", "truncated unsigned integer head: 1 argument bytes needed, 0 left at byte 0"},
        {"1901", "truncated unsigned integer head: 2 argument bytes needed, 1 left at byte 0"},
        {"3b00000000", "truncated negative integer head"},
        {"1c", "reserved additional information value 28 at byte 0"},
        {"1d", "reserved additional information value 29 at byte 0"},
        {"1e", "reserved additional information value 30 at byte 0"},
        {"830001fc", "reserved additional information value 28 at byte 3"},
        {"5d", "reserved additional information value 29"},
        {"ff", "unexpected break outside an indefinite-length item at byte 0"},
        {"8201ff", "unexpected break outside an indefinite-length item at byte 2"},
        {"a1ff01", "unexpected break outside an indefinite-length item at byte 1"},
        {"1f", "indefinite length is not allowed for major type 0 (unsigned integer) at byte 0"},
        {"3f", "major type 1 (negative integer)"},
        {"df00", "indefinite length is not allowed for major type 6 (tag) at byte 0"},
        {"62c328", "invalid UTF-8 in text string at byte 1"},
        {"63eda080", "invalid UTF-8 in text string at byte 1"},   /* surrogate */
        {"62c0af", "invalid UTF-8 in text string at byte 1"},     /* overlong */
        {"64f4908080", "invalid UTF-8 in text string at byte 1"}, /* above U+10FFFF */
        {"6180", "invalid UTF-8 in text string at byte 1"},
        {"7f62c3ff", "invalid UTF-8 in text string at byte 2"},
        {"7f61c361bcff", "invalid UTF-8 in text string at byte 2"}, /* split across chunks */
        {"f810", "simple value 16 in two-byte form is not well-formed at byte 0"},
        {"f81f", "simple value 31 in two-byte form"},
        {"5f6161ff", "chunk of an indefinite-length byte string must be a definite-length byte "
                     "string, found text string at byte 1"},
        {"5f5fffff", "found byte string at byte 1"},
        {"7f01ff", "found unsigned integer at byte 1"},
        {"7f61", "text string chunk length 1 exceeds the 0 bytes left at byte 1"},
        {"5f", "unterminated indefinite-length byte string at byte 0"},
        {"9f01", "unterminated indefinite-length array at byte 0"},
        {"bf0102", "unterminated indefinite-length map at byte 0"},
        {"bf01ff", "map key without a value before the break at byte 2"},
        {"a16161", "unexpected end of input: expected a data item at byte 3"},
        {"a101", "map length 1 exceeds what the 1 bytes left can hold at byte 0"},
        {"8301", "array length 3 exceeds what the 1 bytes left can hold at byte 0"},
        {"83018101", "expected a data item at byte 4"},
        {"c0", "expected a data item at byte 1"},
        {"6461", "text string length 4 exceeds the 1 bytes left at byte 0"},
        {"5b7fffffffffffffff", "byte string length 9223372036854775807 exceeds the 0 bytes left"},
        {"9bffffffffffffffff00", "array length 18446744073709551615 exceeds what the 1 bytes "
                                 "left can hold at byte 0"},
        {"9a7fffffff", "array length 2147483647 exceeds"},
        {"830102", "array length 3 exceeds what the 2 bytes left"},
        {"a2010203", "map length 2 exceeds what the 3 bytes left can hold at byte 0"},
        {"bb0000000100000000", "map length 4294967296 exceeds"},
        {"f9", "truncated float or simple value head: 2 argument bytes needed"},
        {"fb000000", "8 argument bytes needed, 3 left"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        uint8_t b[64];
        size_t n = unhex(t[i].hex, b, sizeof b);
        tgm_val *v = NULL;
        tgm__clear_error();
        tgm_error err = tgm__cbor_decode(b, n, &A, NULL, &v, NULL);
        TT_CHECK_ERR(err, TGM_ERROR_METADATA);
        const char *d = tgm_last_error();
        int ok = contains(d, t[i].msg) && strncmp(d, "metadata error: ", 16) == 0;
        TT_CHECK(ok);
        if (!ok) {
            fprintf(stderr, "  input %s: got \"%s\", want \"%s\"\n", t[i].hex, d ? d : "(none)",
                    t[i].msg);
        }
        /* The canonical check rejects malformed input too. */
        TT_CHECK_ERR(tgm__cbor_check_canonical(b, n), TGM_ERROR_METADATA);
    }
}

static void test_depth_and_limits(void) {
    enum { D = 300 };
    uint8_t b[D + 1];
    /* [[[...0...]]] nested 128 deep is fine, 129 is refused */
    memset(b, 0x81, sizeof b);
    b[128] = 0x00;
    tgm_val *v;
    TT_CHECK_ERR(tgm__cbor_decode(b, 129, &A, NULL, &v, NULL), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm__cbor_check_canonical(b, 129), TGM_ERROR_OK);
    memset(b, 0x81, sizeof b);
    b[129] = 0x00;
    TT_CHECK_ERR(tgm__cbor_decode(b, 130, &A, NULL, &v, NULL), TGM_ERROR_METADATA);
    TT_CHECK(contains(tgm_last_error(), "nesting deeper than 128 levels at byte 128"));
    TT_CHECK_ERR(tgm__cbor_check_canonical(b, 130), TGM_ERROR_METADATA);
    TT_CHECK(contains(tgm_last_error(), "nesting deeper than 128 levels at byte 128"));
    /* a bomb of indefinite arrays and of tags */
    memset(b, 0x9f, sizeof b);
    TT_CHECK_ERR(tgm__cbor_decode(b, D, &A, NULL, &v, NULL), TGM_ERROR_METADATA);
    TT_CHECK(contains(tgm_last_error(), "nesting deeper than"));
    memset(b, 0xc1, sizeof b);
    b[D] = 0x00;
    TT_CHECK_ERR(tgm__cbor_decode(b, D + 1, &A, NULL, &v, NULL), TGM_ERROR_METADATA);
    TT_CHECK(contains(tgm_last_error(), "nesting deeper than 128 levels at byte 128"));
    /* caller limits */
    tgm_cbor_limits lim = {4, 0};
    memset(b, 0x81, 5);
    b[4] = 0x00;
    TT_CHECK_ERR(tgm__cbor_decode(b, 5, &A, &lim, &v, NULL), TGM_ERROR_OK);
    memset(b, 0x81, 6);
    b[5] = 0x00;
    TT_CHECK_ERR(tgm__cbor_decode(b, 6, &A, &lim, &v, NULL), TGM_ERROR_METADATA);
    TT_CHECK(contains(tgm_last_error(), "nesting deeper than 4 levels at byte 4"));
    tgm_cbor_limits items = {0, 3};
    uint8_t arr[] = {0x83, 0x01, 0x02, 0x03};
    TT_CHECK_ERR(tgm__cbor_decode(arr, 4, &A, &items, &v, NULL), TGM_ERROR_METADATA);
    TT_CHECK(contains(tgm_last_error(), "more than 3 data items at byte 3"));
    items.max_items = 4;
    TT_CHECK_ERR(tgm__cbor_decode(arr, 4, &A, &items, &v, NULL), TGM_ERROR_OK);
    /* huge claimed counts are refused before any allocation */
    tgm_arena small = TGM_ARENA_INIT;
    uint8_t huge[] = {0x9b, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x01};
    TT_CHECK_ERR(tgm__cbor_decode(huge, sizeof huge, &small, NULL, &v, NULL), TGM_ERROR_METADATA);
    TT_CHECK(small.total < 4096);
    tgm__arena_free(&small);
}

/* ---- encoder ------------------------------------------------------------------ */

static void test_integer_boundaries(void) {
    struct {
        int neg;
        uint64_t u;
        const char *hex;
    } t[] = {
        {0, 0, "00"},
        {0, 23, "17"},
        {0, 24, "1818"},
        {0, 255, "18ff"},
        {0, 256, "190100"},
        {0, 65535, "19ffff"},
        {0, 65536, "1a00010000"},
        {0, 0xffffffffu, "1affffffff"},
        {0, 0x100000000ull, "1b0000000100000000"},
        {0, (uint64_t)INT64_MAX, "1b7fffffffffffffff"},
        {0, (uint64_t)INT64_MAX + 1, "1b8000000000000000"},
        {0, UINT64_MAX, "1bffffffffffffffff"},
        {1, 0, "20"},             /* -1 */
        {1, 23, "37"},            /* -24 */
        {1, 24, "3818"},          /* -25 */
        {1, 255, "38ff"},         /* -256 */
        {1, 256, "390100"},       /* -257 */
        {1, 65535, "39ffff"},     /* -65536 */
        {1, 65536, "3a00010000"}, /* -65537 */
        {1, 0xffffffffu, "3affffffff"},
        {1, 0x100000000ull, "3b0000000100000000"},
        {1, (uint64_t)INT64_MAX, "3b7fffffffffffffff"},     /* i64::MIN */
        {1, (uint64_t)INT64_MAX + 1, "3b8000000000000000"}, /* i64::MIN - 1 */
        {1, UINT64_MAX, "3bffffffffffffffff"},              /* -2^64 */
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        tgm_val v;
        tgm__val_set_uint(&v, t[i].u);
        v.neg = (uint8_t)t[i].neg;
        TT_CHECK(encodes_to(&v, t[i].hex));
        tgm_error err;
        tgm_val *d = decode_hex(t[i].hex, &err);
        TT_CHECK(err == TGM_ERROR_OK && tgm__val_equal(d, &v) && d->flags == 0);
        TT_CHECK_ERR(check_hex(t[i].hex), TGM_ERROR_OK);
        int64_t s;
        uint64_t u;
        int fits_i64 = t[i].u <= (uint64_t)INT64_MAX;
        TT_CHECK(tgm__val_to_i64(d, &s) == (fits_i64 != 0));
        if (fits_i64) {
            TT_CHECK(s == (t[i].neg ? -1 - (int64_t)t[i].u : (int64_t)t[i].u));
        }
        TT_CHECK(tgm__val_to_u64(d, &u) == !t[i].neg);
    }
    tgm_val v;
    tgm__val_set_int(&v, INT64_MIN);
    TT_CHECK(v.neg == 1 && v.num.u == (uint64_t)INT64_MAX);
    TT_CHECK(encodes_to(&v, "3b7fffffffffffffff"));
    tgm__val_set_int(&v, -1);
    TT_CHECK(v.neg == 1 && v.num.u == 0);
    double f;
    TT_CHECK(tgm__val_to_f64(N(UINT64_MAX), &f) && f == -18446744073709551616.0);
    TT_CHECK(tgm__val_to_f64(I(-3), &f) && f == -3.0);
    TT_CHECK(tgm__val_to_f64(F(2.5), &f) && f == 2.5);
    TT_CHECK(!tgm__val_to_f64(T("x"), &f));
    int64_t s;
    TT_CHECK(!tgm__val_to_i64(F(1.0), &s)); /* floats are not integers */
}

static void test_float_width(void) {
    struct {
        uint64_t bits;
        const char *hex;
    } t[] = {
        {0x0000000000000000ull, "f90000"},
        {0x8000000000000000ull, "f98000"},
        {0x3ff8000000000000ull, "f93e00"},             /* 1.5 */
        {0x40effc0000000000ull, "f97bff"},             /* 65504 (half max) */
        {0x40effc2000000000ull, "fa477fe100"},         /* 65505 */
        {0x40f0000000000000ull, "fa47800000"},         /* 65536: beyond half range */
        {0x40e0000000000000ull, "f97800"},             /* 32768 */
        {0x3ff0040000000000ull, "f93c01"},             /* 1 + 2^-10 */
        {0x3ff0020000000000ull, "fa3f801000"},         /* 1 + 2^-11 */
        {0x3f10000000000000ull, "f90400"},             /* 2^-14, half min normal */
        {0x3e70000000000000ull, "f90001"},             /* 2^-24, half min subnormal */
        {0x3e88000000000000ull, "f90003"},             /* 3 * 2^-24 */
        {0x3e60000000000000ull, "fa33000000"},         /* 2^-25: single */
        {0x3e68000000000000ull, "fa33400000"},         /* 1.5 * 2^-25 */
        {0x36a0000000000000ull, "fa00000001"},         /* 2^-149, single min subnormal */
        {0x3690000000000000ull, "fb3690000000000000"}, /* 2^-150 */
        {0x3810000000000000ull, "fa00800000"},         /* 2^-126, single min normal */
        {0x47efffffe0000000ull, "fa7f7fffff"},         /* FLT_MAX */
        {0x47efffffe0000001ull, "fb47efffffe0000001"},
        {0x47f0000000000000ull, "fb47f0000000000000"}, /* 2^128 */
        {0x3fb999999999999aull, "fb3fb999999999999a"}, /* 0.1 */
        {0x3fd5555555555555ull, "fb3fd5555555555555"}, /* 1/3 */
        {0x0000000000000001ull, "fb0000000000000001"}, /* double subnormal */
        {0x7ff0000000000000ull, "f97c00"},
        {0xfff0000000000000ull, "f9fc00"},
        {0x7ff8000000000000ull, "f97e00"}, /* quiet NaN */
        {0xfff8000000000000ull, "f9fe00"},
        {0x7ff8040000000000ull, "f97e01"},             /* payload in the top 10 bits */
        {0x7ff8000020000000ull, "fa7fc00001"},         /* payload fits single */
        {0x7ff8000000000001ull, "fb7ff8000000000001"}, /* payload needs double */
        {0x7ff0000000000001ull, "fb7ff0000000000001"}, /* signalling: kept as is */
        {0x7ff4000000000000ull, "fb7ff4000000000000"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        tgm_val v;
        tgm__val_set_float(&v, dbits(t[i].bits));
        TT_CHECK(encodes_to(&v, t[i].hex));
        TT_CHECK_ERR(check_hex(t[i].hex), TGM_ERROR_OK);
        tgm_error err;
        tgm_val *d = decode_hex(t[i].hex, &err);
        uint64_t got = 0;
        if (d != NULL) {
            memcpy(&got, &d->num.f, 8);
        }
        TT_CHECK(err == TGM_ERROR_OK && got == t[i].bits);
    }
    /* wider-than-needed floats are flagged with the canonical width */
    tgm__clear_error();
    TT_CHECK_ERR(check_hex("fb3ff8000000000000"), TGM_ERROR_METADATA);
    TT_CHECK(contains(tgm_last_error(), "float 1.5 not in its shortest exact form at byte 0 "
                                        "(written in 8 bytes as 0x3ff8000000000000; canonical "
                                        "is 2 bytes, 0x3e00)"));
    TT_CHECK_ERR(check_hex("fa3fc00000"), TGM_ERROR_METADATA);
    TT_CHECK_ERR(check_hex("fa47c35000"), TGM_ERROR_OK);
    TT_CHECK_ERR(check_hex("f97c01"), TGM_ERROR_METADATA); /* signalling NaN would be rewritten */
}

static void test_canonical_ordering(void) {
    /* A descriptor-like map given in arbitrary order. */
    tgm_val *m = MAP(8, T("strides"), ARR(1, U(1)), T("shape"), ARR(1, U(4)), T("ndim"), U(1),
                     T("type"), T("ntensor"), T("byte_order"), T("little"), T("dtype"),
                     T("float32"), T("encoding"), T("none"), T("a"), U(0));
    tgm_buf out = TGM_BUF_INIT;
    TT_ASSERT(tgm__cbor_encode(m, &out) == TGM_ERROR_OK);
    TT_CHECK_ERR(tgm__cbor_check_canonical(out.data, out.len), TGM_ERROR_OK);
    tgm_val *d;
    TT_ASSERT(tgm__cbor_decode(out.data, out.len, &A, NULL, &d, NULL) == TGM_ERROR_OK);
    const char *order[] = {"a",     "ndim",    "type",     "dtype",
                           "shape", "strides", "encoding", "byte_order"};
    TT_ASSERT(d->len == 8);
    for (size_t i = 0; i < 8; i++) {
        TT_CHECK(tgm__val_is_text(tgm__val_map_key(d, i), order[i]));
    }
    tgm__buf_free(&out);

    /* Keys of different kinds sort by their encoded bytes: 10 (0x0a) < 100
     * (0x18 0x64) < -1 (0x20) < h'00' (0x41) < "a" (0x61) < [1] (0x81) <
     * {} (0xa0) < false (0xf4) < 1.5 (0xf9). */
    tgm_val *mix =
        MAP(9, F(1.5), U(9), T("a"), U(5), tgm__val_bool(&A, false), U(8), U(100), U(2),
            ARR(1, U(1)), U(6), I(-1), U(3), B("00"), U(4), U(10), U(1), tgm__val_map(&A, 0), U(7));
    TT_CHECK(encodes_to(mix, "a9 0a01 186402 2003 410004 616105 810106 a007 f408 f93e0009"));
    TT_CHECK(tgm__cbor_key_compare(U(10), U(100)) < 0);
    TT_CHECK(tgm__cbor_key_compare(T("b"), T("aa")) < 0);
    TT_CHECK(tgm__cbor_key_compare(T("aa"), T("ab")) < 0);
    TT_CHECK(tgm__cbor_key_compare(T("ab"), T("ab")) == 0);
    TT_CHECK(tgm__cbor_key_compare(I(-1), T("a")) < 0);
    TT_CHECK(tgm__cbor_key_compare(T("a"), B("00")) > 0);

    /* Nested maps are sorted too, including maps used as keys. */
    tgm_val *nested =
        MAP(2, T("zz"), MAP(2, T("y"), U(1), T("x"), U(2)), MAP(2, U(2), U(0), U(1), U(0)), U(3));
    TT_CHECK(encodes_to(nested, "a2 627a7a a2617802617901 a2010002 00 03"));

    /* Duplicate keys are kept in their order (a stable sort, as the reference). */
    tgm_val *dup = MAP(3, T("b"), U(1), T("a"), U(2), T("b"), U(3));
    TT_CHECK(encodes_to(dup, "a3 616102 616201 616203"));
    TT_CHECK_ERR(check_hex("a3616102616201616203"), TGM_ERROR_METADATA);
    TT_CHECK(contains(tgm_last_error(), "duplicate map key at byte 7"));

    /* Check messages for the other deviations. */
    TT_CHECK_ERR(check_hex("a2616201616102"), TGM_ERROR_METADATA);
    TT_CHECK(contains(tgm_last_error(), "map keys not in canonical order at byte 4"));
    TT_CHECK_ERR(check_hex("a2626161016162 02"), TGM_ERROR_METADATA); /* "aa" before "b" */
    TT_CHECK(contains(tgm_last_error(), "map keys not in canonical order at byte 5"));
    TT_CHECK_ERR(check_hex("1805"), TGM_ERROR_METADATA);
    TT_CHECK(contains(tgm_last_error(), "unsigned integer argument 5 not in shortest form at byte "
                                        "0 (2-byte head, canonical is 1)"));
    TT_CHECK_ERR(check_hex("83 01 02 3a0000ffff"), TGM_ERROR_METADATA);
    TT_CHECK(contains(tgm_last_error(), "negative integer argument 65535 not in shortest form "
                                        "at byte 3 (5-byte head, canonical is 3)"));
    TT_CHECK_ERR(check_hex("7900026161"), TGM_ERROR_METADATA);
    TT_CHECK(contains(tgm_last_error(), "text string argument 2 not in shortest form"));
    TT_CHECK_ERR(check_hex("d9000100"), TGM_ERROR_METADATA);
    TT_CHECK(contains(tgm_last_error(), "tag argument 1 not in shortest form"));
    TT_CHECK_ERR(check_hex("9fff"), TGM_ERROR_METADATA);
    TT_CHECK(contains(tgm_last_error(), "indefinite-length array at byte 0"));
    TT_CHECK_ERR(check_hex("a1 61 61 5f ff"), TGM_ERROR_METADATA);
    TT_CHECK(contains(tgm_last_error(), "indefinite-length byte string at byte 3"));
    TT_CHECK_ERR(check_hex("0102"), TGM_ERROR_METADATA);
    TT_CHECK(contains(tgm_last_error(), "1 trailing bytes after the item at byte 1"));
    TT_CHECK_ERR(check_hex("f820"), TGM_ERROR_OK);
}

static void test_encode_errors(void) {
    tgm_buf out = TGM_BUF_INIT;
    TT_CHECK_ERR(tgm__cbor_encode(SIMPLE(24), &out), TGM_ERROR_METADATA);
    TT_CHECK_ERR(tgm__cbor_encode(SIMPLE(300), &out), TGM_ERROR_METADATA);
    TT_CHECK(out.len == 0);
    TT_CHECK(encodes_to(SIMPLE(32), "f820"));
    /* A tree deeper than the encoder's cap is refused, not overflowed. */
    tgm_val *v = U(0);
    for (int i = 0; i < TGM_CBOR_ENCODE_MAX_DEPTH + 5; i++) {
        v = ARR(1, v);
    }
    TT_CHECK_ERR(tgm__cbor_encode(v, &out), TGM_ERROR_METADATA);
    TT_CHECK(out.len == 0);
    /* The cap exactly: a leaf (integer, text; a map's key too) at depth
     * TGM_CBOR_ENCODE_MAX_DEPTH is written, one level further is refused,
     * inside arrays and inside maps. */
    for (int leaf = 0; leaf < 3; leaf++) {
        for (int extra = 0; extra < 2; extra++) {
            for (int in_map = 0; in_map < 2; in_map++) {
                /* leaf 2: a map, its key and value one level below it */
                tgm_val *w = leaf == 0 ? U(5) : leaf == 1 ? T("leaf") : MAP(1, T("k"), U(1));
                int levels = TGM_CBOR_ENCODE_MAX_DEPTH + extra - (leaf == 2 ? 1 : 0);
                for (int i = 0; i < levels; i++) {
                    w = in_map ? MAP(1, T("k"), w) : ARR(1, w);
                }
                TT_CHECK_ERR(tgm__cbor_encode(w, &out), extra ? TGM_ERROR_METADATA : TGM_ERROR_OK);
                out.len = 0;
            }
        }
    }
    tgm__buf_free(&out);
}

/* ---- value model ------------------------------------------------------------- */

static void test_value_model(void) {
    tgm_val *m = MAP(3, T("a"), U(1), T("b"), ARR(2, T("x"), B("ff00")), T("a"), U(2));
    TT_CHECK(tgm__val_map_get(m, "a")->num.u == 2); /* last wins */
    TT_CHECK(tgm__val_map_get(m, "c") == NULL);
    TT_CHECK(tgm__val_map_get(U(1), "a") == NULL);
    TT_CHECK(tgm__val_map_getn(m, "bz", 1) != NULL);
    tgm_arena other = TGM_ARENA_INIT;
    tgm_val *c = tgm__val_clone(&other, m);
    TT_ASSERT(c != NULL);
    TT_CHECK(tgm__val_equal(c, m));
    TT_CHECK(c->p.items != m->p.items);
    TT_CHECK(tgm__val_map_get(c, "b")->p.items[1].p.str != m->p.items[3].p.items[1].p.str);
    c->p.items[1].num.u = 7;
    TT_CHECK(!tgm__val_equal(c, m));
    tgm__arena_free(&other);

    TT_CHECK(tgm__val_equal(F(NAN), F(NAN)));   /* same bits */
    TT_CHECK(!tgm__val_equal(F(0.0), F(-0.0))); /* different bits */
    TT_CHECK(!tgm__val_equal(U(1), F(1.0)));
    TT_CHECK(!tgm__val_equal(T("ab"), T("abc")));
    TT_CHECK(tgm__val_equal(TAG(1, U(2)), TAG(1, U(2))));
    TT_CHECK(!tgm__val_equal(TAG(1, U(2)), TAG(2, U(2))));
    TT_CHECK(!tgm__val_equal(MAP(1, T("a"), U(1)), MAP(1, T("b"), U(1))));

    tgm_val *t = tgm__val_text(&A, "a\0b", 3);
    TT_CHECK(t->len == 3 && t->p.str[1] == 0 && t->p.str[3] == 0);
    TT_CHECK(tgm__val_is_text(T("abc"), "abc") && !tgm__val_is_text(T("abc"), "ab"));
    TT_CHECK(!tgm__val_is_text(B("61"), "a"));
    TT_CHECK_EQ_STR(tgm__val_kind_name(U(1)), "integer");
    TT_CHECK_EQ_STR(tgm__val_kind_name(F(1)), "float");
    TT_CHECK_EQ_STR(tgm__val_kind_name(T("")), "text");
    TT_CHECK_EQ_STR(tgm__val_kind_name(m), "map");
    TT_CHECK_EQ_STR(tgm__val_kind_name(TAG(1, U(1))), "tag");
    TT_CHECK_EQ_STR(tgm__val_kind_name(NULL), "missing");
    tgm_val x;
    TT_CHECK(tgm__val_set_text(&A, &x, "hi", 2) == 0 && tgm__val_is_text(&x, "hi"));
    tgm__val_set_bool(&x, true);
    TT_CHECK(x.kind == TGM_V_BOOL && x.num.b && x.len == 0);
    tgm__val_set_null(&x);
    TT_CHECK(x.kind == TGM_V_NULL);
    TT_CHECK(tgm__val_array(&A, 0)->len == 0 && tgm__val_map(&A, SIZE_MAX) == NULL);
}

static void test_utf8(void) {
    struct {
        const char *s;
        size_t bad;
    } t[] = {
        {"plain ascii text, long enough for the fast path", 47},
        {"\xc3\xa9t\xc3\xa9", 5},
        {"\xe2\x82\xac", 3},
        {"\xf0\x9f\x98\x80", 4},
        {"\xf4\x8f\xbf\xbf", 4},
        {"abc\x80", 3},
        {"\xc1\xbf", 0},
        {"\xe0\x9f\xbf", 0},
        {"\xed\xbf\xbf", 0},
        {"\xf0\x8f\xbf\xbf", 0},
        {"\xf5\x80\x80\x80", 0},
        {"abcdefgh\xe2\x82", 8},
        {"\xff", 0},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        size_t n = strlen(t[i].s);
        TT_CHECK_EQ_INT(tgm__utf8_invalid_at((const uint8_t *)t[i].s, n), t[i].bad);
    }
}

/* ---- round trips and truncation ----------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void random_val(tgm_val *v, int depth) {
    unsigned k = (unsigned)(rnd() % (depth > 3 ? 8 : 11));
    switch (k) {
    case 0:
        tgm__val_set_uint(v, rnd() >> (rnd() % 64));
        v->neg = (uint8_t)(rnd() & 1);
        break;
    case 1: {
        uint64_t b = rnd();
        double d;
        switch (rnd() % 4) {
        case 0:
            memcpy(&d, &b, 8);
            break;
        case 1:
            d = (double)(int64_t)(b % 100000) / 8.0;
            break;
        case 2:
            d = (double)(float)((double)(int64_t)b * 1e-12);
            break;
        default:
            d = (double)(int64_t)(b % 2001) - 1000;
        }
        tgm__val_set_float(v, d);
        break;
    }
    case 2: {
        char s[12];
        size_t n = rnd() % sizeof s;
        for (size_t i = 0; i < n; i++) {
            s[i] = (char)('a' + rnd() % 26);
        }
        tgm__val_set_text(&A, v, s, n);
        break;
    }
    case 3: {
        uint8_t s[8];
        size_t n = rnd() % sizeof s;
        for (size_t i = 0; i < n; i++) {
            s[i] = (uint8_t)rnd();
        }
        *v = *tgm__val_bytes(&A, s, n);
        break;
    }
    case 4:
        tgm__val_set_bool(v, rnd() & 1);
        break;
    case 5:
        tgm__val_set_null(v);
        break;
    case 6:
        memset(v, 0, sizeof *v);
        v->kind = TGM_V_UNDEFINED;
        break;
    case 7:
        memset(v, 0, sizeof *v);
        v->kind = TGM_V_SIMPLE;
        v->num.u = rnd() % 2 ? rnd() % 20 : 32 + rnd() % 224;
        break;
    case 8: {
        size_t n = rnd() % 6;
        *v = *tgm__val_array(&A, n);
        for (size_t i = 0; i < n; i++) {
            random_val(&v->p.items[i], depth + 1);
        }
        break;
    }
    case 9: {
        /* Keys of several kinds, distinct by construction (canonical maps
         * have no duplicates), in a shuffled order. */
        size_t n = rnd() % 6;
        *v = *tgm__val_map(&A, n);
        for (size_t i = 0; i < n; i++) {
            tgm_val *key = &v->p.items[2 * i];
            switch (rnd() % 4) {
            case 0: {
                char s[8];
                int len = snprintf(s, sizeof s, "k%zu", i);
                tgm__val_set_text(&A, key, s, (size_t)len);
                break;
            }
            case 1:
                tgm__val_set_int(key, -(int64_t)i - 1);
                break;
            case 2:
                *key = *ARR(2, U(i), tgm__val_null(&A));
                random_val(&key->p.items[1], depth + 1);
                break;
            default:
                tgm__val_set_uint(key, 1000 * i + rnd() % 1000);
                break;
            }
            random_val(&v->p.items[2 * i + 1], depth + 1);
        }
        break;
    }
    default:
        *v = *TAG(rnd() % 1000, tgm__val_null(&A));
        random_val(v->p.items, depth + 1);
        break;
    }
}

static int has_map(const tgm_val *v) {
    if (v->kind == TGM_V_MAP) {
        return 1;
    }
    if (v->kind == TGM_V_ARRAY || v->kind == TGM_V_TAG) {
        size_t n = v->kind == TGM_V_TAG ? 1 : v->len;
        for (size_t i = 0; i < n; i++) {
            if (has_map(&v->p.items[i])) {
                return 1;
            }
        }
    }
    return 0;
}

static void test_random_round_trips(void) {
    int identical = 0;
    for (int iter = 0; iter < 3000; iter++) {
        tgm_val v;
        random_val(&v, 0);
        tgm_buf b1 = TGM_BUF_INIT, b2 = TGM_BUF_INIT;
        TT_ASSERT(tgm__cbor_encode(&v, &b1) == TGM_ERROR_OK);
        TT_CHECK_ERR(tgm__cbor_check_canonical(b1.data, b1.len), TGM_ERROR_OK);
        tgm_val *d;
        size_t used = 0;
        TT_ASSERT(tgm__cbor_decode(b1.data, b1.len, &A, NULL, &d, &used) == TGM_ERROR_OK);
        TT_CHECK_EQ_INT(used, b1.len);
        TT_ASSERT(tgm__cbor_encode(d, &b2) == TGM_ERROR_OK);
        TT_CHECK(b1.len == b2.len && memcmp(b1.data, b2.data, b1.len) == 0);
        if (!has_map(&v)) {
            /* without maps nothing is reordered: the tree itself survives */
            TT_CHECK(tgm__val_equal(&v, d));
            identical++;
        }
        /* Every strict prefix is an incomplete item and must fail cleanly. */
        for (size_t cut = 0; cut < b1.len; cut++) {
            tgm_val *p = NULL;
            if (tgm__cbor_decode(b1.data, cut, &A, NULL, &p, NULL) != TGM_ERROR_METADATA ||
                tgm__cbor_check_canonical(b1.data, cut) != TGM_ERROR_METADATA) {
                TT_CHECK(!"prefix accepted");
                break;
            }
        }
        tgm__buf_free(&b1);
        tgm__buf_free(&b2);
        if (iter % 100 == 99) {
            tgm__arena_free(&A);
        }
    }
    TT_CHECK(identical > 100);
}

/* ---- large arrays --------------------------------------------------------------- */

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void test_large_index(void) {
    enum { NOBJ = 100000 };
    tgm_arena a = TGM_ARENA_INIT;
    tgm_val *offs = tgm__val_array(&a, NOBJ), *lens = tgm__val_array(&a, NOBJ);
    TT_ASSERT(offs != NULL && lens != NULL);
    uint64_t off = 24;
    for (size_t i = 0; i < NOBJ; i++) {
        uint64_t len = 1000 + (i * 7919) % 100000;
        tgm__val_set_uint(&offs->p.items[i], off);
        tgm__val_set_uint(&lens->p.items[i], len);
        off += len;
    }
    tgm_val *m = tgm__val_map(&a, 2);
    tgm__val_set_text(&a, &m->p.items[0], "offsets", 7);
    m->p.items[1] = *offs;
    tgm__val_set_text(&a, &m->p.items[2], "lengths", 7);
    m->p.items[3] = *lens;
    tgm_buf out = TGM_BUF_INIT;
    double t0 = now_s();
    TT_ASSERT(tgm__cbor_encode(m, &out) == TGM_ERROR_OK);
    double t1 = now_s();
    tgm_val *d;
    tgm_arena a2 = TGM_ARENA_INIT;
    TT_ASSERT(tgm__cbor_decode(out.data, out.len, &a2, NULL, &d, NULL) == TGM_ERROR_OK);
    double t2 = now_s();
    TT_CHECK_ERR(tgm__cbor_check_canonical(out.data, out.len), TGM_ERROR_OK);
    double t3 = now_s();
    TT_CHECK(tgm__val_is_text(tgm__val_map_key(d, 0), "lengths"));
    const tgm_val *o = tgm__val_map_get(d, "offsets");
    TT_CHECK(o != NULL && o->len == NOBJ &&
             o->p.items[NOBJ - 1].num.u == off - lens->p.items[NOBJ - 1].num.u);
    printf(
        "100k-entry index (%zu bytes): encode %.2f ms, decode %.2f ms, canonical check %.2f ms\n",
        out.len, 1e3 * (t1 - t0), 1e3 * (t2 - t1), 1e3 * (t3 - t2));
    tgm__buf_free(&out);
    tgm__arena_free(&a);
    tgm__arena_free(&a2);
}

/* ---- reference files -------------------------------------------------------------- */

/* Every CBOR region of every frame of every message in a .tgm file:
 * frame types 1-3 and 5-8 hold CBOR in [16, total_length - 12); type 9
 * holds the descriptor at [cbor_offset, total_length - 20). */
#define FILE_ASSERT(cond)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            TT_CHECK(cond);                                                                        \
            free(buf);                                                                             \
            return 0;                                                                              \
        }                                                                                          \
    } while (0)

static int check_file(const char *path, int *regions) {
    size_t n;
    unsigned char *buf = tt_read_file(path, &n);
    if (buf == NULL) {
        return 0;
    }
    size_t pos = 0;
    while (pos + 24 <= n && memcmp(buf + pos, "TENSOGRM", 8) == 0) {
        uint64_t total = tgm__rd_be64(buf + pos + 16);
        if (total == 0) {
            total = n - pos; /* streamed message (WIRE_FORMAT §3.2): the file's last */
        }
        FILE_ASSERT(total >= 48 && total <= n - pos);
        size_t end = pos + (size_t)total - 24; /* the postamble */
        size_t f = pos + 24;
        while (f + 16 <= end && memcmp(buf + f, "FR", 2) == 0) {
            unsigned type = tgm__rd_be16(buf + f + 2);
            uint64_t flen = tgm__rd_be64(buf + f + 8);
            FILE_ASSERT(flen >= 28 && flen <= end - f);
            size_t fend = f + (size_t)flen, cs, ce;
            if (type == 9) {
                uint64_t co = tgm__rd_be64(buf + fend - 20);
                FILE_ASSERT(co >= 16 && co <= flen - 20);
                cs = f + (size_t)co;
                ce = fend - 20;
            } else {
                cs = f + 16;
                ce = fend - 12;
            }
            tgm_arena a = TGM_ARENA_INIT;
            tgm_val *v = NULL;
            size_t used = 0;
            TT_CHECK_ERR(tgm__cbor_decode(buf + cs, ce - cs, &a, NULL, &v, &used), TGM_ERROR_OK);
            TT_CHECK_EQ_INT(used, ce - cs);
            TT_CHECK_ERR(tgm__cbor_check_canonical(buf + cs, ce - cs), TGM_ERROR_OK);
            tgm_buf out = TGM_BUF_INIT;
            if (v != NULL) {
                TT_CHECK_ERR(tgm__cbor_encode(v, &out), TGM_ERROR_OK);
                int same = out.len == ce - cs && memcmp(out.data, buf + cs, out.len) == 0;
                TT_CHECK(same);
                if (!same) {
                    fprintf(stderr, "  re-encoding differs: %s frame type %u at %zu\n", path, type,
                            f);
                }
                tgm_buf js = TGM_BUF_INIT;
                TT_CHECK_ERR(tgm__json_write(v, TGM_JSON_COMPACT, &js), TGM_ERROR_OK);
                tgm__buf_free(&js);
            }
            tgm__buf_free(&out);
            tgm__arena_free(&a);
            (*regions)++;
            f = (fend + 7) & ~(size_t)7;
        }
        pos += (size_t)total;
    }
    free(buf);
    return 1;
}

static int reference_files_skipped;

static void test_reference_files(void) {
    const char *dir = tt_shared_dir();
    if (dir == NULL) {
        reference_files_skipped = 1;
        return;
    }
    const char *files[] = {
        "golden/simple_f32.tgm",
        "golden/hash_xxh3.tgm",
        "golden/mars_metadata.tgm",
        "golden/multi_message.tgm",
        "golden/multi_object.tgm",
        "golden/multi_object_xxh3.tgm",
        "fixtures/metadata_parity.tgm",
        "remote-parity/ten-msg-footer.tgm",
        "remote-parity/streaming-tail.tgm",
        "remote-parity/two-msg.tgm",
    };
    int regions = 0, nfiles = 0;
    char path[4096];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        int ok = check_file(path, &regions);
        TT_CHECK(ok);
        nfiles += ok;
    }
    /* every codec fixture listed in the manifest directory */
    snprintf(path, sizeof path, "%s/codecs/MANIFEST.json", dir);
    size_t mlen;
    unsigned char *manifest = tt_read_file(path, &mlen);
    TT_ASSERT(manifest != NULL);
    tgm_arena a = TGM_ARENA_INIT;
    tgm_val *man;
    TT_ASSERT(tgm__json_parse((const char *)manifest, mlen, &a, &man) == TGM_ERROR_OK);
    /* The manifest is an object of cases or has a "cases" list; take every
     * string value "name"/"case" we can find. */
    const tgm_val *cases = tgm__val_map_get(man, "cases");
    if (cases == NULL) {
        cases = man;
    }
    size_t ncases = cases->kind == TGM_V_MAP || cases->kind == TGM_V_ARRAY ? cases->len : 0;
    for (size_t i = 0; i < ncases; i++) {
        const tgm_val *name = NULL;
        if (cases->kind == TGM_V_MAP) {
            name = tgm__val_map_key(cases, i);
        } else {
            name = tgm__val_map_get(&cases->p.items[i], "name");
        }
        if (name == NULL || name->kind != TGM_V_TEXT) {
            continue;
        }
        snprintf(path, sizeof path, "%s/codecs/%s.tgm", dir, name->p.str);
        nfiles += check_file(path, &regions);
    }
    tgm__arena_free(&a);
    free(manifest);
    printf("reference files: %d files, %d CBOR regions decoded and re-encoded byte-identically\n",
           nfiles, regions);
    TT_CHECK(nfiles > 20);
    TT_CHECK(regions > 80);
}

/* ---- known-bad files (tests/data/cbor/bad) --------------------------------------- */

static void test_bad_files(void) {
#ifdef TGM_TEST_DATA_DIR
    const char *dir = TGM_TEST_DATA_DIR "/cbor/bad";
    DIR *d = opendir(dir);
    TT_ASSERT(d != NULL);
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".cbor") != 0) {
            continue;
        }
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t n;
        unsigned char *buf = tt_read_file(path, &n);
        TT_CHECK(buf != NULL);
        tgm_arena a = TGM_ARENA_INIT;
        tgm_val *v = NULL;
        tgm__clear_error();
        tgm_error err = tgm__cbor_decode(buf, n, &a, NULL, &v, NULL);
        int ok = err == TGM_ERROR_METADATA && contains(tgm_last_error(), "metadata error: ") &&
                 contains(tgm_last_error(), " at byte ");
        TT_CHECK(ok);
        if (!ok) {
            fprintf(stderr, "  %s: %s\n", e->d_name, tgm_last_error() ? tgm_last_error() : "ok");
        }
        TT_CHECK_ERR(tgm__cbor_check_canonical(buf, n), TGM_ERROR_METADATA);
        tgm__arena_free(&a);
        free(buf);
        count++;
    }
    closedir(d);
    TT_CHECK(count >= 30);
#endif
}

/* ---- allocation failures ------------------------------------------------------------ */

static void test_alloc_failures(void) {
    if (!tgm__alloc_injection_enabled()) {
        return;
    }
    const char *hex = "bf6161 9f 01 7f6161ff ff 6162 a2 6178 5f4101ff 6179 f93e00 ff";
    uint8_t b[64];
    size_t n = unhex(hex, b, sizeof b);
    for (uint64_t k = 1; k < 200; k++) {
        tgm_arena a = TGM_ARENA_INIT;
        tgm_val *v = NULL;
        tgm__alloc_fail_after(k, 1);
        tgm_error e = tgm__cbor_decode(b, n, &a, NULL, &v, NULL);
        tgm_buf out = TGM_BUF_INIT;
        tgm_error e2 = e == TGM_ERROR_OK ? tgm__cbor_encode(v, &out) : e;
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

/* tgm__cbor_skip walks past exactly one item, nested or not, and refuses
 * truncation, indefinite lengths and nesting past the cap. */
static void test_skip(void) {
    /* {"a": [1, h'0102', {"b": -1.5}], "c": 24} then a trailing 0xf6 */
    static const uint8_t m[] = {0xa2, 0x61, 0x61, 0x83, 0x01, 0x42, 0x01, 0x02, 0xa1, 0x61,
                                0x62, 0xf9, 0xbe, 0x00, 0x61, 0x63, 0x18, 0x18, 0xf6};
    size_t pos = 0;
    TT_CHECK_EQ_INT(tgm__cbor_skip(m, sizeof m, &pos), TGM_ERROR_OK);
    TT_CHECK_EQ_INT(pos, sizeof m - 1);
    pos = 3; /* the array value */
    TT_CHECK_EQ_INT(tgm__cbor_skip(m, sizeof m, &pos), TGM_ERROR_OK);
    TT_CHECK_EQ_INT(pos, 14);
    for (size_t cut = 1; cut < sizeof m - 1; cut++) { /* every truncation */
        pos = 0;
        TT_CHECK_EQ_INT(tgm__cbor_skip(m, cut, &pos), TGM_ERROR_METADATA);
    }
    static const uint8_t indef[] = {0x9f, 0x01, 0xff};
    pos = 0;
    TT_CHECK_EQ_INT(tgm__cbor_skip(indef, sizeof indef, &pos), TGM_ERROR_METADATA);
    static const uint8_t text_over[] = {0x7a, 0xff, 0xff, 0xff, 0xff, 0x61};
    pos = 0;
    TT_CHECK_EQ_INT(tgm__cbor_skip(text_over, sizeof text_over, &pos), TGM_ERROR_METADATA);
    uint8_t deep[TGM_CBOR_MAX_DEPTH + 3];
    memset(deep, 0x81, sizeof deep - 1); /* arrays of one item, nested */
    deep[sizeof deep - 1] = 0x00;
    pos = 0;
    TT_CHECK_EQ_INT(tgm__cbor_skip(deep, sizeof deep, &pos), TGM_ERROR_METADATA);
    pos = 0;
    TT_CHECK_EQ_INT(tgm__cbor_skip(deep + 3, sizeof deep - 3, &pos), TGM_ERROR_OK);
    TT_CHECK_EQ_INT(pos, sizeof deep - 3);
}

int main(void) {
    TT_RUN(test_rfc8949_appendix_a);
    TT_RUN(test_decode_flags);
    TT_RUN(test_malformed);
    TT_RUN(test_depth_and_limits);
    TT_RUN(test_integer_boundaries);
    TT_RUN(test_float_width);
    TT_RUN(test_canonical_ordering);
    TT_RUN(test_encode_errors);
    TT_RUN(test_value_model);
    TT_RUN(test_utf8);
    TT_RUN(test_random_round_trips);
    TT_RUN(test_large_index);
    TT_RUN(test_bad_files);
    TT_RUN(test_alloc_failures);
    TT_RUN(test_reference_files);
    TT_RUN(test_skip);
    tgm__arena_free(&A);
    int rc = tt_finish("test_cbor");
    if (rc == 0 && reference_files_skipped) {
        printf("SKIP: reference files not found (set TGM_SHARED_DIR)\n");
        return TT_SKIP_CODE;
    }
    return rc;
}
