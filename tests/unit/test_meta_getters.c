/* The scalar metadata getters read one key path straight from a handle's
 * kept CBOR (tgm__gmeta_get_fast) until something builds the sections;
 * this test holds them to the tree lookup they stand in for:
 *  - reader against tgm__meta_lookup / tgm__meta_lookup_at over the
 *    sections tgm__gmeta_from_bytes builds, for every key path of the
 *    metadata plus missing and odd ones, on hand-made CBOR (every integer
 *    and float width, nested maps and arrays, duplicate keys, free-form
 *    top-level keys, several base entries, padding) and its single-byte
 *    mutations that the direct check accepts;
 *  - through the API, on those and on the golden and test-data messages:
 *    every getter on a fresh handle (which must stay unbuilt) against the
 *    same getter on a handle whose sections were built first;
 *  - getters racing from several threads on one unbuilt handle. */
#include <dirent.h>
#include <math.h>
#include <pthread.h>

#include "api/api.h"
#include "cbor/cbor.h"
#include "cbor_writer.h"
#include "meta/meta.h"
#include "tensogram/tensogram.h"
#include "tt.h"

/* ---- key paths ------------------------------------------------------------------- */

#define MAXPATHS 400

typedef struct {
    char p[MAXPATHS][64];
    size_t n;
} paths_t;

static void add_path(paths_t *ps, const char *prefix, const char *k, size_t kn) {
    if (ps->n == MAXPATHS) {
        return;
    }
    int r = snprintf(ps->p[ps->n], sizeof ps->p[0], "%s%s%.*s", prefix, prefix[0] ? "." : "",
                     (int)kn, k);
    if (r > 0 && (size_t)r < sizeof ps->p[0] && memchr(k, '\0', kn) == NULL) {
        ps->n++;
    }
}

/* Every text-keyed path in map v under prefix (and each path + ".zz"). */
static void collect(paths_t *ps, const char *prefix, const tgm_val *v, int depth) {
    if (v->kind != TGM_V_MAP || depth > 4) {
        return;
    }
    for (size_t i = 0; i < v->len; i++) {
        const tgm_val *k = tgm__val_map_key(v, i);
        if (k->kind != TGM_V_TEXT) {
            continue;
        }
        add_path(ps, prefix, k->p.str, k->len);
        if (ps->n == 0 || ps->n == MAXPATHS) {
            continue;
        }
        char sub[64];
        snprintf(sub, sizeof sub, "%s", ps->p[ps->n - 1]);
        add_path(ps, sub, "zz", 2);
        collect(ps, sub, tgm__val_map_value(v, i), depth + 1);
    }
}

static void all_paths(const tgm_global_meta *g, paths_t *ps) {
    static const char *odd[] = {"",
                                ".",
                                "..",
                                "a.",
                                ".a",
                                "version",
                                "base",
                                "_extra_",
                                "extra",
                                "_extra_.",
                                "extra.",
                                "_reserved_",
                                "_reserved_.tensor",
                                "_reserved_.tensor.shape",
                                "missing",
                                "missing.deeper",
                                "step.x",
                                "nested.m.x",
                                "nested..x",
                                "nested.m.",
                                "dup",
                                "dup.a"};
    ps->n = 0;
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        add_path(ps, "", odd[i], strlen(odd[i]));
    }
    for (size_t i = 0; i < g->nbase; i++) {
        collect(ps, "", &g->base[i], 0);
    }
    collect(ps, "", g->extra, 0);
    collect(ps, "_extra_", g->extra, 0);
    collect(ps, "extra", g->extra, 0);
    collect(ps, "_reserved_", g->reserved, 0);
}

/* ---- reader against tree ------------------------------------------------------------ */

static size_t reader_compared, reader_found, reader_declined;

