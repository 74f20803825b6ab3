#include <string.h>

#include "codecs/codec.h"

/* Every compression name the format defines, in documentation order. */
static const char *const all_names[] = {"none", "szip", "zstd", "lz4",    "blosc2",
                                        "zfp",  "sz3",  "rle",  "roaring"};

static const tgm_codec *const builtin[] = {
#ifdef TGM_HAVE_ZSTD
    &tgm__codec_zstd,
#endif
#ifdef TGM_HAVE_LZ4
    &tgm__codec_lz4,
#endif
#ifdef TGM_HAVE_SZIP
    &tgm__codec_szip,
#endif
#ifdef TGM_HAVE_ZFP
    &tgm__codec_zfp,
#endif
#ifdef TGM_HAVE_BLOSC2
    &tgm__codec_blosc2,
#endif
    &tgm__codec_rle,
#ifdef TGM_HAVE_ROARING
    &tgm__codec_roaring,
#endif
    NULL};

const tgm_codec *tgm__codec_find(const char *name) {
    for (size_t i = 0; builtin[i] != NULL; i++) {
        if (strcmp(builtin[i]->name, name) == 0) {
            return builtin[i];
        }
    }
    return NULL;
}

int tgm__codec_known(const char *name) {
    for (size_t i = 0; i < sizeof all_names / sizeof all_names[0]; i++) {
        if (strcmp(all_names[i], name) == 0) {
            return 1;
        }
    }
    return 0;
}

const char *tgm__codec_all_names(void) {
    return "none, szip, zstd, lz4, blosc2, zfp, sz3, rle, roaring";
}
