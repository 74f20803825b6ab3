/* The asynchronous API: many concurrent tasks on one file agree with the
 * synchronous calls; cancellation (task, token, queued, running),
 * deadlines, joins and their errors, completion callbacks from the
 * library's threads, notifiers, the streaming encoder's ordering, and
 * shutdown with tasks in flight.  Controlled tasks (a gate the test opens)
 * come from the engine's internal interface, so every ordering checked
 * here is deterministic, and every wait is for an event (a condition
 * variable, a notifier, a completion callback), never a sleep: the
 * results do not depend on how loaded the machine is.  Runs under ASan
 * and TSan in CI. */
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "async/async.h"
#include "tensogram/tensogram.h"
#include "tt.h"

#define WORKERS 3

static char dir[] = "/tmp/tgm_async_XXXXXX";
static char path[256];

/* ---- controlled tasks ----------------------------------------------------------------- */

/* Everything a test waits for is an event signalled under ev_mu: no test
 * sleeps for a time and hopes something happened meanwhile.  Each test
 * counts its own tasks' events in a probe of its own, so a late event of
 * an earlier test's task cannot be miscounted. */
static pthread_mutex_t ev_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ev_cv = PTHREAD_COND_INITIALIZER;
static int gate_open; /* guarded by ev_mu */

typedef struct probe {
    int started;  /* run entered */
    int saw_stop; /* a blocking run left because it was told to stop */
    int ran;      /* run completed its work */
    int freed;    /* the engine is done with the task (its context freed) */
} probe;

typedef struct {
    int blocking; /* wait for the gate */
    uint64_t value;
    probe *pr;
} ctl;

static void bump(int *counter) {
    pthread_mutex_lock(&ev_mu);
    (*counter)++;
    pthread_cond_broadcast(&ev_cv);
    pthread_mutex_unlock(&ev_mu);
}

static int count_of(const int *counter) {
    pthread_mutex_lock(&ev_mu);
    int v = *counter;
    pthread_mutex_unlock(&ev_mu);
    return v;
}

/* Wait until *counter >= n.  The bound (minutes) only keeps a broken
 * engine from hanging the suite; no correct run comes near it. */
static int wait_count(const int *counter, int n) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 300;
    pthread_mutex_lock(&ev_mu);
    while (*counter < n) {
        if (pthread_cond_timedwait(&ev_cv, &ev_mu, &ts) != 0) {
            break;
        }
    }
    int v = *counter;
    pthread_mutex_unlock(&ev_mu);
    return v;
}

/* Tasks stay counted by tgm_async_pending_tasks until their worker lets
 * go of them, just after their completion callback returns: a test that
 * saw the last callback waits (bounded) for the count to drain. */
static uint64_t wait_no_pending(void) {
    for (int i = 0; i < 30000 && tgm_async_pending_tasks() > 0; i++) {
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    return tgm_async_pending_tasks();
}

static tgm_error run_ctl(tgm_async_task_t *t, void *p, tgm__ares *out) {
    (void)t;
    ctl *c = p;
    bump(&c->pr->started);
    if (c->blocking) {
        pthread_mutex_lock(&ev_mu);
        while (!gate_open) {
            /* The stop flag is the engine's cancellation point: polled
             * each millisecond, as long work polls it between steps. */
            if (tgm__async_stop_requested()) {
                c->pr->saw_stop++;
                pthread_cond_broadcast(&ev_cv);
                pthread_mutex_unlock(&ev_mu);
                return TGM_ERROR_CANCELLED;
            }
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 1000000;
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&ev_cv, &ev_mu, &ts);
        }
        pthread_mutex_unlock(&ev_mu);
    }
    bump(&c->pr->ran);
    out->kind = TGM__ARES_SIZE;
    out->size = c->value;
    return TGM_ERROR_OK;
}

static void free_ctl(void *p) {
    ctl *c = p;
    bump(&c->pr->freed);
    free(c);
}
static void no_result(tgm__ares *r) { (void)r; }
static const tgm__atask_ops ctl_ops = {run_ctl, free_ctl, no_result, NULL};

static tgm_async_task_t *submit_ctl(probe *pr, int blocking, uint64_t value,
                                    tgm_cancellation_token_t *tok, uint64_t timeout_ms) {
    ctl *c = malloc(sizeof *c);
    if (c == NULL) {
        return NULL;
    }
    c->blocking = blocking;
    c->value = value;
    c->pr = pr;
    tgm_async_task_t *t = NULL;
    if (tgm__async_submit(&ctl_ops, c, tok, timeout_ms, NULL, &t) != TGM_ERROR_OK) {
        return NULL;
    }
    return t;
}

static void set_gate(int open) {
    pthread_mutex_lock(&ev_mu);
    gate_open = open;
    pthread_cond_broadcast(&ev_cv);
    pthread_mutex_unlock(&ev_mu);
}

/* Wait for `t` to resolve without taking its result (a notifier's
 * descriptor, as an event loop would). */
