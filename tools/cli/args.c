/* Subcommand argument parsing, clap-compatible for the forms people type:
 * `-w VALUE`, `-wVALUE`, `-w=VALUE`, `--output VALUE`, `--output=VALUE`,
 * clusters of short flags (`-jw key=v`), `--` to end options, and global
 * options anywhere.  An option given twice is an error, as in clap. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void opt_label(const cli_optdef *d, char *buf, size_t cap) {
    if (d->long_name != NULL) {
        snprintf(buf, cap, "--%s", d->long_name);
    } else {
        snprintf(buf, cap, "-%c", d->short_name);
    }
    if (d->value_name != NULL) {
        size_t n = strlen(buf);
        snprintf(buf + n, cap - n, " <%s>", d->value_name);
    }
}

static int store(const char *cmd, const cli_optdef *d, size_t k, const char *value, cli_args *out) {
    if (out->present[k]) {
        char label[96];
        opt_label(d, label, sizeof label);
        return cli_usage_error(cmd, "the argument '%s' cannot be used multiple times", label);
    }
    out->present[k] = true;
    out->value[k] = value;
    return 0;
}

static int missing_value(const char *cmd, const cli_optdef *d) {
    char label[96];
    opt_label(d, label, sizeof label);
    return cli_usage_error(cmd, "a value is required for '%s' but none was supplied", label);
}

int cli_parse_args(const char *cmd, const cli_optdef *defs, size_t ndefs, int argc, char **argv,
                   cli_globals *g, cli_args *out) {
    memset(out, 0, sizeof *out);
    out->pos = xcalloc((size_t)argc + 1, sizeof *out->pos);
    bool only_positional = false;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        if (only_positional || a[0] != '-' || a[1] == '\0') {
            out->pos[out->npos++] = a; /* "-" is standard input / output */
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_positional = true;
            continue;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            cli_print_command_help(cmd, stdout);
            return CLI_HELP_SHOWN;
        }
        int r = cli_global_option(cmd, argc, argv, &i, g);
        if (r == 1) {
            continue;
        }
        if (r != 0) {
            return r;
        }
        if (a[1] == '-') {
            const char *name = a + 2;
            const char *eq = strchr(name, '=');
            size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
            size_t k = 0;
            for (; k < ndefs; k++) {
                if (defs[k].long_name != NULL && strlen(defs[k].long_name) == nlen &&
                    strncmp(defs[k].long_name, name, nlen) == 0) {
                    break;
                }
            }
            if (k == ndefs) {
                return cli_usage_error(cmd, "unexpected argument '%s' found", a);
            }
            const char *value = NULL;
            if (defs[k].value_name == NULL) {
                if (eq != NULL) {
                    return cli_usage_error(cmd, "unexpected value '%s' for '--%s' found", eq + 1,
                                           defs[k].long_name);
                }
            } else if (eq != NULL) {
                value = eq + 1;
            } else if (i + 1 < argc) {
                value = argv[++i];
            } else {
                return missing_value(cmd, &defs[k]);
            }
            r = store(cmd, &defs[k], k, value, out);
            if (r != 0) {
                return r;
            }
            continue;
        }
        /* A cluster of short options; the first one taking a value takes
         * the rest of the word (or the next argument). */
        for (size_t j = 1; a[j] != '\0'; j++) {
            size_t k = 0;
            for (; k < ndefs; k++) {
                if (defs[k].short_name == a[j]) {
                    break;
                }
            }
            if (k == ndefs) {
                return cli_usage_error(cmd, "unexpected argument '-%c' found", a[j]);
            }
            if (defs[k].value_name == NULL) {
                r = store(cmd, &defs[k], k, NULL, out);
                if (r != 0) {
                    return r;
                }
                continue;
            }
            const char *rest = a + j + 1;
            if (*rest == '=') {
                rest++;
            }
            const char *value;
            if (*rest != '\0') {
                value = rest;
            } else if (i + 1 < argc) {
                value = argv[++i];
            } else {
                return missing_value(cmd, &defs[k]);
            }
            r = store(cmd, &defs[k], k, value, out);
            if (r != 0) {
                return r;
            }
            break;
        }
    }
    return cli_apply_env(cmd, g);
}
