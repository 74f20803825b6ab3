/* tgm_encode_fill_*: payloads written in place.  With a fixed provenance
 * (TENSOGRAM_PROVENANCE) every message must be byte for byte the one
 * tgm_encode_ex makes from the same metadata, values and options: objects
 * of several dtypes and counts, hashes off / on / in both aggregate
 * frames, payloads larger than the emitter's chunk, NaN masks (found by
 * the check or declared), other pipelines (input slots), commits on two
 * threads.  Misuse and hostile sizes fail with TGM_ERROR_INVALID_ARG (or
 * the encode error) and leave nothing behind (ASan). */
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensogram/tensogram.h"
#include "tt.h"
#include "tt_fill.h"

static const tt_dtype DTYPES[] = {{"float32", 4}, {"float64", 8}, {"int16", 2},
                                  {"uint8", 1},   {"float16", 2}, {"int64", 8}};

/* Deterministic finite values for object i, this file's stream. */
static void fill_values(uint8_t *p, size_t len, const tt_dtype *t, size_t i) {
    tt_fill_values(p, len, t, i, 0x9e3779b97f4a7c15ull);
}

/* Where the last fill_encode's slots were, and whether every one of them
 * lay inside the message it returned (values written in place). */
static void *slots[16];
static bool slots_in_message(tgm_bytes_t m, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uintptr_t p = (uintptr_t)slots[i], b = (uintptr_t)m.data;
        if (p < b || p >= b + m.len) {
            return false;
        }
    }
    return true;
}

/* Fill through the API (values from `src`), committing with `flags`;
 * returns finish's error (and *out). */
static tgm_error fill_encode(const char *meta, const tgm_encode_options *o, size_t n,
                             uint8_t *const *src, const size_t *lens, uint32_t flags,
                             tgm_bytes_t *out) {
    tgm_encode_fill_t *f = NULL;
    tgm_error e = tgm_encode_fill_begin(meta, o, &f);
    if (e != TGM_ERROR_OK) {
        return e;
    }
    if (tgm_encode_fill_num_objects(f) != n) {
        tgm_encode_fill_free(f);
        return TGM_ERROR_OBJECT; /* not the test's expectation: fails it */
    }
    for (size_t i = 0; i < n && e == TGM_ERROR_OK; i++) {
        void *p = NULL;
        size_t len = 0;
        e = tgm_encode_fill_slot(f, i, &p, &len);
        if (e == TGM_ERROR_OK && len != lens[i]) {
            e = TGM_ERROR_OBJECT;
        }
        if (e == TGM_ERROR_OK) {
            memcpy(p, src[i], len);
            slots[i % 16] = p;
            e = tgm_encode_fill_commit(f, i, flags);
        }
    }
    if (e == TGM_ERROR_OK) {
        e = tgm_encode_fill_finish(f, out);
    }
    tgm_encode_fill_free(f);
    return e;
}

/* The matrix: counts x dtypes x hash options x commit flags; every
 * message equal to tgm_encode_ex's and decoding to the values. */
static void test_identical(void) {
    static const size_t counts[] = {0, 1, 3, 10};
    static const char *const aggregates[] = {"header", "both", "none"};
    char meta[16384];
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
        size_t n = counts[c];
        const tt_dtype *types[10];
        size_t elems[10], lens[10];
        uint8_t *src[10];
        for (size_t i = 0; i < n; i++) {
            types[i] = &DTYPES[(i + c) % (sizeof DTYPES / sizeof DTYPES[0])];
            /* 100 KiB-ish objects span several of the emitter's chunks. */
            elems[i] = i == 1 ? 40000 + 3 : 17 + i * 13;
            lens[i] = elems[i] * types[i]->width;
            src[i] = malloc(lens[i]);
            fill_values(src[i], lens[i], types[i], i);
        }
        tt_fill_meta(meta, sizeof meta, n, types, elems, "");
        for (int h = 0; h < 4; h++) {
            for (uint32_t flags = 0; flags < 2; flags++) {
                tgm_encode_options o = TGM_ENCODE_OPTIONS_INIT;
                o.hash_algo = h == 0 ? NULL : "xxh3";
                o.aggregate_hash = h == 0 ? NULL : aggregates[h - 1];
                tgm_bytes_t a = {NULL, 0}, b = {NULL, 0};
                TT_CHECK_ERR(fill_encode(meta, &o, n, src, lens, flags, &a), TGM_ERROR_OK);
                TT_CHECK_ERR(tgm_encode_ex(meta, (const uint8_t *const *)src, lens, n, &o, &b),
                             TGM_ERROR_OK);
                TT_CHECK(tt_same_bytes(a, b));
                TT_CHECK(slots_in_message(a, n));
                tgm_message_t *m = NULL;
                TT_CHECK_ERR(tgm_decode(a.data, a.len, 0, 1, h != 0, &m), TGM_ERROR_OK);
                for (size_t i = 0; m != NULL && i < n; i++) {
                    size_t len = 0;
                    const uint8_t *d = tgm_object_data(m, i, &len);
                    TT_CHECK(len == lens[i] && memcmp(d, src[i], len) == 0);
                }
                tgm_message_free(m);
                tgm_bytes_free(a);
                tgm_bytes_free(b);
            }
        }
        for (size_t i = 0; i < n; i++) {
            free(src[i]);
        }
    }
}

