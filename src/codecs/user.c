/* User codec registry and callback invocation (see codecs/user.h and the
 * public include/tensogram/codec.h for the semantics). */
#include "codecs/user.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "codecs/codec.h"
#include "common/alloc.h"
#include "common/error.h"

#define NSLOTS (TGM_CODEC_ID_USER_MAX - TGM_CODEC_ID_USER_MIN + 1)
#define ERR_LEN 512
/* Definitions larger than ours (from a newer header) are accepted when
 * their unknown tail is zero; beyond this the size is not believable. */
#define MAX_DEF_SIZE 4096

struct tgm_ucodec {
    atomic_size_t refs;
    tgm_codec_def def; /* def.name points to name[] */
    char name[TGM_CODEC_NAME_MAX + 1];
};

/* slots[id - 160]: the registry.  Written under the write lock; read under
 * the read lock.  `count` lets lookups skip the lock when nothing is
 * registered (the common case). */
static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
static tgm_ucodec *slots[NSLOTS];
static atomic_int count;

/* ==== registry ============================================================== */

static bool name_char_ok(char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || ch == '.' || ch == '-';
}

static tgm_error check_def(const tgm_codec_def *def) {
    TGM_RETURN_IF(def == NULL, TGM_ERROR_INVALID_ARG, "tgm_register_codec: null definition");
    TGM_RETURN_IF(def->size < sizeof(tgm_codec_def) || def->size > MAX_DEF_SIZE,
                  TGM_ERROR_INVALID_ARG,
                  "tgm_register_codec: tgm_codec_def.size is %zu, expected %zu (start from "
                  "TGM_CODEC_DEF_INIT)",
                  def->size, sizeof(tgm_codec_def));
    if (def->size > sizeof(tgm_codec_def)) {
        /* A newer header's definition: usable only when it asks for nothing
         * this library does not know. */
        const unsigned char *tail = (const unsigned char *)def + sizeof(tgm_codec_def);
        for (size_t i = 0; i < def->size - sizeof(tgm_codec_def); i++) {
            TGM_RETURN_IF(tail[i] != 0, TGM_ERROR_INVALID_ARG,
                          "tgm_register_codec: tgm_codec_def of %zu bytes sets fields this "
                          "library (%zu bytes) does not know",
                          def->size, sizeof(tgm_codec_def));
        }
    }
    const char *name = def->name;
    TGM_RETURN_IF(name == NULL || name[0] == '\0', TGM_ERROR_INVALID_ARG,
                  "tgm_register_codec: codec name is %s", name == NULL ? "NULL" : "empty");
    size_t len = strnlen(name, TGM_CODEC_NAME_MAX + 1);
    TGM_RETURN_IF(len > TGM_CODEC_NAME_MAX, TGM_ERROR_INVALID_ARG,
                  "tgm_register_codec: codec name longer than %d characters", TGM_CODEC_NAME_MAX);
    for (size_t i = 0; i < len; i++) {
        TGM_RETURN_IF(!name_char_ok(name[i]), TGM_ERROR_INVALID_ARG,
                      "tgm_register_codec: codec name \"%s\" has a character outside "
                      "[A-Za-z0-9_.-] at position %zu",
                      name, i);
    }
    TGM_RETURN_IF(tgm__codec_known(name), TGM_ERROR_INVALID_ARG,
                  "tgm_register_codec: \"%s\" is a built-in compression name (reserved: %s)", name,
                  tgm__codec_all_names());
    TGM_RETURN_IF(def->id < TGM_CODEC_ID_USER_MIN || def->id > TGM_CODEC_ID_USER_MAX,
                  TGM_ERROR_INVALID_ARG,
                  "tgm_register_codec: codec \"%s\": id %u is outside the user range %d..%d", name,
                  def->id, TGM_CODEC_ID_USER_MIN, TGM_CODEC_ID_USER_MAX);
    TGM_RETURN_IF(def->flags != 0, TGM_ERROR_INVALID_ARG,
                  "tgm_register_codec: codec \"%s\": flags must be 0, got 0x%x", name, def->flags);
    TGM_RETURN_IF(def->encode == NULL || def->decode == NULL, TGM_ERROR_INVALID_ARG,
                  "tgm_register_codec: codec \"%s\": the %s callback is required", name,
                  def->encode == NULL ? "encode" : "decode");
    return TGM_ERROR_OK;
}

