/* tgm_doctor_to_json: the environment report of docs cli/doctor, in the
 * reference's JSON shape ({"build", "features", "self_test"}) with this
 * library's facts: its version, the codecs compiled in and the versions of
 * the C libraries behind them, and encode/decode round trips through the
 * public API. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "codecs/codec.h"
#include "common/alloc.h"
#include "json/json.h"

/* ---- build facts ---------------------------------------------------------- */

/* Rust-style target triple of this build, from the compiler's macros. */
#if defined(__x86_64__) || defined(_M_X64)
#define TGM_ARCH "x86_64"
#elif defined(__aarch64__) || defined(_M_ARM64)
#define TGM_ARCH "aarch64"
#elif defined(__i386__) || defined(_M_IX86)
#define TGM_ARCH "i686"
#elif defined(__arm__)
#define TGM_ARCH "arm"
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
#define TGM_ARCH "powerpc64le"
#elif defined(__powerpc64__)
#define TGM_ARCH "powerpc64"
#elif defined(__riscv) && __riscv_xlen == 64
#define TGM_ARCH "riscv64gc"
#elif defined(__s390x__)
#define TGM_ARCH "s390x"
#else
#define TGM_ARCH "unknown"
#endif

#if defined(__APPLE__)
#define TGM_OS "apple-darwin"
#elif defined(__ANDROID__)
#define TGM_OS "linux-android"
#elif defined(__linux__) && defined(__GLIBC__)
#define TGM_OS "unknown-linux-gnu"
#elif defined(__linux__)
#define TGM_OS "unknown-linux-musl"
#elif defined(__FreeBSD__)
#define TGM_OS "unknown-freebsd"
#elif defined(_WIN32) && defined(__MINGW32__)
#define TGM_OS "pc-windows-gnu"
#elif defined(_WIN32)
#define TGM_OS "pc-windows-msvc"
#else
#define TGM_OS "unknown-unknown"
#endif

#if defined(__clang__)
#define TGM_COMPILER "clang " __clang_version__
#elif defined(__GNUC__)
#define TGM_COMPILER "gcc " __VERSION__
#else
#define TGM_COMPILER "unknown"
#endif

#ifdef NDEBUG
#define TGM_PROFILE "release"
#else
#define TGM_PROFILE "debug"
#endif

/* ---- JSON helpers ------------------------------------------------------------ */

static tgm_error put(tgm_buf *b, const char *s) { return tgm__buf_append(b, s, strlen(s)); }

/* A JSON string (serde_json escaping), or null for NULL. */
static tgm_error put_str(tgm_buf *b, const char *s) {
    if (s == NULL) {
        return put(b, "null");
    }
    tgm_val v;
    memset(&v, 0, sizeof v);
    v.kind = TGM_V_TEXT;
    v.len = strlen(s);
    v.p.str = s;
    return tgm__json_write(&v, TGM_JSON_COMPACT, b);
}

/* ---- features ------------------------------------------------------------------ */

typedef struct feature {
    const char *name;
    const char *kind;    /* compression, threading, io, converter */
    const char *backend; /* NULL: not compiled in */
    const char *version; /* may be NULL (JSON null) */
} feature;

static tgm_error put_feature(tgm_buf *b, const feature *f, bool first) {
    TGM_TRY(put(b, first ? "{\"name\":" : ",{\"name\":"));
    TGM_TRY(put_str(b, f->name));
    TGM_TRY(put(b, ",\"kind\":"));
    TGM_TRY(put_str(b, f->kind));
    if (f->backend == NULL) {
        return put(b, ",\"state\":\"off\"}");
    }
    TGM_TRY(put(b, ",\"state\":\"on\",\"backend\":"));
    TGM_TRY(put_str(b, f->backend));
    /* Every backend is C code called natively, which the reference's
     * vocabulary calls "ffi" (the other value is "pure-rust"). */
    TGM_TRY(put(b, ",\"linkage\":\"ffi\",\"version\":"));
    TGM_TRY(put_str(b, f->version));
    return put(b, "}");
}

