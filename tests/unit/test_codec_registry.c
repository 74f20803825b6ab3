/* User codecs (include/tensogram/codec.h): registration rules and misuse,
 * encode / decode / range decode through codecs written here (a keyed XOR
 * and a byte run-length coder), what callbacks are told, the validation
 * hook, messages naming unregistered codecs, callbacks that misbehave,
 * unregistering while calls are in flight, and threads registering,
 * unregistering and looking up while others encode and decode.  Run under
 * ThreadSanitizer (-DTGM_TSAN=ON) for the races that do not change a
 * result. */
#include "tt.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "common/alloc.h"
#include "tensogram/codec.h"
#include "tensogram/tensogram.h"

#define XOR_ID 200u
#define RLE_ID 201u

static int contains(const char *s, const char *sub) { return s != NULL && strstr(s, sub); }

/* ---- the codecs ------------------------------------------------------------ */

/* Integer parameter `key` from the params JSON (flat object), or dflt. */
static long json_int(const char *json, const char *key, long dflt) {
    char pat[80];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(json, pat);
    return p ? strtol(p + strlen(pat), NULL, 10) : dflt;
}

typedef struct xor_state {
    atomic_int encodes, decodes, ranges, validates, releases;
    atomic_int record; /* keep what validate is told (single-threaded tests only) */
    char last_params[256];
    char last_dtype[16];
    size_t last_typesize, last_ndim;
    uint64_t last_shape0, last_decoded;
} xor_state;

static xor_state xs;

static uint8_t xor_key(const tgm_codec_call *call) {
    return (uint8_t)json_int(call->params_json, "xor8_key", 0x5A);
}

/* Writes through reserve + commit (straight into the library's memory). */
static tgm_error xor_encode(void *user, const tgm_codec_call *call, const uint8_t *src, size_t n,
                            tgm_codec_output *out) {
    xor_state *s = user;
    atomic_fetch_add(&s->encodes, 1);
    uint8_t k = xor_key(call);
    uint8_t *dst = tgm_codec_output_reserve(out, n + 1);
    if (dst == NULL) {
        return TGM_ERROR_COMPRESSION;
    }
    dst[0] = 0xC5; /* a marker byte, so the payload differs in length too */
    for (size_t i = 0; i < n; i++) {
        dst[i + 1] = src[i] ^ k;
    }
    return tgm_codec_output_commit(out, n + 1);
}

static tgm_error xor_decode(void *user, const tgm_codec_call *call, const uint8_t *src, size_t n,
                            tgm_codec_output *out) {
    xor_state *s = user;
    atomic_fetch_add(&s->decodes, 1);
    if (n != call->decoded_size + 1 || src[0] != 0xC5) {
        tgm_codec_error(call, "stream of %zu bytes for %llu decoded", n,
                        (unsigned long long)call->decoded_size);
        return TGM_ERROR_COMPRESSION;
    }
    uint8_t k = xor_key(call);
    uint8_t *dst = tgm_codec_output_reserve(out, n - 1);
    if (dst == NULL) {
        return TGM_ERROR_COMPRESSION;
    }
    for (size_t i = 0; i + 1 < n; i++) {
        dst[i] = src[i + 1] ^ k;
    }
    return tgm_codec_output_commit(out, n - 1);
}

static tgm_error xor_range(void *user, const tgm_codec_call *call, const uint8_t *src, size_t n,
                           uint64_t pos, uint64_t size, tgm_codec_output *out) {
    xor_state *s = user;
    atomic_fetch_add(&s->ranges, 1);
    if (pos + size + 1 > n) {
        tgm_codec_error(call, "range past the end");
        return TGM_ERROR_COMPRESSION;
    }
    uint8_t k = xor_key(call);
    for (uint64_t i = 0; i < size; i++) {
        uint8_t b = src[1 + pos + i] ^ k;
        if (tgm_codec_output_write(out, &b, 1) != TGM_ERROR_OK) {
            return TGM_ERROR_COMPRESSION;
        }
    }
    return TGM_ERROR_OK;
}

static tgm_error xor_validate(void *user, const tgm_codec_call *call) {
    xor_state *s = user;
    atomic_fetch_add(&s->validates, 1);
    if (!atomic_load(&s->record)) {
        goto check;
    }
    snprintf(s->last_params, sizeof s->last_params, "%s", call->params_json);
    snprintf(s->last_dtype, sizeof s->last_dtype, "%s", call->dtype);
    s->last_typesize = call->typesize;
    s->last_ndim = call->ndim;
    s->last_shape0 = call->ndim ? call->shape[0] : 0;
    s->last_decoded = call->decoded_size;
check:;
    long k = json_int(call->params_json, "xor8_key", 0x5A);
    if (k < 0 || k > 255) {
        tgm_codec_error(call, "xor8_key must be 0..255, got %ld", k);
        return TGM_ERROR_ENCODING;
    }
    return TGM_ERROR_OK;
}

static void xor_release(void *user) {
    xor_state *s = user;
    atomic_fetch_add(&s->releases, 1);
}

static tgm_codec_def xor_def(void) {
    tgm_codec_def d = TGM_CODEC_DEF_INIT;
    d.name = "xor8";
    d.id = XOR_ID;
    d.user = &xs;
    d.encode = xor_encode;
    d.decode = xor_decode;
    d.decode_range = xor_range;
    d.validate = xor_validate;
    d.release = xor_release;
    return d;
}

/* Byte RLE: (count 1..255, value) pairs, written pair by pair through the
 * growable output; decode trusts nothing and lets the output refuse
 * overlong streams. */
static tgm_error rle_encode(void *user, const tgm_codec_call *call, const uint8_t *src, size_t n,
                            tgm_codec_output *out) {
    (void)user;
    (void)call;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && j - i < 255 && src[j] == src[i]) {
            j++;
        }
        uint8_t pair[2] = {(uint8_t)(j - i), src[i]};
        if (tgm_codec_output_write(out, pair, 2) != TGM_ERROR_OK) {
            return TGM_ERROR_COMPRESSION;
        }
        i = j;
    }
    return TGM_ERROR_OK;
}

static tgm_error rle_decode(void *user, const tgm_codec_call *call, const uint8_t *src, size_t n,
                            tgm_codec_output *out) {
    (void)user;
    if (n % 2 != 0) {
        tgm_codec_error(call, "odd stream length %zu", n);
        return TGM_ERROR_COMPRESSION;
    }
    for (size_t i = 0; i < n; i += 2) {
        uint8_t *d = tgm_codec_output_reserve(out, src[i]);
        if (d == NULL) {
            return TGM_ERROR_COMPRESSION;
        }
        memset(d, src[i + 1], src[i]);
        if (tgm_codec_output_commit(out, src[i]) != TGM_ERROR_OK) {
            return TGM_ERROR_COMPRESSION;
        }
    }
    return TGM_ERROR_OK;
}

static tgm_codec_def rle_def(void) {
    tgm_codec_def d = TGM_CODEC_DEF_INIT;
    d.name = "rle8";
    d.id = RLE_ID;
    d.encode = rle_encode;
    d.decode = rle_decode;
    return d;
}

