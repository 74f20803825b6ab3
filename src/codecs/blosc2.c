/* blosc2 codec: c-blosc2 contiguous frames (README_CFRAME_FORMAT, frame
 * format 2, chunk format v5), read and written without libblosc2.
 *
 * The writer builds the frame the way the reference does with c-blosc2
 * 2.21.3 (BLOSC2_CPARAMS_DEFAULTS with the chosen codec, level and
 * typesize; one super-chunk append per chunk of at most 256 MiB; the
 * in-memory super-chunk then serialised with blosc2_schunk_to_buffer), so
 * that for the same inner-codec library versions the frame is byte for byte
 * the reference's:
 *  - header: no metalayers; tcomp 0, tdecomp 1 (what the serialising copy
 *    records); block size = the last chunk's; chunk size = the first's;
 *  - chunks stored back to back; a chunk that is all zeros is not stored,
 *    its offset carries the special-value mark instead;
 *  - the offsets index: a chunk of int64 offsets (relative to the end of the
 *    header) compressed with BloscLZ level 5, byte shuffle, typesize 8,
 *    never split, 16 KiB blocks;
 *  - a 35-byte trailer without vlmetalayers and without fingerprint. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "codecs/blosc2.h"
#include "common/alloc.h"
#include "common/checked.h"
#include "common/endian.h"
#include "common/error.h"
#include "common/thread.h"

static const struct {
    const char *name;
    tgm_blosc2_inner codec;
} inner_names[] = {{"blosclz", TGM_BLOSC2_BLOSCLZ},
                   {"lz4", TGM_BLOSC2_LZ4},
                   {"lz4hc", TGM_BLOSC2_LZ4HC},
                   {"zlib", TGM_BLOSC2_ZLIB},
                   {"zstd", TGM_BLOSC2_ZSTD}};

const char *tgm__blosc2_inner_name(tgm_blosc2_inner c) {
    for (size_t i = 0; i < sizeof inner_names / sizeof inner_names[0]; i++) {
        if (inner_names[i].codec == c) {
            return inner_names[i].name;
        }
    }
    return NULL;
}

int tgm__blosc2_inner_lookup(const char *name, size_t len, tgm_blosc2_inner *out) {
    for (size_t i = 0; i < sizeof inner_names / sizeof inner_names[0]; i++) {
        if (strlen(inner_names[i].name) == len && memcmp(inner_names[i].name, name, len) == 0) {
            *out = inner_names[i].codec;
            return 0;
        }
    }
    return -1;
}

#ifdef TGM_HAVE_BLOSC2
#include <zlib.h>

#define FRAME_HEADER_LEN 97u /* fixed part (87) + empty metalayers (10) */
#define FRAME_HEADER_MINLEN 87u
#define FRAME_TRAILER_LEN 35u /* what c-blosc2 writes without vlmetalayers */
#define FRAME_TRAILER_MINLEN 25u
#define FRAME_VERSION 2u
#define DEFAULT_CHUNK_BYTES ((size_t)256 << 20)
#define MAX_CHUNK_BYTES ((size_t)INT32_MAX - TGM_B2_EXT_HEADER)
#define OFFSET_SPECIAL (UINT64_C(1) << 63)
#define UNIT_BYTES ((uint32_t)1 << 20) /* work unit of memcpy'd / special chunks */
#define BATCH_CHUNKS 1024u

/* ==== writer =============================================================== */

void tgm__b2_frame_opts_default(tgm_b2_frame_opts *o, tgm_blosc2_inner codec, int clevel,
                                size_t typesize, uint32_t threads) {
    memset(o, 0, sizeof *o);
    o->cp.compcode = (int)codec;
    o->cp.clevel = clevel;
    o->cp.typesize = typesize > UINT32_MAX ? 0 : (uint32_t)typesize;
    o->cp.filters[5] = TGM_B2_SHUFFLE;
    o->cp.splitmode = TGM_B2_FORWARD_COMPAT_SPLIT;
    o->threads = threads;
}

static const char *codec_name(int compcode) {
    const char *n = tgm__blosc2_inner_name((tgm_blosc2_inner)compcode);
    return n != NULL ? n : "?";
}

