/* JSON writer with serde_json's output.
 *
 * The reference renders metadata by converting its CBOR values to
 * serde_json values and printing them, so this writer applies the same
 * conversion (integers outside i64/u64 -> decimal strings, non-finite
 * floats -> null, bytes -> lowercase hex strings, non-text map keys ->
 * Rust debug text, tags / undefined / other simple values -> null) and the
 * same printing: object keys in byte order (serde_json's Map is a
 * BTreeMap; a later duplicate replaces an earlier one), serde_json's
 * string escapes and float notation, and for the pretty style its
 * two-space layout. */
#include <stdio.h>
#include <string.h>

#include "cbor/cbor_internal.h"
#include "common/alloc.h"
#include "common/error.h"
#include "json/json.h"
#include "json/json_internal.h"

#define JSON_WRITE_MAX_DEPTH 1024

/* --- scalars ------------------------------------------------------------------ */

static tgm_error put(tgm_buf *out, const char *s, size_t n) { return tgm__buf_append(out, s, n); }

static tgm_error put_c(tgm_buf *out, const char *s) { return put(out, s, strlen(s)); }

/* Decimal digits of u, plus one when `plus1` (for -1 - u without overflow:
 * the magnitude of a CBOR negative integer is u + 1, up to 2^64). */
static size_t u64_dec(uint64_t u, int plus1, char *buf) {
    char tmp[24];
    size_t n = 0;
    int carry = plus1;
    do {
        unsigned d = (unsigned)(u % 10) + (unsigned)carry;
        carry = d == 10;
        tmp[n++] = (char)('0' + (carry ? 0 : d));
        u /= 10;
    } while (u != 0);
    if (carry) {
        tmp[n++] = '1';
    }
    for (size_t i = 0; i < n; i++) {
        buf[i] = tmp[n - 1 - i];
    }
    return n;
}

static tgm_error write_int(const tgm_val *v, tgm_buf *out) {
    char buf[32];
    size_t n = 0;
    if (!v->neg) {
        n = u64_dec(v->num.u, 0, buf);
        return put(out, buf, n);
    }
    int big = v->num.u > (uint64_t)INT64_MAX; /* below i64::MIN: the reference writes a string */
    if (big) {
        buf[n++] = '"';
    }
    buf[n++] = '-';
    n += u64_dec(v->num.u, 1, buf + n);
    if (big) {
        buf[n++] = '"';
    }
    return put(out, buf, n);
}

static tgm_error write_string(const char *s, size_t len, tgm_buf *out) {
    static const char hex[] = "0123456789abcdef";
    const uint8_t *p = (const uint8_t *)s;
    TGM_TRY(tgm__buf_reserve(out, len + 2));
    out->data[out->len++] = '"';
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = p[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            continue;
        }
        TGM_TRY(put(out, s + run, i - run));
        run = i + 1;
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t en = 2;
        switch (c) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case 0x08:
            esc[1] = 'b';
            break;
        case 0x09:
            esc[1] = 't';
            break;
        case 0x0a:
            esc[1] = 'n';
            break;
        case 0x0c:
            esc[1] = 'f';
            break;
        case 0x0d:
            esc[1] = 'r';
            break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            en = 6;
            break;
        }
        TGM_TRY(put(out, esc, en));
    }
    TGM_TRY(put(out, s + run, len - run));
    return tgm__buf_append_u8(out, '"');
}

static tgm_error write_hex(const tgm_val *v, tgm_buf *out) {
    static const char hex[] = "0123456789abcdef";
    uint8_t *p;
    size_t n = v->len;
    TGM_RETURN_IF(n > (SIZE_MAX - 2) / 2, TGM_ERROR_METADATA, "byte string too long for JSON");
    TGM_TRY(tgm__buf_extend(out, 2 * n + 2, &p));
    const uint8_t *b = (const uint8_t *)v->p.str;
    *p++ = '"';
    for (size_t i = 0; i < n; i++) {
        *p++ = (uint8_t)hex[b[i] >> 4];
        *p++ = (uint8_t)hex[b[i] & 15];
    }
    *p = '"';
    return TGM_ERROR_OK;
}

/* --- Rust debug rendering of non-text keys --------------------------------------- */

/* Text as Rust's `{:?}` prints a str: quotes, backslash escapes for the
 * usual characters and \u{..} for other control characters.  (Rust also
 * escapes unassigned and other non-printable code points; metadata keys
 * that are not text are rare enough that controls suffice here.) */
