/* Bounded CBOR reader (RFC 8949 §3 well-formedness).
 *
 * Accepts every well-formed item, canonical or not, and records the
 * non-canonical forms it saw (TGM_VAL_F_*, fwidth).  Every length is
 * checked against the input that is left before anything is allocated: a
 * string of n bytes needs n bytes, an array of n items at least n bytes
 * and a map of n entries at least 2n, so the tree can never be larger
 * than a small multiple of the input. */
#include <inttypes.h>
#include <string.h>

#include "cbor/cbor.h"
#include "cbor/cbor_internal.h"
#include "common/alloc.h"
#include "common/endian.h"
#include "common/error.h"

typedef struct dec {
    const uint8_t *buf;
    size_t len;
    size_t pos;
    tgm_arena *arena;
    unsigned max_depth;
    size_t max_items;
    size_t items;
} dec;

const char *tgm__cbor_major_name(unsigned major) {
    static const char *const names[8] = {"unsigned integer",
                                         "negative integer",
                                         "byte string",
                                         "text string",
                                         "array",
                                         "map",
                                         "tag",
                                         "float or simple value"};
    return names[major & 7u];
}

/* Read one head at *pos.  Fails on truncation and on the reserved
 * additional-information values 28..30. */
tgm_error tgm__cbor_read_head(const uint8_t *buf, size_t len, size_t *pos, tgm_cbor_head *h) {
    size_t p = *pos;
    TGM_RETURN_IF(p >= len, TGM_ERROR_METADATA,
                  "unexpected end of input: expected a data item at byte %zu", p);
    uint8_t b = buf[p++];
    h->start = *pos;
    h->major = (uint8_t)(b >> 5);
    h->ai = (uint8_t)(b & 0x1fu);
    h->nonshortest = 0;
    if (h->ai < 24) {
        h->arg = h->ai;
    } else if (h->ai <= 27) {
        size_t n = (size_t)1 << (h->ai - 24);
        TGM_RETURN_IF(len - p < n, TGM_ERROR_METADATA,
                      "truncated %s head: %zu argument bytes needed, %zu left at byte %zu",
                      tgm__cbor_major_name(h->major), n, len - p, h->start);
        switch (n) {
        case 1:
            h->arg = buf[p];
            h->nonshortest = h->arg < 24;
            break;
        case 2:
            h->arg = tgm__rd_be16(buf + p);
            h->nonshortest = h->arg <= 0xffu;
            break;
        case 4:
            h->arg = tgm__rd_be32(buf + p);
            h->nonshortest = h->arg <= 0xffffu;
            break;
        default:
            h->arg = tgm__rd_be64(buf + p);
            h->nonshortest = h->arg <= 0xffffffffu;
            break;
        }
        if (h->major == TGM_CBOR_SIMPLE) {
            h->nonshortest = 0; /* floats and simple values: width is not a length */
        }
        p += n;
    } else if (h->ai == 31) {
        h->arg = 0;
    } else {
        return tgm__fail(TGM_ERROR_METADATA, "reserved additional information value %u at byte %zu",
                         (unsigned)h->ai, h->start);
    }
    *pos = p;
    return TGM_ERROR_OK;
}

static tgm_error skip_at(const uint8_t *buf, size_t len, size_t *pos, unsigned depth) {
    tgm_cbor_head h = {0};
    TGM_RETURN_IF(depth > TGM_CBOR_MAX_DEPTH, TGM_ERROR_METADATA,
                  "CBOR nesting deeper than %d at byte %zu", TGM_CBOR_MAX_DEPTH, *pos);
    TGM_TRY(tgm__cbor_read_head(buf, len, pos, &h));
    TGM_RETURN_IF(h.ai == 31, TGM_ERROR_METADATA,
                  "indefinite length or break at byte %zu where a definite item was expected",
                  h.start);
    switch (h.major) {
    case TGM_CBOR_BYTES:
    case TGM_CBOR_TEXT:
        TGM_RETURN_IF(h.arg > len - *pos, TGM_ERROR_METADATA,
                      "unexpected end of input: %s of %" PRIu64 " bytes at byte %zu",
                      tgm__cbor_major_name(h.major), h.arg, h.start);
        *pos += (size_t)h.arg;
        return TGM_ERROR_OK;
    case TGM_CBOR_ARRAY:
    case TGM_CBOR_MAP: {
        uint64_t items = h.arg;
        if (h.major == TGM_CBOR_MAP) {
            TGM_RETURN_IF(items > UINT64_MAX / 2, TGM_ERROR_METADATA,
                          "map of %" PRIu64 " pairs at byte %zu", h.arg, h.start);
            items *= 2;
        }
        for (uint64_t k = 0; k < items; k++) {
            TGM_TRY(skip_at(buf, len, pos, depth + 1));
        }
        return TGM_ERROR_OK;
    }
    case TGM_CBOR_TAG:
        return skip_at(buf, len, pos, depth + 1);
    default:
        return TGM_ERROR_OK;
    }
}

