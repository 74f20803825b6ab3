/* tensogram - command-line tool for Tensogram (.tgm) files.
 *
 * Entry point: global options (anywhere on the command line, as clap's
 * `global = true` arguments of the reference), their environment-variable
 * fallbacks, and dispatch to the subcommands. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

typedef int (*cmd_fn)(int argc, char **argv, cli_globals *g);

static const struct {
    const char *name;
    cmd_fn fn;
} commands[] = {
    {"info", cmd_info},
    {"ls", cmd_ls},
    {"dump", cmd_dump},
    {"get", cmd_get},
    {"set", cmd_set},
    {"copy", cmd_copy},
    {"merge", cmd_merge},
    {"split", cmd_split},
    {"reshuffle", cmd_reshuffle},
    {"validate", cmd_validate},
    {"doctor", cmd_doctor},
    {"plot", cmd_plot},
    {"convert-grib", cmd_convert_grib},
    {"convert-netcdf", cmd_convert_netcdf},
    {"to-grib", cmd_to_grib},
    {"to-netcdf", cmd_to_netcdf},
    {"convert-tenbin", cmd_convert_tenbin},
    {"to-tenbin", cmd_to_tenbin},
};

/* ---- global options ---------------------------------------------------------------- */

enum {
    G_THREADS,
    G_ALLOW_NAN,
    G_ALLOW_INF,
    G_NAN_METHOD,
    G_POS_INF_METHOD,
    G_NEG_INF_METHOD,
    G_SMALL_MASK,
    G_STRICT,
    G_COUNT
};

static const struct {
    const char *name;
    const char *value_name;
    const char *env;
    bool optional_value; /* --allow-nan[=<BOOL>] */
} gopts[G_COUNT] = {
    {"threads", "THREADS", "TENSOGRAM_THREADS", false},
    {"allow-nan", "ALLOW_NAN", "TENSOGRAM_ALLOW_NAN", true},
    {"allow-inf", "ALLOW_INF", "TENSOGRAM_ALLOW_INF", true},
    {"nan-mask-method", "NAN_MASK_METHOD", "TENSOGRAM_NAN_MASK_METHOD", false},
    {"pos-inf-mask-method", "POS_INF_MASK_METHOD", "TENSOGRAM_POS_INF_MASK_METHOD", false},
    {"neg-inf-mask-method", "NEG_INF_MASK_METHOD", "TENSOGRAM_NEG_INF_MASK_METHOD", false},
    {"small-mask-threshold", "SMALL_MASK_THRESHOLD", "TENSOGRAM_SMALL_MASK_THRESHOLD", false},
    {"strict", "STRICT", "TENSOGRAM_STRICT", true},
};

static bool gseen[G_COUNT];

/* --storage-option KEY=VALUE, repeatable: options of remote inputs. */
enum { MAX_STORAGE_OPTIONS = 64 };
static const char *storage_keys[MAX_STORAGE_OPTIONS], *storage_values[MAX_STORAGE_OPTIONS];
static size_t nstorage;

size_t cli_storage_options(const char *const **keys, const char *const **values) {
    *keys = storage_keys;
    *values = storage_values;
    return nstorage;
}

static int storage_option(const char *cmd, const char *value) {
    const char *eq = strchr(value, '=');
    if (eq == NULL || eq == value) {
        return cli_usage_error(cmd,
                               "invalid value '%s' for '--storage-option <KEY=VALUE>': expected "
                               "KEY=VALUE",
                               value);
    }
    if (nstorage == MAX_STORAGE_OPTIONS) {
        return cli_usage_error(cmd, "too many '--storage-option' arguments (at most %d)",
                               MAX_STORAGE_OPTIONS);
    }
    storage_keys[nstorage] = xmemdup(value, (size_t)(eq - value));
    storage_values[nstorage] = xstrdup(eq + 1);
    nstorage++;
    return 0;
}

/* clap's BoolishValueParser. */
static bool parse_boolish(const char *s, bool *out) {
    static const char *const yes[] = {"y", "yes", "t", "true", "on", "1"};
    static const char *const no[] = {"n", "no", "f", "false", "off", "0"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return true;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return true;
        }
    }
    return false;
}

