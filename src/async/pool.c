/* The runtime: worker pool, run queue, strands, deadlines, callback
 * dispatchers, configuration and shutdown.
 *
 * One process-wide pool, started on the first submission.  Workers (at
 * most `workers`, started on demand) take tasks from a FIFO run queue.
 * Deadlines live in a min-heap served by one timer thread.  Completion
 * callbacks go through a queue to `dispatcher_workers` threads so that a
 * slow callback never holds up a worker.  Shutdown is final. */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "async/internal.h"
#include "common/alloc.h"
#include "common/error.h"
#include "common/thread.h"

enum { ST_INIT, ST_LIVE, ST_SHUTDOWN };

#define DEFAULT_PART_SIZE ((uint64_t)8 * 1024 * 1024)
#define DISPATCH_QUEUE_MAX ((size_t)1 << 20)

typedef struct {
    void (*cb)(void *);
    void *data;
} dispatch_item;

static struct {
    pthread_mutex_t mu;
    pthread_cond_t work_cv;  /* workers wait for tasks */
    pthread_cond_t drain_cv; /* shutdown waits for live == 0 / workers gone */
    int state;
    bool configured;
    uint32_t max_workers;
    uint32_t max_dispatchers;
    uint64_t part_size;

    tgm_async_task_t *qhead, *qtail;
    pthread_t *threads;
    uint32_t nthreads; /* started */
    uint32_t nalive;   /* started and not exited */
    uint32_t nidle;

    tgm_async_task_t *live_head;
    uint64_t live;

    /* Timer: deadlines in a min-heap. */
    pthread_cond_t timer_cv; /* CLOCK_MONOTONIC */
    bool timer_started, timer_stop;
    pthread_t timer;
    tgm_async_task_t **heap;
    size_t heap_n, heap_cap;

    /* Callback dispatchers: their own lock. */
    pthread_mutex_t dmu;
    pthread_cond_t dcv;
    dispatch_item *dq;
    size_t dq_cap, dq_head, dq_n;
    pthread_t *dthreads;
    uint32_t ndthreads;
    bool dstop;
} P = {
    .mu = PTHREAD_MUTEX_INITIALIZER,
    .work_cv = PTHREAD_COND_INITIALIZER,
    .drain_cv = PTHREAD_COND_INITIALIZER,
    .dmu = PTHREAD_MUTEX_INITIALIZER,
    .dcv = PTHREAD_COND_INITIALIZER,
};

uint64_t tgm__now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint32_t ncpus(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (uint32_t)n : 4;
}

static uint32_t default_workers(void) { return ncpus() < 8 ? ncpus() : 8; }
static uint32_t default_dispatchers(void) { return ncpus() < 4 ? ncpus() : 4; }

uint64_t tgm__async_part_size(void) {
    pthread_mutex_lock(&P.mu);
    uint64_t v = P.part_size ? P.part_size : DEFAULT_PART_SIZE;
    pthread_mutex_unlock(&P.mu);
    return v;
}

tgm_error tgm_runtime_configure(uint32_t workers, uint32_t dispatcher_workers,
                                uint64_t multipart_part_size_bytes) {
    tgm__clear_error();
    pthread_mutex_lock(&P.mu);
    if (P.configured || P.state != ST_INIT) {
        pthread_mutex_unlock(&P.mu);
        return tgm__fail_raw(TGM_ERROR_INVALID_ARG, "runtime already configured or built");
    }
    P.configured = true;
    P.max_workers = workers ? (workers > 1024 ? 1024 : workers) : default_workers();
    P.max_dispatchers = dispatcher_workers ? (dispatcher_workers > 256 ? 256 : dispatcher_workers)
                                           : default_dispatchers();
    P.part_size = multipart_part_size_bytes ? multipart_part_size_bytes : DEFAULT_PART_SIZE;
    pthread_mutex_unlock(&P.mu);
    return TGM_ERROR_OK;
}

/* ---- timer heap (pool lock held) --------------------------------------------------- */

