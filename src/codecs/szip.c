/* szip codec table: parameter resolution, block-offset checks and the
 * glue between tgm_codec and the encoder/decoder (szip_enc.c, szip_dec.c). */
#include "codecs/szip.h"

#include <inttypes.h>
#include <string.h>

#include "common/checked.h"
#include "common/error.h"

tgm_error tgm__szip_config(const tgm_codec_params *p, tgm_szip_cfg *cfg) {
    uint32_t bps = p->szip_bits_per_sample;
    uint32_t bs = p->szip_block_size;
    uint32_t rsi = p->szip_rsi;
    uint32_t flags = p->szip_flags;

    memset(cfg, 0, sizeof *cfg);
    TGM_RETURN_IF(bps == 0 || bps > 32, TGM_ERROR_ENCODING,
                  "szip: bits_per_sample must be 1..=32, got %u", bps);
    TGM_RETURN_IF(bs == 0, TGM_ERROR_ENCODING, "szip: block_size must be non-zero");
    if ((flags & TGM_SZIP_NOT_ENFORCE) != 0) {
        TGM_RETURN_IF((bs & 1u) != 0, TGM_ERROR_ENCODING, "szip: block_size must be even, got %u",
                      bs);
        TGM_RETURN_IF(bs > TGM_SZIP_MAX_BLOCK_SIZE, TGM_ERROR_ENCODING,
                      "szip: block_size must be at most %u, got %u", TGM_SZIP_MAX_BLOCK_SIZE, bs);
    } else {
        TGM_RETURN_IF(bs != 8 && bs != 16 && bs != 32 && bs != 64, TGM_ERROR_ENCODING,
                      "szip: block_size must be 8, 16, 32, or 64, got %u", bs);
    }
    TGM_RETURN_IF(rsi == 0 || rsi > TGM_SZIP_MAX_RSI, TGM_ERROR_ENCODING,
                  "szip: rsi must be 1..=4096, got %u", rsi);
    TGM_RETURN_IF((flags & TGM_SZIP_RESTRICTED) != 0 && bps > 4, TGM_ERROR_ENCODING,
                  "szip: AEC_RESTRICTED requires bits_per_sample <= 4, got %u", bps);

    /* 17..24-bit samples travel in 3-byte containers, as the reference
     * always asks libaec for. */
    if (bps > 16 && bps <= 24) {
        flags |= TGM_SZIP_DATA_3BYTE;
    }
    cfg->bps = bps;
    cfg->block_size = bs;
    cfg->rsi = rsi;
    cfg->flags = flags;
    if (bps <= 8) {
        cfg->width = 1;
    } else if (bps <= 16) {
        cfg->width = 2;
    } else if (bps <= 24 && (flags & TGM_SZIP_DATA_3BYTE) != 0) {
        cfg->width = 3;
    } else {
        cfg->width = 4;
    }
    /* Identifier length, CCSDS 121.0-B-3 Table 5-1 (restricted set for
     * samples of at most 4 bits, §5.1.2). */
    if (bps > 16) {
        cfg->id_len = 5;
    } else if (bps > 8) {
        cfg->id_len = 4;
    } else if ((flags & TGM_SZIP_RESTRICTED) != 0) {
        cfg->id_len = bps <= 2 ? 1 : 2;
    } else {
        cfg->id_len = 3;
    }
    cfg->kmax = (int)(1u << cfg->id_len) - 3;
    cfg->preprocess = (flags & TGM_SZIP_DATA_PREPROCESS) != 0;
    cfg->is_signed = (flags & TGM_SZIP_DATA_SIGNED) != 0;
    cfg->msb = (flags & TGM_SZIP_DATA_MSB) != 0;
    cfg->pad_rsi = (flags & TGM_SZIP_PAD_RSI) != 0;
    cfg->mask = bps == 32 ? UINT32_MAX : (1u << bps) - 1u;
    cfg->rsi_samples = (size_t)rsi * bs;
    cfg->rsi_bytes = cfg->rsi_samples * cfg->width;
    return TGM_ERROR_OK;
}

tgm_error tgm__szip_check_offsets(const uint64_t *offsets, size_t n_offsets, size_t n) {
    uint64_t nbits;
    TGM_RETURN_IF(tgm__mul_u64((uint64_t)n, 8, &nbits), TGM_ERROR_COMPRESSION,
                  "szip: stream of %zu bytes is too long", n);
    TGM_RETURN_IF(n_offsets == 0 && n != 0, TGM_ERROR_COMPRESSION,
                  "szip: szip_block_offsets is empty; first offset must be 0");
    for (size_t i = 0; i < n_offsets; i++) {
        uint64_t o = offsets[i];
        if (i == 0) {
            TGM_RETURN_IF(o != 0, TGM_ERROR_COMPRESSION,
                          "szip: szip_block_offsets[0]=%" PRIu64 " must be 0", o);
        } else {
            TGM_RETURN_IF(o <= offsets[i - 1], TGM_ERROR_COMPRESSION,
                          "szip: szip_block_offsets[%zu]=%" PRIu64
                          " is not greater than offsets[%zu]=%" PRIu64,
                          i, o, i - 1, offsets[i - 1]);
        }
        TGM_RETURN_IF(o >= nbits, TGM_ERROR_COMPRESSION,
                      "szip: szip_block_offsets[%zu]=%" PRIu64
                      " points past the end of the %zu-byte stream (%" PRIu64 " bits)",
                      i, o, n, nbits);
    }
    return TGM_ERROR_OK;
}

static tgm_error szip_compress(const tgm_codec_params *p, const uint8_t *src, size_t n,
                               tgm_buf *out, tgm_u64vec *block_offsets) {
    tgm_szip_cfg cfg;
    TGM_TRY(tgm__szip_config(p, &cfg));
    return tgm__szip_encode(&cfg, p->threads == 0 ? 1 : p->threads, src, n, out, block_offsets);
}

static tgm_error szip_decompress(const tgm_codec_params *p, const uint8_t *src, size_t n,
                                 uint8_t *dst, size_t dst_len) {
    tgm_szip_cfg cfg;
    TGM_TRY(tgm__szip_config(p, &cfg));
    return tgm__szip_decode(&cfg, src, n, dst, dst_len);
}

static tgm_error szip_decompress_range(const tgm_codec_params *p, const uint8_t *src, size_t n,
                                       const uint64_t *block_offsets, size_t n_offsets,
                                       uint64_t byte_pos, uint64_t byte_size, uint8_t *dst) {
    tgm_szip_cfg cfg;
    TGM_TRY(tgm__szip_config(p, &cfg));
    return tgm__szip_decode_range(&cfg, src, n, block_offsets, n_offsets, byte_pos, byte_size, dst);
}

const tgm_codec tgm__codec_szip = {"szip", szip_compress, szip_decompress, szip_decompress_range};
