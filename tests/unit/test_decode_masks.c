/* NaN / Inf masks on decode: tgm_decode_with_masks + tgm_object_mask,
 * and restore_non_finite for single objects and ranges
 * (tgm_decode_object_with_options, tgm_decode_range_with_options).
 *
 * Expectations are computed independently of the library: masks and
 * zero-substituted payloads from the reference's encoder inputs
 * (codecs/mask_*.in.bin, classified bit pattern by bit pattern here), the
 * restored values from its decoder outputs (mask_*.out.bin), and packed
 * mask bytes written out by hand for hand-placed NaN / Inf values. */
#include "tt.h"

#include <math.h>
#include <stdint.h>

#include "tensogram/tensogram.h"

/* ---- helpers ------------------------------------------------------------------------- */

static uint64_t rd_le(const uint8_t *p, size_t n) {
    uint64_t v = 0;
    for (size_t i = n; i-- > 0;) {
        v = (v << 8) | p[i];
    }
    return v;
}

/* Kind of one float value of `width` bytes (little-endian bits):
 * 0 finite, 1 NaN, 2 +Inf, 3 -Inf. */
static int classify(uint64_t bits, size_t width) {
    uint64_t expmask, mantmask, sign;
    if (width == 4) {
        expmask = 0x7f800000u;
        mantmask = 0x007fffffu;
        sign = 0x80000000u;
    } else {
        expmask = 0x7ff0000000000000ull;
        mantmask = 0x000fffffffffffffull;
        sign = 0x8000000000000000ull;
    }
    if ((bits & expmask) != expmask) {
        return 0;
    }
    if (bits & mantmask) {
        return 1;
    }
    return (bits & sign) ? 3 : 2;
}

/* Expected masks of little-endian float32 / float64 / complex values:
 * flags[k][i] for kind k (0 nan, 1 inf+, 2 inf-), complex priority NaN in
 * either part > +Inf in either > -Inf.  `zeroed` receives the input with
 * every masked element zeroed (both components). */
static void expected_masks(const uint8_t *in, size_t n, size_t comp_width, size_t comps,
                           uint8_t *flags[3], uint8_t *zeroed) {
    size_t ew = comp_width * comps;
    memcpy(zeroed, in, n * ew);
    for (size_t i = 0; i < n; i++) {
        int kind[2] = {0, 0};
        for (size_t c = 0; c < comps; c++) {
            kind[c] = classify(rd_le(in + i * ew + c * comp_width, comp_width), comp_width);
        }
        int k = -1;
        if (kind[0] == 1 || kind[1] == 1) {
            k = 0;
        } else if (kind[0] == 2 || kind[1] == 2) {
            k = 1;
        } else if (kind[0] == 3 || kind[1] == 3) {
            k = 2;
        }
        for (int j = 0; j < 3; j++) {
            flags[j][i] = (uint8_t)(j == k);
        }
        if (k >= 0) {
            memset(zeroed + i * ew, 0, ew);
        }
    }
}

/* Bit i of a packed MSB-first mask. */
static int bit(const uint8_t *m, uint64_t i) { return (m[i / 8] >> (7 - i % 8)) & 1; }

/* 1 when the packed mask `m` of n bits equals flags[0..n) with zero tail bits. */
static int mask_equals(const uint8_t *m, const uint8_t *flags, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (bit(m, i) != (flags[i] != 0)) {
            return 0;
        }
    }
    for (size_t i = n; i % 8 != 0; i++) {
        if (bit(m, i) != 0) {
            return 0;
        }
    }
    return 1;
}

static int any_set(const uint8_t *flags, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (flags[i]) {
            return 1;
        }
    }
    return 0;
}

/* ---- reference fixtures ------------------------------------------------------------- */

typedef struct {
    const char *name;
    size_t comp_width;
    size_t comps;
} fixture_case;

