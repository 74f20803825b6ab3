/* tgm_doctor_to_json: the environment report of docs cli/doctor, in the
 * reference's JSON shape ({"build", "features", "self_test"}) with this
 * library's facts: its version, the codecs compiled in and the versions of
 * the C libraries behind them, and encode/decode round trips through the
 * public API. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "common/alloc.h"
#include "json/json.h"

#ifdef TGM_HAVE_ZSTD
#include <zstd.h>
#endif
#ifdef TGM_HAVE_LZ4
#include <lz4.h>
#endif
#ifdef TGM_HAVE_ZFP
#include "codecs/zfp.h"
#endif
#ifdef TGM_HAVE_BLOSC2
#include <zlib.h>
#endif

#define BUILTIN_BACKEND "tensogram-c (built-in)"

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
#ifdef TGM_HAVE_BLOSC2
    /* blosc2 is implemented here; its zlib inner codec comes from zlib. */
    char blosc2_backend[96];
    snprintf(blosc2_backend, sizeof blosc2_backend, "tensogram-c (built-in, zlib %s)",
             zlibVersion());
#endif
#ifdef TGM_HAVE_ZFP
    /* zfp is implemented here; the kernels follow the CPU. */
    char zfp_backend[96];
    snprintf(zfp_backend, sizeof zfp_backend, "tensogram-c (built-in, %s kernels)",
             tgm__zfp_kernels()->name);
#endif
    const feature rows[] = {
#ifdef TGM_HAVE_SZIP
        {"szip", "compression", BUILTIN_BACKEND, TGM_VERSION_STRING},
#else
        {"szip", "compression", NULL, NULL},
#endif
        {"szip-pure", "compression", NULL, NULL},
#ifdef TGM_HAVE_ZSTD
        {"zstd", "compression", "libzstd", ZSTD_versionString()},
#else
        {"zstd", "compression", NULL, NULL},
#endif
        {"zstd-pure", "compression", NULL, NULL},
#ifdef TGM_HAVE_LZ4
        {"lz4", "compression", "liblz4", LZ4_versionString()},
#else
        {"lz4", "compression", NULL, NULL},
#endif
#ifdef TGM_HAVE_BLOSC2
        {"blosc2", "compression", blosc2_backend, TGM_VERSION_STRING},
#else
        {"blosc2", "compression", NULL, NULL},
#endif
#ifdef TGM_HAVE_ZFP
        {"zfp", "compression", zfp_backend, TGM_VERSION_STRING},
#else
        {"zfp", "compression", NULL, NULL},
#endif
        {"sz3", "compression", NULL, NULL},
        {"threads", "threading", "pthreads", NULL},
        {"remote", "io", NULL, NULL},
        {"mmap", "io", "POSIX mmap", NULL},
        {"async", "io", NULL, NULL},
    };
    TGM_TRY(put(b, "\"features\":["));
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        TGM_TRY(put_feature(b, &rows[i], i == 0));
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

#ifdef TGM_HAVE_SZIP
static const char *st_szip(char *why, size_t cap) {
    double v[16];
    char json[640];
    for (size_t i = 0; i < 16; i++) {
        v[i] = (double)i * 1.5;
    }
    meta_json(json, sizeof json, "", 16, "float64", "simple_packing", "none", "szip",
              ",\"sp_bits_per_value\":24,\"szip_rsi\":128,\"szip_block_size\":16,"
              "\"szip_flags\":8");
    uint8_t *dec = NULL;
    size_t n = 0;
    const char *r = round_trip(json, v, sizeof v, NULL, 0, &dec, &n, why, cap);
    if (r == NULL && n != sizeof v) {
        snprintf(why, cap, "decoded length %zu != expected %zu", n, sizeof v);
        r = why;
    }
    tgm__free(dec);
    return r;
}
#endif

#ifdef TGM_HAVE_ZSTD
static const char *st_zstd(char *why, size_t cap) {
    float v[16];
    char json[512];
    f32_data(v, 16, 1.5f);
    meta_json(json, sizeof json, "", 16, "float32", "none", "shuffle", "zstd",
              ",\"shuffle_element_size\":4");
    return lossless(json, v, sizeof v, NULL, 0, why, cap);
}
#endif

#ifdef TGM_HAVE_LZ4
static const char *st_lz4(char *why, size_t cap) {
    float v[16];
    char json[512];
    f32_data(v, 16, 1.5f);
    meta_json(json, sizeof json, "", 16, "float32", "none", "none", "lz4", "");
    return lossless(json, v, sizeof v, NULL, 0, why, cap);
}
#endif

