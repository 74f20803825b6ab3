/* Allocation-failure injection (builds with -DTGM_ALLOC_INJECTION=ON;
 * otherwise the test reports itself skipped).
 *
 * Each operation (encode with every pipeline, decode through every entry
 * point, metadata access, scanning and iteration, files, the streaming
 * encoder, validation) first runs once to count its allocations.  Then,
 * for every n up to that count, the n-th allocation is made to fail --
 * once (the operation may recover) and sticky (every later allocation
 * fails as well).  Every run must either fail with an error code and a
 * detail text, leaving its out-parameter untouched, or succeed with the
 * same result as the clean run.  Crashes, use-after-free and leaks are
 * caught by running this test under ASan/LSan (docs/security.md has the
 * configuration). */
#include "tt.h"

#include <math.h>
#include <unistd.h>

#include "common/alloc.h"
#include "tensogram/tensogram.h"

/* One operation under test: run() does the work and keeps its result in
 * the context; check() (injection off) compares it with the clean run;
 * release() frees it. */
typedef struct op {
    const char *name;
    tgm_error (*run)(struct op *o);
    int (*check)(struct op *o);
    void (*release)(struct op *o);
    /* inputs */
    const char *json;
    const uint8_t *data[2];
    size_t lens[2];
    size_t nobj;
    const TgmEncodeMaskOptions *masks;
    const tgm_bytes_t *msg; /* an encoded message */
    int lossless;
    uint32_t threads; /* library threads per call (0 = 1) */
    /* results */
    tgm_bytes_t bytes;
    tgm_message_t *m;
    tgm_metadata_t *md;
    tgm_bytes_t parts[2];
    size_t nparts;
    uint64_t sum;      /* a digest of everything the operation produced */
    int null_accessor; /* a string accessor returned NULL (no error code to report) */
} op;

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        h = (h ^ b[i]) * 1099511628211u;
    }
    return h;
}

/* Digest of a message's objects; descriptor JSON only when `with_json`
 * (that accessor allocates lazily and returns NULL when it cannot, which
 * is allowed while injection is on). */
static uint64_t sum_objects(const tgm_message_t *m, int with_json) {
    uint64_t h = 1469598103934665603u;
    for (size_t i = 0; i < tgm_message_num_objects(m); i++) {
        size_t n = 0;
        const uint8_t *d = tgm_object_data(m, i, &n);
        h = fnv(h, &n, sizeof n);
        if (d != NULL) {
            h = fnv(h, d, n);
        }
        const char *j = with_json ? tgm_object_descriptor_json(m, i) : NULL;
        if (j != NULL) {
            h = fnv(h, j, strlen(j));
        }
    }
    return h;
}

static uint64_t sum_message(const tgm_message_t *m) { return sum_objects(m, 1); }

static void release_all(op *o) {
    tgm_bytes_free(o->bytes);
    o->bytes.data = NULL;
    o->bytes.len = 0;
    tgm_message_free(o->m);
    o->m = NULL;
    tgm_metadata_free(o->md);
    o->md = NULL;
    for (size_t i = 0; i < o->nparts; i++) {
        tgm_bytes_free(o->parts[i]);
        o->parts[i].data = NULL;
    }
    o->nparts = 0;
    o->sum = 0;
}

static int untouched(const op *o) {
    return o->bytes.data == NULL && o->m == NULL && o->md == NULL && o->nparts == 0;
}

static size_t swept_ops, swept_runs, failed_runs;