static void test_reference_fixtures(void) {
    const char *dir = tt_shared_dir();
    if (dir == NULL) {
        return;
    }
    static const fixture_case cases[] = {
        {"mask_f32_roaring", 4, 1}, {"mask_f32_rle", 4, 1},  {"mask_f32_zstd", 4, 1},
        {"mask_f32_lz4", 4, 1},     {"mask_f32_none", 4, 1}, {"mask_small_fallback", 4, 1},
        {"mask_c128", 8, 2},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const fixture_case *fc = &cases[c];
        char path[4096];
        size_t mlen, inlen, outlen;
        snprintf(path, sizeof path, "%s/codecs/%s.tgm", dir, fc->name);
        uint8_t *msg = tt_read_file(path, &mlen);
        snprintf(path, sizeof path, "%s/codecs/%s.in.bin", dir, fc->name);
        uint8_t *in = tt_read_file(path, &inlen);
        snprintf(path, sizeof path, "%s/codecs/%s.out.bin", dir, fc->name);
        uint8_t *outb = tt_read_file(path, &outlen);
        TT_ASSERT(msg != NULL && in != NULL && outb != NULL);
        size_t ew = fc->comp_width * fc->comps;
        size_t n = inlen / ew;
        TT_CHECK(n * ew == inlen && outlen == inlen);

        uint8_t *flags[3];
        for (int k = 0; k < 3; k++) {
            flags[k] = calloc(n ? n : 1, 1);
        }
        uint8_t *zeroed = malloc(inlen);
        expected_masks(in, n, fc->comp_width, fc->comps, flags, zeroed);

        int failures_before = tt_failures;
        tgm_message_t *m = NULL;
        TT_CHECK_ERR(tgm_decode_with_masks(msg, mlen, 1, 0, 1, &m), TGM_ERROR_OK);
        if (m != NULL) {
            size_t dl = 0;
            const uint8_t *d = tgm_object_data(m, 0, &dl);
            TT_CHECK(dl == inlen && memcmp(d, zeroed, inlen) == 0); /* host is little-endian */
            int kinds = 0;
            for (int k = 0; k < 3; k++) {
                uint64_t nb = 99;
                const uint8_t *mk = tgm_object_mask(m, 0, k, &nb);
                if (any_set(flags[k], n)) {
                    kinds++;
                    TT_CHECK(mk != NULL && nb == n);
                    TT_CHECK(mk != NULL && mask_equals(mk, flags[k], n));
                } else {
                    TT_CHECK(mk == NULL && nb == 0);
                }
            }
            TT_CHECK(kinds >= 2); /* every fixture mixes several kinds */
            if (tt_failures != failures_before) {
                fprintf(stderr, "  fixture %s\n", fc->name);
            }
            tgm_message_free(m);
        }

        /* The same message decoded normally gives the reference's output,
         * and carries no masks. */
        m = NULL;
        TT_CHECK_ERR(tgm_decode(msg, mlen, 1, 0, 0, &m), TGM_ERROR_OK);
        if (m != NULL) {
            size_t dl = 0;
            const uint8_t *d = tgm_object_data(m, 0, &dl);
            TT_CHECK(dl == outlen && memcmp(d, outb, outlen) == 0);
            uint64_t nb = 5;
            TT_CHECK(tgm_object_mask(m, 0, TGM_MASK_KIND_NAN, &nb) == NULL && nb == 0);
            tgm_message_free(m);
        }

        /* Single object without / with restoration. */
        TgmDecodeMaskOptions off = {false}, on = {true};
        m = NULL;
        TT_CHECK_ERR(tgm_decode_object_with_options(msg, mlen, 0, 1, 0, 1, &off, &m), TGM_ERROR_OK);
        if (m != NULL) {
            size_t dl = 0;
            const uint8_t *d = tgm_object_data(m, 0, &dl);
            TT_CHECK(dl == inlen && memcmp(d, zeroed, inlen) == 0);
            tgm_message_free(m);
        }
        m = NULL;
        TT_CHECK_ERR(tgm_decode_object_with_options(msg, mlen, 0, 1, 0, 0, &on, &m), TGM_ERROR_OK);
        if (m != NULL) {
            size_t dl = 0;
            const uint8_t *d = tgm_object_data(m, 0, &dl);
            TT_CHECK(dl == outlen && memcmp(d, outb, outlen) == 0);
            tgm_message_free(m);
        }

        /* Ranges (uncompressed payloads only: the fixtures compress nothing
         * but their masks), restored and not. */
        uint64_t offs[3] = {0, n / 3, n - n / 5};
        uint64_t cnts[3] = {n / 4, n / 5, n / 5};
        for (int restore = 0; restore < 2; restore++) {
            TgmDecodeMaskOptions mo = {restore != 0};
            tgm_bytes_t parts[3];
            size_t np = 0;
            TT_CHECK_ERR(tgm_decode_range_with_options(msg, mlen, 0, offs, cnts, 3, 1, 0, 0, &mo,
                                                       parts, &np),
                         TGM_ERROR_OK);
            TT_CHECK(np == 3);
            const uint8_t *want = restore ? outb : zeroed;
            for (size_t i = 0; i < np; i++) {
                TT_CHECK(parts[i].len == cnts[i] * ew &&
                         memcmp(parts[i].data, want + offs[i] * ew, parts[i].len) == 0);
                tgm_bytes_free(parts[i]);
            }
        }

        for (int k = 0; k < 3; k++) {
            free(flags[k]);
        }
        free(zeroed);
        free(msg);
        free(in);
        free(outb);
    }
}

/* ---- hand-placed values -------------------------------------------------------------- */

static const char *meta1(char *buf, size_t cap, const char *dtype, const char *order, size_t n,
                         const char *compression) {
    snprintf(buf, cap,
             "{\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[%zu],"
             "\"strides\":[1],\"dtype\":\"%s\",\"byte_order\":\"%s\",\"encoding\":\"none\","
             "\"filter\":\"none\",\"compression\":\"%s\"}]}",
             n, dtype, order, compression);
    return buf;
}

