/* Per-thread cache of compiled metadata texts for tgm_encode and friends.
 *
 * ML pipelines encode millions of messages whose metadata JSON text is the
 * same from one call to the next.  Reading that text (JSON parse, model,
 * descriptors) and building the metadata CBOR cost ten times the message
 * itself, yet give the same result every time.  So each thread keeps the
 * message templates (message/encode.c, the engine of tgm_encoder_t) of the
 * last few texts it encoded, keyed on the exact bytes of the text and on
 * the translated options.  A template gives the bytes the general path
 * writes for the same input, and it reads the same values, so a cache hit
 * changes nothing but the time.
 *
 * What is cached: only texts that read without error and whose objects are
 * all copied unchanged (encoding, filter and compression "none", raw input,
 * no NaN / Inf masks: tgm__msg_template_fast), when TENSOGRAM_PROVENANCE
 * is not set (checked on every call, as the general path reads it on every
 * call).  A text is compiled the second time it is seen (a 64-bit hash of
 * each recent text is remembered), so a stream of ever-new texts pays one
 * hash per call and nothing else.  Anything else, and every error, goes
 * through the general path, so error codes and texts are unchanged.
 *
 * Thread safety: the cache is thread-local; templates never leave their
 * thread.  It is released when the thread exits (a pthread key
 * destructor). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "common/alloc.h"

#define SLOTS 4        /* compiled texts per thread */
#define SEEN 16        /* hashes of texts seen once */
#define MAX_TEXT 65536 /* longer texts are not kept */

typedef struct slot {
    char *text; /* NULL: empty slot */
    size_t len;
    tgm_msg_encode_opts mo;
    size_t n;
    tgm_msg_template *t; /* NULL: the text is known not to qualify */
    uint64_t used;
} slot;

typedef struct encode_cache {
    slot s[SLOTS];
    uint64_t seen[SEEN];
    unsigned seen_at;
    uint64_t clock;
    int registered;
} encode_cache;

static _Thread_local encode_cache tl_cache;
static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static int cache_key_ok;

static void slot_clear(slot *s) {
    tgm__msg_template_free(s->t);
    tgm__free(s->text);
    memset(s, 0, sizeof *s);
}

static void cache_release(void *v) {
    encode_cache *c = v;
    for (int i = 0; i < SLOTS; i++) {
        slot_clear(&c->s[i]);
    }
}

static void key_init(void) { cache_key_ok = pthread_key_create(&cache_key, cache_release) == 0; }

/* This thread's cache, registered for release at thread exit; NULL when
 * it cannot be (no key), and then nothing is kept. */
static encode_cache *this_cache(void) {
    encode_cache *c = &tl_cache;
    if (!c->registered) {
        pthread_once(&cache_once, key_init);
        if (!cache_key_ok || pthread_setspecific(cache_key, c) != 0) {
            return NULL;
        }
        c->registered = 1;
    }
    return c;
}

/* A 64-bit hash of the text and options for the seen-once list: a
 * multiply-xor over 8-byte words, a fifth of xxh3's cost on texts of a
 * few hundred bytes (this runs on every call with a new text).  A
 * collision only compiles a text one call early. */
static uint64_t mix(uint64_t h, uint64_t w) {
    h ^= w;
    h *= 0x9E3779B97F4A7C15ull;
    return h ^ (h >> 29);
}

static uint64_t text_hash(const char *text, size_t len, const tgm_msg_encode_opts *mo) {
    uint64_t h = mix(0x243F6A8885A308D3ull, len);
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, text + i, 8);
        h = mix(h, w);
    }
    uint64_t w = 0;
    memcpy(&w, text + i, len - i);
    h = mix(h, w);
    const unsigned char *o = (const unsigned char *)mo;
    for (i = 0; i + 8 <= sizeof *mo; i += 8) {
        memcpy(&w, o + i, 8);
        h = mix(h, w);
    }
    return h == 0 ? 1 : h; /* 0 marks an empty entry */
}

