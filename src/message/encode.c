/* Buffered message encoding (WIRE_FORMAT §1, §6): the whole message is laid
 * out from the sizes first, allocated once, and written in one pass through
 * the frame emitter (emit.h), each frame into its place; each payload is
 * copied straight into place and hashed while hot. */
#include <string.h>

#include "cbor/cbor.h"
#include "common/alloc.h"
#include "common/checked.h"
#include "common/error.h"
#include "common/thread.h"
#include "hash/hash.h"
#include "message/emit.h"
#include "message/message.h"

typedef struct obj_layout {
    tgm_buf cbor;     /* canonical descriptor CBOR */
    size_t frame_len; /* total_length of the frame */
    size_t offset;    /* frame offset in the message */
    uint64_t hash;
} obj_layout;

static size_t frame_size(size_t body) { return (size_t)tgm__emit_frame_size(body); }

/* An emitter writing into bytes [at, at + n) of the message at `base`
 * (laid out in advance). */
static void window(tgm_emit *e, tgm_buf *w, uint8_t *base, size_t at, size_t n, bool hashing) {
    *w = tgm__buf_over(base + at, n);
    tgm__emit_to_buf(e, w, at, hashing);
}

typedef struct write_ctx {
    uint8_t *out;
    tgm_encoded_obj *objs;
    obj_layout *lay;
    bool hashing;
} write_ctx;

