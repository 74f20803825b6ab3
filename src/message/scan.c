/* Finding messages in a buffer or a file (WIRE_FORMAT §9): forward hops
 * through the preamble's total_length, backward hops through the
 * postamble's mirrored total_length, and a meet-in-the-middle walker using
 * both.
 *
 * What counts as a message.  A region [s, e) is accepted when
 *  - its preamble and postamble both carry total_length e - s (the end is
 *    confirmed from both sides, so the region cannot be a torn message
 *    whose claimed length happens to reach the end of a later one), or
 *  - its end is not confirmed (total_length 0: a streaming message; or a
 *    postamble that does not mirror the preamble's length, which must
 *    then be where the walk ends) and walking its
 *    frames from the preamble reaches a postamble without passing the
 *    start of another preamble.
 * The second rule is what keeps a torn streaming message (a writer killed
 * before the footer, an encoder freed without finish) from swallowing the
 * messages written after it: the walk of the torn message stops at the
 * next preamble, fails, and the torn bytes become a gap that validation
 * and the CLI report.  The price: a message without a confirmed length
 * cannot carry the 10 preamble bytes "TENSOGRM" 0x00 0x03 inside it (a
 * stored Tensogram message as a raw payload); such a message is reported
 * as a gap and the inner message is found instead.
 *
 * Linear time on any input: a walk never goes past the next preamble, so
 * the walks of successive candidates cover disjoint windows; the preamble
 * search remembers its last answer; backward hops are O(1).
 *
 * Input comes either from memory (zero copy) or through a read callback
 * (files: pread into a small window, so a file that shrinks while it is
 * scanned gives a read error, never a signal). */
#include <string.h>

#include "common/alloc.h"
#include "common/endian.h"
#include "common/error.h"
#include "message/message.h"

#define NONE UINT64_MAX
#define CAND_LEN 10u                   /* "TENSOGRM" + version (u16 BE) */
#define WINDOW ((size_t)64 * 1024)     /* reader: bytes fetched around a peek */
#define LOOKBACK ((size_t)4 * 1024)    /* ... of which before the peeked offset */
#define SEARCH_CHUNK ((size_t)1 << 20) /* reader: bytes per preamble-search read */

/* Reader input keeps a few windows, least recently used replaced: one
 * follows the forward walker, one the backward walker, others hold the far
 * ends that candidates point at (a preamble and its postamble), so no
 * access pattern reloads a window at every hop. */
enum { FWD = 0, BWD = 1, NWIN = 4 };

typedef struct scan_win {
    uint8_t *buf;
    uint64_t off;
    size_t len;
    uint64_t used; /* last use, for LRU */
} scan_win;

typedef struct scan_in {
    const uint8_t *buf; /* memory input, or NULL: read through rd */
    const tgm_scan_reader *rd;
    uint64_t lo, hi;    /* readable range */
    scan_win win[NWIN]; /* reader: cached windows */
    uint64_t clock;
    uint8_t *chunk;     /* reader: preamble-search buffer ... */
    uint64_t chunk_off; /* ... holding [chunk_off, chunk_off + chunk_len) */
    size_t chunk_len;
    /* The last preamble search covered [m_from, m_to) and found m_at. */
    uint64_t m_from, m_to, m_at;
    tgm_error err; /* first read error; the scan fails with it */
} scan_in;

/* Bytes [off, off + n) (n <= LOOKBACK; the caller checks the range), or
 * NULL after a read error.  `dir` says which way the caller is moving: a
 * new window is filled mostly ahead of it. */
