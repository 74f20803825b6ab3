/* RFC 8259 JSON parser producing value-model trees.
 *
 * Number semantics follow serde_json (default features), which the
 * reference uses to read metadata JSON, so that the same text yields the
 * same values and therefore the same CBOR bytes:
 *  - a number with no fraction and no exponent is an integer when it fits:
 *    0..2^64-1, or -2^63..-1;  "-0" and anything outside are floats;
 *  - floats are the correctly rounded double of the decimal text (C-locale
 *    strtod).  The reference's serde_json, built without float_roundtrip,
 *    scales a truncated u64 significand by one power of ten and can be one
 *    or two ulps off for long or extreme literals; we prefer the exact
 *    value (docs/pipeline.md, "Differences from the reference");
 *  - overflow to infinity is an error ("number out of range").
 * Objects become maps sorted by key bytes, later duplicates replacing
 * earlier ones (serde_json's Map is a BTreeMap).  Nesting is limited the
 * way serde_json limits it: at most TGM_JSON_MAX_DEPTH - 1 levels.  Error
 * texts follow serde_json's, with line and column.
 *
 * Extension (TGM_JSON_ALLOW_NONFINITE, for metadata): the bare words NaN,
 * Infinity and -Infinity, which Python's json module writes for
 * non-finite floats, read as float64 values.  Without the flag they are
 * refused exactly as serde_json refuses them. */
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cbor/cbor_internal.h"
#include "common/alloc.h"
#include "common/error.h"
#include "json/json.h"

/* The doubles nearest to 10^0 .. 10^308 (decimal literals are rounded
 * correctly by the compiler), the table serde_json scales by. */
static const double POW10[309] = {
    1e0,   1e1,   1e2,   1e3,   1e4,   1e5,   1e6,   1e7,   1e8,   1e9,   1e10,  1e11,  1e12,
    1e13,  1e14,  1e15,  1e16,  1e17,  1e18,  1e19,  1e20,  1e21,  1e22,  1e23,  1e24,  1e25,
    1e26,  1e27,  1e28,  1e29,  1e30,  1e31,  1e32,  1e33,  1e34,  1e35,  1e36,  1e37,  1e38,
    1e39,  1e40,  1e41,  1e42,  1e43,  1e44,  1e45,  1e46,  1e47,  1e48,  1e49,  1e50,  1e51,
    1e52,  1e53,  1e54,  1e55,  1e56,  1e57,  1e58,  1e59,  1e60,  1e61,  1e62,  1e63,  1e64,
    1e65,  1e66,  1e67,  1e68,  1e69,  1e70,  1e71,  1e72,  1e73,  1e74,  1e75,  1e76,  1e77,
    1e78,  1e79,  1e80,  1e81,  1e82,  1e83,  1e84,  1e85,  1e86,  1e87,  1e88,  1e89,  1e90,
    1e91,  1e92,  1e93,  1e94,  1e95,  1e96,  1e97,  1e98,  1e99,  1e100, 1e101, 1e102, 1e103,
    1e104, 1e105, 1e106, 1e107, 1e108, 1e109, 1e110, 1e111, 1e112, 1e113, 1e114, 1e115, 1e116,
    1e117, 1e118, 1e119, 1e120, 1e121, 1e122, 1e123, 1e124, 1e125, 1e126, 1e127, 1e128, 1e129,
    1e130, 1e131, 1e132, 1e133, 1e134, 1e135, 1e136, 1e137, 1e138, 1e139, 1e140, 1e141, 1e142,
    1e143, 1e144, 1e145, 1e146, 1e147, 1e148, 1e149, 1e150, 1e151, 1e152, 1e153, 1e154, 1e155,
    1e156, 1e157, 1e158, 1e159, 1e160, 1e161, 1e162, 1e163, 1e164, 1e165, 1e166, 1e167, 1e168,
    1e169, 1e170, 1e171, 1e172, 1e173, 1e174, 1e175, 1e176, 1e177, 1e178, 1e179, 1e180, 1e181,
    1e182, 1e183, 1e184, 1e185, 1e186, 1e187, 1e188, 1e189, 1e190, 1e191, 1e192, 1e193, 1e194,
    1e195, 1e196, 1e197, 1e198, 1e199, 1e200, 1e201, 1e202, 1e203, 1e204, 1e205, 1e206, 1e207,
    1e208, 1e209, 1e210, 1e211, 1e212, 1e213, 1e214, 1e215, 1e216, 1e217, 1e218, 1e219, 1e220,
    1e221, 1e222, 1e223, 1e224, 1e225, 1e226, 1e227, 1e228, 1e229, 1e230, 1e231, 1e232, 1e233,
    1e234, 1e235, 1e236, 1e237, 1e238, 1e239, 1e240, 1e241, 1e242, 1e243, 1e244, 1e245, 1e246,
    1e247, 1e248, 1e249, 1e250, 1e251, 1e252, 1e253, 1e254, 1e255, 1e256, 1e257, 1e258, 1e259,
    1e260, 1e261, 1e262, 1e263, 1e264, 1e265, 1e266, 1e267, 1e268, 1e269, 1e270, 1e271, 1e272,
    1e273, 1e274, 1e275, 1e276, 1e277, 1e278, 1e279, 1e280, 1e281, 1e282, 1e283, 1e284, 1e285,
    1e286, 1e287, 1e288, 1e289, 1e290, 1e291, 1e292, 1e293, 1e294, 1e295, 1e296, 1e297, 1e298,
    1e299, 1e300, 1e301, 1e302, 1e303, 1e304, 1e305, 1e306, 1e307, 1e308,
};

