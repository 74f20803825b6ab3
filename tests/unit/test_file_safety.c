/* Data safety of files (docs/security.md, "Files: what is guaranteed";
 * issue 12 items 1-5):
 *  - torn streaming messages do not hide the messages after them;
 *  - appends from several threads and processes never interleave, even
 *    when each takes many write() calls (here: at most WRITE_CAP bytes per
 *    call, a small-scale model of Linux's 2 GiB limit);
 *  - a failed append removes only its own bytes: never another writer's
 *    acknowledged message, never a hole;
 *  - on a full disk (a small tmpfs when the test may mount one, else
 *    RLIMIT_FSIZE) every acknowledged message survives;
 *  - a writer killed with SIGKILL mid-append or mid-stream leaves every
 *    acknowledged message readable and a torn region that is reported.
 * write() is wrapped (-Wl,--wrap=write) to cap, fail or interleave calls. */
#define _GNU_SOURCE /* unshare, CLONE_NEWNS */
#include "tt.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- write() wrapper ---------------------------------------------------------- */

ssize_t __real_write(int fd, const void *buf, size_t n);
ssize_t __wrap_write(int fd, const void *buf, size_t n);

static atomic_size_t write_cap;             /* 0: no cap */
static _Thread_local void (*tl_hook)(void); /* run once, before the next write */
static _Thread_local int tl_skip;           /* writes to let through before failing */
static _Thread_local int tl_fail;           /* then fail this many with tl_errno */
static _Thread_local int tl_errno;

ssize_t __wrap_write(int fd, const void *buf, size_t n) {
    if (tl_skip > 0) {
        tl_skip--;
    } else {
        if (tl_hook != NULL) {
            void (*h)(void) = tl_hook;
            tl_hook = NULL;
            h();
        }
        if (tl_fail > 0) {
            tl_fail--;
            errno = tl_errno;
            return -1;
        }
    }
    size_t cap = atomic_load(&write_cap);
    if (cap == 0 || n <= cap) {
        ssize_t w = __real_write(fd, buf, n);
        if (w > 0 && (size_t)w < n) {
            /* The kernel wrote part (2 GiB limit, full disk): let the
             * process be descheduled here, as it may be at any time. */
            usleep(20000);
        }
        return w;
    }
    /* A short write, and a chance for other writers to run before the
     * caller writes the rest. */
    ssize_t w = __real_write(fd, buf, cap);
    sched_yield();
    return w;
}

#include "tensogram/tensogram.h"

static char dir[256];

