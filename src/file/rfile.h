/* Files on sources where every read is a round trip (src/io's `remote`
 * sources): the messages are found by range reads of preambles and
 * postambles instead of reading the whole file, and each message's layout
 * (metadata, index, hash frames) is read from its two ends on first use
 * and cached.  Used by file.c for such sources; the API reads object frames
 * through the same source with the offsets the layouts give.
 *
 * Thread safety: every function takes the object's own mutex. */
#ifndef TGM_FILE_RFILE_H
#define TGM_FILE_RFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "io/io.h"
#include "message/message.h"

typedef struct tgm_rfile tgm_rfile;

/* Scan state over `src` (borrowed).  bidirectional: pair each forward
 * preamble read with a backward postamble read (WIRE_FORMAT §9.3), so a
 * file of N large messages is scanned in about N/2 + 1 round trips; both
 * ways give the same messages. */
tgm_error tgm__rfile_new(tgm_source *src, bool bidirectional, tgm_rfile **out);
void tgm__rfile_free(tgm_rfile *r);

/* Scan until message `want` is known (SIZE_MAX: to the end).  *known is
 * the number of messages known in file order, *complete whether that is
 * all of them.  Messages are found as the local scanner finds them: the
 * same offsets and lengths for every well-formed file. */
tgm_error tgm__rfile_scan(tgm_rfile *r, size_t want, size_t *known, bool *complete);
/* Offset, length and preamble flags of known message i. */
void tgm__rfile_entry(tgm_rfile *r, size_t i, uint64_t *off, uint64_t *len, uint16_t *flags);

/* The layout of message i (known): preamble, first metadata frame, index
 * and hash frames, read from the message's two ends on first use (one
 * round trip; none when the bytes are already in the source's cache) and
 * cached until the file is closed.  *out is valid until then. */
tgm_error tgm__rfile_layout(tgm_rfile *r, size_t i, const tgm_msg **out);
/* Layouts of several messages at once: the reads of every message whose
 * layout is not cached are issued together (concurrently, neighbours
 * coalesced).  Indices must be known. */
tgm_error tgm__rfile_prefetch(tgm_rfile *r, const size_t *idx, size_t n);

/* What is known of object j of message i's element type: a small cache
 * filled by whoever parses the object's descriptor (dtype codes of
 * dtype/dtype.h; -1 when not known yet).  Index ranges are not checked
 * beyond the message's index. */
void tgm__rfile_note_dtype(tgm_rfile *r, size_t i, size_t j, int dtype);
int tgm__rfile_dtype(tgm_rfile *r, size_t i, size_t j);

/* The two ends of object j's frame in message i (its 16-byte header and
 * its last tail_len bytes, which hold the descriptor), kept once read so
 * the descriptor of a large object costs one read per file.  put copies
 * (the first one stays); get returns false when not cached, else pointers
 * valid until the file is closed. */
void tgm__rfile_put_ends(tgm_rfile *r, size_t i, size_t j, const uint8_t head[16],
                         const uint8_t *tail, size_t tail_len);
bool tgm__rfile_get_ends(tgm_rfile *r, size_t i, size_t j, const uint8_t **head,
                         const uint8_t **tail, size_t *tail_len);

#endif
