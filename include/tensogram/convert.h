/*
 * tensogram/convert.h - converters between Tensogram and GRIB, NetCDF and
 * webdataset's tenbin (.ten), in libtensogram_convert.
 *
 * The converters are a layer above libtensogram: they read and write the
 * foreign formats with the field's own libraries (ecCodes for GRIB,
 * netCDF-C for NetCDF; tenbin is simple enough to be read here) and build
 * Tensogram messages through the public tgm_* API like any other program.
 * Link with -ltensogram_convert -ltensogram (pkg-config tensogram_convert,
 * CMake tensogram::tensogram_convert).
 *
 * Each backend is built only when its library was found at build time;
 * tgm_convert_has_grib() / tgm_convert_has_netcdf() say which are present.
 * The functions of a missing backend exist and fail with
 * TGM_ERROR_INVALID_ARG ("... built without GRIB support").  tenbin is
 * always built.
 *
 * Conventions (those of tensogram.h):
 *  - Every fallible function returns a tgm_error; the detail is in
 *    tgm_last_error().  Errors: TGM_ERROR_IO (a file cannot be opened, read
 *    or written; the path and the system's reason in the detail),
 *    TGM_ERROR_INVALID_ARG (a bad option, or an input the converter cannot
 *    use: no GRIB message, no variable, no unlimited dimension for record
 *    splitting, a message that was not made by the matching importer),
 *    TGM_ERROR_CONVERT (ecCodes or netCDF-C itself reported a failure: a
 *    corrupt GRIB message, a file netCDF-C cannot read, a key ecCodes
 *    refuses), and the library's own codes for encoding failures
 *    (TGM_ERROR_ENCODING "NaN value encountered ...", ...).
 *  - Produced messages are complete Tensogram messages (wire format 3),
 *    each stamped with a fresh _reserved_ time and uuid.
 *  - Thread safety: the functions may be called from several threads.
 *    netCDF-C is not thread-safe, so NetCDF conversions hold one process-
 *    wide lock while they call it (they run one at a time); GRIB
 *    conversions run concurrently (ecCodes is built thread-safe).
 *
 * docs/convert.md describes the metadata mappings and every difference
 * from the reference implementation's converters.
 */
#ifndef TENSOGRAM_CONVERT_H
#define TENSOGRAM_CONVERT_H

#include "tensogram/tensogram.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32) && defined(TENSOGRAM_CONVERT_SHARED_BUILD)
#define TGM_CONVERT_API __declspec(dllexport)
#elif defined(__GNUC__) || defined(__clang__)
#define TGM_CONVERT_API __attribute__((visibility("default")))
#else
#define TGM_CONVERT_API
#endif

/* ======================================================================
 * Features
 * ====================================================================== */

/* True when this build has the GRIB (ecCodes) / NetCDF (netCDF-C) backend. */
TGM_CONVERT_API bool tgm_convert_has_grib(void);
TGM_CONVERT_API bool tgm_convert_has_netcdf(void);
/* Version of the backend library in use ("2.28.0", "4.9.0"), or NULL when
 * the backend is not built.  Static strings. */
TGM_CONVERT_API const char *tgm_convert_grib_library_version(void);
TGM_CONVERT_API const char *tgm_convert_netcdf_library_version(void);

/* Diagnostics for `tensogram doctor`: {"features": [grib, netcdf],
 * "self_test": [...]} as JSON, in the rows' format of tgm_doctor_to_json.
 * The self-tests convert a 4x4 GRIB message made from an ecCodes sample,
 * and a NetCDF-3 and a NetCDF-4 file made in memory with netCDF-C (each
 * "skipped" when its backend is not built).  *out is caller-owned. */
TGM_CONVERT_API tgm_error tgm_convert_doctor_to_json(tgm_bytes_t *out);

/* ======================================================================
 * Options shared by the importers
 * ====================================================================== */

/* GRIB grouping: all GRIB messages of one input in one Tensogram message
 * (one object each), or one Tensogram message per GRIB message. */
