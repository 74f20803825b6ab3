/* Writes the seed corpora of the fuzz targets: small messages, files and
 * codec streams produced by this library, each prefixed with the
 * parameter bytes its target reads (see the targets' comments).
 *
 *     fuzz_make_corpus <corpus-dir>      (normally fuzz/corpus)
 *
 * Output is deterministic apart from the provenance fields the encoder
 * writes (timestamp, UUID); seeds are committed, so rerunning is only
 * needed when a target's input layout changes. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cbor/cbor.h"
#include "codecs/blosc2.h"
#include "codecs/codec.h"
#include "codecs/szip.h"
#include "codecs/zfp.h"
#include "codecs/zstd.h"
#ifdef TGM_HAVE_SZ3
#include "codecs/sz3.h"
#endif
#include "common/arena.h"
#include "common/buf.h"
#include "common/endian.h"
#include "encodings/simple_packing.h"
#include "tensogram/tensogram.h"
#include "wire/wire.h"
#include "json/json.h"

static const char *root;
static const char *prefix = "seed"; /* file names: <prefix>_<name> */
static int failures;

static void put(const char *target, const char *name, const void *a, size_t alen, const void *b,
                size_t blen) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", root, target);
    if (mkdir(path, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "cannot create %s\n", path);
        failures++;
        return;
    }
    snprintf(path, sizeof path, "%s/%s/%s_%s", root, target, prefix, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || (alen && fwrite(a, 1, alen, f) != alen) ||
        (blen && fwrite(b, 1, blen, f) != blen)) {
        fprintf(stderr, "cannot write %s\n", path);
        failures++;
    }
    if (f != NULL) {
        fclose(f);
    }
}

/* ---- messages ------------------------------------------------------------- */

typedef struct msg {
    const char *name;
    tgm_bytes_t bytes;
} msg;

static msg msgs[64];
static size_t nmsgs;

static char *desc(char *buf, size_t cap, const char *dtype, const char *shape, const char *extra) {
    int ndim = 1;
    for (const char *p = shape; *p; p++) {
        ndim += *p == ',';
    }
    if (shape[0] == '\0') {
        ndim = 0;
    }
    /* strides are only written for rank <= 2 seeds, which is all we use */
    char strides[64] = "";
    if (ndim == 1) {
        snprintf(strides, sizeof strides, "1");
    } else if (ndim == 2) {
        const char *comma = strchr(shape, ',');
        snprintf(strides, sizeof strides, "%s,1", comma + 1);
    }
    snprintf(buf, cap,
             "{\"type\":\"ntensor\",\"ndim\":%d,\"shape\":[%s],\"strides\":[%s],\"dtype\":\"%s\","
             "\"byte_order\":\"little\"%s%s}",
             ndim, shape, strides, dtype, extra[0] ? "," : "", extra);
    return buf;
}

static void add_msg(const char *name, const char *meta, const uint8_t *const *ptrs,
                    const size_t *lens, size_t n, const char *hash,
                    const TgmEncodeMaskOptions *mo) {
    tgm_bytes_t out = {NULL, 0};
    tgm_error e = tgm_encode_with_options(meta, ptrs, lens, n, hash, 1, mo, &out);
    if (e != TGM_ERROR_OK) {
        fprintf(stderr, "seed %s: encode failed: %s\n", name, tgm_last_error());
        failures++;
        return;
    }
    msgs[nmsgs].name = name;
    msgs[nmsgs].bytes = out;
    nmsgs++;
}

static void one(const char *name, const char *dtype, const char *shape, const char *pipeline,
                const void *data, size_t len, const char *hash) {
    char d[1024], meta[2048];
    desc(d, sizeof d, dtype, shape, pipeline);
    snprintf(meta, sizeof meta, "{\"descriptors\":[%s],\"mars\":{\"param\":\"2t\"}}", d);
    const uint8_t *p = data;
    add_msg(name, meta, &p, &len, 1, hash, NULL);
}

