/* The codec table entry shared by every registered user codec
 * (include/tensogram/codec.h): it resolves the registered codec by name at
 * each call, holds a reference for the duration of the callback and
 * describes the object to it (the descriptor's parameters as JSON, dtype,
 * shape, item size).  Nothing is held between calls: a codec unregistered
 * after the parameters were read fails the call as "not registered". */
#include <string.h>

#include "codecs/codec.h"
#include "codecs/user.h"
#include "common/error.h"

/* The parameters are read at call time, through the keys kept here. */
typedef struct user_params {
    tgm_codec_keys keys;
} user_params;

/* The registered codec of this name, whose id the descriptor's
 * user_codec_id (when present) must match. */
static tgm_error user_parse(const tgm_codec_keys *k, tgm_codec_params *p) {
    const char *c = p->name;
    tgm_codec_info info;
    TGM_RETURN_IF(!tgm__ucodec_lookup(c, &info), TGM_ERROR_ENCODING,
                  "compression \"%s\" is not registered as a user codec", c);
    uint64_t id;
    int has = k->ops->uint_opt(k->src, TGM_USER_CODEC_ID_KEY, &id);
    if (has > 0 && id != info.id) {
        return tgm__fail(TGM_ERROR_METADATA,
                         "compression \"%s\": the descriptor's " TGM_USER_CODEC_ID_KEY
                         " is %llu but the registered codec \"%s\" has id %u (a different "
                         "codec with the same name?)",
                         c, (unsigned long long)id, info.name, info.id);
    }
    TGM_RETURN_IF(has < 0, TGM_ERROR_METADATA,
                  "compression \"%s\": " TGM_USER_CODEC_ID_KEY
                  " must be a non-negative integer, got %s",
                  c, k->ops->kind(k->src, TGM_USER_CODEC_ID_KEY));
    user_params up = {*k};
    TGM_CODEC_OWN_PUT(p, up);
    return TGM_ERROR_OK;
}

/* What a callback is told, with the parameters rendered into `json`. */
static tgm_error describe(const tgm_codec_params *p, tgm_buf *json, tgm_codec_call *call) {
    user_params up;
    TGM_CODEC_OWN_GET(p, up);
    TGM_TRY(up.keys.ops->json(up.keys.src, json));
    TGM_TRY(tgm__buf_append_u8(json, 0));
    memset(call, 0, sizeof *call);
    call->threads = p->threads;
    call->params_json = (const char *)json->data;
    call->params_json_len = json->len - 1;
    call->dtype = tgm__dtype_name(p->stream.dtype);
    call->big_endian = p->stream.big_endian;
    call->ndim = p->stream.ndim;
    call->shape = p->stream.shape;
    call->typesize = p->stream.typesize;
    return TGM_ERROR_OK;
}

static tgm_error not_registered(const char *name) {
    return tgm__fail(TGM_ERROR_ENCODING,
                     "compression \"%s\" is not registered as a user codec (it was unregistered "
                     "during the call)",
                     name);
}

/* Look the codec up, describe the object, run `op`, let go. */
typedef enum { OP_ENCODE, OP_DECODE, OP_RANGE, OP_VALIDATE } user_op;

typedef struct op_args {
    const uint8_t *src;
    size_t n;
    tgm_buf *out;
    uint8_t *dst;
    size_t dst_len;
    uint64_t pos, size;
} op_args;

static tgm_error run(const tgm_codec_params *p, user_op op, const op_args *x) {
    tgm_ucodec *c = tgm__ucodec_acquire(p->name);
    if (c == NULL) {
        return not_registered(p->name);
    }
    tgm_buf json = TGM_BUF_INIT;
    tgm_codec_call call;
    tgm_error err = describe(p, &json, &call);
    if (err == TGM_ERROR_OK) {
        switch (op) {
        case OP_ENCODE:
            err = tgm__ucodec_encode(c, &call, x->src, x->n, x->out);
            break;
        case OP_DECODE:
            err = tgm__ucodec_decode(c, &call, x->src, x->n, x->dst, x->dst_len);
            break;
        case OP_RANGE:
            call.decoded_size = p->stream.size;
            err = tgm__ucodec_decode_range(c, &call, x->src, x->n, x->pos, x->size, x->dst);
            break;
        case OP_VALIDATE:
            err = tgm__ucodec_validate(c, &call);
            break;
        }
    }
    tgm__buf_free(&json);
    tgm__ucodec_release(c);
    return err;
}

static tgm_error user_compress(const tgm_codec_params *p, const uint8_t *src, size_t n,
                               tgm_buf *out, tgm_u64vec *block_offsets) {
    (void)block_offsets;
    op_args x = {src, n, out, NULL, 0, 0, 0};
    return run(p, OP_ENCODE, &x);
}

static tgm_error user_decompress(const tgm_codec_params *p, const uint8_t *src, size_t n,
                                 uint8_t *dst, size_t dst_len) {
    op_args x = {src, n, NULL, dst, dst_len, 0, 0};
    return run(p, OP_DECODE, &x);
}

static tgm_error user_decompress_range(const tgm_codec_params *p, const uint8_t *src, size_t n,
                                       const uint64_t *block_offsets, size_t n_offsets,
                                       uint64_t byte_pos, uint64_t byte_size, uint8_t *dst) {
    (void)block_offsets;
    (void)n_offsets;
    op_args x = {src, n, NULL, dst, 0, byte_pos, byte_size};
    return run(p, OP_RANGE, &x);
}

static tgm_error user_validate(const tgm_codec_params *p) {
    op_args x = {NULL, 0, NULL, NULL, 0, 0, 0};
    return run(p, OP_VALIDATE, &x);
}

const tgm_codec tgm__codec_user = {
    .name = "user",
    .parse = user_parse,
    .validate = user_validate,
    .compress = user_compress,
    .decompress = user_decompress,
    .decompress_range = user_decompress_range,
};
