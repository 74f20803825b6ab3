/* The direct readers of descriptors, metadata, index and hash frames
 * (meta/desc_fast.c, meta/gmeta_fast.c, meta/frames.c) against the generic
 * path (value tree, then interpretation) they stand in for:
 *  - on their own, over hand-made CBOR (extra keys, non-shortest widths,
 *    indefinite lengths, depth limits, errors) and every single-byte
 *    mutation and truncation of it: whenever a direct reader accepts, the
 *    generic path accepts too and gives the same result;
 *  - through the API, over the test data and golden messages and their
 *    mutations: tgm_decode, tgm_decode_metadata and
 *    tgm_decode_object_into give the same code, error text and output
 *    with the direct readers on and off (tgm__meta_direct_off);
 *  - the metadata and descriptor trees built on first use, from several
 *    threads at once on one message and one metadata handle;
 *  - the per-thread memo of the last descriptor read: messages that differ
 *    only in their descriptors, decoded in turns on several threads. */
#include <dirent.h>
#include <pthread.h>
#include <unistd.h>

#include "cbor/cbor.h"
#include "cbor_writer.h"
#include "common/buf.h"
#include "meta/meta.h"
#include "tensogram/tensogram.h"
#include "tt.h"
#include "json/json.h"

/* A descriptor with parameters, in width `wide`. */
static void desc_cbor(w_t *w, int wide, bool indefinite_param) {
    w->n = 0;
    w->wide = wide;
    head(w, TGM_CBOR_MAP, 13);
    text(w, "type");
    text(w, "ntensor");
    text(w, "ndim");
    head(w, TGM_CBOR_UINT, 2);
    text(w, "units"); /* a parameter between fixed keys */
    if (indefinite_param) {
        raw(w, "\x7f\x61K\x62\xc3\xa9\xff", 7); /* "Ké" in two chunks */
    } else {
        text(w, "K");
    }
    text(w, "shape");
    head(w, TGM_CBOR_ARRAY, 2);
    head(w, TGM_CBOR_UINT, 300);
    head(w, TGM_CBOR_UINT, 3);
    text(w, "strides");
    head(w, TGM_CBOR_ARRAY, 2);
    head(w, TGM_CBOR_UINT, 3);
    head(w, TGM_CBOR_UINT, 1);
    text(w, "dtype");
    text(w, "float64");
    text(w, "byte_order");
    text(w, "big");
    text(w, "encoding");
    text(w, "none");
    text(w, "filter");
    text(w, "shuffle");
    text(w, "compression");
    text(w, "zstd");
    text(w, "zstd_level");
    head(w, TGM_CBOR_NINT, 2);
    text(w, "nested");
    head(w, TGM_CBOR_MAP, 2);
    text(w, "a");
    head(w, TGM_CBOR_ARRAY, 3);
    raw(w, "\xf6\xf5\xfb\x3f\xf8\x00\x00\x00\x00\x00\x00", 11); /* null, true, 1.5 */
    head(w, TGM_CBOR_UINT, 7); /* a non-text key inside a parameter is fine */
    head(w, TGM_CBOR_BYTES, 2);
    raw(w, "\x00\x01", 2);
    text(w, "units"); /* a duplicate parameter: the last one is the value */
    text(w, "kelvin");
}

/* ---- descriptors --------------------------------------------------------------- */

static int desc_fast_taken;

