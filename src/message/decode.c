/* Whole-message and per-object decoding (WIRE_FORMAT §5, §10): the decode
 * direction of message/, behind every decoding call of the API (buffers,
 * files, iterators, async tasks).  Each call parses what it needs, checks
 * every claimed size before allocating (pipeline/bounds.c, the object
 * cap), verifies hashes on request and runs the pipeline, on threads by
 * the common policy (tgm__thread_split). */
#include <string.h>

#include "common/alloc.h"
#include "common/checked.h"
#include "common/endian.h"
#include "common/error.h"
#include "common/limits.h"
#include "common/thread.h"
#include "hash/hash.h"
#include "message/message.h"

/* n rounded up as the arena rounds its allocations (n is a checked
 * object size, far from SIZE_MAX). */
static size_t align16(size_t n) { return (n + 15u) & ~(size_t)15u; }

void tgm__decoded_free(tgm_decoded *d) {
    if (d->objs != NULL) {
        for (size_t i = 0; i < d->nobj; i++) {
            if (!d->objs[i].data_in_arena) {
                tgm__free(d->objs[i].data);
            }
            for (int k = 0; k < TGM_MASK_KINDS; k++) {
                if (d->objs[i].masks[k] != NULL) { /* usually none: spare the calls */
                    tgm__free(d->objs[i].masks[k]);
                }
            }
        }
    }
    if (!d->objs_in_arena) {
        tgm__free(d->objs);
    }
    d->objs = NULL;
    d->nobj = 0;
    d->objs_in_arena = false;
    d->hosted = false;
    tgm__arena_free(&d->arena);
}

/* The frame's stored hash, as text, when it has one. */
static void stored_hash(const uint8_t *msgbuf, const tgm_obj_ref *r, tgm_decoded_obj *out) {
    uint64_t slot = tgm__frame_stored_hash(msgbuf + r->frame_off, r->frame_len);
    out->has_hash = slot != 0;
    if (out->has_hash) {
        tgm__hash_hex(slot, out->hash_hex);
    }
}

/* The pipeline's options for one object. */
static tgm_decode_opts pipeline_opts(const tgm_msg_decode_opts *o, uint32_t threads) {
    tgm_decode_opts d = {o->native_byte_order, o->restore_non_finite && !o->keep_masks, threads};
    return d;
}

/* `checked`: n is the object's size, already checked by
 * tgm__pipeline_precheck (else it is checked here, before allocating). */
static tgm_error decode_obj(const uint8_t *msgbuf, const tgm_obj_ref *r,
                            const tgm_msg_decode_opts *o, uint32_t threads, bool checked, size_t n,
                            tgm_decoded_obj *out) {
    if (!checked) {
        TGM_TRY(tgm__pipeline_precheck(&r->desc, r->payload_len, &n));
    }
    out->desc = r->desc;
    if (out->data == NULL) { /* else: arena memory of n bytes, given by tgm__msg_decode */
        out->data = tgm__malloc(n);
        if (out->data == NULL) {
            return tgm__oom(n, "decoded object");
        }
    }
    out->len = n;
    tgm_decode_opts d = pipeline_opts(o, threads);
    TGM_TRY(tgm__pipeline_decode(&r->desc, r->payload, r->payload_len, r->region, r->region_len, &d,
                                 out->data, n));
    if (o->keep_masks) {
        tgm_mask_set set;
        TGM_TRY(tgm__pipeline_decode_masks(&r->desc, r->region, r->region_len, &set));
        for (int k = 0; k < TGM_MASK_KINDS; k++) {
            out->masks[k] = set.bits[k]; /* the decoded message owns them now */
        }
        out->mask_bits = set.n_bits;
    }
    stored_hash(msgbuf, r, out);
    return TGM_ERROR_OK;
}

/* Descriptors only, or with the payload region as stored. */
static tgm_error describe_obj(const uint8_t *msgbuf, const tgm_obj_ref *r, bool encoded,
                              tgm_decoded_obj *out) {
    out->desc = r->desc;
    stored_hash(msgbuf, r, out);
    if (encoded) {
        /* The payload region as stored: encoded payload + mask blobs. */
        size_t n = r->region_len;
        out->data = tgm__malloc(n);
        TGM_RETURN_IF(out->data == NULL, TGM_ERROR_ENCODING, "out of memory for %zu payload bytes",
                      n);
        if (n > 0) {
            memcpy(out->data, r->region, n);
        }
        out->len = n;
    }
    return TGM_ERROR_OK;
}

typedef struct decode_job {
    const uint8_t *buf;
    const tgm_obj_ref *refs;
    tgm_decoded_obj *out;
    const tgm_msg_decode_opts *o;
    uint32_t threads;
} decode_job;