/* True when the text was seen before (the hash is remembered otherwise). */
static int seen_before(encode_cache *c, uint64_t h) {
    for (int i = 0; i < SEEN; i++) {
        if (c->seen[i] == h) {
            c->seen[i] = 0;
            return 1;
        }
    }
    c->seen[c->seen_at] = h;
    c->seen_at = (c->seen_at + 1) % SEEN;
    return 0;
}

/* Compile the text into the least recently used slot.  A text that does
 * not read (or memory running out) is remembered as not qualifying, with
 * the error state cleared: the general path does the work and reports
 * what there is to report.  NULL when the text cannot even be kept. */
static slot *compile(encode_cache *c, const tgm_api_encode_args *a, size_t len,
                     const tgm_msg_encode_opts *mo) {
    slot *s = &c->s[0];
    for (int i = 1; i < SLOTS; i++) {
        if (c->s[i].used < s->used) {
            s = &c->s[i];
        }
    }
    slot_clear(s);
    char *text = tgm__malloc(len + 1);
    if (text == NULL) {
        tgm__clear_error();
        return NULL;
    }
    memcpy(text, a->metadata_json, len + 1);
    s->text = text;
    s->len = len;
    s->mo = *mo;
    s->n = a->num_objects;
    tgm_arena arena = TGM_ARENA_INIT;
    tgm_global_meta meta;
    tgm_descriptor *descs = NULL;
    tgm_msg_encode_opts mo2;
    tgm_msg_template *t = NULL;
    if (tgm__api_encode_prepare(a, &arena, &meta, &descs, NULL, &mo2) != TGM_ERROR_OK ||
        tgm__msg_template_new(&arena, &meta, descs, a->num_objects, &mo2, &t) != TGM_ERROR_OK) {
        tgm__clear_error();
    } else if (tgm__msg_template_fast(t)) {
        s->t = t;
        t = NULL;
    }
    tgm__msg_template_free(t);
    tgm__arena_free(&arena); /* empty when the template took it */
    return s;
}

tgm_error tgm__api_encode_cached(const tgm_api_encode_args *a, tgm_buf *out, bool *done) {
    *done = false;
    size_t len = strlen(a->metadata_json);
    if (len > MAX_TEXT) {
        return TGM_ERROR_OK;
    }
    tgm_msg_encode_opts mo;
    if (tgm__api_encode_opts(a, &mo) != TGM_ERROR_OK) {
        tgm__clear_error(); /* the general path reports it, in its order */
        return TGM_ERROR_OK;
    }
    encode_cache *c = this_cache();
    if (c == NULL) {
        return TGM_ERROR_OK;
    }
    slot *hit = NULL;
    for (int i = 0; i < SLOTS && hit == NULL; i++) {
        slot *s = &c->s[i];
        if (s->text != NULL && s->len == len && s->n == a->num_objects &&
            memcmp(&s->mo, &mo, sizeof mo) == 0 && memcmp(s->text, a->metadata_json, len) == 0) {
            hit = s;
        }
    }
    if (hit == NULL) {
        /* A new text (the usual miss) leaves here without reading the
         * environment: getenv scans it all. */
        if (!seen_before(c, text_hash(a->metadata_json, len, &mo))) {
            return TGM_ERROR_OK;
        }
        const char *env = getenv("TENSOGRAM_PROVENANCE");
        if (env != NULL && *env != '\0') {
            return TGM_ERROR_OK;
        }
        hit = compile(c, a, len, &mo);
        if (hit == NULL) {
            return TGM_ERROR_OK;
        }
    }
    hit->used = ++c->clock;
    const char *env = getenv("TENSOGRAM_PROVENANCE");
    if (hit->t == NULL || (env != NULL && *env != '\0')) {
        return TGM_ERROR_OK;
    }
    /* From here on, what the general path would do after reading the
     * metadata: the data checks, then the message. */
    *done = true;
    TGM_TRY(tgm__api_check_data(a->data_ptrs, a->data_lens, a->num_objects));
    return tgm__msg_template_encode(hit->t, a->data_ptrs, a->data_lens, out);
}
