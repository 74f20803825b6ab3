/* GRIB converters against ecCodes itself.  The inputs are made here from
 * ecCodes' own samples (GRIB 1 and 2; regular and reduced lat-lon and
 * Gaussian grids, rotated, polar stereographic, spectral), given realistic
 * values, with and without bitmaps:
 *  - decoded objects equal codes_get_double_array exactly (NaN where the
 *    bitmap says a point is missing), shapes [Nj, Ni] or [n];
 *  - mars keys equal what ecCodes reads;
 *  - to-grib rebuilds every message: same values, same coded keys (and
 *    the same bytes for the grid-point packings);
 *  - grouping, buffers with garbage around them, threads, simple_packing,
 *    and clean errors on empty, garbage and truncated input. */
#include <eccodes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tensogram/convert.h"
#include "tt.h"

static const char *const samples[] = {
    "regular_ll_sfc_grib2", "regular_ll_pl_grib1",    "regular_gg_pl_grib2",
    "regular_gg_sfc_grib1", "reduced_gg_pl_32_grib2", "reduced_gg_pl_32_grib1",
    "reduced_ll_sfc_grib2", "rotated_ll_sfc_grib2",   "polar_stereographic_pl_grib2",
    "sh_ml_grib2",          "sh_sfc_grib1",           "gg_sfc_grib2",
};
#define NSAMPLES (sizeof samples / sizeof samples[0])

typedef struct {
    uint8_t *data;
    size_t len;
} blob;

/* A message of sample s with a smooth field (every 97th point missing
 * when `bitmap`), as bytes. */
static blob make_message(const char *s, bool bitmap) {
    blob b = {NULL, 0};
    codes_handle *h = codes_grib_handle_new_from_samples(NULL, s);
    if (h == NULL) {
        return b;
    }
    size_t n = 0;
    codes_get_size(h, "values", &n);
    double *v = malloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++) {
        v[i] = 250.0 + 30.0 * sin((double)i * 0.013) + (double)(i % 11) * 0.07;
    }
    if (bitmap) {
        for (size_t i = 0; i < n; i += 97) {
            v[i] = 9999.0;
        }
        codes_set_double(h, "missingValue", 9999.0);
        codes_set_long(h, "bitmapPresent", 1);
    }
    if (codes_set_double_array(h, "values", v, n) == 0) {
        const void *m;
        size_t len;
        codes_get_message(h, &m, &len);
        b.data = malloc(len);
        memcpy(b.data, m, len);
        b.len = len;
    }
    free(v);
    codes_handle_delete(h);
    return b;
}

/* Values of a GRIB message as ecCodes gives them, missing points NaN. */
static double *eccodes_values(const blob *b, size_t *n, long *ni, long *nj, char *grid,
                              size_t gcap) {
    codes_handle *h = codes_handle_new_from_message(NULL, b->data, b->len);
    codes_get_size(h, "values", n);
    double *v = malloc(*n * sizeof *v);
    codes_get_double_array(h, "values", v, n);
    long bmp = 0;
    codes_get_long(h, "bitmapPresent", &bmp);
    if (bmp) {
        double mv = 0;
        codes_get_double(h, "missingValue", &mv);
        for (size_t i = 0; i < *n; i++) {
            if (v[i] == mv) {
                v[i] = NAN;
            }
        }
    }
    int miss = 0;
    *ni = *nj = 0;
    if (codes_get_long(h, "Ni", ni) != 0 || (codes_is_missing(h, "Ni", &miss) == 0 && miss)) {
        *ni = 0;
    }
    if (codes_get_long(h, "Nj", nj) != 0) {
        *nj = 0;
    }
    codes_get_string(h, "gridType", grid, &gcap);
    codes_handle_delete(h);
    return v;
}

static bool same_values(const double *a, const double *b, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (!(a[i] == b[i] || (isnan(a[i]) && isnan(b[i])))) {
            return false;
        }
    }
    return true;
}

/* Every coded key of `a` reads the same in `b` (grib_compare's job, done
 * through the API); `skip` names keys allowed to differ. */
