/* Byte sources: memory and files (mmap, or pread when mapping fails). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/error.h"
#include "io/io.h"

void tgm__source_close(tgm_source *s) {
    if (s != NULL) {
        s->ops->close(s);
    }
}

tgm_error tgm__source_read_many(tgm_source *s, const tgm_source_range *r, size_t n, bool keep) {
    if (s->ops->read_many != NULL) {
        return s->ops->read_many(s, r, n, keep);
    }
    for (size_t i = 0; i < n; i++) {
        if (r[i].dst != NULL) {
            TGM_TRY(s->ops->read_at(s, r[i].off, r[i].dst, r[i].len));
        }
    }
    return TGM_ERROR_OK;
}

/* ---- memory ---------------------------------------------------------------- */

typedef struct mem_source {
    tgm_source base;
    const uint8_t *buf;
} mem_source;

static tgm_error mem_read(tgm_source *s, uint64_t off, void *dst, size_t n) {
    mem_source *m = (mem_source *)s;
    TGM_RETURN_IF(off > s->size || n > s->size - off, TGM_ERROR_IO,
                  "read of %zu bytes at offset %llu is past the end of %s (%llu bytes)", n,
                  (unsigned long long)off, s->name, (unsigned long long)s->size);
    if (n > 0) {
        memcpy(dst, m->buf + off, n);
    }
    return TGM_ERROR_OK;
}

static const uint8_t *mem_view(tgm_source *s, uint64_t off, size_t n) {
    mem_source *m = (mem_source *)s;
    if (off > s->size || n > s->size - off) {
        return NULL;
    }
    return m->buf + off;
}

static void mem_close(tgm_source *s) { tgm__free(s); }

static const tgm_source_ops mem_ops = {mem_read, mem_view, NULL, NULL, mem_close};

tgm_error tgm__source_memory(const uint8_t *buf, size_t len, tgm_source **out) {
    mem_source *m = tgm__calloc(1, sizeof *m);
    if (m == NULL) {
        return tgm__oom(sizeof *m, "memory source");
    }
    m->base.ops = &mem_ops;
    m->base.size = len;
    m->base.name = "memory";
    m->buf = buf;
    *out = &m->base;
    return TGM_ERROR_OK;
}

/* ---- files ------------------------------------------------------------------- */

/* Files are read with pread: a file that shrinks under us (another program
 * truncates it) gives a short read, an error, never a signal.  The mapping
 * exists only for zero-copy views of large messages, made on demand, and
 * only over bytes the caller has just checked are inside the file (see
 * src/file/file.c).
 *
 * Mappings reserve room to grow: a new one is at least twice the last, so
 * a file that keeps growing is remapped O(log size) times.  A replaced
 * mapping stays valid until close (another thread may still be reading
 * through a view of it); being geometric, all of them together stay below
 * twice the last, which is below twice the file's largest size plus one
 * reservation: virtual memory stays within a small multiple of the file
 * size however many append/read cycles run (issue 12 item 5). */
typedef struct old_map {
    struct old_map *next;
    uint8_t *map;
    size_t len;
} old_map;

typedef struct file_source {
    tgm_source base;
    int fd;
    bool allow_mmap;
    uint8_t *map;
    size_t map_len; /* bytes reserved; may exceed the file (never read there) */
    old_map *retired;
    char *path;
} file_source;

#define MAP_GRAIN ((size_t)1 << 20)

static void retire(file_source *f) {
    if (f->map != NULL) {
        old_map *o = tgm__malloc(sizeof *o);
        if (o != NULL) {
            o->map = f->map;
            o->len = f->map_len;
            o->next = f->retired;
            f->retired = o;
        } /* else: leak the mapping rather than risk a dangling view */
        f->map = NULL;
        f->map_len = 0;
    }
}

static void unmap_all(file_source *f) {
    if (f->map != NULL) {
        munmap(f->map, f->map_len);
        f->map = NULL;
    }
    while (f->retired != NULL) {
        old_map *o = f->retired;
        f->retired = o->next;
        munmap(o->map, o->len);
        tgm__free(o);
    }
}

