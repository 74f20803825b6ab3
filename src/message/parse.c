/* Structural decode of one message (WIRE_FORMAT §2-§7, §10). */
#include <stdio.h>
#include <string.h>

#include "cbor/cbor.h"
#include "common/checked.h"
#include "common/endian.h"
#include "common/error.h"
#include "hash/hash.h"
#include "message/message.h"

/* Resolve where the message ends.  For a non-zero total_length it is
 * checked against the buffer and the postamble; *streaming is set when the
 * length must be discovered by walking the frames. */
static tgm_error message_bounds(const uint8_t *buf, size_t len, tgm_preamble *pre, size_t *msg_len,
                                bool *streaming) {
    TGM_TRY(tgm__preamble_read(buf, len, pre));
    if (pre->total_length == 0) {
        TGM_RETURN_IF(len < TGM_MIN_MESSAGE_SIZE, TGM_ERROR_FRAMING,
                      "buffer too short for postamble: %zu < %u", len, TGM_MIN_MESSAGE_SIZE);
        *streaming = true;
        *msg_len = len;
        return TGM_ERROR_OK;
    }
    *streaming = false;
    TGM_RETURN_IF(pre->total_length > (uint64_t)len, TGM_ERROR_FRAMING,
                  "total_length %llu exceeds buffer size %zu",
                  (unsigned long long)pre->total_length, len);
    size_t tl = (size_t)pre->total_length;
    TGM_RETURN_IF(tl < TGM_MIN_MESSAGE_SIZE, TGM_ERROR_FRAMING,
                  "total_length %zu smaller than the minimum message size %u", tl,
                  TGM_MIN_MESSAGE_SIZE);
    tgm_postamble pa;
    TGM_TRY(tgm__postamble_read(buf + tl - TGM_POSTAMBLE_SIZE, TGM_POSTAMBLE_SIZE, &pa));
    TGM_RETURN_IF(pa.total_length != 0 && pa.total_length != pre->total_length, TGM_ERROR_FRAMING,
                  "postamble total_length (%llu) does not match preamble total_length (%llu)",
                  (unsigned long long)pa.total_length, (unsigned long long)pre->total_length);
    *msg_len = tl;
    return TGM_ERROR_OK;
}

/* In a streaming message (total_length 0) a position that is not a frame
 * start may be the postamble: end magic 16 bytes further on. */
static bool is_postamble_at(const uint8_t *buf, size_t len, size_t pos) {
    return pos + TGM_POSTAMBLE_SIZE <= len && memcmp(buf + pos + 16, TGM_END_MAGIC, 8) == 0;
}

typedef struct frame_walk {
    const uint8_t *buf;
    size_t len;      /* buffer bytes available */
    size_t body_end; /* where frames must end: postamble start (or len - 24 while streaming) */
    bool streaming;
    size_t pos;
    bool done;
} frame_walk;

/* Advance to the next frame header.  Returns 1 with *fh / *at set, 0 at
 * the end of the frame region (sets w->body_end for streaming messages). */
static tgm_error walk_next(frame_walk *w, tgm_frame_header *fh, size_t *at, int *got) {
    *got = 0;
    while (!w->done) {
        if (w->pos + 2 > w->body_end || w->pos + 2 > w->len) {
            w->done = true;
            break;
        }
        const uint8_t *p = w->buf + w->pos;
        if (p[0] != 'F' || p[1] != 'R') {
            if (w->streaming && is_postamble_at(w->buf, w->len, w->pos)) {
                w->body_end = w->pos;
                w->done = true;
                break;
            }
            w->pos++; /* padding between frames */
            continue;
        }
        TGM_RETURN_IF(w->pos + TGM_FRAME_HEADER_SIZE > w->body_end, TGM_ERROR_FRAMING,
                      "frame header at offset %zu runs past the end of the frame region (%zu)",
                      w->pos, w->body_end);
        TGM_TRY(tgm__frame_header_read(p, w->body_end - w->pos, w->pos, fh));
        TGM_RETURN_IF(fh->total_length > (uint64_t)(w->body_end - w->pos), TGM_ERROR_FRAMING,
                      "%s frame at offset %zu: total_length %llu exceeds the %zu bytes left "
                      "before the postamble",
                      tgm__frame_type_name(fh->type), w->pos, (unsigned long long)fh->total_length,
                      w->body_end - w->pos);
        TGM_TRY(tgm__frame_check(p, (size_t)fh->total_length, w->pos, fh, NULL));
        *at = w->pos;
        size_t next = w->pos + (size_t)fh->total_length;
        size_t aligned = tgm__align8(next);
        w->pos = aligned <= w->body_end ? aligned : next;
        *got = 1;
        return TGM_ERROR_OK;
    }
    return TGM_ERROR_OK;
}

