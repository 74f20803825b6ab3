/* A remote object as a byte source (remote.h): range reads through the
 * network engine, a small block cache, and checks that every response
 * belongs to the same version of the object.
 *
 * A batched read is planned in three steps: ranges already in the cache
 * are copied out; the others are sorted and neighbours at most
 * conf->coalesce_gap apart are grouped into one request (up to
 * conf->max_request bytes); a lone range larger than conf->split_size is
 * split into parts fetched in parallel.  All requests are submitted at
 * once; the engine bounds how many run concurrently. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/mman.h>
#include <unistd.h>
#endif

#include "common/alloc.h"
#include "common/error.h"
#include "remote/conf.h"
#include "remote/engine.h"
#include "remote/remote.h"

#define MAX_EXTENTS 256
/* A large range is fetched in at most this many parallel parts: enough
 * streams to fill a link whose per-connection throughput is limited, few
 * enough not to thrash the machine with connections. */
#define SPLIT_MAX_PARTS 4

typedef struct extent {
    uint64_t off;
    size_t len;
    uint8_t *data;
    uint64_t stamp; /* last use, for LRU eviction */
} extent;

typedef struct remote_source {
    tgm_source base;
    tgm_remote_conf *conf;
    tgm_net *net;
    pthread_mutex_t lock; /* cache and version */
    extent cache[MAX_EXTENTS];
    size_t nextents;
    uint64_t cache_used;
    uint64_t clock;
    char etag[128];
} remote_source;

bool tgm__remote_available(void) { return true; }

/* ---- block cache (lock held) ------------------------------------------------------- */

static bool cache_get(remote_source *s, uint64_t off, size_t len, void *dst) {
    for (size_t i = 0; i < s->nextents; i++) {
        extent *e = &s->cache[i];
        if (e->off <= off && off - e->off <= e->len && len <= e->len - (off - e->off)) {
            if (dst != NULL && len > 0) {
                memcpy(dst, e->data + (off - e->off), len);
            }
            e->stamp = ++s->clock;
            return true;
        }
    }
    return false;
}

static void cache_drop(remote_source *s, size_t i) {
    s->cache_used -= s->cache[i].len;
    tgm__free(s->cache[i].data);
    s->cache[i] = s->cache[--s->nextents];
}

/* Keep a copy of [off, off+len) (best effort: nothing happens when it is
 * larger than half the cache or memory is short). */
static void cache_put(remote_source *s, uint64_t off, const uint8_t *data, size_t len) {
    if (len == 0 || len > s->conf->cache_bytes / 2 || cache_get(s, off, len, NULL)) {
        return;
    }
    /* Extents the new one contains are redundant. */
    for (size_t i = 0; i < s->nextents;) {
        extent *e = &s->cache[i];
        if (e->off >= off && e->off + e->len <= off + len) {
            cache_drop(s, i);
        } else {
            i++;
        }
    }
    while (s->nextents > 0 &&
           (s->nextents == MAX_EXTENTS || s->cache_used + len > s->conf->cache_bytes)) {
        size_t lru = 0;
        for (size_t i = 1; i < s->nextents; i++) {
            if (s->cache[i].stamp < s->cache[lru].stamp) {
                lru = i;
            }
        }
        cache_drop(s, lru);
    }
    uint8_t *copy = tgm__malloc(len);
    if (copy == NULL) {
        tgm__clear_error();
        return;
    }
    memcpy(copy, data, len);
    extent *e = &s->cache[s->nextents++];
    e->off = off;
    e->len = len;
    e->data = copy;
    e->stamp = ++s->clock;
    s->cache_used += len;
}

/* ---- read operations ------------------------------------------------------------------ */

/* Every read after the opening one must be of the version the opening read
 * saw: the engine refuses a response of another size or ETag before any of
 * its bytes are written (s->etag and the size are set once, at open). */
static void pin_version(const remote_source *s, tgm_net_req *r) {
    r->expect_etag = s->etag;
    r->check_total = true;
    r->expect_total = s->base.size;
}

/* One planned request. */
typedef struct plan_req {
    tgm_net_req net;
    uint8_t *temp; /* owned buffer when the request serves several ranges (or only the cache) */
} plan_req;

struct tgm_remote_read {
    remote_source *src;
    tgm_source_range *ranges; /* copy of the caller's ranges */
    size_t nranges;
    bool *from_cache; /* per range */
    bool keep;
    plan_req *reqs; /* sorted by offset */
    size_t nreqs;
    pthread_mutex_t lock;
    size_t pending;
    tgm_error err;
    char msg[640];
    tgm_remote_read_done done;
    void *user;
    /* synchronous callers wait here */
    pthread_cond_t cond;
    bool finished;
    bool sync;
    /* asynchronous: tgm__remote_read_cancel calls in progress (under lock);
     * while there are any, the operation is freed by the last of them
     * instead of after `done` (which their cancels may trigger). */
    unsigned cancelling;
    bool free_deferred;
};