static tgm_error check_cparams(const tgm_b2_cparams *cp) {
    int cc = cp->compcode;
    TGM_RETURN_IF(cc != TGM_BLOSC2_BLOSCLZ && cc != TGM_BLOSC2_LZ4 && cc != TGM_BLOSC2_LZ4HC &&
                      cc != TGM_BLOSC2_ZLIB && cc != TGM_BLOSC2_ZSTD,
                  TGM_ERROR_ENCODING,
                  "blosc2: unknown inner codec %d (expected blosclz, lz4, lz4hc, zlib or zstd)",
                  cc);
#ifndef TGM_HAVE_LZ4
    TGM_RETURN_IF(cc == TGM_BLOSC2_LZ4 || cc == TGM_BLOSC2_LZ4HC, TGM_ERROR_COMPRESSION,
                  "blosc2: inner codec %s is not built in (TGM_WITH_LZ4=OFF)", codec_name(cc));
#endif
#ifndef TGM_HAVE_ZSTD
    TGM_RETURN_IF(cc == TGM_BLOSC2_ZSTD, TGM_ERROR_COMPRESSION,
                  "blosc2: inner codec zstd is not built in (TGM_WITH_ZSTD=OFF)");
#endif
    TGM_RETURN_IF(cp->clevel < 0 || cp->clevel > 9, TGM_ERROR_ENCODING,
                  "blosc2 (%s): clevel must be 0..=9, got %d", codec_name(cc), cp->clevel);
    TGM_RETURN_IF(cp->typesize < 1 || cp->typesize > 255, TGM_ERROR_ENCODING,
                  "blosc2: typesize must be 1..=255, got %" PRIu32, cp->typesize);
    TGM_RETURN_IF(cp->lz4_rule != TGM_B2_LZ4_FAST && cp->lz4_rule != TGM_B2_LZ4_C2_2,
                  TGM_ERROR_ENCODING, "blosc2: unknown lz4 rule %d", cp->lz4_rule);
    TGM_RETURN_IF(cp->splitmode < TGM_B2_ALWAYS_SPLIT ||
                      cp->splitmode > TGM_B2_FORWARD_COMPAT_SPLIT,
                  TGM_ERROR_ENCODING, "blosc2: unknown split mode %d", cp->splitmode);
    for (int i = 0; i < TGM_B2_MAX_FILTERS; i++) {
        TGM_RETURN_IF(cp->filters[i] > TGM_B2_DELTA, TGM_ERROR_ENCODING,
                      "blosc2: filter id %u in slot %d is not supported by the writer",
                      cp->filters[i], i);
    }
    return TGM_ERROR_OK;
}

static void put_be16(uint8_t *p, uint8_t tag, uint16_t v) {
    p[0] = tag;
    tgm__wr_be16(p + 1, v);
}
static void put_be32(uint8_t *p, uint8_t tag, uint32_t v) {
    p[0] = tag;
    tgm__wr_be32(p + 1, v);
}
static void put_be64(uint8_t *p, uint8_t tag, uint64_t v) {
    p[0] = tag;
    tgm__wr_be64(p + 1, v);
}

/* The msgpack frame header (README_CFRAME_FORMAT "Header"). */
static void write_frame_header(uint8_t *h, const tgm_b2_cparams *cp, uint64_t frame_len,
                               uint64_t nbytes, uint64_t cbytes, int32_t blocksize,
                               int32_t chunksize) {
    memset(h, 0, FRAME_HEADER_LEN);
    h[0] = 0x90 + 14; /* fixarray of 14 */
    h[1] = 0xA0 + 8;  /* str of 8 */
    memcpy(h + 2, "b2frame", 8);
    put_be32(h + 10, 0xD2, FRAME_HEADER_LEN);
    put_be64(h + 15, 0xCF, frame_len);
    h[24] = 0xA0 + 4;
    h[25] = FRAME_VERSION | 0x10; /* 64-bit offsets */
    h[26] = 0;                    /* contiguous frame */
    h[27] = (uint8_t)(cp->compcode | (cp->clevel << 4));
    h[28] = (uint8_t)(cp->splitmode - 1);
    put_be64(h + 29, 0xD3, nbytes);
    put_be64(h + 38, 0xD3, cbytes);
    put_be32(h + 47, 0xD2, cp->typesize);
    put_be32(h + 52, 0xD2, (uint32_t)blocksize);
    put_be32(h + 57, 0xD2, (uint32_t)chunksize);
    put_be16(h + 62, 0xD1, 0); /* threads for compression, as the reference records */
    put_be16(h + 65, 0xD1, 1); /* threads for decompression */
    h[68] = 0xC2;              /* no vlmetalayers */
    h[69] = 0xD8;              /* fixext 16: the filter pipeline */
    h[70] = TGM_B2_MAX_FILTERS;
    memcpy(h + 71, cp->filters, TGM_B2_MAX_FILTERS);
    h[77] = (uint8_t)cp->compcode;
    /* h[78] codec meta, h[79..84] filter meta, h[85..86] reserved: zero */
    h[87] = 0x90 + 3;          /* metalayers: [size, {}, []] */
    put_be16(h + 88, 0xCD, 7); /* size of the index map, including this field */
    put_be16(h + 91, 0xDE, 0);
    put_be16(h + 94, 0xDC, 0);
}

/* The msgpack trailer (README_CFRAME_FORMAT "Trailer") without
 * vlmetalayers and without fingerprint. */