static void desc_same(const uint8_t *b, size_t n) {
    tgm_arena a1 = TGM_ARENA_INIT, a2 = TGM_ARENA_INIT;
    tgm_descriptor d1, d2;
    size_t c1 = 0, c2 = 0;
    bool fast = tgm__desc_read_fast(&a1, b, n, &d1, &c1);
    tgm_val *v = NULL;
    tgm_error e = tgm__cbor_decode(b, n, &a2, NULL, &v, &c2);
    if (e == TGM_ERROR_OK) {
        e = tgm__desc_from_val(&a2, v, "descriptor", &d2);
    }
    if (fast) {
        desc_fast_taken++;
        TT_CHECK(e == TGM_ERROR_OK);
        if (e == TGM_ERROR_OK) {
            TT_CHECK(c1 == c2);
            TT_CHECK(strcmp(d1.obj_type, d2.obj_type) == 0);
            TT_CHECK(d1.ndim == d2.ndim && d1.nshape == d2.nshape && d1.nstrides == d2.nstrides);
            TT_CHECK(d1.nshape == 0 || memcmp(d1.shape, d2.shape, d1.nshape * 8) == 0);
            TT_CHECK(d1.nstrides == 0 || memcmp(d1.strides, d2.strides, d1.nstrides * 8) == 0);
            TT_CHECK(d1.dtype == d2.dtype && d1.big_endian == d2.big_endian);
            TT_CHECK(d1.byte_order_present == d2.byte_order_present);
            TT_CHECK(strcmp(d1.encoding, d2.encoding) == 0);
            TT_CHECK(strcmp(d1.filter, d2.filter) == 0);
            TT_CHECK(strcmp(d1.compression, d2.compression) == 0);
            TT_CHECK(d1.num_elements == d2.num_elements);
            TT_CHECK(d1.num_elements_overflow == d2.num_elements_overflow);
            TT_CHECK(d1.has_masks == d2.has_masks);
            /* The map built on demand is the map the generic path read. */
            TT_CHECK(d1.map == NULL);
            const tgm_val *m1 = tgm__desc_map(&a1, &d1);
            TT_CHECK(m1 != NULL && tgm__val_equal(m1, d2.map));
            /* Parameters: the same map, the same lookups. */
            tgm_val *p1 = tgm__desc_params_map(&a1, &d1);
            tgm_val *p2 = tgm__desc_params_map(&a2, &d2);
            TT_CHECK(p1 != NULL && p2 != NULL && tgm__val_equal(p1, p2));
            const char *keys[] = {"units", "zstd_level", "nested", "type", "absent"};
            for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
                const tgm_val *x = tgm__desc_param(&d1, keys[i]);
                const tgm_val *y = tgm__desc_param(&d2, keys[i]);
                TT_CHECK((x == NULL) == (y == NULL));
                TT_CHECK(x == NULL || tgm__val_equal(x, y));
            }
        }
    }
    tgm__arena_free(&a1);
    tgm__arena_free(&a2);
}

/* Every single-byte change (a few bit patterns) and every truncation. */
static void mutate(const uint8_t *b, size_t n, void (*check)(const uint8_t *, size_t)) {
    static const uint8_t flips[] = {0x01, 0x02, 0x04, 0x10, 0x20, 0x40, 0x80, 0xff};
    uint8_t m[4096];
    memcpy(m, b, n);
    for (size_t i = 0; i < n; i++) {
        for (size_t f = 0; f < sizeof flips; f++) {
            m[i] ^= flips[f];
            check(m, n);
            m[i] ^= flips[f];
        }
        check(b, i);
    }
}

static void test_descriptor_forms(void) {
    w_t w;
    for (int wide = 0; wide <= 4; wide++) {
        desc_cbor(&w, wide, false);
        int before = desc_fast_taken;
        desc_same(w.b, w.n);
        TT_CHECK_EQ_INT(desc_fast_taken, before + 1); /* extra keys, any width: taken */
        /* Parameters keep the value as read, and "last one wins". */
        tgm_arena a = TGM_ARENA_INIT;
        tgm_descriptor d;
        size_t c;
        TT_ASSERT(tgm__desc_read_fast(&a, w.b, w.n, &d, &c));
        TT_CHECK_EQ_STR(tgm__desc_param(&d, "units")->p.str, "kelvin");
        TT_CHECK(tgm__desc_param(&d, "type") == NULL);
        TT_CHECK_EQ_INT(d.shape[0], 300);
        TT_CHECK(d.big_endian && d.byte_order_present);
        int64_t lvl;
        TT_CHECK_ERR(tgm__param_i64(&d, "zstd_level", &lvl), TGM_ERROR_OK);
        TT_CHECK_EQ_INT(lvl, -3);
        tgm__arena_free(&a);
    }
    /* An indefinite-length parameter value is decoded as the generic
     * reader decodes it. */
    desc_cbor(&w, 0, true);
    int before = desc_fast_taken;
    desc_same(w.b, w.n);
    TT_CHECK_EQ_INT(desc_fast_taken, before + 1);

    /* Forms left to the generic path: it accepts them, the direct reader
     * declines (checked through desc_same's implication and here). */
#define FIXED                                                                                      \
    "\x64type\x67ntensor\x64ndim\x01\x65shape\x81\x02\x67strides\x81\x01\x65"                      \
    "dtype\x65uint8\x68"                                                                           \
    "encoding\x64none\x66"                                                                         \
    "filter\x64none\x6b"                                                                           \
    "compression\x64none"
#define CASE(s)                                                                                    \
    { s, sizeof(s) - 1 }
    static const struct {
        const char *b;
        size_t n;
    } declined[] = {
        CASE("\xbf" FIXED "\xff"),          /* indefinite-length map */
        CASE("\xa9" FIXED "\x64ndim\x02"),  /* duplicate fixed key: the first counts */
        CASE("\xa9" FIXED "\x65masks\xa0"), /* masks */
    };
#undef CASE
#undef FIXED
    for (size_t i = 0; i < sizeof declined / sizeof declined[0]; i++) {
        tgm_arena a = TGM_ARENA_INIT;
        tgm_descriptor d;
        size_t c;
        tgm_val *v;
        const uint8_t *b = (const uint8_t *)declined[i].b;
        TT_CHECK(!tgm__desc_read_fast(&a, b, declined[i].n, &d, &c));
        TT_ASSERT(tgm__cbor_decode(b, declined[i].n, &a, NULL, &v, &c) == TGM_ERROR_OK);
        TT_CHECK_ERR(tgm__desc_from_val(&a, v, "d", &d), TGM_ERROR_OK);
        TT_CHECK_EQ_INT(c, declined[i].n);
        tgm__arena_free(&a);
    }
}

