/* Remote-style file access (rfile.h): the scan by range reads and the
 * layout cache.
 *
 * The scan works in rounds; each round is one batched read of up to two
 * chunks, issued together (one round trip):
 *  - forward: bytes from the forward cursor F, `rf` of them (growing while
 *    chunks hold several messages), in which the walker hops from preamble
 *    to preamble; a message whose end lies outside the chunk has its end
 *    magic checked by the next chunk, which starts 8 bytes early;
 *  - backward (bidirectional): the `rb` bytes before the backward boundary
 *    B, in which the walker hops from postamble to postamble.  A candidate
 *    found through a postamble is committed only once its preamble (same
 *    magic, version and total_length) has been read: the next round's
 *    backward chunk is placed to end just after that preamble, so the
 *    check costs no extra round trip.
 * The two meet when F reaches B.  Disagreement (a forward message running
 * into the backward region) drops the backward results and the forward
 * walker finishes alone, as does anything unusual (a streaming postamble,
 * a failed check).  Bytes that are not a message are skipped the way the
 * local scanner skips them (search for the next magic), so a well-formed
 * file gives exactly the local scanner's messages.  Every chunk is kept in
 * the source's block cache: for files of small messages, later metadata and
 * object reads are then served without a request. */
#include <pthread.h>
#include <string.h>

#include "common/alloc.h"
#include "common/arena.h"
#include "common/endian.h"
#include "common/error.h"
#include "file/rfile.h"

#define CHUNK_MIN ((uint64_t)64 << 10)
#define CHUNK_MAX ((uint64_t)4 << 20)
#define LAYOUT_HEAD ((uint64_t)64 << 10) /* bytes read from each end of a message */
#define MAX_MESSAGE ((uint64_t)4 << 30)  /* backward hops larger than this are ignored */

typedef struct rentry {
    uint64_t off, len;
    uint16_t flags;
} rentry;

typedef struct rvec {
    rentry *v;
    size_t n, cap;
} rvec;

struct tgm_rfile {
    tgm_source *src;
    bool bidir;
    pthread_mutex_t lock;
    rvec fwd, bwd; /* bwd in discovery order: the last message first */
    rvec all;      /* file order, once complete */
    uint64_t f, b; /* forward cursor, backward boundary */
    bool fwd_done, bwd_on, complete;
    bool cand; /* backward candidate waiting for its preamble check */
    uint64_t cand_off, cand_len;
    bool verify_prev; /* the last forward entry's end magic is unchecked */
    bool resync;      /* forward walker searching for the next magic */
    uint64_t rf, rb;
    tgm_arena arena;     /* layouts */
    const tgm_msg **lay; /* per message index, NULL until read */
    uint8_t **dtypes;    /* per message: dtype + 1 per indexed object, 0 unknown */
    uint8_t ***ends;     /* per message, per object: 16 header bytes, tail length, tail */
    size_t nlay;
};

static tgm_error rvec_push(rvec *v, uint64_t off, uint64_t len, uint16_t flags) {
    if (v->n == v->cap) {
        size_t nc = v->cap ? v->cap * 2 : 64;
        rentry *nv = tgm__realloc(v->v, nc * sizeof *nv);
        if (nv == NULL) {
            return tgm__oom(nc * sizeof *nv, "message table");
        }
        v->v = nv;
        v->cap = nc;
    }
    v->v[v->n++] = (rentry){off, len, flags};
    return TGM_ERROR_OK;
}

tgm_error tgm__rfile_new(tgm_source *src, bool bidirectional, tgm_rfile **out) {
    tgm_rfile *r = tgm__calloc(1, sizeof *r);
    if (r == NULL) {
        return tgm__oom(sizeof *r, "remote file");
    }
    r->src = src;
    r->bidir = bidirectional;
    pthread_mutex_init(&r->lock, NULL);
    r->f = 0;
    r->b = src->size;
    r->bwd_on = bidirectional;
    r->rf = CHUNK_MIN;
    r->rb = CHUNK_MIN;
    r->arena = (tgm_arena)TGM_ARENA_INIT;
    *out = r;
    return TGM_ERROR_OK;
}

