/* Remote access against real servers (started by tests/remote/harness.py):
 * the byte source and the network engine against the fault-injecting
 * server, the file API against nginx (HTTP/1.1, HTTPS + HTTP/2) and against
 * s3rver behind a botocore signature gate.  Every group is skipped when its
 * server's address is not in the environment. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../unit/tt.h"
#include "remote/engine.h"
#include "remote/remote.h"
#include "tensogram/tensogram.h"
#include "tensogram/tensogram_stream.h"

static const char *env(const char *name) {
    const char *v = getenv(name);
    return v != NULL && v[0] != '\0' ? v : NULL;
}

static uint8_t *pattern(size_t n, uint32_t seed) {
    uint8_t *p = malloc(n ? n : 1);
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (uint8_t)x;
    }
    return p;
}

static bool write_file(const char *dir, const char *name, const uint8_t *data, size_t n) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        return false;
    }
    bool ok = fwrite(data, 1, n, f) == n;
    return fclose(f) == 0 && ok;
}

static bool contains(const char *hay, const char *needle) {
    return hay != NULL && strstr(hay, needle) != NULL;
}

static const char *tt_msg_or_empty(const char *m) { return m != NULL ? m : ""; }

#define TT_CHECK_MSG(cond, msg)                                                                    \
    do {                                                                                           \
        tt_checks++;                                                                               \
        if (!(cond)) {                                                                             \
            tt_failures++;                                                                         \
            fprintf(stderr, "%s:%d: [%s] check failed: %s (%s)\n", __FILE__, __LINE__, tt_current, \
                    #cond, tt_msg_or_empty(msg));                                                  \
        }                                                                                          \
    } while (0)

/* ---- the byte source against the fault server --------------------------------------- */

static const char *fault_base;
static const char *fault_root;

static char *fault_url(const char *faults, const char *name) {
    static char buf[8][512];
    static int k;
    char *u = buf[k++ % 8];
    snprintf(u, 512, "%s/f/%s/%s", fault_base, faults, name);
    return u;
}

static tgm_error open_src(const char *url, const char *const *keys, const char *const *vals,
                          size_t n, tgm_source **out) {
    return tgm__remote_open(url, keys, vals, n, out);
}

static const size_t BIG = 300 * 1024;

static void t_basic_reads(void) {
    uint8_t *data = pattern(BIG, 1);
    TT_ASSERT(write_file(fault_root, "basic.bin", data, BIG));
    tgm_source *s = NULL;
    TT_CHECK_ERR(open_src(fault_url("-", "basic.bin"), NULL, NULL, 0, &s), TGM_ERROR_OK);
    TT_ASSERT(s != NULL);
    TT_CHECK_EQ_INT(s->size, BIG);
    TT_CHECK(s->remote);
    tgm_remote_stats st;
    tgm__remote_stats(s, &st);
    TT_CHECK_EQ_INT(st.requests, 1); /* the opening read gives the size */
    /* In the first 64 KiB: served by the block cache. */
    uint8_t a[100];
    TT_CHECK_ERR(tgm__source_read(s, 1000, a, sizeof a), TGM_ERROR_OK);
    TT_CHECK(memcmp(a, data + 1000, sizeof a) == 0);
    tgm__remote_stats(s, &st);
    TT_CHECK_EQ_INT(st.requests, 1);
    /* Two neighbouring ranges and one far away: two requests, one round. */
    uint8_t b1[500], b2[700], b3[300];
    tgm_source_range r[3] = {
        {200000, sizeof b1, b1}, {100000, sizeof b2, b2}, {100800, sizeof b3, b3}};
    TT_CHECK_ERR(tgm__source_read_many(s, r, 3, true), TGM_ERROR_OK);
    TT_CHECK(memcmp(b1, data + 200000, sizeof b1) == 0);
    TT_CHECK(memcmp(b2, data + 100000, sizeof b2) == 0);
    TT_CHECK(memcmp(b3, data + 100800, sizeof b3) == 0);
    tgm__remote_stats(s, &st);
    TT_CHECK_EQ_INT(st.requests, 3);
    /* Kept: read again from the cache. */
    TT_CHECK_ERR(tgm__source_read(s, 100100, b2, 600), TGM_ERROR_OK);
    TT_CHECK(memcmp(b2, data + 100100, 600) == 0);
    tgm__remote_stats(s, &st);
    TT_CHECK_EQ_INT(st.requests, 3);
    /* Past the end: an error, no request. */
    TT_CHECK_ERR(tgm__source_read(s, BIG - 10, b1, 20), TGM_ERROR_IO);
    tgm__source_close(s);
    free(data);
}

static void t_small_object(void) {
    /* Smaller than the opening read: one request holds everything, and a
     * server answering 200 with the whole (small) object is fine. */
    uint8_t *data = pattern(5000, 2);
    TT_ASSERT(write_file(fault_root, "small.bin", data, 5000));
    const char *faults[] = {"-", "ignore"};
    for (size_t i = 0; i < 2; i++) {
        tgm_source *s = NULL;
        TT_CHECK_ERR(open_src(fault_url(faults[i], "small.bin"), NULL, NULL, 0, &s), TGM_ERROR_OK);
        if (s == NULL) {
            continue;
        }
        TT_CHECK_EQ_INT(s->size, 5000);
        uint8_t buf[5000];
        TT_CHECK_ERR(tgm__source_read(s, 0, buf, 5000), TGM_ERROR_OK);
        TT_CHECK(memcmp(buf, data, 5000) == 0);
        tgm_remote_stats st;
        tgm__remote_stats(s, &st);
        TT_CHECK_EQ_INT(st.requests, 1);
        tgm__source_close(s);
    }
    /* An empty object. */
    TT_ASSERT(write_file(fault_root, "empty.bin", data, 0));
    tgm_source *s = NULL;
    TT_CHECK_ERR(open_src(fault_url("-", "empty.bin"), NULL, NULL, 0, &s), TGM_ERROR_OK);
    if (s != NULL) {
        TT_CHECK_EQ_INT(s->size, 0);
        tgm__source_close(s);
    }
    free(data);
}

static void t_recoverable_faults(void) {
    uint8_t *data = pattern(BIG, 3);
    TT_ASSERT(write_file(fault_root, "retry.bin", data, BIG));
    static const char *const faults[] = {"503x2", "429x2", "500x1", "dropx3", "truncx2"};
    static const char *const keys[] = {"max_retries", "retry_timeout"};
    static const char *const vals[] = {"5", "20s"};
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++) {
        /* Each fault hits the opening read first.  (libcurl itself retries
         * once a request whose reused connection was closed, so three
         * drops are needed to reach the engine's retry.) */
        tgm_source *s = NULL;
        tgm_error e = open_src(fault_url(faults[i], "retry.bin"), keys, vals, 2, &s);
        TT_CHECK_MSG(e == TGM_ERROR_OK, faults[i]);
        if (s == NULL) {
            continue;
        }
        uint8_t buf[4096];
        TT_CHECK_ERR(tgm__source_read(s, 150000, buf, sizeof buf), TGM_ERROR_OK);
        TT_CHECK_MSG(memcmp(buf, data + 150000, sizeof buf) == 0, faults[i]);
        tgm_remote_stats st;
        tgm__remote_stats(s, &st);
        TT_CHECK_MSG(st.retries >= 1, faults[i]);
        tgm__source_close(s);
    }
    free(data);
}