/* 20 doubles: NaN at 1, 6, 17; +Inf at 3, 9; -Inf at 5; others i + 0.5. */
static void hand_values(double *v) {
    for (int i = 0; i < 20; i++) {
        v[i] = i + 0.5;
    }
    v[1] = v[6] = v[17] = NAN;
    v[3] = v[9] = INFINITY;
    v[5] = -INFINITY;
}

/* The packed masks of hand_values, MSB first, 20 bits = 3 bytes. */
static const uint8_t HAND_NAN[3] = {0x42, 0x00, 0x40}; /* bits 1, 6 | 17 */
static const uint8_t HAND_POS[3] = {0x10, 0x40, 0x00}; /* bits 3 | 9 */
static const uint8_t HAND_NEG[3] = {0x04, 0x00, 0x00}; /* bit 5 */

static tgm_bytes_t encode_hand(const char *method, const char *hash) {
    double v[20];
    hand_values(v);
    char meta[1024];
    meta1(meta, sizeof meta, "float64", "little", 20, "none");
    const uint8_t *p = (const uint8_t *)v;
    size_t len = sizeof v;
    TgmEncodeMaskOptions mo = {true, true, method, method, method, 0};
    tgm_bytes_t out = {NULL, 0};
    tgm_error e = tgm_encode_with_options(meta, &p, &len, 1, hash, 0, &mo, &out);
    TT_CHECK_ERR(e, TGM_ERROR_OK);
    return out;
}

static void test_hand_masks(void) {
    static const char *const methods[] = {"none", "rle", "roaring", "lz4", "zstd", "blosc2"};
    for (size_t mi = 0; mi < sizeof methods / sizeof methods[0]; mi++) {
        tgm_bytes_t msg = encode_hand(methods[mi], "xxh3");
        TT_ASSERT(msg.data != NULL);
        tgm_message_t *m = NULL;
        TT_CHECK_ERR(tgm_decode_with_masks(msg.data, msg.len, 1, 0, 1, &m), TGM_ERROR_OK);
        if (m != NULL) {
            uint64_t nb = 0;
            const uint8_t *k0 = tgm_object_mask(m, 0, TGM_MASK_KIND_NAN, &nb);
            TT_CHECK(k0 != NULL && nb == 20 && memcmp(k0, HAND_NAN, 3) == 0);
            const uint8_t *k1 = tgm_object_mask(m, 0, TGM_MASK_KIND_POS_INF, &nb);
            TT_CHECK(k1 != NULL && nb == 20 && memcmp(k1, HAND_POS, 3) == 0);
            const uint8_t *k2 = tgm_object_mask(m, 0, TGM_MASK_KIND_NEG_INF, NULL);
            TT_CHECK(k2 != NULL && memcmp(k2, HAND_NEG, 3) == 0);
            size_t dl = 0;
            const double *d = (const double *)tgm_object_data(m, 0, &dl);
            TT_CHECK(dl == 20 * sizeof(double));
            double v[20];
            hand_values(v);
            for (int i = 0; d != NULL && i < 20; i++) {
                double want = isfinite(v[i]) ? v[i] : 0.0;
                TT_CHECK(d[i] == want && !signbit(d[i]));
            }
            /* Kinds and indexes out of range, NULL handle. */
            nb = 7;
            TT_CHECK(tgm_object_mask(m, 0, 3, &nb) == NULL && nb == 0);
            TT_CHECK(tgm_object_mask(m, 0, -1, NULL) == NULL);
            TT_CHECK(tgm_object_mask(m, 1, TGM_MASK_KIND_NAN, NULL) == NULL);
            TT_CHECK(tgm_object_mask(NULL, 0, TGM_MASK_KIND_NAN, &nb) == NULL && nb == 0);
            tgm_message_free(m);
        }
        free(msg.data);
    }
}

/* Big-endian float32 with native_byte_order = 0: zeros in wire order, the
 * masks do not depend on byte order. */
