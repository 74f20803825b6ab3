/* tensogram plot: a quick-look PNG of one object (a 2-D field, or a 2-D
 * slice of an N-D one).
 *
 * The last two axes are the picture's rows and columns; --index picks the
 * position along the axes before them (default 0).  When the message holds
 * 1-D latitude / longitude objects (named lat, latitude, lon or longitude,
 * as the xarray backend recognises coordinates) that match the axes, the
 * field is drawn north up: rows are flipped when latitude increases, and a
 * (longitude, latitude) field is transposed.  The title comes from the
 * object's metadata (name or mars.param, level, date, time, step), the
 * colour bar's label from its "units" (or cf.units). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot.h"

enum { OPT_MESSAGE, OPT_OBJECT, OPT_OUTPUT, OPT_INDEX, OPT_WIDTH, OPT_HEIGHT, OPT_COUNT };

static const cli_optdef opts[OPT_COUNT] = {
    {'m', "message", "INDEX"}, {0, "object", "INDEX"}, {'o', "output", "PATH"},
    {0, "index", "I,J,..."},   {0, "width", "PIXELS"}, {0, "height", "PIXELS"},
};

static bool parse_size(const char *cmd, const char *opt, const char *s, size_t max, size_t *out) {
    char *end;
    errno = 0;
    if (s == NULL || !isdigit((unsigned char)*s)) {
        cli_usage_error(cmd, "invalid value '%s' for '%s': expected a non-negative integer",
                        s ? s : "", opt);
        return false;
    }
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > max) {
        cli_usage_error(cmd, "invalid value '%s' for '%s'", s, opt);
        return false;
    }
    *out = (size_t)v;
    return true;
}

/* The object's values as doubles (NaN stays NaN); false for dtypes that
 * have no single real value per element. */
static bool to_doubles(const char *dtype, const uint8_t *p, size_t nbytes, double **out,
                       size_t *n) {
    size_t w;
    if (!strcmp(dtype, "float64") || !strcmp(dtype, "int64") || !strcmp(dtype, "uint64")) {
        w = 8;
    } else if (!strcmp(dtype, "float32") || !strcmp(dtype, "int32") || !strcmp(dtype, "uint32")) {
        w = 4;
    } else if (!strcmp(dtype, "float16") || !strcmp(dtype, "bfloat16") || !strcmp(dtype, "int16") ||
               !strcmp(dtype, "uint16")) {
        w = 2;
    } else if (!strcmp(dtype, "int8") || !strcmp(dtype, "uint8")) {
        w = 1;
    } else {
        cli_error("cannot plot dtype %s (plot draws real numbers)", dtype);
        return false;
    }
    *n = nbytes / w;
    double *v = xmalloc((*n ? *n : 1) * sizeof *v);
    for (size_t i = 0; i < *n; i++) {
        const uint8_t *e = p + i * w;
        double x;
        if (!strcmp(dtype, "float64")) {
            memcpy(&x, e, 8);
        } else if (!strcmp(dtype, "float32")) {
            float f;
            memcpy(&f, e, 4);
            x = f;
        } else if (!strcmp(dtype, "float16")) {
            uint16_t h;
            memcpy(&h, e, 2);
            int ex = (h >> 10) & 0x1f, man = h & 0x3ff;
            double m = ex == 0    ? ldexp(man, -24)
                       : ex == 31 ? (man ? NAN : INFINITY)
                                  : ldexp(1024 + man, ex - 25);
            x = (h & 0x8000) ? -m : m;
        } else if (!strcmp(dtype, "bfloat16")) {
            uint16_t h;
            memcpy(&h, e, 2);
            uint32_t bits = (uint32_t)h << 16;
            float f;
            memcpy(&f, &bits, 4);
            x = f;
        } else if (!strcmp(dtype, "int64")) {
            int64_t t;
            memcpy(&t, e, 8);
            x = (double)t;
        } else if (!strcmp(dtype, "uint64")) {
            uint64_t t;
            memcpy(&t, e, 8);
            x = (double)t;
        } else if (!strcmp(dtype, "int32")) {
            int32_t t;
            memcpy(&t, e, 4);
            x = t;
        } else if (!strcmp(dtype, "uint32")) {
            uint32_t t;
            memcpy(&t, e, 4);
            x = t;
        } else if (!strcmp(dtype, "int16")) {
            int16_t t;
            memcpy(&t, e, 2);
            x = t;
        } else if (!strcmp(dtype, "uint16")) {
            uint16_t t;
            memcpy(&t, e, 2);
            x = t;
        } else if (!strcmp(dtype, "int8")) {
            x = (int8_t)e[0];
        } else {
            x = e[0];
        }
        v[i] = x;
    }
    *out = v;
    return true;
}

