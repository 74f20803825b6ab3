/* tensogram to-grib / to-netcdf / to-tenbin: Tensogram back to the foreign
 * formats through libtensogram_convert (reference:
 * tensogram-cli/src/commands/to_grib.rs, to_netcdf.rs; tenbin is ours). */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <tensogram/convert.h>

#include "cli.h"

enum { OPT_OUTPUT, OPT_BYTE_ORDER };

/* Parse "<INPUT> [-o OUTPUT]"; 0, or an exit status already reported. */
static int parse(const char *cmd, const cli_optdef *defs, size_t ndefs, bool output_required,
                 int argc, char **argv, cli_globals *g, cli_args *a) {
    int r = cli_parse_args(cmd, defs, ndefs, argc, argv, g, a);
    if (r != 0) {
        return r == CLI_HELP_SHOWN ? EXIT_OK : r;
    }
    if (a->npos > 1) {
        return cli_usage_error(cmd, "unexpected argument '%s' found", a->pos[1]);
    }
    if (a->npos == 0 || (output_required && !a->present[OPT_OUTPUT])) {
        return cli_usage_error(cmd, "the following required arguments were not provided:%s%s",
                               output_required && !a->present[OPT_OUTPUT] ? " --output <OUTPUT>"
                                                                          : "",
                               a->npos == 0 ? " <INPUT>" : "");
    }
    return -2; /* go on */
}

int cmd_to_grib(int argc, char **argv, cli_globals *g) {
    static const cli_optdef opts[] = {{'o', "output", "OUTPUT"}};
    cli_args a;
    int r = parse("to-grib", opts, 1, false, argc, argv, g, &a);
    if (r != -2) {
        free(a.pos);
        return r;
    }
    if (!tgm_convert_has_grib()) {
        cli_error("'to-grib' is not available: this tensogram was built without GRIB support "
                  "(ecCodes was not found at build time)");
        free(a.pos);
        return EXIT_FAIL;
    }
    const char *input = a.pos[0];
    const char *output = a.present[OPT_OUTPUT] ? a.value[OPT_OUTPUT] : "-";
    tgm_convert_options o = TGM_CONVERT_OPTIONS_INIT;
    o.threads = g->threads;
    cli_input in;
    cli_output out;
    bool out_open = false;
    bool ok = input_open(&in, input, g->strict);
    if (ok && in.count == 0) {
        cli_error("%s: no Tensogram messages", input);
        ok = false;
    }
    ok = ok && (out_open = output_open(&out, output));
    size_t total = 0;
    cli_progress p;
    progress_start(&p, "to-grib", ok ? in.count : 0);
    for (size_t i = 0; ok && i < in.count; i++) {
        const uint8_t *data;
        size_t len;
        tgm_bytes_t owned = {NULL, 0}, grib = {NULL, 0};
        ok = input_message(&in, i, &data, &len, &owned);
        if (ok) {
            tgm_error e = tgm_convert_to_grib(data, len, &o, &grib);
            if (e != TGM_ERROR_OK) {
                cli_error("'%s' message %zu: %s", input, i, tgm_last_error());
                ok = false;
            }
        }
        ok = ok && output_write(&out, grib.data, grib.len);
        total += grib.len;
        tgm_bytes_free(grib);
        tgm_bytes_free(owned);
        progress_update(&p, i + 1);
    }
    progress_end(&p);
    if (out_open) {
        ok = ok ? output_commit(&out) : (output_abort(&out), false);
    }
    if (ok && strcmp(output, "-") != 0) {
        printf("Wrote GRIB (%zu bytes) to %s\n", total, output);
    }
    input_close(&in);
    free(a.pos);
    return ok ? EXIT_OK : EXIT_FAIL;
}

int cmd_to_netcdf(int argc, char **argv, cli_globals *g) {
    static const cli_optdef opts[] = {{'o', "output", "OUTPUT"}};
    cli_args a;
    int r = parse("to-netcdf", opts, 1, true, argc, argv, g, &a);
    if (r != -2) {
        free(a.pos);
        return r;
    }
    if (!tgm_convert_has_netcdf()) {
        cli_error("'to-netcdf' is not available: this tensogram was built without NetCDF support "
                  "(netCDF-C was not found at build time)");
        free(a.pos);
        return EXIT_FAIL;
    }
    const char *input = a.pos[0], *output = a.value[OPT_OUTPUT];
    if (strcmp(output, "-") == 0) {
        free(a.pos);
        return cli_usage_error("to-netcdf", "netCDF-C writes to a file: '-' (standard output) "
                                            "cannot be the output");
    }
    cli_input in;
    bool ok = input_open(&in, input, g->strict);
    if (ok && in.count == 0) {
        cli_error("%s: no Tensogram messages", input);
        ok = false;
    }
    size_t n = ok ? in.count : 0;
    const uint8_t **msgs = xcalloc(n ? n : 1, sizeof *msgs);
    size_t *lens = xcalloc(n ? n : 1, sizeof *lens);
    tgm_bytes_t *owned = xcalloc(n ? n : 1, sizeof *owned);
    for (size_t i = 0; ok && i < n; i++) {
        ok = input_message(&in, i, &msgs[i], &lens[i], &owned[i]);
    }
    if (ok) {
        tgm_convert_options o = TGM_CONVERT_OPTIONS_INIT;
        o.threads = g->threads;
        tgm_error e = tgm_convert_to_netcdf(msgs, lens, n, output, &o);
        if (e != TGM_ERROR_OK) {
            cli_error("%s", tgm_last_error());
            ok = false;
        }
    }
    if (ok) {
        printf("Wrote NetCDF to %s\n", output);
    }
    for (size_t i = 0; i < n; i++) {
        tgm_bytes_free(owned[i]);
    }
    free(owned);
    free(lens);
    free(msgs);
    input_close(&in);
    free(a.pos);
    return ok ? EXIT_OK : EXIT_FAIL;
}

