/* Byte sinks: files, file descriptors and memory. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "common/error.h"
#include "io/io.h"

void tgm__sink_close(tgm_sink *s) {
    if (s != NULL) {
        s->ops->close(s);
    }
}

typedef struct fd_sink {
    tgm_sink base;
    int fd;
    bool own;
    char *name;
} fd_sink;

static tgm_error fd_write(tgm_sink *s, const void *data, size_t n) {
    fd_sink *f = (fd_sink *)s;
    const uint8_t *p = data;
    while (n > 0) {
        ssize_t w = write(f->fd, p, n);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        TGM_RETURN_IF(w < 0, TGM_ERROR_IO, "cannot write to %s: %s", s->name, strerror(errno));
        p += w;
        n -= (size_t)w;
        s->written += (uint64_t)w;
    }
    return TGM_ERROR_OK;
}

static tgm_error fd_pwrite(tgm_sink *s, uint64_t off, const void *data, size_t n) {
    fd_sink *f = (fd_sink *)s;
    const uint8_t *p = data;
    while (n > 0) {
        ssize_t w = pwrite(f->fd, p, n, (off_t)off);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        TGM_RETURN_IF(w < 0, TGM_ERROR_IO, "cannot write to %s at offset %llu: %s", s->name,
                      (unsigned long long)off, strerror(errno));
        p += w;
        off += (uint64_t)w;
        n -= (size_t)w;
    }
    return TGM_ERROR_OK;
}

static tgm_error fd_flush(tgm_sink *s) {
    fd_sink *f = (fd_sink *)s;
    if (fsync(f->fd) != 0 && errno != EINVAL && errno != EROFS) {
        return tgm__fail(TGM_ERROR_IO, "cannot sync %s: %s", s->name, strerror(errno));
    }
    return TGM_ERROR_OK;
}

static void fd_close(tgm_sink *s) {
    fd_sink *f = (fd_sink *)s;
    if (f->own && f->fd >= 0) {
        close(f->fd);
    }
    tgm__free(f->name);
    tgm__free(f);
}

static const tgm_sink_ops fd_seek_ops = {fd_write, fd_pwrite, fd_flush, fd_close};
static const tgm_sink_ops fd_stream_ops = {fd_write, NULL, fd_flush, fd_close};

static tgm_error make_fd_sink(int fd, bool own, const char *name, tgm_sink **out) {
    fd_sink *f = tgm__calloc(1, sizeof *f);
    char *nm = tgm__strdup(name);
    if (f == NULL || nm == NULL) {
        tgm__free(f);
        tgm__free(nm);
        return tgm__oom(sizeof *f, "sink");
    }
    f->fd = fd;
    f->own = own;
    f->name = nm;
    f->base.name = nm;
    struct stat st;
    off_t pos = lseek(fd, 0, SEEK_CUR);
    /* pwrite on an O_APPEND descriptor appends on Linux: not seekable for
     * back-filling. */
    int fl = fcntl(fd, F_GETFL);
    bool seekable =
        pos >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && fl >= 0 && !(fl & O_APPEND);
    f->base.ops = seekable ? &fd_seek_ops : &fd_stream_ops;
    f->base.written = seekable ? (uint64_t)pos : 0;
    *out = &f->base;
    return TGM_ERROR_OK;
}

tgm_error tgm__sink_fd(int fd, bool own_fd, tgm_sink **out) {
    TGM_RETURN_IF(fd < 0, TGM_ERROR_INVALID_ARG, "invalid file descriptor %d", fd);
    char name[48];
    snprintf(name, sizeof name, "file descriptor %d", fd);
    return make_fd_sink(fd, own_fd, name, out);
}

tgm_error tgm__sink_file(const char *path, bool append, tgm_sink **out) {
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC);
    int fd = open(path, flags, 0666);
    TGM_RETURN_IF(fd < 0, TGM_ERROR_IO, "cannot open %s for writing: %s", path, strerror(errno));
    if (append) {
        lseek(fd, 0, SEEK_END);
    }
    tgm_error e = make_fd_sink(fd, true, path, out);
    if (e != TGM_ERROR_OK) {
        close(fd);
    }
    return e;
}

tgm_error tgm__sync_parent_dir(const char *path) {
    const char *slash = strrchr(path, '/');
    char *dir = slash == NULL   ? tgm__strdup(".")
                : slash == path ? tgm__strdup("/")
                                : tgm__malloc((size_t)(slash - path) + 1);
    if (dir == NULL) {
        return tgm__oom(strlen(path), "directory name");
    }
    if (slash != NULL && slash != path) {
        memcpy(dir, path, (size_t)(slash - path));
        dir[slash - path] = '\0';
    }
    tgm_error err = TGM_ERROR_OK;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        err = tgm__fail(TGM_ERROR_IO, "cannot open directory %s to sync it: %s", dir,
                        strerror(errno));
    } else {
        if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS) {
            err = tgm__fail(TGM_ERROR_IO, "cannot sync directory %s: %s", dir, strerror(errno));
        }
        close(fd);
    }
    tgm__free(dir);
    return err;
}

/* ---- memory -------------------------------------------------------------- */

typedef struct mem_sink {
    tgm_sink base;
    tgm_buf buf;
} mem_sink;

static tgm_error mem_write(tgm_sink *s, const void *data, size_t n) {
    mem_sink *m = (mem_sink *)s;
    TGM_TRY(tgm__buf_append(&m->buf, data, n));
    s->written += n;
    return TGM_ERROR_OK;
}

static tgm_error mem_pwrite(tgm_sink *s, uint64_t off, const void *data, size_t n) {
    mem_sink *m = (mem_sink *)s;
    TGM_RETURN_IF(off > m->buf.len || n > m->buf.len - off, TGM_ERROR_IO,
                  "positioned write past the end of the memory sink");
    memcpy(m->buf.data + off, data, n);
    return TGM_ERROR_OK;
}

static void mem_close(tgm_sink *s) {
    mem_sink *m = (mem_sink *)s;
    tgm__buf_free(&m->buf);
    tgm__free(m);
}

static const tgm_sink_ops mem_ops = {mem_write, mem_pwrite, NULL, mem_close};

tgm_error tgm__sink_memory(tgm_sink **out) {
    mem_sink *m = tgm__calloc(1, sizeof *m);
    if (m == NULL) {
        return tgm__oom(sizeof *m, "memory sink");
    }
    m->base.ops = &mem_ops;
    m->base.name = "memory";
    *out = &m->base;
    return TGM_ERROR_OK;
}

uint8_t *tgm__sink_memory_take(tgm_sink *s, size_t *len) {
    mem_sink *m = (mem_sink *)s;
    return tgm__buf_steal(&m->buf, len);
}
