/* tt_provenance.h - a value of a message's provenance ("uuid" / "time"),
 * read through the public metadata API, for tests that compare messages
 * encoded at different moments. */
#ifndef TT_PROVENANCE_H
#define TT_PROVENANCE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tensogram/tensogram.h"

/* _reserved_[key] of the message at msg, NUL-terminated into out; 0, or
 * -1 when the message does not decode, has no such text or it does not
 * fit in cap bytes. */
static inline int tt_provenance_of(const uint8_t *msg, size_t len, const char *key, char *out,
                                   size_t cap) {
    tgm_metadata_t *md;
    if (tgm_decode_metadata(msg, len, &md) != TGM_ERROR_OK) {
        return -1;
    }
    size_t n = 0;
    const char *s = tgm_value_as_string(tgm_value_map_get(tgm_metadata_reserved(md), key), &n);
    int rc = s != NULL && n < cap ? 0 : -1;
    if (rc == 0) {
        memcpy(out, s, n);
        out[n] = '\0';
    }
    tgm_metadata_free(md);
    return rc;
}

#endif
