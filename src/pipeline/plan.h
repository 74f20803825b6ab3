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
    const tgm_codec *codec; /* NULL for "none" (and, for stored payloads, a codec not built in) */
    tgm_codec_params cp;
    size_t encoded_size; /* bytes after the encoding step (= after the filter) */
    size_t decoded_size; /* bytes of decoded values */
} tgm_plan;

/* Resolve names and parameters: the encoding and filter, then the codec
 * through the codec table (its flags and accepted dtypes checked, its
 * parameters read by its own parser through tgm__plan_keys).  `d` must
 * outlive the plan (user codecs read their parameters at call time). */
tgm_error tgm__plan_resolve(const tgm_descriptor *d, tgm_plan *p);

/* As tgm__plan_resolve, but a recognised codec that is not built in, or a
 * user codec that is not registered but whose descriptor carries a
 * user_codec_id in the user range, leaves p->codec NULL instead of failing
 * (for payloads copied as stored, never run). */
tgm_error tgm__plan_resolve_any_codec(const tgm_descriptor *d, tgm_plan *p);

/* An uncompressed payload (p->codec NULL) must be exactly the encoded
 * size: "descriptor claims N decoded byte(s) but frame payload is M
 * byte(s)" (TGM_ERROR_ENCODING) otherwise. */
tgm_error tgm__plan_check_plain_payload(const tgm_plan *p, const char *encoding, size_t plen);

/* The key getter of codec parsers over a descriptor's parameters. */
tgm_codec_keys tgm__plan_keys(const tgm_descriptor *d);

#endif