static tgm_error decode_task(void *ctx, size_t i) {
    decode_job *j = ctx;
    return decode_obj(j->buf, &j->refs[i], j->o, j->threads, true, j->out[i].len, &j->out[i]);
}

static tgm_error decode_all(const uint8_t *buf, size_t len, const tgm_msg_decode_opts *o,
                            size_t host_size, void **host, tgm_decoded *out) {
    memset(out, 0, sizeof *out);
    /* descriptors, bytes of the metadata, and for a small message the
     * caller's handle, the object table and small values: malloc's
     * per-thread cache serves the chunk (TGM_ARENA_SMALL_FIRST). */
    out->arena.first = TGM_ARENA_SMALL_FIRST;
    tgm_error err = TGM_ERROR_OK;
    if (host != NULL) {
        *host = tgm__arena_alloc(&out->arena, host_size);
        TGM_FAIL_IF(*host == NULL, TGM_ERROR_ENCODING, "out of memory for %zu bytes", host_size);
        memset(*host, 0, host_size);
        out->hosted = true;
    }
    tgm_msg pm;
    /* The object table of a small message on the stack: only this call
     * reads it. */
    tgm_obj_ref scratch[2];
    TGM_CHECK(tgm__msg_parse_with(buf, len, &out->arena,
                                  TGM_PARSE_FULL | TGM_PARSE_LAZY_META | TGM_PARSE_NO_TABLES,
                                  scratch, 2, &pm));
    bool values = o->what == TGM_DECODE_VALUES;
    if (values && o->verify_hash) {
        for (size_t i = 0; i < pm.nobj; i++) {
            TGM_CHECK(tgm__msg_verify_object_hash(buf, &pm.objs[i], i));
        }
    }
    out->meta = pm.meta;
    if (pm.meta_bytes.cbor != NULL) {
        /* The message keeps one copy of the metadata bytes; the sections
         * are built when asked for. */
        uint8_t *copy = tgm__arena_alloc(&out->arena, pm.meta_bytes.len ? pm.meta_bytes.len : 1);
        TGM_FAIL_IF(copy == NULL, TGM_ERROR_ENCODING, "out of memory for %zu metadata bytes",
                    pm.meta_bytes.len);
        memcpy(copy, pm.meta_bytes.cbor, pm.meta_bytes.len);
        out->meta_bytes = pm.meta_bytes;
        out->meta_bytes.cbor = copy;
    }
    out->nobj = pm.nobj;
    /* The object table in the arena when it has room (small messages),
     * zeroed either way. */
    size_t tsize = (pm.nobj ? pm.nobj : 1) * sizeof *out->objs;
    if (align16(tsize) <= tgm__arena_room(&out->arena)) {
        out->objs = tgm__arena_alloc(&out->arena, tsize);
        out->objs_in_arena = true;
    } else {
        /* malloc + memset: glibc's calloc bypasses its per-thread cache. */
        out->objs = tgm__malloc_array(pm.nobj ? pm.nobj : 1, sizeof *out->objs);
    }
    TGM_FAIL_IF(out->objs == NULL, TGM_ERROR_ENCODING, "out of memory for %zu objects", pm.nobj);
    memset(out->objs, 0, tsize);
    if (!values) {
        for (size_t i = 0; i < pm.nobj; i++) {
            TGM_CHECK(describe_obj(buf, &pm.objs[i], o->what == TGM_DECODE_ENCODED, &out->objs[i]));
        }
        return TGM_ERROR_OK;
    }
    /* Every object's size is checked before any is allocated; the cap also
     * bounds the whole message (common/limits.h). */
    uint64_t all = 0, total = 0;
    for (size_t i = 0; i < pm.nobj; i++) {
        size_t n;
        TGM_CHECK(tgm__pipeline_precheck(&pm.objs[i].desc, pm.objs[i].payload_len, &n));
        out->objs[i].len = n; /* decode_task's size: checked once */
        if (tgm__add_u64(all, n, &all)) {
            all = UINT64_MAX;
        }
        total += pm.objs[i].payload_len;
    }
    TGM_CHECK(tgm__limit_check_object_bytes(all, "message"));
    /* Values that fit in the arena's room go there (no allocation of
     * their own); the others get theirs in decode_obj. */
    for (size_t i = 0; i < pm.nobj; i++) {
        size_t n = out->objs[i].len;
        if (n > 0 && align16(n) <= tgm__arena_room(&out->arena)) {
            out->objs[i].data = tgm__arena_alloc(&out->arena, n);
            out->objs[i].data_in_arena = out->objs[i].data != NULL;
        }
    }
    tgm_thread_split split = tgm__thread_split(tgm__resolve_threads(o->threads), pm.nobj, total);
    decode_job job = {buf, pm.objs, out->objs, o, split.each};
    TGM_CHECK(tgm__parallel_for(split.objects, pm.nobj, decode_task, &job));
    return TGM_ERROR_OK;
cleanup:
    tgm__decoded_free(out);
    if (host != NULL) {
        *host = NULL;
    }
    return err;
}

