/* Resolving a descriptor into an executable plan: which encoding, filter
 * and codec, with which parameters (docs concepts/pipeline, encodings).
 * Error texts follow the reference; unknown names list the valid ones. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "codecs/codec.h"
#include "common/error.h"
#include "pipeline/plan.h"
#include "pipeline/user_codec.h"

const char *tgm__dtype_debug_name(tgm_dtype d, char buf[16]) {
    const char *n = tgm__dtype_name(d);
    snprintf(buf, 16, "%s", n ? n : "?");
    buf[0] = (char)toupper((unsigned char)buf[0]);
    return buf;
}

static bool eq(const char *a, const char *b) { return strcmp(a, b) == 0; }

/* simple_packing parameters from the descriptor (all four required). */
static tgm_error sp_params(const tgm_descriptor *d, tgm_sp_params *sp) {
    double ref;
    int64_t bsf, dsf;
    uint64_t bits;
    TGM_TRY(tgm__param_f64(d, "sp_reference_value", &ref));
    TGM_RETURN_IF(ref != ref || ref - ref != 0.0, TGM_ERROR_METADATA,
                  "sp_reference_value must be finite, got %g", ref);
    TGM_TRY(tgm__param_i64(d, "sp_binary_scale_factor", &bsf));
    TGM_RETURN_IF(bsf < INT32_MIN || bsf > INT32_MAX, TGM_ERROR_METADATA,
                  "sp_binary_scale_factor out of i32 range");
    TGM_TRY(tgm__param_i64(d, "sp_decimal_scale_factor", &dsf));
    TGM_RETURN_IF(dsf < INT32_MIN || dsf > INT32_MAX, TGM_ERROR_METADATA,
                  "sp_decimal_scale_factor out of i32 range");
    TGM_TRY(tgm__param_u64(d, "sp_bits_per_value", &bits));
    TGM_RETURN_IF(bits > UINT32_MAX, TGM_ERROR_METADATA, "sp_bits_per_value out of u32 range");
    sp->reference_value = ref;
    sp->binary_scale_factor = (int32_t)bsf;
    sp->decimal_scale_factor = (int32_t)dsf;
    sp->bits_per_value = (uint32_t)bits;
    return tgm__sp_check_params(sp);
}

static tgm_error u32_param(const tgm_descriptor *d, const char *key, uint32_t *out) {
    uint64_t v;
    TGM_TRY(tgm__param_u64(d, key, &v));
    TGM_RETURN_IF(v > UINT32_MAX, TGM_ERROR_METADATA, "%s out of u32 range", key);
    *out = (uint32_t)v;
    return TGM_ERROR_OK;
}

static tgm_error resolve(const tgm_descriptor *d, bool sp_params_known, bool need_codec,
                         tgm_plan *p);

tgm_error tgm__plan_resolve(const tgm_descriptor *d, bool sp_params_known, tgm_plan *p) {
    return resolve(d, sp_params_known, true, p);
}

tgm_error tgm__plan_resolve_any_codec(const tgm_descriptor *d, tgm_plan *p) {
    return resolve(d, true, false, p);
}