static bool same_def(const tgm_codec_def *a, const tgm_codec_def *b) {
    return a->id == b->id && a->flags == b->flags && a->user == b->user && a->encode == b->encode &&
           a->decode == b->decode && a->decode_range == b->decode_range &&
           a->validate == b->validate && a->release == b->release;
}

/* Slot of `name` (caller holds the lock), or -1. */
static int find_locked(const char *name) {
    for (int i = 0; i < NSLOTS; i++) {
        if (slots[i] != NULL && strcmp(slots[i]->name, name) == 0) {
            return i;
        }
    }
    return -1;
}

tgm_error tgm__ucodec_register(const tgm_codec_def *def) {
    TGM_TRY(check_def(def));
    tgm_ucodec *e = tgm__calloc(1, sizeof *e);
    if (e == NULL) {
        return tgm__oom(sizeof *e, "a codec registration");
    }
    memcpy(&e->def, def, sizeof e->def);
    e->def.size = sizeof e->def;
    snprintf(e->name, sizeof e->name, "%s", def->name);
    e->def.name = e->name;
    atomic_init(&e->refs, 1);

    tgm_error err = TGM_ERROR_OK;
    bool inserted = false;
    pthread_rwlock_wrlock(&lock);
    int at = find_locked(e->name);
    tgm_ucodec *by_id = slots[def->id - TGM_CODEC_ID_USER_MIN];
    if (at >= 0) {
        const tgm_codec_def *old = &slots[at]->def;
        if (old->id != def->id) {
            err = tgm__fail(TGM_ERROR_INVALID_ARG,
                            "tgm_register_codec: codec \"%s\" is already registered with id %u "
                            "(asked for id %u)",
                            e->name, old->id, def->id);
        } else if (!same_def(old, &e->def)) {
            err = tgm__fail(TGM_ERROR_INVALID_ARG,
                            "tgm_register_codec: codec \"%s\" (id %u) is already registered with "
                            "other callbacks or user data; unregister it first",
                            e->name, def->id);
        } /* else: the same definition again, nothing to do */
    } else if (by_id != NULL) {
        err = tgm__fail(TGM_ERROR_INVALID_ARG,
                        "tgm_register_codec: codec id %u is already registered as \"%s\" (asked "
                        "for \"%s\")",
                        def->id, by_id->name, e->name);
    } else {
        slots[def->id - TGM_CODEC_ID_USER_MIN] = e;
        atomic_fetch_add(&count, 1);
        inserted = true;
    }
    pthread_rwlock_unlock(&lock);
    if (!inserted) {
        tgm__free(e); /* never shared: no release callback */
    }
    return err;
}

tgm_error tgm__ucodec_unregister(const char *name) {
    TGM_RETURN_IF(name == NULL, TGM_ERROR_INVALID_ARG, "tgm_unregister_codec: null name");
    tgm_ucodec *e = NULL;
    pthread_rwlock_wrlock(&lock);
    int at = find_locked(name);
    if (at >= 0) {
        e = slots[at];
        slots[at] = NULL;
        atomic_fetch_sub(&count, 1);
    }
    pthread_rwlock_unlock(&lock);
    TGM_RETURN_IF(e == NULL, TGM_ERROR_INVALID_ARG,
                  "tgm_unregister_codec: codec \"%.*s\" is not registered", TGM_CODEC_NAME_MAX,
                  name);
    tgm__ucodec_release(e); /* the table's reference */
    return TGM_ERROR_OK;
}

static void fill_info(const tgm_ucodec *e, tgm_codec_info *out) {
    if (out != NULL) {
        memcpy(out->name, e->name, sizeof out->name);
        out->id = e->def.id;
    }
}

bool tgm__ucodec_lookup(const char *name, tgm_codec_info *out) {
    if (name == NULL || atomic_load(&count) == 0) {
        return false;
    }
    pthread_rwlock_rdlock(&lock);
    int at = find_locked(name);
    if (at >= 0) {
        fill_info(slots[at], out);
    }
    pthread_rwlock_unlock(&lock);
    return at >= 0;
}

