/* Shared between the files of src/async (not for other modules). */
#ifndef TGM_ASYNC_INTERNAL_H
#define TGM_ASYNC_INTERNAL_H

#include <pthread.h>

#include "async/async.h"

enum { WAKE_NONE, WAKE_RESUME, WAKE_FINISH };

typedef enum { PH_NEW, PH_QUEUED, PH_RUNNING, PH_WAITING, PH_STRAND, PH_FINISHED } task_phase;

struct tgm_async_task_t {
    atomic_int refs;
    atomic_int stop;  /* 0, TGM_ERROR_CANCELLED or TGM_ERROR_TIMEOUT */
    atomic_bool done; /* resolved (is_ready) */

    /* Guarded by the task lock. */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int waiters;
    bool consumed;
    tgm_error err;
    char *detail;      /* error detail (tgm__malloc'd) or NULL */
    int64_t err_index; /* object index of hash errors, -1 */
    tgm__ares res;
    bool cb_set;
    void (*cb)(void *);
    void *cb_data;
    struct tgm_async_notifier_t *notifier;
    uint64_t tag;

    /* The work. */
    const tgm__atask_ops *ops;
    void *ctx;
    tgm__strand *strand;

    /* Guarded by the pool lock. */
    task_phase phase;
    int wake;                        /* WAKE_*: another engine called back during run() */
    bool live;                       /* counted in the pool's live list (not yet resolved) */
    tgm_async_task_t *qprev, *qnext; /* run queue or strand queue */
    tgm_async_task_t *lprev, *lnext; /* live list */
    uint64_t deadline_ns;            /* 0: none */
    size_t heap_index;               /* position in the timer heap, SIZE_MAX when absent */

    /* Guarded by the token lock. */
    struct tgm_cancellation_token_t *token;
    tgm_async_task_t *tprev, *tnext;

    /* Guarded by the notifier lock. */
    tgm_async_task_t *nnext;
};

struct tgm__strand {
    atomic_int refs;
    /* Guarded by the pool lock. */
    bool active; /* a task of the strand is queued or running */
    tgm_async_task_t *head, *tail;
};

/* task.c */
void tgm__atask_release(tgm_async_task_t *t);
/* Resolve `t` (first call wins); takes ownership of `res` (freed when
 * the task was already resolved).  Fires the callback and notifier. */
void tgm__atask_resolve(tgm_async_task_t *t, tgm_error err, const char *detail, int64_t index,
                        tgm__ares *res);
void tgm__atask_token_detach(tgm_async_task_t *t);

/* pool.c */
/* Abort `t` (cancel, timeout, shutdown): resolve it with `code` and drop
 * it from the run queue when it has not started.  Caller holds a ref. */
void tgm__pool_abort(tgm_async_task_t *t, tgm_error code);
/* Run cb(data) on a dispatcher thread (inline when the queue is full or
 * the dispatchers are stopped). */
void tgm__pool_dispatch(void (*cb)(void *), void *data);
uint64_t tgm__now_ns(void);
/* Bookkeeping when a task resolves: live count, timer heap. */
void tgm__pool_resolved(tgm_async_task_t *t);
/* Attach to a token; true when it is already cancelled (task.c). */
bool tgm__atask_token_attach(tgm_async_task_t *t, struct tgm_cancellation_token_t *tok);
/* Run a queued task on the calling thread (join); false when it was not
 * queued. */
bool tgm__pool_try_steal(tgm_async_task_t *t);

#endif
