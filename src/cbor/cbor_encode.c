/* Canonical CBOR writer (RFC 8949 §4.2.1 core deterministic encoding).
 *
 * Byte-compatible with the reference, which canonicalises a value tree by
 * sorting every map's entries by the bytes of their encoded keys (a stable
 * sort: duplicate keys keep their order) and then writes it with definite
 * lengths, shortest heads and the narrowest exact float width
 * (WIRE_FORMAT §12). */
#include <stdbool.h>
#include <string.h>

#include "cbor/cbor.h"
#include "cbor/cbor_internal.h"
#include "common/alloc.h"
#include "common/endian.h"
#include "common/error.h"

/* --- floats ----------------------------------------------------------------- */

/* Try to express sig * 2^q (sig odd, `bl` significant bits, top bit at
 * 2^top) in a binary format with p bits of precision and normal exponents
 * emin..emax.  On success writes the pattern (sign excluded) to *bits. */
static int narrow_to(uint64_t sig, int q, int bl, int p, int emin, int emax, uint64_t *bits) {
    int top = q + bl - 1;
    int qmin = emin - (p - 1); /* exponent of the smallest subnormal */
    if (bl > p || q < qmin || top > emax) {
        return 0;
    }
    if (top >= emin) {
        uint64_t frac = (sig << (p - bl)) & ((1ull << (p - 1)) - 1);
        *bits = ((uint64_t)(top + emax) << (p - 1)) | frac;
    } else {
        *bits = sig << (q - qmin); /* subnormal: no exponent bits */
    }
    return 1;
}

int tgm__cbor_float_width(double f, uint64_t *bits) {
    uint64_t b;
    memcpy(&b, &f, 8);
    uint64_t sign = b >> 63;
    unsigned bexp = (unsigned)(b >> 52) & 0x7ffu;
    uint64_t mant = b & ((1ull << 52) - 1);

    if (bexp == 0x7ffu) {
        if (mant == 0) {
            *bits = (sign << 15) | 0x7c00u;
            return 2;
        }
        /* NaN: narrowing keeps the top payload bits and sets the quiet bit,
         * so only a quiet NaN whose dropped bits are zero round-trips. */
        if ((mant >> 51) & 1u) {
            if ((mant & ((1ull << 42) - 1)) == 0) {
                *bits = (sign << 15) | 0x7c00u | (mant >> 42);
                return 2;
            }
            if ((mant & ((1ull << 29) - 1)) == 0) {
                *bits = (sign << 31) | 0x7f800000u | (mant >> 29);
                return 4;
            }
        }
        *bits = b;
        return 8;
    }
    if (bexp == 0) {
        if (mant == 0) {
            *bits = sign << 15; /* ±0.0 */
            return 2;
        }
        *bits = b; /* double subnormals are far below single's range */
        return 8;
    }
    uint64_t sig = mant | (1ull << 52);
    int q = (int)bexp - 1075;
    int tz = __builtin_ctzll(sig);
    sig >>= tz;
    q += tz;
    int bl = 64 - __builtin_clzll(sig);
    uint64_t nb;
    if (narrow_to(sig, q, bl, 11, -14, 15, &nb)) {
        *bits = (sign << 15) | nb;
        return 2;
    }
    if (narrow_to(sig, q, bl, 24, -126, 127, &nb)) {
        *bits = (sign << 31) | nb;
        return 4;
    }
    *bits = b;
    return 8;
}

static double from_bits(uint64_t b) {
    double d;
    memcpy(&d, &b, 8);
    return d;
}

/* Widen a binary16/binary32 pattern with `fbits` fraction bits, exponent
 * field `e` (all ones = inf/NaN) and bias `bias` to a double. */
