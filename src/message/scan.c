/* Finding messages in a buffer (WIRE_FORMAT §9): forward hops through the
 * preamble's total_length, backward hops through the postamble's mirrored
 * total_length, and a meet-in-the-middle walker using both. */
#include <string.h>

#include "common/endian.h"
#include "common/error.h"
#include "message/message.h"

/* memmem-style search for the 8-byte end magic in [from, to). */
static size_t find_end_magic(const uint8_t *buf, size_t from, size_t to) {
    while (from + 8 <= to) {
        const uint8_t *p = memchr(buf + from, '3', to - from - 7);
        if (p == NULL) {
            return SIZE_MAX;
        }
        size_t at = (size_t)(p - buf);
        if (memcmp(p, TGM_END_MAGIC, 8) == 0) {
            return at;
        }
        from = at + 1;
    }
    return SIZE_MAX;
}

/* One forward hop at pos within [pos, bound): 1 and the message extent when
 * a message starts there. */
static int forward_hop(const uint8_t *buf, size_t pos, size_t bound, size_t *msg_len) {
    if (pos + TGM_MIN_MESSAGE_SIZE > bound || memcmp(buf + pos, TGM_MAGIC, 8) != 0 ||
        tgm__rd_be16(buf + pos + 8) != TGM_WIRE_VERSION) {
        return 0;
    }
    uint64_t tl = tgm__rd_be64(buf + pos + 16);
    if (tl > 0) {
        if (tl < TGM_MIN_MESSAGE_SIZE || tl > (uint64_t)(bound - pos)) {
            return 0;
        }
        size_t end = pos + (size_t)tl;
        if (memcmp(buf + end - 8, TGM_END_MAGIC, 8) != 0) {
            return 0;
        }
        *msg_len = (size_t)tl;
        return 1;
    }
    /* Streaming message: walk its frames to the postamble when possible
     * (robust against payload bytes that look like the end magic), else
     * search for the next end magic. */
    size_t len;
    if (tgm__msg_length(buf + pos, bound - pos, &len) == TGM_ERROR_OK) {
        *msg_len = len;
        return 1;
    }
    tgm__clear_error();
    size_t at = find_end_magic(buf, pos + TGM_PREAMBLE_SIZE, bound);
    if (at == SIZE_MAX) {
        return 0;
    }
    *msg_len = at + 8 - pos;
    return 1;
}

static tgm_error push(tgm_u64vec *o, tgm_u64vec *l, size_t off, size_t len) {
    TGM_TRY(tgm__u64vec_push(o, off));
    return tgm__u64vec_push(l, len);
}

static tgm_error scan_forward(const uint8_t *buf, size_t from, size_t to, tgm_u64vec *o,
                              tgm_u64vec *l) {
    size_t pos = from;
    while (pos + TGM_MIN_MESSAGE_SIZE <= to) {
        size_t mlen;
        if (buf[pos] == 'T' && forward_hop(buf, pos, to, &mlen)) {
            TGM_TRY(push(o, l, pos, mlen));
            pos += mlen;
            continue;
        }
        /* Jump to the next candidate magic byte. */
        const uint8_t *p = memchr(buf + pos + 1, 'T', to - pos - 1);
        if (p == NULL) {
            break;
        }
        pos = (size_t)(p - buf);
    }
    return TGM_ERROR_OK;
}

/* Backward hop ending at `end`: 1 = hit, 0 = no message, -1 = streaming
 * postamble (total_length 0): the forward walker must take over. */
static int backward_hop(const uint8_t *buf, size_t lo, size_t end, uint64_t max_size,
                        size_t *start) {
    if (end < lo + TGM_MIN_MESSAGE_SIZE || memcmp(buf + end - 8, TGM_END_MAGIC, 8) != 0) {
        return 0;
    }
    uint64_t tl = tgm__rd_be64(buf + end - 16);
    if (tl == 0) {
        return -1;
    }
    if (tl > max_size || tl < TGM_MIN_MESSAGE_SIZE || tl > (uint64_t)(end - lo)) {
        return 0;
    }
    size_t s = end - (size_t)tl;
    if (memcmp(buf + s, TGM_MAGIC, 8) != 0 || tgm__rd_be16(buf + s + 8) != TGM_WIRE_VERSION ||
        tgm__rd_be64(buf + s + 16) != tl) {
        return 0;
    }
    *start = s;
    return 1;
}

tgm_error tgm__scan(const uint8_t *buf, size_t len, const tgm_scan_opts *opts,
                    tgm_u64vec *offsets, tgm_u64vec *lengths) {
    tgm_scan_opts o = {true, (uint64_t)4 << 30};
    if (opts != NULL) {
        o = *opts;
    }
    if (buf == NULL || len < TGM_MIN_MESSAGE_SIZE) {
        return TGM_ERROR_OK;
    }
    if (!o.bidirectional) {
        return scan_forward(buf, 0, len, offsets, lengths);
    }
    /* Meet in the middle: forward hits go straight to the output; backward
     * hits are collected and appended in reverse at the end. */
    tgm_u64vec bo = TGM_U64VEC_INIT, bl = TGM_U64VEC_INIT;
    tgm_error err = TGM_ERROR_OK;
    size_t fwd = 0, bwd = len;
    bool backward_ok = true;
    while (fwd + TGM_MIN_MESSAGE_SIZE <= bwd) {
        size_t mlen;
        if (!forward_hop(buf, fwd, bwd, &mlen)) {
            /* Not at a message: finish with a plain forward scan. */
            break;
        }
        TGM_CHECK(push(offsets, lengths, fwd, mlen));
        fwd += mlen;
        if (!backward_ok || fwd + TGM_MIN_MESSAGE_SIZE > bwd) {
            continue;
        }
        size_t start;
        int r = backward_hop(buf, fwd, bwd, o.max_message_size, &start);
        if (r == 1) {
            TGM_CHECK(push(&bo, &bl, start, bwd - start));
            bwd = start;
        } else {
            backward_ok = false;
        }
    }
    TGM_CHECK(scan_forward(buf, fwd, bwd, offsets, lengths));
    for (size_t i = bo.n; i-- > 0;) {
        TGM_CHECK(push(offsets, lengths, (size_t)bo.v[i], (size_t)bl.v[i]));
    }
cleanup:
    tgm__u64vec_free(&bo);
    tgm__u64vec_free(&bl);
    return err;
}
