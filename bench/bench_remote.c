/* Remote access benchmarks (run by bench/remote/run.sh, which starts nginx
 * and a proxy adding a fixed latency to every request, all on 127.0.0.1):
 *
 *  1. request budget: HTTP requests and round trips (elapsed time through
 *     the latency proxy / its latency) per operation, for header-indexed,
 *     footer-indexed, small-message and streaming files;
 *  2. batch: one element from each of 300 messages after
 *     prefetch_layouts, against 300 sequential single-range reads;
 *  3. async: 300 concurrent tasks through tgm_async_* with two workers
 *     (pending remote reads hold no thread): round trips, requests, peak
 *     resident memory and threads while they are in flight;
 *  4. large object download: read_message and decode_object of a large
 *     raw and a zstd object against `curl` fetching the same bytes from
 *     the same nginx, and libcurl's easy interface into a new buffer.
 *
 * Environment: TGM_TEST_NGINX_HTTP, TGM_TEST_NGINX_GEN (files generated
 * here are served as /gen/), TGM_BENCH_PROXY, TGM_BENCH_LATENCY_MS. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "tensogram/tensogram.h"
#include "tensogram/tensogram_async.h"
#include "tensogram/tensogram_stream.h"

static const char *http, *proxy, *gen;
static double latency_ms;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what, tgm_error e) {
    fprintf(stderr, "bench_remote: %s: %s\n", what, tgm_last_error() ? tgm_last_error() : "");
    exit(e == TGM_ERROR_OK ? 1 : (int)e);
}

#define CHECK(what, call)                                                                          \
    do {                                                                                           \
        tgm_error e_ = (call);                                                                     \
        if (e_ != TGM_ERROR_OK) {                                                                  \
            die(what, e_);                                                                         \
        }                                                                                          \
    } while (0)

/* N messages of one float32 object of nelem values (header-indexed), or
 * footer-indexed through the streaming encoder (back-filled lengths). */
static void make_file_c(const char *name, size_t nmsg, size_t nelem, int footer,
                        const char *compression) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", gen, name);
    struct stat st;
    if (stat(path, &st) == 0) {
        return;
    }
    tgm_file_t *f;
    CHECK("create", tgm_file_create(path, &f));
    float *v = malloc(nelem * sizeof *v);
    for (size_t m = 0; m < nmsg; m++) {
        for (size_t i = 0; i < nelem; i++) {
            v[i] = (float)m + (float)i * 1e-3f;
        }
        char desc[256];
        snprintf(desc, sizeof desc,
                 "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[%zu],\"strides\":[1],"
                 "\"dtype\":\"float32\",\"encoding\":\"none\",\"filter\":\"none\","
                 "\"compression\":\"%s\"%s}",
                 nelem, compression, strcmp(compression, "zstd") == 0 ? ",\"zstd_level\":1" : "");
        if (!footer) {
            char meta[512];
            snprintf(meta, sizeof meta, "{\"base\":[{\"step\":%zu}],\"descriptors\":[%s]}", m,
                     desc);
            const uint8_t *d[1] = {(const uint8_t *)v};
            size_t l[1] = {nelem * sizeof *v};
            CHECK("append", tgm_file_append(f, meta, d, l, 1, "xxh3", 0));
        } else {
            tgm_streaming_encoder_t *enc;
            tgm_streaming_options so = TGM_STREAMING_OPTIONS_INIT;
            so.hash_algo = "xxh3";
            char gm[128];
            snprintf(gm, sizeof gm, "{\"base\":[{\"step\":%zu}]}", m);
            tgm_bytes_t msg;
            CHECK("stream", tgm_streaming_encoder_create_memory(gm, &so, &enc));
            CHECK("stream",
                  tgm_streaming_encoder_write(enc, desc, (const uint8_t *)v, nelem * sizeof *v));
            CHECK("stream", tgm_streaming_encoder_finish_backfilled(enc));
            CHECK("stream", tgm_streaming_encoder_take(enc, &msg));
            CHECK("append", tgm_file_append_raw(f, msg.data, msg.len));
            tgm_bytes_free(msg);
            tgm_streaming_encoder_free(enc);
        }
    }
    free(v);
    tgm_file_close(f);
}

static void make_file(const char *name, size_t nmsg, size_t nelem, int footer) {
    make_file_c(name, nmsg, nelem, footer, "none");
}

