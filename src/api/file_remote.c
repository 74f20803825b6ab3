/* Remote files in the file API (docs/remote.md): opening, and the per-
 * message operations that read only what they need.
 *
 * A message's layout (metadata, index) comes from its two ends (rfile.c);
 * an object is then one range read of its frame, found through the index.
 * Messages without a usable index (no index frame, preceder metadata, an
 * index entry that does not point at an object frame) are read whole and
 * decoded by the same code as local files, so results and errors match the
 * local ones exactly. */
#include <string.h>

#include "api/api.h"
#include "common/alloc.h"
#include "common/endian.h"
#include "dtype/dtype.h"
#include "file/file.h"
#include "file/rfile.h"
#include "hash/hash.h"
#include "io/io.h"
#include "remote/remote.h"
#include "validate/validate.h"

/* Frames up to this size are read whole for descriptors; of larger ones
 * only both ends. */
#define DESC_WHOLE_FRAME ((uint64_t)64 << 10)
#define DESC_TAIL ((uint64_t)16 << 10)
/* Batched reads hold at most this much frame data at a time. */
#define BATCH_WINDOW ((uint64_t)256 << 20)

int32_t tgm_is_remote_url(const char *source) { return tgm__remote_is_url(source) ? 1 : 0; }

tgm_error tgm_file_open_remote(const char *url, const char *const *storage_keys,
                               const char *const *storage_values, size_t num_options,
                               const tgm_scan_options *scan, tgm_file_t **out) {
    tgm__clear_error();
    TGM_API_REQUIRE(url != NULL && out != NULL, "null argument");
    TGM_API_REQUIRE(num_options == 0 || (storage_keys != NULL && storage_values != NULL),
                    "null storage option arrays");
    bool bidir = true;
    if (scan != NULL) {
        TGM_API_REQUIRE(scan->size >= sizeof(size_t) + sizeof(int32_t),
                        "tgm_scan_options.size too small");
        bidir = scan->bidirectional != 0;
    }
    tgm_source *src;
    TGM_TRY(tgm__remote_open(url, storage_keys, storage_values, num_options, &src));
    tgm_error e = tgm__file_from_source(src, bidir, out);
    if (e != TGM_ERROR_OK) {
        tgm__source_close(src);
    }
    return e;
}

tgm_error tgm_file_open_source(const char *source, const char *const *storage_keys,
                               const char *const *storage_values, size_t num_options,
                               const tgm_scan_options *scan, tgm_file_t **out) {
    tgm__clear_error();
    TGM_API_REQUIRE(source != NULL && out != NULL, "null argument");
    if (tgm__remote_is_url(source)) {
        return tgm_file_open_remote(source, storage_keys, storage_values, num_options, scan, out);
    }
    TGM_API_REQUIRE(num_options == 0, "storage options apply to remote URLs only");
    return tgm_file_open(source, out);
}

int32_t tgm_file_is_remote(const tgm_file_t *file) {
    return file != NULL && tgm__file_remote(file) != NULL ? 1 : 0;
}

tgm_error tgm_file_remote_stats(const tgm_file_t *file, tgm_remote_stats_t *out) {
    tgm__clear_error();
    TGM_API_REQUIRE(file != NULL && out != NULL, "null argument");
    tgm_remote_stats st;
    tgm__remote_stats(tgm__file_remote(file) ? tgm__file_source(file) : NULL, &st);
    out->requests = st.requests;
    out->retries = st.retries;
    out->bytes = st.bytes;
    return TGM_ERROR_OK;
}

/* ---- locating objects --------------------------------------------------------------- */

/* Where object j of message i is: its frame's offset in the message and
 * length, through the layout's index.  *usable false: read the message
 * whole (no index, preceders, a layout that does not parse, ...). */
typedef struct obj_loc {
    tgm_rfile *rf;
    size_t msg;
    uint64_t msg_off, msg_len;
    const tgm_msg *lay;
    bool usable;
    uint64_t frame_off, frame_len; /* in the message */
} obj_loc;