tgm_error tgm__cbor_skip(const uint8_t *buf, size_t len, size_t *pos) {
    return skip_at(buf, len, pos, 0);
}

static tgm_error dec_item(dec *d, tgm_val *out, unsigned depth);

static tgm_error check_text(const dec *d, size_t at, size_t n) {
    if (n <= 16) {
        /* Short ASCII strings (most keys and values): one OR over the bytes. */
        uint8_t any = 0;
        for (size_t i = 0; i < n; i++) {
            any |= d->buf[at + i];
        }
        if (any < 0x80) {
            return TGM_ERROR_OK;
        }
    }
    size_t bad = tgm__utf8_invalid_at(d->buf + at, n);
    TGM_RETURN_IF(bad != n, TGM_ERROR_METADATA, "invalid UTF-8 in text string at byte %zu",
                  at + bad);
    return TGM_ERROR_OK;
}

static tgm_error dec_string(dec *d, const tgm_cbor_head *h, tgm_val *out) {
    unsigned major = h->major;
    out->kind = major == TGM_CBOR_TEXT ? TGM_V_TEXT : TGM_V_BYTES;
    if (h->ai != 31) {
        size_t left = d->len - d->pos;
        TGM_RETURN_IF(h->arg > left, TGM_ERROR_METADATA,
                      "%s length %llu exceeds the %zu bytes left at byte %zu",
                      tgm__cbor_major_name(major), (unsigned long long)h->arg, left, h->start);
        size_t n = (size_t)h->arg;
        if (major == TGM_CBOR_TEXT) {
            TGM_TRY(check_text(d, d->pos, n));
        }
        char *s = tgm__arena_strndup(d->arena, (const char *)d->buf + d->pos, n);
        if (s == NULL) {
            return tgm__oom(n + 1, "CBOR string");
        }
        out->p.str = s;
        out->len = n;
        out->flags = h->nonshortest ? TGM_VAL_F_NONSHORTEST : 0;
        d->pos += n;
        return TGM_ERROR_OK;
    }

    /* Indefinite length: a sequence of definite chunks of the same major
     * type, ended by a break.  Pass 1 validates and sums, pass 2 copies. */
    out->flags = TGM_VAL_F_INDEFINITE;
    size_t p = d->pos, total = 0;
    for (;;) {
        TGM_RETURN_IF(p >= d->len, TGM_ERROR_METADATA,
                      "unterminated indefinite-length %s at byte %zu", tgm__cbor_major_name(major),
                      h->start);
        if (d->buf[p] == 0xff) {
            break;
        }
        tgm_cbor_head c = {0, 0, 0, 0, 0};
        TGM_TRY(tgm__cbor_read_head(d->buf, d->len, &p, &c));
        TGM_RETURN_IF(c.major != major || c.ai == 31, TGM_ERROR_METADATA,
                      "chunk of an indefinite-length %s must be a definite-length %s, "
                      "found %s at byte %zu",
                      tgm__cbor_major_name(major), tgm__cbor_major_name(major),
                      tgm__cbor_major_name(c.major), c.start);
        size_t left = d->len - p;
        TGM_RETURN_IF(c.arg > left, TGM_ERROR_METADATA,
                      "%s chunk length %llu exceeds the %zu bytes left at byte %zu",
                      tgm__cbor_major_name(major), (unsigned long long)c.arg, left, c.start);
        if (major == TGM_CBOR_TEXT) {
            TGM_TRY(check_text(d, p, (size_t)c.arg)); /* each chunk is valid on its own */
        }
        if (c.nonshortest) {
            out->flags |= TGM_VAL_F_NONSHORTEST;
        }
        p += (size_t)c.arg;
        total += (size_t)c.arg;
    }
    char *s = tgm__arena_alloc(d->arena, total + 1);
    if (s == NULL) {
        return tgm__oom(total + 1, "CBOR string");
    }
    size_t q = d->pos, w = 0;
    while (d->buf[q] != 0xff) {
        tgm_cbor_head c = {0, 0, 0, 0, 0};
        TGM_TRY(tgm__cbor_read_head(d->buf, d->len, &q, &c)); /* cannot fail: validated above */
        memcpy(s + w, d->buf + q, (size_t)c.arg);
        w += (size_t)c.arg;
        q += (size_t)c.arg;
    }
    s[total] = '\0';
    out->p.str = s;
    out->len = total;
    d->pos = p + 1;
    return TGM_ERROR_OK;
}

