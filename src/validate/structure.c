/* Level 1: the structure of a message, walked byte by byte (WIRE_FORMAT
 * §2-§7).  Unlike the decoder's parser this walk keeps going after a
 * problem wherever the position of the next frame is still known, so one
 * pass reports every structural issue it can, and it hands the frame
 * bodies it found to the later levels. */
#include <stdio.h>
#include <string.h>

#include "cbor/cbor.h"
#include "common/alloc.h"
#include "common/endian.h"
#include "validate/validate_internal.h"

#define L1 TGM_VL_STRUCTURE

/* Phases of §5 with the reference's names (used in issue text). */
static const char *phase_name(tgm_phase p) {
    return p == TGM_PHASE_HEADER ? "Headers" : p == TGM_PHASE_BODY ? "DataObjects" : "Footers";
}

/* The first 8 bytes rendered as a quoted, escaped string (as a Rust
 * `{:?}` of the lossily decoded UTF-8 would show them). */
static void render_magic(const uint8_t *p, char *out, size_t cap) {
    size_t n = 0;
#define EMIT(...)                                                                                  \
    do {                                                                                           \
        int k_ = snprintf(out + n, cap - n, __VA_ARGS__);                                          \
        if (k_ > 0 && (size_t)k_ < cap - n) {                                                      \
            n += (size_t)k_;                                                                       \
        }                                                                                          \
    } while (0)
    EMIT("\"");
    for (size_t i = 0; i < 8;) {
        uint8_t b = p[i];
        if (b == '"' || b == '\\') {
            EMIT("\\%c", b);
            i++;
        } else if (b == '\t') {
            EMIT("\\t");
            i++;
        } else if (b == '\n') {
            EMIT("\\n");
            i++;
        } else if (b == '\r') {
            EMIT("\\r");
            i++;
        } else if (b < 0x20 || b == 0x7f) {
            EMIT("\\u{%x}", b);
            i++;
        } else if (b < 0x80) {
            EMIT("%c", b);
            i++;
        } else {
            /* A complete, valid UTF-8 sequence within the 8 bytes is kept;
             * anything else becomes U+FFFD per byte. */
            size_t need = (b >= 0xc2 && b <= 0xdf)   ? 2
                          : (b >= 0xe0 && b <= 0xef) ? 3
                          : (b >= 0xf0 && b <= 0xf4) ? 4
                                                     : 0;
            bool ok = need != 0 && i + need <= 8;
            for (size_t j = 1; ok && j < need; j++) {
                ok = (p[i + j] & 0xc0) == 0x80;
            }
            if (ok) {
                EMIT("%.*s", (int)need, (const char *)p + i);
                i += need;
            } else {
                EMIT("\xef\xbf\xbd");
                i++;
            }
        }
    }
    EMIT("\"");
#undef EMIT
}

static bool push_frame(tgm_vctx *c, const tgm_vframe *f) {
    if (c->nframes == c->frames_cap) {
        size_t cap = c->frames_cap ? 2 * c->frames_cap : 8;
        tgm_vframe *p = tgm__realloc(c->frames, cap * sizeof *p);
        if (p == NULL) {
            c->r->oom = true;
            return false;
        }
        c->frames = p;
        c->frames_cap = cap;
    }
    c->frames[c->nframes++] = *f;
    return true;
}

static bool push_obj(tgm_vctx *c, const tgm_vobj *o) {
    if (c->nobjs == c->objs_cap) {
        size_t cap = c->objs_cap ? 2 * c->objs_cap : 8;
        tgm_vobj *p = tgm__realloc(c->objs, cap * sizeof *p);
        if (p == NULL) {
            c->r->oom = true;
            return false;
        }
        c->objs = p;
        c->objs_cap = cap;
    }
    c->objs[c->nobjs++] = *o;
    return true;
}

