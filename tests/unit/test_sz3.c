/* sz3 codec (codecs/sz3*.c), against the reference's sz3 streams and on its
 * own:
 *  - every reference stream (../shared/reference/sz3, 35 cases, and
 *    codecs/sz3_abs) decodes to NAME.out.bin bit for bit, and compressing
 *    NAME.in.bin with the descriptor's bound gives the reference's stream
 *    byte for byte;
 *  - round trips in abs, rel and psnr mode over smooth, noisy, random-walk,
 *    stepped and constant data, 1 to 300 000 values, with the absolute
 *    error bound checked on every value (and the PSNR reached);
 *  - the three stream kinds (interpolation, Lorenzo, lossless) all occur,
 *    the lossless ones reproduce the input exactly;
 *  - the Huffman coder alone (single symbol, skewed and flat histograms);
 *  - parameters SZ3 cannot use, and hostile streams: every truncation,
 *    byte flips, and crafted headers, configurations and sections;
 *  - through the public API: every mode and several shapes in both byte
 *    orders within the bound, NaN masks, float32 and other combinations
 *    refused with their reason, range decode refused as the reference
 *    does. */
#include <math.h>

#include "codecs/sz3.h"
#include "codecs/sz3_internal.h"
#include "common/alloc.h"
#include "common/endian.h"
#include "common/error.h"
#include "numeric_fixture.h"
#include "tt.h"

#ifdef TGM_HAVE_SZ3

/* ---- helpers -------------------------------------------------------------- */

static uint32_t lcg(uint32_t *s) {
    *s = *s * 1664525u + 1013904223u;
    return *s;
}

static double gauss(uint32_t *s) {
    double u1 = (lcg(s) >> 8) * (1.0 / 16777216.0) + 1e-9, u2 = (lcg(s) >> 8) * (1.0 / 16777216.0);
    return sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2);
}

typedef enum { SMOOTH, NOISY, WALK, STEPS, CONSTANT, SPIKY } shape;

static double *make(shape k, size_t n, uint32_t seed) {
    double *v = malloc((n + 1) * sizeof *v);
    uint32_t s = seed;
    double acc = 0;
    for (size_t i = 0; i < n; i++) {
        switch (k) {
        case SMOOTH:
            v[i] = 280 + 30 * sin((double)i * 0.002) + 0.05 * gauss(&s);
            break;
        case NOISY:
            v[i] = gauss(&s);
            break;
        case WALK:
            acc += gauss(&s);
            v[i] = acc;
            break;
        case STEPS:
            if (i % 50 == 0) {
                acc = gauss(&s);
            }
            v[i] = acc;
            break;
        case CONSTANT:
            v[i] = 3.25;
            break;
        case SPIKY:
            v[i] = sin((double)i * 0.01) + ((lcg(&s) >> 24) == 0 ? 100 * gauss(&s) : 0);
            break;
        }
    }
    return v;
}

/* Compress; NULL (with a recorded failure) on error. */
static uint8_t *squeeze(const double *v, size_t n, tgm_sz3_mode m, double b, size_t *len) {
    tgm_buf out = TGM_BUF_INIT;
    tgm_error e = tgm__sz3_compress((const uint8_t *)v, n, m, b, &out);
    TT_CHECK_ERR(e, TGM_ERROR_OK);
    if (e != TGM_ERROR_OK) {
        tgm__buf_free(&out);
        return NULL;
    }
    return tgm__buf_steal(&out, len);
}

/* The algorithm recorded in a stream's configuration. */
static int stream_algo(const uint8_t *s, size_t len) {
    uint64_t pay = tgm__rd_le64(s + 8);
    if (pay + 16 + 3 > len) {
        return -1;
    }
    const uint8_t *c = s + 16 + pay;
    return c[3 + (c[2] + 7) / 8 + 8];
}

static double range_of(const double *v, size_t n) {
    double lo = v[0], hi = v[0];
    for (size_t i = 1; i < n; i++) {
        lo = v[i] < lo ? v[i] : lo;
        hi = v[i] > hi ? v[i] : hi;
    }
    return hi - lo;
}

/* ---- the reference's streams --------------------------------------------- */

/* The text value of `key` in a CBOR descriptor. */
static const char *desc_text(const nf_case *c, const char *key, char *buf, size_t cap) {
    size_t kl = strlen(key);
    for (size_t i = 0; i + 2 + kl < c->desc_len; i++) {
        if (c->desc[i] == (0x60 | kl) && memcmp(c->desc + i + 1, key, kl) == 0) {
            unsigned ib = c->desc[i + 1 + kl];
            size_t tl = ib & 31;
            if ((ib >> 5) == 3 && tl < 24 && tl < cap && i + 2 + kl + tl <= c->desc_len) {
                memcpy(buf, c->desc + i + 2 + kl, tl);
                buf[tl] = 0;
                return buf;
            }
        }
    }
    return NULL;
}

