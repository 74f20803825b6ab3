/* blosc2 chunks, writing side: c-blosc2's automatic block size (stune.c),
 * the forward filter pipeline, block compression through the inner codecs,
 * and chunk assembly with c-blosc2's output budget.
 *
 * c-blosc2 compresses a chunk into a buffer of nbytes + 32 bytes and falls
 * back to a memcpy'd chunk as soon as the output would not fit; a stream
 * whose codec output would not fit in the remaining space is compressed
 * with a smaller output limit, which some codecs turn into a failure even
 * when the unlimited output would have fitted.  Blocks are compressed here
 * in parallel with the natural limit (the stream size) and then assembled
 * in order, replaying that budget; the rare stream that c-blosc2 would have
 * compressed under a tighter limit is recompressed with that limit.  The
 * result is byte-identical to c-blosc2's single-threaded output for any
 * thread count.
 *
 * lz4 is the exception to c-blosc2 2.x's parameters (see blosc2.h,
 * lz4_rule): by default its blocks are c-blosc 1.x's and liblz4 runs at
 * acceleration 10 - clevel, the chunk c-blosc2 >= 3.0 writes when given
 * that block size.  c-blosc2 2.x's smaller blocks at acceleration 1 cost
 * 2 % of the compression ratio and 40 % more time on a float32 field
 * rounded to 0.01 (bench/README.md, issue #19); every c-blosc2 reads both. */
#include <inttypes.h>
#include <string.h>
#include <zlib.h>

#ifdef TGM_HAVE_LZ4
#include <lz4.h>
#include <lz4hc.h>
#endif
#ifdef TGM_HAVE_ZSTD
#include <zstd.h>
#endif

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "codecs/blosc2.h"
#include "common/alloc.h"
#include "common/checked.h"
#include "common/endian.h"
#include "common/error.h"
#include "common/thread.h"

#define L1 (32 * 1024)
#define MAX_STREAMS 16

/* ---- block size (stune.c semantics) ----------------------------------------- */

/* Codecs meant for high compression ratios get larger blocks. */
static int is_hcr(int compcode) {
    return compcode == TGM_BLOSC2_LZ4HC || compcode == TGM_BLOSC2_ZLIB ||
           compcode == TGM_BLOSC2_ZSTD;
}

static int has_filter(const tgm_b2_cparams *cp, uint8_t id) {
    for (int i = 0; i < TGM_B2_MAX_FILTERS; i++) {
        if (cp->filters[i] == id) {
            return 1;
        }
    }
    return 0;
}

int tgm__b2_split_block(const tgm_b2_cparams *cp, int32_t blocksize) {
    if (cp->splitmode == TGM_B2_ALWAYS_SPLIT) {
        return 1;
    }
    if (cp->splitmode == TGM_B2_NEVER_SPLIT) {
        return 0;
    }
    /* Fast codecs gain from splitting shuffled data into byte streams. */
    int fast = cp->compcode == TGM_BLOSC2_BLOSCLZ || cp->compcode == TGM_BLOSC2_LZ4 ||
               (cp->compcode == TGM_BLOSC2_ZSTD && cp->clevel <= 5);
    int32_t ts = (int32_t)cp->typesize;
    return fast && has_filter(cp, TGM_B2_SHUFFLE) && ts <= MAX_STREAMS &&
           blocksize / ts >= TGM_B2_MIN_BUFFERSIZE;
}

/* c-blosc 1.x's block size for lz4 (compute_blocksize of blosc.c 1.21,
 * automatic case, nbytes >= typesize): L1 times the level's factor, then,
 * when its forward-compatible split rule would split such a block (any
 * codec but zstd, at most 16-byte items, 128 items or more; it does not
 * look at the shuffle), at most 256 KiB per stream times the item size,
 * kept within 64 KiB .. 1 MiB.  Capping to the chunk and rounding down to
 * whole items are common to both rules. */
