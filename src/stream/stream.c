/* Streaming encoder: frames written to a sink as they are produced.  See
 * stream.h for the layout and the memory and atomicity guarantees. */
#include <string.h>

#include "cbor/cbor.h"
#include "common/alloc.h"
#include "common/checked.h"
#include "common/endian.h"
#include "common/error.h"
#include "common/thread.h"
#include "message/emit.h"
#include "pipeline/pipeline.h"
#include "stream/stream.h"
#include "wire/wire.h"

enum { ST_OPEN, ST_FINISHED, ST_BROKEN };

struct tgm_stream {
    tgm_sink *sink;
    tgm_stream_opts o;
    int state;
    uint16_t flags;     /* preamble flags */
    uint64_t msg_start; /* sink position of the preamble */
    tgm_emit emit;      /* frames to the sink (message/emit.h) */

    tgm_arena meta_arena; /* the caller's metadata, kept for the footer */
    tgm_global_meta meta;

    /* Per object of the current message. */
    size_t count;
    tgm_u64vec offsets, lengths, hashes;
    tgm_buf entries; /* canonical CBOR of each footer base entry, back to back */

    bool pending; /* a PrecederMetadata frame waits for its object */
    tgm_arena pending_arena;
    tgm_val *pending_map;
};

/* After each operation: the staged bytes go to the sink; a write error
 * breaks the stream for good. */
static tgm_error done(tgm_stream *s, tgm_error err) {
    if (err == TGM_ERROR_OK) {
        err = tgm__emit_flush(&s->emit);
    }
    if (s->emit.broken) {
        s->state = ST_BROKEN;
    }
    return err;
}

static tgm_error check_usable(const tgm_stream *s) {
    if (s->state == ST_FINISHED) {
        return tgm__fail_raw(TGM_ERROR_INVALID_ARG, "streaming encoder already finished");
    }
    if (s->state == ST_BROKEN) {
        return tgm__fail(TGM_ERROR_IO,
                         "the streaming output to %s is incomplete after an earlier write "
                         "error; nothing more can be written to it",
                         s->sink->name);
    }
    return TGM_ERROR_OK;
}

static tgm_error set_key(tgm_arena *a, tgm_val *slot, const char *key) {
    if (tgm__val_set_text(a, slot, key, strlen(key)) != 0) {
        return tgm__oom(strlen(key), "metadata key");
    }
    return TGM_ERROR_OK;
}

/* ---- begin ------------------------------------------------------------------------ */

/* Preamble (total_length 0) and HeaderMetadata holding the caller's
 * metadata as given (no _reserved_: provenance goes in the footer). */
static tgm_error write_head(tgm_stream *s) {
    tgm_error err = TGM_ERROR_OK;
    tgm_arena a = TGM_ARENA_INIT;
    tgm_buf cbor = TGM_BUF_INIT;
    tgm_val *mv;
    TGM_CHECK(tgm__gmeta_to_val(&a, &s->meta, &mv));
    TGM_CHECK(tgm__cbor_encode(mv, &cbor));

    s->msg_start = s->sink->written;
    tgm__emit_reset(&s->emit);
    uint8_t pre[TGM_PREAMBLE_SIZE];
    tgm_preamble p = {TGM_WIRE_VERSION, s->flags, 0, 0};
    tgm__preamble_write(pre, &p);
    TGM_CHECK(tgm__emit_bytes(&s->emit, pre, sizeof pre));
    err = tgm__emit_frame(&s->emit, TGM_FRAME_HEADER_METADATA, cbor.data, cbor.len);
cleanup:
    err = done(s, err);
    tgm__buf_free(&cbor);
    tgm__arena_free(&a);
    return err;
}

