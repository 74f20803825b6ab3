/* zstd and lz4 codecs: byte-identical output against the reference's
 * fixtures (raw, shuffled and simple_packed payloads), round trips over
 * awkward sizes and data, and hostile streams (truncated, corrupt, wrong
 * size, random mutations). */
#include <pthread.h>
#include <zstd.h>

#include "codecs/zstd.h"
#include "common/alloc.h"
#include "common/error.h"
#include "encodings/simple_packing.h"
#include "filters/shuffle.h"
#include "numeric_fixture.h"
#include "tt.h"

static tgm_codec_params params(int level, uint32_t threads) {
    tgm_codec_params p;
    tgm__codec_params_init(&p, 1, 0);
    p.threads = threads;
    tgm__zstd_params(&p, level);
    return p;
}

/* Compress with `c`, return the bytes (caller frees) in *out_len. */
static unsigned char *squeeze(const tgm_codec *c, const tgm_codec_params *p,
                              const unsigned char *src, size_t n, size_t *out_len) {
    tgm_buf b = TGM_BUF_INIT;
    tgm_error e = c->compress(p, src, n, &b, NULL);
    TT_CHECK_ERR(e, TGM_ERROR_OK);
    if (e != TGM_ERROR_OK) {
        tgm__buf_free(&b);
        *out_len = 0;
        return NULL;
    }
    return tgm__buf_steal(&b, out_len);
}

/* Build the bytes the reference handed to its compressor for a fixture:
 * simple_packing (when the descriptor says so), then shuffle. */
static unsigned char *pre_codec(const nf_case *c, size_t *len) {
    unsigned char *bytes = NULL;
    double bits;
    if (nf_desc_num(c, "sp_bits_per_value", &bits) == 0) {
        double ref, bsf, dsf;
        nf_desc_num(c, "sp_reference_value", &ref);
        nf_desc_num(c, "sp_binary_scale_factor", &bsf);
        nf_desc_num(c, "sp_decimal_scale_factor", &dsf);
        tgm_sp_params sp = {ref, (int32_t)bsf, (int32_t)dsf, (uint32_t)bits};
        size_t n = c->in_len / 8;
        tgm__sp_packed_size(n, sp.bits_per_value, 0, len);
        bytes = malloc(*len + 1);
        TT_CHECK_ERR(tgm__sp_encode(c->in, 0, n, &sp, 0, bytes, *len, 1), TGM_ERROR_OK);
    } else {
        *len = c->in_len;
        bytes = malloc(*len + 1);
        memcpy(bytes, c->in, *len);
    }
    double es;
    if (nf_desc_num(c, "shuffle_element_size", &es) == 0) {
        unsigned char *sh = malloc(*len + 1);
        TT_CHECK_ERR(tgm__shuffle(bytes, *len, (size_t)es, sh, 1), TGM_ERROR_OK);
        free(bytes);
        bytes = sh;
    }
    return bytes;
}

static void check_fixture(const char *name, const tgm_codec *codec) {
    nf_case c;
    tt_current = name;
    if (nf_load(name, &c) != 0) {
        fprintf(stderr, "fixture %s missing\n", name);
        TT_CHECK(0);
        return;
    }
    double level = 3;
    nf_desc_num(&c, "zstd_level", &level);
    tgm_codec_params p = params((int)level, 1);
    size_t len;
    unsigned char *raw = pre_codec(&c, &len);
    size_t clen;
    unsigned char *comp = squeeze(codec, &p, raw, len, &clen);
    TT_CHECK_EQ_INT(clen, c.payload_len);
    TT_CHECK(comp != NULL && clen == c.payload_len && memcmp(comp, c.payload, clen) == 0);
    /* Decoding the reference's payload gives the pre-codec bytes back. */
    unsigned char *dec = malloc(len + 1);
    TT_CHECK_ERR(codec->decompress(&p, c.payload, c.payload_len, dec, len), TGM_ERROR_OK);
    TT_CHECK(memcmp(dec, raw, len) == 0);
    /* And for the raw float32 cases, unshuffled, the reference's output. */
    double es;
    if (nf_desc_num(&c, "sp_bits_per_value", &es) != 0) {
        unsigned char *plain = malloc(len + 1);
        if (nf_desc_num(&c, "shuffle_element_size", &es) == 0) {
            TT_CHECK_ERR(tgm__unshuffle(dec, len, (size_t)es, plain, 1), TGM_ERROR_OK);
        } else {
            memcpy(plain, dec, len);
        }
        TT_CHECK(len == c.out_len && memcmp(plain, c.out, len) == 0);
        free(plain);
    }
    /* Multi-threaded zstd may frame differently but decodes the same. */
    tgm_codec_params p2 = params((int)level, 2);
    size_t c2len;
    unsigned char *c2 = squeeze(codec, &p2, raw, len, &c2len);
    TT_CHECK_ERR(codec->decompress(&p2, c2, c2len, dec, len), TGM_ERROR_OK);
    TT_CHECK(memcmp(dec, raw, len) == 0);
    free(c2);
    free(dec);
    free(comp);
    free(raw);
    nf_free(&c);
}

