/* Internal interface of the zfp codec: zfp's 1-D float64 compressed stream
 * (the one libzfp 1.0 writes for a contiguous 1-D double field with no
 * header), implemented here and byte-identical to libzfp's.
 *
 * The codec is split in these files:
 *   zfp.c         parameters, stream-length checks, threads, the codec table entry
 *   zfp_coder.h   the embedded bit-plane coder and bit I/O, shared by every
 *                 kernel (static inline, compiled once per instruction set)
 *   zfp_block.c   portable kernels, the coder tables, run-time dispatch
 *   zfp_avx2_impl.h  AVX2 kernels, built by zfp_avx2.c and, with BMI2's
 *                 pdep / pext, by zfp_avx2_bmi2.c
 *   zfp_avx512.c  AVX-512 kernels
 *
 * The stream (zfp 1.0, "lossy" non-reversible mode, 1-D, double):
 * the values are cut into blocks of 4 (a partial last block of k values is
 * padded: k=1 {a,a,a,a}, k=2 {a,b,b,a}, k=3 {a,b,c,a}).  Each block is, in
 * stream order, least significant bit first:
 *   - 1 bit: 0 when the block is coded as zero (nothing else follows but
 *     padding), 1 otherwise;
 *   - 11 bits: the block exponent emax + 1023, where emax is the frexp
 *     exponent of the largest |value| (NaNs ignored, subnormals clamped to
 *     -1022, 0 for an infinity as glibc's frexp returns);
 *   - the embedded code of the 4 transform coefficients: each value times
 *     2^(62 - emax), truncated to int64 (out-of-range products and NaN give
 *     INT64_MIN, as x86's cvttsd2si), a lifting transform, negabinary, then
 *     bit planes 63, 62, ... down to 64 - prec, each plane coded as the bits
 *     of the coefficients already significant followed by a unary
 *     group-test code of the rest; the code stops after `maxbits - 12` bits.
 *   - zero padding up to `minbits`.
 * prec = min(maxprec, max(0, emax - minexp + 4)); a block whose prec is 0
 * or whose largest value is 0 is coded as zero.
 *
 * Modes set (minbits, maxbits, maxprec, minexp) as libzfp does:
 *   fixed_rate r:       maxbits = minbits = max(floor(4 r + 0.5), 12), maxprec 64,
 *                       minexp -1074: block i starts at bit i * maxbits;
 *   fixed_precision p:  1, 16658, min(p, 64) (64 when p = 0), -1074;
 *   fixed_accuracy t:   1, 16658, 64, e - 1 where t = m 2^e, 0.5 <= m < 1. */
#ifndef TGM_CODECS_ZFP_H
#define TGM_CODECS_ZFP_H

#include <stddef.h>
#include <stdint.h>

#include "codecs/codec.h"
#include "tensogram/tensogram.h"

#define TGM_ZFP_MIN_BITS 1u
#define TGM_ZFP_MAX_BITS 16658u /* libzfp's ZFP_MAX_BITS */
#define TGM_ZFP_MAX_PREC 64u
#define TGM_ZFP_MIN_EXP (-1074)
/* Bits of the largest block a coder can write or read: 12 header bits
 * and the bit-plane code, at most 4 (prec + 1) bits. */
#define TGM_ZFP_BLOCK_MAX_CODE (12u + 4u * (TGM_ZFP_MAX_PREC + 1u))

/* zfp's own parameters in tgm_codec_params (TGM_CODEC_OWN_PUT): the
 * descriptor's zfp_mode with zfp_rate, zfp_precision or zfp_tolerance, and
 * the number of float64 values in the stream. */
typedef enum tgm_zfp_mode {
    TGM_ZFP_FIXED_RATE = 1,
    TGM_ZFP_FIXED_PRECISION = 2,
    TGM_ZFP_FIXED_ACCURACY = 3
} tgm_zfp_mode;

typedef struct tgm_zfp_params {
    tgm_zfp_mode mode;
    double rate;
    uint32_t precision;
    double tolerance;
    size_t num_values;
} tgm_zfp_params;

typedef struct tgm_zfp_cfg {
    uint32_t minbits;
    uint32_t maxbits;
    uint32_t maxprec;
    int32_t minexp;
    int fixed_rate; /* minbits == maxbits: every block takes maxbits bits */
} tgm_zfp_cfg;

/* Resolve and check the mode parameters in p (TGM_ERROR_ENCODING with a
 * "zfp error: ..." detail when invalid). */
