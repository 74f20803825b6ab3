/* The C API over the plain pipeline: round trips for every dtype and byte
 * order, argument and metadata errors, scanning with garbage, streaming
 * messages (total_length 0), decode_object without an index, ranges. */
#include "tt.h"

#include <math.h>
#include <stdint.h>

#include "tensogram/tensogram.h"

static const char *const dtypes[] = {"float16",    "bfloat16", "float32", "float64", "complex64",
                                     "complex128", "int8",     "int16",   "int32",   "int64",
                                     "uint8",      "uint16",   "uint32",  "uint64",  "bitmask"};
static const size_t widths[] = {2, 2, 4, 8, 8, 16, 1, 2, 4, 8, 1, 2, 4, 8, 0};
static const size_t swap_units[] = {2, 2, 4, 8, 4, 8, 1, 2, 4, 8, 1, 2, 4, 8, 0};

static int host_big(void) {
    const uint16_t x = 1;
    return *(const uint8_t *)&x == 0;
}

static char *meta_json(const char *dtype, const char *order, size_t n, const char *extra) {
    static char buf[1024];
    snprintf(buf, sizeof buf,
             "{%s\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[%zu],"
             "\"strides\":[1],\"dtype\":\"%s\",\"byte_order\":\"%s\",\"encoding\":\"none\","
             "\"filter\":\"none\",\"compression\":\"none\"}]}",
             extra ? extra : "", n, dtype, order);
    return buf;
}

/* Finite test values: small integers encoded in each float format by hand
 * (so no NaN/Inf bit patterns appear), raw bytes for integer dtypes. */
static void fill(size_t d, uint8_t *p, size_t nbytes) {
    for (size_t i = 0; i < nbytes; i++) {
        p[i] = (uint8_t)(i * 37 + 11);
    }
    if (d <= 5) { /* floats: keep exponents away from all-ones */
        size_t unit = swap_units[d];
        for (size_t i = 0; i + unit <= nbytes; i += unit) {
            /* The exponent byte is the most significant one; in either byte
             * order clear its top data bit below the sign. */
            p[i] &= 0x3f;
            p[i + unit - 1] &= 0x3f;
        }
    }
}

static void test_roundtrip_matrix(void) {
    static const size_t sizes[] = {0, 1, 7, 1000};
    for (size_t d = 0; d < sizeof dtypes / sizeof dtypes[0]; d++) {
        for (int big = 0; big < 2; big++) {
            for (size_t s = 0; s < 4; s++) {
                size_t n = sizes[s];
                size_t nbytes = widths[d] ? n * widths[d] : (n + 7) / 8;
                uint8_t *data = malloc(nbytes + 1);
                fill(d, data, nbytes);
                if (widths[d] == 0 && n % 8) {
                    data[nbytes - 1] &= (uint8_t)(0xff << (8 - n % 8));
                }
                const uint8_t *ptrs[1] = {data};
                size_t lens[1] = {nbytes};
                tgm_bytes_t msg = {NULL, 0};
                const char *order = big ? "big" : "little";
                tgm_error e = tgm_encode(meta_json(dtypes[d], order, n, NULL), ptrs, lens, 1,
                                         "xxh3", 0, &msg);
                if (e != TGM_ERROR_OK) {
                    fprintf(stderr, "encode %s/%s/%zu: %s\n", dtypes[d], order, n,
                            tgm_last_error());
                    tt_failures++;
                    free(data);
                    continue;
                }
                for (int native = 0; native < 2; native++) {
                    tgm_message_t *m = NULL;
                    TT_ASSERT(tgm_decode(msg.data, msg.len, native, 0, 1, &m) == TGM_ERROR_OK);
                    size_t got;
                    const uint8_t *out = tgm_object_data(m, 0, &got);
                    TT_CHECK_EQ_INT(got, nbytes);
                    uint8_t *expect = malloc(nbytes + 1);
                    memcpy(expect, data, nbytes);
                    size_t unit = swap_units[d];
                    if (native && unit > 1 && big != host_big()) {
                        for (size_t i = 0; i + unit <= nbytes; i += unit) {
                            for (size_t k = 0; k < unit / 2; k++) {
                                uint8_t t = expect[i + k];
                                expect[i + k] = expect[i + unit - 1 - k];
                                expect[i + unit - 1 - k] = t;
                            }
                        }
                    }
                    TT_CHECK(got == nbytes && (nbytes == 0 || memcmp(out, expect, nbytes) == 0));
                    TT_CHECK_EQ_STR(tgm_object_dtype(m, 0), dtypes[d]);
                    TT_CHECK_EQ_STR(tgm_object_byte_order(m, 0), order);
                    free(expect);
                    tgm_message_free(m);
                }
                tgm_bytes_free(msg);
                free(data);
            }
        }
    }
}

