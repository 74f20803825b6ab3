/* The reference's golden files (../shared/reference/golden): decode to the
 * values and metadata the reference states, and re-encode byte for byte
 * with TENSOGRAM_PROVENANCE set to each file's own provenance. */
#include "tt.h"

#include <stdint.h>

#include "tensogram/tensogram.h"

static const char *shared;

static unsigned char *load(const char *name, size_t *len) {
    char path[4096];
    snprintf(path, sizeof path, "%s/golden/%s", shared, name);
    unsigned char *b = tt_read_file(path, len);
    if (b == NULL) {
        fprintf(stderr, "cannot read %s\n", path);
    }
    return b;
}

/* Big-endian float32 / float64 / int64 payloads, as the golden generator
 * wrote them. */
static void be32f(float v, uint8_t *p) {
    uint32_t b;
    memcpy(&b, &v, 4);
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(b >> (24 - 8 * i));
    }
}
static void be64(uint64_t b, uint8_t *p) {
    for (int i = 0; i < 8; i++) {
        p[i] = (uint8_t)(b >> (56 - 8 * i));
    }
}
static void be64f(double v, uint8_t *p) {
    uint64_t b;
    memcpy(&b, &v, 8);
    be64(b, p);
}

#define DESC(shape, strides, ndim, dtype)                                                          \
    "{\"type\":\"ntensor\",\"ndim\":" ndim ",\"shape\":" shape ",\"strides\":" strides             \
    ",\"dtype\":\"" dtype "\",\"byte_order\":\"big\",\"encoding\":\"none\",\"filter\":\"none\","   \
    "\"compression\":\"none\"}"

/* Set TENSOGRAM_PROVENANCE to the _reserved_ section of message `msg`. */
static int use_provenance_of(const uint8_t *msg, size_t len) {
    tgm_metadata_t *md = NULL;
    if (tgm_decode_metadata(msg, len, &md) != TGM_ERROR_OK) {
        return 0;
    }
    const char *json = tgm_metadata_to_json(md);
    /* {"_reserved_":{...},"base":[...]}: take the _reserved_ object. */
    const char *start = strstr(json, "\"_reserved_\":");
    int ok = 0;
    if (start != NULL) {
        start += strlen("\"_reserved_\":");
        int depth = 0;
        const char *p = start;
        do {
            if (*p == '{') {
                depth++;
            } else if (*p == '}') {
                depth--;
            }
            p++;
        } while (depth > 0 && *p);
        char env[1024];
        snprintf(env, sizeof env, "%.*s", (int)(p - start), start);
        setenv("TENSOGRAM_PROVENANCE", env, 1);
        ok = 1;
    }
    tgm_metadata_free(md);
    return ok;
}

static void check_reencode(const char *name, const uint8_t *expect, size_t expect_len,
                           const char *meta_json, const uint8_t *const *ptrs, const size_t *lens,
                           size_t n) {
    TT_ASSERT(use_provenance_of(expect, expect_len));
    tgm_bytes_t out = {NULL, 0};
    TT_CHECK_ERR(tgm_encode(meta_json, ptrs, lens, n, "xxh3", 0, &out), TGM_ERROR_OK);
    TT_CHECK_EQ_INT(out.len, expect_len);
    if (out.len == expect_len && memcmp(out.data, expect, expect_len) != 0) {
        for (size_t i = 0; i < expect_len; i++) {
            if (out.data[i] != expect[i]) {
                fprintf(stderr, "%s: first differing byte at offset %zu: %02x != %02x\n", name, i,
                        out.data[i], expect[i]);
                break;
            }
        }
        TT_CHECK(!"re-encoded bytes differ from the golden file");
    }
    /* The same with two threads: identical output. */
    tgm_bytes_t out2 = {NULL, 0};
    TT_CHECK_ERR(tgm_encode(meta_json, ptrs, lens, n, "xxh3", 2, &out2), TGM_ERROR_OK);
    TT_CHECK(out2.len == out.len && memcmp(out2.data, out.data, out.len) == 0);
    tgm_bytes_free(out);
    tgm_bytes_free(out2);
    unsetenv("TENSOGRAM_PROVENANCE");
}