static const char *tmp_path(const char *name) {
    static char p[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

static const char *native_order(void) {
    const uint16_t one = 1;
    return *(const uint8_t *)&one ? "little" : "big";
}

static const char *desc_json(size_t n) {
    /* Per thread: the concurrent appenders call this at once (one shared
     * buffer let a reader see it half rewritten: an empty descriptor). */
    static _Thread_local char d[256];
    snprintf(d, sizeof d,
             "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[%zu],\"strides\":[1],"
             "\"dtype\":\"int32\",\"byte_order\":\"%s\",\"encoding\":\"none\","
             "\"filter\":\"none\",\"compression\":\"none\"}",
             n, native_order());
    return d;
}

/* One-object message {"step": step} of n int32 values step, step+1, ... */
static tgm_error append_step(tgm_file_t *f, int step, size_t n) {
    char meta[512];
    snprintf(meta, sizeof meta, "{\"base\":[{\"step\":%d}],\"descriptors\":[%s]}", step,
             desc_json(n));
    int32_t *v = malloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++) {
        v[i] = step + (int32_t)i;
    }
    const uint8_t *ptrs[1] = {(const uint8_t *)v};
    size_t lens[1] = {n * sizeof *v};
    tgm_error e = tgm_file_append(f, meta, ptrs, lens, 1, "xxh3", 0);
    free(v);
    return e;
}

/* Message idx of f holds step `step` (metadata and values). */
static int has_step(tgm_file_t *f, size_t idx, int step) {
    tgm_message_t *m = NULL;
    if (tgm_file_decode_message(f, idx, 1, 0, 1, &m) != TGM_ERROR_OK) {
        fprintf(stderr, "decode message %zu: %s\n", idx, tgm_last_error());
        return 0;
    }
    size_t n;
    const int32_t *v = (const int32_t *)(const void *)tgm_object_data(m, 0, &n);
    int ok = n >= 4 && v[0] == step && v[n / 4 - 1] == step + (int32_t)(n / 4) - 1;
    tgm_message_free(m);
    tgm_metadata_t *md = NULL;
    if (ok && tgm_file_decode_metadata(f, idx, &md) == TGM_ERROR_OK) {
        ok = tgm_metadata_get_int(md, "step", -1) == step;
        tgm_metadata_free(md);
    }
    return ok;
}

static uint64_t size_of(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* Stream `nobj` objects of step `step` to fd; finish (tl 0) or abandon. */
static void stream_message(int fd, int step, int nobj, int finish) {
    tgm_streaming_options o = TGM_STREAMING_OPTIONS_INIT;
    o.hash_algo = "xxh3";
    tgm_streaming_encoder_t *enc = NULL;
    char meta[64];
    snprintf(meta, sizeof meta, "{\"_extra_\":{\"step\":%d}}", step);
    if (tgm_streaming_encoder_create_fd(fd, meta, &o, &enc) != TGM_ERROR_OK) {
        fprintf(stderr, "streaming encoder: %s\n", tgm_last_error());
        tt_failures++;
        return;
    }
    for (int k = 0; k < nobj; k++) {
        int32_t v[64];
        for (int i = 0; i < 64; i++) {
            v[i] = step + i;
        }
        if (tgm_streaming_encoder_write(enc, desc_json(64), (const uint8_t *)v, sizeof v) !=
            TGM_ERROR_OK) {
            tt_failures++;
        }
    }
    if (finish && tgm_streaming_encoder_finish(enc) != TGM_ERROR_OK) {
        tt_failures++;
    }
    tgm_streaming_encoder_free(enc);
}

/* The JSON report of tgm_validate_file contains `needle`. */
static int report_has(const char *path, const char *needle) {
    tgm_bytes_t rep;
    if (tgm_validate_file(path, "quick", 0, &rep) != TGM_ERROR_OK) {
        fprintf(stderr, "validate %s: %s\n", path, tgm_last_error());
        return 0;
    }
    char *s = malloc(rep.len + 1);
    memcpy(s, rep.data, rep.len);
    s[rep.len] = '\0';
    int ok = strstr(s, needle) != NULL;
    if (!ok) {
        fprintf(stderr, "report of %s lacks %s:\n%s\n", path, needle, s);
    }
    free(s);
    tgm_bytes_free(rep);
    return ok;
}

/* Item 1: a streaming message (total_length 0) left unfinished before a
 * complete message must not swallow it.  Three variants of what follows
 * the tear: a buffered message, a finished streaming message, and both. */
static void test_torn_streaming_then_complete(void) {
    for (int variant = 0; variant < 3; variant++) {
        char name[32];
        snprintf(name, sizeof name, "torn%d.tgm", variant);
        const char *p = tmp_path(name);
        tgm_file_t *f = NULL;
        TT_ASSERT(tgm_file_create(p, &f) == TGM_ERROR_OK);
        TT_CHECK_ERR(append_step(f, 0, 16), TGM_ERROR_OK);
        tgm_file_close(f);
        uint64_t tear_at = size_of(p);
        int fd = open(p, O_WRONLY | O_APPEND);
        TT_ASSERT(fd >= 0);
        stream_message(fd, 100, 2, 0); /* abandoned: frames, no footer, no postamble */
        close(fd);
        uint64_t tear_len = size_of(p) - tear_at;
        TT_ASSERT(tear_len > 24);
        int expect_steps[3], nexp = 0;
        expect_steps[nexp++] = 0;
        TT_ASSERT(tgm_file_open(p, &f) == TGM_ERROR_OK);
        if (variant != 1) {
            TT_CHECK_ERR(append_step(f, 1, 16), TGM_ERROR_OK);
            expect_steps[nexp++] = 1;
        }
        if (variant != 0) {
            tgm_file_close(f);
            fd = open(p, O_WRONLY | O_APPEND);
            TT_ASSERT(fd >= 0);
            stream_message(fd, 2, 2, 1); /* complete, total_length 0 */
            close(fd);
            TT_ASSERT(tgm_file_open(p, &f) == TGM_ERROR_OK);
        }
        size_t n = 0;
        TT_ASSERT(tgm_file_message_count(f, &n) == TGM_ERROR_OK);
        TT_CHECK_EQ_INT(n, variant == 2 ? 3 : 2);
        TT_CHECK(has_step(f, 0, 0));
        if (variant != 1) {
            TT_CHECK(has_step(f, 1, 1));
        }
        uint64_t off = 0, len = 0;
        TT_CHECK_ERR(tgm_file_message_layout(f, 1, &off, &len), TGM_ERROR_OK);
        TT_CHECK_EQ_INT(off, tear_at + tear_len); /* right after the tear */
        if (variant != 0) {
            /* the streamed message: decode it */
            tgm_message_t *m = NULL;
            TT_CHECK_ERR(tgm_file_decode_message(f, n - 1, 1, 0, 1, &m), TGM_ERROR_OK);
            size_t cnt = 0;
            const int32_t *v = m ? (const int32_t *)(const void *)tgm_object_data(m, 1, &cnt) : 0;
            TT_CHECK(v != NULL && cnt == 256 && v[0] == 2 && v[63] == 65);
            tgm_message_free(m);
        }
        /* the iterator sees the same messages */
        tgm_file_iter_t *it = NULL;
        TT_ASSERT(tgm_file_iter_create(f, &it) == TGM_ERROR_OK);
        tgm_bytes_t b;
        size_t seen = 0;
        while (tgm_file_iter_next(it, &b) == TGM_ERROR_OK) {
            seen++;
            tgm_bytes_free(b);
        }
        tgm_file_iter_free(it);
        TT_CHECK_EQ_INT(seen, n);
        tgm_file_close(f);
        /* validation reports the tear with its offset and length */
        char needle[96];
        snprintf(needle, sizeof needle, "{\"byte_offset\":%llu,\"length\":%llu,",
                 (unsigned long long)tear_at, (unsigned long long)tear_len);
        TT_CHECK(report_has(p, needle));
        (void)expect_steps;
    }
}

/* Item 1, buffered variant: the first bytes of a message (total_length
 * L) torn off, then a complete message that ends exactly L bytes after the
 * torn preamble, then a torn tail (so no backward hop helps).  The torn
 * preamble's end magic check passes at the later message's end; only the
 * mirrored length tells them apart. */
static void test_torn_claim_reaches_later_message(void) {
    tgm_bytes_t big, small;
    const char *p = tmp_path("claim.tgm");
    tgm_file_t *f = NULL;
    TT_ASSERT(tgm_file_create(p, &f) == TGM_ERROR_OK);
    TT_CHECK_ERR(append_step(f, 7, 300), TGM_ERROR_OK);
    TT_CHECK_ERR(append_step(f, 8, 16), TGM_ERROR_OK);
    TT_ASSERT(tgm_file_read_message(f, 0, &big) == TGM_ERROR_OK);
    TT_ASSERT(tgm_file_read_message(f, 1, &small) == TGM_ERROR_OK);
    tgm_file_close(f);
    TT_ASSERT(big.len > small.len + 48);
    size_t head = big.len - small.len; /* what survived of the big message */
    FILE *out = fopen(p, "wb");
    TT_ASSERT(out != NULL);
    fwrite(big.data, 1, head, out);        /* torn: its first bytes only */
    fwrite(small.data, 1, small.len, out); /* ends where `big` claims to */
    fwrite(big.data, 1, 100, out);         /* a torn tail */
    fclose(out);
    TT_ASSERT(tgm_file_open(p, &f) == TGM_ERROR_OK);
    size_t n = 0;
    TT_ASSERT(tgm_file_message_count(f, &n) == TGM_ERROR_OK);
    TT_CHECK_EQ_INT(n, 1);
    TT_CHECK(has_step(f, 0, 8));
    tgm_file_close(f);
    tgm_scan_result_t *sr = NULL;
    uint8_t *all = malloc(head + small.len + 100);
    memcpy(all, big.data, head);
    memcpy(all + head, small.data, small.len);
    memcpy(all + head + small.len, big.data, 100);
    TT_ASSERT(tgm_scan(all, head + small.len + 100, &sr) == TGM_ERROR_OK);
    TT_CHECK_EQ_INT(tgm_scan_count(sr), 1);
    TT_CHECK_EQ_INT(tgm_scan_entry(sr, 0).offset, head);
    tgm_scan_free(sr);
    char needle[96];
    snprintf(needle, sizeof needle, "{\"byte_offset\":0,\"length\":%zu,", head);
    TT_CHECK(report_has(p, needle));
    free(all);
    tgm_bytes_free(big);
    tgm_bytes_free(small);
}

/* ---- appends: several writers ------------------------------------------------ */

#define WRITE_CAP 512
#define MSG_VALUES 1500 /* 6000 bytes of payload: about 13 writes per append */

/* Message (w, k): {"w": w, "k": k}, int32 values w * 1000000 + k * 1000 + i. */
static tgm_error append_wk(tgm_file_t *f, int w, int k, size_t nvalues) {
    char meta[512];
    snprintf(meta, sizeof meta, "{\"base\":[{\"w\":%d,\"k\":%d}],\"descriptors\":[%s]}", w, k,
             desc_json(nvalues));
    int32_t *v = malloc(nvalues * sizeof *v);
    for (size_t i = 0; i < nvalues; i++) {
        v[i] = w * 1000000 + k * 1000 + (int32_t)i;
    }
    const uint8_t *ptrs[1] = {(const uint8_t *)v};
    size_t lens[1] = {nvalues * sizeof *v};
    tgm_error e = tgm_file_append(f, meta, ptrs, lens, 1, "xxh3", 0);
    free(v);
    return e;
}

/* Check every message of `path`: it decodes with its hash verified, its
 * values match its (w, k), and each (w, k) appears once.  acked[w] is the
 * number of appends writer w saw succeed (its k = 0 .. acked[w] - 1 must
 * all be there); writers may have one more message in the file (written,
 * then killed before telling).  Returns the number of messages; *issues
 * receives the number of file issues validation reports. */
static size_t check_wk_file(const char *path, int nwriters, const int *acked, int *issues) {
    tgm_file_t *f = NULL;
    size_t n = 0;
    if (tgm_file_open(path, &f) != TGM_ERROR_OK || tgm_file_message_count(f, &n) != TGM_ERROR_OK) {
        fprintf(stderr, "open %s: %s\n", path, tgm_last_error());
        tt_failures++;
        return 0;
    }
    enum { MAXK = 4096 };
    unsigned char *seen = calloc((size_t)nwriters * MAXK, 1);
    for (size_t i = 0; i < n; i++) {
        tgm_message_t *m = NULL;
        tgm_metadata_t *md = NULL;
        tgm_error e = tgm_file_decode_message(f, i, 1, 0, 1, &m);
        if (e == TGM_ERROR_OK) {
            e = tgm_file_decode_metadata(f, i, &md);
        }
        if (e != TGM_ERROR_OK) {
            fprintf(stderr, "%s message %zu: %s\n", path, i, tgm_last_error());
            tt_failures++;
            tgm_message_free(m);
            continue;
        }
        long long w = tgm_metadata_get_int(md, "w", -1), k = tgm_metadata_get_int(md, "k", -1);
        size_t cnt = 0;
        const int32_t *v = (const int32_t *)(const void *)tgm_object_data(m, 0, &cnt);
        int ok = w >= 0 && w < nwriters && k >= 0 && k < MAXK && cnt > 0;
        for (size_t j = 0; ok && j < cnt / 4; j++) {
            ok = v[j] == (int32_t)(w * 1000000 + k * 1000 + (long long)j);
        }
        if (!ok || seen[w * MAXK + k]++) {
            fprintf(stderr, "%s message %zu: (w=%lld, k=%lld) wrong or repeated\n", path, i, w, k);
            tt_failures++;
        }
        tgm_metadata_free(md);
        tgm_message_free(m);
    }
    for (int w = 0; w < nwriters; w++) {
        for (int k = 0; k < acked[w] && k < MAXK; k++) {
            if (!seen[w * MAXK + k]) {
                fprintf(stderr, "%s: acknowledged message (w=%d, k=%d) is missing\n", path, w, k);
                tt_failures++;
            }
        }
        for (int k = acked[w] + 1; k < MAXK; k++) {
            if (seen[w * MAXK + k]) {
                fprintf(stderr, "%s: message (w=%d, k=%d) was never acknowledged\n", path, w, k);
                tt_failures++;
            }
        }
    }
    free(seen);
    tgm_file_close(f);
    tgm_bytes_t rep;
    *issues = -1;
    if (tgm_validate_file(path, "quick", 0, &rep) == TGM_ERROR_OK) {
        char *r = malloc(rep.len + 1);
        memcpy(r, rep.data, rep.len);
        r[rep.len] = '\0';
        tgm_bytes_free(rep);
        /* file issues come first, before "messages" */
        char *msgs = strstr(r, "\"messages\"");
        if (msgs != NULL) {
            *msgs = '\0';
        }
        *issues = 0;
        for (const char *q = r; (q = strstr(q, "\"byte_offset\"")) != NULL; q++) {
            (*issues)++;
        }
        free(r);
    }
    return n;
}

typedef struct writer_arg {
    const char *path;
    int w, count;
    int acked;
} writer_arg;

static void *writer_thread(void *p) {
    writer_arg *a = p;
    tgm_file_t *f = NULL;
    if (tgm_file_open(a->path, &f) != TGM_ERROR_OK) {
        return NULL;
    }
    for (int k = 0; k < a->count; k++) {
        if (append_wk(f, a->w, k, MSG_VALUES) != TGM_ERROR_OK) {
            fprintf(stderr, "writer %d append %d: %s\n", a->w, k, tgm_last_error());
            break;
        }
        a->acked++;
        if (k % 7 == 0) {
            sched_yield();
        }
    }
    tgm_file_close(f);
    return NULL;
}

/* Items 2 and 3: 3 threads (one handle each) and 2 processes append 40
 * messages each, every append split into about 13 writes.  With the append
 * lock all 200 messages are whole; without it they interleave. */
static void test_concurrent_appenders(void) {
    const char *p = tmp_path("concurrent.tgm");
    tgm_file_t *f = NULL;
    TT_ASSERT(tgm_file_create(p, &f) == TGM_ERROR_OK);
    tgm_file_close(f);
    atomic_store(&write_cap, WRITE_CAP);
    enum { NPROC = 2, NTHR = 3, COUNT = 40 };
    pid_t pids[NPROC];
    for (int i = 0; i < NPROC; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            writer_arg a = {p, NTHR + i, COUNT, 0};
            writer_thread(&a);
            _exit(a.acked == COUNT ? 0 : 1);
        }
    }
    pthread_t th[NTHR];
    writer_arg args[NTHR];
    for (int i = 0; i < NTHR; i++) {
        args[i] = (writer_arg){p, i, COUNT, 0};
        pthread_create(&th[i], NULL, writer_thread, &args[i]);
    }
    int acked[NTHR + NPROC];
    for (int i = 0; i < NTHR; i++) {
        pthread_join(th[i], NULL);
        acked[i] = args[i].acked;
        TT_CHECK_EQ_INT(acked[i], COUNT);
    }
    for (int i = 0; i < NPROC; i++) {
        int st = 0;
        waitpid(pids[i], &st, 0);
        TT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        acked[NTHR + i] = COUNT;
    }
    atomic_store(&write_cap, 0);
    int issues = 0;
    TT_CHECK_EQ_INT(check_wk_file(p, NTHR + NPROC, acked, &issues), (NTHR + NPROC) * COUNT);
    TT_CHECK_EQ_INT(issues, 0);
}

/* Item 2: writer A's append fails after its first write; before that
 * failing write, writer B (another thread, then another process) appends.
 * B's acknowledged message must survive A's rollback, and A's partial
 * bytes must go.  B gets 300 ms: with the lock it waits for A instead. */
static const char *rb_path;
static atomic_int rb_b_result;
static pid_t rb_child;

static void *rb_b_thread(void *unused) {
    (void)unused;
    tgm_file_t *f = NULL;
    tgm_error e = tgm_file_open(rb_path, &f);
    if (e == TGM_ERROR_OK) {
        e = append_wk(f, 1, 0, 64);
        tgm_file_close(f);
    }
    atomic_store(&rb_b_result, (int)e);
    return NULL;
}

static pthread_t rb_thread;

static void hook_b_thread(void) {
    atomic_store(&rb_b_result, -1);
    pthread_create(&rb_thread, NULL, rb_b_thread, NULL);
    for (int i = 0; i < 30 && atomic_load(&rb_b_result) == -1; i++) {
        usleep(10000);
    }
}

static void hook_b_process(void) {
    rb_child = fork();
    if (rb_child == 0) {
        tl_fail = 0;
        tl_hook = NULL;
        rb_b_thread(NULL);
        _exit(atomic_load(&rb_b_result) == TGM_ERROR_OK ? 0 : 1);
    }
    for (int i = 0; i < 30; i++) {
        int st;
        if (waitpid(rb_child, &st, WNOHANG) == rb_child) {
            atomic_store(&rb_b_result, WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1);
            rb_child = 0;
            return;
        }
        usleep(10000);
    }
}

static void test_rollback_spares_other_writers(void) {
    for (int variant = 0; variant < 2; variant++) {
        const char *p = tmp_path(variant ? "rollback_proc.tgm" : "rollback_thread.tgm");
        rb_path = p;
        tgm_file_t *a = NULL;
        TT_ASSERT(tgm_file_create(p, &a) == TGM_ERROR_OK);
        TT_CHECK_ERR(append_wk(a, 0, 0, 64), TGM_ERROR_OK);
        atomic_store(&write_cap, 1000);
        rb_child = 0;
        tl_skip = 1; /* A's first write goes through ... */
        tl_hook = variant ? hook_b_process : hook_b_thread;
        tl_fail = 1; /* ... its second fails, after B had its chance */
        tl_errno = ENOSPC;
        TT_CHECK_ERR(append_wk(a, 0, 1, MSG_VALUES), TGM_ERROR_IO);
        TT_CHECK(strstr(tgm_last_error(), "No space left on device") != NULL);
        tl_skip = tl_fail = 0;
        tl_hook = NULL;
        atomic_store(&write_cap, 0);
        if (variant == 0) {
            pthread_join(rb_thread, NULL);
        } else if (rb_child > 0) {
            int st = 0;
            waitpid(rb_child, &st, 0);
            atomic_store(&rb_b_result, WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1);
        }
        TT_CHECK_EQ_INT(atomic_load(&rb_b_result), TGM_ERROR_OK);
        /* A goes on working after the failure */
        TT_CHECK_ERR(append_wk(a, 0, 1, 64), TGM_ERROR_OK);
        tgm_file_close(a);
        int acked[2] = {2, 1}, issues = -1;
        TT_CHECK_EQ_INT(check_wk_file(p, 2, acked, &issues), 3);
        TT_CHECK_EQ_INT(issues, 0);
    }
}

/* Item 2: another program shrinks the file while A's append is under way,
 * then A's write fails.  A must not "restore" the old size: that would
 * extend the file with a hole of zeros. */
static const char *shrink_path;
static off_t shrink_to;

static void hook_shrink(void) {
    if (truncate(shrink_path, shrink_to) != 0) {
        perror("truncate");
    }
}

static void test_rollback_never_extends(void) {
    const char *p = tmp_path("shrink.tgm");
    tgm_file_t *a = NULL;
    TT_ASSERT(tgm_file_create(p, &a) == TGM_ERROR_OK);
    TT_CHECK_ERR(append_wk(a, 0, 0, 64), TGM_ERROR_OK);
    shrink_to = (off_t)size_of(p);
    TT_CHECK_ERR(append_wk(a, 0, 1, 64), TGM_ERROR_OK);
    shrink_path = p;
    atomic_store(&write_cap, 1000);
    tl_skip = 1;
    tl_hook = hook_shrink;
    tl_fail = 1;
    tl_errno = EIO;
    TT_CHECK_ERR(append_wk(a, 0, 2, MSG_VALUES), TGM_ERROR_IO);
    tl_skip = tl_fail = 0;
    tl_hook = NULL;
    atomic_store(&write_cap, 0);
    tgm_file_close(a);
    TT_CHECK_EQ_INT(size_of(p), shrink_to);
    int acked[1] = {1}, issues = -1;
    TT_CHECK_EQ_INT(check_wk_file(p, 1, acked, &issues), 1);
    TT_CHECK_EQ_INT(issues, 0);
}

/* ---- full disk ---------------------------------------------------------------- */

/* Writers (2 threads, 2 processes) append until the disk is full, then a
 * few times more (rolled-back appends free space for others).  Acks of the
 * processes come back through a pipe. */
typedef struct fill_arg {
    const char *path;
    int w;
    int acked;
    int fd; /* pipe to report to, or -1 */
    bool limit_fsize;
} fill_arg;

static void *fill_writer(void *p) {
    fill_arg *a = p;
    if (a->limit_fsize) {
        struct rlimit rl;
        getrlimit(RLIMIT_FSIZE, &rl);
        rl.rlim_cur = 256 * 1024;
        setrlimit(RLIMIT_FSIZE, &rl);
    }
    tgm_file_t *f = NULL;
    if (tgm_file_open(a->path, &f) != TGM_ERROR_OK) {
        return NULL;
    }
    int failures = 0;
    for (int k = 0; failures < 4 && k < 4000; k++) {
        if (append_wk(f, a->w, a->acked, 1000 + 97 * (a->w + k % 5)) == TGM_ERROR_OK) {
            a->acked++;
            if (a->fd >= 0 && __real_write(a->fd, &a->acked, sizeof a->acked) < 0) {
                break;
            }
        } else {
            failures++;
            if (strstr(tgm_last_error(), "No space") == NULL &&
                strstr(tgm_last_error(), "too large") == NULL) {
                fprintf(stderr, "writer %d: unexpected error: %s\n", a->w, tgm_last_error());
            }
        }
    }
    tgm_file_close(f);
    return NULL;
}

/* Run the fill scenario in the current process: returns 0 when all checks
 * passed, 1 otherwise (the caller may be a child). */
static int fill_scenario(const char *p, bool limit_fsize) {
    int failures_before = tt_failures;
    tgm_file_t *f = NULL;
    if (tgm_file_create(p, &f) != TGM_ERROR_OK) {
        fprintf(stderr, "create %s: %s\n", p, tgm_last_error());
        return 1;
    }
    tgm_file_close(f);
    atomic_store(&write_cap, 1024);
    enum { NT = 2, NP = 2 };
    int pipes[NP][2];
    pid_t pids[NP];
    for (int i = 0; i < NP; i++) {
        if (pipe(pipes[i]) != 0) {
            return 1;
        }
        pids[i] = fork();
        if (pids[i] == 0) {
            close(pipes[i][0]);
            fill_arg a = {p, NT + i, 0, pipes[i][1], limit_fsize};
            fill_writer(&a);
            _exit(0);
        }
        close(pipes[i][1]);
    }
    if (limit_fsize) {
        /* the threads share this process's limit: set it here */
        struct rlimit rl;
        getrlimit(RLIMIT_FSIZE, &rl);
        rl.rlim_cur = 256 * 1024;
        setrlimit(RLIMIT_FSIZE, &rl);
    }
    pthread_t th[NT];
    fill_arg args[NT];
    for (int i = 0; i < NT; i++) {
        args[i] = (fill_arg){p, i, 0, -1, false};
        pthread_create(&th[i], NULL, fill_writer, &args[i]);
    }
    int acked[NT + NP];
    for (int i = 0; i < NT; i++) {
        pthread_join(th[i], NULL);
        acked[i] = args[i].acked;
    }
    for (int i = 0; i < NP; i++) {
        int v, last = 0;
        while (read(pipes[i][0], &v, sizeof v) == (ssize_t)sizeof v) {
            last = v;
        }
        close(pipes[i][0]);
        waitpid(pids[i], NULL, 0);
        acked[NT + i] = last;
    }
    if (limit_fsize) {
        struct rlimit rl = {RLIM_INFINITY, RLIM_INFINITY};
        getrlimit(RLIMIT_FSIZE, &rl);
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_FSIZE, &rl);
    }
    atomic_store(&write_cap, 0);
    int total = 0;
    for (int i = 0; i < NT + NP; i++) {
        total += acked[i];
    }
    int issues = -1;
    size_t n = check_wk_file(p, NT + NP, acked, &issues);
    if ((int)n != total || issues != 0 || total < 8) {
        fprintf(stderr, "full disk: %zu messages in the file, %d acknowledged, %d file issues\n", n,
                total, issues);
        tt_failures++;
    }
    int ok = tt_failures == failures_before;
    printf("  full disk (%s): %d appends acknowledged, %s\n",
           limit_fsize ? "RLIMIT_FSIZE, EFBIG" : "tmpfs of 256 KiB, ENOSPC", total,
           ok ? "all readable, no torn bytes" : "FAILED");
    return ok ? 0 : 1;
}

