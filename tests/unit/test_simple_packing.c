/* simple_packing: byte-identical encode and bit-identical decode against the
 * reference's fixtures, hand-computed bit streams and rounding cases, round
 * trips over every bit width, both layouts and byte orders, range decode,
 * thread-count invariance, and hostile input. */
#include <math.h>

#include "common/endian.h"
#include "common/error.h"
#include "encodings/simple_packing.h"
#include "numeric_fixture.h"
#include "tt.h"

static int have_fixtures;

static void put_f64(unsigned char *p, double v, int big) {
    uint64_t u;
    memcpy(&u, &v, 8);
    if (big) {
        tgm__wr_be64(p, u);
    } else {
        tgm__wr_le64(p, u);
    }
}

static double get_f64(const unsigned char *p, int big) {
    uint64_t u = big ? tgm__rd_be64(p) : tgm__rd_le64(p);
    double v;
    memcpy(&v, &u, 8);
    return v;
}

static int same_bits(double a, double b) { return memcmp(&a, &b, 8) == 0; }

/* A smooth field with a little noise, as the reference's benchmarks use. */
static unsigned char *make_field(size_t n, int big, uint64_t seed) {
    unsigned char *b = malloc(n * 8 + 1);
    uint64_t s = seed;
    for (size_t i = 0; i < n; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        double noise = (double)(s >> 11) / 9007199254740992.0 - 0.5;
        put_f64(b + 8 * i, 280.0 + 30.0 * sin((double)i * 0.001) + 0.1 * noise, big);
    }
    return b;
}

/* ---- reference fixtures ------------------------------------------------ */

static void check_fixture(const char *name, int big) {
    nf_case c;
    if (nf_load(name, &c) != 0) {
        fprintf(stderr, "fixture %s missing\n", name);
        TT_CHECK(0);
        return;
    }
    double bits_d = 0, dsf_d = 0, ref_d = 0, bsf_d = 0;
    TT_ASSERT(nf_desc_num(&c, "sp_bits_per_value", &bits_d) == 0);
    TT_ASSERT(nf_desc_num(&c, "sp_decimal_scale_factor", &dsf_d) == 0);
    TT_ASSERT(nf_desc_num(&c, "sp_reference_value", &ref_d) == 0);
    TT_ASSERT(nf_desc_num(&c, "sp_binary_scale_factor", &bsf_d) == 0);
    size_t n = c.in_len / 8;

    tgm_sp_params p;
    for (uint32_t t = 1; t <= 3; t++) {
        TT_CHECK_ERR(tgm__sp_compute_params(c.in, big, n, (uint32_t)bits_d, (int32_t)dsf_d, t, &p),
                     TGM_ERROR_OK);
        TT_CHECK(same_bits(p.reference_value, ref_d));
        TT_CHECK_EQ_INT(p.binary_scale_factor, (int)bsf_d);
    }

    size_t sz = 0;
    TT_CHECK_ERR(tgm__sp_packed_size(n, p.bits_per_value, 0, &sz), TGM_ERROR_OK);
    TT_CHECK_EQ_INT(sz, c.payload_len);
    unsigned char *enc = malloc(sz + 1);
    static const uint32_t threads[] = {1, 2, 3, 8};
    for (size_t k = 0; k < 4; k++) {
        memset(enc, 0xA5, sz);
        TT_CHECK_ERR(tgm__sp_encode(c.in, big, n, &p, 0, enc, sz, threads[k]), TGM_ERROR_OK);
        TT_CHECK(memcmp(enc, c.payload, sz) == 0);
    }

    /* Decode the reference's payload in both byte orders and threads. */
    unsigned char *dec = malloc(n * 8 + 1);
    for (size_t k = 0; k < 4; k++) {
        TT_CHECK_ERR(tgm__sp_decode(c.payload, c.payload_len, n, &p, 0, dec, 0, threads[k]),
                     TGM_ERROR_OK);
        TT_CHECK(c.out_len == n * 8 && memcmp(dec, c.out, n * 8) == 0);
    }
    TT_CHECK_ERR(tgm__sp_decode(c.payload, c.payload_len, n, &p, 0, dec, 1, 2), TGM_ERROR_OK);
    int ok = 1;
    for (size_t i = 0; i < n; i++) {
        ok &= same_bits(get_f64(dec + 8 * i, 1), get_f64(c.out + 8 * i, 0));
    }
    TT_CHECK(ok);

    /* Container layout: same values. */
    uint32_t cb = (p.bits_per_value + 7) / 8;
    if (cb < 8) {
        cb++;
    }
    size_t csz = 0;
    TT_CHECK_ERR(tgm__sp_packed_size(n, p.bits_per_value, cb, &csz), TGM_ERROR_OK);
    unsigned char *cont = malloc(csz + 1);
    TT_CHECK_ERR(tgm__sp_encode(c.in, big, n, &p, cb, cont, csz, 2), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm__sp_decode(cont, csz, n, &p, cb, dec, 0, 1), TGM_ERROR_OK);
    TT_CHECK(memcmp(dec, c.out, n * 8) == 0);

    /* Range decode at a few odd offsets equals the slice of .out.bin. */
    static const size_t starts[] = {0, 1, 3, 7, 9999, 19990};
    for (size_t k = 0; k < 6; k++) {
        size_t s0 = starts[k], cnt = n - s0 < 10 ? n - s0 : 10;
        uint64_t bit = (uint64_t)s0 * p.bits_per_value;
        TT_CHECK_ERR(tgm__sp_decode_range(c.payload + bit / 8, c.payload_len - bit / 8, bit % 8,
                                          cnt, &p, 0, dec, 0),
                     TGM_ERROR_OK);
        TT_CHECK(memcmp(dec, c.out + 8 * s0, cnt * 8) == 0);
        TT_CHECK_ERR(tgm__sp_decode_range(cont, csz, (uint64_t)s0 * cb * 8, cnt, &p, cb, dec, 0),
                     TGM_ERROR_OK);
        TT_CHECK(memcmp(dec, c.out + 8 * s0, cnt * 8) == 0);
    }
    free(cont);
    free(dec);
    free(enc);
    nf_free(&c);
}