static double widen(uint64_t sign, unsigned e, unsigned emax_field, uint64_t frac, int fbits,
                    int bias) {
    uint64_t s = sign << 63;
    int shift = 52 - fbits;
    if (e == emax_field) {
        uint64_t m = frac << shift;
        if (frac != 0) {
            m |= 1ull << 51; /* the reference's conversions return quiet NaNs */
        }
        return from_bits(s | (0x7ffull << 52) | m);
    }
    if (e == 0) {
        if (frac == 0) {
            return from_bits(s);
        }
        int bl = 64 - __builtin_clzll(frac);
        int top = bl - 1 - (bias - 1) - fbits; /* value = frac * 2^(1 - bias - fbits) */
        uint64_t m = (frac << (53 - bl)) & ((1ull << 52) - 1);
        return from_bits(s | ((uint64_t)(top + 1023) << 52) | m);
    }
    return from_bits(s | ((uint64_t)((int)e - bias + 1023) << 52) | (frac << shift));
}

double tgm__cbor_half_to_double(uint16_t h) {
    return widen((uint64_t)(h >> 15), (h >> 10) & 0x1fu, 0x1fu, h & 0x3ffu, 10, 15);
}

double tgm__cbor_single_to_double(uint32_t s) {
    return widen((uint64_t)(s >> 31), (s >> 23) & 0xffu, 0xffu, s & 0x7fffffu, 23, 127);
}

/* --- heads -------------------------------------------------------------------- */

tgm_error tgm__cbor_append_head_slow(tgm_buf *out, unsigned major, uint64_t arg) {
    TGM_TRY(tgm__buf_reserve(out, 9));
    out->len += tgm__cbor_put_head(out->data + out->len, major, arg);
    return TGM_ERROR_OK;
}

static inline tgm_error put_head(tgm_buf *out, unsigned major, uint64_t arg) {
    return tgm__cbor_append_head(out, major, arg);
}

static tgm_error put_byte(tgm_buf *out, uint8_t b) {
    TGM_TRY(tgm__buf_reserve(out, 1));
    out->data[out->len++] = b;
    return TGM_ERROR_OK;
}

/* Copy n bytes, short runs without a call: metadata keys and texts are
 * mostly under 16 bytes, where a memcpy call costs more than the copy. */
static inline void copy_short(uint8_t *d, const char *s, size_t n) {
    if (n > 16) {
        memcpy(d, s, n);
    } else if (n >= 8) {
        uint64_t a, b;
        memcpy(&a, s, 8);
        memcpy(&b, s + n - 8, 8);
        memcpy(d, &a, 8);
        memcpy(d + n - 8, &b, 8);
    } else if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + n - 4, 4);
        memcpy(d, &a, 4);
        memcpy(d + n - 4, &b, 4);
    } else {
        for (size_t i = 0; i < n; i++) {
            d[i] = (uint8_t)s[i];
        }
    }
}

static inline __attribute__((always_inline)) tgm_error put_string(tgm_buf *out, unsigned major,
                                                                  const char *s, size_t n) {
    if (n <= out->cap - out->len && out->cap - out->len - n >= 9) {
        uint8_t *p = out->data + out->len;
        size_t h = tgm__cbor_put_head(p, major, n);
        copy_short(p + h, s, n);
        out->len += h + n;
        return TGM_ERROR_OK;
    }
    TGM_TRY(put_head(out, major, n));
    return tgm__buf_append(out, s, n);
}

tgm_error tgm__cbor_append_text(tgm_buf *out, const char *s) {
    return put_string(out, TGM_CBOR_TEXT, s, strlen(s));
}

/* --- key ordering ---------------------------------------------------------------- */

static const uint8_t *keyref_seg(const tgm_keyref *k, size_t i, size_t *rem) {
    if (i < k->hlen) {
        *rem = k->hlen - i;
        return k->head + i;
    }
    *rem = k->blen - (i - k->hlen);
    return k->body + (i - k->hlen);
}