static const char *concurrency; /* max_concurrency storage option, NULL = default */

static tgm_file_t *open_url(const char *base, const char *name) {
    char url[1024];
    snprintf(url, sizeof url, "%s/%s", base, name);
    tgm_file_t *f;
    const char *k[] = {"max_concurrency"};
    const char *v[] = {concurrency};
    CHECK(url, tgm_file_open_remote(url, k, v, concurrency ? 1 : 0, NULL, &f));
    return f;
}

static uint64_t reqs(tgm_file_t *f) {
    tgm_remote_stats_t st;
    tgm_file_remote_stats(f, &st);
    return st.requests;
}

/* One row of the budget table: requests and round trips of `op`. */
typedef struct step {
    uint64_t r0;
    double t0;
} step;

static void begin(tgm_file_t *f, step *s) {
    s->r0 = f ? reqs(f) : 0;
    s->t0 = now();
}

static void row(const char *file, const char *op, tgm_file_t *f, const step *s) {
    double rtt = (now() - s->t0) * 1000.0 / latency_ms;
    printf("| %-26s | %-46s | %3" PRIu64 " | %5.1f |\n", file, op, reqs(f) - s->r0, rtt);
}

static void budget(const char *label, const char *name, size_t probe) {
    step s;
    begin(NULL, &s);
    tgm_file_t *f = open_url(proxy, name);
    s.r0 = 0;
    row(label, "open", f, &s);
    begin(f, &s);
    tgm_metadata_t *m;
    CHECK("metadata", tgm_file_decode_metadata(f, 0, &m));
    tgm_metadata_free(m);
    row(label, "decode_metadata(0), right after open", f, &s);
    begin(f, &s);
    size_t n;
    CHECK("count", tgm_file_message_count(f, &n));
    char op[96];
    snprintf(op, sizeof op, "message_count (%zu messages)", n);
    row(label, op, f, &s);
    begin(f, &s);
    CHECK("metadata", tgm_file_decode_metadata(f, probe, &m));
    tgm_metadata_free(m);
    snprintf(op, sizeof op, "decode_metadata(%zu), first access", probe);
    row(label, op, f, &s);
    begin(f, &s);
    CHECK("metadata", tgm_file_decode_metadata(f, probe, &m));
    tgm_metadata_free(m);
    snprintf(op, sizeof op, "decode_metadata(%zu) again", probe);
    row(label, op, f, &s);
    begin(f, &s);
    tgm_message_t *o;
    CHECK("object", tgm_file_decode_object(f, probe, 0, 1, 0, 0, &o));
    tgm_message_free(o);
    snprintf(op, sizeof op, "decode_object(%zu, 0), layout cached", probe);
    row(label, op, f, &s);
    begin(f, &s);
    CHECK("descriptors", tgm_file_decode_descriptors(f, probe > 0 ? probe - 1 : 0, &o));
    tgm_message_free(o);
    snprintf(op, sizeof op, "decode_descriptors(%zu), first access", probe > 0 ? probe - 1 : 0);
    row(label, op, f, &s);
    tgm_file_close(f);
    /* message_count alone, and forward-only for comparison */
    f = open_url(proxy, name);
    begin(f, &s);
    CHECK("count", tgm_file_message_count(f, &n));
    row(label, "message_count right after open", f, &s);
    tgm_file_close(f);
    char url[1024];
    snprintf(url, sizeof url, "%s/%s", proxy, name);
    tgm_scan_options so = TGM_SCAN_OPTIONS_INIT;
    so.bidirectional = 0;
    CHECK("open", tgm_file_open_remote(url, NULL, NULL, 0, &so, &f));
    begin(f, &s);
    CHECK("count", tgm_file_message_count(f, &n));
    row(label, "message_count, forward-only scan", f, &s);
    tgm_file_close(f);
}

static uint64_t nelem_of(const char *name) { return strstr(name, "large") != NULL ? 65536 : 4096; }

