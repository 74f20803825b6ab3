/* The bitmask-only codecs: RLE and Roaring (WIRE_FORMAT §8).
 *
 * Expectations come from hand-computed bytes (format rules), from the
 * reference's dtype=bitmask fixtures, from round trips, and - when the
 * build links CRoaring - from CRoaring as an independent reader/writer of
 * the portable format. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/bitmask_codecs.h"
#include "codecs/codec.h"
#include "common/buf.h"
#include "common/error.h"
#include "tensogram/tensogram.h"
#include "tt.h"

/* Debian's CRoaring is an independent oracle for the portable format (the
 * library itself does not use it). */
#if defined(TGM_HAVE_ROARING) && defined(TGM_TEST_HAVE_CROARING)
#include <roaring/roaring.h>
#define HAVE_CROARING 1
#endif

/* ---- helpers -------------------------------------------------------------- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static size_t nbytes_of(uint64_t n) { return (size_t)((n + 7) / 8); }

static void setbit(uint8_t *b, uint64_t i) { b[i / 8] |= (uint8_t)(0x80u >> (i % 8)); }
static int getbit(const uint8_t *b, uint64_t i) { return (b[i / 8] >> (7 - i % 8)) & 1; }

/* A mask of n bits (plus one spare byte) with the tail bits garbage-filled
 * when `dirty`, so encoders must ignore them. */
static uint8_t *mask_new(uint64_t n, int dirty) {
    size_t nb = nbytes_of(n);
    uint8_t *m = calloc(nb + 1, 1);
    if (dirty && n % 8 != 0) {
        m[nb - 1] = (uint8_t)(0xFFu >> (n % 8));
    }
    return m;
}

static int masks_equal(const uint8_t *a, const uint8_t *b, uint64_t n) {
    for (uint64_t i = 0; i < n; i++) {
        if (getbit(a, i) != getbit(b, i)) {
            return 0;
        }
    }
    return 1;
}

static int tail_clean(const uint8_t *b, uint64_t n) {
    return n % 8 == 0 || (b[n / 8] & (0xFFu >> (n % 8))) == 0;
}

static void rle_roundtrip(const uint8_t *m, uint64_t n) {
    tgm_buf out = TGM_BUF_INIT;
    TT_CHECK_ERR(tgm__rle_encode(m, n, &out), TGM_ERROR_OK);
    uint8_t *dec = malloc(nbytes_of(n) + 1);
    TT_CHECK_ERR(tgm__rle_decode(out.data, out.len, n, dec), TGM_ERROR_OK);
    TT_CHECK(masks_equal(m, dec, n));
    TT_CHECK(tail_clean(dec, n));
    free(dec);
    tgm__buf_free(&out);
}

#ifdef TGM_HAVE_ROARING
static void roaring_roundtrip(const uint8_t *m, uint64_t n) {
    tgm_buf out = TGM_BUF_INIT;
    TT_CHECK_ERR(tgm__roaring_encode(m, n, &out), TGM_ERROR_OK);
    uint8_t *dec = malloc(nbytes_of(n) + 1);
    TT_CHECK_ERR(tgm__roaring_decode(out.data, out.len, n, dec), TGM_ERROR_OK);
    TT_CHECK(masks_equal(m, dec, n));
    TT_CHECK(tail_clean(dec, n));
#ifdef HAVE_CROARING
    /* CRoaring reads our bytes to the same set. */
    roaring_bitmap_t *r = roaring_bitmap_portable_deserialize_safe((const char *)out.data, out.len);
    TT_CHECK(r != NULL);
    if (r != NULL) {
        uint64_t card = 0;
        for (uint64_t i = 0; i < n; i++) {
            card += (uint64_t)getbit(m, i);
        }
        TT_CHECK_EQ_INT(roaring_bitmap_get_cardinality(r), card);
        roaring_uint32_iterator_t *it = roaring_create_iterator(r);
        int ok = 1;
        while (it->has_value) {
            if (it->current_value >= n || !getbit(m, it->current_value)) {
                ok = 0;
            }
            roaring_advance_uint32_iterator(it);
        }
        roaring_free_uint32_iterator(it);
        TT_CHECK(ok);
        TT_CHECK_EQ_INT(roaring_bitmap_portable_size_in_bytes(r), out.len);
        roaring_bitmap_free(r);
    }
#endif
    free(dec);
    tgm__buf_free(&out);
}
#endif

/* ---- RLE ------------------------------------------------------------------- */

