/* The async API on remote files (started by tests/remote/harness.py with
 * the fault server and nginx):
 *
 *  - every operation of tgm_async_file_* on remote files gives what the
 *    synchronous calls give on the local copy, with hundreds of tasks in
 *    flight on one handle and only two workers;
 *  - remote reads hold no worker while the network works: with two
 *    workers, 128 transfers are held mid-body by the server at once and a
 *    local task still runs meanwhile;
 *  - cancelling a task aborts its transfer (the server sees the client
 *    close the connection), and the task resolves at once.
 *
 * Waits are for events (task notifiers, the server's counters), never for
 * a time. */
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../unit/tt.h"
#include "fault_client.h"
#include "tensogram/tensogram.h"
#include "tensogram/tensogram_async.h"

#define WORKERS 2

static const char *fault_base, *fault_root, *ngx_http, *ngx_gen;

static const char *env(const char *name) {
    const char *v = getenv(name);
    return v != NULL && v[0] != '\0' ? v : NULL;
}

/* ---- test files ------------------------------------------------------------------ */

/* nmsg messages of three objects (raw, zstd, simple_packing), header index
 * or (footer) streamed with a footer index. */
static bool make_file(const char *dir, const char *name, size_t nmsg, size_t nelem, bool footer) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    tgm_file_t *f = NULL;
    if (tgm_file_create(path, &f) != TGM_ERROR_OK) {
        return false;
    }
    double *v = malloc(nelem * sizeof *v);
    bool ok = v != NULL;
    static const char *const enc[3] = {
        "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"none\"",
        "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"zstd\"",
        "\"encoding\":\"simple_packing\",\"sp_bits_per_value\":16,\"filter\":\"none\","
        "\"compression\":\"none\""};
    for (size_t m = 0; ok && m < nmsg; m++) {
        double acc = (double)m;
        for (size_t i = 0; i < nelem; i++) {
            acc += (double)((i * 7919 + m * 31) % 1000) / 1000.0 - 0.5;
            v[i] = acc;
        }
        char desc[3][400];
        for (int o = 0; o < 3; o++) {
            snprintf(desc[o], sizeof desc[o],
                     "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[%zu],\"strides\":[1],"
                     "\"dtype\":\"float64\",%s}",
                     nelem, enc[o]);
        }
        const uint8_t *d[3] = {(const uint8_t *)v, (const uint8_t *)v, (const uint8_t *)v};
        size_t l[3] = {nelem * sizeof *v, nelem * sizeof *v, nelem * sizeof *v};
        if (!footer) {
            char full[2000];
            snprintf(full, sizeof full,
                     "{\"base\":[{\"step\":%zu},{\"step\":%zu},{\"step\":%zu}],"
                     "\"descriptors\":[%s,%s,%s]}",
                     m, m, m, desc[0], desc[1], desc[2]);
            ok = tgm_file_append(f, full, d, l, 3, "xxh3", 0) == TGM_ERROR_OK;
        } else {
            tgm_streaming_encoder_t *e = NULL;
            tgm_streaming_options so = TGM_STREAMING_OPTIONS_INIT;
            so.hash_algo = "xxh3";
            char gm[128];
            snprintf(gm, sizeof gm, "{\"base\":[{\"step\":%zu},{\"step\":%zu},{\"step\":%zu}]}", m,
                     m, m);
            tgm_bytes_t msg = {0};
            ok = tgm_streaming_encoder_create_memory(gm, &so, &e) == TGM_ERROR_OK;
            for (int o = 0; ok && o < 3; o++) {
                ok = tgm_streaming_encoder_write(e, desc[o], d[o], l[o]) == TGM_ERROR_OK;
            }
            ok = ok && tgm_streaming_encoder_finish_backfilled(e) == TGM_ERROR_OK &&
                 tgm_streaming_encoder_take(e, &msg) == TGM_ERROR_OK &&
                 tgm_file_append_raw(f, msg.data, msg.len) == TGM_ERROR_OK;
            tgm_bytes_free(msg);
            tgm_streaming_encoder_free(e);
        }
    }
    free(v);
    tgm_file_close(f);
    return ok;
}