static const tt_dtype *F64 = &DTYPES[1];

/* NaN in one of three float64 objects: refused by default (commit fails
 * with tgm_encode_ex's error, so does finish); with allow_nan, found by the
 * check or declared by the caller, the message is tgm_encode_ex's (a mask). */
static void test_nonfinite(void) {
    const tt_dtype *types[3] = {F64, F64, F64};
    size_t elems[3] = {100, 5000, 7}, lens[3];
    uint8_t *src[3];
    for (size_t i = 0; i < 3; i++) {
        lens[i] = elems[i] * 8;
        src[i] = malloc(lens[i]);
        fill_values(src[i], lens[i], F64, i);
    }
    double nan = NAN, inf = INFINITY;
    memcpy(src[1] + 8 * 4321, &nan, 8);
    char meta[4096];
    tt_fill_meta(meta, sizeof meta, 3, types, elems, "");
    tgm_encode_options o = TGM_ENCODE_OPTIONS_INIT;
    o.hash_algo = "xxh3";

    /* Refused: the same error as tgm_encode_ex. */
    tgm_bytes_t b = {NULL, 0};
    TT_CHECK_ERR(tgm_encode_ex(meta, (const uint8_t *const *)src, lens, 3, &o, &b),
                 TGM_ERROR_ENCODING);
    char expected[1024];
    snprintf(expected, sizeof expected, "%s", tgm_last_error() ? tgm_last_error() : "");
    tgm_encode_fill_t *f = NULL;
    TT_ASSERT(tgm_encode_fill_begin(meta, &o, &f) == TGM_ERROR_OK);
    for (size_t i = 0; i < 3; i++) {
        void *p;
        size_t len;
        TT_CHECK_ERR(tgm_encode_fill_slot(f, i, &p, &len), TGM_ERROR_OK);
        memcpy(p, src[i], len);
        tgm_error e = tgm_encode_fill_commit(f, i, TGM_ENCODE_FILL_CHECK);
        TT_CHECK_EQ_INT(e, i == 1 ? TGM_ERROR_ENCODING : TGM_ERROR_OK);
        if (i == 1) {
            TT_CHECK_EQ_STR(tgm_last_error(), expected);
        }
    }
    tgm_bytes_t a = {NULL, 0};
    TT_CHECK_ERR(tgm_encode_fill_finish(f, &a), TGM_ERROR_INVALID_ARG);
    tgm_encode_fill_free(f);
    /* Declared non-finite while refused: finish reports tgm_encode_ex's error. */
    TT_CHECK_ERR(fill_encode(meta, &o, 3, src, lens, TGM_ENCODE_FILL_NONFINITE, &a),
                 TGM_ERROR_ENCODING);
    TT_CHECK_EQ_STR(tgm_last_error(), expected);

    /* Allowed: masks, found or declared. */
    TgmEncodeMaskOptions mo;
    memset(&mo, 0, sizeof mo);
    mo.allow_nan = true;
    mo.small_mask_threshold_bytes = -1;
    o.mask_options = &mo;
    TT_CHECK_ERR(tgm_encode_ex(meta, (const uint8_t *const *)src, lens, 3, &o, &b), TGM_ERROR_OK);
    for (uint32_t flags = 0; flags <= TGM_ENCODE_FILL_NONFINITE; flags += 2) {
        TT_CHECK_ERR(fill_encode(meta, &o, 3, src, lens, flags, &a), TGM_ERROR_OK);
        TT_CHECK(tt_same_bytes(a, b));
        tgm_bytes_free(a);
    }
    tgm_bytes_free(b);
    /* An Inf with only NaN allowed: the encode error, at finish. */
    memcpy(src[2] + 8 * 3, &inf, 8);
    TT_CHECK_ERR(tgm_encode_ex(meta, (const uint8_t *const *)src, lens, 3, &o, &b),
                 TGM_ERROR_ENCODING);
    snprintf(expected, sizeof expected, "%s", tgm_last_error() ? tgm_last_error() : "");
    TT_CHECK_ERR(fill_encode(meta, &o, 3, src, lens, TGM_ENCODE_FILL_CHECK, &a),
                 TGM_ERROR_ENCODING);
    TT_CHECK_EQ_STR(tgm_last_error(), expected);
    /* Allowed but absent: stays in place, still tgm_encode_ex's bytes. */
    fill_values(src[1], lens[1], F64, 1);
    fill_values(src[2], lens[2], F64, 2);
    TT_CHECK_ERR(tgm_encode_ex(meta, (const uint8_t *const *)src, lens, 3, &o, &b), TGM_ERROR_OK);
    TT_CHECK_ERR(fill_encode(meta, &o, 3, src, lens, TGM_ENCODE_FILL_CHECK, &a), TGM_ERROR_OK);
    TT_CHECK(tt_same_bytes(a, b));
    TT_CHECK(slots_in_message(a, 3));
    tgm_bytes_free(a);
    tgm_bytes_free(b);
    for (size_t i = 0; i < 3; i++) {
        free(src[i]);
    }
}

