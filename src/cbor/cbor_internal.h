/* Helpers shared by the files of the cbor module (and by json/, which may
 * depend on cbor/): float width selection, half-precision conversion,
 * UTF-8 validation, a stable index sort and the canonical key comparison
 * used by the encoder. */
#ifndef TGM_CBOR_INTERNAL_H
#define TGM_CBOR_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "cbor/cbor.h"
#include "cbor/value.h"
#include "common/buf.h"

/* "unsigned integer", "text string", "map", ... */
const char *tgm__cbor_major_name(unsigned major);

/* Encoder depth cap for trees built in memory (decoded trees are capped
 * by the reader's limit, which is lower). */
#define TGM_CBOR_ENCODE_MAX_DEPTH 1024

/* The float width the canonical encoder uses for `f`: the narrowest of
 * half (2), single (4) and double (8) whose round trip reproduces the
 * 64-bit pattern exactly.  This is also what the reference's CBOR library
 * writes: it narrows a value only when widening it back gives the same
 * bits.  NaNs narrow when they are quiet and their payload survives the
 * truncation (narrowing sets the quiet bit and drops low payload bits, as
 * the hardware conversions do).  Writes the narrowed pattern to *bits
 * (right-aligned) and returns the width in bytes. */
int tgm__cbor_float_width(double f, uint64_t *bits);

/* Length of the head (initial byte + argument) for `arg`: 1, 2, 3, 5 or 9. */
static inline size_t tgm__cbor_head_size(uint64_t arg) {
    return arg < 24 ? 1 : arg <= 0xffu ? 2 : arg <= 0xffffu ? 3 : arg <= 0xffffffffu ? 5 : 9;
}

/* tgm__cbor_put_head (the shortest head for (major, arg)) is in cbor.h. */

/* tgm__utf8_invalid_at (UTF-8 validation) is in cbor.h. */

/* Stable sort of idx[0..n) by cmp(ctx, a, b) (<0, 0, >0); `tmp` has room
 * for n entries.  Equal elements keep their relative order. */
typedef int (*tgm_idx_cmp_fn)(const void *ctx, size_t a, size_t b);
void tgm__stable_sort_idx(size_t *idx, size_t *tmp, size_t n, tgm_idx_cmp_fn cmp, const void *ctx);

/* A map key reduced to the bytes of its canonical encoding: `head` holds
 * the first `hlen` bytes and `body` the remaining `blen` (for a text key,
 * its head and its characters; for any other key, hlen = 0 and body is
 * the whole encoding held elsewhere). */
typedef struct tgm_keyref {
    uint8_t head[9];
    uint8_t hlen;
    const uint8_t *body;
    size_t blen;
} tgm_keyref;

/* Byte-wise comparison of two encoded keys (a shorter prefix sorts first). */
int tgm__keyref_compare(const tgm_keyref *a, const tgm_keyref *b);

#endif
