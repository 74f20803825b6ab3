/* JSON documents for the tool: the library's tgm_json_* documents and
 * value cursors (tensogram.h), with the failures that only a shortage of
 * memory can cause ending the process, as xmalloc does.  The tool has no
 * JSON reader or writer of its own: it reads what the library prints with
 * the library's reader, reshapes values through the document API and
 * prints them with the library's writer, so numbers print exactly as the
 * library prints them everywhere. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* A call that can fail only for want of memory (or a bug of the tool). */
static void must(tgm_error e) {
    if (e != TGM_ERROR_OK) {
        const char *detail = tgm_last_error();
        fflush(stdout);
        fprintf(stderr, "error: building JSON: %s\n", detail ? detail : tgm_error_string(e));
        exit(EXIT_FAIL);
    }
}

static tgm_value_t *must_value(tgm_value_t *v) {
    if (v == NULL) {
        must(TGM_ERROR_ENCODING); /* the detail is in tgm_last_error */
    }
    return v;
}

tgm_json_t *jdoc_new(void) {
    tgm_json_t *d = NULL;
    must(tgm_json_new(&d));
    return d;
}

tgm_json_t *jdoc_parse(const char *text, size_t len, const char *what) {
    tgm_json_t *d = NULL;
    tgm_error e = tgm_json_parse(text, len, TGM_JSON_KEEP_ORDER, &d);
    if (e != TGM_ERROR_OK) {
        cli_lib_error(e, "unreadable %s from the library", what);
        return NULL;
    }
    if (tgm_value_get_type(tgm_json_root(d)) != TGM_VALUE_TYPE_MAP) {
        cli_error("unreadable %s from the library (not an object)", what);
        tgm_json_free(d);
        return NULL;
    }
    return d;
}

tgm_value_t *jroot(tgm_json_t *d) { return must_value(tgm_json_edit(d, tgm_json_root(d))); }

tgm_value_t *jedit(tgm_json_t *d, const tgm_value_t *v) { return must_value(tgm_json_edit(d, v)); }

tgm_value_t *jmember(tgm_json_t *d, tgm_value_t *map, const char *key, size_t klen) {
    return must_value(tgm_json_map_member(d, map, key, klen));
}

tgm_value_t *jmemberc(tgm_json_t *d, tgm_value_t *map, const char *key) {
    return jmember(d, map, key, strlen(key));
}

tgm_value_t *jappend(tgm_json_t *d, tgm_value_t *array) {
    return must_value(tgm_json_array_append(d, array));
}

tgm_value_t *jset_map(tgm_json_t *d, tgm_value_t *v) {
    must(tgm_json_set_map(d, v));
    return v;
}

tgm_value_t *jset_array(tgm_json_t *d, tgm_value_t *v) {
    must(tgm_json_set_array(d, v));
    return v;
}

void jset_str(tgm_json_t *d, tgm_value_t *v, const char *s) {
    must(tgm_json_set_string(d, v, s, strlen(s)));
}

void jset_u64(tgm_json_t *d, tgm_value_t *v, uint64_t u) { must(tgm_json_set_u64(d, v, u)); }

void jset_bool(tgm_json_t *d, tgm_value_t *v, bool b) { must(tgm_json_set_bool(d, v, b)); }

void jset_copy(tgm_json_t *d, tgm_value_t *v, const tgm_value_t *src) {
    if (src == NULL) {
        must(tgm_json_set_null(d, v));
    } else {
        must(tgm_json_set_copy(d, v, src));
    }
}

void jremove(tgm_json_t *d, tgm_value_t *map, const char *key) {
    must(tgm_json_map_remove(d, map, key, strlen(key), NULL));
}

const tgm_value_t *jget(const tgm_value_t *map, const char *key, size_t klen) {
    for (size_t i = 0; i < tgm_value_map_len(map); i++) {
        size_t n = 0;
        const char *k = tgm_value_map_key_at(map, i, &n);
        if (k != NULL && n == klen && memcmp(k, key, n) == 0) {
            return tgm_value_map_value_at(map, i);
        }
    }
    return NULL;
}

const tgm_value_t *jget_kind(const tgm_value_t *map, const char *key, tgm_value_type kind) {
    const tgm_value_t *v = tgm_value_map_get(map, key);
    return v != NULL && tgm_value_get_type(v) == kind ? v : NULL;
}

char *jtext(const tgm_value_t *v, uint32_t flags) {
    tgm_bytes_t b = {NULL, 0};
    must(tgm_value_to_json_ex(v, flags, &b));
    char *s = xmemdup(b.data, b.len);
    tgm_bytes_free(b);
    return s;
}

void jprint(const tgm_value_t *v, uint32_t flags) {
    char *s = jtext(v, flags);
    printf("%s\n", s);
    free(s);
}

static const tgm_value_t *sort_map; /* qsort has no context argument */

static int key_order(const void *pa, const void *pb) {
    size_t la = 0, lb = 0;
    const char *a = tgm_value_map_key_at(sort_map, *(const size_t *)pa, &la);
    const char *b = tgm_value_map_key_at(sort_map, *(const size_t *)pb, &lb);
    int c = memcmp(a ? a : "", b ? b : "", la < lb ? la : lb);
    if (c != 0) {
        return c;
    }
    return la < lb   ? -1
           : la > lb ? 1
                     : (*(const size_t *)pa > *(const size_t *)pb) -
                           (*(const size_t *)pa < *(const size_t *)pb);
}

size_t *jsorted(const tgm_value_t *map) {
    size_t n = tgm_value_map_len(map);
    size_t *idx = xcalloc(n, sizeof *idx);
    for (size_t i = 0; i < n; i++) {
        idx[i] = i;
    }
    sort_map = map;
    qsort(idx, n, sizeof *idx, key_order);
    sort_map = NULL;
    return idx;
}