/* Other pipelines: the slots are input buffers; the same bytes. */
static void test_pipelines(void) {
    static const char *const pipes[] = {
        "\"encoding\":\"simple_packing\",\"sp_bits_per_value\":16,\"filter\":\"none\","
        "\"compression\":\"none\"",
        "\"encoding\":\"none\",\"filter\":\"shuffle\",\"shuffle_element_size\":8,"
        "\"compression\":\"zstd\",\"zstd_level\":3",
        "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"lz4\""};
    const tt_dtype *types[2] = {F64, F64};
    size_t elems[2] = {3000, 70000}, lens[2];
    uint8_t *src[2];
    for (size_t i = 0; i < 2; i++) {
        lens[i] = elems[i] * 8;
        src[i] = malloc(lens[i]);
        fill_values(src[i], lens[i], F64, i + 5);
    }
    for (size_t k = 0; k < sizeof pipes / sizeof pipes[0]; k++) {
        char meta[4096];
        tt_fill_meta(meta, sizeof meta, 2, types, elems, pipes[k]);
        tgm_encode_options o = TGM_ENCODE_OPTIONS_INIT;
        o.hash_algo = "xxh3";
        tgm_bytes_t a = {NULL, 0}, b = {NULL, 0};
        TT_CHECK_ERR(fill_encode(meta, &o, 2, src, lens, TGM_ENCODE_FILL_CHECK, &a), TGM_ERROR_OK);
        TT_CHECK(!slots_in_message(a, 2)); /* input buffers */
        TT_CHECK_ERR(tgm_encode_ex(meta, (const uint8_t *const *)src, lens, 2, &o, &b),
                     TGM_ERROR_OK);
        TT_CHECK(tt_same_bytes(a, b));
        tgm_bytes_free(a);
        tgm_bytes_free(b);
    }
    for (size_t i = 0; i < 2; i++) {
        free(src[i]);
    }
}

/* Misuse: every rule of the header, each TGM_ERROR_INVALID_ARG. */
static void test_misuse(void) {
    const tt_dtype *types[2] = {F64, F64};
    size_t elems[2] = {4, 4};
    char meta[4096];
    tt_fill_meta(meta, sizeof meta, 2, types, elems, "");
    tgm_encode_fill_t *f = NULL;
    void *p = NULL;
    size_t len = 0;
    tgm_bytes_t out = {NULL, 0};
    TT_CHECK_ERR(tgm_encode_fill_begin(NULL, NULL, &f), TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm_encode_fill_begin(meta, NULL, NULL), TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm_encode_fill_begin("{", NULL, &f), TGM_ERROR_METADATA);
    tgm_encode_options pre = TGM_ENCODE_OPTIONS_INIT;
    pre.input = TGM_INPUT_PRE_ENCODED;
    TT_CHECK_ERR(tgm_encode_fill_begin(meta, &pre, &f), TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm_encode_fill_slot(NULL, 0, &p, &len), TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm_encode_fill_commit(NULL, 0, 0), TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm_encode_fill_finish(NULL, &out), TGM_ERROR_INVALID_ARG);
    TT_CHECK_EQ_INT(tgm_encode_fill_num_objects(NULL), 0);
    tgm_encode_fill_free(NULL);

    TT_ASSERT(tgm_encode_fill_begin(meta, NULL, &f) == TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_encode_fill_slot(f, 2, &p, &len), TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm_encode_fill_slot(f, 0, NULL, &len), TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm_encode_fill_commit(f, 0, 0), TGM_ERROR_INVALID_ARG); /* no slot yet */
    TT_CHECK_ERR(tgm_encode_fill_finish(f, &out), TGM_ERROR_INVALID_ARG); /* nothing filled */
    TT_CHECK_ERR(tgm_encode_fill_slot(f, 0, &p, &len), TGM_ERROR_OK);
    TT_CHECK_EQ_INT(len, 32);
    memset(p, 0, len);
    TT_CHECK_ERR(tgm_encode_fill_commit(f, 0, 7), TGM_ERROR_INVALID_ARG); /* unknown flags */
    TT_CHECK_ERR(tgm_encode_fill_commit(f, 0, 0), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_encode_fill_commit(f, 0, 0), TGM_ERROR_INVALID_ARG);      /* twice */
    TT_CHECK_ERR(tgm_encode_fill_slot(f, 0, &p, &len), TGM_ERROR_INVALID_ARG); /* after commit */
    TT_CHECK_ERR(tgm_encode_fill_slot(f, 1, &p, &len), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_encode_fill_finish(f, &out), TGM_ERROR_INVALID_ARG); /* 1 not committed */
    memset(p, 0, len);
    TT_CHECK_ERR(tgm_encode_fill_commit(f, 1, TGM_ENCODE_FILL_FINITE), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_encode_fill_finish(f, &out), TGM_ERROR_OK);
    TT_CHECK(out.len > 0);
    tgm_bytes_t again = {NULL, 0};
    TT_CHECK_ERR(tgm_encode_fill_finish(f, &again), TGM_ERROR_INVALID_ARG); /* twice */
    TT_CHECK(again.data == NULL);
    TT_CHECK_ERR(tgm_encode_fill_slot(f, 1, &p, &len), TGM_ERROR_INVALID_ARG);
    tgm_bytes_free(out);
    tgm_encode_fill_free(f);

    /* Freed half-way: nothing leaks (ASan). */
    TT_ASSERT(tgm_encode_fill_begin(meta, NULL, &f) == TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_encode_fill_slot(f, 1, &p, &len), TGM_ERROR_OK);
    tgm_encode_fill_free(f);
    tt_fill_meta(meta, sizeof meta, 2, types, elems,
                 "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"zstd\"");
    TT_ASSERT(tgm_encode_fill_begin(meta, NULL, &f) == TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_encode_fill_slot(f, 1, &p, &len), TGM_ERROR_OK);
    TT_CHECK_EQ_INT(len, 32);
    tgm_encode_fill_free(f);
}

