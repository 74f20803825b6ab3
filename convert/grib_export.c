/* Tensogram -> GRIB (tgm_convert_to_grib).
 *
 * Objects made by our importer carry in grib_repro a template of their
 * original GRIB message (values zeroed, no bitmap) and the coded keys the
 * zeroing changed: ecCodes reads the template, those keys are set again,
 * then the values, which ecCodes packs as the original was packed.  Headers
 * come back as they were, for any grid and template ecCodes can write.
 *
 * Objects made by the reference carry only the grib_repro keys: they are
 * set on an ecCodes sample of the same edition and grid type, in an order
 * that respects ecCodes' dependencies (template selectors first, the level
 * type before the level, packing before values).  That rebuild is as good
 * as those keys allow. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "grib_internal.h"

/* ---- setting keys from metadata values ------------------------------------------------ */

/* Set one key from a metadata value; ecCodes' error code (0 on success). */
static int set_value(codes_handle *h, const char *key, const tgm_value_t *v) {
    switch (tgm_value_get_type(v)) {
    case TGM_VALUE_TYPE_INT: {
        int64_t i;
        if (!tgm_value_as_i64(v, &i) || i < LONG_MIN || i > LONG_MAX) {
            return CODES_INVALID_ARGUMENT;
        }
        return codes_set_long(h, key, (long)i);
    }
    case TGM_VALUE_TYPE_FLOAT: {
        double d;
        tgm_value_as_f64(v, &d);
        return codes_set_double(h, key, d);
    }
    case TGM_VALUE_TYPE_STRING: {
        size_t n = 0;
        const char *s = tgm_value_as_string(v, &n);
        char *z = malloc(n + 1);
        if (z == NULL) {
            return CODES_OUT_OF_MEMORY;
        }
        memcpy(z, s, n);
        z[n] = '\0';
        size_t len = n;
        int e = codes_set_string(h, key, z, &len);
        free(z);
        return e;
    }
    case TGM_VALUE_TYPE_ARRAY: {
        size_t n = tgm_value_array_len(v);
        if (n == 0) {
            return 0;
        }
        bool all_int = true;
        for (size_t i = 0; i < n; i++) {
            all_int =
                all_int && tgm_value_get_type(tgm_value_array_get(v, i)) == TGM_VALUE_TYPE_INT;
        }
        int e;
        if (all_int) {
            long *a = malloc(n * sizeof *a);
            if (a == NULL) {
                return CODES_OUT_OF_MEMORY;
            }
            for (size_t i = 0; i < n; i++) {
                int64_t x = 0;
                tgm_value_as_i64(tgm_value_array_get(v, i), &x);
                a[i] = (long)x;
            }
            e = codes_set_long_array(h, key, a, n);
            free(a);
        } else {
            double *a = malloc(n * sizeof *a);
            if (a == NULL) {
                return CODES_OUT_OF_MEMORY;
            }
            for (size_t i = 0; i < n; i++) {
                double x = 0;
                if (!tgm_value_as_f64(tgm_value_array_get(v, i), &x)) {
                    free(a);
                    return CODES_INVALID_ARGUMENT;
                }
                a[i] = x;
            }
            e = codes_set_double_array(h, key, a, n);
            free(a);
        }
        return e;
    }
    default:
        return CODES_INVALID_ARGUMENT;
    }
}

/* ---- the template path ------------------------------------------------------------------ */