static void test_rle_vectors(void) {
    tgm_buf out = TGM_BUF_INIT;
    uint8_t m[200] = {0};

    /* Empty mask: empty blob. */
    TT_CHECK_ERR(tgm__rle_encode(m, 0, &out), TGM_ERROR_OK);
    TT_CHECK_EQ_INT(out.len, 0);

    /* One zero bit / one set bit. */
    m[0] = 0x7F; /* only bit 0 counts */
    out.len = 0;
    TT_CHECK_ERR(tgm__rle_encode(m, 1, &out), TGM_ERROR_OK);
    TT_CHECK(out.len == 2 && out.data[0] == 0 && out.data[1] == 1);
    m[0] = 0x80;
    out.len = 0;
    TT_CHECK_ERR(tgm__rle_encode(m, 1, &out), TGM_ERROR_OK);
    TT_CHECK(out.len == 2 && out.data[0] == 1 && out.data[1] == 1);

    /* 1000 zeros: start 0, varint(1000) = E8 07. */
    memset(m, 0, sizeof m);
    out.len = 0;
    TT_CHECK_ERR(tgm__rle_encode(m, 1000, &out), TGM_ERROR_OK);
    TT_CHECK(out.len == 3 && out.data[0] == 0 && out.data[1] == 0xE8 && out.data[2] == 0x07);

    /* 64 ones: 01 40. */
    memset(m, 0xFF, 8);
    out.len = 0;
    TT_CHECK_ERR(tgm__rle_encode(m, 64, &out), TGM_ERROR_OK);
    TT_CHECK(out.len == 2 && out.data[0] == 1 && out.data[1] == 0x40);

    /* Alternating 8 bits: start 1 + eight runs of 1. */
    m[0] = 0xAA;
    out.len = 0;
    TT_CHECK_ERR(tgm__rle_encode(m, 8, &out), TGM_ERROR_OK);
    TT_CHECK_EQ_INT(out.len, 9);
    TT_CHECK(out.data[0] == 1);
    for (size_t i = 1; i < out.len; i++) {
        TT_CHECK_EQ_INT(out.data[i], 1);
    }

    /* 3 zeros, 200 ones, 5 zeros (N = 208): 00 03 C8 01 05. */
    memset(m, 0, sizeof m);
    for (int i = 3; i < 203; i++) {
        setbit(m, (uint64_t)i);
    }
    out.len = 0;
    TT_CHECK_ERR(tgm__rle_encode(m, 208, &out), TGM_ERROR_OK);
    static const uint8_t want[] = {0x00, 0x03, 0xC8, 0x01, 0x05};
    TT_CHECK(out.len == sizeof want && memcmp(out.data, want, sizeof want) == 0);

    /* Appends after existing content. */
    tgm_buf pre = TGM_BUF_INIT;
    TT_CHECK_ERR(tgm__buf_append(&pre, "xy", 2), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm__rle_encode(m, 208, &pre), TGM_ERROR_OK);
    TT_CHECK(pre.len == 7 && memcmp(pre.data, "xy", 2) == 0 && memcmp(pre.data + 2, want, 5) == 0);
    tgm__buf_free(&pre);
    tgm__buf_free(&out);
}

static void test_rle_roundtrips(void) {
    static const uint64_t sizes[] = {1,   2,   7,   8,    9,    63,    64,    65,
                                     127, 128, 129, 1000, 4099, 65536, 65537, 200003};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        uint64_t n = sizes[s];
        for (int pattern = 0; pattern < 7; pattern++) {
            uint8_t *m = mask_new(n, 1);
            for (uint64_t i = 0; i < n; i++) {
                int on = 0;
                switch (pattern) {
                case 0:
                    on = 0;
                    break; /* empty */
                case 1:
                    on = 1;
                    break; /* all ones */
                case 2:
                    on = i == n / 2;
                    break; /* single bit */
                case 3:
                    on = (rng() & 1) != 0;
                    break; /* dense random */
                case 4:
                    on = (rng() % 97) == 0;
                    break; /* sparse random */
                case 5:
                    on = (i / 300) % 2 == 1;
                    break; /* long runs */
                default:
                    on = i == 0 || i == n - 1;
                    break; /* the ends */
                }
                if (on) {
                    setbit(m, i);
                }
            }
            rle_roundtrip(m, n);
            free(m);
        }
    }
    /* 2^21 ones: one run, varint 80 80 80 01. */
    uint64_t n = (uint64_t)1 << 21;
    uint8_t *m = mask_new(n, 0);
    memset(m, 0xFF, nbytes_of(n));
    tgm_buf out = TGM_BUF_INIT;
    TT_CHECK_ERR(tgm__rle_encode(m, n, &out), TGM_ERROR_OK);
    static const uint8_t want[] = {0x01, 0x80, 0x80, 0x80, 0x01};
    TT_CHECK(out.len == sizeof want && memcmp(out.data, want, sizeof want) == 0);
    tgm__buf_free(&out);
    free(m);
}

typedef struct bad_blob {
    const char *what;
    uint8_t bytes[16];
    size_t len;
    uint64_t n;
} bad_blob;

