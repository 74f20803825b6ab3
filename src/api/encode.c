/* tgm_encode, tgm_encode_with_options, tgm_encode_pre_encoded. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "common/alloc.h"
#include "hash/hash.h"
#include "masks/masks.h"
#include "json/json.h"

void tgm__api_bytes_from_buf(tgm_buf *b, tgm_bytes_t *out) {
    size_t n;
    uint8_t *p = tgm__buf_steal(b, &n);
    out->data = p;
    out->len = n;
}

void tgm_bytes_free(tgm_bytes_t buf) { tgm__free(buf.data); }

static tgm_error check_method(const char *m, const char **out) {
    tgm_mask_codec c;
    char names[128];
    if (m == NULL) {
        *out = NULL;
        return TGM_ERROR_OK;
    }
    if (tgm__mask_codec_lookup(m, strlen(m), &c) == 0) {
        *out = tgm__mask_codec_name(c);
        return TGM_ERROR_OK;
    }
    return tgm__fail_raw(TGM_ERROR_INVALID_ARG, "unknown mask method '%s'; expected one of: %s", m,
                         tgm__mask_codec_names(names, sizeof names, ", ", false));
}

const char *tgm_mask_method_name(size_t index) {
    return index < TGM_MASK_CODEC_COUNT ? tgm__mask_codec_name((tgm_mask_codec)index) : NULL;
}

tgm_error tgm__api_mask_options(const TgmEncodeMaskOptions *mo, bool *allow_nan, bool *allow_inf,
                                const char *methods[3], int64_t *threshold) {
    *allow_nan = false;
    *allow_inf = false;
    methods[0] = methods[1] = methods[2] = NULL;
    *threshold = -1;
    if (mo == NULL) {
        return TGM_ERROR_OK;
    }
    *allow_nan = mo->allow_nan;
    *allow_inf = mo->allow_inf;
    TGM_TRY(check_method(mo->nan_mask_method, &methods[0]));
    TGM_TRY(check_method(mo->pos_inf_mask_method, &methods[1]));
    TGM_TRY(check_method(mo->neg_inf_mask_method, &methods[2]));
    *threshold = mo->small_mask_threshold_bytes < 0 ? -1 : (int64_t)mo->small_mask_threshold_bytes;
    return TGM_ERROR_OK;
}

tgm_error tgm__api_encode_opts(const tgm_api_encode_args *args, tgm_msg_encode_opts *mo) {
    if (args->hash_algo != NULL && strcmp(args->hash_algo, "none") != 0 &&
        strcmp(args->hash_algo, TGM_HASH_ALGORITHM) != 0) {
        return tgm__fail_raw(TGM_ERROR_INVALID_ARG,
                             "metadata error: unknown hash type: %s; expected \"xxh3\" or \"none\"",
                             args->hash_algo);
    }
    memset(mo, 0, sizeof *mo); /* padding included: the encode cache compares options bytewise */
    mo->hashing = args->hash_algo != NULL && strcmp(args->hash_algo, TGM_HASH_ALGORITHM) == 0;
    mo->header_hash = args->header_hash;
    mo->footer_hash = args->footer_hash;
    mo->threads = args->threads;
    TGM_TRY(tgm__api_mask_options(args->mask_options, &mo->object.allow_nan, &mo->object.allow_inf,
                                  mo->object.mask_method, &mo->object.small_mask_threshold));
    mo->object.pre_encoded = args->pre_encoded || args->stored;
    mo->object.stored = args->stored;
    return TGM_ERROR_OK;
}

