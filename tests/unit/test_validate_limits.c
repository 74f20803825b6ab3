/* Validation's decode limits (issue 12 item 8): the per-object limit and
 * the budget for a whole call, through the public tgm_validate* calls.
 * Split from test_validate.c, which checks the issue codes themselves. */
#include "tt.h"

#include <unistd.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "tensogram/tensogram.h"

static int report_has(const tgm_bytes_t *b, const char *needle) {
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= b->len; i++) {
        if (memcmp(b->data + i, needle, n) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Issue 12 item 8: a 656-byte message of 2^31 zero-bit simple_packing
 * float64 values (16 GiB decoded).  The default level must not decode it
 * (the payload's exact size is the check); the full level with a limit
 * reports it as not decoded; the options struct is checked. */
static void test_decode_limit(void) {
    const char *json = "{\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":1,"
                       "\"shape\":[2147483648],\"strides\":[1],\"dtype\":\"float64\","
                       "\"byte_order\":\"little\",\"encoding\":\"simple_packing\","
                       "\"sp_bits_per_value\":0,\"sp_reference_value\":1.0,"
                       "\"sp_binary_scale_factor\":0,\"sp_decimal_scale_factor\":0,"
                       "\"filter\":\"none\",\"compression\":\"none\"}]}";
    const uint8_t *ptr = (const uint8_t *)"";
    size_t len = 0;
    tgm_bytes_t msg;
    TT_ASSERT(tgm_encode_pre_encoded(json, &ptr, &len, 1, "xxh3", 0, &msg) == TGM_ERROR_OK);
    TT_CHECK_EQ_INT(msg.len, 656);
    /* default level, no limit: checked without decoding (instant) */
    tgm_bytes_t rep;
    TT_ASSERT(tgm_validate(msg.data, msg.len, "default", 0, &rep) == TGM_ERROR_OK);
    TT_CHECK(report_has(&rep, "\"issues\":[]"));
    tgm_bytes_free(rep);
    /* full level with the automatic limit: a warning, nothing allocated */
    tgm_validate_options o = TGM_VALIDATE_OPTIONS_INIT;
    o.level = "full";
    o.max_decoded_bytes = TGM_VALIDATE_LIMIT_AUTO;
    TT_ASSERT(tgm_validate_ex(msg.data, msg.len, &o, &rep) == TGM_ERROR_OK);
    TT_CHECK(report_has(&rep, "\"code\":\"not_decoded\""));
    TT_CHECK(report_has(&rep, "\"severity\":\"warning\""));
    TT_CHECK(report_has(&rep, "limit of 67108864 bytes"));
    tgm_bytes_free(rep);
    o.max_decoded_bytes = 1000;
    TT_ASSERT(tgm_validate_buffer_ex(msg.data, msg.len, &o, &rep) == TGM_ERROR_OK);
    TT_CHECK(report_has(&rep, "limit of 1000 bytes"));
    tgm_bytes_free(rep);
    /* a compressed object under the limit is still decoded */
    int32_t v[64] = {0};
    const uint8_t *vp = (const uint8_t *)v;
    size_t vl = sizeof v;
    tgm_bytes_t z;
    TT_ASSERT(tgm_encode("{\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[64],"
                         "\"strides\":[1],\"dtype\":\"int32\",\"encoding\":\"none\","
                         "\"filter\":\"none\",\"compression\":\"zstd\"}]}",
                         &vp, &vl, 1, "xxh3", 0, &z) == TGM_ERROR_OK);
    o.level = NULL;
    o.max_decoded_bytes = 256;
    TT_ASSERT(tgm_validate_ex(z.data, z.len, &o, &rep) == TGM_ERROR_OK);
    TT_CHECK(report_has(&rep, "\"issues\":[]"));
    tgm_bytes_free(rep);
    o.max_decoded_bytes = 255;
    TT_ASSERT(tgm_validate_ex(z.data, z.len, &o, &rep) == TGM_ERROR_OK);
    TT_CHECK(report_has(&rep, "not_decoded"));
    tgm_bytes_free(rep);
    tgm_bytes_free(z);
    /* options: NULL is the defaults; a size too small is refused */
    TT_CHECK_ERR(tgm_validate_ex(msg.data, msg.len, NULL, &rep), TGM_ERROR_OK);
    tgm_bytes_free(rep);
    o.size = 4;
    TT_CHECK_ERR(tgm_validate_ex(msg.data, msg.len, &o, &rep), TGM_ERROR_INVALID_ARG);
    tgm_bytes_free(msg);
}

static size_t count_in(const tgm_bytes_t *b, const char *needle) {
    size_t n = strlen(needle), k = 0;
    for (size_t i = 0; i + n <= b->len; i++) {
        k += memcmp(b->data + i, needle, n) == 0;
    }
    return k;
}

/* The automatic limit is also a budget for the whole call, 64 MiB or 64
 * times the input's size: 20 blosc2 objects of 8 MiB of zeros take a few
 * KB, and each is under the per-object limit, so without the budget a 1 MB
 * input could make validation decode terabytes (the code before: 1000 such
 * objects in 446 KB took 6 s; a file of them, minutes).  8 objects fit in
 * the budget, the other 12 are reported not decoded; in a file the budget
 * is shared by its messages. */
static void test_decode_budget(void) {
    enum { OBJ = 8 << 20, K = 20 };
    uint8_t *zeros = calloc(OBJ, 1);
    TT_ASSERT(zeros != NULL);
    const uint8_t *zp = zeros;
    size_t zl = OBJ;
    tgm_bytes_t one;
    TT_ASSERT(tgm_encode("{\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[8388608],"
                         "\"strides\":[1],\"dtype\":\"uint8\",\"encoding\":\"none\","
                         "\"filter\":\"none\",\"compression\":\"blosc2\","
                         "\"blosc2_codec\":\"lz4\",\"blosc2_clevel\":5}]}",
                         &zp, &zl, 1, "xxh3", 0, &one) == TGM_ERROR_OK);
    free(zeros);
    tgm_message_t *m = NULL;
    TT_ASSERT(tgm_decode_encoded(one.data, one.len, &m) == TGM_ERROR_OK);
    size_t plen = 0;
    const uint8_t *payload = tgm_object_data(m, 0, &plen);
    const char *dj = tgm_object_descriptor_json(m, 0);
    TT_ASSERT(payload != NULL && dj != NULL);
    tgm_buf meta = TGM_BUF_INIT;
    const uint8_t *ptrs[K];
    size_t lens[K];
    TT_ASSERT(tgm__buf_append(&meta, "{\"descriptors\":[", 16) == TGM_ERROR_OK);
    for (int i = 0; i < K; i++) {
        ptrs[i] = payload;
        lens[i] = plen;
        TT_ASSERT((i == 0 || tgm__buf_append(&meta, ",", 1) == TGM_ERROR_OK) &&
                  tgm__buf_append(&meta, dj, strlen(dj)) == TGM_ERROR_OK);
    }
    TT_ASSERT(tgm__buf_append(&meta, "]}", 3) == TGM_ERROR_OK); /* with the NUL */
    tgm_bytes_t msg;
    TT_ASSERT(tgm_encode_stored((const char *)meta.data, ptrs, lens, K, "xxh3", 0, &msg) ==
              TGM_ERROR_OK);
    tgm__buf_free(&meta);
    tgm_message_free(m);
    tgm_bytes_free(one);
    TT_CHECK(msg.len < 16384);

    tgm_validate_options o = TGM_VALIDATE_OPTIONS_INIT;
    o.max_decoded_bytes = TGM_VALIDATE_LIMIT_AUTO;
    tgm_bytes_t rep;
    TT_ASSERT(tgm_validate_ex(msg.data, msg.len, &o, &rep) == TGM_ERROR_OK);
    TT_CHECK_EQ_INT(count_in(&rep, "\"code\":\"not_decoded\""), K - 8);
    TT_CHECK(report_has(&rep, "more than the 0 bytes left of this validation's decode budget of "
                              "67108864 bytes"));
    TT_CHECK_EQ_INT(count_in(&rep, "\"severity\":\"error\""), 0);
    tgm_bytes_free(rep);
    /* a buffer, and a file, of two such messages: one budget for both */
    uint8_t *two = malloc(2 * msg.len);
    TT_ASSERT(two != NULL);
    memcpy(two, msg.data, msg.len);
    memcpy(two + msg.len, msg.data, msg.len);
    TT_ASSERT(tgm_validate_buffer_ex(two, 2 * msg.len, &o, &rep) == TGM_ERROR_OK);
    TT_CHECK_EQ_INT(count_in(&rep, "\"code\":\"not_decoded\""), 2 * K - 8);
    tgm_bytes_free(rep);
    char path[64];
    snprintf(path, sizeof path, "/tmp/tgm-test-vlimits-%ld.tgm", (long)getpid());
    FILE *fp = fopen(path, "wb");
    TT_ASSERT(fp != NULL);
    TT_ASSERT(fwrite(msg.data, 1, msg.len, fp) == msg.len &&
              fwrite(msg.data, 1, msg.len, fp) == msg.len);
    TT_ASSERT(fclose(fp) == 0);
    TT_ASSERT(tgm_validate_file_ex(path, &o, &rep) == TGM_ERROR_OK);
    unlink(path);
    TT_CHECK_EQ_INT(count_in(&rep, "\"code\":\"not_decoded\""), 2 * K - 8);
    tgm_bytes_free(rep);
    free(two);
    /* an explicit limit bounds each object only; no limit decodes all */
    o.max_decoded_bytes = OBJ;
    TT_ASSERT(tgm_validate_ex(msg.data, msg.len, &o, &rep) == TGM_ERROR_OK);
    TT_CHECK(report_has(&rep, "\"issues\":[]"));
    tgm_bytes_free(rep);
    TT_ASSERT(tgm_validate(msg.data, msg.len, NULL, 0, &rep) == TGM_ERROR_OK);
    TT_CHECK(report_has(&rep, "\"issues\":[]"));
    tgm_bytes_free(rep);
    tgm_bytes_free(msg);
}

int main(void) {
    TT_RUN(test_decode_limit);
    TT_RUN(test_decode_budget);
    return tt_finish("test_validate_limits");
}
