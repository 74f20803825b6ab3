/* Shared helpers of the fuzz targets.
 *
 * Every fuzz_<name>.c defines LLVMFuzzerTestOneInput and is built twice:
 * with libFuzzer (-DTGM_FUZZ=ON, clang) for real fuzzing, and with
 * standalone.c as an ordinary test that replays fuzz/corpus/<name>/.
 *
 * Targets that take parameters read them from the front of the input
 * (fz_* below): a short input simply yields zeros, so every byte string is
 * a valid test case.  A target aborts (FZ_REQUIRE) only when the library
 * breaks one of its own promises, for instance a message it encoded that
 * it cannot decode; errors on malformed input are the expected outcome. */
#ifndef TGM_FUZZ_H
#define TGM_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/limits.h"
#include "tensogram/tensogram.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Decoded objects above this size are refused while fuzzing: libFuzzer
 * treats a single allocation over its malloc limit (2 GiB) as a crash, and
 * a tiny rle or blosc2 payload can legitimately describe gigabytes. */
#define FZ_MAX_OBJECT_BYTES ((uint64_t)64 << 20)

static inline void fz_init(void) {
    static int done;
    if (!done) {
        tgm__limit_set_max_object_bytes(FZ_MAX_OBJECT_BYTES);
        done = 1;
    }
}

#define FZ_REQUIRE(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: fuzz invariant broken: %s (last error: %s)\n", __FILE__,       \
                    __LINE__, #cond, tgm_last_error() ? tgm_last_error() : "none");                \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Parameter bytes taken from the front of the input. */
typedef struct fz_in {
    const uint8_t *p;
    size_t n;
} fz_in;

static inline uint8_t fz_u8(fz_in *in) {
    if (in->n == 0) {
        return 0;
    }
    uint8_t v = in->p[0];
    in->p++;
    in->n--;
    return v;
}

static inline uint16_t fz_u16(fz_in *in) {
    uint16_t v = fz_u8(in);
    return (uint16_t)(v | (uint16_t)fz_u8(in) << 8);
}

static inline uint32_t fz_u32(fz_in *in) {
    uint32_t v = fz_u16(in);
    return v | (uint32_t)fz_u16(in) << 16;
}

static inline uint64_t fz_u64(fz_in *in) {
    uint64_t v = fz_u32(in);
    return v | (uint64_t)fz_u32(in) << 32;
}

static inline double fz_f64(fz_in *in) {
    uint64_t u = fz_u64(in);
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* Read the first and last byte of a result so ASan sees a length that
 * runs past its buffer (reading every byte would slow large outputs). */
static inline unsigned fz_touch(const void *p, size_t n) {
    if (p == NULL || n == 0) {
        return 0;
    }
    const volatile uint8_t *b = p;
    return (unsigned)b[0] + b[n - 1];
}

#endif