/* Hostile sizes: shapes whose byte counts overflow, or exceed the object
 * cap (TENSOGRAM_MAX_OBJECT_BYTES, set by main: memory is taken on the
 * metadata's word), fail at begin, with no slot handed out. */
static void test_hostile_sizes(void) {
    static const char *const shapes[] = {"[4611686018427387904]", "[4294967296,4294967296]",
                                         "[1125899906842624]", "[18446744073709551615]"};
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        char meta[1024];
        snprintf(meta, sizeof meta,
                 "{\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":%d,\"shape\":%s,\"strides\":"
                 "%s,\"dtype\":\"float64\",\"byte_order\":\"little\",\"encoding\":\"none\","
                 "\"filter\":\"none\",\"compression\":\"none\"}]}",
                 k == 1 ? 2 : 1, shapes[k], k == 1 ? "[4294967296,1]" : "[1]");
        tgm_encode_fill_t *f = NULL;
        tgm_error e = tgm_encode_fill_begin(meta, NULL, &f);
        TT_CHECK(e != TGM_ERROR_OK);
        if (k == 2) {
            TT_CHECK_EQ_INT(e, TGM_ERROR_OBJECT); /* 8 PiB, over the cap */
        }
        TT_CHECK(f == NULL);
        tgm_encode_fill_free(f);
    }
}

/* tgm_encode_fill_copy: values from the caller's memory, per-object
 * flags; mixed with slots; NaN masks on one object among objects declared
 * finite; a pipeline; misuse. */
