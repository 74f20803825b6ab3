/* Bit-level run-length encoding (WIRE_FORMAT §8).
 *
 *   [u8 start bit (0 or 1)] [ULEB128 run] [ULEB128 run] ...
 *
 * Runs alternate between the start bit's value and its complement, are at
 * least 1 long and sum to the bit count, which is not stored: mask blobs
 * take it from the descriptor's shape, and the dtype=bitmask codec table
 * below stores it as a 4-byte big-endian prefix. */
#include <inttypes.h>
#include <string.h>

#include "codecs/bitmask_codecs.h"
#include "codecs/codec.h"
#include "common/endian.h"
#include "common/error.h"

/* A u64 needs at most 10 ULEB128 bytes (9 x 7 bits + 1). */
#define ULEB_MAX 10

static size_t put_uleb(uint8_t *p, uint64_t v) {
    size_t k = 0;
    while (v >= 0x80) {
        p[k++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[k++] = (uint8_t)v;
    return k;
}

tgm_error tgm__rle_encode(const uint8_t *bits, uint64_t n_bits, tgm_buf *out) {
    if (n_bits == 0) {
        return TGM_ERROR_OK; /* the empty mask is the empty blob */
    }
    int cur = tgm__bits_get(bits, 0);
    TGM_TRY(tgm__buf_append_u8(out, (uint8_t)cur));
    uint64_t pos = 0;
    while (pos < n_bits) {
        uint64_t next = tgm__bits_find_change(bits, n_bits, pos, cur);
        TGM_TRY(tgm__buf_reserve(out, ULEB_MAX));
        out->len += put_uleb(out->data + out->len, next - pos);
        pos = next;
        cur ^= 1;
    }
    return TGM_ERROR_OK;
}

/* Read one ULEB128 value at src[*pos]; advances *pos. */
static tgm_error get_uleb(const uint8_t *src, size_t n, size_t *pos, uint64_t *value) {
    size_t start = *pos;
    uint64_t v = 0;
    for (unsigned k = 0; k < ULEB_MAX; k++) {
        if (start + k >= n) {
            return tgm__fail(TGM_ERROR_COMPRESSION,
                             "RLE decode error: truncated ULEB128 at byte %zu: missing "
                             "terminator byte",
                             start);
        }
        uint8_t b = src[start + k];
        uint64_t chunk = b & 0x7Fu;
        /* The tenth byte carries only bit 63; anything more overflows. */
        if (k == ULEB_MAX - 1 && (b & 0xFE) != 0) {
            return tgm__fail(TGM_ERROR_COMPRESSION,
                             "RLE decode error: ULEB128 at byte %zu overflows u64", start);
        }
        v |= chunk << (7 * k);
        if ((b & 0x80) == 0) {
            *pos = start + k + 1;
            *value = v;
            return TGM_ERROR_OK;
        }
    }
    /* Unreachable: the tenth byte either terminates or fails above. */
    return tgm__fail(TGM_ERROR_COMPRESSION, "RLE decode error: ULEB128 at byte %zu overflows u64",
                     start);
}

tgm_error tgm__rle_decode(const uint8_t *src, size_t n, uint64_t n_bits, uint8_t *dst) {
    if (n_bits == 0) {
        TGM_RETURN_IF(n != 0, TGM_ERROR_COMPRESSION,
                      "RLE decode error: zero-element mask must have empty payload; got %zu "
                      "bytes",
                      n);
        return TGM_ERROR_OK;
    }
    TGM_RETURN_IF(n == 0, TGM_ERROR_COMPRESSION,
                  "RLE decode error: empty RLE payload but %" PRIu64 " elements declared", n_bits);
    TGM_RETURN_IF(src[0] > 1, TGM_ERROR_COMPRESSION,
                  "RLE decode error: invalid start_bit byte 0x%02x (must be 0x00 or 0x01)", src[0]);

    memset(dst, 0, (size_t)tgm__bits_nbytes(n_bits));
    int cur = src[0];
    uint64_t pos = 0;
    size_t i = 1;
    while (i < n) {
        size_t at = i;
        uint64_t run = 0;
        TGM_TRY(get_uleb(src, n, &i, &run));
        TGM_RETURN_IF(run == 0, TGM_ERROR_COMPRESSION,
                      "RLE decode error: zero-length run at byte %zu is not permitted by the RLE "
                      "format",
                      at);
        if (run > n_bits - pos) {
            uint64_t end = pos + run < pos ? UINT64_MAX : pos + run;
            return tgm__fail(TGM_ERROR_COMPRESSION,
                             "RLE decode error: run overruns element count: decoded %" PRIu64
                             "..%" PRIu64 " but only %" PRIu64 " declared",
                             pos, end, n_bits);
        }
        if (cur) {
            tgm__bits_set_range(dst, pos, run);
        }
        pos += run;
        cur ^= 1;
    }
    TGM_RETURN_IF(pos != n_bits, TGM_ERROR_COMPRESSION,
                  "RLE decode error: RLE decoded %" PRIu64 " elements but %" PRIu64 " declared",
                  pos, n_bits);
    return TGM_ERROR_OK;
}

/* --- dtype=bitmask codec: [u32 BE bit count][RLE blob] (bitmask_codecs.c) -- */

TGM_BITMASK_PREFIXED_CODEC(rle, "rle", "RLE", tgm__rle_encode, tgm__rle_decode)

/* No bound on expansion: one varint describes a run of any length. */
const tgm_codec tgm__codec_rle = {
    .name = "rle",
    .dtypes = TGM_DTYPE_BIT(TGM_DT_BITMASK),
    .compress = rle_compress,
    .decompress = rle_decompress,
};