static void write_frame_trailer(uint8_t *t) {
    memset(t, 0, FRAME_TRAILER_LEN);
    t[0] = 0x90 + 4; /* fixarray of 4 */
    t[1] = 1;        /* trailer format version */
    t[2] = 0x90 + 3; /* vlmetalayers: [size, {}, []] */
    put_be16(t + 3, 0xCD, 6);
    put_be16(t + 6, 0xDE, 0);
    put_be16(t + 9, 0xDC, 0);
    put_be32(t + 12, 0xCE, FRAME_TRAILER_LEN);
    t[17] = 0xD8; /* fixext 16: the fingerprint, type 0 (none), 16 zero bytes */
}

tgm_error tgm__b2_frame_encode(const tgm_b2_frame_opts *o, const uint8_t *src, size_t n,
                               tgm_buf *out) {
    const tgm_b2_cparams *cp = &o->cp;
    TGM_TRY(check_cparams(cp));

    /* Chunks hold a whole number of items, at most 256 MiB and never more
     * than c-blosc2 accepts in one call. */
    size_t req = o->chunk_bytes != 0 ? o->chunk_bytes : DEFAULT_CHUNK_BYTES;
    if (req > MAX_CHUNK_BYTES) {
        req = MAX_CHUNK_BYTES;
    }
    size_t chunk = req / cp->typesize;
    chunk = (chunk > 0 ? chunk : 1) * cp->typesize;
    size_t nchunks = n / chunk + (n % chunk != 0);
    TGM_RETURN_IF(nchunks > (size_t)INT32_MAX / 8, TGM_ERROR_ENCODING,
                  "blosc2: %zu chunks exceed the offsets index limit", nchunks);

    /* The offsets index is compressed with fixed parameters. */
    tgm_b2_cparams icp;
    memset(&icp, 0, sizeof icp);
    icp.compcode = TGM_BLOSC2_BLOSCLZ;
    icp.clevel = 5;
    icp.typesize = 8;
    icp.filters[5] = TGM_B2_SHUFFLE;
    icp.splitmode = TGM_B2_NEVER_SPLIT;

    tgm_error err = TGM_ERROR_OK;
    tgm_b2_enc *enc = NULL;
    uint8_t *offsets = NULL;
    size_t base = out->len;
    uint64_t data_bytes = 0;
    int32_t bs_state = 0; /* c-blosc2 keeps the first chunk's block size */
    int kind;

    TGM_CHECK(tgm__buf_append_zeros(out, FRAME_HEADER_LEN));
    if (n == 0) {
        /* c-blosc2 appends one empty chunk (a bare 32-byte header with
         * blocksize 1), then rewrites the trailer over it because a frame
         * without data has no offsets index: the frame keeps cbytes = 32
         * and chunk size 0 but holds neither chunk nor index. */
        uint8_t *t;
        TGM_CHECK(tgm__buf_extend(out, FRAME_TRAILER_LEN, &t));
        write_frame_trailer(t);
        write_frame_header(out->data + base, cp, FRAME_HEADER_LEN + FRAME_TRAILER_LEN, 0,
                           TGM_B2_EXT_HEADER, 1, 0);
        return TGM_ERROR_OK;
    }
    /* One reservation for the worst case (every chunk stored verbatim), so
     * the output never moves while chunks are appended. */
    size_t worst;
    if (tgm__mul_size(nchunks, 8 + 2 * TGM_B2_EXT_HEADER, &worst) ||
        tgm__add_size(worst, n + FRAME_TRAILER_LEN + TGM_B2_EXT_HEADER, &worst)) {
        err = tgm__fail(TGM_ERROR_ENCODING, "blosc2: output size for %zu bytes overflows", n);
        goto cleanup;
    }
    TGM_CHECK(tgm__buf_reserve(out, worst));
    TGM_CHECK(tgm__b2_enc_create(tgm__resolve_threads(o->threads), &enc));
    offsets = tgm__malloc_array(nchunks, 8);
    TGM_FAIL_IF(offsets == NULL, TGM_ERROR_ENCODING, "out of memory allocating %zu bytes for %s",
                nchunks * 8, "blosc2 offsets");

    for (size_t i = 0; i < nchunks; i++) {
        size_t off = i * chunk;
        uint32_t len = (uint32_t)(n - off < chunk ? n - off : chunk);
        bs_state = tgm__b2_blocksize(cp, bs_state, (int32_t)len);
        size_t at = out->len;
        TGM_CHECK(tgm__b2_chunk_compress(enc, cp, bs_state, src + off, len, out, &kind));
        if (kind == TGM_B2_CHUNK_ZEROS) {
            out->len = at; /* not stored: the offset says "zeros" */
            tgm__wr_le64(offsets + 8 * i, OFFSET_SPECIAL | ((uint64_t)TGM_B2_SPECIAL_ZERO << 56));
        } else {
            tgm__wr_le64(offsets + 8 * i, data_bytes);
            data_bytes += out->len - at;
        }
    }

    uint32_t off_nbytes = (uint32_t)(nchunks * 8);
    int32_t ibs = tgm__b2_blocksize(&icp, 16 * 1024, (int32_t)off_nbytes);
    tgm__b2_enc_free(enc);
    enc = NULL;
    TGM_CHECK(tgm__b2_enc_create(1, &enc));
    TGM_CHECK(tgm__b2_chunk_compress(enc, &icp, ibs, offsets, off_nbytes, out, &kind));

    uint8_t *t;
    TGM_CHECK(tgm__buf_extend(out, FRAME_TRAILER_LEN, &t));
    write_frame_trailer(t);
    write_frame_header(out->data + base, cp, out->len - base, n, data_bytes, bs_state,
                       (int32_t)(n < chunk ? n : chunk));

cleanup:
    if (err != TGM_ERROR_OK) {
        out->len = base;
    }
    tgm__b2_enc_free(enc);
    tgm__free(offsets);
    return err;
}