int tgm__keyref_compare(const tgm_keyref *a, const tgm_keyref *b) {
    size_t la = a->hlen + a->blen, lb = b->hlen + b->blen;
    size_t i = 0;
    while (i < la && i < lb) {
        size_t ra, rb;
        const uint8_t *pa = keyref_seg(a, i, &ra);
        const uint8_t *pb = keyref_seg(b, i, &rb);
        size_t k = ra < rb ? ra : rb;
        int c = memcmp(pa, pb, k);
        if (c != 0) {
            return c;
        }
        i += k;
    }
    return la < lb ? -1 : la > lb ? 1 : 0;
}

static void text_keyref(const tgm_val *k, tgm_keyref *r) {
    r->hlen = (uint8_t)tgm__cbor_put_head(r->head, TGM_CBOR_TEXT, k->len);
    r->body = (const uint8_t *)k->p.str;
    r->blen = k->len;
}

/* Two text keys in canonical order: shorter first, then byte order. */
static int text_key_cmp(const tgm_val *a, const tgm_val *b) {
    if (a->len != b->len) {
        return a->len < b->len ? -1 : 1;
    }
    /* Keys of one length mostly differ early: a byte loop, no call. */
    const uint8_t *x = (const uint8_t *)a->p.str, *y = (const uint8_t *)b->p.str;
    for (size_t i = 0; i < a->len; i++) {
        if (x[i] != y[i]) {
            return x[i] < y[i] ? -1 : 1;
        }
    }
    return 0;
}

int tgm__cbor_key_compare(const tgm_val *a, const tgm_val *b) {
    if (a->kind == TGM_V_TEXT && b->kind == TGM_V_TEXT) {
        return text_key_cmp(a, b);
    }
    tgm_buf ba = TGM_BUF_INIT, bb = TGM_BUF_INIT;
    tgm_keyref ra, rb;
    int c;
    if (tgm__cbor_encode(a, &ba) != TGM_ERROR_OK || tgm__cbor_encode(b, &bb) != TGM_ERROR_OK) {
        /* Out of memory: fall back to a deterministic order by kind. */
        c = a->kind < b->kind ? -1 : a->kind > b->kind ? 1 : 0;
    } else {
        ra.hlen = rb.hlen = 0;
        ra.body = ba.data;
        ra.blen = ba.len;
        rb.body = bb.data;
        rb.blen = bb.len;
        c = tgm__keyref_compare(&ra, &rb);
    }
    tgm__buf_free(&ba);
    tgm__buf_free(&bb);
    return c;
}

static int keyref_idx_cmp(const void *ctx, size_t a, size_t b) {
    const tgm_keyref *refs = ctx;
    return tgm__keyref_compare(&refs[a], &refs[b]);
}

/* --- values ---------------------------------------------------------------------- */

static tgm_error enc_val(const tgm_val *v, tgm_buf *out, unsigned depth);

/* One item inside a map or an array: texts and integers (most metadata
 * leaves) written here, without the recursive call.  The container has
 * checked that depth is within the cap (too_deep). */
static inline __attribute__((always_inline)) tgm_error enc_item(const tgm_val *v, tgm_buf *out,
                                                                unsigned depth) {
    if (v->kind == TGM_V_TEXT) {
        return put_string(out, TGM_CBOR_TEXT, v->p.str, v->len);
    }
    if (v->kind == TGM_V_INT) {
        return put_head(out, v->neg ? TGM_CBOR_NINT : TGM_CBOR_UINT, v->num.u);
    }
    return enc_val(v, out, depth);
}

/* The items of a non-empty container at `depth` would be too deep. */
static inline bool too_deep(size_t n, unsigned depth) {
    return n > 0 && depth >= TGM_CBOR_ENCODE_MAX_DEPTH;
}

static int text_keys_sorted(const tgm_val *m) {
    for (size_t i = 0; i < m->len; i++) {
        if (m->p.items[2 * i].kind != TGM_V_TEXT) {
            return 0;
        }
        if (i > 0 && text_key_cmp(&m->p.items[2 * (i - 1)], &m->p.items[2 * i]) > 0) {
            return 0;
        }
    }
    return 1;
}