static const uint8_t *peek_dir(scan_in *in, uint64_t off, size_t n, int dir) {
    if (in->buf != NULL) {
        return in->buf + off;
    }
    if (in->err != TGM_ERROR_OK) {
        return NULL;
    }
    scan_win *w = &in->win[0];
    for (int k = 0; k < NWIN; k++) {
        scan_win *c = &in->win[k];
        if (c->len > 0 && off >= c->off && off + n <= c->off + c->len) {
            c->used = ++in->clock;
            return c->buf + (off - c->off);
        }
        if (c->used < w->used) {
            w = c;
        }
    }
    if (w->buf == NULL) {
        w->buf = tgm__malloc(WINDOW);
        if (w->buf == NULL) {
            in->err = tgm__oom(WINDOW, "scan window");
            return NULL;
        }
    }
    uint64_t start;
    if (dir == FWD) {
        start = off - in->lo > LOOKBACK ? off - LOOKBACK : in->lo;
    } else {
        uint64_t end = in->hi - (off + n) > LOOKBACK ? off + n + LOOKBACK : in->hi;
        start = end - in->lo > WINDOW ? end - WINDOW : in->lo;
    }
    size_t len = in->hi - start < WINDOW ? (size_t)(in->hi - start) : WINDOW;
    w->len = 0;
    tgm_error e = in->rd->read(in->rd->ctx, start, w->buf, len);
    if (e != TGM_ERROR_OK) {
        in->err = e;
        return NULL;
    }
    w->off = start;
    w->len = len;
    w->used = ++in->clock;
    return w->buf + (off - start);
}

static const uint8_t *peek(scan_in *in, uint64_t off, size_t n) {
    return peek_dir(in, off, n, FWD);
}

static bool is_candidate(const uint8_t *p) {
    return memcmp(p, TGM_MAGIC, 8) == 0 && tgm__rd_be16(p + 8) == TGM_WIRE_VERSION;
}

/* First candidate preamble start q in [from, to) in a memory block,
 * counting only those whose 10 bytes lie in the block (q + 10 <= n). */
static size_t find_in(const uint8_t *b, size_t from, size_t n) {
    while (from + CAND_LEN <= n) {
        const uint8_t *p = memchr(b + from, 'T', n - from - (CAND_LEN - 1));
        if (p == NULL) {
            break;
        }
        /* Check a few bytes from here inline: on input dense in 'T' one
         * memchr call per byte would dominate. */
        size_t i = (size_t)(p - b);
        size_t stop = n - (CAND_LEN - 1) - i > 16 ? i + 16 : n - (CAND_LEN - 1);
        for (; i < stop; i++) {
            if (b[i] == 'T' && b[i + 1] == 'E' && is_candidate(b + i)) {
                return i;
            }
        }
        from = stop;
    }
    return SIZE_MAX;
}

/* Uncached search of [from, to).  Reader input goes through a chunk
 * buffer kept between calls: successive searches move forward, so each
 * byte is read about once. */
static uint64_t search(scan_in *in, uint64_t from, uint64_t to) {
    if (in->buf != NULL) {
        size_t at = find_in(in->buf, (size_t)from, (size_t)to);
        return at == SIZE_MAX ? NONE : at;
    }
    if (in->chunk == NULL) {
        in->chunk = tgm__malloc(SEARCH_CHUNK);
        if (in->chunk == NULL) {
            in->err = tgm__oom(SEARCH_CHUNK, "scan buffer");
            return NONE;
        }
        in->chunk_len = 0;
    }
    while (from + CAND_LEN <= to) {
        if (!(in->chunk_len > 0 && from >= in->chunk_off &&
              from + CAND_LEN <= in->chunk_off + in->chunk_len)) {
            size_t n = in->hi - from < SEARCH_CHUNK ? (size_t)(in->hi - from) : SEARCH_CHUNK;
            in->chunk_len = 0;
            tgm_error e = in->rd->read(in->rd->ctx, from, in->chunk, n);
            if (e != TGM_ERROR_OK) {
                in->err = e;
                return NONE;
            }
            in->chunk_off = from;
            in->chunk_len = n;
        }
        uint64_t cend = in->chunk_off + in->chunk_len;
        uint64_t lim = to < cend ? to : cend;
        size_t at =
            find_in(in->chunk, (size_t)(from - in->chunk_off), (size_t)(lim - in->chunk_off));
        if (at != SIZE_MAX) {
            return in->chunk_off + at;
        }
        if (lim >= to || cend >= in->hi) {
            break;
        }
        from = lim - (CAND_LEN - 1); /* a candidate may straddle the chunk boundary */
    }
    return NONE;
}

