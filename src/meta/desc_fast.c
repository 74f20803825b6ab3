/* Descriptors read straight from their CBOR (issue #19: a small message
 * spent most of its decode building a value tree for its descriptor only
 * to read ten known keys out of it).  The fixed keys go into the struct,
 * parameters (the rare other keys) are decoded into a small map, and the
 * item's bytes are kept so that the full map can be built when somebody
 * asks for it (tgm__desc_map).  Only the forms every encoder writes are
 * taken here; the rest declines to the generic path (tgm__cbor_decode +
 * tgm__desc_from_val), which also gives every error its text. */
#include <string.h>

#include "cbor/cbor.h"
#include "common/checked.h"
#include "common/endian.h"
#include "meta/meta.h"

enum {
    K_TYPE,
    K_NDIM,
    K_SHAPE,
    K_STRIDES,
    K_DTYPE,
    K_BYTE_ORDER,
    K_ENCODING,
    K_FILTER,
    K_COMPRESSION,
    K_MASKS,
    K_NONE
};

static inline bool is(const uint8_t *s, size_t n, const char *lit, size_t litn) {
    return n == litn && memcmp(s, lit, litn) == 0;
}
#define IS(lit) is(s, n, lit, sizeof lit - 1)

/* Which fixed key s[0..n) is (K_NONE: a parameter). */
static int fixed_key(const uint8_t *s, size_t n) {
    switch (n) {
    case 4:
        return IS("type") ? K_TYPE : IS("ndim") ? K_NDIM : K_NONE;
    case 5:
        return IS("shape") ? K_SHAPE : IS("dtype") ? K_DTYPE : IS("masks") ? K_MASKS : K_NONE;
    case 6:
        return IS("filter") ? K_FILTER : K_NONE;
    case 7:
        return IS("strides") ? K_STRIDES : K_NONE;
    case 8:
        return IS("encoding") ? K_ENCODING : K_NONE;
    case 10:
        return IS("byte_order") ? K_BYTE_ORDER : K_NONE;
    case 11:
        return IS("compression") ? K_COMPRESSION : K_NONE;
    default:
        return K_NONE;
    }
}

/* The usual text values need no copy: the same NUL-terminated text
 * (NULL for others). */
static const char *known_text(const uint8_t *s, size_t n) {
    switch (n) {
    case 3:
        if (IS("lz4")) {
            return "lz4";
        }
        if (IS("zfp")) {
            return "zfp";
        }
        if (IS("sz3")) {
            return "sz3";
        }
        break;
    case 4:
        if (IS("none")) {
            return "none";
        }
        if (IS("zstd")) {
            return "zstd";
        }
        if (IS("szip")) {
            return "szip";
        }
        break;
    case 6:
        if (IS("blosc2")) {
            return "blosc2";
        }
        break;
    case 7:
        if (IS("ntensor")) {
            return "ntensor";
        }
        if (IS("shuffle")) {
            return "shuffle";
        }
        break;
    case 14:
        if (IS("simple_packing")) {
            return "simple_packing";
        }
        break;
    default:
        break;
    }
    return NULL;
}

/* The value as NUL-terminated text: a known one, else a copy in the
 * arena (*copied set). */
static const char *text_value(tgm_arena *a, const uint8_t *s, size_t n, bool *copied) {
    const char *k = known_text(s, n);
    if (k != NULL) {
        return k;
    }
    *copied = true;
    return tgm__arena_strndup(a, (const char *)s, n);
}

/* Arrays of up to this many entries are read onto the stack and land in
 * the arena together with the descriptor's bytes (one allocation). */
#define SMALL_DIMS 16

/* A definite array of unsigned integers: into `small` when it has room,
 * else into an arena array of its own. */