/* A codec that starts every stream with zero-byte writes and reservations
 * (legal at any time, before the output has memory too), then stores the
 * bytes as they are. */
static tgm_error zw_encode(void *user, const tgm_codec_call *call, const uint8_t *src, size_t n,
                           tgm_codec_output *out) {
    (void)user;
    (void)call;
    if (tgm_codec_output_write(out, src, 0) != TGM_ERROR_OK ||
        tgm_codec_output_reserve(out, 0) == NULL || tgm_codec_output_commit(out, 0) != 0) {
        return TGM_ERROR_COMPRESSION;
    }
    return tgm_codec_output_write(out, src, n);
}

static tgm_error zw_decode(void *user, const tgm_codec_call *call, const uint8_t *src, size_t n,
                           tgm_codec_output *out) {
    return zw_encode(user, call, src, n, out);
}

/* ---- helpers ------------------------------------------------------------------ */

static char *meta1(const char *dtype, size_t n, const char *filter, const char *compression,
                   const char *extra) {
    static _Thread_local char buf[1024];
    snprintf(buf, sizeof buf,
             "{\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[%zu],"
             "\"strides\":[1],\"dtype\":\"%s\",\"byte_order\":\"little\",\"encoding\":\"none\","
             "\"filter\":\"%s\",\"compression\":\"%s\"%s}]}",
             n, dtype, filter, compression, extra ? extra : "");
    return buf;
}

static tgm_error encode1(const char *meta, const void *data, size_t len, uint32_t threads,
                         tgm_bytes_t *out) {
    const uint8_t *p = data;
    return tgm_encode(meta, &p, &len, 1, "xxh3", threads, out);
}

/* Decode object 0 and compare with `want`. */
static int decodes_to(const tgm_bytes_t *msg, const void *want, size_t len, uint32_t threads) {
    tgm_message_t *m = NULL;
    if (tgm_decode(msg->data, msg->len, 1, threads, 1, &m) != TGM_ERROR_OK) {
        return 0;
    }
    size_t n = 0;
    const uint8_t *d = tgm_object_data(m, 0, &n);
    int ok = n == len && (len == 0 || memcmp(d, want, len) == 0);
    tgm_message_free(m);
    return ok;
}

static void fill(uint8_t *p, size_t n, unsigned seed) {
    for (size_t i = 0; i < n; i++) {
        p[i] = (uint8_t)((i / 7) * 13 + seed); /* runs of 7: something for rle8 to do */
    }
}

/* ---- registration ---------------------------------------------------------------- */

static void test_register_lookup_list(void) {
    tgm_codec_def d = xor_def();
    TT_CHECK(!tgm_codec_lookup("xor8", NULL));
    TT_CHECK_EQ_INT(tgm_codec_list(NULL, 0), 0);
    TT_CHECK_ERR(tgm_register_codec(&d), TGM_ERROR_OK);
    tgm_codec_def r = rle_def();
    TT_CHECK_ERR(tgm_register_codec(&r), TGM_ERROR_OK);

    tgm_codec_info info;
    memset(&info, 0xEE, sizeof info);
    TT_CHECK(tgm_codec_lookup("xor8", &info));
    TT_CHECK_EQ_STR(info.name, "xor8");
    TT_CHECK_EQ_INT(info.id, XOR_ID);
    TT_CHECK(tgm_codec_lookup_id(RLE_ID, &info));
    TT_CHECK_EQ_STR(info.name, "rle8");
    TT_CHECK(!tgm_codec_lookup_id(202, &info));
    TT_CHECK(!tgm_codec_lookup_id(5, NULL));
    TT_CHECK(!tgm_codec_lookup("zstd", NULL)); /* built-ins are not user codecs */
    TT_CHECK(!tgm_codec_lookup(NULL, NULL));

    tgm_codec_info list[4];
    TT_CHECK_EQ_INT(tgm_codec_list(list, 4), 2);
    TT_CHECK_EQ_STR(list[0].name, "xor8"); /* ordered by id */
    TT_CHECK_EQ_STR(list[1].name, "rle8");
    TT_CHECK_EQ_INT(tgm_codec_list(list, 1), 2); /* count beyond capacity */

    /* Registering the identical definition again changes nothing. */
    TT_CHECK_ERR(tgm_register_codec(&d), TGM_ERROR_OK);
    TT_CHECK_EQ_INT(tgm_codec_list(NULL, 0), 2);

    int rel = atomic_load(&xs.releases);
    TT_CHECK_ERR(tgm_unregister_codec("rle8"), TGM_ERROR_OK);
    TT_CHECK(!tgm_codec_lookup("rle8", NULL));
    TT_CHECK_ERR(tgm_unregister_codec("rle8"), TGM_ERROR_INVALID_ARG);
    TT_CHECK(contains(tgm_last_error(), "\"rle8\" is not registered"));
    TT_CHECK_ERR(tgm_unregister_codec("xor8"), TGM_ERROR_OK); /* one unregister suffices */
    TT_CHECK(!tgm_codec_lookup("xor8", NULL));
    TT_CHECK_EQ_INT(atomic_load(&xs.releases), rel + 1); /* idle: released at once */
    TT_CHECK_EQ_INT(tgm_codec_list(NULL, 0), 0);
    TT_CHECK_ERR(tgm_unregister_codec(NULL), TGM_ERROR_INVALID_ARG);
}

static void test_conflicts(void) {
    tgm_codec_def d = xor_def();
    TT_ASSERT(tgm_register_codec(&d) == TGM_ERROR_OK);

    tgm_codec_def o = xor_def();
    o.id = 210; /* same name, another id */
    TT_CHECK_ERR(tgm_register_codec(&o), TGM_ERROR_INVALID_ARG);
    TT_CHECK(contains(tgm_last_error(), "\"xor8\" is already registered with id 200"));

    o = rle_def();
    o.id = XOR_ID; /* same id, another name */
    TT_CHECK_ERR(tgm_register_codec(&o), TGM_ERROR_INVALID_ARG);
    TT_CHECK(contains(tgm_last_error(), "codec id 200 is already registered as \"xor8\""));

    o = xor_def();
    o.decode_range = NULL; /* same name and id, other callbacks */
    TT_CHECK_ERR(tgm_register_codec(&o), TGM_ERROR_INVALID_ARG);
    TT_CHECK(contains(tgm_last_error(), "other callbacks or user data"));
    o = xor_def();
    o.user = &o; /* other user data */
    TT_CHECK_ERR(tgm_register_codec(&o), TGM_ERROR_INVALID_ARG);

    /* The failed attempts left the registration as it was. */
    tgm_codec_info info;
    TT_CHECK(tgm_codec_lookup("xor8", &info) && info.id == XOR_ID);
    TT_CHECK(!tgm_codec_lookup_id(210, NULL));
    TT_CHECK_EQ_INT(tgm_codec_list(NULL, 0), 1);
    TT_CHECK_ERR(tgm_unregister_codec("xor8"), TGM_ERROR_OK);
}

