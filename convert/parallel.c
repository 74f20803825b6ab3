/* A small fork-join helper: run fn(ctx, i) for i in [0, n) on up to
 * `threads` threads (the caller's thread included). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "internal.h"

typedef struct {
    void (*fn)(void *ctx, size_t i);
    void *ctx;
    size_t n;
    atomic_size_t next;
} job;

static void *worker(void *arg) {
    job *j = arg;
    for (;;) {
        size_t i = atomic_fetch_add(&j->next, 1);
        if (i >= j->n) {
            return NULL;
        }
        j->fn(j->ctx, i);
    }
}

uint32_t cv_threads(uint32_t threads) {
    if (threads != 0) {
        return threads;
    }
    const char *env = getenv("TENSOGRAM_THREADS");
    if (env != NULL && *env != '\0') {
        char *end = NULL;
        unsigned long v = strtoul(env, &end, 10);
        if (end != NULL && *end == '\0' && v > 0 && v <= 1024) {
            return (uint32_t)v;
        }
    }
    return 1;
}

void cv_parallel(uint32_t threads, size_t n, void (*fn)(void *ctx, size_t i), void *ctx) {
    job j;
    j.fn = fn;
    j.ctx = ctx;
    j.n = n;
    atomic_init(&j.next, 0);
    size_t extra = threads > 1 ? threads - 1 : 0;
    if (extra > n) {
        extra = n > 0 ? n - 1 : 0;
    }
    pthread_t tid[64];
    if (extra > 64) {
        extra = 64;
    }
    size_t started = 0;
    for (; started < extra; started++) {
        if (pthread_create(&tid[started], NULL, worker, &j) != 0) {
            break; /* fewer threads: the remaining work runs here */
        }
    }
    worker(&j);
    for (size_t i = 0; i < started; i++) {
        pthread_join(tid[i], NULL);
    }
}
