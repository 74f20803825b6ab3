/* tensogram ls: one row of metadata values per message (reference:
 * tensogram-cli/src/commands/ls.rs, output.rs format_table_row / format_json). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { OPT_WHERE, OPT_KEYS, OPT_JSON };

static const cli_optdef opts[] = {
    {'w', NULL, "WHERE_CLAUSE"},
    {'p', NULL, "KEYS"},
    {'j', NULL, NULL},
};

int cmd_ls(int argc, char **argv, cli_globals *g) {
    cli_args a;
    int r = cli_parse_args("ls", opts, 3, argc, argv, g, &a);
    if (r != 0) {
        free(a.pos);
        return r == CLI_HELP_SHOWN ? EXIT_OK : r;
    }
    where_clause w;
    bool have_where = a.present[OPT_WHERE];
    if (have_where && !where_parse(a.value[OPT_WHERE], &w)) {
        free(a.pos);
        return EXIT_FAIL;
    }
    size_t nkeys = 0;
    char **keys = split_keys(a.present[OPT_KEYS] ? a.value[OPT_KEYS] : "version", &nkeys);
    bool json = a.present[OPT_JSON];
    if (!json) {
        for (size_t k = 0; k < nkeys; k++) {
            printf("%s%s", k ? "\t" : "", keys[k]);
        }
        printf("\n");
    }
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
                if (json) {
                    /* A map of the keys found, values as strings, keys sorted. */
                    tgm_json_t *d = jdoc_new();
                    tgm_value_t *row = jset_map(d, jroot(d));
                    for (size_t k = 0; k < nkeys; k++) {
                        char *v = meta_lookup_display(meta, keys[k]);
                        if (v != NULL) {
                            jset_str(d, jmemberc(d, row, keys[k]), v);
                            free(v);
                        }
                    }
                    jprint(tgm_json_root(d), TGM_JSON_PRETTY);
                    tgm_json_free(d);
                } else {
                    for (size_t k = 0; k < nkeys; k++) {
                        char *v = meta_lookup_display(meta, keys[k]);
                        printf("%s%s", k ? "\t" : "", v ? v : "N/A");
                        free(v);
                    }
                    printf("\n");
                }
            }
            tgm_metadata_free(meta);
        }
        input_close(&in);
    }
    free_strv(keys, nkeys);
    if (have_where) {
        where_free(&w);
    }
    free(a.pos);
    return rc;
}