static void test_descriptor_mutations(void) {
    w_t w;
    desc_cbor(&w, 0, false);
    mutate(w.b, w.n, desc_same);
    desc_cbor(&w, 4, false);
    mutate(w.b, w.n, desc_same);
    desc_cbor(&w, 0, true);
    mutate(w.b, w.n, desc_same);
    printf("descriptors: %d taken by the direct reader\n", desc_fast_taken);
    TT_CHECK(desc_fast_taken > 100);
}

/* ---- global metadata ----------------------------------------------------------- */

static int meta_fast_taken;

static void meta_same(const uint8_t *b, size_t n) {
    size_t nb = 0;
    bool fast = tgm__gmeta_check_fast(b, n, &nb);
    tgm_arena a1 = TGM_ARENA_INIT, a2 = TGM_ARENA_INIT;
    tgm_val *root;
    tgm_global_meta g2;
    tgm_error e = tgm__cbor_decode(b, n, &a2, NULL, &root, NULL);
    if (e == TGM_ERROR_OK) {
        e = tgm__gmeta_from_cbor(&a2, root, &g2);
    }
    if (fast) {
        meta_fast_taken++;
        TT_CHECK(e == TGM_ERROR_OK);
        if (e == TGM_ERROR_OK) {
            TT_CHECK_EQ_INT(nb, g2.nbase);
            tgm_meta_bytes mb = {.cbor = b, .len = n, .nbase = nb};
            tgm_global_meta g1;
            TT_CHECK_ERR(tgm__gmeta_from_bytes(&a1, &mb, &g1), TGM_ERROR_OK);
            tgm_val *v1, *v2;
            TT_CHECK_ERR(tgm__gmeta_to_val(&a1, &g1, &v1), TGM_ERROR_OK);
            TT_CHECK_ERR(tgm__gmeta_to_val(&a2, &g2, &v2), TGM_ERROR_OK);
            TT_CHECK(tgm__val_equal(v1, v2));
            /* Padding to the object count. */
            mb.nbase = nb + 2;
            TT_CHECK_ERR(tgm__gmeta_from_bytes(&a1, &mb, &g1), TGM_ERROR_OK);
            TT_CHECK_EQ_INT(g1.nbase, nb + 2);
            TT_CHECK(g1.base[nb + 1].kind == TGM_V_MAP && g1.base[nb + 1].len == 0);
        }
    }
    tgm__arena_free(&a1);
    tgm__arena_free(&a2);
}

static void meta_cbor(w_t *w, int wide, int free_form) {
    w->n = 0;
    w->wide = wide;
    head(w, TGM_CBOR_MAP, 3 + (free_form ? 1 : 0));
    text(w, "base");
    head(w, TGM_CBOR_ARRAY, 2);
    head(w, TGM_CBOR_MAP, 3);
    text(w, "step");
    head(w, TGM_CBOR_UINT, 3);
    text(w, "name");
    text(w, "sample\xc3\xa9"); /* non-ASCII text */
    text(w, "_reserved_");
    head(w, TGM_CBOR_MAP, 1);
    text(w, "tensor");
    head(w, TGM_CBOR_MAP, 1);
    text(w, "shape");
    head(w, TGM_CBOR_ARRAY, 2);
    head(w, TGM_CBOR_UINT, 3);
    head(w, TGM_CBOR_UINT, 1000);
    head(w, TGM_CBOR_MAP, 0);
    text(w, "_reserved_");
    head(w, TGM_CBOR_MAP, 2);
    text(w, "time");
    text(w, "2026-01-01T00:00:00Z");
    text(w, "f");
    raw(w, "\xf9\x3c\x00", 3); /* half 1.0 */
    if (free_form) {
        text(w, "version"); /* routed into _extra_ */
        head(w, TGM_CBOR_UINT, 3);
    }
    text(w, "_extra_");
    head(w, TGM_CBOR_MAP, free_form == 2 ? 1 : 0);
    if (free_form == 2) {
        text(w, "other");
        raw(w, "\xc1\x1a\x00\x00\x00\x01", 6); /* tag 1 */
    }
}