static void test_reserved_and_ranges(void) {
    static const char *const reserved[] = {"none", "szip", "zstd", "lz4",    "blosc2",
                                           "zfp",  "sz3",  "rle",  "roaring"};
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++) {
        tgm_codec_def d = rle_def();
        d.name = reserved[i];
        TT_CHECK_ERR(tgm_register_codec(&d), TGM_ERROR_INVALID_ARG);
        TT_CHECK(contains(tgm_last_error(), "built-in compression name"));
    }
    static const uint32_t bad_ids[] = {0, 1, 159, 256, 1000, UINT32_MAX};
    for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
        tgm_codec_def d = rle_def();
        d.id = bad_ids[i];
        TT_CHECK_ERR(tgm_register_codec(&d), TGM_ERROR_INVALID_ARG);
        TT_CHECK(contains(tgm_last_error(), "outside the user range 160..255"));
    }
    /* The ends of the range are fine. */
    tgm_codec_def lo = rle_def(), hi = rle_def();
    lo.name = "lo";
    lo.id = 160;
    hi.name = "hi";
    hi.id = 255;
    TT_CHECK_ERR(tgm_register_codec(&lo), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_register_codec(&hi), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_unregister_codec("lo"), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_unregister_codec("hi"), TGM_ERROR_OK);

    char longname[80];
    memset(longname, 'a', sizeof longname);
    longname[TGM_CODEC_NAME_MAX + 1] = '\0'; /* 64 characters */
    const char *bad_names[] = {"", "a b", "x/y", "caf\xc3\xa9", "q\"", longname, NULL};
    for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++) {
        tgm_codec_def d = rle_def();
        d.name = bad_names[i];
        TT_CHECK_ERR(tgm_register_codec(&d), TGM_ERROR_INVALID_ARG);
    }
    longname[TGM_CODEC_NAME_MAX] = '\0'; /* 63 characters: the longest name */
    tgm_codec_def d = rle_def();
    d.name = longname;
    TT_CHECK_ERR(tgm_register_codec(&d), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_unregister_codec(longname), TGM_ERROR_OK);
    d.name = "Mixed-Case_1.2";
    TT_CHECK_ERR(tgm_register_codec(&d), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_unregister_codec("Mixed-Case_1.2"), TGM_ERROR_OK);
}

/* tgm_compression_name lists the format's compressions (an independent
 * copy here), and only those: a registered user codec is not among them. */
static void test_compression_names(void) {
    static const char *const names[] = {"none", "szip", "zstd", "lz4",    "blosc2",
                                        "zfp",  "sz3",  "rle",  "roaring"};
    const size_t n = sizeof names / sizeof names[0];
    tgm_codec_def d = rle_def();
    TT_CHECK_ERR(tgm_register_codec(&d), TGM_ERROR_OK);
    for (size_t i = 0; i < n; i++) {
        TT_CHECK_EQ_STR(tgm_compression_name(i), names[i]);
    }
    TT_CHECK(tgm_compression_name(n) == NULL);
    TT_CHECK(tgm_compression_name(SIZE_MAX) == NULL);
    TT_CHECK_ERR(tgm_unregister_codec(d.name), TGM_ERROR_OK);
}

static void test_misuse(void) {
    TT_CHECK_ERR(tgm_register_codec(NULL), TGM_ERROR_INVALID_ARG);
    tgm_codec_def d = rle_def();
    d.size = sizeof d - 1; /* an older, smaller layout than any this library knows */
    TT_CHECK_ERR(tgm_register_codec(&d), TGM_ERROR_INVALID_ARG);
    TT_CHECK(contains(tgm_last_error(), "tgm_codec_def.size"));
    d.size = 0;
    TT_CHECK_ERR(tgm_register_codec(&d), TGM_ERROR_INVALID_ARG);

    /* A newer header's definition: accepted while its extra fields are zero. */
    struct {
        tgm_codec_def def;
        void *future[2];
    } big;
    memset(&big, 0, sizeof big);
    big.def = rle_def();
    big.def.size = sizeof big;
    TT_CHECK_ERR(tgm_register_codec(&big.def), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_unregister_codec("rle8"), TGM_ERROR_OK);
    big.future[1] = &big;
    TT_CHECK_ERR(tgm_register_codec(&big.def), TGM_ERROR_INVALID_ARG);
    TT_CHECK(contains(tgm_last_error(), "does not know"));

    d = rle_def();
    d.encode = NULL;
    TT_CHECK_ERR(tgm_register_codec(&d), TGM_ERROR_INVALID_ARG);
    TT_CHECK(contains(tgm_last_error(), "encode callback is required"));
    d = rle_def();
    d.decode = NULL;
    TT_CHECK_ERR(tgm_register_codec(&d), TGM_ERROR_INVALID_ARG);
    TT_CHECK(contains(tgm_last_error(), "decode callback is required"));
    d = rle_def();
    d.flags = 1;
    TT_CHECK_ERR(tgm_register_codec(&d), TGM_ERROR_INVALID_ARG);
    TT_CHECK_EQ_INT(tgm_codec_list(NULL, 0), 0);
}

/* ---- encode / decode ---------------------------------------------------------------- */

