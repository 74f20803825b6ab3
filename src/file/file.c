/* .tgm files: many messages, appended over time (docs/api.md, "Files";
 * the guarantees: docs/security.md, "Files: what is guaranteed").
 *
 * The first access scans the file once (read with pread through a small
 * window; bidirectional through preambles and postambles, WIRE_FORMAT
 * §9.3) and keeps every message's offset and length, so later accesses are
 * O(1).  Growth is picked up by scanning the tail.  Bytes that are not part
 * of a complete message are skipped (and reported by validation).
 *
 * Reading a message: copies (tgm_file_read_message, iterators) and
 * messages up to COPY_MAX bytes are read with pread into memory of their
 * own; decoding calls on larger messages get a view of a mapping (zero
 * copy: decoding one object touches only its pages), after checking that
 * the file still holds the message.  A file that shrank or was rewritten
 * under the handle gives TGM_ERROR_IO ("changed underneath") and a rescan,
 * never a signal, with one exception: a program that truncates the file
 * while a call is reading a large message through a view (docs/security.md;
 * TENSOGRAM_FILE_MMAP=0 turns views off).
 *
 * Appends: see the protocol below.
 *
 * Thread safety: one mutex guards the index, the source and appends;
 * views stay valid until the file is closed, so concurrent readers of one
 * handle are safe. */
#define _GNU_SOURCE /* F_OFD_SETLKW */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "common/endian.h"
#include "common/error.h"
#include "file/file.h"
#include "file/rfile.h"
#include "message/message.h"

struct tgm_file_t {
    char *path;
    tgm_source *src; /* opened lazily for reading */
    int append_fd;   /* opened lazily for appending */
    bool created;    /* created by this handle and not yet synced */
    pthread_mutex_t lock;
    bool scanned;
    uint64_t scanned_end; /* bytes of the file covered by the index */
    tgm_u64vec offsets;
    tgm_u64vec lengths;
    /* Remote files (read-only, opened on a `remote` source): messages are
     * found and read through rfile.c instead of the index above. */
    tgm_rfile *rf;
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
    f->created = create;
    pthread_mutex_init(&f->lock, NULL);
    *out = f;
    return TGM_ERROR_OK;
}

tgm_error tgm__file_from_source(tgm_source *src, bool bidirectional, tgm_file_t **out) {
    tgm_file_t *f = tgm__calloc(1, sizeof *f);
    if (f == NULL) {
        return tgm__oom(sizeof *f, "file handle");
    }
    f->path = tgm__strdup(src->name);
    tgm_error err = f->path == NULL ? tgm__oom(strlen(src->name), "source name")
                                    : tgm__rfile_new(src, bidirectional, &f->rf);
    if (err != TGM_ERROR_OK) {
        tgm__free(f->path);
        tgm__free(f);
        return err;
    }
    f->src = src;
    f->append_fd = -1;
    pthread_mutex_init(&f->lock, NULL);
    *out = f;
    return TGM_ERROR_OK;
}

tgm_rfile *tgm__file_remote(const tgm_file_t *f) { return f->rf; }

tgm_source *tgm__file_source(const tgm_file_t *f) { return f->src; }

