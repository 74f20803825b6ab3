/* Mask blob methods: names, parameters, the small-mask fallback, and
 * encoding / decoding of one blob (WIRE_FORMAT §6.5.1, §6.5.3, §8). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "codecs/bitmask_codecs.h"
#include "codecs/blosc2.h"
#include "codecs/codec.h"
#include "codecs/zstd.h"
#include "common/alloc.h"
#include "common/error.h"
#include "masks/masks.h"

static const char *const codec_names[TGM_MASK_CODEC_COUNT] = {"none", "rle",  "roaring",
                                                              "lz4",  "zstd", "blosc2"};

const char *tgm__mask_codec_names(char *buf, size_t cap, const char *sep, bool quoted) {
    size_t o = 0;
    buf[0] = '\0';
    for (int c = 0; c < TGM_MASK_CODEC_COUNT && o < cap; c++) {
        o += (size_t)snprintf(buf + o, cap - o, quoted ? "%s\"%s\"" : "%s%s", c ? sep : "",
                              codec_names[c]);
    }
    return buf;
}

const char *tgm__mask_codec_name(tgm_mask_codec codec) {
    return (unsigned)codec < TGM_MASK_CODEC_COUNT ? codec_names[codec] : NULL;
}

/* Name for messages; never NULL. */
static const char *cname(tgm_mask_codec c) {
    const char *n = tgm__mask_codec_name(c);
    return n != NULL ? n : "?";
}

int tgm__mask_codec_lookup(const char *name, size_t len, tgm_mask_codec *out) {
    for (int c = 0; c < TGM_MASK_CODEC_COUNT; c++) {
        if (strlen(codec_names[c]) == len && memcmp(codec_names[c], name, len) == 0) {
            *out = (tgm_mask_codec)c;
            return 0;
        }
    }
    return -1;
}

/* The codec table entry behind a method (none has none). */
static const tgm_codec *method_codec(tgm_mask_codec c) {
    return c == TGM_MASK_CODEC_NONE ? NULL : tgm__codec_format(codec_names[c]);
}

int tgm__mask_codec_available(tgm_mask_codec codec) {
    if ((unsigned)codec >= TGM_MASK_CODEC_COUNT) {
        return 0;
    }
    const tgm_codec *c = method_codec(codec);
    return c == NULL || tgm__codec_built(c);
}

void tgm__mask_method_init(tgm_mask_method *m, tgm_mask_codec codec) {
    memset(m, 0, sizeof *m);
    m->codec = codec;
    m->zstd_level = TGM_MASK_ZSTD_DEFAULT_LEVEL;
    m->blosc2_codec = TGM_BLOSC2_LZ4;
    m->blosc2_level = TGM_MASK_BLOSC2_DEFAULT_LEVEL;
}

void tgm__mask_method_default(tgm_mask_method *m) {
    tgm__mask_method_init(m, TGM_MASK_CODEC_ROARING);
}

/* Render a name the way the reference quotes strings in its messages
 * (Rust's Debug form): "..." with \" \\ \n \r \t \0 and \u{..} escapes. */
static const char *quote(const char *s, size_t len, char *buf, size_t cap) {
    size_t o = 0;
    buf[o++] = '"';
    for (size_t i = 0; i < len && o + 12 < cap; i++) {
        unsigned char ch = (unsigned char)s[i];
        const char *esc = NULL;
        switch (ch) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        case '\0':
            esc = "\\0";
            break;
        default:
            break;
        }
        if (esc != NULL) {
            size_t n = strlen(esc);
            memcpy(buf + o, esc, n);
            o += n;
        } else if (ch < 0x20 || ch == 0x7F) {
            o += (size_t)snprintf(buf + o, cap - o, "\\u{%x}", ch);
        } else {
            buf[o++] = (char)ch;
        }
    }
    buf[o++] = '"';
    buf[o] = '\0';
    return buf;
}

tgm_error tgm__mask_method_parse(const char *name, tgm_mask_method *out) {
    if (name == NULL) {
        tgm__mask_method_default(out);
        return TGM_ERROR_OK;
    }
    char q[256], names[128];
    tgm_mask_codec c;
    if (tgm__mask_codec_lookup(name, strlen(name), &c) != 0) {
        return tgm__fail_raw(TGM_ERROR_INVALID_ARG, "unknown mask method %s (expected %s)",
                             quote(name, strlen(name), q, sizeof q),
                             tgm__mask_codec_names(names, sizeof names, " | ", true));
    }
    if (!tgm__mask_codec_available(c)) {
        return tgm__fail_raw(TGM_ERROR_INVALID_ARG,
                             "mask method \"%s\" requires feature \"%s\" which is not compiled in",
                             cname(c), cname(c));
    }
    tgm__mask_method_init(out, c);
    return TGM_ERROR_OK;
}

