/* tensogram dump: metadata and object descriptors of every message
 * (reference: tensogram-cli/src/commands/dump.rs, output.rs format_json).
 *
 * Objects are described from their descriptors; payloads are not decoded
 * (the reference decodes them all, so a payload it cannot decode aborts its
 * dump). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { OPT_WHERE, OPT_KEYS, OPT_JSON };

static const cli_optdef opts[] = {
    {'w', NULL, "WHERE_CLAUSE"},
    {'p', NULL, "KEYS"},
    {'j', NULL, NULL},
};

/* Descriptor keys that are fields of the reference's descriptor struct; the
 * others are its flattened `params`. */
static bool is_descriptor_field(const char *k) {
    static const char *const fields[] = {"type",        "ndim",       "shape",    "strides",
                                         "dtype",       "byte_order", "encoding", "filter",
                                         "compression", "masks"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (strcmp(k, fields[i]) == 0) {
            return true;
        }
    }
    return false;
}

/* {"type", "dtype", "shape"} plus the parameters, as format_json builds it. */
static jv *object_summary(const jv *desc) {
    jv *o = jv_obj();
    static const char *const kept[] = {"type", "dtype", "shape"};
    for (size_t i = 0; i < 3; i++) {
        const jv *v = jv_get(desc, kept[i]);
        jv_setc(o, kept[i], v ? jv_clone(v) : jv_null());
    }
    for (size_t i = 0; i < desc->n; i++) {
        if (!is_descriptor_field(desc->ents[i].key)) {
            jv_set(o, desc->ents[i].key, desc->ents[i].klen, jv_clone(desc->ents[i].val));
        }
    }
    return o;
}

static void print_text(size_t index, const tgm_message_t *msg, jv **descs, const jv *meta) {
    size_t nobj = tgm_message_num_objects(msg);
    printf("=== Message %zu ===\n", index);
    printf("version: %d\n", TGM_WIRE_VERSION);
    printf("objects: %zu\n", nobj);
    for (size_t j = 0; j < nobj; j++) {
        const jv *shape = jv_get(descs[j], "shape");
        printf("  object[%zu]: type=%s, dtype=%s, shape=[", j,
               tgm_object_type(msg, j) ? tgm_object_type(msg, j) : "",
               tgm_object_dtype(msg, j) ? tgm_object_dtype(msg, j) : "");
        for (size_t d = 0; shape != NULL && shape->kind == JV_ARR && d < shape->n; d++) {
            const jv *dim = shape->items[d];
            printf("%s%.*s", d ? ", " : "", (int)dim->len, dim->s ? dim->s : "");
        }
        printf("]\n");
    }
    const jv *base = jv_get(meta, "base");
    for (size_t j = 0; base != NULL && base->kind == JV_ARR && j < base->n; j++) {
        printf("  base[%zu]:\n", j);
        const jv *entry = base->items[j];
        for (size_t k = 0; entry->kind == JV_OBJ && k < entry->n; k++) {
            char *v = jv_to_string(entry->ents[k].val, JV_COMPACT | JV_SORTED);
            printf("    %s: %s\n", entry->ents[k].key, v);
            free(v);
        }
    }
    const jv *extra = jv_get(meta, "_extra_");
    if (extra != NULL && extra->kind == JV_OBJ && extra->n > 0) {
        printf("  extra:\n");
        for (size_t k = 0; k < extra->n; k++) {
            char *v = jv_to_string(extra->ents[k].val, JV_COMPACT | JV_SORTED);
            printf("    %s: %s\n", extra->ents[k].key, v);
            free(v);
        }
    }
    printf("\n");
}

static void print_json(const tgm_metadata_t *md, jv **descs, size_t nobj, jv *meta, char **keys,
                       size_t nkeys, bool have_keys) {
    jv *root = jv_obj();
    if (have_keys) {
        for (size_t k = 0; k < nkeys; k++) {
            char *v = meta_lookup_display(md, keys[k]);
            if (v != NULL) {
                jv_setc(root, keys[k], jv_cstr(v));
                free(v);
            }
        }
    } else {
        jv_setc(root, "version", jv_int(TGM_WIRE_VERSION));
        jv *base = jv_take(meta, "base");
        if (base != NULL && base->n > 0) {
            jv_setc(root, "base", base);
        } else {
            jv_free(base);
        }
        jv *extra = jv_take(meta, "_extra_");
        if (extra != NULL && extra->n > 0) {
            jv_setc(root, "extra", extra);
        } else {
            jv_free(extra);
        }
        jv *objects = jv_arr();
        for (size_t j = 0; j < nobj; j++) {
            jv_push(objects, object_summary(descs[j]));
        }
        jv_setc(root, "objects", objects);
    }
    char *text = jv_to_string(root, JV_PRETTY | JV_SORTED);
    printf("%s\n", text);
    free(text);
    jv_free(root);
}

int cmd_dump(int argc, char **argv, cli_globals *g) {
    cli_args a;
    int r = cli_parse_args("dump", opts, 3, argc, argv, g, &a);
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
    bool have_keys = a.present[OPT_KEYS];
    char **keys = have_keys ? split_keys(a.value[OPT_KEYS], &nkeys) : NULL;
    bool json = a.present[OPT_JSON];
    int rc = EXIT_OK;
    for (size_t f = 0; f < a.npos && rc == EXIT_OK; f++) {
        cli_input in;
        if (!input_open(&in, a.pos[f], g->strict)) {
            rc = EXIT_FAIL;
        }
        for (size_t i = 0; rc == EXIT_OK && i < in.count; i++) {
            tgm_message_t *msg = NULL;
            tgm_metadata_t *md = NULL;
            if (!input_descriptors(&in, i, &msg)) {
                rc = EXIT_FAIL;
                break;
            }
            tgm_error e = tgm_message_metadata(msg, &md);
            if (e != TGM_ERROR_OK) {
                cli_lib_error(e, "'%s' message %zu", a.pos[f], i);
                tgm_message_free(msg);
                rc = EXIT_FAIL;
                break;
            }
            if (!have_where || where_matches(md, &w)) {
                char *where = xasprintf("'%s' message %zu", a.pos[f], i);
                size_t nobj = tgm_message_num_objects(msg);
                jv **descs = xcalloc(nobj, sizeof *descs);
                jv *meta = meta_to_jv(md, where);
                bool ok = meta != NULL;
                for (size_t j = 0; ok && j < nobj; j++) {
                    descs[j] = descriptor_to_jv(msg, j, where);
                    ok = descs[j] != NULL;
                }
                if (!ok) {
                    rc = EXIT_FAIL;
                } else if (json) {
                    print_json(md, descs, nobj, meta, keys, nkeys, have_keys);
                } else {
                    print_text(i, msg, descs, meta);
                }
                for (size_t j = 0; j < nobj; j++) {
                    jv_free(descs[j]);
                }
                free(descs);
                jv_free(meta);
                free(where);
            }
            tgm_metadata_free(md);
            tgm_message_free(msg);
        }
        input_close(&in);
    }
    if (keys != NULL) {
        free_strv(keys, nkeys);
    }
    if (have_where) {
        where_free(&w);
    }
    free(a.pos);
    return rc;
}
