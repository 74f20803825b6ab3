/* blosc2 codec: filters, BloscLZ, block sizes, c-blosc2 frames (the
 * reference's samples), round trips, range decode,
 * special values and malformed input. */
#include "tt.h"

#include <math.h>

#ifdef TGM_HAVE_LZ4
#include <lz4.h>
#endif

#include "codecs/blosc2.h"
#include "codecs/codec.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/endian.h"

/* ---- helpers --------------------------------------------------------------- */

static uint32_t rng_state = 12345;
static uint32_t rnd(void) {
    rng_state = rng_state * 1664525u + 1013904223u;
    return rng_state >> 8;
}

/* Deterministic inputs of several kinds. */
enum { K_SMOOTH, K_RANDOM, K_ZEROS, K_CONST, K_HALF }; /* HALF: random then compressible */
static uint8_t *make_input(int kind, size_t n) {
    uint8_t *b = malloc(n > 0 ? n : 1);
    for (size_t i = 0; i < n; i++) {
        switch (kind) {
        case K_SMOOTH: {
            /* float32 of a slow sine, byte by byte */
            size_t e = i / 4;
            float v = (float)(1000.0 * sin((double)e / 300.0));
            uint32_t u;
            memcpy(&u, &v, 4);
            b[i] = (uint8_t)(u >> (8 * (i % 4)));
            break;
        }
        case K_RANDOM:
            b[i] = (uint8_t)rnd();
            break;
        case K_ZEROS:
            b[i] = 0;
            break;
        case K_CONST:
            b[i] = 0xA5;
            break;
        default:
            b[i] = i < n / 2 ? (uint8_t)rnd() : (uint8_t)((i / 64) % 7);
            break;
        }
    }
    return b;
}

static uint8_t *encode(const tgm_b2_frame_opts *o, const uint8_t *src, size_t n, size_t *len) {
    tgm_buf b = TGM_BUF_INIT;
    tgm_error e = tgm__b2_frame_encode(o, src, n, &b);
    if (e != TGM_ERROR_OK) {
        fprintf(stderr, "encode failed: %s\n", tgm_last_error());
        tgm__buf_free(&b);
        *len = 0;
        return NULL;
    }
    return tgm__buf_steal(&b, len);
}

static void opts(tgm_b2_frame_opts *o, int codec, int clevel, uint32_t ts, size_t chunk,
                 uint32_t threads) {
    tgm__b2_frame_opts_default(o, (tgm_blosc2_inner)codec, clevel, ts, threads);
    o->chunk_bytes = chunk;
}

/* Decode the whole frame and compare with `want`. */
static int decodes_to(const uint8_t *f, size_t fl, const uint8_t *want, size_t n,
                      uint32_t threads) {
    uint8_t *out = malloc(n + 1);
    memset(out, 0xEE, n + 1);
    tgm_error e = tgm__b2_frame_decode(f, fl, n, 0, n, out, threads);
    int ok = e == TGM_ERROR_OK && memcmp(out, want, n) == 0 && out[n] == 0xEE;
    if (e != TGM_ERROR_OK) {
        fprintf(stderr, "  decode: %s\n", tgm_last_error());
    }
    free(out);
    return ok;
}

static int range_ok(const uint8_t *f, size_t fl, const uint8_t *want, uint64_t pos, uint64_t len,
                    uint32_t threads) {
    uint8_t *out = malloc(len + 1);
    memset(out, 0xEE, len + 1);
    tgm_error e = tgm__b2_frame_decode(f, fl, UINT64_MAX, pos, len, out, threads);
    int ok = e == TGM_ERROR_OK && memcmp(out, want + pos, len) == 0 && out[len] == 0xEE;
    if (!ok) {
        fprintf(stderr, "  range [%llu, +%llu): %s\n", (unsigned long long)pos,
                (unsigned long long)len, e ? tgm_last_error() : "content differs");
    }
    free(out);
    return ok;
}

static tgm_error decode_err(const uint8_t *f, size_t fl, size_t n) {
    uint8_t *out = malloc(n + 1);
    tgm_error e = tgm__b2_frame_decode(f, fl, n, 0, n, out, 1);
    free(out);
    return e;
}

static const int all_codecs[] = {TGM_BLOSC2_BLOSCLZ, TGM_BLOSC2_LZ4, TGM_BLOSC2_LZ4HC,
                                 TGM_BLOSC2_ZLIB, TGM_BLOSC2_ZSTD};

static int codec_built(int c) {
#ifndef TGM_HAVE_LZ4
    if (c == TGM_BLOSC2_LZ4 || c == TGM_BLOSC2_LZ4HC) {
        return 0;
    }
#endif
#ifndef TGM_HAVE_ZSTD
    if (c == TGM_BLOSC2_ZSTD) {
        return 0;
    }
#endif
    (void)c;
    return 1;
}

/* ---- filters ------------------------------------------------------------------ */

static void test_shuffle_known(void) {
    uint8_t src[10], sh[10], back[10];
    for (int i = 0; i < 10; i++) {
        src[i] = (uint8_t)i;
    }
    /* two 4-byte items, then 2 leftover bytes copied as they are */
    static const uint8_t want[10] = {0, 4, 1, 5, 2, 6, 3, 7, 8, 9};
    tgm__b2_shuffle(4, 10, src, sh);
    TT_CHECK(memcmp(sh, want, 10) == 0);
    tgm__b2_unshuffle(4, 10, sh, back);
    TT_CHECK(memcmp(back, src, 10) == 0);
}

static void test_shuffle_roundtrip(void) {
    uint8_t src[300], sh[300], back[300], naive[300];
    for (uint32_t ts = 1; ts <= 17; ts++) {
        for (size_t n = 0; n <= 300; n += 37) {
            for (size_t i = 0; i < n; i++) {
                src[i] = (uint8_t)rnd();
            }
            size_t count = n / ts;
            memcpy(naive, src, n);
            for (size_t i = 0; i < count; i++) {
                for (size_t j = 0; j < ts; j++) {
                    naive[j * count + i] = src[i * ts + j];
                }
            }
            tgm__b2_shuffle(ts, n, src, sh);
            TT_CHECK(memcmp(sh, naive, n) == 0);
            tgm__b2_unshuffle(ts, n, sh, back);
            TT_CHECK(memcmp(back, src, n) == 0);
        }
    }
}

/* The layout written out bit by bit: bit k of byte b of item e goes to row
 * 8b + k (rows of m/8 bytes), byte e/8, bit e%8. */
static void naive_bitshuffle(uint32_t ts, size_t n, const uint8_t *src, uint8_t *dst) {
    size_t count = n / ts;
    size_t m = count - count % 8;
    memset(dst, 0, n);
    for (size_t e = 0; e < m; e++) {
        for (size_t b = 0; b < ts; b++) {
            for (unsigned k = 0; k < 8; k++) {
                unsigned bit = (src[e * ts + b] >> k) & 1u;
                size_t r = 8 * b + k;
                dst[r * (m / 8) + e / 8] |= (uint8_t)(bit << (e % 8));
            }
        }
    }
    memcpy(dst + m * ts, src + m * ts, n - m * ts);
}

