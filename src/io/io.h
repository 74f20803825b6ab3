/* Byte sources and sinks.  Files, streaming output, validation and the
 * CLI read and write through these interfaces, so that other backends
 * (HTTP / S3 range reads, user callbacks) plug in without touching them.
 *
 * A source is random-access and read-only: it has a size and answers
 * "read n bytes at offset".  Sources that hold their bytes in memory
 * (memory, mmap) also offer `view`, a zero-copy pointer to a range.
 *
 * A sink is append-only with an optional positioned write used to
 * back-fill lengths in already-written bytes (streaming encoder). */
#ifndef TGM_IO_IO_H
#define TGM_IO_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tensogram/tensogram.h"

typedef struct tgm_source tgm_source;

/* One range of a batched read: n bytes at off into dst (dst NULL: only
 * bring the bytes into the source's cache, see read_many). */
typedef struct tgm_source_range {
    uint64_t off;
    size_t len;
    void *dst;
} tgm_source_range;

typedef struct tgm_source_ops {
    /* Read exactly n bytes at off into dst; TGM_ERROR_IO (or _REMOTE) on a
     * short read or failure, with what / where in the detail. */
    tgm_error (*read_at)(tgm_source *s, uint64_t off, void *dst, size_t n);
    /* Zero-copy view of [off, off+n) or NULL when the source cannot
     * provide one (callers then fall back to read_at). */
    const uint8_t *(*view)(tgm_source *s, uint64_t off, size_t n);
    /* Read several ranges at once.  Sources where a read is a network
     * round trip issue them concurrently and fetch neighbouring ranges in
     * one request; `keep` asks them to keep the bytes for later reads of
     * the same region (read-ahead).  May be NULL: read_at in turn. */
    tgm_error (*read_many)(tgm_source *s, const tgm_source_range *r, size_t n, bool keep);
    /* Re-read the size (the file may have grown); may be NULL. */
    tgm_error (*refresh)(tgm_source *s);
    void (*close)(tgm_source *s);
} tgm_source_ops;

struct tgm_source {
    const tgm_source_ops *ops;
    uint64_t size;
    const char *name; /* for messages: a path, a URL, "memory" */
    /* Every read costs a round trip (remote objects): callers should batch
     * reads with read_many and read a little ahead rather than byte by
     * byte.  Such sources offer no view. */
    bool remote;
};

static inline tgm_error tgm__source_read(tgm_source *s, uint64_t off, void *dst, size_t n) {
    return s->ops->read_at(s, off, dst, n);
}
static inline const uint8_t *tgm__source_view(tgm_source *s, uint64_t off, size_t n) {
    return s->ops->view != NULL ? s->ops->view(s, off, n) : NULL;
}
/* Batched read: read_many when the source has it, else read_at in turn. */
tgm_error tgm__source_read_many(tgm_source *s, const tgm_source_range *r, size_t n, bool keep);
void tgm__source_close(tgm_source *s);

/* Bytes in memory (borrowed: they must outlive the source). */
tgm_error tgm__source_memory(const uint8_t *buf, size_t len, tgm_source **out);
/* A file, read with pread (a file that shrinks gives a read error, never a
 * signal).  With allow_mmap, `view` maps the file on demand, reserving
 * room to grow (see source.c); the caller refreshes the size first. */
tgm_error tgm__source_file(const char *path, bool allow_mmap, tgm_source **out);

typedef struct tgm_sink tgm_sink;

typedef struct tgm_sink_ops {
    tgm_error (*write)(tgm_sink *s, const void *data, size_t n); /* append */
    /* Overwrite bytes at an absolute position already written; NULL when
     * the sink is not seekable (pipe, socket). */
    tgm_error (*pwrite)(tgm_sink *s, uint64_t off, const void *data, size_t n);
    tgm_error (*flush)(tgm_sink *s); /* push to the OS / durable storage; may be NULL */
    void (*close)(tgm_sink *s);
} tgm_sink_ops;

struct tgm_sink {
    const tgm_sink_ops *ops;
    uint64_t written; /* bytes appended so far (position of the next write) */
    const char *name;
};

static inline tgm_error tgm__sink_write(tgm_sink *s, const void *data, size_t n) {
    return s->ops->write(s, data, n);
}
static inline bool tgm__sink_seekable(const tgm_sink *s) { return s->ops->pwrite != NULL; }
void tgm__sink_close(tgm_sink *s);

/* A file opened for writing (truncate) or appending. */
tgm_error tgm__sink_file(const char *path, bool append, tgm_sink **out);
/* An already-open file descriptor (not closed by the sink unless own_fd);
 * seekable when lseek works on it. */
tgm_error tgm__sink_fd(int fd, bool own_fd, tgm_sink **out);
/* fsync the directory holding `path`, so that a file created (or renamed)
 * there survives a power loss.  TGM_ERROR_IO on failure. */
tgm_error tgm__sync_parent_dir(const char *path);

/* A growable memory buffer; tgm__sink_memory_take hands the bytes over. */
tgm_error tgm__sink_memory(tgm_sink **out);
uint8_t *tgm__sink_memory_take(tgm_sink *s, size_t *len);

#endif