static void test_roundtrip(void) {
    tgm_codec_def d = xor_def(), r = rle_def();
    TT_ASSERT(tgm_register_codec(&d) == TGM_ERROR_OK);
    TT_ASSERT(tgm_register_codec(&r) == TGM_ERROR_OK);
    uint8_t data[4000];
    fill(data, sizeof data, 3);

    /* xor8 with its own parameter, after the shuffle filter. */
    tgm_bytes_t msg = {NULL, 0};
    atomic_store(&xs.record, 1);
    TT_ASSERT(encode1(meta1("uint32", 1000, "shuffle", "xor8",
                            ",\"shuffle_element_size\":4,\"xor8_key\":17"),
                      data, sizeof data, 0, &msg) == TGM_ERROR_OK);
    TT_CHECK(decodes_to(&msg, data, sizeof data, 1));

    /* The descriptor names the codec and records its id; the payload is
     * what the callback wrote (marker, then shuffled bytes ^ 17). */
    tgm_message_t *enc = NULL;
    TT_ASSERT(tgm_decode_encoded(msg.data, msg.len, &enc) == TGM_ERROR_OK);
    TT_CHECK_EQ_STR(tgm_object_compression(enc, 0), "xor8");
    const char *dj = tgm_object_descriptor_json(enc, 0);
    TT_CHECK(contains(dj, "\"compression\":\"xor8\""));
    TT_CHECK(contains(dj, "\"user_codec_id\":200"));
    TT_CHECK(contains(dj, "\"xor8_key\":17"));
    size_t plen = 0;
    const uint8_t *pl = tgm_object_data(enc, 0, &plen);
    TT_ASSERT(pl != NULL && plen == sizeof data + 1);
    TT_CHECK_EQ_INT(pl[0], 0xC5);
    int ok = 1;
    for (size_t i = 0; i < 1000; i++) { /* byte 0 of every value comes first */
        ok &= pl[1 + i] == (data[4 * i] ^ 17);
    }
    TT_CHECK(ok);
    tgm_message_free(enc);

    /* What validate was told. */
    TT_CHECK_EQ_STR(xs.last_params, "{\"shuffle_element_size\":4,\"user_codec_id\":200,"
                                    "\"xor8_key\":17}");
    TT_CHECK_EQ_STR(xs.last_dtype, "uint32");
    TT_CHECK_EQ_INT(xs.last_typesize, 1); /* after shuffle */
    TT_CHECK_EQ_INT(xs.last_ndim, 1);
    TT_CHECK_EQ_INT(xs.last_shape0, 1000);
    TT_CHECK_EQ_INT(xs.last_decoded, 0); /* validate sees no data */
    atomic_store(&xs.record, 0);
    tgm_bytes_free(msg);

    /* rle8 on several objects encoded and decoded in parallel; the other
     * codec and a built-in one in the same message. */
    const char *meta =
        "{\"descriptors\":["
        "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[4000],\"strides\":[1],\"dtype\":\"uint8\","
        "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"rle8\"},"
        "{\"type\":\"ntensor\",\"ndim\":2,\"shape\":[10,50],\"strides\":[50,1],"
        "\"dtype\":\"int64\",\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"xor8\"},"
        "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[4000],\"strides\":[1],\"dtype\":\"uint8\","
        "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"rle8\"}]}";
    const uint8_t *ptrs[3] = {data, data, data + 1};
    size_t lens[3] = {4000, 4000, 3999};
    TT_CHECK_ERR(tgm_encode(meta, ptrs, lens, 3, "xxh3", 3, &msg), TGM_ERROR_METADATA);
    lens[2] = 4000;
    ptrs[2] = data;
    TT_ASSERT(tgm_encode(meta, ptrs, lens, 3, "xxh3", 3, &msg) == TGM_ERROR_OK);
    tgm_message_t *m = NULL;
    TT_ASSERT(tgm_decode(msg.data, msg.len, 1, 3, 1, &m) == TGM_ERROR_OK);
    for (size_t i = 0; i < 3; i++) {
        size_t n = 0;
        const uint8_t *o = tgm_object_data(m, i, &n);
        TT_CHECK(n == 4000 && memcmp(o, data, 4000) == 0);
    }
    tgm_message_free(m);
    TT_ASSERT(tgm_decode_encoded(msg.data, msg.len, &enc) == TGM_ERROR_OK);
    TT_CHECK(tgm_object_data(enc, 0, &plen) != NULL && plen == 2 * ((4000 + 6) / 7));
    TT_CHECK(contains(tgm_object_descriptor_json(enc, 0), "\"user_codec_id\":201"));
    tgm_message_free(enc);
    tgm_bytes_free(msg);

    /* Empty objects pass through the callbacks too. */
    TT_ASSERT(encode1(meta1("uint8", 0, "none", "rle8", NULL), data, 0, 1, &msg) == TGM_ERROR_OK);
    TT_CHECK(decodes_to(&msg, data, 0, 1));
    tgm_bytes_free(msg);

    /* A caller-given user_codec_id must be the codec's. */
    TT_CHECK_ERR(
        encode1(meta1("uint8", 8, "none", "xor8", ",\"user_codec_id\":200"), data, 8, 1, &msg),
        TGM_ERROR_OK);
    tgm_bytes_free(msg);
    TT_CHECK_ERR(
        encode1(meta1("uint8", 8, "none", "xor8", ",\"user_codec_id\":201"), data, 8, 1, &msg),
        TGM_ERROR_METADATA);
    TT_CHECK(contains(tgm_last_error(), "user_codec_id is 201 but the registered codec"));
    TT_CHECK_ERR(
        encode1(meta1("uint8", 8, "none", "xor8", ",\"user_codec_id\":\"x\""), data, 8, 1, &msg),
        TGM_ERROR_METADATA);

    TT_CHECK_ERR(tgm_unregister_codec("xor8"), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_unregister_codec("rle8"), TGM_ERROR_OK);
}

static void test_range(void) {
    tgm_codec_def d = xor_def(), r = rle_def();
    TT_ASSERT(tgm_register_codec(&d) == TGM_ERROR_OK);
    TT_ASSERT(tgm_register_codec(&r) == TGM_ERROR_OK);
    uint16_t v[500];
    for (size_t i = 0; i < 500; i++) {
        v[i] = (uint16_t)(i * 77);
    }
    tgm_bytes_t msg;
    TT_ASSERT(encode1(meta1("uint16", 500, "none", "xor8", NULL), v, sizeof v, 1, &msg) ==
              TGM_ERROR_OK);
    uint64_t off[2] = {3, 400}, cnt[2] = {10, 100};
    tgm_bytes_t out[2];
    size_t nout = 0;
    int before = atomic_load(&xs.ranges);
    TT_ASSERT(tgm_decode_range(msg.data, msg.len, 0, off, cnt, 2, 1, 1, 0, out, &nout) ==
              TGM_ERROR_OK);
    TT_CHECK_EQ_INT(nout, 2);
    TT_CHECK(out[0].len == 20 && memcmp(out[0].data, v + 3, 20) == 0);
    TT_CHECK(out[1].len == 200 && memcmp(out[1].data, v + 400, 200) == 0);
    TT_CHECK_EQ_INT(atomic_load(&xs.ranges), before + 2); /* not a whole decode */
    tgm_bytes_free(out[0]);
    tgm_bytes_free(out[1]);
    tgm_bytes_free(msg);

    /* A codec without decode_range refuses, as zstd does. */
    TT_ASSERT(encode1(meta1("uint16", 500, "none", "rle8", NULL), v, sizeof v, 1, &msg) ==
              TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_decode_range(msg.data, msg.len, 0, off, cnt, 1, 1, 1, 1, out, &nout),
                 TGM_ERROR_COMPRESSION);
    TT_CHECK(contains(tgm_last_error(), "range decode not supported for this compressor (rle8)"));
    tgm_bytes_free(msg);
    TT_CHECK_ERR(tgm_unregister_codec("xor8"), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_unregister_codec("rle8"), TGM_ERROR_OK);
}

static void test_validate_hook(void) {
    tgm_codec_def d = xor_def();
    TT_ASSERT(tgm_register_codec(&d) == TGM_ERROR_OK);
    uint8_t data[16] = {1, 2, 3};
    tgm_bytes_t msg = {NULL, 0};
    int enc = atomic_load(&xs.encodes);
    TT_CHECK_ERR(
        encode1(meta1("uint8", 16, "none", "xor8", ",\"xor8_key\":300"), data, 16, 1, &msg),
        TGM_ERROR_ENCODING);
    TT_CHECK(contains(tgm_last_error(), "user codec \"xor8\" (id 200) refused the parameters"));
    TT_CHECK(contains(tgm_last_error(), "xor8_key must be 0..255, got 300"));
    TT_CHECK_EQ_INT(atomic_load(&xs.encodes), enc); /* refused before any data was compressed */
    TT_CHECK(msg.data == NULL);
    /* pre-encoded payloads are checked the same way */
    const uint8_t *p = data;
    size_t l = 16;
    TT_CHECK_ERR(tgm_encode_pre_encoded(meta1("uint8", 16, "none", "xor8", ",\"xor8_key\":-1"), &p,
                                        &l, 1, NULL, 1, &msg),
                 TGM_ERROR_ENCODING);
    TT_CHECK_ERR(tgm_unregister_codec("xor8"), TGM_ERROR_OK);
}

