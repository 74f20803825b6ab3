/* tt.h - a tiny test harness: TT_CHECK records a failure and continues,
 * TT_ASSERT records and returns from the test function. */
#ifndef TT_H
#define TT_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tt_failures;
static int tt_checks;
static const char *tt_current = "";

#define TT_CHECK(cond)                                                                             \
    do {                                                                                           \
        tt_checks++;                                                                               \
        if (!(cond)) {                                                                             \
            tt_failures++;                                                                         \
            fprintf(stderr, "%s:%d: [%s] check failed: %s\n", __FILE__, __LINE__, tt_current,      \
                    #cond);                                                                        \
        }                                                                                          \
    } while (0)

#define TT_ASSERT(cond)                                                                            \
    do {                                                                                           \
        tt_checks++;                                                                               \
        if (!(cond)) {                                                                             \
            tt_failures++;                                                                         \
            fprintf(stderr, "%s:%d: [%s] assertion failed: %s\n", __FILE__, __LINE__, tt_current,  \
                    #cond);                                                                        \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define TT_CHECK_EQ_INT(a, b)                                                                      \
    do {                                                                                           \
        long long tt_a_ = (long long)(a), tt_b_ = (long long)(b);                                  \
        tt_checks++;                                                                               \
        if (tt_a_ != tt_b_) {                                                                      \
            tt_failures++;                                                                         \
            fprintf(stderr, "%s:%d: [%s] %s == %s failed: %lld != %lld\n", __FILE__, __LINE__,     \
                    tt_current, #a, #b, tt_a_, tt_b_);                                             \
        }                                                                                          \
    } while (0)

#define TT_CHECK_EQ_STR(a, b)                                                                      \
    do {                                                                                           \
        const char *tt_a_ = (a), *tt_b_ = (b);                                                     \
        tt_checks++;                                                                               \
        if (tt_a_ == NULL || tt_b_ == NULL || strcmp(tt_a_, tt_b_) != 0) {                         \
            tt_failures++;                                                                         \
            fprintf(stderr, "%s:%d: [%s] %s == %s failed: \"%s\" != \"%s\"\n", __FILE__, __LINE__, \
                    tt_current, #a, #b, tt_a_ ? tt_a_ : "(null)", tt_b_ ? tt_b_ : "(null)");       \
        }                                                                                          \
    } while (0)

/* Check that `err` equals `code`; print tgm_last_error() otherwise. */
#define TT_CHECK_ERR(err, code)                                                                    \
    do {                                                                                           \
        int tt_e_ = (int)(err);                                                                    \
        tt_checks++;                                                                               \
        if (tt_e_ != (int)(code)) {                                                                \
            tt_failures++;                                                                         \
            fprintf(stderr, "%s:%d: [%s] %s returned %d, expected %d (%s)\n", __FILE__, __LINE__,  \
                    tt_current, #err, tt_e_, (int)(code),                                          \
                    tgm_last_error() ? tgm_last_error() : "no detail");                            \
        }                                                                                          \
    } while (0)

/* TT_CASE selects test cases by name: a comma-separated list
 * ("TT_CASE=test_fits,test_contents build/release/tests/test_codec_table"),
 * or "list" to print the names instead of running anything.  Unset or
 * empty: every case runs. */
static int tt_ran;
static int tt_listing;

static inline int tt_selected(const char *name) {
    const char *want = getenv("TT_CASE");
    if (want == NULL || *want == '\0') {
        return 1;
    }
    if (strcmp(want, "list") == 0) {
        printf("%s\n", name);
        tt_listing = 1;
        return 0;
    }
    size_t n = strlen(name);
    for (const char *p = want; *p != '\0';) {
        const char *end = strchr(p, ',');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0) {
            return 1;
        }
        p += len + (end != NULL);
    }
    return 0;
}

#define TT_RUN(fn)                                                                                 \
    do {                                                                                           \
        if (tt_selected(#fn)) {                                                                    \
            tt_current = #fn;                                                                      \
            tt_ran++;                                                                              \
            fn();                                                                                  \
        }                                                                                          \
    } while (0)

#define TT_SKIP(reason)                                                                            \
    do {                                                                                           \
        printf("SKIP: %s\n", reason);                                                              \
    } while (0)

static inline int tt_finish(const char *suite) {
    if (tt_listing) {
        return 0;
    }
    if (tt_ran == 0 && getenv("TT_CASE") != NULL && *getenv("TT_CASE") != '\0') {
        fprintf(stderr, "%s: no test case named \"%s\" (TT_CASE=list names them)\n", suite,
                getenv("TT_CASE"));
        return 1;
    }
    if (tt_failures != 0) {
        fprintf(stderr, "%s: %d of %d checks FAILED\n", suite, tt_failures, tt_checks);
        return 1;
    }
    printf("%s: all %d checks passed\n", suite, tt_checks);
    return 0;
}

/* Read a whole file; returns NULL (and *len = 0) when it cannot be read. */
static inline unsigned char *tt_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    *len = 0;
    if (f == NULL) {
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc(n > 0 ? (size_t)n : 1);
    if (buf != NULL && n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf != NULL) {
        *len = (size_t)n;
    }
    return buf;
}

/* Directory of the reference's shared files, or NULL when absent (tests
 * that need it report themselves skipped).  TGM_SHARED_DIR overrides. */
static inline const char *tt_shared_dir(void) {
    const char *env = getenv("TGM_SHARED_DIR");
    if (env != NULL && *env != '\0') {
        return env;
    }
#ifdef TGM_DEFAULT_SHARED_DIR
    {
        static char buf[4096];
        snprintf(buf, sizeof buf, "%s/golden/simple_f32.tgm", TGM_DEFAULT_SHARED_DIR);
        FILE *f = fopen(buf, "rb");
        if (f != NULL) {
            fclose(f);
            return TGM_DEFAULT_SHARED_DIR;
        }
    }
#endif
    return NULL;
}

/* Exit code ctest treats as "skipped" (SKIP_RETURN_CODE). */
#define TT_SKIP_CODE 77

#endif