static bool same_val(const tgm_val *a, const tgm_val *b) {
    if (a->kind != b->kind) {
        return false;
    }
    switch (a->kind) {
    case TGM_V_INT:
        return a->neg == b->neg && a->num.u == b->num.u;
    case TGM_V_FLOAT:
        return a->fwidth == b->fwidth && memcmp(&a->num.f, &b->num.f, sizeof(double)) == 0;
    case TGM_V_TEXT:
        return a->len == b->len && memcmp(a->p.str, b->p.str, a->len) == 0;
    case TGM_V_BOOL:
        return a->num.b == b->num.b;
    case TGM_V_SIMPLE:
        return a->num.u == b->num.u;
    default:
        return true; /* containers, bytes, tags: kind only */
    }
}

static void reader_same(const uint8_t *b, size_t n) {
    size_t nb;
    tgm_meta_bytes mb;
    bool ok = tgm__gmeta_check_fast_into(b, n, &mb);
    TT_CHECK(ok == tgm__gmeta_check_fast(b, n, &nb));
    if (!ok) {
        return;
    }
    TT_CHECK(mb.has_layout && mb.cbor == b && mb.len == n && mb.nbase == nb);
    tgm_arena a = TGM_ARENA_INIT;
    mb.nbase = nb + (nb & 1); /* odd counts padded by one */
    tgm_global_meta g;
    TT_ASSERT(tgm__gmeta_from_bytes(&a, &mb, &g) == TGM_ERROR_OK);
    static paths_t ps;
    all_paths(&g, &ps);
    for (size_t i = 0; i < ps.n; i++) {
        for (size_t obj = 0; obj <= mb.nbase + 1; obj++) {
            size_t o = obj == mb.nbase + 1 ? SIZE_MAX : obj;
            const tgm_val *want =
                o == SIZE_MAX ? tgm__meta_lookup(&g, ps.p[i]) : tgm__meta_lookup_at(&g, o, ps.p[i]);
            tgm_val got;
            tgm_meta_bytes m2 = mb;
            m2.has_layout = (i + obj) & 1; /* the recorded layout, or worked out */
            int r = tgm__gmeta_get_fast(&m2, o, ps.p[i], &got);
            reader_compared++;
            if (r < 0) {
                reader_declined++;
                continue;
            }
            TT_CHECK_EQ_INT(r, want != NULL);
            if (r == 1 && want != NULL) {
                reader_found++;
                if (!same_val(&got, want)) {
                    TT_CHECK(!"value differs");
                    fprintf(stderr, "  path '%s' obj %zu\n", ps.p[i], obj);
                }
            }
        }
    }
    tgm__arena_free(&a);
}

