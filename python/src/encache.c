/* Encoders kept for encode_fast: one tgm_encoder_t per recent metadata.
 *
 * A program writing many small messages usually gives tensogram.encode the
 * same metadata and descriptors each time, or the same but for a few
 * values (a sample index, a label); only the arrays change.  The library's
 * encoder handle (tgm_encoder_t, docs/encoder.md) reads the metadata and
 * descriptors once and then writes each message for the cost of its
 * payload copy, hashes and provenance; tgm_encoder_set_* changes a
 * top-level value of a base entry or of _extra_ between messages.  Its
 * messages are the bytes tgm_encode_ex_into writes for the same metadata
 * text, data and options.
 *
 * encode_fast builds that text anyway (it is how the caller's dicts are
 * checked) and notes where the values an encoder can change sit in it.
 * The key of an encoder is the text with those values cut out (its
 * skeleton) and the options; a slot holds the key, the text its encoder
 * now encodes and the encoder.  A text with the same skeleton is written
 * by that encoder after setting the values that differ.
 *
 * An encoder is made the second time a skeleton is seen (the first time
 * only the key is kept), so metadata whose shape changes on every call
 * costs a key copy, not an encoder per message.  While a call uses an
 * encoder the slot does not hold it: with the GIL released, another thread
 * finds the slot busy and takes the general route, and a slot given to
 * another key meanwhile no longer owns the encoder, which the call then
 * frees.  With TENSOGRAM_PROVENANCE set (fixed provenance) no encoder is
 * used (a key is still remembered). */
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "tgmpy.h"

#define SLOTS 8

/* Payloads up to this size are encoded with the GIL held: releasing and
 * taking it back costs more than copying them. */
#define HOLD_GIL_BYTES ((size_t)16 << 10)

/* Where the skeleton had a value cut out (JSON text holds no raw 0x01). */
#define CUT '\x01'

typedef struct {
    char *key; /* skeleton, NUL, hash name (empty for none) */
    size_t keylen;
    uint64_t h;
    uint32_t threads;
    char *text; /* the metadata text the encoder encodes now */
    size_t text_len, text_cap;
    size_t np; /* the cut values: text[start[i]..end[i]) */
    size_t start[TGMPY_MAX_PATCHES], end[TGMPY_MAX_PATCHES];
    tgm_encoder_t *enc; /* NULL: not made yet, or in use by a call */
    int busy;
    size_t last_len; /* length of its last message (0: none yet) */
    uint64_t gen;    /* changes when the slot is cleared */
} slot_t;

static slot_t slots[SLOTS];
static unsigned next_victim;
static uint64_t generation;
static unsigned long long n_hits, n_made, n_missed, n_patched;

static void slot_clear(slot_t *s) {
    free(s->key);
    free(s->text);
    tgm_encoder_free(s->enc); /* NULL while a call uses it: the call frees it */
    memset(s, 0, sizeof *s);
    s->gen = ++generation;
}

void tgmpy_encache_clear(void) {
    for (size_t i = 0; i < SLOTS; i++) {
        slot_clear(&slots[i]);
    }
}

/* The slot's text and cuts become text / patches'. */
static int slot_set_text(slot_t *s, const char *text, size_t text_len, const tgmpy_patches *pp) {
    if (s->text_cap < text_len + 1) {
        char *t = realloc(s->text, text_len + 1);
        if (t == NULL) {
            return -1;
        }
        s->text = t;
        s->text_cap = text_len + 1;
    }
    memcpy(s->text, text, text_len + 1);
    s->text_len = text_len;
    s->np = pp->n;
    for (size_t i = 0; i < pp->n; i++) {
        s->start[i] = pp->p[i].start;
        s->end[i] = pp->p[i].end;
    }
    return 0;
}

