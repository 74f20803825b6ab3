/* xxh3-64 frame hashing (WIRE_FORMAT §2.4): one-shot, streaming, hex. */
#ifndef TGM_HASH_HASH_H
#define TGM_HASH_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "tensogram/tensogram.h"

#define TGM_HASH_ALGORITHM "xxh3"

uint64_t tgm__xxh3(const void *data, size_t len);

/* Streaming state (wraps XXH3_state_t; allocated). */
typedef struct tgm_hasher tgm_hasher;
tgm_error tgm__hasher_new(tgm_hasher **out);
void tgm__hasher_update(tgm_hasher *h, const void *data, size_t len);
uint64_t tgm__hasher_digest(const tgm_hasher *h);
void tgm__hasher_reset(tgm_hasher *h);
void tgm__hasher_free(tgm_hasher *h);

/* 16 lowercase hex digits + NUL into out[17]. */
void tgm__hash_hex(uint64_t digest, char out[17]);
/* Parse exactly 16 hex digits (either case); 0 ok, -1 bad. */
int tgm__hash_parse_hex(const char *s, size_t len, uint64_t *out);

/* Resolve a hash algorithm name from the API: NULL or "none" -> 0 (no
 * hashing), "xxh3" -> 1; anything else fails with TGM_ERROR_INVALID_ARG. */
tgm_error tgm__hash_parse_algo(const char *name, int *hashing);

#endif
