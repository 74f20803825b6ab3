/* tenbin <-> Tensogram: one .ten buffer (a list of arrays) is one message
 * with one object per array; a non-empty info name goes to base[i].name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* .ten -> message into *out, or (out NULL) to descriptor fd. */
static tgm_error from_tenbin(const uint8_t *buf, size_t len, const tgm_convert_options *opts,
                             tgm_bytes_t *out, int fd, uint64_t *out_len) {
    if (buf == NULL && len > 0) {
        return cv_fail(TGM_ERROR_INVALID_ARG, "null argument");
    }
    tgm_convert_options o;
    tgm_error err = cv_options(opts, &o);
    if (err != TGM_ERROR_OK) {
        return err;
    }
    cv_pipeline p;
    if ((err = cv_pipeline_parse(&o, &p)) != TGM_ERROR_OK) {
        return err;
    }
    tgm_tenbin_record_t *rec = NULL;
    if ((err = tgm_tenbin_read(buf, len, o.tenbin_byte_order, &rec)) != TGM_ERROR_OK) {
        return err;
    }
    size_t n = tgm_tenbin_record_count(rec);
    const uint8_t **data = calloc(n ? n : 1, sizeof *data);
    size_t *lens = calloc(n ? n : 1, sizeof *lens);
    double *host = NULL;
    cv_buf meta = {0};
    if (data == NULL || lens == NULL) {
        err = cv_oom("tenbin objects");
        goto cleanup;
    }
    cv_puts(&meta, "{\"base\":[");
    for (size_t i = 0; i < n; i++) {
        const tgm_tenbin_array *a = tgm_tenbin_record_array(rec, i);
        cv_json_sep(&meta);
        cv_putc(&meta, '{');
        if (a->info[0] != '\0') {
            cv_json_key(&meta, "name");
            cv_json_cstr(&meta, a->info);
        }
        cv_putc(&meta, '}');
    }
    cv_puts(&meta, "],\"descriptors\":[");
    for (size_t i = 0; i < n; i++) {
        const tgm_tenbin_array *a = tgm_tenbin_record_array(rec, i);
        bool f64 = strcmp(a->dtype, "float64") == 0;
        if (p.simple_packing && !f64) {
            cv_warn(&o,
                    "array %zu (%s) is stored without simple_packing, which applies to "
                    "float64 only",
                    i, a->dtype);
        }
        const double *values = NULL;
        size_t nvalues = 0;
        if (p.simple_packing && f64) {
            /* The values in host order, for the packing range. */
            free(host);
            host = malloc(a->nbytes ? a->nbytes : 1);
            if (host == NULL) {
                err = cv_oom("tenbin values");
                goto cleanup;
            }
            memcpy(host, a->data, a->nbytes);
            if (a->big_endian != cv_host_big_endian()) {
                uint8_t *b = (uint8_t *)host;
                for (size_t k = 0; k + 8 <= a->nbytes; k += 8) {
                    for (int j = 0; j < 4; j++) {
                        uint8_t t = b[k + j];
                        b[k + j] = b[k + 7 - j];
                        b[k + 7 - j] = t;
                    }
                }
            }
            values = host;
            nvalues = a->nbytes / 8;
        }
        char label[32];
        snprintf(label, sizeof label, "array %zu", i);
        cv_json_sep(&meta);
        err = cv_descriptor_json(&meta, a->dtype, cv_dtype_size(a->dtype), a->ndim, a->shape,
                                 a->big_endian, &p, f64, values, nvalues, label);
        if (err != TGM_ERROR_OK) {
            goto cleanup;
        }
        data[i] = a->data;
        lens[i] = a->nbytes;
    }
    cv_puts(&meta, "]}");
    const char *json = cv_cstr(&meta);
    if (json == NULL) {
        err = cv_oom("tenbin metadata");
        goto cleanup;
    }
    err = out != NULL ? cv_encode(&o, json, data, lens, n, false, out)
                      : cv_encode_fd(&o, json, data, lens, n, false, fd, out_len);
cleanup:
    free(host);
    free(data);
    free(lens);
    cv_buf_free(&meta);
    tgm_tenbin_record_free(rec);
    return err;
}

tgm_error tgm_convert_tenbin(const uint8_t *buf, size_t len, const tgm_convert_options *opts,
                             tgm_bytes_t *out) {
    if (out == NULL) {
        return cv_fail(TGM_ERROR_INVALID_ARG, "null argument");
    }
    return from_tenbin(buf, len, opts, out, -1, NULL);
}

tgm_error tgm_convert_tenbin_fd(const uint8_t *buf, size_t len, const tgm_convert_options *opts,
                                int fd, uint64_t *out_len) {
    if (fd < 0) {
        return cv_fail(TGM_ERROR_INVALID_ARG, "negative file descriptor");
    }
    return from_tenbin(buf, len, opts, NULL, fd, out_len);
}

/* Messages up to this size are decoded whole by tgm_convert_to_tenbin. */
#define SMALL_MESSAGE (64u << 10)

