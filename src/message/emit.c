/* The frame emitter (emit.h): frames into a memory buffer or an I/O sink. */
#include "message/emit.h"

#include <string.h>

#include "common/alloc.h"
#include "common/checked.h"
#include "common/copy.h"
#include "common/error.h"

/* Memory output: payloads are copied, then checked and hashed while the
 * copy is in L1.  Sink output: pieces smaller than DIRECT_MIN are staged
 * (STAGE_CAP at most), larger ones go to the sink directly; payloads are
 * hashed and written in chunks still in cache when the sink copies them. */
#define MEMORY_CHUNK ((size_t)32 * 1024)
#define SINK_CHUNK ((size_t)256 * 1024)
#define STAGE_CAP ((size_t)64 * 1024)
#define DIRECT_MIN ((size_t)16 * 1024)
/* Data-object frames whose body (payload, masks, descriptor) is at most
 * this long are hashed in one call after they are written to memory. */
#define ONE_SHOT_MAX ((uint64_t)64 * 1024)

static const uint8_t zeros[8];

void tgm__emit_to_buf(tgm_emit *e, tgm_buf *out, uint64_t pos, bool hashing) {
    e->pos = pos;
    e->hashing = hashing;
    e->buf = out;
    e->sink = NULL;
    e->stage = (tgm_buf)TGM_BUF_INIT;
    e->broken = false;
    e->chunk = MEMORY_CHUNK;
    e->hasher = NULL;
    e->frame_end = 0;
}

tgm_error tgm__emit_to_sink(tgm_emit *e, tgm_sink *sink, bool hashing) {
    memset(e, 0, sizeof *e);
    e->sink = sink;
    e->hashing = hashing;
    e->chunk = SINK_CHUNK;
    return tgm__buf_reserve(&e->stage, STAGE_CAP);
}

void tgm__emit_free(tgm_emit *e) {
    tgm__buf_free(&e->stage);
    tgm__hasher_free(e->hasher);
    e->hasher = NULL;
}

void tgm__emit_reset(tgm_emit *e) {
    e->stage.len = 0;
    e->pos = 0;
    e->broken = false;
}

static tgm_error sink_write(tgm_emit *e, const void *p, size_t n) {
    tgm_error err = tgm__sink_write(e->sink, p, n);
    if (err != TGM_ERROR_OK) {
        e->broken = true;
    }
    return err;
}

tgm_error tgm__emit_flush(tgm_emit *e) {
    if (e->sink == NULL || e->stage.len == 0) {
        return TGM_ERROR_OK;
    }
    tgm_error err = sink_write(e, e->stage.data, e->stage.len);
    e->stage.len = 0;
    return err;
}

/* Append n bytes to the output.  A sink output never allocates here. */
static tgm_error out(tgm_emit *e, const void *p, size_t n) {
    e->pos += n;
    if (e->buf != NULL) {
        return tgm__buf_append(e->buf, p, n);
    }
    if (n >= DIRECT_MIN) {
        TGM_TRY(tgm__emit_flush(e));
        return sink_write(e, p, n);
    }
    if (n > e->stage.cap - e->stage.len) {
        TGM_TRY(tgm__emit_flush(e));
    }
    if (n > 0) {
        memcpy(e->stage.data + e->stage.len, p, n);
        e->stage.len += n;
    }
    return TGM_ERROR_OK;
}

tgm_error tgm__emit_bytes(tgm_emit *e, const void *p, size_t n) { return out(e, p, n); }

tgm_error tgm__emit_pad(tgm_emit *e) { return out(e, zeros, (size_t)((8u - (e->pos & 7u)) & 7u)); }

static uint16_t hash_flag(const tgm_emit *e) {
    return e->hashing ? (uint16_t)TGM_FF_HASH_PRESENT : 0;
}

static tgm_error header(tgm_emit *e, uint16_t type, uint16_t flags, uint64_t len) {
    uint8_t hdr[TGM_FRAME_HEADER_SIZE];
    tgm_frame_header fh = {type, 1, flags, len};
    tgm__frame_header_write(hdr, &fh);
    return out(e, hdr, sizeof hdr);
}

static tgm_error common_footer(tgm_emit *e, uint64_t hash) {
    uint8_t foot[TGM_FRAME_COMMON_FOOTER_SIZE];
    tgm__frame_footer_write(foot, e->hashing ? hash : 0);
    TGM_TRY(out(e, foot, sizeof foot));
    return tgm__emit_pad(e);
}

static tgm_error hasher(tgm_emit *e) {
    if (e->hasher == NULL) {
        return tgm__hasher_new(&e->hasher);
    }
    tgm__hasher_reset(e->hasher);
    return TGM_ERROR_OK;
}

tgm_error tgm__emit_frame(tgm_emit *e, uint16_t type, const uint8_t *body, size_t n) {
    TGM_TRY(header(e, type, hash_flag(e), tgm__emit_frame_size(n)));
    TGM_TRY(out(e, body, n));
    return common_footer(e, e->hashing ? tgm__xxh3(body, n) : 0);
}

