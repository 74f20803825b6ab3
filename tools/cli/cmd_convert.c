/* tensogram convert-grib / convert-netcdf / convert-tenbin: foreign files to
 * Tensogram through libtensogram_convert (reference:
 * tensogram-cli/src/commands/convert_grib.rs, convert_netcdf.rs; tenbin is
 * ours).  Messages are written as they are produced; the output is complete
 * or absent (cli_output). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <tensogram/convert.h>

#include "cli.h"

/* The pipeline flags shared by the converters (the reference's
 * PipelineArgs), at the start of every converter's option table. */
enum { OPT_OUTPUT, OPT_ENCODING, OPT_BITS, OPT_FILTER, OPT_COMPRESSION, OPT_LEVEL, OPT_FIRST_OWN };

#define PIPELINE_OPTS                                                                              \
    {'o', "output", "OUTPUT"}, {0, "encoding", "ENC"}, {0, "bits", "N"}, {0, "filter", "FILTER"},  \
        {0, "compression", "CODEC"}, {                                                             \
        0, "compression-level", "LEVEL"                                                            \
    }

static bool one_of(const char *v, const char *const *allowed, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v, allowed[i]) == 0) {
            return true;
        }
    }
    return false;
}

static int bad_choice(const char *cmd, const char *v, const char *flag, const char *const *allowed,
                      size_t n) {
    char list[256] = "";
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(list);
        snprintf(list + l, sizeof list - l, "%s%s", i ? ", " : "", allowed[i]);
    }
    return cli_usage_error(cmd, "invalid value '%s' for '%s'\n  [possible values: %s]", v, flag,
                           list);
}

/* Rust's integer parsing (optional sign, decimal digits). */
static bool parse_int(const char *s, long long lo, long long hi, long long *out) {
    if (s == NULL || *s == '\0') {
        return false;
    }
    errno = 0;
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < lo || v > hi || s[0] == ' ') {
        return false;
    }
    *out = v;
    return true;
}

/* Fill the pipeline part of the options from the flags; 0 or a usage
 * error status. */
static int pipeline_options(const char *cmd, const cli_args *a, tgm_convert_options *o) {
    static const char *const encodings[] = {"none", "simple_packing"};
    static const char *const filters[] = {"none", "shuffle"};
    static const char *const codecs[] = {"none", "szip", "zstd", "lz4", "blosc2"};
    if (a->present[OPT_ENCODING]) {
        if (!one_of(a->value[OPT_ENCODING], encodings, 2)) {
            return bad_choice(cmd, a->value[OPT_ENCODING], "--encoding <ENC>", encodings, 2);
        }
        o->encoding = a->value[OPT_ENCODING];
    }
    if (a->present[OPT_FILTER]) {
        if (!one_of(a->value[OPT_FILTER], filters, 2)) {
            return bad_choice(cmd, a->value[OPT_FILTER], "--filter <FILTER>", filters, 2);
        }
        o->filter = a->value[OPT_FILTER];
    }
    if (a->present[OPT_COMPRESSION]) {
        if (!one_of(a->value[OPT_COMPRESSION], codecs, 5)) {
            return bad_choice(cmd, a->value[OPT_COMPRESSION], "--compression <CODEC>", codecs, 5);
        }
        o->compression = a->value[OPT_COMPRESSION];
    }
    long long v;
    if (a->present[OPT_BITS]) {
        if (!parse_int(a->value[OPT_BITS], 1, 4294967295LL, &v)) {
            return cli_usage_error(cmd, "invalid value '%s' for '--bits <N>': expected 1 to 64",
                                   a->value[OPT_BITS]);
        }
        o->bits = (uint32_t)v;
    }
    if (a->present[OPT_LEVEL]) {
        if (!parse_int(a->value[OPT_LEVEL], -2147483648LL, 2147483647LL, &v)) {
            return cli_usage_error(cmd,
                                   "invalid value '%s' for '--compression-level <LEVEL>': "
                                   "invalid digit found in string",
                                   a->value[OPT_LEVEL]);
        }
        o->compression_level = (int32_t)v;
        o->has_compression_level = true;
    }
    return 0;
}

/* ---- where messages go ----------------------------------------------------------------------- */

typedef struct {
    cli_output out;
    bool opened;
    size_t written;
    cli_progress bar;
    bool bar_started;
    const char *bar_label;
} sink_state;

