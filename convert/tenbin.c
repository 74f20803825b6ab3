/* webdataset's tenbin (.ten): reader and writer.
 *
 * The format, as webdataset's tenbin.py writes it: a sequence of chunks,
 * each the 8 bytes "~TenBin~", an int64 byte count, and that many bytes
 * zero-padded to a multiple of 64.  Every array is a header chunk
 * followed by a data chunk.  The header is int64 words: the dtype code
 * (ASCII "f4", "u2", ... NUL-padded to 8 bytes), the info name (8 ASCII
 * bytes, NUL-padded), the rank, then one word per dimension.  Integers are
 * in the writing machine's byte order, with no marker.
 *
 * The reader checks every length against the buffer before using it and
 * never reads outside it; the arrays it returns point into the buffer. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "internal.h"

#define MAGIC "~TenBin~"
/* Ranks above this are refused (tenbin itself writes at most 9); it bounds
 * the shape allocation independently of the header's length. */
#define MAX_RANK 1024

static const struct {
    const char *code;
    const char *dtype;
    size_t size;
} codes[] = {{"f2", "float16", 2}, {"f4", "float32", 4}, {"f8", "float64", 8}, {"i1", "int8", 1},
             {"i2", "int16", 2},   {"i4", "int32", 4},   {"i8", "int64", 8},   {"u1", "uint8", 1},
             {"u2", "uint16", 2},  {"u4", "uint32", 4},  {"u8", "uint64", 8}};

struct tgm_tenbin_record_t {
    tgm_tenbin_array *arrays;
    uint64_t *shapes; /* all arrays' dimensions, back to back */
    size_t n;
};

static uint64_t load64(const uint8_t *p, bool big) {
    uint64_t v = 0;
    if (big) {
        for (int i = 0; i < 8; i++) {
            v = v << 8 | p[i];
        }
    } else {
        for (int i = 7; i >= 0; i--) {
            v = v << 8 | p[i];
        }
    }
    return v;
}

static void store64(uint8_t *p, uint64_t v, bool big) {
    for (int i = 0; i < 8; i++) {
        int shift = big ? 8 * (7 - i) : 8 * i;
        p[i] = (uint8_t)(v >> shift);
    }
}

static size_t roundup64(size_t n) { return (n + 63) & ~(size_t)63; }

static bool order_big(int32_t order) {
    switch (order) {
    case TGM_TENBIN_BIG:
        return true;
    case TGM_TENBIN_NATIVE:
        return cv_host_big_endian();
    default:
        return false;
    }
}

/* tenbin's unstr64: the 8 bytes as text with NULs stripped at both ends. */
static void unstr64(const uint8_t *p, char out[9]) {
    size_t a = 0, b = 8;
    while (a < b && p[a] == 0) {
        a++;
    }
    while (b > a && p[b - 1] == 0) {
        b--;
    }
    memcpy(out, p + a, b - a);
    out[b - a] = '\0';
}

/* The byte order of buf: AUTO looks at the first chunk's length, which a
 * real file makes plausible in exactly one order. */
static tgm_error pick_order(const uint8_t *buf, size_t len, int32_t order, bool *big) {
    if (order == TGM_TENBIN_LITTLE || order == TGM_TENBIN_BIG || order == TGM_TENBIN_NATIVE) {
        *big = order_big(order);
        return TGM_ERROR_OK;
    }
    if (order != TGM_TENBIN_AUTO) {
        return cv_fail(TGM_ERROR_INVALID_ARG, "unknown tenbin byte order %d", (int)order);
    }
    *big = false;
    if (len < 16) {
        return TGM_ERROR_OK; /* the parser reports the truncation */
    }
    uint64_t le = load64(buf + 8, false), be = load64(buf + 8, true);
    bool le_ok = le <= len - 16, be_ok = be <= len - 16;
    *big = be_ok && !le_ok;
    return TGM_ERROR_OK;
}