static void test_encode_errors(void) {
    float v[4] = {1, 2, 3, 4};
    const uint8_t *ptrs[1] = {(const uint8_t *)v};
    size_t lens[1] = {16};
    tgm_bytes_t out;
    TT_CHECK_ERR(tgm_encode(NULL, ptrs, lens, 1, NULL, 0, &out), TGM_ERROR_INVALID_ARG);
    TT_CHECK_EQ_STR(tgm_last_error(), "null argument");
    TT_CHECK_ERR(tgm_encode(meta_json("float32", "little", 4, NULL), ptrs, lens, 1, NULL, 0, NULL),
                 TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm_encode(meta_json("float32", "little", 4, NULL), ptrs, lens, 2, NULL, 0, &out),
                 TGM_ERROR_INVALID_ARG);
    TT_CHECK(strstr(tgm_last_error(), "does not match num_objects 2") != NULL);
    TT_CHECK_ERR(tgm_encode(meta_json("float32", "little", 4, NULL), NULL, lens, 1, NULL, 0, &out),
                 TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm_encode(meta_json("float32", "little", 4, NULL), ptrs, lens, 1, "md5", 0, &out),
                 TGM_ERROR_INVALID_ARG);
    TT_CHECK(strstr(tgm_last_error(), "unknown hash type: md5") != NULL);
    TT_CHECK_ERR(tgm_encode("{not json", ptrs, lens, 1, NULL, 0, &out), TGM_ERROR_METADATA);
    TT_CHECK_ERR(tgm_encode(meta_json("float32", "little", 5, NULL), ptrs, lens, 1, NULL, 0, &out),
                 TGM_ERROR_METADATA);
    TT_CHECK(strstr(tgm_last_error(), "data_len 16 does not match expected 20 bytes") != NULL);
    TT_CHECK_ERR(tgm_encode(meta_json("float9", "little", 4, NULL), ptrs, lens, 1, NULL, 0, &out),
                 TGM_ERROR_METADATA);
    TT_CHECK_ERR(
        tgm_encode(meta_json("float32", "little", 4, "\"base\":[{\"_reserved_\":{\"x\":1}}],"),
                   ptrs, lens, 1, NULL, 0, &out),
        TGM_ERROR_METADATA);
    TT_CHECK(strstr(tgm_last_error(), "_reserved_") != NULL);
    TT_CHECK_ERR(tgm_encode(meta_json("float32", "little", 4, "\"base\":[{},{}],"), ptrs, lens, 1,
                            NULL, 0, &out),
                 TGM_ERROR_METADATA);
    TT_CHECK(strstr(tgm_last_error(), "2 entries but only 1 descriptors") != NULL);
    TT_CHECK_ERR(tgm_encode(meta_json("float32", "little", 4, "\"_reserved_\":{},"), ptrs, lens, 1,
                            NULL, 0, &out),
                 TGM_ERROR_METADATA);
    TT_CHECK_ERR(tgm_encode(meta_json("float32", "little", 4, "\"_extra_\":{},\"extra\":{},"), ptrs,
                            lens, 1, NULL, 0, &out),
                 TGM_ERROR_METADATA);
    /* NaN is refused by default, naming the element. */
    float nanv[4] = {1, 2, NAN, 4};
    const uint8_t *nptrs[1] = {(const uint8_t *)nanv};
    TT_CHECK_ERR(tgm_encode(meta_json("float32", host_big() ? "big" : "little", 4, NULL), nptrs,
                            lens, 1, NULL, 0, &out),
                 TGM_ERROR_ENCODING);
    TT_CHECK(strstr(tgm_last_error(), "NaN at element 2 of float32 array") != NULL);
    float infv[4] = {1, -INFINITY, 3, 4};
    const uint8_t *iptrs[1] = {(const uint8_t *)infv};
    TT_CHECK_ERR(tgm_encode(meta_json("float32", host_big() ? "big" : "little", 4, NULL), iptrs,
                            lens, 1, NULL, 0, &out),
                 TGM_ERROR_ENCODING);
    TT_CHECK(strstr(tgm_last_error(), "-Inf at element 1") != NULL);
}