void tgm__rfile_free(tgm_rfile *r) {
    if (r == NULL) {
        return;
    }
    tgm__free(r->fwd.v);
    tgm__free(r->bwd.v);
    tgm__free(r->all.v);
    for (size_t i = 0; i < r->nlay; i++) {
        tgm__free(r->dtypes[i]);
        if (r->ends[i] != NULL && r->lay[i] != NULL) {
            for (size_t j = 0; j < r->lay[i]->nindex; j++) {
                tgm__free(r->ends[i][j]);
            }
        }
        tgm__free(r->ends[i]);
    }
    tgm__free(r->ends);
    tgm__free(r->dtypes);
    tgm__free(r->lay);
    tgm__arena_free(&r->arena);
    pthread_mutex_destroy(&r->lock);
    tgm__free(r);
}

static bool is_preamble(const uint8_t *p) {
    return memcmp(p, TGM_MAGIC, 8) == 0 && tgm__rd_be16(p + 8) == TGM_WIRE_VERSION;
}

/* Read [off, off+n) through the source's cache (fetched and kept when
 * missing). */
static tgm_error peek(tgm_rfile *r, uint64_t off, size_t n, void *dst) {
    tgm_source_range g = {off, n, dst};
    return tgm__source_read_many(r->src, &g, 1, true);
}

/* The backward walker gives up: its committed entries stay (they were
 * checked both ways) unless `drop` (they disagree with the forward walker). */
static void stop_backward(tgm_rfile *r, bool drop) {
    r->bwd_on = false;
    r->cand = false;
    if (drop) {
        r->bwd.n = 0;
        r->b = r->src->size;
    }
}

/* Check the preamble of candidate [s, s+len) at p. */
static bool candidate_ok(const uint8_t *p, uint64_t len) {
    return is_preamble(p) && tgm__rd_be64(p + 16) == len;
}

static tgm_error backward(tgm_rfile *r, const uint8_t *buf, uint64_t bs, uint64_t be) {
    if (r->cand) {
        uint64_t s = r->cand_off;
        if (s < bs || s + TGM_PREAMBLE_SIZE > be || !candidate_ok(buf + (s - bs), r->cand_len)) {
            stop_backward(r, false);
            return TGM_ERROR_OK;
        }
        TGM_TRY(rvec_push(&r->bwd, s, r->cand_len, tgm__rd_be16(buf + (s - bs) + 10)));
        r->b = s;
        r->cand = false;
    }
    while (r->bwd_on && r->b > r->f) {
        if (r->b - r->f < TGM_MIN_MESSAGE_SIZE || r->b - TGM_POSTAMBLE_SIZE < bs) {
            if (r->b - r->f < TGM_MIN_MESSAGE_SIZE) {
                stop_backward(r, false);
            }
            break; /* the rest is the forward walker's, or needs another chunk */
        }
        const uint8_t *pa = buf + (r->b - TGM_POSTAMBLE_SIZE - bs);
        if (memcmp(pa + 16, TGM_END_MAGIC, 8) != 0) {
            stop_backward(r, false);
            break;
        }
        uint64_t tl = tgm__rd_be64(pa + 8);
        if (tl == 0 || tl < TGM_MIN_MESSAGE_SIZE || tl > r->b - r->f || tl > MAX_MESSAGE) {
            /* A streaming postamble (length 0) or an implausible length:
             * the forward walker takes over. */
            stop_backward(r, false);
            break;
        }
        uint64_t s = r->b - tl;
        if (s >= bs && s + TGM_PREAMBLE_SIZE <= be) {
            if (!candidate_ok(buf + (s - bs), tl)) {
                stop_backward(r, false);
                break;
            }
            TGM_TRY(rvec_push(&r->bwd, s, tl, tgm__rd_be16(buf + (s - bs) + 10)));
            r->b = s;
            continue;
        }
        r->cand = true;
        r->cand_off = s;
        r->cand_len = tl;
        break;
    }
    return TGM_ERROR_OK;
}