tgm_error tgm_tenbin_read(const uint8_t *buf, size_t len, int32_t byte_order,
                          tgm_tenbin_record_t **out) {
    if (out == NULL || (buf == NULL && len > 0)) {
        return cv_fail(TGM_ERROR_INVALID_ARG, "null argument");
    }
    bool big = false;
    tgm_error err = pick_order(buf, len, byte_order, &big);
    if (err != TGM_ERROR_OK) {
        return err;
    }
    /* First pass: chunk boundaries. */
    size_t nchunks = 0, cap = 0;
    struct chunk {
        size_t off, data, len;
    } *chunks = NULL;
    size_t off = 0;
    while (off < len) {
        if (len - off < 16) {
            err = cv_fail(TGM_ERROR_FRAMING,
                          "tenbin: truncated chunk at offset %zu (%zu bytes, a chunk header "
                          "needs 16)",
                          off, len - off);
            goto fail;
        }
        if (memcmp(buf + off, MAGIC, 8) != 0) {
            err = cv_fail(TGM_ERROR_FRAMING, "tenbin: no \"~TenBin~\" magic at offset %zu%s", off,
                          off == 0 ? " (not a .ten file)" : "");
            goto fail;
        }
        uint64_t n = load64(buf + off + 8, big);
        if (n > (uint64_t)(len - off - 16)) {
            err = cv_fail(TGM_ERROR_FRAMING,
                          "tenbin: chunk at offset %zu claims %llu bytes but only %zu follow "
                          "(truncated file%s)",
                          off, (unsigned long long)n, len - off - 16,
                          (n >> 56) != 0 ? ", or written in the other byte order" : "");
            goto fail;
        }
        if (nchunks == cap) {
            cap = cap ? cap * 2 : 16;
            struct chunk *c = realloc(chunks, cap * sizeof *c);
            if (c == NULL) {
                err = cv_oom("tenbin chunks");
                goto fail;
            }
            chunks = c;
        }
        chunks[nchunks].off = off;
        chunks[nchunks].data = off + 16;
        chunks[nchunks].len = (size_t)n;
        nchunks++;
        size_t padded = roundup64((size_t)n);
        /* tenbin's reader accepts a last chunk whose padding is cut short. */
        off = padded > len - off - 16 ? len : off + 16 + padded;
    }
    if (nchunks % 2 != 0) {
        err = cv_fail(TGM_ERROR_FRAMING,
                      "tenbin: the header chunk at offset %zu has no data chunk (truncated file)",
                      chunks[nchunks - 1].off);
        goto fail;
    }
    /* Second pass: headers. */
    size_t narrays = nchunks / 2, total_dims = 0;
    for (size_t i = 0; i < narrays; i++) {
        const struct chunk *h = &chunks[2 * i];
        if (h->len < 24 || h->len % 8 != 0) {
            err = cv_fail(TGM_ERROR_FRAMING,
                          "tenbin: header chunk of array %zu (offset %zu) holds %zu bytes, not "
                          "a whole number of int64 words of at least 3",
                          i, h->off, h->len);
            goto fail;
        }
        uint64_t rank = load64(buf + h->data + 16, big);
        if (rank > MAX_RANK || rank > (h->len - 24) / 8) {
            err = cv_fail(TGM_ERROR_FRAMING,
                          "tenbin: header chunk of array %zu (offset %zu) gives rank %lld but "
                          "holds %zu dimensions",
                          i, h->off, (long long)rank, (h->len - 24) / 8);
            goto fail;
        }
        total_dims += (size_t)rank;
    }
    tgm_tenbin_record_t *rec = calloc(1, sizeof *rec);
    if (rec == NULL) {
        err = cv_oom("tenbin record");
        goto fail;
    }
    rec->arrays = calloc(narrays ? narrays : 1, sizeof *rec->arrays);
    rec->shapes = calloc(total_dims ? total_dims : 1, sizeof *rec->shapes);
    if (rec->arrays == NULL || rec->shapes == NULL) {
        tgm_tenbin_record_free(rec);
        err = cv_oom("tenbin record");
        goto fail;
    }
    uint64_t *dims = rec->shapes;
    for (size_t i = 0; i < narrays; i++) {
        const struct chunk *h = &chunks[2 * i], *d = &chunks[2 * i + 1];
        const uint8_t *hp = buf + h->data;
        tgm_tenbin_array *a = &rec->arrays[i];
        char code[9];
        unstr64(hp, code);
        size_t size = 0;
        for (size_t k = 0; k < sizeof codes / sizeof codes[0]; k++) {
            if (strcmp(code, codes[k].code) == 0) {
                a->dtype = codes[k].dtype;
                size = codes[k].size;
            }
        }
        if (a->dtype == NULL) {
            char shown[40];
            cv_buf q = {0};
            cv_json_str(&q, (const char *)hp, strnlen((const char *)hp, 8));
            snprintf(shown, sizeof shown, "%s", q.p != NULL ? q.p : "?");
            cv_buf_free(&q);
            tgm_tenbin_record_free(rec);
            err = cv_fail(TGM_ERROR_METADATA,
                          "tenbin: array %zu (header at offset %zu) has the unknown dtype code "
                          "%s; known: f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 u8",
                          i, h->off, shown);
            goto fail;
        }
        unstr64(hp + 8, a->info);
        a->ndim = (uint32_t)load64(hp + 16, big);
        a->shape = dims;
        uint64_t count = 1;
        bool overflow = false;
        for (uint32_t k = 0; k < a->ndim; k++) {
            uint64_t dim = load64(hp + 24 + 8 * k, big);
            if (dim > INT64_MAX) {
                tgm_tenbin_record_free(rec);
                err = cv_fail(TGM_ERROR_FRAMING,
                              "tenbin: array %zu has a negative dimension %lld (header at offset "
                              "%zu)",
                              i, (long long)dim, h->off);
                goto fail;
            }
            dims[k] = dim;
            if (dim != 0 && count > UINT64_MAX / dim) {
                overflow = true;
            }
            count *= dim;
        }
        dims += a->ndim;
        if (overflow || count > SIZE_MAX / size || count * size != d->len) {
            const char *dt = a->dtype;
            tgm_tenbin_record_free(rec);
            err = cv_fail(TGM_ERROR_FRAMING,
                          "tenbin: data chunk of array %zu (offset %zu) holds %zu bytes, but its "
                          "header gives %s%llu elements of %s",
                          i, d->off, d->len, overflow ? "more than " : "",
                          (unsigned long long)count, dt);
            goto fail;
        }
        a->data = buf + d->data;
        a->nbytes = d->len;
        a->big_endian = big;
    }
    rec->n = narrays;
    free(chunks);
    *out = rec;
    return TGM_ERROR_OK;
fail:
    free(chunks);
    return err;
}