static tgm_error from_template(const tgm_value_t *repro, const tgm_value_t *tmpl, size_t obj,
                               codes_handle **out) {
    size_t hl = 0;
    const char *hex = tgm_value_as_string(tmpl, &hl);
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (hex == NULL || !cv_unhex(hex, hl, &bytes, &len)) {
        return cv_fail(TGM_ERROR_INVALID_ARG,
                       "object %zu: grib_repro._template is not a hex string of a GRIB message",
                       obj);
    }
    codes_handle *h = codes_handle_new_from_message_copy(NULL, bytes, len);
    free(bytes);
    if (h == NULL) {
        return cv_fail(TGM_ERROR_CONVERT,
                       "ecCodes error: object %zu: grib_repro._template is not a GRIB message "
                       "ecCodes can read",
                       obj);
    }
    const tgm_value_t *restore = tgm_value_map_get(repro, "_restore");
    size_t n = restore != NULL ? tgm_value_array_len(restore) : 0;
    for (size_t i = 0; i < n; i++) {
        const tgm_value_t *pair = tgm_value_array_get(restore, i);
        size_t kl = 0;
        const char *k = tgm_value_array_len(pair) == 2
                            ? tgm_value_as_string(tgm_value_array_get(pair, 0), &kl)
                            : NULL;
        if (k == NULL || kl == 0 || kl > 255 || memchr(k, '\0', kl) != NULL) {
            codes_handle_delete(h);
            return cv_fail(TGM_ERROR_INVALID_ARG,
                           "object %zu: grib_repro._restore[%zu] is not a [key, value] pair", obj,
                           i);
        }
        char key[256];
        memcpy(key, k, kl);
        key[kl] = '\0';
        int e = set_value(h, key, tgm_value_array_get(pair, 1));
        if (e != 0) {
            codes_handle_delete(h);
            return cv_fail(TGM_ERROR_CONVERT, "ecCodes error: object %zu: setting %s: %s", obj, key,
                           cv_grib_errstr(e));
        }
    }
    *out = h;
    return TGM_ERROR_OK;
}

/* ---- the sample path (files from the reference) ------------------------------------------- */

/* Keys set first, in this order: template selectors and the identification
 * and local sections, the grid, the parameter, the level type before the
 * level, the time, the packing. */
static const char *const first_keys[] = {"tablesVersion",
                                         "centre",
                                         "subCentre",
                                         "grib2LocalSectionNumber",
                                         "marsClass",
                                         "marsType",
                                         "marsStream",
                                         "experimentVersionNumber",
                                         "productionStatusOfProcessedData",
                                         "typeOfProcessedData",
                                         "Ni",
                                         "Nj",
                                         "iScansNegatively",
                                         "jScansPositively",
                                         "jPointsAreConsecutive",
                                         "latitudeOfFirstGridPointInDegrees",
                                         "longitudeOfFirstGridPointInDegrees",
                                         "latitudeOfLastGridPointInDegrees",
                                         "longitudeOfLastGridPointInDegrees",
                                         "iDirectionIncrementInDegrees",
                                         "jDirectionIncrementInDegrees",
                                         "discipline",
                                         "paramId",
                                         "typeOfLevel",
                                         "level",
                                         "dataDate",
                                         "dataTime",
                                         "stepUnits",
                                         "stepType",
                                         "startStep",
                                         "endStep",
                                         "typeOfGeneratingProcess",
                                         "generatingProcessIdentifier",
                                         "packingType",
                                         "bitsPerValue",
                                         "decimalScaleFactor"};

/* Keys ecCodes derives from the others (or that name the sample). */
static const char *const derived_keys[] = {
    "edition",       "gridType",           "shortName",     "name",     "units",
    "stepRange",     "validityDate",       "validityTime",  "topLevel", "bottomLevel",
    "bitmapPresent", "setLocalDefinition", "numberOfPoints"};

static bool in_list(const char *k, const char *const *list, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (strcmp(k, list[i]) == 0) {
            return true;
        }
    }
    return false;
}

static bool sample_exists(const char *name) {
    const char *paths = codes_samples_path(NULL);
    if (paths == NULL) {
        return false;
    }
    const char *p = paths;
    while (*p) {
        const char *end = strchr(p, ':');
        size_t dl = end ? (size_t)(end - p) : strlen(p);
        char path[1024];
        if (dl > 0 &&
            (size_t)snprintf(path, sizeof path, "%.*s/%s.tmpl", (int)dl, p, name) < sizeof path) {
            if (access(path, R_OK) == 0) {
                return true;
            }
        }
        p += dl;
        if (*p == ':') {
            p++;
        }
    }
    return false;
}