static void test_bitshuffle(void) {
    static const uint32_t tss[] = {1, 2, 3, 4, 8, 16};
    static const size_t ns[] = {0, 7, 8, 63, 64, 100, 2006, 4099};
    uint8_t *src = malloc(4099), *a = malloc(4099), *b = malloc(4099), *c = malloc(4099);
    for (size_t t = 0; t < sizeof tss / sizeof tss[0]; t++) {
        for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
            size_t n = ns[k];
            for (size_t i = 0; i < n; i++) {
                src[i] = (uint8_t)rnd();
            }
            tgm__b2_bitshuffle(tss[t], n, src, a);
            naive_bitshuffle(tss[t], n, src, b);
            TT_CHECK(memcmp(a, b, n) == 0);
            tgm__b2_bitunshuffle(tss[t], n, a, c);
            TT_CHECK(memcmp(c, src, n) == 0);
        }
    }
    free(src);
    free(a);
    free(b);
    free(c);
}

static void test_delta(void) {
    /* block 0, 1-byte items: each byte XOR the previous original byte */
    uint8_t s[4] = {5, 7, 7, 1}, d[4];
    tgm__b2_delta_encode(1, 4, s, s, 1, d);
    TT_CHECK(d[0] == 5 && d[1] == 2 && d[2] == 0 && d[3] == 6);
    tgm__b2_delta_decode(1, 4, d, NULL);
    TT_CHECK(memcmp(d, s, 4) == 0);
    /* other blocks XOR with block 0; 4-byte items leave a 2-byte tail */
    uint8_t ref[10], blk[10], enc[10];
    for (int i = 0; i < 10; i++) {
        ref[i] = (uint8_t)(i * 3);
        blk[i] = (uint8_t)(100 + i);
    }
    tgm__b2_delta_encode(4, 10, blk, ref, 0, enc);
    for (int i = 0; i < 8; i++) {
        TT_CHECK(enc[i] == (uint8_t)(blk[i] ^ ref[i]));
    }
    TT_CHECK(enc[8] == blk[8] && enc[9] == blk[9]);
    tgm__b2_delta_decode(4, 10, enc, ref);
    TT_CHECK(memcmp(enc, blk, 10) == 0);
}

/* ---- BloscLZ ----------------------------------------------------------------- */

static void test_blosclz_known(void) {
    /* literal "abc", match of 3 at distance 3, literal "d" */
    static const uint8_t stream[] = {0x22, 'a', 'b', 'c', 0x20, 0x02, 0x00, 'd'};
    uint8_t out[16];
    TT_CHECK_EQ_INT(tgm__blosclz_decompress(stream, sizeof stream, out, sizeof out), 7);
    TT_CHECK(memcmp(out, "abcabcd", 7) == 0);
    /* output limit */
    TT_CHECK_EQ_INT(tgm__blosclz_decompress(stream, sizeof stream, out, 6), -1);
    /* a match reaching before the start */
    static const uint8_t far[] = {0x00, 'a', 0x20, 0x05, 0x00, 'b'};
    TT_CHECK_EQ_INT(tgm__blosclz_decompress(far, sizeof far, out, sizeof out), -1);
    /* a literal run longer than the input */
    static const uint8_t cut[] = {0x05, 'a', 'b'};
    TT_CHECK_EQ_INT(tgm__blosclz_decompress(cut, sizeof cut, out, sizeof out), -1);
    /* a match must be followed by another instruction */
    static const uint8_t tail[] = {0x22, 'a', 'b', 'c', 0x20, 0x02};
    TT_CHECK_EQ_INT(tgm__blosclz_decompress(tail, sizeof tail, out, sizeof out), -1);
}

static void blosclz_roundtrip_n(uint32_t *htab, size_t n);

static void test_blosclz_roundtrip(void) {
    uint32_t *htab = malloc(sizeof(uint32_t) << TGM_BLOSCLZ_HASH_LOG);
    /* 40000 bytes: 16-bit table positions; 200000: 32-bit ones. */
    for (size_t n = 40000; n <= 200000; n += 160000) {
        blosclz_roundtrip_n(htab, n);
    }
    free(htab);
}

static void blosclz_roundtrip_n(uint32_t *htab, size_t n) {
    uint8_t *in = malloc(n), *c = malloc(n), *d = malloc(n);
    for (int kind = 0; kind < 4; kind++) {
        for (size_t i = 0; i < n; i++) {
            switch (kind) {
            case 0: /* text-like */
                in[i] = (uint8_t)("the quick brown fox "[(i * 7 / 5) % 20]);
                break;
            case 1: /* long runs: exercises the 255-byte length extension */
                in[i] = (uint8_t)((i / 3000) * 17);
                break;
            case 2: /* a 9000-byte random block repeated: far matches (> 8191) */
                in[i] = i < 9000 ? (uint8_t)rnd() : in[i - 9000];
                break;
            default: /* runs of 16 */
                in[i] = (uint8_t)((i >> 4) ^ (i >> 9));
                break;
            }
        }
        for (int level = 1; level <= 9; level++) {
            int cl = tgm__blosclz_compress(level, in, (int)n, c, (int)n, htab);
            /* Low levels probe only the tail, where far matches do not show. */
            if (kind == 2 && level < 4 && cl == 0) {
                continue;
            }
            TT_CHECK(cl > 0 && cl < (int)n);
            if (cl <= 0) {
                continue;
            }
            TT_CHECK_EQ_INT(tgm__blosclz_decompress(c, (size_t)cl, d, n), (int64_t)n);
            TT_CHECK(memcmp(d, in, n) == 0);
            /* an output limit below the result makes the compressor give up */
            TT_CHECK_EQ_INT(tgm__blosclz_compress(level, in, (int)n, c, cl - 1, htab), 0);
        }
    }
    /* random data does not pass the entropy probe */
    for (size_t i = 0; i < n; i++) {
        in[i] = (uint8_t)rnd();
    }
    TT_CHECK_EQ_INT(tgm__blosclz_compress(5, in, (int)n, c, (int)n, htab), 0);
    free(in);
    free(c);
    free(d);
}

/* ---- block sizes (c-blosc2 stune rules) ------------------------------------------ */

static int32_t bsz_rule(int codec, int clevel, uint32_t ts, uint8_t filter, int32_t user,
                        int32_t nbytes, int lz4_rule) {
    tgm_b2_cparams cp;
    memset(&cp, 0, sizeof cp);
    cp.compcode = codec;
    cp.clevel = clevel;
    cp.typesize = ts;
    cp.filters[5] = filter;
    cp.splitmode = TGM_B2_FORWARD_COMPAT_SPLIT;
    cp.lz4_rule = lz4_rule;
    return tgm__b2_blocksize(&cp, user, nbytes);
}

static int32_t bsz(int codec, int clevel, uint32_t ts, uint8_t filter, int32_t user,
                   int32_t nbytes) {
    return bsz_rule(codec, clevel, ts, filter, user, nbytes, TGM_B2_LZ4_FAST);
}

static int32_t bsz_c2(int codec, int clevel, uint32_t ts, uint8_t filter, int32_t user,
                      int32_t nbytes) {
    return bsz_rule(codec, clevel, ts, filter, user, nbytes, TGM_B2_LZ4_C2_2);
}

