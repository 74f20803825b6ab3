/* tgm_streaming_encoder_*: the reference's streaming encoder API (path
 * output, plain finish) and our additions (fd and memory outputs,
 * back-filled finish, finish-and-reset).  The work is in stream/. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>

#include "api/api.h"
#include "common/alloc.h"
#include "common/thread.h"
#include "hash/hash.h"
#include "io/io.h"
#include "stream/stream.h"
#include "json/json.h"

typedef enum { OUT_PATH, OUT_FD, OUT_MEMORY } out_kind;

struct tgm_streaming_encoder_t {
    tgm_stream *s; /* NULL once finished */
    out_kind kind;
    /* Memory encoders: the finished message until taken. */
    uint8_t *result;
    size_t result_len;
    bool has_result;
};

/* Options in the form the stream wants, from either API flavour. */
typedef struct enc_args {
    const char *hash_algo;
    uint32_t threads;
    const TgmEncodeMaskOptions *mask_options;
    const char *aggregate_hash;
} enc_args;

#define OPT_HAS(o, field) ((o)->size >= offsetof(tgm_streaming_options, field) + sizeof((o)->field))

static tgm_error args_from_options(const tgm_streaming_options *o, enc_args *a) {
    memset(a, 0, sizeof *a);
    if (o == NULL) {
        return TGM_ERROR_OK;
    }
    TGM_API_REQUIRE(o->size >= offsetof(tgm_streaming_options, hash_algo) + sizeof(o->hash_algo),
                    "tgm_streaming_options.size is too small: initialise the options with "
                    "TGM_STREAMING_OPTIONS_INIT");
    a->hash_algo = o->hash_algo;
    if (OPT_HAS(o, threads)) {
        a->threads = o->threads;
    }
    if (OPT_HAS(o, mask_options)) {
        a->mask_options = o->mask_options;
    }
    if (OPT_HAS(o, aggregate_hash)) {
        a->aggregate_hash = o->aggregate_hash;
    }
    return TGM_ERROR_OK;
}

/* Aggregate-hash placement: streaming can only put it in the footer. */
static tgm_error parse_aggregate(const char *name, bool *footer) {
    if (name == NULL || strcmp(name, "auto") == 0 || strcmp(name, "footer") == 0) {
        *footer = true;
        return TGM_ERROR_OK;
    }
    if (strcmp(name, "none") == 0) {
        *footer = false;
        return TGM_ERROR_OK;
    }
    if (strcmp(name, "header") == 0 || strcmp(name, "both") == 0) {
        return tgm__fail(TGM_ERROR_ENCODING,
                         "aggregate hash placement '%s' is not supported in streaming mode: the "
                         "header is written before any data object, so per-object hashes are not "
                         "yet known; use 'auto' (the footer when streaming) or 'footer'",
                         name);
    }
    return tgm__fail_raw(TGM_ERROR_INVALID_ARG,
                         "unknown aggregate_hash policy '%s'; expected one of: 'auto', 'none', "
                         "'header', 'footer', 'both'",
                         name);
}

/* Parse everything, then open the output, then begin: a bad argument never
 * creates or truncates a file. */
static tgm_error create_common(out_kind kind, const char *path, int fd, const char *metadata_json,
                               const enc_args *args, tgm_streaming_encoder_t **out) {
    tgm_error err = TGM_ERROR_OK;
    tgm_arena arena = TGM_ARENA_INIT;
    tgm_streaming_encoder_t *enc = NULL;
    tgm_sink *sink = NULL;

    tgm_val *root;
    TGM_CHECK(tgm__json_parse_ex(metadata_json, strlen(metadata_json), TGM_JSON_ALLOW_NONFINITE,
                                 &arena, &root));
    tgm_global_meta meta;
    TGM_CHECK(tgm__gmeta_from_encode_json(&arena, root, false, &meta, NULL));

    tgm_stream_opts so;
    memset(&so, 0, sizeof so);
    int hashing;
    TGM_CHECK(tgm__hash_parse_algo(args->hash_algo, &hashing));
    so.hashing = hashing != 0;
    TGM_CHECK(tgm__api_mask_options(args->mask_options, &so.allow_nan, &so.allow_inf,
                                    so.mask_method, &so.small_mask_threshold));
    TGM_CHECK(parse_aggregate(args->aggregate_hash, &so.footer_hash));
    so.threads = tgm__resolve_threads(args->threads);
    so.backfill_ok = true;

    enc = tgm__calloc(1, sizeof *enc);
    if (enc == NULL) {
        err = tgm__oom(sizeof *enc, "streaming encoder");
        goto cleanup;
    }
    enc->kind = kind;
    if (kind == OUT_PATH) {
        TGM_CHECK(tgm__sink_file(path, false, &sink));
    } else if (kind == OUT_FD) {
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0) {
            err =
                tgm__fail(TGM_ERROR_IO, "file descriptor %d is not open: %s", fd, strerror(errno));
            goto cleanup;
        }
        /* pwrite on an O_APPEND descriptor appends on Linux: never seek back. */
        so.backfill_ok = (fl & O_APPEND) == 0;
        TGM_CHECK(tgm__sink_fd(fd, false, &sink));
    } else {
        TGM_CHECK(tgm__sink_memory(&sink));
    }
    err = tgm__stream_begin(sink, &meta, &so, &enc->s); /* owns the sink from here */
    sink = NULL;
    if (err != TGM_ERROR_OK) {
        goto cleanup;
    }
    *out = enc;
    enc = NULL;

