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
 * How the input is handed over decides the speed, not the bytes up to a
 * point.  The streaming encoder copies its input into a ring buffer of
 * window + one block, and once that ring wraps the match finder works on
 * two segments (libzstd's "extDict" search), about half as fast again as
 * its search over one contiguous buffer; that, not the context set-up, was
 * why this codec ran at 0.64x of a one-shot ZSTD_compress of the same
 * level.  So inputs of at least one block (128 KiB) are compressed with a
 * stable input and output buffer (ZSTD_c_stableInBuffer /
 * ZSTD_c_stableOutBuffer): libzstd then reads the caller's bytes in place
 * and writes straight into the output, with the same parameters (unknown
 * size, no content-size field, no checksum).  The frames are identical to
 * the buffered encoder's until the ring would have wrapped (several MiB at
 * level 3); beyond that a few matches near the wrap points differ, the
 * size within a few bytes -- as they already may between libzstd versions
 * (the reference bundles its own).  Smaller inputs take the buffered path:
 * with a stable input libzstd would postpone its set-up to the end and pick
 * parameters for the known size, which changes the bytes.
 *
 * Contexts are kept per thread and reused (a compression context of a
 * level up to ~9 is a few MiB of tables whose allocation and first touch
 * cost more than compressing a small tensor); larger ones are freed after
 * use.  A reused context gives the same bytes as a fresh one.
 *
 * Decoding uses the one-shot decompressor into the caller's buffer of
 * exactly dst_len bytes: it needs no content-size field, bounds its output
 * by dst_len, and handles concatenated and skippable frames. */
#include "codecs/zstd.h"

#include "common/checked.h"
#include "common/error.h"

#ifdef TGM_HAVE_ZSTD
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_c_stableInBuffer, ZSTD_c_stableOutBuffer */
#include <pthread.h>
#include <zstd.h>
#include <zstd_errors.h>

/* Input checked and handed to libzstd at a time (a whole number of its
 * 128 KiB blocks and of every item size). */
#define INSPECT_CHUNK ((size_t)1 << 20)

/* Contexts larger than this are not kept between calls. */
#define KEEP_CCTX_BYTES ((size_t)16 << 20)

/* ---- per-thread contexts ------------------------------------------------ */

typedef struct zstd_cache {
    ZSTD_CCtx *c;
    ZSTD_DCtx *d;
    int registered; /* the thread-exit destructor knows this thread's cache */
} zstd_cache;

static _Thread_local zstd_cache tl_zstd;
static pthread_key_t zstd_key;
static pthread_once_t zstd_once = PTHREAD_ONCE_INIT;
static int zstd_key_ok;

static void cache_release(void *v) {
    zstd_cache *c = v;
    ZSTD_freeCCtx(c->c);
    ZSTD_freeDCtx(c->d);
    c->c = NULL;
    c->d = NULL;
}

static void key_init(void) { zstd_key_ok = pthread_key_create(&zstd_key, cache_release) == 0; }

/* 1 when this thread's contexts will be freed at its exit (so they may be
 * kept), 0 when they must be freed after use. */
static int cache_registered(void) {
    zstd_cache *c = &tl_zstd;
    if (!c->registered) {
        pthread_once(&zstd_once, key_init);
        if (!zstd_key_ok || pthread_setspecific(zstd_key, c) != 0) {
            return 0;
        }
        c->registered = 1;
    }
    return 1;
}

static ZSTD_CCtx *cctx_take(void) {
    ZSTD_CCtx *c = tl_zstd.c;
    if (c != NULL) {
        tl_zstd.c = NULL; /* in use: a nested call makes its own */
        ZSTD_CCtx_reset(c, ZSTD_reset_session_and_parameters);
        return c;
    }
    return ZSTD_createCCtx();
}

static void cctx_give_back(ZSTD_CCtx *c) {
    if (tl_zstd.c == NULL && ZSTD_sizeof_CCtx(c) <= KEEP_CCTX_BYTES && cache_registered()) {
        tl_zstd.c = c;
        return;
    }
    ZSTD_freeCCtx(c);
}

static ZSTD_DCtx *dctx_take(void) {
    ZSTD_DCtx *d = tl_zstd.d;
    if (d != NULL) {
        tl_zstd.d = NULL;
        return d;
    }
    return ZSTD_createDCtx();
}

