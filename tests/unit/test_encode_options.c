/* tgm_encode_ex / tgm_encode_ex_into / tgm_file_append_ex: aggregate hash
 * placement (checked by walking the frames and reading the preamble flags,
 * WIRE_FORMAT §3.1, §4, §6.3), input kinds, the versioned options struct
 * and its errors. */
#include "tt.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include "tensogram/tensogram.h"

static const char *meta2 =
    "{\"descriptors\":["
    "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[4],\"strides\":[1],\"dtype\":\"float32\","
    "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"none\"},"
    "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[3],\"strides\":[1],\"dtype\":\"int16\","
    "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"zstd\"}]}";
static const float f32[4] = {1.5f, -2.0f, 3.25f, 0.0f};
static const int16_t i16[3] = {7, -8, 9};

static uint64_t be(const uint8_t *p, int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; i++) {
        v = v << 8 | p[i];
    }
    return v;
}

/* Frame types in order, from the frame headers ("FR", type u16, version
 * u16, flags u16, length u64), 8-byte aligned, between the 24-byte
 * preamble and the 24-byte postamble. */
static size_t frame_types(const tgm_bytes_t *m, int *types, size_t cap) {
    size_t n = 0, pos = 24, end = m->len - 24;
    while (pos + 16 <= end && n < cap) {
        if (m->data[pos] != 'F' || m->data[pos + 1] != 'R') {
            break;
        }
        types[n++] = (int)be(m->data + pos + 2, 2);
        uint64_t len = be(m->data + pos + 8, 8);
        pos += (size_t)((len + 7) & ~(uint64_t)7);
    }
    return n;
}

static int contains(const tgm_bytes_t *b, const char *s) {
    size_t n = strlen(s);
    for (size_t i = 0; i + n <= b->len; i++) {
        if (memcmp(b->data + i, s, n) == 0) {
            return 1;
        }
    }
    return 0;
}

static unsigned flags(const tgm_bytes_t *m) { return (unsigned)be(m->data + 10, 2); }

static tgm_bytes_t encode(const char *hash, const char *aggregate) {
    const uint8_t *ptrs[2] = {(const uint8_t *)f32, (const uint8_t *)i16};
    size_t lens[2] = {sizeof f32, sizeof i16};
    tgm_encode_options o = TGM_ENCODE_OPTIONS_INIT;
    o.hash_algo = hash;
    o.aggregate_hash = aggregate;
    tgm_bytes_t out = {NULL, 0};
    TT_CHECK_ERR(tgm_encode_ex(meta2, ptrs, lens, 2, &o, &out), TGM_ERROR_OK);
    return out;
}

/* Validates with no issue (hashed) or with only the no_hash_available
 * warning (not hashed), and decodes. */
static void check_clean(const tgm_bytes_t *m, int hashed) {
    tgm_bytes_t r;
    TT_ASSERT(tgm_validate(m->data, m->len, "full", 1, &r) == TGM_ERROR_OK);
    if (hashed) {
        TT_CHECK(contains(&r, "\"issues\":[]"));
    } else {
        TT_CHECK(contains(&r, "\"code\":\"no_hash_available\""));
        TT_CHECK(!contains(&r, "\"severity\":\"error\""));
    }
    tgm_bytes_free(r);
    tgm_message_t *msg;
    TT_ASSERT(tgm_decode(m->data, m->len, 1, 0, 0, &msg) == TGM_ERROR_OK);
    size_t n;
    const uint8_t *d = tgm_object_data(msg, 1, &n);
    TT_CHECK(n == sizeof i16 && memcmp(d, i16, n) == 0);
    tgm_message_free(msg);
}

#define F_HMETA 1u
#define F_HINDEX 4u
#define F_HHASH 16u
#define F_FHASH 32u
#define F_HASHES 128u