static tgm_error copy_meta(tgm_stream *s, const tgm_global_meta *src) {
    tgm_arena *a = &s->meta_arena;
    TGM_TRY(tgm__gmeta_init(a, &s->meta));
    if (src->nbase > 0) {
        tgm_val *arr = tgm__val_array(a, src->nbase);
        if (arr == NULL) {
            return tgm__oom(src->nbase * sizeof(tgm_val), "base");
        }
        for (size_t i = 0; i < src->nbase; i++) {
            if (tgm__val_copy_into(a, &arr->p.items[i], &src->base[i]) != 0) {
                return tgm__oom(0, "base entry");
            }
        }
        s->meta.base = arr->p.items;
        s->meta.nbase = src->nbase;
    }
    if (src->extra != NULL && src->extra->len > 0) {
        s->meta.extra = tgm__val_clone(a, src->extra);
        if (s->meta.extra == NULL) {
            return tgm__oom(0, "_extra_");
        }
    }
    return TGM_ERROR_OK;
}

tgm_error tgm__stream_begin(tgm_sink *sink, const tgm_global_meta *meta, const tgm_stream_opts *o,
                            tgm_stream **out) {
    tgm_error err = TGM_ERROR_OK;
    tgm_stream *s = tgm__calloc(1, sizeof *s);
    if (s == NULL) {
        tgm__sink_close(sink);
        return tgm__oom(sizeof *s, "streaming encoder");
    }
    s->sink = sink;
    s->o = *o;
    if (s->o.threads == 0) {
        s->o.threads = 1;
    }
    s->state = ST_OPEN;
    s->flags = TGM_MF_HEADER_METADATA | TGM_MF_FOOTER_METADATA | TGM_MF_FOOTER_INDEX |
               TGM_MF_PRECEDER_METADATA;
    if (o->hashing) {
        s->flags |= TGM_MF_HASHES_PRESENT;
        if (o->footer_hash) {
            s->flags |= TGM_MF_FOOTER_HASHES;
        }
    }
    TGM_CHECK(tgm__emit_to_sink(&s->emit, sink, o->hashing));
    TGM_CHECK(copy_meta(s, meta));
    TGM_CHECK(write_head(s));
    *out = s;
    return TGM_ERROR_OK;
cleanup:
    tgm__stream_free(s);
    return err;
}

/* ---- preceder ---------------------------------------------------------------------- */

tgm_error tgm__stream_preceder(tgm_stream *s, const tgm_val *map) {
    tgm_error err = TGM_ERROR_OK;
    TGM_TRY(check_usable(s));
    TGM_RETURN_IF(s->pending, TGM_ERROR_FRAMING,
                  "write_preceder called twice without an intervening "
                  "write_object/write_object_pre_encoded");
    TGM_RETURN_IF(map->kind != TGM_V_MAP, TGM_ERROR_METADATA,
                  "preceder metadata must be a map, got %s", tgm__cbor_kind(map));
    for (size_t i = 0; i < map->len; i++) {
        const tgm_val *k = tgm__val_map_key(map, i);
        TGM_RETURN_IF(k->kind != TGM_V_TEXT, TGM_ERROR_METADATA,
                      "preceder metadata keys must be strings, found %s", tgm__cbor_kind(k));
        TGM_RETURN_IF(tgm__val_is_text(k, TGM_RESERVED_KEY), TGM_ERROR_METADATA,
                      "client code must not write '_reserved_' in preceder metadata; this field "
                      "is populated by the library");
    }

    /* Keep the map for the footer entry of the next object; the frame
     * carries it as {"base": [map]} (§6.4). */
    tgm_arena a = TGM_ARENA_INIT;
    tgm_buf cbor = TGM_BUF_INIT;
    tgm_val *kept = tgm__section_normalise(&a, map);
    if (kept != NULL) {
        kept = tgm__val_clone(&a, kept); /* deep: the caller's tree may go away */
    }
    tgm_val *root = tgm__val_map(&a, 1);
    tgm_val *arr = tgm__val_array(&a, 1);
    if (kept == NULL || root == NULL || arr == NULL) {
        err = tgm__oom(map->len * 2 * sizeof(tgm_val), "preceder metadata");
        goto cleanup;
    }
    arr->p.items[0] = *kept;
    TGM_CHECK(set_key(&a, &root->p.items[0], "base"));
    root->p.items[1] = *arr;
    TGM_CHECK(tgm__cbor_encode(root, &cbor));

    TGM_CHECK(done(s, tgm__emit_frame(&s->emit, TGM_FRAME_PRECEDER_METADATA, cbor.data, cbor.len)));
    tgm__arena_free(&s->pending_arena);
    s->pending_arena = a;
    memset(&a, 0, sizeof a);
    s->pending_map = kept;
    s->pending = true;
cleanup:
    tgm__buf_free(&cbor);
    tgm__arena_free(&a);
    return err;
}

