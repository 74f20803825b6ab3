#include "common/buf.h"

#include <string.h>

#include "common/alloc.h"
#include "common/endian.h"
#include "common/error.h"

tgm_error tgm__buf_reserve(tgm_buf *b, size_t extra) {
    size_t need;
    if (__builtin_add_overflow(b->len, extra, &need)) {
        return tgm__fail(TGM_ERROR_ENCODING, "buffer size overflow (%zu + %zu bytes)", b->len,
                         extra);
    }
    if (need <= b->cap) {
        return TGM_ERROR_OK;
    }
    if (b->fixed) {
        b->needed = need;
        return tgm__fail(TGM_ERROR_INVALID_ARG,
                         "output buffer too small: %zu bytes needed, %zu available", need, b->cap);
    }
    /* An empty buffer asked for a size gets exactly that (callers that know
     * the final size reserve it once); growing buffers double. */
    size_t cap = b->cap == 0 ? (need < 64 ? 64 : need) : b->cap;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) {
            cap = need;
            break;
        }
        cap *= 2;
    }
    uint8_t *p = tgm__realloc(b->data, cap);
    if (p == NULL) {
        return tgm__oom(cap, "output buffer");
    }
    b->data = p;
    b->cap = cap;
    return TGM_ERROR_OK;
}

tgm_error tgm__buf_append_slow(tgm_buf *b, const void *src, size_t n) {
    if (n == 0) {
        return TGM_ERROR_OK;
    }
    TGM_TRY(tgm__buf_reserve(b, n));
    memcpy(b->data + b->len, src, n);
    b->len += n;
    return TGM_ERROR_OK;
}

tgm_error tgm__buf_append_zeros(tgm_buf *b, size_t n) {
    if (n == 0) {
        return TGM_ERROR_OK;
    }
    TGM_TRY(tgm__buf_reserve(b, n));
    memset(b->data + b->len, 0, n);
    b->len += n;
    return TGM_ERROR_OK;
}

tgm_error tgm__buf_append_u8_slow(tgm_buf *b, uint8_t v) { return tgm__buf_append_slow(b, &v, 1); }

tgm_error tgm__buf_append_be64(tgm_buf *b, uint64_t v) {
    uint8_t tmp[8];
    tgm__wr_be64(tmp, v);
    return tgm__buf_append(b, tmp, 8);
}

tgm_error tgm__buf_pad8(tgm_buf *b) { return tgm__buf_append_zeros(b, (8 - (b->len & 7)) & 7); }

tgm_error tgm__buf_extend(tgm_buf *b, size_t n, uint8_t **out) {
    TGM_TRY(tgm__buf_reserve(b, n));
    *out = b->data + b->len;
    b->len += n;
    return TGM_ERROR_OK;
}

void tgm__buf_free(tgm_buf *b) {
    if (b->fixed) {
        b->data = NULL;
        b->len = b->cap = 0;
        return;
    }
    tgm__free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

uint8_t *tgm__buf_steal(tgm_buf *b, size_t *len) {
    uint8_t *p = b->data;
    *len = b->len;
    if (p == NULL) {
        p = tgm__malloc(1);
    }
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

tgm_error tgm__u64vec_reserve(tgm_u64vec *a, size_t total) {
    if (total <= a->cap) {
        return TGM_ERROR_OK;
    }
    uint64_t *p = tgm__realloc(a->v, total * sizeof(uint64_t));
    if (p == NULL || total > SIZE_MAX / sizeof(uint64_t)) {
        return tgm__oom(total * sizeof(uint64_t), "u64 array");
    }
    a->v = p;
    a->cap = total;
    return TGM_ERROR_OK;
}

tgm_error tgm__u64vec_push(tgm_u64vec *a, uint64_t x) {
    if (a->n == a->cap) {
        TGM_TRY(tgm__u64vec_reserve(a, a->cap < 16 ? 16 : a->cap * 2));
    }
    a->v[a->n++] = x;
    return TGM_ERROR_OK;
}

void tgm__u64vec_free(tgm_u64vec *a) {
    tgm__free(a->v);
    a->v = NULL;
    a->n = a->cap = 0;
}
