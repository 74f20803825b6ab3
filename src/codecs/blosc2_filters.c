/* blosc2 filters: byte shuffle, bit shuffle and delta, with the exact byte
 * layouts c-blosc2 writes (shuffle-generic.h, bitshuffle-generic.c and
 * delta.c of c-blosc2 2.21.3 define them; this is an independent
 * implementation of those layouts). */
#include <string.h>

#include "codecs/blosc2.h"
#include "common/endian.h"
#include "common/transpose.h"

/* ---- byte shuffle --------------------------------------------------------
 * Byte j of element i goes to dst[j * count + i] (common/transpose.c); the
 * n % ts trailing bytes are copied unchanged. */

void tgm__b2_shuffle(uint32_t ts, size_t n, const uint8_t *src, uint8_t *dst) {
    size_t count = ts > 0 ? n / ts : 0;
    size_t whole = count * ts;
    if (ts <= 1 || count == 0) {
        memcpy(dst, src, n);
        return;
    }
    tgm__transpose_bytes(src, ts, count, 0, count, dst);
    memcpy(dst + whole, src + whole, n - whole);
}

void tgm__b2_unshuffle(uint32_t ts, size_t n, const uint8_t *src, uint8_t *dst) {
    size_t count = ts > 0 ? n / ts : 0;
    size_t whole = count * ts;
    if (ts <= 1 || count == 0) {
        memcpy(dst, src, n);
        return;
    }
    tgm__untranspose_bytes(src, ts, count, 0, count, dst);
    memcpy(dst + whole, src + whole, n - whole);
}

/* ---- bit shuffle ---------------------------------------------------------
 * Layout: for element count m (a multiple of 8), bit k of byte b of element
 * e lands in row r = 8 * b + k, byte e / 8 of that row, bit e % 8; each row
 * holds m / 8 bytes.  Gathering byte b of eight consecutive elements into a
 * 64-bit word (element t in byte t) and transposing that 8x8 bit matrix
 * yields the eight row bytes at once (byte k = row 8 * b + k). */

/* Transpose the 8x8 bit matrix whose bit (8 * r + c) is row r, column c. */
static inline uint64_t transpose8(uint64_t x) {
    uint64_t t;
    t = (x ^ (x >> 7)) & 0x00AA00AA00AA00AAull;
    x = x ^ t ^ (t << 7);
    t = (x ^ (x >> 14)) & 0x0000CCCC0000CCCCull;
    x = x ^ t ^ (t << 14);
    t = (x ^ (x >> 28)) & 0x00000000F0F0F0F0ull;
    x = x ^ t ^ (t << 28);
    return x;
}

/* Byte b of the eight items at e (items ts bytes apart), as a word. */
static inline uint64_t gather8(const uint8_t *e, size_t ts, size_t b) {
    uint64_t x = 0;
    for (unsigned t = 0; t < 8; t++) {
        x |= (uint64_t)e[t * ts + b] << (8 * t);
    }
    return x;
}

static inline void scatter8(uint8_t *e, size_t ts, size_t b, uint64_t x) {
    for (unsigned t = 0; t < 8; t++) {
        e[t * ts + b] = (uint8_t)(x >> (8 * t));
    }
}

