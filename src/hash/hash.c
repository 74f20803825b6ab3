#include "hash/hash.h"

#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "common/alloc.h"
#include "common/cpu.h"
#include "common/endian.h"
#include "common/error.h"
#include "hash/hash_avx2.h"

/* Long inputs go to the AVX2 stripes when the processor has them
 * (xxh3_avx2.c); short ones do not use stripes (xxh3 hashes up to 240
 * bytes in scalar code), nor would they pay for the call. */
#ifdef TGM_XXH3_AVX2
#define AVX2_MIN 1024
static int use_avx2(size_t len) {
    return len >= AVX2_MIN && (tgm__cpu_features() & TGM_CPU_AVX2) != 0;
}
#endif

struct tgm_hasher {
    XXH3_state_t state;
};

uint64_t tgm__xxh3(const void *data, size_t len) {
#ifdef TGM_XXH3_AVX2
    /* One-shot hashes go to AVX2 from the first length with stripes: a
     * small object's 922-byte frame costs 0.35 k instructions there
     * against 0.65 k (issue #19, bench/README "Small messages"). */
    if (len > 240 && (tgm__cpu_features() & TGM_CPU_AVX2) != 0) {
        return tgm__xxh3_avx2(data, len);
    }
#endif
    return XXH3_64bits(data, len);
}

tgm_error tgm__hasher_new(tgm_hasher **out) {
    tgm_hasher *h = tgm__malloc(sizeof *h);
    if (h == NULL) {
        return tgm__oom(sizeof *h, "hash state");
    }
    XXH3_64bits_reset(&h->state);
    *out = h;
    return TGM_ERROR_OK;
}

void tgm__hasher_update(tgm_hasher *h, const void *data, size_t len) {
#ifdef TGM_XXH3_AVX2
    if (use_avx2(len)) {
        tgm__xxh3_avx2_update(&h->state, data, len);
        return;
    }
#endif
    if (len > 0) {
        XXH3_64bits_update(&h->state, data, len);
    }
}

uint64_t tgm__hasher_digest(const tgm_hasher *h) { return XXH3_64bits_digest(&h->state); }

void tgm__hasher_reset(tgm_hasher *h) { XXH3_64bits_reset(&h->state); }

void tgm__hasher_free(tgm_hasher *h) { tgm__free(h); }

/* The 8 nibbles of x, one per byte, the first (most significant) in the
 * most significant byte; then each as its lower-case hex digit: '0' +
 * n, plus 39 more for n >= 10 (n + 6 carries into bit 4 exactly then).
 * Eight digits per word: every decoded object's hash is rendered. */
static uint64_t hex8(uint32_t x) {
    uint64_t v = x;
    v = (v | (v << 16)) & 0x0000ffff0000ffffull;
    v = (v | (v << 8)) & 0x00ff00ff00ff00ffull;
    v = (v | (v << 4)) & 0x0f0f0f0f0f0f0f0full;
    uint64_t ge10 = ((v + 0x0606060606060606ull) >> 4) & 0x0101010101010101ull;
    return v + 0x3030303030303030ull + ge10 * 39u;
}

/* Eight digits, the first at p[0]: one store where the compiler says how. */
static void put8(char *p, uint64_t v) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap64(v);
    memcpy(p, &v, 8);
#else
    tgm__wr_be64((uint8_t *)p, v);
#endif
}

void tgm__hash_hex(uint64_t digest, char out[17]) {
    put8(out, hex8((uint32_t)(digest >> 32)));
    put8(out + 8, hex8((uint32_t)digest));
    out[16] = '\0';
}

int tgm__hash_parse_hex(const char *s, size_t len, uint64_t *out) {
    uint64_t v = 0;
    if (len != 16) {
        return -1;
    }
    for (size_t i = 0; i < 16; i++) {
        char c = s[i];
        unsigned d;
        if (c >= '0' && c <= '9') {
            d = (unsigned)(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            d = (unsigned)(c - 'a' + 10);
        } else if (c >= 'A' && c <= 'F') {
            d = (unsigned)(c - 'A' + 10);
        } else {
            return -1;
        }
        v = (v << 4) | d;
    }
    *out = v;
    return 0;
}

tgm_error tgm__hash_parse_algo(const char *name, int *hashing) {
    if (name == NULL || strcmp(name, "none") == 0) {
        *hashing = 0;
        return TGM_ERROR_OK;
    }
    if (strcmp(name, TGM_HASH_ALGORITHM) == 0) {
        *hashing = 1;
        return TGM_ERROR_OK;
    }
    return tgm__fail(TGM_ERROR_INVALID_ARG, "unknown hash type: %s; expected \"xxh3\" or \"none\"",
                     name);
}
