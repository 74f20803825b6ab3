/* .tgm files (internal interface behind tgm_file_*). */
#ifndef TGM_FILE_FILE_H
#define TGM_FILE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "io/io.h"
#include "tensogram/tensogram.h"

/* Open an existing file (create == false; it must exist) or create /
 * truncate one.  Nothing is read until first use. */
tgm_error tgm__file_new(const char *path, bool create, tgm_file_t **out);
void tgm__file_free(tgm_file_t *f);

/* A read-only file over a source where every read is a round trip (a
 * remote object; src->remote).  The file owns the source.  Messages are
 * found by range reads (rfile.h), bidirectionally unless told otherwise;
 * appends and sync fail with TGM_ERROR_REMOTE. */
struct tgm_rfile;
tgm_error tgm__file_from_source(tgm_source *src, bool bidirectional, tgm_file_t **out);
/* The remote state of a file from tgm__file_from_source, NULL for local
 * files; and the file's source (NULL until a local file is first read). */
struct tgm_rfile *tgm__file_remote(const tgm_file_t *f);
tgm_source *tgm__file_source(const tgm_file_t *f);
const char *tgm__file_path(const tgm_file_t *f);

/* Number of complete messages (scans on first call, then picks up bytes
 * appended since, by this handle or another writer). */
tgm_error tgm__file_count(tgm_file_t *f, size_t *out);
/* Offset and length of message i (TGM_ERROR_FRAMING when out of range). */
tgm_error tgm__file_layout(tgm_file_t *f, size_t i, uint64_t *off, uint64_t *len);
/* The bytes of message i: a copy returned in *owned that the caller frees
 * with tgm__free (always when `copy`), or a view valid until the file is
 * closed.  A message that is no longer in the file (it shrank or was
 * rewritten) gives TGM_ERROR_IO "changed underneath" and the next access
 * scans the file again. */
tgm_error tgm__file_message(tgm_file_t *f, size_t i, bool copy, const uint8_t **data, size_t *len,
                            uint8_t **owned);
/* Append bytes: one message from our encoder (trusted), or bytes a caller
 * gave, which must be one or more complete messages (checked first).  The
 * protocol (lock, short writes, safe rollback) is described in file.c. */
tgm_error tgm__file_append(tgm_file_t *f, const uint8_t *msg, size_t len, bool trusted);
/* fdatasync the file (and its directory when this handle created it). */
tgm_error tgm__file_sync(tgm_file_t *f);

#endif
