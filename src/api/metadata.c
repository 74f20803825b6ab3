/* Metadata handles: typed getters, value cursors and JSON export. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "common/alloc.h"
#include "common/checked.h"
#include "json/json.h"

tgm_error tgm__api_metadata_new(const tgm_global_meta *src, tgm_metadata_t **out) {
    tgm_metadata_t *md = tgm__calloc(1, sizeof *md);
    if (md == NULL) {
        return tgm__oom(sizeof *md, "metadata");
    }
    md->meta.nbase = src->nbase;
    md->meta.reserved = tgm__val_clone(&md->arena, src->reserved);
    md->meta.extra = tgm__val_clone(&md->arena, src->extra);
    bool ok = md->meta.reserved != NULL && md->meta.extra != NULL;
    if (ok && src->nbase > 0) {
        md->meta.base = tgm__arena_calloc(&md->arena, src->nbase, sizeof(tgm_val));
        ok = md->meta.base != NULL;
        for (size_t i = 0; ok && i < src->nbase; i++) {
            ok = tgm__val_copy_into(&md->arena, &md->meta.base[i], &src->base[i]) == 0;
        }
    }
    if (!ok) {
        tgm_metadata_free(md);
        return tgm__oom(64, "metadata copy");
    }
    *out = md;
    return TGM_ERROR_OK;
}

struct tgm_lazy_meta {
    tgm_arena arena;
    tgm_global_meta meta;
};

static void lazy_meta_free(tgm_lazy_meta *l) {
    if (l != NULL) {
        tgm__arena_free(&l->arena);
        tgm__free(l);
    }
}

tgm_error tgm__api_metadata_new_bytes(const tgm_meta_bytes *src, tgm_metadata_t **out) {
    size_t size;
    if (tgm__add_size(sizeof(tgm_metadata_t), src->len, &size)) {
        return tgm__oom(src->len, "metadata");
    }
    tgm_metadata_t *md = tgm__malloc(size); /* calloc would skip malloc's per-thread cache */
    if (md == NULL) {
        return tgm__oom(size, "metadata");
    }
    memset(md, 0, sizeof *md);
    uint8_t *copy = (uint8_t *)(md + 1);
    memcpy(copy, src->cbor, src->len);
    md->bytes = *src;
    md->bytes.cbor = copy;
    atomic_init(&md->built, NULL);
    atomic_init(&md->cache, NULL);
    *out = md;
    return TGM_ERROR_OK;
}

void tgm_metadata_free(tgm_metadata_t *meta) {
    if (meta == NULL) {
        return;
    }
    lazy_meta_free(atomic_load_explicit(&meta->built, memory_order_acquire));
    tgm_str_cache *c = atomic_load_explicit(&meta->cache, memory_order_acquire);
    while (c != NULL) {
        tgm_str_cache *next = c->next;
        tgm__free(c);
        c = next;
    }
    tgm__arena_free(&meta->arena);
    tgm__free(meta);
}

uint64_t tgm_metadata_version(const tgm_metadata_t *meta) { return meta ? TGM_WIRE_VERSION : 0; }

size_t tgm_metadata_num_objects(const tgm_metadata_t *meta) {
    if (meta == NULL) {
        return 0;
    }
    return meta->bytes.cbor != NULL ? meta->bytes.nbase : meta->meta.nbase;
}

/* Accessors take const handles (as the reference API does) but keep caches
 * of the strings they hand out inside the handle. */
static tgm_metadata_t *mutable_meta(const tgm_metadata_t *m) {
    union {
        const tgm_metadata_t *c;
        tgm_metadata_t *m;
    } u;
    u.c = m;
    return u.m;
}

/* The handle's sections, built from its bytes on first use (NULL only on
 * out-of-memory: the bytes were checked when the handle was made). */