typedef struct jp {
    const uint8_t *s;
    size_t len;
    size_t pos;
    tgm_arena *arena;
    tgm_val *stack; /* children of the containers being parsed */
    size_t sp, cap;
    tgm_buf scratch; /* unescaped string contents */
    unsigned depth;
    size_t num_start; /* first byte of the number being parsed ('-' included) */
    unsigned flags;   /* TGM_JSON_ALLOW_NONFINITE, TGM_JSON_PARSE_KEEP_ORDER */
    /* Small inputs: one copy of the whole text in the arena, in which
     * strings without escapes are left where they are, NUL-terminated over
     * their closing quote (one copy instead of one allocation per string).
     * NULL: each string is copied on its own. */
    char *copy;
    /* The stack's first entries: metadata texts need no allocation for it. */
    tgm_val local[64];
} jp;

/* Inputs up to this size are copied whole (see jp.copy). */
#define COPY_WHOLE_MAX 8192

/* Report `why` at byte offset `at` (== len for end of input). */
static tgm_error jerr(const jp *p, size_t at, const char *why) {
    size_t end = at < p->len ? at + 1 : p->len;
    size_t line = 1, line_start = 0;
    for (size_t i = 0; i < end; i++) {
        if (p->s[i] == '\n') {
            line++;
            line_start = i + 1;
        }
    }
    return tgm__fail(TGM_ERROR_METADATA, "failed to parse metadata JSON: %s at line %zu column %zu",
                     why, line, end - line_start);
}

static inline void skip_ws(jp *p) {
    if (p->pos < p->len && p->s[p->pos] > ' ') {
        return; /* compact JSON: no whitespace between tokens */
    }
    while (p->pos < p->len) {
        uint8_t c = p->s[p->pos];
        if (c != ' ' && c != '\n' && c != '\t' && c != '\r') {
            break;
        }
        p->pos++;
    }
}

static int is_digit(const jp *p) {
    return p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9';
}

static int peek_is(const jp *p, uint8_t c) { return p->pos < p->len && p->s[p->pos] == c; }

/* The stack is full: move it to (a larger) heap block. */
static tgm_error grow(jp *p) {
    size_t ncap = p->cap * 2;
    bool local = p->stack == p->local;
    tgm_val *ns = tgm__realloc(local ? NULL : p->stack, ncap * sizeof *ns);
    if (ns == NULL) {
        return tgm__oom(ncap * sizeof *ns, "JSON parser stack");
    }
    if (local) {
        memcpy(ns, p->local, p->sp * sizeof *ns);
    }
    p->stack = ns;
    p->cap = ncap;
    return TGM_ERROR_OK;
}