/* A metadata value of object `obj` as display text (strings bare, others as
 * JSON), or NULL when absent.  malloc'd. */
static char *value_text(const tgm_metadata_t *meta, size_t obj, const char *path) {
    const tgm_value_t *v = tgm_metadata_get_at(meta, obj, path);
    if (v == NULL) {
        return NULL;
    }
    size_t len;
    const char *s = tgm_value_as_string(v, &len);
    if (s != NULL) {
        return xmemdup(s, len);
    }
    tgm_bytes_t b;
    if (tgm_value_to_json(v, &b) != TGM_ERROR_OK) {
        return NULL;
    }
    char *t = xmemdup(b.data, b.len);
    tgm_bytes_free(b);
    return t;
}

static char *object_name(const tgm_metadata_t *meta, size_t obj) {
    static const char *const keys[] = {"name", "mars.param", "param", "mars.shortName",
                                       "shortName"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        char *s = value_text(meta, obj, keys[k]);
        if (s != NULL) {
            return s;
        }
    }
    return NULL;
}

/* "2t  500 hPa  20260401 1200  step 6" from what the metadata has. */
static char *title_of(const tgm_metadata_t *meta, size_t obj, size_t msg) {
    char *name = object_name(meta, obj);
    char *parts[6] = {0};
    size_t np = 0;
    parts[np++] = name ? name : xasprintf("message %zu object %zu", msg, obj);
    char *lev = value_text(meta, obj, "mars.levelist");
    char *levtype = value_text(meta, obj, "mars.levtype");
    if (lev != NULL) {
        parts[np++] = xasprintf("%s%s%s", lev, levtype && !strcmp(levtype, "pl") ? " hPa" : "",
                                levtype && strcmp(levtype, "pl") ? levtype : "");
    } else if (levtype != NULL && strcmp(levtype, "sfc") != 0) {
        parts[np++] = xstrdup(levtype);
    }
    free(lev);
    free(levtype);
    char *date = value_text(meta, obj, "mars.date");
    char *time = value_text(meta, obj, "mars.time");
    if (date != NULL) {
        parts[np++] = time ? xasprintf("%s %s", date, time) : xstrdup(date);
    }
    free(date);
    free(time);
    char *step = value_text(meta, obj, "mars.step");
    if (step == NULL) {
        step = value_text(meta, obj, "step");
    }
    if (step != NULL) {
        parts[np++] = xasprintf("step %s", step);
        free(step);
    }
    size_t len = 1;
    for (size_t i = 0; i < np; i++) {
        len += strlen(parts[i]) + 2;
    }
    char *t = xmalloc(len);
    t[0] = '\0';
    for (size_t i = 0; i < np; i++) {
        if (i) {
            strcat(t, "  ");
        }
        strcat(t, parts[i]);
        free(parts[i]);
    }
    return t;
}

/* Index of the 1-D object named like `kind` (lat or lon) with n values. */
static bool find_axis(const tgm_message_t *descs, const tgm_metadata_t *meta, const char *kind,
                      uint64_t n, size_t *out) {
    size_t count = tgm_message_num_objects(descs);
    for (size_t k = 0; k < count; k++) {
        if (tgm_object_ndim(descs, k) != 1 || tgm_object_shape(descs, k)[0] != n) {
            continue;
        }
        char *name = object_name(meta, k);
        bool hit = false;
        if (name != NULL) {
            for (char *c = name; *c; c++) {
                *c = (char)tolower((unsigned char)*c);
            }
            hit = !strcmp(kind, "lat") ? (!strcmp(name, "lat") || !strcmp(name, "latitude"))
                                       : (!strcmp(name, "lon") || !strcmp(name, "longitude"));
        }
        free(name);
        if (hit) {
            *out = k;
            return true;
        }
    }
    return false;
}

/* First and last value of 1-D object k (decoded on its own). */
static bool axis_ends(const uint8_t *buf, size_t len, size_t k, double *first, double *last) {
    tgm_message_t *m = NULL;
    if (tgm_decode_object(buf, len, k, 1, 0, 0, &m) != TGM_ERROR_OK) {
        return false;
    }
    size_t nb;
    const uint8_t *p = tgm_object_data(m, 0, &nb);
    double *v = NULL;
    size_t n = 0;
    bool ok = p != NULL && to_doubles(tgm_object_dtype(m, 0), p, nb, &v, &n) && n > 0;
    if (ok) {
        *first = v[0];
        *last = v[n - 1];
    }
    free(v);
    tgm_message_free(m);
    return ok;
}

