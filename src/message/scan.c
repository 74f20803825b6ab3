/* Finding messages in a buffer (WIRE_FORMAT §9): forward hops through the
 * preamble's total_length, backward hops through the postamble's mirrored
 * total_length, and a meet-in-the-middle walker using both. */
#include <string.h>

#include "common/endian.h"
#include "common/error.h"
#include "message/message.h"

/* Work bounds of one scan.  A streaming message (total_length 0) is
 * delimited by walking its frames, and that walk skips any bytes between
 * frames (as the reference's does), so from a run of candidate preambles
 * the walks would examine the same bytes again and again: quadratic time
 * on a hostile buffer.  Failed walks are therefore charged their whole
 * window against a budget of a few times the buffer, after which
 * streaming messages are delimited by the next end magic only; and the
 * end-magic search remembers its last answer. */
typedef struct scan_ctx {
    size_t magic_from; /* the last end-magic search covered [magic_from, magic_to) ... */
    size_t magic_to;
    size_t magic_at; /* ... and found the first one here (SIZE_MAX: none) */
    uint64_t walk_budget;
} scan_ctx;

static void scan_ctx_init(scan_ctx *c, size_t len) {
    c->magic_from = SIZE_MAX;
    c->magic_to = 0;
    c->magic_at = SIZE_MAX;
    c->walk_budget = 4 * (uint64_t)len + ((uint64_t)1 << 20);
}

/* memmem-style search for the 8-byte end magic in [from, to). */
static size_t find_end_magic(scan_ctx *c, const uint8_t *buf, size_t from, size_t to) {
    if (c->magic_from <= from && to <= c->magic_to &&
        (c->magic_at == SIZE_MAX || from <= c->magic_at)) {
        /* inside the last search, at or before what it found */
        return c->magic_at != SIZE_MAX && c->magic_at + 8 <= to ? c->magic_at : SIZE_MAX;
    }
    size_t start = from, at = SIZE_MAX;
    while (from + 8 <= to) {
        const uint8_t *p = memchr(buf + from, '3', to - from - 7);
        if (p == NULL) {
            break;
        }
        size_t cand = (size_t)(p - buf);
        if (memcmp(p, TGM_END_MAGIC, 8) == 0) {
            at = cand;
            break;
        }
        from = cand + 1;
    }
    c->magic_from = start;
    c->magic_to = to;
    c->magic_at = at;
    return at;
}

/* One forward hop at pos within [pos, bound): 1 and the message extent when
 * a message starts there. */
static int forward_hop(scan_ctx *c, const uint8_t *buf, size_t pos, size_t bound, size_t *msg_len) {
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
    if (c->walk_budget > 0) {
        size_t window = bound - pos;
        if (window > c->walk_budget) {
            window = (size_t)c->walk_budget;
        }
        size_t len;
        if (tgm__msg_length(buf + pos, window, &len) == TGM_ERROR_OK) {
            *msg_len = len;
            return 1;
        }
        tgm__clear_error();
        c->walk_budget -= window;
    }
    size_t at = find_end_magic(c, buf, pos + TGM_PREAMBLE_SIZE, bound);
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

static tgm_error scan_forward(scan_ctx *c, const uint8_t *buf, size_t from, size_t to,
                              tgm_u64vec *o, tgm_u64vec *l) {
    size_t pos = from;
    while (pos + TGM_MIN_MESSAGE_SIZE <= to) {
        size_t mlen;
        if (buf[pos] == 'T' && forward_hop(c, buf, pos, to, &mlen)) {
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

tgm_error tgm__scan(const uint8_t *buf, size_t len, const tgm_scan_opts *opts, tgm_u64vec *offsets,
                    tgm_u64vec *lengths) {
    tgm_scan_opts o = {true, (uint64_t)4 << 30};
    if (opts != NULL) {
        o = *opts;
    }
    if (buf == NULL || len < TGM_MIN_MESSAGE_SIZE) {
        return TGM_ERROR_OK;
    }
    scan_ctx c;
    scan_ctx_init(&c, len);
    if (!o.bidirectional) {
        return scan_forward(&c, buf, 0, len, offsets, lengths);
    }
    /* Meet in the middle: forward hits go straight to the output; backward
     * hits are collected and appended in reverse at the end. */
    tgm_u64vec bo = TGM_U64VEC_INIT, bl = TGM_U64VEC_INIT;
    tgm_error err = TGM_ERROR_OK;
    size_t fwd = 0, bwd = len;
    bool backward_ok = true;
    while (fwd + TGM_MIN_MESSAGE_SIZE <= bwd) {
        size_t mlen;
        if (!forward_hop(&c, buf, fwd, bwd, &mlen)) {
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
    TGM_CHECK(scan_forward(&c, buf, fwd, bwd, offsets, lengths));
    for (size_t i = bo.n; i-- > 0;) {
        TGM_CHECK(push(offsets, lengths, (size_t)bo.v[i], (size_t)bl.v[i]));
    }
cleanup:
    tgm__u64vec_free(&bo);
    tgm__u64vec_free(&bl);
    return err;
}