static tgm_async_file_t *open_remote(const char *url, const char *const *k, const char *const *v,
                                     size_t n) {
    tgm_async_task_t *t = NULL;
    if (tgm_async_file_open_remote(url, k, v, n, true, NULL, 0, &t) != TGM_ERROR_OK) {
        return NULL;
    }
    tgm_async_file_t *af = NULL;
    tgm_error e = tgm_async_task_join_async_file(t, &af);
    tgm_async_task_free(t);
    if (e != TGM_ERROR_OK) {
        fprintf(stderr, "open %s: %s\n", url, tgm_last_error());
    }
    return af;
}

static bool same_object(tgm_message_t *a, tgm_message_t *b, size_t i) {
    size_t na = 0, nb = 0;
    const uint8_t *da = a ? tgm_object_data(a, i, &na) : NULL;
    const uint8_t *db = b ? tgm_object_data(b, i, &nb) : NULL;
    return da != NULL && db != NULL && na == nb && memcmp(da, db, na) == 0;
}

/* ---- parity: every operation, many tasks in flight ----------------------------------- */

enum { K_COUNT, K_META, K_DESC, K_READ, K_MSG, K_OBJ, K_RANGE, K_KINDS };

static void parity(const char *local, const char *url) {
    tgm_file_t *lf = NULL;
    TT_ASSERT(tgm_file_open(local, &lf) == TGM_ERROR_OK);
    size_t n = 0;
    TT_ASSERT(tgm_file_message_count(lf, &n) == TGM_ERROR_OK);
    tgm_async_file_t *af = open_remote(url, NULL, NULL, 0);
    TT_ASSERT(af != NULL);
    /* Everything at once, before anything is known about the file (the
     * scan and every layout are fetched by tasks racing each other). */
    size_t total = 1 + n * (K_KINDS - 1) * 3;
    tgm_async_task_t **t = calloc(total, sizeof *t);
    int *kind = calloc(total, sizeof *kind);
    size_t *mi = calloc(total, sizeof *mi), *oi = calloc(total, sizeof *oi);
    TT_ASSERT(t && kind && mi && oi);
    uint64_t offs[2] = {3, 1500}, cnts[2] = {7, 100};
    size_t k = 0;
    TT_ASSERT(tgm_async_file_message_count(af, NULL, 0, &t[k]) == TGM_ERROR_OK);
    kind[k++] = K_COUNT;
    for (size_t i = 0; i < n; i++) {
        for (size_t o = 0; o < 3; o++) {
            tgm_error e = TGM_ERROR_OK;
            for (int q = K_META; q < K_KINDS; q++) {
                mi[k] = i;
                oi[k] = o;
                kind[k] = q;
                if (q == K_META) {
                    e = tgm_async_file_decode_metadata(af, i, NULL, 0, &t[k]);
                } else if (q == K_DESC) {
                    e = tgm_async_file_decode_descriptors(af, i, NULL, 0, &t[k]);
                } else if (q == K_READ) {
                    e = tgm_async_file_read_message(af, i, NULL, 0, &t[k]);
                } else if (q == K_MSG) {
                    e = tgm_async_file_decode_message(af, i, true, 0, true, o == 0, NULL, 0, &t[k]);
                } else if (q == K_OBJ) {
                    e = tgm_async_file_decode_object(af, i, o, true, 0, true, o != 1, NULL, 0,
                                                     &t[k]);
                } else {
                    e = tgm_async_file_decode_range(af, i, o, offs, cnts, 2, true, 0, NULL, 0,
                                                    &t[k]);
                }
                TT_ASSERT(e == TGM_ERROR_OK);
                k++;
            }
        }
    }
    tgm_async_file_close(af); /* the tasks keep it open */
    int bad = 0;
    for (size_t j = 0; j < k; j++) {
        size_t i = mi[j], o = oi[j];
        bool ok = false;
        if (kind[j] == K_COUNT) {
            uint64_t c = 0;
            ok = tgm_async_task_join_size(t[j], &c) == TGM_ERROR_OK && c == n;
        } else if (kind[j] == K_META) {
            tgm_metadata_t *a = NULL, *b = NULL;
            ok = tgm_async_task_join_metadata(t[j], &a) == TGM_ERROR_OK &&
                 tgm_file_decode_metadata(lf, i, &b) == TGM_ERROR_OK &&
                 strcmp(tgm_metadata_to_json(a), tgm_metadata_to_json(b)) == 0;
            tgm_metadata_free(a);
            tgm_metadata_free(b);
        } else if (kind[j] == K_DESC) {
            tgm_message_t *a = NULL, *b = NULL;
            tgm_error ea = tgm_async_task_join_message(t[j], &a);
            tgm_error eb = tgm_file_decode_descriptors(lf, i, &b);
            ok = ea == eb;
            if (ok && ea == TGM_ERROR_OK) {
                const char *da = tgm_object_descriptor_json(a, o);
                const char *db = tgm_object_descriptor_json(b, o);
                ok = tgm_message_num_objects(a) == tgm_message_num_objects(b) &&
                     (da == NULL) == (db == NULL) && (da == NULL || strcmp(da, db) == 0);
            }
            tgm_message_free(a);
            tgm_message_free(b);
        } else if (kind[j] == K_READ) {
            tgm_bytes_t a = {0}, b = {0};
            ok = tgm_async_task_join_bytes(t[j], &a) == TGM_ERROR_OK &&
                 tgm_file_read_message(lf, i, &b) == TGM_ERROR_OK && a.len == b.len &&
                 memcmp(a.data, b.data, a.len) == 0;
            tgm_bytes_free(a);
            tgm_bytes_free(b);
        } else if (kind[j] == K_MSG) {
            tgm_message_t *a = NULL, *b = NULL;
            tgm_error ea = tgm_async_task_join_message(t[j], &a);
            tgm_error eb = tgm_file_decode_message(lf, i, 1, 0, o == 0, &b);
            ok = ea == eb;
            for (size_t q = 0; ok && ea == TGM_ERROR_OK && q < tgm_message_num_objects(b); q++) {
                ok = tgm_message_num_objects(a) == tgm_message_num_objects(b) &&
                     same_object(a, b, q);
            }
            tgm_message_free(a);
            tgm_message_free(b);
        } else if (kind[j] == K_OBJ) {
            tgm_message_t *a = NULL, *b = NULL;
            tgm_error ea = tgm_async_task_join_message(t[j], &a);
            tgm_error eb = tgm_file_decode_object(lf, i, o, 1, 0, o != 1, &b);
            ok = ea == eb && (ea != TGM_ERROR_OK || same_object(a, b, 0));
            tgm_message_free(a);
            tgm_message_free(b);
        } else {
            /* Ranges of some codecs are refused: the same error both ways. */
            tgm_bytes_t *a = NULL, b[2];
            size_t na = 0, nb = 0;
            tgm_error ea = tgm_async_task_join_multi_bytes(t[j], &a, &na);
            tgm_error eb = tgm_file_decode_range(lf, i, o, offs, cnts, 2, 1, 0, 0, b, &nb);
            ok = ea == eb && (ea != TGM_ERROR_OK || (na == 2 && nb == 2));
            for (size_t r = 0; ok && ea == TGM_ERROR_OK && r < 2; r++) {
                ok = a[r].len == b[r].len && memcmp(a[r].data, b[r].data, a[r].len) == 0;
            }
            tgm_multi_bytes_free(a, na);
            for (size_t r = 0; r < nb; r++) {
                tgm_bytes_free(b[r]);
            }
        }
        if (!ok) {
            if (bad++ < 5) {
                fprintf(stderr, "  %s: task kind %d message %zu object %zu: %s\n", url, kind[j], i,
                        o, tgm_last_error() ? tgm_last_error() : "mismatch");
            }
        }
        tgm_async_task_free(t[j]);
    }
    TT_CHECK_EQ_INT(bad, 0);
    printf("parity: %s: %zu tasks agree with the local file\n", url, k);
    free(t);
    free(kind);
    free(mi);
    free(oi);
    tgm_file_close(lf);
}