static void test_fixtures(void) {
    if (nf_dir() == NULL) {
        return;
    }
    static const char *zstd_cases[] = {"f32_zstd",          "f32_zstd9", "f32_shuffle_zstd",
                                       "f32_shuffle_zstd9", "sp16_zstd", "sp16_shuffle_zstd"};
    for (size_t i = 0; i < sizeof zstd_cases / sizeof zstd_cases[0]; i++) {
        check_fixture(zstd_cases[i], &tgm__codec_zstd);
    }
    static const char *lz4_cases[] = {"f32_lz4", "f32_shuffle_lz4", "sp16_lz4"};
    for (size_t i = 0; i < sizeof lz4_cases / sizeof lz4_cases[0]; i++) {
        check_fixture(lz4_cases[i], &tgm__codec_lz4);
    }
}

/* ---- round trips ------------------------------------------------------------ */

enum { DATA_RANDOM, DATA_ZEROS, DATA_TEXT, DATA_SMOOTH, DATA_RUNS, DATA_KINDS };

static unsigned char *make_data(size_t n, int kind, uint32_t seed) {
    unsigned char *b = malloc(n + 8);
    uint32_t s = seed * 2246822519u + 7;
    static const char words[] = "tensogram packs tensors into frames; ";
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        switch (kind) {
        case DATA_RANDOM:
            b[i] = (unsigned char)(s >> 24);
            break;
        case DATA_ZEROS:
            b[i] = 0;
            break;
        case DATA_TEXT:
            b[i] = (unsigned char)words[(i + (s >> 30)) % (sizeof words - 1)];
            break;
        case DATA_SMOOTH: {
            float f = (float)(280.0 + 0.001 * (double)(i / 4));
            unsigned char fb[4];
            memcpy(fb, &f, 4);
            b[i] = fb[i % 4];
            break;
        }
        default:
            b[i] = (unsigned char)((i / 300) & 3);
            break;
        }
    }
    return b;
}

static void roundtrip(const tgm_codec *codec, const tgm_codec_params *p, const unsigned char *src,
                      size_t n) {
    size_t clen;
    unsigned char *comp = squeeze(codec, p, src, n, &clen);
    unsigned char *dec = malloc(n + 1);
    TT_CHECK_ERR(codec->decompress(p, comp, clen, dec, n), TGM_ERROR_OK);
    TT_CHECK(n == 0 || memcmp(dec, src, n) == 0);
    /* The wrong expected size is refused, both ways. */
    unsigned char *big = malloc(n + 2);
    TT_CHECK_ERR(codec->decompress(p, comp, clen, big, n + 1), TGM_ERROR_COMPRESSION);
    if (n > 0) {
        TT_CHECK_ERR(codec->decompress(p, comp, clen, big, n - 1), TGM_ERROR_COMPRESSION);
    }
    free(big);
    free(dec);
    free(comp);
}

