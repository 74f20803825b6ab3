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
    uint64_t nmap;
    if (!tgm__cbor_fast_map(buf, len, pos, &nmap)) {
        return false;
    }
    for (uint64_t i = 0; i < nmap; i++) {
        const uint8_t *k;
        size_t kn;
        if (!tgm__cbor_fast_text(buf, len, pos, &k, &kn) ||
            !tgm__cbor_fast_value(buf, len, pos, depth + 1)) {
            return false;
        }
    }
    *count = (size_t)nmap;
    return true;
}

static bool is_key(const uint8_t *k, size_t kn, const char *lit) {
    size_t n = strlen(lit);
    return kn == n && memcmp(k, lit, n) == 0;
}

bool tgm__gmeta_check_fast(const uint8_t *buf, size_t len, size_t *nbase) {
    tgm_meta_bytes mb;
    if (!tgm__gmeta_check_fast_into(buf, len, &mb)) {
        return false;
    }
    *nbase = mb.nbase;
    return true;
}

bool tgm__gmeta_check_fast_into(const uint8_t *buf, size_t len, tgm_meta_bytes *mb) {
    if (tgm__meta_direct_off) {
        return false;
    }
    size_t pos = 0;
    uint64_t nmap;
    if (!tgm__cbor_fast_map(buf, len, &pos, &nmap)) {
        return false;
    }
    size_t nb = 0, nfree = 0, nextra = 0, base_at = SIZE_MAX, extra_at = SIZE_MAX;
    for (uint64_t i = 0; i < nmap; i++) {
        const uint8_t *k;
        size_t kn, count;
        if (!tgm__cbor_fast_text(buf, len, &pos, &k, &kn)) {
            return false;
        }
        if (is_key(k, kn, "base")) {
            base_at = pos;
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
            extra_at = pos;
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
    *mb = (tgm_meta_bytes){buf, len, nb, true, base_at, extra_at, nfree};
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

/* ---- one key path read from the kept bytes ------------------------------
 * The same answers as tgm__meta_lookup / tgm__meta_lookup_at over the
 * sections tgm__gmeta_from_bytes would build: a section keeps the last of
 * equal keys (so the last match wins there), nested maps are searched in
 * wire order (first match), free-form top-level keys form _extra_ (the
 * check left them only next to an empty _extra_), base is the last
 * "base" array padded with empty maps to mb->nbase entries. */

/* Past the item at *pos (bytes already checked: no text re-check). */
static bool skip_item(const uint8_t *buf, size_t len, size_t *pos) {
    uint64_t todo = 1;
    size_t p = *pos;
    while (todo > 0) {
        todo--;
        tgm_cbor_fast h;
        if (!tgm__cbor_fast_head(buf, len, &p, &h)) {
            return false;
        }
        switch (h.major) {
        case TGM_CBOR_BYTES:
        case TGM_CBOR_TEXT:
            if (h.arg > len - p) {
                return false;
            }
            p += (size_t)h.arg;
            break;
        case TGM_CBOR_ARRAY:
        case TGM_CBOR_MAP:
            if (h.arg > len - p) {
                return false;
            }
            todo += h.major == TGM_CBOR_MAP ? 2 * h.arg : h.arg;
            break;
        case TGM_CBOR_TAG:
            todo++;
            break;
        default:
            break;
        }
    }
    *pos = p;
    return true;
}

/* A text key at *pos equal to [seg, seg+n)?  Advances past the key
 * (whatever its type); false on malformed bytes. */
static bool key_is(const uint8_t *buf, size_t len, size_t *pos, const char *seg, size_t n,
                   bool *eq) {
    size_t p = *pos;
    tgm_cbor_fast h;
    if (p < len && (buf[p] >> 5) == TGM_CBOR_TEXT) {
        if (!tgm__cbor_fast_head(buf, len, &p, &h) || h.arg > len - p) {
            return false;
        }
        *eq = h.arg == n && memcmp(buf + p, seg, n) == 0;
        *pos = p + (size_t)h.arg;
        return true;
    }
    *eq = false;
    return skip_item(buf, len, pos);
}

/* Lookup results: found (*at = the value's position), missing, or give
 * up (the caller then builds the tree). */
enum { G_FOUND, G_MISSING, G_GIVEUP };

/* Resolve the dotted segments of p inside the value at *at (first match
 * in each nested map). */
static int walk_rest(const uint8_t *buf, size_t len, const char *p, size_t *at) {
    while (p != NULL) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        size_t pos = *at;
        tgm_cbor_fast h;
        if (!tgm__cbor_fast_head(buf, len, &pos, &h)) {
            return G_GIVEUP;
        }
        if (h.major != TGM_CBOR_MAP) {
            return G_MISSING;
        }
        bool found = false;
        for (uint64_t i = 0; i < h.arg && !found; i++) {
            if (!key_is(buf, len, &pos, p, n, &found)) {
                return G_GIVEUP;
            }
            if (!found && !skip_item(buf, len, &pos)) {
                return G_GIVEUP;
            }
        }
        if (!found) {
            return G_MISSING;
        }
        *at = pos;
        p = dot ? dot + 1 : NULL;
    }
    return G_FOUND;
}

/* in_section of lookup.c over the section map at *pos (advanced past it):
 * the last entry whose key is the first segment, then the rest. */
static int in_section(const uint8_t *buf, size_t len, size_t *pos, const char *path,
                      bool skip_reserved, size_t *at) {
    tgm_cbor_fast h;
    if (!tgm__cbor_fast_head(buf, len, pos, &h) || h.major != TGM_CBOR_MAP) {
        return G_GIVEUP;
    }
    const char *dot = strchr(path, '.');
    size_t n = dot ? (size_t)(dot - path) : strlen(path);
    bool never = skip_reserved && n == 10 && memcmp(path, TGM_RESERVED_KEY, 10) == 0;
    size_t hit = SIZE_MAX;
    for (uint64_t i = 0; i < h.arg; i++) {
        bool eq;
        if (!key_is(buf, len, pos, path, n, &eq)) {
            return G_GIVEUP;
        }
        if (eq) {
            hit = *pos;
        }
        if (!skip_item(buf, len, pos)) {
            return G_GIVEUP;
        }
    }
    if (never || hit == SIZE_MAX) {
        return G_MISSING;
    }
    *at = hit;
    return dot ? walk_rest(buf, len, dot + 1, at) : G_FOUND;
}

/* The free-form top-level keys as a section (last match wins). */
static int in_free_form(const uint8_t *buf, size_t len, const char *path, size_t *at) {
    size_t pos = 0;
    tgm_cbor_fast h;
    if (!tgm__cbor_fast_head(buf, len, &pos, &h) || h.major != TGM_CBOR_MAP) {
        return G_GIVEUP;
    }
    const char *dot = strchr(path, '.');
    size_t n = dot ? (size_t)(dot - path) : strlen(path);
    size_t hit = SIZE_MAX;
    for (uint64_t i = 0; i < h.arg; i++) {
        const uint8_t *k;
        size_t kn;
        if (!tgm__cbor_fast_text(buf, len, &pos, &k, &kn)) {
            return G_GIVEUP;
        }
        if (kn == n && memcmp(k, path, n) == 0 && !is_key(k, kn, "base") &&
            !is_key(k, kn, TGM_RESERVED_KEY) && !is_key(k, kn, TGM_EXTRA_KEY)) {
            hit = pos;
        }
        if (!skip_item(buf, len, &pos)) {
            return G_GIVEUP;
        }
    }
    if (hit == SIZE_MAX) {
        return G_MISSING;
    }
    *at = hit;
    return dot ? walk_rest(buf, len, dot + 1, at) : G_FOUND;
}

/* Where the sections start: the last "base" array and "_extra_" map
 * (SIZE_MAX when absent); *nfree counts the free-form keys. */
typedef struct {
    size_t base, extra, nfree;
} top_layout;

static bool layout(const uint8_t *buf, size_t len, top_layout *t) {
    size_t pos = 0;
    tgm_cbor_fast h;
    if (!tgm__cbor_fast_head(buf, len, &pos, &h) || h.major != TGM_CBOR_MAP) {
        return false;
    }
    t->base = t->extra = SIZE_MAX;
    t->nfree = 0;
    for (uint64_t i = 0; i < h.arg; i++) {
        const uint8_t *k;
        size_t kn;
        if (!tgm__cbor_fast_text(buf, len, &pos, &k, &kn)) {
            return false;
        }
        if (is_key(k, kn, "base")) {
            t->base = pos;
        } else if (is_key(k, kn, TGM_EXTRA_KEY)) {
            t->extra = pos;
        } else if (!is_key(k, kn, TGM_RESERVED_KEY)) {
            t->nfree++;
        }
        if (!skip_item(buf, len, &pos)) {
            return false;
        }
    }
    return true;
}

static int in_extra(const uint8_t *buf, size_t len, const top_layout *t, const char *path,
                    size_t *at) {
    if (t->nfree > 0) {
        return in_free_form(buf, len, path, at);
    }
    if (t->extra == SIZE_MAX) {
        return G_MISSING;
    }
    size_t pos = t->extra;
    return in_section(buf, len, &pos, path, false, at);
}

/* The value at `at` as a tgm_val: scalars in full (text pointing into
 * buf, not NUL-terminated), other kinds by kind only. */
static bool scalar_at(const uint8_t *buf, size_t len, size_t at, tgm_val *out) {
    tgm_cbor_fast h;
    memset(out, 0, sizeof *out);
    if (!tgm__cbor_fast_head(buf, len, &at, &h)) {
        return false;
    }
    switch (h.major) {
    case TGM_CBOR_UINT:
    case TGM_CBOR_NINT:
        out->kind = TGM_V_INT;
        out->neg = h.major == TGM_CBOR_NINT;
        out->num.u = h.arg;
        return true;
    case TGM_CBOR_TEXT:
        if (h.arg > len - at) {
            return false;
        }
        out->kind = TGM_V_TEXT;
        out->p.str = (const char *)buf + at;
        out->len = (size_t)h.arg;
        return true;
    case TGM_CBOR_BYTES:
        out->kind = TGM_V_BYTES;
        return true;
    case TGM_CBOR_ARRAY:
        out->kind = TGM_V_ARRAY;
        return true;
    case TGM_CBOR_MAP:
        out->kind = TGM_V_MAP;
        return true;
    case TGM_CBOR_TAG:
        out->kind = TGM_V_TAG;
        return true;
    default:
        break;
    }
    switch (h.ai) {
    case 20:
    case 21:
        out->kind = TGM_V_BOOL;
        out->num.b = h.ai == 21;
        return true;
    case 22:
        out->kind = TGM_V_NULL;
        return true;
    case 23:
        out->kind = TGM_V_UNDEFINED;
        return true;
    case 25:
        out->kind = TGM_V_FLOAT;
        out->fwidth = 2;
        out->num.f = tgm__cbor_half_to_double((uint16_t)h.arg);
        return true;
    case 26:
        out->kind = TGM_V_FLOAT;
        out->fwidth = 4;
        out->num.f = tgm__cbor_single_to_double((uint32_t)h.arg);
        return true;
    case 27:
        out->kind = TGM_V_FLOAT;
        out->fwidth = 8;
        memcpy(&out->num.f, &h.arg, 8);
        return true;
    default:
        out->kind = TGM_V_SIMPLE;
        out->num.u = h.arg;
        return true;
    }
}

int tgm__gmeta_get_fast(const tgm_meta_bytes *mb, size_t obj, const char *path, tgm_val *out) {
    if (mb->cbor == NULL) {
        return -1;
    }
    if (path == NULL || path[0] == '\0' || path[0] == '.' ||
        (obj != SIZE_MAX && obj >= mb->nbase)) {
        return 0;
    }
    const uint8_t *buf = mb->cbor;
    size_t len = mb->len;
    top_layout t = {mb->base_at, mb->extra_at, mb->nfree};
    if (!mb->has_layout && !layout(buf, len, &t)) {
        return -1;
    }
    const char *dot = strchr(path, '.');
    size_t n = dot ? (size_t)(dot - path) : strlen(path);
    int r = G_MISSING;
    size_t at = 0;
    if (obj == SIZE_MAX && ((n == 7 && memcmp(path, TGM_EXTRA_KEY, 7) == 0) ||
                            (n == 5 && memcmp(path, "extra", 5) == 0))) {
        r = dot ? in_extra(buf, len, &t, dot + 1, &at) : G_MISSING;
    } else {
        if (t.base != SIZE_MAX) {
            size_t pos = t.base;
            tgm_cbor_fast h;
            if (!tgm__cbor_fast_head(buf, len, &pos, &h) || h.major != TGM_CBOR_ARRAY) {
                return -1;
            }
            /* Entries past the array are the padding's empty maps. */
            for (uint64_t i = 0; i < h.arg && r == G_MISSING; i++) {
                if (obj != SIZE_MAX && i != obj) {
                    if (!skip_item(buf, len, &pos)) {
                        return -1;
                    }
                    continue;
                }
                r = in_section(buf, len, &pos, path, true, &at);
                if (obj != SIZE_MAX) {
                    break;
                }
            }
        }
        if (r == G_MISSING && obj == SIZE_MAX) {
            r = in_extra(buf, len, &t, path, &at);
        }
    }
    if (r == G_GIVEUP) {
        return -1;
    }
    if (r == G_MISSING) {
        return 0;
    }
    return scalar_at(buf, len, at, out) ? 1 : -1;
}
