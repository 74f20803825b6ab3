/* Tensogram -> NetCDF-4 (tgm_convert_to_netcdf).
 *
 * Rebuilds one NetCDF-4 file from messages made by the NetCDF importer:
 * the dimension registry (_file), sub-groups with their dimensions and
 * attributes (_file.groups), global attributes (_global with their exact
 * types from _global_types), then every variable (name, _group, _dims,
 * the descriptor's dtype, attributes typed by _attr_types), packed again
 * when _packing says how it was packed, and its values; record slices
 * (record_index, _record_dim, _record_axis) are written back at their place
 * along the unlimited dimension, and a variable repeated by several
 * messages (the static ones of a record split) is written once.  The file
 * is written under a temporary name and renamed into place. */
#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netcdf_internal.h"

typedef struct {
    tgm_message_t *msg;
    tgm_metadata_t *meta;
} decoded;

/* A text value as a NUL-terminated copy (NULL when not a string). */
static char *text_of(const tgm_value_t *v) {
    size_t n = 0;
    const char *s = v != NULL ? tgm_value_as_string(v, &n) : NULL;
    if (s == NULL || memchr(s, '\0', n) != NULL) {
        return NULL;
    }
    char *z = malloc(n + 1);
    if (z != NULL) {
        memcpy(z, s, n);
        z[n] = '\0';
    }
    return z;
}

/* ---- attributes ---------------------------------------------------------------------------- */

static bool value_f64(const tgm_value_t *v, double *out) { return tgm_value_as_f64(v, out); }

static bool value_i64(const tgm_value_t *v, int64_t *out) {
    if (tgm_value_as_i64(v, out)) {
        return true;
    }
    uint64_t u;
    if (tgm_value_as_u64(v, &u)) {
        *out = (int64_t)u;
        return true;
    }
    double d;
    if (tgm_value_get_type(v) == TGM_VALUE_TYPE_FLOAT && tgm_value_as_f64(v, &d) && isfinite(d)) {
        *out = (int64_t)d;
        return true;
    }
    return false;
}

/* Write one attribute from a metadata value, typed by `tag` (NULL: widen
 * integers to int64 and floats to double, as the reference does). */
static int put_attr(int ncid, int varid, const char *name, const tgm_value_t *v, const char *tag) {
    tgm_value_type t = tgm_value_get_type(v);
    bool is_array = t == TGM_VALUE_TYPE_ARRAY;
    size_t n = is_array ? tgm_value_array_len(v) : 1;
    if (t == TGM_VALUE_TYPE_STRING || (tag != NULL && strcmp(tag, "string") == 0)) {
        if (!is_array) {
            size_t len = 0;
            const char *s = tgm_value_as_string(v, &len);
            if (s == NULL) {
                return NC_EBADTYPE;
            }
            return nc_put_att_text(ncid, varid, name, len, s);
        }
        const char **strs = calloc(n ? n : 1, sizeof *strs);
        char **copies = calloc(n ? n : 1, sizeof *copies);
        int st = strs != NULL && copies != NULL ? NC_NOERR : NC_ENOMEM;
        for (size_t i = 0; i < n && st == NC_NOERR; i++) {
            copies[i] = text_of(tgm_value_array_get(v, i));
            strs[i] = copies[i];
            if (copies[i] == NULL) {
                st = NC_EBADTYPE;
            }
        }
        if (st == NC_NOERR) {
            st = nc_put_att_string(ncid, varid, name, n, strs);
        }
        for (size_t i = 0; copies != NULL && i < n; i++) {
            free(copies[i]);
        }
        free(copies);
        free(strs);
        return st;
    }
    nc_type xt = tag != NULL ? cv_nc_type_of_tag(tag) : NC_NAT;
    bool all_int = true;
    for (size_t i = 0; i < n; i++) {
        const tgm_value_t *e = is_array ? tgm_value_array_get(v, i) : v;
        tgm_value_type et = tgm_value_get_type(e);
        if (et != TGM_VALUE_TYPE_INT && et != TGM_VALUE_TYPE_FLOAT) {
            return NC_EBADTYPE;
        }
        all_int = all_int && et == TGM_VALUE_TYPE_INT;
    }
    if (xt == NC_NAT || xt == NC_CHAR || xt == NC_STRING) {
        xt = all_int ? NC_INT64 : NC_DOUBLE;
    }
    if (xt == NC_FLOAT || xt == NC_DOUBLE) {
        double *a = malloc((n ? n : 1) * sizeof *a);
        if (a == NULL) {
            return NC_ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
            value_f64(is_array ? tgm_value_array_get(v, i) : v, &a[i]);
        }
        int st = nc_put_att_double(ncid, varid, name, xt, n, a);
        free(a);
        return st;
    }
    if (xt == NC_UINT64) {
        unsigned long long *a = malloc((n ? n : 1) * sizeof *a);
        if (a == NULL) {
            return NC_ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
            const tgm_value_t *e = is_array ? tgm_value_array_get(v, i) : v;
            uint64_t u = 0;
            int64_t s = 0;
            if (!tgm_value_as_u64(e, &u) && value_i64(e, &s)) {
                u = (uint64_t)s;
            }
            a[i] = u;
        }
        int st = nc_put_att_ulonglong(ncid, varid, name, xt, n, a);
        free(a);
        return st;
    }
    long long *a = malloc((n ? n : 1) * sizeof *a);
    if (a == NULL) {
        return NC_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        int64_t s = 0;
        value_i64(is_array ? tgm_value_array_get(v, i) : v, &s);
        a[i] = s;
    }
    /* The value is converted to the attribute's type by netCDF-C. */
    int st = nc_put_att_longlong(ncid, varid, name, xt, n, a);
    free(a);
    return st;
}

