/* szip's codec table entry: its parameters and their checks, the bound on
 * its expansion, and the glue between tgm_codec and the encoder / decoder
 * (szip_enc.c, szip_dec.c, compiled when TGM_WITH_SZIP is on). */
#include "codecs/szip.h"

#include <string.h>

#include "common/checked.h"
#include "common/error.h"

tgm_error tgm__szip_config(const tgm_codec_params *p, tgm_szip_cfg *cfg) {
    tgm_szip_params sp;
    TGM_CODEC_OWN_GET(p, sp);
    uint32_t bps = sp.bits_per_sample;
    uint32_t bs = sp.block_size;
    uint32_t rsi = sp.rsi;
    uint32_t flags = sp.flags;

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

/* szip_rsi, szip_block_size and szip_flags from the descriptor; the sample
 * width from the stream.  Packed values are MSB-first (the reference's
 * behaviour) and travel one per container when their width is not a
 * multiple of 8 (flag TGM_CODEC_BYTE_SAMPLES), so the sample width is the
 * packed bit width either way. */
static tgm_error szip_parse(const tgm_codec_keys *k, tgm_codec_params *p) {
    tgm_szip_params sp;
    TGM_TRY(tgm__key_u32(k, "szip_rsi", &sp.rsi));
    TGM_TRY(tgm__key_u32(k, "szip_block_size", &sp.block_size));
    TGM_TRY(tgm__key_u32(k, "szip_flags", &sp.flags));
    if (p->stream.packed) {
        sp.flags |= TGM_SZIP_DATA_MSB;
    }
    sp.bits_per_sample = p->stream.sample_bits;
    TGM_CODEC_OWN_PUT(p, sp);
    return TGM_ERROR_OK;
}

/* CCSDS 121.0-B-3 §5.1.4: the densest code is a zero-block run, at least 3
 * bits (identifier, selector bit, one FS bit) for at most one segment of
 * 64 blocks; every other block option costs at least one bit per sample.
 * Samples are at most 4 bytes. */
static uint64_t szip_max_expansion(const tgm_codec_params *p, uint64_t n) {
    tgm_szip_params sp;
    TGM_CODEC_OWN_GET(p, sp);
    uint64_t bs = sp.block_size;
    if (bs == 0 || bs > TGM_SZIP_MAX_BLOCK_SIZE) {
        bs = TGM_SZIP_MAX_BLOCK_SIZE; /* the codec rejects it anyway */
    }
    uint64_t runs, r;
    if (tgm__mul_u64(n, 3, &runs) || tgm__add_u64(runs, 1, &runs) ||
        tgm__mul_u64(runs, 64 * 4 * bs, &r)) {
        return UINT64_MAX;
    }
    return r;
}

#ifdef TGM_HAVE_SZIP
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

static const char *szip_backend(char *buf, size_t cap) {
    (void)buf;
    (void)cap;
    return "tensogram-c (built-in)";
}

static const char *szip_version(void) { return TGM_VERSION_STRING; }
#endif /* TGM_HAVE_SZIP */

static const tgm_codec_selftest szip_selftest = {
    "pipeline       simple_packing+szip",
    "float64",
    "simple_packing",
    "none",
    ",\"sp_bits_per_value\":24,\"szip_rsi\":128,\"szip_block_size\":16,\"szip_flags\":8",
    1.5};

const tgm_codec tgm__codec_szip = {
    .name = "szip",
    .flags = TGM_CODEC_BLOCK_OFFSETS | TGM_CODEC_BYTE_SAMPLES | TGM_CODEC_FEATURE |
             TGM_CODEC_PURE_VARIANT,
    .parse = szip_parse,
    .max_expansion = szip_max_expansion,
#ifdef TGM_HAVE_SZIP
    .compress = szip_compress,
    .decompress = szip_decompress,
    .decompress_range = szip_decompress_range,
    .backend = szip_backend,
    .version = szip_version,
#endif
    .selftest = &szip_selftest,
};