static void test_fixtures(void) {
    if (!have_fixtures) {
        return;
    }
    static const char *little[] = {"sp1",  "sp7",  "sp8",  "sp12",    "sp16",         "sp24",
                                   "sp32", "sp33", "sp64", "sp16_d2", "sp16_threads2"};
    for (size_t i = 0; i < sizeof little / sizeof little[0]; i++) {
        tt_current = little[i];
        check_fixture(little[i], 0);
    }
    tt_current = "sp24_be";
    check_fixture("sp24_be", 1);
}

/* ---- hand-computed streams and rounding ------------------------------- */

static void test_hand_bits(void) {
    /* 12-bit values 0..9 with R=0, E=0, D=0: 000 001 002 003 ... */
    unsigned char src[10 * 8];
    for (int i = 0; i < 10; i++) {
        put_f64(src + 8 * i, (double)i, 0);
    }
    tgm_sp_params p = {0.0, 0, 0, 12};
    unsigned char out[15];
    TT_CHECK_ERR(tgm__sp_encode(src, 0, 10, &p, 0, out, 15, 1), TGM_ERROR_OK);
    static const unsigned char want[15] = {0x00, 0x00, 0x01, 0x00, 0x20, 0x03, 0x00, 0x40,
                                           0x05, 0x00, 0x60, 0x07, 0x00, 0x80, 0x09};
    TT_CHECK(memcmp(out, want, 15) == 0);
    /* 3 values of 5 bits: 31, 0, 17 -> 11111 00000 10001 + one pad bit. */
    tgm_sp_params p5 = {0.0, 0, 0, 5};
    double v5[3] = {31, 0, 17};
    unsigned char s5[24], o5[2];
    for (int i = 0; i < 3; i++) {
        put_f64(s5 + 8 * i, v5[i], 1);
    }
    TT_CHECK_ERR(tgm__sp_encode(s5, 1, 3, &p5, 0, o5, 2, 1), TGM_ERROR_OK);
    TT_CHECK(o5[0] == 0xF8 && o5[1] == 0x22);
    /* Container layout of the same: one byte each. */
    TT_CHECK_ERR(tgm__sp_encode(s5, 1, 3, &p5, 1, o5, 2, 1), TGM_ERROR_ENCODING);
    unsigned char c5[3];
    TT_CHECK_ERR(tgm__sp_encode(s5, 1, 3, &p5, 1, c5, 3, 1), TGM_ERROR_OK);
    TT_CHECK(c5[0] == 31 && c5[1] == 0 && c5[2] == 17);
    /* 2-byte containers of 12-bit values: big endian, right aligned. */
    unsigned char c12[20];
    TT_CHECK_ERR(tgm__sp_encode(src, 0, 10, &p, 2, c12, 20, 1), TGM_ERROR_OK);
    TT_CHECK(c12[0] == 0 && c12[1] == 0 && c12[18] == 0 && c12[19] == 9);
}

