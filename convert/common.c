/* Shared helpers of the converters: errors, buffers, JSON text, options,
 * the data pipeline, produced messages, file reading. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* ---- errors ------------------------------------------------------------------------ */

tgm_error cv_fail(tgm_error code, const char *fmt, ...) {
    char text[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    return tgm_set_last_error(code, "%s", text);
}

tgm_error cv_oom(const char *what) {
    return tgm_set_last_error(TGM_ERROR_ENCODING, "out of memory (%s)", what);
}

tgm_error cv_wrap(tgm_error code, const char *fmt, ...) {
    char ctx[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx, sizeof ctx, fmt, ap);
    va_end(ap);
    const char *d = tgm_last_error();
    return tgm_set_last_error(code, "%s: %s", ctx, d != NULL ? d : tgm_error_string(code));
}

/* ---- buffers ------------------------------------------------------------------------ */

bool cv_reserve(cv_buf *b, size_t extra) {
    if (b->oom) {
        return false;
    }
    if (extra > SIZE_MAX - b->len - 1) {
        b->oom = true;
        return false;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap) {
        return true;
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need) {
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    }
    char *p = realloc(b->p, cap);
    if (p == NULL) {
        b->oom = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

void cv_putn(cv_buf *b, const void *s, size_t n) {
    if (n == 0 || !cv_reserve(b, n)) {
        return;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void cv_puts(cv_buf *b, const char *s) { cv_putn(b, s, strlen(s)); }

void cv_putc(cv_buf *b, char c) { cv_putn(b, &c, 1); }

void cv_printf(cv_buf *b, const char *fmt, ...) {
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = true;
        return;
    }
    if ((size_t)n < sizeof small) {
        cv_putn(b, small, (size_t)n);
        return;
    }
    if (!cv_reserve(b, (size_t)n)) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void cv_buf_free(cv_buf *b) {
    free(b->p);
    memset(b, 0, sizeof *b);
}

const char *cv_cstr(cv_buf *b) {
    if (b->oom) {
        return NULL;
    }
    if (b->p == NULL && !cv_reserve(b, 0)) {
        return NULL;
    }
    b->p[b->len] = '\0';
    return b->p;
}

/* ---- JSON --------------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n) {
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c < 0x80) {
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n < len) {
        return 0;
    }
    unsigned cp = c & (0x7F >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return 0;
    }
    return len;
}

void cv_json_str(cv_buf *b, const char *s, size_t n) {
    const unsigned char *u = (const unsigned char *)s;
    cv_putc(b, '"');
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        while (run < n && u[run] >= 0x20 && u[run] < 0x80 && u[run] != '"' && u[run] != '\\') {
            run++;
        }
        cv_putn(b, s + i, run - i);
        i = run;
        if (i >= n) {
            break;
        }
        unsigned c = u[i];
        if (c == '"' || c == '\\') {
            cv_putc(b, '\\');
            cv_putc(b, (char)c);
            i++;
        } else if (c < 0x20) {
            cv_printf(b, "\\u%04x", c);
            i++;
        } else {
            size_t l = utf8_len(u + i, n - i);
            if (l == 0) {
                cv_puts(b, "\xEF\xBF\xBD"); /* U+FFFD */
                i++;
            } else {
                cv_putn(b, s + i, l);
                i += l;
            }
        }
    }
    cv_putc(b, '"');
}

void cv_json_cstr(cv_buf *b, const char *s) { cv_json_str(b, s, strlen(s)); }

void cv_json_f64(cv_buf *b, double v) {
    if (isnan(v)) {
        cv_puts(b, "NaN");
        return;
    }
    if (isinf(v)) {
        cv_puts(b, v > 0 ? "Infinity" : "-Infinity");
        return;
    }
    char t[40];
    /* The shortest of %.15g..%.17g that reads back exactly. */
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(t, sizeof t, "%.*g", prec, v);
        if (strtod(t, NULL) == v) {
            break;
        }
    }
    cv_puts(b, t);
    if (strpbrk(t, ".eEn") == NULL) {
        cv_puts(b, ".0"); /* stay a float: "90" would read as an integer */
    }
}

/* Decimal digits written by hand: these run for every shape, stride and
 * key of every object, where vsnprintf's format parsing was most of the
 * cost of building a small message's metadata. */
