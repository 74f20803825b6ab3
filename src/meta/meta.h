/* Tensogram metadata model (WIRE_FORMAT §6): global metadata (base /
 * _reserved_ / _extra_), data-object descriptors, index and hash frames,
 * provenance.  Everything lives in an arena owned by the caller. */
#ifndef TGM_META_META_H
#define TGM_META_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cbor/value.h"
#include "common/arena.h"
#include "common/buf.h"
#include "dtype/dtype.h"

#define TGM_RESERVED_KEY "_reserved_"
#define TGM_EXTRA_KEY "_extra_"

/* ---- global metadata ---------------------------------------------------
 * Sections are maps whose keys are text, sorted by byte order and unique
 * (the reference models them as ordered string maps).  Values are kept as
 * read (nested maps in wire order). */
typedef struct tgm_global_meta {
    size_t nbase;
    tgm_val *base;     /* array of nbase map values (NULL when nbase == 0) */
    tgm_val *reserved; /* map (never NULL after init) */
    tgm_val *extra;    /* map (never NULL after init) */
} tgm_global_meta;

/* Empty metadata in arena a. */
tgm_error tgm__gmeta_init(tgm_arena *a, tgm_global_meta *m);

/* Interpret a decoded CBOR metadata frame (§6.1): top-level keys must be
 * text; "base" an array of maps with text keys, "_reserved_" / "_extra_"
 * maps; every other key is routed into _extra_ (a key present both at top
 * level and inside _extra_ is an error). */
tgm_error tgm__gmeta_from_cbor(tgm_arena *a, const tgm_val *root, tgm_global_meta *out);

/* Tests only: when set, the direct readers of this module
 * (tgm__desc_read_fast, tgm__gmeta_check_fast, the index and hash frame
 * readers) decline everything, so that a test can run the generic path
 * on the same input and compare.  Set it only while no other thread
 * decodes. */
extern bool tgm__meta_direct_off;

/* ---- metadata kept as CBOR (gmeta_fast.c) --------------------------------
 * A decode keeps the metadata frame's bytes after a walk that checks them
 * as tgm__cbor_decode + tgm__gmeta_from_cbor would, and builds the
 * sections only when they are asked for. */
typedef struct tgm_meta_bytes {
    const uint8_t *cbor; /* NULL: the metadata was built eagerly */
    size_t len;
    size_t nbase; /* base entries once built (padded to the object count) */
    /* Set by tgm__gmeta_check_fast_into (else worked out per lookup): the
     * offsets of the last "base" array and "_extra_" map (SIZE_MAX when
     * absent) and the number of free-form top-level keys. */
    bool has_layout;
    size_t base_at, extra_at, nfree;
} tgm_meta_bytes;

/* True when tgm__cbor_decode + tgm__gmeta_from_cbor would accept
 * cbor[0..len) (trailing bytes allowed); *nbase receives the length of
 * its base array.  False (nothing recorded) for errors and for the forms
 * left to the generic path (indefinite lengths, top-level keys that also
 * need the _extra_ collision check): the caller then parses eagerly,
 * which decides and words the error. */
bool tgm__gmeta_check_fast(const uint8_t *cbor, size_t len, size_t *nbase);
/* The same check, filling all of *mb (cbor, len, nbase, layout) on true. */
bool tgm__gmeta_check_fast_into(const uint8_t *cbor, size_t len, tgm_meta_bytes *mb);

/* Build metadata from bytes tgm__gmeta_check_fast accepted, base padded
 * with empty maps to mb->nbase entries. */
tgm_error tgm__gmeta_from_bytes(tgm_arena *a, const tgm_meta_bytes *mb, tgm_global_meta *out);

/* tgm__meta_lookup (obj SIZE_MAX) or tgm__meta_lookup_at (obj) of one
 * dotted path, read straight from bytes tgm__gmeta_check_fast accepted,
 * with the answers of the sections tgm__gmeta_from_bytes would build.
 * 1: found, *out holds the value when it is a scalar (text pointing into
 * mb->cbor, not NUL-terminated; containers, byte strings and tags by kind
 * only); 0: not found; -1: not answered here (build the sections). */
int tgm__gmeta_get_fast(const tgm_meta_bytes *mb, size_t obj, const char *path, tgm_val *out);

/* Build the CBOR value of a metadata frame: {"base"?, "_reserved_"?,
 * "_extra_"?}, empty sections omitted. */
tgm_error tgm__gmeta_to_val(tgm_arena *a, const tgm_global_meta *m, tgm_val **out);

