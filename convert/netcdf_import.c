/* NetCDF -> Tensogram (tgm_convert_netcdf_file / _buffer).
 *
 * Every numeric variable of every group becomes one object.  The metadata
 * follows the reference's layout (base[i].name, base[i].netcdf with the
 * attributes, _dims, _file, _attr_types, _global, _global_types,
 * record_index; base[i].cf with --cf) plus what a faithful round trip
 * needs and the reference does not keep: _group (variables of sub-groups),
 * _file.groups (their dimensions and attributes), _packing (the packed
 * type and attributes of unpacked variables), _record_dim / _record_axis
 * (where a record slice sits).  docs/convert.md has the full mapping. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netcdf_internal.h"

#include <netcdf_mem.h> /* after netcdf.h, which it needs */

/* Helpers inlined into each build of the unpacking loops (widen_unpack). */
#if defined(__GNUC__)
#define CV_INLINE inline __attribute__((always_inline))
#else
#define CV_INLINE inline
#endif

typedef struct {
    int ncid;
    char *path; /* "/" for the root group */
} group;

typedef struct {
    const tgm_convert_options *o;
    cv_pipeline p;
    const char *name; /* the input, for messages */
    int ncid;
    group *groups;
    size_t ngroups;
    cv_buf file_meta; /* JSON value of _file */
    cv_buf global;    /* members of _global */
    cv_buf global_types;
    int record_dimid; /* -1: none */
    char record_dim[NC_MAX_NAME + 1];
    size_t nrecords;
    /* Classic formats (CDF-1, -2, -5) are read from memory (the buffer, or
     * the file mapped): netCDF-C then reports a read past the end, where
     * from a file it would return zeros.  0: HDF5, read by netCDF-C. */
    size_t classic_len;
    /* The padding after a small classic file opened from a copy (see
     * open_padded), or NULL. */
    uint8_t *pad;
} ctx;

/* One converted variable: its descriptor inputs, data and base entry. */
typedef struct {
    char name[NC_MAX_NAME + 1];
    const char *dtype;
    size_t esize;
    uint32_t ndim;
    uint64_t shape[NC_MAX_VAR_DIMS];
    void *data; /* host order; NULL until read */
    size_t nbytes;
    cv_buf base;
    /* Where the values are read from (describe, read_values). */
    int ncid, varid;
    nc_type xtype;
    bool packed; /* unpacked to float64 here */
    size_t count_n, raw_size;
    size_t start[NC_MAX_VAR_DIMS], count[NC_MAX_VAR_DIMS];
    uint32_t flags; /* TGM_ENCODE_FILL_* of the values read */
} var_out;

static void var_free(var_out *v) {
    free(v->data);
    cv_buf_free(&v->base);
    memset(v, 0, sizeof *v);
}

/* ---- file structure --------------------------------------------------------------------- */

static tgm_error add_groups(ctx *c, int ncid) {
    size_t len = 0;
    int st = nc_inq_grpname_full(ncid, &len, NULL);
    if (st != NC_NOERR) {
        return cv_nc_fail(st, "group name in '%s'", c->name);
    }
    char *path = malloc(len + 1);
    if (path == NULL) {
        return cv_oom("NetCDF groups");
    }
    if ((st = nc_inq_grpname_full(ncid, &len, path)) != NC_NOERR) {
        free(path);
        return cv_nc_fail(st, "group name in '%s'", c->name);
    }
    path[len] = '\0';
    group *g = realloc(c->groups, (c->ngroups + 1) * sizeof *g);
    if (g == NULL) {
        free(path);
        return cv_oom("NetCDF groups");
    }
    c->groups = g;
    c->groups[c->ngroups].ncid = ncid;
    c->groups[c->ngroups].path = path;
    c->ngroups++;
    int n = 0;
    if ((st = nc_inq_grps(ncid, &n, NULL)) != NC_NOERR) {
        return cv_nc_fail(st, "sub-groups of '%s' in '%s'", path, c->name);
    }
    if (n == 0) {
        return TGM_ERROR_OK;
    }
    int *ids = malloc((size_t)n * sizeof *ids);
    if (ids == NULL) {
        return cv_oom("NetCDF groups");
    }
    tgm_error err = TGM_ERROR_OK;
    if ((st = nc_inq_grps(ncid, &n, ids)) != NC_NOERR) {
        err = cv_nc_fail(st, "sub-groups of '%s' in '%s'", path, c->name);
    }
    for (int i = 0; i < n && err == TGM_ERROR_OK; i++) {
        err = add_groups(c, ids[i]);
    }
    free(ids);
    return err;
}

/* [{"name":..,"len":..,"unlimited":..}, ...] of the dimensions defined in
 * group ncid (not its parents). */
static tgm_error dims_json(ctx *c, int ncid, cv_buf *b) {
    int n = 0, st = nc_inq_dimids(ncid, &n, NULL, 0);
    if (st != NC_NOERR) {
        return cv_nc_fail(st, "dimensions of '%s'", c->name);
    }
    int ids[NC_MAX_DIMS > 1024 ? 1024 : NC_MAX_DIMS];
    if (n > (int)(sizeof ids / sizeof ids[0])) {
        return cv_fail(TGM_ERROR_INVALID_ARG, "'%s' has %d dimensions in one group", c->name, n);
    }
    int nu = 0, unl[sizeof ids / sizeof ids[0]];
    if ((st = nc_inq_dimids(ncid, &n, ids, 0)) != NC_NOERR ||
        (st = nc_inq_unlimdims(ncid, &nu, unl)) != NC_NOERR) {
        return cv_nc_fail(st, "dimensions of '%s'", c->name);
    }
    cv_putc(b, '[');
    for (int i = 0; i < n; i++) {
        char name[NC_MAX_NAME + 1];
        size_t len;
        if ((st = nc_inq_dim(ncid, ids[i], name, &len)) != NC_NOERR) {
            return cv_nc_fail(st, "dimension %d of '%s'", ids[i], c->name);
        }
        bool unlimited = false;
        for (int k = 0; k < nu; k++) {
            unlimited = unlimited || unl[k] == ids[i];
        }
        cv_json_sep(b);
        cv_puts(b, "{\"name\":");
        cv_json_cstr(b, name);
        cv_puts(b, ",\"len\":");
        cv_json_u64(b, len);
        cv_puts(b, unlimited ? ",\"unlimited\":true}" : ",\"unlimited\":false}");
    }
    cv_putc(b, ']');
    return TGM_ERROR_OK;
}

