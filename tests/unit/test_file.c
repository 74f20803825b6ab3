/* Files: create/append/count/read/decode, the iterator, garbage between
 * messages, a torn tail from a crash, appends after it, a streaming last
 * message, per-message accessors, and a 100k-message file. */
#include "tt.h"

#include <unistd.h>

#include "tensogram/tensogram.h"

static char dir[256];

static const char *tmp_path(const char *name) {
    static char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return p;
}

static const char *meta_for(int i) {
    static char buf[512];
    snprintf(buf, sizeof buf,
             "{\"base\":[{\"step\":%d}],\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":1,"
             "\"shape\":[3],\"strides\":[1],\"dtype\":\"int32\",\"encoding\":\"none\","
             "\"filter\":\"none\",\"compression\":\"none\"}]}",
             i);
    return buf;
}

static tgm_error append_step(tgm_file_t *f, int i) {
    int32_t v[3] = {i, i + 1, i + 2};
    const uint8_t *ptrs[1] = {(const uint8_t *)v};
    size_t lens[1] = {sizeof v};
    return tgm_file_append(f, meta_for(i), ptrs, lens, 1, "xxh3", 0);
}

static int check_step(tgm_file_t *f, size_t idx, int step) {
    tgm_message_t *m = NULL;
    if (tgm_file_decode_message(f, idx, 1, 0, 1, &m) != TGM_ERROR_OK) {
        fprintf(stderr, "decode message %zu: %s\n", idx, tgm_last_error());
        return 0;
    }
    size_t n;
    const int32_t *v = (const int32_t *)(const void *)tgm_object_data(m, 0, &n);
    int ok = n == 12 && v[0] == step && v[2] == step + 2;
    tgm_message_free(m);
    return ok;
}

static long file_size(const char *p) {
    FILE *f = fopen(p, "rb");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}

static void test_create_append_read(void) {
    const char *p = tmp_path("basic.tgm");
    tgm_file_t *f = NULL;
    TT_ASSERT(tgm_file_create(p, &f) == TGM_ERROR_OK);
    TT_CHECK_EQ_STR(tgm_file_path(f), p);
    size_t n;
    TT_ASSERT(tgm_file_message_count(f, &n) == TGM_ERROR_OK);
    TT_CHECK_EQ_INT(n, 0);
    for (int i = 0; i < 5; i++) {
        TT_CHECK_ERR(append_step(f, i), TGM_ERROR_OK);
    }
    TT_ASSERT(tgm_file_message_count(f, &n) == TGM_ERROR_OK);
    TT_CHECK_EQ_INT(n, 5);
    for (int i = 0; i < 5; i++) {
        TT_CHECK(check_step(f, (size_t)i, i));
    }
    tgm_bytes_t raw;
    TT_CHECK_ERR(tgm_file_read_message(f, 5, &raw), TGM_ERROR_FRAMING);
    TT_CHECK(strstr(tgm_last_error(), "out of range (count=5)") != NULL);
    /* a failed encode appends nothing */
    long before = file_size(p);
    TT_CHECK_ERR(tgm_file_append(f, "{\"descriptors\":[]}", NULL, NULL, 1, NULL, 0),
                 TGM_ERROR_INVALID_ARG);
    TT_CHECK_EQ_INT(file_size(p), before);
    tgm_file_close(f);

    /* reopen: the index is rebuilt by scanning */
    TT_ASSERT(tgm_file_open(p, &f) == TGM_ERROR_OK);
    TT_ASSERT(tgm_file_message_count(f, &n) == TGM_ERROR_OK);
    TT_CHECK_EQ_INT(n, 5);
    TT_CHECK(check_step(f, 3, 3));
    /* per-message additions */
    tgm_metadata_t *md = NULL;
    TT_ASSERT(tgm_file_decode_metadata(f, 2, &md) == TGM_ERROR_OK);
    TT_CHECK_EQ_INT(tgm_metadata_get_int(md, "step", -1), 2);
    tgm_metadata_free(md);
    tgm_message_t *m = NULL;
    TT_ASSERT(tgm_file_decode_object(f, 4, 0, 1, 0, 1, &m) == TGM_ERROR_OK);
    TT_CHECK_EQ_STR(tgm_object_dtype(m, 0), "int32");
    tgm_message_free(m);
    TT_ASSERT(tgm_file_decode_descriptors(f, 1, &m) == TGM_ERROR_OK);
    size_t dl = 99;
    TT_CHECK(tgm_object_data(m, 0, &dl) == NULL && dl == 0);
    TT_CHECK(strstr(tgm_object_descriptor_json(m, 0), "\"dtype\":\"int32\"") != NULL);
    tgm_message_free(m);
    uint64_t off = 1, cnt = 2;
    tgm_bytes_t part;
    size_t np;
    TT_ASSERT(tgm_file_decode_range(f, 4, 0, &off, &cnt, 1, 1, 0, 1, &part, &np) == TGM_ERROR_OK);
    TT_CHECK(part.len == 8 && ((const int32_t *)(const void *)part.data)[0] == 5);
    tgm_bytes_free(part);
    uint64_t o0, l0, o1, l1;
    TT_ASSERT(tgm_file_message_layout(f, 0, &o0, &l0) == TGM_ERROR_OK);
    TT_ASSERT(tgm_file_message_layout(f, 1, &o1, &l1) == TGM_ERROR_OK);
    TT_CHECK(o0 == 0 && o1 == l0);
    /* iterator */
    tgm_file_iter_t *it = NULL;
    TT_ASSERT(tgm_file_iter_create(f, &it) == TGM_ERROR_OK);
    int count = 0;
    while (tgm_file_iter_next(it, &raw) == TGM_ERROR_OK) {
        TT_CHECK(raw.len == l0);
        tgm_bytes_free(raw);
        count++;
    }
    TT_CHECK_EQ_INT(count, 5);
    tgm_file_iter_free(it);
    tgm_file_close(f);
    TT_CHECK_ERR(tgm_file_open(tmp_path("missing.tgm"), &f), TGM_ERROR_IO);
}

