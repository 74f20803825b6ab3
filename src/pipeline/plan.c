/* Resolving a descriptor into an executable plan: which encoding, filter
 * and codec, with which parameters (docs concepts/pipeline, encodings).
 * Error texts follow the reference; unknown names list the valid ones. */
#include <stdio.h>
#include <string.h>

#include "codecs/codec.h"
#include "codecs/user.h"
#include "common/error.h"
#include "pipeline/plan.h"
#include "json/json.h"

static bool eq(const char *a, const char *b) { return strcmp(a, b) == 0; }

/* eq(s, "none") without a call: the name of every step of the usual
 * pipeline. */
static bool is_none(const char *s) {
    return s[0] == 'n' && s[1] == 'o' && s[2] == 'n' && s[3] == 'e' && s[4] == '\0';
}

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

/* ---- the key getter of codec parsers ----------------------------------------- */

static tgm_error keys_u64(const void *src, const char *key, uint64_t *out) {
    return tgm__param_u64(src, key, out);
}

static tgm_error keys_i64_or(const void *src, const char *key, int64_t dflt, int64_t *out) {
    return tgm__param_i64_or(src, key, dflt, out);
}

static tgm_error keys_f64(const void *src, const char *key, double *out) {
    return tgm__param_f64(src, key, out);
}

static tgm_error keys_text_or(const void *src, const char *key, const char *dflt,
                              const char **out) {
    return tgm__param_text_or(src, key, dflt, out);
}

static const char *keys_text(const void *src, const char *key) {
    const tgm_val *v = tgm__desc_param(src, key);
    return v != NULL && v->kind == TGM_V_TEXT ? v->p.str : NULL;
}

static int keys_uint_opt(const void *src, const char *key, uint64_t *out) {
    const tgm_val *v = tgm__desc_param(src, key);
    if (v == NULL) {
        return 0;
    }
    if (v->kind != TGM_V_INT || v->neg) {
        return -1;
    }
    *out = v->num.u;
    return 1;
}

static const char *keys_kind(const void *src, const char *key) {
    const tgm_val *v = tgm__desc_param(src, key);
    return v != NULL ? tgm__cbor_kind(v) : NULL;
}

static tgm_error keys_json(const void *src, tgm_buf *out) {
    tgm_arena a = TGM_ARENA_INIT;
    tgm_error err = TGM_ERROR_OK;
    tgm_val *params = tgm__desc_params_map(&a, src);
    TGM_FAIL_IF(params == NULL, TGM_ERROR_ENCODING, "out of memory for codec parameters");
    TGM_CHECK(tgm__json_write(params, TGM_JSON_COMPACT, out));
cleanup:
    tgm__arena_free(&a);
    return err;
}

static const tgm_codec_keys_ops desc_keys = {keys_u64,  keys_i64_or,   keys_f64,  keys_text_or,
                                             keys_text, keys_uint_opt, keys_kind, keys_json};

tgm_codec_keys tgm__plan_keys(const tgm_descriptor *d) {
    tgm_codec_keys k = {&desc_keys, d};
    return k;
}

tgm_error tgm__plan_check_plain_payload(const tgm_plan *p, const char *encoding, size_t plen) {
    TGM_RETURN_IF(plen != p->encoded_size, TGM_ERROR_ENCODING,
                  "descriptor claims %zu decoded byte(s) but frame payload is %zu byte(s) "
                  "(encoding %s, dtype width %zu)",
                  p->encoded_size, plen, encoding, p->width);
    return TGM_ERROR_OK;
}

/* ---- resolution ------------------------------------------------------------- */

static tgm_error resolve(const tgm_descriptor *d, bool need_codec, tgm_plan *p);

tgm_error tgm__plan_resolve(const tgm_descriptor *d, tgm_plan *p) { return resolve(d, true, p); }

tgm_error tgm__plan_resolve_any_codec(const tgm_descriptor *d, tgm_plan *p) {
    return resolve(d, false, p);
}

/* A compression the format does not define and no registered codec has:
 * acceptable only for a payload copied as stored whose descriptor names a
 * user codec by its id. */