static tgm_error describe_file(ctx *c) {
    tgm_error err = add_groups(c, c->ncid);
    if (err != TGM_ERROR_OK) {
        return err;
    }
    cv_buf *f = &c->file_meta;
    cv_puts(f, "{\"dims\":");
    if ((err = dims_json(c, c->ncid, f)) != TGM_ERROR_OK) {
        return err;
    }
    if (c->ngroups > 1) {
        cv_puts(f, ",\"groups\":[");
        for (size_t g = 1; g < c->ngroups; g++) {
            cv_json_sep(f);
            cv_puts(f, "{\"path\":");
            cv_json_cstr(f, c->groups[g].path);
            cv_puts(f, ",\"dims\":");
            if ((err = dims_json(c, c->groups[g].ncid, f)) != TGM_ERROR_OK) {
                return err;
            }
            cv_buf attrs = {0}, types = {0};
            char owner[NC_MAX_NAME + 64];
            snprintf(owner, sizeof owner, "group '%s'", c->groups[g].path);
            err = cv_nc_attrs_json(c->o, c->groups[g].ncid, NC_GLOBAL, owner, NULL, &attrs, &types);
            if (err == TGM_ERROR_OK && attrs.len > 0) {
                cv_puts(f, ",\"attrs\":{");
                cv_putn(f, attrs.p, attrs.len);
                cv_puts(f, "},\"attr_types\":{");
                cv_putn(f, types.p, types.len);
                cv_putc(f, '}');
            }
            cv_buf_free(&attrs);
            cv_buf_free(&types);
            if (err != TGM_ERROR_OK) {
                return err;
            }
            cv_putc(f, '}');
        }
        cv_putc(f, ']');
    }
    cv_putc(f, '}');
    err = cv_nc_attrs_json(c->o, c->ncid, NC_GLOBAL, "global attributes", NULL, &c->global,
                           &c->global_types);
    if (err != TGM_ERROR_OK) {
        return err;
    }
    /* The record dimension: the root group's first unlimited one. */
    c->record_dimid = -1;
    int nu = 0, unl[1024];
    int st = nc_inq_unlimdims(c->ncid, &nu, NULL);
    if (st == NC_NOERR && nu > 0 && nu <= 1024 && nc_inq_unlimdims(c->ncid, &nu, unl) == NC_NOERR) {
        int best = unl[0];
        for (int k = 1; k < nu; k++) {
            best = unl[k] < best ? unl[k] : best;
        }
        if (nc_inq_dim(c->ncid, best, c->record_dim, &c->nrecords) == NC_NOERR) {
            c->record_dimid = best;
        }
    }
    return f->oom || c->global.oom ? cv_oom("NetCDF metadata") : TGM_ERROR_OK;
}

/* ---- one variable ------------------------------------------------------------------------- */

static bool has_att(int ncid, int varid, const char *name) {
    int id;
    return nc_inq_attid(ncid, varid, name, &id) == NC_NOERR;
}

/* All numeric values of an attribute as doubles (malloc'd; *n = 0 when
 * absent or not numeric). */
static double *att_doubles(int ncid, int varid, const char *name, size_t *n) {
    nc_type t;
    size_t len, size;
    *n = 0;
    if (nc_inq_att(ncid, varid, name, &t, &len) != NC_NOERR || len == 0 ||
        cv_nc_dtype(t, &size) == NULL) {
        return NULL;
    }
    double *v = malloc(len * sizeof *v);
    if (v == NULL || nc_get_att_double(ncid, varid, name, v) != NC_NOERR) {
        free(v);
        return NULL;
    }
    *n = len;
    return v;
}

static bool skip_packing(const char *name) { return cv_nc_is_packing_attr(name); }
static bool keep_packing(const char *name) { return !cv_nc_is_packing_attr(name); }

/* The packing attributes of a variable (CF §8.1), as doubles. */
typedef struct {
    double *sf, *ao, *fill, *miss;
    size_t nsf, nao, nfill, nmiss;
} packing;

static void packing_read(int ncid, int varid, packing *pk) {
    pk->sf = att_doubles(ncid, varid, "scale_factor", &pk->nsf);
    pk->ao = att_doubles(ncid, varid, "add_offset", &pk->nao);
    pk->fill = att_doubles(ncid, varid, "_FillValue", &pk->nfill);
    pk->miss = att_doubles(ncid, varid, "missing_value", &pk->nmiss);
}

static void packing_free(packing *pk) {
    free(pk->sf);
    free(pk->ao);
    free(pk->fill);
    free(pk->miss);
}

/* Unpack values read as doubles, in place: fill / missing values become
 * NaN, the others value * scale_factor + add_offset (CF §8.1).  A value
 * is missing when it equals one of the fill / missing values, or is NaN
 * when one of those is NaN. */
static CV_INLINE void unpack(const packing *pk, double *v, size_t n) {
    bool nan_missing = false;
    for (size_t k = 0; k < pk->nfill; k++) {
        nan_missing = nan_missing || isnan(pk->fill[k]);
    }
    for (size_t k = 0; k < pk->nmiss; k++) {
        nan_missing = nan_missing || isnan(pk->miss[k]);
    }
    bool has_sf = pk->nsf > 0, has_ao = pk->nao > 0;
    double sf = has_sf ? pk->sf[0] : 1.0, ao = has_ao ? pk->ao[0] : 0.0;
    if (pk->nfill + pk->nmiss <= 2) {
        /* The usual case (a _FillValue, perhaps a missing_value), as one
         * branch-free loop; NaN never compares equal, so it stands for an
         * absent value here (and NaN fills are handled by nan_missing). */
        double c0 = pk->nfill > 0 ? pk->fill[0] : pk->nmiss > 0 ? pk->miss[0] : NAN;
        double c1 = pk->nfill > 1                     ? pk->fill[1]
                    : pk->nfill == 1 && pk->nmiss > 0 ? pk->miss[0]
                    : pk->nfill == 0 && pk->nmiss > 1 ? pk->miss[1]
                                                      : NAN;
        for (size_t i = 0; i < n; i++) {
            double x = v[i];
            bool missing = (x == c0) | (x == c1) | (nan_missing & isnan(x));
            double y = has_sf ? x * sf : x;
            y = has_ao ? y + ao : y;
            v[i] = missing ? NAN : y;
        }
        return;
    }
    for (size_t i = 0; i < n; i++) {
        double x = v[i];
        bool missing = nan_missing && isnan(x);
        for (size_t k = 0; k < pk->nfill && !missing; k++) {
            missing = x == pk->fill[k];
        }
        for (size_t k = 0; k < pk->nmiss && !missing; k++) {
            missing = x == pk->miss[k];
        }
        if (missing) {
            v[i] = NAN;
            continue;
        }
        if (has_sf) {
            x *= sf;
        }
        if (has_ao) {
            x += ao;
        }
        v[i] = x;
    }
}

/* Whether some value is NaN or infinite (an all-ones exponent carries
 * into the sign bit when 1 is added to it: adds and ors, vectorised). */
static CV_INLINE bool any_nonfinite(const double *v, size_t n) {
    uint64_t bad = 0;
    for (size_t k = 0; k < n; k++) {
        uint64_t bits;
        memcpy(&bits, &v[k], sizeof bits);
        bad |= (bits & 0x7ff0000000000000ull) + (1ull << 52);
    }
    return (bad >> 63) != 0;
}

/* unpack, block by block, each block then checked while in cache: whether
 * the result holds a NaN / Inf (fill values, or extreme attributes). */
static bool unpack_checked(const packing *pk, double *v, size_t n) {
    enum { BLOCK = 2048 };
    bool bad = false;
    for (size_t i = 0; i < n; i += BLOCK) {
        size_t m = n - i < BLOCK ? n - i : BLOCK;
        unpack(pk, v + i, m);
        bad |= any_nonfinite(v + i, m);
    }
    return bad;
}

/* Integer types whose values every double holds exactly: read in their own
 * type and widened here, block by block, each block unpacked while it is
 * in cache (one pass over memory instead of netCDF-C's conversion pass
 * followed by the unpacking pass; the same doubles). */
static bool widen_here(nc_type t) {
    return t == NC_BYTE || t == NC_UBYTE || t == NC_SHORT || t == NC_USHORT || t == NC_INT ||
           t == NC_UINT;
}

