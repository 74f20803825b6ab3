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
#include "codecs/stream_zstd.h"
#include "common/alloc.h"
#include "common/checked.h"
#include "common/endian.h"
#include "common/limits.h"
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
/* Objects of at least this size whose payload is the result (no encoding,
 * filter, compression or masks) or one zstd stream of it are streamed once
 * their descriptor is known: read straight into the result, or decoded
 * while they arrive (streamed_object); element ranges of frames from
 * FAST_RANGE_MIN on read only the elements. */
#define FAST_OBJECT_MIN ((uint64_t)1 << 20)
#define FAST_RANGE_MIN ((uint64_t)64 << 10)

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

/* ---- descriptors of large frames ----------------------------------------------------- */

/* Read and cache the two ends of these object frames (header and the tail
 * holding the descriptor), all in one batch of range reads.  Frames that
 * cannot be described this way (descriptor first, malformed) are left
 * uncached: their readers take the whole-frame path. */
static tgm_error describe_frames(tgm_file_t *f, const obj_loc *const *locs, const size_t *objs,
                                 size_t n) {
    tgm_rfile *rf = tgm__file_remote(f);
    tgm_error err = TGM_ERROR_OK;
    size_t *want = tgm__calloc(n ? n : 1, sizeof *want);
    uint8_t(*heads)[16] = tgm__calloc(n ? n : 1, 16);
    uint8_t **tails = tgm__calloc(n ? n : 1, sizeof *tails);
    tgm_source_range *g = tgm__calloc(2 * n + 1, sizeof *g);
    TGM_FAIL_IF(want == NULL || heads == NULL || tails == NULL || g == NULL, TGM_ERROR_IO,
                "out of memory describing %zu objects", n);
    for (size_t k = 0; k < n; k++) {
        const uint8_t *h, *t;
        size_t tl;
        if (!locs[k]->usable || tgm__rfile_get_ends(rf, locs[k]->msg, objs[k], &h, &t, &tl)) {
            continue;
        }
        uint64_t flen = locs[k]->frame_len;
        want[k] = (size_t)(flen < DESC_TAIL ? flen : DESC_TAIL);
    }
    for (int round = 0; round < 2; round++) {
        size_t ng = 0;
        for (size_t k = 0; k < n; k++) {
            if (want[k] == 0) {
                continue;
            }
            uint64_t fo = locs[k]->msg_off + locs[k]->frame_off, flen = locs[k]->frame_len;
            tgm__free(tails[k]);
            tails[k] = tgm__malloc(want[k]);
            TGM_FAIL_IF(tails[k] == NULL, TGM_ERROR_IO, "out of memory for a descriptor read");
            g[ng++] = (tgm_source_range){fo, 16, heads[k]};
            g[ng++] = (tgm_source_range){fo + flen - want[k], want[k], tails[k]};
        }
        if (ng == 0) {
            break;
        }
        TGM_CHECK(tgm__source_read_many(tgm__file_source(f), g, ng, false));
        for (size_t k = 0; k < n; k++) {
            if (want[k] == 0) {
                continue;
            }
            size_t got = want[k];
            want[k] = 0;
            if (!frame_matches(heads[k], locs[k]->frame_len) ||
                !(tgm__rd_be16(heads[k] + 6) & TGM_FF_CBOR_AFTER_PAYLOAD)) {
                continue;
            }
            tgm_arena a = TGM_ARENA_INIT;
            tgm_obj_ref ref;
            uint64_t need = 0;
            tgm_error pe =
                tgm__msg_parse_descriptor_pieces(heads[k], 16, tails[k], got, locs[k]->frame_len,
                                                 (size_t)locs[k]->frame_off, &a, &ref, &need);
            tgm__arena_free(&a);
            if (pe != TGM_ERROR_OK) {
                tgm__clear_error();
            } else if (need > 0) {
                want[k] = round == 0 ? (size_t)need : 0; /* a longer descriptor: read more */
            } else {
                tgm__rfile_put_ends(rf, locs[k]->msg, objs[k], heads[k], tails[k], got);
                tgm__rfile_note_dtype(rf, locs[k]->msg, objs[k], (int)ref.desc.dtype);
            }
        }
    }
cleanup:
    for (size_t k = 0; tails != NULL && k < n; k++) {
        tgm__free(tails[k]);
    }
    tgm__free(tails);
    tgm__free(heads);
    tgm__free(want);
    tgm__free(g);
    return err;
}