static void test_blocksize(void) {
    /* values seen in the reference's frames */
    TT_CHECK_EQ_INT(bsz(TGM_BLOSC2_BLOSCLZ, 5, 4, TGM_B2_SHUFFLE, 0, 40000), 40000);
    TT_CHECK_EQ_INT(bsz_c2(TGM_BLOSC2_LZ4, 5, 8, TGM_B2_BITSHUFFLE, 0, 262144), 131072);
    TT_CHECK_EQ_INT(bsz(TGM_BLOSC2_ZSTD, 9, 8, TGM_B2_NOFILTER, 0, 262144), 262144);
    /* split codecs: a per-level size times the item size, 32 KiB .. 4 MiB */
    TT_CHECK_EQ_INT(bsz(TGM_BLOSC2_ZSTD, 5, 8, TGM_B2_SHUFFLE, 0, 2 << 20), 512 * 1024);
    TT_CHECK_EQ_INT(bsz_c2(TGM_BLOSC2_LZ4, 1, 2, TGM_B2_SHUFFLE, 0, 100000), 64 * 1024);
    TT_CHECK_EQ_INT(bsz_c2(TGM_BLOSC2_LZ4, 5, 4, TGM_B2_SHUFFLE, 0, 16 << 20), 256 * 1024);
    /* lz4 by default: c-blosc 1.x's sizes (blosc.c 1.21 compute_blocksize):
     * 32 KiB times 1/4, 1/2, 1, 2, 4, 4, 8, 8, 8, 8 for levels 0..9; then,
     * with items of at most 16 bytes, at most 256 KiB per item byte times
     * the item size, within 64 KiB .. 1 MiB, whatever the filter */
    TT_CHECK_EQ_INT(bsz(TGM_BLOSC2_LZ4, 5, 4, TGM_B2_SHUFFLE, 0, 16 << 20), 512 * 1024);
    TT_CHECK_EQ_INT(bsz(TGM_BLOSC2_LZ4, 5, 8, TGM_B2_BITSHUFFLE, 0, 262144), 262144);
    TT_CHECK_EQ_INT(bsz(TGM_BLOSC2_LZ4, 1, 2, TGM_B2_SHUFFLE, 0, 100000), 64 * 1024);
    TT_CHECK_EQ_INT(bsz(TGM_BLOSC2_LZ4, 1, 4, TGM_B2_SHUFFLE, 0, 16 << 20), 64 * 1024);
    TT_CHECK_EQ_INT(bsz(TGM_BLOSC2_LZ4, 2, 4, TGM_B2_NOFILTER, 0, 16 << 20), 128 * 1024);
    TT_CHECK_EQ_INT(bsz(TGM_BLOSC2_LZ4, 3, 1, TGM_B2_SHUFFLE, 0, 16 << 20), 64 * 1024);
    TT_CHECK_EQ_INT(bsz(TGM_BLOSC2_LZ4, 6, 1, TGM_B2_SHUFFLE, 0, 16 << 20), 256 * 1024);
    TT_CHECK_EQ_INT(bsz(TGM_BLOSC2_LZ4, 9, 4, TGM_B2_SHUFFLE, 0, 16 << 20), 1 << 20);
    TT_CHECK_EQ_INT(bsz(TGM_BLOSC2_LZ4, 9, 16, TGM_B2_SHUFFLE, 0, 16 << 20), 1 << 20);
    TT_CHECK_EQ_INT(bsz(TGM_BLOSC2_LZ4, 7, 3, TGM_B2_SHUFFLE, 0, 16 << 20), 768 * 1024);
    TT_CHECK_EQ_INT(bsz(TGM_BLOSC2_LZ4, 5, 32, TGM_B2_SHUFFLE, 0, 16 << 20), 128 * 1024);
    TT_CHECK_EQ_INT(bsz(TGM_BLOSC2_LZ4, 0, 4, TGM_B2_SHUFFLE, 0, 16 << 20), 8 * 1024);
    TT_CHECK_EQ_INT(bsz(TGM_BLOSC2_LZ4, 5, 3, TGM_B2_SHUFFLE, 0, 1000), 999);
    TT_CHECK_EQ_INT(bsz(TGM_BLOSC2_LZ4, 5, 4, TGM_B2_SHUFFLE, 0, 40000), 40000);
    TT_CHECK_EQ_INT(bsz(TGM_BLOSC2_LZ4, 5, 4, TGM_B2_SHUFFLE, 16384, 1 << 20), 16384);
    /* lz4hc keeps c-blosc2's */
    TT_CHECK_EQ_INT(bsz(TGM_BLOSC2_LZ4HC, 5, 4, TGM_B2_SHUFFLE, 0, 16 << 20), 256 * 1024);
    TT_CHECK_EQ_INT(bsz(TGM_BLOSC2_BLOSCLZ, 9, 16, TGM_B2_SHUFFLE, 0, 64 << 20), 4 << 20);
    TT_CHECK_EQ_INT(bsz(TGM_BLOSC2_BLOSCLZ, 9, 4, TGM_B2_SHUFFLE, 0, 1 << 20), 1 << 20);
    /* high-ratio codecs: L1 * 2 * level factor */
    TT_CHECK_EQ_INT(bsz(TGM_BLOSC2_ZLIB, 3, 4, TGM_B2_SHUFFLE, 0, 1 << 20), 128 * 1024);
    TT_CHECK_EQ_INT(bsz(TGM_BLOSC2_LZ4HC, 9, 8, TGM_B2_SHUFFLE, 0, 8 << 20), 1 << 20);
    TT_CHECK_EQ_INT(bsz(TGM_BLOSC2_LZ4HC, 0, 8, TGM_B2_SHUFFLE, 0, 8 << 20), 16 * 1024);
    /* rounding down to whole items; tiny buffers */
    TT_CHECK_EQ_INT(bsz(TGM_BLOSC2_ZLIB, 5, 3, TGM_B2_SHUFFLE, 0, 1000), 999);
    TT_CHECK_EQ_INT(bsz(TGM_BLOSC2_LZ4, 5, 8, TGM_B2_SHUFFLE, 0, 5), 1);
    /* a carried block size is used as is, capped to the chunk */
    TT_CHECK_EQ_INT(bsz(TGM_BLOSC2_BLOSCLZ, 5, 8, TGM_B2_SHUFFLE, 16384, 100), 96);
    TT_CHECK_EQ_INT(bsz(TGM_BLOSC2_BLOSCLZ, 5, 8, TGM_B2_SHUFFLE, 16384, 1 << 20), 16384);
}

/* ---- the reference's frames ---------------------------------------------------- */

static const char *ref_frames[] = {
    "blosclz_f32_10000_ts4_clevel5",
    "blosclz_f64_262144_ts8_chunk262144_clevel5",
    "blosclz_u8_13065_ts1_chunk4096_clevel5",
    "blosclz_u8_4096_ts1_clevel5",
    "lz4_f32_10000_ts4_clevel5",
    "lz4_f64_262144_ts8_chunk262144_bitshuffle_clevel5",
    "lz4_f64_262144_ts8_chunk262144_clevel5",
    "lz4_u8_13065_ts1_chunk4096_clevel5",
    "lz4_u8_4096_ts1_clevel5",
    "lz4_zeros_100000_ts4_clevel5",
    "lz4hc_f32_10000_ts4_clevel5",
    "lz4hc_f64_262144_ts8_chunk262144_clevel5",
    "lz4hc_u8_13065_ts1_chunk4096_clevel5",
    "lz4hc_u8_4096_ts1_clevel5",
    "zlib_f32_10000_ts4_clevel5",
    "zlib_f64_262144_ts8_chunk262144_clevel5",
    "zlib_u8_13065_ts1_chunk4096_clevel5",
    "zlib_u8_4096_ts1_clevel5",
    "zstd_f32_10000_ts4_clevel5",
    "zstd_f64_262144_ts8_chunk262144_clevel5",
    "zstd_f64_262144_ts8_chunk262144_noshuffle_clevel9",
    "zstd_u8_13065_ts1_chunk4096_clevel5",
    "zstd_u8_4096_ts1_clevel5",
};

