/* The codec table and what is shared by the entries: typed key reads for
 * parsers, block-offset checks. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "codecs/codec.h"
#include "codecs/user.h"
#include "common/checked.h"
#include "common/error.h"

/* Every compression the format defines but "none", in documentation order
 * (the doctor lists features and self-tests in this order).  Adding a
 * codec: one line here (CONTRIBUTING.md, "Adding a codec"). */
#define CODECS(X)                                                                                  \
    X(szip)                                                                                        \
    X(zstd)                                                                                        \
    X(lz4)                                                                                         \
    X(blosc2)                                                                                      \
    X(zfp)                                                                                         \
    X(sz3)                                                                                         \
    X(rle)                                                                                         \
    X(roaring)

#define DECLARE(name) extern const tgm_codec tgm__codec_##name;
CODECS(DECLARE)
#undef DECLARE

#define ENTRY(name) &tgm__codec_##name,
static const tgm_codec *const table[] = {CODECS(ENTRY)};
#undef ENTRY

#define NCODECS (sizeof table / sizeof table[0])

size_t tgm__codec_count(void) { return NCODECS; }

const tgm_codec *tgm__codec_at(size_t i) { return i < NCODECS ? table[i] : NULL; }

const tgm_codec *tgm__codec_format(const char *name) {
    for (size_t i = 0; i < NCODECS; i++) {
        if (strcmp(table[i]->name, name) == 0) {
            return table[i];
        }
    }
    return NULL;
}

const tgm_codec *tgm__codec_lookup(const char *name) {
    if (strcmp(name, "none") == 0) {
        return NULL;
    }
    const tgm_codec *c = tgm__codec_format(name);
    if (c == NULL && tgm__ucodec_lookup(name, NULL)) {
        c = &tgm__codec_user;
    }
    return c;
}

const tgm_codec *tgm__codec_find(const char *name) {
    const tgm_codec *c = tgm__codec_format(name);
    return c != NULL && tgm__codec_built(c) ? c : NULL;
}

int tgm__codec_known(const char *name) {
    return strcmp(name, "none") == 0 || tgm__codec_format(name) != NULL;
}

/* "none, " then the table's names: built once, when first asked for. */
static char all_names[256];
static pthread_once_t all_names_once = PTHREAD_ONCE_INIT;

static void build_all_names(void) {
    size_t o = (size_t)snprintf(all_names, sizeof all_names, "none");
    for (size_t i = 0; i < NCODECS && o < sizeof all_names; i++) {
        o += (size_t)snprintf(all_names + o, sizeof all_names - o, ", %s", table[i]->name);
    }
}

const char *tgm__codec_all_names(void) {
    pthread_once(&all_names_once, build_all_names);
    return all_names;
}

void tgm__codec_params_init(tgm_codec_params *p, size_t typesize, size_t n) {
    memset(p, 0, sizeof *p);
    p->name = "";
    p->threads = 1;
    p->stream.typesize = typesize;
    p->stream.sample_bits = (uint32_t)(typesize * 8);
    p->stream.size = n;
    p->stream.n = typesize > 0 ? n / typesize : n;
}

tgm_error tgm__codec_inspect_fail(const tgm_codec_params *p) {
    return tgm__fail(TGM_ERROR_ENCODING, "%s: input rejected by the pipeline's check",
                     p->name != NULL ? p->name : "codec");
}

/* ---- key reads ------------------------------------------------------------- */

tgm_error tgm__key_u64(const tgm_codec_keys *k, const char *key, uint64_t *out) {
    return k->ops->u64(k->src, key, out);
}

tgm_error tgm__key_u32(const tgm_codec_keys *k, const char *key, uint32_t *out) {
    uint64_t v;
    TGM_TRY(k->ops->u64(k->src, key, &v));
    TGM_RETURN_IF(v > UINT32_MAX, TGM_ERROR_METADATA, "%s out of u32 range", key);
    *out = (uint32_t)v;
    return TGM_ERROR_OK;
}

tgm_error tgm__key_i32_or(const tgm_codec_keys *k, const char *key, int32_t dflt, int32_t *out) {
    int64_t v;
    TGM_TRY(k->ops->i64_or(k->src, key, dflt, &v));
    TGM_RETURN_IF(v < INT32_MIN || v > INT32_MAX, TGM_ERROR_METADATA,
                  "%s value %lld out of i32 range", key, (long long)v);
    *out = (int32_t)v;
    return TGM_ERROR_OK;
}

tgm_error tgm__key_f64(const tgm_codec_keys *k, const char *key, double *out) {
    return k->ops->f64(k->src, key, out);
}

tgm_error tgm__key_text_or(const tgm_codec_keys *k, const char *key, const char *dflt,
                           const char **out) {
    return k->ops->text_or(k->src, key, dflt, out);
}

const char *tgm__key_text(const tgm_codec_keys *k, const char *key) {
    return k->ops->text(k->src, key);
}

/* ---- block offsets ------------------------------------------------------------ */

const char *tgm__codec_offsets_key(const tgm_codec *c, char *buf, size_t cap) {
    if (c == NULL || (c->flags & TGM_CODEC_BLOCK_OFFSETS) == 0) {
        return NULL;
    }
    /* Built by hand: this runs for every codec on every encode, and
     * snprintf was a visible share of a small message. */
    static const char suffix[] = "_block_offsets";
    size_t n = strlen(c->name);
    size_t total = n + sizeof suffix; /* with the NUL */
    if (total > cap) {                /* truncated, as snprintf did */
        if (cap == 0) {
            return buf;
        }
        total = cap;
    }
    size_t from_name = n < total - 1 ? n : total - 1;
    memcpy(buf, c->name, from_name);
    memcpy(buf + from_name, suffix, total - 1 - from_name);
    buf[total - 1] = '\0';
    return buf;
}

tgm_error tgm__codec_check_offsets(const tgm_codec *c, const uint64_t *offsets, size_t n_offsets,
                                   size_t n) {
    char kb[64];
    const char *key = tgm__codec_offsets_key(c, kb, sizeof kb);
    if (key == NULL) {
        key = "block_offsets";
    }
    uint64_t nbits;
    TGM_RETURN_IF(tgm__mul_u64((uint64_t)n, 8, &nbits), TGM_ERROR_METADATA,
                  "%s: stream of %zu bytes is too long", c->name, n);
    TGM_RETURN_IF(n_offsets == 0 && n != 0, TGM_ERROR_METADATA,
                  "%s: %s is empty; first offset must be 0", c->name, key);
    for (size_t i = 0; i < n_offsets; i++) {
        uint64_t o = offsets[i];
        if (i == 0) {
            TGM_RETURN_IF(o != 0, TGM_ERROR_METADATA, "%s: %s[0]=%" PRIu64 " must be 0", c->name,
                          key, o);
        } else {
            TGM_RETURN_IF(o <= offsets[i - 1], TGM_ERROR_METADATA,
                          "%s: %s must be strictly increasing: %s[%zu]=%" PRIu64
                          " is not greater than %s[%zu]=%" PRIu64,
                          c->name, key, key, i, o, key, i - 1, offsets[i - 1]);
        }
        TGM_RETURN_IF(o >= nbits, TGM_ERROR_METADATA,
                      "%s: %s[%zu]=%" PRIu64 " points past the end of the %zu-byte stream (%" PRIu64
                      " bits)",
                      c->name, key, i, o, n, nbits);
    }
    return TGM_ERROR_OK;
}
