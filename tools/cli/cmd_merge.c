/* tensogram merge: all objects of all messages into one message
 * (reference: tensogram-cli/src/commands/merge.rs). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { OPT_OUTPUT, OPT_STRATEGY };

static const cli_optdef opts[] = {
    {'o', "output", "OUTPUT"},
    {'s', "strategy", "STRATEGY"},
};

enum strategy { FIRST, LAST, FAIL_ON_CONFLICT };

/* _extra_ keys of later messages: kept or dropped by the strategy. */
static bool merge_extra(rw_message *m, const tgm_value_t *from, enum strategy st) {
    for (size_t i = 0; i < tgm_value_map_len(from); i++) {
        size_t klen = 0;
        const char *key = tgm_value_map_key_at(from, i, &klen);
        const tgm_value_t *val = tgm_value_map_value_at(from, i);
        if (key == NULL) {
            continue; /* rw_source_load refuses non-text keys */
        }
        const tgm_value_t *have = jget(rw_extra(m), key, klen);
        if (have != NULL && st == FIRST) {
            continue;
        }
        if (have != NULL && st == FAIL_ON_CONFLICT && !tgm_value_equal(have, val)) {
            cli_error("conflicting values for key '%.*s' (use --strategy first or last to "
                      "resolve)",
                      (int)klen, key);
            return false;
        }
        jset_copy(m->doc, jmember(m->doc, rw_extra(m), key, klen), val);
    }
    return true;
}

typedef struct {
    cli_input in;
    tgm_bytes_t *owned; /* message bytes, kept until the merged message is written */
    rw_source *src;
    size_t n;
} input_state;

int cmd_merge(int argc, char **argv, cli_globals *g) {
    cli_args a;
    int r = cli_parse_args("merge", opts, 2, argc, argv, g, &a);
    if (r != 0) {
        free(a.pos);
        return r == CLI_HELP_SHOWN ? EXIT_OK : r;
    }
    if (!a.present[OPT_OUTPUT]) {
        free(a.pos);
        return cli_usage_error("merge",
                               "the following required argument was not provided: --output "
                               "<OUTPUT>");
    }
    if (a.npos == 0) {
        cli_error("no input files specified");
        free(a.pos);
        return EXIT_FAIL;
    }
    const char *sname = a.present[OPT_STRATEGY] ? a.value[OPT_STRATEGY] : "first";
    enum strategy st;
    if (strcmp(sname, "first") == 0) {
        st = FIRST;
    } else if (strcmp(sname, "last") == 0) {
        st = LAST;
    } else if (strcmp(sname, "error") == 0) {
        st = FAIL_ON_CONFLICT;
    } else {
        cli_error("unknown merge strategy '%s': expected first, last, or error", sname);
        free(a.pos);
        return EXIT_FAIL;
    }
    TgmEncodeMaskOptions mo;
    if (!cli_mask_options(g, &mo)) {
        free(a.pos);
        return EXIT_FAIL;
    }
    const char *output = a.value[OPT_OUTPUT];
    input_state *ins = xcalloc(a.npos, sizeof *ins);
    rw_message m;
    rw_init(&m);
    bool ok = true, first = true;
    for (size_t f = 0; ok && f < a.npos; f++) {
        input_state *s = &ins[f];
        ok = input_open(&s->in, a.pos[f], g->strict);
        if (!ok) {
            break;
        }
        s->owned = xcalloc(s->in.count, sizeof *s->owned);
        s->src = xcalloc(s->in.count, sizeof *s->src);
        cli_progress p;
        progress_start(&p, "merge: reading", s->in.count);
        for (size_t i = 0; ok && i < s->in.count; i++) {
            const uint8_t *data;
            size_t len;
            char *where = xasprintf("'%s' message %zu", a.pos[f], i);
            ok = input_message(&s->in, i, &data, &len, &s->owned[i]) &&
                 rw_source_load(&s->src[i], data, len, where);
            s->n = i + 1;
            free(where);
            for (size_t j = 0; ok && j < s->src[i].nobj; j++) {
                ok = rw_add_object(&m, &s->src[i], j);
            }
            if (ok && first) {
                jset_copy(m.doc, rw_extra(&m), s->src[i].extra);
                first = false;
            } else if (ok) {
                ok = merge_extra(&m, s->src[i].extra, st);
            }
            progress_update(&p, i + 1);
        }
        progress_end(&p);
    }
    tgm_bytes_t enc = {NULL, 0};
    cli_output out;
    bool out_open = false;
    char *where = xasprintf("merging into '%s'", output);
    ok = ok && rw_encode(&m, "xxh3", g, where, &enc);
    free(where);
    ok = ok && (out_open = output_open(&out, output));
    ok = ok && output_write(&out, enc.data, enc.len);
    if (out_open) {
        ok = ok ? output_commit(&out) : (output_abort(&out), false);
    }
    if (ok) {
        /* The report goes to stderr when stdout carries the message. */
        FILE *report = strcmp(output, "-") == 0 ? stderr : stdout;
        fprintf(report, "Merged %zu objects from %zu file(s) into %s (strategy: %s)\n", m.nobj,
                a.npos, output, sname);
    }
    tgm_bytes_free(enc);
    rw_free(&m);
    for (size_t f = 0; f < a.npos; f++) {
        for (size_t i = 0; i < ins[f].n; i++) {
            rw_source_free(&ins[f].src[i]);
            tgm_bytes_free(ins[f].owned[i]);
        }
        free(ins[f].src);
        free(ins[f].owned);
        input_close(&ins[f].in);
    }
    free(ins);
    free(a.pos);
    return ok ? EXIT_OK : EXIT_FAIL;
}