static const tgm_global_meta *sections(const tgm_metadata_t *meta) {
    if (meta->bytes.cbor == NULL) {
        return &meta->meta;
    }
    tgm_metadata_t *m = mutable_meta(meta);
    tgm_lazy_meta *l = atomic_load_explicit(&m->built, memory_order_acquire);
    if (l != NULL) {
        return &l->meta;
    }
    l = tgm__calloc(1, sizeof *l);
    if (l == NULL) {
        return NULL;
    }
    if (tgm__gmeta_from_bytes(&l->arena, &m->bytes, &l->meta) != TGM_ERROR_OK) {
        lazy_meta_free(l);
        return NULL;
    }
    tgm_lazy_meta *expected = NULL;
    if (!atomic_compare_exchange_strong_explicit(&m->built, &expected, l, memory_order_acq_rel,
                                                 memory_order_acquire)) {
        lazy_meta_free(l); /* another thread published first */
        l = expected;
    }
    return &l->meta;
}

static const tgm_val *lookup(const tgm_metadata_t *meta, const char *path) {
    const tgm_global_meta *g = sections(meta);
    return g != NULL ? tgm__meta_lookup(g, path) : NULL;
}

static const tgm_val *lookup_at(const tgm_metadata_t *meta, size_t i, const char *path) {
    const tgm_global_meta *g = sections(meta);
    return g != NULL ? tgm__meta_lookup_at(g, i, path) : NULL;
}

/* The scalar getters' lookup (obj SIZE_MAX: message level): while the
 * sections are not built, one path read straight from the kept bytes
 * (into *tmp), which builds nothing; else, or when that reader declines,
 * the sections. */
static const tgm_val *scalar_lookup(const tgm_metadata_t *meta, size_t obj, const char *path,
                                    tgm_val *tmp) {
    if (meta->bytes.cbor != NULL &&
        atomic_load_explicit(&mutable_meta(meta)->built, memory_order_acquire) == NULL) {
        int r = tgm__gmeta_get_fast(&meta->bytes, obj, path, tmp);
        if (r >= 0) {
            return r > 0 ? tmp : NULL;
        }
    }
    return obj == SIZE_MAX ? lookup(meta, path) : lookup_at(meta, obj, path);
}

/* ---- string coercion (the reference's Display forms) ------------------------ */

/* The string a getter handed out before for (obj, key), if any. */
static const char *cache_find(const tgm_metadata_t *meta, size_t obj, const char *key) {
    tgm_str_cache *c = atomic_load_explicit(&mutable_meta(meta)->cache, memory_order_acquire);
    for (; c != NULL; c = c->next) {
        if (c->obj == obj && strcmp(c->key, key) == 0) {
            return c->value;
        }
    }
    return NULL;
}

/* v's string form, kept in the handle until it is freed (two threads
 * asking at once may each keep a copy: both stay valid). */
static const char *cached(tgm_metadata_t *m, size_t obj, const char *key, const tgm_val *v) {
    char tmp[400];
    const char *s = NULL;
    size_t n = 0;
    switch (v->kind) {
    case TGM_V_TEXT:
        if (memchr(v->p.str, '\0', v->len) != NULL) {
            return NULL; /* not representable as a C string */
        }
        s = v->p.str;
        n = v->len;
        break;
    case TGM_V_INT:
        if (v->neg) {
            if (v->num.u == UINT64_MAX) {
                snprintf(tmp, sizeof tmp, "-18446744073709551616");
            } else {
                snprintf(tmp, sizeof tmp, "-%llu", (unsigned long long)v->num.u + 1ull);
            }
        } else {
            snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v->num.u);
        }
        s = tmp;
        n = strlen(tmp);
        break;
    case TGM_V_FLOAT:
        tgm__json_format_f64_plain(v->num.f, tmp, sizeof tmp);
        s = tmp;
        n = strlen(tmp);
        break;
    case TGM_V_BOOL:
        s = v->num.b ? "true" : "false";
        n = strlen(s);
        break;
    default:
        return NULL;
    }
    size_t kn = strlen(key), size;
    if (tgm__add_size(sizeof(tgm_str_cache), kn, &size) || tgm__add_size(size, n, &size) ||
        tgm__add_size(size, 2, &size)) {
        return NULL;
    }
    tgm_str_cache *c = tgm__malloc(size);
    if (c == NULL) {
        return NULL;
    }
    char *kcopy = (char *)(c + 1);
    char *vcopy = kcopy + kn + 1;
    memcpy(kcopy, key, kn + 1);
    memcpy(vcopy, s, n);
    vcopy[n] = '\0';
    c->obj = obj;
    c->key = kcopy;
    c->value = vcopy;
    tgm_str_cache *head = atomic_load_explicit(&m->cache, memory_order_relaxed);
    do {
        c->next = head;
    } while (!atomic_compare_exchange_weak_explicit(&m->cache, &head, c, memory_order_release,
                                                    memory_order_relaxed));
    return vcopy;
}

