/* GRIB -> Tensogram (tgm_convert_grib_file / _buffer).
 *
 * ecCodes reads the GRIB messages one after the other (it skips bytes that
 * are not GRIB, as the reference does); each message is decoded and its
 * metadata collected on a worker thread (ecCodes is built thread-safe),
 * then the objects are encoded through the public API, all in one message
 * (merge_all) or one message each (one_to_one, in batches so that memory
 * stays bounded when the messages go to a sink). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grib_internal.h"

bool tgm_convert_has_grib(void) { return true; }

const char *tgm_convert_grib_library_version(void) {
    static char version[32];
    static int done;
    if (!done) {
        long v = codes_get_api_version();
        snprintf(version, sizeof version, "%ld.%ld.%ld", v / 10000, (v % 10000) / 100, v % 100);
        done = 1;
    }
    return version;
}

typedef struct {
    cv_grib_msg *msgs;
    bool all_keys;
    cv_zeros *zeros;
    bool find_nonfinite; /* simple_packing: its range leaves non-finite values out */
} extract_ctx;

/* Whether some value is NaN or infinite.  An all-ones exponent is the one
 * that carries into the sign bit when 1 is added to it: integer adds and
 * ors, which compilers vectorise, a block at a time. */
static bool any_nonfinite(const double *v, size_t n) {
    enum { BLOCK = 4096 };
    for (size_t i = 0; i < n; i += BLOCK) {
        size_t m = n - i < BLOCK ? n - i : BLOCK;
        uint64_t bad = 0;
        for (size_t k = 0; k < m; k++) {
            uint64_t bits;
            memcpy(&bits, &v[i + k], sizeof bits);
            bad |= (bits & 0x7ff0000000000000ull) + (1ull << 52);
        }
        if ((bad >> 63) != 0) {
            return true;
        }
    }
    return false;
}

static void extract_one(void *arg, size_t i) {
    extract_ctx *c = arg;
    cv_grib_msg *m = &c->msgs[i];
    /* The handle is made here rather than by the reader: its parsing of
     * the sections runs in parallel too. */
    m->h = codes_handle_new_from_message(NULL, m->raw, m->rawlen);
    if (m->h == NULL) {
        m->handle_error = CODES_DECODING_ERROR;
        return;
    }
    m->err = cv_grib_extract(m, c->all_keys, c->zeros);
    /* Here, in parallel, rather than by the encoding thread. */
    m->nonfinite = m->has_missing || (c->find_nonfinite && any_nonfinite(m->values, m->nvalues));
    if (m->err != TGM_ERROR_OK) {
        const char *d = tgm_last_error();
        m->errtext = strdup(d != NULL ? d : tgm_error_string(m->err));
    }
    codes_handle_delete(m->h);
    m->h = NULL;
    free(m->raw);
    m->raw = NULL;
}

static void msg_free(cv_grib_msg *m) {
    if (m->h != NULL) {
        codes_handle_delete(m->h);
    }
    free(m->raw);
    free(m->values);
    cv_buf_free(&m->base);
    free(m->errtext);
    memset(m, 0, sizeof *m);
}

/* The metadata JSON of msgs[0..n) as one message (base entries and
 * descriptors); *missing: some message has missing points. */
static tgm_error group_json(const cv_pipeline *p, const cv_grib_msg *msgs, size_t n, cv_buf *meta,
                            bool *missing) {
    *missing = false;
    cv_puts(meta, "{\"base\":[");
    for (size_t i = 0; i < n; i++) {
        cv_json_sep(meta);
        cv_putn(meta, msgs[i].base.p, msgs[i].base.len);
        *missing = *missing || msgs[i].has_missing;
    }
    cv_puts(meta, "],\"descriptors\":[");
    for (size_t i = 0; i < n; i++) {
        cv_json_sep(meta);
        /* The values only when simple_packing must leave some out of its
         * range (the workers looked); otherwise the encoder computes it. */
        tgm_error err = cv_descriptor_json(
            meta, "float64", 8, msgs[i].ndim, msgs[i].shape, cv_host_big_endian(), p, true,
            msgs[i].nonfinite ? msgs[i].values : NULL, msgs[i].nvalues, "GRIB message");
        if (err != TGM_ERROR_OK) {
            return err;
        }
    }
    cv_puts(meta, "]}");
    return cv_cstr(meta) == NULL ? cv_oom("GRIB metadata") : TGM_ERROR_OK;
}