static void test_unregistered_on_decode(void) {
    tgm_codec_def d = xor_def();
    TT_ASSERT(tgm_register_codec(&d) == TGM_ERROR_OK);
    uint8_t data[64];
    fill(data, sizeof data, 9);
    tgm_bytes_t msg;
    TT_ASSERT(encode1(meta1("uint8", 64, "none", "xor8", NULL), data, 64, 1, &msg) == TGM_ERROR_OK);
    /* Validation knows a registered codec: clean at every level. */
    tgm_bytes_t rep;
    TT_ASSERT(tgm_validate(msg.data, msg.len, "full", 1, &rep) == TGM_ERROR_OK);
    TT_CHECK(rep.len > 12 && memcmp(rep.data, "{\"issues\":[]", 12) == 0);
    tgm_bytes_free(rep);
    TT_CHECK_ERR(tgm_unregister_codec("xor8"), TGM_ERROR_OK);
    /* Unregistered: unknown at the metadata level, like any unknown name. */
    TT_ASSERT(tgm_validate(msg.data, msg.len, "default", 0, &rep) == TGM_ERROR_OK);
    char *txt = malloc(rep.len + 1);
    TT_ASSERT(txt != NULL);
    memcpy(txt, rep.data, rep.len);
    txt[rep.len] = '\0';
    TT_CHECK(contains(txt, "\"code\":\"unknown_compression\""));
    free(txt);
    tgm_bytes_free(rep);

    tgm_message_t *m = NULL;
    TT_CHECK_ERR(tgm_decode(msg.data, msg.len, 1, 1, 0, &m), TGM_ERROR_ENCODING);
    TT_CHECK(contains(tgm_last_error(), "compression \"xor8\" is not registered"));
    TT_CHECK(contains(tgm_last_error(), "unknown compression: xor8"));
    TT_CHECK_ERR(tgm_decode_object(msg.data, msg.len, 0, 1, 1, 0, &m), TGM_ERROR_ENCODING);
    /* Descriptors, metadata and stored payloads need no codec. */
    TT_CHECK_ERR(tgm_decode_descriptors(msg.data, msg.len, &m), TGM_ERROR_OK);
    tgm_message_free(m);

    /* A rewrite of the stored payload keeps the user codec (its descriptor
     * carries user_codec_id, so the name is not a misspelling). */
    TT_ASSERT(tgm_decode_encoded(msg.data, msg.len, &m) == TGM_ERROR_OK);
    char meta[1024];
    snprintf(meta, sizeof meta, "{\"descriptors\":[%s]}", tgm_object_descriptor_json(m, 0));
    size_t plen = 0;
    const uint8_t *pl = tgm_object_data(m, 0, &plen);
    tgm_bytes_t copy;
    TT_CHECK_ERR(tgm_encode_stored(meta, &pl, &plen, 1, "xxh3", 1, &copy), TGM_ERROR_OK);
    tgm_message_free(m);
    /* ... but an unknown name without it is still an error */
    const uint8_t *q = data;
    size_t ql = 64;
    tgm_bytes_t bad;
    TT_CHECK_ERR(
        tgm_encode_stored(meta1("uint8", 64, "none", "brotli", NULL), &q, &ql, 1, NULL, 1, &bad),
        TGM_ERROR_ENCODING);
    TT_CHECK(contains(tgm_last_error(), "unknown compression: brotli"));

    /* Another codec under the same name: the recorded id tells them apart. */
    tgm_codec_def other = rle_def();
    other.name = "xor8";
    other.id = 230;
    TT_ASSERT(tgm_register_codec(&other) == TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_decode(msg.data, msg.len, 1, 1, 0, &m), TGM_ERROR_METADATA);
    TT_CHECK(contains(tgm_last_error(), "user_codec_id is 200 but the registered codec \"xor8\" "
                                        "has id 230"));
    TT_CHECK_ERR(tgm_unregister_codec("xor8"), TGM_ERROR_OK);

    /* Registered again: both messages decode. */
    TT_ASSERT(tgm_register_codec(&d) == TGM_ERROR_OK);
    TT_CHECK(decodes_to(&msg, data, 64, 1));
    TT_CHECK(copy.data != NULL && decodes_to(&copy, data, 64, 1));
    TT_CHECK_ERR(tgm_unregister_codec("xor8"), TGM_ERROR_OK);
    tgm_bytes_free(copy);
    tgm_bytes_free(msg);
}

/* ---- callbacks that misbehave ----------------------------------------------------------- */

static atomic_int bad_mode;

static tgm_error bad_encode(void *user, const tgm_codec_call *call, const uint8_t *src, size_t n,
                            tgm_codec_output *out) {
    (void)user;
    switch (atomic_load(&bad_mode)) {
    case 1:
        tgm_codec_error(call, "boom at byte %d", 7);
        return TGM_ERROR_COMPRESSION;
    case 2:
        return (tgm_error)42; /* not a code at all */
    case 3: {
        uint8_t *p = tgm_codec_output_reserve(out, 4);
        if (p == NULL) {
            return TGM_ERROR_COMPRESSION;
        }
        memset(p, 0, 4);
        (void)tgm_codec_output_commit(out, 5); /* more than reserved; result ignored */
        return TGM_ERROR_OK;
    }
    default:
        return tgm_codec_output_write(out, src, n);
    }
}

static tgm_error bad_decode(void *user, const tgm_codec_call *call, const uint8_t *src, size_t n,
                            tgm_codec_output *out) {
    (void)user;
    (void)call;
    switch (atomic_load(&bad_mode)) {
    case 4: /* one byte short */
        return tgm_codec_output_write(out, src, n ? n - 1 : 0);
    case 5: { /* one byte too many, error ignored */
        TT_CHECK_EQ_INT(tgm_codec_output_limit(out), n);
        (void)tgm_codec_output_write(out, src, n);
        TT_CHECK_EQ_INT(tgm_codec_output_len(out), n);
        TT_CHECK(tgm_codec_output_reserve(out, 1) == NULL);
        uint8_t z = 0;
        TT_CHECK(tgm_codec_output_write(out, &z, 1) != TGM_ERROR_OK);
        return TGM_ERROR_OK;
    }
    case 6:
        return TGM_ERROR_METADATA;
    default:
        return tgm_codec_output_write(out, src, n);
    }
}