static void t_fatal_faults(void) {
    uint8_t *data = pattern(BIG, 4);
    TT_ASSERT(write_file(fault_root, "fatal.bin", data, BIG));
    static const struct {
        const char *fault, *phrase;
    } cases[] = {
        {"ignore", "ignored the Range"}, {"wrongcr", "wrong Content-Range"},
        {"shortcr", "instead of"},       {"more", "more bytes"},
        {"gzip", "Content-Encoding"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tgm_source *s = NULL;
        uint64_t t0 = tgm__net_now_ms();
        tgm_error e = open_src(fault_url(cases[i].fault, "fatal.bin"), NULL, NULL, 0, &s);
        TT_CHECK_MSG(e == TGM_ERROR_REMOTE, cases[i].fault);
        TT_CHECK_MSG(contains(tgm_last_error(), cases[i].phrase), tgm_last_error());
        TT_CHECK_MSG(tgm__net_now_ms() - t0 < 5000, cases[i].fault); /* not retried */
        if (s != NULL) {
            tgm__source_close(s);
        }
    }
    free(data);
}

static void t_changed_object(void) {
    uint8_t *data = pattern(BIG, 5);
    TT_ASSERT(write_file(fault_root, "etag.bin", data, BIG));
    tgm_source *s = NULL;
    TT_CHECK_ERR(open_src(fault_url("etagafter1", "etag.bin"), NULL, NULL, 0, &s), TGM_ERROR_OK);
    TT_ASSERT(s != NULL);
    uint8_t buf[1000];
    TT_CHECK_ERR(tgm__source_read(s, 200000, buf, sizeof buf), TGM_ERROR_REMOTE);
    TT_CHECK_MSG(contains(tgm_last_error(), "changed while being read"), tgm_last_error());
    tgm__source_close(s);
    free(data);
}

static void t_bounded_failures(void) {
    uint8_t *data = pattern(BIG, 6);
    TT_ASSERT(write_file(fault_root, "bounded.bin", data, BIG));
    /* Retries run out: the last answer and the attempt count. */
    {
        static const char *const k[] = {"max_retries"};
        static const char *const v[] = {"2"};
        tgm_source *s = NULL;
        uint64_t t0 = tgm__net_now_ms();
        TT_CHECK_ERR(open_src(fault_url("503x100", "bounded.bin"), k, v, 1, &s), TGM_ERROR_REMOTE);
        TT_CHECK_MSG(contains(tgm_last_error(), "HTTP 503"), tgm_last_error());
        TT_CHECK_MSG(contains(tgm_last_error(), "after 3 attempts"), tgm_last_error());
        TT_CHECK(tgm__net_now_ms() - t0 < 5000);
    }
    /* A body that stops half way: the low-speed timeout ends it. */
    {
        static const char *const k[] = {"low_speed_timeout", "max_retries"};
        static const char *const v[] = {"1s", "0"};
        tgm_source *s = NULL;
        uint64_t t0 = tgm__net_now_ms();
        TT_CHECK_ERR(open_src(fault_url("stallmid", "bounded.bin"), k, v, 2, &s), TGM_ERROR_REMOTE);
        TT_CHECK_MSG(contains(tgm_last_error(), "imeout") || contains(tgm_last_error(), "slow"),
                     tgm_last_error());
        TT_CHECK(tgm__net_now_ms() - t0 < 8000);
    }
    /* A server that answers too late: the request timeout, then one retry. */
    {
        static const char *const k[] = {"timeout", "max_retries"};
        static const char *const v[] = {"500ms", "1"};
        tgm_source *s = NULL;
        uint64_t t0 = tgm__net_now_ms();
        TT_CHECK_ERR(open_src(fault_url("stall3000", "bounded.bin"), k, v, 2, &s),
                     TGM_ERROR_REMOTE);
        TT_CHECK_MSG(contains(tgm_last_error(), "imeout") || contains(tgm_last_error(), "imed out"),
                     tgm_last_error());
        TT_CHECK(tgm__net_now_ms() - t0 < 4000);
    }
    /* Not found: not retried, the URL in the message. */
    {
        tgm_source *s = NULL;
        TT_CHECK_ERR(open_src(fault_url("-", "no-such-file.tgm"), NULL, NULL, 0, &s),
                     TGM_ERROR_REMOTE);
        TT_CHECK_MSG(contains(tgm_last_error(), "HTTP 404"), tgm_last_error());
        TT_CHECK_MSG(contains(tgm_last_error(), "no-such-file.tgm"), tgm_last_error());
        TT_CHECK_MSG(!contains(tgm_last_error(), "attempts"), tgm_last_error());
    }
    /* Nobody listening: connection refused (retried, then an error). */
    {
        static const char *const k[] = {"max_retries", "connect_timeout"};
        static const char *const v[] = {"1", "1s"};
        tgm_source *s = NULL;
        TT_CHECK_ERR(open_src("http://127.0.0.1:9/nothing.tgm", k, v, 2, &s), TGM_ERROR_REMOTE);
        TT_CHECK_MSG(contains(tgm_last_error(), "127.0.0.1:9"), tgm_last_error());
    }
    free(data);
}

typedef struct async_probe {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool done;
    tgm_error err;
    char msg[640];
} async_probe;

static void on_async(void *user, tgm_error err, const char *msg) {
    async_probe *p = user;
    pthread_mutex_lock(&p->lock);
    p->done = true;
    p->err = err;
    snprintf(p->msg, sizeof p->msg, "%s", msg);
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
}

static void wait_probe(async_probe *p) {
    pthread_mutex_lock(&p->lock);
    while (!p->done) {
        pthread_cond_wait(&p->cond, &p->lock);
    }
    pthread_mutex_unlock(&p->lock);
}

static void t_async_and_cancel(void) {
    uint8_t *data = pattern(BIG, 7);
    TT_ASSERT(write_file(fault_root, "async.bin", data, BIG));
    tgm_source *s = NULL;
    TT_CHECK_ERR(open_src(fault_url("-", "async.bin"), NULL, NULL, 0, &s), TGM_ERROR_OK);
    TT_ASSERT(s != NULL);
    uint8_t b1[3000], b2[3000];
    tgm_source_range r[2] = {{100000, sizeof b1, b1}, {250000, sizeof b2, b2}};
    async_probe p = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, 0, ""};
    TT_CHECK_ERR(tgm__remote_read_async(s, r, 2, false, on_async, &p, NULL), TGM_ERROR_OK);
    wait_probe(&p);
    TT_CHECK_ERR(p.err, TGM_ERROR_OK);
    TT_CHECK(memcmp(b1, data + 100000, sizeof b1) == 0 &&
             memcmp(b2, data + 250000, sizeof b2) == 0);
    tgm__source_close(s);

    /* A stalled transfer stops when cancelled. */
    TT_CHECK_ERR(open_src(fault_url("stall2000", "async.bin"), NULL, NULL, 0, &s), TGM_ERROR_OK);
    TT_ASSERT(s != NULL);
    async_probe q = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, 0, ""};
    tgm_remote_read *op = NULL;
    uint64_t t0 = tgm__net_now_ms();
    TT_CHECK_ERR(tgm__remote_read_async(s, r, 2, false, on_async, &q, &op), TGM_ERROR_OK);
    tgm__remote_read_cancel(op);
    wait_probe(&q);
    TT_CHECK_ERR(q.err, TGM_ERROR_CANCELLED);
    TT_CHECK(tgm__net_now_ms() - t0 < 1500);
    tgm__source_close(s);
    free(data);
}