static tgm_error locate_message(tgm_file_t *f, size_t i, obj_loc *l) {
    memset(l, 0, sizeof *l);
    l->rf = tgm__file_remote(f);
    l->msg = i;
    TGM_TRY(tgm__file_layout(f, i, &l->msg_off, &l->msg_len));
    if (tgm__rfile_layout(tgm__file_remote(f), i, &l->lay) != TGM_ERROR_OK) {
        /* The whole-message path reports the problem as for a local file. */
        tgm__clear_error();
        l->lay = NULL;
        return TGM_ERROR_OK;
    }
    const tgm_msg *m = l->lay;
    l->usable =
        m->has_index && !(m->pre.flags & TGM_MF_PRECEDER_METADATA) && m->meta.nbase <= m->nindex;
    return TGM_ERROR_OK;
}

static tgm_error locate_object(tgm_file_t *f, size_t i, size_t j, obj_loc *l) {
    TGM_TRY(locate_message(f, i, l));
    if (!l->usable) {
        return TGM_ERROR_OK;
    }
    const tgm_msg *m = l->lay;
    TGM_RETURN_IF(j >= m->nindex, TGM_ERROR_OBJECT,
                  "object index %zu out of range (num_objects=%zu)", j, m->nindex);
    uint64_t o = m->index_offsets[j], n = m->index_lengths[j];
    uint64_t body_end = l->msg_len - TGM_POSTAMBLE_SIZE;
    if (o < TGM_PREAMBLE_SIZE || o > body_end || n > body_end - o ||
        n < TGM_FRAME_HEADER_SIZE + TGM_DATA_FRAME_FOOTER_SIZE) {
        l->usable = false;
        return TGM_ERROR_OK;
    }
    l->frame_off = o;
    l->frame_len = n;
    return TGM_ERROR_OK;
}

/* The frame read at p is what the index promised. */
static bool frame_matches(const uint8_t *p, uint64_t len) {
    return p[0] == 'F' && p[1] == 'R' && tgm__rd_be16(p + 2) == TGM_FRAME_NTENSOR &&
           tgm__rd_be64(p + 8) == len;
}

/* Copy metadata into a message handle's arena, base padded to n entries
 * (as tgm_decode_object does for indexed messages). */
static tgm_error copy_meta(tgm_arena *a, const tgm_global_meta *src, size_t n,
                           tgm_global_meta *dst) {
    size_t nb = src->nbase > n ? src->nbase : n;
    dst->nbase = nb;
    dst->base = NULL;
    dst->reserved = tgm__val_clone(a, src->reserved);
    dst->extra = tgm__val_clone(a, src->extra);
    bool ok = dst->reserved != NULL && dst->extra != NULL;
    if (ok && nb > 0) {
        dst->base = tgm__arena_calloc(a, nb, sizeof(tgm_val));
        ok = dst->base != NULL;
        for (size_t i = 0; ok && i < nb; i++) {
            if (i < src->nbase) {
                ok = tgm__val_copy_into(a, &dst->base[i], &src->base[i]) == 0;
            } else {
                dst->base[i].kind = TGM_V_MAP;
            }
        }
    }
    return ok ? TGM_ERROR_OK : tgm__oom(64, "metadata copy");
}

