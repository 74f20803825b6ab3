/* Remote access against real servers (started by tests/remote/harness.py):
 * the byte source and the network engine against the fault-injecting
 * server, the file API against nginx (HTTP/1.1, HTTPS + HTTP/2) and against
 * s3rver behind a botocore signature gate.  Every group is skipped when its
 * server's address is not in the environment. */
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

#define TT_CHECK_MSG(cond, msg)                                                                    \
    do {                                                                                           \
        tt_checks++;                                                                               \
        if (!(cond)) {                                                                             \
            tt_failures++;                                                                         \
            fprintf(stderr, "%s:%d: [%s] check failed: %s (%s)\n", __FILE__, __LINE__, tt_current, \
                    #cond, (msg) ? (msg) : "");                                                    \
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
    } else {
        TT_SKIP("no S3 server (TGM_TEST_S3_ENDPOINT)");
    }
    printf("%d checks, %d failures\n", tt_checks, tt_failures);
    return tt_failures ? 1 : 0;
}