void cv_json_u64(cv_buf *b, uint64_t v) {
    char t[20];
    size_t i = sizeof t;
    do {
        t[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    cv_putn(b, t + i, sizeof t - i);
}

void cv_json_i64(cv_buf *b, int64_t v) {
    if (v < 0) {
        cv_putc(b, '-');
        cv_json_u64(b, 0 - (uint64_t)v); /* INT64_MIN included */
        return;
    }
    cv_json_u64(b, (uint64_t)v);
}

void cv_json_sep(cv_buf *b) {
    if (b->len > 0 && b->p[b->len - 1] != '{' && b->p[b->len - 1] != '[') {
        cv_putc(b, ',');
    }
}

void cv_json_key(cv_buf *b, const char *key) {
    cv_json_sep(b);
    cv_json_cstr(b, key);
    cv_putc(b, ':');
}

void cv_hex(cv_buf *b, const uint8_t *p, size_t n) {
    static const char digits[] = "0123456789abcdef";
    if (n > SIZE_MAX / 2 || !cv_reserve(b, 2 * n)) {
        b->oom = true;
        return;
    }
    char *d = b->p + b->len;
    for (size_t i = 0; i < n; i++) {
        d[2 * i] = digits[p[i] >> 4];
        d[2 * i + 1] = digits[p[i] & 15];
    }
    b->len += 2 * n;
    b->p[b->len] = '\0';
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

bool cv_unhex(const char *s, size_t n, uint8_t **out, size_t *out_len) {
    if (n % 2 != 0) {
        return false;
    }
    uint8_t *p = malloc(n / 2 + 1);
    if (p == NULL) {
        return false;
    }
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            free(p);
            return false;
        }
        p[i] = (uint8_t)(hi << 4 | lo);
    }
    *out = p;
    *out_len = n / 2;
    return true;
}

/* ---- options ------------------------------------------------------------------------ */

tgm_error cv_options(const tgm_convert_options *in, tgm_convert_options *out) {
    tgm_convert_options def = TGM_CONVERT_OPTIONS_INIT;
    *out = def;
    if (in == NULL) {
        return TGM_ERROR_OK;
    }
    if (in->size < offsetof(tgm_convert_options, encoding) || in->size > 4096) {
        return cv_fail(TGM_ERROR_INVALID_ARG,
                       "tgm_convert_options.size is %zu: start from TGM_CONVERT_OPTIONS_INIT",
                       in->size);
    }
    size_t n = in->size < sizeof *out ? in->size : sizeof *out;
    memcpy(out, in, n);
    out->size = sizeof *out;
    return TGM_ERROR_OK;
}

static bool is(const char *s, const char *name) {
    return strcmp(s != NULL ? s : "none", name) == 0;
}

tgm_error cv_pipeline_parse(const tgm_convert_options *o, cv_pipeline *out) {
    memset(out, 0, sizeof *out);
    if (is(o->encoding, "simple_packing")) {
        out->simple_packing = true;
        out->bits = o->bits == 0 ? 16 : o->bits;
    } else if (!is(o->encoding, "none")) {
        return cv_fail(TGM_ERROR_INVALID_ARG,
                       "unknown encoding '%s'; expected 'none' or 'simple_packing'", o->encoding);
    }
    if (is(o->filter, "shuffle")) {
        out->shuffle = true;
    } else if (!is(o->filter, "none")) {
        return cv_fail(TGM_ERROR_INVALID_ARG, "unknown filter '%s'; expected 'none' or 'shuffle'",
                       o->filter);
    }
    static const char *const codecs[] = {"none", "zstd", "lz4", "blosc2", "szip"};
    out->compression = NULL;
    for (size_t i = 0; i < sizeof codecs / sizeof codecs[0]; i++) {
        if (is(o->compression, codecs[i])) {
            out->compression = codecs[i];
        }
    }
    if (out->compression == NULL) {
        return cv_fail(TGM_ERROR_INVALID_ARG,
                       "unknown compression '%s'; expected one of: none, zstd, lz4, blosc2, szip",
                       o->compression);
    }
    out->level = o->compression_level;
    out->has_level = o->has_compression_level;
    return TGM_ERROR_OK;
}

/* Finite min and max of the values, each the first element attaining it
 * (so -0.0 / +0.0 are kept as met, as the library's own scan keeps them). */
static bool finite_range(const double *v, size_t n, double *lo, double *hi) {
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        double x = v[i];
        if (!isfinite(x)) {
            continue;
        }
        if (!any) {
            *lo = *hi = x;
            any = true;
        } else {
            if (x < *lo) {
                *lo = x;
            }
            if (x > *hi) {
                *hi = x;
            }
        }
    }
    return any;
}

