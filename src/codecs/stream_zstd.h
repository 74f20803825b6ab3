/* Streaming zstd decoding (codecs/stream_zstd.c): a stream fed in pieces
 * as they arrive, decoded straight into caller memory of exactly the
 * expected size.  Remote reads use it to decode a compressed object while
 * the rest of it is still on the network.  It accepts what the one-shot
 * decoder of codecs/zstd.c accepts (concatenated and skippable frames,
 * output of exactly dst_len bytes); callers that need the one-shot
 * decoder's exact error text decode again through the codec table when
 * this fails. */
#ifndef TGM_CODECS_STREAM_ZSTD_H
#define TGM_CODECS_STREAM_ZSTD_H

#include <stddef.h>
#include <stdint.h>

#include "tensogram/tensogram.h"

typedef struct tgm_zstd_dstream tgm_zstd_dstream;

/* A decoder writing into dst[0, dst_len) (borrowed until free).
 * TGM_ERROR_COMPRESSION when zstd is not built in or out of memory. */
tgm_error tgm__zstd_dstream_new(uint8_t *dst, size_t dst_len, tgm_zstd_dstream **out);
/* Decode the next n bytes of the stream.  TGM_ERROR_COMPRESSION on a bad
 * stream or more output than dst_len; the decoder is then unusable. */
tgm_error tgm__zstd_dstream_feed(tgm_zstd_dstream *s, const uint8_t *src, size_t n);
/* The stream has ended: every frame complete and exactly dst_len bytes
 * written.  TGM_ERROR_COMPRESSION otherwise. */
tgm_error tgm__zstd_dstream_end(tgm_zstd_dstream *s);
void tgm__zstd_dstream_free(tgm_zstd_dstream *s);

#endif