static void check_base(tgm_metadata_t *md, size_t i, const char *parameter) {
    TT_CHECK_EQ_STR(tgm_metadata_get_string_at(md, i, "product"), "efi");
    TT_CHECK_EQ_STR(tgm_metadata_get_string_at(md, i, "parameter"), parameter);
}

static void test_simple_f32(void) {
    size_t len;
    unsigned char *buf = load("simple_f32.tgm", &len);
    TT_ASSERT(buf != NULL);
    tgm_message_t *m = NULL;
    TT_ASSERT(tgm_decode(buf, len, 1, 0, 1, &m) == TGM_ERROR_OK);
    TT_CHECK_EQ_INT(tgm_message_num_objects(m), 1);
    TT_CHECK_EQ_STR(tgm_object_dtype(m, 0), "float32");
    TT_CHECK_EQ_INT(tgm_object_ndim(m, 0), 1);
    TT_CHECK_EQ_INT(tgm_object_shape(m, 0)[0], 4);
    TT_CHECK_EQ_STR(tgm_object_byte_order(m, 0), "big");
    TT_CHECK_EQ_STR(tgm_object_type(m, 0), "ntensor");
    TT_CHECK_EQ_STR(tgm_object_hash_type(m, 0), "xxh3");
    TT_CHECK_EQ_STR(tgm_object_hash_value(m, 0), "3aeac8603f519c1d");
    size_t n;
    const float *v = (const float *)(const void *)tgm_object_data(m, 0, &n);
    TT_CHECK_EQ_INT(n, 16);
    TT_CHECK(v[0] == 1.0f && v[1] == 2.0f && v[2] == 3.0f && v[3] == 4.0f);
    tgm_metadata_t *md = NULL;
    TT_ASSERT(tgm_message_metadata(m, &md) == TGM_ERROR_OK);
    check_base(md, 0, "pressure");
    TT_CHECK_EQ_STR(tgm_metadata_object_to_json(md, 0),
                    "{\"_reserved_\":{\"tensor\":{\"dtype\":\"float32\",\"ndim\":1,\"shape\":[4],"
                    "\"strides\":[1]}},\"parameter\":\"pressure\",\"product\":\"efi\"}");
    TT_CHECK_EQ_STR(
        tgm_metadata_to_json(md),
        "{\"_reserved_\":{\"encoder\":{\"name\":\"tensogram\",\"version\":\"0.20.0\"},"
        "\"time\":\"2026-04-29T18:12:46Z\",\"uuid\":\"dca6fc66-2daf-4742-ba5f-db69ccb69eac\"},"
        "\"base\":[{\"_reserved_\":{\"tensor\":{\"dtype\":\"float32\",\"ndim\":1,\"shape\":[4],"
        "\"strides\":[1]}},\"parameter\":\"pressure\",\"product\":\"efi\"}]}");
    TT_CHECK_EQ_INT(tgm_value_map_len(tgm_metadata_extra(md)), 0);
    tgm_metadata_free(md);
    tgm_message_free(m);

    uint8_t payload[16];
    for (int i = 0; i < 4; i++) {
        be32f((float)(i + 1), payload + 4 * i);
    }
    const uint8_t *ptrs[1] = {payload};
    size_t lens[1] = {16};
    check_reencode(
        "simple_f32", buf, len,
        "{\"base\":[{\"product\":\"efi\",\"parameter\":\"pressure\"}],\"descriptors\":[" DESC(
            "[4]", "[1]", "1", "float32") "]}",
        ptrs, lens, 1);
    /* hash_xxh3.tgm is generated the same way. */
    size_t hlen;
    unsigned char *hbuf = load("hash_xxh3.tgm", &hlen);
    TT_ASSERT(hbuf != NULL);
    check_reencode(
        "hash_xxh3", hbuf, hlen,
        "{\"base\":[{\"product\":\"efi\",\"parameter\":\"pressure\"}],\"descriptors\":[" DESC(
            "[4]", "[1]", "1", "float32") "]}",
        ptrs, lens, 1);
    free(hbuf);
    free(buf);
}

