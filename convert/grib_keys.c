/* GRIB message -> values and metadata (ecCodes).
 *
 * Keys are read the way the reference reads them (its Rust ecCodes
 * binding's "dynamic" read): by native type, long and double keys of size
 * 1 as scalars and larger ones as arrays, everything else as a string;
 * missing values and ecCodes' sentinels are left out.  What is kept where
 * is described in docs/convert.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grib_internal.h"

/* Arrays longer than this are not metadata (the reference's bound). */
#define MAX_ARRAY_LEN 8192

/* The ecCodes namespaces copied by preserve_all_keys (as the reference). */
static const char *const all_key_namespaces[] = {"ls",       "geography", "time",
                                                 "vertical", "parameter", "statistics"};

/* grib_repro: the reference's recipe for to-grib (kept for its structure
 * and for files the reference reads back). */
static const char *const repro_namespaces[] = {"geography", "parameter", "time", "vertical"};
static const char *const repro_scalar_keys[] = {"edition",
                                                "discipline",
                                                "gridType",
                                                "packingType",
                                                "bitsPerValue",
                                                "decimalScaleFactor",
                                                "tablesVersion",
                                                "centre",
                                                "subCentre",
                                                "productionStatusOfProcessedData",
                                                "typeOfProcessedData",
                                                "typeOfGeneratingProcess",
                                                "generatingProcessIdentifier",
                                                "setLocalDefinition",
                                                "grib2LocalSectionNumber",
                                                "marsClass",
                                                "marsType",
                                                "marsStream",
                                                "experimentVersionNumber"};

const char *cv_grib_errstr(int err) { return codes_get_error_message(err); }

/* ---- reading one key ------------------------------------------------------------------ */

char *cv_grib_get_string(codes_handle *h, const char *key) {
    char small[512];
    size_t len = sizeof small;
    int e = codes_get_string(h, key, small, &len);
    if (e == 0) {
        return strdup(small);
    }
    if (e != CODES_BUFFER_TOO_SMALL && e != CODES_ARRAY_TOO_SMALL) {
        return NULL;
    }
    size_t need = 0;
    if (codes_get_length(h, key, &need) != 0 || need == 0 || need > (1u << 24)) {
        return NULL;
    }
    char *p = malloc(need + 1);
    if (p == NULL) {
        return NULL;
    }
    len = need + 1;
    if (codes_get_string(h, key, p, &len) != 0) {
        free(p);
        return NULL;
    }
    p[need] = '\0';
    return p;
}

bool cv_grib_key_json(codes_handle *h, const char *key, cv_buf *b) {
    int type = 0;
    if (codes_get_native_type(h, key, &type) != 0) {
        return false;
    }
    size_t size = 0;
    switch (type) {
    case CODES_TYPE_LONG: {
        if (codes_get_size(h, key, &size) != 0 || size == 0) {
            return false;
        }
        if (size == 1) {
            long v = 0;
            if (codes_get_long(h, key, &v) != 0 || v == 2147483647L || v == -2147483647L) {
                return false;
            }
            cv_json_i64(b, v);
            return true;
        }
        if (size > MAX_ARRAY_LEN) {
            return false;
        }
        long *a = malloc(size * sizeof *a);
        if (a == NULL || codes_get_long_array(h, key, a, &size) != 0) {
            free(a);
            return false;
        }
        cv_putc(b, '[');
        for (size_t i = 0; i < size; i++) {
            cv_json_sep(b);
            cv_json_i64(b, a[i]);
        }
        cv_putc(b, ']');
        free(a);
        return true;
    }
    case CODES_TYPE_DOUBLE: {
        if (codes_get_size(h, key, &size) != 0 || size == 0) {
            return false;
        }
        if (size == 1) {
            double v = 0;
            if (codes_get_double(h, key, &v) != 0 || !isfinite(v)) {
                return false;
            }
            cv_json_f64(b, v);
            return true;
        }
        if (size > MAX_ARRAY_LEN) {
            return false;
        }
        double *a = malloc(size * sizeof *a);
        if (a == NULL || codes_get_double_array(h, key, a, &size) != 0) {
            free(a);
            return false;
        }
        for (size_t i = 0; i < size; i++) {
            if (!isfinite(a[i])) {
                free(a);
                return false;
            }
        }
        cv_putc(b, '[');
        for (size_t i = 0; i < size; i++) {
            cv_json_sep(b);
            cv_json_f64(b, a[i]);
        }
        cv_putc(b, ']');
        free(a);
        return true;
    }
    case CODES_TYPE_BYTES:
        /* In practice only `bitmap`, which is carried by the NaN mask
         * (the reference stores a wrong zero-filled copy). */
        return false;
    case CODES_TYPE_MISSING:
        return false;
    default: {
        char *s = cv_grib_get_string(h, key);
        if (s == NULL || strcmp(s, "MISSING") == 0 || strcmp(s, "not_found") == 0) {
            free(s);
            return false;
        }
        cv_json_cstr(b, s);
        free(s);
        return true;
    }
    }
}

