/* Global metadata (WIRE_FORMAT §6.1): base / _reserved_ / _extra_. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "meta/meta.h"

tgm_error tgm__gmeta_init(tgm_arena *a, tgm_global_meta *m) {
    m->nbase = 0;
    m->base = NULL;
    m->reserved = tgm__val_map(a, 0);
    m->extra = tgm__val_map(a, 0);
    if (m->reserved == NULL || m->extra == NULL) {
        return tgm__oom(sizeof(tgm_val), "metadata");
    }
    return TGM_ERROR_OK;
}

/* Byte-order comparison of two text values (shorter prefix first). */
static int text_cmp(const tgm_val *a, const tgm_val *b) {
    size_t n = a->len < b->len ? a->len : b->len;
    /* Keys mostly differ in their first bytes: a byte loop, no call. */
    const uint8_t *x = (const uint8_t *)a->p.str, *y = (const uint8_t *)b->p.str;
    for (size_t i = 0; i < n; i++) {
        if (x[i] != y[i]) {
            return x[i] < y[i] ? -1 : 1;
        }
    }
    return (a->len > b->len) - (a->len < b->len);
}

typedef struct {
    const tgm_val *k;
    const tgm_val *v;
    size_t pos;
} entry;

static int entry_cmp(const void *x, const void *y) {
    const entry *a = x, *b = y;
    int c = text_cmp(a->k, b->k);
    if (c != 0) {
        return c;
    }
    return (a->pos > b->pos) - (a->pos < b->pos); /* stable */
}

tgm_val *tgm__section_normalise(tgm_arena *a, const tgm_val *map) {
    size_t n = map->len;
    tgm_val *out = tgm__val_map(a, n);
    if (out == NULL) {
        return NULL;
    }
    if (n == 0) {
        return out;
    }
    size_t k = 1;
    while (k < n && text_cmp(tgm__val_map_key(map, k - 1), tgm__val_map_key(map, k)) < 0) {
        k++;
    }
    if (k == n) {
        /* Keys already strictly in order (a JSON object as parsed, a
         * section built in order): the entries as they are. */
        memcpy(out->p.items, map->p.items, 2 * n * sizeof(tgm_val));
        return out;
    }
    entry *e = tgm__arena_alloc(a, n * sizeof(entry));
    if (e == NULL) {
        return NULL;
    }
    bool sorted = true;
    for (size_t i = 0; i < n; i++) {
        e[i].k = tgm__val_map_key(map, i);
        e[i].v = tgm__val_map_value(map, i);
        e[i].pos = i;
        if (i > 0 && text_cmp(e[i - 1].k, e[i].k) >= 0) {
            sorted = false;
        }
    }
    if (!sorted && n <= 32) {
        /* Small sections (all of them, in practice): a stable insertion
         * sort, no call through qsort's comparator or its buffer. */
        for (size_t i = 1; i < n; i++) {
            entry x = e[i];
            size_t j = i;
            while (j > 0 && text_cmp(e[j - 1].k, x.k) > 0) {
                e[j] = e[j - 1];
                j--;
            }
            e[j] = x;
        }
    } else if (!sorted) {
        qsort(e, n, sizeof(entry), entry_cmp);
    }
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        /* Of equal keys keep the last one (as an ordered map insert does). */
        if (i + 1 < n && text_cmp(e[i].k, e[i + 1].k) == 0) {
            continue;
        }
        out->p.items[2 * j] = *e[i].k;
        out->p.items[2 * j + 1] = *e[i].v;
        j++;
    }
    out->len = j;
    return out;
}

/* True when map's keys are texts in strictly increasing byte order. */
static bool text_keys_in_order(const tgm_val *map) {
    for (size_t i = 0; i < map->len; i++) {
        const tgm_val *k = tgm__val_map_key(map, i);
        if (k->kind != TGM_V_TEXT || (i > 0 && text_cmp(tgm__val_map_key(map, i - 1), k) >= 0)) {
            return false;
        }
    }
    return true;
}

