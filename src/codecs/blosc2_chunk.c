/* blosc2 chunks, reading side: header checks (README_CHUNK_FORMAT), block
 * decode through the inner decompressors and the reverse filter pipeline,
 * per-worker scratch and the worker pool. */
#include <inttypes.h>
#include <stdatomic.h>
#include <string.h>
#include <zlib.h>

#ifdef TGM_HAVE_LZ4
#include <lz4.h>
#include <lz4hc.h>
#endif
#ifdef TGM_HAVE_ZSTD
#include <zstd.h>
#endif

#include "codecs/blosc2.h"
#include "common/alloc.h"
#include "common/endian.h"
#include "common/error.h"

/* ---- scratch and pool ----------------------------------------------------- */

void tgm__b2_scratch_free(tgm_b2_scratch *s) {
    tgm__free(s->a);
    tgm__free(s->b);
    tgm__free(s->dref);
    tgm__free(s->c);
    tgm__free(s->htab);
    tgm__free(s->lz4hc_state);
#ifdef TGM_HAVE_ZSTD
    ZSTD_freeCCtx((ZSTD_CCtx *)s->zstd_c);
    ZSTD_freeDCtx((ZSTD_DCtx *)s->zstd_d);
#endif
    if (s->zlib_c != NULL) {
        deflateEnd((z_stream *)s->zlib_c);
        tgm__free(s->zlib_c);
    }
    if (s->zlib_d != NULL) {
        inflateEnd((z_stream *)s->zlib_d);
        tgm__free(s->zlib_d);
    }
    memset(s, 0, sizeof *s);
}

struct tgm_b2_slot {
    atomic_int busy;
    tgm_b2_scratch s;
};

tgm_error tgm__b2_pool_init(tgm_b2_pool *p, uint32_t n) {
    p->n = 0;
    p->slots = tgm__calloc(n > 0 ? n : 1, sizeof *p->slots);
    if (p->slots == NULL) {
        return tgm__oom((size_t)n * sizeof *p->slots, "blosc2 worker scratch");
    }
    p->n = n > 0 ? n : 1;
    for (uint32_t i = 0; i < p->n; i++) {
        atomic_init(&p->slots[i].busy, 0);
    }
    return TGM_ERROR_OK;
}

tgm_b2_scratch *tgm__b2_pool_acquire(tgm_b2_pool *p, uint32_t *idx) {
    for (;;) {
        for (uint32_t i = 0; i < p->n; i++) {
            if (atomic_exchange(&p->slots[i].busy, 1) == 0) {
                *idx = i;
                return &p->slots[i].s;
            }
        }
    }
}

void tgm__b2_pool_release(tgm_b2_pool *p, uint32_t idx) { atomic_store(&p->slots[idx].busy, 0); }

void tgm__b2_pool_free(tgm_b2_pool *p) {
    if (p->slots != NULL) {
        for (uint32_t i = 0; i < p->n; i++) {
            tgm__b2_scratch_free(&p->slots[i].s);
        }
    }
    tgm__free(p->slots);
    p->slots = NULL;
    p->n = 0;
}

tgm_error tgm__b2_grow(uint8_t **buf, size_t *cap, size_t need, const char *what) {
    if (*cap >= need) {
        return TGM_ERROR_OK;
    }
    uint8_t *n = tgm__malloc(need > 0 ? need : 1);
    if (n == NULL) {
        return tgm__oom(need, what);
    }
    tgm__free(*buf);
    *buf = n;
    *cap = need;
    return TGM_ERROR_OK;
}

/* ---- header ---------------------------------------------------------------- */

/* Names of the filters c-blosc2 registers (filters-registry.h), for messages. */
static const char *filter_name(uint8_t f) {
    switch (f) {
    case 32:
        return " (ndcell)";
    case 33:
        return " (ndmean)";
    case 34:
        return " (bytedelta, buggy variant)";
    case 35:
        return " (bytedelta)";
    case 36:
        return " (int_trunc)";
    default:
        return "";
    }
}

static const char *format_name(uint8_t f) {
    switch (f) {
    case 2:
        return "snappy (retired)";
    case 5:
        return "reserved";
    case 6:
        return "user-defined codec";
    case 7:
        return "codec defined by the super-chunk";
    default:
        return "unknown";
    }
}