void tgm__file_free(tgm_file_t *f) {
    if (f == NULL) {
        return;
    }
    tgm__rfile_free(f->rf);
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

/* Messages up to this size are copied out with pread (a file of small
 * messages is never mapped); larger ones are viewed through the mapping,
 * so that reading one object or the metadata touches only their pages. */
#define COPY_MAX ((size_t)64 * 1024)

static bool views_allowed(void) {
    const char *e = getenv("TENSOGRAM_FILE_MMAP");
    return e == NULL || strcmp(e, "0") != 0;
}

/* Forget the index: the file changed underneath; the next access scans it
 * again from the start.  Lock held. */
static void forget_index(tgm_file_t *f) {
    f->offsets.n = f->lengths.n = 0;
    f->scanned = false;
    f->scanned_end = 0;
}

static tgm_error changed_underneath(tgm_file_t *f, uint64_t off, uint64_t len, const char *how) {
    forget_index(f);
    return tgm__fail(TGM_ERROR_IO,
                     "%s changed underneath: %s (the message expected at offset %llu, %llu "
                     "bytes); the handle will scan the file again",
                     f->path, how, (unsigned long long)off, (unsigned long long)len);
}

/* The message found at [off, off + len) still looks like one: preamble
 * magic and length, end magic. */
static bool still_a_message(const uint8_t *p, size_t len) {
    if (len < TGM_MIN_MESSAGE_SIZE || memcmp(p, TGM_MAGIC, 8) != 0 ||
        memcmp(p + len - 8, TGM_END_MAGIC, 8) != 0) {
        return false;
    }
    uint64_t tl = tgm__rd_be64(p + 16);
    return tl == 0 || tl == (uint64_t)len;
}

/* Bytes [off, off+len) of the file: a tgm__malloc'd copy returned in
 * *owned (caller frees), or, for large messages, a view of the mapping.
 * Lock held. */
static tgm_error bytes_at(tgm_file_t *f, uint64_t off, size_t len, bool copy_only,
                          const uint8_t **out, uint8_t **owned) {
    *owned = NULL;
    if (!copy_only && len > COPY_MAX && views_allowed()) {
        /* The bytes must still be in the file (another program may have
         * truncated it): touching a view of bytes past its end would raise
         * SIGBUS. */
        TGM_TRY(ensure_source(f));
        if (off > f->src->size || len > f->src->size - off) {
            char how[128];
            snprintf(how, sizeof how, "it shrank to %llu bytes", (unsigned long long)f->src->size);
            return changed_underneath(f, off, len, how);
        }
        const uint8_t *v = tgm__source_view(f->src, off, len);
        if (v != NULL) {
            if (!still_a_message(v, len)) {
                return changed_underneath(f, off, len, "no message is there any more");
            }
            *out = v;
            return TGM_ERROR_OK;
        }
    }
    /* pread: a file that shrank gives a short read, reported below */
    if (f->src == NULL) {
        TGM_TRY(ensure_source(f));
    }
    uint8_t *copy = tgm__malloc(len ? len : 1);
    if (copy == NULL) {
        return tgm__oom(len, f->path);
    }
    tgm_error e = tgm__source_read(f->src, off, copy, len);
    if (e != TGM_ERROR_OK) {
        tgm__free(copy);
        if (ensure_source(f) == TGM_ERROR_OK && off + len > f->src->size) {
            char how[128];
            snprintf(how, sizeof how, "it shrank to %llu bytes", (unsigned long long)f->src->size);
            return changed_underneath(f, off, len, how);
        }
        return e;
    }
    if (!still_a_message(copy, len)) {
        tgm__free(copy);
        return changed_underneath(f, off, len, "no message is there any more");
    }
    *out = copy;
    *owned = copy;
    return TGM_ERROR_OK;
}

/* Remote files: a copy read through the source (no views there). */
static tgm_error remote_bytes(tgm_file_t *f, uint64_t off, size_t len, const uint8_t **out,
                              uint8_t **owned) {
    uint8_t *copy = tgm__malloc(len ? len : 1);
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

static tgm_error scan_read(void *ctx, uint64_t off, void *dst, size_t n) {
    return tgm__source_read((tgm_source *)ctx, off, dst, n);
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
        forget_index(f);
        from = 0;
    }
    tgm_scan_reader rd = {scan_read, f->src};
    tgm_u64vec o = TGM_U64VEC_INIT, l = TGM_U64VEC_INIT;
    tgm_error err = tgm__scan_reader(&rd, from, size, NULL, &o, &l);
    for (size_t i = 0; err == TGM_ERROR_OK && i < o.n; i++) {
        err = tgm__u64vec_push(&f->offsets, o.v[i]);
        if (err == TGM_ERROR_OK) {
            err = tgm__u64vec_push(&f->lengths, l.v[i]);
        }
    }
    tgm__u64vec_free(&o);
    tgm__u64vec_free(&l);
    if (err != TGM_ERROR_OK) {
        /* keep the index consistent: what was pushed of this scan goes */
        forget_index(f);
        return err;
    }
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
    if (f->rf != NULL) {
        bool complete;
        return tgm__rfile_scan(f->rf, SIZE_MAX, out, &complete);
    }
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
    if (f->rf != NULL) {
        size_t known;
        bool complete;
        TGM_TRY(tgm__rfile_scan(f->rf, i, &known, &complete));
        TGM_RETURN_IF(i >= known, TGM_ERROR_FRAMING, "message index %zu out of range (count=%zu)",
                      i, known);
        tgm__rfile_entry(f->rf, i, off, len, NULL);
        return TGM_ERROR_OK;
    }
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

tgm_error tgm__file_message(tgm_file_t *f, size_t i, bool copy, const uint8_t **data, size_t *len,
                            uint8_t **owned) {
    if (f->rf != NULL) {
        /* Remote: no lock while the bytes travel (rfile and the source
         * serve concurrent callers). */
        uint64_t off = 0, n = 0;
        TGM_TRY(locate(f, i, &off, &n));
        TGM_RETURN_IF(n > SIZE_MAX, TGM_ERROR_IO, "message %zu is too large", i);
        *len = (size_t)n;
        return remote_bytes(f, off, (size_t)n, data, owned);
    }
    pthread_mutex_lock(&f->lock);
    uint64_t off = 0, n = 0;
    tgm_error e = locate(f, i, &off, &n);
    if (e == TGM_ERROR_OK && n > SIZE_MAX) {
        e = tgm__fail(TGM_ERROR_IO, "%s: message %zu (%llu bytes) does not fit in memory", f->path,
                      i, (unsigned long long)n);
    }
    if (e == TGM_ERROR_OK) {
        e = bytes_at(f, off, (size_t)n, copy, data, owned);
        *len = (size_t)n;
    }
    pthread_mutex_unlock(&f->lock);
    return e;
}

/* ---- appends ------------------------------------------------------------------
 *
 * The protocol (docs/security.md, "Writing files"):
 *  1. An exclusive advisory lock on the whole file is taken for the append
 *     (an OFD lock: per open file description, so it excludes other
 *     handles of this process as well as other processes; flock where OFD
 *     locks are missing).  Every writer of this library takes it, so their
 *     appends never interleave, whatever their size.
 *  2. The bytes go out with O_APPEND writes, in a loop (a write may be
 *     short: Linux writes at most 0x7ffff000 bytes per call, a full disk or
 *     a signal cuts it); after each write the file offset tells where the
 *     bytes landed.  A writer that does not take the lock (another program)
 *     can still slip its bytes between two writes of one message: that is
 *     detected, the append stops and fails.
 *  3. On failure only this writer's own bytes are removed, and only when
 *     the file still ends exactly where this writer left it; the truncation
 *     never extends the file (no hole) and never cuts anyone else's bytes.
 *     What cannot be removed stays as a torn region, which scanners skip
 *     and validation reports.
 *  4. Success is reported only when the whole message landed contiguously.
 *     The bytes are then visible to every reader and survive a crash of
 *     the process; tgm_file_sync makes them survive a power loss. */

#ifndef TGM_FILE_WRITE_MAX
#define TGM_FILE_WRITE_MAX ((size_t)1 << 30) /* bytes per write() call */
#endif

static bool lock_unsupported(int e) {
    return e == ENOLCK || e == EOPNOTSUPP || e == ENOSYS || e == EINVAL;
}

/* Take (lock) or drop the append lock.  *held tells whether a lock is
 * held: on a file system without locking the append goes on without one
 * (step 2 still detects interleaving). */
static tgm_error append_lock(tgm_file_t *f, bool lock, bool *held) {
    int fd = f->append_fd;
#ifdef F_OFD_SETLKW
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = lock ? F_WRLCK : F_UNLCK;
    fl.l_whence = SEEK_SET;
    for (;;) {
        if (fcntl(fd, F_OFD_SETLKW, &fl) == 0) {
            *held = lock;
            return TGM_ERROR_OK;
        }
        if (errno != EINTR) {
            break;
        }
    }
    if (!lock_unsupported(errno)) {
        return tgm__fail(TGM_ERROR_IO, "cannot %s %s: %s", lock ? "lock" : "unlock", f->path,
                         strerror(errno));
    }
#endif
    for (;;) {
        if (flock(fd, lock ? LOCK_EX : LOCK_UN) == 0) {
            *held = lock;
            return TGM_ERROR_OK;
        }
        if (errno != EINTR) {
            break;
        }
    }
    if (lock_unsupported(errno)) {
        *held = false;
        return TGM_ERROR_OK;
    }
    return tgm__fail(TGM_ERROR_IO, "cannot %s %s: %s", lock ? "lock" : "unlock", f->path,
                     strerror(errno));
}

/* Remove this writer's bytes [start, end) after a failed append, when the
 * file still ends at `end`.  Returns a sentence for the error detail. */
static const char *roll_back(tgm_file_t *f, uint64_t start, uint64_t end, char *why,
                             size_t why_len) {
    if (end == start) {
        return "the file is unchanged";
    }
    struct stat st;
    if (fstat(f->append_fd, &st) != 0) {
        snprintf(why, why_len,
                 "the %llu bytes written at offset %llu stay (cannot stat the file: %s); "
                 "readers skip them as a torn message",
                 (unsigned long long)(end - start), (unsigned long long)start, strerror(errno));
        return why;
    }
    if ((uint64_t)st.st_size != end) {
        snprintf(why, why_len,
                 "the %llu bytes written at offset %llu stay, because the file no longer ends "
                 "where they end (another program changed it); readers skip them as a torn "
                 "message",
                 (unsigned long long)(end - start), (unsigned long long)start);
        return why;
    }
    int r;
    do {
        r = ftruncate(f->append_fd, (off_t)start);
    } while (r != 0 && errno == EINTR);
    if (r != 0) {
        snprintf(why, why_len,
                 "the %llu bytes written at offset %llu could not be removed (%s); readers "
                 "skip them as a torn message",
                 (unsigned long long)(end - start), (unsigned long long)start, strerror(errno));
        return why;
    }
    return "the partial message was removed: the file is as it was";
}

/* Steps 2-4 with the lock held: *at receives where the message starts. */
static tgm_error append_locked(tgm_file_t *f, const uint8_t *msg, size_t len, uint64_t *at) {
    uint64_t start = 0, done = 0;
    bool started = false;
    while (done < len) {
        size_t n = len - done > TGM_FILE_WRITE_MAX ? TGM_FILE_WRITE_MAX : (size_t)(len - done);
        ssize_t w = write(f->append_fd, msg + done, n);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            char why[320];
            int e = w < 0 ? errno : ENOSPC;
            const char *rb = roll_back(f, start, start + done, why, sizeof why);
            return tgm__fail(TGM_ERROR_IO, "append to %s failed after %llu of %zu bytes: %s; %s",
                             f->path, (unsigned long long)done, len,
                             w < 0 ? strerror(e) : "no progress", rb);
        }
        off_t pos = lseek(f->append_fd, 0, SEEK_CUR);
        if (pos < 0) {
            int e = errno;
            return tgm__fail(TGM_ERROR_IO,
                             "append to %s: cannot tell where %zd bytes landed (%s); the message "
                             "is not acknowledged",
                             f->path, w, strerror(e));
        }
        uint64_t landed = (uint64_t)pos - (uint64_t)w;
        if (!started) {
            start = landed;
            started = true;
        } else if (landed != start + done) {
            /* Another program appended between two of our writes. */
            char why[320];
            const char *rb = roll_back(f, landed, (uint64_t)pos, why, sizeof why);
            return tgm__fail(TGM_ERROR_IO,
                             "append to %s failed: another program wrote %llu bytes into the "
                             "middle of this message (at offset %llu) without taking the append "
                             "lock; the first %llu bytes at offset %llu stay as a torn message "
                             "that readers skip; of the rest: %s",
                             f->path, (unsigned long long)(landed - start - done),
                             (unsigned long long)(start + done), (unsigned long long)done,
                             (unsigned long long)start, rb);
        }
        done += (uint64_t)w;
    }
    *at = start;
    return TGM_ERROR_OK;
}

tgm_error tgm__file_sync(tgm_file_t *f) {
    TGM_RETURN_IF(f->rf != NULL, TGM_ERROR_REMOTE, "%s is remote: remote files are read-only",
                  f->path);
    pthread_mutex_lock(&f->lock);
    tgm_error err = TGM_ERROR_OK;
    if (f->append_fd >= 0 && fdatasync(f->append_fd) != 0 && errno != EINVAL) {
        err = tgm__fail(TGM_ERROR_IO, "cannot sync %s: %s", f->path, strerror(errno));
    }
    if (err == TGM_ERROR_OK && f->created) {
        /* A new file is durable once its directory entry is. */
        err = tgm__sync_parent_dir(f->path);
        if (err == TGM_ERROR_OK) {
            f->created = false;
        }
    }
    pthread_mutex_unlock(&f->lock);
    return err;
}

/* Append_raw's check: the bytes are one or more complete messages, back
 * to back, each of which parses (frames, phases, metadata, descriptors);
 * their offsets and lengths go to *o / *l. */
static tgm_error check_messages(const uint8_t *buf, size_t len, tgm_u64vec *o, tgm_u64vec *l) {
    TGM_RETURN_IF(len == 0, TGM_ERROR_INVALID_ARG, "append_raw: no bytes to append");
    TGM_TRY(tgm__scan(buf, len, NULL, o, l));
    uint64_t pos = 0;
    for (size_t i = 0; i <= o->n; i++) {
        uint64_t at = i < o->n ? o->v[i] : len;
        TGM_RETURN_IF(at != pos, TGM_ERROR_FRAMING,
                      "append_raw: %llu bytes at offset %llu of the buffer are not part of a "
                      "complete message (nothing was written)",
                      (unsigned long long)(at - pos), (unsigned long long)pos);
        if (i == o->n) {
            break;
        }
        tgm_arena a = TGM_ARENA_INIT;
        tgm_msg m;
        tgm_error e = tgm__msg_parse(buf + at, (size_t)l->v[i], &a, TGM_PARSE_FULL, &m);
        tgm__arena_free(&a);
        if (e != TGM_ERROR_OK) {
            return tgm__wrap(e,
                             "append_raw: message %zu of the buffer (offset %llu; nothing was "
                             "written)",
                             i, (unsigned long long)at);
        }
        pos = at + l->v[i];
    }
    return TGM_ERROR_OK;
}

tgm_error tgm__file_append(tgm_file_t *f, const uint8_t *msg, size_t len, bool trusted) {
    TGM_RETURN_IF(f->rf != NULL, TGM_ERROR_REMOTE, "%s is remote: remote files are read-only",
                  f->path);
    tgm_u64vec o = TGM_U64VEC_INIT, l = TGM_U64VEC_INIT;
    tgm_error err = TGM_ERROR_OK;
    if (trusted) {
        /* one message from our own encoder */
        TGM_CHECK(tgm__u64vec_push(&o, 0));
        TGM_CHECK(tgm__u64vec_push(&l, len));
    } else {
        TGM_CHECK(check_messages(msg, len, &o, &l));
    }
    pthread_mutex_lock(&f->lock);
    bool held = false;
    uint64_t at = 0;
    if (f->append_fd < 0) {
        f->append_fd = open(f->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
        if (f->append_fd < 0) {
            err = tgm__fail(TGM_ERROR_IO, "cannot open %s for appending: %s", f->path,
                            strerror(errno));
        }
    }
    if (err == TGM_ERROR_OK) {
        err = append_lock(f, true, &held);
    }
    if (err == TGM_ERROR_OK) {
        err = append_locked(f, msg, len, &at);
    }
    if (held) {
        bool still;
        tgm_error ue = append_lock(f, false, &still);
        if (err == TGM_ERROR_OK) {
            err = ue;
        }
    }
    /* Extend the index in place when it covers the file up to where the
     * bytes landed; anything else is picked up by the next scan of the
     * tail. */
    if (err == TGM_ERROR_OK && f->scanned && f->scanned_end == at) {
        for (size_t i = 0; i < o.n && err == TGM_ERROR_OK; i++) {
            err = tgm__u64vec_push(&f->offsets, at + o.v[i]);
            if (err == TGM_ERROR_OK) {
                err = tgm__u64vec_push(&f->lengths, l.v[i]);
            }
        }
        if (err == TGM_ERROR_OK) {
            f->scanned_end = at + len;
        } else {
            /* out of memory: forget the index, the next access rescans */
            f->offsets.n = f->lengths.n = 0;
            f->scanned = false;
            f->scanned_end = 0;
            tgm__clear_error();
            err = TGM_ERROR_OK; /* the message is in the file */
        }
    }
    pthread_mutex_unlock(&f->lock);
cleanup:
    tgm__u64vec_free(&o);
    tgm__u64vec_free(&l);
    return err;
}
