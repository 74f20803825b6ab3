/* Streamed reads of large objects (src/remote/source.c's streamed reads,
 * src/api/file_remote.c's streamed_object) against the fault-injecting
 * server (started by tests/remote/harness.py): a large raw object lands
 * straight in the result, a large zstd object is decoded while it
 * downloads, and in both the frame's hash is computed on the way.  Each
 * result is compared with the same call on the local file; every failure
 * of the server (truncated parts, another version of the object mid-way,
 * corrupted bytes) must give an error, never wrong data. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../unit/tt.h"
#include "fault_client.h"
#include "tensogram/tensogram.h"

static const char *fault_base, *fault_root;

/* Message 0: a raw float32 object of RAW_N values (5 parts of a streamed
 * read, one more than run at once); message 1: a zstd float32 object of
 * ZSTD_N values, about half of it left after compression (two parts). */
#define RAW_N ((size_t)10 << 20)
#define ZSTD_N ((size_t)6 << 20)

static bool contains(const char *hay, const char *needle) {
    return hay != NULL && strstr(hay, needle) != NULL;
}

static float *values(size_t n, uint32_t seed, bool noisy) {
    float *v = malloc(n * sizeof *v);
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        /* noisy: random low mantissa bits (zstd keeps about half) */
        v[i] = noisy ? (float)(i % 1000) + (float)(x & 0xffff) * 1e-6f : (float)x;
    }
    return v;
}

static bool make_file(const char *name) {
    char path[1024], meta[512];
    snprintf(path, sizeof path, "%s/%s", fault_root, name);
    remove(path);
    tgm_file_t *f;
    if (tgm_file_create(path, &f) != TGM_ERROR_OK) {
        return false;
    }
    bool ok = true;
    for (int k = 0; k < 2 && ok; k++) {
        size_t n = k == 0 ? RAW_N : ZSTD_N;
        float *v = values(n, (uint32_t)k + 1, k == 1);
        snprintf(meta, sizeof meta,
                 "{\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[%zu],"
                 "\"strides\":[1],\"dtype\":\"float32\",\"encoding\":\"none\",\"filter\":\"none\","
                 "\"compression\":\"%s\"}]}",
                 n, k == 0 ? "none" : "zstd");
        const uint8_t *d[1] = {(const uint8_t *)v};
        size_t l[1] = {n * sizeof *v};
        ok = tgm_file_append(f, meta, d, l, 1, "xxh3", 0) == TGM_ERROR_OK;
        free(v);
    }
    tgm_file_close(f);
    return ok;
}

static char *url_of(const char *faults, const char *name) {
    char *u = malloc(1024);
    snprintf(u, 1024, "%s/f/%s/%s", fault_base, faults, name);
    return u;
}

static tgm_file_t *open_remote(const char *faults, const char *name, const char *retries) {
    char *u = url_of(faults, name);
    const char *k[] = {"max_retries"};
    const char *v[] = {retries};
    tgm_file_t *f = NULL;
    tgm_error e = tgm_file_open_remote(u, k, v, retries != NULL ? 1 : 0, NULL, &f);
    if (e != TGM_ERROR_OK) {
        fprintf(stderr, "open %s: %s\n", u, tgm_last_error());
    }
    free(u);
    return f;
}

static tgm_file_t *open_local(const char *name) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", fault_root, name);
    tgm_file_t *f = NULL;
    tgm_file_open(path, &f);
    return f;
}

/* The same decode_object call on both files gives the same outcome: the
 * same error code and detail, or the same bytes and hash. */