/* The cached descriptor of a described frame, parsed into arena a; false
 * when there is none.  *slot: the frame's stored hash. */
static bool cached_descriptor(tgm_file_t *f, const obj_loc *l, size_t j, tgm_arena *a,
                              tgm_obj_ref *ref, uint64_t *slot) {
    const uint8_t *h, *t;
    size_t tl;
    if (!l->usable || !tgm__rfile_get_ends(tgm__file_remote(f), l->msg, j, &h, &t, &tl)) {
        return false;
    }
    uint64_t need = 0;
    if (tgm__msg_parse_descriptor_pieces(h, 16, t, tl, l->frame_len, (size_t)l->frame_off, a, ref,
                                         &need) != TGM_ERROR_OK ||
        need > 0) {
        tgm__clear_error();
        return false;
    }
    *slot = tgm__rd_be64(t + tl - TGM_FRAME_COMMON_FOOTER_SIZE);
    return true;
}

/* Stored exactly as decoded (but for the byte order): the payload is the
 * result. */
static bool raw_object(const tgm_obj_ref *ref) {
    const tgm_descriptor *d = &ref->desc;
    return strcmp(d->encoding, "none") == 0 && strcmp(d->filter, "none") == 0 &&
           strcmp(d->compression, "none") == 0 && !d->has_masks && d->dtype != TGM_DT_BITMASK &&
           !d->num_elements_overflow && ref->payload_len == ref->region_len;
}

static void to_native(const tgm_obj_ref *ref, bool native, uint8_t *data, size_t n) {
    size_t unit = tgm__dtype_swap_unit(ref->desc.dtype);
    if (native && unit > 1 && ref->desc.big_endian != TGM_HOST_BIG_ENDIAN) {
        tgm__byteswap(data, n / unit, unit);
    }
}

/* Compressed with zstd and nothing else: the payload is one zstd stream
 * of the result (streaming decode, codecs/stream_zstd.h). */
static bool zstd_object(const tgm_obj_ref *ref) {
    const tgm_descriptor *d = &ref->desc;
    return strcmp(d->encoding, "none") == 0 && strcmp(d->filter, "none") == 0 &&
           strcmp(d->compression, "zstd") == 0 && !d->has_masks && d->dtype != TGM_DT_BITMASK &&
           !d->num_elements_overflow && ref->payload_len == ref->region_len;
}

/* What runs over a large object's payload while it arrives (on the
 * calling thread, behind the download): the hash of the frame's hashed
 * bytes and, for zstd, the decoder writing the result.  A decoder failure
 * is only noted: the frame is still read whole, and decoded again by the
 * ordinary path for its exact outcome. */
typedef struct payload_sink {
    tgm_hasher *h;
    tgm_zstd_dstream *z;
    bool z_failed;
} payload_sink;

static tgm_error payload_consume(void *user, const uint8_t *data, size_t n) {
    payload_sink *ps = user;
    if (ps->h != NULL) {
        tgm__hasher_update(ps->h, data, n);
    }
    if (ps->z != NULL && !ps->z_failed && tgm__zstd_dstream_feed(ps->z, data, n) != TGM_ERROR_OK) {
        tgm__clear_error();
        ps->z_failed = true;
    }
    return TGM_ERROR_OK;
}

/* A large object whose payload is the result (raw) or one zstd stream of
 * it, streamed: the raw payload lands straight in the result, a zstd
 * payload is decoded as it arrives, and the frame's hash (verify_hash) is
 * computed over the bytes as they arrive, so the work on the data overlaps
 * the download instead of following it.  *done false: not such an object
 * (the whole-frame path decides). */