static int32_t blosc1_lz4_blocksize(int clevel, int32_t ts, int32_t nbytes) {
    int32_t bs = nbytes;
    if (nbytes >= L1) {
        static const int32_t per_level[10] = {L1 / 4, L1 / 2, L1,     2 * L1, 4 * L1,
                                              4 * L1, 8 * L1, 8 * L1, 8 * L1, 8 * L1};
        bs = per_level[clevel];
    }
    if (clevel > 0 && ts <= MAX_STREAMS && bs / ts >= 128) {
        if (bs > 256 * 1024) {
            bs = 256 * 1024;
        }
        bs *= ts;
        if (bs < 64 * 1024) {
            bs = 64 * 1024;
        }
        if (bs > 1024 * 1024) {
            bs = 1024 * 1024;
        }
    }
    return bs;
}

int32_t tgm__b2_blocksize(const tgm_b2_cparams *cp, int32_t user_blocksize, int32_t nbytes) {
    int32_t ts = (int32_t)cp->typesize;
    int clevel = cp->clevel;
    if (nbytes < ts) {
        return 1;
    }
    int32_t bs = nbytes;
    if (user_blocksize != 0) {
        bs = user_blocksize;
    } else if (cp->compcode == TGM_BLOSC2_LZ4 && cp->lz4_rule == TGM_B2_LZ4_FAST && clevel >= 0 &&
               clevel <= 9) {
        bs = blosc1_lz4_blocksize(clevel, ts, nbytes);
    } else {
        int split = tgm__b2_split_block(cp, nbytes);
        if (nbytes >= L1) {
            bs = L1;
            if (is_hcr(cp->compcode)) {
                bs *= 2;
            }
            switch (clevel) {
            case 0:
                bs /= 4;
                break;
            case 1:
                bs /= 2;
                break;
            case 2:
                break;
            case 3:
                bs *= 2;
                break;
            case 4:
            case 5:
                bs *= 4;
                break;
            case 6:
            case 7:
            case 8:
                bs *= 8;
                break;
            case 9:
                bs *= 8;
                if (is_hcr(cp->compcode)) {
                    bs *= 2;
                }
                break;
            default:
                break;
            }
        }
        if (clevel > 0 && split) {
            /* Split blocks: a size per level, times the number of streams,
             * kept within 32 KiB .. 4 MiB. */
            if (clevel <= 3) {
                bs = 32 * 1024;
            } else if (clevel <= 6) {
                bs = 64 * 1024;
            } else if (clevel == 7) {
                bs = 128 * 1024;
            } else if (clevel == 8) {
                bs = 256 * 1024;
            } else {
                bs = 512 * 1024;
            }
            bs *= ts;
            if (bs > 4 * 1024 * 1024) {
                bs = 4 * 1024 * 1024;
            }
            if (bs < 32 * 1024) {
                bs = 32 * 1024;
            }
        }
    }
    if (bs > nbytes) {
        bs = nbytes;
    }
    if (bs > ts) {
        bs = bs / ts * ts;
    }
    return bs;
}

/* ---- inner compressors ----------------------------------------------------------
 * *cb receives the compressed size, or 0 when the output does not fit in
 * maxout (the stream is then stored verbatim). */

