/* tgm_decode_metadata on arbitrary bytes, then lookups and JSON views of
 * the result.  Lookup paths come from the front of the input. */
#include "fuzz.h"

static void walk(const tgm_value_t *v, int depth) {
    if (v == NULL || depth > 16) {
        return;
    }
    size_t n;
    switch (tgm_value_get_type(v)) {
    case TGM_VALUE_TYPE_ARRAY:
        for (size_t i = 0; i < tgm_value_array_len(v) && i < 64; i++) {
            walk(tgm_value_array_get(v, i), depth + 1);
        }
        break;
    case TGM_VALUE_TYPE_MAP:
        for (size_t i = 0; i < tgm_value_map_len(v) && i < 64; i++) {
            const char *k = tgm_value_map_key_at(v, i, &n);
            fz_touch(k, n);
            walk(tgm_value_map_value_at(v, i), depth + 1);
        }
        break;
    case TGM_VALUE_TYPE_STRING: {
        const char *s = tgm_value_as_string(v, &n);
        fz_touch(s, n);
        break;
    }
    case TGM_VALUE_TYPE_BYTES: {
        const uint8_t *b = tgm_value_as_bytes(v, &n);
        fz_touch(b, n);
        break;
    }
    default: {
        double d;
        int64_t i;
        (void)tgm_value_as_f64(v, &d);
        (void)tgm_value_as_i64(v, &i);
    }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fz_init();
    /* Up to 32 bytes of lookup path, then the message. */
    fz_in in = {data, size};
    size_t plen = fz_u8(&in) % 33;
    if (plen > in.n) {
        plen = in.n;
    }
    char path[40];
    memcpy(path, in.p, plen);
    path[plen] = '\0';
    in.p += plen;
    in.n -= plen;

    tgm_metadata_t *md = NULL;
    if (tgm_decode_metadata(in.p, in.n, &md) != TGM_ERROR_OK) {
        return 0;
    }
    const char *j = tgm_metadata_to_json(md);
    FZ_REQUIRE(j != NULL);
    fz_touch(j, strlen(j));
    size_t nobj = tgm_metadata_num_objects(md);
    for (size_t i = 0; i < nobj && i < 8; i++) {
        j = tgm_metadata_object_to_json(md, i);
        FZ_REQUIRE(j != NULL);
        fz_touch(j, strlen(j));
        walk(tgm_metadata_object(md, i), 0);
        const char *s = tgm_metadata_get_string_at(md, i, path);
        if (s != NULL) {
            fz_touch(s, strlen(s));
        }
        (void)tgm_metadata_get_int_at(md, i, path, 0);
        (void)tgm_metadata_get_float_at(md, i, path, 0.0);
        (void)tgm_metadata_has_at(md, i, path);
        walk(tgm_metadata_get_at(md, i, path), 0);
    }
    FZ_REQUIRE(tgm_metadata_object(md, nobj) == NULL);
    walk(tgm_metadata_extra(md), 0);
    walk(tgm_metadata_reserved(md), 0);
    const char *s = tgm_metadata_get_string(md, path);
    if (s != NULL) {
        fz_touch(s, strlen(s));
    }
    (void)tgm_metadata_get_int(md, path, 0);
    (void)tgm_metadata_get_float(md, path, 0.0);
    bool has = tgm_metadata_has(md, path);
    const tgm_value_t *v = tgm_metadata_get(md, path);
    FZ_REQUIRE(has == (v != NULL));
    walk(v, 0);
    (void)tgm_metadata_version(md);
    tgm_metadata_free(md);
    return 0;
}
