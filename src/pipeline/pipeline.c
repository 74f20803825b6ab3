/* Per-object pipeline: encoding -> filter -> compression and back
 * (docs concepts/pipeline), NaN/Inf masks (WIRE_FORMAT §6.5) and partial
 * decode (§10.3). */
#include <string.h>

#include "codecs/user.h"
#include "common/alloc.h"
#include "common/checked.h"
#include "common/endian.h"
#include "common/error.h"
#include "masks/masks.h"
#include "pipeline/pipeline.h"
#include "pipeline/plan.h"

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

tgm_error tgm__pipeline_check(const tgm_descriptor *d) {
    tgm_plan p;
    return tgm__plan_resolve(d, &p);
}

/* ---- descriptor parameters -------------------------------------------------- */

static tgm_val *set_param(tgm_arena *a, tgm_val *params, const char *key, const tgm_val *v) {
    return params ? tgm__section_set(a, params, key, v) : NULL;
}

static tgm_val *drop_param(tgm_arena *a, tgm_val *params, const char *key) {
    if (params == NULL || tgm__val_map_get(params, key) == NULL) {
        return params;
    }
    tgm_val *m = tgm__val_map(a, params->len);
    if (m == NULL) {
        return NULL;
    }
    size_t j = 0;
    for (size_t i = 0; i < params->len; i++) {
        if (!tgm__val_is_text(tgm__val_map_key(params, i), key)) {
            m->p.items[2 * j] = *tgm__val_map_key(params, i);
            m->p.items[2 * j + 1] = *tgm__val_map_value(params, i);
            j++;
        }
    }
    m->len = j;
    return m;
}

/* Parameters minus every block-offset key (the encoder records its own). */
static tgm_val *drop_offsets(tgm_arena *a, tgm_val *params) {
    for (size_t i = 0; i < tgm__codec_count() && params != NULL; i++) {
        char kb[64];
        const char *key = tgm__codec_offsets_key(tgm__codec_at(i), kb, sizeof kb);
        if (key != NULL) {
            params = drop_param(a, params, key);
        }
    }
    return params;
}

/* A registered user codec's id goes on the wire with its name, unless
 * the caller gave it (include/tensogram/codec.h). */
static tgm_error user_codec_id(tgm_arena *a, const char *compression, tgm_val **params) {
    tgm_codec_info info;
    if (tgm__codec_lookup(compression) != &tgm__codec_user ||
        !tgm__ucodec_lookup(compression, &info) ||
        tgm__val_map_get(*params, TGM_USER_CODEC_ID_KEY) != NULL) {
        return TGM_ERROR_OK;
    }
    tgm_val v;
    tgm__val_set_uint(&v, info.id);
    tgm_val *m = tgm__section_set(a, *params, TGM_USER_CODEC_ID_KEY, &v);
    if (m == NULL) {
        return tgm__oom(64, "parameters");
    }
    *params = m;
    return TGM_ERROR_OK;
}

/* A block-offset codec's offsets from the descriptor's `key` (an array of
 * non-negative integers), in arena a. */
static tgm_error read_offsets(tgm_arena *a, const tgm_val *v, const char *key, uint64_t **out,
                              size_t *n) {
    TGM_RETURN_IF(v->kind != TGM_V_ARRAY, TGM_ERROR_METADATA, "%s must be an array, got %s", key,
                  tgm__cbor_kind(v));
    uint64_t *o = tgm__arena_alloc(a, (v->len ? v->len : 1) * sizeof(uint64_t));
    if (o == NULL) {
        return tgm__oom(v->len * 8, "block offsets");
    }
    for (size_t i = 0; i < v->len; i++) {
        const tgm_val *e = &v->p.items[i];
        TGM_RETURN_IF(e->kind != TGM_V_INT, TGM_ERROR_METADATA,
                      "%s[%zu] must be an integer, got %s", key, i, tgm__cbor_kind(e));
        TGM_RETURN_IF(e->neg, TGM_ERROR_METADATA, "%s[%zu] is negative", key, i);
        o[i] = e->num.u;
    }
    *out = o;
    *n = v->len;
    return TGM_ERROR_OK;
}

/* Pre-encoded payloads: block offsets the caller supplies belong to the
 * descriptor's codec and must describe the payload. */
static tgm_error check_given_offsets(tgm_arena *a, const tgm_descriptor *in, size_t len) {
    const tgm_codec *own = tgm__codec_lookup(in->compression);
    for (size_t i = 0; i < tgm__codec_count(); i++) {
        const tgm_codec *c = tgm__codec_at(i);
        char kb[64];
        const char *key = tgm__codec_offsets_key(c, kb, sizeof kb);
        const tgm_val *v = key != NULL ? tgm__desc_param(in, key) : NULL;
        if (v == NULL) {
            continue;
        }
        TGM_RETURN_IF(c != own, TGM_ERROR_METADATA, "%s provided but compression is '%s', not '%s'",
                      key, in->compression, c->name);
        uint64_t *o;
        size_t n;
        TGM_TRY(read_offsets(a, v, key, &o, &n));
        TGM_TRY(tgm__codec_check_offsets(c, o, n, len));
    }
    return TGM_ERROR_OK;
}

