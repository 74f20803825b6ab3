/* tensogram set: change metadata keys (reference: tensogram-cli/src/commands/set.rs).
 *
 * Matching messages are rebuilt with the new metadata and their payloads
 * copied as stored; the others are copied byte for byte. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { OPT_SET, OPT_WHERE };

static const cli_optdef opts[] = {
    {'s', NULL, "SET_VALUES"},
    {'w', NULL, "WHERE_CLAUSE"},
};

/* Keys describing the payload's structure or pipeline (the reference's list). */
static const char *const immutable_keys[] = {
    "shape",
    "strides",
    "dtype",
    "ndim",
    "type",
    "encoding",
    "filter",
    "compression",
    "hash",
    "szip_rsi",
    "szip_block_size",
    "szip_flags",
    "szip_block_offsets",
    "sp_reference_value",
    "sp_binary_scale_factor",
    "sp_decimal_scale_factor",
    "sp_bits_per_value",
    "shuffle_element_size",
};

/* Descriptor keys that must not change either, because the payload is
 * copied unchanged: the remaining descriptor fields and every pipeline
 * parameter (the reference re-encodes the data, we do not). */
static const char *const descriptor_fields[] = {"byte_order", "masks"};
static const char *const pipeline_prefixes[] = {"sp_",     "szip_",    "zfp_", "zstd_",
                                                "blosc2_", "shuffle_", "sz3_"};

typedef struct {
    char *key, *value;
    char **parts;
    size_t nparts;
} mutation;

static bool in_list(const char *s, const char *const *list, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (strcmp(s, list[i]) == 0) {
            return true;
        }
    }
    return false;
}

static char **split_dots(const char *key, size_t *n) {
    char **v = NULL;
    *n = 0;
    for (;;) {
        const char *dot = strchr(key, '.');
        size_t len = dot ? (size_t)(dot - key) : strlen(key);
        v = xrealloc(v, (*n + 1) * sizeof *v);
        v[(*n)++] = xmemdup(key, len);
        if (dot == NULL) {
            return v;
        }
        key = dot + 1;
    }
}

static void trim(char *s) {
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r')) {
        s[--n] = '\0';
    }
    size_t k = 0;
    while (s[k] == ' ' || s[k] == '\t' || s[k] == '\n' || s[k] == '\r') {
        k++;
    }
    memmove(s, s + k, n - k + 1);
}

/* "k=v,k2=v2": each pair split at its first '=', both sides trimmed. */
static bool parse_mutations(const char *text, mutation **out, size_t *n) {
    *out = NULL;
    *n = 0;
    for (;;) {
        const char *comma = strchr(text, ',');
        size_t len = comma ? (size_t)(comma - text) : strlen(text);
        char *pair = xmemdup(text, len);
        char *eq = strchr(pair, '=');
        if (eq == NULL) {
            cli_error("invalid set value '%s': expected key=value", pair);
            free(pair);
            return false;
        }
        *eq = '\0';
        mutation m;
        m.key = xstrdup(pair);
        m.value = xstrdup(eq + 1);
        free(pair);
        trim(m.key);
        trim(m.value);
        m.parts = split_dots(m.key, &m.nparts);
        *out = xrealloc(*out, (*n + 1) * sizeof **out);
        (*out)[(*n)++] = m;
        if (comma == NULL) {
            return true;
        }
        text = comma + 1;
    }
}

static void free_mutations(mutation *m, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(m[i].key);
        free(m[i].value);
        free_strv(m[i].parts, m[i].nparts);
    }
    free(m);
}

