/* Internal interface of the szip codec: CCSDS 121.0-B-3 adaptive entropy
 * coding, stream-compatible with libaec (same bits for the same input and
 * parameters).
 *
 * The codec is split in three files:
 *   szip.c      parameters, the codec table entry
 *   szip_enc.c  encoder (sample reading, preprocessor, option selection)
 *   szip_dec.c  decoder (full, range, offset scan)
 *
 * Stream layout (CCSDS 121.0-B-3 §3-§5, as libaec writes it): the input is
 * cut into reference sample intervals (RSIs) of `rsi` blocks of
 * `block_size` samples.  With the preprocessor on, the first block of every
 * RSI carries the reference sample.  RSIs follow each other without padding
 * unless AEC_PAD_RSI is set, in which case each RSI starts on a byte
 * boundary.  The last byte of the stream is zero-padded.  Block offsets are
 * the bit positions where each RSI starts; the first is 0. */
#ifndef TGM_CODECS_SZIP_H
#define TGM_CODECS_SZIP_H

#include <stddef.h>
#include <stdint.h>

#include "codecs/codec.h"
#include "common/buf.h"
#include "tensogram/tensogram.h"

/* libaec's flag values (libaec.h); the descriptor stores them verbatim. */
#define TGM_SZIP_DATA_SIGNED 1u
#define TGM_SZIP_DATA_3BYTE 2u
#define TGM_SZIP_DATA_MSB 4u
#define TGM_SZIP_DATA_PREPROCESS 8u
#define TGM_SZIP_RESTRICTED 16u
#define TGM_SZIP_PAD_RSI 32u
#define TGM_SZIP_NOT_ENFORCE 64u

/* szip's own parameters in tgm_codec_params (TGM_CODEC_OWN_PUT): the
 * descriptor's szip_rsi, szip_block_size and szip_flags, and the sample
 * width the stream before the codec implies. */
typedef struct tgm_szip_params {
    uint32_t rsi;             /* blocks per reference sample interval */
    uint32_t block_size;      /* samples per block (8, 16, 32, 64) */
    uint32_t flags;           /* AEC_DATA_* flags as stored in the descriptor */
    uint32_t bits_per_sample; /* 1..32 */
} tgm_szip_params;

/* Largest block size accepted with AEC_NOT_ENFORCE (the standard sizes are
 * 8, 16, 32 and 64; libaec only asks for an even number). */
#define TGM_SZIP_MAX_BLOCK_SIZE 4096u
#define TGM_SZIP_MAX_RSI 4096u

/* Parameters resolved once from tgm_codec_params. */
typedef struct tgm_szip_cfg {
    uint32_t bps;        /* bits per sample, 1..32 */
    uint32_t block_size; /* samples per block */
    uint32_t rsi;        /* blocks per RSI */
    uint32_t flags;      /* effective flags (3BYTE added for 17..24 bits) */
    uint32_t width;      /* bytes per sample in the uncompressed stream: 1..4 */
    uint32_t id_len;     /* bits of the coding-option identifier */
    int kmax;            /* largest split parameter (-1: no split options) */
    int preprocess;      /* unit-delay predictor on */
    int is_signed;       /* samples are two's complement */
    int msb;             /* samples stored most significant byte first */
    int pad_rsi;         /* each RSI starts on a byte boundary */
    uint32_t mask;       /* (1 << bps) - 1 */
    size_t rsi_samples;  /* rsi * block_size */
    size_t rsi_bytes;    /* rsi_samples * width */
} tgm_szip_cfg;

/* Check and resolve the parameters in p (TGM_ERROR_ENCODING with an
 * "szip: ..." detail when invalid). */
tgm_error tgm__szip_config(const tgm_codec_params *p, tgm_szip_cfg *cfg);

/* Encode n bytes (a whole number of samples) and append the stream to out.
 * When offsets is non-NULL, the bit offset of every RSI is appended to it
 * (one per RSI, the first 0).  `threads` >= 1; the output does not depend
 * on it. */
tgm_error tgm__szip_encode(const tgm_szip_cfg *cfg, uint32_t threads, const uint8_t *src, size_t n,
                           tgm_buf *out, tgm_u64vec *offsets);

/* Decode a whole stream into exactly dst_len bytes (a whole number of
 * samples).  Like libaec, preprocessed signed samples come out sign-extended
 * to their container; everything else as its bits_per_sample low bits.
 * Trailing bytes after the last RSI are ignored. */
tgm_error tgm__szip_decode(const tgm_szip_cfg *cfg, const uint8_t *src, size_t n, uint8_t *dst,
                           size_t dst_len);

/* Decode bytes [byte_pos, byte_pos + byte_size) of the decompressed stream
 * (any byte boundaries), starting at the RSI that holds byte_pos (its
 * offset taken from offsets, which are checked first with
 * tgm__codec_check_offsets) and decoding only
 * the RSIs and blocks the range needs; same mapping as libaec's
 * aec_decode_range (RSI = byte_pos / (rsi * block_size * width)).  A range
 * reaching past the coded data fails. */
tgm_error tgm__szip_decode_range(const tgm_szip_cfg *cfg, const uint8_t *src, size_t n,
                                 const uint64_t *offsets, size_t n_offsets, uint64_t byte_pos,
                                 uint64_t byte_size, uint8_t *dst);

/* Walk an existing stream that decodes to decoded_len bytes and append the
 * bit offset of every RSI to offsets (what the encoder would have
 * reported). */
tgm_error tgm__szip_scan_offsets(const tgm_szip_cfg *cfg, const uint8_t *src, size_t n,
                                 size_t decoded_len, tgm_u64vec *offsets);

#endif
