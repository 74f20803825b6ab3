/* The zstd decoder through its codec table (codec_target.h). */
#define FZ_CODEC "zstd"
#include "codec_target.h"