/* Every member of `map` as an attribute (internal keys skipped when
 * `internal` is true), typed by the tag map. */
static tgm_error put_attrs(int ncid, int varid, const tgm_value_t *map, const tgm_value_t *tags,
                           bool internal, const char *owner) {
    size_t n = map != NULL ? tgm_value_map_len(map) : 0;
    for (size_t i = 0; i < n; i++) {
        size_t kl = 0;
        const char *k = tgm_value_map_key_at(map, i, &kl);
        char name[NC_MAX_NAME + 1];
        if (k == NULL || kl == 0 || kl > NC_MAX_NAME || memchr(k, '\0', kl) != NULL) {
            continue;
        }
        memcpy(name, k, kl);
        name[kl] = '\0';
        if (internal && cv_nc_is_internal_key(name)) {
            continue;
        }
        char *tag = tags != NULL ? text_of(tgm_value_map_get(tags, name)) : NULL;
        int st = put_attr(ncid, varid, name, tgm_value_map_value_at(map, i), tag);
        free(tag);
        if (st != NC_NOERR) {
            return cv_nc_fail(st, "attribute '%s' of %s", name, owner);
        }
    }
    return TGM_ERROR_OK;
}

/* ---- structure --------------------------------------------------------------------------- */

/* The group at `path` ("/a/b"), created with its parents when missing. */
static tgm_error group_at(int root, const char *path, int *out) {
    if (path == NULL || strcmp(path, "/") == 0 || path[0] == '\0') {
        *out = root;
        return TGM_ERROR_OK;
    }
    int st = nc_inq_grp_full_ncid(root, path, out);
    if (st == NC_NOERR) {
        return TGM_ERROR_OK;
    }
    /* Create the missing components one by one. */
    int cur = root;
    const char *p = path;
    while (*p == '/') {
        p++;
    }
    while (*p) {
        size_t len = strcspn(p, "/");
        char name[NC_MAX_NAME + 1];
        if (len == 0 || len > NC_MAX_NAME) {
            return cv_fail(TGM_ERROR_INVALID_ARG, "bad group path '%s'", path);
        }
        memcpy(name, p, len);
        name[len] = '\0';
        int next;
        if (nc_inq_ncid(cur, name, &next) != NC_NOERR) {
            if ((st = nc_def_grp(cur, name, &next)) != NC_NOERR) {
                return cv_nc_fail(st, "creating group '%s'", path);
            }
        }
        cur = next;
        p += len;
        while (*p == '/') {
            p++;
        }
    }
    *out = cur;
    return TGM_ERROR_OK;
}