/* ---- objects ------------------------------------------------------------------------- */

/* Footer base entry of the object being written: the caller's base[i],
 * then _reserved_.tensor, then the preceder's keys (preceder wins, §6.4),
 * appended to s->entries as canonical CBOR. */
static tgm_error append_entry(tgm_stream *s, tgm_arena *a, const tgm_descriptor *d) {
    tgm_val empty;
    memset(&empty, 0, sizeof empty);
    empty.kind = TGM_V_MAP;
    const tgm_val *ub = s->count < s->meta.nbase ? &s->meta.base[s->count] : &empty;
    const tgm_val *pm = s->pending ? s->pending_map : &empty;
    tgm_val *tensor;
    TGM_TRY(tgm__tensor_reserved(a, d, &tensor));
    size_t n = ub->len + 1 + pm->len;
    tgm_val *m = tgm__val_map(a, n);
    if (m == NULL) {
        return tgm__oom(n * 2 * sizeof(tgm_val), "footer base entry");
    }
    if (ub->len > 0) {
        memcpy(m->p.items, ub->p.items, 2 * ub->len * sizeof(tgm_val));
    }
    TGM_TRY(set_key(a, &m->p.items[2 * ub->len], TGM_RESERVED_KEY));
    m->p.items[2 * ub->len + 1] = *tensor;
    if (pm->len > 0) {
        memcpy(m->p.items + 2 * (ub->len + 1), pm->p.items, 2 * pm->len * sizeof(tgm_val));
    }
    tgm_val *norm = tgm__section_normalise(a, m); /* sorted; later duplicates win */
    if (norm == NULL) {
        return tgm__oom(n * 2 * sizeof(tgm_val), "footer base entry");
    }
    return tgm__cbor_encode(norm, &s->entries);
}

/* Geometric growth, so that recording an object never fails after its
 * frame has been written. */
static tgm_error room_for_one(tgm_u64vec *v) {
    if (v->n < v->cap) {
        return TGM_ERROR_OK;
    }
    return tgm__u64vec_reserve(v, v->cap < 16 ? 16 : v->cap * 2);
}

tgm_error tgm__stream_object(tgm_stream *s, const tgm_descriptor *d, const uint8_t *data,
                             size_t len, bool pre_encoded) {
    tgm_error err = TGM_ERROR_OK;
    TGM_TRY(check_usable(s));
    tgm_arena a = TGM_ARENA_INIT;
    tgm_encoded_obj e;
    memset(&e, 0, sizeof e);
    tgm_buf cbor = TGM_BUF_INIT;
    size_t entries_before = s->entries.len;

    /* 1. Everything that can fail on the object's content or on memory. */
    tgm_encode_opts eo;
    memset(&eo, 0, sizeof eo);
    eo.hashing = s->o.hashing;
    eo.threads = tgm__thread_split(s->o.threads, 1, len).each;
    eo.pre_encoded = pre_encoded;
    eo.allow_nan = s->o.allow_nan;
    eo.allow_inf = s->o.allow_inf;
    for (int k = 0; k < 3; k++) {
        eo.mask_method[k] = s->o.mask_method[k];
    }
    eo.small_mask_threshold = s->o.small_mask_threshold;
    TGM_CHECK(tgm__pipeline_encode(&a, d, len ? data : (const uint8_t *)"", len, &eo, &e));
    if (e.check_finite_on_copy) {
        /* Bytes sent cannot be taken back: unencoded floats are checked
         * before the first is written (the emitter would check them
         * there too, but after the entry below is made). */
        TGM_CHECK(tgm__pipeline_check_chunk(&e, e.payload, e.payload_len));
        e.check_finite_on_copy = false;
    }
    TGM_CHECK(tgm__cbor_encode(e.desc_val, &cbor));
    uint64_t flen = 0, end;
    TGM_CHECK(tgm__emit_object_size(&e, cbor.len, &flen));
    TGM_FAIL_IF(tgm__add_u64(s->emit.pos, flen, &end) || end > UINT64_MAX - 64, TGM_ERROR_FRAMING,
                "data-object frame of %zu payload bytes is too large", e.payload_len);
    TGM_CHECK(append_entry(s, &a, &e.desc));
    TGM_CHECK(room_for_one(&s->offsets));
    TGM_CHECK(room_for_one(&s->lengths));
    TGM_CHECK(room_for_one(&s->hashes));

    /* 2. Output. */
    uint64_t at = s->emit.pos, hash = 0;
    TGM_CHECK(done(s, tgm__emit_object(&s->emit, &e, &cbor, &hash)));
    s->offsets.v[s->offsets.n++] = at;
    s->lengths.v[s->lengths.n++] = flen;
    s->hashes.v[s->hashes.n++] = hash;
    s->count++;
    s->pending = false;
    tgm__arena_free(&s->pending_arena);
    s->pending_map = NULL;

cleanup:
    if (err != TGM_ERROR_OK) {
        s->entries.len = entries_before;
    }
    tgm__encoded_obj_free(&e);
    tgm__buf_free(&cbor);
    tgm__arena_free(&a);
    return err;
}

