/* CBOR (RFC 8949) codec for the metadata value model.
 *
 *  - tgm__cbor_decode: bounded reader.  Checks every length against the
 *    input before allocating, caps nesting depth, accepts non-canonical but
 *    well-formed input (indefinite lengths, non-shortest arguments, any
 *    key order), rejects malformed input with a precise message.
 *  - tgm__cbor_encode: canonical writer (RFC 8949 §4.2.1 core deterministic
 *    encoding): definite lengths, shortest arguments, map keys sorted by
 *    their encoded bytes, floats in the shortest of half/single/double that
 *    represents the value exactly.
 *  - tgm__cbor_check_canonical: reports the first deviation from canonical
 *    form in an encoded item. */
#ifndef TGM_CBOR_CBOR_H
#define TGM_CBOR_CBOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cbor/value.h"
#include "common/buf.h"
#include "common/endian.h"

/* CBOR major types (RFC 8949 §3.1). */
enum {
    TGM_CBOR_UINT = 0,
    TGM_CBOR_NINT = 1,
    TGM_CBOR_BYTES = 2,
    TGM_CBOR_TEXT = 3,
    TGM_CBOR_ARRAY = 4,
    TGM_CBOR_MAP = 5,
    TGM_CBOR_TAG = 6,
    TGM_CBOR_SIMPLE = 7
};

/* Limits that protect the reader from hostile input. */
#define TGM_CBOR_MAX_DEPTH 128

typedef struct tgm_cbor_limits {
    unsigned max_depth; /* nesting cap; 0 = TGM_CBOR_MAX_DEPTH */
    size_t max_items;   /* total nodes cap; 0 = no cap beyond input size */
} tgm_cbor_limits;

/* Decode exactly one data item from buf[0..len).  On success *out is an
 * arena-allocated tree and *consumed (optional) the number of bytes read;
 * trailing bytes are allowed (callers that need exactness check consumed).
 * Errors: TGM_ERROR_METADATA with "<what> at byte <offset>" detail
 * (truncation, reserved additional information 28..30, a break outside an
 * indefinite-length item, invalid UTF-8, nesting deeper than the cap, a
 * count the remaining input cannot hold, more than max_items items);
 * out-of-memory as reported by tgm__oom.  On failure the arena may hold
 * partial allocations; they go away with the arena. */
tgm_error tgm__cbor_decode(const uint8_t *buf, size_t len, tgm_arena *arena,
                           const tgm_cbor_limits *limits, tgm_val **out, size_t *consumed);

/* Append the canonical encoding of v to out.  Maps are written with their
 * entries stably sorted by encoded key bytes (duplicates are kept, in
 * order, as the reference does).  On failure out is left as it was. */
tgm_error tgm__cbor_encode(const tgm_val *v, tgm_buf *out);

/* Canonical-form check of one encoded data item that fills buf[0..len)
 * exactly.  Returns TGM_ERROR_OK when canonical; otherwise
 * TGM_ERROR_METADATA and a message saying what and where (e.g. "map keys
 * not in canonical order at byte 57 ...").  Well-formedness errors and
 * trailing bytes are reported the same way. */
tgm_error tgm__cbor_check_canonical(const uint8_t *buf, size_t len);

/* One decoded head: initial byte plus argument. */
typedef struct tgm_cbor_head {
    size_t start; /* offset of the initial byte */
    uint8_t major;
    uint8_t ai;          /* additional information (low 5 bits); 31 = indefinite / break */
    uint8_t nonshortest; /* argument of a major 0..6 head not in its shortest form */
    uint64_t arg;
} tgm_cbor_head;

/* Read the head at *pos and advance past it.  Fails (TGM_ERROR_METADATA,
 * "... at byte N") on truncation and on the reserved values 28..30. */
tgm_error tgm__cbor_read_head(const uint8_t *buf, size_t len, size_t *pos, tgm_cbor_head *h);

/* Skip the well-formed item at *pos (definite lengths only, nesting up to
 * TGM_CBOR_MAX_DEPTH), advancing past it: for walking CBOR this library
 * wrote without building its value tree. */