static void walk_init(frame_walk *w, const uint8_t *buf, size_t len, size_t msg_len,
                      bool streaming) {
    w->buf = buf;
    w->len = streaming ? len : msg_len;
    w->body_end = streaming ? len - TGM_POSTAMBLE_SIZE : msg_len - TGM_POSTAMBLE_SIZE;
    w->streaming = streaming;
    w->pos = TGM_PREAMBLE_SIZE;
    w->done = false;
}

/* Finish a streaming walk: the postamble must follow the last frame. */
static tgm_error walk_finish(frame_walk *w, size_t *msg_len) {
    if (!w->streaming) {
        return TGM_ERROR_OK;
    }
    if (w->pos + TGM_POSTAMBLE_SIZE <= w->len && is_postamble_at(w->buf, w->len, w->pos)) {
        w->body_end = w->pos;
    }
    TGM_RETURN_IF(!is_postamble_at(w->buf, w->len, w->body_end), TGM_ERROR_FRAMING,
                  "streaming message: no postamble found after the last frame (offset %zu)",
                  w->body_end);
    *msg_len = w->body_end + TGM_POSTAMBLE_SIZE;
    return TGM_ERROR_OK;
}

static tgm_error frame_cbor(const uint8_t *buf, size_t at, const tgm_frame_header *fh,
                            const uint8_t **cbor, size_t *cbor_len) {
    size_t total = (size_t)fh->total_length;
    *cbor = buf + at + TGM_FRAME_HEADER_SIZE;
    *cbor_len = total - TGM_FRAME_HEADER_SIZE - TGM_FRAME_COMMON_FOOTER_SIZE;
    return TGM_ERROR_OK;
}

static tgm_error parse_meta_frame(const uint8_t *buf, size_t at, const tgm_frame_header *fh,
                                  tgm_arena *a, tgm_global_meta *out) {
    const uint8_t *cbor;
    size_t n;
    TGM_TRY(frame_cbor(buf, at, fh, &cbor, &n));
    tgm_val *root;
    tgm_error e = tgm__cbor_decode(cbor, n, a, NULL, &root, NULL);
    if (e != TGM_ERROR_OK) {
        return tgm__wrap(e, "%s frame at offset %zu: failed to parse CBOR",
                         tgm__frame_type_name(fh->type), at);
    }
    e = tgm__gmeta_from_cbor(a, root, out);
    if (e != TGM_ERROR_OK) {
        return tgm__wrap(e, "%s frame at offset %zu", tgm__frame_type_name(fh->type), at);
    }
    return TGM_ERROR_OK;
}

