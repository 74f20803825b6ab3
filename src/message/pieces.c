/* Parsing a message from pieces (message.h, "Pieces"): the header frames
 * from the message's first bytes, the footer frames from its last bytes,
 * and a data-object descriptor from the two ends of its frame.  Sources
 * where every read is a round trip (remote objects) fetch only these
 * pieces instead of whole messages.  Each parser says how many more bytes
 * it needs when a piece is too short, so the caller can fetch them and try
 * again; what it parses obeys the same rules as the whole-buffer parser
 * (WIRE_FORMAT §2-§6). */
#include <stdio.h>
#include <string.h>

#include "cbor/cbor.h"
#include "common/checked.h"
#include "common/endian.h"
#include "common/error.h"
#include "message/message.h"

static tgm_error meta_frame(const uint8_t *p, size_t flen, uint16_t type, size_t at, tgm_arena *a,
                            tgm_global_meta *out) {
    const uint8_t *cbor = p + TGM_FRAME_HEADER_SIZE;
    size_t n = flen - TGM_FRAME_HEADER_SIZE - TGM_FRAME_COMMON_FOOTER_SIZE;
    tgm_val *root;
    tgm_error e = tgm__cbor_decode(cbor, n, a, NULL, &root, NULL);
    if (e != TGM_ERROR_OK) {
        return tgm__wrap(e, "%s frame at offset %zu: failed to parse CBOR",
                         tgm__frame_type_name(type), at);
    }
    e = tgm__gmeta_from_cbor(a, root, out);
    if (e != TGM_ERROR_OK) {
        return tgm__wrap(e, "%s frame at offset %zu", tgm__frame_type_name(type), at);
    }
    return TGM_ERROR_OK;
}

/* Parse one header or footer frame into m. */
static tgm_error region_frame(const uint8_t *p, const tgm_frame_header *fh, size_t at, tgm_arena *a,
                              tgm_msg *m) {
    size_t flen = (size_t)fh->total_length;
    const uint8_t *cbor = p + TGM_FRAME_HEADER_SIZE;
    size_t n = flen - TGM_FRAME_HEADER_SIZE - TGM_FRAME_COMMON_FOOTER_SIZE;
    tgm_error e = TGM_ERROR_OK;
    switch (fh->type) {
    case TGM_FRAME_HEADER_METADATA:
    case TGM_FRAME_FOOTER_METADATA:
        if (!m->has_meta) { /* the first metadata frame wins, as tgm__msg_parse_metadata */
            TGM_TRY(meta_frame(p, flen, fh->type, at, a, &m->meta));
            m->has_meta = true;
        }
        break;
    case TGM_FRAME_HEADER_INDEX:
    case TGM_FRAME_FOOTER_INDEX:
        e = tgm__index_from_cbor(a, cbor, n, &m->index_offsets, &m->index_lengths, &m->nindex);
        m->has_index = e == TGM_ERROR_OK;
        break;
    case TGM_FRAME_HEADER_HASH:
    case TGM_FRAME_FOOTER_HASH:
        e = tgm__hashframe_from_cbor(a, cbor, n, &m->hash_algorithm, &m->hashes, &m->nhashes);
        m->has_hash_frame = e == TGM_ERROR_OK;
        break;
    default:
        break;
    }
    if (e != TGM_ERROR_OK) {
        return tgm__wrap(e, "%s frame at offset %zu", tgm__frame_type_name(fh->type), at);
    }
    return TGM_ERROR_OK;
}

/* Walk the frames of one region.  `buf` holds message bytes [base, base +
 * len); the walk starts at message offset `pos` and stops at `end` (the
 * postamble, or the first frame of another phase when `stop_at_other`).
 * Returns with *need > 0 (the message offset up to which bytes are
 * needed) when the buffer ends first. */
