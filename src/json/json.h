/* JSON <-> value model bridge.
 *
 * tgm__json_parse accepts RFC 8259 JSON (one value, surrounding whitespace
 * allowed).  Numbers without fraction/exponent that fit i64 or u64 become
 * TGM_V_INT; every other number becomes TGM_V_FLOAT.  Objects become maps
 * whose keys are sorted by byte order with duplicates resolved to the last
 * occurrence (the behaviour of the reference, whose JSON objects are
 * ordered maps).  Depth is capped; strings are validated as UTF-8.
 *
 * tgm__json_write produces compact JSON identical to what the reference
 * implementation prints (serde_json): object keys sorted by byte order,
 * duplicates last-wins, floats in shortest round-trip form ("1.0", "0.1",
 * "1e20", "1.5e-7"), non-finite floats as null, integers outside i64/u64
 * as strings, byte strings as lowercase hex, non-text keys via their
 * debug form, tags/undefined/simple as null. */
#ifndef TGM_JSON_JSON_H
#define TGM_JSON_JSON_H

#include <stddef.h>

#include "cbor/value.h"
#include "common/buf.h"

#define TGM_JSON_MAX_DEPTH 128

/* Errors: TGM_ERROR_METADATA, "failed to parse metadata JSON: <why> at line L column C". */
tgm_error tgm__json_parse(const char *text, size_t len, tgm_arena *arena, tgm_val **out);

typedef enum tgm_json_style {
    TGM_JSON_COMPACT = 0,
    TGM_JSON_PRETTY = 1 /* two-space indentation, as serde_json's to_string_pretty */
} tgm_json_style;

tgm_error tgm__json_write(const tgm_val *v, tgm_json_style style, tgm_buf *out);

/* Shortest round-trip formatting of a finite double, serde_json style.
 * Writes a NUL-terminated string into buf (>= 32 bytes); returns its length. */
size_t tgm__json_format_f64(double v, char *buf);

#endif