static void test_big_endian_wire_order(void) {
    float v[10] = {1, NAN, 2, -INFINITY, 3, 4, 5, INFINITY, 6, NAN};
    uint8_t be[40];
    for (int i = 0; i < 10; i++) {
        uint32_t b;
        memcpy(&b, &v[i], 4);
        be[4 * i] = (uint8_t)(b >> 24);
        be[4 * i + 1] = (uint8_t)(b >> 16);
        be[4 * i + 2] = (uint8_t)(b >> 8);
        be[4 * i + 3] = (uint8_t)b;
    }
    char meta[1024];
    meta1(meta, sizeof meta, "float32", "big", 10, "none");
    const uint8_t *p = be;
    size_t len = sizeof be;
    TgmEncodeMaskOptions mo = {true, true, "rle", "rle", "rle", 0};
    tgm_bytes_t msg = {NULL, 0};
    TT_ASSERT(tgm_encode_with_options(meta, &p, &len, 1, NULL, 0, &mo, &msg) == TGM_ERROR_OK);
    for (int native = 0; native < 2; native++) {
        tgm_message_t *m = NULL;
        TT_CHECK_ERR(tgm_decode_with_masks(msg.data, msg.len, native, 0, 0, &m), TGM_ERROR_OK);
        if (m == NULL) {
            continue;
        }
        size_t dl = 0;
        const uint8_t *d = tgm_object_data(m, 0, &dl);
        TT_CHECK(dl == 40);
        for (int i = 0; d != NULL && i < 10; i++) {
            uint8_t want[4];
            if (isfinite(v[i])) {
                memcpy(want, be + 4 * i, 4);
                if (native) { /* to little-endian (x86 / arm64 hosts) */
                    for (int j = 0; j < 4; j++) {
                        want[j] = be[4 * i + 3 - j];
                    }
                }
            } else {
                memset(want, 0, 4);
            }
            TT_CHECK(memcmp(d + 4 * i, want, 4) == 0);
        }
        static const uint8_t nan_m[2] = {0x40, 0x40}; /* bits 1 | 9 */
        static const uint8_t pos_m[2] = {0x01, 0x00}; /* bit 7 */
        static const uint8_t neg_m[2] = {0x10, 0x00}; /* bit 3 */
        uint64_t nb = 0;
        const uint8_t *k = tgm_object_mask(m, 0, TGM_MASK_KIND_NAN, &nb);
        TT_CHECK(k != NULL && nb == 10 && memcmp(k, nan_m, 2) == 0);
        k = tgm_object_mask(m, 0, TGM_MASK_KIND_POS_INF, &nb);
        TT_CHECK(k != NULL && memcmp(k, pos_m, 2) == 0);
        k = tgm_object_mask(m, 0, TGM_MASK_KIND_NEG_INF, &nb);
        TT_CHECK(k != NULL && memcmp(k, neg_m, 2) == 0);
        tgm_message_free(m);
    }
    free(msg.data);
}

