/* The metadata value model: constructors, deep copy, lookups, conversions,
 * structural equality; plus two small utilities the codecs share (UTF-8
 * validation and a stable index sort). */
#include "cbor/value.h"

#include <string.h>

#include "cbor/cbor_internal.h"
#include "common/arena.h"

/* --- constructors ------------------------------------------------------- */

tgm_val *tgm__val_new(tgm_arena *a, tgm_vkind kind) {
    tgm_val *v = tgm__arena_calloc(a, 1, sizeof *v);
    if (v != NULL) {
        v->kind = (uint8_t)kind;
    }
    return v;
}

tgm_val *tgm__val_null(tgm_arena *a) { return tgm__val_new(a, TGM_V_NULL); }

tgm_val *tgm__val_bool(tgm_arena *a, bool b) {
    tgm_val *v = tgm__val_new(a, TGM_V_BOOL);
    if (v != NULL) {
        v->num.b = b;
    }
    return v;
}

tgm_val *tgm__val_uint(tgm_arena *a, uint64_t u) {
    tgm_val *v = tgm__val_new(a, TGM_V_INT);
    if (v != NULL) {
        tgm__val_set_uint(v, u);
    }
    return v;
}

tgm_val *tgm__val_int(tgm_arena *a, int64_t i) {
    tgm_val *v = tgm__val_new(a, TGM_V_INT);
    if (v != NULL) {
        tgm__val_set_int(v, i);
    }
    return v;
}

tgm_val *tgm__val_float(tgm_arena *a, double f) {
    tgm_val *v = tgm__val_new(a, TGM_V_FLOAT);
    if (v != NULL) {
        tgm__val_set_float(v, f);
    }
    return v;
}

tgm_val *tgm__val_text(tgm_arena *a, const char *s, size_t n) {
    tgm_val *v = tgm__val_new(a, TGM_V_TEXT);
    if (v == NULL || tgm__val_set_text(a, v, s, n) != 0) {
        return NULL;
    }
    return v;
}

tgm_val *tgm__val_cstr(tgm_arena *a, const char *s) { return tgm__val_text(a, s, strlen(s)); }

tgm_val *tgm__val_bytes(tgm_arena *a, const uint8_t *s, size_t n) {
    tgm_val *v = tgm__val_new(a, TGM_V_BYTES);
    if (v == NULL) {
        return NULL;
    }
    char *d = tgm__arena_strndup(a, (const char *)s, n);
    if (d == NULL) {
        return NULL;
    }
    v->p.str = d;
    v->len = n;
    return v;
}

/* A container and its n items in one zeroed block (one arena call). */
static tgm_val *container(tgm_arena *a, tgm_vkind kind, size_t n, size_t len) {
    if (n > SIZE_MAX / sizeof(tgm_val) - 1) {
        return NULL;
    }
    tgm_val *v = tgm__arena_calloc(a, 1 + n, sizeof(tgm_val));
    if (v == NULL) {
        return NULL;
    }
    v->kind = (uint8_t)kind;
    if (n > 0) {
        v->p.items = v + 1;
    }
    v->len = len;
    return v;
}

tgm_val *tgm__val_array(tgm_arena *a, size_t n) { return container(a, TGM_V_ARRAY, n, n); }

tgm_val *tgm__val_map(tgm_arena *a, size_t n) {
    if (n > SIZE_MAX / 2) {
        return NULL;
    }
    return container(a, TGM_V_MAP, 2 * n, n);
}

/* --- in-place setters ----------------------------------------------------- */

static void reset(tgm_val *v, tgm_vkind kind) {
    memset(v, 0, sizeof *v);
    v->kind = (uint8_t)kind;
}

void tgm__val_set_null(tgm_val *v) { reset(v, TGM_V_NULL); }

void tgm__val_set_uint(tgm_val *v, uint64_t u) {
    reset(v, TGM_V_INT);
    v->num.u = u;
}