tgm_error cv_descriptor_json(cv_buf *b, const char *dtype, size_t elem_size, uint32_t ndim,
                             const uint64_t *shape, bool big_endian, const cv_pipeline *p,
                             bool pack, const double *values, size_t nvalues, const char *label) {
    cv_puts(b, "{\"type\":\"ntensor\",\"ndim\":");
    cv_json_u64(b, ndim);
    cv_puts(b, ",\"shape\":[");
    for (uint32_t i = 0; i < ndim; i++) {
        cv_json_sep(b);
        cv_json_u64(b, shape[i]);
    }
    cv_puts(b, "],\"strides\":[");
    uint64_t stride = 1;
    uint64_t strides[64];
    uint64_t *st = ndim <= 64 ? strides : malloc(ndim * sizeof *st);
    if (st == NULL) {
        return cv_oom("strides");
    }
    for (uint32_t i = ndim; i-- > 0;) {
        st[i] = stride;
        stride *= shape[i] ? shape[i] : 1;
    }
    for (uint32_t i = 0; i < ndim; i++) {
        cv_json_sep(b);
        cv_json_u64(b, st[i]);
    }
    if (st != strides) {
        free(st);
    }
    cv_puts(b, "],\"dtype\":");
    cv_json_cstr(b, dtype);
    cv_puts(b, big_endian ? ",\"byte_order\":\"big\"" : ",\"byte_order\":\"little\"");
    bool packed = p->simple_packing && pack;
    if (packed) {
        if (p->bits > 64) {
            return cv_fail(TGM_ERROR_ENCODING,
                           "simple_packing failed for %s: bits_per_value %u exceeds maximum of "
                           "64. Pre-process the data or choose a different encoding (e.g. "
                           "encoding=\"none\").",
                           label, p->bits);
        }
        cv_puts(b, ",\"encoding\":\"simple_packing\",\"sp_bits_per_value\":");
        cv_json_u64(b, p->bits);
        bool nonfinite = false;
        for (size_t i = 0; values != NULL && i < nvalues && !nonfinite; i++) {
            nonfinite = !isfinite(values[i]);
        }
        if (nonfinite) {
            /* Masked values are left out of the packing range: the encoder
             * replaces them by zero (clamped into range when packed) and
             * restores them from the mask on decode.  The parameters depend
             * on the extremes only, so they are computed from those. */
            double ends[2] = {0.0, 0.0};
            size_t nends = finite_range(values, nvalues, &ends[0], &ends[1]) ? 2 : 1;
            double ref;
            int32_t bsf;
            if (tgm_simple_packing_compute_params(ends, nends, p->bits, 0, &ref, &bsf) !=
                TGM_ERROR_OK) {
                return cv_wrap(TGM_ERROR_ENCODING, "simple_packing failed for %s", label);
            }
            cv_puts(b, ",\"sp_reference_value\":");
            cv_json_f64(b, ref);
            cv_puts(b, ",\"sp_binary_scale_factor\":");
            cv_json_i64(b, bsf);
            cv_puts(b, ",\"sp_decimal_scale_factor\":0");
        }
    } else {
        cv_puts(b, ",\"encoding\":\"none\"");
    }
    if (p->shuffle) {
        size_t es = packed ? (p->bits + 7) / 8 : elem_size;
        cv_puts(b, ",\"filter\":\"shuffle\",\"shuffle_element_size\":");
        cv_json_u64(b, es ? es : 1);
    } else {
        cv_puts(b, ",\"filter\":\"none\"");
    }
    if (strcmp(p->compression, "szip") == 0 && !packed && !p->shuffle && elem_size > 4) {
        /* CCSDS samples are at most 32 bits wide. */
        return cv_fail(TGM_ERROR_ENCODING,
                       "szip cannot compress %s: its %s samples are %zu bits wide and szip takes "
                       "at most 32 (use simple_packing (float64) or --filter shuffle first, or "
                       "another codec)",
                       label, dtype, 8 * elem_size);
    }
    cv_puts(b, ",\"compression\":");
    cv_json_cstr(b, p->compression);
    if (strcmp(p->compression, "zstd") == 0) {
        cv_puts(b, ",\"zstd_level\":");
        cv_json_i64(b, p->has_level ? p->level : 3);
    } else if (strcmp(p->compression, "blosc2") == 0) {
        cv_puts(b, ",\"blosc2_clevel\":");
        cv_json_i64(b, p->has_level ? p->level : 5);
        cv_puts(b, ",\"blosc2_codec\":\"lz4\"");
    } else if (strcmp(p->compression, "szip") == 0) {
        cv_puts(b, ",\"szip_rsi\":128,\"szip_block_size\":16,\"szip_flags\":8");
    }
    cv_putc(b, '}');
    return b->oom ? cv_oom("descriptor") : TGM_ERROR_OK;
}

