/* Internal declarations of libtensogram_convert, shared by its backends.
 *
 * Everything here sits on the public API (tensogram/tensogram.h,
 * tensogram/convert.h) and the C library: no header of src/ is included.
 * Internal names are cv_* (file-local ones are static and unprefixed). */
#ifndef TGM_CONVERT_INTERNAL_H
#define TGM_CONVERT_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tensogram/convert.h"

#if defined(__GNUC__) || defined(__clang__)
#define CV_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CV_PRINTF(a, b)
#endif

/* ---- errors ------------------------------------------------------------------------ */

/* Record an error (verbatim text) and return `code`. */
tgm_error cv_fail(tgm_error code, const char *fmt, ...) CV_PRINTF(2, 3);
/* Out of memory while doing `what`. */
tgm_error cv_oom(const char *what);
/* "<context>: <current tgm_last_error()>", keeping the code. */
tgm_error cv_wrap(tgm_error code, const char *fmt, ...) CV_PRINTF(2, 3);

/* ---- growable text / byte buffer ---------------------------------------------------- */

typedef struct {
    char *p;
    size_t len, cap;
    bool oom; /* an append failed: the content is incomplete */
} cv_buf;

bool cv_reserve(cv_buf *b, size_t extra);
void cv_putn(cv_buf *b, const void *s, size_t n);
void cv_puts(cv_buf *b, const char *s);
void cv_putc(cv_buf *b, char c);
void cv_printf(cv_buf *b, const char *fmt, ...) CV_PRINTF(2, 3);
void cv_buf_free(cv_buf *b);
/* NUL-terminated contents, or NULL after a failed append. */
const char *cv_cstr(cv_buf *b);

/* ---- JSON text (the public API takes metadata as JSON) ------------------------------ */

/* A JSON string; invalid UTF-8 bytes become U+FFFD (as Rust's lossy
 * conversion does), control characters are escaped. */
void cv_json_str(cv_buf *b, const char *s, size_t n);
void cv_json_cstr(cv_buf *b, const char *s);
/* A float64 that reads back exactly and stays a float (always a '.', an
 * exponent or a word: 90.0, 1e+300, NaN, Infinity, -Infinity). */
void cv_json_f64(cv_buf *b, double v);
void cv_json_i64(cv_buf *b, int64_t v);
void cv_json_u64(cv_buf *b, uint64_t v);
/* Separator before the next member/element: ',' unless the last
 * character written is '{' or '['. */
void cv_json_sep(cv_buf *b);
/* "key": (with the separator) */
void cv_json_key(cv_buf *b, const char *key);

/* ---- options and pipeline --------------------------------------------------------- */

/* The options with every field of the caller's struct copied (a smaller,
 * older struct leaves later fields at their defaults). */
tgm_error cv_options(const tgm_convert_options *in, tgm_convert_options *out);

/* What the data pipeline options resolve to, checked once. */
typedef struct {
    bool simple_packing;
    uint32_t bits;
    bool shuffle;
    const char *compression; /* "none", "zstd", ... */
    int32_t level;
    bool has_level;
} cv_pipeline;

tgm_error cv_pipeline_parse(const tgm_convert_options *o, cv_pipeline *out);

/* Descriptor JSON of a C-order tensor of `dtype` with its pipeline
 * parameters.  `values` (float64, host order, may be NULL) serves
 * simple_packing: with non-finite values present (masked), the packing
 * range is computed here from the finite ones; otherwise the encoder
 * computes it.  `pack` false leaves the encoding at "none" (a dtype
 * simple_packing does not apply to).  `label` names the object in errors. */
tgm_error cv_descriptor_json(cv_buf *b, const char *dtype, size_t elem_size, uint32_t ndim,
                             const uint64_t *shape, bool big_endian, const cv_pipeline *p,
                             bool pack, const double *values, size_t nvalues, const char *label);

/* ---- results ----------------------------------------------------------------------- */

