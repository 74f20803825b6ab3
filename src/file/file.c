/* .tgm files: many messages, appended over time (docs guide/file-api).
 *
 * The first access scans the file once (memory-mapped; bidirectional
 * through preambles and postambles, WIRE_FORMAT §9.3) and keeps every
 * message's offset and length, so later accesses are O(1).  Appends go to
 * the end with O_APPEND; a failed append is truncated away, so complete
 * messages already in the file are never damaged.  A torn tail left by a
 * crash is skipped by the scanner (and reported by validation).
 *
 * Thread safety: one mutex guards the index, the mapping and appends;
 * decoding works on views that stay valid until the file is closed, so
 * concurrent readers of one handle are safe. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "common/endian.h"
#include "common/error.h"
#include "file/file.h"
#include "message/message.h"

struct tgm_file_t {
    char *path;
    tgm_source *src; /* opened lazily for reading */
    int append_fd;   /* opened lazily for appending */
    pthread_mutex_t lock;
    bool scanned;
    uint64_t scanned_end; /* bytes of the file covered by the index */
    tgm_u64vec offsets;
    tgm_u64vec lengths;
};

tgm_error tgm__file_new(const char *path, bool create, tgm_file_t **out) {
    TGM_RETURN_IF(path == NULL || path[0] == '\0', TGM_ERROR_INVALID_ARG, "empty path");
    if (create) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        TGM_RETURN_IF(fd < 0, TGM_ERROR_IO, "cannot create %s: %s", path, strerror(errno));
        close(fd);
    } else {
        struct stat st;
        TGM_RETURN_IF(stat(path, &st) != 0, TGM_ERROR_IO, "file not found: %s (%s)", path,
                      strerror(errno));
        TGM_RETURN_IF(S_ISDIR(st.st_mode), TGM_ERROR_IO, "%s is a directory", path);
    }
    tgm_file_t *f = tgm__calloc(1, sizeof *f);
    if (f == NULL) {
        return tgm__oom(sizeof *f, "file handle");
    }
    f->path = tgm__strdup(path);
    if (f->path == NULL) {
        tgm__free(f);
        return tgm__oom(strlen(path), "path");
    }
    f->append_fd = -1;
    pthread_mutex_init(&f->lock, NULL);
    *out = f;
    return TGM_ERROR_OK;
}

void tgm__file_free(tgm_file_t *f) {
    if (f == NULL) {
        return;
    }
    tgm__source_close(f->src);
    if (f->append_fd >= 0) {
        close(f->append_fd);
    }
    tgm__u64vec_free(&f->offsets);
    tgm__u64vec_free(&f->lengths);
    pthread_mutex_destroy(&f->lock);
    tgm__free(f->path);
    tgm__free(f);
}

const char *tgm__file_path(const tgm_file_t *f) { return f->path; }

/* Open (or refresh after growth) the read source.  Lock held. */
static tgm_error ensure_source(tgm_file_t *f) {
    if (f->src == NULL) {
        TGM_TRY(tgm__source_file(f->path, true, &f->src));
    } else if (f->src->ops->refresh != NULL) {
        TGM_TRY(f->src->ops->refresh(f->src));
    }
    return TGM_ERROR_OK;
}

/* Bytes [off, off+len) of the file: a view of the mapping when there is
 * one, else a tgm__malloc'd copy returned in *owned (caller frees). */
static tgm_error bytes_at(tgm_file_t *f, uint64_t off, size_t len, const uint8_t **out,
                          uint8_t **owned) {
    *owned = NULL;
    const uint8_t *v = tgm__source_view(f->src, off, len);
    if (v != NULL || len == 0) {
        *out = v != NULL ? v : (const uint8_t *)"";
        return TGM_ERROR_OK;
    }
    uint8_t *copy = tgm__malloc(len);
    if (copy == NULL) {
        return tgm__oom(len, f->path);
    }
    tgm_error e = tgm__source_read(f->src, off, copy, len);
    if (e != TGM_ERROR_OK) {
        tgm__free(copy);
        return e;
    }
    *out = copy;
    *owned = copy;
    return TGM_ERROR_OK;
}

/* Scan [scanned_end, size) and extend the index.  Lock held. */
static tgm_error scan_tail(tgm_file_t *f) {
    TGM_TRY(ensure_source(f));
    uint64_t size = f->src->size;
    if (f->scanned && size == f->scanned_end) {
        return TGM_ERROR_OK;
    }
    uint64_t from = f->scanned ? f->scanned_end : 0;
    if (size < from) {
        /* The file shrank under us: start over. */
        f->offsets.n = f->lengths.n = 0;
        from = 0;
    }
    TGM_RETURN_IF(size - from > SIZE_MAX, TGM_ERROR_IO, "%s is too large to scan", f->path);
    const uint8_t *p;
    uint8_t *owned;
    TGM_TRY(bytes_at(f, from, (size_t)(size - from), &p, &owned));
    tgm_u64vec o = TGM_U64VEC_INIT, l = TGM_U64VEC_INIT;
    tgm_error err = tgm__scan(p, (size_t)(size - from), NULL, &o, &l);
    tgm__free(owned);
    for (size_t i = 0; err == TGM_ERROR_OK && i < o.n; i++) {
        err = tgm__u64vec_push(&f->offsets, from + o.v[i]);
        if (err == TGM_ERROR_OK) {
            err = tgm__u64vec_push(&f->lengths, l.v[i]);
        }
    }
    tgm__u64vec_free(&o);
    tgm__u64vec_free(&l);
    TGM_TRY(err);
    /* Bytes after the last complete message (a torn or growing tail) are
     * looked at again next time. */
    f->scanned_end =
        f->offsets.n ? f->offsets.v[f->offsets.n - 1] + f->lengths.v[f->lengths.n - 1] : 0;
    if (f->scanned_end < from) {
        f->scanned_end = from;
    }
    f->scanned = true;
    return TGM_ERROR_OK;
}

