/* Validation entry points: one message, a buffer of messages, a file. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "io/io.h"
#include "message/message.h"
#include "validate/validate_internal.h"

/* Options with the automatic decode budget for `len` bytes of input in
 * `*left`, when the caller asked for the automatic limit and no budget is
 * running yet. */
static const tgm_vopts *with_budget(const tgm_vopts *o, uint64_t len, tgm_vopts *copy,
                                    uint64_t *left) {
    if (!o->max_decoded_auto || o->budget_left != NULL) {
        return o;
    }
    *copy = *o;
    copy->budget = tgm__vbudget_for(len);
    *left = copy->budget;
    copy->budget_left = left;
    return copy;
}

tgm_error tgm__validate_message(const uint8_t *buf, size_t len, const tgm_vopts *o,
                                tgm_vreport *r) {
    tgm_vopts budgeted;
    uint64_t left;
    o = with_budget(o, buf != NULL ? len : 0, &budgeted, &left);
    /* Which levels run (as the reference composes its options): checksum
     * mode implies integrity and skips metadata, decoding and fidelity;
     * the canonical check needs the metadata level whatever the depth. */
    tgm_vlevel max = o->max_level;
    if (o->checksum_only && max < TGM_VL_INTEGRITY) {
        max = TGM_VL_INTEGRITY;
    }
    bool run_metadata = (max >= TGM_VL_METADATA && !o->checksum_only) || o->check_canonical;
    bool run_integrity = max >= TGM_VL_INTEGRITY;
    bool run_fidelity = max >= TGM_VL_FIDELITY && !o->checksum_only;

    tgm_vctx c;
    memset(&c, 0, sizeof c);
    c.buf = buf != NULL ? buf : (const uint8_t *)"";
    c.len = buf != NULL ? len : 0;
    c.opts = o;
    c.r = r;
    c.arena = (tgm_arena)TGM_ARENA_INIT;
    tgm__vreport_init(&c.early);
    r->object_count = 0;
    r->hash_verified = false;

    bool verified = false;
    /* Checksum mode keeps structural errors (the message cannot be
     * trusted) but drops structural warnings. */
    c.drop_warnings = o->checksum_only;
    bool walked = tgm__v_structure(&c);
    c.drop_warnings = false;
    if (walked && !r->oom) {
        r->object_count = c.nobjs;
        if (run_metadata) {
            tgm__v_metadata(&c);
        }
        if (run_integrity) {
            verified = tgm__v_integrity(&c, run_fidelity);
        }
        if (run_fidelity) {
            tgm__v_fidelity(&c);
        }
    }
    /* "hash verified" only for a message without any error. */
    r->hash_verified = verified && tgm__vreport_ok(r);

    tgm__vreport_free(&c.early);
    tgm__free(c.objs);
    tgm__free(c.frames);
    tgm__arena_free(&c.arena);
    tgm__clear_error();
    if (r->oom) {
        return tgm__fail(TGM_ERROR_ENCODING, "out of memory while validating a message");
    }
    return TGM_ERROR_OK;
}

static tgm_error add_file_issue(tgm_vfile_report *r, uint64_t off, uint64_t len, const char *fmt,
                                ...) TGM_PRINTF(4, 5);

