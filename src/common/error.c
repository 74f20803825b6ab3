#include "common/error.h"

#include <stdio.h>
#include <string.h>

#define TGM_DETAIL_CAP 4096

static _Thread_local char detail_buf[TGM_DETAIL_CAP];
static _Thread_local int detail_set;
static _Thread_local int64_t detail_object_index = -1;

const char *tgm__error_category(tgm_error code) {
    switch ((int)code) {
#define X(name, value, text)                                                                       \
    case name:                                                                                     \
        return text;
        TGM_ERROR_CODES(X) /* the public header's list */
#undef X
    default:
        return "unknown error";
    }
}

static void set_detail_v(const char *prefix, const char *fmt, va_list ap) {
    size_t used = 0;
    if (prefix != NULL) {
        int n = snprintf(detail_buf, sizeof detail_buf, "%s: ", prefix);
        used = (n > 0 && (size_t)n < sizeof detail_buf) ? (size_t)n : 0;
    }
    vsnprintf(detail_buf + used, sizeof detail_buf - used, fmt, ap);
    detail_set = 1;
    detail_object_index = -1;
}

const char *tgm__error_detail_body(void) {
    if (!detail_set) {
        return NULL;
    }
    const char *d = detail_buf;
#define X(name, value, text)                                                                       \
    if (strncmp(d, text, strlen(text)) == 0 && d[strlen(text)] == ':' &&                           \
        d[strlen(text) + 1] == ' ') {                                                              \
        return d + strlen(text) + 2;                                                               \
    }
    TGM_ERROR_CODES(X)
#undef X
    return d;
}

tgm_error tgm__vfail(tgm_error code, const char *fmt, va_list ap) {
    set_detail_v(tgm__error_category(code), fmt, ap);
    return code;
}

tgm_error tgm__fail(tgm_error code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    tgm__vfail(code, fmt, ap);
    va_end(ap);
    return code;
}

tgm_error tgm__fail_raw(tgm_error code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    set_detail_v(NULL, fmt, ap);
    va_end(ap);
    return code;
}

tgm_error tgm__wrap(tgm_error code, const char *fmt, ...) {
    char old[TGM_DETAIL_CAP];
    char ctx[512];
    const char *cat = tgm__error_category(code);
    size_t catlen = strlen(cat);
    va_list ap;

    if (!detail_set) {
        va_start(ap, fmt);
        tgm__vfail(code, fmt, ap);
        va_end(ap);
        return code;
    }
    memcpy(old, detail_buf, sizeof old);
    va_start(ap, fmt);
    vsnprintf(ctx, sizeof ctx, fmt, ap);
    va_end(ap);
    /* Keep "<category>: " at the front when the old text already has it. */
    const char *rest = old;
    if (strncmp(old, cat, catlen) == 0 && old[catlen] == ':' && old[catlen + 1] == ' ') {
        rest = old + catlen + 2;
    }
    int64_t idx = detail_object_index;
    /* Assemble "<cat>: <ctx>: <rest>" piecewise, truncating at the cap. */
    size_t used = 0;
    const char *parts[5] = {cat, ": ", ctx, ": ", rest};
    for (int i = 0; i < 5; i++) {
        size_t n = strlen(parts[i]);
        if (n > sizeof detail_buf - 1 - used) {
            n = sizeof detail_buf - 1 - used;
        }
        memcpy(detail_buf + used, parts[i], n);
        used += n;
    }
    detail_buf[used] = '\0';
    detail_set = 1;
    detail_object_index = idx;
    return code;
}

tgm_error tgm__oom(size_t nbytes, const char *what) {
    return tgm__fail(TGM_ERROR_ENCODING, "out of memory allocating %zu bytes for %s", nbytes,
                     what != NULL ? what : "a buffer");
}

void tgm__clear_error(void) {
    detail_set = 0;
    detail_buf[0] = '\0';
    detail_object_index = -1;
}

const char *tgm__error_detail(void) { return detail_set ? detail_buf : NULL; }

void tgm__set_error_object_index(int64_t index) { detail_object_index = index; }

int64_t tgm__error_object_index(void) { return detail_object_index; }
