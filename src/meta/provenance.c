/* Provenance in _reserved_ (docs format/cbor-metadata) and the per-object
 * _reserved_.tensor entry. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "common/error.h"
#include "meta/meta.h"
#include "json/json.h"

#define ENCODER_NAME "tensogram-c"

static tgm_error random_bytes(uint8_t *out, size_t n) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom(out + got, n - got, 0);
        if (r < 0) {
            FILE *f = fopen("/dev/urandom", "rb");
            if (f == NULL || fread(out + got, 1, n - got, f) != n - got) {
                if (f != NULL) {
                    fclose(f);
                }
                return tgm__fail(TGM_ERROR_IO, "cannot read random bytes for the message UUID");
            }
            fclose(f);
            return TGM_ERROR_OK;
        }
        got += (size_t)r;
    }
    return TGM_ERROR_OK;
}

/* Random bytes for UUIDs come from the kernel in batches: one getrandom()
 * per UUID was a tenth of the cost of encoding a small message, and one per
 * 16 UUIDs still 5% of a message written by a kept encoder (Python's
 * encode): a batch is 256 UUIDs.  The pool is per thread, and is dropped in
 * a forked child (a fork generation bumped by an atfork handler; getpid()
 * is a system call on current glibc) so parent and child never hand out the
 * same bytes. */
#define UUID_POOL 4096

static _Atomic unsigned fork_generation = 1;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static void on_fork_child(void) { atomic_fetch_add(&fork_generation, 1); }
static void register_atfork(void) { (void)pthread_atfork(NULL, NULL, on_fork_child); }

static _Thread_local uint8_t pool[UUID_POOL];
static _Thread_local size_t pool_left;
static _Thread_local unsigned pool_generation;

static tgm_error uuid_random(uint8_t out[16]) {
    pthread_once(&atfork_once, register_atfork);
    unsigned gen = atomic_load_explicit(&fork_generation, memory_order_relaxed);
    if (pool_left < 16 || pool_generation != gen) {
        TGM_TRY(random_bytes(pool, sizeof pool));
        pool_left = sizeof pool;
        pool_generation = gen;
    }
    pool_left -= 16;
    memcpy(out, pool + pool_left, 16);
    memset(pool + pool_left, 0, 16); /* handed-out bytes do not linger */
    return TGM_ERROR_OK;
}

static tgm_error uuid_v4(char out[37]) {
    uint8_t b[16];
    TGM_TRY(uuid_random(b));
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    static const char hexd[] = "0123456789abcdef";
    size_t j = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            out[j++] = '-';
        }
        out[j++] = hexd[b[i] >> 4];
        out[j++] = hexd[b[i] & 15];
    }
    out[j] = '\0';
    return TGM_ERROR_OK;
}

/* The time stamp changes once a second: format it once per second and
 * thread. */
static void utc_now(char out[32]) {
    static _Thread_local time_t last = (time_t)-1;
    static _Thread_local char text[32];
    time_t t = time(NULL);
    if (t != last) {
        struct tm tmv;
        gmtime_r(&t, &tmv);
        strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tmv);
        last = t;
    }
    memcpy(out, text, sizeof text);
}

/* A text value over a string that outlives every tree (a literal): no copy. */
static void lit(tgm_val *v, const char *s) {
    memset(v, 0, sizeof *v);
    v->kind = TGM_V_TEXT;
    v->p.str = s;
    v->len = strlen(s);
}

static tgm_val *encoder_map(tgm_arena *a, const char *name, size_t nlen, const char *version,
                            size_t vlen) {
    tgm_val *m = tgm__val_map(a, 2);
    if (m == NULL || tgm__val_set_text(a, &m->p.items[0], "name", 4) != 0 ||
        tgm__val_set_text(a, &m->p.items[1], name, nlen) != 0 ||
        tgm__val_set_text(a, &m->p.items[2], "version", 7) != 0 ||
        tgm__val_set_text(a, &m->p.items[3], version, vlen) != 0) {
        return NULL;
    }
    return m;
}

