/* Internal error reporting: one enum (tgm_error, public), one message table,
 * a thread-local detail string behind tgm_last_error(). */
#ifndef TGM_COMMON_ERROR_H
#define TGM_COMMON_ERROR_H

#include <stdarg.h>
#include <stdint.h>

#include "tensogram/tensogram.h"

#if defined(__GNUC__) || defined(__clang__)
#define TGM_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define TGM_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define TGM_LIKELY(x) __builtin_expect(!!(x), 1)
#else
#define TGM_PRINTF(a, b)
#define TGM_UNLIKELY(x) (x)
#define TGM_LIKELY(x) (x)
#endif

/* Record a failure and return `code`.  The detail text becomes
 * "<category>: <formatted message>" where <category> is the code's entry
 * in the message table ("framing error", "metadata error", ...), so the
 * text reads the same way as the reference implementation's errors. */
tgm_error tgm__fail(tgm_error code, const char *fmt, ...) TGM_PRINTF(2, 3);
tgm_error tgm__vfail(tgm_error code, const char *fmt, va_list ap);

/* Record a failure whose text is used verbatim (no category prefix). */
tgm_error tgm__fail_raw(tgm_error code, const char *fmt, ...) TGM_PRINTF(2, 3);

/* Prefix the current detail with more context: "<ctx>: <old detail>" while
 * keeping the category at the front.  Returns `code` unchanged. */
tgm_error tgm__wrap(tgm_error code, const char *fmt, ...) TGM_PRINTF(2, 3);

/* Out-of-memory helper: "<category>: out of memory allocating N bytes (what)". */
tgm_error tgm__oom(size_t nbytes, const char *what);

void tgm__clear_error(void);
const char *tgm__error_detail(void); /* NULL when no error is recorded */
/* The detail without its leading "<category>: " (NULL when none). */
const char *tgm__error_detail_body(void);

/* Object index attached to the last MISSING_HASH / HASH_MISMATCH error
 * (-1 when none). */
void tgm__set_error_object_index(int64_t index);
int64_t tgm__error_object_index(void);

/* The category text of a code (static, never NULL). */
const char *tgm__error_category(tgm_error code);

/* One-line checks.  `code` is a tgm_error value; the rest is printf-style. */
#define TGM_RETURN_IF(cond, code, ...)                                                             \
    do {                                                                                           \
        if (TGM_UNLIKELY(cond)) {                                                                  \
            return tgm__fail((code), __VA_ARGS__);                                                 \
        }                                                                                          \
    } while (0)

#define TGM_TRY(expr)                                                                              \
    do {                                                                                           \
        tgm_error tgm_try_e_ = (expr);                                                             \
        if (TGM_UNLIKELY(tgm_try_e_ != TGM_ERROR_OK)) {                                            \
            return tgm_try_e_;                                                                     \
        }                                                                                          \
    } while (0)

/* For functions with a single exit: requires `tgm_error err;` and a
 * `cleanup:` label in scope. */
#define TGM_CHECK(expr)                                                                            \
    do {                                                                                           \
        err = (expr);                                                                              \
        if (TGM_UNLIKELY(err != TGM_ERROR_OK)) {                                                   \
            goto cleanup;                                                                          \
        }                                                                                          \
    } while (0)

#define TGM_FAIL_IF(cond, code, ...)                                                               \
    do {                                                                                           \
        if (TGM_UNLIKELY(cond)) {                                                                  \
            err = tgm__fail((code), __VA_ARGS__);                                                  \
            goto cleanup;                                                                          \
        }                                                                                          \
    } while (0)

#endif