static void test_metadata_forms(void) {
    w_t w;
    for (int wide = 0; wide <= 4; wide++) {
        for (int ff = 0; ff <= 1; ff++) {
            meta_cbor(&w, wide, ff);
            int before = meta_fast_taken;
            meta_same(w.b, w.n);
            TT_CHECK_EQ_INT(meta_fast_taken, before + 1);
        }
        /* Free-form keys next to a non-empty _extra_: the generic path
         * checks for collisions. */
        meta_cbor(&w, wide, 2);
        size_t nb;
        TT_CHECK(!tgm__gmeta_check_fast(w.b, w.n, &nb));
        meta_same(w.b, w.n);
    }
    /* Depth: the cap is the generic reader's, counted from the root. */
    for (int depth = 125; depth <= 129; depth++) {
        w.n = 0;
        w.wide = 0;
        raw(&w, "\xa1\x61x", 3);
        for (int i = 0; i < depth; i++) {
            raw(&w, "\x81", 1);
        }
        raw(&w, "\x00", 1);
        meta_same(w.b, w.n);
        size_t nb;
        tgm_arena a = TGM_ARENA_INIT;
        tgm_val *root;
        bool generic = tgm__cbor_decode(w.b, w.n, &a, NULL, &root, NULL) == TGM_ERROR_OK;
        TT_CHECK(tgm__gmeta_check_fast(w.b, w.n, &nb) == generic);
        TT_CHECK(generic == (depth < 128));
        tgm__arena_free(&a);
    }
    /* Indefinite lengths are left to the generic path. */
    const uint8_t indef[] = {0xbf, 0x61, 'x', 0x01, 0xff};
    size_t nb;
    TT_CHECK(!tgm__gmeta_check_fast(indef, sizeof indef, &nb));
    meta_same(indef, sizeof indef);
    /* Two-byte simple values below 32 are not well-formed. */
    const uint8_t simple[] = {0xa1, 0x61, 'x', 0xf8, 0x10};
    TT_CHECK(!tgm__gmeta_check_fast(simple, sizeof simple, &nb));
    const uint8_t simple_ok[] = {0xa1, 0x61, 'x', 0xf8, 0x20};
    TT_CHECK(tgm__gmeta_check_fast(simple_ok, sizeof simple_ok, &nb));
}

static void test_metadata_mutations(void) {
    w_t w;
    for (int ff = 0; ff <= 2; ff++) {
        meta_cbor(&w, ff == 1 ? 3 : 0, ff);
        mutate(w.b, w.n, meta_same);
    }
    printf("metadata: %d taken by the direct check\n", meta_fast_taken);
    TT_CHECK(meta_fast_taken > 100);
}

/* ---- through the API: direct readers on and off ------------------------------------ */

