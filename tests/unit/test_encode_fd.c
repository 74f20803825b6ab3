/* tgm_encode_ex_fd: with a fixed provenance (TENSOGRAM_PROVENANCE) the
 * bytes written must be, byte for byte, those tgm_encode_ex returns for
 * the same metadata, values and options: 0 to 40 objects (more pieces than
 * one writev takes), empty and multi-chunk payloads, hashes off / on in
 * every aggregate placement, a filter and a compressor (payloads from the
 * pipeline's output), NaN masks.  Input errors write nothing; a write
 * error is TGM_ERROR_IO. */
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tensogram/tensogram.h"
#include "tt.h"

#define PROV                                                                                       \
    "{\"encoder\":{\"name\":\"tensogram\",\"version\":\"0.0.0\"},\"time\":\"2026-01-01T00:00:"     \
    "00Z\",\"uuid\":\"00000000-0000-4000-8000-000000000000\"}"

/* A temporary file, unlinked at once: only its descriptor is used. */
static int temp_fd(void) {
    char path[] = "/tmp/tgm_encode_fd_XXXXXX";
    int fd = mkstemp(path);
    if (fd >= 0) {
        unlink(path);
    }
    return fd;
}

/* The whole content of fd. */
static uint8_t *read_back(int fd, size_t *len) {
    off_t end = lseek(fd, 0, SEEK_END);
    uint8_t *p = malloc(end > 0 ? (size_t)end : 1);
    size_t got = 0;
    while (p != NULL && got < (size_t)end) {
        ssize_t r = pread(fd, p + got, (size_t)end - got, (off_t)got);
        if (r <= 0) {
            break;
        }
        got += (size_t)r;
    }
    *len = got;
    return p;
}

static void meta_text(char *out, size_t cap, size_t n, const size_t *elems, const char *pipe) {
    size_t at = (size_t)snprintf(out, cap, "{\"base\":[");
    for (size_t i = 0; i < n; i++) {
        at += (size_t)snprintf(out + at, cap - at, "%s{\"name\":\"v%zu\"}", i ? "," : "", i);
    }
    at += (size_t)snprintf(out + at, cap - at, "],\"_extra_\":{\"k\":1},\"descriptors\":[");
    for (size_t i = 0; i < n; i++) {
        at += (size_t)snprintf(out + at, cap - at,
                               "%s{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[%zu],\"strides\":[1],"
                               "\"dtype\":\"float32\",\"byte_order\":\"little\",%s}",
                               i ? "," : "", elems[i], pipe);
    }
    snprintf(out + at, cap - at, "]}");
}

/* Encode both ways; true when the file holds exactly tgm_encode_ex's bytes
 * after `prefix` bytes already in the file. */
static bool same_both_ways(const char *meta, float **src, const size_t *lens, size_t n,
                           const tgm_encode_options *o) {
    tgm_bytes_t ref = {NULL, 0};
    tgm_error e = tgm_encode_ex(meta, (const uint8_t *const *)src, lens, n, o, &ref);
    if (e != TGM_ERROR_OK) {
        fprintf(stderr, "tgm_encode_ex: %s\n", tgm_last_error());
        return false;
    }
    int fd = temp_fd();
    static const char prefix[5] = "abcde"; /* a message after other bytes */
    bool ok = fd >= 0 && write(fd, prefix, sizeof prefix) == (ssize_t)sizeof prefix;
    uint64_t written = 0;
    e = tgm_encode_ex_fd(meta, (const uint8_t *const *)src, lens, n, o, fd, &written);
    if (e != TGM_ERROR_OK) {
        fprintf(stderr, "tgm_encode_ex_fd: %s\n", tgm_last_error());
        ok = false;
    }
    size_t len = 0;
    uint8_t *got = ok ? read_back(fd, &len) : NULL;
    ok = ok && got != NULL && written == ref.len && len == sizeof prefix + ref.len &&
         memcmp(got, prefix, sizeof prefix) == 0 &&
         memcmp(got + sizeof prefix, ref.data, ref.len) == 0;
    free(got);
    if (fd >= 0) {
        close(fd);
    }
    tgm_bytes_free(ref);
    return ok;
}