static tgm_error sink(void *user, const uint8_t *msg, size_t len) {
    sink_state *s = user;
    if (!output_write(&s->out, msg, len)) {
        return tgm_set_last_error(TGM_ERROR_IO, "cannot write '%s'", output_name(&s->out));
    }
    s->written++;
    return TGM_ERROR_OK;
}

static void on_progress(void *user, uint64_t done, uint64_t total) {
    sink_state *s = user;
    if (!s->bar_started) {
        progress_start(&s->bar, s->bar_label, (size_t)total);
        s->bar_started = true;
    }
    progress_update(&s->bar, (size_t)done);
}

static void on_warning(void *user, const char *text) {
    (void)user;
    fprintf(stderr, "warning: %s\n", text);
}

static void end_bar(sink_state *s) {
    if (s->bar_started) {
        progress_end(&s->bar);
        s->bar_started = false;
    }
}

/* A whole input file, mapped when possible. */
typedef struct {
    uint8_t *data;
    size_t len;
    bool mapped;
} whole_file;

static bool read_whole(const char *path, whole_file *f) {
    memset(f, 0, sizeof *f);
    int fd = strcmp(path, "-") == 0 ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        cli_error("cannot open '%s': %s", path, strerror(errno));
        return false;
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | CLI_MAP_POPULATE, fd, 0);
        if (m != MAP_FAILED) {
            close(fd);
            f->data = m;
            f->len = (size_t)st.st_size;
            f->mapped = true;
            return true;
        }
    }
    size_t cap = 1 << 16;
    f->data = xmalloc(cap);
    for (;;) {
        if (f->len == cap) {
            cap *= 2;
            f->data = xrealloc(f->data, cap);
        }
        ssize_t r = read(fd, f->data + f->len, cap - f->len);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            cli_error("cannot read '%s': %s", path, strerror(errno));
            close(fd);
            free(f->data);
            return false;
        }
        if (r == 0) {
            break;
        }
        f->len += (size_t)r;
    }
    close(fd);
    return true;
}

static void free_whole(whole_file *f) {
    if (f->mapped) {
        munmap(f->data, f->len);
    } else {
        free(f->data);
    }
}

/* ---- the three commands ------------------------------------------------------------------------
 */

enum kind { GRIB, NETCDF, TENBIN };