static void test_copy(void) {
    const tt_dtype *types[4] = {F64, &DTYPES[0], F64, &DTYPES[2]};
    size_t elems[4] = {9000, 300, 70000, 11}, lens[4];
    uint8_t *src[4];
    for (size_t i = 0; i < 4; i++) {
        lens[i] = elems[i] * types[i]->width;
        src[i] = malloc(lens[i]);
        fill_values(src[i], lens[i], types[i], i + 11);
    }
    double nan = NAN;
    memcpy(src[2] + 8 * 65000, &nan, 8);
    char meta[8192];
    tt_fill_meta(meta, sizeof meta, 4, types, elems, "");
    TgmEncodeMaskOptions mo;
    memset(&mo, 0, sizeof mo);
    mo.allow_nan = true;
    mo.small_mask_threshold_bytes = -1;
    tgm_encode_options o = TGM_ENCODE_OPTIONS_INIT;
    o.hash_algo = "xxh3";
    o.mask_options = &mo;
    tgm_bytes_t b = {NULL, 0};
    TT_ASSERT(tgm_encode_ex(meta, (const uint8_t *const *)src, lens, 4, &o, &b) == TGM_ERROR_OK);
    /* flags of object 2 (the NaN): checked, or declared; the others finite,
     * by copy or by slot; in index order, or backwards (objects after the
     * NaN's are then left to the general encode at once). */
    for (int k = 0; k < 8; k++) {
        tgm_encode_fill_t *f = NULL;
        TT_ASSERT(tgm_encode_fill_begin(meta, &o, &f) == TGM_ERROR_OK);
        for (size_t j = 0; j < 4; j++) {
            size_t i = k & 4 ? 3 - j : j;
            uint32_t flags = i == 2 ? (k & 1 ? TGM_ENCODE_FILL_NONFINITE : TGM_ENCODE_FILL_CHECK)
                                    : TGM_ENCODE_FILL_FINITE;
            if (k & 2 && i % 2 == 1) {
                void *p;
                size_t len;
                TT_CHECK_ERR(tgm_encode_fill_slot(f, i, &p, &len), TGM_ERROR_OK);
                memcpy(p, src[i], len);
                TT_CHECK_ERR(tgm_encode_fill_commit(f, i, flags), TGM_ERROR_OK);
            } else {
                TT_CHECK_ERR(tgm_encode_fill_copy(f, i, src[i], lens[i], flags), TGM_ERROR_OK);
            }
        }
        tgm_bytes_t a = {NULL, 0};
        TT_CHECK_ERR(tgm_encode_fill_finish(f, &a), TGM_ERROR_OK);
        TT_CHECK(tt_same_bytes(a, b));
        tgm_bytes_free(a);
        tgm_encode_fill_free(f);
    }
    tgm_bytes_free(b);
    /* Without the NaN, copies stay in place: the same bytes. */
    fill_values(src[2], lens[2], F64, 13);
    TT_ASSERT(tgm_encode_ex(meta, (const uint8_t *const *)src, lens, 4, &o, &b) == TGM_ERROR_OK);
    for (uint32_t flags = 0; flags < 2; flags++) {
        tgm_encode_fill_t *f = NULL;
        TT_ASSERT(tgm_encode_fill_begin(meta, &o, &f) == TGM_ERROR_OK);
        for (size_t i = 0; i < 4; i++) {
            TT_CHECK_ERR(tgm_encode_fill_copy(f, i, src[i], lens[i], flags), TGM_ERROR_OK);
        }
        tgm_bytes_t a = {NULL, 0};
        TT_CHECK_ERR(tgm_encode_fill_finish(f, &a), TGM_ERROR_OK);
        TT_CHECK(tt_same_bytes(a, b));
        tgm_bytes_free(a);
        tgm_encode_fill_free(f);
    }
    tgm_bytes_free(b);
    /* A pipeline: copies into the input buffers. */
    char zmeta[8192];
    tt_fill_meta(zmeta, sizeof zmeta, 4, types, elems,
                 "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"zstd\"");
    TT_ASSERT(tgm_encode_ex(zmeta, (const uint8_t *const *)src, lens, 4, &o, &b) == TGM_ERROR_OK);
    tgm_encode_fill_t *f = NULL;
    TT_ASSERT(tgm_encode_fill_begin(zmeta, &o, &f) == TGM_ERROR_OK);
    for (size_t i = 0; i < 4; i++) {
        TT_CHECK_ERR(tgm_encode_fill_copy(f, i, src[i], lens[i], TGM_ENCODE_FILL_FINITE),
                     TGM_ERROR_OK);
    }
    tgm_bytes_t a = {NULL, 0};
    TT_CHECK_ERR(tgm_encode_fill_finish(f, &a), TGM_ERROR_OK);
    TT_CHECK(tt_same_bytes(a, b));
    tgm_bytes_free(a);
    tgm_bytes_free(b);
    tgm_encode_fill_free(f);
    /* Misuse. */
    TT_ASSERT(tgm_encode_fill_begin(meta, &o, &f) == TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_encode_fill_copy(f, 0, src[0], lens[0] - 1, 0), TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm_encode_fill_copy(f, 0, NULL, lens[0], 0), TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm_encode_fill_copy(f, 4, src[0], lens[0], 0), TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm_encode_fill_copy(f, 0, src[0], lens[0], 3), TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm_encode_fill_copy(f, 0, src[0], lens[0], 0), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_encode_fill_copy(f, 0, src[0], lens[0], 0), TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm_encode_fill_commit(f, 0, 0), TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm_encode_fill_copy(NULL, 0, src[0], lens[0], 0), TGM_ERROR_INVALID_ARG);
    tgm_encode_fill_free(f);
    for (size_t i = 0; i < 4; i++) {
        free(src[i]);
    }
}