/* The sweep itself. */
static void sweep(op *o) {
    tgm__alloc_fail_after(0, 0);
    tgm_error e = o->run(o);
    uint64_t total = tgm__alloc_count();
    if (e != TGM_ERROR_OK) {
        fprintf(stderr, "[%s] clean run failed: %s\n", o->name, tgm_last_error());
        tt_failures++;
        o->release(o);
        return;
    }
    TT_CHECK(o->check(o));
    printf("  %-36s %4llu allocations\n", o->name, (unsigned long long)total);
    uint64_t clean_sum = o->sum;
    o->release(o);
    int saw_error = 0;
    for (int sticky = 0; sticky <= 1; sticky++) {
        for (uint64_t n = 1; n <= total + 1; n++) {
            tgm__alloc_fail_after(n, sticky);
            e = o->run(o);
            tgm__alloc_fail_after(0, 0);
            swept_runs++;
            if (e == TGM_ERROR_OK) {
                if (!o->check(o) || o->sum != clean_sum) {
                    fprintf(stderr,
                            "[%s] allocation %llu%s failed, call succeeded with a wrong "
                            "result\n",
                            o->name, (unsigned long long)n, sticky ? " (sticky)" : "");
                    tt_failures++;
                }
            } else {
                failed_runs++;
                saw_error = 1;
                const char *d = tgm_last_error();
                int detail_ok = o->null_accessor || (d != NULL && d[0] != '\0');
                o->null_accessor = 0;
                if (!detail_ok || !untouched(o)) {
                    fprintf(stderr,
                            "[%s] allocation %llu%s: error %d without detail or with "
                            "an out-parameter written\n",
                            o->name, (unsigned long long)n, sticky ? " (sticky)" : "", (int)e);
                    tt_failures++;
                }
            }
            tt_checks++;
            o->release(o);
        }
    }
    /* With every allocation failing, the operation cannot succeed. */
    if (total > 0 && !saw_error) {
        fprintf(stderr, "[%s] no injected failure was reported\n", o->name);
        tt_failures++;
    }
    swept_ops++;
}

/* ---- the operations --------------------------------------------------------- */

static tgm_error run_encode(op *o) {
    tgm_bytes_t out = {NULL, 0};
    tgm_error e = tgm_encode_with_options(o->json, o->data, o->lens, o->nobj, "xxh3",
                                          o->threads ? o->threads : 1, o->masks, &out);
    if (e == TGM_ERROR_OK) {
        o->bytes = out;
    }
    return e;
}

/* Encoded messages differ in provenance (time, uuid): compare what they
 * decode to. */
static int check_encode(op *o) {
    tgm_message_t *m = NULL;
    if (tgm_decode(o->bytes.data, o->bytes.len, 0, 1, 1, &m) != TGM_ERROR_OK) {
        return 0;
    }
    int ok = tgm_message_num_objects(m) == o->nobj;
    for (size_t i = 0; ok && i < o->nobj; i++) {
        size_t n = 0;
        const uint8_t *d = tgm_object_data(m, i, &n);
        ok = n == o->lens[i] && (!o->lossless || n == 0 || memcmp(d, o->data[i], n) == 0);
    }
    o->sum = sum_message(m);
    tgm_message_free(m);
    return ok;
}

static tgm_error run_decode(op *o) {
    tgm_message_t *m = NULL;
    tgm_error e = tgm_decode(o->msg->data, o->msg->len, 1, o->threads ? o->threads : 1, 1, &m);
    if (e == TGM_ERROR_OK) {
        o->m = m;
    }
    return e;
}

static int check_message(op *o) {
    o->sum = sum_message(o->m);
    return o->m != NULL;
}

static tgm_error run_decode_object(op *o) {
    tgm_message_t *m = NULL;
    tgm_error e = tgm_decode_object(o->msg->data, o->msg->len, o->nobj - 1, 1, 1, 1, &m);
    if (e == TGM_ERROR_OK) {
        o->m = m;
    }
    return e;
}

static tgm_error run_descriptors(op *o) {
    tgm_message_t *m = NULL;
    tgm_error e = tgm_decode_encoded(o->msg->data, o->msg->len, &m);
    if (e == TGM_ERROR_OK) {
        o->m = m;
    }
    return e;
}