static void make_messages(void) {
    static const char *plain = "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"none\"";
    float f32[16];
    double f64[64];
    int16_t i16[32];
    uint8_t u8[96];
    for (int i = 0; i < 16; i++) {
        f32[i] = (float)i * 0.5f - 3.0f;
    }
    for (int i = 0; i < 64; i++) {
        f64[i] = 280.0 + 10.0 * sin(i * 0.3);
    }
    for (int i = 0; i < 32; i++) {
        i16[i] = (int16_t)(i * 37 - 500);
    }
    for (int i = 0; i < 96; i++) {
        u8[i] = (uint8_t)(i / 7);
    }
    one("plain_f32", "float32", "4", plain, f32, 16, "xxh3");
    one("plain_f64_2d", "float64", "3,2", plain, f64, 48, NULL);
    one("zstd_f64", "float64", "3,2",
        "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"zstd\",\"zstd_level\":3", f64,
        48, "xxh3");
    one("lz4_shuffle_i16", "int16", "10",
        "\"encoding\":\"none\",\"filter\":\"shuffle\",\"shuffle_element_size\":2,"
        "\"compression\":\"lz4\"",
        i16, 20, NULL);
    one("sp_szip", "float64", "16",
        "\"encoding\":\"simple_packing\",\"sp_bits_per_value\":12,\"filter\":\"none\","
        "\"compression\":\"szip\",\"szip_rsi\":2,\"szip_block_size\":8,\"szip_flags\":8",
        f64, 128, "xxh3");
    one("sp_plain", "float64", "8",
        "\"encoding\":\"simple_packing\",\"sp_bits_per_value\":16,\"filter\":\"none\","
        "\"compression\":\"none\"",
        f64, 64, NULL);
    one("sp_bits0", "float64", "8",
        "\"encoding\":\"simple_packing\",\"sp_bits_per_value\":0,\"filter\":\"none\","
        "\"compression\":\"none\"",
        f64, 64, NULL);
    one("zfp_rate", "float64", "20",
        "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"zfp\",\"zfp_mode\":"
        "\"fixed_rate\",\"zfp_rate\":16",
        f64, 160, NULL);
    one("zfp_accuracy", "float64", "20",
        "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"zfp\",\"zfp_mode\":"
        "\"fixed_accuracy\",\"zfp_tolerance\":0.01",
        f64, 160, NULL);
    one("blosc2_u8", "uint8", "96",
        "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"blosc2\","
        "\"blosc2_codec\":\"lz4\",\"blosc2_clevel\":5",
        u8, 96, "xxh3");
    one("szip_u16", "uint16", "32",
        "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"szip\",\"szip_rsi\":4,"
        "\"szip_block_size\":8,\"szip_flags\":8",
        i16, 64, NULL);
    uint8_t bits[13];
    for (int i = 0; i < 13; i++) {
        bits[i] = (uint8_t)(i % 3 == 0 ? 0xf0 : 0x00);
    }
    one("rle_bitmask", "bitmask", "100",
        "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"rle\"", bits, 13, NULL);
    one("roaring_bitmask", "bitmask", "100",
        "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"roaring\"", bits, 13, NULL);
    static const uint16_t halfs[8] = {0x3c00, 0x4000, 0xc200, 0x0001, 0x7bff, 0x8000, 0x3555, 0};
    one("float16", "float16", "8", plain, halfs, 16, NULL);
    one("complex64", "complex64", "2", plain, f32, 16, NULL);
    one("empty_shape0", "float32", "0", plain, f32, 0, NULL);
    one("scalar", "float64", "", plain, f64, 8, NULL);

    /* NaN / Inf masks */
    float nf[12];
    memcpy(nf, f32, sizeof nf);
    nf[1] = NAN;
    nf[4] = INFINITY;
    nf[7] = -INFINITY;
    nf[9] = NAN;
    {
        char d[1024], meta[2048];
        desc(d, sizeof d, "float32", "12", plain);
        snprintf(meta, sizeof meta, "{\"descriptors\":[%s]}", d);
        const uint8_t *p = (const uint8_t *)nf;
        size_t l = sizeof nf;
        TgmEncodeMaskOptions mo = {true, true, "rle", "roaring", "none", 0};
        add_msg("masks_rle_roaring", meta, &p, &l, 1, "xxh3", &mo);
        TgmEncodeMaskOptions mo2 = {true, true, NULL, NULL, NULL, -1};
        add_msg("masks_small", meta, &p, &l, 1, NULL, &mo2);
        desc(d, sizeof d, "float32", "12",
             "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"zstd\"");
        snprintf(meta, sizeof meta, "{\"descriptors\":[%s]}", d);
        TgmEncodeMaskOptions mo3 = {true, true, "zstd", "lz4", "blosc2", 0};
        add_msg("masks_zstd_lz4_blosc2", meta, &p, &l, 1, NULL, &mo3);
    }
    /* Two objects, per-object metadata and extra keys. */
    {
        char d1[1024], d2[1024], meta[4096];
        desc(d1, sizeof d1, "float32", "2,2", plain);
        desc(d2, sizeof d2, "int16", "5",
             "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"zstd\"");
        snprintf(meta, sizeof meta,
                 "{\"descriptors\":[%s,%s],\"base\":[{\"mars\":{\"param\":\"t\",\"levelist\":"
                 "[1000,850]}},{\"name\":\"x\",\"v\":1.5}],\"_extra_\":{\"source\":\"fuzz\","
                 "\"n\":-3,\"flag\":true,\"nothing\":null}}",
                 d1, d2);
        const uint8_t *p[2] = {(const uint8_t *)f32, (const uint8_t *)i16};
        size_t l[2] = {16, 10};
        add_msg("two_objects", meta, p, l, 2, "xxh3", NULL);
    }
    add_msg("no_objects", "{\"descriptors\":[],\"note\":\"empty\"}", NULL, NULL, 0, NULL, NULL);
}

/* ---- per-target seeds ------------------------------------------------------ */

static void message_seeds(void) {
    uint8_t range_hdr[33];
    for (size_t i = 0; i < nmsgs; i++) {
        const msg *m = &msgs[i];
        put("fuzz_decode", m->name, m->bytes.data, m->bytes.len, NULL, 0);
        put("fuzz_scan", m->name, m->bytes.data, m->bytes.len, NULL, 0);
        static const uint8_t path_hdr[] = {10, 'm', 'a', 'r', 's', '.', 'p', 'a', 'r', 'a', 'm'};
        put("fuzz_decode_metadata", m->name, path_hdr, sizeof path_hdr, m->bytes.data,
            m->bytes.len);
        uint8_t idx = (uint8_t)(i % 2);
        put("fuzz_decode_object", m->name, &idx, 1, m->bytes.data, m->bytes.len);
        /* validation control byte: level i % 4 (quick .. full), canonical
         * check on, and tgm_validate_buffer too for every other seed */
        uint8_t vctl = (uint8_t)((i % 4) | 4 | ((i % 2) << 7));
        put("fuzz_validate", m->name, &vctl, 1, m->bytes.data, m->bytes.len);
        /* control: object 0, two ranges, join off; fractions 1/4..+1/2 and 0..+1/4 */
        memset(range_hdr, 0, sizeof range_hdr);
        range_hdr[0] = (uint8_t)(1u << 2);
        uint32_t fr[8] = {0x40000000u, 0x80000000u, 0, 0x40000000u, 0, 0, 0, 0};
        for (int k = 0; k < 8; k++) {
            memcpy(range_hdr + 1 + 4 * k, &fr[k], 4);
        }
        put("fuzz_decode_range", m->name, range_hdr, sizeof range_hdr, m->bytes.data, m->bytes.len);
    }
    /* files: several messages with garbage between them and a torn tail */
    tgm_buf f = TGM_BUF_INIT;
    for (size_t i = 0; i < nmsgs && i < 4; i++) {
        tgm__buf_append(&f, msgs[i].bytes.data, msgs[i].bytes.len);
    }
    put("fuzz_file", "four_messages", f.data, f.len, NULL, 0);
    put("fuzz_scan", "four_messages", f.data, f.len, NULL, 0);
    tgm__buf_append(&f, "garbage!", 8);
    tgm__buf_append(&f, msgs[5].bytes.data, msgs[5].bytes.len / 2);
    put("fuzz_file", "garbage_and_torn_tail", f.data, f.len, NULL, 0);
    put("fuzz_scan", "garbage_and_torn_tail", f.data, f.len, NULL, 0);
    tgm__buf_free(&f);
    put("fuzz_file", "one_message", msgs[nmsgs - 2].bytes.data, msgs[nmsgs - 2].bytes.len, NULL, 0);
    put("fuzz_file", "empty", NULL, 0, NULL, 0);
}

