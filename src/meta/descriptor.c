/* Data-object descriptors (WIRE_FORMAT §6.5, docs format/cbor-metadata). */
#include <stdio.h>
#include <string.h>

#include "common/checked.h"
#include "common/endian.h"
#include "common/error.h"
#include "meta/meta.h"

static const char *const fixed_keys[] = {"type",        "ndim",       "shape",    "strides",
                                         "dtype",       "byte_order", "encoding", "filter",
                                         "compression", "masks"};
#define NFIXED (sizeof fixed_keys / sizeof fixed_keys[0])

/* Indices into fixed_keys. */
enum {
    F_TYPE,
    F_NDIM,
    F_SHAPE,
    F_STRIDES,
    F_DTYPE,
    F_BYTE_ORDER,
    F_ENCODING,
    F_FILTER,
    F_COMPRESSION,
    F_MASKS
};

/* The index in fixed_keys of key k, or -1 (by length first: one compare
 * or two per key instead of a scan of the table). */
static int fixed_index(const tgm_val *k) {
    if (k->kind != TGM_V_TEXT) {
        return -1;
    }
    const char *s = k->p.str;
    switch (k->len) {
    case 4:
        return memcmp(s, "type", 4) == 0 ? F_TYPE : memcmp(s, "ndim", 4) == 0 ? F_NDIM : -1;
    case 5:
        return memcmp(s, "shape", 5) == 0   ? F_SHAPE
               : memcmp(s, "dtype", 5) == 0 ? F_DTYPE
               : memcmp(s, "masks", 5) == 0 ? F_MASKS
                                            : -1;
    case 6:
        return memcmp(s, "filter", 6) == 0 ? F_FILTER : -1;
    case 7:
        return memcmp(s, "strides", 7) == 0 ? F_STRIDES : -1;
    case 8:
        return memcmp(s, "encoding", 8) == 0 ? F_ENCODING : -1;
    case 10:
        return memcmp(s, "byte_order", 10) == 0 ? F_BYTE_ORDER : -1;
    case 11:
        return memcmp(s, "compression", 11) == 0 ? F_COMPRESSION : -1;
    default:
        return -1;
    }
}

static bool is_fixed_key(const tgm_val *k) { return fixed_index(k) >= 0; }

/* First entry whose key is the text `key` (descriptor maps are read in wire
 * order; a later duplicate does not override an earlier field). */
static const tgm_val *field(const tgm_val *map, const char *key) {
    size_t klen = strlen(key);
    for (size_t i = 0; i < map->len; i++) {
        const tgm_val *k = tgm__val_map_key(map, i);
        if (k->kind == TGM_V_TEXT && k->len == klen && memcmp(k->p.str, key, klen) == 0) {
            return tgm__val_map_value(map, i);
        }
    }
    return NULL;
}

static tgm_error type_error(const char *where, const char *key, const tgm_val *v,
                            const char *expected) {
    return tgm__fail(TGM_ERROR_METADATA, "%s: invalid type for `%s`: %s, expected %s", where, key,
                     tgm__val_kind_name(v), expected);
}

/* The text value v of field `key` (NULL: missing). */
static tgm_error text_of(const tgm_val *v, const char *where, const char *key, const char **out) {
    TGM_RETURN_IF(v == NULL, TGM_ERROR_METADATA, "%s: missing field `%s`", where, key);
    if (v->kind != TGM_V_TEXT) {
        return type_error(where, key, v, "a string");
    }
    *out = v->p.str;
    return TGM_ERROR_OK;
}

static tgm_error get_text(const tgm_val *map, const char *where, const char *key,
                          const char **out) {
    return text_of(field(map, key), where, key, out);
}

static tgm_error get_u64(const tgm_val *v, const char *where, const char *key, uint64_t *out) {
    if (v->kind != TGM_V_INT) {
        return type_error(where, key, v, "u64");
    }
    TGM_RETURN_IF(v->neg, TGM_ERROR_METADATA,
                  "%s: invalid value for `%s`: negative integer, expected u64", where, key);
    *out = v->num.u;
    return TGM_ERROR_OK;
}

