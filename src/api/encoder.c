/* Encoder handles (tgm_encoder_*): metadata and descriptors read once,
 * then many messages (message/encode.c's templates). */
#include <string.h>

#include "api/api.h"
#include "cbor/cbor.h"
#include "common/alloc.h"
#include "json/json.h"

#define V(x) ((const tgm_val *)(const void *)(x))

struct tgm_encoder_t {
    tgm_msg_template *t;
    size_t n;
};

static tgm_error create(tgm_api_encode_args *a, const tgm_encode_options *options,
                        tgm_encoder_t **out) {
    TGM_TRY(tgm__api_encode_args_from_options(options, a));
    tgm_arena arena = TGM_ARENA_INIT;
    tgm_global_meta meta;
    tgm_descriptor *descs = NULL;
    size_t n = 0;
    tgm_msg_encode_opts mo;
    tgm_encoder_t *enc = NULL;
    tgm_error err = TGM_ERROR_OK;
    if (a->metadata_root != NULL && !tgm__val_deeper_than(a->metadata_root, 1024)) {
        /* The encoder keeps what it reads: its own copy of the document. */
        a->metadata_root = tgm__val_clone(&arena, a->metadata_root);
        if (a->metadata_root == NULL) {
            err = tgm__oom(0, "encoder metadata");
        }
    }
    if (err == TGM_ERROR_OK) {
        err = tgm__api_encode_prepare(a, &arena, &meta, &descs, &n, &mo);
    }
    if (err == TGM_ERROR_OK) {
        enc = tgm__calloc(1, sizeof *enc);
        err = enc != NULL ? tgm__msg_template_new(&arena, &meta, descs, n, &mo, &enc->t)
                          : tgm__oom(sizeof *enc, "encoder");
    }
    tgm__arena_free(&arena); /* empty when the template took it */
    if (err != TGM_ERROR_OK) {
        tgm__free(enc);
        return err;
    }
    enc->n = n;
    *out = enc;
    return TGM_ERROR_OK;
}

tgm_error tgm_encoder_create(const char *metadata_json, const tgm_encode_options *options,
                             tgm_encoder_t **out) {
    tgm__clear_error();
    TGM_API_REQUIRE(metadata_json != NULL && out != NULL, "null argument");
    tgm_api_encode_args a = {.metadata_json = metadata_json};
    return create(&a, options, out);
}

tgm_error tgm_encoder_create_doc(const tgm_json_t *metadata, const tgm_encode_options *options,
                                 tgm_encoder_t **out) {
    tgm__clear_error();
    TGM_API_REQUIRE(metadata != NULL && out != NULL, "null argument");
    tgm_api_encode_args a = {.metadata_root = V(tgm_json_root(metadata))};
    return create(&a, options, out);
}

void tgm_encoder_free(tgm_encoder_t *enc) {
    if (enc != NULL) {
        tgm__msg_template_free(enc->t);
        tgm__free(enc);
    }
}

size_t tgm_encoder_num_objects(const tgm_encoder_t *enc) { return enc != NULL ? enc->n : 0; }

static tgm_error check_call(const tgm_encoder_t *enc, const uint8_t *const *data_ptrs,
                            const size_t *data_lens, size_t num_objects) {
    TGM_RETURN_IF(num_objects != enc->n, TGM_ERROR_INVALID_ARG,
                  "descriptors array length %zu does not match num_objects %zu", enc->n,
                  num_objects);
    return tgm__api_check_data(data_ptrs, data_lens, num_objects);
}

tgm_error tgm_encoder_encode(tgm_encoder_t *enc, const uint8_t *const *data_ptrs,
                             const size_t *data_lens, size_t num_objects, tgm_bytes_t *out) {
    tgm__clear_error();
    TGM_API_REQUIRE(enc != NULL && out != NULL, "null argument");
    TGM_TRY(check_call(enc, data_ptrs, data_lens, num_objects));
    tgm_buf b = TGM_BUF_INIT;
    tgm_error e = tgm__msg_template_encode(enc->t, data_ptrs, data_lens, &b);
    if (e != TGM_ERROR_OK) {
        tgm__buf_free(&b);
        return e;
    }
    tgm__api_bytes_from_buf(&b, out);
    return TGM_ERROR_OK;
}

tgm_error tgm_encoder_encode_into(tgm_encoder_t *enc, const uint8_t *const *data_ptrs,
                                  const size_t *data_lens, size_t num_objects, uint8_t *dst,
                                  size_t dst_capacity, size_t *out_len) {
    tgm__clear_error();
    TGM_API_REQUIRE(enc != NULL && out_len != NULL && (dst != NULL || dst_capacity == 0),
                    "null argument");
    TGM_TRY(check_call(enc, data_ptrs, data_lens, num_objects));
    tgm_buf b = tgm__buf_over(dst, dst_capacity);
    tgm_error e = tgm__msg_template_encode(enc->t, data_ptrs, data_lens, &b);
    if (e == TGM_ERROR_OK) {
        *out_len = b.len;
    } else if (b.needed > 0) {
        *out_len = b.needed;
    }
    return e;
}

/* ---- changing values between messages ---------------------------------------------------- */

static tgm_error set(tgm_encoder_t *enc, size_t object, const char *key, const tgm_val *v) {
    TGM_API_REQUIRE(enc != NULL && key != NULL, "null argument");
    size_t klen = strlen(key);
    TGM_API_REQUIRE(klen == 0 || tgm__utf8_invalid_at((const uint8_t *)key, klen) == klen,
                    "key is not valid UTF-8");
    return tgm__msg_template_set(enc->t, object == TGM_ENCODER_EXTRA ? SIZE_MAX : object, key, klen,
                                 v);
}

tgm_error tgm_encoder_set_i64(tgm_encoder_t *enc, size_t object, const char *key, int64_t value) {
    tgm__clear_error();
    tgm_val v;
    memset(&v, 0, sizeof v);
    tgm__val_set_int(&v, value);
    return set(enc, object, key, &v);
}

tgm_error tgm_encoder_set_f64(tgm_encoder_t *enc, size_t object, const char *key, double value) {
    tgm__clear_error();
    tgm_val v;
    memset(&v, 0, sizeof v);
    tgm__val_set_float(&v, value);
    return set(enc, object, key, &v);
}

tgm_error tgm_encoder_set_string(tgm_encoder_t *enc, size_t object, const char *key,
                                 const char *value, size_t len) {
    tgm__clear_error();
    TGM_API_REQUIRE(value != NULL || len == 0, "null argument");
    TGM_API_REQUIRE(len == 0 || tgm__utf8_invalid_at((const uint8_t *)value, len) == len,
                    "string is not valid UTF-8");
    tgm_val v;
    memset(&v, 0, sizeof v);
    v.kind = TGM_V_TEXT;
    v.len = len;
    v.p.str = len ? value : ""; /* copied by the template */
    return set(enc, object, key, &v);
}

tgm_error tgm_encoder_set_value(tgm_encoder_t *enc, size_t object, const char *key,
                                const tgm_value_t *value) {
    tgm__clear_error();
    TGM_API_REQUIRE(value != NULL, "null argument");
    tgm_arena a = TGM_ARENA_INIT;
    const tgm_val *norm;
    tgm_error e = tgm__json_doc_normalise(&a, V(value), &norm);
    if (e == TGM_ERROR_OK) {
        e = set(enc, object, key, norm);
    }
    tgm__arena_free(&a);
    return e;
}