static void batch(const char *name, size_t nmsg) {
    tgm_file_t *f = open_url(proxy, name);
    size_t n;
    CHECK("count", tgm_file_message_count(f, &n));
    size_t *idx = malloc(nmsg * sizeof *idx);
    for (size_t i = 0; i < nmsg; i++) {
        idx[i] = i;
    }
    step s;
    begin(f, &s);
    CHECK("prefetch", tgm_file_prefetch_layouts(f, idx, nmsg));
    double pre_rtt = (now() - s.t0) * 1000.0 / latency_ms;
    uint64_t pre_req = reqs(f) - s.r0;
    /* An element in the middle of each object (not in any chunk the scan
     * or the layout reads brought into the cache). */
    uint64_t off[1] = {nelem_of(name) / 2}, cnt[1] = {1};
    tgm_bytes_t *out = malloc(nmsg * sizeof *out);
    begin(f, &s);
    CHECK("batch", tgm_file_decode_range_batch(f, idx, nmsg, 0, off, cnt, 1, 1, 0, 1, out));
    double t_batch = now() - s.t0;
    uint64_t batch_req = reqs(f) - s.r0;
    for (size_t i = 0; i < nmsg; i++) {
        tgm_bytes_free(out[i]);
    }
    tgm_file_close(f);
    /* The same 300 reads one after the other (layouts cached as well). */
    f = open_url(proxy, name);
    CHECK("count", tgm_file_message_count(f, &n));
    CHECK("prefetch", tgm_file_prefetch_layouts(f, idx, nmsg));
    begin(f, &s);
    for (size_t i = 0; i < nmsg; i++) {
        size_t c;
        CHECK("range", tgm_file_decode_range(f, i, 0, off, cnt, 1, 1, 0, 1, out, &c));
        tgm_bytes_free(out[0]);
    }
    double t_seq = now() - s.t0;
    uint64_t seq_req = reqs(f) - s.r0;
    tgm_file_close(f);
    printf("| %-22s | %-4s | %8.1f (%3" PRIu64 " req) | %7.1f ms, %4.1f RTT, %3" PRIu64
           " req | %8.1f ms, %5.1f RTT, %3" PRIu64 " req | %6.1fx |\n",
           name, concurrency ? concurrency : "128", pre_rtt, pre_req, t_batch * 1000,
           t_batch * 1000 / latency_ms, batch_req, t_seq * 1000, t_seq * 1000 / latency_ms, seq_req,
           t_seq / t_batch);
    free(idx);
    free(out);
}

/* A field of /proc/self/status (kB for the memory ones). */
static long proc_status(const char *key) {
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL) {
        return -1;
    }
    char line[256];
    long v = -1;
    size_t kl = strlen(key);
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
            v = atol(line + kl + 1);
            break;
        }
    }
    fclose(f);
    return v;
}

/* Requests nginx has logged so far (for handles without statistics). */
static long log_lines(void) {
    const char *log = getenv("TGM_TEST_NGINX_LOG");
    FILE *f = log != NULL ? fopen(log, "r") : NULL;
    if (f == NULL) {
        return -1;
    }
    long n = 0;
    int c;
    while ((c = fgetc(f)) != EOF) {
        n += c == '\n';
    }
    fclose(f);
    return n;
}

static tgm_async_file_t *open_async(const char *base, const char *name) {
    char url[1024];
    snprintf(url, sizeof url, "%s/%s", base, name);
    tgm_async_task_t *t;
    tgm_async_file_t *af = NULL;
    CHECK(url, tgm_async_file_open_remote(url, NULL, NULL, 0, true, NULL, 0, &t));
    CHECK(url, tgm_async_task_join_async_file(t, &af));
    tgm_async_task_free(t);
    return af;
}

/* 300 tasks in flight at once, consumed through a notifier as an event loop
 * would: elapsed round trips, and the process's resident memory and
 * threads sampled at every wake-up. */