tgm_val *tgm__section_set(tgm_arena *a, const tgm_val *map, const char *key, const tgm_val *value) {
    size_t n = map->len;
    if (text_keys_in_order(map)) {
        /* A section in order (as normalised): the entry goes in its place
         * (or replaces the one with its key) in one copy, no sort. */
        tgm_val k;
        if (tgm__val_set_text(a, &k, key, strlen(key)) != 0) {
            return NULL;
        }
        size_t pos = 0;
        int c = 1;
        while (pos < n && (c = text_cmp(tgm__val_map_key(map, pos), &k)) < 0) {
            pos++;
        }
        bool replace = pos < n && c == 0;
        tgm_val *out = tgm__val_map(a, replace ? n : n + 1);
        if (out == NULL) {
            return NULL;
        }
        if (pos > 0) {
            memcpy(out->p.items, map->p.items, 2 * pos * sizeof(tgm_val));
        }
        out->p.items[2 * pos] = k;
        out->p.items[2 * pos + 1] = *value;
        size_t from = replace ? pos + 1 : pos;
        if (from < n) {
            memcpy(out->p.items + 2 * (pos + 1), map->p.items + 2 * from,
                   2 * (n - from) * sizeof(tgm_val));
        }
        return out;
    }
    tgm_val *tmp = tgm__val_map(a, n + 1);
    if (tmp == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < n; i++) { /* n may be 0 with items NULL */
        tmp->p.items[2 * i] = *tgm__val_map_key(map, i);
        tmp->p.items[2 * i + 1] = *tgm__val_map_value(map, i);
    }
    if (tgm__val_set_text(a, &tmp->p.items[2 * n], key, strlen(key)) != 0) {
        return NULL;
    }
    tmp->p.items[2 * n + 1] = *value;
    return tgm__section_normalise(a, tmp);
}

/* A map whose keys must all be text; `what_name` names it for errors,
 * with "[index]" appended when index is not SIZE_MAX (formatted only for
 * an error: base entries are read for every message). */
static tgm_error text_keyed_section(tgm_arena *a, const tgm_val *v, const char *what_name,
                                    size_t index, tgm_val **out) {
    bool ok = v->kind == TGM_V_MAP;
    for (size_t i = 0; ok && i < v->len; i++) {
        ok = tgm__val_map_key(v, i)->kind == TGM_V_TEXT;
    }
    if (!ok) {
        char what[48];
        if (index != SIZE_MAX) {
            snprintf(what, sizeof what, "%s[%zu]", what_name, index);
        } else {
            snprintf(what, sizeof what, "%s", what_name);
        }
        TGM_RETURN_IF(v->kind != TGM_V_MAP, TGM_ERROR_METADATA,
                      "failed to deserialize %s: expected a map, got %s", what, tgm__cbor_kind(v));
        for (size_t i = 0; i < v->len; i++) {
            const tgm_val *k = tgm__val_map_key(v, i);
            TGM_RETURN_IF(k->kind != TGM_V_TEXT, TGM_ERROR_METADATA,
                          "failed to deserialize %s: map keys must be strings, found %s", what,
                          tgm__cbor_kind(k));
        }
    }
    *out = tgm__section_normalise(a, v);
    if (*out == NULL) {
        return tgm__oom(v->len * 2 * sizeof(tgm_val), what_name);
    }
    return TGM_ERROR_OK;
}

