/* The library's version and its error reporting, exported: the
 * thread-local detail and the message table live in common/error.c. */
#include <stdarg.h>
#include <stdio.h>

#include "common/error.h"
#include "tensogram/tensogram.h"

unsigned tgm_version_number(void) { return TGM_VERSION_NUMBER; }

const char *tgm_version_string(void) { return TGM_VERSION_STRING; }

const char *tgm_error_string(tgm_error err) { return tgm__error_category(err); }

const char *tgm_last_error(void) { return tgm__error_detail(); }

int64_t tgm_last_error_object_index(void) { return tgm__error_object_index(); }

tgm_error tgm_set_last_error(tgm_error code, const char *fmt, ...) {
    /* Format into a scratch buffer first: the arguments may point into the
     * detail buffer itself (the previous tgm_last_error() text). */
    char text[4096];
    text[0] = '\0';
    if (fmt != NULL) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(text, sizeof text, fmt, ap);
        va_end(ap);
    }
    return tgm__fail_raw(code, "%s", text);
}
