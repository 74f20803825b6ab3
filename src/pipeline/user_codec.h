/* Registered user codecs in the pipeline (include/tensogram/codec.h).
 *
 * A compression name that is not one of the format's resolves through the
 * registry (codecs/user.h) to the shared codec table `tgm__codec_user`,
 * whose functions look the codec up again at call time, hold a reference
 * for the duration of the callback and describe the object to it (the
 * descriptor's parameters as JSON, dtype, shape, item size).  Nothing is
 * held between calls: a codec unregistered after the plan was made fails
 * the call as "not registered". */
#ifndef TGM_PIPELINE_USER_CODEC_H
#define TGM_PIPELINE_USER_CODEC_H

#include "cbor/value.h"
#include "common/arena.h"
#include "pipeline/plan.h"

/* Calls the codec named by p->user_name with the descriptor p->user_desc. */
extern const tgm_codec tgm__codec_user;

/* The descriptor parameter holding the codec's id. */
#define TGM_USER_CODEC_ID_KEY "user_codec_id"

/* Resolve d->compression (not a format compression) as a user codec: fails
 * when it is not registered, or when the descriptor's user_codec_id
 * differs from the registered id; otherwise sets p->codec and the user
 * fields of p->cp.  When !need_codec (payloads copied as stored, never
 * run) a codec that is not registered is accepted, leaving p->codec NULL,
 * if the descriptor carries a user_codec_id in the user range: it names a
 * user codec, not a misspelt compression. */
tgm_error tgm__user_codec_plan(const tgm_descriptor *d, bool need_codec, tgm_plan *p);

/* Encode: add user_codec_id to the parameters when `compression` is a
 * registered user codec and they lack it (*params is replaced, arena a).
 * Anything else is left for tgm__plan_resolve to judge. */
tgm_error tgm__user_codec_encode_params(tgm_arena *a, const char *compression, tgm_val **params);

/* Encode: the codec's validate callback on the final descriptor's
 * parameters; a no-op for other compressions. */
tgm_error tgm__user_codec_validate(const tgm_plan *p);

#endif
