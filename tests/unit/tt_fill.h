/* tt_fill.h - what the tgm_encode_fill tests (test_encode_fill,
 * test_encode_fill_range) build their messages from: a fixed provenance,
 * deterministic values per dtype, metadata texts with n objects.  Each
 * test compares the fill path with tgm_encode_ex on the same inputs, so
 * the values only need to be finite and reproducible. */
#ifndef TT_FILL_H
#define TT_FILL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tensogram/tensogram.h"

/* For TENSOGRAM_PROVENANCE: every message gets the same UUID and time. */
#define TT_FILL_PROV                                                                               \
    "{\"encoder\":{\"name\":\"tensogram\",\"version\":\"0.0.0\"},\"time\":\"2026-01-01T00:00:"     \
    "00Z\",\"uuid\":\"00000000-0000-4000-8000-000000000000\"}"

typedef struct {
    const char *dtype;
    size_t width;
} tt_dtype;

/* Deterministic bytes for object i (a different stream per seed); float
 * types (complex64 as float pairs) get finite values. */
static inline void tt_fill_values(uint8_t *p, size_t len, const tt_dtype *t, size_t i,
                                  uint64_t seed) {
    uint64_t s = seed ^ (i * 0x100000001b3ull);
    for (size_t k = 0; k < len;) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        if (strcmp(t->dtype, "float32") == 0 || strcmp(t->dtype, "complex64") == 0) {
            float v = (float)(s >> 40) * 0.001f - 3.0f;
            memcpy(p + k, &v, 4);
            k += 4;
        } else if (strcmp(t->dtype, "float64") == 0) {
            double v = (double)(s >> 11) * 1e-9 - 7.0;
            memcpy(p + k, &v, 8);
            k += 8;
        } else if (strcmp(t->dtype, "float16") == 0) {
            uint16_t h = (uint16_t)(0x3c00 + (s >> 58)); /* 1.0 .. 1.06: finite */
            memcpy(p + k, &h, 2);
            k += 2;
        } else {
            p[k++] = (uint8_t)(s >> 32);
        }
    }
}

/* Metadata with n objects of elems[i] elements of dtype types[i], each
 * with a base entry {"name": "v<i>", "i": 7 i}, an _extra_ section, and
 * the pipeline text `pipe` (empty: encoding, filter and compression
 * "none") on each descriptor. */
static inline void tt_fill_meta(char *out, size_t cap, size_t n, const tt_dtype *const *types,
                                const size_t *elems, const char *pipe) {
    size_t at = (size_t)snprintf(out, cap, "{\"base\":[");
    for (size_t i = 0; i < n; i++) {
        at += (size_t)snprintf(out + at, cap - at, "%s{\"name\":\"v%zu\",\"i\":%zu}", i ? "," : "",
                               i, i * 7);
    }
    at += (size_t)snprintf(out + at, cap - at,
                           "],\"_extra_\":{\"source\":\"test\"},"
                           "\"descriptors\":[");
    for (size_t i = 0; i < n; i++) {
        at += (size_t)snprintf(out + at, cap - at,
                               "%s{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[%zu],\"strides\":[1],"
                               "\"dtype\":\"%s\",\"byte_order\":\"little\",%s}",
                               i ? "," : "", elems[i], types[i]->dtype,
                               pipe[0] ? pipe
                                       : "\"encoding\":\"none\",\"filter\":\"none\","
                                         "\"compression\":\"none\"");
    }
    snprintf(out + at, cap - at, "]}");
}

/* Two messages with the same non-empty bytes. */
static inline bool tt_same_bytes(tgm_bytes_t a, tgm_bytes_t b) {
    return a.len == b.len && a.len > 0 && memcmp(a.data, b.data, a.len) == 0;
}

#endif