tgm_error tgm__msg_parse_object_frame(const uint8_t *p, size_t len, size_t at, tgm_arena *a,
                                      tgm_obj_ref *out) {
    tgm_frame_header fh;
    uint64_t co64;
    TGM_TRY(tgm__frame_header_read(p, len, at, &fh));
    TGM_RETURN_IF(fh.type != TGM_FRAME_NTENSOR, TGM_ERROR_FRAMING,
                  "expected a data-object frame (type 9 NTensorFrame) at offset %zu, got %s", at,
                  tgm__frame_type_name(fh.type));
    TGM_RETURN_IF(fh.total_length > (uint64_t)len, TGM_ERROR_FRAMING,
                  "data object frame at offset %zu: total_length %llu exceeds buffer: %zu", at,
                  (unsigned long long)fh.total_length, len);
    size_t flen = (size_t)fh.total_length;
    TGM_TRY(tgm__frame_check(p, flen, at, &fh, &co64));
    size_t co = (size_t)co64;
    size_t footer_start = flen - TGM_DATA_FRAME_FOOTER_SIZE;
    const uint8_t *region;
    size_t region_len;
    size_t consumed = 0;
    /* The descriptor straight from its bytes; what the direct reader does
     * not take (uncommon forms, and every error) goes the generic way. */
    if (!tgm__desc_read_fast(a, p + co, footer_start - co, &out->desc, &consumed)) {
        tgm_val *dv;
        tgm_error e = tgm__cbor_decode(p + co, footer_start - co, a, NULL, &dv, &consumed);
        if (e != TGM_ERROR_OK) {
            return tgm__wrap(e, "data object frame at offset %zu: failed to parse descriptor CBOR",
                             at);
        }
        char where[96];
        snprintf(where, sizeof where, "descriptor of the data object frame at offset %zu", at);
        TGM_TRY(tgm__desc_from_val(a, dv, where, &out->desc));
    }
    if (fh.flags & TGM_FF_CBOR_AFTER_PAYLOAD) {
        region = p + TGM_FRAME_HEADER_SIZE;
        region_len = co - TGM_FRAME_HEADER_SIZE;
    } else {
        region = p + co + consumed;
        region_len = footer_start - co - consumed;
    }
    /* A descriptor whose ndim disagrees with its shape would let a C caller
     * read past tgm_object_shape(): reject it here (the encoder never
     * writes one). */
    tgm_error se = tgm__desc_check_shape(&out->desc);
    if (se != TGM_ERROR_OK) {
        return tgm__wrap(se, "data object frame at offset %zu", at);
    }

    /* Mask-aware payload end (§6.5.1): masks follow the payload inside the
     * region; the payload ends at the smallest mask offset. */
    size_t payload_len = region_len;
    static const char *const kinds[3] = {"nan", "inf+", "inf-"};
    for (int k = 0; k < TGM_DESC_MASKS; k++) {
        const tgm_mask_desc *m = &out->desc.masks[k];
        if (!m->present) {
            continue;
        }
        uint64_t end;
        TGM_RETURN_IF(tgm__add_u64(m->offset, m->length, &end), TGM_ERROR_FRAMING,
                      "mask_%s.offset + length overflow (offset=%llu, length=%llu)", kinds[k],
                      (unsigned long long)m->offset, (unsigned long long)m->length);
        TGM_RETURN_IF(end > region_len, TGM_ERROR_FRAMING,
                      "mask_%s.offset + length (%llu) exceeds payload region size (%zu) in the "
                      "frame at offset %zu",
                      kinds[k], (unsigned long long)end, region_len, at);
        if (m->offset < payload_len) {
            payload_len = (size_t)m->offset;
        }
    }
    out->frame_off = at;
    out->frame_len = flen;
    out->frame_flags = fh.flags;
    out->region = region;
    out->region_len = region_len;
    out->payload = region;
    out->payload_len = payload_len;
    return TGM_ERROR_OK;
}

/* Merge a preceder entry into base[i]: preceder keys win. */
static tgm_error merge_preceder(tgm_arena *a, tgm_val *base_entry, const tgm_val *prec) {
    tgm_val *m = tgm__val_map(a, base_entry->len + prec->len);
    if (m == NULL) {
        return tgm__oom(prec->len, "preceder merge");
    }
    if (base_entry->len > 0) {
        memcpy(m->p.items, base_entry->p.items, 2 * base_entry->len * sizeof(tgm_val));
    }
    if (prec->len > 0) {
        memcpy(m->p.items + 2 * base_entry->len, prec->p.items, 2 * prec->len * sizeof(tgm_val));
    }
    tgm_val *n = tgm__section_normalise(a, m); /* later (preceder) entries win */
    if (n == NULL) {
        return tgm__oom(prec->len, "preceder merge");
    }
    *base_entry = *n;
    return TGM_ERROR_OK;
}