static void op_free(tgm_remote_read *op) {
    if (op == NULL) {
        return;
    }
    for (size_t i = 0; i < op->nreqs; i++) {
        tgm__free(op->reqs[i].temp);
    }
    tgm__free(op->reqs);
    tgm__free(op->ranges);
    tgm__free(op->from_cache);
    pthread_mutex_destroy(&op->lock);
    pthread_cond_destroy(&op->cond);
    tgm__free(op);
}

/* Every request has completed: check them, scatter, cache, report. */
static void op_finalize(tgm_remote_read *op) {
    remote_source *s = op->src;
    op->err = TGM_ERROR_OK;
    op->msg[0] = '\0';
    /* The first failure in offset order wins; cancellation over errors. */
    for (size_t i = 0; i < op->nreqs; i++) {
        tgm_net_req *r = &op->reqs[i].net;
        if (r->err == TGM_ERROR_CANCELLED) {
            op->err = TGM_ERROR_CANCELLED;
            snprintf(op->msg, sizeof op->msg, "%s", r->msg);
            return;
        }
    }
    for (size_t i = 0; i < op->nreqs && op->err == TGM_ERROR_OK; i++) {
        tgm_net_req *r = &op->reqs[i].net;
        if (r->err != TGM_ERROR_OK) {
            op->err = r->err;
            snprintf(op->msg, sizeof op->msg, "%s", r->msg);
        } else if (r->total != UINT64_MAX && r->total != s->base.size) {
            op->err = TGM_ERROR_REMOTE;
            snprintf(op->msg, sizeof op->msg,
                     "%s changed while being read: its size is now %" PRIu64
                     " bytes, it was %" PRIu64,
                     s->conf->display, r->total, s->base.size);
        } else if (r->got != r->len) {
            op->err = TGM_ERROR_REMOTE;
            snprintf(op->msg, sizeof op->msg,
                     "short read of %s: %" PRIu64 " of %" PRIu64 " bytes at offset %" PRIu64,
                     s->conf->display, r->got, r->len, r->off);
        }
    }
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < op->nreqs && op->err == TGM_ERROR_OK; i++) {
        tgm_net_req *r = &op->reqs[i].net;
        if (r->etag[0] != '\0' && s->etag[0] != '\0' && strcmp(r->etag, s->etag) != 0) {
            op->err = TGM_ERROR_REMOTE;
            snprintf(op->msg, sizeof op->msg,
                     "%s changed while being read (ETag %s, now %s): refusing to mix versions",
                     s->conf->display, s->etag, r->etag);
        }
    }
    if (op->err == TGM_ERROR_OK) {
        for (size_t i = 0; i < op->nranges; i++) {
            tgm_source_range *g = &op->ranges[i];
            if (op->from_cache[i] || g->len == 0) {
                continue;
            }
            /* The request holding this range: the last one starting at or
             * before it. */
            size_t lo = 0, hi = op->nreqs;
            while (hi - lo > 1) {
                size_t mid = (lo + hi) / 2;
                if (op->reqs[mid].net.off <= g->off) {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            plan_req *pr = &op->reqs[lo];
            if (pr->temp != NULL && g->dst != NULL) {
                memcpy(g->dst, pr->temp + (g->off - pr->net.off), g->len);
            }
        }
        if (op->keep) {
            for (size_t i = 0; i < op->nreqs; i++) {
                plan_req *pr = &op->reqs[i];
                cache_put(s, pr->net.off, pr->temp ? pr->temp : pr->net.dst, (size_t)pr->net.len);
            }
        }
    }
    pthread_mutex_unlock(&s->lock);
}

static void on_req_done(tgm_net_req *r) {
    tgm_remote_read *op = r->user;
    pthread_mutex_lock(&op->lock);
    size_t left = --op->pending;
    pthread_mutex_unlock(&op->lock);
    if (left > 0) {
        return;
    }
    op_finalize(op);
    if (op->sync) {
        pthread_mutex_lock(&op->lock);
        op->finished = true;
        pthread_cond_broadcast(&op->cond);
        pthread_mutex_unlock(&op->lock);
    } else {
        op->done(op->user, op->err, op->msg);
        pthread_mutex_lock(&op->lock);
        bool held = op->cancelling > 0;
        op->free_deferred = held;
        pthread_mutex_unlock(&op->lock);
        if (!held) {
            op_free(op);
        }
    }
}

typedef struct span {
    uint64_t off, end;
    size_t first, count; /* indices into the sorted order */
} span;

static int cmp_by_off(const void *a, const void *b) {
    const tgm_source_range *x = *(const tgm_source_range *const *)a;
    const tgm_source_range *y = *(const tgm_source_range *const *)b;
    return x->off < y->off ? -1 : x->off > y->off ? 1 : 0;
}

static tgm_error add_req(tgm_remote_read *op, size_t *cap, uint64_t off, uint64_t len,
                         uint8_t *dst) {
    if (op->nreqs == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        plan_req *nr = tgm__realloc(op->reqs, nc * sizeof *nr);
        if (nr == NULL) {
            return tgm__oom(nc * sizeof *nr, "request plan");
        }
        op->reqs = nr;
        *cap = nc;
    }
    plan_req *p = &op->reqs[op->nreqs];
    memset(p, 0, sizeof *p);
    if (dst == NULL) {
        TGM_RETURN_IF(len > SIZE_MAX, TGM_ERROR_REMOTE, "range of %" PRIu64 " bytes too large",
                      len);
        p->temp = tgm__malloc((size_t)len);
        if (p->temp == NULL) {
            return tgm__oom((size_t)len, "range buffer");
        }
        dst = p->temp;
    }
    p->net.conf = op->src->conf;
    pin_version(op->src, &p->net);
    p->net.off = off;
    p->net.len = len;
    p->net.dst = dst;
    p->net.done = on_req_done;
    p->net.user = op;
    op->nreqs++;
    return TGM_ERROR_OK;
}

/* Build the request plan of a read; ranges served by the cache are copied
 * now. */
static tgm_error op_plan(remote_source *s, const tgm_source_range *r, size_t n, bool keep,
                         tgm_remote_read **out) {
    tgm_error err = TGM_ERROR_OK;
    const tgm_source_range **order = NULL;
    tgm_remote_read *op = tgm__calloc(1, sizeof *op);
    if (op == NULL) {
        return tgm__oom(sizeof *op, "read");
    }
    pthread_mutex_init(&op->lock, NULL);
    pthread_cond_init(&op->cond, NULL);
    op->src = s;
    op->keep = keep;
    op->nranges = n;
    op->ranges = tgm__calloc(n ? n : 1, sizeof *op->ranges);
    op->from_cache = tgm__calloc(n ? n : 1, sizeof *op->from_cache);
    order = tgm__calloc(n ? n : 1, sizeof *order);
    TGM_FAIL_IF(op->ranges == NULL || op->from_cache == NULL || order == NULL, TGM_ERROR_REMOTE,
                "out of memory for %zu ranges", n);
    if (n > 0) {
        memcpy(op->ranges, r, n * sizeof *r);
    }
    size_t m = 0;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < n; i++) {
        const tgm_source_range *g = &op->ranges[i];
        if (g->off > s->base.size || g->len > s->base.size - g->off) {
            pthread_mutex_unlock(&s->lock);
            TGM_FAIL_IF(true, TGM_ERROR_IO,
                        "read of %zu bytes at offset %" PRIu64 " is past the end of %s (%" PRIu64
                        " bytes)",
                        g->len, g->off, s->conf->display, s->base.size);
        }
        if (g->len == 0 || cache_get(s, g->off, g->len, g->dst)) {
            op->from_cache[i] = true;
        } else {
            order[m++] = g;
        }
    }
    pthread_mutex_unlock(&s->lock);
    qsort(order, m, sizeof *order, cmp_by_off);
    size_t cap = 0;
    const tgm_remote_conf *c = s->conf;
    for (size_t i = 0; i < m;) {
        uint64_t a = order[i]->off, b = a + order[i]->len;
        size_t j = i + 1;
        while (j < m && order[j]->off <= b + c->coalesce_gap) {
            uint64_t e = order[j]->off + order[j]->len;
            uint64_t nb = e > b ? e : b;
            if (nb - a > c->max_request) {
                break;
            }
            b = nb;
            j++;
        }
        if (j - i == 1 && order[i]->dst != NULL) {
            /* A lone range goes straight into the caller's memory, in
             * parallel parts when it is large. */
            uint64_t len = b - a;
            uint64_t parts =
                len > c->split_size ? (len + c->split_size / 2 - 1) / (c->split_size / 2) : 1;
            if (parts > SPLIT_MAX_PARTS) {
                parts = SPLIT_MAX_PARTS;
            }
            if (parts > c->max_concurrency) {
                parts = c->max_concurrency;
            }
            uint64_t part = (len + parts - 1) / parts;
            for (uint64_t p = a; p < b; p += part) {
                uint64_t l = b - p < part ? b - p : part;
                TGM_CHECK(add_req(op, &cap, p, l, (uint8_t *)order[i]->dst + (p - a)));
            }
        } else {
            TGM_CHECK(add_req(op, &cap, a, b - a, NULL));
        }
        i = j;
    }
    *out = op;
    tgm__free(order);
    return TGM_ERROR_OK;
cleanup:
    tgm__free(order);
    op_free(op);
    return err;
}