/* ---- results ------------------------------------------------------------------------ */

struct tgm_convert_result_t {
    tgm_bytes_t *items;
    size_t n, cap;
};

size_t tgm_convert_result_count(const tgm_convert_result_t *res) { return res ? res->n : 0; }

const uint8_t *tgm_convert_result_message(const tgm_convert_result_t *res, size_t i, size_t *len) {
    if (res == NULL || i >= res->n) {
        if (len != NULL) {
            *len = 0;
        }
        return NULL;
    }
    if (len != NULL) {
        *len = res->items[i].len;
    }
    return res->items[i].data;
}

tgm_bytes_t tgm_convert_result_take(tgm_convert_result_t *res, size_t i) {
    tgm_bytes_t none = {NULL, 0};
    if (res == NULL || i >= res->n) {
        return none;
    }
    tgm_bytes_t m = res->items[i];
    res->items[i] = none;
    return m;
}

void tgm_convert_result_free(tgm_convert_result_t *res) {
    if (res == NULL) {
        return;
    }
    for (size_t i = 0; i < res->n; i++) {
        tgm_bytes_free(res->items[i]);
    }
    free(res->items);
    free(res);
}

tgm_error cv_out_init(cv_out *o, const tgm_convert_options *opts) {
    o->opts = opts;
    o->produced = 0;
    o->res = NULL;
    if (opts->sink == NULL) {
        o->res = calloc(1, sizeof *o->res);
        if (o->res == NULL) {
            return cv_oom("result list");
        }
    }
    return TGM_ERROR_OK;
}

tgm_error cv_out_emit(cv_out *o, tgm_bytes_t m) {
    if (o->opts->sink != NULL) {
        tgm_error e = o->opts->sink(o->opts->sink_user, m.data, m.len);
        tgm_bytes_free(m);
        if (e != TGM_ERROR_OK) {
            const char *d = tgm_last_error();
            return d != NULL ? e : cv_fail(e, "the message sink failed");
        }
        o->produced++;
        return TGM_ERROR_OK;
    }
    tgm_convert_result_t *r = o->res;
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 8;
        tgm_bytes_t *p = realloc(r->items, cap * sizeof *p);
        if (p == NULL) {
            tgm_bytes_free(m);
            return cv_oom("result list");
        }
        r->items = p;
        r->cap = cap;
    }
    r->items[r->n++] = m;
    o->produced++;
    return TGM_ERROR_OK;
}

tgm_error cv_out_finish(cv_out *o, tgm_error err, tgm_convert_result_t **dst) {
    if (err != TGM_ERROR_OK || dst == NULL) {
        tgm_convert_result_free(o->res);
        o->res = NULL;
        return err;
    }
    *dst = o->res;
    o->res = NULL;
    return TGM_ERROR_OK;
}

/* The encode options of the converters: hashes and threads from the
 * convert options, their mask options, NaN allowed when asked. */
static void encode_options(const tgm_convert_options *o, bool allow_nan, TgmEncodeMaskOptions *mask,
                           tgm_encode_options *eo) {
    memset(mask, 0, sizeof *mask);
    mask->small_mask_threshold_bytes = -1;
    if (o->mask_options != NULL) {
        *mask = *o->mask_options;
    }
    if (allow_nan) {
        mask->allow_nan = true;
    }
    *eo = (tgm_encode_options)TGM_ENCODE_OPTIONS_INIT;
    eo->hash_algo = o->hash_algo;
    eo->threads = o->threads;
    eo->mask_options = mask;
}

