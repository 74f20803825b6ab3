#include "wire/wire.h"

#include <string.h>

#include "common/endian.h"
#include "common/error.h"

tgm_error tgm__preamble_read(const uint8_t *p, size_t avail, tgm_preamble *out) {
    TGM_RETURN_IF(avail < TGM_PREAMBLE_SIZE, TGM_ERROR_FRAMING,
                  "buffer too short for preamble: %zu < %u", avail, TGM_PREAMBLE_SIZE);
    if (memcmp(p, TGM_MAGIC, 8) != 0) {
        char ascii[9];
        char hex[17];
        static const char hexd[] = "0123456789abcdef";
        for (int i = 0; i < 8; i++) {
            ascii[i] = (p[i] > 0x20 && p[i] < 0x7f) ? (char)p[i] : '.';
            hex[2 * i] = hexd[p[i] >> 4];
            hex[2 * i + 1] = hexd[p[i] & 15];
        }
        ascii[8] = '\0';
        hex[16] = '\0';
        return tgm__fail(TGM_ERROR_FRAMING,
                         "invalid magic bytes: expected \"TENSOGRM\", got \"%s\" (hex %s): the "
                         "buffer does not start with a Tensogram preamble",
                         ascii, hex);
    }
    uint16_t version = tgm__rd_be16(p + 8);
    TGM_RETURN_IF(version != TGM_WIRE_VERSION, TGM_ERROR_FRAMING,
                  "unsupported message version %u (required = %d); only wire format v3 is "
                  "supported",
                  version, TGM_WIRE_VERSION);
    out->version = version;
    out->flags = tgm__rd_be16(p + 10);
    out->reserved = tgm__rd_be32(p + 12);
    out->total_length = tgm__rd_be64(p + 16);
    return TGM_ERROR_OK;
}

void tgm__preamble_write(uint8_t *p, const tgm_preamble *pre) {
    memcpy(p, TGM_MAGIC, 8);
    tgm__wr_be16(p + 8, pre->version);
    tgm__wr_be16(p + 10, pre->flags);
    tgm__wr_be32(p + 12, pre->reserved);
    tgm__wr_be64(p + 16, pre->total_length);
}

tgm_error tgm__frame_header_read(const uint8_t *p, size_t avail, size_t at, tgm_frame_header *out) {
    TGM_RETURN_IF(avail < TGM_FRAME_HEADER_SIZE, TGM_ERROR_FRAMING,
                  "buffer too short for frame header at offset %zu: %zu < %u", at, avail,
                  TGM_FRAME_HEADER_SIZE);
    TGM_RETURN_IF(p[0] != 'F' || p[1] != 'R', TGM_ERROR_FRAMING,
                  "invalid frame magic at offset %zu: [%u, %u] (expected \"FR\")", at, p[0], p[1]);
    uint16_t type = tgm__rd_be16(p + 2);
    TGM_RETURN_IF(type == 4, TGM_ERROR_FRAMING,
                  "reserved frame type 4 (obsolete v2 NTensorFrame) not supported in v3 "
                  "(frame at offset %zu)",
                  at);
    TGM_RETURN_IF(type == 0 || type > 9, TGM_ERROR_FRAMING,
                  "unknown frame type: %u (frame at offset %zu)", type, at);
    out->type = type;
    out->version = tgm__rd_be16(p + 4);
    out->flags = tgm__rd_be16(p + 6);
    out->total_length = tgm__rd_be64(p + 8);
    return TGM_ERROR_OK;
}

void tgm__frame_header_write(uint8_t *p, const tgm_frame_header *fh) {
    p[0] = 'F';
    p[1] = 'R';
    tgm__wr_be16(p + 2, fh->type);
    tgm__wr_be16(p + 4, fh->version);
    tgm__wr_be16(p + 6, fh->flags);
    tgm__wr_be64(p + 8, fh->total_length);
}

tgm_error tgm__postamble_read(const uint8_t *p, size_t avail, tgm_postamble *out) {
    TGM_RETURN_IF(avail < TGM_POSTAMBLE_SIZE, TGM_ERROR_FRAMING,
                  "buffer too short for postamble: %zu < %u", avail, TGM_POSTAMBLE_SIZE);
    TGM_RETURN_IF(memcmp(p + 16, TGM_END_MAGIC, 8) != 0, TGM_ERROR_FRAMING,
                  "invalid end magic in postamble");
    out->first_footer_offset = tgm__rd_be64(p);
    out->total_length = tgm__rd_be64(p + 8);
    return TGM_ERROR_OK;
}

void tgm__postamble_write(uint8_t *p, const tgm_postamble *pa) {
    tgm__wr_be64(p, pa->first_footer_offset);
    tgm__wr_be64(p + 8, pa->total_length);
    memcpy(p + 16, TGM_END_MAGIC, 8);
}

size_t tgm__frame_footer_size(uint16_t type) {
    return type == TGM_FRAME_NTENSOR ? TGM_DATA_FRAME_FOOTER_SIZE : TGM_FRAME_COMMON_FOOTER_SIZE;
}