static void heap_swap(size_t a, size_t b) {
    tgm_async_task_t *t = P.heap[a];
    P.heap[a] = P.heap[b];
    P.heap[b] = t;
    P.heap[a]->heap_index = a;
    P.heap[b]->heap_index = b;
}

static void heap_up(size_t i) {
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (P.heap[p]->deadline_ns <= P.heap[i]->deadline_ns) {
            break;
        }
        heap_swap(i, p);
        i = p;
    }
}

static void heap_down(size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < P.heap_n && P.heap[l]->deadline_ns < P.heap[m]->deadline_ns) {
            m = l;
        }
        if (r < P.heap_n && P.heap[r]->deadline_ns < P.heap[m]->deadline_ns) {
            m = r;
        }
        if (m == i) {
            return;
        }
        heap_swap(i, m);
        i = m;
    }
}

static void heap_remove(tgm_async_task_t *t) {
    size_t i = t->heap_index;
    if (i == SIZE_MAX) {
        return;
    }
    t->heap_index = SIZE_MAX;
    P.heap_n--;
    if (i != P.heap_n) {
        P.heap[i] = P.heap[P.heap_n];
        P.heap[i]->heap_index = i;
        heap_down(i);
        heap_up(i);
    }
}

static bool heap_push(tgm_async_task_t *t) {
    if (P.heap_n == P.heap_cap) {
        size_t cap = P.heap_cap ? P.heap_cap * 2 : 64;
        tgm_async_task_t **h = tgm__realloc(P.heap, cap * sizeof *h);
        if (h == NULL) {
            return false;
        }
        P.heap = h;
        P.heap_cap = cap;
    }
    t->heap_index = P.heap_n;
    P.heap[P.heap_n++] = t;
    heap_up(t->heap_index);
    return true;
}

static void *timer_main(void *arg) {
    (void)arg;
    pthread_mutex_lock(&P.mu);
    while (!P.timer_stop) {
        if (P.heap_n == 0) {
            pthread_cond_wait(&P.timer_cv, &P.mu);
            continue;
        }
        tgm_async_task_t *t = P.heap[0];
        uint64_t now = tgm__now_ns();
        if (now < t->deadline_ns) {
            struct timespec ts = {(time_t)(t->deadline_ns / 1000000000u),
                                  (long)(t->deadline_ns % 1000000000u)};
            pthread_cond_timedwait(&P.timer_cv, &P.mu, &ts);
            continue;
        }
        heap_remove(t);
        atomic_fetch_add(&t->refs, 1);
        pthread_mutex_unlock(&P.mu);
        tgm__pool_abort(t, TGM_ERROR_TIMEOUT);
        tgm__atask_release(t);
        pthread_mutex_lock(&P.mu);
    }
    pthread_mutex_unlock(&P.mu);
    return NULL;
}

/* Pool lock held. */
static bool start_timer(void) {
    if (P.timer_started) {
        return true;
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&P.timer_cv, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&P.timer, NULL, timer_main, NULL) != 0) {
        pthread_cond_destroy(&P.timer_cv);
        return false;
    }
    P.timer_started = true;
    return true;
}

/* ---- dispatchers ------------------------------------------------------------------- */

static void *dispatcher_main(void *arg) {
    (void)arg;
    pthread_mutex_lock(&P.dmu);
    for (;;) {
        while (P.dq_n == 0 && !P.dstop) {
            pthread_cond_wait(&P.dcv, &P.dmu);
        }
        if (P.dq_n == 0) {
            break;
        }
        dispatch_item it = P.dq[P.dq_head];
        P.dq_head = (P.dq_head + 1) % P.dq_cap;
        P.dq_n--;
        pthread_mutex_unlock(&P.dmu);
        it.cb(it.data);
        pthread_mutex_lock(&P.dmu);
    }
    pthread_mutex_unlock(&P.dmu);
    return NULL;
}

