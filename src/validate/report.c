/* Validation reports: issue recording, names and the JSON form.
 *
 * The JSON is what serde_json writes for the reference's report structs:
 * fields in declaration order, compact, `object_index` / `byte_offset`
 * omitted when absent, enums as snake_case / lowercase strings. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "validate/validate_internal.h"
#include "json/json.h"

static const char *const code_names[TGM_VC_COUNT] = {
#define TGM_VCODE_NAME(id, name) name,
    TGM_VCODE_TABLE(TGM_VCODE_NAME)
#undef TGM_VCODE_NAME
};

const char *tgm__vcode_name(tgm_vcode code) {
    return (unsigned)code < TGM_VC_COUNT ? code_names[code] : "unknown";
}

const char *tgm__vlevel_name(tgm_vlevel level) {
    switch (level) {
    case TGM_VL_STRUCTURE:
        return "structure";
    case TGM_VL_METADATA:
        return "metadata";
    case TGM_VL_INTEGRITY:
        return "integrity";
    default:
        return "fidelity";
    }
}

const char *tgm__vseverity_name(tgm_vseverity sev) {
    return sev == TGM_VS_WARNING ? "warning" : "error";
}

tgm_error tgm__vopts_parse(const char *level, int32_t check_canonical, tgm_vopts *out) {
    tgm_vopts o = {TGM_VL_INTEGRITY, check_canonical != 0, false, 0, false, NULL, 0};
    if (level == NULL || strcmp(level, "default") == 0) {
        /* levels 1-3 */
    } else if (strcmp(level, "quick") == 0) {
        o.max_level = TGM_VL_STRUCTURE;
    } else if (strcmp(level, "checksum") == 0) {
        o.checksum_only = true;
    } else if (strcmp(level, "full") == 0) {
        o.max_level = TGM_VL_FIDELITY;
    } else {
        return tgm__fail_raw(TGM_ERROR_INVALID_ARG,
                             "unknown validation level: '%s', expected one of: quick, default, "
                             "checksum, full",
                             level);
    }
    *out = o;
    return TGM_ERROR_OK;
}

uint64_t tgm__vbudget_for(uint64_t len) {
    const uint64_t floor = (uint64_t)64 << 20;
    return len > floor / 64 ? (len > UINT64_MAX / 64 ? UINT64_MAX : len * 64) : floor;
}

/* ---- reports ---------------------------------------------------------------- */

void tgm__vreport_init(tgm_vreport *r) {
    memset(r, 0, sizeof *r);
    r->arena = (tgm_arena)TGM_ARENA_INIT;
}

void tgm__vreport_free(tgm_vreport *r) {
    if (r == NULL) {
        return;
    }
    tgm__free(r->issues);
    tgm__arena_free(&r->arena);
    memset(r, 0, sizeof *r);
}

bool tgm__vreport_ok(const tgm_vreport *r) {
    for (size_t i = 0; i < r->nissues; i++) {
        if (r->issues[i].severity == TGM_VS_ERROR) {
            return false;
        }
    }
    return true;
}

static void vreport_addv(tgm_vreport *r, tgm_vcode code, tgm_vlevel level, tgm_vseverity sev,
                         int64_t object_index, int64_t byte_offset, const char *fmt, va_list ap)
    TGM_PRINTF(7, 0);

static void vreport_addv(tgm_vreport *r, tgm_vcode code, tgm_vlevel level, tgm_vseverity sev,
                         int64_t object_index, int64_t byte_offset, const char *fmt, va_list ap) {
    if (r->nissues == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 8;
        tgm_vissue *p = tgm__realloc(r->issues, cap * sizeof *p);
        if (p == NULL) {
            r->oom = true;
            return;
        }
        r->issues = p;
        r->cap = cap;
    }
    char small[512];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    char *text;
    if (n < 0) {
        text = tgm__arena_strndup(&r->arena, "", 0);
    } else if ((size_t)n < sizeof small) {
        text = tgm__arena_strndup(&r->arena, small, (size_t)n);
    } else {
        text = tgm__arena_alloc(&r->arena, (size_t)n + 1);
        if (text != NULL) {
            vsnprintf(text, (size_t)n + 1, fmt, ap2);
        }
    }
    va_end(ap2);
    if (text == NULL) {
        r->oom = true;
        return;
    }
    tgm_vissue *is = &r->issues[r->nissues++];
    is->code = code;
    is->level = level;
    is->severity = sev;
    is->object_index = object_index;
    is->byte_offset = byte_offset;
    is->description = text;
}

void tgm__vreport_add(tgm_vreport *r, tgm_vcode code, tgm_vlevel level, tgm_vseverity sev,
                      int64_t object_index, int64_t byte_offset, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vreport_addv(r, code, level, sev, object_index, byte_offset, fmt, ap);
    va_end(ap);
}

