/* Building new messages from the objects of existing ones (set, merge,
 * split, reshuffle).
 *
 * The metadata travels as JSON (the encoder's interface); the payloads are
 * copied as stored through tgm_encode_pre_encoded, so data is never
 * re-quantised or re-compressed.  Where the library refuses a stored payload
 * as pre-encoded input, the objects are decoded and encoded again, which is
 * what the reference tool does for every message. */
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

static char *encode_json(const rw_message *m, bool for_raw) {
    jv *root = jv_obj();
    jv_setc(root, "base", jv_clone(m->base));
    if (m->extra->n > 0) {
        jv_setc(root, "_extra_", jv_clone(m->extra));
    }
    jv *descs = jv_clone(m->descs);
    if (for_raw) {
        /* Computed by the encoder from the data. */
        for (size_t i = 0; i < descs->n; i++) {
            jv_del(descs->items[i], "masks");
            jv_del(descs->items[i], "szip_block_offsets");
        }
    }
    jv_setc(root, "descriptors", descs);
    char *text = jv_to_string(root, JV_COMPACT);
    jv_free(root);
    return text;
}

/* Payloads the library does not take pre-encoded (see rw_encode). */
static bool needs_reencode(const jv *desc) {
    const jv *enc = jv_get(desc, "encoding");
    const jv *comp = jv_get(desc, "compression");
    bool plain = enc != NULL && enc->kind == JV_STR && strcmp(enc->s, "none") == 0;
    bool compressed = comp != NULL && comp->kind == JV_STR && strcmp(comp->s, "none") != 0;
    return plain && (compressed || jv_get(desc, "masks") != NULL);
}

/* Compressors whose output decodes to different values: compressing their
 * decoded values again would lose precision a second time. */
static const char *lossy_compression(const jv *desc) {
    const jv *comp = jv_get(desc, "compression");
    if (comp != NULL && comp->kind == JV_STR &&
        (strcmp(comp->s, "zfp") == 0 || strcmp(comp->s, "sz3") == 0)) {
        return comp->s;
    }
    return NULL;
}

static bool encode_raw(const rw_message *m, const char *hash_algo, const cli_globals *g,
                       const char *where, tgm_bytes_t *out) {
    for (size_t i = 0; i < m->nobj; i++) {
        const char *lossy = lossy_compression(m->descs->items[i]);
        if (lossy != NULL) {
            cli_error("%s: object %zu is %s-compressed and the library cannot take its stored "
                      "payload as is; compressing the decoded values again would lose precision "
                      "a second time, so the message is not rewritten",
                      m->src[i]->where, m->idx[i], lossy);
            return false;
        }
    }
    TgmEncodeMaskOptions mo;
    if (!cli_mask_options(g, &mo)) {
        return false;
    }
    bool ok = false;
    size_t n = m->nobj;
    tgm_message_t **decoded = xcalloc(n, sizeof *decoded);
    const uint8_t **ptrs = xcalloc(n, sizeof *ptrs);
    size_t *lens = xcalloc(n, sizeof *lens);
    char *json = NULL;
    /* Decode each source message once, in its stored byte order, with
     * NaN / Inf restored so the encoder can record them again. */
    TgmDecodeMaskOptions restore = {true};
    for (size_t i = 0; i < n; i++) {
        size_t first = i;
        for (size_t j = 0; j < i; j++) {
            if (m->src[j] == m->src[i]) {
                first = j;
                break;
            }
        }
        if (first == i) {
            tgm_error e = tgm_decode_with_options(m->src[i]->buf, m->src[i]->len, 0, g->threads,
                                                  0, &restore, &decoded[i]);
            if (e != TGM_ERROR_OK) {
                cli_lib_error(e, "%s", m->src[i]->where);
                goto cleanup;
            }
        }
        ptrs[i] = tgm_object_data(decoded[first], m->idx[i], &lens[i]);
    }
    json = encode_json(m, true);
    tgm_error e = tgm_encode_with_options(json, ptrs, lens, n, hash_algo, g->threads, &mo, out);
    if (e != TGM_ERROR_OK) {
        const char *detail = tgm_last_error();
        bool nonfinite = detail != NULL && (strstr(detail, "NaN") || strstr(detail, "Inf") ||
                                            strstr(detail, "nan") || strstr(detail, "inf"));
        cli_lib_error(e, "%s: re-encoding%s", where,
                      nonfinite ? " (pass --allow-nan / --allow-inf to store non-finite values "
                                  "as masks)"
                                : "");
        goto cleanup;
    }
    ok = true;
cleanup:
    for (size_t i = 0; i < n; i++) {
        if (decoded[i] != NULL) {
            tgm_message_free(decoded[i]);
        }
    }
    free(decoded);
    free(ptrs);
    free(lens);
    free(json);
    return ok;
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

bool rw_encode(const rw_message *m, const char *hash_algo, const cli_globals *g,
               const char *where, tgm_bytes_t *out) {
    size_t n = m->nobj;
    const uint8_t **ptrs = xcalloc(n, sizeof *ptrs);
    size_t *lens = xcalloc(n, sizeof *lens);
    bool reencode = false;
    for (size_t i = 0; i < n; i++) {
        ptrs[i] = tgm_object_data(m->src[i]->enc, m->idx[i], &lens[i]);
        reencode = reencode || needs_reencode(m->descs->items[i]);
    }
    char *json = encode_json(m, false);
    tgm_error e = tgm_encode_pre_encoded(json, ptrs, lens, n, hash_algo, g->threads, out);
    free(json);
    free(ptrs);
    free(lens);
    bool ok;
    if (e == TGM_ERROR_OK) {
        ok = true;
    } else if (reencode) {
        ok = encode_raw(m, hash_algo, g, where, out);
    } else {
        cli_lib_error(e, "%s", where);
        ok = false;
    }
    if (ok && !verify(m, out, where)) {
        tgm_bytes_free(*out);
        out->data = NULL;
        out->len = 0;
        ok = false;
    }
    return ok;
}
