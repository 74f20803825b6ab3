/* tgm_decode, tgm_decode_with_options, tgm_decode_with_masks,
 * tgm_decode_metadata, tgm_decode_object(_with_options),
 * tgm_decode_range(_with_options). */
#include <string.h>

#include "api/api.h"
#include "common/alloc.h"
#include "common/checked.h"
#include "common/endian.h"
#include "common/limits.h"
#include "common/thread.h"
#include "hash/hash.h"
#include "masks/masks.h"

static void message_free_objects(tgm_message_t *m) {
    if (m->objs != NULL) {
        for (size_t i = 0; i < m->nobj; i++) {
            tgm__free(m->objs[i].data);
            for (int k = 0; k < TGM_MASK_KINDS; k++) {
                tgm__free(m->objs[i].masks[k]);
            }
        }
    }
}

void tgm_message_free(tgm_message_t *msg) {
    if (msg == NULL) {
        return;
    }
    message_free_objects(msg);
    tgm__free(msg->objs);
    tgm__arena_free(&msg->arena);
    tgm__free(msg);
}

static tgm_message_t *message_new(void) {
    tgm_message_t *m = tgm__calloc(1, sizeof *m);
    return m;
}

/* Where the descriptor's "masks" entries put each kind's blob inside the
 * object's payload region. */
static bool mask_refs(const tgm_descriptor *d, tgm_mask_ref refs[TGM_MASK_KINDS]) {
    bool any = false;
    for (int k = 0; k < TGM_MASK_KINDS; k++) {
        const tgm_mask_desc *m = &d->masks[k];
        refs[k].present = m->present;
        refs[k].method = m->present ? m->method : "";
        refs[k].method_len = m->present ? strlen(m->method) : 0;
        refs[k].offset = m->offset;
        refs[k].length = m->length;
        any = any || m->present;
    }
    return any;
}

/* Decode the masks stored with one object (none: an empty set).  The set
 * is sized for the descriptor's element count, which the caller has
 * checked against the payload (tgm__pipeline_precheck / plan), so the
 * masks are never larger than the decoded values. */
static tgm_error decode_masks(const tgm_descriptor *d, const uint8_t *region, size_t region_len,
                              tgm_mask_set *set) {
    tgm_mask_ref refs[TGM_MASK_KINDS];
    tgm__mask_set_init(set, d->num_elements);
    if (!mask_refs(d, refs)) {
        return TGM_ERROR_OK;
    }
    return tgm__masks_decode_region(refs, region, region_len, d->num_elements, set);
}

typedef struct decode_job {
    const uint8_t *buf;
    const tgm_obj_ref *refs;
    tgm_decoded_obj *out;
    tgm_decode_opts opts;
    bool with_masks; /* keep the decoded masks (restore_non_finite is then off) */
} decode_job;

static tgm_error decode_obj(const uint8_t *msgbuf, const tgm_obj_ref *r, const tgm_decode_opts *o,
                            bool with_masks, tgm_decoded_obj *out) {
    size_t n;
    TGM_TRY(tgm__pipeline_precheck(&r->desc, r->payload_len, &n)); /* before allocating */
    out->desc = r->desc;
    out->data = tgm__malloc(n);
    if (out->data == NULL) {
        return tgm__oom(n, "decoded object");
    }
    out->len = n;
    TGM_TRY(tgm__pipeline_decode(&r->desc, r->payload, r->payload_len, r->region, r->region_len, o,
                                 out->data, n));
    if (with_masks) {
        tgm_mask_set set;
        TGM_TRY(decode_masks(&r->desc, r->region, r->region_len, &set));
        for (int k = 0; k < TGM_MASK_KINDS; k++) {
            out->masks[k] = set.bits[k]; /* the message owns them now */
        }
        out->mask_bits = set.n_bits;
    }
    uint64_t slot = tgm__frame_stored_hash(msgbuf + r->frame_off, r->frame_len);
    out->has_hash = slot != 0;
    if (out->has_hash) {
        tgm__hash_hex(slot, out->hash_hex);
    }
    return TGM_ERROR_OK;
}