static tgm_error debug_str(const char *s, size_t len, tgm_buf *out) {
    TGM_TRY(tgm__buf_append_u8(out, '"'));
    for (size_t i = 0; i < len; i++) {
        uint8_t c = (uint8_t)s[i];
        const char *esc = NULL;
        switch (c) {
        case '\t':
            esc = "\\t";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '"':
            esc = "\\\"";
            break;
        case '\0':
            esc = "\\0";
            break;
        default:
            break;
        }
        if (esc != NULL) {
            TGM_TRY(put_c(out, esc));
        } else if (c < 0x20 || c == 0x7f) {
            char u[16];
            int n = snprintf(u, sizeof u, "\\u{%x}", (unsigned)c);
            TGM_TRY(put(out, u, (size_t)n));
        } else if (c == 0xc2 && i + 1 < len && (uint8_t)s[i + 1] >= 0x80 &&
                   (uint8_t)s[i + 1] <= 0x9f) {
            /* C1 controls U+0080..U+009F are escaped too. */
            char u[16];
            int n = snprintf(u, sizeof u, "\\u{%x}", (unsigned)(uint8_t)s[i + 1]);
            TGM_TRY(put(out, u, (size_t)n));
            i++;
        } else {
            TGM_TRY(tgm__buf_append_u8(out, c));
        }
    }
    return tgm__buf_append_u8(out, '"');
}

static tgm_error debug_val(const tgm_val *v, tgm_buf *out, unsigned depth) {
    char buf[48];
    size_t n;
    TGM_RETURN_IF(depth > JSON_WRITE_MAX_DEPTH, TGM_ERROR_METADATA,
                  "cannot write JSON: value nesting deeper than %d levels", JSON_WRITE_MAX_DEPTH);
    switch ((tgm_vkind)v->kind) {
    case TGM_V_NULL:
    case TGM_V_UNDEFINED: /* the reference's reader turns undefined into null */
        return put_c(out, "Null");
    case TGM_V_BOOL:
        return put_c(out, v->num.b ? "Bool(true)" : "Bool(false)");
    case TGM_V_SIMPLE:
        n = (size_t)snprintf(buf, sizeof buf, "Simple(%u)", (unsigned)v->num.u);
        return put(out, buf, n);
    case TGM_V_INT:
        TGM_TRY(put_c(out, "Integer(Integer("));
        if (v->neg) {
            buf[0] = '-';
            n = 1 + u64_dec(v->num.u, 1, buf + 1);
        } else {
            n = u64_dec(v->num.u, 0, buf);
        }
        TGM_TRY(put(out, buf, n));
        return put_c(out, "))");
    case TGM_V_FLOAT:
        TGM_TRY(put_c(out, "Float("));
        n = tgm__f64_format_rust_debug(v->num.f, buf);
        TGM_TRY(put(out, buf, n));
        return put_c(out, ")");
    case TGM_V_TEXT:
        TGM_TRY(put_c(out, "Text("));
        TGM_TRY(debug_str(v->p.str, v->len, out));
        return put_c(out, ")");
    case TGM_V_BYTES: {
        TGM_TRY(put_c(out, "Bytes(["));
        const uint8_t *b = (const uint8_t *)v->p.str;
        for (size_t i = 0; i < v->len; i++) {
            n = (size_t)snprintf(buf, sizeof buf, i ? ", %u" : "%u", (unsigned)b[i]);
            TGM_TRY(put(out, buf, n));
        }
        return put_c(out, "])");
    }
    case TGM_V_ARRAY:
        TGM_TRY(put_c(out, "Array(["));
        for (size_t i = 0; i < v->len; i++) {
            if (i > 0) {
                TGM_TRY(put_c(out, ", "));
            }
            TGM_TRY(debug_val(&v->p.items[i], out, depth + 1));
        }
        return put_c(out, "])");
    case TGM_V_MAP:
        TGM_TRY(put_c(out, "Map(["));
        for (size_t i = 0; i < v->len; i++) {
            TGM_TRY(put_c(out, i > 0 ? ", (" : "("));
            TGM_TRY(debug_val(&v->p.items[2 * i], out, depth + 1));
            TGM_TRY(put_c(out, ", "));
            TGM_TRY(debug_val(&v->p.items[2 * i + 1], out, depth + 1));
            TGM_TRY(put_c(out, ")"));
        }
        return put_c(out, "])");
    case TGM_V_TAG:
        n = (size_t)snprintf(buf, sizeof buf, "Tag(%llu, ", (unsigned long long)v->num.u);
        TGM_TRY(put(out, buf, n));
        TGM_TRY(debug_val(&v->p.items[0], out, depth + 1));
        return put_c(out, ")");
    }
    return put_c(out, "Null");
}

/* --- containers ------------------------------------------------------------------- */

typedef struct writer {
    tgm_buf *out;
    int pretty;
    int keep_order;
} writer;

static tgm_error write_val(writer *w, const tgm_val *v, unsigned depth);

static tgm_error newline_indent(writer *w, unsigned depth) {
    uint8_t *p;
    TGM_TRY(tgm__buf_extend(w->out, 1 + 2 * (size_t)depth, &p));
    p[0] = '\n';
    memset(p + 1, ' ', 2 * (size_t)depth);
    return TGM_ERROR_OK;
}

/* One object entry key: the text itself or the debug rendering. */
typedef struct jkey {
    const char *s;
    size_t len;
} jkey;

static int jkey_idx_cmp(const void *ctx, size_t a, size_t b) {
    const jkey *k = ctx;
    size_t m = k[a].len < k[b].len ? k[a].len : k[b].len;
    int c = m == 0 ? 0 : memcmp(k[a].s, k[b].s, m);
    if (c != 0) {
        return c;
    }
    return k[a].len < k[b].len ? -1 : k[a].len > k[b].len ? 1 : 0;
}