static void test_rounding(void) {
    /* Half away from zero, clamping at 0 and at 2^bits - 1. */
    static const double in[] = {0.5,   1.5,    2.5,   0.49999999999999994, -0.4, -3.0,
                                254.5, 255.49, 300.0, 3.4999999999999996};
    static const unsigned want[] = {1, 2, 3, 0, 0, 0, 255, 255, 255, 3};
    size_t n = sizeof in / sizeof in[0];
    unsigned char src[16 * 8], out[16];
    for (size_t i = 0; i < n; i++) {
        put_f64(src + 8 * i, in[i], 0);
    }
    tgm_sp_params p = {0.0, 0, 0, 8};
    TT_CHECK_ERR(tgm__sp_encode(src, 0, n, &p, 0, out, n, 1), TGM_ERROR_OK);
    for (size_t i = 0; i < n; i++) {
        TT_CHECK_EQ_INT(out[i], want[i]);
    }
    /* The same through the exact (> 52 bit) path with a scale that keeps the
     * values small. */
    tgm_sp_params p60 = {0.0, 0, 0, 60};
    unsigned char o60[16 * 8];
    size_t sz = 0;
    TT_CHECK_ERR(tgm__sp_packed_size(n, 60, 0, &sz), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm__sp_encode(src, 0, n, &p60, 8, o60, n * 8, 1), TGM_ERROR_OK);
    static const unsigned want60[] = {1, 2, 3, 0, 0, 0, 255, 255, 300, 3};
    for (size_t i = 0; i < n; i++) {
        TT_CHECK(tgm__rd_be64(o60 + 8 * i) == want60[i]);
    }
    /* Saturation at 64 bits: a huge value maps to 2^64 - 1. */
    tgm_sp_params p64 = {0.0, 0, 0, 64};
    unsigned char s1[8], o1[8];
    put_f64(s1, 1e30, 0);
    TT_CHECK_ERR(tgm__sp_encode(s1, 0, 1, &p64, 0, o1, 8, 1), TGM_ERROR_OK);
    TT_CHECK(tgm__rd_be64(o1) == UINT64_MAX);
    /* powi follows repeated squaring: 10^-3 is 1/1000 (not 0.001 * ...). */
    TT_CHECK(same_bits(tgm__sp_powi(10.0, -3), 1.0 / 1000.0));
    TT_CHECK(same_bits(tgm__sp_powi(2.0, -10), 1.0 / 1024.0));
    TT_CHECK(same_bits(tgm__sp_powi(10.0, 0), 1.0));
    TT_CHECK(same_bits(tgm__sp_powi(10.0, 22), 1e22));
    TT_CHECK(same_bits(tgm__sp_powi(10.0, -22), 1.0 / 1e22));
}

/* ---- compute_params ------------------------------------------------------ */