/* ==== reader ================================================================ */

typedef struct frame_view {
    const uint8_t *p;
    size_t n;
    uint32_t header_len;
    uint32_t trailer_len;
    uint64_t nbytes;
    uint64_t cbytes;
    uint32_t typesize;
    uint32_t chunksize;
    uint64_t nchunks;
    tgm_b2_chunk index; /* valid when nchunks > 0 */
} frame_view;

static uint32_t rd_be32_at(const uint8_t *p) { return tgm__rd_be32(p); }

static tgm_error frame_parse(const uint8_t *p, size_t n, frame_view *f) {
    memset(f, 0, sizeof *f);
    f->p = p;
    f->n = n;
    TGM_RETURN_IF(n < FRAME_HEADER_MINLEN + FRAME_TRAILER_MINLEN, TGM_ERROR_COMPRESSION,
                  "blosc2: frame of %zu bytes is shorter than the minimal %u", n,
                  FRAME_HEADER_MINLEN + FRAME_TRAILER_MINLEN);
    TGM_RETURN_IF(p[0] != 0x90 + 14 || p[1] != 0xA0 + 8 || memcmp(p + 2, "b2frame", 8) != 0,
                  TGM_ERROR_COMPRESSION, "blosc2: bad frame magic (expected \"b2frame\")");
    /* Fixed msgpack markers of the header fields we read. */
    static const struct {
        uint8_t at, tag;
    } marks[] = {{10, 0xD2}, {15, 0xCF}, {24, 0xA4}, {29, 0xD3},
                 {38, 0xD3}, {47, 0xD2}, {52, 0xD2}, {57, 0xD2}};
    for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++) {
        TGM_RETURN_IF(p[marks[i].at] != marks[i].tag, TGM_ERROR_COMPRESSION,
                      "blosc2: frame header byte %u is 0x%02x, expected msgpack marker 0x%02x",
                      marks[i].at, p[marks[i].at], marks[i].tag);
    }
    int32_t header_len = (int32_t)rd_be32_at(p + 11);
    uint64_t frame_len = tgm__rd_be64(p + 16);
    uint8_t gflags = p[25];
    int64_t nbytes = (int64_t)tgm__rd_be64(p + 30);
    int64_t cbytes = (int64_t)tgm__rd_be64(p + 39);
    int32_t typesize = (int32_t)rd_be32_at(p + 48);
    int32_t chunksize = (int32_t)rd_be32_at(p + 58);

    TGM_RETURN_IF(frame_len != n, TGM_ERROR_COMPRESSION,
                  "blosc2: frame length field says %" PRIu64 " bytes, the payload has %zu",
                  frame_len, n);
    TGM_RETURN_IF((gflags & 0x0F) == 0 || (gflags & 0x0F) > FRAME_VERSION, TGM_ERROR_COMPRESSION,
                  "blosc2: frame format version %u is not supported (1..%u)", gflags & 0x0F,
                  FRAME_VERSION);
    TGM_RETURN_IF(((gflags >> 4) & 3) != 1, TGM_ERROR_COMPRESSION,
                  "blosc2: only 64-bit chunk offsets are supported (offset code %u)",
                  (gflags >> 4) & 3);
    TGM_RETURN_IF(p[26] != 0, TGM_ERROR_COMPRESSION,
                  "blosc2: frame type %u is not a contiguous frame", p[26]);
    TGM_RETURN_IF(header_len < (int32_t)FRAME_HEADER_MINLEN || (uint64_t)header_len > n,
                  TGM_ERROR_COMPRESSION,
                  "blosc2: frame header length %" PRId32 " is outside %u..%zu", header_len,
                  FRAME_HEADER_MINLEN, n);
    TGM_RETURN_IF(nbytes < 0 || cbytes < 0, TGM_ERROR_COMPRESSION,
                  "blosc2: negative frame sizes (nbytes %" PRId64 ", cbytes %" PRId64 ")", nbytes,
                  cbytes);
    TGM_RETURN_IF(typesize <= 0, TGM_ERROR_COMPRESSION, "blosc2: frame typesize %" PRId32,
                  typesize);

    /* Trailer: its length sits 22 bytes before the end, after 0xce. */
    TGM_RETURN_IF(p[n - 23] != 0xCE, TGM_ERROR_COMPRESSION,
                  "blosc2: frame trailer marker missing (byte %zu is 0x%02x)", n - 23, p[n - 23]);
    uint32_t trailer_len = rd_be32_at(p + n - 22);
    TGM_RETURN_IF(trailer_len < FRAME_TRAILER_MINLEN || trailer_len > n - (size_t)header_len,
                  TGM_ERROR_COMPRESSION,
                  "blosc2: frame trailer length %" PRIu32 " is outside %u..%zu", trailer_len,
                  FRAME_TRAILER_MINLEN, n - (size_t)header_len);
    f->header_len = (uint32_t)header_len;
    f->trailer_len = trailer_len;
    f->nbytes = (uint64_t)nbytes;
    f->cbytes = (uint64_t)cbytes;
    f->typesize = (uint32_t)typesize;
    if (nbytes == 0) {
        /* No chunk is ever read (c-blosc2 counts none).  c-blosc2 writes an
         * empty input as header + trailer while cbytes still counts the
         * 32-byte empty chunk it dropped. */
        return TGM_ERROR_OK;
    }
    size_t body_end = n - trailer_len; /* chunks and offsets index end here */
    TGM_RETURN_IF((uint64_t)cbytes > body_end - (size_t)header_len, TGM_ERROR_COMPRESSION,
                  "blosc2: frame claims %" PRId64 " bytes of chunks, only %zu are present", cbytes,
                  body_end - (size_t)header_len);
    TGM_RETURN_IF(chunksize <= 0, TGM_ERROR_COMPRESSION,
                  "blosc2: frame chunk size %" PRId32 " (variable-size chunks are not supported)",
                  chunksize);
    f->chunksize = (uint32_t)chunksize;
    f->nchunks = f->nbytes / f->chunksize + (f->nbytes % f->chunksize != 0);
    /* The offsets index is one chunk: at most INT32_MAX bytes. */
    TGM_RETURN_IF(f->nchunks > (uint64_t)INT32_MAX / 8, TGM_ERROR_COMPRESSION,
                  "blosc2: frame claims %" PRIu64 " chunks of %" PRIu32
                  " bytes, more than an offsets index can list",
                  f->nchunks, f->chunksize);

    size_t idx_at = (size_t)header_len + (size_t)cbytes;
    TGM_TRY(tgm__b2_chunk_parse(p + idx_at, body_end - idx_at, "offsets chunk", &f->index));
    TGM_RETURN_IF(f->index.nbytes != f->nchunks * 8, TGM_ERROR_COMPRESSION,
                  "blosc2: offsets chunk holds %" PRIu32 " bytes, %" PRIu64 " chunks need %" PRIu64,
                  f->index.nbytes, f->nchunks, f->nchunks * 8);
    return TGM_ERROR_OK;
}