size_t tgm_tenbin_record_count(const tgm_tenbin_record_t *rec) { return rec ? rec->n : 0; }

const tgm_tenbin_array *tgm_tenbin_record_array(const tgm_tenbin_record_t *rec, size_t i) {
    return rec != NULL && i < rec->n ? &rec->arrays[i] : NULL;
}

void tgm_tenbin_record_free(tgm_tenbin_record_t *rec) {
    if (rec == NULL) {
        return;
    }
    free(rec->arrays);
    free(rec->shapes);
    free(rec);
}

/* Copy n bytes of elements of `size`, reversing each element's bytes. */
static void copy_swapped(uint8_t *dst, const uint8_t *src, size_t n, size_t size) {
    for (size_t i = 0; i + size <= n; i += size) {
        for (size_t k = 0; k < size; k++) {
            dst[i + k] = src[i + size - 1 - k];
        }
    }
}

static const char *code_of(const char *dtype, size_t *size) {
    for (size_t k = 0; dtype != NULL && k < sizeof codes / sizeof codes[0]; k++) {
        if (strcmp(dtype, codes[k].dtype) == 0) {
            *size = codes[k].size;
            return codes[k].code;
        }
    }
    return NULL;
}

/* Check the arrays and size the .ten; *total is its length. */
static tgm_error check_arrays(const tgm_tenbin_array *arrays, size_t count, int32_t byte_order,
                              size_t *total_out) {
    if (arrays == NULL && count > 0) {
        return cv_fail(TGM_ERROR_INVALID_ARG, "null argument");
    }
    if (byte_order < TGM_TENBIN_AUTO || byte_order > TGM_TENBIN_NATIVE) {
        return cv_fail(TGM_ERROR_INVALID_ARG, "unknown tenbin byte order %d", (int)byte_order);
    }
    size_t total = 0;
    for (size_t i = 0; i < count; i++) {
        const tgm_tenbin_array *a = &arrays[i];
        size_t size = 0;
        if (code_of(a->dtype, &size) == NULL) {
            return cv_fail(TGM_ERROR_INVALID_ARG,
                           "tenbin has no code for dtype %s (array %zu); it stores float16/32/64, "
                           "int8/16/32/64 and uint8/16/32/64",
                           a->dtype ? a->dtype : "(null)", i);
        }
        size_t ilen = strnlen(a->info, sizeof a->info);
        if (ilen > 8) {
            return cv_fail(TGM_ERROR_INVALID_ARG, "tenbin info of array %zu is longer than 8 bytes",
                           i);
        }
        for (size_t k = 0; k < ilen; k++) {
            if ((unsigned char)a->info[k] >= 0x80) {
                return cv_fail(TGM_ERROR_INVALID_ARG,
                               "tenbin info of array %zu is not ASCII (tenbin decodes it as "
                               "ASCII)",
                               i);
            }
        }
        if (a->ndim > MAX_RANK || (a->ndim > 0 && a->shape == NULL)) {
            return cv_fail(TGM_ERROR_INVALID_ARG, "array %zu: rank %u (at most %d)", i, a->ndim,
                           MAX_RANK);
        }
        uint64_t n = 1;
        for (uint32_t k = 0; k < a->ndim; k++) {
            if (a->shape[k] > INT64_MAX || (a->shape[k] != 0 && n > UINT64_MAX / a->shape[k])) {
                return cv_fail(TGM_ERROR_INVALID_ARG, "array %zu: shape too large", i);
            }
            n *= a->shape[k];
        }
        if (n > SIZE_MAX / size || n * size != a->nbytes || (a->nbytes > 0 && a->data == NULL)) {
            return cv_fail(TGM_ERROR_INVALID_ARG,
                           "array %zu: %zu data bytes, but its shape gives %llu elements of %s", i,
                           a->nbytes, (unsigned long long)n, a->dtype);
        }
        size_t hdr = 8 * (3 + (size_t)a->ndim);
        size_t add = 32 + roundup64(hdr) + roundup64(a->nbytes);
        if (a->nbytes > SIZE_MAX - 256 || add > SIZE_MAX - total) {
            return cv_fail(TGM_ERROR_INVALID_ARG, "tenbin output too large");
        }
        total += add;
    }
    *total_out = total;
    return TGM_ERROR_OK;
}