tgm_error tgm__api_encode_prepare(const tgm_api_encode_args *args, tgm_arena *arena,
                                  tgm_global_meta *meta, tgm_descriptor **descs_out,
                                  size_t *ndesc_out, tgm_msg_encode_opts *mo) {
    const tgm_val *root;
    if (args->metadata_root != NULL) {
        TGM_TRY(tgm__json_doc_normalise(arena, args->metadata_root, &root));
    } else {
        tgm_val *parsed;
        TGM_TRY(tgm__json_parse_ex(args->metadata_json, strlen(args->metadata_json),
                                   TGM_JSON_ALLOW_NONFINITE, arena, &parsed));
        root = parsed;
    }
    const tgm_val *dvals;
    TGM_TRY(tgm__gmeta_from_encode_json(arena, root, true, meta, &dvals));
    size_t n = dvals ? dvals->len : 0;
    if (ndesc_out == NULL && n != args->num_objects) {
        return tgm__fail_raw(TGM_ERROR_INVALID_ARG,
                             "descriptors array length %zu does not match num_objects %zu", n,
                             args->num_objects);
    }
    TGM_TRY(tgm__api_encode_opts(args, mo));

    tgm_descriptor *descs = tgm__arena_calloc(arena, n ? n : 1, sizeof *descs);
    TGM_RETURN_IF(descs == NULL, TGM_ERROR_ENCODING, "out of memory for %zu objects", n);
    char where[48] = "descriptors[";
    for (size_t i = 0; i < n; i++) {
        /* "descriptors[i]" for error texts, written by hand (snprintf per
         * descriptor was a visible share of a small message). */
        char digits[24];
        size_t k = 0;
        size_t v = i;
        do {
            digits[k++] = (char)('0' + v % 10);
            v /= 10;
        } while (v > 0);
        size_t at = 12;
        while (k > 0) {
            where[at++] = digits[--k];
        }
        where[at++] = ']';
        where[at] = '\0';
        TGM_TRY(tgm__desc_from_val(arena, &dvals->p.items[i], where, &descs[i]));
    }
    *descs_out = descs;
    if (ndesc_out != NULL) {
        *ndesc_out = n;
    }
    return TGM_ERROR_OK;
}

tgm_error tgm__api_check_data(const uint8_t *const *data_ptrs, const size_t *data_lens, size_t n) {
    if (n > 0 && (data_ptrs == NULL || data_lens == NULL)) {
        return tgm__fail_raw(TGM_ERROR_INVALID_ARG, "null data_ptrs or data_lens");
    }
    for (size_t i = 0; i < n; i++) {
        if (data_ptrs[i] == NULL && data_lens[i] > 0) {
            return tgm__fail_raw(TGM_ERROR_INVALID_ARG, "null data pointer at index %zu", i);
        }
    }
    return TGM_ERROR_OK;
}

/* The C API's JSON and arguments, translated for tgm__msg_encode. */
tgm_error tgm__api_encode(const tgm_api_encode_args *args, tgm_buf *out) {
    tgm_error err = TGM_ERROR_OK;
    /* A small message's trees fit in this (a few KiB): no arena chunk is
     * allocated for them; larger metadata continues on the heap. */
    _Alignas(16) uint8_t first[6144];
    tgm_arena arena = TGM_ARENA_INIT;
    tgm_global_meta meta;
    tgm_descriptor *descs = NULL;
    tgm_msg_encode_opts mo;
    if (args->metadata_json != NULL) {
        bool done = false;
        err = tgm__api_encode_cached(args, out, &done);
        if (done) {
            return err;
        }
    }
    tgm__arena_init_lent(&arena, first, sizeof first);
    TGM_CHECK(tgm__api_encode_prepare(args, &arena, &meta, &descs, NULL, &mo));
    TGM_CHECK(tgm__api_check_data(args->data_ptrs, args->data_lens, args->num_objects));
    TGM_CHECK(tgm__msg_encode(&arena, &meta, descs, args->data_ptrs, args->data_lens,
                              args->num_objects, &mo, out));
cleanup:
    tgm__arena_free(&arena);
    return err;
}

/* tgm__api_encode into library-owned bytes (*out untouched on error). */
static tgm_error encode_to_bytes(const tgm_api_encode_args *a, tgm_bytes_t *out) {
    tgm_buf b = TGM_BUF_INIT;
    tgm_error e = tgm__api_encode(a, &b);
    if (e != TGM_ERROR_OK) {
        tgm__buf_free(&b);
        return e;
    }
    tgm__api_bytes_from_buf(&b, out);
    return TGM_ERROR_OK;
}

static tgm_error encode_entry(const char *metadata_json, const uint8_t *const *data_ptrs,
                              const size_t *data_lens, size_t num_objects, const char *hash_algo,
                              uint32_t threads, const TgmEncodeMaskOptions *mask_options,
                              bool pre_encoded, bool stored, tgm_bytes_t *out) {
    tgm__clear_error();
    TGM_API_REQUIRE(metadata_json != NULL && out != NULL, "null argument");
    tgm_api_encode_args a = {metadata_json, data_ptrs,   data_lens, num_objects, hash_algo, threads,
                             mask_options,  pre_encoded, stored,    true,        false,     NULL};
    return encode_to_bytes(&a, out);
}