static void test_compute_params(void) {
    tgm_sp_params p;
    unsigned char b[8 * 8] = {0};
    /* Empty: R = 0, E = 0. */
    TT_CHECK_ERR(tgm__sp_compute_params(b, 0, 0, 16, 3, 1, &p), TGM_ERROR_OK);
    TT_CHECK(p.reference_value == 0.0 && p.binary_scale_factor == 0 &&
             p.decimal_scale_factor == 3 && p.bits_per_value == 16);
    /* bits = 0: R = first value, no scan (a later NaN is not looked at). */
    put_f64(b, 1.5, 0);
    put_f64(b + 8, NAN, 0);
    TT_CHECK_ERR(tgm__sp_compute_params(b, 0, 2, 0, 0, 1, &p), TGM_ERROR_OK);
    TT_CHECK(p.reference_value == 1.5 && p.binary_scale_factor == 0);
    /* Constant field: E = 0. */
    for (int i = 0; i < 8; i++) {
        put_f64(b + 8 * i, 42.0, 1);
    }
    TT_CHECK_ERR(tgm__sp_compute_params(b, 1, 8, 16, 0, 1, &p), TGM_ERROR_OK);
    TT_CHECK(p.reference_value == 42.0 && p.binary_scale_factor == 0);
    /* 0..9 at 12 bits: range 9, E = ceil(log2(9 / 4095)) = -8. */
    for (int i = 0; i < 8; i++) {
        put_f64(b + 8 * i, (double)i * 9.0 / 7.0, 0);
    }
    put_f64(b, 0.0, 0);
    put_f64(b + 56, 9.0, 0);
    TT_CHECK_ERR(tgm__sp_compute_params(b, 0, 8, 12, 0, 1, &p), TGM_ERROR_OK);
    TT_CHECK_EQ_INT(p.binary_scale_factor, -8);
    /* D = 2: range 900, E = ceil(log2(900 / 4095)) = -2. */
    TT_CHECK_ERR(tgm__sp_compute_params(b, 0, 8, 12, 2, 1, &p), TGM_ERROR_OK);
    TT_CHECK_EQ_INT(p.binary_scale_factor, -2);
    /* 64 bits: max packed is 2^64 as a double. */
    TT_CHECK_ERR(tgm__sp_compute_params(b, 0, 8, 64, 0, 1, &p), TGM_ERROR_OK);
    TT_CHECK_EQ_INT(p.binary_scale_factor, (int)ceil(log2(9.0 / 18446744073709551616.0)));
    /* Too many bits. */
    TT_CHECK_ERR(tgm__sp_compute_params(b, 0, 8, 65, 0, 1, &p), TGM_ERROR_ENCODING);
    TT_CHECK_EQ_STR(tgm_last_error(), "encoding error: bits_per_value 65 exceeds maximum of 64");
    /* The first zero met decides the sign of a zero minimum. */
    static const double z[8] = {1.0, -0.0, 1.0, 1.0, 0.0, 2.0, 0.0, 3.0};
    for (int i = 0; i < 8; i++) {
        put_f64(b + 8 * i, z[i], 0);
    }
    TT_CHECK_ERR(tgm__sp_compute_params(b, 0, 8, 8, 0, 1, &p), TGM_ERROR_OK);
    TT_CHECK(p.reference_value == 0.0 && signbit(p.reference_value));
    put_f64(b + 8, 0.0, 0);
    put_f64(b + 32, -0.0, 0);
    TT_CHECK_ERR(tgm__sp_compute_params(b, 0, 8, 8, 0, 1, &p), TGM_ERROR_OK);
    TT_CHECK(p.reference_value == 0.0 && !signbit(p.reference_value));
    /* Overflowing range saturates E to INT32_MAX (encode then refuses it). */
    put_f64(b, -1.7e308, 0);
    put_f64(b + 8, 1.7e308, 0);
    TT_CHECK_ERR(tgm__sp_compute_params(b, 0, 2, 16, 0, 1, &p), TGM_ERROR_OK);
    TT_CHECK_EQ_INT(p.binary_scale_factor, INT32_MAX);
    unsigned char o[4];
    TT_CHECK_ERR(tgm__sp_encode(b, 0, 2, &p, 0, o, 4, 1), TGM_ERROR_ENCODING);
    TT_CHECK(strstr(tgm_last_error(), "invalid binary_scale_factor: value 2147483647") != NULL);
}

