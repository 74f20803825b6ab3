/* sz3: SZ3 3.3.2 error-bounded lossy compression of a 1-D float64 array,
 * stream-compatible with SZ3 as the reference vendors and calls it (its
 * default ALGO_INTERP_LORENZO configuration, one dimension of n values).
 *
 * The implementation is this project's own, written from SZ3's stream
 * format and algorithm: the encoder makes the same choices SZ3 makes and
 * writes the same bytes; the decoder reads any stream SZ3 writes for such
 * an array (interpolation, Lorenzo or lossless) and reproduces SZ3's values
 * bit for bit.  Files: sz3.c (codec entry points, stream header and
 * configuration, the lossless fallback), sz3_tune.c (the predictor
 * sections, SZ3's choice of predictor), sz3_predict.c (quantiser,
 * interpolation, Lorenzo), sz3_huffman.c (the Huffman coder).
 *
 * Error bounds (SZ3's abs, rel and psnr modes): `abs` bounds |x - x'| by the
 * bound; `rel` by bound * (max - min); `psnr` targets that peak
 * signal-to-noise ratio in dB.  A bound of zero (or a constant array in rel
 * and psnr mode) stores the values losslessly. */
#ifndef TGM_CODECS_SZ3_H
#define TGM_CODECS_SZ3_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "tensogram/tensogram.h"

typedef enum tgm_sz3_mode { TGM_SZ3_ABS = 0, TGM_SZ3_REL = 1, TGM_SZ3_PSNR = 2 } tgm_sz3_mode;

/* The codec's parameters in the codec table (TGM_CODEC_OWN_PUT / GET):
 * sz3_error_bound_mode and sz3_error_bound. */
typedef struct tgm_sz3_params {
    tgm_sz3_mode mode;
    double bound;
} tgm_sz3_params;

/* Compress n (>= 1) host-order doubles at `src` (any alignment) and append
 * the SZ3 stream to `out`.  TGM_ERROR_ENCODING for a bound SZ3 cannot use
 * (negative, NaN or infinite; psnr NaN or infinite) or n == 0. */
tgm_error tgm__sz3_compress(const uint8_t *src, size_t n, tgm_sz3_mode mode, double bound,
                            tgm_buf *out);

/* Decompress an SZ3 stream of exactly n doubles into dst (host order, any
 * alignment).  Every length and count in the stream is checked; memory
 * use is bounded by a small multiple of n * 8.  TGM_ERROR_COMPRESSION on a
 * malformed stream or one that does not hold n doubles. */
tgm_error tgm__sz3_decompress(const uint8_t *src, size_t len, uint8_t *dst, size_t n);

#endif
