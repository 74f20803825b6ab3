/* tgm_async_*: the reference's asynchronous C API on the engine in
 * src/async.  Each launching call checks its arguments, copies what the
 * work needs into a context, and submits a task whose run function does
 * what the synchronous call does (with cancellation checks between its
 * steps).  Joins check the result kind and hand the result over. */
#include <pthread.h>
#include <string.h>

#include "api/api.h"
#include "async/async.h"
#include "common/alloc.h"
#include "common/thread.h"
#include "file/file.h"
#include "hash/hash.h"
#include "meta/meta.h"
#include "remote/remote.h"
#include "json/json.h"

/* ---- results -------------------------------------------------------------------- */

struct tgm_async_file_t {
    atomic_int refs; /* the caller's handle and every task using the file */
    tgm_file_t *file;
    char *path;
};

struct tgm_async_streaming_encoder_t {
    atomic_int refs;
    pthread_mutex_t mu;           /* held by the operation running on it */
    tgm_streaming_encoder_t *enc; /* NULL once finished */
    size_t count;                 /* objects written */
    char *path;
    tgm__strand *strand; /* its operations, one at a time */
};

static void afile_release(tgm_async_file_t *f) {
    if (f != NULL && atomic_fetch_sub(&f->refs, 1) == 1) {
        tgm_file_close(f->file);
        tgm__free(f->path);
        tgm__free(f);
    }
}

static void aenc_release(tgm_async_streaming_encoder_t *e) {
    if (e != NULL && atomic_fetch_sub(&e->refs, 1) == 1) {
        tgm_streaming_encoder_free(e->enc); /* abandons an unfinished message */
        tgm__strand_release(e->strand);
        pthread_mutex_destroy(&e->mu);
        tgm__free(e->path);
        tgm__free(e);
    }
}

void tgm_multi_bytes_free(tgm_bytes_t *array, size_t count) {
    if (array == NULL) {
        return;
    }
    for (size_t i = 0; i < count; i++) {
        tgm_bytes_free(array[i]);
    }
    tgm__free(array);
}

static void free_result(tgm__ares *r) {
    switch (r->kind) {
    case TGM__ARES_BYTES:
        tgm_bytes_free(r->bytes);
        break;
    case TGM__ARES_MULTI_BYTES:
        tgm_multi_bytes_free(r->ptr, (size_t)r->size);
        break;
    case TGM__ARES_MESSAGE:
        tgm_message_free(r->ptr);
        break;
    case TGM__ARES_METADATA:
        tgm_metadata_free(r->ptr);
        break;
    case TGM__ARES_ASYNC_FILE:
        afile_release(r->ptr);
        break;
    case TGM__ARES_STREAM_ENC:
        aenc_release(r->ptr);
        break;
    case TGM__ARES_MESSAGES: {
        tgm_message_t **v = r->ptr;
        for (uint64_t i = 0; v != NULL && i < r->size; i++) {
            tgm_message_free(v[i]);
        }
        tgm__free(v);
        break;
    }
    default:
        break;
    }
    memset(r, 0, sizeof *r);
}

/* ---- joins ---------------------------------------------------------------------- */

static const char *kind_name(tgm__ares_kind k) {
    switch (k) {
    case TGM__ARES_VOID:
        return "void";
    case TGM__ARES_SIZE:
        return "size";
    case TGM__ARES_BYTES:
        return "bytes";
    case TGM__ARES_MULTI_BYTES:
        return "multi_bytes";
    case TGM__ARES_MESSAGE:
        return "message";
    case TGM__ARES_METADATA:
        return "metadata";
    case TGM__ARES_ASYNC_FILE:
        return "async_file";
    case TGM__ARES_STREAM_ENC:
        return "async_streaming_encoder";
    case TGM__ARES_MESSAGES:
        return "message_array";
    default:
        return "none";
    }
}

/* Take the result and check its kind (a wrong kind is discarded). */
static tgm_error join(tgm_async_task_t *task, tgm__ares_kind want, tgm__ares *r) {
    TGM_TRY(tgm__async_take(task, r));
    if (r->kind != want) {
        free_result(r);
        return tgm__fail_raw(TGM_ERROR_INVALID_ARG, "task result type mismatch (expected %s)",
                             kind_name(want));
    }
    return TGM_ERROR_OK;
}

tgm_error tgm_async_task_join_void(tgm_async_task_t *task) {
    tgm__ares r;
    return join(task, TGM__ARES_VOID, &r);
}

tgm_error tgm_async_task_join_size(tgm_async_task_t *task, uint64_t *out) {
    TGM_API_REQUIRE(out != NULL, "null out pointer");
    tgm__ares r;
    TGM_TRY(join(task, TGM__ARES_SIZE, &r));
    *out = r.size;
    return TGM_ERROR_OK;
}

tgm_error tgm_async_task_join_bytes(tgm_async_task_t *task, tgm_bytes_t *out) {
    TGM_API_REQUIRE(out != NULL, "null out pointer");
    tgm__ares r;
    TGM_TRY(join(task, TGM__ARES_BYTES, &r));
    *out = r.bytes;
    return TGM_ERROR_OK;
}

