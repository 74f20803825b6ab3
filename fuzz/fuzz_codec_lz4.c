/* The lz4 decoder through its codec table (codec_target.h). */
#define FZ_CODEC "lz4"
#include "codec_target.h"