static void t_large_parallel(void) {
    size_t n = (size_t)40 << 20;
    uint8_t *data = pattern(n, 8);
    TT_ASSERT(write_file(fault_root, "large.bin", data, n));
    tgm_source *s = NULL;
    TT_CHECK_ERR(open_src(fault_url("-", "large.bin"), NULL, NULL, 0, &s), TGM_ERROR_OK);
    TT_ASSERT(s != NULL);
    uint8_t *buf = malloc(n);
    TT_CHECK_ERR(tgm__source_read(s, 0, buf, n), TGM_ERROR_OK);
    TT_CHECK(memcmp(buf, data, n) == 0);
    tgm_remote_stats st;
    tgm__remote_stats(s, &st);
    TT_CHECK(st.requests > 2); /* split into parallel parts */
    tgm__source_close(s);
    free(buf);
    free(data);
}

static void t_options(void) {
    tgm_source *s = NULL;
    TT_CHECK_ERR(open_src("http://[invalid]/file.tgm", NULL, NULL, 0, &s), TGM_ERROR_REMOTE);
    TT_CHECK_MSG(contains(tgm_last_error(), "invalid"), tgm_last_error());
    static const char *const k1[] = {"nonsense"};
    static const char *const v1[] = {"1"};
    TT_CHECK_ERR(open_src(fault_url("-", "basic.bin"), k1, v1, 1, &s), TGM_ERROR_INVALID_ARG);
    TT_CHECK_MSG(contains(tgm_last_error(), "unknown storage option 'nonsense'"), tgm_last_error());
    static const char *const k2[] = {"region"};
    TT_CHECK_ERR(open_src(fault_url("-", "basic.bin"), k2, v1, 1, &s), TGM_ERROR_INVALID_ARG);
    TT_CHECK_MSG(contains(tgm_last_error(), "does not apply"), tgm_last_error());
    static const char *const k3[] = {"timeout"};
    static const char *const v3[] = {"10 parsecs"};
    TT_CHECK_ERR(open_src(fault_url("-", "basic.bin"), k3, v3, 1, &s), TGM_ERROR_INVALID_ARG);
    TT_CHECK_MSG(contains(tgm_last_error(), "timeout"), tgm_last_error());
    static const char *const k4[] = {"allow_http", "TIMEOUT", "user_agent"};
    static const char *const v4[] = {"true", "1m 30s", "tgm-test"};
    TT_CHECK_ERR(open_src(fault_url("-", "basic.bin"), k4, v4, 3, &s), TGM_ERROR_OK);
    if (s != NULL) {
        tgm__source_close(s);
    }
}

/* ---- S3 through the signature gate ------------------------------------------------- */

static const char *s3_endpoint, *s3_token_endpoint, *s3_key, *s3_secret, *s3_region, *s3_token;

static tgm_error open_s3(const char *url, const char *endpoint, const char *key, const char *secret,
                         const char *token, tgm_source **out) {
    const char *k[6], *v[6];
    size_t n = 0;
    k[n] = "endpoint", v[n++] = endpoint;
    k[n] = "allow_http", v[n++] = "true";
    k[n] = "region", v[n++] = s3_region;
    if (key != NULL) {
        k[n] = "aws_access_key_id", v[n++] = key;
        k[n] = "aws_secret_access_key", v[n++] = secret;
    }
    if (token != NULL) {
        k[n] = "aws_session_token", v[n++] = token;
    }
    return tgm__remote_open(url, k, v, n, out);
}

static void t_s3_signing(void) {
    const char *url = "s3://tgm/remote-parity/two-msg.tgm";
    tgm_source *s = NULL;
    /* Right credentials: the gate recomputes the signature with botocore. */
    TT_CHECK_ERR(open_s3(url, s3_endpoint, s3_key, s3_secret, NULL, &s), TGM_ERROR_OK);
    if (s != NULL) {
        TT_CHECK_EQ_INT(s->size, 1184);
        uint8_t magic[8];
        TT_CHECK_ERR(tgm__source_read(s, 0, magic, 8), TGM_ERROR_OK);
        TT_CHECK(memcmp(magic, "TENSOGRM", 8) == 0);
        tgm__source_close(s);
        s = NULL;
    }
    /* A wrong secret: a clear authentication error. */
    TT_CHECK_ERR(open_s3(url, s3_endpoint, s3_key, "not-the-secret", NULL, &s), TGM_ERROR_REMOTE);
    TT_CHECK_MSG(contains(tgm_last_error(), "HTTP 403"), tgm_last_error());
    TT_CHECK_MSG(contains(tgm_last_error(), "SignatureDoesNotMatch"), tgm_last_error());
    TT_CHECK_MSG(contains(tgm_last_error(), "authentication failed"), tgm_last_error());
    TT_CHECK_MSG(!contains(tgm_last_error(), "not-the-secret"), tgm_last_error());
    /* An unknown key id. */
    TT_CHECK_ERR(open_s3(url, s3_endpoint, "AKIDWRONG", s3_secret, NULL, &s), TGM_ERROR_REMOTE);
    TT_CHECK_MSG(contains(tgm_last_error(), "InvalidAccessKeyId"), tgm_last_error());
    /* Anonymous: the public bucket only. */
    TT_CHECK_ERR(
        open_s3("s3://public/remote-parity/two-msg.tgm", s3_endpoint, NULL, NULL, NULL, &s),
        TGM_ERROR_OK);
    if (s != NULL) {
        tgm__source_close(s);
        s = NULL;
    }
    TT_CHECK_ERR(open_s3(url, s3_endpoint, NULL, NULL, NULL, &s), TGM_ERROR_REMOTE);
    TT_CHECK_MSG(contains(tgm_last_error(), "AccessDenied"), tgm_last_error());
    TT_CHECK_MSG(contains(tgm_last_error(), "anonymous"), tgm_last_error());
    /* Session tokens: signed and sent as x-amz-security-token. */
    TT_CHECK_ERR(open_s3(url, s3_token_endpoint, s3_key, s3_secret, s3_token, &s), TGM_ERROR_OK);
    if (s != NULL) {
        tgm__source_close(s);
        s = NULL;
    }
    TT_CHECK_ERR(open_s3(url, s3_token_endpoint, s3_key, s3_secret, NULL, &s), TGM_ERROR_REMOTE);
    TT_CHECK_MSG(contains(tgm_last_error(), "InvalidToken"), tgm_last_error());
    /* Plain http endpoints need allow_http. */
    {
        const char *k[] = {"endpoint", "aws_access_key_id", "aws_secret_access_key"};
        const char *v[] = {s3_endpoint, s3_key, s3_secret};
        TT_CHECK_ERR(tgm__remote_open(url, k, v, 3, &s), TGM_ERROR_INVALID_ARG);
        TT_CHECK_MSG(contains(tgm_last_error(), "allow_http"), tgm_last_error());
    }
}