/* Parse "<codec>_<input>_ts<N>[_chunk<N>][_<filter>]_clevel<N>". */
static int parse_ref_name(const char *name, tgm_b2_frame_opts *o, char *input, size_t cap) {
    static const struct {
        const char *s;
        int c;
    } codecs[] = {{"blosclz_", TGM_BLOSC2_BLOSCLZ},
                  {"lz4hc_", TGM_BLOSC2_LZ4HC},
                  {"lz4_", TGM_BLOSC2_LZ4},
                  {"zlib_", TGM_BLOSC2_ZLIB},
                  {"zstd_", TGM_BLOSC2_ZSTD}};
    int codec = -1;
    const char *rest = NULL;
    for (size_t i = 0; i < sizeof codecs / sizeof codecs[0]; i++) {
        if (strncmp(name, codecs[i].s, strlen(codecs[i].s)) == 0) {
            codec = codecs[i].c;
            rest = name + strlen(codecs[i].s);
            break;
        }
    }
    const char *ts = strstr(name, "_ts");
    const char *cl = strstr(name, "_clevel");
    if (codec < 0 || ts == NULL || cl == NULL) {
        return 0;
    }
    snprintf(input, cap, "%.*s", (int)(ts - rest), rest);
    tgm__b2_frame_opts_default(o, (tgm_blosc2_inner)codec, atoi(cl + 7), (size_t)atoi(ts + 3), 1);
    const char *ch = strstr(name, "_chunk");
    o->chunk_bytes = ch != NULL ? (size_t)atol(ch + 6) : 0;
    if (strstr(name, "_bitshuffle") != NULL) {
        o->cp.filters[5] = TGM_B2_BITSHUFFLE;
    }
    if (strstr(name, "_noshuffle") != NULL) {
        o->cp.filters[5] = TGM_B2_NOFILTER;
    }
    return 1;
}

static void test_reference_frames(void) {
    const char *dir = tt_shared_dir();
    if (dir == NULL) {
        TT_SKIP("shared reference directory not found (set TGM_SHARED_DIR)");
        return;
    }
    for (size_t k = 0; k < sizeof ref_frames / sizeof ref_frames[0]; k++) {
        const char *name = ref_frames[k];
        char path[4096], input[64];
        tgm_b2_frame_opts o;
        TT_ASSERT(parse_ref_name(name, &o, input, sizeof input));
        size_t fl, n;
        snprintf(path, sizeof path, "%s/blosc2/%s.b2frame", dir, name);
        uint8_t *f = tt_read_file(path, &fl);
        snprintf(path, sizeof path, "%s/blosc2/in_%s.bin", dir, input);
        uint8_t *in = tt_read_file(path, &n);
        TT_CHECK(f != NULL && in != NULL);
        if (f == NULL || in == NULL) {
            free(f);
            free(in);
            continue;
        }
        if (!codec_built(o.cp.compcode)) {
            free(f);
            free(in);
            continue;
        }
        tt_current = name;
        TT_CHECK(decodes_to(f, fl, in, n, 1));
        TT_CHECK(decodes_to(f, fl, in, n, 4));
        /* ranges against the input, across block and chunk boundaries */
        for (int r = 0; r < 20; r++) {
            uint64_t a = rnd() % n, len = rnd() % (n - a + 1);
            TT_CHECK(range_ok(f, fl, in, a, len, r % 2 ? 3 : 1));
        }
        TT_CHECK(range_ok(f, fl, in, n - 1, 1, 1));
        TT_CHECK(range_ok(f, fl, in, 0, n, 2));

        /* Our writer with the same parameters.  BloscLZ is ours, so the
         * frame must be the reference's byte for byte; lz4 output of
         * liblz4 >= 1.9.4 matches the lz4 1.10.0 the reference bundles.
         * zlib (zlib vs zlib-ng) and zstd (library version) may differ.
         * lz4 frames are written with other parameters than the
         * reference's (TGM_B2_LZ4_FAST; their streams are checked against
         * c-blosc 1.x in python/tests/test_blosc2_lz4_numcodecs.py); with
         * c-blosc2 2.x's (TGM_B2_LZ4_C2_2) the writer must give the
         * reference's bytes. */
        size_t ol;
        uint8_t *ours = encode(&o, in, n, &ol);
        TT_CHECK(ours != NULL);
        if (ours != NULL && o.cp.compcode == TGM_BLOSC2_LZ4) {
            TT_CHECK(decodes_to(ours, ol, in, n, 2));
            free(ours);
            o.cp.lz4_rule = TGM_B2_LZ4_C2_2;
            ours = encode(&o, in, n, &ol);
            TT_CHECK(ours != NULL);
        }
        if (ours != NULL) {
            TT_CHECK(decodes_to(ours, ol, in, n, 2));
            int same = ol == fl && memcmp(ours, f, fl) == 0;
            if (o.cp.compcode == TGM_BLOSC2_BLOSCLZ) {
                TT_CHECK(same);
            }
#ifdef TGM_HAVE_LZ4
            if ((o.cp.compcode == TGM_BLOSC2_LZ4 || o.cp.compcode == TGM_BLOSC2_LZ4HC) &&
                LZ4_versionNumber() >= 10904) {
                TT_CHECK(same);
            }
#endif
            if (!same && (o.cp.compcode == TGM_BLOSC2_ZLIB || o.cp.compcode == TGM_BLOSC2_ZSTD)) {
                printf("note: %s: our frame differs from the reference's (inner library "
                       "version), %zu vs %zu bytes\n",
                       name, ol, fl);
            }
            free(ours);
        }
        free(f);
        free(in);
    }
    tt_current = "test_reference_frames";
}

static void test_roundtrip_matrix(void) {
    static const uint32_t tss[] = {1, 2, 3, 4, 8};
    static const size_t sizes[] = {0, 1, 7, 31, 32, 33, 1000, 100003};
    for (size_t ci = 0; ci < 5; ci++) {
        int codec = all_codecs[ci];
        if (!codec_built(codec)) {
            continue;
        }
        for (size_t ti = 0; ti < 5; ti++) {
            for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
                size_t n = sizes[si];
                int kind = (int)((ci + ti + si) % 5);
                uint8_t *in = make_input(kind, n);
                for (int chunked = 0; chunked < 2; chunked++) {
                    tgm_b2_frame_opts o;
                    opts(&o, codec, (int)((si + ci) % 10), tss[ti], chunked ? 16384 : 0, 1);
                    size_t l1, l3;
                    uint8_t *f1 = encode(&o, in, n, &l1);
                    o.threads = 3;
                    uint8_t *f3 = encode(&o, in, n, &l3);
                    TT_CHECK(f1 != NULL && f3 != NULL);
                    if (f1 != NULL && f3 != NULL) {
                        TT_CHECK(l1 == l3 && memcmp(f1, f3, l1) == 0);
                        TT_CHECK(decodes_to(f1, l1, in, n, 1));
                        TT_CHECK(decodes_to(f1, l1, in, n, 4));
                    }
                    free(f1);
                    free(f3);
                }
                free(in);
            }
        }
    }
}

