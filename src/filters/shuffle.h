/* Byte shuffle filter (WIRE_FORMAT §8, filter "shuffle"): with element size
 * E, the output holds byte 0 of every element, then byte 1 of every
 * element, and so on (the layout blosc calls "shuffle"); unshuffle is the
 * inverse.  It groups the slowly varying high-order bytes of numeric data so
 * the compressor that follows finds longer matches.
 *
 * Rules (the reference's):
 *  - element_size 0 is an error ("element_size must not be zero");
 *  - element_size 1 or an empty input is a plain copy;
 *  - otherwise the length must be a multiple of element_size ("data length
 *    10 is not divisible by element_size 4").
 * Errors are TGM_ERROR_ENCODING, the detail reading "shuffle error: ...".
 *
 * Element sizes 2, 4 and 8 have SSE2 transposes; other sizes use a generic
 * loop.  `threads` (>= 1) splits the work over element ranges above
 * TGM_PARALLEL_THRESHOLD_BYTES; the output never depends on it. */
#ifndef TGM_FILTERS_SHUFFLE_H
#define TGM_FILTERS_SHUFFLE_H

#include <stddef.h>
#include <stdint.h>

#include "tensogram/tensogram.h"

/* Check element_size against a buffer of n bytes (the rules above). */
tgm_error tgm__shuffle_check(size_t n, size_t element_size);

/* Shuffle n bytes of src into dst (n bytes, not overlapping src). */
tgm_error tgm__shuffle(const uint8_t *src, size_t n, size_t element_size, uint8_t *dst,
                       uint32_t threads);

/* Inverse of tgm__shuffle. */
tgm_error tgm__unshuffle(const uint8_t *src, size_t n, size_t element_size, uint8_t *dst,
                         uint32_t threads);

#endif
