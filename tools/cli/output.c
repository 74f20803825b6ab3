/* Output files that appear only complete: bytes go to a temporary file in the
 * destination directory, renamed over the destination on success and
 * removed on failure or interruption. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* ---- temporary files removed on SIGINT / SIGTERM / SIGHUP ------------------------------ */

static char **live_tmp;
static size_t live_n, live_cap;
static bool handlers_installed;

static void on_signal(int sig) {
    for (size_t i = 0; i < live_n; i++) {
        if (live_tmp[i] != NULL) {
            unlink(live_tmp[i]);
        }
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void block(sigset_t *old) {
    sigset_t all;
    sigemptyset(&all);
    sigaddset(&all, SIGINT);
    sigaddset(&all, SIGTERM);
    sigaddset(&all, SIGHUP);
    sigprocmask(SIG_BLOCK, &all, old);
}

static void track(char *path) {
    sigset_t old;
    block(&old);
    if (!handlers_installed) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGHUP, &sa, NULL);
        handlers_installed = true;
    }
    if (live_n == live_cap) {
        live_cap = live_cap ? live_cap * 2 : 8;
        live_tmp = xrealloc(live_tmp, live_cap * sizeof *live_tmp);
    }
    live_tmp[live_n++] = path;
    sigprocmask(SIG_SETMASK, &old, NULL);
}

static void untrack(const char *path) {
    sigset_t old;
    block(&old);
    for (size_t i = 0; i < live_n; i++) {
        if (live_tmp[i] == path) {
            live_tmp[i] = live_tmp[--live_n];
            break;
        }
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
}

/* ---- single outputs ------------------------------------------------------------------- */

const char *output_name(const cli_output *o) { return o->path ? o->path : "<stdout>"; }

bool output_open(cli_output *o, const char *path) {
    memset(o, 0, sizeof *o);
    if (strcmp(path, "-") == 0) {
        o->fp = tmpfile();
        if (o->fp == NULL) {
            cli_error("cannot create a temporary file for standard output: %s", strerror(errno));
            return false;
        }
        return true;
    }
    /* New files get the usual 0666 & ~umask; a replaced file keeps its mode. */
    mode_t mask = umask(0);
    umask(mask);
    mode_t mode = 0666 & ~mask;
    struct stat st;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            cli_error("cannot write '%s': it is a directory", path);
            return false;
        }
        mode = st.st_mode & 07777;
    }
    const char *slash = strrchr(path, '/');
    char *dir = slash ? xmemdup(path, (size_t)(slash - path) + 1) : xstrdup("");
    const char *base = slash ? slash + 1 : path;
    o->tmp_path = xasprintf("%s.%s.tmp-XXXXXX", dir, base);
    free(dir);
    int fd = mkstemp(o->tmp_path);
    if (fd < 0) {
        cli_error("cannot create '%s': %s", path, strerror(errno));
        free(o->tmp_path);
        o->tmp_path = NULL;
        return false;
    }
    track(o->tmp_path);
    if (fchmod(fd, mode) != 0 || (o->fp = fdopen(fd, "wb")) == NULL) {
        cli_error("cannot create '%s': %s", path, strerror(errno));
        close(fd);
        unlink(o->tmp_path);
        untrack(o->tmp_path);
        free(o->tmp_path);
        o->tmp_path = NULL;
        return false;
    }
    o->path = xstrdup(path);
    return true;
}

bool output_write(cli_output *o, const void *data, size_t len) {
    if (o->failed) {
        return false;
    }
    if (len > 0 && fwrite(data, 1, len, o->fp) != len) {
        cli_error("writing '%s': %s", output_name(o), strerror(errno));
        o->failed = true;
        return false;
    }
    return true;
}

int output_fd(cli_output *o) {
    if (o->failed) {
        return -1;
    }
    if (fflush(o->fp) != 0) {
        cli_error("writing '%s': %s", output_name(o), strerror(errno));
        o->failed = true;
        return -1;
    }
    return fileno(o->fp);
}

