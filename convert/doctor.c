/* tgm_convert_doctor_to_json: the converters' rows of `tensogram doctor`.
 * Labels and backends as the reference's doctor prints them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *const grib_label = "convert        grib    (sanity.grib2)";
static const char *const nc3_label = "convert        netcdf3 (sanity-classic.nc)";
static const char *const nc4_label = "convert        netcdf4 (sanity-hdf5.nc)";

static void feature(cv_buf *b, const char *name, const char *backend, const char *version) {
    cv_json_sep(b);
    cv_puts(b, "{\"name\":");
    cv_json_cstr(b, name);
    cv_puts(b, ",\"kind\":\"converter\",\"state\":");
    if (version == NULL) {
        cv_puts(b, "\"off\"}");
        return;
    }
    cv_puts(b, "\"on\",\"backend\":");
    cv_json_cstr(b, backend);
    cv_puts(b, ",\"linkage\":\"ffi\",\"version\":");
    cv_json_cstr(b, version);
    cv_putc(b, '}');
}

static void row(cv_buf *b, const char *label, tgm_error e, const char *detail, bool built,
                const char *feature_name) {
    cv_json_sep(b);
    cv_puts(b, "{\"label\":");
    cv_json_cstr(b, label);
    if (!built) {
        cv_puts(b, ",\"outcome\":\"skipped\",\"reason\":");
        char reason[64];
        snprintf(reason, sizeof reason, "feature '%s' not built in", feature_name);
        cv_json_cstr(b, reason);
    } else if (e == TGM_ERROR_OK) {
        cv_puts(b, ",\"outcome\":\"ok\"");
    } else {
        cv_puts(b, ",\"outcome\":\"failed\",\"error\":");
        cv_json_cstr(b, detail != NULL ? detail : tgm_error_string(e));
    }
    cv_putc(b, '}');
}

/* Decode every produced message and look for an object of the given
 * dtype and 2-D shape. */
static tgm_error find_object(tgm_convert_result_t *r, const char *dtype, uint64_t d0, uint64_t d1) {
    for (size_t i = 0; i < tgm_convert_result_count(r); i++) {
        size_t len = 0;
        const uint8_t *m = tgm_convert_result_message(r, i, &len);
        tgm_message_t *msg = NULL;
        tgm_error e = tgm_decode(m, len, 1, 0, 1, &msg);
        if (e != TGM_ERROR_OK) {
            return e;
        }
        for (size_t k = 0; k < tgm_message_num_objects(msg); k++) {
            const uint64_t *s = tgm_object_shape(msg, k);
            if (strcmp(tgm_object_dtype(msg, k), dtype) == 0 && tgm_object_ndim(msg, k) == 2 &&
                s[0] == d0 && s[1] == d1) {
                tgm_message_free(msg);
                return TGM_ERROR_OK;
            }
        }
        tgm_message_free(msg);
    }
    return cv_fail(TGM_ERROR_OBJECT, "no %s object of shape [%llu,%llu] in the output", dtype,
                   (unsigned long long)d0, (unsigned long long)d1);
}

static tgm_error grib_self_test(void) {
    tgm_bytes_t g = {NULL, 0};
    tgm_error e = cv_grib_sanity_message(&g);
    if (e != TGM_ERROR_OK) {
        return e;
    }
    tgm_convert_options o = TGM_CONVERT_OPTIONS_INIT;
    o.grib_grouping = TGM_GRIB_ONE_TO_ONE;
    tgm_convert_result_t *r = NULL;
    e = tgm_convert_grib_buffer(g.data, g.len, &o, &r);
    free(g.data);
    if (e == TGM_ERROR_OK && tgm_convert_result_count(r) != 1) {
        e = cv_fail(TGM_ERROR_OBJECT, "expected 1 message, got %zu", tgm_convert_result_count(r));
    }
    if (e == TGM_ERROR_OK) {
        e = find_object(r, "float64", 4, 4);
    }
    tgm_convert_result_free(r);
    return e;
}

static tgm_error netcdf_self_test(bool netcdf4) {
    tgm_bytes_t f = {NULL, 0};
    tgm_error e = cv_netcdf_sanity_file(netcdf4, &f);
    if (e != TGM_ERROR_OK) {
        return e;
    }
    tgm_convert_result_t *r = NULL;
    e = tgm_convert_netcdf_buffer(f.data, f.len, NULL, &r);
    free(f.data);
    if (e == TGM_ERROR_OK) {
        e = find_object(r, "float32", 2, 2);
    }
    tgm_convert_result_free(r);
    return e;
}

tgm_error tgm_convert_doctor_to_json(tgm_bytes_t *out) {
    if (out == NULL) {
        return cv_fail(TGM_ERROR_INVALID_ARG, "null argument");
    }
    bool grib = tgm_convert_has_grib(), nc = tgm_convert_has_netcdf();
    cv_buf b = {0};
    cv_puts(&b, "{\"features\":[");
    feature(&b, "grib", "libeccodes", grib ? tgm_convert_grib_library_version() : NULL);
    feature(&b, "netcdf", "libnetcdf", nc ? tgm_convert_netcdf_library_version() : NULL);
    cv_puts(&b, "],\"self_test\":[");
    tgm_error e = grib ? grib_self_test() : TGM_ERROR_OK;
    row(&b, grib_label, e, tgm_last_error(), grib, "grib");
    e = nc ? netcdf_self_test(false) : TGM_ERROR_OK;
    row(&b, nc3_label, e, tgm_last_error(), nc, "netcdf");
    e = nc ? netcdf_self_test(true) : TGM_ERROR_OK;
    row(&b, nc4_label, e, tgm_last_error(), nc, "netcdf");
    cv_puts(&b, "]}");
    if (cv_cstr(&b) == NULL) {
        cv_buf_free(&b);
        return cv_oom("doctor report");
    }
    out->data = (uint8_t *)b.p;
    out->len = b.len;
    return TGM_ERROR_OK;
}