#ifdef TGM_HAVE_BLOSC2
static const char *st_blosc2(char *why, size_t cap) {
    float v[16];
    char json[512];
    f32_data(v, 16, 1.5f);
    meta_json(json, sizeof json, "", 16, "float32", "none", "none", "blosc2", "");
    return lossless(json, v, sizeof v, NULL, 0, why, cap);
}
#endif

#ifdef TGM_HAVE_ZFP
/* zfp compresses float64 values in this library (the reference also feeds
 * it float32 bytes); the test uses float64 and checks the decoded size. */
static const char *st_zfp(char *why, size_t cap) {
    double v[16];
    char json[640];
    for (size_t i = 0; i < 16; i++) {
        v[i] = (double)i * 1.5;
    }
    meta_json(json, sizeof json, "", 16, "float64", "none", "none", "zfp",
              ",\"zfp_mode\":\"fixed_rate\",\"zfp_rate\":16.0");
    uint8_t *dec = NULL;
    size_t n = 0;
    const char *r = round_trip(json, v, sizeof v, NULL, 0, &dec, &n, why, cap);
    if (r == NULL && n != sizeof v) {
        snprintf(why, cap, "decoded payload %zu bytes does not match 16 values x 8 bytes", n);
        r = why;
    }
    tgm__free(dec);
    return r;
}
#endif

typedef struct self_test {
    const char *label;
    self_test_fn fn;     /* NULL: skipped */
    const char *feature; /* for the skip reason */
} self_test;

static tgm_error put_self_tests(tgm_buf *b) {
    const self_test tests[] = {
        {"encode/decode  none/none/none", st_none, NULL},
        {"decode_metadata round-trip", st_metadata, NULL},
        {"scan multi-message buffer", st_scan, NULL},
        {"hash xxh3 verify", st_hash, NULL},
#ifdef TGM_HAVE_SZIP
        {"pipeline       simple_packing+szip", st_szip, "szip"},
#else
        {"pipeline       simple_packing+szip", NULL, "szip"},
#endif
#ifdef TGM_HAVE_ZSTD
        {"pipeline       shuffle+zstd", st_zstd, "zstd"},
#else
        {"pipeline       shuffle+zstd", NULL, "zstd"},
#endif
#ifdef TGM_HAVE_LZ4
        {"pipeline       lz4", st_lz4, "lz4"},
#else
        {"pipeline       lz4", NULL, "lz4"},
#endif
#ifdef TGM_HAVE_BLOSC2
        {"pipeline       blosc2", st_blosc2, "blosc2"},
#else
        {"pipeline       blosc2", NULL, "blosc2"},
#endif
#ifdef TGM_HAVE_ZFP
        {"pipeline       zfp (fixed-rate)", st_zfp, "zfp"},
#else
        {"pipeline       zfp (fixed-rate)", NULL, "zfp"},
#endif
        {"pipeline       sz3 (absolute error)", NULL, "sz3"},
    };
    TGM_TRY(put(b, "\"self_test\":["));
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        TGM_TRY(put(b, i ? ",{\"label\":" : "{\"label\":"));
        TGM_TRY(put_str(b, tests[i].label));
        if (tests[i].fn == NULL) {
            char reason[64];
            snprintf(reason, sizeof reason, "feature '%s' not built in", tests[i].feature);
            TGM_TRY(put(b, ",\"outcome\":\"skipped\",\"reason\":"));
            TGM_TRY(put_str(b, reason));
        } else {
            char why[1024];
            const char *failure = tests[i].fn(why, sizeof why);
            tgm__clear_error();
            /* Running out of memory says nothing about the build: the
             * report cannot be made (every library failure for lack of
             * memory reads "out of memory ..."). */
            if (failure != NULL && strstr(failure, "out of memory") != NULL) {
                return tgm__fail(TGM_ERROR_ENCODING, "self-test \"%s\": %s", tests[i].label,
                                 failure);
            }
            if (failure == NULL) {
                TGM_TRY(put(b, ",\"outcome\":\"ok\""));
            } else {
                TGM_TRY(put(b, ",\"outcome\":\"failed\",\"error\":"));
                TGM_TRY(put_str(b, failure));
            }
        }
        TGM_TRY(put(b, "}"));
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
