/* Buffered message encoding (WIRE_FORMAT §1, §6): the whole message is laid
 * out from the sizes first, allocated once, and written in one pass through
 * the frame emitter (emit.h), each frame into its place; each payload is
 * copied straight into place and hashed while hot. */
#include <stdlib.h>
#include <string.h>

#include "cbor/cbor.h"
#include "common/alloc.h"
#include "common/checked.h"
#include "common/endian.h"
#include "common/error.h"
#include "common/thread.h"
#include "hash/hash.h"
#include "message/emit.h"
#include "message/fill.h"
#include "message/message.h"

typedef struct obj_layout {
    tgm_buf cbor;     /* canonical descriptor CBOR */
    size_t frame_len; /* total_length of the frame */
    size_t offset;    /* frame offset in the message */
    size_t skipped;   /* gathered output: payload bytes of the frames before this one */
    uint64_t hash;
} obj_layout;

static size_t frame_size(size_t body) { return (size_t)tgm__emit_frame_size(body); }

/* An emitter writing into bytes [at, at + n) of the message at `base`
 * (laid out in advance). */
static void window(tgm_emit *e, tgm_buf *w, uint8_t *base, size_t at, size_t n, bool hashing) {
    *w = tgm__buf_over(base + at, n);
    tgm__emit_to_buf(e, w, at, hashing);
}

/* The same for gathered output, where `base` holds the message without
 * payloads: message offset `at` is at base + at - skipped. */
static void window_gapped(tgm_emit *e, tgm_buf *w, uint8_t *base, size_t at, size_t skipped,
                          size_t n, bool hashing) {
    *w = tgm__buf_over(base + (at - skipped), n);
    tgm__emit_to_buf(e, w, at, hashing);
}

typedef struct write_ctx {
    uint8_t *out;
    tgm_encoded_obj *objs;
    obj_layout *lay;
    bool hashing;
    const uint64_t *written; /* frames already in place: their hashes (or NULL) */
    bool gapped;             /* gathered output: payloads left out of `out` */
} write_ctx;

/* Data-object frame i, into its place. */
static tgm_error write_object_frame(void *vctx, size_t i) {
    write_ctx *c = vctx;
    obj_layout *l = &c->lay[i];
    if (c->written != NULL) {
        l->hash = c->written[i];
        return TGM_ERROR_OK;
    }
    tgm_emit e;
    tgm_buf w;
    size_t span = tgm__align8(l->offset + l->frame_len) - l->offset;
    tgm_error err;
    if (c->gapped) {
        window_gapped(&e, &w, c->out, l->offset, l->skipped, span - c->objs[i].payload_len,
                      c->hashing);
        err = tgm__emit_object_gapped(&e, &c->objs[i], &l->cbor, &l->hash);
    } else {
        window(&e, &w, c->out, l->offset, span, c->hashing);
        err = tgm__emit_object(&e, &c->objs[i], &l->cbor, &l->hash);
    }
    tgm__emit_free(&e);
    return err;
}

/* Aligned size of the index frame for offsets laid out after a header of
 * `header_no_index` bytes plus the index frame itself. */
static tgm_error layout_index(size_t header_no_index, obj_layout *lay, size_t n, tgm_buf *cbor,
                              uint64_t *offs, uint64_t *lens) {
    size_t idx_size = 0;
    for (size_t i = 0; i < n; i++) {
        offs[i] = 0;
        lens[i] = lay[i].frame_len;
    }
    for (int iter = 0; iter < 16; iter++) {
        cbor->len = 0;
        TGM_TRY(tgm__index_to_cbor(offs, lens, n, cbor));
        size_t sz = tgm__align8(frame_size(cbor->len));
        if (iter > 0 && sz == idx_size) {
            return TGM_ERROR_OK;
        }
        idx_size = sz;
        size_t cur = header_no_index + idx_size;
        for (size_t i = 0; i < n; i++) {
            offs[i] = cur;
            cur = tgm__align8(cur + lay[i].frame_len);
        }
    }
    return tgm__fail(TGM_ERROR_FRAMING, "index frame size did not converge");
}

/* Messages of up to SMALL_N objects keep their layout on the stack. */
#define SMALL_N 8
#define SMALL_CBOR 256 /* >= 24 + 18 * SMALL_N: an index or hash frame body */

/* What a template gives write_message ready-made: the metadata CBOR and
 * every object's descriptor CBOR. */
typedef struct cached_cbor {
    const tgm_buf *meta;
    const tgm_buf *descs;
    tgm_buf *index; /* filled by the first message (empty until then) */
} cached_cbor;

/* Gathered output (tgm__msg_encode_gather): `out` receives the message
 * without its payloads; cut[i] is where object i's payload goes in it. */
typedef struct gather_out {
    size_t *cut; /* nobj entries */
} gather_out;

/* The layout and the frames of encoded objects, appended to `out`;
 * `cached` (may be NULL) supplies CBOR already built; `written` (may be
 * NULL): the object frames are already in their places in `out`'s spare
 * capacity (tgm__msg_write_frame), with these hashes.  With `layout_only`,
 * the layout only (no byte written).  With `gather`, every byte but the
 * payloads'. */