static void multi_object(const char *file) {
    size_t len;
    unsigned char *buf = load(file, &len);
    TT_ASSERT(buf != NULL);
    tgm_message_t *m = NULL;
    TT_ASSERT(tgm_decode(buf, len, 1, 0, 1, &m) == TGM_ERROR_OK);
    TT_CHECK_EQ_INT(tgm_message_num_objects(m), 3);
    TT_CHECK_EQ_STR(tgm_object_dtype(m, 0), "float32");
    TT_CHECK_EQ_STR(tgm_object_dtype(m, 1), "int64");
    TT_CHECK_EQ_STR(tgm_object_dtype(m, 2), "uint8");
    size_t n;
    const float *f = (const float *)(const void *)tgm_object_data(m, 0, &n);
    TT_CHECK(n == 8 && f[0] == 1.5f && f[1] == 2.5f);
    const int64_t *iv = (const int64_t *)(const void *)tgm_object_data(m, 1, &n);
    TT_CHECK(n == 24 && iv[0] == 100 && iv[1] == -200 && iv[2] == 300);
    const uint8_t *u = tgm_object_data(m, 2, &n);
    TT_CHECK(n == 5 && u[0] == 10 && u[4] == 50);
    tgm_metadata_t *md = NULL;
    TT_ASSERT(tgm_message_metadata(m, &md) == TGM_ERROR_OK);
    check_base(md, 0, "temperature");
    check_base(md, 1, "pressure");
    check_base(md, 2, "humidity");
    /* message-level lookup: first match across base entries */
    TT_CHECK_EQ_STR(tgm_metadata_get_string(md, "parameter"), "temperature");
    tgm_metadata_free(md);
    tgm_message_free(m);

    /* decode_object through the index */
    TT_ASSERT(tgm_decode_object(buf, len, 1, 1, 0, 1, &m) == TGM_ERROR_OK);
    iv = (const int64_t *)(const void *)tgm_object_data(m, 0, &n);
    TT_CHECK(n == 24 && iv[1] == -200);
    TT_CHECK_EQ_INT(tgm_object_shape(m, 0)[0], 3);
    tgm_message_free(m);
    TT_CHECK_ERR(tgm_decode_object(buf, len, 3, 1, 0, 0, &m), TGM_ERROR_OBJECT);

    uint8_t pf[8], pi[24], pu[5] = {10, 20, 30, 40, 50};
    be32f(1.5f, pf);
    be32f(2.5f, pf + 4);
    be64(100, pi);
    be64((uint64_t)-200, pi + 8);
    be64(300, pi + 16);
    const uint8_t *ptrs[3] = {pf, pi, pu};
    size_t lens[3] = {8, 24, 5};
    check_reencode(file, buf, len,
                   "{\"base\":[{\"product\":\"efi\",\"parameter\":\"temperature\"},"
                   "{\"product\":\"efi\",\"parameter\":\"pressure\"},"
                   "{\"product\":\"efi\",\"parameter\":\"humidity\"}],"
                   "\"descriptors\":[" DESC("[2]", "[1]", "1", "float32") "," DESC(
                       "[3]", "[1]", "1", "int64") "," DESC("[5]", "[1]", "1", "uint8") "]}",
                   ptrs, lens, 3);
    free(buf);
}

static void test_multi_object(void) { multi_object("multi_object.tgm"); }
static void test_multi_object_xxh3(void) { multi_object("multi_object_xxh3.tgm"); }

