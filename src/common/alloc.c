#include "common/alloc.h"

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

static void *alloc_large(size_t n) {
#ifdef MADV_HUGEPAGE
    if (huge_pages_wanted()) {
        void *p = NULL;
        if (posix_memalign(&p, HUGE_ALIGN, n) != 0) {
            return NULL;
        }
        (void)madvise(p, n, MADV_HUGEPAGE); /* advice only: failure is harmless */
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

void tgm__free(void *p) { free(p); }

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
