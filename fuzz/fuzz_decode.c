/* tgm_decode on arbitrary bytes, then every accessor of the result.  A
 * message that decodes must also decode object by object (through its
 * index when it has one, and that index is consistent) to the same bytes,
 * and its descriptors and metadata must be readable on their own. */
#include "fuzz.h"

static void walk_value(const tgm_value_t *v, int depth) {
    if (v == NULL || depth > 8) {
        return;
    }
    switch (tgm_value_get_type(v)) {
    case TGM_VALUE_TYPE_ARRAY:
        for (size_t i = 0; i < tgm_value_array_len(v) && i < 16; i++) {
            walk_value(tgm_value_array_get(v, i), depth + 1);
        }
        break;
    case TGM_VALUE_TYPE_MAP:
        for (size_t i = 0; i < tgm_value_map_len(v) && i < 16; i++) {
            size_t kl;
            (void)tgm_value_map_key_at(v, i, &kl);
            walk_value(tgm_value_map_value_at(v, i), depth + 1);
        }
        break;
    case TGM_VALUE_TYPE_STRING: {
        size_t n;
        const char *s = tgm_value_as_string(v, &n);
        fz_touch(s, n);
        break;
    }
    case TGM_VALUE_TYPE_BYTES: {
        size_t n;
        const uint8_t *s = tgm_value_as_bytes(v, &n);
        fz_touch(s, n);
        break;
    }
    default: {
        double d;
        int64_t i;
        uint64_t u;
        bool b;
        (void)tgm_value_as_f64(v, &d);
        (void)tgm_value_as_i64(v, &i);
        (void)tgm_value_as_u64(v, &u);
        (void)tgm_value_as_bool(v, &b);
    }
    }
}

static void walk_metadata(const tgm_message_t *m) {
    tgm_metadata_t *md = NULL;
    if (tgm_message_metadata(m, &md) != TGM_ERROR_OK) {
        return;
    }
    const char *j = tgm_metadata_to_json(md);
    if (j != NULL) {
        fz_touch(j, strlen(j));
    }
    for (size_t i = 0; i < tgm_metadata_num_objects(md) && i < 4; i++) {
        j = tgm_metadata_object_to_json(md, i);
        if (j != NULL) {
            fz_touch(j, strlen(j));
        }
        walk_value(tgm_metadata_object(md, i), 0);
        (void)tgm_metadata_get_string_at(md, i, "mars.param");
    }
    walk_value(tgm_metadata_extra(md), 0);
    walk_value(tgm_metadata_reserved(md), 0);
    (void)tgm_metadata_get_string(md, "mars.param");
    (void)tgm_metadata_get_int(md, "version", 0);
    (void)tgm_metadata_get_float(md, "extra.x", 0.0);
    tgm_metadata_free(md);
}

/* No index_* issue in a validation report of the message. */
static int index_consistent(const uint8_t *data, size_t size) {
    tgm_bytes_t r = {NULL, 0};
    if (tgm_validate(data, size, "default", 0, &r) != TGM_ERROR_OK) {
        return 0;
    }
    static const char code[] = "\"code\":\"index_";
    int ok = 1;
    for (size_t i = 0; ok && i + sizeof code - 1 <= r.len; i++) {
        ok = memcmp(r.data + i, code, sizeof code - 1) != 0;
    }
    tgm_bytes_free(r);
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fz_init();
    tgm_message_t *m = NULL;
    if (tgm_decode(data, size, 1, 1, 0, &m) != TGM_ERROR_OK) {
        return 0;
    }
    size_t n = tgm_message_num_objects(m);
    for (size_t i = 0; i < n; i++) {
        uint64_t nd = tgm_object_ndim(m, i);
        const uint64_t *shape = tgm_object_shape(m, i);
        const uint64_t *strides = tgm_object_strides(m, i);
        if (nd > 0) {
            fz_touch(shape, nd * sizeof *shape);
            fz_touch(strides, nd * sizeof *strides);
        }
        FZ_REQUIRE(tgm_object_dtype(m, i) != NULL);
        (void)tgm_object_type(m, i);
        (void)tgm_object_byte_order(m, i);
        (void)tgm_payload_encoding(m, i);
        (void)tgm_object_filter(m, i);
        (void)tgm_object_compression(m, i);
        (void)tgm_object_hash_value(m, i);
        const char *dj = tgm_object_descriptor_json(m, i);
        FZ_REQUIRE(dj != NULL);
        size_t len = 0;
        const uint8_t *d = tgm_object_data(m, i, &len);
        fz_touch(d, len);
    }
    walk_metadata(m);

    /* The same message through the other entry points. */
    tgm_message_t *desc = NULL;
    FZ_REQUIRE(tgm_decode_descriptors(data, size, &desc) == TGM_ERROR_OK);
    FZ_REQUIRE(tgm_message_num_objects(desc) == n);
    tgm_message_free(desc);
    tgm_metadata_t *md = NULL;
    FZ_REQUIRE(tgm_decode_metadata(data, size, &md) == TGM_ERROR_OK);
    tgm_metadata_free(md);
    /* tgm_decode_object goes through the index frame (O(1)); the frame
     * walk of tgm_decode ignores it.  They must agree whenever the index
     * agrees with the frames, which validation checks. */
    int index_ok = index_consistent(data, size);
    for (size_t i = 0; index_ok && i < n && i < 8; i++) {
        tgm_message_t *one = NULL;
        FZ_REQUIRE(tgm_decode_object(data, size, i, 1, 1, 0, &one) == TGM_ERROR_OK);
        size_t l1 = 0, l2 = 0;
        const uint8_t *d1 = tgm_object_data(m, i, &l1);
        const uint8_t *d2 = tgm_object_data(one, 0, &l2);
        FZ_REQUIRE(l1 == l2 && (l1 == 0 || memcmp(d1, d2, l1) == 0));
        tgm_message_free(one);
    }
    /* Hash verification: success, or a hash error naming an object. */
    tgm_message_t *h = NULL;
    tgm_error e = tgm_decode(data, size, 0, 2, 1, &h);
    FZ_REQUIRE(e == TGM_ERROR_OK || e == TGM_ERROR_HASH_MISMATCH || e == TGM_ERROR_MISSING_HASH);
    tgm_message_free(h);
    tgm_message_free(m);
    return 0;
}
