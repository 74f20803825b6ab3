#include <string.h>

#include "codecs/codec.h"

/* Every compression name the format defines, in documentation order. */
static const char *const all_names[] = {"none", "szip", "zstd", "lz4", "blosc2",
                                        "zfp",  "sz3",  "rle",  "roaring"};

/* Codec tables are added here as each codec lands (integration step). */
static const tgm_codec *const builtin[] = {NULL};

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
