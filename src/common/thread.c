#include "common/thread.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"

uint32_t tgm__resolve_threads(uint32_t requested) {
    uint32_t n = requested;
    if (n == 0) {
        const char *env = getenv("TENSOGRAM_THREADS");
        if (env != NULL && *env != '\0') {
            char *end = NULL;
            unsigned long v = strtoul(env, &end, 10);
            if (end != NULL && *end == '\0' && v > 0) {
                n = v > 1024 ? 1024 : (uint32_t)v;
            }
        }
    }
    if (n == 0) {
        n = 1;
    }
    return n > 1024 ? 1024 : n;
}

tgm_thread_split tgm__thread_split(uint32_t budget, size_t nobj, uint64_t bytes) {
    tgm_thread_split s = {1, 1, 1};
    if (budget > 1 && bytes >= TGM_PARALLEL_THRESHOLD_BYTES) {
        s.frames = budget;
        if (nobj >= budget) {
            s.objects = budget;
        } else {
            s.each = budget;
        }
    }
    return s;
}

static _Thread_local const atomic_int *tl_stop;

void tgm__set_stop_flag(const atomic_int *flag) { tl_stop = flag; }

const atomic_int *tgm__stop_flag(void) { return tl_stop; }

bool tgm__stop_requested(void) {
    return tl_stop != NULL && atomic_load_explicit(tl_stop, memory_order_relaxed) != 0;
}

typedef struct {
    const atomic_int *stop; /* the caller's stop flag, handed to helpers */
    tgm_task_fn fn;
    void *ctx;
    size_t ntasks;
    atomic_size_t next;
    pthread_mutex_t lock;
    size_t first_failed; /* ntasks when none */
    tgm_error first_err;
    char detail[1024];
} pool_state;

static void run_tasks(pool_state *st) {
    for (;;) {
        size_t i = atomic_fetch_add(&st->next, 1);
        if (i >= st->ntasks) {
            return;
        }
        tgm_error e = st->stop != NULL && atomic_load_explicit(st->stop, memory_order_relaxed)
                          ? tgm__fail(TGM_ERROR_CANCELLED, "stopped before part %zu", i)
                          : st->fn(st->ctx, i);
        if (e != TGM_ERROR_OK) {
            pthread_mutex_lock(&st->lock);
            if (i < st->first_failed) {
                st->first_failed = i;
                st->first_err = e;
                const char *d = tgm__error_detail();
                snprintf(st->detail, sizeof st->detail, "%s", d != NULL ? d : "");
            }
            pthread_mutex_unlock(&st->lock);
        }
    }
}

static void *worker_main(void *arg) {
    pool_state *st = arg;
    tgm__set_stop_flag(st->stop);
    run_tasks(st);
    return NULL;
}

tgm_error tgm__parallel_for(uint32_t nthreads, size_t ntasks, tgm_task_fn fn, void *ctx) {
    if (ntasks == 0) {
        return TGM_ERROR_OK;
    }
    if (nthreads <= 1 || ntasks == 1) {
        for (size_t i = 0; i < ntasks; i++) {
            TGM_RETURN_IF(i > 0 && tgm__stop_requested(), TGM_ERROR_CANCELLED,
                          "stopped before part %zu", i);
            TGM_TRY(fn(ctx, i));
        }
        return TGM_ERROR_OK;
    }
    size_t nworkers = nthreads - 1;
    if (nworkers > ntasks - 1) {
        nworkers = ntasks - 1;
    }
    pool_state st;
    st.stop = tl_stop;
    st.fn = fn;
    st.ctx = ctx;
    st.ntasks = ntasks;
    atomic_init(&st.next, 0);
    pthread_mutex_init(&st.lock, NULL);
    st.first_failed = ntasks;
    st.first_err = TGM_ERROR_OK;
    st.detail[0] = '\0';

    pthread_t *tids = tgm__malloc_array(nworkers, sizeof(pthread_t));
    size_t started = 0;
    if (tids != NULL) {
        for (; started < nworkers; started++) {
            if (pthread_create(&tids[started], NULL, worker_main, &st) != 0) {
                break; /* run with fewer threads */
            }
        }
    }
    run_tasks(&st);
    for (size_t i = 0; i < started; i++) {
        pthread_join(tids[i], NULL);
    }
    tgm__free(tids);
    pthread_mutex_destroy(&st.lock);
    if (st.first_err != TGM_ERROR_OK) {
        return tgm__fail_raw(st.first_err, "%s", st.detail);
    }
    return TGM_ERROR_OK;
}