/* Define the dimensions listed in `dims` in group ncid (already defined
 * ones must agree). */
static tgm_error define_dims(int ncid, const tgm_value_t *dims, const char *where) {
    size_t n = dims != NULL ? tgm_value_array_len(dims) : 0;
    for (size_t i = 0; i < n; i++) {
        const tgm_value_t *d = tgm_value_array_get(dims, i);
        char *name = text_of(tgm_value_map_get(d, "name"));
        uint64_t len = 0;
        bool unlimited = false;
        const tgm_value_t *lv = tgm_value_map_get(d, "len");
        const tgm_value_t *uv = tgm_value_map_get(d, "unlimited");
        if (name == NULL || name[0] == '\0' || lv == NULL || !tgm_value_as_u64(lv, &len)) {
            free(name);
            return cv_fail(TGM_ERROR_INVALID_ARG, "%s: a dimension entry lacks name or len", where);
        }
        if (uv != NULL) {
            tgm_value_as_bool(uv, &unlimited);
        }
        int id;
        if (nc_inq_dimid(ncid, name, &id) == NC_NOERR) {
            /* Defined by an earlier message (or visible from a parent with
             * the same name, which a sub-group may shadow). */
            int owner_ok = 0, ndims = 0, ids[1024];
            if (nc_inq_dimids(ncid, &ndims, ids, 0) == NC_NOERR && ndims <= 1024) {
                for (int k = 0; k < ndims; k++) {
                    owner_ok = owner_ok || ids[k] == id;
                }
            }
            if (owner_ok) {
                size_t have;
                int nu = 0, unl[1024];
                bool was_unlimited = false;
                nc_inq_dimlen(ncid, id, &have);
                if (nc_inq_unlimdims(ncid, &nu, unl) == NC_NOERR) {
                    for (int k = 0; k < nu && k < 1024; k++) {
                        was_unlimited = was_unlimited || unl[k] == id;
                    }
                }
                if (was_unlimited != unlimited || (!unlimited && have != len)) {
                    tgm_error e = cv_fail(TGM_ERROR_INVALID_ARG,
                                          "dimension '%s' has conflicting definitions across "
                                          "messages",
                                          name);
                    free(name);
                    return e;
                }
                free(name);
                continue;
            }
        }
        int st = nc_def_dim(ncid, name, unlimited ? NC_UNLIMITED : (size_t)len, &id);
        if (st != NC_NOERR) {
            tgm_error e = cv_nc_fail(st, "defining dimension '%s'", name);
            free(name);
            return e;
        }
        free(name);
    }
    return TGM_ERROR_OK;
}

/* ---- variables ----------------------------------------------------------------------------- */

typedef struct {
    char *name;
    char *group;
    int grp, varid;
    bool defined_from_record; /* a record slice defined it */
} defined_var;

typedef struct {
    defined_var *v;
    size_t n, cap;
} var_list;

static defined_var *find_var(var_list *l, const char *group, const char *name) {
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->v[i].name, name) == 0 && strcmp(l->v[i].group, group) == 0) {
            return &l->v[i];
        }
    }
    return NULL;
}

/* Pack float64 values as CF packing does: NaN -> the fill value,
 * otherwise round((v - add_offset) / scale_factor).  Written as doubles:
 * netCDF-C converts them to the packed type (range-checked). */
