/* tensogram get: values of keys, strict (reference: tensogram-cli/src/commands/get.rs). */
#include <stdlib.h>

#include "cli.h"

enum { OPT_WHERE, OPT_KEYS };

static const cli_optdef opts[] = {
    {'w', NULL, "WHERE_CLAUSE"},
    {'p', NULL, "KEYS"},
};

int cmd_get(int argc, char **argv, cli_globals *g) {
    cli_args a;
    int r = cli_parse_args("get", opts, 2, argc, argv, g, &a);
    if (r != 0) {
        free(a.pos);
        return r == CLI_HELP_SHOWN ? EXIT_OK : r;
    }
    if (!a.present[OPT_KEYS]) {
        free(a.pos);
        return cli_usage_error("get",
                               "the following required argument was not provided: -p <KEYS>");
    }
    where_clause w;
    bool have_where = a.present[OPT_WHERE];
    if (have_where && !where_parse(a.value[OPT_WHERE], &w)) {
        free(a.pos);
        return EXIT_FAIL;
    }
    size_t nkeys = 0;
    char **keys = split_keys(a.value[OPT_KEYS], &nkeys);
    char **values = xcalloc(nkeys, sizeof *values);
    int rc = EXIT_OK;
    for (size_t f = 0; f < a.npos && rc == EXIT_OK; f++) {
        cli_input in;
        if (!input_open(&in, a.pos[f], g->strict)) {
            rc = EXIT_FAIL;
        }
        for (size_t i = 0; rc == EXIT_OK && i < in.count; i++) {
            tgm_metadata_t *meta = NULL;
            if (!input_metadata(&in, i, &meta)) {
                rc = EXIT_FAIL;
                break;
            }
            if (!have_where || where_matches(meta, &w)) {
                size_t got = 0;
                for (; got < nkeys; got++) {
                    values[got] = meta_lookup_display(meta, keys[got]);
                    if (values[got] == NULL) {
                        cli_error("key not found: %s (in '%s' message %zu)", keys[got], a.pos[f],
                                  i);
                        rc = EXIT_FAIL;
                        break;
                    }
                }
                if (rc == EXIT_OK) {
                    for (size_t k = 0; k < nkeys; k++) {
                        printf("%s%s", k ? " " : "", values[k]);
                    }
                    printf("\n");
                }
                for (size_t k = 0; k < got && k < nkeys; k++) {
                    free(values[k]);
                    values[k] = NULL;
                }
            }
            tgm_metadata_free(meta);
        }
        input_close(&in);
    }
    free(values);
    free_strv(keys, nkeys);
    if (have_where) {
        where_free(&w);
    }
    free(a.pos);
    return rc;
}