/* Item 2, full disk: a 256 KiB tmpfs in a private mount namespace when
 * this process may mount one (root with CAP_SYS_ADMIN; the test says which
 * ran), and a 256 KiB RLIMIT_FSIZE in any case. */
static void test_full_disk(void) {
    signal(SIGXFSZ, SIG_IGN); /* RLIMIT_FSIZE: fail the write with EFBIG instead */
    char mnt[600];
    snprintf(mnt, sizeof mnt, "%s/tmpfs", dir);
    TT_ASSERT(mkdir(mnt, 0700) == 0);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        /* a private namespace: the mount disappears with this process */
        if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
            mount("tmpfs", mnt, "tmpfs", 0, "size=256k") != 0) {
            _exit(77);
        }
        char p[700];
        snprintf(p, sizeof p, "%s/full.tgm", mnt);
        int rc = fill_scenario(p, false);
        fflush(stdout);
        _exit(rc);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 77) {
        printf("  full disk: cannot mount a tmpfs here; RLIMIT_FSIZE only\n");
    } else {
        TT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    /* The same with a file size limit (EFBIG), which needs no privilege;
     * in a child, so that the limit does not outlive the scenario. */
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        int rc = fill_scenario(tmp_path("full.tgm"), true);
        fflush(stdout);
        _exit(rc);
    }
    waitpid(pid, &st, 0);
    TT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* ---- kill -9 ------------------------------------------------------------------- */