tgm_error tgm__gmeta_from_cbor(tgm_arena *a, const tgm_val *root, tgm_global_meta *out) {
    tgm_global_meta m;
    TGM_TRY(tgm__gmeta_init(a, &m));
    TGM_RETURN_IF(root->kind != TGM_V_MAP, TGM_ERROR_METADATA, "global metadata CBOR is not a map");

    /* Free-form top-level keys, collected then routed into _extra_. */
    tgm_val *free_form = tgm__val_map(a, root->len);
    if (free_form == NULL) {
        return tgm__oom(root->len, "metadata");
    }
    size_t nfree = 0;
    for (size_t i = 0; i < root->len; i++) {
        const tgm_val *k = tgm__val_map_key(root, i);
        const tgm_val *v = tgm__val_map_value(root, i);
        TGM_RETURN_IF(k->kind != TGM_V_TEXT, TGM_ERROR_METADATA,
                      "global metadata CBOR has a non-text top-level key (%s); the metadata "
                      "schema uses text keys only",
                      tgm__cbor_kind(k));
        if (tgm__val_is_text(k, "base")) {
            TGM_RETURN_IF(v->kind != TGM_V_ARRAY, TGM_ERROR_METADATA,
                          "failed to deserialize base: expected an array, got %s",
                          tgm__cbor_kind(v));
            tgm_val *arr = tgm__val_array(a, v->len);
            if (arr == NULL) {
                return tgm__oom(v->len * sizeof(tgm_val), "base");
            }
            for (size_t j = 0; j < v->len; j++) {
                tgm_val *sec;
                TGM_TRY(text_keyed_section(a, &v->p.items[j], "base", j, &sec));
                arr->p.items[j] = *sec;
            }
            m.nbase = v->len;
            m.base = arr->p.items;
        } else if (tgm__val_is_text(k, TGM_RESERVED_KEY)) {
            TGM_TRY(text_keyed_section(a, v, TGM_RESERVED_KEY, SIZE_MAX, &m.reserved));
        } else if (tgm__val_is_text(k, TGM_EXTRA_KEY)) {
            TGM_TRY(text_keyed_section(a, v, TGM_EXTRA_KEY, SIZE_MAX, &m.extra));
        } else {
            free_form->p.items[2 * nfree] = *k;
            free_form->p.items[2 * nfree + 1] = *v;
            nfree++;
        }
    }
    if (nfree > 0) {
        free_form->len = nfree;
        tgm_val *ff = tgm__section_normalise(a, free_form);
        if (ff == NULL) {
            return tgm__oom(nfree, "metadata");
        }
        for (size_t i = 0; i < ff->len; i++) {
            const tgm_val *k = tgm__val_map_key(ff, i);
            TGM_RETURN_IF(tgm__val_map_getn(m.extra, k->p.str, k->len) != NULL, TGM_ERROR_METADATA,
                          "ambiguous metadata: key \"%s\" appears both at the top level and "
                          "inside `_extra_`; producers must pick one placement",
                          k->p.str);
        }
        tgm_val *merged = tgm__val_map(a, ff->len + m.extra->len);
        if (merged == NULL) {
            return tgm__oom(nfree, "metadata");
        }
        if (m.extra->len > 0) {
            memcpy(merged->p.items, m.extra->p.items, 2 * m.extra->len * sizeof(tgm_val));
        }
        memcpy(merged->p.items + 2 * m.extra->len, ff->p.items, 2 * ff->len * sizeof(tgm_val));
        m.extra = tgm__section_normalise(a, merged);
        if (m.extra == NULL) {
            return tgm__oom(nfree, "metadata");
        }
    }
    *out = m;
    return TGM_ERROR_OK;
}

tgm_error tgm__gmeta_to_val(tgm_arena *a, const tgm_global_meta *m, tgm_val **out) {
    size_t n = (m->nbase > 0) + (m->reserved->len > 0) + (m->extra->len > 0);
    tgm_val *root = tgm__val_map(a, n);
    if (root == NULL) {
        return tgm__oom(n, "metadata");
    }
    size_t j = 0;
    if (m->nbase > 0) {
        tgm_val *arr = tgm__val_array(a, 0);
        if (arr == NULL || tgm__val_set_text(a, &root->p.items[2 * j], "base", 4) != 0) {
            return tgm__oom(m->nbase, "base");
        }
        arr->len = m->nbase;
        arr->p.items = m->base;
        root->p.items[2 * j + 1] = *arr;
        j++;
    }
    if (m->reserved->len > 0) {
        if (tgm__val_set_text(a, &root->p.items[2 * j], TGM_RESERVED_KEY, 10) != 0) {
            return tgm__oom(10, "metadata");
        }
        root->p.items[2 * j + 1] = *m->reserved;
        j++;
    }
    if (m->extra->len > 0) {
        if (tgm__val_set_text(a, &root->p.items[2 * j], TGM_EXTRA_KEY, 7) != 0) {
            return tgm__oom(7, "metadata");
        }
        root->p.items[2 * j + 1] = *m->extra;
        j++;
    }
    *out = root;
    return TGM_ERROR_OK;
}