bool tgm__ucodec_lookup_id(uint32_t id, tgm_codec_info *out) {
    if (id < TGM_CODEC_ID_USER_MIN || id > TGM_CODEC_ID_USER_MAX || atomic_load(&count) == 0) {
        return false;
    }
    pthread_rwlock_rdlock(&lock);
    const tgm_ucodec *e = slots[id - TGM_CODEC_ID_USER_MIN];
    if (e != NULL) {
        fill_info(e, out);
    }
    pthread_rwlock_unlock(&lock);
    return e != NULL;
}

size_t tgm__ucodec_list(tgm_codec_info *out, size_t capacity) {
    size_t n = 0;
    if (atomic_load(&count) == 0) {
        return 0;
    }
    pthread_rwlock_rdlock(&lock);
    for (int i = 0; i < NSLOTS; i++) {
        if (slots[i] != NULL) {
            if (out != NULL && n < capacity) {
                fill_info(slots[i], &out[n]);
            }
            n++;
        }
    }
    pthread_rwlock_unlock(&lock);
    return n;
}

tgm_ucodec *tgm__ucodec_acquire(const char *name) {
    if (name == NULL || atomic_load(&count) == 0) {
        return NULL;
    }
    tgm_ucodec *e = NULL;
    pthread_rwlock_rdlock(&lock);
    int at = find_locked(name);
    if (at >= 0) {
        e = slots[at];
        atomic_fetch_add(&e->refs, 1);
    }
    pthread_rwlock_unlock(&lock);
    return e;
}

void tgm__ucodec_release(tgm_ucodec *c) {
    if (c == NULL || atomic_fetch_sub(&c->refs, 1) != 1) {
        return;
    }
    /* Last reference: the entry is out of the table and no callback runs. */
    if (c->def.release != NULL) {
        c->def.release(c->def.user);
    }
    tgm__free(c);
}

const char *tgm__ucodec_name(const tgm_ucodec *c) { return c->name; }
uint32_t tgm__ucodec_id(const tgm_ucodec *c) { return c->def.id; }
bool tgm__ucodec_has_range(const tgm_ucodec *c) { return c->def.decode_range != NULL; }

/* ==== one callback call ===================================================== */

/* What the library allocates per call: the public struct first, so that
 * tgm_codec_error can find the rest from the pointer the callback got. */
typedef struct invocation {
    tgm_codec_call call;
    char err[ERR_LEN]; /* set by tgm_codec_error */
} invocation;

struct tgm_codec_output {
    tgm_buf *buf;    /* encode: growable, written after `base` */
    size_t base;     /* buf->len when the call started */
    uint8_t *dst;    /* decode: fixed memory of `limit` bytes */
    size_t limit;    /* SIZE_MAX for encode */
    size_t len;      /* bytes committed */
    size_t reserved; /* bytes handed out by the last reserve */
    bool failed;
    char err[ERR_LEN]; /* why it failed */
};

static void out_fail(tgm_codec_output *o, const char *fmt, ...) TGM_PRINTF(2, 3);
static void out_fail(tgm_codec_output *o, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    if (!o->failed) { /* the first failure is the informative one */
        vsnprintf(o->err, sizeof o->err, fmt, ap);
    }
    va_end(ap);
    o->failed = true;
    o->reserved = 0;
}

uint8_t *tgm__ucodec_out_reserve(tgm_codec_output *o, size_t n) {
    if (o == NULL) {
        return NULL;
    }
    if (o->failed) {
        return NULL; /* the call fails anyway; keep the first reason */
    }
    if (n > o->limit - o->len) {
        out_fail(o,
                 "output of %zu bytes is full: %zu more bytes asked for after %zu (decode must "
                 "produce exactly %zu bytes)",
                 o->limit, n, o->len, o->limit);
        return NULL;
    }
    o->reserved = n;
    /* A zero-byte reservation always gets a valid pointer, even before the
     * output has any memory. */
    static uint8_t empty;
    if (o->dst != NULL || o->buf == NULL) {
        /* Decode output: straight into the caller's memory. */
        return o->dst != NULL ? o->dst + o->len : &empty;
    }
    if (tgm__buf_reserve(o->buf, n) != TGM_ERROR_OK) {
        out_fail(o, "out of memory growing the output by %zu bytes", n);
        return NULL;
    }
    return o->buf->data != NULL ? o->buf->data + o->buf->len : &empty;
}

