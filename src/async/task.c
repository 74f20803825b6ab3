/* Tasks, cancellation tokens and notifiers (see async.h for the model). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/eventfd.h>
#endif

#include "async/internal.h"
#include "common/alloc.h"
#include "common/error.h"

/* ---- cancellation tokens ------------------------------------------------------ */

struct tgm_cancellation_token_t {
    atomic_int refs;
    atomic_bool cancelled;
    pthread_mutex_t mu;
    tgm_async_task_t *head; /* tasks attached and not yet resolved */
};

static void token_release(tgm_cancellation_token_t *tok) {
    if (tok != NULL && atomic_fetch_sub(&tok->refs, 1) == 1) {
        pthread_mutex_destroy(&tok->mu);
        tgm__free(tok);
    }
}

tgm_cancellation_token_t *tgm_cancellation_token_create(void) {
    tgm_cancellation_token_t *tok = tgm__calloc(1, sizeof *tok);
    if (tok == NULL) {
        return NULL;
    }
    atomic_init(&tok->refs, 1);
    atomic_init(&tok->cancelled, false);
    pthread_mutex_init(&tok->mu, NULL);
    return tok;
}

void tgm_cancellation_token_cancel(tgm_cancellation_token_t *tok) {
    if (tok == NULL || atomic_exchange(&tok->cancelled, true)) {
        return;
    }
    /* Tasks attaching from now on see the flag; those attached before are
     * taken off the list one at a time, so no allocation is needed and no
     * lock is held while a task is aborted. */
    for (;;) {
        pthread_mutex_lock(&tok->mu);
        tgm_async_task_t *t = tok->head;
        if (t != NULL) {
            tok->head = t->tnext;
            if (t->tnext != NULL) {
                t->tnext->tprev = NULL;
            }
            t->tnext = t->tprev = NULL;
            atomic_fetch_add(&t->refs, 1);
        }
        pthread_mutex_unlock(&tok->mu);
        if (t == NULL) {
            break;
        }
        tgm__pool_abort(t, TGM_ERROR_CANCELLED);
        tgm__atask_release(t);
    }
}

bool tgm_cancellation_token_is_cancelled(const tgm_cancellation_token_t *tok) {
    return tok != NULL && atomic_load(&tok->cancelled);
}

void tgm_cancellation_token_free(tgm_cancellation_token_t *tok) { token_release(tok); }

/* Attach `t` to `tok` (the task keeps a reference to the token).  Returns
 * true when the token is already cancelled (the task is not attached). */
bool tgm__atask_token_attach(tgm_async_task_t *t, tgm_cancellation_token_t *tok) {
    atomic_fetch_add(&tok->refs, 1);
    t->token = tok;
    pthread_mutex_lock(&tok->mu);
    bool cancelled = atomic_load(&tok->cancelled);
    if (!cancelled) {
        t->tnext = tok->head;
        t->tprev = NULL;
        if (tok->head != NULL) {
            tok->head->tprev = t;
        }
        tok->head = t;
    }
    pthread_mutex_unlock(&tok->mu);
    return cancelled;
}

void tgm__atask_token_detach(tgm_async_task_t *t) {
    tgm_cancellation_token_t *tok = t->token;
    if (tok == NULL) {
        return;
    }
    pthread_mutex_lock(&tok->mu);
    if (t->tprev != NULL) {
        t->tprev->tnext = t->tnext;
    } else if (tok->head == t) {
        tok->head = t->tnext;
    }
    if (t->tnext != NULL) {
        t->tnext->tprev = t->tprev;
    }
    t->tnext = t->tprev = NULL;
    pthread_mutex_unlock(&tok->mu);
}

/* ---- notifiers ------------------------------------------------------------------ */

struct tgm_async_notifier_t {
    atomic_int refs;
    pthread_mutex_t mu;
    int rfd, wfd; /* eventfd: the same descriptor twice */
    bool signalled;
    bool closed; /* the caller freed it: tags are dropped */
    tgm_async_task_t *head, *tail;
};

static void notifier_release(tgm_async_notifier_t *n) {
    if (n == NULL || atomic_fetch_sub(&n->refs, 1) != 1) {
        return;
    }
    close(n->rfd);
    if (n->wfd != n->rfd) {
        close(n->wfd);
    }
    pthread_mutex_destroy(&n->mu);
    tgm__free(n);
}

