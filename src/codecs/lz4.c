/* lz4 compression: a 4-byte little-endian uncompressed length followed by
 * one raw LZ4 block (the reference's framing: lz4_flex's
 * compress_prepend_size).
 *
 * Encoding: an LZ4 block can be written many ways, and liblz4's choices
 * differ from the reference's encoder, so this file has its own greedy
 * block compressor making the reference encoder's choices, which yields the
 * same bytes:
 *  - one 4096-entry table of last positions; inputs shorter than 65535
 *    bytes hash the 4 bytes at a position ((u32 * 2654435761) >> 16), longer
 *    ones the low 5 bytes of the 8 at it (((u64 << 24) * 889523592379) >> 48),
 *    both little endian, and index the table with the hash >> 4;
 *  - position 0 is entered first and the search starts at 1; the search
 *    step grows by one every 32 misses (starting at 1);
 *  - a candidate is taken when it is at most 65535 back and its 4 bytes
 *    match; the match is extended backwards over pending literals, then
 *    forwards up to 6 bytes before the end; position end-2 of the match is
 *    entered into the table;
 *  - searching stops when fewer than 12 bytes remain; the rest are literals.
 *
 * Decoding uses liblz4's bounds-checked LZ4_decompress_safe after checking
 * the length prefix against the expected size. */
#include <string.h>

#include "codecs/codec.h"
#include "common/alloc.h"
#include "common/checked.h"
#include "common/copy.h"
#include "common/endian.h"
#include "common/error.h"

#ifdef TGM_HAVE_LZ4
#include <lz4.h>

#define MINMATCH 4
#define MFLIMIT 12     /* no match may start in the last 12 bytes */
#define END_LITERALS 6 /* matches stop this many bytes before the end */
#define MIN_INPUT 13   /* shorter inputs are all literals */
#define MAX_DISTANCE 65535
#define TABLE_SIZE 4096
#define SMALL_INPUT 65535 /* below this, 16-bit positions and 4-byte hashes */
#define SKIP_SHIFT 5

static inline uint32_t hash4(const uint8_t *p) {
    return ((tgm__rd_le32(p) * 2654435761u) >> 16) >> 4;
}

static inline uint32_t hash5(const uint8_t *p) {
    return (uint32_t)((((tgm__rd_le64(p) << 24) * 889523592379ull) >> 48) >> 4);
}

/* Append the LZ4 length extension for n (after the token's 15). */
static inline uint8_t *put_length(uint8_t *o, size_t n) {
    while (n >= 255) {
        *o++ = 255;
        n -= 255;
    }
    *o++ = (uint8_t)n;
    return o;
}

/* Bytes equal at a and b, at most `limit`. */
static inline size_t common_length(const uint8_t *a, const uint8_t *b, size_t limit) {
    size_t k = 0;
    while (k + 8 <= limit) {
        uint64_t x = tgm__rd_le64(a + k) ^ tgm__rd_le64(b + k);
        if (x != 0) {
            return k + (size_t)(__builtin_ctzll(x) >> 3);
        }
        k += 8;
    }
    while (k < limit && a[k] == b[k]) {
        k++;
    }
    return k;
}

/* The pipeline's check of the input (tgm_codec_params.inspect) follows
 * the parse: literals are copied and checked in pieces small enough to be
 * still in cache, and the bytes of a match are checked right after they
 * were compared, so the input is read from memory once. */
#define COPY_PIECE 16384

typedef struct inspector {
    const tgm_codec_params *p;
    const uint8_t *in;
    size_t unit; /* item size: checks cover whole items */
    size_t done; /* bytes checked; SIZE_MAX when there is no check */
    int stream;  /* long literal runs go out with non-temporal stores */
} inspector;

/* Check [done, upto) (upto a multiple of the unit, or the end); 0, or -1
 * when rejected. */
static int inspect_to(inspector *s, size_t upto) {
    if (s->done >= upto) {
        return 0;
    }
    if (tgm__codec_inspect(s->p, s->in + s->done, upto - s->done) != TGM_ERROR_OK) {
        return -1;
    }
    s->done = upto;
    return 0;
}

/* Check through the last whole item before `end`, once at least
 * INSPECT_BATCH bytes wait: a check per match would cost more than the
 * match on data with many short ones, and 4 KiB back are still in L1. */
#define INSPECT_BATCH 4096

static inline int inspect_items(inspector *s, size_t end) {
    if (s->done == SIZE_MAX || end - s->done < INSPECT_BATCH) {
        return 0;
    }
    return inspect_to(s, end - end % s->unit);
}