/* What the decoding calls say about buf: codes, error texts and outputs. */
static void outcome(const uint8_t *buf, size_t len, int verify, tgm_buf *out) {
    char line[256];
    tgm_message_t *m = NULL;
    tgm_error e = tgm_decode(buf, len, 1, 1, verify, &m);
    snprintf(line, sizeof line, "decode %d %s\n", (int)e,
             e ? (tgm_last_error() ? tgm_last_error() : "") : "");
    tgm__buf_append(out, line, strlen(line));
    if (e == TGM_ERROR_OK) {
        tgm_metadata_t *md = NULL;
        if (tgm_message_metadata(m, &md) == TGM_ERROR_OK) {
            const char *j = tgm_metadata_to_json(md);
            tgm__buf_append(out, j ? j : "(null)", j ? strlen(j) : 6);
            snprintf(line, sizeof line, " n=%zu step=%lld\n", tgm_metadata_num_objects(md),
                     (long long)tgm_metadata_get_int(md, "step", -7));
            tgm__buf_append(out, line, strlen(line));
            tgm_metadata_free(md);
        }
        for (size_t i = 0; i < tgm_message_num_objects(m); i++) {
            const char *j = tgm_object_descriptor_json(m, i);
            tgm__buf_append(out, j ? j : "(null)", j ? strlen(j) : 6);
            size_t n;
            const uint8_t *d = tgm_object_data(m, i, &n);
            uint64_t h = 1469598103934665603ull;
            for (size_t k = 0; k < n; k++) {
                h = (h ^ d[k]) * 1099511628211ull;
            }
            snprintf(line, sizeof line, " %s %zu %016llx\n", tgm_object_dtype(m, i), n,
                     (unsigned long long)h);
            tgm__buf_append(out, line, strlen(line));
        }
        tgm_message_free(m);
    }
    tgm_metadata_t *md = NULL;
    e = tgm_decode_metadata(buf, len, &md);
    snprintf(line, sizeof line, "metadata %d %s\n", (int)e,
             e ? (tgm_last_error() ? tgm_last_error() : "") : "");
    tgm__buf_append(out, line, strlen(line));
    if (e == TGM_ERROR_OK) {
        const char *j = tgm_metadata_to_json(md);
        tgm__buf_append(out, j ? j : "(null)", j ? strlen(j) : 6);
        const tgm_value_t *r = tgm_metadata_reserved(md);
        snprintf(line, sizeof line, " n=%zu reserved=%zu\n", tgm_metadata_num_objects(md),
                 tgm_value_map_len(r));
        tgm__buf_append(out, line, strlen(line));
        tgm_metadata_free(md);
    }
    static uint8_t dst[1 << 16];
    size_t n = 0;
    e = tgm_decode_object_into(buf, len, 0, 1, 1, verify, NULL, dst, sizeof dst, &n);
    snprintf(line, sizeof line, "into %d %zu %s\n", (int)e, n,
             e ? (tgm_last_error() ? tgm_last_error() : "") : "");
    tgm__buf_append(out, line, strlen(line));
}

static size_t api_compared, api_ok;

static void api_same(const uint8_t *buf, size_t len, int verify) {
    tgm_buf a = TGM_BUF_INIT, b = TGM_BUF_INIT;
    tgm__meta_direct_off = true;
    outcome(buf, len, verify, &a);
    tgm__meta_direct_off = false;
    outcome(buf, len, verify, &b);
    api_compared++;
    api_ok += a.len > 9 && memcmp(a.data, "decode 0 ", 9) == 0;
    bool same = a.len == b.len && memcmp(a.data, b.data, a.len) == 0;
    TT_CHECK(same);
    if (!same) {
        fprintf(stderr, "generic:\n%.*s\ndirect:\n%.*s\n", (int)a.len, (const char *)a.data,
                (int)b.len, (const char *)b.data);
    }
    tgm__buf_free(&a);
    tgm__buf_free(&b);
}

static void api_mutations(const uint8_t *buf, size_t len) {
    api_same(buf, len, 1);
    uint8_t *m = malloc(len);
    TT_ASSERT(m != NULL);
    memcpy(m, buf, len);
    /* Every byte of a small message (its frames' CBOR and headers), a
     * stride through a large one. */
    size_t step = len <= 4096 ? 1 : len / 2048;
    for (size_t i = 0; i < len; i += step) {
        static const uint8_t flips[] = {0x01, 0x80};
        for (size_t f = 0; f < sizeof flips; f++) {
            m[i] ^= flips[f];
            api_same(m, len, 0);
            m[i] ^= flips[f];
        }
    }
    for (size_t cut = 1; cut < 64 && cut < len; cut += 7) {
        api_same(buf, len - cut, 0);
    }
    free(m);
}

static void api_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return;
    }
    static uint8_t buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    api_mutations(buf, n);
}

/* Every .tgm file of dir through api_file; the number read (-1: no such
 * directory, e.g. a checkout without ../shared). */
static long api_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (d == NULL) {
        return -1;
    }
    long n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l > 4 && strcmp(e->d_name + l - 4, ".tgm") == 0) {
            char path[1024];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            api_file(path);
            n++;
        }
    }
    closedir(d);
    return n;
}

static const char *META_ONE =
    "{\"base\":[{\"name\":\"sample\",\"step\":3}],\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":"
    "3,\"shape\":[3,8,8],\"strides\":[64,8,1],\"dtype\":\"float32\",\"byte_order\":\"little\","
    "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"none\"}]}";