#define JOIN_PTR(fn, T, kind)                                                                      \
    tgm_error fn(tgm_async_task_t *task, T **out) {                                                \
        TGM_API_REQUIRE(out != NULL, "null out pointer");                                          \
        tgm__ares r;                                                                               \
        TGM_TRY(join(task, kind, &r));                                                             \
        *out = r.ptr;                                                                              \
        return TGM_ERROR_OK;                                                                       \
    }

JOIN_PTR(tgm_async_task_join_message, tgm_message_t, TGM__ARES_MESSAGE)
JOIN_PTR(tgm_async_task_join_metadata, tgm_metadata_t, TGM__ARES_METADATA)
JOIN_PTR(tgm_async_task_join_async_file, tgm_async_file_t, TGM__ARES_ASYNC_FILE)
JOIN_PTR(tgm_async_task_join_async_streaming_encoder, tgm_async_streaming_encoder_t,
         TGM__ARES_STREAM_ENC)

tgm_error tgm_async_task_join_multi_bytes(tgm_async_task_t *task, tgm_bytes_t **out_array,
                                          size_t *out_count) {
    TGM_API_REQUIRE(out_array != NULL && out_count != NULL, "null out pointer");
    tgm__ares r;
    TGM_TRY(join(task, TGM__ARES_MULTI_BYTES, &r));
    *out_array = r.ptr;
    *out_count = (size_t)r.size;
    return TGM_ERROR_OK;
}

tgm_error tgm_async_task_join_message_array(tgm_async_task_t *task, tgm_message_t **out, size_t n) {
    TGM_API_REQUIRE(out != NULL || n == 0, "null out pointer");
    tgm__ares r;
    TGM_TRY(join(task, TGM__ARES_MESSAGES, &r));
    if (r.size != n) {
        uint64_t had = r.size;
        free_result(&r);
        return tgm__fail_raw(TGM_ERROR_INVALID_ARG,
                             "message array of %llu given room for %zu (result discarded)",
                             (unsigned long long)had, n);
    }
    tgm_message_t **v = r.ptr;
    for (size_t i = 0; i < n; i++) {
        out[i] = v[i];
    }
    tgm__free(v);
    return TGM_ERROR_OK;
}

/* ---- async files ------------------------------------------------------------------- */

const char *tgm_async_file_path(const tgm_async_file_t *file) { return file ? file->path : NULL; }

void tgm_async_file_close(tgm_async_file_t *file) { afile_release(file); }

typedef enum {
    OP_COUNT,
    OP_READ,
    OP_DECODE,
    OP_METADATA,
    OP_DESCRIPTORS,
    OP_OBJECT,
    OP_RANGE,
    OP_PREFETCH,
    OP_OBJECT_BATCH
} file_op;

typedef struct file_ctx {
    char *path;            /* open: a path or a URL */
    char **keys, **values; /* open_remote: storage options */
    size_t nopts;
    bool remote, bidirectional;
    tgm_async_file_t *af;
    file_op op;
    size_t msg, obj;
    tgm_api_decode_opts dopts;
    uint64_t *offsets, *counts; /* OP_RANGE, n_ranges each */
    size_t n_ranges;
    size_t *indexes; /* OP_PREFETCH, OP_OBJECT_BATCH: n_ranges of them */
    /* Remote files: the operation's reads go through the network loop
     * without holding a worker (remote.h, deferred reads). */
    tgm_remote_defer *defer;
    uint32_t rounds;
} file_ctx;

static void file_ctx_free(void *p) {
    file_ctx *c = p;
    for (size_t i = 0; i < c->nopts; i++) {
        tgm__free(c->keys[i]);
        tgm__free(c->values[i]);
    }
    tgm__free(c->keys);
    tgm__free(c->values);
    afile_release(c->af);
    tgm__free(c->path);
    tgm__free(c->offsets);
    tgm__free(c->counts);
    tgm__free(c->indexes);
    tgm__remote_defer_free(c->defer);
    tgm__free(c);
}

static tgm_error run_open(tgm_async_task_t *t, void *p, tgm__ares *out) {
    (void)t;
    file_ctx *c = p;
    tgm_async_file_t *af = tgm__calloc(1, sizeof *af);
    if (af == NULL) {
        return tgm__oom(sizeof *af, "async file");
    }
    tgm_error err;
    if (c->remote) {
        tgm_scan_options scan = TGM_SCAN_OPTIONS_INIT;
        scan.bidirectional = c->bidirectional ? 1 : 0;
        err = tgm_file_open_remote(c->path, (const char *const *)c->keys,
                                   (const char *const *)c->values, c->nopts, &scan, &af->file);
    } else {
        err = tgm_file_open(c->path, &af->file);
    }
    if (err != TGM_ERROR_OK) {
        tgm__free(af);
        return err;
    }
    atomic_init(&af->refs, 1);
    af->path = c->path; /* the context's copy moves to the handle */
    c->path = NULL;
    out->kind = TGM__ARES_ASYNC_FILE;
    out->ptr = af;
    return TGM_ERROR_OK;
}