/* ---- work plan -------------------------------------------------------------
 * The wanted byte range is cut into units: one block of a compressed chunk,
 * or UNIT_BYTES of a memcpy'd or special chunk.  Units are independent
 * except for delta-filtered chunks, whose blocks need block 0 (each worker
 * decodes it once into its own scratch). */

typedef struct cplan {
    tgm_b2_chunk ch;       /* when frame_special == 0 */
    uint8_t frame_special; /* TGM_B2_SPECIAL_* from the offset, or 0 */
    uint32_t typesize;     /* items of a frame-special chunk */
    uint32_t len;          /* decoded chunk size */
    uint64_t lo, hi;       /* wanted range, chunk-relative */
    uint8_t *out;          /* receives byte lo */
    uint32_t unit;         /* unit size */
    uint64_t first;        /* first unit index */
    uint64_t base;         /* global index of the first unit */
    char name[32];         /* "chunk 12", for messages */
} cplan;

static int plan_compressed(const cplan *pl) {
    return pl->frame_special == 0 && pl->ch.special == TGM_B2_SPECIAL_NONE && !pl->ch.memcpyed;
}

static tgm_error run_unit(const cplan *pl, uint64_t u, tgm_b2_scratch *s) {
    const char *what = pl->name;
    uint64_t us = u * pl->unit;
    uint64_t ulen = pl->unit;
    if (plan_compressed(pl)) {
        ulen = tgm__b2_block_size(&pl->ch, (uint32_t)u);
    } else if (us + ulen > pl->len) {
        ulen = pl->len - us;
    }
    uint64_t ue = us + ulen;
    uint64_t a = us > pl->lo ? us : pl->lo;
    uint64_t b = ue < pl->hi ? ue : pl->hi;
    uint8_t *o = pl->out + (a - pl->lo);
    size_t len = (size_t)(b - a);

    if (pl->frame_special != 0) {
        return tgm__b2_fill_special(pl->frame_special, pl->typesize, NULL, o, len, a, what);
    }
    const tgm_b2_chunk *c = &pl->ch;
    if (c->special != TGM_B2_SPECIAL_NONE) {
        return tgm__b2_fill_special(c->special, c->typesize, c->p + TGM_B2_EXT_HEADER, o, len, a,
                                    what);
    }
    if (c->memcpyed) {
        memcpy(o, c->p + c->header_len + a, len);
        return TGM_ERROR_OK;
    }

    uint32_t j = (uint32_t)u;
    const uint8_t *dref = NULL;
    if (c->has_delta && j > 0) {
        if (s->dref_chunk != c->p) {
            TGM_TRY(tgm__b2_grow(&s->dref, &s->dref_cap, c->blocksize, "blosc2 delta reference"));
            s->dref_chunk = NULL;
            TGM_TRY(tgm__b2_block_decode(c, 0, s->dref, NULL, s, what));
            s->dref_chunk = c->p;
        }
        dref = s->dref;
    }
    if (a == us && b == ue) {
        return tgm__b2_block_decode(c, j, o, dref, s, what);
    }
    TGM_TRY(tgm__b2_grow(&s->c, &s->c_cap, (size_t)ulen, "blosc2 block"));
    TGM_TRY(tgm__b2_block_decode(c, j, s->c, dref, s, what));
    memcpy(o, s->c + (a - us), len);
    return TGM_ERROR_OK;
}

