/* Shared state of one message validation, passed from level to level. */
#ifndef TGM_VALIDATE_INTERNAL_H
#define TGM_VALIDATE_INTERNAL_H

#include "common/error.h"
#include "meta/meta.h"
#include "validate/validate.h"
#include "wire/wire.h"

/* A non-object frame found by the structure walk.  `body` runs from the
 * end of the frame header to the ENDF marker, so it ends with the 8-byte
 * hash slot: CBOR readers stop at the end of the first item. */
typedef struct tgm_vframe {
    uint16_t type;
    uint16_t flags;
    size_t off;   /* frame start in the message */
    size_t total; /* total_length */
    const uint8_t *body;
    size_t body_len;
} tgm_vframe;

typedef enum { TGM_VD_NOT_DECODED = 0, TGM_VD_DECODED, TGM_VD_FAILED } tgm_vdecode_state;

/* A data object found by the structure walk (objects whose cbor_offset is
 * unusable are reported and left out, as the reference does). */
typedef struct tgm_vobj {
    size_t frame_off;
    const uint8_t *cbor; /* descriptor CBOR (exact for CBOR-after frames) */
    size_t cbor_len;
    /* Payload: the whole payload region after level 1; narrowed to the
     * encoded data (masks split off) by level 2 when the descriptor has
     * masks. */
    const uint8_t *payload;
    size_t payload_len;
    const uint8_t *mask_region; /* bytes from the first mask blob on */
    size_t mask_len;
    uint64_t mask_base; /* offset of mask_region within the payload region */
    bool has_desc;
    bool desc_failed;
    tgm_descriptor desc;
    tgm_vdecode_state state;
    /* Level 4 findings of an object decoded by level 3, made while its
     * decoded bytes were at hand: issues [early_start, early_end) of the
     * context's `early` report, appended in order by level 4. */
    bool checked_early;
    size_t early_start, early_end;
} tgm_vobj;

typedef struct tgm_vctx {
    const uint8_t *buf;
    size_t len;
    const tgm_vopts *opts;
    tgm_vreport *r;
    bool drop_warnings; /* checksum mode during level 1 */
    tgm_arena arena;    /* parsed CBOR trees and descriptors */
    tgm_preamble pre;   /* valid once the walk ran */
    tgm_vframe *frames; /* non-object frames in wire order */
    size_t nframes, frames_cap;
    tgm_vobj *objs;
    size_t nobjs, objs_cap;
    tgm_vreport early; /* level 4 findings recorded during level 3 */
} tgm_vctx;

/* Record an issue (printf-style description).  Allocation failures set
 * r->oom and are reported by tgm__validate_message at the end. */
void tgm__vissue(tgm_vctx *c, tgm_vcode code, tgm_vlevel level, tgm_vseverity sev,
                 int64_t object_index, int64_t byte_offset, const char *fmt, ...) TGM_PRINTF(7, 8);
/* Record in a report directly (no context). */
void tgm__vreport_add(tgm_vreport *r, tgm_vcode code, tgm_vlevel level, tgm_vseverity sev,
                      int64_t object_index, int64_t byte_offset, const char *fmt, ...)
    TGM_PRINTF(7, 8);

/* The detail of the last recorded library error, or "unknown error".  The
 * text lives in a thread-local buffer: use it before the next failure and
 * clear the error afterwards. */
const char *tgm__vdetail(void);

/* After a failed library call: true when it failed for lack of memory
 * (then r->oom is set and no issue must be recorded: an allocation
 * failure says nothing about the message). */
bool tgm__v_oom(tgm_vctx *c);

/* Level 1: walk the frames.  Returns false when the walk could not start
 * (bad magic, preamble or postamble); frames/objs are filled otherwise. */
bool tgm__v_structure(tgm_vctx *c);
/* Level 2. */
void tgm__v_metadata(tgm_vctx *c);
/* Level 3: returns whether every object's hash was verified.  With
 * `check_values` (level 4 will run) each decoded object gets its level 4
 * checks at once, so only one decoded object is in memory at a time. */
bool tgm__v_integrity(tgm_vctx *c, bool check_values);
/* Level 4 on the decoded bytes of object i, findings recorded into the
 * context's `early` report (called by level 3). */
void tgm__v_fidelity_early(tgm_vctx *c, size_t i, const uint8_t *data, size_t len);
/* Level 4. */
void tgm__v_fidelity(tgm_vctx *c);

/* Parse one object's descriptor CBOR into o->desc (shared by levels 2 and
 * 3).  On failure the library error is set and o->desc is untouched. */
tgm_error tgm__v_parse_descriptor(tgm_vctx *c, tgm_vobj *o);

#endif
