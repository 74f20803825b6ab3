/* Accessors of decoded messages. */
#include <string.h>

#include "api/api.h"
#include "common/alloc.h"
#include "json/json.h"

static const tgm_decoded_obj *obj(const tgm_message_t *m, size_t i) {
    return (m != NULL && i < m->d.nobj) ? &m->d.objs[i] : NULL;
}

uint64_t tgm_message_version(const tgm_message_t *msg) { return msg ? TGM_WIRE_VERSION : 0; }

size_t tgm_message_num_objects(const tgm_message_t *msg) { return msg ? msg->d.nobj : 0; }

size_t tgm_message_num_decoded(const tgm_message_t *msg) { return msg ? msg->d.nobj : 0; }

uint64_t tgm_object_ndim(const tgm_message_t *msg, size_t index) {
    const tgm_decoded_obj *o = obj(msg, index);
    return o ? o->desc.ndim : 0;
}

const uint64_t *tgm_object_shape(const tgm_message_t *msg, size_t index) {
    const tgm_decoded_obj *o = obj(msg, index);
    return o ? o->desc.shape : NULL;
}

const uint64_t *tgm_object_strides(const tgm_message_t *msg, size_t index) {
    const tgm_decoded_obj *o = obj(msg, index);
    return o ? o->desc.strides : NULL;
}

const char *tgm_object_dtype(const tgm_message_t *msg, size_t index) {
    const tgm_decoded_obj *o = obj(msg, index);
    return o ? tgm__dtype_name(o->desc.dtype) : NULL;
}

const char *tgm_object_type(const tgm_message_t *msg, size_t index) {
    const tgm_decoded_obj *o = obj(msg, index);
    return o ? o->desc.obj_type : NULL;
}

const char *tgm_object_byte_order(const tgm_message_t *msg, size_t index) {
    const tgm_decoded_obj *o = obj(msg, index);
    return o ? (o->desc.big_endian ? "big" : "little") : NULL;
}

const char *tgm_payload_encoding(const tgm_message_t *msg, size_t index) {
    const tgm_decoded_obj *o = obj(msg, index);
    return o ? o->desc.encoding : NULL;
}

const char *tgm_object_filter(const tgm_message_t *msg, size_t index) {
    const tgm_decoded_obj *o = obj(msg, index);
    return o ? o->desc.filter : NULL;
}

const char *tgm_object_compression(const tgm_message_t *msg, size_t index) {
    const tgm_decoded_obj *o = obj(msg, index);
    return o ? o->desc.compression : NULL;
}

const uint8_t *tgm_object_data(const tgm_message_t *msg, size_t decoded_index, size_t *out_len) {
    const tgm_decoded_obj *o = obj(msg, decoded_index);
    if (o == NULL) {
        if (out_len != NULL) {
            *out_len = 0;
        }
        return NULL;
    }
    if (out_len != NULL) {
        *out_len = o->len;
    }
    return o->data;
}

int32_t tgm_payload_has_hash(const tgm_message_t *msg, size_t index) {
    const tgm_decoded_obj *o = obj(msg, index);
    return (o && o->has_hash) ? 1 : 0;
}

const char *tgm_object_hash_type(const tgm_message_t *msg, size_t index) {
    const tgm_decoded_obj *o = obj(msg, index);
    return (o && o->has_hash) ? "xxh3" : NULL;
}

const char *tgm_object_hash_value(const tgm_message_t *msg, size_t index) {
    const tgm_decoded_obj *o = obj(msg, index);
    return (o && o->has_hash) ? o->hash_hex : NULL;
}

tgm_error tgm_message_metadata(const tgm_message_t *msg, tgm_metadata_t **out) {
    tgm__clear_error();
    TGM_API_REQUIRE(msg != NULL && out != NULL, "null argument");
    return tgm__api_metadata_new(&msg->d.meta, out);
}

const tgm_value_t *tgm_object_descriptor(const tgm_message_t *msg, size_t index) {
    const tgm_decoded_obj *o = obj(msg, index);
    return o != NULL ? (const tgm_value_t *)(const void *)o->desc.map : NULL;
}

const char *tgm_object_descriptor_json(const tgm_message_t *msg, size_t index) {
    const tgm_decoded_obj *o = obj(msg, index);
    if (o == NULL) {
        return NULL;
    }
    union {
        const tgm_message_t *c;
        tgm_message_t *m;
    } u;
    u.c = msg;
    tgm_message_t *m = u.m;
    if (m->desc_json == NULL) {
        m->desc_json = tgm__calloc(m->d.nobj, sizeof *m->desc_json);
        if (m->desc_json == NULL) {
            return NULL;
        }
    }
    if (m->desc_json[index] == NULL) {
        tgm_buf b = TGM_BUF_INIT;
        if (tgm__json_write(o->desc.map, TGM_JSON_COMPACT, &b) == TGM_ERROR_OK) {
            m->desc_json[index] = tgm__arena_strndup(&m->d.arena, (const char *)b.data, b.len);
        }
        tgm__buf_free(&b);
    }
    return m->desc_json[index];
}

const uint8_t *tgm_object_mask(const tgm_message_t *msg, size_t index, int32_t kind,
                               uint64_t *n_bits) {
    const tgm_decoded_obj *o = obj(msg, index);
    const uint8_t *bits = NULL;
    if (o != NULL && kind >= TGM_MASK_KIND_NAN && kind <= TGM_MASK_KIND_NEG_INF) {
        bits = o->masks[kind];
    }
    if (n_bits != NULL) {
        *n_bits = bits != NULL ? o->mask_bits : 0;
    }
    return bits;
}
