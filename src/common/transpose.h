/* Byte transposes: the kernels of the shuffle filter and of blosc2's byte
 * shuffle, which share one layout.  n elements of E bytes form an n x E
 * byte matrix; the transposed form holds E planes of `stride` bytes, byte b
 * of element i at plane b, offset i (stride >= n, normally n).
 *
 * Both functions handle the elements [e0, e1) only, so callers can split a
 * buffer into ranges (threads, cache-sized pieces); the result never
 * depends on the split.  E = 2, 4 and 8 have SSE2 transposes (16 elements
 * at a time), other sizes and the tails a cache-blocked generic loop.  src
 * and dst must not overlap. */
#ifndef TGM_COMMON_TRANSPOSE_H
#define TGM_COMMON_TRANSPOSE_H

#include <stddef.h>
#include <stdint.h>

/* Element-major src (src[i * es + b]) to plane-major dst (dst[b * stride + i]). */
void tgm__transpose_bytes(const uint8_t *src, size_t es, size_t stride, size_t e0, size_t e1,
                          uint8_t *dst);

/* Plane-major src (src[b * stride + i]) to element-major dst (dst[i * es + b]). */
void tgm__untranspose_bytes(const uint8_t *src, size_t es, size_t stride, size_t e0, size_t e1,
                            uint8_t *dst);

#endif
