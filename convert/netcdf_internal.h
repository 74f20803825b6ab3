/* NetCDF backend internals (netCDF-C), shared by netcdf_import.c,
 * netcdf_attrs.c and netcdf_export.c. */
#ifndef TGM_CONVERT_NETCDF_INTERNAL_H
#define TGM_CONVERT_NETCDF_INTERNAL_H

#include <netcdf.h>

#include "internal.h"

/* netCDF-C is not thread-safe: every call into it happens under this
 * process-wide lock (taken once per public conversion call). */
void cv_nc_lock(void);
void cv_nc_unlock(void);

/* "netcdf error: <nc_strerror>" with context. */
tgm_error cv_nc_fail(int status, const char *fmt, ...) CV_PRINTF(2, 3);

/* The attribute type tag ("double", "short", "string", ...) of an
 * attribute of type xtype, or NULL for user-defined types. */
const char *cv_nc_type_tag(nc_type xtype);
/* The Tensogram dtype of a numeric variable type, NULL otherwise. */
const char *cv_nc_dtype(nc_type xtype, size_t *size);
/* netCDF type of a Tensogram dtype / of a type tag (0 when none). */
nc_type cv_nc_type_of_dtype(const char *dtype);
nc_type cv_nc_type_of_tag(const char *tag);

/* Append the attribute's value as JSON (char text up to its first NUL,
 * string arrays, numeric scalars or arrays).  False (nothing appended)
 * when the attribute cannot be read or has a user-defined type. */
bool cv_nc_attr_json(int ncid, int varid, const char *name, cv_buf *b);

/* Attributes of (ncid, varid) as JSON members "name":value into `vals`
 * and "name":"tag" into `types`, skipping names for which skip() is true
 * (skip may be NULL).  Unreadable attributes are reported as warnings. */
tgm_error cv_nc_attrs_json(const tgm_convert_options *o, int ncid, int varid, const char *owner,
                           bool (*skip)(const char *name), cv_buf *vals, cv_buf *types);

/* The 16 CF attributes lifted by cf=true. */
bool cv_nc_is_cf_attr(const char *name);
/* Attributes that describe a packed representation (dropped from the
 * attribute map of unpacked variables, kept under _packing). */
bool cv_nc_is_packing_attr(const char *name);

/* Keys of base[i].netcdf that are structure, not attributes. */
bool cv_nc_is_internal_key(const char *name);

/* ---- commits on a second thread (netcdf_commit.c) ------------------------------------ */

/* A thread that runs tgm_encode_fill_commit(fill, i, flags), or
 * tgm_encode_fill_commit_range for ranges, for what is posted, in that
 * order, while the caller reads what comes next. */
typedef struct cv_nc_committer cv_nc_committer;
typedef struct {
    size_t index; /* the object */
    bool ranged;  /* offset / len: a range of it (commit_range) */
    size_t offset, len;
    uint32_t flags;
    /* When set, make(arg) runs first on the committing thread: it writes
     * the values (unpacks them into the slot), frees arg and returns the
     * commit's flags; drop(arg) frees arg of a job never run. */
    uint32_t (*make)(void *arg);
    void (*drop)(void *arg);
    void *arg;
} cv_nc_post;
/* Room for n posts at first (it grows).  *out is NULL (and TGM_ERROR_OK
 * returned) when no thread could be started: the caller then commits
 * itself. */
tgm_error cv_nc_committer_start(tgm_encode_fill_t *fill, size_t n, cv_nc_committer **out);
/* A commit to run (its bytes written, or made by job->make).  Fails with
 * a failed commit's error (and text) once one has failed; job->arg is
 * then dropped. */
tgm_error cv_nc_committer_post(cv_nc_committer *c, const cv_nc_post *job);
/* Whether every commit posted has run (nothing queued, none running). */
bool cv_nc_committer_idle(cv_nc_committer *c);
/* Wait for every posted commit and free c (NULL is fine).  Returns `err`
 * when it is an error (the caller's own, its text kept), else the first
 * failed commit's error with its text, else TGM_ERROR_OK. */
tgm_error cv_nc_committer_finish(cv_nc_committer *c, tgm_error err);

#endif
