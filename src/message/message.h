/* Messages: buffered encode, structural decode (frame walking with the
 * phase and preceder rules of WIRE_FORMAT §5), O(1) object location through
 * the index, and scanning of multi-message buffers (§9). */
#ifndef TGM_MESSAGE_MESSAGE_H
#define TGM_MESSAGE_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/buf.h"
#include "meta/meta.h"
#include "pipeline/pipeline.h"
#include "wire/wire.h"

/* A data-object frame located in a message. */
typedef struct tgm_obj_ref {
    size_t frame_off; /* from the message start */
    size_t frame_len; /* total_length (no padding) */
    uint16_t frame_flags;
    tgm_descriptor desc;
    const uint8_t *region; /* payload region: encoded payload followed by mask blobs */
    size_t region_len;
    const uint8_t *payload; /* encoded payload (mask-aware end) */
    size_t payload_len;
} tgm_obj_ref;

/* A parsed message.  Pointers refer into the caller's buffer and into the
 * arena passed to the parser. */
typedef struct tgm_msg {
    const uint8_t *buf;
    size_t len; /* message length (resolved for streaming messages) */
    tgm_preamble pre;
    tgm_global_meta meta;      /* empty when meta_bytes.cbor is set */
    tgm_meta_bytes meta_bytes; /* TGM_PARSE_LAZY_META: the metadata frame's bytes (in buf) */
    bool has_meta;
    size_t nobj;
    tgm_obj_ref *objs;
    bool has_index;
    size_t nindex;
    uint64_t *index_offsets;
    uint64_t *index_lengths;
    bool has_hash_frame;
    const char *hash_algorithm;
    const tgm_val *hashes;
    size_t nhashes;
} tgm_msg;

/* Parse modes. */
#define TGM_PARSE_FULL 0u       /* every frame, descriptors included */
#define TGM_PARSE_NO_OBJECTS 1u /* metadata, index and hash frames only */
/* Flag: keep the metadata as its checked CBOR (meta_bytes) when it has
 * the usual form (tgm__gmeta_check_fast) and no preceder frames. */
#define TGM_PARSE_LAZY_META 2u
/* Flag: index and hash frames are checked (same errors) but not kept:
 * nindex / index_* and nhashes / hashes stay empty (whole-message decode
 * reads neither). */
#define TGM_PARSE_NO_TABLES 4u

/* Parse the message that starts at buf[0] (buf may extend past it).
 * Checks the preamble, total_length, postamble, frame headers, ENDF
 * markers, phase order and preceder rules; merges preceder metadata into
 * base (preceder wins); at least one metadata frame is required. */
tgm_error tgm__msg_parse(const uint8_t *buf, size_t len, tgm_arena *a, unsigned mode, tgm_msg *out);
/* The same, with room for `nscratch` objects of the object table in the
 * caller's `scratch` (out->objs may then point there: the table lives as
 * long as scratch does). */
tgm_error tgm__msg_parse_with(const uint8_t *buf, size_t len, tgm_arena *a, unsigned mode,
                              tgm_obj_ref *scratch, size_t nscratch, tgm_msg *out);

/* Parse only the header frames and the footer frames (reached through the
 * postamble): metadata and index, no body walk.  Needs total_length.  The
 * metadata is left as checked bytes (meta_bytes, nbase not padded) when
 * it has the usual form. */
tgm_error tgm__msg_parse_ends(const uint8_t *buf, size_t len, tgm_arena *a, tgm_msg *out);

/* The first metadata frame's bytes (header or footer) when
 * tgm__gmeta_check_fast accepts them: *lazy true and *mb set (cbor points
 * into buf).  *lazy false: call tgm__msg_parse_metadata, which decides.
 * Framing errors are those of tgm__msg_parse_metadata. */
tgm_error tgm__msg_metadata_bytes(const uint8_t *buf, size_t len, tgm_meta_bytes *mb, bool *lazy);

/* Parse only metadata: the first metadata frame of the message (header or
 * footer), without touching data-object frames. */
tgm_error tgm__msg_parse_metadata(const uint8_t *buf, size_t len, tgm_arena *a,
                                  tgm_global_meta *out);

/* Locate and parse object `index` without parsing the other objects:
 * through the header or footer index when present, else by walking frame
 * headers.  `meta` (optional) receives the global metadata (preceders
 * merged).  TGM_ERROR_OBJECT when out of range. */