static tgm_error inner_compress(const tgm_b2_cparams *cp, const uint8_t *in, size_t n, uint8_t *out,
                                size_t maxout, tgm_b2_scratch *s, int *cb) {
    *cb = 0;
    switch (cp->compcode) {
    case TGM_BLOSC2_BLOSCLZ:
        if (s->htab == NULL) {
            s->htab = tgm__malloc_array((size_t)1 << TGM_BLOSCLZ_HASH_LOG, sizeof *s->htab);
            if (s->htab == NULL) {
                return tgm__oom(((size_t)1 << TGM_BLOSCLZ_HASH_LOG) * 4, "blosclz hash table");
            }
        }
        *cb = tgm__blosclz_compress(cp->clevel, in, (int)n, out, (int)maxout, s->htab);
        return TGM_ERROR_OK;
#ifdef TGM_HAVE_LZ4
    case TGM_BLOSC2_LZ4:
        /* c-blosc2 2.x (without IPP) always passes acceleration 1;
         * c-blosc2 >= 3.0 and c-blosc 1.x pass 10 - clevel. */
        *cb = LZ4_compress_fast((const char *)in, (char *)out, (int)n, (int)maxout,
                                cp->lz4_rule == TGM_B2_LZ4_C2_2 ? 1 : 10 - cp->clevel);
        return TGM_ERROR_OK;
    case TGM_BLOSC2_LZ4HC:
        if (s->lz4hc_state == NULL) {
            s->lz4hc_state = tgm__malloc((size_t)LZ4_sizeofStateHC());
            if (s->lz4hc_state == NULL) {
                return tgm__oom((size_t)LZ4_sizeofStateHC(), "lz4hc state");
            }
        }
        *cb = LZ4_compress_HC_extStateHC(s->lz4hc_state, (const char *)in, (char *)out, (int)n,
                                         (int)maxout, cp->clevel);
        return TGM_ERROR_OK;
#endif
    case TGM_BLOSC2_ZLIB: {
        /* compress2() semantics: zlib header, default window and memory
         * level; a reset stream gives the same bytes as a fresh one. */
        z_stream *z = (z_stream *)s->zlib_c;
        if (z != NULL && s->zlib_c_level != cp->clevel) {
            deflateEnd(z);
            tgm__free(z);
            s->zlib_c = z = NULL;
        }
        if (z == NULL) {
            z = tgm__calloc(1, sizeof *z);
            if (z == NULL) {
                return tgm__oom(sizeof *z, "zlib stream");
            }
            if (deflateInit(z, cp->clevel) != Z_OK) {
                tgm__free(z);
                return tgm__fail(TGM_ERROR_COMPRESSION, "blosc2: zlib deflateInit(level %d) failed",
                                 cp->clevel);
            }
            s->zlib_c = z;
            s->zlib_c_level = cp->clevel;
        } else {
            deflateReset(z);
        }
        z->next_in = (Bytef *)(uintptr_t)in;
        z->avail_in = (uInt)n;
        z->next_out = out;
        z->avail_out = (uInt)maxout;
        int rc = deflate(z, Z_FINISH);
        *cb = rc == Z_STREAM_END ? (int)z->total_out : 0;
        return TGM_ERROR_OK;
    }
#ifdef TGM_HAVE_ZSTD
    case TGM_BLOSC2_ZSTD: {
        if (s->zstd_c == NULL) {
            s->zstd_c = ZSTD_createCCtx();
            if (s->zstd_c == NULL) {
                return tgm__oom(0, "zstd compression context");
            }
        }
        /* c-blosc2 maps its levels 1..8 to zstd's odd levels 1..15 and 9 to
         * the maximum. */
        int level = cp->clevel < 9 ? cp->clevel * 2 - 1 : ZSTD_maxCLevel();
        size_t r = ZSTD_compressCCtx((ZSTD_CCtx *)s->zstd_c, out, maxout, in, n, level);
        *cb = ZSTD_isError(r) ? 0 : (int)r;
        return TGM_ERROR_OK;
    }
#endif
    default:
        return tgm__fail(TGM_ERROR_ENCODING, "blosc2: inner codec %d is not built in",
                         cp->compcode);
    }
}

/* ---- forward filters ---------------------------------------------------------- */

/* The caller's check of the input (cp->check), block by block. */
static tgm_error inspect(const tgm_b2_cparams *cp, const uint8_t *p, size_t n) {
    return cp->check != NULL ? tgm__codec_inspect(cp->check, p, n) : TGM_ERROR_OK;
}

/* Run the filter pipeline over block j; *res receives the filtered bytes
 * (the source itself when no filter changes anything). */