static void test_extra_routing(void) {
    uint8_t d[2] = {1, 2};
    const uint8_t *ptrs[1] = {d};
    size_t lens[1] = {2};
    tgm_bytes_t out;
    TT_ASSERT(tgm_encode(meta_json("uint8", "little", 2,
                                   "\"version\":3,\"mars\":{\"class\":\"od\"},"
                                   "\"_extra_\":{\"mars\":\"explicit\",\"k\":1.5},"),
                         ptrs, lens, 1, NULL, 0, &out) == TGM_ERROR_OK);
    tgm_metadata_t *md = NULL;
    TT_ASSERT(tgm_decode_metadata(out.data, out.len, &md) == TGM_ERROR_OK);
    /* explicit _extra_ beats the implicit top-level key; version kept */
    TT_CHECK_EQ_STR(tgm_metadata_get_string(md, "extra.mars"), "explicit");
    TT_CHECK_EQ_INT(tgm_metadata_get_int(md, "extra.version", -1), 3);
    TT_CHECK(tgm_metadata_get_float(md, "k", 0) == 1.5);
    const char *json = tgm_metadata_to_json(md);
    TT_CHECK(strstr(json, "\"_extra_\":{\"k\":1.5,\"mars\":\"explicit\",\"version\":3}") != NULL);
    /* provenance present */
    TT_CHECK(tgm_value_map_get(tgm_metadata_reserved(md), "uuid") != NULL);
    TT_CHECK(tgm_value_map_get(tgm_metadata_reserved(md), "time") != NULL);
    tgm_metadata_free(md);
    tgm_bytes_free(out);
}

static tgm_bytes_t encode_f32(const float *v, size_t n, const char *hash) {
    const uint8_t *ptrs[1] = {(const uint8_t *)v};
    size_t lens[1] = {n * 4};
    tgm_bytes_t out = {NULL, 0};
    if (tgm_encode(meta_json("float32", host_big() ? "big" : "little", n, NULL), ptrs, lens, 1,
                   hash, 0, &out) != TGM_ERROR_OK) {
        fprintf(stderr, "encode: %s\n", tgm_last_error());
    }
    return out;
}

