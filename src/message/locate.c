/* O(1) access to one object through the index frame (WIRE_FORMAT §10.1),
 * falling back to a full walk (§10.2) when there is no usable index. */
#include <string.h>

#include "common/endian.h"
#include "common/error.h"
#include "message/message.h"

/* An index entry must point at a data-object frame of the advertised
 * length inside the message body. */
static bool index_entry_ok(const uint8_t *buf, size_t body_end, uint64_t off, uint64_t len) {
    if (off < TGM_PREAMBLE_SIZE || off > body_end || len > body_end - off ||
        len < TGM_FRAME_HEADER_SIZE + TGM_DATA_FRAME_FOOTER_SIZE) {
        return false;
    }
    const uint8_t *p = buf + off;
    return p[0] == 'F' && p[1] == 'R' && tgm__rd_be16(p + 2) == TGM_FRAME_NTENSOR &&
           tgm__rd_be64(p + 8) == len;
}

static tgm_error fast_path(const uint8_t *buf, size_t len, size_t index, tgm_arena *a,
                           tgm_global_meta *meta, size_t *nobj, tgm_obj_ref *out, bool *done) {
    tgm_msg hm;
    *done = false;
    if (tgm__msg_parse_ends(buf, len, a, &hm) != TGM_ERROR_OK || !hm.has_index ||
        (hm.meta_bytes.cbor != NULL ? hm.meta_bytes.nbase : hm.meta.nbase) > hm.nindex) {
        tgm__clear_error();
        return TGM_ERROR_OK; /* let the full decode report any problem */
    }
    size_t body_end = hm.len - TGM_POSTAMBLE_SIZE;
    if (index < hm.nindex &&
        !index_entry_ok(buf, body_end, hm.index_offsets[index], hm.index_lengths[index])) {
        return TGM_ERROR_OK;
    }
    *done = true;
    if (nobj != NULL) {
        *nobj = hm.nindex;
    }
    TGM_RETURN_IF(index >= hm.nindex, TGM_ERROR_OBJECT,
                  "object index %zu out of range (num_objects=%zu)", index, hm.nindex);
    if (meta != NULL && hm.meta_bytes.cbor != NULL) {
        hm.meta_bytes.nbase = hm.nindex; /* base padded to the object count */
        TGM_TRY(tgm__gmeta_from_bytes(a, &hm.meta_bytes, meta));
    } else if (meta != NULL) {
        if (hm.meta.nbase < hm.nindex) {
            tgm_val *nb = tgm__arena_calloc(a, hm.nindex, sizeof(tgm_val));
            if (nb == NULL) {
                return tgm__oom(hm.nindex * sizeof(tgm_val), "base");
            }
            if (hm.meta.nbase) {
                memcpy(nb, hm.meta.base, hm.meta.nbase * sizeof(tgm_val));
            }
            for (size_t i = hm.meta.nbase; i < hm.nindex; i++) {
                nb[i].kind = TGM_V_MAP;
            }
            hm.meta.base = nb;
            hm.meta.nbase = hm.nindex;
        }
        *meta = hm.meta;
    }
    uint64_t off = hm.index_offsets[index];
    return tgm__msg_parse_object_frame(buf + off, (size_t)hm.index_lengths[index], (size_t)off, a,
                                       out);
}

tgm_error tgm__msg_object(const uint8_t *buf, size_t len, size_t index, tgm_arena *a,
                          tgm_global_meta *meta, size_t *nobj, tgm_obj_ref *out) {
    tgm_preamble pre;
    TGM_TRY(tgm__preamble_read(buf, len, &pre));
    if (pre.total_length != 0 && !(pre.flags & TGM_MF_PRECEDER_METADATA) &&
        (pre.flags & (TGM_MF_HEADER_INDEX | TGM_MF_FOOTER_INDEX))) {
        bool done;
        TGM_TRY(fast_path(buf, len, index, a, meta, nobj, out, &done));
        if (done) {
            return TGM_ERROR_OK;
        }
    }
    tgm_msg m;
    TGM_TRY(tgm__msg_parse(buf, len, a, TGM_PARSE_FULL, &m));
    if (nobj != NULL) {
        *nobj = m.nobj;
    }
    TGM_RETURN_IF(index >= m.nobj, TGM_ERROR_OBJECT,
                  "object index %zu out of range (num_objects=%zu)", index, m.nobj);
    if (meta != NULL) {
        *meta = m.meta;
    }
    *out = m.objs[index];
    return TGM_ERROR_OK;
}