/* The bytes of array a's .ten before its data: the header chunk (padded)
 * and the data chunk's magic and length; returns their count
 * (32 + roundup64(8 * (3 + ndim))).  p must hold that many. */
static size_t put_heads(uint8_t *p, const tgm_tenbin_array *a, bool big) {
    size_t size = 0;
    const char *code = code_of(a->dtype, &size);
    size_t hdr = 8 * (3 + (size_t)a->ndim);
    size_t padded = roundup64(hdr);
    memcpy(p, MAGIC, 8);
    store64(p + 8, hdr, big);
    uint8_t *h = p + 16;
    memset(h, 0, padded);
    memcpy(h, code, strlen(code));
    memcpy(h + 8, a->info, strnlen(a->info, sizeof a->info));
    store64(h + 16, a->ndim, big);
    for (uint32_t k = 0; k < a->ndim; k++) {
        store64(h + 24 + 8 * k, a->shape[k], big);
    }
    uint8_t *d = h + padded;
    memcpy(d, MAGIC, 8);
    store64(d + 8, a->nbytes, big);
    return 32 + padded;
}

/* Outputs of this size and more are given transparent huge pages: the
 * kernel then clears the new memory 2 MiB per fault rather than 4 KiB,
 * which is most of the cost of filling a fresh buffer on some machines. */
#define HUGE_OUT ((size_t)8 << 20)
#define HUGE_ALIGN ((size_t)2 << 20)

static uint8_t *alloc_out(size_t n) {
#if defined(MADV_HUGEPAGE)
    if (n >= HUGE_OUT) {
        void *p = NULL;
        if (posix_memalign(&p, HUGE_ALIGN, n) != 0) {
            return NULL;
        }
        (void)madvise(p, n, MADV_HUGEPAGE);
        return p;
    }
#endif
    return malloc(n ? n : 1);
}

tgm_error tgm_tenbin_write(const tgm_tenbin_array *arrays, size_t count, int32_t byte_order,
                           tgm_bytes_t *out) {
    if (out == NULL) {
        return cv_fail(TGM_ERROR_INVALID_ARG, "null argument");
    }
    size_t total = 0;
    tgm_error err = check_arrays(arrays, count, byte_order, &total);
    if (err != TGM_ERROR_OK) {
        return err;
    }
    bool big = order_big(byte_order);
    /* Each byte is written once: the heads, the data, the padding. */
    uint8_t *p = alloc_out(total);
    if (p == NULL) {
        return cv_oom("tenbin output");
    }
    size_t off = 0;
    for (size_t i = 0; i < count; i++) {
        const tgm_tenbin_array *a = &arrays[i];
        size_t size = 0;
        (void)code_of(a->dtype, &size);
        off += put_heads(p + off, a, big);
        if (a->nbytes > 0) {
            if (a->big_endian != big && size > 1) {
                copy_swapped(p + off, a->data, a->nbytes, size);
            } else {
                memcpy(p + off, a->data, a->nbytes);
            }
        }
        memset(p + off + a->nbytes, 0, roundup64(a->nbytes) - a->nbytes);
        off += roundup64(a->nbytes);
    }
    out->data = p;
    out->len = total;
    return TGM_ERROR_OK;
}