static void test_identical(void) {
    static const size_t counts[] = {0, 1, 3, 40};
    static const char *const hashes[] = {NULL, "xxh3"};
    static const char *const aggregates[] = {"header", "footer", "both", "none"};
    static const char *const pipes[] = {
        "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"none\"",
        "\"encoding\":\"none\",\"filter\":\"shuffle\",\"shuffle_element_size\":4,"
        "\"compression\":\"none\"",
        "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"lz4\""};
    char *meta = malloc(1 << 16);
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
        size_t n = counts[c];
        float *src[40];
        size_t elems[40], lens[40];
        for (size_t i = 0; i < n; i++) {
            /* Empty, small, and longer than the emitter's 32 KiB chunk. */
            elems[i] = i % 3 == 0 ? 70000 + i : i % 3 == 1 ? 0 : 5 + i;
            lens[i] = elems[i] * 4;
            src[i] = malloc(lens[i] ? lens[i] : 1);
            for (size_t k = 0; k < elems[i]; k++) {
                src[i][k] = (float)((k * 2654435761u + i) % 1000) * 0.25f;
            }
        }
        for (size_t p = 0; p < sizeof pipes / sizeof pipes[0]; p++) {
            meta_text(meta, 1 << 16, n, elems, pipes[p]);
            for (size_t h = 0; h < 2; h++) {
                for (size_t g = 0; g < (h ? 4u : 1u); g++) {
                    tgm_encode_options o = TGM_ENCODE_OPTIONS_INIT;
                    o.hash_algo = hashes[h];
                    o.aggregate_hash = aggregates[g];
                    o.threads = n == 3 ? 2 : 0;
                    if (!same_both_ways(meta, src, lens, n, &o)) {
                        fprintf(stderr, "  case: %zu objects, pipeline %zu, hash %s, %s\n", n, p,
                                hashes[h] ? hashes[h] : "none", aggregates[g]);
                        TT_CHECK(false);
                    } else {
                        TT_CHECK(true);
                    }
                }
            }
        }
        for (size_t i = 0; i < n; i++) {
            free(src[i]);
        }
    }
    free(meta);
}

static void test_nonfinite(void) {
    size_t elems[1] = {50000}, lens[1] = {200000};
    float *src[1] = {malloc(lens[0])};
    for (size_t k = 0; k < elems[0]; k++) {
        src[0][k] = (float)k;
    }
    src[0][40000] = NAN; /* in the second chunk: found after the first was hashed */
    char meta[4096];
    meta_text(meta, sizeof meta, 1, elems,
              "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"none\"");
    /* Refused: nothing is written. */
    tgm_encode_options o = TGM_ENCODE_OPTIONS_INIT;
    o.hash_algo = "xxh3";
    int fd = temp_fd();
    TT_ASSERT(fd >= 0);
    uint64_t written = 7;
    TT_CHECK_ERR(tgm_encode_ex_fd(meta, (const uint8_t *const *)src, lens, 1, &o, fd, &written),
                 TGM_ERROR_ENCODING);
    TT_CHECK(strstr(tgm_last_error(), "NaN") != NULL);
    TT_CHECK_EQ_INT(lseek(fd, 0, SEEK_END), 0);
    TT_CHECK_EQ_INT(written, 7);
    close(fd);
    /* Allowed: masked, the same bytes as in memory. */
    TgmEncodeMaskOptions mo = {0};
    mo.allow_nan = true;
    mo.small_mask_threshold_bytes = -1;
    o.mask_options = &mo;
    TT_CHECK(same_both_ways(meta, src, lens, 1, &o));
    free(src[0]);
}

static void test_errors(void) {
    size_t elems[1] = {4}, lens[1] = {16};
    float v[4] = {1, 2, 3, 4};
    float *src[1] = {v};
    char meta[4096];
    meta_text(meta, sizeof meta, 1, elems,
              "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"none\"");
    const uint8_t *const *data = (const uint8_t *const *)src;
    TT_CHECK_ERR(tgm_encode_ex_fd(meta, data, lens, 1, NULL, -1, NULL), TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm_encode_ex_fd(NULL, data, lens, 1, NULL, 1, NULL), TGM_ERROR_INVALID_ARG);
    /* A wrong object count or length: nothing written. */
    int fd = temp_fd();
    TT_ASSERT(fd >= 0);
    size_t bad[1] = {12};
    TT_CHECK(tgm_encode_ex_fd(meta, data, bad, 1, NULL, fd, NULL) != TGM_ERROR_OK);
    TT_CHECK(tgm_encode_ex_fd(meta, data, lens, 2, NULL, fd, NULL) != TGM_ERROR_OK);
    TT_CHECK_EQ_INT(lseek(fd, 0, SEEK_END), 0);
    close(fd);
    /* A descriptor that cannot be written. */
    int rd = open("/dev/null", O_RDONLY);
    TT_ASSERT(rd >= 0);
    TT_CHECK_ERR(tgm_encode_ex_fd(meta, data, lens, 1, NULL, rd, NULL), TGM_ERROR_IO);
    TT_CHECK(strstr(tgm_last_error(), "descriptor") != NULL);
    close(rd);
}

int main(void) {
    setenv("TENSOGRAM_PROVENANCE", PROV, 1);
    TT_RUN(test_identical);
    TT_RUN(test_nonfinite);
    TT_RUN(test_errors);
    return tt_finish("test_encode_fd");
}