static void t_parity(void) {
    TT_ASSERT(make_file(ngx_gen, "async-hdr.tgm", 24, 3000, false));
    TT_ASSERT(make_file(ngx_gen, "async-ftr.tgm", 17, 2500, true));
    char local[1024], url[1024];
    snprintf(local, sizeof local, "%s/async-hdr.tgm", ngx_gen);
    snprintf(url, sizeof url, "%s/gen/async-hdr.tgm", ngx_http);
    parity(local, url);
    snprintf(local, sizeof local, "%s/async-ftr.tgm", ngx_gen);
    snprintf(url, sizeof url, "%s/gen/async-ftr.tgm", ngx_http);
    parity(local, url);
}

/* One task for a whole batch: the same objects as the synchronous calls,
 * remote and local; the join checks the caller's count. */
static void t_object_batch(void) {
    char local[1024], url[1024];
    snprintf(local, sizeof local, "%s/async-hdr.tgm", ngx_gen);
    snprintf(url, sizeof url, "%s/gen/async-hdr.tgm", ngx_http);
    tgm_file_t *lf = NULL;
    TT_ASSERT(tgm_file_open(local, &lf) == TGM_ERROR_OK);
    size_t idx[24];
    for (size_t i = 0; i < 24; i++) {
        idx[i] = (i * 5) % 24;
    }
    for (int remote = 0; remote < 2; remote++) {
        tgm_async_file_t *af = NULL;
        if (remote) {
            af = open_remote(url, NULL, NULL, 0);
        } else {
            tgm_async_task_t *o = NULL;
            TT_ASSERT(tgm_async_file_open(local, NULL, 0, &o) == TGM_ERROR_OK);
            TT_CHECK_ERR(tgm_async_task_join_async_file(o, &af), TGM_ERROR_OK);
            tgm_async_task_free(o);
        }
        TT_ASSERT(af != NULL);
        for (size_t obj = 0; obj < 3; obj++) {
            tgm_async_task_t *t = NULL;
            TT_ASSERT(tgm_async_file_decode_object_batch(af, idx, 24, obj, true, 0, true, NULL, 0,
                                                         &t) == TGM_ERROR_OK);
            tgm_message_t *got[24];
            TT_CHECK_ERR(tgm_async_task_join_message_array(t, got, 24), TGM_ERROR_OK);
            tgm_async_task_free(t);
            for (size_t k = 0; k < 24; k++) {
                tgm_message_t *want = NULL;
                TT_CHECK_ERR(tgm_file_decode_object(lf, idx[k], obj, 1, 0, 1, &want), TGM_ERROR_OK);
                TT_CHECK(same_object(got[k], want, 0));
                tgm_message_free(got[k]);
                tgm_message_free(want);
            }
        }
        /* Errors: a bad index fails the batch; a join with the wrong count
         * is refused and the result discarded. */
        tgm_async_task_t *t = NULL;
        size_t bad[2] = {1, 400};
        TT_ASSERT(tgm_async_file_decode_object_batch(af, bad, 2, 0, true, 0, false, NULL, 0, &t) ==
                  TGM_ERROR_OK);
        tgm_message_t *two[2] = {NULL, NULL};
        TT_CHECK_ERR(tgm_async_task_join_message_array(t, two, 2), TGM_ERROR_FRAMING);
        tgm_async_task_free(t);
        TT_ASSERT(tgm_async_file_decode_object_batch(af, idx, 3, 0, true, 0, false, NULL, 0, &t) ==
                  TGM_ERROR_OK);
        TT_CHECK_ERR(tgm_async_task_join_message_array(t, two, 2), TGM_ERROR_INVALID_ARG);
        tgm_async_task_free(t);
        tgm_async_file_close(af);
    }
    tgm_file_close(lf);
}