static void t_s3_credentials_lookup(void) {
    const char *url = "s3://tgm/remote-parity/single-msg.tgm";
    const char *k[] = {"endpoint", "allow_http", "region"};
    const char *v[] = {s3_endpoint, "true", s3_region};
    tgm_source *s = NULL;
    /* The AWS_* environment. */
    setenv("AWS_ACCESS_KEY_ID", s3_key, 1);
    setenv("AWS_SECRET_ACCESS_KEY", s3_secret, 1);
    TT_CHECK_ERR(tgm__remote_open(url, k, v, 3, &s), TGM_ERROR_OK);
    if (s != NULL) {
        tgm__source_close(s);
        s = NULL;
    }
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    /* A shared credentials file, named profile, region from the config
     * file (AWS_REGION must not be set for that). */
    char dir[] = "/tmp/tgm-aws-XXXXXX";
    TT_ASSERT(mkdtemp(dir) != NULL);
    char cred[256], conf[256];
    snprintf(cred, sizeof cred, "%s/credentials", dir);
    snprintf(conf, sizeof conf, "%s/config", dir);
    FILE *f = fopen(cred, "w");
    TT_ASSERT(f != NULL);
    fprintf(f,
            "[default]\naws_access_key_id = WRONG\naws_secret_access_key = wrong\n\n"
            "# the test profile\n[tgmtest]\naws_access_key_id = %s\n"
            "aws_secret_access_key = %s\n",
            s3_key, s3_secret);
    fclose(f);
    f = fopen(conf, "w");
    TT_ASSERT(f != NULL);
    fprintf(f, "[profile tgmtest]\nregion = %s\n", s3_region);
    fclose(f);
    setenv("AWS_SHARED_CREDENTIALS_FILE", cred, 1);
    setenv("AWS_CONFIG_FILE", conf, 1);
    setenv("AWS_PROFILE", "tgmtest", 1);
    const char *k2[] = {"endpoint", "allow_http"};
    TT_CHECK_ERR(tgm__remote_open(url, k2, v, 2, &s), TGM_ERROR_OK);
    if (s != NULL) {
        tgm__source_close(s);
        s = NULL;
    }
    /* The default profile holds wrong keys: refused by the gate. */
    unsetenv("AWS_PROFILE");
    TT_CHECK_ERR(tgm__remote_open(url, k, v, 3, &s), TGM_ERROR_REMOTE);
    TT_CHECK_MSG(contains(tgm_last_error(), "InvalidAccessKeyId"), tgm_last_error());
    TT_CHECK_MSG(contains(tgm_last_error(), "[default]"), tgm_last_error());
    /* The profile as a storage option. */
    const char *k3[] = {"endpoint", "allow_http", "region", "profile"};
    const char *v3[] = {s3_endpoint, "true", s3_region, "tgmtest"};
    TT_CHECK_ERR(tgm__remote_open(url, k3, v3, 4, &s), TGM_ERROR_OK);
    if (s != NULL) {
        tgm__source_close(s);
    }
    unsetenv("AWS_SHARED_CREDENTIALS_FILE");
    unsetenv("AWS_CONFIG_FILE");
    unlink(cred);
    unlink(conf);
    rmdir(dir);
}

/* ---- the file API against nginx ---------------------------------------------------- */

static const char *ngx_http, *ngx_https, *ngx_ca, *ngx_log, *ngx_gen, *shared;

static tgm_error open_ngx(const char *base, const char *rel, const tgm_scan_options *scan,
                          tgm_file_t **out) {
    char url[2048];
    snprintf(url, sizeof url, "%s/%s", base, rel);
    const char *k[] = {"ca_bundle"};
    const char *v[] = {ngx_ca};
    return tgm_file_open_remote(url, k, v, strncmp(base, "https", 5) == 0 ? 1 : 0, scan, out);
}

/* Requests nginx logged for `uri` since the last call (the log is read
 * until it stops growing: nginx writes a line after the response). */
static long log_pos;
static size_t log_requests(const char *uri, char proto_out[16]) {
    size_t n = 0;
    long last = -1;
    for (int settle = 0; settle < 40; settle++) {
        struct stat st;
        if (stat(ngx_log, &st) == 0 && st.st_size == last) {
            break;
        }
        last = stat(ngx_log, &st) == 0 ? (long)st.st_size : -1;
        usleep(25000);
    }
    FILE *f = fopen(ngx_log, "r");
    if (f == NULL) {
        return 0;
    }
    fseek(f, log_pos, SEEK_SET);
    char line[4096];
    while (fgets(line, sizeof line, f) != NULL) {
        char method[16], u[2048], range[128], proto[32];
        int status;
        long bytes;
        if (sscanf(line, "%15s %2047s %127s %d %ld %31s", method, u, range, &status, &bytes,
                   proto) == 6 &&
            strcmp(u, uri) == 0) {
            n++;
            if (proto_out != NULL) {
                snprintf(proto_out, 16, "%.15s", proto);
            }
        }
    }
    log_pos = ftell(f);
    fclose(f);
    return n;
}

static void log_skip(void) { log_requests("", NULL); }

static bool same_bytes(const uint8_t *a, size_t na, const uint8_t *b, size_t nb) {
    return na == nb && (na == 0 || memcmp(a, b, na) == 0);
}

static char *meta_json(tgm_metadata_t *m) {
    const char *j = tgm_metadata_to_json(m);
    return j != NULL ? strdup(j) : NULL;
}

/* How compare_file opens the remote side (nginx by default). */
static tgm_error (*open_remote_fn)(const char *base, const char *rel, const tgm_scan_options *scan,
                                   tgm_file_t **out) = open_ngx;

