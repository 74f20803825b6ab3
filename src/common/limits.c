#include "common/limits.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "common/error.h"

/* UINT64_MAX marks "not read from the environment yet"; a cap of
 * UINT64_MAX bytes would mean the same as no cap, so nothing is lost. */
#define UNSET UINT64_MAX

static _Atomic uint64_t max_object_bytes = UNSET;

int tgm__limit_parse_bytes(const char *text, uint64_t *out) {
    if (text == NULL || *text < '0' || *text > '9') {
        return -1;
    }
    uint64_t v = 0;
    const char *p = text;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (__builtin_mul_overflow(v, 10u, &v) ||
            __builtin_add_overflow(v, (uint64_t)(*p - '0'), &v)) {
            return -1;
        }
    }
    unsigned shift = 0;
    switch (*p) {
    case '\0':
        break;
    case 'k':
    case 'K':
        shift = 10;
        break;
    case 'm':
    case 'M':
        shift = 20;
        break;
    case 'g':
    case 'G':
        shift = 30;
        break;
    case 't':
    case 'T':
        shift = 40;
        break;
    default:
        return -1;
    }
    if (shift != 0) {
        p++;
        if (*p == 'B' || *p == 'b') {
            p++;
        }
        if (*p != '\0' || v > (UINT64_MAX >> shift)) {
            return -1;
        }
        v <<= shift;
    }
    *out = v == UNSET ? 0 : v;
    return 0;
}

uint64_t tgm__limit_max_object_bytes(void) {
    uint64_t v = atomic_load_explicit(&max_object_bytes, memory_order_relaxed);
    if (v != UNSET) {
        return v;
    }
    /* First use: the environment decides.  Concurrent first uses compute
     * the same value; the compare-exchange keeps a value a setter stored
     * in between. */
    uint64_t env = 0;
    if (tgm__limit_parse_bytes(getenv("TENSOGRAM_MAX_OBJECT_BYTES"), &env) != 0) {
        env = 0; /* absent or unreadable: no cap */
    }
    uint64_t expected = UNSET;
    if (!atomic_compare_exchange_strong(&max_object_bytes, &expected, env)) {
        return expected;
    }
    return env;
}

void tgm__limit_set_max_object_bytes(uint64_t max_bytes) {
    atomic_store(&max_object_bytes, max_bytes == UNSET ? 0 : max_bytes);
}

tgm_error tgm__limit_check_object_bytes(uint64_t bytes, const char *what) {
    uint64_t cap = tgm__limit_max_object_bytes();
    TGM_RETURN_IF(cap != 0 && bytes > cap, TGM_ERROR_OBJECT,
                  "%s decodes to %llu bytes, more than the limit of %llu bytes "
                  "(TENSOGRAM_MAX_OBJECT_BYTES)",
                  what, (unsigned long long)bytes, (unsigned long long)cap);
    return TGM_ERROR_OK;
}
