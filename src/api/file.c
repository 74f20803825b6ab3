/* tgm_file_* and the file iterator; per-message accessors of our own. */
#include <string.h>

#include "api/api.h"
#include "common/alloc.h"
#include "file/file.h"

tgm_error tgm_file_open(const char *path, tgm_file_t **out) {
    tgm__clear_error();
    TGM_API_REQUIRE(path != NULL && out != NULL, "null argument");
    return tgm__file_new(path, false, out);
}

tgm_error tgm_file_create(const char *path, tgm_file_t **out) {
    tgm__clear_error();
    TGM_API_REQUIRE(path != NULL && out != NULL, "null argument");
    return tgm__file_new(path, true, out);
}

void tgm_file_close(tgm_file_t *file) { tgm__file_free(file); }

const char *tgm_file_path(const tgm_file_t *file) { return file ? tgm__file_path(file) : NULL; }

tgm_error tgm_file_message_count(tgm_file_t *file, size_t *out_count) {
    tgm__clear_error();
    TGM_API_REQUIRE(file != NULL && out_count != NULL, "null argument");
    return tgm__file_count(file, out_count);
}

tgm_error tgm_file_read_message(tgm_file_t *file, size_t index, tgm_bytes_t *out) {
    tgm__clear_error();
    TGM_API_REQUIRE(file != NULL && out != NULL, "null argument");
    const uint8_t *p;
    size_t n;
    uint8_t *owned;
    TGM_TRY(tgm__file_message(file, index, true, &p, &n, &owned));
    if (owned != NULL) {
        out->data = owned;
        out->len = n;
        return TGM_ERROR_OK;
    }
    uint8_t *copy = tgm__malloc(n);
    if (copy == NULL) {
        return tgm__oom(n, "message");
    }
    if (n > 0) {
        memcpy(copy, p, n);
    }
    out->data = copy;
    out->len = n;
    return TGM_ERROR_OK;
}

tgm_error tgm_file_message_layout(tgm_file_t *file, size_t index, uint64_t *offset,
                                  uint64_t *length) {
    tgm__clear_error();
    TGM_API_REQUIRE(file != NULL && offset != NULL && length != NULL, "null argument");
    return tgm__file_layout(file, index, offset, length);
}

/* Run `fn` on the bytes of message `index` (a view, or a temporary copy). */
#define WITH_MESSAGE(file, index, body)                                                            \
    do {                                                                                           \
        const uint8_t *msg_;                                                                       \
        size_t len_;                                                                               \
        uint8_t *owned_;                                                                           \
        TGM_TRY(tgm__file_message((file), (index), false, &msg_, &len_, &owned_));                 \
        tgm_error e_ = (body);                                                                     \
        tgm__free(owned_);                                                                         \
        return e_;                                                                                 \
    } while (0)

tgm_error tgm_file_decode_message(tgm_file_t *file, size_t index, int32_t native_byte_order,
                                  uint32_t threads, int32_t verify_hash, tgm_message_t **out) {
    tgm__clear_error();
    TGM_API_REQUIRE(file != NULL && out != NULL, "null argument");
    tgm_api_decode_opts o = tgm__api_decode_opts(native_byte_order, threads, verify_hash, NULL);
    WITH_MESSAGE(file, index, tgm__api_decode_into(msg_, len_, &o, out));
}

tgm_error tgm_file_decode_message_with_options(tgm_file_t *file, size_t index,
                                               int32_t native_byte_order, uint32_t threads,
                                               int32_t verify_hash,
                                               const TgmDecodeMaskOptions *mask_options,
                                               tgm_message_t **out) {
    tgm__clear_error();
    TGM_API_REQUIRE(file != NULL && out != NULL, "null argument");
    tgm_api_decode_opts o =
        tgm__api_decode_opts(native_byte_order, threads, verify_hash, mask_options);
    WITH_MESSAGE(file, index, tgm__api_decode_into(msg_, len_, &o, out));
}

tgm_error tgm_file_decode_metadata(tgm_file_t *file, size_t index, tgm_metadata_t **out) {
    tgm__clear_error();
    TGM_API_REQUIRE(file != NULL && out != NULL, "null argument");
    if (tgm__file_remote(file) != NULL) { /* only the message's ends (file_remote.c) */
        bool done;
        TGM_TRY(tgm__api_remote_metadata(file, index, out, &done));
        if (done) {
            return TGM_ERROR_OK;
        }
    }
    WITH_MESSAGE(file, index, tgm_decode_metadata(msg_, len_, out));
}

tgm_error tgm_file_decode_descriptors(tgm_file_t *file, size_t index, tgm_message_t **out) {
    tgm__clear_error();
    TGM_API_REQUIRE(file != NULL && out != NULL, "null argument");
    if (tgm__file_remote(file) != NULL) {
        bool done;
        TGM_TRY(tgm__api_remote_descriptors(file, index, out, &done));
        if (done) {
            return TGM_ERROR_OK;
        }
    }
    WITH_MESSAGE(file, index, tgm_decode_descriptors(msg_, len_, out));
}