/* Items 1 and 2: a child appends (or streams) in a loop and reports each
 * acknowledged message; it is killed with SIGKILL after `after` acks, in
 * the middle of its next append.  Every acknowledged message must be
 * readable, the torn one reported, and appends after it found. */
static void test_kill_mid_append(int streaming) {
    const char *p = tmp_path(streaming ? "killed_stream.tgm" : "killed_append.tgm");
    tgm_file_t *f = NULL;
    TT_ASSERT(tgm_file_create(p, &f) == TGM_ERROR_OK);
    tgm_file_close(f);
    int pp[2];
    TT_ASSERT(pipe(pp) == 0);
    atomic_store(&write_cap, 256);
    pid_t pid = fork();
    if (pid == 0) {
        close(pp[0]);
        if (!streaming) {
            tgm_file_t *c = NULL;
            if (tgm_file_open(p, &c) != TGM_ERROR_OK) {
                _exit(1);
            }
            for (int k = 0; k < 100000; k++) {
                if (append_wk(c, 0, k, MSG_VALUES) != TGM_ERROR_OK) {
                    _exit(1);
                }
                if (__real_write(pp[1], &k, sizeof k) < 0) {
                    _exit(1);
                }
            }
            _exit(0);
        }
        /* streaming: one message, objects reported as they are written */
        int fd = open(p, O_WRONLY | O_APPEND);
        tgm_streaming_options o = TGM_STREAMING_OPTIONS_INIT;
        o.hash_algo = "xxh3";
        tgm_streaming_encoder_t *enc = NULL;
        if (tgm_streaming_encoder_create_fd(fd, "{}", &o, &enc) != TGM_ERROR_OK) {
            _exit(1);
        }
        int32_t v[MSG_VALUES] = {0};
        for (int k = 0; k < 100000; k++) {
            if (tgm_streaming_encoder_write(enc, desc_json(MSG_VALUES), (const uint8_t *)v,
                                            sizeof v) != TGM_ERROR_OK ||
                __real_write(pp[1], &k, sizeof k) < 0) {
                _exit(1);
            }
        }
        _exit(0);
    }
    close(pp[1]);
    atomic_store(&write_cap, 0);
    int k = -1, acks = 0;
    while (acks < 12 && read(pp[0], &k, sizeof k) == (ssize_t)sizeof k) {
        acks++;
    }
    usleep(200); /* into the next append */
    kill(pid, SIGKILL);
    int st;
    waitpid(pid, &st, 0);
    /* acks that were in the pipe when the child died */
    while (read(pp[0], &k, sizeof k) == (ssize_t)sizeof k) {
        acks++;
    }
    close(pp[0]);
    TT_CHECK(WIFSIGNALED(st));
    uint64_t torn_at = 0; /* where the torn part starts: after the last whole message */
    TT_ASSERT(tgm_file_open(p, &f) == TGM_ERROR_OK);
    size_t n = 0;
    TT_ASSERT(tgm_file_message_count(f, &n) == TGM_ERROR_OK);
    if (streaming) {
        TT_CHECK_EQ_INT(n, 0); /* the stream never finished */
    } else {
        TT_CHECK(n == (size_t)acks || n == (size_t)acks + 1);
        if (n > 0) {
            uint64_t off, len;
            TT_CHECK_ERR(tgm_file_message_layout(f, n - 1, &off, &len), TGM_ERROR_OK);
            torn_at = off + len;
        }
    }
    /* the lock died with the child: appends go on, and are found */
    TT_CHECK_ERR(append_wk(f, 0, 100001, 64), TGM_ERROR_OK);
    TT_CHECK_ERR(append_wk(f, 0, 100002, 64), TGM_ERROR_OK);
    tgm_file_close(f);
    TT_ASSERT(tgm_file_open(p, &f) == TGM_ERROR_OK);
    size_t n2 = 0;
    TT_ASSERT(tgm_file_message_count(f, &n2) == TGM_ERROR_OK);
    TT_CHECK_EQ_INT(n2, n + 2);
    for (size_t i = 0; i < n2; i++) {
        tgm_message_t *m = NULL;
        TT_CHECK_ERR(tgm_file_decode_message(f, i, 1, 0, 1, &m), TGM_ERROR_OK);
        tgm_message_free(m);
    }
    uint64_t off, len;
    TT_CHECK_ERR(tgm_file_message_layout(f, n, &off, &len), TGM_ERROR_OK);
    tgm_file_close(f);
    if (off > torn_at) {
        /* the torn message is reported with its offset and length */
        char needle[96];
        snprintf(needle, sizeof needle, "{\"byte_offset\":%llu,\"length\":%llu,",
                 (unsigned long long)torn_at, (unsigned long long)(off - torn_at));
        TT_CHECK(report_has(p, needle));
    } else {
        TT_CHECK(streaming == 0); /* killed between two appends: nothing torn */
    }
}