static tgm_error from_sample(const tgm_value_t *repro, size_t obj, codes_handle **out) {
    int64_t edition = 2;
    const tgm_value_t *ev = tgm_value_map_get(repro, "edition");
    if (ev != NULL && (!tgm_value_as_i64(ev, &edition) || (edition != 1 && edition != 2))) {
        edition = 2;
    }
    char grid[64] = "regular_ll";
    const tgm_value_t *gv = tgm_value_map_get(repro, "gridType");
    size_t gl = 0;
    const char *g = gv != NULL ? tgm_value_as_string(gv, &gl) : NULL;
    if (g != NULL && gl > 0 && gl < sizeof grid && memchr(g, '/', gl) == NULL &&
        memchr(g, '\0', gl) == NULL) {
        memcpy(grid, g, gl);
        grid[gl] = '\0';
    }
    char name[128];
    const char *const kinds[] = {"sfc", "pl", "ml"};
    codes_handle *h = NULL;
    for (size_t k = 0; k < 3 && h == NULL; k++) {
        snprintf(name, sizeof name, "%s_%s_grib%d", grid, kinds[k], (int)edition);
        if (sample_exists(name)) {
            h = codes_grib_handle_new_from_samples(NULL, name);
        }
    }
    if (h == NULL) {
        snprintf(name, sizeof name, "GRIB%d", (int)edition);
        h = codes_grib_handle_new_from_samples(NULL, name);
    }
    if (h == NULL) {
        return cv_fail(TGM_ERROR_CONVERT,
                       "ecCodes error: object %zu: no ecCodes sample for GRIB edition %d (set "
                       "ECCODES_SAMPLES_PATH)",
                       obj, (int)edition);
    }
    /* The local section exists only once it is asked for. */
    if (tgm_value_map_get(repro, "grib2LocalSectionNumber") != NULL && edition == 2) {
        codes_set_long(h, "setLocalDefinition", 1);
    }
    size_t nfirst = sizeof first_keys / sizeof first_keys[0];
    for (size_t i = 0; i < nfirst; i++) {
        const tgm_value_t *v = tgm_value_map_get(repro, first_keys[i]);
        if (v != NULL) {
            (void)set_value(h, first_keys[i], v); /* tolerant: some are read-only here */
        }
    }
    size_t n = tgm_value_map_len(repro);
    for (size_t i = 0; i < n; i++) {
        size_t kl = 0;
        const char *k = tgm_value_map_key_at(repro, i, &kl);
        char key[256];
        if (k == NULL || kl == 0 || kl >= sizeof key || k[0] == '_') {
            continue;
        }
        memcpy(key, k, kl);
        key[kl] = '\0';
        if (in_list(key, first_keys, nfirst) ||
            in_list(key, derived_keys, sizeof derived_keys / sizeof derived_keys[0])) {
            continue;
        }
        (void)set_value(h, key, tgm_value_map_value_at(repro, i));
    }
    *out = h;
    return TGM_ERROR_OK;
}

/* ---- values -------------------------------------------------------------------------------- */

/* Object i's values as host float64 (a copy), NaN where a point is missing. */
static tgm_error object_values(tgm_message_t *m, size_t i, double **out, size_t *n) {
    const char *dtype = tgm_object_dtype(m, i);
    size_t len = 0;
    const uint8_t *data = tgm_object_data(m, i, &len);
    size_t count;
    double *v;
    if (strcmp(dtype, "float64") == 0) {
        count = len / 8;
        v = malloc((count ? count : 1) * sizeof *v);
        if (v != NULL) {
            memcpy(v, data, count * 8);
        }
    } else if (strcmp(dtype, "float32") == 0) {
        count = len / 4;
        v = malloc((count ? count : 1) * sizeof *v);
        for (size_t k = 0; v != NULL && k < count; k++) {
            float f;
            memcpy(&f, data + 4 * k, 4);
            v[k] = f;
        }
    } else {
        return cv_fail(TGM_ERROR_INVALID_ARG, "to-grib expects float64 objects, object %zu is %s",
                       i, dtype);
    }
    if (v == NULL) {
        return cv_oom("GRIB values");
    }
    *out = v;
    *n = count;
    return TGM_ERROR_OK;
}