/* Refusals that need no input file. */
static bool check_mutation(const mutation *m) {
    const char *leaf = m->parts[m->nparts - 1];
    if (in_list(leaf, immutable_keys, sizeof immutable_keys / sizeof immutable_keys[0])) {
        cli_error("cannot modify immutable key: %s (it describes the stored payload)", m->key);
        return false;
    }
    /* The first segment of the path inside the targeted map. */
    size_t first = 0;
    bool object = strcmp(m->parts[0], "objects") == 0;
    if (object) {
        first = 2;
    } else if (strcmp(m->parts[0], "extra") == 0 || strcmp(m->parts[0], "_extra_") == 0) {
        first = 1;
    }
    if (strcmp(m->parts[0], "_reserved_") == 0 ||
        (first < m->nparts && strcmp(m->parts[first], "_reserved_") == 0)) {
        cli_error("cannot modify '%s': the '_reserved_' namespace is managed by the library",
                  m->key);
        return false;
    }
    if (object && m->nparts > 2) {
        const char *k = m->parts[2];
        bool pipeline = false;
        for (size_t i = 0; i < sizeof pipeline_prefixes / sizeof pipeline_prefixes[0]; i++) {
            pipeline =
                pipeline || strncmp(k, pipeline_prefixes[i], strlen(pipeline_prefixes[i])) == 0;
        }
        if (pipeline ||
            in_list(k, immutable_keys, sizeof immutable_keys / sizeof immutable_keys[0]) ||
            in_list(k, descriptor_fields, 2)) {
            cli_error("cannot modify '%s': '%s' describes how the payload is stored, and set "
                      "copies payloads unchanged",
                      m->key, k);
            return false;
        }
    }
    return true;
}

/* Set map[parts[0]]...[parts[n-1]] = value (a string), creating maps on the
 * way and replacing non-map values that are in the way.  False (after
 * printing the error) when a key or the value is not UTF-8. */
static bool insert_nested(tgm_json_t *d, tgm_value_t *map, char **parts, size_t n,
                          const mutation *mu) {
    for (; n > 1; parts++, n--) {
        tgm_value_t *child = tgm_json_map_member(d, map, parts[0], strlen(parts[0]));
        if (child == NULL) {
            break;
        }
        if (tgm_value_get_type(child) != TGM_VALUE_TYPE_MAP) {
            jset_map(d, child);
        }
        map = child;
    }
    tgm_value_t *leaf = n == 1 ? tgm_json_map_member(d, map, parts[0], strlen(parts[0])) : NULL;
    tgm_error e = leaf != NULL ? tgm_json_set_string(d, leaf, mu->value, strlen(mu->value))
                               : TGM_ERROR_INVALID_ARG;
    if (e != TGM_ERROR_OK) {
        cli_lib_error(e, "invalid set value '%s=%s'", mu->key, mu->value);
        return false;
    }
    return true;
}

static bool parse_index(const char *s, size_t *out) {
    if (*s == '+') {
        s++;
    }
    if (*s == '\0') {
        return false;
    }
    size_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (SIZE_MAX - 9) / 10) {
            return false;
        }
        v = v * 10 + (size_t)(*s - '0');
    }
    *out = v;
    return true;
}

static bool apply(rw_message *m, const mutation *mu, const char *where) {
    if (strcmp(mu->parts[0], "objects") == 0) {
        size_t index;
        if (mu->nparts < 3) {
            cli_error("invalid object key: %s (expected objects.<index>.<key>)", mu->key);
            return false;
        }
        if (!parse_index(mu->parts[1], &index)) {
            cli_error("invalid object index in key: %s", mu->key);
            return false;
        }
        if (index >= m->nobj) {
            cli_error("%s: object index out of range in key: %s (the message has %zu object%s)",
                      where, mu->key, m->nobj, m->nobj == 1 ? "" : "s");
            return false;
        }
        tgm_value_t *desc = jedit(m->doc, tgm_value_array_get(rw_descs(m), index));
        return insert_nested(m->doc, desc, mu->parts + 2, mu->nparts - 2, mu);
    }
    if (strcmp(mu->parts[0], "extra") == 0 || strcmp(mu->parts[0], "_extra_") == 0) {
        if (mu->nparts < 2) {
            cli_error("invalid extra key: %s (expected extra.key)", mu->key);
            return false;
        }
        return insert_nested(m->doc, rw_extra(m), mu->parts + 1, mu->nparts - 1, mu);
    }
    size_t nbase = tgm_value_array_len(rw_base(m));
    if (nbase == 0) {
        /* No objects, so no base entries to carry the key. */
        return insert_nested(m->doc, rw_extra(m), mu->parts, mu->nparts, mu);
    }
    for (size_t i = 0; i < nbase; i++) {
        tgm_value_t *entry = jedit(m->doc, tgm_value_array_get(rw_base(m), i));
        if (!insert_nested(m->doc, entry, mu->parts, mu->nparts, mu)) {
            return false;
        }
    }
    return true;
}

