/* Certain-acceptance checks for the direct readers of descriptors and
 * metadata (meta/): they walk definite-length CBOR without building a
 * tree and say "yes" only when tgm__cbor_decode would accept the same
 * bytes.  Anything else (malformed input, but also the valid forms they
 * leave alone: indefinite lengths) is a plain "no" with no error
 * recorded: the caller then runs the generic decoder, which gives the
 * answer and the error text.  The limits are the decoder's: nesting
 * depth (containers and tags at depth >= TGM_CBOR_MAX_DEPTH fail), the
 * UTF-8 rule for text, the two-byte simple value rule. */
#include "cbor/cbor.h"

bool tgm__cbor_fast_utf8_slow(const uint8_t *s, size_t n) {
    return tgm__utf8_invalid_at(s, n) == n;
}

bool tgm__cbor_fast_item(const uint8_t *buf, size_t len, size_t *pos, unsigned depth) {
    /* Iterative: todo[k] items are still to be read at the k-th container
     * opened by this walk (todo[0]: the item itself). */
    uint64_t todo[TGM_CBOR_MAX_DEPTH + 2];
    unsigned top = 0;
    todo[0] = 1;
    size_t p = *pos;
    for (;;) {
        while (todo[top] == 0) {
            if (top == 0) {
                *pos = p;
                return true;
            }
            top--;
        }
        todo[top]--;
        tgm_cbor_fast h;
        if (!tgm__cbor_fast_head(buf, len, &p, &h)) {
            return false;
        }
        size_t left = len - p;
        switch (h.major) {
        case TGM_CBOR_UINT:
        case TGM_CBOR_NINT:
            break;
        case TGM_CBOR_BYTES:
        case TGM_CBOR_TEXT:
            if (h.arg > left ||
                (h.major == TGM_CBOR_TEXT && !tgm__cbor_fast_utf8(buf + p, (size_t)h.arg))) {
                return false;
            }
            p += (size_t)h.arg;
            break;
        case TGM_CBOR_ARRAY:
        case TGM_CBOR_MAP: {
            uint64_t per = h.major == TGM_CBOR_MAP ? 2 : 1;
            if (depth + top >= TGM_CBOR_MAX_DEPTH || h.arg > left / per) {
                return false;
            }
            todo[++top] = h.arg * per;
            break;
        }
        case TGM_CBOR_TAG:
            if (depth + top >= TGM_CBOR_MAX_DEPTH) {
                return false;
            }
            todo[++top] = 1;
            break;
        default:
            /* Simple values and floats; 24 carries 32..255 only. */
            if (h.ai == 24 && h.arg < 32) {
                return false;
            }
            break;
        }
    }
}