void tgm__val_set_int(tgm_val *v, int64_t i) {
    reset(v, TGM_V_INT);
    if (i < 0) {
        /* CBOR major type 1 carries -1 - value; ~i computes that without overflow. */
        v->neg = 1;
        v->num.u = ~(uint64_t)i;
    } else {
        v->num.u = (uint64_t)i;
    }
}

void tgm__val_set_float(tgm_val *v, double f) {
    reset(v, TGM_V_FLOAT);
    v->num.f = f;
}

void tgm__val_set_bool(tgm_val *v, bool b) {
    reset(v, TGM_V_BOOL);
    v->num.b = b;
}

int tgm__val_set_text(tgm_arena *a, tgm_val *v, const char *s, size_t n) {
    char *d = tgm__arena_strndup(a, s, n);
    if (d == NULL) {
        return -1;
    }
    reset(v, TGM_V_TEXT);
    v->p.str = d;
    v->len = n;
    return 0;
}

/* --- deep copy ------------------------------------------------------------ */

int tgm__val_copy_into(tgm_arena *a, tgm_val *dst, const tgm_val *src) {
    tgm_val tmp = *src;
    tmp.flags &= (uint8_t)~TGM_VAL_F_ROOM; /* the copy's items are exactly len long */
    switch ((tgm_vkind)src->kind) {
    case TGM_V_TEXT:
    case TGM_V_BYTES: {
        char *d = tgm__arena_strndup(a, src->p.str, src->len);
        if (d == NULL) {
            return -1;
        }
        tmp.p.str = d;
        break;
    }
    case TGM_V_ARRAY:
    case TGM_V_MAP:
    case TGM_V_TAG: {
        size_t n = src->len;
        if (src->kind == TGM_V_MAP) {
            if (n > SIZE_MAX / 2) {
                return -1;
            }
            n *= 2;
        } else if (src->kind == TGM_V_TAG) {
            n = 1;
        }
        tmp.p.items = NULL;
        if (n > 0) {
            tgm_val *items = tgm__arena_calloc(a, n, sizeof(tgm_val));
            if (items == NULL) {
                return -1;
            }
            for (size_t i = 0; i < n; i++) {
                if (tgm__val_copy_into(a, &items[i], &src->p.items[i]) != 0) {
                    return -1;
                }
            }
            tmp.p.items = items;
        }
        break;
    }
    default:
        break;
    }
    *dst = tmp;
    return 0;
}

tgm_val *tgm__val_clone(tgm_arena *a, const tgm_val *src) {
    tgm_val *v = tgm__arena_alloc(a, sizeof *v);
    if (v == NULL || tgm__val_copy_into(a, v, src) != 0) {
        return NULL;
    }
    return v;
}

/* --- editing ---------------------------------------------------------------- */

/* Room the editing helpers allocate for n entries: the next power of two. */
static size_t room_for(size_t n) {
    size_t r = 4;
    while (r < n) {
        r *= 2;
    }
    return r;
}

/* Make room for one more entry of c (per entry `per` nodes: 1 for arrays,
 * 2 for maps); returns the first node of the new entry, zeroed. */
static tgm_val *grow(tgm_arena *a, tgm_val *c, size_t per) {
    size_t n = c->len;
    bool full = (c->flags & TGM_VAL_F_ROOM) == 0 || n + 1 > room_for(n);
    if (full) {
        size_t cap = room_for(n + 1);
        if (cap > SIZE_MAX / per / sizeof(tgm_val)) {
            return NULL;
        }
        tgm_val *items = tgm__arena_alloc(a, cap * per * sizeof(tgm_val));
        if (items == NULL) {
            return NULL;
        }
        if (n > 0) {
            memcpy(items, c->p.items, n * per * sizeof(tgm_val));
        }
        c->p.items = items;
        c->flags |= TGM_VAL_F_ROOM;
    }
    tgm_val *slot = &c->p.items[n * per];
    memset(slot, 0, per * sizeof(tgm_val));
    c->len = n + 1;
    return slot;
}