static tgm_error streamed_object(tgm_file_t *f, const obj_loc *l, size_t j,
                                 const tgm_api_decode_opts *o, tgm_message_t **out, bool *done) {
    *done = false;
    const obj_loc *lp = l;
    TGM_TRY(describe_frames(f, &lp, &j, 1));
    tgm_message_t *m = tgm__calloc(1, sizeof *m);
    if (m == NULL) {
        return tgm__oom(sizeof *m, "message");
    }
    tgm_error err = TGM_ERROR_OK;
    payload_sink ps = {NULL, NULL, false};
    uint8_t *frame = NULL;
    tgm_obj_ref ref;
    uint64_t slot = 0;
    const uint8_t *head, *tail;
    size_t tl;
    if (!cached_descriptor(f, l, j, &m->d.arena, &ref, &slot) ||
        !tgm__rfile_get_ends(tgm__file_remote(f), l->msg, j, &head, &tail, &tl)) {
        goto cleanup; /* *done stays false */
    }
    bool raw = raw_object(&ref), zstd = !raw && zstd_object(&ref);
    size_t n, plen = ref.payload_len;
    uint64_t frame_len = l->frame_len;
    uint64_t payload_end = TGM_FRAME_HEADER_SIZE + (uint64_t)plen;
    /* The hashed bytes are the payload and what follows it up to the
     * footer, which must be in the cached tail. */
    bool hashable = (tgm__rd_be16(head + 6) & TGM_FF_HASH_PRESENT) &&
                    frame_len - tl <= payload_end &&
                    payload_end <= frame_len - TGM_DATA_FRAME_FOOTER_SIZE;
    if ((!raw && !zstd) || (o->verify_hash && !hashable)) {
        goto cleanup;
    }
    TGM_CHECK(tgm__pipeline_precheck(&ref.desc, plen, &n));
    if (raw && n != plen) {
        goto cleanup;
    }
    TGM_CHECK(copy_meta(&m->d.arena, &l->lay->meta, l->lay->nindex, &m->d.meta));
    m->d.objs = tgm__calloc(1, sizeof *m->d.objs);
    TGM_FAIL_IF(m->d.objs == NULL, TGM_ERROR_ENCODING, "out of memory");
    m->d.nobj = 1;
    tgm_decoded_obj *d = &m->d.objs[0];
    d->desc = ref.desc;
    d->data = tgm__malloc(n ? n : 1);
    TGM_FAIL_IF(d->data == NULL, TGM_ERROR_ENCODING, "out of memory for %zu bytes", n);
    d->len = n;
    if (o->verify_hash) {
        TGM_CHECK(tgm__hasher_new(&ps.h));
    }
    uint8_t *dst = d->data;
    if (zstd) {
        /* The compressed bytes go into a copy of the frame (kept whole
         * for the ordinary path, should the streaming decode fail). */
        frame = tgm__malloc((size_t)frame_len);
        TGM_FAIL_IF(frame == NULL, TGM_ERROR_ENCODING, "out of memory for %llu bytes",
                    (unsigned long long)frame_len);
        dst = frame + TGM_FRAME_HEADER_SIZE;
        if (tgm__zstd_dstream_new(d->data, n, &ps.z) != TGM_ERROR_OK) {
            tgm__clear_error();
            goto cleanup; /* *done stays false */
        }
    }
    TGM_CHECK(tgm__remote_read_streamed(tgm__file_source(f),
                                        l->msg_off + l->frame_off + TGM_FRAME_HEADER_SIZE, dst,
                                        plen, payload_consume, &ps));
    const uint8_t *rest = tail + (tl - (frame_len - payload_end));
    size_t rest_len = (size_t)(frame_len - TGM_DATA_FRAME_FOOTER_SIZE - payload_end);
    bool hash_ok = true;
    if (ps.h != NULL) {
        tgm__hasher_update(ps.h, rest, rest_len);
        hash_ok = tgm__hasher_digest(ps.h) == slot;
    }
    if (zstd && (!hash_ok || ps.z_failed || tgm__zstd_dstream_end(ps.z) != TGM_ERROR_OK)) {
        /* The ordinary path gives this frame's exact outcome. */
        tgm__clear_error();
        memcpy(frame, head, TGM_FRAME_HEADER_SIZE);
        memcpy(frame + (frame_len - tl), tail, tl);
        tgm_message_free(m);
        m = NULL;
        *done = frame_matches(frame, frame_len);
        if (*done) {
            err = object_from_frame(l, j, frame, o, out);
        }
        goto cleanup;
    }
    if (!hash_ok) {
        char e[17], c[17];
        tgm__hash_hex(slot, e);
        tgm__hash_hex(tgm__hasher_digest(ps.h), c);
        tgm__fail_raw(TGM_ERROR_HASH_MISMATCH, "hash mismatch on object %zu: expected %s, got %s",
                      j, e, c);
        tgm__set_error_object_index((int64_t)j);
        err = TGM_ERROR_HASH_MISMATCH;
        goto cleanup;
    }
    to_native(&ref, o->native_byte_order, d->data, n);
    d->has_hash = slot != 0;
    if (slot != 0) {
        tgm__hash_hex(slot, d->hash_hex);
    }
    *done = true;
    *out = m;
    m = NULL;
cleanup:
    tgm__zstd_dstream_free(ps.z);
    tgm__hasher_free(ps.h);
    tgm__free(frame);
    tgm_message_free(m);
    return err;
}