/* Set up the plan of one chunk for chunk-relative range [lo, hi). */
static void plan_units(cplan *pl, uint64_t lo, uint64_t hi, uint8_t *out) {
    pl->lo = lo;
    pl->hi = hi;
    pl->out = out;
    pl->unit = plan_compressed(pl) ? pl->ch.blocksize : UNIT_BYTES;
    pl->first = lo / pl->unit;
}

static uint64_t plan_count(const cplan *pl) { return (pl->hi - 1) / pl->unit - pl->first + 1; }

/* Decode chunk-relative bytes [lo, hi) of one chunk on the calling thread
 * (the offsets index). */
static tgm_error chunk_read(const tgm_b2_chunk *c, uint64_t lo, uint64_t hi, uint8_t *out,
                            tgm_b2_scratch *s) {
    cplan pl;
    memset(&pl, 0, sizeof pl);
    pl.ch = *c;
    pl.len = c->nbytes;
    snprintf(pl.name, sizeof pl.name, "offsets chunk");
    plan_units(&pl, lo, hi, out);
    uint64_t cnt = plan_count(&pl);
    for (uint64_t k = 0; k < cnt; k++) {
        TGM_TRY(run_unit(&pl, pl.first + k, s));
    }
    return TGM_ERROR_OK;
}

typedef struct decode_job {
    cplan *plans;
    size_t nplans;
    tgm_b2_pool *pool;
} decode_job;

static tgm_error decode_task(void *ctx, size_t g) {
    decode_job *jb = ctx;
    /* The plan holding global unit g: the last one whose base <= g. */
    size_t lo = 0, hi = jb->nplans;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (jb->plans[mid].base <= g) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    const cplan *pl = &jb->plans[lo];
    uint32_t slot;
    tgm_b2_scratch *s = tgm__b2_pool_acquire(jb->pool, &slot);
    tgm_error err = run_unit(pl, pl->first + (g - pl->base), s);
    tgm__b2_pool_release(jb->pool, slot);
    return err;
}

