/* Encoders kept for encode_fast: one tgm_encoder_t per recent metadata.
 *
 * A program writing many small messages usually gives tensogram.encode the
 * same metadata and descriptors each time (only the arrays change).  The
 * library's encoder handle (tgm_encoder_t, docs/encoder.md) reads them once
 * and then writes each message for the cost of its payload copy, hashes and
 * provenance; tgm_encoder_encode* writes the bytes tgm_encode_ex_into
 * writes for the same metadata text, data and options.  encode_fast builds
 * that text anyway (the check of the caller's dicts), so the text itself is
 * the key: a few slots, each holding the text and options it was made for
 * and its encoder.
 *
 * An encoder is made the second time a text is seen (the first time only
 * the key is kept), so metadata that changes on every call costs a key
 * copy, not an encoder per message.  While a call uses an encoder the slot
 * does not hold it (slot->enc is NULL): with the GIL released, another
 * thread finds it busy and takes the general route; a slot replaced
 * meanwhile no longer owns the encoder, which the call then frees.  With
 * TENSOGRAM_PROVENANCE set (fixed provenance), no encoder is used. */
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "tgmpy.h"

#define SLOTS 8

/* Payloads up to this size are encoded with the GIL held: releasing and
 * taking it back costs more than copying them. */
#define HOLD_GIL_BYTES ((size_t)16 << 10)

typedef struct {
    char *key; /* metadata text, NUL, hash name */
    size_t keylen;
    uint64_t h;
    uint32_t threads;
    tgm_encoder_t *enc; /* NULL: not made yet, or in use by a call */
    int busy;
    size_t last_len; /* length of its last message (0: none yet) */
    uint64_t gen;    /* changes when the slot takes another key */
} slot_t;

static slot_t slots[SLOTS];
static unsigned next_victim;
static uint64_t generation;
static unsigned long long n_hits, n_made, n_missed;

static void slot_clear(slot_t *s) {
    free(s->key);
    if (!s->busy) {
        tgm_encoder_free(s->enc); /* a busy encoder is freed by its call */
    }
    memset(s, 0, sizeof *s);
    s->gen = ++generation;
}

void tgmpy_encache_clear(void) {
    for (size_t i = 0; i < SLOTS; i++) {
        slot_clear(&slots[i]);
    }
}

/* The key of a text and options: text, NUL, hash name (empty for none). */
static char *make_key(const char *text, size_t tlen, const char *hash, size_t *klen) {
    size_t hl = hash != NULL ? strlen(hash) : 0;
    char *k = malloc(tlen + 1 + hl);
    if (k != NULL) {
        memcpy(k, text, tlen);
        k[tlen] = '\0';
        memcpy(k + tlen + 1, hash, hl);
        *klen = tlen + 1 + hl;
    }
    return k;
}

static int key_equal(const slot_t *s, const char *text, size_t tlen, const char *hash) {
    size_t hl = hash != NULL ? strlen(hash) : 0;
    return s->keylen == tlen + 1 + hl && memcmp(s->key, text, tlen) == 0 && s->key[tlen] == '\0' &&
           memcmp(s->key + tlen + 1, hash, hl) == 0;
}

/* Run the encoder into a new bytes object; NULL (no exception) on any
 * failure. */
static PyObject *run(tgm_encoder_t *enc, size_t *last_len, const uint8_t *const *ptrs,
                     const size_t *lens, size_t n, size_t total, size_t text_len) {
    size_t cap = *last_len ? *last_len : total + text_len + 1024 + 256 * n;
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
            return NULL; /* the general path reports it */
        }
        cap = len; /* too small: the length it needs */
    }
    return NULL;
}

PyObject *tgmpy_encache_encode(const char *text, size_t text_len, const tgm_encode_options *opts,
                               const uint8_t *const *ptrs, const size_t *lens, size_t n,
                               size_t total) {
    const char *env = getenv("TENSOGRAM_PROVENANCE");
    if (env != NULL && *env != '\0') {
        return NULL;
    }
    const char *hash = opts->hash_algo;
    uint64_t h = XXH3_64bits(text, text_len) ^ opts->threads;
    slot_t *s = NULL;
    for (size_t i = 0; i < SLOTS; i++) {
        if (slots[i].key != NULL && slots[i].h == h && slots[i].threads == opts->threads &&
            key_equal(&slots[i], text, text_len, hash)) {
            s = &slots[i];
            break;
        }
    }
    if (s == NULL) {
        /* First sighting: keep the key only. */
        n_missed++;
        slot_t *v = &slots[next_victim++ % SLOTS];
        size_t klen;
        char *key = make_key(text, text_len, hash, &klen);
        if (key == NULL) {
            return NULL;
        }
        slot_clear(v);
        v->key = key;
        v->keylen = klen;
        v->h = h;
        v->threads = opts->threads;
        return NULL;
    }
    if (s->busy) {
        return NULL;
    }
    tgm_encoder_t *enc = s->enc;
    if (enc == NULL) {
        if (tgm_encoder_create(text, opts, &enc) != TGM_ERROR_OK) {
            return NULL; /* the general route reports the error */
        }
        n_made++;
    } else {
        n_hits++;
    }
    s->enc = NULL;
    s->busy = 1;
    uint64_t gen = s->gen;
    size_t last_len = s->last_len;
    PyObject *res = run(enc, &last_len, ptrs, lens, n, total, text_len);
    if (s->gen == gen) {
        s->enc = enc;
        s->busy = 0;
        s->last_len = last_len;
    } else {
        tgm_encoder_free(enc); /* the slot took another key meanwhile */
    }
    return res;
}

PyObject *tgmpy_encache_info(PyObject *self, PyObject *args) {
    (void)self;
    (void)args;
    return Py_BuildValue("{s:K,s:K,s:K}", "hits", n_hits, "made", n_made, "missed", n_missed);
}

PyObject *tgmpy_encache_reset(PyObject *self, PyObject *args) {
    (void)self;
    (void)args;
    tgmpy_encache_clear();
    n_hits = n_made = n_missed = 0;
    Py_RETURN_NONE;
}
