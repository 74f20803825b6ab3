/* The zstd decoder through its codec table (codec_target.h).  Parameters:
 * level 1 + b0 % 5 (for the round trip). */
#define FZ_CODEC "zstd"
#include "codec_target.h"
#include "codecs/zstd.h"

static void fz_setup(fz_setup_args *a) { tgm__zstd_params(a->p, 1 + a->b0 % 5); }
