/* Exported functions of include/tensogram/codec.h: the user codec registry
 * and the helpers callbacks use (codecs/user.c does the work); and
 * tgm_compression_name, the built-in names beside them. */
#include <stdarg.h>

#include "codecs/codec.h"
#include "codecs/user.h"
#include "common/error.h"
#include "tensogram/codec.h"

tgm_error tgm_register_codec(const tgm_codec_def *def) {
    tgm__clear_error();
    return tgm__ucodec_register(def);
}

tgm_error tgm_unregister_codec(const char *name) {
    tgm__clear_error();
    return tgm__ucodec_unregister(name);
}

bool tgm_codec_lookup(const char *name, tgm_codec_info *out) {
    return tgm__ucodec_lookup(name, out);
}

bool tgm_codec_lookup_id(uint32_t id, tgm_codec_info *out) {
    return tgm__ucodec_lookup_id(id, out);
}

size_t tgm_codec_list(tgm_codec_info *out, size_t capacity) {
    return tgm__ucodec_list(out, capacity);
}

/* Declared in tensogram.h: "none", then the codec table's names. */
const char *tgm_compression_name(size_t index) {
    if (index == 0) {
        return "none";
    }
    const tgm_codec *c = tgm__codec_at(index - 1);
    return c != NULL ? c->name : NULL;
}

/* The helpers below run inside callbacks, in the middle of a library call:
 * they leave the thread's error state alone. */

tgm_error tgm_codec_output_write(tgm_codec_output *out, const void *data, size_t n) {
    return tgm__ucodec_out_write(out, data, n);
}

uint8_t *tgm_codec_output_reserve(tgm_codec_output *out, size_t n) {
    return tgm__ucodec_out_reserve(out, n);
}

tgm_error tgm_codec_output_commit(tgm_codec_output *out, size_t n) {
    return tgm__ucodec_out_commit(out, n);
}

size_t tgm_codec_output_len(const tgm_codec_output *out) { return tgm__ucodec_out_len(out); }

size_t tgm_codec_output_limit(const tgm_codec_output *out) { return tgm__ucodec_out_limit(out); }

void tgm_codec_error(const tgm_codec_call *call, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    tgm__ucodec_verror(call, fmt, ap);
    va_end(ap);
}