/* Once its last request is submitted, an asynchronous read may complete
 * and free itself at any moment: nothing of `op` is read after that. */
static tgm_error op_submit(tgm_remote_read *op) {
    size_t n = op->nreqs;
    tgm_net *net = op->src->net;
    op->pending = n;
    for (size_t i = 0; i < n; i++) {
        tgm_error e = tgm__net_submit(net, &op->reqs[i].net);
        if (e != TGM_ERROR_OK) {
            /* Account for the requests that will never complete. */
            pthread_mutex_lock(&op->lock);
            op->pending -= op->nreqs - i - 1;
            pthread_mutex_unlock(&op->lock);
            for (size_t k = i; k < op->nreqs; k++) {
                op->reqs[k].net.err = TGM_ERROR_REMOTE;
                snprintf(op->reqs[k].net.msg, sizeof op->reqs[k].net.msg,
                         "request could not be submitted");
            }
            on_req_done(&op->reqs[i].net);
            return TGM_ERROR_OK;
        }
    }
    return TGM_ERROR_OK;
}

/* Deferred reads (remote.h): the state of one operation. */
typedef struct dext {
    uint64_t off;
    size_t len;
    uint8_t *data;
    bool ready; /* fetched (else: the fetch in flight, or failed) */
    bool used;  /* read during the current run */
} dext;

