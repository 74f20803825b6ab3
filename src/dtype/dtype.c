#include "dtype/dtype.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    size_t width;
    size_t swap;
    int is_float;
} table[TGM_DT_COUNT] = {
    [TGM_DT_FLOAT16] = {"float16", 2, 2, 1},     [TGM_DT_BFLOAT16] = {"bfloat16", 2, 2, 1},
    [TGM_DT_FLOAT32] = {"float32", 4, 4, 1},     [TGM_DT_FLOAT64] = {"float64", 8, 8, 1},
    [TGM_DT_COMPLEX64] = {"complex64", 8, 4, 1}, [TGM_DT_COMPLEX128] = {"complex128", 16, 8, 1},
    [TGM_DT_INT8] = {"int8", 1, 1, 0},           [TGM_DT_INT16] = {"int16", 2, 2, 0},
    [TGM_DT_INT32] = {"int32", 4, 4, 0},         [TGM_DT_INT64] = {"int64", 8, 8, 0},
    [TGM_DT_UINT8] = {"uint8", 1, 1, 0},         [TGM_DT_UINT16] = {"uint16", 2, 2, 0},
    [TGM_DT_UINT32] = {"uint32", 4, 4, 0},       [TGM_DT_UINT64] = {"uint64", 8, 8, 0},
    [TGM_DT_BITMASK] = {"bitmask", 0, 0, 0},
};

const char *tgm__dtype_name(tgm_dtype d) {
    return ((unsigned)d < TGM_DT_COUNT) ? table[d].name : NULL;
}

int tgm__dtype_parse(const char *name, size_t len) {
    for (int i = 0; i < TGM_DT_COUNT; i++) {
        if (strlen(table[i].name) == len && memcmp(table[i].name, name, len) == 0) {
            return i;
        }
    }
    return -1;
}

size_t tgm__dtype_width(tgm_dtype d) { return ((unsigned)d < TGM_DT_COUNT) ? table[d].width : 0; }

size_t tgm__dtype_swap_unit(tgm_dtype d) {
    return ((unsigned)d < TGM_DT_COUNT) ? table[d].swap : 0;
}

int tgm__dtype_is_float(tgm_dtype d) {
    return ((unsigned)d < TGM_DT_COUNT) ? table[d].is_float : 0;
}

int tgm__dtype_payload_size(tgm_dtype d, uint64_t n, uint64_t *out) {
    if (d == TGM_DT_BITMASK) {
        *out = n / 8 + (n % 8 != 0);
        return 0;
    }
    return __builtin_mul_overflow(n, (uint64_t)tgm__dtype_width(d), out);
}

const char *tgm__dtype_all_names(void) {
    return "float16, bfloat16, float32, float64, complex64, complex128, int8, int16, int32, "
           "int64, uint8, uint16, uint32, uint64, bitmask";
}

float tgm__half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t mant = h & 0x3ffu;
    uint32_t bits;
    if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else { /* subnormal: normalise */
            exp = 127 - 15 + 1;
            while ((mant & 0x400u) == 0) {
                mant <<= 1;
                exp--;
            }
            mant &= 0x3ffu;
            bits = sign | (exp << 23) | (mant << 13);
        }
    } else if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (mant << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t tgm__float_to_half(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u;
    uint32_t exp = (x >> 23) & 0xffu;
    uint32_t mant = x & 0x7fffffu;
    if (exp == 0xff) { /* inf / nan (keep a quiet bit for NaN) */
        return (uint16_t)(sign | 0x7c00u | (mant ? (0x200u | (mant >> 13)) : 0));
    }
    int e = (int)exp - 127 + 15;
    if (e >= 0x1f) {
        return (uint16_t)(sign | 0x7c00u);
    }
    if (e <= 0) {
        if (e < -10) {
            return (uint16_t)sign;
        }
        mant |= 0x800000u;
        uint32_t shift = (uint32_t)(14 - e);
        uint32_t half = mant >> shift;
        uint32_t rem = mant & ((1u << shift) - 1);
        uint32_t mid = 1u << (shift - 1);
        if (rem > mid || (rem == mid && (half & 1u))) {
            half++;
        }
        return (uint16_t)(sign | half);
    }
    uint32_t half = sign | ((uint32_t)e << 10) | (mant >> 13);
    uint32_t rem = mant & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (half & 1u))) {
        half++; /* may carry into the exponent: still correct */
    }
    return (uint16_t)half;
}

float tgm__bf16_to_float(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

const char *tgm__dtype_debug_name(tgm_dtype d, char buf[16]) {
    const char *n = tgm__dtype_name(d);
    snprintf(buf, 16, "%s", n ? n : "?");
    buf[0] = (char)toupper((unsigned char)buf[0]);
    return buf;
}