tgm_val *tgm__val_map_member(tgm_arena *a, tgm_val *map, const char *key, size_t klen) {
    if (map == NULL || map->kind != TGM_V_MAP) {
        return NULL;
    }
    for (size_t i = 0; i < map->len; i++) {
        tgm_val *k = &map->p.items[2 * i];
        if (k->kind == TGM_V_TEXT && k->len == klen &&
            (klen == 0 || memcmp(k->p.str, key, klen) == 0)) {
            return &map->p.items[2 * i + 1];
        }
    }
    tgm_val kv;
    memset(&kv, 0, sizeof kv);
    if (tgm__val_set_text(a, &kv, klen ? key : "", klen) != 0) {
        return NULL;
    }
    tgm_val *slot = grow(a, map, 2);
    if (slot == NULL) {
        return NULL;
    }
    slot[0] = kv;
    return &slot[1];
}

tgm_val *tgm__val_array_append(tgm_arena *a, tgm_val *array) {
    if (array == NULL || array->kind != TGM_V_ARRAY) {
        return NULL;
    }
    return grow(a, array, 1);
}

size_t tgm__val_map_remove(tgm_val *map, const char *key, size_t klen) {
    if (map == NULL || map->kind != TGM_V_MAP) {
        return 0;
    }
    size_t m = 0;
    for (size_t i = 0; i < map->len; i++) {
        const tgm_val *k = &map->p.items[2 * i];
        if (k->kind == TGM_V_TEXT && k->len == klen &&
            (klen == 0 || memcmp(k->p.str, key, klen) == 0)) {
            continue;
        }
        if (m != i) {
            map->p.items[2 * m] = map->p.items[2 * i];
            map->p.items[2 * m + 1] = map->p.items[2 * i + 1];
        }
        m++;
    }
    size_t removed = map->len - m;
    map->len = m; /* the room stays: room_for(m) <= room_for(len) */
    return removed;
}

bool tgm__val_deeper_than(const tgm_val *v, unsigned limit) {
    if (limit == 0) {
        return true;
    }
    if (v->kind == TGM_V_ARRAY || v->kind == TGM_V_MAP || v->kind == TGM_V_TAG) {
        size_t n = v->kind == TGM_V_MAP ? 2 * v->len : v->kind == TGM_V_TAG ? 1 : v->len;
        for (size_t i = 0; i < n; i++) {
            if (tgm__val_deeper_than(&v->p.items[i], limit - 1)) {
                return true;
            }
        }
    }
    return false;
}

/* --- accessors -------------------------------------------------------------- */

const tgm_val *tgm__val_map_getn(const tgm_val *map, const char *key, size_t keylen) {
    if (map == NULL || map->kind != TGM_V_MAP) {
        return NULL;
    }
    /* Scan backwards so that the last of duplicate keys wins. */
    for (size_t i = map->len; i-- > 0;) {
        const tgm_val *k = &map->p.items[2 * i];
        if (k->kind == TGM_V_TEXT && k->len == keylen &&
            (keylen == 0 || memcmp(k->p.str, key, keylen) == 0)) {
            return &map->p.items[2 * i + 1];
        }
    }
    return NULL;
}

const tgm_val *tgm__val_map_get(const tgm_val *map, const char *key) {
    return tgm__val_map_getn(map, key, strlen(key));
}

bool tgm__val_to_i64(const tgm_val *v, int64_t *out) {
    if (v == NULL || v->kind != TGM_V_INT || v->num.u > (uint64_t)INT64_MAX) {
        return false;
    }
    *out = v->neg ? -1 - (int64_t)v->num.u : (int64_t)v->num.u;
    return true;
}

bool tgm__val_to_u64(const tgm_val *v, uint64_t *out) {
    if (v == NULL || v->kind != TGM_V_INT || v->neg) {
        return false;
    }
    *out = v->num.u;
    return true;
}

bool tgm__val_to_f64(const tgm_val *v, double *out) {
    if (v == NULL) {
        return false;
    }
    if (v->kind == TGM_V_FLOAT) {
        *out = v->num.f;
        return true;
    }
    if (v->kind == TGM_V_INT) {
        *out = v->neg ? -1.0 - (double)v->num.u : (double)v->num.u;
        return true;
    }
    return false;
}

