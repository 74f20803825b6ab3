/* xxh3-64 with AVX2 stripes, picked at run time by hash.c.
 *
 * libxxhash chooses its stripe kernel when it is compiled: SSE2 for a
 * generic x86-64 build, which on processors with AVX2 hashes data in cache
 * at about half the speed (19 against 46 GB/s on the build machine, 1 MiB
 * in 32 KiB updates).  This file compiles the same header-only code with
 * the AVX2 kernel under a function target, so the library stays runnable
 * on any x86-64.  The algorithm, and so every digest, is the same; the
 * streaming state has the same layout (acc is 64-byte aligned in both), so
 * a state may be updated here and digested by hash.c. */
#include "hash/hash_avx2.h"

#ifdef TGM_XXH3_AVX2

/* Headers first, then the instruction set for everything below. */
#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2")
#endif

#define XXH_INLINE_ALL
#define XXH_VECTOR XXH_AVX2
/* The accumulators are copied to an aligned local during updates: the
 * caller's state is only as aligned as malloc makes it. */
#define XXH3_STREAM_USE_STACK 1
#include <xxhash.h>

void tgm__xxh3_avx2_update(void *state, const void *data, size_t len) {
    XXH3_64bits_update((XXH3_state_t *)state, data, len);
    /* Clean upper halves: SSE code after this (libc, the SSE2 hash of
     * small inputs) runs at full speed. */
    _mm256_zeroupper();
}

uint64_t tgm__xxh3_avx2(const void *data, size_t len) {
    uint64_t h = XXH3_64bits(data, len);
    _mm256_zeroupper();
    return h;
}

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#endif
