/* Concurrency: threads decoding the same buffers and reading the same file
 * handle at the same time (tgm_decode, tgm_decode_object,
 * tgm_decode_range, metadata access, scanning, file reads, decodes and
 * iteration) must get exactly what a single-threaded run gets, and their
 * error details must stay their own (tgm_last_error is per thread).
 *
 * The file handle is opened but not yet scanned when the threads start,
 * so its lazy first scan races as well, and one more thread appends
 * messages to the same handle meanwhile (readers look only at the
 * messages that were there from the start).  Run under ThreadSanitizer
 * (-DTGM_TSAN=ON) to catch data races that happen not to change a result. */
#include "tt.h"

#include <math.h>
#include <pthread.h>
#include <unistd.h>

#include "tensogram/tensogram.h"

#define NTHREADS 6
#define ROUNDS 24

typedef struct msg {
    tgm_bytes_t bytes;
    size_t nobj;
    int ranged; /* object 0 supports decode_range */
} msg;

#define NMSG 6
static msg msgs[NMSG];
static uint8_t *all;
static size_t all_len;
static char path[64];
static tgm_file_t *shared_file;
static pthread_barrier_t start;

static double f64[16384];
static uint16_t u16[3000];
static float f32[64];

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        h = (h ^ b[i]) * 1099511628211u;
    }
    return h;
}

static uint64_t sum_message(const tgm_message_t *m) {
    uint64_t h = 1469598103934665603u;
    for (size_t i = 0; i < tgm_message_num_objects(m); i++) {
        size_t n = 0;
        const uint8_t *d = tgm_object_data(m, i, &n);
        h = fnv(h, &n, sizeof n);
        if (d != NULL) {
            h = fnv(h, d, n);
        }
        const char *j = tgm_object_descriptor_json(m, i);
        h = fnv(h, j, strlen(j));
    }
    tgm_metadata_t *md = NULL;
    if (tgm_message_metadata(m, &md) == TGM_ERROR_OK) {
        const char *j = tgm_metadata_to_json(md);
        h = fnv(h, j, strlen(j));
        tgm_metadata_free(md);
    }
    return h;
}

/* Everything one thread does with the buffers, digested.  `threads` is
 * the library's own thread budget for each call. */
static uint64_t buffer_work(uint32_t threads) {
    uint64_t h = 17;
    for (size_t k = 0; k < NMSG; k++) {
        const msg *mg = &msgs[k];
        tgm_message_t *m = NULL;
        if (tgm_decode(mg->bytes.data, mg->bytes.len, 1, threads, (int32_t)(k % 2), &m) !=
            TGM_ERROR_OK) {
            return 0;
        }
        h = fnv(h, &(uint64_t){sum_message(m)}, 8);
        tgm_message_free(m);
        for (size_t i = 0; i < mg->nobj; i++) {
            tgm_error e = tgm_decode_object(mg->bytes.data, mg->bytes.len, i, 0, threads,
                                            (int32_t)(k % 2), &m);
            if (e != TGM_ERROR_OK) {
                return 0;
            }
            h = fnv(h, &(uint64_t){sum_message(m)}, 8);
            tgm_message_free(m);
        }
        if (mg->ranged) {
            uint64_t off[3] = {0, 5, 17}, cnt[3] = {3, 10, 1};
            tgm_bytes_t out[1];
            size_t got = 0;
            if (tgm_decode_range(mg->bytes.data, mg->bytes.len, 0, off, cnt, 3, 1, threads, 1, out,
                                 &got) != TGM_ERROR_OK) {
                return 0;
            }
            h = fnv(h, out[0].data, out[0].len);
            tgm_bytes_free(out[0]);
        }
        tgm_metadata_t *md = NULL;
        if (tgm_decode_metadata(mg->bytes.data, mg->bytes.len, &md) != TGM_ERROR_OK) {
            return 0;
        }
        const char *j = tgm_metadata_to_json(md);
        h = fnv(h, j, strlen(j));
        const char *s = tgm_metadata_get_string(md, "mars.param");
        h = fnv(h, s ? s : "-", s ? strlen(s) : 1);
        tgm_metadata_free(md);
    }
    tgm_scan_result_t *sr = NULL;
    if (tgm_scan(all, all_len, &sr) != TGM_ERROR_OK) {
        return 0;
    }
    for (size_t i = 0; i < tgm_scan_count(sr); i++) {
        tgm_scan_entry_t e = tgm_scan_entry(sr, i);
        h = fnv(h, &e, sizeof e);
    }
    tgm_scan_free(sr);
    return h;
}