static void async_batch(const char *name, size_t nmsg, int whole_objects) {
    tgm_async_file_t *af = open_async(proxy, name);
    size_t *idx = malloc(nmsg * sizeof *idx);
    for (size_t i = 0; i < nmsg; i++) {
        idx[i] = i;
    }
    tgm_async_task_t *t;
    CHECK("prefetch", tgm_async_file_prefetch_layouts(af, idx, nmsg, NULL, 0, &t));
    CHECK("prefetch", tgm_async_task_join_void(t));
    tgm_async_task_free(t);
    tgm_async_notifier_t *n;
    CHECK("notifier", tgm_async_notifier_create(&n));
    tgm_async_task_t **tasks = malloc(nmsg * sizeof *tasks);
    uint64_t off[1] = {nelem_of(name) / 2}, cnt[1] = {1};
    usleep(200000); /* nginx logs after answering: let the prefetch's lines land */
    long lines0 = log_lines();
    long rss0 = proc_status("VmRSS"), peak = rss0, threads = proc_status("Threads");
    double t0 = now();
    for (size_t i = 0; i < nmsg; i++) {
        if (whole_objects) {
            CHECK("object",
                  tgm_async_file_decode_object(af, i, 0, true, 0, true, false, NULL, 0, &tasks[i]));
        } else {
            CHECK("range",
                  tgm_async_file_decode_range(af, i, 0, off, cnt, 1, true, 0, NULL, 0, &tasks[i]));
        }
        CHECK("notifier", tgm_async_task_set_notifier(tasks[i], n, i));
    }
    double t_submit = now() - t0;
    size_t done = 0;
    uint64_t bytes = 0;
    while (done < nmsg && tgm_async_notifier_wait(n, 600000)) {
        long r = proc_status("VmRSS"), th = proc_status("Threads");
        peak = r > peak ? r : peak;
        threads = th > threads ? th : threads;
        uint64_t tags[64];
        size_t k = tgm_async_notifier_drain(n, tags, 64);
        for (size_t j = 0; j < k; j++) {
            tgm_async_task_t *x = tasks[tags[j]];
            if (whole_objects) {
                tgm_message_t *m;
                CHECK("join", tgm_async_task_join_message(x, &m));
                size_t len = 0;
                tgm_object_data(m, 0, &len);
                bytes += len;
                tgm_message_free(m);
            } else {
                tgm_bytes_t *parts;
                size_t np;
                CHECK("join", tgm_async_task_join_multi_bytes(x, &parts, &np));
                bytes += parts[0].len;
                tgm_multi_bytes_free(parts, np);
            }
            tgm_async_task_free(x);
            done++;
        }
    }
    double el = now() - t0;
    usleep(200000);
    long req = log_lines() - lines0;
    printf("| %-22s | %-26s | %6.1f ms (%4.1f RTT) | %3ld | %5.2f ms | %5.1f MiB | "
           "+%5.1f MiB | %2ld |\n",
           name, whole_objects ? "decode_object (256 KiB)" : "decode_range (1 element)", el * 1000,
           el * 1000 / latency_ms, req, t_submit * 1000, (double)bytes / (1 << 20),
           (double)(peak - rss0) / 1024.0, threads);
    tgm_async_notifier_free(n);
    tgm_async_file_close(af);
    free(tasks);
    free(idx);
}

static double run_curl(const char *url, uint64_t a, uint64_t b) {
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "curl -s -f -o /dev/null -r %" PRIu64 "-%" PRIu64 " '%s'", a, b, url);
    double t0 = now();
    int rc = system(cmd);
    double t = now() - t0;
    if (rc != 0) {
        fprintf(stderr, "bench_remote: curl failed (%d)\n", rc);
        exit(1);
    }
    return t;
}

/* libcurl's easy interface writing the same bytes into a fresh buffer of
 * their size: what any client that keeps the bytes pays (page faults on
 * new memory and one copy out of libcurl's buffer), on one connection. */
typedef struct membuf {
    uint8_t *p;
    size_t len, cap;
} membuf;

static size_t mem_write(char *d, size_t sz, size_t n, void *ud) {
    membuf *m = ud;
    size_t k = sz * n;
    if (m->len + k > m->cap) {
        return 0;
    }
    memcpy(m->p + m->len, d, k);
    m->len += k;
    return k;
}

static double run_easy(const char *url, uint64_t a, uint64_t b) {
    char range[64];
    snprintf(range, sizeof range, "%" PRIu64 "-%" PRIu64, a, b);
    double t0 = now();
    membuf m = {malloc((size_t)(b - a + 1)), 0, (size_t)(b - a + 1)};
    CURL *e = curl_easy_init();
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_RANGE, range);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, mem_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &m);
    curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 512L * 1024L);
    CURLcode rc = curl_easy_perform(e);
    curl_easy_cleanup(e);
    free(m.p);
    double t = now() - t0;
    if (rc != CURLE_OK || m.len != m.cap) {
        fprintf(stderr, "bench_remote: libcurl failed (%d)\n", (int)rc);
        exit(1);
    }
    return t;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void print_uptime(void) {
    FILE *p = popen("uptime", "r");
    char line[256];
    if (p != NULL && fgets(line, sizeof line, p) != NULL) {
        printf("\nuptime:%s", line);
    }
    if (p != NULL) {
        pclose(p);
    }
}