static tgm_error enc_map(const tgm_val *m, tgm_buf *out, unsigned depth) {
    size_t n = m->len;
    TGM_TRY(put_head(out, TGM_CBOR_MAP, n));
    if (too_deep(n, depth)) {
        return enc_val(&m->p.items[0], out, depth + 1); /* its error */
    }
    if (text_keys_sorted(m)) {
        /* Already canonical (e.g. re-encoding what we read): no sort needed. */
        for (size_t i = 0; i < n; i++) {
            const tgm_val *k = &m->p.items[2 * i];
            TGM_TRY(put_string(out, TGM_CBOR_TEXT, k->p.str, k->len));
            TGM_TRY(enc_item(&m->p.items[2 * i + 1], out, depth + 1));
        }
        return TGM_ERROR_OK;
    }

    /* Small maps of text keys (metadata; the JSON reader hands them over in
     * byte order, not canonical order): an insertion sort of their indices,
     * comparing the keys directly; stable, as the general sort below. */
    enum { TEXT_SMALL = 32 };
    if (n <= TEXT_SMALL) {
        const tgm_val *items = m->p.items;
        uint8_t ord[TEXT_SMALL];
        size_t i = 0;
        for (; i < n && items[2 * i].kind == TGM_V_TEXT; i++) {
            size_t j = i;
            while (j > 0 && text_key_cmp(&items[2 * ord[j - 1]], &items[2 * i]) > 0) {
                ord[j] = ord[j - 1];
                j--;
            }
            ord[j] = (uint8_t)i;
        }
        if (i == n) {
            for (size_t j = 0; j < n; j++) {
                const tgm_val *k = &items[2 * ord[j]];
                TGM_TRY(put_string(out, TGM_CBOR_TEXT, k->p.str, k->len));
                TGM_TRY(enc_item(&items[2 * ord[j] + 1], out, depth + 1));
            }
            return TGM_ERROR_OK;
        }
    }

    tgm_error err = TGM_ERROR_OK;
    tgm_buf keys = TGM_BUF_INIT; /* encodings of the non-text keys */
    /* Metadata maps are small: sort them in stack arrays, allocate only
     * for large ones. */
    enum { SMALL = 16 };
    size_t idx_small[2 * SMALL], off_small[SMALL];
    tgm_keyref refs_small[SMALL];
    bool small = n <= SMALL;
    size_t *idx = small ? idx_small : tgm__malloc_array(n, 2 * sizeof(size_t));
    tgm_keyref *refs = small ? refs_small : tgm__malloc_array(n, sizeof(tgm_keyref));
    size_t *off = small ? off_small : tgm__malloc_array(n, sizeof(size_t));
    if (idx == NULL || refs == NULL || off == NULL) {
        err = tgm__oom(n * (2 * sizeof(size_t) + sizeof(tgm_keyref) + sizeof(size_t)),
                       "map key order");
        goto cleanup;
    }
    for (size_t i = 0; i < n; i++) {
        const tgm_val *k = &m->p.items[2 * i];
        idx[i] = i;
        if (k->kind == TGM_V_TEXT) {
            text_keyref(k, &refs[i]);
            off[i] = SIZE_MAX;
        } else {
            off[i] = keys.len;
            TGM_CHECK(enc_val(k, &keys, depth + 1));
            refs[i].hlen = 0;
            refs[i].blen = keys.len - off[i];
        }
    }
    /* The key buffer has stopped growing: its pointers are now stable. */
    for (size_t i = 0; i < n; i++) {
        if (off[i] != SIZE_MAX) {
            refs[i].body = keys.data + off[i];
        }
    }
    tgm__stable_sort_idx(idx, idx + n, n, keyref_idx_cmp, refs);
    for (size_t j = 0; j < n; j++) {
        size_t i = idx[j];
        const tgm_keyref *r = &refs[i];
        if (r->hlen > 0) {
            TGM_CHECK(tgm__buf_append(out, r->head, r->hlen));
        }
        TGM_CHECK(tgm__buf_append(out, r->body, r->blen));
        TGM_CHECK(enc_val(&m->p.items[2 * i + 1], out, depth + 1));
    }
cleanup:
    if (!small) {
        tgm__free(idx);
        tgm__free(refs);
        tgm__free(off);
    }
    tgm__buf_free(&keys);
    return err;
}