#define WIDEN(T)                                                                                   \
    do {                                                                                           \
        const T *s = (const T *)raw + i;                                                           \
        for (size_t k = 0; k < m; k++) {                                                           \
            d[k] = (double)s[k];                                                                   \
        }                                                                                          \
    } while (0)

static CV_INLINE bool widen_unpack_any(const void *raw, nc_type t, const packing *pk, double *out,
                                       size_t n) {
    enum { BLOCK = 2048 };
    bool bad = false;
    for (size_t i = 0; i < n; i += BLOCK) {
        size_t m = n - i < BLOCK ? n - i : BLOCK;
        double *d = out + i;
        switch (t) {
        case NC_BYTE:
            WIDEN(signed char);
            break;
        case NC_UBYTE:
            WIDEN(unsigned char);
            break;
        case NC_SHORT:
            WIDEN(short);
            break;
        case NC_USHORT:
            WIDEN(unsigned short);
            break;
        case NC_INT:
            WIDEN(int);
            break;
        default: /* NC_UINT */
            WIDEN(unsigned int);
            break;
        }
        unpack(pk, d, m);
        bad |= any_nonfinite(d, m);
    }
    return bad;
}

#undef WIDEN

/* The same loops built for AVX2 where the processor has it (4 doubles a
 * step instead of SSE2's 2: about 0.65 against 0.9-1.2 ms for 1 M int16
 * values).  No FMA: the multiply and the add round as in the generic
 * build (-ffp-contract=off), so the doubles are the same. */
#if defined(__GNUC__) && defined(__x86_64__)
__attribute__((target("avx2"))) static bool
widen_unpack_avx2(const void *raw, nc_type t, const packing *pk, double *out, size_t n) {
    return widen_unpack_any(raw, t, pk, out, n);
}
#endif

static bool widen_unpack(const void *raw, nc_type t, const packing *pk, double *out, size_t n) {
#if defined(__GNUC__) && defined(__x86_64__)
    if (__builtin_cpu_supports("avx2")) {
        return widen_unpack_avx2(raw, t, pk, out, n);
    }
#endif
    return widen_unpack_any(raw, t, pk, out, n);
}

/* What to do with a variable type: 0 convert, 1 skip (warning given). */
static int unsupported(ctx *c, int ncid, const char *name, nc_type xtype, bool warn) {
    const char *why = NULL;
    char detail[NC_MAX_NAME + 64];
    if (xtype == NC_CHAR) {
        why = "Char variables are not supported";
    } else if (xtype == NC_STRING) {
        why = "String variables are not supported";
    } else if (cv_nc_type_tag(xtype) == NULL) {
        char tname[NC_MAX_NAME + 1] = "?";
        int klass = 0;
        nc_inq_user_type(ncid, xtype, tname, NULL, NULL, NULL, &klass);
        const char *k = klass == NC_ENUM       ? "enum"
                        : klass == NC_COMPOUND ? "compound"
                        : klass == NC_OPAQUE   ? "opaque"
                        : klass == NC_VLEN     ? "vlen"
                                               : "user-defined";
        snprintf(detail, sizeof detail, "complex type %s '%s' is not supported", k, tname);
        why = detail;
    }
    if (why == NULL) {
        return 0;
    }
    if (warn) {
        cv_warn(c->o, "skipping variable '%s': %s", name, why);
    }
    return 1;
}

#define CLASSIC_PAD 16384 /* more than netCDF-C's header reader reads ahead */

static tgm_error truncated(const ctx *c, const char *var) {
    return cv_fail(TGM_ERROR_CONVERT,
                   "netcdf error: '%s' is truncated: the data of variable '%s' runs past its end "
                   "(%zu bytes)",
                   c->name, var, c->classic_len);
}

/* Describe variable varid of group g (everything but its values: shape,
 * type, where to read, the base entry).  record: -1 for the whole
 * variable, else the record to slice (only for variables on the record
 * dimension).  *skipped is set for unsupported types. */
static tgm_error describe(ctx *c, const group *g, int varid, long record, bool warn, var_out *v,
                          bool *skipped) {
    int ncid = g->ncid, ndims = 0, dimids[NC_MAX_VAR_DIMS];
    nc_type xtype;
    int st = nc_inq_var(ncid, varid, v->name, &xtype, &ndims, dimids, NULL);
    if (st != NC_NOERR) {
        return cv_nc_fail(st, "variable %d of '%s'", varid, c->name);
    }
    *skipped = unsupported(c, ncid, v->name, xtype, warn) != 0;
    if (*skipped) {
        return TGM_ERROR_OK;
    }
    size_t *start = v->start, *count = v->count;
    char dnames[NC_MAX_VAR_DIMS][NC_MAX_NAME + 1];
    int record_axis = -1;
    uint64_t n = 1;
    for (int d = 0; d < ndims; d++) {
        size_t len;
        if ((st = nc_inq_dim(ncid, dimids[d], dnames[d], &len)) != NC_NOERR) {
            return cv_nc_fail(st, "dimensions of '%s' in '%s'", v->name, c->name);
        }
        start[d] = 0;
        count[d] = len;
        if (record >= 0 && dimids[d] == c->record_dimid && record_axis < 0) {
            record_axis = d;
            start[d] = (size_t)record;
            count[d] = 1;
        }
    }
    v->ndim = 0;
    for (int d = 0; d < ndims; d++) {
        if (d == record_axis) {
            continue;
        }
        v->shape[v->ndim++] = count[d];
        if (count[d] != 0 && n > UINT64_MAX / count[d]) {
            return cv_fail(TGM_ERROR_INVALID_ARG, "variable '%s' of '%s' is too large", v->name,
                           c->name);
        }
        n *= count[d];
    }
    /* Record slices keep their on-disk type and attributes (as the
     * reference does); whole variables with scale_factor / add_offset are
     * unpacked to float64. */
    bool packed = record_axis < 0 &&
                  (has_att(ncid, varid, "scale_factor") || has_att(ncid, varid, "add_offset"));
    size_t raw_size = 0;
    const char *raw_dtype = cv_nc_dtype(xtype, &raw_size);
    v->dtype = packed ? "float64" : raw_dtype;
    v->esize = packed ? 8 : raw_size;
    if (n > SIZE_MAX / v->esize) {
        return cv_fail(TGM_ERROR_INVALID_ARG, "variable '%s' of '%s' is too large", v->name,
                       c->name);
    }
    v->nbytes = (size_t)n * v->esize;
    if (c->classic_len != 0 && n > c->classic_len / raw_size) {
        /* A classic file stores every value, uncompressed. */
        return truncated(c, v->name);
    }
    v->ncid = ncid;
    v->varid = varid;
    v->xtype = xtype;
    v->packed = packed;
    v->count_n = (size_t)n;
    v->raw_size = raw_size;

    /* The base entry. */
    cv_buf *b = &v->base;
    cv_puts(b, "{\"name\":");
    cv_json_cstr(b, v->name);
    cv_puts(b, ",\"netcdf\":{");
    cv_buf types = {0};
    char owner[NC_MAX_NAME + 32];
    snprintf(owner, sizeof owner, "variable '%s'", v->name);
    tgm_error err =
        cv_nc_attrs_json(c->o, ncid, varid, owner, packed ? skip_packing : NULL, b, &types);
    if (err == TGM_ERROR_OK) {
        cv_json_key(b, "_dims");
        cv_putc(b, '[');
        for (int d = 0; d < ndims; d++) {
            if (d != record_axis) {
                cv_json_sep(b);
                cv_json_cstr(b, dnames[d]);
            }
        }
        cv_putc(b, ']');
        cv_json_key(b, "_file");
        cv_putn(b, c->file_meta.p, c->file_meta.len);
        if (types.len > 0) {
            cv_json_key(b, "_attr_types");
            cv_putc(b, '{');
            cv_putn(b, types.p, types.len);
            cv_putc(b, '}');
        }
        if (c->global.len > 0) {
            cv_json_key(b, "_global");
            cv_putc(b, '{');
            cv_putn(b, c->global.p, c->global.len);
            cv_putc(b, '}');
            cv_json_key(b, "_global_types");
            cv_putc(b, '{');
            cv_putn(b, c->global_types.p, c->global_types.len);
            cv_putc(b, '}');
        }
        if (record_axis >= 0) {
            cv_json_key(b, "record_index");
            cv_json_i64(b, record);
            cv_json_key(b, "_record_dim");
            cv_json_cstr(b, c->record_dim);
            cv_json_key(b, "_record_axis");
            cv_json_i64(b, record_axis);
        }
        if (strcmp(g->path, "/") != 0) {
            cv_json_key(b, "_group");
            cv_json_cstr(b, g->path);
        }
        if (packed) {
            /* What to-netcdf needs to pack the variable again. */
            cv_buf pa = {0}, pt = {0};
            err = cv_nc_attrs_json(c->o, ncid, varid, owner, keep_packing, &pa, &pt);
            cv_json_key(b, "_packing");
            cv_puts(b, "{\"dtype\":");
            cv_json_cstr(b, raw_dtype);
            cv_puts(b, ",\"attrs\":{");
            cv_putn(b, pa.p, pa.len);
            cv_puts(b, "},\"types\":{");
            cv_putn(b, pt.p, pt.len);
            cv_puts(b, "}}");
            cv_buf_free(&pa);
            cv_buf_free(&pt);
        }
        cv_putc(b, '}');
    }
    cv_buf_free(&types);
    if (err == TGM_ERROR_OK && c->o->netcdf_cf) {
        /* The allow-listed CF attributes, in the variable's order. */
        cv_buf kept = {0};
        int natts = 0;
        nc_inq_varnatts(ncid, varid, &natts);
        for (int a = 0; a < natts && err == TGM_ERROR_OK; a++) {
            char an[NC_MAX_NAME + 1];
            if (nc_inq_attname(ncid, varid, a, an) != NC_NOERR || !cv_nc_is_cf_attr(an)) {
                continue;
            }
            size_t mark = kept.len;
            cv_json_key(&kept, an);
            if (!cv_nc_attr_json(ncid, varid, an, &kept)) {
                kept.len = mark;
                if (kept.p != NULL) {
                    kept.p[mark] = '\0';
                }
            }
        }
        if (kept.len > 0) {
            cv_puts(b, ",\"cf\":{");
            cv_putn(b, kept.p, kept.len);
            cv_putc(b, '}');
        }
        cv_buf_free(&kept);
    }
    cv_putc(b, '}');
    if (err == TGM_ERROR_OK && b->oom) {
        err = cv_oom("NetCDF metadata");
    }
    return err;
}

