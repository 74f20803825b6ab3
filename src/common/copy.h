/* Copies into memory that is written once and not read back soon.
 *
 * A plain store first reads its cache line from memory ("read for
 * ownership"), so a loop that copies a large payload in cache-sized chunks
 * moves three bytes over the memory bus per byte copied, where glibc's
 * memcpy of the same size switches to non-temporal stores and moves two.
 * tgm__copy_stream copies with non-temporal stores where the target has
 * them (x86-64 SSE2); tgm__copy_stream_fence orders them before the data is
 * handed to another thread or returned (call it once, after the last copy).
 * Elsewhere both are a memcpy and nothing. */
#ifndef TGM_COMMON_COPY_H
#define TGM_COMMON_COPY_H

#include <stddef.h>
#include <stdint.h>

/* Payloads at least this large are copied with tgm__copy_stream: beyond a
 * fraction of the last-level cache the destination is evicted before
 * anyone reads it anyway. */
#define TGM_STREAM_COPY_MIN ((size_t)8 << 20)

void tgm__copy_stream(uint8_t *dst, const uint8_t *src, size_t n);
void tgm__copy_stream_fence(void);

#endif