static const char *META_MANY =
    "{\"base\":[{\"name\":\"a\"}],\"note\":\"top level\",\"descriptors\":["
    "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[16],\"strides\":[1],\"dtype\":\"float64\","
    "\"byte_order\":\"big\",\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"none\","
    "\"units\":\"K\",\"nested\":{\"x\":[1,2.5,null]}},"
    "{\"type\":\"ntensor\",\"ndim\":2,\"shape\":[4,4],\"strides\":[4,1],\"dtype\":\"int16\","
    "\"encoding\":\"none\",\"filter\":\"shuffle\",\"shuffle_element_size\":2,"
    "\"compression\":\"zstd\"}]}";

static void test_api_same(void) {
    float v[192];
    double dv[16];
    int16_t iv[16];
    for (int i = 0; i < 192; i++) {
        v[i] = (float)i * 0.5f;
    }
    for (int i = 0; i < 16; i++) {
        dv[i] = i * 0.25;
        iv[i] = (int16_t)(i - 8);
    }
    v[5] = 0.0f / 0.0f; /* NaN: masks in the descriptor */
    const uint8_t *p1[1] = {(const uint8_t *)v};
    size_t l1[1] = {sizeof v};
    tgm_bytes_t msg;
    TgmEncodeMaskOptions mo = {true, false, NULL, NULL, NULL, -1};
    TT_ASSERT(tgm_encode_with_options(META_ONE, p1, l1, 1, "xxh3", 1, &mo, &msg) == TGM_ERROR_OK);
    api_mutations(msg.data, msg.len);
    tgm_bytes_free(msg);
    v[5] = 1.0f;
    TT_ASSERT(tgm_encode(META_ONE, p1, l1, 1, "xxh3", 1, &msg) == TGM_ERROR_OK);
    api_mutations(msg.data, msg.len);
    tgm_bytes_free(msg);
    const uint8_t *p2[2] = {(const uint8_t *)dv, (const uint8_t *)iv};
    size_t l2[2] = {sizeof dv, sizeof iv};
    TT_ASSERT(tgm_encode(META_MANY, p2, l2, 2, NULL, 1, &msg) == TGM_ERROR_OK);
    api_mutations(msg.data, msg.len);
    tgm_bytes_free(msg);

    /* A streamed message: footer metadata, preceders, no total length. */
    char path[] = "/tmp/tgm_direct_XXXXXX";
    int fd = mkstemp(path);
    TT_ASSERT(fd >= 0);
    close(fd);
    tgm_streaming_encoder_t *enc;
    TT_CHECK_ERR(tgm_streaming_encoder_create(path, "{\"k\":1}", "xxh3", 1, &enc), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_streaming_encoder_write_preceder(enc, "{\"step\":9}"), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_streaming_encoder_write(enc,
                                             "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[16],"
                                             "\"strides\":[1],\"dtype\":\"float64\","
                                             "\"encoding\":\"none\",\"filter\":\"none\","
                                             "\"compression\":\"none\"}",
                                             (const uint8_t *)dv, sizeof dv),
                 TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_streaming_encoder_finish(enc), TGM_ERROR_OK);
    tgm_streaming_encoder_free(enc);
    api_file(path);
    unlink(path);

    TT_CHECK(api_dir(TGM_TEST_DATA_DIR "/bad") > 0);
    long golden = api_dir(TGM_DEFAULT_SHARED_DIR "/golden");
    if (golden < 0) {
        printf("SKIP golden messages: %s/golden not found\n", TGM_DEFAULT_SHARED_DIR);
    } else {
        TT_CHECK(golden > 0);
    }
    printf("api: %zu inputs compared, %zu decoded\n", api_compared, api_ok);
    TT_CHECK(api_compared > 1000);
    TT_CHECK(api_ok > 100);
}

/* ---- lazily built trees from several threads ---------------------------------------- */

#define NTHREADS 8

typedef struct {
    const tgm_message_t *msg;
    const tgm_metadata_t *md; /* shared lazy handle */
    pthread_barrier_t *bar;
    const char *want_json;
    const char *want_desc;
    int ok;
} lazy_job;