tgm_error tgm__b2_chunk_parse(const uint8_t *p, size_t avail, const char *what, tgm_b2_chunk *c) {
    memset(c, 0, sizeof *c);
    TGM_RETURN_IF(avail < TGM_B2_MIN_HEADER, TGM_ERROR_COMPRESSION,
                  "blosc2: %s: %zu bytes left, a chunk header needs %u", what, avail,
                  TGM_B2_MIN_HEADER);
    uint8_t version = p[0];
    uint8_t flags = p[2];
    uint8_t ts = p[3];
    int32_t nbytes = (int32_t)tgm__rd_le32(p + 4);
    int32_t blocksize = (int32_t)tgm__rd_le32(p + 8);
    int32_t cbytes = (int32_t)tgm__rd_le32(p + 12);

    TGM_RETURN_IF(version > TGM_B2_VERSION_FORMAT, TGM_ERROR_COMPRESSION,
                  "blosc2: %s: chunk format version %u is newer than the supported %u", what,
                  version, TGM_B2_VERSION_FORMAT);
    TGM_RETURN_IF(nbytes < 0, TGM_ERROR_COMPRESSION, "blosc2: %s: negative nbytes %" PRId32, what,
                  nbytes);
    TGM_RETURN_IF(cbytes < (int32_t)TGM_B2_MIN_HEADER, TGM_ERROR_COMPRESSION,
                  "blosc2: %s: cbytes %" PRId32 " is smaller than a chunk header", what, cbytes);
    TGM_RETURN_IF(blocksize <= 0 || (nbytes > 0 && blocksize > nbytes), TGM_ERROR_COMPRESSION,
                  "blosc2: %s: blocksize %" PRId32 " is not in 1..nbytes (%" PRId32 ")", what,
                  blocksize, nbytes);
    TGM_RETURN_IF(blocksize > TGM_B2_MAX_BLOCKSIZE, TGM_ERROR_COMPRESSION,
                  "blosc2: %s: blocksize %" PRId32 " exceeds the maximum %d", what, blocksize,
                  TGM_B2_MAX_BLOCKSIZE);
    TGM_RETURN_IF(ts == 0, TGM_ERROR_COMPRESSION, "blosc2: %s: typesize is 0", what);
    TGM_RETURN_IF((size_t)cbytes > avail, TGM_ERROR_COMPRESSION,
                  "blosc2: %s: cbytes %" PRId32 " exceeds the %zu bytes available", what, cbytes,
                  avail);

    c->p = p;
    c->version = version;
    c->flags = flags;
    c->typesize = ts;
    c->nbytes = (uint32_t)nbytes;
    c->blocksize = (uint32_t)blocksize;
    c->cbytes = (uint32_t)cbytes;
    c->compformat = (uint8_t)(flags >> 5);
    c->memcpyed = (flags & TGM_B2_FLAG_MEMCPY) != 0;
    c->split = (flags & TGM_B2_FLAG_DONT_SPLIT) == 0;
    c->nblocks = c->nbytes / c->blocksize + (c->nbytes % c->blocksize != 0);
    c->leftover = c->nbytes % c->blocksize;

    uint8_t b2flags = 0;
    if ((flags & (TGM_B2_FLAG_SHUFFLE | TGM_B2_FLAG_BITSHUFFLE)) ==
        (TGM_B2_FLAG_SHUFFLE | TGM_B2_FLAG_BITSHUFFLE)) {
        /* Both shuffle bits set: the 32-byte blosc2 header. */
        TGM_RETURN_IF(cbytes < (int32_t)TGM_B2_EXT_HEADER, TGM_ERROR_COMPRESSION,
                      "blosc2: %s: cbytes %" PRId32 " is smaller than the extended header", what,
                      cbytes);
        c->header_len = TGM_B2_EXT_HEADER;
        memcpy(c->filters, p + 16, TGM_B2_MAX_FILTERS);
        if (version == 3) {
            c->filters[5] = 0; /* the alpha format left this slot uninitialised */
        }
        b2flags = p[31];
        c->special = (uint8_t)((b2flags >> 4) & 7u);
        TGM_RETURN_IF(c->special > TGM_B2_SPECIAL_UNINIT, TGM_ERROR_COMPRESSION,
                      "blosc2: %s: unknown special value kind %u", what, c->special);
        if (c->special == TGM_B2_SPECIAL_VALUE) {
            /* The repeated value follows the header; its size is the type. */
            int32_t vts = cbytes - (int32_t)TGM_B2_EXT_HEADER;
            TGM_RETURN_IF(vts <= 0 || vts > nbytes || nbytes % vts != 0, TGM_ERROR_COMPRESSION,
                          "blosc2: %s: repeated-value chunk with a %" PRId32
                          "-byte value does not tile %" PRId32 " bytes",
                          what, vts, nbytes);
            c->typesize = (uint32_t)vts;
        } else if (c->special != TGM_B2_SPECIAL_NONE) {
            TGM_RETURN_IF(c->nbytes % ts != 0, TGM_ERROR_COMPRESSION,
                          "blosc2: %s: special chunk of %" PRId32
                          " bytes is not a whole number of %u-byte items",
                          what, nbytes, ts);
        }
        TGM_RETURN_IF((b2flags & TGM_B2_B2FLAG_LAZY) != 0 && c->special == TGM_B2_SPECIAL_NONE,
                      TGM_ERROR_COMPRESSION,
                      "blosc2: %s: lazy chunk (data held elsewhere) inside a contiguous frame",
                      what);
        TGM_RETURN_IF((b2flags & TGM_B2_B2FLAG_INSTR) != 0, TGM_ERROR_COMPRESSION,
                      "blosc2: %s: instrumented chunk (codec statistics, not data)", what);
    } else {
        /* Blosc1-style 16-byte header: the pipeline is implied by the flags. */
        c->header_len = TGM_B2_MIN_HEADER;
        if (flags & TGM_B2_FLAG_SHUFFLE) {
            c->filters[5] = TGM_B2_SHUFFLE;
        }
        if (flags & TGM_B2_FLAG_BITSHUFFLE) {
            c->filters[5] = TGM_B2_BITSHUFFLE;
        }
        if (flags & TGM_B2_FLAG_DELTA) {
            c->filters[4] = TGM_B2_DELTA;
        }
    }

    c->last_transform = -1;
    if (c->special != TGM_B2_SPECIAL_NONE) {
        return TGM_ERROR_OK;
    }
    if (c->memcpyed) {
        TGM_RETURN_IF((uint64_t)c->cbytes != (uint64_t)c->nbytes + c->header_len,
                      TGM_ERROR_COMPRESSION,
                      "blosc2: %s: memcpy'd chunk has cbytes %" PRIu32 ", expected nbytes %" PRIu32
                      " + header %" PRIu32,
                      what, c->cbytes, c->nbytes, c->header_len);
        return TGM_ERROR_OK;
    }
    if (c->nbytes == 0) {
        TGM_RETURN_IF(c->cbytes != c->header_len, TGM_ERROR_COMPRESSION,
                      "blosc2: %s: empty chunk has cbytes %" PRIu32, what, c->cbytes);
        c->nblocks = 0;
        return TGM_ERROR_OK;
    }

    uint64_t bstarts_end = (uint64_t)c->header_len + 4u * (uint64_t)c->nblocks;
    TGM_RETURN_IF(bstarts_end > c->cbytes, TGM_ERROR_COMPRESSION,
                  "blosc2: %s: %" PRIu32 " block offsets do not fit in cbytes %" PRIu32, what,
                  c->nblocks, c->cbytes);
    if (b2flags & TGM_B2_B2FLAG_DICT) {
        TGM_RETURN_IF(bstarts_end + 4 > c->cbytes, TGM_ERROR_COMPRESSION,
                      "blosc2: %s: dictionary size does not fit in the chunk", what);
        int32_t dsize = (int32_t)tgm__rd_le32(p + bstarts_end);
        TGM_RETURN_IF(
            dsize <= 0 || dsize > TGM_B2_MAX_DICT || bstarts_end + 4 + (uint64_t)dsize > c->cbytes,
            TGM_ERROR_COMPRESSION,
            "blosc2: %s: dictionary size %" PRId32 " is not in 1..%d or overruns the chunk", what,
            dsize, TGM_B2_MAX_DICT);
        c->dict = p + bstarts_end + 4;
        c->dict_len = (uint32_t)dsize;
    }

    uint8_t f = c->compformat;
    TGM_RETURN_IF(f != TGM_B2_FORMAT_BLOSCLZ && f != TGM_B2_FORMAT_LZ4 && f != TGM_B2_FORMAT_ZLIB &&
                      f != TGM_B2_FORMAT_ZSTD,
                  TGM_ERROR_COMPRESSION, "blosc2: %s: inner codec format %u (%s) is not supported",
                  what, f, format_name(f));
#ifndef TGM_HAVE_LZ4
    TGM_RETURN_IF(f == TGM_B2_FORMAT_LZ4, TGM_ERROR_COMPRESSION,
                  "blosc2: %s: inner codec lz4 is not built in (TGM_WITH_LZ4=OFF)", what);
#endif
#ifndef TGM_HAVE_ZSTD
    TGM_RETURN_IF(f == TGM_B2_FORMAT_ZSTD, TGM_ERROR_COMPRESSION,
                  "blosc2: %s: inner codec zstd is not built in (TGM_WITH_ZSTD=OFF)", what);
#endif
    for (int i = TGM_B2_MAX_FILTERS - 1; i >= 0; i--) {
        uint8_t id = c->filters[i];
        TGM_RETURN_IF(id > TGM_B2_TRUNC_PREC, TGM_ERROR_COMPRESSION,
                      "blosc2: %s: filter id %u%s in slot %d is not supported", what, id,
                      filter_name(id), i);
        if (id == TGM_B2_BITSHUFFLE || (id == TGM_B2_SHUFFLE && c->typesize > 1)) {
            c->last_transform = (int8_t)i;
        }
        if (id == TGM_B2_DELTA) {
            c->has_delta = 1;
        }
    }
    return TGM_ERROR_OK;
}

