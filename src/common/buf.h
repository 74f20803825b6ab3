/* Growable byte buffer.  Functions return TGM_ERROR_OK or an out-of-memory
 * error (detail recorded). */
#ifndef TGM_COMMON_BUF_H
#define TGM_COMMON_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tensogram/tensogram.h"

typedef struct tgm_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
    int fixed;     /* caller-provided memory of `cap` bytes: never reallocated or freed */
    size_t needed; /* fixed buffers: the total size a failed reserve asked for */
} tgm_buf;

#define TGM_BUF_INIT                                                                               \
    { NULL, 0, 0, 0, 0 }

/* A buffer over caller memory (writes beyond cap fail with INVALID_ARG and
 * record the size that was needed). */
static inline tgm_buf tgm__buf_over(uint8_t *mem, size_t cap) {
    tgm_buf b = {mem, 0, cap, 1, 0};
    return b;
}

/* Make room for `extra` more bytes (amortised doubling). */
tgm_error tgm__buf_reserve(tgm_buf *b, size_t extra);
/* Appends grow through these when the buffer is full (use the inline
 * functions below). */
tgm_error tgm__buf_append_slow(tgm_buf *b, const void *src, size_t n);
tgm_error tgm__buf_append_u8_slow(tgm_buf *b, uint8_t v);

/* Append n bytes.  Inline: CBOR and JSON writers append many tiny pieces,
 * and the common case (room left) is a bounds check and a copy. */
static inline tgm_error tgm__buf_append(tgm_buf *b, const void *src, size_t n) {
    if (n <= b->cap - b->len) {
        if (n > 0) {
            memcpy(b->data + b->len, src, n);
            b->len += n;
        }
        return TGM_ERROR_OK;
    }
    return tgm__buf_append_slow(b, src, n);
}

static inline tgm_error tgm__buf_append_u8(tgm_buf *b, uint8_t v) {
    if (b->len < b->cap) {
        b->data[b->len++] = v;
        return TGM_ERROR_OK;
    }
    return tgm__buf_append_u8_slow(b, v);
}

tgm_error tgm__buf_append_zeros(tgm_buf *b, size_t n);
tgm_error tgm__buf_append_be64(tgm_buf *b, uint64_t v);
/* Pad with zero bytes until len is a multiple of 8. */
tgm_error tgm__buf_pad8(tgm_buf *b);
/* Extend len by n (uninitialised) and return a pointer to the new bytes in
 * *out; the pointer is valid until the next call that grows the buffer. */
tgm_error tgm__buf_extend(tgm_buf *b, size_t n, uint8_t **out);
void tgm__buf_free(tgm_buf *b);
/* Hand the bytes to the caller (who frees them with tgm__free); the buffer
 * is left empty.  Never returns NULL for a zero-length buffer. */
uint8_t *tgm__buf_steal(tgm_buf *b, size_t *len);

/* A growable array of u64 (offsets, lengths, shapes). */
typedef struct tgm_u64vec {
    uint64_t *v;
    size_t n;
    size_t cap;
} tgm_u64vec;

#define TGM_U64VEC_INIT                                                                            \
    { NULL, 0, 0 }
tgm_error tgm__u64vec_push(tgm_u64vec *a, uint64_t x);
tgm_error tgm__u64vec_reserve(tgm_u64vec *a, size_t total);
void tgm__u64vec_free(tgm_u64vec *a);

#endif