cleanup:
    tgm__sink_close(sink);
    tgm__free(enc);
    tgm__arena_free(&arena);
    return err;
}

tgm_error tgm_streaming_encoder_create(const char *path, const char *metadata_json,
                                       const char *hash_algo, uint32_t threads,
                                       tgm_streaming_encoder_t **out) {
    return tgm_streaming_encoder_create_with_options(path, metadata_json, hash_algo, threads, NULL,
                                                     out);
}

tgm_error tgm_streaming_encoder_create_with_options(const char *path, const char *metadata_json,
                                                    const char *hash_algo, uint32_t threads,
                                                    const TgmEncodeMaskOptions *mask_options,
                                                    tgm_streaming_encoder_t **out) {
    tgm__clear_error();
    TGM_API_REQUIRE(path != NULL && metadata_json != NULL && out != NULL, "null argument");
    enc_args a = {hash_algo, threads, mask_options, NULL};
    return create_common(OUT_PATH, path, -1, metadata_json, &a, out);
}

tgm_error tgm_streaming_encoder_create_path(const char *path, const char *metadata_json,
                                            const tgm_streaming_options *options,
                                            tgm_streaming_encoder_t **out) {
    tgm__clear_error();
    TGM_API_REQUIRE(path != NULL && metadata_json != NULL && out != NULL, "null argument");
    enc_args a;
    TGM_TRY(args_from_options(options, &a));
    return create_common(OUT_PATH, path, -1, metadata_json, &a, out);
}

tgm_error tgm_streaming_encoder_create_fd(int fd, const char *metadata_json,
                                          const tgm_streaming_options *options,
                                          tgm_streaming_encoder_t **out) {
    tgm__clear_error();
    TGM_API_REQUIRE(metadata_json != NULL && out != NULL, "null argument");
    TGM_RETURN_IF(fd < 0, TGM_ERROR_INVALID_ARG, "invalid file descriptor %d", fd);
    enc_args a;
    TGM_TRY(args_from_options(options, &a));
    return create_common(OUT_FD, NULL, fd, metadata_json, &a, out);
}

tgm_error tgm_streaming_encoder_create_memory(const char *metadata_json,
                                              const tgm_streaming_options *options,
                                              tgm_streaming_encoder_t **out) {
    tgm__clear_error();
    TGM_API_REQUIRE(metadata_json != NULL && out != NULL, "null argument");
    enc_args a;
    TGM_TRY(args_from_options(options, &a));
    return create_common(OUT_MEMORY, NULL, -1, metadata_json, &a, out);
}

static tgm_error require_open(const tgm_streaming_encoder_t *enc) {
    if (enc->s == NULL) {
        return tgm__fail_raw(TGM_ERROR_INVALID_ARG, "streaming encoder already finished");
    }
    return TGM_ERROR_OK;
}

tgm_error tgm_streaming_encoder_write_preceder(tgm_streaming_encoder_t *enc,
                                               const char *metadata_json) {
    tgm__clear_error();
    TGM_API_REQUIRE(enc != NULL && metadata_json != NULL, "null argument");
    TGM_TRY(require_open(enc));
    tgm_error err = TGM_ERROR_OK;
    tgm_arena arena = TGM_ARENA_INIT;
    tgm_val *root;
    TGM_CHECK(tgm__json_parse_ex(metadata_json, strlen(metadata_json), TGM_JSON_ALLOW_NONFINITE,
                                 &arena, &root));
    if (root->kind != TGM_V_MAP) {
        err = tgm__fail_raw(TGM_ERROR_METADATA, "metadata_json must be a JSON object");
        goto cleanup;
    }
    TGM_CHECK(tgm__stream_preceder(enc->s, root));
cleanup:
    tgm__arena_free(&arena);
    return err;
}

static tgm_error write_common(tgm_streaming_encoder_t *enc, const char *descriptor_json,
                              const uint8_t *data, size_t data_len, bool pre_encoded) {
    tgm__clear_error();
    TGM_API_REQUIRE(enc != NULL && descriptor_json != NULL, "null argument");
    TGM_API_REQUIRE(data != NULL || data_len == 0, "null argument");
    TGM_TRY(require_open(enc));
    tgm_error err = TGM_ERROR_OK;
    tgm_arena arena = TGM_ARENA_INIT;
    tgm_val *root;
    TGM_CHECK(tgm__json_parse_ex(descriptor_json, strlen(descriptor_json), TGM_JSON_ALLOW_NONFINITE,
                                 &arena, &root));
    tgm_descriptor d;
    TGM_CHECK(tgm__desc_from_val(&arena, root, "descriptor", &d));
    TGM_CHECK(tgm__stream_object(enc->s, &d, data, data_len, pre_encoded));
cleanup:
    tgm__arena_free(&arena);
    return err;
}

