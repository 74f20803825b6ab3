/* One codec's decoder through its table (src/codecs/codec.h), included by
 * fuzz_codec_<name>.c after defining FZ_CODEC to the codec's name.
 *
 * Input: 22 parameter bytes, then the compressed stream.  The parameters
 * give the claimed decompressed size and the codec's settings (szip block
 * size / rsi / flags / bits, zfp mode and its value, blosc2 type size,
 * bitmask length), mostly mapped onto valid values so the decoder itself
 * gets exercised.  When a stream decodes:
 *  - a range decode of part of it must give the same bytes;
 *  - for lossless codecs, compressing the output and decoding that again
 *    must give the output back. */
#include "codecs/codec.h"
#include "fuzz.h"
#ifdef TGM_HAVE_SZIP
#include "codecs/szip.h"
#endif

#define FZ_MAX_OUT ((size_t)1 << 16)

/* A decoded szip stream that must survive compress + decompress: every
 * sample within bits_per_sample, and not signed preprocessed data (see
 * the round-trip check below). */
static int szip_in_range(const tgm_codec_params *p, const uint8_t *d, size_t n) {
#ifndef TGM_HAVE_SZIP
    (void)p;
    (void)d;
    (void)n;
    return 0;
#else
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
#endif
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fz_init();
    const tgm_codec *c = tgm__codec_find(FZ_CODEC);
    if (c == NULL) {
        return 0; /* not built in */
    }
    fz_in in = {data, size};
    uint32_t claim = fz_u32(&in);
    uint8_t b0 = fz_u8(&in), b1 = fz_u8(&in), b2 = fz_u8(&in), b3 = fz_u8(&in);
    uint16_t w0 = fz_u16(&in);
    uint64_t rng = fz_u64(&in);
    uint32_t extra = fz_u32(&in);
    (void)extra;

    tgm_codec_params p;
    memset(&p, 0, sizeof p);
    p.threads = 1 + (b3 >> 7);
    size_t dst_len = claim % (FZ_MAX_OUT + 1);
    int lossless = 1;
    const char *name = FZ_CODEC;
    if (strcmp(name, "szip") == 0) {
        static const uint32_t sizes[4] = {8, 16, 32, 64};
        p.szip_block_size = (b0 & 0x80) ? (uint32_t)(w0 % 4100) : sizes[b0 & 3];
        p.szip_rsi = 1 + (uint32_t)((w0 >> 4) % 128);
        if (b0 & 0x40) {
            p.szip_rsi = w0 % 4200;
        }
        p.szip_flags = b1;
        p.szip_bits_per_sample = (b2 & 0x80) ? b2 : (uint32_t)(b2 % 32 + 1);
    } else if (strcmp(name, "zfp") == 0) {
        lossless = 0;
        p.zfp_mode = (tgm_zfp_mode)(b0 % 4);
        p.zfp_rate = (b1 + 1) / 4.0;
        p.zfp_precision = b2 % 70;
        p.zfp_tolerance = (b0 & 0x80) ? 1e-3 : 1.0 / (1u << (b2 % 31));
        p.zfp_num_values = (claim % (FZ_MAX_OUT + 1)) / 8;
        dst_len = p.zfp_num_values * 8;
    } else if (strcmp(name, "blosc2") == 0) {
        static const tgm_blosc2_inner inner[5] = {
            TGM_BLOSC2_BLOSCLZ, TGM_BLOSC2_LZ4, TGM_BLOSC2_LZ4HC, TGM_BLOSC2_ZLIB, TGM_BLOSC2_ZSTD};
        p.blosc2_codec = inner[b0 % 5];
        p.blosc2_clevel = b1 % 10;
        p.blosc2_typesize = 1 + b2 % 16;
    } else if (strcmp(name, "rle") == 0 || strcmp(name, "roaring") == 0) {
        p.bitmask_bits = claim % (8 * FZ_MAX_OUT + 1);
        dst_len = (size_t)((p.bitmask_bits + 7) / 8);
    } else if (strcmp(name, "zstd") == 0) {
        p.zstd_level = 1 + b0 % 5;
    }

    const uint8_t *src = in.p;
    size_t n = in.n;
    uint8_t *dst = malloc(dst_len ? dst_len : 1);
    FZ_REQUIRE(dst != NULL);
    tgm_error e = c->decompress(&p, src, n, dst, dst_len);
    if (e != TGM_ERROR_OK) {
        free(dst);
        return 0;
    }

    /* Range decode of [pos, pos + cnt) against the full output. */
    if (c->decompress_range != NULL && dst_len > 0) {
        uint64_t pos = (rng & 0xffffffffu) % dst_len;
        uint64_t cnt = (rng >> 32) % (dst_len - pos + 1);
        if (strcmp(name, "zfp") == 0) {
            pos -= pos % 8; /* whole values */
            cnt -= cnt % 8;
        }
        uint8_t *part = malloc(cnt ? cnt : 1);
        FZ_REQUIRE(part != NULL);
        tgm_u64vec offs = TGM_U64VEC_INIT;
        int have_offsets = 1;
#ifdef TGM_HAVE_SZIP
        if (strcmp(name, "szip") == 0) {
            tgm_szip_cfg cfg;
            have_offsets = tgm__szip_config(&p, &cfg) == TGM_ERROR_OK &&
                           tgm__szip_scan_offsets(&cfg, src, n, dst_len, &offs) == TGM_ERROR_OK;
        }
#endif
        if (have_offsets) {
            e = c->decompress_range(&p, src, n, offs.v, offs.n, pos, cnt, part);
            FZ_REQUIRE(e == TGM_ERROR_OK);
            FZ_REQUIRE(cnt == 0 || memcmp(part, dst + pos, cnt) == 0);
        }
        tgm__u64vec_free(&offs);
        free(part);
    }

    /* Lossless codecs: the output compresses and decodes back to itself.
     * For szip only when every decoded sample is in range and the data is
     * not signed and preprocessed: the codec matches libaec bit for bit,
     * and libaec's decoder turns a hostile stream into samples wider than
     * bits_per_sample, which its encoder does not reproduce, and its
     * encoder does not round-trip every in-range signed series through
     * the predictor (libaec 1.0.6: 13-bit samples 162, -467 come back as
     * 162, -1653). */
    if (lossless && c->compress != NULL && (b3 & 1) &&
        (strcmp(name, "szip") != 0 || szip_in_range(&p, dst, dst_len))) {
        tgm_buf out = TGM_BUF_INIT;
        if (c->compress(&p, dst, dst_len, &out, NULL) == TGM_ERROR_OK) {
            uint8_t *back = malloc(dst_len ? dst_len : 1);
            FZ_REQUIRE(back != NULL);
            e = c->decompress(&p, out.data, out.len, back, dst_len);
            FZ_REQUIRE(e == TGM_ERROR_OK);
            FZ_REQUIRE(dst_len == 0 || memcmp(back, dst, dst_len) == 0);
            free(back);
        }
        tgm__buf_free(&out);
    }
    free(dst);
    return 0;
}
