/* tgm_encode_fill_commit_range: an object committed in ranges (each
 * checked and hashed as it arrives) must give, with a fixed provenance,
 * byte for byte the message tgm_encode_ex makes from the same values,
 * whatever the range sizes (one element, odd counts, across and inside
 * the emitter's chunks, all at once), the dtype, the hashing and the
 * NaN / Inf outcome (refused with tgm_encode_ex's error, masked when
 * allowed, found in any range or declared for one).  Out-of-order,
 * overlapping, element-splitting and short ranges are refused with
 * TGM_ERROR_INVALID_ARG and change nothing.  Ranges of one object handed
 * between two threads, and of different objects on two threads at once,
 * give the same bytes (run under TSan by scripts/test.sh). */
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
                                  {"uint8", 1},   {"float16", 2}, {"complex64", 8}};

/* Deterministic finite values for object i, this file's stream. */
static void fill_values(uint8_t *p, size_t len, const tt_dtype *t, size_t i) {
    tt_fill_values(p, len, t, i, 0x2545f4914f6cdd1dull);
}
static const tt_dtype *F32 = &DTYPES[0];
static const tt_dtype *F64 = &DTYPES[1];

/* Fill every object from src and commit object i in ranges of step[i]
 * elements (0: one tgm_encode_fill_commit), each range with flags[i]
 * (NULL: CHECK), the range holding element `declared` (when not
 * SIZE_MAX) of object `declared_obj` with NONFINITE instead.  Returns the
 * first error (its text in tgm_last_error()), or finish's. */
static tgm_error fill_ranges(const char *meta, const tgm_encode_options *o, size_t n,
                             uint8_t *const *src, const size_t *lens, const tt_dtype *const *types,
                             const size_t *step, const uint32_t *flags, size_t declared_obj,
                             size_t declared, tgm_bytes_t *out) {
    tgm_encode_fill_t *f = NULL;
    tgm_error e = tgm_encode_fill_begin(meta, o, &f);
    if (e != TGM_ERROR_OK) {
        return e;
    }
    for (size_t i = 0; i < n && e == TGM_ERROR_OK; i++) {
        void *p = NULL;
        size_t len = 0;
        e = tgm_encode_fill_slot(f, i, &p, &len);
        if (e == TGM_ERROR_OK && len != lens[i]) {
            e = TGM_ERROR_OBJECT;
        }
        uint32_t fl = flags != NULL ? flags[i] : TGM_ENCODE_FILL_CHECK;
        if (e == TGM_ERROR_OK && step[i] == 0) {
            memcpy(p, src[i], len);
            e = tgm_encode_fill_commit(f, i, fl);
            continue;
        }
        size_t bytes = step[i] * types[i]->width;
        size_t off = 0;
        do {
            size_t k = len - off < bytes ? len - off : bytes;
            /* The values arrive range by range, as a reader writes them. */
            memcpy((uint8_t *)p + off, src[i] + off, k);
            bool nf = i == declared_obj && declared != SIZE_MAX &&
                      declared * types[i]->width >= off && declared * types[i]->width < off + k;
            e = tgm_encode_fill_commit_range(f, i, off, k, nf ? TGM_ENCODE_FILL_NONFINITE : fl);
            off += k;
        } while (e == TGM_ERROR_OK && off < len);
    }
    if (e == TGM_ERROR_OK) {
        e = tgm_encode_fill_finish(f, out);
    }
    tgm_encode_fill_free(f);
    return e;
}