static void test_placements(void) {
    static const struct {
        const char *name;
        int types[8];
        size_t ntypes;
        unsigned flags;
    } cases[] = {
        {NULL, {1, 2, 3, 9, 9}, 5, F_HMETA | F_HINDEX | F_HHASH | F_HASHES},
        {"auto", {1, 2, 3, 9, 9}, 5, F_HMETA | F_HINDEX | F_HHASH | F_HASHES},
        {"header", {1, 2, 3, 9, 9}, 5, F_HMETA | F_HINDEX | F_HHASH | F_HASHES},
        {"footer", {1, 2, 9, 9, 5}, 5, F_HMETA | F_HINDEX | F_FHASH | F_HASHES},
        {"both", {1, 2, 3, 9, 9, 5}, 6, F_HMETA | F_HINDEX | F_HHASH | F_FHASH | F_HASHES},
        {"none", {1, 2, 9, 9}, 4, F_HMETA | F_HINDEX | F_HASHES},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        tgm_bytes_t m = encode("xxh3", cases[c].name);
        int types[16];
        size_t n = frame_types(&m, types, 16);
        TT_CHECK_EQ_INT(n, cases[c].ntypes);
        for (size_t i = 0; i < n && i < cases[c].ntypes; i++) {
            TT_CHECK_EQ_INT(types[i], cases[c].types[i]);
        }
        TT_CHECK_EQ_INT(flags(&m), cases[c].flags);
        /* The postamble's first_footer_offset points at the FooterHash
         * frame when there is one, else at the postamble itself. */
        uint64_t first_footer = be(m.data + m.len - 24, 8);
        if (cases[c].flags & F_FHASH) {
            TT_CHECK(m.data[first_footer] == 'F' && be(m.data + first_footer + 2, 2) == 5);
        } else {
            TT_CHECK_EQ_INT(first_footer, m.len - 24);
        }
        check_clean(&m, 1);
        /* Per-frame hashes are there whatever the aggregate. */
        tgm_message_t *msg;
        TT_CHECK_ERR(tgm_decode(m.data, m.len, 1, 0, 1, &msg), TGM_ERROR_OK);
        tgm_message_free(msg);
        tgm_bytes_free(m);
    }
    /* No hashing: no aggregate, whatever was asked. */
    tgm_bytes_t m = encode(NULL, "both");
    int types[16];
    TT_CHECK_EQ_INT(frame_types(&m, types, 16), 4);
    TT_CHECK_EQ_INT(flags(&m), F_HMETA | F_HINDEX);
    check_clean(&m, 0);
    tgm_bytes_free(m);
}

/* tgm_encode_ex with the defaults of tgm_encode gives the same bytes. */
static void test_same_as_encode(void) {
    setenv("TENSOGRAM_PROVENANCE",
           "{\"time\":\"2026-01-01T00:00:00Z\",\"uuid\":\"00000000-0000-4000-8000-000000000000\"}",
           1);
    const uint8_t *ptrs[2] = {(const uint8_t *)f32, (const uint8_t *)i16};
    size_t lens[2] = {sizeof f32, sizeof i16};
    tgm_bytes_t a, b;
    TT_ASSERT(tgm_encode(meta2, ptrs, lens, 2, "xxh3", 0, &a) == TGM_ERROR_OK);
    tgm_encode_options o = TGM_ENCODE_OPTIONS_INIT;
    o.hash_algo = "xxh3";
    TT_ASSERT(tgm_encode_ex(meta2, ptrs, lens, 2, &o, &b) == TGM_ERROR_OK);
    TT_CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
    /* into caller memory: size query, then exact fit */
    size_t need = 0;
    TT_CHECK_ERR(tgm_encode_ex_into(meta2, ptrs, lens, 2, &o, NULL, 0, &need),
                 TGM_ERROR_INVALID_ARG);
    TT_CHECK_EQ_INT(need, a.len);
    uint8_t *dst = malloc(need);
    size_t got = 0;
    TT_CHECK_ERR(tgm_encode_ex_into(meta2, ptrs, lens, 2, &o, dst, need, &got), TGM_ERROR_OK);
    TT_CHECK(got == a.len && memcmp(dst, a.data, got) == 0);
    free(dst);
    /* NULL options: no hashes, as tgm_encode(..., NULL, ...) */
    tgm_bytes_t c, d;
    TT_ASSERT(tgm_encode(meta2, ptrs, lens, 2, NULL, 0, &c) == TGM_ERROR_OK);
    TT_ASSERT(tgm_encode_ex(meta2, ptrs, lens, 2, NULL, &d) == TGM_ERROR_OK);
    TT_CHECK(c.len == d.len && memcmp(c.data, d.data, c.len) == 0);
    /* An older, shorter struct (only size and hash_algo known): the other
     * fields take their defaults. */
    struct {
        size_t size;
        const char *hash_algo;
    } old = {offsetof(tgm_encode_options, hash_algo) + sizeof(const char *), "xxh3"};
    tgm_bytes_t e;
    TT_ASSERT(tgm_encode_ex(meta2, ptrs, lens, 2, (const tgm_encode_options *)(void *)&old, &e) ==
              TGM_ERROR_OK);
    TT_CHECK(e.len == a.len && memcmp(e.data, a.data, a.len) == 0);
    tgm_bytes_free(a);
    tgm_bytes_free(b);
    tgm_bytes_free(c);
    tgm_bytes_free(d);
    tgm_bytes_free(e);
    unsetenv("TENSOGRAM_PROVENANCE");
}