tgm_error cv_encode(const tgm_convert_options *o, const char *meta_json, const uint8_t *const *data,
                    const size_t *lens, size_t n, bool allow_nan, tgm_bytes_t *out) {
    TgmEncodeMaskOptions mask;
    tgm_encode_options eo;
    encode_options(o, allow_nan, &mask, &eo);
    return tgm_encode_ex(meta_json, data, lens, n, &eo, out);
}

tgm_error cv_encode_fd(const tgm_convert_options *o, const char *meta_json,
                       const uint8_t *const *data, const size_t *lens, size_t n, bool allow_nan,
                       int fd, uint64_t *out_len) {
    TgmEncodeMaskOptions mask;
    tgm_encode_options eo;
    encode_options(o, allow_nan, &mask, &eo);
    return tgm_encode_ex_fd(meta_json, data, lens, n, &eo, fd, out_len);
}

tgm_error cv_encode_fill_begin(const tgm_convert_options *o, const char *meta_json, bool allow_nan,
                               tgm_encode_fill_t **out) {
    if (meta_json == NULL) {
        return cv_oom("metadata");
    }
    TgmEncodeMaskOptions mask;
    tgm_encode_options eo;
    encode_options(o, allow_nan, &mask, &eo);
    return tgm_encode_fill_begin(meta_json, &eo, out);
}

/* ---- misc --------------------------------------------------------------------------- */

void cv_warn(const tgm_convert_options *o, const char *fmt, ...) {
    if (o->warning == NULL) {
        return;
    }
    char text[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    o->warning(o->warning_user, text);
}

void cv_progress(const tgm_convert_options *o, uint64_t done, uint64_t total) {
    if (o->progress != NULL) {
        o->progress(o->progress_user, done, total);
    }
}

tgm_error cv_file_read(const char *path, cv_file *f) {
    memset(f, 0, sizeof *f);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return cv_fail(TGM_ERROR_IO, "cannot open '%s': %s", path, strerror(errno));
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return cv_fail(TGM_ERROR_IO, "cannot stat '%s': %s", path, strerror(e));
    }
    if (S_ISREG(st.st_mode) && st.st_size > 0) {
        if ((uint64_t)st.st_size > SIZE_MAX) {
            close(fd);
            return cv_fail(TGM_ERROR_IO, "'%s' is too large to map", path);
        }
        void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m != MAP_FAILED) {
            close(fd);
            f->map = m;
            f->data = m;
            f->len = (size_t)st.st_size;
            return TGM_ERROR_OK;
        }
    }
    /* Not mappable (a pipe, /dev/stdin, an empty file): read it. */
    size_t cap = 1 << 16, len = 0;
    uint8_t *p = malloc(cap);
    while (p != NULL) {
        if (len == cap) {
            uint8_t *q = cap > SIZE_MAX / 2 ? NULL : realloc(p, cap * 2);
            if (q == NULL) {
                free(p);
                p = NULL;
                break;
            }
            p = q;
            cap *= 2;
        }
        ssize_t r = read(fd, p + len, cap - len);
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            int e = errno;
            free(p);
            close(fd);
            return cv_fail(TGM_ERROR_IO, "cannot read '%s': %s", path, strerror(e));
        }
        if (r == 0) {
            break;
        }
        len += (size_t)r;
    }
    close(fd);
    if (p == NULL) {
        return cv_oom("reading the input");
    }
    f->heap = p;
    f->data = p;
    f->len = len;
    return TGM_ERROR_OK;
}

void cv_file_close(cv_file *f) {
    if (f->map != NULL) {
        munmap(f->map, f->len);
    }
    free(f->heap);
    memset(f, 0, sizeof *f);
}

size_t cv_dtype_size(const char *d) {
    static const struct {
        const char *name;
        size_t size;
    } t[] = {{"float16", 2}, {"bfloat16", 2}, {"float32", 4},   {"float64", 8},    {"int8", 1},
             {"int16", 2},   {"int32", 4},    {"int64", 8},     {"uint8", 1},      {"uint16", 2},
             {"uint32", 4},  {"uint64", 8},   {"complex64", 8}, {"complex128", 16}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        if (strcmp(d, t[i].name) == 0) {
            return t[i].size;
        }
    }
    return 0;
}