/* Data-object frame i, into its place. */
static tgm_error write_object_frame(void *vctx, size_t i) {
    write_ctx *c = vctx;
    obj_layout *l = &c->lay[i];
    tgm_emit e;
    tgm_buf w;
    window(&e, &w, c->out, l->offset, tgm__align8(l->offset + l->frame_len) - l->offset,
           c->hashing);
    tgm_error err = tgm__emit_object(&e, &c->objs[i], &l->cbor, &l->hash);
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

/* The layout and the frames of encoded objects, appended to `out`; with
 * `payload_at`, the layout only: where object 0's payload would start. */
static tgm_error write_message(tgm_arena *a, const tgm_global_meta *meta, tgm_encoded_obj *objs,
                               size_t nobj, const tgm_msg_encode_opts *o, uint32_t budget,
                               tgm_buf *out, size_t *payload_at) {
    tgm_error err = TGM_ERROR_OK;
    tgm_buf meta_cbor = TGM_BUF_INIT, idx_cbor = TGM_BUF_INIT, hash_cbor = TGM_BUF_INIT;
    obj_layout *lay = NULL;
    uint64_t *offs = NULL, *lens = NULL, *hashes = NULL;
    bool hashing = o->hashing;
    bool header_hash = hashing && o->header_hash && nobj > 0;
    bool footer_hash = hashing && o->footer_hash && nobj > 0;

    tgm_val *mv;
    TGM_CHECK(tgm__gmeta_to_val(a, meta, &mv));
    TGM_CHECK(tgm__cbor_encode(mv, &meta_cbor));

    lay = tgm__calloc(nobj ? nobj : 1, sizeof *lay);
    offs = tgm__calloc(nobj ? nobj : 1, sizeof *offs);
    lens = tgm__calloc(nobj ? nobj : 1, sizeof *lens);
    hashes = tgm__calloc(nobj ? nobj : 1, sizeof *hashes);
    TGM_FAIL_IF(lay == NULL || offs == NULL || lens == NULL || hashes == NULL, TGM_ERROR_ENCODING,
                "out of memory for the layout of %zu objects", nobj);
    for (size_t i = 0; i < nobj; i++) {
        TGM_CHECK(tgm__cbor_encode(objs[i].desc_val, &lay[i].cbor));
        uint64_t flen = 0;
        TGM_CHECK(tgm__emit_object_size(&objs[i], lay[i].cbor.len, &flen));
        lay[i].frame_len = (size_t)flen;
    }

    /* Header: preamble, metadata, [index], [hash]. */
    size_t meta_frame = tgm__align8(frame_size(meta_cbor.len));
    size_t hash_frame = 0;
    if (header_hash || footer_hash) {
        TGM_CHECK(tgm__hashframe_to_cbor(hashes, nobj, &hash_cbor)); /* size only for now */
        hash_frame = tgm__align8(frame_size(hash_cbor.len));
    }
    size_t header_no_index = TGM_PREAMBLE_SIZE + meta_frame + (header_hash ? hash_frame : 0);
    size_t idx_frame = 0;
    if (nobj > 0) {
        TGM_CHECK(layout_index(header_no_index, lay, nobj, &idx_cbor, offs, lens));
        idx_frame = tgm__align8(frame_size(idx_cbor.len));
    }
    size_t cur = TGM_PREAMBLE_SIZE + meta_frame + idx_frame + (header_hash ? hash_frame : 0);
    for (size_t i = 0; i < nobj; i++) {
        lay[i].offset = cur;
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
    if (payload_at != NULL) {
        *payload_at = nobj > 0 ? lay[0].offset + TGM_FRAME_HEADER_SIZE : 0;
        goto cleanup;
    }
    /* A payload compressed into its slot (payload_slot) lies in out's spare
     * capacity: moved to its final place if the layout moved it. */
    size_t slot_at = SIZE_MAX;
    if (nobj == 1 && objs[0].in_slot) {
        slot_at = (size_t)(objs[0].payload - (out->data + out->len));
    }
    TGM_CHECK(tgm__buf_reserve(out, total));
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
    TGM_CHECK(tgm__emit_frame(&e, TGM_FRAME_HEADER_METADATA, meta_cbor.data, meta_cbor.len));
    if (nobj > 0) {
        TGM_CHECK(tgm__emit_frame(&e, TGM_FRAME_HEADER_INDEX, idx_cbor.data, idx_cbor.len));
    }

    write_ctx wc = {base, objs, lay, hashing};
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
            window(&e, &w, base, footer_start, hash_frame, hashing);
            TGM_CHECK(tgm__emit_frame(&e, TGM_FRAME_FOOTER_HASH, hash_cbor.data, hash_cbor.len));
        }
    }

    uint8_t pa_bytes[TGM_POSTAMBLE_SIZE];
    tgm_postamble pa = {footer_hash ? footer_start : postamble_at, total};
    tgm__postamble_write(pa_bytes, &pa);
    window(&e, &w, base, postamble_at, TGM_POSTAMBLE_SIZE, hashing);
    TGM_CHECK(tgm__emit_bytes(&e, pa_bytes, sizeof pa_bytes));
    out->len += total;

cleanup:
    if (lay != NULL) {
        for (size_t i = 0; i < nobj; i++) {
            tgm__buf_free(&lay[i].cbor);
        }
    }
    tgm__free(lay);
    tgm__free(offs);
    tgm__free(lens);
    tgm__free(hashes);
    tgm__buf_free(&meta_cbor);
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
                                  const tgm_encoded_obj *objs, size_t n, tgm_global_meta *meta) {
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
    size_t at = 0;
    if (library_sections(c->a, c->meta, &probe, 1, &full) != TGM_ERROR_OK ||
        write_message(c->a, &full, &probe, 1, c->o, c->budget, c->out, &at) != TGM_ERROR_OK) {
        tgm__clear_error();
        return NULL;
    }
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

tgm_error tgm__msg_encode(tgm_arena *a, const tgm_global_meta *meta, const tgm_descriptor *descs,
                          const uint8_t *const *data, const size_t *lens, size_t n,
                          const tgm_msg_encode_opts *o, tgm_buf *out) {
    tgm_error err = TGM_ERROR_OK;
    tgm_arena *arenas = tgm__calloc(n ? n : 1, sizeof *arenas);
    tgm_encoded_obj *encoded = tgm__calloc(n ? n : 1, sizeof *encoded);
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
    if (n == 1 && !o->object.pre_encoded) {
        job.opts.slot = payload_slot;
        job.opts.slot_ctx = &sc;
    }
    TGM_CHECK(tgm__parallel_for(split.objects, n, encode_one, &job));

    tgm_global_meta full;
    TGM_CHECK(library_sections(a, meta, encoded, n, &full));
    TGM_CHECK(write_message(a, &full, encoded, n, o, budget, out, NULL));

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
    return err;
}