static inline tgm_error push(jp *p, const tgm_val *v) {
    if (p->sp == p->cap) {
        TGM_TRY(grow(p));
    }
    p->stack[p->sp++] = *v;
    return TGM_ERROR_OK;
}

/* --- numbers (see the top of the file) ------------------------------------------ */

static locale_t shared_c_locale;
static void init_c_locale(void) { shared_c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0); }

/* Would a * 10 + d exceed max? (the overflow test serde_json uses) */
static int u64_overflows(uint64_t a, unsigned d) {
    return a >= UINT64_MAX / 10 && (a > UINT64_MAX / 10 || d > UINT64_MAX % 10);
}

/* The correctly rounded value of the number text [num_start, pos): the
 * syntax was checked by the caller; sig/exponent only decide overflow. */
static tgm_error from_parts(jp *p, int positive, uint64_t sig, int32_t exponent, double *out) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, init_c_locale);
    locale_t c_locale = shared_c_locale;
    size_t n = p->pos - p->num_start;
    char small[64];
    char *text = n < sizeof small ? small : tgm__malloc(n + 1);
    if (text != NULL && c_locale != (locale_t)0) {
        memcpy(text, p->s + p->num_start, n);
        text[n] = '\0';
        locale_t old = uselocale(c_locale); /* thread-local: '.' as the decimal point */
        double v = strtod(text, NULL);
        uselocale(old);
        if (text != small) {
            tgm__free(text);
        }
        if (isinf(v)) {
            return jerr(p, p->pos - 1, "number out of range");
        }
        *out = v;
        return TGM_ERROR_OK;
    }
    if (text != NULL && text != small) {
        tgm__free(text);
    }
    /* No C locale object or no memory: fall back to the serde-style scaling. */
    double f = (double)sig;
    for (;;) {
        /* |exponent| as serde computes it: i32::MIN stays out of the table. */
        uint32_t idx = exponent < 0 ? (uint32_t)0 - (uint32_t)exponent : (uint32_t)exponent;
        if (idx < 309) {
            if (exponent >= 0) {
                f *= POW10[idx];
                if (isinf(f)) {
                    return jerr(p, p->pos - 1, "number out of range");
                }
            } else {
                f /= POW10[idx];
            }
            break;
        }
        if (f == 0.0) {
            break;
        }
        if (exponent >= 0) {
            return jerr(p, p->pos - 1, "number out of range");
        }
        f /= 1e308;
        exponent += 308;
    }
    *out = positive ? f : -f;
    return TGM_ERROR_OK;
}

static int32_t clamp_i32(int64_t v) {
    return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v;
}

static tgm_error parse_exponent(jp *p, int positive, uint64_t sig, int64_t start_exp, double *out) {
    p->pos++; /* 'e' or 'E' */
    int positive_exp = 1;
    if (peek_is(p, '+')) {
        p->pos++;
    } else if (peek_is(p, '-')) {
        p->pos++;
        positive_exp = 0;
    }
    if (p->pos >= p->len) {
        return jerr(p, p->len, "EOF while parsing a value");
    }
    if (!is_digit(p)) {
        return jerr(p, p->pos, "invalid number");
    }
    int32_t exp = (int32_t)(p->s[p->pos++] - '0');
    while (is_digit(p)) {
        int32_t d = (int32_t)(p->s[p->pos++] - '0');
        if (exp >= INT32_MAX / 10 && (exp > INT32_MAX / 10 || d > INT32_MAX % 10)) {
            /* Exponent beyond i32: zero, or out of range when it is large and positive. */
            if (sig != 0 && positive_exp) {
                return jerr(p, p->pos - 1, "number out of range");
            }
            while (is_digit(p)) {
                p->pos++;
            }
            *out = positive ? 0.0 : -0.0;
            return TGM_ERROR_OK;
        }
        exp = exp * 10 + d;
    }
    int64_t s32 = clamp_i32(start_exp);
    int32_t final_exp = clamp_i32(positive_exp ? s32 + exp : s32 - exp);
    return from_parts(p, positive, sig, final_exp, out);
}