/* A streaming message (total_length 0) starts at F: find where it ends.
 * First guess: it runs to the backward boundary (it is the last message
 * before the messages found backward, or of the file), which holds when
 * the postamble there says streaming and the footer frames it points to
 * parse up to it.  Otherwise walk its frames, as the local scanner does.
 * *len = 0 when no end is found (not a message). */
static tgm_error streaming_end(tgm_rfile *r, uint64_t *len) {
    uint64_t f = r->f, bound = r->b;
    *len = 0;
    if (bound - f >= TGM_MIN_MESSAGE_SIZE) {
        uint64_t n = bound - f;
        uint64_t hl = n < LAYOUT_HEAD ? n : LAYOUT_HEAD;
        uint64_t tlen = n < LAYOUT_HEAD ? n : LAYOUT_HEAD;
        uint8_t *head = tgm__malloc((size_t)hl), *tail = tgm__malloc((size_t)tlen);
        tgm_error err = TGM_ERROR_OK;
        if (head == NULL || tail == NULL) {
            err = tgm__oom((size_t)(hl + tlen), "streaming message");
        } else {
            tgm_source_range g[2] = {{f, (size_t)hl, head}, {bound - tlen, (size_t)tlen, tail}};
            err = tgm__source_read_many(r->src, g, 2, true);
        }
        bool ok = false;
        if (err == TGM_ERROR_OK) {
            const uint8_t *pa = tail + tlen - TGM_POSTAMBLE_SIZE;
            uint64_t ptl = tgm__rd_be64(pa + 8);
            if (memcmp(pa + 16, TGM_END_MAGIC, 8) == 0 && (ptl == 0 || ptl == n)) {
                tgm_arena a = TGM_ARENA_INIT;
                tgm_msg m;
                uint64_t nh = 0, nt = 0;
                tgm_error pe = tgm__msg_parse_pieces(head, (size_t)hl, tail, (size_t)tlen, n, &a,
                                                     &m, &nh, &nt);
                if (pe == TGM_ERROR_OK && nt > 0 && nt <= n) {
                    /* The footer region is longer than the tail read. */
                    uint8_t *t2 = tgm__malloc((size_t)nt);
                    if (t2 != NULL && peek(r, bound - nt, (size_t)nt, t2) == TGM_ERROR_OK) {
                        pe = tgm__msg_parse_pieces(head, (size_t)hl, t2, (size_t)nt, n, &a, &m, &nh,
                                                   &nt);
                    } else {
                        pe = TGM_ERROR_IO;
                    }
                    tgm__free(t2);
                }
                ok = pe == TGM_ERROR_OK && nt == 0 && m.has_index;
                tgm__arena_free(&a);
                tgm__clear_error();
            }
        }
        tgm__free(head);
        tgm__free(tail);
        TGM_TRY(err);
        if (ok) {
            *len = n;
            return TGM_ERROR_OK;
        }
    }
    /* Walk the frames: frame headers are read through the cache, each
     * miss fetching a chunk ahead. */
    uint64_t pos = f + TGM_PREAMBLE_SIZE;
    uint64_t skipped = 0;
    uint8_t h[24];
    while (pos + 2 <= bound && skipped < (1u << 20)) {
        size_t want = bound - pos >= 24 ? 24 : (size_t)(bound - pos);
        tgm_source_range g = {pos, (size_t)((bound - pos) < CHUNK_MIN ? bound - pos : CHUNK_MIN),
                              NULL};
        TGM_TRY(tgm__source_read_many(r->src, &g, 1, true));
        TGM_TRY(peek(r, pos, want, h));
        if (h[0] == 'F' && h[1] == 'R' && want >= 16) {
            uint64_t flen = tgm__rd_be64(h + 8);
            if (flen < TGM_FRAME_HEADER_SIZE || flen > bound - pos) {
                return TGM_ERROR_OK; /* broken frame: not a message */
            }
            uint64_t next = pos + flen, aligned = (next + 7u) & ~(uint64_t)7u;
            pos = aligned <= bound ? aligned : next;
            skipped = 0;
            continue;
        }
        if (want == 24 && memcmp(h + 16, TGM_END_MAGIC, 8) == 0) {
            *len = pos + TGM_POSTAMBLE_SIZE - f;
            return TGM_ERROR_OK;
        }
        pos++;
        skipped++;
    }
    return TGM_ERROR_OK;
}