/* Hand-made metadata: form selects the variant. */
static void meta_cbor(w_t *w, int wide, int form) {
    w->n = 0;
    w->wide = wide;
    head(w, TGM_CBOR_MAP, form == 1 ? 7 : form == 2 ? 5 : 4);
    if (form == 2) { /* an earlier _extra_ and base, replaced by the later ones */
        text(w, "_extra_");
        head(w, TGM_CBOR_MAP, 1);
        text(w, "early");
        head(w, TGM_CBOR_UINT, 1);
        text(w, "base");
        head(w, TGM_CBOR_ARRAY, 1);
        head(w, TGM_CBOR_MAP, 1);
        text(w, "step");
        head(w, TGM_CBOR_UINT, 99);
    } else {
        text(w, "_reserved_");
        head(w, TGM_CBOR_MAP, 1);
        text(w, "tensor");
        head(w, TGM_CBOR_MAP, 1);
        text(w, "shape");
        head(w, TGM_CBOR_ARRAY, 2);
        head(w, TGM_CBOR_UINT, 3);
        head(w, TGM_CBOR_UINT, 1000);
    }
    text(w, "base");
    head(w, TGM_CBOR_ARRAY, 3);
    /* base[0]: numbers of every width, unsorted keys, a duplicate key */
    head(w, TGM_CBOR_MAP, 21);
    text(w, "step");
    head(w, TGM_CBOR_UINT, 3);
    text(w, "big");
    head(w, TGM_CBOR_UINT, 0x123456789ull);
    text(w, "u16");
    head(w, TGM_CBOR_UINT, 40000);
    text(w, "huge");
    head(w, TGM_CBOR_UINT, UINT64_MAX); /* not an int64 */
    text(w, "neg");
    head(w, TGM_CBOR_NINT, 499); /* -500 */
    text(w, "nmin");
    head(w, TGM_CBOR_NINT, (uint64_t)INT64_MAX); /* INT64_MIN */
    text(w, "nhuge");
    head(w, TGM_CBOR_NINT, UINT64_MAX);
    text(w, "half");
    raw(w, "\xf9\x3e\x00", 3); /* 1.5 */
    text(w, "single");
    raw(w, "\xfa\x40\x49\x0f\xdb", 5); /* pi, float32 */
    text(w, "double");
    raw(w, "\xfb\x3f\xb9\x99\x99\x99\x99\x99\x9a", 9); /* 0.1 */
    text(w, "nan");
    raw(w, "\xf9\x7e\x00", 3);
    text(w, "inf");
    raw(w, "\xfa\xff\x80\x00\x00", 5);
    text(w, "negzero");
    raw(w, "\xfb\x80\x00\x00\x00\x00\x00\x00\x00", 9);
    text(w, "name");
    text(w, "sample\xc3\xa9");
    text(w, "flags");
    raw(w, "\xf5", 1);
    text(w, "dup");
    head(w, TGM_CBOR_UINT, 1);
    text(w, "nested");
    head(w, TGM_CBOR_MAP, 5);
    text(w, "m");
    head(w, TGM_CBOR_MAP, 3);
    head(w, TGM_CBOR_UINT, 7); /* a non-text key */
    text(w, "seven");
    text(w, "x");
    raw(w, "\xfa\x3f\x80\x00\x00", 5); /* 1.0f */
    text(w, "x");
    text(w, "second x"); /* nested duplicates: the first wins */
    text(w, "");
    text(w, "empty key");
    text(w, "arr");
    head(w, TGM_CBOR_ARRAY, 3);
    head(w, TGM_CBOR_UINT, 1);
    text(w, "two");
    head(w, TGM_CBOR_MAP, 1);
    text(w, "x");
    head(w, TGM_CBOR_UINT, 3);
    text(w, "a.b");
    text(w, "dotted key");
    text(w, "tagged");
    raw(w, "\xc1\x1a\x00\x00\x00\x01", 6);
    text(w, "t");
    raw(w, "\xc0\xa1\x61x\x01", 5); /* a tag around a map */
    text(w, "dup");
    head(w, TGM_CBOR_UINT, 2); /* sections: the last wins */
    text(w, "nul");
    textn(w, "a\0b", 3);
    text(w, "_reserved_");
    head(w, TGM_CBOR_MAP, 1);
    text(w, "x");
    head(w, TGM_CBOR_UINT, 5);
    /* base[1]: same keys, other values (base[0] answers first) */
    head(w, TGM_CBOR_MAP, 6);
    text(w, "step");
    head(w, TGM_CBOR_UINT, 4);
    text(w, "only1");
    raw(w, "\xf6", 1); /* null */
    text(w, "undef");
    raw(w, "\xf7", 1);
    text(w, "simple");
    raw(w, "\xf8\x20", 2);
    text(w, "s5");
    raw(w, "\xe5", 1);
    text(w, "bytes");
    head(w, TGM_CBOR_BYTES, 2);
    raw(w, "\x01\x02", 2);
    /* base[2]: empty */
    head(w, TGM_CBOR_MAP, 0);
    if (form == 1) { /* free-form top-level keys next to an empty _extra_ */
        text(w, "note");
        text(w, "free");
        text(w, "dup");
        head(w, TGM_CBOR_MAP, 1);
        text(w, "a");
        head(w, TGM_CBOR_NINT, 0);
        text(w, "note");
        text(w, "free, later");
        text(w, "_extra_");
        head(w, TGM_CBOR_MAP, 0);
    } else {
        text(w, "_extra_");
        head(w, TGM_CBOR_MAP, 4);
        text(w, "note");
        text(w, "extra");
        text(w, "only1");
        head(w, TGM_CBOR_UINT, 11);
        text(w, "xf");
        raw(w, "\xfb\xc0\x09\x21\xfb\x54\x44\x2d\x18", 9); /* -pi */
        text(w, "note");
        text(w, "extra, later");
    }
    text(w, "_reserved_");
    head(w, TGM_CBOR_MAP, 1);
    text(w, "time");
    text(w, "2026-01-01T00:00:00Z");
}

