/* GRIB backend internals (ecCodes), shared by grib_import.c, grib_keys.c
 * and grib_export.c. */
#ifndef TGM_CONVERT_GRIB_INTERNAL_H
#define TGM_CONVERT_GRIB_INTERNAL_H

#include <eccodes.h>

#include "internal.h"

/* One GRIB message turned into what a Tensogram object needs. */
typedef struct {
    codes_handle *h; /* made from raw on the worker thread */
    void *raw;       /* the message as read, which h uses (freed after h) */
    size_t rawlen;
    size_t index;     /* position in the input, from 0 */
    int handle_error; /* ecCodes' error when h could not be made from raw */
    /* results */
    double *values;
    size_t nvalues;
    uint64_t shape[2];
    uint32_t ndim;
    bool has_missing; /* bitmap points, now NaN */
    bool may_miss;    /* cv_grib_prepare: the bitmap has zeros (has_missing once decoded) */
    bool nonfinite;   /* some value is NaN or infinite (looked for with simple_packing only) */
    cv_buf base;      /* JSON object: this object's base entry */
    tgm_error err;
    char *errtext; /* the failure's tgm_last_error(), copied (the job ran on another thread) */
} cv_grib_msg;

/* Decode values and build the base entry of m (runs on a worker thread;
 * `zeros` is shared by the workers, for the template). */
tgm_error cv_grib_extract(cv_grib_msg *m, bool all_keys, cv_zeros *zeros);

/* Everything but the values: their count (nvalues), the shape, may_miss
 * and the base entry. */
tgm_error cv_grib_prepare(cv_grib_msg *m, bool all_keys, cv_zeros *zeros);

/* Decode the `declared` values of m->h into v, points missing from the
 * bitmap NaN (m->has_missing). */
tgm_error cv_grib_decode_into(cv_grib_msg *m, double *v, size_t declared);

/* Members "key":value of every key of namespace `ns` (NULL: all keys) that
 * the dynamic read keeps, appended to b (the caller writes the braces). */
tgm_error cv_grib_namespace_json(codes_handle *h, const char *ns, cv_buf *b);

/* One key read by its native type, as a JSON value; false when the key is
 * absent, missing, a sentinel, bytes, or too large to keep. */
bool cv_grib_key_json(codes_handle *h, const char *key, cv_buf *b);

/* A string key, malloc'd; NULL when absent or on failure. */
char *cv_grib_get_string(codes_handle *h, const char *key);

/* A long key of native type long, else `def`. */
long cv_grib_long_or(codes_handle *h, const char *key, long def);

/* "ecCodes error: <message>" text for an ecCodes error code. */
const char *cv_grib_errstr(int err);

/* Template of message h for to-grib (grib_template.c): the message with
 * its values replaced by zeros and no bitmap, as lower-case hex (JSON
 * string), plus the coded keys whose values differ from the original's as
 * [[name, value], ...].  h is left as it is. */
tgm_error cv_grib_template_json(codes_handle *h, cv_zeros *zeros, cv_buf *tmpl_hex,
                                cv_buf *restore);

#endif