static const uint8_t *find_magic(const uint8_t *p, size_t n) {
    while (n >= 8) {
        const uint8_t *t = memchr(p, 'T', n - 7);
        if (t == NULL) {
            return NULL;
        }
        if (memcmp(t, TGM_MAGIC, 8) == 0) {
            return t;
        }
        n -= (size_t)(t - p) + 1;
        p = t + 1;
    }
    return NULL;
}

static tgm_error forward(tgm_rfile *r, const uint8_t *buf, uint64_t fs, uint64_t fe) {
    uint64_t size = r->src->size;
    if (r->verify_prev && fs + 8 <= r->f && r->f <= fe) {
        r->verify_prev = false;
        if (memcmp(buf + (r->f - 8 - fs), TGM_END_MAGIC, 8) != 0) {
            /* Not a message after all: search again from its second byte. */
            rentry last = r->fwd.v[--r->fwd.n];
            r->f = last.off + 1;
            r->resync = true;
            stop_backward(r, false);
            return TGM_ERROR_OK;
        }
    }
    int64_t hops = 0;
    while (!r->fwd_done) {
        if (r->resync) {
            if (r->f >= r->b || r->b - r->f < TGM_MIN_MESSAGE_SIZE) {
                r->fwd_done = true;
                break;
            }
            if (r->f < fs || r->f >= fe) {
                break;
            }
            const uint8_t *m = find_magic(buf + (r->f - fs), (size_t)(fe - r->f));
            if (m == NULL) {
                uint64_t next = fe >= 7 ? fe - 7 : fe;
                r->f = next > r->f ? next : r->f;
                if (fe >= r->b) {
                    r->fwd_done = true;
                }
                break;
            }
            r->f = fs + (uint64_t)(m - buf);
            r->resync = false;
        }
        if (r->f >= r->b || r->b - r->f < TGM_MIN_MESSAGE_SIZE) {
            r->fwd_done = true; /* met the backward walker, or a tail too short */
            break;
        }
        if (r->f < fs || r->f + TGM_PREAMBLE_SIZE > fe) {
            break; /* next round */
        }
        const uint8_t *p = buf + (r->f - fs);
        if (!is_preamble(p)) {
            r->resync = true;
            r->f++;
            stop_backward(r, false);
            continue;
        }
        uint64_t tl = tgm__rd_be64(p + 16);
        uint16_t flags = tgm__rd_be16(p + 10);
        if (tl == 0) {
            uint64_t len;
            TGM_TRY(streaming_end(r, &len));
            if (len == 0) {
                r->resync = true;
                r->f++;
                stop_backward(r, false);
                continue;
            }
            TGM_TRY(rvec_push(&r->fwd, r->f, len, flags));
            r->f += len;
            continue;
        }
        if (tl < TGM_MIN_MESSAGE_SIZE || tl > size - r->f) {
            r->resync = true;
            r->f++;
            stop_backward(r, false);
            continue;
        }
        if (tl > r->b - r->f) {
            /* Runs into what the backward walker found: one of them is
             * wrong; the forward walker decides, as a one-way scan would. */
            stop_backward(r, true);
            continue;
        }
        if (r->f + tl <= fe) {
            if (memcmp(buf + (r->f + tl - 8 - fs), TGM_END_MAGIC, 8) != 0) {
                r->resync = true;
                r->f++;
                stop_backward(r, false);
                continue;
            }
        } else {
            r->verify_prev = true; /* checked by the next chunk */
        }
        TGM_TRY(rvec_push(&r->fwd, r->f, tl, flags));
        r->f += tl;
        hops++;
        if (r->verify_prev) {
            break;
        }
    }
    if (hops >= 2 && r->rf < CHUNK_MAX) {
        r->rf *= 2; /* small messages: read further ahead */
    }
    return TGM_ERROR_OK;
}

