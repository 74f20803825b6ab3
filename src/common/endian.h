/* Bounds-free byte-order helpers.  Callers check lengths first; these only
 * read or write the bytes they are given.  Never cast wire bytes to structs. */
#ifndef TGM_COMMON_ENDIAN_H
#define TGM_COMMON_ENDIAN_H

#include <stdint.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define TGM_HOST_BIG_ENDIAN 1
#else
#define TGM_HOST_BIG_ENDIAN 0
#endif

static inline uint16_t tgm__rd_be16(const uint8_t *p) {
    return (uint16_t)(((uint16_t)p[0] << 8) | p[1]);
}
static inline uint32_t tgm__rd_be32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline uint64_t tgm__rd_be64(const uint8_t *p) {
    return ((uint64_t)tgm__rd_be32(p) << 32) | tgm__rd_be32(p + 4);
}
static inline uint32_t tgm__rd_le32(const uint8_t *p) {
    return ((uint32_t)p[3] << 24) | ((uint32_t)p[2] << 16) | ((uint32_t)p[1] << 8) | p[0];
}
static inline uint64_t tgm__rd_le64(const uint8_t *p) {
    return ((uint64_t)tgm__rd_le32(p + 4) << 32) | tgm__rd_le32(p);
}
static inline uint16_t tgm__rd_le16(const uint8_t *p) {
    return (uint16_t)(((uint16_t)p[1] << 8) | p[0]);
}
static inline void tgm__wr_be16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void tgm__wr_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}
static inline void tgm__wr_be64(uint8_t *p, uint64_t v) {
    tgm__wr_be32(p, (uint32_t)(v >> 32));
    tgm__wr_be32(p + 4, (uint32_t)v);
}
static inline void tgm__wr_le16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void tgm__wr_le32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}
static inline void tgm__wr_le64(uint8_t *p, uint64_t v) {
    tgm__wr_le32(p, (uint32_t)v);
    tgm__wr_le32(p + 4, (uint32_t)(v >> 32));
}

/* Reverse the byte order of `count` units of `unit` bytes in place
 * (unit in {1,2,4,8,16}; 1 is a no-op). */
void tgm__byteswap(uint8_t *data, size_t count, size_t unit);

#endif