static tgm_error write_message(tgm_arena *a, const tgm_global_meta *meta, tgm_encoded_obj *objs,
                               size_t nobj, const tgm_msg_encode_opts *o, uint32_t budget,
                               const cached_cbor *cached, const uint64_t *written, tgm_buf *out,
                               tgm_msg_layout *layout_only, gather_out *gather) {
    tgm_error err = TGM_ERROR_OK;
    tgm_buf own_meta = TGM_BUF_INIT, idx_cbor = TGM_BUF_INIT, hash_cbor = TGM_BUF_INIT;
    const tgm_buf *meta_cbor = &own_meta;
    obj_layout *lay = NULL;
    uint64_t *offs = NULL, *lens = NULL, *hashes = NULL;
    bool hashing = o->hashing;
    bool header_hash = hashing && o->header_hash && nobj > 0;
    bool footer_hash = hashing && o->footer_hash && nobj > 0;
    bool small = nobj <= SMALL_N;
    obj_layout lay_s[SMALL_N];
    uint64_t offs_s[SMALL_N], lens_s[SMALL_N], hashes_s[SMALL_N];
    uint8_t idx_s[SMALL_CBOR], hash_s[SMALL_CBOR];

    if (cached != NULL) {
        meta_cbor = cached->meta;
    } else {
        tgm_val *mv;
        TGM_CHECK(tgm__gmeta_to_val(a, meta, &mv));
        /* One allocation for the usual sizes, rather than doubling from 64. */
        TGM_CHECK(tgm__buf_reserve(&own_meta, 1024));
        TGM_CHECK(tgm__cbor_encode(mv, &own_meta));
    }

    if (small) {
        memset(lay_s, 0, nobj * sizeof *lay_s);
        memset(hashes_s, 0, nobj * sizeof *hashes_s);
        lay = lay_s;
        offs = offs_s;
        lens = lens_s;
        hashes = hashes_s;
        idx_cbor = tgm__buf_over(idx_s, sizeof idx_s);
        hash_cbor = tgm__buf_over(hash_s, sizeof hash_s);
    } else {
        lay = tgm__calloc(nobj, sizeof *lay);
        offs = tgm__calloc(nobj, sizeof *offs);
        lens = tgm__calloc(nobj, sizeof *lens);
        hashes = tgm__calloc(nobj, sizeof *hashes);
        TGM_FAIL_IF(lay == NULL || offs == NULL || lens == NULL || hashes == NULL,
                    TGM_ERROR_ENCODING, "out of memory for the layout of %zu objects", nobj);
    }
    for (size_t i = 0; i < nobj; i++) {
        if (cached != NULL) {
            lay[i].cbor = tgm__buf_over(cached->descs[i].data, cached->descs[i].cap);
            lay[i].cbor.len = cached->descs[i].len;
        } else {
            TGM_CHECK(tgm__buf_reserve(&lay[i].cbor, 512));
            TGM_CHECK(tgm__cbor_encode(objs[i].desc_val, &lay[i].cbor));
        }
        uint64_t flen = 0;
        TGM_CHECK(tgm__emit_object_size(&objs[i], lay[i].cbor.len, &flen));
        lay[i].frame_len = (size_t)flen;
    }

    /* Header: preamble, metadata, [index], [hash]. */
    size_t meta_frame = tgm__align8(frame_size(meta_cbor->len));
    size_t hash_frame = 0;
    if (header_hash || footer_hash) {
        TGM_CHECK(tgm__hashframe_to_cbor(hashes, nobj, &hash_cbor)); /* size only for now */
        hash_frame = tgm__align8(frame_size(hash_cbor.len));
    }
    size_t header_no_index = TGM_PREAMBLE_SIZE + meta_frame + (header_hash ? hash_frame : 0);
    size_t idx_frame = 0;
    if (nobj > 0) {
        if (cached != NULL && cached->index->len > 0) {
            idx_cbor = tgm__buf_over(cached->index->data, cached->index->cap);
            idx_cbor.len = cached->index->len;
        } else {
            TGM_CHECK(layout_index(header_no_index, lay, nobj, &idx_cbor, offs, lens));
            if (cached != NULL) {
                TGM_CHECK(tgm__buf_append(cached->index, idx_cbor.data, idx_cbor.len));
            }
        }
        idx_frame = tgm__align8(frame_size(idx_cbor.len));
    }
    size_t cur = TGM_PREAMBLE_SIZE + meta_frame + idx_frame + (header_hash ? hash_frame : 0);
    size_t skipped = 0; /* payload bytes before the frame (gathered output) */
    for (size_t i = 0; i < nobj; i++) {
        lay[i].offset = cur;
        lay[i].skipped = skipped;
        skipped += objs[i].payload_len;
        TGM_FAIL_IF(tgm__add_size(cur, lay[i].frame_len, &cur) || cur > SIZE_MAX - 64,
                    TGM_ERROR_FRAMING, "message too large");
        cur = tgm__align8(cur);
    }
    size_t footer_start = cur;
    if (footer_hash) {
        cur += hash_frame;
    }
    size_t postamble_at = cur;
    size_t total = cur + TGM_POSTAMBLE_SIZE;

    /* Write: the header frames, the objects side by side, then the hash
     * frames (their hashes known) and the postamble. */
    uint16_t flags = TGM_MF_HEADER_METADATA;
    if (nobj > 0) {
        flags |= TGM_MF_HEADER_INDEX;
    }
    if (header_hash) {
        flags |= TGM_MF_HEADER_HASHES;
    }
    if (footer_hash) {
        flags |= TGM_MF_FOOTER_HASHES;
    }
    if (hashing) {
        flags |= TGM_MF_HASHES_PRESENT;
    }
    if (layout_only != NULL) {
        layout_only->payload0 = nobj > 0 ? lay[0].offset + TGM_FRAME_HEADER_SIZE : 0;
        layout_only->total = total;
        for (size_t i = 0; layout_only->frame_at != NULL && i < nobj; i++) {
            layout_only->frame_at[i] = lay[i].offset;
        }
        for (size_t i = 0; layout_only->frame_len != NULL && i < nobj; i++) {
            layout_only->frame_len[i] = lay[i].frame_len;
        }
        goto cleanup;
    }
    /* A payload compressed into its slot (payload_slot) lies in out's spare
     * capacity: moved to its final place if the layout moved it. */
    size_t slot_at = SIZE_MAX;
    if (nobj == 1 && objs[0].in_slot) {
        slot_at = (size_t)(objs[0].payload - (out->data + out->len));
    }
    size_t kept = gather != NULL ? total - skipped : total; /* bytes written to `out` */
    TGM_CHECK(tgm__buf_reserve(out, kept));
    uint8_t *base = out->data + out->len;
    if (slot_at != SIZE_MAX) {
        uint8_t *to = base + lay[0].offset + TGM_FRAME_HEADER_SIZE;
        if (to != base + slot_at) {
            memmove(to, base + slot_at, objs[0].payload_len);
        }
        objs[0].payload = to;
    }
    tgm_emit e;
    tgm_buf w;
    uint8_t pb[TGM_PREAMBLE_SIZE];
    tgm_preamble pre = {TGM_WIRE_VERSION, flags, 0, total};
    tgm__preamble_write(pb, &pre);
    size_t header_hash_at = TGM_PREAMBLE_SIZE + meta_frame + idx_frame;
    window(&e, &w, base, 0, header_hash_at, hashing);
    TGM_CHECK(tgm__emit_bytes(&e, pb, sizeof pb));
    TGM_CHECK(tgm__emit_frame(&e, TGM_FRAME_HEADER_METADATA, meta_cbor->data, meta_cbor->len));
    if (nobj > 0) {
        TGM_CHECK(tgm__emit_frame(&e, TGM_FRAME_HEADER_INDEX, idx_cbor.data, idx_cbor.len));
    }

    write_ctx wc = {base, objs, lay, hashing, written, gather != NULL};
    uint64_t total_payload = 0;
    for (size_t i = 0; i < nobj; i++) {
        total_payload += objs[i].payload_len;
    }
    tgm_thread_split split = tgm__thread_split(budget, nobj, total_payload);
    TGM_CHECK(tgm__parallel_for(split.frames, nobj, write_object_frame, &wc));

    if (header_hash || footer_hash) {
        for (size_t i = 0; i < nobj; i++) {
            hashes[i] = lay[i].hash;
        }
        hash_cbor.len = 0;
        TGM_CHECK(tgm__hashframe_to_cbor(hashes, nobj, &hash_cbor));
        if (header_hash) {
            window(&e, &w, base, header_hash_at, hash_frame, hashing);
            TGM_CHECK(tgm__emit_frame(&e, TGM_FRAME_HEADER_HASH, hash_cbor.data, hash_cbor.len));
        }
        if (footer_hash) {
            window_gapped(&e, &w, base, footer_start, gather != NULL ? skipped : 0, hash_frame,
                          hashing);
            TGM_CHECK(tgm__emit_frame(&e, TGM_FRAME_FOOTER_HASH, hash_cbor.data, hash_cbor.len));
        }
    }

    uint8_t pa_bytes[TGM_POSTAMBLE_SIZE];
    tgm_postamble pa = {footer_hash ? footer_start : postamble_at, total};
    tgm__postamble_write(pa_bytes, &pa);
    window_gapped(&e, &w, base, postamble_at, gather != NULL ? skipped : 0, TGM_POSTAMBLE_SIZE,
                  hashing);
    TGM_CHECK(tgm__emit_bytes(&e, pa_bytes, sizeof pa_bytes));
    for (size_t i = 0; gather != NULL && i < nobj; i++) {
        gather->cut[i] = lay[i].offset + TGM_FRAME_HEADER_SIZE - lay[i].skipped;
    }
    out->len += kept;

cleanup:
    if (lay != NULL) {
        for (size_t i = 0; i < nobj; i++) {
            tgm__buf_free(&lay[i].cbor); /* a no-op for cached (fixed) buffers */
        }
    }
    if (!small) {
        tgm__free(lay);
        tgm__free(offs);
        tgm__free(lens);
        tgm__free(hashes);
    }
    tgm__buf_free(&own_meta);
    tgm__buf_free(&idx_cbor);
    tgm__buf_free(&hash_cbor);
    return err;
}

