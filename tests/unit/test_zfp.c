/* zfp codec: byte-identical streams and bit-identical reconstructions
 * against the reference's fixtures, agreement with libzfp's own
 * zfp_compress, round trips in every mode, parallel fixed-rate invariance,
 * range decode, and hostile streams and parameters. */
#include <math.h>
#ifdef TGM_TEST_HAVE_LIBZFP
#include <zfp.h>
#endif

#include "codecs/zfp.h"
#include "common/alloc.h"
#include "common/error.h"
#include "numeric_fixture.h"
#include "tt.h"

static tgm_codec_params mode_params(tgm_zfp_mode mode, double arg, size_t n, uint32_t threads) {
    tgm_codec_params p;
    tgm__codec_params_init(&p, 8, n * 8);
    p.threads = threads;
    tgm_zfp_params zp;
    memset(&zp, 0, sizeof zp);
    zp.mode = mode;
    zp.num_values = n;
    if (mode == TGM_ZFP_FIXED_RATE) {
        zp.rate = arg;
    } else if (mode == TGM_ZFP_FIXED_PRECISION) {
        zp.precision = (uint32_t)arg;
    } else {
        zp.tolerance = arg;
    }
    TGM_CODEC_OWN_PUT(&p, zp);
    return p;
}

static unsigned char *squeeze(const tgm_codec_params *p, const void *src, size_t n_bytes,
                              size_t *len) {
    tgm_buf b = TGM_BUF_INIT;
    tgm_error e = tgm__codec_zfp.compress(p, src, n_bytes, &b, NULL);
    TT_CHECK_ERR(e, TGM_ERROR_OK);
    if (e != TGM_ERROR_OK) {
        tgm__buf_free(&b);
        *len = 0;
        return NULL;
    }
    return tgm__buf_steal(&b, len);
}

static double *smooth(size_t n, uint32_t seed) {
    double *v = calloc(n + 1, 8);
    uint32_t s = seed;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        v[i] = 280.0 + 30.0 * sin((double)i * 0.01) + 1e-3 * (double)(s >> 20);
    }
    return v;
}

#ifdef TGM_TEST_HAVE_LIBZFP
/* libzfp's whole-array compression of the same values (its stream ends at
 * a word boundary: 8 or 64 bits depending on how libzfp was built). */
static size_t zfp_lib_compress(const tgm_codec_params *cp, double *v, size_t n,
                               unsigned char **out) {
    tgm_zfp_params zp;
    TGM_CODEC_OWN_GET(cp, zp);
    const tgm_zfp_params *p = &zp;
    zfp_field *f = zfp_field_1d(v, zfp_type_double, n);
    zfp_stream *zs = zfp_stream_open(NULL);
    if (p->mode == TGM_ZFP_FIXED_RATE) {
        zfp_stream_set_rate(zs, p->rate, zfp_type_double, 1, zfp_false);
    } else if (p->mode == TGM_ZFP_FIXED_PRECISION) {
        zfp_stream_set_precision(zs, p->precision);
    } else {
        zfp_stream_set_accuracy(zs, p->tolerance);
    }
    size_t cap = zfp_stream_maximum_size(zs, f);
    *out = malloc(cap);
    bitstream *bs = stream_open(*out, cap);
    zfp_stream_set_bit_stream(zs, bs);
    zfp_stream_rewind(zs);
    size_t len = zfp_compress(zs, f);
    stream_close(bs);
    zfp_stream_close(zs);
    zfp_field_free(f);
    return len;
}
#endif

/* ---- fixtures ------------------------------------------------------------ */