static void *lazy_thread(void *arg) {
    lazy_job *j = arg;
    pthread_barrier_wait(j->bar);
    int ok = 1;
    ok &= tgm_metadata_get_int(j->md, "step", -1) == 3;
    const tgm_value_t *name = tgm_metadata_get(j->md, "name");
    size_t n = 0;
    const char *s = tgm_value_as_string(name, &n);
    ok &= s != NULL && n == 6 && memcmp(s, "sample", 6) == 0;
    ok &= tgm_value_map_len(tgm_metadata_reserved(j->md)) > 0;
    const char *dj = tgm_object_descriptor_json(j->msg, 0);
    ok &= dj != NULL && strcmp(dj, j->want_desc) == 0;
    ok &= tgm_value_map_len(tgm_object_descriptor(j->msg, 0)) == 9;
    tgm_metadata_t *own = NULL;
    ok &= tgm_message_metadata(j->msg, &own) == TGM_ERROR_OK;
    if (own != NULL) {
        const char *mj = tgm_metadata_to_json(own);
        ok &= mj != NULL && strcmp(mj, j->want_json) == 0;
        tgm_metadata_free(own);
    }
    j->ok = ok;
    return NULL;
}

static void test_lazy_threads(void) {
    float v[192] = {0};
    const uint8_t *p[1] = {(const uint8_t *)v};
    size_t l[1] = {sizeof v};
    tgm_bytes_t msg;
    TT_ASSERT(tgm_encode(META_ONE, p, l, 1, "xxh3", 1, &msg) == TGM_ERROR_OK);
    /* The expected texts, from handles of their own. */
    tgm_message_t *ref;
    TT_ASSERT(tgm_decode(msg.data, msg.len, 1, 1, 1, &ref) == TGM_ERROR_OK);
    tgm_metadata_t *refmd;
    TT_ASSERT(tgm_message_metadata(ref, &refmd) == TGM_ERROR_OK);
    char *want_json = strdup(tgm_metadata_to_json(refmd));
    char *want_desc = strdup(tgm_object_descriptor_json(ref, 0));
    tgm_metadata_free(refmd);
    tgm_message_free(ref);
    TT_CHECK(strstr(want_desc, "\"compression\":\"none\"") != NULL);

    for (int round = 0; round < 20; round++) {
        tgm_message_t *m;
        tgm_metadata_t *md;
        TT_ASSERT(tgm_decode(msg.data, msg.len, 1, 1, 1, &m) == TGM_ERROR_OK);
        TT_ASSERT(tgm_decode_metadata(msg.data, msg.len, &md) == TGM_ERROR_OK);
        pthread_barrier_t bar;
        pthread_barrier_init(&bar, NULL, NTHREADS);
        pthread_t t[NTHREADS];
        lazy_job jobs[NTHREADS];
        for (int i = 0; i < NTHREADS; i++) {
            jobs[i] = (lazy_job){m, md, &bar, want_json, want_desc, 0};
            pthread_create(&t[i], NULL, lazy_thread, &jobs[i]);
        }
        for (int i = 0; i < NTHREADS; i++) {
            pthread_join(t[i], NULL);
            TT_CHECK(jobs[i].ok);
        }
        pthread_barrier_destroy(&bar);
        tgm_metadata_free(md);
        tgm_message_free(m);
    }
    free(want_json);
    free(want_desc);
    tgm_bytes_free(msg);
}

/* ---- the per-thread memo of the last descriptor ---------------------------------------
 * Two messages whose descriptors differ only in shape and strides (same
 * dtype, element count and payload size), decoded in turns on several
 * threads: each decode must give its own shape, strides and values,
 * whatever the thread read before (and the same descriptor with other
 * values after it, or cut short, must read as such). */

static const char *const MEMO_META[2] = {
    "{\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":2,\"shape\":[2,3],\"strides\":[3,1],"
    "\"dtype\":\"float32\",\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"none\"}]}",
    "{\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":2,\"shape\":[3,2],\"strides\":[2,1],"
    "\"dtype\":\"float32\",\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"none\"}]}"};

typedef struct {
    tgm_bytes_t msg[2];
    int phase;
    int ok;
} memo_job;

static int memo_check(const tgm_bytes_t *msg, int which) {
    tgm_message_t *m;
    if (tgm_decode(msg->data, msg->len, 1, 1, 1, &m) != TGM_ERROR_OK) {
        return 0;
    }
    const uint64_t *sh = tgm_object_shape(m, 0);
    const uint64_t *st = tgm_object_strides(m, 0);
    size_t n = 0;
    const float *v = (const float *)tgm_object_data(m, 0, &n);
    int ok = sh != NULL && st != NULL && v != NULL && n == 6 * sizeof(float);
    ok = ok && sh[0] == (which ? 3u : 2u) && sh[1] == (which ? 2u : 3u);
    ok = ok && st[0] == (which ? 2u : 3u) && st[1] == 1u;
    ok = ok && v[0] == (float)(which * 10) && v[5] == (float)(which * 10 + 5);
    tgm_message_free(m);
    return ok;
}