/* Copy in[from, from + n) to o, checking it piece by piece.  In a large
 * block, runs of a piece or more (incompressible stretches: the whole input
 * for noisy floats) are copied with non-temporal stores, as glibc's memcpy
 * does for one large copy (common/copy.h); checking in pieces would
 * otherwise turn that copy into cache-sized plain copies, which read every
 * output line from memory before writing it. */
static int copy_literals(inspector *s, uint8_t *o, const uint8_t *in, size_t from, size_t n) {
    if (s->done == SIZE_MAX) {
        memcpy(o, in + from, n);
        return 0;
    }
    int stream = s->stream && n >= COPY_PIECE;
    while (n > 0) {
        size_t k = n < COPY_PIECE ? n : COPY_PIECE;
        if (stream) {
            tgm__copy_stream(o, in + from, k);
        } else {
            memcpy(o, in + from, k);
        }
        o += k;
        from += k;
        n -= k;
        if (inspect_items(s, from) != 0) {
            return -1;
        }
    }
    return 0;
}

/* The final literals in[from, len): the block's end. */
static uint8_t *put_last_literals(uint8_t *o, const uint8_t *in, size_t from, size_t len,
                                  inspector *s) {
    size_t n = len - from;
    if (n < 15) {
        *o++ = (uint8_t)(n << 4);
    } else {
        *o++ = 0xF0;
        o = put_length(o, n - 15);
    }
    if (copy_literals(s, o, in, from, n) != 0 || (s->done != SIZE_MAX && inspect_to(s, len) != 0)) {
        return NULL;
    }
    return o + n;
}

/* Compress in[0, len) into o (at least len + len / 255 + 16 bytes); returns
 * the end of the block, or NULL when the inspection rejects the input.
 * `small` selects the 16-bit table (len < 65535). */
static uint8_t *compress_block(const uint8_t *in, size_t len, uint8_t *o, void *table,
                               const int small, inspector *insp) {
    uint16_t *t16 = table;
    uint32_t *t32 = table;
    const uint8_t *oend = o + len + len / 255 + 16;
    if (len < MIN_INPUT) {
        return put_last_literals(o, in, 0, len, insp);
    }
    const size_t last_start = len - MFLIMIT;
    size_t anchor = 0;
    size_t cur = 1;
    if (small) {
        t16[hash4(in)] = 0;
    } else {
        t32[hash5(in)] = 0;
    }
    for (;;) {
        size_t cand;
        size_t next = cur;
        uint32_t misses = 1u << SKIP_SHIFT;
        for (;;) {
            cur = next;
            next += misses++ >> SKIP_SHIFT;
            if (cur > last_start) {
                return put_last_literals(o, in, anchor, len, insp);
            }
            if (small) {
                uint32_t h = hash4(in + cur);
                cand = t16[h];
                t16[h] = (uint16_t)cur;
            } else {
                uint32_t h = hash5(in + cur);
                cand = t32[h];
                t32[h] = (uint32_t)cur;
            }
            if (cur - cand <= MAX_DISTANCE && tgm__rd_le32(in + cand) == tgm__rd_le32(in + cur)) {
                break;
            }
        }
        size_t offset = cur - cand;
        while (cand > 0 && cur > anchor && in[cur - 1] == in[cand - 1]) {
            cur--;
            cand--;
        }
        size_t lit = cur - anchor;
        cur += MINMATCH;
        cand += MINMATCH;
        size_t extra = common_length(in + cur, in + cand, len - END_LITERALS - cur);
        cur += extra;
        if (small) {
            t16[hash4(in + cur - 2)] = (uint16_t)(cur - 2);
        } else {
            t32[hash5(in + cur - 2)] = (uint32_t)(cur - 2);
        }

        uint8_t *token = o++;
        *token = (uint8_t)((lit < 15 ? lit : 15) << 4 | (extra < 15 ? extra : 15));
        if (lit >= 15) {
            o = put_length(o, lit - 15);
        }
        if (lit <= 16 && anchor + 16 <= len && o + 16 <= oend) {
            /* Short runs (most of them on data that compresses): one
             * fixed 16-byte copy, whose excess the rest overwrites. */
            memcpy(o, in + anchor, 16);
            if (inspect_items(insp, anchor + lit) != 0) {
                return NULL;
            }
        } else if (copy_literals(insp, o, in, anchor, lit) != 0) {
            return NULL;
        }
        o += lit;
        tgm__wr_le16(o, (uint16_t)offset);
        o += 2;
        if (extra >= 15) {
            o = put_length(o, extra - 15);
        }
        anchor = cur;
        if (inspect_items(insp, anchor) != 0) { /* the match, just compared */
            return NULL;
        }
    }
}