/* Encode msgs[0..n) as one Tensogram message. */
static tgm_error encode_group(const tgm_convert_options *o, const cv_pipeline *p, cv_grib_msg *msgs,
                              size_t n, cv_out *out) {
    cv_buf meta = {0};
    const uint8_t **data = calloc(n, sizeof *data);
    size_t *lens = calloc(n, sizeof *lens);
    tgm_error err = TGM_ERROR_OK;
    bool missing = false;
    if (data == NULL || lens == NULL) {
        err = cv_oom("GRIB objects");
        goto cleanup;
    }
    if ((err = group_json(p, msgs, n, &meta, &missing)) != TGM_ERROR_OK) {
        goto cleanup;
    }
    for (size_t i = 0; i < n; i++) {
        data[i] = (const uint8_t *)msgs[i].values;
        lens[i] = msgs[i].nvalues * sizeof(double);
    }
    tgm_bytes_t m;
    /* Missing points are NaN with a NaN mask whatever the options say:
     * they are part of GRIB's data model. */
    err = cv_encode(o, cv_cstr(&meta), data, lens, n, missing, &m);
    if (err != TGM_ERROR_OK) {
        goto cleanup;
    }
    err = cv_out_emit(out, m);
cleanup:
    free(data);
    free(lens);
    cv_buf_free(&meta);
    return err;
}

/* ---- values decoded into the message being built ------------------------------------------
 *
 * With the descriptors known before the values (every pipeline but
 * simple_packing, whose range may need them), the messages are laid out
 * first (tgm_encode_fill_begin) and ecCodes decodes each field straight
 * into its object's place: no buffer per field, no copy, and the hash and
 * the NaN / Inf check run on the worker that decoded the values, while
 * they are in cache.  The workers first make everything but the values
 * (keys, template, shape, whether the bitmap has zeros), then, once the
 * messages are laid out, decode.  Whatever does not go as planned (a
 * failure anywhere, a bitmap whose zeros did not give missing points) sends
 * the batch back, untouched, to the general way (extract_one +
 * encode_group), which reports errors exactly as before. */

typedef struct {
    cv_grib_msg *msgs;
    bool all_keys;
    cv_zeros *zeros;
    bool merge;
    tgm_encode_fill_t **fills; /* one per message made */
    const size_t *order;       /* the GRIB messages of this pass */
} fill_ctx;

static void prepare_one(void *arg, size_t i) {
    fill_ctx *c = arg;
    cv_grib_msg *m = &c->msgs[i];
    m->h = codes_handle_new_from_message(NULL, m->raw, m->rawlen);
    if (m->h == NULL) {
        m->handle_error = CODES_DECODING_ERROR;
        return;
    }
    m->err = cv_grib_prepare(m, c->all_keys, c->zeros);
}

static void fill_one(void *arg, size_t k) {
    fill_ctx *c = arg;
    size_t i = c->order[k];
    cv_grib_msg *m = &c->msgs[i];
    size_t g = c->merge ? 0 : i, obj = c->merge ? i : 0;
    void *slot = NULL;
    size_t len = 0;
    tgm_error err = tgm_encode_fill_slot(c->fills[g], obj, &slot, &len);
    if (err == TGM_ERROR_OK && len != m->nvalues * sizeof(double)) {
        err = TGM_ERROR_ENCODING;
    }
    if (err == TGM_ERROR_OK) {
        err = cv_grib_decode_into(m, slot, m->nvalues);
    }
    if (err == TGM_ERROR_OK) {
        /* Missing points make masks (at finish); the other values are
         * checked for NaN / Inf in the pass that hashes them. */
        uint32_t flags = m->has_missing ? TGM_ENCODE_FILL_NONFINITE : TGM_ENCODE_FILL_CHECK;
        err = tgm_encode_fill_commit(c->fills[g], obj, flags);
    }
    m->err = err;
    codes_handle_delete(m->h);
    m->h = NULL;
}

/* Convert msgs[0..n) in place: true when done (*err: the emitting's
 * result); false with nothing emitted and msgs as read. */