/* codec_target.h header: claim u32, b0..b3, w0 u16, rng u64, extra u32 */
static void codec_seed(const char *codec, const char *name, uint32_t claim, uint8_t b0, uint8_t b1,
                       uint8_t b2, uint8_t b3, uint16_t w0, const tgm_codec_params *p,
                       const uint8_t *raw, size_t rawlen) {
    const tgm_codec *c = tgm__codec_find(codec);
    if (c == NULL) {
        return;
    }
    tgm_buf out = TGM_BUF_INIT;
    if (c->compress(p, raw, rawlen, &out, NULL) != TGM_ERROR_OK) {
        fprintf(stderr, "seed %s/%s: compress failed: %s\n", codec, name, tgm_last_error());
        failures++;
        return;
    }
    uint8_t hdr[22];
    uint64_t rng = ((uint64_t)(rawlen / 2) << 32) | (rawlen / 4);
    uint32_t extra = 0;
    memcpy(hdr, &claim, 4);
    hdr[4] = b0;
    hdr[5] = b1;
    hdr[6] = b2;
    hdr[7] = b3;
    memcpy(hdr + 8, &w0, 2);
    memcpy(hdr + 10, &rng, 8);
    memcpy(hdr + 18, &extra, 4);
    char target[64];
    snprintf(target, sizeof target, "fuzz_codec_%s", codec);
    put(target, name, hdr, sizeof hdr, out.data, out.len);
    tgm__buf_free(&out);
}