static tgm_error add_file_issue(tgm_vfile_report *r, uint64_t off, uint64_t len, const char *fmt,
                                ...) {
    if (r->nfile_issues == r->file_cap) {
        size_t cap = r->file_cap ? 2 * r->file_cap : 4;
        tgm_vfile_issue *p = tgm__realloc(r->file_issues, cap * sizeof *p);
        if (p == NULL) {
            return tgm__oom(cap * sizeof *p, "validation report");
        }
        r->file_issues = p;
        r->file_cap = cap;
    }
    char text[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    char *d = tgm__arena_strndup(&r->arena, text, strlen(text));
    if (d == NULL) {
        return tgm__oom(strlen(text), "validation report");
    }
    tgm_vfile_issue *fi = &r->file_issues[r->nfile_issues++];
    fi->byte_offset = off;
    fi->length = len;
    fi->description = d;
    return TGM_ERROR_OK;
}

static tgm_error add_message(tgm_vfile_report *r, const uint8_t *msg, size_t len,
                             const tgm_vopts *o) {
    if (r->nmessages == r->msg_cap) {
        size_t cap = r->msg_cap ? 2 * r->msg_cap : 4;
        tgm_vreport *p = tgm__realloc(r->messages, cap * sizeof *p);
        if (p == NULL) {
            return tgm__oom(cap * sizeof *p, "validation report");
        }
        r->messages = p;
        r->msg_cap = cap;
    }
    tgm_vreport *m = &r->messages[r->nmessages++];
    tgm__vreport_init(m);
    return tgm__validate_message(msg, len, o, m);
}

/* Validate the messages a scan found in bytes [0, total), and report the
 * bytes between them as file issues.  `get` hands out message bytes. */
typedef tgm_error (*msg_getter)(void *ctx, uint64_t off, size_t len, const uint8_t **out);

static tgm_error validate_scanned(const tgm_u64vec *offs, const tgm_u64vec *lens, uint64_t total,
                                  msg_getter get, void *ctx, const tgm_vopts *o,
                                  tgm_vfile_report *r) {
    uint64_t expected = 0;
    for (size_t i = 0; i < offs->n; i++) {
        uint64_t off = offs->v[i], n = lens->v[i];
        if (off > expected) {
            TGM_TRY(add_file_issue(
                r, expected, off - expected, "%llu unrecognized bytes at offset %llu",
                (unsigned long long)(off - expected), (unsigned long long)expected));
        }
        TGM_RETURN_IF(n > SIZE_MAX, TGM_ERROR_IO, "message at offset %llu does not fit in memory",
                      (unsigned long long)off);
        const uint8_t *p = NULL;
        TGM_TRY(get(ctx, off, (size_t)n, &p));
        TGM_TRY(add_message(r, p, (size_t)n, o));
        expected = off + n;
    }
    if (expected < total) {
        uint64_t tail = total - expected;
        if (r->nmessages == 0) {
            TGM_TRY(add_file_issue(r, expected, tail, "%llu bytes with no valid messages",
                                   (unsigned long long)tail));
        } else {
            TGM_TRY(add_file_issue(r, expected, tail,
                                   "%llu trailing bytes after last message at offset %llu",
                                   (unsigned long long)tail, (unsigned long long)expected));
        }
    }
    return TGM_ERROR_OK;
}

static tgm_error buffer_get(void *ctx, uint64_t off, size_t len, const uint8_t **out) {
    (void)len;
    *out = *(const uint8_t *const *)ctx + off;
    return TGM_ERROR_OK;
}

tgm_error tgm__validate_buffer(const uint8_t *buf, size_t len, const tgm_vopts *o,
                               tgm_vfile_report *r) {
    tgm_error err = TGM_ERROR_OK;
    tgm_u64vec offs = TGM_U64VEC_INIT, lens = TGM_U64VEC_INIT;
    tgm_vopts budgeted;
    uint64_t left;
    o = with_budget(o, len, &budgeted, &left);
    TGM_CHECK(tgm__scan(buf, len, NULL, &offs, &lens));
    TGM_CHECK(validate_scanned(&offs, &lens, len, buffer_get, &buf, o, r));
cleanup:
    tgm__u64vec_free(&offs);
    tgm__u64vec_free(&lens);
    return err;
}

/* Files are read with pread, one message at a time: memory stays bounded
 * by the largest message, and a file that shrinks meanwhile gives a read
 * error, not a signal. */
typedef struct file_ctx {
    tgm_source *src;
    uint8_t *buf;
    size_t cap;
} file_ctx;

static tgm_error file_scan_read(void *ctx, uint64_t off, void *dst, size_t n) {
    return tgm__source_read((tgm_source *)ctx, off, dst, n);
}

static tgm_error file_get(void *ctx, uint64_t off, size_t len, const uint8_t **out) {
    file_ctx *c = ctx;
    if (len > c->cap) {
        uint8_t *b = tgm__realloc(c->buf, len);
        if (b == NULL) {
            return tgm__oom(len, "message to validate");
        }
        c->buf = b;
        c->cap = len;
    }
    TGM_TRY(tgm__source_read(c->src, off, c->buf, len));
    *out = c->buf;
    return TGM_ERROR_OK;
}

tgm_error tgm__validate_file(const char *path, const tgm_vopts *o, tgm_vfile_report *r) {
    file_ctx c = {NULL, NULL, 0};
    TGM_TRY(tgm__source_file(path, false, &c.src));
    tgm_error err = TGM_ERROR_OK;
    tgm_u64vec offs = TGM_U64VEC_INIT, lens = TGM_U64VEC_INIT;
    tgm_vopts budgeted;
    uint64_t left;
    o = with_budget(o, c.src->size, &budgeted, &left);
    tgm_scan_reader rd = {file_scan_read, c.src};
    TGM_CHECK(tgm__scan_reader(&rd, 0, c.src->size, NULL, &offs, &lens));
    TGM_CHECK(validate_scanned(&offs, &lens, c.src->size, file_get, &c, o, r));
cleanup:
    tgm__u64vec_free(&offs);
    tgm__u64vec_free(&lens);
    tgm__free(c.buf);
    tgm__source_close(c.src);
    return err;
}