tgm_error tgm__mask_check_descriptor(tgm_mask_kind kind, const char *method, size_t method_len,
                                     const char *param, size_t param_len) {
    char qm[256], qp[256], names[128];
    const char *key = tgm__mask_kind_key(kind);
    tgm_mask_codec c;
    if (tgm__mask_codec_lookup(method, method_len, &c) != 0) {
        return tgm__fail(TGM_ERROR_METADATA, "mask %s has unknown method %s; expected one of: %s",
                         key, quote(method, method_len, qm, sizeof qm),
                         tgm__mask_codec_names(names, sizeof names, ", ", false));
    }
    if (param == NULL) {
        return TGM_ERROR_OK;
    }
    const char *allowed_text = "[]";
    int ok = 0;
    if (c == TGM_MASK_CODEC_ZSTD) {
        allowed_text = "[\"level\"]";
        ok = param_len == 5 && memcmp(param, "level", 5) == 0;
    } else if (c == TGM_MASK_CODEC_BLOSC2) {
        allowed_text = "[\"codec\", \"level\"]";
        ok = (param_len == 5 && memcmp(param, "level", 5) == 0) ||
             (param_len == 5 && memcmp(param, "codec", 5) == 0);
    }
    if (!ok) {
        return tgm__fail(TGM_ERROR_METADATA,
                         "mask %s (method %s) has unknown param %s; allowed for this method: %s",
                         key, quote(method, method_len, qm, sizeof qm),
                         quote(param, param_len, qp, sizeof qp), allowed_text);
    }
    return TGM_ERROR_OK;
}

/* --- encode / decode ----------------------------------------------------- */

/* The current error detail without its "<category>: " prefix, copied into
 * buf (the detail buffer is about to be rewritten). */
static const char *detail_copy(char *buf, size_t cap) {
    const char *d = tgm__error_detail_body();
    snprintf(buf, cap, "%s", d != NULL ? d : "unknown error");
    return buf;
}

static tgm_error not_built(tgm_mask_codec c) {
    return tgm__fail(TGM_ERROR_ENCODING,
                     "mask method \"%s\" requires feature \"%s\" which is not compiled in",
                     cname(c), cname(c));
}

/* Codec parameters of a method for a packed mask of nbytes bytes.  blosc2
 * follows the reference's mask writer (tensogram-encodings
 * bitmask/codecs.rs): typesize 1, the bit shuffle as the only filter (in
 * the first slot), clevel clamped to 1..9, and the whole mask appended to
 * the super-chunk at once, i.e. one chunk (the writer still caps a chunk
 * at c-blosc2's 2 GiB limit, where the reference fails). */
static void generic_params(const tgm_mask_method *m, size_t nbytes, tgm_codec_params *p) {
    tgm__codec_params_init(p, 1, nbytes);
    if (m->codec == TGM_MASK_CODEC_ZSTD) {
        tgm__zstd_params(p, m->zstd_level_set ? m->zstd_level : TGM_MASK_ZSTD_DEFAULT_LEVEL);
    } else if (m->codec == TGM_MASK_CODEC_BLOSC2) {
        tgm_blosc2_params bp;
        memset(&bp, 0, sizeof bp);
        bp.codec = m->blosc2_codec;
        bp.clevel = m->blosc2_level < 1 ? 1 : m->blosc2_level > 9 ? 9 : m->blosc2_level;
        bp.typesize = 1;
        bp.filter = TGM_BLOSC2_FILTER_BITSHUFFLE;
        bp.chunk_bytes = nbytes > 0 ? nbytes : 1;
        tgm__blosc2_params(p, &bp);
    }
}