tgm_error tgm__cbor_skip(const uint8_t *buf, size_t len, size_t *pos);

/* ---- direct readers' checks (cbor_walk.c) ---------------------------------
 * For readers that decode a known layout straight from the bytes and
 * leave everything else to tgm__cbor_decode.  These answer "certainly
 * accepted by tgm__cbor_decode" (true) or "not certain" (false: malformed,
 * or a valid form left to the generic decoder, such as indefinite
 * lengths); they record no error.  On false *pos is unspecified. */
typedef struct tgm_cbor_fast {
    uint8_t major;
    uint8_t ai;
    uint64_t arg;
} tgm_cbor_fast;

/* A definite head (additional information 0..27) at *pos, advancing past
 * it.  Floats and simple values come through too (major 7, ai 20..27). */
static inline bool tgm__cbor_fast_head(const uint8_t *buf, size_t len, size_t *pos,
                                       tgm_cbor_fast *h) {
    size_t p = *pos;
    if (p >= len) {
        return false;
    }
    uint8_t b = buf[p++];
    h->major = (uint8_t)(b >> 5);
    h->ai = (uint8_t)(b & 0x1fu);
    if (h->ai < 24) {
        h->arg = h->ai;
    } else if (h->ai == 24 && p < len) {
        h->arg = buf[p++];
    } else if (h->ai == 25 && len - p >= 2) {
        h->arg = tgm__rd_be16(buf + p);
        p += 2;
    } else if (h->ai == 26 && len - p >= 4) {
        h->arg = tgm__rd_be32(buf + p);
        p += 4;
    } else if (h->ai == 27 && len - p >= 8) {
        h->arg = tgm__rd_be64(buf + p);
        p += 8;
    } else {
        return false;
    }
    *pos = p;
    return true;
}

/* A definite map head at *pos whose entry count could fit in the bytes
 * left (two bytes or more per entry); *count receives that count. */
static inline bool tgm__cbor_fast_map(const uint8_t *buf, size_t len, size_t *pos,
                                      uint64_t *count) {
    tgm_cbor_fast h;
    if (!tgm__cbor_fast_head(buf, len, pos, &h) || h.major != TGM_CBOR_MAP ||
        h.arg > (len - *pos) / 2) {
        return false;
    }
    *count = h.arg;
    return true;
}

/* Whether s[0..n) is well-formed UTF-8.  ASCII (keys and most values) is
 * checked inline with word loads, the last one overlapping, so that a
 * short text costs the same few instructions whatever its length. */
bool tgm__cbor_fast_utf8_slow(const uint8_t *s, size_t n);
static inline bool tgm__cbor_fast_utf8(const uint8_t *s, size_t n) {
    uint64_t acc;
    if (n >= 8) {
        uint64_t w;
        acc = 0;
        for (size_t i = 0; i + 8 <= n; i += 8) {
            memcpy(&w, s + i, 8);
            acc |= w;
        }
        memcpy(&w, s + n - 8, 8);
        acc |= w;
    } else if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + n - 4, 4);
        acc = a | b;
    } else {
        acc = n ? (uint64_t)(s[0] | s[n >> 1] | s[n - 1]) : 0;
    }
    return (acc & 0x8080808080808080ull) == 0 || tgm__cbor_fast_utf8_slow(s, n);
}

/* The definite-length item at *pos, nested at `depth` (0 for a top-level
 * item), accepted by tgm__cbor_decode: advance past it and return true. */
bool tgm__cbor_fast_item(const uint8_t *buf, size_t len, size_t *pos, unsigned depth);

/* Widen half / single bit patterns to double.  NaNs come back quiet (the
 * reference's conversions quiet signalling NaNs), payload kept. */
double tgm__cbor_half_to_double(uint16_t h);
double tgm__cbor_single_to_double(uint32_t s);

/* tgm__cbor_fast_item with integers and text (most metadata values)
 * taken inline. */