static tgm_error enc_val(const tgm_val *v, tgm_buf *out, unsigned depth) {
    TGM_RETURN_IF(depth > TGM_CBOR_ENCODE_MAX_DEPTH, TGM_ERROR_METADATA,
                  "cannot encode CBOR: value nesting deeper than %d levels",
                  TGM_CBOR_ENCODE_MAX_DEPTH);
    switch ((tgm_vkind)v->kind) {
    case TGM_V_NULL:
        return put_byte(out, 0xf6);
    case TGM_V_UNDEFINED:
        return put_byte(out, 0xf7);
    case TGM_V_BOOL:
        return put_byte(out, v->num.b ? 0xf5 : 0xf4);
    case TGM_V_SIMPLE:
        /* Simple values 24..31 have no well-formed encoding (RFC 8949 §3.3). */
        TGM_RETURN_IF(v->num.u > 255 || (v->num.u >= 24 && v->num.u < 32), TGM_ERROR_METADATA,
                      "cannot encode CBOR simple value %llu", (unsigned long long)v->num.u);
        return put_head(out, TGM_CBOR_SIMPLE, v->num.u);
    case TGM_V_INT:
        return put_head(out, v->neg ? TGM_CBOR_NINT : TGM_CBOR_UINT, v->num.u);
    case TGM_V_FLOAT: {
        uint64_t bits;
        int w = tgm__cbor_float_width(v->num.f, &bits);
        uint8_t *p;
        TGM_TRY(tgm__buf_extend(out, 1 + (size_t)w, &p));
        if (w == 2) {
            p[0] = 0xf9;
            tgm__wr_be16(p + 1, (uint16_t)bits);
        } else if (w == 4) {
            p[0] = 0xfa;
            tgm__wr_be32(p + 1, (uint32_t)bits);
        } else {
            p[0] = 0xfb;
            tgm__wr_be64(p + 1, bits);
        }
        return TGM_ERROR_OK;
    }
    case TGM_V_TEXT:
        return put_string(out, TGM_CBOR_TEXT, v->p.str, v->len);
    case TGM_V_BYTES:
        return put_string(out, TGM_CBOR_BYTES, v->p.str, v->len);
    case TGM_V_ARRAY:
        TGM_TRY(put_head(out, TGM_CBOR_ARRAY, v->len));
        if (too_deep(v->len, depth)) {
            return enc_val(&v->p.items[0], out, depth + 1); /* its error */
        }
        for (size_t i = 0; i < v->len; i++) {
            TGM_TRY(enc_item(&v->p.items[i], out, depth + 1));
        }
        return TGM_ERROR_OK;
    case TGM_V_MAP:
        return enc_map(v, out, depth);
    case TGM_V_TAG:
        TGM_TRY(put_head(out, TGM_CBOR_TAG, v->num.u));
        return enc_val(&v->p.items[0], out, depth + 1);
    }
    return tgm__fail(TGM_ERROR_METADATA, "cannot encode CBOR: unknown value kind %u",
                     (unsigned)v->kind);
}

tgm_error tgm__cbor_encode(const tgm_val *v, tgm_buf *out) {
    size_t start = out->len;
    tgm_error err = enc_val(v, out, 0);
    if (err != TGM_ERROR_OK) {
        out->len = start; /* leave no partial item behind */
    }
    return err;
}