static int check_reference_case(const char *dir, const char *name) {
    nf_case c;
    if (nf_load_from(dir, name, &c) != 0) {
        fprintf(stderr, "%s: cannot load\n", name);
        tt_failures++;
        return 0;
    }
    size_t n = c.in_len / 8;
    /* decode */
    uint8_t *dec = malloc(c.out_len + 1);
    tgm_error e = tgm__sz3_decompress(c.payload, c.payload_len, dec, n);
    TT_CHECK_ERR(e, TGM_ERROR_OK);
    if (e == TGM_ERROR_OK && (c.out_len != n * 8 || memcmp(dec, c.out, c.out_len) != 0)) {
        fprintf(stderr, "%s: decoded values differ from .out.bin\n", name);
        tt_failures++;
    }
    tt_checks++;
    /* encode */
    char mode[16];
    double bound;
    TT_CHECK(desc_text(&c, "sz3_error_bound_mode", mode, sizeof mode) != NULL);
    TT_CHECK(nf_desc_num(&c, "sz3_error_bound", &bound) == 0);
    tgm_sz3_mode m = strcmp(mode, "abs") == 0   ? TGM_SZ3_ABS
                     : strcmp(mode, "rel") == 0 ? TGM_SZ3_REL
                                                : TGM_SZ3_PSNR;
    double *in = malloc(c.in_len + 8);
    memcpy(in, c.in, c.in_len);
    size_t len = 0;
    uint8_t *s = squeeze(in, n, m, bound, &len);
    int same = s != NULL && len == c.payload_len && memcmp(s, c.payload, len) == 0;
    if (!same) {
        fprintf(stderr, "%s: our stream differs from the reference's (%zu vs %zu bytes)\n", name,
                len, c.payload_len);
        tt_failures++;
    }
    tt_checks++;
    tgm__free(s);
    free(in);
    free(dec);
    nf_free(&c);
    return same;
}

static void test_reference_streams(void) {
    const char *root = tt_shared_dir();
    if (root == NULL) {
        TT_SKIP("../shared/reference not found");
        return;
    }
    char dir[4200], path[4300];
    snprintf(dir, sizeof dir, "%s/sz3", root);
    snprintf(path, sizeof path, "%s/MANIFEST.json", dir);
    size_t len;
    unsigned char *raw = tt_read_file(path, &len);
    TT_ASSERT(raw != NULL);
    char *manifest = malloc(len + 1); /* as a C string */
    memcpy(manifest, raw, len);
    manifest[len] = 0;
    free(raw);
    /* Names are the manifest's "name" strings. */
    int cases = 0, same = 0;
    for (char *p = manifest; (p = strstr(p, "\"name\": \"")) != NULL;) {
        p += 9;
        char *q = strchr(p, '"');
        TT_ASSERT(q != NULL && q - p < 200);
        char name[256];
        memcpy(name, p, (size_t)(q - p));
        name[q - p] = 0;
        same += check_reference_case(dir, name);
        cases++;
        p = q;
    }
    free(manifest);
    TT_CHECK_EQ_INT(cases, 35);
    snprintf(dir, sizeof dir, "%s/codecs", root);
    same += check_reference_case(dir, "sz3_abs");
    printf("sz3 reference streams: %d of %d byte-identical and decoded bit for bit\n", same,
           cases + 1);
}

/* ---- round trips ---------------------------------------------------------- */

static const char *const shape_names[] = {"smooth", "noisy", "walk", "steps", "constant", "spiky"};

/* Compresses, decompresses and checks every value against the bound that
 * mode implies; returns the stream's algorithm (-1 on failure). */
static int round_trip(shape k, size_t n, tgm_sz3_mode m, double bound, uint32_t seed) {
    double *v = make(k, n, seed);
    size_t len = 0;
    uint8_t *s = squeeze(v, n, m, bound, &len);
    if (s == NULL) {
        free(v);
        return -1;
    }
    double *d = malloc((n + 1) * sizeof *d);
    tgm_error e = tgm__sz3_decompress(s, len, (uint8_t *)d, n);
    TT_CHECK_ERR(e, TGM_ERROR_OK);
    int algo = stream_algo(s, len);
    if (e == TGM_ERROR_OK) {
        double range = range_of(v, n);
        double eb = m == TGM_SZ3_ABS ? bound
                    : m == TGM_SZ3_REL
                        ? bound * range
                        : range * pow(10, -(bound + 10 * log10(1 - 2.0 / 3 * 0.99)) / 20);
        double worst = 0, se = 0;
        for (size_t i = 0; i < n; i++) {
            double err = fabs(d[i] - v[i]);
            worst = err > worst ? err : worst;
            se += err * err;
        }
        if (!(worst <= eb)) {
            fprintf(stderr, "%s n=%zu mode %d bound %g: error %g exceeds %g\n", shape_names[k], n,
                    (int)m, bound, worst, eb);
            tt_failures++;
        }
        tt_checks++;
        if (algo == SZ3_ALGO_LOSSLESS) {
            TT_CHECK(memcmp(d, v, n * 8) == 0);
        }
        if (m == TGM_SZ3_PSNR && se > 0 && range > 0) {
            double psnr = 20 * log10(range) - 10 * log10(se / (double)n);
            /* SZ3 turns the target into an absolute bound assuming uniform
             * errors: the result lands at or above it, give or take. */
            if (!(psnr >= bound - 2.0)) {
                fprintf(stderr, "%s n=%zu: PSNR %.2f below target %g\n", shape_names[k], n, psnr,
                        bound);
                tt_failures++;
            }
            tt_checks++;
        }
    }
    free(d);
    tgm__free(s);
    free(v);
    return algo;
}

