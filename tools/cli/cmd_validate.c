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

static unsigned long long num(const tgm_value_t *o, const char *k) {
    uint64_t u = 0;
    return tgm_value_as_u64(tgm_value_map_get(o, k), &u) ? (unsigned long long)u : 0;
}

static const char *text(const tgm_value_t *o, const char *k) {
    size_t n = 0;
    const char *s = tgm_value_as_string(tgm_value_map_get(o, k), &n);
    return s ? s : "";
}

static bool is_error(const tgm_value_t *issue) {
    return strcmp(text(issue, "severity"), "error") == 0;
}

typedef struct {
    const tgm_value_t *file_issues, *messages; /* arrays */
    bool ok, hash_verified;
    unsigned long long objects;
} summary;

/* FileValidationReport::is_ok / total_objects / hash_verified. */
static bool summarise(const tgm_value_t *report, summary *s) {
    s->file_issues = jget_kind(report, "file_issues", TGM_VALUE_TYPE_ARRAY);
    s->messages = jget_kind(report, "messages", TGM_VALUE_TYPE_ARRAY);
    if (s->file_issues == NULL || s->messages == NULL) {
        return false;
    }
    size_t nmsg = tgm_value_array_len(s->messages);
    s->ok = tgm_value_array_len(s->file_issues) == 0;
    s->hash_verified = nmsg > 0;
    s->objects = 0;
    for (size_t i = 0; i < nmsg; i++) {
        const tgm_value_t *m = tgm_value_array_get(s->messages, i);
        const tgm_value_t *issues = jget_kind(m, "issues", TGM_VALUE_TYPE_ARRAY);
        for (size_t k = 0; k < tgm_value_array_len(issues); k++) {
            s->ok = s->ok && !is_error(tgm_value_array_get(issues, k));
        }
        bool hv = false;
        s->hash_verified =
            s->hash_verified && tgm_value_as_bool(tgm_value_map_get(m, "hash_verified"), &hv) && hv;
        s->objects += num(m, "object_count");
    }
    return true;
}

static void print_human(const char *path, const summary *s) {
    size_t nmsg = tgm_value_array_len(s->messages);
    size_t nfile = tgm_value_array_len(s->file_issues);
    for (size_t i = 0; i < nfile; i++) {
        const tgm_value_t *fi = tgm_value_array_get(s->file_issues, i);
        /* A file issue fails the file, so it is labelled as the failure it
         * is (the reference says WARNING yet counts it as an error). */
        fprintf(stderr, "%s: FAILED \xe2\x80\x94 %s (at byte offset %llu, %llu bytes)\n", path,
                text(fi, "description"), num(fi, "byte_offset"), num(fi, "length"));
    }
    size_t errors = 0;
    for (size_t i = 0; i < nmsg; i++) {
        const tgm_value_t *issues =
            jget_kind(tgm_value_array_get(s->messages, i), "issues", TGM_VALUE_TYPE_ARRAY);
        for (size_t k = 0; k < tgm_value_array_len(issues); k++) {
            const tgm_value_t *is = tgm_value_array_get(issues, k);
            bool err = is_error(is);
            errors += err;
            if (s->ok && err) {
                continue; /* a passing report shows its warnings only */
            }
            char obj[48] = "", off[48] = "";
            if (jget_kind(is, "object_index", TGM_VALUE_TYPE_INT) != NULL) {
                snprintf(obj, sizeof obj, ", object %llu", num(is, "object_index") + 1);
            }
            if (jget_kind(is, "byte_offset", TGM_VALUE_TYPE_INT) != NULL) {
                snprintf(off, sizeof off, " (at byte %llu)", num(is, "byte_offset"));
            }
            fprintf(stderr, "%s: %s \xe2\x80\x94 message %zu%s: %s%s\n", path,
                    err ? "FAILED" : "WARNING", i + 1, obj, text(is, "description"), off);
        }
    }
    if (s->ok) {
        printf("%s: OK (%zu messages, %llu objects%s)\n", path, nmsg, s->objects,
               s->hash_verified ? ", hash verified" : "");
    } else {
        size_t problems = errors + nfile;
        fflush(stdout);
        fprintf(stderr, "%s: FAILED (%zu %s, %zu messages, %llu objects)\n", path, problems,
                problems == 1 ? "error" : "errors", nmsg, s->objects);
    }
}

/* Standard input and other streams (named pipes, character devices) are
 * validated from a temporary copy (the library validates files, including
 * the bytes between messages).  The copy's name is removed at once and the
 * library reads it through /proc/self/fd, so nothing is left behind however
 * the command ends (Ctrl-C, a kill); without /proc the name is removed
 * after validation. */
typedef struct {
    int fd;        /* -1: none */
    char *path;    /* what the library opens */
    char *tmpname; /* still to remove, NULL when already removed */
} spooled;

