/* Messages whose payloads the caller writes in place (encode_fill.c, the
 * public tgm_encode_fill_* of api/encode_fill.c), and the pieces of the
 * buffered encoder (encode.c) they are built from. */
#ifndef TGM_MESSAGE_FILL_H
#define TGM_MESSAGE_FILL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/buf.h"
#include "hash/hash.h"
#include "message/message.h"
#include "meta/meta.h"
#include "pipeline/pipeline.h"

/* A message's layout, computed without writing it. */
typedef struct tgm_msg_layout {
    size_t *frame_at;  /* NULL, or receives each data-object frame's offset */
    size_t *frame_len; /* NULL, or receives each data-object frame's length (unpadded) */
    size_t payload0;   /* where object 0's payload starts (0 without objects) */
    size_t total;      /* the message's length */
} tgm_msg_layout;

/* base[i]._reserved_.tensor from the final descriptors of `objs`, and a
 * new provenance: the sections the library adds to the caller's `in`. */
tgm_error tgm__msg_sections(tgm_arena *a, const tgm_global_meta *in, const tgm_encoded_obj *objs,
                            size_t n, tgm_global_meta *full);

/* The frames of a message of encoded objects with its complete metadata
 * `full`, appended to `out` (tgm__msg_encode's writer).  `written` (NULL,
 * or one hash per object): the data-object frames are already in their
 * places after out->len (tgm__msg_write_frame), only the other frames are
 * written.  `layout_only` (NULL, or filled): compute the layout, write
 * nothing. */
tgm_error tgm__msg_write(tgm_arena *a, const tgm_global_meta *full, tgm_encoded_obj *objs, size_t n,
                         const tgm_msg_encode_opts *o, uint32_t budget, const uint64_t *written,
                         tgm_buf *out, tgm_msg_layout *layout_only);

/* The data-object frame of `obj` written at msg[at ..) (its place in a
 * laid-out message); *hash gets its xxh3 (0 without hashing).  A payload
 * already at its place in the frame is only checked (check_finite_on_copy)
 * and hashed.  `ahead`: the payload, in place, was checked and hashed
 * already, range by range (tgm__emit_payload_range), into `h` (NULL
 * without hashing). */
tgm_error tgm__msg_write_frame(uint8_t *msg, size_t at, const tgm_encoded_obj *obj, bool hashing,
                               bool ahead, tgm_hasher *h, uint64_t *hash);

/* The data-object frame of `obj` appended to the empty `out`, padded to 8
 * bytes: the bytes it has at any 8-aligned offset of a message (a frame
 * holds no absolute offset); *hash gets its xxh3 (0 without hashing). */
tgm_error tgm__msg_frame_to_buf(const tgm_encoded_obj *obj, bool hashing, tgm_buf *out,
                                uint64_t *hash);

/* ---- in-place encoding ---------------------------------------------------------------------
 *
 * begin: the metadata and descriptors (`arena` is taken over, it holds
 * them); when every object is stored as its raw values (encoding, filter
 * and compression "none", raw input, no masks given), the message is laid
 * out and allocated at once and each object's slot is its payload's place
 * in it; otherwise each slot is an input buffer of the raw size, and
 * finish runs the general encode on them.  slot: the writable bytes of
 * object i (any thread, distinct objects).  commit: object i is written;
 * its frame is finished now (checked for NaN / Inf as `flags` say,
 * hashed) while the values are in cache.  finish: the other frames; the
 * bytes tgm__msg_encode writes for the same data.  An object with
 * non-finite values to mask is encoded at its commit by the pipeline (its
 * frame, with the masks, at its slot's place when that overlaps no slot
 * placed after it, else into a buffer of its own); finish lays the
 * message out again with that frame's size, moves the frames written in
 * place to their new offsets (those whose slot was taken after the masked
 * frames were made are placed there already, within the room kept for
 * masks) and copies the masked frames in. */
typedef struct tgm_msg_fill tgm_msg_fill;

#define TGM_FILL_CHECK 0u     /* check the values as tgm__msg_encode would */
#define TGM_FILL_FINITE 1u    /* the caller has checked: no NaN / Inf */
#define TGM_FILL_NONFINITE 2u /* the caller knows of NaN / Inf: masks (if allowed) */

tgm_error tgm__msg_fill_begin(tgm_arena *arena, const tgm_global_meta *meta, tgm_descriptor *descs,
                              size_t n, const tgm_msg_encode_opts *o, tgm_msg_fill **out);
size_t tgm__msg_fill_count(const tgm_msg_fill *f);
tgm_error tgm__msg_fill_slot(tgm_msg_fill *f, size_t i, uint8_t **data, size_t *len);
tgm_error tgm__msg_fill_commit(tgm_msg_fill *f, size_t i, unsigned flags);
/* commit in ranges: bytes [off, off + len) of object i's slot are written
 * (flags as commit's, for these bytes).  Ranges come in order and cover
 * the slot exactly, on whole elements; the one that reaches the end
 * commits the object (the frame and flags of one commit of it all). */
tgm_error tgm__msg_fill_commit_range(tgm_msg_fill *f, size_t i, size_t off, size_t len,
                                     unsigned flags);
/* slot + copy of src[0..len) + commit, the copy fused with the check and
 * the hash (len must be the object's raw size); src is kept: the masks'
 * pipeline and finish's general encode read it rather than the slot. */
tgm_error tgm__msg_fill_copy(tgm_msg_fill *f, size_t i, const uint8_t *src, size_t len,
                             unsigned flags);
tgm_error tgm__msg_fill_finish(tgm_msg_fill *f, tgm_buf *out);
void tgm__msg_fill_free(tgm_msg_fill *f);

#endif