/* ---- masked objects among objects written in place: differential matrix ------------------
 *
 * Five objects (float64, float32, int16, float32, float64; some larger
 * than the emitter's 32 KiB chunk), NaN / +Inf / -Inf (or all three, or
 * a third of the values) in
 * the first, a middle, the last, two, or every float object, filled in
 * eight ways (slot + commit CHECK; slot + commit with the masked objects
 * declared NONFINITE and the others FINITE; copy CHECK; copy NONFINITE;
 * commit_range; two threads, even and odd objects; every slot
 * taken before the commits; the last slot taken and
 * written first, committed last), under every
 * mask method, small-mask threshold and hash placement: the message is
 * tgm_encode_ex's byte for byte, or, when tgm_encode_ex refuses the
 * values, the first error met (a commit's or finish's) is its error with
 * its text. */

#define MX_N 5

typedef struct {
    tgm_encode_fill_t *f;
    uint8_t *const *src;
    const size_t *lens;
    const uint32_t *flags;
    int parity, backwards;
    tgm_error e;
    size_t failed; /* the object whose commit failed first */
    char text[512];
} mx_worker;

static void mx_note(tgm_error *first, char *text, size_t cap, tgm_error e) {
    if (e != TGM_ERROR_OK && *first == TGM_ERROR_OK) {
        *first = e;
        snprintf(text, cap, "%s", tgm_last_error() ? tgm_last_error() : "");
    }
}

static void *mx_work(void *arg) {
    mx_worker *w = arg;
    for (size_t j = 0; j < MX_N; j++) {
        size_t i = w->backwards ? MX_N - 1 - j : j;
        if ((int)(i % 2) != w->parity) {
            continue;
        }
        void *p;
        size_t len;
        tgm_error e = tgm_encode_fill_slot(w->f, i, &p, &len);
        if (e == TGM_ERROR_OK) {
            memcpy(p, w->src[i], len);
            e = tgm_encode_fill_commit(w->f, i, w->flags[i]);
        }
        if (e != TGM_ERROR_OK && w->e == TGM_ERROR_OK) {
            w->failed = i;
        }
        mx_note(&w->e, w->text, sizeof w->text, e);
    }
    return NULL;
}

/* Fill in `mode`; returns the first error (its text in *text) or OK with
 * *out. */
static tgm_error mx_fill(const char *meta, const tgm_encode_options *o, uint8_t *const *src,
                         const size_t *lens, const size_t *widths, const bool *masked, int mode,
                         tgm_bytes_t *out, char *text, size_t cap) {
    tgm_encode_fill_t *f = NULL;
    tgm_error first = TGM_ERROR_OK;
    mx_note(&first, text, cap, tgm_encode_fill_begin(meta, o, &f));
    if (first != TGM_ERROR_OK) {
        return first;
    }
    uint32_t flags[MX_N];
    for (size_t i = 0; i < MX_N; i++) {
        bool declare = mode == 1 || mode == 3;
        flags[i] = !declare    ? TGM_ENCODE_FILL_CHECK
                   : masked[i] ? TGM_ENCODE_FILL_NONFINITE
                               : TGM_ENCODE_FILL_FINITE;
    }
    if (mode == 5) {
        mx_worker w[2] = {{f, src, lens, flags, 0, 0, TGM_ERROR_OK, 0, ""},
                          {f, src, lens, flags, 1, 0, TGM_ERROR_OK, 0, ""}};
        pthread_t th;
        pthread_create(&th, NULL, mx_work, &w[1]);
        mx_work(&w[0]);
        pthread_join(th, NULL);
        /* The error of the lower object (each thread's first failure is
         * its lowest failing object's, or finish reports): tgm_encode_ex
         * reports the first failing object. */
        int t = w[0].e == TGM_ERROR_OK                                ? 1
                : w[1].e != TGM_ERROR_OK && w[1].failed < w[0].failed ? 1
                                                                      : 0;
        if (w[t].e != TGM_ERROR_OK) {
            first = w[t].e;
            snprintf(text, cap, "%s", w[t].text);
        }
    }
    for (size_t i = 0; mode != 5 && i < MX_N && first == TGM_ERROR_OK; i++) {
        if (mode == 2 || mode == 3) {
            mx_note(&first, text, cap, tgm_encode_fill_copy(f, i, src[i], lens[i], flags[i]));
            continue;
        }
        void *p;
        size_t len;
        mx_note(&first, text, cap, tgm_encode_fill_slot(f, i, &p, &len));
        if (first != TGM_ERROR_OK) {
            break;
        }
        if (mode == 6) {
            continue; /* every slot first, then the commits */
        }
        if (mode == 7 && i == 0) {
            /* The last object's slot first, written at once, committed at
             * the end: the later masks cannot push the slots before it. */
            void *q;
            size_t qlen;
            mx_note(&first, text, cap, tgm_encode_fill_slot(f, MX_N - 1, &q, &qlen));
            if (first == TGM_ERROR_OK) {
                memcpy(q, src[MX_N - 1], qlen);
            }
        }
        if (mode == 7 && i == MX_N - 1) {
            mx_note(&first, text, cap, tgm_encode_fill_commit(f, i, flags[i]));
            continue;
        }
        if (mode != 4) {
            memcpy(p, src[i], len);
            mx_note(&first, text, cap, tgm_encode_fill_commit(f, i, flags[i]));
            continue;
        }
        size_t step = 3000 * widths[i]; /* several ranges per object, whole elements */
        for (size_t off = 0; first == TGM_ERROR_OK && (off < len || off == 0); off += step) {
            size_t k = len - off < step ? len - off : step;
            memcpy((uint8_t *)p + off, src[i] + off, k);
            mx_note(&first, text, cap, tgm_encode_fill_commit_range(f, i, off, k, flags[i]));
            if (len == 0) {
                break;
            }
        }
    }
    for (size_t i = 0; mode == 6 && i < MX_N && first == TGM_ERROR_OK; i++) {
        void *p;
        size_t len;
        mx_note(&first, text, cap, tgm_encode_fill_slot(f, i, &p, &len)); /* taken again */
        if (first == TGM_ERROR_OK) {
            memcpy(p, src[i], len);
            mx_note(&first, text, cap, tgm_encode_fill_commit(f, i, flags[i]));
        }
    }
    if (first == TGM_ERROR_OK) {
        mx_note(&first, text, cap, tgm_encode_fill_finish(f, out));
    }
    tgm_encode_fill_free(f);
    return first;
}