static void test_round_trips(void) {
    static const size_t sizes[] = {1, 2, 3, 4, 5, 9, 33, 100, 181, 1000, 4096, 4097, 9000, 70001};
    static const double abs_bounds[] = {1e-6, 1e-3, 0.1, 0};
    static const double rel_bounds[] = {1e-6, 1e-4, 1e-2};
    static const double psnr_bounds[] = {30, 60, 100};
    int seen[8] = {0};
    uint32_t seed = 1;
    for (int k = SMOOTH; k <= SPIKY; k++) {
        for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
            size_t n = sizes[si];
            for (size_t b = 0; b < 4; b++) {
                int a = round_trip((shape)k, n, TGM_SZ3_ABS, abs_bounds[b], seed++);
                seen[a & 7]++;
            }
            for (size_t b = 0; b < 3; b++) {
                int a = round_trip((shape)k, n, TGM_SZ3_REL, rel_bounds[b], seed++);
                seen[a & 7]++;
                a = round_trip((shape)k, n, TGM_SZ3_PSNR, psnr_bounds[b], seed++);
                seen[a & 7]++;
            }
        }
    }
    /* One large field of each kind (anchor grid, sample blocks of 1024). */
    seen[round_trip(SMOOTH, 300000, TGM_SZ3_ABS, 1e-3, 7) & 7]++;
    seen[round_trip(WALK, 300000, TGM_SZ3_REL, 1e-5, 8) & 7]++;
    seen[round_trip(NOISY, 300000, TGM_SZ3_PSNR, 40, 9) & 7]++;
    printf("sz3 round trips: %d interpolation, %d Lorenzo, %d lossless streams\n",
           seen[SZ3_ALGO_INTERP], seen[SZ3_ALGO_LORENZO_REG], seen[SZ3_ALGO_LOSSLESS]);
    TT_CHECK(seen[SZ3_ALGO_INTERP] > 0);
    TT_CHECK(seen[SZ3_ALGO_LORENZO_REG] > 0);
    TT_CHECK(seen[SZ3_ALGO_LOSSLESS] > 0);
}

/* A random walk at a moderate bound is Lorenzo's home ground. */
static void test_lorenzo_chosen(void) {
    TT_CHECK_EQ_INT(round_trip(WALK, 20000, TGM_SZ3_ABS, 0.05, 3), SZ3_ALGO_LORENZO_REG);
    /* Constant data: every bin the same, a one-leaf Huffman tree. */
    TT_CHECK_EQ_INT(round_trip(CONSTANT, 5000, TGM_SZ3_ABS, 1e-3, 1), SZ3_ALGO_INTERP);
    /* Constant data in rel mode: a zero bound, stored losslessly. */
    TT_CHECK_EQ_INT(round_trip(CONSTANT, 5000, TGM_SZ3_REL, 1e-3, 1), SZ3_ALGO_LOSSLESS);
}

/* Misaligned source and destination give the same stream and values. */
static void test_alignment(void) {
    size_t n = 3000, len = 0;
    double *v = make(SMOOTH, n, 5);
    uint8_t *s = squeeze(v, n, TGM_SZ3_ABS, 1e-3, &len);
    TT_ASSERT(s != NULL);
    uint8_t *buf = malloc(n * 8 + 1);
    memcpy(buf + 1, v, n * 8);
    tgm_buf out = TGM_BUF_INIT;
    TT_CHECK_ERR(tgm__sz3_compress(buf + 1, n, TGM_SZ3_ABS, 1e-3, &out), TGM_ERROR_OK);
    TT_CHECK(out.len == len && memcmp(out.data, s, len) == 0);
    double *d = malloc(n * 8);
    TT_CHECK_ERR(tgm__sz3_decompress(s, len, (uint8_t *)d, n), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm__sz3_decompress(s, len, buf + 1, n), TGM_ERROR_OK);
    TT_CHECK(memcmp(buf + 1, d, n * 8) == 0);
    /* Appending after existing bytes keeps them. */
    tgm_buf pre = TGM_BUF_INIT;
    TT_CHECK_ERR(tgm__buf_append(&pre, "abc", 3), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm__sz3_compress((const uint8_t *)v, n, TGM_SZ3_ABS, 1e-3, &pre), TGM_ERROR_OK);
    TT_CHECK(pre.len == len + 3 && memcmp(pre.data, "abc", 3) == 0 &&
             memcmp(pre.data + 3, s, len) == 0);
    tgm__buf_free(&pre);
    tgm__buf_free(&out);
    free(d);
    free(buf);
    tgm__free(s);
    free(v);
}

/* ---- Huffman coder alone -------------------------------------------------- */

