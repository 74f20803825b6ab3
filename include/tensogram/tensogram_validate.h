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

#ifdef __cplusplus
}
#endif

#endif