tgm_error tgm__api_decode_ref(const uint8_t *msgbuf, const tgm_obj_ref *r,
                              const tgm_api_decode_opts *o, tgm_decoded_obj *out) {
    tgm_decode_opts d = {o->native_byte_order, o->restore_non_finite,
                         tgm__resolve_threads(o->threads)};
    return decode_obj(msgbuf, r, &d, false, out);
}

static tgm_error decode_task(void *ctx, size_t i) {
    decode_job *j = ctx;
    return decode_obj(j->buf, &j->refs[i], &j->opts, j->with_masks, &j->out[i]);
}

static tgm_error decode_message(const uint8_t *buf, size_t len, const tgm_api_decode_opts *o,
                                bool with_masks, tgm_message_t **out) {
    tgm_message_t *m = message_new();
    if (m == NULL) {
        return tgm__oom(sizeof *m, "message");
    }
    tgm_error err = TGM_ERROR_OK;
    tgm_msg pm;
    TGM_CHECK(tgm__msg_parse(buf, len, &m->arena, TGM_PARSE_FULL, &pm));
    if (o->verify_hash) {
        for (size_t i = 0; i < pm.nobj; i++) {
            TGM_CHECK(tgm__msg_verify_object_hash(buf, &pm.objs[i], i));
        }
    }
    m->meta = pm.meta;
    m->nobj = pm.nobj;
    m->objs = tgm__calloc(pm.nobj ? pm.nobj : 1, sizeof *m->objs);
    TGM_FAIL_IF(m->objs == NULL, TGM_ERROR_ENCODING, "out of memory for %zu objects", pm.nobj);
    /* Every object's size is checked before any is allocated; the cap also
     * bounds the whole message (common/limits.h). */
    uint64_t all = 0;
    for (size_t i = 0; i < pm.nobj; i++) {
        size_t n;
        TGM_CHECK(tgm__pipeline_precheck(&pm.objs[i].desc, pm.objs[i].payload_len, &n));
        if (tgm__add_u64(all, n, &all)) {
            all = UINT64_MAX;
        }
    }
    TGM_CHECK(tgm__limit_check_object_bytes(all, "message"));

    uint64_t total = 0;
    for (size_t i = 0; i < pm.nobj; i++) {
        total += pm.objs[i].payload_len;
    }
    tgm_thread_split split = tgm__thread_split(tgm__resolve_threads(o->threads), pm.nobj, total);
    decode_job job = {buf,
                      pm.objs,
                      m->objs,
                      {o->native_byte_order, o->restore_non_finite && !with_masks, split.each},
                      with_masks};
    TGM_CHECK(tgm__parallel_for(split.objects, pm.nobj, decode_task, &job));
    *out = m;
    return TGM_ERROR_OK;
cleanup:
    tgm_message_free(m);
    return err;
}

tgm_error tgm__api_decode_into(const uint8_t *buf, size_t len, const tgm_api_decode_opts *o,
                               tgm_message_t **out) {
    return decode_message(buf, len, o, false, out);
}

tgm_error tgm__api_decode_one(const uint8_t *buf, size_t len, size_t index,
                              const tgm_api_decode_opts *o, tgm_message_t **out) {
    tgm_message_t *m = message_new();
    if (m == NULL) {
        return tgm__oom(sizeof *m, "message");
    }
    tgm_error err = TGM_ERROR_OK;
    tgm_obj_ref ref;
    TGM_CHECK(tgm__msg_object(buf, len, index, &m->arena, &m->meta, NULL, &ref));
    if (o->verify_hash) {
        TGM_CHECK(tgm__msg_verify_object_hash(buf, &ref, index));
    }
    m->nobj = 1;
    m->objs = tgm__calloc(1, sizeof *m->objs);
    TGM_FAIL_IF(m->objs == NULL, TGM_ERROR_ENCODING, "out of memory");
    tgm_decode_opts d = {o->native_byte_order, o->restore_non_finite,
                         tgm__resolve_threads(o->threads)};
    TGM_CHECK(decode_obj(buf, &ref, &d, false, &m->objs[0]));
    *out = m;
    return TGM_ERROR_OK;
cleanup:
    tgm_message_free(m);
    return err;
}