static int coded_key_differences(const blob *a, const blob *b) {
    codes_handle *ha = codes_handle_new_from_message(NULL, a->data, a->len);
    codes_handle *hb = codes_handle_new_from_message(NULL, b->data, b->len);
    unsigned long flags = CODES_KEYS_ITERATOR_SKIP_READ_ONLY | CODES_KEYS_ITERATOR_SKIP_COMPUTED |
                          CODES_KEYS_ITERATOR_SKIP_FUNCTION | CODES_KEYS_ITERATOR_SKIP_DUPLICATES;
    codes_keys_iterator *it = codes_keys_iterator_new(ha, flags, NULL);
    int diffs = 0;
    while (codes_keys_iterator_next(it)) {
        const char *k = codes_keys_iterator_get_name(it);
        if (strcmp(k, "values") == 0 || strcmp(k, "codedValues") == 0 ||
            strstr(k, "itmap") != NULL) {
            continue;
        }
        size_t sz = 0;
        codes_get_size(ha, k, &sz);
        if (sz != 1) {
            continue;
        }
        char va[1024], vb[1024];
        size_t la = sizeof va, lb = sizeof vb;
        int ea = codes_get_string(ha, k, va, &la), eb = codes_get_string(hb, k, vb, &lb);
        if (ea != eb || (ea == 0 && strcmp(va, vb) != 0)) {
            fprintf(stderr, "  key %s: %s != %s\n", k, ea == 0 ? va : "?", eb == 0 ? vb : "?");
            diffs++;
        }
    }
    codes_keys_iterator_delete(it);
    codes_handle_delete(ha);
    codes_handle_delete(hb);
    return diffs;
}

static void test_values_keys_and_round_trip(void) {
    for (size_t s = 0; s < NSAMPLES; s++) {
        for (int bitmap = 0; bitmap < 2; bitmap++) {
            if (bitmap && strncmp(samples[s], "sh_", 3) == 0) {
                continue; /* spectral coefficients have no bitmap */
            }
            blob g = make_message(samples[s], bitmap);
            TT_ASSERT(g.data != NULL);
            tgm_convert_result_t *r = NULL;
            TT_CHECK_ERR(tgm_convert_grib_buffer(g.data, g.len, NULL, &r), TGM_ERROR_OK);
            TT_ASSERT(r != NULL && tgm_convert_result_count(r) == 1);
            size_t mlen;
            const uint8_t *msg = tgm_convert_result_message(r, 0, &mlen);
            tgm_message_t *m = NULL;
            TT_ASSERT(tgm_decode(msg, mlen, 1, 0, 1, &m) == TGM_ERROR_OK);
            size_t n;
            long ni, nj;
            char grid[64];
            double *want = eccodes_values(&g, &n, &ni, &nj, grid, sizeof grid);
            size_t dl;
            const double *got = (const double *)tgm_object_data(m, 0, &dl);
            TT_CHECK_EQ_STR(tgm_object_dtype(m, 0), "float64");
            TT_CHECK(dl == n * 8 && same_values(got, want, n));
            const uint64_t *shape = tgm_object_shape(m, 0);
            if (ni > 0 && nj > 0 && (size_t)(ni * nj) == n) {
                TT_CHECK(tgm_object_ndim(m, 0) == 2 && shape[0] == (uint64_t)nj &&
                         shape[1] == (uint64_t)ni);
            } else {
                TT_CHECK(tgm_object_ndim(m, 0) == 1 && shape[0] == n);
            }
            /* mars keys as ecCodes reads them. */
            tgm_metadata_t *md = NULL;
            TT_ASSERT(tgm_message_metadata(m, &md) == TGM_ERROR_OK);
            TT_CHECK_EQ_STR(tgm_metadata_get_string_at(md, 0, "mars.grid"), grid);
            codes_handle *h = codes_handle_new_from_message(NULL, g.data, g.len);
            long param = -1;
            codes_get_long(h, "paramId", &param);
            TT_CHECK_EQ_INT(tgm_metadata_get_int_at(md, 0, "grib_repro.paramId", -2), param);
            codes_handle_delete(h);
            /* Back to GRIB. */
            tgm_bytes_t back = {NULL, 0};
            tgm_error be = tgm_convert_to_grib(msg, mlen, NULL, &back);
            TT_CHECK_ERR(be, TGM_ERROR_OK);
            if (be != TGM_ERROR_OK) {
                fprintf(stderr, "  (%s, bitmap %d)\n", samples[s], bitmap);
                free(want);
                tgm_metadata_free(md);
                tgm_message_free(m);
                tgm_convert_result_free(r);
                free(g.data);
                continue;
            }
            blob bb = {back.data, back.len};
            size_t n2;
            long ni2, nj2;
            char grid2[64];
            double *again = eccodes_values(&bb, &n2, &ni2, &nj2, grid2, sizeof grid2);
            bool spectral = strncmp(samples[s], "sh_", 3) == 0;
            TT_CHECK(n2 == n);
            if (spectral) {
                /* Complex packing packs again within its precision. */
                double worst = 0;
                for (size_t i = 0; i < n && i < n2; i++) {
                    worst = fmax(worst, fabs(again[i] - want[i]));
                }
                TT_CHECK(worst < 0.02);
            } else {
                TT_CHECK(n2 == n && same_values(again, want, n));
                int diffs = coded_key_differences(&g, &bb);
                if (diffs != 0) {
                    fprintf(stderr, "  (%s, bitmap %d)\n", samples[s], bitmap);
                }
                TT_CHECK_EQ_INT(diffs, 0);
                /* A GRIB message made from values that were never packed
                 * packs differently the first time; from then on the round
                 * trip gives the message back byte for byte. */
                tgm_convert_result_t *r2 = NULL;
                tgm_bytes_t back2 = {NULL, 0};
                size_t l2 = 0;
                TT_CHECK_ERR(tgm_convert_grib_buffer(back.data, back.len, NULL, &r2), TGM_ERROR_OK);
                const uint8_t *m2 = tgm_convert_result_message(r2, 0, &l2);
                TT_CHECK_ERR(tgm_convert_to_grib(m2, l2, NULL, &back2), TGM_ERROR_OK);
                TT_CHECK(back2.len == back.len && memcmp(back2.data, back.data, back.len) == 0);
                tgm_bytes_free(back2);
                tgm_convert_result_free(r2);
            }
            free(again);
            free(want);
            tgm_bytes_free(back);
            tgm_metadata_free(md);
            tgm_message_free(m);
            tgm_convert_result_free(r);
            free(g.data);
        }
    }
}