/* Whether v is read in its own (integer) type and widened + unpacked by
 * us (widen_unpack) afterwards. */
static bool widen_later(const ctx *c, const var_out *v) {
    return v->count_n > 0 && v->packed && c->pad == NULL && widen_here(v->xtype);
}

/* The stored values of such a variable, into new memory (*raw). */
static tgm_error read_raw(ctx *c, const var_out *v, void **raw) {
    *raw = malloc(v->count_n * v->raw_size);
    if (*raw == NULL) {
        return cv_oom("NetCDF variable");
    }
    int st = nc_get_vara(v->ncid, v->varid, v->start, v->count, *raw);
    if (st != NC_NOERR) {
        free(*raw);
        *raw = NULL;
        if (st == EPERM && c->classic_len != 0) {
            return truncated(c, v->name);
        }
        return cv_nc_fail(st, "reading '%s' of '%s'", v->name, c->name);
    }
    return TGM_ERROR_OK;
}

/* Read the values of a described variable into dst (v->nbytes bytes, host
 * order).  *flags: what is known of them for the encoder
 * (TGM_ENCODE_FILL_*): unpacked values were checked here as they were
 * made; values read as stored come from the file unchecked. */
static tgm_error read_values(ctx *c, const var_out *v, void *dst, uint32_t *flags) {
    int ncid = v->ncid, varid = v->varid, st = NC_NOERR;
    size_t n = v->count_n;
    const size_t *start = v->start, *count = v->count;
    bool bad = false;
    *flags = TGM_ENCODE_FILL_CHECK;
    if (widen_later(c, v)) {
        void *raw = NULL;
        tgm_error err = read_raw(c, v, &raw);
        if (err != TGM_ERROR_OK) {
            return err;
        }
        packing pk;
        packing_read(ncid, varid, &pk);
        bad = widen_unpack(raw, v->xtype, &pk, dst, n);
        packing_free(&pk);
        free(raw);
        *flags = bad ? TGM_ENCODE_FILL_NONFINITE : TGM_ENCODE_FILL_FINITE;
    } else if (n > 0) {
        st = v->packed ? nc_get_vara_double(ncid, varid, start, count, dst)
                       : nc_get_vara(ncid, varid, start, count, dst);
        if (st == EPERM && c->classic_len != 0) {
            /* netCDF-C's in-memory reader refuses to read past the end. */
            return truncated(c, v->name);
        }
        if (st != NC_NOERR) {
            return cv_nc_fail(st, "reading '%s' of '%s'", v->name, c->name);
        }
        if (c->pad != NULL) {
            void *again = malloc(v->nbytes);
            if (again == NULL) {
                return cv_oom("NetCDF variable");
            }
            memset(c->pad, 0xFF, CLASSIC_PAD);
            st = v->packed ? nc_get_vara_double(ncid, varid, start, count, again)
                           : nc_get_vara(ncid, varid, start, count, again);
            memset(c->pad, 0, CLASSIC_PAD);
            bool same = st == NC_NOERR && memcmp(again, dst, v->nbytes) == 0;
            free(again);
            if (!same) {
                return truncated(c, v->name);
            }
        }
        if (v->packed) {
            packing pk;
            packing_read(ncid, varid, &pk);
            bad = unpack_checked(&pk, dst, n);
            packing_free(&pk);
            *flags = bad ? TGM_ENCODE_FILL_NONFINITE : TGM_ENCODE_FILL_FINITE;
        }
    }
    return TGM_ERROR_OK;
}

/* Describe and read: the variable with its values in v->data. */
static tgm_error extract(ctx *c, const group *g, int varid, long record, bool warn, var_out *v,
                         bool *skipped) {
    tgm_error err = describe(c, g, varid, record, warn, v, skipped);
    if (err != TGM_ERROR_OK || *skipped) {
        return err;
    }
    v->data = malloc(v->nbytes ? v->nbytes : 1);
    if (v->data == NULL) {
        return cv_oom("NetCDF variable");
    }
    return read_values(c, v, v->data, &v->flags);
}

/* ---- encoding ---------------------------------------------------------------------------- */

/* The metadata JSON of a message of these variables; `values`: the
 * descriptors may look at the values (simple_packing's range). */