/* Compare everything the file API gives for `path` locally and remotely. */
static void compare_file(const char *base, const char *path, const char *rel) {
    tgm_file_t *lf = NULL, *rf = NULL;
    if (tgm_file_open(path, &lf) != TGM_ERROR_OK) {
        return;
    }
    tgm_error re = open_remote_fn(base, rel, NULL, &rf);
    TT_CHECK_MSG(re == TGM_ERROR_OK, rel);
    if (re != TGM_ERROR_OK) {
        fprintf(stderr, "  %s\n", tgm_last_error());
        tgm_file_close(lf);
        return;
    }
    TT_CHECK(tgm_file_is_remote(rf) == 1 && tgm_file_is_remote(lf) == 0);
    size_t ln = 0, rn = 0;
    tgm_error le = tgm_file_message_count(lf, &ln);
    re = tgm_file_message_count(rf, &rn);
    TT_CHECK_MSG(le == re && ln == rn, rel);
    for (size_t i = 0; le == TGM_ERROR_OK && i < ln && i < rn; i++) {
        uint64_t lo, ll, ro, rl;
        TT_CHECK(tgm_file_message_layout(lf, i, &lo, &ll) == TGM_ERROR_OK);
        TT_CHECK(tgm_file_message_layout(rf, i, &ro, &rl) == TGM_ERROR_OK);
        TT_CHECK_MSG(lo == ro && ll == rl, rel);
        /* metadata */
        tgm_metadata_t *lm = NULL, *rm = NULL;
        le = tgm_file_decode_metadata(lf, i, &lm);
        re = tgm_file_decode_metadata(rf, i, &rm);
        TT_CHECK_MSG(le == re, rel);
        if (le == TGM_ERROR_OK && re == TGM_ERROR_OK) {
            char *a = meta_json(lm), *b = meta_json(rm);
            TT_CHECK_MSG(a != NULL && b != NULL && strcmp(a, b) == 0, rel);
            free(a);
            free(b);
        }
        tgm_metadata_free(lm);
        tgm_metadata_free(rm);
        /* descriptors */
        tgm_message_t *ld = NULL, *rd = NULL;
        le = tgm_file_decode_descriptors(lf, i, &ld);
        re = tgm_file_decode_descriptors(rf, i, &rd);
        TT_CHECK_MSG(le == re, rel);
        size_t nobj = 0;
        if (le == TGM_ERROR_OK && re == TGM_ERROR_OK) {
            nobj = tgm_message_num_objects(ld);
            TT_CHECK_MSG(nobj == tgm_message_num_objects(rd), rel);
            for (size_t j = 0; j < nobj && j < tgm_message_num_objects(rd); j++) {
                const char *a = tgm_object_descriptor_json(ld, j);
                const char *b = tgm_object_descriptor_json(rd, j);
                TT_CHECK_MSG(a != NULL && b != NULL && strcmp(a, b) == 0, rel);
                const char *ha = tgm_object_hash_value(ld, j), *hb = tgm_object_hash_value(rd, j);
                TT_CHECK_MSG((ha == NULL) == (hb == NULL) && (ha == NULL || strcmp(ha, hb) == 0),
                             rel);
            }
            tgm_metadata_t *a = NULL, *b = NULL;
            if (tgm_message_metadata(ld, &a) == TGM_ERROR_OK &&
                tgm_message_metadata(rd, &b) == TGM_ERROR_OK) {
                char *ja = meta_json(a), *jb = meta_json(b);
                TT_CHECK_MSG(ja && jb && strcmp(ja, jb) == 0, rel);
                free(ja);
                free(jb);
            }
            tgm_metadata_free(a);
            tgm_metadata_free(b);
        }
        tgm_message_free(ld);
        tgm_message_free(rd);
        /* raw bytes */
        tgm_bytes_t lb = {0}, rb = {0};
        le = tgm_file_read_message(lf, i, &lb);
        re = tgm_file_read_message(rf, i, &rb);
        TT_CHECK_MSG(le == re && same_bytes(lb.data, lb.len, rb.data, rb.len), rel);
        tgm_bytes_free(lb);
        tgm_bytes_free(rb);
        /* every object, and two element ranges of it (one past the end) */
        for (size_t j = 0; j <= nobj; j++) {
            tgm_message_t *a = NULL, *b = NULL;
            le = tgm_file_decode_object(lf, i, j, 1, 0, 1, &a);
            re = tgm_file_decode_object(rf, i, j, 1, 0, 1, &b);
            TT_CHECK_MSG(le == re, rel);
            if (le == TGM_ERROR_OK && re == TGM_ERROR_OK) {
                size_t na, nb;
                const uint8_t *da = tgm_object_data(a, 0, &na), *db = tgm_object_data(b, 0, &nb);
                TT_CHECK_MSG(same_bytes(da, na, db, nb), rel);
                tgm_metadata_t *ma = NULL, *mb = NULL;
                if (tgm_message_metadata(a, &ma) == TGM_ERROR_OK &&
                    tgm_message_metadata(b, &mb) == TGM_ERROR_OK) {
                    char *ja = meta_json(ma), *jb = meta_json(mb);
                    TT_CHECK_MSG(ja && jb && strcmp(ja, jb) == 0, rel);
                    free(ja);
                    free(jb);
                }
                tgm_metadata_free(ma);
                tgm_metadata_free(mb);
                const uint64_t *shape = tgm_object_shape(a, 0);
                uint64_t nel = 1;
                for (uint64_t d = 0; shape != NULL && d < tgm_object_ndim(a, 0); d++) {
                    nel *= shape[d];
                }
                uint64_t offs[2] = {nel / 3, nel}, counts[2] = {nel - nel / 3, 1};
                tgm_bytes_t pa[2] = {{0}}, pb[2] = {{0}};
                size_t ca = 0, cb = 0;
                tgm_error e1 = tgm_file_decode_range(lf, i, j, offs, counts, 1, 1, 0, 0, pa, &ca);
                tgm_error e2 = tgm_file_decode_range(rf, i, j, offs, counts, 1, 1, 0, 0, pb, &cb);
                TT_CHECK_MSG(e1 == e2 && ca == cb, rel);
                if (e1 == TGM_ERROR_OK && e2 == TGM_ERROR_OK) {
                    TT_CHECK_MSG(same_bytes(pa[0].data, pa[0].len, pb[0].data, pb[0].len), rel);
                    tgm_bytes_free(pa[0]);
                    tgm_bytes_free(pb[0]);
                }
                e1 = tgm_file_decode_range(lf, i, j, offs + 1, counts + 1, 1, 1, 0, 0, pa, &ca);
                e2 = tgm_file_decode_range(rf, i, j, offs + 1, counts + 1, 1, 1, 0, 0, pb, &cb);
                TT_CHECK_MSG(e1 == e2, rel);
                if (e1 == TGM_ERROR_OK && e2 == TGM_ERROR_OK) {
                    tgm_bytes_free(pa[0]);
                    tgm_bytes_free(pb[0]);
                }
            }
            tgm_message_free(a);
            tgm_message_free(b);
        }
    }
    tgm_file_close(lf);
    tgm_file_close(rf);
}

static size_t walk_files(const char *dir, const char *rel, char ***out, size_t n) {
    DIR *d = opendir(dir);
    if (d == NULL) {
        return n;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }
        char path[2048], r2[2048];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        snprintf(r2, sizeof r2, "%s%s%s", rel, rel[0] ? "/" : "", e->d_name);
        struct stat st;
        if (stat(path, &st) != 0) {
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            n = walk_files(path, r2, out, n);
        } else {
            size_t l = strlen(e->d_name);
            if (l > 4 && strcmp(e->d_name + l - 4, ".tgm") == 0) {
                *out = realloc(*out, (n + 1) * sizeof **out);
                (*out)[n++] = strdup(r2);
            }
        }
    }
    closedir(d);
    return n;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void t_nginx_parity(void) {
    char **files = NULL;
    size_t n = walk_files(shared, "", &files, 0);
    qsort(files, n, sizeof *files, cmp_str);
    TT_CHECK(n > 50);
    size_t before = (size_t)tt_failures;
    for (size_t i = 0; i < n; i++) {
        char path[2048], rel[2100];
        snprintf(path, sizeof path, "%s/%s", shared, files[i]);
        snprintf(rel, sizeof rel, "ref/%s", files[i]);
        /* Every file over HTTPS + HTTP/2; the remote-parity set and every
         * fourth other file over plain HTTP/1.1 too. */
        compare_file(ngx_https, path, rel);
        if (strncmp(files[i], "remote-parity/", 14) == 0 || i % 4 == 0) {
            compare_file(ngx_http, path, rel);
        }
        if ((size_t)tt_failures > before) {
            fprintf(stderr, "  (parity failures after %s)\n", files[i]);
            before = (size_t)tt_failures;
        }
        free(files[i]);
    }
    free(files);
    printf("parity: %zu reference files compared\n", n);
    char proto[16] = "";
    log_requests("/ref/remote-parity/two-msg.tgm", proto);
    TT_CHECK_MSG(strcmp(proto, "HTTP/2.0") == 0 || strcmp(proto, "HTTP/1.1") == 0, proto);
}