/* dtypes x sizes x range steps x hashing x flags: tgm_encode_ex's bytes. */
static void test_identical(void) {
    enum { N = 6 };
    /* Elements per object: small (one-shot hash of the frame in a whole
     * commit), across the emitter's 32 KiB chunks, an odd large count. */
    static const size_t sizes[] = {1, 37, 9000, 70001};
    static const size_t steps[] = {1, 3, 1000, 8192, 65536};
    char meta[16384];
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        const tt_dtype *types[N];
        size_t elems[N], lens[N], step[N];
        uint8_t *src[N];
        for (size_t i = 0; i < N; i++) {
            types[i] = &DTYPES[i];
            elems[i] = sizes[s] + i;
            lens[i] = elems[i] * types[i]->width;
            src[i] = malloc(lens[i]);
            fill_values(src[i], lens[i], types[i], i + s);
        }
        tt_fill_meta(meta, sizeof meta, N, types, elems, "");
        for (size_t st = 0; st < sizeof steps / sizeof steps[0]; st++) {
            if (steps[st] < 100 && sizes[s] > 9000) {
                continue; /* ~70 000 ranges of one element: slow, nothing new */
            }
            for (int h = 0; h < 3; h++) {
                for (uint32_t fl = 0; fl < 2; fl++) {
                    tgm_encode_options o = TGM_ENCODE_OPTIONS_INIT;
                    o.hash_algo = h == 0 ? NULL : "xxh3";
                    o.aggregate_hash = h == 2 ? "both" : NULL;
                    uint32_t flags[N];
                    for (size_t i = 0; i < N; i++) {
                        /* every other object whole: the two kinds side by side */
                        step[i] = (i + st) % 3 == 2 ? 0 : steps[st];
                        flags[i] = fl;
                    }
                    tgm_bytes_t a = {NULL, 0}, b = {NULL, 0};
                    TT_CHECK_ERR(
                        fill_ranges(meta, &o, N, src, lens, types, step, flags, 0, SIZE_MAX, &a),
                        TGM_ERROR_OK);
                    TT_CHECK_ERR(tgm_encode_ex(meta, (const uint8_t *const *)src, lens, N, &o, &b),
                                 TGM_ERROR_OK);
                    TT_CHECK(tt_same_bytes(a, b));
                    tgm_bytes_free(a);
                    tgm_bytes_free(b);
                }
            }
        }
        for (size_t i = 0; i < N; i++) {
            free(src[i]);
        }
    }
}

/* A NaN in a middle range of object 1 (three float64 objects, ranges of
 * 1000 elements): refused with tgm_encode_ex's error at that range; with
 * NaN allowed, tgm_encode_ex's masked message whether the check finds it
 * or the range is declared non-finite, and whatever the other objects'
 * flags (checked, vouched for, or committed after the NaN was met). */
static void test_nonfinite(void) {
    const tt_dtype *types[3] = {F64, F64, F64};
    size_t elems[3] = {3000, 5000, 2500}, lens[3], step[3] = {1000, 1000, 1000};
    uint8_t *src[3];
    for (size_t i = 0; i < 3; i++) {
        lens[i] = elems[i] * 8;
        src[i] = malloc(lens[i]);
        fill_values(src[i], lens[i], F64, i);
    }
    double nan = NAN;
    memcpy(src[1] + 8 * 2345, &nan, 8);
    char meta[4096];
    tt_fill_meta(meta, sizeof meta, 3, types, elems, "");
    tgm_encode_options o = TGM_ENCODE_OPTIONS_INIT;
    o.hash_algo = "xxh3";

    tgm_bytes_t a = {NULL, 0}, b = {NULL, 0};
    TT_CHECK_ERR(tgm_encode_ex(meta, (const uint8_t *const *)src, lens, 3, &o, &b),
                 TGM_ERROR_ENCODING);
    char expected[1024];
    snprintf(expected, sizeof expected, "%s", tgm_last_error() ? tgm_last_error() : "");
    TT_CHECK_ERR(fill_ranges(meta, &o, 3, src, lens, types, step, NULL, 0, SIZE_MAX, &a),
                 TGM_ERROR_ENCODING);
    TT_CHECK_EQ_STR(tgm_last_error(), expected);
    /* Declared while refused: finish reports tgm_encode_ex's error. */
    TT_CHECK_ERR(fill_ranges(meta, &o, 3, src, lens, types, step, NULL, 1, 2345, &a),
                 TGM_ERROR_ENCODING);
    TT_CHECK_EQ_STR(tgm_last_error(), expected);

    TgmEncodeMaskOptions mo;
    memset(&mo, 0, sizeof mo);
    mo.allow_nan = true;
    mo.small_mask_threshold_bytes = -1;
    o.mask_options = &mo;
    TT_CHECK_ERR(tgm_encode_ex(meta, (const uint8_t *const *)src, lens, 3, &o, &b), TGM_ERROR_OK);
    static const uint32_t flag_sets[3][3] = {
        {TGM_ENCODE_FILL_CHECK, TGM_ENCODE_FILL_CHECK, TGM_ENCODE_FILL_CHECK},
        {TGM_ENCODE_FILL_FINITE, TGM_ENCODE_FILL_CHECK, TGM_ENCODE_FILL_FINITE},
        {TGM_ENCODE_FILL_CHECK, TGM_ENCODE_FILL_CHECK, TGM_ENCODE_FILL_FINITE}};
    for (size_t k = 0; k < 3; k++) {
        for (int declare = 0; declare < 2; declare++) {
            TT_CHECK_ERR(fill_ranges(meta, &o, 3, src, lens, types, step, flag_sets[k], 1,
                                     declare ? 2345 : SIZE_MAX, &a),
                         TGM_ERROR_OK);
            TT_CHECK(tt_same_bytes(a, b));
            tgm_bytes_free(a);
        }
    }
    tgm_bytes_free(b);
    /* A NaN in the last range of the last object, the others in place. */
    fill_values(src[1], lens[1], F64, 1);
    memcpy(src[2] + 8 * (elems[2] - 1), &nan, 8);
    TT_CHECK_ERR(tgm_encode_ex(meta, (const uint8_t *const *)src, lens, 3, &o, &b), TGM_ERROR_OK);
    TT_CHECK_ERR(fill_ranges(meta, &o, 3, src, lens, types, step, NULL, 0, SIZE_MAX, &a),
                 TGM_ERROR_OK);
    TT_CHECK(tt_same_bytes(a, b));
    tgm_bytes_free(a);
    tgm_bytes_free(b);
    for (size_t i = 0; i < 3; i++) {
        free(src[i]);
    }
}