static tgm_error unknown_compression(const tgm_descriptor *d, bool need_codec) {
    const tgm_val *idv = tgm__desc_param(d, TGM_USER_CODEC_ID_KEY);
    if (!need_codec && idv != NULL && idv->kind == TGM_V_INT && !idv->neg &&
        idv->num.u >= TGM_CODEC_ID_USER_MIN && idv->num.u <= TGM_CODEC_ID_USER_MAX) {
        return TGM_ERROR_OK;
    }
    return tgm__fail(TGM_ERROR_ENCODING,
                     "unknown compression: %s (expected one of: %s); compression \"%s\" is not "
                     "registered as a user codec",
                     d->compression, tgm__codec_all_names(), d->compression);
}

/* What the codec's entry says it accepts: the values themselves (no
 * encoding or filter before it), and which dtypes. */
static tgm_error check_fits(const tgm_codec *codec, const tgm_descriptor *d, const tgm_plan *p) {
    const char *c = d->compression;
    char dbg[16];
    if (codec->flags & TGM_CODEC_VALUES) {
        TGM_RETURN_IF(p->encoding != TGM_ENC_NONE, TGM_ERROR_ENCODING,
                      "compression \"%s\" cannot follow encoding \"%s\": it compresses "
                      "float64 values, not packed integers",
                      c, d->encoding);
        TGM_RETURN_IF(p->filter != TGM_FIL_NONE, TGM_ERROR_ENCODING,
                      "compression \"%s\" cannot follow filter \"%s\": it needs the float64 "
                      "values unshuffled",
                      c, d->filter);
    }
    if (codec->dtypes != 0 && (codec->dtypes & TGM_DTYPE_BIT(d->dtype)) == 0) {
        char names[160];
        size_t o = 0;
        names[0] = '\0';
        for (int t = 0; t < TGM_DT_COUNT && o < sizeof names; t++) {
            if (codec->dtypes & TGM_DTYPE_BIT(t)) {
                o += (size_t)snprintf(names + o, sizeof names - o, "%s%s", o ? "|" : "",
                                      tgm__dtype_name((tgm_dtype)t));
            }
        }
        return tgm__fail(TGM_ERROR_ENCODING,
                         "compression \"%s\" only supports dtype=%s, got dtype=%s", c, names,
                         tgm__dtype_debug_name(d->dtype, dbg));
    }
    return TGM_ERROR_OK;
}

/* The stream the codec is handed, from the steps before it. */
static void stream_facts(const tgm_descriptor *d, tgm_plan *p) {
    tgm_codec_stream *s = &p->cp.stream;
    s->dtype = d->dtype;
    s->big_endian = d->big_endian;
    s->n = d->num_elements;
    s->ndim = d->nshape;
    s->shape = d->shape;
    s->packed = p->encoding == TGM_ENC_SIMPLE_PACKING;
    size_t ts;
    if (s->packed) {
        s->sample_bits = p->sp.bits_per_value;
        ts = p->container_bytes ? p->container_bytes : (p->sp.bits_per_value + 7) / 8;
    } else if (p->filter == TGM_FIL_SHUFFLE) {
        s->sample_bits = 8;
        ts = 1;
    } else {
        s->sample_bits = (uint32_t)(p->width * 8);
        ts = p->width;
    }
    s->typesize = ts ? ts : 1;
}

