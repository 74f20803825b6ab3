/* The lz4 decoder through its codec table (codec_target.h); no
 * parameters. */
#define FZ_CODEC "lz4"
#include "codec_target.h"

static void fz_setup(fz_setup_args *a) { (void)a; }
