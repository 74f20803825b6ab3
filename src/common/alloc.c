#include "common/alloc.h"

#include <stdlib.h>
#include <string.h>

#ifdef TGM_ALLOC_INJECTION
#include <stdatomic.h>
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

void *tgm__malloc(size_t n) {
    if (should_fail()) {
        return NULL;
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
