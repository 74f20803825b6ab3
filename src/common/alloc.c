#include "common/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <stdatomic.h>

#ifdef TGM_ALLOC_INJECTION
static _Atomic uint64_t alloc_counter;
static _Atomic uint64_t fail_at;
static _Atomic int fail_sticky;

static int should_fail(void) {
    uint64_t n = atomic_fetch_add(&alloc_counter, 1) + 1;
    uint64_t at = atomic_load(&fail_at);
    if (at == 0) {
        return 0;
    }
    return n == at || (atomic_load(&fail_sticky) && n > at);
}

void tgm__alloc_fail_after(uint64_t n, int sticky) {
    atomic_store(&alloc_counter, 0);
    atomic_store(&fail_sticky, sticky);
    atomic_store(&fail_at, n);
}

uint64_t tgm__alloc_count(void) { return atomic_load(&alloc_counter); }
int tgm__alloc_injection_enabled(void) { return 1; }
#else
#define should_fail() 0
void tgm__alloc_fail_after(uint64_t n, int sticky) {
    (void)n;
    (void)sticky;
}
uint64_t tgm__alloc_count(void) { return 0; }
int tgm__alloc_injection_enabled(void) { return 0; }
#endif

/* Large buffers (whole objects, whole messages) are written once right
 * after they are allocated, so their cost is dominated by first-touch page
 * faults: 4 KiB at a time that is ~1.5 GB/s, about a sixth of memcpy.
 * Aligning them to 2 MiB and asking for transparent huge pages (honoured
 * when THP is "always" or "madvise") cuts the faults 512-fold and makes a
 * fresh 128 MiB buffer fill ~3x faster.  TENSOGRAM_HUGEPAGES=0 turns this
 * off (e.g. where THP compaction stalls matter more than throughput).
 * The memory is freed with free() like any other. */
#define HUGE_MIN ((size_t)4 << 20)
#define HUGE_ALIGN ((size_t)2 << 20)

static int huge_pages_wanted(void) {
    static _Atomic int state = -1; /* -1 unknown, 0 off, 1 on */
    int s = atomic_load_explicit(&state, memory_order_relaxed);
    if (s < 0) {
        const char *e = getenv("TENSOGRAM_HUGEPAGES");
        s = !(e != NULL && strcmp(e, "0") == 0);
        atomic_store_explicit(&state, s, memory_order_relaxed);
    }
    return s;
}

#ifdef MADV_HUGEPAGE
/* 1 when transparent huge pages are given to advised memory only (THP
 * "madvise"): then memory that was touched before the advice is on 4 KiB
 * pages.  ("always" backs the heap with huge pages already; "never"
 * ignores the advice.) */
static int thp_on_advice(void) {
    static _Atomic int state = -1;
    int s = atomic_load_explicit(&state, memory_order_relaxed);
    if (s < 0) {
        s = 0;
        FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
        if (f != NULL) {
            char line[128];
            if (fgets(line, sizeof line, f) != NULL && strstr(line, "[madvise]") != NULL) {
                s = 1;
            }
            fclose(f);
        }
        atomic_store_explicit(&state, s, memory_order_relaxed);
    }
    return s;
}
#endif

/* Per-thread cache of large blocks.  The pipeline's intermediate buffers
 * (packed values, shuffled bytes, compressed output before it is framed)
 * and the messages callers free are large and short-lived; a fresh block
 * of that size comes from mmap and costs a kernel page clear per page
 * before the first byte is written (a third of an lz4 encode of 128 MiB).
 * So up to two freed blocks of 256 KiB .. TENSOGRAM_CACHE_BYTES (default
 * 256 MiB; 0 turns the cache off) are kept per thread and handed out again
 * for a request they fit without wasting more than half.  A thread's
 * blocks are released when it exits.
 *
 * Behind the per-thread slots is a shared tier (at most SHARED_SLOTS
 * blocks and TENSOGRAM_CACHE_BYTES in all) for blocks freed on another
 * thread than the one that will need them next: results of the async API
 * are decoded on a worker and freed by the caller, and without the shared
 * tier each decode would start from fresh pages (glibc trims the worker's
 * heap as the caller frees), costing ~10% of a decode in page faults. */