static tgm_error forward(const tgm_b2_cparams *cp, const uint8_t *chunk, uint32_t blocksize,
                         uint32_t j, uint32_t bsize, tgm_b2_scratch *s, const uint8_t **res) {
    const uint8_t *cur = chunk + (size_t)j * blocksize;
    for (int i = 0; i < TGM_B2_MAX_FILTERS; i++) {
        uint8_t f = cp->filters[i];
        if (f == TGM_B2_NOFILTER || (f == TGM_B2_SHUFFLE && cp->typesize <= 1)) {
            continue;
        }
        TGM_TRY(tgm__b2_grow(&s->a, &s->a_cap, bsize, "blosc2 block buffer"));
        TGM_TRY(tgm__b2_grow(&s->b, &s->b_cap, bsize, "blosc2 block buffer"));
        uint8_t *dst = (cur == s->a) ? s->b : s->a;
        if (f == TGM_B2_SHUFFLE) {
            tgm__b2_shuffle(cp->typesize, bsize, cur, dst);
        } else if (f == TGM_B2_BITSHUFFLE) {
            tgm__b2_bitshuffle(cp->typesize, bsize, cur, dst);
        } else { /* TGM_B2_DELTA; other ids are rejected up front */
            tgm__b2_delta_encode(cp->typesize, bsize, cur, chunk, j == 0, dst);
        }
        cur = dst;
    }
    *res = cur;
    return TGM_ERROR_OK;
}

/* Whether p[0, n) is one byte repeated (a stream of a float field's sign
 * and exponent bytes often is): 32 bytes per step where SSE2 is there. */
static int all_equal(const uint8_t *p, size_t n) {
    uint8_t v = p[0];
    size_t i = 0;
#ifdef __SSE2__
    const __m128i vv = _mm_set1_epi8((char)v);
    for (; i + 32 <= n; i += 32) {
        __m128i a = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + i)), vv);
        __m128i b =
            _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + i + 16)), vv);
        if (_mm_movemask_epi8(_mm_and_si128(a, b)) != 0xFFFF) {
            return 0;
        }
    }
#endif
    uint64_t pat = 0x0101010101010101ull * v;
    for (; i + 8 <= n; i += 8) {
        if (tgm__rd_le64(p + i) != pat) {
            return 0;
        }
    }
    for (; i < n; i++) {
        if (p[i] != v) {
            return 0;
        }
    }
    return 1;
}

/* ---- one block, staged ------------------------------------------------------------ */

typedef struct chunk_job {
    const tgm_b2_cparams *cp;
    const uint8_t *src;
    uint32_t nbytes, blocksize, nblocks, leftover;
    int split;
    size_t ebsize;        /* staging bytes per block */
    uint32_t first_block; /* of the current wave */
    uint8_t *stage;
    size_t *stage_len;
    tgm_b2_pool *pool;
} chunk_job;

static uint32_t job_bsize(const chunk_job *jb, uint32_t j) {
    return (j + 1 == jb->nblocks && jb->leftover != 0) ? jb->leftover : jb->blocksize;
}

static uint32_t job_nstreams(const chunk_job *jb, uint32_t j) {
    int leftover_block = (j + 1 == jb->nblocks && jb->leftover != 0);
    return (jb->split && !leftover_block) ? jb->cp->typesize : 1;
}

/* Compress block j into dst in wire layout (per stream: int32 size, then a
 * token or the bytes) with each stream limited to its own size. */