tgm_error tgm_async_notifier_create(tgm_async_notifier_t **out) {
    tgm__clear_error();
    if (out == NULL) {
        return tgm__fail_raw(TGM_ERROR_INVALID_ARG, "null argument");
    }
    tgm_async_notifier_t *n = tgm__calloc(1, sizeof *n);
    if (n == NULL) {
        return tgm__oom(sizeof *n, "notifier");
    }
#ifdef __linux__
    n->rfd = n->wfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (n->rfd < 0) {
        int e = errno;
        tgm__free(n);
        return tgm__fail(TGM_ERROR_IO, "cannot create an eventfd: %s", strerror(e));
    }
#else
    int p[2];
    if (pipe(p) != 0) {
        int e = errno;
        tgm__free(n);
        return tgm__fail(TGM_ERROR_IO, "cannot create a pipe: %s", strerror(e));
    }
    for (int i = 0; i < 2; i++) {
        fcntl(p[i], F_SETFL, fcntl(p[i], F_GETFL) | O_NONBLOCK);
        fcntl(p[i], F_SETFD, FD_CLOEXEC);
    }
    n->rfd = p[0];
    n->wfd = p[1];
#endif
    atomic_init(&n->refs, 1);
    pthread_mutex_init(&n->mu, NULL);
    *out = n;
    return TGM_ERROR_OK;
}

int tgm_async_notifier_fd(const tgm_async_notifier_t *n) { return n != NULL ? n->rfd : -1; }

/* Make the descriptor readable / not readable.  Lock held. */
static void signal_fd(tgm_async_notifier_t *n) {
    uint64_t one = 1;
    ssize_t w;
    do {
        w = write(n->wfd, &one, n->wfd == n->rfd ? sizeof one : 1);
    } while (w < 0 && errno == EINTR);
    n->signalled = true;
}

static void clear_fd(tgm_async_notifier_t *n) {
    uint64_t buf[8];
    ssize_t r;
    do {
        r = read(n->rfd, buf, n->wfd == n->rfd ? sizeof buf[0] : sizeof buf);
    } while (r > 0 || (r < 0 && errno == EINTR));
    n->signalled = false;
}

static void notifier_push(tgm_async_notifier_t *n, tgm_async_task_t *t) {
    pthread_mutex_lock(&n->mu);
    if (!n->closed) {
        atomic_fetch_add(&t->refs, 1);
        t->nnext = NULL;
        if (n->tail != NULL) {
            n->tail->nnext = t;
        } else {
            n->head = t;
        }
        n->tail = t;
        if (!n->signalled) {
            signal_fd(n);
        }
    }
    pthread_mutex_unlock(&n->mu);
}

tgm_error tgm_async_task_set_notifier(tgm_async_task_t *t, tgm_async_notifier_t *n, uint64_t tag) {
    tgm__clear_error();
    if (t == NULL || n == NULL) {
        return tgm__fail_raw(TGM_ERROR_INVALID_ARG, "null argument");
    }
    pthread_mutex_lock(&t->mu);
    if (t->notifier != NULL) {
        pthread_mutex_unlock(&t->mu);
        return tgm__fail_raw(TGM_ERROR_INVALID_ARG, "task already has a notifier");
    }
    atomic_fetch_add(&n->refs, 1);
    t->notifier = n;
    t->tag = tag;
    bool done = atomic_load(&t->done);
    pthread_mutex_unlock(&t->mu);
    if (done) {
        notifier_push(n, t);
    }
    return TGM_ERROR_OK;
}

size_t tgm_async_notifier_drain(tgm_async_notifier_t *n, uint64_t *tags, size_t max_tags) {
    if (n == NULL || tags == NULL || max_tags == 0) {
        return 0;
    }
    tgm_async_task_t *taken = NULL;
    size_t k = 0;
    pthread_mutex_lock(&n->mu);
    while (k < max_tags && n->head != NULL) {
        tgm_async_task_t *t = n->head;
        n->head = t->nnext;
        if (n->head == NULL) {
            n->tail = NULL;
        }
        tags[k++] = t->tag;
        t->nnext = taken;
        taken = t;
    }
    if (n->head == NULL && n->signalled) {
        clear_fd(n);
    }
    pthread_mutex_unlock(&n->mu);
    while (taken != NULL) {
        tgm_async_task_t *next = taken->nnext;
        tgm__atask_release(taken);
        taken = next;
    }
    return k;
}

bool tgm_async_notifier_wait(tgm_async_notifier_t *n, int64_t timeout_ms) {
    if (n == NULL) {
        return false;
    }
    struct pollfd p = {n->rfd, POLLIN, 0};
    int to = timeout_ms < 0 ? -1 : timeout_ms > INT32_MAX ? INT32_MAX : (int)timeout_ms;
    int r;
    do {
        r = poll(&p, 1, to);
    } while (r < 0 && errno == EINTR);
    return r > 0;
}

void tgm_async_notifier_free(tgm_async_notifier_t *n) {
    if (n == NULL) {
        return;
    }
    pthread_mutex_lock(&n->mu);
    n->closed = true;
    tgm_async_task_t *t = n->head;
    n->head = n->tail = NULL;
    pthread_mutex_unlock(&n->mu);
    while (t != NULL) {
        tgm_async_task_t *next = t->nnext;
        tgm__atask_release(t);
        t = next;
    }
    notifier_release(n);
}

/* ---- tasks ---------------------------------------------------------------------- */