static tgm_error vars_json(ctx *c, var_out *const *vars, size_t n, cv_buf *meta) {
    cv_puts(meta, "{\"base\":[");
    for (size_t i = 0; i < n; i++) {
        cv_json_sep(meta);
        cv_putn(meta, vars[i]->base.p, vars[i]->base.len);
    }
    cv_puts(meta, "],\"descriptors\":[");
    for (size_t i = 0; i < n; i++) {
        const var_out *v = vars[i];
        bool f64 = strcmp(v->dtype, "float64") == 0;
        cv_json_sep(meta);
        tgm_error err =
            cv_descriptor_json(meta, v->dtype, v->esize, v->ndim, v->shape, cv_host_big_endian(),
                               &c->p, f64, f64 ? v->data : NULL, f64 ? v->nbytes / 8 : 0, v->name);
        if (err != TGM_ERROR_OK) {
            return err;
        }
    }
    cv_puts(meta, "]}");
    return cv_cstr(meta) == NULL ? cv_oom("NetCDF metadata") : TGM_ERROR_OK;
}

/* Whether the descriptors can be written before the values are read: all
 * but simple_packing, whose range may come from the values. */
static bool fill_in_place(const ctx *c) { return !c->p.simple_packing; }

/* Where commits go: the second thread (netcdf_commit.c), or here. */
typedef struct {
    tgm_encode_fill_t *f;
    cv_nc_committer *bg;
} commits;

static tgm_error commit(commits *k, const cv_nc_post *j) {
    if (k->bg != NULL) {
        return cv_nc_committer_post(k->bg, j);
    }
    return j->ranged ? tgm_encode_fill_commit_range(k->f, j->index, j->offset, j->len, j->flags)
                     : tgm_encode_fill_commit(k->f, j->index, j->flags);
}

/* The last variable, when stored contiguously, is read in ranges of
 * about this many bytes, each committed (checked and hashed) on the
 * second thread while netCDF-C reads the next: what is left to commit
 * once the reading is over is one range, not the variable (a 4 MiB
 * float32 variable: ~0.15 ms of check and hash; a range: ~0.04 ms). */
#define RANGE_BYTES ((size_t)1024 * 1024)

/* Whether v is read in ranges, and along which dimension (*dim: the
 * first whose count is not 1) how many indices at a time (*step):
 * NetCDF-4 variables in contiguous storage (a range is one read of the
 * file; chunked ones would decompress chunks again), read as stored. */
static bool in_ranges(const ctx *c, const var_out *v, size_t *dim, size_t *step) {
    size_t rb = RANGE_BYTES;
    if (c->classic_len != 0 || c->pad != NULL || v->packed || v->ndim == 0 || v->nbytes / 2 < rb) {
        return false;
    }
    int storage = 0;
    if (nc_inq_var_chunking(v->ncid, v->varid, &storage, NULL) != NC_NOERR ||
        storage != NC_CONTIGUOUS) {
        return false;
    }
    size_t d = 0;
    while (d + 1 < v->ndim && v->count[d] == 1) {
        d++;
    }
    size_t unit = v->nbytes / v->count[d]; /* bytes per index of dimension d */
    *dim = d;
    *step = unit < rb ? rb / unit : 1;
    return *step < v->count[d];
}

/* The values of v read into dst range by range, each range committed as
 * soon as it is read. */
static tgm_error read_ranges(ctx *c, const var_out *v, uint8_t *dst, size_t index, size_t d,
                             size_t step, commits *k) {
    size_t start[NC_MAX_VAR_DIMS], count[NC_MAX_VAR_DIMS];
    memcpy(start, v->start, v->ndim * sizeof *start);
    memcpy(count, v->count, v->ndim * sizeof *count);
    size_t unit = v->nbytes / v->count[d];
    for (size_t r = 0; r < v->count[d]; r += step) {
        size_t m = v->count[d] - r < step ? v->count[d] - r : step;
        start[d] = v->start[d] + r;
        count[d] = m;
        int st = nc_get_vara(v->ncid, v->varid, start, count, dst + r * unit);
        if (st != NC_NOERR) {
            return cv_nc_fail(st, "reading '%s' of '%s'", v->name, c->name);
        }
        cv_nc_post j = {index, true, r * unit, m * unit, TGM_ENCODE_FILL_CHECK, NULL, NULL, NULL};
        tgm_error err = commit(k, &j);
        if (err != TGM_ERROR_OK) {
            return err;
        }
    }
    return TGM_ERROR_OK;
}

/* Unpacking on the commit thread: the stored values read here, widened
 * and unpacked into the slot there (netCDF-C is only called here). */
typedef struct {
    void *raw;
    nc_type xtype;
    packing pk;
    double *dst;
    size_t n;
} unpack_job;

static void unpack_drop(void *arg) {
    unpack_job *u = arg;
    free(u->raw);
    packing_free(&u->pk);
    free(u);
}

static uint32_t unpack_make(void *arg) {
    unpack_job *u = arg;
    bool bad = widen_unpack(u->raw, u->xtype, &u->pk, u->dst, u->n);
    unpack_drop(u);
    return bad ? TGM_ENCODE_FILL_NONFINITE : TGM_ENCODE_FILL_FINITE;
}

/* v read here and posted to be unpacked and committed on the thread. */
static tgm_error post_unpack(ctx *c, const var_out *v, void *slot, size_t i, commits *k) {
    unpack_job *u = calloc(1, sizeof *u);
    if (u == NULL) {
        return cv_oom("NetCDF variable");
    }
    tgm_error err = read_raw(c, v, &u->raw);
    if (err != TGM_ERROR_OK) {
        free(u);
        return err;
    }
    packing_read(v->ncid, v->varid, &u->pk);
    u->xtype = v->xtype;
    u->dst = slot;
    u->n = v->count_n;
    cv_nc_post j = {i, false, 0, 0, 0, unpack_make, unpack_drop, u};
    return cv_nc_committer_post(k->bg, &j);
}

/* One message, the values read straight into it (tgm_encode_fill_*):
 * variables already read (v->data) are copied in, the others read by
 * netCDF-C at their place in the message.
 *
 * With a second thread, which checks and hashes (commits) each variable
 * while netCDF-C reads the next one here, the work is shared so that
 * neither thread waits for the other: variables we unpack go first, each
 * unpacked on the second thread when it is idle (here otherwise), and
 * the last variable is read in ranges, committed one by one, so that
 * little is left to do there once the reading is over.  Neither changes
 * a byte: every object has its own place in the message. */