/* Grow the ring (dispatcher lock held). */
static bool dq_grow(void) {
    size_t cap = P.dq_cap ? P.dq_cap * 2 : 256;
    if (cap > DISPATCH_QUEUE_MAX) {
        return false;
    }
    dispatch_item *q = tgm__malloc_array(cap, sizeof *q);
    if (q == NULL) {
        return false;
    }
    for (size_t i = 0; i < P.dq_n; i++) {
        q[i] = P.dq[(P.dq_head + i) % P.dq_cap];
    }
    tgm__free(P.dq);
    P.dq = q;
    P.dq_cap = cap;
    P.dq_head = 0;
    return true;
}

void tgm__pool_dispatch(void (*cb)(void *), void *data) {
    pthread_mutex_lock(&P.dmu);
    bool inline_run = P.dstop;
    if (!inline_run && P.dthreads == NULL) {
        pthread_mutex_lock(&P.mu);
        uint32_t n = P.max_dispatchers ? P.max_dispatchers : default_dispatchers();
        pthread_mutex_unlock(&P.mu);
        P.dthreads = tgm__calloc(n, sizeof *P.dthreads);
        for (uint32_t i = 0; P.dthreads != NULL && i < n; i++) {
            if (pthread_create(&P.dthreads[i], NULL, dispatcher_main, NULL) != 0) {
                break;
            }
            P.ndthreads++;
        }
    }
    if (P.ndthreads == 0 || (P.dq_n == P.dq_cap && !dq_grow())) {
        inline_run = true;
    }
    if (!inline_run) {
        P.dq[(P.dq_head + P.dq_n) % P.dq_cap] = (dispatch_item){cb, data};
        P.dq_n++;
        pthread_cond_signal(&P.dcv);
    }
    pthread_mutex_unlock(&P.dmu);
    if (inline_run) {
        cb(data);
    }
}

/* ---- queue and workers (pool lock held) ---------------------------------------------- */

static void q_push(tgm_async_task_t *t) {
    t->phase = PH_QUEUED;
    t->qnext = NULL;
    t->qprev = P.qtail;
    if (P.qtail != NULL) {
        P.qtail->qnext = t;
    } else {
        P.qhead = t;
    }
    P.qtail = t;
}

static void q_unlink(tgm_async_task_t *t) {
    if (t->qprev != NULL) {
        t->qprev->qnext = t->qnext;
    } else {
        P.qhead = t->qnext;
    }
    if (t->qnext != NULL) {
        t->qnext->qprev = t->qprev;
    } else {
        P.qtail = t->qprev;
    }
    t->qprev = t->qnext = NULL;
}

static void strand_unlink(tgm__strand *s, tgm_async_task_t *t) {
    if (t->qprev != NULL) {
        t->qprev->qnext = t->qnext;
    } else {
        s->head = t->qnext;
    }
    if (t->qnext != NULL) {
        t->qnext->qprev = t->qprev;
    } else {
        s->tail = t->qprev;
    }
    t->qprev = t->qnext = NULL;
}

static void *worker_main(void *arg);

/* Make sure someone will pick up the queue: an idle worker, or else a busy
 * one when it finishes (a worker looks at the queue before it waits).  A
 * worker that could not be started earlier is tried again. */
static void wake_worker(void) {
    if (P.nidle > 0) {
        pthread_cond_signal(&P.work_cv);
    } else if (P.nthreads < P.max_workers && P.threads != NULL && P.state == ST_LIVE) {
        if (pthread_create(&P.threads[P.nthreads], NULL, worker_main, NULL) == 0) {
            P.nthreads++;
            P.nalive++;
        }
    }
}

/* The task leaves the engine: next task of its strand, context freed,
 * engine reference dropped.  Called without locks. */
static void engine_done(tgm_async_task_t *t) {
    pthread_mutex_lock(&P.mu);
    t->phase = PH_FINISHED;
    tgm__strand *s = t->strand;
    if (s != NULL) {
        tgm_async_task_t *next = s->head;
        if (next != NULL) {
            strand_unlink(s, next);
            q_push(next);
            wake_worker();
        } else {
            s->active = false;
        }
    }
    pthread_mutex_unlock(&P.mu);
    void *ctx = t->ctx;
    t->ctx = NULL;
    if (ctx != NULL && t->ops->ctx_free != NULL) {
        t->ops->ctx_free(ctx);
    }
    if (s != NULL) {
        t->strand = NULL;
        tgm__strand_release(s);
    }
    tgm__atask_release(t);
}