/* Several messages: merge_all / one_to_one, threads, garbage around them,
 * file and buffer alike, the sink and progress callbacks. */
typedef struct {
    size_t messages, bytes;
    uint64_t last_done, last_total;
} counters;

static tgm_error count_sink(void *u, const uint8_t *m, size_t len) {
    counters *c = u;
    (void)m;
    c->messages++;
    c->bytes += len;
    return TGM_ERROR_OK;
}

static void count_progress(void *u, uint64_t done, uint64_t total) {
    counters *c = u;
    c->last_done = done;
    c->last_total = total;
}

/* Decoded values of every object of every message, concatenated. */
static double *all_values(tgm_convert_result_t *r, size_t *count) {
    double *out = NULL;
    size_t n = 0;
    for (size_t i = 0; i < tgm_convert_result_count(r); i++) {
        size_t len;
        const uint8_t *msg = tgm_convert_result_message(r, i, &len);
        tgm_message_t *m = NULL;
        if (tgm_decode(msg, len, 1, 0, 1, &m) != TGM_ERROR_OK) {
            break;
        }
        for (size_t k = 0; k < tgm_message_num_objects(m); k++) {
            size_t dl;
            const uint8_t *d = tgm_object_data(m, k, &dl);
            out = realloc(out, (n + dl / 8) * sizeof *out);
            memcpy(out + n, d, dl);
            n += dl / 8;
        }
        tgm_message_free(m);
    }
    *count = n;
    return out;
}