static void test_misbehaving(void) {
    tgm_codec_def d = TGM_CODEC_DEF_INIT;
    d.name = "copycat";
    d.id = 210;
    d.encode = bad_encode;
    d.decode = bad_decode;
    TT_ASSERT(tgm_register_codec(&d) == TGM_ERROR_OK);
    uint8_t data[32];
    fill(data, sizeof data, 1);
    const char *meta = meta1("uint8", 32, "none", "copycat", NULL);
    tgm_bytes_t msg;

    atomic_store(&bad_mode, 1);
    TT_CHECK_ERR(encode1(meta, data, 32, 1, &msg), TGM_ERROR_COMPRESSION);
    TT_CHECK_EQ_STR(tgm_last_error(),
                    "compression error: user codec \"copycat\" (id 210) encode: boom at byte 7");
    atomic_store(&bad_mode, 2);
    TT_CHECK_ERR(encode1(meta, data, 32, 1, &msg), TGM_ERROR_COMPRESSION);
    TT_CHECK(contains(tgm_last_error(), "encode failed (callback returned 42"));
    atomic_store(&bad_mode, 3);
    TT_CHECK_ERR(encode1(meta, data, 32, 1, &msg), TGM_ERROR_COMPRESSION);
    TT_CHECK(contains(tgm_last_error(), "commit of 5 bytes after a reservation of 4"));

    atomic_store(&bad_mode, 0);
    TT_ASSERT(encode1(meta, data, 32, 1, &msg) == TGM_ERROR_OK);
    tgm_message_t *m = NULL;
    atomic_store(&bad_mode, 4);
    TT_CHECK_ERR(tgm_decode(msg.data, msg.len, 1, 1, 0, &m), TGM_ERROR_COMPRESSION);
    TT_CHECK(contains(tgm_last_error(), "decode: produced 31 bytes, expected 32"));
    atomic_store(&bad_mode, 5);
    TT_CHECK_ERR(tgm_decode(msg.data, msg.len, 1, 1, 0, &m), TGM_ERROR_COMPRESSION);
    TT_CHECK(contains(tgm_last_error(), "output of 32 bytes is full"));
    atomic_store(&bad_mode, 6);
    TT_CHECK_ERR(tgm_decode(msg.data, msg.len, 1, 1, 0, &m), TGM_ERROR_METADATA);
    atomic_store(&bad_mode, 0);
    TT_CHECK(decodes_to(&msg, data, 32, 1));
    tgm_bytes_free(msg);

    /* Output helpers are harmless on NULL. */
    TT_CHECK(tgm_codec_output_reserve(NULL, 1) == NULL);
    TT_CHECK(tgm_codec_output_write(NULL, data, 1) != TGM_ERROR_OK);
    TT_CHECK(tgm_codec_output_commit(NULL, 0) != TGM_ERROR_OK);
    TT_CHECK_EQ_INT(tgm_codec_output_len(NULL), 0);
    tgm_codec_error(NULL, "ignored");
    TT_CHECK_ERR(tgm_unregister_codec("copycat"), TGM_ERROR_OK);
}

/* ---- unregistering while calls run ------------------------------------------------------- */

typedef struct gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int entered, open;
} gate;

static gate g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
static atomic_int slow_releases;

static tgm_error slow_encode(void *user, const tgm_codec_call *call, const uint8_t *src, size_t n,
                             tgm_codec_output *out) {
    (void)call;
    gate *gt = user;
    pthread_mutex_lock(&gt->mu);
    gt->entered = 1;
    pthread_cond_broadcast(&gt->cv);
    while (!gt->open) {
        pthread_cond_wait(&gt->cv, &gt->mu);
    }
    pthread_mutex_unlock(&gt->mu);
    return tgm_codec_output_write(out, src, n);
}

static void slow_release(void *user) {
    (void)user;
    atomic_fetch_add(&slow_releases, 1);
}

