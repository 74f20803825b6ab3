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
static void object_summary(tgm_json_t *d, tgm_value_t *o, const tgm_value_t *desc) {
    jset_map(d, o);
    static const char *const kept[] = {"type", "dtype", "shape"};
    for (size_t i = 0; i < 3; i++) {
        jset_copy(d, jmemberc(d, o, kept[i]), tgm_value_map_get(desc, kept[i]));
    }
    for (size_t i = 0; i < tgm_value_map_len(desc); i++) {
        size_t klen = 0;
        const char *k = tgm_value_map_key_at(desc, i, &klen);
        if (k != NULL && !is_descriptor_field(k)) {
            jset_copy(d, jmember(d, o, k, klen), tgm_value_map_value_at(desc, i));
        }
    }
}

/* "    key: value" for each entry of a map in key order, values as compact
 * JSON. */
static void print_entries(const tgm_value_t *map) {
    size_t *order = jsorted(map);
    for (size_t k = 0; k < tgm_value_map_len(map); k++) {
        size_t klen = 0;
        const char *key = tgm_value_map_key_at(map, order[k], &klen);
        if (key == NULL) {
            continue;
        }
        char *v = jtext(tgm_value_map_value_at(map, order[k]), 0);
        printf("    %s: %s\n", key, v);
        free(v);
    }
    free(order);
}

static void print_text(size_t index, const tgm_message_t *msg, const tgm_metadata_t *md) {
    size_t nobj = tgm_message_num_objects(msg);
    printf("=== Message %zu ===\n", index);
    printf("version: %d\n", TGM_WIRE_VERSION);
    printf("objects: %zu\n", nobj);
    for (size_t j = 0; j < nobj; j++) {
        const tgm_value_t *shape = tgm_value_map_get(tgm_object_descriptor(msg, j), "shape");
        printf("  object[%zu]: type=%s, dtype=%s, shape=[", j,
               tgm_object_type(msg, j) ? tgm_object_type(msg, j) : "",
               tgm_object_dtype(msg, j) ? tgm_object_dtype(msg, j) : "");
        for (size_t d = 0; d < tgm_value_array_len(shape); d++) {
            char *dim = jtext(tgm_value_array_get(shape, d), 0);
            printf("%s%s", d ? ", " : "", dim);
            free(dim);
        }
        printf("]\n");
    }
    for (size_t j = 0; j < tgm_metadata_num_objects(md); j++) {
        printf("  base[%zu]:\n", j);
        print_entries(tgm_metadata_object(md, j));
    }
    const tgm_value_t *extra = tgm_metadata_extra(md);
    if (tgm_value_map_len(extra) > 0) {
        printf("  extra:\n");
        print_entries(extra);
    }
    printf("\n");
}

static void print_json(const tgm_metadata_t *md, const tgm_message_t *msg, char **keys,
                       size_t nkeys, bool have_keys) {
    tgm_json_t *d = jdoc_new();
    tgm_value_t *root = jset_map(d, jroot(d));
    if (have_keys) {
        for (size_t k = 0; k < nkeys; k++) {
            char *v = meta_lookup_display(md, keys[k]);
            if (v != NULL) {
                jset_str(d, jmemberc(d, root, keys[k]), v);
                free(v);
            }
        }
    } else {
        jset_u64(d, jmemberc(d, root, "version"), TGM_WIRE_VERSION);
        size_t nbase = tgm_metadata_num_objects(md);
        if (nbase > 0) {
            tgm_value_t *base = jset_array(d, jmemberc(d, root, "base"));
            for (size_t j = 0; j < nbase; j++) {
                jset_copy(d, jappend(d, base), tgm_metadata_object(md, j));
            }
        }
        if (tgm_value_map_len(tgm_metadata_extra(md)) > 0) {
            jset_copy(d, jmemberc(d, root, "extra"), tgm_metadata_extra(md));
        }
        tgm_value_t *objects = jset_array(d, jmemberc(d, root, "objects"));
        for (size_t j = 0; j < tgm_message_num_objects(msg); j++) {
            object_summary(d, jappend(d, objects), tgm_object_descriptor(msg, j));
        }
    }
    jprint(tgm_json_root(d), TGM_JSON_PRETTY);
    tgm_json_free(d);
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
                if (json) {
                    print_json(md, msg, keys, nkeys, have_keys);
                } else {
                    print_text(i, msg, md);
                }
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