static inline bool tgm__cbor_fast_value(const uint8_t *buf, size_t len, size_t *pos,
                                        unsigned depth) {
    size_t p = *pos;
    if (p < len && buf[p] < 0x18u) { /* small unsigned integer */
        *pos = p + 1;
        return true;
    }
    unsigned mt = p < len ? (unsigned)(buf[p] >> 5) : 8u;
    if (mt == TGM_CBOR_UINT || mt == TGM_CBOR_NINT || mt == TGM_CBOR_TEXT) {
        tgm_cbor_fast h;
        if (!tgm__cbor_fast_head(buf, len, &p, &h)) {
            return false;
        }
        if (mt == TGM_CBOR_TEXT) {
            if (h.arg > len - p || !tgm__cbor_fast_utf8(buf + p, (size_t)h.arg)) {
                return false;
            }
            p += (size_t)h.arg;
        }
        *pos = p;
        return true;
    }
    return tgm__cbor_fast_item(buf, len, pos, depth);
}

/* A definite text string at *pos with valid UTF-8: *s / *n point into buf. */
static inline bool tgm__cbor_fast_text(const uint8_t *buf, size_t len, size_t *pos,
                                       const uint8_t **s, size_t *n) {
    tgm_cbor_fast h;
    size_t p = *pos;
    if (p < len && buf[p] - 0x60u < 24u) { /* short text: a one-byte head */
        size_t k = buf[p] - 0x60u;
        p++;
        if (k > len - p || !tgm__cbor_fast_utf8(buf + p, k)) {
            return false;
        }
        *s = buf + p;
        *n = k;
        *pos = p + k;
        return true;
    }
    if (!tgm__cbor_fast_head(buf, len, &p, &h) || h.major != TGM_CBOR_TEXT || h.arg > len - p ||
        !tgm__cbor_fast_utf8(buf + p, (size_t)h.arg)) {
        return false;
    }
    *s = buf + p;
    *n = (size_t)h.arg;
    *pos = p + (size_t)h.arg;
    return true;
}

/* The shortest head (major type 0..7, argument) of RFC 8949 §3, written
 * into p (room for 9 bytes); returns its length (1, 2, 3, 5 or 9).  For
 * writers that assemble CBOR piece by piece (index and hash frames,
 * streamed footer metadata). */
static inline size_t tgm__cbor_put_head(uint8_t *p, unsigned major, uint64_t arg) {
    uint8_t mt = (uint8_t)(major << 5);
    if (arg < 24) {
        p[0] = (uint8_t)(mt | arg);
        return 1;
    }
    if (arg <= 0xffu) {
        p[0] = mt | 24u;
        p[1] = (uint8_t)arg;
        return 2;
    }
    if (arg <= 0xffffu) {
        p[0] = mt | 25u;
        tgm__wr_be16(p + 1, (uint16_t)arg);
        return 3;
    }
    if (arg <= 0xffffffffu) {
        p[0] = mt | 26u;
        tgm__wr_be32(p + 1, (uint32_t)arg);
        return 5;
    }
    p[0] = mt | 27u;
    tgm__wr_be64(p + 1, arg);
    return 9;
}

/* The same, appended to out; and a text string (head + bytes). */
tgm_error tgm__cbor_append_head_slow(tgm_buf *out, unsigned major, uint64_t arg);
static inline tgm_error tgm__cbor_append_head(tgm_buf *out, unsigned major, uint64_t arg) {
    if (out->cap - out->len < 9) {
        return tgm__cbor_append_head_slow(out, major, arg);
    }
    out->len += tgm__cbor_put_head(out->data + out->len, major, arg);
    return TGM_ERROR_OK;
}
tgm_error tgm__cbor_append_text(tgm_buf *out, const char *s);

/* Index of the first byte of s[0..n) that is not part of well-formed UTF-8
 * (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF), or n
 * when the whole string is valid. */
size_t tgm__utf8_invalid_at(const uint8_t *s, size_t n);

/* Order of two map keys in canonical CBOR: compares their canonical
 * encodings byte-wise (<0, 0, >0).  Text keys (the usual case) are compared
 * without encoding: shorter first, then by bytes. */
int tgm__cbor_key_compare(const tgm_val *a, const tgm_val *b);

#endif