static tgm_error pack_values(const tgm_value_t *packing, const double *in, size_t n, double **out,
                             const char *name) {
    const tgm_value_t *attrs = tgm_value_map_get(packing, "attrs");
    double sf = 1.0, ao = 0.0, fill = NAN;
    bool has_sf = false, has_ao = false, has_fill = false;
    const tgm_value_t *v;
    if ((v = tgm_value_map_get(attrs, "scale_factor")) != NULL) {
        has_sf = value_f64(
            tgm_value_get_type(v) == TGM_VALUE_TYPE_ARRAY ? tgm_value_array_get(v, 0) : v, &sf);
    }
    if ((v = tgm_value_map_get(attrs, "add_offset")) != NULL) {
        has_ao = value_f64(
            tgm_value_get_type(v) == TGM_VALUE_TYPE_ARRAY ? tgm_value_array_get(v, 0) : v, &ao);
    }
    const char *fill_keys[] = {"_FillValue", "missing_value"};
    for (int k = 0; k < 2 && !has_fill; k++) {
        if ((v = tgm_value_map_get(attrs, fill_keys[k])) != NULL) {
            has_fill = value_f64(
                tgm_value_get_type(v) == TGM_VALUE_TYPE_ARRAY ? tgm_value_array_get(v, 0) : v,
                &fill);
        }
    }
    double *p = malloc((n ? n : 1) * sizeof *p);
    if (p == NULL) {
        return cv_oom("packing");
    }
    for (size_t i = 0; i < n; i++) {
        double x = in[i];
        if (isnan(x)) {
            if (!has_fill) {
                free(p);
                return cv_fail(TGM_ERROR_INVALID_ARG,
                               "variable '%s': a missing value (NaN) but no _FillValue or "
                               "missing_value to pack it as",
                               name);
            }
            p[i] = fill;
            continue;
        }
        if (has_ao) {
            x -= ao;
        }
        if (has_sf && sf != 0.0) {
            x /= sf;
        }
        p[i] = rint(x);
    }
    *out = p;
    return TGM_ERROR_OK;
}