tgm_error tgm__provenance(tgm_arena *a, tgm_val **out) {
    char uuid[37];
    char now[32];
    const tgm_val *enc_v = NULL, *time_v = NULL, *uuid_v = NULL;
    bool have_time = false, have_uuid = false, have_enc = false;

    const char *env = getenv("TENSOGRAM_PROVENANCE");
    if (env == NULL || *env == '\0') {
        /* The usual case: this library, now, a new UUID (the tree below
         * with nothing given, built without sorting). */
        TGM_TRY(uuid_v4(uuid));
        utc_now(now);
        return tgm__provenance_with(a, uuid, now, out);
    }
    {
        tgm_val *root;
        tgm_error e = tgm__json_parse(env, strlen(env), a, &root);
        if (e != TGM_ERROR_OK) {
            return tgm__wrap(TGM_ERROR_INVALID_ARG, "TENSOGRAM_PROVENANCE");
        }
        TGM_RETURN_IF(root->kind != TGM_V_MAP, TGM_ERROR_INVALID_ARG,
                      "TENSOGRAM_PROVENANCE must be a JSON object with \"encoder\", \"time\" "
                      "and \"uuid\"");
        for (size_t i = 0; i < root->len; i++) {
            const tgm_val *k = tgm__val_map_key(root, i);
            const tgm_val *v = tgm__val_map_value(root, i);
            if (tgm__val_is_text(k, "encoder")) {
                TGM_RETURN_IF(v->kind != TGM_V_MAP && v->kind != TGM_V_TEXT &&
                                  v->kind != TGM_V_NULL,
                              TGM_ERROR_INVALID_ARG,
                              "TENSOGRAM_PROVENANCE: \"encoder\" must be an object "
                              "{\"name\", \"version\"}, a version string, or null");
                enc_v = v;
                have_enc = true;
            } else if (tgm__val_is_text(k, "time")) {
                TGM_RETURN_IF(v->kind != TGM_V_TEXT && v->kind != TGM_V_NULL, TGM_ERROR_INVALID_ARG,
                              "TENSOGRAM_PROVENANCE: \"time\" must be a string or null");
                time_v = v;
                have_time = true;
            } else if (tgm__val_is_text(k, "uuid")) {
                TGM_RETURN_IF(v->kind != TGM_V_TEXT && v->kind != TGM_V_NULL, TGM_ERROR_INVALID_ARG,
                              "TENSOGRAM_PROVENANCE: \"uuid\" must be a string or null");
                uuid_v = v;
                have_uuid = true;
            } else {
                return tgm__fail(TGM_ERROR_INVALID_ARG,
                                 "TENSOGRAM_PROVENANCE: unknown key \"%s\" (expected encoder, "
                                 "time, uuid)",
                                 k->kind == TGM_V_TEXT ? k->p.str : "?");
            }
        }
    }

    tgm_val *m = tgm__val_map(a, 3);
    if (m == NULL) {
        return tgm__oom(3, "provenance");
    }
    size_t j = 0;
    /* encoder */
    if (!have_enc || enc_v->kind != TGM_V_NULL) {
        tgm_val *em;
        if (have_enc && enc_v->kind == TGM_V_MAP) {
            em = tgm__val_clone(a, enc_v);
        } else if (have_enc) {
            em = encoder_map(a, "tensogram", 9, enc_v->p.str, enc_v->len);
        } else {
            em = encoder_map(a, ENCODER_NAME, strlen(ENCODER_NAME), TGM_VERSION_STRING,
                             strlen(TGM_VERSION_STRING));
        }
        if (em == NULL || tgm__val_set_text(a, &m->p.items[2 * j], "encoder", 7) != 0) {
            return tgm__oom(64, "provenance");
        }
        m->p.items[2 * j + 1] = *em;
        j++;
    }
    /* time */
    if (!have_time || time_v->kind != TGM_V_NULL) {
        const char *t = NULL;
        size_t tl = 0;
        if (have_time) {
            t = time_v->p.str;
            tl = time_v->len;
        } else {
            utc_now(now);
            t = now;
            tl = strlen(now);
        }
        if (tgm__val_set_text(a, &m->p.items[2 * j], "time", 4) != 0 ||
            tgm__val_set_text(a, &m->p.items[2 * j + 1], t, tl) != 0) {
            return tgm__oom(64, "provenance");
        }
        j++;
    }
    /* uuid */
    if (!have_uuid || uuid_v->kind != TGM_V_NULL) {
        const char *u;
        size_t ul;
        if (have_uuid) {
            u = uuid_v->p.str;
            ul = uuid_v->len;
        } else {
            TGM_TRY(uuid_v4(uuid));
            u = uuid;
            ul = 36;
        }
        if (tgm__val_set_text(a, &m->p.items[2 * j], "uuid", 4) != 0 ||
            tgm__val_set_text(a, &m->p.items[2 * j + 1], u, ul) != 0) {
            return tgm__oom(64, "provenance");
        }
        j++;
    }
    m->len = j;
    *out = tgm__section_normalise(a, m);
    return *out ? TGM_ERROR_OK : tgm__oom(64, "provenance");
}