tgm_error tgm__msg_object(const uint8_t *buf, size_t len, size_t index, tgm_arena *a,
                          tgm_global_meta *meta, size_t *nobj, tgm_obj_ref *out);

/* Parse one data-object frame of `len` bytes at `p` (offset `at` in the
 * message, for messages). */
tgm_error tgm__msg_parse_object_frame(const uint8_t *p, size_t len, size_t at, tgm_arena *a,
                                      tgm_obj_ref *out);

/* Verify the inline hash of a data-object frame: TGM_ERROR_MISSING_HASH
 * when HASH_PRESENT is clear, TGM_ERROR_HASH_MISMATCH when it differs. */
tgm_error tgm__msg_verify_object_hash(const uint8_t *msgbuf, const tgm_obj_ref *o, size_t index);

/* ---- Pieces (pieces.c): parsing from parts of a message ------------------
 * For sources where every read is a round trip: a message of msg_len bytes
 * is parsed from its first head_len bytes (head) and its last tail_len
 * bytes (tail).  Header frames are read from head, footer frames (reached
 * through the postamble) from tail; each region is read only when the
 * preamble's flags announce frames there.  When a piece is too short,
 * *need_head / *need_tail receive the number of bytes needed at that end
 * (> the length given) and nothing else is written; the caller fetches
 * them and calls again.  On success *out holds the preamble, metadata
 * (the first metadata frame), index and hash frames (no objects). */
tgm_error tgm__msg_parse_pieces(const uint8_t *head, size_t head_len, const uint8_t *tail,
                                size_t tail_len, uint64_t msg_len, tgm_arena *a, tgm_msg *out,
                                uint64_t *need_head, uint64_t *need_tail);

/* The descriptor of a data-object frame of frame_len bytes (at offset `at`
 * in its message) from the frame's first head_len and last tail_len bytes
 * (head_len >= 16, tail_len >= 20).  The descriptor follows the payload
 * (CBOR_AFTER_PAYLOAD, what every encoder writes; other frames give
 * TGM_ERROR_FRAMING: read them whole).  When the tail does not reach back
 * to the descriptor, *need receives the tail length needed.  out->desc,
 * frame_off/len/flags, region_len and payload_len are set; region and
 * payload are NULL (the payload was not read). */
tgm_error tgm__msg_parse_descriptor_pieces(const uint8_t *head, size_t head_len,
                                           const uint8_t *tail, size_t tail_len, uint64_t frame_len,
                                           size_t at, tgm_arena *a, tgm_obj_ref *out,
                                           uint64_t *need);

/* Options of a whole-message encode (the encode direction's one options
 * struct; the public tgm_encode_options and the streaming options are
 * translated into it by api/). */
typedef struct tgm_msg_encode_opts {
    bool hashing;     /* xxh3 in every frame */
    bool header_hash; /* HeaderHash aggregate frame (when hashing) */
    bool footer_hash; /* FooterHash aggregate frame (when hashing) */
    uint32_t threads; /* requested budget (0: TENSOGRAM_THREADS, common/thread.h) */
    /* Per object: pre-encoded / stored input, NaN / Inf handling, mask
     * methods (hashing and threads are set from the fields above). */
    tgm_encode_opts object;
} tgm_msg_encode_opts;

/* Encode a whole message in buffered mode: each object through the
 * pipeline (objects side by side or each with the thread budget,
 * tgm__thread_split), base[i]._reserved_.tensor from the final
 * descriptors, the provenance, then the layout (header metadata, index and
 * hash, data frames, optional footer hash, postamble) appended to `out`.
 * `meta` holds the caller's sections (base entries without _reserved_,
 * _extra_); it is not modified.  Errors: the reference's texts
 * (TGM_ERROR_METADATA for more base entries than objects). */
tgm_error tgm__msg_encode(tgm_arena *a, const tgm_global_meta *meta, const tgm_descriptor *descs,
                          const uint8_t *const *data, const size_t *lens, size_t n,
                          const tgm_msg_encode_opts *o, tgm_buf *out);

/* The message of tgm__msg_encode, handed to `write` as pieces in order
 * instead of being assembled in memory: the frames around the payloads
 * are built in a small buffer, and each payload is passed where it is
 * (the caller's data for objects stored as given, the pipeline's output
 * otherwise), checked and hashed there first.  `write` is called once,
 * after every check has passed, with every piece (empty ones left out);
 * its error is returned.  Concatenated, the pieces are the bytes
 * tgm__msg_encode writes for the same input. */