/* The first candidate preamble q in [from, to) with q + 10 <= to, or NONE
 * (also after a read error: check in->err). */
static uint64_t next_candidate(scan_in *in, uint64_t from, uint64_t to) {
    if (from + CAND_LEN > to) {
        return NONE;
    }
    if (in->m_from <= from) {
        if (in->m_at != NONE && from <= in->m_at) {
            /* nothing in [from, m_at) */
            if (in->m_at + CAND_LEN <= to) {
                return in->m_at;
            }
            return NONE;
        }
        if (in->m_at == NONE && from <= in->m_to) {
            if (to <= in->m_to) {
                return NONE;
            }
            /* nothing in [from, m_to - 9): go on from there */
            uint64_t resume = in->m_to >= CAND_LEN - 1 ? in->m_to - (CAND_LEN - 1) : 0;
            if (resume > from) {
                uint64_t at = search(in, resume, to);
                in->m_to = to;
                in->m_at = at;
                return at;
            }
        }
    }
    uint64_t at = search(in, from, to);
    in->m_from = from;
    in->m_to = to;
    in->m_at = at;
    return at;
}

/* Walk the frames of the message starting at c within [c, wend) to its
 * postamble (the decoder's rules: frames hop by total_length, bytes that
 * are neither a frame nor the postamble are padding).  1 and *end, 0 when
 * the frames do not lead to a postamble inside the window, -1 on a read
 * error. */
static int walk(scan_in *in, uint64_t c, uint64_t wend, uint64_t *end) {
    if (wend - c < TGM_MIN_MESSAGE_SIZE) {
        return 0;
    }
    uint64_t body_end = wend - TGM_POSTAMBLE_SIZE; /* frames must end before a postamble */
    uint64_t p = c + TGM_PREAMBLE_SIZE;
    while (p + 2 <= body_end) {
        const uint8_t *b = peek(in, p, 2);
        if (b == NULL) {
            return -1;
        }
        if (b[0] == 'F' && b[1] == 'R') {
            if (p + TGM_FRAME_HEADER_SIZE > body_end) {
                return 0;
            }
            const uint8_t *h = peek(in, p, TGM_FRAME_HEADER_SIZE);
            if (h == NULL) {
                return -1;
            }
            tgm_frame_header fh;
            if (tgm__frame_header_read(h, TGM_FRAME_HEADER_SIZE, 0, &fh) != TGM_ERROR_OK ||
                fh.total_length > body_end - p ||
                fh.total_length < TGM_FRAME_HEADER_SIZE + tgm__frame_footer_size(fh.type)) {
                tgm__clear_error();
                return 0;
            }
            const uint8_t *t = peek(in, p + fh.total_length - TGM_DATA_FRAME_FOOTER_SIZE,
                                    TGM_DATA_FRAME_FOOTER_SIZE);
            if (t == NULL) {
                return -1;
            }
            if (tgm__frame_check_tail(t, (size_t)fh.total_length, 0, &fh, NULL) != TGM_ERROR_OK) {
                tgm__clear_error();
                return 0;
            }
            uint64_t next = p + fh.total_length;
            uint64_t aligned = c + ((next - c + 7) & ~(uint64_t)7);
            p = aligned <= body_end ? aligned : next;
            continue;
        }
        if (p + TGM_POSTAMBLE_SIZE <= wend) {
            const uint8_t *pa = peek(in, p + 16, 8);
            if (pa == NULL) {
                return -1;
            }
            if (memcmp(pa, TGM_END_MAGIC, 8) == 0) {
                *end = p + TGM_POSTAMBLE_SIZE;
                return 1;
            }
        }
        p++; /* padding */
    }
    /* The last frame may end right at the postamble. */
    if (p + TGM_POSTAMBLE_SIZE <= wend) {
        const uint8_t *pa = peek(in, p + 16, 8);
        if (pa == NULL) {
            return -1;
        }
        if (memcmp(pa, TGM_END_MAGIC, 8) == 0) {
            *end = p + TGM_POSTAMBLE_SIZE;
            return 1;
        }
    }
    return 0;
}