/* Offsets from a descriptor for range decode. */
static tgm_error descriptor_offsets(tgm_arena *a, const tgm_descriptor *d, const tgm_codec *c,
                                    uint64_t **out, size_t *n) {
    char kb[64];
    const char *key = tgm__codec_offsets_key(c, kb, sizeof kb);
    const tgm_val *v = tgm__desc_param(d, key);
    TGM_RETURN_IF(v == NULL, TGM_ERROR_COMPRESSION,
                  "missing %s in payload metadata (required for partial range decode)", key);
    return read_offsets(a, v, key, out, n);
}

/* Validate the masks sub-map of a descriptor (method names and params). */
static tgm_error check_mask_descs(const tgm_descriptor *d) {
    for (int k = 0; k < TGM_DESC_MASKS; k++) {
        const tgm_mask_desc *m = &d->masks[k];
        if (!m->present) {
            continue;
        }
        TGM_TRY(
            tgm__mask_check_descriptor((tgm_mask_kind)k, m->method, strlen(m->method), NULL, 0));
        if (m->params != NULL) {
            for (size_t i = 0; i < m->params->len; i++) {
                const tgm_val *key = tgm__val_map_key(m->params, i);
                TGM_TRY(tgm__mask_check_descriptor((tgm_mask_kind)k, m->method, strlen(m->method),
                                                   key->p.str, key->len));
            }
        }
    }
    return TGM_ERROR_OK;
}

/* The "masks" sub-map for the entries written by tgm__masks_append_region
 * (offsets already relative to the payload region). */
static tgm_error masks_val(tgm_arena *a, const tgm_mask_entry e[TGM_MASK_KINDS], tgm_val **out) {
    size_t n = 0;
    for (int k = 0; k < TGM_MASK_KINDS; k++) {
        n += e[k].present;
    }
    tgm_val *m = tgm__val_map(a, n);
    if (m == NULL) {
        return tgm__oom(n, "masks");
    }
    size_t j = 0;
    for (int k = 0; k < TGM_MASK_KINDS; k++) {
        if (!e[k].present) {
            continue;
        }
        const tgm_mask_method *mm = &e[k].method;
        size_t np = 0;
        if (mm->codec == TGM_MASK_CODEC_ZSTD && mm->zstd_level_set) {
            np = 1;
        } else if (mm->codec == TGM_MASK_CODEC_BLOSC2) {
            np = 2;
        }
        tgm_val *entry = tgm__val_map(a, 3 + (np > 0));
        if (entry == NULL) {
            return tgm__oom(64, "masks");
        }
        const char *meth = tgm__mask_codec_name(mm->codec);
        const char *kname = tgm__mask_kind_key((tgm_mask_kind)k);
        if (tgm__val_set_text(a, &m->p.items[2 * j], kname, strlen(kname)) != 0 ||
            tgm__val_set_text(a, &entry->p.items[0], "method", 6) != 0 ||
            tgm__val_set_text(a, &entry->p.items[1], meth, strlen(meth)) != 0 ||
            tgm__val_set_text(a, &entry->p.items[2], "offset", 6) != 0 ||
            tgm__val_set_text(a, &entry->p.items[4], "length", 6) != 0) {
            return tgm__oom(64, "masks");
        }
        tgm__val_set_uint(&entry->p.items[3], e[k].offset);
        tgm__val_set_uint(&entry->p.items[5], e[k].length);
        if (np > 0) {
            tgm_val *params = tgm__val_map(a, np);
            if (params == NULL || tgm__val_set_text(a, &entry->p.items[6], "params", 6) != 0) {
                return tgm__oom(64, "masks");
            }
            if (mm->codec == TGM_MASK_CODEC_ZSTD) {
                if (tgm__val_set_text(a, &params->p.items[0], "level", 5) != 0) {
                    return tgm__oom(64, "masks");
                }
                tgm__val_set_int(&params->p.items[1], mm->zstd_level);
            } else {
                const char *cn = tgm__blosc2_inner_name(mm->blosc2_codec);
                if (tgm__val_set_text(a, &params->p.items[0], "codec", 5) != 0 ||
                    tgm__val_set_text(a, &params->p.items[1], cn, strlen(cn)) != 0 ||
                    tgm__val_set_text(a, &params->p.items[2], "level", 5) != 0) {
                    return tgm__oom(64, "masks");
                }
                tgm__val_set_int(&params->p.items[3], mm->blosc2_level);
            }
            entry->p.items[7] = *params;
        }
        m->p.items[2 * j + 1] = *entry;
        j++;
    }
    *out = m;
    return TGM_ERROR_OK;
}

/* ---- encode ------------------------------------------------------------------------- */

/* True when compute_sp will derive the parameters from the data (and so
 * read every value): sp_bits_per_value given and above 0, reference value
 * and binary scale factor not given. */