static void codec_seeds(void) {
    uint8_t raw[512];
    for (int i = 0; i < 512; i++) {
        raw[i] = (uint8_t)((i * i) >> 5);
    }
    tgm_codec_params p;
    tgm__codec_params_init(&p, 1, 0);
    /* zstd: level = 1 + b0 % 5 */
    tgm__zstd_params(&p, 3);
    codec_seed("zstd", "bytes", 512, 2, 0, 0, 1, 0, &p, raw, 512);
    codec_seed("zstd", "empty", 0, 2, 0, 0, 1, 0, &p, raw, 0);
    codec_seed("lz4", "bytes", 512, 0, 0, 0, 1, 0, &p, raw, 512);
    codec_seed("lz4", "small", 7, 0, 0, 0, 1, 0, &p, raw, 7);
    /* szip: block size index b0 & 3, rsi = 1 + (w0 >> 4) % 128, flags b1, bps b2 + 1 */
    static const uint32_t bsz[4] = {8, 16, 32, 64};
    static const struct {
        int bi;
        uint32_t rsi, flags, bps;
        const char *name;
    } sz[] = {{0, 4, 8, 8, "u8_pp"},         {1, 2, 8 | 4, 16, "u16_msb_pp"},
              {2, 1, 1 | 8, 16, "s16_pp"},   {3, 3, 0, 32, "u32_raw"},
              {0, 8, 8 | 32, 12, "u12_pad"}, {0, 2, 8 | 16, 3, "u3_restricted"}};
    for (size_t i = 0; i < sizeof sz / sizeof sz[0]; i++) {
        tgm__codec_params_init(&p, 1, 0);
        tgm_szip_params sp = {sz[i].rsi, bsz[sz[i].bi], sz[i].flags, sz[i].bps};
        TGM_CODEC_OWN_PUT(&p, sp);
        uint32_t w = sz[i].bps <= 8 ? 1 : sz[i].bps <= 16 ? 2 : 4;
        uint8_t data[512];
        for (int k = 0; k < 512; k++) {
            data[k] = raw[k];
        }
        if (sz[i].bps < 8 * w) {
            /* keep samples within bits_per_sample */
            for (size_t k = 0; k < 512; k += w) {
                uint32_t v = 0;
                memcpy(&v, data + k, w);
                v &= (1u << sz[i].bps) - 1;
                memcpy(data + k, &v, w);
            }
            if (sz[i].flags & 4) {
                for (size_t k = 0; k < 512; k += w) { /* big-endian samples */
                    uint32_t v = 0;
                    memcpy(&v, raw + k, w);
                    v &= (1u << sz[i].bps) - 1;
                    for (uint32_t b = 0; b < w; b++) {
                        data[k + b] = (uint8_t)(v >> (8 * (w - 1 - b)));
                    }
                }
            }
        }
        codec_seed("szip", sz[i].name, 512, (uint8_t)sz[i].bi, (uint8_t)sz[i].flags,
                   (uint8_t)(sz[i].bps - 1), 1, (uint16_t)((sz[i].rsi - 1) << 4), &p, data, 512);
    }
    /* zfp: mode b0 % 4, rate (b1 + 1) / 4 (b0 bit 6: w0 / 4), precision b2 % 70,
     * tolerance 2^-(b2 % 31) (b0 bit 7: 2^(w0 % 256 - 150)) */
    double vals[40];
    for (int i = 0; i < 40; i++) {
        vals[i] = cos(i * 0.2) * 100.0;
    }
    tgm__codec_params_init(&p, 8, 320);
    tgm_zfp_params zp = {TGM_ZFP_FIXED_RATE, 16, 0, 0, 40};
    TGM_CODEC_OWN_PUT(&p, zp);
    codec_seed("zfp", "rate16", 320, 1, 63, 0, 0, 0, &p, (const uint8_t *)vals, 320);
    zp.mode = TGM_ZFP_FIXED_PRECISION;
    zp.precision = 20;
    TGM_CODEC_OWN_PUT(&p, zp);
    codec_seed("zfp", "precision20", 320, 2, 0, 20, 0, 0, &p, (const uint8_t *)vals, 320);
    zp.mode = TGM_ZFP_FIXED_ACCURACY;
    zp.tolerance = 1.0 / 1024;
    TGM_CODEC_OWN_PUT(&p, zp);
    codec_seed("zfp", "accuracy", 320, 3, 0, 10, 0, 0, &p, (const uint8_t *)vals, 320);
    /* 203 values (a partial last block) of every kind: smooth, ±0,
     * subnormals, huge, NaN, ±Inf, random bit patterns, powers of two */
    double mixed[203];
    uint64_t bits = 0x9e3779b97f4a7c15u;
    for (int i = 0; i < 203; i++) {
        bits ^= bits << 13;
        bits ^= bits >> 7;
        bits ^= bits << 17;
        switch ((i / 4) % 8) {
        case 0:
            mixed[i] = 280.0 + 30.0 * sin(i * 0.05);
            break;
        case 1:
            mixed[i] = (i & 1) ? -0.0 : 0.0;
            break;
        case 2:
            mixed[i] = ldexp((double)(bits >> 40), -1074);
            break;
        case 3:
            mixed[i] = 1.7e308 * ((i & 1) ? -1 : 1);
            break;
        case 4:
            mixed[i] = (i % 4 == 1) ? NAN : (i % 4 == 2 ? INFINITY : -INFINITY);
            break;
        case 5:
            memcpy(&mixed[i], &bits, 8);
            break;
        case 6:
            mixed[i] = ldexp(1.0, -1000 + i);
            break;
        default:
            mixed[i] = (double)(int64_t)(bits >> 20) * 1e-3;
            break;
        }
    }
    tgm__codec_params_init(&p, 8, 1624);
    tgm_zfp_params zm = {TGM_ZFP_FIXED_RATE, 8, 0, 0, 203};
    TGM_CODEC_OWN_PUT(&p, zm);
    codec_seed("zfp", "rate8_mixed", 1624, 1, 31, 0, 0, 0, &p, (const uint8_t *)mixed, 1624);
    zm.rate = 100; /* w0 / 4 with b0 bit 6: blocks padded to 400 bits */
    TGM_CODEC_OWN_PUT(&p, zm);
    codec_seed("zfp", "rate100_mixed", 1624, 0x41, 0, 0, 0, 400, &p, (const uint8_t *)mixed, 1624);
    zm.mode = TGM_ZFP_FIXED_PRECISION;
    zm.precision = 64;
    TGM_CODEC_OWN_PUT(&p, zm);
    codec_seed("zfp", "precision64_mixed", 1624, 2, 0, 64, 0, 0, &p, (const uint8_t *)mixed, 1624);
    zm.mode = TGM_ZFP_FIXED_ACCURACY;
    zm.tolerance = ldexp(1.0, -40); /* 2^(w0 % 256 - 150) with b0 bit 7 */
    TGM_CODEC_OWN_PUT(&p, zm);
    codec_seed("zfp", "accuracy_tiny_mixed", 1624, 0x83, 0, 0, 0, 110, &p, (const uint8_t *)mixed,
               1624);
    /* blosc2: inner b0 % 5 (blosclz, lz4, lz4hc, zlib, zstd), clevel b1 % 10,
     * typesize 1 + b2 % 16 */
    static const tgm_blosc2_inner inner[5] = {TGM_BLOSC2_BLOSCLZ, TGM_BLOSC2_LZ4, TGM_BLOSC2_LZ4HC,
                                              TGM_BLOSC2_ZLIB, TGM_BLOSC2_ZSTD};
    static const char *iname[5] = {"blosclz", "lz4", "lz4hc", "zlib", "zstd"};
    for (int i = 0; i < 5; i++) {
        tgm__codec_params_init(&p, 1, 0);
        tgm_blosc2_params bp = {inner[i], 5, i == 1 ? 4 : 1, TGM_BLOSC2_FILTER_SHUFFLE, 0};
        tgm__blosc2_params(&p, &bp);
        codec_seed("blosc2", iname[i], 512, (uint8_t)i, 5, (uint8_t)(bp.typesize - 1), 1, 0, &p,
                   raw, 512);
    }
    /* rle / roaring: claim = number of bits */
    uint8_t bm[125];
    for (int i = 0; i < 125; i++) {
        bm[i] = (uint8_t)(i % 5 == 0 ? 0xff : i % 7 == 0 ? 0x81 : 0);
    }
    tgm__codec_params_init(&p, 1, 125);
    codec_seed("rle", "bits1000", 1000, 0, 0, 0, 1, 0, &p, bm, 125);
    codec_seed("roaring", "bits1000", 1000, 0, 0, 0, 1, 0, &p, bm, 125);
    codec_seed("rle", "bits13", 13, 0, 0, 0, 1, 0, &p, bm, 2);
    codec_seed("roaring", "bits13", 13, 0, 0, 0, 1, 0, &p, bm, 2);
}