/* Where produced messages go: the caller's sink, or a result list. */
typedef struct {
    const tgm_convert_options *opts;
    tgm_convert_result_t *res; /* when there is no sink */
    size_t produced;
} cv_out;

tgm_error cv_out_init(cv_out *o, const tgm_convert_options *opts);
/* Hand over a message (ownership of m moves in either case). */
tgm_error cv_out_emit(cv_out *o, tgm_bytes_t m);
/* Success: give the result to *dst (when collecting).  Failure: free. */
tgm_error cv_out_finish(cv_out *o, tgm_error err, tgm_convert_result_t **dst);

/* Encode metadata JSON + raw payloads with the options' hash, threads and
 * mask options; allow_nan forces NaN masks on (fill values). */
tgm_error cv_encode(const tgm_convert_options *o, const char *meta_json, const uint8_t *const *data,
                    const size_t *lens, size_t n, bool allow_nan, tgm_bytes_t *out);
/* cv_encode written to descriptor fd (tgm_encode_ex_fd). */
tgm_error cv_encode_fd(const tgm_convert_options *o, const char *meta_json,
                       const uint8_t *const *data, const size_t *lens, size_t n, bool allow_nan,
                       int fd, uint64_t *out_len);
/* tgm_encode_fill_begin with the options of cv_encode (values written in
 * place by the caller; NULL meta_json: out of memory). */
tgm_error cv_encode_fill_begin(const tgm_convert_options *o, const char *meta_json, bool allow_nan,
                               tgm_encode_fill_t **out);

/* ---- threads ---------------------------------------------------------------------- */

/* The thread budget: `threads`, else TENSOGRAM_THREADS, else 1. */
uint32_t cv_threads(uint32_t threads);
/* fn(ctx, i) for every i < n on up to `threads` threads. */
void cv_parallel(uint32_t threads, size_t n, void (*fn)(void *ctx, size_t i), void *ctx);

/* Read-only zeros shared by the workers of one conversion (the GRIB
 * template's values): mapped anonymous memory that the kernel backs with
 * its zero page, so nothing is cleared or copied however large it is.
 * cv_zeros_get returns at least n zero doubles (NULL when out of memory);
 * regions stay valid until cv_zeros_free. */
typedef struct cv_zeros cv_zeros;
cv_zeros *cv_zeros_new(void);
const double *cv_zeros_get(cv_zeros *z, size_t n);
void cv_zeros_free(cv_zeros *z);

/* ---- misc --------------------------------------------------------------------------- */

void cv_warn(const tgm_convert_options *o, const char *fmt, ...) CV_PRINTF(2, 3);
void cv_progress(const tgm_convert_options *o, uint64_t done, uint64_t total);

/* Read a whole file (mmap when possible).  *owned tells cv_unmap how. */
typedef struct {
    const uint8_t *data;
    size_t len;
    void *map; /* mmap'd region, or NULL */
    uint8_t *heap;
} cv_file;

tgm_error cv_file_read(const char *path, cv_file *f);
void cv_file_close(cv_file *f);

/* Tensogram dtype names and element sizes, for the backends. */
size_t cv_dtype_size(const char *dtype); /* 0 when unknown */

/* Host byte order. */
static inline bool cv_host_big_endian(void) {
    const uint16_t one = 1;
    return *(const uint8_t *)&one == 0;
}

/* Self-test inputs of the doctor (backends; the stubs fail): a 4x4
 * regular_ll GRIB 2 message made from an ecCodes sample, and a small
 * NetCDF-3 or NetCDF-4 file made in memory (a float 2x2 "temperature"
 * with lat / lon coordinates).  malloc'd bytes. */
tgm_error cv_grib_sanity_message(tgm_bytes_t *out);
tgm_error cv_netcdf_sanity_file(bool netcdf4, tgm_bytes_t *out);

/* Lower-case hex of n bytes, and back (false on bad input). */
void cv_hex(cv_buf *b, const uint8_t *p, size_t n);
bool cv_unhex(const char *s, size_t n, uint8_t **out, size_t *out_len);

#endif
