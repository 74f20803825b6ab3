/* The frame emitter: every frame of every message this library writes
 * goes through it, whether the message is built in memory (buffered
 * encoding, tgm__msg_encode) or written to an I/O sink as it is produced
 * (the streaming encoder, stream/).
 *
 * It lays out the frames of WIRE_FORMAT §2-§7: the 16-byte frame header,
 * the body, the footer (hash slot + ENDF, or cbor_offset + hash slot + ENDF
 * for NTensorFrame), and the zero padding to the next multiple of 8 from
 * the message start; it fills the hash slots (xxh3 of the body, §2.5) when
 * hashing.  Two outputs:
 *  - a tgm_buf, appended to (a growing buffer, or a window of a buffer
 *    laid out in advance: tgm__buf_over);
 *  - a tgm_sink (io/): small pieces are gathered in a staging buffer that
 *    goes to the sink on tgm__emit_flush, large ones (payload chunks) go
 *    straight to the sink after what is staged.
 * A sink output is broken by its first write error: every later call
 * fails (the caller reports what was lost). */
#ifndef TGM_MESSAGE_EMIT_H
#define TGM_MESSAGE_EMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "hash/hash.h"
#include "io/io.h"
#include "pipeline/pipeline.h"
#include "wire/wire.h"

typedef struct tgm_emit {
    uint64_t pos; /* bytes of the message emitted so far (padding is relative to it) */
    bool hashing; /* hash slots hold xxh3 digests; frames carry HASH_PRESENT */
    tgm_buf *buf; /* memory output, or NULL */
    tgm_sink *sink;
    tgm_buf stage; /* sink output: staged bytes (capacity reserved once) */
    bool broken;   /* sink output: a write failed */
    size_t chunk;  /* payloads are copied and hashed in pieces of this size */
    tgm_hasher *hasher;
    uint64_t frame_end; /* frame being written piece by piece: where its body ends */
} tgm_emit;

/* Output to `out` (appended to); `pos` is the message offset of out->len
 * (0 for a whole message, the frame's offset for a window). */
void tgm__emit_to_buf(tgm_emit *e, tgm_buf *out, uint64_t pos, bool hashing);
/* Output to `sink` (borrowed); allocates the staging buffer. */
tgm_error tgm__emit_to_sink(tgm_emit *e, tgm_sink *sink, bool hashing);
/* Sink output: hand the staged bytes to the sink (after each operation,
 * so that the sink holds whole frames). */
tgm_error tgm__emit_flush(tgm_emit *e);
/* Forget what is staged (a new message on a sink). */
void tgm__emit_reset(tgm_emit *e);
void tgm__emit_free(tgm_emit *e);

/* Bytes outside frames (preamble, postamble), and the padding. */
tgm_error tgm__emit_bytes(tgm_emit *e, const void *p, size_t n);
tgm_error tgm__emit_pad(tgm_emit *e);

/* total_length of a frame with a `body`-byte body and the common footer. */
static inline uint64_t tgm__emit_frame_size(uint64_t body) {
    return TGM_FRAME_HEADER_SIZE + body + TGM_FRAME_COMMON_FOOTER_SIZE;
}

/* A frame with the common footer, its body in one piece, then padding. */
tgm_error tgm__emit_frame(tgm_emit *e, uint16_t type, const uint8_t *body, size_t n);
/* The same with the body in pieces: begin (the body's length is known),
 * any number of pieces adding up to it, end. */
tgm_error tgm__emit_frame_begin(tgm_emit *e, uint16_t type, uint64_t body_len);
tgm_error tgm__emit_frame_piece(tgm_emit *e, const void *p, size_t n);
tgm_error tgm__emit_frame_end(tgm_emit *e);

/* total_length of the NTensorFrame of `o` with a descriptor of `cbor_len`
 * bytes; TGM_ERROR_FRAMING when it does not fit in 64 bits with room. */
tgm_error tgm__emit_object_size(const tgm_encoded_obj *o, size_t cbor_len, uint64_t *out);
/* The NTensorFrame (§6.5) of an encoded object: header, payload, mask
 * blobs, descriptor CBOR (`cbor`), footer, padding; *hash receives the
 * frame's xxh3 (0 when not hashing).  A payload that still needs its
 * NaN / Inf check (check_finite_on_copy) is checked while it is copied
 * into memory, and before its first byte is written to a sink. */
tgm_error tgm__emit_object(tgm_emit *e, const tgm_encoded_obj *o, const tgm_buf *cbor,
                           uint64_t *hash);
/* A payload checked and hashed ahead, range by range, where it lies in
 * its frame (tgm_encode_fill_commit_range): p[0..n) of o's payload checked
 * for NaN / Inf when o->check_finite_on_copy, and fed to `h` (NULL: not
 * hashed), in chunks the check and the hash share while in cache. */
tgm_error tgm__emit_payload_range(const tgm_encoded_obj *o, const uint8_t *p, size_t n,
                                  tgm_hasher *h);
/* tgm__emit_object for such a payload (memory output, the payload already
 * at its place): the header, the rest of the body and the footer, the
 * hash carried on from `h` (which holds the payload; NULL without
 * hashing).  The bytes and hash are tgm__emit_object's. */
tgm_error tgm__emit_object_hashed(tgm_emit *e, const tgm_encoded_obj *o, const tgm_buf *cbor,
                                  tgm_hasher *h, uint64_t *hash);
/* The same frame without its payload (memory output only): every byte
 * but the payload's is written, the payload is checked and hashed where
 * it is, and the position moves past it as if it had been written (the
 * caller puts it between the two parts, tgm__msg_encode_gather). */
tgm_error tgm__emit_object_gapped(tgm_emit *e, const tgm_encoded_obj *o, const tgm_buf *cbor,
                                  uint64_t *hash);

#endif
