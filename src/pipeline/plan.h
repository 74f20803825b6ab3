/* A descriptor resolved into the steps that encode / decode it. */
#ifndef TGM_PIPELINE_PLAN_H
#define TGM_PIPELINE_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "codecs/codec.h"
#include "encodings/simple_packing.h"
#include "filters/shuffle.h"
#include "meta/meta.h"

typedef enum { TGM_ENC_NONE = 0, TGM_ENC_SIMPLE_PACKING = 1 } tgm_enc_kind;
typedef enum { TGM_FIL_NONE = 0, TGM_FIL_SHUFFLE = 1 } tgm_fil_kind;

typedef struct tgm_plan {
    tgm_dtype dtype;
    bool big_endian;
    uint64_t n;       /* elements */
    size_t width;     /* bytes per element (0 for bitmask) */
    size_t swap_unit; /* byte-swap unit */
    tgm_enc_kind encoding;
    tgm_sp_params sp;
    uint32_t container_bytes; /* simple_packing + szip with odd widths: bytes per value */
    tgm_fil_kind filter;
    size_t shuffle_element_size;
    const char *compression;
    const tgm_codec *codec; /* NULL for "none" */
    tgm_codec_params cp;
    size_t encoded_size; /* bytes after the encoding step (= after the filter) */
    size_t decoded_size; /* bytes of decoded values */
} tgm_plan;

/* Resolve names and parameters.  When sp_params_known is false (encode
 * with parameters still to be computed) simple_packing parameters and the
 * encoded size are left for the caller. */
tgm_error tgm__plan_resolve(const tgm_descriptor *d, bool sp_params_known, tgm_plan *p);

/* As tgm__plan_resolve, but a recognised codec that is not built in leaves
 * p->codec NULL instead of failing (for payloads copied as stored). */
tgm_error tgm__plan_resolve_any_codec(const tgm_descriptor *d, tgm_plan *p);

/* "Float32" style names used in the reference's messages. */
const char *tgm__dtype_debug_name(tgm_dtype d, char buf[16]);

#endif