/* ---- finish ----------------------------------------------------------------------------- */

/* FooterMetadata (§6.1): {"base": [entries...], "_extra_"?, "_reserved_"}
 * written piece by piece from the per-object entries.  Canonical key order
 * (encoded bytes) is base < _extra_ < _reserved_, so the entries come first
 * and the tail (the other sections, encoded as a map whose head is
 * replaced) follows. */
static tgm_error put_footer_metadata(tgm_stream *s, const tgm_buf *tail, size_t tail_count) {
    uint8_t head[1 + 5 + 9];
    size_t hn = 0;
    head[hn++] = (uint8_t)(0xa0u + tail_count + (s->count > 0));
    if (s->count > 0) {
        memcpy(head + hn,
               "\x64"
               "base",
               5);
        hn += 5;
        hn += tgm__cbor_put_head(head + hn, TGM_CBOR_ARRAY, s->count);
    }
    uint64_t body = (uint64_t)hn + s->entries.len + (tail->len - 1);
    TGM_TRY(tgm__emit_frame_begin(&s->emit, TGM_FRAME_FOOTER_METADATA, body));
    TGM_TRY(tgm__emit_frame_piece(&s->emit, head, hn));
    TGM_TRY(tgm__emit_frame_piece(&s->emit, s->entries.data, s->entries.len));
    TGM_TRY(tgm__emit_frame_piece(&s->emit, tail->data + 1, tail->len - 1));
    return tgm__emit_frame_end(&s->emit);
}