/* ---- inner decompressors ---------------------------------------------------- */

/* Decode one stream of csize bytes into exactly n bytes. */
static tgm_error stream_decode(const tgm_b2_chunk *c, const uint8_t *in, size_t csize, uint8_t *out,
                               size_t n, tgm_b2_scratch *s, const char *what, uint32_t j) {
    switch (c->compformat) {
    case TGM_B2_FORMAT_BLOSCLZ: {
        int64_t got = tgm__blosclz_decompress(in, csize, out, n);
        TGM_RETURN_IF(got != (int64_t)n, TGM_ERROR_COMPRESSION,
                      "blosc2: %s block %" PRIu32 ": blosclz stream %s (%" PRId64 " of %zu bytes)",
                      what, j, got < 0 ? "is malformed" : "decodes to the wrong size", got, n);
        return TGM_ERROR_OK;
    }
#ifdef TGM_HAVE_LZ4
    case TGM_B2_FORMAT_LZ4: {
        TGM_RETURN_IF(csize > INT32_MAX || n > INT32_MAX, TGM_ERROR_COMPRESSION,
                      "blosc2: %s: lz4 stream too large", what);
        int got = LZ4_decompress_safe((const char *)in, (char *)out, (int)csize, (int)n);
        TGM_RETURN_IF(got != (int)n, TGM_ERROR_COMPRESSION,
                      "blosc2: %s block %" PRIu32 ": lz4 stream %s (%d of %zu bytes)", what, j,
                      got < 0 ? "is malformed" : "decodes to the wrong size", got, n);
        return TGM_ERROR_OK;
    }
#endif
    case TGM_B2_FORMAT_ZLIB: {
        z_stream *z = (z_stream *)s->zlib_d;
        if (z == NULL) {
            z = tgm__calloc(1, sizeof *z);
            if (z == NULL) {
                return tgm__oom(sizeof *z, "zlib stream");
            }
            if (inflateInit(z) != Z_OK) {
                tgm__free(z);
                return tgm__fail(TGM_ERROR_COMPRESSION, "blosc2: zlib inflateInit failed");
            }
            s->zlib_d = z;
        } else {
            inflateReset(z);
        }
        TGM_RETURN_IF(csize > UINT32_MAX || n > UINT32_MAX, TGM_ERROR_COMPRESSION,
                      "blosc2: %s: zlib stream too large", what);
        z->next_in = (Bytef *)(uintptr_t)in;
        z->avail_in = (uInt)csize;
        z->next_out = out;
        z->avail_out = (uInt)n;
        int rc = inflate(z, Z_FINISH);
        TGM_RETURN_IF(rc != Z_STREAM_END || z->total_out != n, TGM_ERROR_COMPRESSION,
                      "blosc2: %s block %" PRIu32 ": zlib stream %s (%lu of %zu bytes)", what, j,
                      rc == Z_STREAM_END ? "decodes to the wrong size"
                                         : "is malformed or truncated",
                      (unsigned long)z->total_out, n);
        return TGM_ERROR_OK;
    }
#ifdef TGM_HAVE_ZSTD
    case TGM_B2_FORMAT_ZSTD: {
        if (s->zstd_d == NULL) {
            s->zstd_d = ZSTD_createDCtx();
            if (s->zstd_d == NULL) {
                return tgm__oom(0, "zstd decompression context");
            }
        }
        size_t got = (c->dict != NULL)
                         ? ZSTD_decompress_usingDict((ZSTD_DCtx *)s->zstd_d, out, n, in, csize,
                                                     c->dict, c->dict_len)
                         : ZSTD_decompressDCtx((ZSTD_DCtx *)s->zstd_d, out, n, in, csize);
        TGM_RETURN_IF(ZSTD_isError(got), TGM_ERROR_COMPRESSION,
                      "blosc2: %s block %" PRIu32 ": zstd stream is malformed (%s)", what, j,
                      ZSTD_getErrorName(got));
        TGM_RETURN_IF(got != n, TGM_ERROR_COMPRESSION,
                      "blosc2: %s block %" PRIu32
                      ": zstd stream decodes to %zu bytes, expected %zu",
                      what, j, got, n);
        return TGM_ERROR_OK;
    }
#endif
    default:
        return tgm__fail(TGM_ERROR_COMPRESSION, "blosc2: %s: inner codec format %u not available",
                         what, c->compformat);
    }
}

