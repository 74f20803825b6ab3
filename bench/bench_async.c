/* The asynchronous API's costs, against in-run synchronous baselines.
 *
 * 1. 1,000 concurrent tgm_async_file_decode_object tasks on one local file
 *    (submitted at once, then joined), against the same 1,000 decodes made
 *    synchronously by the same number of threads (each pulling the next
 *    object from a shared counter).  Ratio = async / sync throughput.
 * 2. Per-task overhead of a tiny operation (read_message of a 1-value
 *    message): the direct synchronous call, then submit + join through the
 *    pool, measured three ways: 100,000 tasks submitted before any join
 *    (throughput), one at a time (submit then join: the joining thread runs
 *    a queued task itself), and one at a time through the completion
 *    notifier (a worker runs it; the caller polls the descriptor).  The
 *    overhead is the difference to the direct call.
 *
 * Usage: bench_async [workers]   (default: the number of CPUs)
 * Benchmarks never assert timings. */
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "bench_common.h"
#include "tensogram/tensogram.h"

#define NMSG 50
#define NOBJ 4
#define NVAL (64 * 1024) /* per object: 512 KiB of float64 */
#define NTASKS 1000

static char path_big[256], path_tiny[256];

/* CPU time of the whole process (all threads): unlike wall time it does
 * not depend on how much of the machine other processes take. */
static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what) {
    fprintf(stderr, "bench_async: %s: %s\n", what, tgm_last_error() ? tgm_last_error() : "?");
    exit(1);
}

static void make_files(void) {
    tgm_file_t *f;
    if (tgm_file_create(path_big, &f) != TGM_ERROR_OK) {
        die("create");
    }
    double *v = bench_smooth_field(NVAL, 42);
    const char *meta =
        "{\"descriptors\":["
        "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[65536],\"strides\":[1],\"dtype\":\"float64\","
        "\"encoding\":\"simple_packing\",\"sp_bits_per_value\":16,\"filter\":\"none\","
        "\"compression\":\"zstd\"},"
        "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[65536],\"strides\":[1],\"dtype\":\"float64\","
        "\"encoding\":\"none\",\"filter\":\"shuffle\",\"shuffle_element_size\":8,"
        "\"compression\":\"lz4\"},"
        "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[65536],\"strides\":[1],\"dtype\":\"float64\","
        "\"encoding\":\"simple_packing\",\"sp_bits_per_value\":24,\"filter\":\"none\","
        "\"compression\":\"szip\",\"szip_rsi\":128,\"szip_block_size\":16,\"szip_flags\":8},"
        "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[65536],\"strides\":[1],\"dtype\":\"float64\","
        "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"zstd\"}]}";
    const uint8_t *ptrs[NOBJ];
    size_t lens[NOBJ];
    for (int o = 0; o < NOBJ; o++) {
        ptrs[o] = (const uint8_t *)v;
        lens[o] = NVAL * sizeof(double);
    }
    for (int m = 0; m < NMSG; m++) {
        if (tgm_file_append(f, meta, ptrs, lens, NOBJ, "xxh3", 1) != TGM_ERROR_OK) {
            die("append");
        }
    }
    tgm_file_close(f);
    free(v);

    if (tgm_file_create(path_tiny, &f) != TGM_ERROR_OK) {
        die("create");
    }
    uint8_t one = 7;
    const uint8_t *p1[1] = {&one};
    size_t l1[1] = {1};
    if (tgm_file_append(f,
                        "{\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[1],"
                        "\"strides\":[1],\"dtype\":\"uint8\",\"encoding\":\"none\","
                        "\"filter\":\"none\",\"compression\":\"none\"}]}",
                        p1, l1, 1, NULL, 0) != TGM_ERROR_OK) {
        die("append tiny");
    }
    tgm_file_close(f);
}

/* ---- 1. throughput --------------------------------------------------------------------- */

typedef struct {
    tgm_file_t *f;
    atomic_int next;
    atomic_size_t bytes;
} sync_job;

static void *sync_worker(void *arg) {
    sync_job *j = arg;
    for (;;) {
        int i = atomic_fetch_add(&j->next, 1);
        if (i >= NTASKS) {
            return NULL;
        }
        tgm_message_t *m;
        if (tgm_file_decode_object(j->f, (size_t)(i % NMSG), (size_t)(i / NMSG % NOBJ), 1, 1, 0,
                                   &m) != TGM_ERROR_OK) {
            die("sync decode");
        }
        size_t n;
        (void)tgm_object_data(m, 0, &n);
        atomic_fetch_add(&j->bytes, n);
        tgm_message_free(m);
    }
}