typedef struct tgm_seg {
    const void *p;
    size_t n;
} tgm_seg;
typedef tgm_error (*tgm_msg_write_fn)(void *ctx, const tgm_seg *segs, size_t n);
tgm_error tgm__msg_encode_gather(tgm_arena *a, const tgm_global_meta *meta,
                                 const tgm_descriptor *descs, const uint8_t *const *data,
                                 const size_t *lens, size_t n, const tgm_msg_encode_opts *o,
                                 tgm_msg_write_fn write, void *ctx);

/* ---- templates (the public encoder handle) -------------------------------------
 * One metadata and descriptor list, many messages.  A template owns the
 * arena its descriptors and metadata were read into (moved from the
 * caller's, which is left empty).  Messages whose objects are all copied
 * unchanged (encoding, filter and compression "none", raw input, no NaN /
 * Inf masks to make) reuse the metadata and descriptor CBOR of the first
 * one, with the provenance texts patched in; others take the general
 * path (tgm__msg_encode) from the kept metadata and descriptors.  Bytes
 * are those tgm__msg_encode writes for the same input.  One thread at a
 * time per template. */
typedef struct tgm_msg_template tgm_msg_template;
tgm_error tgm__msg_template_new(tgm_arena *arena, const tgm_global_meta *meta,
                                tgm_descriptor *descs, size_t n, const tgm_msg_encode_opts *o,
                                tgm_msg_template **out);
/* True when every object of the template is copied unchanged (messages
 * reuse the compiled CBOR); false when each message takes the general path. */
bool tgm__msg_template_fast(const tgm_msg_template *t);
/* One message of n objects (the template's count; the caller checks). */
tgm_error tgm__msg_template_encode(tgm_msg_template *t, const uint8_t *const *data,
                                   const size_t *lens, tgm_buf *out);
/* Set key[0..klen) of base[object] (object < n), or of _extra_ (object ==
 * SIZE_MAX), to a copy of value, for the following messages. */
tgm_error tgm__msg_template_set(tgm_msg_template *t, size_t object, const char *key, size_t klen,
                                const tgm_val *value);
/* Copy the template's metadata into a fresh arena (drops what edits left
 * behind). */
tgm_error tgm__msg_template_compact(tgm_msg_template *t);
void tgm__msg_template_free(tgm_msg_template *t);

/* ---- decoding ---------------------------------------------------------------- */

/* What a decode produces. */
enum {
    TGM_DECODE_VALUES = 0,      /* objects decoded through the pipeline */
    TGM_DECODE_DESCRIPTORS = 1, /* descriptors (and hashes) only */
    TGM_DECODE_ENCODED = 2      /* descriptors and each payload region as stored */
};

/* The decode direction's one options struct (the API's positional
 * arguments and option structs are translated into it). */
typedef struct tgm_msg_decode_opts {
    bool native_byte_order;  /* values in host byte order (else as stored) */
    bool verify_hash;        /* check each decoded object's frame hash */
    bool restore_non_finite; /* NaN / Inf put back from the stored masks */
    uint32_t threads;        /* requested budget (0: TENSOGRAM_THREADS) */
    bool keep_masks;         /* keep the decoded masks with each object (no restoring) */
    int what;                /* TGM_DECODE_* */
} tgm_msg_decode_opts;

/* One decoded object: its descriptor (pointing into the decoded message's
 * arena), its bytes and what its frame stored. */
typedef struct tgm_decoded_obj {
    tgm_descriptor desc;
    uint8_t *data; /* tgm__malloc'd decoded bytes (payload region for TGM_DECODE_ENCODED) */
    size_t len;
    bool has_hash;
    char hash_hex[17];
    /* keep_masks only: the packed nan / inf+ / inf- masks (tgm__malloc'd,
     * NULL when the object stores none) over mask_bits elements. */
    uint8_t *masks[3];
    uint64_t mask_bits;
    bool data_in_arena; /* data is the decoded message's arena memory (not freed alone) */
} tgm_decoded_obj;

typedef struct tgm_decoded {
    tgm_arena arena;
    tgm_global_meta meta;      /* in arena; empty when meta_bytes.cbor is set */
    tgm_meta_bytes meta_bytes; /* the metadata as checked CBOR (in arena), built on demand */
    size_t nobj;
    tgm_decoded_obj *objs;
    bool objs_in_arena; /* objs is arena memory (small messages) */
    bool hosted;        /* the caller's handle is arena memory (tgm__msg_decode_hosted) */
} tgm_decoded;