static tgm_error compress_block(const chunk_job *jb, uint32_t j, uint8_t *dst, size_t *len,
                                tgm_b2_scratch *s) {
    uint32_t bsize = job_bsize(jb, j);
    uint32_t nstreams = job_nstreams(jb, j);
    size_t neblock = bsize / nstreams;
    const uint8_t *f;
    TGM_TRY(inspect(jb->cp, jb->src + (size_t)j * jb->blocksize, bsize));
    TGM_TRY(forward(jb->cp, jb->src, jb->blocksize, j, bsize, s, &f));
    size_t pos = 0;
    for (uint32_t k = 0; k < nstreams; k++) {
        const uint8_t *in = f + (size_t)k * neblock;
        if (all_equal(in, neblock)) {
            /* A run: the (negated) byte value as size, plus a token unless 0. */
            tgm__wr_le32(dst + pos, (uint32_t)(-(int32_t)in[0]));
            pos += 4;
            if (in[0] != 0) {
                dst[pos++] = 1;
            }
            continue;
        }
        int cb;
        TGM_TRY(inner_compress(jb->cp, in, neblock, dst + pos + 4, neblock, s, &cb));
        if (cb == 0 || (size_t)cb == neblock) {
            memcpy(dst + pos + 4, in, neblock);
            cb = (int)neblock;
        }
        tgm__wr_le32(dst + pos, (uint32_t)cb);
        pos += 4 + (size_t)cb;
    }
    *len = pos;
    return TGM_ERROR_OK;
}

static tgm_error stage_task(void *ctx, size_t i) {
    chunk_job *jb = ctx;
    uint32_t idx;
    tgm_b2_scratch *s = tgm__b2_pool_acquire(jb->pool, &idx);
    tgm_error err = compress_block(jb, jb->first_block + (uint32_t)i, jb->stage + i * jb->ebsize,
                                   &jb->stage_len[i], s);
    tgm__b2_pool_release(jb->pool, idx);
    return err;
}

/* ---- encoder state --------------------------------------------------------------- */

struct tgm_b2_enc {
    uint32_t threads;
    tgm_b2_pool pool;
    uint8_t *stage;
    size_t stage_cap;
    size_t *stage_len;
    size_t stage_len_cap;
    tgm_b2_scratch asm_s; /* recompression during assembly (calling thread) */
};

tgm_error tgm__b2_enc_create(uint32_t threads, tgm_b2_enc **out) {
    tgm_b2_enc *e = tgm__calloc(1, sizeof *e);
    if (e == NULL) {
        return tgm__oom(sizeof *e, "blosc2 encoder");
    }
    e->threads = threads > 0 ? threads : 1;
    tgm_error err = tgm__b2_pool_init(&e->pool, e->threads);
    if (err != TGM_ERROR_OK) {
        tgm__free(e);
        return err;
    }
    *out = e;
    return TGM_ERROR_OK;
}

void tgm__b2_enc_free(tgm_b2_enc *e) {
    if (e == NULL) {
        return;
    }
    tgm__b2_pool_free(&e->pool);
    tgm__b2_scratch_free(&e->asm_s);
    tgm__free(e->stage);
    tgm__free(e->stage_len);
    tgm__free(e);
}

/* ---- chunk ---------------------------------------------------------------------- */

static uint8_t compformat_of(int compcode) {
    switch (compcode) {
    case TGM_BLOSC2_LZ4:
    case TGM_BLOSC2_LZ4HC:
        return TGM_B2_FORMAT_LZ4;
    case TGM_BLOSC2_ZLIB:
        return TGM_B2_FORMAT_ZLIB;
    case TGM_BLOSC2_ZSTD:
        return TGM_B2_FORMAT_ZSTD;
    default:
        return TGM_B2_FORMAT_BLOSCLZ;
    }
}

static void write_header(uint8_t *h, const tgm_b2_cparams *cp, uint8_t flags, uint32_t nbytes,
                         uint32_t blocksize, uint32_t cbytes) {
    memset(h, 0, TGM_B2_EXT_HEADER);
    h[0] = TGM_B2_VERSION_FORMAT;
    h[1] = 1; /* format version of every built-in inner codec */
    h[2] = flags;
    h[3] = (uint8_t)cp->typesize;
    tgm__wr_le32(h + 4, nbytes);
    tgm__wr_le32(h + 8, blocksize);
    tgm__wr_le32(h + 12, cbytes);
    memcpy(h + 16, cp->filters, TGM_B2_MAX_FILTERS);
    h[22] = (uint8_t)cp->compcode;
}

