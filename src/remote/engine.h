/* The network engine: one thread drives a libcurl multi handle on behalf
 * of the whole process.  Callers submit HTTP range requests without
 * blocking and learn of their completion through a callback; the
 * synchronous byte source (source.c) simply waits for its callbacks, and
 * an asynchronous API can hand them to its own event loop instead.
 *
 * What the engine does for every request:
 *  - connection reuse: all transfers share the multi handle's connection
 *    and DNS caches; HTTP/2 transfers to one host are multiplexed on one
 *    connection (CURLOPT_PIPEWAIT) where the server offers it;
 *  - bounded concurrency: at most conf->max_concurrency transfers of one
 *    configuration (one opened object) and TGM_NET_MAX_ACTIVE in total are
 *    in flight; the rest wait in FIFO order;
 *  - the retry policy of the configuration: 408/429/5xx answers, dropped
 *    connections, truncated bodies and stalls are retried with exponential
 *    backoff and jitter (Retry-After honoured), up to conf->max_retries
 *    times and never after conf->retry_timeout_ms since the first attempt;
 *  - strict range checking: a response is accepted only when it is the
 *    exact byte range asked for (206 with a matching Content-Range, no
 *    content coding); a server that ignores Range, answers another range or
 *    sends more or fewer bytes produces an error, never wrong bytes;
 *  - cancellation: a cancelled request stops its transfer at once.
 *
 * Lifetime and threading rules:
 *  - a tgm_net_req is owned by the caller, who must keep it (and its conf
 *    and dst buffer) alive until its `done` callback has run;
 *  - `done` runs exactly once per submitted request, on the network
 *    thread; it must be short and must not call back into the engine
 *    except tgm__net_submit (e.g. to chain another request);
 *  - tgm__net_submit and tgm__net_cancel may be called from any thread.
 *
 * The engine is created on first use and lives until the process exits; a
 * forked child that uses remote access gets an engine of its own. */
#ifndef TGM_REMOTE_ENGINE_H
#define TGM_REMOTE_ENGINE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "remote/conf.h"
#include "tensogram/tensogram.h"

/* Upper bound on transfers in flight across the process. */
#define TGM_NET_MAX_ACTIVE 256

typedef struct tgm_net tgm_net;
typedef struct tgm_net_req tgm_net_req;

typedef void (*tgm_net_done_fn)(tgm_net_req *req);

struct tgm_net_req {
    /* ---- set by the caller before tgm__net_submit ---- */
    tgm_remote_conf *conf; /* the object and its policy (outlives the request) */
    uint64_t off;          /* first byte wanted */
    uint64_t len;          /* bytes wanted, > 0 */
    bool clip_at_eof;      /* the range may run past the end of the object: a
                              shorter answer that ends exactly at the end is fine
                              (opening reads, before the size is known) */
    uint8_t *dst;          /* len bytes of caller memory */
    tgm_net_done_fn done;  /* completion callback (network thread) */
    void *user;            /* for the caller */
    /* Optional version pinning: a response whose ETag differs from a
     * non-empty expect_etag, or (check_total) whose Content-Range reports
     * another object size than expect_total, is refused before any of its
     * bytes reach dst (the object changed; not retried). */
    const char *expect_etag;
    bool check_total;
    uint64_t expect_total;
    /* Optional: called on the network thread each time body bytes have
     * landed in dst (`got` is then how many are in place, from dst[0];
     * it never decreases).  With it, an attempt after a failed one asks
     * only for the bytes not yet in place (a resumed range) instead of
     * starting over, so bytes already handed on are never rewritten. */
    void (*progress)(tgm_net_req *req);

    /* ---- results, valid when `done` runs ---- */
    tgm_error err;     /* TGM_ERROR_OK, TGM_ERROR_REMOTE, TGM_ERROR_CANCELLED */
    char msg[512];     /* the error detail (no category prefix) */
    long status;       /* last HTTP status (0 when no response) */
    uint64_t got;      /* bytes written to dst (== len unless clipped at the end) */
    uint64_t total;    /* size of the whole object from Content-Range, UINT64_MAX if unknown */
    char etag[128];    /* ETag of the response ("" when none) */
    uint32_t attempts; /* HTTP requests made for this range */

    /* ---- engine private ---- */
    struct tgm_net_req *next;
    void *easy; /* CURL * while in flight */
    /* queued, running, waiting to retry, done: written by the network
     * thread, read by tgm__net_cancel on any thread */
    _Atomic int state;
    _Atomic bool cancel;  /* cancellation asked (set by tgm__net_cancel, any thread) */
    bool headers_checked; /* response accepted for writing */
    bool want_abort;      /* a callback found the response unusable */
    bool retryable;       /* ... and whether trying again may help */
    uint64_t first_ms;    /* monotonic time of the first attempt */
    uint64_t due_ms;      /* when a waiting retry starts */
    long retry_after_ms;  /* from a Retry-After header, -1 when none */
    uint64_t base;        /* bytes in place when this attempt started */
    uint64_t cr_start, cr_end, cr_total; /* parsed Content-Range */
    bool have_cr;
    int64_t content_length;
    bool encoded;       /* a Content-Encoding other than identity */
    char errbody[1024]; /* start of an error response body (S3's XML error) */
    size_t errbody_len;
};

/* The process-wide engine (started on first call).  TGM_ERROR_REMOTE when
 * libcurl or the thread cannot be initialised. */
tgm_error tgm__net_get(tgm_net **out);

/* Queue a request; never blocks on the network.  The request's result
 * fields are reset.  TGM_ERROR_INVALID_ARG for a malformed request (the
 * callback is then not called). */
tgm_error tgm__net_submit(tgm_net *net, tgm_net_req *req);

/* Ask for a request to stop.  A request still queued, waiting to retry or
 * transferring completes with TGM_ERROR_CANCELLED (its transfer is
 * aborted); one that already completed is not affected.  Only valid until
 * the request's callback has run. */
void tgm__net_cancel(tgm_net *net, tgm_net_req *req);

/* A simple completion counter for callers that wait for a batch of
 * requests: set req->user to the waiter and req->done to
 * tgm__net_waiter_done, then tgm__net_waiter_wait. */
typedef struct tgm_net_waiter tgm_net_waiter;
tgm_net_waiter *tgm__net_waiter_new(size_t pending);
void tgm__net_waiter_done(tgm_net_req *req);
void tgm__net_waiter_wait(tgm_net_waiter *w);
void tgm__net_waiter_free(tgm_net_waiter *w);

/* Monotonic milliseconds (for timing and tests). */
uint64_t tgm__net_now_ms(void);

#endif