#if defined(__GLIBC__)
#include <malloc.h>
#include <pthread.h>
#define TGM_BLOCK_CACHE 1
#define CACHE_SLOTS 2
#define SHARED_SLOTS 32
/* Smallest block worth caching (smaller ones come from malloc's bins). */
#define CACHE_MIN ((size_t)256 << 10)

typedef struct block_cache {
    void *p[CACHE_SLOTS];
    size_t cap[CACHE_SLOTS];
    int registered; /* the exit destructor knows this thread's cache */
} block_cache;

static _Thread_local block_cache tl_cache;

static struct {
    pthread_mutex_t mu;
    void *p[SHARED_SLOTS];
    size_t cap[SHARED_SLOTS];
    size_t bytes;
} shared = {PTHREAD_MUTEX_INITIALIZER, {NULL}, {0}, 0};
static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

static void cache_release(void *v) {
    block_cache *c = v;
    for (int i = 0; i < CACHE_SLOTS; i++) {
        free(c->p[i]);
        c->p[i] = NULL;
        c->cap[i] = 0;
    }
}

static void cache_key_init(void) {
    if (pthread_key_create(&cache_key, cache_release) != 0) {
        cache_key = (pthread_key_t)-1;
    }
}

static size_t cache_limit(void) {
    static _Atomic size_t limit = SIZE_MAX; /* SIZE_MAX: not read yet */
    size_t l = atomic_load_explicit(&limit, memory_order_relaxed);
    if (l == SIZE_MAX) {
        l = (size_t)256 << 20;
        const char *e = getenv("TENSOGRAM_CACHE_BYTES");
        if (e != NULL && *e >= '0' && *e <= '9') {
            char *end;
            unsigned long long v = strtoull(e, &end, 10);
            l = v >= SIZE_MAX ? SIZE_MAX - 1 : (size_t)v;
        }
        atomic_store_explicit(&limit, l, memory_order_relaxed);
    }
    return l;
}

/* Index of the smallest block of p[0..k) that fits n bytes (at least n,
 * at most 2n), or -1. */
static int best_fit(void *const *p, const size_t *cap, int k, size_t n) {
    int best = -1;
    for (int i = 0; i < k; i++) {
        if (p[i] != NULL && cap[i] >= n && cap[i] / 2 <= n && (best < 0 || cap[i] < cap[best])) {
            best = i;
        }
    }
    return best;
}

/* A cached block of at least n bytes (and at most 2n), or NULL: this
 * thread's first, then the shared tier. */
static void *cache_take(size_t n) {
    block_cache *c = &tl_cache;
    int best = best_fit(c->p, c->cap, CACHE_SLOTS, n);
    if (best >= 0) {
        void *p = c->p[best];
        c->p[best] = NULL;
        c->cap[best] = 0;
        return p;
    }
    void *p = NULL;
    pthread_mutex_lock(&shared.mu);
    best = best_fit(shared.p, shared.cap, SHARED_SLOTS, n);
    if (best >= 0) {
        p = shared.p[best];
        shared.bytes -= shared.cap[best];
        shared.p[best] = NULL;
        shared.cap[best] = 0;
    }
    pthread_mutex_unlock(&shared.mu);
    return p;
}

/* Keep p in the shared tier: 1, or 0 when it is full. */
static int shared_put(void *p, size_t cap) {
    int done = 0;
    pthread_mutex_lock(&shared.mu);
    if (shared.bytes + cap <= cache_limit()) {
        for (int i = 0; i < SHARED_SLOTS; i++) {
            if (shared.p[i] == NULL) {
                shared.p[i] = p;
                shared.cap[i] = cap;
                shared.bytes += cap;
                done = 1;
                break;
            }
        }
    }
    pthread_mutex_unlock(&shared.mu);
    return done;
}