static bool u64_array(tgm_arena *a, const uint8_t *buf, size_t len, size_t *pos,
                      uint64_t small[SMALL_DIMS], const uint64_t **out, size_t *count) {
    tgm_cbor_fast h;
    if (!tgm__cbor_fast_head(buf, len, pos, &h) || h.major != TGM_CBOR_ARRAY ||
        h.arg > len - *pos) {
        return false;
    }
    size_t n = (size_t)h.arg;
    uint64_t *v = small;
    if (n > SMALL_DIMS) {
        v = tgm__arena_alloc(a, n * sizeof(uint64_t));
        if (v == NULL) {
            return false;
        }
    }
    for (size_t i = 0; i < n; i++) {
        size_t p = *pos;
        if (p < len && buf[p] < 0x18u) { /* one-byte unsigned integer */
            v[i] = buf[p];
            *pos = p + 1;
            continue;
        }
        tgm_cbor_fast e;
        if (!tgm__cbor_fast_head(buf, len, pos, &e) || e.major != TGM_CBOR_UINT) {
            return false;
        }
        v[i] = e.arg;
    }
    *out = v;
    *count = n;
    return true;
}

bool tgm__meta_direct_off;

/* The last descriptor this thread read, when it has the usual form (no
 * parameters, known text values, short arrays, at most MEMO_BYTES bytes):
 * a stream of messages repeats its descriptors byte for byte, and a CBOR
 * item is decided by its own bytes alone, so the same bytes read the
 * same way again.  Only the arena parts are redone (shape, strides and
 * the bytes kept for tgm__desc_map). */
#define MEMO_BYTES 240
typedef struct desc_memo {
    size_t len; /* 0: empty */
    uint8_t bytes[MEMO_BYTES];
    tgm_descriptor d; /* shape, strides, cbor: set on use */
    uint64_t dims[2 * SMALL_DIMS];
} desc_memo;
static _Thread_local desc_memo memo;

/* Lay the arrays and the bytes out in one arena block and point d at
 * them (dims: shape then strides). */
static bool place(tgm_arena *a, tgm_descriptor *d, const uint64_t *shape, const uint64_t *strides,
                  const uint8_t *bytes, size_t len) {
    size_t nsmall = (shape != NULL ? d->nshape : 0) + (strides != NULL ? d->nstrides : 0);
    uint64_t *w = tgm__arena_alloc(a, nsmall * sizeof(uint64_t) + len);
    if (w == NULL) {
        return false;
    }
    if (shape != NULL) {
        for (size_t i = 0; i < d->nshape; i++) {
            w[i] = shape[i];
        }
        d->shape = w;
        w += d->nshape;
    }
    if (strides != NULL) {
        for (size_t i = 0; i < d->nstrides; i++) {
            w[i] = strides[i];
        }
        d->strides = w;
        w += d->nstrides;
    }
    memcpy(w, bytes, len);
    d->cbor = (const uint8_t *)w;
    d->cbor_len = len;
    return true;
}

static bool memo_hit(tgm_arena *a, const uint8_t *buf, size_t len, tgm_descriptor *out,
                     size_t *consumed) {
    if (memo.len == 0 || len < memo.len || memcmp(buf, memo.bytes, memo.len) != 0) {
        return false;
    }
    tgm_descriptor d = memo.d;
    if (!place(a, &d, memo.dims, memo.dims + d.nshape, buf, memo.len)) {
        return false;
    }
    *out = d;
    *consumed = memo.len;
    return true;
}