tgm_error tgm__msg_parse(const uint8_t *buf, size_t len, tgm_arena *a, unsigned mode,
                         tgm_msg *out) {
    return tgm__msg_parse_with(buf, len, a, mode, NULL, 0, out);
}

tgm_error tgm__msg_parse_with(const uint8_t *buf, size_t len, tgm_arena *a, unsigned mode,
                              tgm_obj_ref *scratch, size_t nscratch, tgm_msg *out) {
    tgm_msg m;
    memset(&m, 0, sizeof m);
    bool streaming;
    size_t msg_len;
    TGM_TRY(message_bounds(buf, len, &m.pre, &msg_len, &streaming));
    bool lazy = (mode & TGM_PARSE_LAZY_META) != 0;
    bool tables = (mode & TGM_PARSE_NO_TABLES) == 0;
    mode &= ~(TGM_PARSE_LAZY_META | TGM_PARSE_NO_TABLES);
    bool any_preceder = false;

    frame_walk w;
    walk_init(&w, buf, len, msg_len, streaming);
    tgm_phase phase = TGM_PHASE_HEADER;
    tgm_val *pending = NULL;
    bool pending_set = false;

    /* Objects and their preceders, grown geometrically (from the
     * caller's scratch table when it gives one). */
    tgm_val *scratch_prec[4];
    size_t cap = 0;
    tgm_obj_ref *objs = NULL;
    tgm_val **preceders = NULL;
    if (scratch != NULL && nscratch > 0) {
        cap = nscratch < 4 ? nscratch : 4;
        objs = scratch;
        preceders = scratch_prec;
    }

    for (;;) {
        tgm_frame_header fh;
        size_t at;
        int got;
        TGM_TRY(walk_next(&w, &fh, &at, &got));
        if (!got) {
            break;
        }
        tgm_phase ph = tgm__frame_phase(fh.type);
        TGM_RETURN_IF(ph < phase, TGM_ERROR_FRAMING,
                      "unexpected %s frame at offset %zu after the %s phase: frames must appear "
                      "in order: headers, data objects, footers",
                      tgm__frame_type_name(fh.type), at,
                      phase == TGM_PHASE_BODY ? "data-object" : "footer");
        TGM_RETURN_IF(pending_set && fh.type != TGM_FRAME_NTENSOR, TGM_ERROR_FRAMING,
                      "PrecederMetadata must be followed by a data-object frame, got %s at "
                      "offset %zu",
                      tgm__frame_type_name(fh.type), at);
        phase = ph;
        switch (fh.type) {
        case TGM_FRAME_HEADER_METADATA:
        case TGM_FRAME_FOOTER_METADATA: {
            /* The last metadata frame is the one kept; each is checked. */
            const uint8_t *cbor;
            size_t n;
            TGM_TRY(frame_cbor(buf, at, &fh, &cbor, &n));
            if (!lazy || !tgm__gmeta_check_fast_into(cbor, n, &m.meta_bytes)) {
                TGM_TRY(parse_meta_frame(buf, at, &fh, a, &m.meta));
                m.meta_bytes.cbor = NULL;
            }
            m.has_meta = true;
            break;
        }
        case TGM_FRAME_HEADER_INDEX:
        case TGM_FRAME_FOOTER_INDEX: {
            const uint8_t *cbor;
            size_t n;
            TGM_TRY(frame_cbor(buf, at, &fh, &cbor, &n));
            tgm_error e = tables ? tgm__index_from_cbor(a, cbor, n, &m.index_offsets,
                                                        &m.index_lengths, &m.nindex)
                                 : tgm__index_from_cbor(a, cbor, n, NULL, NULL, NULL);
            if (e != TGM_ERROR_OK) {
                return tgm__wrap(e, "%s frame at offset %zu", tgm__frame_type_name(fh.type), at);
            }
            m.has_index = true;
            break;
        }
        case TGM_FRAME_HEADER_HASH:
        case TGM_FRAME_FOOTER_HASH: {
            const uint8_t *cbor;
            size_t n;
            TGM_TRY(frame_cbor(buf, at, &fh, &cbor, &n));
            tgm_error e = tables ? tgm__hashframe_from_cbor(a, cbor, n, &m.hash_algorithm,
                                                            &m.hashes, &m.nhashes)
                                 : tgm__hashframe_from_cbor(a, cbor, n, NULL, NULL, NULL);
            if (e != TGM_ERROR_OK) {
                return tgm__wrap(e, "%s frame at offset %zu", tgm__frame_type_name(fh.type), at);
            }
            m.has_hash_frame = true;
            break;
        }
        case TGM_FRAME_PRECEDER_METADATA: {
            any_preceder = true;
            tgm_global_meta pm;
            TGM_TRY(parse_meta_frame(buf, at, &fh, a, &pm));
            TGM_RETURN_IF(pm.nbase != 1, TGM_ERROR_METADATA,
                          "PrecederMetadata base must have exactly 1 entry, got %zu (frame at "
                          "offset %zu)",
                          pm.nbase, at);
            /* _reserved_ is library-managed: strip it rather than reject. */
            tgm_val *entry = &pm.base[0];
            size_t keep = 0;
            for (size_t i = 0; i < entry->len; i++) {
                if (!tgm__val_is_text(tgm__val_map_key(entry, i), TGM_RESERVED_KEY)) {
                    entry->p.items[2 * keep] = entry->p.items[2 * i];
                    entry->p.items[2 * keep + 1] = entry->p.items[2 * i + 1];
                    keep++;
                }
            }
            entry->len = keep;
            pending = entry;
            pending_set = true;
            break;
        }
        case TGM_FRAME_NTENSOR: {
            if (m.nobj == cap) {
                size_t ncap = cap ? cap * 2 : 1; /* small messages: one small arena chunk */
                tgm_obj_ref *no = tgm__arena_alloc(a, ncap * sizeof *no);
                tgm_val **np = tgm__arena_alloc(a, ncap * sizeof *np);
                if (no == NULL || np == NULL) {
                    return tgm__oom(ncap * sizeof *no, "object table");
                }
                if (m.nobj) {
                    memcpy(no, objs, m.nobj * sizeof *no);
                    memcpy(np, preceders, m.nobj * sizeof *np);
                }
                objs = no;
                preceders = np;
                cap = ncap;
            }
            tgm_obj_ref *o = &objs[m.nobj];
            memset(o, 0, sizeof *o);
            if (mode == TGM_PARSE_FULL) {
                TGM_TRY(tgm__msg_parse_object_frame(buf + at, (size_t)fh.total_length, at, a, o));
            } else {
                o->frame_off = at;
                o->frame_len = (size_t)fh.total_length;
                o->frame_flags = fh.flags;
            }
            preceders[m.nobj] = pending_set ? pending : NULL;
            pending = NULL;
            pending_set = false;
            m.nobj++;
            break;
        }
        default:
            break;
        }
    }
    TGM_TRY(walk_finish(&w, &msg_len));
    TGM_RETURN_IF(pending_set, TGM_ERROR_FRAMING,
                  "dangling PrecederMetadata: no data-object frame followed");
    TGM_RETURN_IF(!m.has_meta, TGM_ERROR_METADATA, "no metadata frame found in message");
    if (m.meta_bytes.cbor != NULL) {
        TGM_RETURN_IF(m.meta_bytes.nbase > m.nobj, TGM_ERROR_METADATA,
                      "metadata base has %zu entries but message contains %zu objects",
                      m.meta_bytes.nbase, m.nobj);
        m.meta_bytes.nbase = m.nobj;
        if (!any_preceder) {
            m.buf = buf;
            m.len = msg_len;
            m.objs = objs;
            *out = m;
            return TGM_ERROR_OK;
        }
        /* Preceders merge into base: build it now. */
        TGM_TRY(tgm__gmeta_from_bytes(a, &m.meta_bytes, &m.meta));
        m.meta_bytes.cbor = NULL;
    }
    TGM_RETURN_IF(m.meta.nbase > m.nobj, TGM_ERROR_METADATA,
                  "metadata base has %zu entries but message contains %zu objects", m.meta.nbase,
                  m.nobj);
    if (m.meta.nbase < m.nobj) {
        tgm_val *nb = tgm__arena_alloc(a, m.nobj * sizeof(tgm_val));
        if (nb == NULL) {
            return tgm__oom(m.nobj * sizeof(tgm_val), "base");
        }
        if (m.meta.nbase) {
            memcpy(nb, m.meta.base, m.meta.nbase * sizeof(tgm_val));
        }
        for (size_t i = m.meta.nbase; i < m.nobj; i++) {
            memset(&nb[i], 0, sizeof nb[i]);
            nb[i].kind = TGM_V_MAP;
        }
        m.meta.base = nb;
        m.meta.nbase = m.nobj;
    }
    for (size_t i = 0; i < m.nobj; i++) {
        if (preceders[i] != NULL) {
            TGM_TRY(merge_preceder(a, &m.meta.base[i], preceders[i]));
        }
    }
    m.buf = buf;
    m.len = msg_len;
    m.objs = objs;
    *out = m;
    return TGM_ERROR_OK;
}