static void test_public_api(void) {
    double v[5] = {230.0, 231.5, 240.0, 235.25, 229.75};
    double r = -1;
    int32_t e = -1;
    TT_CHECK_ERR(tgm_simple_packing_compute_params(v, 5, 16, 0, &r, &e), TGM_ERROR_OK);
    TT_CHECK(r == 229.75 && e == (int)ceil(log2(10.25 / 65535.0)));
    TT_CHECK_ERR(tgm_simple_packing_compute_params(NULL, 5, 16, 0, &r, &e), TGM_ERROR_INVALID_ARG);
    TT_CHECK_EQ_STR(tgm_last_error(), "null argument");
    TT_CHECK_ERR(tgm_simple_packing_compute_params(v, 5, 16, 0, NULL, &e), TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm_simple_packing_compute_params(v, 5, 16, 0, &r, NULL), TGM_ERROR_INVALID_ARG);
    v[3] = NAN;
    r = 7.0;
    TT_CHECK_ERR(tgm_simple_packing_compute_params(v, 5, 16, 0, &r, &e), TGM_ERROR_ENCODING);
    TT_CHECK_EQ_STR(tgm_last_error(), "NaN value encountered at index 3");
    TT_CHECK(r == 7.0); /* outputs untouched on failure */
    v[3] = -INFINITY;
    TT_CHECK_ERR(tgm_simple_packing_compute_params(v, 5, 16, 0, &r, &e), TGM_ERROR_ENCODING);
    TT_CHECK_EQ_STR(tgm_last_error(), "infinite value encountered at index 3");
    TT_CHECK_ERR(tgm_simple_packing_compute_params(v, 0, 16, 0, &r, &e), TGM_ERROR_OK);
    TT_CHECK(r == 0.0 && e == 0);
}

/* ---- round trips ----------------------------------------------------------- */

static void roundtrip_one(const unsigned char *src, int big, size_t n, uint32_t bits, int32_t dsf,
                          uint32_t threads) {
    tgm_sp_params p;
    TT_ASSERT(tgm__sp_compute_params(src, big, n, bits, dsf, threads, &p) == TGM_ERROR_OK);
    size_t sz = 0;
    TT_ASSERT(tgm__sp_packed_size(n, bits, 0, &sz) == TGM_ERROR_OK);
    TT_CHECK(sz == (size_t)(((uint64_t)n * bits + 7) / 8));
    unsigned char *enc = malloc(sz + 1);
    unsigned char *dec = malloc(n * 8 + 1);
    unsigned char *dec2 = malloc(n * 8 + 1);
    TT_ASSERT(tgm__sp_encode(src, big, n, &p, 0, enc, sz, threads) == TGM_ERROR_OK);
    if (bits % 8 != 0 && sz > 0) {
        /* The pad bits of the final byte are zero. */
        unsigned pad = (unsigned)(sz * 8 - (uint64_t)n * bits);
        TT_CHECK((enc[sz - 1] & ((1u << pad) - 1)) == 0);
    }
    TT_ASSERT(tgm__sp_decode(enc, sz, n, &p, 0, dec, big, threads) == TGM_ERROR_OK);
    /* Error bound: half a quantisation step (plus rounding of the
     * reconstruction) when the range fits, exact enough otherwise. */
    double step = tgm__sp_powi(2.0, p.binary_scale_factor) * tgm__sp_powi(10.0, -dsf);
    int ok = 1;
    for (size_t i = 0; i < n; i++) {
        double a = get_f64(src + 8 * i, big), b = get_f64(dec + 8 * i, big);
        double tol = bits == 0 ? 1e300 : step * 0.5 + fabs(a) * 1e-12 + 1e-300;
        ok &= fabs(a - b) <= tol;
    }
    TT_CHECK(ok);
    /* Every container width that fits decodes to the same doubles. */
    for (uint32_t cb = bits == 0 ? 1 : (bits + 7) / 8; cb <= 8; cb++) {
        size_t csz = 0;
        TT_ASSERT(tgm__sp_packed_size(n, bits, cb, &csz) == TGM_ERROR_OK);
        TT_CHECK(csz == (bits == 0 ? 0 : n * cb));
        unsigned char *cont = malloc(csz + 1);
        TT_ASSERT(tgm__sp_encode(src, big, n, &p, cb, cont, csz, threads) == TGM_ERROR_OK);
        TT_ASSERT(tgm__sp_decode(cont, csz, n, &p, cb, dec2, big, 1) == TGM_ERROR_OK);
        TT_CHECK(memcmp(dec, dec2, n * 8) == 0);
        free(cont);
    }
    /* Range decode at odd offsets equals the full decode. */
    if (n > 0) {
        size_t offs[4] = {0, n / 3, n - 1, n / 2};
        for (int k = 0; k < 4; k++) {
            size_t s0 = offs[k], cnt = n - s0 < 37 ? n - s0 : 37;
            TT_CHECK_ERR(tgm__sp_decode_range(enc, sz, (uint64_t)s0 * bits, cnt, &p, 0, dec2, big),
                         TGM_ERROR_OK);
            TT_CHECK(memcmp(dec2, dec + 8 * s0, cnt * 8) == 0);
        }
    }
    free(enc);
    free(dec);
    free(dec2);
}

