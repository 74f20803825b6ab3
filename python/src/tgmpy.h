/* tgmpy.h - shared declarations of the tensogram._tensogram extension.
 *
 * The extension is a thin layer over the public C API (tensogram.h) and
 * the NumPy C API.  Heavy work always runs with the GIL released; decoded
 * values are handed to NumPy without a copy (arrays view the library's
 * buffers and keep them alive through a capsule base object). */
#ifndef TGMPY_H
#define TGMPY_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#ifndef TGMPY_IMPORT_ARRAY
#define NO_IMPORT_ARRAY
#endif
#define PY_ARRAY_UNIQUE_SYMBOL tgmpy_ARRAY_API
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>

#include "tensogram/tensogram.h"

/* Run one statement with the GIL released. */
#define TGMPY_NOGIL(stmt)                                                                          \
    do {                                                                                           \
        Py_BEGIN_ALLOW_THREADS stmt;                                                               \
        Py_END_ALLOW_THREADS                                                                       \
    } while (0)

/* ---- errors (errors.c) ------------------------------------------------- */

/* Exception classes created at module init. */
extern PyObject *tgmpy_IntegrityError;
extern PyObject *tgmpy_MissingHashError;
extern PyObject *tgmpy_HashMismatchError;

int tgmpy_errors_init(PyObject *module);

/* Raise the Python exception matching `err` with the library's detail
 * text.  Must run on the thread that made the failing call (the detail is
 * thread-local), with the GIL held.  Always returns NULL. */
PyObject *tgmpy_raise(tgm_error err);

/* ---- conversions (convert.c) --------------------------------------------- */

/* A metadata value tree as Python objects (dict / list / str / int /
 * float / bool / bytes / None).  NULL with an exception set on failure. */
PyObject *tgmpy_value_to_py(const tgm_value_t *v);

/* (base: list[dict], extra: dict, reserved: dict) of a metadata handle. */
PyObject *tgmpy_metadata_tuple(const tgm_metadata_t *md);

/* The same with each base entry's "_reserved_" left out and reserved None
 * unless with_reserved. */
PyObject *tgmpy_metadata_tuple_ex(const tgm_metadata_t *md, int with_reserved);

/* ((base, extra, reserved), [descriptor dict, ...]) of a message decoded
 * with its descriptors (the metadata as tgmpy_metadata_tuple_ex gives it). */
PyObject *tgmpy_scan_item(const tgm_message_t *msg, int with_reserved);

/* The same triple for a decoded message (metadata copied out first). */
PyObject *tgmpy_message_metadata_tuple(const tgm_message_t *msg);

/* A capsule that owns `msg` and frees it when the last array viewing its
 * buffers is gone. */
PyObject *tgmpy_message_capsule(tgm_message_t *msg);

/* A capsule that owns a tgm_bytes_t buffer. */
PyObject *tgmpy_bytes_capsule(tgm_bytes_t b);

/* NumPy type number for a Tensogram dtype name (bfloat16 maps to uint16,
 * bitmask to uint8); -1 with ValueError set for unknown names. */
int tgmpy_typenum(const char *dtype);

/* An array viewing `len` bytes at `data` as `dtype` with the given shape
 * (ndim == -1: flat, element count from len).  `base` (borrowed, may be
 * NULL when len == 0) keeps the memory alive. */
PyObject *tgmpy_array_view(const char *dtype, int ndim, const uint64_t *shape, const uint8_t *data,
                           size_t len, PyObject *base);

/* [(descriptor_json, ndarray), ...] for every decoded object of msg; the
 * arrays view msg's buffers and own a reference to `capsule`. */
PyObject *tgmpy_message_objects(const tgm_message_t *msg, PyObject *capsule);

/* Full decode result: ((base, extra, reserved), [(desc dict, array), ...]).
 * Takes ownership of msg (freed with the last array). */
PyObject *tgmpy_message_result(tgm_message_t *msg);

/* [{"nan" / "inf+" / "inf-": flat bool ndarray}, ...]: one dict per object
 * of a message from tgm_decode_with_masks, holding the kinds it stores
 * (copies: the message stays owned by the caller). */
PyObject *tgmpy_message_masks(const tgm_message_t *msg);

/* Single-object result: ((base, extra, reserved), desc dict, array). */
PyObject *tgmpy_object_result(tgm_message_t *msg);

/* Descriptors result: ((base, extra, reserved), [desc dict, ...]). */
PyObject *tgmpy_descriptors_result(tgm_message_t *msg);

/* Range result: (dtype, [flat arrays]) for parts[0..n). Takes ownership of
 * the parts (each freed with its array). */
PyObject *tgmpy_range_result(const char *dtype, tgm_bytes_t *parts, size_t n);

/* Range decode shared by the module function and File.decode_range: `fn`
 * decodes the ranges and `dfn` yields the descriptors (for the dtype),
 * both with the GIL released; the result is as tgmpy_range_result. */
typedef tgm_error (*tgmpy_range_fn)(void *ctx, const uint64_t *off, const uint64_t *cnt, size_t n,
                                    int32_t native, uint32_t threads, int32_t join,
                                    tgm_bytes_t *out, size_t *out_count);