/* Outcome of the budgeted assembly. */
#define ASM_OK 0
#define ASM_DOES_NOT_FIT 1

/* Append the staged block j at *nt (c-blosc2's ntbytes), replaying the
 * output budget `budget`.  dst is the chunk start. */
static tgm_error assemble_block(tgm_b2_enc *e, const chunk_job *jb, uint32_t j,
                                const uint8_t *staged, uint8_t *dst, uint64_t budget, uint64_t *nt,
                                int *all_zero, int *status) {
    uint32_t bsize = job_bsize(jb, j);
    uint32_t nstreams = job_nstreams(jb, j);
    size_t neblock = bsize / nstreams;
    const uint8_t *filtered = NULL;
    size_t pos = 0;

    tgm__wr_le32(dst + TGM_B2_EXT_HEADER + 4u * (size_t)j, (uint32_t)*nt);
    for (uint32_t k = 0; k < nstreams; k++) {
        int32_t csize = (int32_t)tgm__rd_le32(staged + pos);
        uint64_t at = *nt;
        *nt += 4;
        if (csize <= 0) {
            size_t run_len = csize < 0 ? 5 : 4;
            if (*nt > budget || at + run_len > budget) {
                *status = ASM_DOES_NOT_FIT;
                return TGM_ERROR_OK;
            }
            memcpy(dst + at, staged + pos, run_len);
            *nt = at + run_len;
            pos += run_len;
            if (csize < 0) {
                *all_zero = 0;
            }
            continue;
        }
        *all_zero = 0;
        uint64_t room = budget > *nt ? budget - *nt : 0;
        if (room >= neblock) {
            /* The limit c-blosc2 used is the one the stage used. */
            memcpy(dst + at, staged + pos, 4 + (size_t)csize);
            *nt += (uint64_t)csize;
            pos += 4 + (size_t)csize;
            continue;
        }
        /* A tighter limit: stored streams cannot shrink, larger outputs fail,
         * others are recompressed under that limit. */
        if (room == 0 || (size_t)csize == neblock || (uint64_t)csize > room) {
            *status = ASM_DOES_NOT_FIT;
            return TGM_ERROR_OK;
        }
        if (filtered == NULL) {
            TGM_TRY(forward(jb->cp, jb->src, jb->blocksize, j, bsize, &e->asm_s, &filtered));
        }
        int cb;
        TGM_TRY(inner_compress(jb->cp, filtered + (size_t)k * neblock, neblock, dst + at + 4,
                               (size_t)room, &e->asm_s, &cb));
        if (cb == 0) {
            *status = ASM_DOES_NOT_FIT;
            return TGM_ERROR_OK;
        }
        tgm__wr_le32(dst + at, (uint32_t)cb);
        *nt += (uint64_t)cb;
        pos += 4 + (size_t)csize;
    }
    *status = ASM_OK;
    return TGM_ERROR_OK;
}

/* With several threads, blocks are compressed in waves into staging memory
 * (each stream under its natural limit), then assembled in order. */