static double run_sync(tgm_file_t *f, int nthreads, size_t *bytes) {
    sync_job j = {f, 0, 0};
    pthread_t th[256];
    for (int t = 0; t < nthreads; t++) {
        pthread_create(&th[t], NULL, sync_worker, &j);
    }
    for (int t = 0; t < nthreads; t++) {
        pthread_join(th[t], NULL);
    }
    *bytes = atomic_load(&j.bytes);
    return 0;
}

static void run_async(tgm_async_file_t *af, size_t *bytes) {
    static tgm_async_task_t *t[NTASKS];
    for (int i = 0; i < NTASKS; i++) {
        if (tgm_async_file_decode_object(af, (size_t)(i % NMSG), (size_t)(i / NMSG % NOBJ), true, 1,
                                         true, false, NULL, 0, &t[i]) != TGM_ERROR_OK) {
            die("submit");
        }
    }
    size_t total = 0;
    for (int i = 0; i < NTASKS; i++) {
        tgm_message_t *m;
        if (tgm_async_task_join_message(t[i], &m) != TGM_ERROR_OK) {
            die("join");
        }
        size_t n;
        (void)tgm_object_data(m, 0, &n);
        total += n;
        tgm_message_free(m);
        tgm_async_task_free(t[i]);
    }
    *bytes = total;
}

/* ---- 2. per-task overhead -------------------------------------------------------------- */

#define NTINY 100000

static double tiny_direct(tgm_file_t *f) {
    double t0 = bench_now();
    for (int i = 0; i < NTINY; i++) {
        tgm_bytes_t b;
        if (tgm_file_read_message(f, 0, &b) != TGM_ERROR_OK) {
            die("read");
        }
        tgm_bytes_free(b);
    }
    return (bench_now() - t0) / NTINY;
}

static double tiny_batched(tgm_async_file_t *af) {
    static tgm_async_task_t *t[NTINY];
    double t0 = bench_now();
    for (int i = 0; i < NTINY; i++) {
        if (tgm_async_file_read_message(af, 0, NULL, 0, &t[i]) != TGM_ERROR_OK) {
            die("submit");
        }
    }
    for (int i = 0; i < NTINY; i++) {
        tgm_bytes_t b;
        if (tgm_async_task_join_bytes(t[i], &b) != TGM_ERROR_OK) {
            die("join");
        }
        tgm_bytes_free(b);
        tgm_async_task_free(t[i]);
    }
    return (bench_now() - t0) / NTINY;
}

static double tiny_one_at_a_time(tgm_async_file_t *af) {
    double t0 = bench_now();
    for (int i = 0; i < NTINY; i++) {
        tgm_async_task_t *t;
        tgm_bytes_t b;
        if (tgm_async_file_read_message(af, 0, NULL, 0, &t) != TGM_ERROR_OK ||
            tgm_async_task_join_bytes(t, &b) != TGM_ERROR_OK) {
            die("submit/join");
        }
        tgm_bytes_free(b);
        tgm_async_task_free(t);
    }
    return (bench_now() - t0) / NTINY;
}

/* Round trip through a worker: submit, wait on the notifier's descriptor,
 * drain, join (what an event loop does for one task at a time). */
static double tiny_via_notifier(tgm_async_file_t *af, int n) {
    tgm_async_notifier_t *nt;
    if (tgm_async_notifier_create(&nt) != TGM_ERROR_OK) {
        die("notifier");
    }
    struct pollfd p = {tgm_async_notifier_fd(nt), POLLIN, 0};
    double t0 = bench_now();
    for (int i = 0; i < n; i++) {
        tgm_async_task_t *t;
        if (tgm_async_file_read_message(af, 0, NULL, 0, &t) != TGM_ERROR_OK ||
            tgm_async_task_set_notifier(t, nt, (uint64_t)i) != TGM_ERROR_OK) {
            die("submit");
        }
        uint64_t tag;
        while (tgm_async_notifier_drain(nt, &tag, 1) == 0) {
            poll(&p, 1, -1);
        }
        tgm_bytes_t b;
        if (tgm_async_task_join_bytes(t, &b) != TGM_ERROR_OK) {
            die("join");
        }
        tgm_bytes_free(b);
        tgm_async_task_free(t);
    }
    double dt = (bench_now() - t0) / n;
    tgm_async_notifier_free(nt);
    return dt;
}