/* Indefinite-length array (per = 1) or map (per = 2): children go to a
 * temporary vector because their count is unknown until the break. */
static tgm_error dec_indefinite(dec *d, const tgm_cbor_head *h, tgm_val *out, unsigned depth,
                                size_t per) {
    tgm_error err = TGM_ERROR_OK;
    tgm_val *vec = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        TGM_FAIL_IF(d->pos >= d->len, TGM_ERROR_METADATA,
                    "unterminated indefinite-length %s at byte %zu", tgm__cbor_major_name(h->major),
                    h->start);
        if (d->buf[d->pos] == 0xff) {
            TGM_FAIL_IF(n % per != 0, TGM_ERROR_METADATA,
                        "map key without a value before the break at byte %zu", d->pos);
            d->pos++;
            break;
        }
        if (n == cap) {
            size_t ncap = cap < 8 ? 8 : cap * 2;
            tgm_val *nv = tgm__realloc(vec, ncap * sizeof *vec);
            if (nv == NULL) {
                err = tgm__oom(ncap * sizeof *vec, "indefinite-length container");
                goto cleanup;
            }
            vec = nv;
            cap = ncap;
        }
        TGM_CHECK(dec_item(d, &vec[n], depth + 1));
        n++;
    }
    out->len = n / per;
    if (n > 0) {
        out->p.items = tgm__arena_alloc(d->arena, n * sizeof *vec);
        if (out->p.items == NULL) {
            err = tgm__oom(n * sizeof *vec, "CBOR items");
            goto cleanup;
        }
        memcpy(out->p.items, vec, n * sizeof *vec);
    }
cleanup:
    tgm__free(vec);
    return err;
}

static tgm_error dec_container(dec *d, const tgm_cbor_head *h, tgm_val *out, unsigned depth) {
    size_t per = h->major == TGM_CBOR_MAP ? 2 : 1;
    out->kind = per == 2 ? TGM_V_MAP : TGM_V_ARRAY;
    TGM_RETURN_IF(depth >= d->max_depth, TGM_ERROR_METADATA,
                  "nesting deeper than %u levels at byte %zu", d->max_depth, h->start);
    if (h->ai == 31) {
        out->flags = TGM_VAL_F_INDEFINITE;
        return dec_indefinite(d, h, out, depth, per);
    }
    out->flags = h->nonshortest ? TGM_VAL_F_NONSHORTEST : 0;
    /* Each item takes at least one byte: refuse counts the input cannot hold
     * before allocating anything for them. */
    size_t left = d->len - d->pos;
    TGM_RETURN_IF(h->arg > left / per, TGM_ERROR_METADATA,
                  "%s length %llu exceeds what the %zu bytes left can hold at byte %zu",
                  tgm__cbor_major_name(h->major), (unsigned long long)h->arg, left, h->start);
    size_t n = (size_t)h->arg * per;
    out->len = (size_t)h->arg;
    if (n == 0) {
        return TGM_ERROR_OK;
    }
    tgm_val *items = tgm__arena_alloc(d->arena, n * sizeof *items);
    if (items == NULL) {
        return tgm__oom(n * sizeof *items, "CBOR items");
    }
    out->p.items = items;
    for (size_t i = 0; i < n; i++) {
        TGM_TRY(dec_item(d, &items[i], depth + 1));
    }
    return TGM_ERROR_OK;
}

