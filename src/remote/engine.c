/* The network engine (engine.h): one thread, one curl multi handle.
 *
 * The thread loops: take newly submitted requests and cancellations from
 * the shared queue, start what the concurrency limits allow, let libcurl
 * move data (curl_multi_perform), finish completed transfers (accept,
 * retry later, or fail), then sleep in curl_multi_poll until a socket is
 * ready, a timer is due or tgm__net_submit / tgm__net_cancel wake it. */
#include <ctype.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "common/alloc.h"
#include "common/error.h"
#include "remote/engine.h"

enum { ST_NEW = 0, ST_QUEUED, ST_RUNNING, ST_RETRY, ST_DONE };

#define EASY_POOL 32

struct tgm_net {
    pthread_mutex_t lock;
    tgm_net_req *in_head, *in_tail; /* submitted, not yet taken by the thread */
    bool cancel_pending;
    CURLM *multi;
    pthread_t thread;
    /* network thread only */
    tgm_net_req *q_head, *q_tail; /* waiting to start */
    tgm_net_req *retry;           /* waiting for their backoff to pass */
    tgm_net_req *running;         /* in the multi handle */
    uint32_t active;
    CURL *pool[EASY_POOL];
    size_t npool;
    uint64_t rng;
};

uint64_t tgm__net_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- the shared engine ------------------------------------------------------------ */

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static tgm_net *g_net;
static bool g_atfork;

/* A forked child has no network thread: it starts an engine of its own
 * on first use (the parent's is abandoned, not freed: its state may have
 * been mid-update when the fork happened). */
static void on_fork_child(void) {
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
    g_lock = fresh;
    g_net = NULL;
}

static void *net_main(void *arg);