static tgm_error staged_blocks(tgm_b2_enc *e, chunk_job *jb, uint32_t threads, uint8_t *dst,
                               uint64_t budget, uint64_t *nt, int *all_zero, int *status) {
    size_t by_mem = ((size_t)64 << 20) / jb->ebsize;
    size_t wave = (size_t)threads * 4;
    if (wave > by_mem) {
        wave = by_mem > threads ? by_mem : threads;
    }
    if (wave > jb->nblocks) {
        wave = jb->nblocks;
    }
    size_t stage_need;
    if (tgm__mul_size(wave, jb->ebsize, &stage_need)) {
        return tgm__fail(TGM_ERROR_ENCODING, "blosc2: staging size overflows");
    }
    TGM_TRY(tgm__b2_grow(&e->stage, &e->stage_cap, stage_need, "blosc2 staging"));
    if (e->stage_len_cap < wave) {
        size_t *nl = tgm__malloc_array(wave, sizeof *nl);
        if (nl == NULL) {
            return tgm__oom(wave * sizeof *nl, "blosc2 staging");
        }
        tgm__free(e->stage_len);
        e->stage_len = nl;
        e->stage_len_cap = wave;
    }
    jb->stage = e->stage;
    jb->stage_len = e->stage_len;
    for (uint32_t w0 = 0; w0 < jb->nblocks && *status == ASM_OK; w0 += (uint32_t)wave) {
        uint32_t w1 = jb->nblocks - w0 < wave ? jb->nblocks : w0 + (uint32_t)wave;
        jb->first_block = w0;
        TGM_TRY(tgm__parallel_for(threads, w1 - w0, stage_task, jb));
        for (uint32_t j = w0; j < w1 && *status == ASM_OK; j++) {
            TGM_TRY(assemble_block(e, jb, j, jb->stage + (size_t)(j - w0) * jb->ebsize, dst, budget,
                                   nt, all_zero, status));
        }
    }
    return TGM_ERROR_OK;
}

/* Block j compressed straight into the chunk at *nt, as c-blosc2's serial
 * path does: each stream may use what is left of the budget, at most its
 * own size.  With one thread this gives the staged-and-assembled result
 * without the staging copy. */
static tgm_error direct_block(tgm_b2_enc *e, const chunk_job *jb, uint32_t j, uint8_t *dst,
                              uint64_t budget, uint64_t *nt, int *all_zero, int *status) {
    uint32_t bsize = job_bsize(jb, j);
    uint32_t nstreams = job_nstreams(jb, j);
    size_t neblock = bsize / nstreams;
    const uint8_t *f;
    tgm__wr_le32(dst + TGM_B2_EXT_HEADER + 4u * (size_t)j, (uint32_t)*nt);
    TGM_TRY(inspect(jb->cp, jb->src + (size_t)j * jb->blocksize, bsize));
    TGM_TRY(forward(jb->cp, jb->src, jb->blocksize, j, bsize, &e->asm_s, &f));
    *status = ASM_DOES_NOT_FIT;
    for (uint32_t k = 0; k < nstreams; k++) {
        const uint8_t *in = f + (size_t)k * neblock;
        uint64_t at = *nt;
        *nt += 4;
        if (all_equal(in, neblock)) {
            size_t run_len = in[0] != 0 ? 5 : 4;
            if (*nt > budget || at + run_len > budget) {
                return TGM_ERROR_OK;
            }
            tgm__wr_le32(dst + at, (uint32_t)(-(int32_t)in[0]));
            if (in[0] != 0) {
                dst[at + 4] = 1;
                *all_zero = 0;
            }
            *nt = at + run_len;
            continue;
        }
        *all_zero = 0;
        uint64_t room = budget > *nt ? budget - *nt : 0;
        if (room == 0) {
            return TGM_ERROR_OK;
        }
        size_t maxout = room < neblock ? (size_t)room : neblock;
        int cb;
        TGM_TRY(inner_compress(jb->cp, in, neblock, dst + *nt, maxout, &e->asm_s, &cb));
        if (cb == 0 || (size_t)cb == neblock) {
            if (room < neblock) {
                return TGM_ERROR_OK; /* stored verbatim would not fit */
            }
            memcpy(dst + *nt, in, neblock);
            cb = (int)neblock;
        }
        tgm__wr_le32(dst + at, (uint32_t)cb);
        *nt += (uint64_t)cb;
    }
    *status = ASM_OK;
    return TGM_ERROR_OK;
}