/* Define (when new) and write object i of a message. */
static tgm_error write_object(int root, var_list *vars, const decoded *d, size_t i) {
    tgm_error err = TGM_ERROR_OK;
    const tgm_value_t *nc = tgm_metadata_get_at(d->meta, i, "netcdf");
    char *name = text_of(tgm_metadata_get_at(d->meta, i, "name"));
    char *gpath = NULL;
    size_t *start = NULL, *count = NULL;
    int *dimids = NULL;
    double *packed = NULL;
    if (name == NULL || name[0] == '\0') {
        err = cv_fail(TGM_ERROR_INVALID_ARG, "object %zu has no variable 'name'", i);
        goto cleanup;
    }
    if (nc == NULL || tgm_value_get_type(nc) != TGM_VALUE_TYPE_MAP) {
        err = cv_fail(TGM_ERROR_INVALID_ARG,
                      "object %zu ('%s') has no netcdf metadata; was it produced by "
                      "convert-netcdf?",
                      i, name);
        goto cleanup;
    }
    const tgm_value_t *dims = tgm_value_map_get(nc, "_dims");
    if (dims == NULL || tgm_value_get_type(dims) != TGM_VALUE_TYPE_ARRAY) {
        err = cv_fail(TGM_ERROR_INVALID_ARG, "object %zu ('%s') has no '_dims' list", i, name);
        goto cleanup;
    }
    gpath = text_of(tgm_value_map_get(nc, "_group"));
    int grp;
    if ((err = group_at(root, gpath, &grp)) != TGM_ERROR_OK) {
        goto cleanup;
    }
    /* Record slices: the record dimension goes back at its axis. */
    int64_t record = -1, axis = 0;
    const tgm_value_t *rv = tgm_value_map_get(nc, "record_index");
    char *rdim = NULL;
    if (rv != NULL) {
        if (!tgm_value_as_i64(rv, &record) || record < 0) {
            err = cv_fail(TGM_ERROR_INVALID_ARG, "object %zu: bad record_index", i);
            goto cleanup;
        }
        rdim = text_of(tgm_value_map_get(nc, "_record_dim"));
        const tgm_value_t *av = tgm_value_map_get(nc, "_record_axis");
        if (av != NULL) {
            tgm_value_as_i64(av, &axis);
        }
        if (rdim == NULL) {
            /* A message from the reference: the root's unlimited dimension,
             * first. */
            int nu = 0, unl[16];
            char dn[NC_MAX_NAME + 1];
            if (nc_inq_unlimdims(root, &nu, unl) == NC_NOERR && nu > 0 &&
                nc_inq_dimname(root, unl[0], dn) == NC_NOERR) {
                rdim = strdup(dn);
            }
            axis = 0;
        }
        if (rdim == NULL) {
            err = cv_fail(TGM_ERROR_INVALID_ARG,
                          "object %zu ('%s') is a record slice but the file has no unlimited "
                          "dimension",
                          i, name);
            goto cleanup;
        }
    }
    size_t nd = tgm_value_array_len(dims);
    size_t ndims = nd + (record >= 0 ? 1 : 0);
    if (ndims > NC_MAX_VAR_DIMS || (record >= 0 && (axis < 0 || (size_t)axis > nd))) {
        err = cv_fail(TGM_ERROR_INVALID_ARG, "object %zu ('%s'): bad dimensions", i, name);
        free(rdim);
        goto cleanup;
    }
    start = calloc(ndims + 1, sizeof *start);
    count = calloc(ndims + 1, sizeof *count);
    dimids = calloc(ndims + 1, sizeof *dimids);
    if (start == NULL || count == NULL || dimids == NULL) {
        free(rdim);
        err = cv_oom("NetCDF variable");
        goto cleanup;
    }
    const uint64_t *shape = tgm_object_shape(d->msg, i);
    uint64_t ondim = tgm_object_ndim(d->msg, i);
    if (ondim != nd) {
        free(rdim);
        err = cv_fail(TGM_ERROR_INVALID_ARG,
                      "object %zu ('%s') has %llu dimensions but _dims names %zu", i, name,
                      (unsigned long long)ondim, nd);
        goto cleanup;
    }
    for (size_t k = 0, s = 0; k < ndims; k++) {
        char *dn;
        if (record >= 0 && k == (size_t)axis) {
            dn = strdup(rdim);
            start[k] = (size_t)record;
            count[k] = 1;
        } else {
            dn = text_of(tgm_value_array_get(dims, s));
            start[k] = 0;
            count[k] = (size_t)shape[s];
            s++;
        }
        int st = dn != NULL ? nc_inq_dimid(grp, dn, &dimids[k]) : NC_EBADDIM;
        if (st != NC_NOERR) {
            err = cv_nc_fail(st, "dimension '%s' of variable '%s'", dn != NULL ? dn : "?", name);
            free(dn);
            free(rdim);
            goto cleanup;
        }
        free(dn);
    }
    free(rdim);

    const char *dtype = tgm_object_dtype(d->msg, i);
    const tgm_value_t *packing = tgm_value_map_get(nc, "_packing");
    char *pdtype = packing != NULL ? text_of(tgm_value_map_get(packing, "dtype")) : NULL;
    nc_type xt = cv_nc_type_of_dtype(pdtype != NULL ? pdtype : dtype);
    free(pdtype);
    if (xt == NC_NAT) {
        err = cv_fail(TGM_ERROR_INVALID_ARG, "to-netcdf: unsupported dtype %s for variable '%s'",
                      dtype, name);
        goto cleanup;
    }
    if (packing != NULL && strcmp(dtype, "float64") != 0) {
        packing = NULL; /* not what the importer made: write as is */
    }
    defined_var *dv = find_var(vars, gpath != NULL ? gpath : "/", name);
    int varid;
    if (dv == NULL) {
        int st = nc_def_var(grp, name, xt, (int)ndims, dimids, &varid);
        if (st != NC_NOERR) {
            err = cv_nc_fail(st, "defining variable '%s'", name);
            goto cleanup;
        }
        char owner[NC_MAX_NAME + 32];
        snprintf(owner, sizeof owner, "variable '%s'", name);
        err = put_attrs(grp, varid, nc, tgm_value_map_get(nc, "_attr_types"), true, owner);
        if (err == TGM_ERROR_OK && packing != NULL) {
            err = put_attrs(grp, varid, tgm_value_map_get(packing, "attrs"),
                            tgm_value_map_get(packing, "types"), false, owner);
        }
        if (err != TGM_ERROR_OK) {
            goto cleanup;
        }
        if (vars->n == vars->cap) {
            size_t cap = vars->cap ? 2 * vars->cap : 16;
            defined_var *p = realloc(vars->v, cap * sizeof *p);
            if (p == NULL) {
                err = cv_oom("NetCDF variables");
                goto cleanup;
            }
            vars->v = p;
            vars->cap = cap;
        }
        dv = &vars->v[vars->n++];
        dv->name = strdup(name);
        dv->group = strdup(gpath != NULL ? gpath : "/");
        dv->grp = grp;
        dv->varid = varid;
        dv->defined_from_record = record >= 0;
        if (dv->name == NULL || dv->group == NULL) {
            err = cv_oom("NetCDF variables");
            goto cleanup;
        }
    } else if (record < 0) {
        goto cleanup; /* a static variable repeated by another message */
    }
    varid = dv->varid;
    size_t nbytes = 0;
    const void *data = tgm_object_data(d->msg, i, &nbytes);
    uint64_t elems = 1;
    for (size_t k = 0; k < ndims; k++) {
        elems *= count[k];
    }
    if (elems == 0) {
        goto cleanup;
    }
    int st;
    if (packing != NULL) {
        if ((err = pack_values(packing, data, (size_t)elems, &packed, name)) != TGM_ERROR_OK) {
            goto cleanup;
        }
        st = nc_put_vara_double(grp, varid, start, count, packed);
    } else {
        st = nc_put_vara(grp, varid, start, count, data);
    }
    if (st != NC_NOERR) {
        err = cv_nc_fail(st, "writing variable '%s'", name);
    }
cleanup:
    free(packed);
    free(start);
    free(count);
    free(dimids);
    free(gpath);
    free(name);
    return err;
}

