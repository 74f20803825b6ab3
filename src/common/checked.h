/* Overflow-checked size arithmetic.  Return 1 on overflow, 0 on success. */
#ifndef TGM_COMMON_CHECKED_H
#define TGM_COMMON_CHECKED_H

#include <stddef.h>
#include <stdint.h>

static inline int tgm__add_u64(uint64_t a, uint64_t b, uint64_t *r) {
    return __builtin_add_overflow(a, b, r);
}
static inline int tgm__mul_u64(uint64_t a, uint64_t b, uint64_t *r) {
    return __builtin_mul_overflow(a, b, r);
}
static inline int tgm__add_size(size_t a, size_t b, size_t *r) {
    return __builtin_add_overflow(a, b, r);
}
static inline int tgm__mul_size(size_t a, size_t b, size_t *r) {
    return __builtin_mul_overflow(a, b, r);
}
/* u64 -> size_t; 1 when it does not fit. */
static inline int tgm__u64_to_size(uint64_t v, size_t *r) {
    if (v > (uint64_t)SIZE_MAX) {
        return 1;
    }
    *r = (size_t)v;
    return 0;
}
static inline size_t tgm__align8(size_t v) { return (v + 7u) & ~(size_t)7u; }

#endif
