/* Registered user codecs in the pipeline: resolution, the descriptor side
 * (user_codec_id, parameters as JSON) and the shared codec table. */
#include "pipeline/user_codec.h"

#include <string.h>

#include "codecs/user.h"
#include "common/error.h"
#include "json/json.h"

/* ---- resolution ----------------------------------------------------------- */

/* The item size the codec is told about: what blosc2 would use. */
static size_t stream_typesize(const tgm_plan *p) {
    size_t ts;
    if (p->encoding == TGM_ENC_SIMPLE_PACKING) {
        ts = p->container_bytes ? p->container_bytes : (p->sp.bits_per_value + 7) / 8;
    } else if (p->filter == TGM_FIL_SHUFFLE) {
        ts = 1;
    } else {
        ts = p->width;
    }
    return ts ? ts : 1;
}

tgm_error tgm__user_codec_plan(const tgm_descriptor *d, bool need_codec, tgm_plan *p) {
    const char *c = d->compression;
    tgm_codec_info info;
    const tgm_val *idv = tgm__desc_param(d, TGM_USER_CODEC_ID_KEY);
    if (!tgm__ucodec_lookup(c, &info)) {
        if (!need_codec && idv != NULL && idv->kind == TGM_V_INT && !idv->neg &&
            idv->num.u >= TGM_CODEC_ID_USER_MIN && idv->num.u <= TGM_CODEC_ID_USER_MAX) {
            p->codec = NULL;
            return TGM_ERROR_OK;
        }
        return tgm__fail(TGM_ERROR_ENCODING,
                         "unknown compression: %s (expected one of: %s); compression \"%s\" is "
                         "not registered as a user codec",
                         c, tgm__codec_all_names(), c);
    }
    if (idv != NULL) {
        bool ok = idv->kind == TGM_V_INT && !idv->neg && idv->num.u == info.id;
        if (!ok && idv->kind == TGM_V_INT && !idv->neg) {
            return tgm__fail(TGM_ERROR_METADATA,
                             "compression \"%s\": the descriptor's " TGM_USER_CODEC_ID_KEY
                             " is %llu but the registered codec \"%s\" has id %u (a different "
                             "codec with the same name?)",
                             c, (unsigned long long)idv->num.u, info.name, info.id);
        }
        TGM_RETURN_IF(!ok, TGM_ERROR_METADATA,
                      "compression \"%s\": " TGM_USER_CODEC_ID_KEY
                      " must be a non-negative integer, got %s",
                      c, tgm__cbor_kind(idv));
    }
    p->codec = &tgm__codec_user;
    p->cp.user_name = c;
    p->cp.user_desc = d;
    p->cp.user_typesize = stream_typesize(p);
    return TGM_ERROR_OK;
}

tgm_error tgm__user_codec_encode_params(tgm_arena *a, const char *compression, tgm_val **params) {
    tgm_codec_info info;
    if (tgm__codec_known(compression) || !tgm__ucodec_lookup(compression, &info) ||
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

/* ---- calls ------------------------------------------------------------------ */

/* What a callback is told, with the parameters rendered into `json`. */
static tgm_error describe(const tgm_codec_params *p, tgm_buf *json, tgm_codec_call *call) {
    const tgm_descriptor *d = p->user_desc;
    tgm_arena a = TGM_ARENA_INIT;
    tgm_error err = TGM_ERROR_OK;
    tgm_val *params = tgm__desc_params_map(&a, d);
    TGM_FAIL_IF(params == NULL, TGM_ERROR_ENCODING, "out of memory for codec parameters");
    TGM_CHECK(tgm__json_write(params, TGM_JSON_COMPACT, json));
    TGM_CHECK(tgm__buf_append_u8(json, 0));
    memset(call, 0, sizeof *call);
    call->threads = p->threads;
    call->params_json = (const char *)json->data;
    call->params_json_len = json->len - 1;
    call->dtype = tgm__dtype_name(d->dtype);
    call->big_endian = d->big_endian;
    call->ndim = d->nshape;
    call->shape = d->shape;
    call->typesize = p->user_typesize;
cleanup:
    tgm__arena_free(&a);
    return err;
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
    tgm_ucodec *c = tgm__ucodec_acquire(p->user_name);
    if (c == NULL) {
        return not_registered(p->user_name);
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
            call.decoded_size = p->user_stream_size;
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

const tgm_codec tgm__codec_user = {"user", user_compress, user_decompress, user_decompress_range};

tgm_error tgm__user_codec_validate(const tgm_plan *p) {
    if (p->codec != &tgm__codec_user) {
        return TGM_ERROR_OK;
    }
    op_args x = {NULL, 0, NULL, NULL, 0, 0, 0};
    return run(&p->cp, OP_VALIDATE, &x);
}