bool tgm__val_equal(const tgm_val *a, const tgm_val *b) {
    if (a == b) {
        return true;
    }
    if (a == NULL || b == NULL || a->kind != b->kind) {
        return false;
    }
    switch ((tgm_vkind)a->kind) {
    case TGM_V_NULL:
    case TGM_V_UNDEFINED:
        return true;
    case TGM_V_BOOL:
        return a->num.b == b->num.b;
    case TGM_V_INT:
        return a->neg == b->neg && a->num.u == b->num.u;
    case TGM_V_SIMPLE:
        return a->num.u == b->num.u;
    case TGM_V_FLOAT: {
        uint64_t x, y;
        memcpy(&x, &a->num.f, 8);
        memcpy(&y, &b->num.f, 8);
        return x == y;
    }
    case TGM_V_TEXT:
    case TGM_V_BYTES:
        return a->len == b->len && (a->len == 0 || memcmp(a->p.str, b->p.str, a->len) == 0);
    case TGM_V_TAG:
        return a->num.u == b->num.u && tgm__val_equal(&a->p.items[0], &b->p.items[0]);
    case TGM_V_ARRAY:
    case TGM_V_MAP: {
        if (a->len != b->len) {
            return false;
        }
        size_t n = a->kind == TGM_V_MAP ? 2 * a->len : a->len;
        for (size_t i = 0; i < n; i++) {
            if (!tgm__val_equal(&a->p.items[i], &b->p.items[i])) {
                return false;
            }
        }
        return true;
    }
    }
    return false;
}

static bool text_keys(const tgm_val *m) {
    for (size_t i = 0; i < m->len; i++) {
        if (m->p.items[2 * i].kind != TGM_V_TEXT) {
            return false;
        }
    }
    return true;
}

static const tgm_val *first_member(const tgm_val *m, const tgm_val *key) {
    for (size_t i = 0; i < m->len; i++) {
        const tgm_val *k = &m->p.items[2 * i];
        if (k->len == key->len && (k->len == 0 || memcmp(k->p.str, key->p.str, k->len) == 0)) {
            return &m->p.items[2 * i + 1];
        }
    }
    return NULL;
}

bool tgm__val_same(const tgm_val *a, const tgm_val *b, unsigned limit) {
    if (limit == 0 || a == NULL || b == NULL) {
        return false;
    }
    if (a->kind != b->kind || a->len != b->len) {
        return false;
    }
    if (a->kind == TGM_V_ARRAY || a->kind == TGM_V_TAG) {
        size_t n = a->kind == TGM_V_TAG ? 1 : a->len;
        if (a->kind == TGM_V_TAG && a->num.u != b->num.u) {
            return false;
        }
        for (size_t i = 0; i < n; i++) {
            if (!tgm__val_same(&a->p.items[i], &b->p.items[i], limit - 1)) {
                return false;
            }
        }
        return true;
    }
    if (a->kind != TGM_V_MAP) {
        return tgm__val_equal(a, b);
    }
    bool in_order = true; /* the usual case: both in the same key order */
    for (size_t i = 0; in_order && i < a->len; i++) {
        in_order = tgm__val_equal(&a->p.items[2 * i], &b->p.items[2 * i]);
    }
    if (in_order || !text_keys(a) || !text_keys(b)) {
        for (size_t i = 0; i < 2 * a->len; i++) {
            if (!tgm__val_same(&a->p.items[i], &b->p.items[i], limit - 1)) {
                return false;
            }
        }
        return true;
    }
    /* Every key of a in b with the same value, and every key of b in a. */
    for (size_t i = 0; i < a->len; i++) {
        const tgm_val *k = &a->p.items[2 * i];
        const tgm_val *va = first_member(a, k), *vb = first_member(b, k);
        if (vb == NULL || (va == &a->p.items[2 * i + 1] && !tgm__val_same(va, vb, limit - 1))) {
            return false;
        }
    }
    for (size_t i = 0; i < b->len; i++) {
        if (first_member(a, &b->p.items[2 * i]) == NULL) {
            return false;
        }
    }
    return true;
}