static void test_roundtrips(void) {
    static const size_t sizes[] = {0,     1,     4,      12,      13,
                                   14,    100,   4095,   65534,   65535,
                                   65536, 65537, 200000, 1 << 20, (size_t)5 << 20};
    for (size_t k = 0; k < DATA_KINDS; k++) {
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            unsigned char *d = make_data(sizes[i], (int)k, (uint32_t)(i * 7 + k));
            tgm_codec_params p = params(3, 1);
            roundtrip(&tgm__codec_lz4, &p, d, sizes[i]);
            roundtrip(&tgm__codec_zstd, &p, d, sizes[i]);
            if (sizes[i] >= ((size_t)1 << 20)) {
                tgm_codec_params pt = params(3, 3);
                roundtrip(&tgm__codec_zstd, &pt, d, sizes[i]);
            }
            free(d);
        }
    }
    /* Every zstd level the library knows, including negative ones and
     * values it clamps. */
    unsigned char *d = make_data(100000, DATA_TEXT, 1);
    static const int levels[] = {-100000, -5, -1, 0, 1, 3, 9, 19, 22, 23, 1000};
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
        tgm_codec_params p = params(levels[i], 1);
        roundtrip(&tgm__codec_zstd, &p, d, 100000);
    }
    free(d);
}

/* LZ4 stream structure for small hand-checked inputs. */
static void test_lz4_format(void) {
    tgm_codec_params p = params(0, 1);
    size_t len;
    /* Empty: size 0 and a lone zero token. */
    unsigned char *c = squeeze(&tgm__codec_lz4, &p, (const unsigned char *)"", 0, &len);
    TT_CHECK(len == 5 && memcmp(c, "\0\0\0\0\0", 5) == 0);
    free(c);
    /* 12 bytes (< 13): all literals, token 0xC0. */
    c = squeeze(&tgm__codec_lz4, &p, (const unsigned char *)"abcdefghijkl", 12, &len);
    TT_CHECK(len == 4 + 1 + 12 && c[0] == 12 && c[4] == 0xC0 &&
             memcmp(c + 5, "abcdefghijkl", 12) == 0);
    free(c);
    /* 32 'a': literal 'a', then a match at offset 1 of 25 bytes (4 + 21,
     * stopping 6 before the end... the last 6 bytes are literals). */
    unsigned char a[32];
    memset(a, 'a', 32);
    c = squeeze(&tgm__codec_lz4, &p, a, 32, &len);
    static const unsigned char want[] = {32, 0,    0,   0,   0x1F, 'a', 1,   0,
                                         6,  0x60, 'a', 'a', 'a',  'a', 'a', 'a'};
    TT_CHECK(len == sizeof want && memcmp(c, want, len) == 0);
    free(c);
}

/* ---- hostile input ------------------------------------------------------------ */

