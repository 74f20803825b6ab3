/* Metadata helpers: where clauses, key lookup for display, JSON views. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* ---- where clauses (reference: tensogram-cli/src/filter.rs) ------------------------- */

bool where_parse(const char *text, where_clause *w) {
    memset(w, 0, sizeof *w);
    const char *op = strstr(text, "!=");
    size_t oplen = 2;
    if (op == NULL) {
        op = strchr(text, '=');
        oplen = 1;
    } else {
        /* "a=b!=c": the reference looks for "!=" first, wherever it is. */
        w->negate = true;
    }
    if (op == NULL) {
        cli_error("invalid where clause '%s': expected key=value or key!=value", text);
        return false;
    }
    if (op == text) {
        cli_error("invalid where clause '%s': the key before '%s' is empty", text,
                  w->negate ? "!=" : "=");
        return false;
    }
    w->key = xmemdup(text, (size_t)(op - text));
    const char *rest = op + oplen;
    /* Values separated by '/', empty ones included (as Rust's split). */
    for (;;) {
        const char *slash = strchr(rest, '/');
        size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
        w->values = xrealloc(w->values, (w->nvalues + 1) * sizeof *w->values);
        w->values[w->nvalues++] = xmemdup(rest, n);
        if (slash == NULL) {
            break;
        }
        rest = slash + 1;
    }
    return true;
}

void where_free(where_clause *w) {
    free(w->key);
    free_strv(w->values, w->nvalues);
    memset(w, 0, sizeof *w);
}

bool where_matches(const tgm_metadata_t *meta, const where_clause *w) {
    char *actual = meta_lookup_display(meta, w->key);
    if (actual == NULL) {
        return w->negate; /* a missing key fails '=' and passes '!=' */
    }
    bool any = false;
    for (size_t i = 0; i < w->nvalues; i++) {
        any = any || strcmp(w->values[i], actual) == 0;
    }
    free(actual);
    return w->negate ? !any : any;
}

/* ---- keys ------------------------------------------------------------------------------- */

static bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

char **split_keys(const char *text, size_t *n) {
    char **v = NULL;
    *n = 0;
    for (;;) {
        const char *comma = strchr(text, ',');
        const char *end = comma ? comma : text + strlen(text);
        const char *s = text;
        while (s < end && is_blank(*s)) {
            s++;
        }
        const char *e = end;
        while (e > s && is_blank(e[-1])) {
            e--;
        }
        v = xrealloc(v, (*n + 1) * sizeof *v);
        v[(*n)++] = xmemdup(s, (size_t)(e - s));
        if (comma == NULL) {
            return v;
        }
        text = comma + 1;
    }
}

void free_strv(char **v, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(v[i]);
    }
    free(v);
}

/* ---- values ----------------------------------------------------------------------------- */

char *meta_lookup_display(const tgm_metadata_t *meta, const char *key) {
    if (strcmp(key, "version") == 0) {
        /* A pseudo-key: the wire version lives in the preamble. */
        return xasprintf("%d", TGM_WIRE_VERSION);
    }
    const tgm_value_t *v = tgm_metadata_get(meta, key);
    if (v == NULL) {
        return NULL;
    }
    switch (tgm_value_get_type(v)) {
    case TGM_VALUE_TYPE_STRING: {
        size_t n = 0;
        const char *s = tgm_value_as_string(v, &n);
        return xmemdup(s, n);
    }
    case TGM_VALUE_TYPE_INT:
    case TGM_VALUE_TYPE_FLOAT: {
        /* The library's string forms: the whole CBOR integer range, and
         * floats as the reference's Display prints them ("1", "0.1",
         * "NaN", "inf"). */
        const char *s = tgm_metadata_get_string(meta, key);
        return xstrdup(s ? s : "null");
    }
    case TGM_VALUE_TYPE_BOOL: {
        bool b = false;
        tgm_value_as_bool(v, &b);
        return xstrdup(b ? "true" : "false");
    }
    case TGM_VALUE_TYPE_NULL:
        return xstrdup("null");
    case TGM_VALUE_TYPE_BYTES: {
        /* Lowercase hex: the JSON string without its quotes. */
        char *s = jtext(v, 0);
        size_t n = strlen(s);
        memmove(s, s + 1, n - 2);
        s[n - 2] = '\0';
        return s;
    }
    default:
        /* Arrays and maps print as compact JSON (the reference prints
         * Rust's debug form of the CBOR value here; see docs/cli.md). */
        return jtext(v, 0);
    }
}

/* ---- what the JSON metadata interface cannot carry ----------------------------------------- */

static const char *unsafe_value(const tgm_value_t *v, sbuf *path) {
    switch (tgm_value_get_type(v)) {
    case TGM_VALUE_TYPE_BYTES:
        return "a byte string";
    case TGM_VALUE_TYPE_FLOAT: {
        double d = 0;
        tgm_value_as_f64(v, &d);
        return isfinite(d) ? NULL : "a non-finite float";
    }
    case TGM_VALUE_TYPE_INT: {
        int64_t i;
        uint64_t u;
        return (tgm_value_as_i64(v, &i) || tgm_value_as_u64(v, &u))
                   ? NULL
                   : "an integer below -9223372036854775808";
    }
    case TGM_VALUE_TYPE_ARRAY:
        for (size_t i = 0; i < tgm_value_array_len(v); i++) {
            size_t mark = path->n;
            sb_printf(path, "[%zu]", i);
            const char *why = unsafe_value(tgm_value_array_get(v, i), path);
            if (why != NULL) {
                return why;
            }
            path->n = mark;
            path->p[mark] = '\0';
        }
        return NULL;
    case TGM_VALUE_TYPE_MAP:
        for (size_t i = 0; i < tgm_value_map_len(v); i++) {
            size_t klen = 0;
            const char *k = tgm_value_map_key_at(v, i, &klen);
            if (k == NULL) {
                return "a map with a non-text key";
            }
            size_t mark = path->n;
            sb_putc(path, '.');
            sb_putn(path, k, klen);
            const char *why = unsafe_value(tgm_value_map_value_at(v, i), path);
            if (why != NULL) {
                return why;
            }
            path->n = mark;
            path->p[mark] = '\0';
        }
        return NULL;
    default:
        return NULL;
    }
}

bool meta_json_safe(const tgm_metadata_t *meta, const char *where) {
    sbuf path = {0};
    const char *why = NULL;
    for (size_t i = 0; why == NULL && i < tgm_metadata_num_objects(meta); i++) {
        const tgm_value_t *entry = tgm_metadata_object(meta, i);
        for (size_t k = 0; why == NULL && k < tgm_value_map_len(entry); k++) {
            size_t klen = 0;
            const char *key = tgm_value_map_key_at(entry, k, &klen);
            if (key != NULL && klen == 10 && memcmp(key, "_reserved_", 10) == 0) {
                continue; /* regenerated by the encoder */
            }
            path.n = 0;
            sb_printf(&path, "base[%zu]", i);
            if (key == NULL) {
                why = "a map with a non-text key";
                break;
            }
            sb_putc(&path, '.');
            sb_putn(&path, key, klen);
            why = unsafe_value(tgm_value_map_value_at(entry, k), &path);
        }
    }
    if (why == NULL) {
        path.n = 0;
        sb_puts(&path, "_extra_");
        why = unsafe_value(tgm_metadata_extra(meta), &path);
    }
    if (why != NULL) {
        cli_error("%s: metadata key '%s' holds %s, which this tool cannot carry into a rewritten "
                  "message",
                  where, path.p, why);
    }
    sb_free(&path);
    return why == NULL;
}