/* Append bytes as another program would, bypassing the library. */
static void raw_append(const char *path, const void *p, size_t n) {
    FILE *f = fopen(path, "ab");
    if (f == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "cannot append to %s\n", path);
        tt_failures++;
    }
}

/* Garbage between messages, a torn tail, appends after the tear, and a
 * last message written in streaming mode (total_length 0). */
static void test_garbage_torn_streaming(void) {
    const char *p = tmp_path("messy.tgm");
    tgm_file_t *f = NULL;
    TT_ASSERT(tgm_file_create(p, &f) == TGM_ERROR_OK);
    TT_CHECK_ERR(append_step(f, 0), TGM_ERROR_OK);
    raw_append(p, "junk junk TENSOGRM junk", 23);
    TT_CHECK_ERR(append_step(f, 1), TGM_ERROR_OK);
    /* a torn message: the first half of a valid one (a crash mid-write) */
    tgm_bytes_t whole;
    TT_ASSERT(tgm_file_read_message(f, 0, &whole) == TGM_ERROR_OK);
    raw_append(p, whole.data, whole.len / 2);
    size_t n;
    TT_ASSERT(tgm_file_message_count(f, &n) == TGM_ERROR_OK);
    TT_CHECK_EQ_INT(n, 2);
    /* appends after the tear are found; the tear is skipped */
    TT_CHECK_ERR(append_step(f, 2), TGM_ERROR_OK);
    /* a streaming copy of message 0: total_length zero in both places */
    uint8_t *s = malloc(whole.len);
    memcpy(s, whole.data, whole.len);
    memset(s + 16, 0, 8);
    memset(s + whole.len - 16, 0, 8);
    TT_CHECK_ERR(tgm_file_append_raw(f, s, whole.len), TGM_ERROR_OK);
    tgm_file_close(f);
    TT_ASSERT(tgm_file_open(p, &f) == TGM_ERROR_OK);
    TT_ASSERT(tgm_file_message_count(f, &n) == TGM_ERROR_OK);
    TT_CHECK_EQ_INT(n, 4);
    TT_CHECK(check_step(f, 0, 0));
    TT_CHECK(check_step(f, 1, 1));
    TT_CHECK(check_step(f, 2, 2));
    TT_CHECK(check_step(f, 3, 0));
    tgm_file_close(f);
    free(s);
    tgm_bytes_free(whole);
}

/* tgm_file_append_raw takes one or more complete messages and nothing
 * else (issue 12 item 10): junk, a torn message, a message with trailing
 * bytes and a message whose metadata does not parse are refused and the
 * file is left as it was; two messages back to back are accepted. */