/* The u64 array v of field `key` (NULL: missing). */
static tgm_error u64_array_of(tgm_arena *a, const tgm_val *v, const char *where, const char *key,
                              const uint64_t **out, size_t *n) {
    TGM_RETURN_IF(v == NULL, TGM_ERROR_METADATA, "%s: missing field `%s`", where, key);
    if (v->kind != TGM_V_ARRAY) {
        return type_error(where, key, v, "an array of u64");
    }
    uint64_t *arr = tgm__arena_calloc(a, v->len ? v->len : 1, sizeof(uint64_t));
    if (arr == NULL) {
        return tgm__oom(v->len * sizeof(uint64_t), key);
    }
    for (size_t i = 0; i < v->len; i++) {
        TGM_TRY(get_u64(&v->p.items[i], where, key, &arr[i]));
    }
    *out = arr;
    *n = v->len;
    return TGM_ERROR_OK;
}

static tgm_error parse_mask(const tgm_val *m, const char *where, const char *kind,
                            tgm_mask_desc *out) {
    char ctx[160];
    snprintf(ctx, sizeof ctx, "%s: masks.%s", where, kind);
    if (m->kind != TGM_V_MAP) {
        return type_error(ctx, kind, m, "a map");
    }
    TGM_TRY(get_text(m, ctx, "method", &out->method));
    const tgm_val *v = field(m, "offset");
    TGM_RETURN_IF(v == NULL, TGM_ERROR_METADATA, "%s: missing field `offset`", ctx);
    TGM_TRY(get_u64(v, ctx, "offset", &out->offset));
    v = field(m, "length");
    TGM_RETURN_IF(v == NULL, TGM_ERROR_METADATA, "%s: missing field `length`", ctx);
    TGM_TRY(get_u64(v, ctx, "length", &out->length));
    v = field(m, "params");
    if (v != NULL) {
        if (v->kind != TGM_V_MAP) {
            return type_error(ctx, "params", v, "a map");
        }
        for (size_t i = 0; i < v->len; i++) {
            TGM_RETURN_IF(tgm__val_map_key(v, i)->kind != TGM_V_TEXT, TGM_ERROR_METADATA,
                          "%s: params keys must be strings", ctx);
        }
        out->params = v;
    }
    out->present = true;
    return TGM_ERROR_OK;
}

void tgm__desc_count_elements(tgm_descriptor *d) {
    uint64_t prod = 1;
    d->num_elements_overflow = false;
    for (size_t i = 0; i < d->nshape; i++) {
        if (tgm__mul_u64(prod, d->shape[i], &prod)) {
            d->num_elements_overflow = true;
            break;
        }
    }
    d->num_elements = d->num_elements_overflow ? 0 : prod;
}