tgm_error tgm__net_get(tgm_net **out) {
    pthread_mutex_lock(&g_lock);
    if (g_net != NULL) {
        *out = g_net;
        pthread_mutex_unlock(&g_lock);
        return TGM_ERROR_OK;
    }
    tgm_error err = TGM_ERROR_OK;
    tgm_net *n = NULL;
    if (!g_atfork) {
        pthread_atfork(NULL, NULL, on_fork_child);
        g_atfork = true;
    }
    CURLcode gc = curl_global_init(CURL_GLOBAL_DEFAULT);
    TGM_FAIL_IF(gc != CURLE_OK, TGM_ERROR_REMOTE, "cannot initialise libcurl: %s",
                curl_easy_strerror(gc));
    n = tgm__calloc(1, sizeof *n);
    TGM_FAIL_IF(n == NULL, TGM_ERROR_REMOTE, "out of memory for the network engine");
    pthread_mutex_init(&n->lock, NULL);
    n->multi = curl_multi_init();
    TGM_FAIL_IF(n->multi == NULL, TGM_ERROR_REMOTE, "cannot create a libcurl multi handle");
    curl_multi_setopt(n->multi, CURLMOPT_MAXCONNECTS, (long)TGM_NET_MAX_ACTIVE);
    curl_multi_setopt(n->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
    n->rng = (uint64_t)time(NULL) * 0x9E3779B97F4A7C15ull + (uintptr_t)n;
    /* The thread starts with every signal blocked: SIGPIPE from a peer that
     * closed its socket (OpenSSL writes with write(2)) then stays with this
     * thread instead of killing the process, and the application's signals
     * go to its own threads. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&n->thread, NULL, net_main, n);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    TGM_FAIL_IF(rc != 0, TGM_ERROR_REMOTE, "cannot start the network thread (error %d)", rc);
    pthread_detach(n->thread);
    g_net = n;
    *out = n;
    pthread_mutex_unlock(&g_lock);
    return TGM_ERROR_OK;
cleanup:
    if (n != NULL) {
        if (n->multi != NULL) {
            curl_multi_cleanup(n->multi);
        }
        pthread_mutex_destroy(&n->lock);
        tgm__free(n);
    }
    pthread_mutex_unlock(&g_lock);
    return err;
}

/* ---- submission and cancellation (any thread) --------------------------------------- */

tgm_error tgm__net_submit(tgm_net *n, tgm_net_req *r) {
    TGM_RETURN_IF(r == NULL || r->conf == NULL || r->done == NULL ||
                      (r->len > 0 && r->dst == NULL) || r->len == 0 || r->off > UINT64_MAX - r->len,
                  TGM_ERROR_INVALID_ARG, "malformed range request");
    r->err = TGM_ERROR_OK;
    r->msg[0] = '\0';
    r->status = 0;
    r->got = 0;
    r->base = 0;
    r->total = UINT64_MAX;
    r->etag[0] = '\0';
    r->attempts = 0;
    r->next = NULL;
    r->easy = NULL;
    r->state = ST_NEW;
    r->cancel = false;
    r->first_ms = 0;
    pthread_mutex_lock(&n->lock);
    if (n->in_tail != NULL) {
        n->in_tail->next = r;
    } else {
        n->in_head = r;
    }
    n->in_tail = r;
    pthread_mutex_unlock(&n->lock);
    curl_multi_wakeup(n->multi);
    return TGM_ERROR_OK;
}

void tgm__net_cancel(tgm_net *n, tgm_net_req *r) {
    pthread_mutex_lock(&n->lock);
    if (r->state != ST_DONE) {
        r->cancel = true;
        n->cancel_pending = true;
    }
    pthread_mutex_unlock(&n->lock);
    curl_multi_wakeup(n->multi);
}

/* ---- waiting for a batch -------------------------------------------------------------- */

struct tgm_net_waiter {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    size_t pending;
};

tgm_net_waiter *tgm__net_waiter_new(size_t pending) {
    tgm_net_waiter *w = tgm__calloc(1, sizeof *w);
    if (w != NULL) {
        pthread_mutex_init(&w->lock, NULL);
        pthread_cond_init(&w->cond, NULL);
        w->pending = pending;
    }
    return w;
}

void tgm__net_waiter_done(tgm_net_req *req) {
    tgm_net_waiter *w = req->user;
    pthread_mutex_lock(&w->lock);
    w->pending--;
    if (w->pending == 0) {
        pthread_cond_broadcast(&w->cond);
    }
    pthread_mutex_unlock(&w->lock);
}

void tgm__net_waiter_wait(tgm_net_waiter *w) {
    pthread_mutex_lock(&w->lock);
    while (w->pending > 0) {
        pthread_cond_wait(&w->cond, &w->lock);
    }
    pthread_mutex_unlock(&w->lock);
}

void tgm__net_waiter_free(tgm_net_waiter *w) {
    if (w != NULL) {
        pthread_cond_destroy(&w->cond);
        pthread_mutex_destroy(&w->lock);
        tgm__free(w);
    }
}

/* ---- response checks (network thread, inside libcurl callbacks) ------------------------ */

static void req_fail(tgm_net_req *r, bool retryable, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void req_fail(tgm_net_req *r, bool retryable, const char *fmt, ...) {
    if (r->want_abort) {
        return; /* keep the first reason */
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->msg, sizeof r->msg, fmt, ap);
    va_end(ap);
    r->want_abort = true;
    r->retryable = retryable;
}

static bool header_is(const char *line, size_t n, const char *name, const char **value,
                      size_t *vlen) {
    size_t k = strlen(name);
    if (n <= k || strncasecmp(line, name, k) != 0 || line[k] != ':') {
        return false;
    }
    const char *v = line + k + 1;
    const char *end = line + n;
    while (v < end && (*v == ' ' || *v == '\t')) {
        v++;
    }
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t')) {
        end--;
    }
    *value = v;
    *vlen = (size_t)(end - v);
    return true;
}

static bool parse_u64(const char **p, const char *end, uint64_t *out) {
    const char *s = *p;
    uint64_t v = 0;
    if (s >= end || !isdigit((unsigned char)*s)) {
        return false;
    }
    while (s < end && isdigit((unsigned char)*s)) {
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10) {
            return false;
        }
        v = v * 10 + d;
        s++;
    }
    *p = s;
    *out = v;
    return true;
}

/* "bytes A-B/T", "bytes A-B/ *" or "bytes * /T" (RFC 9110 §14.4). */
static bool parse_content_range(const char *v, size_t n, uint64_t *a, uint64_t *b, uint64_t *t) {
    const char *end = v + n;
    if (n < 6 || strncasecmp(v, "bytes", 5) != 0) {
        return false;
    }
    const char *p = v + 5;
    while (p < end && *p == ' ') {
        p++;
    }
    if (p < end && *p == '*') {
        p++;
        *a = UINT64_MAX;
        *b = UINT64_MAX;
    } else {
        if (!parse_u64(&p, end, a) || p >= end || *p != '-') {
            return false;
        }
        p++;
        if (!parse_u64(&p, end, b) || *b < *a) {
            return false;
        }
    }
    if (p >= end || *p != '/') {
        return false;
    }
    p++;
    if (p < end && *p == '*') {
        *t = UINT64_MAX;
        return p + 1 == end;
    }
    return parse_u64(&p, end, t) && p == end && (*a == UINT64_MAX || *b < *t);
}

static size_t on_header(char *line, size_t size, size_t nitems, void *ud) {
    tgm_net_req *r = ud;
    size_t n = size * nitems;
    if (n >= 5 && strncmp(line, "HTTP/", 5) == 0) {
        /* A new response (the first, or after a redirect / 100 Continue):
         * forget the previous one's headers. */
        r->have_cr = false;
        r->etag[0] = '\0';
        r->content_length = -1;
        r->encoded = false;
        r->retry_after_ms = -1;
        return n;
    }
    const char *v;
    size_t vl;
    if (header_is(line, n, "Content-Range", &v, &vl)) {
        r->have_cr = parse_content_range(v, vl, &r->cr_start, &r->cr_end, &r->cr_total);
        if (!r->have_cr) {
            req_fail(r, false, "malformed Content-Range \"%.*s\"", (int)(vl < 100 ? vl : 100), v);
        }
    } else if (header_is(line, n, "ETag", &v, &vl)) {
        size_t k = vl < sizeof r->etag - 1 ? vl : sizeof r->etag - 1;
        memcpy(r->etag, v, k);
        r->etag[k] = '\0';
    } else if (header_is(line, n, "Content-Length", &v, &vl)) {
        uint64_t cl;
        const char *p = v;
        r->content_length = parse_u64(&p, v + vl, &cl) && cl <= INT64_MAX ? (int64_t)cl : -1;
    } else if (header_is(line, n, "Content-Encoding", &v, &vl)) {
        r->encoded = !(vl == 8 && strncasecmp(v, "identity", 8) == 0) && vl > 0;
    } else if (header_is(line, n, "Retry-After", &v, &vl)) {
        uint64_t s;
        const char *p = v;
        if (parse_u64(&p, v + vl, &s) && s < 86400) {
            r->retry_after_ms = (long)(s * 1000);
        }
    }
    return n;
}

/* Bytes the accepted response will carry. */
static uint64_t expected_len(const tgm_net_req *r) {
    return r->status == 206 ? r->cr_end - r->cr_start + 1 : (uint64_t)r->content_length;
}

/* Decide, at the first body byte, whether this response is the range we
 * asked for.  Returns false when the transfer must stop. */
static bool accept_response_status(tgm_net_req *r, long status) {
    r->status = status;
    r->headers_checked = true;
    if (r->want_abort) {
        return false; /* a header was already unusable */
    }
    if (status < 200 || status >= 300) {
        return true; /* an error answer: its body is kept for the message */
    }
    uint64_t last = r->off + r->len - 1;
    if (r->encoded) {
        req_fail(r, false, "the server applied a Content-Encoding to a range response");
        return false;
    }
    if (status == 206) {
        if (!r->have_cr || r->cr_start == UINT64_MAX) {
            req_fail(r, false, "HTTP 206 without a usable Content-Range header");
            return false;
        }
        if (r->cr_start != r->off + r->base || r->cr_end > last) {
            req_fail(r, false,
                     "the server answered bytes %" PRIu64 "-%" PRIu64 " instead of %" PRIu64
                     "-%" PRIu64 " (wrong Content-Range)",
                     r->cr_start, r->cr_end, r->off + r->base, last);
            return false;
        }
        if (r->cr_end < last &&
            !(r->clip_at_eof && r->cr_total != UINT64_MAX && r->cr_end + 1 == r->cr_total)) {
            req_fail(r, false,
                     "the server answered bytes %" PRIu64 "-%" PRIu64 " of %s instead of %" PRIu64
                     "-%" PRIu64,
                     r->cr_start, r->cr_end,
                     r->cr_total == UINT64_MAX ? "an object of unknown size" : "the object",
                     r->off + r->base, last);
            return false;
        }
        if (r->check_total && r->cr_total != UINT64_MAX && r->cr_total != r->expect_total) {
            req_fail(r, false,
                     "%s changed while being read: its size is now %" PRIu64
                     " bytes, it was %" PRIu64,
                     r->conf->display, r->cr_total, r->expect_total);
            return false;
        }
        if (r->expect_etag != NULL && r->expect_etag[0] != '\0' && r->etag[0] != '\0' &&
            strcmp(r->expect_etag, r->etag) != 0) {
            req_fail(r, false,
                     "%s changed while being read (ETag %s, now %s): refusing to mix versions",
                     r->conf->display, r->expect_etag, r->etag);
            return false;
        }
        r->total = r->cr_total;
        return true;
    }
    if (status == 200 && r->off == 0 && r->base == 0 && r->clip_at_eof && r->content_length >= 0 &&
        (uint64_t)r->content_length <= r->len) {
        /* The whole object, smaller than the range asked for: these are the
         * right bytes. */
        r->total = (uint64_t)r->content_length;
        return true;
    }
    req_fail(r, false,
             "the server ignored the Range request (HTTP %ld with the whole object); range "
             "requests are required",
             status);
    return false;
}

static bool accept_response(tgm_net_req *r) {
    long status = 0;
    curl_easy_getinfo((CURL *)r->easy, CURLINFO_RESPONSE_CODE, &status);
    return accept_response_status(r, status);
}

static size_t on_write(char *data, size_t size, size_t nitems, void *ud) {
    tgm_net_req *r = ud;
    size_t n = size * nitems;
    if (!r->headers_checked && !accept_response(r)) {
        return 0; /* abort: CURLE_WRITE_ERROR */
    }
    if (r->status < 200 || r->status >= 300) {
        size_t room = sizeof r->errbody - 1 - r->errbody_len;
        size_t k = n < room ? n : room;
        memcpy(r->errbody + r->errbody_len, data, k);
        r->errbody_len += k;
        r->errbody[r->errbody_len] = '\0';
        return k == n ? n : 0;
    }
    uint64_t want = expected_len(r);
    if (r->got - r->base + n > want) {
        req_fail(r, false, "the server sent more bytes than the %" PRIu64 " announced", want);
        return 0;
    }
    memcpy(r->dst + r->got, data, n);
    r->got += n;
    if (r->progress != NULL) {
        r->progress(r);
    }
    return n;
}

/* ---- starting and finishing transfers (network thread) ------------------------------- */

static CURL *easy_get(tgm_net *n) {
    if (n->npool > 0) {
        CURL *e = n->pool[--n->npool];
        curl_easy_reset(e);
        return e;
    }
    return curl_easy_init();
}

static void easy_put(tgm_net *n, CURL *e) {
    if (n->npool < EASY_POOL) {
        n->pool[n->npool++] = e;
    } else {
        curl_easy_cleanup(e);
    }
}

static long ceil_seconds(uint64_t ms) { return (long)((ms + 999) / 1000); }

static bool setup_easy(tgm_net_req *r, CURL *e) {
    const tgm_remote_conf *c = r->conf;
    char range[64];
    snprintf(range, sizeof range, "%" PRIu64 "-%" PRIu64, r->off + r->base, r->off + r->len - 1);
    bool ok = curl_easy_setopt(e, CURLOPT_URL, c->url) == CURLE_OK &&
              curl_easy_setopt(e, CURLOPT_RANGE, range) == CURLE_OK;
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PRIVATE, (void *)r);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, (void *)r);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, (void *)r);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    /* Redirects may leave https only where plain http is allowed. */
    bool https = strncasecmp(c->url, "https://", 8) == 0;
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, https ? "https" : "http,https");
    /* Wait for a connection that may multiplex (HTTP/2, learnt by ALPN
     * during the TLS handshake) rather than open another.  Not over plain
     * HTTP: there the answer is known only from a response, and libcurl
     * would hold every new transfer until the first one on the connection
     * completes (300 reads serialised behind one slow transfer). */
    if (https) {
        curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
    }
    if (r->len >= ((uint64_t)1 << 20)) {
        curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 512L * 1024L);
    }
    if (c->connect_timeout_ms > 0) {
        curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)c->connect_timeout_ms);
    }
    if (c->timeout_ms > 0) {
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)c->timeout_ms);
    }
    if (c->low_speed_ms > 0) {
        curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, ceil_seconds(c->low_speed_ms));
    }
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, c->verify_tls ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, c->verify_tls ? 2L : 0L);
    if (c->ca_bundle != NULL) {
        curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_bundle);
    }
    if (c->ca_path != NULL) {
        curl_easy_setopt(e, CURLOPT_CAPATH, c->ca_path);
    }
    if (c->proxy != NULL) {
        curl_easy_setopt(e, CURLOPT_PROXY, c->proxy);
    }
    if (c->noproxy != NULL) {
        curl_easy_setopt(e, CURLOPT_NOPROXY, c->noproxy);
    }
    if (c->proxy_ca_pem != NULL) {
        struct curl_blob blob = {c->proxy_ca_pem, strlen(c->proxy_ca_pem), CURL_BLOB_COPY};
        curl_easy_setopt(e, CURLOPT_PROXY_CAINFO_BLOB, &blob);
    }
    if (c->http_version == 1) {
        curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    } else if (c->http_version == 2) {
        curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
    }
    if (c->user_agent != NULL) {
        curl_easy_setopt(e, CURLOPT_USERAGENT, c->user_agent);
    }
    if (c->pool_idle_ms > 0) {
        curl_easy_setopt(e, CURLOPT_MAXAGE_CONN, ceil_seconds(c->pool_idle_ms));
    }
    if (c->keepalive_ms > 0) {
        curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
        curl_easy_setopt(e, CURLOPT_TCP_KEEPIDLE, ceil_seconds(c->keepalive_ms));
        curl_easy_setopt(e, CURLOPT_TCP_KEEPINTVL, ceil_seconds(c->keepalive_ms));
    }
    if (c->header_list != NULL) {
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, (struct curl_slist *)c->header_list);
    }
    if (c->auth == TGM_REMOTE_AUTH_SIGV4) {
        ok = ok && curl_easy_setopt(e, CURLOPT_AWS_SIGV4, c->sigv4) == CURLE_OK;
        curl_easy_setopt(e, CURLOPT_USERNAME, c->access_key);
        curl_easy_setopt(e, CURLOPT_PASSWORD, c->secret_key);
    }
    return ok;
}