static void test_roundtrip_all_widths(void) {
    static const size_t sizes[] = {0, 1, 2, 7, 9, 1001};
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        for (int big = 0; big <= 1; big++) {
            unsigned char *f = make_field(sizes[si], big, 7 + si);
            for (uint32_t bits = 0; bits <= 64; bits++) {
                roundtrip_one(f, big, sizes[si], bits, 0, 1);
            }
            roundtrip_one(f, big, sizes[si], 16, 2, 1);
            roundtrip_one(f, big, sizes[si], 24, -1, 1);
            free(f);
        }
    }
}

static void test_roundtrip_large(void) {
    size_t n = 600000; /* 4.8 MB of float64 */
    unsigned char *f = make_field(n, 0, 99);
    static const uint32_t widths[] = {1, 7, 8, 12, 16, 24, 31, 32, 33, 52, 53, 64};
    for (size_t k = 0; k < sizeof widths / sizeof widths[0]; k++) {
        roundtrip_one(f, 0, n, widths[k], 0, 2);
    }
    free(f);
}

/* ---- thread invariance ---------------------------------------------------- */

static void test_threads(void) {
    size_t n = 300001;
    unsigned char *f = make_field(n, 1, 5);
    static const uint32_t widths[] = {1, 3, 7, 8, 12, 16, 24, 32, 33, 52, 53, 61, 64};
    static const uint32_t threads[] = {2, 3, 8};
    for (size_t k = 0; k < sizeof widths / sizeof widths[0]; k++) {
        tgm_sp_params p;
        TT_ASSERT(tgm__sp_compute_params(f, 1, n, widths[k], 0, 1, &p) == TGM_ERROR_OK);
        for (size_t t = 0; t < 3; t++) {
            tgm_sp_params pt;
            TT_ASSERT(tgm__sp_compute_params(f, 1, n, widths[k], 0, threads[t], &pt) ==
                      TGM_ERROR_OK);
            TT_CHECK(same_bits(p.reference_value, pt.reference_value) &&
                     p.binary_scale_factor == pt.binary_scale_factor);
        }
        size_t sz = 0;
        TT_ASSERT(tgm__sp_packed_size(n, widths[k], 0, &sz) == TGM_ERROR_OK);
        unsigned char *a = malloc(sz), *b = malloc(sz);
        unsigned char *da = malloc(n * 8), *db = malloc(n * 8);
        TT_ASSERT(tgm__sp_encode(f, 1, n, &p, 0, a, sz, 1) == TGM_ERROR_OK);
        TT_ASSERT(tgm__sp_decode(a, sz, n, &p, 0, da, 0, 1) == TGM_ERROR_OK);
        for (size_t t = 0; t < 3; t++) {
            memset(b, 0x5A, sz);
            TT_CHECK_ERR(tgm__sp_encode(f, 1, n, &p, 0, b, sz, threads[t]), TGM_ERROR_OK);
            TT_CHECK(memcmp(a, b, sz) == 0);
            TT_CHECK_ERR(tgm__sp_decode(a, sz, n, &p, 0, db, 0, threads[t]), TGM_ERROR_OK);
            TT_CHECK(memcmp(da, db, n * 8) == 0);
        }
        free(a);
        free(b);
        free(da);
        free(db);
    }
    free(f);
}

/* ---- errors ------------------------------------------------------------------ */

