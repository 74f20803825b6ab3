#include "common/arena.h"

#include <stdint.h>
#include <string.h>

#include "common/alloc.h"

struct tgm_arena_chunk {
    tgm_arena_chunk *next;
    size_t size;
    size_t used;
    /* data follows, 16-byte aligned */
};

#define CHUNK_HDR ((sizeof(tgm_arena_chunk) + 15u) & ~(size_t)15u)
#define DEFAULT_CHUNK 4096u

void tgm__arena_init_lent(tgm_arena *a, void *mem, size_t n) {
    *a = (tgm_arena)TGM_ARENA_INIT;
    uintptr_t at = ((uintptr_t)mem + 15u) & ~(uintptr_t)15u;
    size_t skip = (size_t)(at - (uintptr_t)mem);
    if (mem == NULL || n < skip + CHUNK_HDR + 16u) {
        return;
    }
    tgm_arena_chunk *c = (tgm_arena_chunk *)at;
    c->next = NULL;
    c->size = n - skip - CHUNK_HDR;
    c->used = 0;
    a->head = c;
    a->lent = c;
}

void *tgm__arena_alloc(tgm_arena *a, size_t n) {
    size_t need = (n + 15u) & ~(size_t)15u;
    if (need < n) {
        return NULL;
    }
    tgm_arena_chunk *c = a->head;
    if (c == NULL || c->size - c->used < need) {
        size_t dflt = c == NULL && a->first != 0 ? a->first : DEFAULT_CHUNK;
        size_t size = need > dflt ? need : dflt;
        if (c != NULL && c->size * 2 > size && c->size < (1u << 20)) {
            size = c->size * 2;
        }
        if (size > SIZE_MAX - CHUNK_HDR) {
            return NULL;
        }
        tgm_arena_chunk *nc = tgm__malloc(CHUNK_HDR + size);
        if (nc == NULL) {
            return NULL;
        }
        nc->next = a->head;
        nc->size = size;
        nc->used = 0;
        a->head = nc;
        c = nc;
    }
    void *p = (uint8_t *)c + CHUNK_HDR + c->used;
    c->used += need;
    a->total += need;
    return p;
}

void *tgm__arena_calloc(tgm_arena *a, size_t count, size_t size) {
    size_t total;
    if (__builtin_mul_overflow(count, size, &total)) {
        return NULL;
    }
    void *p = tgm__arena_alloc(a, total);
    if (p != NULL) {
        memset(p, 0, total);
    }
    return p;
}

char *tgm__arena_strndup(tgm_arena *a, const char *s, size_t n) {
    if (n == SIZE_MAX) {
        return NULL;
    }
    char *d = tgm__arena_alloc(a, n + 1);
    if (d != NULL) {
        if (n > 0) {
            memcpy(d, s, n);
        }
        d[n] = '\0';
    }
    return d;
}

void tgm__arena_free(tgm_arena *a) {
    tgm_arena_chunk *c = a->head;
    while (c != NULL) {
        tgm_arena_chunk *next = c->next;
        if (c != a->lent) {
            tgm__free(c);
        }
        c = next;
    }
    a->head = NULL;
    a->total = 0;
    a->lent = NULL;
}

size_t tgm__arena_room(const tgm_arena *a) {
    return a->head != NULL ? a->head->size - a->head->used : 0;
}

bool tgm__arena_owns(const tgm_arena *a, const void *p, size_t n) {
    uintptr_t x = (uintptr_t)p;
    for (const tgm_arena_chunk *c = a->head; c != NULL; c = c->next) {
        uintptr_t lo = (uintptr_t)c + CHUNK_HDR;
        if (x >= lo && x - lo <= c->used && n <= c->used - (x - lo)) {
            return true;
        }
    }
    return false;
}
