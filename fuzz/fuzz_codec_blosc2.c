/* The blosc2 decoder through its codec table (codec_target.h). */
#define FZ_CODEC "blosc2"
#include "codec_target.h"
