/* Per-object pipeline: descriptor -> (encoding, filter, compression). */
#include <string.h>

#include "common/alloc.h"
#include "common/checked.h"
#include "common/endian.h"
#include "codecs/codec.h"
#include "common/error.h"
#include "pipeline/pipeline.h"

void tgm__encoded_obj_free(tgm_encoded_obj *e) {
    tgm__buf_free(&e->owned);
    tgm__buf_free(&e->masks);
}

tgm_error tgm__pipeline_decoded_size(const tgm_descriptor *d, size_t *out) {
    uint64_t n;
    TGM_RETURN_IF(d->num_elements_overflow, TGM_ERROR_METADATA, "shape product overflow");
    TGM_RETURN_IF(tgm__dtype_payload_size(d->dtype, d->num_elements, &n) || n > SIZE_MAX,
                  TGM_ERROR_METADATA, "decoded size of %llu elements of %s overflows",
                  (unsigned long long)d->num_elements, tgm__dtype_name(d->dtype));
    *out = (size_t)n;
    return TGM_ERROR_OK;
}

static bool is_none(const char *s) { return strcmp(s, "none") == 0; }

tgm_error tgm__pipeline_check(const tgm_descriptor *d) {
    TGM_RETURN_IF(!is_none(d->encoding) && strcmp(d->encoding, "simple_packing") != 0,
                  TGM_ERROR_ENCODING, "unknown encoding: %s (expected one of: none, simple_packing)",
                  d->encoding);
    TGM_RETURN_IF(!is_none(d->filter) && strcmp(d->filter, "shuffle") != 0, TGM_ERROR_ENCODING,
                  "unknown filter: %s (expected one of: none, shuffle)", d->filter);
    if (!tgm__codec_known(d->compression)) {
        return tgm__fail(TGM_ERROR_ENCODING, "unknown compression: %s (expected one of: %s)",
                         d->compression, tgm__codec_all_names());
    }
    if (!is_none(d->encoding)) {
        return tgm__fail(TGM_ERROR_ENCODING, "encoding %s is not implemented yet", d->encoding);
    }
    if (!is_none(d->filter)) {
        return tgm__fail(TGM_ERROR_ENCODING, "filter %s is not implemented yet", d->filter);
    }
    if (!is_none(d->compression)) {
        return tgm__fail(TGM_ERROR_ENCODING, "compression %s is not implemented yet",
                         d->compression);
    }
    return TGM_ERROR_OK;
}

/* Finite check for float dtypes (reject NaN / Inf, the default policy). */
static tgm_error check_finite(const tgm_descriptor *d, const uint8_t *data, size_t n) {
    size_t w = tgm__dtype_swap_unit(d->dtype);
    const char *dt = tgm__dtype_name(d->dtype);
    size_t per_elem = tgm__dtype_width(d->dtype) / (w ? w : 1);
    for (size_t i = 0; i < n / w; i++) {
        const uint8_t *p = data + i * w;
        int kind = 0; /* 1 nan, 2 +inf, 3 -inf */
        if (w == 8) {
            uint64_t b = d->big_endian ? tgm__rd_be64(p) : tgm__rd_le64(p);
            if (((b >> 52) & 0x7ff) == 0x7ff) {
                kind = (b & 0xfffffffffffffull) ? 1 : ((b >> 63) ? 3 : 2);
            }
        } else if (w == 4) {
            uint32_t b = d->big_endian ? tgm__rd_be32(p) : tgm__rd_le32(p);
            if (((b >> 23) & 0xff) == 0xff) {
                kind = (b & 0x7fffff) ? 1 : ((b >> 31) ? 3 : 2);
            }
        } else if (w == 2) {
            uint16_t b = d->big_endian ? tgm__rd_be16(p) : tgm__rd_le16(p);
            if (d->dtype == TGM_DT_BFLOAT16) {
                if (((b >> 7) & 0xff) == 0xff) {
                    kind = (b & 0x7f) ? 1 : ((b >> 15) ? 3 : 2);
                }
            } else if (((b >> 10) & 0x1f) == 0x1f) {
                kind = (b & 0x3ff) ? 1 : ((b >> 15) ? 3 : 2);
            }
        }
        if (kind == 0) {
            continue;
        }
        size_t elem = i / per_elem;
        const char *comp = per_elem == 2 ? ((i % 2) ? " (imaginary component)" : " (real component)") : "";
        if (kind == 1) {
            return tgm__fail(TGM_ERROR_ENCODING,
                             "strict-NaN check: NaN at element %zu of %s array%s; pass "
                             "allow_nan=true to substitute with 0.0 and record positions in a mask",
                             elem, dt, comp);
        }
        return tgm__fail(TGM_ERROR_ENCODING,
                         "strict-Inf check: %s at element %zu of %s array%s; pass allow_inf=true "
                         "to substitute with 0.0 and record positions in a mask",
                         kind == 2 ? "+Inf" : "-Inf", elem, dt, comp);
    }
    return TGM_ERROR_OK;
}