/* The first metadata frame (header or footer) of the message in buf: its
 * offset and header. */
static tgm_error find_meta_frame(const uint8_t *buf, size_t len, size_t *at, tgm_frame_header *fh) {
    tgm_preamble pre;
    size_t msg_len;
    bool streaming;
    TGM_TRY(message_bounds(buf, len, &pre, &msg_len, &streaming));
    frame_walk w;
    walk_init(&w, buf, len, msg_len, streaming);
    for (;;) {
        int got;
        TGM_TRY(walk_next(&w, fh, at, &got));
        if (!got) {
            break;
        }
        if (fh->type == TGM_FRAME_HEADER_METADATA || fh->type == TGM_FRAME_FOOTER_METADATA) {
            return TGM_ERROR_OK;
        }
    }
    return tgm__fail(TGM_ERROR_METADATA, "no metadata frame found in message");
}

tgm_error tgm__msg_metadata_bytes(const uint8_t *buf, size_t len, tgm_meta_bytes *mb, bool *lazy) {
    *lazy = false;
    tgm_frame_header fh;
    size_t at;
    TGM_TRY(find_meta_frame(buf, len, &at, &fh));
    const uint8_t *cbor;
    size_t n;
    TGM_TRY(frame_cbor(buf, at, &fh, &cbor, &n));
    *lazy = tgm__gmeta_check_fast_into(cbor, n, mb);
    return TGM_ERROR_OK;
}