static void dctx_give_back(ZSTD_DCtx *d) {
    if (tl_zstd.d == NULL && cache_registered()) {
        tl_zstd.d = d;
        return;
    }
    ZSTD_freeDCtx(d);
}

/* ---- codec ---------------------------------------------------------------- */

static tgm_error zstd_fail(const char *what, size_t code) {
    return tgm__fail(TGM_ERROR_COMPRESSION, "zstd error: %s: %s", what, ZSTD_getErrorName(code));
}

static tgm_error zstd_compress(const tgm_codec_params *p, const uint8_t *src, size_t n,
                               tgm_buf *out, tgm_u64vec *block_offsets) {
    (void)block_offsets;
    tgm_error err = TGM_ERROR_OK;
    size_t start = out->len;
    /* With room for the worst case, libzstd never has to stop for space. */
    TGM_TRY(tgm__buf_reserve(out, ZSTD_compressBound(n)));
    ZSTD_CCtx *cctx = cctx_take();
    if (cctx == NULL) {
        return tgm__fail(TGM_ERROR_COMPRESSION, "zstd error: cannot create a compression context");
    }
    tgm_zstd_params zp;
    TGM_CODEC_OWN_GET(p, zp);
    size_t r = ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, zp.level);
    TGM_FAIL_IF(ZSTD_isError(r), TGM_ERROR_COMPRESSION, "zstd error: level %d: %s", zp.level,
                ZSTD_getErrorName(r));
    if (n >= ZSTD_BLOCKSIZE_MAX &&
        (ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_stableInBuffer, 1)) ||
         ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_stableOutBuffer, 1)))) {
        /* A libzstd without them: the buffered path, same parameters. */
        ZSTD_CCtx_reset(cctx, ZSTD_reset_session_and_parameters);
        r = ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, zp.level);
        TGM_FAIL_IF(ZSTD_isError(r), TGM_ERROR_COMPRESSION, "zstd error: level %d: %s", zp.level,
                    ZSTD_getErrorName(r));
    }

    /* The pipeline's check (p->inspect) runs on the input INSPECT_CHUNK
     * bytes at a time, each just before libzstd reads it.  The input is
     * presented as it is checked (a stable input buffer may grow); whole
     * blocks are compressed as before, so the frame does not change. */
    size_t shown = n;
    if (p->inspect != NULL) {
        shown = n < INSPECT_CHUNK ? n : INSPECT_CHUNK;
        TGM_CHECK(tgm__codec_inspect(p, src, shown));
    }
    ZSTD_inBuffer in = {src, shown, 0};
    ZSTD_outBuffer ob = {out->data + start, out->cap - start, 0};
    ZSTD_EndDirective mode = ZSTD_e_continue;
    for (;;) {
        size_t before = ob.pos + in.pos;
        r = ZSTD_compressStream2(cctx, &ob, &in, mode);
        if (ZSTD_isError(r)) {
            err = zstd_fail("compress", r);
            goto cleanup;
        }
        if (mode == ZSTD_e_continue && in.pos == in.size && in.size < n) {
            size_t more = n - in.size < INSPECT_CHUNK ? n - in.size : INSPECT_CHUNK;
            TGM_CHECK(tgm__codec_inspect(p, src + in.size, more));
            in.size += more;
            continue;
        }
        if (mode == ZSTD_e_continue) {
            if (in.pos == in.size) {
                mode = ZSTD_e_end; /* all input taken: finish the frame */
            }
        } else if (r == 0) {
            break;
        }
        TGM_FAIL_IF(ob.pos + in.pos == before && ob.pos == ob.size, TGM_ERROR_COMPRESSION,
                    "zstd error: output exceeds the compression bound of %zu bytes",
                    ZSTD_compressBound(n));
    }
    out->len = start + ob.pos;
cleanup:
    cctx_give_back(cctx);
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
    ZSTD_DCtx *dctx = dctx_take();
    if (dctx == NULL) {
        return tgm__fail(TGM_ERROR_COMPRESSION,
                         "zstd error: cannot create a decompression context");
    }
    uint8_t dummy = 0;
    size_t r = ZSTD_decompressDCtx(dctx, dst_len != 0 ? dst : &dummy, dst_len, src, n);
    dctx_give_back(dctx);
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
    .flags = TGM_CODEC_FEATURE | TGM_CODEC_PURE_VARIANT | TGM_CODEC_INSPECTS,
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