static tgm_error write_map(writer *w, const tgm_val *m, unsigned depth) {
    size_t n = m->len;
    if (n == 0) {
        return put_c(w->out, "{}");
    }
    tgm_error err = TGM_ERROR_OK;
    tgm_buf dbg = TGM_BUF_INIT; /* debug renderings of non-text keys */
    jkey *keys = tgm__malloc_array(n, sizeof *keys);
    size_t *off = tgm__malloc_array(n, sizeof *off);
    size_t *idx = tgm__malloc_array(n, 2 * sizeof *idx);
    if (keys == NULL || off == NULL || idx == NULL) {
        err = tgm__oom(n * (sizeof *keys + 3 * sizeof(size_t)), "JSON object keys");
        goto cleanup;
    }
    for (size_t i = 0; i < n; i++) {
        const tgm_val *k = &m->p.items[2 * i];
        idx[i] = i;
        if (k->kind == TGM_V_TEXT) {
            keys[i].s = k->p.str;
            keys[i].len = k->len;
            off[i] = SIZE_MAX;
        } else {
            off[i] = dbg.len;
            TGM_CHECK(debug_val(k, &dbg, depth + 1));
            keys[i].len = dbg.len - off[i];
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (off[i] != SIZE_MAX) {
            keys[i].s = (const char *)dbg.data + off[i];
        }
    }
    if (!w->keep_order) {
        tgm__stable_sort_idx(idx, idx + n, n, jkey_idx_cmp, keys);
    }

    TGM_CHECK(tgm__buf_append_u8(w->out, '{'));
    int first = 1;
    for (size_t j = 0; j < n; j++) {
        /* Sorted, equal keys are adjacent and in input order: the last one wins. */
        if (!w->keep_order && j + 1 < n && jkey_idx_cmp(keys, idx[j], idx[j + 1]) == 0) {
            continue;
        }
        size_t i = idx[j];
        if (!first) {
            TGM_CHECK(tgm__buf_append_u8(w->out, ','));
        }
        first = 0;
        if (w->pretty) {
            TGM_CHECK(newline_indent(w, depth + 1));
        }
        TGM_CHECK(write_string(keys[i].s, keys[i].len, w->out));
        TGM_CHECK(w->pretty ? put(w->out, ": ", 2) : tgm__buf_append_u8(w->out, ':'));
        TGM_CHECK(write_val(w, &m->p.items[2 * i + 1], depth + 1));
    }
    if (w->pretty) {
        TGM_CHECK(newline_indent(w, depth));
    }
    TGM_CHECK(tgm__buf_append_u8(w->out, '}'));
cleanup:
    tgm__free(keys);
    tgm__free(off);
    tgm__free(idx);
    tgm__buf_free(&dbg);
    return err;
}

static tgm_error write_array(writer *w, const tgm_val *a, unsigned depth) {
    if (a->len == 0) {
        return put_c(w->out, "[]");
    }
    TGM_TRY(tgm__buf_append_u8(w->out, '['));
    for (size_t i = 0; i < a->len; i++) {
        if (i > 0) {
            TGM_TRY(tgm__buf_append_u8(w->out, ','));
        }
        if (w->pretty) {
            TGM_TRY(newline_indent(w, depth + 1));
        }
        TGM_TRY(write_val(w, &a->p.items[i], depth + 1));
    }
    if (w->pretty) {
        TGM_TRY(newline_indent(w, depth));
    }
    return tgm__buf_append_u8(w->out, ']');
}

static tgm_error write_val(writer *w, const tgm_val *v, unsigned depth) {
    TGM_RETURN_IF(depth > JSON_WRITE_MAX_DEPTH, TGM_ERROR_METADATA,
                  "cannot write JSON: value nesting deeper than %d levels", JSON_WRITE_MAX_DEPTH);
    switch ((tgm_vkind)v->kind) {
    case TGM_V_BOOL:
        return put_c(w->out, v->num.b ? "true" : "false");
    case TGM_V_INT:
        return write_int(v, w->out);
    case TGM_V_FLOAT: {
        double f = v->num.f;
        if (f - f != 0.0) { /* NaN or infinity */
            return put_c(w->out, "null");
        }
        char buf[32];
        size_t n = tgm__json_format_f64(f, buf);
        return put(w->out, buf, n);
    }
    case TGM_V_TEXT:
        return write_string(v->p.str, v->len, w->out);
    case TGM_V_BYTES:
        return write_hex(v, w->out);
    case TGM_V_ARRAY:
        return write_array(w, v, depth);
    case TGM_V_MAP:
        return write_map(w, v, depth);
    default: /* null, undefined, simple values, tags */
        return put_c(w->out, "null");
    }
}

tgm_error tgm__json_write(const tgm_val *v, tgm_json_style style, tgm_buf *out) {
    writer w = {out, (style & TGM_JSON_PRETTY) != 0, (style & TGM_JSON_KEEP_ORDER) != 0};
    size_t start = out->len;
    tgm_error err = write_val(&w, v, 0);
    if (err != TGM_ERROR_OK) {
        out->len = start;
    }
    return err;
}