/* Postamble checks shared by both modes: first_footer_offset in range. */
static void check_ffo(tgm_vctx *c, const tgm_postamble *pa, size_t pa_off) {
    if (pa->first_footer_offset < TGM_PREAMBLE_SIZE || pa->first_footer_offset > pa_off) {
        tgm__vissue(c, TGM_VC_FOOTER_OFFSET_OUT_OF_RANGE, L1, TGM_VS_ERROR, -1, (int64_t)pa_off,
                    "first_footer_offset %llu out of range [%u, %zu]",
                    (unsigned long long)pa->first_footer_offset, TGM_PREAMBLE_SIZE, pa_off);
    }
}

/* Outcome of split_object. */
enum { SPLIT_OK, SPLIT_BAD, SPLIT_OVERFLOW };

/* Extract the descriptor CBOR and payload region of a data-object frame
 * whose header, length and ENDF are already checked.  Reports cbor_offset
 * problems (SPLIT_OVERFLOW: the offset wraps around, the reference then
 * also skips the padding check after the frame). */
static int split_object(tgm_vctx *c, size_t pos, size_t frame_total, uint16_t flags, size_t obj_idx,
                        tgm_vobj *o) {
    const uint8_t *buf = c->buf;
    size_t co_pos = pos + frame_total - TGM_DATA_FRAME_FOOTER_SIZE;
    uint64_t co = tgm__frame_cbor_offset(buf + pos, frame_total);
    if (co > SIZE_MAX - pos) {
        tgm__vissue(c, TGM_VC_CBOR_OFFSET_INVALID, L1, TGM_VS_ERROR, (int64_t)obj_idx, (int64_t)pos,
                    "data object cbor_offset %llu overflows at offset %zu", (unsigned long long)co,
                    pos);
        return SPLIT_OVERFLOW;
    }
    size_t abs = pos + (size_t)co;
    if (co < TGM_FRAME_HEADER_SIZE || abs > co_pos) {
        tgm__vissue(c, TGM_VC_CBOR_OFFSET_INVALID, L1, TGM_VS_ERROR, (int64_t)obj_idx, (int64_t)pos,
                    "data object cbor_offset %llu out of range at offset %zu",
                    (unsigned long long)co, pos);
        return SPLIT_BAD;
    }
    memset(o, 0, sizeof *o);
    o->frame_off = pos;
    if (flags & TGM_FF_CBOR_AFTER_PAYLOAD) {
        o->cbor = buf + abs;
        o->cbor_len = co_pos - abs;
        o->payload = buf + pos + TGM_FRAME_HEADER_SIZE;
        o->payload_len = abs - (pos + TGM_FRAME_HEADER_SIZE);
    } else {
        /* The descriptor comes first: its end (and so the payload start)
         * is known only by reading the CBOR item. */
        tgm_arena scratch = TGM_ARENA_INIT;
        tgm_val *v;
        size_t used = 0;
        tgm_error e = tgm__cbor_decode(buf + abs, co_pos - abs, &scratch, NULL, &v, &used);
        tgm__arena_free(&scratch);
        if (e != TGM_ERROR_OK) {
            if (tgm__v_oom(c)) {
                return SPLIT_BAD;
            }
            tgm__clear_error();
            tgm__vissue(c, TGM_VC_CBOR_BEFORE_BOUNDARY_UNKNOWN, L1, TGM_VS_ERROR, (int64_t)obj_idx,
                        (int64_t)pos,
                        "CBOR-before descriptor parse failed, cannot determine payload "
                        "boundary");
            return SPLIT_BAD;
        }
        o->cbor = buf + abs;
        o->cbor_len = used;
        o->payload = buf + abs + used;
        o->payload_len = co_pos - (abs + used);
    }
    return SPLIT_OK;
}

/* ---- the envelope: preamble, total_length, postamble (§3, §7) ---- */

/* Checks the preamble and finds the postamble; *msg_end is where the frame
 * region ends (the postamble's offset).  false: nothing more can be read. */
