/* tensogram reshuffle: rewrite messages with their index and hash frames in
 * the header (reference: tensogram-cli/src/commands/reshuffle.rs).  Messages
 * written by a streaming encoder keep those frames in the footer. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { OPT_OUTPUT };

static const cli_optdef opts[] = {
    {'o', "output", "OUTPUT"},
};

int cmd_reshuffle(int argc, char **argv, cli_globals *g) {
    cli_args a;
    int r = cli_parse_args("reshuffle", opts, 1, argc, argv, g, &a);
    if (r != 0) {
        free(a.pos);
        return r == CLI_HELP_SHOWN ? EXIT_OK : r;
    }
    if (!a.present[OPT_OUTPUT] || a.npos != 1) {
        int rc = a.npos > 1
                     ? cli_usage_error("reshuffle", "unexpected argument '%s' found", a.pos[1])
                     : cli_usage_error("reshuffle",
                                       "the following required arguments were not provided:%s%s",
                                       a.present[OPT_OUTPUT] ? "" : " --output <OUTPUT>",
                                       a.npos == 0 ? " <INPUT>" : "");
        free(a.pos);
        return rc;
    }
    const char *input = a.pos[0], *output = a.value[OPT_OUTPUT];
    TgmEncodeMaskOptions mo;
    if (!cli_mask_options(g, &mo)) {
        free(a.pos);
        return EXIT_FAIL;
    }
    cli_input in;
    cli_output out;
    bool ok = input_open(&in, input, g->strict);
    bool out_open = ok && output_open(&out, output);
    ok = ok && out_open;
    cli_progress p;
    progress_start(&p, "reshuffle", ok ? in.count : 0);
    for (size_t i = 0; ok && i < in.count; i++) {
        const uint8_t *data;
        size_t len;
        tgm_bytes_t owned = {NULL, 0};
        char *where = xasprintf("'%s' message %zu", input, i);
        rw_source s;
        rw_message m;
        rw_init(&m);
        memset(&s, 0, sizeof s);
        ok = input_message(&in, i, &data, &len, &owned) && rw_source_load(&s, data, len, where);
        for (size_t j = 0; ok && j < s.nobj; j++) {
            ok = rw_add_object(&m, &s, j);
        }
        tgm_bytes_t enc = {NULL, 0};
        if (ok) {
            jset_copy(m.doc, rw_extra(&m), s.extra);
            ok = rw_encode(&m, "xxh3", g, where, &enc) && output_write(&out, enc.data, enc.len);
        }
        tgm_bytes_free(enc);
        rw_free(&m);
        rw_source_free(&s);
        tgm_bytes_free(owned);
        free(where);
        progress_update(&p, i + 1);
    }
    progress_end(&p);
    if (out_open) {
        ok = ok ? output_commit(&out) : (output_abort(&out), false);
    }
    if (ok) {
        FILE *report = strcmp(output, "-") == 0 ? stderr : stdout;
        fprintf(report, "Reshuffled %zu message(s) from %s to %s\n", in.count, input, output);
    }
    input_close(&in);
    free(a.pos);
    return ok ? EXIT_OK : EXIT_FAIL;
}