static tgm_error walk_region(const uint8_t *buf, uint64_t base, size_t len, uint64_t pos,
                             uint64_t end, tgm_phase phase, tgm_arena *a, tgm_msg *m,
                             uint64_t *need) {
    *need = 0;
    while (pos + 2 <= end) {
        if (pos + 2 > base + len) {
            *need = pos + TGM_FRAME_HEADER_SIZE;
            return TGM_ERROR_OK;
        }
        const uint8_t *p = buf + (pos - base);
        if (p[0] != 'F' || p[1] != 'R') {
            pos++; /* padding between frames */
            continue;
        }
        TGM_RETURN_IF(pos + TGM_FRAME_HEADER_SIZE > end, TGM_ERROR_FRAMING,
                      "frame header at offset %llu runs past the end of the frame region (%llu)",
                      (unsigned long long)pos, (unsigned long long)end);
        if (pos + TGM_FRAME_HEADER_SIZE > base + len) {
            *need = pos + TGM_FRAME_HEADER_SIZE;
            return TGM_ERROR_OK;
        }
        tgm_frame_header fh;
        TGM_TRY(tgm__frame_header_read(p, TGM_FRAME_HEADER_SIZE, (size_t)pos, &fh));
        if (tgm__frame_phase(fh.type) != phase) {
            TGM_RETURN_IF(phase == TGM_PHASE_FOOTER, TGM_ERROR_FRAMING,
                          "unexpected %s frame at offset %llu in the footer region",
                          tgm__frame_type_name(fh.type), (unsigned long long)pos);
            return TGM_ERROR_OK; /* the header region ends at the first body frame */
        }
        TGM_RETURN_IF(fh.total_length > end - pos, TGM_ERROR_FRAMING,
                      "%s frame at offset %llu: total_length %llu exceeds the %llu bytes left "
                      "before the postamble",
                      tgm__frame_type_name(fh.type), (unsigned long long)pos,
                      (unsigned long long)fh.total_length, (unsigned long long)(end - pos));
        if (pos + fh.total_length > base + len) {
            *need = pos + fh.total_length;
            return TGM_ERROR_OK;
        }
        TGM_TRY(tgm__frame_check(p, (size_t)fh.total_length, (size_t)pos, &fh, NULL));
        TGM_TRY(region_frame(p, &fh, (size_t)pos, a, m));
        uint64_t next = pos + fh.total_length;
        uint64_t aligned = (next + 7u) & ~(uint64_t)7u;
        pos = aligned <= end ? aligned : next;
    }
    return TGM_ERROR_OK;
}

tgm_error tgm__msg_parse_pieces(const uint8_t *head, size_t head_len, const uint8_t *tail,
                                size_t tail_len, uint64_t msg_len, tgm_arena *a, tgm_msg *out,
                                uint64_t *need_head, uint64_t *need_tail) {
    tgm_msg m;
    memset(&m, 0, sizeof m);
    *need_head = 0;
    *need_tail = 0;
    TGM_RETURN_IF(msg_len < TGM_MIN_MESSAGE_SIZE, TGM_ERROR_FRAMING,
                  "message of %llu bytes is shorter than the minimum (%u)",
                  (unsigned long long)msg_len, TGM_MIN_MESSAGE_SIZE);
    if (head_len < TGM_PREAMBLE_SIZE) {
        *need_head = TGM_PREAMBLE_SIZE;
        return TGM_ERROR_OK;
    }
    if (head_len > msg_len) {
        head_len = (size_t)msg_len;
    }
    if (tail_len > msg_len) {
        tail += tail_len - msg_len;
        tail_len = (size_t)msg_len;
    }
    TGM_TRY(tgm__preamble_read(head, head_len, &m.pre));
    TGM_RETURN_IF(m.pre.total_length != 0 && m.pre.total_length != msg_len, TGM_ERROR_FRAMING,
                  "preamble total_length %llu does not match the message length %llu",
                  (unsigned long long)m.pre.total_length, (unsigned long long)msg_len);
    TGM_TRY(tgm__gmeta_init(a, &m.meta));
    uint64_t body_end = msg_len - TGM_POSTAMBLE_SIZE;
    uint16_t fl = m.pre.flags;
    if (fl & (TGM_MF_HEADER_METADATA | TGM_MF_HEADER_INDEX | TGM_MF_HEADER_HASHES)) {
        TGM_TRY(walk_region(head, 0, head_len, TGM_PREAMBLE_SIZE, body_end, TGM_PHASE_HEADER, a, &m,
                            need_head));
    }
    if (fl & (TGM_MF_FOOTER_METADATA | TGM_MF_FOOTER_INDEX | TGM_MF_FOOTER_HASHES)) {
        if (tail_len < TGM_POSTAMBLE_SIZE) {
            *need_tail = TGM_POSTAMBLE_SIZE;
        } else {
            tgm_postamble pa;
            TGM_TRY(
                tgm__postamble_read(tail + tail_len - TGM_POSTAMBLE_SIZE, TGM_POSTAMBLE_SIZE, &pa));
            TGM_RETURN_IF(pa.total_length != 0 && pa.total_length != msg_len, TGM_ERROR_FRAMING,
                          "postamble total_length (%llu) does not match the message length (%llu)",
                          (unsigned long long)pa.total_length, (unsigned long long)msg_len);
            TGM_RETURN_IF(pa.first_footer_offset < TGM_PREAMBLE_SIZE ||
                              pa.first_footer_offset > body_end,
                          TGM_ERROR_FRAMING,
                          "postamble first_footer_offset %llu outside the message body [%u, %llu]",
                          (unsigned long long)pa.first_footer_offset, TGM_PREAMBLE_SIZE,
                          (unsigned long long)body_end);
            uint64_t base = msg_len - tail_len;
            if (pa.first_footer_offset < base) {
                *need_tail = msg_len - pa.first_footer_offset;
            } else {
                uint64_t need = 0;
                TGM_TRY(walk_region(tail, base, tail_len, pa.first_footer_offset, body_end,
                                    TGM_PHASE_FOOTER, a, &m, &need));
                if (need > 0) { /* cannot happen: the tail reaches the end */
                    *need_tail = msg_len - pa.first_footer_offset;
                }
            }
        }
    }
    if (*need_head > 0 || *need_tail > 0) {
        return TGM_ERROR_OK;
    }
    TGM_RETURN_IF(!m.has_meta, TGM_ERROR_METADATA, "no metadata frame found in message");
    m.len = (size_t)msg_len;
    *out = m;
    return TGM_ERROR_OK;
}