/* ---- whole messages ----------------------------------------------------------- */

typedef struct encode_job {
    tgm_arena *arenas; /* one per object: arenas are not shared across threads */
    const tgm_descriptor *descs;
    const uint8_t *const *data;
    const size_t *lens;
    tgm_encode_opts opts;
    tgm_encoded_obj *out;
} encode_job;

static tgm_error encode_one(void *ctx, size_t i) {
    encode_job *j = ctx;
    return tgm__pipeline_encode(&j->arenas[i], &j->descs[i],
                                j->lens[i] ? j->data[i] : (const uint8_t *)"", j->lens[i], &j->opts,
                                &j->out[i]);
}

/* base[i] of the message: the caller's entry (or an empty map) with
 * _reserved_.tensor of the final descriptor; then the provenance. */
static tgm_error library_sections(tgm_arena *a, const tgm_global_meta *in,
                                  const tgm_encoded_obj *objs, size_t n, tgm_val *provenance,
                                  tgm_global_meta *meta) {
    TGM_RETURN_IF(in->nbase > n, TGM_ERROR_METADATA,
                  "metadata base has %zu entries but only %zu descriptors provided; extra base "
                  "entries would be discarded",
                  in->nbase, n);
    *meta = *in;
    tgm_val *base = tgm__arena_calloc(a, n ? n : 1, sizeof(tgm_val));
    TGM_RETURN_IF(base == NULL, TGM_ERROR_ENCODING, "out of memory for base entries");
    for (size_t i = 0; i < n; i++) {
        tgm_val empty;
        memset(&empty, 0, sizeof empty);
        empty.kind = TGM_V_MAP;
        const tgm_val *entry = i < in->nbase ? &in->base[i] : &empty;
        tgm_val *tensor;
        TGM_TRY(tgm__tensor_reserved(a, &objs[i].desc, &tensor));
        tgm_val *ne = tgm__section_set(a, entry, TGM_RESERVED_KEY, tensor);
        TGM_RETURN_IF(ne == NULL, TGM_ERROR_ENCODING, "out of memory for base[%zu]", i);
        base[i] = *ne;
    }
    meta->base = n ? base : NULL;
    meta->nbase = n;
    if (provenance != NULL) {
        meta->reserved = provenance;
        return TGM_ERROR_OK;
    }
    return tgm__provenance(a, &meta->reserved);
}