/* Several objects: masks only where stored, only of the kinds stored. */
static void test_multi_object(void) {
    static const char meta[] =
        "{\"descriptors\":["
        "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[4],\"strides\":[1],\"dtype\":\"float32\","
        "\"byte_order\":\"little\",\"encoding\":\"none\",\"filter\":\"none\",\"compression\":"
        "\"none\"},"
        "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[3],\"strides\":[1],\"dtype\":\"int32\","
        "\"byte_order\":\"little\",\"encoding\":\"none\",\"filter\":\"none\",\"compression\":"
        "\"none\"},"
        "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[9],\"strides\":[1],\"dtype\":\"float64\","
        "\"byte_order\":\"little\",\"encoding\":\"none\",\"filter\":\"none\",\"compression\":"
        "\"zstd\"},"
        "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[2],\"strides\":[1],\"dtype\":\"float32\","
        "\"byte_order\":\"little\",\"encoding\":\"none\",\"filter\":\"none\",\"compression\":"
        "\"none\"}]}";
    float a[4] = {NAN, 1, 2, 3};
    int32_t b[3] = {1, 2, 3};
    double c[9] = {0, 1, 2, 3, 4, 5, 6, 7, -INFINITY};
    float e[2] = {1, 2};
    const uint8_t *ptrs[4] = {(const uint8_t *)a, (const uint8_t *)b, (const uint8_t *)c,
                              (const uint8_t *)e};
    size_t lens[4] = {sizeof a, sizeof b, sizeof c, sizeof e};
    TgmEncodeMaskOptions mo = {true, true, NULL, NULL, NULL, -1};
    tgm_bytes_t msg = {NULL, 0};
    TT_ASSERT(tgm_encode_with_options(meta, ptrs, lens, 4, "xxh3", 0, &mo, &msg) == TGM_ERROR_OK);
    tgm_message_t *m = NULL;
    TT_ASSERT(tgm_decode_with_masks(msg.data, msg.len, 1, 0, 1, &m) == TGM_ERROR_OK);
    TT_CHECK(tgm_message_num_objects(m) == 4);
    uint64_t nb = 0;
    const uint8_t *k = tgm_object_mask(m, 0, TGM_MASK_KIND_NAN, &nb);
    TT_CHECK(k != NULL && nb == 4 && k[0] == 0x80);
    TT_CHECK(tgm_object_mask(m, 0, TGM_MASK_KIND_POS_INF, NULL) == NULL);
    TT_CHECK(tgm_object_mask(m, 0, TGM_MASK_KIND_NEG_INF, NULL) == NULL);
    for (int kind = 0; kind < 3; kind++) {
        TT_CHECK(tgm_object_mask(m, 1, kind, NULL) == NULL);
        TT_CHECK(tgm_object_mask(m, 3, kind, NULL) == NULL);
    }
    k = tgm_object_mask(m, 2, TGM_MASK_KIND_NEG_INF, &nb);
    TT_CHECK(k != NULL && nb == 9 && k[0] == 0x00 && k[1] == 0x80);
    TT_CHECK(tgm_object_mask(m, 2, TGM_MASK_KIND_NAN, NULL) == NULL);
    size_t dl = 0;
    const double *cd = (const double *)tgm_object_data(m, 2, &dl);
    TT_CHECK(dl == sizeof c && cd != NULL && cd[8] == 0.0 && cd[7] == 7.0);
    const int32_t *bd = (const int32_t *)tgm_object_data(m, 1, &dl);
    TT_CHECK(dl == sizeof b && bd != NULL && memcmp(bd, b, sizeof b) == 0);
    tgm_message_free(m);

    /* Masks kept with every thread count (the objects are spread over
     * threads only above the parallel threshold: repeat one large object). */
    free(msg.data);
    enum { N = 40000 };
    double *big = malloc(N * sizeof(double));
    for (int i = 0; i < N; i++) {
        big[i] = i % 97 == 0 ? NAN : i % 89 == 0 ? INFINITY : (double)i;
    }
    char bm[4096];
    size_t pos = (size_t)snprintf(bm, sizeof bm, "{\"descriptors\":[");
    for (int i = 0; i < 4; i++) {
        pos += (size_t)snprintf(bm + pos, sizeof bm - pos,
                                "%s{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[%d],"
                                "\"strides\":[1],\"dtype\":\"float64\",\"byte_order\":"
                                "\"little\",\"encoding\":\"none\",\"filter\":\"none\","
                                "\"compression\":\"%s\"}",
                                i ? "," : "", N, i % 2 ? "lz4" : "none");
    }
    snprintf(bm + pos, sizeof bm - pos, "]}");
    const uint8_t *bp[4];
    size_t bl[4];
    for (int i = 0; i < 4; i++) {
        bp[i] = (const uint8_t *)big;
        bl[i] = N * sizeof(double);
    }
    TT_ASSERT(tgm_encode_with_options(bm, bp, bl, 4, NULL, 0, &mo, &msg) == TGM_ERROR_OK);
    tgm_message_t *one = NULL, *four = NULL;
    TT_CHECK_ERR(tgm_decode_with_masks(msg.data, msg.len, 1, 1, 0, &one), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_decode_with_masks(msg.data, msg.len, 1, 4, 0, &four), TGM_ERROR_OK);
    if (one != NULL && four != NULL) {
        for (size_t o = 0; o < 4; o++) {
            size_t l1 = 0, l4 = 0;
            const uint8_t *d1 = tgm_object_data(one, o, &l1);
            const uint8_t *d4 = tgm_object_data(four, o, &l4);
            TT_CHECK(l1 == l4 && memcmp(d1, d4, l1) == 0);
            for (int kind = 0; kind < 3; kind++) {
                uint64_t n1 = 0, n4 = 0;
                const uint8_t *m1 = tgm_object_mask(one, o, kind, &n1);
                const uint8_t *m4 = tgm_object_mask(four, o, kind, &n4);
                TT_CHECK((kind == 2) == (m1 == NULL)); /* no -Inf was stored */
                TT_CHECK(n1 == n4 && (m1 == NULL) == (m4 == NULL));
                if (m1 != NULL && m4 != NULL) {
                    TT_CHECK(n1 == N && memcmp(m1, m4, (N + 7) / 8) == 0);
                    for (uint64_t i = 0; i < N; i++) {
                        int want = kind == 0 ? i % 97 == 0 : (i % 97 != 0 && i % 89 == 0);
                        if (bit(m1, i) != want) {
                            TT_CHECK(bit(m1, i) == want);
                            break;
                        }
                    }
                }
            }
        }
    }
    tgm_message_free(one);
    tgm_message_free(four);
    free(big);
    free(msg.data);
}

/* complex64 / float16 / bfloat16: zeros in every component of a masked
 * element. */
