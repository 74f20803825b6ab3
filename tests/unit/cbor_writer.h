/* A small CBOR writer for unit tests that build metadata and descriptor
 * bytes by hand, with a chosen argument width (to exercise every head
 * form a reader must accept).  Header-only; a write past the buffer
 * aborts the test. */
#ifndef TGM_TESTS_CBOR_WRITER_H
#define TGM_TESTS_CBOR_WRITER_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cbor/cbor.h"

typedef struct {
    uint8_t b[4096];
    size_t n;
    int wide; /* 0: shortest heads; 1..4: 1, 2, 4 or 8 argument bytes */
} w_t;

static inline void w_room(const w_t *w, size_t more) {
    if (more > sizeof w->b - w->n) {
        fprintf(stderr, "cbor_writer: test input larger than %zu bytes\n", sizeof w->b);
        abort();
    }
}

static inline void head(w_t *w, unsigned major, uint64_t arg) {
    w_room(w, 9);
    int width = w->wide;
    if (width == 0 || (width == 1 && arg > 0xff) || (width == 2 && arg > 0xffff) ||
        (width == 3 && arg > 0xffffffffu)) {
        w->n += tgm__cbor_put_head(w->b + w->n, major, arg);
        return;
    }
    int nb = 1 << (width - 1);
    w->b[w->n++] = (uint8_t)((major << 5) | (unsigned)(23 + width));
    for (int i = nb - 1; i >= 0; i--) {
        w->b[w->n++] = (uint8_t)(arg >> (8 * i));
    }
}

static inline void raw(w_t *w, const char *bytes, size_t n) {
    w_room(w, n);
    memcpy(w->b + w->n, bytes, n);
    w->n += n;
}

static inline void textn(w_t *w, const char *s, size_t n) {
    head(w, TGM_CBOR_TEXT, n);
    raw(w, s, n);
}

static inline void text(w_t *w, const char *s) { textn(w, s, strlen(s)); }

#endif