/* A task whose work ends after its deadline resolves with TGM_ERROR_TIMEOUT
 * even when the timer thread has not fired yet (a loaded machine may run it
 * late): the deadline holds whatever the scheduling.  The work's result is
 * then freed by the resolve that follows.  deadline_ns is written before
 * the task is queued and never changed. */
static void resolve_late(tgm_async_task_t *t) {
    if (t->deadline_ns != 0 && tgm__now_ns() >= t->deadline_ns) {
        tgm__atask_resolve(t, TGM_ERROR_TIMEOUT, "async task timed out", -1, NULL);
    }
}

/* Run (a step of) `t` on this thread and deal with the outcome. */
static void execute(tgm_async_task_t *t) {
    if (atomic_load(&t->stop) != 0) {
        engine_done(t); /* resolved already by the abort */
        return;
    }
    const atomic_int *saved = tgm__stop_flag();
    tgm__set_stop_flag(&t->stop);
    tgm__clear_error();
    tgm__ares res;
    memset(&res, 0, sizeof res);
    tgm_error e = t->ops->run(t, t->ctx, &res);
    tgm__set_stop_flag(saved);
    if (e == TGM__ASYNC_SUSPEND) {
        /* Another engine has the task now; it may already have called back
         * while `run` was returning. */
        pthread_mutex_lock(&P.mu);
        int wake = t->wake;
        t->wake = WAKE_NONE;
        if (wake == WAKE_RESUME) {
            q_push(t);
            wake_worker();
        } else if (wake == WAKE_NONE) {
            t->phase = PH_WAITING;
            /* An abort that found the task still RUNNING could not stop
             * the other engine's work: do it now. */
            if (atomic_load(&t->stop) != 0 && t->ops->on_stop != NULL) {
                t->ops->on_stop(t->ctx);
            }
        }
        pthread_mutex_unlock(&P.mu);
        if (wake == WAKE_FINISH) {
            engine_done(t);
        }
        return;
    }
    resolve_late(t);
    if (e != TGM_ERROR_OK) {
        tgm__atask_resolve(t, e, tgm__error_detail(), tgm__error_object_index(), &res);
    } else {
        tgm__atask_resolve(t, TGM_ERROR_OK, NULL, -1, &res);
    }
    tgm__clear_error();
    engine_done(t);
}

static void *worker_main(void *arg) {
    (void)arg;
    pthread_mutex_lock(&P.mu);
    for (;;) {
        while (P.qhead == NULL && P.state != ST_SHUTDOWN) {
            P.nidle++;
            pthread_cond_wait(&P.work_cv, &P.mu);
            P.nidle--;
        }
        tgm_async_task_t *t = P.qhead;
        if (t == NULL) {
            break;
        }
        q_unlink(t);
        t->phase = PH_RUNNING;
        pthread_mutex_unlock(&P.mu);
        execute(t);
        pthread_mutex_lock(&P.mu);
    }
    P.nalive--;
    pthread_cond_broadcast(&P.drain_cv);
    pthread_mutex_unlock(&P.mu);
    return NULL;
}

bool tgm__pool_try_steal(tgm_async_task_t *t) {
    pthread_mutex_lock(&P.mu);
    if (t->phase != PH_QUEUED || t->deadline_ns != 0 || t->strand != NULL) {
        pthread_mutex_unlock(&P.mu);
        return false;
    }
    q_unlink(t);
    t->phase = PH_RUNNING;
    pthread_mutex_unlock(&P.mu);
    execute(t);
    return true;
}

/* ---- strands ------------------------------------------------------------------------- */

tgm_error tgm__strand_new(tgm__strand **out) {
    tgm__strand *s = tgm__calloc(1, sizeof *s);
    if (s == NULL) {
        return tgm__oom(sizeof *s, "strand");
    }
    atomic_init(&s->refs, 1);
    *out = s;
    return TGM_ERROR_OK;
}

