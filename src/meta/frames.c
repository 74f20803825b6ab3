/* Index and hash frame payloads (WIRE_FORMAT §6.2, §6.3). */
#include <string.h>

#include "cbor/cbor.h"
#include "common/error.h"
#include "hash/hash.h"
#include "meta/meta.h"

tgm_error tgm__index_to_cbor(const uint64_t *offsets, const uint64_t *lengths, size_t n,
                             tgm_buf *out) {
    /* Canonical order: "lengths" < "offsets" (same length, byte order). */
    TGM_TRY(tgm__buf_reserve(out, 20 + 18 * n));
    TGM_TRY(tgm__cbor_append_head(out, TGM_CBOR_MAP, 2));
    TGM_TRY(tgm__cbor_append_text(out, "lengths"));
    TGM_TRY(tgm__cbor_append_head(out, TGM_CBOR_ARRAY, n));
    for (size_t i = 0; i < n; i++) {
        TGM_TRY(tgm__cbor_append_head(out, TGM_CBOR_UINT, lengths[i]));
    }
    TGM_TRY(tgm__cbor_append_text(out, "offsets"));
    TGM_TRY(tgm__cbor_append_head(out, TGM_CBOR_ARRAY, n));
    for (size_t i = 0; i < n; i++) {
        TGM_TRY(tgm__cbor_append_head(out, TGM_CBOR_UINT, offsets[i]));
    }
    return TGM_ERROR_OK;
}

tgm_error tgm__hashframe_to_cbor(const uint64_t *hashes, size_t n, tgm_buf *out) {
    /* Canonical order: "hashes" (6 bytes) before "algorithm" (9 bytes).
     * Written byte by byte into reserved room: every small message has
     * one of these. */
    static const char hexd[] = "0123456789abcdef";
    TGM_TRY(tgm__buf_reserve(out, 32 + 17 * n));
    uint8_t *p = out->data + out->len;
    p += tgm__cbor_put_head(p, TGM_CBOR_MAP, 2);
    memcpy(p, "\x66hashes", 7);
    p += 7;
    p += tgm__cbor_put_head(p, TGM_CBOR_ARRAY, n);
    for (size_t i = 0; i < n; i++) {
        uint64_t h = hashes[i];
        *p++ = 0x70; /* text of 16 bytes */
        for (int k = 15; k >= 0; k--) {
            p[k] = (uint8_t)hexd[h & 0xfu];
            h >>= 4;
        }
        p += 16;
    }
    memcpy(p,
           "\x69"
           "algorithm"
           "\x64" TGM_HASH_ALGORITHM,
           15);
    p += 15;
    out->len = (size_t)(p - out->data);
    return TGM_ERROR_OK;
}

static tgm_error u64_array(tgm_arena *a, const tgm_val *v, const char *field, uint64_t **out,
                           size_t *n) {
    TGM_RETURN_IF(v->kind != TGM_V_ARRAY, TGM_ERROR_METADATA, "%s must be an array", field);
    uint64_t *arr = tgm__arena_alloc(a, (v->len ? v->len : 1) * sizeof(uint64_t));
    if (arr == NULL) {
        return tgm__oom(v->len * sizeof(uint64_t), field);
    }
    for (size_t i = 0; i < v->len; i++) {
        const tgm_val *e = &v->p.items[i];
        TGM_RETURN_IF(e->kind != TGM_V_INT, TGM_ERROR_METADATA, "%s must be an integer", field);
        TGM_RETURN_IF(e->neg, TGM_ERROR_METADATA, "%s value at [%zu] is negative", field, i);
        arr[i] = e->num.u;
    }
    *out = arr;
    *n = v->len;
    return TGM_ERROR_OK;
}

/* ---- direct readers ---------------------------------------------------------
 * Index and hash frames straight from their bytes, in the forms encoders
 * write; anything else (and every error) goes through the value tree
 * below, which decides.  True only when that path would give the same. */

static bool key_is(const uint8_t *k, size_t kn, const char *lit) {
    return kn == strlen(lit) && memcmp(k, lit, kn) == 0;
}

/* An array of unsigned integers; `keep` false: checked only, nothing
 * allocated (*out stays NULL). */