void tgm__atask_release(tgm_async_task_t *t) {
    if (t == NULL || atomic_fetch_sub(&t->refs, 1) != 1) {
        return;
    }
    if (t->res.kind != TGM__ARES_NONE && t->ops->free_result != NULL) {
        t->ops->free_result(&t->res);
    }
    if (t->ctx != NULL && t->ops->ctx_free != NULL) {
        t->ops->ctx_free(t->ctx);
    }
    token_release(t->token);
    notifier_release(t->notifier);
    tgm__free(t->detail);
    pthread_cond_destroy(&t->cv);
    pthread_mutex_destroy(&t->mu);
    tgm__free(t);
}

void tgm__atask_resolve(tgm_async_task_t *t, tgm_error err, const char *detail, int64_t index,
                        tgm__ares *res) {
    pthread_mutex_lock(&t->mu);
    if (atomic_load(&t->done)) {
        pthread_mutex_unlock(&t->mu);
        if (res != NULL && res->kind != TGM__ARES_NONE && t->ops->free_result != NULL) {
            t->ops->free_result(res);
        }
        return;
    }
    t->err = err;
    t->err_index = index;
    if (err != TGM_ERROR_OK && detail != NULL) {
        t->detail = tgm__strdup(detail); /* NULL when out of memory: a generic text */
    }
    if (res != NULL) {
        t->res = *res;
        memset(res, 0, sizeof *res);
    }
    atomic_store(&t->done, true);
    void (*cb)(void *) = t->cb;
    void *cb_data = t->cb_data;
    t->cb = NULL;
    tgm_async_notifier_t *n = t->notifier;
    if (t->waiters > 0) {
        pthread_cond_broadcast(&t->cv);
    }
    pthread_mutex_unlock(&t->mu);

    tgm__atask_token_detach(t);
    tgm__pool_resolved(t);
    if (n != NULL) {
        notifier_push(n, t);
    }
    if (cb != NULL) {
        tgm__pool_dispatch(cb, cb_data);
    }
}

tgm_error tgm_async_task_set_completion(tgm_async_task_t *t, void (*cb)(void *), void *userdata) {
    tgm__clear_error();
    if (t == NULL) {
        return tgm__fail_raw(TGM_ERROR_INVALID_ARG, "null task");
    }
    if (cb == NULL) {
        return tgm__fail_raw(TGM_ERROR_INVALID_ARG, "null callback");
    }
    pthread_mutex_lock(&t->mu);
    if (t->cb_set) {
        pthread_mutex_unlock(&t->mu);
        return tgm__fail_raw(TGM_ERROR_INVALID_ARG, "completion callback already registered");
    }
    if (t->consumed) {
        pthread_mutex_unlock(&t->mu);
        return tgm__fail_raw(TGM_ERROR_INVALID_ARG, "task result already consumed");
    }
    t->cb_set = true;
    bool done = atomic_load(&t->done);
    if (!done) {
        t->cb = cb;
        t->cb_data = userdata;
    }
    pthread_mutex_unlock(&t->mu);
    if (done) {
        tgm__pool_dispatch(cb, userdata);
    }
    return TGM_ERROR_OK;
}

bool tgm_async_task_is_ready(const tgm_async_task_t *t) {
    return t != NULL && atomic_load_explicit(&t->done, memory_order_acquire);
}

void tgm_async_task_cancel(tgm_async_task_t *t) {
    if (t != NULL && !atomic_load(&t->done)) {
        tgm__pool_abort(t, TGM_ERROR_CANCELLED);
    }
}

void tgm_async_task_free(tgm_async_task_t *t) { tgm__atask_release(t); }

tgm_error tgm__async_take(tgm_async_task_t *t, tgm__ares *out) {
    if (t == NULL) {
        return tgm__fail_raw(TGM_ERROR_INVALID_ARG, "null task");
    }
    if (!atomic_load(&t->done)) {
        /* Run a task nobody has started on this thread rather than wait for
         * a worker to reach it: the result is the same and the hand-over
         * between threads is saved. */
        (void)tgm__pool_try_steal(t);
    }
    pthread_mutex_lock(&t->mu);
    while (!atomic_load(&t->done)) {
        t->waiters++;
        pthread_cond_wait(&t->cv, &t->mu);
        t->waiters--;
    }
    if (t->consumed) {
        pthread_mutex_unlock(&t->mu);
        return tgm__fail_raw(TGM_ERROR_INVALID_ARG, "task result already consumed");
    }
    t->consumed = true;
    tgm_error err = t->err;
    int64_t index = t->err_index;
    char *detail = t->detail;
    t->detail = NULL;
    *out = t->res;
    memset(&t->res, 0, sizeof t->res);
    pthread_mutex_unlock(&t->mu);
    if (err == TGM_ERROR_OK) {
        tgm__clear_error();
        return TGM_ERROR_OK;
    }
    if (detail != NULL) {
        tgm__fail_raw(err, "%s", detail);
    } else {
        tgm__fail(err, "task failed");
    }
    tgm__free(detail);
    if (index >= 0) {
        tgm__set_error_object_index(index);
    }
    return err;
}

const atomic_int *tgm__async_stop_flag(const tgm_async_task_t *t) { return &t->stop; }