static void test_scan_garbage_and_streaming(void) {
    float a[3] = {1, 2, 3}, b[2] = {4, 5};
    tgm_bytes_t m1 = encode_f32(a, 3, "xxh3"), m2 = encode_f32(b, 2, NULL);
    size_t total = 7 + m1.len + 13 + m2.len + 5 + m1.len + 3;
    uint8_t *buf = calloc(1, total);
    size_t pos = 0;
    memcpy(buf + pos, "garbage", 7);
    pos += 7;
    size_t off1 = pos;
    memcpy(buf + pos, m1.data, m1.len);
    pos += m1.len;
    memcpy(buf + pos, "TENSOGRM\0\0\0\0\0", 13); /* a false start */
    pos += 13;
    size_t off2 = pos;
    memcpy(buf + pos, m2.data, m2.len);
    pos += m2.len;
    pos += 5;
    /* A streaming copy of m1: both total_length fields zero. */
    size_t off3 = pos;
    memcpy(buf + pos, m1.data, m1.len);
    memset(buf + pos + 16, 0, 8);
    memset(buf + pos + m1.len - 16, 0, 8);
    pos += m1.len + 3;
    tgm_scan_result_t *sr = NULL;
    TT_ASSERT(tgm_scan(buf, total, &sr) == TGM_ERROR_OK);
    TT_ASSERT(tgm_scan_count(sr) == 3);
    TT_CHECK_EQ_INT(tgm_scan_entry(sr, 0).offset, off1);
    TT_CHECK_EQ_INT(tgm_scan_entry(sr, 1).offset, off2);
    TT_CHECK_EQ_INT(tgm_scan_entry(sr, 1).length, m2.len);
    TT_CHECK_EQ_INT(tgm_scan_entry(sr, 2).offset, off3);
    TT_CHECK_EQ_INT(tgm_scan_entry(sr, 2).length, m1.len);
    /* The streaming message decodes, fully and by object, even with bytes
     * following it in the buffer. */
    tgm_message_t *m = NULL;
    TT_ASSERT(tgm_decode(buf + off3, total - off3, 1, 0, 1, &m) == TGM_ERROR_OK);
    size_t n;
    const float *v = (const float *)(const void *)tgm_object_data(m, 0, &n);
    TT_CHECK(n == 12 && v[2] == 3.0f);
    tgm_message_free(m);
    TT_ASSERT(tgm_decode_object(buf + off3, total - off3, 0, 1, 0, 0, &m) == TGM_ERROR_OK);
    tgm_message_free(m);
    tgm_scan_free(sr);
    free(buf);
    tgm_bytes_free(m1);
    tgm_bytes_free(m2);
}

static void test_hash_verification(void) {
    float a[4] = {1, 2, 3, 4};
    tgm_bytes_t h = encode_f32(a, 4, "xxh3"), nh = encode_f32(a, 4, NULL);
    tgm_message_t *m = NULL;
    TT_CHECK_ERR(tgm_decode(nh.data, nh.len, 1, 0, 1, &m), TGM_ERROR_MISSING_HASH);
    TT_CHECK_EQ_INT(tgm_last_error_object_index(), 0);
    TT_CHECK_ERR(tgm_decode(nh.data, nh.len, 1, 0, 0, &m), TGM_ERROR_OK);
    TT_CHECK_EQ_INT(tgm_payload_has_hash(m, 0), 0);
    TT_CHECK(tgm_object_hash_value(m, 0) == NULL);
    tgm_message_free(m);
    /* Flip one payload bit: mismatch with verification, decode without. */
    size_t len;
    const uint8_t *p;
    tgm_buffer_iter_t *it;
    TT_ASSERT(tgm_buffer_iter_create(h.data, h.len, &it) == TGM_ERROR_OK);
    TT_ASSERT(tgm_buffer_iter_next(it, &p, &len) == TGM_ERROR_OK);
    tgm_buffer_iter_free(it);
    TT_ASSERT(tgm_decode(h.data, h.len, 1, 0, 1, &m) == TGM_ERROR_OK);
    const char *hex = tgm_object_hash_value(m, 0);
    TT_ASSERT(hex != NULL);
    /* the stored hash equals tgm_compute_hash of the frame body is not
     * directly reachable here; check the accessor shape instead */
    TT_CHECK_EQ_INT(strlen(hex), 16);
    tgm_message_free(m);
    /* locate the payload: the float 3.0 (0x40400000) */
    for (size_t i = 0; i + 4 <= h.len; i++) {
        float f;
        memcpy(&f, h.data + i, 4);
        if (f == 3.0f) {
            h.data[i] ^= 1;
            break;
        }
    }
    TT_CHECK_ERR(tgm_decode(h.data, h.len, 1, 0, 1, &m), TGM_ERROR_HASH_MISMATCH);
    TT_CHECK(strstr(tgm_last_error(), "hash mismatch on object 0: expected") != NULL);
    TT_CHECK_ERR(tgm_decode_object(h.data, h.len, 0, 1, 0, 1, &m), TGM_ERROR_HASH_MISMATCH);
    TT_CHECK_ERR(tgm_decode(h.data, h.len, 1, 0, 0, &m), TGM_ERROR_OK);
    tgm_message_free(m);
    tgm_bytes_free(h);
    tgm_bytes_free(nh);
}