int main(int argc, char **argv) {
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int workers = argc > 1 ? atoi(argv[1]) : (int)(ncpu > 0 ? ncpu : 2);
    if (workers < 1 || workers > 256) {
        fprintf(stderr, "usage: bench_async [workers 1..256]\n");
        return 2;
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(path_big, sizeof path_big, "%s/bench_async_%d.tgm", tmp ? tmp : "/tmp", getpid());
    snprintf(path_tiny, sizeof path_tiny, "%s/bench_async_tiny_%d.tgm", tmp ? tmp : "/tmp",
             getpid());
    make_files();
    if (tgm_runtime_configure((uint32_t)workers, 1, 0) != TGM_ERROR_OK) {
        die("configure");
    }
    tgm_file_t *f;
    tgm_async_task_t *ot;
    tgm_async_file_t *af;
    if (tgm_file_open(path_big, &f) != TGM_ERROR_OK ||
        tgm_async_file_open(path_big, NULL, 0, &ot) != TGM_ERROR_OK ||
        tgm_async_task_join_async_file(ot, &af) != TGM_ERROR_OK) {
        die("open");
    }
    tgm_async_task_free(ot);
    size_t nmsg;
    tgm_file_message_count(f, &nmsg);

    printf("1. %d decode_object tasks (512 KiB float64 each, 4 pipelines) on one file, "
           "%d threads\n",
           NTASKS, workers);
    size_t bytes_sync = 0, bytes_async = 0;
    /* Interleave the runs so that machine load affects both alike; keep the
     * best wall time and the best CPU time of each. */
    double best_sync = 1e30, best_async = 1e30, cpu_sync = 1e30, cpu_async = 1e30;
    for (int r = 0; r < 7; r++) {
        double t0 = bench_now(), c0 = cpu_now();
        run_sync(f, workers, &bytes_sync);
        double dt = bench_now() - t0, dc = cpu_now() - c0;
        best_sync = dt < best_sync ? dt : best_sync;
        cpu_sync = dc < cpu_sync ? dc : cpu_sync;
        t0 = bench_now();
        c0 = cpu_now();
        run_async(af, &bytes_async);
        dt = bench_now() - t0;
        dc = cpu_now() - c0;
        best_async = dt < best_async ? dt : best_async;
        cpu_async = dc < cpu_async ? dc : cpu_async;
    }
    printf("   synchronous, %d threads    %8.1f ms  %8.0f MB/s  %8.0f objects/s  cpu %7.1f ms\n",
           workers, 1e3 * best_sync, bench_mbps(bytes_sync, best_sync), NTASKS / best_sync,
           1e3 * cpu_sync);
    printf("   async tasks, %d workers    %8.1f ms  %8.0f MB/s  %8.0f objects/s  cpu %7.1f ms\n",
           workers, 1e3 * best_async, bench_mbps(bytes_async, best_async), NTASKS / best_async,
           1e3 * cpu_async);
    printf("   async / sync throughput    %.3f (wall)   %.3f (cpu)\n", best_sync / best_async,
           cpu_sync / cpu_async);

    tgm_file_t *tf;
    tgm_async_file_t *taf;
    if (tgm_file_open(path_tiny, &tf) != TGM_ERROR_OK ||
        tgm_async_file_open(path_tiny, NULL, 0, &ot) != TGM_ERROR_OK ||
        tgm_async_task_join_async_file(ot, &taf) != TGM_ERROR_OK) {
        die("open tiny");
    }
    tgm_async_task_free(ot);
    printf("2. per-task cost of a tiny read_message (1-value message), %d operations\n", NTINY);
    double d = 1e30, bt = 1e30, one = 1e30, rt = 1e30;
    for (int r = 0; r < 3; r++) {
        double x = tiny_direct(tf);
        d = x < d ? x : d;
        x = tiny_batched(taf);
        bt = x < bt ? x : bt;
        x = tiny_one_at_a_time(taf);
        one = x < one ? x : one;
        x = tiny_via_notifier(taf, 20000);
        rt = x < rt ? x : rt;
    }
    printf("   direct call                      %7.2f us\n", 1e6 * d);
    printf("   submitted together, then joined  %7.2f us   overhead %6.2f us\n", 1e6 * bt,
           1e6 * (bt - d));
    printf("   submit + join, one at a time     %7.2f us   overhead %6.2f us\n", 1e6 * one,
           1e6 * (one - d));
    printf("   worker round trip via notifier   %7.2f us   overhead %6.2f us\n", 1e6 * rt,
           1e6 * (rt - d));

    tgm_async_file_close(af);
    tgm_async_file_close(taf);
    tgm_file_close(f);
    tgm_file_close(tf);
    unlink(path_big);
    unlink(path_tiny);
    printf("   (%zu messages; pending tasks at exit: %llu)\n", nmsg,
           (unsigned long long)tgm_async_pending_tasks());
    return 0;
}