tgm_error tgm_encode(const char *metadata_json, const uint8_t *const *data_ptrs,
                     const size_t *data_lens, size_t num_objects, const char *hash_algo,
                     uint32_t threads, tgm_bytes_t *out) {
    return encode_entry(metadata_json, data_ptrs, data_lens, num_objects, hash_algo, threads, NULL,
                        false, false, out);
}

tgm_error tgm_encode_with_options(const char *metadata_json, const uint8_t *const *data_ptrs,
                                  const size_t *data_lens, size_t num_objects,
                                  const char *hash_algo, uint32_t threads,
                                  const TgmEncodeMaskOptions *mask_options, tgm_bytes_t *out) {
    return encode_entry(metadata_json, data_ptrs, data_lens, num_objects, hash_algo, threads,
                        mask_options, false, false, out);
}

tgm_error tgm_encode_pre_encoded(const char *metadata_json, const uint8_t *const *data_ptrs,
                                 const size_t *data_lens, size_t num_objects, const char *hash_algo,
                                 uint32_t threads, tgm_bytes_t *out) {
    return encode_entry(metadata_json, data_ptrs, data_lens, num_objects, hash_algo, threads, NULL,
                        true, false, out);
}

tgm_error tgm_encode_stored(const char *metadata_json, const uint8_t *const *data_ptrs,
                            const size_t *data_lens, size_t num_objects, const char *hash_algo,
                            uint32_t threads, tgm_bytes_t *out) {
    return encode_entry(metadata_json, data_ptrs, data_lens, num_objects, hash_algo, threads, NULL,
                        true, true, out);
}

static tgm_error encode_into(const tgm_api_encode_args *a, uint8_t *dst, size_t dst_capacity,
                             size_t *out_len) {
    tgm_buf b = tgm__buf_over(dst, dst_capacity);
    tgm_error e = tgm__api_encode(a, &b);
    if (e == TGM_ERROR_OK) {
        *out_len = b.len;
    } else if (b.needed > 0) {
        *out_len = b.needed;
    }
    return e;
}

tgm_error tgm_encode_into(const char *metadata_json, const uint8_t *const *data_ptrs,
                          const size_t *data_lens, size_t num_objects, const char *hash_algo,
                          uint32_t threads, const TgmEncodeMaskOptions *mask_options, uint8_t *dst,
                          size_t dst_capacity, size_t *out_len) {
    tgm__clear_error();
    TGM_API_REQUIRE(metadata_json != NULL && out_len != NULL && (dst != NULL || dst_capacity == 0),
                    "null argument");
    tgm_api_encode_args a = {metadata_json, data_ptrs, data_lens, num_objects, hash_algo, threads,
                             mask_options,  false,     false,     true,        false,     NULL};
    return encode_into(&a, dst, dst_capacity, out_len);
}

#define OPT_HAS(o, field) ((o)->size >= offsetof(tgm_encode_options, field) + sizeof((o)->field))