tgm_error tgm__zfp_config(const tgm_codec_params *p, tgm_zfp_cfg *c);

/* Most bytes a stream of n values can take: libzfp's
 * zfp_stream_maximum_size with 8-bit stream words (Debian's build and the
 * reference's); longer streams are refused. */
uint64_t tgm__zfp_max_stream_bytes(const tgm_zfp_cfg *c, uint64_t n);

/* One instruction set's kernels.
 *
 * encode: code blocks [b0, b1) of the n host-order doubles at src (any
 *   alignment; the last block may be partial) into dst, starting at bit 0
 *   of dst, and return the number of bits written.  dst must have room for
 *   the bits rounded up to whole 8-byte words; bytes past the last bit are
 *   written as zeros up to that word.
 * decode: decode values [v0, v1) of an n-value stream whose block v0 / 4
 *   starts at bit `bit` of src[0, len) into dst (host-order doubles, any
 *   alignment), and return the bit position after the last block read.
 *   Bits past `len` read as zeros: the caller compares the result with
 *   8 * len to detect a truncated stream.
 * skip: the bit position after `count` blocks starting at bit `bit`
 *   (variable-rate streams; fixed-rate callers compute it). */
typedef struct tgm_zfp_kernels {
    const char *name;
    uint64_t (*encode)(const tgm_zfp_cfg *c, const uint8_t *src, size_t n, size_t b0, size_t b1,
                       uint8_t *dst);
    uint64_t (*decode)(const tgm_zfp_cfg *c, const uint8_t *src, size_t len, uint64_t bit, size_t n,
                       size_t v0, size_t v1, uint8_t *dst);
    uint64_t (*skip)(const tgm_zfp_cfg *c, const uint8_t *src, size_t len, uint64_t bit,
                     size_t count);
} tgm_zfp_kernels;

typedef enum tgm_zfp_isa {
    TGM_ZFP_ISA_AUTO = 0, /* the best this CPU supports */
    TGM_ZFP_ISA_PORTABLE = 1,
    TGM_ZFP_ISA_AVX2 = 2,      /* AVX2 without pdep / pext */
    TGM_ZFP_ISA_AVX2_BMI2 = 3, /* AVX2 with pdep / pext (CPUs where they are fast) */
    TGM_ZFP_ISA_AVX512 = 4
} tgm_zfp_isa;

/* The kernels in use: the best supported set, or the one forced with
 * tgm__zfp_force_isa. */
const tgm_zfp_kernels *tgm__zfp_kernels(void);
/* Tests and benchmarks: use `isa` from now on (AUTO: back to detection).
 * Returns 0, or -1 when this CPU or build lacks it (nothing changes).
 * Not for use while another thread codes zfp. */
int tgm__zfp_force_isa(tgm_zfp_isa isa);

/* The AVX2 and AVX-512 kernels are built on x86-64 with GCC or Clang (the
 * files switch their instruction set with a pragma, so no build flags are
 * needed; -DTGM_ZFP_NO_SIMD leaves them out). */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(TGM_ZFP_NO_SIMD)
#define TGM_ZFP_X86 1
#endif

/* Kernel sets (the x86 ones exist only with TGM_ZFP_X86). */
extern const tgm_zfp_kernels tgm__zfp_portable;
extern const tgm_zfp_kernels tgm__zfp_avx2;
extern const tgm_zfp_kernels tgm__zfp_avx2_bmi2;
extern const tgm_zfp_kernels tgm__zfp_avx512;
int tgm__zfp_have_x86_kernels(void);

/* Coder tables (zfp_block.c), filled before any kernel runs:
 *   enc[16 n + x]  the code of a bit plane x (bit i: coefficient i) when n
 *                  coefficients are already significant (n < 4):
 *                  bits 0-7 code, 8-11 length, 12-14 n after the plane;
 *   dec[256 n + b] the plane decoded from the next 8 stream bits b when
 *                  n < 4 are significant: bits 0-3 x, 4-7 length, 8-10 n. */
extern uint16_t tgm__zfp_enc_table[4 * 16];
extern uint16_t tgm__zfp_dec_table[4 * 256];
/*   cut[256 (8 n + r) + b] the plane decoded from the next bits b when the
 *                  budget ends after r < 8 of them (n < 4 significant):
 *                  zfp's loop then sets the bit it was testing. */
extern uint8_t tgm__zfp_cut_table[4 * 8 * 256];

#endif