/* Append "key":value when the key is kept. */
static void member(codes_handle *h, const char *key, cv_buf *b) {
    size_t mark = b->len;
    cv_json_key(b, key);
    if (!cv_grib_key_json(h, key, b)) {
        b->len = mark; /* roll back the key */
        if (b->p != NULL) {
            b->p[mark] = '\0';
        }
    }
}

tgm_error cv_grib_namespace_json(codes_handle *h, const char *ns, cv_buf *b) {
    codes_keys_iterator *it = codes_keys_iterator_new(h, CODES_KEYS_ITERATOR_SKIP_DUPLICATES, ns);
    if (it == NULL) {
        return cv_fail(TGM_ERROR_CONVERT, "ecCodes error: cannot iterate namespace '%s'",
                       ns ? ns : "(all)");
    }
    /* Names first, then values: reading values while iterating is not
     * allowed by every accessor. */
    char **names = NULL;
    size_t n = 0, cap = 0;
    tgm_error err = TGM_ERROR_OK;
    while (codes_keys_iterator_next(it)) {
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **p = realloc(names, cap * sizeof *p);
            if (p == NULL) {
                err = cv_oom("GRIB key names");
                break;
            }
            names = p;
        }
        names[n] = strdup(codes_keys_iterator_get_name(it));
        if (names[n] == NULL) {
            err = cv_oom("GRIB key names");
            break;
        }
        n++;
    }
    codes_keys_iterator_delete(it);
    for (size_t i = 0; i < n; i++) {
        if (err == TGM_ERROR_OK) {
            member(h, names[i], b);
        }
        free(names[i]);
    }
    free(names);
    return err;
}

/* ---- mars.area --------------------------------------------------------------------------- */

static double get_double_or(codes_handle *h, const char *key, double def) {
    int type = 0;
    double v;
    if (codes_get_native_type(h, key, &type) != 0 || type != CODES_TYPE_DOUBLE ||
        codes_get_double(h, key, &v) != 0) {
        return def;
    }
    return v;
}

long cv_grib_long_or(codes_handle *h, const char *key, long def) {
    int type = 0;
    long v;
    if (codes_get_native_type(h, key, &type) != 0 || type != CODES_TYPE_LONG ||
        codes_get_long(h, key, &v) != 0) {
        return def;
    }
    return v;
}

/* [N, W, S, E] of a regular_ll grid with standard scanning, with the one
 * normalisation the reference applies (a full-circle grid starting at the
 * dateline gets W - 360); false when the corners do not make a monotone
 * area. */
static bool regular_ll_area(codes_handle *h, double area[4]) {
    double lat_first = get_double_or(h, "latitudeOfFirstGridPointInDegrees", NAN);
    double lon_first = get_double_or(h, "longitudeOfFirstGridPointInDegrees", NAN);
    double lat_last = get_double_or(h, "latitudeOfLastGridPointInDegrees", NAN);
    double lon_last = get_double_or(h, "longitudeOfLastGridPointInDegrees", NAN);
    long i_neg = cv_grib_long_or(h, "iScansNegatively", -1);
    long j_pos = cv_grib_long_or(h, "jScansPositively", -1);
    long ni = cv_grib_long_or(h, "Ni", 0);
    double inc = get_double_or(h, "iDirectionIncrementInDegrees", NAN);
    if (i_neg != 0 || j_pos != 0) {
        return false;
    }
    if (!isfinite(lat_first) || !isfinite(lon_first) || !isfinite(lat_last) ||
        !isfinite(lon_last) || !isfinite(inc)) {
        return false;
    }
    if (ni < 2 || inc <= 0.0) {
        return false;
    }
    double west = lon_first, east = lon_last;
    if (west > east) {
        double span = (double)ni * inc;
        if (!(fabs(span - 360.0) < 0.5 * inc)) {
            return false;
        }
        double shifted = east - (west - 360.0);
        double expected = (double)(ni - 1) * inc;
        if (fabs(shifted - expected) >= 0.5 * inc) {
            return false;
        }
        west -= 360.0;
    }
    if (lat_first <= lat_last || west >= east) {
        return false;
    }
    area[0] = lat_first;
    area[1] = west;
    area[2] = lat_last;
    area[3] = east;
    return true;
}

/* ---- shape ------------------------------------------------------------------------------------
 */

/* A grid dimension, or 0 when absent or missing. */
static uint64_t grid_dim(codes_handle *h, const char *key) {
    long v = 0;
    int missing = 0;
    if (codes_get_long(h, key, &v) != 0) {
        return 0;
    }
    if (codes_is_missing(h, key, &missing) == 0 && missing) {
        return 0;
    }
    return v > 0 && v != 2147483647L ? (uint64_t)v : 0;
}