tgm_error tgm__desc_from_val(tgm_arena *a, const tgm_val *map, const char *where,
                             tgm_descriptor *out) {
    tgm_descriptor d;
    memset(&d, 0, sizeof d);
    if (map == NULL || map->kind != TGM_V_MAP) {
        return tgm__fail(TGM_ERROR_METADATA, "%s: expected a map, got %s", where,
                         map ? tgm__val_kind_name(map) : "nothing");
    }
    d.map = map;
    /* One pass: every key a text, and the first entry of each fixed key
     * (as field() would find it). */
    const tgm_val *fx[NFIXED] = {NULL};
    for (size_t i = 0; i < map->len; i++) {
        const tgm_val *k = tgm__val_map_key(map, i);
        TGM_RETURN_IF(k->kind != TGM_V_TEXT, TGM_ERROR_METADATA,
                      "%s: descriptor keys must be strings, found a %s key", where,
                      tgm__cbor_kind(k));
        int f = fixed_index(k);
        if (f >= 0 && fx[f] == NULL) {
            fx[f] = tgm__val_map_value(map, i);
        }
    }
    TGM_TRY(text_of(fx[F_TYPE], where, "type", &d.obj_type));
    const tgm_val *v = fx[F_NDIM];
    TGM_RETURN_IF(v == NULL, TGM_ERROR_METADATA, "%s: missing field `ndim`", where);
    TGM_TRY(get_u64(v, where, "ndim", &d.ndim));
    TGM_TRY(u64_array_of(a, fx[F_SHAPE], where, "shape", &d.shape, &d.nshape));
    TGM_TRY(u64_array_of(a, fx[F_STRIDES], where, "strides", &d.strides, &d.nstrides));

    const char *dt = NULL;
    TGM_TRY(text_of(fx[F_DTYPE], where, "dtype", &dt));
    int dti = tgm__dtype_parse(dt, strlen(dt));
    TGM_RETURN_IF(dti < 0, TGM_ERROR_METADATA, "%s: unknown variant `%s`, expected one of %s",
                  where, dt, tgm__dtype_all_names());
    d.dtype = (tgm_dtype)dti;

    v = fx[F_BYTE_ORDER];
    if (v == NULL) {
        d.big_endian = TGM_HOST_BIG_ENDIAN;
        d.byte_order_present = false;
    } else {
        if (v->kind != TGM_V_TEXT) {
            return type_error(where, "byte_order", v, "\"big\" or \"little\"");
        }
        if (tgm__val_is_text(v, "big")) {
            d.big_endian = true;
        } else if (tgm__val_is_text(v, "little")) {
            d.big_endian = false;
        } else {
            return tgm__fail(TGM_ERROR_METADATA,
                             "%s: unknown variant `%s` for `byte_order`, expected `big` or "
                             "`little`",
                             where, v->p.str);
        }
        d.byte_order_present = true;
    }
    TGM_TRY(text_of(fx[F_ENCODING], where, "encoding", &d.encoding));
    TGM_TRY(text_of(fx[F_FILTER], where, "filter", &d.filter));
    TGM_TRY(text_of(fx[F_COMPRESSION], where, "compression", &d.compression));

    v = fx[F_MASKS];
    if (v != NULL && v->kind != TGM_V_NULL) {
        if (v->kind != TGM_V_MAP) {
            return type_error(where, "masks", v, "a map");
        }
        static const char *const kinds[TGM_DESC_MASKS] = {"nan", "inf+", "inf-"};
        d.has_masks = true;
        for (int k = 0; k < TGM_DESC_MASKS; k++) {
            const tgm_val *m = field(v, kinds[k]);
            if (m != NULL && m->kind != TGM_V_NULL) {
                TGM_TRY(parse_mask(m, where, kinds[k], &d.masks[k]));
            }
        }
    }

    tgm__desc_count_elements(&d);
    *out = d;
    return TGM_ERROR_OK;
}

static const tgm_val *param(const tgm_descriptor *d, const char *key);

const tgm_val *tgm__desc_param(const tgm_descriptor *d, const char *key) { return param(d, key); }

tgm_error tgm__desc_check_shape(const tgm_descriptor *d) {
    TGM_RETURN_IF(d->obj_type[0] == '\0', TGM_ERROR_METADATA, "obj_type must not be empty");
    TGM_RETURN_IF(d->ndim != (uint64_t)d->nshape, TGM_ERROR_METADATA,
                  "ndim %llu does not match shape.len() %zu", (unsigned long long)d->ndim,
                  d->nshape);
    TGM_RETURN_IF(d->nstrides != d->nshape, TGM_ERROR_METADATA,
                  "strides.len() %zu does not match shape.len() %zu", d->nstrides, d->nshape);
    TGM_RETURN_IF(d->num_elements_overflow, TGM_ERROR_METADATA, "shape product overflow");
    return TGM_ERROR_OK;
}

