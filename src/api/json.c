/* JSON documents (tgm_json_*): the value model read from JSON text, built
 * and edited through handles, and values printed as JSON with a style.
 * The tree work is the value model's (cbor/value.c); here are the argument
 * checks and the document that owns the arena. */
#include <string.h>

#include "api/api.h"
#include "cbor/cbor.h"
#include "common/alloc.h"
#include "json/json.h"

#define V(x) ((const tgm_val *)(const void *)(x))
#define H(x) ((const tgm_value_t *)(const void *)(x))
#define MUT(x) ((tgm_val *)(void *)(x))

/* Deepest nesting a copy or a comparison walks (tgm__json_write's limit). */
#define MAX_NESTING 1024u

struct tgm_json_t {
    tgm_arena arena;
    tgm_val root;
};

tgm_error tgm_value_to_json_ex(const tgm_value_t *value, uint32_t flags, tgm_bytes_t *out) {
    tgm__clear_error();
    TGM_API_REQUIRE(value != NULL && out != NULL, "null argument");
    TGM_API_REQUIRE((flags & ~(uint32_t)(TGM_JSON_PRETTY | TGM_JSON_KEEP_ORDER)) == 0,
                    "unknown JSON output flags");
    tgm_buf b = TGM_BUF_INIT;
    tgm_error e = tgm__json_write(V(value), (tgm_json_style)flags, &b);
    if (e != TGM_ERROR_OK) {
        tgm__buf_free(&b);
        return e;
    }
    size_t n;
    out->data = tgm__buf_steal(&b, &n);
    out->len = n;
    return out->data ? TGM_ERROR_OK : tgm__oom(n, "JSON");
}

bool tgm_value_equal(const tgm_value_t *a, const tgm_value_t *b) {
    return tgm__val_same(V(a), V(b), MAX_NESTING);
}

tgm_error tgm_json_new(tgm_json_t **out) {
    tgm__clear_error();
    TGM_API_REQUIRE(out != NULL, "null argument");
    *out = tgm__calloc(1, sizeof **out); /* root: all zero, null */
    return *out != NULL ? TGM_ERROR_OK : tgm__oom(sizeof **out, "JSON document");
}

tgm_error tgm_json_parse(const char *text, size_t len, uint32_t flags, tgm_json_t **out) {
    tgm__clear_error();
    TGM_API_REQUIRE((text != NULL || len == 0) && out != NULL, "null argument");
    TGM_API_REQUIRE((flags & ~(uint32_t)TGM_JSON_KEEP_ORDER) == 0, "unknown JSON parse flags");
    tgm_json_t *doc = tgm__calloc(1, sizeof *doc);
    if (doc == NULL) {
        return tgm__oom(sizeof *doc, "JSON document");
    }
    unsigned pf = (flags & TGM_JSON_KEEP_ORDER) ? TGM_JSON_PARSE_KEEP_ORDER : 0;
    tgm_val *root = NULL;
    tgm_error e = tgm__json_parse_ex(len ? text : "", len, pf, &doc->arena, &root);
    if (e != TGM_ERROR_OK) {
        tgm_json_free(doc);
        return e;
    }
    doc->root = *root;
    *out = doc;
    return TGM_ERROR_OK;
}

const tgm_value_t *tgm_json_root(const tgm_json_t *doc) {
    return doc != NULL ? H(&doc->root) : NULL;
}

void tgm_json_free(tgm_json_t *doc) {
    if (doc != NULL) {
        tgm__arena_free(&doc->arena);
        tgm__free(doc);
    }
}

/* ---- editing ---------------------------------------------------------------------------- */

/* Whether node v lies in doc: the root, or a node of its arena. */
static bool owns(const tgm_json_t *doc, const tgm_val *v) {
    return v == &doc->root || tgm__arena_owns(&doc->arena, v, sizeof *v);
}

tgm_value_t *tgm_json_edit(tgm_json_t *doc, const tgm_value_t *v) {
    tgm__clear_error();
    if (doc == NULL || v == NULL) {
        tgm__fail_raw(TGM_ERROR_INVALID_ARG, "null argument");
        return NULL;
    }
    if (!owns(doc, V(v))) {
        tgm__fail_raw(TGM_ERROR_INVALID_ARG, "the value is not part of this JSON document");
        return NULL;
    }
    /* Its node lies in doc, which the caller may change. */
    return (tgm_value_t *)(uintptr_t)(const void *)v;
}

/* Checks shared by the setters: doc and v given, v in doc. */
static tgm_error check(tgm_json_t *doc, tgm_value_t *v) {
    tgm__clear_error();
    TGM_API_REQUIRE(doc != NULL && v != NULL, "null argument");
    TGM_API_REQUIRE(owns(doc, V(v)), "the value is not part of this JSON document");
    return TGM_ERROR_OK;
}

