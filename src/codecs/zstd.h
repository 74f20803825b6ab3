/* zstd's own parameters (codecs/zstd.c): the descriptor's "zstd_level"
 * (default 3). */
#ifndef TGM_CODECS_ZSTD_H
#define TGM_CODECS_ZSTD_H

#include "codecs/codec.h"

typedef struct tgm_zstd_params {
    int level;
} tgm_zstd_params;

/* Set p's own parameters to compression level `level`. */
void tgm__zstd_params(tgm_codec_params *p, int level);

#endif