/* The entries parameters are looked up in: the whole map, or the
 * parameters a direct read kept (NULL: none). */
static const tgm_val *param_source(const tgm_descriptor *d) {
    return d->map != NULL ? d->map : d->params;
}

tgm_val *tgm__desc_params_map(tgm_arena *a, const tgm_descriptor *d) {
    const tgm_val *src = param_source(d);
    size_t len = src != NULL ? src->len : 0;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (!is_fixed_key(tgm__val_map_key(src, i))) {
            n++;
        }
    }
    tgm_val *m = tgm__val_map(a, n);
    if (m == NULL) {
        return NULL;
    }
    size_t j = 0;
    for (size_t i = 0; i < len; i++) {
        const tgm_val *k = tgm__val_map_key(src, i);
        if (!is_fixed_key(k)) {
            m->p.items[2 * j] = *k;
            m->p.items[2 * j + 1] = *tgm__val_map_value(src, i);
            j++;
        }
    }
    m->len = j;
    /* Parameters form a string-keyed map: sorted, last duplicate wins. */
    return tgm__section_normalise(a, m);
}

static tgm_val *u64_array(tgm_arena *a, const uint64_t *v, size_t n) {
    tgm_val *arr = tgm__val_array(a, n);
    if (arr != NULL) {
        for (size_t i = 0; i < n; i++) {
            tgm__val_set_uint(&arr->p.items[i], v[i]);
        }
    }
    return arr;
}

/* A text value over a literal (or other long-lived) string: no copy. */
static void lit(tgm_val *v, const char *s, size_t n) {
    memset(v, 0, sizeof *v);
    v->kind = TGM_V_TEXT;
    v->p.str = s;
    v->len = n;
}

tgm_error tgm__desc_build_val(tgm_arena *a, const tgm_descriptor *d, const tgm_val *params,
                              const tgm_val *masks_val, tgm_val **out) {
    size_t nparams = params ? params->len : 0;
    size_t n = 9 + (masks_val ? 1 : 0) + nparams;
    tgm_val *m = tgm__val_map(a, n);
    if (m == NULL) {
        return tgm__oom(n * 2 * sizeof(tgm_val), "descriptor");
    }
    size_t j = 0;
    /* Keys, the dtype name and the byte order are literals; the caller's
     * texts are copied into the arena (they may live shorter than it). */
#define KEY(s) lit(&m->p.items[2 * j], s, sizeof(s) - 1)
#define TEXTV(s)                                                                                   \
    do {                                                                                           \
        if (strcmp(s, "none") == 0) {                                                              \
            lit(&m->p.items[2 * j + 1], "none", 4); /* the usual stage: no copy */                 \
        } else if (tgm__val_set_text(a, &m->p.items[2 * j + 1], s, strlen(s)) != 0) {              \
            return tgm__oom(strlen(s), "descriptor value");                                        \
        }                                                                                          \
        j++;                                                                                       \
    } while (0)
#define LITV(s)                                                                                    \
    do {                                                                                           \
        lit(&m->p.items[2 * j + 1], s, strlen(s));                                                 \
        j++;                                                                                       \
    } while (0)
    KEY("type");
    TEXTV(d->obj_type);
    KEY("ndim");
    tgm__val_set_uint(&m->p.items[2 * j + 1], d->ndim);
    j++;
    tgm_val *shape = u64_array(a, d->shape, d->nshape);
    tgm_val *strides = u64_array(a, d->strides, d->nstrides);
    if (shape == NULL || strides == NULL) {
        return tgm__oom(d->nshape * sizeof(tgm_val), "shape");
    }
    KEY("shape");
    m->p.items[2 * j + 1] = *shape;
    j++;
    KEY("strides");
    m->p.items[2 * j + 1] = *strides;
    j++;
    KEY("dtype");
    LITV(tgm__dtype_name(d->dtype));
    KEY("byte_order");
    LITV(d->big_endian ? "big" : "little");
    KEY("encoding");
    TEXTV(d->encoding);
    KEY("filter");
    TEXTV(d->filter);
    KEY("compression");
    TEXTV(d->compression);
    if (masks_val != NULL) {
        KEY("masks");
        m->p.items[2 * j + 1] = *masks_val;
        j++;
    }
#undef KEY
#undef TEXTV
#undef LITV
    for (size_t i = 0; i < nparams; i++) {
        m->p.items[2 * j] = *tgm__val_map_key(params, i);
        m->p.items[2 * j + 1] = *tgm__val_map_value(params, i);
        j++;
    }
    m->len = j;
    *out = m;
    return TGM_ERROR_OK;
}