static bool sp_params_computed(const tgm_descriptor *in) {
    uint64_t bits = 0;
    if (tgm__desc_param(in, "sp_reference_value") != NULL ||
        tgm__desc_param(in, "sp_binary_scale_factor") != NULL ||
        tgm__desc_param(in, "sp_bits_per_value") == NULL ||
        tgm__param_u64(in, "sp_bits_per_value", &bits) != TGM_ERROR_OK) {
        tgm__clear_error();
        return false;
    }
    return bits > 0 && bits <= 64;
}

static tgm_error compute_sp(tgm_arena *a, const tgm_descriptor *in, const uint8_t *data, size_t len,
                            uint32_t threads, tgm_val **params) {
    if (tgm__desc_param(in, "sp_bits_per_value") == NULL) {
        return tgm__fail(TGM_ERROR_METADATA,
                         "simple_packing requires sp_bits_per_value (the encoder can "
                         "auto-compute sp_reference_value + sp_binary_scale_factor from the "
                         "data, but the bit-width and decimal scale are the user knobs).  "
                         "Provide at least sp_bits_per_value, or the full explicit 4-key set.");
    }
    bool has_ref = tgm__desc_param(in, "sp_reference_value") != NULL;
    bool has_bsf = tgm__desc_param(in, "sp_binary_scale_factor") != NULL;
    if (has_ref != has_bsf) {
        const char *set = has_ref ? "sp_reference_value" : "sp_binary_scale_factor";
        const char *missing = has_ref ? "sp_binary_scale_factor" : "sp_reference_value";
        return tgm__fail(TGM_ERROR_METADATA,
                         "simple_packing: descriptor sets %s but not %s.  Provide both for "
                         "explicit-params encoding, or neither to let the encoder auto-compute "
                         "them from the data.",
                         set, missing);
    }
    tgm_val v;
    if (has_ref && has_bsf) {
        if (tgm__desc_param(in, "sp_decimal_scale_factor") == NULL) {
            tgm__val_set_int(&v, 0);
            *params = set_param(a, *params, "sp_decimal_scale_factor", &v);
        }
        return *params ? TGM_ERROR_OK : tgm__oom(64, "parameters");
    }
    uint64_t bits;
    int64_t dsf;
    TGM_TRY(tgm__param_u64(in, "sp_bits_per_value", &bits));
    TGM_RETURN_IF(bits > UINT32_MAX, TGM_ERROR_METADATA, "sp_bits_per_value out of u32 range");
    TGM_TRY(tgm__param_i64_or(in, "sp_decimal_scale_factor", 0, &dsf));
    TGM_RETURN_IF(dsf < INT32_MIN || dsf > INT32_MAX, TGM_ERROR_METADATA,
                  "sp_decimal_scale_factor out of i32 range");
    TGM_RETURN_IF(len % 8 != 0, TGM_ERROR_ENCODING,
                  "byte-to-f64 input length %zu is not a multiple of 8", len);
    tgm_sp_params sp;
    TGM_TRY(tgm__sp_compute_params(data, in->big_endian, len / 8, (uint32_t)bits, (int32_t)dsf,
                                   threads, &sp));
    tgm__val_set_float(&v, sp.reference_value);
    *params = set_param(a, *params, "sp_reference_value", &v);
    tgm__val_set_int(&v, sp.binary_scale_factor);
    *params = set_param(a, *params, "sp_binary_scale_factor", &v);
    tgm__val_set_int(&v, sp.decimal_scale_factor);
    *params = set_param(a, *params, "sp_decimal_scale_factor", &v);
    tgm__val_set_uint(&v, sp.bits_per_value);
    *params = set_param(a, *params, "sp_bits_per_value", &v);
    return *params ? TGM_ERROR_OK : tgm__oom(64, "parameters");
}

/* Payloads smaller than this are compressed into an owned buffer even when
 * the caller lends their place in the message (tgm_encode_opts.slot). */
#define SLOT_MIN_BYTES ((size_t)1 << 16)

/* The NaN / Inf rejection run by a codec on its input as it reads it
 * (TGM_CODEC_INSPECTS): stateless, so any thread may call it. */
typedef struct finite_check {
    tgm_dtype dtype;
    int big_endian;
} finite_check;

static int reject_nonfinite(void *ctx, const uint8_t *p, size_t n) {
    const finite_check *c = ctx;
    return tgm__masks_any_nonfinite(c->dtype, c->big_endian, p, n) ? 1 : 0;
}

/* Run encoding -> filter -> compression on `src` (raw values).  `insp`:
 * the finite check for the codec to run on its input (which is then
 * `src` itself), or NULL. */