void tgm__vissue(tgm_vctx *c, tgm_vcode code, tgm_vlevel level, tgm_vseverity sev,
                 int64_t object_index, int64_t byte_offset, const char *fmt, ...) {
    if (c->drop_warnings && sev == TGM_VS_WARNING) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vreport_addv(c->r, code, level, sev, object_index, byte_offset, fmt, ap);
    va_end(ap);
}

bool tgm__v_oom(tgm_vctx *c) {
    /* Every allocation failure in the library is reported through
     * tgm__oom or an "out of memory ..." text. */
    const char *d = tgm__error_detail();
    if (c->r->oom || (d != NULL && strstr(d, "out of memory") != NULL)) {
        c->r->oom = true;
        return true;
    }
    return false;
}

const char *tgm__vdetail(void) {
    /* The detail lives in a thread-local buffer that the next failure
     * overwrites; callers format it into an issue before that happens. */
    const char *d = tgm__error_detail();
    return d != NULL ? d : "unknown error";
}

void tgm__vfile_report_init(tgm_vfile_report *r) {
    memset(r, 0, sizeof *r);
    r->arena = (tgm_arena)TGM_ARENA_INIT;
}

void tgm__vfile_report_free(tgm_vfile_report *r) {
    if (r == NULL) {
        return;
    }
    for (size_t i = 0; i < r->nmessages; i++) {
        tgm__vreport_free(&r->messages[i]);
    }
    tgm__free(r->messages);
    tgm__free(r->file_issues);
    tgm__arena_free(&r->arena);
    memset(r, 0, sizeof *r);
}

bool tgm__vfile_report_ok(const tgm_vfile_report *r) {
    if (r->nfile_issues != 0) {
        return false;
    }
    for (size_t i = 0; i < r->nmessages; i++) {
        if (!tgm__vreport_ok(&r->messages[i])) {
            return false;
        }
    }
    return true;
}

/* ---- JSON ---------------------------------------------------------------------- */

static tgm_error put(tgm_buf *b, const char *s) { return tgm__buf_append(b, s, strlen(s)); }

/* A JSON string with serde_json's escaping (shared with the metadata
 * writer so both escape identically). */
static tgm_error put_str(tgm_buf *b, const char *s) {
    tgm_val v;
    memset(&v, 0, sizeof v);
    v.kind = TGM_V_TEXT;
    v.len = strlen(s);
    v.p.str = s;
    return tgm__json_write(&v, TGM_JSON_COMPACT, b);
}

static tgm_error put_u64(tgm_buf *b, uint64_t v) {
    char tmp[24];
    snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v);
    return put(b, tmp);
}

tgm_error tgm__vreport_json(const tgm_vreport *r, tgm_buf *out) {
    TGM_TRY(put(out, "{\"issues\":["));
    for (size_t i = 0; i < r->nissues; i++) {
        const tgm_vissue *is = &r->issues[i];
        TGM_TRY(put(out, i ? ",{\"code\":" : "{\"code\":"));
        TGM_TRY(put_str(out, tgm__vcode_name(is->code)));
        TGM_TRY(put(out, ",\"level\":"));
        TGM_TRY(put_str(out, tgm__vlevel_name(is->level)));
        TGM_TRY(put(out, ",\"severity\":"));
        TGM_TRY(put_str(out, tgm__vseverity_name(is->severity)));
        if (is->object_index >= 0) {
            TGM_TRY(put(out, ",\"object_index\":"));
            TGM_TRY(put_u64(out, (uint64_t)is->object_index));
        }
        if (is->byte_offset >= 0) {
            TGM_TRY(put(out, ",\"byte_offset\":"));
            TGM_TRY(put_u64(out, (uint64_t)is->byte_offset));
        }
        TGM_TRY(put(out, ",\"description\":"));
        TGM_TRY(put_str(out, is->description));
        TGM_TRY(put(out, "}"));
    }
    TGM_TRY(put(out, "],\"object_count\":"));
    TGM_TRY(put_u64(out, r->object_count));
    TGM_TRY(put(out, ",\"hash_verified\":"));
    return put(out, r->hash_verified ? "true}" : "false}");
}

tgm_error tgm__vfile_report_json(const tgm_vfile_report *r, tgm_buf *out) {
    TGM_TRY(put(out, "{\"file_issues\":["));
    for (size_t i = 0; i < r->nfile_issues; i++) {
        const tgm_vfile_issue *fi = &r->file_issues[i];
        TGM_TRY(put(out, i ? ",{\"byte_offset\":" : "{\"byte_offset\":"));
        TGM_TRY(put_u64(out, fi->byte_offset));
        TGM_TRY(put(out, ",\"length\":"));
        TGM_TRY(put_u64(out, fi->length));
        TGM_TRY(put(out, ",\"description\":"));
        TGM_TRY(put_str(out, fi->description));
        TGM_TRY(put(out, "}"));
    }
    TGM_TRY(put(out, "],\"messages\":["));
    for (size_t i = 0; i < r->nmessages; i++) {
        if (i) {
            TGM_TRY(put(out, ","));
        }
        TGM_TRY(tgm__vreport_json(&r->messages[i], out));
    }
    return put(out, "]}");
}
