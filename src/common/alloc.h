/* All library allocations go through these wrappers so that a test build
 * can make the N-th allocation fail (TGM_ALLOC_INJECTION) and so that
 * size arithmetic is checked in one place. */
#ifndef TGM_COMMON_ALLOC_H
#define TGM_COMMON_ALLOC_H

#include <stddef.h>
#include <stdint.h>

void *tgm__malloc(size_t n);
void *tgm__calloc(size_t count, size_t size); /* overflow-checked */
void *tgm__realloc(void *p, size_t n);
void tgm__free(void *p);
/* malloc(count * size) with the multiplication checked; NULL on overflow. */
void *tgm__malloc_array(size_t count, size_t size);
char *tgm__strdup(const char *s);
char *tgm__strndup(const char *s, size_t n);

/* Allocation-failure injection (test builds only; no-ops otherwise).
 * tgm__alloc_fail_after(n): the n-th allocation from now fails (n >= 1),
 * and every later one too when `sticky`.  n == 0 disables injection.
 * tgm__alloc_count(): allocations performed since the last reset. */
void tgm__alloc_fail_after(uint64_t n, int sticky);
uint64_t tgm__alloc_count(void);
int tgm__alloc_injection_enabled(void);

#endif