static tgm_error run_encode(const tgm_plan *p, const uint8_t *src, size_t len, uint32_t threads,
                            const tgm_codec_inspect *insp, const tgm_encode_opts *o,
                            tgm_encoded_obj *out, tgm_u64vec *offsets) {
    tgm_error err = TGM_ERROR_OK;
    uint8_t *stage1 = NULL, *stage2 = NULL;
    const uint8_t *cur = src;
    size_t cur_len = len;
    tgm_codec_params cp = p->cp;
    cp.threads = threads;
    cp.inspect = insp;

    if (p->encoding == TGM_ENC_SIMPLE_PACKING) {
        stage1 = tgm__malloc(p->encoded_size);
        TGM_FAIL_IF(stage1 == NULL, TGM_ERROR_ENCODING, "out of memory for %zu packed bytes",
                    p->encoded_size);
        TGM_CHECK(tgm__sp_encode(src, p->big_endian, (size_t)p->n, &p->sp, p->container_bytes,
                                 stage1, p->encoded_size, threads));
        cur = stage1;
        cur_len = p->encoded_size;
    }
    if (p->filter == TGM_FIL_SHUFFLE) {
        stage2 = tgm__malloc(cur_len);
        TGM_FAIL_IF(stage2 == NULL, TGM_ERROR_ENCODING, "out of memory for %zu bytes", cur_len);
        TGM_CHECK(tgm__shuffle(cur, cur_len, p->shuffle_element_size, stage2, threads));
        cur = stage2;
    }
    if (p->codec != NULL) {
        const uint8_t *in = cur;
        uint8_t *swapped = NULL;
        if ((p->codec->flags & TGM_CODEC_HOST_ORDER) && p->big_endian != TGM_HOST_BIG_ENDIAN &&
            p->swap_unit > 1) {
            /* The codec compresses host-order values (zfp). */
            swapped = tgm__malloc(cur_len);
            TGM_FAIL_IF(swapped == NULL, TGM_ERROR_ENCODING, "out of memory");
            memcpy(swapped, cur, cur_len);
            tgm__byteswap(swapped, cur_len / p->swap_unit, p->swap_unit);
            in = swapped;
        }
        /* Straight into the message when the caller lends the payload's
         * place (worth it for large payloads only: the slot costs a
         * layout of the message).  Not for user codecs: a second run
         * after a slot too small would call the application's callback
         * twice. */
        tgm_buf *slot = NULL;
        if (o->slot != NULL && cur_len >= SLOT_MIN_BYTES && p->codec != &tgm__codec_user) {
            slot = o->slot(o->slot_ctx, out, cur_len + cur_len / 64 + 4096);
        }
        if (slot != NULL) {
            err = p->codec->compress(&cp, in, cur_len, slot, offsets);
            if (err == TGM_ERROR_OK) {
                tgm__free(swapped);
                out->payload = slot->data;
                out->payload_len = slot->len;
                out->in_slot = true;
                goto cleanup;
            }
            if (slot->needed == 0) {
                tgm__free(swapped);
                goto cleanup;
            }
            /* The slot is too small: an owned buffer after all. */
            tgm__clear_error();
            err = TGM_ERROR_OK;
            if (offsets != NULL) {
                offsets->n = 0;
            }
        }
        err = p->codec->compress(&cp, in, cur_len, &out->owned, offsets);
        tgm__free(swapped);
        if (err != TGM_ERROR_OK) {
            goto cleanup;
        }
        out->payload = out->owned.data ? out->owned.data : (const uint8_t *)"";
        out->payload_len = out->owned.len;
    } else if (cur == src) {
        out->payload = src; /* passthrough: copied once, into the frame */
        out->payload_len = len;
    } else {
        /* take ownership of the last stage buffer */
        uint8_t *own = (cur == stage2) ? stage2 : stage1;
        if (own == stage2) {
            stage2 = NULL;
        } else {
            stage1 = NULL;
        }
        out->owned.data = own;
        out->owned.len = out->owned.cap = cur_len;
        out->payload = own;
        out->payload_len = cur_len;
    }
cleanup:
    tgm__free(stage1);
    tgm__free(stage2);
    return err;
}