static void test_kill_mid_append_buffered(void) { test_kill_mid_append(0); }
static void test_kill_mid_stream(void) { test_kill_mid_append(1); }

/* Item 3 at full scale (opt-in: TGM_TEST_HUGE_APPEND=1; needs 4.5 GB of
 * memory and 2.3 GB in $TMPDIR, about 30 s): a 2.2 GB message takes two
 * write() calls (Linux writes at most 0x7ffff000 bytes per call) while
 * another process appends small messages as fast as it can.  The big
 * message must land whole and every small one must be readable. */
static void test_huge_append(void) {
    const char *opt = getenv("TGM_TEST_HUGE_APPEND");
    if (opt == NULL || strcmp(opt, "1") != 0) {
        TT_SKIP("huge append (set TGM_TEST_HUGE_APPEND=1 to run it)");
        return;
    }
    const size_t n = (size_t)2200 * 1000 * 1000;
    uint8_t *data = malloc(n);
    TT_ASSERT(data != NULL);
    for (size_t i = 0; i < n; i += 4096) {
        data[i] = (uint8_t)(i >> 12);
    }
    char meta[512];
    snprintf(meta, sizeof meta,
             "{\"base\":[{\"w\":9,\"k\":0}],\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":1,"
             "\"shape\":[%zu],\"strides\":[1],\"dtype\":\"uint8\",\"encoding\":\"none\","
             "\"filter\":\"none\",\"compression\":\"none\"}]}",
             n);
    const uint8_t *ptrs[1] = {data};
    size_t lens[1] = {n};
    tgm_bytes_t big;
    TT_ASSERT(tgm_encode(meta, ptrs, lens, 1, "xxh3", 0, &big) == TGM_ERROR_OK);
    free(data);
    const char *p = tmp_path("huge.tgm");
    tgm_file_t *f = NULL;
    TT_ASSERT(tgm_file_create(p, &f) == TGM_ERROR_OK);
    int pp[2];
    TT_ASSERT(pipe(pp) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        close(pp[0]);
        tgm_file_t *c = NULL;
        if (tgm_file_open(p, &c) != TGM_ERROR_OK) {
            _exit(1);
        }
        for (int k = 0; k < 1000000; k++) {
            if (append_wk(c, 0, k, 64) != TGM_ERROR_OK || __real_write(pp[1], &k, sizeof k) < 0) {
                _exit(1);
            }
        }
        _exit(0);
    }
    close(pp[1]);
    int k = -1, acks = 0;
    while (acks < 10 && read(pp[0], &k, sizeof k) == (ssize_t)sizeof k) {
        acks++;
    }
    TT_CHECK_ERR(tgm_file_append_raw(f, big.data, big.len), TGM_ERROR_OK);
    while (acks < 20 && read(pp[0], &k, sizeof k) == (ssize_t)sizeof k) {
        acks++;
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    while (read(pp[0], &k, sizeof k) == (ssize_t)sizeof k) {
        acks++;
    }
    close(pp[0]);
    tgm_file_close(f);
    tgm_bytes_free(big);
    TT_ASSERT(tgm_file_open(p, &f) == TGM_ERROR_OK);
    size_t count = 0;
    TT_ASSERT(tgm_file_message_count(f, &count) == TGM_ERROR_OK);
    int found_big = 0, small = 0;
    for (size_t i = 0; i < count; i++) {
        uint64_t off, len;
        TT_CHECK_ERR(tgm_file_message_layout(f, i, &off, &len), TGM_ERROR_OK);
        tgm_message_t *m = NULL;
        TT_CHECK_ERR(tgm_file_decode_message(f, i, 1, 0, 1, &m), TGM_ERROR_OK);
        size_t dl = 0;
        if (m != NULL && tgm_object_data(m, 0, &dl) != NULL && dl == n) {
            found_big++;
        } else {
            small++;
        }
        tgm_message_free(m);
    }
    tgm_file_close(f);
    TT_CHECK_EQ_INT(found_big, 1);
    TT_CHECK(small == acks || small == acks + 1);
    printf("  huge append: %s among %d concurrent appends\n",
           found_big == 1 ? "the 2.2 GB message is whole" : "FAILED", small);
}

/* ---- the file changes under an open handle ----------------------------------- */

/* Kilobytes of this process's address space that map the file at `path`
 * (matched by inode in /proc/self/maps, so independent of the allocator and
 * of sanitizer shadow memory); -1 when it cannot be read. */
static long mapped_kb_of(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) {
        return -1;
    }
    FILE *f = fopen("/proc/self/maps", "r");
    if (f == NULL) {
        return -1;
    }
    char line[4096];
    unsigned long long total = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        unsigned long long lo = 0, hi = 0, ino = 0;
        if (sscanf(line, "%llx-%llx %*s %*s %*s %llu", &lo, &hi, &ino) == 3 &&
            ino == (unsigned long long)st.st_ino && hi > lo) {
            total += hi - lo;
        }
    }
    fclose(f);
    return (long)(total / 1024);
}