static tgm_error finish(tgm_rfile *r) {
    if (r->verify_prev) {
        /* The last forward message ends at the backward boundary: its end
         * magic was read with the backward chunk (cached). */
        uint8_t em[8];
        TGM_TRY(peek(r, r->f - 8, 8, em));
        r->verify_prev = false;
        if (memcmp(em, TGM_END_MAGIC, 8) != 0) {
            rentry last = r->fwd.v[--r->fwd.n];
            r->f = last.off + 1;
            r->resync = true;
            r->fwd_done = false;
            stop_backward(r, false);
            return TGM_ERROR_OK;
        }
    }
    r->all.n = 0;
    for (size_t i = 0; i < r->fwd.n; i++) {
        TGM_TRY(rvec_push(&r->all, r->fwd.v[i].off, r->fwd.v[i].len, r->fwd.v[i].flags));
    }
    for (size_t i = r->bwd.n; i-- > 0;) {
        TGM_TRY(rvec_push(&r->all, r->bwd.v[i].off, r->bwd.v[i].len, r->bwd.v[i].flags));
    }
    r->complete = true;
    return TGM_ERROR_OK;
}

/* One round: read the chunks both walkers need, together. */
static tgm_error scan_round(tgm_rfile *r, bool whole) {
    tgm_source_range g[2];
    size_t n = 0;
    uint64_t fs = 0, fe = 0, bs = 0, be = 0;
    uint8_t *fbuf = NULL, *bbuf = NULL;
    tgm_error err = TGM_ERROR_OK;
    if (!r->fwd_done) {
        fs = r->f;
        if (r->verify_prev && fs >= 8) {
            fs -= 8;
        }
        fe = r->f + r->rf;
        if (fe > r->b || fe < r->f) {
            fe = r->b;
        }
        if (fe > fs) {
            fbuf = tgm__malloc((size_t)(fe - fs));
            if (fbuf == NULL) {
                return tgm__oom((size_t)(fe - fs), "scan chunk");
            }
            g[n++] = (tgm_source_range){fs, (size_t)(fe - fs), fbuf};
        }
    }
    /* The backward walker only helps a whole scan: a lookup of message i
     * needs the messages before it. */
    if (r->bwd_on && !r->fwd_done && whole) {
        be = r->cand ? r->cand_off + TGM_PREAMBLE_SIZE : r->b;
        bs = be > r->rb ? be - r->rb : 0;
        if (bs < r->f) {
            bs = r->f;
        }
        if (be > bs) {
            bbuf = tgm__malloc((size_t)(be - bs));
            TGM_FAIL_IF(bbuf == NULL, TGM_ERROR_IO, "out of memory for a scan chunk");
            g[n++] = (tgm_source_range){bs, (size_t)(be - bs), bbuf};
        }
    }
    if (n > 0) {
        TGM_CHECK(tgm__source_read_many(r->src, g, n, true));
    }
    if (bbuf != NULL) {
        size_t before = r->bwd.n;
        TGM_CHECK(backward(r, bbuf, bs, be));
        if (r->bwd.n - before >= 2 && r->rb < CHUNK_MAX) {
            r->rb *= 2;
        }
    }
    if (fbuf != NULL) {
        TGM_CHECK(forward(r, fbuf, fs, fe));
    } else if (!r->fwd_done && r->f >= r->b) {
        r->fwd_done = true;
    }
    if (r->fwd_done) {
        TGM_CHECK(finish(r));
    }
cleanup:
    tgm__free(fbuf);
    tgm__free(bbuf);
    return err;
}

/* Messages known in file order: the forward walker's, or all of them
 * once complete.  The forward walker's last one may still have its end
 * magic unchecked (verify_prev): whoever reads it first checks it (the
 * next scan round, or its layout read, in the same round trip). */
static size_t known(const tgm_rfile *r) { return r->complete ? r->all.n : r->fwd.n; }

tgm_error tgm__rfile_scan(tgm_rfile *r, size_t want, size_t *count, bool *complete) {
    pthread_mutex_lock(&r->lock);
    tgm_error err = TGM_ERROR_OK;
    while (!r->complete && (want == SIZE_MAX || known(r) <= want)) {
        err = scan_round(r, want == SIZE_MAX);
        if (err != TGM_ERROR_OK) {
            break;
        }
    }
    *count = known(r);
    *complete = r->complete;
    pthread_mutex_unlock(&r->lock);
    return err;
}