tgm_error tgm__pipeline_encode(tgm_arena *a, const tgm_descriptor *in, const uint8_t *data,
                               size_t len, const tgm_encode_opts *o, tgm_encoded_obj *out) {
    tgm_error err = TGM_ERROR_OK;
    uint8_t *subst = NULL;
    tgm_mask_set masks;
    tgm_u64vec offsets = TGM_U64VEC_INIT;
    bool codec_checks = false; /* the codec rejects NaN / Inf as it reads the input */
    tgm__mask_set_init(&masks, 0);
    memset(out, 0, sizeof *out);

    TGM_CHECK(tgm__desc_check_shape(in));
    size_t raw_size = 0;
    TGM_CHECK(tgm__pipeline_decoded_size(in, &raw_size));
    /* The stored form of an encoding-none object is the raw values only when
     * it is neither compressed nor followed by mask blobs. */
    bool size_known = !o->pre_encoded || strcmp(in->encoding, "none") == 0;
    if (o->stored && (strcmp(in->compression, "none") != 0 || in->has_masks)) {
        size_known = false;
    }
    if (o->stored && in->has_masks) {
        for (int k = 0; k < TGM_DESC_MASKS; k++) {
            const tgm_mask_desc *m = &in->masks[k];
            uint64_t end;
            TGM_FAIL_IF(m->present && (tgm__add_u64(m->offset, m->length, &end) || end > len),
                        TGM_ERROR_METADATA,
                        "mask %s (offset %llu, length %llu) lies outside the %zu-byte payload",
                        k == 0   ? "nan"
                        : k == 1 ? "inf+"
                                 : "inf-",
                        (unsigned long long)m->offset, (unsigned long long)m->length, len);
        }
    }
    if (size_known) {
        if (raw_size != len) {
            if (in->dtype == TGM_DT_BITMASK) {
                err = tgm__fail(TGM_ERROR_METADATA,
                                "data_len %zu does not match expected %zu bytes for bitmask "
                                "(ceil(%llu/8))",
                                len, raw_size, (unsigned long long)in->num_elements);
            } else {
                err = tgm__fail(TGM_ERROR_METADATA,
                                "data_len %zu does not match expected %zu bytes from shape and "
                                "dtype",
                                len, raw_size);
            }
            goto cleanup;
        }
    }
    if (o->pre_encoded) {
        TGM_CHECK(check_mask_descs(in));
    }

    /* Parameters written on the wire: the caller's, minus what the encoder
     * computes itself. */
    tgm_val *params = tgm__desc_params_map(a, in);
    TGM_FAIL_IF(params == NULL, TGM_ERROR_ENCODING, "out of memory for parameters");
    params = drop_param(a, params, "hash"); /* v3 keeps hashes in frame footers */
    const uint8_t *src = data;
    if (!o->pre_encoded) {
        params = drop_offsets(a, params);
        /* NaN / Inf: reject, or substitute and record masks.  A payload
         * that will be copied into the frame unchanged is checked during
         * that copy instead (tgm__pipeline_check_chunk), and one that goes
         * straight into a codec that can inspect its input is checked by
         * that codec as it reads it. */
        bool passthrough = strcmp(in->encoding, "none") == 0 && strcmp(in->filter, "none") == 0 &&
                           strcmp(in->compression, "none") == 0;
        const tgm_codec *direct =
            strcmp(in->encoding, "none") == 0 && strcmp(in->filter, "none") == 0
                ? tgm__codec_lookup(in->compression)
                : NULL;
        codec_checks = direct != NULL && (direct->flags & TGM_CODEC_INSPECTS) &&
                       tgm__dtype_is_float(in->dtype) && !o->allow_nan && !o->allow_inf;
        /* simple_packing computing its own parameters reads every value
         * and stops at a non-finite one, so when nothing is to be
         * substituted that pass is the check (one read of the input
         * fewer); should it fail, the separate check runs first so its
         * message, the reference's, is the one reported. */
        bool sp_checks = strcmp(in->encoding, "simple_packing") == 0 &&
                         in->dtype == TGM_DT_FLOAT64 && !o->allow_nan && !o->allow_inf &&
                         len >= 8 && sp_params_computed(in);
        if (tgm__dtype_is_float(in->dtype) && passthrough && !o->allow_nan && !o->allow_inf) {
            out->check_finite_on_copy = true;
        } else if (tgm__dtype_is_float(in->dtype) && !sp_checks && !codec_checks) {
            TGM_CHECK(tgm__masks_scan_substitute(in->dtype, in->big_endian, data, len, o->allow_nan,
                                                 o->allow_inf, o->threads, &subst, &masks));
            if (subst != NULL) {
                src = subst;
            }
        }
        if (strcmp(in->encoding, "simple_packing") == 0) {
            char dbg[16];
            TGM_FAIL_IF(in->dtype != TGM_DT_FLOAT64, TGM_ERROR_ENCODING,
                        "simple_packing only supports float64 dtype; got %s",
                        tgm__dtype_debug_name(in->dtype, dbg));
            /* Parameters come from the original values: substituted zeros
             * would distort them (and a NaN is reported, as the reference does). */
            if (compute_sp(a, in, data, len, o->threads, &params) != TGM_ERROR_OK) {
                if (sp_checks) {
                    TGM_CHECK(tgm__masks_scan_substitute(in->dtype, in->big_endian, data, len,
                                                         false, false, o->threads, &subst, &masks));
                }
                TGM_CHECK(compute_sp(a, in, data, len, o->threads, &params));
            }
        }
    } else {
        TGM_CHECK(check_given_offsets(a, in, len));
    }
    TGM_CHECK(user_codec_id(a, in->compression, &params));

    /* The final descriptor, then the plan from it. */
    tgm_val *dv;
    tgm_descriptor fd;
    TGM_CHECK(tgm__desc_build(
        a, in, params,
        (o->pre_encoded && in->has_masks) ? tgm__val_map_get(in->map, "masks") : NULL, &dv, &fd));
    tgm_plan plan;
    if (o->stored) {
        TGM_CHECK(tgm__plan_resolve_any_codec(&fd, &plan)); /* never run: bytes are copied */
    } else {
        TGM_CHECK(tgm__plan_resolve(&fd, &plan));
        if (plan.codec != NULL && plan.codec->validate != NULL) {
            TGM_CHECK(plan.codec->validate(&plan.cp));
        }
    }

    if (o->pre_encoded) {
        out->payload = len ? data : (const uint8_t *)"";
        out->payload_len = len;
    } else {
        finite_check fc = {in->dtype, in->big_endian};
        tgm_codec_inspect insp = {reject_nonfinite, &fc, tgm__dtype_width(in->dtype)};
        out->desc_val = dv; /* for the slot's layout */
        out->desc = fd;
        err =
            run_encode(&plan, src, len, o->threads, codec_checks ? &insp : NULL, o, out, &offsets);
        if (err == TGM_ERROR_ENCODING && codec_checks &&
            tgm__masks_any_nonfinite(in->dtype, in->big_endian, data, len)) {
            /* Rejected by the codec's check: the full scan reports the
             * first offending element as the reference does. */
            tgm__encoded_obj_free(out);
            memset(out, 0, sizeof *out);
            err = tgm__masks_scan_substitute(in->dtype, in->big_endian, data, len, false, false,
                                             o->threads, &subst, &masks);
            if (err == TGM_ERROR_OK) {
                err = tgm__fail(TGM_ERROR_ENCODING, "non-finite value in the payload");
            }
        }
        if (err != TGM_ERROR_OK) {
            goto cleanup;
        }
        if (subst != NULL && out->payload == subst) {
            /* passthrough of the substituted copy: keep it alive */
            out->owned.data = subst;
            out->owned.len = out->owned.cap = len;
            subst = NULL;
        }
        bool rebuild = false;
        char kb[64];
        const char *okey = tgm__codec_offsets_key(plan.codec, kb, sizeof kb);
        if (okey != NULL) {
            tgm_val *arr = tgm__val_array(a, offsets.n);
            TGM_FAIL_IF(arr == NULL, TGM_ERROR_ENCODING, "out of memory for %s", okey);
            for (size_t i = 0; i < offsets.n; i++) {
                tgm__val_set_uint(&arr->p.items[i], offsets.v[i]);
            }
            params = set_param(a, params, okey, arr);
            TGM_FAIL_IF(params == NULL, TGM_ERROR_ENCODING, "out of memory for parameters");
            rebuild = true;
        }
        tgm_val *mv = NULL;
        if (!tgm__mask_set_empty(&masks)) {
            tgm_mask_method methods[TGM_MASK_KINDS];
            for (int k = 0; k < TGM_MASK_KINDS; k++) {
                TGM_CHECK(tgm__mask_method_parse(o->mask_method[k], &methods[k]));
            }
            tgm_mask_entry entries[TGM_MASK_KINDS];
            uint64_t threshold =
                o->small_mask_threshold < 0 ? 128 : (uint64_t)o->small_mask_threshold;
            TGM_CHECK(tgm__masks_append_region(&masks, methods, threshold, &out->masks, entries));
            for (int k = 0; k < TGM_MASK_KINDS; k++) {
                entries[k].offset += out->payload_len;
            }
            TGM_CHECK(masks_val(a, entries, &mv));
            rebuild = true;
        }
        if (rebuild) {
            TGM_CHECK(tgm__desc_build(a, in, params, mv, &dv, &fd));
        }
    }
    out->desc_val = dv;
    out->desc = fd;

cleanup:
    if (err != TGM_ERROR_OK) {
        tgm__encoded_obj_free(out);
        out->check_finite_on_copy = false;
        out->in_slot = false;
    }
    tgm__free(subst);
    tgm__mask_set_free(&masks);
    tgm__u64vec_free(&offsets);
    return err;
}