static void check_fixture(const char *name, tgm_zfp_mode mode, const char *key) {
    nf_case c;
    tt_current = name;
    if (nf_load(name, &c) != 0) {
        fprintf(stderr, "fixture %s missing\n", name);
        TT_CHECK(0);
        return;
    }
    double arg = 0;
    TT_ASSERT(nf_desc_num(&c, key, &arg) == 0);
    size_t n = c.in_len / 8;
    static const uint32_t threads[] = {1, 2, 3, 8};
    for (size_t t = 0; t < 4; t++) {
        tgm_codec_params p = mode_params(mode, arg, n, threads[t]);
        size_t len;
        unsigned char *z = squeeze(&p, c.in, c.in_len, &len);
        TT_CHECK_EQ_INT(len, c.payload_len);
        TT_CHECK(z != NULL && len == c.payload_len && memcmp(z, c.payload, len) == 0);
        free(z);
        unsigned char *dec = malloc(n * 8 + 1);
        /* An odd address: the codec must not assume alignment. */
        unsigned char *odd = malloc(n * 8 + 2);
        TT_CHECK_ERR(tgm__codec_zfp.decompress(&p, c.payload, c.payload_len, dec, n * 8),
                     TGM_ERROR_OK);
        TT_CHECK(memcmp(dec, c.out, n * 8) == 0);
        TT_CHECK_ERR(tgm__codec_zfp.decompress(&p, c.payload, c.payload_len, odd + 1, n * 8),
                     TGM_ERROR_OK);
        TT_CHECK(memcmp(odd + 1, c.out, n * 8) == 0);
        free(odd);
        free(dec);
    }
    /* Range decode equals the slice of the reference's reconstruction. */
    tgm_codec_params p = mode_params(mode, arg, n, 1);
    static const size_t starts[] = {0, 1, 2, 3, 4, 5, 4097, 19990, 19999};
    unsigned char out[64 * 8];
    for (size_t k = 0; k < sizeof starts / sizeof starts[0]; k++) {
        size_t cnt = n - starts[k] < 37 ? n - starts[k] : 37;
        TT_CHECK_ERR(tgm__codec_zfp.decompress_range(&p, c.payload, c.payload_len, NULL, 0,
                                                     starts[k] * 8, cnt * 8, out),
                     TGM_ERROR_OK);
        TT_CHECK(memcmp(out, c.out + 8 * starts[k], cnt * 8) == 0);
    }
    nf_free(&c);
}

static void test_fixtures(void) {
    if (nf_dir() == NULL) {
        return;
    }
    check_fixture("zfp_rate16", TGM_ZFP_FIXED_RATE, "zfp_rate");
    check_fixture("zfp_prec20", TGM_ZFP_FIXED_PRECISION, "zfp_precision");
    check_fixture("zfp_acc", TGM_ZFP_FIXED_ACCURACY, "zfp_tolerance");
}

/* ---- agreement with libzfp and round trips --------------------------------- */

static void roundtrip(tgm_zfp_mode mode, double arg, size_t n, uint32_t threads) {
    double *v = smooth(n, (uint32_t)(n + mode));
    tgm_codec_params p = mode_params(mode, arg, n, threads);
    size_t len;
    unsigned char *z = squeeze(&p, v, n * 8, &len);
#ifdef TGM_TEST_HAVE_LIBZFP
    /* libzfp's own stream: the same bytes, perhaps padded to a whole word. */
    unsigned char *lib = NULL;
    size_t lib_len = n ? zfp_lib_compress(&p, v, n, &lib) : 0;
    TT_CHECK(lib_len == len || lib_len == (len + 7) / 8 * 8);
    TT_CHECK(n == 0 || memcmp(lib, z, len) == 0);
    free(lib);
#endif
    double *d = malloc(n * 8 + 8);
    TT_CHECK_ERR(tgm__codec_zfp.decompress(&p, z, len, (uint8_t *)d, n * 8), TGM_ERROR_OK);
    int ok = 1;
    for (size_t i = 0; i < n; i++) {
        double err = fabs(d[i] - v[i]);
        if (mode == TGM_ZFP_FIXED_ACCURACY) {
            ok &= err <= arg;
        } else if (mode == TGM_ZFP_FIXED_RATE && arg >= 48) {
            ok &= err <= 1e-6;
        } else {
            ok &= err <= 100.0; /* lossy at low rates: only sanity */
        }
    }
    TT_CHECK(ok);
    /* Ranges at block-unaligned offsets match the full decode. */
    if (n > 0) {
        double *r = malloc(n * 8);
        size_t offs[3] = {0, n / 3, n - 1};
        for (int k = 0; k < 3; k++) {
            size_t cnt = n - offs[k] < 101 ? n - offs[k] : 101;
            TT_CHECK_ERR(tgm__codec_zfp.decompress_range(&p, z, len, NULL, 0, offs[k] * 8, cnt * 8,
                                                         (uint8_t *)r),
                         TGM_ERROR_OK);
            TT_CHECK(memcmp(r, d + offs[k], cnt * 8) == 0);
        }
        free(r);
    }
    free(d);
    free(z);
    free(v);
}