static void list_remove(tgm_net_req **head, tgm_net_req *r) {
    for (tgm_net_req **p = head; *p != NULL; p = &(*p)->next) {
        if (*p == r) {
            *p = r->next;
            r->next = NULL;
            return;
        }
    }
}

static void complete(tgm_net_req *r) {
    r->state = ST_DONE;
    r->next = NULL;
    r->done(r);
}

static void fail_now(tgm_net_req *r, tgm_error code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail_now(tgm_net_req *r, tgm_error code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->msg, sizeof r->msg, fmt, ap);
    va_end(ap);
    r->err = code;
    complete(r);
}

/* Start one transfer attempt.  False when the request failed to start
 * (it has then completed). */
static bool start(tgm_net *n, tgm_net_req *r) {
    CURL *e = easy_get(n);
    if (e == NULL) {
        fail_now(r, TGM_ERROR_REMOTE, "cannot create a libcurl handle");
        return false;
    }
    r->easy = e;
    r->headers_checked = false;
    r->want_abort = false;
    r->retryable = false;
    r->have_cr = false;
    r->content_length = -1;
    r->encoded = false;
    r->retry_after_ms = -1;
    r->errbody_len = 0;
    r->errbody[0] = '\0';
    if (r->progress == NULL || r->got >= r->len) {
        r->got = 0; /* start over */
    }
    r->base = r->got;
    r->status = 0;
    r->etag[0] = '\0';
    r->total = UINT64_MAX;
    if (!setup_easy(r, e) || curl_multi_add_handle(n->multi, e) != CURLM_OK) {
        easy_put(n, e);
        r->easy = NULL;
        fail_now(r, TGM_ERROR_REMOTE, "cannot set up the request for %s", r->conf->display);
        return false;
    }
    if (r->attempts == 0) {
        r->first_ms = tgm__net_now_ms();
    } else {
        atomic_fetch_add(&r->conf->retries, 1);
    }
    r->attempts++;
    atomic_fetch_add(&r->conf->requests, 1);
    r->conf->active++;
    n->active++;
    r->state = ST_RUNNING;
    r->next = n->running;
    n->running = r;
    return true;
}