/* Message bytes of the async file: a view or an owned copy. */
typedef struct {
    const uint8_t *p;
    size_t n;
    uint8_t *owned;
} msg_bytes;

static tgm_error run_range(file_ctx *c, const msg_bytes *m, tgm__ares *out) {
    size_t n = c->n_ranges;
    tgm_bytes_t *parts = tgm__calloc(n ? n : 1, sizeof *parts);
    if (parts == NULL) {
        return tgm__oom(n * sizeof *parts, "range results");
    }
    size_t got = 0;
    tgm_error err = TGM_ERROR_OK;
    if (n > 0) {
        err = tgm_decode_range(m->p, m->n, c->obj, c->offsets, c->counts, n,
                               c->dopts.native_byte_order, c->dopts.threads, 0, parts, &got);
    }
    if (err != TGM_ERROR_OK) {
        tgm__free(parts);
        return err;
    }
    out->kind = TGM__ARES_MULTI_BYTES;
    out->ptr = parts;
    out->size = got;
    return TGM_ERROR_OK;
}

/* Remote files: the file API reads only what each operation needs (an
 * object's frame, a message's two ends), where taking the whole message
 * as local files do would download it. */
static tgm_error run_remote_op(file_ctx *c, tgm__ares *out) {
    tgm_file_t *f = c->af->file;
    const tgm_api_decode_opts *o = &c->dopts;
    tgm_error err;
    if (c->op == OP_DECODE) {
        TgmDecodeMaskOptions mo = {o->restore_non_finite};
        err =
            tgm_file_decode_message_with_options(f, c->msg, o->native_byte_order, o->threads,
                                                 o->verify_hash, &mo, (tgm_message_t **)&out->ptr);
        out->kind = TGM__ARES_MESSAGE;
    } else if (c->op == OP_METADATA) {
        err = tgm_file_decode_metadata(f, c->msg, (tgm_metadata_t **)&out->ptr);
        out->kind = TGM__ARES_METADATA;
    } else if (c->op == OP_DESCRIPTORS) {
        err = tgm_file_decode_descriptors(f, c->msg, (tgm_message_t **)&out->ptr);
        out->kind = TGM__ARES_MESSAGE;
    } else if (c->op == OP_OBJECT) {
        err = tgm_file_decode_object(f, c->msg, c->obj, o->native_byte_order, o->threads,
                                     o->verify_hash, (tgm_message_t **)&out->ptr);
        out->kind = TGM__ARES_MESSAGE;
    } else if (c->op == OP_PREFETCH) {
        err = tgm_file_prefetch_layouts(f, c->indexes, c->n_ranges);
        out->kind = TGM__ARES_VOID;
    } else {
        size_t n = c->n_ranges;
        tgm_bytes_t *parts = tgm__calloc(n ? n : 1, sizeof *parts);
        if (parts == NULL) {
            return tgm__oom(n * sizeof *parts, "range results");
        }
        size_t got = 0;
        err = n == 0 ? TGM_ERROR_OK
                     : tgm_file_decode_range(f, c->msg, c->obj, c->offsets, c->counts, n,
                                             o->native_byte_order, o->threads, 0, parts, &got);
        if (err != TGM_ERROR_OK) {
            tgm__free(parts);
        } else {
            out->kind = TGM__ARES_MULTI_BYTES;
            out->ptr = parts;
            out->size = got;
        }
    }
    if (err != TGM_ERROR_OK) {
        memset(out, 0, sizeof *out);
    }
    return err;
}

