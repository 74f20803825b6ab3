/* The 15 element types of WIRE_FORMAT §6.5 / docs format/dtypes. */
#ifndef TGM_DTYPE_DTYPE_H
#define TGM_DTYPE_DTYPE_H

#include <stddef.h>
#include <stdint.h>

typedef enum tgm_dtype {
    TGM_DT_FLOAT16 = 0,
    TGM_DT_BFLOAT16,
    TGM_DT_FLOAT32,
    TGM_DT_FLOAT64,
    TGM_DT_COMPLEX64,
    TGM_DT_COMPLEX128,
    TGM_DT_INT8,
    TGM_DT_INT16,
    TGM_DT_INT32,
    TGM_DT_INT64,
    TGM_DT_UINT8,
    TGM_DT_UINT16,
    TGM_DT_UINT32,
    TGM_DT_UINT64,
    TGM_DT_BITMASK,
    TGM_DT_COUNT
} tgm_dtype;

/* Name as written in descriptors ("float32"); NULL for out-of-range. */
const char *tgm__dtype_name(tgm_dtype d);
/* Parse a descriptor name; returns -1 when unknown. */
int tgm__dtype_parse(const char *name, size_t len);
/* Bytes per element; 0 for bitmask (1 bit per element, packed MSB-first). */
size_t tgm__dtype_width(tgm_dtype d);
/* Unit for byte swapping: the width, or the component width for complex
 * types (4 for complex64, 8 for complex128); 0 for bitmask. */
size_t tgm__dtype_swap_unit(tgm_dtype d);
/* 1 for floating types (incl. complex and the 16-bit floats). */
int tgm__dtype_is_float(tgm_dtype d);
/* Payload bytes for `n` elements, or 1 on overflow (result in *out). */
int tgm__dtype_payload_size(tgm_dtype d, uint64_t n, uint64_t *out);

/* IEEE half / bfloat16 <-> float conversions (exact for every input;
 * float -> half rounds to nearest even). */
float tgm__half_to_float(uint16_t h);
uint16_t tgm__float_to_half(float f);
float tgm__bf16_to_float(uint16_t h);

/* The name as the reference's messages spell it ("Float32"), in buf. */
const char *tgm__dtype_debug_name(tgm_dtype d, char buf[16]);

/* Comma-separated list of all dtype names (for error messages). */
const char *tgm__dtype_all_names(void);

#endif
