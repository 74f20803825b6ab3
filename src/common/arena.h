/* Bump allocator: many small allocations, one free.  Used for parsed
 * metadata trees whose nodes all share one lifetime. */
#ifndef TGM_COMMON_ARENA_H
#define TGM_COMMON_ARENA_H

#include <stdbool.h>
#include <stddef.h>

typedef struct tgm_arena_chunk tgm_arena_chunk;

typedef struct tgm_arena {
    tgm_arena_chunk *head;
    size_t total;          /* bytes handed out, for caps */
    size_t first;          /* size of the first chunk; 0: 4 KiB */
    tgm_arena_chunk *lent; /* the caller's memory as first chunk (never freed), or NULL */
} tgm_arena;

#define TGM_ARENA_INIT                                                                             \
    { NULL, 0, 0, NULL }

/* A first chunk that stays within malloc's per-thread caches (glibc's
 * tcache serves requests up to 1016 bytes), for arenas that usually hold
 * a few hundred bytes (a small decoded message): a cached allocation, and
 * no consolidation of the heap when it is freed. */
#define TGM_ARENA_SMALL_FIRST 976u

/* An empty arena whose first chunk is the caller's `mem` (n bytes, which
 * must outlive the arena): a short-lived arena on the stack allocates
 * nothing until it outgrows it.  Too small a buffer is simply not used. */
void tgm__arena_init_lent(tgm_arena *a, void *mem, size_t n);

/* 16-byte aligned; NULL on out-of-memory (caller reports). */
void *tgm__arena_alloc(tgm_arena *a, size_t n);
void *tgm__arena_calloc(tgm_arena *a, size_t count, size_t size);
char *tgm__arena_strndup(tgm_arena *a, const char *s, size_t n);
void tgm__arena_free(tgm_arena *a);
/* How many bytes tgm__arena_alloc can hand out without a new chunk. */
size_t tgm__arena_room(const tgm_arena *a);
/* Whether p[0..n) lies in memory handed out by the arena. */
bool tgm__arena_owns(const tgm_arena *a, const void *p, size_t n);

#endif