/* Generated files in nginx's /gen/: N messages of one float32 object. */
static bool make_file(const char *name, size_t nmsg, size_t nelem, bool footer) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", ngx_gen, name);
    tgm_file_t *f = NULL;
    if (tgm_file_create(path, &f) != TGM_ERROR_OK) {
        return false;
    }
    float *v = malloc(nelem * sizeof *v);
    bool ok = true;
    for (size_t m = 0; ok && m < nmsg; m++) {
        for (size_t i = 0; i < nelem; i++) {
            v[i] = (float)(m * 1000.0 + (double)i * 0.5);
        }
        char meta[256], desc[256];
        snprintf(meta, sizeof meta, "{\"base\":[{\"step\":%zu,\"name\":\"field\"}]}", m);
        snprintf(desc, sizeof desc,
                 "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[%zu],\"strides\":[1],"
                 "\"dtype\":\"float32\",\"encoding\":\"none\",\"filter\":\"none\","
                 "\"compression\":\"none\"}",
                 nelem);
        if (!footer) {
            char full[600];
            snprintf(full, sizeof full,
                     "{\"base\":[{\"step\":%zu,\"name\":\"field\"}],\"descriptors\":[%s]}", m,
                     desc);
            const uint8_t *d[1] = {(const uint8_t *)v};
            size_t l[1] = {nelem * sizeof *v};
            ok = tgm_file_append(f, full, d, l, 1, "xxh3", 0) == TGM_ERROR_OK;
        } else {
            tgm_streaming_encoder_t *enc = NULL;
            tgm_streaming_options so = TGM_STREAMING_OPTIONS_INIT;
            so.hash_algo = "xxh3";
            char gm[256];
            snprintf(gm, sizeof gm, "{\"base\":[{\"step\":%zu}]}", m);
            tgm_bytes_t msg = {0};
            ok = tgm_streaming_encoder_create_memory(gm, &so, &enc) == TGM_ERROR_OK &&
                 tgm_streaming_encoder_write(enc, desc, (const uint8_t *)v, nelem * sizeof *v) ==
                     TGM_ERROR_OK &&
                 tgm_streaming_encoder_finish_backfilled(enc) == TGM_ERROR_OK &&
                 tgm_streaming_encoder_take(enc, &msg) == TGM_ERROR_OK &&
                 tgm_file_append_raw(f, msg.data, msg.len) == TGM_ERROR_OK;
            tgm_bytes_free(msg);
            tgm_streaming_encoder_free(enc);
        }
        (void)meta;
    }
    free(v);
    tgm_file_close(f);
    return ok;
}

static uint64_t stats_requests(tgm_file_t *f) {
    tgm_remote_stats_t st = {0, 0, 0};
    tgm_file_remote_stats(f, &st);
    return st.requests;
}

static void t_nginx_budget(void) {
    const size_t N = 40;
    TT_ASSERT(make_file("big.tgm", N, 50000, false));
    TT_ASSERT(make_file("footer.tgm", N, 50000, true));
    TT_ASSERT(make_file("small.tgm", 1000, 10, false));
    const char *bases[2] = {ngx_http, ngx_https};
    for (int b = 0; b < 2; b++) {
        for (int footer = 0; footer < 2; footer++) {
            const char *name = footer ? "gen/footer.tgm" : "gen/big.tgm";
            const char *uri = footer ? "/gen/footer.tgm" : "/gen/big.tgm";
            tgm_file_t *f = NULL;
            log_skip();
            TT_CHECK_ERR(open_ngx(bases[b], name, NULL, &f), TGM_ERROR_OK);
            TT_ASSERT(f != NULL);
            TT_CHECK_EQ_INT(log_requests(uri, NULL), 1); /* open: one range read */
            size_t n = 0;
            TT_CHECK_ERR(tgm_file_message_count(f, &n), TGM_ERROR_OK);
            TT_CHECK_EQ_INT(n, N);
            size_t scan = log_requests(uri, NULL);
            /* Two requests per round trip (front and back), N/2 + 1 rounds. */
            TT_CHECK_MSG(scan <= N + 1, "scan requests");
            printf("budget %s%s: message_count of %zu messages: %zu requests\n",
                   b ? "https " : "http ", name, N, scan);
            tgm_metadata_t *m = NULL;
            TT_CHECK_ERR(tgm_file_decode_metadata(f, 7, &m), TGM_ERROR_OK);
            tgm_metadata_free(m);
            size_t meta_req = log_requests(uri, NULL);
            printf("budget: metadata of message 7: %zu requests\n", meta_req);
            TT_CHECK_MSG(meta_req <= (footer ? 2u : 1u), "metadata requests");
            TT_CHECK_ERR(tgm_file_decode_metadata(f, 7, &m), TGM_ERROR_OK);
            tgm_metadata_free(m);
            TT_CHECK_EQ_INT(log_requests(uri, NULL), 0); /* cached */
            tgm_message_t *o = NULL;
            TT_CHECK_ERR(tgm_file_decode_object(f, 7, 0, 1, 0, 1, &o), TGM_ERROR_OK);
            size_t len = 0;
            const float *vals = (const float *)tgm_object_data(o, 0, &len);
            TT_CHECK(len == 50000 * 4 && vals != NULL && vals[10] == 7000.0f + 5.0f);
            tgm_message_free(o);
            TT_CHECK_EQ_INT(log_requests(uri, NULL), 1); /* the object's frame */
            TT_CHECK_EQ_INT(stats_requests(f), 1 + scan + meta_req + 1);
            tgm_file_close(f);
        }
    }
    /* Small messages: the scan reads far ahead, and then metadata and
     * objects come from the block cache. */
    tgm_file_t *f = NULL;
    log_skip();
    TT_CHECK_ERR(open_ngx(ngx_http, "gen/small.tgm", NULL, &f), TGM_ERROR_OK);
    TT_ASSERT(f != NULL);
    size_t n = 0;
    TT_CHECK_ERR(tgm_file_message_count(f, &n), TGM_ERROR_OK);
    TT_CHECK_EQ_INT(n, 1000);
    size_t scan = log_requests("/gen/small.tgm", NULL);
    printf("budget http gen/small.tgm: open + message_count of 1000 messages: %zu requests\n",
           scan);
    TT_CHECK(scan <= 8);
    tgm_message_t *o = NULL;
    TT_CHECK_ERR(tgm_file_decode_object(f, 500, 0, 1, 0, 0, &o), TGM_ERROR_OK);
    tgm_message_free(o);
    TT_CHECK_EQ_INT(log_requests("/gen/small.tgm", NULL), 0);
    tgm_file_close(f);
    /* Forward-only finds the same messages. */
    tgm_scan_options so = TGM_SCAN_OPTIONS_INIT;
    so.bidirectional = 0;
    tgm_file_t *a = NULL, *c = NULL;
    TT_CHECK_ERR(open_ngx(ngx_http, "gen/big.tgm", &so, &a), TGM_ERROR_OK);
    TT_CHECK_ERR(open_ngx(ngx_http, "gen/big.tgm", NULL, &c), TGM_ERROR_OK);
    if (a != NULL && c != NULL) {
        size_t na = 0, nc = 0;
        TT_CHECK_ERR(tgm_file_message_count(a, &na), TGM_ERROR_OK);
        TT_CHECK_ERR(tgm_file_message_count(c, &nc), TGM_ERROR_OK);
        TT_CHECK_EQ_INT(na, nc);
        for (size_t i = 0; i < na && i < nc; i++) {
            uint64_t o1, l1, o2, l2;
            tgm_file_message_layout(a, i, &o1, &l1);
            tgm_file_message_layout(c, i, &o2, &l2);
            TT_CHECK(o1 == o2 && l1 == l2);
        }
    }
    tgm_file_close(a);
    tgm_file_close(c);
}