/* Stored input re-encodes a message's payloads unchanged (masks too). */
static void test_input_kinds(void) {
    const char *meta =
        "{\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[5],\"strides\":[1],"
        "\"dtype\":\"float64\",\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"lz4\"}]"
        "}";
    double v[5] = {1, NAN, 3, INFINITY, 5};
    const uint8_t *ptrs[1] = {(const uint8_t *)v};
    size_t lens[1] = {sizeof v};
    TgmEncodeMaskOptions masks = {true, true, NULL, NULL, NULL, -1};
    tgm_encode_options o = TGM_ENCODE_OPTIONS_INIT;
    o.hash_algo = "xxh3";
    o.mask_options = &masks;
    tgm_bytes_t m;
    TT_ASSERT(tgm_encode_ex(meta, ptrs, lens, 1, &o, &m) == TGM_ERROR_OK);
    tgm_message_t *enc;
    TT_ASSERT(tgm_decode_encoded(m.data, m.len, &enc) == TGM_ERROR_OK);
    size_t n;
    const uint8_t *stored = tgm_object_data(enc, 0, &n);
    const char *desc = tgm_object_descriptor_json(enc, 0);
    TT_ASSERT(stored != NULL && desc != NULL);
    /* The same descriptor as a value: its JSON is the JSON text. */
    const tgm_value_t *dv = tgm_object_descriptor(enc, 0);
    TT_ASSERT(dv != NULL && tgm_value_get_type(dv) == TGM_VALUE_TYPE_MAP);
    tgm_bytes_t dj;
    TT_ASSERT(tgm_value_to_json(dv, &dj) == TGM_ERROR_OK);
    TT_CHECK(dj.len == strlen(desc) && memcmp(dj.data, desc, dj.len) == 0);
    tgm_bytes_free(dj);
    TT_CHECK(tgm_object_descriptor(enc, 1) == NULL && tgm_object_descriptor(NULL, 0) == NULL);
    char meta_stored[2048];
    snprintf(meta_stored, sizeof meta_stored, "{\"descriptors\":[%s]}", desc);
    const uint8_t *sp[1] = {stored};
    size_t sl[1] = {n};
    tgm_encode_options so = TGM_ENCODE_OPTIONS_INIT;
    so.hash_algo = "xxh3";
    so.input = TGM_INPUT_STORED;
    so.aggregate_hash = "footer";
    tgm_bytes_t m2;
    TT_CHECK_ERR(tgm_encode_ex(meta_stored, sp, sl, 1, &so, &m2), TGM_ERROR_OK);
    tgm_message_t *a, *b;
    TT_ASSERT(tgm_decode(m.data, m.len, 1, 0, 1, &a) == TGM_ERROR_OK);
    TT_ASSERT(tgm_decode(m2.data, m2.len, 1, 0, 1, &b) == TGM_ERROR_OK);
    size_t na, nb;
    const double *da = (const double *)tgm_object_data(a, 0, &na);
    const double *db = (const double *)tgm_object_data(b, 0, &nb);
    TT_CHECK(na == sizeof v && nb == sizeof v);
    TT_CHECK(da[0] == 1 && isnan(db[1]) && isinf(db[3]) && db[4] == 5 && da[4] == 5);
    tgm_message_free(a);
    tgm_message_free(b);
    tgm_message_free(enc);
    tgm_bytes_free(m2);
    tgm_bytes_free(m);
}