static tgm_error parse_decimal(jp *p, int positive, uint64_t sig, int64_t exp_before, double *out) {
    p->pos++; /* '.' */
    int64_t after = 0;
    while (is_digit(p)) {
        unsigned d = (unsigned)(p->s[p->pos] - '0');
        if (u64_overflows(sig, d)) {
            /* Further digits cannot change the u64: drop them. */
            while (is_digit(p)) {
                p->pos++;
            }
            if (peek_is(p, 'e') || peek_is(p, 'E')) {
                return parse_exponent(p, positive, sig, exp_before + after, out);
            }
            return from_parts(p, positive, sig, clamp_i32(exp_before + after), out);
        }
        p->pos++;
        sig = sig * 10 + d;
        after--;
    }
    if (after == 0) {
        return p->pos < p->len ? jerr(p, p->pos, "invalid number")
                               : jerr(p, p->len, "EOF while parsing a value");
    }
    if (peek_is(p, 'e') || peek_is(p, 'E')) {
        return parse_exponent(p, positive, sig, exp_before + after, out);
    }
    return from_parts(p, positive, sig, clamp_i32(exp_before + after), out);
}

static tgm_error parse_ident(jp *p, const char *word);

/* The extension's non-finite words as float64 values: the quiet NaN with
 * no payload (0x7FF8000000000000, what Python's float("nan") holds and
 * what the canonical CBOR writer narrows to half 0x7E00) and the two
 * infinities. */
static tgm_error parse_nonfinite(jp *p, int positive, tgm_val *out) {
    uint64_t bits;
    if (p->s[p->pos] == 'N' && positive) {
        TGM_TRY(parse_ident(p, "NaN"));
        bits = 0x7ff8000000000000ull;
    } else {
        TGM_TRY(parse_ident(p, "Infinity"));
        bits = positive ? 0x7ff0000000000000ull : 0xfff0000000000000ull;
    }
    double f;
    memcpy(&f, &bits, sizeof f);
    tgm__val_set_float(out, f);
    return TGM_ERROR_OK;
}

static tgm_error parse_number(jp *p, int positive, tgm_val *out) {
    p->num_start = positive ? p->pos : p->pos - 1;
    if (p->pos >= p->len) {
        return jerr(p, p->len, "EOF while parsing a value");
    }
    uint8_t c = p->s[p->pos];
    if (!positive && c == 'I' && (p->flags & TGM_JSON_ALLOW_NONFINITE)) {
        return parse_nonfinite(p, 0, out);
    }
    uint64_t sig;
    double f;
    if (c == '0') {
        p->pos++;
        if (is_digit(p)) {
            return jerr(p, p->pos, "invalid number"); /* only one leading zero */
        }
        sig = 0;
    } else if (c >= '1' && c <= '9') {
        p->pos++;
        sig = c - '0';
        while (is_digit(p)) {
            unsigned d = (unsigned)(p->s[p->pos] - '0');
            if (u64_overflows(sig, d)) {
                /* Too long for a u64: a float whose extra integer digits
                 * only scale the exponent. */
                int64_t exp = 0;
                while (is_digit(p)) {
                    p->pos++;
                    exp++;
                }
                if (peek_is(p, '.')) {
                    TGM_TRY(parse_decimal(p, positive, sig, exp, &f));
                } else if (peek_is(p, 'e') || peek_is(p, 'E')) {
                    TGM_TRY(parse_exponent(p, positive, sig, exp, &f));
                } else {
                    TGM_TRY(from_parts(p, positive, sig, clamp_i32(exp), &f));
                }
                tgm__val_set_float(out, f);
                return TGM_ERROR_OK;
            }
            p->pos++;
            sig = sig * 10 + d;
        }
    } else {
        return jerr(p, p->pos, "invalid number");
    }

    if (peek_is(p, '.')) {
        TGM_TRY(parse_decimal(p, positive, sig, 0, &f));
        tgm__val_set_float(out, f);
    } else if (peek_is(p, 'e') || peek_is(p, 'E')) {
        TGM_TRY(parse_exponent(p, positive, sig, 0, &f));
        tgm__val_set_float(out, f);
    } else if (positive) {
        tgm__val_set_uint(out, sig);
    } else if (sig == 0 || sig > (1ull << 63)) {
        tgm__val_set_float(out, -(double)sig); /* "-0" and below i64::MIN */
    } else {
        tgm__val_set_uint(out, sig - 1);
        out->neg = 1;
    }
    return TGM_ERROR_OK;
}