/* ---- the file ------------------------------------------------------------------------------ */

static tgm_error write_file(int root, decoded *msgs, size_t count) {
    tgm_error err = TGM_ERROR_OK;
    /* Dimensions and groups of every message (the union). */
    for (size_t m = 0; m < count && err == TGM_ERROR_OK; m++) {
        size_t nobj = tgm_message_num_objects(msgs[m].msg);
        if (nobj == 0) {
            continue;
        }
        const tgm_value_t *file = tgm_metadata_get_at(msgs[m].meta, 0, "netcdf._file");
        if (file == NULL || tgm_value_get_type(file) != TGM_VALUE_TYPE_MAP) {
            return cv_fail(TGM_ERROR_INVALID_ARG,
                           "message %zu: missing '_file' dimension registry; was this produced "
                           "by convert-netcdf?",
                           m);
        }
        err = define_dims(root, tgm_value_map_get(file, "dims"), "root group");
        const tgm_value_t *groups = tgm_value_map_get(file, "groups");
        size_t ng = groups != NULL ? tgm_value_array_len(groups) : 0;
        for (size_t g = 0; g < ng && err == TGM_ERROR_OK; g++) {
            const tgm_value_t *gv = tgm_value_array_get(groups, g);
            char *path = text_of(tgm_value_map_get(gv, "path"));
            int id;
            err = group_at(root, path, &id);
            if (err == TGM_ERROR_OK) {
                err = define_dims(id, tgm_value_map_get(gv, "dims"), path);
            }
            if (err == TGM_ERROR_OK && m == 0) {
                err = put_attrs(id, NC_GLOBAL, tgm_value_map_get(gv, "attrs"),
                                tgm_value_map_get(gv, "attr_types"), false, path);
            }
            free(path);
        }
    }
    /* Global attributes: identical across the messages of one file. */
    for (size_t m = 0; m < count && err == TGM_ERROR_OK; m++) {
        if (tgm_message_num_objects(msgs[m].msg) == 0) {
            continue;
        }
        err = put_attrs(root, NC_GLOBAL, tgm_metadata_get_at(msgs[m].meta, 0, "netcdf._global"),
                        tgm_metadata_get_at(msgs[m].meta, 0, "netcdf._global_types"), false,
                        "the global attributes");
        break;
    }
    var_list vars = {0};
    for (size_t m = 0; m < count && err == TGM_ERROR_OK; m++) {
        size_t nobj = tgm_message_num_objects(msgs[m].msg);
        for (size_t i = 0; i < nobj && err == TGM_ERROR_OK; i++) {
            err = write_object(root, &vars, &msgs[m], i);
            if (err != TGM_ERROR_OK && count > 1) {
                err = cv_wrap(err, "message %zu", m);
            }
        }
    }
    for (size_t i = 0; i < vars.n; i++) {
        free(vars.v[i].name);
        free(vars.v[i].group);
    }
    free(vars.v);
    return err;
}

