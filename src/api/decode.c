/* tgm_decode, tgm_decode_with_options, tgm_decode_with_masks,
 * tgm_decode_metadata, tgm_decode_descriptors, tgm_decode_encoded,
 * tgm_decode_object(_with_options | _into | _view),
 * tgm_decode_range(_with_options): argument checks and translation into
 * tgm_msg_decode_opts; the work is message/decode.c's. */
#include <string.h>

#include "api/api.h"
#include "common/alloc.h"
#include "common/limits.h"

void tgm_message_free(tgm_message_t *msg) {
    if (msg == NULL) {
        return;
    }
    tgm__api_lazy_descs_free(atomic_load_explicit(&msg->descs, memory_order_acquire));
    if (msg->d.hosted) {
        tgm_decoded d = msg->d; /* msg lives in the memory d frees */
        tgm__decoded_free(&d);
        return;
    }
    tgm__decoded_free(&msg->d);
    tgm__free(msg);
}

/* A new handle holding what `decode` produced (freed on failure). */
#define NEW_MESSAGE(out, decode)                                                                   \
    do {                                                                                           \
        tgm_message_t *m_ = tgm__malloc(sizeof *m_); /* calloc skips malloc's cache */             \
        if (m_ == NULL) {                                                                          \
            return tgm__oom(sizeof *m_, "message");                                                \
        }                                                                                          \
        memset(m_, 0, sizeof *m_);                                                                 \
        atomic_init(&m_->descs, NULL);                                                             \
        tgm_decoded *d_ = &m_->d;                                                                  \
        tgm_error e_ = (decode);                                                                   \
        if (e_ != TGM_ERROR_OK) {                                                                  \
            tgm__free(m_);                                                                         \
            return e_;                                                                             \
        }                                                                                          \
        *(out) = m_;                                                                               \
        return TGM_ERROR_OK;                                                                       \
    } while (0)

tgm_error tgm__api_decode_into(const uint8_t *buf, size_t len, const tgm_api_decode_opts *o,
                               tgm_message_t **out) {
    /* The handle lives in the decoded message's memory: one allocation
     * for a small message. */
    tgm_decoded d;
    void *host;
    TGM_TRY(tgm__msg_decode_hosted(buf, len, o, sizeof(tgm_message_t), &host, &d));
    tgm_message_t *m = host; /* zeroed */
    m->d = d;
    atomic_init(&m->descs, NULL);
    *out = m;
    return TGM_ERROR_OK;
}

tgm_error tgm__api_decode_one(const uint8_t *buf, size_t len, size_t index,
                              const tgm_api_decode_opts *o, tgm_message_t **out) {
    NEW_MESSAGE(out, tgm__msg_decode_object(buf, len, index, o, d_));
}

tgm_msg_decode_opts tgm__api_decode_opts(int32_t native_byte_order, uint32_t threads,
                                         int32_t verify_hash,
                                         const TgmDecodeMaskOptions *mask_options) {
    tgm_msg_decode_opts o = {.native_byte_order = native_byte_order != 0,
                             .verify_hash = verify_hash != 0,
                             .restore_non_finite =
                                 mask_options ? mask_options->restore_non_finite : true,
                             .threads = threads};
    return o;
}

tgm_error tgm_decode_with_options(const uint8_t *buf, size_t buf_len, int32_t native_byte_order,
                                  uint32_t threads, int32_t verify_hash,
                                  const TgmDecodeMaskOptions *mask_options, tgm_message_t **out) {
    tgm__clear_error();
    TGM_API_REQUIRE(buf != NULL && out != NULL, "null argument");
    tgm_msg_decode_opts o =
        tgm__api_decode_opts(native_byte_order, threads, verify_hash, mask_options);
    return tgm__api_decode_into(buf, buf_len, &o, out);
}

tgm_error tgm_decode(const uint8_t *buf, size_t buf_len, int32_t native_byte_order,
                     uint32_t threads, int32_t verify_hash, tgm_message_t **out) {
    return tgm_decode_with_options(buf, buf_len, native_byte_order, threads, verify_hash, NULL,
                                   out);
}

tgm_error tgm_decode_with_masks(const uint8_t *buf, size_t buf_len, int32_t native_byte_order,
                                uint32_t threads, int32_t verify_hash, tgm_message_t **out) {
    tgm__clear_error();
    TGM_API_REQUIRE(buf != NULL && out != NULL, "null argument");
    tgm_msg_decode_opts o = tgm__api_decode_opts(native_byte_order, threads, verify_hash, NULL);
    o.restore_non_finite = false;
    o.keep_masks = true;
    return tgm__api_decode_into(buf, buf_len, &o, out);
}