const char *tgm_metadata_get_string(const tgm_metadata_t *meta, const char *key) {
    if (meta == NULL || key == NULL || key[0] == '\0') {
        return NULL;
    }
    if (strcmp(key, "version") == 0) {
        return "3";
    }
    const char *s = cache_find(meta, SIZE_MAX, key);
    if (s != NULL) {
        return s;
    }
    tgm_val tmp;
    const tgm_val *v = scalar_lookup(meta, SIZE_MAX, key, &tmp);
    return v ? cached(mutable_meta(meta), SIZE_MAX, key, v) : NULL;
}

int64_t tgm_metadata_get_int(const tgm_metadata_t *meta, const char *key, int64_t default_val) {
    if (meta == NULL || key == NULL) {
        return default_val;
    }
    if (strcmp(key, "version") == 0) {
        return TGM_WIRE_VERSION;
    }
    tgm_val tmp;
    const tgm_val *v = scalar_lookup(meta, SIZE_MAX, key, &tmp);
    int64_t r;
    return (v && v->kind == TGM_V_INT && tgm__val_to_i64(v, &r)) ? r : default_val;
}

double tgm_metadata_get_float(const tgm_metadata_t *meta, const char *key, double default_val) {
    if (meta == NULL || key == NULL) {
        return default_val;
    }
    tgm_val tmp;
    const tgm_val *v = scalar_lookup(meta, SIZE_MAX, key, &tmp);
    double r;
    return (v && tgm__val_to_f64(v, &r)) ? r : default_val;
}

const char *tgm_metadata_get_string_at(const tgm_metadata_t *meta, size_t obj_index,
                                       const char *key) {
    if (meta == NULL || key == NULL || obj_index >= tgm_metadata_num_objects(meta)) {
        return NULL;
    }
    const char *s = cache_find(meta, obj_index, key);
    if (s != NULL) {
        return s;
    }
    tgm_val tmp;
    const tgm_val *v = scalar_lookup(meta, obj_index, key, &tmp);
    return v ? cached(mutable_meta(meta), obj_index, key, v) : NULL;
}

int64_t tgm_metadata_get_int_at(const tgm_metadata_t *meta, size_t obj_index, const char *key,
                                int64_t default_val) {
    if (meta == NULL || key == NULL || obj_index >= tgm_metadata_num_objects(meta)) {
        return default_val;
    }
    tgm_val tmp;
    const tgm_val *v = scalar_lookup(meta, obj_index, key, &tmp);
    int64_t r;
    return (v && v->kind == TGM_V_INT && tgm__val_to_i64(v, &r)) ? r : default_val;
}

double tgm_metadata_get_float_at(const tgm_metadata_t *meta, size_t obj_index, const char *key,
                                 double default_val) {
    if (meta == NULL || key == NULL || obj_index >= tgm_metadata_num_objects(meta)) {
        return default_val;
    }
    tgm_val tmp;
    const tgm_val *v = scalar_lookup(meta, obj_index, key, &tmp);
    double r;
    return (v && tgm__val_to_f64(v, &r)) ? r : default_val;
}

/* ---- JSON export ------------------------------------------------------------- */

static const char *to_json(tgm_metadata_t *m, const tgm_val *v) {
    tgm_buf b = TGM_BUF_INIT;
    const char *res = NULL;
    if (tgm__json_write(v, TGM_JSON_COMPACT, &b) == TGM_ERROR_OK) {
        res = tgm__arena_strndup(&m->arena, (const char *)b.data, b.len);
    }
    tgm__buf_free(&b);
    return res;
}