/* Rust's unsigned integer parsing: optional '+', decimal digits only. */
static bool parse_unsigned(const char *s, uint64_t max, uint64_t *out) {
    if (*s == '+') {
        s++;
    }
    if (*s == '\0') {
        return false;
    }
    uint64_t v = 0;
    for (; *s; s++) {
        if (!isdigit((unsigned char)*s)) {
            return false;
        }
        unsigned d = (unsigned)(*s - '0');
        if (v > (max - d) / 10) {
            return false;
        }
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

static int bad_value(const char *cmd, int opt, const char *value, const char *why,
                     const char *origin) {
    return cli_usage_error(cmd, "invalid value '%s' for '--%s <%s>'%s: %s", value, gopts[opt].name,
                           gopts[opt].value_name, origin, why);
}

static int set_global(const char *cmd, int opt, const char *value, cli_globals *g,
                      const char *origin) {
    uint64_t u;
    switch (opt) {
    case G_THREADS:
        if (!parse_unsigned(value, UINT32_MAX, &u)) {
            return bad_value(cmd, opt, value, "expected an integer from 0 to 4294967295", origin);
        }
        g->threads = (uint32_t)u;
        return 0;
    case G_ALLOW_NAN:
    case G_ALLOW_INF:
    case G_STRICT: {
        bool b;
        if (!parse_boolish(value, &b)) {
            return bad_value(cmd, opt, value, "expected one of true, false, yes, no, on, off, 1, 0",
                             origin);
        }
        *(opt == G_ALLOW_NAN ? &g->allow_nan : opt == G_ALLOW_INF ? &g->allow_inf : &g->strict) = b;
        return 0;
    }
    case G_NAN_METHOD:
        g->nan_mask_method = value;
        return 0;
    case G_POS_INF_METHOD:
        g->pos_inf_mask_method = value;
        return 0;
    case G_NEG_INF_METHOD:
        g->neg_inf_mask_method = value;
        return 0;
    case G_SMALL_MASK:
        if (!parse_unsigned(value, SIZE_MAX, &u)) {
            return bad_value(cmd, opt, value, "expected a non-negative integer", origin);
        }
        g->small_mask_threshold = (size_t)u;
        g->has_small_mask_threshold = true;
        return 0;
    default:
        return 0;
    }
}

int cli_global_option(const char *cmd, int argc, char **argv, int *i, cli_globals *g) {
    const char *a = argv[*i];
    if (strncmp(a, "--", 2) != 0) {
        return 0;
    }
    const char *name = a + 2;
    const char *eq = strchr(name, '=');
    size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
    if (nlen == strlen("storage-option") && strncmp(name, "storage-option", nlen) == 0) {
        const char *value;
        if (eq != NULL) {
            value = eq + 1;
        } else if (*i + 1 < argc) {
            value = argv[++*i];
        } else {
            return cli_usage_error(cmd, "a value is required for '--storage-option <KEY=VALUE>' "
                                        "but none was supplied");
        }
        int r = storage_option(cmd, value);
        return r == 0 ? 1 : r;
    }
    for (int opt = 0; opt < G_COUNT; opt++) {
        if (strlen(gopts[opt].name) != nlen || strncmp(gopts[opt].name, name, nlen) != 0) {
            continue;
        }
        if (gseen[opt]) {
            return cli_usage_error(cmd, "the argument '--%s' cannot be used multiple times",
                                   gopts[opt].name);
        }
        gseen[opt] = true;
        const char *value;
        if (eq != NULL) {
            value = eq + 1;
        } else if (gopts[opt].optional_value) {
            value = "true"; /* the value, if any, must be attached with '=' */
        } else if (*i + 1 < argc) {
            value = argv[++*i];
        } else {
            return cli_usage_error(cmd, "a value is required for '--%s <%s>' but none was supplied",
                                   gopts[opt].name, gopts[opt].value_name);
        }
        int r = set_global(cmd, opt, value, g, "");
        return r == 0 ? 1 : r;
    }
    return 0;
}

/* Environment fallbacks for global options not given on the command line.
 * As in the reference, an unusable value is an error even for commands that
 * do not use the option.  An empty variable counts as unset. */
int cli_apply_env(const char *cmd, cli_globals *g) {
    for (int opt = 0; opt < G_COUNT; opt++) {
        if (gseen[opt]) {
            continue;
        }
        const char *v = getenv(gopts[opt].env);
        if (v == NULL || v[0] == '\0') {
            continue;
        }
        char origin[64];
        snprintf(origin, sizeof origin, " (from %s)", gopts[opt].env);
        int r = set_global(cmd, opt, v, g, origin);
        if (r != 0) {
            return r;
        }
    }
    /* The resolved budget is passed to every library call.  The library
     * reads TENSOGRAM_THREADS itself when given 0, which would turn an
     * explicit --threads 0 into the variable's value; clap's flag wins. */
    unsetenv("TENSOGRAM_THREADS");
    return 0;
}

bool cli_mask_options(const cli_globals *g, TgmEncodeMaskOptions *out) {
    const char *given[3] = {g->nan_mask_method, g->pos_inf_mask_method, g->neg_inf_mask_method};
    const char *flag[3] = {"nan-mask-method", "pos-inf-mask-method", "neg-inf-mask-method"};
    for (int k = 0; k < 3; k++) {
        if (given[k] == NULL) {
            continue;
        }
        /* The library's list of methods. */
        bool ok = false;
        sbuf names = {0};
        for (size_t j = 0; tgm_mask_method_name(j) != NULL; j++) {
            ok = ok || strcmp(given[k], tgm_mask_method_name(j)) == 0;
            sb_printf(&names, "%s%s", j ? ", " : "", tgm_mask_method_name(j));
        }
        if (!ok) {
            cli_error("invalid value '%s' for '--%s': unknown mask method; expected one of %s",
                      given[k], flag[k], names.p);
        }
        sb_free(&names);
        if (!ok) {
            return false;
        }
    }
    memset(out, 0, sizeof *out);
    out->allow_nan = g->allow_nan;
    out->allow_inf = g->allow_inf;
    out->nan_mask_method = g->nan_mask_method;
    out->pos_inf_mask_method = g->pos_inf_mask_method;
    out->neg_inf_mask_method = g->neg_inf_mask_method;
    out->small_mask_threshold_bytes =
        g->has_small_mask_threshold
            ? (g->small_mask_threshold > (size_t)PTRDIFF_MAX ? PTRDIFF_MAX
                                                             : (ptrdiff_t)g->small_mask_threshold)
            : -1;
    return true;
}

/* ---- dispatch ------------------------------------------------------------------------- */

int main(int argc, char **argv) {
    cli_globals g;
    memset(&g, 0, sizeof g);
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            cli_print_main_help(stdout);
            return cli_flush_stdout() ? EXIT_OK : EXIT_FAIL;
        }
        if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
            printf("tensogram %s\n", tgm_version_string());
            return cli_flush_stdout() ? EXIT_OK : EXIT_FAIL;
        }
        int r = cli_global_option(NULL, argc, argv, &i, &g);
        if (r == 1) {
            continue;
        }
        if (r != 0) {
            return r;
        }
        if (a[0] == '-' && a[1] != '\0') {
            return cli_usage_error(NULL, "unexpected argument '%s' found", a);
        }
        break;
    }
    if (i >= argc) {
        fputs("error: 'tensogram' requires a subcommand but one was not provided\n\n", stderr);
        cli_print_main_help(stderr);
        return EXIT_USAGE;
    }
    const char *name = argv[i];
    if (strcmp(name, "help") == 0) {
        if (i + 1 < argc) {
            if (!cli_print_command_help(argv[i + 1], stdout)) {
                return cli_usage_error(NULL, "unrecognized subcommand '%s'", argv[i + 1]);
            }
        } else {
            cli_print_main_help(stdout);
        }
        return cli_flush_stdout() ? EXIT_OK : EXIT_FAIL;
    }
    for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++) {
        if (strcmp(name, commands[k].name) == 0) {
            int rc = commands[k].fn(argc - i, argv + i, &g);
            if (!cli_flush_stdout() && rc == EXIT_OK) {
                rc = EXIT_FAIL;
            }
            return rc;
        }
    }
    return cli_usage_error(NULL, "unrecognized subcommand '%s'", name);
}
