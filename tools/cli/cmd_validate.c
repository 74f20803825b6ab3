/* tensogram validate: structure, metadata, integrity and fidelity checks
 * (reference: tensogram-cli/src/commands/validate.rs).  The checks are the
 * library's (tgm_validate_file); this file renders its report. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

enum { OPT_QUICK, OPT_CHECKSUM, OPT_FULL, OPT_CANONICAL, OPT_JSON, OPT_DECODE_LIMIT };

static const cli_optdef opts[] = {
    {0, "quick", NULL},     {0, "checksum", NULL}, {0, "full", NULL},
    {0, "canonical", NULL}, {0, "json", NULL},     {0, "decode-limit", "BYTES"},
};

/* --decode-limit: "auto" (default), "none", or a byte count with an
 * optional K, M, G or T suffix (powers of 1024). */
static bool parse_limit(const char *s, uint64_t *out) {
    if (strcmp(s, "auto") == 0) {
        *out = TGM_VALIDATE_LIMIT_AUTO;
        return true;
    }
    if (strcmp(s, "none") == 0) {
        *out = 0;
        return true;
    }
    uint64_t v = 0;
    const char *p = s;
    if (*p < '0' || *p > '9') {
        return false;
    }
    for (; *p >= '0' && *p <= '9'; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - 1 - d) / 10) {
            return false;
        }
        v = v * 10 + d;
    }
    int shift = 0;
    switch (*p) {
    case 'K':
        shift = 10;
        break;
    case 'M':
        shift = 20;
        break;
    case 'G':
        shift = 30;
        break;
    case 'T':
        shift = 40;
        break;
    case '\0':
        break;
    default:
        return false;
    }
    if (shift != 0 && *++p != '\0') {
        return false;
    }
    if (v > ((UINT64_MAX - 1) >> shift) || v == 0) {
        return false;
    }
    *out = v << shift;
    return true;
}

static const jv *field(const jv *o, const char *k, jv_kind kind) {
    const jv *v = jv_get(o, k);
    return (v != NULL && v->kind == kind) ? v : NULL;
}

static unsigned long long num(const jv *o, const char *k) {
    const jv *v = field(o, k, JV_NUM);
    return v ? strtoull(v->s, NULL, 10) : 0;
}

static const char *text(const jv *o, const char *k) {
    const jv *v = field(o, k, JV_STR);
    return v ? v->s : "";
}

static bool is_error(const jv *issue) { return strcmp(text(issue, "severity"), "error") == 0; }

typedef struct {
    const jv *file_issues, *messages; /* arrays */
    bool ok, hash_verified;
    unsigned long long objects;
} summary;

/* FileValidationReport::is_ok / total_objects / hash_verified. */
static bool summarise(const jv *report, summary *s) {
    s->file_issues = field(report, "file_issues", JV_ARR);
    s->messages = field(report, "messages", JV_ARR);
    if (s->file_issues == NULL || s->messages == NULL) {
        return false;
    }
    s->ok = s->file_issues->n == 0;
    s->hash_verified = s->messages->n > 0;
    s->objects = 0;
    for (size_t i = 0; i < s->messages->n; i++) {
        const jv *m = s->messages->items[i];
        const jv *issues = field(m, "issues", JV_ARR);
        for (size_t k = 0; issues != NULL && k < issues->n; k++) {
            s->ok = s->ok && !is_error(issues->items[k]);
        }
        const jv *hv = field(m, "hash_verified", JV_BOOL);
        s->hash_verified = s->hash_verified && hv != NULL && hv->b;
        s->objects += num(m, "object_count");
    }
    return true;
}

static void print_human(const char *path, const summary *s) {
    for (size_t i = 0; i < s->file_issues->n; i++) {
        const jv *fi = s->file_issues->items[i];
        /* A file issue fails the file, so it is labelled as the failure it
         * is (the reference says WARNING yet counts it as an error). */
        fprintf(stderr, "%s: FAILED \xe2\x80\x94 %s (at byte offset %llu, %llu bytes)\n", path,
                text(fi, "description"), num(fi, "byte_offset"), num(fi, "length"));
    }
    size_t errors = 0;
    for (size_t i = 0; i < s->messages->n; i++) {
        const jv *issues = field(s->messages->items[i], "issues", JV_ARR);
        for (size_t k = 0; issues != NULL && k < issues->n; k++) {
            const jv *is = issues->items[k];
            bool err = is_error(is);
            errors += err;
            if (s->ok && err) {
                continue; /* a passing report shows its warnings only */
            }
            char obj[48] = "", off[48] = "";
            if (field(is, "object_index", JV_NUM) != NULL) {
                snprintf(obj, sizeof obj, ", object %llu", num(is, "object_index") + 1);
            }
            if (field(is, "byte_offset", JV_NUM) != NULL) {
                snprintf(off, sizeof off, " (at byte %llu)", num(is, "byte_offset"));
            }
            fprintf(stderr, "%s: %s \xe2\x80\x94 message %zu%s: %s%s\n", path,
                    err ? "FAILED" : "WARNING", i + 1, obj, text(is, "description"), off);
        }
    }
    if (s->ok) {
        printf("%s: OK (%zu messages, %llu objects%s)\n", path, s->messages->n, s->objects,
               s->hash_verified ? ", hash verified" : "");
    } else {
        size_t problems = errors + s->file_issues->n;
        fflush(stdout);
        fprintf(stderr, "%s: FAILED (%zu %s, %zu messages, %llu objects)\n", path, problems,
                problems == 1 ? "error" : "errors", s->messages->n, s->objects);
    }
}

/* Standard input and other streams (named pipes, character devices) are
 * validated from a temporary copy (the library validates files, including
 * the bytes between messages). */