void tgm__rfile_entry(tgm_rfile *r, size_t i, uint64_t *off, uint64_t *len, uint16_t *flags) {
    pthread_mutex_lock(&r->lock);
    const rentry *e = r->complete ? &r->all.v[i] : &r->fwd.v[i];
    *off = e->off;
    *len = e->len;
    if (flags != NULL) {
        *flags = e->flags;
    }
    pthread_mutex_unlock(&r->lock);
}

/* ---- layouts ---------------------------------------------------------------------- */

typedef struct lay_job {
    size_t index;
    rentry e;
    uint8_t *head, *tail;
    size_t head_len, tail_len;
} lay_job;

static tgm_error ensure_slots(tgm_rfile *r, size_t n) {
    if (n <= r->nlay) {
        return TGM_ERROR_OK;
    }
    const tgm_msg **nl = tgm__realloc(r->lay, n * sizeof *nl);
    if (nl == NULL) {
        return tgm__oom(n * sizeof *nl, "layout table");
    }
    r->lay = nl;
    uint8_t **nd = tgm__realloc(r->dtypes, n * sizeof *nd);
    if (nd == NULL) {
        return tgm__oom(n * sizeof *nd, "layout table");
    }
    r->dtypes = nd;
    uint8_t ***ne = tgm__realloc(r->ends, n * sizeof *ne);
    if (ne == NULL) {
        return tgm__oom(n * sizeof *ne, "layout table");
    }
    r->ends = ne;
    for (size_t i = r->nlay; i < n; i++) {
        nl[i] = NULL;
        nd[i] = NULL;
        ne[i] = NULL;
    }
    r->nlay = n;
    return TGM_ERROR_OK;
}

/* Plan the reads of one job: the whole message when it is small, else the
 * ends its flags say hold frames. */
static void plan_job(lay_job *j, uint64_t head_want, uint64_t tail_want) {
    uint64_t len = j->e.len;
    uint16_t fl = j->e.flags;
    bool wants_head = (fl & (TGM_MF_HEADER_METADATA | TGM_MF_HEADER_INDEX | TGM_MF_HEADER_HASHES));
    bool wants_tail = (fl & (TGM_MF_FOOTER_METADATA | TGM_MF_FOOTER_INDEX | TGM_MF_FOOTER_HASHES));
    uint64_t h = head_want > TGM_PREAMBLE_SIZE ? head_want : TGM_PREAMBLE_SIZE;
    if (!wants_head) {
        h = TGM_PREAMBLE_SIZE;
    }
    uint64_t t = wants_tail ? tail_want : 0;
    if (h + t >= len) {
        h = len; /* one read of the whole message */
        t = 0;
    }
    j->head_len = (size_t)h;
    j->tail_len = (size_t)t;
}

static tgm_error run_jobs(tgm_rfile *r, lay_job *jobs, size_t nj) {
    tgm_error err = TGM_ERROR_OK;
    tgm_source_range *g = tgm__calloc(2 * nj + 1, sizeof *g);
    if (g == NULL) {
        return tgm__oom(2 * nj * sizeof *g, "layout reads");
    }
    size_t ng = 0;
    for (size_t i = 0; i < nj; i++) {
        lay_job *j = &jobs[i];
        tgm__free(j->head);
        tgm__free(j->tail);
        j->head = tgm__malloc(j->head_len ? j->head_len : 1);
        j->tail = tgm__malloc(j->tail_len ? j->tail_len : 1);
        TGM_FAIL_IF(j->head == NULL || j->tail == NULL, TGM_ERROR_IO,
                    "out of memory for a layout read");
        g[ng++] = (tgm_source_range){j->e.off, j->head_len, j->head};
        if (j->tail_len > 0) {
            g[ng++] = (tgm_source_range){j->e.off + j->e.len - j->tail_len, j->tail_len, j->tail};
        }
    }
    TGM_CHECK(tgm__source_read_many(r->src, g, ng, true));
cleanup:
    tgm__free(g);
    return err;
}