/* ---- decode ----------------------------------------------------------------------- */

static bool has_any_mask(const tgm_descriptor *d) {
    return d->masks[0].present || d->masks[1].present || d->masks[2].present;
}

static bool is_none(const char *s) {
    return s[0] == 'n' && s[1] == 'o' && s[2] == 'n' && s[3] == 'e' && s[4] == '\0';
}

bool tgm__pipeline_plain(const tgm_descriptor *d) {
    return !d->num_elements_overflow && is_none(d->encoding) && is_none(d->filter) &&
           is_none(d->compression);
}

tgm_error tgm__pipeline_decode_masks(const tgm_descriptor *d, const uint8_t *region,
                                     size_t region_len, tgm_mask_set *set) {
    tgm__mask_set_init(set, d->num_elements);
    if (!has_any_mask(d)) {
        return TGM_ERROR_OK;
    }
    tgm_mask_ref refs[TGM_MASK_KINDS];
    for (int k = 0; k < TGM_MASK_KINDS; k++) {
        const tgm_mask_desc *m = &d->masks[k];
        refs[k].present = m->present;
        refs[k].method = m->present ? m->method : "";
        refs[k].method_len = m->present ? strlen(m->method) : 0;
        refs[k].offset = m->offset;
        refs[k].length = m->length;
    }
    return tgm__masks_decode_region(refs, region, region_len, d->num_elements, set);
}