static void test_rle_malformed(void) {
    static const bad_blob bad[] = {
        {"empty blob, n > 0", {0}, 0, 5},
        {"bytes for n = 0", {0x00}, 1, 0},
        {"bad start bit", {0x02, 0x01}, 2, 1},
        {"start bit 0xFF", {0xFF, 0x01}, 2, 1},
        {"start bit only", {0x00}, 1, 1},
        {"truncated varint", {0x00, 0x80}, 2, 1},
        {"zero-length run", {0x00, 0x00}, 2, 1},
        {"zero-length run later", {0x00, 0x01, 0x00, 0x01}, 4, 2},
        {"run overruns", {0x00, 0x0A}, 2, 3},
        {"runs undershoot", {0x00, 0x02, 0x01}, 3, 5},
        {"trailing run", {0x00, 0x03, 0x01}, 3, 3},
        {"trailing zero byte", {0x01, 0x03, 0x00}, 3, 3},
        {"trailing truncated varint", {0x01, 0x03, 0x80}, 3, 3},
        {"11-byte varint",
         {0x00, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01},
         12,
         1},
        {"varint overflowing u64",
         {0x00, 0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02},
         11,
         1},
        {"u64 max run", {0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}, 11, 1},
    };
    uint8_t dst[8];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tgm_error e = tgm__rle_decode(bad[i].bytes, bad[i].len, bad[i].n, dst);
        if (e != TGM_ERROR_COMPRESSION) {
            fprintf(stderr, "rle case '%s' gave %d\n", bad[i].what, (int)e);
        }
        TT_CHECK_ERR(e, TGM_ERROR_COMPRESSION);
        const char *d = tgm_last_error();
        TT_CHECK(d != NULL && strstr(d, "RLE decode error: ") != NULL);
    }
    /* Specific texts. */
    static const uint8_t over[] = {0x00, 0x0A};
    TT_CHECK_ERR(tgm__rle_decode(over, 2, 3, dst), TGM_ERROR_COMPRESSION);
    TT_CHECK_EQ_STR(tgm_last_error(),
                    "compression error: RLE decode error: run overruns element count: decoded "
                    "0..10 but only 3 declared");
    static const uint8_t start[] = {0x42, 0x01};
    TT_CHECK_ERR(tgm__rle_decode(start, 2, 1, dst), TGM_ERROR_COMPRESSION);
    TT_CHECK_EQ_STR(tgm_last_error(), "compression error: RLE decode error: invalid start_bit "
                                      "byte 0x42 (must be 0x00 or 0x01)");

    /* Accepted: a non-minimal but in-range varint (the reference reads it),
     * and the largest 10-byte varint form that fits (bit 63 only). */
    static const uint8_t nonmin[] = {0x01, 0x81, 0x00};
    TT_CHECK_ERR(tgm__rle_decode(nonmin, 3, 1, dst), TGM_ERROR_OK);
    TT_CHECK(dst[0] == 0x80);
    static const uint8_t empty_ok[] = {0};
    TT_CHECK_ERR(tgm__rle_decode(empty_ok, 0, 0, dst), TGM_ERROR_OK);
}

#ifdef TGM_HAVE_ROARING
/* ---- Roaring --------------------------------------------------------------- */

static uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint32_t le16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }

static void test_roaring_vectors(void) {
    tgm_buf out = TGM_BUF_INIT;
    uint8_t m[16] = {0};

    /* Empty set: cookie 12346 + zero containers. */
    TT_CHECK_ERR(tgm__roaring_encode(m, 77, &out), TGM_ERROR_OK);
    static const uint8_t empty[] = {0x3A, 0x30, 0, 0, 0, 0, 0, 0};
    TT_CHECK(out.len == 8 && memcmp(out.data, empty, 8) == 0);
    out.len = 0;
    TT_CHECK_ERR(tgm__roaring_encode(m, 0, &out), TGM_ERROR_OK);
    TT_CHECK(out.len == 8 && memcmp(out.data, empty, 8) == 0);

    /* {5, 9}: one array container; header 8 + 4 + 4, offset 16. */
    setbit(m, 5);
    setbit(m, 9);
    out.len = 0;
    TT_CHECK_ERR(tgm__roaring_encode(m, 77, &out), TGM_ERROR_OK);
    static const uint8_t two[] = {0x3A, 0x30, 0,  0, 1, 0, 0, 0, 0, 0,
                                  1,    0,    16, 0, 0, 0, 5, 0, 9, 0};
    TT_CHECK(out.len == sizeof two && memcmp(out.data, two, sizeof two) == 0);

    /* {0, 1, 2}: array (6 bytes) vs run (2 + 4) - a tie stays an array. */
    memset(m, 0, sizeof m);
    m[0] = 0xE0;
    out.len = 0;
    TT_CHECK_ERR(tgm__roaring_encode(m, 77, &out), TGM_ERROR_OK);
    TT_CHECK(out.len == 22 && le32(out.data) == 12346);

    /* {0..3}: run (6 bytes) beats array (8): cookie 12347, one container,
     * run flag byte, no offsets (fewer than 4 containers). */
    m[0] = 0xF0;
    out.len = 0;
    TT_CHECK_ERR(tgm__roaring_encode(m, 77, &out), TGM_ERROR_OK);
    static const uint8_t run[] = {0x3B, 0x30, 0, 0, 0x01, 0, 0, 3, 0, 1, 0, 0, 0, 3, 0};
    TT_CHECK(out.len == sizeof run && memcmp(out.data, run, sizeof run) == 0);
    tgm__buf_free(&out);
}

/* Build one container (key 0) pattern over 65536 bits, encode, and report
 * the container kind found in the output: 'a' array, 'b' bitmap, 'r' run. */
static char container_kind(const uint8_t *m, uint64_t n) {
    tgm_buf out = TGM_BUF_INIT;
    char kind = '?';
    if (tgm__roaring_encode(m, n, &out) == TGM_ERROR_OK && out.len >= 4) {
        uint32_t cookie = le32(out.data);
        if ((cookie & 0xFFFF) == 12347 && (out.data[4] & 1)) {
            kind = 'r';
        } else {
            size_t desc = (cookie == 12346) ? 8 : 5;
            uint32_t card = le16(out.data + desc + 2) + 1;
            kind = card <= 4096 ? 'a' : 'b';
        }
    }
    tgm__buf_free(&out);
    return kind;
}