/* ---- block decode ---------------------------------------------------------- */

/* Fill out with the ts-byte pattern at `value`, starting at byte `phase`
 * of the pattern (a block need not start on an item boundary). */
static void fill_pattern(uint8_t *out, size_t n, const uint8_t *value, size_t ts, size_t phase) {
    size_t have = n < ts ? n : ts;
    for (size_t k = 0; k < have; k++) {
        out[k] = value[(phase + k) % ts];
    }
    /* `have` stays a multiple of the period while doubling. */
    while (have < n) {
        size_t m = have < n - have ? have : n - have;
        memcpy(out + have, out, m);
        have += m;
    }
}

tgm_error tgm__b2_fill_special(uint8_t kind, uint32_t ts, const uint8_t *value, uint8_t *out,
                               size_t n, uint64_t pos, const char *what) {
    switch (kind) {
    case TGM_B2_SPECIAL_ZERO:
    case TGM_B2_SPECIAL_UNINIT: /* unspecified content: we write zeros */
        memset(out, 0, n);
        return TGM_ERROR_OK;
    case TGM_B2_SPECIAL_NAN: {
        uint8_t nan[8];
        if (ts == 4) {
            tgm__wr_le32(nan, 0x7FC00000u); /* the quiet NaN nanf("") gives */
        } else if (ts == 8) {
            tgm__wr_le64(nan, 0x7FF8000000000000ull);
        } else {
            return tgm__fail(TGM_ERROR_COMPRESSION,
                             "blosc2: %s: NaN chunk with typesize %" PRIu32 " (needs 4 or 8)", what,
                             ts);
        }
        fill_pattern(out, n, nan, ts, (size_t)(pos % ts));
        return TGM_ERROR_OK;
    }
    case TGM_B2_SPECIAL_VALUE:
        fill_pattern(out, n, value, ts, (size_t)(pos % ts));
        return TGM_ERROR_OK;
    default:
        return tgm__fail(TGM_ERROR_COMPRESSION, "blosc2: %s: unknown special kind %u", what, kind);
    }
}

