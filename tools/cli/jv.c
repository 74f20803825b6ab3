/* JSON document model: construction, parsing, printing (see jv.h). */
#include "jv.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* ---- construction ------------------------------------------------------------ */

static jv *jv_new(jv_kind k) {
    jv *v = xcalloc(1, sizeof *v);
    v->kind = k;
    return v;
}

jv *jv_null(void) { return jv_new(JV_NULL); }

jv *jv_bool(bool b) {
    jv *v = jv_new(JV_BOOL);
    v->b = b;
    return v;
}

jv *jv_num(const char *text) {
    jv *v = jv_new(JV_NUM);
    v->len = strlen(text);
    v->s = xmemdup(text, v->len);
    return v;
}

jv *jv_int(int64_t x) {
    char t[32];
    snprintf(t, sizeof t, "%lld", (long long)x);
    return jv_num(t);
}

jv *jv_uint(uint64_t x) {
    char t[32];
    snprintf(t, sizeof t, "%llu", (unsigned long long)x);
    return jv_num(t);
}

jv *jv_str(const char *s, size_t n) {
    jv *v = jv_new(JV_STR);
    v->s = xmemdup(s, n);
    v->len = n;
    return v;
}

jv *jv_cstr(const char *s) { return jv_str(s, strlen(s)); }

jv *jv_arr(void) { return jv_new(JV_ARR); }

jv *jv_obj(void) { return jv_new(JV_OBJ); }

void jv_free(jv *v) {
    if (v == NULL) {
        return;
    }
    free(v->s);
    for (size_t i = 0; v->kind == JV_ARR && i < v->n; i++) {
        jv_free(v->items[i]);
    }
    for (size_t i = 0; v->kind == JV_OBJ && i < v->n; i++) {
        free(v->ents[i].key);
        jv_free(v->ents[i].val);
    }
    free(v->items);
    free(v->ents);
    free(v);
}

jv *jv_clone(const jv *v) {
    jv *c = jv_new(v->kind);
    c->b = v->b;
    if (v->s != NULL) {
        c->s = xmemdup(v->s, v->len);
        c->len = v->len;
    }
    if (v->kind == JV_ARR) {
        for (size_t i = 0; i < v->n; i++) {
            jv_push(c, jv_clone(v->items[i]));
        }
    } else if (v->kind == JV_OBJ) {
        for (size_t i = 0; i < v->n; i++) {
            jv_set(c, v->ents[i].key, v->ents[i].klen, jv_clone(v->ents[i].val));
        }
    }
    return c;
}

void jv_push(jv *arr, jv *item) {
    if (arr->n == arr->cap) {
        arr->cap = arr->cap ? arr->cap * 2 : 4;
        arr->items = xrealloc(arr->items, arr->cap * sizeof *arr->items);
    }
    arr->items[arr->n++] = item;
}

static jv_entry *find(const jv *obj, const char *key, size_t klen) {
    if (obj == NULL || obj->kind != JV_OBJ) {
        return NULL;
    }
    for (size_t i = 0; i < obj->n; i++) {
        if (obj->ents[i].klen == klen && memcmp(obj->ents[i].key, key, klen) == 0) {
            return &obj->ents[i];
        }
    }
    return NULL;
}

void jv_set(jv *obj, const char *key, size_t klen, jv *val) {
    jv_entry *e = find(obj, key, klen);
    if (e != NULL) {
        jv_free(e->val);
        e->val = val;
        return;
    }
    if (obj->n == obj->cap) {
        obj->cap = obj->cap ? obj->cap * 2 : 4;
        obj->ents = xrealloc(obj->ents, obj->cap * sizeof *obj->ents);
    }
    obj->ents[obj->n].key = xmemdup(key, klen);
    obj->ents[obj->n].klen = klen;
    obj->ents[obj->n].val = val;
    obj->n++;
}

void jv_setc(jv *obj, const char *key, jv *val) { jv_set(obj, key, strlen(key), val); }

jv *jv_get(const jv *obj, const char *key) {
    jv_entry *e = find(obj, key, strlen(key));
    return e ? e->val : NULL;
}

