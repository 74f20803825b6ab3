/* tensogram_validate.h - Tensogram for C additions: validation and diagnostics (additions).
 * Included by tensogram.h; not part of the reference API. */
#ifndef TENSOGRAM_VALIDATE_H
#define TENSOGRAM_VALIDATE_H

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif

#endif