/* The reference's remote-parity files (skipped without ../shared). */
static void t_parity_reference(void) {
    const char *shared = env("TGM_SHARED_DIR");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/remote-parity", shared ? shared : TGM_DEFAULT_SHARED_DIR);
    DIR *d = opendir(dir);
    if (d == NULL) {
        TT_SKIP("no reference remote-parity files");
        return;
    }
    struct dirent *e;
    size_t files = 0;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l < 5 || strcmp(e->d_name + l - 4, ".tgm") != 0) {
            continue;
        }
        char local[2048], url[2048];
        snprintf(local, sizeof local, "%s/%s", dir, e->d_name);
        snprintf(url, sizeof url, "%s/ref/remote-parity/%s", ngx_http, e->d_name);
        tgm_file_t *lf = NULL;
        size_t n = 0;
        bool fine = tgm_file_open(local, &lf) == TGM_ERROR_OK &&
                    tgm_file_message_count(lf, &n) == TGM_ERROR_OK && n > 0;
        tgm_file_close(lf);
        if (!fine) {
            continue; /* hostile files: the synchronous parity test covers them */
        }
        parity(local, url);
        files++;
    }
    closedir(d);
    TT_CHECK(files > 0);
}

/* ---- the fault server's counters ------------------------------------------------------- */