typedef enum { TGM_GRIB_MERGE_ALL = 0, TGM_GRIB_ONE_TO_ONE = 1 } tgm_grib_grouping;

/* NetCDF grouping: one message per input file, per variable, or per record
 * of the unlimited dimension. */
typedef enum {
    TGM_NETCDF_SPLIT_FILE = 0,
    TGM_NETCDF_SPLIT_VARIABLE = 1,
    TGM_NETCDF_SPLIT_RECORD = 2
} tgm_netcdf_split;

/* tenbin byte order.  tenbin files carry no byte-order marker: they are in
 * the writing machine's order.  AUTO (reading only) recognises the order
 * from the first chunk's length field, which is unambiguous for any file
 * tenbin can write; LITTLE / BIG / NATIVE force one. */
typedef enum {
    TGM_TENBIN_AUTO = 0,
    TGM_TENBIN_LITTLE = 1,
    TGM_TENBIN_BIG = 2,
    TGM_TENBIN_NATIVE = 3
} tgm_tenbin_byte_order;

/* Receives each warning of a conversion (a skipped variable, ...) as one
 * line of text without "warning: " and newline. */
typedef void (*tgm_convert_warning_fn)(void *user, const char *text);
/* Progress of a conversion: `done` of `total` units (GRIB messages,
 * variables or records).  Called from the converting thread. */
typedef void (*tgm_convert_progress_fn)(void *user, uint64_t done, uint64_t total);
/* Receives each produced message in order (the bytes are valid during the
 * call only).  A non-OK return stops the conversion with that error. */
typedef tgm_error (*tgm_convert_sink_fn)(void *user, const uint8_t *msg, size_t len);

/* Every option of the converters in one versioned struct.  Start from
 * TGM_CONVERT_OPTIONS_INIT (or zero it and set `size`); fields added later
 * go at the end.  A NULL options pointer means TGM_CONVERT_OPTIONS_INIT. */
typedef struct {
    size_t size; /* sizeof(tgm_convert_options) */

    /* Data pipeline applied to every produced object (the reference's
     * DataPipeline).  encoding: NULL or "none", or "simple_packing"
     * (float64 objects only: other dtypes are stored without it, with a warning).  bits: bits per
     * value of simple_packing, 1..64; 0 means 16.  filter: NULL / "none"
     * or "shuffle" (element size: the packed width, else the dtype's).
     * compression: NULL / "none", "zstd" (level, default 3), "lz4",
     * "blosc2" (clevel default 5, sub-codec lz4) or "szip" (rsi 128, block
     * size 16, flags 8; needs simple_packing or shuffle before it). */
    const char *encoding;
    uint32_t bits;
    const char *filter;
    const char *compression;
    int32_t compression_level;  /* used when has_compression_level */
    bool has_compression_level; /* false: the codec's default level */

    /* Encoding: "xxh3" (default) or NULL / "none" for no hashes; threads
     * as in tensogram.h (also used across GRIB messages); NaN / Inf mask
     * options (NULL: non-finite values are refused, except that NetCDF
     * conversion always allows NaN, which stands for fill values). */
    const char *hash_algo;
    uint32_t threads;
    const TgmEncodeMaskOptions *mask_options;

    /* GRIB: grouping (tgm_grib_grouping) and preserve_all_keys (copy the
     * ecCodes namespaces ls, geography, time, vertical, parameter and
     * statistics into base[i]["grib"]). */
    int32_t grib_grouping;
    bool grib_all_keys;

    /* NetCDF: split_by (tgm_netcdf_split) and cf (copy the 16 CF
     * attributes of the allow-list into base[i]["cf"]). */
    int32_t netcdf_split_by;
    bool netcdf_cf;

    /* tenbin: byte order of the input (reading) or output (writing;
     * AUTO means little).  tgm_tenbin_byte_order. */
    int32_t tenbin_byte_order;

    /* Callbacks, all optional (NULL). */
    tgm_convert_warning_fn warning;
    void *warning_user;
    tgm_convert_progress_fn progress;
    void *progress_user;
    /* When set, produced messages go to the sink as they are made and the
     * importers' `out` argument is not used (it may be NULL). */
    tgm_convert_sink_fn sink;
    void *sink_user;
} tgm_convert_options;