/* Decode object j from its frame bytes into a new message handle. */
static tgm_error object_from_frame(const obj_loc *l, size_t j, const uint8_t *frame,
                                   const tgm_api_decode_opts *o, tgm_message_t **out) {
    tgm_message_t *m = tgm__calloc(1, sizeof *m);
    if (m == NULL) {
        return tgm__oom(sizeof *m, "message");
    }
    tgm_error err = TGM_ERROR_OK;
    tgm_obj_ref ref;
    TGM_CHECK(copy_meta(&m->d.arena, &l->lay->meta, l->lay->nindex, &m->d.meta));
    TGM_CHECK(tgm__msg_parse_object_frame(frame, (size_t)l->frame_len, (size_t)l->frame_off,
                                          &m->d.arena, &ref));
    if (l->rf != NULL) {
        tgm__rfile_note_dtype(l->rf, l->msg, j, (int)ref.desc.dtype);
    }
    ref.frame_off = 0; /* relative to `frame` from here on */
    if (o->verify_hash) {
        TGM_CHECK(tgm__msg_verify_object_hash(frame, &ref, j));
    }
    m->d.nobj = 1;
    m->d.objs = tgm__calloc(1, sizeof *m->d.objs);
    TGM_FAIL_IF(m->d.objs == NULL, TGM_ERROR_ENCODING, "out of memory");
    TGM_CHECK(tgm__api_decode_ref(frame, &ref, o, &m->d.objs[0]));
    *out = m;
    return TGM_ERROR_OK;
cleanup:
    tgm_message_free(m);
    return err;
}

static tgm_error read_frame(tgm_file_t *f, const obj_loc *l, uint8_t **out) {
    uint8_t *buf = tgm__malloc((size_t)l->frame_len);
    if (buf == NULL) {
        return tgm__oom((size_t)l->frame_len, "object frame");
    }
    tgm_error e =
        tgm__source_read(tgm__file_source(f), l->msg_off + l->frame_off, buf, (size_t)l->frame_len);
    if (e != TGM_ERROR_OK) {
        tgm__free(buf);
        return e;
    }
    *out = buf;
    return TGM_ERROR_OK;
}

/* ---- per-message operations (called by file.c's tgm_file_* for remote
 * files; *done false: use the whole-message path) ----------------------- */

tgm_error tgm__api_remote_metadata(tgm_file_t *f, size_t i, tgm_metadata_t **out, bool *done) {
    obj_loc l;
    *done = false;
    TGM_TRY(locate_message(f, i, &l));
    if (l.lay == NULL || !l.lay->has_meta) {
        return TGM_ERROR_OK;
    }
    *done = true;
    return tgm__api_metadata_new(&l.lay->meta, out);
}

tgm_error tgm__api_remote_object(tgm_file_t *f, size_t i, size_t j, const tgm_api_decode_opts *o,
                                 tgm_message_t **out, bool *done) {
    obj_loc l;
    *done = false;
    TGM_TRY(locate_object(f, i, j, &l));
    if (!l.usable) {
        return TGM_ERROR_OK;
    }
    uint8_t *frame = NULL;
    TGM_TRY(read_frame(f, &l, &frame));
    tgm_error e = TGM_ERROR_OK;
    if (frame_matches(frame, l.frame_len)) {
        *done = true;
        e = object_from_frame(&l, j, frame, o, out);
    }
    tgm__free(frame);
    return e;
}

tgm_error tgm__api_remote_range(tgm_file_t *f, size_t i, size_t j, const uint64_t *offs,
                                const uint64_t *counts, size_t nr, int32_t native, uint32_t threads,
                                int32_t join, tgm_bytes_t *out, size_t *out_count, bool *done) {
    obj_loc l;
    *done = false;
    TGM_TRY(locate_object(f, i, j, &l));
    if (!l.usable) {
        return TGM_ERROR_OK;
    }
    uint8_t *frame = NULL;
    TGM_TRY(read_frame(f, &l, &frame));
    tgm_error e = TGM_ERROR_OK;
    if (frame_matches(frame, l.frame_len)) {
        *done = true;
        tgm_arena a = TGM_ARENA_INIT;
        tgm_obj_ref ref;
        e = tgm__msg_parse_object_frame(frame, (size_t)l.frame_len, (size_t)l.frame_off, &a, &ref);
        if (e == TGM_ERROR_OK) {
            tgm__rfile_note_dtype(l.rf, i, j, (int)ref.desc.dtype);
            e = tgm__api_decode_range_ref(&ref, j, offs, counts, nr, native, threads, join, NULL,
                                          out, out_count);
        }
        tgm__arena_free(&a);
    }
    tgm__free(frame);
    return e;
}