static bool fill_batch(const tgm_convert_options *o, const cv_pipeline *p, cv_grib_msg *msgs,
                       size_t n, bool merge, uint32_t threads, cv_zeros *zeros, cv_out *out,
                       size_t *done, uint64_t total, tgm_error *err) {
    size_t ng = merge ? 1 : n;
    tgm_encode_fill_t **fills = calloc(ng, sizeof *fills);
    bool *missing = calloc(ng, sizeof *missing);
    size_t *order = malloc(n * sizeof *order);
    tgm_bytes_t *made = calloc(ng, sizeof *made);
    bool ok = fills != NULL && missing != NULL && order != NULL && made != NULL;
    fill_ctx c = {msgs, o->grib_all_keys, zeros, merge, fills, order};
    if (ok) {
        cv_parallel(threads, n, prepare_one, &c);
    }
    for (size_t i = 0; ok && i < n; i++) {
        ok = msgs[i].handle_error == 0 && msgs[i].err == TGM_ERROR_OK;
    }
    for (size_t g = 0; ok && g < ng; g++) {
        size_t first = merge ? 0 : g, count = merge ? n : 1;
        for (size_t i = first; i < first + count; i++) {
            msgs[i].has_missing = msgs[i].may_miss; /* checked after decoding */
        }
        cv_buf meta = {0};
        /* Missing points are NaN with a NaN mask whatever the options say
         * (as in encode_group). */
        ok = group_json(p, &msgs[first], count, &meta, &missing[g]) == TGM_ERROR_OK &&
             cv_encode_fill_begin(o, cv_cstr(&meta), missing[g], &fills[g]) == TGM_ERROR_OK;
        cv_buf_free(&meta);
    }
    if (ok) {
        /* Messages with missing points first: their masked frames are
         * framed at their commits, and the slots taken after them are
         * placed where those longer frames push them, so finish moves no
         * frame (docs/encode_fill.md). */
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            if (msgs[i].may_miss) {
                order[k++] = i;
            }
        }
        for (size_t i = 0; i < n; i++) {
            if (!msgs[i].may_miss) {
                order[k++] = i;
            }
        }
        cv_parallel(threads, n, fill_one, &c);
        for (size_t i = 0; ok && i < n; i++) {
            ok = msgs[i].err == TGM_ERROR_OK && msgs[i].has_missing == msgs[i].may_miss;
        }
    }
    for (size_t g = 0; ok && g < ng; g++) {
        ok = tgm_encode_fill_finish(fills[g], &made[g]) == TGM_ERROR_OK;
    }
    if (ok) {
        *err = TGM_ERROR_OK;
        if (merge) {
            cv_progress(o, 0, total);
        }
        for (size_t g = 0; g < ng && *err == TGM_ERROR_OK; g++) {
            *err = cv_out_emit(out, made[g]);
            made[g] = (tgm_bytes_t){NULL, 0};
            if (!merge) {
                cv_progress(o, ++*done, total);
            }
        }
        if (merge) {
            cv_progress(o, n, total ? total : n);
        }
    }
    for (size_t g = 0; g < ng && made != NULL; g++) {
        tgm_encode_fill_free(fills[g]);
        if (made[g].data != NULL) {
            tgm_bytes_free(made[g]);
        }
    }
    if (!ok) {
        /* Back to the messages as read. */
        for (size_t i = 0; i < n; i++) {
            cv_grib_msg *m = &msgs[i];
            if (m->h != NULL) {
                codes_handle_delete(m->h);
            }
            cv_buf_free(&m->base);
            free(m->errtext);
            cv_grib_msg r = {0};
            r.raw = m->raw;
            r.rawlen = m->rawlen;
            r.index = m->index;
            *m = r;
        }
    }
    free(fills);
    free(missing);
    free(order);
    free(made);
    return ok;
}

