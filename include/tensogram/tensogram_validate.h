/* tensogram_validate.h - Tensogram for C additions: validation and diagnostics (additions).
 * Included by tensogram.h; not part of the reference API. */
#ifndef TENSOGRAM_VALIDATE_H
#define TENSOGRAM_VALIDATE_H

#ifdef __cplusplus
extern "C" {
#endif

/* Validate every message in a buffer of concatenated messages (what
 * tgm_validate_file does for a file, without touching the file system):
 * the report has the file shape, {"file_issues": [...], "messages": [...]},
 * with bytes outside any message listed as file issues.  buf may be NULL
 * when buf_len is 0.  level and check_canonical as for tgm_validate.
 * Errors: INVALID_ARG (NULL out, NULL buf with a length, unknown level),
 * ENCODING (out of memory). */
TGM_API tgm_error tgm_validate_buffer(const uint8_t *buf, size_t buf_len, const char *level,
                                      int32_t check_canonical, tgm_bytes_t *out);

/* Validation with options.  Start from TGM_VALIDATE_OPTIONS_INIT (or zero
 * the struct and set `size`): fields added later go at the end.
 *
 * max_decoded_bytes bounds what validation may decode: an object that
 * decodes to more bytes is not decoded, and a "not_decoded" warning says
 * so (the message is otherwise checked as usual).  Without it a few
 * hundred bytes can claim gigabytes (blosc2, rle and roaring can
 * legitimately describe them; see docs/security.md), and validation,
 * like decoding, would allocate them.  0: no limit but the decoded-size
 * cap (TENSOGRAM_MAX_OBJECT_BYTES); TGM_VALIDATE_LIMIT_AUTO: 64 MiB or 64
 * times the message's size, whichever is larger, and all the objects of
 * the call together (every message of a buffer or file) at most 64 MiB or
 * 64 times the size of the input, so that many objects under the limit
 * cannot add up (what `tensogram validate` and Python's validate use by
 * default).  Objects without a compression stage are checked without
 * decoding up to level 3 whatever the limit. */
#define TGM_VALIDATE_LIMIT_AUTO UINT64_MAX

typedef struct {
    size_t size;             /* sizeof(tgm_validate_options) */
    const char *level;       /* "quick", "default" (also NULL), "checksum", "full" */
    int32_t check_canonical; /* RFC 8949 canonical CBOR check */
    uint64_t max_decoded_bytes;
} tgm_validate_options;

#define TGM_VALIDATE_OPTIONS_INIT                                                                  \
    { sizeof(tgm_validate_options), NULL, 0, 0 }

/* tgm_validate, tgm_validate_file and tgm_validate_buffer with options
 * (NULL: the defaults, as those functions).  Same reports and errors;
 * TGM_ERROR_INVALID_ARG also for a `size` smaller than the first field. */
TGM_API tgm_error tgm_validate_ex(const uint8_t *buf, size_t buf_len,
                                  const tgm_validate_options *options, tgm_bytes_t *out);
TGM_API tgm_error tgm_validate_file_ex(const char *path, const tgm_validate_options *options,
                                       tgm_bytes_t *out);
TGM_API tgm_error tgm_validate_buffer_ex(const uint8_t *buf, size_t buf_len,
                                         const tgm_validate_options *options, tgm_bytes_t *out);

/* tgm_validate_source (a local path or a remote URL, with storage options)
 * with options, as tgm_validate_file_ex. */
TGM_API tgm_error tgm_validate_source_ex(const char *source, const char *const *storage_keys,
                                         const char *const *storage_values, size_t num_options,
                                         const tgm_validate_options *options, tgm_bytes_t *out);

#ifdef __cplusplus
}
#endif

#endif