static void test_roaring_container_choice(void) {
    uint64_t n = 65536;
    uint8_t *m = mask_new(n, 0);

    /* 4096 isolated values: array (8192 bytes; runs would take 16386). */
    for (uint64_t i = 0; i < 4096; i++) {
        setbit(m, 2 * i);
    }
    TT_CHECK(container_kind(m, n) == 'a');
    /* 4097 isolated values: bitmap. */
    setbit(m, 8192);
    TT_CHECK(container_kind(m, n) == 'b');

    /* Bitmap with 2047 runs: 2 + 4 * 2047 = 8190 < 8192 -> run. */
    memset(m, 0, nbytes_of(n));
    for (uint64_t r = 0; r < 2047; r++) {
        for (uint64_t j = 0; j < 3; j++) {
            setbit(m, 4 * r + j);
        }
    }
    TT_CHECK(container_kind(m, n) == 'r');
    /* 2048 runs: 8194 bytes as runs -> stays a bitmap. */
    for (uint64_t j = 0; j < 3; j++) {
        setbit(m, 4 * 2047 + j);
    }
    TT_CHECK(container_kind(m, n) == 'b');

    /* Array container: 49 runs of two values plus {1000, 1001}: 100 values
     * in 50 runs, 2 + 4 * 50 = 202 bytes as runs vs 200 as an array. */
    memset(m, 0, nbytes_of(n));
    for (uint64_t r = 0; r < 49; r++) {
        setbit(m, 10 * r);
        setbit(m, 10 * r + 1);
    }
    setbit(m, 1000);
    setbit(m, 1001);
    TT_CHECK(container_kind(m, n) == 'a');
    setbit(m, 1002); /* 101 values, 50 runs: 202 vs 202, a tie stays an array */
    TT_CHECK(container_kind(m, n) == 'a');
    setbit(m, 1003); /* 102 values, 50 runs: 202 < 204 -> run */
    TT_CHECK(container_kind(m, n) == 'r');

    /* Everything set: one run. */
    memset(m, 0xFF, nbytes_of(n));
    TT_CHECK(container_kind(m, n) == 'r');
    free(m);
}

static void test_roaring_multi_container(void) {
    /* Containers 0, 2, 3, 5 (partial last), with 1 and 4 empty; 6 would be
     * beyond N. */
    uint64_t n = 5 * 65536 + 1000;
    uint8_t *m = mask_new(n, 1);
    setbit(m, 7); /* key 0: array */
    for (uint64_t i = 2 * 65536; i < 2 * 65536 + 5000; i++) {
        setbit(m, i); /* key 2: one run */
    }
    for (uint64_t i = 3 * 65536; i < 4 * 65536; i += 3) {
        setbit(m, i); /* key 3: bitmap (21846 isolated values) */
    }
    setbit(m, n - 1); /* key 5, last valid bit */
    tgm_buf out = TGM_BUF_INIT;
    TT_CHECK_ERR(tgm__roaring_encode(m, n, &out), TGM_ERROR_OK);
    TT_ASSERT(out.len > 12);
    uint32_t cookie = le32(out.data);
    TT_CHECK_EQ_INT(cookie & 0xFFFF, 12347);
    TT_CHECK_EQ_INT((cookie >> 16) + 1, 4);
    TT_CHECK_EQ_INT(out.data[4], 0x02); /* only the second container is a run */
    /* Keys and cardinalities. */
    const uint8_t *d = out.data + 5;
    TT_CHECK(le16(d) == 0 && le16(d + 2) == 0);
    TT_CHECK(le16(d + 4) == 2 && le16(d + 6) == 4999);
    TT_CHECK(le16(d + 8) == 3 && le16(d + 10) == 21845 && le16(d + 12) == 5 && le16(d + 14) == 0);
    /* Four containers with runs: offsets present and right. */
    const uint8_t *o = d + 16;
    uint32_t hdr = 5 + 16 + 16;
    TT_CHECK_EQ_INT(le32(o), hdr);
    TT_CHECK_EQ_INT(le32(o + 4), hdr + 2);
    TT_CHECK_EQ_INT(le32(o + 8), hdr + 2 + 6);
    TT_CHECK_EQ_INT(le32(o + 12), hdr + 2 + 6 + 8192);
    TT_CHECK_EQ_INT(out.len, hdr + 2 + 6 + 8192 + 2);
    tgm__buf_free(&out);
    roaring_roundtrip(m, n);

    /* Without runs: 12346 cookie always has offsets. */
    memset(m, 0, nbytes_of(n));
    setbit(m, 1);
    setbit(m, 65536 * 4 + 3);
    out.len = 0;
    TT_CHECK_ERR(tgm__roaring_encode(m, n, &out), TGM_ERROR_OK);
    TT_CHECK(le32(out.data) == 12346 && le32(out.data + 4) == 2);
    TT_CHECK_EQ_INT(le32(out.data + 16), 24);
    TT_CHECK_EQ_INT(le32(out.data + 20), 26);
    TT_CHECK_EQ_INT(out.len, 28);
    tgm__buf_free(&out);
    free(m);
}