static void test_other_float_types(void) {
    /* complex64: (1,NaN) (Inf,2) (3,4) (-Inf,5) */
    float cv[8] = {1, NAN, INFINITY, 2, 3, 4, -INFINITY, 5};
    /* float16 little-endian: 1.0, NaN, -Inf, 2.0 */
    uint8_t h[8] = {0x00, 0x3c, 0x00, 0x7e, 0x00, 0xfc, 0x00, 0x40};
    /* bfloat16: +Inf, 1.0, NaN */
    uint8_t bf[6] = {0x80, 0x7f, 0x80, 0x3f, 0xc0, 0x7f};
    struct {
        const char *dtype;
        size_t n;
        const uint8_t *data;
        size_t len;
        uint8_t nan_m, pos_m, neg_m; /* first mask byte, 0 = absent */
    } cases[] = {
        {"complex64", 4, (const uint8_t *)cv, sizeof cv, 0x80, 0x40, 0x10},
        {"float16", 4, h, sizeof h, 0x40, 0, 0x20},
        {"bfloat16", 3, bf, sizeof bf, 0x20, 0x80, 0},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char meta[1024];
        meta1(meta, sizeof meta, cases[c].dtype, "little", cases[c].n, "none");
        TgmEncodeMaskOptions mo = {true, true, "none", "none", "none", 0};
        tgm_bytes_t msg = {NULL, 0};
        const uint8_t *p = cases[c].data;
        size_t len = cases[c].len;
        TT_ASSERT(tgm_encode_with_options(meta, &p, &len, 1, NULL, 0, &mo, &msg) == TGM_ERROR_OK);
        tgm_message_t *m = NULL;
        TT_ASSERT(tgm_decode_with_masks(msg.data, msg.len, 1, 0, 0, &m) == TGM_ERROR_OK);
        uint8_t want[3] = {cases[c].nan_m, cases[c].pos_m, cases[c].neg_m};
        for (int k = 0; k < 3; k++) {
            const uint8_t *mk = tgm_object_mask(m, 0, k, NULL);
            TT_CHECK(want[k] ? (mk != NULL && mk[0] == want[k]) : mk == NULL);
        }
        size_t dl = 0;
        const uint8_t *d = tgm_object_data(m, 0, &dl);
        size_t ew = cases[c].len / cases[c].n;
        TT_CHECK(dl == cases[c].len);
        for (size_t i = 0; d != NULL && i < cases[c].n; i++) {
            int masked = 0;
            for (int k = 0; k < 3; k++) {
                masked |= (want[k] >> (7 - i)) & 1;
            }
            uint8_t zero[16] = {0};
            if (masked) {
                TT_CHECK(memcmp(d + i * ew, zero, ew) == 0);
            } else {
                TT_CHECK(memcmp(d + i * ew, cases[c].data + i * ew, ew) == 0);
            }
        }
        tgm_message_free(m);
        free(msg.data);
    }
}

/* ---- errors ----------------------------------------------------------------------------- */

static void test_errors(void) {
    static char dummy;
    tgm_message_t *const sentinel = (tgm_message_t *)(void *)&dummy;
    tgm_message_t *m = sentinel; /* must stay untouched on failure */
    TT_CHECK_ERR(tgm_decode_with_masks(NULL, 0, 1, 0, 0, &m), TGM_ERROR_INVALID_ARG);
    uint8_t junk[64] = {0};
    TT_CHECK_ERR(tgm_decode_with_masks(junk, sizeof junk, 1, 0, 0, NULL), TGM_ERROR_INVALID_ARG);
    TT_CHECK(tgm_decode_with_masks(junk, sizeof junk, 1, 0, 0, &m) != TGM_ERROR_OK);
    TT_CHECK(m == sentinel);

    tgm_bytes_t msg = encode_hand("none", "xxh3");
    TT_ASSERT(msg.data != NULL);
    TT_CHECK(tgm_decode_with_masks(msg.data, msg.len - 1, 1, 0, 0, &m) != TGM_ERROR_OK);
    TT_CHECK(m == sentinel);

    /* A damaged mask blob (the structural checks of the frame pass: the
     * blob is where the descriptor says, its content is not a roaring
     * bitmap).  The payload is 160 bytes starting with 0.5, then 0.0 (the
     * substituted NaN); the nan blob follows it directly. */
    tgm_bytes_t rmsg = encode_hand("roaring", "xxh3");
    TT_ASSERT(rmsg.data != NULL);
    uint8_t *bad = rmsg.data;
    double head[2] = {0.5, 0.0};
    size_t at = SIZE_MAX;
    for (size_t i = 0; i + 16 <= rmsg.len; i++) {
        if (memcmp(bad + i, head, 16) == 0) {
            at = i;
            break;
        }
    }
    TT_ASSERT(at != SIZE_MAX && at + 164 <= rmsg.len);
    memset(bad + at + 160, 0xff, 4); /* the roaring cookie */
    TT_CHECK_ERR(tgm_decode_with_masks(bad, rmsg.len, 1, 0, 0, &m), TGM_ERROR_ENCODING);
    TT_CHECK(m == sentinel && tgm_last_error() != NULL &&
             strstr(tgm_last_error(), "roaring") != NULL);
    /* With hash verification the hash catches it first. */
    TT_CHECK_ERR(tgm_decode_with_masks(bad, rmsg.len, 1, 0, 1, &m), TGM_ERROR_HASH_MISMATCH);
    TT_CHECK(m == sentinel);
    /* Decoding without restoring never reads the masks. */
    TgmDecodeMaskOptions off = {false}, on = {true};
    tgm_message_t *ok = NULL;
    TT_CHECK_ERR(tgm_decode_object_with_options(bad, rmsg.len, 0, 1, 0, 0, &off, &ok),
                 TGM_ERROR_OK);
    tgm_message_free(ok);
    TT_CHECK_ERR(tgm_decode_object_with_options(bad, rmsg.len, 0, 1, 0, 0, &on, &m),
                 TGM_ERROR_ENCODING);
    uint64_t o = 0, c = 4;
    tgm_bytes_t part = {NULL, 0};
    size_t np = 9;
    TT_CHECK_ERR(
        tgm_decode_range_with_options(bad, rmsg.len, 0, &o, &c, 1, 1, 0, 0, &off, &part, &np),
        TGM_ERROR_OK);
    TT_CHECK(np == 1 && part.len == 32);
    tgm_bytes_free(part);
    np = 9;
    TT_CHECK_ERR(
        tgm_decode_range_with_options(bad, rmsg.len, 0, &o, &c, 1, 1, 0, 0, &on, &part, &np),
        TGM_ERROR_ENCODING);
    TT_CHECK(np == 9); /* nothing written on failure */
    free(rmsg.data);

    /* Tampered payload with verification. */
    tgm_bytes_t msg2 = encode_hand("rle", "xxh3");
    TT_ASSERT(msg2.data != NULL);
    double v0 = 0.5;
    for (size_t i = 0; i + 8 <= msg2.len; i++) {
        if (memcmp(msg2.data + i, &v0, 8) == 0) {
            msg2.data[i] ^= 1;
            break;
        }
    }
    TT_CHECK_ERR(tgm_decode_with_masks(msg2.data, msg2.len, 1, 0, 1, &m), TGM_ERROR_HASH_MISMATCH);
    TT_CHECK(m == sentinel);
    TT_CHECK_ERR(tgm_decode_with_masks(msg2.data, msg2.len, 1, 0, 0, &ok), TGM_ERROR_OK);
    tgm_message_free(ok);
    free(msg.data);
    free(msg2.data);

    /* Messages without hashes: verification reports the missing hash. */
    tgm_bytes_t msg3 = encode_hand("rle", NULL);
    TT_CHECK_ERR(tgm_decode_with_masks(msg3.data, msg3.len, 1, 0, 1, &m), TGM_ERROR_MISSING_HASH);
    free(msg3.data);
}