static tgm_error lz4_compress(const tgm_codec_params *p, const uint8_t *src, size_t n, tgm_buf *out,
                              tgm_u64vec *block_offsets) {
    (void)block_offsets;
    TGM_RETURN_IF(n > (size_t)LZ4_MAX_INPUT_SIZE, TGM_ERROR_COMPRESSION,
                  "lz4 error: input of %zu bytes exceeds the lz4 block limit of %d bytes", n,
                  LZ4_MAX_INPUT_SIZE);
    size_t bound = 4 + n + n / 255 + 16;
    uint8_t *o;
    size_t start = out->len;
    TGM_TRY(tgm__buf_extend(out, bound, &o));
    int small = n < SMALL_INPUT;
    void *table = tgm__calloc(TABLE_SIZE, small ? sizeof(uint16_t) : sizeof(uint32_t));
    if (table == NULL) {
        out->len = start;
        return tgm__oom(TABLE_SIZE * sizeof(uint32_t), "lz4 hash table");
    }
    tgm__wr_le32(o, (uint32_t)n);
    inspector insp = {p, src, 1, p->inspect != NULL ? 0 : SIZE_MAX, n >= TGM_STREAM_COPY_MIN};
    if (p->inspect != NULL && p->inspect->unit > 1) {
        insp.unit = p->inspect->unit;
    }
    uint8_t *end = compress_block(src, n, o + 4, table, small, &insp);
    if (insp.stream) {
        tgm__copy_stream_fence();
    }
    tgm__free(table);
    if (end == NULL) {
        out->len = start;
        return tgm__codec_inspect_fail(p);
    }
    out->len = start + (size_t)(end - o);
    return TGM_ERROR_OK;
}

static tgm_error lz4_decompress(const tgm_codec_params *p, const uint8_t *src, size_t n,
                                uint8_t *dst, size_t dst_len) {
    (void)p;
    TGM_RETURN_IF(n < 4, TGM_ERROR_COMPRESSION,
                  "lz4 error: stream of %zu bytes is shorter than its 4-byte size prefix", n);
    uint32_t declared = tgm__rd_le32(src);
    TGM_RETURN_IF(declared != dst_len, TGM_ERROR_COMPRESSION,
                  "lz4 error: size prefix %u does not match the expected %zu bytes", declared,
                  dst_len);
    TGM_RETURN_IF(n - 4 > (size_t)LZ4_MAX_INPUT_SIZE || dst_len > (size_t)LZ4_MAX_INPUT_SIZE,
                  TGM_ERROR_COMPRESSION, "lz4 error: block of %zu bytes exceeds the lz4 limit",
                  n - 4 > dst_len ? n - 4 : dst_len);
    uint8_t dummy = 0;
    int r = LZ4_decompress_safe((const char *)src + 4, dst_len != 0 ? (char *)dst : (char *)&dummy,
                                (int)(n - 4), (int)dst_len);
    TGM_RETURN_IF(r < 0, TGM_ERROR_COMPRESSION, "lz4 error: corrupt block (error at byte %d)", -r);
    TGM_RETURN_IF((size_t)r != dst_len, TGM_ERROR_COMPRESSION,
                  "lz4 error: block decompresses to %d bytes, expected %zu", r, dst_len);
    return TGM_ERROR_OK;
}

static const char *lz4_backend(char *buf, size_t cap) {
    (void)buf;
    (void)cap;
    return "liblz4";
}

static const char *lz4_version(void) { return LZ4_versionString(); }
#endif /* TGM_HAVE_LZ4 */

/* A 4-byte size prefix, then an LZ4 block: each input byte adds at most
 * 255 to a match length, so blocks expand at most 255-fold. */
static uint64_t lz4_max_expansion(const tgm_codec_params *p, uint64_t n) {
    (void)p;
    uint64_t r;
    return tgm__mul_u64(n, 256, &r) || tgm__add_u64(r, 64, &r) ? UINT64_MAX : r;
}

static const tgm_codec_selftest lz4_selftest = {
    "pipeline       lz4", "float32", "none", "none", "", 1.5};

const tgm_codec tgm__codec_lz4 = {
    .name = "lz4",
    .flags = TGM_CODEC_FEATURE | TGM_CODEC_INSPECTS,
    .max_expansion = lz4_max_expansion,
#ifdef TGM_HAVE_LZ4
    .compress = lz4_compress,
    .decompress = lz4_decompress,
    .backend = lz4_backend,
    .version = lz4_version,
#endif
    .selftest = &lz4_selftest,
};