static tgm_error run_range(op *o) {
    uint64_t off[2] = {1, 3}, cnt[2] = {2, 1};
    tgm_bytes_t out[2] = {{NULL, 0}, {NULL, 0}};
    size_t got = 0;
    tgm_error e = tgm_decode_range(o->msg->data, o->msg->len, 0, off, cnt, 2, 1, 1, 0, out, &got);
    if (e == TGM_ERROR_OK) {
        o->parts[0] = out[0];
        o->parts[1] = out[1];
        o->nparts = got;
    }
    return e;
}

static int check_parts(op *o) {
    uint64_t h = 7;
    for (size_t i = 0; i < o->nparts; i++) {
        h = fnv(h, o->parts[i].data, o->parts[i].len);
    }
    o->sum = h;
    return o->nparts == 2;
}

/* Metadata handle plus the accessors that build strings lazily: a failed
 * allocation inside them must surface as NULL, which fails the run. */
static tgm_error run_metadata(op *o) {
    tgm_metadata_t *md = NULL;
    tgm_error e = tgm_decode_metadata(o->msg->data, o->msg->len, &md);
    if (e != TGM_ERROR_OK) {
        return e;
    }
    const char *j = tgm_metadata_to_json(md);
    const char *oj = tgm_metadata_object_to_json(md, 0);
    const char *s = tgm_metadata_get_string(md, "source");
    if (j == NULL || oj == NULL || s == NULL) {
        /* accessors report out-of-memory as NULL, with no error code */
        tgm_metadata_free(md);
        o->null_accessor = 1;
        return TGM_ERROR_ENCODING;
    }
    o->md = md;
    o->sum = fnv(fnv(fnv(5, j, strlen(j)), oj, strlen(oj)), s, strlen(s));
    return TGM_ERROR_OK;
}

static int check_metadata(op *o) {
    /* the digest was taken in run (the strings live in the handle) */
    return o->md != NULL && strcmp(tgm_metadata_get_string(o->md, "source"), "alloc") == 0;
}

static tgm_error run_iterate(op *o) {
    tgm_object_iter_t *it = NULL;
    tgm_error e = tgm_object_iter_create(o->msg->data, o->msg->len, 1, 1, &it);
    if (e != TGM_ERROR_OK) {
        return e;
    }
    uint64_t h = 11;
    for (;;) {
        tgm_message_t *m = NULL;
        e = tgm_object_iter_next(it, &m);
        if (e == TGM_ERROR_END_OF_ITER) {
            e = TGM_ERROR_OK;
            break;
        }
        if (e != TGM_ERROR_OK) {
            break;
        }
        h = fnv(h, &(uint64_t){sum_objects(m, 0)}, 8);
        tgm_message_free(m);
    }
    tgm_object_iter_free(it);
    if (e == TGM_ERROR_OK) {
        /* scanning a buffer of two copies */
        tgm_scan_result_t *sr = NULL;
        uint8_t *two = malloc(2 * o->msg->len);
        memcpy(two, o->msg->data, o->msg->len);
        memcpy(two + o->msg->len, o->msg->data, o->msg->len);
        e = tgm_scan(two, 2 * o->msg->len, &sr);
        if (e == TGM_ERROR_OK) {
            h = fnv(h, &(uint64_t){tgm_scan_count(sr)}, 8);
            tgm_scan_free(sr);
            tgm_buffer_iter_t *bi = NULL;
            e = tgm_buffer_iter_create(two, 2 * o->msg->len, &bi);
            if (e == TGM_ERROR_OK) {
                h = fnv(h, &(uint64_t){tgm_buffer_iter_count(bi)}, 8);
                tgm_buffer_iter_free(bi);
            }
        }
        free(two);
    }
    if (e == TGM_ERROR_OK) {
        o->nparts = 0;
        o->bytes.data = malloc(1); /* marks success for untouched() */
        o->bytes.len = 0;
        o->sum = h;
    }
    return e;
}

static void release_plain(op *o) {
    free(o->bytes.data);
    o->bytes.data = NULL;
    o->sum = 0;
}