tgm_error tgm_decode_object_with_options(const uint8_t *buf, size_t buf_len, size_t index,
                                         int32_t native_byte_order, uint32_t threads,
                                         int32_t verify_hash,
                                         const TgmDecodeMaskOptions *mask_options,
                                         tgm_message_t **out) {
    tgm__clear_error();
    TGM_API_REQUIRE(buf != NULL && out != NULL, "null argument");
    tgm_msg_decode_opts o =
        tgm__api_decode_opts(native_byte_order, threads, verify_hash, mask_options);
    return tgm__api_decode_one(buf, buf_len, index, &o, out);
}

tgm_error tgm_decode_object(const uint8_t *buf, size_t buf_len, size_t index,
                            int32_t native_byte_order, uint32_t threads, int32_t verify_hash,
                            tgm_message_t **out) {
    return tgm_decode_object_with_options(buf, buf_len, index, native_byte_order, threads,
                                          verify_hash, NULL, out);
}

tgm_error tgm_decode_metadata(const uint8_t *buf, size_t buf_len, tgm_metadata_t **out) {
    tgm__clear_error();
    TGM_API_REQUIRE(buf != NULL && out != NULL, "null argument");
    tgm_meta_bytes mb;
    bool lazy;
    TGM_TRY(tgm__msg_metadata_bytes(buf, buf_len, &mb, &lazy));
    if (lazy) {
        return tgm__api_metadata_new_bytes(&mb, out); /* sections built on first use */
    }
    tgm_metadata_t *md = tgm__calloc(1, sizeof *md);
    if (md == NULL) {
        return tgm__oom(sizeof *md, "metadata");
    }
    tgm_error e = tgm__msg_parse_metadata(buf, buf_len, &md->arena, &md->meta);
    if (e != TGM_ERROR_OK) {
        tgm_metadata_free(md);
        return e;
    }
    *out = md;
    return TGM_ERROR_OK;
}

tgm_error tgm_decode_range(const uint8_t *buf, size_t buf_len, size_t object_index,
                           const uint64_t *ranges_offsets, const uint64_t *ranges_counts,
                           size_t num_ranges, int32_t native_byte_order, uint32_t threads,
                           int32_t join, tgm_bytes_t *out, size_t *out_count) {
    return tgm_decode_range_with_options(buf, buf_len, object_index, ranges_offsets, ranges_counts,
                                         num_ranges, native_byte_order, threads, join, NULL, out,
                                         out_count);
}

/* Ranges decoded by `ref` (NULL: located in buf) handed to the caller,
 * joined into one buffer or one each. */
static tgm_error ranges(const uint8_t *buf, size_t buf_len, const tgm_obj_ref *ref,
                        size_t object_index, const uint64_t *ranges_offsets,
                        const uint64_t *ranges_counts, size_t num_ranges, int32_t native_byte_order,
                        uint32_t threads, int32_t join, const TgmDecodeMaskOptions *mask_options,
                        tgm_bytes_t *out, size_t *out_count) {
    tgm_error err = TGM_ERROR_OK;
    uint8_t **parts = tgm__calloc(num_ranges ? num_ranges : 1, sizeof *parts);
    size_t *part_len = tgm__calloc(num_ranges ? num_ranges : 1, sizeof *part_len);
    TGM_FAIL_IF(parts == NULL || part_len == NULL, TGM_ERROR_ENCODING, "out of memory");
    tgm_msg_decode_opts o = tgm__api_decode_opts(native_byte_order, threads, 0, mask_options);
    if (ref != NULL) {
        TGM_CHECK(tgm__msg_decode_ranges_ref(ref, object_index, ranges_offsets, ranges_counts,
                                             num_ranges, &o, parts, part_len));
    } else {
        TGM_CHECK(tgm__msg_decode_ranges(buf, buf_len, object_index, ranges_offsets, ranges_counts,
                                         num_ranges, &o, parts, part_len));
    }
    if (join) {
        size_t total = 0;
        for (size_t i = 0; i < num_ranges; i++) {
            total += part_len[i];
        }
        uint8_t *all = tgm__malloc(total);
        TGM_FAIL_IF(all == NULL, TGM_ERROR_ENCODING, "out of memory for %zu bytes", total);
        size_t pos = 0;
        for (size_t i = 0; i < num_ranges; i++) {
            if (part_len[i]) {
                memcpy(all + pos, parts[i], part_len[i]);
            }
            pos += part_len[i];
        }
        out[0].data = all;
        out[0].len = total;
        *out_count = 1;
    } else {
        for (size_t i = 0; i < num_ranges; i++) {
            out[i].data = parts[i];
            out[i].len = part_len[i];
            parts[i] = NULL;
        }
        *out_count = num_ranges;
    }
cleanup:
    if (parts != NULL) {
        for (size_t i = 0; i < num_ranges; i++) {
            tgm__free(parts[i]);
        }
    }
    tgm__free(parts);
    tgm__free(part_len);
    return err;
}