static bool check_envelope(tgm_vctx *c, size_t *msg_end, tgm_postamble *pa) {
    const uint8_t *buf = c->buf;
    size_t len = c->len;
    if (len < TGM_PREAMBLE_SIZE) {
        tgm__vissue(c, TGM_VC_BUFFER_TOO_SHORT, L1, TGM_VS_ERROR, -1, 0,
                    "buffer too short for preamble: %zu < %u", len, TGM_PREAMBLE_SIZE);
        return false;
    }
    if (memcmp(buf, TGM_MAGIC, 8) != 0) {
        char shown[64];
        render_magic(buf, shown, sizeof shown);
        tgm__vissue(c, TGM_VC_INVALID_MAGIC, L1, TGM_VS_ERROR, -1, 0,
                    "invalid magic bytes: expected TENSOGRM, got %s", shown);
        return false;
    }
    if (tgm__preamble_read(buf, len, &c->pre) != TGM_ERROR_OK) {
        tgm__vissue(c, TGM_VC_PREAMBLE_PARSE_FAILED, L1, TGM_VS_ERROR, -1, 0,
                    "preamble parse failed: %s", tgm__vdetail());
        tgm__clear_error();
        return false;
    }
    if (c->pre.total_length > 0) {
        uint64_t tl = c->pre.total_length;
        if (tl > SIZE_MAX) {
            tgm__vissue(c, TGM_VC_TOTAL_LENGTH_OVERFLOW, L1, TGM_VS_ERROR, -1, 16,
                        "total_length %llu overflows usize", (unsigned long long)tl);
            return false;
        }
        if (tl > (uint64_t)len) {
            tgm__vissue(c, TGM_VC_TOTAL_LENGTH_EXCEEDS_BUFFER, L1, TGM_VS_ERROR, -1, 16,
                        "total_length %llu exceeds buffer size %zu", (unsigned long long)tl, len);
            return false;
        }
        if (tl < TGM_MIN_MESSAGE_SIZE) {
            tgm__vissue(c, TGM_VC_TOTAL_LENGTH_TOO_SMALL, L1, TGM_VS_ERROR, -1, 16,
                        "total_length %llu is smaller than minimum message size %u",
                        (unsigned long long)tl, TGM_MIN_MESSAGE_SIZE);
            return false;
        }
        *msg_end = (size_t)tl - TGM_POSTAMBLE_SIZE;
        if (tgm__postamble_read(buf + *msg_end, TGM_POSTAMBLE_SIZE, pa) != TGM_ERROR_OK) {
            tgm__vissue(c, TGM_VC_POSTAMBLE_INVALID, L1, TGM_VS_ERROR, -1, (int64_t)*msg_end,
                        "postamble invalid: %s", tgm__vdetail());
            tgm__clear_error();
            return false;
        }
    } else {
        /* Streaming message whose length was never back-filled: the
         * postamble is the end of the buffer (§9.4). */
        *msg_end = len - TGM_POSTAMBLE_SIZE;
        if (tgm__postamble_read(buf + *msg_end, TGM_POSTAMBLE_SIZE, pa) != TGM_ERROR_OK) {
            tgm__clear_error();
            tgm__vissue(c, TGM_VC_POSTAMBLE_INVALID, L1, TGM_VS_ERROR, -1, (int64_t)*msg_end,
                        "missing or invalid postamble in streaming message");
            return false;
        }
    }
    check_ffo(c, pa, *msg_end);
    return true;
}

/* ---- the frame walk (§2, §5) ---- */

typedef struct walk {
    size_t msg_end;
    tgm_phase phase;
    uint16_t observed; /* preamble flags the frames present call for */
    bool pending_preceder;
    size_t obj_idx;
    size_t first_footer;
} walk;

/* Bytes at pos that do not start a frame: padding up to the next 8-byte
 * boundary, which must be zero (§2.3).  Returns where to continue, or
 * msg_end at the end. */