static void test_nonfinite(void) {
    size_t n = 200000;
    unsigned char *f = make_field(n, 0, 3);
    tgm_sp_params p;
    TT_ASSERT(tgm__sp_compute_params(f, 0, n, 16, 0, 1, &p) == TGM_ERROR_OK);
    unsigned char *o = malloc(n * 2);
    char want[128];
    /* Two bad values far apart: every thread count reports the first. */
    put_f64(f + 8 * 150007, NAN, 0);
    put_f64(f + 8 * 70001, INFINITY, 0);
    static const uint32_t threads[] = {1, 2, 3, 8};
    for (size_t t = 0; t < 4; t++) {
        TT_CHECK_ERR(tgm__sp_encode(f, 0, n, &p, 0, o, n * 2, threads[t]), TGM_ERROR_ENCODING);
        TT_CHECK_EQ_STR(tgm_last_error(),
                        "encoding error: infinite value encountered at index 70001");
        tgm_sp_params q;
        TT_CHECK_ERR(tgm__sp_compute_params(f, 0, n, 16, 0, threads[t], &q), TGM_ERROR_ENCODING);
        TT_CHECK_EQ_STR(tgm_last_error(),
                        "encoding error: infinite value encountered at index 70001");
    }
    put_f64(f + 8 * 7, -NAN, 0);
    snprintf(want, sizeof want, "encoding error: NaN value encountered at index 7");
    for (size_t t = 0; t < 4; t++) {
        TT_CHECK_ERR(tgm__sp_encode(f, 0, n, &p, 2, o, n * 2, threads[t]), TGM_ERROR_ENCODING);
        TT_CHECK_EQ_STR(tgm_last_error(), want);
    }
    /* bits = 0 stores nothing but still refuses NaN. */
    tgm_sp_params z = {1.0, 0, 0, 0};
    TT_CHECK_ERR(tgm__sp_encode(f, 0, n, &z, 0, o, 0, 1), TGM_ERROR_ENCODING);
    TT_CHECK_EQ_STR(tgm_last_error(), want);
    free(o);
    free(f);
}

static void test_bad_params(void) {
    unsigned char src[16] = {0}, out[16];
    tgm_sp_params p = {INFINITY, 0, 0, 16};
    TT_CHECK_ERR(tgm__sp_encode(src, 0, 2, &p, 0, out, 4, 1), TGM_ERROR_ENCODING);
    TT_CHECK_EQ_STR(tgm_last_error(),
                    "encoding error: invalid reference_value: must be finite, got inf");
    p.reference_value = NAN;
    TT_CHECK_ERR(tgm__sp_encode(src, 0, 2, &p, 0, out, 4, 1), TGM_ERROR_ENCODING);
    TT_CHECK(strstr(tgm_last_error(), "got NaN") != NULL);
    p.reference_value = 0.0;
    p.binary_scale_factor = 1024;
    TT_CHECK_ERR(tgm__sp_encode(src, 0, 2, &p, 0, out, 4, 1), TGM_ERROR_ENCODING);
    TT_CHECK(strstr(tgm_last_error(), "1024") != NULL && strstr(tgm_last_error(), "256") != NULL);
    p.binary_scale_factor = -257;
    TT_CHECK_ERR(tgm__sp_encode(src, 0, 2, &p, 0, out, 4, 1), TGM_ERROR_ENCODING);
    p.binary_scale_factor = INT32_MIN;
    TT_CHECK_ERR(tgm__sp_encode(src, 0, 2, &p, 0, out, 4, 1), TGM_ERROR_ENCODING);
    p.binary_scale_factor = 256;
    TT_CHECK_ERR(tgm__sp_encode(src, 0, 2, &p, 0, out, 4, 1), TGM_ERROR_OK);
    p.binary_scale_factor = -256;
    TT_CHECK_ERR(tgm__sp_encode(src, 0, 2, &p, 0, out, 4, 1), TGM_ERROR_OK);
    p.bits_per_value = 65;
    TT_CHECK_ERR(tgm__sp_encode(src, 0, 2, &p, 0, out, 4, 1), TGM_ERROR_ENCODING);
    TT_CHECK_ERR(tgm__sp_decode(src, 16, 1, &p, 0, out, 0, 1), TGM_ERROR_ENCODING);
    TT_CHECK_ERR(tgm__sp_decode_range(src, 16, 0, 1, &p, 0, out, 0), TGM_ERROR_ENCODING);
    /* Wrong output size, container too small or too large. */
    p.bits_per_value = 16;
    p.binary_scale_factor = 0;
    TT_CHECK_ERR(tgm__sp_encode(src, 0, 2, &p, 0, out, 5, 1), TGM_ERROR_ENCODING);
    TT_CHECK_ERR(tgm__sp_encode(src, 0, 2, &p, 1, out, 2, 1), TGM_ERROR_ENCODING);
    TT_CHECK_ERR(tgm__sp_encode(src, 0, 2, &p, 9, out, 18, 1), TGM_ERROR_ENCODING);
    size_t sz;
    TT_CHECK_ERR(tgm__sp_packed_size(SIZE_MAX, 64, 0, &sz), TGM_ERROR_ENCODING);
    TT_CHECK_ERR(tgm__sp_packed_size(SIZE_MAX / 2, 3, 4, &sz), TGM_ERROR_ENCODING);
}