int tgm__frame_is_data_object(uint16_t type) { return type == TGM_FRAME_NTENSOR; }

tgm_phase tgm__frame_phase(uint16_t type) {
    switch (type) {
    case TGM_FRAME_HEADER_METADATA:
    case TGM_FRAME_HEADER_INDEX:
    case TGM_FRAME_HEADER_HASH:
        return TGM_PHASE_HEADER;
    case TGM_FRAME_PRECEDER_METADATA:
    case TGM_FRAME_NTENSOR:
        return TGM_PHASE_BODY;
    default:
        return TGM_PHASE_FOOTER;
    }
}

const char *tgm__frame_type_name(uint16_t type) {
    switch (type) {
    case TGM_FRAME_HEADER_METADATA:
        return "HeaderMetadata";
    case TGM_FRAME_HEADER_INDEX:
        return "HeaderIndex";
    case TGM_FRAME_HEADER_HASH:
        return "HeaderHash";
    case TGM_FRAME_FOOTER_HASH:
        return "FooterHash";
    case TGM_FRAME_FOOTER_INDEX:
        return "FooterIndex";
    case TGM_FRAME_FOOTER_METADATA:
        return "FooterMetadata";
    case TGM_FRAME_PRECEDER_METADATA:
        return "PrecederMetadata";
    case TGM_FRAME_NTENSOR:
        return "NTensorFrame";
    default:
        return "Unknown";
    }
}

#define END_MARKER "ENDF"

void tgm__frame_footer_write(uint8_t p[TGM_FRAME_COMMON_FOOTER_SIZE], uint64_t hash) {
    tgm__wr_be64(p, hash);
    memcpy(p + 8, END_MARKER, 4);
}

void tgm__frame_data_footer_write(uint8_t p[TGM_DATA_FRAME_FOOTER_SIZE], uint64_t cbor_offset,
                                  uint64_t hash) {
    tgm__wr_be64(p, cbor_offset);
    tgm__frame_footer_write(p + 8, hash);
}

int tgm__frame_is_end_marker(const uint8_t *p) { return memcmp(p, END_MARKER, 4) == 0; }

uint64_t tgm__frame_cbor_offset(const uint8_t *p, size_t len) {
    return tgm__rd_be64(p + len - TGM_DATA_FRAME_FOOTER_SIZE);
}

tgm_error tgm__frame_check(const uint8_t *p, size_t len, size_t at, const tgm_frame_header *fh,
                           uint64_t *cbor_offset) {
    size_t footer = tgm__frame_footer_size(fh->type);
    size_t min = TGM_FRAME_HEADER_SIZE + footer;
    TGM_RETURN_IF(len < min, TGM_ERROR_FRAMING,
                  "%s frame at offset %zu: total_length %zu is smaller than the minimum %zu",
                  tgm__frame_type_name(fh->type), at, len, min);
    return tgm__frame_check_tail(p + len - TGM_DATA_FRAME_FOOTER_SIZE, len, at, fh, cbor_offset);
}

tgm_error tgm__frame_check_tail(const uint8_t *tail, size_t len, size_t at,
                                const tgm_frame_header *fh, uint64_t *cbor_offset) {
    size_t footer = tgm__frame_footer_size(fh->type);
    size_t min = TGM_FRAME_HEADER_SIZE + footer;
    TGM_RETURN_IF(len < min, TGM_ERROR_FRAMING,
                  "%s frame at offset %zu: total_length %zu is smaller than the minimum %zu",
                  tgm__frame_type_name(fh->type), at, len, min);
    const uint8_t *end = tail + TGM_DATA_FRAME_FOOTER_SIZE;
    TGM_RETURN_IF(!tgm__frame_is_end_marker(end - 4), TGM_ERROR_FRAMING,
                  "%s frame at offset %zu: missing ENDF marker at offset %zu",
                  tgm__frame_type_name(fh->type), at, at + len - 4);
    if (fh->type == TGM_FRAME_NTENSOR) {
        uint64_t co = tgm__rd_be64(tail);
        uint64_t hi = len - TGM_DATA_FRAME_FOOTER_SIZE;
        TGM_RETURN_IF(co < TGM_FRAME_HEADER_SIZE || co > hi, TGM_ERROR_FRAMING,
                      "NTensorFrame at offset %zu: cbor_offset %llu out of valid range [%u, %llu]",
                      at, (unsigned long long)co, TGM_FRAME_HEADER_SIZE, (unsigned long long)hi);
        if (cbor_offset != NULL) {
            *cbor_offset = co;
        }
    }
    return TGM_ERROR_OK;
}

uint64_t tgm__frame_stored_hash(const uint8_t *p, size_t len) { return tgm__rd_be64(p + len - 12); }

void tgm__frame_hash_scope(const uint8_t *p, size_t len, uint16_t type, const uint8_t **scope,
                           size_t *scope_len) {
    size_t footer = tgm__frame_footer_size(type);
    *scope = p + TGM_FRAME_HEADER_SIZE;
    *scope_len = len - TGM_FRAME_HEADER_SIZE - footer;
}
