/* Canonical-form check on encoded bytes (RFC 8949 §4.2.1, WIRE_FORMAT §12).
 *
 * Walks one item without building a tree and reports the first deviation
 * from what the canonical writer (cbor_encode.c) would produce: an
 * indefinite length, a head argument not in its shortest form, a float
 * wider than needed, or map keys not strictly increasing by their encoded
 * bytes (which also excludes duplicates).  Malformed input is reported
 * with the reader's messages. */
#include <string.h>

#include "cbor/cbor.h"
#include "cbor/cbor_internal.h"
#include "common/endian.h"
#include "common/error.h"

typedef struct canon {
    const uint8_t *buf;
    size_t len;
    size_t pos;
} canon;

static tgm_error chk_item(canon *c, unsigned depth);

static tgm_error chk_float(const tgm_cbor_head *h) {
    double f;
    int width = 1 << (h->ai - 24);
    if (width == 2) {
        f = tgm__cbor_half_to_double((uint16_t)h->arg);
    } else if (width == 4) {
        f = tgm__cbor_single_to_double((uint32_t)h->arg);
    } else {
        memcpy(&f, &h->arg, 8);
    }
    uint64_t bits;
    int want = tgm__cbor_float_width(f, &bits);
    TGM_RETURN_IF(want != width || bits != h->arg, TGM_ERROR_METADATA,
                  "float %.17g not in its shortest exact form at byte %zu (written in %d bytes as "
                  "0x%0*llx; canonical is %d bytes, 0x%0*llx)",
                  f, h->start, width, 2 * width, (unsigned long long)h->arg, want, 2 * want,
                  (unsigned long long)bits);
    return TGM_ERROR_OK;
}

static tgm_error chk_depth(const tgm_cbor_head *h, unsigned depth) {
    TGM_RETURN_IF(depth >= TGM_CBOR_MAX_DEPTH, TGM_ERROR_METADATA,
                  "nesting deeper than %u levels at byte %zu", (unsigned)TGM_CBOR_MAX_DEPTH,
                  h->start);
    return TGM_ERROR_OK;
}

static tgm_error chk_map(canon *c, const tgm_cbor_head *h, unsigned depth) {
    size_t left = c->len - c->pos;
    TGM_RETURN_IF(h->arg > left / 2, TGM_ERROR_METADATA,
                  "map length %llu exceeds what the %zu bytes left can hold at byte %zu",
                  (unsigned long long)h->arg, left, h->start);
    size_t prev_start = 0, prev_len = 0;
    for (uint64_t i = 0; i < h->arg; i++) {
        size_t start = c->pos;
        TGM_TRY(chk_item(c, depth + 1));
        size_t klen = c->pos - start;
        if (i > 0) {
            size_t m = klen < prev_len ? klen : prev_len;
            int cmp = memcmp(c->buf + prev_start, c->buf + start, m);
            if (cmp == 0) {
                cmp = prev_len < klen ? -1 : prev_len > klen ? 1 : 0;
            }
            TGM_RETURN_IF(cmp == 0, TGM_ERROR_METADATA, "duplicate map key at byte %zu", start);
            TGM_RETURN_IF(cmp > 0, TGM_ERROR_METADATA,
                          "map keys not in canonical order at byte %zu (this key's encoding "
                          "sorts before the previous key's, at byte %zu)",
                          start, prev_start);
        }
        prev_start = start;
        prev_len = klen;
        TGM_TRY(chk_item(c, depth + 1));
    }
    return TGM_ERROR_OK;
}

static tgm_error chk_item(canon *c, unsigned depth) {
    tgm_cbor_head h = {0, 0, 0, 0, 0};
    TGM_TRY(tgm__cbor_read_head(c->buf, c->len, &c->pos, &h));
    if (h.ai == 31) {
        TGM_RETURN_IF(h.major == TGM_CBOR_SIMPLE, TGM_ERROR_METADATA,
                      "unexpected break outside an indefinite-length item at byte %zu", h.start);
        TGM_RETURN_IF(h.major >= TGM_CBOR_BYTES && h.major <= TGM_CBOR_MAP, TGM_ERROR_METADATA,
                      "indefinite-length %s at byte %zu (canonical CBOR uses definite lengths)",
                      tgm__cbor_major_name(h.major), h.start);
        return tgm__fail(TGM_ERROR_METADATA,
                         "indefinite length is not allowed for major type %u (%s) at byte %zu",
                         (unsigned)h.major, tgm__cbor_major_name(h.major), h.start);
    }
    if (h.nonshortest) {
        return tgm__fail(TGM_ERROR_METADATA,
                         "%s argument %llu not in shortest form at byte %zu (%zu-byte head, "
                         "canonical is %zu)",
                         tgm__cbor_major_name(h.major), (unsigned long long)h.arg, h.start,
                         c->pos - h.start, tgm__cbor_head_size(h.arg));
    }
    size_t left = c->len - c->pos;
    switch (h.major) {
    case TGM_CBOR_UINT:
    case TGM_CBOR_NINT:
        return TGM_ERROR_OK;
    case TGM_CBOR_BYTES:
    case TGM_CBOR_TEXT:
        TGM_RETURN_IF(h.arg > left, TGM_ERROR_METADATA,
                      "%s length %llu exceeds the %zu bytes left at byte %zu",
                      tgm__cbor_major_name(h.major), (unsigned long long)h.arg, left, h.start);
        if (h.major == TGM_CBOR_TEXT) {
            size_t bad = tgm__utf8_invalid_at(c->buf + c->pos, (size_t)h.arg);
            TGM_RETURN_IF(bad != (size_t)h.arg, TGM_ERROR_METADATA,
                          "invalid UTF-8 in text string at byte %zu", c->pos + bad);
        }
        c->pos += (size_t)h.arg;
        return TGM_ERROR_OK;
    case TGM_CBOR_ARRAY:
        TGM_TRY(chk_depth(&h, depth));
        TGM_RETURN_IF(h.arg > left, TGM_ERROR_METADATA,
                      "array length %llu exceeds what the %zu bytes left can hold at byte %zu",
                      (unsigned long long)h.arg, left, h.start);
        for (uint64_t i = 0; i < h.arg; i++) {
            TGM_TRY(chk_item(c, depth + 1));
        }
        return TGM_ERROR_OK;
    case TGM_CBOR_MAP:
        TGM_TRY(chk_depth(&h, depth));
        return chk_map(c, &h, depth);
    case TGM_CBOR_TAG:
        TGM_TRY(chk_depth(&h, depth));
        return chk_item(c, depth + 1);
    default:
        if (h.ai == 24) {
            TGM_RETURN_IF(h.arg < 32, TGM_ERROR_METADATA,
                          "simple value %u in two-byte form is not well-formed at byte %zu",
                          (unsigned)h.arg, h.start);
        } else if (h.ai >= 25) {
            return chk_float(&h);
        }
        return TGM_ERROR_OK;
    }
}

tgm_error tgm__cbor_check_canonical(const uint8_t *buf, size_t len) {
    TGM_RETURN_IF(buf == NULL && len != 0, TGM_ERROR_INVALID_ARG, "NULL CBOR buffer");
    canon c = {buf, len, 0};
    TGM_TRY(chk_item(&c, 0));
    TGM_RETURN_IF(c.pos != len, TGM_ERROR_METADATA, "%zu trailing bytes after the item at byte %zu",
                  len - c.pos, c.pos);
    return TGM_ERROR_OK;
}