tgm_error tgm__msg_parse_descriptor_pieces(const uint8_t *head, size_t head_len,
                                           const uint8_t *tail, size_t tail_len, uint64_t frame_len,
                                           size_t at, tgm_arena *a, tgm_obj_ref *out,
                                           uint64_t *need) {
    *need = 0;
    memset(out, 0, sizeof *out);
    TGM_RETURN_IF(frame_len < TGM_FRAME_HEADER_SIZE + TGM_DATA_FRAME_FOOTER_SIZE, TGM_ERROR_FRAMING,
                  "data object frame at offset %zu is too short", at);
    TGM_RETURN_IF(head_len < TGM_FRAME_HEADER_SIZE || tail_len < TGM_DATA_FRAME_FOOTER_SIZE,
                  TGM_ERROR_FRAMING, "data object frame at offset %zu: pieces too short", at);
    if (tail_len > frame_len) {
        tail += tail_len - frame_len;
        tail_len = (size_t)frame_len;
    }
    tgm_frame_header fh;
    TGM_TRY(tgm__frame_header_read(head, head_len, at, &fh));
    TGM_RETURN_IF(fh.type != TGM_FRAME_NTENSOR, TGM_ERROR_FRAMING,
                  "expected a data-object frame (type 9 NTensorFrame) at offset %zu, got %s", at,
                  tgm__frame_type_name(fh.type));
    TGM_RETURN_IF(fh.total_length != frame_len, TGM_ERROR_FRAMING,
                  "data object frame at offset %zu: total_length %llu, index says %llu", at,
                  (unsigned long long)fh.total_length, (unsigned long long)frame_len);
    const uint8_t *foot = tail + tail_len - TGM_DATA_FRAME_FOOTER_SIZE;
    TGM_RETURN_IF(memcmp(foot + 16, "ENDF", 4) != 0, TGM_ERROR_FRAMING,
                  "data object frame at offset %zu: missing ENDF marker", at);
    uint64_t co = tgm__rd_be64(foot);
    uint64_t footer_start = frame_len - TGM_DATA_FRAME_FOOTER_SIZE;
    TGM_RETURN_IF(co < TGM_FRAME_HEADER_SIZE || co > footer_start, TGM_ERROR_FRAMING,
                  "data object frame at offset %zu: cbor_offset %llu outside [%u, %llu]", at,
                  (unsigned long long)co, TGM_FRAME_HEADER_SIZE, (unsigned long long)footer_start);
    TGM_RETURN_IF(!(fh.flags & TGM_FF_CBOR_AFTER_PAYLOAD), TGM_ERROR_FRAMING,
                  "data object frame at offset %zu: descriptor before the payload (read the "
                  "whole frame)",
                  at);
    uint64_t base = frame_len - tail_len;
    if (co < base) {
        *need = frame_len - co; /* bytes needed at the end of the frame */
        return TGM_ERROR_OK;
    }
    tgm_val *dv;
    tgm_error e =
        tgm__cbor_decode(tail + (co - base), (size_t)(footer_start - co), a, NULL, &dv, NULL);
    if (e != TGM_ERROR_OK) {
        return tgm__wrap(e, "data object frame at offset %zu: failed to parse descriptor CBOR", at);
    }
    char where[96];
    snprintf(where, sizeof where, "descriptor of the data object frame at offset %zu", at);
    TGM_TRY(tgm__desc_from_val(a, dv, where, &out->desc));
    tgm_error se = tgm__desc_check_shape(&out->desc);
    if (se != TGM_ERROR_OK) {
        return tgm__wrap(se, "data object frame at offset %zu", at);
    }
    uint64_t region_len = co - TGM_FRAME_HEADER_SIZE;
    static const char *const kinds[3] = {"nan", "inf+", "inf-"};
    uint64_t payload_len = region_len;
    for (int k = 0; k < TGM_DESC_MASKS; k++) {
        const tgm_mask_desc *mk = &out->desc.masks[k];
        if (!mk->present) {
            continue;
        }
        uint64_t end;
        TGM_RETURN_IF(tgm__add_u64(mk->offset, mk->length, &end) || end > region_len,
                      TGM_ERROR_FRAMING,
                      "mask_%s.offset + length exceeds payload region size (%llu) in the frame "
                      "at offset %zu",
                      kinds[k], (unsigned long long)region_len, at);
        if (mk->offset < payload_len) {
            payload_len = mk->offset;
        }
    }
    out->frame_off = at;
    out->frame_len = (size_t)frame_len;
    out->frame_flags = fh.flags;
    out->region = NULL; /* not in memory */
    out->region_len = (size_t)region_len;
    out->payload = NULL;
    out->payload_len = (size_t)payload_len;
    return TGM_ERROR_OK;
}