tgm_error tgm__api_encode_args_from_options(const tgm_encode_options *o, tgm_api_encode_args *a) {
    a->hash_algo = NULL;
    a->threads = 0;
    a->mask_options = NULL;
    a->pre_encoded = false;
    a->stored = false;
    a->header_hash = true;
    a->footer_hash = false;
    if (o == NULL) {
        return TGM_ERROR_OK;
    }
    TGM_API_REQUIRE(OPT_HAS(o, hash_algo),
                    "tgm_encode_options.size is too small: initialise the options with "
                    "TGM_ENCODE_OPTIONS_INIT");
    a->hash_algo = o->hash_algo;
    if (OPT_HAS(o, threads)) {
        a->threads = o->threads;
    }
    if (OPT_HAS(o, mask_options)) {
        a->mask_options = o->mask_options;
    }
    if (OPT_HAS(o, aggregate_hash) && o->aggregate_hash != NULL) {
        const char *p = o->aggregate_hash;
        if (strcmp(p, "auto") == 0 || strcmp(p, "header") == 0) {
            a->header_hash = true;
        } else if (strcmp(p, "footer") == 0) {
            a->header_hash = false;
            a->footer_hash = true;
        } else if (strcmp(p, "both") == 0) {
            a->footer_hash = true;
        } else if (strcmp(p, "none") == 0) {
            a->header_hash = false;
        } else {
            return tgm__fail_raw(TGM_ERROR_INVALID_ARG,
                                 "unknown aggregate_hash policy '%s'; expected one of: 'auto', "
                                 "'none', 'header', 'footer', 'both'",
                                 p);
        }
    }
    if (OPT_HAS(o, input)) {
        switch (o->input) {
        case TGM_INPUT_RAW:
            break;
        case TGM_INPUT_PRE_ENCODED:
            a->pre_encoded = true;
            break;
        case TGM_INPUT_STORED:
            a->pre_encoded = true;
            a->stored = true;
            break;
        default:
            return tgm__fail_raw(TGM_ERROR_INVALID_ARG,
                                 "unknown tgm_encode_options.input %d; expected TGM_INPUT_RAW (0), "
                                 "TGM_INPUT_PRE_ENCODED (1) or TGM_INPUT_STORED (2)",
                                 (int)o->input);
        }
    }
    return TGM_ERROR_OK;
}

tgm_error tgm_encode_ex(const char *metadata_json, const uint8_t *const *data_ptrs,
                        const size_t *data_lens, size_t num_objects,
                        const tgm_encode_options *options, tgm_bytes_t *out) {
    tgm__clear_error();
    TGM_API_REQUIRE(metadata_json != NULL && out != NULL, "null argument");
    tgm_api_encode_args a = {.metadata_json = metadata_json,
                             .data_ptrs = data_ptrs,
                             .data_lens = data_lens,
                             .num_objects = num_objects};
    TGM_TRY(tgm__api_encode_args_from_options(options, &a));
    return encode_to_bytes(&a, out);
}

tgm_error tgm_encode_ex_into(const char *metadata_json, const uint8_t *const *data_ptrs,
                             const size_t *data_lens, size_t num_objects,
                             const tgm_encode_options *options, uint8_t *dst, size_t dst_capacity,
                             size_t *out_len) {
    tgm__clear_error();
    TGM_API_REQUIRE(metadata_json != NULL && out_len != NULL && (dst != NULL || dst_capacity == 0),
                    "null argument");
    tgm_api_encode_args a = {.metadata_json = metadata_json,
                             .data_ptrs = data_ptrs,
                             .data_lens = data_lens,
                             .num_objects = num_objects};
    TGM_TRY(tgm__api_encode_args_from_options(options, &a));
    return encode_into(&a, dst, dst_capacity, out_len);
}

/* ---- metadata as a document ------------------------------------------------------------- */

tgm_error tgm_encode_doc(const tgm_json_t *metadata, const uint8_t *const *data_ptrs,
                         const size_t *data_lens, size_t num_objects,
                         const tgm_encode_options *options, tgm_bytes_t *out) {
    tgm__clear_error();
    TGM_API_REQUIRE(metadata != NULL && out != NULL, "null argument");
    tgm_api_encode_args a = {.metadata_json = NULL,
                             .data_ptrs = data_ptrs,
                             .data_lens = data_lens,
                             .num_objects = num_objects};
    TGM_TRY(tgm__api_encode_args_from_options(options, &a));
    a.metadata_root = (const tgm_val *)(const void *)tgm_json_root(metadata);
    return encode_to_bytes(&a, out);
}

tgm_error tgm_encode_doc_into(const tgm_json_t *metadata, const uint8_t *const *data_ptrs,
                              const size_t *data_lens, size_t num_objects,
                              const tgm_encode_options *options, uint8_t *dst, size_t dst_capacity,
                              size_t *out_len) {
    tgm__clear_error();
    TGM_API_REQUIRE(metadata != NULL && out_len != NULL && (dst != NULL || dst_capacity == 0),
                    "null argument");
    tgm_api_encode_args a = {.metadata_json = NULL,
                             .data_ptrs = data_ptrs,
                             .data_lens = data_lens,
                             .num_objects = num_objects};
    TGM_TRY(tgm__api_encode_args_from_options(options, &a));
    a.metadata_root = (const tgm_val *)(const void *)tgm_json_root(metadata);
    return encode_into(&a, dst, dst_capacity, out_len);
}