static tgm_error run_file_step(file_ctx *c, tgm__ares *out) {
    tgm_file_t *f = c->af->file;
    if (c->op == OP_OBJECT_BATCH) {
        size_t n = c->n_ranges;
        tgm_message_t **v = tgm__calloc(n ? n : 1, sizeof *v);
        if (v == NULL) {
            return tgm__oom(n * sizeof *v, "batch results");
        }
        const tgm_api_decode_opts *o = &c->dopts;
        tgm_error err = tgm_file_decode_object_batch(f, c->indexes, n, c->obj, o->native_byte_order,
                                                     o->threads, o->verify_hash, v);
        if (err != TGM_ERROR_OK) {
            tgm__free(v);
            return err;
        }
        out->kind = TGM__ARES_MESSAGES;
        out->ptr = v;
        out->size = n;
        return TGM_ERROR_OK;
    }
    if (c->op == OP_COUNT) {
        size_t n;
        TGM_TRY(tgm_file_message_count(f, &n));
        out->kind = TGM__ARES_SIZE;
        out->size = n;
        return TGM_ERROR_OK;
    }
    if (c->op == OP_READ) {
        TGM_TRY(tgm_file_read_message(f, c->msg, &out->bytes));
        out->kind = TGM__ARES_BYTES;
        return TGM_ERROR_OK;
    }
    if (c->op == OP_PREFETCH && !tgm_file_is_remote(f)) {
        for (size_t i = 0; i < c->n_ranges; i++) {
            uint64_t off, len;
            TGM_TRY(tgm_file_message_layout(f, c->indexes[i], &off, &len));
        }
        out->kind = TGM__ARES_VOID;
        return TGM_ERROR_OK;
    }
    if (tgm_file_is_remote(f)) {
        return run_remote_op(c, out);
    }
    msg_bytes m;
    TGM_TRY(tgm__file_message(f, c->msg, false, &m.p, &m.n, &m.owned));
    tgm_error err = TGM_ERROR_OK;
    if (tgm__stop_requested()) {
        err = tgm__fail(TGM_ERROR_CANCELLED, "stopped: task cancelled");
    } else if (c->op == OP_DECODE) {
        err = tgm__api_decode_into(m.p, m.n, &c->dopts, (tgm_message_t **)&out->ptr);
        out->kind = TGM__ARES_MESSAGE;
    } else if (c->op == OP_METADATA) {
        err = tgm_decode_metadata(m.p, m.n, (tgm_metadata_t **)&out->ptr);
        out->kind = TGM__ARES_METADATA;
    } else if (c->op == OP_DESCRIPTORS) {
        err = tgm_decode_descriptors(m.p, m.n, (tgm_message_t **)&out->ptr);
        out->kind = TGM__ARES_MESSAGE;
    } else if (c->op == OP_OBJECT) {
        err = tgm__api_decode_one(m.p, m.n, c->obj, &c->dopts, (tgm_message_t **)&out->ptr);
        out->kind = TGM__ARES_MESSAGE;
    } else {
        err = run_range(c, &m, out);
    }
    tgm__free(m.owned);
    if (err != TGM_ERROR_OK) {
        memset(out, 0, sizeof *out);
    }
    return err;
}

/* A remote operation that needs more rounds than this (a pathological
 * scan) finishes on its worker with blocking reads. */
#define MAX_DEFER_ROUNDS 4096

static void on_fetched(void *task) { tgm__async_resume(task); }

/* Remote files: run the operation with deferred reads; when it needs bytes
 * it does not have, start fetching them and give the worker back (the
 * network thread resumes the task when they are in).  Local files, and a
 * remote operation past MAX_DEFER_ROUNDS, run straight through. */
static tgm_error run_file_op(tgm_async_task_t *t, void *p, tgm__ares *out) {
    file_ctx *c = p;
    tgm_file_t *f = c->af->file;
    if (!tgm_file_is_remote(f) || c->rounds >= MAX_DEFER_ROUNDS) {
        return run_file_step(c, out);
    }
    if (c->defer == NULL) {
        TGM_TRY(tgm__remote_defer_new(tgm__file_source(f), &c->defer));
    } else {
        TGM_TRY(tgm__remote_defer_status(c->defer));
    }
    tgm__remote_defer_begin(c->defer);
    tgm_error err = run_file_step(c, out);
    if (!tgm__remote_defer_end(c->defer)) {
        return err;
    }
    /* The run read something it did not have: its outcome is void. */
    if (err == TGM_ERROR_OK) {
        free_result(out);
    }
    memset(out, 0, sizeof *out);
    tgm__clear_error();
    c->rounds++;
    TGM_TRY(tgm__remote_defer_fetch(c->defer, on_fetched, t));
    if (tgm__async_stop_requested()) {
        tgm__remote_defer_cancel(c->defer);
    }
    return TGM__ASYNC_SUSPEND;
}

static void file_on_stop(void *p) {
    file_ctx *c = p;
    tgm__remote_defer_cancel(c->defer);
}

static const tgm__atask_ops open_ops = {run_open, file_ctx_free, free_result, NULL};
static const tgm__atask_ops file_ops = {run_file_op, file_ctx_free, free_result, file_on_stop};

static tgm_error new_file_ctx(tgm_async_file_t *af, file_op op, file_ctx **out) {
    file_ctx *c = tgm__calloc(1, sizeof *c);
    if (c == NULL) {
        return tgm__oom(sizeof *c, "task context");
    }
    if (af != NULL) {
        atomic_fetch_add(&af->refs, 1);
        c->af = af;
    }
    c->op = op;
    c->dopts.native_byte_order = true;
    c->dopts.restore_non_finite = true;
    *out = c;
    return TGM_ERROR_OK;
}

tgm_error tgm_async_file_open(const char *path, tgm_cancellation_token_t *cancel,
                              uint64_t timeout_ms, tgm_async_task_t **out_task) {
    tgm__clear_error();
    TGM_API_REQUIRE(path != NULL && out_task != NULL, "null argument");
    TGM_TRY(tgm__async_check_live());
    file_ctx *c = NULL;
    TGM_TRY(new_file_ctx(NULL, OP_COUNT, &c));
    c->path = tgm__strdup(path);
    if (c->path == NULL) {
        file_ctx_free(c);
        return tgm__oom(strlen(path), "path");
    }
    return tgm__async_submit(&open_ops, c, cancel, timeout_ms, NULL, out_task);
}