/* Filters other than the default byte shuffle, through frames. */
static void test_filter_frames(void) {
    size_t n = 700001;
    uint8_t *in = make_input(K_SMOOTH, n);
    static const uint8_t filters[][2] = {{TGM_B2_NOFILTER, TGM_B2_BITSHUFFLE},
                                         {TGM_B2_NOFILTER, TGM_B2_NOFILTER},
                                         {TGM_B2_DELTA, TGM_B2_SHUFFLE},
                                         {TGM_B2_DELTA, TGM_B2_NOFILTER}};
    for (size_t fi = 0; fi < 4; fi++) {
        for (size_t ci = 0; ci < 5; ci++) {
            if (!codec_built(all_codecs[ci])) {
                continue;
            }
            tgm_b2_frame_opts o;
            opts(&o, all_codecs[ci], 1, 4, 300000, 1);
            o.cp.filters[4] = filters[fi][0];
            o.cp.filters[5] = filters[fi][1];
            size_t l;
            uint8_t *f = encode(&o, in, n, &l);
            TT_CHECK(f != NULL);
            if (f == NULL) {
                continue;
            }
            TT_CHECK(decodes_to(f, l, in, n, 1));
            TT_CHECK(decodes_to(f, l, in, n, 4));
            /* later blocks of delta chunks need block 0 */
            TT_CHECK(range_ok(f, l, in, 300000 + 140000, 1000, 1));
            TT_CHECK(range_ok(f, l, in, 699990, 11, 1));
            TT_CHECK(range_ok(f, l, in, 123457, 500000, 3));
            free(f);
        }
    }
    free(in);
}

static void test_ranges(void) {
    /* Level 1, 4-byte items: 64 KiB blocks for lz4 (c-blosc 1.x's), 128 KiB
     * for BloscLZ (c-blosc2's); chunks of 300000 bytes (whole blocks and a
     * short one); the last chunk is short. */
    size_t n = 1000000, chunk = 300000;
    uint8_t *in = make_input(K_SMOOTH, n);
    memset(in + 600000, 0, 300000); /* chunk 2: all zeros, stored as a special offset */
    int codec = codec_built(TGM_BLOSC2_LZ4) ? TGM_BLOSC2_LZ4 : TGM_BLOSC2_BLOSCLZ;
    size_t bs = codec == TGM_BLOSC2_LZ4 ? 65536 : 131072;
    tgm_b2_frame_opts o;
    opts(&o, codec, 1, 4, chunk, 1);
    size_t l;
    uint8_t *f = encode(&o, in, n, &l);
    TT_ASSERT(f != NULL);
    TT_CHECK_EQ_INT(tgm__rd_be32(f + 53), bs); /* the frame header's block size */
    const uint64_t points[] = {0,         1,         bs - 1,        bs,        bs + 1,
                               2 * bs,    chunk - 1, chunk,         chunk + 1, chunk + bs,
                               2 * chunk, 650000,    3 * chunk - 1, 3 * chunk, n - 1};
    const uint64_t lens[] = {0, 1, 2, 3, bs - 1, bs, bs + 1, chunk, 2 * chunk + 7};
    for (size_t i = 0; i < sizeof points / sizeof points[0]; i++) {
        for (size_t j = 0; j < sizeof lens / sizeof lens[0]; j++) {
            uint64_t len = lens[j];
            if (points[i] + len > n) {
                len = n - points[i];
            }
            TT_CHECK(range_ok(f, l, in, points[i], len, 1));
            TT_CHECK(range_ok(f, l, in, points[i], len, 4));
        }
    }
    uint8_t tmp[8];
    TT_CHECK_ERR(tgm__b2_frame_decode(f, l, UINT64_MAX, n - 1, 2, tmp, 1), TGM_ERROR_COMPRESSION);
    TT_CHECK_ERR(tgm__b2_frame_decode(f, l, UINT64_MAX, UINT64_MAX, 2, tmp, 1),
                 TGM_ERROR_COMPRESSION);
    TT_CHECK_ERR(tgm__b2_frame_decode(f, l, n, 0, 0, tmp, 1), TGM_ERROR_OK);
    /* the expected total must match */
    TT_CHECK_ERR(tgm__b2_frame_decode(f, l, n + 1, 0, 1, tmp, 1), TGM_ERROR_COMPRESSION);
    free(f);
    free(in);
}

static void test_zero_chunks(void) {
    size_t n = 1 << 20;
    uint8_t *in = make_input(K_ZEROS, n);
    tgm_b2_frame_opts o;
    opts(&o, TGM_BLOSC2_BLOSCLZ, 5, 4, 100000, 1);
    size_t l;
    uint8_t *f = encode(&o, in, n, &l);
    TT_ASSERT(f != NULL);
    /* no chunk is stored: header, offsets index (11 "zeros" offsets), trailer */
    TT_CHECK_EQ_INT(tgm__rd_be64(f + 39), 0);
    TT_CHECK(l < 97 + 32 + 11 * 8 + 35);
    TT_CHECK(decodes_to(f, l, in, n, 1));
    TT_CHECK(range_ok(f, l, in, 99999, 3, 1));
    free(f);
    /* an all-zero tail that is not a whole number of items (c-blosc2 2.21.3
     * itself fails to decode this one) */
    opts(&o, TGM_BLOSC2_LZ4, 5, 4, 0, 1);
    if (codec_built(TGM_BLOSC2_LZ4)) {
        f = encode(&o, in, 300001, &l);
        TT_CHECK(f != NULL && decodes_to(f, l, in, 300001, 1));
        free(f);
    }
    free(in);
}

/* The empty input: c-blosc2 leaves a header and a trailer only. */
static void test_empty(void) {
    tgm_b2_frame_opts o;
    opts(&o, TGM_BLOSC2_BLOSCLZ, 5, 4, 0, 1);
    size_t l;
    uint8_t *f = encode(&o, (const uint8_t *)"", 0, &l);
    TT_ASSERT(f != NULL);
    TT_CHECK_EQ_INT(l, 132);
    TT_CHECK_EQ_INT(tgm__rd_be64(f + 39), 32); /* cbytes field */
    TT_CHECK(decodes_to(f, l, (const uint8_t *)"", 0, 1));
    TT_CHECK_ERR(decode_err(f, l, 1), TGM_ERROR_COMPRESSION);
    free(f);
}

/* Budget replay: a random (stored) block followed by a compressible one
 * makes c-blosc2 compress the second under a tighter output limit. */
static void test_threads_identical(void) {
    size_t n = 3 << 20;
    uint8_t *in = make_input(K_HALF, n);
    for (size_t ci = 0; ci < 5; ci++) {
        if (!codec_built(all_codecs[ci])) {
            continue;
        }
        for (uint32_t ts = 1; ts <= 8; ts *= 8) {
            tgm_b2_frame_opts o;
            opts(&o, all_codecs[ci], 3, ts, 1 << 20, 1);
            size_t l1, l2, l7;
            uint8_t *f1 = encode(&o, in, n, &l1);
            o.threads = 2;
            uint8_t *f2 = encode(&o, in, n, &l2);
            o.threads = 7;
            uint8_t *f7 = encode(&o, in, n, &l7);
            TT_CHECK(f1 != NULL && f2 != NULL && f7 != NULL);
            if (f1 && f2 && f7) {
                TT_CHECK(l1 == l2 && memcmp(f1, f2, l1) == 0);
                TT_CHECK(l1 == l7 && memcmp(f1, f7, l1) == 0);
                TT_CHECK(decodes_to(f1, l1, in, n, 3));
            }
            free(f1);
            free(f2);
            free(f7);
        }
    }
    free(in);
}

