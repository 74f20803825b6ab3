/* tgm_doctor_to_json: the shape the reference documents (docs cli/doctor,
 * python/tests/test_doctor.py: three sections; build fields; feature rows
 * with name/kind/state and, when on, backend/linkage/version; self-test
 * rows with label/outcome), this build's facts, and idempotence. */
#include "tt.h"

#include "tensogram/tensogram.h"
#include "json/json.h"
#ifdef TGM_HAVE_ZFP
#include "codecs/zfp.h"
#endif

#ifdef TGM_HAVE_ZSTD
#include <zstd.h>
#endif
#ifdef TGM_HAVE_LZ4
#include <lz4.h>
#endif

static const tgm_val *get(const tgm_val *m, const char *k) { return tgm__val_map_get(m, k); }

static bool is_text(const tgm_val *v) { return v != NULL && v->kind == TGM_V_TEXT; }

static const tgm_val *row(const tgm_val *arr, const char *key, const char *name) {
    for (size_t i = 0; i < arr->len; i++) {
        if (tgm__val_is_text(get(&arr->p.items[i], key), name)) {
            return &arr->p.items[i];
        }
    }
    return NULL;
}

static void check_on(const tgm_val *features, const char *name, const char *backend,
                     const char *version) {
    const tgm_val *f = row(features, "name", name);
    TT_ASSERT(f != NULL);
    TT_CHECK(tgm__val_is_text(get(f, "state"), "on"));
    TT_CHECK(tgm__val_is_text(get(f, "backend"), backend));
    TT_CHECK(tgm__val_is_text(get(f, "linkage"), "ffi"));
    if (version != NULL) {
        TT_CHECK(tgm__val_is_text(get(f, "version"), version));
    }
}

static void check_off(const tgm_val *features, const char *name) {
    const tgm_val *f = row(features, "name", name);
    TT_ASSERT(f != NULL);
    TT_CHECK(tgm__val_is_text(get(f, "state"), "off"));
}

