/* Value trees handed to the encoder as documents (tgm_encode_doc and the
 * encoder templates of the public header): brought into the form the JSON
 * reader gives the same value printed as JSON, so that a document and its
 * text encode to the same bytes. */
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "json/json.h"

/* Byte order of two text keys, the shorter prefix first. */
static int key_cmp(const tgm_val *a, const tgm_val *b) {
    size_t n = a->len < b->len ? a->len : b->len;
    int c = n ? memcmp(a->p.str, b->p.str, n) : 0;
    return c != 0 ? c : (a->len > b->len) - (a->len < b->len);
}

/* Whether v already has the reader's form at every level; an error for
 * a non-text key or nesting deeper than the reader allows. */
static tgm_error check(const tgm_val *v, unsigned depth, bool *normal) {
    if (v->kind != TGM_V_ARRAY && v->kind != TGM_V_MAP && v->kind != TGM_V_TAG) {
        return TGM_ERROR_OK;
    }
    TGM_RETURN_IF(depth + 1 >= TGM_JSON_MAX_DEPTH, TGM_ERROR_METADATA,
                  "metadata document nests deeper than %u levels", TGM_JSON_MAX_DEPTH - 1);
    if (v->kind == TGM_V_TAG) {
        return check(&v->p.items[0], depth + 1, normal);
    }
    if (v->kind == TGM_V_ARRAY) {
        for (size_t i = 0; i < v->len; i++) {
            TGM_TRY(check(&v->p.items[i], depth + 1, normal));
        }
        return TGM_ERROR_OK;
    }
    for (size_t i = 0; i < v->len; i++) {
        const tgm_val *k = tgm__val_map_key(v, i);
        TGM_RETURN_IF(k->kind != TGM_V_TEXT, TGM_ERROR_METADATA,
                      "metadata document has a map key that is not a string (%s)",
                      tgm__val_kind_name(k));
        if (i > 0 && key_cmp(tgm__val_map_key(v, i - 1), k) >= 0) {
            *normal = false;
        }
        TGM_TRY(check(tgm__val_map_value(v, i), depth + 1, normal));
    }
    return TGM_ERROR_OK;
}

typedef struct {
    const tgm_val *k;
    size_t pos;
} slot;

static int slot_cmp(const void *x, const void *y) {
    const slot *a = x, *b = y;
    int c = key_cmp(a->k, b->k);
    return c != 0 ? c : (a->pos > b->pos) - (a->pos < b->pos);
}

/* dst := src in the reader's form (dst's containers are new; strings and
 * scalars are shared with src). */
static tgm_error normalise(tgm_arena *a, const tgm_val *src, tgm_val *dst) {
    *dst = *src;
    if (src->kind == TGM_V_TAG || src->kind == TGM_V_ARRAY) {
        size_t n = src->kind == TGM_V_TAG ? 1 : src->len;
        tgm_val *items = n ? tgm__arena_calloc(a, n, sizeof *items) : NULL;
        TGM_RETURN_IF(n && items == NULL, TGM_ERROR_ENCODING, "out of memory for a document copy");
        for (size_t i = 0; i < n; i++) {
            TGM_TRY(normalise(a, &src->p.items[i], &items[i]));
        }
        dst->p.items = items;
        dst->flags = 0;
        return TGM_ERROR_OK;
    }
    if (src->kind != TGM_V_MAP) {
        return TGM_ERROR_OK;
    }
    size_t n = src->len;
    slot *s = n ? tgm__arena_calloc(a, n, sizeof *s) : NULL;
    tgm_val *items = n ? tgm__arena_calloc(a, 2 * n, sizeof *items) : NULL;
    TGM_RETURN_IF(n && (s == NULL || items == NULL), TGM_ERROR_ENCODING,
                  "out of memory for a document copy");
    for (size_t i = 0; i < n; i++) {
        s[i].k = tgm__val_map_key(src, i);
        s[i].pos = i;
    }
    if (n > 1) {
        qsort(s, n, sizeof *s, slot_cmp);
    }
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (i + 1 < n && key_cmp(s[i].k, s[i + 1].k) == 0) {
            continue; /* of equal keys the last one counts, as the reader keeps it */
        }
        items[2 * j] = *s[i].k;
        TGM_TRY(normalise(a, tgm__val_map_value(src, s[i].pos), &items[2 * j + 1]));
        j++;
    }
    dst->len = j;
    dst->p.items = items;
    dst->flags = 0;
    return TGM_ERROR_OK;
}

tgm_error tgm__json_doc_normalise(tgm_arena *a, const tgm_val *v, const tgm_val **out) {
    bool normal = true;
    TGM_TRY(check(v, 0, &normal));
    if (normal) {
        *out = v;
        return TGM_ERROR_OK;
    }
    tgm_val *copy = tgm__arena_alloc(a, sizeof *copy);
    TGM_RETURN_IF(copy == NULL, TGM_ERROR_ENCODING, "out of memory for a document copy");
    TGM_TRY(normalise(a, v, copy));
    *out = copy;
    return TGM_ERROR_OK;
}