struct tgm_remote_defer {
    remote_source *src;
    dext *ext; /* bytes fetched for the operation */
    size_t next, cap_ext;
    uint64_t ext_bytes;
    tgm_source_range *miss; /* what the current run could not read */
    size_t nmiss, cap_miss;
    bool keep;    /* a missed read asked for the source's cache */
    bool tripped; /* a read was deferred in this run */

    pthread_mutex_t mu; /* the fetch in flight */
    tgm_remote_read *op;
    bool fetching, cancelled;
    tgm_error err;
    char msg[640];
    void (*done)(void *);
    void *user;
};

static tgm_error defer_read(tgm_remote_defer *d, const tgm_source_range *r, size_t n, bool keep);
static _Thread_local tgm_remote_defer *tl_defer;
/* A single read of at least this many bytes is a streamed read (below). */
#define STREAM_MIN ((uint64_t)16 << 20)

static tgm_error remote_read_many(tgm_source *src, const tgm_source_range *r, size_t n, bool keep) {
    remote_source *s = (remote_source *)src;
    if (tl_defer != NULL && (tgm_source *)tl_defer->src == src) {
        return defer_read(tl_defer, r, n, keep);
    }
    tgm_remote_read *op;
    TGM_TRY(op_plan(s, r, n, keep, &op));
    if (op->nreqs == 0) {
        op_free(op);
        return TGM_ERROR_OK;
    }
    op->sync = true;
    op_submit(op);
    pthread_mutex_lock(&op->lock);
    while (!op->finished) {
        pthread_cond_wait(&op->cond, &op->lock);
    }
    pthread_mutex_unlock(&op->lock);
    tgm_error err = op->err;
    if (err != TGM_ERROR_OK) {
        tgm__fail(err, "%s", op->msg);
    }
    op_free(op);
    return err;
}

static tgm_error remote_read_at(tgm_source *src, uint64_t off, void *dst, size_t n) {
    if (n >= STREAM_MIN && tl_defer == NULL) {
        return tgm__remote_read_streamed(src, off, dst, n, NULL, NULL);
    }
    tgm_source_range r = {off, n, dst};
    return remote_read_many(src, &r, 1, false);
}

tgm_error tgm__remote_read_async(tgm_source *src, const tgm_source_range *r, size_t n, bool keep,
                                 tgm_remote_read_done done, void *user, tgm_remote_read **out) {
    TGM_RETURN_IF(src == NULL || !src->remote || done == NULL, TGM_ERROR_INVALID_ARG,
                  "asynchronous reads need a remote source and a callback");
    remote_source *s = (remote_source *)src;
    tgm_remote_read *op;
    TGM_TRY(op_plan(s, r, n, keep, &op));
    op->done = done;
    op->user = user;
    if (out != NULL) {
        *out = op;
    }
    if (op->nreqs == 0) {
        /* Everything came from the cache. */
        done(user, TGM_ERROR_OK, "");
        op_free(op);
        return TGM_ERROR_OK;
    }
    return op_submit(op);
}

void tgm__remote_read_cancel(tgm_remote_read *op) {
    /* Cancelling the last pending request completes the operation on the
     * network thread, which may run `done` while this loop still walks the
     * requests: the operation stays allocated until the loop is over.
     * (Cancelling a request that already completed does nothing.) */
    pthread_mutex_lock(&op->lock);
    op->cancelling++;
    pthread_mutex_unlock(&op->lock);
    for (size_t i = 0; i < op->nreqs; i++) {
        tgm__net_cancel(op->src->net, &op->reqs[i].net);
    }
    pthread_mutex_lock(&op->lock);
    bool last = --op->cancelling == 0 && op->free_deferred;
    pthread_mutex_unlock(&op->lock);
    if (last) {
        op_free(op);
    }
}

/* ---- streamed reads (remote.h) ------------------------------------------------------- */

/* A streamed read is cut into parts of STREAM_PART bytes (fewer and larger
 * for huge reads) fetched in order, at most `window` at a time, each
 * straight into its place in the caller's buffer.  Fetching in order keeps
 * the arrived prefix growing steadily, which is what the consumer works
 * behind; the window keeps a few connections busy. */
#define STREAM_PART ((uint64_t)8 << 20)
#define STREAM_MAX_PARTS 1024
/* The consumer is woken once this much more of the prefix has arrived. */
#define STREAM_STEP ((uint64_t)1 << 20)
/* While it waits, the calling thread maps the destination's pages up to
 * this far past the arrived prefix (the network thread then writes into
 * memory that is already there instead of faulting page by page). */
#define STREAM_PREFAULT_AHEAD ((uint64_t)64 << 20)
#define STREAM_PREFAULT_CHUNK ((uint64_t)4 << 20)