void tgm__strand_release(tgm__strand *s) {
    if (s != NULL && atomic_fetch_sub(&s->refs, 1) == 1) {
        tgm__free(s);
    }
}

/* ---- submission, abort, external engines ------------------------------------------------ */

tgm_error tgm__async_check_live(void) {
    pthread_mutex_lock(&P.mu);
    int st = P.state;
    pthread_mutex_unlock(&P.mu);
    if (st == ST_SHUTDOWN) {
        return tgm__fail_raw(TGM_ERROR_IO, "runtime has been shut down");
    }
    return TGM_ERROR_OK;
}

/* First submission: start the pool (pool lock held).  Every worker is
 * started now: counting idle workers to decide whether to start another
 * undercounts capacity (a worker signalled but not yet awake still counts
 * as idle), which on a loaded machine could leave the pool at one thread. */
static tgm_error start_pool(void) {
    if (!P.configured) {
        P.max_workers = default_workers();
        P.max_dispatchers = default_dispatchers();
        P.part_size = DEFAULT_PART_SIZE;
        P.configured = true;
    }
    P.threads = tgm__calloc(P.max_workers, sizeof *P.threads);
    if (P.threads == NULL) {
        return tgm__oom(P.max_workers * sizeof *P.threads, "worker pool");
    }
    while (P.nthreads < P.max_workers &&
           pthread_create(&P.threads[P.nthreads], NULL, worker_main, NULL) == 0) {
        P.nthreads++;
        P.nalive++;
    }
    if (P.nthreads == 0) {
        tgm__free(P.threads);
        P.threads = NULL;
        return tgm__fail(TGM_ERROR_IO, "cannot start the async worker threads");
    }
    P.state = ST_LIVE;
    return TGM_ERROR_OK;
}

tgm_error tgm__async_submit(const tgm__atask_ops *ops, void *ctx, tgm_cancellation_token_t *tok,
                            uint64_t timeout_ms, tgm__strand *strand, tgm_async_task_t **out) {
    tgm_async_task_t *t = tgm__calloc(1, sizeof *t);
    if (t == NULL) {
        if (ctx != NULL && ops->ctx_free != NULL) {
            ops->ctx_free(ctx);
        }
        return tgm__oom(sizeof *t, "async task");
    }
    atomic_init(&t->refs, 2); /* the caller's handle and the engine */
    atomic_init(&t->stop, 0);
    atomic_init(&t->done, false);
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv, NULL);
    t->err_index = -1;
    t->ops = ops;
    t->ctx = ctx;
    t->heap_index = SIZE_MAX;
    t->phase = PH_NEW;

    pthread_mutex_lock(&P.mu);
    tgm_error err = TGM_ERROR_OK;
    if (P.state == ST_SHUTDOWN) {
        err = tgm__fail_raw(TGM_ERROR_IO, "runtime has been shut down");
    } else if (P.state == ST_INIT) {
        err = start_pool();
    }
    if (err == TGM_ERROR_OK && timeout_ms > 0) {
        uint64_t ms = timeout_ms > UINT64_MAX / 2000000u ? UINT64_MAX / 2000000u : timeout_ms;
        t->deadline_ns = tgm__now_ns() + ms * 1000000u;
        if (!start_timer() || !heap_push(t)) {
            err = tgm__fail(TGM_ERROR_ENCODING, "cannot arm the task's deadline");
        }
    }
    if (err != TGM_ERROR_OK) {
        pthread_mutex_unlock(&P.mu);
        atomic_store(&t->refs, 1);
        tgm__atask_release(t); /* frees ctx */
        return err;
    }
    if (t->heap_index == 0) {
        pthread_cond_signal(&P.timer_cv);
    }
    t->lnext = P.live_head;
    if (P.live_head != NULL) {
        P.live_head->lprev = t;
    }
    P.live_head = t;
    P.live++;
    t->live = true;
    /* Attach to the token before the task can run, so a cancellation
     * racing with this submission is never lost. */
    bool cancelled = false;
    if (tok != NULL) {
        cancelled = tgm__atask_token_attach(t, tok);
    }
    if (strand != NULL) {
        atomic_fetch_add(&strand->refs, 1);
        t->strand = strand;
        if (strand->active) {
            t->phase = PH_STRAND;
            t->qnext = NULL;
            t->qprev = strand->tail;
            if (strand->tail != NULL) {
                strand->tail->qnext = t;
            } else {
                strand->head = t;
            }
            strand->tail = t;
        } else {
            strand->active = true;
            q_push(t);
            wake_worker();
        }
    } else {
        q_push(t);
        wake_worker();
    }
    pthread_mutex_unlock(&P.mu);
    if (cancelled) {
        tgm__pool_abort(t, TGM_ERROR_CANCELLED);
    }
    *out = t;
    return TGM_ERROR_OK;
}

