/* The szip decoder through its codec table (codec_target.h).  Parameters:
 * block size (b0 & 3 picks a standard one, b0 & 0x80 any up to 4099),
 * rsi from w0, flags b1, bits per sample from b2. */
#define FZ_CODEC "szip"
#define FZ_OFFSETS
#define FZ_ROUNDTRIP
#include "codec_target.h"
#include "codecs/szip.h"

static void fz_setup(fz_setup_args *a) {
    static const uint32_t sizes[4] = {8, 16, 32, 64};
    tgm_szip_params sp;
    sp.block_size = (a->b0 & 0x80) ? (uint32_t)(a->w0 % 4100) : sizes[a->b0 & 3];
    sp.rsi = 1 + (uint32_t)((a->w0 >> 4) % 128);
    if (a->b0 & 0x40) {
        sp.rsi = a->w0 % 4200;
    }
    sp.flags = a->b1;
    sp.bits_per_sample = (a->b2 & 0x80) ? a->b2 : (uint32_t)(a->b2 % 32 + 1);
    TGM_CODEC_OWN_PUT(a->p, sp);
}

/* The offsets the encoder would have reported for the stream. */
static int fz_offsets(const tgm_codec_params *p, const uint8_t *src, size_t n, size_t dst_len,
                      tgm_u64vec *offs) {
    tgm_szip_cfg cfg;
    return tgm__szip_config(p, &cfg) == TGM_ERROR_OK &&
           tgm__szip_scan_offsets(&cfg, src, n, dst_len, offs) == TGM_ERROR_OK;
}

/* Only when every decoded sample is in range and the data is not signed
 * and preprocessed: the codec matches libaec bit for bit, and libaec's
 * decoder turns a hostile stream into samples wider than bits_per_sample,
 * which its encoder does not reproduce, and its encoder does not
 * round-trip every in-range signed series through the predictor (libaec
 * 1.0.6: 13-bit samples 162, -467 come back as 162, -1653). */
static int fz_roundtrip(const tgm_codec_params *p, const uint8_t *d, size_t n) {
    tgm_szip_cfg cfg;
    if (tgm__szip_config(p, &cfg) != TGM_ERROR_OK) {
        return 0;
    }
    if (cfg.is_signed && cfg.preprocess) {
        return 0;
    }
    uint32_t w = cfg.width;
    uint32_t cbits = 8 * w;
    for (size_t i = 0; i + w <= n; i += w) {
        uint32_t v = 0;
        for (uint32_t b = 0; b < w; b++) {
            uint32_t byte = d[i + (cfg.msb ? b : w - 1 - b)];
            v = (v << 8) | byte;
        }
        uint32_t high = cbits > cfg.bps ? v >> cfg.bps : 0; /* bits above the sample */
        if (high != 0) {
            return 0;
        }
    }
    return 1;
}