static void test_append_raw_checks(void) {
    const char *p = tmp_path("raw.tgm");
    tgm_file_t *f = NULL;
    TT_ASSERT(tgm_file_create(p, &f) == TGM_ERROR_OK);
    TT_CHECK_ERR(append_step(f, 0), TGM_ERROR_OK);
    tgm_bytes_t m;
    TT_ASSERT(tgm_file_read_message(f, 0, &m) == TGM_ERROR_OK);
    long before = file_size(p);
    TT_CHECK_ERR(tgm_file_append_raw(f, (const uint8_t *)"junk junk TENSOGRM junk", 23),
                 TGM_ERROR_FRAMING);
    TT_CHECK(strstr(tgm_last_error(), "23 bytes at offset 0 of the buffer are not part of a "
                                      "complete message") != NULL);
    TT_CHECK_ERR(tgm_file_append_raw(f, m.data, m.len / 2), TGM_ERROR_FRAMING);
    uint8_t *two = malloc(2 * m.len + 5);
    memcpy(two, m.data, m.len);
    memcpy(two + m.len, m.data, m.len);
    memcpy(two + 2 * m.len, "extra", 5);
    TT_CHECK_ERR(tgm_file_append_raw(f, two, 2 * m.len + 5), TGM_ERROR_FRAMING);
    TT_CHECK(strstr(tgm_last_error(), "5 bytes at offset") != NULL);
    TT_CHECK_ERR(tgm_file_append_raw(f, two, 0), TGM_ERROR_INVALID_ARG);
    /* framed, but the metadata frame's CBOR is malformed */
    uint8_t *bad = malloc(m.len);
    memcpy(bad, m.data, m.len);
    TT_ASSERT(memcmp(bad + 24, "FR", 2) == 0); /* the header metadata frame */
    bad[24 + 16] = 0x1c;                       /* reserved additional information */
    TT_CHECK_ERR(tgm_file_append_raw(f, bad, m.len), TGM_ERROR_METADATA);
    TT_CHECK_EQ_INT(file_size(p), before);
    size_t n;
    TT_ASSERT(tgm_file_message_count(f, &n) == TGM_ERROR_OK);
    TT_CHECK_EQ_INT(n, 1);
    TT_CHECK_ERR(tgm_file_append_raw(f, two, 2 * m.len), TGM_ERROR_OK);
    TT_ASSERT(tgm_file_message_count(f, &n) == TGM_ERROR_OK);
    TT_CHECK_EQ_INT(n, 3);
    TT_CHECK(check_step(f, 2, 0));
    tgm_file_close(f);
    free(bad);
    free(two);
    tgm_bytes_free(m);
}

/* A failing append (here: a directory cannot be appended to) reports an
 * error and the handle keeps working. */
static void test_append_failure(void) {
    tgm_file_t *f = NULL;
    TT_CHECK_ERR(tgm_file_open(dir, &f), TGM_ERROR_IO);
    TT_CHECK_ERR(tgm_file_create(tmp_path("no/such/dir/x.tgm"), &f), TGM_ERROR_IO);
}

static void test_many_messages(void) {
    const char *p = tmp_path("many.tgm");
    /* Build 100k small messages in memory, write them in one go. */
    int32_t v[3] = {0, 1, 2};
    const uint8_t *ptrs[1] = {(const uint8_t *)v};
    size_t lens[1] = {sizeof v};
    tgm_bytes_t one;
    TT_ASSERT(tgm_encode(meta_for(0), ptrs, lens, 1, "xxh3", 0, &one) == TGM_ERROR_OK);
    const size_t N = 100000;
    FILE *out = fopen(p, "wb");
    for (size_t i = 0; i < N; i++) {
        fwrite(one.data, 1, one.len, out);
    }
    fclose(out);
    tgm_file_t *f = NULL;
    TT_ASSERT(tgm_file_open(p, &f) == TGM_ERROR_OK);
    size_t n;
    TT_ASSERT(tgm_file_message_count(f, &n) == TGM_ERROR_OK);
    TT_CHECK_EQ_INT(n, N);
    TT_CHECK(check_step(f, N - 1, 0));
    TT_CHECK(check_step(f, N / 2, 0));
    uint64_t off, len;
    TT_ASSERT(tgm_file_message_layout(f, N - 1, &off, &len) == TGM_ERROR_OK);
    TT_CHECK(off == (N - 1) * one.len && len == one.len);
    tgm_file_close(f);
    tgm_bytes_free(one);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/tgm-test-file-XXXXXX");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    TT_RUN(test_create_append_read);
    TT_RUN(test_garbage_torn_streaming);
    TT_RUN(test_append_raw_checks);
    TT_RUN(test_append_failure);
    TT_RUN(test_many_messages);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", dir);
    }
    return tt_finish("test_file");
}