/* --- strings -------------------------------------------------------------------------- */

static int hexval(uint8_t c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

static tgm_error hex4(jp *p, unsigned *out) {
    if (p->len - p->pos < 4) {
        return jerr(p, p->len, "EOF while parsing a string");
    }
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p->s[p->pos]);
        if (h < 0) {
            return jerr(p, p->pos, "invalid escape");
        }
        v = v * 16 + (unsigned)h;
        p->pos++;
    }
    *out = v;
    return TGM_ERROR_OK;
}

static tgm_error put_utf8(tgm_buf *b, unsigned cp) {
    uint8_t u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (uint8_t)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (uint8_t)(0xc0 | (cp >> 6));
        u[1] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (uint8_t)(0xe0 | (cp >> 12));
        u[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        u[0] = (uint8_t)(0xf0 | (cp >> 18));
        u[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
        u[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        u[3] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 4;
    }
    return tgm__buf_append(b, u, n);
}

static tgm_error parse_unicode_escape(jp *p) {
    unsigned n = 0;
    TGM_TRY(hex4(p, &n));
    if (n >= 0xdc00 && n <= 0xdfff) {
        return jerr(p, p->pos - 1, "lone leading surrogate in hex escape");
    }
    if (n >= 0xd800 && n <= 0xdbff) {
        /* A UTF-16 high surrogate must be followed by an escaped low one. */
        if (p->pos >= p->len) {
            return jerr(p, p->len, "EOF while parsing a string");
        }
        if (p->s[p->pos] != '\\') {
            return jerr(p, p->pos, "unexpected end of hex escape");
        }
        p->pos++;
        if (p->pos >= p->len) {
            return jerr(p, p->len, "EOF while parsing a string");
        }
        if (p->s[p->pos] != 'u') {
            return jerr(p, p->pos, "unexpected end of hex escape");
        }
        p->pos++;
        unsigned n2 = 0;
        TGM_TRY(hex4(p, &n2));
        if (n2 < 0xdc00 || n2 > 0xdfff) {
            return jerr(p, p->pos - 1, "lone leading surrogate in hex escape");
        }
        n = 0x10000 + ((n - 0xd800) << 10) + (n2 - 0xdc00);
    }
    return put_utf8(&p->scratch, n);
}

/* String bytes: 0 plain ASCII, 1 ends a plain run ('"', '\\', controls),
 * 2 non-ASCII (the run goes on; it is checked as UTF-8 afterwards). */
static const uint8_t STR_CLASS[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};

/* Scan a run of plain string bytes from p->pos; returns its end. */
static tgm_error plain_run(jp *p, size_t *end) {
    size_t i = p->pos;
    const uint8_t *s = p->s;
    size_t len = p->len;
    uint8_t high = 0; /* 2 once a non-ASCII byte was seen: ASCII runs need no UTF-8 check */
    while (i < len) {
        uint8_t k = STR_CLASS[s[i]];
        if (k != 0) {
            if (k == 1) {
                break;
            }
            high = 2;
        }
        i++;
    }
    size_t bad = high == 0 ? i - p->pos : tgm__utf8_invalid_at(p->s + p->pos, i - p->pos);
    if (bad != i - p->pos) {
        return jerr(p, p->pos + bad, "invalid UTF-8 in string");
    }
    if (i >= p->len) {
        return jerr(p, p->len, "EOF while parsing a string");
    }
    *end = i;
    return TGM_ERROR_OK;
}

/* Parse a string whose opening quote is at p->pos - 1 into a text node. */
static tgm_error parse_string(jp *p, tgm_val *out) {
    size_t end;
    TGM_TRY(plain_run(p, &end));
    const char *src;
    size_t n;
    if (p->s[end] == '"') {
        src = (const char *)p->s + p->pos; /* no escapes: copy straight from the input */
        n = end - p->pos;
        if (p->copy != NULL) {
            char *d = p->copy + p->pos;
            d[n] = '\0'; /* over the closing quote */
            memset(out, 0, sizeof *out);
            out->kind = TGM_V_TEXT;
            out->p.str = d;
            out->len = n;
            p->pos = end + 1;
            return TGM_ERROR_OK;
        }
        p->pos = end + 1;
    } else {
        p->scratch.len = 0;
        for (;;) {
            TGM_TRY(tgm__buf_append(&p->scratch, p->s + p->pos, end - p->pos));
            p->pos = end;
            uint8_t c = p->s[p->pos];
            if (c == '"') {
                p->pos++;
                break;
            }
            if (c < 0x20) {
                return jerr(p, p->pos,
                            "control character (\\u0000-\\u001F) found while parsing a string");
            }
            p->pos++; /* backslash */
            if (p->pos >= p->len) {
                return jerr(p, p->len, "EOF while parsing a string");
            }
            uint8_t e = p->s[p->pos++];
            uint8_t lit;
            switch (e) {
            case '"':
            case '\\':
            case '/':
                lit = e;
                break;
            case 'b':
                lit = '\b';
                break;
            case 'f':
                lit = '\f';
                break;
            case 'n':
                lit = '\n';
                break;
            case 'r':
                lit = '\r';
                break;
            case 't':
                lit = '\t';
                break;
            case 'u':
                TGM_TRY(parse_unicode_escape(p));
                TGM_TRY(plain_run(p, &end));
                continue;
            default:
                return jerr(p, p->pos - 1, "invalid escape");
            }
            TGM_TRY(tgm__buf_append_u8(&p->scratch, lit));
            TGM_TRY(plain_run(p, &end));
        }
        src = (const char *)p->scratch.data;
        n = p->scratch.len;
    }
    if (tgm__val_set_text(p->arena, out, src, n) != 0) {
        return tgm__oom(n + 1, "JSON string");
    }
    return TGM_ERROR_OK;
}

/* --- containers ------------------------------------------------------------------------- */

static tgm_error parse_value(jp *p, tgm_val *out);

static tgm_error enter(jp *p) {
    /* serde_json allows 127 nested levels: the 128th fails. */
    if (++p->depth >= TGM_JSON_MAX_DEPTH) {
        return jerr(p, p->pos, "recursion limit exceeded");
    }
    return TGM_ERROR_OK;
}

static tgm_error take_children(jp *p, size_t base, tgm_val **items) {
    size_t n = p->sp - base;
    *items = NULL;
    if (n > 0) {
        *items = tgm__arena_alloc(p->arena, n * sizeof(tgm_val));
        if (*items == NULL) {
            return tgm__oom(n * sizeof(tgm_val), "JSON array");
        }
        memcpy(*items, p->stack + base, n * sizeof(tgm_val));
    }
    p->sp = base;
    return TGM_ERROR_OK;
}

static tgm_error parse_array(jp *p, tgm_val *out) {
    TGM_TRY(enter(p));
    p->pos++; /* '[' */
    size_t base = p->sp;
    skip_ws(p);
    if (p->pos >= p->len) {
        return jerr(p, p->len, "EOF while parsing a list");
    }
    if (p->s[p->pos] == ']') {
        p->pos++;
    } else {
        for (;;) {
            tgm_val v;
            TGM_TRY(parse_value(p, &v));
            TGM_TRY(push(p, &v));
            skip_ws(p);
            if (p->pos >= p->len) {
                return jerr(p, p->len, "EOF while parsing a list");
            }
            uint8_t c = p->s[p->pos];
            if (c == ']') {
                p->pos++;
                break;
            }
            if (c != ',') {
                return jerr(p, p->pos, "expected `,` or `]`");
            }
            p->pos++;
            skip_ws(p);
            if (peek_is(p, ']')) {
                return jerr(p, p->pos, "trailing comma");
            }
        }
    }
    memset(out, 0, sizeof *out);
    out->kind = TGM_V_ARRAY;
    out->len = p->sp - base;
    TGM_TRY(take_children(p, base, &out->p.items));
    p->depth--;
    return TGM_ERROR_OK;
}

static int key_idx_cmp(const void *ctx, size_t a, size_t b) {
    const tgm_val *kv = ctx; /* alternating key, value */
    const tgm_val *x = &kv[2 * a], *y = &kv[2 * b];
    size_t m = x->len < y->len ? x->len : y->len;
    /* Keys mostly differ in their first bytes: a byte loop, no call. */
    const uint8_t *a8 = (const uint8_t *)x->p.str, *b8 = (const uint8_t *)y->p.str;
    for (size_t i = 0; i < m; i++) {
        if (a8[i] != b8[i]) {
            return a8[i] < b8[i] ? -1 : 1;
        }
    }
    return x->len < y->len ? -1 : x->len > y->len ? 1 : 0;
}

/* Turn the key/value pairs at stack[base..sp) into a map sorted by key
 * bytes in which the last of equal keys survives. */
static tgm_error build_object(jp *p, size_t base, tgm_val *out) {
    size_t n = (p->sp - base) / 2;
    memset(out, 0, sizeof *out);
    out->kind = TGM_V_MAP;
    if (n == 0) {
        return TGM_ERROR_OK;
    }
    const tgm_val *kv = p->stack + base;
    size_t idx_small[2 * 16]; /* most objects are small: no allocation */
    size_t *idx = n <= 16 ? idx_small : tgm__malloc_array(n, 2 * sizeof(size_t));
    if (idx == NULL) {
        return tgm__oom(n * 2 * sizeof(size_t), "JSON object keys");
    }
    for (size_t i = 0; i < n; i++) {
        idx[i] = i;
    }
    size_t m = n;
    if ((p->flags & TGM_JSON_PARSE_KEEP_ORDER) == 0) {
        bool dup = true; /* whether equal keys may be present */
        if (n <= 16) {
            /* Small objects: an insertion sort (stable, as the merge sort),
             * a single compare for keys already in order.  A key equal to
             * one placed before it meets it (the walk stops at the first
             * key not above it), so no compare giving 0 means no
             * duplicates. */
            dup = false;
            for (size_t i = 1; i < n; i++) {
                size_t v = idx[i], j = i;
                while (j > 0) {
                    int c = key_idx_cmp(kv, idx[j - 1], v);
                    if (c <= 0) {
                        dup = dup || c == 0;
                        break;
                    }
                    idx[j] = idx[j - 1];
                    j--;
                }
                idx[j] = v;
            }
        } else {
            tgm__stable_sort_idx(idx, idx + n, n, key_idx_cmp, kv);
        }
        m = dup ? 0 : n;
        for (size_t j = 0; dup && j < n; j++) {
            if (j + 1 < n && key_idx_cmp(kv, idx[j], idx[j + 1]) == 0) {
                continue; /* a later duplicate replaces this one */
            }
            idx[m++] = idx[j];
        }
    }
    tgm_val *items = tgm__arena_alloc(p->arena, 2 * m * sizeof(tgm_val));
    if (items == NULL) {
        if (idx != idx_small) {
            tgm__free(idx);
        }
        return tgm__oom(2 * m * sizeof(tgm_val), "JSON object");
    }
    for (size_t j = 0; j < m; j++) {
        items[2 * j] = kv[2 * idx[j]];
        items[2 * j + 1] = kv[2 * idx[j] + 1];
    }
    if (idx != idx_small) {
        tgm__free(idx);
    }
    out->len = m;
    out->p.items = items;
    p->sp = base;
    return TGM_ERROR_OK;
}

static tgm_error parse_object(jp *p, tgm_val *out) {
    TGM_TRY(enter(p));
    p->pos++; /* '{' */
    size_t base = p->sp;
    skip_ws(p);
    if (p->pos >= p->len) {
        return jerr(p, p->len, "EOF while parsing an object");
    }
    if (p->s[p->pos] == '}') {
        p->pos++;
    } else {
        for (;;) {
            if (p->pos >= p->len) {
                return jerr(p, p->len, "EOF while parsing an object");
            }
            if (p->s[p->pos] != '"') {
                return jerr(p, p->pos, "key must be a string");
            }
            p->pos++;
            tgm_val key, v;
            TGM_TRY(parse_string(p, &key));
            skip_ws(p);
            if (p->pos >= p->len) {
                return jerr(p, p->len, "EOF while parsing an object");
            }
            if (p->s[p->pos] != ':') {
                return jerr(p, p->pos, "expected `:`");
            }
            p->pos++;
            TGM_TRY(parse_value(p, &v));
            TGM_TRY(push(p, &key));
            TGM_TRY(push(p, &v));
            skip_ws(p);
            if (p->pos >= p->len) {
                return jerr(p, p->len, "EOF while parsing an object");
            }
            uint8_t c = p->s[p->pos];
            if (c == '}') {
                p->pos++;
                break;
            }
            if (c != ',') {
                return jerr(p, p->pos, "expected `,` or `}`");
            }
            p->pos++;
            skip_ws(p);
            if (peek_is(p, '}')) {
                return jerr(p, p->pos, "trailing comma");
            }
        }
    }
    TGM_TRY(build_object(p, base, out));
    p->depth--;
    return TGM_ERROR_OK;
}

static tgm_error parse_ident(jp *p, const char *word) {
    for (const char *w = word; *w != '\0'; w++) {
        if (p->pos >= p->len) {
            return jerr(p, p->len, "EOF while parsing a value");
        }
        if (p->s[p->pos] != (uint8_t)*w) {
            return jerr(p, p->pos, "expected ident");
        }
        p->pos++;
    }
    return TGM_ERROR_OK;
}

static tgm_error parse_value(jp *p, tgm_val *out) {
    skip_ws(p);
    if (p->pos >= p->len) {
        return jerr(p, p->len, "EOF while parsing a value");
    }
    memset(out, 0, sizeof *out);
    switch (p->s[p->pos]) {
    case 'n':
        TGM_TRY(parse_ident(p, "null"));
        out->kind = TGM_V_NULL;
        return TGM_ERROR_OK;
    case 't':
        TGM_TRY(parse_ident(p, "true"));
        tgm__val_set_bool(out, true);
        return TGM_ERROR_OK;
    case 'f':
        TGM_TRY(parse_ident(p, "false"));
        tgm__val_set_bool(out, false);
        return TGM_ERROR_OK;
    case '"':
        p->pos++;
        return parse_string(p, out);
    case '[':
        return parse_array(p, out);
    case '{':
        return parse_object(p, out);
    case '-':
        p->pos++;
        return parse_number(p, 0, out);
    case 'N':
    case 'I':
        if (p->flags & TGM_JSON_ALLOW_NONFINITE) {
            return parse_nonfinite(p, 1, out);
        }
        return jerr(p, p->pos, "expected value");
    default:
        if (is_digit(p)) {
            return parse_number(p, 1, out);
        }
        return jerr(p, p->pos, "expected value");
    }
}

tgm_error tgm__json_parse(const char *text, size_t len, tgm_arena *arena, tgm_val **out) {
    return tgm__json_parse_ex(text, len, 0, arena, out);
}

tgm_error tgm__json_parse_ex(const char *text, size_t len, unsigned flags, tgm_arena *arena,
                             tgm_val **out) {
    TGM_RETURN_IF(text == NULL && len != 0, TGM_ERROR_INVALID_ARG, "NULL JSON text");
    jp p; /* every field but the local stack (not cleared: ~2 KiB) */
    p.pos = 0;
    p.sp = 0;
    p.scratch = (tgm_buf)TGM_BUF_INIT;
    p.depth = 0;
    p.num_start = 0;
    p.copy = NULL;
    p.s = (const uint8_t *)text;
    p.len = len;
    p.arena = arena;
    p.flags = flags;
    p.stack = p.local;
    p.cap = sizeof p.local / sizeof p.local[0];
    tgm_error err;
    tgm_val *root = tgm__arena_alloc(arena, sizeof *root);
    if (root == NULL) {
        err = tgm__oom(sizeof *root, "JSON root value");
        goto cleanup;
    }
    if (len <= COPY_WHOLE_MAX) {
        p.copy = tgm__arena_strndup(arena, text, len); /* NULL: strings copied one by one */
    }
    TGM_CHECK(parse_value(&p, root));
    skip_ws(&p);
    if (p.pos < p.len) {
        err = jerr(&p, p.pos, "trailing characters");
        goto cleanup;
    }
    *out = root;
cleanup:
    if (p.stack != p.local) {
        tgm__free(p.stack);
    }
    tgm__buf_free(&p.scratch);
    return err;
}