static tgm_error file_stat(file_source *f) {
    struct stat st;
    TGM_RETURN_IF(fstat(f->fd, &st) != 0, TGM_ERROR_IO, "cannot stat %s: %s", f->path,
                  strerror(errno));
    TGM_RETURN_IF(!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode), TGM_ERROR_IO,
                  "%s is not a regular file", f->path);
    f->base.size = (uint64_t)st.st_size;
    return TGM_ERROR_OK;
}

static tgm_error file_read(tgm_source *s, uint64_t off, void *dst, size_t n) {
    file_source *f = (file_source *)s;
    TGM_RETURN_IF(off > s->size || n > s->size - off, TGM_ERROR_IO,
                  "read of %zu bytes at offset %llu is past the end of %s (%llu bytes)", n,
                  (unsigned long long)off, f->path, (unsigned long long)s->size);
    uint8_t *d = dst;
    while (n > 0) {
        ssize_t r = pread(f->fd, d, n, (off_t)off);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        TGM_RETURN_IF(r < 0, TGM_ERROR_IO, "cannot read %s at offset %llu: %s", f->path,
                      (unsigned long long)off, strerror(errno));
        TGM_RETURN_IF(r == 0, TGM_ERROR_IO,
                      "%s: unexpected end of file at offset %llu (the file shrank from %llu "
                      "bytes: it changed underneath)",
                      f->path, (unsigned long long)off, (unsigned long long)s->size);
        d += r;
        off += (uint64_t)r;
        n -= (size_t)r;
    }
    return TGM_ERROR_OK;
}

/* A view of [off, off + n), inside the size last read by refresh.  The
 * caller must have refreshed the size just before (the bytes must still be
 * in the file when they are touched). */
static const uint8_t *file_view(tgm_source *s, uint64_t off, size_t n) {
    file_source *f = (file_source *)s;
    if (!f->allow_mmap || off > s->size || n > s->size - off || s->size > SIZE_MAX / 2) {
        return NULL;
    }
    if (f->map == NULL || off + n > f->map_len) {
        size_t want = (size_t)s->size;
        if (f->map_len > 0 && want < 2 * f->map_len) {
            want = 2 * f->map_len;
        }
        want = (want + MAP_GRAIN - 1) / MAP_GRAIN * MAP_GRAIN;
        void *p = mmap(NULL, want, PROT_READ, MAP_SHARED, f->fd, 0);
        if (p == MAP_FAILED) {
            return NULL; /* the caller reads with pread instead */
        }
        retire(f);
        f->map = p;
        f->map_len = want;
    }
    return f->map + off;
}

static tgm_error file_refresh(tgm_source *s) { return file_stat((file_source *)s); }

static void file_close(tgm_source *s) {
    file_source *f = (file_source *)s;
    unmap_all(f);
    if (f->fd >= 0) {
        close(f->fd);
    }
    tgm__free(f->path);
    tgm__free(f);
}

static const tgm_source_ops file_ops = {file_read, file_view, NULL, file_refresh, file_close};

tgm_error tgm__source_file(const char *path, bool allow_mmap, tgm_source **out) {
    file_source *f = tgm__calloc(1, sizeof *f);
    if (f == NULL) {
        return tgm__oom(sizeof *f, "file source");
    }
    f->fd = -1;
    f->path = tgm__strdup(path);
    if (f->path == NULL) {
        tgm__free(f);
        return tgm__oom(strlen(path), "path");
    }
    f->base.ops = &file_ops;
    f->base.name = f->path;
    f->allow_mmap = allow_mmap;
    f->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (f->fd < 0) {
        int e = errno;
        file_close(&f->base);
        return tgm__fail(TGM_ERROR_IO, "cannot open %s: %s", path, strerror(e));
    }
    tgm_error err = file_stat(f);
    if (err != TGM_ERROR_OK) {
        file_close(&f->base);
        return err;
    }
    *out = &f->base;
    return TGM_ERROR_OK;
}