/* ---- writing to a descriptor ------------------------------------------------------------- */

/* Pieces gathered for writev; `heads` holds every array's heads (small). */
typedef struct {
    int fd;
    struct iovec iov[64];
    int n;
    uint64_t written;
} gatherer;

static tgm_error flush_pieces(gatherer *g) {
    int at = 0;
    while (at < g->n) {
        ssize_t w = writev(g->fd, g->iov + at, g->n - at);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return cv_fail(TGM_ERROR_IO, "cannot write the tenbin output to descriptor %d: %s",
                           g->fd, w < 0 ? strerror(errno) : "nothing written");
        }
        g->written += (uint64_t)w;
        size_t left = (size_t)w;
        while (at < g->n && left >= g->iov[at].iov_len) {
            left -= g->iov[at].iov_len;
            at++;
        }
        if (at < g->n) {
            g->iov[at].iov_base = (uint8_t *)g->iov[at].iov_base + left;
            g->iov[at].iov_len -= left;
        }
    }
    g->n = 0;
    return TGM_ERROR_OK;
}

static tgm_error add_piece(gatherer *g, const void *p, size_t n) {
    if (n == 0) {
        return TGM_ERROR_OK;
    }
    if (g->n == (int)(sizeof g->iov / sizeof g->iov[0])) {
        tgm_error err = flush_pieces(g);
        if (err != TGM_ERROR_OK) {
            return err;
        }
    }
    g->iov[g->n].iov_base = (void *)(uintptr_t)p;
    g->iov[g->n].iov_len = n;
    g->n++;
    return TGM_ERROR_OK;
}

/* Byte-swapped data goes through a bounce buffer of this size. */
#define SWAP_CHUNK ((size_t)1 << 20)

tgm_error tgm_tenbin_write_fd(const tgm_tenbin_array *arrays, size_t count, int32_t byte_order,
                              int fd, uint64_t *out_len) {
    if (fd < 0) {
        return cv_fail(TGM_ERROR_INVALID_ARG, "negative file descriptor");
    }
    size_t total = 0;
    tgm_error err = check_arrays(arrays, count, byte_order, &total);
    if (err != TGM_ERROR_OK) {
        return err;
    }
    bool big = order_big(byte_order);
    static const uint8_t zeros[64];
    size_t heads_len = 0;
    for (size_t i = 0; i < count; i++) {
        heads_len += 32 + roundup64(8 * (3 + (size_t)arrays[i].ndim));
    }
    uint8_t *heads = malloc(heads_len ? heads_len : 1);
    uint8_t *bounce = NULL;
    if (heads == NULL) {
        return cv_oom("tenbin heads");
    }
    gatherer g = {fd, {{0}}, 0, 0};
    size_t at = 0;
    for (size_t i = 0; i < count && err == TGM_ERROR_OK; i++) {
        const tgm_tenbin_array *a = &arrays[i];
        size_t size = 0;
        (void)code_of(a->dtype, &size);
        size_t h = put_heads(heads + at, a, big);
        err = add_piece(&g, heads + at, h);
        at += h;
        if (err == TGM_ERROR_OK && a->nbytes > 0 && a->big_endian != big && size > 1) {
            /* Swapped through the bounce buffer, chunk by chunk. */
            if (bounce == NULL && (bounce = malloc(SWAP_CHUNK)) == NULL) {
                err = cv_oom("tenbin byte swap");
                break;
            }
            err = flush_pieces(&g);
            for (size_t off = 0; err == TGM_ERROR_OK && off < a->nbytes; off += SWAP_CHUNK) {
                size_t n = a->nbytes - off < SWAP_CHUNK ? a->nbytes - off : SWAP_CHUNK;
                copy_swapped(bounce, a->data + off, n, size);
                if ((err = add_piece(&g, bounce, n)) == TGM_ERROR_OK) {
                    err = flush_pieces(&g);
                }
            }
        } else if (err == TGM_ERROR_OK) {
            err = add_piece(&g, a->data, a->nbytes);
        }
        if (err == TGM_ERROR_OK) {
            err = add_piece(&g, zeros, roundup64(a->nbytes) - a->nbytes);
        }
    }
    if (err == TGM_ERROR_OK) {
        err = flush_pieces(&g);
    }
    if (err == TGM_ERROR_OK && out_len != NULL) {
        *out_len = g.written;
    }
    free(bounce);
    free(heads);
    return err;
}