tgm_error tgm__pipeline_encode(tgm_arena *a, const tgm_descriptor *in, const uint8_t *data,
                               size_t len, const tgm_encode_opts *o, tgm_encoded_obj *out) {
    memset(out, 0, sizeof *out);
    TGM_TRY(tgm__desc_check_shape(in));
    if (is_none(in->encoding)) {
        size_t expect = 0;
        TGM_TRY(tgm__pipeline_decoded_size(in, &expect));
        if (expect != len) {
            if (in->dtype == TGM_DT_BITMASK) {
                return tgm__fail(TGM_ERROR_METADATA,
                                 "data_len %zu does not match expected %zu bytes for bitmask "
                                 "(ceil(%llu/8))",
                                 len, expect, (unsigned long long)in->num_elements);
            }
            return tgm__fail(TGM_ERROR_METADATA,
                             "data_len %zu does not match expected %zu bytes from shape and dtype",
                             len, expect);
        }
    }
    TGM_TRY(tgm__pipeline_check(in));
    if (!o->pre_encoded && tgm__dtype_is_float(in->dtype)) {
        TGM_TRY(check_finite(in, data, len));
    }
    out->payload = data;
    out->payload_len = len;
    out->desc = *in;
    tgm_val *params = tgm__desc_params_map(a, in);
    if (params == NULL) {
        return tgm__oom(64, "descriptor");
    }
    TGM_TRY(tgm__desc_build_val(a, in, params, NULL, &out->desc_val));
    return TGM_ERROR_OK;
}

tgm_error tgm__pipeline_decode(const tgm_descriptor *d, const uint8_t *payload, size_t plen,
                               const uint8_t *region, size_t region_len,
                               const tgm_decode_opts *o, uint8_t *dst, size_t dst_len) {
    (void)region;
    (void)region_len;
    TGM_TRY(tgm__pipeline_check(d));
    size_t expect = 0;
    TGM_TRY(tgm__pipeline_decoded_size(d, &expect));
    TGM_RETURN_IF(plen != expect, TGM_ERROR_ENCODING,
                  "descriptor claims %zu decoded byte(s) but frame payload is %zu byte(s) "
                  "(encoding %s, dtype width %zu)",
                  expect, plen, d->encoding, tgm__dtype_width(d->dtype));
    TGM_RETURN_IF(dst_len != expect, TGM_ERROR_ENCODING, "output buffer size mismatch");
    if (plen > 0) {
        memcpy(dst, payload, plen);
    }
    if (o->native_byte_order && d->big_endian != TGM_HOST_BIG_ENDIAN) {
        size_t unit = tgm__dtype_swap_unit(d->dtype);
        if (unit > 1) {
            tgm__byteswap(dst, plen / unit, unit);
        }
    }
    return TGM_ERROR_OK;
}

tgm_error tgm__pipeline_decode_range(const tgm_descriptor *d, const uint8_t *payload, size_t plen,
                                     const uint8_t *region, size_t region_len,
                                     const tgm_decode_opts *o, uint64_t offset, uint64_t count,
                                     uint8_t *dst) {
    (void)region;
    (void)region_len;
    TGM_RETURN_IF(!is_none(d->filter), TGM_ERROR_ENCODING,
                  "decode_range is not supported when a filter (e.g. shuffle) is applied");
    TGM_RETURN_IF(d->dtype == TGM_DT_BITMASK, TGM_ERROR_ENCODING,
                  "partial range decode not supported for bitmask dtype");
    TGM_TRY(tgm__pipeline_check(d));
    size_t w = tgm__dtype_width(d->dtype);
    uint64_t end, bstart, bcount;
    TGM_RETURN_IF(tgm__add_u64(offset, count, &end) || end > d->num_elements, TGM_ERROR_OBJECT,
                  "range (offset=%llu, count=%llu) exceeds the object's %llu elements",
                  (unsigned long long)offset, (unsigned long long)count,
                  (unsigned long long)d->num_elements);
    TGM_RETURN_IF(tgm__mul_u64(offset, w, &bstart) || tgm__mul_u64(count, w, &bcount) ||
                      bstart + bcount > plen,
                  TGM_ERROR_ENCODING, "range (offset=%llu, count=%llu) exceeds payload size",
                  (unsigned long long)offset, (unsigned long long)count);
    if (bcount > 0) {
        memcpy(dst, payload + bstart, (size_t)bcount);
    }
    if (o->native_byte_order && d->big_endian != TGM_HOST_BIG_ENDIAN) {
        size_t unit = tgm__dtype_swap_unit(d->dtype);
        if (unit > 1) {
            tgm__byteswap(dst, (size_t)bcount / unit, unit);
        }
    }
    return TGM_ERROR_OK;
}