static tgm_error encode_filled(ctx *c, var_out *const *vars, size_t n, cv_out *out) {
    cv_buf meta = {0};
    tgm_error err = vars_json(c, vars, n, &meta);
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    if (err == TGM_ERROR_OK && order == NULL) {
        err = cv_oom("NetCDF objects");
    }
    if (err != TGM_ERROR_OK) {
        cv_buf_free(&meta);
        free(order);
        return err;
    }
    /* NaN stands for fill values here: always allowed, stored as a mask. */
    commits k = {NULL, NULL};
    err = cv_encode_fill_begin(c->o, cv_cstr(&meta), true, &k.f);
    cv_buf_free(&meta);
    size_t d0, s0;
    if (err == TGM_ERROR_OK && cv_threads(c->o->threads) > 1 &&
        (n > 1 || (n == 1 && in_ranges(c, vars[0], &d0, &s0)))) {
        err = cv_nc_committer_start(k.f, n, &k.bg);
    }
    size_t at = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < n; i++) {
            bool first = k.bg != NULL && vars[i]->data == NULL && widen_later(c, vars[i]);
            if (first == (pass == 0)) {
                order[at++] = i;
            }
        }
    }
    for (size_t r = 0; r < n && err == TGM_ERROR_OK; r++) {
        size_t i = order[r];
        const var_out *v = vars[i];
        void *slot = NULL;
        size_t len = 0, dim = 0, step = 0;
        cv_nc_post j = {i, false, 0, 0, v->flags, NULL, NULL, NULL};
        err = tgm_encode_fill_slot(k.f, i, &slot, &len);
        if (err == TGM_ERROR_OK && len != v->nbytes) {
            err = cv_fail(TGM_ERROR_ENCODING, "internal: '%s' has %zu bytes, its slot %zu", v->name,
                          v->nbytes, len);
        }
        if (err != TGM_ERROR_OK) {
            break;
        }
        if (v->data != NULL) {
            memcpy(slot, v->data, len);
        } else if (k.bg != NULL && widen_later(c, v) && cv_nc_committer_idle(k.bg)) {
            err = post_unpack(c, v, slot, i, &k);
            continue;
        } else if (k.bg != NULL && r + 1 == n && in_ranges(c, v, &dim, &step)) {
            err = read_ranges(c, v, slot, i, dim, step, &k);
            continue;
        } else {
            err = read_values(c, v, slot, &j.flags);
        }
        if (err == TGM_ERROR_OK) {
            err = commit(&k, &j);
        }
    }
    err = cv_nc_committer_finish(k.bg, err);
    free(order);
    tgm_bytes_t m;
    if (err == TGM_ERROR_OK && (err = tgm_encode_fill_finish(k.f, &m)) == TGM_ERROR_OK) {
        err = cv_out_emit(out, m);
    }
    tgm_encode_fill_free(k.f);
    return err;
}

static tgm_error encode_vars(ctx *c, var_out *const *vars, size_t n, cv_out *out) {
    if (fill_in_place(c)) {
        return encode_filled(c, vars, n, out);
    }
    cv_buf meta = {0};
    const uint8_t **data = calloc(n ? n : 1, sizeof *data);
    size_t *lens = calloc(n ? n : 1, sizeof *lens);
    tgm_error err = TGM_ERROR_OK;
    if (data == NULL || lens == NULL) {
        err = cv_oom("NetCDF objects");
        goto cleanup;
    }
    for (size_t i = 0; i < n; i++) {
        data[i] = vars[i]->data;
        lens[i] = vars[i]->nbytes;
    }
    if ((err = vars_json(c, vars, n, &meta)) != TGM_ERROR_OK) {
        goto cleanup;
    }
    /* NaN stands for fill values here: always allowed, stored as a mask. */
    tgm_bytes_t m;
    err = cv_encode(c->o, cv_cstr(&meta), data, lens, n, true, &m);
    if (err == TGM_ERROR_OK) {
        err = cv_out_emit(out, m);
    }
cleanup:
    free(data);
    free(lens);
    cv_buf_free(&meta);
    return err;
}

/* ---- driving ------------------------------------------------------------------------------ */

typedef struct {
    const group *g;
    int varid;
    bool on_record_dim;
} var_ref;

static tgm_error list_vars(ctx *c, var_ref **out, size_t *nout) {
    var_ref *refs = NULL;
    size_t n = 0;
    for (size_t g = 0; g < c->ngroups; g++) {
        int nv = 0, st = nc_inq_varids(c->groups[g].ncid, &nv, NULL);
        if (st != NC_NOERR) {
            free(refs);
            return cv_nc_fail(st, "variables of '%s'", c->name);
        }
        if (nv == 0) {
            continue;
        }
        int *ids = malloc((size_t)nv * sizeof *ids);
        var_ref *r = realloc(refs, (n + (size_t)nv) * sizeof *r);
        if (ids == NULL || r == NULL) {
            free(ids);
            free(r != NULL ? r : refs);
            return cv_oom("NetCDF variables");
        }
        refs = r;
        nc_inq_varids(c->groups[g].ncid, &nv, ids);
        for (int i = 0; i < nv; i++) {
            int ndims = 0, dimids[NC_MAX_VAR_DIMS];
            nc_inq_var(c->groups[g].ncid, ids[i], NULL, NULL, &ndims, dimids, NULL);
            bool rec = false;
            for (int d = 0; d < ndims; d++) {
                rec = rec || (c->record_dimid >= 0 && dimids[d] == c->record_dimid);
            }
            refs[n].g = &c->groups[g];
            refs[n].varid = ids[i];
            refs[n].on_record_dim = rec;
            n++;
        }
        free(ids);
    }
    *out = refs;
    *nout = n;
    return TGM_ERROR_OK;
}

/* The size of a classic header holding what netCDF-C parsed (the classic
 * format's layout: lists of dimensions, attributes and variables; names
 * and values padded to 4 bytes; counts and sizes of 4 bytes, 8 in CDF-5;
 * offsets of 4 bytes in CDF-1, 8 otherwise).  Used on files opened from a
 * padded copy, where the parse may have run into the padding. */
static int attrs_size(int ncid, int varid, size_t w, uint64_t *size) {
    int natts = 0, st = nc_inq_varnatts(ncid, varid, &natts);
    *size += 4 + w; /* tag, count */
    for (int a = 0; st == NC_NOERR && a < natts; a++) {
        char name[NC_MAX_NAME + 1];
        nc_type t;
        size_t n = 0, es = 0;
        if ((st = nc_inq_attname(ncid, varid, a, name)) != NC_NOERR ||
            (st = nc_inq_att(ncid, varid, name, &t, &n)) != NC_NOERR ||
            (st = nc_inq_type(ncid, t, NULL, &es)) != NC_NOERR) {
            break;
        }
        *size += w + ((strlen(name) + 3) & ~(size_t)3) + 4 + w + (((uint64_t)n * es + 3) & ~3ULL);
    }
    return st;
}

static int classic_header_size(int ncid, uint64_t *size) {
    int format = 0, ndims = 0, nvars = 0;
    int st = nc_inq_format(ncid, &format);
    size_t w = format == NC_FORMAT_CDF5 ? 8 : 4, off = format == NC_FORMAT_CLASSIC ? 4 : 8;
    *size = 4 + w;
    if (st != NC_NOERR || (st = nc_inq(ncid, &ndims, &nvars, NULL, NULL)) != NC_NOERR) {
        return st;
    }
    *size += 4 + w;
    for (int d = 0; d < ndims; d++) {
        char name[NC_MAX_NAME + 1];
        if ((st = nc_inq_dimname(ncid, d, name)) != NC_NOERR) {
            return st;
        }
        *size += w + ((strlen(name) + 3) & ~(size_t)3) + w;
    }
    if ((st = attrs_size(ncid, NC_GLOBAL, w, size)) != NC_NOERR) {
        return st;
    }
    *size += 4 + w;
    for (int v = 0; v < nvars; v++) {
        char name[NC_MAX_NAME + 1];
        int nd = 0;
        if ((st = nc_inq_varname(ncid, v, name)) != NC_NOERR ||
            (st = nc_inq_varndims(ncid, v, &nd)) != NC_NOERR ||
            (st = attrs_size(ncid, v, w, size)) != NC_NOERR) {
            return st;
        }
        *size += w + ((strlen(name) + 3) & ~(size_t)3) + w + (uint64_t)nd * w + 4 + w + off;
    }
    return NC_NOERR;
}