static tgm_error dec_simple(dec *d, const tgm_cbor_head *h, tgm_val *out) {
    switch (h->ai) {
    case 20:
    case 21:
        out->kind = TGM_V_BOOL;
        out->num.b = h->ai == 21;
        return TGM_ERROR_OK;
    case 22:
        out->kind = TGM_V_NULL;
        return TGM_ERROR_OK;
    case 23:
        out->kind = TGM_V_UNDEFINED;
        return TGM_ERROR_OK;
    case 24:
        /* RFC 8949 §3.3: the two-byte form only carries values 32..255. */
        TGM_RETURN_IF(h->arg < 32, TGM_ERROR_METADATA,
                      "simple value %u in two-byte form is not well-formed at byte %zu",
                      (unsigned)h->arg, h->start);
        out->kind = TGM_V_SIMPLE;
        out->num.u = h->arg;
        return TGM_ERROR_OK;
    case 25:
        out->kind = TGM_V_FLOAT;
        out->fwidth = 2;
        out->num.f = tgm__cbor_half_to_double((uint16_t)h->arg);
        return TGM_ERROR_OK;
    case 26:
        out->kind = TGM_V_FLOAT;
        out->fwidth = 4;
        out->num.f = tgm__cbor_single_to_double((uint32_t)h->arg);
        return TGM_ERROR_OK;
    case 27:
        out->kind = TGM_V_FLOAT;
        out->fwidth = 8;
        memcpy(&out->num.f, &h->arg, 8);
        return TGM_ERROR_OK;
    case 31:
        (void)d;
        return tgm__fail(TGM_ERROR_METADATA,
                         "unexpected break outside an indefinite-length "
                         "item at byte %zu",
                         h->start);
    default:
        out->kind = TGM_V_SIMPLE; /* 0..19 */
        out->num.u = h->ai;
        return TGM_ERROR_OK;
    }
}

static tgm_error dec_item(dec *d, tgm_val *out, unsigned depth) {
    tgm_cbor_head h = {0, 0, 0, 0, 0};
    memset(out, 0, sizeof *out);
    TGM_RETURN_IF(d->max_items != 0 && d->items >= d->max_items, TGM_ERROR_METADATA,
                  "more than %zu data items at byte %zu", d->max_items, d->pos);
    d->items++;
    TGM_TRY(tgm__cbor_read_head(d->buf, d->len, &d->pos, &h));
    switch (h.major) {
    case TGM_CBOR_UINT:
    case TGM_CBOR_NINT:
        TGM_RETURN_IF(h.ai == 31, TGM_ERROR_METADATA,
                      "indefinite length is not allowed for major type %u (%s) at byte %zu",
                      (unsigned)h.major, tgm__cbor_major_name(h.major), h.start);
        out->kind = TGM_V_INT;
        out->neg = h.major == TGM_CBOR_NINT;
        out->num.u = h.arg;
        out->flags = h.nonshortest ? TGM_VAL_F_NONSHORTEST : 0;
        return TGM_ERROR_OK;
    case TGM_CBOR_BYTES:
    case TGM_CBOR_TEXT:
        return dec_string(d, &h, out);
    case TGM_CBOR_ARRAY:
    case TGM_CBOR_MAP:
        return dec_container(d, &h, out, depth);
    case TGM_CBOR_TAG: {
        TGM_RETURN_IF(h.ai == 31, TGM_ERROR_METADATA,
                      "indefinite length is not allowed for major type 6 (tag) at byte %zu",
                      h.start);
        TGM_RETURN_IF(depth >= d->max_depth, TGM_ERROR_METADATA,
                      "nesting deeper than %u levels at byte %zu", d->max_depth, h.start);
        out->kind = TGM_V_TAG;
        out->num.u = h.arg;
        out->flags = h.nonshortest ? TGM_VAL_F_NONSHORTEST : 0;
        out->len = 1;
        out->p.items = tgm__arena_alloc(d->arena, sizeof(tgm_val));
        if (out->p.items == NULL) {
            return tgm__oom(sizeof(tgm_val), "CBOR tagged item");
        }
        return dec_item(d, out->p.items, depth + 1);
    }
    default:
        return dec_simple(d, &h, out);
    }
}

tgm_error tgm__cbor_decode(const uint8_t *buf, size_t len, tgm_arena *arena,
                           const tgm_cbor_limits *limits, tgm_val **out, size_t *consumed) {
    TGM_RETURN_IF(buf == NULL && len != 0, TGM_ERROR_INVALID_ARG, "NULL CBOR buffer");
    dec d;
    d.buf = buf;
    d.len = len;
    d.pos = 0;
    d.arena = arena;
    d.max_depth = limits != NULL && limits->max_depth != 0 ? limits->max_depth : TGM_CBOR_MAX_DEPTH;
    d.max_items = limits != NULL ? limits->max_items : 0;
    d.items = 0;
    tgm_val *root = tgm__arena_alloc(arena, sizeof *root);
    if (root == NULL) {
        return tgm__oom(sizeof *root, "CBOR root item");
    }
    TGM_TRY(dec_item(&d, root, 0));
    *out = root;
    if (consumed != NULL) {
        *consumed = d.pos;
    }
    return TGM_ERROR_OK;
}