tgm_error tgm__file_count(tgm_file_t *f, size_t *out) {
    pthread_mutex_lock(&f->lock);
    tgm_error e = scan_tail(f);
    if (e == TGM_ERROR_OK) {
        *out = f->offsets.n;
    }
    pthread_mutex_unlock(&f->lock);
    return e;
}

/* Locate message i (scanning on first use). */
static tgm_error locate(tgm_file_t *f, size_t i, uint64_t *off, uint64_t *len) {
    if (!f->scanned || i >= f->offsets.n) {
        TGM_TRY(scan_tail(f)); /* first use, or the file may have grown */
    }
    TGM_RETURN_IF(i >= f->offsets.n, TGM_ERROR_FRAMING,
                  "message index %zu out of range (count=%zu)", i, f->offsets.n);
    *off = f->offsets.v[i];
    *len = f->lengths.v[i];
    return TGM_ERROR_OK;
}

tgm_error tgm__file_layout(tgm_file_t *f, size_t i, uint64_t *off, uint64_t *len) {
    pthread_mutex_lock(&f->lock);
    tgm_error e = locate(f, i, off, len);
    pthread_mutex_unlock(&f->lock);
    return e;
}

tgm_error tgm__file_message(tgm_file_t *f, size_t i, const uint8_t **data, size_t *len,
                            uint8_t **owned) {
    pthread_mutex_lock(&f->lock);
    uint64_t off = 0, n = 0;
    tgm_error e = locate(f, i, &off, &n);
    if (e == TGM_ERROR_OK && (f->src == NULL || off + n > f->src->size)) {
        e = ensure_source(f);
    }
    if (e == TGM_ERROR_OK) {
        e = bytes_at(f, off, (size_t)n, data, owned);
        *len = (size_t)n;
    }
    pthread_mutex_unlock(&f->lock);
    return e;
}

static bool whole_message(const uint8_t *m, size_t len) {
    return len >= TGM_MIN_MESSAGE_SIZE && memcmp(m, TGM_MAGIC, 8) == 0 &&
           tgm__rd_be64(m + 16) == (uint64_t)len && memcmp(m + len - 8, TGM_END_MAGIC, 8) == 0;
}

tgm_error tgm__file_append(tgm_file_t *f, const uint8_t *msg, size_t len) {
    pthread_mutex_lock(&f->lock);
    tgm_error err = TGM_ERROR_OK;
    if (f->append_fd < 0) {
        f->append_fd = open(f->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
        TGM_FAIL_IF(f->append_fd < 0, TGM_ERROR_IO, "cannot open %s for appending: %s", f->path,
                    strerror(errno));
    }
    struct stat st;
    TGM_FAIL_IF(fstat(f->append_fd, &st) != 0, TGM_ERROR_IO, "cannot stat %s: %s", f->path,
                strerror(errno));
    off_t before = st.st_size;
    const uint8_t *p = msg;
    size_t left = len;
    while (left > 0) {
        ssize_t w = write(f->append_fd, p, left);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            int e = errno;
            /* Leave the file exactly as it was: never a half message. */
            if (ftruncate(f->append_fd, before) != 0) {
                err = tgm__fail(TGM_ERROR_IO,
                                "append to %s failed (%s) and the partial message could not be "
                                "removed: %s",
                                f->path, strerror(e), strerror(errno));
            } else {
                err = tgm__fail(TGM_ERROR_IO, "append to %s failed: %s (file left unchanged)",
                                f->path, w == 0 ? "no progress" : strerror(e));
            }
            goto cleanup;
        }
        p += w;
        left -= (size_t)w;
    }
    /* Extend the index in place when it covers the file up to `before` and
     * the bytes are one whole message; anything else is picked up by the
     * next scan of the tail. */
    if (f->scanned && f->scanned_end == (uint64_t)before && whole_message(msg, len)) {
        TGM_CHECK(tgm__u64vec_push(&f->offsets, (uint64_t)before));
        TGM_CHECK(tgm__u64vec_push(&f->lengths, len));
        f->scanned_end = (uint64_t)before + len;
    }
cleanup:
    pthread_mutex_unlock(&f->lock);
    return err;
}
