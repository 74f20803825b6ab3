/* Byte shuffle / unshuffle.  See shuffle.h.  The transposes themselves are
 * common/transpose.c's (shared with blosc2's byte shuffle); this file adds
 * the filter's rules and the split over threads. */
#include "filters/shuffle.h"

#include <string.h>

#include "common/error.h"
#include "common/thread.h"
#include "common/transpose.h"

/* Elements per parallel task (a multiple of 16). */
#define CHUNK_ELEMS ((size_t)1 << 16)

tgm_error tgm__shuffle_check(size_t n, size_t element_size) {
    TGM_RETURN_IF(element_size == 0, TGM_ERROR_ENCODING,
                  "shuffle error: element_size must not be zero");
    TGM_RETURN_IF(element_size > 1 && n % element_size != 0, TGM_ERROR_ENCODING,
                  "shuffle error: data length %zu is not divisible by element_size %zu", n,
                  element_size);
    return TGM_ERROR_OK;
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
    if (j->inverse) {
        tgm__untranspose_bytes(j->src, j->es, j->nelem, e0, e1, j->dst);
    } else {
        tgm__transpose_bytes(j->src, j->es, j->nelem, e0, e1, j->dst);
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