tgm_error tgm_async_file_open_remote(const char *url, const char *const *storage_keys,
                                     const char *const *storage_values, size_t nopts,
                                     bool bidirectional, tgm_cancellation_token_t *cancel,
                                     uint64_t timeout_ms, tgm_async_task_t **out_task) {
    tgm__clear_error();
    TGM_API_REQUIRE(url != NULL && out_task != NULL, "null argument");
    TGM_API_REQUIRE(nopts == 0 || (storage_keys != NULL && storage_values != NULL),
                    "null storage opts pointer");
    for (size_t i = 0; i < nopts; i++) {
        TGM_API_REQUIRE(storage_keys[i] != NULL && storage_values[i] != NULL,
                        "null storage opt entry");
    }
    TGM_TRY(tgm__async_check_live());
    file_ctx *c = NULL;
    TGM_TRY(new_file_ctx(NULL, OP_COUNT, &c));
    c->remote = true;
    c->bidirectional = bidirectional;
    c->path = tgm__strdup(url);
    if (nopts > 0) {
        c->keys = tgm__calloc(nopts, sizeof *c->keys);
        c->values = tgm__calloc(nopts, sizeof *c->values);
    }
    bool ok = c->path != NULL && (nopts == 0 || (c->keys != NULL && c->values != NULL));
    for (size_t i = 0; ok && i < nopts; i++) {
        c->keys[i] = tgm__strdup(storage_keys[i]);
        c->values[i] = tgm__strdup(storage_values[i]);
        c->nopts = i + 1;
        ok = c->keys[i] != NULL && c->values[i] != NULL;
    }
    if (!ok) {
        file_ctx_free(c);
        return tgm__oom(strlen(url), "remote open arguments");
    }
    return tgm__async_submit(&open_ops, c, cancel, timeout_ms, NULL, out_task);
}

static tgm_error submit_file_op(tgm_async_file_t *file, file_ctx *c,
                                tgm_cancellation_token_t *cancel, uint64_t timeout_ms,
                                tgm_async_task_t **out_task) {
    (void)file;
    return tgm__async_submit(&file_ops, c, cancel, timeout_ms, NULL, out_task);
}

#define FILE_PROLOGUE(op)                                                                          \
    tgm__clear_error();                                                                            \
    TGM_API_REQUIRE(file != NULL && out_task != NULL, "null argument");                            \
    TGM_TRY(tgm__async_check_live());                                                              \
    file_ctx *c = NULL;                                                                            \
    TGM_TRY(new_file_ctx(file, op, &c))

tgm_error tgm_async_file_message_count(tgm_async_file_t *file, tgm_cancellation_token_t *cancel,
                                       uint64_t timeout_ms, tgm_async_task_t **out_task) {
    FILE_PROLOGUE(OP_COUNT);
    return submit_file_op(file, c, cancel, timeout_ms, out_task);
}

tgm_error tgm_async_file_read_message(tgm_async_file_t *file, size_t index,
                                      tgm_cancellation_token_t *cancel, uint64_t timeout_ms,
                                      tgm_async_task_t **out_task) {
    FILE_PROLOGUE(OP_READ);
    c->msg = index;
    return submit_file_op(file, c, cancel, timeout_ms, out_task);
}

tgm_error tgm_async_file_decode_message(tgm_async_file_t *file, size_t index,
                                        bool native_byte_order, uint32_t threads,
                                        bool restore_non_finite, bool verify_hash,
                                        tgm_cancellation_token_t *cancel, uint64_t timeout_ms,
                                        tgm_async_task_t **out_task) {
    FILE_PROLOGUE(OP_DECODE);
    c->msg = index;
    c->dopts = (tgm_api_decode_opts){.native_byte_order = native_byte_order,
                                     .verify_hash = verify_hash,
                                     .restore_non_finite = restore_non_finite,
                                     .threads = threads};
    return submit_file_op(file, c, cancel, timeout_ms, out_task);
}

tgm_error tgm_async_file_decode_metadata(tgm_async_file_t *file, size_t index,
                                         tgm_cancellation_token_t *cancel, uint64_t timeout_ms,
                                         tgm_async_task_t **out_task) {
    FILE_PROLOGUE(OP_METADATA);
    c->msg = index;
    return submit_file_op(file, c, cancel, timeout_ms, out_task);
}

tgm_error tgm_async_file_decode_object(tgm_async_file_t *file, size_t msg_index, size_t obj_index,
                                       bool native_byte_order, uint32_t threads,
                                       bool restore_non_finite, bool verify_hash,
                                       tgm_cancellation_token_t *cancel, uint64_t timeout_ms,
                                       tgm_async_task_t **out_task) {
    FILE_PROLOGUE(OP_OBJECT);
    c->msg = msg_index;
    c->obj = obj_index;
    c->dopts = (tgm_api_decode_opts){.native_byte_order = native_byte_order,
                                     .verify_hash = verify_hash,
                                     .restore_non_finite = restore_non_finite,
                                     .threads = threads};
    return submit_file_op(file, c, cancel, timeout_ms, out_task);
}