static void test_compute_hash(void) {
    tgm_bytes_t out;
    TT_ASSERT(tgm_compute_hash((const uint8_t *)"", 0, "xxh3", &out) == TGM_ERROR_OK);
    /* xxh3-64 of the empty input, seed 0 */
    TT_CHECK(out.len == 16 && memcmp(out.data, "2d06800538d394c2", 16) == 0);
    tgm_bytes_free(out);
    TT_CHECK_ERR(tgm_compute_hash((const uint8_t *)"a", 1, "sha1", &out), TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm_compute_hash(NULL, 0, NULL, &out), TGM_ERROR_INVALID_ARG);
}

static void test_ranges_and_objects(void) {
    float a[10];
    for (int i = 0; i < 10; i++) {
        a[i] = (float)i;
    }
    tgm_bytes_t msg = encode_f32(a, 10, "xxh3");
    uint64_t offs[3] = {0, 4, 9}, cnts[3] = {2, 3, 1};
    tgm_bytes_t parts[3];
    size_t np;
    TT_ASSERT(tgm_decode_range(msg.data, msg.len, 0, offs, cnts, 3, 1, 0, 0, parts, &np) ==
              TGM_ERROR_OK);
    TT_CHECK_EQ_INT(np, 3);
    TT_CHECK(parts[1].len == 12 && ((const float *)(const void *)parts[1].data)[2] == 6.0f);
    for (size_t i = 0; i < np; i++) {
        tgm_bytes_free(parts[i]);
    }
    TT_ASSERT(tgm_decode_range(msg.data, msg.len, 0, offs, cnts, 3, 1, 0, 1, parts, &np) ==
              TGM_ERROR_OK);
    TT_CHECK(np == 1 && parts[0].len == 24);
    TT_CHECK(((const float *)(const void *)parts[0].data)[5] == 9.0f);
    tgm_bytes_free(parts[0]);
    uint64_t bad_off = 8, bad_cnt = 3;
    TT_CHECK_ERR(tgm_decode_range(msg.data, msg.len, 0, &bad_off, &bad_cnt, 1, 1, 0, 1, parts, &np),
                 TGM_ERROR_OBJECT);
    TT_CHECK_ERR(tgm_decode_range(msg.data, msg.len, 1, offs, cnts, 1, 1, 0, 1, parts, &np),
                 TGM_ERROR_OBJECT);
    /* object iterator */
    tgm_object_iter_t *oi = NULL;
    TT_ASSERT(tgm_object_iter_create(msg.data, msg.len, 1, 1, &oi) == TGM_ERROR_OK);
    tgm_message_t *m = NULL;
    TT_CHECK_ERR(tgm_object_iter_next(oi, &m), TGM_ERROR_OK);
    TT_CHECK_EQ_INT(tgm_message_num_objects(m), 1);
    tgm_message_free(m);
    TT_CHECK_ERR(tgm_object_iter_next(oi, &m), TGM_ERROR_END_OF_ITER);
    tgm_object_iter_free(oi);
    tgm_bytes_free(msg);
}

