/* Size checks made before memory is allocated for a decoded object: the
 * process-wide cap (common/limits.h) and what the payload can possibly
 * decode to.  A descriptor is free to claim any shape; the payload bytes
 * are the evidence.  An uncompressed payload must hold exactly the claimed
 * bytes; a compressed one must be long enough for its codec to produce
 * them, using bounds on each format's best-case expansion.  Codecs with no
 * such bound (blosc2 can describe whole chunks of zeros in a header, rle
 * and roaring whole runs of bits in a few bytes) rely on the cap. */
#include <string.h>

#include "codecs/szip.h"
#include "common/checked.h"
#include "common/error.h"
#include "common/limits.h"
#include "pipeline/pipeline.h"
#include "pipeline/plan.h"

/* The most bytes a valid `plen`-byte stream of the plan's codec can decode
 * to, or UINT64_MAX when the format sets no bound.  Every bound is an
 * over-estimate (saturating), so no valid stream is ever refused. */
static uint64_t max_expansion(const tgm_plan *p, uint64_t plen) {
    uint64_t r;
    const char *c = p->compression;
    if (strcmp(c, "lz4") == 0) {
        /* A 4-byte size prefix, then an LZ4 block: each input byte adds at
         * most 255 to a match length, so blocks expand at most 255-fold. */
        if (tgm__mul_u64(plen, 256, &r) || tgm__add_u64(r, 64, &r)) {
            return UINT64_MAX;
        }
        return r;
    }
    if (strcmp(c, "zstd") == 0) {
        /* A block yields at most 128 KiB and takes at least 4 bytes (an
         * RLE block: 3-byte header + the byte); frames add headers. */
        if (tgm__mul_u64(plen / 4 + 1, (uint64_t)128 * 1024, &r)) {
            return UINT64_MAX;
        }
        return r;
    }
    if (strcmp(c, "szip") == 0) {
        /* CCSDS 121.0-B-3 §5.1.4: the densest code is a zero-block run,
         * at least 3 bits (identifier, selector bit, one FS bit) for at
         * most one segment of 64 blocks; every other block option costs at
         * least one bit per sample.  Samples are at most 4 bytes. */
        uint64_t bs = p->cp.szip_block_size;
        if (bs == 0 || bs > TGM_SZIP_MAX_BLOCK_SIZE) {
            bs = TGM_SZIP_MAX_BLOCK_SIZE; /* the codec rejects it anyway */
        }
        uint64_t runs;
        if (tgm__mul_u64(plen, 3, &runs) || tgm__add_u64(runs, 1, &runs) ||
            tgm__mul_u64(runs, 64 * 4 * bs, &r)) {
            return UINT64_MAX;
        }
        return r;
    }
    if (strcmp(c, "zfp") == 0) {
        /* 1-D blocks of 4 doubles (32 bytes); every block takes at least
         * one bit (ZFP_MIN_BITS), in every mode. */
        if (tgm__mul_u64(plen, 8 * 32, &r)) {
            return UINT64_MAX;
        }
        return r;
    }
    return UINT64_MAX;
}

tgm_error tgm__pipeline_precheck(const tgm_descriptor *d, size_t plen, size_t *decoded_size) {
    tgm_plan p;
    TGM_TRY(tgm__plan_resolve(d, true, &p));
    TGM_TRY(tgm__limit_check_object_bytes(p.decoded_size, "object"));
    if (p.codec == NULL) {
        TGM_RETURN_IF(plen != p.encoded_size, TGM_ERROR_ENCODING,
                      "descriptor claims %zu decoded byte(s) but frame payload is %zu byte(s) "
                      "(encoding %s, dtype width %zu)",
                      p.encoded_size, plen, d->encoding, p.width);
    } else {
        uint64_t most = max_expansion(&p, plen);
        TGM_RETURN_IF(p.encoded_size > most, TGM_ERROR_COMPRESSION,
                      "%s: descriptor claims %zu bytes after decompression, but a %zu-byte "
                      "payload decodes to at most %llu bytes (truncated payload or false shape)",
                      p.compression, p.encoded_size, plen, (unsigned long long)most);
    }
    *decoded_size = p.decoded_size;
    return TGM_ERROR_OK;
}