tgm_error tgm_async_file_decode_range(tgm_async_file_t *file, size_t msg_index, size_t obj_index,
                                      const uint64_t *offsets, const uint64_t *counts,
                                      size_t n_ranges, bool native_byte_order, uint32_t threads,
                                      tgm_cancellation_token_t *cancel, uint64_t timeout_ms,
                                      tgm_async_task_t **out_task) {
    tgm__clear_error();
    TGM_API_REQUIRE(offsets != NULL && counts != NULL, "null argument");
    FILE_PROLOGUE(OP_RANGE);
    c->msg = msg_index;
    c->obj = obj_index;
    c->dopts.native_byte_order = native_byte_order;
    c->dopts.threads = threads;
    c->n_ranges = n_ranges;
    if (n_ranges > 0) {
        c->offsets = tgm__malloc_array(n_ranges, sizeof *c->offsets);
        c->counts = tgm__malloc_array(n_ranges, sizeof *c->counts);
        if (c->offsets == NULL || c->counts == NULL) {
            file_ctx_free(c);
            return tgm__oom(n_ranges * sizeof *c->offsets, "ranges");
        }
        memcpy(c->offsets, offsets, n_ranges * sizeof *offsets);
        memcpy(c->counts, counts, n_ranges * sizeof *counts);
    }
    return submit_file_op(file, c, cancel, timeout_ms, out_task);
}

tgm_error tgm_async_file_decode_descriptors(tgm_async_file_t *file, size_t index,
                                            tgm_cancellation_token_t *cancel, uint64_t timeout_ms,
                                            tgm_async_task_t **out_task) {
    FILE_PROLOGUE(OP_DESCRIPTORS);
    c->msg = index;
    return submit_file_op(file, c, cancel, timeout_ms, out_task);
}

tgm_error tgm_async_file_prefetch_layouts(tgm_async_file_t *file, const size_t *indexes, size_t n,
                                          tgm_cancellation_token_t *cancel, uint64_t timeout_ms,
                                          tgm_async_task_t **out_task) {
    tgm__clear_error();
    TGM_API_REQUIRE(indexes != NULL || n == 0, "null argument");
    FILE_PROLOGUE(OP_PREFETCH);
    c->n_ranges = n;
    if (n > 0) {
        c->indexes = tgm__malloc_array(n, sizeof *c->indexes);
        if (c->indexes == NULL) {
            file_ctx_free(c);
            return tgm__oom(n * sizeof *c->indexes, "indexes");
        }
        memcpy(c->indexes, indexes, n * sizeof *indexes);
    }
    return submit_file_op(file, c, cancel, timeout_ms, out_task);
}

tgm_error tgm_async_file_decode_object_batch(tgm_async_file_t *file, const size_t *msg_indices,
                                             size_t n, size_t obj_index, bool native_byte_order,
                                             uint32_t threads, bool verify_hash,
                                             tgm_cancellation_token_t *cancel, uint64_t timeout_ms,
                                             tgm_async_task_t **out_task) {
    tgm__clear_error();
    TGM_API_REQUIRE(msg_indices != NULL || n == 0, "null argument");
    FILE_PROLOGUE(OP_OBJECT_BATCH);
    c->obj = obj_index;
    c->dopts.native_byte_order = native_byte_order;
    c->dopts.threads = threads;
    c->dopts.verify_hash = verify_hash;
    c->n_ranges = n;
    if (n > 0) {
        c->indexes = tgm__malloc_array(n, sizeof *c->indexes);
        if (c->indexes == NULL) {
            file_ctx_free(c);
            return tgm__oom(n * sizeof *c->indexes, "indexes");
        }
        memcpy(c->indexes, msg_indices, n * sizeof *msg_indices);
    }
    return submit_file_op(file, c, cancel, timeout_ms, out_task);
}

/* ---- async streaming encoder --------------------------------------------------------- */

typedef enum { SOP_CREATE, SOP_OBJECT, SOP_PRE_ENCODED, SOP_PRECEDER, SOP_FINISH } stream_op;

typedef struct stream_ctx {
    stream_op op;
    tgm_async_streaming_encoder_t *enc; /* all but CREATE */
    char *path, *json, *hash;           /* json: metadata or descriptor */
    uint8_t *data;
    size_t len;
    uint32_t threads;
    bool backfill;
} stream_ctx;

static void stream_ctx_free(void *p) {
    stream_ctx *c = p;
    aenc_release(c->enc);
    tgm__free(c->path);
    tgm__free(c->json);
    tgm__free(c->hash);
    tgm__free(c->data);
    tgm__free(c);
}