typedef struct stream_op {
    remote_source *src;
    uint8_t *dst;
    uint64_t len, part;
    tgm_net_req *parts;
    size_t nparts, submitted, window;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    size_t running;    /* submitted, callback not yet run */
    size_t head;       /* first part not wholly in place */
    uint64_t avail;    /* dst[0, avail) has arrived */
    uint64_t signaled; /* avail when the consumer was last woken */
    bool stop;         /* submit no more parts */
} stream_op;

/* Under op->lock: advance the arrived prefix.  A part's `got` never
 * decreases (its retries resume), so bytes once counted stay in place. */
static void stream_advance(stream_op *op) {
    while (op->head < op->submitted) {
        tgm_net_req *r = &op->parts[op->head];
        op->avail = (uint64_t)op->head * op->part + r->got;
        if (r->got < r->len) {
            break;
        }
        op->head++;
    }
}

static void stream_progress(tgm_net_req *r) {
    stream_op *op = r->user;
    pthread_mutex_lock(&op->lock);
    stream_advance(op);
    if (op->avail - op->signaled >= STREAM_STEP || op->avail == op->len) {
        op->signaled = op->avail;
        pthread_cond_signal(&op->cond);
    }
    pthread_mutex_unlock(&op->lock);
}

static void stream_submit_next(stream_op *op);

static void stream_done(tgm_net_req *r) {
    stream_op *op = r->user;
    pthread_mutex_lock(&op->lock);
    op->running--;
    if (r->err != TGM_ERROR_OK || r->got != r->len) {
        op->stop = true;
    }
    stream_advance(op);
    stream_submit_next(op);
    pthread_cond_signal(&op->cond);
    pthread_mutex_unlock(&op->lock);
}

/* Under op->lock: keep `window` parts in flight. */
static void stream_submit_next(stream_op *op) {
    while (!op->stop && op->submitted < op->nparts && op->running < op->window) {
        tgm_net_req *r = &op->parts[op->submitted];
        op->submitted++;
        op->running++;
        if (tgm__net_submit(op->src->net, r) != TGM_ERROR_OK) {
            r->err = TGM_ERROR_REMOTE;
            snprintf(r->msg, sizeof r->msg, "request could not be submitted");
            op->running--;
            op->stop = true;
        }
    }
}

#if defined(MADV_POPULATE_WRITE)
/* Map dst's pages in [from, to) (whole pages inside the range only). */
static bool prefault(uint8_t *dst, uint64_t from, uint64_t to) {
    uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t a = ((uintptr_t)(dst + from) + pg - 1) & ~(pg - 1);
    uintptr_t b = (uintptr_t)(dst + to) & ~(pg - 1);
    return b <= a || madvise((void *)a, b - a, MADV_POPULATE_WRITE) == 0;
}
#else
static bool prefault(uint8_t *dst, uint64_t from, uint64_t to) {
    (void)dst;
    (void)from;
    (void)to;
    return false;
}
#endif