static void test_grouping_threads_buffers(void) {
    /* Five messages with garbage before, between and after. */
    size_t cap = 1 << 20, len = 0;
    uint8_t *buf = malloc(cap);
    memcpy(buf, "JUNK JUNK\n", 10);
    len = 10;
    for (size_t s = 0; s < 5; s++) {
        blob g = make_message(samples[s], s == 2);
        TT_ASSERT(len + g.len + 16 < cap);
        memcpy(buf + len, g.data, g.len);
        len += g.len;
        memcpy(buf + len, "\0\0\0\0 between", 12);
        len += 12;
        free(g.data);
    }
    char path[] = "/tmp/tgm-test-grib-XXXXXX";
    int fd = mkstemp(path);
    TT_ASSERT(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    fwrite(buf, 1, len, f);
    fclose(f);

    double *ref = NULL;
    size_t nref = 0;
    for (int threads = 1; threads <= 4; threads += 3) {
        for (int group = 0; group < 2; group++) {
            for (int from_file = 0; from_file < 2; from_file++) {
                tgm_convert_options o = TGM_CONVERT_OPTIONS_INIT;
                o.threads = (uint32_t)threads;
                o.grib_grouping = group ? TGM_GRIB_ONE_TO_ONE : TGM_GRIB_MERGE_ALL;
                tgm_convert_result_t *r = NULL;
                tgm_error e = from_file ? tgm_convert_grib_file(path, &o, &r)
                                        : tgm_convert_grib_buffer(buf, len, &o, &r);
                TT_CHECK_ERR(e, TGM_ERROR_OK);
                TT_CHECK_EQ_INT(tgm_convert_result_count(r), group ? 5 : 1);
                size_t n;
                double *v = all_values(r, &n);
                if (ref == NULL) {
                    ref = v;
                    nref = n;
                } else {
                    TT_CHECK(n == nref && same_values(v, ref, n));
                    free(v);
                }
                tgm_convert_result_free(r);
            }
        }
    }
    /* Messages to a sink, with progress. */
    counters c = {0, 0, 0, 0};
    tgm_convert_options o = TGM_CONVERT_OPTIONS_INIT;
    o.grib_grouping = TGM_GRIB_ONE_TO_ONE;
    o.sink = count_sink;
    o.sink_user = &c;
    o.progress = count_progress;
    o.progress_user = &c;
    TT_CHECK_ERR(tgm_convert_grib_file(path, &o, NULL), TGM_ERROR_OK);
    TT_CHECK_EQ_INT(c.messages, 5);
    TT_CHECK(c.last_done == 5 && c.last_total == 5);
    remove(path);
    free(ref);

    /* simple_packing + szip: within half a packing step of ecCodes'. */
    blob g = make_message("regular_ll_sfc_grib2", true);
    o = (tgm_convert_options)TGM_CONVERT_OPTIONS_INIT;
    o.encoding = "simple_packing";
    o.bits = 16;
    o.compression = "szip";
    tgm_convert_result_t *r = NULL;
    TT_CHECK_ERR(tgm_convert_grib_buffer(g.data, g.len, &o, &r), TGM_ERROR_OK);
    size_t n, nw;
    long ni, nj;
    char grid[64];
    double *v = all_values(r, &n);
    double *want = eccodes_values(&g, &nw, &ni, &nj, grid, sizeof grid);
    double lo = INFINITY, hi = -INFINITY, worst = 0;
    for (size_t i = 0; i < nw; i++) {
        if (!isnan(want[i])) {
            lo = fmin(lo, want[i]);
            hi = fmax(hi, want[i]);
        }
    }
    bool nan_ok = n == nw;
    for (size_t i = 0; i < n && i < nw; i++) {
        nan_ok = nan_ok && isnan(v[i]) == isnan(want[i]);
        if (!isnan(want[i])) {
            worst = fmax(worst, fabs(v[i] - want[i]));
        }
    }
    TT_CHECK(nan_ok);
    TT_CHECK(worst <= (hi - lo) / 65535.0);
    free(v);
    free(want);
    tgm_convert_result_free(r);
    free(g.data);
    free(buf);
}

static void test_errors(void) {
    tgm_convert_result_t *r = NULL;
    uint8_t one = 0;
    TT_CHECK_ERR(tgm_convert_grib_buffer(&one, 0, NULL, &r), TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm_convert_grib_buffer((const uint8_t *)"no gr1b in here", 15, NULL, &r),
                 TGM_ERROR_INVALID_ARG);
    TT_CHECK(strstr(tgm_last_error(), "no GRIB messages") != NULL);
    TT_CHECK_ERR(tgm_convert_grib_file("/nonexistent/x.grib2", NULL, &r), TGM_ERROR_IO);
    blob g = make_message("regular_ll_sfc_grib2", false);
    /* Every truncation: a clean error; once the message's indicator
     * section (16 bytes) is there, one that says the message is cut. */
    for (size_t cut = 1; cut < g.len; cut += (cut < 200 ? 1 : 997)) {
        tgm_error e = tgm_convert_grib_buffer(g.data, cut, NULL, &r);
        TT_CHECK(e == TGM_ERROR_CONVERT || e == TGM_ERROR_INVALID_ARG);
        if (e == TGM_ERROR_OK) {
            tgm_convert_result_free(r);
        } else if (cut >= 16 && strstr(tgm_last_error(), "GRIB message 0 is truncated") == NULL) {
            fprintf(stderr, "  cut at %zu of %zu: %s\n", cut, g.len, tgm_last_error());
            TT_CHECK(false);
        }
    }
    tgm_convert_options o = TGM_CONVERT_OPTIONS_INIT;
    o.compression = "snappy";
    TT_CHECK_ERR(tgm_convert_grib_buffer(g.data, g.len, &o, &r), TGM_ERROR_INVALID_ARG);
    TT_CHECK(strstr(tgm_last_error(), "unknown compression 'snappy'") != NULL);
    o = (tgm_convert_options)TGM_CONVERT_OPTIONS_INIT;
    o.encoding = "simple_packing";
    o.bits = 65;
    TT_CHECK_ERR(tgm_convert_grib_buffer(g.data, g.len, &o, &r), TGM_ERROR_ENCODING);
    TT_CHECK(strstr(tgm_last_error(), "bits_per_value 65 exceeds maximum of 64") != NULL);
    /* to-grib on a message that did not come from GRIB. */
    const char *meta = "{\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[1],"
                       "\"strides\":[1],\"dtype\":\"float64\",\"byte_order\":\"little\","
                       "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"none\"}]}";
    double x = 1;
    const uint8_t *p[1] = {(const uint8_t *)&x};
    size_t l[1] = {8};
    tgm_bytes_t msg = {NULL, 0}, out = {NULL, 0};
    TT_ASSERT(tgm_encode(meta, p, l, 1, NULL, 0, &msg) == TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_convert_to_grib(msg.data, msg.len, NULL, &out), TGM_ERROR_INVALID_ARG);
    TT_CHECK(strstr(tgm_last_error(), "grib_repro") != NULL);
    TT_CHECK_ERR(tgm_convert_to_grib((const uint8_t *)"garbage", 7, NULL, &out), TGM_ERROR_FRAMING);
    tgm_bytes_free(msg);
    free(g.data);
}

/* A point present in the bitmap whose value equals ecCodes' missingValue
 * (9999 when read back) stays a value; only the bitmap's zeros are NaN. */
static void test_present_value_equal_to_missing_value(void) {
    codes_handle *h = codes_grib_handle_new_from_samples(NULL, "regular_ll_sfc_grib2");
    TT_ASSERT(h != NULL);
    size_t len = 9;
    TT_ASSERT(codes_set_string(h, "packingType", "grid_ieee", &len) == 0);
    size_t n = 0;
    codes_get_size(h, "values", &n);
    double *v = malloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++) {
        v[i] = i % 5 == 0 ? -1.0 : (double)(i % 100);
    }
    v[1] = 9999.0; /* present, and equal to the missingValue of a reader */
    codes_set_double(h, "missingValue", -1.0);
    codes_set_long(h, "bitmapPresent", 1);
    TT_ASSERT(codes_set_double_array(h, "values", v, n) == 0);
    const void *m = NULL;
    size_t mlen = 0;
    codes_get_message(h, &m, &mlen);
    tgm_convert_result_t *r = NULL;
    TT_ASSERT(tgm_convert_grib_buffer(m, mlen, NULL, &r) == TGM_ERROR_OK);
    size_t tlen = 0;
    const uint8_t *t = tgm_convert_result_message(r, 0, &tlen);
    tgm_message_t *dm = NULL;
    TT_ASSERT(tgm_decode(t, tlen, 1, 0, 1, &dm) == TGM_ERROR_OK);
    size_t nb = 0;
    const double *got = (const double *)tgm_object_data(dm, 0, &nb);
    TT_ASSERT(nb == n * sizeof(double));
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        bool want_nan = i % 5 == 0;
        if (want_nan ? !isnan(got[i]) : got[i] != v[i]) {
            bad++;
        }
    }
    TT_CHECK(bad == 0);
    TT_CHECK(got[1] == 9999.0);
    tgm_message_free(dm);
    tgm_convert_result_free(r);
    codes_handle_delete(h);
    free(v);
}