/* Detach a running transfer from libcurl. */
static void stop(tgm_net *n, tgm_net_req *r) {
    CURL *e = (CURL *)r->easy;
    curl_multi_remove_handle(n->multi, e);
    easy_put(n, e);
    r->easy = NULL;
    list_remove(&n->running, r);
    r->conf->active--;
    n->active--;
}

static bool retryable_curl(CURLcode rc) {
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_WEIRD_SERVER_REPLY:
        return true;
    default:
        return false;
    }
}

static bool retryable_status(long s) {
    return s == 408 || s == 429 || s == 500 || s == 502 || s == 503 || s == 504;
}

/* Pull <Code> and <Message> out of an S3 / GCS / Azure XML error body. */
static void xml_field(const char *body, const char *tag, char *out, size_t cap) {
    char open[32], close[32];
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    const char *a = strstr(body, open);
    out[0] = '\0';
    if (a == NULL) {
        return;
    }
    a += strlen(open);
    const char *b = strstr(a, close);
    if (b == NULL) {
        return;
    }
    size_t k = (size_t)(b - a) < cap - 1 ? (size_t)(b - a) : cap - 1;
    memcpy(out, a, k);
    out[k] = '\0';
}

static void describe_http_error(tgm_net_req *r) {
    const tgm_remote_conf *c = r->conf;
    char code[96], text[256];
    xml_field(r->errbody, "Code", code, sizeof code);
    xml_field(r->errbody, "Message", text, sizeof text);
    const char *hint = "";
    if (r->status == 401 || r->status == 403) {
        if (strcmp(code, "SignatureDoesNotMatch") == 0 || strcmp(code, "InvalidAccessKeyId") == 0) {
            hint = " (authentication failed: check the secret key / credentials";
        } else {
            hint = " (access denied";
        }
    } else if (r->status == 404) {
        hint = " (not found";
    } else if (r->status == 416) {
        hint = " (range not satisfiable";
    }
    snprintf(r->msg, sizeof r->msg,
             "HTTP %ld from %s reading bytes %" PRIu64 "-%" PRIu64 "%s%s%s%s%s%s%s", r->status,
             c->display, r->off, r->off + r->len - 1, code[0] ? ": " : "", code,
             text[0] ? " - " : "", text, hint, hint[0] ? "; credentials: " : "",
             hint[0] ? c->cred_origin : "");
    size_t l = strlen(r->msg);
    if (hint[0] && l + 2 < sizeof r->msg) {
        r->msg[l] = ')';
        r->msg[l + 1] = '\0';
    }
}

