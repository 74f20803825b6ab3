/* NetCDF attributes <-> metadata values, type tags, the process-wide lock. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netcdf_internal.h"

static pthread_mutex_t nc_mutex = PTHREAD_MUTEX_INITIALIZER;

void cv_nc_lock(void) { pthread_mutex_lock(&nc_mutex); }

void cv_nc_unlock(void) { pthread_mutex_unlock(&nc_mutex); }

bool tgm_convert_has_netcdf(void) { return true; }

const char *tgm_convert_netcdf_library_version(void) {
    static char version[32];
    static int done;
    cv_nc_lock();
    if (!done) {
        /* "4.9.0 of Jan  1 2023 ...": the first word. */
        const char *v = nc_inq_libvers();
        size_t n = v != NULL ? strcspn(v, " ") : 0;
        if (n >= sizeof version) {
            n = sizeof version - 1;
        }
        memcpy(version, v != NULL ? v : "", n);
        version[n] = '\0';
        done = 1;
    }
    cv_nc_unlock();
    return version;
}

tgm_error cv_nc_fail(int status, const char *fmt, ...) {
    char ctx[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx, sizeof ctx, fmt, ap);
    va_end(ap);
    return cv_fail(TGM_ERROR_CONVERT, "netcdf error: %s (%s)", nc_strerror(status), ctx);
}

static const struct {
    nc_type t;
    const char *tag;
    const char *dtype;
    size_t size;
} types[] = {{NC_BYTE, "byte", "int8", 1},      {NC_UBYTE, "ubyte", "uint8", 1},
             {NC_SHORT, "short", "int16", 2},   {NC_USHORT, "ushort", "uint16", 2},
             {NC_INT, "int", "int32", 4},       {NC_UINT, "uint", "uint32", 4},
             {NC_INT64, "int64", "int64", 8},   {NC_UINT64, "uint64", "uint64", 8},
             {NC_FLOAT, "float", "float32", 4}, {NC_DOUBLE, "double", "float64", 8},
             {NC_CHAR, "string", NULL, 1},      {NC_STRING, "string", NULL, 0}};

const char *cv_nc_type_tag(nc_type xtype) {
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        if (types[i].t == xtype) {
            return types[i].tag;
        }
    }
    return NULL;
}

const char *cv_nc_dtype(nc_type xtype, size_t *size) {
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        if (types[i].t == xtype && types[i].dtype != NULL) {
            *size = types[i].size;
            return types[i].dtype;
        }
    }
    return NULL;
}

nc_type cv_nc_type_of_dtype(const char *dtype) {
    for (size_t i = 0; dtype != NULL && i < sizeof types / sizeof types[0]; i++) {
        if (types[i].dtype != NULL && strcmp(types[i].dtype, dtype) == 0) {
            return types[i].t;
        }
    }
    return NC_NAT;
}

nc_type cv_nc_type_of_tag(const char *tag) {
    for (size_t i = 0; tag != NULL && i < sizeof types / sizeof types[0]; i++) {
        if (strcmp(types[i].tag, tag) == 0) {
            return types[i].t == NC_CHAR ? NC_CHAR : types[i].t;
        }
    }
    return NC_NAT;
}

static void number_json(cv_buf *b, nc_type t, const void *p, size_t i) {
    switch (t) {
    case NC_BYTE:
        cv_json_i64(b, ((const signed char *)p)[i]);
        break;
    case NC_UBYTE:
        cv_json_u64(b, ((const unsigned char *)p)[i]);
        break;
    case NC_SHORT:
        cv_json_i64(b, ((const short *)p)[i]);
        break;
    case NC_USHORT:
        cv_json_u64(b, ((const unsigned short *)p)[i]);
        break;
    case NC_INT:
        cv_json_i64(b, ((const int *)p)[i]);
        break;
    case NC_UINT:
        cv_json_u64(b, ((const unsigned int *)p)[i]);
        break;
    case NC_INT64:
        cv_json_i64(b, ((const long long *)p)[i]);
        break;
    case NC_UINT64:
        cv_json_u64(b, ((const unsigned long long *)p)[i]);
        break;
    case NC_FLOAT:
        cv_json_f64(b, ((const float *)p)[i]);
        break;
    default:
        cv_json_f64(b, ((const double *)p)[i]);
        break;
    }
}

