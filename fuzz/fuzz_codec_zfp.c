/* The zfp decoder through its codec table (codec_target.h).  Parameters:
 * mode b0 % 4 (0 is invalid), rate (b1 + 1) / 4, precision b2 % 70,
 * tolerance 1e-3 or 2^-(b2 % 31); whole float64 values. */
#define FZ_CODEC "zfp"
#include "codec_target.h"
#include "codecs/zfp.h"

static void fz_setup(fz_setup_args *a) {
    tgm_zfp_params zp;
    zp.mode = (tgm_zfp_mode)(a->b0 % 4);
    zp.rate = (a->b1 + 1) / 4.0;
    zp.precision = a->b2 % 70;
    zp.tolerance = (a->b0 & 0x80) ? 1e-3 : 1.0 / (1u << (a->b2 % 31));
    zp.num_values = (a->claim % (FZ_MAX_OUT + 1)) / 8;
    TGM_CODEC_OWN_PUT(a->p, zp);
    a->dst_len = zp.num_values * 8;
    a->lossless = 0;
    a->unit = 8;
}