enum { REPS_MAX = 15, CASES = 8 };

typedef struct tcase {
    const char *label;
    int file;   /* 0 raw, 1 zstd */
    int kind;   /* 0 curl CLI, 1 libcurl to memory, 2 read_message, 3 decode_object,
                   4 decode_object of the local file (no network) */
    int verify; /* decode_object's verify_hash */
    double t[REPS_MAX], ratio[REPS_MAX];
} tcase;

/* The machine may be shared: each repetition times every case back to
 * back, and ratios to the same file's `curl` are taken per repetition
 * (median reported), so a load change between repetitions does not bias
 * the comparison.  TGM_BENCH_MIB sets the object size (default 256),
 * TGM_BENCH_REPS the repetitions (default 7). */
static void throughput(void) {
    const char *e = getenv("TGM_BENCH_MIB");
    size_t mib_obj = e != NULL ? (size_t)atol(e) : 256;
    e = getenv("TGM_BENCH_REPS");
    int reps = e != NULL ? atoi(e) : 7;
    reps = reps < 1 ? 1 : reps > REPS_MAX ? REPS_MAX : reps;
    const size_t nelem = mib_obj << 18; /* float32 */
    char name[2][64], url[2][1024], rel[2][96];
    const char *comp[2] = {"none", "zstd"};
    uint64_t moff[2], mlen[2];
    tgm_file_t *f[2];
    for (int k = 0; k < 2; k++) {
        snprintf(name[k], sizeof name[k], "large-%zu-%s.tgm", mib_obj, comp[k]);
        make_file_c(name[k], 1, nelem, 0, comp[k]);
        snprintf(rel[k], sizeof rel[k], "gen/%s", name[k]);
        snprintf(url[k], sizeof url[k], "%s/%s", http, rel[k]);
        f[k] = open_url(http, rel[k]);
        CHECK("layout", tgm_file_message_layout(f[k], 0, &moff[k], &mlen[k]));
    }
    tcase cs[CASES] = {
        {"`curl -o /dev/null` (baseline)", 0, 0, 0, {0}, {0}},
        {"libcurl easy into a new buffer", 0, 1, 0, {0}, {0}},
        {"`read_message`", 0, 2, 0, {0}, {0}},
        {"`decode_object`", 0, 3, 0, {0}, {0}},
        {"`decode_object`, verify_hash", 0, 3, 1, {0}, {0}},
        {"zstd: `curl -o /dev/null` (baseline)", 1, 0, 0, {0}, {0}},
        {"zstd: `decode_object`, verify_hash", 1, 3, 1, {0}, {0}},
        {"zstd: `decode_object` of the local file, verify_hash", 1, 4, 1, {0}, {0}},
    };
    tgm_file_t *local[2];
    for (int k = 0; k < 2; k++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", gen, name[k]);
        CHECK(path, tgm_file_open(path, &local[k]));
    }
    /* TGM_BENCH_CASES: a bit mask of the cases to run (profiling). */
    e = getenv("TGM_BENCH_CASES");
    unsigned mask = e != NULL ? (unsigned)strtoul(e, NULL, 0) : ~0u;
    print_uptime();
    for (int rep = 0; rep < reps; rep++) {
        double base[2] = {1, 1};
        for (int c = 0; c < CASES; c++) {
            tcase *x = &cs[c];
            if (!(mask & (1u << c))) {
                continue;
            }
            int k = x->file;
            double t0 = now(), t;
            if (x->kind == 0) {
                t = run_curl(url[k], moff[k], moff[k] + mlen[k] - 1);
                base[k] = t;
            } else if (x->kind == 1) {
                t = run_easy(url[k], moff[k], moff[k] + mlen[k] - 1);
            } else if (x->kind == 2) {
                tgm_bytes_t b;
                CHECK("read", tgm_file_read_message(f[k], 0, &b));
                t = now() - t0;
                tgm_bytes_free(b);
            } else {
                tgm_message_t *o;
                CHECK("object", tgm_file_decode_object(x->kind == 4 ? local[k] : f[k], 0, 0, 1, 0,
                                                       x->verify, &o));
                t = now() - t0;
                tgm_message_free(o);
            }
            x->t[rep] = t;
            x->ratio[rep] = base[k] / t;
        }
    }
    printf("\n| %zu MiB object, %d repetitions | best | median | median ratio to curl |\n"
           "|---|---:|---:|---:|\n",
           mib_obj, reps);
    for (int c = 0; c < CASES; c++) {
        tcase *x = &cs[c];
        if (!(mask & (1u << c))) {
            continue;
        }
        qsort(x->t, (size_t)reps, sizeof(double), cmp_double);
        qsort(x->ratio, (size_t)reps, sizeof(double), cmp_double);
        double m = (double)mlen[x->file] / (1 << 20);
        printf("| %s | %7.0f MiB/s | %7.0f MiB/s | %5.2fx |\n", x->label, m / x->t[0],
               m / x->t[reps / 2], x->ratio[reps / 2]);
    }
    printf("\n(zstd rows: MiB/s of compressed bytes over the wire; the object is %.0f MiB "
           "decoded, %.0f MiB compressed)\n",
           (double)nelem * 4 / (1 << 20), (double)mlen[1] / (1 << 20));
    print_uptime();
    for (int k = 0; k < 2; k++) {
        tgm_file_close(f[k]);
        tgm_file_close(local[k]);
    }
}