jv *jv_take(jv *obj, const char *key) {
    jv_entry *e = find(obj, key, strlen(key));
    if (e == NULL) {
        return NULL;
    }
    jv *val = e->val;
    size_t i = (size_t)(e - obj->ents);
    free(e->key);
    memmove(&obj->ents[i], &obj->ents[i + 1], (obj->n - i - 1) * sizeof *obj->ents);
    obj->n--;
    return val;
}

void jv_del(jv *obj, const char *key) { jv_free(jv_take(obj, key)); }

bool jv_equal(const jv *a, const jv *b) {
    if (a->kind != b->kind) {
        return false;
    }
    switch (a->kind) {
    case JV_NULL:
        return true;
    case JV_BOOL:
        return a->b == b->b;
    case JV_NUM:
    case JV_STR:
        return a->len == b->len && memcmp(a->s, b->s, a->len) == 0;
    case JV_ARR:
        if (a->n != b->n) {
            return false;
        }
        for (size_t i = 0; i < a->n; i++) {
            if (!jv_equal(a->items[i], b->items[i])) {
                return false;
            }
        }
        return true;
    case JV_OBJ:
        if (a->n != b->n) {
            return false;
        }
        for (size_t i = 0; i < a->n; i++) {
            const jv_entry *e = find(b, a->ents[i].key, a->ents[i].klen);
            if (e == NULL || !jv_equal(a->ents[i].val, e->val)) {
                return false;
            }
        }
        return true;
    }
    return false;
}

/* ---- growable strings ---------------------------------------------------------- */

void sb_putn(sbuf *b, const char *s, size_t n) {
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->n + n + 1) {
            cap *= 2;
        }
        b->p = xrealloc(b->p, cap);
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

void sb_puts(sbuf *b, const char *s) { sb_putn(b, s, strlen(s)); }

void sb_putc(sbuf *b, char c) { sb_putn(b, &c, 1); }

void sb_printf(sbuf *b, const char *fmt, ...) {
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n <= 0) {
        return;
    }
    if ((size_t)n < sizeof small) {
        sb_putn(b, small, (size_t)n);
        return;
    }
    char *tmp = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(tmp, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb_putn(b, tmp, (size_t)n);
    free(tmp);
}

char *sb_steal(sbuf *b) {
    char *p = b->p ? b->p : xmemdup("", 0);
    b->p = NULL;
    b->n = b->cap = 0;
    return p;
}

void sb_free(sbuf *b) {
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}

/* ---- printing ------------------------------------------------------------------- */

/* serde_json's escaping: the two mandatory escapes, the short forms for
 * \b \f \n \r \t, \u00XX for the other control characters; everything else
 * (including non-ASCII UTF-8 and DEL) is written as is. */
static void put_string(sbuf *b, const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    sb_putc(b, '"');
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char u[7];
        if (c == '"') {
            esc = "\\\"";
        } else if (c == '\\') {
            esc = "\\\\";
        } else if (c == '\n') {
            esc = "\\n";
        } else if (c == '\r') {
            esc = "\\r";
        } else if (c == '\t') {
            esc = "\\t";
        } else if (c == '\b') {
            esc = "\\b";
        } else if (c == '\f') {
            esc = "\\f";
        } else if (c < 0x20) {
            u[0] = '\\';
            u[1] = 'u';
            u[2] = '0';
            u[3] = '0';
            u[4] = hex[c >> 4];
            u[5] = hex[c & 15];
            u[6] = '\0';
            esc = u;
        }
        if (esc != NULL) {
            sb_putn(b, s + start, i - start);
            sb_puts(b, esc);
            start = i + 1;
        }
    }
    sb_putn(b, s + start, n - start);
    sb_putc(b, '"');
}

static void indent(sbuf *b, int depth) {
    sb_putc(b, '\n');
    for (int i = 0; i < depth; i++) {
        sb_puts(b, "  ");
    }
}

static int cmp_entries(const void *pa, const void *pb) {
    const jv_entry *a = *(const jv_entry *const *)pa;
    const jv_entry *b = *(const jv_entry *const *)pb;
    size_t n = a->klen < b->klen ? a->klen : b->klen;
    int c = memcmp(a->key, b->key, n);
    if (c != 0) {
        return c;
    }
    return (a->klen > b->klen) - (a->klen < b->klen);
}