tgm_error tgm_convert_to_netcdf(const uint8_t *const *msgs, const size_t *lens, size_t count,
                                const char *path, const tgm_convert_options *opts) {
    if (path == NULL || (count > 0 && (msgs == NULL || lens == NULL))) {
        return cv_fail(TGM_ERROR_INVALID_ARG, "null argument");
    }
    if (count == 0) {
        return cv_fail(TGM_ERROR_INVALID_ARG, "to-netcdf: no messages to write");
    }
    tgm_convert_options o;
    tgm_error err = cv_options(opts, &o);
    if (err != TGM_ERROR_OK) {
        return err;
    }
    decoded *d = calloc(count, sizeof *d);
    if (d == NULL) {
        return cv_oom("to-netcdf");
    }
    for (size_t m = 0; m < count && err == TGM_ERROR_OK; m++) {
        err = tgm_decode(msgs[m], lens[m], 1, o.threads, 0, &d[m].msg);
        if (err != TGM_ERROR_OK) {
            err = cv_wrap(err, "decode tensogram message %zu", m);
            break;
        }
        err = tgm_message_metadata(d[m].msg, &d[m].meta);
    }
    if (err == TGM_ERROR_OK) {
        /* A sibling temporary file, renamed into place on success. */
        static atomic_uint counter;
        size_t pl = strlen(path);
        char *tmp = malloc(pl + 64);
        if (tmp == NULL) {
            err = cv_oom("to-netcdf");
        } else {
            const char *slash = strrchr(path, '/');
            size_t dirlen = slash != NULL ? (size_t)(slash - path) + 1 : 0;
            snprintf(tmp, pl + 64, "%.*s.%s.tmp.%ld.%u", (int)dirlen, path, path + dirlen,
                     (long)getpid(), atomic_fetch_add(&counter, 1));
            cv_nc_lock();
            int ncid;
            int st = nc_create(tmp, NC_NETCDF4 | NC_CLOBBER, &ncid);
            if (st != NC_NOERR) {
                err = st > 0 ? cv_fail(TGM_ERROR_IO, "cannot create '%s': %s", tmp, strerror(st))
                             : cv_nc_fail(st, "creating '%s'", tmp);
            } else {
                err = write_file(ncid, d, count);
                st = nc_close(ncid);
                if (err == TGM_ERROR_OK && st != NC_NOERR) {
                    err = cv_nc_fail(st, "closing '%s'", tmp);
                }
            }
            cv_nc_unlock();
            if (err == TGM_ERROR_OK && rename(tmp, path) != 0) {
                err = cv_fail(TGM_ERROR_IO, "cannot rename '%s' to '%s': %s", tmp, path,
                              strerror(errno));
            }
            if (err != TGM_ERROR_OK) {
                unlink(tmp);
            }
            free(tmp);
        }
    }
    for (size_t m = 0; m < count; m++) {
        tgm_metadata_free(d[m].meta);
        tgm_message_free(d[m].msg);
    }
    free(d);
    return err;
}