tgm_error tgm__msg_decode(const uint8_t *buf, size_t len, const tgm_msg_decode_opts *o,
                          tgm_decoded *out) {
    return decode_all(buf, len, o, 0, NULL, out);
}

tgm_error tgm__msg_decode_hosted(const uint8_t *buf, size_t len, const tgm_msg_decode_opts *o,
                                 size_t host_size, void **host, tgm_decoded *out) {
    return decode_all(buf, len, o, host_size, host, out);
}

/* One object's threads: the policy for a single object of its payload. */
static uint32_t object_threads(const tgm_msg_decode_opts *o, const tgm_obj_ref *r) {
    return tgm__thread_split(tgm__resolve_threads(o->threads), 1, r->payload_len).each;
}

tgm_error tgm__msg_decode_ref(const uint8_t *msgbuf, const tgm_obj_ref *r,
                              const tgm_msg_decode_opts *o, tgm_decoded_obj *out) {
    out->data = NULL; /* allocated here */
    return decode_obj(msgbuf, r, o, object_threads(o, r), false, 0, out);
}

tgm_error tgm__msg_decode_object(const uint8_t *buf, size_t len, size_t index,
                                 const tgm_msg_decode_opts *o, tgm_decoded *out) {
    memset(out, 0, sizeof *out);
    tgm_error err = TGM_ERROR_OK;
    tgm_obj_ref ref;
    TGM_CHECK(tgm__msg_object(buf, len, index, &out->arena, &out->meta, NULL, &ref));
    if (o->verify_hash) {
        TGM_CHECK(tgm__msg_verify_object_hash(buf, &ref, index));
    }
    out->nobj = 1;
    out->objs = tgm__calloc(1, sizeof *out->objs);
    TGM_FAIL_IF(out->objs == NULL, TGM_ERROR_ENCODING, "out of memory");
    TGM_CHECK(decode_obj(buf, &ref, o, object_threads(o, &ref), false, 0, &out->objs[0]));
    return TGM_ERROR_OK;
cleanup:
    tgm__decoded_free(out);
    return err;
}

tgm_error tgm__msg_decode_object_into(const uint8_t *buf, size_t len, size_t index,
                                      const tgm_msg_decode_opts *o, void *dst, size_t dst_len,
                                      size_t *out_len) {
    /* One descriptor and the index: on the stack for a small message. */
    _Alignas(16) uint8_t room[1024];
    tgm_arena a;
    tgm__arena_init_lent(&a, room, sizeof room);
    tgm_error err = TGM_ERROR_OK;
    tgm_obj_ref ref;
    size_t n = 0;
    TGM_CHECK(tgm__msg_object(buf, len, index, &a, NULL, NULL, &ref));
    TGM_CHECK(tgm__pipeline_decoded_size(&ref.desc, &n));
    *out_len = n;
    if (dst == NULL) {
        goto cleanup; /* size query */
    }
    TGM_FAIL_IF(dst_len < n, TGM_ERROR_INVALID_ARG,
                "destination of %zu bytes is too small for object %zu (%zu bytes)", dst_len, index,
                n);
    if (o->verify_hash) {
        TGM_CHECK(tgm__msg_verify_object_hash(buf, &ref, index));
    }
    tgm_decode_opts d = pipeline_opts(o, object_threads(o, &ref));
    TGM_CHECK(tgm__pipeline_decode(&ref.desc, ref.payload, ref.payload_len, ref.region,
                                   ref.region_len, &d, dst, n));
cleanup:
    tgm__arena_free(&a);
    return err;
}

tgm_error tgm__msg_object_view(const uint8_t *buf, size_t len, size_t index, const uint8_t **data,
                               size_t *out_len) {
    _Alignas(16) uint8_t room[1024];
    tgm_arena a;
    tgm__arena_init_lent(&a, room, sizeof room);
    tgm_obj_ref ref;
    tgm_error err = tgm__msg_object(buf, len, index, &a, NULL, NULL, &ref);
    if (err == TGM_ERROR_OK) {
        const tgm_descriptor *d = &ref.desc;
        size_t n = 0;
        bool plain = strcmp(d->encoding, "none") == 0 && strcmp(d->filter, "none") == 0 &&
                     strcmp(d->compression, "none") == 0 && !d->has_masks &&
                     (d->big_endian == TGM_HOST_BIG_ENDIAN || tgm__dtype_swap_unit(d->dtype) <= 1);
        err = tgm__pipeline_decoded_size(d, &n);
        if (err == TGM_ERROR_OK && plain && n == ref.payload_len) {
            *data = ref.payload;
            *out_len = n;
        } else if (err == TGM_ERROR_OK) {
            *data = NULL; /* needs decoding */
            *out_len = n;
        }
    }
    tgm__arena_free(&a);
    return err;
}