static void t_nginx_batch(void) {
    char path[1024];
    snprintf(path, sizeof path, "%s/big.tgm", ngx_gen);
    tgm_file_t *lf = NULL, *rf = NULL;
    TT_ASSERT(tgm_file_open(path, &lf) == TGM_ERROR_OK);
    TT_CHECK_ERR(open_ngx(ngx_https, "gen/big.tgm", NULL, &rf), TGM_ERROR_OK);
    TT_ASSERT(rf != NULL);
    size_t idx[40];
    for (size_t i = 0; i < 40; i++) {
        idx[i] = (i * 7) % 40;
    }
    log_skip();
    TT_CHECK_ERR(tgm_file_prefetch_layouts(rf, idx, 40), TGM_ERROR_OK);
    size_t pre = log_requests("/gen/big.tgm", NULL);
    printf("batch: prefetch_layouts of 40 messages: %zu requests (scan included)\n", pre);
    tgm_message_t *out[40];
    TT_CHECK_ERR(tgm_file_decode_object_batch(rf, idx, 40, 0, 1, 0, 1, out), TGM_ERROR_OK);
    size_t objs = log_requests("/gen/big.tgm", NULL);
    printf("batch: decode_object_batch of 40 objects (200 KB each): %zu requests\n", objs);
    TT_CHECK(objs <= 4); /* neighbouring frames coalesced */
    for (size_t k = 0; k < 40; k++) {
        tgm_message_t *l = NULL;
        TT_CHECK_ERR(tgm_file_decode_object(lf, idx[k], 0, 1, 0, 1, &l), TGM_ERROR_OK);
        size_t na = 0, nb = 0;
        const uint8_t *a = l ? tgm_object_data(l, 0, &na) : NULL;
        const uint8_t *b = out[k] ? tgm_object_data(out[k], 0, &nb) : NULL;
        TT_CHECK(a != NULL && b != NULL && same_bytes(a, na, b, nb));
        tgm_message_free(l);
        tgm_message_free(out[k]);
    }
    uint64_t offs[2] = {3, 49990}, counts[2] = {2, 10};
    tgm_bytes_t parts[80];
    TT_CHECK_ERR(tgm_file_decode_range_batch(rf, idx, 40, 0, offs, counts, 2, 1, 0, 0, parts),
                 TGM_ERROR_OK);
    for (size_t k = 0; k < 40; k++) {
        tgm_bytes_t lp[2];
        size_t c = 0;
        TT_CHECK_ERR(tgm_file_decode_range(lf, idx[k], 0, offs, counts, 2, 1, 0, 0, lp, &c),
                     TGM_ERROR_OK);
        for (size_t r = 0; r < 2 && c == 2; r++) {
            TT_CHECK(
                same_bytes(lp[r].data, lp[r].len, parts[2 * k + r].data, parts[2 * k + r].len));
            tgm_bytes_free(lp[r]);
            tgm_bytes_free(parts[2 * k + r]);
        }
    }
    /* Errors: out-of-range message or object leave nothing behind. */
    size_t bad[2] = {1, 400};
    tgm_message_t *o2[2] = {NULL, NULL};
    TT_CHECK_ERR(tgm_file_decode_object_batch(rf, bad, 2, 0, 1, 0, 0, o2), TGM_ERROR_FRAMING);
    TT_CHECK(o2[0] == NULL && o2[1] == NULL);
    TT_CHECK_ERR(tgm_file_decode_object_batch(rf, idx, 2, 5, 1, 0, 0, o2), TGM_ERROR_OBJECT);
    TT_CHECK(o2[0] == NULL && o2[1] == NULL);
    /* Local files do batches too. */
    tgm_message_t *o3[3];
    TT_CHECK_ERR(tgm_file_decode_object_batch(lf, idx, 3, 0, 1, 0, 0, o3), TGM_ERROR_OK);
    for (size_t k = 0; k < 3; k++) {
        tgm_message_free(o3[k]);
    }
    TT_CHECK_ERR(tgm_file_append_raw(rf, (const uint8_t *)"x", 1), TGM_ERROR_REMOTE);
    tgm_file_close(lf);
    tgm_file_close(rf);

    /* A large raw object: read straight from its payload into the result
     * (descriptor from the frame's ends, then the payload in parallel
     * parts), and element ranges of it read alone. */
    TT_ASSERT(make_file("huge.tgm", 2, 3000000, false));
    snprintf(path, sizeof path, "%s/huge.tgm", ngx_gen);
    TT_ASSERT(tgm_file_open(path, &lf) == TGM_ERROR_OK);
    TT_CHECK_ERR(open_ngx(ngx_http, "gen/huge.tgm", NULL, &rf), TGM_ERROR_OK);
    TT_ASSERT(rf != NULL);
    for (size_t i = 0; i < 2; i++) {
        tgm_message_t *a = NULL, *b = NULL;
        TT_CHECK_ERR(tgm_file_decode_object(lf, i, 0, 1, 0, 0, &a), TGM_ERROR_OK);
        TT_CHECK_ERR(tgm_file_decode_object(rf, i, 0, 1, 0, 0, &b), TGM_ERROR_OK);
        size_t na = 0, nb = 0;
        const uint8_t *da = a ? tgm_object_data(a, 0, &na) : NULL;
        const uint8_t *db = b ? tgm_object_data(b, 0, &nb) : NULL;
        TT_CHECK(da != NULL && db != NULL && same_bytes(da, na, db, nb));
        TT_CHECK(b != NULL && a != NULL &&
                 strcmp(tgm_object_descriptor_json(a, 0), tgm_object_descriptor_json(b, 0)) == 0);
        TT_CHECK(b != NULL && a != NULL &&
                 strcmp(tgm_object_hash_value(a, 0), tgm_object_hash_value(b, 0)) == 0);
        tgm_message_free(a);
        tgm_message_free(b);
    }
    log_skip();
    uint64_t o1[3] = {0, 2999990, 1234567}, c1[3] = {1, 10, 100};
    tgm_bytes_t pl[3], pr[3];
    size_t cl = 0, cr = 0;
    TT_CHECK_ERR(tgm_file_decode_range(lf, 1, 0, o1, c1, 3, 1, 0, 0, pl, &cl), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_file_decode_range(rf, 1, 0, o1, c1, 3, 1, 0, 0, pr, &cr), TGM_ERROR_OK);
    TT_CHECK_EQ_INT(cl, cr);
    for (size_t r = 0; r < 3 && r < cl && r < cr; r++) {
        TT_CHECK(same_bytes(pl[r].data, pl[r].len, pr[r].data, pr[r].len));
        tgm_bytes_free(pl[r]);
        tgm_bytes_free(pr[r]);
    }
    /* Layout and descriptor cached: at most one request per element range
     * (ranges near a message's ends come from the scan's cached chunks). */
    size_t elem_req = log_requests("/gen/huge.tgm", NULL);
    TT_CHECK(elem_req >= 1 && elem_req <= 3);
    uint64_t past[1] = {2999999}, two[1] = {2};
    TT_CHECK_ERR(tgm_file_decode_range(rf, 1, 0, past, two, 1, 1, 0, 0, pr, &cr), TGM_ERROR_OBJECT);
    tgm_file_close(lf);
    tgm_file_close(rf);
}