tgm_error tgm__remote_read_streamed(tgm_source *src, uint64_t off, void *dst, size_t len,
                                    tgm_remote_consume consume, void *user) {
    TGM_RETURN_IF(src == NULL || !src->remote || (len > 0 && dst == NULL), TGM_ERROR_INVALID_ARG,
                  "streamed reads need a remote source and a destination");
    remote_source *s = (remote_source *)src;
    TGM_RETURN_IF(off > s->base.size || len > s->base.size - off, TGM_ERROR_IO,
                  "read of %zu bytes at offset %" PRIu64 " is past the end of %s (%" PRIu64
                  " bytes)",
                  len, off, s->conf->display, s->base.size);
    if (len == 0 || (tl_defer != NULL && tl_defer->src == s)) {
        /* Deferred runs read through their own bookkeeping, in one piece. */
        tgm_source_range one = {off, len, dst};
        TGM_TRY(remote_read_many(src, &one, 1, false));
        return consume != NULL && len > 0 ? consume(user, dst, len) : TGM_ERROR_OK;
    }
    stream_op op;
    memset(&op, 0, sizeof op);
    op.src = s;
    op.dst = dst;
    op.len = len;
    op.part = STREAM_PART;
    if ((len + op.part - 1) / op.part > STREAM_MAX_PARTS) {
        op.part = (len + STREAM_MAX_PARTS - 1) / STREAM_MAX_PARTS;
    }
    op.nparts = (size_t)((len + op.part - 1) / op.part);
    op.window =
        SPLIT_MAX_PARTS < s->conf->max_concurrency ? SPLIT_MAX_PARTS : s->conf->max_concurrency;
    op.parts = tgm__calloc(op.nparts, sizeof *op.parts);
    if (op.parts == NULL) {
        return tgm__oom(op.nparts * sizeof *op.parts, "streamed read");
    }
    for (size_t k = 0; k < op.nparts; k++) {
        tgm_net_req *r = &op.parts[k];
        uint64_t a = (uint64_t)k * op.part;
        r->conf = s->conf;
        pin_version(s, r);
        r->off = off + a;
        r->len = len - a < op.part ? len - a : op.part;
        r->dst = (uint8_t *)dst + a;
        r->done = stream_done;
        r->progress = stream_progress;
        r->user = &op;
    }
    pthread_mutex_init(&op.lock, NULL);
    pthread_cond_init(&op.cond, NULL);
    tgm_error cerr = TGM_ERROR_OK;
    uint64_t consumed = 0, mapped = 0;
    bool can_map = true, cancelled = false;
    pthread_mutex_lock(&op.lock);
    stream_submit_next(&op);
    for (;;) {
        if (consumed < op.avail && cerr == TGM_ERROR_OK) {
            uint64_t upto = op.avail;
            pthread_mutex_unlock(&op.lock);
            if (consume != NULL) {
                cerr = consume(user, (uint8_t *)dst + consumed, (size_t)(upto - consumed));
            }
            consumed = upto;
            pthread_mutex_lock(&op.lock);
            if (cerr != TGM_ERROR_OK) {
                op.stop = true;
            }
            continue;
        }
        if (op.stop && !cancelled && op.running > 0) {
            /* A part failed or the consumer gave up: the other transfers'
             * bytes are no longer wanted.  Parts that completed meanwhile
             * are left alone by tgm__net_cancel (their memory lives until
             * this read returns). */
            cancelled = true;
            for (size_t k = op.head; k < op.submitted; k++) {
                tgm__net_cancel(s->net, &op.parts[k]);
            }
            continue;
        }
        if (op.running == 0 && (op.stop || op.submitted == op.nparts)) {
            break;
        }
        uint64_t from = mapped > op.avail ? mapped : op.avail;
        uint64_t ahead =
            op.avail + STREAM_PREFAULT_AHEAD < len ? op.avail + STREAM_PREFAULT_AHEAD : len;
        if (can_map && cerr == TGM_ERROR_OK && from < ahead) {
            uint64_t to =
                ahead - from > STREAM_PREFAULT_CHUNK ? from + STREAM_PREFAULT_CHUNK : ahead;
            pthread_mutex_unlock(&op.lock);
            can_map = prefault(dst, from, to);
            mapped = to;
            pthread_mutex_lock(&op.lock);
            continue;
        }
        pthread_cond_wait(&op.cond, &op.lock);
    }
    pthread_mutex_unlock(&op.lock);
    /* Every callback has run.  The first failure in offset order is the
     * read's error; a consumer's error comes first (it stopped the read). */
    tgm_error err = cerr;
    for (size_t k = 0; k < op.submitted && err == TGM_ERROR_OK; k++) {
        tgm_net_req *r = &op.parts[k];
        if (r->err == TGM_ERROR_CANCELLED && cancelled) {
            continue; /* stopped here because of another part's failure */
        }
        if (r->err != TGM_ERROR_OK) {
            err = tgm__fail(r->err, "%s", r->msg);
        } else if (r->got != r->len) {
            err = tgm__fail(TGM_ERROR_REMOTE,
                            "short read of %s: %" PRIu64 " of %" PRIu64 " bytes at offset %" PRIu64,
                            s->conf->display, r->got, r->len, r->off);
        }
    }
    if (err == TGM_ERROR_OK && op.submitted < op.nparts) {
        err = tgm__fail(TGM_ERROR_REMOTE, "read of %s stopped before its end", s->conf->display);
    }
    if (err == TGM_ERROR_OK && consumed < len && consume != NULL) {
        err = consume(user, (uint8_t *)dst + consumed, (size_t)(len - consumed));
    }
    pthread_cond_destroy(&op.cond);
    pthread_mutex_destroy(&op.lock);
    tgm__free(op.parts);
    return err;
}

/* ---- deferred reads (remote.h) ------------------------------------------------------- */

tgm_error tgm__remote_defer_new(tgm_source *src, tgm_remote_defer **out) {
    TGM_RETURN_IF(src == NULL || !src->remote, TGM_ERROR_INVALID_ARG,
                  "deferred reads need a remote source");
    tgm_remote_defer *d = tgm__calloc(1, sizeof *d);
    if (d == NULL) {
        return tgm__oom(sizeof *d, "deferred reads");
    }
    d->src = (remote_source *)src;
    pthread_mutex_init(&d->mu, NULL);
    *out = d;
    return TGM_ERROR_OK;
}

static void dext_drop(tgm_remote_defer *d, size_t i) {
    d->ext_bytes -= d->ext[i].len;
    tgm__free(d->ext[i].data);
    d->ext[i] = d->ext[--d->next];
}

void tgm__remote_defer_free(tgm_remote_defer *d) {
    if (d == NULL) {
        return;
    }
    while (d->next > 0) {
        dext_drop(d, d->next - 1);
    }
    tgm__free(d->ext);
    tgm__free(d->miss);
    pthread_mutex_destroy(&d->mu);
    tgm__free(d);
}

void tgm__remote_defer_begin(tgm_remote_defer *d) {
    d->tripped = false;
    d->keep = false;
    d->nmiss = 0;
    for (size_t i = 0; i < d->next; i++) {
        d->ext[i].used = false;
    }
    tl_defer = d;
}