static void mutate(const uint8_t *b, size_t n, void (*check)(const uint8_t *, size_t)) {
    static uint8_t m[4096];
    static const uint8_t vals[] = {0x00, 0x01, 0x17, 0x18, 0x5f, 0x60, 0x7f, 0xa0, 0xf4, 0xff};
    for (size_t i = 0; i < n; i++) {
        for (size_t v = 0; v < sizeof vals; v++) {
            memcpy(m, b, n);
            m[i] = vals[v];
            check(m, n);
        }
        check(b, i);
    }
}

/* ---- through the API ---------------------------------------------------------------- */

static size_t api_compared;

static bool str_same(const char *a, const char *b) {
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool dbl_same(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

/* fresh (unbuilt) against built, every getter on every path. */
static void api_compare(tgm_metadata_t *fresh, tgm_metadata_t *built) {
    TT_ASSERT(tgm_metadata_extra(built) != NULL); /* builds the sections */
    const tgm_global_meta *g =
        fresh->bytes.cbor != NULL ? NULL : &fresh->meta; /* eager handles: the tree */
    tgm_arena a = TGM_ARENA_INIT;
    tgm_global_meta lg;
    if (g == NULL) {
        TT_ASSERT(tgm__gmeta_from_bytes(&a, &fresh->bytes, &lg) == TGM_ERROR_OK);
        g = &lg;
    }
    static paths_t ps;
    all_paths(g, &ps);
    size_t nobj = tgm_metadata_num_objects(fresh);
    TT_CHECK_EQ_INT(nobj, tgm_metadata_num_objects(built));
    TT_CHECK_EQ_INT(tgm_metadata_version(fresh), tgm_metadata_version(built));
    for (size_t i = 0; i < ps.n; i++) {
        const char *p = ps.p[i];
        int ok = str_same(tgm_metadata_get_string(fresh, p), tgm_metadata_get_string(built, p));
        ok &= tgm_metadata_get_int(fresh, p, -77) == tgm_metadata_get_int(built, p, -77);
        ok &= dbl_same(tgm_metadata_get_float(fresh, p, -7.5),
                       tgm_metadata_get_float(built, p, -7.5));
        for (size_t o = 0; o <= nobj; o++) {
            ok &= str_same(tgm_metadata_get_string_at(fresh, o, p),
                           tgm_metadata_get_string_at(built, o, p));
            ok &= tgm_metadata_get_int_at(fresh, o, p, -77) ==
                  tgm_metadata_get_int_at(built, o, p, -77);
            ok &= dbl_same(tgm_metadata_get_float_at(fresh, o, p, -7.5),
                           tgm_metadata_get_float_at(built, o, p, -7.5));
        }
        ok &= str_same(tgm_metadata_get_string_at(fresh, SIZE_MAX, p),
                       tgm_metadata_get_string_at(built, SIZE_MAX, p));
        if (!ok) {
            TT_CHECK(!"getter differs");
            fprintf(stderr, "  path '%s'\n", p);
        }
        api_compared++;
    }
    /* The getters built nothing. */
    TT_CHECK(atomic_load(&fresh->built) == NULL);
    tgm__arena_free(&a);
}

/* Hand-made bytes: two handles over them through the API. */
static void api_bytes(const uint8_t *b, size_t n, size_t pad) {
    size_t nb;
    TT_ASSERT(tgm__gmeta_check_fast(b, n, &nb));
    tgm_meta_bytes mb = {.cbor = b, .len = n, .nbase = nb + pad};
    tgm_metadata_t *fresh, *built;
    TT_ASSERT(tgm__api_metadata_new_bytes(&mb, &fresh) == TGM_ERROR_OK);
    TT_ASSERT(tgm__api_metadata_new_bytes(&mb, &built) == TGM_ERROR_OK);
    api_compare(fresh, built);
    tgm_metadata_free(fresh);
    tgm_metadata_free(built);
}

static size_t api_messages, api_unbuilt;

static void api_message(const uint8_t *buf, size_t len) {
    tgm_metadata_t *fresh, *built;
    if (tgm_decode_metadata(buf, len, &fresh) != TGM_ERROR_OK) {
        return;
    }
    TT_ASSERT(tgm_decode_metadata(buf, len, &built) == TGM_ERROR_OK);
    api_messages++;
    api_unbuilt += fresh->bytes.cbor != NULL;
    api_compare(fresh, built);
    tgm_metadata_free(fresh);
    tgm_metadata_free(built);
}

/* Every .tgm file under dir (two levels down). */
static void api_dir(const char *dir, int depth) {
    DIR *d = opendir(dir);
    if (d == NULL) {
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        char path[2048];
        snprintf(path, sizeof path, "%.1000s/%.255s", dir, e->d_name);
        if (e->d_name[0] != '.' && depth < 2 && l > 0) {
            api_dir(path, depth + 1); /* not a directory: opendir fails */
        }
        if (l <= 4 || strcmp(e->d_name + l - 4, ".tgm") != 0) {
            continue;
        }
        FILE *f = fopen(path, "rb");
        if (f == NULL) {
            continue;
        }
        uint8_t *buf = NULL;
        long n = -1;
        if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
            buf = malloc((size_t)n);
        }
        if (buf != NULL && fread(buf, 1, (size_t)n, f) == (size_t)n) {
            api_message(buf, (size_t)n);
        }
        free(buf);
        fclose(f);
    }
    closedir(d);
}

static void test_reader_handmade(void) {
    w_t w;
    for (int wide = 0; wide <= 4; wide++) {
        for (int form = 0; form <= 2; form++) {
            meta_cbor(&w, wide, form);
            size_t nb;
            TT_ASSERT(tgm__gmeta_check_fast(w.b, w.n, &nb));
            size_t before = reader_found;
            reader_same(w.b, w.n);
            TT_CHECK(reader_found > before + 40);
            api_bytes(w.b, w.n, 0);
            api_bytes(w.b, w.n, 2);
        }
    }
    /* Spot checks against values written above (independent of the tree). */
    meta_cbor(&w, 0, 0);
    size_t nb;
    TT_ASSERT(tgm__gmeta_check_fast(w.b, w.n, &nb));
    tgm_meta_bytes mb = {.cbor = w.b, .len = w.n, .nbase = nb};
    tgm_metadata_t *md;
    TT_ASSERT(tgm__api_metadata_new_bytes(&mb, &md) == TGM_ERROR_OK);
    TT_CHECK_EQ_INT(tgm_metadata_num_objects(md), 3);
    TT_CHECK_EQ_INT(tgm_metadata_get_int(md, "step", 0), 3);
    TT_CHECK_EQ_INT(tgm_metadata_get_int_at(md, 1, "step", 0), 4);
    TT_CHECK_EQ_INT(tgm_metadata_get_int(md, "neg", 0), -500);
    TT_CHECK(tgm_metadata_get_int(md, "nmin", 0) == INT64_MIN);
    TT_CHECK_EQ_INT(tgm_metadata_get_int(md, "huge", -1), -1);
    TT_CHECK(tgm_metadata_get_float(md, "huge", 0) == 18446744073709551615.0);
    TT_CHECK(tgm_metadata_get_float(md, "half", 0) == 1.5);
    TT_CHECK(tgm_metadata_get_float(md, "single", 0) == (double)3.14159274101257324f);
    TT_CHECK(tgm_metadata_get_float(md, "double", 0) == 0.1);
    TT_CHECK(isnan(tgm_metadata_get_float(md, "nan", 0)));
    TT_CHECK(signbit(tgm_metadata_get_float(md, "negzero", 1)));
    TT_CHECK_EQ_INT(tgm_metadata_get_int(md, "half", -1), -1);
    TT_CHECK(tgm_metadata_get_float(md, "step", 0) == 3.0);
    TT_CHECK_EQ_INT(tgm_metadata_get_int(md, "dup", 0), 2);
    TT_CHECK_EQ_STR(tgm_metadata_get_string(md, "nested.m.x"), "1");
    TT_CHECK_EQ_STR(tgm_metadata_get_string(md, "nested."), "empty key");
    TT_CHECK_EQ_STR(tgm_metadata_get_string(md, "name"), "sample\xc3\xa9");
    TT_CHECK_EQ_STR(tgm_metadata_get_string(md, "flags"), "true");
    TT_CHECK_EQ_STR(tgm_metadata_get_string(md, "note"), "extra, later");
    TT_CHECK_EQ_STR(tgm_metadata_get_string(md, "extra.xf"), "-3.141592653589793");
    TT_CHECK_EQ_INT(tgm_metadata_get_int(md, "only1", -1), -1); /* base[1]: null */
    TT_CHECK_EQ_INT(tgm_metadata_get_int(md, "_extra_.only1", 0), 11);
    TT_CHECK(tgm_metadata_get_string(md, "nul") == NULL);
    TT_CHECK(tgm_metadata_get_string(md, "only1.x") == NULL);
    TT_CHECK(tgm_metadata_get_string(md, "_reserved_.x") == NULL);
    TT_CHECK(tgm_metadata_get_string_at(md, 1, "bytes") == NULL);
    TT_CHECK(tgm_metadata_get_string_at(md, 3, "step") == NULL);
    TT_CHECK(tgm_metadata_get_string_at(md, SIZE_MAX, "step") == NULL);
    TT_CHECK_EQ_STR(tgm_metadata_get_string(md, "version"), "3");
    TT_CHECK(atomic_load(&md->built) == NULL);
    tgm_metadata_free(md);
    meta_cbor(&w, 0, 1);
    TT_ASSERT(tgm__gmeta_check_fast(w.b, w.n, &nb));
    mb = (tgm_meta_bytes){.cbor = w.b, .len = w.n, .nbase = nb};
    TT_ASSERT(tgm__api_metadata_new_bytes(&mb, &md) == TGM_ERROR_OK);
    TT_CHECK_EQ_STR(tgm_metadata_get_string(md, "note"), "free, later");
    TT_CHECK_EQ_INT(tgm_metadata_get_int(md, "extra.dup.a", 0), -1);
    TT_CHECK_EQ_INT(tgm_metadata_get_int(md, "dup", 0), 2); /* base first */
    tgm_metadata_free(md);
    meta_cbor(&w, 0, 2);
    TT_ASSERT(tgm__gmeta_check_fast(w.b, w.n, &nb));
    mb = (tgm_meta_bytes){.cbor = w.b, .len = w.n, .nbase = nb};
    TT_ASSERT(tgm__api_metadata_new_bytes(&mb, &md) == TGM_ERROR_OK);
    TT_CHECK_EQ_INT(tgm_metadata_get_int(md, "step", 0), 3); /* the later base */
    TT_CHECK_EQ_INT(tgm_metadata_get_int(md, "early", -1), -1);
    TT_CHECK_EQ_INT(tgm_metadata_get_int(md, "extra.only1", -1), 11);
    tgm_metadata_free(md);
}

static void test_reader_mutations(void) {
    w_t w;
    for (int form = 0; form <= 2; form++) {
        meta_cbor(&w, form, form);
        mutate(w.b, w.n, reader_same);
    }
    printf("reader: %zu lookups compared, %zu found, %zu declined\n", reader_compared, reader_found,
           reader_declined);
    TT_CHECK(reader_compared > 100000);
    TT_CHECK_EQ_INT(reader_declined, 0);
}

static void test_api_messages(void) {
    static const char *META =
        "{\"base\":[{\"name\":\"a\",\"mars\":{\"param\":\"2t\",\"levelist\":850}},"
        "{\"name\":\"b\",\"f\":0.25,\"mars\":{\"param\":\"10u\"}}],\"note\":\"top\","
        "\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[4],\"strides\":[1],"
        "\"dtype\":\"float32\",\"encoding\":\"none\",\"filter\":\"none\",\"compression\":"
        "\"none\"},{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[4],\"strides\":[1],\"dtype\":"
        "\"float32\",\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"none\"}]}";
    float v[4] = {1, 2, 3, 4};
    const uint8_t *p[2] = {(const uint8_t *)v, (const uint8_t *)v};
    size_t l[2] = {sizeof v, sizeof v};
    tgm_bytes_t msg;
    TT_ASSERT(tgm_encode(META, p, l, 2, "xxh3", 1, &msg) == TGM_ERROR_OK);
    api_message(msg.data, msg.len);
    tgm_metadata_t *md;
    TT_ASSERT(tgm_decode_metadata(msg.data, msg.len, &md) == TGM_ERROR_OK);
    TT_CHECK_EQ_STR(tgm_metadata_get_string(md, "mars.param"), "2t");
    TT_CHECK_EQ_STR(tgm_metadata_get_string_at(md, 1, "mars.param"), "10u");
    TT_CHECK_EQ_INT(tgm_metadata_get_int(md, "mars.levelist", 0), 850);
    TT_CHECK(tgm_metadata_get_float_at(md, 1, "f", 0) == 0.25);
    TT_CHECK_EQ_STR(tgm_metadata_get_string(md, "note"), "top");
    TT_CHECK(atomic_load(&md->built) == NULL);
    tgm_metadata_free(md);
    tgm_bytes_free(msg);
    api_dir(TGM_TEST_DATA_DIR, 0);
    api_dir(TGM_DEFAULT_SHARED_DIR, 0);
    printf("api: %zu messages (%zu kept as bytes), %zu paths compared\n", api_messages, api_unbuilt,
           api_compared);
    TT_CHECK(api_messages > 100);
    TT_CHECK(api_unbuilt > 100);
}

/* ---- getters racing on one handle ---------------------------------------------------- */

#define NTHREADS 8

typedef struct {
    const tgm_metadata_t *md;
    pthread_barrier_t *bar;
    int ok;
} job;

static void *getter_thread(void *arg) {
    job *j = arg;
    pthread_barrier_wait(j->bar);
    int ok = 1;
    for (int k = 0; k < 50; k++) {
        ok &= tgm_metadata_get_int(j->md, "step", -1) == 3;
        const char *s = tgm_metadata_get_string(j->md, "name");
        ok &= s != NULL && strcmp(s, "sample\xc3\xa9") == 0;
        s = tgm_metadata_get_string_at(j->md, 1, "step");
        ok &= s != NULL && strcmp(s, "4") == 0;
        s = tgm_metadata_get_string(j->md, "nested.m.x");
        ok &= s != NULL && strcmp(s, "1") == 0;
        ok &= tgm_metadata_get_float(j->md, "half", 0) == 1.5;
        ok &= tgm_metadata_get_float_at(j->md, 1, "step", 0) == 4.0;
        ok &= tgm_metadata_get_int_at(j->md, 0, "neg", 0) == -500;
    }
    j->ok = ok;
    return NULL;
}

static void test_threads(void) {
    w_t w;
    meta_cbor(&w, 0, 0);
    size_t nb;
    TT_ASSERT(tgm__gmeta_check_fast(w.b, w.n, &nb));
    tgm_meta_bytes mb = {.cbor = w.b, .len = w.n, .nbase = nb};
    for (int round = 0; round < 20; round++) {
        tgm_metadata_t *md;
        TT_ASSERT(tgm__api_metadata_new_bytes(&mb, &md) == TGM_ERROR_OK);
        pthread_barrier_t bar;
        pthread_barrier_init(&bar, NULL, NTHREADS);
        pthread_t t[NTHREADS];
        job jobs[NTHREADS];
        for (int i = 0; i < NTHREADS; i++) {
            jobs[i] = (job){md, &bar, 0};
            pthread_create(&t[i], NULL, getter_thread, &jobs[i]);
        }
        for (int i = 0; i < NTHREADS; i++) {
            pthread_join(t[i], NULL);
            TT_CHECK(jobs[i].ok);
        }
        pthread_barrier_destroy(&bar);
        TT_CHECK(atomic_load(&md->built) == NULL);
        tgm_metadata_free(md);
    }
}

int main(void) {
    TT_RUN(test_reader_handmade);
    TT_RUN(test_reader_mutations);
    TT_RUN(test_api_messages);
    TT_RUN(test_threads);
    return tt_finish("test_meta_getters");
}
