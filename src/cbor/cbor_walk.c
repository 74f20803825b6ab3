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
    /* Iterative: `todo` items are still to be read in the innermost
     * container opened by this walk (at first: the item itself); the
     * counts of the outer ones wait on `outer`, `top` of them. */
    uint64_t outer[TGM_CBOR_MAX_DEPTH + 1];
    unsigned top = 0;
    uint64_t todo = 1;
    size_t p = *pos;
    for (;;) {
        while (todo == 0) {
            if (top == 0) {
                *pos = p;
                return true;
            }
            todo = outer[--top];
        }
        todo--;
        if (p >= len) {
            return false;
        }
        unsigned b = buf[p];
        /* The usual items first, by range: small unsigned integers and
         * short text (most of what metadata holds). */
        if (b < 0x18u) {
            p++;
            continue;
        }
        if (b - 0x60u < 24u) {
            size_t n = b - 0x60u;
            p++;
            if (n > len - p || !tgm__cbor_fast_utf8(buf + p, n)) {
                return false;
            }
            p += n;
            continue;
        }
        unsigned ai = b & 0x1fu;
        uint64_t arg = ai;
        if (ai < 24) {
            p++;
        } else {
            tgm_cbor_fast h;
            if (!tgm__cbor_fast_head(buf, len, &p, &h)) {
                return false;
            }
            arg = h.arg;
        }
        size_t left = len - p;
        switch (b >> 5) {
        case TGM_CBOR_UINT:
        case TGM_CBOR_NINT:
            break;
        case TGM_CBOR_TEXT:
            if (arg > left || !tgm__cbor_fast_utf8(buf + p, (size_t)arg)) {
                return false;
            }
            p += (size_t)arg;
            break;
        case TGM_CBOR_BYTES:
            if (arg > left) {
                return false;
            }
            p += (size_t)arg;
            break;
        case TGM_CBOR_ARRAY:
        case TGM_CBOR_MAP: {
            uint64_t per = (b >> 5) == TGM_CBOR_MAP ? 2 : 1;
            if (depth + top >= TGM_CBOR_MAX_DEPTH || arg > left / per) {
                return false;
            }
            outer[top++] = todo;
            todo = arg * per;
            break;
        }
        case TGM_CBOR_TAG:
            if (depth + top >= TGM_CBOR_MAX_DEPTH) {
                return false;
            }
            outer[top++] = todo;
            todo = 1;
            break;
        default:
            /* Simple values and floats; 24 carries 32..255 only. */
            if (ai == 24 && arg < 32) {
                return false;
            }
            break;
        }
    }
}