/* ---- hand-made frames -------------------------------------------------------------
 * Built here from README_CFRAME_FORMAT / README_CHUNK_FORMAT directly. */

typedef struct hframe {
    uint8_t b[4096];
    size_t len;
} hframe;

/* header(97) + chunks + offsets chunk (memcpy'd) + trailer(35) */
static void hf_build(hframe *h, const uint8_t *chunks, size_t clen, const uint64_t *offs,
                     size_t nchunks, uint64_t nbytes, int32_t chunksize, int32_t typesize) {
    uint8_t *p = h->b;
    memset(p, 0, sizeof h->b);
    p[0] = 0x9E;
    p[1] = 0xA8;
    memcpy(p + 2, "b2frame", 8);
    p[10] = 0xD2;
    tgm__wr_be32(p + 11, 97);
    p[15] = 0xCF;
    p[24] = 0xA4;
    p[25] = 0x12;
    p[27] = 0x51;
    p[28] = 3;
    p[29] = 0xD3;
    tgm__wr_be64(p + 30, nbytes);
    p[38] = 0xD3;
    tgm__wr_be64(p + 39, clen);
    p[47] = 0xD2;
    tgm__wr_be32(p + 48, (uint32_t)typesize);
    p[52] = 0xD2;
    p[57] = 0xD2;
    tgm__wr_be32(p + 58, (uint32_t)chunksize);
    p[62] = 0xD1;
    p[65] = 0xD1;
    p[68] = 0xC2;
    p[69] = 0xD8;
    p[70] = 6;
    static const uint8_t meta[10] = {0x93, 0xCD, 0, 7, 0xDE, 0, 0, 0xDC, 0, 0};
    memcpy(p + 87, meta, 10);
    size_t at = 97;
    memcpy(p + at, chunks, clen);
    at += clen;
    /* offsets chunk: memcpy'd, typesize 8 */
    uint8_t *ic = p + at;
    ic[0] = 5;
    ic[1] = 1;
    ic[2] = 0x07;
    ic[3] = 8;
    tgm__wr_le32(ic + 4, (uint32_t)(nchunks * 8));
    tgm__wr_le32(ic + 8, nchunks > 0 ? (uint32_t)(nchunks * 8) : 1);
    tgm__wr_le32(ic + 12, (uint32_t)(32 + nchunks * 8));
    for (size_t i = 0; i < nchunks; i++) {
        tgm__wr_le64(ic + 32 + 8 * i, offs[i]);
    }
    at += 32 + nchunks * 8;
    static const uint8_t trailer[19] = {0x94, 1, 0x93, 0xCD, 0, 6, 0xDE, 0,    0, 0xDC,
                                        0,    0, 0xCE, 0,    0, 0, 35,   0xD8, 0};
    memcpy(p + at, trailer, sizeof trailer);
    at += 35;
    h->len = at;
    tgm__wr_be64(p + 16, at);
}

/* A 32-byte chunk header. */
static void chunk_header(uint8_t *c, uint8_t flags, uint8_t ts, uint32_t nbytes, uint32_t blocksize,
                         uint32_t cbytes, uint8_t special) {
    memset(c, 0, 32);
    c[0] = 5;
    c[1] = 1;
    c[2] = flags;
    c[3] = ts;
    tgm__wr_le32(c + 4, nbytes);
    tgm__wr_le32(c + 8, blocksize);
    tgm__wr_le32(c + 12, cbytes);
    c[31] = (uint8_t)(special << 4);
}

static void test_handmade_specials(void) {
    hframe h;
    uint8_t ch[256], want[64];
    uint64_t off[3];

    /* in-chunk repeated 4-byte value */
    chunk_header(ch, 0x05, 4, 40, 40, 36, TGM_B2_SPECIAL_VALUE);
    tgm__wr_le32(ch + 32, 0x11223344u);
    off[0] = 0;
    hf_build(&h, ch, 36, off, 1, 40, 40, 4);
    for (int i = 0; i < 10; i++) {
        tgm__wr_le32(want + 4 * i, 0x11223344u);
    }
    TT_CHECK(decodes_to(h.b, h.len, want, 40, 1));
    TT_CHECK(range_ok(h.b, h.len, want, 5, 30, 1)); /* not item-aligned */

    /* in-chunk NaN (float32) and uninitialised (zeros) chunks, then a
     * frame-level NaN offset for the last chunk */
    chunk_header(ch, 0x05, 4, 16, 16, 32, TGM_B2_SPECIAL_NAN);
    chunk_header(ch + 32, 0x05, 4, 16, 16, 32, TGM_B2_SPECIAL_UNINIT);
    off[0] = 0;
    off[1] = 32;
    off[2] = (UINT64_C(1) << 63) | (UINT64_C(2) << 56);
    hf_build(&h, ch, 64, off, 3, 40, 16, 4);
    for (int i = 0; i < 4; i++) {
        tgm__wr_le32(want + 4 * i, 0x7FC00000u);
    }
    memset(want + 16, 0, 16);
    for (int i = 0; i < 2; i++) {
        tgm__wr_le32(want + 32 + 4 * i, 0x7FC00000u);
    }
    TT_CHECK(decodes_to(h.b, h.len, want, 40, 1));

    /* NaN needs 4- or 8-byte items */
    off[0] = (UINT64_C(1) << 63) | (UINT64_C(2) << 56);
    hf_build(&h, ch, 0, off, 1, 16, 16, 2);
    TT_CHECK_ERR(decode_err(h.b, h.len, 16), TGM_ERROR_COMPRESSION);
    /* unknown special mark */
    off[0] = (UINT64_C(1) << 63) | (UINT64_C(8) << 56);
    hf_build(&h, ch, 0, off, 1, 16, 16, 4);
    TT_CHECK_ERR(decode_err(h.b, h.len, 16), TGM_ERROR_COMPRESSION);

    /* a Blosc1-style 16-byte header: memcpy'd */
    memset(ch, 0, sizeof ch);
    ch[0] = 2;
    ch[1] = 1;
    ch[2] = 0x02 | 0x01;
    ch[3] = 1;
    tgm__wr_le32(ch + 4, 20);
    tgm__wr_le32(ch + 8, 20);
    tgm__wr_le32(ch + 12, 36);
    for (int i = 0; i < 20; i++) {
        ch[16 + i] = want[i] = (uint8_t)(i * 11);
    }
    off[0] = 0;
    hf_build(&h, ch, 36, off, 1, 20, 20, 1);
    TT_CHECK(decodes_to(h.b, h.len, want, 20, 1));

    /* Blosc1 header, one block of one stream: a run of 7s (size -7, token 1) */
    memset(ch, 0, sizeof ch);
    ch[0] = 2;
    ch[1] = 1;
    ch[2] = 0x10; /* not split, no filter, blosclz */
    ch[3] = 1;
    tgm__wr_le32(ch + 4, 64);
    tgm__wr_le32(ch + 8, 64);
    tgm__wr_le32(ch + 12, 25);
    tgm__wr_le32(ch + 16, 20); /* bstarts[0] */
    tgm__wr_le32(ch + 20, (uint32_t)-7);
    ch[24] = 1;
    hf_build(&h, ch, 25, off, 1, 64, 64, 1);
    memset(want, 7, 64);
    TT_CHECK(decodes_to(h.b, h.len, want, 64, 1));
    /* the same with a token that is not a run */
    ch[24] = 2;
    hf_build(&h, ch, 25, off, 1, 64, 64, 1);
    TT_CHECK_ERR(decode_err(h.b, h.len, 64), TGM_ERROR_COMPRESSION);
}