static void write_rec(const jv *v, int style, int depth, sbuf *b) {
    bool pretty = (style & JV_PRETTY) != 0;
    switch (v->kind) {
    case JV_NULL:
        sb_puts(b, "null");
        return;
    case JV_BOOL:
        sb_puts(b, v->b ? "true" : "false");
        return;
    case JV_NUM:
        sb_putn(b, v->s, v->len);
        return;
    case JV_STR:
        put_string(b, v->s, v->len);
        return;
    case JV_ARR:
        sb_putc(b, '[');
        for (size_t i = 0; i < v->n; i++) {
            if (i > 0) {
                sb_putc(b, ',');
            }
            if (pretty) {
                indent(b, depth + 1);
            }
            write_rec(v->items[i], style, depth + 1, b);
        }
        if (pretty && v->n > 0) {
            indent(b, depth);
        }
        sb_putc(b, ']');
        return;
    case JV_OBJ: {
        const jv_entry **order = xmalloc((v->n ? v->n : 1) * sizeof *order);
        for (size_t i = 0; i < v->n; i++) {
            order[i] = &v->ents[i];
        }
        if (style & JV_SORTED) {
            qsort(order, v->n, sizeof *order, cmp_entries);
        }
        sb_putc(b, '{');
        for (size_t i = 0; i < v->n; i++) {
            if (i > 0) {
                sb_putc(b, ',');
            }
            if (pretty) {
                indent(b, depth + 1);
            }
            put_string(b, order[i]->key, order[i]->klen);
            sb_puts(b, pretty ? ": " : ":");
            write_rec(order[i]->val, style, depth + 1, b);
        }
        if (pretty && v->n > 0) {
            indent(b, depth);
        }
        sb_putc(b, '}');
        free(order);
        return;
    }
    }
}

void jv_write(const jv *v, int style, sbuf *out) { write_rec(v, style, 0, out); }

char *jv_to_string(const jv *v, int style) {
    sbuf b = {0};
    jv_write(v, style, &b);
    return sb_steal(&b);
}

/* ---- parsing ---------------------------------------------------------------------- */

enum { MAX_DEPTH = 256 };

typedef struct {
    const char *p, *end;
    char *err;
    size_t errcap;
    int depth;
} parser;

static void perr(parser *ps, const char *what) {
    if (ps->err[0] == '\0') {
        snprintf(ps->err, ps->errcap, "%s", what);
    }
}