static void test_roaring_roundtrips(void) {
    static const uint64_t sizes[] = {1,    7,     8,     9,     77,     4096,
                                     4097, 65535, 65536, 65537, 131072, 200003};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        uint64_t n = sizes[s];
        for (int pattern = 0; pattern < 8; pattern++) {
            uint8_t *m = mask_new(n, 1);
            for (uint64_t i = 0; i < n; i++) {
                int on = 0;
                switch (pattern) {
                case 0:
                    on = 0;
                    break;
                case 1:
                    on = 1;
                    break;
                case 2:
                    on = i == n - 1;
                    break;
                case 3:
                    on = (rng() & 1) != 0;
                    break;
                case 4:
                    on = (rng() % 61) == 0;
                    break;
                case 5:
                    on = (i / 1000) % 3 == 0;
                    break;
                case 6:
                    on = (i % 65536) < 3 || (i % 65536) > 65533;
                    break;
                default:
                    on = (rng() % 8) != 0;
                    break;
                }
                if (on) {
                    setbit(m, i);
                }
            }
            roaring_roundtrip(m, n);
            free(m);
        }
    }
}

/* A valid blob to mutate: containers 0 (array {1, 5, 9}) and 1 (run
 * 0..9 and 20..29) over N = 2 * 65536, plus a bitmap blob. */
static size_t make_blob(uint8_t *b) {
    size_t p = 0;
    b[p++] = 0x3B, b[p++] = 0x30, b[p++] = 1, b[p++] = 0; /* 12347, size 2 */
    b[p++] = 0x02;                                        /* container 1 is a run */
    b[p++] = 0, b[p++] = 0, b[p++] = 2, b[p++] = 0;       /* key 0, card 3 */
    b[p++] = 1, b[p++] = 0, b[p++] = 19, b[p++] = 0;      /* key 1, card 20 */
    b[p++] = 1, b[p++] = 0, b[p++] = 5, b[p++] = 0, b[p++] = 9, b[p++] = 0;
    b[p++] = 2, b[p++] = 0; /* 2 runs */
    b[p++] = 0, b[p++] = 0, b[p++] = 9, b[p++] = 0;
    b[p++] = 20, b[p++] = 0, b[p++] = 9, b[p++] = 0;
    return p;
}

static void test_roaring_decode_runs_blob(void) {
    uint8_t b[64];
    size_t len = make_blob(b);
    uint64_t n = 2 * 65536;
    uint8_t *dst = malloc(nbytes_of(n));
    TT_ASSERT(dst != NULL);
    TT_CHECK_ERR(tgm__roaring_decode(b, len, n, dst), TGM_ERROR_OK);
    uint64_t count = 0;
    for (uint64_t i = 0; i < n; i++) {
        count += (uint64_t)getbit(dst, i);
    }
    TT_CHECK_EQ_INT(count, 23);
    TT_CHECK(getbit(dst, 1) && getbit(dst, 5) && getbit(dst, 9));
    TT_CHECK(getbit(dst, 65536) && getbit(dst, 65536 + 9) && !getbit(dst, 65536 + 10));
    TT_CHECK(getbit(dst, 65536 + 20) && getbit(dst, 65536 + 29) && !getbit(dst, 65536 + 30));
    free(dst);
}

typedef void (*mutator)(uint8_t *b, size_t *len);
static void m_short0(uint8_t *b, size_t *len) { (void)b, *len = 0; }
static void m_short3(uint8_t *b, size_t *len) { (void)b, *len = 3; }
static void m_cookie(uint8_t *b, size_t *len) { (void)len, b[0] = 0x3C; }
static void m_cookie_hi(uint8_t *b, size_t *len) {
    /* 12346 in the low half but garbage above: not the no-run cookie. */
    b[0] = 0x3A, b[1] = 0x30, b[2] = 1, b[3] = 0;
    (void)len;
}
static void m_trunc_desc(uint8_t *b, size_t *len) { (void)b, *len = 9; }
static void m_trunc_array(uint8_t *b, size_t *len) { (void)b, *len = 17; }
static void m_trunc_runs(uint8_t *b, size_t *len) { (void)b, *len = 27; }
static void m_unsorted_keys(uint8_t *b, size_t *len) { (void)len, b[9] = 0; }
static void m_array_order(uint8_t *b, size_t *len) { (void)len, b[17] = 4; }
static void m_array_dup(uint8_t *b, size_t *len) { (void)len, b[15] = 1; }
static void m_zero_runs(uint8_t *b, size_t *len) { (void)len, b[19] = 0; }
static void m_run_overflow(uint8_t *b, size_t *len) {
    (void)len, b[21] = 1, b[23] = 0xFF, b[24] = 0xFF; /* start 1, length 65536 */
}
static void m_run_touch(uint8_t *b, size_t *len) { (void)len, b[25] = 10; }
static void m_run_overlap(uint8_t *b, size_t *len) { (void)len, b[25] = 5; }
static void m_run_card(uint8_t *b, size_t *len) { (void)len, b[11] = 18; }
static void m_trailing(uint8_t *b, size_t *len) { b[(*len)++] = 0; }
static void m_flag_off(uint8_t *b, size_t *len) {
    (void)len, b[4] = 0; /* container 1 read as an array of 20: truncated */
}