static void set_shape(cv_grib_msg *m) {
    codes_handle *h = m->h;
    uint64_t ni = grid_dim(h, "Ni"), nj = grid_dim(h, "Nj");
    if (ni == 0 || nj == 0) {
        ni = grid_dim(h, "Nx");
        nj = grid_dim(h, "Ny");
    }
    if (ni != 0 && nj != 0 && ni <= UINT64_MAX / nj && ni * nj == m->nvalues) {
        long jcons = cv_grib_long_or(h, "jPointsAreConsecutive", 0);
        m->ndim = 2;
        /* Values come in storage order: rows of Ni points, or columns of
         * Nj points when j is the consecutive direction. */
        m->shape[0] = jcons == 1 ? ni : nj;
        m->shape[1] = jcons == 1 ? nj : ni;
    } else {
        /* Reduced and unstructured grids, spectral coefficients. */
        m->ndim = 1;
        m->shape[0] = m->nvalues;
    }
}

/* ---- values ---------------------------------------------------------------------------------- */

tgm_error cv_grib_decode_into(cv_grib_msg *m, double *v, size_t declared) {
    codes_handle *h = m->h;
    size_t n = declared;
    int e = codes_get_double_array(h, "values", v, &n);
    if (e != 0) {
        return cv_fail(TGM_ERROR_CONVERT, "ecCodes error: GRIB message %zu: decoding values: %s",
                       m->index, cv_grib_errstr(e));
    }
    if (n != declared) {
        /* ecCodes reports success but fills only part of the field when
         * the data section is shorter than the packing needs. */
        return cv_fail(TGM_ERROR_CONVERT,
                       "ecCodes error: GRIB message %zu: ecCodes decoded %zu of the %zu values "
                       "the message declares (corrupt or truncated data section)",
                       m->index, n, declared);
    }
    m->has_missing = false;
    long bitmap_present = cv_grib_long_or(h, "bitmapPresent", 0);
    if (bitmap_present != 1 || n == 0) {
        return TGM_ERROR_OK;
    }
    /* Points missing from the bitmap: ecCodes gives them the
     * missingValue, which a real value may equal.  When as many points
     * equal it as the bitmap has zeros (numberOfMissing), they are the
     * missing ones; otherwise the bitmap itself says which. */
    double mv = get_double_or(h, "missingValue", 9999.0);
    long missing = cv_grib_long_or(h, "numberOfMissing", -1);
    size_t equal = 0;
    for (size_t i = 0; i < n; i++) {
        equal += v[i] == mv;
    }
    if (missing >= 0 && (size_t)missing == equal) {
        for (size_t i = 0; i < n; i++) {
            if (v[i] == mv) {
                v[i] = NAN;
            }
        }
        m->has_missing = equal > 0;
        return TGM_ERROR_OK;
    }
    size_t nb = 0;
    long *bits = NULL;
    if (codes_get_size(h, "bitmap", &nb) == 0 && nb == n &&
        (bits = malloc(nb * sizeof *bits)) != NULL &&
        codes_get_long_array(h, "bitmap", bits, &nb) == 0 && nb == n) {
        for (size_t i = 0; i < n; i++) {
            if (bits[i] == 0) {
                v[i] = NAN;
                m->has_missing = true;
            }
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            if (v[i] == mv) {
                v[i] = NAN;
                m->has_missing = true;
            }
        }
    }
    free(bits);
    return TGM_ERROR_OK;
}

/* The number of values the message declares. */
static tgm_error values_size(cv_grib_msg *m, size_t *n) {
    int e = codes_get_size(m->h, "values", n);
    if (e != 0) {
        return cv_fail(TGM_ERROR_CONVERT, "ecCodes error: GRIB message %zu: values: %s", m->index,
                       cv_grib_errstr(e));
    }
    return TGM_ERROR_OK;
}

static tgm_error read_values(cv_grib_msg *m) {
    size_t n = 0;
    tgm_error err = values_size(m, &n);
    if (err != TGM_ERROR_OK) {
        return err;
    }
    double *v = malloc((n ? n : 1) * sizeof *v);
    if (v == NULL) {
        return cv_oom("GRIB values");
    }
    err = cv_grib_decode_into(m, v, n);
    if (err != TGM_ERROR_OK) {
        free(v);
        return err;
    }
    m->values = v;
    m->nvalues = n;
    set_shape(m);
    return TGM_ERROR_OK;
}

/* ---- one message --------------------------------------------------------------------------- */