static void huff_case(const int32_t *bins, size_t n) {
    sz3_huff h;
    TT_ASSERT(tgm__sz3_huff_build(&h, bins, n, NULL, 0, 0) == TGM_ERROR_OK);
    size_t size = tgm__sz3_huff_save_size(&h) + tgm__sz3_huff_encoded_size(&h);
    uint8_t *buf = calloc(size + 16, 1);
    uint8_t *p = buf;
    tgm__sz3_huff_save(&h, &p);
    tgm__sz3_huff_encode(&h, bins, n, &p);
    TT_CHECK_EQ_INT(p - buf, size);
    tgm__sz3_huff_free(&h);
    sz3_huff_dec d;
    sz3_cur c = {buf, size};
    int32_t *out = malloc(n * sizeof *out);
    TT_CHECK_ERR(tgm__sz3_huff_load(&c, &d), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm__sz3_huff_decode(&d, &c, out, n), TGM_ERROR_OK);
    TT_CHECK_EQ_INT(c.left, 0);
    TT_CHECK(memcmp(out, bins, n * sizeof *out) == 0);
    /* One symbol more than the stream holds: refused, never read past. */
    if (tgm__sz3_huff_encoded_size(&h) > 8 && !d.single) {
        sz3_cur c2 = {buf + tgm__sz3_huff_save_size(&h), size - tgm__sz3_huff_save_size(&h)};
        int32_t *more = malloc((n + 64) * sizeof *more);
        TT_CHECK_ERR(tgm__sz3_huff_decode(&d, &c2, more, n + 64), TGM_ERROR_COMPRESSION);
        free(more);
    }
    tgm__sz3_huff_dec_free(&d);
    free(out);
    free(buf);
}

static void test_huffman(void) {
    size_t n = 100000;
    int32_t *b = malloc(n * sizeof *b);
    uint32_t s = 9;
    for (size_t i = 0; i < n; i++) {
        b[i] = 32768;
    }
    huff_case(b, n); /* one symbol: empty codes */
    huff_case(b, 1);
    for (size_t i = 0; i < n; i++) {
        b[i] = 32768 + (int32_t)(gauss(&s) * 3);
    }
    huff_case(b, n); /* peaked */
    for (size_t i = 0; i < n; i++) {
        b[i] = (int32_t)(lcg(&s) % 65536);
    }
    huff_case(b, n); /* flat over 65536 symbols: 2-byte then 4-byte indices */
    for (size_t i = 0; i < n; i++) {
        /* skewed geometrically: long codes beyond the decoder's table */
        uint32_t r = lcg(&s);
        int k = 0;
        while ((r & 1) && k < 30) {
            r >>= 1;
            k++;
        }
        b[i] = 100 + k;
    }
    huff_case(b, n);
    int32_t two[3] = {5, 6, 5};
    huff_case(two, 3);
    free(b);
}

/* ---- parameters and hostile streams ----------------------------------------- */

static void test_bad_parameters(void) {
    double v[4] = {1, 2, 3, 4};
    tgm_buf out = TGM_BUF_INIT;
    const uint8_t *src = (const uint8_t *)v;
    TT_CHECK_ERR(tgm__sz3_compress(src, 0, TGM_SZ3_ABS, 0.1, &out), TGM_ERROR_ENCODING);
    TT_CHECK_ERR(tgm__sz3_compress(src, 4, TGM_SZ3_ABS, -0.1, &out), TGM_ERROR_ENCODING);
    TT_CHECK(strstr(tgm_last_error(), "sz3_error_bound") != NULL);
    TT_CHECK_ERR(tgm__sz3_compress(src, 4, TGM_SZ3_REL, NAN, &out), TGM_ERROR_ENCODING);
    TT_CHECK_ERR(tgm__sz3_compress(src, 4, TGM_SZ3_ABS, INFINITY, &out), TGM_ERROR_ENCODING);
    TT_CHECK_ERR(tgm__sz3_compress(src, 4, TGM_SZ3_PSNR, INFINITY, &out), TGM_ERROR_ENCODING);
    TT_CHECK_EQ_INT(out.len, 0);
    /* A negative PSNR is a (very loose) bound, not an error. */
    TT_CHECK_ERR(tgm__sz3_compress(src, 4, TGM_SZ3_PSNR, -20, &out), TGM_ERROR_OK);
    tgm__buf_free(&out);
}

/* Must fail cleanly (or decode to something), never crash or overrun. */
static void expect_reject(const uint8_t *s, size_t len, size_t n, const char *what) {
    uint8_t *copy = malloc(len ? len : 1); /* exact size: ASan sees any overrun */
    memcpy(copy, s, len);
    double *d = malloc(n * 8 + 8);
    tgm_error e = tgm__sz3_decompress(copy, len, (uint8_t *)d, n);
    if (e != TGM_ERROR_COMPRESSION) {
        fprintf(stderr, "%s: expected a compression error, got %d\n", what, (int)e);
        tt_failures++;
    }
    tt_checks++;
    free(d);
    free(copy);
}

