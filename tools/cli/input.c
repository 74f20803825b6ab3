/* Message sources: .tgm files through the file API, remote files, or
 * streams (standard input, named pipes) read whole. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static const char *display(const cli_input *in) {
    return strcmp(in->name, "-") == 0 ? "<stdin>" : in->name;
}

/* Read a stream (standard input, a named pipe, a character device) whole
 * and scan it in memory. */
static bool read_stream(cli_input *in, FILE *fp, const char *what) {
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = xmalloc(cap);
    for (;;) {
        if (n == cap) {
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
        size_t got = fread(buf + n, 1, cap - n, fp);
        n += got;
        if (got == 0) {
            break;
        }
    }
    if (ferror(fp)) {
        cli_error("reading %s: %s", what, strerror(errno));
        free(buf);
        return false;
    }
    in->buf = buf;
    in->buf_len = n;
    in->size = n;
    tgm_error e = tgm_scan(buf, n, &in->scan);
    if (e != TGM_ERROR_OK) {
        cli_lib_error(e, "scanning %s", what);
        return false;
    }
    in->count = tgm_scan_count(in->scan);
    return true;
}

bool input_is_stream(const char *name) {
    struct stat st;
    return stat(name, &st) == 0 &&
           (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) || S_ISSOCK(st.st_mode));
}

static bool layout(cli_input *in, size_t i, uint64_t *off, uint64_t *len) {
    if (in->file == NULL) {
        tgm_scan_entry_t e = tgm_scan_entry(in->scan, i);
        *off = e.offset;
        *len = e.length;
        return true;
    }
    tgm_error e = tgm_file_message_layout(in->file, i, off, len);
    if (e != TGM_ERROR_OK) {
        cli_lib_error(e, "'%s' message %zu", display(in), i);
        return false;
    }
    return true;
}

/* Scanning skips bytes that are not part of a complete message.  The tool
 * works on the complete messages, as the reference's readers do, but says
 * what it skipped (offset and length of each region); in strict mode such
 * input is refused.  `validate` gives details. */
static bool check_coverage(cli_input *in, bool strict) {
    uint64_t pos = 0;
    for (size_t i = 0; i <= in->count; i++) {
        uint64_t off = in->size, len = 0;
        if (i < in->count && !layout(in, i, &off, &len)) {
            return false;
        }
        if (off > pos) {
            bool tail = i == in->count && in->count > 0;
            const char *what =
                tail ? "follow the last complete message" : "are not part of a complete message";
            if (strict) {
                cli_error("'%s': %llu bytes at offset %llu %s (truncated or corrupt file; "
                          "'tensogram validate' gives details)",
                          display(in), (unsigned long long)(off - pos), (unsigned long long)pos,
                          what);
                return false;
            }
            cli_warning("'%s': %llu bytes at offset %llu %s (%s; skipped; 'tensogram validate' "
                        "gives details, --strict refuses such input)",
                        display(in), (unsigned long long)(off - pos), (unsigned long long)pos, what,
                        tail ? "truncated or torn" : "torn or corrupt");
        }
        pos = off + len;
    }
    return true;
}

static bool open_remote(cli_input *in, const char *name, bool strict) {
    const char *const *keys, *const *values;
    size_t n = cli_storage_options(&keys, &values);
    tgm_error e = tgm_file_open_remote(name, keys, values, n, NULL, &in->file);
    if (e != TGM_ERROR_OK) {
        cli_lib_error(e, "cannot open '%s'", name);
        return false;
    }
    e = tgm_file_message_count(in->file, &in->count);
    if (e == TGM_ERROR_OK) {
        e = tgm_file_size(in->file, &in->size);
    }
    if (e != TGM_ERROR_OK) {
        cli_lib_error(e, "cannot read '%s'", name);
        return false;
    }
    return check_coverage(in, strict);
}

bool input_open(cli_input *in, const char *name, bool strict) {
    memset(in, 0, sizeof *in);
    in->name = name;
    if (tgm_is_remote_url(name)) {
        return open_remote(in, name, strict);
    }
    if (strcmp(name, "-") == 0) {
        if (!read_stream(in, stdin, "standard input")) {
            return false;
        }
        return check_coverage(in, strict);
    }
    struct stat st;
    if (stat(name, &st) != 0) {
        cli_error("cannot open '%s': %s", name, strerror(errno));
        return false;
    }
    if (S_ISDIR(st.st_mode)) {
        cli_error("cannot open '%s': it is a directory", name);
        return false;
    }
    if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) || S_ISSOCK(st.st_mode)) {
        /* a named pipe (`<(cmd)`, mkfifo), /dev/stdin: read it whole, as
         * standard input */
        FILE *fp = fopen(name, "rb");
        if (fp == NULL) {
            cli_error("cannot open '%s': %s", name, strerror(errno));
            return false;
        }
        char *what = xasprintf("'%s'", name);
        bool ok = read_stream(in, fp, what);
        free(what);
        fclose(fp);
        return ok && check_coverage(in, strict);
    }
    tgm_error e = tgm_file_open(name, &in->file);
    if (e != TGM_ERROR_OK) {
        cli_lib_error(e, "cannot open '%s'", name);
        return false;
    }
    e = tgm_file_message_count(in->file, &in->count);
    if (e != TGM_ERROR_OK) {
        cli_lib_error(e, "cannot read '%s'", name);
        return false;
    }
    in->size = (uint64_t)st.st_size;
    return check_coverage(in, strict);
}