static size_t skip_gap(tgm_vctx *c, size_t pos, size_t msg_end) {
    const uint8_t *buf = c->buf;
    if (pos + 2 > msg_end) {
        if (buf[pos] != 0) {
            tgm__vissue(c, TGM_VC_NON_ZERO_PADDING, L1, TGM_VS_WARNING, -1, (int64_t)pos,
                        "unexpected non-zero padding bytes at offset %zu", pos);
        }
        return msg_end;
    }
    size_t next = ((pos + 8) & ~(size_t)7);
    if (next > msg_end) {
        next = msg_end;
    }
    if (next <= pos) {
        next = pos + 1;
    }
    bool zero = true;
    for (size_t i = pos; i < next && i < msg_end; i++) {
        if (buf[i] != 0) {
            zero = false;
            break;
        }
    }
    if (!zero) {
        tgm__vissue(c, TGM_VC_NON_ZERO_PADDING, L1, TGM_VS_WARNING, -1, (int64_t)pos,
                    "unexpected non-zero padding bytes at offset %zu", pos);
    }
    return next;
}

/* The frame header at pos and its extent: sizes, room before the
 * postamble, the end marker.  false: the walk cannot go on. */
static bool frame_extent(tgm_vctx *c, size_t pos, size_t msg_end, tgm_frame_header *fh,
                         size_t *total) {
    const uint8_t *buf = c->buf;
    if (pos + TGM_FRAME_HEADER_SIZE > msg_end) {
        tgm__vissue(c, TGM_VC_TRUNCATED_FRAME_HEADER, L1, TGM_VS_ERROR, -1, (int64_t)pos,
                    "truncated frame header at offset %zu", pos);
        return false;
    }
    if (tgm__frame_header_read(buf + pos, msg_end - pos, pos, fh) != TGM_ERROR_OK) {
        tgm__vissue(c, TGM_VC_INVALID_FRAME_HEADER, L1, TGM_VS_ERROR, -1, (int64_t)pos,
                    "invalid frame header at offset %zu: %s", pos, tgm__vdetail());
        tgm__clear_error();
        return false;
    }
    if (fh->total_length > SIZE_MAX) {
        tgm__vissue(c, TGM_VC_FRAME_LENGTH_OVERFLOW, L1, TGM_VS_ERROR, -1, (int64_t)pos,
                    "frame total_length %llu overflows usize at offset %zu",
                    (unsigned long long)fh->total_length, pos);
        return false;
    }
    *total = (size_t)fh->total_length;
    bool is_obj = tgm__frame_is_data_object(fh->type) != 0;
    /* The reference only requires room for the header and the end marker
     * of non-object frames (not the full 12-byte footer). */
    size_t min = TGM_FRAME_HEADER_SIZE + (is_obj ? TGM_DATA_FRAME_FOOTER_SIZE : 4);
    if (*total < min) {
        tgm__vissue(c, TGM_VC_FRAME_TOO_SMALL, L1, TGM_VS_ERROR, -1, (int64_t)pos,
                    "frame at offset %zu total_length %zu < minimum %zu", pos, *total, min);
        return false;
    }
    if (*total > SIZE_MAX - pos) {
        tgm__vissue(c, TGM_VC_FRAME_LENGTH_OVERFLOW, L1, TGM_VS_ERROR, -1, (int64_t)pos,
                    "frame at offset %zu total_length %zu causes overflow", pos, *total);
        return false;
    }
    size_t frame_end = pos + *total;
    if (frame_end > msg_end) {
        tgm__vissue(c, TGM_VC_FRAME_EXCEEDS_MESSAGE, L1, TGM_VS_ERROR, -1, (int64_t)pos,
                    "frame at offset %zu extends into postamble (frame_end=%zu, "
                    "postamble_start=%zu)",
                    pos, frame_end, msg_end);
        return false;
    }
    size_t endf = frame_end - 4;
    if (!tgm__frame_is_end_marker(buf + endf)) {
        tgm__vissue(c, TGM_VC_MISSING_END_MARKER, L1, TGM_VS_ERROR, -1, (int64_t)endf,
                    "missing ENDF marker at offset %zu for frame starting at %zu", endf, pos);
        return false;
    }
    return true;
}