/* Give the encoder the noted values that differ from the slot's text. */
static tgm_error set_changed(tgm_encoder_t *enc, const slot_t *s, const char *text,
                             const tgmpy_patches *pp, int *changed) {
    *changed = 0;
    for (size_t i = 0; i < pp->n; i++) {
        const tgmpy_patch *p = &pp->p[i];
        size_t n = p->end - p->start;
        if (n == s->end[i] - s->start[i] &&
            memcmp(text + p->start, s->text + s->start[i], n) == 0) {
            continue;
        }
        tgm_error e;
        switch (p->kind) {
        case TGMPY_PATCH_INT:
            e = tgm_encoder_set_i64(enc, p->object, p->key, p->i);
            break;
        case TGMPY_PATCH_FLOAT:
            e = tgm_encoder_set_f64(enc, p->object, p->key, p->f);
            break;
        case TGMPY_PATCH_STR:
            e = tgm_encoder_set_string(enc, p->object, p->key, p->s, p->slen);
            break;
        default: {
            tgm_json_t *doc;
            e = tgm_json_parse(text + p->start, n, 0, &doc);
            if (e == TGM_ERROR_OK) {
                e = tgm_encoder_set_value(enc, p->object, p->key, tgm_json_root(doc));
                tgm_json_free(doc);
            }
            break;
        }
        }
        if (e != TGM_ERROR_OK) {
            return e;
        }
        *changed = 1;
    }
    return TGM_ERROR_OK;
}

/* Run the encoder into a new bytes object, at first of the length of its
 * last message plus `slack` (values changed since); NULL (no exception) on
 * any failure. */
static PyObject *run(tgm_encoder_t *enc, size_t *last_len, size_t slack, const uint8_t *const *ptrs,
                     const size_t *lens, size_t n, size_t total, size_t text_len) {
    size_t cap = *last_len ? *last_len + slack : total + text_len + 1024 + 256 * n;
    for (int attempt = 0; attempt < 2; attempt++) {
        PyObject *res = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)cap);
        if (res == NULL) {
            PyErr_Clear();
            return NULL;
        }
        uint8_t *dst = (uint8_t *)PyBytes_AS_STRING(res);
        size_t len = 0;
        tgm_error e;
        if (total <= HOLD_GIL_BYTES) {
            e = tgm_encoder_encode_into(enc, ptrs, lens, n, dst, cap, &len);
        } else {
            TGMPY_NOGIL(e = tgm_encoder_encode_into(enc, ptrs, lens, n, dst, cap, &len));
        }
        if (e == TGM_ERROR_OK) {
            *last_len = len;
            if (len != cap && _PyBytes_Resize(&res, (Py_ssize_t)len) < 0) {
                PyErr_Clear();
                return NULL;
            }
            return res;
        }
        Py_DECREF(res);
        if (e != TGM_ERROR_INVALID_ARG || len <= cap) {
            return NULL; /* the general route reports it */
        }
        cap = len; /* too small: the length it needs */
    }
    return NULL;
}