/* The payload's place in `out` for a one-object message (tgm_encode_opts.slot):
 * the layout with the final descriptor and a payload of `estimate` bytes.
 * The codec then compresses straight into the frame; should the real
 * layout differ (a length of another CBOR width, masks), write_message
 * moves the payload once. */
typedef struct slot_ctx {
    tgm_arena *a;
    const tgm_global_meta *meta;
    const tgm_msg_encode_opts *o;
    uint32_t budget;
    tgm_buf *out;
    tgm_buf slot;
} slot_ctx;

static tgm_buf *payload_slot(void *vctx, const tgm_encoded_obj *obj, size_t estimate) {
    slot_ctx *c = vctx;
    tgm_encoded_obj probe = *obj;
    probe.payload_len = estimate;
    tgm_global_meta full;
    tgm_msg_layout lo = {NULL, NULL, 0, 0};
    if (library_sections(c->a, c->meta, &probe, 1, NULL, &full) != TGM_ERROR_OK ||
        write_message(c->a, &full, &probe, 1, c->o, c->budget, NULL, NULL, c->out, &lo, NULL) !=
            TGM_ERROR_OK) {
        tgm__clear_error();
        return NULL;
    }
    size_t at = lo.payload0;
    tgm_buf *out = c->out;
    if (!out->fixed &&
        (at > SIZE_MAX - estimate || tgm__buf_reserve(out, at + estimate + 4096) != TGM_ERROR_OK)) {
        tgm__clear_error();
        return NULL;
    }
    size_t spare = out->cap - out->len;
    if (spare <= at) {
        return NULL;
    }
    c->slot = tgm__buf_over(out->data + out->len + at, spare - at);
    return &c->slot;
}

/* tgm__msg_encode, or with `write` tgm__msg_encode_gather (`out` then
 * holds the message without payloads until `write` has had it). */
static tgm_error encode_message(tgm_arena *a, const tgm_global_meta *meta,
                                const tgm_descriptor *descs, const uint8_t *const *data,
                                const size_t *lens, size_t n, const tgm_msg_encode_opts *o,
                                tgm_buf *out, tgm_msg_write_fn write, void *ctx) {
    tgm_error err = TGM_ERROR_OK;
    tgm_arena *arenas = tgm__calloc(n ? n : 1, sizeof *arenas);
    tgm_encoded_obj *encoded = tgm__calloc(n ? n : 1, sizeof *encoded);
    size_t *cut = NULL;
    tgm_seg *segs = NULL;
    TGM_FAIL_IF(arenas == NULL || encoded == NULL, TGM_ERROR_ENCODING,
                "out of memory for %zu objects", n);

    uint32_t budget = tgm__resolve_threads(o->threads);
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        total += lens[i];
    }
    tgm_thread_split split = tgm__thread_split(budget, n, total);
    encode_job job = {arenas, descs, data, lens, o->object, encoded};
    job.opts.hashing = o->hashing;
    job.opts.threads = split.each;
    slot_ctx sc = {a, meta, o, budget, out, TGM_BUF_INIT};
    if (n == 1 && !o->object.pre_encoded && write == NULL) {
        job.opts.slot = payload_slot;
        job.opts.slot_ctx = &sc;
    }
    TGM_CHECK(tgm__parallel_for(split.objects, n, encode_one, &job));

    tgm_global_meta full;
    TGM_CHECK(library_sections(a, meta, encoded, n, NULL, &full));
    if (write == NULL) {
        TGM_CHECK(write_message(a, &full, encoded, n, o, budget, NULL, NULL, out, NULL, NULL));
        goto cleanup;
    }
    cut = tgm__calloc(n ? n : 1, sizeof *cut);
    segs = tgm__calloc(2 * n + 1, sizeof *segs);
    TGM_FAIL_IF(cut == NULL || segs == NULL, TGM_ERROR_ENCODING, "out of memory for %zu objects",
                n);
    size_t start = out->len;
    gather_out g = {cut};
    TGM_CHECK(write_message(a, &full, encoded, n, o, budget, NULL, NULL, out, NULL, &g));
    /* Frames and payloads in message order; empty pieces left out. */
    size_t nseg = 0, from = start;
    for (size_t i = 0; i < n; i++) {
        size_t at = start + cut[i];
        if (at > from) {
            segs[nseg++] = (tgm_seg){out->data + from, at - from};
        }
        if (encoded[i].payload_len > 0) {
            segs[nseg++] = (tgm_seg){encoded[i].payload, encoded[i].payload_len};
        }
        from = at;
    }
    if (out->len > from) {
        segs[nseg++] = (tgm_seg){out->data + from, out->len - from};
    }
    TGM_CHECK(write(ctx, segs, nseg));