static void *slow_thread(void *arg) {
    tgm_bytes_t *msg = arg;
    uint8_t data[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    if (encode1(meta1("uint8", 8, "none", "slow", NULL), data, 8, 1, msg) != TGM_ERROR_OK) {
        msg->data = NULL;
    }
    return NULL;
}

static void test_unregister_in_flight(void) {
    tgm_codec_def d = TGM_CODEC_DEF_INIT;
    d.name = "slow";
    d.id = 220;
    d.user = &g;
    d.encode = slow_encode;
    d.decode = bad_decode;
    d.release = slow_release;
    TT_ASSERT(tgm_register_codec(&d) == TGM_ERROR_OK);
    pthread_t t;
    tgm_bytes_t msg = {NULL, 0};
    TT_ASSERT(pthread_create(&t, NULL, slow_thread, &msg) == 0);
    pthread_mutex_lock(&g.mu);
    while (!g.entered) {
        pthread_cond_wait(&g.cv, &g.mu);
    }
    pthread_mutex_unlock(&g.mu);

    /* The callback is running: unregistering returns at once, the name is
     * gone, and the user data is not released yet. */
    TT_CHECK_ERR(tgm_unregister_codec("slow"), TGM_ERROR_OK);
    TT_CHECK(!tgm_codec_lookup("slow", NULL));
    TT_CHECK_EQ_INT(atomic_load(&slow_releases), 0);
    /* The id is free again for another codec at once. */
    tgm_codec_def r = rle_def();
    r.id = 220;
    TT_CHECK_ERR(tgm_register_codec(&r), TGM_ERROR_OK);

    pthread_mutex_lock(&g.mu);
    g.open = 1;
    pthread_cond_broadcast(&g.cv);
    pthread_mutex_unlock(&g.mu);
    pthread_join(t, NULL);
    TT_CHECK_EQ_INT(atomic_load(&slow_releases), 1); /* after the last callback returned */
    /* The call that was running finished with the old codec... */
    TT_ASSERT(msg.data != NULL);
    /* ...and its message names "slow", which is gone now. */
    tgm_message_t *m = NULL;
    TT_CHECK_ERR(tgm_decode(msg.data, msg.len, 1, 1, 0, &m), TGM_ERROR_ENCODING);
    TT_CHECK(contains(tgm_last_error(), "compression \"slow\" is not registered"));
    tgm_bytes_free(msg);
    TT_CHECK_ERR(tgm_unregister_codec("rle8"), TGM_ERROR_OK);
}

/* A callback may use the registry, even to unregister its own codec. */
static atomic_int self_releases;

static tgm_error self_encode(void *user, const tgm_codec_call *call, const uint8_t *src, size_t n,
                             tgm_codec_output *out) {
    (void)user;
    tgm_codec_info info;
    if (!tgm_codec_lookup(call->name, &info) || info.id != call->id) {
        return TGM_ERROR_COMPRESSION;
    }
    if (tgm_unregister_codec(call->name) != TGM_ERROR_OK) {
        return TGM_ERROR_COMPRESSION;
    }
    if (atomic_load(&self_releases) != 0) { /* still in use: not released */
        return TGM_ERROR_COMPRESSION;
    }
    return tgm_codec_output_write(out, src, n);
}

static void self_release(void *user) {
    (void)user;
    atomic_fetch_add(&self_releases, 1);
}

static void test_reentrant_callback(void) {
    tgm_codec_def d = TGM_CODEC_DEF_INIT;
    d.name = "once";
    d.id = 221;
    d.encode = self_encode;
    d.decode = bad_decode;
    d.release = self_release;
    TT_ASSERT(tgm_register_codec(&d) == TGM_ERROR_OK);
    uint8_t data[8] = {0};
    tgm_bytes_t msg;
    TT_CHECK_ERR(encode1(meta1("uint8", 8, "none", "once", NULL), data, 8, 1, &msg), TGM_ERROR_OK);
    tgm_bytes_free(msg);
    TT_CHECK_EQ_INT(atomic_load(&self_releases), 1);
    TT_CHECK(!tgm_codec_lookup("once", NULL));
}

/* ---- threads ------------------------------------------------------------------------------ */

/* Which threads run callbacks, and how many at once. */
static atomic_int inside, most_inside, off_caller;
static pthread_t caller;

static tgm_error busy_encode(void *user, const tgm_codec_call *call, const uint8_t *src, size_t n,
                             tgm_codec_output *out) {
    (void)user;
    (void)call;
    int now = atomic_fetch_add(&inside, 1) + 1;
    int seen = atomic_load(&most_inside);
    while (now > seen && !atomic_compare_exchange_weak(&most_inside, &seen, now)) {
    }
    if (!pthread_equal(pthread_self(), caller)) {
        atomic_store(&off_caller, 1);
    }
    /* Wait (up to 10 s) until a second callback is running at the same
     * time, so the overlap is observed however loaded the machine is; a
     * library that ran the objects one after another ends the wait by the
     * deadline and fails the check below. */
    for (int waited = 0; atomic_load(&most_inside) < 2 && waited < 10000; waited++) {
        nanosleep(&(struct timespec){0, 1000 * 1000}, NULL);
    }
    atomic_fetch_sub(&inside, 1);
    return tgm_codec_output_write(out, src, n);
}

static void test_callback_threads(void) {
    tgm_codec_def d = TGM_CODEC_DEF_INIT;
    d.name = "busy";
    d.id = 222;
    d.encode = busy_encode;
    d.decode = bad_decode; /* copies */
    TT_ASSERT(tgm_register_codec(&d) == TGM_ERROR_OK);
    enum { NOBJ = 4, LEN = 32768 };
    static uint8_t data[LEN];
    fill(data, LEN, 2);
    char obj[256], meta[1200] = "{\"descriptors\":[";
    snprintf(obj, sizeof obj,
             "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[%d],\"strides\":[1],"
             "\"dtype\":\"uint8\",\"encoding\":\"none\",\"filter\":\"none\","
             "\"compression\":\"busy\"}",
             LEN);
    for (int i = 0; i < NOBJ; i++) {
        strcat(meta, obj);
        strcat(meta, i + 1 < NOBJ ? "," : "]}");
    }
    const uint8_t *ptrs[NOBJ] = {data, data, data, data};
    size_t lens[NOBJ] = {LEN, LEN, LEN, LEN};
    caller = pthread_self();
    tgm_bytes_t msg;
    TT_ASSERT(tgm_encode(meta, ptrs, lens, NOBJ, "xxh3", NOBJ, &msg) == TGM_ERROR_OK);
    /* Objects were encoded in parallel: callbacks on worker threads, at
     * the same time. */
    TT_CHECK_EQ_INT(atomic_load(&off_caller), 1);
    TT_CHECK(atomic_load(&most_inside) >= 2);
    TT_CHECK(decodes_to(&msg, data, LEN, NOBJ));
    tgm_bytes_free(msg);
    TT_CHECK_ERR(tgm_unregister_codec("busy"), TGM_ERROR_OK);
}

#define WORKERS 4
#define CHURNERS 2
#define ROUNDS 60

static atomic_int worker_errors;
static atomic_int churn_ok, churn_gone;
static atomic_int churn_releases[CHURNERS];

static void churn_release(void *user) { atomic_fetch_add((atomic_int *)user, 1); }

/* Registers and unregisters its own codec ("churnK", id 240 + K) in a
 * loop, with list / lookup in between. */
static void *churner(void *arg) {
    int k = (int)(intptr_t)arg;
    char name[16];
    snprintf(name, sizeof name, "churn%d", k);
    for (int i = 0; i < ROUNDS * 4; i++) {
        tgm_codec_def d = rle_def();
        d.name = name;
        d.id = 240u + (uint32_t)k;
        d.user = &churn_releases[k];
        d.release = churn_release;
        if (tgm_register_codec(&d) != TGM_ERROR_OK) {
            atomic_fetch_add(&worker_errors, 1);
        }
        /* Stay registered for a moment, so that workers find it sometimes. */
        nanosleep(&(struct timespec){0, 300 * 1000}, NULL);
        tgm_codec_info list[96];
        size_t n = tgm_codec_list(list, 96);
        if (n < 2 || n > 2 + CHURNERS) { /* xor8 and rle8 are always there */
            atomic_fetch_add(&worker_errors, 1);
        }
        if (tgm_unregister_codec(name) != TGM_ERROR_OK) {
            atomic_fetch_add(&worker_errors, 1);
        }
        nanosleep(&(struct timespec){0, 200 * 1000}, NULL);
    }
    return NULL;
}

/* Encodes and decodes with the stable codecs (must always work) and with
 * a churning one (works, or fails cleanly as not registered). */
static void *worker(void *arg) {
    int w = (int)(intptr_t)arg;
    static _Thread_local uint8_t data[40000]; /* 2 x 40 KB: objects run in parallel */
    fill(data, sizeof data, (unsigned)w);
    for (int i = 0; i < ROUNDS; i++) {
        const char *codec = (i % 3 == 0) ? "xor8" : (i % 3 == 1) ? "rle8" : NULL;
        char churn[16];
        if (codec == NULL) {
            snprintf(churn, sizeof churn, "churn%d", i % CHURNERS);
            codec = churn;
        }
        char meta[1024];
        snprintf(meta, sizeof meta,
                 "{\"descriptors\":["
                 "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[40000],\"strides\":[1],"
                 "\"dtype\":\"uint8\",\"encoding\":\"none\",\"filter\":\"none\","
                 "\"compression\":\"%s\"},"
                 "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[20000],\"strides\":[1],"
                 "\"dtype\":\"uint16\",\"encoding\":\"none\",\"filter\":\"none\","
                 "\"compression\":\"%s\"}]}",
                 codec, (i % 2) ? "xor8" : codec);
        const uint8_t *ptrs[2] = {data, data};
        size_t lens[2] = {sizeof data, sizeof data};
        tgm_bytes_t msg;
        tgm_error e = tgm_encode(meta, ptrs, lens, 2, "xxh3", 2, &msg);
        int churning = codec == churn;
        if (e != TGM_ERROR_OK) {
            if (!churning || !contains(tgm_last_error(), "is not registered")) {
                fprintf(stderr, "worker %d: %s\n", w, tgm_last_error());
                atomic_fetch_add(&worker_errors, 1);
            } else {
                atomic_fetch_add(&churn_gone, 1);
            }
            continue;
        }
        tgm_message_t *m = NULL;
        e = tgm_decode(msg.data, msg.len, 1, 2, 1, &m);
        if (e == TGM_ERROR_OK) {
            for (size_t j = 0; j < 2; j++) {
                size_t n = 0;
                const uint8_t *o = tgm_object_data(m, j, &n);
                if (n != sizeof data || memcmp(o, data, n) != 0) {
                    atomic_fetch_add(&worker_errors, 1);
                }
            }
            tgm_message_free(m);
            atomic_fetch_add(&churn_ok, churning);
        } else if (!churning || !contains(tgm_last_error(), "not registered")) {
            fprintf(stderr, "worker %d decode: %s\n", w, tgm_last_error());
            atomic_fetch_add(&worker_errors, 1);
        }
        tgm_bytes_free(msg);
    }
    return NULL;
}

static void test_zero_byte_output(void) {
    tgm_codec_def d = TGM_CODEC_DEF_INIT;
    d.name = "zw";
    d.id = 230;
    d.encode = zw_encode;
    d.decode = zw_decode;
    TT_ASSERT(tgm_register_codec(&d) == TGM_ERROR_OK);
    uint8_t data[40];
    fill(data, sizeof data, 5);
    tgm_bytes_t msg;
    TT_CHECK_ERR(encode1(meta1("uint8", 40, "none", "zw", NULL), data, 40, 1, &msg), TGM_ERROR_OK);
    if (msg.data != NULL) {
        TT_CHECK(decodes_to(&msg, data, 40, 1));
        tgm_bytes_free(msg);
    }
    TT_CHECK_ERR(encode1(meta1("uint8", 0, "none", "zw", NULL), data, 0, 1, &msg), TGM_ERROR_OK);
    if (msg.data != NULL) {
        TT_CHECK(decodes_to(&msg, data, 0, 1));
        tgm_bytes_free(msg);
    }
    TT_CHECK_ERR(tgm_unregister_codec("zw"), TGM_ERROR_OK);
}

static void test_threads(void) {
    tgm_codec_def d = xor_def(), r = rle_def();
    TT_ASSERT(tgm_register_codec(&d) == TGM_ERROR_OK);
    TT_ASSERT(tgm_register_codec(&r) == TGM_ERROR_OK);
    pthread_t t[WORKERS + CHURNERS];
    for (int i = 0; i < CHURNERS; i++) {
        TT_ASSERT(pthread_create(&t[i], NULL, churner, (void *)(intptr_t)i) == 0);
    }
    for (int i = 0; i < WORKERS; i++) {
        TT_ASSERT(pthread_create(&t[CHURNERS + i], NULL, worker, (void *)(intptr_t)i) == 0);
    }
    for (int i = 0; i < WORKERS + CHURNERS; i++) {
        pthread_join(t[i], NULL);
    }
    TT_CHECK_EQ_INT(atomic_load(&worker_errors), 0);
    /* Every registration of a churning codec was released exactly once. */
    for (int k = 0; k < CHURNERS; k++) {
        TT_CHECK_EQ_INT(atomic_load(&churn_releases[k]), ROUNDS * 4);
    }
    printf("threads: %d churning-codec round trips succeeded, %d found it unregistered\n",
           atomic_load(&churn_ok), atomic_load(&churn_gone));
    TT_CHECK_EQ_INT(tgm_codec_list(NULL, 0), 2);
    TT_CHECK_ERR(tgm_unregister_codec("xor8"), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_unregister_codec("rle8"), TGM_ERROR_OK);
}

/* ---- allocation failures (builds with -DTGM_ALLOC_INJECTION=ON) ------------------ */

/* Register, encode with both codecs (the growable output included),
 * decode, unregister.  0 when every step succeeded with the right bytes. */
static int alloc_run(const uint8_t *data, size_t len) {
    tgm_codec_def d = xor_def(), r = rle_def();
    int bad = 0;
    if (tgm_register_codec(&d) != TGM_ERROR_OK) {
        return 1;
    }
    if (tgm_register_codec(&r) != TGM_ERROR_OK) {
        bad = 1;
    } else {
        const char *meta = "{\"descriptors\":["
                           "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[3000],\"strides\":[1],"
                           "\"dtype\":\"uint8\",\"encoding\":\"none\",\"filter\":\"none\","
                           "\"compression\":\"rle8\"},"
                           "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[3000],\"strides\":[1],"
                           "\"dtype\":\"uint8\",\"encoding\":\"none\",\"filter\":\"none\","
                           "\"compression\":\"xor8\"}]}";
        const uint8_t *ptrs[2] = {data, data};
        size_t lens[2] = {len, len};
        tgm_bytes_t msg = {NULL, 0};
        tgm_error e = tgm_encode(meta, ptrs, lens, 2, "xxh3", 1, &msg);
        if (e != TGM_ERROR_OK) {
            bad = tgm_last_error() == NULL ? 2 : 1; /* 2: a failure without a detail */
        } else {
            tgm_message_t *m = NULL;
            e = tgm_decode(msg.data, msg.len, 1, 1, 1, &m);
            if (e != TGM_ERROR_OK) {
                bad = tgm_last_error() == NULL ? 2 : 1;
            } else {
                for (size_t i = 0; i < 2; i++) {
                    size_t n = 0;
                    const uint8_t *o = tgm_object_data(m, i, &n);
                    if (n != len || memcmp(o, data, len) != 0) {
                        bad = 3; /* wrong bytes: never acceptable */
                    }
                }
                tgm_message_free(m);
            }
            tgm_bytes_free(msg);
        }
        tgm_unregister_codec("rle8");
    }
    tgm_unregister_codec("xor8");
    return bad;
}

static void test_alloc_failures(void) {
    if (!tgm__alloc_injection_enabled()) {
        printf("allocation-failure injection not built in: skipped\n");
        return;
    }
    uint8_t data[3000];
    fill(data, sizeof data, 5);
    tgm__alloc_fail_after(0, 0);
    TT_ASSERT(alloc_run(data, sizeof data) == 0);
    uint64_t total = tgm__alloc_count();
    TT_ASSERT(total > 0);
    for (uint64_t n = 1; n <= total; n++) {
        for (int sticky = 0; sticky < 2; sticky++) {
            tgm__alloc_fail_after(n, sticky);
            int r = alloc_run(data, sizeof data);
            tgm__alloc_fail_after(0, 0);
            TT_CHECK(r == 0 || r == 1);
            TT_CHECK_EQ_INT(tgm_codec_list(NULL, 0), 0); /* nothing left behind */
        }
    }
    TT_CHECK_EQ_INT(atomic_load(&xs.releases) > 0, 1);
}

int main(void) {
    TT_RUN(test_register_lookup_list);
    TT_RUN(test_conflicts);
    TT_RUN(test_reserved_and_ranges);
    TT_RUN(test_compression_names);
    TT_RUN(test_misuse);
    TT_RUN(test_roundtrip);
    TT_RUN(test_range);
    TT_RUN(test_validate_hook);
    TT_RUN(test_unregistered_on_decode);
    TT_RUN(test_misbehaving);
    TT_RUN(test_unregister_in_flight);
    TT_RUN(test_reentrant_callback);
    TT_RUN(test_callback_threads);
    TT_RUN(test_zero_byte_output);
    TT_RUN(test_threads);
    TT_RUN(test_alloc_failures);
    return tt_finish("codec_registry");
}
