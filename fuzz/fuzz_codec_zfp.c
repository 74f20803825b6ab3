/* The zfp decoder through its codec table (codec_target.h).  Parameters:
 * mode b0 % 4 (0 is invalid); rate (b1 + 1) / 4, or w0 / 4 (up to
 * libzfp's 4164.5) when b0 bit 6 is set; precision b2 % 70; tolerance
 * 2^-(b2 % 31), or 2^(w0 % 256 - 150) when b0 bit 7 is set; whole float64
 * values.  Beyond codec_target.h's invariants: every kernel set this CPU
 * runs (portable, AVX2, AVX2 with pdep / pext, AVX-512) decodes the stream
 * to the same bytes, whole and by ranges. */
#include <math.h>

#define FZ_CODEC "zfp"
#define FZ_CHECK
#include "codec_target.h"
#include "codecs/zfp.h"

static void fz_setup(fz_setup_args *a) {
    tgm_zfp_params zp;
    zp.mode = (tgm_zfp_mode)(a->b0 % 4);
    zp.rate = (a->b0 & 0x40) ? (a->w0 % 16659) / 4.0 : (a->b1 + 1) / 4.0;
    zp.precision = a->b2 % 70;
    zp.tolerance =
        (a->b0 & 0x80) ? ldexp(1.0, (int)(a->w0 % 256) - 150) : 1.0 / (1u << (a->b2 % 31));
    zp.num_values = (a->claim % (FZ_MAX_OUT + 1)) / 8;
    TGM_CODEC_OWN_PUT(a->p, zp);
    a->dst_len = zp.num_values * 8;
    a->lossless = 0;
    a->unit = 8;
}

static void fz_check(const tgm_codec_params *p, const uint8_t *src, size_t n, const uint8_t *dst,
                     size_t dst_len, uint64_t rng) {
    if (dst_len == 0) {
        return;
    }
    const tgm_codec *c = tgm__codec_find(FZ_CODEC);
    uint8_t *other = malloc(dst_len);
    FZ_REQUIRE(other != NULL);
    uint64_t pos = 8 * ((rng & 0xffffffffu) % (dst_len / 8));
    uint64_t cnt = 8 * ((rng >> 32) % ((dst_len - pos) / 8 + 1));
    for (int isa = TGM_ZFP_ISA_PORTABLE; isa <= TGM_ZFP_ISA_AVX512; isa++) {
        if (tgm__zfp_force_isa((tgm_zfp_isa)isa) != 0) {
            continue;
        }
        FZ_REQUIRE(c->decompress(p, src, n, other, dst_len) == TGM_ERROR_OK);
        FZ_REQUIRE(memcmp(other, dst, dst_len) == 0);
        FZ_REQUIRE(c->decompress_range(p, src, n, NULL, 0, pos, cnt, other) == TGM_ERROR_OK);
        FZ_REQUIRE(cnt == 0 || memcmp(other, dst + pos, cnt) == 0);
    }
    tgm__zfp_force_isa(TGM_ZFP_ISA_AUTO);
    free(other);
}