static uint64_t next_rand(tgm_net *n) {
    n->rng ^= n->rng << 13;
    n->rng ^= n->rng >> 7;
    n->rng ^= n->rng << 17;
    return n->rng;
}

/* A transfer ended: accept it, schedule another attempt, or fail it. */
static void finish(tgm_net *n, tgm_net_req *r, CURLcode rc) {
    tgm_remote_conf *c = r->conf;
    if (r->status == 0) {
        long s = 0;
        curl_easy_getinfo((CURL *)r->easy, CURLINFO_RESPONSE_CODE, &s);
        r->status = s;
    }
    stop(n, r);
    atomic_fetch_add(&c->bytes, r->got - r->base);
    bool retry = false;
    bool ok = false;
    uint64_t last = r->off + r->len - 1;
    if (rc == CURLE_OK && !r->headers_checked && r->status >= 200 && r->status < 300) {
        /* No body came: the answer is still checked (an empty object is a
         * 200 or 206 of no bytes; anything else is short). */
        accept_response_status(r, r->status);
    }
    if (r->want_abort) {
        retry = r->retryable;
    } else if (r->status >= 300 || (r->status > 0 && r->status < 200)) {
        if (r->status == 416 && r->off == 0 && r->clip_at_eof && r->have_cr &&
            r->cr_start == UINT64_MAX && r->cr_total == 0) {
            r->total = 0; /* an empty object */
            ok = true;
        } else {
            describe_http_error(r);
            retry = retryable_status(r->status);
        }
    } else if (rc != CURLE_OK) {
        snprintf(r->msg, sizeof r->msg, "%s reading bytes %" PRIu64 "-%" PRIu64 " of %s",
                 curl_easy_strerror(rc), r->off + r->base, last, c->display);
        if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE) {
            size_t l = strlen(r->msg);
            snprintf(r->msg + l, sizeof r->msg - l,
                     " (TLS certificate verification failed: give the CA with the storage option "
                     "ca_bundle or SSL_CERT_FILE; allow_invalid_certificates=true turns "
                     "verification off)");
        }
        /* A refused connection is retried twice only (a server restarting):
         * nobody listening is otherwise a long wait for a clear error. */
        retry = retryable_curl(rc) && !(rc == CURLE_COULDNT_CONNECT && r->attempts > 2);
    } else if (r->got - r->base != expected_len(r)) {
        snprintf(r->msg, sizeof r->msg,
                 "truncated response: %" PRIu64 " of %" PRIu64 " bytes received for bytes %" PRIu64
                 "-%" PRIu64 " of %s",
                 r->got - r->base, expected_len(r), r->off + r->base, last, c->display);
        retry = true;
    } else {
        ok = true;
    }
    if (ok) {
        r->err = TGM_ERROR_OK;
        complete(r);
        return;
    }
    uint64_t now = tgm__net_now_ms();
    if (retry && r->progress != NULL && r->got == r->len) {
        retry = false; /* every byte is in place already: nothing to resume */
    }
    if (retry && !r->cancel && r->attempts <= c->max_retries &&
        now - r->first_ms < c->retry_timeout_ms) {
        uint64_t shift = r->attempts - 1 < 30 ? r->attempts - 1 : 30;
        uint64_t backoff = c->backoff_init_ms << shift;
        if (backoff > c->backoff_max_ms) {
            backoff = c->backoff_max_ms;
        }
        backoff = backoff / 2 + next_rand(n) % (backoff / 2 + 1); /* jitter */
        if (r->retry_after_ms >= 0 && (uint64_t)r->retry_after_ms > backoff) {
            backoff = (uint64_t)r->retry_after_ms;
        }
        if (now + backoff - r->first_ms <= c->retry_timeout_ms) {
            r->due_ms = now + backoff;
            r->state = ST_RETRY;
            r->next = n->retry;
            n->retry = r;
            return;
        }
    }
    if (r->attempts > 1) {
        size_t l = strlen(r->msg);
        snprintf(r->msg + l, sizeof r->msg - l, " (after %u attempts)", r->attempts);
    }
    r->err = TGM_ERROR_REMOTE;
    complete(r);
}

