/* xxh3-64 with AVX2 stripe kernels (xxh3_avx2.c), for hash.c to call when
 * tgm__cpu_features() reports AVX2.  Same digests as the generic code. */
#ifndef TGM_HASH_HASH_AVX2_H
#define TGM_HASH_HASH_AVX2_H

#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define TGM_XXH3_AVX2 1
/* XXH3_64bits_update on an XXH3_state_t (passed as void *: the state type
 * is private to the translation units that include xxhash.h). */
void tgm__xxh3_avx2_update(void *state, const void *data, size_t len);
/* XXH3_64bits. */
uint64_t tgm__xxh3_avx2(const void *data, size_t len);
#endif

#endif