/* Resolve chunk i: its offset and, for a stored chunk, its checked header. */
static tgm_error plan_chunk(const frame_view *f, uint64_t i, uint64_t offset, cplan *pl) {
    memset(pl, 0, sizeof *pl);
    snprintf(pl->name, sizeof pl->name, "chunk %" PRIu64, i);
    pl->typesize = f->typesize;
    pl->len = (i + 1 == f->nchunks && f->nbytes % f->chunksize != 0)
                  ? (uint32_t)(f->nbytes % f->chunksize)
                  : f->chunksize;
    if (offset & OFFSET_SPECIAL) {
        uint8_t mark = (uint8_t)(offset >> 56);
        if (mark & TGM_B2_SPECIAL_ZERO) {
            pl->frame_special = TGM_B2_SPECIAL_ZERO;
        } else if (mark & TGM_B2_SPECIAL_UNINIT) {
            pl->frame_special = TGM_B2_SPECIAL_UNINIT;
        } else if (mark & TGM_B2_SPECIAL_NAN) {
            pl->frame_special = TGM_B2_SPECIAL_NAN;
            TGM_RETURN_IF(f->typesize != 4 && f->typesize != 8, TGM_ERROR_COMPRESSION,
                          "blosc2: chunk %" PRIu64 " is NaN-filled but typesize is %" PRIu32, i,
                          f->typesize);
        } else {
            return tgm__fail(TGM_ERROR_COMPRESSION,
                             "blosc2: chunk %" PRIu64 " has unknown special offset 0x%016" PRIx64,
                             i, offset);
        }
        return TGM_ERROR_OK;
    }
    TGM_RETURN_IF(offset >= f->cbytes, TGM_ERROR_COMPRESSION,
                  "blosc2: chunk %" PRIu64 " offset %" PRIu64 " is outside the %" PRIu64
                  " bytes of chunks",
                  i, offset, f->cbytes);
    TGM_TRY(tgm__b2_chunk_parse(f->p + f->header_len + offset, (size_t)(f->cbytes - offset),
                                pl->name, &pl->ch));
    TGM_RETURN_IF(pl->ch.nbytes != pl->len, TGM_ERROR_COMPRESSION,
                  "blosc2: chunk %" PRIu64 " decodes to %" PRIu32
                  " bytes, the frame expects %" PRIu32,
                  i, pl->ch.nbytes, pl->len);
    return TGM_ERROR_OK;
}

tgm_error tgm__b2_frame_decode(const uint8_t *src, size_t n, uint64_t expect_total, uint64_t pos,
                               uint64_t size, uint8_t *dst, uint32_t threads) {
    frame_view f;
    TGM_TRY(frame_parse(src, n, &f));
    TGM_RETURN_IF(expect_total != UINT64_MAX && f.nbytes != expect_total, TGM_ERROR_COMPRESSION,
                  "blosc2: frame decodes to %" PRIu64 " bytes, expected %" PRIu64, f.nbytes,
                  expect_total);
    uint64_t end;
    TGM_RETURN_IF(tgm__add_u64(pos, size, &end) || end > f.nbytes, TGM_ERROR_COMPRESSION,
                  "blosc2: range [%" PRIu64 ", +%" PRIu64 ") exceeds the frame's %" PRIu64
                  " decoded bytes",
                  pos, size, f.nbytes);
    if (size == 0) {
        return TGM_ERROR_OK;
    }
    threads = tgm__resolve_threads(threads);
    if (size < TGM_PARALLEL_THRESHOLD_BYTES) {
        threads = 1;
    }

    tgm_error err = TGM_ERROR_OK;
    tgm_b2_pool pool = {0, NULL};
    cplan *plans = NULL;
    uint8_t *offs = NULL;
    uint64_t c0 = pos / f.chunksize;
    uint64_t c1 = (end - 1) / f.chunksize; /* inclusive */
    uint64_t batch = BATCH_CHUNKS;

    TGM_CHECK(tgm__b2_pool_init(&pool, threads));
    plans = tgm__malloc_array((size_t)batch, sizeof *plans);
    offs = tgm__malloc_array((size_t)batch, 8);
    TGM_FAIL_IF(plans == NULL || offs == NULL, TGM_ERROR_ENCODING,
                "out of memory allocating blosc2 chunk plans");

    for (uint64_t b0 = c0; b0 <= c1; b0 += batch) {
        uint64_t b1 = (c1 - b0 < batch - 1) ? c1 : b0 + batch - 1;
        size_t np = (size_t)(b1 - b0 + 1);
        uint32_t slot;
        tgm_b2_scratch *s = tgm__b2_pool_acquire(&pool, &slot);
        err = chunk_read(&f.index, b0 * 8, (b1 + 1) * 8, offs, s);
        tgm__b2_pool_release(&pool, slot);
        if (err != TGM_ERROR_OK) {
            goto cleanup;
        }
        uint64_t units = 0;
        for (size_t k = 0; k < np; k++) {
            uint64_t i = b0 + k;
            cplan *pl = &plans[k];
            TGM_CHECK(plan_chunk(&f, i, tgm__rd_le64(offs + 8 * k), pl));
            uint64_t cstart = i * f.chunksize;
            uint64_t lo = pos > cstart ? pos - cstart : 0;
            uint64_t hi = end - cstart < pl->len ? end - cstart : pl->len;
            plan_units(pl, lo, hi, dst + (cstart + lo - pos));
            pl->base = units;
            units += plan_count(pl);
        }
        decode_job jb = {plans, np, &pool};
        TGM_CHECK(tgm__parallel_for(threads, (size_t)units, decode_task, &jb));
    }

cleanup:
    tgm__b2_pool_free(&pool);
    tgm__free(plans);
    tgm__free(offs);
    return err;
}