static void cancel_now(tgm_net_req *r) {
    snprintf(r->msg, sizeof r->msg, "request for bytes %" PRIu64 "-%" PRIu64 " of %s cancelled",
             r->off, r->off + r->len - 1, r->conf->display);
    r->err = TGM_ERROR_CANCELLED;
    complete(r);
}

static void process_cancels(tgm_net *n) {
    /* Flags are written under the lock; collect the flagged requests of
     * each list, then finish them outside it. */
    tgm_net_req *victims = NULL;
    pthread_mutex_lock(&n->lock);
    tgm_net_req **lists[] = {&n->q_head, &n->retry, &n->running};
    for (size_t l = 0; l < 3; l++) {
        tgm_net_req **p = lists[l];
        while (*p != NULL) {
            tgm_net_req *r = *p;
            if (r->cancel) {
                if (r->state == ST_RUNNING) {
                    p = &r->next; /* stopped below */
                    continue;
                }
                *p = r->next;
                r->next = victims;
                victims = r;
                continue;
            }
            p = &r->next;
        }
    }
    pthread_mutex_unlock(&n->lock);
    n->q_tail = NULL;
    for (tgm_net_req *q = n->q_head; q != NULL; q = q->next) {
        n->q_tail = q;
    }
    /* Running transfers: stop them. */
    for (;;) {
        tgm_net_req *hit = NULL;
        pthread_mutex_lock(&n->lock);
        for (tgm_net_req *r = n->running; r != NULL; r = r->next) {
            if (r->cancel) {
                hit = r;
                break;
            }
        }
        pthread_mutex_unlock(&n->lock);
        if (hit == NULL) {
            break;
        }
        stop(n, hit);
        cancel_now(hit);
    }
    while (victims != NULL) {
        tgm_net_req *r = victims;
        victims = r->next;
        cancel_now(r);
    }
}