static tgm_error run_stream_create(stream_ctx *c, tgm__ares *out) {
    tgm_async_streaming_encoder_t *e = tgm__calloc(1, sizeof *e);
    if (e == NULL) {
        return tgm__oom(sizeof *e, "async streaming encoder");
    }
    tgm_error err = tgm__strand_new(&e->strand);
    if (err == TGM_ERROR_OK) {
        err = tgm_streaming_encoder_create(c->path, c->json, c->hash, c->threads, &e->enc);
    }
    if (err != TGM_ERROR_OK) {
        tgm__strand_release(e->strand);
        tgm__free(e);
        return err;
    }
    atomic_init(&e->refs, 1);
    pthread_mutex_init(&e->mu, NULL);
    e->path = c->path;
    c->path = NULL;
    out->kind = TGM__ARES_STREAM_ENC;
    out->ptr = e;
    return TGM_ERROR_OK;
}

static tgm_error run_stream_op(tgm_async_task_t *t, void *p, tgm__ares *out) {
    (void)t;
    stream_ctx *c = p;
    if (c->op == SOP_CREATE) {
        return run_stream_create(c, out);
    }
    tgm_async_streaming_encoder_t *e = c->enc;
    pthread_mutex_lock(&e->mu);
    tgm_error err = TGM_ERROR_OK;
    if (e->enc == NULL) {
        err = tgm__fail(TGM_ERROR_FRAMING, "encoder already finished");
    } else if (c->op == SOP_OBJECT || c->op == SOP_PRE_ENCODED) {
        err = c->op == SOP_OBJECT
                  ? tgm_streaming_encoder_write(e->enc, c->json, c->data, c->len)
                  : tgm_streaming_encoder_write_pre_encoded(e->enc, c->json, c->data, c->len);
        if (err == TGM_ERROR_OK) {
            e->count = tgm_streaming_encoder_count(e->enc);
        }
    } else if (c->op == SOP_PRECEDER) {
        err = tgm_streaming_encoder_write_preceder(e->enc, c->json);
    } else {
        err = c->backfill ? tgm_streaming_encoder_finish_backfilled(e->enc)
                          : tgm_streaming_encoder_finish(e->enc);
        if (err == TGM_ERROR_OK) {
            tgm_streaming_encoder_free(e->enc);
            e->enc = NULL;
        }
    }
    pthread_mutex_unlock(&e->mu);
    if (err == TGM_ERROR_OK) {
        out->kind = TGM__ARES_VOID;
    }
    return err;
}

static const tgm__atask_ops stream_ops = {run_stream_op, stream_ctx_free, free_result, NULL};

/* Check that `json` is a JSON object (METADATA error otherwise): the
 * launching call reports malformed JSON at once, as the reference does. */
static tgm_error check_json_object(const char *json, const char *what) {
    tgm_arena arena = TGM_ARENA_INIT;
    tgm_val *root;
    tgm_error err = tgm__json_parse_ex(json, strlen(json), TGM_JSON_ALLOW_NONFINITE, &arena, &root);
    if (err == TGM_ERROR_OK && root->kind != TGM_V_MAP) {
        err = tgm__fail_raw(TGM_ERROR_METADATA, "%s must be a JSON object", what);
    } else if (err != TGM_ERROR_OK) {
        err = tgm__wrap(TGM_ERROR_METADATA, "invalid %s", what);
    }
    tgm__arena_free(&arena);
    return err;
}

static tgm_error new_stream_ctx(tgm_async_streaming_encoder_t *enc, stream_op op, const char *json,
                                stream_ctx **out) {
    stream_ctx *c = tgm__calloc(1, sizeof *c);
    if (c == NULL) {
        return tgm__oom(sizeof *c, "task context");
    }
    c->op = op;
    if (enc != NULL) {
        atomic_fetch_add(&enc->refs, 1);
        c->enc = enc;
    }
    if (json != NULL && (c->json = tgm__strdup(json)) == NULL) {
        stream_ctx_free(c);
        return tgm__oom(strlen(json), "JSON text");
    }
    *out = c;
    return TGM_ERROR_OK;
}

tgm_error tgm_async_streaming_encoder_create(const char *path, const char *metadata_json,
                                             const char *hash_algo, uint32_t threads,
                                             tgm_cancellation_token_t *cancel, uint64_t timeout_ms,
                                             tgm_async_task_t **out_task) {
    tgm__clear_error();
    TGM_API_REQUIRE(path != NULL && metadata_json != NULL && out_task != NULL, "null argument");
    TGM_TRY(tgm__async_check_live());
    TGM_TRY(check_json_object(metadata_json, "metadata_json"));
    int hashing;
    TGM_TRY(tgm__hash_parse_algo(hash_algo, &hashing));
    stream_ctx *c = NULL;
    TGM_TRY(new_stream_ctx(NULL, SOP_CREATE, metadata_json, &c));
    c->threads = threads;
    c->path = tgm__strdup(path);
    if (c->path == NULL || (hash_algo != NULL && (c->hash = tgm__strdup(hash_algo)) == NULL)) {
        stream_ctx_free(c);
        return tgm__oom(strlen(path), "path");
    }
    return tgm__async_submit(&stream_ops, c, cancel, timeout_ms, NULL, out_task);
}