#ifdef TGM_HAVE_SZ3
/* fuzz_codec_sz3: u32 value count, u8 mode, u8 bound selector, the stream
 * (interpolation, Lorenzo and lossless streams; one raw-values seed). */
static void sz3_seeds(void) {
    enum { N = 26000 };
    static double v[N];
    double walk = 0;
    uint32_t s = 7;
    for (int i = 0; i < N; i++) {
        s = s * 1664525u + 1013904223u;
        double u1 = (s >> 8) * (1.0 / 16777216.0) + 1e-9;
        s = s * 1664525u + 1013904223u;
        double u2 = (s >> 8) * (1.0 / 16777216.0);
        double g = sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2);
        walk += g;
        /* 0..5999 smooth, 6000..25999 a random walk, noise on top of 3000.. */
        v[i] = i < 6000 ? 280 + 20 * sin(i * 0.01) + (i >= 3000 ? g : 0) : walk;
    }
    static const struct {
        const char *name;
        size_t off, n;
        tgm_sz3_mode mode;
        double bound;
        uint8_t sel;
    } c[] = {{"interp", 0, 1000, TGM_SZ3_ABS, 1e-3, 3},
             {"lorenzo", 6000, 20000, TGM_SZ3_ABS, 0.05, 4},
             {"lossless", 3000, 1000, TGM_SZ3_ABS, 1e-9, 1},
             {"anchored", 0, 5000, TGM_SZ3_REL, 1e-4, 3},
             {"tiny", 0, 3, TGM_SZ3_PSNR, 60, 4}};
    for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
        tgm_buf out = TGM_BUF_INIT;
        double bound = c[k].bound;
        /* The Lorenzo seed: the first bound SZ3's tuning picks Lorenzo for. */
        int want_lorenzo = strcmp(c[k].name, "lorenzo") == 0, tries = 0;
    again:
        if (tgm__sz3_compress((const uint8_t *)(v + c[k].off), c[k].n, c[k].mode, bound, &out) !=
            TGM_ERROR_OK) {
            fprintf(stderr, "seed sz3/%s: %s\n", c[k].name, tgm_last_error());
            failures++;
            continue;
        }
        if (want_lorenzo) {
            uint64_t pay;
            memcpy(&pay, out.data + 8, 8);
            const uint8_t *cfg = out.data + 16 + pay;
            if (cfg[3 + (cfg[2] + 7) / 8 + 8] != 0 && ++tries < 40) {
                out.len = 0;
                bound *= 1.25;
                goto again;
            }
        }
        uint8_t hdr[6];
        uint32_t claim = (uint32_t)c[k].n;
        memcpy(hdr, &claim, 4);
        hdr[4] = (uint8_t)c[k].mode;
        hdr[5] = c[k].sel;
        put("fuzz_codec_sz3", c[k].name, hdr, sizeof hdr, out.data, out.len);
        tgm__buf_free(&out);
    }
    uint8_t raw_hdr[6] = {0, 0, 0, 0, 0x81, 4};
    put("fuzz_codec_sz3", "raw_values", raw_hdr, sizeof raw_hdr, v + 900, 200 * sizeof(double));
}
#endif

/* fuzz_simple_packing: bits, ctl, ref f64, bsf u16, dsf u8, n u32, r u32, cb u8 */
static void sp_seeds(void) {
    double v[50];
    for (int i = 0; i < 50; i++) {
        v[i] = 250.0 + i * 0.37;
    }
    static const struct {
        uint32_t bits, cb;
    } cfg[] = {{12, 0}, {16, 0}, {24, 0}, {1, 0}, {64, 0}, {12, 2}, {20, 3}, {0, 0}};
    for (size_t k = 0; k < sizeof cfg / sizeof cfg[0]; k++) {
        tgm_sp_params sp;
        if (tgm__sp_compute_params((const uint8_t *)v, 0, 50, cfg[k].bits, 0, 1, &sp) !=
            TGM_ERROR_OK) {
            failures++;
            continue;
        }
        size_t need = 0;
        tgm__sp_packed_size(50, cfg[k].bits, cfg[k].cb, &need);
        uint8_t packed[512];
        if (tgm__sp_encode((const uint8_t *)v, 0, 50, &sp, cfg[k].cb, packed, need, 1) !=
            TGM_ERROR_OK) {
            failures++;
            continue;
        }
        uint8_t hdr[22];
        hdr[0] = (uint8_t)cfg[k].bits;
        hdr[1] = (uint8_t)(cfg[k].cb ? 1 : 0);
        memcpy(hdr + 2, &sp.reference_value, 8);
        uint16_t bsf = (uint16_t)(int16_t)sp.binary_scale_factor;
        memcpy(hdr + 10, &bsf, 2);
        hdr[12] = (uint8_t)(int8_t)sp.decimal_scale_factor;
        uint32_t n = 50, r = (20u << 16) | 7u;
        memcpy(hdr + 13, &n, 4);
        memcpy(hdr + 17, &r, 4);
        hdr[21] = (uint8_t)cfg[k].cb;
        char name[32];
        snprintf(name, sizeof name, "bits%u_cb%u", cfg[k].bits, cfg[k].cb);
        put("fuzz_simple_packing", name, hdr, sizeof hdr, packed, need);
    }
}