static void skip_ws(parser *ps) {
    while (ps->p < ps->end &&
           (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')) {
        ps->p++;
    }
}

static int hexval(char c) {
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

static bool read_hex4(parser *ps, unsigned *out) {
    if (ps->end - ps->p < 4) {
        return false;
    }
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(ps->p[i]);
        if (h < 0) {
            return false;
        }
        v = v * 16 + (unsigned)h;
    }
    ps->p += 4;
    *out = v;
    return true;
}

static void put_utf8(sbuf *b, unsigned cp) {
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    sb_putn(b, u, n);
}

/* Parse a string starting at the opening quote into b. */
static bool parse_string(parser *ps, sbuf *b) {
    ps->p++; /* opening quote */
    for (;;) {
        if (ps->p >= ps->end) {
            perr(ps, "unterminated string");
            return false;
        }
        char c = *ps->p;
        if (c == '"') {
            ps->p++;
            if (b->p == NULL) {
                sb_putn(b, "", 0);
            }
            return true;
        }
        if ((unsigned char)c < 0x20) {
            perr(ps, "control character in string");
            return false;
        }
        if (c != '\\') {
            const char *start = ps->p;
            while (ps->p < ps->end && *ps->p != '"' && *ps->p != '\\' &&
                   (unsigned char)*ps->p >= 0x20) {
                ps->p++;
            }
            sb_putn(b, start, (size_t)(ps->p - start));
            continue;
        }
        ps->p++;
        if (ps->p >= ps->end) {
            perr(ps, "unterminated escape");
            return false;
        }
        char e = *ps->p++;
        switch (e) {
        case '"':
        case '\\':
        case '/':
            sb_putc(b, e);
            break;
        case 'b':
            sb_putc(b, '\b');
            break;
        case 'f':
            sb_putc(b, '\f');
            break;
        case 'n':
            sb_putc(b, '\n');
            break;
        case 'r':
            sb_putc(b, '\r');
            break;
        case 't':
            sb_putc(b, '\t');
            break;
        case 'u': {
            unsigned cp;
            if (!read_hex4(ps, &cp)) {
                perr(ps, "bad \\u escape");
                return false;
            }
            if (cp >= 0xD800 && cp < 0xDC00) {
                unsigned lo;
                if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u') {
                    perr(ps, "unpaired surrogate");
                    return false;
                }
                ps->p += 2;
                if (!read_hex4(ps, &lo) || lo < 0xDC00 || lo > 0xDFFF) {
                    perr(ps, "unpaired surrogate");
                    return false;
                }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp < 0xE000) {
                perr(ps, "unpaired surrogate");
                return false;
            }
            put_utf8(b, cp);
            break;
        }
        default:
            perr(ps, "invalid escape");
            return false;
        }
    }
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static jv *parse_value(parser *ps);

static jv *parse_number(parser *ps) {
    const char *s = ps->p;
    if (ps->p < ps->end && *ps->p == '-') {
        ps->p++;
    }
    if (ps->p >= ps->end || !is_digit(*ps->p)) {
        perr(ps, "invalid number");
        return NULL;
    }
    if (*ps->p == '0') {
        ps->p++;
    } else {
        while (ps->p < ps->end && is_digit(*ps->p)) {
            ps->p++;
        }
    }
    if (ps->p < ps->end && *ps->p == '.') {
        ps->p++;
        if (ps->p >= ps->end || !is_digit(*ps->p)) {
            perr(ps, "invalid number");
            return NULL;
        }
        while (ps->p < ps->end && is_digit(*ps->p)) {
            ps->p++;
        }
    }
    if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
        ps->p++;
        if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-')) {
            ps->p++;
        }
        if (ps->p >= ps->end || !is_digit(*ps->p)) {
            perr(ps, "invalid number");
            return NULL;
        }
        while (ps->p < ps->end && is_digit(*ps->p)) {
            ps->p++;
        }
    }
    jv *v = jv_new(JV_NUM);
    v->len = (size_t)(ps->p - s);
    v->s = xmemdup(s, v->len);
    return v;
}

static bool literal(parser *ps, const char *word) {
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) >= n && memcmp(ps->p, word, n) == 0) {
        ps->p += n;
        return true;
    }
    perr(ps, "invalid literal");
    return false;
}

static jv *parse_container(parser *ps, bool object) {
    if (++ps->depth > MAX_DEPTH) {
        perr(ps, "nesting too deep");
        return NULL;
    }
    char close = object ? '}' : ']';
    jv *v = object ? jv_obj() : jv_arr();
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        ps->depth--;
        return v;
    }
    for (;;) {
        skip_ws(ps);
        if (object) {
            if (ps->p >= ps->end || *ps->p != '"') {
                perr(ps, "expected an object key");
                goto fail;
            }
            sbuf key = {0};
            if (!parse_string(ps, &key)) {
                sb_free(&key);
                goto fail;
            }
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != ':') {
                sb_free(&key);
                perr(ps, "expected ':'");
                goto fail;
            }
            ps->p++;
            jv *val = parse_value(ps);
            if (val == NULL) {
                sb_free(&key);
                goto fail;
            }
            jv_set(v, key.p, key.n, val);
            sb_free(&key);
        } else {
            jv *item = parse_value(ps);
            if (item == NULL) {
                goto fail;
            }
            jv_push(v, item);
        }
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == close) {
            ps->p++;
            ps->depth--;
            return v;
        }
        perr(ps, object ? "expected ',' or '}'" : "expected ',' or ']'");
        goto fail;
    }
fail:
    jv_free(v);
    return NULL;
}

