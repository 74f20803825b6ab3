/* NetCDF converters against netCDF-C itself.  The inputs are made here in
 * every format netCDF-C writes (classic, 64-bit offset, CDF-5, NetCDF-4
 * classic model, NetCDF-4 with groups), holding every numeric type, a
 * packed variable with fill and missing values, a scalar, a record
 * variable on an unlimited dimension, and variables the converter skips
 * (char, string, enum).  Checks:
 *  - objects equal nc_get_vara's values (packed ones: CF unpacking, NaN
 *    at fill / missing points, for every integer type); names, dims and
 *    attributes in metadata;
 *  - split by file, variable and record;
 *  - to-netcdf gives back every converted variable with its type, dims,
 *    attributes and raw values, and the groups, whatever the split;
 *  - errors: no variable, no unlimited dimension, not NetCDF, missing;
 *    every prefix of a file of every format (from a file and from memory)
 *    fails, classic ones with "is truncated";
 *  - with threads, the same bytes as with one (commits on a second thread,
 *    packed variables unpacked there, the last variable read in ranges). */
#include <math.h>
#include <netcdf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tensogram/convert.h"
#include "tt.h"

#define NC(call)                                                                                   \
    do {                                                                                           \
        int st_ = (call);                                                                          \
        if (st_ != NC_NOERR) {                                                                     \
            fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call, nc_strerror(st_));       \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static char tmpdir[256];

typedef struct {
    int format; /* nc_create mode */
    const char *name;
    bool extended; /* unsigned / 64-bit types */
    bool netcdf4;  /* groups, strings, enums */
} format_case;

static const format_case formats[] = {
    {NC_CLOBBER, "classic", false, false},
    {NC_CLOBBER | NC_64BIT_OFFSET, "64bit", false, false},
    {NC_CLOBBER | NC_64BIT_DATA, "cdf5", true, false},
    {NC_CLOBBER | NC_NETCDF4 | NC_CLASSIC_MODEL, "nc4classic", false, false},
    {NC_CLOBBER | NC_NETCDF4, "nc4", true, true},
};

/* Write the test file; returns the number of variables the converter
 * keeps (numeric ones). */
static int make_file(const char *path, const format_case *f) {
    int nc, dx, dy, dt, v;
    NC(nc_create(path, f->format, &nc));
    NC(nc_def_dim(nc, "x", 3, &dx));
    NC(nc_def_dim(nc, "y", 4, &dy));
    NC(nc_def_dim(nc, "time", NC_UNLIMITED, &dt));
    NC(nc_put_att_text(nc, NC_GLOBAL, "title", 9, "test file"));
    double version = 1.5;
    NC(nc_put_att_double(nc, NC_GLOBAL, "version", NC_DOUBLE, 1, &version));
    nc_type types[10] = {NC_BYTE,  NC_SHORT,  NC_INT,  NC_FLOAT, NC_DOUBLE,
                         NC_UBYTE, NC_USHORT, NC_UINT, NC_INT64, NC_UINT64};
    int ntypes = f->extended ? 10 : 5, kept = 0;
    int dims2[2] = {dx, dy};
    for (int t = 0; t < ntypes; t++) {
        char name[32];
        snprintf(name, sizeof name, "v%d", t);
        NC(nc_def_var(nc, name, types[t], 2, dims2, &v));
        NC(nc_put_att_text(nc, v, "units", 1, "1"));
        kept++;
    }
    /* Packed: short with scale / offset, _FillValue and missing_value. */
    NC(nc_def_var(nc, "packed", NC_SHORT, 2, dims2, &v));
    float sf = 0.5f;
    double ao = 100.0;
    short fill = -1, miss[2] = {-2, -3};
    NC(nc_put_att_float(nc, v, "scale_factor", NC_FLOAT, 1, &sf));
    NC(nc_put_att_double(nc, v, "add_offset", NC_DOUBLE, 1, &ao));
    NC(nc_put_att_short(nc, v, "_FillValue", NC_SHORT, 1, &fill));
    NC(nc_put_att_short(nc, v, "missing_value", NC_SHORT, 2, miss));
    short vr[2] = {-100, 100};
    NC(nc_put_att_short(nc, v, "valid_range", NC_SHORT, 2, vr));
    NC(nc_put_att_text(nc, v, "standard_name", 15, "air_temperature"));
    kept++;
    NC(nc_def_var(nc, "scalar", NC_DOUBLE, 0, NULL, &v));
    kept++;
    int dims_rec[2] = {dt, dx};
    NC(nc_def_var(nc, "rec", NC_FLOAT, 2, dims_rec, &v));
    NC(nc_put_att_text(nc, v, "long_name", 6, "record"));
    kept++;
    NC(nc_def_var(nc, "label", NC_CHAR, 1, &dx, &v));
    if (f->netcdf4) {
        NC(nc_def_var(nc, "names", NC_STRING, 1, &dx, &v));
        nc_type et;
        signed char a = 0, b = 1;
        NC(nc_def_enum(nc, NC_BYTE, "flag_t", &et));
        NC(nc_insert_enum(nc, et, "off", &a));
        NC(nc_insert_enum(nc, et, "on", &b));
        NC(nc_def_var(nc, "flags", et, 1, &dx, &v));
        const char *strs[2] = {"a", "bc"};
        NC(nc_put_att_string(nc, NC_GLOBAL, "tags", 2, strs));
        unsigned long long big = 18446744073709551615ULL;
        NC(nc_put_att_ulonglong(nc, NC_GLOBAL, "big", NC_UINT64, 1, &big));
        int g, gd, gv;
        NC(nc_def_grp(nc, "forecast", &g));
        NC(nc_def_dim(g, "x", 2, &gd)); /* shadows the root's x */
        NC(nc_put_att_text(g, NC_GLOBAL, "purpose", 4, "test"));
        int gdims[2] = {gd, dy};
        NC(nc_def_var(g, "predicted", NC_DOUBLE, 2, gdims, &gv));
        NC(nc_put_att_text(g, gv, "units", 1, "K"));
        kept++;
    }
    NC(nc_enddef(nc));
    /* Data. */
    for (int t = 0; t < ntypes; t++) {
        int id;
        char name[32];
        snprintf(name, sizeof name, "v%d", t);
        NC(nc_inq_varid(nc, name, &id));
        double vals[12];
        for (int i = 0; i < 12; i++) {
            vals[i] = t == 3 || t == 4 ? i * 1.25 - 3 : (t == 0 ? i - 5 : i * 7 + t);
        }
        NC(nc_put_var_double(nc, id, vals));
    }
    int id;
    NC(nc_inq_varid(nc, "packed", &id));
    short p[12] = {0, 1, -1, 50, -2, 99, -3, 7, 8, -1, 10, 11};
    NC(nc_put_var_short(nc, id, p));
    NC(nc_inq_varid(nc, "scalar", &id));
    double pi = 3.25;
    NC(nc_put_var_double(nc, id, &pi));
    NC(nc_inq_varid(nc, "rec", &id));
    float r[6] = {1, 2, 3, 4, NAN, 6};
    size_t start[2] = {0, 0}, count[2] = {2, 3};
    NC(nc_put_vara_float(nc, id, start, count, r));
    NC(nc_inq_varid(nc, "label", &id));
    NC(nc_put_var_text(nc, id, "abc"));
    if (f->netcdf4) {
        int g;
        NC(nc_inq_ncid(nc, "forecast", &g));
        NC(nc_inq_varid(g, "predicted", &id));
        double pv[8] = {1, 2, 3, 4, 5, 6, 7, 8.5};
        NC(nc_put_var_double(g, id, pv));
    }
    NC(nc_close(nc));
    return kept;
}

typedef struct {
    char text[4096];
    int count;
} warnings;

static void on_warning(void *user, const char *t) {
    warnings *w = user;
    size_t n = strlen(w->text);
    snprintf(w->text + n, sizeof w->text - n, "%s\n", t);
    w->count++;
}

/* The object named `name` in the messages (message index in *mi). */
static tgm_message_t *find(tgm_convert_result_t *r, const char *name, size_t *obj,
                           tgm_metadata_t **md) {
    for (size_t i = 0; i < tgm_convert_result_count(r); i++) {
        size_t len;
        const uint8_t *b = tgm_convert_result_message(r, i, &len);
        tgm_message_t *m = NULL;
        if (tgm_decode(b, len, 1, 0, 1, &m) != TGM_ERROR_OK) {
            return NULL;
        }
        tgm_message_metadata(m, md);
        for (size_t k = 0; k < tgm_message_num_objects(m); k++) {
            const char *n = tgm_metadata_get_string_at(*md, k, "name");
            if (n != NULL && strcmp(n, name) == 0) {
                *obj = k;
                return m;
            }
        }
        tgm_metadata_free(*md);
        *md = NULL;
        tgm_message_free(m);
    }
    return NULL;
}

/* Variable values: raw (nc_get_var as the variable's type) compared with
 * the object's bytes; packed ones as CF unpacks them. */
static void check_values(int nc, tgm_convert_result_t *r) {
    int nvars;
    nc_inq_nvars(nc, &nvars);
    for (int v = 0; v < nvars; v++) {
        char name[NC_MAX_NAME + 1];
        nc_type t;
        int ndims;
        nc_inq_var(nc, v, name, &t, &ndims, NULL, NULL);
        if (t == NC_CHAR || t == NC_STRING || t > NC_STRING) {
            continue;
        }
        size_t obj = 0;
        tgm_metadata_t *md = NULL;
        tgm_message_t *m = find(r, name, &obj, &md);
        TT_CHECK(m != NULL);
        if (m == NULL) {
            fprintf(stderr, "  variable %s missing\n", name);
            continue;
        }
        size_t dl;
        const uint8_t *d = tgm_object_data(m, obj, &dl);
        if (strcmp(name, "packed") == 0) {
            TT_CHECK_EQ_STR(tgm_object_dtype(m, obj), "float64");
            const double *x = (const double *)d;
            /* raw {0,1,-1,50,-2,99,-3,7,8,-1,10,11}: -1 fill, -2 / -3 missing */
            short raw[12] = {0, 1, -1, 50, -2, 99, -3, 7, 8, -1, 10, 11};
            bool ok = dl == 96;
            for (int i = 0; ok && i < 12; i++) {
                double want = raw[i] < 0 ? NAN : raw[i] * (double)0.5f + 100.0;
                ok = (isnan(want) && isnan(x[i])) || want == x[i];
            }
            TT_CHECK(ok);
            TT_CHECK(!tgm_metadata_has_at(md, obj, "netcdf.scale_factor"));
            TT_CHECK(tgm_metadata_has_at(md, obj, "netcdf._packing.attrs.scale_factor"));
            TT_CHECK_EQ_STR(tgm_metadata_get_string_at(md, obj, "netcdf.standard_name"),
                            "air_temperature");
        } else {
            size_t size = dl;
            uint8_t raw[256];
            TT_CHECK(size <= sizeof raw);
            NC(nc_get_var(nc, v, raw));
            TT_CHECK(memcmp(raw, d, size) == 0);
        }
        tgm_metadata_free(md);
        tgm_message_free(m);
    }
}

/* The attributes of two variables are the same (name, type, values). */
static int attr_differences(int a, int va, int b, int vb, const char *what) {
    int na = 0, nb = 0, diffs = 0;
    nc_inq_varnatts(a, va, &na);
    nc_inq_varnatts(b, vb, &nb);
    if (va == NC_GLOBAL) {
        nc_inq_natts(a, &na);
        nc_inq_natts(b, &nb);
    }
    for (int i = 0; i < na; i++) {
        char name[NC_MAX_NAME + 1];
        nc_type ta, tb;
        size_t la, lb;
        nc_inq_attname(a, va, i, name);
        nc_inq_att(a, va, name, &ta, &la);
        if (nc_inq_att(b, vb, name, &tb, &lb) != NC_NOERR) {
            fprintf(stderr, "  %s: attribute %s missing\n", what, name);
            diffs++;
            continue;
        }
        /* A one-element string attribute comes back as text (as in the
         * reference); anything else keeps its type. */
        bool string_ok = ta == NC_STRING && la == 1 && tb == NC_CHAR;
        if ((ta != tb && !string_ok) || (la != lb && !string_ok)) {
            fprintf(stderr, "  %s: attribute %s type %d/%zu != %d/%zu\n", what, name, ta, la, tb,
                    lb);
            diffs++;
            continue;
        }
        if (ta == NC_STRING) {
            continue;
        }
        uint8_t x[1024], y[1024];
        size_t sz;
        nc_inq_type(a, ta, NULL, &sz);
        if (la * sz <= sizeof x) {
            nc_get_att(a, va, name, x);
            nc_get_att(b, vb, name, y);
            if (memcmp(x, y, la * sz) != 0) {
                fprintf(stderr, "  %s: attribute %s values differ\n", what, name);
                diffs++;
            }
        }
    }
    return diffs;
}

/* Every convertible variable of group `a` is in group `b` with the same
 * type, dimension names, attributes and raw values; sub-groups too. */
static int file_differences(int a, int b) {
    int diffs = attr_differences(a, NC_GLOBAL, b, NC_GLOBAL, "global");
    int nvars;
    nc_inq_nvars(a, &nvars);
    for (int v = 0; v < nvars; v++) {
        char name[NC_MAX_NAME + 1];
        nc_type ta, tb;
        int nda, ndb, da[NC_MAX_VAR_DIMS], db[NC_MAX_VAR_DIMS], vb;
        nc_inq_var(a, v, name, &ta, &nda, da, NULL);
        if (ta == NC_CHAR || ta == NC_STRING || ta > NC_STRING) {
            continue;
        }
        if (nc_inq_varid(b, name, &vb) != NC_NOERR) {
            fprintf(stderr, "  variable %s missing\n", name);
            diffs++;
            continue;
        }
        nc_inq_var(b, vb, NULL, &tb, &ndb, db, NULL);
        diffs += ta != tb || nda != ndb;
        size_t n = 1;
        for (int d = 0; d < nda && d < ndb; d++) {
            char dna[NC_MAX_NAME + 1], dnb[NC_MAX_NAME + 1];
            size_t la, lb;
            nc_inq_dim(a, da[d], dna, &la);
            nc_inq_dim(b, db[d], dnb, &lb);
            if (strcmp(dna, dnb) != 0 || la != lb) {
                fprintf(stderr, "  %s: dim %s/%zu != %s/%zu\n", name, dna, la, dnb, lb);
                diffs++;
            }
            n *= la;
        }
        diffs += attr_differences(a, v, b, vb, name);
        size_t sz;
        nc_inq_type(a, ta, NULL, &sz);
        uint8_t *x = calloc(n * sz + 1, 1), *y = calloc(n * sz + 1, 1);
        nc_get_var(a, v, x);
        nc_get_var(b, vb, y);
        if (strcmp(name, "packed") == 0) {
            /* Fill and missing points are all NaN once unpacked: packed
             * again, they all become the _FillValue (-1). */
            short *raw = (short *)x;
            for (size_t i = 0; i < n; i++) {
                raw[i] = raw[i] == -2 || raw[i] == -3 ? -1 : raw[i];
            }
        }
        if (memcmp(x, y, n * sz) != 0) {
            fprintf(stderr, "  %s: values differ\n", name);
            diffs++;
        }
        free(x);
        free(y);
    }
    int ng = 0, ga[16];
    nc_inq_grps(a, &ng, ga);
    for (int g = 0; g < ng && g < 16; g++) {
        char gname[NC_MAX_NAME + 1];
        int gb;
        nc_inq_grpname(ga[g], gname);
        if (nc_inq_ncid(b, gname, &gb) != NC_NOERR) {
            fprintf(stderr, "  group %s missing\n", gname);
            diffs++;
            continue;
        }
        diffs += file_differences(ga[g], gb);
    }
    return diffs;
}

static void test_formats(void) {
    for (size_t f = 0; f < sizeof formats / sizeof formats[0]; f++) {
        char path[512], back[512];
        snprintf(path, sizeof path, "%s/in-%s.nc", tmpdir, formats[f].name);
        int kept = make_file(path, &formats[f]);
        for (int split = 0; split < 3; split++) {
            warnings w;
            memset(&w, 0, sizeof w);
            tgm_convert_options o = TGM_CONVERT_OPTIONS_INIT;
            o.netcdf_split_by = split;
            o.netcdf_cf = true;
            o.warning = on_warning;
            o.warning_user = &w;
            tgm_convert_result_t *r = NULL;
            TT_CHECK_ERR(tgm_convert_netcdf_file(path, &o, &r), TGM_ERROR_OK);
            TT_ASSERT(r != NULL);
            size_t nmsg = tgm_convert_result_count(r);
            TT_CHECK(strstr(w.text, "skipping variable 'label': Char variables are not "
                                    "supported") != NULL);
            if (formats[f].netcdf4) {
                TT_CHECK(strstr(w.text, "'names': String variables") != NULL);
                TT_CHECK(strstr(w.text, "'flags': complex type enum 'flag_t'") != NULL);
            }
            TT_CHECK_EQ_INT(nmsg, split == 0 ? 1 : split == 1 ? (size_t)kept : 2);
            int nc;
            NC(nc_open(path, NC_NOWRITE, &nc));
            if (split != 2) {
                check_values(nc, r);
            } else {
                /* Record slices: rec[time=1] in message 1, shape [3]. */
                size_t obj = 0, len;
                const uint8_t *b = tgm_convert_result_message(r, 1, &len);
                tgm_message_t *m = NULL;
                tgm_metadata_t *md = NULL;
                TT_ASSERT(tgm_decode(b, len, 1, 0, 1, &m) == TGM_ERROR_OK);
                tgm_message_metadata(m, &md);
                for (size_t k = 0; k < tgm_message_num_objects(m); k++) {
                    const char *n = tgm_metadata_get_string_at(md, k, "name");
                    if (n != NULL && strcmp(n, "rec") == 0) {
                        obj = k;
                    }
                }
                TT_CHECK_EQ_INT(tgm_metadata_get_int_at(md, obj, "netcdf.record_index", -1), 1);
                TT_CHECK(tgm_object_ndim(m, obj) == 1 && tgm_object_shape(m, obj)[0] == 3);
                size_t dl;
                const float *d = (const float *)tgm_object_data(m, obj, &dl);
                TT_CHECK(dl == 12 && d[0] == 4 && isnan(d[1]) && d[2] == 6);
                tgm_metadata_free(md);
                tgm_message_free(m);
            }
            /* Back to NetCDF-4 and compare with the input. */
            size_t n = nmsg;
            const uint8_t **msgs = calloc(n, sizeof *msgs);
            size_t *lens = calloc(n, sizeof *lens);
            for (size_t i = 0; i < n; i++) {
                msgs[i] = tgm_convert_result_message(r, i, &lens[i]);
            }
            snprintf(back, sizeof back, "%s/back-%s-%d.nc", tmpdir, formats[f].name, split);
            TT_CHECK_ERR(tgm_convert_to_netcdf(msgs, lens, n, back, NULL), TGM_ERROR_OK);
            int nb;
            NC(nc_open(back, NC_NOWRITE, &nb));
            int diffs = file_differences(nc, nb);
            if (diffs != 0) {
                fprintf(stderr, "  (%s, split %d)\n", formats[f].name, split);
            }
            TT_CHECK_EQ_INT(diffs, 0);
            NC(nc_close(nb));
            NC(nc_close(nc));
            unlink(back);
            free(msgs);
            free(lens);
            tgm_convert_result_free(r);
        }
        /* From memory: the same objects as from the file. */
        size_t len;
        unsigned char *bytes = tt_read_file(path, &len);
        tgm_convert_result_t *r1 = NULL, *r2 = NULL;
        TT_CHECK_ERR(tgm_convert_netcdf_buffer(bytes, len, NULL, &r1), TGM_ERROR_OK);
        TT_CHECK_ERR(tgm_convert_netcdf_file(path, NULL, &r2), TGM_ERROR_OK);
        if (r1 != NULL && r2 != NULL) {
            int nc;
            NC(nc_open(path, NC_NOWRITE, &nc));
            check_values(nc, r1);
            NC(nc_close(nc));
        }
        tgm_convert_result_free(r1);
        tgm_convert_result_free(r2);
        free(bytes);
        unlink(path);
    }
}

static void test_errors(void) {
    char path[512];
    snprintf(path, sizeof path, "%s/empty.nc", tmpdir);
    int nc;
    NC(nc_create(path, NC_CLOBBER, &nc));
    NC(nc_put_att_text(nc, NC_GLOBAL, "title", 5, "empty"));
    int d, v;
    NC(nc_def_dim(nc, "x", 2, &d));
    NC(nc_close(nc));
    tgm_convert_result_t *r = NULL;
    TT_CHECK_ERR(tgm_convert_netcdf_file(path, NULL, &r), TGM_ERROR_INVALID_ARG);
    TT_CHECK(strstr(tgm_last_error(), "no variables found in input") != NULL);
    /* Record splitting without an unlimited dimension. */
    NC(nc_create(path, NC_CLOBBER, &nc));
    NC(nc_def_dim(nc, "x", 2, &d));
    NC(nc_def_var(nc, "a", NC_FLOAT, 1, &d, &v));
    NC(nc_close(nc));
    tgm_convert_options o = TGM_CONVERT_OPTIONS_INIT;
    o.netcdf_split_by = TGM_NETCDF_SPLIT_RECORD;
    TT_CHECK_ERR(tgm_convert_netcdf_file(path, &o, &r), TGM_ERROR_INVALID_ARG);
    TT_CHECK(strstr(tgm_last_error(), "requires an unlimited dimension") != NULL);
    /* Not NetCDF; missing; truncated. */
    FILE *f = fopen(path, "wb");
    fputs("this is not a NetCDF file", f);
    fclose(f);
    TT_CHECK_ERR(tgm_convert_netcdf_file(path, NULL, &r), TGM_ERROR_CONVERT);
    TT_CHECK(strstr(tgm_last_error(), "netcdf error") != NULL);
    TT_CHECK_ERR(tgm_convert_netcdf_file("/nonexistent/x.nc", NULL, &r), TGM_ERROR_IO);
    /* Every prefix of a file of every format fails cleanly, from a file
     * and from memory.  netCDF-C alone reads a cut classic file's missing
     * data as zeros: the converter must refuse it, not convert zeros. */
    char cut_path[300];
    snprintf(cut_path, sizeof cut_path, "%s/cut.nc", tmpdir);
    for (size_t fi = 0; fi < sizeof formats / sizeof formats[0]; fi++) {
        snprintf(path, sizeof path, "%s/in-trunc.nc", tmpdir);
        make_file(path, &formats[fi]);
        size_t len;
        unsigned char *bytes = tt_read_file(path, &len);
        TT_ASSERT(bytes != NULL);
        bool classic = !formats[fi].netcdf4 && !(formats[fi].format & NC_NETCDF4);
        size_t step = classic ? 1 : 211, failed = 0, truncated = 0, tried = 0;
        for (size_t cut = 0; cut < len; cut += step) {
            tried++;
            f = fopen(cut_path, "wb");
            TT_ASSERT(f != NULL);
            TT_ASSERT(fwrite(bytes, 1, cut, f) == cut);
            fclose(f);
            for (int from_file = 0; from_file < 2; from_file++) {
                tgm_error e = from_file ? tgm_convert_netcdf_file(cut_path, NULL, &r)
                                        : tgm_convert_netcdf_buffer(bytes, cut, NULL, &r);
                if (e == TGM_ERROR_OK) {
                    fprintf(stderr, "  %s cut at %zu of %zu converted (%s)\n", formats[fi].name,
                            cut, len, from_file ? "file" : "buffer");
                    tgm_convert_result_free(r);
                    continue;
                }
                /* An empty buffer is a bad argument; the rest not NetCDF. */
                bool ok = e == TGM_ERROR_CONVERT || (e == TGM_ERROR_INVALID_ARG && cut == 0);
                bool said = strstr(tgm_last_error(), "is truncated") != NULL;
                if (!ok || (classic && cut >= 8 && !said)) {
                    fprintf(stderr, "  %s cut at %zu of %zu (%s): %d %s\n", formats[fi].name, cut,
                            len, from_file ? "file" : "buffer", e, tgm_last_error());
                }
                failed += ok;
                truncated += said;
            }
        }
        TT_CHECK(failed == 2 * tried);
        if (classic) {
            /* Past the first 8 bytes, the message says what happened. */
            TT_CHECK(truncated == 2 * (tried - 8));
        }
        TT_CHECK(tgm_convert_netcdf_file(path, NULL, &r) == TGM_ERROR_OK);
        tgm_convert_result_free(r);
        free(bytes);
    }
    unlink(cut_path);
    unlink(path);
    /* to-netcdf: no message, a message not from NetCDF, the file untouched. */
    TT_CHECK_ERR(tgm_convert_to_netcdf(NULL, NULL, 0, path, NULL), TGM_ERROR_INVALID_ARG);
    const char *meta = "{\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[1],"
                       "\"strides\":[1],\"dtype\":\"float64\",\"byte_order\":\"little\","
                       "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"none\"}]}";
    double x = 1;
    const uint8_t *p[1] = {(const uint8_t *)&x};
    size_t l[1] = {8};
    tgm_bytes_t msg = {NULL, 0};
    TT_ASSERT(tgm_encode(meta, p, l, 1, NULL, 0, &msg) == TGM_ERROR_OK);
    f = fopen(path, "wb");
    fputs("keep me", f);
    fclose(f);
    const uint8_t *mp[1] = {msg.data};
    TT_CHECK_ERR(tgm_convert_to_netcdf(mp, &msg.len, 1, path, NULL), TGM_ERROR_INVALID_ARG);
    size_t len;
    unsigned char *kept = tt_read_file(path, &len);
    TT_CHECK(kept != NULL && len == 7 && memcmp(kept, "keep me", 7) == 0);
    free(kept);
    tgm_bytes_free(msg);
    unlink(path);
}

/* Packed variables of every integer type netCDF-C widens exactly, long
 * enough to span several of the converter's unpacking blocks, with scale
 * and offset, scale only, offset only, a _FillValue or a missing_value:
 * the objects equal raw * scale_factor + add_offset computed here, NaN at
 * the fill / missing points (NetCDF-4, and CDF-5 read from memory). */
static double packed_raw(int t, int i) {
    switch (t) {
    case 0:
        return (double)((i % 200) - 100); /* byte */
    case 1:
        return (double)(i % 250); /* ubyte */
    case 2:
        return (double)((i * 7) % 30000 - 15000); /* short */
    case 3:
        return (double)((i * 13) % 60000); /* ushort */
    case 4:
        return (double)i * 100003.0 - 250000000.0; /* int */
    default:
        return (double)i * 800001.0; /* uint */
    }
}

static void test_packed_types(void) {
    static const nc_type types[6] = {NC_BYTE, NC_UBYTE, NC_SHORT, NC_USHORT, NC_INT, NC_UINT};
    enum { N = 5000 };
    const double sf = 0.25, ao = -3.5;
    static const int modes[2] = {NC_CLOBBER | NC_NETCDF4, NC_CLOBBER | NC_64BIT_DATA};
    for (int f = 0; f < 2; f++) {
        char path[512];
        snprintf(path, sizeof path, "%s/packed-%d.nc", tmpdir, f);
        int nc, dn, ids[6];
        NC(nc_create(path, modes[f], &nc));
        NC(nc_def_dim(nc, "n", N, &dn));
        for (int t = 0; t < 6; t++) {
            char name[16];
            snprintf(name, sizeof name, "p%d", t);
            NC(nc_def_var(nc, name, types[t], 1, &dn, &ids[t]));
            double fill = packed_raw(t, 17);
            if (t % 3 != 2) {
                NC(nc_put_att_double(nc, ids[t], "scale_factor", NC_DOUBLE, 1, &sf));
            }
            if (t % 3 != 1) {
                NC(nc_put_att_double(nc, ids[t], "add_offset", NC_DOUBLE, 1, &ao));
            }
            NC(nc_put_att_double(nc, ids[t], t % 2 ? "missing_value" : "_FillValue", types[t], 1,
                                 &fill));
        }
        NC(nc_enddef(nc));
        for (int t = 0; t < 6; t++) {
            double raw[N];
            for (int i = 0; i < N; i++) {
                raw[i] = packed_raw(t, i);
            }
            NC(nc_put_var_double(nc, ids[t], raw));
        }
        NC(nc_close(nc));
        tgm_convert_result_t *r = NULL;
        TT_CHECK_ERR(tgm_convert_netcdf_file(path, NULL, &r), TGM_ERROR_OK);
        TT_ASSERT(r != NULL);
        for (int t = 0; t < 6; t++) {
            char name[16];
            snprintf(name, sizeof name, "p%d", t);
            size_t obj = 0;
            tgm_metadata_t *md = NULL;
            tgm_message_t *m = find(r, name, &obj, &md);
            TT_CHECK(m != NULL);
            if (m == NULL) {
                continue;
            }
            size_t dl = 0;
            const double *x = (const double *)tgm_object_data(m, obj, &dl);
            TT_CHECK_EQ_STR(tgm_object_dtype(m, obj), "float64");
            TT_CHECK_EQ_INT(dl, N * sizeof(double));
            int bad = -1, nan = 0;
            double fill = packed_raw(t, 17);
            for (int i = 0; dl == N * sizeof(double) && i < N && bad < 0; i++) {
                double r0 = packed_raw(t, i);
                double want = r0;
                if (t % 3 != 2) {
                    want = want * sf;
                }
                if (t % 3 != 1) {
                    want = want + ao;
                }
                if (r0 == fill) {
                    nan += isnan(x[i]) != 0;
                    bad = isnan(x[i]) ? -1 : i;
                } else if (x[i] != want) {
                    bad = i;
                }
            }
            if (bad >= 0) {
                fprintf(stderr, "  %s (format %d): value %d is %.17g\n", name, f, bad, x[bad]);
            }
            TT_CHECK(bad < 0);
            TT_CHECK(nan >= 1);
            tgm_metadata_free(md);
            tgm_message_free(m);
        }
        tgm_convert_result_free(r);
        unlink(path);
    }
}

/* Several float variables, `nan_at` of them holding a NaN (or none when
 * negative), and a packed one with a fill value. */
static void make_many(const char *path, int nan_at) {
    int nc, d[2], v;
    NC(nc_create(path, NC_CLOBBER | NC_NETCDF4, &nc));
    NC(nc_def_dim(nc, "y", 40, &d[0]));
    NC(nc_def_dim(nc, "x", 300, &d[1]));
    for (int i = 0; i < 6; i++) {
        char name[8];
        snprintf(name, sizeof name, "f%d", i);
        NC(nc_def_var(nc, name, i % 2 ? NC_DOUBLE : NC_FLOAT, 2, d, &v));
    }
    NC(nc_def_var(nc, "packed", NC_SHORT, 2, d, &v));
    double sf = 0.5;
    short fill = -1;
    NC(nc_put_att_double(nc, v, "scale_factor", NC_DOUBLE, 1, &sf));
    NC(nc_put_att_short(nc, v, "_FillValue", NC_SHORT, 1, &fill));
    NC(nc_enddef(nc));
    double *x = malloc(40 * 300 * sizeof *x);
    short *s = malloc(40 * 300 * sizeof *s);
    for (int i = 0; i < 7; i++) {
        for (int k = 0; k < 40 * 300; k++) {
            x[k] = i * 1000.0 + k * 0.25;
            s[k] = (short)(k % 500 == 7 ? -1 : k % 3000);
        }
        if (i == nan_at) {
            x[4321] = NAN;
        }
        if (i < 6) {
            NC(nc_put_var_double(nc, i, x));
        } else {
            NC(nc_put_var_short(nc, i, s));
        }
    }
    NC(nc_close(nc));
    free(x);
    free(s);
}

/* Convert `path` with 1, 2 and 3 threads into r[0..2] (split by file or
 * variable, xxh3 or no hash): each must give `count` messages, byte for
 * byte the same; the ones that differ are named with `what`.  Returns
 * whether all three conversions produced a result. */
static bool convert_1_2_3_threads(const char *path, int split, int hash, size_t count,
                                  const char *what, tgm_convert_result_t *r[3]) {
    for (uint32_t t = 1; t <= 3; t++) {
        tgm_convert_options o = TGM_CONVERT_OPTIONS_INIT;
        o.netcdf_split_by = split;
        o.threads = t;
        o.hash_algo = hash ? "xxh3" : NULL;
        TT_CHECK_ERR(tgm_convert_netcdf_file(path, &o, &r[t - 1]), TGM_ERROR_OK);
    }
    if (r[0] == NULL || r[1] == NULL || r[2] == NULL) {
        return false;
    }
    TT_CHECK_EQ_INT(tgm_convert_result_count(r[0]), count);
    for (int t = 1; t < 3; t++) {
        TT_CHECK_EQ_INT(tgm_convert_result_count(r[t]), count);
        for (size_t i = 0;
             i < count && i < tgm_convert_result_count(r[t]) && i < tgm_convert_result_count(r[0]);
             i++) {
            size_t la, lb;
            const uint8_t *a = tgm_convert_result_message(r[0], i, &la);
            const uint8_t *b = tgm_convert_result_message(r[t], i, &lb);
            bool same = la == lb && memcmp(a, b, la) == 0;
            if (!same) {
                fprintf(stderr, "  %s, %d threads: message %zu\n", what, t + 1, i);
            }
            TT_CHECK(same);
        }
    }
    return true;
}

/* A second thread checks and hashes each variable while the next is read
 * (tgm_convert_options.threads > 1): the messages are byte for byte those
 * of one thread, with NaN masks or without, whatever the split.  The
 * provenance is fixed so that the bytes can be compared. */
static void test_threads(void) {
    char path[512];
    snprintf(path, sizeof path, "%s/many.nc", tmpdir);
    setenv("TENSOGRAM_PROVENANCE",
           "{\"time\":\"2026-01-01T00:00:00Z\",\"uuid\":\"00000000-0000-4000-8000-000000000000\"}",
           1);
    static const int nans[] = {-1, 2, 3}; /* none, in a float32, in a float64 */
    for (size_t k = 0; k < sizeof nans / sizeof nans[0]; k++) {
        int nan_at = nans[k];
        make_many(path, nan_at);
        for (int split = 0; split < 2; split++) {
            for (int hash = 0; hash < 2; hash++) {
                tgm_convert_result_t *r[3] = {NULL, NULL, NULL};
                char what[64];
                snprintf(what, sizeof what, "nan_at %d, split %d, hash %d", nan_at, split, hash);
                TT_ASSERT(convert_1_2_3_threads(path, split, hash, split == 0 ? 1 : 7, what, r));
                /* And the values are right (hashes verified when present). */
                size_t len;
                const uint8_t *b = tgm_convert_result_message(r[1], 0, &len);
                tgm_message_t *m = NULL;
                TT_CHECK_ERR(tgm_decode(b, len, 1, 1, hash, &m), TGM_ERROR_OK);
                if (m != NULL && split == 0) {
                    size_t dl;
                    const double *d = (const double *)tgm_object_data(m, 3, &dl);
                    TT_CHECK(dl == 40 * 300 * 8 && d[1] == 3000.25);
                    TT_CHECK(nan_at == 3 ? isnan(d[4321]) : d[4321] == 3000 + 4321 * 0.25);
                }
                tgm_message_free(m);
                for (int t = 0; t < 3; t++) {
                    tgm_convert_result_free(r[t]);
                }
            }
        }
    }
    unsetenv("TENSOGRAM_PROVENANCE");
    unlink(path);
}

/* Large variables: with threads, a packed one is read first and unpacked
 * on the second thread, and the last one, stored contiguously, is read
 * in ranges that are committed one by one (tgm_encode_fill_commit_range);
 * one thread reads and commits each variable whole.  The bytes must not
 * differ, with a NaN (a mask) in the middle range, the last range or
 * none, by file and by variable (each message then holds one variable,
 * read in ranges: along the first dimension, or the second when the
 * first has one index), hashes on and off; and the values are the
 * file's (chunked storage, read whole, holds the same values). */
static void make_large(const char *path, long nan_at) {
    enum { Y = 600, X = 1100 };
    int nc, d[3], v;
    NC(nc_create(path, NC_CLOBBER | NC_NETCDF4, &nc));
    NC(nc_def_dim(nc, "one", 1, &d[0]));
    NC(nc_def_dim(nc, "y", Y, &d[1]));
    NC(nc_def_dim(nc, "x", X, &d[2]));
    NC(nc_def_var(nc, "chunked", NC_FLOAT, 2, d + 1, &v));
    size_t chunks[2] = {100, X};
    NC(nc_def_var_chunking(nc, v, NC_CHUNKED, chunks));
    NC(nc_def_var(nc, "cube", NC_DOUBLE, 3, d, &v));
    NC(nc_def_var_chunking(nc, v, NC_CONTIGUOUS, NULL));
    NC(nc_def_var(nc, "packed", NC_SHORT, 2, d + 1, &v));
    double sf = 0.25;
    short fill = -7;
    NC(nc_put_att_double(nc, v, "scale_factor", NC_DOUBLE, 1, &sf));
    NC(nc_put_att_short(nc, v, "_FillValue", NC_SHORT, 1, &fill));
    NC(nc_def_var(nc, "big", NC_FLOAT, 2, d + 1, &v));
    NC(nc_def_var_chunking(nc, v, NC_CONTIGUOUS, NULL));
    NC(nc_enddef(nc));
    float *f = malloc((size_t)Y * X * sizeof *f);
    double *x = malloc((size_t)Y * X * sizeof *x);
    short *s = malloc((size_t)Y * X * sizeof *s);
    for (long k = 0; k < (long)Y * X; k++) {
        f[k] = (float)k * 0.5f;
        x[k] = -(double)k;
        s[k] = (short)(k % 1000 == 3 ? fill : k % 20000);
    }
    if (nan_at >= 0) {
        f[nan_at] = NAN;
    }
    NC(nc_put_var_float(nc, 0, f));
    NC(nc_put_var_double(nc, 1, x));
    NC(nc_put_var_short(nc, 2, s));
    NC(nc_put_var_float(nc, 3, f));
    NC(nc_close(nc));
    free(f);
    free(x);
    free(s);
}

static void test_large(void) {
    char path[512];
    snprintf(path, sizeof path, "%s/large.nc", tmpdir);
    setenv("TENSOGRAM_PROVENANCE",
           "{\"time\":\"2026-01-01T00:00:00Z\",\"uuid\":\"00000000-0000-4000-8000-000000000000\"}",
           1);
    const long n = 600L * 1100;
    const long nans[] = {-1, 300L * 1100 + 17, n - 1}; /* none, middle range, last element */
    for (size_t c = 0; c < sizeof nans / sizeof nans[0]; c++) {
        make_large(path, nans[c]);
        for (int split = 0; split < 2; split++) {
            for (int hash = 0; hash < 2; hash++) {
                tgm_convert_result_t *r[3] = {NULL, NULL, NULL};
                char what[64];
                snprintf(what, sizeof what, "nan %ld, split %d, hash %d", nans[c], split, hash);
                size_t count = split == 0 ? 1 : 4;
                TT_ASSERT(convert_1_2_3_threads(path, split, hash, count, what, r));
                /* The values, from the two-thread messages (hashes verified). */
                const float *big = NULL, *chunked = NULL;
                const double *cube = NULL, *packed = NULL;
                tgm_message_t *m[4] = {NULL, NULL, NULL, NULL};
                for (size_t i = 0; i < count && i < 4; i++) {
                    size_t len;
                    const uint8_t *b = tgm_convert_result_message(r[1], i, &len);
                    TT_CHECK_ERR(tgm_decode(b, len, 1, 1, hash, &m[i]), TGM_ERROR_OK);
                }
                for (size_t k = 0; k < 4; k++) {
                    tgm_message_t *msg = m[split == 0 ? 0 : k];
                    size_t obj = split == 0 ? k : 0, dl = 0;
                    const void *d = msg != NULL ? tgm_object_data(msg, obj, &dl) : NULL;
                    if (d == NULL) {
                        continue;
                    }
                    if (k == 0) {
                        chunked = dl == (size_t)n * 4 ? d : NULL;
                    } else if (k == 1) {
                        cube = dl == (size_t)n * 8 ? d : NULL;
                    } else if (k == 2) {
                        packed = dl == (size_t)n * 8 ? d : NULL;
                    } else {
                        big = dl == (size_t)n * 4 ? d : NULL;
                    }
                }
                TT_ASSERT(big != NULL && chunked != NULL && cube != NULL && packed != NULL);
                bool ok = true;
                for (long k = 0; k < n; k++) {
                    bool nan_here = k == nans[c];
                    ok &= nan_here ? isnan(big[k]) && isnan(chunked[k])
                                   : big[k] == (float)k * 0.5f && chunked[k] == big[k];
                    ok &= cube[k] == -(double)k;
                    ok &= k % 1000 == 3 ? isnan(packed[k]) : packed[k] == (k % 20000) * 0.25;
                }
                TT_CHECK(ok);
                for (int i = 0; i < 4; i++) {
                    tgm_message_free(m[i]);
                }
                for (int t = 0; t < 3; t++) {
                    tgm_convert_result_free(r[t]);
                }
            }
        }
    }
    unsetenv("TENSOGRAM_PROVENANCE");
    unlink(path);
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/tgm-test-netcdf-XXXXXX");
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    TT_RUN(test_formats);
    TT_RUN(test_errors);
    TT_RUN(test_packed_types);
    TT_RUN(test_threads);
    TT_RUN(test_large);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) {
        fprintf(stderr, "cannot remove %s\n", tmpdir);
    }
    return tt_finish("convert_test_netcdf");
}