/* Descriptors: every object frame's descriptor, read from the frame's two
 * ends (small frames whole), all frames of the message in one batch. */
tgm_error tgm__api_remote_descriptors(tgm_file_t *f, size_t i, tgm_message_t **out, bool *done) {
    obj_loc l;
    *done = false;
    TGM_TRY(locate_message(f, i, &l));
    if (!l.usable) {
        return TGM_ERROR_OK;
    }
    const tgm_msg *lay = l.lay;
    size_t n = lay->nindex;
    uint64_t body_end = l.msg_len - TGM_POSTAMBLE_SIZE;
    for (size_t j = 0; j < n; j++) {
        uint64_t o = lay->index_offsets[j], len = lay->index_lengths[j];
        if (o < TGM_PREAMBLE_SIZE || o > body_end || len > body_end - o ||
            len < TGM_FRAME_HEADER_SIZE + TGM_DATA_FRAME_FOOTER_SIZE) {
            return TGM_ERROR_OK;
        }
    }
    tgm_error err = TGM_ERROR_OK;
    tgm_message_t *m = tgm__calloc(1, sizeof *m);
    uint8_t **head = tgm__calloc(n ? n : 1, sizeof *head);
    uint8_t **tail = tgm__calloc(n ? n : 1, sizeof *tail);
    uint64_t *tl = tgm__calloc(n ? n : 1, sizeof *tl);
    bool *have = tgm__calloc(n ? n : 1, sizeof *have);
    tgm_source_range *g = tgm__calloc(2 * n + 1, sizeof *g);
    TGM_FAIL_IF(m == NULL || head == NULL || tail == NULL || tl == NULL || have == NULL ||
                    g == NULL,
                TGM_ERROR_IO, "out of memory for %zu descriptors", n);
    m->d.objs = tgm__calloc(n ? n : 1, sizeof *m->d.objs);
    TGM_FAIL_IF(m->d.objs == NULL, TGM_ERROR_IO, "out of memory for %zu descriptors", n);
    m->d.nobj = n;
    TGM_CHECK(copy_meta(&m->d.arena, &lay->meta, n, &m->d.meta));
    for (int round = 0; round < 2; round++) {
        size_t ng = 0;
        for (size_t j = 0; j < n; j++) {
            uint64_t fo = l.msg_off + lay->index_offsets[j], flen = lay->index_lengths[j];
            if (round == 0) {
                tl[j] = flen <= DESC_WHOLE_FRAME ? flen : DESC_TAIL;
            } else if (tail[j] != NULL) {
                continue; /* done in round 0 */
            }
            tgm__free(head[j]);
            head[j] = tgm__malloc(TGM_FRAME_HEADER_SIZE);
            tail[j] = tgm__malloc((size_t)tl[j]);
            TGM_FAIL_IF(head[j] == NULL || tail[j] == NULL, TGM_ERROR_IO,
                        "out of memory for descriptor reads");
            if (tl[j] < flen) {
                g[ng++] = (tgm_source_range){fo, TGM_FRAME_HEADER_SIZE, head[j]};
            }
            g[ng++] = (tgm_source_range){fo + flen - tl[j], (size_t)tl[j], tail[j]};
        }
        if (ng == 0) {
            break;
        }
        TGM_CHECK(tgm__source_read_many(tgm__file_source(f), g, ng, false));
        bool again = false;
        for (size_t j = 0; j < n; j++) {
            if (tail[j] == NULL || have[j]) {
                continue;
            }
            uint64_t flen = lay->index_lengths[j];
            size_t at = (size_t)lay->index_offsets[j];
            tgm_obj_ref ref;
            const uint8_t *h = tl[j] == flen ? tail[j] : head[j];
            if (!frame_matches(h, flen)) {
                goto fallback; /* the index does not point at this object's frame */
            }
            if (tl[j] == flen) {
                TGM_CHECK(
                    tgm__msg_parse_object_frame(tail[j], (size_t)flen, at, &m->d.arena, &ref));
            } else {
                uint64_t need = 0;
                if (!(tgm__rd_be16(head[j] + 6) & TGM_FF_CBOR_AFTER_PAYLOAD)) {
                    need = flen; /* descriptor first: read the whole frame */
                } else {
                    TGM_CHECK(tgm__msg_parse_descriptor_pieces(head[j], TGM_FRAME_HEADER_SIZE,
                                                               tail[j], (size_t)tl[j], flen, at,
                                                               &m->d.arena, &ref, &need));
                }
                if (need > 0) {
                    TGM_FAIL_IF(round == 1, TGM_ERROR_FRAMING,
                                "data object frame at offset %zu: descriptor not found", at);
                    tl[j] = need > flen ? flen : need;
                    tgm__free(tail[j]);
                    tail[j] = NULL;
                    again = true;
                    continue;
                }
            }
            const uint8_t *t = tail[j];
            uint64_t slot = tgm__rd_be64(t + tl[j] - TGM_FRAME_COMMON_FOOTER_SIZE);
            m->d.objs[j].desc = ref.desc;
            tgm__rfile_note_dtype(l.rf, i, j, (int)ref.desc.dtype);
            have[j] = true;
            m->d.objs[j].has_hash = slot != 0;
            if (slot != 0) {
                tgm__hash_hex(slot, m->d.objs[j].hash_hex);
            }
        }
        if (!again) {
            break;
        }
    }
    *done = true;
    *out = m;
    m = NULL;
    goto cleanup;
fallback:
    err = TGM_ERROR_OK; /* *done stays false */
cleanup:
    for (size_t j = 0; head != NULL && tail != NULL && j < n; j++) {
        tgm__free(head[j]);
        tgm__free(tail[j]);
    }
    tgm__free(head);
    tgm__free(tail);
    tgm__free(tl);
    tgm__free(have);
    tgm__free(g);
    tgm_message_free(m);
    return err;
}