tgm_error tgm__b2_chunk_compress(tgm_b2_enc *e, const tgm_b2_cparams *cp, int32_t blocksize,
                                 const uint8_t *src, uint32_t nbytes, tgm_buf *out, int *kind) {
    *kind = TGM_B2_CHUNK_REGULAR;
    TGM_RETURN_IF(blocksize <= 0 || nbytes > (uint32_t)INT32_MAX - TGM_B2_EXT_HEADER,
                  TGM_ERROR_ENCODING, "blosc2: chunk of %" PRIu32 " bytes, blocksize %" PRId32,
                  nbytes, blocksize);
    size_t max_len = (size_t)nbytes + TGM_B2_EXT_HEADER;
    size_t base = out->len;
    uint8_t *dst;
    TGM_TRY(tgm__buf_reserve(out, max_len));
    dst = out->data + base;

    uint32_t bs = (uint32_t)blocksize;
    uint32_t nblocks = nbytes / bs + (nbytes % bs != 0);
    int memcpyed = cp->clevel == 0 || nbytes < TGM_B2_MIN_BUFFERSIZE;
    uint8_t flags = TGM_B2_FLAG_SHUFFLE | TGM_B2_FLAG_BITSHUFFLE; /* marks the 32-byte header */
    uint64_t budget = max_len;
    uint64_t nt = TGM_B2_EXT_HEADER + 4u * (uint64_t)nblocks;
    int all_zero = 1;
    int status = ASM_OK;
    tgm_error err = TGM_ERROR_OK;

    if (!memcpyed) {
        int dont_split = !tgm__b2_split_block(cp, blocksize);
        if (has_filter(cp, TGM_B2_DELTA)) {
            flags |= TGM_B2_FLAG_DELTA;
        }
        flags |= (uint8_t)(dont_split << 4);
        flags |= (uint8_t)(compformat_of(cp->compcode) << 5);
        write_header(dst, cp, flags, nbytes, bs, 0);

        chunk_job jb;
        memset(&jb, 0, sizeof jb);
        jb.cp = cp;
        jb.src = src;
        jb.nbytes = nbytes;
        jb.blocksize = bs;
        jb.nblocks = nblocks;
        jb.leftover = nbytes % bs;
        jb.split = !dont_split;
        jb.ebsize = (size_t)bs + 4u * cp->typesize;
        jb.pool = &e->pool;

        uint32_t threads = nbytes < TGM_PARALLEL_THRESHOLD_BYTES ? 1 : e->threads;
        if (nt > budget) {
            status = ASM_DOES_NOT_FIT; /* the block offsets alone do not fit */
        }
        if (threads == 1) {
            for (uint32_t j = 0; j < nblocks && status == ASM_OK; j++) {
                TGM_TRY(direct_block(e, &jb, j, dst, budget, &nt, &all_zero, &status));
            }
        } else if (status == ASM_OK) {
            TGM_TRY(staged_blocks(e, &jb, threads, dst, budget, &nt, &all_zero, &status));
        }
        if (status == ASM_OK && all_zero) {
            /* Every stream is a run of zeros: the header alone says so. */
            tgm__wr_le32(dst + 12, TGM_B2_EXT_HEADER);
            dst[31] = (uint8_t)(TGM_B2_SPECIAL_ZERO << 4);
            out->len = base + TGM_B2_EXT_HEADER;
            *kind = TGM_B2_CHUNK_ZEROS;
            return TGM_ERROR_OK;
        }
        if (status == ASM_OK) {
            tgm__wr_le32(dst + 12, (uint32_t)nt);
            out->len = base + (size_t)nt;
            return TGM_ERROR_OK;
        }
        /* Did not fit: store the chunk verbatim, keeping the header flags. */
        flags |= TGM_B2_FLAG_MEMCPY;
    } else {
        flags |= TGM_B2_FLAG_MEMCPY;
    }
    /* Stored verbatim: the blocks may not all have been inspected. */
    TGM_TRY(inspect(cp, src, nbytes));
    write_header(dst, cp, flags, nbytes, bs, (uint32_t)max_len);
    if (nbytes > 0) {
        memcpy(dst + TGM_B2_EXT_HEADER, src, nbytes);
    }
    out->len = base + max_len;
    return err;
}