static tgm_error put_features(tgm_buf *b) {
    TGM_TRY(put(b, "\"features\":["));
    bool first = true;
    /* The codecs, as their table entries describe them (documentation
     * order), then the rest. */
    for (size_t i = 0; i < tgm__codec_count(); i++) {
        const tgm_codec *c = tgm__codec_at(i);
        if ((c->flags & TGM_CODEC_FEATURE) == 0) {
            continue;
        }
        char backend[96];
        feature f = {c->name, "compression", NULL, NULL};
        if (tgm__codec_built(c)) {
            f.backend = c->backend(backend, sizeof backend);
            f.version = c->version != NULL ? c->version() : NULL;
        }
        TGM_TRY(put_feature(b, &f, first));
        first = false;
        if (c->flags & TGM_CODEC_PURE_VARIANT) {
            char pure[64];
            snprintf(pure, sizeof pure, "%s-pure", c->name);
            feature off = {pure, "compression", NULL, NULL};
            TGM_TRY(put_feature(b, &off, false));
        }
    }
    const feature rows[] = {
        {"threads", "threading", "pthreads", NULL},
        {"remote", "io", NULL, NULL},
        {"mmap", "io", "POSIX mmap", NULL},
        {"async", "io", NULL, NULL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        TGM_TRY(put_feature(b, &rows[i], first));
        first = false;
    }
    return put(b, "]");
}

/* ---- self-tests ------------------------------------------------------------------- */

/* Outcome of one self-test: NULL on success, else the failure text
 * (static or in `why`). */
typedef const char *(*self_test_fn)(char *why, size_t cap);

static const char *api_error(char *why, size_t cap, const char *what) {
    const char *d = tgm_last_error();
    snprintf(why, cap, "%s: %s", what, d != NULL ? d : "unknown error");
    return why;
}

/* The metadata JSON of one 1-D object of n values. */
static void meta_json(char *out, size_t cap, const char *top, size_t n, const char *dtype,
                      const char *encoding, const char *filter, const char *compression,
                      const char *params) {
    snprintf(out, cap,
             "{%s\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[%zu],"
             "\"strides\":[1],\"dtype\":\"%s\",\"encoding\":\"%s\",\"filter\":\"%s\","
             "\"compression\":\"%s\"%s}]}",
             top, n, dtype, encoding, filter, compression, params);
}

/* Encode `data` with the given pipeline, decode it in native order and
 * hand back the decoded bytes (tgm__malloc'd) in *dec. */
static const char *round_trip(const char *json, const void *data, size_t len, const char *hash,
                              int verify, uint8_t **dec, size_t *dec_len, char *why, size_t cap) {
    const uint8_t *ptrs[1] = {data};
    size_t lens[1] = {len};
    tgm_bytes_t msg = {NULL, 0};
    if (tgm_encode(json, ptrs, lens, 1, hash, 0, &msg) != TGM_ERROR_OK) {
        return api_error(why, cap, "encode");
    }
    tgm_message_t *m = NULL;
    tgm_error e = tgm_decode(msg.data, msg.len, 1, 0, verify, &m);
    tgm_bytes_free(msg);
    if (e != TGM_ERROR_OK) {
        return api_error(why, cap, "decode");
    }
    size_t n = 0;
    const uint8_t *p = tgm_message_num_objects(m) == 1 ? tgm_object_data(m, 0, &n) : NULL;
    if (p == NULL) {
        tgm_message_free(m);
        return "decode produced no object from a 1-object encode";
    }
    *dec = tgm__malloc(n ? n : 1);
    if (*dec == NULL) {
        tgm_message_free(m);
        return "out of memory";
    }
    memcpy(*dec, p, n);
    *dec_len = n;
    tgm_message_free(m);
    return NULL;
}

/* Lossless round trip of `len` bytes: the decoded bytes must be the input. */
static const char *lossless(const char *json, const void *data, size_t len, const char *hash,
                            int verify, char *why, size_t cap) {
    uint8_t *dec = NULL;
    size_t n = 0;
    const char *r = round_trip(json, data, len, hash, verify, &dec, &n, why, cap);
    if (r == NULL && (n != len || memcmp(dec, data, len) != 0)) {
        snprintf(why, cap, "decoded data does not match input (%zu bytes in, %zu out)", len, n);
        r = why;
    }
    tgm__free(dec);
    return r;
}

static void f32_data(float *v, size_t n, float step) {
    for (size_t i = 0; i < n; i++) {
        v[i] = (float)i * step;
    }
}

static const char *st_none(char *why, size_t cap) {
    float v[16];
    char json[512];
    f32_data(v, 16, 0.5f);
    meta_json(json, sizeof json, "", 16, "float32", "none", "none", "none", "");
    return lossless(json, v, sizeof v, NULL, 0, why, cap);
}

static const char *st_metadata(char *why, size_t cap) {
    float v[4] = {1, 2, 3, 4};
    char json[512];
    meta_json(json, sizeof json, "\"param\":\"2t\",", 4, "float32", "none", "none", "none", "");
    const uint8_t *ptrs[1] = {(const uint8_t *)v};
    size_t lens[1] = {sizeof v};
    tgm_bytes_t msg = {NULL, 0};
    if (tgm_encode(json, ptrs, lens, 1, NULL, 0, &msg) != TGM_ERROR_OK) {
        return api_error(why, cap, "encode");
    }
    tgm_metadata_t *m = NULL;
    tgm_error e = tgm_decode_metadata(msg.data, msg.len, &m);
    tgm_bytes_free(msg);
    if (e != TGM_ERROR_OK) {
        return api_error(why, cap, "decode_metadata");
    }
    const char *p = tgm_metadata_get_string(m, "param");
    const char *r =
        (p != NULL && strcmp(p, "2t") == 0) ? NULL : "global metadata missing 'param' key";
    tgm_metadata_free(m);
    return r;
}

static const char *st_scan(char *why, size_t cap) {
    float v[4] = {0, 0, 0, 0};
    char json[512];
    meta_json(json, sizeof json, "", 4, "float32", "none", "none", "none", "");
    const uint8_t *ptrs[1] = {(const uint8_t *)v};
    size_t lens[1] = {sizeof v};
    tgm_buf all = TGM_BUF_INIT;
    const char *r = NULL;
    for (int i = 0; i < 3 && r == NULL; i++) {
        tgm_bytes_t msg = {NULL, 0};
        if (tgm_encode(json, ptrs, lens, 1, NULL, 0, &msg) != TGM_ERROR_OK) {
            r = api_error(why, cap, "encode");
        } else {
            if (tgm__buf_append(&all, msg.data, msg.len) != TGM_ERROR_OK) {
                r = "out of memory";
            }
            tgm_bytes_free(msg);
        }
    }
    tgm_scan_result_t *s = NULL;
    if (r == NULL && tgm_scan(all.data, all.len, &s) != TGM_ERROR_OK) {
        r = api_error(why, cap, "scan");
    }
    if (r == NULL && tgm_scan_count(s) != 3) {
        snprintf(why, cap, "expected 3 messages, got %zu", tgm_scan_count(s));
        r = why;
    }
    tgm_scan_free(s);
    tgm__buf_free(&all);
    return r;
}

static const char *st_hash(char *why, size_t cap) {
    float v[16];
    char json[512];
    f32_data(v, 16, 1.0f);
    meta_json(json, sizeof json, "", 16, "float32", "none", "none", "none", "");
    return lossless(json, v, sizeof v, "xxh3", 1, why, cap);
}

/* A codec's self-test case (its table entry's): lossless pipelines must
 * give the input back, lossy ones its size. */
static const char *st_codec(const tgm_codec *c, char *why, size_t cap) {
    const tgm_codec_selftest *t = c->selftest;
    bool f64 = strcmp(t->dtype, "float64") == 0;
    union {
        float f[16];
        double d[16];
    } v;
    for (size_t i = 0; i < 16; i++) {
        if (f64) {
            v.d[i] = (double)i * t->step;
        } else {
            v.f[i] = (float)i * (float)t->step;
        }
    }
    size_t len = f64 ? sizeof v.d : sizeof v.f;
    char json[768];
    meta_json(json, sizeof json, "", 16, t->dtype, t->encoding, t->filter, c->name, t->params);
    if (strcmp(t->encoding, "none") == 0 && (c->flags & TGM_CODEC_LOSSY) == 0) {
        return lossless(json, &v, len, NULL, 0, why, cap);
    }
    uint8_t *dec = NULL;
    size_t n = 0;
    const char *r = round_trip(json, &v, len, NULL, 0, &dec, &n, why, cap);
    if (r == NULL && n != len) {
        snprintf(why, cap, "decoded length %zu != expected %zu (16 values x %zu bytes)", n, len,
                 len / 16);
        r = why;
    }
    tgm__free(dec);
    return r;
}

typedef struct self_test {
    const char *label;
    self_test_fn fn; /* NULL: a codec's */
} self_test;

static tgm_error put_outcome(tgm_buf *b, const char *label, const char *failure, bool first) {
    TGM_TRY(put(b, first ? "{\"label\":" : ",{\"label\":"));
    TGM_TRY(put_str(b, label));
    /* Running out of memory says nothing about the build: the report
     * cannot be made (every library failure for lack of memory reads "out
     * of memory ..."). */
    if (failure != NULL && strstr(failure, "out of memory") != NULL) {
        return tgm__fail(TGM_ERROR_ENCODING, "self-test \"%s\": %s", label, failure);
    }
    if (failure == NULL) {
        TGM_TRY(put(b, ",\"outcome\":\"ok\""));
    } else {
        TGM_TRY(put(b, ",\"outcome\":\"failed\",\"error\":"));
        TGM_TRY(put_str(b, failure));
    }
    return put(b, "}");
}

static tgm_error put_self_tests(tgm_buf *b) {
    const self_test tests[] = {
        {"encode/decode  none/none/none", st_none},
        {"decode_metadata round-trip", st_metadata},
        {"scan multi-message buffer", st_scan},
        {"hash xxh3 verify", st_hash},
    };
    char why[1024];
    TGM_TRY(put(b, "\"self_test\":["));
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        const char *failure = tests[i].fn(why, sizeof why);
        tgm__clear_error();
        TGM_TRY(put_outcome(b, tests[i].label, failure, i == 0));
    }
    /* Then each codec's own case, in table order. */
    for (size_t i = 0; i < tgm__codec_count(); i++) {
        const tgm_codec *c = tgm__codec_at(i);
        if (c->selftest == NULL) {
            continue;
        }
        if (!tgm__codec_built(c)) {
            char reason[64];
            snprintf(reason, sizeof reason, "feature '%s' not built in", c->name);
            TGM_TRY(put(b, ",{\"label\":"));
            TGM_TRY(put_str(b, c->selftest->label));
            TGM_TRY(put(b, ",\"outcome\":\"skipped\",\"reason\":"));
            TGM_TRY(put_str(b, reason));
            TGM_TRY(put(b, "}"));
            continue;
        }
        const char *failure = st_codec(c, why, sizeof why);
        tgm__clear_error();
        TGM_TRY(put_outcome(b, c->selftest->label, failure, false));
    }
    return put(b, "]");
}

