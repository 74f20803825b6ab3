/* Validation of messages and files (docs cli/validate, WIRE_FORMAT §11).
 *
 * Four levels, each building on the previous one's findings:
 *   1 structure  magic, preamble, postamble, frame headers, lengths, ENDF
 *                markers, phase order, preceder rules, flags vs frames;
 *   2 metadata   metadata / index / hash / preceder / descriptor CBOR,
 *                counts and offsets, shape consistency, known names;
 *   3 integrity  inline frame hashes (§11.2), hash-frame consistency
 *                (§11.4), decode pipeline of every transformed object;
 *   4 fidelity   decoded sizes and the mask-aware NaN / Inf scan (§11.3).
 * Every problem becomes an issue in a report (code, level, severity,
 * optional object index and byte offset, description); validation itself
 * fails only on out-of-memory (message) or I/O (file).
 *
 * The report JSON matches the reference's serde output field for field. */
#ifndef TGM_VALIDATE_VALIDATE_H
#define TGM_VALIDATE_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/buf.h"
#include "tensogram/tensogram.h"

typedef enum tgm_vlevel {
    TGM_VL_STRUCTURE = 1,
    TGM_VL_METADATA = 2,
    TGM_VL_INTEGRITY = 3,
    TGM_VL_FIDELITY = 4
} tgm_vlevel;

typedef enum tgm_vseverity { TGM_VS_ERROR = 0, TGM_VS_WARNING = 1 } tgm_vseverity;

/* Issue codes: (enum suffix, JSON name).  The names are stable and match
 * the reference's snake_case codes. */
#define TGM_VCODE_TABLE(X)                                                                         \
    X(BUFFER_TOO_SHORT, "buffer_too_short")                                                        \
    X(INVALID_MAGIC, "invalid_magic")                                                              \
    X(PREAMBLE_PARSE_FAILED, "preamble_parse_failed")                                              \
    X(TOTAL_LENGTH_OVERFLOW, "total_length_overflow")                                              \
    X(TOTAL_LENGTH_EXCEEDS_BUFFER, "total_length_exceeds_buffer")                                  \
    X(TOTAL_LENGTH_TOO_SMALL, "total_length_too_small")                                            \
    X(POSTAMBLE_INVALID, "postamble_invalid")                                                      \
    X(FOOTER_OFFSET_OUT_OF_RANGE, "footer_offset_out_of_range")                                    \
    X(FOOTER_OFFSET_MISMATCH, "footer_offset_mismatch")                                            \
    X(TRUNCATED_FRAME_HEADER, "truncated_frame_header")                                            \
    X(INVALID_FRAME_HEADER, "invalid_frame_header")                                                \
    X(FRAME_LENGTH_OVERFLOW, "frame_length_overflow")                                              \
    X(FRAME_TOO_SMALL, "frame_too_small")                                                          \
    X(FRAME_EXCEEDS_MESSAGE, "frame_exceeds_message")                                              \
    X(MISSING_END_MARKER, "missing_end_marker")                                                    \
    X(FRAME_ORDER_VIOLATION, "frame_order_violation")                                              \
    X(PRECEDER_NOT_FOLLOWED_BY_OBJECT, "preceder_not_followed_by_object")                          \
    X(DANGLING_PRECEDER, "dangling_preceder")                                                      \
    X(CBOR_OFFSET_INVALID, "cbor_offset_invalid")                                                  \
    X(CBOR_BEFORE_BOUNDARY_UNKNOWN, "cbor_before_boundary_unknown")                                \
    X(NON_ZERO_PADDING, "non_zero_padding")                                                        \
    X(FLAG_MISMATCH, "flag_mismatch")                                                              \
    X(NO_METADATA_FRAME, "no_metadata_frame")                                                      \
    X(METADATA_CBOR_PARSE_FAILED, "metadata_cbor_parse_failed")                                    \
    X(METADATA_CBOR_NON_CANONICAL, "metadata_cbor_non_canonical")                                  \
    X(INDEX_CBOR_PARSE_FAILED, "index_cbor_parse_failed")                                          \
    X(INDEX_COUNT_MISMATCH, "index_count_mismatch")                                                \
    X(INDEX_OFFSET_MISMATCH, "index_offset_mismatch")                                              \
    X(HASH_FRAME_CBOR_PARSE_FAILED, "hash_frame_cbor_parse_failed")                                \
    X(HASH_FRAME_COUNT_MISMATCH, "hash_frame_count_mismatch")                                      \
    X(PRECEDER_CBOR_PARSE_FAILED, "preceder_cbor_parse_failed")                                    \
    X(PRECEDER_CBOR_NON_CANONICAL, "preceder_cbor_non_canonical")                                  \
    X(PRECEDER_BASE_COUNT_WRONG, "preceder_base_count_wrong")                                      \
    X(BASE_COUNT_EXCEEDS_OBJECTS, "base_count_exceeds_objects")                                    \
    X(DESCRIPTOR_CBOR_PARSE_FAILED, "descriptor_cbor_parse_failed")                                \
    X(DESCRIPTOR_CBOR_NON_CANONICAL, "descriptor_cbor_non_canonical")                              \
    X(NDIM_SHAPE_MISMATCH, "ndim_shape_mismatch")                                                  \
    X(STRIDES_SHAPE_MISMATCH, "strides_shape_mismatch")                                            \
    X(SHAPE_OVERFLOW, "shape_overflow")                                                            \
    X(UNKNOWN_ENCODING, "unknown_encoding")                                                        \
    X(UNKNOWN_FILTER, "unknown_filter")                                                            \
    X(UNKNOWN_COMPRESSION, "unknown_compression")                                                  \
    X(EMPTY_OBJ_TYPE, "empty_obj_type")                                                            \
    X(RESERVED_NOT_A_MAP, "reserved_not_a_map")                                                    \
    X(RESERVED_MISSING_TENSOR, "reserved_missing_tensor")                                          \
    X(HASH_MISMATCH, "hash_mismatch")                                                              \
    X(HASH_VERIFICATION_ERROR, "hash_verification_error")                                          \
    X(UNKNOWN_HASH_ALGORITHM, "unknown_hash_algorithm")                                            \
    X(NO_HASH_AVAILABLE, "no_hash_available")                                                      \
    X(DECODE_PIPELINE_FAILED, "decode_pipeline_failed")                                            \
    X(PIPELINE_CONFIG_FAILED, "pipeline_config_failed")                                            \
    X(DECODE_OBJECT_FAILED, "decode_object_failed")                                                \
    X(DECODED_SIZE_MISMATCH, "decoded_size_mismatch")                                              \
    X(NAN_DETECTED, "nan_detected")                                                                \
    X(INF_DETECTED, "inf_detected")                                                                \
    X(NOT_DECODED, "not_decoded")