static int check_sum_only(op *o) {
    (void)o;
    return 1;
}

static char tmp_path[64];

/* Files: create, append (raw and encoding), count, read, decode, iterate. */
static tgm_error run_file(op *o) {
    tgm_file_t *f = NULL;
    tgm_error e = tgm_file_create(tmp_path, &f);
    if (e != TGM_ERROR_OK) {
        return e;
    }
    uint64_t h = 13;
    e = tgm_file_append_raw(f, o->msg->data, o->msg->len);
    if (e == TGM_ERROR_OK) {
        e = tgm_file_append(f, o->json, o->data, o->lens, o->nobj, NULL, 1);
    }
    tgm_file_close(f);
    f = NULL;
    if (e == TGM_ERROR_OK) {
        e = tgm_file_open(tmp_path, &f);
    }
    size_t count = 0;
    if (e == TGM_ERROR_OK) {
        e = tgm_file_message_count(f, &count);
    }
    for (size_t i = 0; e == TGM_ERROR_OK && i < count; i++) {
        tgm_message_t *m = NULL;
        e = tgm_file_decode_message(f, i, 1, 1, 0, &m);
        if (e == TGM_ERROR_OK) {
            h = fnv(h, &(uint64_t){sum_objects(m, 0)}, 8);
            tgm_message_free(m);
            e = tgm_file_decode_object(f, i, 0, 1, 1, 0, &m);
        }
        if (e == TGM_ERROR_OK) {
            h = fnv(h, &(uint64_t){sum_objects(m, 0)}, 8);
            tgm_message_free(m);
            tgm_metadata_t *md = NULL;
            e = tgm_file_decode_metadata(f, i, &md);
            tgm_metadata_free(md);
        }
        if (e == TGM_ERROR_OK) {
            tgm_bytes_t raw = {NULL, 0};
            e = tgm_file_read_message(f, i, &raw);
            tgm_bytes_free(raw);
        }
    }
    if (e == TGM_ERROR_OK) {
        tgm_file_iter_t *it = NULL;
        e = tgm_file_iter_create(f, &it);
        while (e == TGM_ERROR_OK) {
            tgm_bytes_t b = {NULL, 0};
            e = tgm_file_iter_next(it, &b);
            if (e == TGM_ERROR_OK) {
                h = fnv(h, &b.len, sizeof b.len);
                tgm_bytes_free(b);
            }
        }
        if (e == TGM_ERROR_END_OF_ITER) {
            e = TGM_ERROR_OK;
        }
        tgm_file_iter_free(it);
    }
    tgm_file_close(f);
    if (e == TGM_ERROR_OK) {
        o->bytes.data = malloc(1);
        o->sum = fnv(h, &count, sizeof count);
    }
    return e;
}

static tgm_error run_stream(op *o) {
    tgm_streaming_options so = TGM_STREAMING_OPTIONS_INIT;
    so.hash_algo = "xxh3";
    tgm_streaming_encoder_t *enc = NULL;
    tgm_error e = tgm_streaming_encoder_create_memory("{\"source\":\"alloc\"}", &so, &enc);
    if (e != TGM_ERROR_OK) {
        return e;
    }
    e = tgm_streaming_encoder_write_preceder(enc, "{\"step\":6}");
    if (e == TGM_ERROR_OK) {
        e = tgm_streaming_encoder_write(enc, o->json, o->data[0], o->lens[0]);
    }
    if (e == TGM_ERROR_OK) {
        e = tgm_streaming_encoder_write(enc, o->json, o->data[0], o->lens[0]);
    }
    if (e == TGM_ERROR_OK) {
        e = tgm_streaming_encoder_finish_backfilled(enc);
    }
    tgm_bytes_t out = {NULL, 0};
    if (e == TGM_ERROR_OK) {
        e = tgm_streaming_encoder_take(enc, &out);
    }
    tgm_streaming_encoder_free(enc);
    if (e == TGM_ERROR_OK) {
        o->bytes = out;
    }
    return e;
}

