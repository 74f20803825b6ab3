/* JSON <-> value model bridge, behaving as serde_json (1.0.149, default
 * features) does in the reference.
 *
 * tgm__json_parse accepts RFC 8259 JSON (one value, surrounding whitespace
 * allowed; no comments, trailing commas, NaN/Infinity or byte-order mark;
 * tgm__json_parse_ex can accept NaN/Infinity, see below).
 * Numbers without fraction/exponent that fit u64 (0..2^64-1) or i64
 * (-2^63..-1) become TGM_V_INT; every other number becomes TGM_V_FLOAT:
 * "-0" is -0.0, "1.0" and "1e2" are floats.  Floats are computed the way
 * serde_json computes them without its float_roundtrip feature (see
 * json_parse.c): exact for short decimals with moderate exponents, and
 * occasionally 1-2 ulps off the correctly rounded value for long or
 * extreme ones, exactly as the reference.  Overflow to infinity is an
 * error.  Objects become maps whose keys are sorted by byte order with
 * duplicates resolved to the last occurrence (serde_json's Map is a
 * BTreeMap).  Strings are validated as UTF-8; \u escapes must pair
 * surrogates.  At most TGM_JSON_MAX_DEPTH - 1 nested arrays/objects
 * (serde_json's recursion limit).
 *
 * tgm__json_write produces JSON identical to what the reference prints for
 * metadata (serde_json::to_string / to_string_pretty of the value that its
 * cbor_to_json builds): object keys sorted by byte order, duplicates
 * last-wins, floats in serde_json's shortest round-trip form ("1.0", "0.1",
 * "1e+16", "1.5e-7"), non-finite floats as null, integers outside i64/u64
 * as decimal strings, byte strings as lowercase hex strings, non-text keys
 * via Rust's debug form of the CBOR value ("Integer(Integer(1))"),
 * tags/undefined/simple values as null. */
#ifndef TGM_JSON_JSON_H
#define TGM_JSON_JSON_H

#include <stddef.h>

#include "cbor/value.h"
#include "common/buf.h"

#define TGM_JSON_MAX_DEPTH 128

/* Parse text[0..len) into an arena-allocated tree.
 * Errors: TGM_ERROR_METADATA, "failed to parse metadata JSON: <why> at line
 * L column C" with serde_json's wording for <why> and its positions (line
 * from 1; column = bytes from the start of the line through the offending
 * byte, 0 right after a newline); out-of-memory via tgm__oom. */
tgm_error tgm__json_parse(const char *text, size_t len, tgm_arena *arena, tgm_val **out);

/* Extensions to RFC 8259 for tgm__json_parse_ex. */
enum {
    /* The bare words NaN, Infinity and -Infinity (as Python's json module
     * writes non-finite floats) are float64 values: NaN is the quiet NaN
     * 0x7FF8000000000000, the others the infinities.  Only these exact
     * spellings; "nan", "inf", "+Infinity" ... stay errors.  Used for the
     * metadata and descriptors the C API receives; the JSON writer still
     * prints non-finite floats as null. */
    TGM_JSON_ALLOW_NONFINITE = 1u,
    /* Object members stay in document order, duplicates included (for
     * documents whose member order carries meaning, such as the library's
     * own reports); the default sorts them and keeps the last duplicate. */
    TGM_JSON_PARSE_KEEP_ORDER = 2u
};

/* tgm__json_parse with extension flags (0 = strict, as tgm__json_parse). */
tgm_error tgm__json_parse_ex(const char *text, size_t len, unsigned flags, tgm_arena *arena,
                             tgm_val **out);

/* Output style: TGM_JSON_COMPACT, or the public header's flags
 * TGM_JSON_PRETTY (two-space indentation, as serde_json's
 * to_string_pretty) and TGM_JSON_KEEP_ORDER (map entries in their stored
 * order, duplicates included, instead of sorted: serde_json's output for a
 * Rust struct, whose fields come in declaration order), combinable. */
typedef unsigned tgm_json_style;
#define TGM_JSON_COMPACT 0u

/* Append the JSON text of v to out (no trailing newline).  Fails only on
 * out-of-memory or nesting deeper than 1024 levels; out is then left as it
 * was. */
tgm_error tgm__json_write(const tgm_val *v, tgm_json_style style, tgm_buf *out);

/* Shortest round-trip formatting of a finite double, serde_json style:
 * plain notation when the decimal exponent X of the first significant
 * digit is in -5..15 (always with a fractional part: "1.0", "0.00001",
 * "1000000000000000.0"), otherwise d.ddde+X / d.ddde-X ("1e+16", "1e-7",
 * "5e-324").  Writes a NUL-terminated string into buf (>= 32 bytes);
 * returns its length.  Non-finite input prints as "0.0" (callers write
 * null for those). */
size_t tgm__json_format_f64(double v, char *buf);

/* The same digits in positional notation, never with an exponent, and
 * without a fraction when there is none (the reference's Display form of
 * an f64: "1", "0.1", "100000000000000000000", "NaN", "inf", "-inf"), in
 * out (cap bytes; 400 hold any double). */
void tgm__json_format_f64_plain(double v, char *out, size_t cap);

/* A value tree built or edited in memory (a tgm_json_t document), in the
 * form tgm__json_parse_ex gives its printed JSON: every map sorted by key
 * with the last of duplicate keys kept.  *out is v itself when that holds
 * already (the common case: parsed documents), else a copy in arena a
 * that shares v's strings.  Non-finite floats, byte strings and tags stay
 * as they are.  TGM_ERROR_METADATA for a map key that is not text or
 * nesting deeper than the reader allows. */
tgm_error tgm__json_doc_normalise(tgm_arena *a, const tgm_val *v, const tgm_val **out);

#endif