static void test_null_handles(void) {
    TT_CHECK(tgm_message_num_objects(NULL) == 0);
    TT_CHECK(tgm_object_dtype(NULL, 0) == NULL);
    TT_CHECK(tgm_metadata_to_json(NULL) == NULL);
    TT_CHECK(tgm_metadata_get(NULL, "a") == NULL);
    TT_CHECK_EQ_INT(tgm_value_get_type(NULL), TGM_VALUE_TYPE_NULL);
    TT_CHECK(tgm_value_map_len(NULL) == 0);
    TT_CHECK(tgm_scan_count(NULL) == 0);
    tgm_message_free(NULL);
    tgm_metadata_free(NULL);
    tgm_scan_free(NULL);
    tgm_bytes_t z = {NULL, 0};
    tgm_bytes_free(z);
    TT_CHECK_EQ_STR(tgm_error_string(TGM_ERROR_HASH_MISMATCH), "hash mismatch");
    TT_CHECK(tgm_version_number() == TGM_VERSION_NUMBER);
    TT_CHECK_EQ_STR(tgm_version_string(), TGM_VERSION_STRING);
}

/* Payloads past TGM_STREAM_COPY_MIN are copied into the frame with
 * non-temporal stores and checked / hashed from the source: the message
 * must still carry every byte, the hash of the frame body, and refuse a
 * NaN in the last element, for an odd element count and an unaligned
 * source. */
static void test_large_payload(void) {
    size_t n = ((size_t)9 << 20) / 4 + 3; /* float32, > 8 MiB, odd */
    uint8_t *mem = malloc(n * 4 + 1);
    TT_ASSERT(mem != NULL);
    float *v = (float *)(void *)(mem + 1); /* unaligned source (memcpy'd below) */
    for (size_t i = 0; i < n; i++) {
        float f = (float)(i % 100003) * 0.5f;
        memcpy((uint8_t *)v + 4 * i, &f, 4);
    }
    const uint8_t *ptrs[1] = {(const uint8_t *)v};
    size_t lens[1] = {n * 4};
    const char *order = host_big() ? "big" : "little";
    tgm_bytes_t out;
    TT_ASSERT(tgm_encode(meta_json("float32", order, n, NULL), ptrs, lens, 1, "xxh3", 0, &out) ==
              TGM_ERROR_OK);
    tgm_message_t *m = NULL;
    TT_ASSERT(tgm_decode(out.data, out.len, 1, 1, 1, &m) == TGM_ERROR_OK); /* hash verified */
    size_t got = 0;
    const uint8_t *d = tgm_object_data(m, 0, &got);
    TT_CHECK(got == n * 4 && memcmp(d, v, got) == 0);
    tgm_message_free(m);
    /* caller memory at an odd offset gives the same bytes */
    uint8_t *dst = malloc(out.len + 3);
    TT_ASSERT(dst != NULL);
    size_t len = 0;
    TT_CHECK_ERR(tgm_encode_into(meta_json("float32", order, n, NULL), ptrs, lens, 1, "xxh3", 0,
                                 NULL, dst + 3, out.len, &len),
                 TGM_ERROR_OK);
    TT_CHECK(len == out.len);
    tgm_bytes_t v1 = {NULL, 0};
    TT_CHECK_ERR(tgm_validate(dst + 3, len, "checksum", 0, &v1), TGM_ERROR_OK);
    TT_CHECK(v1.data != NULL && strstr((const char *)v1.data, "\"issues\":[]") != NULL);
    tgm_bytes_free(v1);
    free(dst);
    tgm_bytes_free(out);
    float nanv = NAN;
    memcpy((uint8_t *)v + 4 * (n - 1), &nanv, 4);
    TT_CHECK_ERR(tgm_encode(meta_json("float32", order, n, NULL), ptrs, lens, 1, "xxh3", 0, &out),
                 TGM_ERROR_ENCODING);
    char want[96];
    snprintf(want, sizeof want, "NaN at element %zu of float32 array", n - 1);
    TT_CHECK(strstr(tgm_last_error(), want) != NULL);
    free(mem);
}