static bool wait_resolved(tgm_async_task_t *t) {
    tgm_async_notifier_t *n;
    if (tgm_async_notifier_create(&n) != TGM_ERROR_OK) {
        return false;
    }
    bool ok = tgm_async_task_set_notifier(t, n, 1) == TGM_ERROR_OK &&
              tgm_async_notifier_wait(n, 300000) && tgm_async_task_is_ready(t);
    tgm_async_notifier_free(n);
    return ok;
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- the test file ---------------------------------------------------------------------- */

#define NMSG 12
#define NOBJ 3
#define NVAL 20000

static void make_file(void) {
    tgm_file_t *f;
    if (tgm_file_create(path, &f) != TGM_ERROR_OK) {
        fprintf(stderr, "cannot create %s\n", path);
        exit(1);
    }
    static double vals[NOBJ][NVAL];
    const char *meta = "{\"base\":[{\"i\":0},{\"i\":1},{\"i\":2}],\"descriptors\":["
                       "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[20000],\"strides\":[1],"
                       "\"dtype\":\"float64\",\"encoding\":\"none\",\"filter\":\"none\","
                       "\"compression\":\"zstd\"},"
                       "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[20000],\"strides\":[1],"
                       "\"dtype\":\"float64\",\"encoding\":\"simple_packing\","
                       "\"sp_bits_per_value\":16,\"filter\":\"none\",\"compression\":\"none\"},"
                       "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[20000],\"strides\":[1],"
                       "\"dtype\":\"float64\",\"encoding\":\"none\",\"filter\":\"none\","
                       "\"compression\":\"none\"}]}";
    for (int m = 0; m < NMSG; m++) {
        const uint8_t *ptrs[NOBJ];
        size_t lens[NOBJ];
        for (int o = 0; o < NOBJ; o++) {
            double acc = m * 10.0 + o;
            for (int i = 0; i < NVAL; i++) {
                acc += ((i * 7919 + m * 31 + o) % 1000) / 1000.0 - 0.5;
                vals[o][i] = acc;
            }
            ptrs[o] = (const uint8_t *)vals[o];
            lens[o] = sizeof vals[o];
        }
        if (tgm_file_append(f, meta, ptrs, lens, NOBJ, "xxh3", 0) != TGM_ERROR_OK) {
            fprintf(stderr, "append: %s\n", tgm_last_error());
            exit(1);
        }
    }
    tgm_file_close(f);
}

static tgm_async_file_t *open_async(void) {
    tgm_async_task_t *t;
    if (tgm_async_file_open(path, NULL, 0, &t) != TGM_ERROR_OK) {
        return NULL;
    }
    tgm_async_file_t *af = NULL;
    tgm_error e = tgm_async_task_join_async_file(t, &af);
    tgm_async_task_free(t);
    return e == TGM_ERROR_OK ? af : NULL;
}

/* ---- tests ------------------------------------------------------------------------------ */

static void test_configure(void) {
    TT_CHECK_ERR(tgm_runtime_configure(WORKERS, 2, 0), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_runtime_configure(4, 0, 0), TGM_ERROR_INVALID_ARG);
    TT_CHECK(tgm_last_error() != NULL && strstr(tgm_last_error(), "already") != NULL);
}

/* Many tasks of every kind on one handle, all in flight together, give
 * exactly what the synchronous calls give. */
static void test_many_tasks_match_sync(void) {
    tgm_file_t *sf;
    TT_ASSERT(tgm_file_open(path, &sf) == TGM_ERROR_OK);
    tgm_async_file_t *af = open_async();
    TT_ASSERT(af != NULL);
    TT_CHECK_EQ_STR(tgm_async_file_path(af), path);

    enum { N = 1000 };
    static tgm_async_task_t *obj[N];
    for (int i = 0; i < N; i++) {
        TT_ASSERT(tgm_async_file_decode_object(af, (size_t)(i % NMSG), (size_t)(i / NMSG % NOBJ),
                                               true, (uint32_t)(i % 3), true, i % 2 == 0, NULL, 0,
                                               &obj[i]) == TGM_ERROR_OK);
    }
    tgm_async_task_t *cnt, *msg[NMSG], *meta[NMSG], *raw[NMSG], *rng;
    TT_ASSERT(tgm_async_file_message_count(af, NULL, 0, &cnt) == TGM_ERROR_OK);
    for (int m = 0; m < NMSG; m++) {
        TT_ASSERT(tgm_async_file_decode_message(af, (size_t)m, true, 0, true, true, NULL, 0,
                                                &msg[m]) == TGM_ERROR_OK);
        TT_ASSERT(tgm_async_file_decode_metadata(af, (size_t)m, NULL, 0, &meta[m]) == TGM_ERROR_OK);
        TT_ASSERT(tgm_async_file_read_message(af, (size_t)m, NULL, 0, &raw[m]) == TGM_ERROR_OK);
    }
    uint64_t offs[3] = {0, 100, 19990}, cnts[3] = {5, 50, 10};
    TT_ASSERT(tgm_async_file_decode_range(af, 5, 1, offs, cnts, 3, true, 0, NULL, 0, &rng) ==
              TGM_ERROR_OK);
    /* The caller's handle may go: tasks keep the file open. */
    tgm_async_file_close(af);

    uint64_t n = 0;
    TT_CHECK_ERR(tgm_async_task_join_size(cnt, &n), TGM_ERROR_OK);
    TT_CHECK_EQ_INT(n, NMSG);
    tgm_async_task_free(cnt);

    int mismatches = 0;
    for (int i = 0; i < N; i++) {
        tgm_message_t *a = NULL, *b = NULL;
        tgm_error e = tgm_async_task_join_message(obj[i], &a);
        tgm_async_task_free(obj[i]);
        TT_CHECK_ERR(e, TGM_ERROR_OK);
        TT_CHECK_ERR(
            tgm_file_decode_object(sf, (size_t)(i % NMSG), (size_t)(i / NMSG % NOBJ), 1, 0, 0, &b),
            TGM_ERROR_OK);
        size_t la = 0, lb = 0;
        const uint8_t *da = a ? tgm_object_data(a, 0, &la) : NULL;
        const uint8_t *db = b ? tgm_object_data(b, 0, &lb) : NULL;
        if (da == NULL || db == NULL || la != lb || memcmp(da, db, la) != 0) {
            mismatches++;
        }
        tgm_message_free(a);
        tgm_message_free(b);
    }
    TT_CHECK_EQ_INT(mismatches, 0);

    for (int m = 0; m < NMSG; m++) {
        tgm_message_t *a = NULL, *b = NULL;
        TT_CHECK_ERR(tgm_async_task_join_message(msg[m], &a), TGM_ERROR_OK);
        TT_CHECK_ERR(tgm_file_decode_message(sf, (size_t)m, 1, 0, 1, &b), TGM_ERROR_OK);
        TT_ASSERT(a != NULL && b != NULL);
        TT_CHECK_EQ_INT(tgm_message_num_objects(a), NOBJ);
        for (size_t o = 0; o < NOBJ; o++) {
            size_t la, lb;
            const uint8_t *da = tgm_object_data(a, o, &la), *db = tgm_object_data(b, o, &lb);
            TT_CHECK(la == lb && memcmp(da, db, la) == 0);
        }
        tgm_message_free(a);
        tgm_message_free(b);

        tgm_metadata_t *md = NULL;
        TT_CHECK_ERR(tgm_async_task_join_metadata(meta[m], &md), TGM_ERROR_OK);
        TT_CHECK_EQ_INT(tgm_metadata_get_int_at(md, 2, "i", -1), 2);
        tgm_metadata_free(md);

        tgm_bytes_t ra = {0}, rb = {0};
        TT_CHECK_ERR(tgm_async_task_join_bytes(raw[m], &ra), TGM_ERROR_OK);
        TT_CHECK_ERR(tgm_file_read_message(sf, (size_t)m, &rb), TGM_ERROR_OK);
        TT_CHECK(ra.len == rb.len && ra.len > 0 && memcmp(ra.data, rb.data, ra.len) == 0);
        tgm_bytes_free(ra);
        tgm_bytes_free(rb);
        tgm_async_task_free(msg[m]);
        tgm_async_task_free(meta[m]);
        tgm_async_task_free(raw[m]);
    }

    tgm_bytes_t *parts = NULL;
    size_t np = 0;
    TT_CHECK_ERR(tgm_async_task_join_multi_bytes(rng, &parts, &np), TGM_ERROR_OK);
    tgm_bytes_t want[3];
    size_t nw = 0;
    TT_CHECK_ERR(tgm_file_decode_range(sf, 5, 1, offs, cnts, 3, 1, 0, 0, want, &nw), TGM_ERROR_OK);
    TT_CHECK_EQ_INT(np, 3);
    TT_CHECK_EQ_INT(nw, 3);
    for (size_t i = 0; i < np && i < nw; i++) {
        TT_CHECK(parts[i].len == cnts[i] * 8 && parts[i].len == want[i].len &&
                 memcmp(parts[i].data, want[i].data, parts[i].len) == 0);
        tgm_bytes_free(want[i]);
    }
    tgm_multi_bytes_free(parts, np);
    tgm_async_task_free(rng);
    tgm_file_close(sf);
}

static void test_errors_through_join(void) {
    tgm_async_task_t *t;
    TT_ASSERT(tgm_async_file_open("/nonexistent/dir/x.tgm", NULL, 0, &t) == TGM_ERROR_OK);
    tgm_async_file_t *af = NULL;
    TT_CHECK_ERR(tgm_async_task_join_async_file(t, &af), TGM_ERROR_IO);
    TT_CHECK(af == NULL);
    TT_CHECK(tgm_last_error() != NULL && strstr(tgm_last_error(), "not found") != NULL);
    tgm_async_task_free(t);

    af = open_async();
    TT_ASSERT(af != NULL);
    TT_ASSERT(tgm_async_file_decode_object(af, 99, 0, true, 0, true, false, NULL, 0, &t) ==
              TGM_ERROR_OK);
    tgm_message_t *m = NULL;
    TT_CHECK_ERR(tgm_async_task_join_message(t, &m), TGM_ERROR_FRAMING);
    TT_CHECK(strstr(tgm_last_error(), "out of range") != NULL);
    /* A second join: the result was consumed. */
    TT_CHECK_ERR(tgm_async_task_join_message(t, &m), TGM_ERROR_INVALID_ARG);
    TT_CHECK(strstr(tgm_last_error(), "consumed") != NULL);
    tgm_async_task_free(t);

    /* Wrong join kind: an error, and the result is discarded (no leak). */
    TT_ASSERT(tgm_async_file_decode_object(af, 0, 5, true, 0, true, false, NULL, 0, &t) ==
              TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_async_task_join_message(t, &m), TGM_ERROR_OBJECT);
    tgm_async_task_free(t);
    TT_ASSERT(tgm_async_file_message_count(af, NULL, 0, &t) == TGM_ERROR_OK);
    tgm_bytes_t b;
    TT_CHECK_ERR(tgm_async_task_join_bytes(t, &b), TGM_ERROR_INVALID_ARG);
    TT_CHECK(strstr(tgm_last_error(), "mismatch") != NULL);
    tgm_async_task_free(t);
    TT_ASSERT(tgm_async_file_decode_message(af, 0, true, 0, true, false, NULL, 0, &t) ==
              TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_async_task_join_void(t), TGM_ERROR_INVALID_ARG);
    tgm_async_task_free(t);

    /* Hash verification errors keep their object index. */
    TT_ASSERT(tgm_async_file_decode_message(af, 0, true, 0, true, true, NULL, 0, &t) ==
              TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_async_task_join_message(t, &m), TGM_ERROR_OK);
    tgm_message_free(m);
    tgm_async_task_free(t);

    /* Argument errors are immediate and produce no task. */
    t = NULL;
    TT_CHECK_ERR(tgm_async_file_open(NULL, NULL, 0, &t), TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm_async_file_message_count(NULL, NULL, 0, &t), TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm_async_file_decode_range(af, 0, 0, NULL, NULL, 1, true, 0, NULL, 0, &t),
                 TGM_ERROR_INVALID_ARG);
    TT_CHECK(t == NULL);
    TT_CHECK_ERR(tgm_async_task_join_void(NULL), TGM_ERROR_INVALID_ARG);
    TT_CHECK(!tgm_async_task_is_ready(NULL));
    tgm_async_task_cancel(NULL);
    tgm_async_task_free(NULL);
    tgm_async_file_close(NULL);
    TT_CHECK(tgm_async_file_path(NULL) == NULL);
    tgm_async_file_close(af);
}

/* Cancel queued tasks (directly and by token) and a running one. */
static void test_cancel(void) {
    static probe pb, pq;
    set_gate(0);
    tgm_async_task_t *block[WORKERS];
    for (int i = 0; i < WORKERS; i++) {
        block[i] = submit_ctl(&pb, 1, 100 + (uint64_t)i, NULL, 0);
        TT_ASSERT(block[i] != NULL);
    }
    /* Every worker is now inside a blocker: nothing queued after this can
     * start until a blocker leaves. */
    TT_ASSERT(wait_count(&pb.started, WORKERS) == WORKERS);

    tgm_cancellation_token_t *tok = tgm_cancellation_token_create();
    TT_ASSERT(tok != NULL);
    tgm_async_task_t *q[6];
    for (int i = 0; i < 6; i++) {
        q[i] = submit_ctl(&pq, 0, (uint64_t)i, i >= 3 ? tok : NULL, 0);
        TT_ASSERT(q[i] != NULL);
    }
    TT_CHECK(!tgm_async_task_is_ready(q[0]));
    tgm_async_task_cancel(q[1]);
    TT_CHECK(tgm_async_task_is_ready(q[1]));
    TT_CHECK(!tgm_cancellation_token_is_cancelled(tok));
    tgm_cancellation_token_cancel(tok);
    tgm_cancellation_token_cancel(tok); /* idempotent */
    TT_CHECK(tgm_cancellation_token_is_cancelled(tok));
    for (int i = 3; i < 6; i++) {
        TT_CHECK(tgm_async_task_is_ready(q[i]));
    }
    /* A task given an already cancelled token never runs. */
    tgm_async_task_t *late = submit_ctl(&pq, 0, 7, tok, 0);
    TT_ASSERT(late != NULL);
    TT_CHECK(tgm_async_task_is_ready(late));
    TT_CHECK_ERR(tgm_async_task_join_void(late), TGM_ERROR_CANCELLED);
    TT_CHECK(strstr(tgm_last_error(), "cancelled") != NULL);
    tgm_async_task_free(late);
    tgm_cancellation_token_free(tok); /* tasks keep their own reference */
    /* Cancelled queued tasks left the engine without running. */
    TT_CHECK_EQ_INT(wait_count(&pq.freed, 5), 5);
    TT_CHECK_EQ_INT(count_of(&pq.started), 0);

    /* Cancel a running task: it resolves at once; its work sees the stop. */
    tgm_async_task_cancel(block[0]);
    TT_CHECK(tgm_async_task_is_ready(block[0]));
    uint64_t v;
    TT_CHECK_ERR(tgm_async_task_join_size(block[0], &v), TGM_ERROR_CANCELLED);
    TT_CHECK_EQ_INT(wait_count(&pb.saw_stop, 1), 1);

    set_gate(1);
    for (int i = 1; i < WORKERS; i++) {
        TT_CHECK_ERR(tgm_async_task_join_size(block[i], &v), TGM_ERROR_OK);
        TT_CHECK_EQ_INT(v, 100 + i);
    }
    for (int i = 0; i < 6; i++) {
        tgm_error e = tgm_async_task_join_size(q[i], &v);
        if (i == 1 || i >= 3) {
            TT_CHECK_ERR(e, TGM_ERROR_CANCELLED);
        } else {
            TT_CHECK_ERR(e, TGM_ERROR_OK);
            TT_CHECK_EQ_INT(v, i);
        }
        tgm_async_task_free(q[i]);
    }
    for (int i = 0; i < WORKERS; i++) {
        tgm_async_task_free(block[i]);
    }
    /* Once the engine is done with all of them: only the two uncancelled
     * queued tasks and the released blockers ran; the cancelled blocker
     * stopped without finishing its work. */
    TT_CHECK_EQ_INT(wait_count(&pq.freed, 7), 7);
    TT_CHECK_EQ_INT(wait_count(&pb.freed, WORKERS), WORKERS);
    TT_CHECK_EQ_INT(count_of(&pq.ran), 2);
    TT_CHECK_EQ_INT(count_of(&pb.ran), WORKERS - 1);
    TT_CHECK_EQ_INT(count_of(&pb.saw_stop), 1);
}

static void test_timeout(void) {
    set_gate(0);
    /* A running task with a deadline: the join reports the timeout, and
     * the work is told to stop.  The deadline runs from submission, so on
     * a loaded machine it may pass before a worker picks the task up
     * (then the task never runs, which is also checked); each round
     * doubles the deadline until one round timed out a running task. */
    bool running_case = false;
    for (uint64_t ms = 60; ms <= 16000 && !running_case; ms *= 2) {
        static probe pr;
        memset(&pr, 0, sizeof pr);
        double t0 = now_ms();
        tgm_async_task_t *t = submit_ctl(&pr, 1, 1, NULL, ms);
        TT_ASSERT(t != NULL);
        uint64_t v;
        TT_CHECK_ERR(tgm_async_task_join_size(t, &v), TGM_ERROR_TIMEOUT);
        TT_CHECK(strstr(tgm_last_error(), "timed out") != NULL);
        double waited = now_ms() - t0;
        TT_CHECK(waited >= (double)ms - 5);
        tgm_async_task_free(t);
        /* When the engine has let go of the task, it either ran and saw
         * the stop, or never ran. */
        TT_ASSERT(wait_count(&pr.freed, 1) == 1);
        int started = count_of(&pr.started);
        TT_CHECK_EQ_INT(count_of(&pr.ran), 0);
        TT_CHECK_EQ_INT(count_of(&pr.saw_stop), started);
        running_case = started == 1;
    }
    TT_CHECK(running_case);

    /* Deadlines that pass while tasks are still queued: they never run.
     * Earlier deadlines fire first whatever the submission order (the
     * notifier queues tags in resolution order). */
    static probe pb, pq;
    tgm_async_task_t *block[WORKERS];
    for (int i = 0; i < WORKERS; i++) {
        block[i] = submit_ctl(&pb, 1, 0, NULL, 0);
    }
    TT_ASSERT(wait_count(&pb.started, WORKERS) == WORKERS);
    tgm_async_notifier_t *n;
    TT_ASSERT(tgm_async_notifier_create(&n) == TGM_ERROR_OK);
    tgm_async_task_t *slow = submit_ctl(&pq, 0, 2, NULL, 1500);
    tgm_async_task_t *fast = submit_ctl(&pq, 0, 3, NULL, 30);
    tgm_async_task_t *none = submit_ctl(&pq, 0, 4, NULL, 0);
    TT_ASSERT(slow != NULL && fast != NULL && none != NULL);
    TT_ASSERT(tgm_async_task_set_notifier(slow, n, 2) == TGM_ERROR_OK);
    TT_ASSERT(tgm_async_task_set_notifier(fast, n, 3) == TGM_ERROR_OK);
    uint64_t order[2];
    size_t got = 0;
    while (got < 2 && tgm_async_notifier_wait(n, 300000)) {
        got += tgm_async_notifier_drain(n, order + got, 2 - got);
    }
    TT_CHECK_EQ_INT(got, 2);
    TT_CHECK_EQ_INT(order[0], 3);
    TT_CHECK_EQ_INT(order[1], 2);
    tgm_async_notifier_free(n);
    uint64_t v;
    TT_CHECK_ERR(tgm_async_task_join_size(fast, &v), TGM_ERROR_TIMEOUT);
    TT_CHECK_ERR(tgm_async_task_join_size(slow, &v), TGM_ERROR_TIMEOUT);
    /* Every worker is still blocked: the task without a deadline waits. */
    TT_CHECK(!tgm_async_task_is_ready(none));
    TT_CHECK_EQ_INT(count_of(&pq.started), 0);
    set_gate(1);
    TT_CHECK_ERR(tgm_async_task_join_size(none, &v), TGM_ERROR_OK);
    TT_CHECK_EQ_INT(v, 4);
    for (int i = 0; i < WORKERS; i++) {
        TT_CHECK_ERR(tgm_async_task_join_size(block[i], &v), TGM_ERROR_OK);
        tgm_async_task_free(block[i]);
    }
    tgm_async_task_free(slow);
    tgm_async_task_free(fast);
    tgm_async_task_free(none);
    TT_CHECK_EQ_INT(wait_count(&pq.freed, 3), 3);
    TT_CHECK_EQ_INT(wait_count(&pb.freed, WORKERS), WORKERS);
    TT_CHECK_EQ_INT(count_of(&pq.ran), 1);
    TT_CHECK_EQ_INT(count_of(&pb.ran), WORKERS);
}

/* Completion callbacks run on library threads; they may join and free.
 * (No TT_CHECK in callbacks: the harness counters are not atomic.) */
static pthread_t main_thread;
static int cb_count, cb_on_main, cb_ok; /* guarded by ev_mu */

static void on_done(void *ud) {
    tgm_async_task_t *t = ud;
    if (pthread_equal(pthread_self(), main_thread)) {
        bump(&cb_on_main);
    }
    tgm_message_t *m = NULL;
    if (tgm_async_task_is_ready(t) && tgm_async_task_join_message(t, &m) == TGM_ERROR_OK &&
        tgm_message_num_objects(m) == 1) {
        bump(&cb_ok);
    }
    tgm_message_free(m);
    tgm_async_task_free(t);
    bump(&cb_count);
}

static void count_cb(void *ud) { bump(ud); }

static void test_callbacks(void) {
    main_thread = pthread_self();
    tgm_async_file_t *af = open_async();
    TT_ASSERT(af != NULL);
    enum { N = 300 };
    for (int i = 0; i < N; i++) {
        tgm_async_task_t *t;
        TT_ASSERT(tgm_async_file_decode_object(af, (size_t)(i % NMSG), (size_t)(i % NOBJ), true, 0,
                                               true, false, NULL, 0, &t) == TGM_ERROR_OK);
        TT_ASSERT(tgm_async_task_set_completion(t, on_done, t) == TGM_ERROR_OK);
    }
    tgm_async_file_close(af);
    TT_CHECK_EQ_INT(wait_count(&cb_count, N), N);
    TT_CHECK_EQ_INT(count_of(&cb_ok), N);
    TT_CHECK_EQ_INT(count_of(&cb_on_main), 0);

    /* Registration rules: once per task; on a resolved task it still fires. */
    static probe pr;
    static int fired;
    tgm_async_task_t *t = submit_ctl(&pr, 0, 1, NULL, 0);
    uint64_t v;
    TT_ASSERT(tgm_async_task_join_size(t, &v) == TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_async_task_set_completion(t, count_cb, &fired), TGM_ERROR_INVALID_ARG);
    tgm_async_task_free(t);
    t = submit_ctl(&pr, 0, 1, NULL, 0);
    TT_ASSERT(wait_resolved(t));
    TT_CHECK_ERR(tgm_async_task_set_completion(t, count_cb, &fired), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_async_task_set_completion(t, count_cb, &fired), TGM_ERROR_INVALID_ARG);
    TT_CHECK_EQ_INT(wait_count(&fired, 1), 1);
    tgm_async_task_free(t);
    TT_CHECK_EQ_INT(wait_count(&pr.freed, 2), 2);
    TT_CHECK_EQ_INT(count_of(&fired), 1);
}

/* One descriptor for many tasks: every tag exactly once, no thread per
 * task, the descriptor quiet once drained. */
static void test_notifier(void) {
    tgm_async_notifier_t *n;
    TT_ASSERT(tgm_async_notifier_create(&n) == TGM_ERROR_OK);
    int fd = tgm_async_notifier_fd(n);
    TT_ASSERT(fd >= 0);
    struct pollfd p = {fd, POLLIN, 0};
    TT_CHECK_EQ_INT(poll(&p, 1, 0), 0);

    tgm_async_file_t *af = open_async();
    TT_ASSERT(af != NULL);
    enum { N = 500 };
    static tgm_async_task_t *t[N];
    static int seen[N];
    memset(seen, 0, sizeof seen);
    for (int i = 0; i < N; i++) {
        TT_ASSERT(tgm_async_file_decode_object(af, (size_t)(i % NMSG), (size_t)(i % NOBJ), true, 0,
                                               true, false, NULL, 0, &t[i]) == TGM_ERROR_OK);
        TT_ASSERT(tgm_async_task_set_notifier(t[i], n, (uint64_t)i) == TGM_ERROR_OK);
    }
    TT_CHECK_ERR(tgm_async_task_set_notifier(t[0], n, 0), TGM_ERROR_INVALID_ARG);
    int done = 0, dup = 0, bad = 0;
    while (done < N) {
        if (!tgm_async_notifier_wait(n, 120000)) {
            break;
        }
        uint64_t tags[64];
        size_t k = tgm_async_notifier_drain(n, tags, 64);
        for (size_t j = 0; j < k; j++) {
            uint64_t i = tags[j];
            if (i >= N || seen[i]++) {
                dup++;
                continue;
            }
            TT_CHECK(tgm_async_task_is_ready(t[i]));
            tgm_message_t *m = NULL;
            if (tgm_async_task_join_message(t[i], &m) != TGM_ERROR_OK) {
                bad++;
            }
            tgm_message_free(m);
            tgm_async_task_free(t[i]);
            done++;
        }
    }
    TT_CHECK_EQ_INT(done, N);
    TT_CHECK_EQ_INT(dup, 0);
    TT_CHECK_EQ_INT(bad, 0);
    TT_CHECK_EQ_INT(poll(&p, 1, 0), 0);
    uint64_t tags[4];
    TT_CHECK_EQ_INT(tgm_async_notifier_drain(n, tags, 4), 0);

    /* Registering after resolution queues the tag at once; freeing the
     * notifier with tags queued and tasks pending is safe. */
    static probe pr;
    tgm_async_task_t *r = submit_ctl(&pr, 0, 1, NULL, 0);
    uint64_t v;
    TT_ASSERT(tgm_async_task_join_size(r, &v) == TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_async_task_set_notifier(r, n, 77), TGM_ERROR_OK);
    TT_CHECK(tgm_async_notifier_wait(n, 0));
    TT_CHECK_EQ_INT(tgm_async_notifier_drain(n, tags, 4), 1);
    TT_CHECK_EQ_INT(tags[0], 77);
    tgm_async_task_free(r);
    tgm_async_task_t *pend[4];
    for (int i = 0; i < 4; i++) {
        TT_ASSERT(tgm_async_file_read_message(af, (size_t)i, NULL, 0, &pend[i]) == TGM_ERROR_OK);
        tgm_async_task_set_notifier(pend[i], n, (uint64_t)i);
    }
    tgm_async_notifier_free(n);
    for (int i = 0; i < 4; i++) {
        tgm_bytes_t b;
        TT_CHECK_ERR(tgm_async_task_join_bytes(pend[i], &b), TGM_ERROR_OK);
        tgm_bytes_free(b);
        tgm_async_task_free(pend[i]);
    }
    tgm_async_file_close(af);
}

/* Operations on one encoder run in submission order even when nobody
 * waits in between; the output equals the synchronous encoder's. */
static void test_streaming_encoder(void) {
    char p1[300], p2[300];
    snprintf(p1, sizeof p1, "%s/async_stream.tgm", dir);
    snprintf(p2, sizeof p2, "%s/sync_stream.tgm", dir);
    const char *meta = "{\"base\":[],\"run\":42}";
    const char *desc = "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[64],\"strides\":[1],"
                       "\"dtype\":\"float32\",\"encoding\":\"none\",\"filter\":\"none\","
                       "\"compression\":\"zstd\"}";
    enum { K = 40 };
    tgm_async_task_t *t;
    TT_ASSERT(tgm_async_streaming_encoder_create(p1, meta, "xxh3", 0, NULL, 0, &t) == TGM_ERROR_OK);
    tgm_async_streaming_encoder_t *enc = NULL;
    TT_ASSERT(tgm_async_task_join_async_streaming_encoder(t, &enc) == TGM_ERROR_OK);
    tgm_async_task_free(t);
    TT_CHECK_EQ_STR(tgm_async_streaming_encoder_path(enc), p1);
    size_t cnt = 99;
    TT_CHECK_EQ_INT(tgm_async_streaming_encoder_try_object_count(enc, &cnt),
                    TGM_OBJECT_COUNT_STATUS_OK);
    TT_CHECK_EQ_INT(cnt, 0);

    tgm_streaming_encoder_t *sync;
    TT_ASSERT(tgm_streaming_encoder_create(p2, meta, "xxh3", 0, &sync) == TGM_ERROR_OK);
    tgm_async_task_t *ops[2 * K + 1];
    size_t nops = 0;
    float data[64];
    for (int k = 0; k < K; k++) {
        for (int i = 0; i < 64; i++) {
            data[i] = (float)(k * 64 + i);
        }
        char pre[64];
        snprintf(pre, sizeof pre, "{\"step\":%d}", k);
        if (k % 3 == 0) {
            TT_ASSERT(tgm_async_streaming_encoder_write_preceder(enc, pre, NULL, 0, &ops[nops++]) ==
                      TGM_ERROR_OK);
            TT_ASSERT(tgm_streaming_encoder_write_preceder(sync, pre) == TGM_ERROR_OK);
        }
        TT_ASSERT(tgm_async_streaming_encoder_write_object(enc, desc, (const uint8_t *)data,
                                                           sizeof data, NULL, 0,
                                                           &ops[nops++]) == TGM_ERROR_OK);
        memset(data, 0xff, sizeof data); /* the call copied the values */
        for (int i = 0; i < 64; i++) {
            data[i] = (float)(k * 64 + i);
        }
        TT_ASSERT(tgm_streaming_encoder_write(sync, desc, (const uint8_t *)data, sizeof data) ==
                  TGM_ERROR_OK);
    }
    tgm_async_task_t *fin;
    TT_ASSERT(tgm_async_streaming_encoder_finish(enc, true, NULL, 0, &fin) == TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_async_task_join_void(fin), TGM_ERROR_OK);
    tgm_async_task_free(fin);
    for (size_t i = 0; i < nops; i++) {
        TT_CHECK(tgm_async_task_is_ready(ops[i]));
        TT_CHECK_ERR(tgm_async_task_join_void(ops[i]), TGM_ERROR_OK);
        tgm_async_task_free(ops[i]);
    }
    TT_CHECK_ERR(tgm_streaming_encoder_finish_backfilled(sync), TGM_ERROR_OK);
    tgm_streaming_encoder_free(sync);
    TT_CHECK_EQ_INT(tgm_async_streaming_encoder_try_object_count(enc, &cnt),
                    TGM_OBJECT_COUNT_STATUS_FINISHED);
    TT_CHECK(tgm_async_streaming_encoder_object_count(enc) == SIZE_MAX);

    /* After finish every operation fails with FRAMING. */
    TT_ASSERT(tgm_async_streaming_encoder_write_object(enc, desc, (const uint8_t *)data,
                                                       sizeof data, NULL, 0, &t) == TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_async_task_join_void(t), TGM_ERROR_FRAMING);
    TT_CHECK(strstr(tgm_last_error(), "already finished") != NULL);
    tgm_async_task_free(t);
    /* Malformed JSON is refused by the launching call. */
    TT_CHECK_ERR(tgm_async_streaming_encoder_write_object(enc, "{not json", (const uint8_t *)data,
                                                          4, NULL, 0, &t),
                 TGM_ERROR_METADATA);
    TT_CHECK_ERR(tgm_async_streaming_encoder_write_preceder(enc, "[1]", NULL, 0, &t),
                 TGM_ERROR_METADATA);
    TT_CHECK_ERR(tgm_async_streaming_encoder_create(p1, "nope", NULL, 0, NULL, 0, &t),
                 TGM_ERROR_METADATA);
    TT_CHECK_EQ_INT(tgm_async_streaming_encoder_try_object_count(NULL, &cnt),
                    TGM_OBJECT_COUNT_STATUS_NULL_HANDLE);
    tgm_async_streaming_encoder_free(enc);

    /* Same messages: every object and every metadata key agree. */
    size_t la, lb;
    unsigned char *a = tt_read_file(p1, &la), *b = tt_read_file(p2, &lb);
    TT_ASSERT(a != NULL && b != NULL);
    TT_CHECK_EQ_INT(la, lb);
    tgm_message_t *ma = NULL, *mb = NULL;
    TT_CHECK_ERR(tgm_decode(a, la, 1, 0, 1, &ma), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_decode(b, lb, 1, 0, 1, &mb), TGM_ERROR_OK);
    if (ma != NULL && mb != NULL) {
        TT_CHECK_EQ_INT(tgm_message_num_objects(ma), K);
        TT_CHECK_EQ_INT(tgm_message_num_objects(mb), K);
        for (size_t o = 0; o < K; o++) {
            size_t x, y;
            const uint8_t *da = tgm_object_data(ma, o, &x), *db = tgm_object_data(mb, o, &y);
            TT_CHECK(x == y && memcmp(da, db, x) == 0);
        }
        tgm_metadata_t *mda, *mdb;
        TT_CHECK_ERR(tgm_message_metadata(ma, &mda), TGM_ERROR_OK);
        TT_CHECK_ERR(tgm_message_metadata(mb, &mdb), TGM_ERROR_OK);
        TT_CHECK_EQ_INT(tgm_metadata_get_int_at(mda, 3, "step", -1), 3);
        TT_CHECK_EQ_INT(tgm_metadata_get_int_at(mdb, 3, "step", -1), 3);
        TT_CHECK_EQ_INT(tgm_metadata_get_int(mda, "run", -1), 42);
        tgm_metadata_free(mda);
        tgm_metadata_free(mdb);
    }
    tgm_message_free(ma);
    tgm_message_free(mb);
    free(a);
    free(b);
    unlink(p1);
    unlink(p2);
}

/* Freeing tasks and handles while work is in flight.  Completion
 * callbacks (which hold no reference to the task) tell when every task
 * has resolved. */
static void test_free_in_flight(void) {
    static probe pr;
    static int resolved;
    set_gate(0);
    tgm_async_task_t *b = submit_ctl(&pr, 1, 1, NULL, 0);
    TT_ASSERT(b != NULL);
    TT_ASSERT(wait_count(&pr.started, 1) == 1);
    TT_ASSERT(tgm_async_task_set_completion(b, count_cb, &resolved) == TGM_ERROR_OK);
    tgm_async_task_free(b); /* running: its result is discarded later */
    tgm_async_file_t *af = open_async();
    TT_ASSERT(af != NULL);
    for (int i = 0; i < 50; i++) {
        tgm_async_task_t *t;
        TT_ASSERT(tgm_async_file_decode_message(af, (size_t)(i % NMSG), true, 0, true, false, NULL,
                                                0, &t) == TGM_ERROR_OK);
        TT_ASSERT(tgm_async_task_set_completion(t, count_cb, &resolved) == TGM_ERROR_OK);
        tgm_async_task_free(t);
    }
    tgm_async_file_close(af);
    set_gate(1);
    TT_CHECK_EQ_INT(wait_count(&resolved, 51), 51);
    TT_CHECK_EQ_INT(wait_no_pending(), 0);
    TT_CHECK_EQ_INT(wait_count(&pr.freed, 1), 1);
    TT_CHECK_EQ_INT(count_of(&pr.ran), 1);
}

/* Last: shutdown is final.  Tasks in flight are cancelled, their waiters
 * and callbacks released; nothing leaks; later calls fail. */
static int shut_cb; /* guarded by ev_mu */

static void test_shutdown_in_flight(void) {
    static probe pb, pq;
    set_gate(0);
    tgm_async_task_t *block[WORKERS], *q[10];
    for (int i = 0; i < WORKERS; i++) {
        block[i] = submit_ctl(&pb, 1, 0, NULL, 0);
        TT_ASSERT(block[i] != NULL);
    }
    TT_ASSERT(wait_count(&pb.started, WORKERS) == WORKERS);
    for (int i = 0; i < 10; i++) {
        q[i] = submit_ctl(&pq, 0, 1, NULL, i % 2 ? 100000 : 0);
        TT_ASSERT(q[i] != NULL);
        TT_ASSERT(tgm_async_task_set_completion(q[i], count_cb, &shut_cb) == TGM_ERROR_OK);
    }
    tgm_async_file_t *af = open_async();
    TT_ASSERT(af != NULL);
    tgm_async_task_t *pending_file;
    TT_ASSERT(tgm_async_file_message_count(af, NULL, 0, &pending_file) == TGM_ERROR_OK);
    tgm_async_file_close(af);

    /* Every worker is blocked, so nothing can finish within the timeout. */
    uint64_t unfinished = tgm_runtime_shutdown_blocking(30);
    TT_CHECK_EQ_INT(unfinished, WORKERS + 10 + 1);
    /* Queued callbacks ran before shutdown returned. */
    TT_CHECK_EQ_INT(count_of(&shut_cb), 10);
    uint64_t v;
    for (int i = 0; i < WORKERS; i++) {
        TT_CHECK_ERR(tgm_async_task_join_size(block[i], &v), TGM_ERROR_CANCELLED);
        tgm_async_task_free(block[i]);
    }
    for (int i = 0; i < 10; i++) {
        TT_CHECK_ERR(tgm_async_task_join_size(q[i], &v), TGM_ERROR_CANCELLED);
        tgm_async_task_free(q[i]);
    }
    TT_CHECK_ERR(tgm_async_task_join_size(pending_file, &v), TGM_ERROR_CANCELLED);
    tgm_async_task_free(pending_file);
    TT_CHECK_EQ_INT(tgm_async_pending_tasks(), 0);
    /* The blockers were told to stop (a worker slower than shutdown's
     * grace period finishes on its own); queued tasks never ran. */
    TT_CHECK_EQ_INT(wait_count(&pb.saw_stop, WORKERS), WORKERS);
    TT_CHECK_EQ_INT(wait_count(&pb.freed, WORKERS), WORKERS);
    TT_CHECK_EQ_INT(count_of(&pb.ran), 0);
    TT_CHECK_EQ_INT(count_of(&pq.started), 0);
    TT_CHECK_EQ_INT(wait_count(&pq.freed, 10), 10);

    tgm_async_task_t *t = NULL;
    TT_CHECK_ERR(tgm_async_file_open(path, NULL, 0, &t), TGM_ERROR_IO);
    TT_CHECK(strstr(tgm_last_error(), "shut down") != NULL);
    TT_CHECK(t == NULL);
    TT_CHECK_EQ_INT(tgm_runtime_shutdown_blocking(10), 0);
    TT_CHECK_ERR(tgm_runtime_configure(1, 1, 0), TGM_ERROR_INVALID_ARG);
    set_gate(1);
}

int main(void) {
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(path, sizeof path, "%s/async.tgm", dir);
    make_file();
    TT_RUN(test_configure);
    TT_RUN(test_many_tasks_match_sync);
    TT_RUN(test_errors_through_join);
    TT_RUN(test_cancel);
    TT_RUN(test_timeout);
    TT_RUN(test_callbacks);
    TT_RUN(test_notifier);
    TT_RUN(test_streaming_encoder);
    TT_RUN(test_free_in_flight);
    TT_RUN(test_shutdown_in_flight);
    unlink(path);
    rmdir(dir);
    return tt_finish("test_async");
}