static void test_roundtrips(void) {
    static const size_t sizes[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 1000, 100001};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        roundtrip(TGM_ZFP_FIXED_RATE, 16.0, sizes[i], 1);
        roundtrip(TGM_ZFP_FIXED_RATE, 7.3, sizes[i], 1);
        roundtrip(TGM_ZFP_FIXED_RATE, 64.0, sizes[i], 1);
        roundtrip(TGM_ZFP_FIXED_PRECISION, 20, sizes[i], 1);
        roundtrip(TGM_ZFP_FIXED_PRECISION, 64, sizes[i], 1);
        roundtrip(TGM_ZFP_FIXED_ACCURACY, 0.01, sizes[i], 1);
        roundtrip(TGM_ZFP_FIXED_ACCURACY, 1e-9, sizes[i], 1);
    }
    roundtrip(TGM_ZFP_FIXED_RATE, 24.0, 600001, 2);
    roundtrip(TGM_ZFP_FIXED_ACCURACY, 1e-3, 600001, 2);
}

static void test_threads(void) {
    size_t n = 700003; /* > 4 MiB, a partial last block */
    double *v = smooth(n, 11);
    static const double rates[] = {16.0, 5.0, 33.25};
    for (size_t r = 0; r < 3; r++) {
        tgm_codec_params p1 = mode_params(TGM_ZFP_FIXED_RATE, rates[r], n, 1);
        size_t l1;
        unsigned char *z1 = squeeze(&p1, v, n * 8, &l1);
        double *d1 = malloc(n * 8), *dt = malloc(n * 8);
        TT_CHECK_ERR(tgm__codec_zfp.decompress(&p1, z1, l1, (uint8_t *)d1, n * 8), TGM_ERROR_OK);
        static const uint32_t threads[] = {2, 3, 8};
        for (size_t t = 0; t < 3; t++) {
            tgm_codec_params pt = mode_params(TGM_ZFP_FIXED_RATE, rates[r], n, threads[t]);
            size_t lt;
            unsigned char *zt = squeeze(&pt, v, n * 8, &lt);
            TT_CHECK(lt == l1 && memcmp(zt, z1, l1) == 0);
            TT_CHECK_ERR(tgm__codec_zfp.decompress(&pt, z1, l1, (uint8_t *)dt, n * 8),
                         TGM_ERROR_OK);
            TT_CHECK(memcmp(dt, d1, n * 8) == 0);
            free(zt);
        }
        free(d1);
        free(dt);
        free(z1);
    }
    free(v);
}

/* ---- hostile input and parameters ------------------------------------------ */