/* ---- single objects and ranges ------------------------------------------------------ */

static void test_object_and_range_options(void) {
    tgm_bytes_t msg = encode_hand("roaring", "xxh3");
    TT_ASSERT(msg.data != NULL);
    double v[20];
    hand_values(v);
    TgmDecodeMaskOptions off = {false}, on = {true};
    const TgmDecodeMaskOptions *opts[3] = {NULL, &on, &off};
    for (int i = 0; i < 3; i++) {
        tgm_message_t *m = NULL;
        TT_ASSERT(tgm_decode_object_with_options(msg.data, msg.len, 0, 1, 0, 1, opts[i], &m) ==
                  TGM_ERROR_OK);
        size_t dl = 0;
        const double *d = (const double *)tgm_object_data(m, 0, &dl);
        TT_CHECK(dl == sizeof v);
        for (int j = 0; d != NULL && j < 20; j++) {
            if (i == 2) {
                TT_CHECK(d[j] == (isfinite(v[j]) ? v[j] : 0.0));
            } else if (isnan(v[j])) {
                uint64_t b;
                memcpy(&b, &d[j], 8);
                TT_CHECK(b == 0x7ff8000000000000ull); /* canonical quiet NaN */
            } else {
                TT_CHECK(d[j] == v[j]);
            }
        }
        /* No masks are kept by the single-object decode. */
        TT_CHECK(tgm_object_mask(m, 0, TGM_MASK_KIND_NAN, NULL) == NULL);
        tgm_message_free(m);
    }
    tgm_message_t *m = NULL;
    TT_CHECK_ERR(tgm_decode_object_with_options(msg.data, msg.len, 1, 1, 0, 0, &off, &m),
                 TGM_ERROR_OBJECT);
    TT_CHECK_ERR(tgm_decode_object_with_options(NULL, 0, 0, 1, 0, 0, &off, &m),
                 TGM_ERROR_INVALID_ARG);

    /* Ranges: many small ones (each restored from the same masks), joined
     * and separate, restored and not, old entry point = restored. */
    uint64_t offs[20], cnts[20];
    for (int i = 0; i < 20; i++) {
        offs[i] = (uint64_t)((i * 7) % 20);
        cnts[i] = (uint64_t)(i % 4 == 0 ? 0 : 1 + i % 3);
        if (offs[i] + cnts[i] > 20) {
            cnts[i] = 20 - offs[i];
        }
    }
    for (int variant = 0; variant < 4; variant++) {
        int restore = variant & 1;
        int join = (variant >> 1) & 1;
        TgmDecodeMaskOptions mo = {restore != 0};
        tgm_bytes_t parts[20];
        size_t np = 0;
        TT_ASSERT(tgm_decode_range_with_options(msg.data, msg.len, 0, offs, cnts, 20, 1, 0, join,
                                                &mo, parts, &np) == TGM_ERROR_OK);
        TT_CHECK(np == (join ? 1u : 20u));
        size_t pos = 0;
        for (int r = 0; r < 20; r++) {
            const tgm_bytes_t *pb = join ? &parts[0] : &parts[r];
            const double *d = (const double *)(pb->data + (join ? pos : 0));
            if (!join) {
                TT_CHECK(pb->len == cnts[r] * 8);
            }
            for (uint64_t j = 0; j < cnts[r]; j++) {
                double want = v[offs[r] + j];
                if (!restore && !isfinite(want)) {
                    want = 0.0;
                }
                double got;
                memcpy(&got, d + j, 8);
                TT_CHECK(isnan(want) ? isnan(got) : got == want);
            }
            pos += cnts[r] * 8;
        }
        if (join) {
            TT_CHECK(parts[0].len == pos);
        }
        for (size_t i = 0; i < np; i++) {
            tgm_bytes_free(parts[i]);
        }
    }
    /* tgm_decode_range restores, as before. */
    tgm_bytes_t part;
    size_t np = 0;
    uint64_t o = 3, c = 3;
    TT_ASSERT(tgm_decode_range(msg.data, msg.len, 0, &o, &c, 1, 1, 0, 0, &part, &np) ==
              TGM_ERROR_OK);
    const double *pd = (const double *)part.data;
    TT_CHECK(np == 1 && part.len == 24 && isinf(pd[0]) && pd[0] > 0 && pd[1] == 4.5 &&
             isinf(pd[2]) && pd[2] < 0);
    tgm_bytes_free(part);
    /* Non-native output order: restored patterns in the wire's order. */
    TT_ASSERT(tgm_decode_range_with_options(msg.data, msg.len, 0, &o, &c, 1, 0, 0, 0, &on, &part,
                                            &np) == TGM_ERROR_OK);
    static const uint8_t pinf_le[8] = {0, 0, 0, 0, 0, 0, 0xf0, 0x7f};
    TT_CHECK(part.len == 24 && memcmp(part.data, pinf_le, 8) == 0);
    tgm_bytes_free(part);
    /* Ranges past the end still fail; zero ranges give nothing. */
    o = 18;
    c = 3;
    TT_CHECK_ERR(
        tgm_decode_range_with_options(msg.data, msg.len, 0, &o, &c, 1, 1, 0, 0, &on, &part, &np),
        TGM_ERROR_OBJECT);
    np = 5;
    TT_CHECK_ERR(tgm_decode_range_with_options(msg.data, msg.len, 0, NULL, NULL, 0, 1, 0, 0, &on,
                                               &part, &np),
                 TGM_ERROR_OK);
    TT_CHECK(np == 0);
    free(msg.data);

    /* A range-capable compressor (blosc2) with masks. */
    float fv[3000];
    for (int i = 0; i < 3000; i++) {
        fv[i] = i % 10 == 3 ? NAN : (float)i;
    }
    char meta[1024];
    meta1(meta, sizeof meta, "float32", "little", 3000, "blosc2");
    const uint8_t *p = (const uint8_t *)fv;
    size_t len = sizeof fv;
    TgmEncodeMaskOptions emo = {true, false, NULL, NULL, NULL, -1};
    tgm_bytes_t bmsg = {NULL, 0};
    TT_ASSERT(tgm_encode_with_options(meta, &p, &len, 1, NULL, 0, &emo, &bmsg) == TGM_ERROR_OK);
    o = 1000;
    c = 20;
    for (int restore = 0; restore < 2; restore++) {
        TgmDecodeMaskOptions mo = {restore != 0};
        TT_CHECK_ERR(tgm_decode_range_with_options(bmsg.data, bmsg.len, 0, &o, &c, 1, 1, 0, 1, &mo,
                                                   &part, &np),
                     TGM_ERROR_OK);
        const float *f = (const float *)part.data;
        for (int i = 0; f != NULL && i < 20; i++) {
            float want = fv[1000 + i];
            TT_CHECK(isnan(want) ? (restore ? isnan(f[i]) : f[i] == 0.0f) : f[i] == want);
        }
        tgm_bytes_free(part);
    }
    free(bmsg.data);
}

int main(void) {
    TT_RUN(test_hand_masks);
    TT_RUN(test_big_endian_wire_order);
    TT_RUN(test_multi_object);
    TT_RUN(test_other_float_types);
    TT_RUN(test_errors);
    TT_RUN(test_object_and_range_options);
    TT_RUN(test_reference_fixtures);
    int rc = tt_finish("test_decode_masks");
    if (rc == 0 && tt_shared_dir() == NULL) {
        /* Everything else passed; the fixture comparison could not run. */
        printf("skipped: reference fixtures not found (set TGM_SHARED_DIR)\n");
        return TT_SKIP_CODE;
    }
    return rc;
}
