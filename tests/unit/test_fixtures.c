/* The reference's metadata-parity fixture and remote-parity files
 * (header-indexed, footer-indexed with back-filled lengths, and a file
 * whose last message is a streaming message with total_length 0). */
#include "tt.h"

#include "tensogram/tensogram.h"

static const char *shared;

static unsigned char *load(const char *sub, const char *name, size_t *len) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/%s", shared, sub, name);
    unsigned char *b = tt_read_file(path, len);
    if (b == NULL) {
        fprintf(stderr, "cannot read %s\n", path);
    }
    return b;
}

static const char *str_of(const tgm_value_t *v, char *buf, size_t cap) {
    size_t n;
    const char *s = tgm_value_as_string(v, &n);
    if (s == NULL) {
        return NULL;
    }
    snprintf(buf, cap, "%.*s", (int)n, s);
    return buf;
}

/* The capability matrix of the reference's metadata_parity test. */
static void test_metadata_parity(void) {
    size_t len;
    unsigned char *buf = load("fixtures", "metadata_parity.tgm", &len);
    TT_ASSERT(buf != NULL);
    tgm_metadata_t *m = NULL;
    TT_ASSERT(tgm_decode_metadata(buf, len, &m) == TGM_ERROR_OK);
    char tmp[128];
    int64_t i64;
    uint64_t u64;
    double f;
    bool b;

    TT_CHECK_EQ_INT(tgm_metadata_num_objects(m), 2);
    TT_CHECK(tgm_metadata_has(m, "shortName"));
    TT_CHECK(tgm_metadata_has(m, "level"));
    TT_CHECK(tgm_metadata_has(m, "note"));
    TT_CHECK(!tgm_metadata_has(m, "missing"));

    TT_CHECK_EQ_STR(str_of(tgm_metadata_get(m, "shortName"), tmp, sizeof tmp), "2t");
    TT_CHECK(tgm_value_as_i64(tgm_metadata_get(m, "level"), &i64) && i64 == 0);
    TT_CHECK_EQ_STR(str_of(tgm_metadata_get(m, "note"), tmp, sizeof tmp), "");
    TT_CHECK(tgm_value_as_i64(tgm_metadata_get(m, "count"), &i64) && i64 == -5);
    TT_CHECK(!tgm_value_as_u64(tgm_metadata_get(m, "count"), &u64));
    TT_CHECK(tgm_value_as_i64(tgm_metadata_get(m, "big"), &i64) && i64 == 2147483648LL);
    TT_CHECK(tgm_value_as_f64(tgm_metadata_get(m, "ratio"), &f) && f == 0.5);
    TT_CHECK(!tgm_value_as_i64(tgm_metadata_get(m, "ratio"), &i64));
    TT_CHECK(tgm_value_as_bool(tgm_metadata_get(m, "flag"), &b) && b);
    TT_CHECK(!tgm_value_as_i64(tgm_metadata_get(m, "shortName"), &i64));
    TT_CHECK_EQ_INT(tgm_value_get_type(tgm_metadata_get(m, "level")), TGM_VALUE_TYPE_INT);
    TT_CHECK_EQ_INT(tgm_value_get_type(tgm_metadata_get(m, "note")), TGM_VALUE_TYPE_STRING);

    TT_CHECK_EQ_STR(str_of(tgm_metadata_get(m, "mars.class"), tmp, sizeof tmp), "od");
    const tgm_value_t *mars = tgm_metadata_get(m, "mars");
    TT_CHECK_EQ_INT(tgm_value_get_type(mars), TGM_VALUE_TYPE_MAP);
    TT_CHECK_EQ_STR(str_of(tgm_value_map_get(mars, "stream"), tmp, sizeof tmp), "oper");
    TT_CHECK(tgm_value_map_get(mars, "class") != NULL);

    const tgm_value_t *levels = tgm_metadata_get(m, "levels");
    TT_CHECK_EQ_INT(tgm_value_get_type(levels), TGM_VALUE_TYPE_ARRAY);
    TT_CHECK_EQ_INT(tgm_value_array_len(levels), 3);
    TT_CHECK(tgm_value_as_i64(tgm_value_array_get(levels, 1), &i64) && i64 == 850);
    TT_CHECK(tgm_value_array_get(levels, 3) == NULL);

    TT_CHECK_EQ_STR(str_of(tgm_metadata_get(m, "source"), tmp, sizeof tmp), "parity-fixture");
    TT_CHECK_EQ_STR(str_of(tgm_metadata_get(m, "extra.source"), tmp, sizeof tmp), "parity-fixture");
    TT_CHECK_EQ_STR(str_of(tgm_metadata_get(m, "_extra_.source"), tmp, sizeof tmp),
                    "parity-fixture");

    TT_CHECK(!tgm_metadata_has(m, "_reserved_.tensor"));
    TT_CHECK(!tgm_metadata_has_at(m, 0, "_reserved_.tensor"));
    const tgm_value_t *obj0 = tgm_metadata_object(m, 0);
    TT_CHECK(tgm_value_map_get(obj0, "_reserved_") != NULL);
    TT_CHECK(tgm_value_map_get(obj0, "shortName") != NULL);
    const tgm_value_t *tensor = tgm_value_map_get(tgm_value_map_get(obj0, "_reserved_"), "tensor");
    TT_CHECK_EQ_STR(str_of(tgm_value_map_get(tensor, "dtype"), tmp, sizeof tmp), "float32");
    const tgm_value_t *shape = tgm_value_map_get(tensor, "shape");
    TT_CHECK(tgm_value_as_i64(tgm_value_array_get(shape, 0), &i64) && i64 == 2);
    TT_CHECK(tgm_value_as_i64(tgm_value_array_get(shape, 1), &i64) && i64 == 3);

    TT_CHECK_EQ_STR(str_of(tgm_metadata_get_at(m, 0, "shortName"), tmp, sizeof tmp), "2t");
    TT_CHECK_EQ_STR(str_of(tgm_metadata_get_at(m, 1, "shortName"), tmp, sizeof tmp), "msl");
    TT_CHECK_EQ_STR(str_of(tgm_metadata_get_at(m, 0, "mars.class"), tmp, sizeof tmp), "od");
    TT_CHECK_EQ_STR(str_of(tgm_metadata_get_at(m, 1, "mars.class"), tmp, sizeof tmp), "ea");
    TT_CHECK(tgm_metadata_has_at(m, 0, "only0"));
    TT_CHECK(!tgm_metadata_has_at(m, 1, "only0"));
    TT_CHECK(tgm_metadata_get_at(m, 2, "shortName") == NULL);

    TT_CHECK(tgm_value_map_get(tgm_metadata_extra(m), "source") != NULL);
    /* Legacy typed getters with coercion. */
    TT_CHECK_EQ_STR(tgm_metadata_get_string(m, "level"), "0");
    TT_CHECK_EQ_STR(tgm_metadata_get_string(m, "ratio"), "0.5");
    TT_CHECK_EQ_STR(tgm_metadata_get_string(m, "flag"), "true");
    TT_CHECK(tgm_metadata_get_string(m, "levels") == NULL);
    TT_CHECK_EQ_INT(tgm_metadata_get_int(m, "ratio", -7), -7);
    TT_CHECK(tgm_metadata_get_float(m, "level", -1.0) == 0.0);
    TT_CHECK_EQ_STR(tgm_metadata_get_string_at(m, 1, "shortName"), "msl");
    /* Section maps enumerate in key order. */
    const tgm_value_t *sec = tgm_metadata_object(m, 0);
    size_t prev_len = 0;
    const char *prev = NULL;
    for (size_t k = 0; k < tgm_value_map_len(sec); k++) {
        size_t kl;
        const char *key = tgm_value_map_key_at(sec, k, &kl);
        TT_ASSERT(key != NULL);
        if (prev != NULL) {
            size_t n = prev_len < kl ? prev_len : kl;
            int c = memcmp(prev, key, n);
            TT_CHECK(c < 0 || (c == 0 && prev_len < kl));
        }
        prev = key;
        prev_len = kl;
    }
    tgm_metadata_free(m);

    /* The full decode agrees. */
    tgm_message_t *msg = NULL;
    TT_ASSERT(tgm_decode(buf, len, 1, 0, 1, &msg) == TGM_ERROR_OK);
    TT_CHECK_EQ_INT(tgm_message_num_objects(msg), 2);
    TT_CHECK(tgm_object_shape(msg, 0)[0] == 2 && tgm_object_shape(msg, 0)[1] == 3);
    tgm_message_free(msg);
    free(buf);
}