/* Plan the element reads of ranges of a raw object: dst receives each
 * range's bytes (one buffer when joined).  Checks as tgm_decode_range. */
static tgm_error plan_ranges(const obj_loc *l, const tgm_obj_ref *ref, size_t j,
                             const uint64_t *offs, const uint64_t *counts, size_t nr, int32_t join,
                             tgm_bytes_t *out, tgm_source_range *g, size_t *ng) {
    size_t width = tgm__dtype_width(ref->desc.dtype);
    uint64_t total = 0;
    size_t *len = tgm__calloc(nr ? nr : 1, sizeof *len);
    if (len == NULL) {
        return tgm__oom(nr * sizeof *len, "ranges");
    }
    tgm_error err = TGM_ERROR_OK;
    for (size_t i = 0; i < nr; i++) {
        uint64_t end, nbytes;
        TGM_FAIL_IF(tgm__add_u64(offs[i], counts[i], &end) || end > ref->desc.num_elements,
                    TGM_ERROR_OBJECT,
                    "range %zu (offset=%llu, count=%llu) is past the end of object %zu "
                    "(%llu elements)",
                    i, (unsigned long long)offs[i], (unsigned long long)counts[i], j,
                    (unsigned long long)ref->desc.num_elements);
        TGM_FAIL_IF(tgm__mul_u64(counts[i], width, &nbytes) || nbytes > SIZE_MAX, TGM_ERROR_OBJECT,
                    "range %zu is too large", i);
        TGM_CHECK(tgm__limit_check_object_bytes(nbytes, "range"));
        len[i] = (size_t)nbytes;
        total += nbytes;
    }
    uint64_t base = l->msg_off + l->frame_off + TGM_FRAME_HEADER_SIZE;
    if (join) {
        TGM_FAIL_IF(total > SIZE_MAX, TGM_ERROR_OBJECT, "ranges too large");
        out[0].data = tgm__malloc(total ? (size_t)total : 1);
        TGM_FAIL_IF(out[0].data == NULL, TGM_ERROR_ENCODING, "out of memory for %llu bytes",
                    (unsigned long long)total);
        out[0].len = (size_t)total;
        size_t pos = 0;
        for (size_t i = 0; i < nr; i++) {
            if (len[i] > 0) {
                g[(*ng)++] = (tgm_source_range){base + offs[i] * width, len[i], out[0].data + pos};
            }
            pos += len[i];
        }
    } else {
        for (size_t i = 0; i < nr; i++) {
            out[i].data = tgm__malloc(len[i] ? len[i] : 1);
            TGM_FAIL_IF(out[i].data == NULL, TGM_ERROR_ENCODING, "out of memory for %zu bytes",
                        len[i]);
            out[i].len = len[i];
            if (len[i] > 0) {
                g[(*ng)++] = (tgm_source_range){base + offs[i] * width, len[i], out[i].data};
            }
        }
    }
cleanup:
    tgm__free(len);
    return err;
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
    if (l.frame_len >= FAST_OBJECT_MIN) {
        TGM_TRY(streamed_object(f, &l, j, o, out, done));
        if (*done) {
            return TGM_ERROR_OK;
        }
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
    if (l.frame_len >= FAST_RANGE_MIN) {
        /* Only the elements asked for, once the descriptor is known. */
        const obj_loc *lp = &l;
        TGM_TRY(describe_frames(f, &lp, &j, 1));
        tgm_arena a = TGM_ARENA_INIT;
        tgm_obj_ref ref;
        uint64_t slot;
        tgm_error e = TGM_ERROR_OK;
        if (cached_descriptor(f, &l, j, &a, &ref, &slot) && raw_object(&ref)) {
            size_t per = join ? 1 : nr;
            tgm_source_range *g = tgm__calloc(nr + 1, sizeof *g);
            size_t ng = 0;
            for (size_t k = 0; k < per; k++) {
                out[k].data = NULL;
                out[k].len = 0;
            }
            e = g == NULL ? tgm__oom(nr * sizeof *g, "ranges")
                          : plan_ranges(&l, &ref, j, offs, counts, nr, join, out, g, &ng);
            if (e == TGM_ERROR_OK) {
                e = tgm__source_read_many(tgm__file_source(f), g, ng, false);
            }
            for (size_t k = 0; k < per && e == TGM_ERROR_OK; k++) {
                to_native(&ref, native != 0, out[k].data, out[k].len);
            }
            if (e != TGM_ERROR_OK) {
                for (size_t k = 0; k < per; k++) {
                    tgm__free(out[k].data);
                    out[k].data = NULL;
                    out[k].len = 0;
                }
            } else {
                *out_count = per;
            }
            tgm__free(g);
            *done = true;
        }
        tgm__arena_free(&a);
        if (*done) {
            return e;
        }
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
    TGM_TRY(tgm__rfile_prefetch(tgm__file_remote(file), msg_indices, n));
    /* Then the descriptors of the large objects of these messages, so a
     * later element read is one request. */
    size_t total = 0;
    for (size_t k = 0; k < n; k++) {
        obj_loc l;
        TGM_TRY(locate_message(file, msg_indices[k], &l));
        total += l.usable ? l.lay->nindex : 0;
    }
    obj_loc *locs = tgm__calloc(total ? total : 1, sizeof *locs);
    const obj_loc **lp = tgm__calloc(total ? total : 1, sizeof *lp);
    size_t *js = tgm__calloc(total ? total : 1, sizeof *js);
    tgm_error err = TGM_ERROR_OK;
    size_t m = 0;
    TGM_FAIL_IF(locs == NULL || lp == NULL || js == NULL, TGM_ERROR_IO, "out of memory");
    for (size_t k = 0; k < n; k++) {
        obj_loc l;
        TGM_CHECK(locate_message(file, msg_indices[k], &l));
        for (size_t j = 0; l.usable && j < l.lay->nindex && m < total; j++) {
            TGM_CHECK(locate_object(file, msg_indices[k], j, &locs[m]));
            if (locs[m].usable && locs[m].frame_len >= FAST_RANGE_MIN) {
                lp[m] = &locs[m];
                js[m] = j;
                m++;
            }
        }
    }
    TGM_CHECK(describe_frames(file, lp, js, m));
cleanup:
    tgm__free(locs);
    tgm__free(lp);
    tgm__free(js);
    return err;
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

/* Element ranges of large raw objects across messages: descriptors (one
 * batch, cached), then only the elements (one batch).  *done false: some
 * object is not such an object; the caller reads frames instead. */
static tgm_error range_batch_fast(tgm_file_t *f, const size_t *idx, size_t n, size_t j,
                                  const uint64_t *offs, const uint64_t *counts, size_t nr,
                                  int32_t native, int32_t join, tgm_bytes_t *out, size_t per,
                                  bool *done) {
    *done = false;
    TGM_TRY(batch_check(f, idx, n));
    TGM_TRY(tgm__rfile_prefetch(tgm__file_remote(f), idx, n));
    tgm_error err = TGM_ERROR_OK;
    tgm_arena a = TGM_ARENA_INIT;
    obj_loc *locs = tgm__calloc(n ? n : 1, sizeof *locs);
    const obj_loc **lp = tgm__calloc(n ? n : 1, sizeof *lp);
    size_t *js = tgm__calloc(n ? n : 1, sizeof *js);
    tgm_obj_ref *refs = tgm__calloc(n ? n : 1, sizeof *refs);
    tgm_source_range *g = tgm__calloc(n * (nr ? nr : 1) + 1, sizeof *g);
    size_t ng = 0;
    TGM_FAIL_IF(locs == NULL || lp == NULL || js == NULL || refs == NULL || g == NULL, TGM_ERROR_IO,
                "out of memory for a batch of %zu", n);
    for (size_t k = 0; k < n; k++) {
        TGM_CHECK(locate_object(f, idx[k], j, &locs[k]));
        if (!locs[k].usable || locs[k].frame_len < FAST_RANGE_MIN) {
            goto cleanup;
        }
        lp[k] = &locs[k];
        js[k] = j;
    }
    TGM_CHECK(describe_frames(f, lp, js, n));
    for (size_t k = 0; k < n; k++) {
        uint64_t slot;
        if (!cached_descriptor(f, &locs[k], j, &a, &refs[k], &slot) || !raw_object(&refs[k])) {
            goto cleanup;
        }
    }
    for (size_t k = 0; k < n; k++) {
        TGM_CHECK(
            plan_ranges(&locs[k], &refs[k], j, offs, counts, nr, join, out + k * per, g, &ng));
    }
    TGM_CHECK(tgm__source_read_many(tgm__file_source(f), g, ng, false));
    for (size_t k = 0; k < n; k++) {
        for (size_t p = 0; p < per; p++) {
            to_native(&refs[k], native != 0, out[k * per + p].data, out[k * per + p].len);
        }
    }
    *done = true;
cleanup:
    if (err != TGM_ERROR_OK) {
        *done = true; /* the error is the answer */
    }
    tgm__arena_free(&a);
    tgm__free(locs);
    tgm__free(lp);
    tgm__free(js);
    tgm__free(refs);
    tgm__free(g);
    return err;
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
        bool done = false;
        err = range_batch_fast(file, msg_indices, n, obj_index, ranges_offsets, ranges_counts,
                               num_ranges, native_byte_order, join, out, per, &done);
        if (err == TGM_ERROR_OK && !done) {
            range_batch b = {
                obj_index, ranges_offsets, ranges_counts, num_ranges, native_byte_order,
                join,      threads,        out,           per};
            err = run_batch(file, msg_indices, n, obj_index, range_batch_fn, &b);
        }
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

/* Validation of a remote object with internal options `o`. */
static tgm_error validate_remote(const char *source, const char *const *storage_keys,
                                 const char *const *storage_values, size_t num_options,
                                 const tgm_vopts *o, tgm_bytes_t *out) {
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
    TGM_CHECK(tgm__validate_buffer(bytes, (size_t)src->size, o, &r));
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
    return validate_remote(source, storage_keys, storage_values, num_options, &o, out);
}

tgm_error tgm_validate_source_ex(const char *source, const char *const *storage_keys,
                                 const char *const *storage_values, size_t num_options,
                                 const tgm_validate_options *options, tgm_bytes_t *out) {
    tgm__clear_error();
    TGM_API_REQUIRE(source != NULL && out != NULL, "null argument");
    if (!tgm__remote_is_url(source)) {
        TGM_API_REQUIRE(num_options == 0, "storage options apply to remote URLs only");
        return tgm_validate_file_ex(source, options, out);
    }
    tgm_vopts o;
    TGM_TRY(tgm__vopts_from_options(options, &o));
    return validate_remote(source, storage_keys, storage_values, num_options, &o, out);
}