/* A local regular file mapped whole (read-only), so that messages are read
 * where they are rather than copied out; NULL when it cannot be (standard
 * input, a pipe, a remote object: then input_message reads them). */
static const uint8_t *map_local(const char *path, size_t *len) {
    if (strcmp(path, "-") == 0 || tgm_is_remote_url(path)) {
        return NULL;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return NULL;
    }
    struct stat st;
    void *m = MAP_FAILED;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | CLI_MAP_POPULATE, fd, 0);
    }
    close(fd);
    if (m == MAP_FAILED) {
        return NULL;
    }
    *len = (size_t)st.st_size;
    return m;
}

int cmd_to_tenbin(int argc, char **argv, cli_globals *g) {
    static const cli_optdef opts[] = {{'o', "output", "OUTPUT"}, {0, "byte-order", "ORDER"}};
    cli_args a;
    int r = parse("to-tenbin", opts, 2, false, argc, argv, g, &a);
    if (r != -2) {
        free(a.pos);
        return r;
    }
    const char *bo = a.present[OPT_BYTE_ORDER] ? a.value[OPT_BYTE_ORDER] : "little";
    int32_t order;
    if (strcmp(bo, "little") == 0) {
        order = TGM_TENBIN_LITTLE;
    } else if (strcmp(bo, "big") == 0) {
        order = TGM_TENBIN_BIG;
    } else if (strcmp(bo, "native") == 0) {
        order = TGM_TENBIN_NATIVE;
    } else {
        free(a.pos);
        return cli_usage_error("to-tenbin",
                               "invalid value '%s' for '--byte-order <ORDER>'\n  [possible "
                               "values: little, big, native]",
                               bo);
    }
    const char *input = a.pos[0];
    const char *output = a.present[OPT_OUTPUT] ? a.value[OPT_OUTPUT] : "-";
    tgm_convert_options o = TGM_CONVERT_OPTIONS_INIT;
    o.threads = g->threads;
    o.tenbin_byte_order = order;
    cli_input in;
    cli_output_set outs = {0};
    bool ok = input_open(&in, input, g->strict);
    if (ok && in.count == 0) {
        cli_error("%s: no Tensogram messages", input);
        ok = false;
    }
    if (ok && in.count > 1 && strcmp(output, "-") == 0) {
        cli_error("'%s' holds %zu messages: a .ten file holds one, so give -o a name (with "
                  "[index] or not) for one file per message",
                  input, in.count);
        ok = false;
    }
    size_t map_len = 0;
    const uint8_t *map = ok && in.file != NULL ? map_local(input, &map_len) : NULL;
    cli_progress p;
    progress_start(&p, "to-tenbin", ok ? in.count : 0);
    for (size_t i = 0; ok && i < in.count; i++) {
        const uint8_t *data;
        size_t len;
        tgm_bytes_t owned = {NULL, 0};
        uint64_t at = 0, n = 0;
        if (map != NULL && tgm_file_message_layout(in.file, i, &at, &n) == TGM_ERROR_OK &&
            at <= map_len && n <= map_len - at) {
            data = map + at;
            len = (size_t)n;
        } else {
            ok = input_message(&in, i, &data, &len, &owned);
        }
        int fd = -1;
        if (ok) {
            char *name = in.count == 1 ? xstrdup(output) : cli_expand_index(output, i);
            cli_output *out = output_set_get(&outs, name);
            ok = out != NULL && (fd = output_fd(out)) >= 0;
            free(name);
        }
        if (ok) {
            /* Raw objects go from the message (mapped) to the file. */
            tgm_error e = tgm_convert_to_tenbin_fd(data, len, &o, fd, NULL);
            if (e != TGM_ERROR_OK) {
                cli_error("'%s' message %zu: %s", input, i, tgm_last_error());
                ok = false;
            }
        }
        tgm_bytes_free(owned);
        progress_update(&p, i + 1);
    }
    progress_end(&p);
    if (map != NULL) {
        munmap((void *)(uintptr_t)map, map_len);
    }
    ok = ok ? output_set_commit(&outs) : (output_set_abort(&outs), false);
    if (ok && strcmp(output, "-") != 0) {
        printf("Wrote %zu tenbin file(s)\n", in.count);
    }
    input_close(&in);
    free(a.pos);
    return ok ? EXIT_OK : EXIT_FAIL;
}