void input_close(cli_input *in) {
    if (in->file != NULL) {
        tgm_file_close(in->file);
    }
    if (in->scan != NULL) {
        tgm_scan_free(in->scan);
    }
    free(in->buf);
    memset(in, 0, sizeof *in);
}

/* Large remote messages: a progress bar of the bytes received (drawn by a
 * second thread from the file's request statistics while the read runs;
 * only on a terminal, as every progress bar). */
typedef struct download {
    tgm_file_t *file;
    uint64_t base, total;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool done;
} download;

static void *draw_download(void *arg) {
    download *d = arg;
    cli_progress p;
    progress_start(&p, "download", (size_t)d->total);
    pthread_mutex_lock(&d->lock);
    while (!d->done) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&d->cond, &d->lock, &ts);
        tgm_remote_stats_t st;
        if (tgm_file_remote_stats(d->file, &st) == TGM_ERROR_OK && st.bytes >= d->base) {
            uint64_t got = st.bytes - d->base;
            progress_update(&p, (size_t)(got < d->total ? got : d->total));
        }
    }
    pthread_mutex_unlock(&d->lock);
    progress_end(&p);
    return NULL;
}

static tgm_error read_with_progress(cli_input *in, size_t i, tgm_bytes_t *out) {
    uint64_t off = 0, len = 0;
    tgm_remote_stats_t st = {0, 0, 0};
    if (!tgm_file_is_remote(in->file) || !isatty(STDERR_FILENO) ||
        tgm_file_message_layout(in->file, i, &off, &len) != TGM_ERROR_OK ||
        len < ((uint64_t)16 << 20) || tgm_file_remote_stats(in->file, &st) != TGM_ERROR_OK) {
        return tgm_file_read_message(in->file, i, out);
    }
    download d = {in->file, st.bytes, len, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
                  false};
    pthread_t t;
    bool drawing = pthread_create(&t, NULL, draw_download, &d) == 0;
    tgm_error e = tgm_file_read_message(in->file, i, out);
    if (drawing) {
        pthread_mutex_lock(&d.lock);
        d.done = true;
        pthread_cond_signal(&d.cond);
        pthread_mutex_unlock(&d.lock);
        pthread_join(t, NULL);
    }
    return e;
}

bool input_message(cli_input *in, size_t i, const uint8_t **data, size_t *len, tgm_bytes_t *owned) {
    owned->data = NULL;
    owned->len = 0;
    if (in->file == NULL) {
        tgm_scan_entry_t e = tgm_scan_entry(in->scan, i);
        *data = in->buf + e.offset;
        *len = e.length;
        return true;
    }
    tgm_error e = read_with_progress(in, i, owned);
    if (e != TGM_ERROR_OK) {
        cli_lib_error(e, "'%s' message %zu", display(in), i);
        return false;
    }
    *data = owned->data;
    *len = owned->len;
    return true;
}

bool input_metadata(cli_input *in, size_t i, tgm_metadata_t **out) {
    tgm_error e;
    if (in->file != NULL) {
        e = tgm_file_decode_metadata(in->file, i, out);
    } else {
        tgm_scan_entry_t s = tgm_scan_entry(in->scan, i);
        e = tgm_decode_metadata(in->buf + s.offset, s.length, out);
    }
    if (e != TGM_ERROR_OK) {
        cli_lib_error(e, "'%s' message %zu", display(in), i);
        return false;
    }
    return true;
}

bool input_descriptors(cli_input *in, size_t i, tgm_message_t **out) {
    tgm_error e;
    if (in->file != NULL) {
        e = tgm_file_decode_descriptors(in->file, i, out);
    } else {
        tgm_scan_entry_t s = tgm_scan_entry(in->scan, i);
        e = tgm_decode_descriptors(in->buf + s.offset, s.length, out);
    }
    if (e != TGM_ERROR_OK) {
        cli_lib_error(e, "'%s' message %zu", display(in), i);
        return false;
    }
    return true;
}