#define BIG_VALUES (600 * 1024) /* 2.4 MB: read through the mapping */

/* Checks inside a child process: a failure prints and counts here, the
 * parent sees the exit status (and a signal if the child dies of one). */
static int child_failures;
#define CHILD_CHECK(cond)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: [child] check failed: %s (%s)\n", __FILE__, __LINE__, #cond,   \
                    tgm_last_error() ? tgm_last_error() : "");                                     \
            child_failures++;                                                                      \
        }                                                                                          \
    } while (0)

/* Item 4: another program truncates, then rewrites, the file under an open
 * handle whose index covers it.  Reading a message that is gone must give
 * TGM_ERROR_IO ("changed underneath") and a rescan, never SIGBUS; then the
 * handle works on what the file holds now.  Run in a child so that a
 * signal fails the test instead of killing it. */
static void truncated_under_handle(const char *p) {
    tgm_file_t *f = NULL;
    CHILD_CHECK(tgm_file_create(p, &f) == TGM_ERROR_OK);
    for (int k = 0; k < 3; k++) {
        CHILD_CHECK(append_step(f, k, 64) == TGM_ERROR_OK);
    }
    CHILD_CHECK(append_step(f, 3, BIG_VALUES) == TGM_ERROR_OK);
    for (int k = 4; k < 7; k++) {
        CHILD_CHECK(append_step(f, k, 64) == TGM_ERROR_OK);
    }
    tgm_file_close(f);
    CHILD_CHECK(tgm_file_open(p, &f) == TGM_ERROR_OK);
    size_t n = 0;
    CHILD_CHECK(tgm_file_message_count(f, &n) == TGM_ERROR_OK && n == 7);
    /* touch the big message through the mapping before the cut */
    tgm_message_t *m = NULL;
    CHILD_CHECK(tgm_file_decode_object(f, 3, 0, 1, 0, 1, &m) == TGM_ERROR_OK);
    tgm_message_free(m);
    m = NULL;
    uint64_t off3 = 0, len3 = 0;
    CHILD_CHECK(tgm_file_message_layout(f, 3, &off3, &len3) == TGM_ERROR_OK);
    /* another program cuts the file in the middle of the big message */
    CHILD_CHECK(truncate(p, (off_t)(off3 + len3 / 2)) == 0);
    CHILD_CHECK(tgm_file_decode_object(f, 3, 0, 1, 0, 1, &m) == TGM_ERROR_IO);
    CHILD_CHECK(strstr(tgm_last_error(), "changed underneath") != NULL);
    CHILD_CHECK(tgm_file_decode_message(f, 5, 1, 0, 1, &m) != TGM_ERROR_OK);
    tgm_bytes_t b;
    CHILD_CHECK(tgm_file_read_message(f, 6, &b) != TGM_ERROR_OK);
    /* the handle scanned again: three messages are left, readable */
    CHILD_CHECK(tgm_file_message_count(f, &n) == TGM_ERROR_OK && n == 3);
    CHILD_CHECK(has_step(f, 2, 2));
    /* rewritten: other messages at other offsets, the file as long as before */
    tgm_file_t *w = NULL;
    CHILD_CHECK(tgm_file_create(p, &w) == TGM_ERROR_OK);
    CHILD_CHECK(append_step(w, 10, BIG_VALUES + 5) == TGM_ERROR_OK);
    CHILD_CHECK(append_step(w, 11, 100) == TGM_ERROR_OK);
    tgm_file_close(w);
    CHILD_CHECK(tgm_file_decode_message(f, 1, 1, 0, 1, &m) == TGM_ERROR_IO);
    CHILD_CHECK(strstr(tgm_last_error(), "changed underneath") != NULL);
    CHILD_CHECK(tgm_file_message_count(f, &n) == TGM_ERROR_OK && n == 2);
    CHILD_CHECK(has_step(f, 0, 10));
    CHILD_CHECK(has_step(f, 1, 11));
    tgm_file_close(f);
}