static void test_roaring_malformed(void) {
    static const struct {
        const char *what;
        mutator f;
    } cases[] = {
        {"empty", m_short0},
        {"3 bytes", m_short3},
        {"bad cookie", m_cookie},
        {"12346 with high bits", m_cookie_hi},
        {"truncated descriptions", m_trunc_desc},
        {"truncated array", m_trunc_array},
        {"truncated runs", m_trunc_runs},
        {"keys not increasing", m_unsorted_keys},
        {"array out of order", m_array_order},
        {"array duplicate", m_array_dup},
        {"zero runs", m_zero_runs},
        {"run past container end", m_run_overflow},
        {"runs touching", m_run_touch},
        {"runs overlapping", m_run_overlap},
        {"run cardinality", m_run_card},
        {"trailing byte", m_trailing},
        {"run flag cleared", m_flag_off},
    };
    uint64_t n = 2 * 65536;
    uint8_t *dst = malloc(nbytes_of(n));
    TT_ASSERT(dst != NULL);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t b[64];
        size_t len = make_blob(b);
        cases[i].f(b, &len);
        tgm_error e = tgm__roaring_decode(b, len, n, dst);
        if (e != TGM_ERROR_COMPRESSION) {
            fprintf(stderr, "roaring case '%s' gave %d\n", cases[i].what, (int)e);
        }
        TT_CHECK_ERR(e, TGM_ERROR_COMPRESSION);
    }

    /* Positions beyond N. */
    uint8_t b[64];
    size_t len = make_blob(b);
    TT_CHECK_ERR(tgm__roaring_decode(b, len, 65536 + 29, dst), TGM_ERROR_COMPRESSION);
    TT_CHECK_EQ_STR(tgm_last_error(), "compression error: malformed mask payload: roaring mask "
                                      "has key 65565 but only 65565 elements declared");
    TT_CHECK_ERR(tgm__roaring_decode(b, len, 65536 + 30, dst), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm__roaring_decode(b, len, 65536, dst), TGM_ERROR_COMPRESSION);
    TT_CHECK_ERR(tgm__roaring_decode(b, len, 9, dst), TGM_ERROR_COMPRESSION);
    TT_CHECK_ERR(tgm__roaring_decode(b, len, (uint64_t)UINT32_MAX + 1, dst), TGM_ERROR_ENCODING);

    /* Container count beyond 65536 in the no-run cookie. */
    static const uint8_t many[] = {0x3A, 0x30, 0, 0, 0x01, 0x00, 0x01, 0x00};
    TT_CHECK_ERR(tgm__roaring_decode(many, sizeof many, n, dst), TGM_ERROR_COMPRESSION);
    /* A huge claimed count with a tiny blob fails on size, without work. */
    static const uint8_t huge[] = {0x3B, 0x30, 0xFF, 0xFF, 0, 0, 0, 0};
    TT_CHECK_ERR(tgm__roaring_decode(huge, sizeof huge, n, dst), TGM_ERROR_COMPRESSION);

    /* Wrong offsets (no-run cookie). */
    static const uint8_t badoff[] = {0x3A, 0x30, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 17, 0, 0, 0, 5, 0};
    TT_CHECK_ERR(tgm__roaring_decode(badoff, sizeof badoff, n, dst), TGM_ERROR_COMPRESSION);

    /* Bitmap container: popcount must match the header and values stay < N. */
    uint8_t *bm = calloc(1, 16 + 8192);
    TT_ASSERT(bm != NULL);
    bm[0] = 0x3A, bm[1] = 0x30, bm[4] = 1;
    bm[10] = 0x00, bm[11] = 0x10; /* card 4097 */
    bm[12] = 16;
    for (int i = 0; i < 4097; i++) {
        bm[16 + i / 8] |= (uint8_t)(1u << (i % 8));
    }
    TT_CHECK_ERR(tgm__roaring_decode(bm, 16 + 8192, 65536, dst), TGM_ERROR_OK);
    TT_CHECK(dst[0] == 0xFF && dst[512] == 0x80 && dst[513] == 0);
    TT_CHECK_ERR(tgm__roaring_decode(bm, 16 + 8192, 4097, dst), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm__roaring_decode(bm, 16 + 8192, 4096, dst), TGM_ERROR_COMPRESSION);
    bm[11] = 0x11; /* card 4353: popcount mismatch */
    TT_CHECK_ERR(tgm__roaring_decode(bm, 16 + 8192, 65536, dst), TGM_ERROR_COMPRESSION);
    TT_CHECK_ERR(tgm__roaring_decode(bm, 16 + 8191, 65536, dst), TGM_ERROR_COMPRESSION);
    free(bm);
    free(dst);
}

#endif /* TGM_HAVE_ROARING */