#define TGM_CONVERT_OPTIONS_INIT                                                                   \
    {                                                                                              \
        sizeof(tgm_convert_options), NULL, 0, NULL, NULL, 0, false, "xxh3", 0, NULL,               \
            TGM_GRIB_MERGE_ALL, false, TGM_NETCDF_SPLIT_FILE, false, TGM_TENBIN_AUTO, NULL, NULL,  \
            NULL, NULL, NULL, NULL                                                                 \
    }

/* ======================================================================
 * Produced messages
 * ====================================================================== */

/* The messages an importer produced, in order.  Free with
 * tgm_convert_result_free. */
typedef struct tgm_convert_result_t tgm_convert_result_t;

TGM_CONVERT_API size_t tgm_convert_result_count(const tgm_convert_result_t *res);
/* Message i (NULL and *len = 0 when out of range); valid until freed. */
TGM_CONVERT_API const uint8_t *tgm_convert_result_message(const tgm_convert_result_t *res, size_t i,
                                                          size_t *len);
/* Take message i out of the result (the caller then owns it; the result
 * keeps an empty entry). */
TGM_CONVERT_API tgm_bytes_t tgm_convert_result_take(tgm_convert_result_t *res, size_t i);
TGM_CONVERT_API void tgm_convert_result_free(tgm_convert_result_t *res);

/* ======================================================================
 * GRIB (ecCodes)
 * ====================================================================== */

/* GRIB -> Tensogram.  Every GRIB message of the input (edition 1 or 2, any
 * grid ecCodes decodes) becomes one float64 object: shape [Nj, Ni] for
 * grids with rows and columns, [numberOfPoints] otherwise (reduced and
 * unstructured grids, spectral coefficients).  base[i]["mars"] holds the
 * MARS namespace (plus "grid" = gridType and, for plain regular_ll grids,
 * "area" = [N, W, S, E]); base[i]["grib_repro"] the keys to-grib needs;
 * with grib_all_keys base[i]["grib"] holds the other namespaces.
 * Points missing from a GRIB bitmap become NaN, stored with a NaN mask
 * (the reference keeps ecCodes' missingValue instead, see
 * docs/convert.md).  Bytes before, between and after GRIB messages are
 * skipped as ecCodes skips them.  Errors: IO (cannot open / read the
 * file), INVALID_ARG (no GRIB message in the input, bad options), CONVERT
 * (ecCodes cannot decode a message). */
TGM_CONVERT_API tgm_error tgm_convert_grib_file(const char *path, const tgm_convert_options *opts,
                                                tgm_convert_result_t **out);
/* The same from memory (a byte-range download, ...).  buf is not kept. */
TGM_CONVERT_API tgm_error tgm_convert_grib_buffer(const uint8_t *buf, size_t len,
                                                  const tgm_convert_options *opts,
                                                  tgm_convert_result_t **out);

/* Tensogram -> GRIB: each object of one message made by the GRIB importer
 * becomes one GRIB message rebuilt from its base[i]["grib_repro"] keys
 * and its values (NaN values become missing points of a bitmap).  *out
 * receives the GRIB messages concatenated.  opts: only threads is used
 * (NULL is fine).  Errors: INVALID_ARG (not a GRIB-made message: an
 * object without grib_repro or not float64), CONVERT (ecCodes refused a
 * key or the values). */
TGM_CONVERT_API tgm_error tgm_convert_to_grib(const uint8_t *msg, size_t len,
                                              const tgm_convert_options *opts, tgm_bytes_t *out);

/* ======================================================================
 * NetCDF (netCDF-C)
 * ====================================================================== */