static bool rewrite(const uint8_t *buf, size_t len, const mutation *mus, size_t nmut,
                    const cli_globals *g, const char *where, cli_output *out) {
    rw_source s;
    rw_message m;
    rw_init(&m);
    bool ok = rw_source_load(&s, buf, len, where);
    for (size_t j = 0; ok && j < s.nobj; j++) {
        ok = rw_add_object(&m, &s, j);
    }
    if (ok) {
        jset_copy(m.doc, rw_extra(&m), s.extra);
    }
    for (size_t k = 0; ok && k < nmut; k++) {
        ok = apply(&m, &mus[k], where);
    }
    tgm_bytes_t enc = {NULL, 0};
    /* Hashes are kept when the message had them (the reference drops them). */
    ok = ok && rw_encode(&m, s.hashed ? "xxh3" : NULL, g, where, &enc);
    ok = ok && output_write(out, enc.data, enc.len);
    tgm_bytes_free(enc);
    rw_free(&m);
    rw_source_free(&s);
    return ok;
}

int cmd_set(int argc, char **argv, cli_globals *g) {
    cli_args a;
    int r = cli_parse_args("set", opts, 2, argc, argv, g, &a);
    if (r != 0) {
        free(a.pos);
        return r == CLI_HELP_SHOWN ? EXIT_OK : r;
    }
    if (!a.present[OPT_SET] || a.npos < 2) {
        free(a.pos);
        return cli_usage_error("set", "the following required arguments were not provided:%s%s%s",
                               a.present[OPT_SET] ? "" : " -s <SET_VALUES>",
                               a.npos < 1 ? " <INPUT>" : "", a.npos < 2 ? " <OUTPUT>" : "");
    }
    if (a.npos > 2) {
        int rc = cli_usage_error("set", "unexpected argument '%s' found", a.pos[2]);
        free(a.pos);
        return rc;
    }
    const char *input = a.pos[0], *output = a.pos[1];
    int rc = EXIT_FAIL;
    where_clause w;
    bool have_where = a.present[OPT_WHERE];
    mutation *mus = NULL;
    size_t nmut = 0;
    TgmEncodeMaskOptions mo;
    cli_input in;
    memset(&in, 0, sizeof in);
    cli_output out;
    memset(&out, 0, sizeof out);
    bool out_open = false;
    if (have_where && !where_parse(a.value[OPT_WHERE], &w)) {
        have_where = false;
        goto done;
    }
    if (!parse_mutations(a.value[OPT_SET], &mus, &nmut)) {
        goto done;
    }
    for (size_t k = 0; k < nmut; k++) {
        if (!check_mutation(&mus[k])) {
            goto done;
        }
    }
    if (!cli_mask_options(g, &mo) || !input_open(&in, input, g->strict)) {
        goto done;
    }
    if (!output_open(&out, output)) {
        goto done;
    }
    out_open = true;
    cli_progress p;
    progress_start(&p, "set", in.count);
    bool ok = true;
    for (size_t i = 0; ok && i < in.count; i++) {
        const uint8_t *data;
        size_t len;
        tgm_bytes_t owned;
        tgm_metadata_t *meta = NULL;
        ok = input_message(&in, i, &data, &len, &owned) && input_metadata(&in, i, &meta);
        if (ok) {
            if (!have_where || where_matches(meta, &w)) {
                char *where = xasprintf("'%s' message %zu", input, i);
                ok = rewrite(data, len, mus, nmut, g, where, &out);
                free(where);
            } else {
                ok = output_write(&out, data, len);
            }
        }
        tgm_metadata_free(meta);
        tgm_bytes_free(owned);
        progress_update(&p, i + 1);
    }
    progress_end(&p);
    if (ok) {
        out_open = false;
        if (output_commit(&out)) {
            rc = EXIT_OK;
        }
    }
done:
    if (out_open) {
        output_abort(&out);
    }
    input_close(&in);
    free_mutations(mus, nmut);
    if (have_where) {
        where_free(&w);
    }
    free(a.pos);
    return rc;
}