static void test_hostile(void) {
    size_t n = 20000, len = 0, llen = 0, zlen = 0;
    double *v = make(SMOOTH, n, 11);
    uint8_t *s = squeeze(v, n, TGM_SZ3_ABS, 1e-3, &len); /* interpolation */
    double *w = make(WALK, n, 3);
    uint8_t *ls = squeeze(w, n, TGM_SZ3_ABS, 0.05, &llen); /* Lorenzo */
    double *z = make(NOISY, n, 13);
    uint8_t *zs = squeeze(z, n, TGM_SZ3_ABS, 1e-9, &zlen); /* lossless */
    TT_ASSERT(s != NULL && ls != NULL && zs != NULL);
    TT_CHECK_EQ_INT(stream_algo(s, len), SZ3_ALGO_INTERP);
    TT_CHECK_EQ_INT(stream_algo(ls, llen), SZ3_ALGO_LORENZO_REG);
    TT_CHECK_EQ_INT(stream_algo(zs, zlen), SZ3_ALGO_LOSSLESS);
    const uint8_t *streams[3] = {s, ls, zs};
    size_t lens[3] = {len, llen, zlen};
    double *d = malloc(n * 8);
    for (int k = 0; k < 3; k++) {
        /* every truncation */
        for (size_t cut = 0; cut < lens[k]; cut += cut < 64 ? 1 : 37) {
            expect_reject(streams[k], cut, n, "truncated");
        }
        /* the wrong value count */
        TT_CHECK_ERR(tgm__sz3_decompress(streams[k], lens[k], (uint8_t *)d, n - 1),
                     TGM_ERROR_COMPRESSION);
        TT_CHECK(strstr(tgm_last_error(), "values") != NULL);
        /* single byte flips: an error or some values, never a crash */
        uint8_t *f = malloc(lens[k]);
        for (size_t i = 0; i < lens[k]; i += 1 + i / 16) {
            memcpy(f, streams[k], lens[k]);
            f[i] ^= (uint8_t)(1u << (i % 8));
            tgm_error e = tgm__sz3_decompress(f, lens[k], (uint8_t *)d, n);
            TT_CHECK(e == TGM_ERROR_OK || e == TGM_ERROR_COMPRESSION);
        }
        free(f);
    }
    /* crafted headers and configurations */
    uint8_t *f = malloc(len);
    memcpy(f, s, len);
    f[0] ^= 1;
    expect_reject(f, len, n, "magic");
    memcpy(f, s, len);
    f[6] = 2; /* version 3.2.2 */
    expect_reject(f, len, n, "version");
    memcpy(f, s, len);
    tgm__wr_le64(f + 8, UINT64_MAX - 3);
    expect_reject(f, len, n, "payload size");
    uint64_t pay = tgm__rd_le64(s + 8);
    uint8_t *cfg = f + 16 + pay;
    size_t after = 3 + (size_t)(s[16 + pay + 2] + 7) / 8; /* value count offset */
    memcpy(f, s, len);
    cfg[1] = 2; /* two dimensions */
    expect_reject(f, len, n, "dimensions");
    memcpy(f, s, len);
    cfg[0]++;
    expect_reject(f, len, n, "configuration size");
    memcpy(f, s, len);
    cfg[after + 8] = SZ3_ALGO_NOPRED;
    expect_reject(f, len, n, "algorithm");
    TT_CHECK(strstr(tgm_last_error(), "NOPRED") != NULL);
    memcpy(f, s, len);
    cfg[after + 19] = 0; /* float */
    expect_reject(f, len, n, "data type");
    memcpy(f, s, len);
    tgm__wr_le64(cfg + after, (uint64_t)n + 1);
    expect_reject(f, len, n, "value count");
    memcpy(f, s, len);
    cfg[after + 8] = SZ3_ALGO_LOSSLESS; /* an interpolation section read as raw values */
    expect_reject(f, len, n, "lossless size");
    /* a section that claims far more bytes than n values can need */
    memcpy(f, s, len);
    tgm__wr_le64(f + 16, (uint64_t)1 << 40);
    expect_reject(f, len, n, "section size");
    TT_CHECK(strstr(tgm_last_error(), "more than") != NULL);
    free(f);
    free(d);
    tgm__free(s);
    tgm__free(ls);
    tgm__free(zs);
    free(v);
    free(w);
    free(z);
}

/* Crafted sections: built with the project's writer, then damaged before
 * the lossless stage, so the section parser sees them. */
static uint8_t *wrap_section(const uint8_t *sec, size_t slen, size_t n, size_t *len) {
    sz3_ctx cx = {ZSTD_createCCtx(), TGM_BUF_INIT, TGM_BUF_INIT};
    tgm_buf out = TGM_BUF_INIT;
    tgm__buf_append_zeros(&out, 16);
    tgm__sz3_lossless(&cx, sec, slen, &out);
    size_t pay = out.len - 16;
    /* configuration: interpolation, n values */
    uint8_t cfg[64];
    unsigned w = 0;
    for (uint64_t t = n; t; t >>= 1) {
        w++;
    }
    size_t db = (w + 7) / 8, k = 0;
    cfg[k++] = (uint8_t)(32 + db);
    cfg[k++] = 1;
    cfg[k++] = (uint8_t)w;
    for (size_t i = 0; i < db; i++) {
        cfg[k++] = (uint8_t)(n >> (8 * i));
    }
    tgm__wr_le64(cfg + k, n);
    k += 8;
    cfg[k++] = SZ3_ALGO_INTERP;
    cfg[k++] = 0;
    double eb = 1e-3;
    memcpy(cfg + k, &eb, 8);
    k += 8;
    cfg[k++] = 0xE0;
    cfg[k++] = 1;
    tgm__wr_le32(cfg + k, 65536);
    tgm__wr_le32(cfg + k + 4, 128);
    cfg[k + 8] = 1;
    k += 9;
    tgm__buf_append(&out, cfg, k);
    tgm__wr_le32(out.data, SZ3_MAGIC);
    tgm__wr_le32(out.data + 4, SZ3_DATA_VERSION);
    tgm__wr_le64(out.data + 8, pay);
    ZSTD_freeCCtx(cx.zc);
    tgm__buf_free(&cx.scratch);
    tgm__buf_free(&cx.zout);
    return tgm__buf_steal(&out, len);
}