void tgm__pool_abort(tgm_async_task_t *t, tgm_error code) {
    int expected = 0;
    atomic_compare_exchange_strong(&t->stop, &expected, (int)code);
    bool removed = false;
    tgm__strand *waiting_strand = NULL;
    pthread_mutex_lock(&P.mu);
    if (t->phase == PH_QUEUED) {
        q_unlink(t);
        removed = true; /* a strand's turn, if any, passes on in engine_done */
    } else if (t->phase == PH_STRAND) {
        /* Waiting behind another task of its strand: the strand's turn is
         * not this task's, so it must not be passed on. */
        strand_unlink(t->strand, t);
        waiting_strand = t->strand;
        t->strand = NULL;
        removed = true;
    }
    if (removed) {
        t->phase = PH_RUNNING;
    } else if (t->phase == PH_WAITING && t->ops->on_stop != NULL) {
        /* In another engine's hands (a network transfer): stop it there.
         * Under the pool lock, the task cannot be resumed (and its context
         * freed) meanwhile. */
        t->ops->on_stop(t->ctx);
    }
    pthread_mutex_unlock(&P.mu);
    tgm__atask_resolve(t, code,
                       code == TGM_ERROR_TIMEOUT ? "async task timed out" : "async task cancelled",
                       -1, NULL);
    if (removed) {
        tgm__strand_release(waiting_strand);
        engine_done(t);
    }
}

void tgm__pool_resolved(tgm_async_task_t *t) {
    pthread_mutex_lock(&P.mu);
    heap_remove(t);
    if (t->live) {
        t->live = false;
        if (t->lprev != NULL) {
            t->lprev->lnext = t->lnext;
        } else {
            P.live_head = t->lnext;
        }
        if (t->lnext != NULL) {
            t->lnext->lprev = t->lprev;
        }
        t->lprev = t->lnext = NULL;
        P.live--;
        if (P.live == 0) {
            pthread_cond_broadcast(&P.drain_cv);
        }
    }
    pthread_mutex_unlock(&P.mu);
}

void tgm__async_resume(tgm_async_task_t *t) {
    pthread_mutex_lock(&P.mu);
    if (t->phase == PH_RUNNING) {
        t->wake = WAKE_RESUME; /* still inside run(): execute() requeues it */
        pthread_mutex_unlock(&P.mu);
        return;
    }
    if (atomic_load(&t->stop) != 0) {
        /* Aborted while waiting (already resolved): do not run again. */
        pthread_mutex_unlock(&P.mu);
        engine_done(t);
        return;
    }
    q_push(t);
    wake_worker();
    pthread_mutex_unlock(&P.mu);
}

void tgm__async_finish(tgm_async_task_t *t, tgm_error err, const char *detail, tgm__ares *res) {
    resolve_late(t);
    tgm__atask_resolve(t, err, detail, -1, res);
    pthread_mutex_lock(&P.mu);
    bool running = t->phase == PH_RUNNING;
    if (running) {
        t->wake = WAKE_FINISH;
    }
    pthread_mutex_unlock(&P.mu);
    if (!running) {
        engine_done(t);
    }
}

uint64_t tgm_async_pending_tasks(void) {
    pthread_mutex_lock(&P.mu);
    uint64_t n = P.live;
    pthread_mutex_unlock(&P.mu);
    return n;
}

/* ---- shutdown -------------------------------------------------------------------------- */