/* Metadata from the encode JSON of the C API (already parsed): consumes
 * "descriptors" (returned in *descriptors, may be NULL when absent),
 * "base", "version" (legacy, routed to _extra_), "_extra_" / "extra"
 * (explicit beats implicit), every other key -> _extra_.  "base" entries
 * must not contain _reserved_; a top-level _reserved_ is rejected.
 * Errors are TGM_ERROR_METADATA with the reference's texts. */
tgm_error tgm__gmeta_from_encode_json(tgm_arena *a, const tgm_val *root, bool allow_descriptors,
                                      tgm_global_meta *out, const tgm_val **descriptors);

/* Sort a map's entries by key text and drop earlier duplicates, in place
 * (keys must be text).  Returns a new map in arena a. */
tgm_val *tgm__section_normalise(tgm_arena *a, const tgm_val *map);

/* Insert or replace key -> value in a normalised section map (returns the
 * new map; the old one is left in the arena). */
tgm_val *tgm__section_set(tgm_arena *a, const tgm_val *map, const char *key, const tgm_val *value);

/* ---- descriptors -------------------------------------------------------- */
/* masks[0] = "nan", masks[1] = "inf+", masks[2] = "inf-" (canonical order). */
#define TGM_DESC_MASKS 3

typedef struct tgm_mask_desc {
    bool present;
    const char *method; /* NUL-terminated (arena) */
    uint64_t offset;    /* from the start of the payload region */
    uint64_t length;
    const tgm_val *params; /* map or NULL */
} tgm_mask_desc;

typedef struct tgm_descriptor {
    /* The descriptor map as read (or as built); NULL when the descriptor
     * was read directly from its CBOR (tgm__desc_read_fast): then `params`
     * holds its parameters and tgm__desc_map builds the map from `cbor`. */
    const tgm_val *map;
    const tgm_val *params; /* map == NULL: every non-fixed entry, wire order (NULL: none) */
    const uint8_t *cbor;   /* map == NULL: the descriptor's CBOR (in the reader's arena) */
    size_t cbor_len;
    const char *obj_type;
    uint64_t ndim;
    size_t nshape;
    const uint64_t *shape;
    size_t nstrides;
    const uint64_t *strides;
    tgm_dtype dtype;
    bool big_endian;         /* byte order of the payload */
    bool byte_order_present; /* false: absent from the descriptor (native assumed) */
    const char *encoding;
    const char *filter;
    const char *compression;
    bool has_masks; /* a "masks" key was present */
    tgm_mask_desc masks[TGM_DESC_MASKS];
    uint64_t num_elements; /* product of shape (1 for a scalar) */
    bool num_elements_overflow;
} tgm_descriptor;

/* Interpret a descriptor map (decoded CBOR or parsed JSON): required keys
 * type, ndim, shape, strides, dtype, encoding, filter, compression with
 * their types; byte_order optional (native when absent); optional masks.
 * Other keys are parameters (see tgm__desc_param).  `where` names the
 * object for error text ("descriptor of object 2"). */
tgm_error tgm__desc_from_val(tgm_arena *a, const tgm_val *map, const char *where,
                             tgm_descriptor *out);

/* num_elements (and num_elements_overflow) from shape[0..nshape). */
void tgm__desc_count_elements(tgm_descriptor *d);

/* Read a descriptor map straight from its CBOR (cbor[0..len), trailing
 * bytes allowed): the fixed keys into the struct, the parameters decoded
 * into d->params, a copy of the item's bytes into the arena (d->cbor)
 * for tgm__desc_map; no value tree.  Returns true with *consumed set
 * only when tgm__cbor_decode followed by tgm__desc_from_val would succeed
 * with the same descriptor; false (nothing recorded) for anything else,
 * errors and uncommon forms alike (indefinite lengths, masks, duplicate
 * fixed keys): the caller then takes that generic path, which decides. */
bool tgm__desc_read_fast(tgm_arena *a, const uint8_t *cbor, size_t len, tgm_descriptor *out,
                         size_t *consumed);

/* The descriptor map: d->map, or built from d->cbor into arena a (NULL
 * only on out-of-memory). */
const tgm_val *tgm__desc_map(tgm_arena *a, const tgm_descriptor *d);

/* A parameter (any key that is not one of the fixed descriptor keys);
 * NULL when absent. */
const tgm_val *tgm__desc_param(const tgm_descriptor *d, const char *key);

/* Structural checks shared by encode and decode: non-empty type, ndim ==
 * len(shape), len(strides) == len(shape), shape product without overflow. */
tgm_error tgm__desc_check_shape(const tgm_descriptor *d);