static tgm_error resolve(const tgm_descriptor *d, bool need_codec, tgm_plan *p) {
    char dbg[16];
    memset(p, 0, sizeof *p);
    p->dtype = d->dtype;
    p->big_endian = d->big_endian;
    p->n = d->num_elements;
    p->width = tgm__dtype_width(d->dtype);
    p->swap_unit = tgm__dtype_swap_unit(d->dtype);
    TGM_RETURN_IF(d->num_elements_overflow, TGM_ERROR_METADATA, "shape product overflow");

    /* No encoding, filter or compression (most small objects): nothing to
     * look up, and both sizes are the payload size.  The same plan and the
     * same error as the general path below ("none" is never in the codec
     * table: tgm__codec_lookup answers NULL for it). */
    if (is_none(d->encoding) && is_none(d->filter) && is_none(d->compression)) {
        uint64_t bytes;
        p->compression = d->compression;
        p->cp.name = d->compression;
        p->cp.threads = 1;
        TGM_RETURN_IF(tgm__dtype_payload_size(d->dtype, d->num_elements, &bytes) ||
                          bytes > SIZE_MAX,
                      TGM_ERROR_METADATA, "decoded size of %llu elements overflows",
                      (unsigned long long)d->num_elements);
        p->encoded_size = (size_t)bytes;
        p->decoded_size = (size_t)bytes;
        p->cp.stream.size = p->encoded_size;
        return TGM_ERROR_OK;
    }

    /* encoding */
    if (eq(d->encoding, "none")) {
        p->encoding = TGM_ENC_NONE;
    } else if (eq(d->encoding, "simple_packing")) {
        TGM_RETURN_IF(d->dtype != TGM_DT_FLOAT64, TGM_ERROR_ENCODING,
                      "simple_packing only supports float64 dtype; got %s",
                      tgm__dtype_debug_name(d->dtype, dbg));
        p->encoding = TGM_ENC_SIMPLE_PACKING;
        TGM_TRY(sp_params(d, &p->sp));
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

    /* compression: the codec table knows the rest */
    p->compression = d->compression;
    p->cp.name = d->compression;
    p->cp.threads = 1;
    const tgm_codec *codec = tgm__codec_lookup(d->compression);
    if (codec == NULL && !eq(d->compression, "none")) {
        TGM_TRY(unknown_compression(d, need_codec));
    } else if (codec != NULL) {
        TGM_TRY(check_fits(codec, d, p));
        /* Packed values of odd widths, one per whole-byte container, the
         * way GRIB2's CCSDS packing does; the reference hands libaec a tight
         * bit stream for those widths and cannot read it back
         * (docs/pipeline.md "szip and odd bit widths"). */
        if ((codec->flags & TGM_CODEC_BYTE_SAMPLES) && p->encoding == TGM_ENC_SIMPLE_PACKING &&
            p->sp.bits_per_value % 8 != 0) {
            p->container_bytes = (p->sp.bits_per_value + 7) / 8;
        }
        stream_facts(d, p);
        if (codec->parse != NULL) {
            tgm_codec_keys keys = tgm__plan_keys(d);
            TGM_TRY(codec->parse(&keys, &p->cp));
        }
        TGM_RETURN_IF(!tgm__codec_built(codec) && need_codec, TGM_ERROR_COMPRESSION,
                      "%s is not built in", d->compression);
        p->codec = tgm__codec_built(codec) ? codec : NULL;
    }

    /* Stage sizes: encoded (after the encoding step) = filtered size. */
    uint64_t bytes;
    if (p->encoding == TGM_ENC_NONE) {
        TGM_RETURN_IF(tgm__dtype_payload_size(d->dtype, d->num_elements, &bytes) ||
                          bytes > SIZE_MAX,
                      TGM_ERROR_METADATA, "decoded size of %llu elements overflows",
                      (unsigned long long)d->num_elements);
        p->encoded_size = (size_t)bytes;
    } else {
        TGM_RETURN_IF(d->num_elements > SIZE_MAX, TGM_ERROR_METADATA, "too many values");
        TGM_TRY(tgm__sp_packed_size((size_t)d->num_elements, p->sp.bits_per_value,
                                    p->container_bytes, &p->encoded_size));
    }
    TGM_RETURN_IF(tgm__dtype_payload_size(d->dtype, d->num_elements, &bytes) || bytes > SIZE_MAX,
                  TGM_ERROR_METADATA, "decoded size of %llu elements overflows",
                  (unsigned long long)d->num_elements);
    p->decoded_size = (size_t)bytes;
    if (p->filter == TGM_FIL_SHUFFLE) {
        TGM_TRY(tgm__shuffle_check(p->encoded_size, p->shuffle_element_size));
    }
    p->cp.stream.size = p->encoded_size;
    return TGM_ERROR_OK;
}