static tgm_error encode_blob(const tgm_mask_method *m, const uint8_t *bits, uint64_t n_bits,
                             size_t nbytes, tgm_buf *out) {
    switch (m->codec) {
    case TGM_MASK_CODEC_NONE:
        TGM_TRY(tgm__buf_append(out, bits, nbytes));
        if (nbytes > 0) {
            tgm__bitmask_clear_tail(out->data + out->len - nbytes, n_bits);
        }
        return TGM_ERROR_OK;
    default:
        break;
    }
    if (!tgm__mask_codec_available(m->codec)) {
        return not_built(m->codec);
    }
    /* rle and roaring blobs are the raw forms, without the bit-count
     * prefix of their dtype=bitmask payloads. */
    if (m->codec == TGM_MASK_CODEC_RLE) {
        return tgm__rle_encode(bits, n_bits, out);
    }
    if (m->codec == TGM_MASK_CODEC_ROARING) {
        return tgm__roaring_encode(bits, n_bits, out);
    }
    const tgm_codec *codec = method_codec(m->codec);
    if (nbytes == 0) {
        return TGM_ERROR_OK; /* as the reference: nothing to compress, empty blob */
    }
    tgm_codec_params p;
    generic_params(m, nbytes, &p);
    /* The codecs see whole bytes: the padding bits must be zero as in the
     * reference's packing, whatever the caller left there. */
    uint8_t *clean = NULL;
    const uint8_t *in = bits;
    if (n_bits % 8 != 0 && (bits[nbytes - 1] & (0xFFu >> (n_bits % 8))) != 0) {
        clean = tgm__malloc(nbytes);
        if (clean == NULL) {
            return tgm__oom(nbytes, "mask copy");
        }
        memcpy(clean, bits, nbytes);
        tgm__bitmask_clear_tail(clean, n_bits);
        in = clean;
    }
    tgm_error err = codec->compress(&p, in, nbytes, out, NULL);
    tgm__free(clean);
    return err;
}

tgm_error tgm__mask_encode(const tgm_mask_method *requested, const uint8_t *bits, uint64_t n_bits,
                           uint64_t small_threshold, tgm_buf *out, tgm_mask_method *used) {
    size_t nbytes;
    TGM_RETURN_IF((unsigned)requested->codec >= TGM_MASK_CODEC_COUNT, TGM_ERROR_INVALID_ARG,
                  "mask codec %d out of range", (int)requested->codec);
    TGM_RETURN_IF(tgm__bitmask_size(n_bits, &nbytes), TGM_ERROR_ENCODING,
                  "mask of %" PRIu64 " bits does not fit in memory", n_bits);
    tgm_mask_method m = *requested;
    if (small_threshold > 0 && (uint64_t)nbytes <= small_threshold) {
        tgm__mask_method_init(&m, TGM_MASK_CODEC_NONE);
    }
    size_t old_len = out->len;
    tgm_error err = encode_blob(&m, bits, n_bits, nbytes, out);
    if (err != TGM_ERROR_OK) {
        out->len = old_len;
        char d[1024];
        return tgm__fail(TGM_ERROR_ENCODING, "%s mask encode: %s", cname(m.codec),
                         detail_copy(d, sizeof d));
    }
    if (used != NULL) {
        *used = m;
    }
    return TGM_ERROR_OK;
}

static tgm_error decode_blob(tgm_mask_codec c, const uint8_t *blob, size_t blob_len,
                             uint64_t n_bits, size_t nbytes, uint8_t *dst) {
    switch (c) {
    case TGM_MASK_CODEC_NONE:
        TGM_RETURN_IF(blob_len != nbytes, TGM_ERROR_ENCODING,
                      "bitmask length mismatch: expected %zu bytes for %" PRIu64
                      " elements, got %zu",
                      nbytes, n_bits, blob_len);
        if (nbytes > 0) {
            memcpy(dst, blob, nbytes);
            tgm__bitmask_clear_tail(dst, n_bits);
        }
        return TGM_ERROR_OK;
    default:
        break;
    }
    if (!tgm__mask_codec_available(c)) {
        return not_built(c);
    }
    if (c == TGM_MASK_CODEC_RLE) {
        return tgm__rle_decode(blob, blob_len, n_bits, dst);
    }
    if (c == TGM_MASK_CODEC_ROARING) {
        return tgm__roaring_decode(blob, blob_len, n_bits, dst);
    }
    const tgm_codec *codec = method_codec(c);
    if (nbytes == 0 && blob_len == 0) {
        return TGM_ERROR_OK;
    }
    tgm_codec_params p;
    tgm_mask_method m;
    tgm__mask_method_init(&m, c);
    generic_params(&m, nbytes, &p);
    if (codec->decompress(&p, blob, blob_len, dst, nbytes) != TGM_ERROR_OK) {
        char d[1024];
        return tgm__fail(TGM_ERROR_ENCODING, "underlying codec error: %s",
                         detail_copy(d, sizeof d));
    }
    tgm__bitmask_clear_tail(dst, n_bits);
    return TGM_ERROR_OK;
}