void tgm__b2_bitshuffle(uint32_t ts, size_t n, const uint8_t *src, uint8_t *dst) {
    size_t count = ts > 0 ? n / ts : 0;
    size_t m = count - count % 8;
    size_t row = m / 8; /* bytes per bit row */
    size_t done = m * ts;
    size_t g = 0;
    /* Eight groups at a time: one 64-bit store per bit row. */
    for (; g + 8 <= row; g += 8) {
        const uint8_t *e = src + g * 8 * ts;
        for (size_t b = 0; b < ts; b++) {
            uint64_t out[8] = {0, 0, 0, 0, 0, 0, 0, 0};
            for (unsigned gg = 0; gg < 8; gg++) {
                uint64_t x = transpose8(gather8(e + gg * 8 * ts, ts, b));
                for (unsigned k = 0; k < 8; k++) {
                    out[k] |= ((x >> (8 * k)) & 0xFFu) << (8 * gg);
                }
            }
            for (unsigned k = 0; k < 8; k++) {
                tgm__wr_le64(dst + (8 * b + k) * row + g, out[k]);
            }
        }
    }
    for (; g < row; g++) {
        const uint8_t *e = src + g * 8 * ts;
        for (size_t b = 0; b < ts; b++) {
            uint64_t x = transpose8(gather8(e, ts, b));
            uint8_t *o = dst + 8 * b * row + g;
            for (unsigned k = 0; k < 8; k++) {
                o[k * row] = (uint8_t)(x >> (8 * k));
            }
        }
    }
    memcpy(dst + done, src + done, n - done);
}

void tgm__b2_bitunshuffle(uint32_t ts, size_t n, const uint8_t *src, uint8_t *dst) {
    size_t count = ts > 0 ? n / ts : 0;
    size_t m = count - count % 8;
    size_t row = m / 8;
    size_t done = m * ts;
    size_t g = 0;
    for (; g + 8 <= row; g += 8) {
        uint8_t *e = dst + g * 8 * ts;
        for (size_t b = 0; b < ts; b++) {
            uint64_t in[8];
            for (unsigned k = 0; k < 8; k++) {
                in[k] = tgm__rd_le64(src + (8 * b + k) * row + g);
            }
            for (unsigned gg = 0; gg < 8; gg++) {
                uint64_t x = 0;
                for (unsigned k = 0; k < 8; k++) {
                    x |= ((in[k] >> (8 * gg)) & 0xFFu) << (8 * k);
                }
                scatter8(e + gg * 8 * ts, ts, b, transpose8(x)); /* its own inverse */
            }
        }
    }
    for (; g < row; g++) {
        uint8_t *e = dst + g * 8 * ts;
        for (size_t b = 0; b < ts; b++) {
            const uint8_t *in = src + 8 * b * row + g;
            uint64_t x = 0;
            for (unsigned k = 0; k < 8; k++) {
                x |= (uint64_t)in[k * row] << (8 * k);
            }
            scatter8(e, ts, b, transpose8(x));
        }
    }
    memcpy(dst + done, src + done, n - done);
}

/* ---- delta ----------------------------------------------------------------
 * XOR is byte-wise, so an element width w only decides which bytes pair up
 * (distance w in block 0) and where the last whole element ends. */

static size_t delta_width(uint32_t ts) {
    if (ts == 1 || ts == 2 || ts == 4 || ts == 8) {
        return ts;
    }
    return (ts % 8 == 0) ? 8 : 1;
}

void tgm__b2_delta_encode(uint32_t ts, size_t n, const uint8_t *src, const uint8_t *ref, int block0,
                          uint8_t *dst) {
    size_t w = delta_width(ts);
    size_t whole = n - n % w;
    if (block0) {
        size_t first = whole < w ? whole : w;
        memcpy(dst, ref, first);
        for (size_t i = w; i < whole; i++) {
            dst[i] = (uint8_t)(src[i] ^ ref[i - w]);
        }
    } else {
        for (size_t i = 0; i < whole; i++) {
            dst[i] = (uint8_t)(src[i] ^ ref[i]);
        }
    }
    /* c-blosc2 leaves these bytes unwritten; copying them keeps our output
     * deterministic and its decoder leaves them untouched too. */
    memcpy(dst + whole, src + whole, n - whole);
}

void tgm__b2_delta_decode(uint32_t ts, size_t n, uint8_t *buf, const uint8_t *ref) {
    size_t w = delta_width(ts);
    size_t whole = n - n % w;
    if (ref == NULL) {
        for (size_t i = w; i < whole; i++) {
            buf[i] ^= buf[i - w];
        }
    } else {
        for (size_t i = 0; i < whole; i++) {
            buf[i] ^= ref[i];
        }
    }
}