tgm_error tgm__pipeline_decode(const tgm_descriptor *d, const uint8_t *payload, size_t plen,
                               const uint8_t *region, size_t region_len, const tgm_decode_opts *o,
                               uint8_t *dst, size_t dst_len) {
    /* The usual small object (no encoding, filter, compression or masks,
     * sizes that agree): a copy, byte-swapped if asked.  Everything else,
     * every error included, takes the general path below. */
    uint64_t plain;
    if (tgm__pipeline_plain(d) && !has_any_mask(d) &&
        !tgm__dtype_payload_size(d->dtype, d->num_elements, &plain) && plain == dst_len &&
        plain == plen) {
        bool out_big = o->native_byte_order ? TGM_HOST_BIG_ENDIAN : d->big_endian;
        size_t unit = tgm__dtype_swap_unit(d->dtype);
        if (plen > 0) {
            memcpy(dst, payload, plen);
        }
        if (out_big != d->big_endian && unit > 1) {
            tgm__byteswap(dst, plen / unit, unit);
        }
        return TGM_ERROR_OK;
    }
    tgm_error err = TGM_ERROR_OK;
    tgm_plan p;
    uint8_t *tmp = NULL, *tmp2 = NULL;
    tgm_mask_set set;
    tgm__mask_set_init(&set, 0);
    TGM_TRY(tgm__plan_resolve(d, &p));
    TGM_RETURN_IF(dst_len != p.decoded_size, TGM_ERROR_ENCODING,
                  "output buffer of %zu bytes for %zu decoded bytes", dst_len, p.decoded_size);
    bool out_big = o->native_byte_order ? TGM_HOST_BIG_ENDIAN : d->big_endian;
    tgm_codec_params cp = p.cp;
    cp.threads = o->threads ? o->threads : 1;
    bool host_order = p.codec != NULL && (p.codec->flags & TGM_CODEC_HOST_ORDER);

    /* 1. decompress into the encoded (filtered) stream */
    const uint8_t *stream = payload;
    if (p.codec == NULL) {
        TGM_TRY(tgm__plan_check_plain_payload(&p, d->encoding, plen));
    } else {
        bool direct = p.filter == TGM_FIL_NONE && p.encoding == TGM_ENC_NONE;
        uint8_t *target = direct ? dst : (tmp = tgm__malloc(p.encoded_size));
        TGM_FAIL_IF(target == NULL, TGM_ERROR_ENCODING, "out of memory for %zu bytes",
                    p.encoded_size);
        TGM_CHECK(p.codec->decompress(&cp, payload, plen, target, p.encoded_size));
        stream = target;
        if (host_order && out_big != TGM_HOST_BIG_ENDIAN && p.swap_unit > 1) {
            tgm__byteswap(target, p.encoded_size / p.swap_unit, p.swap_unit);
        }
    }
    /* 2. unshuffle */
    if (p.filter == TGM_FIL_SHUFFLE) {
        uint8_t *target = p.encoding == TGM_ENC_NONE ? dst : (tmp2 = tgm__malloc(p.encoded_size));
        TGM_FAIL_IF(target == NULL, TGM_ERROR_ENCODING, "out of memory for %zu bytes",
                    p.encoded_size);
        TGM_CHECK(
            tgm__unshuffle(stream, p.encoded_size, p.shuffle_element_size, target, cp.threads));
        stream = target;
    }
    /* 3. decode values */
    if (p.encoding == TGM_ENC_SIMPLE_PACKING) {
        TGM_CHECK(tgm__sp_decode(stream, p.encoded_size, (size_t)p.n, &p.sp, p.container_bytes, dst,
                                 out_big, cp.threads));
    } else {
        if (stream != dst && p.decoded_size > 0) {
            memcpy(dst, stream, p.decoded_size);
        }
        if (!host_order && out_big != d->big_endian && p.swap_unit > 1) {
            tgm__byteswap(dst, p.decoded_size / p.swap_unit, p.swap_unit);
        }
    }
    /* 4. NaN / Inf restoration */
    if (o->restore_non_finite && has_any_mask(d)) {
        TGM_CHECK(tgm__pipeline_decode_masks(d, region, region_len, &set));
        TGM_CHECK(tgm__masks_restore(dst, d->dtype, out_big, &set, 0, p.n));
    }
cleanup:
    if (tmp != NULL || tmp2 != NULL) {
        tgm__free(tmp);
        tgm__free(tmp2);
    }
    if (set.bits[0] != NULL || set.bits[1] != NULL || set.bits[2] != NULL) { /* mostly none */
        tgm__mask_set_free(&set);
    }
    return err;
}