static bool fast_u64_array(tgm_arena *a, bool keep, const uint8_t *buf, size_t len, size_t *pos,
                           uint64_t **out, size_t *n) {
    tgm_cbor_fast h;
    if (!tgm__cbor_fast_head(buf, len, pos, &h) || h.major != TGM_CBOR_ARRAY ||
        h.arg > len - *pos) {
        return false;
    }
    uint64_t *v = NULL;
    if (keep) {
        v = tgm__arena_alloc(a, (h.arg ? (size_t)h.arg : 1) * sizeof(uint64_t));
        if (v == NULL) {
            return false;
        }
    }
    for (size_t i = 0; i < (size_t)h.arg; i++) {
        tgm_cbor_fast e;
        if (!tgm__cbor_fast_head(buf, len, pos, &e) || e.major != TGM_CBOR_UINT) {
            return false;
        }
        if (keep) {
            v[i] = e.arg;
        }
    }
    *out = v;
    *n = (size_t)h.arg;
    return true;
}

/* The layout every encoder writes ({"lengths": [...], "offsets": [...]},
 * canonical order, one-byte map and key heads): true when the frame is
 * certainly accepted (as index_fast would say). */
static bool uint_array(const uint8_t *buf, size_t len, size_t *pos, uint64_t *count) {
    tgm_cbor_fast h;
    if (!tgm__cbor_fast_head(buf, len, pos, &h) || h.major != TGM_CBOR_ARRAY ||
        h.arg > len - *pos) {
        return false;
    }
    for (uint64_t i = 0; i < h.arg; i++) {
        tgm_cbor_fast e;
        if (*pos < len && buf[*pos] < 0x18u) {
            (*pos)++;
        } else if (!tgm__cbor_fast_head(buf, len, pos, &e) || e.major != TGM_CBOR_UINT) {
            return false;
        }
    }
    *count = h.arg;
    return true;
}

/* The values of an array uint_array accepted, into v. */
static void uint_values(const uint8_t *buf, size_t len, size_t pos, uint64_t *v, uint64_t n) {
    tgm_cbor_fast h = {0, 0, 0};
    (void)tgm__cbor_fast_head(buf, len, &pos, &h);
    for (uint64_t i = 0; i < n; i++) {
        (void)tgm__cbor_fast_head(buf, len, &pos, &h);
        v[i] = h.arg;
    }
}

/* a NULL: check only; else the arrays into one arena block. */
static bool index_usual(tgm_arena *a, const uint8_t *buf, size_t len, uint64_t **offsets,
                        uint64_t **lengths, size_t *n) {
    size_t pos = 9, at_off;
    uint64_t nlen, noff;
    if (len < 9 || memcmp(buf, "\xa2\x67lengths", 9) != 0 || !uint_array(buf, len, &pos, &nlen) ||
        len - pos < 8 || memcmp(buf + pos, "\x67offsets", 8) != 0) {
        return false;
    }
    pos += 8;
    at_off = pos;
    if (!uint_array(buf, len, &pos, &noff) || noff != nlen) {
        return false;
    }
    if (a == NULL) {
        return true;
    }
    /* Each entry takes a byte at least: the block size cannot wrap. */
    uint64_t *v = tgm__arena_alloc(a, (nlen ? 2 * (size_t)nlen : 1) * sizeof(uint64_t));
    if (v == NULL) {
        return false;
    }
    uint_values(buf, len, 9, v, nlen);
    uint_values(buf, len, at_off, v + nlen, noff);
    *lengths = v;
    *offsets = v + nlen;
    *n = (size_t)nlen;
    return true;
}

/* The same for a hash frame: {"hashes": [16 hex digits, ...],
 * "algorithm": "xxh3"}; digits need only be ASCII to be valid text. */
static bool hashframe_check_usual(const uint8_t *buf, size_t len) {
    size_t pos = 8;
    tgm_cbor_fast h;
    if (len < 8 || memcmp(buf, "\xa2\x66hashes", 8) != 0 ||
        !tgm__cbor_fast_head(buf, len, &pos, &h) || h.major != TGM_CBOR_ARRAY ||
        h.arg > (len - pos) / 17) {
        return false;
    }
    for (uint64_t i = 0; i < h.arg; i++, pos += 17) {
        uint64_t a, b;
        memcpy(&a, buf + pos + 1, 8);
        memcpy(&b, buf + pos + 9, 8);
        if (buf[pos] != 0x70 || ((a | b) & 0x8080808080808080ull) != 0) {
            return false;
        }
    }
    return len - pos >= 15 && memcmp(buf + pos,
                                     "\x69"
                                     "algorithm"
                                     "\x64" TGM_HASH_ALGORITHM,
                                     15) == 0;
}

