/* tensogram doctor: build information, built-in features and self-tests
 * (reference: tensogram-cli/src/commands/doctor.rs).  The report comes from
 * the library (tgm_doctor_to_json); the tool adds the converter rows, which
 * belong to the command line in the reference too. */
#include <stdlib.h>
#include <string.h>

#include <tensogram/convert.h>

#include "cli.h"

static const cli_optdef opts[] = {
    {0, "json", NULL},
};

enum { FEATURE_NAME_WIDTH = 22, SELF_TEST_LABEL_WIDTH = 42 };

static const char *str(const jv *o, const char *k) {
    const jv *v = jv_get(o, k);
    if (v == NULL || v->kind == JV_NULL) {
        return NULL;
    }
    return v->kind == JV_STR || v->kind == JV_NUM ? v->s : NULL;
}

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

static void print_human(const jv *report) {
    const jv *build = jv_get(report, "build");
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
    const jv *features = jv_get(report, "features");
    for (size_t i = 0; features != NULL && features->kind == JV_ARR && i < features->n; i++) {
        const jv *f = features->items[i];
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
    const jv *tests = jv_get(report, "self_test");
    for (size_t i = 0; tests != NULL && tests->kind == JV_ARR && i < tests->n; i++) {
        const jv *t = tests->items[i];
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
    char err[160];
    jv *report = jv_parse((const char *)out.data, out.len, err, sizeof err);
    tgm_bytes_free(out);
    if (report == NULL || report->kind != JV_OBJ) {
        cli_error("unreadable diagnostics report from the library (%s)",
                  report ? "not an object" : err);
        jv_free(report);
        return EXIT_FAIL;
    }
    /* The converters' rows come from libtensogram_convert. */
    jv *features = jv_get(report, "features");
    jv *tests = jv_get(report, "self_test");
    tgm_bytes_t conv = {NULL, 0};
    jv *cj = NULL;
    if (tgm_convert_doctor_to_json(&conv) == TGM_ERROR_OK) {
        cj = jv_parse((const char *)conv.data, conv.len, err, sizeof err);
    }
    tgm_bytes_free(conv);
    const jv *cf = cj != NULL ? jv_get(cj, "features") : NULL;
    const jv *ct = cj != NULL ? jv_get(cj, "self_test") : NULL;
    if (features != NULL && features->kind == JV_ARR && cf != NULL && cf->kind == JV_ARR) {
        for (size_t i = 0; i < cf->n; i++) {
            jv_push(features, jv_clone(cf->items[i]));
        }
    }
    if (tests != NULL && tests->kind == JV_ARR && ct != NULL && ct->kind == JV_ARR) {
        for (size_t i = 0; i < ct->n; i++) {
            jv_push(tests, jv_clone(ct->items[i]));
        }
    }
    jv_free(cj);
    bool failed = false;
    for (size_t i = 0; tests != NULL && tests->kind == JV_ARR && i < tests->n; i++) {
        const char *o = str(tests->items[i], "outcome");
        failed = failed || (o != NULL && strcmp(o, "failed") == 0);
    }
    if (json) {
        char *t = jv_to_string(report, JV_PRETTY);
        printf("%s\n", t);
        free(t);
    } else {
        print_human(report);
    }
    jv_free(report);
    return failed ? EXIT_FAIL : EXIT_OK;
}
