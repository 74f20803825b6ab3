/* Commits of an in-place message (tgm_encode_fill_commit, or
 * tgm_encode_fill_commit_range for a part of an object) on a second
 * thread, in the order they are posted.
 *
 * netCDF-C reads the variables one after the other on the converting
 * thread (it is not thread-safe); committing an object of a message laid
 * out in place checks its values for NaN / Inf and hashes them, about a
 * third of the work for uncompressed files.  With a thread to spare, that
 * runs here while the next variable, or the next range of a large one, is
 * read.  The bytes do not change: a commit finishes its own object's frame
 * only, tgm_encode_fill allows slot and commit of different objects on
 * different threads at once, and the ranges of one object are committed
 * here one after the other, in the order they were read. */
#include <pthread.h>
#include <stdint.h>
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
    cv_nc_post *jobs; /* the commits posted, in order */
    size_t posted;    /* entries of jobs */
    size_t done;      /* of them, run */
    size_t cap;       /* their room */
    bool closed;      /* nothing more will be posted */
    tgm_error err;    /* the first failed commit's code; later posts are not committed */
    char text[4096];  /* and its tgm_last_error() */
};

static void *run(void *arg) {
    cv_nc_committer *c = arg;
    pthread_mutex_lock(&c->lock);
    for (;;) {
        while (c->done == c->posted && !c->closed) {
            pthread_cond_wait(&c->wake, &c->lock);
        }
        if (c->done == c->posted || c->err != TGM_ERROR_OK) {
            break; /* closed and drained, or failed */
        }
        cv_nc_post j = c->jobs[c->done];
        pthread_mutex_unlock(&c->lock);
        if (j.make != NULL) {
            j.flags = j.make(j.arg);
        }
        tgm_error e = j.ranged
                          ? tgm_encode_fill_commit_range(c->fill, j.index, j.offset, j.len, j.flags)
                          : tgm_encode_fill_commit(c->fill, j.index, j.flags);
        const char *why = e != TGM_ERROR_OK ? tgm_last_error() : NULL;
        pthread_mutex_lock(&c->lock);
        if (e != TGM_ERROR_OK && c->err == TGM_ERROR_OK) {
            c->err = e;
            snprintf(c->text, sizeof c->text, "%s", why != NULL ? why : "commit failed");
        }
        c->done++;
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
    c->jobs = malloc(c->cap * sizeof *c->jobs);
    bool locks = false;
    if (c->jobs != NULL && pthread_mutex_init(&c->lock, NULL) == 0) {
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
    free(c->jobs);
    free(c);
    /* No thread: the caller commits on its own. */
    return TGM_ERROR_OK;
}

tgm_error cv_nc_committer_post(cv_nc_committer *c, const cv_nc_post *job) {
    pthread_mutex_lock(&c->lock);
    tgm_error err = c->err;
    if (err != TGM_ERROR_OK) {
        tgm_set_last_error(err, "%s", c->text);
        if (job->make != NULL) {
            job->drop(job->arg);
        }
    } else {
        if (c->posted == c->cap) {
            /* Ranges: more posts than objects.  The thread reads entries
             * only under the lock, so they may move. */
            cv_nc_post *more = c->cap < SIZE_MAX / 2 / sizeof *more
                                   ? realloc(c->jobs, 2 * c->cap * sizeof *more)
                                   : NULL;
            if (more == NULL) {
                err = cv_oom("commit queue");
            } else {
                c->jobs = more;
                c->cap *= 2;
            }
        }
        if (err == TGM_ERROR_OK) {
            c->jobs[c->posted++] = *job;
            pthread_cond_signal(&c->wake);
        } else if (job->make != NULL) {
            job->drop(job->arg);
        }
    }
    pthread_mutex_unlock(&c->lock);
    return err;
}

bool cv_nc_committer_idle(cv_nc_committer *c) {
    pthread_mutex_lock(&c->lock);
    bool idle = c->done == c->posted;
    pthread_mutex_unlock(&c->lock);
    return idle;
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
    for (size_t k = c->done; k < c->posted; k++) {
        if (c->jobs[k].make != NULL) {
            c->jobs[k].drop(c->jobs[k].arg); /* not run: after a failure */
        }
    }
    if (err == TGM_ERROR_OK && c->err != TGM_ERROR_OK) {
        err = tgm_set_last_error(c->err, "%s", c->text);
    }
    pthread_cond_destroy(&c->wake);
    pthread_mutex_destroy(&c->lock);
    free(c->jobs);
    free(c);
    return err;
}