tgm_error tgm__desc_build(tgm_arena *a, const tgm_descriptor *d, const tgm_val *params,
                          const tgm_val *masks_val, tgm_val **out, tgm_descriptor *fd) {
    tgm_val *m;
    TGM_TRY(tgm__desc_build_val(a, d, params, masks_val, &m));
    /* What tgm__desc_from_val would read back from m, taken from what m
     * was built from.  Masks (rare) and parameters with a non-text key
     * (which that read refuses) take the read itself. */
    bool text_keys = true;
    for (size_t i = 9; i < m->len; i++) {
        text_keys = text_keys && tgm__val_map_key(m, i)->kind == TGM_V_TEXT;
    }
    if (masks_val != NULL || !text_keys) {
        TGM_TRY(tgm__desc_from_val(a, m, "descriptor", fd));
        *out = m;
        return TGM_ERROR_OK;
    }
    tgm_descriptor r;
    memset(&r, 0, sizeof r);
    r.map = m;
    r.obj_type = m->p.items[1].p.str;
    r.ndim = d->ndim;
    uint64_t *sh = tgm__arena_calloc(a, d->nshape ? d->nshape : 1, sizeof(uint64_t));
    uint64_t *st = tgm__arena_calloc(a, d->nstrides ? d->nstrides : 1, sizeof(uint64_t));
    if (sh == NULL || st == NULL) {
        return tgm__oom((d->nshape + d->nstrides) * sizeof(uint64_t), "shape");
    }
    if (d->nshape > 0) {
        memcpy(sh, d->shape, d->nshape * sizeof(uint64_t));
    }
    if (d->nstrides > 0) {
        memcpy(st, d->strides, d->nstrides * sizeof(uint64_t));
    }
    r.shape = sh;
    r.nshape = d->nshape;
    r.strides = st;
    r.nstrides = d->nstrides;
    r.dtype = d->dtype;
    r.big_endian = d->big_endian;
    r.byte_order_present = true; /* always written */
    r.encoding = m->p.items[13].p.str;
    r.filter = m->p.items[15].p.str;
    r.compression = m->p.items[17].p.str;
    tgm__desc_count_elements(&r);
    *out = m;
    *fd = r;
    return TGM_ERROR_OK;
}

/* ---- typed parameter getters (texts as the reference) --------------------- */

/* Render a CBOR integer as decimal (for "integer value N out of range"). */
static void int_text(const tgm_val *v, char *buf, size_t cap) {
    if (v->neg) {
        if (v->num.u == UINT64_MAX) {
            snprintf(buf, cap, "-18446744073709551616");
        } else {
            snprintf(buf, cap, "-%llu", (unsigned long long)v->num.u + 1ull);
        }
    } else {
        snprintf(buf, cap, "%llu", (unsigned long long)v->num.u);
    }
}

static const tgm_val *param(const tgm_descriptor *d, const char *key) {
    for (size_t i = 0; i < NFIXED; i++) {
        if (strcmp(fixed_keys[i], key) == 0) {
            return NULL;
        }
    }
    const tgm_val *src = param_source(d);
    return src != NULL ? tgm__val_map_get(src, key) : NULL; /* last occurrence wins */
}