/* The to-grib template of a message as ecCodes makes it: values zeroed, no
 * bitmap (hex), and the names of the coded scalar keys that change. */
static bool data_key(const char *k) {
    return strcmp(k, "values") == 0 || strcmp(k, "codedValues") == 0 ||
           strcmp(k, "numberOfValues") == 0 || strcmp(k, "numberOfCodedValues") == 0 ||
           strcmp(k, "packedValues") == 0 || strstr(k, "itmap") != NULL ||
           strstr(k, "itMap") != NULL;
}

static char *eccodes_template(const blob *b, char changed[][64], size_t *nchanged) {
    codes_handle *o = codes_handle_new_from_message(NULL, b->data, b->len);
    codes_handle *t = codes_handle_new_from_message_copy(NULL, b->data, b->len);
    size_t n = 0;
    codes_get_size(t, "values", &n);
    long bmp = 0;
    codes_get_long(t, "bitmapPresent", &bmp);
    if (bmp) {
        codes_set_long(t, "bitmapPresent", 0);
    }
    double *z = calloc(n, sizeof *z);
    codes_set_double_array(t, "values", z, n);
    free(z);
    const void *m = NULL;
    size_t len = 0;
    codes_get_message(t, &m, &len);
    char *hex = malloc(2 * len + 1);
    for (size_t i = 0; i < len; i++) {
        snprintf(hex + 2 * i, 3, "%02x", ((const uint8_t *)m)[i]);
    }
    unsigned long flags = CODES_KEYS_ITERATOR_SKIP_READ_ONLY | CODES_KEYS_ITERATOR_SKIP_COMPUTED |
                          CODES_KEYS_ITERATOR_SKIP_FUNCTION | CODES_KEYS_ITERATOR_SKIP_DUPLICATES;
    codes_keys_iterator *it = codes_keys_iterator_new(o, flags, NULL);
    *nchanged = 0;
    while (codes_keys_iterator_next(it)) {
        const char *k = codes_keys_iterator_get_name(it);
        size_t sz = 0;
        if (data_key(k) || codes_get_size(o, k, &sz) != 0 || sz != 1) {
            continue;
        }
        char va[1024], vb[1024];
        size_t la = sizeof va, lb = sizeof vb;
        if (codes_get_string(o, k, va, &la) == 0 &&
            (codes_get_string(t, k, vb, &lb) != 0 || strcmp(va, vb) != 0) && *nchanged < 16) {
            snprintf(changed[(*nchanged)++], 64, "%s", k);
        }
    }
    codes_keys_iterator_delete(it);
    codes_handle_delete(o);
    codes_handle_delete(t);
    return hex;
}