typedef enum tgm_vcode {
#define TGM_VCODE_ENUM(id, name) TGM_VC_##id,
    TGM_VCODE_TABLE(TGM_VCODE_ENUM)
#undef TGM_VCODE_ENUM
        TGM_VC_COUNT
} tgm_vcode;

/* snake_case name of a code / level / severity (static strings). */
const char *tgm__vcode_name(tgm_vcode code);
const char *tgm__vlevel_name(tgm_vlevel level);
const char *tgm__vseverity_name(tgm_vseverity sev);

/* What to run.  checksum_only: hash verification without metadata,
 * decode or fidelity checks, structural warnings suppressed (errors kept).
 * check_canonical: CBOR canonical-form checks, runs the metadata level
 * whatever max_level says. */
typedef struct tgm_vopts {
    tgm_vlevel max_level;
    bool check_canonical;
    bool checksum_only;
    /* Objects decoding to more bytes than this are not decoded (a
     * not_decoded warning says so); 0: no limit but the decoded-size cap.
     * With max_decoded_auto: max(64 MiB, 64 x the message's size), and all
     * the objects of one call together at most the budget below. */
    uint64_t max_decoded;
    bool max_decoded_auto;
    /* max_decoded_auto: the bytes this call may still decode, shared by the
     * messages of a buffer or file, and its starting value, max(64 MiB, 64
     * x the size of the input); set by the entry points (NULL: a single
     * message sets up its own). */
    uint64_t *budget_left;
    uint64_t budget;
} tgm_vopts;

/* The automatic decode budget for `len` bytes of input. */
uint64_t tgm__vbudget_for(uint64_t len);

/* "quick", "default" (also NULL), "checksum", "full"; anything else fails
 * with TGM_ERROR_INVALID_ARG. */
tgm_error tgm__vopts_parse(const char *level, int32_t check_canonical, tgm_vopts *out);

typedef struct tgm_vissue {
    tgm_vcode code;
    tgm_vlevel level;
    tgm_vseverity severity;
    int64_t object_index; /* -1: not applicable (omitted from JSON) */
    int64_t byte_offset;  /* -1: not applicable (omitted from JSON) */
    const char *description;
} tgm_vissue;

/* Findings for one message.  Strings live in `arena`. */
typedef struct tgm_vreport {
    tgm_vissue *issues;
    size_t nissues;
    size_t cap;
    size_t object_count;
    bool hash_verified;
    bool oom; /* an allocation failed while recording (sticky) */
    tgm_arena arena;
} tgm_vreport;

void tgm__vreport_init(tgm_vreport *r);
void tgm__vreport_free(tgm_vreport *r);
/* true when no issue has severity error. */
bool tgm__vreport_ok(const tgm_vreport *r);

/* Validate the single message in buf[0..len) (the whole buffer is the
 * message; a streaming message's postamble is the last 24 bytes).
 * Fails only on out-of-memory; r must be initialised. */
tgm_error tgm__validate_message(const uint8_t *buf, size_t len, const tgm_vopts *o, tgm_vreport *r);

typedef struct tgm_vfile_issue {
    uint64_t byte_offset;
    uint64_t length;
    const char *description;
} tgm_vfile_issue;

/* Findings for a file (or a multi-message buffer): bytes that belong to no
 * message, plus one report per message found by the scanner. */
typedef struct tgm_vfile_report {
    tgm_vfile_issue *file_issues;
    size_t nfile_issues;
    size_t file_cap;
    tgm_vreport *messages;
    size_t nmessages;
    size_t msg_cap;
    tgm_arena arena;
} tgm_vfile_report;

void tgm__vfile_report_init(tgm_vfile_report *r);
void tgm__vfile_report_free(tgm_vfile_report *r);
bool tgm__vfile_report_ok(const tgm_vfile_report *r);

/* Scan buf for messages (tgm__scan) and validate each; bytes outside
 * messages become file issues. */
tgm_error tgm__validate_buffer(const uint8_t *buf, size_t len, const tgm_vopts *o,
                               tgm_vfile_report *r);
/* The same over a file (memory-mapped when possible).  TGM_ERROR_IO when
 * it cannot be opened or read. */
tgm_error tgm__validate_file(const char *path, const tgm_vopts *o, tgm_vfile_report *r);

/* Append the JSON of a report (serde_json compact form, struct field
 * order) to out. */
tgm_error tgm__vreport_json(const tgm_vreport *r, tgm_buf *out);
tgm_error tgm__vfile_report_json(const tgm_vfile_report *r, tgm_buf *out);

#endif