/* Everything one thread does with the shared file handle. */
static uint64_t file_work(tgm_file_t *f, uint32_t threads) {
    uint64_t h = 29;
    size_t count = 0;
    /* A writer thread may be appending: only the first NMSG messages are
     * known, and the count can only grow. */
    if (tgm_file_message_count(f, &count) != TGM_ERROR_OK || count < NMSG) {
        return 0;
    }
    for (size_t k = 0; k < NMSG; k++) {
        tgm_message_t *m = NULL;
        if (tgm_file_decode_message(f, k, 1, threads, (int32_t)(k % 2), &m) != TGM_ERROR_OK) {
            return 0;
        }
        h = fnv(h, &(uint64_t){sum_message(m)}, 8);
        tgm_message_free(m);
        if (tgm_file_decode_object(f, k, 0, 1, threads, 0, &m) != TGM_ERROR_OK) {
            return 0;
        }
        h = fnv(h, &(uint64_t){sum_message(m)}, 8);
        tgm_message_free(m);
        tgm_bytes_t raw = {NULL, 0};
        if (tgm_file_read_message(f, k, &raw) != TGM_ERROR_OK) {
            return 0;
        }
        h = fnv(h, raw.data, raw.len);
        tgm_bytes_free(raw);
        tgm_metadata_t *md = NULL;
        if (tgm_file_decode_metadata(f, k, &md) != TGM_ERROR_OK) {
            return 0;
        }
        const char *j = tgm_metadata_to_json(md);
        h = fnv(h, j, strlen(j));
        tgm_metadata_free(md);
        if (msgs[k % NMSG].ranged) {
            uint64_t off = 2, cnt = 7;
            tgm_bytes_t part;
            size_t got = 0;
            if (tgm_file_decode_range(f, k, 0, &off, &cnt, 1, 1, threads, 1, &part, &got) !=
                TGM_ERROR_OK) {
                return 0;
            }
            h = fnv(h, part.data, part.len);
            tgm_bytes_free(part);
        }
    }
    tgm_file_iter_t *it = NULL;
    if (tgm_file_iter_create(f, &it) != TGM_ERROR_OK) {
        return 0;
    }
    for (size_t k = 0; k < NMSG; k++) {
        tgm_bytes_t b = {NULL, 0};
        tgm_error e = tgm_file_iter_next(it, &b);
        if (e != TGM_ERROR_OK) {
            tgm_file_iter_free(it);
            return 0;
        }
        h = fnv(h, b.data, b.len);
        tgm_bytes_free(b);
    }
    tgm_file_iter_free(it);
    return h;
}

/* A failing call whose detail names this thread's own input. */
static int own_error(size_t id) {
    uint8_t junk[64];
    memset(junk, 0, sizeof junk);
    memcpy(junk, "TENSOGRM", 8);
    junk[9] = (uint8_t)(100 + id); /* wire version 100 + id */
    tgm_message_t *m = NULL;
    tgm_error e = tgm_decode(junk, sizeof junk, 1, 1, 0, &m);
    const char *d = tgm_last_error();
    char want[48];
    snprintf(want, sizeof want, "unsupported message version %zu ", 100 + id);
    return e != TGM_ERROR_OK && d != NULL && strstr(d, want) != NULL;
}

/* Appends whole messages to the shared handle while the readers run. */
#define APPENDS 24
static int appends_ok;