/* Set the values, NaN becoming points missing from a bitmap. */
static tgm_error put_values(codes_handle *h, double *v, size_t n, size_t obj) {
    bool missing = false;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (isnan(v[i])) {
            missing = true;
        } else if (isinf(v[i])) {
            return cv_fail(TGM_ERROR_INVALID_ARG,
                           "object %zu: GRIB cannot store the infinite value at index %zu", obj, i);
        } else {
            lo = v[i] < lo ? v[i] : lo;
            hi = v[i] > hi ? v[i] : hi;
        }
    }
    int e = 0;
    if (missing) {
        /* ecCodes marks as missing every value equal to missingValue: pick
         * one no real value has. */
        double mv = 9999.0;
        if (!(mv > hi || mv < lo)) {
            mv = hi + fabs(hi) + 1.0;
        }
        for (size_t i = 0; i < n; i++) {
            if (isnan(v[i])) {
                v[i] = mv;
            }
        }
        e = codes_set_double(h, "missingValue", mv);
        if (e == 0) {
            e = codes_set_long(h, "bitmapPresent", 1);
        }
    }
    if (e == 0) {
        e = codes_set_double_array(h, "values", v, n);
    }
    if (e != 0) {
        return cv_fail(TGM_ERROR_CONVERT, "ecCodes error: object %zu: setting the values: %s", obj,
                       cv_grib_errstr(e));
    }
    return TGM_ERROR_OK;
}

tgm_error tgm_convert_to_grib(const uint8_t *msg, size_t len, const tgm_convert_options *opts,
                              tgm_bytes_t *out) {
    if (msg == NULL || out == NULL) {
        return cv_fail(TGM_ERROR_INVALID_ARG, "null argument");
    }
    tgm_convert_options o;
    tgm_error err = cv_options(opts, &o);
    if (err != TGM_ERROR_OK) {
        return err;
    }
    tgm_message_t *m = NULL;
    tgm_metadata_t *meta = NULL;
    cv_buf grib = {0};
    err = tgm_decode(msg, len, 1, o.threads, 0, &m);
    if (err != TGM_ERROR_OK) {
        return cv_wrap(err, "decode tensogram message");
    }
    if ((err = tgm_message_metadata(m, &meta)) != TGM_ERROR_OK) {
        goto cleanup;
    }
    size_t n = tgm_message_num_objects(m);
    for (size_t i = 0; i < n && err == TGM_ERROR_OK; i++) {
        const tgm_value_t *repro = tgm_metadata_get_at(meta, i, "grib_repro");
        if (repro == NULL || tgm_value_get_type(repro) != TGM_VALUE_TYPE_MAP) {
            err = cv_fail(TGM_ERROR_INVALID_ARG,
                          "object %zu has no 'grib_repro' key-set; was it produced by "
                          "convert-grib?",
                          i);
            break;
        }
        double *values = NULL;
        size_t nv = 0;
        if ((err = object_values(m, i, &values, &nv)) != TGM_ERROR_OK) {
            break;
        }
        codes_handle *h = NULL;
        const tgm_value_t *tmpl = tgm_value_map_get(repro, "_template");
        err = tmpl != NULL ? from_template(repro, tmpl, i, &h) : from_sample(repro, i, &h);
        if (err == TGM_ERROR_OK) {
            err = put_values(h, values, nv, i);
        }
        if (err == TGM_ERROR_OK) {
            /* ecCodes takes any number of values: check that the grid of
             * the header has as many points. */
            size_t got = 0;
            if (codes_get_size(h, "values", &got) != 0 || got != nv) {
                err = cv_fail(TGM_ERROR_INVALID_ARG,
                              "object %zu has %zu values but its GRIB header describes %zu", i, nv,
                              got);
            }
        }
        if (err == TGM_ERROR_OK) {
            const void *bytes = NULL;
            size_t bl = 0;
            int e = codes_get_message(h, &bytes, &bl);
            if (e != 0) {
                err = cv_fail(TGM_ERROR_CONVERT, "ecCodes error: object %zu: %s", i,
                              cv_grib_errstr(e));
            } else {
                cv_putn(&grib, bytes, bl);
                if (grib.oom) {
                    err = cv_oom("GRIB output");
                }
            }
        }
        if (h != NULL) {
            codes_handle_delete(h);
        }
        free(values);
    }
    if (err == TGM_ERROR_OK) {
        out->data = (uint8_t *)grib.p;
        out->len = grib.len;
        grib.p = NULL;
        if (out->data == NULL) {
            out->data = malloc(1);
            if (out->data == NULL) {
                err = cv_oom("GRIB output");
            }
        }
    }
cleanup:
    cv_buf_free(&grib);
    tgm_metadata_free(meta);
    tgm_message_free(m);
    return err;
}