tgm_error tgm_streaming_encoder_write(tgm_streaming_encoder_t *enc, const char *descriptor_json,
                                      const uint8_t *data, size_t data_len) {
    return write_common(enc, descriptor_json, data, data_len, false);
}

tgm_error tgm_streaming_encoder_write_pre_encoded(tgm_streaming_encoder_t *enc,
                                                  const char *descriptor_json, const uint8_t *data,
                                                  size_t data_len) {
    return write_common(enc, descriptor_json, data, data_len, true);
}

size_t tgm_streaming_encoder_count(const tgm_streaming_encoder_t *enc) {
    return (enc != NULL && enc->s != NULL) ? tgm__stream_count(enc->s) : 0;
}

uint64_t tgm_streaming_encoder_bytes_written(const tgm_streaming_encoder_t *enc) {
    return (enc != NULL && enc->s != NULL) ? tgm__stream_bytes_written(enc->s) : 0;
}

/* Move a finished memory message out of the sink. */
static void keep_result(tgm_streaming_encoder_t *enc) {
    tgm__free(enc->result);
    enc->result = tgm__sink_memory_take(tgm__stream_sink(enc->s), &enc->result_len);
    enc->has_result = true;
}

static tgm_error finish_common(tgm_streaming_encoder_t *enc, bool backfill) {
    tgm__clear_error();
    TGM_API_REQUIRE(enc != NULL, "null argument");
    TGM_TRY(require_open(enc));
    tgm_error err = tgm__stream_finish(enc->s, backfill);
    if (err != TGM_ERROR_OK && tgm__stream_is_open(enc->s)) {
        return err; /* refused before writing (dangling preceder): still usable */
    }
    if (err == TGM_ERROR_OK && enc->kind == OUT_MEMORY) {
        keep_result(enc);
    }
    /* Closes the file of path encoders (the reference drops its writer). */
    tgm__stream_free(enc->s);
    enc->s = NULL;
    return err;
}

tgm_error tgm_streaming_encoder_finish(tgm_streaming_encoder_t *enc) {
    return finish_common(enc, false);
}

tgm_error tgm_streaming_encoder_finish_backfilled(tgm_streaming_encoder_t *enc) {
    return finish_common(enc, true);
}

tgm_error tgm_streaming_encoder_take(tgm_streaming_encoder_t *enc, tgm_bytes_t *out) {
    tgm__clear_error();
    TGM_API_REQUIRE(enc != NULL && out != NULL, "null argument");
    TGM_RETURN_IF(enc->kind != OUT_MEMORY, TGM_ERROR_INVALID_ARG,
                  "tgm_streaming_encoder_take: the encoder does not write to memory");
    TGM_RETURN_IF(!enc->has_result, TGM_ERROR_INVALID_ARG, "tgm_streaming_encoder_take: %s",
                  enc->s != NULL ? "the message is not finished"
                                 : "no finished message to take (already taken?)");
    out->data = enc->result;
    out->len = enc->result_len;
    enc->result = NULL;
    enc->result_len = 0;
    enc->has_result = false;
    return TGM_ERROR_OK;
}

tgm_error tgm_streaming_encoder_finish_and_reset(tgm_streaming_encoder_t *enc, int32_t backfill,
                                                 tgm_bytes_t *out) {
    tgm__clear_error();
    TGM_API_REQUIRE(enc != NULL, "null argument");
    TGM_API_REQUIRE(out != NULL || enc->kind != OUT_MEMORY, "null argument");
    TGM_TRY(require_open(enc));
    tgm_error err = tgm__stream_finish(enc->s, backfill != 0);
    if (err != TGM_ERROR_OK) {
        if (!tgm__stream_is_open(enc->s)) {
            tgm__stream_free(enc->s);
            enc->s = NULL;
        }
        return err;
    }
    tgm_bytes_t msg = {NULL, 0};
    tgm_sink *next = NULL;
    if (enc->kind == OUT_MEMORY) {
        msg.data = tgm__sink_memory_take(tgm__stream_sink(enc->s), &msg.len);
        /* A fresh sink: positions restart at 0 for the next message. */
        err = tgm__sink_memory(&next);
    }
    if (err == TGM_ERROR_OK) {
        err = tgm__stream_restart(enc->s, next);
    }
    if (err != TGM_ERROR_OK) {
        tgm_bytes_free(msg);
        tgm__stream_free(enc->s);
        enc->s = NULL;
        return err;
    }
    if (out != NULL) {
        *out = msg;
    }
    return TGM_ERROR_OK;
}

void tgm_streaming_encoder_free(tgm_streaming_encoder_t *enc) {
    if (enc == NULL) {
        return;
    }
    tgm__stream_free(enc->s);
    tgm__free(enc->result);
    tgm__free(enc);
}
