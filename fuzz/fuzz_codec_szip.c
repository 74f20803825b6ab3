/* The szip decoder through its codec table (codec_target.h). */
#define FZ_CODEC "szip"
#include "codec_target.h"