/* simple_packing that computes its parameters checks for NaN / Inf in the
 * same pass: the refusal must read exactly as the separate check's (the
 * reference's message), whatever the thread count, and explicit parameters
 * or 0 bits (no parameter pass) must still be checked. */
static void sp_meta(char *buf, size_t cap, size_t n, const char *extra) {
    snprintf(buf, cap,
             "{\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[%zu],"
             "\"strides\":[1],\"dtype\":\"float64\",\"byte_order\":\"%s\",%s}]}",
             n, host_big() ? "big" : "little", extra);
}

static void test_sp_nonfinite(void) {
    size_t n = 300000;
    double *v = malloc(n * sizeof *v);
    TT_ASSERT(v != NULL);
    for (size_t i = 0; i < n; i++) {
        v[i] = 250.0 + (double)(i % 977) * 0.01;
    }
    const uint8_t *ptrs[1] = {(const uint8_t *)v};
    size_t lens[1] = {n * sizeof *v};
    const double bad[2] = {NAN, -INFINITY};
    const size_t where[2] = {123457, 299999};
    char ref_msg[256], m[512];
    tgm_bytes_t out;
    for (int b = 0; b < 2; b++) {
        v[where[b]] = bad[b];
        /* the separate check's message: a compressed, unpacked pipeline */
        sp_meta(m, sizeof m, n,
                "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"zstd\"");
        TT_CHECK_ERR(tgm_encode(m, ptrs, lens, 1, NULL, 1, &out), TGM_ERROR_ENCODING);
        snprintf(ref_msg, sizeof ref_msg, "%s", tgm_last_error());
        TT_CHECK(strstr(ref_msg, b == 0 ? "NaN" : "Inf") != NULL);
        static const char *const sp[3] = {
            "\"encoding\":\"simple_packing\",\"sp_bits_per_value\":16,\"filter\":\"none\","
            "\"compression\":\"none\"",
            "\"encoding\":\"simple_packing\",\"sp_bits_per_value\":0,\"filter\":\"none\","
            "\"compression\":\"none\"",
            "\"encoding\":\"simple_packing\",\"sp_bits_per_value\":16,\"sp_reference_value\":0.0,"
            "\"sp_binary_scale_factor\":-6,\"filter\":\"none\",\"compression\":\"szip\","
            "\"szip_rsi\":128,\"szip_block_size\":16,\"szip_flags\":8"};
        for (int k = 0; k < 3; k++) {
            for (uint32_t threads = 1; threads <= 2; threads++) {
                sp_meta(m, sizeof m, n, sp[k]);
                TT_CHECK_ERR(tgm_encode(m, ptrs, lens, 1, NULL, threads, &out), TGM_ERROR_ENCODING);
                TT_CHECK_EQ_STR(tgm_last_error(), ref_msg);
            }
        }
        v[where[b]] = 1.0;
    }
    /* and finite data still packs */
    sp_meta(m, sizeof m, n,
            "\"encoding\":\"simple_packing\",\"sp_bits_per_value\":16,"
            "\"filter\":\"none\",\"compression\":\"none\"");
    TT_CHECK_ERR(tgm_encode(m, ptrs, lens, 1, NULL, 2, &out), TGM_ERROR_OK);
    tgm_bytes_free(out);
    free(v);
}

int main(void) {
    TT_RUN(test_roundtrip_matrix);
    TT_RUN(test_encode_errors);
    TT_RUN(test_extra_routing);
    TT_RUN(test_scan_garbage_and_streaming);
    TT_RUN(test_hash_verification);
    TT_RUN(test_compute_hash);
    TT_RUN(test_ranges_and_objects);
    TT_RUN(test_null_handles);
    TT_RUN(test_large_payload);
    TT_RUN(test_sp_nonfinite);
    return tt_finish("test_api");
}