tgm_error tgm_decode_range_with_options(const uint8_t *buf, size_t buf_len, size_t object_index,
                                        const uint64_t *ranges_offsets,
                                        const uint64_t *ranges_counts, size_t num_ranges,
                                        int32_t native_byte_order, uint32_t threads, int32_t join,
                                        const TgmDecodeMaskOptions *mask_options, tgm_bytes_t *out,
                                        size_t *out_count) {
    tgm__clear_error();
    TGM_API_REQUIRE(buf != NULL && out != NULL && out_count != NULL, "null argument");
    TGM_API_REQUIRE(num_ranges == 0 || (ranges_offsets != NULL && ranges_counts != NULL),
                    "null ranges_offsets or ranges_counts");
    return ranges(buf, buf_len, NULL, object_index, ranges_offsets, ranges_counts, num_ranges,
                  native_byte_order, threads, join, mask_options, out, out_count);
}

tgm_error tgm__api_decode_range_ref(const tgm_obj_ref *ref, size_t object_index,
                                    const uint64_t *ranges_offsets, const uint64_t *ranges_counts,
                                    size_t num_ranges, int32_t native_byte_order, uint32_t threads,
                                    int32_t join, const TgmDecodeMaskOptions *mask_options,
                                    tgm_bytes_t *out, size_t *out_count) {
    return ranges(NULL, 0, ref, object_index, ranges_offsets, ranges_counts, num_ranges,
                  native_byte_order, threads, join, mask_options, out, out_count);
}

tgm_error tgm__api_decode_ref(const uint8_t *msgbuf, const tgm_obj_ref *r,
                              const tgm_api_decode_opts *o, tgm_decoded_obj *out) {
    return tgm__msg_decode_ref(msgbuf, r, o, out);
}

tgm_error tgm_decode_descriptors(const uint8_t *buf, size_t buf_len, tgm_message_t **out) {
    tgm__clear_error();
    TGM_API_REQUIRE(buf != NULL && out != NULL, "null argument");
    tgm_msg_decode_opts o = {.what = TGM_DECODE_DESCRIPTORS};
    return tgm__api_decode_into(buf, buf_len, &o, out);
}

tgm_error tgm_decode_encoded(const uint8_t *buf, size_t buf_len, tgm_message_t **out) {
    tgm__clear_error();
    TGM_API_REQUIRE(buf != NULL && out != NULL, "null argument");
    tgm_msg_decode_opts o = {.what = TGM_DECODE_ENCODED};
    return tgm__api_decode_into(buf, buf_len, &o, out);
}

tgm_error tgm_decode_object_into(const uint8_t *buf, size_t buf_len, size_t index,
                                 int32_t native_byte_order, uint32_t threads, int32_t verify_hash,
                                 const TgmDecodeMaskOptions *mask_options, void *dst,
                                 size_t dst_len, size_t *out_len) {
    tgm__clear_error();
    TGM_API_REQUIRE(buf != NULL && out_len != NULL, "null argument");
    tgm_msg_decode_opts o =
        tgm__api_decode_opts(native_byte_order, threads, verify_hash, mask_options);
    return tgm__msg_decode_object_into(buf, buf_len, index, &o, dst, dst_len, out_len);
}

tgm_error tgm_decode_object_view(const uint8_t *buf, size_t buf_len, size_t index,
                                 const uint8_t **data, size_t *len) {
    tgm__clear_error();
    TGM_API_REQUIRE(buf != NULL && data != NULL && len != NULL, "null argument");
    return tgm__msg_object_view(buf, buf_len, index, data, len);
}

/* The decoded-size cap every decoding call checks (common/limits.c). */
void tgm_set_max_object_bytes(uint64_t max_bytes) { tgm__limit_set_max_object_bytes(max_bytes); }

uint64_t tgm_max_object_bytes(void) { return tgm__limit_max_object_bytes(); }