tgm_error tgm_file_decode_object(tgm_file_t *file, size_t msg_index, size_t obj_index,
                                 int32_t native_byte_order, uint32_t threads, int32_t verify_hash,
                                 tgm_message_t **out) {
    tgm__clear_error();
    TGM_API_REQUIRE(file != NULL && out != NULL, "null argument");
    tgm_api_decode_opts o = tgm__api_decode_opts(native_byte_order, threads, verify_hash, NULL);
    if (tgm__file_remote(file) != NULL) { /* only the object's frame */
        bool done;
        TGM_TRY(tgm__api_remote_object(file, msg_index, obj_index, &o, out, &done));
        if (done) {
            return TGM_ERROR_OK;
        }
    }
    WITH_MESSAGE(file, msg_index, tgm__api_decode_one(msg_, len_, obj_index, &o, out));
}

tgm_error tgm_file_decode_range(tgm_file_t *file, size_t msg_index, size_t obj_index,
                                const uint64_t *ranges_offsets, const uint64_t *ranges_counts,
                                size_t num_ranges, int32_t native_byte_order, uint32_t threads,
                                int32_t join, tgm_bytes_t *out, size_t *out_count) {
    tgm__clear_error();
    TGM_API_REQUIRE(file != NULL && out != NULL && out_count != NULL, "null argument");
    if (tgm__file_remote(file) != NULL) {
        TGM_API_REQUIRE(num_ranges == 0 || (ranges_offsets != NULL && ranges_counts != NULL),
                        "null ranges_offsets or ranges_counts");
        bool done;
        TGM_TRY(tgm__api_remote_range(file, msg_index, obj_index, ranges_offsets, ranges_counts,
                                      num_ranges, native_byte_order, threads, join, out, out_count,
                                      &done));
        if (done) {
            return TGM_ERROR_OK;
        }
    }
    WITH_MESSAGE(file, msg_index,
                 tgm_decode_range(msg_, len_, obj_index, ranges_offsets, ranges_counts, num_ranges,
                                  native_byte_order, threads, join, out, out_count));
}

tgm_error tgm_file_append_raw(tgm_file_t *file, const uint8_t *buf, size_t buf_len) {
    tgm__clear_error();
    TGM_API_REQUIRE(file != NULL && (buf != NULL || buf_len == 0), "null argument");
    return tgm__file_append(file, buf, buf_len, false);
}

static tgm_error encode_and_append(tgm_file_t *file, const tgm_api_encode_args *a) {
    tgm_buf b = TGM_BUF_INIT;
    tgm_error e = tgm__api_encode(a, &b);
    if (e == TGM_ERROR_OK) {
        e = tgm__file_append(file, b.data, b.len, true);
    }
    tgm__buf_free(&b);
    return e;
}

tgm_error tgm_file_append_with_options(tgm_file_t *file, const char *metadata_json,
                                       const uint8_t *const *data_ptrs, const size_t *data_lens,
                                       size_t num_objects, const char *hash_algo, uint32_t threads,
                                       const TgmEncodeMaskOptions *mask_options) {
    tgm__clear_error();
    TGM_API_REQUIRE(file != NULL && metadata_json != NULL, "null argument");
    tgm_api_encode_args a = {metadata_json, data_ptrs, data_lens, num_objects, hash_algo, threads,
                             mask_options,  false,     false,     true,        false,     NULL};
    return encode_and_append(file, &a);
}

tgm_error tgm_file_append_ex(tgm_file_t *file, const char *metadata_json,
                             const uint8_t *const *data_ptrs, const size_t *data_lens,
                             size_t num_objects, const tgm_encode_options *options) {
    tgm__clear_error();
    TGM_API_REQUIRE(file != NULL && metadata_json != NULL, "null argument");
    tgm_api_encode_args a = {.metadata_json = metadata_json,
                             .data_ptrs = data_ptrs,
                             .data_lens = data_lens,
                             .num_objects = num_objects};
    TGM_TRY(tgm__api_encode_args_from_options(options, &a));
    return encode_and_append(file, &a);
}

tgm_error tgm_file_append(tgm_file_t *file, const char *metadata_json,
                          const uint8_t *const *data_ptrs, const size_t *data_lens,
                          size_t num_objects, const char *hash_algo, uint32_t threads) {
    return tgm_file_append_with_options(file, metadata_json, data_ptrs, data_lens, num_objects,
                                        hash_algo, threads, NULL);
}

tgm_error tgm_file_sync(tgm_file_t *file) {
    tgm__clear_error();
    TGM_API_REQUIRE(file != NULL, "null argument");
    return tgm__file_sync(file);
}

/* ---- file iterator ------------------------------------------------------------ */

struct tgm_file_iter_t {
    tgm_file_t *file;
    size_t count;
    size_t next;
};

tgm_error tgm_file_iter_create(tgm_file_t *file, tgm_file_iter_t **out) {
    tgm__clear_error();
    TGM_API_REQUIRE(file != NULL && out != NULL, "null argument");
    size_t n;
    TGM_TRY(tgm__file_count(file, &n));
    tgm_file_iter_t *it = tgm__calloc(1, sizeof *it);
    if (it == NULL) {
        return tgm__oom(sizeof *it, "iterator");
    }
    it->file = file;
    it->count = n;
    *out = it;
    return TGM_ERROR_OK;
}

tgm_error tgm_file_iter_next(tgm_file_iter_t *iter, tgm_bytes_t *out) {
    TGM_API_REQUIRE(iter != NULL && out != NULL, "null argument");
    if (iter->next >= iter->count) {
        return TGM_ERROR_END_OF_ITER;
    }
    tgm__clear_error();
    TGM_TRY(tgm_file_read_message(iter->file, iter->next, out));
    iter->next++;
    return TGM_ERROR_OK;
}

void tgm_file_iter_free(tgm_file_iter_t *iter) { tgm__free(iter); }