/* offsets == NULL: check only. */
static bool index_fast(tgm_arena *a, const uint8_t *buf, size_t len, uint64_t **offsets,
                       uint64_t **lengths, size_t *n) {
    if (tgm__meta_direct_off) {
        return false;
    }
    if (index_usual(offsets != NULL ? a : NULL, buf, len, offsets, lengths, n)) {
        return true;
    }
    size_t pos = 0;
    uint64_t nmap;
    if (!tgm__cbor_fast_map(buf, len, &pos, &nmap)) {
        return false;
    }
    uint64_t *off = NULL, *lens = NULL;
    size_t noff = 0, nlen = 0;
    for (uint64_t i = 0; i < nmap; i++) {
        const uint8_t *k;
        size_t kn;
        if (!tgm__cbor_fast_text(buf, len, &pos, &k, &kn)) {
            return false;
        }
        bool keep = offsets != NULL;
        bool ok = key_is(k, kn, "offsets")   ? fast_u64_array(a, keep, buf, len, &pos, &off, &noff)
                  : key_is(k, kn, "lengths") ? fast_u64_array(a, keep, buf, len, &pos, &lens, &nlen)
                                             : tgm__cbor_fast_item(buf, len, &pos, 1);
        if (!ok) {
            return false;
        }
    }
    if (noff != nlen) {
        return false;
    }
    if (offsets != NULL) {
        *offsets = off;
        *lengths = lens;
        *n = noff;
    }
    return true;
}

/* algorithm == NULL: check only (nothing allocated). */
static bool hashframe_fast(tgm_arena *a, const uint8_t *buf, size_t len, const char **algorithm,
                           const tgm_val **hashes, size_t *n) {
    if (tgm__meta_direct_off) {
        return false;
    }
    if (algorithm == NULL && hashframe_check_usual(buf, len)) {
        return true;
    }
    size_t pos = 0;
    uint64_t nmap;
    if (!tgm__cbor_fast_map(buf, len, &pos, &nmap)) {
        return false;
    }
    const char *alg = "";
    const tgm_val *hs = NULL;
    size_t nh = 0;
    for (uint64_t i = 0; i < nmap; i++) {
        const uint8_t *k, *s;
        size_t kn, sn;
        if (!tgm__cbor_fast_text(buf, len, &pos, &k, &kn)) {
            return false;
        }
        if (key_is(k, kn, "algorithm")) {
            if (!tgm__cbor_fast_text(buf, len, &pos, &s, &sn)) {
                return false;
            }
            if (algorithm == NULL) {
                continue;
            }
            alg = key_is(s, sn, TGM_HASH_ALGORITHM) ? TGM_HASH_ALGORITHM
                                                    : tgm__arena_strndup(a, (const char *)s, sn);
            if (alg == NULL) {
                return false;
            }
        } else if (key_is(k, kn, "hashes")) {
            tgm_cbor_fast ah;
            if (!tgm__cbor_fast_head(buf, len, &pos, &ah) || ah.major != TGM_CBOR_ARRAY ||
                ah.arg > len - pos) {
                return false;
            }
            tgm_val *arr = algorithm != NULL ? tgm__val_array(a, (size_t)ah.arg) : NULL;
            if (algorithm != NULL && arr == NULL) {
                return false;
            }
            for (size_t j = 0; j < (size_t)ah.arg; j++) {
                if (!tgm__cbor_fast_text(buf, len, &pos, &s, &sn) ||
                    (arr != NULL &&
                     tgm__val_set_text(a, &arr->p.items[j], (const char *)s, sn) != 0)) {
                    return false;
                }
            }
            hs = arr != NULL ? arr->p.items : NULL;
            nh = (size_t)ah.arg;
        } else if (!tgm__cbor_fast_item(buf, len, &pos, 1)) {
            return false;
        }
    }
    if (algorithm != NULL) {
        *algorithm = alg;
        *hashes = hs;
        *n = nh;
    }
    return true;
}