bool tgm__desc_read_fast(tgm_arena *a, const uint8_t *buf, size_t len, tgm_descriptor *out,
                         size_t *consumed) {
    if (tgm__meta_direct_off) {
        return false;
    }
    if (memo_hit(a, buf, len, out, consumed)) {
        return true;
    }
    size_t pos = 0;
    uint64_t nmap;
    if (!tgm__cbor_fast_map(buf, len, &pos, &nmap)) {
        return false;
    }
    size_t n = (size_t)nmap;
    tgm_descriptor d;
    memset(&d, 0, sizeof d);
    const uint8_t *text[K_NONE] = {0};
    size_t text_len[K_NONE] = {0};
    unsigned seen = 0;
    tgm_val *params = NULL;
    /* Parameter values are decoded one level down from the map, with the
     * depth cap the whole-item decode would apply to them. */
    const tgm_cbor_limits lim = {TGM_CBOR_MAX_DEPTH - 1, 0};
    uint64_t shape[SMALL_DIMS], strides[SMALL_DIMS];
    for (size_t i = 0; i < n; i++) {
        const uint8_t *k;
        size_t kn;
        if (!tgm__cbor_fast_text(buf, len, &pos, &k, &kn)) {
            return false;
        }
        int f = fixed_key(k, kn);
        if (f == K_NONE) {
            if (params == NULL) {
                params = tgm__val_map(a, n - i);
                if (params == NULL) {
                    return false;
                }
                params->len = 0;
            }
            tgm_val *kv = &params->p.items[2 * params->len];
            tgm_val *v;
            size_t used;
            if (tgm__val_set_text(a, kv, (const char *)k, kn) != 0 ||
                tgm__cbor_decode(buf + pos, len - pos, a, &lim, &v, &used) != TGM_ERROR_OK) {
                return false;
            }
            kv[1] = *v;
            params->len++;
            pos += used;
            continue;
        }
        if (seen & (1u << f)) {
            return false; /* the generic path reads the first of duplicates */
        }
        seen |= 1u << f;
        switch (f) {
        case K_NDIM: {
            tgm_cbor_fast v;
            if (!tgm__cbor_fast_head(buf, len, &pos, &v) || v.major != TGM_CBOR_UINT) {
                return false;
            }
            d.ndim = v.arg;
            break;
        }
        case K_SHAPE:
            if (!u64_array(a, buf, len, &pos, shape, &d.shape, &d.nshape)) {
                return false;
            }
            break;
        case K_STRIDES:
            if (!u64_array(a, buf, len, &pos, strides, &d.strides, &d.nstrides)) {
                return false;
            }
            break;
        case K_MASKS:
            return false; /* masks: the generic path */
        default:
            if (!tgm__cbor_fast_text(buf, len, &pos, &text[f], &text_len[f])) {
                return false;
            }
            break;
        }
    }
    const unsigned required = (1u << K_TYPE) | (1u << K_NDIM) | (1u << K_SHAPE) |
                              (1u << K_STRIDES) | (1u << K_DTYPE) | (1u << K_ENCODING) |
                              (1u << K_FILTER) | (1u << K_COMPRESSION);
    if ((seen & required) != required) {
        return false;
    }
    int dt = tgm__dtype_parse((const char *)text[K_DTYPE], text_len[K_DTYPE]);
    if (dt < 0) { /* (a valid name holds no NUL: no need to look for one) */
        return false;
    }
    d.dtype = (tgm_dtype)dt;
    if (seen & (1u << K_BYTE_ORDER)) {
        const uint8_t *s = text[K_BYTE_ORDER];
        size_t bn = text_len[K_BYTE_ORDER];
        if (is(s, bn, "big", 3)) {
            d.big_endian = true;
        } else if (is(s, bn, "little", 6)) {
            d.big_endian = false;
        } else {
            return false;
        }
        d.byte_order_present = true;
    } else {
        d.big_endian = TGM_HOST_BIG_ENDIAN;
    }
    bool copied = false;
    d.obj_type = text_value(a, text[K_TYPE], text_len[K_TYPE], &copied);
    d.encoding = text_value(a, text[K_ENCODING], text_len[K_ENCODING], &copied);
    d.filter = text_value(a, text[K_FILTER], text_len[K_FILTER], &copied);
    d.compression = text_value(a, text[K_COMPRESSION], text_len[K_COMPRESSION], &copied);
    if (d.obj_type == NULL || d.encoding == NULL || d.filter == NULL || d.compression == NULL) {
        return false;
    }
    /* One block: the arrays read onto the stack, then the bytes. */
    bool small_shape = d.shape == shape, small_strides = d.strides == strides;
    if (!place(a, &d, small_shape ? shape : NULL, small_strides ? strides : NULL, buf, pos)) {
        return false;
    }
    d.params = params;
    tgm__desc_count_elements(&d);
    if (params == NULL && !copied && small_shape && small_strides && pos <= MEMO_BYTES) {
        memo.len = pos;
        memcpy(memo.bytes, buf, pos);
        memo.d = d;
        memcpy(memo.dims, shape, d.nshape * sizeof(uint64_t));
        memcpy(memo.dims + d.nshape, strides, d.nstrides * sizeof(uint64_t));
    }
    *out = d;
    *consumed = pos;
    return true;
}

const tgm_val *tgm__desc_map(tgm_arena *a, const tgm_descriptor *d) {
    if (d->map != NULL) {
        return d->map;
    }
    tgm_val *v = NULL;
    if (d->cbor == NULL || tgm__cbor_decode(d->cbor, d->cbor_len, a, NULL, &v, NULL) != 0) {
        return NULL;
    }
    return v;
}
