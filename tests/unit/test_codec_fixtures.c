/* Every pipeline case the reference wrote (../shared/reference/codecs, and
 * the sz3 cases of ../shared/reference/sz3, laid out the same way):
 *  - decoding NAME.tgm gives exactly NAME.out.bin (lossy cases too: same
 *    algorithm, same bits), with hash verification;
 *  - encoding NAME.in.bin with the same descriptor and options gives a
 *    message that decodes to NAME.out.bin, and, with the reference's
 *    provenance, the very same bytes for every deterministic pipeline. */
#include "tt.h"

#include "cbor/value.h"
#include "common/arena.h"
#include "common/buf.h"
#include "tensogram/tensogram.h"
#include "json/json.h"

static const char *shared;
static const char *subdir = "codecs"; /* or "sz3": the same layout */

static unsigned char *load(const char *name, const char *ext, size_t *len) {
    char path[8192];
    snprintf(path, sizeof path, "%s/%s/%s%s", shared, subdir, name, ext);
    unsigned char *b = tt_read_file(path, len);
    if (b == NULL && *len == 0) {
        FILE *f = fopen(path, "rb");
        if (f != NULL) { /* empty file */
            fclose(f);
            return malloc(1);
        }
    }
    return b;
}

/* Cases whose reference bytes we must reproduce exactly. Codec library
 * versions differ for zstd / lz4 / blosc2, so their bytes are reported only. */
static int must_match_bytes(const char *name) {
    static const char *const prefixes[] = {"raw_",
                                           "bitmask_",
                                           "scalar_",
                                           "empty_",
                                           "sp",
                                           "i32_szip",
                                           "u16_szip",
                                           "mask_f32_rle",
                                           "mask_f32_roaring",
                                           "mask_f32_none",
                                           "mask_small_fallback",
                                           "mask_c128",
                                           "zfp_",
                                           "sz3_"};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0) {
            /* simple_packing through zstd/lz4 depends on the codec library */
            return strstr(name, "zstd") == NULL && strstr(name, "lz4") == NULL;
        }
    }
    return 0;
}