static void test_truncated(void) {
    unsigned char packed[10] = {0};
    unsigned char out[100 * 8];
    tgm_sp_params p = {0.0, 0, 0, 8};
    TT_CHECK_ERR(tgm__sp_decode(packed, 10, 100, &p, 0, out, 0, 1), TGM_ERROR_ENCODING);
    TT_CHECK_EQ_STR(tgm_last_error(),
                    "encoding error: insufficient data: expected at least 100 bytes, got 10");
    p.bits_per_value = 12;
    TT_CHECK_ERR(tgm__sp_decode(packed, 10, 7, &p, 0, out, 0, 1), TGM_ERROR_ENCODING);
    TT_CHECK_ERR(tgm__sp_decode(packed, 10, 6, &p, 0, out, 0, 1), TGM_ERROR_OK);
    /* Range past the end, and a huge count that would overflow. */
    TT_CHECK_ERR(tgm__sp_decode_range(packed, 8, 80, 3, &p, 0, out, 0), TGM_ERROR_ENCODING);
    TT_CHECK_ERR(tgm__sp_decode_range(packed, 10, 9, 6, &p, 0, out, 0), TGM_ERROR_ENCODING);
    TT_CHECK_ERR(tgm__sp_decode_range(packed, 10, 4, 6, &p, 0, out, 0), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm__sp_decode(packed, 10, SIZE_MAX / 2, &p, 0, out, 0, 1), TGM_ERROR_ENCODING);
    TT_CHECK_ERR(tgm__sp_decode_range(packed, 10, UINT64_MAX - 3, 1, &p, 0, out, 0),
                 TGM_ERROR_ENCODING);
    /* Container offsets must be byte-aligned. */
    TT_CHECK_ERR(tgm__sp_decode_range(packed, 10, 4, 1, &p, 2, out, 0), TGM_ERROR_ENCODING);
    /* bits = 0 needs no data at all and fills with R. */
    tgm_sp_params z = {3.125, 0, 0, 0};
    TT_CHECK_ERR(tgm__sp_decode(NULL, 0, 3, &z, 0, out, 1, 1), TGM_ERROR_OK);
    TT_CHECK(get_f64(out, 1) == 3.125 && get_f64(out + 16, 1) == 3.125);
    TT_CHECK_ERR(tgm__sp_decode_range(NULL, 0, 0, 2, &z, 0, out, 0), TGM_ERROR_OK);
    TT_CHECK(get_f64(out + 8, 0) == 3.125);
    /* Extra trailing bytes are ignored (as the reference does). */
    p.bits_per_value = 8;
    TT_CHECK_ERR(tgm__sp_decode(packed, 10, 4, &p, 0, out, 0, 1), TGM_ERROR_OK);
}

int main(void) {
    have_fixtures = nf_dir() != NULL;
    TT_RUN(test_hand_bits);
    TT_RUN(test_rounding);
    TT_RUN(test_compute_params);
    TT_RUN(test_public_api);
    TT_RUN(test_roundtrip_all_widths);
    TT_RUN(test_roundtrip_large);
    TT_RUN(test_threads);
    TT_RUN(test_nonfinite);
    TT_RUN(test_bad_params);
    TT_RUN(test_truncated);
    TT_RUN(test_fixtures);
    int rc = tt_finish("test_simple_packing");
    if (rc == 0 && !have_fixtures) {
        TT_SKIP("reference fixtures not found (set TGM_SHARED_DIR); fixture checks skipped");
        return TT_SKIP_CODE;
    }
    return rc;
}
