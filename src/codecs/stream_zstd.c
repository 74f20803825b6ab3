/* Streaming zstd decoding (stream_zstd.h), over libzstd's
 * ZSTD_decompressStream.  The output buffer is the caller's final memory
 * and does not move between calls, so libzstd is told it is stable
 * (ZSTD_d_stableOutBuffer) and decodes straight into it instead of
 * through its own window buffer. */
#include "codecs/stream_zstd.h"

#include <stdbool.h>

#include "common/alloc.h"
#include "common/error.h"

#ifdef TGM_HAVE_ZSTD
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_d_stableOutBuffer */
#include <zstd.h>

struct tgm_zstd_dstream {
    ZSTD_DCtx *d;
    ZSTD_outBuffer out;
    size_t last;  /* ZSTD_decompressStream's last hint: 0 once a frame is decoded and flushed */
    bool started; /* some input came */
    bool failed;
};

tgm_error tgm__zstd_dstream_new(uint8_t *dst, size_t dst_len, tgm_zstd_dstream **out) {
    tgm_zstd_dstream *s = tgm__calloc(1, sizeof *s);
    if (s == NULL) {
        return tgm__oom(sizeof *s, "zstd stream");
    }
    s->d = ZSTD_createDCtx();
    if (s->d == NULL) {
        tgm__free(s);
        return tgm__fail(TGM_ERROR_COMPRESSION,
                         "zstd error: cannot create a decompression context");
    }
    /* Best effort: without it libzstd buffers internally (same bytes). */
    (void)ZSTD_DCtx_setParameter(s->d, ZSTD_d_stableOutBuffer, 1);
    s->out.dst = dst;
    s->out.size = dst_len;
    s->out.pos = 0;
    *out = s;
    return TGM_ERROR_OK;
}

tgm_error tgm__zstd_dstream_feed(tgm_zstd_dstream *s, const uint8_t *src, size_t n) {
    TGM_RETURN_IF(s->failed, TGM_ERROR_COMPRESSION, "zstd error: stream already failed");
    ZSTD_inBuffer in = {src, n, 0};
    s->started = s->started || n > 0;
    while (in.pos < in.size) {
        size_t ip = in.pos, op = s->out.pos;
        size_t r = ZSTD_decompressStream(s->d, &s->out, &in);
        if (ZSTD_isError(r)) {
            s->failed = true;
            return tgm__fail(TGM_ERROR_COMPRESSION, "zstd error: decompress: %s",
                             ZSTD_getErrorName(r));
        }
        s->last = r;
        if (in.pos == ip && s->out.pos == op) {
            /* No progress with input left: the output is full. */
            s->failed = true;
            return tgm__fail(TGM_ERROR_COMPRESSION,
                             "zstd error: stream decompresses to more than the expected %zu bytes",
                             s->out.size);
        }
    }
    return TGM_ERROR_OK;
}

tgm_error tgm__zstd_dstream_end(tgm_zstd_dstream *s) {
    TGM_RETURN_IF(s->failed, TGM_ERROR_COMPRESSION, "zstd error: stream failed");
    if (!s->started) {
        TGM_RETURN_IF(s->out.size != 0, TGM_ERROR_COMPRESSION,
                      "zstd error: empty stream, expected %zu decompressed bytes", s->out.size);
        return TGM_ERROR_OK;
    }
    TGM_RETURN_IF(s->last != 0, TGM_ERROR_COMPRESSION,
                  "zstd error: the stream ends inside a frame");
    TGM_RETURN_IF(s->out.pos != s->out.size, TGM_ERROR_COMPRESSION,
                  "zstd error: stream decompresses to %zu bytes, expected %zu", s->out.pos,
                  s->out.size);
    return TGM_ERROR_OK;
}

void tgm__zstd_dstream_free(tgm_zstd_dstream *s) {
    if (s != NULL) {
        ZSTD_freeDCtx(s->d);
        tgm__free(s);
    }
}

#else /* !TGM_HAVE_ZSTD */

tgm_error tgm__zstd_dstream_new(uint8_t *dst, size_t dst_len, tgm_zstd_dstream **out) {
    (void)dst;
    (void)dst_len;
    (void)out;
    return tgm__fail(TGM_ERROR_COMPRESSION, "zstd is not built in");
}
tgm_error tgm__zstd_dstream_feed(tgm_zstd_dstream *s, const uint8_t *src, size_t n) {
    (void)s;
    (void)src;
    (void)n;
    return tgm__fail(TGM_ERROR_COMPRESSION, "zstd is not built in");
}
tgm_error tgm__zstd_dstream_end(tgm_zstd_dstream *s) {
    (void)s;
    return tgm__fail(TGM_ERROR_COMPRESSION, "zstd is not built in");
}
void tgm__zstd_dstream_free(tgm_zstd_dstream *s) { (void)s; }

#endif
