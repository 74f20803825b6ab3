/* tensogram_stream.h - Tensogram for C additions: streaming output (additions).
 * Included by tensogram.h; not part of the reference API. */
#ifndef TENSOGRAM_STREAM_H
#define TENSOGRAM_STREAM_H

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif

#endif