tgm_error tgm__emit_frame_begin(tgm_emit *e, uint16_t type, uint64_t body_len) {
    if (e->hashing) {
        TGM_TRY(hasher(e));
    }
    TGM_TRY(header(e, type, hash_flag(e), tgm__emit_frame_size(body_len)));
    e->frame_end = e->pos + body_len;
    return TGM_ERROR_OK;
}

tgm_error tgm__emit_frame_piece(tgm_emit *e, const void *p, size_t n) {
    TGM_RETURN_IF(n > e->frame_end - e->pos, TGM_ERROR_FRAMING,
                  "frame body longer than its announced length");
    if (e->hashing) {
        tgm__hasher_update(e->hasher, p, n);
    }
    return out(e, p, n);
}

tgm_error tgm__emit_frame_end(tgm_emit *e) {
    TGM_RETURN_IF(e->pos != e->frame_end, TGM_ERROR_FRAMING,
                  "frame body shorter than its announced length");
    return common_footer(e, e->hashing ? tgm__hasher_digest(e->hasher) : 0);
}

tgm_error tgm__emit_object_size(const tgm_encoded_obj *o, size_t cbor_len, uint64_t *size) {
    uint64_t n = (uint64_t)TGM_FRAME_HEADER_SIZE + TGM_DATA_FRAME_FOOTER_SIZE;
    TGM_RETURN_IF(tgm__add_u64(n, o->payload_len, &n) || tgm__add_u64(n, o->masks.len, &n) ||
                      tgm__add_u64(n, cbor_len, &n) || n > UINT64_MAX - 64 || n > SIZE_MAX - 64,
                  TGM_ERROR_FRAMING, "data-object frame of %zu payload bytes is too large",
                  o->payload_len);
    *size = n;
    return TGM_ERROR_OK;
}

/* The payload into memory: copied chunk by chunk (with non-temporal stores
 * when large, common/copy.h), each chunk checked and hashed from where it
 * is in cache. */
static tgm_error payload_to_buf(tgm_emit *e, const tgm_encoded_obj *o, bool hashing) {
    uint8_t *dst;
    TGM_TRY(tgm__buf_extend(e->buf, o->payload_len, &dst));
    e->pos += o->payload_len;
    /* Already in place: compressed straight into the frame (in_slot). */
    bool in_place = dst == o->payload;
    bool stream = !in_place && o->payload_len >= TGM_STREAM_COPY_MIN;
    for (size_t off = 0; off < o->payload_len; off += e->chunk) {
        size_t n = o->payload_len - off < e->chunk ? o->payload_len - off : e->chunk;
        const uint8_t *chunk = o->payload + off;
        if (in_place) {
            if (!o->check_finite_on_copy && !hashing) {
                break;
            }
        } else if (stream) {
            tgm__copy_stream(dst + off, chunk, n);
        } else {
            memcpy(dst + off, chunk, n);
            chunk = dst + off;
        }
        if (o->check_finite_on_copy) {
            tgm_error ce = tgm__pipeline_check_chunk(o, chunk, n);
            if (ce != TGM_ERROR_OK) {
                if (stream) {
                    tgm__copy_stream_fence();
                }
                return ce;
            }
        }
        if (hashing) {
            tgm__hasher_update(e->hasher, chunk, n);
        }
    }
    if (stream) {
        tgm__copy_stream_fence();
    }
    return TGM_ERROR_OK;
}

/* The payload to a sink: hashed and written chunk by chunk. */
static tgm_error payload_to_sink(tgm_emit *e, const uint8_t *p, size_t n) {
    for (size_t off = 0; off < n; off += e->chunk) {
        size_t k = n - off < e->chunk ? n - off : e->chunk;
        if (e->hashing) {
            tgm__hasher_update(e->hasher, p + off, k);
        }
        TGM_TRY(out(e, p + off, k));
    }
    return TGM_ERROR_OK;
}

/* The NTensorFrame; `pre` (NULL, or memory output with the payload in
 * place): the payload was checked and hashed ahead, into this hasher. */