static void spool_free(spooled *sp) {
    if (sp->tmpname != NULL) {
        unlink(sp->tmpname);
    }
    if (sp->fd >= 0) {
        close(sp->fd);
    }
    free(sp->tmpname);
    free(sp->path);
    sp->fd = -1;
    sp->path = sp->tmpname = NULL;
}

static bool spool(FILE *in, const char *what, spooled *sp) {
    const char *dir = getenv("TMPDIR");
    char *tmp = xasprintf("%s/tensogram-validate-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(tmp);
    if (fd < 0) {
        cli_error("cannot create a temporary file for %s: %s", what, strerror(errno));
        free(tmp);
        return false;
    }
    sp->fd = fd;
    sp->path = xasprintf("/proc/self/fd/%d", fd);
    if (access(sp->path, R_OK) == 0 && unlink(tmp) == 0) {
        free(tmp);
    } else {
        free(sp->path);
        sp->path = xstrdup(tmp);
        sp->tmpname = tmp;
    }
    char buf[1 << 16];
    size_t n;
    bool ok = true;
    while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0) {
        for (size_t done = 0; ok && done < n;) {
            ssize_t w = write(fd, buf + done, n - done);
            ok = w > 0 || (w < 0 && errno == EINTR);
            done += w > 0 ? (size_t)w : 0;
        }
    }
    ok = ok && !ferror(in);
    if (!ok) {
        cli_error("copying %s to a temporary file in '%s': %s", what, dir && *dir ? dir : "/tmp",
                  strerror(errno));
        spool_free(sp);
        return false;
    }
    return true;
}

/* sp->path NULL and *failed false when `name` is a file the library reads
 * itself. */
static void spool_if_stream(const char *name, bool *failed, spooled *sp) {
    *failed = false;
    sp->fd = -1;
    sp->path = sp->tmpname = NULL;
    if (strcmp(name, "-") == 0) {
        *failed = !spool(stdin, "standard input", sp);
    } else if (input_is_stream(name)) {
        FILE *f = fopen(name, "rb");
        if (f == NULL) {
            cli_error("cannot open '%s': %s", name, strerror(errno));
            *failed = true;
            return;
        }
        char *what = xasprintf("'%s'", name);
        *failed = !spool(f, what, sp);
        free(what);
        fclose(f);
    }
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
    tgm_json_t *entries = jdoc_new();
    jset_array(entries, jroot(entries));
    bool all_ok = true, failed = false;
    for (size_t f = 0; f < a.npos && !failed; f++) {
        const char *name = a.pos[f];
        spooled sp;
        spool_if_stream(name, &failed, &sp);
        if (failed) {
            break;
        }
        tgm_bytes_t out = {NULL, 0};
        const char *const *skeys, *const *svals;
        size_t nstor = cli_storage_options(&skeys, &svals);
        tgm_error e = sp.path != NULL || !tgm_is_remote_url(name)
                          ? tgm_validate_file_ex(sp.path ? sp.path : name, &vo, &out)
                          : tgm_validate_source_ex(name, skeys, svals, nstor, &vo, &out);
        spool_free(&sp);
        if (e != TGM_ERROR_OK) {
            cli_lib_error(e, "cannot validate '%s'", name);
            failed = true;
            break;
        }
        tgm_json_t *report = jdoc_parse((const char *)out.data, out.len, "validation report");
        tgm_bytes_free(out);
        summary s;
        if (report == NULL || !summarise(tgm_json_root(report), &s)) {
            if (report != NULL) {
                cli_error("validating '%s': unreadable report from the library (unexpected "
                          "layout)",
                          name);
            }
            tgm_json_free(report);
            failed = true;
            break;
        }
        all_ok = all_ok && s.ok;
        if (json) {
            /* JsonFileReport, fields in the reference's declaration order. */
            tgm_value_t *e2 = jset_map(entries, jappend(entries, jroot(entries)));
            jset_str(entries, jmemberc(entries, e2, "file"), name);
            jset_str(entries, jmemberc(entries, e2, "status"), s.ok ? "ok" : "failed");
            jset_u64(entries, jmemberc(entries, e2, "messages"), tgm_value_array_len(s.messages));
            jset_u64(entries, jmemberc(entries, e2, "objects"), s.objects);
            jset_bool(entries, jmemberc(entries, e2, "hash_verified"), s.hash_verified);
            jset_copy(entries, jmemberc(entries, e2, "file_issues"), s.file_issues);
            jset_copy(entries, jmemberc(entries, e2, "message_reports"), s.messages);
        } else {
            print_human(name, &s);
        }
        tgm_json_free(report);
    }
    if (json && !failed) {
        jprint(tgm_json_root(entries), TGM_JSON_PRETTY | TGM_JSON_KEEP_ORDER);
    }
    tgm_json_free(entries);
    free(a.pos);
    if (failed) {
        return EXIT_FAIL;
    }
    return all_ok ? EXIT_OK : EXIT_FAIL;
}