static void cbor_json_seeds(void) {
    static const char *const texts[] = {
        "{\"a\":1,\"b\":[1,2.5,-3,true,null,\"x\"],\"c\":{\"d\":\"e\"}}",
        "[1e300,-0.0,0.1,65504.0,1.5,100000.0,18446744073709551615,-18446744073709551616]",
        "{\"mars\":{\"class\":\"od\",\"param\":\"2t\",\"levelist\":[1000,850,500]}}",
        "\"\\u00e9\\ud83d\\ude00 text\"",
        "{\"z\":1,\"aa\":2,\"b\":3,\"\":4}",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        tgm_arena a = TGM_ARENA_INIT;
        tgm_val *v = NULL;
        tgm_buf b = TGM_BUF_INIT;
        if (tgm__json_parse(texts[i], strlen(texts[i]), &a, &v) == TGM_ERROR_OK &&
            tgm__cbor_encode(v, &b) == TGM_ERROR_OK) {
            char name[32];
            snprintf(name, sizeof name, "canonical_%zu", i);
            put("fuzz_cbor", name, b.data, b.len, NULL, 0);
        } else {
            failures++;
        }
        tgm__buf_free(&b);
        tgm__arena_free(&a);
    }
    /* hand-written non-canonical items */
    static const uint8_t indef[] = {0x9f, 0x01, 0x5f, 0x41, 0x61, 0x41, 0x62, 0xff, 0xff};
    static const uint8_t longarg[] = {0xb9, 0x00, 0x01, 0x78, 0x01, 0x6b, 0x19, 0x00, 0x05};
    static const uint8_t unsorted[] = {0xa2, 0x62, 0x62, 0x62, 0x01, 0x61, 0x61, 0x02};
    static const uint8_t tagged[] = {0xc1, 0xfb, 0x41, 0xd0, 0, 0, 0, 0, 0, 0};
    static const uint8_t halfs[] = {0x83, 0xf9, 0x7e, 0x00, 0xfa, 0x7f, 0xc0, 0, 1, 0xf9, 0x3c, 0};
    put("fuzz_cbor", "indefinite", indef, sizeof indef, NULL, 0);
    put("fuzz_cbor", "long_arguments", longarg, sizeof longarg, NULL, 0);
    put("fuzz_cbor", "unsorted_keys", unsorted, sizeof unsorted, NULL, 0);
    put("fuzz_cbor", "tag", tagged, sizeof tagged, NULL, 0);
    put("fuzz_cbor", "nan_floats", halfs, sizeof halfs, NULL, 0);

    /* fuzz_encode_json: JSON, NUL, control byte, data bytes */
    static const char *const metas[] = {
        "{\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[4],\"strides\":[1],"
        "\"dtype\":\"float32\",\"encoding\":\"none\",\"filter\":\"none\",\"compression\":"
        "\"none\"}]}",
        "{\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":2,\"shape\":[2,3],\"strides\":[3,1],"
        "\"dtype\":\"int32\",\"byte_order\":\"big\",\"encoding\":\"none\",\"filter\":\"shuffle\","
        "\"shuffle_element_size\":4,\"compression\":\"zstd\"}],\"base\":[{\"k\":\"v\"}]}",
        "{\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[16],\"strides\":[1],"
        "\"dtype\":\"float64\",\"encoding\":\"simple_packing\",\"sp_bits_per_value\":10,"
        "\"filter\":\"none\",\"compression\":\"szip\",\"szip_rsi\":2,\"szip_block_size\":8,"
        "\"szip_flags\":8}],\"extra\":{\"a\":[1,2]}}",
        "{\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[9],\"strides\":[1],"
        "\"dtype\":\"uint16\",\"encoding\":\"none\",\"filter\":\"none\",\"compression\":"
        "\"blosc2\",\"blosc2_codec\":\"zstd\"},{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[20],"
        "\"strides\":[1],\"dtype\":\"bitmask\",\"encoding\":\"none\",\"filter\":\"none\","
        "\"compression\":\"rle\"}]}",
        "{\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[8],\"strides\":[1],"
        "\"dtype\":\"float64\",\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"zfp\","
        "\"zfp_mode\":\"fixed_precision\",\"zfp_precision\":24}]}",
    };
    for (size_t i = 0; i < sizeof metas / sizeof metas[0]; i++) {
        uint8_t tail[1 + 16];
        tail[0] = 0;
        tail[1] = (uint8_t)(i * 40 + 3);
        for (int k = 2; k < 17; k++) {
            tail[k] = (uint8_t)(k * 11 + i); /* small, finite float bytes mostly */
        }
        uint8_t sep = 0;
        char name[32];
        snprintf(name, sizeof name, "meta_%zu", i);
        tgm_buf b = TGM_BUF_INIT;
        tgm__buf_append(&b, metas[i], strlen(metas[i]));
        tgm__buf_append(&b, &sep, 1);
        tgm__buf_append(&b, tail, sizeof tail);
        put("fuzz_encode_json", name, b.data, b.len, NULL, 0);
        tgm__buf_free(&b);
    }
}

/* ---- regression inputs, built frame by frame ---------------------------------
 *
 * Each input a fuzz target found is rebuilt here from scratch (so no
 * fuzzer output, which may descend from the reference's sample files, is
 * committed) and written as regress_<what it breaks>. */

static void pad8(tgm_buf *b) {
    static const uint8_t z[8] = {0};
    tgm__buf_append(b, z, (8 - b->len % 8) % 8);
}

/* A non-data frame: header, body, hash slot (0), ENDF, padding. */
static void frame(tgm_buf *b, uint16_t type, const uint8_t *body, size_t n) {
    uint8_t h[TGM_FRAME_HEADER_SIZE];
    tgm_frame_header fh = {type, 1, 0, TGM_FRAME_HEADER_SIZE + n + TGM_FRAME_COMMON_FOOTER_SIZE};
    tgm__frame_header_write(h, &fh);
    tgm__buf_append(b, h, sizeof h);
    tgm__buf_append(b, body, n);
    uint8_t foot[TGM_FRAME_COMMON_FOOTER_SIZE] = {0};
    memcpy(foot + 8, "ENDF", 4);
    tgm__buf_append(b, foot, sizeof foot);
    pad8(b);
}