static void test_hostile_sections(void) {
    size_t n = 1000;
    double *v = make(SMOOTH, n, 4);
    sz3_interp_params ip = {1, 0, 32, 0, 1.25, 2.0};
    sz3_quant q;
    tgm__sz3_quant_init(&q, 1e-3, 32768);
    int32_t *bins = malloc(n * sizeof *bins);
    tgm__sz3_interp_compress(v, n, &ip, &q, bins);
    tgm_buf sec = TGM_BUF_INIT;
    TT_ASSERT(tgm__sz3_write_interp(n, &ip, &q, bins, n, &sec) == TGM_ERROR_OK);
    size_t len;
    uint8_t *st = wrap_section(sec.data, sec.len, n, &len);
    double *d = malloc(n * 8);
    /* the untouched section decodes to what the compressor reconstructed */
    TT_CHECK_ERR(tgm__sz3_decompress(st, len, (uint8_t *)d, n), TGM_ERROR_OK);
    TT_CHECK(memcmp(d, v, n * 8) == 0);
    tgm__free(st);
    struct {
        size_t off;
        int width;
        uint64_t val;
        const char *what;
    } cuts[] = {
        {0, 8, 999, "dimension"},
        {8, 4, 33, "odd block size"},
        {12, 4, 7, "algorithm"},
        {16, 4, 1, "direction"},
        {20, 8, 48, "anchor stride"},
        {44, 1, 3, "quantiser id"},
        {57, 8, 1u << 30, "unpredictable count"},
        {65 + 8 * q.n_unpred + 4, 4, 0x7FFFFFFF, "Huffman node count"},
        {65 + 8 * q.n_unpred + 4, 4, 4, "even node count"},
    };
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        uint8_t *b = malloc(sec.len);
        memcpy(b, sec.data, sec.len);
        if (cuts[i].width == 8) {
            tgm__wr_le64(b + cuts[i].off, cuts[i].val);
        } else if (cuts[i].width == 4) {
            if (strstr(cuts[i].what, "node") != NULL) {
                tgm__wr_be32(b + cuts[i].off, (uint32_t)cuts[i].val);
            } else {
                tgm__wr_le32(b + cuts[i].off, (uint32_t)cuts[i].val);
            }
        } else {
            b[cuts[i].off] = (uint8_t)cuts[i].val;
        }
        st = wrap_section(b, sec.len, n, &len);
        expect_reject(st, len, n, cuts[i].what);
        tgm__free(st);
        free(b);
    }
    /* the bin count, and a section with trailing bytes */
    uint8_t *b = malloc(sec.len + 1);
    memcpy(b, sec.data, sec.len);
    b[sec.len] = 0;
    st = wrap_section(b, sec.len + 1, n, &len);
    expect_reject(st, len, n, "trailing byte");
    tgm__free(st);
    free(b);
    tgm__buf_free(&sec);
    tgm__sz3_quant_free(&q);
    free(bins);
    free(d);
    free(v);
}

/* ---- through the public API ------------------------------------------------ */

static char *sz3_meta(const char *dtype, const char *dims, const char *order, const char *mode,
                      double bound, const char *extra) {
    static char buf[1024];
    int nd = 1;
    for (const char *c = dims; *c; c++) {
        nd += *c == ',';
    }
    char strides[64] = "";
    if (nd == 1) {
        snprintf(strides, sizeof strides, "[1]");
    } else if (nd == 2) {
        snprintf(strides, sizeof strides, "[50,1]");
    } else {
        snprintf(strides, sizeof strides, "[256,16,1]");
    }
    snprintf(buf, sizeof buf,
             "{\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":%d,\"shape\":[%s],"
             "\"strides\":%s,\"dtype\":\"%s\",\"byte_order\":\"%s\",\"encoding\":\"none\","
             "\"filter\":\"none\",\"compression\":\"sz3\",\"sz3_error_bound_mode\":\"%s\","
             "\"sz3_error_bound\":%.17g%s}]}",
             nd, dims, strides, dtype, order, mode, bound, extra);
    return buf;
}

static void bswap8(uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++, p += 8) {
        for (int k = 0; k < 4; k++) {
            uint8_t t = p[k];
            p[k] = p[7 - k];
            p[7 - k] = t;
        }
    }
}