static int use_provenance_of(const uint8_t *msg, size_t len) {
    tgm_metadata_t *md = NULL;
    if (tgm_decode_metadata(msg, len, &md) != TGM_ERROR_OK) {
        return 0;
    }
    const char *json = tgm_metadata_to_json(md);
    const char *start = strstr(json, "\"_reserved_\":");
    int ok = 0;
    if (start != NULL) {
        start += strlen("\"_reserved_\":");
        int depth = 0;
        const char *p = start;
        do {
            depth += (*p == '{') - (*p == '}');
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

/* Full descriptor JSON (the manifest gives what the reference's Python
 * encoder was given: shape, dtype and pipeline keys). */
static char *descriptor_json(tgm_arena *a, const tgm_val *d) {
    const tgm_val *shape = tgm__val_map_get(d, "shape");
    size_t nd = shape->len;
    tgm_val *m = tgm__val_map(a, d->len + 8);
    size_t j = 0;
#define PUT_TEXT(k, v)                                                                             \
    do {                                                                                           \
        tgm__val_set_text(a, &m->p.items[2 * j], k, strlen(k));                                    \
        tgm__val_set_text(a, &m->p.items[2 * j + 1], v, strlen(v));                                \
        j++;                                                                                       \
    } while (0)
    PUT_TEXT("type", "ntensor");
    if (!tgm__val_map_get(d, "byte_order")) {
        PUT_TEXT("byte_order", "little");
    }
    if (!tgm__val_map_get(d, "encoding")) {
        PUT_TEXT("encoding", "none");
    }
    if (!tgm__val_map_get(d, "filter")) {
        PUT_TEXT("filter", "none");
    }
    if (!tgm__val_map_get(d, "compression")) {
        PUT_TEXT("compression", "none");
    }
    tgm__val_set_text(a, &m->p.items[2 * j], "ndim", 4);
    tgm__val_set_uint(&m->p.items[2 * j + 1], nd);
    j++;
    tgm_val *strides = tgm__val_array(a, nd);
    uint64_t s = 1;
    for (size_t i = nd; i-- > 0;) {
        tgm__val_set_uint(&strides->p.items[i], s);
        s *= shape->p.items[i].num.u;
    }
    tgm__val_set_text(a, &m->p.items[2 * j], "strides", 7);
    m->p.items[2 * j + 1] = *strides;
    j++;
    for (size_t i = 0; i < d->len; i++) {
        m->p.items[2 * j] = *tgm__val_map_key(d, i);
        m->p.items[2 * j + 1] = *tgm__val_map_value(d, i);
        j++;
    }
    m->len = j;
#undef PUT_TEXT
    tgm_buf b = TGM_BUF_INIT;
    tgm__json_write(m, TGM_JSON_COMPACT, &b);
    char *s2 = tgm__arena_strndup(a, (const char *)b.data, b.len);
    tgm__buf_free(&b);
    return s2;
}

static const char *opt_text(const tgm_val *opts, const char *k) {
    const tgm_val *v = tgm__val_map_get(opts, k);
    return (v && v->kind == TGM_V_TEXT) ? v->p.str : NULL;
}

static void run_case(tgm_arena *a, const tgm_val *c, int *identical, int *compared) {
    const char *name = tgm__val_map_get(c, "name")->p.str;
    const tgm_val *desc = tgm__val_map_get(c, "descriptor");
    const tgm_val *opts = tgm__val_map_get(c, "options");
    const tgm_val *err = tgm__val_map_get(c, "reference_encode_error");
    size_t in_len, out_len, tgm_len;
    unsigned char *in = load(name, ".in.bin", &in_len);
    unsigned char *expect = load(name, ".out.bin", &out_len);
    unsigned char *ref = load(name, ".tgm", &tgm_len);

    /* encode options */
    TgmEncodeMaskOptions mo;
    memset(&mo, 0, sizeof mo);
    mo.small_mask_threshold_bytes = -1;
    const tgm_val *v;
    if ((v = tgm__val_map_get(opts, "allow_nan")) != NULL) {
        mo.allow_nan = v->num.b;
    }
    if ((v = tgm__val_map_get(opts, "allow_inf")) != NULL) {
        mo.allow_inf = v->num.b;
    }
    mo.nan_mask_method = opt_text(opts, "nan_mask_method");
    mo.pos_inf_mask_method = opt_text(opts, "pos_inf_mask_method");
    mo.neg_inf_mask_method = opt_text(opts, "neg_inf_mask_method");
    uint32_t threads = 0;
    if ((v = tgm__val_map_get(opts, "threads")) != NULL) {
        threads = (uint32_t)v->num.u;
    }
    char *dj = descriptor_json(a, desc);
    char meta[16384];
    snprintf(meta, sizeof meta, "{\"base\":[{\"case\":\"%s\"}],\"descriptors\":[%s]}", name, dj);
    const uint8_t *ptrs[1] = {in};
    size_t lens[1] = {in_len};

    if (err != NULL) {
        /* The reference refused this input: so must we. */
        tgm_bytes_t out;
        tgm_error e = tgm_encode_with_options(meta, ptrs, lens, 1, "xxh3", threads, &mo, &out);
        if (e == TGM_ERROR_OK) {
            fprintf(stderr, "%s: reference refused (%s) but we encoded\n", name, err->p.str);
            tt_failures++;
            tgm_bytes_free(out);
        } else {
            tt_checks++;
        }
        free(in);
        free(expect);
        free(ref);
        return;
    }
    if (ref == NULL || expect == NULL || in == NULL) {
        fprintf(stderr, "%s: missing files\n", name);
        tt_failures++;
        return;
    }
    /* 1. the reference's message decodes to its output */
    tgm_message_t *m = NULL;
    tgm_error e = tgm_decode(ref, tgm_len, 1, 0, 1, &m);
#ifndef TGM_HAVE_SZ3
    if (strncmp(name, "sz3", 3) == 0) {
        /* A build without sz3: a clear error, never garbage. */
        TT_CHECK_ERR(e, TGM_ERROR_COMPRESSION);
        TT_CHECK(tgm_last_error() && strstr(tgm_last_error(), "sz3 is not built in") != NULL);
        free(in);
        free(expect);
        free(ref);
        return;
    }
#endif
    if (e != TGM_ERROR_OK) {
        fprintf(stderr, "%s: decode failed: %s\n", name, tgm_last_error());
        tt_failures++;
    } else {
        size_t n;
        const uint8_t *got = tgm_object_data(m, 0, &n);
        if (n != out_len || memcmp(got, expect, n) != 0) {
            fprintf(stderr, "%s: decoded bytes differ from .out.bin (%zu vs %zu bytes)\n", name, n,
                    out_len);
            tt_failures++;
        }
        tt_checks++;
        tgm_message_free(m);
    }

    /* 2. our encode of the same input */
    TT_ASSERT(use_provenance_of(ref, tgm_len));
    tgm_bytes_t mine = {NULL, 0};
    e = tgm_encode_with_options(meta, ptrs, lens, 1, "xxh3", threads, &mo, &mine);
    unsetenv("TENSOGRAM_PROVENANCE");
    if (e != TGM_ERROR_OK) {
        fprintf(stderr, "%s: encode failed: %s\n", name, tgm_last_error());
        tt_failures++;
    } else {
        m = NULL;
        if (tgm_decode(mine.data, mine.len, 1, 0, 1, &m) != TGM_ERROR_OK) {
            fprintf(stderr, "%s: our message does not decode: %s\n", name, tgm_last_error());
            tt_failures++;
        } else {
            size_t n;
            const uint8_t *got = tgm_object_data(m, 0, &n);
            if (n != out_len || memcmp(got, expect, n) != 0) {
                fprintf(stderr, "%s: our round trip differs from the reference's output\n", name);
                tt_failures++;
            }
            tt_checks++;
            tgm_message_free(m);
        }
        int same = mine.len == tgm_len && memcmp(mine.data, ref, tgm_len) == 0;
        (*compared)++;
        *identical += same;
        if (must_match_bytes(name)) {
            if (!same) {
                fprintf(stderr, "%s: message bytes differ from the reference's (%zu vs %zu)\n",
                        name, mine.len, tgm_len);
                tt_failures++;
            }
            tt_checks++;
        } else {
            printf("%s: bytes %s the reference's\n", name, same ? "identical to" : "differ from");
        }
        tgm_bytes_free(mine);
    }
    free(in);
    free(expect);
    free(ref);
}

static void run_manifest(const char *dir, size_t min_cases) {
    subdir = dir;
    char path[8192];
    snprintf(path, sizeof path, "%s/%s/MANIFEST.json", shared, dir);
    size_t len;
    unsigned char *text = tt_read_file(path, &len);
    TT_ASSERT(text != NULL);
    tgm_arena a = TGM_ARENA_INIT;
    tgm_val *root = NULL;
    TT_ASSERT(tgm__json_parse((const char *)text, len, &a, &root) == TGM_ERROR_OK);
    TT_ASSERT(root->kind == TGM_V_ARRAY && root->len >= min_cases);
    int identical = 0, compared = 0;
    for (size_t i = 0; i < root->len; i++) {
        run_case(&a, &root->p.items[i], &identical, &compared);
    }
    printf("%s fixtures: %zu cases, %d of %d re-encoded messages byte-identical\n", dir, root->len,
           identical, compared);
    tgm__arena_free(&a);
    free(text);
}

static void test_manifest(void) { run_manifest("codecs", 61); }

/* The 35 sz3 messages (../shared/reference/sz3, the codecs layout): decoded
 * bit for bit through tgm_decode, re-encoded byte for byte. */
static void test_sz3_manifest(void) { run_manifest("sz3", 35); }

int main(void) {
    shared = tt_shared_dir();
    if (shared == NULL) {
        printf("SKIP: ../shared/reference not found (set TGM_SHARED_DIR)\n");
        return TT_SKIP_CODE;
    }
    TT_RUN(test_manifest);
    TT_RUN(test_sz3_manifest);
    return tt_finish("test_codec_fixtures");
}