/* Phase order (§5), the preceder rule (§6.4) and the preamble flag the
 * frame calls for. */
static void follow_rules(tgm_vctx *c, walk *w, const tgm_frame_header *fh, size_t pos) {
    bool is_obj = tgm__frame_is_data_object(fh->type) != 0;
    tgm_phase ph = tgm__frame_phase(fh->type);
    if (ph < w->phase) {
        tgm__vissue(c, TGM_VC_FRAME_ORDER_VIOLATION, L1, TGM_VS_ERROR, -1, (int64_t)pos,
                    "frame %s at offset %zu appears after %s phase \xe2\x80\x94 wrong order",
                    tgm__frame_type_name(fh->type), pos, phase_name(w->phase));
    }
    if (ph == TGM_PHASE_FOOTER && w->first_footer == SIZE_MAX) {
        w->first_footer = pos;
    }
    if (ph > w->phase) {
        w->phase = ph;
    }
    /* A preceder must be followed directly by a data object. */
    if (w->pending_preceder && !is_obj) {
        tgm__vissue(c, TGM_VC_PRECEDER_NOT_FOLLOWED_BY_OBJECT, L1, TGM_VS_ERROR, -1, (int64_t)pos,
                    "PrecederMetadata must be followed by a data-object frame, got %s at "
                    "offset %zu",
                    tgm__frame_type_name(fh->type), pos);
        w->pending_preceder = false;
    }
    switch (fh->type) {
    case TGM_FRAME_HEADER_METADATA:
        w->observed |= TGM_MF_HEADER_METADATA;
        break;
    case TGM_FRAME_FOOTER_METADATA:
        w->observed |= TGM_MF_FOOTER_METADATA;
        break;
    case TGM_FRAME_HEADER_INDEX:
        w->observed |= TGM_MF_HEADER_INDEX;
        break;
    case TGM_FRAME_FOOTER_INDEX:
        w->observed |= TGM_MF_FOOTER_INDEX;
        break;
    case TGM_FRAME_HEADER_HASH:
        w->observed |= TGM_MF_HEADER_HASHES;
        break;
    case TGM_FRAME_FOOTER_HASH:
        w->observed |= TGM_MF_FOOTER_HASHES;
        break;
    case TGM_FRAME_PRECEDER_METADATA:
        w->observed |= TGM_MF_PRECEDER_METADATA;
        w->pending_preceder = true;
        break;
    default: /* data object */
        w->pending_preceder = false;
        break;
    }
}

/* Keep the frame for the later levels; *check_padding false when the
 * padding after it is not to be checked.  false: out of memory. */
static bool record_frame(tgm_vctx *c, walk *w, const tgm_frame_header *fh, size_t pos, size_t total,
                         bool *check_padding) {
    *check_padding = true;
    if (tgm__frame_is_data_object(fh->type)) {
        tgm_vobj o;
        int s = split_object(c, pos, total, fh->flags, w->obj_idx, &o);
        if ((s == SPLIT_OK && !push_obj(c, &o)) || c->r->oom) {
            return false;
        }
        *check_padding = s != SPLIT_OVERFLOW;
        w->obj_idx++;
        return true;
    }
    size_t body = pos + TGM_FRAME_HEADER_SIZE;
    tgm_vframe f = {fh->type, fh->flags, pos, total, c->buf + body, pos + total - 4 - body};
    return push_frame(c, &f);
}

/* The alignment padding after a frame ending at frame_end (§2.3); returns
 * where the next frame starts. */