bool tgm__remote_defer_end(tgm_remote_defer *d) {
    tl_defer = NULL;
    for (size_t i = 0; i < d->next;) {
        if (!d->ext[i].used) {
            dext_drop(d, i);
        } else {
            i++;
        }
    }
    return d->tripped;
}

uint64_t tgm__remote_defer_bytes(const tgm_remote_defer *d) { return d != NULL ? d->ext_bytes : 0; }

tgm_error tgm__remote_defer_status(tgm_remote_defer *d) {
    pthread_mutex_lock(&d->mu);
    tgm_error err = d->err;
    pthread_mutex_unlock(&d->mu);
    if (err != TGM_ERROR_OK) {
        tgm__fail(err, "%s", d->msg);
    }
    return err;
}

static bool dext_get(tgm_remote_defer *d, uint64_t off, size_t len, void *dst) {
    for (size_t i = 0; i < d->next; i++) {
        dext *e = &d->ext[i];
        if (e->ready && e->off <= off && off - e->off <= e->len && len <= e->len - (off - e->off)) {
            if (dst != NULL) {
                memcpy(dst, e->data + (off - e->off), len);
            }
            e->used = true;
            return true;
        }
    }
    return false;
}

static tgm_error defer_read(tgm_remote_defer *d, const tgm_source_range *r, size_t n, bool keep) {
    remote_source *s = d->src;
    if (d->tripped) {
        /* The run's outcome is void already: unwind without reading. */
        return tgm__fail(TGM_ERROR_REMOTE, "read of %s deferred", s->conf->display);
    }
    size_t first = d->nmiss;
    for (size_t i = 0; i < n; i++) {
        const tgm_source_range *g = &r[i];
        if (g->off > s->base.size || g->len > s->base.size - g->off) {
            d->nmiss = first;
            return tgm__fail(TGM_ERROR_IO,
                             "read of %zu bytes at offset %" PRIu64
                             " is past the end of %s (%" PRIu64 " bytes)",
                             g->len, g->off, s->conf->display, s->base.size);
        }
        if (g->len == 0 || dext_get(d, g->off, g->len, g->dst)) {
            continue;
        }
        pthread_mutex_lock(&s->lock);
        bool hit = cache_get(s, g->off, g->len, g->dst);
        pthread_mutex_unlock(&s->lock);
        if (hit) {
            continue;
        }
        if (d->nmiss == d->cap_miss) {
            size_t cap = d->cap_miss ? d->cap_miss * 2 : 16;
            tgm_source_range *m = tgm__realloc(d->miss, cap * sizeof *m);
            if (m == NULL) {
                d->nmiss = first;
                return tgm__oom(cap * sizeof *m, "deferred ranges");
            }
            d->miss = m;
            d->cap_miss = cap;
        }
        d->miss[d->nmiss++] = (tgm_source_range){g->off, g->len, NULL};
    }
    if (d->nmiss == 0) {
        return TGM_ERROR_OK;
    }
    d->tripped = true;
    d->keep = d->keep || keep;
    return tgm__fail(TGM_ERROR_REMOTE, "read of %s deferred", s->conf->display);
}

static void defer_done(void *user, tgm_error err, const char *msg) {
    tgm_remote_defer *d = user;
    pthread_mutex_lock(&d->mu);
    d->op = NULL;
    d->fetching = false;
    d->err = err;
    snprintf(d->msg, sizeof d->msg, "%s", msg != NULL ? msg : "");
    if (err == TGM_ERROR_OK) {
        for (size_t i = 0; i < d->next; i++) {
            d->ext[i].ready = true;
        }
    }
    void (*done)(void *) = d->done;
    void *u = d->user;
    pthread_mutex_unlock(&d->mu);
    done(u); /* may free d (the operation is over): nothing after this */
}

tgm_error tgm__remote_defer_fetch(tgm_remote_defer *d, void (*done)(void *user), void *user) {
    TGM_RETURN_IF(d->nmiss == 0 || done == NULL, TGM_ERROR_INVALID_ARG, "nothing to fetch");
    pthread_mutex_lock(&d->mu);
    bool cancelled = d->cancelled;
    pthread_mutex_unlock(&d->mu);
    if (cancelled) {
        return tgm__fail(TGM_ERROR_CANCELLED, "read of %s cancelled", d->src->conf->display);
    }
    /* Unfinished extents of a failed fetch go first. */
    for (size_t i = 0; i < d->next;) {
        if (!d->ext[i].ready) {
            dext_drop(d, i);
        } else {
            i++;
        }
    }
    size_t n = d->nmiss, base = d->next;
    if (d->next + n > d->cap_ext) {
        size_t cap = d->cap_ext ? d->cap_ext : 16;
        while (cap < d->next + n) {
            cap *= 2;
        }
        dext *e = tgm__realloc(d->ext, cap * sizeof *e);
        if (e == NULL) {
            return tgm__oom(cap * sizeof *e, "deferred reads");
        }
        d->ext = e;
        d->cap_ext = cap;
    }
    for (size_t i = 0; i < n; i++) {
        uint8_t *buf = tgm__malloc(d->miss[i].len ? d->miss[i].len : 1);
        if (buf == NULL) {
            while (d->next > base) {
                dext_drop(d, d->next - 1);
            }
            return tgm__oom(d->miss[i].len, "deferred read buffer");
        }
        d->ext[d->next++] = (dext){d->miss[i].off, d->miss[i].len, buf, false, true};
        d->ext_bytes += d->miss[i].len;
        d->miss[i].dst = buf;
    }
    pthread_mutex_lock(&d->mu);
    d->fetching = true;
    d->err = TGM_ERROR_OK;
    d->done = done;
    d->user = user;
    pthread_mutex_unlock(&d->mu);
    d->nmiss = 0;
    tgm_remote_read *op = NULL;
    tgm_error err = tgm__remote_read_async(&d->src->base, d->miss, n, d->keep, defer_done, d, &op);
    if (err != TGM_ERROR_OK) {
        pthread_mutex_lock(&d->mu);
        d->fetching = false;
        pthread_mutex_unlock(&d->mu);
        while (d->next > base) {
            dext_drop(d, d->next - 1);
        }
        return err;
    }
    /* `done` may have run already (bytes in the cache, a quick answer):
     * then the read is over and `op` is gone. */
    pthread_mutex_lock(&d->mu);
    if (d->fetching) {
        d->op = op;
        if (d->cancelled) {
            tgm__remote_read_cancel(op);
        }
    }
    pthread_mutex_unlock(&d->mu);
    return TGM_ERROR_OK;
}