/* Keep p (usable size cap) in this thread's cache, or the shared tier
 * when this thread's slots are taken: 1, or 0 when it does not qualify.
 * When both are full, this thread's smallest block gives way. */
static int cache_put(void *p, size_t cap) {
    if (cap < CACHE_MIN || cap > cache_limit()) {
        return 0;
    }
    block_cache *c = &tl_cache;
    if (!c->registered) {
        pthread_once(&cache_once, cache_key_init);
        if (cache_key == (pthread_key_t)-1 || pthread_setspecific(cache_key, c) != 0) {
            return 0;
        }
        c->registered = 1;
    }
    int slot = 0;
    for (int i = 0; i < CACHE_SLOTS; i++) {
        if (c->p[i] == NULL) {
            slot = i;
            break;
        }
        if (c->cap[i] < c->cap[slot]) {
            slot = i;
        }
    }
    if (c->p[slot] != NULL && shared_put(p, cap)) {
        return 1;
    }
    free(c->p[slot]);
    c->p[slot] = p;
    c->cap[slot] = cap;
    return 1;
}
#endif

static void *alloc_large(size_t n) {
#ifdef TGM_BLOCK_CACHE
    void *cached = cache_take(n);
    if (cached != NULL) {
        return cached;
    }
#endif
#ifdef MADV_HUGEPAGE
    if (huge_pages_wanted()) {
        void *p = NULL;
        if (posix_memalign(&p, HUGE_ALIGN, n) != 0) {
            return NULL;
        }
        if (madvise(p, n, MADV_HUGEPAGE) == 0 && thp_on_advice()) {
            /* Memory glibc recycles from its heap (it does once its
             * dynamic mmap threshold has risen past n) already has 4 KiB
             * pages, and the advice does not change pages that exist: the
             * block would stay on small pages, and every pass over it
             * would pay their TLB misses (a 16 MiB lz4 decode: 1.8 ms
             * against 1.1-1.3 ms).  Dropping them makes the first write
             * fault in huge pages, as in a fresh mapping; the contents
             * are undefined anyway. */
            (void)madvise(p, n & ~(size_t)4095, MADV_DONTNEED);
        }
        return p;
    }
#endif
    return malloc(n);
}

void *tgm__malloc(size_t n) {
    if (should_fail()) {
        return NULL;
    }
    if (n >= HUGE_MIN) {
        return alloc_large(n);
    }
#ifdef TGM_BLOCK_CACHE
    if (n >= CACHE_MIN) {
        void *cached = cache_take(n);
        if (cached != NULL) {
            return cached;
        }
    }
#endif
    return malloc(n == 0 ? 1 : n);
}

void *tgm__calloc(size_t count, size_t size) {
    if (should_fail()) {
        return NULL;
    }
    if (count == 0 || size == 0) {
        return calloc(1, 1);
    }
    return calloc(count, size);
}

void *tgm__realloc(void *p, size_t n) {
    if (should_fail()) {
        return NULL;
    }
    if (p == NULL && n >= HUGE_MIN) {
        return alloc_large(n); /* first reserve of a large buffer */
    }
    return realloc(p, n == 0 ? 1 : n);
}

void tgm__free(void *p) {
#ifdef TGM_BLOCK_CACHE
    if (p != NULL) {
        size_t cap = malloc_usable_size(p);
        if (cap >= CACHE_MIN && cache_put(p, cap)) {
            return;
        }
    }
#endif
    free(p);
}

void *tgm__malloc_array(size_t count, size_t size) {
    size_t total;
    if (__builtin_mul_overflow(count, size, &total)) {
        return NULL;
    }
    return tgm__malloc(total);
}

char *tgm__strndup(const char *s, size_t n) {
    char *d = tgm__malloc(n + 1);
    if (d != NULL) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

char *tgm__strdup(const char *s) { return tgm__strndup(s, strlen(s)); }