static void *append_work(void *arg) {
    (void)arg;
    pthread_barrier_wait(&start);
    appends_ok = 1;
    for (size_t i = 0; i < APPENDS; i++) {
        const msg *mg = &msgs[i % NMSG];
        if (tgm_file_append_raw(shared_file, mg->bytes.data, mg->bytes.len) != TGM_ERROR_OK) {
            appends_ok = 0;
        }
        if (i % 6 == 0) {
            size_t n = 0; /* the index grows under the readers' feet */
            if (tgm_file_message_count(shared_file, &n) != TGM_ERROR_OK || n < NMSG + i + 1) {
                appends_ok = 0;
            }
        }
    }
    return NULL;
}

typedef struct worker {
    size_t id;
    uint64_t buf_sum, file_sum;
    int errors_ok;
} worker;

static uint64_t want_buf, want_file;

static void *work(void *arg) {
    worker *w = arg;
    pthread_barrier_wait(&start);
    w->errors_ok = 1;
    /* First touch of the shared file: its lazy scan races here. */
    w->file_sum = file_work(shared_file, (w->id % 2) ? 2 : 1);
    for (int r = 0; r < ROUNDS; r++) {
        uint32_t threads = (uint32_t)(1 + (w->id + r) % 3);
        uint64_t b = buffer_work(threads);
        if (b != want_buf) {
            w->buf_sum = b;
            return NULL;
        }
        if (r % 4 == 0 && file_work(shared_file, threads) != want_file) {
            w->file_sum = 0;
            return NULL;
        }
        if (!own_error(w->id)) {
            w->errors_ok = 0;
        }
    }
    w->buf_sum = want_buf;
    return NULL;
}

static void add(size_t k, const char *json, const void *const *data, const size_t *lens, size_t n,
                int ranged, const TgmEncodeMaskOptions *mo) {
    /* odd messages carry hashes (and are decoded with verification) */
    tgm_error e = tgm_encode_with_options(json, (const uint8_t *const *)data, lens, n,
                                          k % 2 ? "xxh3" : NULL, 1, mo, &msgs[k].bytes);
    if (e != TGM_ERROR_OK) {
        fprintf(stderr, "encode %zu: %s\n", k, tgm_last_error());
        tt_failures++;
        return;
    }
    msgs[k].nobj = n;
    msgs[k].ranged = ranged;
}

#define DESC(shape, dtype, pipeline)                                                               \
    "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[" shape "],\"strides\":[1],\"dtype\":\"" dtype    \
    "\",\"byte_order\":\"little\"," pipeline "}"