static void test_doctor(void) {
    tgm_bytes_t a, b;
    TT_ASSERT(tgm_doctor_to_json(&a) == TGM_ERROR_OK);
    TT_ASSERT(tgm_doctor_to_json(&b) == TGM_ERROR_OK);
    /* idempotent, byte for byte (no timings, no addresses) */
    TT_CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
    /* serde field order: build first, its version first */
    TT_CHECK(a.len > 22 && memcmp(a.data, "{\"build\":{\"version\":\"", 21) == 0);

    tgm_arena arena = TGM_ARENA_INIT;
    tgm_val *root = NULL;
    TT_ASSERT(tgm__json_parse((const char *)a.data, a.len, &arena, &root) == TGM_ERROR_OK);
    TT_ASSERT(root->kind == TGM_V_MAP && root->len == 3);
    const tgm_val *build = get(root, "build");
    const tgm_val *features = get(root, "features");
    const tgm_val *tests = get(root, "self_test");
    TT_ASSERT(build != NULL && features != NULL && tests != NULL);

    TT_CHECK(tgm__val_is_text(get(build, "version"), tgm_version_string()));
    const tgm_val *wv = get(build, "wire_version");
    TT_CHECK(wv != NULL && wv->kind == TGM_V_INT && wv->num.u == TGM_WIRE_VERSION);
    TT_CHECK(is_text(get(build, "target")) && get(build, "target")->len > 0);
    TT_CHECK(tgm__val_is_text(get(build, "profile"), "release") ||
             tgm__val_is_text(get(build, "profile"), "debug"));
    TT_CHECK(tgm__val_is_text(get(build, "library"), "tensogram-c"));
    TT_CHECK(is_text(get(build, "compiler")));

    /* Every row: name, kind in the reference's set, state; off rows have
     * exactly those three keys, on rows a backend and "ffi" linkage. */
    static const char *const order[] = {"szip",    "szip-pure", "zstd", "zstd-pure",
                                        "lz4",     "blosc2",    "zfp",  "sz3",
                                        "threads", "remote",    "mmap", "async"};
    TT_ASSERT(features->kind == TGM_V_ARRAY && features->len == 12);
    for (size_t i = 0; i < features->len; i++) {
        const tgm_val *f = &features->p.items[i];
        TT_CHECK(tgm__val_is_text(get(f, "name"), order[i]));
        const tgm_val *kind = get(f, "kind");
        TT_CHECK(tgm__val_is_text(kind, "compression") || tgm__val_is_text(kind, "threading") ||
                 tgm__val_is_text(kind, "io") || tgm__val_is_text(kind, "converter"));
        const tgm_val *state = get(f, "state");
        if (tgm__val_is_text(state, "off")) {
            TT_CHECK(f->len == 3);
        } else {
            TT_CHECK(tgm__val_is_text(state, "on"));
            TT_CHECK(f->len == 6 && is_text(get(f, "backend")) && get(f, "backend")->len > 0);
            TT_CHECK(tgm__val_is_text(get(f, "linkage"), "ffi"));
            const tgm_val *v = get(f, "version");
            TT_CHECK(v != NULL && (v->kind == TGM_V_TEXT || v->kind == TGM_V_NULL));
        }
    }
#ifdef TGM_HAVE_SZ3
    check_on(features, "sz3", "tensogram-c (built-in, SZ3 3.3.2 streams)", tgm_version_string());
#else
    check_off(features, "sz3");
#endif
    check_off(features, "szip-pure");
    check_off(features, "zstd-pure");
#ifdef TGM_HAVE_ZSTD
    check_on(features, "zstd", "libzstd", ZSTD_versionString());
#else
    check_off(features, "zstd");
#endif
#ifdef TGM_HAVE_LZ4
    check_on(features, "lz4", "liblz4", LZ4_versionString());
#else
    check_off(features, "lz4");
#endif
#ifdef TGM_HAVE_SZIP
    check_on(features, "szip", "tensogram-c (built-in)", tgm_version_string());
#endif
#ifdef TGM_HAVE_ZFP
    {
        char backend[96];
        snprintf(backend, sizeof backend, "tensogram-c (built-in, %s kernels)",
                 tgm__zfp_kernels()->name);
        check_on(features, "zfp", backend, tgm_version_string());
    }
#endif
    check_on(features, "threads", "pthreads", NULL);

    /* Self-tests: the reference's labels; every built-in codec passes. */
    static const char *const labels[] = {"encode/decode  none/none/none",
                                         "decode_metadata round-trip",
                                         "scan multi-message buffer",
                                         "hash xxh3 verify",
                                         "pipeline       simple_packing+szip",
                                         "pipeline       shuffle+zstd",
                                         "pipeline       lz4",
                                         "pipeline       blosc2",
                                         "pipeline       zfp (fixed-rate)",
                                         "pipeline       sz3 (absolute error)"};
    TT_ASSERT(tests->kind == TGM_V_ARRAY && tests->len == 10);
    for (size_t i = 0; i < tests->len; i++) {
        const tgm_val *t = &tests->p.items[i];
        TT_CHECK(tgm__val_is_text(get(t, "label"), labels[i]));
        const tgm_val *o = get(t, "outcome");
        if (tgm__val_is_text(o, "skipped")) {
            TT_CHECK(t->len == 3 && is_text(get(t, "reason")));
        } else {
            TT_CHECK(tgm__val_is_text(o, "ok") && t->len == 2);
            if (!tgm__val_is_text(o, "ok")) {
                fprintf(stderr, "  self-test %s failed: %s\n", labels[i],
                        is_text(get(t, "error")) ? get(t, "error")->p.str : "?");
            }
        }
    }
    const tgm_val *sz3 = row(tests, "label", "pipeline       sz3 (absolute error)");
#ifdef TGM_HAVE_SZ3
    TT_CHECK(sz3 != NULL && tgm__val_is_text(get(sz3, "outcome"), "ok"));
#else
    TT_CHECK(sz3 != NULL && tgm__val_is_text(get(sz3, "outcome"), "skipped") &&
             tgm__val_is_text(get(sz3, "reason"), "feature 'sz3' not built in"));
#endif
    TT_CHECK(tgm__val_is_text(get(row(tests, "label", "encode/decode  none/none/none"), "outcome"),
                              "ok"));

    tgm__arena_free(&arena);
    tgm_bytes_free(a);
    tgm_bytes_free(b);
    TT_CHECK_ERR(tgm_doctor_to_json(NULL), TGM_ERROR_INVALID_ARG);
}

int main(void) {
    TT_RUN(test_doctor);
    return tt_finish("test_doctor");
}