void tgm__remote_defer_cancel(tgm_remote_defer *d) {
    if (d == NULL) {
        return;
    }
    pthread_mutex_lock(&d->mu);
    d->cancelled = true;
    if (d->op != NULL) {
        tgm__remote_read_cancel(d->op);
    }
    pthread_mutex_unlock(&d->mu);
}

void tgm__remote_stats(const tgm_source *src, tgm_remote_stats *out) {
    memset(out, 0, sizeof *out);
    if (src == NULL || !src->remote) {
        return;
    }
    const remote_source *s = (const remote_source *)src;
    out->requests = atomic_load(&s->conf->requests);
    out->retries = atomic_load(&s->conf->retries);
    out->bytes = atomic_load(&s->conf->bytes);
}

static void remote_close(tgm_source *src) {
    remote_source *s = (remote_source *)src;
    for (size_t i = 0; i < s->nextents; i++) {
        tgm__free(s->cache[i].data);
    }
    pthread_mutex_destroy(&s->lock);
    tgm__remote_conf_free(s->conf);
    tgm__free(s);
}

static const tgm_source_ops remote_ops = {remote_read_at, NULL, remote_read_many, NULL,
                                          remote_close};

/* The opening read: the first bytes of the object, which also tell its
 * size (Content-Range) and version (ETag). */
static tgm_error first_read(remote_source *s) {
    uint64_t want = s->conf->first_read;
    uint8_t *buf = tgm__malloc((size_t)want);
    if (buf == NULL) {
        return tgm__oom((size_t)want, "first read");
    }
    tgm_net_waiter *w = tgm__net_waiter_new(1);
    if (w == NULL) {
        tgm__free(buf);
        return tgm__oom(64, "waiter");
    }
    tgm_net_req r;
    memset(&r, 0, sizeof r);
    r.conf = s->conf;
    r.off = 0;
    r.len = want;
    r.clip_at_eof = true;
    r.dst = buf;
    r.done = tgm__net_waiter_done;
    r.user = w;
    tgm_error err = tgm__net_submit(s->net, &r);
    if (err == TGM_ERROR_OK) {
        tgm__net_waiter_wait(w);
        err = r.err;
        if (err != TGM_ERROR_OK) {
            tgm__fail(err, "cannot open %s: %s", s->conf->display, r.msg);
        } else if (r.total == UINT64_MAX) {
            err = tgm__fail(TGM_ERROR_REMOTE,
                            "cannot open %s: the server did not report the object's size "
                            "(Content-Range bytes .../*)",
                            s->conf->display);
        } else {
            s->base.size = r.total;
            snprintf(s->etag, sizeof s->etag, "%s", r.etag);
            cache_put(s, 0, buf, (size_t)r.got);
        }
    }
    tgm__net_waiter_free(w);
    tgm__free(buf);
    return err;
}

tgm_error tgm__remote_open(const char *url, const char *const *keys, const char *const *values,
                           size_t n, tgm_source **out) {
    tgm_remote_conf *conf;
    TGM_TRY(tgm__remote_conf_new(url, keys, values, n, &conf));
    remote_source *s = tgm__calloc(1, sizeof *s);
    if (s == NULL) {
        tgm__remote_conf_free(conf);
        return tgm__oom(sizeof *s, "remote source");
    }
    pthread_mutex_init(&s->lock, NULL);
    s->conf = conf;
    s->base.ops = &remote_ops;
    s->base.name = conf->source;
    s->base.remote = true;
    tgm_error err = tgm__net_get(&s->net);
    if (err == TGM_ERROR_OK) {
        err = first_read(s);
    }
    if (err != TGM_ERROR_OK) {
        remote_close(&s->base);
        return err;
    }
    *out = &s->base;
    return TGM_ERROR_OK;
}