static void test_hostile(void) {
    size_t n = 50000, zl, ll;
    unsigned char *d = make_data(n, DATA_TEXT, 3);
    tgm_codec_params p = params(3, 1);
    unsigned char *z = squeeze(&tgm__codec_zstd, &p, d, n, &zl);
    unsigned char *l = squeeze(&tgm__codec_lz4, &p, d, n, &ll);
    unsigned char *out = malloc(n + 64);

    /* Truncations. */
    for (size_t cut = 0; cut < 40; cut += 7) {
        TT_CHECK_ERR(tgm__codec_zstd.decompress(&p, z, zl - 1 - cut, out, n),
                     TGM_ERROR_COMPRESSION);
        TT_CHECK_ERR(tgm__codec_lz4.decompress(&p, l, ll - 1 - cut, out, n), TGM_ERROR_COMPRESSION);
    }
    TT_CHECK_ERR(tgm__codec_lz4.decompress(&p, l, 3, out, n), TGM_ERROR_COMPRESSION);
    TT_CHECK(strstr(tgm_last_error(), "size prefix") != NULL);
    TT_CHECK_ERR(tgm__codec_zstd.decompress(&p, z, 0, out, n), TGM_ERROR_COMPRESSION);
    TT_CHECK_ERR(tgm__codec_zstd.decompress(&p, z, 0, out, 0), TGM_ERROR_OK);
    /* Size mismatches name both sizes. */
    TT_CHECK_ERR(tgm__codec_lz4.decompress(&p, l, ll, out, n - 5), TGM_ERROR_COMPRESSION);
    TT_CHECK_EQ_STR(tgm_last_error(),
                    "compression error: lz4 error: size prefix 50000 does not match the expected "
                    "49995 bytes");
    TT_CHECK_ERR(tgm__codec_zstd.decompress(&p, z, zl, out, n + 5), TGM_ERROR_COMPRESSION);
    TT_CHECK_EQ_STR(tgm_last_error(),
                    "compression error: zstd error: stream decompresses to 50000 bytes, "
                    "expected 50005");
    /* Not a zstd frame. */
    TT_CHECK_ERR(tgm__codec_zstd.decompress(&p, d, 100, out, n), TGM_ERROR_COMPRESSION);
    TT_CHECK(strstr(tgm_last_error(), "zstd error") != NULL);
    /* Trailing garbage after the frame. */
    unsigned char *zg = malloc(zl + 3);
    memcpy(zg, z, zl);
    memcpy(zg + zl, "xyz", 3);
    TT_CHECK_ERR(tgm__codec_zstd.decompress(&p, zg, zl + 3, out, n), TGM_ERROR_COMPRESSION);
    free(zg);
    /* An lz4 match reaching before the start of the output. */
    static const unsigned char bad_off[] = {8, 0, 0, 0, 0x14, 'a', 9, 0, 0x30, 'b', 'c', 'd'};
    TT_CHECK_ERR(tgm__codec_lz4.decompress(&p, bad_off, sizeof bad_off, out, 8),
                 TGM_ERROR_COMPRESSION);

    /* Random single-byte corruptions and prefixes never crash and never
     * yield a wrong-size success. */
    unsigned char *mz = malloc(zl), *ml = malloc(ll);
    uint32_t s = 99;
    for (int it = 0; it < 400; it++) {
        memcpy(mz, z, zl);
        memcpy(ml, l, ll);
        s = s * 1664525u + 1013904223u;
        mz[(s >> 8) % zl] ^= (unsigned char)(1 + (s & 0x7F));
        ml[4 + (s >> 8) % (ll - 4)] ^= (unsigned char)(1 + (s & 0x7F));
        tgm_error e1 = tgm__codec_zstd.decompress(&p, mz, zl, out, n);
        tgm_error e2 = tgm__codec_lz4.decompress(&p, ml, ll, out, n);
        TT_CHECK(e1 == TGM_ERROR_OK || e1 == TGM_ERROR_COMPRESSION);
        TT_CHECK(e2 == TGM_ERROR_OK || e2 == TGM_ERROR_COMPRESSION);
    }
    free(mz);
    free(ml);
    free(out);
    free(z);
    free(l);
    free(d);
    TT_CHECK(tgm__codec_zstd.decompress_range == NULL && tgm__codec_lz4.decompress_range == NULL);
    TT_CHECK_EQ_STR(tgm__codec_zstd.name, "zstd");
    TT_CHECK_EQ_STR(tgm__codec_lz4.name, "lz4");
}

/* Output is appended after what the buffer already holds. */
static void test_append(void) {
    tgm_buf b = TGM_BUF_INIT;
    tgm__buf_append(&b, "HDR", 3);
    tgm_codec_params p = params(3, 1);
    unsigned char *d = make_data(1000, DATA_TEXT, 5);
    TT_CHECK_ERR(tgm__codec_zstd.compress(&p, d, 1000, &b, NULL), TGM_ERROR_OK);
    size_t zend = b.len;
    TT_CHECK_ERR(tgm__codec_lz4.compress(&p, d, 1000, &b, NULL), TGM_ERROR_OK);
    TT_CHECK(memcmp(b.data, "HDR", 3) == 0);
    unsigned char out[1000];
    TT_CHECK_ERR(tgm__codec_zstd.decompress(&p, b.data + 3, zend - 3, out, 1000), TGM_ERROR_OK);
    TT_CHECK(memcmp(out, d, 1000) == 0);
    TT_CHECK_ERR(tgm__codec_lz4.decompress(&p, b.data + zend, b.len - zend, out, 1000),
                 TGM_ERROR_OK);
    TT_CHECK(memcmp(out, d, 1000) == 0);
    tgm__buf_free(&b);
    free(d);
}

/* ---- zstd: input handling and reused contexts ------------------------------------ */