/* ---- batches --------------------------------------------------------------------------- */

static tgm_error batch_check(tgm_file_t *f, const size_t *idx, size_t n) {
    size_t count;
    size_t top = 0;
    for (size_t k = 0; k < n; k++) {
        top = idx[k] > top ? idx[k] : top;
    }
    if (n == 0) {
        return TGM_ERROR_OK;
    }
    uint64_t off, len;
    if (tgm__file_layout(f, top, &off, &len) != TGM_ERROR_OK) {
        TGM_TRY(tgm__file_count(f, &count));
        return tgm__fail(TGM_ERROR_FRAMING, "message index %zu out of range (count=%zu)", top,
                         count);
    }
    return TGM_ERROR_OK;
}

tgm_error tgm_file_prefetch_layouts(tgm_file_t *file, const size_t *msg_indices, size_t n) {
    tgm__clear_error();
    TGM_API_REQUIRE(file != NULL && (msg_indices != NULL || n == 0), "null argument");
    TGM_TRY(batch_check(file, msg_indices, n));
    if (tgm__file_remote(file) == NULL) {
        return TGM_ERROR_OK; /* local files: the scan is the layout */
    }
    return tgm__rfile_prefetch(tgm__file_remote(file), msg_indices, n);
}

/* One entry of a batch: the object of one message. */
typedef struct batch_item {
    obj_loc loc;
    uint8_t *buf; /* the frame (usable) or the whole message */
    bool whole;
} batch_item;

typedef tgm_error (*batch_fn)(void *ctx, size_t k, const batch_item *it);

/* Locate the object of every message, read all the frames (or whole
 * messages) in windows of batched range reads, and hand each to fn. */
