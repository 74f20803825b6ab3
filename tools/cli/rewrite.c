/* Building new messages from the objects of existing ones (set, merge,
 * split, reshuffle).
 *
 * The metadata travels as JSON (the encoder's interface); the payloads are
 * copied exactly as stored through tgm_encode_stored, so data is never
 * decoded, re-quantised or re-compressed (the reference tool decodes and
 * re-encodes every message it rewrites). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* ---- sources ------------------------------------------------------------------------ */

bool rw_source_load(rw_source *s, const uint8_t *buf, size_t len, const char *where) {
    memset(s, 0, sizeof *s);
    s->buf = buf;
    s->len = len;
    s->where = xstrdup(where);
    tgm_error e = tgm_decode_encoded(buf, len, &s->enc);
    if (e != TGM_ERROR_OK) {
        cli_lib_error(e, "%s", where);
        return false;
    }
    s->nobj = tgm_message_num_objects(s->enc);
    for (size_t i = 0; i < s->nobj; i++) {
        s->hashed = s->hashed || tgm_payload_has_hash(s->enc, i);
    }
    tgm_metadata_t *meta = NULL;
    e = tgm_message_metadata(s->enc, &meta);
    if (e != TGM_ERROR_OK) {
        cli_lib_error(e, "%s", where);
        return false;
    }
    bool ok = meta_json_safe(meta, where);
    if (!ok) {
        tgm_metadata_free(meta);
        return false;
    }
    s->doc = jdoc_new();
    tgm_value_t *root = jset_map(s->doc, jroot(s->doc));
    tgm_value_t *base = jset_array(s->doc, jmemberc(s->doc, root, "base"));
    size_t nbase = tgm_metadata_num_objects(meta);
    /* One entry per object, so merged and split messages stay aligned. */
    for (size_t i = 0; i < nbase || i < s->nobj; i++) {
        tgm_value_t *entry = jappend(s->doc, base);
        const tgm_value_t *src = i < nbase ? tgm_metadata_object(meta, i) : NULL;
        if (tgm_value_get_type(src) == TGM_VALUE_TYPE_MAP) {
            jset_copy(s->doc, entry, src);
            jremove(s->doc, entry, "_reserved_");
        } else {
            jset_map(s->doc, entry);
        }
    }
    tgm_value_t *extra = jmemberc(s->doc, root, "_extra_");
    const tgm_value_t *src_extra = tgm_metadata_extra(meta);
    if (tgm_value_get_type(src_extra) == TGM_VALUE_TYPE_MAP) {
        jset_copy(s->doc, extra, src_extra);
    } else {
        jset_map(s->doc, extra);
    }
    tgm_metadata_free(meta);
    s->base = tgm_value_map_get(tgm_json_root(s->doc), "base");
    s->extra = tgm_value_map_get(tgm_json_root(s->doc), "_extra_");
    return true;
}

void rw_source_free(rw_source *s) {
    if (s->enc != NULL) {
        tgm_message_free(s->enc);
    }
    tgm_json_free(s->doc);
    free(s->where);
    memset(s, 0, sizeof *s);
}

/* ---- messages under construction ----------------------------------------------------------- */

void rw_init(rw_message *m) {
    memset(m, 0, sizeof *m);
    m->doc = jdoc_new();
    tgm_value_t *root = jset_map(m->doc, jroot(m->doc));
    jset_array(m->doc, jmemberc(m->doc, root, "base"));
    jset_map(m->doc, jmemberc(m->doc, root, "_extra_"));
    jset_array(m->doc, jmemberc(m->doc, root, "descriptors"));
}

void rw_free(rw_message *m) {
    tgm_json_free(m->doc);
    free(m->src);
    free(m->idx);
    memset(m, 0, sizeof *m);
}

tgm_value_t *rw_base(rw_message *m) { return jmemberc(m->doc, jroot(m->doc), "base"); }

tgm_value_t *rw_extra(rw_message *m) { return jmemberc(m->doc, jroot(m->doc), "_extra_"); }

tgm_value_t *rw_descs(rw_message *m) { return jmemberc(m->doc, jroot(m->doc), "descriptors"); }