static void test_pipeline(void) {
    static const struct {
        const char *shape;
        size_t n;
    } shapes[] = {{"2048", 2048}, {"40,50", 2000}, {"8,16,16", 2048}};
    static const struct {
        const char *mode;
        tgm_sz3_mode m;
        double bound;
    } modes[] = {
        {"abs", TGM_SZ3_ABS, 1e-3}, {"rel", TGM_SZ3_REL, 1e-4}, {"psnr", TGM_SZ3_PSNR, 70}};
    for (size_t si = 0; si < 3; si++) {
        size_t n = shapes[si].n;
        double *v = make(SMOOTH, n, (uint32_t)si + 20);
        double range = range_of(v, n);
        for (size_t mi = 0; mi < 3; mi++) {
            for (int big = 0; big <= 1; big++) {
                const char *meta = sz3_meta("float64", shapes[si].shape, big ? "big" : "little",
                                            modes[mi].mode, modes[mi].bound, "");
                uint8_t *in = malloc(n * 8);
                memcpy(in, v, n * 8);
                if (big) {
                    bswap8(in, n);
                }
                const uint8_t *ptrs[1] = {in};
                size_t lens[1] = {n * 8};
                tgm_bytes_t msg;
                tgm_error e = tgm_encode(meta, ptrs, lens, 1, "xxh3", 0, &msg);
                TT_CHECK_ERR(e, TGM_ERROR_OK);
                free(in);
                if (e != TGM_ERROR_OK) {
                    continue;
                }
                tgm_message_t *m = NULL;
                TT_CHECK_ERR(tgm_decode(msg.data, msg.len, 1, 0, 1, &m), TGM_ERROR_OK);
                size_t len = 0;
                const double *d =
                    m ? (const double *)(const void *)tgm_object_data(m, 0, &len) : NULL;
                TT_CHECK(d != NULL && len == n * 8);
                double eb =
                    modes[mi].m == TGM_SZ3_ABS ? modes[mi].bound
                    : modes[mi].m == TGM_SZ3_REL
                        ? modes[mi].bound * range
                        : range * pow(10, -(modes[mi].bound + 10 * log10(1 - 2.0 / 3 * 0.99)) / 20);
                double worst = 0;
                for (size_t i = 0; d != NULL && i < n; i++) {
                    double err = fabs(d[i] - v[i]);
                    worst = err > worst ? err : worst;
                }
                if (!(worst <= eb)) {
                    fprintf(stderr, "pipeline %s %s %s: error %g above %g\n", shapes[si].shape,
                            modes[mi].mode, big ? "big" : "little", worst, eb);
                    tt_failures++;
                }
                tt_checks++;
                /* The reference refuses range decodes of sz3; so does this. */
                uint64_t off = 10, cnt = 5;
                tgm_bytes_t part = {NULL, 0};
                size_t pc = 0;
                TT_CHECK_ERR(
                    tgm_decode_range(msg.data, msg.len, 0, &off, &cnt, 1, 1, 0, 1, &part, &pc),
                    TGM_ERROR_COMPRESSION);
                TT_CHECK(strstr(tgm_last_error(), "sz3") != NULL);
                tgm_message_free(m);
                tgm_bytes_free(msg);
            }
        }
        free(v);
    }

    /* NaN and infinities through the masks: restored, the rest within the bound. */
    {
        size_t n = 3000;
        double *v = make(SMOOTH, n, 31);
        v[10] = NAN;
        v[2000] = INFINITY;
        v[2999] = -INFINITY;
        const uint8_t *ptrs[1] = {(const uint8_t *)v};
        size_t lens[1] = {n * 8};
        TgmEncodeMaskOptions mo;
        memset(&mo, 0, sizeof mo);
        mo.allow_nan = 1;
        mo.allow_inf = 1;
        mo.small_mask_threshold_bytes = -1;
        tgm_bytes_t msg;
        TT_ASSERT(tgm_encode_with_options(sz3_meta("float64", "3000", "little", "abs", 1e-3, ""),
                                          ptrs, lens, 1, "xxh3", 0, &mo, &msg) == TGM_ERROR_OK);
        tgm_message_t *m = NULL;
        TT_ASSERT(tgm_decode(msg.data, msg.len, 1, 0, 1, &m) == TGM_ERROR_OK);
        size_t len;
        const double *d = (const double *)(const void *)tgm_object_data(m, 0, &len);
        TT_CHECK(len == n * 8 && isnan(d[10]) && d[2000] == INFINITY && d[2999] == -INFINITY);
        int within = 1;
        for (size_t i = 0; i < n; i++) {
            if (isfinite(v[i])) {
                within &= fabs(d[i] - v[i]) <= 1e-3;
            }
        }
        TT_CHECK(within);
        tgm_message_free(m);
        tgm_bytes_free(msg);
        /* Without the option, the NaN is refused. */
        TT_CHECK_ERR(tgm_encode(sz3_meta("float64", "3000", "little", "abs", 1e-3, ""), ptrs, lens,
                                1, "xxh3", 0, &msg),
                     TGM_ERROR_ENCODING);
        free(v);
    }

    /* Refused, with the reason: float32 (the reference would hand SZ3 the
     * bytes as doubles), an empty array, a negative bound. */
    float f[4] = {1, 2, 3, 4};
    const uint8_t *fp[1] = {(const uint8_t *)f};
    size_t fl[1] = {sizeof f};
    tgm_bytes_t msg;
    TT_CHECK_ERR(
        tgm_encode(sz3_meta("float32", "4", "little", "abs", 0.1, ""), fp, fl, 1, NULL, 0, &msg),
        TGM_ERROR_ENCODING);
    TT_CHECK(strstr(tgm_last_error(), "only supports dtype=float64") != NULL);
    /* The same on decode: a float32 object whose payload is an sz3 stream of
     * its bytes read as doubles (what the reference writes for float32) is
     * refused, not decoded to garbage.  Made from a float64 message (8
     * doubles) by renaming its dtype and doubling its shape (8 -> 16 float32
     * values, the same 64 bytes); no hash, so nothing else changes. */
    {
        double w[8] = {1, 2, 3, 4, 5, 6, 7, 8};
        const uint8_t *wp[1] = {(const uint8_t *)w};
        size_t wl[1] = {sizeof w};
        tgm_bytes_t m64;
        TT_ASSERT(tgm_encode(sz3_meta("float64", "8", "little", "abs", 0.1, ""), wp, wl, 1, NULL, 0,
                             &m64) == TGM_ERROR_OK);
        uint8_t *b = malloc(m64.len);
        memcpy(b, m64.data, m64.len);
        int renamed = 0, reshaped = 0;
        for (size_t i = 0; i + 7 <= m64.len; i++) {
            if (memcmp(b + i, "float64", 7) == 0) {
                memcpy(b + i, "float32", 7);
                renamed++;
            }
            /* "shape": [8] in CBOR: text(5) "shape", array(1), uint 8. */
            if (i + 8 <= m64.len && memcmp(b + i, "\x65shape\x81\x08", 8) == 0) {
                b[i + 7] = 0x10;
                reshaped++;
            }
        }
        TT_CHECK(renamed > 0 && reshaped > 0);
        tgm_message_t *m = NULL;
        TT_CHECK_ERR(tgm_decode(b, m64.len, 1, 1, 0, &m), TGM_ERROR_ENCODING);
        TT_CHECK(m == NULL);
        TT_CHECK(strstr(tgm_last_error(), "only supports dtype=float64, got dtype=Float32") !=
                 NULL);
        free(b);
        tgm_bytes_free(m64);
    }
    double dv[4] = {1, 2, 3, 4};
    const uint8_t *dp[1] = {(const uint8_t *)dv};
    size_t dl[1] = {0};
    TT_CHECK(tgm_encode(sz3_meta("float64", "0", "little", "abs", 0.1, ""), dp, dl, 1, NULL, 0,
                        &msg) != TGM_ERROR_OK);
    TT_CHECK(strstr(tgm_last_error(), "empty") != NULL);
    dl[0] = sizeof dv;
    TT_CHECK(tgm_encode(sz3_meta("float64", "4", "little", "abs", -0.1, ""), dp, dl, 1, NULL, 0,
                        &msg) != TGM_ERROR_OK);
    TT_CHECK(strstr(tgm_last_error(), "sz3_error_bound") != NULL);
    TT_CHECK(tgm_encode(sz3_meta("float64", "4", "little", "relative", 0.1, ""), dp, dl, 1, NULL, 0,
                        &msg) != TGM_ERROR_OK);
    TT_CHECK(strstr(tgm_last_error(), "unknown sz3_error_bound_mode") != NULL);
}