/* ---- malformed input ------------------------------------------------------------------- */

static void patch_and_expect(const uint8_t *f, size_t l, size_t n, size_t at, uint8_t v) {
    uint8_t *g = malloc(l);
    memcpy(g, f, l);
    g[at] = v;
    TT_CHECK_ERR(decode_err(g, l, n), TGM_ERROR_COMPRESSION);
    free(g);
}

static void test_malformed(void) {
    size_t n = 50000;
    uint8_t *in = make_input(K_SMOOTH, n);
    tgm_b2_frame_opts o;
    opts(&o, TGM_BLOSC2_BLOSCLZ, 5, 4, 20000, 1);
    size_t l;
    uint8_t *f = encode(&o, in, n, &l);
    TT_ASSERT(f != NULL);
    TT_CHECK(decodes_to(f, l, in, n, 1));
    uint8_t *out = malloc(n);

    /* every truncation */
    for (size_t k = 0; k < l; k++) {
        TT_CHECK_ERR(tgm__b2_frame_decode(f, k, n, 0, n, out, 1), TGM_ERROR_COMPRESSION);
    }
    /* wrong expected size */
    TT_CHECK_ERR(decode_err(f, l, n - 1), TGM_ERROR_COMPRESSION);

    patch_and_expect(f, l, n, 0, 0x9D);      /* fixarray size */
    patch_and_expect(f, l, n, 3, 'X');       /* magic */
    patch_and_expect(f, l, n, 25, 0x13);     /* frame format 3 */
    patch_and_expect(f, l, n, 25, 0x22);     /* 128-bit offsets */
    patch_and_expect(f, l, n, 26, 1);        /* sparse frame */
    patch_and_expect(f, l, n, 11, 0x7F);     /* header length */
    patch_and_expect(f, l, n, 16, 0x01);     /* frame length */
    patch_and_expect(f, l, n, l - 23, 0xCF); /* trailer marker */
    patch_and_expect(f, l, n, l - 22, 0x01); /* trailer length */
    patch_and_expect(f, l, n, 39, 0x01);     /* cbytes: far more than present */
    patch_and_expect(f, l, n, 29, 0xD2);     /* msgpack marker of nbytes */
    {
        uint8_t *g = malloc(l);
        memcpy(g, f, l);
        tgm__wr_be32(g + 58, 0); /* chunk size 0 (variable-size chunks) */
        TT_CHECK_ERR(decode_err(g, l, n), TGM_ERROR_COMPRESSION);
        tgm__wr_be32(g + 58, 19996); /* a chunk size that does not match the chunks */
        TT_CHECK_ERR(decode_err(g, l, n), TGM_ERROR_COMPRESSION);
        free(g);
    }
    patch_and_expect(f, l, n, 97 + 0, 6);         /* chunk 0: format version 6 */
    patch_and_expect(f, l, n, 97 + 3, 0);         /* chunk 0: typesize 0 */
    patch_and_expect(f, l, n, 97 + 7, 0x80);      /* chunk 0: negative nbytes */
    patch_and_expect(f, l, n, 97 + 11, 0x7F);     /* chunk 0: blocksize > nbytes */
    patch_and_expect(f, l, n, 97 + 15, 0x7F);     /* chunk 0: cbytes past the data */
    patch_and_expect(f, l, n, 97 + 2, 0x45);      /* chunk 0: inner format 2 (snappy) */
    patch_and_expect(f, l, n, 97 + 21, 35);       /* chunk 0: unsupported filter */
    patch_and_expect(f, l, n, 97 + 31, 0x08);     /* chunk 0: lazy */
    patch_and_expect(f, l, n, 97 + 31, 0x70);     /* chunk 0: special kind 7 */
    patch_and_expect(f, l, n, 97 + 32 + 3, 0x7F); /* chunk 0: bstarts[0] outside */

    /* the offsets index: locate it from the header */
    size_t idx = 97 + (size_t)tgm__rd_be64(f + 39);
    patch_and_expect(f, l, n, idx + 4, 9);          /* holds the wrong number of offsets */
    patch_and_expect(f, l, n, idx + 32 + 8 + 3, 1); /* offset of chunk 1 past the chunks */
    patch_and_expect(f, l, n, idx + 32 + 8, 1);     /* chunk 1 offset into chunk 1's middle */

    /* streams: size overrunning the chunk, and corrupt BloscLZ data (in
     * the first stream of block 0 that is really compressed) */
    uint32_t bstart = tgm__rd_le32(f + 97 + 32);
    patch_and_expect(f, l, n, 97 + bstart + 3, 0x40);
    {
        uint32_t neblock = tgm__rd_le32(f + 97 + 8) / 4;
        size_t s = 97 + bstart;
        while (tgm__rd_le32(f + s) == neblock) {
            s += 4 + neblock;
        }
        int32_t cs = (int32_t)tgm__rd_le32(f + s);
        TT_ASSERT(cs > 64 && (uint32_t)cs < neblock);
        int failures = 0;
        for (size_t k = 0; k < 64; k++) {
            uint8_t *g = malloc(l);
            memcpy(g, f, l);
            g[s + 4 + k] ^= 0x5A;
            tgm_error e = decode_err(g, l, n);
            failures += e != TGM_ERROR_OK;
            TT_CHECK(e == TGM_ERROR_OK || e == TGM_ERROR_COMPRESSION);
            free(g);
        }
        TT_CHECK(failures > 0);
    }

    /* huge claims without the bytes: 2^40 bytes in 1-byte chunks */
    {
        uint8_t *g = malloc(l);
        memcpy(g, f, l);
        tgm__wr_be64(g + 30, UINT64_C(1) << 40);
        tgm__wr_be32(g + 58, 1);
        TT_CHECK_ERR(tgm__b2_frame_decode(g, l, UINT64_MAX, 0, 1, out, 1), TGM_ERROR_COMPRESSION);
        free(g);
    }
    free(f);
    free(out);
    free(in);
}

/* Random corruption never crashes (run under ASan/UBSan). */
static void test_fuzz(void) {
    size_t n = 20000;
    uint8_t *in = make_input(K_SMOOTH, n);
    uint8_t *out = malloc(n);
    for (size_t ci = 0; ci < 5; ci++) {
        if (!codec_built(all_codecs[ci])) {
            continue;
        }
        for (int fi = 0; fi < 3; fi++) {
            tgm_b2_frame_opts o;
            opts(&o, all_codecs[ci], 5, fi == 2 ? 1 : 4, 7000, 1);
            if (fi == 1) {
                o.cp.filters[5] = TGM_B2_BITSHUFFLE;
                o.cp.filters[4] = TGM_B2_DELTA;
            }
            size_t l;
            uint8_t *f = encode(&o, in, n, &l);
            TT_ASSERT(f != NULL);
            uint8_t *g = malloc(l);
            for (int it = 0; it < 300; it++) {
                memcpy(g, f, l);
                int flips = 1 + (int)(rnd() % 4);
                for (int k = 0; k < flips; k++) {
                    g[rnd() % l] ^= (uint8_t)(1u << (rnd() % 8));
                }
                tgm_error e = tgm__b2_frame_decode(g, l, n, 0, n, out, (uint32_t)(1 + it % 3));
                TT_CHECK(e == TGM_ERROR_OK || e == TGM_ERROR_COMPRESSION);
                uint64_t a = rnd() % n;
                e = tgm__b2_frame_decode(g, l, UINT64_MAX, a, (n - a) / 2, out, 1);
                TT_CHECK(e == TGM_ERROR_OK || e == TGM_ERROR_COMPRESSION);
            }
            free(g);
            free(f);
        }
    }
    free(out);
    free(in);
}

