/* tgm_encode_fill_*: payloads written in place by the caller
 * (message/encode_fill.c; docs/encode_fill.md). */
#include <stdint.h>

#include "api/api.h"
#include "common/alloc.h"
#include "message/fill.h"

struct tgm_encode_fill_t {
    tgm_msg_fill *f;
};

tgm_error tgm_encode_fill_begin(const char *metadata_json, const tgm_encode_options *options,
                                tgm_encode_fill_t **out) {
    tgm__clear_error();
    TGM_API_REQUIRE(metadata_json != NULL && out != NULL, "null argument");
    tgm_api_encode_args a = {.metadata_json = metadata_json};
    TGM_TRY(tgm__api_encode_args_from_options(options, &a));
    tgm_arena arena = TGM_ARENA_INIT;
    tgm_global_meta meta;
    tgm_descriptor *descs = NULL;
    size_t n = 0;
    tgm_msg_encode_opts mo;
    tgm_encode_fill_t *h = NULL;
    tgm_error err = tgm__api_encode_prepare(&a, &arena, &meta, &descs, &n, &mo);
    if (err == TGM_ERROR_OK) {
        h = tgm__calloc(1, sizeof *h);
        err = h != NULL ? tgm__msg_fill_begin(&arena, &meta, descs, n, &mo, &h->f)
                        : tgm__oom(sizeof *h, "in-place encoder");
    }
    tgm__arena_free(&arena); /* empty when the fill took it */
    if (err != TGM_ERROR_OK) {
        tgm__free(h);
        return err;
    }
    *out = h;
    return TGM_ERROR_OK;
}

size_t tgm_encode_fill_num_objects(const tgm_encode_fill_t *fill) {
    return fill != NULL ? tgm__msg_fill_count(fill->f) : 0;
}

tgm_error tgm_encode_fill_slot(tgm_encode_fill_t *fill, size_t index, void **data, size_t *len) {
    tgm__clear_error();
    TGM_API_REQUIRE(fill != NULL && data != NULL && len != NULL, "null argument");
    uint8_t *p = NULL;
    size_t n = 0;
    TGM_TRY(tgm__msg_fill_slot(fill->f, index, &p, &n));
    *data = p;
    *len = n;
    return TGM_ERROR_OK;
}

tgm_error tgm_encode_fill_commit(tgm_encode_fill_t *fill, size_t index, uint32_t flags) {
    tgm__clear_error();
    TGM_API_REQUIRE(fill != NULL, "null argument");
    return tgm__msg_fill_commit(fill->f, index, flags);
}

tgm_error tgm_encode_fill_commit_range(tgm_encode_fill_t *fill, size_t index, size_t offset,
                                       size_t len, uint32_t flags) {
    tgm__clear_error();
    TGM_API_REQUIRE(fill != NULL, "null argument");
    return tgm__msg_fill_commit_range(fill->f, index, offset, len, flags);
}

tgm_error tgm_encode_fill_copy(tgm_encode_fill_t *fill, size_t index, const void *src, size_t len,
                               uint32_t flags) {
    tgm__clear_error();
    TGM_API_REQUIRE(fill != NULL, "null argument");
    return tgm__msg_fill_copy(fill->f, index, src, len, flags);
}

tgm_error tgm_encode_fill_finish(tgm_encode_fill_t *fill, tgm_bytes_t *out) {
    tgm__clear_error();
    TGM_API_REQUIRE(fill != NULL && out != NULL, "null argument");
    tgm_buf b = TGM_BUF_INIT;
    tgm_error e = tgm__msg_fill_finish(fill->f, &b);
    if (e != TGM_ERROR_OK) {
        tgm__buf_free(&b);
        return e;
    }
    tgm__api_bytes_from_buf(&b, out);
    return TGM_ERROR_OK;
}

void tgm_encode_fill_free(tgm_encode_fill_t *fill) {
    if (fill != NULL) {
        tgm__msg_fill_free(fill->f);
        tgm__free(fill);
    }
}