/* A data-object frame from a JSON descriptor and a payload. */
static void object_frame(tgm_buf *b, const char *desc_json, const void *payload, size_t plen) {
    tgm_arena a = TGM_ARENA_INIT;
    tgm_val *v = NULL;
    tgm_buf cbor = TGM_BUF_INIT;
    if (tgm__json_parse(desc_json, strlen(desc_json), &a, &v) != TGM_ERROR_OK ||
        tgm__cbor_encode(v, &cbor) != TGM_ERROR_OK) {
        fprintf(stderr, "bad regression descriptor: %s\n", tgm_last_error());
        failures++;
    }
    uint8_t h[TGM_FRAME_HEADER_SIZE];
    size_t total = TGM_FRAME_HEADER_SIZE + plen + cbor.len + TGM_DATA_FRAME_FOOTER_SIZE;
    tgm_frame_header fh = {TGM_FRAME_NTENSOR, 1, TGM_FF_CBOR_AFTER_PAYLOAD, total};
    tgm__frame_header_write(h, &fh);
    tgm__buf_append(b, h, sizeof h);
    tgm__buf_append(b, payload, plen);
    tgm__buf_append(b, cbor.data, cbor.len);
    uint8_t foot[TGM_DATA_FRAME_FOOTER_SIZE] = {0};
    tgm__wr_be64(foot, TGM_FRAME_HEADER_SIZE + plen);
    memcpy(foot + 16, "ENDF", 4);
    tgm__buf_append(b, foot, sizeof foot);
    pad8(b);
    tgm__buf_free(&cbor);
    tgm__arena_free(&a);
}

/* Preamble in front of `body` (frames), postamble after it. */
static void message(tgm_buf *out, uint16_t flags, const tgm_buf *body) {
    uint8_t pre[TGM_PREAMBLE_SIZE], post[TGM_POSTAMBLE_SIZE];
    size_t total = TGM_PREAMBLE_SIZE + body->len + TGM_POSTAMBLE_SIZE;
    tgm_preamble p = {TGM_WIRE_VERSION, flags, 0, total};
    tgm__preamble_write(pre, &p);
    tgm_postamble pa = {TGM_PREAMBLE_SIZE + body->len, total};
    tgm__postamble_write(post, &pa);
    tgm__buf_append(out, pre, sizeof pre);
    tgm__buf_append(out, body->data, body->len);
    tgm__buf_append(out, post, sizeof post);
}

#define RDESC(shape, dtype)                                                                        \
    "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[" shape "],\"strides\":[1],\"dtype\":\"" dtype    \
    "\",\"byte_order\":\"little\",\"encoding\":\"none\",\"filter\":\"none\","                      \
    "\"compression\":\"none\"}"

/* fuzz_decode: an index listing one object in a message with two.  The
 * frame walk (tgm_decode) sees two objects, the index (tgm_decode_object)
 * one; the target compares them only when validation finds the index
 * consistent. */
static void regress_index_count(void) {
    static const float v0[2] = {1.5f, -2.0f};
    static const float v1[3] = {4.0f, 5.0f, 6.0f};
    tgm_buf o0 = TGM_BUF_INIT, o1 = TGM_BUF_INIT, body = TGM_BUF_INIT, whole = TGM_BUF_INIT;
    object_frame(&o0, RDESC("2", "float32"), v0, sizeof v0);
    object_frame(&o1, RDESC("3", "float32"), v1, sizeof v1);
    static const uint8_t meta = 0xa0; /* {} */
    frame(&body, TGM_FRAME_HEADER_METADATA, &meta, 1);
    /* index CBOR with 2-byte integers so its size is known in advance:
     * {"lengths": [len0], "offsets": [off0]} */
    uint8_t idx[25];
    size_t n = 0;
    idx[n++] = 0xa2;
    idx[n++] = 0x67;
    memcpy(idx + n, "lengths", 7);
    n += 7;
    idx[n++] = 0x81;
    idx[n++] = 0x19;
    size_t len0 = (size_t)tgm__rd_be64(o0.data + 8);
    idx[n++] = (uint8_t)(len0 >> 8);
    idx[n++] = (uint8_t)len0;
    idx[n++] = 0x67;
    memcpy(idx + n, "offsets", 7);
    n += 7;
    idx[n++] = 0x81;
    idx[n++] = 0x19;
    size_t off0 = TGM_PREAMBLE_SIZE + body.len + 56; /* the index frame: 16 + 25 + 12, padded */
    idx[n++] = (uint8_t)(off0 >> 8);
    idx[n++] = (uint8_t)off0;
    frame(&body, TGM_FRAME_HEADER_INDEX, idx, n);
    tgm__buf_append(&body, o0.data, o0.len);
    tgm__buf_append(&body, o1.data, o1.len);
    message(&whole, TGM_MF_HEADER_METADATA | TGM_MF_HEADER_INDEX, &body);
    put("fuzz_decode", "index_count_disagrees_with_frames", whole.data, whole.len, NULL, 0);
    tgm__buf_free(&o0);
    tgm__buf_free(&o1);
    tgm__buf_free(&body);
    tgm__buf_free(&whole);
}

/* fuzz_validate: three ways a message can pass validation at level "full"
 * without an error issue yet fail to decode, all as in the reference (its
 * validator and its decoder disagree the same way); the target knows them. */
