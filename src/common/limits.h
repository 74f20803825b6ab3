/* Process-wide resource limits that protect decoding from hostile input.
 *
 * The decoded size of one object (elements x width, as its descriptor
 * claims) is checked against a cap before any memory is allocated for it.
 * The cap is 0 ("no limit") unless the environment variable
 * TENSOGRAM_MAX_OBJECT_BYTES holds a byte count (decimal digits with an
 * optional K, M, G or T suffix, powers of 1024) when the library first
 * needs it, or tgm__limit_set_max_object_bytes sets it.  Reads and writes
 * are atomic: the setter may be called while other threads decode (each
 * decode sees either the old or the new value). */
#ifndef TGM_COMMON_LIMITS_H
#define TGM_COMMON_LIMITS_H

#include <stdint.h>

#include "tensogram/tensogram.h"

/* Current cap in bytes; 0 means no cap. */
uint64_t tgm__limit_max_object_bytes(void);

/* Set the cap (0 = no cap).  Overrides TENSOGRAM_MAX_OBJECT_BYTES. */
void tgm__limit_set_max_object_bytes(uint64_t max_bytes);

/* Parse a TENSOGRAM_MAX_OBJECT_BYTES value; 0 on success, -1 when the text
 * is not a byte count (exposed for the tests). */
int tgm__limit_parse_bytes(const char *text, uint64_t *out);

/* TGM_ERROR_OBJECT when `bytes` exceeds the cap, naming `what` and the
 * limit ("object 3 decodes to 8796093022208 bytes, more than the limit of
 * 1073741824 bytes (TENSOGRAM_MAX_OBJECT_BYTES)"). */
tgm_error tgm__limit_check_object_bytes(uint64_t bytes, const char *what);

#endif
