/* zstd compression (libzstd), byte-compatible with the reference.
 *
 * The reference compresses with the zstd crate's streaming encoder: input
 * fed with ZSTD_e_continue, then ZSTD_e_end, no pledged size.  Its frames
 * therefore carry no content-size field and no checksum, and the parameters
 * are the level's defaults for an unknown source size.  Doing the same here
 * gives the same bytes for the same level (checked against the reference's
 * fixtures).  libzstd's worker threads are never used: their frames differ
 * from single-threaded ones, and our output must not depend on the thread
 * count (the reference's does).
 *
 * Decoding uses the one-shot decompressor into the caller's buffer of
 * exactly dst_len bytes: it needs no content-size field, bounds its output
 * by dst_len, and handles concatenated and skippable frames. */
#include "codecs/zstd.h"

#include "common/checked.h"
#include "common/error.h"

#ifdef TGM_HAVE_ZSTD
#include <zstd.h>
#include <zstd_errors.h>

static tgm_error zstd_fail(const char *what, size_t code) {
    return tgm__fail(TGM_ERROR_COMPRESSION, "zstd error: %s: %s", what, ZSTD_getErrorName(code));
}

static tgm_error zstd_compress(const tgm_codec_params *p, const uint8_t *src, size_t n,
                               tgm_buf *out, tgm_u64vec *block_offsets) {
    (void)block_offsets;
    tgm_error err = TGM_ERROR_OK;
    ZSTD_CCtx *cctx = ZSTD_createCCtx();
    if (cctx == NULL) {
        return tgm__fail(TGM_ERROR_COMPRESSION, "zstd error: cannot create a compression context");
    }
    tgm_zstd_params zp;
    TGM_CODEC_OWN_GET(p, zp);
    size_t r = ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, zp.level);
    TGM_FAIL_IF(ZSTD_isError(r), TGM_ERROR_COMPRESSION, "zstd error: level %d: %s", zp.level,
                ZSTD_getErrorName(r));

    size_t start = out->len;
    TGM_CHECK(tgm__buf_reserve(out, ZSTD_compressBound(n)));
    ZSTD_inBuffer in = {src, n, 0};
    ZSTD_EndDirective mode = ZSTD_e_continue;
    for (;;) {
        if (out->cap - out->len < ZSTD_CStreamOutSize()) {
            TGM_CHECK(tgm__buf_reserve(out, ZSTD_CStreamOutSize()));
        }
        ZSTD_outBuffer ob = {out->data + out->len, out->cap - out->len, 0};
        r = ZSTD_compressStream2(cctx, &ob, &in, mode);
        out->len += ob.pos;
        if (ZSTD_isError(r)) {
            out->len = start;
            err = zstd_fail("compress", r);
            goto cleanup;
        }
        if (mode == ZSTD_e_continue) {
            if (in.pos == in.size) {
                mode = ZSTD_e_end; /* all input taken: finish the frame */
            }
        } else if (r == 0) {
            break;
        }
    }
cleanup:
    ZSTD_freeCCtx(cctx);
    return err;
}

static tgm_error zstd_decompress(const tgm_codec_params *p, const uint8_t *src, size_t n,
                                 uint8_t *dst, size_t dst_len) {
    (void)p;
    if (n == 0) {
        TGM_RETURN_IF(dst_len != 0, TGM_ERROR_COMPRESSION,
                      "zstd error: empty stream, expected %zu decompressed bytes", dst_len);
        return TGM_ERROR_OK;
    }
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    if (dctx == NULL) {
        return tgm__fail(TGM_ERROR_COMPRESSION,
                         "zstd error: cannot create a decompression context");
    }
    uint8_t dummy = 0;
    size_t r = ZSTD_decompressDCtx(dctx, dst_len != 0 ? dst : &dummy, dst_len, src, n);
    ZSTD_freeDCtx(dctx);
    if (ZSTD_isError(r)) {
        if (ZSTD_getErrorCode(r) == ZSTD_error_dstSize_tooSmall) {
            return tgm__fail(TGM_ERROR_COMPRESSION,
                             "zstd error: stream decompresses to more than the expected %zu bytes",
                             dst_len);
        }
        return zstd_fail("decompress", r);
    }
    TGM_RETURN_IF(r != dst_len, TGM_ERROR_COMPRESSION,
                  "zstd error: stream decompresses to %zu bytes, expected %zu", r, dst_len);
    return TGM_ERROR_OK;
}

static const char *zstd_backend(char *buf, size_t cap) {
    (void)buf;
    (void)cap;
    return "libzstd";
}

static const char *zstd_version(void) { return ZSTD_versionString(); }
#endif /* TGM_HAVE_ZSTD */

void tgm__zstd_params(tgm_codec_params *p, int level) {
    tgm_zstd_params zp = {level};
    TGM_CODEC_OWN_PUT(p, zp);
}

static tgm_error zstd_parse(const tgm_codec_keys *k, tgm_codec_params *p) {
    int32_t level;
    TGM_TRY(tgm__key_i32_or(k, "zstd_level", 3, &level));
    tgm__zstd_params(p, level);
    return TGM_ERROR_OK;
}

/* A block yields at most 128 KiB and takes at least 4 bytes (an RLE block:
 * 3-byte header + the byte); frames add headers. */
static uint64_t zstd_max_expansion(const tgm_codec_params *p, uint64_t n) {
    (void)p;
    uint64_t r;
    return tgm__mul_u64(n / 4 + 1, (uint64_t)128 * 1024, &r) ? UINT64_MAX : r;
}

static const tgm_codec_selftest zstd_selftest = {
    "pipeline       shuffle+zstd", "float32", "none", "shuffle",
    ",\"shuffle_element_size\":4", 1.5};

const tgm_codec tgm__codec_zstd = {
    .name = "zstd",
    .flags = TGM_CODEC_FEATURE | TGM_CODEC_PURE_VARIANT,
    .parse = zstd_parse,
    .max_expansion = zstd_max_expansion,
#ifdef TGM_HAVE_ZSTD
    .compress = zstd_compress,
    .decompress = zstd_decompress,
    .backend = zstd_backend,
    .version = zstd_version,
#endif
    .selftest = &zstd_selftest,
};