static int check_stream(op *o) {
    tgm_message_t *m = NULL;
    if (tgm_decode(o->bytes.data, o->bytes.len, 0, 1, 1, &m) != TGM_ERROR_OK) {
        return 0;
    }
    int ok = tgm_message_num_objects(m) == 2;
    for (size_t i = 0; ok && i < 2; i++) {
        size_t n = 0;
        const uint8_t *d = tgm_object_data(m, i, &n);
        ok = n == o->lens[0] && memcmp(d, o->data[0], n) == 0;
    }
    o->sum = sum_message(m);
    tgm_message_free(m);
    return ok;
}

static tgm_error run_validate(op *o) {
    tgm_bytes_t r = {NULL, 0};
    tgm_error e = tgm_validate(o->msg->data, o->msg->len, "full", 1, &r);
    if (e != TGM_ERROR_OK) {
        return e;
    }
    tgm_bytes_t r2 = {NULL, 0};
    e = tgm_validate_buffer(o->msg->data, o->msg->len, "default", 0, &r2);
    if (e != TGM_ERROR_OK) {
        tgm_bytes_free(r);
        return e;
    }
    o->sum = fnv(fnv(3, r.data, r.len), r2.data, r2.len);
    tgm_bytes_free(r2);
    o->bytes = r;
    return TGM_ERROR_OK;
}

static int check_validate(op *o) {
    static const char key[] = "\"issues\"";
    for (size_t i = 0; i + sizeof key - 1 <= o->bytes.len; i++) {
        if (memcmp(o->bytes.data + i, key, sizeof key - 1) == 0) {
            return 1;
        }
    }
    return 0;
}

/* JSON documents: parse, build and edit (members, appends, a copy of the
 * message's metadata, a removal), print.  A NULL handle is an error whose
 * detail the library has set. */
static tgm_error doc_work(tgm_json_t *doc, const tgm_metadata_t *md, tgm_bytes_t *out) {
    tgm_value_t *root = tgm_json_edit(doc, tgm_json_root(doc));
    tgm_value_t *list = root ? tgm_json_map_member(doc, root, "list", 4) : NULL;
    if (list == NULL) {
        return TGM_ERROR_ENCODING;
    }
    for (int i = 0; i < 40; i++) {
        tgm_value_t *e = tgm_json_array_append(doc, list);
        if (e == NULL) {
            return TGM_ERROR_ENCODING;
        }
        tgm_error err = i % 2 ? tgm_json_set_string(doc, e, "element", 7)
                              : tgm_json_set_copy(doc, e, tgm_metadata_object(md, 0));
        if (err != TGM_ERROR_OK) {
            return err;
        }
    }
    tgm_value_t *m = tgm_json_map_member(doc, root, "meta", 4);
    if (m == NULL) {
        return TGM_ERROR_ENCODING;
    }
    tgm_error err = tgm_json_set_copy(doc, m, tgm_metadata_extra(md));
    err = err == TGM_ERROR_OK ? tgm_json_map_remove(doc, root, "a", 1, NULL) : err;
    return err == TGM_ERROR_OK ? tgm_value_to_json_ex(tgm_json_root(doc), TGM_JSON_PRETTY, out)
                               : err;
}

static tgm_error run_json_doc(op *o) {
    tgm_metadata_t *md = NULL;
    tgm_error e = tgm_decode_metadata(o->msg->data, o->msg->len, &md);
    if (e != TGM_ERROR_OK) {
        return e;
    }
    static const char text[] = "{\"b\":[1,2.5,\"x\"],\"a\":{\"k\":null},\"list\":[]}";
    tgm_json_t *doc = NULL;
    e = tgm_json_parse(text, sizeof text - 1, 0, &doc);
    tgm_bytes_t out = {NULL, 0};
    if (e == TGM_ERROR_OK) {
        e = doc_work(doc, md, &out);
    }
    tgm_json_free(doc);
    tgm_metadata_free(md);
    if (e == TGM_ERROR_OK) {
        o->sum = fnv(7, out.data, out.len);
        o->bytes = out;
    }
    return e;
}

