/* simple_packing: GRIB-style linear quantisation of float64 values into
 * unsigned integers of `bits_per_value` bits (WIRE_FORMAT §8, the
 * `simple_packing` encoding).
 *
 * Quantisation (byte-identical to the reference encoder):
 *
 *     scale  = powi(10, D) * powi(2, -E)
 *     q      = min(sat_u64(round((v - R) * scale)), 2^bits - 1)
 *     v'     = R + (powi(2, E) * powi(10, -D)) * q
 *
 * where R is the reference value, E the binary and D the decimal scale
 * factor, round() rounds half away from zero, sat_u64 maps negatives and NaN
 * to 0 and saturates at 2^64 - 1, and powi is repeated squaring with a final
 * reciprocal for negative exponents (the exact sequence of roundings the
 * reference's compiler runtime performs, so every scale factor is
 * bit-identical).
 *
 * Layouts of the packed integers:
 *  - tight (container_bytes == 0): a continuous MSB-first bit stream, no
 *    padding between values, the last byte zero-padded;
 *  - container (container_bytes = cb, ceil(bits/8) <= cb <= 8): each value
 *    right-aligned in its own cb-byte big-endian container, the way CCSDS
 *    (szip) packing of GRIB2 stores samples.  Both layouts decode to the
 *    same doubles.
 *
 * Raw input and output doubles are read and written directly in the byte
 * order the caller names, so no separate byte-swap pass is needed.
 *
 * Threads: work is split into chunks whose boundaries fall on multiples of
 * lcm(8, bits) values (a byte boundary in the tight layout), so the bytes
 * produced never depend on the thread count, and the first NaN/Inf index
 * reported is always the lowest one.  Inputs below
 * TGM_PARALLEL_THRESHOLD_BYTES run on the calling thread.
 *
 * Errors are TGM_ERROR_ENCODING with the reference's texts ("NaN value
 * encountered at index 7", "insufficient data: expected at least 30
 * bytes, got 12", ...). */
#ifndef TGM_ENCODINGS_SIMPLE_PACKING_H
#define TGM_ENCODINGS_SIMPLE_PACKING_H

#include <stddef.h>
#include <stdint.h>

#include "tensogram/tensogram.h"

typedef struct tgm_sp_params {
    double reference_value;       /* R: the minimum of the field */
    int32_t binary_scale_factor;  /* E */
    int32_t decimal_scale_factor; /* D */
    uint32_t bits_per_value;      /* 0..64; 0 stores nothing (constant field) */
} tgm_sp_params;

/* Largest |binary_scale_factor| the encoder accepts (the reference's safety
 * net against parameters computed from degenerate input). */
#define TGM_SP_MAX_BINARY_SCALE 256

/* Integer power by repeated squaring, rounding exactly as the reference's
 * runtime (compiler-rt __powidf2) does: negative exponents take the
 * reciprocal of the positive power at the end. */
double tgm__sp_powi(double base, int32_t exp);

/* Compute R and E for `n` float64 values stored at `src` (8 bytes each, big
 * endian when `src_big_endian`, else little endian), for `bits` bits and
 * decimal scale factor `dsf`:
 *   - bits > 64: error;
 *   - n == 0 or bits == 0: R = first value (0.0 when n == 0), E = 0, and no
 *     value is inspected beyond the first;
 *   - otherwise every value must be finite (error names the first bad index),
 *     R = min, range = (max - min) * powi(10, dsf),
 *     E = 0 when range == 0, else ceil(log2(range / (2^bits - 1))) saturated
 *     to int32 (2^bits - 1 taken as a double).
 * The minimum is the first element attaining the minimum value, so a field
 * whose minimum is zero keeps the sign of its first zero.  `threads` (>= 1)
 * parallelises the scan; the result never depends on it. */
tgm_error tgm__sp_compute_params(const uint8_t *src, int src_big_endian, size_t n, uint32_t bits,
                                 int32_t dsf, uint32_t threads, tgm_sp_params *out);

/* Check parameters before encoding: bits <= 64, R finite,
 * |E| <= TGM_SP_MAX_BINARY_SCALE. */
tgm_error tgm__sp_check_params(const tgm_sp_params *p);

/* Check a container width for `bits`: 0 (tight) or ceil(bits/8) <= cb <= 8
 * (any cb <= 8 when bits == 0). */
tgm_error tgm__sp_check_container(uint32_t bits, uint32_t container_bytes);

/* Bytes of packed output for n values: ceil(n * bits / 8) in the tight
 * layout, n * cb in the container layout, 0 when bits == 0.  Error when the
 * size does not fit in size_t or the parameters are invalid. */
tgm_error tgm__sp_packed_size(size_t n, uint32_t bits, uint32_t container_bytes, size_t *out);

/* Quantise and pack `n` float64 values read from `src` (byte order as
 * above) into `dst`, which holds exactly `dst_len` bytes and must equal
 * tgm__sp_packed_size().  Rejects NaN/Inf naming the first offending index
 * and invalid parameters (tgm__sp_check_params).  `threads` >= 1. */
tgm_error tgm__sp_encode(const uint8_t *src, int src_big_endian, size_t n, const tgm_sp_params *p,
                         uint32_t container_bytes, uint8_t *dst, size_t dst_len, uint32_t threads);

/* Unpack `n` values from `packed` (at least tgm__sp_packed_size() bytes;
 * extra trailing bytes are ignored, as in the reference) and write them as
 * float64 to `dst` (n * 8 bytes) in big- or little-endian order. */
tgm_error tgm__sp_decode(const uint8_t *packed, size_t packed_len, size_t n, const tgm_sp_params *p,
                         uint32_t container_bytes, uint8_t *dst, int dst_big_endian,
                         uint32_t threads);

/* Unpack `count` values starting at bit `bit_offset` of `packed` (the tight
 * layout: any offset; the container layout: a multiple of 8, each value then
 * taking cb * 8 bits) and write them as float64 to `dst` (count * 8 bytes).
 * Decoded values are bit-identical to the same values from tgm__sp_decode. */
tgm_error tgm__sp_decode_range(const uint8_t *packed, size_t packed_len, uint64_t bit_offset,
                               size_t count, const tgm_sp_params *p, uint32_t container_bytes,
                               uint8_t *dst, int dst_big_endian);

#endif