static bool fault_get(const char *path, char *buf, size_t cap) {
    return fault_http_get(fault_base, path, buf, cap);
}

static long stat_of(const char *key) { return fault_stat(fault_base, key); }

static long wait_stat(const char *key, long want) { return fault_wait_stat(fault_base, key, want); }

/* ---- no worker per pending read; cancel aborts transfers ----------------------------- */

static void t_no_worker_held_and_cancel(void) {
    enum { N = 300, HELD = 128 /* the default max_concurrency per object */ };
    /* Messages of about 200 KB: the layout reads (64 KB from each end)
     * leave object 0's frame (96 KB) to a read of its own. */
    TT_ASSERT(make_file(fault_root, "held.tgm", N, 12000, false));
    char url[1024], flag[1024], local[1024];
    snprintf(url, sizeof url, "%s/f/holdmid/held.tgm", fault_base);
    snprintf(flag, sizeof flag, "%s/held.tgm.hold", fault_root);
    snprintf(local, sizeof local, "%s/held.tgm", fault_root);
    unlink(flag);
    tgm_async_file_t *af = open_remote(url, NULL, NULL, 0);
    TT_ASSERT(af != NULL);
    /* Learn every layout first (no hold yet), so that each read below is
     * exactly one transfer of its object's frame. */
    size_t *all = malloc(N * sizeof *all);
    for (size_t i = 0; i < N; i++) {
        all[i] = i;
    }
    tgm_async_task_t *t;
    TT_ASSERT(tgm_async_file_prefetch_layouts(af, all, N, NULL, 0, &t) == TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_async_task_join_void(t), TGM_ERROR_OK);
    tgm_async_task_free(t);
    free(all);

    FILE *fh = fopen(flag, "w");
    TT_ASSERT(fh != NULL);
    fclose(fh);
    TT_CHECK_EQ_INT(stat_of("holding"), 0);
    TT_CHECK_ERR(fault_get("/__reset", (char[64]){0}, 64) ? TGM_ERROR_OK : TGM_ERROR_IO,
                 TGM_ERROR_OK);
    static tgm_async_task_t *reads[N];
    for (size_t i = 0; i < N; i++) {
        TT_ASSERT(tgm_async_file_decode_object(af, i, 0, true, 0, true, false, NULL, 0,
                                               &reads[i]) == TGM_ERROR_OK);
    }
    /* With two workers, 128 transfers are in flight together (the server
     * holds each one mid-body), the rest queued in the network loop. */
    TT_CHECK_EQ_INT(wait_stat("holding", HELD), HELD);
    /* A local task still gets a worker meanwhile: waited for through a
     * notifier, as an event loop would (a join could run it itself). */
    tgm_async_task_t *lt = NULL;
    tgm_async_task_t *ot = NULL;
    TT_ASSERT(tgm_async_file_open(local, NULL, 0, &ot) == TGM_ERROR_OK);
    tgm_async_file_t *lf = NULL;
    TT_ASSERT(tgm_async_task_join_async_file(ot, &lf) == TGM_ERROR_OK);
    tgm_async_task_free(ot);
    TT_ASSERT(tgm_async_file_decode_object(lf, 5, 1, true, 0, true, true, NULL, 0, &lt) ==
              TGM_ERROR_OK);
    tgm_async_notifier_t *nt;
    TT_ASSERT(tgm_async_notifier_create(&nt) == TGM_ERROR_OK);
    TT_ASSERT(tgm_async_task_set_notifier(lt, nt, 1) == TGM_ERROR_OK);
    TT_CHECK(tgm_async_notifier_wait(nt, 300000));
    tgm_message_t *m = NULL;
    TT_CHECK_ERR(tgm_async_task_join_message(lt, &m), TGM_ERROR_OK);
    tgm_message_free(m);
    tgm_async_task_free(lt);
    tgm_async_notifier_free(nt);
    tgm_async_file_close(lf);
    int ready = 0;
    for (size_t i = 0; i < N; i++) {
        ready += tgm_async_task_is_ready(reads[i]);
    }
    TT_CHECK_EQ_INT(ready, 0);
    TT_CHECK(tgm_async_pending_tasks() >= N);
    TT_CHECK_EQ_INT(stat_of("holding"), HELD);

    /* Cancel: every task resolves at once; the transfers in flight are
     * aborted (the server sees each client close its connection).  (A
     * queued transfer may start in a slot freed by an earlier cancellation
     * before its own arrives: it is aborted too.) */
    for (size_t i = 0; i < N; i++) {
        tgm_async_task_cancel(reads[i]);
        TT_CHECK(tgm_async_task_is_ready(reads[i]));
    }
    for (size_t i = 0; i < N; i++) {
        tgm_message_t *x = NULL;
        TT_CHECK_ERR(tgm_async_task_join_message(reads[i], &x), TGM_ERROR_CANCELLED);
        tgm_async_task_free(reads[i]);
    }
    long ab = wait_stat("aborted", HELD);
    TT_CHECK(ab >= HELD && ab <= N);
    printf("cancel: %ld held transfers aborted\n", ab);

    /* The handle still works once the server answers again. */
    unlink(flag);
    TT_ASSERT(tgm_async_file_decode_object(af, 7, 2, true, 0, true, true, NULL, 0, &t) ==
              TGM_ERROR_OK);
    m = NULL;
    TT_CHECK_ERR(tgm_async_task_join_message(t, &m), TGM_ERROR_OK);
    tgm_file_t *sf = NULL;
    tgm_message_t *want = NULL;
    TT_ASSERT(tgm_file_open(local, &sf) == TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_file_decode_object(sf, 7, 2, 1, 0, 1, &want), TGM_ERROR_OK);
    TT_CHECK(same_object(m, want, 0));
    tgm_message_free(m);
    tgm_message_free(want);
    tgm_file_close(sf);
    tgm_async_task_free(t);

    /* One task cancelled while its transfer is held. */
    fh = fopen(flag, "w");
    TT_ASSERT(fh != NULL);
    fclose(fh);
    long aborted = stat_of("aborted");
    TT_ASSERT(tgm_async_file_read_message(af, 11, NULL, 0, &t) == TGM_ERROR_OK);
    TT_CHECK_EQ_INT(wait_stat("holding", 1), 1);
    tgm_async_task_cancel(t);
    tgm_bytes_t b;
    TT_CHECK_ERR(tgm_async_task_join_bytes(t, &b), TGM_ERROR_CANCELLED);
    tgm_async_task_free(t);
    TT_CHECK_EQ_INT(wait_stat("aborted", aborted + 1), aborted + 1);
    unlink(flag);
    tgm_async_file_close(af);
    for (int i = 0; i < 6000 && tgm_async_pending_tasks() > 0; i++) {
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    TT_CHECK_EQ_INT(tgm_async_pending_tasks(), 0);
}

/* A deadline passing while the transfer is held: the task resolves
 * TIMEOUT and the transfer is aborted.  The deadline runs from submission,
 * so on a loaded machine it may pass before the request reaches the
 * server; each round doubles it until the transfer was held first. */
static void t_timeout_aborts(void) {
    TT_ASSERT(make_file(fault_root, "slow.tgm", 3, 12000, false));
    char url[1024], flag[1024];
    snprintf(url, sizeof url, "%s/f/holdmid/slow.tgm", fault_base);
    snprintf(flag, sizeof flag, "%s/slow.tgm.hold", fault_root);
    unlink(flag);
    tgm_async_file_t *af = open_remote(url, NULL, NULL, 0);
    TT_ASSERT(af != NULL);
    tgm_async_task_t *t;
    TT_ASSERT(tgm_async_file_message_count(af, NULL, 0, &t) == TGM_ERROR_OK);
    uint64_t n = 0;
    TT_CHECK_ERR(tgm_async_task_join_size(t, &n), TGM_ERROR_OK);
    TT_CHECK_EQ_INT(n, 3);
    tgm_async_task_free(t);
    TT_ASSERT(tgm_async_file_prefetch_layouts(af, (size_t[]){0, 1, 2}, 3, NULL, 0, &t) ==
              TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_async_task_join_void(t), TGM_ERROR_OK);
    tgm_async_task_free(t);
    FILE *fh = fopen(flag, "w");
    TT_ASSERT(fh != NULL);
    fclose(fh);
    bool held_first = false;
    for (uint64_t ms = 300; ms <= 20000 && !held_first; ms *= 2) {
        long base_hold = stat_of("holding"), aborted = stat_of("aborted");
        TT_ASSERT(tgm_async_file_decode_object(af, 2, 0, true, 0, true, false, NULL, ms, &t) ==
                  TGM_ERROR_OK);
        for (int i = 0; i < 100000 && !tgm_async_task_is_ready(t); i++) {
            if (stat_of("holding") > base_hold) {
                held_first = !tgm_async_task_is_ready(t);
                break;
            }
            struct timespec ts = {0, 5000000};
            nanosleep(&ts, NULL);
        }
        tgm_message_t *m = NULL;
        TT_CHECK_ERR(tgm_async_task_join_message(t, &m), TGM_ERROR_TIMEOUT);
        tgm_async_task_free(t);
        if (held_first) {
            TT_CHECK_EQ_INT(wait_stat("aborted", aborted + 1), aborted + 1);
        }
    }
    TT_CHECK(held_first);
    unlink(flag);
    tgm_async_file_close(af);
}

int main(void) {
    fault_base = env("TGM_TEST_FAULT_URL");
    fault_root = env("TGM_TEST_FAULT_ROOT");
    ngx_http = env("TGM_TEST_NGINX_HTTP");
    ngx_gen = env("TGM_TEST_NGINX_GEN");
    if (tgm_runtime_configure(WORKERS, 1, 0) != TGM_ERROR_OK) {
        fprintf(stderr, "runtime: %s\n", tgm_last_error());
        return 1;
    }
    if (ngx_http != NULL && ngx_gen != NULL) {
        TT_RUN(t_parity);
        TT_RUN(t_object_batch);
        TT_RUN(t_parity_reference);
    } else {
        TT_SKIP("no nginx (TGM_TEST_NGINX_HTTP)");
    }
    if (fault_base != NULL && fault_root != NULL) {
        TT_RUN(t_no_worker_held_and_cancel);
        TT_RUN(t_timeout_aborts);
    } else {
        TT_SKIP("no fault server (TGM_TEST_FAULT_URL)");
    }
    tgm_runtime_shutdown_blocking(10000);
    return tt_finish("test_remote_async");
}