static void test_mars_metadata(void) {
    size_t len;
    unsigned char *buf = load("mars_metadata.tgm", &len);
    TT_ASSERT(buf != NULL);
    tgm_metadata_t *md = NULL;
    TT_ASSERT(tgm_decode_metadata(buf, len, &md) == TGM_ERROR_OK);
    TT_CHECK_EQ_STR(tgm_metadata_get_string(md, "mars.class"), "od");
    TT_CHECK_EQ_STR(tgm_metadata_get_string(md, "mars.type"), "fc");
    TT_CHECK_EQ_INT(tgm_metadata_get_int(md, "mars.step", -1), 12);
    TT_CHECK_EQ_STR(tgm_metadata_get_string(md, "mars.step"), "12");
    const tgm_value_t *mars = tgm_metadata_get(md, "mars");
    TT_CHECK_EQ_INT(tgm_value_get_type(mars), TGM_VALUE_TYPE_MAP);
    TT_CHECK_EQ_INT(tgm_value_map_len(mars), 3);
    TT_CHECK(tgm_metadata_get(md, "_reserved_.tensor") == NULL);
    TT_CHECK(tgm_metadata_has_at(md, 0, "mars.class"));
    TT_CHECK_EQ_INT(tgm_metadata_get_int(md, "version", 0), 3);
    tgm_metadata_free(md);
    tgm_message_t *m = NULL;
    TT_ASSERT(tgm_decode(buf, len, 1, 0, 1, &m) == TGM_ERROR_OK);
    TT_CHECK_EQ_INT(tgm_object_ndim(m, 0), 2);
    TT_CHECK(tgm_object_shape(m, 0)[0] == 2 && tgm_object_shape(m, 0)[1] == 3);
    TT_CHECK(tgm_object_strides(m, 0)[0] == 3 && tgm_object_strides(m, 0)[1] == 1);
    size_t n;
    const double *d = (const double *)(const void *)tgm_object_data(m, 0, &n);
    TT_CHECK(n == 48 && d[0] == 1.0 && d[5] == 6.0);
    tgm_message_free(m);

    uint8_t p[48];
    for (int i = 0; i < 6; i++) {
        be64f((double)(i + 1), p + 8 * i);
    }
    const uint8_t *ptrs[1] = {p};
    size_t lens[1] = {48};
    check_reencode("mars_metadata", buf, len,
                   "{\"base\":[{\"mars\":{\"class\":\"od\",\"type\":\"fc\",\"step\":12}}],"
                   "\"descriptors\":[" DESC("[2,3]", "[3,1]", "2", "float64") "]}",
                   ptrs, lens, 1);
    free(buf);
}

static void test_multi_message(void) {
    size_t len;
    unsigned char *buf = load("multi_message.tgm", &len);
    TT_ASSERT(buf != NULL);
    tgm_scan_result_t *sr = NULL;
    TT_ASSERT(tgm_scan(buf, len, &sr) == TGM_ERROR_OK);
    TT_ASSERT(tgm_scan_count(sr) == 2);
    for (size_t k = 0; k < 2; k++) {
        tgm_scan_entry_t e = tgm_scan_entry(sr, k);
        TT_CHECK_EQ_INT(e.offset, k * 584);
        TT_CHECK_EQ_INT(e.length, 584);
        tgm_message_t *m = NULL;
        TT_ASSERT(tgm_decode(buf + e.offset, e.length, 1, 0, 1, &m) == TGM_ERROR_OK);
        size_t n;
        const float *f = (const float *)(const void *)tgm_object_data(m, 0, &n);
        TT_CHECK(n == 8 && f[0] == (float)(2 * k + 1) && f[1] == (float)(2 * k + 2));
        tgm_message_free(m);
        uint8_t p[8];
        be32f((float)(2 * k + 1), p);
        be32f((float)(2 * k + 2), p + 4);
        const uint8_t *ptrs[1] = {p};
        size_t lens[1] = {8};
        check_reencode("multi_message", buf + e.offset, e.length,
                       "{\"base\":[{\"product\":\"efi\",\"parameter\":\"pressure\"}],"
                       "\"descriptors\":[" DESC("[2]", "[1]", "1", "float32") "]}",
                       ptrs, lens, 1);
    }
    TT_CHECK(tgm_scan_entry(sr, 5).length == 0);
    tgm_scan_free(sr);
    /* Buffer iterator over the same file. */
    tgm_buffer_iter_t *it = NULL;
    TT_ASSERT(tgm_buffer_iter_create(buf, len, &it) == TGM_ERROR_OK);
    TT_CHECK_EQ_INT(tgm_buffer_iter_count(it), 2);
    const uint8_t *mb;
    size_t ml;
    int count = 0;
    while (tgm_buffer_iter_next(it, &mb, &ml) == TGM_ERROR_OK) {
        count++;
    }
    TT_CHECK_EQ_INT(count, 2);
    TT_CHECK_ERR(tgm_buffer_iter_next(it, &mb, &ml), TGM_ERROR_END_OF_ITER);
    tgm_buffer_iter_free(it);
    free(buf);
}

int main(void) {
    shared = tt_shared_dir();
    if (shared == NULL) {
        printf("SKIP: ../shared/reference not found (set TGM_SHARED_DIR)\n");
        return TT_SKIP_CODE;
    }
    TT_RUN(test_simple_f32);
    TT_RUN(test_multi_object);
    TT_RUN(test_multi_object_xxh3);
    TT_RUN(test_mars_metadata);
    TT_RUN(test_multi_message);
    return tt_finish("test_golden");
}