PyObject *tgmpy_encache_encode(const char *text, size_t text_len, const tgmpy_patches *pp,
                               const tgm_encode_options *opts, const uint8_t *const *ptrs,
                               const size_t *lens, size_t n, size_t total) {
    /* The key: skeleton, NUL, hash name. */
    const char *hash = opts->hash_algo != NULL ? opts->hash_algo : "";
    size_t hlen = strlen(hash);
    char local[2048];
    size_t cap = text_len + pp->n + 1 + hlen;
    char *key = cap <= sizeof local ? local : malloc(cap);
    if (key == NULL) {
        return NULL;
    }
    size_t klen = 0, at = 0;
    for (size_t i = 0; i < pp->n; i++) {
        memcpy(key + klen, text + at, pp->p[i].start - at);
        klen += pp->p[i].start - at;
        key[klen++] = CUT;
        at = pp->p[i].end;
    }
    memcpy(key + klen, text + at, text_len - at);
    klen += text_len - at;
    key[klen++] = '\0';
    memcpy(key + klen, hash, hlen);
    klen += hlen;
    uint64_t h = XXH3_64bits(key, klen) ^ opts->threads;

    slot_t *s = NULL;
    for (size_t i = 0; i < SLOTS; i++) {
        if (slots[i].key != NULL && slots[i].h == h && slots[i].threads == opts->threads &&
            slots[i].keylen == klen && memcmp(slots[i].key, key, klen) == 0) {
            s = &slots[i];
            break;
        }
    }
    if (s == NULL) {
        /* First sighting: keep the key and text only, in a slot that has
         * no encoder if there is one (metadata seen once does not push
         * out the encoders of metadata that comes back), else in turn. */
        n_missed++;
        slot_t *v = NULL;
        for (size_t i = 0; i < SLOTS && v == NULL; i++) {
            slot_t *c = &slots[(next_victim + i) % SLOTS];
            if (c->enc == NULL && !c->busy) {
                v = c;
            }
        }
        if (v == NULL) {
            v = &slots[next_victim++ % SLOTS];
        }
        char *kept = malloc(klen);
        if (kept != NULL) {
            memcpy(kept, key, klen);
            slot_clear(v);
            v->key = kept;
            v->keylen = klen;
            v->h = h;
            v->threads = opts->threads;
            if (slot_set_text(v, text, text_len, pp) < 0) {
                slot_clear(v);
            }
        }
        if (key != local) {
            free(key);
        }
        return NULL;
    }
    if (key != local) {
        free(key);
    }
    /* Fixed provenance: no encoder is used (read only here: a new layout,
     * the usual miss, does not scan the environment). */
    const char *env = getenv("TENSOGRAM_PROVENANCE");
    if (s->busy || (env != NULL && *env != '\0')) {
        return NULL;
    }
    tgm_encoder_t *enc = s->enc;
    int changed = 0;
    size_t slack = 0;
    if (enc == NULL) {
        if (tgm_encoder_create(text, opts, &enc) != TGM_ERROR_OK) {
            return NULL; /* the general route reports the error */
        }
        if (slot_set_text(s, text, text_len, pp) < 0) {
            tgm_encoder_free(enc);
            return NULL;
        }
        n_made++;
    } else {
        size_t old_len = s->text_len;
        if (set_changed(enc, s, text, pp, &changed) != TGM_ERROR_OK) {
            /* Some values may be set, others not: drop the encoder. */
            s->enc = NULL;
            tgm_encoder_free(enc);
            return NULL;
        }
        if (changed) {
            /* A value's CBOR is not much longer than its JSON text. */
            slack = 64 + (text_len > old_len ? 2 * (text_len - old_len) : 0);
            if (slot_set_text(s, text, text_len, pp) < 0) {
                s->enc = NULL;
                tgm_encoder_free(enc);
                return NULL;
            }
            n_patched++;
        }
        n_hits++;
    }
    s->enc = NULL;
    s->busy = 1;
    uint64_t gen = s->gen;
    size_t last_len = s->last_len;
    PyObject *res = run(enc, &last_len, slack, ptrs, lens, n, total, text_len);
    if (s->gen == gen) {
        s->enc = enc;
        s->busy = 0;
        s->last_len = last_len;
    } else {
        tgm_encoder_free(enc); /* the slot was cleared meanwhile */
    }
    return res;
}

PyObject *tgmpy_encache_info(PyObject *self, PyObject *args) {
    (void)self;
    (void)args;
    return Py_BuildValue("{s:K,s:K,s:K,s:K}", "hits", n_hits, "made", n_made, "missed", n_missed,
                         "patched", n_patched);
}

PyObject *tgmpy_encache_reset(PyObject *self, PyObject *args) {
    (void)self;
    (void)args;
    tgmpy_encache_clear();
    n_hits = n_made = n_missed = n_patched = 0;
    Py_RETURN_NONE;
}