static bool can_start(const tgm_net *n, const tgm_net_req *r) {
    return n->active < TGM_NET_MAX_ACTIVE && r->conf->active < r->conf->max_concurrency;
}

/* Start queued requests in FIFO order, skipping those whose object is at
 * its concurrency limit.  Returns how many started. */
static size_t start_queued(tgm_net *n) {
    size_t started = 0;
    tgm_net_req **p = &n->q_head;
    tgm_net_req *prev = NULL;
    while (*p != NULL && n->active < TGM_NET_MAX_ACTIVE) {
        tgm_net_req *r = *p;
        if (!can_start(n, r)) {
            prev = r;
            p = &r->next;
            continue;
        }
        *p = r->next;
        if (n->q_tail == r) {
            n->q_tail = prev;
        }
        r->next = NULL;
        start(n, r);
        started++;
    }
    return started;
}

static void *net_main(void *arg) {
    tgm_net *n = arg;
    for (;;) {
        pthread_mutex_lock(&n->lock);
        tgm_net_req *in = n->in_head;
        n->in_head = n->in_tail = NULL;
        bool cancels = n->cancel_pending;
        n->cancel_pending = false;
        for (tgm_net_req *r = in; r != NULL; r = r->next) {
            r->state = ST_QUEUED;
        }
        pthread_mutex_unlock(&n->lock);
        if (in != NULL) {
            if (n->q_tail != NULL) {
                n->q_tail->next = in;
            } else {
                n->q_head = in;
            }
            tgm_net_req *t = in;
            while (t->next != NULL) {
                t = t->next;
            }
            n->q_tail = t;
        }
        if (cancels) {
            process_cancels(n);
        }
        /* Retries whose backoff has passed go back to the queue. */
        uint64_t now = tgm__net_now_ms();
        uint64_t next_due = UINT64_MAX;
        for (tgm_net_req **p = &n->retry; *p != NULL;) {
            tgm_net_req *r = *p;
            if (r->due_ms <= now) {
                *p = r->next;
                r->next = NULL;
                r->state = ST_QUEUED;
                if (n->q_tail != NULL) {
                    n->q_tail->next = r;
                } else {
                    n->q_head = r;
                }
                n->q_tail = r;
            } else {
                if (r->due_ms < next_due) {
                    next_due = r->due_ms;
                }
                p = &r->next;
            }
        }
        size_t started = start_queued(n);
        int still = 0;
        curl_multi_perform(n->multi, &still);
        size_t finished = 0;
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(n->multi, &left)) != NULL) {
            if (m->msg != CURLMSG_DONE) {
                continue;
            }
            tgm_net_req *r = NULL;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
            CURLcode rc = m->data.result;
            finish(n, r, rc);
            finished++;
        }
        long timeout = -1;
        curl_multi_timeout(n->multi, &timeout);
        if (timeout < 0 || timeout > 1000) {
            timeout = 1000;
        }
        if (next_due != UINT64_MAX) {
            uint64_t wait = next_due > now ? next_due - now : 0;
            if ((long)wait < timeout) {
                timeout = (long)wait;
            }
        }
        if (started > 0 || finished > 0) {
            timeout = 0; /* slots may have freed up, callbacks may have submitted */
        }
        if (timeout > 0) {
            curl_multi_poll(n->multi, NULL, 0, (int)timeout, NULL);
        }
    }
    return NULL;
}