bool cv_nc_attr_json(int ncid, int varid, const char *name, cv_buf *b) {
    nc_type t;
    size_t len;
    if (nc_inq_att(ncid, varid, name, &t, &len) != NC_NOERR) {
        return false;
    }
    if (t == NC_CHAR) {
        char *s = malloc(len + 1);
        if (s == NULL || nc_get_att_text(ncid, varid, name, s) != NC_NOERR) {
            free(s);
            return false;
        }
        s[len] = '\0';
        cv_json_str(b, s, strlen(s)); /* up to the first NUL */
        free(s);
        return true;
    }
    if (t == NC_STRING) {
        char **v = calloc(len ? len : 1, sizeof *v);
        if (v == NULL || nc_get_att_string(ncid, varid, name, v) != NC_NOERR) {
            free(v);
            return false;
        }
        if (len != 1) {
            cv_putc(b, '[');
        }
        for (size_t i = 0; i < len; i++) {
            if (i > 0) {
                cv_putc(b, ',');
            }
            cv_json_cstr(b, v[i] != NULL ? v[i] : "");
        }
        if (len != 1) {
            cv_putc(b, ']');
        }
        nc_free_string(len, v);
        free(v);
        return true;
    }
    size_t size = 0;
    if (cv_nc_dtype(t, &size) == NULL) {
        return false; /* user-defined type */
    }
    void *p = malloc(len ? len * size : 1);
    if (p == NULL || nc_get_att(ncid, varid, name, p) != NC_NOERR) {
        free(p);
        return false;
    }
    if (len != 1) {
        cv_putc(b, '[');
    }
    for (size_t i = 0; i < len; i++) {
        if (i > 0) {
            cv_putc(b, ',');
        }
        number_json(b, t, p, i);
    }
    if (len != 1) {
        cv_putc(b, ']');
    }
    free(p);
    return true;
}

tgm_error cv_nc_attrs_json(const tgm_convert_options *o, int ncid, int varid, const char *owner,
                           bool (*skip)(const char *name), cv_buf *vals, cv_buf *types_out) {
    int natts = 0;
    int st = varid == NC_GLOBAL ? nc_inq_natts(ncid, &natts) : nc_inq_varnatts(ncid, varid, &natts);
    if (st != NC_NOERR) {
        return cv_nc_fail(st, "attributes of %s", owner);
    }
    for (int a = 0; a < natts; a++) {
        char name[NC_MAX_NAME + 1];
        nc_type t;
        if ((st = nc_inq_attname(ncid, varid, a, name)) != NC_NOERR ||
            (st = nc_inq_atttype(ncid, varid, name, &t)) != NC_NOERR) {
            return cv_nc_fail(st, "attributes of %s", owner);
        }
        if (skip != NULL && skip(name)) {
            continue;
        }
        const char *tag = cv_nc_type_tag(t);
        size_t mark = vals->len;
        cv_json_key(vals, name);
        if (tag == NULL || !cv_nc_attr_json(ncid, varid, name, vals)) {
            vals->len = mark;
            if (vals->p != NULL) {
                vals->p[mark] = '\0';
            }
            cv_warn(o, "%s: failed to read attribute '%s'%s", owner, name,
                    tag == NULL ? " (user-defined type)" : "");
            continue;
        }
        if (types_out != NULL) {
            cv_json_key(types_out, name);
            cv_json_cstr(types_out, tag);
        }
    }
    return TGM_ERROR_OK;
}

static const char *const cf_attrs[] = {
    "standard_name", "long_name",           "units",       "calendar",
    "cell_methods",  "coordinates",         "axis",        "positive",
    "valid_min",     "valid_max",           "valid_range", "bounds",
    "grid_mapping",  "ancillary_variables", "flag_values", "flag_meanings"};

bool cv_nc_is_cf_attr(const char *name) {
    for (size_t i = 0; i < sizeof cf_attrs / sizeof cf_attrs[0]; i++) {
        if (strcmp(name, cf_attrs[i]) == 0) {
            return true;
        }
    }
    return false;
}

bool cv_nc_is_packing_attr(const char *name) {
    static const char *const packing[] = {"scale_factor",  "add_offset", "_FillValue",
                                          "missing_value", "valid_min",  "valid_max",
                                          "valid_range"};
    for (size_t i = 0; i < sizeof packing / sizeof packing[0]; i++) {
        if (strcmp(name, packing[i]) == 0) {
            return true;
        }
    }
    return false;
}

bool cv_nc_is_internal_key(const char *name) {
    static const char *const internal[] = {
        "_dims",        "_file",  "_global",  "_attr_types", "_global_types",
        "record_index", "_group", "_packing", "_record_dim", "_record_axis"};
    for (size_t i = 0; i < sizeof internal / sizeof internal[0]; i++) {
        if (strcmp(name, internal[i]) == 0) {
            return true;
        }
    }
    return false;
}