tgm_error tgm__param_u64(const tgm_descriptor *d, const char *key, uint64_t *out) {
    const tgm_val *v = param(d, key);
    TGM_RETURN_IF(v == NULL, TGM_ERROR_METADATA, "missing required parameter: %s", key);
    TGM_RETURN_IF(v->kind != TGM_V_INT, TGM_ERROR_METADATA, "expected integer for %s, got %s", key,
                  tgm__cbor_kind(v));
    if (v->neg) {
        char t[32];
        int_text(v, t, sizeof t);
        return tgm__fail(TGM_ERROR_METADATA, "integer value %s out of u64 range for %s", t, key);
    }
    *out = v->num.u;
    return TGM_ERROR_OK;
}

static tgm_error to_i64(const tgm_val *v, const char *key, int64_t *out) {
    if (!tgm__val_to_i64(v, out)) {
        char t[32];
        int_text(v, t, sizeof t);
        return tgm__fail(TGM_ERROR_METADATA, "integer value %s out of i64 range for %s", t, key);
    }
    return TGM_ERROR_OK;
}

tgm_error tgm__param_i64(const tgm_descriptor *d, const char *key, int64_t *out) {
    const tgm_val *v = param(d, key);
    TGM_RETURN_IF(v == NULL, TGM_ERROR_METADATA, "missing required parameter: %s", key);
    TGM_RETURN_IF(v->kind != TGM_V_INT, TGM_ERROR_METADATA, "expected integer for %s, got %s", key,
                  tgm__cbor_kind(v));
    return to_i64(v, key, out);
}

tgm_error tgm__param_i64_or(const tgm_descriptor *d, const char *key, int64_t dflt, int64_t *out) {
    const tgm_val *v = param(d, key);
    if (v == NULL) {
        *out = dflt;
        return TGM_ERROR_OK;
    }
    TGM_RETURN_IF(v->kind != TGM_V_INT, TGM_ERROR_METADATA,
                  "expected integer for %s, got %s; if you meant to use the default (%lld), "
                  "omit the key",
                  key, tgm__cbor_kind(v), (long long)dflt);
    return to_i64(v, key, out);
}

tgm_error tgm__param_f64(const tgm_descriptor *d, const char *key, double *out) {
    const tgm_val *v = param(d, key);
    TGM_RETURN_IF(v == NULL, TGM_ERROR_METADATA, "missing required parameter: %s", key);
    if (v->kind == TGM_V_FLOAT) {
        *out = v->num.f;
        return TGM_ERROR_OK;
    }
    TGM_RETURN_IF(v->kind != TGM_V_INT, TGM_ERROR_METADATA, "expected number for %s, got %s", key,
                  tgm__cbor_kind(v));
    /* Integers must be exactly representable: |n| <= 2^53. */
    const uint64_t bound = 1ull << 53;
    uint64_t mag = v->neg ? (v->num.u == UINT64_MAX ? UINT64_MAX : v->num.u + 1) : v->num.u;
    if (mag > bound) {
        char t[32];
        int_text(v, t, sizeof t);
        return tgm__fail(TGM_ERROR_METADATA,
                         "%s: integer value %s is outside the f64 exact-representable range "
                         "[-2^53, 2^53]; converting to f64 would silently lose precision",
                         key, t);
    }
    *out = v->neg ? -(double)mag : (double)mag;
    return TGM_ERROR_OK;
}

tgm_error tgm__param_text_or(const tgm_descriptor *d, const char *key, const char *dflt,
                             const char **out) {
    const tgm_val *v = param(d, key);
    if (v == NULL) {
        *out = dflt;
        return TGM_ERROR_OK;
    }
    TGM_RETURN_IF(v->kind != TGM_V_TEXT, TGM_ERROR_METADATA,
                  "expected text for %s, got %s; if you meant to use the default (\"%s\"), omit "
                  "the key",
                  key, tgm__cbor_kind(v), dflt);
    *out = v->p.str;
    return TGM_ERROR_OK;
}
