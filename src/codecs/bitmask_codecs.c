/* The dtype=bitmask payload form of rle and roaring: [u32 BE bit count]
 * [raw blob] (see bitmask_codecs.h). */
#include "codecs/bitmask_codecs.h"

#include <inttypes.h>

#include "common/endian.h"
#include "common/error.h"

tgm_error tgm__bitmask_prefixed_compress(const char *name, tgm_bitmask_encode_fn encode,
                                         const uint8_t *src, size_t n, tgm_buf *out) {
    TGM_RETURN_IF((uint64_t)n > UINT32_MAX / 8, TGM_ERROR_ENCODING,
                  "%s: a bitmask of %zu bytes exceeds the 4-byte bit-count prefix", name, n);
    uint64_t n_bits = (uint64_t)n * 8;
    uint8_t prefix[4];
    tgm__wr_be32(prefix, (uint32_t)n_bits);
    TGM_TRY(tgm__buf_append(out, prefix, 4));
    return encode(src, n_bits, out);
}

tgm_error tgm__bitmask_prefixed_decompress(const char *label, tgm_bitmask_decode_fn decode,
                                           const uint8_t *src, size_t n, uint8_t *dst,
                                           size_t dst_len) {
    TGM_RETURN_IF(n < 4, TGM_ERROR_COMPRESSION,
                  "%s blob too short: missing 4-byte n_elements prefix (%zu bytes)", label, n);
    uint64_t n_bits = tgm__rd_be32(src);
    TGM_RETURN_IF(tgm__bits_nbytes(n_bits) != (uint64_t)dst_len, TGM_ERROR_COMPRESSION,
                  "%s decompressed size %" PRIu64 " != expected %zu", label,
                  tgm__bits_nbytes(n_bits), dst_len);
    tgm_error err = decode(src + 4, n - 4, n_bits, dst);
    if (err != TGM_ERROR_OK) {
        return tgm__wrap(err, "%s decode", label);
    }
    return TGM_ERROR_OK;
}