tgm_error tgm__index_from_cbor(tgm_arena *a, const uint8_t *cbor, size_t len, uint64_t **offsets,
                               uint64_t **lengths, size_t *n) {
    if (index_fast(a, cbor, len, offsets, lengths, n)) {
        return TGM_ERROR_OK;
    }
    uint64_t *ignored_off, *ignored_len;
    size_t ignored_n;
    if (offsets == NULL) { /* check only: the generic path decides, its results unused */
        offsets = &ignored_off;
        lengths = &ignored_len;
        n = &ignored_n;
    }
    tgm_val *root;
    tgm_error e = tgm__cbor_decode(cbor, len, a, NULL, &root, NULL);
    if (e != TGM_ERROR_OK) {
        return tgm__wrap(e, "failed to parse index CBOR");
    }
    TGM_RETURN_IF(root->kind != TGM_V_MAP, TGM_ERROR_METADATA, "index CBOR is not a map");
    uint64_t *off = NULL, *lens = NULL;
    size_t noff = 0, nlen = 0;
    for (size_t i = 0; i < root->len; i++) {
        const tgm_val *k = tgm__val_map_key(root, i);
        const tgm_val *v = tgm__val_map_value(root, i);
        TGM_RETURN_IF(k->kind != TGM_V_TEXT, TGM_ERROR_METADATA,
                      "index frame CBOR has a non-text key (%s); the index schema uses text "
                      "keys only",
                      tgm__cbor_kind(k));
        if (tgm__val_is_text(k, "offsets")) {
            TGM_TRY(u64_array(a, v, "offsets", &off, &noff));
        } else if (tgm__val_is_text(k, "lengths")) {
            TGM_TRY(u64_array(a, v, "lengths", &lens, &nlen));
        } /* other keys: reserved for future versions */
    }
    TGM_RETURN_IF(noff != nlen, TGM_ERROR_METADATA,
                  "index offsets.len() (%zu) != lengths.len() (%zu)", noff, nlen);
    *offsets = off;
    *lengths = lens;
    *n = noff;
    return TGM_ERROR_OK;
}

tgm_error tgm__hashframe_from_cbor(tgm_arena *a, const uint8_t *cbor, size_t len,
                                   const char **algorithm, const tgm_val **hashes, size_t *n) {
    if (hashframe_fast(a, cbor, len, algorithm, hashes, n)) {
        return TGM_ERROR_OK;
    }
    const char *ignored_alg;
    const tgm_val *ignored_hashes;
    size_t ignored_n;
    if (algorithm == NULL) { /* check only: the generic path decides, its results unused */
        algorithm = &ignored_alg;
        hashes = &ignored_hashes;
        n = &ignored_n;
    }
    tgm_val *root;
    tgm_error e = tgm__cbor_decode(cbor, len, a, NULL, &root, NULL);
    if (e != TGM_ERROR_OK) {
        return tgm__wrap(e, "failed to parse hash CBOR");
    }
    TGM_RETURN_IF(root->kind != TGM_V_MAP, TGM_ERROR_METADATA, "hash frame CBOR is not a map");
    *algorithm = "";
    *hashes = NULL;
    *n = 0;
    for (size_t i = 0; i < root->len; i++) {
        const tgm_val *k = tgm__val_map_key(root, i);
        const tgm_val *v = tgm__val_map_value(root, i);
        TGM_RETURN_IF(k->kind != TGM_V_TEXT, TGM_ERROR_METADATA,
                      "hash frame CBOR has a non-text key (%s); the hash-frame schema uses text "
                      "keys only",
                      tgm__cbor_kind(k));
        if (tgm__val_is_text(k, "algorithm")) {
            TGM_RETURN_IF(v->kind != TGM_V_TEXT, TGM_ERROR_METADATA, "algorithm must be text");
            *algorithm = v->p.str;
        } else if (tgm__val_is_text(k, "hashes")) {
            TGM_RETURN_IF(v->kind != TGM_V_ARRAY, TGM_ERROR_METADATA, "hashes must be an array");
            for (size_t j = 0; j < v->len; j++) {
                TGM_RETURN_IF(v->p.items[j].kind != TGM_V_TEXT, TGM_ERROR_METADATA,
                              "hash entry must be text");
            }
            *hashes = v->p.items;
            *n = v->len;
        }
    }
    return TGM_ERROR_OK;
}