static void test_truncated_under_handle(void) {
    for (int nommap = 0; nommap < 2; nommap++) {
        fflush(stdout);
        fflush(stderr);
        pid_t pid = fork();
        if (pid == 0) {
            if (nommap) {
                setenv("TENSOGRAM_FILE_MMAP", "0", 1);
            }
            truncated_under_handle(tmp_path(nommap ? "shrunk_nommap.tgm" : "shrunk.tgm"));
            _exit(child_failures ? 1 : 0);
        }
        int st = 0;
        waitpid(pid, &st, 0);
        if (WIFSIGNALED(st)) {
            fprintf(stderr, "truncated under handle: the reader died of signal %d (%s)\n",
                    WTERMSIG(st), strsignal(WTERMSIG(st)));
        }
        TT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
}

/* Item 5: one handle alternately appends a 2.4 MB message and reads it
 * (through the mapping) 60 times.  The bytes mapped from the file must stay
 * within a small multiple of its size: each growth must not keep another
 * full-size mapping until close. */
static void test_mapping_growth(void) {
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        const char *p = tmp_path("growing.tgm");
        tgm_file_t *f = NULL;
        CHILD_CHECK(tgm_file_create(p, &f) == TGM_ERROR_OK);
        enum { CYCLES = 60 };
        long peak = 0, over = 0;
        for (int k = 0; k < CYCLES && child_failures == 0; k++) {
            CHILD_CHECK(append_step(f, k, BIG_VALUES) == TGM_ERROR_OK);
            tgm_metadata_t *md = NULL;
            CHILD_CHECK(tgm_file_decode_metadata(f, (size_t)k, &md) == TGM_ERROR_OK);
            CHILD_CHECK(tgm_metadata_get_int(md, "step", -1) == k);
            tgm_metadata_free(md);
            long now = mapped_kb_of(p), file_now = (long)(size_of(p) / 1024);
            peak = now > peak ? now : peak;
            /* Geometric reservations (src/io/source.c): all mappings
             * together stay below twice the last, the last below twice the
             * file plus a grain. */
            if (now > 4 * file_now + 2048 && over == 0) {
                over = now;
                printf("  cycle %d: %ld KiB mapped for a file of %ld KiB\n", k, now, file_now);
            }
        }
        long file_kb = (long)(size_of(p) / 1024);
        printf("  %d append/read cycles: file %ld MB, at most %ld MB of it mapped at once\n",
               CYCLES, file_kb / 1024, peak / 1024);
        /* The reads went through a mapping (so the measure sees it), and
         * the growths did not pile up mappings: keeping a full-size
         * mapping per growth until close would map about CYCLES / 2 times
         * the file. */
        CHILD_CHECK(peak > 0);
        CHILD_CHECK(over == 0);
        tgm_file_close(f);
        fflush(stdout);
        _exit(child_failures ? 1 : 0);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    TT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/tgm-test-safety-XXXXXX");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    TT_RUN(test_torn_streaming_then_complete);
    TT_RUN(test_torn_claim_reaches_later_message);
    TT_RUN(test_concurrent_appenders);
    TT_RUN(test_rollback_spares_other_writers);
    TT_RUN(test_rollback_never_extends);
    TT_RUN(test_full_disk);
    TT_RUN(test_kill_mid_append_buffered);
    TT_RUN(test_kill_mid_stream);
    TT_RUN(test_truncated_under_handle);
    TT_RUN(test_mapping_growth);
    TT_RUN(test_huge_append);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", dir);
    }
    return tt_finish("test_file_safety");
}
