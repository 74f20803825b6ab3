/* Our zfp against libzfp 1.0 (Debian's libzfp, the oracle; the library
 * itself does not use it): for every kernel set this CPU runs (portable,
 * AVX2, AVX-512), in every mode over a sweep of parameters, on data with
 * every kind of value (smooth, noisy, random bit patterns, zeros, ±0,
 * subnormals, values near DBL_MAX, NaN, ±Inf, powers of two) and on sizes
 * with partial last blocks:
 *   - our stream is byte-identical to the one libzfp's zfp_compress writes;
 *   - our decoding of it is bit-identical to libzfp's zfp_decompress;
 *   - decoding random bytes gives what libzfp gives for the same bytes
 *     (zero-padded as the reference pads them): the decoder follows zfp's
 *     reading loop even where a rate budget cuts a bit plane;
 *   - range decodes equal the slices of the full decode.
 * Without libzfp the test reports itself skipped. */
#include <float.h>
#include <math.h>

#include "codecs/codec.h"
#include "codecs/zfp.h"
#include "common/alloc.h"
#include "common/error.h"
#include "tt.h"

#ifdef TGM_TEST_HAVE_LIBZFP
#include <zfp.h>

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rnd(void) {
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static double rnd_unit(void) { return (double)(rnd() >> 11) * 0x1p-53; }

static double from_bits(uint64_t b) {
    double d;
    memcpy(&d, &b, 8);
    return d;
}

enum { KINDS = 14 };
static const char *const kind_names[KINDS] = {
    "smooth", "noisy", "bits", "zeros", "signed-zeros", "subnormal", "huge",
    "nan",    "inf",   "pow2", "mixed", "tiny-normal",  "constant",  "wide"};

static void fill(int kind, double *v, size_t n) {
    for (size_t i = 0; i < n; i++) {
        double x;
        switch (kind) {
        case 0:
            x = 280.0 + 30.0 * sin((double)i * 0.01) + 1e-3 * rnd_unit();
            break;
        case 1:
            x = (rnd_unit() - 0.5) * 1e4;
            break;
        case 2:
            x = from_bits(rnd()); /* any pattern: NaNs, infinities, subnormals */
            break;
        case 3:
            x = 0.0;
            break;
        case 4:
            x = (rnd() & 1) ? -0.0 : 0.0;
            break;
        case 5:
            x = from_bits(rnd() & 0x800fffffffffffffu); /* subnormals of both signs */
            break;
        case 6:
            x = (rnd() & 1 ? -1 : 1) * DBL_MAX * (0.5 + 0.5 * rnd_unit());
            break;
        case 7:
            x = (rnd() % 5 == 0) ? NAN : rnd_unit() * 100.0;
            break;
        case 8:
            x = (rnd() % 7 == 0) ? ((rnd() & 1) ? INFINITY : -INFINITY) : rnd_unit() * 3.0;
            break;
        case 9:
            x = ldexp(rnd() & 1 ? -1.0 : 1.0, (int)(rnd() % 200) - 100);
            break;
        case 10: /* a different kind in every block */
            x = (i / 4) % 3 == 0   ? from_bits(rnd())
                : (i / 4) % 3 == 1 ? 0.0
                                   : sin((double)i) * 1e-300;
            break;
        case 11:
            x = ldexp(rnd_unit(), -960 - (int)(rnd() % 70)); /* blocks whose scale overflows */
            break;
        case 12:
            x = 42.125;
            break;
        default:
            x = ldexp(rnd_unit() - 0.5, (int)(rnd() % 2000) - 1000);
            break;
        }
        v[i] = x;
    }
}

typedef struct {
    tgm_zfp_mode mode;
    double arg;
} zmode;

static tgm_codec_params params(zmode m, size_t n) {
    tgm_codec_params p;
    tgm__codec_params_init(&p, 8, n * 8);
    tgm_zfp_params zp;
    memset(&zp, 0, sizeof zp);
    zp.mode = m.mode;
    zp.num_values = n;
    if (m.mode == TGM_ZFP_FIXED_RATE) {
        zp.rate = m.arg;
    } else if (m.mode == TGM_ZFP_FIXED_PRECISION) {
        zp.precision = (uint32_t)m.arg;
    } else {
        zp.tolerance = m.arg;
    }
    TGM_CODEC_OWN_PUT(&p, zp);
    return p;
}

static void lib_mode(zfp_stream *zs, zmode m) {
    if (m.mode == TGM_ZFP_FIXED_RATE) {
        zfp_stream_set_rate(zs, m.arg, zfp_type_double, 1, zfp_false);
    } else if (m.mode == TGM_ZFP_FIXED_PRECISION) {
        zfp_stream_set_precision(zs, (uint)m.arg);
    } else {
        zfp_stream_set_accuracy(zs, m.arg);
    }
}

/* libzfp's stream of v[0, n), with its length. */
static uint8_t *lib_compress(zmode m, const double *v, size_t n, size_t *len) {
    zfp_field *f = zfp_field_1d((void *)(uintptr_t)v, zfp_type_double, n);
    zfp_stream *zs = zfp_stream_open(NULL);
    lib_mode(zs, m);
    size_t cap = zfp_stream_maximum_size(zs, f);
    uint8_t *out = calloc(cap + 8, 1);
    bitstream *bs = stream_open(out, cap);
    zfp_stream_set_bit_stream(zs, bs);
    zfp_stream_rewind(zs);
    *len = zfp_compress(zs, f);
    stream_close(bs);
    zfp_stream_close(zs);
    zfp_field_free(f);
    return out;
}

/* libzfp's decoding of stream[0, len) into out[0, n), the stream
 * zero-padded to zfp_stream_maximum_size as the reference pads it (and
 * further, so libzfp never reads past our copy).  Returns 0 when libzfp
 * would refuse it for its length. */
static int lib_decompress(zmode m, const uint8_t *stream, size_t len, double *out, size_t n) {
    zfp_field *f = zfp_field_1d(out, zfp_type_double, n);
    zfp_stream *zs = zfp_stream_open(NULL);
    lib_mode(zs, m);
    size_t cap = zfp_stream_maximum_size(zs, f);
    int ok = len <= cap;
    if (ok) {
        size_t padded = cap + n / 4 + 4096;
        uint8_t *copy = calloc(padded, 1);
        memcpy(copy, stream, len);
        bitstream *bs = stream_open(copy, padded);
        zfp_stream_set_bit_stream(zs, bs);
        zfp_stream_rewind(zs);
        zfp_decompress(zs, f);
        stream_close(bs);
        free(copy);
    }
    zfp_stream_close(zs);
    zfp_field_free(f);
    return ok;
}

static const zmode modes[] = {
    {TGM_ZFP_FIXED_RATE, 0.5},
    {TGM_ZFP_FIXED_RATE, 1},
    {TGM_ZFP_FIXED_RATE, 3},
    {TGM_ZFP_FIXED_RATE, 3.25},
    {TGM_ZFP_FIXED_RATE, 4},
    {TGM_ZFP_FIXED_RATE, 5},
    {TGM_ZFP_FIXED_RATE, 7.3},
    {TGM_ZFP_FIXED_RATE, 8},
    {TGM_ZFP_FIXED_RATE, 10},
    {TGM_ZFP_FIXED_RATE, 12},
    {TGM_ZFP_FIXED_RATE, 15.9},
    {TGM_ZFP_FIXED_RATE, 16},
    {TGM_ZFP_FIXED_RATE, 20},
    {TGM_ZFP_FIXED_RATE, 24},
    {TGM_ZFP_FIXED_RATE, 31},
    {TGM_ZFP_FIXED_RATE, 32},
    {TGM_ZFP_FIXED_RATE, 40},
    {TGM_ZFP_FIXED_RATE, 48},
    {TGM_ZFP_FIXED_RATE, 56},
    {TGM_ZFP_FIXED_RATE, 64},
    {TGM_ZFP_FIXED_RATE, 65},
    {TGM_ZFP_FIXED_RATE, 67.75},
    {TGM_ZFP_FIXED_RATE, 70},
    {TGM_ZFP_FIXED_RATE, 100},
    {TGM_ZFP_FIXED_RATE, 1000},
    {TGM_ZFP_FIXED_RATE, 4164.5},
    {TGM_ZFP_FIXED_PRECISION, 0},
    {TGM_ZFP_FIXED_PRECISION, 1},
    {TGM_ZFP_FIXED_PRECISION, 2},
    {TGM_ZFP_FIXED_PRECISION, 3},
    {TGM_ZFP_FIXED_PRECISION, 5},
    {TGM_ZFP_FIXED_PRECISION, 8},
    {TGM_ZFP_FIXED_PRECISION, 12},
    {TGM_ZFP_FIXED_PRECISION, 16},
    {TGM_ZFP_FIXED_PRECISION, 20},
    {TGM_ZFP_FIXED_PRECISION, 24},
    {TGM_ZFP_FIXED_PRECISION, 32},
    {TGM_ZFP_FIXED_PRECISION, 40},
    {TGM_ZFP_FIXED_PRECISION, 52},
    {TGM_ZFP_FIXED_PRECISION, 60},
    {TGM_ZFP_FIXED_PRECISION, 63},
    {TGM_ZFP_FIXED_PRECISION, 64},
    {TGM_ZFP_FIXED_PRECISION, 65},
    {TGM_ZFP_FIXED_PRECISION, 1000},
    {TGM_ZFP_FIXED_ACCURACY, 4.9e-324},
    {TGM_ZFP_FIXED_ACCURACY, 1e-300},
    {TGM_ZFP_FIXED_ACCURACY, 1e-20},
    {TGM_ZFP_FIXED_ACCURACY, 1e-12},
    {TGM_ZFP_FIXED_ACCURACY, 1e-9},
    {TGM_ZFP_FIXED_ACCURACY, 1e-6},
    {TGM_ZFP_FIXED_ACCURACY, 1e-3},
    {TGM_ZFP_FIXED_ACCURACY, 0.01},
    {TGM_ZFP_FIXED_ACCURACY, 0.1},
    {TGM_ZFP_FIXED_ACCURACY, 0.5},
    {TGM_ZFP_FIXED_ACCURACY, 1},
    {TGM_ZFP_FIXED_ACCURACY, 3},
    {TGM_ZFP_FIXED_ACCURACY, 1e3},
    {TGM_ZFP_FIXED_ACCURACY, 1e10},
    {TGM_ZFP_FIXED_ACCURACY, 1e300},
    {TGM_ZFP_FIXED_ACCURACY, DBL_MAX},
};
#define NMODES (sizeof modes / sizeof modes[0])

static const size_t sizes[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 31, 64, 67, 258, 1001};
#define NSIZES (sizeof sizes / sizeof sizes[0])

static char label[160];

static void one_case(zmode m, int kind, size_t n) {
    double *v = malloc(8 * n + 8);
    fill(kind, v, n);
    snprintf(label, sizeof label, "mode %d arg %g kind %s n %zu", (int)m.mode, m.arg,
             kind_names[kind], n);
    tt_current = label;
    tgm_codec_params p = params(m, n);
    size_t lib_len;
    uint8_t *lib = lib_compress(m, v, n, &lib_len);
    tgm_buf b = TGM_BUF_INIT;
    TT_CHECK_ERR(tgm__codec_zfp.compress(&p, (const uint8_t *)v, 8 * n, &b, NULL), TGM_ERROR_OK);
    TT_CHECK_EQ_INT(b.len, lib_len);
    TT_CHECK(b.len == lib_len && memcmp(b.data, lib, lib_len) == 0);

    double *ours = malloc(8 * n + 8), *theirs = malloc(8 * n + 8);
    TT_CHECK(lib_decompress(m, lib, lib_len, theirs, n));
    TT_CHECK_ERR(tgm__codec_zfp.decompress(&p, lib, lib_len, (uint8_t *)ours, 8 * n), TGM_ERROR_OK);
    TT_CHECK(memcmp(ours, theirs, 8 * n) == 0);

    /* Ranges: a partial block at each end, and a single value. */
    size_t v0 = n / 3, cnt = n - v0 > 5 ? n - v0 - 2 : n - v0;
    TT_CHECK_ERR(tgm__codec_zfp.decompress_range(&p, lib, lib_len, NULL, 0, 8 * v0, 8 * cnt,
                                                 (uint8_t *)ours),
                 TGM_ERROR_OK);
    TT_CHECK(memcmp(ours, theirs + v0, 8 * cnt) == 0);
    TT_CHECK_ERR(
        tgm__codec_zfp.decompress_range(&p, lib, lib_len, NULL, 0, 8 * (n - 1), 8, (uint8_t *)ours),
        TGM_ERROR_OK);
    TT_CHECK(memcmp(ours, theirs + n - 1, 8) == 0);
    tgm__buf_free(&b);
    free(lib);
    free(ours);
    free(theirs);
    free(v);
}

static void test_streams(void) {
    for (size_t mi = 0; mi < NMODES; mi++) {
        for (int kind = 0; kind < KINDS; kind++) {
            for (size_t si = 0; si < NSIZES; si++) {
                one_case(modes[mi], kind, sizes[si]);
            }
        }
    }
}

/* Random streams through the kernels themselves (no length checks), so
 * every bit pattern the reading loop can meet is compared. */
static void test_random_streams(void) {
    const tgm_zfp_kernels *k = tgm__zfp_kernels();
    enum { N = 203, LEN = 4096 };
    uint8_t *junk = malloc(LEN);
    double ours[N], theirs[N];
    for (size_t mi = 0; mi < NMODES; mi++) {
        zmode m = modes[mi];
        tgm_codec_params p = params(m, N);
        tgm_zfp_cfg c;
        TT_ASSERT(tgm__zfp_config(&p, &c) == TGM_ERROR_OK);
        for (int it = 0; it < 12; it++) {
            /* Dense ones, sparse ones, and mostly zero bytes. */
            for (size_t i = 0; i < LEN; i++) {
                uint64_t r = rnd();
                junk[i] = it % 3 == 0   ? (uint8_t)r
                          : it % 3 == 1 ? (uint8_t)(r & (r >> 8) & (r >> 16))
                                        : (uint8_t)(r % 13 == 0 ? r >> 8 : 0);
            }
            snprintf(label, sizeof label, "random stream, mode %d arg %g, iteration %d",
                     (int)m.mode, m.arg, it);
            tt_current = label;
            size_t len =
                c.fixed_rate ? (size_t)((N + 3) / 4 * (uint64_t)c.maxbits / 8 + 1) : (size_t)LEN;
            if (len > LEN) {
                len = LEN;
            }
            memset(theirs, 0, sizeof theirs);
            if (!lib_decompress(m, junk, len, theirs, N)) {
                continue;
            }
            k->decode(&c, junk, len, 0, N, 0, N, (uint8_t *)ours);
            TT_CHECK(memcmp(ours, theirs, sizeof ours) == 0);
        }
    }
    free(junk);
}

/* Parallel coding: every thread count gives the same bytes and values. */
static void test_threads(void) {
    size_t n = 300001;
    double *v = malloc(8 * n);
    fill(0, v, n);
    for (size_t i = 0; i < n; i += 997) {
        v[i] = from_bits(rnd()); /* some blocks of every kind */
    }
    static const zmode tm[] = {{TGM_ZFP_FIXED_RATE, 16},
                               {TGM_ZFP_FIXED_RATE, 7.3},
                               {TGM_ZFP_FIXED_PRECISION, 20},
                               {TGM_ZFP_FIXED_ACCURACY, 1e-3}};
    for (size_t mi = 0; mi < 4; mi++) {
        snprintf(label, sizeof label, "threads, mode %d arg %g", (int)tm[mi].mode, tm[mi].arg);
        tt_current = label;
        size_t lib_len;
        uint8_t *lib = lib_compress(tm[mi], v, n, &lib_len);
        double *theirs = malloc(8 * n), *ours = malloc(8 * n);
        lib_decompress(tm[mi], lib, lib_len, theirs, n);
        static const uint32_t threads[] = {1, 2, 3, 8};
        for (size_t t = 0; t < 4; t++) {
            tgm_codec_params p = params(tm[mi], n);
            p.threads = threads[t];
            tgm_buf b = TGM_BUF_INIT;
            TT_CHECK_ERR(tgm__codec_zfp.compress(&p, (const uint8_t *)v, 8 * n, &b, NULL),
                         TGM_ERROR_OK);
            TT_CHECK(b.len == lib_len && memcmp(b.data, lib, lib_len) == 0);
            memset(ours, 0, 8 * n);
            TT_CHECK_ERR(tgm__codec_zfp.decompress(&p, lib, lib_len, (uint8_t *)ours, 8 * n),
                         TGM_ERROR_OK);
            TT_CHECK(memcmp(ours, theirs, 8 * n) == 0);
            tgm__buf_free(&b);
        }
        free(lib);
        free(theirs);
        free(ours);
    }
    free(v);
}

static const char *const isa_names[] = {"auto", "portable", "avx2", "avx2+bmi2", "avx512"};

int main(void) {
    for (int isa = TGM_ZFP_ISA_PORTABLE; isa <= TGM_ZFP_ISA_AVX512; isa++) {
        if (tgm__zfp_force_isa((tgm_zfp_isa)isa) != 0) {
            printf("%s kernels: not available on this CPU or build\n", isa_names[isa]);
            continue;
        }
        printf("%s kernels (%s)\n", isa_names[isa], tgm__zfp_kernels()->name);
        rng_state = 0x9e3779b97f4a7c15u;
        TT_RUN(test_streams);
        TT_RUN(test_random_streams);
        TT_RUN(test_threads);
    }
    tgm__zfp_force_isa(TGM_ZFP_ISA_AUTO);
    return tt_finish("test_zfp_oracle");
}
#else
int main(void) {
    TT_SKIP("libzfp not found: the oracle comparison needs libzfp-dev");
    return TT_SKIP_CODE;
}
#endif