static void same_outcome(tgm_file_t *remote, tgm_file_t *local, size_t msg, int native,
                         int verify) {
    tgm_message_t *a = NULL, *b = NULL;
    tgm_error ea = tgm_file_decode_object(remote, msg, 0, native, 0, verify, &a);
    char da[1024];
    snprintf(da, sizeof da, "%s", tgm_last_error() ? tgm_last_error() : "");
    tgm_error eb = tgm_file_decode_object(local, msg, 0, native, 0, verify, &b);
    char db[1024];
    snprintf(db, sizeof db, "%s", tgm_last_error() ? tgm_last_error() : "");
    TT_CHECK_EQ_INT(ea, eb);
    if (ea != TGM_ERROR_OK || eb != TGM_ERROR_OK) {
        TT_CHECK_EQ_STR(da, db);
        TT_CHECK(a == NULL);
    } else {
        size_t la = 0, lb = 0;
        const uint8_t *pa = tgm_object_data(a, 0, &la), *pb = tgm_object_data(b, 0, &lb);
        TT_CHECK(la == lb && la > 0);
        TT_CHECK(pa != NULL && pb != NULL && memcmp(pa, pb, la) == 0);
        const char *ha = tgm_object_hash_value(a, 0), *hb = tgm_object_hash_value(b, 0);
        TT_CHECK_EQ_STR(ha ? ha : "", hb ? hb : "");
    }
    tgm_message_free(a);
    tgm_message_free(b);
}

/* Body bytes received so far for f. */
static uint64_t bytes_of(tgm_file_t *f) {
    tgm_remote_stats_t st;
    tgm_file_remote_stats(f, &st);
    return st.bytes;
}

static void t_stream_parity(void) {
    tgm_file_t *r = open_remote("-", "stream.tgm", NULL), *l = open_local("stream.tgm");
    TT_ASSERT(r != NULL && l != NULL);
    for (size_t msg = 0; msg < 2; msg++) {
        uint64_t off, len;
        TT_CHECK_ERR(tgm_file_message_layout(r, msg, &off, &len), TGM_ERROR_OK);
        for (int verify = 0; verify < 2; verify++) {
            uint64_t before = bytes_of(r);
            same_outcome(r, l, msg, 1, verify);
            /* Streamed once: not read again whole after a failed decode. */
            uint64_t got = bytes_of(r) - before;
            TT_CHECK(got < len + ((uint64_t)1 << 20));
        }
        same_outcome(r, l, msg, 0, 1);
    }
    tgm_file_close(r);
    tgm_file_close(l);
}

/* ---- the fault server's records ------------------------------------------------------- */

static bool fault_get(const char *path, char *buf, size_t cap) {
    return fault_http_get(fault_base, path, buf, cap);
}

static long stat_of(const char *key) { return fault_stat(fault_base, key); }

static long wait_stat(const char *key, long want) { return fault_wait_stat(fault_base, key, want); }

/* The large ranges the server was asked for: whether one of them is a
 * resumed request (the same end as another, a later start). */
static bool saw_resumed_range(void) {
    static char buf[1 << 17];
    if (!fault_get("/__stats", buf, sizeof buf)) {
        return false;
    }
    enum { MAX = 1000 };
    static uint64_t a[MAX], b[MAX];
    size_t n = 0;
    for (const char *p = strstr(buf, "bytes="); p != NULL && n < MAX; p = strstr(p + 1, "bytes=")) {
        unsigned long long x, y;
        if (sscanf(p, "bytes=%llu-%llu", &x, &y) == 2 && y + 1 - x >= ((uint64_t)1 << 20)) {
            a[n] = x;
            b[n] = y;
            n++;
        }
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t j = i + 1; j < n; j++) {
            if (b[i] == b[j] && a[j] > a[i]) {
                return true;
            }
        }
    }
    return false;
}

/* A part cut off mid-way is resumed after the bytes already in place
 * (which the decoder and the hash have consumed), not fetched again. */
static void t_stream_resume(void) {
    tgm_file_t *l = open_local("stream.tgm");
    TT_ASSERT(l != NULL);
    for (size_t msg = 0; msg < 2; msg++) {
        char buf[64];
        fault_get("/__reset", buf, sizeof buf);
        tgm_file_t *r = open_remote("trunclargex1", "stream.tgm", "3");
        TT_ASSERT(r != NULL);
        same_outcome(r, l, msg, 1, 1);
        tgm_remote_stats_t st;
        tgm_file_remote_stats(r, &st);
        TT_CHECK(st.retries >= 1);
        TT_CHECK(saw_resumed_range());
        tgm_file_close(r);
    }
    tgm_file_close(l);
}