static char *spool(FILE *in, const char *what) {
    const char *dir = getenv("TMPDIR");
    char *path = xasprintf("%s/tensogram-validate-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0) {
        cli_error("cannot create a temporary file for %s: %s", what, strerror(errno));
        free(path);
        return NULL;
    }
    char buf[1 << 16];
    size_t n;
    bool ok = true;
    while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0) {
        ok = write(fd, buf, n) == (ssize_t)n;
    }
    ok = ok && !ferror(in);
    if (close(fd) != 0 || !ok) {
        cli_error("copying %s to '%s': %s", what, path, strerror(errno));
        unlink(path);
        free(path);
        return NULL;
    }
    return path;
}

/* NULL and *failed false when `name` is a file the library reads itself. */
static char *spool_if_stream(const char *name, bool *failed) {
    *failed = false;
    char *path = NULL;
    if (strcmp(name, "-") == 0) {
        path = spool(stdin, "standard input");
    } else if (input_is_stream(name)) {
        FILE *f = fopen(name, "rb");
        if (f == NULL) {
            cli_error("cannot open '%s': %s", name, strerror(errno));
            *failed = true;
            return NULL;
        }
        char *what = xasprintf("'%s'", name);
        path = spool(f, what);
        free(what);
        fclose(f);
    } else {
        return NULL;
    }
    *failed = path == NULL;
    return path;
}

int cmd_validate(int argc, char **argv, cli_globals *g) {
    cli_args a;
    int r = cli_parse_args("validate", opts, 6, argc, argv, g, &a);
    if (r != 0) {
        free(a.pos);
        return r == CLI_HELP_SHOWN ? EXIT_OK : r;
    }
    static const char *const level_flags[] = {"--quick", "--checksum", "--full"};
    const char *seen = NULL;
    for (int k = OPT_QUICK; k <= OPT_FULL; k++) {
        if (a.present[k] && seen != NULL) {
            free(a.pos);
            return cli_usage_error("validate", "the argument '%s' cannot be used with '%s'", seen,
                                   level_flags[k]);
        }
        if (a.present[k]) {
            seen = level_flags[k];
        }
    }
    if (a.npos == 0) {
        free(a.pos);
        return cli_usage_error("validate",
                               "the following required arguments were not provided: <FILES>...");
    }
    const char *level = a.present[OPT_QUICK]      ? "quick"
                        : a.present[OPT_CHECKSUM] ? "checksum"
                        : a.present[OPT_FULL]     ? "full"
                                                  : "default";
    tgm_validate_options vo = TGM_VALIDATE_OPTIONS_INIT;
    vo.level = level;
    vo.check_canonical = a.present[OPT_CANONICAL];
    vo.max_decoded_bytes = TGM_VALIDATE_LIMIT_AUTO;
    if (a.present[OPT_DECODE_LIMIT] &&
        !parse_limit(a.value[OPT_DECODE_LIMIT], &vo.max_decoded_bytes)) {
        int rc = cli_usage_error("validate",
                                 "invalid value '%s' for '--decode-limit <BYTES>': expected auto, "
                                 "none, or a positive number of bytes (suffixes K, M, G, T)",
                                 a.value[OPT_DECODE_LIMIT]);
        free(a.pos);
        return rc;
    }
    bool json = a.present[OPT_JSON];
    jv *entries = jv_arr();
    bool all_ok = true, failed = false;
    for (size_t f = 0; f < a.npos && !failed; f++) {
        const char *name = a.pos[f];
        char *spooled = spool_if_stream(name, &failed);
        if (failed) {
            break;
        }
        tgm_bytes_t out = {NULL, 0};
        const char *const *skeys, *const *svals;
        size_t nstor = cli_storage_options(&skeys, &svals);
        tgm_error e = spooled != NULL || !tgm_is_remote_url(name)
                          ? tgm_validate_file_ex(spooled ? spooled : name, &vo, &out)
                          : tgm_validate_source(name, skeys, svals, nstor, level,
                                                a.present[OPT_CANONICAL], &out);
        if (spooled != NULL) {
            unlink(spooled);
            free(spooled);
        }
        if (e != TGM_ERROR_OK) {
            cli_lib_error(e, "cannot validate '%s'", name);
            failed = true;
            break;
        }
        char err[160];
        jv *report = jv_parse((const char *)out.data, out.len, err, sizeof err);
        tgm_bytes_free(out);
        summary s;
        if (report == NULL || !summarise(report, &s)) {
            cli_error("validating '%s': unreadable report from the library (%s)", name,
                      report ? "unexpected layout" : err);
            jv_free(report);
            failed = true;
            break;
        }
        all_ok = all_ok && s.ok;
        if (json) {
            /* JsonFileReport, fields in the reference's declaration order. */
            jv *e2 = jv_obj();
            jv_setc(e2, "file", jv_cstr(name));
            jv_setc(e2, "status", jv_cstr(s.ok ? "ok" : "failed"));
            jv_setc(e2, "messages", jv_uint(s.messages->n));
            jv_setc(e2, "objects", jv_uint(s.objects));
            jv_setc(e2, "hash_verified", jv_bool(s.hash_verified));
            jv_setc(e2, "file_issues", jv_take(report, "file_issues"));
            jv_setc(e2, "message_reports", jv_take(report, "messages"));
            jv_push(entries, e2);
        } else {
            print_human(name, &s);
        }
        jv_free(report);
    }
    if (json && !failed) {
        char *t = jv_to_string(entries, JV_PRETTY);
        printf("%s\n", t);
        free(t);
    }
    jv_free(entries);
    free(a.pos);
    if (failed) {
        return EXIT_FAIL;
    }
    return all_ok ? EXIT_OK : EXIT_FAIL;
}