/* Read and parse the layouts of messages idx[] (lock held, indices known). */
static tgm_error fetch_layouts(tgm_rfile *r, const size_t *idx, size_t n) {
    tgm_error err = TGM_ERROR_OK;
    size_t nk = known(r);
    TGM_TRY(ensure_slots(r, nk));
    lay_job *jobs = tgm__calloc(n ? n : 1, sizeof *jobs);
    if (jobs == NULL) {
        return tgm__oom(n * sizeof *jobs, "layout jobs");
    }
    size_t nj = 0;
    for (size_t k = 0; k < n; k++) {
        size_t i = idx[k];
        if (r->lay[i] != NULL) {
            continue;
        }
        bool dup = false;
        for (size_t q = 0; q < nj && !dup; q++) {
            dup = jobs[q].index == i;
        }
        if (dup) {
            continue;
        }
        lay_job *j = &jobs[nj++];
        j->index = i;
        j->e = r->complete ? r->all.v[i] : r->fwd.v[i];
        plan_job(j, LAYOUT_HEAD, LAYOUT_HEAD);
        if (!r->complete && r->verify_prev && i + 1 == r->fwd.n && j->tail_len == 0 &&
            j->head_len < j->e.len) {
            j->tail_len = 8; /* the end magic, still unchecked */
        }
    }
    for (int attempt = 0; attempt < 3 && nj > 0; attempt++) {
        TGM_CHECK(run_jobs(r, jobs, nj));
        for (size_t q = 0; q < nj; q++) {
            lay_job *j = &jobs[q];
            if (!r->complete && r->verify_prev && j->index + 1 == r->fwd.n) {
                const uint8_t *end = j->tail_len ? j->tail + j->tail_len : j->head + j->head_len;
                if (j->tail_len < 8 && j->head_len < j->e.len) {
                    continue; /* the end was not read */
                }
                r->verify_prev = false;
                if (memcmp(end - 8, TGM_END_MAGIC, 8) != 0) {
                    /* Not a message after all: the scan starts again from
                     * its second byte. */
                    r->fwd.n--;
                    r->f = j->e.off + 1;
                    r->resync = true;
                    stop_backward(r, false);
                    err = tgm__fail(TGM_ERROR_FRAMING,
                                    "message %zu of %s has no end magic where its length says "
                                    "(truncated or corrupt file)",
                                    j->index, r->src->name);
                    goto cleanup;
                }
            }
        }
        size_t again = 0;
        for (size_t q = 0; q < nj; q++) {
            lay_job *j = &jobs[q];
            tgm_msg *m = tgm__arena_calloc(&r->arena, 1, sizeof *m);
            TGM_FAIL_IF(m == NULL, TGM_ERROR_IO, "out of memory for a message layout");
            uint64_t nh = 0, nt = 0;
            const uint8_t *tail = j->tail_len ? j->tail : j->head;
            size_t tail_len = j->tail_len ? j->tail_len : j->head_len;
            err = tgm__msg_parse_pieces(j->head, j->head_len, tail, tail_len, j->e.len, &r->arena,
                                        m, &nh, &nt);
            if (err != TGM_ERROR_OK) {
                tgm__wrap(err, "message %zu (offset %llu) of %s", j->index,
                          (unsigned long long)j->e.off, r->src->name);
                goto cleanup;
            }
            if (nh > 0 || nt > 0) {
                /* A header or footer region longer than was read. */
                TGM_FAIL_IF(attempt == 2, TGM_ERROR_FRAMING,
                            "message %zu of %s: header/footer regions could not be read", j->index,
                            r->src->name);
                plan_job(j, nh > j->head_len ? nh : j->head_len,
                         nt > j->tail_len ? nt : j->tail_len);
                tgm__free(j->head);
                tgm__free(j->tail);
                j->head = j->tail = NULL;
                jobs[again++] = *j;
                continue;
            }
            r->lay[j->index] = m;
            tgm__free(j->head);
            tgm__free(j->tail);
            j->head = j->tail = NULL;
        }
        nj = again;
    }
cleanup:
    for (size_t q = 0; q < n; q++) {
        tgm__free(jobs[q].head);
        tgm__free(jobs[q].tail);
    }
    tgm__free(jobs);
    return err;
}

