/* The roaring decoder through its codec table (codec_target.h): the claim is
 * the number of bits of the decoded bitmask. */
#define FZ_CODEC "roaring"
#include "codec_target.h"

static void fz_setup(fz_setup_args *a) {
    uint64_t bits = a->claim % (8 * FZ_MAX_OUT + 1);
    a->dst_len = (size_t)((bits + 7) / 8);
}