static jv *parse_value(parser *ps) {
    skip_ws(ps);
    if (ps->p >= ps->end) {
        perr(ps, "unexpected end of input");
        return NULL;
    }
    switch (*ps->p) {
    case '{':
        return parse_container(ps, true);
    case '[':
        return parse_container(ps, false);
    case '"': {
        sbuf b = {0};
        if (!parse_string(ps, &b)) {
            sb_free(&b);
            return NULL;
        }
        jv *v = jv_new(JV_STR);
        v->len = b.n;
        v->s = sb_steal(&b);
        return v;
    }
    case 't':
        return literal(ps, "true") ? jv_bool(true) : NULL;
    case 'f':
        return literal(ps, "false") ? jv_bool(false) : NULL;
    case 'n':
        return literal(ps, "null") ? jv_null() : NULL;
    default:
        return parse_number(ps);
    }
}

jv *jv_parse(const char *text, size_t len, char *err, size_t errcap) {
    parser ps = {text, text + len, err, errcap, 0};
    err[0] = '\0';
    jv *v = parse_value(&ps);
    if (v == NULL) {
        return NULL;
    }
    skip_ws(&ps);
    if (ps.p != ps.end) {
        perr(&ps, "trailing characters");
        jv_free(v);
        return NULL;
    }
    return v;
}

/* ---- float formatting ----------------------------------------------------------- */

/* The shortest decimal digit string that reads back as |v|: digits d1..dn
 * (no trailing zeros) and the exponent x of d1, so |v| = d1.d2..dn * 10^x.
 * %.*e rounds correctly, so the first precision that round-trips gives the
 * closest shortest form. */
static void shortest(double v, char *digits, int *ndigits, int *exp10) {
    char buf[64];
    double a = fabs(v);
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec - 1, a);
        if (strtod(buf, NULL) == a || prec == 17) {
            break;
        }
    }
    int n = 0;
    const char *p = buf;
    for (; *p && *p != 'e'; p++) {
        if (is_digit(*p)) {
            digits[n++] = *p;
        }
    }
    *exp10 = (*p == 'e') ? atoi(p + 1) : 0;
    while (n > 1 && digits[n - 1] == '0') {
        n--;
    }
    digits[n] = '\0';
    *ndigits = n;
}

/* Positional notation; `force_fraction` appends ".0" to whole numbers. */
static void positional(bool neg, const char *d, int n, int x, bool force_fraction, char *out) {
    char *o = out;
    if (neg) {
        *o++ = '-';
    }
    if (x < 0) {
        *o++ = '0';
        *o++ = '.';
        for (int i = 0; i < -x - 1; i++) {
            *o++ = '0';
        }
        memcpy(o, d, (size_t)n);
        o += n;
    } else {
        for (int i = 0; i <= x; i++) {
            *o++ = i < n ? d[i] : '0';
        }
        if (n > x + 1) {
            *o++ = '.';
            memcpy(o, d + x + 1, (size_t)(n - x - 1));
            o += n - x - 1;
        } else if (force_fraction) {
            *o++ = '.';
            *o++ = '0';
        }
    }
    *o = '\0';
}

void fmt_f64_json(double v, char *buf) {
    if (!isfinite(v)) {
        strcpy(buf, "null");
        return;
    }
    bool neg = signbit(v) != 0;
    if (v == 0) {
        strcpy(buf, neg ? "-0.0" : "0.0");
        return;
    }
    char d[32];
    int n, x;
    shortest(v, d, &n, &x);
    if (x >= -5 && x <= 15) {
        positional(neg, d, n, x, true, buf);
        return;
    }
    char *o = buf;
    if (neg) {
        *o++ = '-';
    }
    *o++ = d[0];
    if (n > 1) {
        *o++ = '.';
        memcpy(o, d + 1, (size_t)(n - 1));
        o += n - 1;
    }
    sprintf(o, "e%c%d", x < 0 ? '-' : '+', x < 0 ? -x : x);
}

void fmt_f64_display(double v, char *buf) {
    if (isnan(v)) {
        strcpy(buf, "NaN");
        return;
    }
    if (isinf(v)) {
        strcpy(buf, v < 0 ? "-inf" : "inf");
        return;
    }
    bool neg = signbit(v) != 0;
    if (v == 0) {
        strcpy(buf, neg ? "-0" : "0");
        return;
    }
    char d[32];
    int n, x;
    shortest(v, d, &n, &x);
    positional(neg, d, n, x, false, buf);
}