static void release(cli_output *o) {
    if (o->tmp_path != NULL) {
        untrack(o->tmp_path);
    }
    free(o->tmp_path);
    free(o->path);
    memset(o, 0, sizeof *o);
}

void output_abort(cli_output *o) {
    if (o->fp != NULL) {
        fclose(o->fp);
    }
    if (o->tmp_path != NULL) {
        unlink(o->tmp_path);
    }
    release(o);
}

/* fsync the directory holding `path` (after a rename into it). */
static bool sync_dir_of(const char *path) {
    const char *slash = strrchr(path, '/');
    char *dir = slash == NULL   ? xstrdup(".")
                : slash == path ? xstrdup("/")
                                : xmemdup(path, (size_t)(slash - path));
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    bool ok = true;
    if (fd < 0 || (fsync(fd) != 0 && errno != EINVAL && errno != EROFS)) {
        cli_error("'%s' was written, but its directory '%s' could not be synced: %s", path, dir,
                  strerror(errno));
        ok = false;
    }
    if (fd >= 0) {
        close(fd);
    }
    free(dir);
    return ok;
}

bool output_commit(cli_output *o) {
    if (o->failed) {
        output_abort(o);
        return false;
    }
    if (o->path == NULL) { /* standard output */
        bool ok = fflush(o->fp) == 0 && fseek(o->fp, 0, SEEK_SET) == 0;
        char buf[1 << 16];
        size_t n;
        while (ok && (n = fread(buf, 1, sizeof buf, o->fp)) > 0) {
            ok = fwrite(buf, 1, n, stdout) == n;
        }
        ok = ok && !ferror(o->fp) && fflush(stdout) == 0;
        if (!ok) {
            cli_error("writing to standard output: %s", strerror(errno));
        }
        fclose(o->fp);
        release(o);
        return ok;
    }
    /* Durable before it is visible: the bytes reach the disk before the
     * rename makes them the destination's, and the rename itself is made
     * durable by syncing the directory below.  A crash can then leave the
     * old file or the new one, never a renamed file with missing bytes. */
    int rc = fflush(o->fp);
    int e = errno;
    if (rc == 0 && fsync(fileno(o->fp)) != 0 && errno != EINVAL && errno != EROFS) {
        rc = -1;
        e = errno;
    }
    if (fclose(o->fp) != 0 && rc == 0) {
        rc = -1;
        e = errno;
    }
    o->fp = NULL;
    if (rc != 0) {
        cli_error("writing '%s': %s", o->path, strerror(e));
        output_abort(o);
        return false;
    }
    if (rename(o->tmp_path, o->path) != 0) {
        cli_error("cannot write '%s': %s", o->path, strerror(errno));
        output_abort(o);
        return false;
    }
    bool ok = sync_dir_of(o->path);
    release(o);
    return ok;
}

/* ---- sets of outputs ------------------------------------------------------------------- */

cli_output *output_set_get(cli_output_set *s, const char *path) {
    for (size_t i = 0; i < s->n; i++) {
        const char *p = s->items[i].path ? s->items[i].path : "-";
        if (strcmp(p, path) == 0) {
            return &s->items[i];
        }
    }
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 8;
        s->items = xrealloc(s->items, s->cap * sizeof *s->items);
    }
    if (!output_open(&s->items[s->n], path)) {
        return NULL;
    }
    return &s->items[s->n++];
}

bool output_set_commit(cli_output_set *s) {
    bool ok = true;
    for (size_t i = 0; i < s->n; i++) {
        if (!ok) {
            output_abort(&s->items[i]);
        } else {
            ok = output_commit(&s->items[i]);
        }
    }
    free(s->items);
    memset(s, 0, sizeof *s);
    return ok;
}

void output_set_abort(cli_output_set *s) {
    for (size_t i = 0; i < s->n; i++) {
        output_abort(&s->items[i]);
    }
    free(s->items);
    memset(s, 0, sizeof *s);
}