static tgm_error run(ctx *c, cv_out *out) {
    const tgm_convert_options *o = c->o;
    if (c->pad != NULL) {
        uint64_t hsize = 0;
        int st = classic_header_size(c->ncid, &hsize);
        if (st != NC_NOERR) {
            return cv_nc_fail(st, "header of '%s'", c->name);
        }
        if (hsize > c->classic_len) {
            return cv_fail(TGM_ERROR_CONVERT,
                           "netcdf error: '%s' is truncated: its header runs past its end "
                           "(%zu bytes)",
                           c->name, c->classic_len);
        }
    }
    tgm_error err = describe_file(c);
    if (err != TGM_ERROR_OK) {
        return err;
    }
    var_ref *refs = NULL;
    size_t nrefs = 0;
    if ((err = list_vars(c, &refs, &nrefs)) != TGM_ERROR_OK) {
        return err;
    }
    var_out *vars = calloc(nrefs ? nrefs : 1, sizeof *vars);
    var_out **ptrs = calloc(nrefs ? nrefs : 1, sizeof *ptrs);
    if (vars == NULL || ptrs == NULL) {
        err = cv_oom("NetCDF variables");
        goto cleanup;
    }
    int split = o->netcdf_split_by;
    if (split != TGM_NETCDF_SPLIT_FILE && split != TGM_NETCDF_SPLIT_VARIABLE &&
        split != TGM_NETCDF_SPLIT_RECORD) {
        err = cv_fail(TGM_ERROR_INVALID_ARG, "unknown split_by %d", split);
        goto cleanup;
    }
    if (split == TGM_NETCDF_SPLIT_RECORD) {
        if (c->record_dimid < 0) {
            err = cv_fail(TGM_ERROR_INVALID_ARG,
                          "--split-by=record requires an unlimited dimension, none found in %s",
                          c->name);
            goto cleanup;
        }
        /* Static variables once (vars[i] for refs[i]); record variables
         * sliced per record into vars[nrefs - ...]: the messages keep the
         * file's variable order. */
        bool *is_static = calloc(nrefs ? nrefs : 1, sizeof *is_static);
        var_out *recs = calloc(nrefs ? nrefs : 1, sizeof *recs);
        bool any = false;
        if (is_static == NULL || recs == NULL) {
            err = cv_oom("NetCDF variables");
        }
        for (size_t i = 0; i < nrefs && err == TGM_ERROR_OK; i++) {
            bool skipped = false;
            if (refs[i].on_record_dim) {
                /* Checked (and warned about) once here. */
                char name[NC_MAX_NAME + 1];
                nc_type xt;
                nc_inq_var(refs[i].g->ncid, refs[i].varid, name, &xt, NULL, NULL, NULL);
                any = any || unsupported(c, refs[i].g->ncid, name, xt, true) == 0;
                continue;
            }
            err = extract(c, refs[i].g, refs[i].varid, -1, true, &vars[i], &skipped);
            if (err == TGM_ERROR_OK && !skipped) {
                is_static[i] = true;
                any = true;
            } else {
                var_free(&vars[i]);
            }
        }
        if (err == TGM_ERROR_OK && !any) {
            err = cv_fail(TGM_ERROR_INVALID_ARG, "no variables found in input");
        }
        if (err == TGM_ERROR_OK && c->nrecords == 0) {
            cv_warn(o,
                    "%s: the unlimited dimension '%s' has no records: nothing to convert with "
                    "--split-by record",
                    c->name, c->record_dim);
        }
        for (size_t r = 0; r < c->nrecords && err == TGM_ERROR_OK; r++) {
            size_t n = 0;
            for (size_t i = 0; i < nrefs && err == TGM_ERROR_OK; i++) {
                if (is_static[i]) {
                    ptrs[n++] = &vars[i];
                    continue;
                }
                if (!refs[i].on_record_dim) {
                    continue; /* skipped type */
                }
                bool skipped = false;
                err = extract(c, refs[i].g, refs[i].varid, (long)r, false, &recs[i], &skipped);
                if (err == TGM_ERROR_OK && !skipped) {
                    ptrs[n++] = &recs[i];
                }
            }
            if (err == TGM_ERROR_OK) {
                err = encode_vars(c, ptrs, n, out);
            }
            for (size_t i = 0; i < nrefs; i++) {
                var_free(&recs[i]);
            }
            cv_progress(o, r + 1, c->nrecords);
        }
        for (size_t i = 0; i < nrefs; i++) {
            if (is_static != NULL && is_static[i]) {
                var_free(&vars[i]);
            }
        }
        free(is_static);
        free(recs);
        goto cleanup;
    }
    size_t n = 0;
    for (size_t i = 0; i < nrefs && err == TGM_ERROR_OK; i++) {
        bool skipped = false;
        /* In place: the values are read into the message by encode_vars. */
        err = fill_in_place(c) ? describe(c, refs[i].g, refs[i].varid, -1, true, &vars[n], &skipped)
                               : extract(c, refs[i].g, refs[i].varid, -1, true, &vars[n], &skipped);
        if (err != TGM_ERROR_OK || skipped) {
            var_free(&vars[n]);
            continue;
        }
        if (split == TGM_NETCDF_SPLIT_VARIABLE) {
            var_out *one = &vars[n];
            err = encode_vars(c, &one, 1, out);
            var_free(one);
        } else {
            ptrs[n] = &vars[n];
            n++;
        }
        cv_progress(o, i + 1, nrefs);
    }
    if (err == TGM_ERROR_OK && n == 0 && out->produced == 0) {
        err = cv_fail(TGM_ERROR_INVALID_ARG, "no variables found in input");
    }
    if (err == TGM_ERROR_OK && split == TGM_NETCDF_SPLIT_FILE) {
        err = encode_vars(c, ptrs, n, out);
    }
    for (size_t i = 0; i < n; i++) {
        var_free(&vars[i]);
    }
cleanup:
    free(vars);
    free(ptrs);
    free(refs);
    return err;
}

static void ctx_free(ctx *c) {
    for (size_t g = 0; g < c->ngroups; g++) {
        free(c->groups[g].path);
    }
    free(c->groups);
    cv_buf_free(&c->file_meta);
    cv_buf_free(&c->global);
    cv_buf_free(&c->global_types);
}

static bool is_classic(const uint8_t *b) {
    return b[0] == 'C' && b[1] == 'D' && b[2] == 'F' && (b[3] == 1 || b[3] == 2 || b[3] == 5);
}

/* A classic-format file is mapped and given to netCDF-C as memory (see
 * ctx.classic_len); *map stays NULL for other files and for files that
 * cannot be opened here (nc_open then reports why). */
static tgm_error map_classic(const char *path, void **map, size_t *len) {
    *map = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return TGM_ERROR_OK;
    }
    struct stat sb;
    uint8_t magic[4];
    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size >= 4 &&
        (uint64_t)sb.st_size <= SIZE_MAX && pread(fd, magic, 4, 0) == 4 && is_classic(magic)) {
        void *m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            int e = errno;
            close(fd);
            return cv_fail(TGM_ERROR_IO, "cannot map '%s': %s", path, strerror(e));
        }
        *map = m;
        *len = (size_t)sb.st_size;
    }
    close(fd);
    return TGM_ERROR_OK;
}