/* The template stored in grib_repro is the one ecCodes makes, whether it
 * came from ecCodes or was written from the message's bytes (simple and
 * CCSDS packing): every sample, several packings, with and without a
 * bitmap and decimal scaling. */
static void test_template_as_eccodes_makes_it(void) {
    static const char *const packings[] = {NULL, "grid_simple", "grid_ccsds"};
    size_t checked = 0;
    for (size_t s = 0; s < NSAMPLES; s++) {
        for (size_t p = 0; p < 3; p++) {
            for (int k = 0; k < 4; k++) {
                if ((k & 1) && strncmp(samples[s], "sh_", 3) == 0) {
                    continue; /* spectral fields have no bitmap */
                }
                codes_handle *h = codes_grib_handle_new_from_samples(NULL, samples[s]);
                TT_ASSERT(h != NULL);
                long edition = 0;
                codes_get_long(h, "edition", &edition);
                size_t plen = packings[p] ? strlen(packings[p]) : 0;
                if (packings[p] != NULL &&
                    (edition != 2 || codes_set_string(h, "packingType", packings[p], &plen))) {
                    codes_handle_delete(h);
                    continue;
                }
                if (k & 2) {
                    codes_set_long(h, "decimalScaleFactor", 1);
                }
                size_t n = 0;
                codes_get_size(h, "values", &n);
                double *v = malloc(n * sizeof *v);
                for (size_t i = 0; i < n; i++) {
                    v[i] = (k & 1) && i % 13 == 5 ? 9999.0 : 280.0 + 7.5 * cos((double)i * 0.1);
                }
                if (k & 1) {
                    codes_set_double(h, "missingValue", 9999.0);
                    codes_set_long(h, "bitmapPresent", 1);
                }
                int e = codes_set_double_array(h, "values", v, n);
                free(v);
                const void *m = NULL;
                blob b = {NULL, 0};
                if (e == 0 && codes_get_message(h, &m, &b.len) == 0) {
                    b.data = malloc(b.len);
                    memcpy(b.data, m, b.len);
                }
                codes_handle_delete(h);
                if (b.data == NULL) {
                    continue;
                }
                char changed[16][64];
                size_t nchanged = 0;
                char *want = eccodes_template(&b, changed, &nchanged);
                tgm_convert_result_t *r = NULL;
                TT_ASSERT(tgm_convert_grib_buffer(b.data, b.len, NULL, &r) == TGM_ERROR_OK);
                size_t tlen = 0;
                const uint8_t *t = tgm_convert_result_message(r, 0, &tlen);
                tgm_message_t *dm = NULL;
                tgm_metadata_t *meta = NULL;
                TT_ASSERT(tgm_decode(t, tlen, 1, 0, 1, &dm) == TGM_ERROR_OK);
                TT_ASSERT(tgm_message_metadata(dm, &meta) == TGM_ERROR_OK);
                const tgm_value_t *repro = tgm_metadata_get_at(meta, 0, "grib_repro");
                TT_ASSERT(repro != NULL);
                size_t hl = 0;
                const char *hex = tgm_value_as_string(tgm_value_map_get(repro, "_template"), &hl);
                bool same = hex != NULL && hl == strlen(want) && memcmp(hex, want, hl) == 0;
                const tgm_value_t *restore = tgm_value_map_get(repro, "_restore");
                bool keys = restore != NULL && tgm_value_array_len(restore) == nchanged;
                for (size_t i = 0; keys && i < nchanged; i++) {
                    size_t kl = 0;
                    const tgm_value_t *pair = tgm_value_array_get(restore, i);
                    const char *name = tgm_value_as_string(tgm_value_array_get(pair, 0), &kl);
                    keys = name != NULL && kl == strlen(changed[i]) &&
                           memcmp(name, changed[i], kl) == 0;
                }
                if (!same || !keys) {
                    fprintf(stderr, "  %s %s bitmap %d decimal %d: template %s, restore %s\n",
                            samples[s], packings[p] ? packings[p] : "(sample's)", k & 1, k >> 1,
                            same ? "same" : "differs", keys ? "same" : "differs");
                }
                TT_CHECK(same);
                TT_CHECK(keys);
                checked++;
                free(want);
                tgm_metadata_free(meta);
                tgm_message_free(dm);
                tgm_convert_result_free(r);
                free(b.data);
            }
        }
    }
    TT_CHECK(checked >= 40);
}

int main(void) {
    TT_RUN(test_present_value_equal_to_missing_value);
    TT_RUN(test_template_as_eccodes_makes_it);
    TT_RUN(test_values_keys_and_round_trip);
    TT_RUN(test_grouping_threads_buffers);
    TT_RUN(test_errors);
    return tt_finish("convert_test_grib");
}