bool rw_add_object(rw_message *m, const rw_source *s, size_t i) {
    const tgm_value_t *d = tgm_object_descriptor(s->enc, i);
    if (d == NULL) {
        cli_error("%s: object %zu has no descriptor", s->where, i);
        return false;
    }
    if (m->nobj == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 4;
        m->src = xrealloc(m->src, m->cap * sizeof *m->src);
        m->idx = xrealloc(m->idx, m->cap * sizeof *m->idx);
    }
    m->src[m->nobj] = s;
    m->idx[m->nobj] = i;
    m->nobj++;
    jset_copy(m->doc, jappend(m->doc, rw_descs(m)), d);
    jset_copy(m->doc, jappend(m->doc, rw_base(m)), tgm_value_array_get(s->base, i));
    return true;
}

/* ---- encoding -------------------------------------------------------------------------------- */

/* The metadata JSON for the encoder: m's document, without an empty
 * _extra_. */
static char *encode_json(const rw_message *m) {
    const tgm_value_t *root = tgm_json_root(m->doc);
    if (tgm_value_map_len(tgm_value_map_get(root, "_extra_")) > 0) {
        return jtext(root, TGM_JSON_KEEP_ORDER);
    }
    char *base = jtext(tgm_value_map_get(root, "base"), TGM_JSON_KEEP_ORDER);
    char *descs = jtext(tgm_value_map_get(root, "descriptors"), TGM_JSON_KEEP_ORDER);
    char *text = xasprintf("{\"base\":%s,\"descriptors\":%s}", base, descs);
    free(base);
    free(descs);
    return text;
}

/* The encoder reads metadata from JSON; read the result back and make sure
 * every value arrived unchanged (a float printed in 17 digits can come back
 * one unit off through a JSON reader that is not correctly rounded). */
static bool verify(const rw_message *m, const tgm_bytes_t *msg, const char *where) {
    tgm_metadata_t *meta = NULL;
    tgm_error e = tgm_decode_metadata(msg->data, msg->len, &meta);
    if (e != TGM_ERROR_OK) {
        cli_lib_error(e, "%s: reading back the new message", where);
        return false;
    }
    const tgm_value_t *root = tgm_json_root(m->doc);
    const tgm_value_t *want_base = tgm_value_map_get(root, "base");
    const tgm_value_t *want_extra = tgm_value_map_get(root, "_extra_");
    size_t n = tgm_value_array_len(want_base);
    /* Base entries come back with _reserved_ added: compare them without. */
    tgm_json_t *got = jdoc_new();
    tgm_value_t *entry = jroot(got);
    bool ok = tgm_metadata_num_objects(meta) == n;
    for (size_t i = 0; ok && i < n; i++) {
        jset_copy(got, entry, tgm_metadata_object(meta, i));
        if (tgm_value_get_type(tgm_json_root(got)) == TGM_VALUE_TYPE_MAP) {
            jremove(got, entry, "_reserved_");
        }
        ok = tgm_value_equal(tgm_json_root(got), tgm_value_array_get(want_base, i));
    }
    tgm_json_free(got);
    if (ok) {
        const tgm_value_t *extra = tgm_metadata_extra(meta);
        ok = tgm_value_map_len(want_extra) == 0 ? tgm_value_map_len(extra) == 0
                                                : tgm_value_equal(extra, want_extra);
    }
    tgm_metadata_free(meta);
    if (!ok) {
        cli_error("%s: the metadata of the rewritten message differs from the original (a "
                  "value did not survive the encoder's JSON interface)",
                  where);
    }
    return ok;
}

bool rw_encode(const rw_message *m, const char *hash_algo, const cli_globals *g, const char *where,
               tgm_bytes_t *out) {
    size_t n = m->nobj;
    const uint8_t **ptrs = xcalloc(n, sizeof *ptrs);
    size_t *lens = xcalloc(n, sizeof *lens);
    for (size_t i = 0; i < n; i++) {
        ptrs[i] = tgm_object_data(m->src[i]->enc, m->idx[i], &lens[i]);
    }
    /* Payloads are copied exactly as stored: nothing is decoded or
     * re-encoded, whatever the pipeline (compressed, masked, lossy). */
    char *json = encode_json(m);
    tgm_error e = tgm_encode_stored(json, ptrs, lens, n, hash_algo, g->threads, out);
    free(json);
    free(ptrs);
    free(lens);
    if (e != TGM_ERROR_OK) {
        cli_lib_error(e, "%s", where);
        return false;
    }
    if (!verify(m, out, where)) {
        tgm_bytes_free(*out);
        out->data = NULL;
        out->len = 0;
        return false;
    }
    return true;
}