static void async_section(void) {
    printf("\nAsync: 300 tasks in flight on one remote file, 2 workers, after prefetch_layouts, "
           "consumed through a notifier\n\n");
    printf("| file | tasks | elapsed | requests | launch of all 300 | data | peak RSS growth | "
           "threads |\n|---|---|---:|---:|---:|---:|---:|---:|\n");
    async_batch("gen/batch300-large.tgm", 300, 0);
    async_batch("gen/batch300-large.tgm", 300, 1);
}

int main(void) {
    http = getenv("TGM_TEST_NGINX_HTTP");
    gen = getenv("TGM_TEST_NGINX_GEN");
    proxy = getenv("TGM_BENCH_PROXY");
    const char *lat = getenv("TGM_BENCH_LATENCY_MS");
    if (http == NULL || gen == NULL || proxy == NULL || lat == NULL) {
        fprintf(stderr, "bench_remote: run through bench/remote/run.sh\n");
        return 2;
    }
    latency_ms = atof(lat);
    /* Two workers: the async section shows that 300 pending remote reads
     * need no thread each. */
    CHECK("runtime", tgm_runtime_configure(2, 1, 0));
    const char *only = getenv("TGM_BENCH_ONLY");
    if (only != NULL && strcmp(only, "async") == 0) {
        make_file("batch300-large.tgm", 300, 65536, 0);
        async_section();
        return 0;
    }
    if (only != NULL && strcmp(only, "throughput") == 0) {
        throughput();
        return 0;
    }
    make_file("big.tgm", 40, 50000, 0);
    make_file("footer.tgm", 40, 50000, 1);
    make_file("small.tgm", 1000, 10, 0);
    make_file("batch300.tgm", 300, 4096, 0);
    make_file("batch300-large.tgm", 300, 65536, 0);
    printf("Remote access benchmarks: nginx on 127.0.0.1, requests through a proxy adding "
           "%.0f ms each (RTT = elapsed / %.0f ms)\n\n",
           latency_ms, latency_ms);
    printf("| file                       | operation                                      | req | "
           "RTT   |\n|---|---|---:|---:|\n");
    budget("40 x 200 KB, header index", "gen/big.tgm", 17);
    budget("40 x 200 KB, footer index", "gen/footer.tgm", 17);
    budget("1000 x 0.6 KB, header index", "gen/small.tgm", 500);
    if (getenv("TGM_BENCH_REFERENCE") != NULL) {
        budget("reference thousand-msg-footer", "ref/remote-parity/thousand-msg-footer.tgm", 500);
        budget("reference streaming-tail", "ref/remote-parity/streaming-tail.tgm", 5);
    }
    printf("\nBatch: one element of object 0 of each of 300 messages, after prefetch_layouts\n\n");
    printf("| file                   | max_concurrency | prefetch RTT (req) | decode_range_batch | "
           "300 sequential decode_range | speed-up |\n|---|---:|---:|---:|---:|---:|\n");
    batch("gen/batch300.tgm", 300);
    batch("gen/batch300-large.tgm", 300);
    concurrency = "300";
    batch("gen/batch300-large.tgm", 300);
    concurrency = NULL;
    async_section();
    printf("\nLarge object over HTTP/1.1 from the same nginx (no added latency)\n");
    throughput();
    return 0;
}