const char *tgm__val_kind_name(const tgm_val *v) {
    if (v == NULL) {
        return "missing";
    }
    switch ((tgm_vkind)v->kind) {
    case TGM_V_NULL:
        return "null";
    case TGM_V_BOOL:
        return "bool";
    case TGM_V_INT:
        return "integer";
    case TGM_V_FLOAT:
        return "float";
    case TGM_V_TEXT:
        return "text";
    case TGM_V_BYTES:
        return "bytes";
    case TGM_V_ARRAY:
        return "array";
    case TGM_V_MAP:
        return "map";
    case TGM_V_TAG:
        return "tag";
    case TGM_V_UNDEFINED:
        return "undefined";
    case TGM_V_SIMPLE:
        return "simple value";
    }
    return "unknown";
}

/* --- UTF-8 validation ------------------------------------------------------- */

size_t tgm__utf8_invalid_at(const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        /* ASCII runs are the common case in metadata: skip 8 at a time. */
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if ((w & 0x8080808080808080ull) != 0) {
                break;
            }
            i += 8;
        }
        if (i >= n) {
            break;
        }
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        uint8_t lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
        if (c >= 0xc2 && c <= 0xdf) {
            need = 1;
        } else if (c >= 0xe0 && c <= 0xef) {
            need = 2;
            if (c == 0xe0) {
                lo = 0xa0; /* no overlong 3-byte forms */
            } else if (c == 0xed) {
                hi = 0x9f; /* no UTF-16 surrogates */
            }
        } else if (c >= 0xf0 && c <= 0xf4) {
            need = 3;
            if (c == 0xf0) {
                lo = 0x90; /* no overlong 4-byte forms */
            } else if (c == 0xf4) {
                hi = 0x8f; /* nothing above U+10FFFF */
            }
        } else {
            return i;
        }
        if (n - i <= need) {
            return i;
        }
        if (s[i + 1] < lo || s[i + 1] > hi) {
            return i;
        }
        for (size_t k = 2; k <= need; k++) {
            if ((s[i + k] & 0xc0) != 0x80) {
                return i;
            }
        }
        i += need + 1;
    }
    return n;
}

/* --- stable sort -------------------------------------------------------------- */

void tgm__stable_sort_idx(size_t *idx, size_t *tmp, size_t n, tgm_idx_cmp_fn cmp, const void *ctx) {
    /* Insertion-sort short runs, then merge bottom-up (ties keep the left
     * run first, which keeps the sort stable). */
    const size_t run = 16;
    for (size_t lo = 0; lo < n; lo += run) {
        size_t hi = lo + run < n ? lo + run : n;
        for (size_t i = lo + 1; i < hi; i++) {
            size_t x = idx[i];
            size_t j = i;
            while (j > lo && cmp(ctx, idx[j - 1], x) > 0) {
                idx[j] = idx[j - 1];
                j--;
            }
            idx[j] = x;
        }
    }
    size_t *src = idx, *dst = tmp;
    for (size_t width = run; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi) {
                dst[k++] = cmp(ctx, src[j], src[i]) < 0 ? src[j++] : src[i++];
            }
            while (i < mid) {
                dst[k++] = src[i++];
            }
            while (j < hi) {
                dst[k++] = src[j++];
            }
        }
        size_t *t = src;
        src = dst;
        dst = t;
        if (width > SIZE_MAX / 4) {
            break;
        }
    }
    if (src != idx) {
        memcpy(idx, src, n * sizeof *idx);
    }
}

const char *tgm__cbor_kind(const tgm_val *v) {
    switch (v->kind) {
    case TGM_V_INT:
        return "integer";
    case TGM_V_BYTES:
        return "byte-string";
    case TGM_V_FLOAT:
        return "float";
    case TGM_V_BOOL:
        return "boolean";
    case TGM_V_NULL:
        return "null";
    case TGM_V_TAG:
        return "tagged value";
    case TGM_V_ARRAY:
        return "array";
    case TGM_V_MAP:
        return "map";
    case TGM_V_TEXT:
        return "text";
    default:
        return "unknown CBOR value kind";
    }
}
