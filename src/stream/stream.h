/* Streaming encoder (WIRE_FORMAT §3.2, §6.2-§6.4, §7, §9.4): one message
 * written frame by frame to a byte sink, for outputs too large to build in
 * memory or that must leave as they are produced (pipes, sockets).
 *
 * Layout of a streamed message, in the order the reference writes it:
 *
 *   preamble            total_length 0 (back-filled at finish on request)
 *   HeaderMetadata      the caller's message metadata as given
 *   { [PrecederMetadata] NTensorFrame }*      one per object, padded to 8
 *   FooterMetadata      metadata with base[i]._reserved_.tensor, preceder
 *                       keys merged in, and the provenance (_reserved_)
 *   [FooterHash]        when hashing with a footer aggregate and >= 1 object
 *   FooterIndex         offsets / lengths of every data-object frame
 *   postamble           first_footer_offset = FooterMetadata's offset
 *
 * Preamble flags: HEADER_METADATA | FOOTER_METADATA | FOOTER_INDEX |
 * PRECEDER_METADATA always, HASHES_PRESENT when hashing, FOOTER_HASHES when
 * hashing with the footer aggregate (set from the start, even if no object
 * follows: the preamble is written before the objects are known).
 *
 * Memory: an object's bytes are released once its frame is written; the
 * encoder keeps per object only its frame offset, length and hash and the
 * canonical CBOR of its footer base entry (tens of bytes).  Every operation
 * validates and encodes everything it will write before writing its first
 * byte, so a refused object leaves no trace in the output.  Small pieces
 * are gathered in a staging buffer that is handed to the sink at the end of
 * every operation: after each call the sink holds whole frames only. */
#ifndef TGM_STREAM_STREAM_H
#define TGM_STREAM_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cbor/value.h"
#include "io/io.h"
#include "meta/meta.h"

typedef struct tgm_stream tgm_stream;

typedef struct tgm_stream_opts {
    bool hashing;     /* xxh3 in every frame's hash slot, HASH_PRESENT set */
    bool footer_hash; /* FooterHash aggregate frame (only when hashing) */
    bool backfill_ok; /* false: never seek back even if the sink can (O_APPEND fds) */
    uint32_t threads; /* resolved thread budget (>= 1) for each object's pipeline */
    bool allow_nan;
    bool allow_inf;
    const char *mask_method[3];   /* static strings or NULL (default) */
    int64_t small_mask_threshold; /* < 0: default */
} tgm_stream_opts;

/* Start a message on `sink` (ownership passes to the stream, also on
 * failure): writes the preamble and the HeaderMetadata frame.  `meta` holds
 * base entries (maps without _reserved_) and _extra_; it is copied. */
tgm_error tgm__stream_begin(tgm_sink *sink, const tgm_global_meta *meta, const tgm_stream_opts *o,
                            tgm_stream **out);

/* PrecederMetadata for the next object: `map` is a map with text keys and
 * no _reserved_ key.  FRAMING error when a preceder is already pending. */
tgm_error tgm__stream_preceder(tgm_stream *s, const tgm_val *map);

/* Encode one object through the pipeline (or check it, when pre_encoded)
 * and write its frame.  Consumes the pending preceder on success only. */
tgm_error tgm__stream_object(tgm_stream *s, const tgm_descriptor *d, const uint8_t *data,
                             size_t len, bool pre_encoded);

/* Write the footer frames and the postamble.  With `backfill` and a
 * seekable sink the real total_length goes into the preamble and the
 * postamble (§9.4); otherwise both stay 0.  FRAMING error, with nothing
 * written, when a preceder is still pending. */
tgm_error tgm__stream_finish(tgm_stream *s, bool backfill);

/* After a successful finish: start the next message, on `sink` when it is
 * not NULL (the old sink is closed first) or on the same sink. */
tgm_error tgm__stream_restart(tgm_stream *s, tgm_sink *sink);

/* The sink (e.g. to take a memory sink's bytes after finish). */
tgm_sink *tgm__stream_sink(tgm_stream *s);
/* Objects written to the current message. */
size_t tgm__stream_count(const tgm_stream *s);
/* Bytes of the current message produced so far (including staged bytes). */
uint64_t tgm__stream_bytes_written(const tgm_stream *s);
/* True while objects may be written (not finished, no earlier write error). */
bool tgm__stream_is_open(const tgm_stream *s);
/* Whether finish(backfill = true) can write the real length. */
bool tgm__stream_can_backfill(const tgm_stream *s);
/* Heap bytes the stream holds for bookkeeping (per-object entries, staging,
 * metadata), to check that no payload is retained. */
size_t tgm__stream_footprint(const tgm_stream *s);

/* Free the stream and close its sink.  An unfinished message is left as
 * written so far (whole frames, no postamble). */
void tgm__stream_free(tgm_stream *s);

#endif
