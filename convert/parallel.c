/* A small fork-join helper: run fn(ctx, i) for i in [0, n) on up to
 * `threads` threads (the caller's thread included); and zeros the workers
 * share. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>

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

/* ---- shared zeros ------------------------------------------------------------------- */

/* Every region ever mapped is kept until the end: a worker may still read
 * a smaller one when another worker maps a larger one. */
struct cv_zeros {
    pthread_mutex_t lock;
    void *maps[48];
    size_t lens[48];
    size_t count;
};

cv_zeros *cv_zeros_new(void) {
    cv_zeros *z = calloc(1, sizeof *z);
    if (z != NULL && pthread_mutex_init(&z->lock, NULL) != 0) {
        free(z);
        z = NULL;
    }
    return z;
}

const double *cv_zeros_get(cv_zeros *z, size_t n) {
    if (n > SIZE_MAX / sizeof(double) / 2) {
        return NULL;
    }
    size_t bytes = (n ? n : 1) * sizeof(double);
    const double *out = NULL;
    pthread_mutex_lock(&z->lock);
    if (z->count > 0 && z->lens[z->count - 1] >= bytes) {
        out = z->maps[z->count - 1];
    } else if (z->count < sizeof z->maps / sizeof z->maps[0]) {
        /* At least twice the last size: few regions for growing inputs. */
        size_t len =
            z->count > 0 && z->lens[z->count - 1] <= SIZE_MAX / 4 ? 2 * z->lens[z->count - 1] : 0;
        len = len > bytes ? len : bytes;
        void *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m != MAP_FAILED) {
            z->maps[z->count] = m;
            z->lens[z->count] = len;
            z->count++;
            out = m;
        }
    }
    pthread_mutex_unlock(&z->lock);
    return out;
}

void cv_zeros_free(cv_zeros *z) {
    if (z == NULL) {
        return;
    }
    for (size_t i = 0; i < z->count; i++) {
        munmap(z->maps[i], z->lens[i]);
    }
    pthread_mutex_destroy(&z->lock);
    free(z);
}
