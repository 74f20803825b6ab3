/* The rle decoder through its codec table (codec_target.h). */
#define FZ_CODEC "rle"
#include "codec_target.h"