/* ==== codec table ========================================================== */

static tgm_error blosc2_compress(const tgm_codec_params *p, const uint8_t *src, size_t n,
                                 tgm_buf *out, tgm_u64vec *block_offsets) {
    (void)block_offsets; /* frames index themselves */
    tgm_b2_frame_opts o;
    tgm_blosc2_params bp;
    TGM_CODEC_OWN_GET(p, bp);
    TGM_RETURN_IF(bp.typesize < 1 || bp.typesize > 255, TGM_ERROR_ENCODING,
                  "blosc2: typesize must be 1..=255, got %zu", bp.typesize);
    tgm__b2_frame_opts_default(&o, bp.codec, bp.clevel, bp.typesize, p->threads);
    switch (bp.filter) {
    case TGM_BLOSC2_FILTER_SHUFFLE:
        break; /* the default pipeline */
    case TGM_BLOSC2_FILTER_BITSHUFFLE:
        o.cp.filters[5] = TGM_B2_NOFILTER;
        o.cp.filters[0] = TGM_B2_BITSHUFFLE;
        break;
    case TGM_BLOSC2_FILTER_NONE:
        o.cp.filters[5] = TGM_B2_NOFILTER;
        break;
    default:
        return tgm__fail(TGM_ERROR_ENCODING, "blosc2: unknown filter pipeline %d", (int)bp.filter);
    }
    o.chunk_bytes = bp.chunk_bytes;
    o.cp.check = p->inspect != NULL ? p : NULL;
    return tgm__b2_frame_encode(&o, src, n, out);
}

static tgm_error blosc2_decompress(const tgm_codec_params *p, const uint8_t *src, size_t n,
                                   uint8_t *dst, size_t dst_len) {
    return tgm__b2_frame_decode(src, n, dst_len, 0, dst_len, dst, p->threads);
}

static tgm_error blosc2_decompress_range(const tgm_codec_params *p, const uint8_t *src, size_t n,
                                         const uint64_t *block_offsets, size_t n_offsets,
                                         uint64_t byte_pos, uint64_t byte_size, uint8_t *dst) {
    (void)block_offsets;
    (void)n_offsets;
    return tgm__b2_frame_decode(src, n, UINT64_MAX, byte_pos, byte_size, dst, p->threads);
}

/* blosc2 is implemented here; its zlib inner codec comes from zlib. */
static const char *blosc2_backend(char *buf, size_t cap) {
    snprintf(buf, cap, "tensogram-c (built-in, zlib %s)", zlibVersion());
    return buf;
}

static const char *blosc2_version(void) { return TGM_VERSION_STRING; }
#endif /* TGM_HAVE_BLOSC2 */

void tgm__blosc2_params(tgm_codec_params *p, const tgm_blosc2_params *bp) {
    TGM_CODEC_OWN_PUT(p, *bp);
}

/* blosc2_codec (default lz4) and blosc2_clevel (default 5); the item size
 * of the stream is blosc2's typesize. */
static tgm_error blosc2_parse(const tgm_codec_keys *k, tgm_codec_params *p) {
    tgm_blosc2_params bp;
    memset(&bp, 0, sizeof bp);
    const char *inner;
    TGM_TRY(tgm__key_text_or(k, "blosc2_codec", "lz4", &inner));
    if (tgm__blosc2_inner_lookup(inner, strlen(inner), &bp.codec) != 0) {
        return tgm__fail(TGM_ERROR_ENCODING,
                         "unknown blosc2 codec: %s (expected one of: blosclz, lz4, lz4hc, zlib, "
                         "zstd)",
                         inner);
    }
    int32_t level;
    TGM_TRY(tgm__key_i32_or(k, "blosc2_clevel", 5, &level));
    bp.clevel = level;
    bp.typesize = p->stream.typesize;
    bp.filter = TGM_BLOSC2_FILTER_SHUFFLE;
    TGM_CODEC_OWN_PUT(p, bp);
    return TGM_ERROR_OK;
}

static const tgm_codec_selftest blosc2_selftest = {
    "pipeline       blosc2", "float32", "none", "none", "", 1.5};

/* No bound on expansion: a chunk header can describe a whole chunk of
 * zeros. */
const tgm_codec tgm__codec_blosc2 = {
    .name = "blosc2",
    .flags = TGM_CODEC_FEATURE | TGM_CODEC_INSPECTS,
    .parse = blosc2_parse,
#ifdef TGM_HAVE_BLOSC2
    .compress = blosc2_compress,
    .decompress = blosc2_decompress,
    .decompress_range = blosc2_decompress_range,
    .backend = blosc2_backend,
    .version = blosc2_version,
#endif
    .selftest = &blosc2_selftest,
};