typedef tgm_error (*tgmpy_descs_fn)(void *ctx, tgm_message_t **out);

PyObject *tgmpy_do_range(tgmpy_range_fn fn, tgmpy_descs_fn dfn, void *ctx, size_t obj_index,
                         PyObject *ranges, int join, int native, uint32_t threads);

/* ---- argument helpers (args.c) ------------------------------------------- */

/* Buffers of a sequence of byte-like objects, C-contiguous, read-only. */
typedef struct {
    Py_ssize_t n;
    Py_buffer *views;
    const uint8_t **ptrs;
    size_t *lens;
} tgmpy_buffers;

int tgmpy_buffers_get(PyObject *seq, tgmpy_buffers *out);
void tgmpy_buffers_release(tgmpy_buffers *b);

/* Encode options as passed from Python: a tuple
 * (allow_nan, allow_inf, nan_method, pos_inf_method, neg_inf_method,
 *  small_mask_threshold_bytes) or None.  Strings are borrowed from the
 * tuple, which the caller keeps alive. */
int tgmpy_mask_options(PyObject *tuple, TgmEncodeMaskOptions *out, int *present);

/* tgm_encode_options from the Python-level arguments: hash name or None,
 * thread count, mask tuple or None (see tgmpy_mask_options; `mo` receives
 * it and must outlive `out`), aggregate hash placement or None.  Input kind
 * TGM_INPUT_RAW; strings are borrowed from the arguments. */
int tgmpy_encode_options(PyObject *hash_obj, uint32_t threads, PyObject *mask_obj,
                         PyObject *aggregate_obj, TgmEncodeMaskOptions *mo, int *have_mask,
                         tgm_encode_options *out);

/* Ranges given as a sequence of (offset, count) pairs. */
int tgmpy_ranges(PyObject *seq, uint64_t **offsets, uint64_t **counts, size_t *n);

/* Optional str argument: NULL for None. */
int tgmpy_opt_str(PyObject *obj, const char **out, const char *what);

/* ---- encoding into bytes (module.c) ----------------------------------------- */

/* Encode straight into a bytes object (see module.c).  NULL with an
 * exception on failure; NULL without one when the capacity it chose
 * proved too small (then encode with tgm_encode_ex and copy). */
PyObject *tgmpy_encode_direct(const char *meta_json, const tgmpy_buffers *b,
                              const tgm_encode_options *opts, int exact);

/* ---- types -------------------------------------------------------------- */

extern PyTypeObject tgmpy_FileType;
extern PyTypeObject tgmpy_StreamType;

int tgmpy_file_init(PyObject *module);
int tgmpy_stream_init(PyObject *module);
/* The converters (converters.c): convert, to_grib, to_netcdf, tenbin_*,
 * and the HAS_GRIB / HAS_NETCDF flags. */
int tgmpy_converters_init(PyObject *module);
int tgmpy_async_init(PyObject *module);
/* encode_fast, decode_fast and _fast_init (fast.c). */
int tgmpy_fast_init(PyObject *module);

/* ---- encoders kept for encode_fast (encache.c) ------------------------------ */

/* A value of a top-level key of a base entry or of _extra_ in encode_fast's
 * metadata text, which an encoder can be given with tgm_encoder_set_*:
 * an int, float or str as itself, anything else as its JSON text (read
 * with tgm_json_parse). */
enum { TGMPY_PATCH_INT, TGMPY_PATCH_FLOAT, TGMPY_PATCH_STR, TGMPY_PATCH_JSON };
typedef struct {
    size_t start, end; /* its JSON text: text[start..end) */
    size_t object;     /* base entry index, or TGM_ENCODER_EXTRA */
    const char *key;   /* UTF-8, NUL-terminated (no NUL inside) */
    int kind;          /* TGMPY_PATCH_* */
    int64_t i;
    double f;
    const char *s; /* UTF-8 s[0..slen) */
    size_t slen;
} tgmpy_patch;

/* The values noted, in text order (at most this many; others are not). */
#define TGMPY_MAX_PATCHES 16
typedef struct {
    size_t n;
    tgmpy_patch p[TGMPY_MAX_PATCHES];
} tgmpy_patches;

/* The message of metadata text[0..text_len) (NUL-terminated), data and
 * options (hash and threads vary; the rest as encode_fast sets them) from
 * an encoder kept for texts that differ from it at most in the noted
 * values, as a new bytes object; NULL, with no exception, when no encoder
 * applies (first sighting, busy, TENSOGRAM_PROVENANCE set) or it failed:
 * then encode it otherwise.  The noted values (and their str objects) must
 * stay alive during the call. */
PyObject *tgmpy_encache_encode(const char *text, size_t text_len, const tgmpy_patches *patches,
                               const tgm_encode_options *opts, const uint8_t *const *ptrs,
                               const size_t *lens, size_t n, size_t total);
/* Drop every kept encoder. */
void tgmpy_encache_clear(void);
/* _encoder_cache_info() -> {"hits", "made", "missed", "patched"} and
 * _encoder_cache_reset() (tests). */
PyObject *tgmpy_encache_info(PyObject *self, PyObject *args);
PyObject *tgmpy_encache_reset(PyObject *self, PyObject *args);

#endif