cleanup:
    if (encoded != NULL) {
        for (size_t i = 0; i < n; i++) {
            tgm__encoded_obj_free(&encoded[i]);
        }
    }
    if (arenas != NULL) {
        for (size_t i = 0; i < n; i++) {
            tgm__arena_free(&arenas[i]);
        }
    }
    tgm__free(arenas);
    tgm__free(encoded);
    tgm__free(cut);
    tgm__free(segs);
    return err;
}

tgm_error tgm__msg_encode(tgm_arena *a, const tgm_global_meta *meta, const tgm_descriptor *descs,
                          const uint8_t *const *data, const size_t *lens, size_t n,
                          const tgm_msg_encode_opts *o, tgm_buf *out) {
    return encode_message(a, meta, descs, data, lens, n, o, out, NULL, NULL);
}

tgm_error tgm__msg_encode_gather(tgm_arena *a, const tgm_global_meta *meta,
                                 const tgm_descriptor *descs, const uint8_t *const *data,
                                 const size_t *lens, size_t n, const tgm_msg_encode_opts *o,
                                 tgm_msg_write_fn write, void *ctx) {
    tgm_buf frames = TGM_BUF_INIT;
    tgm_error err = encode_message(a, meta, descs, data, lens, n, o, &frames, write, ctx);
    tgm__buf_free(&frames);
    return err;
}

/* ---- pieces for in-place encoding (fill.h) ------------------------------------------------ */

tgm_error tgm__msg_sections(tgm_arena *a, const tgm_global_meta *in, const tgm_encoded_obj *objs,
                            size_t n, tgm_global_meta *full) {
    return library_sections(a, in, objs, n, NULL, full);
}

tgm_error tgm__msg_write(tgm_arena *a, const tgm_global_meta *full, tgm_encoded_obj *objs, size_t n,
                         const tgm_msg_encode_opts *o, uint32_t budget, const uint64_t *written,
                         tgm_buf *out, tgm_msg_layout *layout_only) {
    return write_message(a, full, objs, n, o, budget, NULL, written, out, layout_only, NULL);
}

/* An object's descriptor CBOR (into *cbor, which the caller frees) and
 * the length of its whole frame. */
static tgm_error frame_cbor(const tgm_encoded_obj *obj, tgm_buf *cbor, uint64_t *flen) {
    TGM_TRY(tgm__cbor_encode(obj->desc_val, cbor));
    return tgm__emit_object_size(obj, cbor->len, flen);
}

tgm_error tgm__msg_write_frame(uint8_t *msg, size_t at, const tgm_encoded_obj *obj, bool hashing,
                               bool ahead, tgm_hasher *h, uint64_t *hash) {
    tgm_buf cbor = TGM_BUF_INIT;
    uint64_t flen = 0;
    tgm_error err = frame_cbor(obj, &cbor, &flen);
    if (err == TGM_ERROR_OK) {
        tgm_emit e;
        tgm_buf w;
        window(&e, &w, msg, at, tgm__align8(at + (size_t)flen) - at, hashing);
        err = ahead ? tgm__emit_object_hashed(&e, obj, &cbor, h, hash)
                    : tgm__emit_object(&e, obj, &cbor, hash);
        tgm__emit_free(&e);
    }
    tgm__buf_free(&cbor);
    return err;
}

tgm_error tgm__msg_frame_to_buf(const tgm_encoded_obj *obj, bool hashing, tgm_buf *out,
                                uint64_t *hash) {
    TGM_RETURN_IF(out->len != 0, TGM_ERROR_ENCODING, "internal: a frame buffer is not empty");
    tgm_buf cbor = TGM_BUF_INIT;
    uint64_t flen = 0;
    tgm_error err = frame_cbor(obj, &cbor, &flen);
    if (err == TGM_ERROR_OK) {
        err = tgm__buf_reserve(out, tgm__align8((size_t)flen)); /* once: no realloc while writing */
    }
    if (err == TGM_ERROR_OK) {
        tgm_emit e;
        tgm__emit_to_buf(&e, out, 0, hashing);
        err = tgm__emit_object(&e, obj, &cbor, hash);
        tgm__emit_free(&e);
    }
    tgm__buf_free(&cbor);
    return err;
}

/* ---- templates: one message layout, many messages ---------------------------------------
 *
 * The first message is encoded the general way, with provenance
 * placeholders whose places in the metadata CBOR are recorded; the
 * metadata CBOR and every descriptor's CBOR are kept.  Later messages with
 * the same payload lengths copy them, patch the UUID and the time stamp in
 * place, and go straight to the frame writer: no metadata model, no
 * pipeline.  This holds when every object is copied unchanged (encoding,
 * filter and compression "none", raw input, no NaN / Inf masks to make):
 * its descriptor then does not depend on the values. */

