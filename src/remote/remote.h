/* Remote objects as byte sources (src/io's tgm_source): the one entry point
 * the rest of the library uses.  Nothing outside src/remote knows about
 * HTTP; files, validation and the API read a remote object through the
 * same interface as a local one.
 *
 * Built only with libcurl (CMake option TGM_WITH_REMOTE); without it
 * tgm__remote_open fails with TGM_ERROR_REMOTE "remote access is not built
 * in" and tgm__remote_available() is false. */
#ifndef TGM_REMOTE_REMOTE_H
#define TGM_REMOTE_REMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "io/io.h"
#include "tensogram/tensogram.h"

/* True for the URL schemes read remotely (http, https, s3, s3a, gs, az,
 * azure; case-insensitive), in every build. */
bool tgm__remote_is_url(const char *s);

/* Whether this build has remote access. */
bool tgm__remote_available(void);

/* Open `url` with storage options (keys[i] = values[i], n pairs).  One
 * range request is made: it reads the first bytes of the object (kept in
 * the source's block cache) and learns the object's size and ETag from its
 * Content-Range.  The source is read-only, offers no view and sets
 * `remote`; its read_many fetches concurrently through the network engine,
 * coalescing neighbouring ranges.  Every later response must agree with the
 * first on size and ETag: a changed object is an error, never mixed
 * bytes.  Errors: TGM_ERROR_INVALID_ARG (options), TGM_ERROR_REMOTE. */
tgm_error tgm__remote_open(const char *url, const char *const *keys, const char *const *values,
                           size_t n, tgm_source **out);

/* Request statistics of a source opened by tgm__remote_open (all zero for
 * other sources): HTTP requests made (each attempt counts), of which
 * retries, and body bytes received. */
typedef struct tgm_remote_stats {
    uint64_t requests;
    uint64_t retries;
    uint64_t bytes;
} tgm_remote_stats;
void tgm__remote_stats(const tgm_source *src, tgm_remote_stats *out);

/* Asynchronous batched read, for callers with their own event loop (the
 * async API): the ranges are planned, coalesced and submitted exactly as
 * read_many does, and `done` runs once on the network thread when every
 * range is in place (err TGM_ERROR_OK) or the read failed (err and a
 * detail text in msg, without category prefix).  The ranges array is
 * copied; the dst buffers must stay valid until `done`.  *out (may be
 * NULL) receives a handle for tgm__remote_read_cancel, valid until `done`
 * has run (a cancel that makes `done` run may still be returning: the
 * operation is then freed when it returns); the operation frees itself
 * after `done` returns.  The source
 * must not be closed while reads are in flight. */
typedef struct tgm_remote_read tgm_remote_read;
typedef void (*tgm_remote_read_done)(void *user, tgm_error err, const char *msg);
tgm_error tgm__remote_read_async(tgm_source *src, const tgm_source_range *r, size_t n, bool keep,
                                 tgm_remote_read_done done, void *user, tgm_remote_read **out);
/* Stop an in-flight read: its transfers are aborted and `done` reports
 * TGM_ERROR_CANCELLED. */
void tgm__remote_read_cancel(tgm_remote_read *op);

/* Streamed read of a large range: len bytes at off straight into dst (no
 * cache, no intermediate copy), in parts of a few MiB fetched in order, a
 * few at a time.  While the bytes arrive, `consume` (may be NULL) runs on
 * the calling thread over each newly arrived stretch: every byte of dst
 * exactly once, in order, as (dst + done, n); bytes handed to it are in
 * place for good (retries resume after them).  So work on the data, a
 * hash or a streaming decoder, overlaps the download.  The same checks as
 * read_many apply (exact ranges, the object's size and ETag as at open,
 * each response checked before its bytes are written), but consume may
 * have seen a prefix of a read that then fails: its outcome is void unless
 * this returns TGM_ERROR_OK.  An error from consume stops the transfers
 * and is returned as is.  Errors: TGM_ERROR_IO (past the end),
 * TGM_ERROR_REMOTE, consume's. */
typedef tgm_error (*tgm_remote_consume)(void *user, const uint8_t *data, size_t n);
tgm_error tgm__remote_read_streamed(tgm_source *src, uint64_t off, void *dst, size_t len,
                                    tgm_remote_consume consume, void *user);

/* Deferred reads: running an operation written for blocking reads without
 * blocking (the async API's remote operations hold no thread while the
 * network works).  While `d` is active on a thread, reads of d's source
 * are served from the bytes already fetched for `d` and from the block
 * cache; the first read they cannot serve records its ranges and fails
 * (TGM_ERROR_REMOTE), as does every later read, so the operation unwinds.
 * tgm__remote_defer_fetch then brings the recorded ranges in through the
 * network engine (coalesced, concurrent, cancellable) and calls `done` on
 * the network thread; the operation is run again from the start and gets
 * further.  Layers above keep what they learnt (layouts, scan progress)
 * between runs, so a run costs what the blocking call would, plus the
 * repeated parsing of what it already has.
 *
 * Threading: begin/end/fetch/free on the thread running the operation, one
 * fetch at a time; cancel from any thread while a fetch may be in flight.
 * Bytes kept for `d` that a run did not use are dropped at its end (an
 * operation that needs them again fetches them again). */
typedef struct tgm_remote_defer tgm_remote_defer;
tgm_error tgm__remote_defer_new(tgm_source *src, tgm_remote_defer **out);
/* No fetch may be in flight (its `done` has run). */
void tgm__remote_defer_free(tgm_remote_defer *d);
void tgm__remote_defer_begin(tgm_remote_defer *d);
/* True when a read was deferred: the run's outcome is void, fetch and run
 * it again. */
bool tgm__remote_defer_end(tgm_remote_defer *d);
/* The outcome of the last fetch: TGM_ERROR_OK, or its error (recorded on
 * this thread). */
tgm_error tgm__remote_defer_status(tgm_remote_defer *d);
/* Bytes held for the operation. */
uint64_t tgm__remote_defer_bytes(const tgm_remote_defer *d);
tgm_error tgm__remote_defer_fetch(tgm_remote_defer *d, void (*done)(void *user), void *user);
/* Abort the fetch in flight (its `done` still runs, with
 * TGM_ERROR_CANCELLED as the status) and every later one. */
void tgm__remote_defer_cancel(tgm_remote_defer *d);

#endif
