/* Size checks made before memory is allocated for a decoded object: the
 * process-wide cap (common/limits.h) and what the payload can possibly
 * decode to.  A descriptor is free to claim any shape; the payload bytes
 * are the evidence.  An uncompressed payload must hold exactly the claimed
 * bytes; a compressed one must be long enough for its codec to produce
 * them, using the bound on the format's best-case expansion its codec table
 * entry gives (max_expansion).  Codecs with no such bound (blosc2 can
 * describe whole chunks of zeros in a header, rle and roaring whole runs of
 * bits in a few bytes) rely on the cap. */
#include <string.h>

#include "codecs/codec.h"
#include "common/checked.h"
#include "common/error.h"
#include "common/limits.h"
#include "pipeline/pipeline.h"
#include "pipeline/plan.h"

tgm_error tgm__pipeline_precheck(const tgm_descriptor *d, size_t plen, size_t *decoded_size) {
    /* No pipeline and a payload of the claimed size: the cap is the only
     * check left (errors: the general path below, which words them). */
    uint64_t plain;
    if (tgm__pipeline_plain(d) && !tgm__dtype_payload_size(d->dtype, d->num_elements, &plain) &&
        plain == plen) {
        TGM_TRY(tgm__limit_check_object_bytes(plain, "object"));
        *decoded_size = plen;
        return TGM_ERROR_OK;
    }
    tgm_plan p;
    TGM_TRY(tgm__plan_resolve(d, &p));
    TGM_TRY(tgm__limit_check_object_bytes(p.decoded_size, "object"));
    if (p.codec == NULL) {
        TGM_TRY(tgm__plan_check_plain_payload(&p, d->encoding, plen));
    } else {
        /* Every bound is an over-estimate (saturating), so no valid stream
         * is ever refused. */
        uint64_t most =
            p.codec->max_expansion != NULL ? p.codec->max_expansion(&p.cp, plen) : UINT64_MAX;
        TGM_RETURN_IF(p.encoded_size > most, TGM_ERROR_COMPRESSION,
                      "%s: descriptor claims %zu bytes after decompression, but a %zu-byte "
                      "payload decodes to at most %llu bytes (truncated payload or false shape)",
                      p.compression, p.encoded_size, plen, (unsigned long long)most);
    }
    *decoded_size = p.decoded_size;
    return TGM_ERROR_OK;
}
