/* tensogram doctor: build information, built-in features and self-tests
 * (reference: tensogram-cli/src/commands/doctor.rs).  The report comes from
 * the library (tgm_doctor_to_json); the tool adds the converter rows, which
 * belong to the command line in the reference too. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <tensogram/convert.h>

#include "cli.h"

static const cli_optdef opts[] = {
    {0, "json", NULL},
};

enum { FEATURE_NAME_WIDTH = 22, SELF_TEST_LABEL_WIDTH = 42 };

/* A string member, or an integer one in decimal (into the caller's
 * buffer); NULL otherwise. */
static const char *str_in(const tgm_value_t *o, const char *k, char buf[32]) {
    const tgm_value_t *v = tgm_value_map_get(o, k);
    size_t n = 0;
    int64_t i;
    uint64_t u;
    if (tgm_value_get_type(v) == TGM_VALUE_TYPE_STRING) {
        return tgm_value_as_string(v, &n);
    }
    if (tgm_value_as_i64(v, &i)) {
        snprintf(buf, 32, "%" PRId64, i);
        return buf;
    }
    if (tgm_value_as_u64(v, &u)) {
        snprintf(buf, 32, "%" PRIu64, u);
        return buf;
    }
    return NULL;
}
#define str(o, k) str_in((o), (k), (char[32]){0})

static const char *or_empty(const char *s) { return s ? s : ""; }

static const char *linkage_label(const char *l) {
    if (l == NULL) {
        return "";
    }
    if (strcmp(l, "ffi") == 0) {
        return "FFI";
    }
    if (strcmp(l, "pure-rust") == 0) {
        return "pure-Rust";
    }
    return l;
}

/* "  <label padded to width><rest>", padding counted in characters as
 * Rust's {:<width$} does.  A label that fills the column still gets one
 * space (the reference prints "...nc)skipped" for its 42-character NetCDF
 * label). */
static void padded(const char *label, int width) {
    int chars = 0;
    for (const char *p = label; *p; p++) {
        chars += ((unsigned char)*p & 0xC0) != 0x80;
    }
    printf("  %s%*s", label, chars < width ? width - chars : 1, "");
}

static void print_human(const tgm_value_t *report) {
    const tgm_value_t *build = tgm_value_map_get(report, "build");
    printf("tensogram doctor\n================\n\nBuild\n");
    static const char *const rows[][2] = {{"tensogram", "version"},
                                          {"wire-format", "wire_version"},
                                          {"target", "target"},
                                          {"profile", "profile"}};
    for (size_t i = 0; i < 4; i++) {
        padded(rows[i][0], FEATURE_NAME_WIDTH);
        printf("%s\n", or_empty(build ? str(build, rows[i][1]) : NULL));
    }
    printf("\nCompiled-in features\n");
    const tgm_value_t *features = tgm_value_map_get(report, "features");
    for (size_t i = 0; i < tgm_value_array_len(features); i++) {
        const tgm_value_t *f = tgm_value_array_get(features, i);
        padded(or_empty(str(f, "name")), FEATURE_NAME_WIDTH);
        const char *state = str(f, "state");
        if (state != NULL && strcmp(state, "on") == 0) {
            const char *version = str(f, "version");
            printf("on  (%s %s %s)\n", or_empty(str(f, "backend")),
                   linkage_label(str(f, "linkage")), version ? version : "unknown");
        } else {
            printf("off\n");
        }
    }
    printf("\nSelf-test\n");
    bool failed = false;
    const tgm_value_t *tests = tgm_value_map_get(report, "self_test");
    for (size_t i = 0; i < tgm_value_array_len(tests); i++) {
        const tgm_value_t *t = tgm_value_array_get(tests, i);
        const char *outcome = or_empty(str(t, "outcome"));
        padded(or_empty(str(t, "label")), SELF_TEST_LABEL_WIDTH);
        if (strcmp(outcome, "ok") == 0) {
            printf("ok\n");
        } else if (strcmp(outcome, "failed") == 0) {
            printf("FAILED  (%s)\n", or_empty(str(t, "error")));
            failed = true;
        } else {
            printf("skipped (%s)\n", or_empty(str(t, "reason")));
        }
    }
    printf("\nStatus: %s\n", failed ? "UNHEALTHY" : "HEALTHY");
}

int cmd_doctor(int argc, char **argv, cli_globals *g) {
    cli_args a;
    int r = cli_parse_args("doctor", opts, 1, argc, argv, g, &a);
    if (r != 0) {
        free(a.pos);
        return r == CLI_HELP_SHOWN ? EXIT_OK : r;
    }
    if (a.npos > 0) {
        int rc = cli_usage_error("doctor", "unexpected argument '%s' found", a.pos[0]);
        free(a.pos);
        return rc;
    }
    bool json = a.present[0];
    free(a.pos);
    tgm_bytes_t out = {NULL, 0};
    tgm_error e = tgm_doctor_to_json(&out);
    if (e != TGM_ERROR_OK) {
        cli_lib_error(e, "collecting diagnostics");
        return EXIT_FAIL;
    }
    tgm_json_t *report = jdoc_parse((const char *)out.data, out.len, "diagnostics report");
    tgm_bytes_free(out);
    if (report == NULL) {
        return EXIT_FAIL;
    }
    /* The converters' rows come from libtensogram_convert. */
    tgm_bytes_t conv = {NULL, 0};
    tgm_json_t *cj = NULL;
    if (tgm_convert_doctor_to_json(&conv) == TGM_ERROR_OK &&
        tgm_json_parse((const char *)conv.data, conv.len, TGM_JSON_KEEP_ORDER, &cj) !=
            TGM_ERROR_OK) {
        cj = NULL; /* without the converters' rows */
    }
    tgm_bytes_free(conv);
    static const char *const sections[] = {"features", "self_test"};
    for (size_t k = 0; cj != NULL && k < 2; k++) {
        const tgm_value_t *add = tgm_value_map_get(tgm_json_root(cj), sections[k]);
        const tgm_value_t *have = tgm_value_map_get(tgm_json_root(report), sections[k]);
        if (tgm_value_get_type(have) != TGM_VALUE_TYPE_ARRAY) {
            continue;
        }
        for (size_t i = 0; i < tgm_value_array_len(add); i++) {
            tgm_value_t *list =
                jedit(report, tgm_value_map_get(tgm_json_root(report), sections[k]));
            jset_copy(report, jappend(report, list), tgm_value_array_get(add, i));
        }
    }
    tgm_json_free(cj);
    bool failed = false;
    const tgm_value_t *tests = tgm_value_map_get(tgm_json_root(report), "self_test");
    for (size_t i = 0; i < tgm_value_array_len(tests); i++) {
        const char *o = str(tgm_value_array_get(tests, i), "outcome");
        failed = failed || (o != NULL && strcmp(o, "failed") == 0);
    }
    if (json) {
        jprint(tgm_json_root(report), TGM_JSON_PRETTY | TGM_JSON_KEEP_ORDER);
    } else {
        print_human(tgm_json_root(report));
    }
    tgm_json_free(report);
    return failed ? EXIT_FAIL : EXIT_OK;
}