const char *tgm_metadata_object_to_json(const tgm_metadata_t *meta, size_t obj_index) {
    if (meta == NULL || obj_index >= tgm_metadata_num_objects(meta)) {
        return NULL;
    }
    tgm_metadata_t *m = mutable_meta(meta);
    const tgm_global_meta *g = sections(meta);
    if (g == NULL) {
        return NULL;
    }
    if (m->obj_json == NULL) {
        m->obj_json = tgm__arena_calloc(&m->arena, g->nbase, sizeof(char *));
        if (m->obj_json == NULL) {
            return NULL;
        }
    }
    if (m->obj_json[obj_index] == NULL) {
        m->obj_json[obj_index] = to_json(m, &g->base[obj_index]);
    }
    return m->obj_json[obj_index];
}

const char *tgm_metadata_to_json(const tgm_metadata_t *meta) {
    if (meta == NULL) {
        return NULL;
    }
    tgm_metadata_t *m = mutable_meta(meta);
    if (m->json == NULL) {
        tgm_val *root;
        const tgm_global_meta *g = sections(meta);
        if (g == NULL || tgm__gmeta_to_val(&m->arena, g, &root) != TGM_ERROR_OK) {
            return NULL;
        }
        m->json = to_json(m, root);
    }
    return m->json;
}

/* ---- value cursors -------------------------------------------------------------- */

#define V(x) ((const tgm_val *)(const void *)(x))
#define H(x) ((const tgm_value_t *)(const void *)(x))

const tgm_value_t *tgm_metadata_get(const tgm_metadata_t *meta, const char *path) {
    if (meta == NULL || path == NULL) {
        return NULL;
    }
    return H(lookup(meta, path));
}

const tgm_value_t *tgm_metadata_get_at(const tgm_metadata_t *meta, size_t obj_index,
                                       const char *path) {
    if (meta == NULL || path == NULL) {
        return NULL;
    }
    return H(lookup_at(meta, obj_index, path));
}

bool tgm_metadata_has(const tgm_metadata_t *meta, const char *path) {
    return tgm_metadata_get(meta, path) != NULL;
}

bool tgm_metadata_has_at(const tgm_metadata_t *meta, size_t obj_index, const char *path) {
    return tgm_metadata_get_at(meta, obj_index, path) != NULL;
}

const tgm_value_t *tgm_metadata_object(const tgm_metadata_t *meta, size_t obj_index) {
    if (meta == NULL || obj_index >= tgm_metadata_num_objects(meta)) {
        return NULL;
    }
    const tgm_global_meta *g = sections(meta);
    return g != NULL ? H(&g->base[obj_index]) : NULL;
}

const tgm_value_t *tgm_metadata_extra(const tgm_metadata_t *meta) {
    const tgm_global_meta *g = meta != NULL ? sections(meta) : NULL;
    return g != NULL ? H(g->extra) : NULL;
}

const tgm_value_t *tgm_metadata_reserved(const tgm_metadata_t *meta) {
    const tgm_global_meta *g = meta != NULL ? sections(meta) : NULL;
    return g != NULL ? H(g->reserved) : NULL;
}

tgm_value_type tgm_value_get_type(const tgm_value_t *h) {
    const tgm_val *v = V(h);
    if (v == NULL) {
        return TGM_VALUE_TYPE_NULL;
    }
    switch (v->kind) {
    case TGM_V_BOOL:
        return TGM_VALUE_TYPE_BOOL;
    case TGM_V_INT:
        return TGM_VALUE_TYPE_INT;
    case TGM_V_FLOAT:
        return TGM_VALUE_TYPE_FLOAT;
    case TGM_V_TEXT:
        return TGM_VALUE_TYPE_STRING;
    case TGM_V_BYTES:
        return TGM_VALUE_TYPE_BYTES;
    case TGM_V_ARRAY:
        return TGM_VALUE_TYPE_ARRAY;
    case TGM_V_MAP:
        return TGM_VALUE_TYPE_MAP;
    default:
        return TGM_VALUE_TYPE_NULL;
    }
}