static void test_errors(void) {
    size_t n = 1000;
    double *v = smooth(n, 5);
    unsigned char out[8000];
    tgm_codec_params p = mode_params(TGM_ZFP_FIXED_RATE, 16.0, n, 1);
    size_t len;
    unsigned char *z = squeeze(&p, v, n * 8, &len);
    TT_CHECK_EQ_INT(len, 2000); /* 250 blocks of 64 bits */

    /* Empty and zero-count combinations. */
    tgm_codec_params p0 = mode_params(TGM_ZFP_FIXED_RATE, 16.0, 0, 1);
    TT_CHECK_ERR(tgm__codec_zfp.decompress(&p0, z, 0, out, 0), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm__codec_zfp.decompress(&p0, z, len, out, 0), TGM_ERROR_COMPRESSION);
    TT_CHECK_EQ_STR(tgm_last_error(), "compression error: zfp error: num_values=0 with non-empty "
                                      "compressed stream (malformed zfp descriptor)");
    TT_CHECK_ERR(tgm__codec_zfp.decompress(&p, z, 0, out, n * 8), TGM_ERROR_COMPRESSION);
    TT_CHECK_EQ_STR(tgm_last_error(), "compression error: zfp error: num_values=1000 with empty "
                                      "compressed stream (truncated or malformed payload)");
    /* Wrong output size; truncated fixed-rate stream; stream too long. */
    TT_CHECK_ERR(tgm__codec_zfp.decompress(&p, z, len, out, n * 8 - 8), TGM_ERROR_COMPRESSION);
    TT_CHECK_ERR(tgm__codec_zfp.decompress(&p, z, len - 1, out, n * 8), TGM_ERROR_COMPRESSION);
    TT_CHECK(strstr(tgm_last_error(), "truncated") != NULL);
    tgm_codec_params pbig = mode_params(TGM_ZFP_FIXED_RATE, 16.0, 4, 1);
    TT_CHECK_ERR(tgm__codec_zfp.decompress(&pbig, z, len, out, 32), TGM_ERROR_COMPRESSION);
    TT_CHECK(strstr(tgm_last_error(), "inconsistent with descriptor") != NULL);
    /* A claimed count far beyond what the stream could hold. */
    tgm_codec_params phuge = mode_params(TGM_ZFP_FIXED_RATE, 16.0, (size_t)1 << 40, 1);
    TT_CHECK_ERR(tgm__codec_zfp.decompress(&phuge, z, len, out, 8000), TGM_ERROR_COMPRESSION);
    /* A consistent claim whose stream would need 2^64 bits or more (2^58
     * blocks of 64 bits: the product wraps to 0 in 64 bits): refused before
     * anything is written (the output is only 8000 bytes). */
    for (size_t k = 0; k < 4 && SIZE_MAX > UINT32_MAX; k++) {
        size_t nv = ((size_t)1 << 60) - k;
        tgm_codec_params pw = mode_params(TGM_ZFP_FIXED_RATE, 16.0, nv, 2);
        TT_CHECK_ERR(tgm__codec_zfp.decompress(&pw, z, len, out, nv * 8), TGM_ERROR_COMPRESSION);
        TT_CHECK(strstr(tgm_last_error(), "truncated") != NULL);
        TT_CHECK_ERR(tgm__codec_zfp.decompress_range(&pw, z, len, NULL, 0, 8 * (nv - 9), 64, out),
                     TGM_ERROR_COMPRESSION);
    }

    /* Truncated variable-rate stream: an error, not garbage. */
    tgm_codec_params pa = mode_params(TGM_ZFP_FIXED_ACCURACY, 1e-6, n, 1);
    size_t alen;
    unsigned char *za = squeeze(&pa, v, n * 8, &alen);
    TT_CHECK_ERR(tgm__codec_zfp.decompress(&pa, za, alen / 2, out, n * 8), TGM_ERROR_COMPRESSION);
    TT_CHECK(strstr(tgm_last_error(), "truncated") != NULL);
    TT_CHECK_ERR(tgm__codec_zfp.decompress_range(&pa, za, alen / 2, NULL, 0, 8 * 900, 80, out),
                 TGM_ERROR_COMPRESSION);
    TT_CHECK_ERR(tgm__codec_zfp.decompress_range(&pa, za, alen, NULL, 0, 8 * 900, 80, out),
                 TGM_ERROR_OK);

    /* Random bytes in every mode: errors or values, never a crash. */
    unsigned char junk[3000];
    uint32_t s = 7;
    for (int it = 0; it < 60; it++) {
        size_t jl = 1 + (size_t)it * 37 % 3000;
        for (size_t i = 0; i < jl; i++) {
            s = s * 1664525u + 1013904223u;
            junk[i] = (unsigned char)(s >> 24);
        }
        tgm_codec_params pm = mode_params((tgm_zfp_mode)(1 + it % 3),
                                          it % 3 == 0 ? 16.0 : (it % 3 == 1 ? 30 : 1e-3), n, 1);
        tgm_error e = tgm__codec_zfp.decompress(&pm, junk, jl, out, n * 8);
        TT_CHECK(e == TGM_ERROR_OK || e == TGM_ERROR_COMPRESSION);
        e = tgm__codec_zfp.decompress_range(&pm, junk, jl, NULL, 0, 8 * 500, 8 * 30, out);
        TT_CHECK(e == TGM_ERROR_OK || e == TGM_ERROR_COMPRESSION);
    }

    /* Ranges. */
    TT_CHECK_ERR(tgm__codec_zfp.decompress_range(&p, z, len, NULL, 0, 8 * 990, 8 * 11, out),
                 TGM_ERROR_COMPRESSION);
    TT_CHECK_EQ_STR(tgm_last_error(),
                    "compression error: zfp error: range (990, 11) exceeds total values 1000");
    TT_CHECK_ERR(tgm__codec_zfp.decompress_range(&p, z, len, NULL, 0, 3, 8, out),
                 TGM_ERROR_COMPRESSION);
    TT_CHECK_ERR(tgm__codec_zfp.decompress_range(&p, z, len, NULL, 0, UINT64_MAX - 7, 16, out),
                 TGM_ERROR_COMPRESSION);
    TT_CHECK_ERR(tgm__codec_zfp.decompress_range(&p, z, len, NULL, 0, 8000, 0, out), TGM_ERROR_OK);

    /* Parameters. */
    static const double bad_rates[] = {0.0, -1.0, NAN, INFINITY, 1e9};
    for (size_t i = 0; i < 5; i++) {
        tgm_codec_params pr = mode_params(TGM_ZFP_FIXED_RATE, bad_rates[i], n, 1);
        tgm_buf b = TGM_BUF_INIT;
        TT_CHECK_ERR(tgm__codec_zfp.compress(&pr, (const uint8_t *)v, n * 8, &b, NULL),
                     TGM_ERROR_ENCODING);
        TT_CHECK_ERR(tgm__codec_zfp.decompress(&pr, z, len, out, n * 8), TGM_ERROR_ENCODING);
        tgm__buf_free(&b);
    }
    static const double bad_tol[] = {0.0, -1.0, NAN, INFINITY};
    for (size_t i = 0; i < 4; i++) {
        tgm_codec_params pt = mode_params(TGM_ZFP_FIXED_ACCURACY, bad_tol[i], n, 1);
        tgm_buf b = TGM_BUF_INIT;
        TT_CHECK_ERR(tgm__codec_zfp.compress(&pt, (const uint8_t *)v, n * 8, &b, NULL),
                     TGM_ERROR_ENCODING);
        tgm__buf_free(&b);
    }
    tgm_codec_params pt = mode_params(TGM_ZFP_FIXED_ACCURACY, -1.0, n, 1);
    tgm_buf b = TGM_BUF_INIT;
    TT_CHECK_ERR(tgm__codec_zfp.compress(&pt, (const uint8_t *)v, n * 8, &b, NULL),
                 TGM_ERROR_ENCODING);
    TT_CHECK_EQ_STR(tgm_last_error(),
                    "encoding error: zfp error: zfp_stream_set_accuracy returned 0");
    tgm_codec_params pu = mode_params((tgm_zfp_mode)9, 1.0, n, 1);
    TT_CHECK_ERR(tgm__codec_zfp.compress(&pu, (const uint8_t *)v, n * 8, &b, NULL),
                 TGM_ERROR_ENCODING);
    TT_CHECK_ERR(tgm__codec_zfp.compress(&p, (const uint8_t *)v, 12, &b, NULL), TGM_ERROR_ENCODING);
    TT_CHECK_EQ_STR(tgm_last_error(),
                    "encoding error: zfp error: data length 12 is not a multiple of 8");
    TT_CHECK_ERR(tgm__codec_zfp.compress(&p, (const uint8_t *)v, 0, &b, NULL), TGM_ERROR_OK);
    TT_CHECK_EQ_INT(b.len, 0);
    tgm__buf_free(&b);
    free(za);
    free(z);
    free(v);
}

