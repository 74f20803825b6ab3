/* The two bitmask-only codecs (WIRE_FORMAT §8) at the bit level.
 *
 * Both work on a packed bitmask of `n_bits` bits: bit i at byte i/8,
 * position 7 - (i % 8) (MSB first, WIRE_FORMAT §6.5.2).  The encoders read
 * only the first n_bits bits (trailing bits of the last byte may hold
 * anything); the decoders write all ceil(n_bits / 8) bytes of `dst`, with
 * trailing bits zero.
 *
 * These raw forms are what a NaN/Inf mask blob holds.  The codec table
 * entries `tgm__codec_rle` / `tgm__codec_roaring` (dtype=bitmask payloads)
 * wrap them with a 4-byte big-endian bit-count prefix (bitmask_codecs.c).
 *
 * Errors: TGM_ERROR_COMPRESSION with a detail "RLE decode error: ..." or
 * "Roaring decode error: ..." (or "malformed mask payload: ..." for a
 * well-formed roaring blob holding a position >= n_bits); TGM_ERROR_ENCODING
 * when n_bits is beyond what the format can address; out-of-memory errors
 * from the output buffer.  Thread-safe. */
#ifndef TGM_CODECS_BITMASK_CODECS_H
#define TGM_CODECS_BITMASK_CODECS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/buf.h"
#include "tensogram/tensogram.h"

/* --- small bit helpers shared by the bitmask codecs and masks/ ------------ */

/* Bytes of a packed bitmask of n bits. */
static inline uint64_t tgm__bits_nbytes(uint64_t n_bits) { return n_bits / 8 + (n_bits % 8 != 0); }

static inline int tgm__bits_get(const uint8_t *bits, uint64_t i) {
    return (bits[i >> 3] >> (7 - (i & 7))) & 1;
}

static inline void tgm__bits_set(uint8_t *bits, uint64_t i) {
    bits[i >> 3] |= (uint8_t)(0x80u >> (i & 7));
}

/* Big-endian 64-bit load: bit i of the 8 bytes lands at word bit 63 - i. */
static inline uint64_t tgm__bits_load64(const uint8_t *p) {
    uint64_t w;
    memcpy(&w, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return w;
#else
    return __builtin_bswap64(w);
#endif
}

/* Set bits [start, start + count) to one. */
static inline void tgm__bits_set_range(uint8_t *bits, uint64_t start, uint64_t count) {
    if (count == 0) {
        return;
    }
    uint64_t end = start + count; /* exclusive */
    uint64_t b0 = start >> 3, b1 = (end - 1) >> 3;
    uint8_t head = (uint8_t)(0xFFu >> (start & 7));
    uint8_t tail = (uint8_t)(0xFFu << (7 - ((end - 1) & 7)));
    if (b0 == b1) {
        bits[b0] |= (uint8_t)(head & tail);
        return;
    }
    bits[b0] |= head;
    if (b1 > b0 + 1) {
        memset(bits + b0 + 1, 0xFF, (size_t)(b1 - b0 - 1));
    }
    bits[b1] |= tail;
}

/* First index in [pos, n_bits) whose bit differs from `cur` (0 or 1), or
 * n_bits when there is none.  Reads whole words where it can. */
static inline uint64_t tgm__bits_find_change(const uint8_t *bits, uint64_t n_bits, uint64_t pos,
                                             int cur) {
    const uint64_t invw = cur ? ~(uint64_t)0 : 0;
    while (pos < n_bits && (pos & 7) != 0) {
        if (tgm__bits_get(bits, pos) != cur) {
            return pos;
        }
        pos++;
    }
    while (n_bits - pos >= 64) {
        uint64_t w = tgm__bits_load64(bits + (pos >> 3)) ^ invw;
        if (w != 0) {
            return pos + (uint64_t)__builtin_clzll(w);
        }
        pos += 64;
    }
    while (pos < n_bits) {
        if (tgm__bits_get(bits, pos) != cur) {
            return pos;
        }
        pos++;
    }
    return n_bits;
}

/* RLE: [u8 start bit][ULEB128 run]...; empty for n_bits == 0.  Appends to
 * `out` after out->len. */
tgm_error tgm__rle_encode(const uint8_t *bits, uint64_t n_bits, tgm_buf *out);

/* Decode an RLE blob of `n` bytes describing exactly `n_bits` bits.  Every
 * run must be >= 1, the runs must sum to n_bits, varints must fit in 64 bits
 * (at most 10 bytes) and no byte may follow the last run. */
tgm_error tgm__rle_decode(const uint8_t *src, size_t n, uint64_t n_bits, uint8_t *dst);

/* Roaring portable serialisation of the set positions, byte-identical to the
 * reference (the Rust `roaring` crate, one insert per set bit, then
 * `optimize()`, then `serialize_into`).  n_bits must be <= 2^32 - 1. */
tgm_error tgm__roaring_encode(const uint8_t *bits, uint64_t n_bits, tgm_buf *out);

/* Decode any valid portable-format blob (array, bitmap and run containers,
 * with or without the offset header) into `dst`.  Validated: cookie,
 * container count (<= 65536), strictly increasing keys, per-container
 * cardinality (array values strictly increasing, bitmap popcount, run sums),
 * runs sorted and not touching, offsets (when present) equal to the real
 * container positions, every position < n_bits, nothing after the last
 * container. */
tgm_error tgm__roaring_decode(const uint8_t *src, size_t n, uint64_t n_bits, uint8_t *dst);

/* The dtype=bitmask payload form shared by rle and roaring: a 4-byte
 * big-endian bit count, then the raw blob.  The reference counts every bit
 * of the packed payload, padding included (bit count = 8 * bytes), so the
 * prefix and the blob cover the zero padding too; decoding accepts any
 * prefix whose byte count matches.  `name` / `label` name the codec in
 * messages ("rle: a bitmask of ... bytes exceeds ...", "RLE blob too
 * short: ..."). */
typedef tgm_error (*tgm_bitmask_encode_fn)(const uint8_t *bits, uint64_t n_bits, tgm_buf *out);
typedef tgm_error (*tgm_bitmask_decode_fn)(const uint8_t *src, size_t n, uint64_t n_bits,
                                           uint8_t *dst);
tgm_error tgm__bitmask_prefixed_compress(const char *name, tgm_bitmask_encode_fn encode,
                                         const uint8_t *src, size_t n, tgm_buf *out);
tgm_error tgm__bitmask_prefixed_decompress(const char *label, tgm_bitmask_decode_fn decode,
                                           const uint8_t *src, size_t n, uint8_t *dst,
                                           size_t dst_len);

/* The codec table's compress and decompress functions (codecs/codec.h)
 * of a bitmask codec: `prefix`_compress and `prefix`_decompress over the
 * raw encoder and decoder, `name` and `label` as above. */
#define TGM_BITMASK_PREFIXED_CODEC(prefix, name, label, encode, decode)                            \
    static tgm_error prefix##_compress(const tgm_codec_params *p, const uint8_t *src, size_t n,    \
                                       tgm_buf *out, tgm_u64vec *block_offsets) {                  \
        (void)p;                                                                                   \
        (void)block_offsets;                                                                       \
        return tgm__bitmask_prefixed_compress(name, encode, src, n, out);                          \
    }                                                                                              \
    static tgm_error prefix##_decompress(const tgm_codec_params *p, const uint8_t *src, size_t n,  \
                                         uint8_t *dst, size_t dst_len) {                           \
        (void)p;                                                                                   \
        return tgm__bitmask_prefixed_decompress(label, decode, src, n, dst, dst_len);              \
    }

#endif