static tgm_error run_batch(tgm_file_t *f, const size_t *idx, size_t n, size_t j, batch_fn fn,
                           void *ctx) {
    tgm_error err = TGM_ERROR_OK;
    TGM_TRY(batch_check(f, idx, n));
    batch_item *items = tgm__calloc(n ? n : 1, sizeof *items);
    tgm_source_range *g = tgm__calloc(n ? n : 1, sizeof *g);
    TGM_FAIL_IF(items == NULL || g == NULL, TGM_ERROR_IO, "out of memory for a batch of %zu", n);
    TGM_CHECK(tgm__rfile_prefetch(tgm__file_remote(f), idx, n));
    for (size_t k = 0; k < n; k++) {
        TGM_CHECK(locate_object(f, idx[k], j, &items[k].loc));
        items[k].whole = !items[k].loc.usable;
    }
    for (size_t start = 0; start < n;) {
        uint64_t bytes = 0;
        size_t end = start, ng = 0;
        while (end < n && (end == start || bytes < BATCH_WINDOW)) {
            batch_item *it = &items[end];
            uint64_t off = it->whole ? it->loc.msg_off : it->loc.msg_off + it->loc.frame_off;
            uint64_t len = it->whole ? it->loc.msg_len : it->loc.frame_len;
            TGM_FAIL_IF(len > SIZE_MAX, TGM_ERROR_IO, "message %zu is too large", idx[end]);
            it->buf = tgm__malloc(len ? (size_t)len : 1);
            TGM_FAIL_IF(it->buf == NULL, TGM_ERROR_IO, "out of memory for %llu bytes",
                        (unsigned long long)len);
            g[ng++] = (tgm_source_range){off, (size_t)len, it->buf};
            bytes += len;
            end++;
        }
        TGM_CHECK(tgm__source_read_many(tgm__file_source(f), g, ng, false));
        for (size_t k = start; k < end; k++) {
            batch_item *it = &items[k];
            if (!it->whole && !frame_matches(it->buf, it->loc.frame_len)) {
                /* Not the frame the index promised: decode the message
                 * whole, as a local file would. */
                tgm__free(it->buf);
                it->buf = NULL;
                it->whole = true;
                uint8_t *msg = tgm__malloc((size_t)it->loc.msg_len);
                TGM_FAIL_IF(msg == NULL, TGM_ERROR_IO, "out of memory");
                it->buf = msg;
                TGM_CHECK(tgm__source_read(tgm__file_source(f), it->loc.msg_off, msg,
                                           (size_t)it->loc.msg_len));
            }
            TGM_CHECK(fn(ctx, k, it));
            tgm__free(it->buf);
            it->buf = NULL;
        }
        start = end;
    }
cleanup:
    for (size_t k = 0; items != NULL && k < n; k++) {
        tgm__free(items[k].buf);
    }
    tgm__free(items);
    tgm__free(g);
    return err;
}

typedef struct obj_batch {
    size_t j;
    tgm_api_decode_opts o;
    tgm_message_t **out;
} obj_batch;

static tgm_error obj_batch_fn(void *ctx, size_t k, const batch_item *it) {
    obj_batch *b = ctx;
    if (it->whole) {
        return tgm__api_decode_one(it->buf, (size_t)it->loc.msg_len, b->j, &b->o, &b->out[k]);
    }
    return object_from_frame(&it->loc, b->j, it->buf, &b->o, &b->out[k]);
}

