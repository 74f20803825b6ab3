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
    if (msg->d.meta_bytes.cbor != NULL) {
        return tgm__api_metadata_new_bytes(&msg->d.meta_bytes, out);
    }
    return tgm__api_metadata_new(&msg->d.meta, out);
}

struct tgm_lazy_descs {
    tgm_arena arena;
    size_t n;
    const tgm_val **maps;
    _Atomic(char *) *json; /* tgm__malloc'd, each published on its own */
};

void tgm__api_lazy_descs_free(tgm_lazy_descs *l) {
    if (l == NULL) {
        return;
    }
    for (size_t i = 0; i < l->n; i++) {
        tgm__free(atomic_load_explicit(&l->json[i], memory_order_relaxed));
    }
    tgm__arena_free(&l->arena);
    tgm__free(l);
}

/* Every object's descriptor map, built on first use (NULL on
 * out-of-memory). */
static tgm_lazy_descs *lazy_descs(const tgm_message_t *msg) {
    union {
        const tgm_message_t *c;
        tgm_message_t *m;
    } u;
    u.c = msg;
    tgm_message_t *m = u.m;
    tgm_lazy_descs *l = atomic_load_explicit(&m->descs, memory_order_acquire);
    if (l != NULL) {
        return l;
    }
    size_t n = m->d.nobj;
    l = tgm__calloc(1, sizeof *l);
    if (l == NULL) {
        return NULL;
    }
    l->maps = tgm__arena_calloc(&l->arena, n ? n : 1, sizeof *l->maps);
    l->json = tgm__arena_calloc(&l->arena, n ? n : 1, sizeof *l->json);
    bool ok = l->maps != NULL && l->json != NULL;
    if (ok) {
        for (size_t i = 0; i < n; i++) {
            atomic_init(&l->json[i], NULL);
        }
        l->n = n;
    }
    for (size_t i = 0; ok && i < n; i++) {
        l->maps[i] = tgm__desc_map(&l->arena, &m->d.objs[i].desc);
        ok = l->maps[i] != NULL;
    }
    tgm_lazy_descs *expected = NULL;
    if (!ok) {
        tgm__api_lazy_descs_free(l);
        return NULL;
    }
    if (!atomic_compare_exchange_strong_explicit(&m->descs, &expected, l, memory_order_acq_rel,
                                                 memory_order_acquire)) {
        tgm__api_lazy_descs_free(l); /* another thread published first */
        return expected;
    }
    return l;
}

const tgm_value_t *tgm_object_descriptor(const tgm_message_t *msg, size_t index) {
    const tgm_decoded_obj *o = obj(msg, index);
    if (o == NULL) {
        return NULL;
    }
    const tgm_lazy_descs *l = lazy_descs(msg);
    return l != NULL ? (const tgm_value_t *)(const void *)l->maps[index] : NULL;
}

const char *tgm_object_descriptor_json(const tgm_message_t *msg, size_t index) {
    const tgm_decoded_obj *o = obj(msg, index);
    if (o == NULL) {
        return NULL;
    }
    tgm_lazy_descs *l = lazy_descs(msg);
    if (l == NULL) {
        return NULL;
    }
    char *s = atomic_load_explicit(&l->json[index], memory_order_acquire);
    if (s != NULL) {
        return s;
    }
    tgm_buf b = TGM_BUF_INIT;
    if (tgm__json_write(l->maps[index], TGM_JSON_COMPACT, &b) == TGM_ERROR_OK) {
        s = tgm__malloc(b.len + 1);
        if (s != NULL) {
            memcpy(s, b.data, b.len);
            s[b.len] = '\0';
        }
    }
    tgm__buf_free(&b);
    if (s == NULL) {
        return NULL;
    }
    char *expected = NULL;
    if (!atomic_compare_exchange_strong_explicit(&l->json[index], &expected, s,
                                                 memory_order_acq_rel, memory_order_acquire)) {
        tgm__free(s);
        return expected;
    }
    return s;
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