/* NetCDF -> Tensogram.  NetCDF-3 (classic, 64-bit offset, CDF-5) and
 * NetCDF-4 / HDF5 files, groups included.  Each numeric variable becomes
 * one object in its own dtype (little endian); packed variables
 * (scale_factor / add_offset) are unpacked to float64 with _FillValue and
 * missing_value points as NaN; char, string and user-defined types are
 * skipped with a warning.  base[i]["name"], base[i]["netcdf"] (attributes
 * and the structure to-netcdf needs), and with netcdf_cf base[i]["cf"].
 * Errors: IO (cannot open the file), INVALID_ARG (no variable, record
 * splitting without an unlimited dimension, bad options), CONVERT
 * (netCDF-C cannot read the file). */
TGM_CONVERT_API tgm_error tgm_convert_netcdf_file(const char *path, const tgm_convert_options *opts,
                                                  tgm_convert_result_t **out);
/* The same from memory (netCDF-C's in-memory open; buf is not kept). */
TGM_CONVERT_API tgm_error tgm_convert_netcdf_buffer(const uint8_t *buf, size_t len,
                                                    const tgm_convert_options *opts,
                                                    tgm_convert_result_t **out);

/* Tensogram -> NetCDF-4: the variables of every message (made by the
 * NetCDF importer, with any split) written into one NetCDF-4 file at
 * `path`, with their dimensions, groups, attributes and packing restored;
 * record-split messages are put back along the unlimited dimension.  The
 * file is written to a temporary name and renamed into place on success,
 * so a failure leaves no partial file and an existing file untouched.
 * opts: only threads is used (NULL is fine).  Errors: INVALID_ARG (no
 * message, not a NetCDF-made message, conflicting dimensions), IO, CONVERT. */
TGM_CONVERT_API tgm_error tgm_convert_to_netcdf(const uint8_t *const *msgs, const size_t *lens,
                                                size_t count, const char *path,
                                                const tgm_convert_options *opts);

/* ======================================================================
 * webdataset tenbin (.ten)
 * ====================================================================== */

/* One array of a tenbin record.  dtype is a Tensogram dtype name
 * ("float32", "uint8", ...: tenbin's codes f2 f4 f8 i1 i2 i4 i8 u1 u2 u4
 * u8); info the 8-byte name field without its padding NULs; shape has
 * ndim entries (0 for a scalar); data / nbytes the element bytes in
 * `big_endian` order (when reading, they point into the input buffer). */
typedef struct {
    const char *dtype;
    char info[9];
    uint32_t ndim;
    const uint64_t *shape;
    const uint8_t *data;
    size_t nbytes;
    bool big_endian;
} tgm_tenbin_array;

/* A parsed tenbin buffer: its arrays, in order.  Free with
 * tgm_tenbin_record_free; the arrays point into the parsed buffer, which
 * must outlive the record. */
typedef struct tgm_tenbin_record_t tgm_tenbin_record_t;

/* Parse a whole .ten buffer (chunks of "~TenBin~", int64 length, data
 * padded to 64 bytes; a header chunk and a data chunk per array).
 * byte_order: tgm_tenbin_byte_order.  Every length, rank and size is
 * checked against the buffer: a truncated or malformed buffer fails with
 * TGM_ERROR_FRAMING naming the offset; an unknown dtype code with
 * TGM_ERROR_METADATA. */
TGM_CONVERT_API tgm_error tgm_tenbin_read(const uint8_t *buf, size_t len, int32_t byte_order,
                                          tgm_tenbin_record_t **out);
TGM_CONVERT_API size_t tgm_tenbin_record_count(const tgm_tenbin_record_t *rec);
TGM_CONVERT_API const tgm_tenbin_array *tgm_tenbin_record_array(const tgm_tenbin_record_t *rec,
                                                                size_t i);
TGM_CONVERT_API void tgm_tenbin_record_free(tgm_tenbin_record_t *rec);

