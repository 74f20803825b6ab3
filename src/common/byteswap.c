#include <stddef.h>
#include <stdint.h>

#include "common/endian.h"

void tgm__byteswap(uint8_t *data, size_t count, size_t unit) {
    size_t i;
    switch (unit) {
    case 2:
        for (i = 0; i < count; i++) {
            uint16_t v;
            memcpy(&v, data + 2 * i, 2);
            v = __builtin_bswap16(v);
            memcpy(data + 2 * i, &v, 2);
        }
        break;
    case 4:
        for (i = 0; i < count; i++) {
            uint32_t v;
            memcpy(&v, data + 4 * i, 4);
            v = __builtin_bswap32(v);
            memcpy(data + 4 * i, &v, 4);
        }
        break;
    case 8:
        for (i = 0; i < count; i++) {
            uint64_t v;
            memcpy(&v, data + 8 * i, 8);
            v = __builtin_bswap64(v);
            memcpy(data + 8 * i, &v, 8);
        }
        break;
    case 16:
        for (i = 0; i < count; i++) {
            uint8_t *p = data + 16 * i;
            for (int k = 0; k < 8; k++) {
                uint8_t t = p[k];
                p[k] = p[15 - k];
                p[15 - k] = t;
            }
        }
        break;
    default:
        break;
    }
}
