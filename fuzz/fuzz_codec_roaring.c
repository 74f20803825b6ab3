/* The roaring decoder through its codec table (codec_target.h). */
#define FZ_CODEC "roaring"
#include "codec_target.h"