/* Each message i of a remote-parity file carries fixture.msg_index = i and
 * a float32 [4] payload arange(4) + i. */
static void check_parity_file(const char *name, size_t expect_messages) {
    size_t len;
    unsigned char *buf = load("remote-parity", name, &len);
    TT_ASSERT(buf != NULL);
    tgm_scan_result_t *sr = NULL;
    TT_ASSERT(tgm_scan(buf, len, &sr) == TGM_ERROR_OK);
    TT_CHECK_EQ_INT(tgm_scan_count(sr), expect_messages);
    size_t prev_end = 0;
    int bad = 0;
    for (size_t i = 0; i < tgm_scan_count(sr); i++) {
        tgm_scan_entry_t e = tgm_scan_entry(sr, i);
        TT_CHECK_EQ_INT(e.offset, prev_end);
        prev_end = e.offset + e.length;
        tgm_message_t *m = NULL;
        tgm_error err = tgm_decode(buf + e.offset, e.length, 1, 0, 0, &m);
        if (err != TGM_ERROR_OK) {
            fprintf(stderr, "%s message %zu: %s\n", name, i, tgm_last_error());
            bad++;
            continue;
        }
        size_t n;
        const float *v = (const float *)(const void *)tgm_object_data(m, 0, &n);
        if (n != 16 || v[0] != (float)i || v[3] != (float)(i + 3)) {
            bad++;
        }
        tgm_metadata_t *md = NULL;
        TT_ASSERT(tgm_message_metadata(m, &md) == TGM_ERROR_OK);
        if (tgm_metadata_get_int_at(md, 0, "fixture.msg_index", -1) != (int64_t)i) {
            bad++;
        }
        tgm_metadata_free(md);
        tgm_message_free(m);
        /* decode_object through the (header or footer) index */
        if (tgm_decode_object(buf + e.offset, e.length, 0, 1, 0, 0, &m) != TGM_ERROR_OK) {
            fprintf(stderr, "%s message %zu decode_object: %s\n", name, i, tgm_last_error());
            bad++;
        } else {
            v = (const float *)(const void *)tgm_object_data(m, 0, &n);
            if (n != 16 || v[1] != (float)(i + 1)) {
                bad++;
            }
            tgm_message_free(m);
        }
        /* element range */
        uint64_t off = 2, cnt = 2;
        tgm_bytes_t part;
        size_t nparts;
        if (tgm_decode_range(buf + e.offset, e.length, 0, &off, &cnt, 1, 1, 0, 1, &part, &nparts) !=
            TGM_ERROR_OK) {
            bad++;
        } else {
            const float *pv = (const float *)(const void *)part.data;
            if (nparts != 1 || part.len != 8 || pv[0] != (float)(i + 2)) {
                bad++;
            }
            tgm_bytes_free(part);
        }
    }
    TT_CHECK_EQ_INT(prev_end, len);
    TT_CHECK_EQ_INT(bad, 0);
    tgm_scan_free(sr);
    free(buf);
}

static void test_remote_parity(void) {
    check_parity_file("single-msg.tgm", 1);
    check_parity_file("two-msg.tgm", 2);
    check_parity_file("ten-msg.tgm", 10);
    check_parity_file("hundred-msg.tgm", 100);
    check_parity_file("thousand-msg.tgm", 1000);
    check_parity_file("single-msg-footer.tgm", 1);
    check_parity_file("ten-msg-footer.tgm", 10);
    check_parity_file("hundred-msg-footer.tgm", 100);
    check_parity_file("thousand-msg-footer.tgm", 1000);
    check_parity_file("streaming-tail.tgm", 10);
}

int main(void) {
    shared = tt_shared_dir();
    if (shared == NULL) {
        printf("SKIP: ../shared/reference not found (set TGM_SHARED_DIR)\n");
        return TT_SKIP_CODE;
    }
    TT_RUN(test_metadata_parity);
    TT_RUN(test_remote_parity);
    return tt_finish("test_fixtures");
}