/* The scalar setters: check, then the value model's in-place setter. */
#define SETTER(name, type, set)                                                                    \
    tgm_error tgm_json_set_##name(tgm_json_t *doc, tgm_value_t *v, type x) {                       \
        TGM_TRY(check(doc, v));                                                                    \
        set(MUT(v), x);                                                                            \
        return TGM_ERROR_OK;                                                                       \
    }
SETTER(bool, bool, tgm__val_set_bool)
SETTER(i64, int64_t, tgm__val_set_int)
SETTER(u64, uint64_t, tgm__val_set_uint)
SETTER(f64, double, tgm__val_set_float)
#undef SETTER

/* An empty container or null at handle h. */
static tgm_error set_empty(tgm_json_t *doc, tgm_value_t *h, tgm_vkind kind) {
    TGM_TRY(check(doc, h));
    tgm__val_set_null(MUT(h));
    MUT(h)->kind = (uint8_t)kind;
    return TGM_ERROR_OK;
}

tgm_error tgm_json_set_null(tgm_json_t *doc, tgm_value_t *v) {
    return set_empty(doc, v, TGM_V_NULL);
}

static bool utf8_ok(const char *s, size_t len) {
    return len == 0 || tgm__utf8_invalid_at((const uint8_t *)s, len) == len;
}

tgm_error tgm_json_set_string(tgm_json_t *doc, tgm_value_t *v, const char *s, size_t len) {
    TGM_TRY(check(doc, v));
    TGM_API_REQUIRE(s != NULL || len == 0, "null argument");
    TGM_API_REQUIRE(utf8_ok(s, len), "string is not valid UTF-8");
    tgm_val t;
    memset(&t, 0, sizeof t);
    if (tgm__val_set_text(&doc->arena, &t, len ? s : "", len) != 0) {
        return tgm__oom(len, "JSON string");
    }
    *MUT(v) = t;
    return TGM_ERROR_OK;
}

tgm_error tgm_json_set_array(tgm_json_t *doc, tgm_value_t *v) {
    return set_empty(doc, v, TGM_V_ARRAY);
}

tgm_error tgm_json_set_map(tgm_json_t *doc, tgm_value_t *v) { return set_empty(doc, v, TGM_V_MAP); }

tgm_error tgm_json_set_copy(tgm_json_t *doc, tgm_value_t *v, const tgm_value_t *src) {
    TGM_TRY(check(doc, v));
    TGM_API_REQUIRE(src != NULL, "null argument");
    TGM_API_REQUIRE(!tgm__val_deeper_than(V(src), MAX_NESTING),
                    "the value nests deeper than 1024 levels");
    tgm_val t; /* copied whole before v changes: src may lie inside v */
    if (tgm__val_copy_into(&doc->arena, &t, V(src)) != 0) {
        return tgm__oom(0, "JSON value copy");
    }
    *MUT(v) = t;
    return TGM_ERROR_OK;
}

tgm_value_t *tgm_json_map_member(tgm_json_t *doc, tgm_value_t *map, const char *key, size_t klen) {
    if (check(doc, map) != TGM_ERROR_OK) {
        return NULL;
    }
    if (V(map)->kind != TGM_V_MAP || (key == NULL && klen > 0)) {
        tgm__fail_raw(TGM_ERROR_INVALID_ARG, key == NULL ? "null argument" : "not a map");
        return NULL;
    }
    if (!utf8_ok(key, klen)) {
        tgm__fail_raw(TGM_ERROR_INVALID_ARG, "map key is not valid UTF-8");
        return NULL;
    }
    tgm_val *m = tgm__val_map_member(&doc->arena, MUT(map), key, klen);
    if (m == NULL) {
        tgm__oom(klen, "JSON map member");
    }
    return (tgm_value_t *)(void *)m;
}

tgm_error tgm_json_map_remove(tgm_json_t *doc, tgm_value_t *map, const char *key, size_t klen,
                              size_t *removed) {
    TGM_TRY(check(doc, map));
    TGM_API_REQUIRE(key != NULL || klen == 0, "null argument");
    TGM_API_REQUIRE(V(map)->kind == TGM_V_MAP, "not a map");
    size_t n = tgm__val_map_remove(MUT(map), key, klen);
    if (removed != NULL) {
        *removed = n;
    }
    return TGM_ERROR_OK;
}

tgm_value_t *tgm_json_array_append(tgm_json_t *doc, tgm_value_t *array) {
    if (check(doc, array) != TGM_ERROR_OK) {
        return NULL;
    }
    if (V(array)->kind != TGM_V_ARRAY) {
        tgm__fail_raw(TGM_ERROR_INVALID_ARG, "not an array");
        return NULL;
    }
    tgm_val *e = tgm__val_array_append(&doc->arena, MUT(array));
    if (e == NULL) {
        tgm__oom(sizeof *e, "JSON array element");
    }
    return (tgm_value_t *)(void *)e;
}