/* Other pipelines: the slots are input buffers; ranges only count. */
static void test_pipeline(void) {
    const tt_dtype *types[2] = {F64, F32};
    size_t elems[2] = {4000, 9001}, lens[2], step[2] = {512, 0};
    uint8_t *src[2];
    for (size_t i = 0; i < 2; i++) {
        lens[i] = elems[i] * types[i]->width;
        src[i] = malloc(lens[i]);
        fill_values(src[i], lens[i], types[i], i + 9);
    }
    char meta[4096];
    tt_fill_meta(meta, sizeof meta, 2, types, elems,
                 "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"zstd\","
                 "\"zstd_level\":3");
    tgm_encode_options o = TGM_ENCODE_OPTIONS_INIT;
    o.hash_algo = "xxh3";
    tgm_bytes_t a = {NULL, 0}, b = {NULL, 0};
    TT_CHECK_ERR(fill_ranges(meta, &o, 2, src, lens, types, step, NULL, 0, SIZE_MAX, &a),
                 TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_encode_ex(meta, (const uint8_t *const *)src, lens, 2, &o, &b), TGM_ERROR_OK);
    TT_CHECK(tt_same_bytes(a, b));
    tgm_bytes_free(a);
    tgm_bytes_free(b);
    for (size_t i = 0; i < 2; i++) {
        free(src[i]);
    }
}

/* Every misuse: TGM_ERROR_INVALID_ARG with a reason, nothing changed (the
 * object then completes in order and the message is still right). */