tgm_error tgm__mask_decode(tgm_mask_codec codec, const uint8_t *blob, size_t blob_len,
                           uint64_t n_bits, uint8_t *dst) {
    size_t nbytes;
    TGM_RETURN_IF((unsigned)codec >= TGM_MASK_CODEC_COUNT, TGM_ERROR_INVALID_ARG,
                  "mask codec %d out of range", (int)codec);
    TGM_RETURN_IF(tgm__bitmask_size(n_bits, &nbytes), TGM_ERROR_ENCODING,
                  "mask of %" PRIu64 " bits does not fit in memory", n_bits);
    if (decode_blob(codec, blob, blob_len, n_bits, nbytes, dst) != TGM_ERROR_OK) {
        char d[1024];
        return tgm__fail(TGM_ERROR_ENCODING, "bitmask decode (%s): %s", cname(codec),
                         detail_copy(d, sizeof d));
    }
    return TGM_ERROR_OK;
}

tgm_error tgm__mask_decode_named(const char *method, size_t method_len, const uint8_t *blob,
                                 size_t blob_len, uint64_t n_bits, uint8_t *dst) {
    tgm_mask_codec c;
    if (tgm__mask_codec_lookup(method, method_len, &c) != 0) {
        char q[256], names[128];
        return tgm__fail(TGM_ERROR_ENCODING, "unknown mask method %s (expected %s)",
                         quote(method, method_len, q, sizeof q),
                         tgm__mask_codec_names(names, sizeof names, " | ", true));
    }
    return tgm__mask_decode(c, blob, blob_len, n_bits, dst);
}

tgm_error tgm__masks_append_region(const tgm_mask_set *set,
                                   const tgm_mask_method methods[TGM_MASK_KINDS],
                                   uint64_t small_threshold, tgm_buf *region,
                                   tgm_mask_entry entries[TGM_MASK_KINDS]) {
    size_t old_len = region->len;
    for (int k = 0; k < TGM_MASK_KINDS; k++) {
        memset(&entries[k], 0, sizeof entries[k]);
    }
    for (int k = 0; k < TGM_MASK_KINDS; k++) {
        if (set->bits[k] == NULL) {
            continue;
        }
        uint64_t off = region->len;
        tgm_error err = tgm__mask_encode(&methods[k], set->bits[k], set->n_bits, small_threshold,
                                         region, &entries[k].method);
        if (err != TGM_ERROR_OK) {
            region->len = old_len;
            for (int j = 0; j < TGM_MASK_KINDS; j++) {
                entries[j].present = false;
            }
            return err;
        }
        entries[k].present = true;
        entries[k].offset = off;
        entries[k].length = region->len - off;
    }
    return TGM_ERROR_OK;
}

tgm_error tgm__masks_decode_region(const tgm_mask_ref refs[TGM_MASK_KINDS], const uint8_t *region,
                                   size_t region_len, uint64_t n_bits, tgm_mask_set *set) {
    tgm__mask_set_init(set, n_bits);
    size_t nbytes;
    TGM_RETURN_IF(tgm__bitmask_size(n_bits, &nbytes), TGM_ERROR_ENCODING,
                  "mask of %" PRIu64 " bits does not fit in memory", n_bits);
    /* Check every location before allocating anything. */
    for (int k = 0; k < TGM_MASK_KINDS; k++) {
        const tgm_mask_ref *r = &refs[k];
        if (!r->present) {
            continue;
        }
        TGM_RETURN_IF(r->offset > region_len || r->length > region_len - r->offset,
                      TGM_ERROR_FRAMING,
                      "mask %s: offset %" PRIu64 " + length %" PRIu64
                      " exceeds the payload region of %zu bytes",
                      tgm__mask_kind_key((tgm_mask_kind)k), r->offset, r->length, region_len);
    }
    for (int k = 0; k < TGM_MASK_KINDS; k++) {
        const tgm_mask_ref *r = &refs[k];
        if (!r->present) {
            continue;
        }
        uint8_t *bits = tgm__malloc(nbytes > 0 ? nbytes : 1);
        if (bits == NULL) {
            tgm__mask_set_free(set);
            return tgm__oom(nbytes, "decoded NaN/Inf mask");
        }
        tgm_error err = tgm__mask_decode_named(r->method, r->method_len, region + (size_t)r->offset,
                                               (size_t)r->length, n_bits, bits);
        if (err != TGM_ERROR_OK) {
            tgm__free(bits);
            tgm__mask_set_free(set);
            return err;
        }
        set->bits[k] = bits;
        set->count[k] = tgm__bitmask_popcount(bits, n_bits);
    }
    return TGM_ERROR_OK;
}