static int has(const tgm_bytes_t *b, const char *want) {
    for (size_t i = 0, n = strlen(want); i + n <= b->len; i++) {
        if (memcmp(b->data + i, want, n) == 0) {
            return 1;
        }
    }
    return 0;
}

static int check_json_doc(op *o) {
    return has(&o->bytes, "\"source\": \"alloc\"") && has(&o->bytes, "\"tensor\": {") &&
           has(&o->bytes, "\"b\": [") && !has(&o->bytes, "\"a\":");
}

/* ---- inputs ---------------------------------------------------------------- */

static double f64[64];
static float f32[12];
static uint16_t u16[40];
static uint8_t bits[13];

#define DESC(shape, dtype, pipeline)                                                               \
    "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[" shape "],\"strides\":[1],\"dtype\":\"" dtype    \
    "\",\"byte_order\":\"little\"," pipeline "}"
#define PLAIN "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"none\""

typedef struct pipeline_case {
    const char *name;
    const char *json;
    const void *data;
    size_t len;
    int lossless;
    const TgmEncodeMaskOptions *masks;
} pipeline_case;

static const TgmEncodeMaskOptions mask_rle = {true, true, "rle", "roaring", "zstd", 0};
static const TgmEncodeMaskOptions mask_blosc2 = {true, true, "blosc2", "lz4", "none", 0};

/* A one-object message with a "source" key for the metadata lookups. */
#define ONE(desc) "{\"descriptors\":[" desc "],\"source\":\"alloc\"}"
#define PIPE(enc, filter, comp) "\"encoding\":\"" enc "\",\"filter\":\"" filter "\"," comp
#define COMP(name) "\"compression\":\"" name "\""

static const pipeline_case cases[] = {
    {"plain", ONE(DESC("64", "float64", PLAIN)), f64, 512, 1, NULL},
    {"zstd+shuffle",
     ONE(DESC("40", "uint16", PIPE("none", "shuffle", "\"shuffle_element_size\":2," COMP("zstd")))),
     u16, 80, 1, NULL},
    {"lz4", ONE(DESC("40", "uint16", PIPE("none", "none", COMP("lz4")))), u16, 80, 1, NULL},
    {"simple_packing+szip",
     ONE(DESC(
         "64", "float64",
         PIPE("simple_packing", "none",
              "\"sp_bits_per_value\":12," COMP("szip") ",\"szip_rsi\":2,"
                                                       "\"szip_block_size\":8,\"szip_flags\":8"))),
     f64, 512, 0, NULL},
    {"szip",
     ONE(DESC("40", "uint16",
              PIPE("none", "none",
                   COMP("szip") ",\"szip_rsi\":2,\"szip_block_size\":8,\"szip_flags\":8"))),
     u16, 80, 1, NULL},
    {"zfp",
     ONE(DESC("64", "float64",
              PIPE("none", "none", COMP("zfp") ",\"zfp_mode\":\"fixed_rate\",\"zfp_rate\":16"))),
     f64, 512, 0, NULL},
    {"blosc2",
     ONE(DESC("40", "uint16", PIPE("none", "none", COMP("blosc2") ",\"blosc2_codec\":\"zstd\""))),
     u16, 80, 1, NULL},
#ifdef TGM_HAVE_SZ3
    {"sz3",
     ONE(DESC("64", "float64",
              PIPE("none", "none",
                   COMP("sz3") ",\"sz3_error_bound_mode\":\"abs\",\"sz3_error_bound\":0.01"))),
     f64, 512, 0, NULL},
#endif
    {"rle bitmask", ONE(DESC("100", "bitmask", PIPE("none", "none", COMP("rle")))), bits, 13, 1,
     NULL},
    {"roaring bitmask", ONE(DESC("100", "bitmask", PIPE("none", "none", COMP("roaring")))), bits,
     13, 1, NULL},
    {"masks rle/roaring/zstd", ONE(DESC("12", "float32", PLAIN)), f32, 48, 0, &mask_rle},
    {"masks blosc2/lz4", ONE(DESC("12", "float32", PLAIN)), f32, 48, 0, &mask_blosc2},
};