tgm_error tgm__gmeta_from_encode_json(tgm_arena *a, const tgm_val *root, bool allow_descriptors,
                                      tgm_global_meta *out, const tgm_val **descriptors) {
    tgm_global_meta m;
    TGM_TRY(tgm__gmeta_init(a, &m));
    if (descriptors != NULL) {
        *descriptors = NULL;
    }
    TGM_RETURN_IF(root->kind != TGM_V_MAP, TGM_ERROR_METADATA,
                  "failed to parse metadata JSON: expected a JSON object at the top level");

    const tgm_val *explicit_extra = NULL;
    const char *explicit_name = NULL;
    const tgm_val *version = NULL;
    tgm_val *implicit = tgm__val_map(a, root->len);
    if (implicit == NULL) {
        return tgm__oom(root->len, "metadata");
    }
    size_t nimp = 0;

    for (size_t i = 0; i < root->len; i++) {
        const tgm_val *k = tgm__val_map_key(root, i);
        const tgm_val *v = tgm__val_map_value(root, i);
        if (tgm__val_is_text(k, "descriptors")) {
            TGM_RETURN_IF(!allow_descriptors, TGM_ERROR_METADATA,
                          "\"descriptors\" is not allowed here: objects are written one at a "
                          "time");
            TGM_RETURN_IF(v->kind != TGM_V_ARRAY, TGM_ERROR_METADATA,
                          "failed to parse metadata JSON: \"descriptors\" must be an array");
            if (descriptors != NULL) {
                *descriptors = v;
            }
        } else if (tgm__val_is_text(k, "base")) {
            TGM_RETURN_IF(v->kind != TGM_V_ARRAY, TGM_ERROR_METADATA,
                          "failed to parse metadata JSON: \"base\" must be an array of objects");
            tgm_val *arr = tgm__val_array(a, v->len);
            if (arr == NULL) {
                return tgm__oom(v->len, "base");
            }
            for (size_t j = 0; j < v->len; j++) {
                const tgm_val *e = &v->p.items[j];
                TGM_RETURN_IF(e->kind != TGM_V_MAP, TGM_ERROR_METADATA,
                              "failed to parse metadata JSON: base[%zu] must be an object", j);
                TGM_RETURN_IF(tgm__val_map_get(e, TGM_RESERVED_KEY) != NULL, TGM_ERROR_METADATA,
                              "base[%zu] must not contain '_reserved_' key: the encoder "
                              "populates it",
                              j);
                arr->p.items[j] = *e; /* JSON objects are already sorted and unique */
            }
            m.nbase = v->len;
            m.base = v->len ? arr->p.items : NULL;
        } else if (tgm__val_is_text(k, "version")) {
            version = v;
        } else if (tgm__val_is_text(k, TGM_EXTRA_KEY) || tgm__val_is_text(k, "extra")) {
            TGM_RETURN_IF(v->kind != TGM_V_MAP, TGM_ERROR_METADATA,
                          "'%s' must be a JSON object when supplied at the top level", k->p.str);
            TGM_RETURN_IF(explicit_extra != NULL, TGM_ERROR_METADATA,
                          "both '_extra_' and 'extra' supplied at the top level: choose one");
            explicit_extra = v;
            explicit_name = k->p.str;
        } else if (tgm__val_is_text(k, TGM_RESERVED_KEY)) {
            return tgm__fail(TGM_ERROR_METADATA,
                             "client code must not write to '_reserved_' at message level; this "
                             "field is populated by the library");
        } else {
            implicit->p.items[2 * nimp] = *k;
            implicit->p.items[2 * nimp + 1] = *v;
            nimp++;
        }
    }
    (void)explicit_name;
    if (version != NULL) {
        /* Legacy pre-v3 producers wrote {"version": 3}; it is kept as a
         * free-form annotation (a u16 in the reference's schema). */
        uint64_t ver;
        TGM_RETURN_IF(version->kind != TGM_V_INT || !tgm__val_to_u64(version, &ver) || ver > 65535,
                      TGM_ERROR_METADATA,
                      "failed to parse metadata JSON: \"version\" must be an integer in "
                      "0..65535");
    }

    /* _extra_: explicit entries win over implicit top-level keys. */
    size_t cap = (explicit_extra ? explicit_extra->len : 0) + nimp + (version != NULL);
    tgm_val *extra = tgm__val_map(a, cap);
    if (extra == NULL) {
        return tgm__oom(cap, "_extra_");
    }
    size_t j = 0;
    for (size_t i = 0; i < nimp; i++) {
        const tgm_val *k = &implicit->p.items[2 * i];
        if (explicit_extra != NULL && tgm__val_map_getn(explicit_extra, k->p.str, k->len)) {
            continue;
        }
        extra->p.items[2 * j] = *k;
        extra->p.items[2 * j + 1] = implicit->p.items[2 * i + 1];
        j++;
    }
    if (explicit_extra != NULL) {
        for (size_t i = 0; i < explicit_extra->len; i++) {
            extra->p.items[2 * j] = *tgm__val_map_key(explicit_extra, i);
            extra->p.items[2 * j + 1] = *tgm__val_map_value(explicit_extra, i);
            j++;
        }
    }
    if (version != NULL && !(explicit_extra && tgm__val_map_get(explicit_extra, "version")) &&
        !tgm__val_map_get(implicit, "version")) {
        if (tgm__val_set_text(a, &extra->p.items[2 * j], "version", 7) != 0) {
            return tgm__oom(7, "_extra_");
        }
        extra->p.items[2 * j + 1] = *version;
        j++;
    }
    extra->len = j;
    m.extra = tgm__section_normalise(a, extra);
    if (m.extra == NULL) {
        return tgm__oom(j, "_extra_");
    }
    *out = m;
    return TGM_ERROR_OK;
}