static void t_nginx_tls(void) {
    char url[1024];
    snprintf(url, sizeof url, "%s/gen/small.tgm", ngx_https);
    tgm_file_t *f = NULL;
    unsetenv("SSL_CERT_FILE");
    unsetenv("CURL_CA_BUNDLE");
    TT_CHECK_ERR(tgm_file_open_remote(url, NULL, NULL, 0, NULL, &f), TGM_ERROR_REMOTE);
    TT_CHECK_MSG(contains(tgm_last_error(), "certificate"), tgm_last_error());
    const char *k[] = {"allow_invalid_certificates"};
    const char *v[] = {"true"};
    TT_CHECK_ERR(tgm_file_open_remote(url, k, v, 1, NULL, &f), TGM_ERROR_OK);
    tgm_file_close(f);
    f = NULL;
    setenv("SSL_CERT_FILE", ngx_ca, 1);
    TT_CHECK_ERR(tgm_file_open_remote(url, NULL, NULL, 0, NULL, &f), TGM_ERROR_OK);
    tgm_file_close(f);
    unsetenv("SSL_CERT_FILE");
    setenv("CURL_CA_BUNDLE", ngx_ca, 1);
    f = NULL;
    TT_CHECK_ERR(tgm_file_open_source(url, NULL, NULL, 0, NULL, &f), TGM_ERROR_OK);
    TT_CHECK(tgm_file_is_remote(f) == 1);
    TT_CHECK_EQ_STR(tgm_file_path(f), url);
    tgm_file_close(f);
    unsetenv("CURL_CA_BUNDLE");
    char proto[16] = "";
    log_requests("/gen/small.tgm", proto);
    TT_CHECK_EQ_STR(proto, "HTTP/2.0"); /* TLS connections negotiate HTTP/2 */
    TT_CHECK(tgm_is_remote_url("S3://bucket/key") == 1 && tgm_is_remote_url("/tmp/x.tgm") == 0 &&
             tgm_is_remote_url("file:///x") == 0 && tgm_is_remote_url("azure://c/b") == 1);
}

static tgm_error open_s3_file(const char *base, const char *rel, const tgm_scan_options *scan,
                              tgm_file_t **out) {
    char url[1024];
    snprintf(url, sizeof url, "%s/%s", base, rel);
    const char *k[] = {"endpoint", "allow_http", "region", "aws_access_key_id",
                       "aws_secret_access_key"};
    const char *v[] = {s3_endpoint, "true", s3_region, s3_key, s3_secret};
    return tgm_file_open_remote(url, k, v, 5, scan, out);
}

static void t_s3_parity(void) {
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/remote-parity", shared);
    char **files = NULL;
    size_t n = walk_files(dir, "", &files, 0);
    open_remote_fn = open_s3_file;
    for (size_t i = 0; i < n; i++) {
        char path[2048], rel[2100];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        snprintf(rel, sizeof rel, "remote-parity/%s", files[i]);
        compare_file("s3://tgm", path, rel);
        free(files[i]);
    }
    free(files);
    open_remote_fn = open_ngx;
    TT_CHECK(n >= 10);
    printf("parity: %zu remote-parity files compared through S3\n", n);
}

int main(void) {
    fault_base = env("TGM_TEST_FAULT_URL");
    fault_root = env("TGM_TEST_FAULT_ROOT");
    if (fault_base != NULL && fault_root != NULL) {
        TT_RUN(t_basic_reads);
        TT_RUN(t_small_object);
        TT_RUN(t_recoverable_faults);
        TT_RUN(t_fatal_faults);
        TT_RUN(t_changed_object);
        TT_RUN(t_bounded_failures);
        TT_RUN(t_async_and_cancel);
        TT_RUN(t_large_parallel);
        TT_RUN(t_options);
    } else {
        TT_SKIP("no fault server (TGM_TEST_FAULT_URL)");
    }
    ngx_http = env("TGM_TEST_NGINX_HTTP");
    ngx_https = env("TGM_TEST_NGINX_HTTPS");
    ngx_ca = env("TGM_TEST_NGINX_CA");
    ngx_log = env("TGM_TEST_NGINX_LOG");
    ngx_gen = env("TGM_TEST_NGINX_GEN");
    shared = env("TGM_SHARED_DIR");
    if (shared == NULL) {
        shared = TGM_DEFAULT_SHARED_DIR;
    }
    struct stat sst;
    if (ngx_http != NULL && ngx_https != NULL && ngx_ca && ngx_log && ngx_gen) {
        log_skip();
        if (stat(shared, &sst) == 0) {
            TT_RUN(t_nginx_parity);
            TT_RUN(t_nginx_budget);
            TT_RUN(t_nginx_batch);
            TT_RUN(t_nginx_tls);
        } else {
            TT_SKIP("no reference files (TGM_SHARED_DIR)");
        }
    } else {
        TT_SKIP("no nginx (TGM_TEST_NGINX_HTTP)");
    }
    s3_endpoint = env("TGM_TEST_S3_ENDPOINT");
    s3_token_endpoint = env("TGM_TEST_S3_TOKEN_ENDPOINT");
    s3_key = env("TGM_TEST_S3_KEY_ID");
    s3_secret = env("TGM_TEST_S3_SECRET");
    s3_region = env("TGM_TEST_S3_REGION");
    s3_token = env("TGM_TEST_S3_TOKEN");
    if (s3_endpoint != NULL && s3_key != NULL && s3_secret != NULL && s3_region != NULL) {
        unsetenv("AWS_ACCESS_KEY_ID");
        unsetenv("AWS_SECRET_ACCESS_KEY");
        unsetenv("AWS_SESSION_TOKEN");
        unsetenv("AWS_PROFILE");
        unsetenv("AWS_REGION");
        unsetenv("AWS_DEFAULT_REGION");
        setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1);
        setenv("AWS_CONFIG_FILE", "/nonexistent/config", 1);
        TT_RUN(t_s3_signing);
        TT_RUN(t_s3_credentials_lookup);
        struct stat pst;
        char pdir[1024];
        snprintf(pdir, sizeof pdir, "%s/remote-parity", shared);
        if (stat(pdir, &pst) == 0) {
            TT_RUN(t_s3_parity);
        }
    } else {
        TT_SKIP("no S3 server (TGM_TEST_S3_ENDPOINT)");
    }
    printf("%d checks, %d failures\n", tt_checks, tt_failures);
    return tt_failures ? 1 : 0;
}