struct tgm_msg_template {
    tgm_arena arena;       /* descriptors (and the caller's metadata as given) */
    tgm_arena meta_arena;  /* the caller's sections, as edited */
    tgm_global_meta meta;  /* the caller's sections */
    tgm_descriptor *descs; /* n, in arena */
    size_t n;
    tgm_msg_encode_opts o;
    bool fast;    /* every object is copied unchanged */
    size_t edits; /* bytes of meta_arena since it was last compacted */
    /* The compiled layout (fast templates, after the first message). */
    bool compiled;
    tgm_arena carena;
    tgm_encoded_obj *objs; /* n: final descriptors; payload set per message */
    tgm_buf *desc_cbor;    /* n */
    tgm_buf meta_cbor;
    tgm_buf index_cbor;
    size_t uuid_at, time_at; /* offsets of the provenance texts in meta_cbor */
    bool fixed_provenance;   /* TENSOGRAM_PROVENANCE was set at creation */
    uint32_t budget;         /* threads, resolved at creation */
};

static bool plain_object(const tgm_descriptor *d, const tgm_msg_encode_opts *o) {
    return strcmp(d->encoding, "none") == 0 && strcmp(d->filter, "none") == 0 &&
           strcmp(d->compression, "none") == 0 && !d->has_masks && !o->object.pre_encoded &&
           !o->object.stored &&
           (!tgm__dtype_is_float(d->dtype) || (!o->object.allow_nan && !o->object.allow_inf));
}

tgm_error tgm__msg_template_new(tgm_arena *arena, const tgm_global_meta *meta,
                                tgm_descriptor *descs, size_t n, const tgm_msg_encode_opts *o,
                                tgm_msg_template **out) {
    tgm_msg_template *t = tgm__calloc(1, sizeof *t);
    if (t == NULL) {
        return tgm__oom(sizeof *t, "encoder");
    }
    t->arena = *arena;
    *arena = (tgm_arena)TGM_ARENA_INIT;
    t->descs = descs;
    t->n = n;
    t->o = *o;
    t->fast = true;
    for (size_t i = 0; i < n; i++) {
        t->fast = t->fast && plain_object(&descs[i], o);
    }
    t->meta = *meta;
    const char *env = getenv("TENSOGRAM_PROVENANCE");
    t->fixed_provenance = env != NULL && *env != '\0';
    t->budget = tgm__resolve_threads(o->threads);
    tgm_error err = tgm__msg_template_compact(t);
    if (err != TGM_ERROR_OK) {
        tgm__msg_template_free(t);
        return err;
    }
    *out = t;
    return TGM_ERROR_OK;
}

bool tgm__msg_template_fast(const tgm_msg_template *t) { return t->fast && !t->fixed_provenance; }

static void uncompile(tgm_msg_template *t) {
    if (t->desc_cbor != NULL) {
        for (size_t i = 0; i < t->n; i++) {
            tgm__buf_free(&t->desc_cbor[i]);
        }
    }
    if (t->objs != NULL) {
        for (size_t i = 0; i < t->n; i++) {
            tgm__encoded_obj_free(&t->objs[i]);
        }
    }
    tgm__free(t->desc_cbor);
    tgm__free(t->objs);
    t->desc_cbor = NULL;
    t->objs = NULL;
    tgm__buf_free(&t->meta_cbor);
    tgm__buf_free(&t->index_cbor);
    tgm__arena_free(&t->carena);
    t->compiled = false;
}

void tgm__msg_template_free(tgm_msg_template *t) {
    if (t == NULL) {
        return;
    }
    uncompile(t);
    tgm__arena_free(&t->meta_arena);
    tgm__arena_free(&t->arena);
    tgm__free(t);
}

tgm_error tgm__msg_template_compact(tgm_msg_template *t) {
    tgm_arena na = TGM_ARENA_INIT;
    tgm_global_meta m;
    m.nbase = t->meta.nbase;
    m.base = m.nbase ? tgm__arena_calloc(&na, m.nbase, sizeof *m.base) : NULL;
    m.reserved = tgm__val_map(&na, 0);
    m.extra = tgm__val_clone(&na, t->meta.extra);
    bool ok = (m.nbase == 0 || m.base != NULL) && m.reserved != NULL && m.extra != NULL;
    for (size_t i = 0; ok && i < m.nbase; i++) {
        ok = tgm__val_copy_into(&na, &m.base[i], &t->meta.base[i]) == 0;
    }
    if (!ok) {
        tgm__arena_free(&na);
        return tgm__oom(0, "encoder metadata");
    }
    tgm__arena_free(&t->meta_arena);
    t->meta_arena = na;
    t->meta = m;
    t->edits = 0;
    return TGM_ERROR_OK;
}

/* The offset of the only occurrence of text value `s` in the CBOR. */
static bool find_text(const tgm_buf *b, const char *s, size_t *at) {
    size_t n = strlen(s);
    bool found = false;
    for (size_t i = 0; i + n <= b->len; i++) {
        if (memcmp(b->data + i, s, n) == 0) {
            if (found) {
                return false;
            }
            *at = i;
            found = true;
        }
    }
    return found;
}