static void init_data(void) {
    for (int i = 0; i < 64; i++) {
        f64[i] = 250.0 + i * 0.75;
    }
    for (int i = 0; i < 12; i++) {
        f32[i] = (float)i;
    }
    f32[2] = NAN;
    f32[5] = INFINITY;
    f32[8] = -INFINITY;
    for (int i = 0; i < 40; i++) {
        u16[i] = (uint16_t)(i * 31 % 200);
    }
    for (int i = 0; i < 13; i++) {
        bits[i] = (uint8_t)(i % 3 ? 0 : 0xf1);
    }
    bits[12] &= 0xf0; /* 100 bits: the last 4 stay clear */
}

static op make_op(const char *name, tgm_error (*run)(op *), int (*check)(op *),
                  void (*release)(op *)) {
    op o;
    memset(&o, 0, sizeof o);
    o.name = name;
    o.run = run;
    o.check = check;
    o.release = release;
    return o;
}

static void test_pipelines(void) {
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const pipeline_case *c = &cases[i];
        char name[96] = "";
        op o = make_op(name, run_encode, check_encode, release_all);
        o.json = c->json;
        o.data[0] = c->data;
        o.lens[0] = c->len;
        o.nobj = 1;
        o.masks = c->masks;
        o.lossless = c->lossless;
        snprintf(name, sizeof name, "encode %s", c->name);
        sweep(&o);

        /* a clean message for the decode paths */
        tgm_bytes_t msg = {NULL, 0};
        TT_ASSERT(tgm_encode_with_options(c->json, o.data, o.lens, 1, "xxh3", 1, c->masks, &msg) ==
                  TGM_ERROR_OK);
        op d = make_op(name, run_decode, check_message, release_all);
        d.msg = &msg;
        d.nobj = 1;
        snprintf(name, sizeof name, "decode %s", c->name);
        sweep(&d);
        d.run = run_decode_object;
        snprintf(name, sizeof name, "decode_object %s", c->name);
        sweep(&d);
        d.run = run_descriptors;
        snprintf(name, sizeof name, "decode_encoded %s", c->name);
        sweep(&d);
        /* pipelines with partial decode (no shuffle, no bitmask, codec none,
         * szip, zfp or blosc2; not the stream codecs zstd, lz4, sz3) */
        if (strstr(c->json, "bitmask") == NULL && strstr(c->json, "shuffle") == NULL &&
            strstr(c->json, "\"compression\":\"zstd\"") == NULL &&
            strstr(c->json, "\"compression\":\"lz4\"") == NULL &&
            strstr(c->json, "\"compression\":\"sz3\"") == NULL) {
            op r = make_op(name, run_range, check_parts, release_all);
            r.msg = &msg;
            snprintf(name, sizeof name, "decode_range %s", c->name);
            sweep(&r);
        }
        op v = make_op(name, run_validate, check_validate, release_all);
        v.msg = &msg;
        snprintf(name, sizeof name, "validate %s", c->name);
        sweep(&v);
        if (i == 0) {
            op j = make_op(name, run_json_doc, check_json_doc, release_all);
            j.msg = &msg;
            snprintf(name, sizeof name, "json document");
            sweep(&j);
        }
        tgm_bytes_free(msg);
    }
}