/* Read every GRIB message of f and convert. */
static tgm_error run(FILE *f, const tgm_convert_options *o, cv_out *out) {
    cv_pipeline p;
    tgm_error err = cv_pipeline_parse(o, &p);
    if (err != TGM_ERROR_OK) {
        return err;
    }
    uint32_t threads = cv_threads(o->threads);
    bool merge = o->grib_grouping != TGM_GRIB_ONE_TO_ONE;
    if (o->grib_grouping != TGM_GRIB_MERGE_ALL && o->grib_grouping != TGM_GRIB_ONE_TO_ONE) {
        return cv_fail(TGM_ERROR_INVALID_ARG, "unknown GRIB grouping %d", (int)o->grib_grouping);
    }
    uint64_t total = 0;
    if (o->progress != NULL) {
        /* Headers only (ecCodes seeks over the rest); not
         * codes_count_in_file, which loses its buffer on a cut message. */
        for (int e = 0; e == 0;) {
            size_t len = 0;
            off_t off = 0;
            free(wmo_read_grib_from_file_malloc(f, 1, &len, &off, &e));
            total += e == 0;
        }
        rewind(f);
    }
    cv_zeros *zeros = cv_zeros_new();
    if (zeros == NULL) {
        return cv_oom("GRIB template");
    }
    /* one_to_one works in batches of a few messages per thread. */
    size_t batch = merge ? SIZE_MAX : (size_t)threads * 2;
    cv_grib_msg *msgs = NULL;
    size_t n = 0, cap = 0, done = 0, seen = 0;
    bool eof = false, filled = false;
    while (!eof && err == TGM_ERROR_OK) {
        /* Read up to `batch` messages (the workers make the handles). */
        tgm_error read_err = TGM_ERROR_OK;
        while (n < batch) {
            /* Read by ecCodes' reader into memory we own: on a truncated
             * message, codes_handle_new_from_file (2.28) loses its buffer. */
            int e = 0;
            size_t rawlen = 0;
            off_t rawoff = 0;
            void *raw = wmo_read_grib_from_file_malloc(f, 0, &rawlen, &rawoff, &e);
            if (e != 0 || raw == NULL) {
                free(raw);
                if (e == CODES_PREMATURE_END_OF_FILE) {
                    read_err = cv_fail(TGM_ERROR_CONVERT,
                                       "ecCodes error: GRIB message %zu is truncated (the input "
                                       "ends before its end marker): %s",
                                       seen, cv_grib_errstr(e));
                } else if (e != 0 && e != CODES_END_OF_FILE) {
                    read_err = cv_fail(TGM_ERROR_CONVERT, "ecCodes error: GRIB message %zu: %s",
                                       seen, cv_grib_errstr(e));
                }
                eof = true;
                break;
            }
            if (n == cap) {
                size_t nc = cap ? 2 * cap : 16;
                cv_grib_msg *q = realloc(msgs, nc * sizeof *q);
                if (q == NULL) {
                    free(raw);
                    read_err = cv_oom("GRIB messages");
                    break;
                }
                msgs = q;
                cap = nc;
            }
            memset(&msgs[n], 0, sizeof msgs[n]);
            msgs[n].raw = raw;
            msgs[n].rawlen = rawlen;
            msgs[n].index = seen++;
            n++;
        }
        if (read_err == TGM_ERROR_OK && n > 0 && !p.simple_packing &&
            fill_batch(o, &p, msgs, n, merge, threads, zeros, out, &done, total, &err)) {
            for (size_t i = 0; i < n; i++) {
                msg_free(&msgs[i]);
            }
            n = 0;
            filled = true;
            continue;
        }
        /* The reader's failure text, kept: the extraction below runs on
         * this thread too and may record texts of its own. */
        char *read_text = NULL;
        if (read_err != TGM_ERROR_OK) {
            const char *t = tgm_last_error();
            read_text = strdup(t != NULL ? t : tgm_error_string(read_err));
        }
        extract_ctx ctx = {msgs, o->grib_all_keys, zeros, p.simple_packing};
        cv_parallel(threads, n, extract_one, &ctx);
        /* The failure reported is the first in input order, as when the
         * handles were made while reading: a message ecCodes cannot open
         * stops the reading, so it comes before a read error (which ends
         * the input), which comes before any failure of the extraction. */
        for (size_t i = 0; i < n && err == TGM_ERROR_OK; i++) {
            if (msgs[i].handle_error != 0) {
                err = cv_fail(TGM_ERROR_CONVERT, "ecCodes error: GRIB message %zu: %s",
                              msgs[i].index, cv_grib_errstr(msgs[i].handle_error));
            }
        }
        if (err == TGM_ERROR_OK && read_err != TGM_ERROR_OK) {
            err = read_text != NULL ? tgm_set_last_error(read_err, "%s", read_text)
                                    : cv_oom("GRIB error text");
        }
        free(read_text);
        for (size_t i = 0; i < n && err == TGM_ERROR_OK; i++) {
            if (msgs[i].err != TGM_ERROR_OK) {
                err = tgm_set_last_error(msgs[i].err, "%s", msgs[i].errtext);
            }
        }
        if (err == TGM_ERROR_OK && !merge) {
            for (size_t i = 0; i < n && err == TGM_ERROR_OK; i++) {
                err = encode_group(o, &p, &msgs[i], 1, out);
                cv_progress(o, ++done, total);
            }
            for (size_t i = 0; i < n; i++) {
                msg_free(&msgs[i]);
            }
            n = 0;
        }
    }
    if (err == TGM_ERROR_OK && seen == 0) {
        err = cv_fail(TGM_ERROR_INVALID_ARG, "no GRIB messages found in input");
    }
    if (err == TGM_ERROR_OK && merge && !filled) {
        cv_progress(o, 0, total);
        err = encode_group(o, &p, msgs, n, out);
        cv_progress(o, n, total ? total : n);
    }
    for (size_t i = 0; i < n; i++) {
        msg_free(&msgs[i]);
    }
    free(msgs);
    cv_zeros_free(zeros);
    return err;
}