tgm_error tgm__msg_decode_ranges(const uint8_t *buf, size_t len, size_t index,
                                 const uint64_t *offsets, const uint64_t *counts, size_t nranges,
                                 const tgm_msg_decode_opts *o, uint8_t **parts, size_t *part_len) {
    tgm_arena arena = TGM_ARENA_INIT;
    tgm_obj_ref ref;
    for (size_t i = 0; i < nranges; i++) {
        parts[i] = NULL;
        part_len[i] = 0;
    }
    tgm_error err = tgm__msg_object(buf, len, index, &arena, NULL, NULL, &ref);
    if (err == TGM_ERROR_OK) {
        err = tgm__msg_decode_ranges_ref(&ref, index, offsets, counts, nranges, o, parts, part_len);
    }
    tgm__arena_free(&arena);
    return err;
}

tgm_error tgm__msg_decode_ranges_ref(const tgm_obj_ref *refp, size_t index, const uint64_t *offsets,
                                     const uint64_t *counts, size_t nranges,
                                     const tgm_msg_decode_opts *o, uint8_t **parts,
                                     size_t *part_len) {
    tgm_error err = TGM_ERROR_OK;
    tgm_obj_ref ref = *refp;
    /* The masks are decoded once for all ranges (the pipeline's own
     * restoration would decode them again for every range). */
    bool restore = o->restore_non_finite;
    bool masks_ready = false;
    tgm_mask_set set;
    tgm__mask_set_init(&set, 0);
    for (size_t i = 0; i < nranges; i++) {
        parts[i] = NULL;
        part_len[i] = 0;
    }
    size_t width = tgm__dtype_width(ref.desc.dtype);
    tgm_decode_opts d = {o->native_byte_order, false, tgm__resolve_threads(o->threads)};
    int out_big = o->native_byte_order ? TGM_HOST_BIG_ENDIAN : ref.desc.big_endian;
    for (size_t i = 0; i < nranges; i++) {
        uint64_t nbytes;
        uint64_t end;
        TGM_FAIL_IF(tgm__add_u64(offsets[i], counts[i], &end) || end > ref.desc.num_elements ||
                        ref.desc.num_elements_overflow,
                    TGM_ERROR_OBJECT,
                    "range %zu (offset=%llu, count=%llu) is past the end of object %zu "
                    "(%llu elements)",
                    i, (unsigned long long)offsets[i], (unsigned long long)counts[i], index,
                    (unsigned long long)ref.desc.num_elements);
        TGM_FAIL_IF(tgm__mul_u64(counts[i], width, &nbytes) || nbytes > SIZE_MAX, TGM_ERROR_OBJECT,
                    "range %zu is too large", i);
        TGM_CHECK(tgm__limit_check_object_bytes(nbytes, "range"));
        parts[i] = tgm__malloc((size_t)nbytes);
        TGM_FAIL_IF(parts[i] == NULL, TGM_ERROR_ENCODING, "out of memory for range %zu", i);
        part_len[i] = (size_t)nbytes;
        err = tgm__pipeline_decode_range(&ref.desc, ref.payload, ref.payload_len, ref.region,
                                         ref.region_len, &d, offsets[i], counts[i], parts[i]);
        if (err != TGM_ERROR_OK) {
            tgm__wrap(err, "range (offset=%llu, count=%llu)", (unsigned long long)offsets[i],
                      (unsigned long long)counts[i]);
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
            TGM_CHECK(tgm__pipeline_decode_masks(&ref.desc, ref.region, ref.region_len, &set));
            masks_ready = true;
        }
        if (restore && !tgm__mask_set_empty(&set)) {
            TGM_CHECK(
                tgm__masks_restore(parts[i], ref.desc.dtype, out_big, &set, offsets[i], counts[i]));
        }
    }
cleanup:
    if (err != TGM_ERROR_OK) {
        for (size_t i = 0; i < nranges; i++) {
            tgm__free(parts[i]);
            parts[i] = NULL;
        }
    }
    tgm__mask_set_free(&set);
    return err;
}