static size_t skip_padding(tgm_vctx *c, size_t frame_end, size_t msg_end, bool check) {
    size_t aligned = frame_end <= SIZE_MAX - 7 ? ((frame_end + 7) & ~(size_t)7) : SIZE_MAX;
    if (aligned > msg_end) {
        return frame_end;
    }
    for (size_t i = frame_end; check && i < aligned; i++) {
        if (c->buf[i] != 0) {
            tgm__vissue(c, TGM_VC_NON_ZERO_PADDING, L1, TGM_VS_WARNING, -1, (int64_t)frame_end,
                        "non-zero alignment padding after frame at offset %zu", frame_end);
            break;
        }
    }
    return aligned;
}

/* After the walk: a dangling preceder, the postamble's first footer
 * offset, the preamble flags against the frames present, a metadata
 * frame at all. */
static void check_summary(tgm_vctx *c, const walk *w, const tgm_postamble *pa) {
    if (w->pending_preceder) {
        tgm__vissue(c, TGM_VC_DANGLING_PRECEDER, L1, TGM_VS_ERROR, -1, -1,
                    "dangling PrecederMetadata: no DataObject frame followed");
    }
    /* first_footer_offset points at the first footer frame, or at the
     * postamble when there is none (§7). */
    size_t expect_ffo = w->first_footer != SIZE_MAX ? w->first_footer : w->msg_end;
    if (pa->first_footer_offset != (uint64_t)expect_ffo) {
        tgm__vissue(c, TGM_VC_FOOTER_OFFSET_MISMATCH, L1, TGM_VS_WARNING, -1, -1,
                    "first_footer_offset %llu does not match actual first footer position %zu",
                    (unsigned long long)pa->first_footer_offset, expect_ffo);
    }
    /* Preamble flags against the frames actually present (§3.1). */
    static const struct {
        uint16_t bit;
        const char *name;
    } flags[] = {
        {TGM_MF_HEADER_METADATA, "HEADER_METADATA"},    {TGM_MF_FOOTER_METADATA, "FOOTER_METADATA"},
        {TGM_MF_HEADER_INDEX, "HEADER_INDEX"},          {TGM_MF_FOOTER_INDEX, "FOOTER_INDEX"},
        {TGM_MF_HEADER_HASHES, "HEADER_HASHES"},        {TGM_MF_FOOTER_HASHES, "FOOTER_HASHES"},
        {TGM_MF_PRECEDER_METADATA, "PRECEDER_METADATA"}};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        if (((c->pre.flags & flags[i].bit) != 0) != ((w->observed & flags[i].bit) != 0)) {
            tgm__vissue(c, TGM_VC_FLAG_MISMATCH, L1, TGM_VS_WARNING, -1, 10,
                        "%s flag mismatch: declared vs observed", flags[i].name);
        }
    }
    if (!(w->observed & (TGM_MF_HEADER_METADATA | TGM_MF_FOOTER_METADATA))) {
        tgm__vissue(c, TGM_VC_NO_METADATA_FRAME, L1, TGM_VS_ERROR, -1, -1,
                    "no metadata frame found (neither header nor footer)");
    }
}

bool tgm__v_structure(tgm_vctx *c) {
    tgm_postamble pa;
    walk w = {0, TGM_PHASE_HEADER, 0, false, 0, SIZE_MAX};
    if (!check_envelope(c, &w.msg_end, &pa)) {
        return false;
    }
    size_t pos = TGM_PREAMBLE_SIZE;
    while (pos < w.msg_end) {
        if (c->buf[pos] != 'F' || pos + 2 > w.msg_end || c->buf[pos + 1] != 'R') {
            pos = skip_gap(c, pos, w.msg_end);
            continue;
        }
        tgm_frame_header fh;
        size_t total;
        if (!frame_extent(c, pos, w.msg_end, &fh, &total)) {
            break;
        }
        follow_rules(c, &w, &fh, pos);
        bool check_padding;
        if (!record_frame(c, &w, &fh, pos, total, &check_padding)) {
            return false;
        }
        pos = skip_padding(c, pos + total, w.msg_end, check_padding);
    }
    check_summary(c, &w, &pa);
    return true;
}
