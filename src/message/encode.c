/* Buffered message encoding (WIRE_FORMAT §1, §6): the whole message is laid
 * out from the sizes first, allocated once, and written in one pass; each
 * payload is copied straight into place and hashed while hot. */
#include <string.h>

#include "cbor/cbor.h"
#include "common/alloc.h"
#include "common/checked.h"
#include "common/copy.h"
#include "common/endian.h"
#include "common/error.h"
#include "common/thread.h"
#include "hash/hash.h"
#include "message/message.h"

#define COPY_CHUNK ((size_t)32 * 1024) /* copied, then checked and hashed while in L1 */

typedef struct obj_layout {
    tgm_buf cbor;     /* canonical descriptor CBOR */
    size_t frame_len; /* total_length of the frame */
    size_t offset;    /* frame offset in the message */
    uint64_t hash;
} obj_layout;

static size_t frame_size(size_t body) {
    return TGM_FRAME_HEADER_SIZE + body + TGM_FRAME_COMMON_FOOTER_SIZE;
}

/* Write a non-data frame (common 12-byte footer) at p; returns its length. */
static size_t write_simple_frame(uint8_t *p, uint16_t type, const uint8_t *body, size_t n,
                                 bool hashing) {
    tgm_frame_header fh = {type, 1, hashing ? TGM_FF_HASH_PRESENT : 0, frame_size(n)};
    tgm__frame_header_write(p, &fh);
    if (n > 0) {
        memcpy(p + TGM_FRAME_HEADER_SIZE, body, n);
    }
    tgm__frame_footer_write(p + TGM_FRAME_HEADER_SIZE + n, hashing ? tgm__xxh3(body, n) : 0);
    return frame_size(n);
}

typedef struct write_ctx {
    uint8_t *out;
    tgm_encoded_obj *objs;
    obj_layout *lay;
    bool hashing;
} write_ctx;

/* Write data-object frame i into its place: header, payload (copied and
 * hashed in cache-sized chunks), mask blobs, descriptor CBOR, footer. */
static tgm_error write_object_frame(void *vctx, size_t i) {
    write_ctx *c = vctx;
    tgm_encoded_obj *o = &c->objs[i];
    obj_layout *l = &c->lay[i];
    uint8_t *p = c->out + l->offset;
    tgm_frame_header fh = {
        TGM_FRAME_NTENSOR, 1,
        (uint16_t)(TGM_FF_CBOR_AFTER_PAYLOAD | (c->hashing ? TGM_FF_HASH_PRESENT : 0)),
        l->frame_len};
    tgm__frame_header_write(p, &fh);
    uint8_t *body = p + TGM_FRAME_HEADER_SIZE;
    size_t pos = 0;
    tgm_hasher *h = NULL;
    if (c->hashing) {
        TGM_TRY(tgm__hasher_new(&h));
    }
    /* A large payload goes out with non-temporal stores (common/copy.h);
     * the check and the hash then read the source chunk, which the copy
     * has just brought into the cache. */
    bool stream = o->payload_len >= TGM_STREAM_COPY_MIN;
    for (size_t off = 0; off < o->payload_len; off += COPY_CHUNK) {
        size_t n = o->payload_len - off < COPY_CHUNK ? o->payload_len - off : COPY_CHUNK;
        const uint8_t *chunk = o->payload + off;
        if (stream) {
            tgm__copy_stream(body + off, chunk, n);
        } else {
            memcpy(body + off, chunk, n);
            chunk = body + off;
        }
        if (o->check_finite_on_copy) {
            tgm_error ce = tgm__pipeline_check_chunk(o, chunk, n);
            if (ce != TGM_ERROR_OK) {
                tgm__copy_stream_fence();
                tgm__hasher_free(h);
                return ce;
            }
        }
        if (h != NULL) {
            tgm__hasher_update(h, chunk, n);
        }
    }
    if (stream) {
        tgm__copy_stream_fence();
    }
    pos = o->payload_len;
    if (o->masks.len > 0) {
        memcpy(body + pos, o->masks.data, o->masks.len);
        pos += o->masks.len;
    }
    memcpy(body + pos, l->cbor.data, l->cbor.len);
    if (h != NULL) {
        tgm__hasher_update(h, body + o->payload_len, o->masks.len + l->cbor.len);
        l->hash = tgm__hasher_digest(h);
        tgm__hasher_free(h);
    }
    pos += l->cbor.len;
    tgm__frame_data_footer_write(body + pos, TGM_FRAME_HEADER_SIZE + o->payload_len + o->masks.len,
                                 c->hashing ? l->hash : 0);
    /* Zero the alignment padding that follows (the buffer is not zeroed). */
    size_t end = l->offset + l->frame_len;
    memset(c->out + end, 0, tgm__align8(end) - end);
    return TGM_ERROR_OK;
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

tgm_error tgm__msg_encode(tgm_arena *a, const tgm_global_meta *meta, tgm_encoded_obj *objs,
                          size_t nobj, const tgm_msg_encode_opts *o, tgm_buf *out) {
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
        size_t body;
        TGM_FAIL_IF(tgm__add_size(objs[i].payload_len, objs[i].masks.len, &body) ||
                        tgm__add_size(body, lay[i].cbor.len, &body) || body > SIZE_MAX - 64,
                    TGM_ERROR_FRAMING, "data-object frame %zu is too large", i);
        lay[i].frame_len = TGM_FRAME_HEADER_SIZE + body + TGM_DATA_FRAME_FOOTER_SIZE;
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

    /* Write. */
    TGM_CHECK(tgm__buf_reserve(out, total));
    uint8_t *base = out->data + out->len;
    memset(base, 0, TGM_PREAMBLE_SIZE + meta_frame + idx_frame + (header_hash ? hash_frame : 0));
    size_t pos = TGM_PREAMBLE_SIZE;
    write_simple_frame(base + pos, TGM_FRAME_HEADER_METADATA, meta_cbor.data, meta_cbor.len,
                       hashing);
    pos += meta_frame;
    if (nobj > 0) {
        write_simple_frame(base + pos, TGM_FRAME_HEADER_INDEX, idx_cbor.data, idx_cbor.len,
                           hashing);
        pos += idx_frame;
    }
    size_t header_hash_at = pos;

    write_ctx wc = {base, objs, lay, hashing};
    uint64_t total_payload = 0;
    for (size_t i = 0; i < nobj; i++) {
        total_payload += objs[i].payload_len;
    }
    tgm_thread_split split = tgm__thread_split(o->threads ? o->threads : 1, nobj, total_payload);
    TGM_CHECK(tgm__parallel_for(split.frames, nobj, write_object_frame, &wc));

    if (header_hash || footer_hash) {
        for (size_t i = 0; i < nobj; i++) {
            hashes[i] = lay[i].hash;
        }
        hash_cbor.len = 0;
        TGM_CHECK(tgm__hashframe_to_cbor(hashes, nobj, &hash_cbor));
        if (header_hash) {
            write_simple_frame(base + header_hash_at, TGM_FRAME_HEADER_HASH, hash_cbor.data,
                               hash_cbor.len, hashing);
        }
        if (footer_hash) {
            memset(base + footer_start, 0, hash_frame);
            write_simple_frame(base + footer_start, TGM_FRAME_FOOTER_HASH, hash_cbor.data,
                               hash_cbor.len, hashing);
        }
    }

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
    tgm_preamble pre = {TGM_WIRE_VERSION, flags, 0, total};
    tgm__preamble_write(base, &pre);
    tgm_postamble pa = {footer_hash ? footer_start : postamble_at, total};
    tgm__postamble_write(base + postamble_at, &pa);
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
