/* The user codec registry (public side: include/tensogram/codec.h).
 *
 * Registered codecs are reference-counted entries in a table indexed by id
 * (160..255, so at most 96 entries), guarded by a read-write lock.  A
 * lookup takes the read lock, finds the name, adds a reference and drops
 * the lock: callbacks never run under the lock, so they may use the
 * registry themselves.  The table holds one reference; unregistering drops
 * it, and whoever drops the last reference runs the definition's release
 * callback and frees the entry.  When nothing is registered a lookup reads
 * one atomic counter and takes no lock.
 *
 * The invocation helpers wrap one callback call: they build the output
 * object, check what the callback produced and turn its failure into the
 * library's error ("user codec \"xor8\" (id 200) decode: ...").  They know
 * nothing of descriptors: the caller fills the tgm_codec_call (see
 * codecs/user_codec.c, the codec table entry of every user codec). */
#ifndef TGM_CODECS_USER_H
#define TGM_CODECS_USER_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"
#include "tensogram/codec.h"

typedef struct tgm_ucodec tgm_ucodec;

/* The descriptor parameter holding a user codec's id, added by the encoder
 * and checked against the registry by the decoder. */
#define TGM_USER_CODEC_ID_KEY "user_codec_id"

/* Registry operations behind the public functions of the same names
 * (argument checks included; errors recorded). */
tgm_error tgm__ucodec_register(const tgm_codec_def *def);
tgm_error tgm__ucodec_unregister(const char *name);
bool tgm__ucodec_lookup(const char *name, tgm_codec_info *out);
bool tgm__ucodec_lookup_id(uint32_t id, tgm_codec_info *out);
size_t tgm__ucodec_list(tgm_codec_info *out, size_t capacity);

/* A reference to the codec registered as `name`, or NULL (no error
 * recorded).  Every acquire is paired with tgm__ucodec_release. */
tgm_ucodec *tgm__ucodec_acquire(const char *name);
void tgm__ucodec_release(tgm_ucodec *c);

const char *tgm__ucodec_name(const tgm_ucodec *c);
uint32_t tgm__ucodec_id(const tgm_ucodec *c);
bool tgm__ucodec_has_range(const tgm_ucodec *c);

/* One callback call each.  `call` is filled by the caller except size,
 * name and id, which these set.
 *  encode: appends to `out` after out->len; on failure out->len is
 *    restored.
 *  decode: exactly dst_len bytes into dst (call->decoded_size is set to
 *    dst_len).
 *  decode_range: exactly byte_size bytes of the stream at byte_pos.
 *  validate: TGM_ERROR_OK when the codec has no validate callback. */
tgm_error tgm__ucodec_encode(tgm_ucodec *c, tgm_codec_call *call, const uint8_t *src, size_t n,
                             tgm_buf *out);
tgm_error tgm__ucodec_decode(tgm_ucodec *c, tgm_codec_call *call, const uint8_t *src, size_t n,
                             uint8_t *dst, size_t dst_len);
tgm_error tgm__ucodec_decode_range(tgm_ucodec *c, tgm_codec_call *call, const uint8_t *src,
                                   size_t n, uint64_t byte_pos, uint64_t byte_size, uint8_t *dst);
tgm_error tgm__ucodec_validate(tgm_ucodec *c, tgm_codec_call *call);

/* The tgm_codec_output functions and tgm_codec_error (exported from
 * api/codec.c). */
tgm_error tgm__ucodec_out_write(tgm_codec_output *o, const void *data, size_t n);
uint8_t *tgm__ucodec_out_reserve(tgm_codec_output *o, size_t n);
tgm_error tgm__ucodec_out_commit(tgm_codec_output *o, size_t n);
size_t tgm__ucodec_out_len(const tgm_codec_output *o);
size_t tgm__ucodec_out_limit(const tgm_codec_output *o);
void tgm__ucodec_verror(const tgm_codec_call *call, const char *fmt, va_list ap) TGM_PRINTF(2, 0);

#endif