tgm_error tgm__pipeline_decode_range(const tgm_descriptor *d, const uint8_t *payload, size_t plen,
                                     const uint8_t *region, size_t region_len,
                                     const tgm_decode_opts *o, uint64_t offset, uint64_t count,
                                     uint8_t *dst) {
    tgm_error err = TGM_ERROR_OK;
    tgm_plan p;
    tgm_arena a = TGM_ARENA_INIT;
    uint8_t *tmp = NULL;
    tgm_mask_set set;
    tgm__mask_set_init(&set, 0);
    TGM_RETURN_IF(strcmp(d->filter, "none") != 0, TGM_ERROR_ENCODING,
                  "decode_range is not supported when a filter (e.g. shuffle) is applied");
    TGM_RETURN_IF(d->dtype == TGM_DT_BITMASK, TGM_ERROR_ENCODING,
                  "partial range decode not supported for bitmask dtype");
    TGM_TRY(tgm__plan_resolve(d, &p));
    uint64_t end;
    TGM_RETURN_IF(tgm__add_u64(offset, count, &end) || end > p.n, TGM_ERROR_OBJECT,
                  "range (offset=%llu, count=%llu) exceeds the object's %llu elements",
                  (unsigned long long)offset, (unsigned long long)count, (unsigned long long)p.n);
    if (count == 0) {
        return TGM_ERROR_OK;
    }
    bool out_big = o->native_byte_order ? TGM_HOST_BIG_ENDIAN : d->big_endian;
    bool host_order = p.codec != NULL && (p.codec->flags & TGM_CODEC_HOST_ORDER);
    tgm_codec_params cp = p.cp;
    cp.threads = o->threads ? o->threads : 1;

    /* byte range of the encoded stream */
    uint64_t bstart, bend;
    uint64_t bit_in_first = 0;
    if (p.encoding == TGM_ENC_NONE) {
        bstart = offset * p.width;
        bend = end * p.width;
    } else if (p.container_bytes) {
        bstart = offset * p.container_bytes;
        bend = end * p.container_bytes;
    } else {
        uint64_t bits = p.sp.bits_per_value;
        uint64_t b0, b1;
        TGM_RETURN_IF(tgm__mul_u64(offset, bits, &b0) || tgm__mul_u64(end, bits, &b1),
                      TGM_ERROR_ENCODING, "bit range overflow");
        bstart = b0 / 8;
        bend = (b1 + 7) / 8;
        bit_in_first = b0 % 8;
    }
    size_t nbytes = (size_t)(bend - bstart);
    const uint8_t *bytes;
    if (p.codec == NULL) {
        TGM_TRY(tgm__plan_check_plain_payload(&p, d->encoding, plen));
        bytes = payload + bstart;
    } else {
        TGM_FAIL_IF(p.codec->decompress_range == NULL, TGM_ERROR_COMPRESSION,
                    "range decode not supported for this compressor (%s); decode the whole "
                    "object instead",
                    p.compression);
        uint64_t *offs = NULL;
        size_t noffs = 0;
        if (p.codec->flags & TGM_CODEC_BLOCK_OFFSETS) {
            TGM_CHECK(descriptor_offsets(&a, d, p.codec, &offs, &noffs));
        }
        tmp = tgm__malloc(nbytes);
        TGM_FAIL_IF(tmp == NULL, TGM_ERROR_ENCODING, "out of memory for %zu bytes", nbytes);
        TGM_CHECK(p.codec->decompress_range(&cp, payload, plen, offs, noffs, bstart, nbytes, tmp));
        if (host_order && out_big != TGM_HOST_BIG_ENDIAN && p.swap_unit > 1) {
            tgm__byteswap(tmp, nbytes / p.swap_unit, p.swap_unit);
        }
        bytes = tmp;
    }
    if (p.encoding == TGM_ENC_SIMPLE_PACKING) {
        TGM_CHECK(tgm__sp_decode_range(bytes, nbytes, bit_in_first, (size_t)count, &p.sp,
                                       p.container_bytes, dst, out_big));
    } else {
        memcpy(dst, bytes, nbytes);
        if (!host_order && out_big != d->big_endian && p.swap_unit > 1) {
            tgm__byteswap(dst, nbytes / p.swap_unit, p.swap_unit);
        }
    }
    if (o->restore_non_finite && has_any_mask(d)) {
        TGM_CHECK(tgm__pipeline_decode_masks(d, region, region_len, &set));
        TGM_CHECK(tgm__masks_restore(dst, d->dtype, out_big, &set, offset, count));
    }
cleanup:
    tgm__free(tmp);
    tgm__mask_set_free(&set);
    tgm__arena_free(&a);
    return err;
}

tgm_error tgm__pipeline_check_chunk(const tgm_encoded_obj *o, const uint8_t *chunk, size_t n) {
    if (!o->check_finite_on_copy ||
        !tgm__masks_any_nonfinite(o->desc.dtype, o->desc.big_endian, chunk, n)) {
        return TGM_ERROR_OK;
    }
    /* Rare path: the full scan reports the first offending element. */
    uint8_t *subst = NULL;
    tgm_mask_set set;
    tgm_error e = tgm__masks_scan_substitute(o->desc.dtype, o->desc.big_endian, o->payload,
                                             o->payload_len, false, false, 1, &subst, &set);
    tgm__free(subst);
    tgm__mask_set_free(&set);
    return e != TGM_ERROR_OK ? e : tgm__fail(TGM_ERROR_ENCODING, "non-finite value in the payload");
}
