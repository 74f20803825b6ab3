/* Wire format v3 building blocks (WIRE_FORMAT §2-§7): preamble, frame header,
 * frame footers and postamble.  Bytes <-> structs only: no allocation, no
 * CBOR.  Every reader takes the number of bytes available and fails with a
 * TGM_ERROR_FRAMING detail instead of reading past it. */
#ifndef TGM_WIRE_WIRE_H
#define TGM_WIRE_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "tensogram/tensogram.h"

#define TGM_MAGIC "TENSOGRM"
#define TGM_END_MAGIC "39277777"
#define TGM_PREAMBLE_SIZE 24u
#define TGM_POSTAMBLE_SIZE 24u
#define TGM_FRAME_HEADER_SIZE 16u
#define TGM_FRAME_COMMON_FOOTER_SIZE 12u /* hash u64 + "ENDF" (§2.2) */
#define TGM_DATA_FRAME_FOOTER_SIZE 20u   /* cbor_offset u64 + hash u64 + "ENDF" (§6.5) */
#define TGM_MIN_MESSAGE_SIZE (TGM_PREAMBLE_SIZE + TGM_POSTAMBLE_SIZE)

/* Frame types (§4). */
enum {
    TGM_FRAME_HEADER_METADATA = 1,
    TGM_FRAME_HEADER_INDEX = 2,
    TGM_FRAME_HEADER_HASH = 3,
    TGM_FRAME_FOOTER_HASH = 5,
    TGM_FRAME_FOOTER_INDEX = 6,
    TGM_FRAME_FOOTER_METADATA = 7,
    TGM_FRAME_PRECEDER_METADATA = 8,
    TGM_FRAME_NTENSOR = 9
};

/* Preamble flags (§3.1). */
enum {
    TGM_MF_HEADER_METADATA = 1u << 0,
    TGM_MF_FOOTER_METADATA = 1u << 1,
    TGM_MF_HEADER_INDEX = 1u << 2,
    TGM_MF_FOOTER_INDEX = 1u << 3,
    TGM_MF_HEADER_HASHES = 1u << 4,
    TGM_MF_FOOTER_HASHES = 1u << 5,
    TGM_MF_PRECEDER_METADATA = 1u << 6,
    TGM_MF_HASHES_PRESENT = 1u << 7
};

/* Frame flags (§2.5, §6.5). */
enum {
    TGM_FF_CBOR_AFTER_PAYLOAD = 1u << 0, /* NTensorFrame only */
    TGM_FF_HASH_PRESENT = 1u << 1
};

/* Decode phases (§5). */
typedef enum { TGM_PHASE_HEADER = 0, TGM_PHASE_BODY = 1, TGM_PHASE_FOOTER = 2 } tgm_phase;

typedef struct tgm_preamble {
    uint16_t version;
    uint16_t flags;
    uint32_t reserved;
    uint64_t total_length; /* 0: streaming message whose length was not back-filled */
} tgm_preamble;

typedef struct tgm_frame_header {
    uint16_t type;
    uint16_t version;
    uint16_t flags;
    uint64_t total_length; /* header + body + footer, excluding padding */
} tgm_frame_header;

typedef struct tgm_postamble {
    uint64_t first_footer_offset;
    uint64_t total_length;
} tgm_postamble;

/* Read a preamble at p (avail bytes): checks size, magic and version 3. */
tgm_error tgm__preamble_read(const uint8_t *p, size_t avail, tgm_preamble *out);
void tgm__preamble_write(uint8_t *p, const tgm_preamble *pre);

/* Read a frame header: checks size, "FR" magic and that the type is one v3
 * defines (rejects 0, 4 and >= 10 with the spec's messages). `at` is the
 * frame's offset in the message, for error text. */
tgm_error tgm__frame_header_read(const uint8_t *p, size_t avail, size_t at, tgm_frame_header *out);
void tgm__frame_header_write(uint8_t *p, const tgm_frame_header *fh);

tgm_error tgm__postamble_read(const uint8_t *p, size_t avail, tgm_postamble *out);
void tgm__postamble_write(uint8_t *p, const tgm_postamble *pa);

/* Footers (§2.2, §6.5).  The common footer of every frame but
 * NTensorFrame: the hash slot (0 when not hashing), then "ENDF".  The
 * NTensorFrame footer: cbor_offset (from the frame start), the hash slot,
 * then "ENDF". */
void tgm__frame_footer_write(uint8_t p[TGM_FRAME_COMMON_FOOTER_SIZE], uint64_t hash);
void tgm__frame_data_footer_write(uint8_t p[TGM_DATA_FRAME_FOOTER_SIZE], uint64_t cbor_offset,
                                  uint64_t hash);
/* 1 when the 4 bytes at p are the end-of-frame marker "ENDF". */
int tgm__frame_is_end_marker(const uint8_t *p);
/* cbor_offset of an NTensorFrame of `len` bytes at p (len >= 20). */
uint64_t tgm__frame_cbor_offset(const uint8_t *p, size_t len);

/* Type-specific footer size: 20 for NTensorFrame, 12 otherwise. */
size_t tgm__frame_footer_size(uint16_t type);
tgm_phase tgm__frame_phase(uint16_t type);
/* "HeaderMetadata", ..., "NTensorFrame" (for messages). */
const char *tgm__frame_type_name(uint16_t type);
int tgm__frame_is_data_object(uint16_t type);

/* Check a complete frame of `len` bytes at p (len = total_length): minimum
 * size for its type, ENDF marker at the end.  For NTensorFrame also
 * decodes and range-checks cbor_offset into *cbor_offset (may be NULL). */
tgm_error tgm__frame_check(const uint8_t *p, size_t len, size_t at, const tgm_frame_header *fh,
                           uint64_t *cbor_offset);

/* tgm__frame_check when only the frame's last 20 bytes are at hand: `tail`
 * points at them (frame start + len - 20; len >= 20 is checked first by
 * the caller or by the minimum-size check, which comes before any read). */
tgm_error tgm__frame_check_tail(const uint8_t *tail, size_t len, size_t at,
                                const tgm_frame_header *fh, uint64_t *cbor_offset);

/* The stored hash slot of a complete frame (at len - 12). */
uint64_t tgm__frame_stored_hash(const uint8_t *p, size_t len);
/* Hash scope of a complete frame: bytes [16, len - footer_size). */
void tgm__frame_hash_scope(const uint8_t *p, size_t len, uint16_t type, const uint8_t **scope,
                           size_t *scope_len);

#endif