tgm_error tgm__ucodec_out_commit(tgm_codec_output *o, size_t n) {
    if (o == NULL) {
        return TGM_ERROR_INVALID_ARG;
    }
    if (o->failed) {
        return TGM_ERROR_COMPRESSION;
    }
    if (n > o->reserved) {
        out_fail(o, "commit of %zu bytes after a reservation of %zu", n, o->reserved);
        return TGM_ERROR_INVALID_ARG;
    }
    o->len += n;
    if (o->buf != NULL) {
        o->buf->len += n;
    }
    o->reserved = 0;
    return TGM_ERROR_OK;
}

tgm_error tgm__ucodec_out_write(tgm_codec_output *o, const void *data, size_t n) {
    if (o == NULL) {
        return TGM_ERROR_INVALID_ARG;
    }
    if (n > 0 && data == NULL) {
        out_fail(o, "write of %zu bytes from a NULL pointer", n);
        return TGM_ERROR_INVALID_ARG;
    }
    uint8_t *p = tgm__ucodec_out_reserve(o, n);
    if (p == NULL) {
        return TGM_ERROR_COMPRESSION;
    }
    if (n > 0) {
        memcpy(p, data, n);
    }
    return tgm__ucodec_out_commit(o, n);
}

size_t tgm__ucodec_out_len(const tgm_codec_output *o) { return o != NULL ? o->len : 0; }
size_t tgm__ucodec_out_limit(const tgm_codec_output *o) { return o != NULL ? o->limit : 0; }

void tgm__ucodec_verror(const tgm_codec_call *call, const char *fmt, va_list ap) {
    if (call == NULL || fmt == NULL) {
        return;
    }
    /* The library built `call` as the first member of a (non-const)
     * invocation. */
    invocation *inv = (invocation *)(uintptr_t)call;
    vsnprintf(inv->err, sizeof inv->err, fmt, ap);
}

/* Codes a callback may report as they are; anything else is a codec
 * failure. */
static tgm_error map_code(tgm_error e) {
    return (e == TGM_ERROR_ENCODING || e == TGM_ERROR_METADATA || e == TGM_ERROR_COMPRESSION)
               ? e
               : TGM_ERROR_COMPRESSION;
}

static void inv_init(invocation *inv, const tgm_ucodec *c, const tgm_codec_call *in) {
    memset(inv, 0, sizeof *inv);
    inv->call = *in;
    inv->call.size = sizeof inv->call;
    inv->call.name = c->name;
    inv->call.id = c->def.id;
    if (inv->call.threads == 0) {
        inv->call.threads = 1;
    }
    if (inv->call.params_json == NULL) {
        inv->call.params_json = "{}";
        inv->call.params_json_len = 2;
    }
    if (inv->call.dtype == NULL) {
        inv->call.dtype = "";
    }
}

/* Turn the outcome of a callback into the library's result. */
static tgm_error finish(const tgm_ucodec *c, const invocation *inv, const tgm_codec_output *o,
                        const char *what, tgm_error rc) {
    if (o != NULL && o->failed) {
        return tgm__fail(TGM_ERROR_COMPRESSION, "user codec \"%s\" (id %u) %s: %s", c->name,
                         c->def.id, what, o->err);
    }
    if (rc == TGM_ERROR_OK) {
        return TGM_ERROR_OK;
    }
    tgm_error code = map_code(rc);
    if (inv->err[0] != '\0') {
        return tgm__fail(code, "user codec \"%s\" (id %u) %s: %s", c->name, c->def.id, what,
                         inv->err);
    }
    return tgm__fail(code, "user codec \"%s\" (id %u) %s failed (callback returned %d, %s)",
                     c->name, c->def.id, what, (int)rc, tgm__error_category(rc));
}

