/* The blosc2 decoder through its codec table (codec_target.h).  Parameters:
 * inner codec b0 % 5, clevel b1 % 10, typesize 1 + b2 % 16. */
#define FZ_CODEC "blosc2"
#include "codec_target.h"
#include "codecs/blosc2.h"

static void fz_setup(fz_setup_args *a) {
    static const tgm_blosc2_inner inner[5] = {TGM_BLOSC2_BLOSCLZ, TGM_BLOSC2_LZ4, TGM_BLOSC2_LZ4HC,
                                              TGM_BLOSC2_ZLIB, TGM_BLOSC2_ZSTD};
    tgm_blosc2_params bp = {inner[a->b0 % 5], a->b1 % 10, 1 + a->b2 % 16, TGM_BLOSC2_FILTER_SHUFFLE,
                            0};
    tgm__blosc2_params(a->p, &bp);
}