/* The base entry of m: keys, and the template. */
static tgm_error metadata(cv_grib_msg *m, bool all_keys, cv_zeros *zeros) {
    codes_handle *h = m->h;
    tgm_error err = TGM_ERROR_OK;
    cv_buf *b = &m->base;
    cv_puts(b, "{\"mars\":{");
    err = cv_grib_namespace_json(h, "mars", b);
    if (err != TGM_ERROR_OK) {
        return err;
    }
    char *grid_type = NULL;
    int type = 0;
    if (codes_get_native_type(h, "gridType", &type) == 0 && type == CODES_TYPE_STRING) {
        grid_type = cv_grib_get_string(h, "gridType");
    }
    if (grid_type != NULL) {
        cv_json_key(b, "grid");
        cv_json_cstr(b, grid_type);
        double area[4];
        if (strcmp(grid_type, "regular_ll") == 0 && regular_ll_area(h, area)) {
            cv_json_key(b, "area");
            cv_putc(b, '[');
            for (int i = 0; i < 4; i++) {
                cv_json_sep(b);
                cv_json_f64(b, area[i]);
            }
            cv_putc(b, ']');
        }
        free(grid_type);
    }
    cv_putc(b, '}');

    /* The grib_repro namespaces that --all-keys has read already (their
     * parameter concepts cost most): the same members again. */
    enum { NREPRO = sizeof repro_namespaces / sizeof repro_namespaces[0] };
    cv_buf seen[NREPRO] = {{0}};
    bool have[NREPRO] = {false};
    if (all_keys) {
        cv_puts(b, ",\"grib\":{");
        for (size_t i = 0; i < sizeof all_key_namespaces / sizeof all_key_namespaces[0]; i++) {
            cv_buf ns = {0};
            err = cv_grib_namespace_json(h, all_key_namespaces[i], &ns);
            if (err == TGM_ERROR_OK && ns.len > 0) {
                cv_json_key(b, all_key_namespaces[i]);
                cv_putc(b, '{');
                cv_putn(b, ns.p, ns.len);
                cv_putc(b, '}');
            }
            for (size_t j = 0; j < NREPRO && err == TGM_ERROR_OK && !ns.oom; j++) {
                if (!have[j] && strcmp(all_key_namespaces[i], repro_namespaces[j]) == 0) {
                    seen[j] = ns;
                    have[j] = true;
                    ns = (cv_buf){0};
                }
            }
            cv_buf_free(&ns);
            if (err != TGM_ERROR_OK) {
                break;
            }
        }
        cv_putc(b, '}');
    }

    if (err == TGM_ERROR_OK) {
        cv_puts(b, ",\"grib_repro\":{");
    }
    for (size_t i = 0; i < NREPRO && err == TGM_ERROR_OK; i++) {
        if (!have[i]) {
            err = cv_grib_namespace_json(h, repro_namespaces[i], b);
        } else if (seen[i].len > 0) {
            /* As if appended member by member: a separator before the
             * first unless b has just opened its object. */
            cv_json_sep(b);
            cv_putn(b, seen[i].p, seen[i].len);
        }
    }
    for (size_t i = 0; i < NREPRO; i++) {
        cv_buf_free(&seen[i]);
    }
    if (err != TGM_ERROR_OK) {
        return err;
    }
    for (size_t i = 0; i < sizeof repro_scalar_keys / sizeof repro_scalar_keys[0]; i++) {
        member(h, repro_scalar_keys[i], b);
    }
    cv_buf tmpl = {0}, restore = {0};
    err = cv_grib_template_json(h, zeros, &tmpl, &restore);
    if (err == TGM_ERROR_OK) {
        cv_json_key(b, "_template");
        cv_putn(b, tmpl.p, tmpl.len);
        cv_json_key(b, "_restore");
        cv_putn(b, restore.p, restore.len);
    }
    cv_buf_free(&tmpl);
    cv_buf_free(&restore);
    if (err != TGM_ERROR_OK) {
        return err;
    }
    cv_puts(b, "}}");
    return b->oom ? cv_oom("GRIB metadata") : TGM_ERROR_OK;
}

tgm_error cv_grib_extract(cv_grib_msg *m, bool all_keys, cv_zeros *zeros) {
    tgm_error err = read_values(m);
    return err != TGM_ERROR_OK ? err : metadata(m, all_keys, zeros);
}

tgm_error cv_grib_prepare(cv_grib_msg *m, bool all_keys, cv_zeros *zeros) {
    size_t n = 0;
    tgm_error err = values_size(m, &n);
    if (err != TGM_ERROR_OK) {
        return err;
    }
    m->nvalues = n;
    set_shape(m);
    /* numberOfMissing counts the zeros of the bitmap. */
    m->may_miss = n > 0 && cv_grib_long_or(m->h, "bitmapPresent", 0) == 1 &&
                  cv_grib_long_or(m->h, "numberOfMissing", -1) != 0;
    return metadata(m, all_keys, zeros);
}
