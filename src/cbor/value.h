/* The metadata value model: a tree of CBOR data items.
 *
 * One node type (tgm_val) covers every CBOR major type.  Trees live in an
 * arena (common/arena.h): nodes, strings and child arrays are allocated
 * there and freed together.  The public opaque `tgm_value_t` handle is a
 * `const tgm_val *` cast, so value cursors cost nothing.
 *
 * Integers keep CBOR's full range (-2^64 .. 2^64-1): `u` holds the CBOR
 * argument and `neg` says whether the item was major type 1, so the value is
 * `neg ? -1 - u : u`.
 *
 * Maps store their entries in wire order as `2*n` consecutive nodes
 * (key, value, key, value, ...).  Duplicate keys are kept as read; helpers
 * that look keys up return the *last* occurrence (the behaviour of a map
 * built by inserting entries in order).
 *
 * This module knows nothing of Tensogram keys. */
#ifndef TGM_CBOR_VALUE_H
#define TGM_CBOR_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/arena.h"
#include "tensogram/tensogram.h"

typedef enum tgm_vkind {
    TGM_V_NULL = 0,
    TGM_V_BOOL,
    TGM_V_INT,
    TGM_V_FLOAT,
    TGM_V_TEXT,
    TGM_V_BYTES,
    TGM_V_ARRAY,
    TGM_V_MAP,
    TGM_V_TAG,       /* CBOR tag: `tag` + one child in items[0] */
    TGM_V_UNDEFINED, /* CBOR simple value 23 */
    TGM_V_SIMPLE     /* other CBOR simple values (u holds the number) */
} tgm_vkind;

typedef struct tgm_val tgm_val;

struct tgm_val {
    uint8_t kind;   /* tgm_vkind */
    uint8_t neg;    /* TGM_V_INT: 1 for negative integers (major type 1) */
    uint8_t fwidth; /* TGM_V_FLOAT: 2, 4 or 8 = width read from the wire (0 = built) */
    uint8_t flags;  /* TGM_VAL_F_* */
    union {
        bool b;
        uint64_t u; /* TGM_V_INT argument; TGM_V_SIMPLE number; TGM_V_TAG tag number */
        double f;
    } num;
    /* TGM_V_TEXT / TGM_V_BYTES: `str` points to `len` bytes; text is also
     * NUL-terminated (interior NULs are possible; always use len).
     * TGM_V_ARRAY: `items[0..len)`; TGM_V_MAP: `items[0..2*len)`
     * alternating key, value; TGM_V_TAG: items[0] is the tagged item. */
    size_t len;
    union {
        const char *str;
        tgm_val *items;
    } p;
};

/* Flags recorded by the decoder for the canonical-form check. */
#define TGM_VAL_F_INDEFINITE 0x01u  /* indefinite-length encoding was used */
#define TGM_VAL_F_NONSHORTEST 0x02u /* integer/length argument not in shortest form */
/* Array/map whose items were allocated by the editing helpers below, with
 * room for at least tgm__val_room(len) entries (deep copies clear it). */
#define TGM_VAL_F_ROOM 0x04u

/* --- constructors (arena allocated; NULL on out-of-memory) ------------- */
tgm_val *tgm__val_new(tgm_arena *a, tgm_vkind kind);
tgm_val *tgm__val_null(tgm_arena *a);
tgm_val *tgm__val_bool(tgm_arena *a, bool b);
tgm_val *tgm__val_uint(tgm_arena *a, uint64_t u);
tgm_val *tgm__val_int(tgm_arena *a, int64_t i);
tgm_val *tgm__val_float(tgm_arena *a, double f);
tgm_val *tgm__val_text(tgm_arena *a, const char *s, size_t n); /* copies */
tgm_val *tgm__val_cstr(tgm_arena *a, const char *s);           /* copies */
tgm_val *tgm__val_bytes(tgm_arena *a, const uint8_t *s, size_t n);
/* Arrays/maps with `n` zero-initialised (TGM_V_NULL) slots to fill in place. */
tgm_val *tgm__val_array(tgm_arena *a, size_t n);
tgm_val *tgm__val_map(tgm_arena *a, size_t n);