/* Build the descriptor map written on the wire: the fixed keys (byte_order
 * always explicit), optional masks, then every parameter of `params` (a map
 * of extra keys, may be NULL) - overridden by `overrides` (may be NULL). */
tgm_error tgm__desc_build_val(tgm_arena *a, const tgm_descriptor *d, const tgm_val *params,
                              const tgm_val *masks_val, tgm_val **out);

/* tgm__desc_build_val, and the descriptor tgm__desc_from_val would read
 * from the map built (*fd, its map the one built), without that read. */
tgm_error tgm__desc_build(tgm_arena *a, const tgm_descriptor *d, const tgm_val *params,
                          const tgm_val *masks_val, tgm_val **out, tgm_descriptor *fd);

/* Parameters of a descriptor: every non-fixed key, as a map (arena). */
tgm_val *tgm__desc_params_map(tgm_arena *a, const tgm_descriptor *d);

/* Typed parameter getters with the reference's error texts.
 * get_*: required ("missing required parameter: <key>"); *_or: default when
 * absent, error when present with the wrong type. */
tgm_error tgm__param_u64(const tgm_descriptor *d, const char *key, uint64_t *out);
tgm_error tgm__param_i64(const tgm_descriptor *d, const char *key, int64_t *out);
tgm_error tgm__param_i64_or(const tgm_descriptor *d, const char *key, int64_t dflt, int64_t *out);
tgm_error tgm__param_f64(const tgm_descriptor *d, const char *key, double *out);
tgm_error tgm__param_text_or(const tgm_descriptor *d, const char *key, const char *dflt,
                             const char **out);

/* ---- index and hash frames (§6.2, §6.3) ---------------------------------- */
tgm_error tgm__index_to_cbor(const uint64_t *offsets, const uint64_t *lengths, size_t n,
                             tgm_buf *out);
/* offsets, lengths and n all NULL: the frame is checked (same errors),
 * nothing is kept; the same for algorithm, hashes and n below. */
tgm_error tgm__index_from_cbor(tgm_arena *a, const uint8_t *cbor, size_t len, uint64_t **offsets,
                               uint64_t **lengths, size_t *n);
tgm_error tgm__hashframe_to_cbor(const uint64_t *hashes, size_t n, tgm_buf *out);
/* algorithm text and hex strings; *algorithm is "" when absent. */
tgm_error tgm__hashframe_from_cbor(tgm_arena *a, const uint8_t *cbor, size_t len,
                                   const char **algorithm, const tgm_val **hashes, size_t *n);

/* ---- provenance ------------------------------------------------------------ */
/* The _reserved_ map of a new message: {"encoder": {"name", "version"},
 * "time": "YYYY-MM-DDThh:mm:ssZ", "uuid": v4}.  TENSOGRAM_PROVENANCE (a JSON
 * object with "encoder" (object or version string), "time", "uuid")
 * replaces the live values, for reproducible output. */
tgm_error tgm__provenance(tgm_arena *a, tgm_val **out);

/* The live provenance values of a new message, for writers that patch
 * them into metadata laid out in advance: a fresh v4 UUID and the UTC time
 * stamp (20 characters until the year 9999).  *live is false (and nothing
 * written) when TENSOGRAM_PROVENANCE is set: tgm__provenance then decides. */
tgm_error tgm__provenance_live(bool *live, char uuid[37], char now[32]);
/* The same values whatever the environment says. */
tgm_error tgm__provenance_fresh(char uuid[37], char now[32]);
/* The _reserved_ map tgm__provenance builds without TENSOGRAM_PROVENANCE,
 * with the given uuid and time texts. */
tgm_error tgm__provenance_with(tgm_arena *a, const char *uuid, const char *now, tgm_val **out);

/* Per-object _reserved_: {"tensor": {"ndim", "shape", "strides", "dtype"}}. */
tgm_error tgm__tensor_reserved(tgm_arena *a, const tgm_descriptor *d, tgm_val **out);

/* ---- path lookup (C API semantics) ---------------------------------------- */
/* Walk a dotted path inside a map value; NULL when absent. */
const tgm_val *tgm__path_walk(const tgm_val *root, const char *path);
/* Message-level lookup: first match across base[i] (hiding _reserved_ at the
 * first segment), then _extra_; "extra." / "_extra_." target _extra_. */
const tgm_val *tgm__meta_lookup(const tgm_global_meta *m, const char *path);
/* Per-object lookup in base[i] only (hiding _reserved_ at the first segment). */
const tgm_val *tgm__meta_lookup_at(const tgm_global_meta *m, size_t i, const char *path);

#endif