static tgm_error convert_stream(FILE *f, const tgm_convert_options *opts,
                                tgm_convert_result_t **res) {
    tgm_convert_options o;
    tgm_error err = cv_options(opts, &o);
    if (err != TGM_ERROR_OK) {
        return err;
    }
    cv_out out;
    err = cv_out_init(&out, &o);
    if (err != TGM_ERROR_OK) {
        return err;
    }
    err = run(f, &o, &out);
    return cv_out_finish(&out, err, res);
}

tgm_error tgm_convert_grib_file(const char *path, const tgm_convert_options *opts,
                                tgm_convert_result_t **out) {
    if (path == NULL || (out == NULL && (opts == NULL || opts->sink == NULL))) {
        return cv_fail(TGM_ERROR_INVALID_ARG, "null argument");
    }
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return cv_fail(TGM_ERROR_IO, "cannot open '%s': %s", path, strerror(errno));
    }
    tgm_error err = convert_stream(f, opts, out);
    fclose(f);
    return err;
}

tgm_error tgm_convert_grib_buffer(const uint8_t *buf, size_t len, const tgm_convert_options *opts,
                                  tgm_convert_result_t **out) {
    if ((buf == NULL && len > 0) || (out == NULL && (opts == NULL || opts->sink == NULL))) {
        return cv_fail(TGM_ERROR_INVALID_ARG, "null argument");
    }
    if (len == 0) {
        return cv_fail(TGM_ERROR_INVALID_ARG, "no GRIB messages found in input");
    }
    /* ecCodes reads from a FILE *: a read-only stream over the caller's
     * bytes (fmemopen does not write in mode "rb"). */
    FILE *f = fmemopen((void *)(uintptr_t)buf, len, "rb");
    if (f == NULL) {
        return cv_fail(TGM_ERROR_IO, "cannot open the GRIB buffer: %s", strerror(errno));
    }
    tgm_error err = convert_stream(f, opts, out);
    fclose(f);
    return err;
}

tgm_error cv_grib_sanity_message(tgm_bytes_t *out) {
    codes_handle *h = codes_grib_handle_new_from_samples(NULL, "regular_ll_sfc_grib2");
    if (h == NULL) {
        return cv_fail(TGM_ERROR_CONVERT,
                       "ecCodes error: no sample regular_ll_sfc_grib2 (set ECCODES_SAMPLES_PATH)");
    }
    static const struct {
        const char *key;
        double value;
    } grid[] = {{"Ni", 4},
                {"Nj", 4},
                {"latitudeOfFirstGridPointInDegrees", 3},
                {"longitudeOfFirstGridPointInDegrees", 0},
                {"latitudeOfLastGridPointInDegrees", 0},
                {"longitudeOfLastGridPointInDegrees", 3},
                {"iDirectionIncrementInDegrees", 1},
                {"jDirectionIncrementInDegrees", 1}};
    int e = 0;
    for (size_t i = 0; i < sizeof grid / sizeof grid[0] && e == 0; i++) {
        e = i < 2 ? codes_set_long(h, grid[i].key, (long)grid[i].value)
                  : codes_set_double(h, grid[i].key, grid[i].value);
    }
    double values[16];
    for (int i = 0; i < 16; i++) {
        values[i] = 270.0 + i;
    }
    if (e == 0) {
        e = codes_set_double_array(h, "values", values, 16);
    }
    const void *msg = NULL;
    size_t len = 0;
    if (e == 0) {
        e = codes_get_message(h, &msg, &len);
    }
    tgm_error err = TGM_ERROR_OK;
    if (e != 0) {
        err = cv_fail(TGM_ERROR_CONVERT, "ecCodes error: making the sanity message: %s",
                      cv_grib_errstr(e));
    } else if ((out->data = malloc(len)) == NULL) {
        err = cv_oom("sanity message");
    } else {
        memcpy(out->data, msg, len);
        out->len = len;
    }
    codes_handle_delete(h);
    return err;
}