#ifdef HAVE_CROARING
/* CRoaring writes (with its own run policy); we read. */
static void test_roaring_reads_croaring(void) {
    for (int trial = 0; trial < 20; trial++) {
        uint64_t n = 1 + rng() % 400000;
        uint8_t *m = mask_new(n, 0);
        roaring_bitmap_t *r = roaring_bitmap_create();
        int mode = trial % 4;
        for (uint64_t i = 0; i < n; i++) {
            int on = mode == 0   ? (rng() % 3) == 0
                     : mode == 1 ? (i / 777) % 2 == 0
                     : mode == 2 ? (rng() % 5000) == 0
                                 : (rng() % 16) != 0;
            if (on) {
                setbit(m, i);
                roaring_bitmap_add(r, (uint32_t)i);
            }
        }
        roaring_bitmap_run_optimize(r);
        size_t sz = roaring_bitmap_portable_size_in_bytes(r);
        char *buf = malloc(sz);
        TT_ASSERT(buf != NULL);
        TT_CHECK_EQ_INT(roaring_bitmap_portable_serialize(r, buf), sz);
        uint8_t *dst = malloc(nbytes_of(n) + 1);
        TT_CHECK_ERR(tgm__roaring_decode((const uint8_t *)buf, sz, n, dst), TGM_ERROR_OK);
        TT_CHECK(masks_equal(m, dst, n));
        free(dst);
        free(buf);
        roaring_bitmap_free(r);
        free(m);
    }
}
#endif

/* The raw codecs by number: 0 RLE, 1 Roaring (when built). */
#ifdef TGM_HAVE_ROARING
#define N_RAW 2
#else
#define N_RAW 1
#endif
static tgm_error raw_encode(int codec, const uint8_t *m, uint64_t n, tgm_buf *out) {
#ifdef TGM_HAVE_ROARING
    if (codec == 1) {
        return tgm__roaring_encode(m, n, out);
    }
#endif
    (void)codec;
    return tgm__rle_encode(m, n, out);
}
static tgm_error raw_decode(int codec, const uint8_t *b, size_t len, uint64_t n, uint8_t *dst) {
#ifdef TGM_HAVE_ROARING
    if (codec == 1) {
        return tgm__roaring_decode(b, len, n, dst);
    }
#endif
    (void)codec;
    return tgm__rle_decode(b, len, n, dst);
}

/* Mutated and truncated blobs: decoding either fails cleanly or yields a
 * mask with clean trailing bits (ASan/UBSan builds check the rest). */
static void test_mutations(void) {
    for (int trial = 0; trial < 400; trial++) {
        uint64_t n = 1 + rng() % 140000;
        uint8_t *m = mask_new(n, 0);
        int mode = trial % 3;
        for (uint64_t i = 0; i < n; i++) {
            if (mode == 0 ? (rng() % 50) == 0 : mode == 1 ? (i / 300) % 2 == 0 : (rng() % 2) == 0) {
                setbit(m, i);
            }
        }
        uint8_t *dst = malloc(nbytes_of(n) + 1);
        for (int codec = 0; codec < N_RAW; codec++) {
            tgm_buf out = TGM_BUF_INIT;
            tgm_error e = raw_encode(codec, m, n, &out);
            TT_CHECK_ERR(e, TGM_ERROR_OK);
            if (out.len == 0) {
                tgm__buf_free(&out);
                continue;
            }
            for (int k = 0; k < 8; k++) {
                size_t len = out.len;
                uint8_t *b = malloc(len);
                memcpy(b, out.data, len);
                int how = (int)(rng() % 3);
                if (how == 0) {
                    b[rng() % len] ^= (uint8_t)(1u << (rng() % 8));
                } else if (how == 1) {
                    len = (size_t)(rng() % len);
                } else {
                    b[rng() % len] = (uint8_t)rng();
                    b[rng() % len] = (uint8_t)rng();
                }
                e = raw_decode(codec, b, len, n, dst);
                TT_CHECK(e == TGM_ERROR_OK || e == TGM_ERROR_COMPRESSION);
                if (e == TGM_ERROR_OK) {
                    TT_CHECK(tail_clean(dst, n));
                }
                free(b);
            }
            tgm__buf_free(&out);
        }
        free(dst);
        free(m);
    }
}

/* ---- codec tables (dtype=bitmask payloads) ----------------------------------- */

static uint8_t *tgm_payload(const char *path, size_t *len, uint8_t **file) {
    size_t n;
    uint8_t *b = tt_read_file(path, &n);
    *file = b;
    if (b == NULL) {
        return NULL;
    }
    size_t pos = 24;
    while (pos + 16 <= n && memcmp(b + pos, "FR", 2) == 0) {
        uint32_t type = (uint32_t)b[pos + 2] << 8 | b[pos + 3];
        uint32_t flags = (uint32_t)b[pos + 6] << 8 | b[pos + 7];
        uint64_t tl = 0;
        for (int i = 0; i < 8; i++) {
            tl = tl << 8 | b[pos + 8 + i];
        }
        if (tl < 36 || tl > n - pos) {
            return NULL;
        }
        if (type == 9 && (flags & 1)) {
            uint64_t co = 0;
            for (int i = 0; i < 8; i++) {
                co = co << 8 | b[pos + tl - 20 + i];
            }
            if (co < 16 || co > tl - 20) {
                return NULL;
            }
            *len = (size_t)co - 16;
            return b + pos + 16;
        }
        pos = (size_t)((pos + tl + 7) & ~(uint64_t)7);
    }
    return NULL;
}

