/* Provenance written by every encode: a version-4 UUID (RFC 4122 layout,
 * version nibble 4, variant bits 10) unique per message -- across many
 * messages, across threads, and between a parent and a forked child (the
 * random bytes are pooled per thread, so the pool must not be shared
 * across fork) -- and a UTC time stamp "YYYY-MM-DDTHH:MM:SSZ". */
#include "tt.h"

#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tensogram/tensogram.h"

#define PER_THREAD 300
#define THREADS 4

static const char *meta = "{\"descriptors\":[]}";

static int uuid_of_new_message(char out[37]) {
    tgm_bytes_t m;
    if (tgm_encode(meta, NULL, NULL, 0, NULL, 1, &m) != TGM_ERROR_OK) {
        return -1;
    }
    tgm_metadata_t *md;
    int rc = -1;
    if (tgm_decode_metadata(m.data, m.len, &md) == TGM_ERROR_OK) {
        size_t n = 0;
        const char *s =
            tgm_value_as_string(tgm_value_map_get(tgm_metadata_reserved(md), "uuid"), &n);
        if (s != NULL && n == 36) {
            memcpy(out, s, 36);
            out[36] = '\0';
            rc = 0;
        }
        tgm_metadata_free(md);
    }
    tgm_bytes_free(m);
    return rc;
}

static int well_formed(const char *u) {
    for (int i = 0; i < 36; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? u[i] != '-' : !((u[i] >= '0' && u[i] <= '9') || (u[i] >= 'a' && u[i] <= 'f'))) {
            return 0;
        }
    }
    return u[14] == '4' && (u[19] == '8' || u[19] == '9' || u[19] == 'a' || u[19] == 'b');
}

static char uuids[THREADS * PER_THREAD][37];

static void *worker(void *arg) {
    size_t t = (size_t)arg;
    for (size_t i = 0; i < PER_THREAD; i++) {
        if (uuid_of_new_message(uuids[t * PER_THREAD + i]) != 0) {
            uuids[t * PER_THREAD + i][0] = '\0';
        }
    }
    return NULL;
}

static int cmp(const void *a, const void *b) { return strcmp(a, b); }

static void test_unique_across_threads(void) {
    pthread_t th[THREADS];
    for (size_t t = 0; t < THREADS; t++) {
        TT_ASSERT(pthread_create(&th[t], NULL, worker, (void *)t) == 0);
    }
    for (size_t t = 0; t < THREADS; t++) {
        pthread_join(th[t], NULL);
    }
    size_t bad = 0;
    for (size_t i = 0; i < THREADS * PER_THREAD; i++) {
        bad += !well_formed(uuids[i]);
    }
    TT_CHECK_EQ_INT(bad, 0);
    qsort(uuids, THREADS * PER_THREAD, sizeof uuids[0], cmp);
    size_t dups = 0;
    for (size_t i = 1; i < THREADS * PER_THREAD; i++) {
        dups += strcmp(uuids[i - 1], uuids[i]) == 0;
    }
    TT_CHECK_EQ_INT(dups, 0);
}

/* Parent and child draw their next UUID after the fork: they must differ
 * (with a shared pool they would be identical). */
static void test_fork(void) {
    char first[37];
    TT_ASSERT(uuid_of_new_message(first) == 0); /* fills this thread's pool */
    int fds[2];
    TT_ASSERT(pipe(fds) == 0);
    pid_t pid = fork();
    TT_ASSERT(pid >= 0);
    if (pid == 0) {
        char u[37] = {0};
        int ok = uuid_of_new_message(u) == 0;
        ssize_t w = write(fds[1], u, ok ? 36 : 0);
        _exit(w == 36 ? 0 : 1);
    }
    close(fds[1]);
    char parent[37], child[37] = {0};
    TT_ASSERT(uuid_of_new_message(parent) == 0);
    TT_CHECK(read(fds[0], child, 36) == 36);
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    TT_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    TT_CHECK(well_formed(child));
    TT_CHECK(strcmp(parent, child) != 0);
    TT_CHECK(strcmp(parent, first) != 0);
}

static void test_time(void) {
    tgm_bytes_t m;
    TT_ASSERT(tgm_encode(meta, NULL, NULL, 0, NULL, 1, &m) == TGM_ERROR_OK);
    tgm_metadata_t *md;
    TT_ASSERT(tgm_decode_metadata(m.data, m.len, &md) == TGM_ERROR_OK);
    size_t n = 0;
    const char *s = tgm_value_as_string(tgm_value_map_get(tgm_metadata_reserved(md), "time"), &n);
    TT_CHECK(s != NULL && n == 20);
    if (s != NULL && n == 20) {
        const char *shape = "dddd-dd-ddTdd:dd:ddZ";
        for (int i = 0; i < 20; i++) {
            TT_CHECK(shape[i] == 'd' ? (s[i] >= '0' && s[i] <= '9') : s[i] == shape[i]);
        }
    }
    tgm_metadata_free(md);
    tgm_bytes_free(m);
}

int main(void) {
    TT_RUN(test_unique_across_threads);
    TT_RUN(test_fork);
    TT_RUN(test_time);
    return tt_finish("test_provenance");
}