static void *memo_thread(void *arg) {
    memo_job *j = arg;
    int ok = 1;
    for (int i = 0; i < 300; i++) {
        int which = (i + j->phase) % 3 == 2; /* A A B A A B ...: hits and misses */
        ok &= memo_check(&j->msg[which], which);
    }
    j->ok = ok;
    return NULL;
}

static void test_descriptor_memo(void) {
    memo_job jobs[4];
    tgm_bytes_t msg[2];
    for (int k = 0; k < 2; k++) {
        float v[6];
        for (int i = 0; i < 6; i++) {
            v[i] = (float)(k * 10 + i);
        }
        const uint8_t *p[1] = {(const uint8_t *)v};
        size_t l[1] = {sizeof v};
        TT_ASSERT(tgm_encode(MEMO_META[k], p, l, 1, "xxh3", 1, &msg[k]) == TGM_ERROR_OK);
    }
    TT_CHECK(memo_check(&msg[0], 0) && memo_check(&msg[0], 0) && memo_check(&msg[1], 1) &&
             memo_check(&msg[0], 0));
    /* The same descriptor bytes with other values after them: the values
     * are read from this message (a hit on the memo takes only the
     * descriptor's bytes). */
    tgm_bytes_t other;
    float w[6] = {0, 1, 2, 3, 4, 5};
    const uint8_t *pw[1] = {(const uint8_t *)w};
    size_t lw[1] = {sizeof w};
    TT_ASSERT(tgm_encode(MEMO_META[1], pw, lw, 1, "xxh3", 1, &other) == TGM_ERROR_OK);
    TT_CHECK(memo_check(&msg[1], 1));
    TT_CHECK(!memo_check(&other, 1)); /* v[0] is 0, not 10: its own values */
    tgm_message_t *m;
    TT_ASSERT(tgm_decode(other.data, other.len, 1, 1, 1, &m) == TGM_ERROR_OK);
    size_t n = 0;
    const float *v = (const float *)tgm_object_data(m, 0, &n);
    TT_CHECK(v != NULL && n == sizeof w && v[5] == 5.0f && tgm_object_shape(m, 0)[0] == 3);
    tgm_message_free(m);
    /* A descriptor cut short right after a hit: read (and refused) anew. */
    uint8_t dbytes[256];
    size_t at = 0, dn = 0;
    /* The descriptor: the last map whose first key is "ndim" (the
     * metadata's _reserved_.tensor map comes before it). */
    for (size_t i = 1; i + 5 < msg[1].len; i++) {
        if (memcmp(msg[1].data + i, "\x64ndim", 5) == 0) {
            at = i - 1;
        }
    }
    TT_ASSERT(at > 0);
    {
        tgm_arena a = TGM_ARENA_INIT;
        tgm_descriptor d;
        size_t used = 0;
        dn = msg[1].len - at < sizeof dbytes ? msg[1].len - at : sizeof dbytes;
        memcpy(dbytes, msg[1].data + at, dn);
        TT_CHECK(tgm__desc_read_fast(&a, dbytes, dn, &d, &used) && used > 10 && used < dn);
        TT_CHECK(tgm__desc_read_fast(&a, dbytes, used, &d, &used)); /* a hit, exactly */
        TT_CHECK(d.nshape == 2 && d.shape[0] == 3 && d.shape[1] == 2);
        size_t cut = used - 1;
        TT_CHECK(!tgm__desc_read_fast(&a, dbytes, cut, &d, &used));
        desc_same(dbytes, cut);
        tgm__arena_free(&a);
    }
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (memo_job){{msg[0], msg[1]}, i, 0};
        pthread_create(&t[i], NULL, memo_thread, &jobs[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        TT_CHECK(jobs[i].ok);
    }
    tgm_bytes_free(other);
    tgm_bytes_free(msg[0]);
    tgm_bytes_free(msg[1]);
}

int main(void) {
    TT_RUN(test_descriptor_memo);
    TT_RUN(test_descriptor_forms);
    TT_RUN(test_descriptor_mutations);
    TT_RUN(test_metadata_forms);
    TT_RUN(test_metadata_mutations);
    TT_RUN(test_api_same);
    TT_RUN(test_lazy_threads);
    return tt_finish("test_direct_readers");
}