tgm_error tgm_file_decode_object_batch(tgm_file_t *file, const size_t *msg_indices, size_t n,
                                       size_t obj_index, int32_t native_byte_order,
                                       uint32_t threads, int32_t verify_hash, tgm_message_t **out) {
    tgm__clear_error();
    TGM_API_REQUIRE(file != NULL && (n == 0 || (msg_indices != NULL && out != NULL)),
                    "null argument");
    for (size_t k = 0; k < n; k++) {
        out[k] = NULL;
    }
    tgm_error err = TGM_ERROR_OK;
    if (tgm__file_remote(file) == NULL) {
        for (size_t k = 0; k < n && err == TGM_ERROR_OK; k++) {
            err = tgm_file_decode_object(file, msg_indices[k], obj_index, native_byte_order,
                                         threads, verify_hash, &out[k]);
        }
    } else {
        obj_batch b = {obj_index,
                       tgm__api_decode_opts(native_byte_order, threads, verify_hash, NULL), out};
        err = run_batch(file, msg_indices, n, obj_index, obj_batch_fn, &b);
    }
    if (err != TGM_ERROR_OK) {
        for (size_t k = 0; k < n; k++) {
            tgm_message_free(out[k]);
            out[k] = NULL;
        }
    }
    return err;
}

typedef struct range_batch {
    size_t j;
    const uint64_t *offs, *counts;
    size_t nr;
    int32_t native, join;
    uint32_t threads;
    tgm_bytes_t *out;
    size_t per;
} range_batch;

static tgm_error range_batch_fn(void *ctx, size_t k, const batch_item *it) {
    range_batch *b = ctx;
    size_t got = 0;
    tgm_bytes_t *dst = b->out + k * b->per;
    if (it->whole) {
        return tgm_decode_range(it->buf, (size_t)it->loc.msg_len, b->j, b->offs, b->counts, b->nr,
                                b->native, b->threads, b->join, dst, &got);
    }
    tgm_arena a = TGM_ARENA_INIT;
    tgm_obj_ref ref;
    tgm_error e = tgm__msg_parse_object_frame(it->buf, (size_t)it->loc.frame_len,
                                              (size_t)it->loc.frame_off, &a, &ref);
    if (e == TGM_ERROR_OK) {
        tgm__rfile_note_dtype(it->loc.rf, it->loc.msg, b->j, (int)ref.desc.dtype);
        e = tgm__api_decode_range_ref(&ref, b->j, b->offs, b->counts, b->nr, b->native, b->threads,
                                      b->join, NULL, dst, &got);
    }
    tgm__arena_free(&a);
    return e;
}

tgm_error tgm_file_decode_range_batch(tgm_file_t *file, const size_t *msg_indices, size_t n,
                                      size_t obj_index, const uint64_t *ranges_offsets,
                                      const uint64_t *ranges_counts, size_t num_ranges,
                                      int32_t native_byte_order, uint32_t threads, int32_t join,
                                      tgm_bytes_t *out) {
    tgm__clear_error();
    TGM_API_REQUIRE(file != NULL && (n == 0 || (msg_indices != NULL && out != NULL)),
                    "null argument");
    TGM_API_REQUIRE(num_ranges == 0 || (ranges_offsets != NULL && ranges_counts != NULL),
                    "null ranges_offsets or ranges_counts");
    size_t per = join ? 1 : num_ranges;
    size_t total = n * per;
    for (size_t k = 0; k < total; k++) {
        out[k].data = NULL;
        out[k].len = 0;
    }
    tgm_error err = TGM_ERROR_OK;
    if (tgm__file_remote(file) == NULL) {
        for (size_t k = 0; k < n && err == TGM_ERROR_OK; k++) {
            size_t got;
            err = tgm_file_decode_range(file, msg_indices[k], obj_index, ranges_offsets,
                                        ranges_counts, num_ranges, native_byte_order, threads, join,
                                        out + k * per, &got);
        }
    } else {
        range_batch b = {obj_index, ranges_offsets, ranges_counts, num_ranges, native_byte_order,
                         join,      threads,        out,           per};
        err = run_batch(file, msg_indices, n, obj_index, range_batch_fn, &b);
    }
    if (err != TGM_ERROR_OK) {
        for (size_t k = 0; k < total; k++) {
            tgm__free(out[k].data);
            out[k].data = NULL;
            out[k].len = 0;
        }
    }
    return err;
}

/* ---- element type of one object ---------------------------------------------------- */