/* Every allocation of an encode (tuning included) and a decode made to fail
 * in turn, once and for good: an error with a detail, or the clean result;
 * ASan/LSan see any leak (builds with TGM_ALLOC_INJECTION only). */
static void test_alloc_failures(void) {
    if (!tgm__alloc_injection_enabled()) {
        TT_SKIP("allocation-failure injection not built in");
        return;
    }
    size_t n = 6000, len = 0; /* anchored, tuned */
    double *v = make(WALK, n, 3);
    uint8_t *clean = squeeze(v, n, TGM_SZ3_ABS, 0.05, &len);
    TT_ASSERT(clean != NULL);
    double *d = malloc(n * 8);
    for (int phase = 0; phase < 2; phase++) {
        tgm__alloc_fail_after(0, 0);
        uint64_t base = tgm__alloc_count();
        tgm_buf out = TGM_BUF_INIT;
        if (phase == 0) {
            TT_CHECK_ERR(tgm__sz3_compress((const uint8_t *)v, n, TGM_SZ3_ABS, 0.05, &out),
                         TGM_ERROR_OK);
        } else {
            TT_CHECK_ERR(tgm__sz3_decompress(clean, len, (uint8_t *)d, n), TGM_ERROR_OK);
        }
        uint64_t count = tgm__alloc_count() - base;
        tgm__buf_free(&out);
        TT_CHECK(count > 0);
        for (uint64_t k = 1; k <= count; k++) {
            for (int sticky = 0; sticky <= 1; sticky++) {
                tgm__alloc_fail_after(k, sticky);
                tgm_error e;
                if (phase == 0) {
                    e = tgm__sz3_compress((const uint8_t *)v, n, TGM_SZ3_ABS, 0.05, &out);
                } else {
                    e = tgm__sz3_decompress(clean, len, (uint8_t *)d, n);
                }
                tgm__alloc_fail_after(0, 0);
                if (e == TGM_ERROR_OK) {
                    TT_CHECK(phase == 1 || (out.len == len && memcmp(out.data, clean, len) == 0));
                } else {
                    TT_CHECK(tgm_last_error() != NULL && strlen(tgm_last_error()) > 0);
                }
                tgm__buf_free(&out);
            }
        }
    }
    free(d);
    tgm__free(clean);
    free(v);
}

int main(void) {
    TT_RUN(test_reference_streams);
    TT_RUN(test_round_trips);
    TT_RUN(test_lorenzo_chosen);
    TT_RUN(test_alignment);
    TT_RUN(test_huffman);
    TT_RUN(test_bad_parameters);
    TT_RUN(test_hostile);
    TT_RUN(test_hostile_sections);
    TT_RUN(test_pipeline);
    TT_RUN(test_alloc_failures);
    return tt_finish("test_sz3");
}

#else

int main(void) {
    printf("SKIP: sz3 is not built in\n");
    return TT_SKIP_CODE;
}

#endif
