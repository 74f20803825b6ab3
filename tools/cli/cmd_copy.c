/* tensogram copy: copy messages, optionally filtered and spread over files
 * named from metadata (reference: tensogram-cli/src/commands/copy.rs). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { OPT_WHERE };

static const cli_optdef opts[] = {
    {'w', NULL, "WHERE_CLAUSE"},
};

/* Untrusted metadata must never choose where a file is written: a value
 * that would leave the directory the template names (a '/', "..", a lone
 * "."), or that holds a NUL or a control character, is refused.  (A "."
 * is refused because two of them side by side make "..".) */
static const char *unsafe_in_file_name(const tgm_metadata_t *meta, const char *key,
                                       const char *value) {
    const tgm_value_t *v = tgm_metadata_get(meta, key);
    size_t n = 0;
    if (v != NULL && tgm_value_get_type(v) == TGM_VALUE_TYPE_STRING &&
        tgm_value_as_string(v, &n) != NULL && n != strlen(value)) {
        return "a NUL byte";
    }
    for (const unsigned char *c = (const unsigned char *)value; *c; c++) {
        if (*c < 0x20 || *c == 0x7f) {
            return "a control character";
        }
    }
    if (strchr(value, '/') != NULL) {
        return "'/'";
    }
    if (strstr(value, "..") != NULL || strcmp(value, ".") == 0) {
        return strcmp(value, ".") == 0 ? "only '.'" : "'..'";
    }
    return NULL;
}

/* Replace each [key] by the key's value ("unknown" when absent), in one
 * left-to-right pass: substituted text is not expanded again.  NULL (after
 * printing the error) when a value cannot be part of a file name. */
static char *expand(const char *tmpl, const tgm_metadata_t *meta, const char *where) {
    sbuf b = {0};
    const char *p = tmpl;
    for (;;) {
        const char *open = strchr(p, '[');
        const char *close = open ? strchr(open + 1, ']') : NULL;
        if (close == NULL) {
            sb_puts(&b, p);
            break;
        }
        sb_putn(&b, p, (size_t)(open - p));
        char *key = xmemdup(open + 1, (size_t)(close - open - 1));
        char *value = meta_lookup_display(meta, key);
        const char *why = value ? unsafe_in_file_name(meta, key, value) : NULL;
        if (why != NULL) {
            /* the value as stored (a string may hold a NUL), escaped */
            const tgm_value_t *raw = tgm_metadata_get(meta, key);
            size_t vlen = strlen(value);
            const char *vbytes = value;
            if (raw != NULL && tgm_value_get_type(raw) == TGM_VALUE_TYPE_STRING) {
                vbytes = tgm_value_as_string(raw, &vlen);
            }
            sbuf q = {0};
            sb_puts(&q, "\"");
            for (const unsigned char *c = (const unsigned char *)vbytes;
                 c < (const unsigned char *)vbytes + vlen; c++) {
                if (*c < 0x20 || *c == 0x7f || *c == '"' || *c == '\\') {
                    char esc[8];
                    snprintf(esc, sizeof esc, "\\x%02x", *c);
                    sb_puts(&q, esc);
                } else {
                    sb_putn(&q, (const char *)c, 1);
                }
            }
            sb_puts(&q, "\"");
            char *text = sb_steal(&q);
            cli_error("%s: the value of [%s], %s, cannot be part of an output file name (it "
                      "contains %s): metadata does not choose where files are written",
                      where, key, text, why);
            free(text);
            free(value);
            free(key);
            free(sb_steal(&b));
            return NULL;
        }
        sb_puts(&b, value ? value : "unknown");
        free(value);
        free(key);
        p = close + 1;
    }
    return sb_steal(&b);
}

int cmd_copy(int argc, char **argv, cli_globals *g) {
    cli_args a;
    int r = cli_parse_args("copy", opts, 1, argc, argv, g, &a);
    if (r != 0) {
        free(a.pos);
        return r == CLI_HELP_SHOWN ? EXIT_OK : r;
    }
    if (a.npos != 2) {
        int rc = a.npos < 2 ? cli_usage_error("copy",
                                              "the following required arguments were not "
                                              "provided:%s <OUTPUT>",
                                              a.npos < 1 ? " <INPUT>" : "")
                            : cli_usage_error("copy", "unexpected argument '%s' found", a.pos[2]);
        free(a.pos);
        return rc;
    }
    const char *input = a.pos[0], *tmpl = a.pos[1];
    where_clause w;
    bool have_where = a.present[OPT_WHERE];
    if (have_where && !where_parse(a.value[OPT_WHERE], &w)) {
        free(a.pos);
        return EXIT_FAIL;
    }
    int rc = EXIT_FAIL;
    bool placeholders = strchr(tmpl, '[') != NULL && strchr(tmpl, ']') != NULL;
    cli_input in;
    cli_output_set outs = {0};
    bool ok = input_open(&in, input, g->strict);
    /* Without placeholders the output exists even when nothing matches. */
    if (ok && !placeholders) {
        ok = output_set_get(&outs, tmpl) != NULL;
    }
    cli_progress p;
    progress_start(&p, "copy", ok ? in.count : 0);
    for (size_t i = 0; ok && i < in.count; i++) {
        tgm_metadata_t *meta = NULL;
        ok = input_metadata(&in, i, &meta);
        if (ok && (!have_where || where_matches(meta, &w))) {
            char *where = xasprintf("'%s' message %zu", input, i);
            char *name = placeholders ? expand(tmpl, meta, where) : xstrdup(tmpl);
            free(where);
            cli_output *o = name != NULL ? output_set_get(&outs, name) : NULL;
            const uint8_t *data;
            size_t len;
            tgm_bytes_t owned = {NULL, 0};
            ok = o != NULL && input_message(&in, i, &data, &len, &owned) &&
                 output_write(o, data, len);
            tgm_bytes_free(owned);
            free(name);
        }
        tgm_metadata_free(meta);
        progress_update(&p, i + 1);
    }
    progress_end(&p);
    if (ok && output_set_commit(&outs)) {
        rc = EXIT_OK;
    } else {
        output_set_abort(&outs);
    }
    input_close(&in);
    if (have_where) {
        where_free(&w);
    }
    free(a.pos);
    return rc;
}