static void test_errors(void) {
    const uint8_t *ptrs[2] = {(const uint8_t *)f32, (const uint8_t *)i16};
    size_t lens[2] = {sizeof f32, sizeof i16};
    tgm_bytes_t out = {NULL, 0};
    tgm_encode_options o = TGM_ENCODE_OPTIONS_INIT;
    o.hash_algo = "xxh3";
    o.aggregate_hash = "middle";
    TT_CHECK_ERR(tgm_encode_ex(meta2, ptrs, lens, 2, &o, &out), TGM_ERROR_INVALID_ARG);
    TT_CHECK(strstr(tgm_last_error(), "unknown aggregate_hash policy 'middle'") != NULL);
    o.aggregate_hash = NULL;
    o.input = 7;
    TT_CHECK_ERR(tgm_encode_ex(meta2, ptrs, lens, 2, &o, &out), TGM_ERROR_INVALID_ARG);
    TT_CHECK(strstr(tgm_last_error(), "input 7") != NULL);
    o.input = TGM_INPUT_RAW;
    o.size = 4;
    TT_CHECK_ERR(tgm_encode_ex(meta2, ptrs, lens, 2, &o, &out), TGM_ERROR_INVALID_ARG);
    TT_CHECK(strstr(tgm_last_error(), "TGM_ENCODE_OPTIONS_INIT") != NULL);
    o.size = sizeof o;
    o.hash_algo = "md5";
    TT_CHECK_ERR(tgm_encode_ex(meta2, ptrs, lens, 2, &o, &out), TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm_encode_ex(NULL, ptrs, lens, 2, NULL, &out), TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm_encode_ex(meta2, ptrs, lens, 2, NULL, NULL), TGM_ERROR_INVALID_ARG);
    TT_CHECK(out.data == NULL);
}

static void test_file_append_ex(void) {
    char path[] = "/tmp/tgm-test-encode-options-XXXXXX";
    int fd = mkstemp(path);
    TT_ASSERT(fd >= 0);
    close(fd);
    tgm_file_t *f;
    TT_ASSERT(tgm_file_create(path, &f) == TGM_ERROR_OK);
    const uint8_t *ptrs[2] = {(const uint8_t *)f32, (const uint8_t *)i16};
    size_t lens[2] = {sizeof f32, sizeof i16};
    tgm_encode_options o = TGM_ENCODE_OPTIONS_INIT;
    o.hash_algo = "xxh3";
    o.aggregate_hash = "both";
    TT_CHECK_ERR(tgm_file_append_ex(f, meta2, ptrs, lens, 2, &o), TGM_ERROR_OK);
    o.aggregate_hash = "bogus";
    TT_CHECK_ERR(tgm_file_append_ex(f, meta2, ptrs, lens, 2, &o), TGM_ERROR_INVALID_ARG);
    o.aggregate_hash = "none";
    TT_CHECK_ERR(tgm_file_append_ex(f, meta2, ptrs, lens, 2, &o), TGM_ERROR_OK);
    size_t count = 0;
    TT_CHECK_ERR(tgm_file_message_count(f, &count), TGM_ERROR_OK);
    TT_CHECK_EQ_INT(count, 2);
    tgm_bytes_t m;
    TT_ASSERT(tgm_file_read_message(f, 0, &m) == TGM_ERROR_OK);
    TT_CHECK_EQ_INT(flags(&m), F_HMETA | F_HINDEX | F_HHASH | F_FHASH | F_HASHES);
    tgm_bytes_free(m);
    TT_ASSERT(tgm_file_read_message(f, 1, &m) == TGM_ERROR_OK);
    TT_CHECK_EQ_INT(flags(&m), F_HMETA | F_HINDEX | F_HASHES);
    tgm_bytes_free(m);
    tgm_file_close(f);
    tgm_bytes_t r;
    TT_ASSERT(tgm_validate_file(path, "full", 1, &r) == TGM_ERROR_OK);
    TT_CHECK(contains(&r, "\"issues\":[]"));
    TT_CHECK(!contains(&r, "\"description\""));
    tgm_bytes_free(r);
    unlink(path);
}

int main(void) {
    TT_RUN(test_placements);
    TT_RUN(test_same_as_encode);
    TT_RUN(test_input_kinds);
    TT_RUN(test_errors);
    TT_RUN(test_file_append_ex);
    return tt_finish("test_encode_options");
}