static void regress_validate_gaps(void) {
    static const uint8_t ctl = 0x07; /* level full, canonical check */
    static const float v[2] = {1.0f, 2.0f};
    static const uint8_t meta = 0xa0;
    tgm_buf obj = TGM_BUF_INIT, body = TGM_BUF_INIT, whole = TGM_BUF_INIT;
    object_frame(&obj, RDESC("2", "float32"), v, sizeof v);

    /* the postamble's total_length disagrees with the preamble's */
    frame(&body, TGM_FRAME_HEADER_METADATA, &meta, 1);
    tgm__buf_append(&body, obj.data, obj.len);
    message(&whole, TGM_MF_HEADER_METADATA, &body);
    tgm__wr_be64(whole.data + whole.len - 16, whole.len + 8);
    put("fuzz_validate", "postamble_length_disagrees", &ctl, 1, whole.data, whole.len);

    /* metadata CBOR that ends inside the frame's hash slot: {"x": text(8)}
     * whose 8 bytes are the slot's zeros */
    static const uint8_t into_slot[] = {0xa1, 0x61, 'x', 0x68};
    body.len = whole.len = 0;
    frame(&body, TGM_FRAME_HEADER_METADATA, into_slot, sizeof into_slot);
    tgm__buf_append(&body, obj.data, obj.len);
    message(&whole, TGM_MF_HEADER_METADATA, &body);
    put("fuzz_validate", "metadata_cbor_into_hash_slot", &ctl, 1, whole.data, whole.len);

    /* a data-object frame at an offset that is not a multiple of 8: the
     * decoder skips the stray bytes and decodes it, the validator looks at
     * 8-byte boundaries only, warns about non-zero padding and sees no
     * object */
    body.len = whole.len = 0;
    frame(&body, TGM_FRAME_HEADER_METADATA, &meta, 1);
    static const uint8_t stray[3] = {1, 2, 3};
    tgm__buf_append(&body, stray, sizeof stray);
    tgm__buf_append(&body, obj.data, obj.len);
    pad8(&body);
    message(&whole, TGM_MF_HEADER_METADATA, &body);
    put("fuzz_validate", "frame_at_unaligned_offset", &ctl, 1, whole.data, whole.len);
    tgm__buf_free(&obj);
    tgm__buf_free(&body);
    tgm__buf_free(&whole);
}

/* fuzz_cbor: the writer keeps duplicate map keys (as the reference
 * does) and the canonical check refuses them, so a re-encoding is not
 * always canonical. */
static void regress_cbor(void) {
    static const uint8_t dup[] = {0xa2, 0x61, 'a', 0x01, 0x61, 'a', 0x02}; /* {"a":1,"a":2} */
    put("fuzz_cbor", "duplicate_map_keys", dup, sizeof dup, NULL, 0);
}

/* fuzz_validate: an object claiming 2^40 float64 values in a 64-byte lz4
 * payload made validation allocate the claimed 8 TiB (and fail with
 * out-of-memory) instead of reporting the object. */
static void regress_validate_huge_claim(void) {
    static const uint8_t ctl = 0x07;
    static const uint8_t meta = 0xa0;
    uint8_t payload[64] = {0};
    tgm_buf obj = TGM_BUF_INIT, body = TGM_BUF_INIT, whole = TGM_BUF_INIT;
    object_frame(&obj,
                 "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[1099511627776],\"strides\":[1],"
                 "\"dtype\":\"float64\",\"byte_order\":\"little\",\"encoding\":\"none\","
                 "\"filter\":\"none\",\"compression\":\"lz4\"}",
                 payload, sizeof payload);
    frame(&body, TGM_FRAME_HEADER_METADATA, &meta, 1);
    tgm__buf_append(&body, obj.data, obj.len);
    message(&whole, TGM_MF_HEADER_METADATA, &body);
    put("fuzz_validate", "huge_claim_small_payload", &ctl, 1, whole.data, whole.len);
    put("fuzz_decode", "huge_claim_small_payload", whole.data, whole.len, NULL, 0);
    tgm__buf_free(&obj);
    tgm__buf_free(&body);
    tgm__buf_free(&whole);
}

/* fuzz_scan, fuzz_file: 16 KiB of streaming-message preambles with nothing
 * after them; every candidate walked to the end of the buffer (quadratic
 * time, minutes for a few megabytes). */
static void regress_preamble_stubs(void) {
    size_t n = 16384 / TGM_PREAMBLE_SIZE * TGM_PREAMBLE_SIZE;
    uint8_t *b = calloc(n, 1);
    if (b == NULL) {
        failures++;
        return;
    }
    for (size_t p = 0; p < n; p += TGM_PREAMBLE_SIZE) {
        memcpy(b + p, TGM_MAGIC, 8);
        b[p + 9] = TGM_WIRE_VERSION;
    }
    put("fuzz_scan", "streaming_preamble_stubs", b, n, NULL, 0);
    put("fuzz_file", "streaming_preamble_stubs", b, n, NULL, 0);
    free(b);
}

static void regressions(void) {
    prefix = "regress";
    regress_validate_huge_claim();
    regress_preamble_stubs();
    regress_cbor();
    regress_index_count();
    regress_validate_gaps();
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s <corpus-dir>\n", argv[0]);
        return 2;
    }
    root = argv[1];
    /* Fixed provenance: running the generator again rewrites the same bytes. */
    setenv("TENSOGRAM_PROVENANCE",
           "{\"encoder\":{\"name\":\"tensogram-c\",\"version\":\"fuzz-seed\"},"
           "\"time\":\"2026-01-01T00:00:00Z\","
           "\"uuid\":\"00000000-0000-4000-8000-000000000000\"}",
           1);
    if (mkdir(root, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "cannot create %s\n", root);
        return 1;
    }
    make_messages();
    message_seeds();
    codec_seeds();
#ifdef TGM_HAVE_SZ3
    sz3_seeds();
#endif
    sp_seeds();
    cbor_json_seeds();
    regressions();
    for (size_t i = 0; i < nmsgs; i++) {
        tgm_bytes_free(msgs[i].bytes);
    }
    if (failures) {
        fprintf(stderr, "%d seed(s) failed\n", failures);
        return 1;
    }
    return 0;
}