static tgm_error emit_object(tgm_emit *e, const tgm_encoded_obj *o, const tgm_buf *cbor,
                             tgm_hasher *pre, uint64_t *hash) {
    uint64_t len = 0;
    TGM_TRY(tgm__emit_object_size(o, cbor->len, &len));
    if (e->sink != NULL && o->check_finite_on_copy) {
        /* Bytes handed to a sink cannot be taken back: check first. */
        TGM_TRY(tgm__pipeline_check_chunk(o, o->payload, o->payload_len));
    }
    /* A small body in memory is hashed in one call once it is in place
     * (it is still in cache): no streaming state to set up. */
    uint64_t body = len - TGM_FRAME_HEADER_SIZE - TGM_DATA_FRAME_FOOTER_SIZE;
    bool one_shot = e->hashing && e->buf != NULL && body <= ONE_SHOT_MAX && pre == NULL;
    bool streaming = e->hashing && !one_shot;
    tgm_hasher *h = pre != NULL ? pre : e->hasher;
    if (streaming && pre == NULL) {
        TGM_TRY(hasher(e));
        h = e->hasher;
    }
    TGM_TRY(
        header(e, TGM_FRAME_NTENSOR, (uint16_t)(TGM_FF_CBOR_AFTER_PAYLOAD | hash_flag(e)), len));
    size_t body_at = e->buf != NULL ? e->buf->len : 0;
    if (pre != NULL) {
        uint8_t *dst;
        TGM_TRY(tgm__buf_extend(e->buf, o->payload_len, &dst));
        TGM_RETURN_IF(dst != o->payload, TGM_ERROR_ENCODING,
                      "internal: a payload hashed ahead is not at its place in the frame");
        e->pos += o->payload_len;
    } else if (e->buf != NULL) {
        TGM_TRY(payload_to_buf(e, o, streaming));
    } else {
        TGM_TRY(payload_to_sink(e, o->payload, o->payload_len));
    }
    if (streaming) {
        tgm__hasher_update(h, o->masks.data, o->masks.len);
        tgm__hasher_update(h, cbor->data, cbor->len);
    }
    TGM_TRY(out(e, o->masks.data, o->masks.len));
    TGM_TRY(out(e, cbor->data, cbor->len));
    if (one_shot) {
        *hash = tgm__xxh3(e->buf->data + body_at, (size_t)body);
    } else {
        *hash = e->hashing ? tgm__hasher_digest(h) : 0;
    }
    uint8_t foot[TGM_DATA_FRAME_FOOTER_SIZE];
    tgm__frame_data_footer_write(
        foot, (uint64_t)TGM_FRAME_HEADER_SIZE + o->payload_len + o->masks.len, *hash);
    TGM_TRY(out(e, foot, sizeof foot));
    return tgm__emit_pad(e);
}

tgm_error tgm__emit_object(tgm_emit *e, const tgm_encoded_obj *o, const tgm_buf *cbor,
                           uint64_t *hash) {
    return emit_object(e, o, cbor, NULL, hash);
}

tgm_error tgm__emit_payload_range(const tgm_encoded_obj *o, const uint8_t *p, size_t n,
                                  tgm_hasher *h) {
    for (size_t off = 0; off < n; off += MEMORY_CHUNK) {
        size_t k = n - off < MEMORY_CHUNK ? n - off : MEMORY_CHUNK;
        if (o->check_finite_on_copy) {
            TGM_TRY(tgm__pipeline_check_chunk(o, p + off, k));
        }
        if (h != NULL) {
            tgm__hasher_update(h, p + off, k);
        }
    }
    return TGM_ERROR_OK;
}

tgm_error tgm__emit_object_hashed(tgm_emit *e, const tgm_encoded_obj *o, const tgm_buf *cbor,
                                  tgm_hasher *h, uint64_t *hash) {
    TGM_RETURN_IF(e->buf == NULL || (e->hashing && h == NULL), TGM_ERROR_INVALID_ARG,
                  "internal: a payload hashed ahead needs memory output and its hasher");
    if (!e->hashing) {
        /* Nothing to hash: the frame as if the payload were in place and
         * already checked. */
        tgm_encoded_obj w = *o;
        w.check_finite_on_copy = false;
        return emit_object(e, &w, cbor, NULL, hash);
    }
    return emit_object(e, o, cbor, h, hash);
}

tgm_error tgm__emit_object_gapped(tgm_emit *e, const tgm_encoded_obj *o, const tgm_buf *cbor,
                                  uint64_t *hash) {
    TGM_RETURN_IF(e->buf == NULL, TGM_ERROR_INVALID_ARG, "a gapped frame needs memory output");
    uint64_t len = 0;
    TGM_TRY(tgm__emit_object_size(o, cbor->len, &len));
    if (e->hashing) {
        TGM_TRY(hasher(e));
    }
    TGM_TRY(
        header(e, TGM_FRAME_NTENSOR, (uint16_t)(TGM_FF_CBOR_AFTER_PAYLOAD | hash_flag(e)), len));
    /* The payload stays where it is: checked and hashed there, in chunks
     * (whole elements) that the check and the hash share while in cache. */
    for (size_t off = 0; off < o->payload_len; off += e->chunk) {
        size_t n = o->payload_len - off < e->chunk ? o->payload_len - off : e->chunk;
        if (o->check_finite_on_copy) {
            TGM_TRY(tgm__pipeline_check_chunk(o, o->payload + off, n));
        }
        if (e->hashing) {
            tgm__hasher_update(e->hasher, o->payload + off, n);
        }
    }
    e->pos += o->payload_len;
    if (e->hashing) {
        tgm__hasher_update(e->hasher, o->masks.data, o->masks.len);
        tgm__hasher_update(e->hasher, cbor->data, cbor->len);
    }
    TGM_TRY(out(e, o->masks.data, o->masks.len));
    TGM_TRY(out(e, cbor->data, cbor->len));
    *hash = e->hashing ? tgm__hasher_digest(e->hasher) : 0;
    uint8_t foot[TGM_DATA_FRAME_FOOTER_SIZE];
    tgm__frame_data_footer_write(
        foot, (uint64_t)TGM_FRAME_HEADER_SIZE + o->payload_len + o->masks.len, *hash);
    TGM_TRY(out(e, foot, sizeof foot));
    return tgm__emit_pad(e);
}