tgm_error tgm__msg_parse_metadata(const uint8_t *buf, size_t len, tgm_arena *a,
                                  tgm_global_meta *out) {
    tgm_frame_header fh;
    size_t at;
    TGM_TRY(find_meta_frame(buf, len, &at, &fh));
    return parse_meta_frame(buf, at, &fh, a, out);
}

tgm_error tgm__msg_verify_object_hash(const uint8_t *msgbuf, const tgm_obj_ref *o, size_t index) {
    const uint8_t *p = msgbuf + o->frame_off;
    if (!(o->frame_flags & TGM_FF_HASH_PRESENT)) {
        tgm__fail_raw(TGM_ERROR_MISSING_HASH,
                      "hash verification requested but object %zu has no inline hash recorded "
                      "(HASH_PRESENT flag clear); re-encode with hashing or decode without "
                      "verify_hash",
                      index);
        tgm__set_error_object_index((int64_t)index);
        return TGM_ERROR_MISSING_HASH;
    }
    const uint8_t *scope;
    size_t scope_len;
    tgm__frame_hash_scope(p, o->frame_len, TGM_FRAME_NTENSOR, &scope, &scope_len);
    uint64_t computed = tgm__xxh3(scope, scope_len);
    uint64_t stored = tgm__frame_stored_hash(p, o->frame_len);
    if (computed != stored) {
        char e[17], c[17];
        tgm__hash_hex(stored, e);
        tgm__hash_hex(computed, c);
        tgm__fail_raw(TGM_ERROR_HASH_MISMATCH, "hash mismatch on object %zu: expected %s, got %s",
                      index, e, c);
        tgm__set_error_object_index((int64_t)index);
        return TGM_ERROR_HASH_MISMATCH;
    }
    return TGM_ERROR_OK;
}

