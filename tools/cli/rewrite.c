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
    jv *root = ok ? meta_to_jv(meta, where) : NULL;
    tgm_metadata_free(meta);
    if (root == NULL) {
        return false;
    }
    s->base = jv_take(root, "base");
    s->extra = jv_take(root, "_extra_");
    jv_free(root);
    if (s->base == NULL || s->base->kind != JV_ARR) {
        jv_free(s->base);
        s->base = jv_arr();
    }
    if (s->extra == NULL || s->extra->kind != JV_OBJ) {
        jv_free(s->extra);
        s->extra = jv_obj();
    }
    for (size_t i = 0; i < s->base->n; i++) {
        if (s->base->items[i]->kind == JV_OBJ) {
            jv_del(s->base->items[i], "_reserved_");
        }
    }
    /* One entry per object, so merged and split messages stay aligned. */
    while (s->base->n < s->nobj) {
        jv_push(s->base, jv_obj());
    }
    return true;
}

void rw_source_free(rw_source *s) {
    if (s->enc != NULL) {
        tgm_message_free(s->enc);
    }
    jv_free(s->base);
    jv_free(s->extra);
    free(s->where);
    memset(s, 0, sizeof *s);
}

/* ---- messages under construction ----------------------------------------------------------- */

void rw_init(rw_message *m) {
    memset(m, 0, sizeof *m);
    m->base = jv_arr();
    m->extra = jv_obj();
    m->descs = jv_arr();
}

void rw_free(rw_message *m) {
    jv_free(m->base);
    jv_free(m->extra);
    jv_free(m->descs);
    free(m->src);
    free(m->idx);
    memset(m, 0, sizeof *m);
}

bool rw_add_object(rw_message *m, const rw_source *s, size_t i) {
    jv *d = descriptor_to_jv(s->enc, i, s->where);
    if (d == NULL) {
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
    jv_push(m->descs, d);
    jv_push(m->base, jv_clone(s->base->items[i]));
    return true;
}

/* ---- encoding -------------------------------------------------------------------------------- */

static char *encode_json(const rw_message *m) {
    jv *root = jv_obj();
    jv_setc(root, "base", jv_clone(m->base));
    if (m->extra->n > 0) {
        jv_setc(root, "_extra_", jv_clone(m->extra));
    }
    jv_setc(root, "descriptors", jv_clone(m->descs));
    char *text = jv_to_string(root, JV_COMPACT);
    jv_free(root);
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
    jv *root = meta_to_jv(meta, where);
    tgm_metadata_free(meta);
    if (root == NULL) {
        return false;
    }
    jv *none = jv_arr();
    jv *base = jv_get(root, "base");
    jv *extra = jv_get(root, "_extra_");
    if (base == NULL) {
        base = none; /* empty sections are left out */
    }
    bool ok = base->kind == JV_ARR && base->n == m->base->n;
    for (size_t i = 0; ok && i < base->n; i++) {
        jv *entry = jv_clone(base->items[i]);
        jv_del(entry, "_reserved_");
        ok = jv_equal(entry, m->base->items[i]);
        jv_free(entry);
    }
    if (ok) {
        jv *empty = jv_obj();
        ok = jv_equal(extra ? extra : empty, m->extra);
        jv_free(empty);
    }
    jv_free(root);
    jv_free(none);
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