/* What the reference's encoder writes: libzstd's buffered streaming encoder,
 * a fresh context, input fed with ZSTD_e_continue, then ZSTD_e_end. */
static unsigned char *zstd_streamed(const unsigned char *src, size_t n, int level, size_t *len) {
    size_t cap = ZSTD_compressBound(n);
    unsigned char *out = malloc(cap);
    ZSTD_CCtx *c = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level);
    ZSTD_inBuffer in = {src, n, 0};
    ZSTD_outBuffer ob = {out, cap, 0};
    while (in.pos < in.size) {
        ZSTD_compressStream2(c, &ob, &in, ZSTD_e_continue);
    }
    while (ZSTD_compressStream2(c, &ob, &in, ZSTD_e_end) != 0) {
    }
    ZSTD_freeCCtx(c);
    *len = ob.pos;
    return out;
}

typedef struct {
    const unsigned char *src;
    size_t n;
    int level;
    unsigned char *out;
    size_t len;
} zstd_job;

static void *zstd_thread(void *v) {
    zstd_job *j = v;
    tgm_codec_params p = params(j->level, 1);
    j->out = squeeze(&tgm__codec_zstd, &p, j->src, j->n, &j->len);
    return NULL;
}

/* Inputs of a block and more are read in place (stable input), smaller
 * ones through the buffered encoder; within the window both give the
 * reference's bytes.  The per-thread context, reused across levels and
 * sizes, gives the bytes a fresh one gives (another thread's). */
static void test_zstd_contexts(void) {
    static const size_t sizes[] = {1000, 131071, 131072, 200000, 500000};
    static const int levels[] = {19, 3, -5, 1, 9, 3};
    unsigned char *d = make_data(500000, DATA_SMOOTH, 11);
    for (size_t li = 0; li < sizeof levels / sizeof levels[0]; li++) {
        for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
            size_t n = sizes[si], la, lb;
            tgm_codec_params p = params(levels[li], 1);
            unsigned char *a = squeeze(&tgm__codec_zstd, &p, d, n, &la);
            unsigned char *b = zstd_streamed(d, n, levels[li], &lb);
            TT_CHECK(a != NULL && la == lb && memcmp(a, b, la) == 0);
            /* No content size, as the reference's streamed frames. */
            TT_CHECK(a != NULL && ZSTD_getFrameContentSize(a, la) == ZSTD_CONTENTSIZE_UNKNOWN);
            free(a);
            free(b);
        }
    }
    free(d);

    /* Beyond the window: a valid frame, the same bytes on every thread. */
    size_t n = (size_t)6 << 20;
    unsigned char *big = make_data(n, DATA_SMOOTH, 12);
    for (size_t i = 0; i < n; i += 4096) {
        big[i] ^= (unsigned char)(i >> 12); /* not one long run */
    }
    zstd_job j = {big, n, 3, NULL, 0};
    pthread_t t;
    TT_ASSERT(pthread_create(&t, NULL, zstd_thread, &j) == 0);
    pthread_join(t, NULL);
    for (int rep = 0; rep < 2; rep++) {
        tgm_codec_params p = params(3, 1);
        size_t la;
        unsigned char *a = squeeze(&tgm__codec_zstd, &p, big, n, &la);
        TT_CHECK(a != NULL && j.out != NULL && la == j.len && memcmp(a, j.out, la) == 0);
        unsigned char *back = malloc(n);
        TT_CHECK_ERR(tgm__codec_zstd.decompress(&p, a, la, back, n), TGM_ERROR_OK);
        TT_CHECK(memcmp(back, big, n) == 0);
        free(back);
        free(a);
    }
    free(j.out);
    free(big);
}

int main(void) {
    int have = nf_dir() != NULL;
    TT_RUN(test_zstd_contexts);
    TT_RUN(test_lz4_format);
    TT_RUN(test_roundtrips);
    TT_RUN(test_hostile);
    TT_RUN(test_append);
    TT_RUN(test_fixtures);
    int rc = tt_finish("test_zstd_lz4");
    if (rc == 0 && !have) {
        TT_SKIP("reference fixtures not found (set TGM_SHARED_DIR); fixture checks skipped");
        return TT_SKIP_CODE;
    }
    return rc;
}