/* Frees what d holds; for a hosted decode that includes the handle in
 * which *d may live, so pass a copy then. */
void tgm__decoded_free(tgm_decoded *d);

/* Every object of the message at buf (what o->what asks for).  Each
 * object's claimed size is checked before anything is allocated; hashes
 * are verified before decoding.  On failure *out is left empty. */
tgm_error tgm__msg_decode(const uint8_t *buf, size_t len, const tgm_msg_decode_opts *o,
                          tgm_decoded *out);
/* The same, with the caller's handle of `host_size` bytes carved out of
 * the decoded message's own memory (zeroed, 16-byte aligned), so that a
 * small message costs one allocation: *host receives it on success
 * (out->hosted set; it is freed with the message, by tgm__decoded_free). */
tgm_error tgm__msg_decode_hosted(const uint8_t *buf, size_t len, const tgm_msg_decode_opts *o,
                                 size_t host_size, void **host, tgm_decoded *out);
/* Object `index` only (out->nobj = 1), found through the index when the
 * message has one; the message metadata comes with it. */
tgm_error tgm__msg_decode_object(const uint8_t *buf, size_t len, size_t index,
                                 const tgm_msg_decode_opts *o, tgm_decoded *out);
/* Object `index` into caller memory: *out_len receives its decoded size;
 * dst NULL only asks for it; a dst_len too small is TGM_ERROR_INVALID_ARG. */
tgm_error tgm__msg_decode_object_into(const uint8_t *buf, size_t len, size_t index,
                                      const tgm_msg_decode_opts *o, void *dst, size_t dst_len,
                                      size_t *out_len);
/* The stored bytes of object `index` when they are its decoded values
 * (no pipeline, no masks, host byte order): *data points into buf;
 * otherwise *data is NULL.  *out_len is the decoded size either way. */
tgm_error tgm__msg_object_view(const uint8_t *buf, size_t len, size_t index, const uint8_t **data,
                               size_t *out_len);
/* Decode one located object (tgm__msg_object, tgm__msg_parse_object_frame)
 * into *out; msgbuf is the buffer its frame_off is relative to. */
tgm_error tgm__msg_decode_ref(const uint8_t *msgbuf, const tgm_obj_ref *r,
                              const tgm_msg_decode_opts *o, tgm_decoded_obj *out);
/* Element ranges [offsets[i], offsets[i] + counts[i]) of object `index`,
 * each into a tgm__malloc'd parts[i] of part_len[i] bytes (nothing left
 * allocated on failure).  NaN / Inf masks are decoded once for all. */
tgm_error tgm__msg_decode_ranges(const uint8_t *buf, size_t len, size_t index,
                                 const uint64_t *offsets, const uint64_t *counts, size_t nranges,
                                 const tgm_msg_decode_opts *o, uint8_t **parts, size_t *part_len);
/* The same on a located object (`index` only names it in messages). */
tgm_error tgm__msg_decode_ranges_ref(const tgm_obj_ref *ref, size_t index, const uint64_t *offsets,
                                     const uint64_t *counts, size_t nranges,
                                     const tgm_msg_decode_opts *o, uint8_t **parts,
                                     size_t *part_len);

/* Scanning (§9).  Entries are (offset, length) pairs; bytes between them
 * (garbage, torn messages) are simply not listed.  See scan.c for what is
 * accepted as a message and why scanning is linear on any input. */
typedef struct tgm_scan_opts {
    bool bidirectional;
    uint64_t max_message_size; /* backward hops larger than this are ignored */
} tgm_scan_opts;

tgm_error tgm__scan(const uint8_t *buf, size_t len, const tgm_scan_opts *o, tgm_u64vec *offsets,
                    tgm_u64vec *lengths);

/* Input read through a callback (files): `read` fills dst with exactly n
 * bytes at off or fails with the error detail set (a short read of a file
 * that shrank is an error).  Offsets in the result are absolute. */
typedef struct tgm_scan_reader {
    tgm_error (*read)(void *ctx, uint64_t off, void *dst, size_t n);
    void *ctx;
} tgm_scan_reader;

/* Scan bytes [from, to) of the reader's input. */
tgm_error tgm__scan_reader(const tgm_scan_reader *r, uint64_t from, uint64_t to,
                           const tgm_scan_opts *o, tgm_u64vec *offsets, tgm_u64vec *lengths);

#endif