/* Random text of n characters (a placeholder nobody else writes). */
static tgm_error placeholder(char *out, size_t n) {
    char uuid[37], now[32];
    size_t k = 0;
    while (k < n) {
        TGM_TRY(tgm__provenance_fresh(uuid, now));
        for (size_t i = 0; i < 36 && k < n; i++) {
            if (uuid[i] != '-') {
                out[k++] = uuid[i];
            }
        }
    }
    out[n] = '\0';
    return TGM_ERROR_OK;
}

/* The general encode of one message, from the template's metadata and
 * descriptors; compiles the template on the way when `compile`. */
static tgm_error encode_general(tgm_msg_template *t, const uint8_t *const *data, const size_t *lens,
                                bool compile, tgm_buf *out) {
    if (!compile) {
        tgm_arena a = TGM_ARENA_INIT;
        tgm_error e = tgm__msg_encode(&a, &t->meta, t->descs, data, lens, t->n, &t->o, out);
        tgm__arena_free(&a);
        return e;
    }
    /* Compile: objects through the pipeline into the template's arena,
     * placeholders for the provenance texts. */
    tgm_error err = TGM_ERROR_OK;
    uncompile(t);
    size_t n = t->n;
    t->objs = tgm__calloc(n ? n : 1, sizeof *t->objs);
    t->desc_cbor = tgm__calloc(n ? n : 1, sizeof *t->desc_cbor);
    TGM_FAIL_IF(t->objs == NULL || t->desc_cbor == NULL, TGM_ERROR_ENCODING,
                "out of memory for %zu objects", n);
    tgm_encode_opts eo = t->o.object;
    eo.hashing = t->o.hashing;
    eo.threads = t->budget;
    for (size_t i = 0; i < n; i++) {
        TGM_CHECK(tgm__pipeline_encode(&t->carena, &t->descs[i],
                                       lens[i] ? data[i] : (const uint8_t *)"", lens[i], &eo,
                                       &t->objs[i]));
        TGM_FAIL_IF(t->objs[i].payload != (lens[i] ? data[i] : (const uint8_t *)"") ||
                        t->objs[i].masks.len != 0,
                    TGM_ERROR_ENCODING, "internal: template object %zu is not copied unchanged", i);
        TGM_CHECK(tgm__cbor_encode(t->objs[i].desc_val, &t->desc_cbor[i]));
    }
    char uuid[37], now[32];
    TGM_CHECK(placeholder(uuid, 36));
    TGM_CHECK(placeholder(now, 20));
    tgm_val *prov;
    TGM_CHECK(tgm__provenance_with(&t->carena, uuid, now, &prov));
    tgm_global_meta full;
    TGM_CHECK(library_sections(&t->carena, &t->meta, t->objs, n, prov, &full));
    tgm_val *mv;
    TGM_CHECK(tgm__gmeta_to_val(&t->carena, &full, &mv));
    TGM_CHECK(tgm__cbor_encode(mv, &t->meta_cbor));
    TGM_FAIL_IF(!find_text(&t->meta_cbor, uuid, &t->uuid_at) ||
                    !find_text(&t->meta_cbor, now, &t->time_at),
                TGM_ERROR_ENCODING, "internal: provenance placeholders not found");
    t->compiled = true;
    return TGM_ERROR_OK;
cleanup:
    uncompile(t);
    return err;
}

tgm_error tgm__msg_template_encode(tgm_msg_template *t, const uint8_t *const *data,
                                   const size_t *lens, tgm_buf *out) {
    if (!t->fast) {
        return encode_general(t, data, lens, false, out);
    }
    char uuid[37], now[32];
    if (t->fixed_provenance) {
        return encode_general(t, data, lens, false, out); /* TENSOGRAM_PROVENANCE decides */
    }
    TGM_TRY(tgm__provenance_fresh(uuid, now));
    if (strlen(now) != 20) {
        return encode_general(t, data, lens, false, out); /* past the year 9999 */
    }
    bool same = t->compiled;
    for (size_t i = 0; same && i < t->n; i++) {
        same = lens[i] == t->objs[i].payload_len;
    }
    if (!same) {
        /* The first message, or other lengths (whose errors the general
         * path reports): compile from it. */
        TGM_TRY(encode_general(t, data, lens, true, out));
    }
    memcpy(t->meta_cbor.data + t->uuid_at, uuid, 36);
    memcpy(t->meta_cbor.data + t->time_at, now, 20);
    for (size_t i = 0; i < t->n; i++) {
        t->objs[i].payload = lens[i] ? data[i] : (const uint8_t *)"";
    }
    cached_cbor c = {&t->meta_cbor, t->desc_cbor, &t->index_cbor};
    return write_message(NULL, NULL, t->objs, t->n, &t->o, t->budget, &c, NULL, out, NULL, NULL);
}

/* ---- template edits ---------------------------------------------------------------------- */

/* The head at *pos, advanced past it; false when malformed. */
static bool read_head(const uint8_t *b, size_t len, size_t *pos, tgm_cbor_head *h) {
    return tgm__cbor_read_head(b, len, pos, h) == TGM_ERROR_OK && h->ai != 31;
}

/* Skip the item at *pos; false when malformed. */
static bool skip_item(const uint8_t *b, size_t len, size_t *pos) {
    return tgm__cbor_skip(b, len, pos) == TGM_ERROR_OK;
}

/* The value of text key `key` in the map at *pos: its offset (in *pos)
 * and length. */
