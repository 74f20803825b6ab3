/* The asynchronous engine behind tgm_async_*: tasks, the worker pool,
 * cancellation tokens, deadlines, completion callbacks and notifiers.
 *
 * The engine knows nothing of messages or files.  A task is a small work
 * request (libuv's uv_work_t is the model): a run function, its context,
 * and a result slot of one of a few kinds that the engine stores without
 * interpreting.  src/api builds every exported tgm_async_* call on it.
 *
 * Life of a task:
 *
 *   submit ──> QUEUED ──worker──> RUNNING ──run returns──> FINISHED
 *                 │                  │  └─ TGM__ASYNC_SUSPEND ─> WAITING
 *                 │                  │        (an I/O engine calls
 *                 │                  │         tgm__async_resume / _finish)
 *                 └── cancel / timeout / shutdown: resolved at once,
 *                     a queued task never runs, a running one stops at
 *                     its next tgm__async_stop_requested() check.
 *
 * "Resolved" (what tgm_async_task_is_ready reports) happens exactly once:
 * the first of the result, a cancellation, a timeout.  A result produced
 * after the task was resolved otherwise is freed with the task's
 * free_result.  Callbacks run on dispatcher threads, never under a lock.
 *
 * Memory: a task is reference counted (the caller's handle, the engine
 * while the work is queued, running or waiting, a notifier's queue, the
 * timer while popping it); whoever drops the last reference frees it.
 * Locks: the pool lock (queue, live list, timer heap) may be taken before
 * a task's lock, never after. */
#ifndef TGM_ASYNC_ASYNC_H
#define TGM_ASYNC_ASYNC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tensogram/tensogram.h"

/* What a result slot holds; the join functions check it. */
typedef enum {
    TGM__ARES_NONE = 0,
    TGM__ARES_VOID,
    TGM__ARES_SIZE,
    TGM__ARES_BYTES,
    TGM__ARES_MULTI_BYTES,
    TGM__ARES_MESSAGE,
    TGM__ARES_METADATA,
    TGM__ARES_ASYNC_FILE,
    TGM__ARES_STREAM_ENC,
    TGM__ARES_MESSAGES /* ptr: tgm_message_t *[size] */
} tgm__ares_kind;

typedef struct tgm__ares {
    tgm__ares_kind kind;
    uint64_t size;     /* SIZE; MULTI_BYTES, MESSAGES: element count of `ptr` */
    tgm_bytes_t bytes; /* BYTES */
    void *ptr;         /* MESSAGE, METADATA, ASYNC_FILE, STREAM_ENC, MULTI_BYTES, MESSAGES */
} tgm__ares;

/* Returned by a run function that handed its task to another engine (the
 * network loop): the task stays WAITING until that engine calls
 * tgm__async_resume or tgm__async_finish. */
#define TGM__ASYNC_SUSPEND ((tgm_error)1000)

typedef struct tgm__atask_ops {
    /* Do (a step of) the work.  Returns TGM_ERROR_OK with *out filled, an
     * error with the detail recorded on this thread, or TGM__ASYNC_SUSPEND. */
    tgm_error (*run)(tgm_async_task_t *t, void *ctx, tgm__ares *out);
    /* Release the context when the task is done with it (may be NULL). */
    void (*ctx_free)(void *ctx);
    /* Free a result that nobody will join. */
    void (*free_result)(tgm__ares *r);
    /* May be NULL.  Called when a task WAITING on another engine is
     * cancelled, times out or is shut down (also when it stops while
     * suspending): abort the work in flight, so that the engine holding it
     * calls back soon.  Runs under the pool lock: it must not block or call
     * into the async engine (it may take leaf locks of its own). */
    void (*on_stop)(void *ctx);
} tgm__atask_ops;

/* A strand runs its tasks one at a time, in submission order (one
 * streaming encoder's operations).  Reference counted by its owner and by
 * the tasks queued on it. */
typedef struct tgm__strand tgm__strand;
tgm_error tgm__strand_new(tgm__strand **out);
void tgm__strand_release(tgm__strand *s);

/* Create a task and queue it (on `strand` when not NULL).  `ctx` belongs
 * to the task from this call on, also when it fails (ops->ctx_free).
 * Fails with TGM_ERROR_IO after shutdown, TGM_ERROR_ENCODING when out of
 * memory. */
tgm_error tgm__async_submit(const tgm__atask_ops *ops, void *ctx, tgm_cancellation_token_t *tok,
                            uint64_t timeout_ms, tgm__strand *strand, tgm_async_task_t **out);

/* Fails after shutdown (TGM_ERROR_IO): launching calls check this before
 * doing any argument work of their own. */
tgm_error tgm__async_check_live(void);

/* Wait for the task and take its result.  TGM_ERROR_OK: *out holds the
 * result (the caller owns it).  Otherwise the error is recorded on this
 * thread.  A second take fails with INVALID_ARG. */
tgm_error tgm__async_take(tgm_async_task_t *t, tgm__ares *out);

/* For run functions: true once the current task was cancelled, timed out
 * or its runtime shut down (also inside tgm__parallel_for workers). */
bool tgm__async_stop_requested(void);

/* For other engines holding a suspended task: run it again on the pool,
 * or resolve it with a result / an error (detail text may be NULL).  Each
 * suspended task gets exactly one of these calls. */
void tgm__async_resume(tgm_async_task_t *t);
void tgm__async_finish(tgm_async_task_t *t, tgm_error err, const char *detail, tgm__ares *res);
/* The task's stop flag, for engines that poll it (never NULL). */
const atomic_int *tgm__async_stop_flag(const tgm_async_task_t *t);

/* Pool settings (after tgm_runtime_configure, or defaults). */
uint64_t tgm__async_part_size(void);

#endif