static void make_inputs(void) {
    for (int i = 0; i < 16384; i++) {
        f64[i] = 273.15 + 20.0 * ((i * 37) % 101) / 101.0;
    }
    for (int i = 0; i < 3000; i++) {
        u16[i] = (uint16_t)((i * i) % 6007);
    }
    for (int i = 0; i < 64; i++) {
        f32[i] = (float)i - 10.0f;
    }
    f32[3] = NAN;
    f32[40] = -INFINITY;
    const void *d1[1] = {f64};
    size_t l1[1] = {sizeof f64};
    add(0,
        "{\"descriptors\":[" DESC("16384", "float64",
                                  "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":"
                                  "\"none\"") "],\"mars\":{\"param\":\"2t\"}}",
        d1, l1, 1, 1, NULL);
    add(1,
        "{\"descriptors\":[" DESC("16384", "float64",
                                  "\"encoding\":\"simple_packing\",\"sp_bits_per_value\":16,"
                                  "\"filter\":\"none\",\"compression\":\"szip\",\"szip_rsi\":32,"
                                  "\"szip_block_size\":16,\"szip_flags\":8") "]}",
        d1, l1, 1, 1, NULL);
    const void *d2[2] = {u16, f64};
    size_t l2[2] = {sizeof u16, sizeof f64};
    add(2,
        "{\"descriptors\":[" DESC(
            "3000", "uint16",
            "\"encoding\":\"none\",\"filter\":\"shuffle\","
            "\"shuffle_element_size\":2,\"compression\":\"zstd\"") "," DESC("16384", "float64",
                                                                            "\"encoding\":\"none\","
                                                                            "\"filter\":\"none\","
                                                                            "\"compression\":"
                                                                            "\"lz4\"") "],"
                                                                                       "\"base\":[{"
                                                                                       "\"mars\":{"
                                                                                       "\"param\":"
                                                                                       "\"u\"}},{}]"
                                                                                       "}",
        d2, l2, 2, 0, NULL);
    const void *d3[1] = {u16};
    size_t l3[1] = {sizeof u16};
    add(3,
        "{\"descriptors\":[" DESC("3000", "uint16",
                                  "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":"
                                  "\"blosc2\",\"blosc2_codec\":\"zstd\"") "]}",
        d3, l3, 1, 1, NULL);
    add(4,
        "{\"descriptors\":[" DESC("16384", "float64",
                                  "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":"
                                  "\"zfp\",\"zfp_mode\":\"fixed_rate\",\"zfp_rate\":20") "]}",
        d1, l1, 1, 1, NULL);
    const void *d4[1] = {f32};
    size_t l4[1] = {sizeof f32};
    static const TgmEncodeMaskOptions mo = {true, true, "rle", "roaring", "none", 0};
    add(5,
        "{\"descriptors\":[" DESC("64", "float32",
                                  "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":"
                                  "\"zstd\"") "]}",
        d4, l4, 1, 0, &mo);

    for (size_t k = 0; k < NMSG; k++) {
        all_len += msgs[k].bytes.len;
    }
    all = malloc(all_len);
    size_t pos = 0;
    for (size_t k = 0; k < NMSG; k++) {
        memcpy(all + pos, msgs[k].bytes.data, msgs[k].bytes.len);
        pos += msgs[k].bytes.len;
    }
    snprintf(path, sizeof path, "/tmp/tgm-concurrency-%ld.tgm", (long)getpid());
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(all, 1, all_len, f) != all_len) {
        tt_failures++;
    }
    if (f != NULL) {
        fclose(f);
    }
}

static void test_concurrent_readers(void) {
    /* The single-threaded reference run. */
    want_buf = buffer_work(1);
    TT_ASSERT(want_buf != 0);
    tgm_file_t *f = NULL;
    TT_ASSERT(tgm_file_open(path, &f) == TGM_ERROR_OK);
    want_file = file_work(f, 1);
    tgm_file_close(f);
    TT_ASSERT(want_file != 0);
    /* Results do not depend on the library's own thread count either. */
    TT_CHECK(buffer_work(4) == want_buf);

    TT_ASSERT(tgm_file_open(path, &shared_file) == TGM_ERROR_OK);
    pthread_t th[NTHREADS], writer;
    worker w[NTHREADS];
    pthread_barrier_init(&start, NULL, NTHREADS + 1);
    for (size_t i = 0; i < NTHREADS; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].id = i;
        TT_ASSERT(pthread_create(&th[i], NULL, work, &w[i]) == 0);
    }
    TT_ASSERT(pthread_create(&writer, NULL, append_work, NULL) == 0);
    for (size_t i = 0; i < NTHREADS; i++) {
        pthread_join(th[i], NULL);
    }
    pthread_join(writer, NULL);
    pthread_barrier_destroy(&start);
    TT_CHECK(appends_ok);
    size_t count = 0;
    TT_CHECK(tgm_file_message_count(shared_file, &count) == TGM_ERROR_OK);
    TT_CHECK_EQ_INT(count, NMSG + APPENDS);
    for (size_t i = 0; i < NTHREADS; i++) {
        TT_CHECK(w[i].buf_sum == want_buf);
        TT_CHECK(w[i].file_sum == want_file);
        TT_CHECK(w[i].errors_ok);
    }
    tgm_file_close(shared_file);
}

int main(void) {
    make_inputs();
    TT_RUN(test_concurrent_readers);
    for (size_t k = 0; k < NMSG; k++) {
        tgm_bytes_free(msgs[k].bytes);
    }
    free(all);
    unlink(path);
    return tt_finish("test_concurrency");
}