tgm_error tgm__stream_finish(tgm_stream *s, bool backfill) {
    tgm_error err = TGM_ERROR_OK;
    TGM_TRY(check_usable(s));
    TGM_RETURN_IF(s->pending, TGM_ERROR_FRAMING,
                  "dangling PrecederMetadata: finish called without a following "
                  "write_object/write_object_pre_encoded");
    tgm_arena a = TGM_ARENA_INIT;
    tgm_buf tail = TGM_BUF_INIT, idx = TGM_BUF_INIT, hf = TGM_BUF_INIT;

    /* The sections after base: _extra_ as given, _reserved_ = provenance
     * (stamped now, as the reference does at finish). */
    tgm_val *prov;
    TGM_CHECK(tgm__provenance(&a, &prov));
    size_t tail_count = (s->meta.extra->len > 0) + (prov->len > 0);
    tgm_val *tm = tgm__val_map(&a, tail_count);
    if (tm == NULL) {
        err = tgm__oom(tail_count * 2 * sizeof(tgm_val), "footer metadata");
        goto cleanup;
    }
    size_t j = 0;
    if (s->meta.extra->len > 0) {
        TGM_CHECK(set_key(&a, &tm->p.items[2 * j], TGM_EXTRA_KEY));
        tm->p.items[2 * j + 1] = *s->meta.extra;
        j++;
    }
    if (prov->len > 0) {
        TGM_CHECK(set_key(&a, &tm->p.items[2 * j], TGM_RESERVED_KEY));
        tm->p.items[2 * j + 1] = *prov;
    }
    TGM_CHECK(tgm__cbor_encode(tm, &tail));
    TGM_CHECK(tgm__index_to_cbor(s->offsets.v, s->lengths.v, s->count, &idx));
    bool hash_frame = s->o.hashing && s->o.footer_hash && s->count > 0;
    if (hash_frame) {
        TGM_CHECK(tgm__hashframe_to_cbor(s->hashes.v, s->count, &hf));
    }

    uint64_t footer_start = s->emit.pos;
    err = put_footer_metadata(s, &tail, tail_count);
    if (err == TGM_ERROR_OK && hash_frame) {
        err = tgm__emit_frame(&s->emit, TGM_FRAME_FOOTER_HASH, hf.data, hf.len);
    }
    if (err == TGM_ERROR_OK) {
        err = tgm__emit_frame(&s->emit, TGM_FRAME_FOOTER_INDEX, idx.data, idx.len);
    }

    /* Back-filling (§9.4): the postamble is written last, so its copy of
     * the length needs no seek; the preamble's is patched in place. */
    bool fill = backfill && tgm__stream_can_backfill(s);
    uint64_t total = s->emit.pos + TGM_POSTAMBLE_SIZE;
    uint8_t post[TGM_POSTAMBLE_SIZE];
    tgm_postamble pa = {footer_start, fill ? total : 0};
    tgm__postamble_write(post, &pa);
    if (err == TGM_ERROR_OK) {
        err = tgm__emit_bytes(&s->emit, post, sizeof post);
    }
    TGM_CHECK(done(s, err));
    if (fill) {
        uint8_t be[8];
        tgm__wr_be64(be, total);
        err = s->sink->ops->pwrite(s->sink, s->msg_start + 16, be, sizeof be);
        if (err != TGM_ERROR_OK) {
            s->state = ST_BROKEN;
            goto cleanup;
        }
    }
    s->state = ST_FINISHED;

cleanup:
    tgm__buf_free(&tail);
    tgm__buf_free(&idx);
    tgm__buf_free(&hf);
    tgm__arena_free(&a);
    return err;
}

tgm_error tgm__stream_restart(tgm_stream *s, tgm_sink *sink) {
    if (s->state != ST_FINISHED) {
        if (sink != NULL) {
            tgm__sink_close(sink);
        }
        return tgm__fail_raw(TGM_ERROR_INVALID_ARG,
                             "streaming encoder: the current message is not finished");
    }
    if (sink != NULL && sink != s->sink) {
        tgm__sink_close(s->sink);
        s->sink = sink;
        s->emit.sink = sink;
    }
    s->count = 0;
    s->offsets.n = s->lengths.n = s->hashes.n = 0;
    s->entries.len = 0;
    s->state = ST_OPEN;
    return write_head(s);
}

/* ---- accessors ------------------------------------------------------------------------- */

tgm_sink *tgm__stream_sink(tgm_stream *s) { return s->sink; }

size_t tgm__stream_count(const tgm_stream *s) { return s->count; }

uint64_t tgm__stream_bytes_written(const tgm_stream *s) { return s->emit.pos; }

bool tgm__stream_is_open(const tgm_stream *s) { return s->state == ST_OPEN; }

bool tgm__stream_can_backfill(const tgm_stream *s) {
    return s->o.backfill_ok && tgm__sink_seekable(s->sink);
}

size_t tgm__stream_footprint(const tgm_stream *s) {
    return sizeof *s + s->emit.stage.cap + s->entries.cap +
           (s->offsets.cap + s->lengths.cap + s->hashes.cap) * sizeof(uint64_t) +
           s->meta_arena.total + s->pending_arena.total;
}

void tgm__stream_free(tgm_stream *s) {
    if (s == NULL) {
        return;
    }
    tgm__sink_close(s->sink);
    tgm__emit_free(&s->emit);
    tgm__buf_free(&s->entries);
    tgm__u64vec_free(&s->offsets);
    tgm__u64vec_free(&s->lengths);
    tgm__u64vec_free(&s->hashes);
    tgm__arena_free(&s->meta_arena);
    tgm__arena_free(&s->pending_arena);
    tgm__free(s);
}