tgm_error tgm_file_object_dtype(tgm_file_t *file, size_t msg_index, size_t obj_index,
                                const char **out) {
    tgm__clear_error();
    TGM_API_REQUIRE(file != NULL && out != NULL, "null argument");
    tgm_rfile *rf = tgm__file_remote(file);
    if (rf != NULL) {
        uint64_t off, len;
        TGM_TRY(tgm__file_layout(file, msg_index, &off, &len));
        int d = tgm__rfile_dtype(rf, msg_index, obj_index);
        if (d >= 0) {
            *out = tgm__dtype_name((tgm_dtype)d);
            return TGM_ERROR_OK;
        }
    }
    /* Not known yet (or a local file): from the descriptors. */
    tgm_message_t *m = NULL;
    TGM_TRY(tgm_file_decode_descriptors(file, msg_index, &m));
    const char *name = tgm_object_dtype(m, obj_index);
    size_t n = tgm_message_num_objects(m);
    tgm_message_free(m);
    TGM_RETURN_IF(name == NULL, TGM_ERROR_OBJECT, "object index %zu out of range (num_objects=%zu)",
                  obj_index, n);
    *out = name;
    return TGM_ERROR_OK;
}

/* ---- size and validation -------------------------------------------------------------- */

tgm_error tgm_file_size(tgm_file_t *file, uint64_t *out) {
    tgm__clear_error();
    TGM_API_REQUIRE(file != NULL && out != NULL, "null argument");
    if (tgm__file_remote(file) != NULL) {
        *out = tgm__file_source(file)->size;
        return TGM_ERROR_OK;
    }
    size_t n;
    TGM_TRY(tgm__file_count(file, &n)); /* opens (and refreshes) the source */
    tgm_source *src = tgm__file_source(file);
    TGM_RETURN_IF(src == NULL, TGM_ERROR_IO, "%s: not readable", tgm__file_path(file));
    *out = src->size;
    return TGM_ERROR_OK;
}

tgm_error tgm_validate_source(const char *source, const char *const *storage_keys,
                              const char *const *storage_values, size_t num_options,
                              const char *level, int32_t check_canonical, tgm_bytes_t *out) {
    tgm__clear_error();
    TGM_API_REQUIRE(source != NULL && out != NULL, "null argument");
    if (!tgm__remote_is_url(source)) {
        TGM_API_REQUIRE(num_options == 0, "storage options apply to remote URLs only");
        return tgm_validate_file(source, level, check_canonical, out);
    }
    tgm_vopts o;
    TGM_TRY(tgm__vopts_parse(level, check_canonical, &o));
    tgm_source *src;
    TGM_TRY(tgm__remote_open(source, storage_keys, storage_values, num_options, &src));
    tgm_error err = TGM_ERROR_OK;
    uint8_t *bytes = NULL;
    tgm_vfile_report r;
    tgm__vfile_report_init(&r);
    tgm_buf b = TGM_BUF_INIT;
    TGM_FAIL_IF(src->size > SIZE_MAX, TGM_ERROR_IO, "%s: too large to validate in memory", source);
    /* Validation looks at every byte: the whole object, read in parallel
     * parts. */
    bytes = tgm__malloc(src->size ? (size_t)src->size : 1);
    TGM_FAIL_IF(bytes == NULL, TGM_ERROR_IO, "%s: cannot allocate %llu bytes to validate it",
                source, (unsigned long long)src->size);
    TGM_CHECK(tgm__source_read(src, 0, bytes, (size_t)src->size));
    TGM_CHECK(tgm__validate_buffer(bytes, (size_t)src->size, &o, &r));
    TGM_CHECK(tgm__vfile_report_json(&r, &b));
    tgm__api_bytes_from_buf(&b, out);
cleanup:
    tgm__vfile_report_free(&r);
    if (err != TGM_ERROR_OK) {
        tgm__buf_free(&b);
    }
    tgm__free(bytes);
    tgm__source_close(src);
    return err;
}
