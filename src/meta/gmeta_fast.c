/* Global metadata kept as CBOR (issue #19): a decode checks the metadata
 * frame with one walk over its bytes and builds base / _reserved_ /
 * _extra_ only when an accessor asks.  The walk accepts exactly what the
 * eager path (tgm__cbor_decode + tgm__gmeta_from_cbor) accepts, minus the
 * forms it leaves to that path (indefinite lengths; top-level free-form
 * keys next to a non-empty _extra_, which need the collision check): on
 * those, and on every error, the caller parses eagerly, which decides and
 * words the error. */
#include <string.h>

#include "cbor/cbor.h"
#include "common/error.h"
#include "meta/meta.h"

/* A map with text keys (base entries, _reserved_, _extra_) at `depth`;
 * *count receives its entry count. */
static bool text_keyed(const uint8_t *buf, size_t len, size_t *pos, unsigned depth, size_t *count) {
    tgm_cbor_fast h;
    if (!tgm__cbor_fast_head(buf, len, pos, &h) || h.major != TGM_CBOR_MAP ||
        h.arg > (len - *pos) / 2) {
        return false;
    }
    for (uint64_t i = 0; i < h.arg; i++) {
        const uint8_t *k;
        size_t kn;
        if (!tgm__cbor_fast_text(buf, len, pos, &k, &kn) ||
            !tgm__cbor_fast_value(buf, len, pos, depth + 1)) {
            return false;
        }
    }
    *count = (size_t)h.arg;
    return true;
}

static bool is_key(const uint8_t *k, size_t kn, const char *lit) {
    size_t n = strlen(lit);
    return kn == n && memcmp(k, lit, n) == 0;
}

bool tgm__gmeta_check_fast(const uint8_t *buf, size_t len, size_t *nbase) {
    if (tgm__meta_direct_off) {
        return false;
    }
    size_t pos = 0;
    tgm_cbor_fast h;
    if (!tgm__cbor_fast_head(buf, len, &pos, &h) || h.major != TGM_CBOR_MAP ||
        h.arg > (len - pos) / 2) {
        return false;
    }
    size_t nb = 0, nfree = 0, nextra = 0;
    for (uint64_t i = 0; i < h.arg; i++) {
        const uint8_t *k;
        size_t kn, count;
        if (!tgm__cbor_fast_text(buf, len, &pos, &k, &kn)) {
            return false;
        }
        if (is_key(k, kn, "base")) {
            tgm_cbor_fast a;
            if (!tgm__cbor_fast_head(buf, len, &pos, &a) || a.major != TGM_CBOR_ARRAY ||
                a.arg > len - pos) {
                return false;
            }
            for (uint64_t j = 0; j < a.arg; j++) {
                if (!text_keyed(buf, len, &pos, 2, &count)) {
                    return false;
                }
            }
            nb = (size_t)a.arg; /* a later "base" replaces an earlier one */
        } else if (is_key(k, kn, TGM_RESERVED_KEY)) {
            if (!text_keyed(buf, len, &pos, 1, &count)) {
                return false;
            }
        } else if (is_key(k, kn, TGM_EXTRA_KEY)) {
            if (!text_keyed(buf, len, &pos, 1, &nextra)) {
                return false;
            }
        } else {
            if (!tgm__cbor_fast_value(buf, len, &pos, 1)) {
                return false;
            }
            nfree++;
        }
    }
    if (nfree > 0 && nextra > 0) {
        return false;
    }
    *nbase = nb;
    return true;
}

tgm_error tgm__gmeta_from_bytes(tgm_arena *a, const tgm_meta_bytes *mb, tgm_global_meta *out) {
    tgm_val *root;
    tgm_global_meta m;
    TGM_TRY(tgm__cbor_decode(mb->cbor, mb->len, a, NULL, &root, NULL));
    TGM_TRY(tgm__gmeta_from_cbor(a, root, &m));
    if (m.nbase < mb->nbase) {
        tgm_val *nb = tgm__arena_calloc(a, mb->nbase, sizeof(tgm_val));
        if (nb == NULL) {
            return tgm__oom(mb->nbase * sizeof(tgm_val), "base");
        }
        if (m.nbase > 0) {
            memcpy(nb, m.base, m.nbase * sizeof(tgm_val));
        }
        for (size_t i = m.nbase; i < mb->nbase; i++) {
            nb[i].kind = TGM_V_MAP;
        }
        m.base = nb;
        m.nbase = mb->nbase;
    }
    *out = m;
    return TGM_ERROR_OK;
}