/* Every large part cut off, retries exhausted: an error, no result. */
static void t_stream_truncated(void) {
    for (size_t msg = 0; msg < 2; msg++) {
        for (int verify = 0; verify < 2; verify++) {
            tgm_file_t *r = open_remote("trunclargex1000", "stream.tgm", "1");
            TT_ASSERT(r != NULL);
            tgm_message_t *m = NULL;
            TT_CHECK_ERR(tgm_file_decode_object(r, msg, 0, 1, 0, verify, &m), TGM_ERROR_REMOTE);
            /* libcurl notices the early close ("partial file") */
            TT_CHECK(contains(tgm_last_error(), "partial file"));
            TT_CHECK(contains(tgm_last_error(), "after 2 attempts"));
            TT_CHECK(m == NULL);
            tgm_file_close(r);
        }
    }
}

/* The payload's parts come from another version (another ETag): refused
 * before their bytes are used. */
static void t_stream_other_version(void) {
    for (size_t msg = 0; msg < 2; msg++) {
        tgm_file_t *r = open_remote("etaglarge", "stream.tgm", NULL);
        TT_ASSERT(r != NULL);
        tgm_message_t *m = NULL;
        TT_CHECK_ERR(tgm_file_decode_object(r, msg, 0, 1, 0, 1, &m), TGM_ERROR_REMOTE);
        TT_CHECK(contains(tgm_last_error(), "changed while being read"));
        TT_CHECK(contains(tgm_last_error(), "refusing to mix versions"));
        TT_CHECK(m == NULL);
        tgm_file_close(r);
    }
}

typedef struct decode_job {
    tgm_file_t *f;
    tgm_error err;
    char msg[1024];
    tgm_message_t *out;
} decode_job;

static void *decode_thread(void *arg) {
    decode_job *j = arg;
    j->err = tgm_file_decode_object(j->f, 0, 0, 1, 0, 1, &j->out);
    snprintf(j->msg, sizeof j->msg, "%s", tgm_last_error() ? tgm_last_error() : "");
    return NULL;
}

static bool copy_file(const char *from, const char *to, size_t extra) {
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    bool ok = a != NULL && b != NULL;
    char buf[1 << 16];
    size_t n;
    while (ok && (n = fread(buf, 1, sizeof buf, a)) > 0) {
        for (size_t i = 0; i < n; i++) {
            buf[i] = (char)~buf[i]; /* other bytes everywhere */
        }
        ok = fwrite(buf, 1, n, b) == n;
    }
    for (size_t i = 0; ok && i < extra; i++) {
        ok = fputc(0x55, b) != EOF;
    }
    if (a != NULL) {
        fclose(a);
    }
    if (b != NULL) {
        ok = fclose(b) == 0 && ok;
    }
    return ok;
}

/* The object is replaced while its payload is streaming: the parts in
 * flight (held half-sent by the server) finish with the old bytes, the
 * next part finds the new object.  The read fails; nothing of either
 * version is returned. */
