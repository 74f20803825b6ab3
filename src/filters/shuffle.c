/* Byte shuffle / unshuffle.  See shuffle.h.
 *
 * Shuffling N elements of E bytes is a transpose of an N x E byte matrix.
 * For E = 2, 4, 8 the SSE2 path transposes 16 elements at a time with a
 * network of byte unpacks: one round (output vector 2i+h = unpack lo/hi of
 * inputs i and i + E/2) rotates the bits of every byte's position within
 * the 16*E-byte block left by one.  A byte's position is (element, byte)
 * before shuffling and (byte, element) after, i.e. rotated by the 4 element
 * bits, so shuffle takes 4 rounds and unshuffle log2(E) rounds. */
#include "filters/shuffle.h"

#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "common/error.h"
#include "common/thread.h"

/* Elements per parallel task (a multiple of 16). */
#define CHUNK_ELEMS ((size_t)1 << 16)
/* Elements per pass of the generic loop, so its strided side stays cached. */
#define GENERIC_BLOCK ((size_t)1024)

tgm_error tgm__shuffle_check(size_t n, size_t element_size) {
    TGM_RETURN_IF(element_size == 0, TGM_ERROR_ENCODING,
                  "shuffle error: element_size must not be zero");
    TGM_RETURN_IF(element_size > 1 && n % element_size != 0, TGM_ERROR_ENCODING,
                  "shuffle error: data length %zu is not divisible by element_size %zu", n,
                  element_size);
    return TGM_ERROR_OK;
}

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
static inline size_t shuffle_sse2(const uint8_t *src, size_t nelem, size_t e0, size_t e1,
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
            _mm_storeu_si128((__m128i *)(void *)(dst + (size_t)b * nelem + e), v[b]);
        }
    }
    return e;
}

static inline size_t unshuffle_sse2(const uint8_t *src, size_t nelem, size_t e0, size_t e1,
                                    uint8_t *dst, const int es) {
    const int rounds = es == 2 ? 1 : es == 4 ? 2 : 3;
    size_t e = e0;
    for (; e + 16 <= e1; e += 16) {
        __m128i v[8];
        for (int b = 0; b < es; b++) {
            v[b] = _mm_loadu_si128((const __m128i *)(const void *)(src + (size_t)b * nelem + e));
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

static void shuffle_generic(const uint8_t *src, size_t nelem, size_t es, size_t e0, size_t e1,
                            uint8_t *dst) {
    for (size_t s = e0; s < e1; s += GENERIC_BLOCK) {
        size_t t = e1 - s < GENERIC_BLOCK ? e1 : s + GENERIC_BLOCK;
        for (size_t b = 0; b < es; b++) {
            uint8_t *plane = dst + b * nelem;
            for (size_t e = s; e < t; e++) {
                plane[e] = src[e * es + b];
            }
        }
    }
}

static void unshuffle_generic(const uint8_t *src, size_t nelem, size_t es, size_t e0, size_t e1,
                              uint8_t *dst) {
    for (size_t s = e0; s < e1; s += GENERIC_BLOCK) {
        size_t t = e1 - s < GENERIC_BLOCK ? e1 : s + GENERIC_BLOCK;
        for (size_t b = 0; b < es; b++) {
            const uint8_t *plane = src + b * nelem;
            for (size_t e = s; e < t; e++) {
                dst[e * es + b] = plane[e];
            }
        }
    }
}

typedef struct {
    const uint8_t *src;
    uint8_t *dst;
    size_t nelem;
    size_t es;
    size_t chunk;
    int inverse;
} shuffle_job;

static void run_range(const shuffle_job *j, size_t e0, size_t e1) {
    size_t e = e0;
#if defined(__SSE2__)
    switch (j->es) {
    case 2:
        e = j->inverse ? unshuffle_sse2(j->src, j->nelem, e0, e1, j->dst, 2)
                       : shuffle_sse2(j->src, j->nelem, e0, e1, j->dst, 2);
        break;
    case 4:
        e = j->inverse ? unshuffle_sse2(j->src, j->nelem, e0, e1, j->dst, 4)
                       : shuffle_sse2(j->src, j->nelem, e0, e1, j->dst, 4);
        break;
    case 8:
        e = j->inverse ? unshuffle_sse2(j->src, j->nelem, e0, e1, j->dst, 8)
                       : shuffle_sse2(j->src, j->nelem, e0, e1, j->dst, 8);
        break;
    default:
        break;
    }
#endif
    if (j->inverse) {
        unshuffle_generic(j->src, j->nelem, j->es, e, e1, j->dst);
    } else {
        shuffle_generic(j->src, j->nelem, j->es, e, e1, j->dst);
    }
}

static tgm_error shuffle_task(void *ctx, size_t index) {
    const shuffle_job *j = ctx;
    size_t e0 = index * j->chunk;
    size_t e1 = j->nelem - e0 < j->chunk ? j->nelem : e0 + j->chunk;
    run_range(j, e0, e1);
    return TGM_ERROR_OK;
}

static tgm_error run(const uint8_t *src, size_t n, size_t es, uint8_t *dst, uint32_t threads,
                     int inverse) {
    TGM_TRY(tgm__shuffle_check(n, es));
    if (es == 1 || n == 0) {
        if (n != 0) {
            memcpy(dst, src, n);
        }
        return TGM_ERROR_OK;
    }
    shuffle_job j = {src, dst, n / es, es, 0, inverse};
    if (threads >= 2 && n >= TGM_PARALLEL_THRESHOLD_BYTES && j.nelem > CHUNK_ELEMS) {
        j.chunk = CHUNK_ELEMS;
        return tgm__parallel_for(threads, (j.nelem + CHUNK_ELEMS - 1) / CHUNK_ELEMS, shuffle_task,
                                 &j);
    }
    run_range(&j, 0, j.nelem);
    return TGM_ERROR_OK;
}

tgm_error tgm__shuffle(const uint8_t *src, size_t n, size_t element_size, uint8_t *dst,
                       uint32_t threads) {
    return run(src, n, element_size, dst, threads, 0);
}

tgm_error tgm__unshuffle(const uint8_t *src, size_t n, size_t element_size, uint8_t *dst,
                         uint32_t threads) {
    return run(src, n, element_size, dst, threads, 1);
}