static tgm_error resolve(const tgm_descriptor *d, bool sp_params_known, bool need_codec,
                         tgm_plan *p) {
    char dbg[16];
    memset(p, 0, sizeof *p);
    p->dtype = d->dtype;
    p->big_endian = d->big_endian;
    p->n = d->num_elements;
    p->width = tgm__dtype_width(d->dtype);
    p->swap_unit = tgm__dtype_swap_unit(d->dtype);
    TGM_RETURN_IF(d->num_elements_overflow, TGM_ERROR_METADATA, "shape product overflow");

    /* encoding */
    if (eq(d->encoding, "none")) {
        p->encoding = TGM_ENC_NONE;
    } else if (eq(d->encoding, "simple_packing")) {
        TGM_RETURN_IF(d->dtype != TGM_DT_FLOAT64, TGM_ERROR_ENCODING,
                      "simple_packing only supports float64 dtype; got %s",
                      tgm__dtype_debug_name(d->dtype, dbg));
        p->encoding = TGM_ENC_SIMPLE_PACKING;
        if (sp_params_known) {
            TGM_TRY(sp_params(d, &p->sp));
        }
    } else {
        return tgm__fail(TGM_ERROR_ENCODING,
                         "unknown encoding: %s (expected one of: none, simple_packing)",
                         d->encoding);
    }

    /* filter */
    if (eq(d->filter, "none")) {
        p->filter = TGM_FIL_NONE;
    } else if (eq(d->filter, "shuffle")) {
        uint64_t es;
        TGM_TRY(tgm__param_u64(d, "shuffle_element_size", &es));
        TGM_RETURN_IF(es > SIZE_MAX, TGM_ERROR_METADATA, "shuffle_element_size out of usize range");
        p->filter = TGM_FIL_SHUFFLE;
        p->shuffle_element_size = (size_t)es;
    } else {
        return tgm__fail(TGM_ERROR_ENCODING, "unknown filter: %s (expected one of: none, shuffle)",
                         d->filter);
    }

    /* compression */
    const char *c = d->compression;
    p->compression = c;
    p->cp.threads = 1;
    if (eq(c, "none")) {
        p->codec = NULL;
    } else if (!tgm__codec_known(c)) {
        /* Not the format's: a registered user codec, or an error. */
        TGM_TRY(tgm__user_codec_plan(d, need_codec, p));
    } else {
        if (eq(c, "rle") || eq(c, "roaring")) {
            TGM_RETURN_IF(d->dtype != TGM_DT_BITMASK, TGM_ERROR_ENCODING,
                          "compression \"%s\" only supports dtype=bitmask, got dtype=%s", c,
                          tgm__dtype_debug_name(d->dtype, dbg));
            p->cp.bitmask_bits = d->num_elements;
        } else if (eq(c, "zfp") || eq(c, "sz3")) {
            TGM_RETURN_IF(p->encoding != TGM_ENC_NONE, TGM_ERROR_ENCODING,
                          "compression \"%s\" cannot follow encoding \"%s\": it compresses "
                          "float64 values, not packed integers",
                          c, d->encoding);
            TGM_RETURN_IF(p->filter != TGM_FIL_NONE, TGM_ERROR_ENCODING,
                          "compression \"%s\" cannot follow filter \"%s\": it needs the float64 "
                          "values unshuffled",
                          c, d->filter);
            TGM_RETURN_IF(d->dtype != TGM_DT_FLOAT64, TGM_ERROR_ENCODING,
                          "compression \"%s\" only supports dtype=float64, got dtype=%s", c,
                          tgm__dtype_debug_name(d->dtype, dbg));
        }
        if (eq(c, "szip")) {
            TGM_TRY(u32_param(d, "szip_rsi", &p->cp.szip_rsi));
            TGM_TRY(u32_param(d, "szip_block_size", &p->cp.szip_block_size));
            TGM_TRY(u32_param(d, "szip_flags", &p->cp.szip_flags));
            if (p->encoding == TGM_ENC_SIMPLE_PACKING) {
                /* Packed values are MSB-first (reference behaviour). */
                p->cp.szip_flags |= 4u; /* AEC_DATA_MSB */
                p->cp.szip_bits_per_sample = p->sp.bits_per_value;
                /* Widths that are not a multiple of 8 go through szip as
                 * one value per ceil(bits/8)-byte container, the way
                 * GRIB2's CCSDS packing does; the reference hands libaec a
                 * tight bit stream for those widths and cannot read it back
                 * (docs/pipeline.md "szip and odd bit widths"). */
                if (sp_params_known && p->sp.bits_per_value % 8 != 0) {
                    p->container_bytes = (p->sp.bits_per_value + 7) / 8;
                }
            } else if (p->filter == TGM_FIL_SHUFFLE) {
                p->cp.szip_bits_per_sample = 8;
            } else {
                p->cp.szip_bits_per_sample = (uint32_t)(p->width * 8);
            }
        } else if (eq(c, "zstd")) {
            int64_t lvl;
            TGM_TRY(tgm__param_i64_or(d, "zstd_level", 3, &lvl));
            TGM_RETURN_IF(lvl < INT32_MIN || lvl > INT32_MAX, TGM_ERROR_METADATA,
                          "zstd_level value %lld out of i32 range", (long long)lvl);
            p->cp.zstd_level = (int)lvl;
        } else if (eq(c, "blosc2")) {
            const char *bc;
            TGM_TRY(tgm__param_text_or(d, "blosc2_codec", "lz4", &bc));
            if (eq(bc, "blosclz")) {
                p->cp.blosc2_codec = TGM_BLOSC2_BLOSCLZ;
            } else if (eq(bc, "lz4")) {
                p->cp.blosc2_codec = TGM_BLOSC2_LZ4;
            } else if (eq(bc, "lz4hc")) {
                p->cp.blosc2_codec = TGM_BLOSC2_LZ4HC;
            } else if (eq(bc, "zlib")) {
                p->cp.blosc2_codec = TGM_BLOSC2_ZLIB;
            } else if (eq(bc, "zstd")) {
                p->cp.blosc2_codec = TGM_BLOSC2_ZSTD;
            } else {
                return tgm__fail(TGM_ERROR_ENCODING,
                                 "unknown blosc2 codec: %s (expected one of: blosclz, lz4, "
                                 "lz4hc, zlib, zstd)",
                                 bc);
            }
            int64_t lvl;
            TGM_TRY(tgm__param_i64_or(d, "blosc2_clevel", 5, &lvl));
            TGM_RETURN_IF(lvl < INT32_MIN || lvl > INT32_MAX, TGM_ERROR_METADATA,
                          "blosc2_clevel value %lld out of i32 range", (long long)lvl);
            p->cp.blosc2_clevel = (int)lvl;
            if (p->encoding == TGM_ENC_SIMPLE_PACKING) {
                p->cp.blosc2_typesize = (p->sp.bits_per_value + 7) / 8;
            } else if (p->filter == TGM_FIL_SHUFFLE) {
                p->cp.blosc2_typesize = 1;
            } else {
                p->cp.blosc2_typesize = p->width;
            }
            if (p->cp.blosc2_typesize == 0) {
                p->cp.blosc2_typesize = 1;
            }
        } else if (eq(c, "zfp")) {
            const tgm_val *mv = tgm__desc_param(d, "zfp_mode");
            TGM_RETURN_IF(mv == NULL || mv->kind != TGM_V_TEXT, TGM_ERROR_METADATA,
                          "missing required parameter: zfp_mode");
            if (eq(mv->p.str, "fixed_rate")) {
                p->cp.zfp_mode = TGM_ZFP_FIXED_RATE;
                TGM_TRY(tgm__param_f64(d, "zfp_rate", &p->cp.zfp_rate));
            } else if (eq(mv->p.str, "fixed_precision")) {
                p->cp.zfp_mode = TGM_ZFP_FIXED_PRECISION;
                TGM_TRY(u32_param(d, "zfp_precision", &p->cp.zfp_precision));
            } else if (eq(mv->p.str, "fixed_accuracy")) {
                p->cp.zfp_mode = TGM_ZFP_FIXED_ACCURACY;
                TGM_TRY(tgm__param_f64(d, "zfp_tolerance", &p->cp.zfp_tolerance));
            } else {
                return tgm__fail(TGM_ERROR_ENCODING,
                                 "unknown zfp_mode: %s (expected one of: fixed_rate, "
                                 "fixed_precision, fixed_accuracy)",
                                 mv->p.str);
            }
            TGM_RETURN_IF(d->num_elements > SIZE_MAX, TGM_ERROR_METADATA, "too many values");
            p->cp.zfp_num_values = (size_t)d->num_elements;
        } else if (eq(c, "sz3")) {
            const tgm_val *mv = tgm__desc_param(d, "sz3_error_bound_mode");
            TGM_RETURN_IF(mv == NULL || mv->kind != TGM_V_TEXT, TGM_ERROR_METADATA,
                          "missing required parameter: sz3_error_bound_mode");
            TGM_RETURN_IF(!eq(mv->p.str, "abs") && !eq(mv->p.str, "rel") && !eq(mv->p.str, "psnr"),
                          TGM_ERROR_ENCODING,
                          "unknown sz3_error_bound_mode: %s (expected one of: abs, rel, psnr)",
                          mv->p.str);
            double bound;
            TGM_TRY(tgm__param_f64(d, "sz3_error_bound", &bound));
        }
        p->codec = tgm__codec_find(c);
        TGM_RETURN_IF(p->codec == NULL && need_codec, TGM_ERROR_COMPRESSION, "%s is not built in",
                      c);
    }

    /* Stage sizes: encoded (after the encoding step) = filtered size. */
    uint64_t bytes;
    if (p->encoding == TGM_ENC_NONE) {
        TGM_RETURN_IF(tgm__dtype_payload_size(d->dtype, d->num_elements, &bytes) ||
                          bytes > SIZE_MAX,
                      TGM_ERROR_METADATA, "decoded size of %llu elements overflows",
                      (unsigned long long)d->num_elements);
        p->encoded_size = (size_t)bytes;
    } else if (sp_params_known) {
        TGM_RETURN_IF(d->num_elements > SIZE_MAX, TGM_ERROR_METADATA, "too many values");
        TGM_TRY(tgm__sp_packed_size((size_t)d->num_elements, p->sp.bits_per_value,
                                    p->container_bytes, &p->encoded_size));
    }
    TGM_RETURN_IF(tgm__dtype_payload_size(d->dtype, d->num_elements, &bytes) || bytes > SIZE_MAX,
                  TGM_ERROR_METADATA, "decoded size of %llu elements overflows",
                  (unsigned long long)d->num_elements);
    p->decoded_size = (size_t)bytes;
    if (p->filter == TGM_FIL_SHUFFLE && (p->encoding == TGM_ENC_NONE || sp_params_known)) {
        TGM_TRY(tgm__shuffle_check(p->encoded_size, p->shuffle_element_size));
    }
    p->cp.user_stream_size = p->encoded_size;
    return TGM_ERROR_OK;
}