tgm_error tgm_decode_with_options(const uint8_t *buf, size_t buf_len, int32_t native_byte_order,
                                  uint32_t threads, int32_t verify_hash,
                                  const TgmDecodeMaskOptions *mask_options, tgm_message_t **out) {
    tgm__clear_error();
    TGM_API_REQUIRE(buf != NULL && out != NULL, "null argument");
    tgm_api_decode_opts o = {native_byte_order != 0, verify_hash != 0,
                             mask_options ? mask_options->restore_non_finite : true, threads};
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
    tgm_api_decode_opts o = {native_byte_order != 0, verify_hash != 0, false, threads};
    return decode_message(buf, buf_len, &o, true, out);
}

tgm_error tgm_decode_object_with_options(const uint8_t *buf, size_t buf_len, size_t index,
                                         int32_t native_byte_order, uint32_t threads,
                                         int32_t verify_hash,
                                         const TgmDecodeMaskOptions *mask_options,
                                         tgm_message_t **out) {
    tgm__clear_error();
    TGM_API_REQUIRE(buf != NULL && out != NULL, "null argument");
    tgm_api_decode_opts o = {native_byte_order != 0, verify_hash != 0,
                             mask_options ? mask_options->restore_non_finite : true, threads};
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
    tgm_arena arena = TGM_ARENA_INIT;
    tgm_obj_ref ref;
    tgm_error err = tgm__msg_object(buf, buf_len, object_index, &arena, NULL, NULL, &ref);
    if (err == TGM_ERROR_OK) {
        err = tgm__api_decode_range_ref(&ref, object_index, ranges_offsets, ranges_counts,
                                        num_ranges, native_byte_order, threads, join, mask_options,
                                        out, out_count);
    }
    tgm__arena_free(&arena);
    return err;
}