static void test_masks_matrix(void) {
    static const tt_dtype *const types[MX_N] = {&DTYPES[1], &DTYPES[0], &DTYPES[2], &DTYPES[0],
                                                &DTYPES[1]};
    static const size_t elems[MX_N] = {9001, 20000, 777, 33, 12000};
    /* Which float objects hold non-finite values (bit i: object i). */
    static const unsigned patterns[] = {0x01, 0x08, 0x10, 0x11, 0x1b, 0x0b, 0x02, 0x00};
    static const char *const methods[] = {"roaring", "none", "rle", "lz4", "zstd", "blosc2", NULL};
    static const ptrdiff_t thresholds[] = {-1, 0, 1 << 20};
    static const char *const aggregates[] = {"header", "footer", "both", "none"};
    enum { KINDS = 5, MODES = 8 };
    size_t lens[MX_N], widths[MX_N];
    uint8_t *src[MX_N];
    char meta[8192];
    tt_fill_meta(meta, sizeof meta, MX_N, types, elems, "");
    for (size_t i = 0; i < MX_N; i++) {
        widths[i] = types[i]->width;
        lens[i] = elems[i] * widths[i];
        src[i] = malloc(lens[i]);
    }
    size_t combo = 0, refused = 0, made = 0;
    for (size_t pat = 0; pat < sizeof patterns / sizeof patterns[0]; pat++) {
        for (int kind = 0; kind < KINDS; kind++) { /* NaN, +Inf, -Inf, all three, dense */
            bool masked[MX_N];
            for (size_t i = 0; i < MX_N; i++) {
                fill_values(src[i], lens[i], types[i], i + 31);
                masked[i] = (patterns[pat] >> i) & 1u;
                if (!masked[i]) {
                    continue;
                }
                /* Runs and single values, at the start, inside and at the end;
                 * or (dense) every third value, whose masks outgrow any
                 * room the layout keeps for them. */
                size_t at[4] = {0, elems[i] / 3, elems[i] / 3 + 1, elems[i] - 1};
                size_t count = kind == 4 ? (elems[i] + 2) / 3 : 4;
                for (size_t k = 0; k < count; k++) {
                    int v = kind < 3 ? kind : (int)(k % 3);
                    size_t e = kind == 4 ? 3 * k : at[k];
                    double d = v == 0 ? NAN : v == 1 ? INFINITY : -INFINITY;
                    if (types[i]->width == 8) {
                        memcpy(src[i] + 8 * e, &d, 8);
                    } else {
                        float fv = (float)d;
                        memcpy(src[i] + 4 * e, &fv, 4);
                    }
                }
            }
            for (int mode = 0; mode < MODES; mode++) {
                for (int allow = 0; allow < 4; allow++, combo++) {
                    /* allow: nothing, NaN only, Inf only, both. */
                    TgmEncodeMaskOptions mo;
                    memset(&mo, 0, sizeof mo);
                    mo.allow_nan = allow & 1;
                    mo.allow_inf = allow & 2;
                    const char *m = methods[combo % (sizeof methods / sizeof methods[0])];
                    mo.nan_mask_method = m;
                    mo.pos_inf_mask_method = methods[(combo / 3) % 7];
                    mo.neg_inf_mask_method = m;
                    mo.small_mask_threshold_bytes = thresholds[(combo / 7) % 3];
                    tgm_encode_options o = TGM_ENCODE_OPTIONS_INIT;
                    int h = (int)((combo / 2) % 5);
                    o.hash_algo = h == 0 ? NULL : "xxh3";
                    o.aggregate_hash = h == 0 ? NULL : aggregates[h - 1];
                    o.mask_options = allow ? &mo : NULL;
                    tgm_bytes_t a = {NULL, 0}, b = {NULL, 0};
                    tgm_error eb =
                        tgm_encode_ex(meta, (const uint8_t *const *)src, lens, MX_N, &o, &b);
                    char expected[512], got[512] = "";
                    snprintf(expected, sizeof expected, "%s",
                             tgm_last_error() ? tgm_last_error() : "");
                    tgm_error ea =
                        mx_fill(meta, &o, src, lens, widths, masked, mode, &a, got, sizeof got);
                    TT_CHECK_EQ_INT(ea, eb);
                    if (eb != TGM_ERROR_OK) {
                        if (strcmp(got, expected) != 0) {
                            TT_CHECK_EQ_STR(got, expected);
                            fprintf(stderr, "  pattern %zu kind %d mode %d allow %d combo %zu\n",
                                    pat, kind, mode, allow, combo);
                        }
                        refused++;
                    } else if (ea == TGM_ERROR_OK) {
                        made++;
                        if (!tt_same_bytes(a, b)) {
                            TT_CHECK(tt_same_bytes(a, b));
                            fprintf(stderr, "  pattern %zu kind %d mode %d allow %d combo %zu\n",
                                    pat, kind, mode, allow, combo);
                        }
                    }
                    tgm_bytes_free(a);
                    tgm_bytes_free(b);
                }
            }
        }
    }
    /* Both outcomes were exercised. */
    TT_CHECK(refused > 0 && made > refused / 4);
    for (size_t i = 0; i < MX_N; i++) {
        free(src[i]);
    }
}

