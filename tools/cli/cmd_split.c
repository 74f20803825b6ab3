/* tensogram split: one file per object (reference: tensogram-cli/src/commands/split.rs). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { OPT_OUTPUT };

static const cli_optdef opts[] = {
    {'o', "output", "OUTPUT"},
};

/* "[index]" becomes the zero-padded index; without it the index goes
 * before the extension: dir/out.tgm -> dir/out_0003.tgm (Rust's Path
 * file_stem / extension / parent rules). */
char *cli_expand_index(const char *tmpl, size_t index) {
    char num[32];
    snprintf(num, sizeof num, "%04zu", index);
    const char *mark = strstr(tmpl, "[index]");
    if (mark != NULL) {
        sbuf b = {0};
        const char *p = tmpl;
        while ((mark = strstr(p, "[index]")) != NULL) {
            sb_putn(&b, p, (size_t)(mark - p));
            sb_puts(&b, num);
            p = mark + 7;
        }
        sb_puts(&b, p);
        return sb_steal(&b);
    }
    /* Last component, ignoring trailing slashes. */
    size_t end = strlen(tmpl);
    while (end > 1 && tmpl[end - 1] == '/') {
        end--;
    }
    size_t start = end;
    while (start > 0 && tmpl[start - 1] != '/') {
        start--;
    }
    char *name = xmemdup(tmpl + start, end - start);
    char *parent = NULL;
    if (start > 0) {
        size_t pend = start;
        while (pend > 1 && tmpl[pend - 1] == '/') {
            pend--;
        }
        parent = xmemdup(tmpl, pend);
    }
    bool no_name = name[0] == '\0' || strcmp(name, "..") == 0 || strcmp(name, "/") == 0;
    char *stem, *ext;
    const char *dot = no_name ? NULL : strrchr(name, '.');
    if (no_name) {
        stem = xstrdup("split");
        ext = xstrdup("");
    } else if (dot == NULL || dot == name) {
        stem = xstrdup(name); /* ".hidden" has no extension */
        ext = xstrdup("");
    } else {
        stem = xmemdup(name, (size_t)(dot - name));
        ext = xstrdup(dot);
    }
    char *out = xasprintf("%s%s%s_%s%s", parent ? parent : "", parent ? "/" : "", stem, num, ext);
    free(name);
    free(parent);
    free(stem);
    free(ext);
    return out;
}

int cmd_split(int argc, char **argv, cli_globals *g) {
    cli_args a;
    int r = cli_parse_args("split", opts, 1, argc, argv, g, &a);
    if (r != 0) {
        free(a.pos);
        return r == CLI_HELP_SHOWN ? EXIT_OK : r;
    }
    if (!a.present[OPT_OUTPUT] || a.npos != 1) {
        int rc = a.npos > 1 ? cli_usage_error("split", "unexpected argument '%s' found", a.pos[1])
                            : cli_usage_error("split",
                                              "the following required arguments were not "
                                              "provided:%s%s",
                                              a.present[OPT_OUTPUT] ? "" : " --output <OUTPUT>",
                                              a.npos == 0 ? " <INPUT>" : "");
        free(a.pos);
        return rc;
    }
    const char *input = a.pos[0], *tmpl = a.value[OPT_OUTPUT];
    if (strcmp(tmpl, "-") == 0) {
        free(a.pos);
        return cli_usage_error("split", "split writes one file per object; '-' (standard output) "
                                        "cannot be its output template");
    }
    TgmEncodeMaskOptions mo;
    if (!cli_mask_options(g, &mo)) {
        free(a.pos);
        return EXIT_FAIL;
    }
    cli_input in;
    cli_output_set outs = {0};
    bool ok = input_open(&in, input, g->strict);
    size_t total = 0;
    cli_progress p;
    progress_start(&p, "split", ok ? in.count : 0);
    for (size_t i = 0; ok && i < in.count; i++) {
        const uint8_t *data;
        size_t len;
        tgm_bytes_t owned = {NULL, 0};
        tgm_message_t *desc = NULL;
        char *where = xasprintf("'%s' message %zu", input, i);
        ok = input_message(&in, i, &data, &len, &owned);
        if (ok) {
            tgm_error e = tgm_decode_descriptors(data, len, &desc);
            if (e != TGM_ERROR_OK) {
                cli_lib_error(e, "%s", where);
                ok = false;
            }
        }
        size_t nobj = ok ? tgm_message_num_objects(desc) : 0;
        if (ok && nobj <= 1) {
            /* Already a single object: copied unchanged. */
            char *name = cli_expand_index(tmpl, total++);
            cli_output *o = output_set_get(&outs, name);
            ok = o != NULL && output_write(o, data, len);
            free(name);
        } else if (ok) {
            rw_source s;
            ok = rw_source_load(&s, data, len, where);
            for (size_t j = 0; ok && j < nobj; j++) {
                rw_message m;
                rw_init(&m);
                jset_copy(m.doc, rw_extra(&m), s.extra);
                tgm_bytes_t enc = {NULL, 0};
                char *owhere = xasprintf("%s object %zu", where, j);
                ok = rw_add_object(&m, &s, j) && rw_encode(&m, "xxh3", g, owhere, &enc);
                free(owhere);
                if (ok) {
                    char *name = cli_expand_index(tmpl, total++);
                    cli_output *o = output_set_get(&outs, name);
                    ok = o != NULL && output_write(o, enc.data, enc.len);
                    free(name);
                }
                tgm_bytes_free(enc);
                rw_free(&m);
            }
            rw_source_free(&s);
        }
        if (desc != NULL) {
            tgm_message_free(desc);
        }
        tgm_bytes_free(owned);
        free(where);
        progress_update(&p, i + 1);
    }
    progress_end(&p);
    if (ok && output_set_commit(&outs)) {
        printf("Split into %zu message(s)\n", total);
    } else {
        output_set_abort(&outs);
        ok = false;
    }
    input_close(&in);
    free(a.pos);
    return ok ? EXIT_OK : EXIT_FAIL;
}