/* message -> .ten into *out, or (out NULL) to descriptor fd. */
static tgm_error to_tenbin(const uint8_t *msg, size_t len, const tgm_convert_options *opts,
                           tgm_bytes_t *out, int fd, uint64_t *out_len) {
    if (msg == NULL) {
        return cv_fail(TGM_ERROR_INVALID_ARG, "null argument");
    }
    tgm_convert_options o;
    tgm_error err = cv_options(opts, &o);
    if (err != TGM_ERROR_OK) {
        return err;
    }
    tgm_message_t *m = NULL;
    tgm_metadata_t *meta = NULL;
    tgm_tenbin_array *arrays = NULL;
    uint8_t **owned = NULL;
    /* A small message (a webdataset sample) is decoded whole: the message
     * is parsed once, its few kilobytes copied.  A large one is read
     * descriptors first, then object by object: objects stored as raw
     * values in host order are read in place (no copy of the payload,
     * which dwarfs parsing the message again per object); the others are
     * decoded one by one. */
    bool whole = len <= SMALL_MESSAGE;
    err = whole ? tgm_decode(msg, len, 1, o.threads, 0, &m) : tgm_decode_descriptors(msg, len, &m);
    if (err != TGM_ERROR_OK) {
        return err;
    }
    if ((err = tgm_message_metadata(m, &meta)) != TGM_ERROR_OK) {
        goto cleanup;
    }
    size_t n = tgm_message_num_objects(m);
    arrays = calloc(n ? n : 1, sizeof *arrays);
    owned = calloc(n ? n : 1, sizeof *owned);
    if (arrays == NULL || owned == NULL) {
        err = cv_oom("tenbin arrays");
        goto cleanup;
    }
    for (size_t i = 0; i < n; i++) {
        tgm_tenbin_array *a = &arrays[i];
        a->dtype = tgm_object_dtype(m, i);
        a->ndim = (uint32_t)tgm_object_ndim(m, i);
        a->shape = tgm_object_shape(m, i);
        if (whole) {
            static const uint8_t none[1] = {0};
            a->data = tgm_object_data(m, i, &a->nbytes);
            if (a->data == NULL) {
                a->data = none; /* an empty object */
                a->nbytes = 0;
            }
        } else if ((err = tgm_decode_object_view(msg, len, i, &a->data, &a->nbytes)) !=
                   TGM_ERROR_OK) {
            goto cleanup;
        }
        if (a->data == NULL) {
            size_t got = 0;
            owned[i] = malloc(a->nbytes ? a->nbytes : 1);
            if (owned[i] == NULL) {
                err = cv_oom("tenbin array");
                goto cleanup;
            }
            err = tgm_decode_object_into(msg, len, i, 1, o.threads, 0, NULL, owned[i], a->nbytes,
                                         &got);
            if (err != TGM_ERROR_OK) {
                goto cleanup;
            }
            a->data = owned[i];
            a->nbytes = got;
        }
        a->big_endian = cv_host_big_endian();
        const tgm_value_t *name = tgm_metadata_get_at(meta, i, "name");
        if (name != NULL) {
            size_t nl = 0;
            const char *s = tgm_value_as_string(name, &nl);
            if (s == NULL || nl > 8) {
                cv_buf shown = {0};
                if (s != NULL) {
                    cv_json_str(&shown, s, nl);
                }
                err = cv_fail(TGM_ERROR_INVALID_ARG,
                              "object %zu: name %s does not fit tenbin's 8-byte info field "
                              "(shorten it, e.g. with 'tensogram set')",
                              i, s != NULL && cv_cstr(&shown) ? shown.p : "(not a string)");
                cv_buf_free(&shown);
                goto cleanup;
            }
            memcpy(a->info, s, nl);
            a->info[nl] = '\0';
        }
    }
    err = out != NULL ? tgm_tenbin_write(arrays, n, o.tenbin_byte_order, out)
                      : tgm_tenbin_write_fd(arrays, n, o.tenbin_byte_order, fd, out_len);
    if (err != TGM_ERROR_OK) {
        err = cv_wrap(err, "to-tenbin");
    }
cleanup:
    if (owned != NULL) {
        for (size_t i = 0; i < tgm_message_num_objects(m); i++) {
            free(owned[i]);
        }
    }
    free(owned);
    free(arrays);
    tgm_metadata_free(meta);
    tgm_message_free(m);
    return err;
}

tgm_error tgm_convert_to_tenbin(const uint8_t *msg, size_t len, const tgm_convert_options *opts,
                                tgm_bytes_t *out) {
    if (out == NULL) {
        return cv_fail(TGM_ERROR_INVALID_ARG, "null argument");
    }
    return to_tenbin(msg, len, opts, out, -1, NULL);
}

tgm_error tgm_convert_to_tenbin_fd(const uint8_t *msg, size_t len, const tgm_convert_options *opts,
                                   int fd, uint64_t *out_len) {
    if (fd < 0) {
        return cv_fail(TGM_ERROR_INVALID_ARG, "negative file descriptor");
    }
    return to_tenbin(msg, len, opts, NULL, fd, out_len);
}