/* slot and commit of different objects on two threads at once. */
typedef struct {
    tgm_encode_fill_t *f;
    size_t first, n;
    uint8_t *const *src;
    int ok;
} worker;

static void *work(void *arg) {
    worker *w = arg;
    w->ok = 1;
    for (size_t i = w->first; i < w->n; i += 2) {
        void *p;
        size_t len;
        w->ok &= tgm_encode_fill_slot(w->f, i, &p, &len) == TGM_ERROR_OK;
        if (w->ok) {
            memcpy(p, w->src[i], len);
            w->ok &= tgm_encode_fill_commit(w->f, i, TGM_ENCODE_FILL_CHECK) == TGM_ERROR_OK;
        }
    }
    return NULL;
}

static void test_threads(void) {
    enum { N = 8 };
    const tt_dtype *types[N];
    size_t elems[N], lens[N];
    uint8_t *src[N];
    for (size_t i = 0; i < N; i++) {
        types[i] = F64;
        elems[i] = 20000 + i;
        lens[i] = elems[i] * 8;
        src[i] = malloc(lens[i]);
        fill_values(src[i], lens[i], F64, i);
    }
    char meta[16384];
    tt_fill_meta(meta, sizeof meta, N, types, elems, "");
    tgm_encode_options o = TGM_ENCODE_OPTIONS_INIT;
    o.hash_algo = "xxh3";
    tgm_encode_fill_t *f = NULL;
    TT_ASSERT(tgm_encode_fill_begin(meta, &o, &f) == TGM_ERROR_OK);
    worker w[2] = {{f, 0, N, src, 0}, {f, 1, N, src, 0}};
    pthread_t th;
    pthread_create(&th, NULL, work, &w[1]);
    work(&w[0]);
    pthread_join(th, NULL);
    TT_CHECK(w[0].ok && w[1].ok);
    tgm_bytes_t a = {NULL, 0}, b = {NULL, 0};
    TT_CHECK_ERR(tgm_encode_fill_finish(f, &a), TGM_ERROR_OK);
    tgm_encode_fill_free(f);
    TT_CHECK_ERR(tgm_encode_ex(meta, (const uint8_t *const *)src, lens, N, &o, &b), TGM_ERROR_OK);
    TT_CHECK(tt_same_bytes(a, b));
    tgm_bytes_free(a);
    tgm_bytes_free(b);
    for (size_t i = 0; i < N; i++) {
        free(src[i]);
    }
}

int main(void) {
    setenv("TENSOGRAM_PROVENANCE", TT_FILL_PROV, 1);
    setenv("TENSOGRAM_MAX_OBJECT_BYTES", "1G", 1);
    TT_RUN(test_identical);
    TT_RUN(test_nonfinite);
    TT_RUN(test_pipelines);
    TT_RUN(test_misuse);
    TT_RUN(test_hostile_sizes);
    TT_RUN(test_threads);
    TT_RUN(test_copy);
    TT_RUN(test_masks_matrix);
    return tt_finish("test_encode_fill");
}