static int run(enum kind kind, const char *cmd, const cli_optdef *defs, size_t ndefs, int argc,
               char **argv, cli_globals *g) {
    cli_args a;
    int r = cli_parse_args(cmd, defs, ndefs, argc, argv, g, &a);
    if (r != 0) {
        free(a.pos);
        return r == CLI_HELP_SHOWN ? EXIT_OK : r;
    }
    tgm_convert_options o = TGM_CONVERT_OPTIONS_INIT;
    int rc = pipeline_options(cmd, &a, &o);
    if (rc != 0) {
        free(a.pos);
        return rc;
    }
    if (kind == GRIB) {
        o.grib_grouping = a.present[OPT_FIRST_OWN] ? TGM_GRIB_ONE_TO_ONE : TGM_GRIB_MERGE_ALL;
        o.grib_all_keys = a.present[OPT_FIRST_OWN + 1];
    } else if (kind == NETCDF) {
        const char *split = a.present[OPT_FIRST_OWN] ? a.value[OPT_FIRST_OWN] : "file";
        if (strcmp(split, "file") == 0) {
            o.netcdf_split_by = TGM_NETCDF_SPLIT_FILE;
        } else if (strcmp(split, "variable") == 0) {
            o.netcdf_split_by = TGM_NETCDF_SPLIT_VARIABLE;
        } else if (strcmp(split, "record") == 0) {
            o.netcdf_split_by = TGM_NETCDF_SPLIT_RECORD;
        } else {
            cli_error("unknown --split-by value '%s'; expected file, variable, or record", split);
            free(a.pos);
            return EXIT_FAIL;
        }
        o.netcdf_cf = a.present[OPT_FIRST_OWN + 1];
    } else {
        static const char *const orders[] = {"auto", "little", "big", "native"};
        const char *bo = a.present[OPT_FIRST_OWN] ? a.value[OPT_FIRST_OWN] : "auto";
        if (!one_of(bo, orders, 4)) {
            rc = bad_choice(cmd, bo, "--byte-order <ORDER>", orders, 4);
            free(a.pos);
            return rc;
        }
        o.tenbin_byte_order = strcmp(bo, "little") == 0   ? TGM_TENBIN_LITTLE
                              : strcmp(bo, "big") == 0    ? TGM_TENBIN_BIG
                              : strcmp(bo, "native") == 0 ? TGM_TENBIN_NATIVE
                                                          : TGM_TENBIN_AUTO;
    }
    if (a.npos == 0) {
        free(a.pos);
        return cli_usage_error(cmd, "the following required arguments were not provided:\n  "
                                    "<INPUTS>...");
    }
    if ((kind == GRIB && !tgm_convert_has_grib()) ||
        (kind == NETCDF && !tgm_convert_has_netcdf())) {
        cli_error("'%s' is not available: this tensogram was built without %s support (%s was "
                  "not found at build time)",
                  cmd, kind == GRIB ? "GRIB" : "NetCDF", kind == GRIB ? "ecCodes" : "netCDF-C");
        free(a.pos);
        return EXIT_FAIL;
    }
    TgmEncodeMaskOptions mo;
    if (!cli_mask_options(g, &mo)) {
        free(a.pos);
        return EXIT_FAIL;
    }
    o.mask_options = &mo;
    o.threads = g->threads;
    o.warning = on_warning;

    const char *output = a.present[OPT_OUTPUT] ? a.value[OPT_OUTPUT] : "-";
    sink_state s;
    memset(&s, 0, sizeof s);
    s.bar_label = cmd;
    o.sink = sink;
    o.sink_user = &s;
    o.progress = on_progress;
    o.progress_user = &s;
    bool ok = (s.opened = output_open(&s.out, output));
    for (size_t i = 0; ok && i < a.npos; i++) {
        const char *in = a.pos[i];
        tgm_error e = TGM_ERROR_OK;
        if (kind == TENBIN) {
            whole_file f;
            if (!read_whole(in, &f)) {
                ok = false;
                break;
            }
            /* The message goes from the mapped input to the output file
             * (frames built aside, arrays written from the mapping):
             * never assembled in memory. */
            int fd = output_fd(&s.out);
            if (fd < 0) {
                free_whole(&f);
                ok = false;
                break;
            }
            e = tgm_convert_tenbin_fd(f.data, f.len, &o, fd, NULL);
            s.written += e == TGM_ERROR_OK;
            free_whole(&f);
        } else if (strcmp(in, "-") == 0 || kind == GRIB) {
            /* Standard input, and every GRIB input, go through memory for
             * GRIB; NetCDF reads '-' from memory too. */
            if (kind == GRIB && strcmp(in, "-") != 0) {
                e = tgm_convert_grib_file(in, &o, NULL);
            } else {
                whole_file f;
                if (!read_whole(in, &f)) {
                    ok = false;
                    break;
                }
                e = kind == GRIB ? tgm_convert_grib_buffer(f.data, f.len, &o, NULL)
                                 : tgm_convert_netcdf_buffer(f.data, f.len, &o, NULL);
                free_whole(&f);
            }
        } else {
            e = tgm_convert_netcdf_file(in, &o, NULL);
        }
        end_bar(&s);
        if (e != TGM_ERROR_OK) {
            const char *d = tgm_last_error();
            cli_error("%s", d != NULL ? d : tgm_error_string(e));
            ok = false;
        }
    }
    if (s.opened) {
        ok = ok ? output_commit(&s.out) : (output_abort(&s.out), false);
    }
    if (ok && strcmp(output, "-") != 0) {
        printf("Converted %zu message(s) to %s\n", s.written, output);
    }
    free(a.pos);
    return ok ? EXIT_OK : EXIT_FAIL;
}

int cmd_convert_grib(int argc, char **argv, cli_globals *g) {
    static const cli_optdef opts[] = {PIPELINE_OPTS, {0, "split", NULL}, {0, "all-keys", NULL}};
    return run(GRIB, "convert-grib", opts, sizeof opts / sizeof opts[0], argc, argv, g);
}

int cmd_convert_netcdf(int argc, char **argv, cli_globals *g) {
    static const cli_optdef opts[] = {PIPELINE_OPTS, {0, "split-by", "SPLIT_BY"}, {0, "cf", NULL}};
    return run(NETCDF, "convert-netcdf", opts, sizeof opts / sizeof opts[0], argc, argv, g);
}

int cmd_convert_tenbin(int argc, char **argv, cli_globals *g) {
    static const cli_optdef opts[] = {PIPELINE_OPTS, {0, "byte-order", "ORDER"}};
    return run(TENBIN, "convert-tenbin", opts, sizeof opts / sizeof opts[0], argc, argv, g);
}