static void t_stream_changed_midway(void) {
    char path[1024], hold[1100], tmp[1100];
    snprintf(path, sizeof path, "%s/midway.tgm", fault_root);
    snprintf(hold, sizeof hold, "%s.hold", path);
    snprintf(tmp, sizeof tmp, "%s.new", path);
    remove(hold);
    TT_ASSERT(make_file("midway.tgm"));
    tgm_file_t *r = open_remote("holdmid", "midway.tgm", NULL);
    TT_ASSERT(r != NULL);
    /* A first decode, unhindered, leaves the descriptor cached: the
     * second one goes straight to the payload. */
    tgm_message_t *m = NULL;
    TT_CHECK_ERR(tgm_file_decode_object(r, 0, 0, 1, 0, 1, &m), TGM_ERROR_OK);
    tgm_message_free(m);
    FILE *h = fopen(hold, "wb");
    TT_ASSERT(h != NULL);
    fclose(h);
    long held0 = stat_of("holding");
    decode_job job = {r, TGM_ERROR_OK, "", NULL};
    pthread_t th;
    TT_ASSERT(pthread_create(&th, NULL, decode_thread, &job) == 0);
    TT_CHECK(wait_stat("holding", held0 + 1) >= held0 + 1);
    TT_CHECK(copy_file(path, tmp, 4096));
    TT_CHECK(rename(tmp, path) == 0);
    remove(hold);
    pthread_join(th, NULL);
    TT_CHECK_ERR(job.err, TGM_ERROR_REMOTE);
    TT_CHECK(contains(job.msg, "changed while being read"));
    TT_CHECK(job.out == NULL);
    tgm_message_free(job.out);
    tgm_file_close(r);
}

/* A byte of the payload corrupted on the server: the hash check (and for
 * zstd the decoder) reports exactly what the local decode reports. */
static void t_stream_corrupted(void) {
    TT_ASSERT(make_file("corrupt.tgm"));
    char path[1024];
    snprintf(path, sizeof path, "%s/corrupt.tgm", fault_root);
    tgm_file_t *l = open_local("corrupt.tgm");
    TT_ASSERT(l != NULL);
    uint64_t off[2], len[2];
    for (size_t msg = 0; msg < 2; msg++) {
        TT_CHECK_ERR(tgm_file_message_layout(l, msg, &off[msg], &len[msg]), TGM_ERROR_OK);
    }
    tgm_file_close(l);
    FILE *fh = fopen(path, "r+b");
    TT_ASSERT(fh != NULL);
    for (size_t msg = 0; msg < 2; msg++) {
        /* the middle of the message: inside the object's payload */
        TT_CHECK(fseek(fh, (long)(off[msg] + len[msg] / 2), SEEK_SET) == 0);
        int c = fgetc(fh);
        TT_CHECK(fseek(fh, (long)(off[msg] + len[msg] / 2), SEEK_SET) == 0);
        fputc(c ^ 0x5a, fh);
    }
    fclose(fh);
    l = open_local("corrupt.tgm");
    tgm_file_t *r = open_remote("-", "corrupt.tgm", NULL);
    TT_ASSERT(l != NULL && r != NULL);
    for (size_t msg = 0; msg < 2; msg++) {
        same_outcome(r, l, msg, 1, 1);
        same_outcome(r, l, msg, 1, 0);
    }
    tgm_message_t *m = NULL;
    TT_CHECK_ERR(tgm_file_decode_object(r, 0, 0, 1, 0, 1, &m), TGM_ERROR_HASH_MISMATCH);
    TT_CHECK(m == NULL);
    tgm_file_close(r);
    tgm_file_close(l);
}

int main(void) {
    const char *b = getenv("TGM_TEST_FAULT_URL"), *root = getenv("TGM_TEST_FAULT_ROOT");
    if (b == NULL || root == NULL) {
        TT_SKIP("no fault server (TGM_TEST_FAULT_URL)");
        printf("%d checks, %d failures\n", tt_checks, tt_failures);
        return TT_SKIP_CODE;
    }
    fault_base = b;
    fault_root = root;
    if (!make_file("stream.tgm")) {
        fprintf(stderr, "cannot write the test file: %s\n", tgm_last_error());
        return 1;
    }
    TT_RUN(t_stream_parity);
    TT_RUN(t_stream_resume);
    TT_RUN(t_stream_truncated);
    TT_RUN(t_stream_other_version);
    TT_RUN(t_stream_changed_midway);
    TT_RUN(t_stream_corrupted);
    printf("%d checks, %d failures\n", tt_checks, tt_failures);
    return tt_failures ? 1 : 0;
}