bool tgm_value_as_bool(const tgm_value_t *h, bool *out) {
    const tgm_val *v = V(h);
    if (v == NULL || out == NULL || v->kind != TGM_V_BOOL) {
        return false;
    }
    *out = v->num.b;
    return true;
}

bool tgm_value_as_i64(const tgm_value_t *h, int64_t *out) {
    const tgm_val *v = V(h);
    int64_t r;
    if (v == NULL || out == NULL || v->kind != TGM_V_INT || !tgm__val_to_i64(v, &r)) {
        return false;
    }
    *out = r;
    return true;
}

bool tgm_value_as_u64(const tgm_value_t *h, uint64_t *out) {
    const tgm_val *v = V(h);
    uint64_t r;
    if (v == NULL || out == NULL || v->kind != TGM_V_INT || !tgm__val_to_u64(v, &r)) {
        return false;
    }
    *out = r;
    return true;
}

bool tgm_value_as_f64(const tgm_value_t *h, double *out) {
    const tgm_val *v = V(h);
    double r;
    if (v == NULL || out == NULL || !tgm__val_to_f64(v, &r)) {
        return false;
    }
    *out = r;
    return true;
}

const char *tgm_value_as_string(const tgm_value_t *h, size_t *len_out) {
    const tgm_val *v = V(h);
    if (v == NULL || len_out == NULL || v->kind != TGM_V_TEXT) {
        return NULL;
    }
    *len_out = v->len;
    return v->p.str;
}

const uint8_t *tgm_value_as_bytes(const tgm_value_t *h, size_t *len_out) {
    const tgm_val *v = V(h);
    if (v == NULL || len_out == NULL || v->kind != TGM_V_BYTES) {
        return NULL;
    }
    *len_out = v->len;
    return v->p.str ? (const uint8_t *)v->p.str : (const uint8_t *)"";
}

size_t tgm_value_array_len(const tgm_value_t *h) {
    const tgm_val *v = V(h);
    return (v && v->kind == TGM_V_ARRAY) ? v->len : 0;
}

const tgm_value_t *tgm_value_array_get(const tgm_value_t *h, size_t index) {
    const tgm_val *v = V(h);
    return (v && v->kind == TGM_V_ARRAY && index < v->len) ? H(&v->p.items[index]) : NULL;
}

size_t tgm_value_map_len(const tgm_value_t *h) {
    const tgm_val *v = V(h);
    return (v && v->kind == TGM_V_MAP) ? v->len : 0;
}

const char *tgm_value_map_key_at(const tgm_value_t *h, size_t index, size_t *len_out) {
    const tgm_val *v = V(h);
    if (v == NULL || len_out == NULL || v->kind != TGM_V_MAP || index >= v->len) {
        return NULL;
    }
    const tgm_val *k = tgm__val_map_key(v, index);
    if (k->kind != TGM_V_TEXT) {
        return NULL;
    }
    *len_out = k->len;
    return k->p.str;
}

const tgm_value_t *tgm_value_map_value_at(const tgm_value_t *h, size_t index) {
    const tgm_val *v = V(h);
    if (v == NULL || v->kind != TGM_V_MAP || index >= v->len) {
        return NULL;
    }
    return H(tgm__val_map_value(v, index));
}

const tgm_value_t *tgm_value_map_get(const tgm_value_t *h, const char *key) {
    const tgm_val *v = V(h);
    if (v == NULL || key == NULL || v->kind != TGM_V_MAP) {
        return NULL;
    }
    size_t n = strlen(key);
    for (size_t i = 0; i < v->len; i++) { /* first match, as the reference */
        const tgm_val *k = tgm__val_map_key(v, i);
        if (k->kind == TGM_V_TEXT && k->len == n && memcmp(k->p.str, key, n) == 0) {
            return H(tgm__val_map_value(v, i));
        }
    }
    return NULL;
}

tgm_error tgm_value_to_json(const tgm_value_t *value, tgm_bytes_t *out) {
    return tgm_value_to_json_ex(value, 0, out);
}
