/* The per-object encoding pipeline: encoding -> filter -> compression and
 * back, plus NaN/Inf masks and partial (range) decode.  Translates a
 * descriptor into codec parameters; knows nothing of frames. */
#ifndef TGM_PIPELINE_PIPELINE_H
#define TGM_PIPELINE_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cbor/value.h"
#include "common/arena.h"
#include "common/buf.h"
#include "masks/masks.h"
#include "meta/meta.h"

struct tgm_encoded_obj;

/* The payload's place in the message being written, lent to the codec so
 * that it compresses straight into the frame: called once the final
 * descriptor is known (o->desc and o->desc_val set, no payload yet) with
 * an estimate of the bytes the codec will write.  Returns a buffer over
 * caller memory (tgm__buf_over, len 0) or NULL (then an owned buffer).  A
 * codec that needs more room than the slot has is run again into an owned
 * buffer. */
typedef tgm_buf *(*tgm_payload_slot_fn)(void *ctx, const struct tgm_encoded_obj *o,
                                        size_t estimate);

typedef struct tgm_encode_opts {
    bool hashing;
    uint32_t threads; /* resolved thread budget for this object (>= 1) */
    bool pre_encoded; /* data is already encoded: validate, don't transform */
    bool stored;      /* pre_encoded payload region as stored in a message
                       * (compressed encoding-none payloads and mask blobs allowed) */
    bool allow_nan;
    bool allow_inf;
    const char *mask_method[3];   /* nan, inf+, inf- ; NULL = default ("roaring") */
    int64_t small_mask_threshold; /* bytes; < 0 = default (128) */
    tgm_payload_slot_fn slot;     /* NULL: compressed payloads go to an owned buffer */
    void *slot_ctx;
} tgm_encode_opts;

/* One encoded object, ready to be framed. */
typedef struct tgm_encoded_obj {
    const uint8_t *payload; /* borrowed input (passthrough) or owned.data */
    size_t payload_len;
    tgm_buf owned;       /* encoded payload when the pipeline transformed the data */
    tgm_buf masks;       /* mask blobs in canonical order (nan, inf+, inf-) */
    tgm_val *desc_val;   /* descriptor map to write (arena) */
    tgm_descriptor desc; /* the same, interpreted */
    /* Passthrough payloads of float dtypes are checked for NaN / Inf while
     * they are copied into the frame (one pass over the data). */
    bool check_finite_on_copy;
    /* The payload was compressed into the slot lent by the caller
     * (tgm_encode_opts.slot): `payload` points into the caller's buffer. */
    bool in_slot;
} tgm_encoded_obj;

/* The deferred check of a passthrough payload: called on consecutive
 * chunks (whole elements) as they are copied; on a non-finite value it
 * re-scans the whole payload to report the reference's exact error. */
tgm_error tgm__pipeline_check_chunk(const tgm_encoded_obj *o, const uint8_t *chunk, size_t n);

/* Encode `data` (len bytes) described by `in` (a descriptor from the user,
 * possibly lacking computed parameters).  Checks shape/size, runs
 * NaN/Inf substitution, the encoding, filter and compression, computes
 * simple_packing parameters when absent, records szip block offsets and
 * masks, and builds the final descriptor. */
tgm_error tgm__pipeline_encode(tgm_arena *a, const tgm_descriptor *in, const uint8_t *data,
                               size_t len, const tgm_encode_opts *o, tgm_encoded_obj *out);
void tgm__encoded_obj_free(tgm_encoded_obj *e);

typedef struct tgm_decode_opts {
    bool native_byte_order;
    bool restore_non_finite;
    uint32_t threads;
} tgm_decode_opts;

/* Bytes that decoding the object produces (elements x width, or
 * ceil(n/8) for bitmask). */
tgm_error tgm__pipeline_decoded_size(const tgm_descriptor *d, size_t *out);

/* Whether the descriptor names no encoding, filter or compression ("none"
 * all three) and its shape product did not overflow: the common objects
 * that the decode functions below copy without resolving a plan. */
bool tgm__pipeline_plain(const tgm_descriptor *d);

/* Before allocating for a decode: resolve the descriptor, check the
 * decoded size against the object cap (common/limits.h) and that a
 * payload of `plen` bytes can decode to it (exact size when uncompressed,
 * the codec's best-case expansion otherwise; pipeline/bounds.c).  Writes
 * the decoded size. */
tgm_error tgm__pipeline_precheck(const tgm_descriptor *d, size_t plen, size_t *decoded_size);

/* Decode an object's payload into dst (exactly the decoded size).
 * `region` / `region_len` is the whole payload region (payload + masks),
 * used to locate mask blobs. */
tgm_error tgm__pipeline_decode(const tgm_descriptor *d, const uint8_t *payload, size_t plen,
                               const uint8_t *region, size_t region_len, const tgm_decode_opts *o,
                               uint8_t *dst, size_t dst_len);

/* Decode elements [offset, offset + count) into dst (count x width bytes). */
tgm_error tgm__pipeline_decode_range(const tgm_descriptor *d, const uint8_t *payload, size_t plen,
                                     const uint8_t *region, size_t region_len,
                                     const tgm_decode_opts *o, uint64_t offset, uint64_t count,
                                     uint8_t *dst);

/* Decode the NaN / Inf masks stored with an object (WIRE_FORMAT §6.5):
 * the descriptor's "masks" entries locate each blob in the payload region.
 * None stored: an empty set.  The set is sized for the descriptor's
 * element count, which the caller has checked against the payload
 * (tgm__pipeline_precheck), so the masks are never larger than the
 * decoded values. */
tgm_error tgm__pipeline_decode_masks(const tgm_descriptor *d, const uint8_t *region,
                                     size_t region_len, tgm_mask_set *set);

/* Validate a descriptor's pipeline configuration (names, parameters,
 * combinations) without data: the checks encode would make. */
tgm_error tgm__pipeline_check(const tgm_descriptor *d);

#endif