tgm_error tgm__api_decode_range_ref(const tgm_obj_ref *refp, size_t object_index,
                                    const uint64_t *ranges_offsets, const uint64_t *ranges_counts,
                                    size_t num_ranges, int32_t native_byte_order, uint32_t threads,
                                    int32_t join, const TgmDecodeMaskOptions *mask_options,
                                    tgm_bytes_t *out, size_t *out_count) {
    tgm_error err = TGM_ERROR_OK;
    tgm_obj_ref ref = *refp;
    uint8_t **parts = NULL;
    size_t *part_len = NULL;
    /* The masks are decoded once for all ranges (the pipeline's own
     * restoration would decode them again for every range). */
    bool restore = mask_options ? mask_options->restore_non_finite : true;
    bool masks_ready = false;
    tgm_mask_set set;
    tgm__mask_set_init(&set, 0);
    size_t width = tgm__dtype_width(ref.desc.dtype);
    parts = tgm__calloc(num_ranges ? num_ranges : 1, sizeof *parts);
    part_len = tgm__calloc(num_ranges ? num_ranges : 1, sizeof *part_len);
    TGM_FAIL_IF(parts == NULL || part_len == NULL, TGM_ERROR_ENCODING, "out of memory");
    tgm_decode_opts d = {native_byte_order != 0, false, tgm__resolve_threads(threads)};
    int out_big = native_byte_order != 0 ? TGM_HOST_BIG_ENDIAN : ref.desc.big_endian;
    for (size_t i = 0; i < num_ranges; i++) {
        uint64_t nbytes;
        uint64_t end;
        TGM_FAIL_IF(tgm__add_u64(ranges_offsets[i], ranges_counts[i], &end) ||
                        end > ref.desc.num_elements || ref.desc.num_elements_overflow,
                    TGM_ERROR_OBJECT,
                    "range %zu (offset=%llu, count=%llu) is past the end of object %zu "
                    "(%llu elements)",
                    i, (unsigned long long)ranges_offsets[i], (unsigned long long)ranges_counts[i],
                    object_index, (unsigned long long)ref.desc.num_elements);
        TGM_FAIL_IF(tgm__mul_u64(ranges_counts[i], width, &nbytes) || nbytes > SIZE_MAX,
                    TGM_ERROR_OBJECT, "range %zu is too large", i);
        TGM_CHECK(tgm__limit_check_object_bytes(nbytes, "range"));
        parts[i] = tgm__malloc((size_t)nbytes);
        TGM_FAIL_IF(parts[i] == NULL, TGM_ERROR_ENCODING, "out of memory for range %zu", i);
        part_len[i] = (size_t)nbytes;
        err = tgm__pipeline_decode_range(&ref.desc, ref.payload, ref.payload_len, ref.region,
                                         ref.region_len, &d, ranges_offsets[i], ranges_counts[i],
                                         parts[i]);
        if (err != TGM_ERROR_OK) {
            tgm__wrap(err, "range (offset=%llu, count=%llu)", (unsigned long long)ranges_offsets[i],
                      (unsigned long long)ranges_counts[i]);
            goto cleanup;
        }
        if (restore && !masks_ready) {
            /* After the first range decoded: pipeline errors come first.
             * The masks cover the whole object, so the payload must be able
             * to back all of it, as for a full decode, before they are
             * allocated (a few bytes of rle or roaring can claim any
             * number of bits). */
            if (ref.desc.masks[0].present || ref.desc.masks[1].present ||
                ref.desc.masks[2].present) {
                size_t whole;
                TGM_CHECK(tgm__pipeline_precheck(&ref.desc, ref.payload_len, &whole));
            }
            TGM_CHECK(decode_masks(&ref.desc, ref.region, ref.region_len, &set));
            masks_ready = true;
        }
        if (restore && !tgm__mask_set_empty(&set)) {
            TGM_CHECK(tgm__masks_restore(parts[i], ref.desc.dtype, out_big, &set, ranges_offsets[i],
                                         ranges_counts[i]));
        }
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
    tgm__mask_set_free(&set);
    return err;
}

static tgm_error descriptors(const uint8_t *buf, size_t buf_len, bool keep_encoded,
                             tgm_message_t **out) {
    tgm_message_t *m = message_new();
    if (m == NULL) {
        return tgm__oom(sizeof *m, "message");
    }
    tgm_error err = TGM_ERROR_OK;
    tgm_msg pm;
    TGM_CHECK(tgm__msg_parse(buf, buf_len, &m->arena, TGM_PARSE_FULL, &pm));
    m->meta = pm.meta;
    m->nobj = pm.nobj;
    m->objs = tgm__calloc(pm.nobj ? pm.nobj : 1, sizeof *m->objs);
    TGM_FAIL_IF(m->objs == NULL, TGM_ERROR_ENCODING, "out of memory for %zu objects", pm.nobj);
    for (size_t i = 0; i < pm.nobj; i++) {
        m->objs[i].desc = pm.objs[i].desc;
        uint64_t slot = tgm__frame_stored_hash(buf + pm.objs[i].frame_off, pm.objs[i].frame_len);
        m->objs[i].has_hash = slot != 0;
        if (slot != 0) {
            tgm__hash_hex(slot, m->objs[i].hash_hex);
        }
        if (keep_encoded) {
            /* The payload region as stored: encoded payload + mask blobs. */
            size_t n = pm.objs[i].region_len;
            m->objs[i].data = tgm__malloc(n);
            TGM_FAIL_IF(m->objs[i].data == NULL, TGM_ERROR_ENCODING,
                        "out of memory for %zu payload bytes", n);
            if (n > 0) {
                memcpy(m->objs[i].data, pm.objs[i].region, n);
            }
            m->objs[i].len = n;
        }
    }
    *out = m;
    return TGM_ERROR_OK;
cleanup:
    tgm_message_free(m);
    return err;
}

tgm_error tgm_decode_descriptors(const uint8_t *buf, size_t buf_len, tgm_message_t **out) {
    tgm__clear_error();
    TGM_API_REQUIRE(buf != NULL && out != NULL, "null argument");
    return descriptors(buf, buf_len, false, out);
}

tgm_error tgm_decode_encoded(const uint8_t *buf, size_t buf_len, tgm_message_t **out) {
    tgm__clear_error();
    TGM_API_REQUIRE(buf != NULL && out != NULL, "null argument");
    return descriptors(buf, buf_len, true, out);
}

tgm_error tgm_decode_object_into(const uint8_t *buf, size_t buf_len, size_t index,
                                 int32_t native_byte_order, uint32_t threads, int32_t verify_hash,
                                 const TgmDecodeMaskOptions *mask_options, void *dst,
                                 size_t dst_len, size_t *out_len) {
    tgm__clear_error();
    TGM_API_REQUIRE(buf != NULL && out_len != NULL, "null argument");
    tgm_arena a = TGM_ARENA_INIT;
    tgm_error err = TGM_ERROR_OK;
    tgm_obj_ref ref;
    size_t n = 0;
    TGM_CHECK(tgm__msg_object(buf, buf_len, index, &a, NULL, NULL, &ref));
    TGM_CHECK(tgm__pipeline_decoded_size(&ref.desc, &n));
    *out_len = n;
    if (dst == NULL) {
        goto cleanup; /* size query */
    }
    TGM_FAIL_IF(dst_len < n, TGM_ERROR_INVALID_ARG,
                "destination of %zu bytes is too small for object %zu (%zu bytes)", dst_len, index,
                n);
    if (verify_hash) {
        TGM_CHECK(tgm__msg_verify_object_hash(buf, &ref, index));
    }
    tgm_decode_opts d = {native_byte_order != 0,
                         mask_options ? mask_options->restore_non_finite : true,
                         tgm__resolve_threads(threads)};
    TGM_CHECK(tgm__pipeline_decode(&ref.desc, ref.payload, ref.payload_len, ref.region,
                                   ref.region_len, &d, dst, n));
cleanup:
    tgm__arena_free(&a);
    return err;
}

tgm_error tgm_decode_object_view(const uint8_t *buf, size_t buf_len, size_t index,
                                 const uint8_t **data, size_t *len) {
    tgm__clear_error();
    TGM_API_REQUIRE(buf != NULL && data != NULL && len != NULL, "null argument");
    tgm_arena a = TGM_ARENA_INIT;
    tgm_obj_ref ref;
    tgm_error err = tgm__msg_object(buf, buf_len, index, &a, NULL, NULL, &ref);
    if (err == TGM_ERROR_OK) {
        const tgm_descriptor *d = &ref.desc;
        size_t n = 0;
        bool plain = strcmp(d->encoding, "none") == 0 && strcmp(d->filter, "none") == 0 &&
                     strcmp(d->compression, "none") == 0 && !d->has_masks &&
                     (d->big_endian == TGM_HOST_BIG_ENDIAN || tgm__dtype_swap_unit(d->dtype) <= 1);
        err = tgm__pipeline_decoded_size(d, &n);
        if (err == TGM_ERROR_OK && plain && n == ref.payload_len) {
            *data = ref.payload;
            *len = n;
        } else if (err == TGM_ERROR_OK) {
            *data = NULL; /* needs decoding */
            *len = n;
        }
    }
    tgm__arena_free(&a);
    return err;
}

/* The decoded-size cap every decoding call checks (common/limits.c). */
void tgm_set_max_object_bytes(uint64_t max_bytes) { tgm__limit_set_max_object_bytes(max_bytes); }

uint64_t tgm_max_object_bytes(void) { return tgm__limit_max_object_bytes(); }