static tgm_error write_common(tgm_async_streaming_encoder_t *enc, stream_op op,
                              const char *descriptor_json, const uint8_t *data, size_t len,
                              tgm_cancellation_token_t *cancel, uint64_t timeout_ms,
                              tgm_async_task_t **out_task) {
    tgm__clear_error();
    TGM_API_REQUIRE(enc != NULL && descriptor_json != NULL && out_task != NULL, "null argument");
    TGM_API_REQUIRE(data != NULL || len == 0, "null argument");
    TGM_TRY(tgm__async_check_live());
    TGM_TRY(check_json_object(descriptor_json, "descriptor JSON"));
    stream_ctx *c = NULL;
    TGM_TRY(new_stream_ctx(enc, op, descriptor_json, &c));
    c->len = len;
    c->data = tgm__malloc(len ? len : 1); /* the caller may reuse `data` at once */
    if (c->data == NULL) {
        stream_ctx_free(c);
        return tgm__oom(len, "object data");
    }
    if (len > 0) {
        memcpy(c->data, data, len);
    }
    return tgm__async_submit(&stream_ops, c, cancel, timeout_ms, enc->strand, out_task);
}

tgm_error tgm_async_streaming_encoder_write_object(tgm_async_streaming_encoder_t *enc,
                                                   const char *descriptor_json, const uint8_t *data,
                                                   size_t len, tgm_cancellation_token_t *cancel,
                                                   uint64_t timeout_ms,
                                                   tgm_async_task_t **out_task) {
    return write_common(enc, SOP_OBJECT, descriptor_json, data, len, cancel, timeout_ms, out_task);
}

tgm_error tgm_async_streaming_encoder_write_pre_encoded(tgm_async_streaming_encoder_t *enc,
                                                        const char *descriptor_json,
                                                        const uint8_t *data, size_t len,
                                                        tgm_cancellation_token_t *cancel,
                                                        uint64_t timeout_ms,
                                                        tgm_async_task_t **out_task) {
    return write_common(enc, SOP_PRE_ENCODED, descriptor_json, data, len, cancel, timeout_ms,
                        out_task);
}

tgm_error tgm_async_streaming_encoder_write_preceder(tgm_async_streaming_encoder_t *enc,
                                                     const char *metadata_json,
                                                     tgm_cancellation_token_t *cancel,
                                                     uint64_t timeout_ms,
                                                     tgm_async_task_t **out_task) {
    tgm__clear_error();
    TGM_API_REQUIRE(enc != NULL && metadata_json != NULL && out_task != NULL, "null argument");
    TGM_TRY(tgm__async_check_live());
    TGM_TRY(check_json_object(metadata_json, "preceder metadata"));
    stream_ctx *c = NULL;
    TGM_TRY(new_stream_ctx(enc, SOP_PRECEDER, metadata_json, &c));
    return tgm__async_submit(&stream_ops, c, cancel, timeout_ms, enc->strand, out_task);
}

tgm_error tgm_async_streaming_encoder_finish(tgm_async_streaming_encoder_t *enc, bool backfill,
                                             tgm_cancellation_token_t *cancel, uint64_t timeout_ms,
                                             tgm_async_task_t **out_task) {
    tgm__clear_error();
    TGM_API_REQUIRE(enc != NULL && out_task != NULL, "null argument");
    TGM_TRY(tgm__async_check_live());
    stream_ctx *c = NULL;
    TGM_TRY(new_stream_ctx(enc, SOP_FINISH, NULL, &c));
    c->backfill = backfill;
    return tgm__async_submit(&stream_ops, c, cancel, timeout_ms, enc->strand, out_task);
}

TgmObjectCountStatus
tgm_async_streaming_encoder_try_object_count(const tgm_async_streaming_encoder_t *enc,
                                             size_t *out_count) {
    if (enc == NULL || out_count == NULL) {
        return TGM_OBJECT_COUNT_STATUS_NULL_HANDLE;
    }
    tgm_async_streaming_encoder_t *e = (tgm_async_streaming_encoder_t *)(uintptr_t)enc;
    if (pthread_mutex_trylock(&e->mu) != 0) {
        return TGM_OBJECT_COUNT_STATUS_BUSY;
    }
    TgmObjectCountStatus st = TGM_OBJECT_COUNT_STATUS_FINISHED;
    if (e->enc != NULL) {
        *out_count = e->count;
        st = TGM_OBJECT_COUNT_STATUS_OK;
    }
    pthread_mutex_unlock(&e->mu);
    return st;
}

size_t tgm_async_streaming_encoder_object_count(const tgm_async_streaming_encoder_t *enc) {
    size_t n = 0;
    return tgm_async_streaming_encoder_try_object_count(enc, &n) == TGM_OBJECT_COUNT_STATUS_OK
               ? n
               : SIZE_MAX;
}

const char *tgm_async_streaming_encoder_path(const tgm_async_streaming_encoder_t *enc) {
    return enc ? enc->path : NULL;
}

void tgm_async_streaming_encoder_free(tgm_async_streaming_encoder_t *enc) { aenc_release(enc); }