static void test_misuse(void) {
    const tt_dtype *types[2] = {F32, F64};
    size_t elems[2] = {100, 0}, lens[2] = {400, 0};
    uint8_t *src[2] = {malloc(400), NULL};
    fill_values(src[0], 400, F32, 3);
    char meta[4096];
    tt_fill_meta(meta, sizeof meta, 2, types, elems, "");
    tgm_encode_options o = TGM_ENCODE_OPTIONS_INIT;
    o.hash_algo = "xxh3";
    tgm_encode_fill_t *f = NULL;
    TT_ASSERT(tgm_encode_fill_begin(meta, &o, &f) == TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_encode_fill_commit_range(NULL, 0, 0, 4, 0), TGM_ERROR_INVALID_ARG);
    /* Before the slot. */
    TT_CHECK_ERR(tgm_encode_fill_commit_range(f, 0, 0, 4, 0), TGM_ERROR_INVALID_ARG);
    TT_CHECK(strstr(tgm_last_error(), "no slot") != NULL);
    void *p;
    size_t len;
    TT_ASSERT(tgm_encode_fill_slot(f, 0, &p, &len) == TGM_ERROR_OK && len == 400);
    memcpy(p, src[0], 400);
    TT_CHECK_ERR(tgm_encode_fill_commit_range(f, 2, 0, 4, 0), TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm_encode_fill_commit_range(f, 0, 0, 4, 7), TGM_ERROR_INVALID_ARG);
    /* Not from byte 0 (a gap). */
    TT_CHECK_ERR(tgm_encode_fill_commit_range(f, 0, 4, 4, 0), TGM_ERROR_INVALID_ARG);
    TT_CHECK(strstr(tgm_last_error(), "0 bytes are committed, this range starts at 4") != NULL);
    /* Splitting an element; empty; past the end; overflowing. */
    TT_CHECK_ERR(tgm_encode_fill_commit_range(f, 0, 0, 6, 0), TGM_ERROR_INVALID_ARG);
    TT_CHECK(strstr(tgm_last_error(), "whole 4-byte elements") != NULL);
    TT_CHECK_ERR(tgm_encode_fill_commit_range(f, 0, 0, 0, 0), TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm_encode_fill_commit_range(f, 0, 0, 404, 0), TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm_encode_fill_commit_range(f, 0, 0, SIZE_MAX - 3, 0), TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm_encode_fill_commit_range(f, 0, 0, 100, 0), TGM_ERROR_OK);
    /* Overlapping, and a gap after the first range. */
    TT_CHECK_ERR(tgm_encode_fill_commit_range(f, 0, 96, 8, 0), TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm_encode_fill_commit_range(f, 0, 0, 100, 0), TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm_encode_fill_commit_range(f, 0, 104, 8, 0), TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm_encode_fill_commit_range(f, 0, SIZE_MAX - 3, 8, 0), TGM_ERROR_INVALID_ARG);
    /* A whole commit or a copy in the middle of ranges. */
    TT_CHECK_ERR(tgm_encode_fill_commit(f, 0, 0), TGM_ERROR_INVALID_ARG);
    TT_CHECK(strstr(tgm_last_error(), "being committed in ranges (100 of 400 bytes)") != NULL);
    TT_CHECK_ERR(tgm_encode_fill_copy(f, 0, src[0], 400, 0), TGM_ERROR_INVALID_ARG);
    /* A slot taken again meanwhile is the same place, still in ranges. */
    void *again;
    TT_ASSERT(tgm_encode_fill_slot(f, 0, &again, &len) == TGM_ERROR_OK && again == p);
    TT_CHECK_ERR(tgm_encode_fill_commit(f, 0, 0), TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm_encode_fill_commit_range(f, 0, 100, 200, 0), TGM_ERROR_OK);
    /* Short coverage: finish refuses and names it. */
    TT_ASSERT(tgm_encode_fill_slot(f, 1, &p, &len) == TGM_ERROR_OK && len == 0);
    TT_CHECK_ERR(tgm_encode_fill_commit_range(f, 1, 0, 0, 0), TGM_ERROR_OK); /* empty object */
    tgm_bytes_t a = {NULL, 0}, b = {NULL, 0};
    TT_CHECK_ERR(tgm_encode_fill_finish(f, &a), TGM_ERROR_INVALID_ARG);
    TT_CHECK(strstr(tgm_last_error(), "ranges cover 300 of its 400 bytes") != NULL);
    /* finish refused before marking anything: the object completes. */
    TT_CHECK_ERR(tgm_encode_fill_commit_range(f, 0, 300, 100, 0), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_encode_fill_commit_range(f, 0, 400, 0, 0), TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm_encode_fill_commit(f, 0, 0), TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm_encode_fill_finish(f, &a), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_encode_ex(meta, (const uint8_t *const *)src, lens, 2, &o, &b), TGM_ERROR_OK);
    TT_CHECK(tt_same_bytes(a, b));
    tgm_bytes_free(a);
    tgm_bytes_free(b);
    tgm_encode_fill_free(f);
    /* Freed in the middle of ranges: nothing leaks (ASan). */
    TT_ASSERT(tgm_encode_fill_begin(meta, &o, &f) == TGM_ERROR_OK);
    TT_ASSERT(tgm_encode_fill_slot(f, 0, &p, &len) == TGM_ERROR_OK);
    memcpy(p, src[0], 400);
    TT_CHECK_ERR(tgm_encode_fill_commit_range(f, 0, 0, 200, 0), TGM_ERROR_OK);
    tgm_encode_fill_free(f);
    free(src[0]);
}

/* The converter's pattern: one thread writes range k + 1 of an object
 * while another commits range k; and two objects' ranges on two threads
 * at once.  The handoff is the caller's (a mutex), as the API asks. */
typedef struct {
    tgm_encode_fill_t *f;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    size_t posted, done; /* ranges written / committed (object 0) */
    size_t nranges, rbytes, len;
    int ok;
} handoff;