tgm_error tgm__provenance_fresh(char uuid[37], char now[32]) {
    TGM_TRY(uuid_v4(uuid));
    utc_now(now);
    return TGM_ERROR_OK;
}

tgm_error tgm__provenance_live(bool *live, char uuid[37], char now[32]) {
    const char *env = getenv("TENSOGRAM_PROVENANCE");
    *live = env == NULL || *env == '\0';
    return *live ? tgm__provenance_fresh(uuid, now) : TGM_ERROR_OK;
}

tgm_error tgm__provenance_with(tgm_arena *a, const char *uuid, const char *now, tgm_val **out) {
    tgm_val *m = tgm__val_map(a, 3);
    tgm_val *em = tgm__val_map(a, 2);
    if (m == NULL || em == NULL || tgm__val_set_text(a, &m->p.items[3], now, strlen(now)) != 0 ||
        tgm__val_set_text(a, &m->p.items[5], uuid, strlen(uuid)) != 0) {
        return tgm__oom(64, "provenance");
    }
    /* Keys and the library's name and version are literals (no copies:
     * this runs for every message). */
    lit(&em->p.items[0], "name");
    lit(&em->p.items[1], ENCODER_NAME);
    lit(&em->p.items[2], "version");
    lit(&em->p.items[3], TGM_VERSION_STRING);
    lit(&m->p.items[0], "encoder");
    lit(&m->p.items[2], "time");
    lit(&m->p.items[4], "uuid");
    m->p.items[1] = *em;
    *out = m; /* encoder < time < uuid: already in order */
    return TGM_ERROR_OK;
}

tgm_error tgm__tensor_reserved(tgm_arena *a, const tgm_descriptor *d, tgm_val **out) {
    tgm_val *t = tgm__val_map(a, 4);
    tgm_val *shape = tgm__val_array(a, d->nshape);
    tgm_val *strides = tgm__val_array(a, d->nstrides);
    tgm_val *r = tgm__val_map(a, 1);
    if (t == NULL || shape == NULL || strides == NULL || r == NULL) {
        return tgm__oom(64, "_reserved_.tensor");
    }
    for (size_t i = 0; i < d->nshape; i++) {
        tgm__val_set_uint(&shape->p.items[i], d->shape[i]);
    }
    for (size_t i = 0; i < d->nstrides; i++) {
        tgm__val_set_uint(&strides->p.items[i], d->strides[i]);
    }
    /* Keys and the dtype name are literals (no copies). */
    lit(&t->p.items[0], "ndim");
    lit(&t->p.items[2], "shape");
    lit(&t->p.items[4], "strides");
    lit(&t->p.items[6], "dtype");
    lit(&t->p.items[7], tgm__dtype_name(d->dtype));
    lit(&r->p.items[0], "tensor");
    tgm__val_set_uint(&t->p.items[1], d->ndim);
    t->p.items[3] = *shape;
    t->p.items[5] = *strides;
    r->p.items[1] = *t;
    *out = r;
    return TGM_ERROR_OK;
}