static void abstime_after(uint64_t deadline_ns, struct timespec *ts) {
    /* drain_cv uses the realtime clock: convert the monotonic deadline. */
    uint64_t now_m = tgm__now_ns();
    uint64_t left = deadline_ns > now_m ? deadline_ns - now_m : 0;
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    uint64_t ns = (uint64_t)rt.tv_nsec + left % 1000000000u;
    ts->tv_sec = rt.tv_sec + (time_t)(left / 1000000000u) + (time_t)(ns / 1000000000u);
    ts->tv_nsec = (long)(ns % 1000000000u);
}

uint64_t tgm_runtime_shutdown_blocking(uint64_t timeout_ms) {
    pthread_mutex_lock(&P.mu);
    int prev = P.state;
    P.state = ST_SHUTDOWN;
    if (prev != ST_LIVE) {
        pthread_mutex_unlock(&P.mu);
        return 0;
    }
    uint64_t ms = timeout_ms > UINT64_MAX / 2000000u ? UINT64_MAX / 2000000u : timeout_ms;
    uint64_t deadline = tgm__now_ns() + ms * 1000000u;
    while (P.live > 0 && tgm__now_ns() < deadline) {
        struct timespec ts;
        abstime_after(deadline, &ts);
        pthread_cond_timedwait(&P.drain_cv, &P.mu, &ts);
    }
    uint64_t unfinished = P.live;
    /* Cancel what is left; each abort resolves (and unlinks) one task. */
    while (P.live_head != NULL) {
        tgm_async_task_t *t = P.live_head;
        atomic_fetch_add(&t->refs, 1);
        pthread_mutex_unlock(&P.mu);
        tgm__pool_abort(t, TGM_ERROR_CANCELLED);
        tgm__atask_release(t);
        pthread_mutex_lock(&P.mu);
    }
    /* Workers leave once the queue is empty; one still inside a task's
     * work stops at its next cancellation point.  Wait a little for them,
     * then let stragglers finish on their own (they touch only this
     * static state and their own task). */
    pthread_cond_broadcast(&P.work_cv);
    uint64_t grace = tgm__now_ns() + 2000000000u;
    if (deadline > grace) {
        grace = deadline;
    }
    while (P.nalive > 0 && tgm__now_ns() < grace) {
        struct timespec ts;
        abstime_after(grace, &ts);
        pthread_cond_timedwait(&P.drain_cv, &P.mu, &ts);
    }
    bool all_gone = P.nalive == 0;
    uint32_t n = P.nthreads;
    pthread_t *threads = P.threads;
    P.threads = NULL;
    bool timer = P.timer_started;
    P.timer_stop = true;
    if (timer) {
        pthread_cond_signal(&P.timer_cv);
    }
    tgm_async_task_t **heap = P.heap;
    P.heap = NULL;
    P.heap_n = P.heap_cap = 0;
    pthread_mutex_unlock(&P.mu);
    for (uint32_t i = 0; i < n; i++) {
        if (all_gone) {
            pthread_join(threads[i], NULL);
        } else {
            pthread_detach(threads[i]);
        }
    }
    tgm__free(threads);
    if (timer) {
        pthread_join(P.timer, NULL);
    }
    tgm__free(heap);

    /* Callbacks already queued still run; later ones run inline. */
    pthread_mutex_lock(&P.dmu);
    P.dstop = true;
    pthread_cond_broadcast(&P.dcv);
    pthread_t *dthreads = P.dthreads;
    uint32_t nd = P.ndthreads;
    pthread_mutex_unlock(&P.dmu);
    for (uint32_t i = 0; i < nd; i++) {
        pthread_join(dthreads[i], NULL);
    }
    pthread_mutex_lock(&P.dmu);
    tgm__free(P.dq);
    P.dq = NULL;
    P.dq_cap = P.dq_n = P.dq_head = 0;
    tgm__free(P.dthreads);
    P.dthreads = NULL;
    P.ndthreads = 0;
    pthread_mutex_unlock(&P.dmu);
    return unfinished;
}

bool tgm__async_stop_requested(void) { return tgm__stop_requested(); }