static void test_codec_fixtures(void) {
    const char *dir = tt_shared_dir();
    if (dir == NULL) {
        TT_SKIP("reference fixtures not found");
        return;
    }
    char path[4096];
    size_t in_len;
    snprintf(path, sizeof path, "%s/codecs/raw_bitmask.in.bin", dir);
    uint8_t *in = tt_read_file(path, &in_len);
    TT_ASSERT(in != NULL && in_len == 10);

    static const struct {
        const char *name;
        const tgm_codec *codec;
    } cases[] = {
        {"bitmask_rle", &tgm__codec_rle},
#ifdef TGM_HAVE_ROARING
        {"bitmask_roaring", &tgm__codec_roaring},
#endif
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        uint8_t *file = NULL;
        size_t plen = 0;
        snprintf(path, sizeof path, "%s/codecs/%s.tgm", dir, cases[c].name);
        const uint8_t *payload = tgm_payload(path, &plen, &file);
        TT_CHECK(payload != NULL);
        if (payload == NULL) {
            free(file);
            continue;
        }
        tgm_codec_params p;
        tgm__codec_params_init(&p, 1, in_len);
        tgm_buf out = TGM_BUF_INIT;
        TT_CHECK_ERR(cases[c].codec->compress(&p, in, in_len, &out, NULL), TGM_ERROR_OK);
        TT_CHECK(out.len == plen && memcmp(out.data, payload, plen) == 0);
        uint8_t dec[10];
        TT_CHECK_ERR(cases[c].codec->decompress(&p, payload, plen, dec, 10), TGM_ERROR_OK);
        TT_CHECK(memcmp(dec, in, 10) == 0);
        /* Wrong expected size, missing prefix. */
        TT_CHECK_ERR(cases[c].codec->decompress(&p, payload, plen, dec, 9), TGM_ERROR_COMPRESSION);
        TT_CHECK_ERR(cases[c].codec->decompress(&p, payload, 3, dec, 10), TGM_ERROR_COMPRESSION);
        TT_CHECK(cases[c].codec->decompress_range == NULL);
        tgm__buf_free(&out);
        free(file);
    }
    free(in);
}

static void test_codec_tables(void) {
#ifdef TGM_HAVE_ROARING
    const tgm_codec *codecs[2] = {&tgm__codec_rle, &tgm__codec_roaring};
    TT_CHECK_EQ_STR(tgm__codec_roaring.name, "roaring");
#else
    const tgm_codec *codecs[1] = {&tgm__codec_rle};
#endif
    TT_CHECK_EQ_STR(tgm__codec_rle.name, "rle");
    tgm_codec_params p;
    memset(&p, 0, sizeof p);
    p.threads = 1;
    for (int c = 0; c < N_RAW; c++) {
        for (size_t n = 0; n < 300; n += 37) {
            uint8_t src[300], dec[300];
            for (size_t i = 0; i < n; i++) {
                src[i] = (uint8_t)rng();
            }
            tgm_buf out = TGM_BUF_INIT;
            TT_CHECK_ERR(codecs[c]->compress(&p, src, n, &out, NULL), TGM_ERROR_OK);
            TT_CHECK(out.len >= 4);
            uint32_t prefix = (uint32_t)out.data[0] << 24 | (uint32_t)out.data[1] << 16 |
                              (uint32_t)out.data[2] << 8 | out.data[3];
            TT_CHECK_EQ_INT(prefix, 8 * n);
            TT_CHECK_ERR(codecs[c]->decompress(&p, out.data, out.len, dec, n), TGM_ERROR_OK);
            TT_CHECK(n == 0 || memcmp(src, dec, n) == 0);
            tgm__buf_free(&out);
        }
    }
    /* A prefix that is not a multiple of 8 (another writer's exact bit
     * count) decodes with zero padding. */
    static const uint8_t rle77[] = {0, 0, 0, 77, 0x01, 77};
    uint8_t dec[10];
    TT_CHECK_ERR(tgm__codec_rle.decompress(&p, rle77, sizeof rle77, dec, 10), TGM_ERROR_OK);
    TT_CHECK(dec[0] == 0xFF && dec[8] == 0xFF && dec[9] == 0xF8);
    TT_CHECK_ERR(tgm__codec_rle.decompress(&p, rle77, sizeof rle77, dec, 9), TGM_ERROR_COMPRESSION);
    TT_CHECK(strstr(tgm_last_error(), "RLE decompressed size 10 != expected 9") != NULL);
    /* Decode errors are wrapped with the codec context. */
    static const uint8_t bad[] = {0, 0, 0, 8, 0x05, 8};
    TT_CHECK_ERR(tgm__codec_rle.decompress(&p, bad, sizeof bad, dec, 1), TGM_ERROR_COMPRESSION);
    TT_CHECK_EQ_STR(tgm_last_error(), "compression error: RLE decode: RLE decode error: invalid "
                                      "start_bit byte 0x05 (must be 0x00 or 0x01)");
}

int main(void) {
    TT_RUN(test_rle_vectors);
    TT_RUN(test_rle_roundtrips);
    TT_RUN(test_rle_malformed);
#ifdef TGM_HAVE_ROARING
    TT_RUN(test_roaring_vectors);
    TT_RUN(test_roaring_container_choice);
    TT_RUN(test_roaring_multi_container);
    TT_RUN(test_roaring_roundtrips);
    TT_RUN(test_roaring_decode_runs_blob);
    TT_RUN(test_roaring_malformed);
#endif
#ifdef HAVE_CROARING
    TT_RUN(test_roaring_reads_croaring);
#endif
    TT_RUN(test_mutations);
    TT_RUN(test_codec_fixtures);
    TT_RUN(test_codec_tables);
    return tt_finish("test_rle_roaring");
}
