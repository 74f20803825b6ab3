/* Dotted-path lookup with the reference's scoping rules
 * (docs guide/metadata, FFI value cursor). */
#include <string.h>

#include "meta/meta.h"

/* First entry of a map whose key is the text [seg, seg+len). */
static const tgm_val *map_first(const tgm_val *m, const char *seg, size_t len) {
    if (m->kind != TGM_V_MAP) {
        return NULL;
    }
    for (size_t i = 0; i < m->len; i++) {
        const tgm_val *k = tgm__val_map_key(m, i);
        if (k->kind == TGM_V_TEXT && k->len == len && memcmp(k->p.str, seg, len) == 0) {
            return tgm__val_map_value(m, i);
        }
    }
    return NULL;
}

/* Resolve the segments of `path` starting at `p` inside value v. */
static const tgm_val *walk(const tgm_val *v, const char *p) {
    while (v != NULL && p != NULL) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        v = map_first(v, p, len);
        p = dot ? dot + 1 : NULL;
    }
    return v;
}

const tgm_val *tgm__path_walk(const tgm_val *root, const char *path) { return walk(root, path); }

/* Section lookup (sections are sorted and unique, so first == only). */
static const tgm_val *in_section(const tgm_val *sec, const char *path, bool skip_reserved) {
    const char *dot = strchr(path, '.');
    size_t len = dot ? (size_t)(dot - path) : strlen(path);
    if (skip_reserved && len == 10 && memcmp(path, TGM_RESERVED_KEY, 10) == 0) {
        return NULL;
    }
    const tgm_val *v = map_first(sec, path, len);
    if (v == NULL || dot == NULL) {
        return v;
    }
    return walk(v, dot + 1);
}

const tgm_val *tgm__meta_lookup(const tgm_global_meta *m, const char *path) {
    if (path == NULL || path[0] == '\0' || path[0] == '.') {
        return NULL;
    }
    const char *dot = strchr(path, '.');
    size_t len = dot ? (size_t)(dot - path) : strlen(path);
    if ((len == 7 && memcmp(path, TGM_EXTRA_KEY, 7) == 0) ||
        (len == 5 && memcmp(path, "extra", 5) == 0)) {
        return dot ? in_section(m->extra, dot + 1, false) : NULL;
    }
    for (size_t i = 0; i < m->nbase; i++) {
        const tgm_val *v = in_section(&m->base[i], path, true);
        if (v != NULL) {
            return v;
        }
    }
    return in_section(m->extra, path, false);
}

const tgm_val *tgm__meta_lookup_at(const tgm_global_meta *m, size_t i, const char *path) {
    if (path == NULL || path[0] == '\0' || path[0] == '.' || i >= m->nbase) {
        return NULL;
    }
    return in_section(&m->base[i], path, true);
}