/* Initialise an existing node in place (no allocation for scalars). */
void tgm__val_set_null(tgm_val *v);
void tgm__val_set_uint(tgm_val *v, uint64_t u);
void tgm__val_set_int(tgm_val *v, int64_t i);
void tgm__val_set_float(tgm_val *v, double f);
void tgm__val_set_bool(tgm_val *v, bool b);
int tgm__val_set_text(tgm_arena *a, tgm_val *v, const char *s, size_t n); /* 0 ok, -1 oom */

/* Deep copy into arena `a`; NULL on out-of-memory. */
tgm_val *tgm__val_clone(tgm_arena *a, const tgm_val *src);
int tgm__val_copy_into(tgm_arena *a, tgm_val *dst, const tgm_val *src); /* 0 ok, -1 oom */

/* --- editing (trees whose nodes all live in one arena) ------------------
 * Containers grow by doubling: an append reallocates the items only when
 * they are full, so n appends cost O(n) time and arena space.  Growing or
 * shrinking a container moves its items: pointers to its members are then
 * stale. */
/* The value of the first entry of `map` with text key key[0..klen); when
 * there is none, a new entry (key copied, value null) is appended.  NULL
 * on out-of-memory or when map is not a map. */
tgm_val *tgm__val_map_member(tgm_arena *a, tgm_val *map, const char *key, size_t klen);
/* A new null element at the end of `array`; NULL on out-of-memory or when
 * array is not an array. */
tgm_val *tgm__val_array_append(tgm_arena *a, tgm_val *array);
/* Remove every entry of `map` with text key key[0..klen); returns how many
 * were removed. */
size_t tgm__val_map_remove(tgm_val *map, const char *key, size_t klen);
/* True when v nests deeper than `limit` levels (a scalar is level 1). */
bool tgm__val_deeper_than(const tgm_val *v, unsigned limit);

/* --- accessors -------------------------------------------------------- */
/* Map lookup by text key (last occurrence wins); NULL if absent or not a map. */
const tgm_val *tgm__val_map_get(const tgm_val *map, const char *key);
const tgm_val *tgm__val_map_getn(const tgm_val *map, const char *key, size_t keylen);
/* Key / value of entry i of a map (no bounds check beyond i < len). */
static inline const tgm_val *tgm__val_map_key(const tgm_val *m, size_t i) {
    return &m->p.items[2 * i];
}
static inline const tgm_val *tgm__val_map_value(const tgm_val *m, size_t i) {
    return &m->p.items[2 * i + 1];
}
/* Exact text equality.  Inline so that strlen of a literal folds away:
 * descriptor and metadata code compares keys against literals a lot. */
static inline bool tgm__val_is_text(const tgm_val *v, const char *s) {
    size_t n = strlen(s);
    return v != NULL && v->kind == TGM_V_TEXT && v->len == n &&
           (n == 0 || memcmp(v->p.str, s, n) == 0);
}

/* Integer extraction with range checks: return true on success. */
bool tgm__val_to_i64(const tgm_val *v, int64_t *out);
bool tgm__val_to_u64(const tgm_val *v, uint64_t *out);
/* float, or integer widened to double */
bool tgm__val_to_f64(const tgm_val *v, double *out);

/* Structural equality (floats compared by bit pattern, maps by entry order). */
bool tgm__val_equal(const tgm_val *a, const tgm_val *b);
/* The same, with maps compared as the maps they denote: the same text
 * keys, each with an equal value (the first occurrence of a key counts),
 * in any order; maps with other than text keys compare by entry order.
 * Nesting deeper than `limit` levels compares unequal. */
bool tgm__val_same(const tgm_val *a, const tgm_val *b, unsigned limit);

/* Human-readable kind name ("integer", "text", "map", ...). */
const char *tgm__val_kind_name(const tgm_val *v);

/* The reference's name for a value's kind in messages ("integer", "text",
 * "byte-string", "float", "boolean", "null", "tagged value", "array",
 * "map"). */
const char *tgm__cbor_kind(const tgm_val *v);

#endif
