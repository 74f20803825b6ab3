/* Byte transposes.  See transpose.h.
 *
 * For E = 2, 4, 8 the SSE2 path transposes 16 elements at a time with a
 * network of byte unpacks: one round (output vector 2i+h = unpack lo/hi of
 * inputs i and i + E/2) rotates the bits of every byte's position within
 * the 16*E-byte block left by one.  A byte's position is (element, byte)
 * before transposing and (byte, element) after, i.e. rotated by the 4
 * element bits, so the forward transpose takes 4 rounds and the inverse
 * log2(E) rounds. */
#include "common/transpose.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Elements per pass of the generic loop, so its strided side stays cached. */
#define GENERIC_BLOCK ((size_t)1024)

#if defined(__SSE2__)
static inline void unpack_round(__m128i *v, int k) {
    __m128i t[8];
    for (int i = 0; i < k / 2; i++) {
        t[2 * i] = _mm_unpacklo_epi8(v[i], v[i + k / 2]);
        t[2 * i + 1] = _mm_unpackhi_epi8(v[i], v[i + k / 2]);
    }
    for (int i = 0; i < k; i++) {
        v[i] = t[i];
    }
}

/* Elements [e0, e1) with E in {2, 4, 8}; returns the first element not done
 * (the tail of fewer than 16). */
static inline size_t transpose_sse2(const uint8_t *src, size_t stride, size_t e0, size_t e1,
                                    uint8_t *dst, const int es) {
    size_t e = e0;
    for (; e + 16 <= e1; e += 16) {
        __m128i v[8];
        for (int i = 0; i < es; i++) {
            v[i] = _mm_loadu_si128(
                (const __m128i *)(const void *)(src + e * (size_t)es + 16 * (size_t)i));
        }
        for (int r = 0; r < 4; r++) {
            unpack_round(v, es);
        }
        for (int b = 0; b < es; b++) {
            _mm_storeu_si128((__m128i *)(void *)(dst + (size_t)b * stride + e), v[b]);
        }
    }
    return e;
}

static inline size_t untranspose_sse2(const uint8_t *src, size_t stride, size_t e0, size_t e1,
                                      uint8_t *dst, const int es) {
    const int rounds = es == 2 ? 1 : es == 4 ? 2 : 3;
    size_t e = e0;
    for (; e + 16 <= e1; e += 16) {
        __m128i v[8];
        for (int b = 0; b < es; b++) {
            v[b] = _mm_loadu_si128((const __m128i *)(const void *)(src + (size_t)b * stride + e));
        }
        for (int r = 0; r < rounds; r++) {
            unpack_round(v, es);
        }
        for (int i = 0; i < es; i++) {
            _mm_storeu_si128((__m128i *)(void *)(dst + e * (size_t)es + 16 * (size_t)i), v[i]);
        }
    }
    return e;
}
#endif

static void transpose_generic(const uint8_t *src, size_t es, size_t stride, size_t e0, size_t e1,
                              uint8_t *dst) {
    for (size_t s = e0; s < e1; s += GENERIC_BLOCK) {
        size_t t = e1 - s < GENERIC_BLOCK ? e1 : s + GENERIC_BLOCK;
        for (size_t b = 0; b < es; b++) {
            uint8_t *plane = dst + b * stride;
            for (size_t e = s; e < t; e++) {
                plane[e] = src[e * es + b];
            }
        }
    }
}

static void untranspose_generic(const uint8_t *src, size_t es, size_t stride, size_t e0, size_t e1,
                                uint8_t *dst) {
    for (size_t s = e0; s < e1; s += GENERIC_BLOCK) {
        size_t t = e1 - s < GENERIC_BLOCK ? e1 : s + GENERIC_BLOCK;
        for (size_t b = 0; b < es; b++) {
            const uint8_t *plane = src + b * stride;
            for (size_t e = s; e < t; e++) {
                dst[e * es + b] = plane[e];
            }
        }
    }
}

void tgm__transpose_bytes(const uint8_t *src, size_t es, size_t stride, size_t e0, size_t e1,
                          uint8_t *dst) {
    size_t e = e0;
#if defined(__SSE2__)
    switch (es) {
    case 2:
        e = transpose_sse2(src, stride, e0, e1, dst, 2);
        break;
    case 4:
        e = transpose_sse2(src, stride, e0, e1, dst, 4);
        break;
    case 8:
        e = transpose_sse2(src, stride, e0, e1, dst, 8);
        break;
    default:
        break;
    }
#endif
    transpose_generic(src, es, stride, e, e1, dst);
}

void tgm__untranspose_bytes(const uint8_t *src, size_t es, size_t stride, size_t e0, size_t e1,
                            uint8_t *dst) {
    size_t e = e0;
#if defined(__SSE2__)
    switch (es) {
    case 2:
        e = untranspose_sse2(src, stride, e0, e1, dst, 2);
        break;
    case 4:
        e = untranspose_sse2(src, stride, e0, e1, dst, 4);
        break;
    case 8:
        e = untranspose_sse2(src, stride, e0, e1, dst, 8);
        break;
    default:
        break;
    }
#endif
    untranspose_generic(src, es, stride, e, e1, dst);
}