static char *default_output(const char *input, size_t msg, size_t obj) {
    const char *base = strrchr(input, '/');
    base = base ? base + 1 : input;
    if (!strcmp(input, "-")) {
        base = "stdin";
    }
    size_t n = strlen(base);
    if (n > 4 && !strcmp(base + n - 4, ".tgm")) {
        n -= 4;
    }
    if (msg == 0 && obj == 0) {
        return xasprintf("%.*s.png", (int)n, base);
    }
    return xasprintf("%.*s_m%zu_o%zu.png", (int)n, base, msg, obj);
}

int cmd_plot(int argc, char **argv, cli_globals *g) {
    cli_args a;
    int r = cli_parse_args("plot", opts, OPT_COUNT, argc, argv, g, &a);
    if (r != 0) {
        free(a.pos);
        return r == CLI_HELP_SHOWN ? EXIT_OK : r;
    }
    if (a.npos != 1) {
        free(a.pos);
        return cli_usage_error("plot", a.npos == 0
                                           ? "the following required argument was not provided: "
                                             "<FILE>"
                                           : "plot takes one file");
    }
    size_t msg_i = 0, obj_i = 0, width = 800, height = 600;
    if ((a.present[OPT_MESSAGE] &&
         !parse_size("plot", "--message", a.value[OPT_MESSAGE], SIZE_MAX, &msg_i)) ||
        (a.present[OPT_OBJECT] &&
         !parse_size("plot", "--object", a.value[OPT_OBJECT], SIZE_MAX, &obj_i)) ||
        (a.present[OPT_WIDTH] &&
         !parse_size("plot", "--width", a.value[OPT_WIDTH], 8192, &width)) ||
        (a.present[OPT_HEIGHT] &&
         !parse_size("plot", "--height", a.value[OPT_HEIGHT], 8192, &height))) {
        free(a.pos);
        return EXIT_USAGE;
    }
    if (width < 16 || height < 16) {
        free(a.pos);
        return cli_usage_error("plot", "--width and --height must be at least 16 pixels");
    }
    /* --index I,J,...: positions along the leading axes */
    size_t nidx = 0;
    size_t idx[32];
    if (a.present[OPT_INDEX]) {
        const char *s = a.value[OPT_INDEX];
        while (*s) {
            char part[32];
            size_t k = strcspn(s, ",");
            if (k == 0 || k >= sizeof part || nidx == 32) {
                free(a.pos);
                return cli_usage_error("plot", "invalid value '%s' for '--index'",
                                       a.value[OPT_INDEX]);
            }
            memcpy(part, s, k);
            part[k] = '\0';
            if (!parse_size("plot", "--index", part, SIZE_MAX, &idx[nidx])) {
                free(a.pos);
                return EXIT_USAGE;
            }
            nidx++;
            s += k + (s[k] == ',');
        }
    }

    int rc = EXIT_FAIL;
    cli_input in;
    tgm_metadata_t *meta = NULL;
    tgm_message_t *descs = NULL, *obj = NULL;
    tgm_bytes_t owned = {0};
    double *values = NULL, *plane = NULL;
    char *title = NULL, *subtitle = NULL, *units = NULL, *out_path = NULL;
    plot_image img = {0};
    uint8_t *png = NULL;
    size_t png_len = 0;
    const uint8_t *buf;
    size_t len;
    if (!input_open(&in, a.pos[0], g->strict)) {
        free(a.pos);
        return EXIT_FAIL;
    }
    if (msg_i >= in.count) {
        cli_error("message %zu out of range: '%s' has %zu message(s)", msg_i, a.pos[0], in.count);
        goto done;
    }
    if (!input_message(&in, msg_i, &buf, &len, &owned) || !input_metadata(&in, msg_i, &meta) ||
        !input_descriptors(&in, msg_i, &descs)) {
        goto done;
    }
    size_t nobj = tgm_message_num_objects(descs);
    if (obj_i >= nobj) {
        cli_error("object %zu out of range: message %zu of '%s' has %zu object(s)", obj_i, msg_i,
                  a.pos[0], nobj);
        goto done;
    }
    tgm_error e = tgm_decode_object(buf, len, obj_i, 1, g->threads, 0, &obj);
    if (e != TGM_ERROR_OK) {
        cli_lib_error(e, "'%s' message %zu object %zu", a.pos[0], msg_i, obj_i);
        goto done;
    }
    size_t ndim = (size_t)tgm_object_ndim(obj, 0);
    const uint64_t *shape = tgm_object_shape(obj, 0);
    if (ndim < 2) {
        cli_error("'%s' message %zu object %zu has %zu dimension(s); plot draws 2-D fields "
                  "(or 2-D slices of N-D ones)",
                  a.pos[0], msg_i, obj_i, ndim);
        goto done;
    }
    if (nidx > ndim - 2) {
        cli_error("--index has %zu position(s) but the object has %zu leading axis/axes", nidx,
                  ndim - 2);
        goto done;
    }
    size_t nb, n;
    const uint8_t *p = tgm_object_data(obj, 0, &nb);
    if (!to_doubles(tgm_object_dtype(obj, 0), p, nb, &values, &n)) {
        goto done;
    }
    size_t rows = (size_t)shape[ndim - 2], cols = (size_t)shape[ndim - 1];
    size_t offset = 0, stride = rows * cols;
    for (size_t ax = ndim - 2; ax-- > 0;) {
        size_t at = ax < nidx ? idx[ax] : 0;
        if (at >= shape[ax]) {
            cli_error("--index position %zu is %zu but axis %zu has %llu values", ax, at, ax,
                      (unsigned long long)shape[ax]);
            goto done;
        }
        offset += at * stride;
        stride *= (size_t)shape[ax];
    }
    const double *field = values + offset;

    /* geometry: latitude / longitude objects of the message */
    bool flip = false, transpose = false;
    size_t klat, klon;
    double f0, f1;
    if (find_axis(descs, meta, "lat", rows, &klat) && axis_ends(buf, len, klat, &f0, &f1)) {
        flip = f0 < f1;
    } else if (find_axis(descs, meta, "lat", cols, &klat) &&
               find_axis(descs, meta, "lon", rows, &klon) && axis_ends(buf, len, klat, &f0, &f1)) {
        transpose = true;
        flip = f0 < f1;
    }
    if (transpose) {
        plane = xmalloc(rows * cols * sizeof *plane);
        for (size_t r0 = 0; r0 < rows; r0++) {
            for (size_t c0 = 0; c0 < cols; c0++) {
                plane[c0 * rows + r0] = field[r0 * cols + c0];
            }
        }
        field = plane;
        size_t t = rows;
        rows = cols;
        cols = t;
    }

    title = title_of(meta, obj_i, msg_i);
    char shape_text[256] = "";
    for (size_t d = 0; d < ndim; d++) {
        char part[32];
        snprintf(part, sizeof part, "%s%llu", d ? "x" : "", (unsigned long long)shape[d]);
        strncat(shape_text, part, sizeof shape_text - strlen(shape_text) - 1);
    }
    char slice_text[128] = "";
    for (size_t d = 0; d + 2 < ndim && strlen(slice_text) < 100; d++) {
        char part[32];
        snprintf(part, sizeof part, "%s%zu", d ? "," : " [", d < nidx ? idx[d] : 0);
        strcat(slice_text, part);
    }
    if (ndim > 2) {
        strcat(slice_text, ",:,:]");
    }
    const char *base = strrchr(a.pos[0], '/');
    subtitle = xasprintf("%s  message %zu object %zu  %s %s%s", base ? base + 1 : a.pos[0], msg_i,
                         obj_i, tgm_object_dtype(obj, 0), shape_text, slice_text);
    units = value_text(meta, obj_i, "units");
    if (units == NULL) {
        units = value_text(meta, obj_i, "cf.units");
    }

    plot_field pf = {field,           rows, cols, flip, title, subtitle, units, (unsigned)width,
                     (unsigned)height};
    if (!plot_render(&pf, &img) || !plot_png(&img, &png, &png_len)) {
        goto done;
    }
    out_path = a.present[OPT_OUTPUT] ? xstrdup(a.value[OPT_OUTPUT])
                                     : default_output(a.pos[0], msg_i, obj_i);
    cli_output out;
    if (!output_open(&out, out_path)) {
        goto done;
    }
    if (!output_write(&out, png, png_len) || !output_commit(&out)) {
        output_abort(&out);
        goto done;
    }
    if (strcmp(out_path, "-") != 0) {
        printf("%s: %ux%u, field %ux%u at (%u,%u)  %s  min %.6g  max %.6g%s%s%s\n", out_path,
               img.width, img.height, img.map_w, img.map_h, img.map_x, img.map_y, title, img.vmin,
               img.vmax, units ? " " : "", units ? units : "",
               img.nan_count ? "  (missing values drawn grey)" : "");
    }
    rc = cli_flush_stdout() ? EXIT_OK : EXIT_FAIL;
done:
    free(png);
    plot_free(&img);
    free(out_path);
    free(units);
    free(subtitle);
    free(title);
    free(plane);
    free(values);
    tgm_message_free(obj);
    tgm_message_free(descs);
    tgm_metadata_free(meta);
    if (owned.data != NULL) {
        tgm_bytes_free(owned);
    }
    input_close(&in);
    free(a.pos);
    return rc;
}