tgm_error tgm__b2_block_decode(const tgm_b2_chunk *c, uint32_t j, uint8_t *out, const uint8_t *dref,
                               tgm_b2_scratch *s, const char *what) {
    uint32_t bsize = tgm__b2_block_size(c, j);
    if (c->special != TGM_B2_SPECIAL_NONE) {
        return tgm__b2_fill_special(c->special, c->typesize, c->p + TGM_B2_EXT_HEADER, out, bsize,
                                    (uint64_t)j * c->blocksize, what);
    }
    if (c->memcpyed) {
        memcpy(out, c->p + c->header_len + (size_t)j * c->blocksize, bsize);
        return TGM_ERROR_OK;
    }

    uint64_t data_start = (uint64_t)c->header_len + 4u * (uint64_t)c->nblocks;
    if (c->dict != NULL) {
        data_start += 4u + c->dict_len;
    }
    uint32_t bstart = tgm__rd_le32(c->p + c->header_len + 4u * (size_t)j);
    TGM_RETURN_IF(bstart < data_start || bstart >= c->cbytes, TGM_ERROR_COMPRESSION,
                  "blosc2: %s: block %" PRIu32 " starts at %" PRIu32
                  ", outside the data area [%" PRIu64 ", %" PRIu32 ")",
                  what, j, bstart, data_start, c->cbytes);

    int leftover_block = (j + 1 == c->nblocks && c->leftover != 0);
    uint32_t nstreams = (c->split && !leftover_block) ? c->typesize : 1;
    TGM_RETURN_IF(bsize % nstreams != 0, TGM_ERROR_COMPRESSION,
                  "blosc2: %s: block %" PRIu32 " of %" PRIu32 " bytes cannot be split into %" PRIu32
                  " streams",
                  what, j, bsize, nstreams);
    size_t neblock = bsize / nstreams;

    uint8_t *cur = out;
    if (c->last_transform >= 0) {
        TGM_TRY(tgm__b2_grow(&s->a, &s->a_cap, bsize, "blosc2 block buffer"));
        cur = s->a;
    }

    const uint8_t *ip = c->p + bstart;
    size_t left = c->cbytes - bstart;
    for (uint32_t k = 0; k < nstreams; k++) {
        uint8_t *dst = cur + (size_t)k * neblock;
        TGM_RETURN_IF(left < 4, TGM_ERROR_COMPRESSION,
                      "blosc2: %s: block %" PRIu32 " stream %" PRIu32
                      " size runs past the chunk end",
                      what, j, k);
        int32_t csize = (int32_t)tgm__rd_le32(ip);
        ip += 4;
        left -= 4;
        if (csize == 0) {
            memset(dst, 0, neblock);
        } else if (csize < 0) {
            TGM_RETURN_IF(left < 1, TGM_ERROR_COMPRESSION,
                          "blosc2: %s: block %" PRIu32 " stream %" PRIu32 " token is missing", what,
                          j, k);
            uint8_t token = *ip++;
            left--;
            TGM_RETURN_IF((token & 1u) == 0 || csize < -255, TGM_ERROR_COMPRESSION,
                          "blosc2: %s: block %" PRIu32 " stream %" PRIu32
                          ": unsupported stream token 0x%02x (size %" PRId32 ")",
                          what, j, k, token, csize);
            memset(dst, (int)(uint8_t)(-csize), neblock);
        } else {
            TGM_RETURN_IF((size_t)csize > left, TGM_ERROR_COMPRESSION,
                          "blosc2: %s: block %" PRIu32 " stream %" PRIu32 " claims %" PRId32
                          " bytes, %zu left in the chunk",
                          what, j, k, csize, left);
            if ((size_t)csize == neblock) {
                memcpy(dst, ip, neblock);
            } else {
                TGM_TRY(stream_decode(c, ip, (size_t)csize, dst, neblock, s, what, j));
            }
            ip += csize;
            left -= (size_t)csize;
        }
    }

    /* Undo the filters, last one first; the last (un)shuffle writes to out,
     * earlier ones ping-pong between the work buffers. */
    for (int i = TGM_B2_MAX_FILTERS - 1; i >= 0; i--) {
        uint8_t f = c->filters[i];
        int transform = f == TGM_B2_BITSHUFFLE || (f == TGM_B2_SHUFFLE && c->typesize > 1);
        uint8_t *dst = out;
        if (transform && i != c->last_transform) {
            TGM_TRY(tgm__b2_grow(&s->b, &s->b_cap, bsize, "blosc2 block buffer"));
            dst = cur == s->a ? s->b : s->a;
        }
        if (f == TGM_B2_SHUFFLE && c->typesize > 1) {
            tgm__b2_unshuffle(c->typesize, bsize, cur, dst);
            cur = dst;
        } else if (f == TGM_B2_BITSHUFFLE) {
            if (c->version == 2 && (bsize / c->typesize) % 8 != 0) {
                memcpy(dst, cur, bsize); /* format 2 left such blocks unshuffled */
            } else {
                tgm__b2_bitunshuffle(c->typesize, bsize, cur, dst);
            }
            cur = dst;
        } else if (f == TGM_B2_DELTA) {
            TGM_RETURN_IF(j > 0 && dref == NULL, TGM_ERROR_COMPRESSION,
                          "blosc2: %s: delta block %" PRIu32 " decoded without block 0", what, j);
            tgm__b2_delta_decode(c->typesize, bsize, cur, j == 0 ? NULL : dref);
        }
    }
    if (cur != out) {
        memcpy(out, cur, bsize);
    }
    return TGM_ERROR_OK;
}