/* netCDF-C reads a classic header in windows that can run past the end of
 * the file when less than a few KiB of data follow the header; from memory
 * that fails (EPERM) although the file is whole.  Such a file is opened
 * from a copy followed by CLASSIC_PAD zero bytes.  netCDF-C parses the
 * header at the open and reads the data from the memory at each call, so
 * every variable is then read twice, with the padding zero and 0xFF: a
 * read that reaches past the real end gives different values.  (A header
 * cut short and completed by zeros is refused by netCDF-C, or describes
 * data that starts past the end, or holds no data at all.) */
static int open_padded(ctx *c, const uint8_t *buf, size_t len, uint8_t **copy) {
    *copy = NULL;
    if (len > SIZE_MAX - CLASSIC_PAD || (*copy = malloc(len + CLASSIC_PAD)) == NULL) {
        return NC_ENOMEM; /* *copy NULL: ours */
    }
    memcpy(*copy, buf, len);
    memset(*copy + len, 0, CLASSIC_PAD);
    c->pad = *copy + len;
    return nc_open_mem(c->name, NC_NOWRITE, len + CLASSIC_PAD, *copy, &c->ncid);
}

static tgm_error convert(const char *path, const uint8_t *buf, size_t len,
                         const tgm_convert_options *opts, tgm_convert_result_t **res) {
    tgm_convert_options o;
    tgm_error err = cv_options(opts, &o);
    if (err != TGM_ERROR_OK) {
        return err;
    }
    ctx c;
    memset(&c, 0, sizeof c);
    c.o = &o;
    c.name = path != NULL ? path : "<memory>";
    if ((err = cv_pipeline_parse(&o, &c.p)) != TGM_ERROR_OK) {
        return err;
    }
    cv_out out;
    if ((err = cv_out_init(&out, &o)) != TGM_ERROR_OK) {
        return err;
    }
    void *map = NULL;
    size_t map_len = 0;
    if (path != NULL && (err = map_classic(path, &map, &map_len)) != TGM_ERROR_OK) {
        return cv_out_finish(&out, err, res);
    }
    if (map != NULL) {
        buf = map;
        len = map_len;
    }
    if (buf != NULL && len >= 4 && is_classic(buf)) {
        c.classic_len = len;
    }
    cv_nc_lock();
    int st = buf == NULL ? nc_open(path, NC_NOWRITE, &c.ncid)
                         : nc_open_mem(c.name, NC_NOWRITE, len, (void *)(uintptr_t)buf, &c.ncid);
    uint8_t *copy = NULL;
    bool oom = false;
    if (st == EPERM && c.classic_len != 0) {
        /* The header reader wanted bytes past the end: with the padding,
         * any failure means the header itself is cut short. */
        st = open_padded(&c, buf, len, &copy);
        oom = copy == NULL;
        st = st == NC_NOERR ? st : EPERM;
    }
    if (oom) {
        err = cv_oom("NetCDF file");
    } else if (st != NC_NOERR) {
        /* netCDF-C answers a malformed file with errno values too (EINVAL):
         * the file is an I/O problem only when the system cannot open it. */
        int fd = path != NULL ? open(path, O_RDONLY | O_CLOEXEC) : -1;
        int oe = errno;
        if (fd >= 0) {
            close(fd);
        }
        if (path != NULL && fd < 0) {
            err = cv_fail(TGM_ERROR_IO, "cannot open '%s': %s", c.name, strerror(oe));
        } else if (c.classic_len != 0 && st == EPERM) {
            err = cv_fail(TGM_ERROR_CONVERT,
                          "netcdf error: '%s' is truncated: its header runs past its end "
                          "(%zu bytes)",
                          c.name, c.classic_len);
        } else if (c.classic_len != 0) {
            err = cv_fail(TGM_ERROR_CONVERT,
                          "netcdf error: cannot open '%s': %s (corrupt or truncated header)",
                          c.name, st > 0 ? strerror(st) : nc_strerror(st));
        } else {
            err = cv_fail(TGM_ERROR_CONVERT, "netcdf error: cannot open '%s': %s%s", c.name,
                          st > 0 ? strerror(st) : nc_strerror(st),
                          st == NC_EHDFERR ? " (a corrupt or truncated NetCDF-4 / HDF5 file)" : "");
        }
    } else {
        err = run(&c, &out);
        nc_close(c.ncid);
    }
    cv_nc_unlock();
    free(copy);
    if (map != NULL) {
        munmap(map, map_len);
    }
    ctx_free(&c);
    return cv_out_finish(&out, err, res);
}

tgm_error tgm_convert_netcdf_file(const char *path, const tgm_convert_options *opts,
                                  tgm_convert_result_t **out) {
    if (path == NULL || (out == NULL && (opts == NULL || opts->sink == NULL))) {
        return cv_fail(TGM_ERROR_INVALID_ARG, "null argument");
    }
    return convert(path, NULL, 0, opts, out);
}

tgm_error tgm_convert_netcdf_buffer(const uint8_t *buf, size_t len, const tgm_convert_options *opts,
                                    tgm_convert_result_t **out) {
    if (buf == NULL || (out == NULL && (opts == NULL || opts->sink == NULL))) {
        return cv_fail(TGM_ERROR_INVALID_ARG, "null argument");
    }
    if (len == 0) {
        return cv_fail(TGM_ERROR_INVALID_ARG, "empty NetCDF buffer");
    }
    return convert(NULL, buf, len, opts, out);
}

tgm_error cv_netcdf_sanity_file(bool netcdf4, tgm_bytes_t *out) {
    cv_nc_lock();
    int ncid, dims[2], lat, lon, t;
    int st = nc_create_mem("sanity", netcdf4 ? NC_NETCDF4 : NC_CLOBBER, 4096, &ncid);
    if (st == NC_NOERR) {
        static const float lats[2] = {10, 20}, lons[2] = {0, 5};
        static const float temps[4] = {280.5f, 281.0f, 282.25f, 283.0f};
        if ((st = nc_def_dim(ncid, "lat", 2, &dims[0])) != NC_NOERR ||
            (st = nc_def_dim(ncid, "lon", 2, &dims[1])) != NC_NOERR ||
            (st = nc_def_var(ncid, "lat", NC_FLOAT, 1, &dims[0], &lat)) != NC_NOERR ||
            (st = nc_def_var(ncid, "lon", NC_FLOAT, 1, &dims[1], &lon)) != NC_NOERR ||
            (st = nc_def_var(ncid, "temperature", NC_FLOAT, 2, dims, &t)) != NC_NOERR ||
            (st = nc_put_att_text(ncid, t, "units", 1, "K")) != NC_NOERR ||
            (st = nc_enddef(ncid)) != NC_NOERR || (st = nc_put_var_float(ncid, lat, lats)) ||
            (st = nc_put_var_float(ncid, lon, lons)) || (st = nc_put_var_float(ncid, t, temps))) {
            nc_abort(ncid);
        } else {
            NC_memio mem;
            memset(&mem, 0, sizeof mem);
            st = nc_close_memio(ncid, &mem);
            if (st == NC_NOERR) {
                out->data = mem.memory; /* malloc'd by netCDF-C, now ours */
                out->len = mem.size;
            }
        }
    }
    cv_nc_unlock();
    return st == NC_NOERR
               ? TGM_ERROR_OK
               : cv_nc_fail(st, "making the %s sanity file", netcdf4 ? "NetCDF-4" : "NetCDF-3");
}