static void test_two_objects(void) {
    static const char *json = "{\"descriptors\":[" DESC("64", "float64", PLAIN) "," DESC(
        "40", "uint16",
        PIPE("none", "none",
             COMP("zstd"))) "],"
                            "\"base\":[{\"mars\":{\"param\":\"2t\"}},{\"name\":\"u\"}],"
                            "\"source\":\"alloc\",\"list\":[1,2.5,\"x\"]}";
    char name[64] = "";
    op o = make_op(name, run_encode, check_encode, release_all);
    o.json = json;
    o.data[0] = (const uint8_t *)f64;
    o.lens[0] = 512;
    o.data[1] = (const uint8_t *)u16;
    o.lens[1] = 80;
    o.nobj = 2;
    o.lossless = 1;
    snprintf(name, sizeof name, "encode two objects");
    sweep(&o);
    tgm_bytes_t msg = {NULL, 0};
    TT_ASSERT(tgm_encode(json, o.data, o.lens, 2, "xxh3", 1, &msg) == TGM_ERROR_OK);

    op m = make_op(name, run_metadata, check_metadata, release_all);
    m.msg = &msg;
    snprintf(name, sizeof name, "metadata access");
    sweep(&m);
    op it = make_op(name, run_iterate, check_sum_only, release_plain);
    it.msg = &msg;
    snprintf(name, sizeof name, "iterate and scan");
    sweep(&it);
    op f = make_op(name, run_file, check_sum_only, release_plain);
    f.msg = &msg;
    f.json = json;
    f.data[0] = o.data[0];
    f.data[1] = o.data[1];
    f.lens[0] = o.lens[0];
    f.lens[1] = o.lens[1];
    f.nobj = 2;
    snprintf(name, sizeof name, "file");
    sweep(&f);
    unlink(tmp_path);
    tgm_bytes_free(msg);
}

/* Objects large enough for the thread pool (above
 * TGM_PARALLEL_THRESHOLD_BYTES): failures inside worker threads. */
static double big[3 * 8192];

static void test_parallel(void) {
    for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
        big[i] = (double)(i % 977) * 0.5;
    }
    static const char *json = "{\"descriptors\":[" DESC(
        "24576", "float64",
        PIPE("simple_packing", "none",
             "\"sp_bits_per_value\":16," COMP(
                 "zstd"))) "," DESC("24576", "float64",
                                    PIPE("none", "shuffle",
                                         "\"shuffle_element_size\":8," COMP("lz4"))) "]}";
    char name[64] = "";
    op o = make_op(name, run_encode, check_encode, release_all);
    o.json = json;
    o.data[0] = o.data[1] = (const uint8_t *)big;
    o.lens[0] = o.lens[1] = sizeof big;
    o.nobj = 2;
    o.threads = 4;
    snprintf(name, sizeof name, "encode, 4 threads");
    sweep(&o);
    tgm_bytes_t msg = {NULL, 0};
    TT_ASSERT(tgm_encode(json, o.data, o.lens, 2, "xxh3", 1, &msg) == TGM_ERROR_OK);
    op d = make_op(name, run_decode, check_message, release_all);
    d.msg = &msg;
    d.threads = 4;
    snprintf(name, sizeof name, "decode, 4 threads");
    sweep(&d);
    tgm_bytes_free(msg);
}

static void test_streaming(void) {
    op o = make_op("streaming encoder", run_stream, check_stream, release_all);
    o.json = DESC("40", "uint16", PIPE("none", "none", COMP("lz4")));
    o.data[0] = (const uint8_t *)u16;
    o.lens[0] = 80;
    sweep(&o);
}

int main(void) {
    if (!tgm__alloc_injection_enabled()) {
        printf("SKIP: built without TGM_ALLOC_INJECTION\n");
        return 77;
    }
    snprintf(tmp_path, sizeof tmp_path, "/tmp/tgm-alloc-%ld.tgm", (long)getpid());
    init_data();
    TT_RUN(test_pipelines);
    TT_RUN(test_two_objects);
    TT_RUN(test_streaming);
    TT_RUN(test_parallel);
    printf("%zu operations, %zu runs with a failed allocation, %zu of them reported an error\n",
           swept_ops, swept_runs, failed_runs);
    return tt_finish("test_alloc_failure");
}