static bool find_member(const uint8_t *b, size_t len, size_t *pos, const char *key, size_t klen,
                        size_t *vlen) {
    tgm_cbor_head h = {0};
    if (!read_head(b, len, pos, &h) || h.major != TGM_CBOR_MAP) {
        return false;
    }
    for (uint64_t i = 0; i < h.arg; i++) {
        tgm_cbor_head k = {0};
        size_t at = *pos;
        if (!read_head(b, len, &at, &k)) {
            return false;
        }
        bool hit = k.major == TGM_CBOR_TEXT && k.arg == klen && klen <= len - at &&
                   (klen == 0 || memcmp(b + at, key, klen) == 0);
        if (!skip_item(b, len, pos)) {
            return false;
        }
        size_t vstart = *pos;
        if (!skip_item(b, len, pos)) {
            return false;
        }
        if (hit) {
            *vlen = *pos - vstart;
            *pos = vstart;
            return true;
        }
    }
    return false;
}

/* Where the value of section `object` (SIZE_MAX: _extra_) key `key` lies
 * in the compiled metadata CBOR. */
static bool locate(const tgm_msg_template *t, size_t object, const char *key, size_t klen,
                   size_t *at, size_t *vlen) {
    const uint8_t *b = t->meta_cbor.data;
    size_t len = t->meta_cbor.len, pos = 0, sl;
    if (object == SIZE_MAX) {
        return find_member(b, len, &pos, TGM_EXTRA_KEY, 7, &sl) &&
               find_member(b, len, &pos, key, klen, vlen) && (*at = pos, true);
    }
    tgm_cbor_head h = {0};
    if (!find_member(b, len, &pos, "base", 4, &sl) || !read_head(b, len, &pos, &h) ||
        h.major != TGM_CBOR_ARRAY || object >= h.arg) {
        return false;
    }
    for (size_t i = 0; i < object; i++) {
        if (!skip_item(b, len, &pos)) {
            return false;
        }
    }
    if (!find_member(b, len, &pos, key, klen, vlen)) {
        return false;
    }
    *at = pos;
    return true;
}

tgm_error tgm__msg_template_set(tgm_msg_template *t, size_t object, const char *key, size_t klen,
                                const tgm_val *value) {
    TGM_RETURN_IF(object != SIZE_MAX && object >= t->n, TGM_ERROR_INVALID_ARG,
                  "object index %zu out of range (the encoder has %zu objects)", object, t->n);
    TGM_RETURN_IF(klen == 10 && memcmp(key, TGM_RESERVED_KEY, 10) == 0, TGM_ERROR_METADATA,
                  "'_reserved_' is populated by the library and cannot be set");
    /* Old arenas' garbage is bounded: compact once edits outgrow a limit. */
    if (t->edits > ((size_t)1 << 20)) {
        TGM_TRY(tgm__msg_template_compact(t));
    }
    tgm_arena *a = &t->meta_arena;
    size_t before = a->total;
    tgm_val copy;
    TGM_RETURN_IF(tgm__val_copy_into(a, &copy, value) != 0, TGM_ERROR_ENCODING,
                  "out of memory for a metadata value");
    tgm_val *section;
    if (object == SIZE_MAX) {
        section = t->meta.extra;
    } else {
        if (object >= t->meta.nbase) {
            tgm_val *nb = tgm__arena_calloc(a, t->n, sizeof *nb);
            TGM_RETURN_IF(nb == NULL, TGM_ERROR_ENCODING, "out of memory for base entries");
            for (size_t i = 0; i < t->n; i++) {
                if (i < t->meta.nbase) {
                    nb[i] = t->meta.base[i];
                } else {
                    nb[i].kind = TGM_V_MAP; /* empty */
                }
            }
            t->meta.base = nb;
            t->meta.nbase = t->n;
        }
        section = &t->meta.base[object];
    }
    tgm_val *slot = NULL;
    for (size_t i = 0; i < section->len; i++) {
        const tgm_val *k = tgm__val_map_key(section, i);
        if (k->kind == TGM_V_TEXT && k->len == klen &&
            (klen == 0 || !memcmp(k->p.str, key, klen))) {
            slot = &section->p.items[2 * i + 1];
        }
    }
    bool existed = slot != NULL;
    if (existed) {
        *slot = copy;
    } else {
        tgm_val *k = tgm__val_text(a, key, klen);
        TGM_RETURN_IF(k == NULL, TGM_ERROR_ENCODING, "out of memory for a metadata key");
        tgm_val *ns = tgm__section_set(a, section, k->p.str, &copy);
        TGM_RETURN_IF(ns == NULL, TGM_ERROR_ENCODING, "out of memory for a metadata section");
        *section = *ns;
        if (object == SIZE_MAX) {
            t->meta.extra = ns;
        }
    }
    t->edits += a->total - before;

    /* The compiled metadata: the new value in place when it encodes to as
     * many bytes as the old one, else a new layout at the next message. */
    size_t at, vlen;
    if (!t->compiled) {
        return TGM_ERROR_OK;
    }
    if (existed && locate(t, object, key, klen, &at, &vlen)) {
        uint8_t small[64];
        tgm_buf vb = tgm__buf_over(small, sizeof small);
        if (tgm__cbor_encode(&copy, &vb) == TGM_ERROR_OK && vb.len == vlen) {
            memcpy(t->meta_cbor.data + at, vb.data, vlen);
            return TGM_ERROR_OK;
        }
    }
    uncompile(t);
    return TGM_ERROR_OK;
}