/* A message starting at candidate c, ending at most at `bound`: 1 and its
 * length, 0 when there is none, -1 on a read error. */
static int forward_hop(scan_in *in, uint64_t c, uint64_t bound, uint64_t *msg_len) {
    if (bound - c < TGM_MIN_MESSAGE_SIZE) {
        return 0;
    }
    const uint8_t *pre = peek(in, c, TGM_PREAMBLE_SIZE);
    if (pre == NULL) {
        return -1;
    }
    if (!is_candidate(pre)) {
        return 0;
    }
    uint64_t tl = tgm__rd_be64(pre + 16);
    uint64_t limit = bound;
    if (tl > 0) {
        if (tl < TGM_MIN_MESSAGE_SIZE || tl > bound - c) {
            return 0;
        }
        const uint8_t *pa = peek(in, c + tl - TGM_POSTAMBLE_SIZE, TGM_POSTAMBLE_SIZE);
        if (pa == NULL) {
            return -1;
        }
        if (memcmp(pa + 16, TGM_END_MAGIC, 8) != 0) {
            return 0;
        }
        uint64_t mirrored = tgm__rd_be64(pa + 8);
        if (mirrored == tl) {
            *msg_len = tl;
            return 1;
        }
        /* 0 (not back-filled) or a different length: the end is claimed by
         * the preamble only; confirm it by a walk. */
        limit = c + tl;
    }
    uint64_t q = next_candidate(in, c + 1, limit);
    if (in->err != TGM_ERROR_OK) {
        return -1;
    }
    uint64_t end;
    int r = walk(in, c, q == NONE ? limit : q, &end);
    if (r <= 0) {
        return r;
    }
    if (tl > 0 && end != c + tl) {
        return 0;
    }
    *msg_len = end - c;
    return 1;
}

/* Backward hop ending at `end`: 1 = hit, 0 = no message, 2 = streaming
 * postamble (total_length 0): the forward walker must take over; -1 on a
 * read error. */
static int backward_hop(scan_in *in, uint64_t lo, uint64_t end, uint64_t max_size,
                        uint64_t *start) {
    if (end - lo < TGM_MIN_MESSAGE_SIZE) {
        return 0;
    }
    const uint8_t *pa = peek_dir(in, end - TGM_POSTAMBLE_SIZE, TGM_POSTAMBLE_SIZE, BWD);
    if (pa == NULL) {
        return -1;
    }
    if (memcmp(pa + 16, TGM_END_MAGIC, 8) != 0) {
        return 0;
    }
    uint64_t tl = tgm__rd_be64(pa + 8);
    if (tl == 0) {
        return 2;
    }
    if (tl > max_size || tl < TGM_MIN_MESSAGE_SIZE || tl > end - lo) {
        return 0;
    }
    uint64_t s = end - tl;
    const uint8_t *pre = peek_dir(in, s, TGM_PREAMBLE_SIZE, BWD);
    if (pre == NULL) {
        return -1;
    }
    if (!is_candidate(pre) || tgm__rd_be64(pre + 16) != tl) {
        return 0;
    }
    *start = s;
    return 1;
}

static tgm_error push(tgm_u64vec *o, tgm_u64vec *l, uint64_t off, uint64_t len) {
    TGM_TRY(tgm__u64vec_push(o, off));
    return tgm__u64vec_push(l, len);
}

static tgm_error read_failed(scan_in *in) {
    return in->err != TGM_ERROR_OK ? in->err : tgm__fail(TGM_ERROR_IO, "scan: read failed");
}