/* Every allocation of a threaded variable-rate encode (the task streams,
 * their table) and of a threaded fixed-rate one fails in turn: an error
 * with a detail, or the same bytes as without failures; no leak (ASan). */
static void test_alloc_failures(void) {
    if (!tgm__alloc_injection_enabled()) {
        return;
    }
    size_t n = 200003;
    double *v = smooth(n, 3);
    static const double args[] = {20, 16};
    static const tgm_zfp_mode mds[] = {TGM_ZFP_FIXED_PRECISION, TGM_ZFP_FIXED_RATE};
    for (int m = 0; m < 2; m++) {
        tgm_codec_params p = mode_params(mds[m], args[m], n, 3);
        size_t ref_len;
        unsigned char *ref = squeeze(&p, v, n * 8, &ref_len);
        for (uint64_t k = 1;; k++) {
            tgm__alloc_fail_after(k, 0);
            tgm_buf b = TGM_BUF_INIT;
            tgm_error e = tgm__codec_zfp.compress(&p, (const uint8_t *)v, n * 8, &b, NULL);
            uint64_t used = tgm__alloc_count();
            tgm__alloc_fail_after(0, 0);
            if (e == TGM_ERROR_OK) {
                TT_CHECK(b.len == ref_len && memcmp(b.data, ref, ref_len) == 0);
            } else {
                TT_CHECK(tgm_last_error() != NULL && strstr(tgm_last_error(), "memory") != NULL);
            }
            tgm__buf_free(&b);
            if (e == TGM_ERROR_OK && used < k) {
                break; /* the k-th allocation was never reached */
            }
            TT_ASSERT(k < 1000);
        }
        free(ref);
    }
    free(v);
}

int main(void) {
    int have = nf_dir() != NULL;
    TT_RUN(test_roundtrips);
    TT_RUN(test_threads);
    TT_RUN(test_errors);
    TT_RUN(test_fixtures);
    TT_RUN(test_alloc_failures);
    int rc = tt_finish("test_zfp");
    if (rc == 0 && !have) {
        TT_SKIP("reference fixtures not found (set TGM_SHARED_DIR); fixture checks skipped");
        return TT_SKIP_CODE;
    }
    return rc;
}