static tgm_error put_build(tgm_buf *b) {
    /* The reference's four fields first, then this library's own. */
    TGM_TRY(put(b, "\"build\":{\"version\":"));
    TGM_TRY(put_str(b, tgm_version_string()));
    char wire[32];
    snprintf(wire, sizeof wire, ",\"wire_version\":%d,\"target\":", TGM_WIRE_VERSION);
    TGM_TRY(put(b, wire));
    TGM_TRY(put_str(b, TGM_ARCH "-" TGM_OS));
    TGM_TRY(put(b, ",\"profile\":"));
    TGM_TRY(put_str(b, TGM_PROFILE));
    TGM_TRY(put(b, ",\"library\":\"tensogram-c\",\"compiler\":"));
    TGM_TRY(put_str(b, TGM_COMPILER));
    return put(b, "}");
}

tgm_error tgm_doctor_to_json(tgm_bytes_t *out) {
    tgm__clear_error();
    TGM_API_REQUIRE(out != NULL, "null out pointer");
    tgm_buf b = TGM_BUF_INIT;
    tgm_error err = TGM_ERROR_OK;
    TGM_CHECK(put(&b, "{"));
    TGM_CHECK(put_build(&b));
    TGM_CHECK(put(&b, ","));
    TGM_CHECK(put_features(&b));
    TGM_CHECK(put(&b, ","));
    TGM_CHECK(put_self_tests(&b));
    TGM_CHECK(put(&b, "}"));
    tgm__clear_error();
    tgm__api_bytes_from_buf(&b, out);
    return TGM_ERROR_OK;
cleanup:
    tgm__buf_free(&b);
    return err;
}