/* ---- parameters and the codec table --------------------------------------------------- */

static void test_params(void) {
    tgm_b2_frame_opts o;
    tgm_buf b = TGM_BUF_INIT;
    uint8_t x[4] = {1, 2, 3, 4};
    opts(&o, TGM_BLOSC2_BLOSCLZ, 10, 4, 0, 1);
    TT_CHECK_ERR(tgm__b2_frame_encode(&o, x, 4, &b), TGM_ERROR_ENCODING);
    opts(&o, TGM_BLOSC2_BLOSCLZ, -1, 4, 0, 1);
    TT_CHECK_ERR(tgm__b2_frame_encode(&o, x, 4, &b), TGM_ERROR_ENCODING);
    opts(&o, TGM_BLOSC2_BLOSCLZ, 5, 0, 0, 1);
    TT_CHECK_ERR(tgm__b2_frame_encode(&o, x, 4, &b), TGM_ERROR_ENCODING);
    opts(&o, TGM_BLOSC2_BLOSCLZ, 5, 256, 0, 1);
    TT_CHECK_ERR(tgm__b2_frame_encode(&o, x, 4, &b), TGM_ERROR_ENCODING);
    opts(&o, 3, 5, 4, 0, 1);
    TT_CHECK_ERR(tgm__b2_frame_encode(&o, x, 4, &b), TGM_ERROR_ENCODING);
    opts(&o, TGM_BLOSC2_BLOSCLZ, 5, 4, 0, 1);
    o.cp.filters[0] = TGM_B2_TRUNC_PREC;
    TT_CHECK_ERR(tgm__b2_frame_encode(&o, x, 4, &b), TGM_ERROR_ENCODING);
    TT_CHECK_EQ_INT(b.len, 0);
    tgm__buf_free(&b);
}

static void test_codec_table(void) {
    const tgm_codec *c = &tgm__codec_blosc2;
    TT_CHECK_EQ_STR(c->name, "blosc2");
    size_t n = 123457;
    uint8_t *in = make_input(K_SMOOTH, n);
    tgm_codec_params p;
    tgm__codec_params_init(&p, 4, n);
    p.threads = 2;
    tgm_blosc2_params bp = {TGM_BLOSC2_BLOSCLZ, 5, 4, TGM_BLOSC2_FILTER_SHUFFLE, 0};
    tgm__blosc2_params(&p, &bp);
    tgm_buf out = TGM_BUF_INIT;
    TT_CHECK_ERR(tgm__buf_append(&out, "pre", 3), TGM_ERROR_OK); /* appends after existing bytes */
    TT_CHECK_ERR(c->compress(&p, in, n, &out, NULL), TGM_ERROR_OK);
    TT_CHECK(memcmp(out.data, "pre", 3) == 0);
    tgm_b2_frame_opts o;
    opts(&o, TGM_BLOSC2_BLOSCLZ, 5, 4, 0, 1);
    size_t l;
    uint8_t *f = encode(&o, in, n, &l);
    TT_CHECK(f != NULL && l == out.len - 3 && memcmp(f, out.data + 3, l) == 0);
    uint8_t *d = malloc(n);
    TT_CHECK_ERR(c->decompress(&p, out.data + 3, out.len - 3, d, n), TGM_ERROR_OK);
    TT_CHECK(memcmp(d, in, n) == 0);
    TT_CHECK_ERR(c->decompress(&p, out.data + 3, out.len - 3, d, n - 4), TGM_ERROR_COMPRESSION);
    TT_CHECK_ERR(c->decompress_range(&p, out.data + 3, out.len - 3, NULL, 0, 1001, 5000, d),
                 TGM_ERROR_OK);
    TT_CHECK(memcmp(d, in + 1001, 5000) == 0);
    bp.typesize = 0;
    tgm__blosc2_params(&p, &bp);
    TT_CHECK_ERR(c->compress(&p, in, n, &out, NULL), TGM_ERROR_ENCODING);
    free(d);
    free(f);
    free(in);
    tgm__buf_free(&out);
}

/* Every allocation failure is reported cleanly and leaks nothing (leaks
 * show under ASan).  Only in builds with TGM_ALLOC_INJECTION. */
static void test_alloc_failures(void) {
    if (!tgm__alloc_injection_enabled()) {
        return;
    }
    size_t n = 200000;
    uint8_t *in = make_input(K_HALF, n);
    uint8_t *out = malloc(n);
    tgm_b2_frame_opts o;
    opts(&o, TGM_BLOSC2_BLOSCLZ, 5, 4, 70000, 3);
    o.cp.filters[4] = TGM_B2_DELTA;
    size_t l;
    uint8_t *f = encode(&o, in, n, &l);
    TT_ASSERT(f != NULL);
    int ok_enc = 0, ok_dec = 0;
    for (uint64_t k = 1; k < 200 && !(ok_enc && ok_dec); k++) {
        tgm_buf b = TGM_BUF_INIT;
        tgm__alloc_fail_after(k, 1);
        tgm_error e = tgm__b2_frame_encode(&o, in, n, &b);
        tgm__alloc_fail_after(0, 0);
        TT_CHECK(e == TGM_ERROR_OK || e == TGM_ERROR_ENCODING);
        if (e == TGM_ERROR_OK) {
            ok_enc = 1;
            TT_CHECK(b.len == l && memcmp(b.data, f, l) == 0);
        }
        tgm__buf_free(&b);
        tgm__alloc_fail_after(k, 1);
        e = tgm__b2_frame_decode(f, l, n, 0, n, out, 3);
        tgm__alloc_fail_after(0, 0);
        TT_CHECK(e == TGM_ERROR_OK || e == TGM_ERROR_ENCODING);
        if (e == TGM_ERROR_OK) {
            ok_dec = 1;
            TT_CHECK(memcmp(out, in, n) == 0);
        }
    }
    TT_CHECK(ok_enc && ok_dec);
    free(f);
    free(out);
    free(in);
}

int main(void) {
    TT_RUN(test_shuffle_known);
    TT_RUN(test_shuffle_roundtrip);
    TT_RUN(test_bitshuffle);
    TT_RUN(test_delta);
    TT_RUN(test_blosclz_known);
    TT_RUN(test_blosclz_roundtrip);
    TT_RUN(test_blocksize);
    TT_RUN(test_reference_frames);
    TT_RUN(test_roundtrip_matrix);
    TT_RUN(test_filter_frames);
    TT_RUN(test_ranges);
    TT_RUN(test_zero_chunks);
    TT_RUN(test_empty);
    TT_RUN(test_threads_identical);
    TT_RUN(test_handmade_specials);
    TT_RUN(test_malformed);
    TT_RUN(test_fuzz);
    TT_RUN(test_params);
    TT_RUN(test_codec_table);
    TT_RUN(test_alloc_failures);
    return tt_finish("test_blosc2");
}
