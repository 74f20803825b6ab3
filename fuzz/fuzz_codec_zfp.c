/* The zfp decoder through its codec table (codec_target.h). */
#define FZ_CODEC "zfp"
#include "codec_target.h"