tgm_error tgm__ucodec_encode(tgm_ucodec *c, tgm_codec_call *call, const uint8_t *src, size_t n,
                             tgm_buf *out) {
    invocation inv;
    tgm_codec_output o;
    call->decoded_size = n;
    inv_init(&inv, c, call);
    memset(&o, 0, sizeof o);
    o.buf = out;
    o.base = out->len;
    o.limit = SIZE_MAX;
    static const uint8_t empty;
    tgm_error rc = c->def.encode(c->def.user, &inv.call, n ? src : &empty, n, &o);
    tgm_error err = finish(c, &inv, &o, "encode", rc);
    if (err != TGM_ERROR_OK) {
        out->len = o.base;
    }
    return err;
}

tgm_error tgm__ucodec_decode(tgm_ucodec *c, tgm_codec_call *call, const uint8_t *src, size_t n,
                             uint8_t *dst, size_t dst_len) {
    invocation inv;
    tgm_codec_output o;
    call->decoded_size = dst_len;
    inv_init(&inv, c, call);
    memset(&o, 0, sizeof o);
    o.dst = dst;
    o.limit = dst_len;
    static const uint8_t empty;
    tgm_error rc = c->def.decode(c->def.user, &inv.call, n ? src : &empty, n, &o);
    TGM_TRY(finish(c, &inv, &o, "decode", rc));
    TGM_RETURN_IF(o.len != dst_len, TGM_ERROR_COMPRESSION,
                  "user codec \"%s\" (id %u) decode: produced %zu bytes, expected %zu", c->name,
                  c->def.id, o.len, dst_len);
    return TGM_ERROR_OK;
}

tgm_error tgm__ucodec_decode_range(tgm_ucodec *c, tgm_codec_call *call, const uint8_t *src,
                                   size_t n, uint64_t byte_pos, uint64_t byte_size, uint8_t *dst) {
    TGM_RETURN_IF(c->def.decode_range == NULL, TGM_ERROR_COMPRESSION,
                  "range decode not supported for this compressor (%s); decode the whole "
                  "object instead",
                  c->name);
    TGM_RETURN_IF(byte_size > SIZE_MAX, TGM_ERROR_ENCODING, "range of %llu bytes too large",
                  (unsigned long long)byte_size);
    invocation inv;
    tgm_codec_output o;
    inv_init(&inv, c, call);
    memset(&o, 0, sizeof o);
    o.dst = dst;
    o.limit = (size_t)byte_size;
    static const uint8_t empty;
    tgm_error rc =
        c->def.decode_range(c->def.user, &inv.call, n ? src : &empty, n, byte_pos, byte_size, &o);
    TGM_TRY(finish(c, &inv, &o, "decode_range", rc));
    TGM_RETURN_IF(o.len != byte_size, TGM_ERROR_COMPRESSION,
                  "user codec \"%s\" (id %u) decode_range: produced %zu bytes, expected %llu",
                  c->name, c->def.id, o.len, (unsigned long long)byte_size);
    return TGM_ERROR_OK;
}

tgm_error tgm__ucodec_validate(tgm_ucodec *c, tgm_codec_call *call) {
    if (c->def.validate == NULL) {
        return TGM_ERROR_OK;
    }
    invocation inv;
    inv_init(&inv, c, call);
    tgm_error rc = c->def.validate(c->def.user, &inv.call);
    if (rc == TGM_ERROR_OK) {
        return TGM_ERROR_OK;
    }
    /* Refused parameters are the caller's input: ENCODING unless the
     * codec said METADATA. */
    tgm_error code = rc == TGM_ERROR_METADATA ? TGM_ERROR_METADATA : TGM_ERROR_ENCODING;
    if (inv.err[0] != '\0') {
        return tgm__fail(code, "user codec \"%s\" (id %u) refused the parameters %s: %s", c->name,
                         c->def.id, inv.call.params_json, inv.err);
    }
    return tgm__fail(code, "user codec \"%s\" (id %u) refused the parameters %s", c->name,
                     c->def.id, inv.call.params_json);
}
