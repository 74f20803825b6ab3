/* Commits of an in-place message (tgm_encode_fill_commit) on a second
 * thread, in the order the objects are posted.
 *
 * netCDF-C reads the variables one after the other on the converting
 * thread (it is not thread-safe); committing an object of a message laid
 * out in place checks its values for NaN / Inf and hashes them, about a
 * third of the work for uncompressed files.  With a thread to spare, that
 * runs here while the next variable is read.  The bytes do not change: a
 * commit finishes its own object's frame only, and tgm_encode_fill allows
 * slot and commit of different objects on different threads at once. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netcdf_internal.h"

struct cv_nc_committer {
    tgm_encode_fill_t *fill;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    /* Under lock: */
    size_t *index;   /* the objects posted, in order */
    uint32_t *flags; /* their commit flags */
    size_t posted;   /* entries of index/flags */
    size_t cap;      /* their room */
    bool closed;     /* nothing more will be posted */
    tgm_error err;   /* the first failed commit's code; later posts are not committed */
    char text[4096]; /* and its tgm_last_error() */
};

static void *run(void *arg) {
    cv_nc_committer *c = arg;
    size_t done = 0;
    pthread_mutex_lock(&c->lock);
    for (;;) {
        while (done == c->posted && !c->closed) {
            pthread_cond_wait(&c->wake, &c->lock);
        }
        if (done == c->posted || c->err != TGM_ERROR_OK) {
            break; /* closed and drained, or failed */
        }
        size_t i = c->index[done];
        uint32_t flags = c->flags[done];
        pthread_mutex_unlock(&c->lock);
        tgm_error e = tgm_encode_fill_commit(c->fill, i, flags);
        const char *why = e != TGM_ERROR_OK ? tgm_last_error() : NULL;
        pthread_mutex_lock(&c->lock);
        if (e != TGM_ERROR_OK && c->err == TGM_ERROR_OK) {
            c->err = e;
            snprintf(c->text, sizeof c->text, "%s", why != NULL ? why : "commit failed");
        }
        done++;
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

tgm_error cv_nc_committer_start(tgm_encode_fill_t *fill, size_t n, cv_nc_committer **out) {
    *out = NULL;
    cv_nc_committer *c = calloc(1, sizeof *c);
    if (c == NULL) {
        return cv_oom("commit thread");
    }
    c->fill = fill;
    c->cap = n ? n : 1;
    c->index = malloc(c->cap * sizeof *c->index);
    c->flags = malloc(c->cap * sizeof *c->flags);
    bool locks = false;
    if (c->index != NULL && c->flags != NULL && pthread_mutex_init(&c->lock, NULL) == 0) {
        locks = pthread_cond_init(&c->wake, NULL) == 0;
        if (!locks) {
            pthread_mutex_destroy(&c->lock);
        }
    }
    if (locks && pthread_create(&c->thread, NULL, run, c) == 0) {
        *out = c;
        return TGM_ERROR_OK;
    }
    if (locks) {
        pthread_cond_destroy(&c->wake);
        pthread_mutex_destroy(&c->lock);
    }
    free(c->index);
    free(c->flags);
    free(c);
    /* No thread: the caller commits on its own. */
    return TGM_ERROR_OK;
}

tgm_error cv_nc_committer_post(cv_nc_committer *c, size_t i, uint32_t flags) {
    pthread_mutex_lock(&c->lock);
    tgm_error err = c->err;
    if (err != TGM_ERROR_OK) {
        tgm_set_last_error(err, "%s", c->text);
    } else if (c->posted < c->cap) {
        c->index[c->posted] = i;
        c->flags[c->posted] = flags;
        c->posted++;
        pthread_cond_signal(&c->wake);
    } else {
        err =
            cv_fail(TGM_ERROR_ENCODING, "internal: more commits posted than objects (%zu)", c->cap);
    }
    pthread_mutex_unlock(&c->lock);
    return err;
}

tgm_error cv_nc_committer_finish(cv_nc_committer *c, tgm_error err) {
    if (c == NULL) {
        return err;
    }
    pthread_mutex_lock(&c->lock);
    c->closed = true;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->thread, NULL);
    if (err == TGM_ERROR_OK && c->err != TGM_ERROR_OK) {
        err = tgm_set_last_error(c->err, "%s", c->text);
    }
    pthread_cond_destroy(&c->wake);
    pthread_mutex_destroy(&c->lock);
    free(c->index);
    free(c->flags);
    free(c);
    return err;
}