tgm_error tgm__rfile_layout(tgm_rfile *r, size_t i, const tgm_msg **out) {
    pthread_mutex_lock(&r->lock);
    tgm_error err = TGM_ERROR_OK;
    if (i >= known(r)) {
        err =
            tgm__fail(TGM_ERROR_FRAMING, "message index %zu out of range (count=%zu)", i, known(r));
    } else if (i >= r->nlay || r->lay[i] == NULL) {
        err = fetch_layouts(r, &i, 1);
    }
    if (err == TGM_ERROR_OK) {
        *out = r->lay[i];
    }
    pthread_mutex_unlock(&r->lock);
    return err;
}

tgm_error tgm__rfile_prefetch(tgm_rfile *r, const size_t *idx, size_t n) {
    pthread_mutex_lock(&r->lock);
    tgm_error err = TGM_ERROR_OK;
    for (size_t k = 0; k < n; k++) {
        if (idx[k] >= known(r)) {
            err = tgm__fail(TGM_ERROR_FRAMING, "message index %zu out of range (count=%zu)", idx[k],
                            known(r));
            break;
        }
    }
    if (err == TGM_ERROR_OK) {
        err = fetch_layouts(r, idx, n);
    }
    pthread_mutex_unlock(&r->lock);
    return err;
}

void tgm__rfile_note_dtype(tgm_rfile *r, size_t i, size_t j, int dtype) {
    pthread_mutex_lock(&r->lock);
    if (i < r->nlay && r->lay[i] != NULL && j < r->lay[i]->nindex && dtype >= 0 && dtype < 255) {
        if (r->dtypes[i] == NULL) {
            r->dtypes[i] = tgm__calloc(r->lay[i]->nindex, 1);
        }
        if (r->dtypes[i] != NULL) {
            r->dtypes[i][j] = (uint8_t)(dtype + 1);
        } else {
            tgm__clear_error(); /* a cache: best effort */
        }
    }
    pthread_mutex_unlock(&r->lock);
}

int tgm__rfile_dtype(tgm_rfile *r, size_t i, size_t j) {
    pthread_mutex_lock(&r->lock);
    int d = -1;
    if (i < r->nlay && r->dtypes[i] != NULL && r->lay[i] != NULL && j < r->lay[i]->nindex) {
        d = (int)r->dtypes[i][j] - 1;
    }
    pthread_mutex_unlock(&r->lock);
    return d;
}

void tgm__rfile_put_ends(tgm_rfile *r, size_t i, size_t j, const uint8_t head[16],
                         const uint8_t *tail, size_t tail_len) {
    pthread_mutex_lock(&r->lock);
    if (i < r->nlay && r->lay[i] != NULL && j < r->lay[i]->nindex) {
        if (r->ends[i] == NULL) {
            r->ends[i] = tgm__calloc(r->lay[i]->nindex, sizeof **r->ends);
        }
        if (r->ends[i] != NULL && r->ends[i][j] == NULL) {
            uint8_t *e = tgm__malloc(16 + sizeof(size_t) + tail_len);
            if (e != NULL) {
                memcpy(e, head, 16);
                memcpy(e + 16, &tail_len, sizeof tail_len);
                memcpy(e + 16 + sizeof tail_len, tail, tail_len);
                r->ends[i][j] = e;
            }
        }
        tgm__clear_error(); /* a cache: best effort */
    }
    pthread_mutex_unlock(&r->lock);
}

bool tgm__rfile_get_ends(tgm_rfile *r, size_t i, size_t j, const uint8_t **head,
                         const uint8_t **tail, size_t *tail_len) {
    pthread_mutex_lock(&r->lock);
    bool ok = i < r->nlay && r->ends[i] != NULL && r->lay[i] != NULL && j < r->lay[i]->nindex &&
              r->ends[i][j] != NULL;
    if (ok) {
        const uint8_t *e = r->ends[i][j];
        *head = e;
        memcpy(tail_len, e + 16, sizeof *tail_len);
        *tail = e + 16 + sizeof *tail_len;
    }
    pthread_mutex_unlock(&r->lock);
    return ok;
}