/* Parse the header frames (up to the first body frame) and, through the
 * postamble's first_footer_offset, the footer frames: everything needed to
 * reach an object through the index without walking the body. */
tgm_error tgm__msg_parse_ends(const uint8_t *buf, size_t len, tgm_arena *a, tgm_msg *out) {
    tgm_msg m;
    memset(&m, 0, sizeof m);
    bool streaming;
    size_t msg_len;
    TGM_TRY(message_bounds(buf, len, &m.pre, &msg_len, &streaming));
    TGM_RETURN_IF(streaming, TGM_ERROR_FRAMING, "streaming message: no direct access");
    size_t body_end = msg_len - TGM_POSTAMBLE_SIZE;
    tgm_postamble pa;
    TGM_TRY(tgm__postamble_read(buf + body_end, TGM_POSTAMBLE_SIZE, &pa));

    for (int pass = 0; pass < 2; pass++) {
        frame_walk w;
        walk_init(&w, buf, len, msg_len, false);
        if (pass == 1) {
            if (!(m.pre.flags & (TGM_MF_FOOTER_METADATA | TGM_MF_FOOTER_INDEX))) {
                break;
            }
            TGM_RETURN_IF(pa.first_footer_offset < TGM_PREAMBLE_SIZE ||
                              pa.first_footer_offset > body_end,
                          TGM_ERROR_FRAMING,
                          "postamble first_footer_offset %llu outside the message body [%u, %zu]",
                          (unsigned long long)pa.first_footer_offset, TGM_PREAMBLE_SIZE, body_end);
            w.pos = (size_t)pa.first_footer_offset;
        }
        for (;;) {
            tgm_frame_header fh;
            size_t at;
            int got;
            TGM_TRY(walk_next(&w, &fh, &at, &got));
            if (!got) {
                break;
            }
            tgm_phase ph = tgm__frame_phase(fh.type);
            if ((pass == 0 && ph != TGM_PHASE_HEADER) || (pass == 1 && ph != TGM_PHASE_FOOTER)) {
                TGM_RETURN_IF(pass == 1, TGM_ERROR_FRAMING,
                              "unexpected %s frame at offset %zu in the footer region",
                              tgm__frame_type_name(fh.type), at);
                break;
            }
            if (fh.type == TGM_FRAME_HEADER_METADATA || fh.type == TGM_FRAME_FOOTER_METADATA) {
                const uint8_t *cbor;
                size_t n;
                TGM_TRY(frame_cbor(buf, at, &fh, &cbor, &n));
                if (!tgm__gmeta_check_fast_into(cbor, n, &m.meta_bytes)) {
                    TGM_TRY(parse_meta_frame(buf, at, &fh, a, &m.meta));
                    m.meta_bytes.cbor = NULL;
                }
                m.has_meta = true;
            } else if (fh.type == TGM_FRAME_HEADER_INDEX || fh.type == TGM_FRAME_FOOTER_INDEX) {
                const uint8_t *cbor;
                size_t n;
                TGM_TRY(frame_cbor(buf, at, &fh, &cbor, &n));
                tgm_error e =
                    tgm__index_from_cbor(a, cbor, n, &m.index_offsets, &m.index_lengths, &m.nindex);
                if (e != TGM_ERROR_OK) {
                    return tgm__wrap(e, "%s frame at offset %zu", tgm__frame_type_name(fh.type),
                                     at);
                }
                m.has_index = true;
            }
        }
    }
    TGM_RETURN_IF(!m.has_meta, TGM_ERROR_METADATA, "no metadata frame found in message");
    m.buf = buf;
    m.len = msg_len;
    *out = m;
    return TGM_ERROR_OK;
}