static void *committer(void *arg) {
    handoff *h = arg;
    for (size_t k = 0; k < h->nranges; k++) {
        pthread_mutex_lock(&h->lock);
        while (h->posted <= k) {
            pthread_cond_wait(&h->cond, &h->lock);
        }
        pthread_mutex_unlock(&h->lock);
        size_t off = k * h->rbytes;
        size_t n = h->len - off < h->rbytes ? h->len - off : h->rbytes;
        h->ok &= tgm_encode_fill_commit_range(h->f, 0, off, n, 0) == TGM_ERROR_OK;
    }
    return NULL;
}

static void test_threads(void) {
    enum { N = 3 };
    const tt_dtype *types[N] = {F32, F64, F64};
    size_t elems[N] = {300001, 70000, 50000}, lens[N];
    uint8_t *src[N];
    for (size_t i = 0; i < N; i++) {
        lens[i] = elems[i] * types[i]->width;
        src[i] = malloc(lens[i]);
        fill_values(src[i], lens[i], types[i], i + 20);
    }
    char meta[4096];
    tt_fill_meta(meta, sizeof meta, N, types, elems, "");
    tgm_encode_options o = TGM_ENCODE_OPTIONS_INIT;
    o.hash_algo = "xxh3";
    o.aggregate_hash = "both";
    tgm_bytes_t b = {NULL, 0};
    TT_CHECK_ERR(tgm_encode_ex(meta, (const uint8_t *const *)src, lens, N, &o, &b), TGM_ERROR_OK);
    for (int round = 0; round < 3; round++) {
        handoff h = {.ok = 1, .rbytes = 65536, .len = lens[0]};
        h.nranges = (lens[0] + h.rbytes - 1) / h.rbytes;
        pthread_mutex_init(&h.lock, NULL);
        pthread_cond_init(&h.cond, NULL);
        TT_ASSERT(tgm_encode_fill_begin(meta, &o, &h.f) == TGM_ERROR_OK);
        void *p[N];
        size_t len;
        for (size_t i = 0; i < N; i++) {
            TT_ASSERT(tgm_encode_fill_slot(h.f, i, &p[i], &len) == TGM_ERROR_OK);
        }
        pthread_t th;
        pthread_create(&th, NULL, committer, &h);
        /* Object 0 written here range by range, committed there. */
        for (size_t k = 0; k < h.nranges; k++) {
            size_t off = k * h.rbytes;
            size_t n = lens[0] - off < h.rbytes ? lens[0] - off : h.rbytes;
            memcpy((uint8_t *)p[0] + off, src[0] + off, n);
            pthread_mutex_lock(&h.lock);
            h.posted++;
            pthread_cond_signal(&h.cond);
            pthread_mutex_unlock(&h.lock);
            if (k == h.nranges / 2) {
                /* Meanwhile objects 1 and 2, in ranges here. */
                for (size_t i = 1; i < N; i++) {
                    memcpy(p[i], src[i], lens[i]);
                    for (size_t off2 = 0; off2 < lens[i]; off2 += 40000) {
                        size_t m = lens[i] - off2 < 40000 ? lens[i] - off2 : 40000;
                        TT_CHECK_ERR(tgm_encode_fill_commit_range(h.f, i, off2, m, 0),
                                     TGM_ERROR_OK);
                    }
                }
            }
        }
        pthread_join(th, NULL);
        TT_CHECK(h.ok);
        tgm_bytes_t a = {NULL, 0};
        TT_CHECK_ERR(tgm_encode_fill_finish(h.f, &a), TGM_ERROR_OK);
        TT_CHECK(tt_same_bytes(a, b));
        tgm_bytes_free(a);
        tgm_encode_fill_free(h.f);
        pthread_cond_destroy(&h.cond);
        pthread_mutex_destroy(&h.lock);
    }
    tgm_bytes_free(b);
    for (size_t i = 0; i < N; i++) {
        free(src[i]);
    }
}

int main(void) {
    setenv("TENSOGRAM_PROVENANCE", TT_FILL_PROV, 1);
    TT_RUN(test_identical);
    TT_RUN(test_nonfinite);
    TT_RUN(test_pipeline);
    TT_RUN(test_misuse);
    TT_RUN(test_threads);
    return tt_finish("test_encode_fill_range");
}