/* Write arrays as one .ten buffer in `byte_order` (AUTO = little); data is
 * byte-swapped when an array's order differs.  info must be at most 8
 * ASCII bytes; ndim at most 1000.  uint32 is written as "u4" and 0-d
 * arrays with rank 0 (webdataset's own reader rejects both; see
 * docs/convert.md).  Errors: INVALID_ARG (unknown dtype, bad info, data
 * size not matching the shape). */
TGM_CONVERT_API tgm_error tgm_tenbin_write(const tgm_tenbin_array *arrays, size_t count,
                                           int32_t byte_order, tgm_bytes_t *out);
/* The same bytes written to file descriptor fd at its current position,
 * without a buffer of the whole output: the chunk heads are built in a
 * small buffer and each array's data goes to the descriptor from where it
 * is (writev; byte-swapped data through a 1 MiB buffer).  *out_len (may
 * be NULL) receives the byte count.  Errors: those of tgm_tenbin_write,
 * before anything is written; INVALID_ARG for a negative descriptor; IO
 * when a write fails (the file then holds part of the output: write to a
 * temporary file and rename it on success for an output that appears
 * only complete).  The descriptor is neither closed nor synced. */
TGM_CONVERT_API tgm_error tgm_tenbin_write_fd(const tgm_tenbin_array *arrays, size_t count,
                                              int32_t byte_order, int fd, uint64_t *out_len);

/* tenbin -> Tensogram: one message holding one object per array (the
 * array's dtype, shape and byte order); a non-empty info goes to
 * base[i]["name"].  Float arrays holding NaN or Inf need the mask options
 * (opts->mask_options).  The pipeline options apply. */
TGM_CONVERT_API tgm_error tgm_convert_tenbin(const uint8_t *buf, size_t len,
                                             const tgm_convert_options *opts, tgm_bytes_t *out);
/* The same message written to file descriptor fd (tgm_encode_ex_fd): the
 * bytes tgm_convert_tenbin returns, without the message in memory; each
 * array is written from `buf` itself when stored as given (no pipeline
 * options).  Pair with a mapping of the input (mmap) for a file-to-file
 * conversion that copies the data once, into the output file.  *out_len
 * (may be NULL) receives the message length.  Errors: those of
 * tgm_convert_tenbin, before anything is written; INVALID_ARG for a
 * negative descriptor; IO when a write fails (see tgm_tenbin_write_fd for
 * partial output).  opts->sink is not used. */
TGM_CONVERT_API tgm_error tgm_convert_tenbin_fd(const uint8_t *buf, size_t len,
                                                const tgm_convert_options *opts, int fd,
                                                uint64_t *out_len);
/* Tensogram -> tenbin: every object of one message as one array, named by
 * base[i]["name"] when it is a string of at most 8 ASCII bytes (an
 * INVALID_ARG error otherwise), in opts->tenbin_byte_order (AUTO =
 * little).  Objects of a dtype tenbin has no code for (complex, bfloat16,
 * bitmask) are an INVALID_ARG error. */
TGM_CONVERT_API tgm_error tgm_convert_to_tenbin(const uint8_t *msg, size_t len,
                                                const tgm_convert_options *opts, tgm_bytes_t *out);
/* The same .ten written to file descriptor fd (tgm_tenbin_write_fd): the
 * bytes tgm_convert_to_tenbin returns; objects stored raw in host order
 * are written from `msg` itself (e.g. a mapped .tgm file), the others are
 * decoded into memory first.  *out_len (may be NULL) receives the byte count.
 * Errors: those of tgm_convert_to_tenbin, before anything is written;
 * INVALID_ARG for a negative descriptor; IO when a write fails. */
TGM_CONVERT_API tgm_error tgm_convert_to_tenbin_fd(const uint8_t *msg, size_t len,
                                                   const tgm_convert_options *opts, int fd,
                                                   uint64_t *out_len);

#ifdef __cplusplus
}
#endif

#endif /* TENSOGRAM_CONVERT_H */