static tgm_error scan_forward(scan_in *in, uint64_t from, uint64_t to, tgm_u64vec *o,
                              tgm_u64vec *l) {
    uint64_t pos = from;
    while (pos < to && to - pos >= TGM_MIN_MESSAGE_SIZE) {
        uint64_t c = next_candidate(in, pos, to);
        if (c == NONE) {
            return in->err;
        }
        uint64_t mlen;
        int r = forward_hop(in, c, to, &mlen);
        if (r < 0) {
            return read_failed(in);
        }
        if (r == 1) {
            TGM_TRY(push(o, l, c, mlen));
            pos = c + mlen;
        } else {
            pos = c + 1;
        }
    }
    return TGM_ERROR_OK;
}

static tgm_error scan_range(scan_in *in, uint64_t from, uint64_t to, const tgm_scan_opts *opts,
                            tgm_u64vec *offsets, tgm_u64vec *lengths) {
    tgm_scan_opts o = {true, (uint64_t)4 << 30};
    if (opts != NULL) {
        o = *opts;
    }
    in->lo = from;
    in->hi = to;
    in->m_from = NONE;
    in->m_to = 0;
    in->m_at = NONE;
    if (to < from || to - from < TGM_MIN_MESSAGE_SIZE) {
        return TGM_ERROR_OK;
    }
    if (!o.bidirectional) {
        return scan_forward(in, from, to, offsets, lengths);
    }
    /* Meet in the middle: forward hits go straight to the output; backward
     * hits are collected and appended in reverse at the end. */
    tgm_u64vec bo = TGM_U64VEC_INIT, bl = TGM_U64VEC_INIT;
    tgm_error err = TGM_ERROR_OK;
    uint64_t fwd = from, bwd = to;
    bool backward_ok = true;
    while (bwd - fwd >= TGM_MIN_MESSAGE_SIZE) {
        uint64_t mlen;
        int r = forward_hop(in, fwd, bwd, &mlen);
        if (r < 0) {
            err = read_failed(in);
            goto cleanup;
        }
        if (r == 0) {
            break; /* not at a message: finish with a plain forward scan */
        }
        TGM_CHECK(push(offsets, lengths, fwd, mlen));
        fwd += mlen;
        if (!backward_ok || bwd - fwd < TGM_MIN_MESSAGE_SIZE) {
            continue;
        }
        uint64_t start;
        r = backward_hop(in, fwd, bwd, o.max_message_size, &start);
        if (r < 0) {
            err = read_failed(in);
            goto cleanup;
        }
        if (r == 1) {
            TGM_CHECK(push(&bo, &bl, start, bwd - start));
            bwd = start;
        } else {
            backward_ok = false;
        }
    }
    TGM_CHECK(scan_forward(in, fwd, bwd, offsets, lengths));
    for (size_t i = bo.n; i-- > 0;) {
        TGM_CHECK(push(offsets, lengths, bo.v[i], bl.v[i]));
    }
cleanup:
    tgm__u64vec_free(&bo);
    tgm__u64vec_free(&bl);
    return err;
}

tgm_error tgm__scan(const uint8_t *buf, size_t len, const tgm_scan_opts *opts, tgm_u64vec *offsets,
                    tgm_u64vec *lengths) {
    if (buf == NULL) {
        return TGM_ERROR_OK;
    }
    scan_in in;
    memset(&in, 0, sizeof in);
    in.buf = buf;
    return scan_range(&in, 0, len, opts, offsets, lengths);
}

tgm_error tgm__scan_reader(const tgm_scan_reader *rd, uint64_t from, uint64_t to,
                           const tgm_scan_opts *opts, tgm_u64vec *offsets, tgm_u64vec *lengths) {
    scan_in in;
    memset(&in, 0, sizeof in);
    in.rd = rd;
    tgm_error e = scan_range(&in, from, to, opts, offsets, lengths);
    for (int k = 0; k < NWIN; k++) {
        tgm__free(in.win[k].buf);
    }
    tgm__free(in.chunk);
    return e;
}
