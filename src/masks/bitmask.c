/* Packed bitmask helpers and the mask set (WIRE_FORMAT §6.5.2). */
#include <string.h>

#include "codecs/bitmask_codecs.h"
#include "common/alloc.h"
#include "masks/masks.h"

int tgm__bitmask_size(uint64_t n_bits, size_t *nbytes) {
    uint64_t nb = tgm__bits_nbytes(n_bits);
    if (nb > (uint64_t)SIZE_MAX) {
        return 1;
    }
    *nbytes = (size_t)nb;
    return 0;
}

void tgm__bitmask_pack(const uint8_t *flags, size_t n, uint8_t *dst) {
    size_t full = n / 8;
    /* Eight flags to one byte; a plain loop the compiler vectorises. */
    for (size_t i = 0; i < full; i++) {
        const uint8_t *f = flags + 8 * i;
        unsigned b = 0;
        for (unsigned k = 0; k < 8; k++) {
            b |= (unsigned)(f[k] != 0) << (7 - k);
        }
        dst[i] = (uint8_t)b;
    }
    if (n % 8 != 0) {
        unsigned b = 0;
        for (unsigned k = 0; k < n % 8; k++) {
            b |= (unsigned)(flags[8 * full + k] != 0) << (7 - k);
        }
        dst[full] = (uint8_t)b;
    }
}

void tgm__bitmask_unpack(const uint8_t *bits, size_t n, uint8_t *dst) {
    size_t full = n / 8;
    for (size_t i = 0; i < full; i++) {
        unsigned b = bits[i];
        for (unsigned k = 0; k < 8; k++) {
            dst[8 * i + k] = (uint8_t)((b >> (7 - k)) & 1u);
        }
    }
    for (size_t i = 8 * full; i < n; i++) {
        dst[i] = (uint8_t)tgm__bitmask_test(bits, i);
    }
}

uint64_t tgm__bitmask_popcount(const uint8_t *bits, uint64_t n_bits) {
    uint64_t full = n_bits / 8, c = 0, i = 0;
    for (; i + 8 <= full; i += 8) {
        uint64_t w;
        memcpy(&w, bits + i, 8);
        c += (uint64_t)__builtin_popcountll(w);
    }
    for (; i < full; i++) {
        c += (uint64_t)__builtin_popcount(bits[i]);
    }
    if (n_bits % 8 != 0) {
        c += (uint64_t)__builtin_popcount(bits[full] & (0xFFu << (8 - n_bits % 8)) & 0xFFu);
    }
    return c;
}

uint64_t tgm__bitmask_next_set(const uint8_t *bits, uint64_t n_bits, uint64_t from) {
    if (from >= n_bits) {
        return n_bits;
    }
    return tgm__bits_find_change(bits, n_bits, from, 0);
}

void tgm__bitmask_clear_tail(uint8_t *bits, uint64_t n_bits) {
    if (n_bits % 8 != 0) {
        bits[n_bits / 8] &= (uint8_t)(0xFFu << (8 - n_bits % 8));
    }
}

/* --- kinds and sets ------------------------------------------------------ */

static const char *const kind_keys[TGM_MASK_KINDS] = {"nan", "inf+", "inf-"};

const char *tgm__mask_kind_key(tgm_mask_kind kind) {
    return (unsigned)kind < TGM_MASK_KINDS ? kind_keys[kind] : NULL;
}

int tgm__mask_kind_lookup(const char *key, size_t len) {
    for (int k = 0; k < TGM_MASK_KINDS; k++) {
        if (strlen(kind_keys[k]) == len && memcmp(kind_keys[k], key, len) == 0) {
            return k;
        }
    }
    return -1;
}

void tgm__mask_set_init(tgm_mask_set *set, uint64_t n_bits) {
    memset(set, 0, sizeof *set);
    set->n_bits = n_bits;
}

void tgm__mask_set_free(tgm_mask_set *set) {
    for (int k = 0; k < TGM_MASK_KINDS; k++) {
        tgm__free(set->bits[k]);
        set->bits[k] = NULL;
        set->count[k] = 0;
    }
}

int tgm__mask_set_empty(const tgm_mask_set *set) {
    return set->bits[0] == NULL && set->bits[1] == NULL && set->bits[2] == NULL;
}
