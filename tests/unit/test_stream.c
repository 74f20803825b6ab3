/* Streaming encoder: byte-for-byte reproduction of the reference's
 * streamed messages, decoding of our output by every read path, files
 * holding several streamed messages, preceder rules and merging, bounded
 * memory, the failure cases (nothing written on refused input, I/O errors
 * carry the path), and the additions (fd / memory outputs, back-filling,
 * finish-and-reset, aggregate-hash placement). */
#include "tt.h"

#include <fcntl.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/endian.h"
#include "common/error.h"
#include "io/io.h"
#include "stream/stream.h"
#include "tensogram/tensogram.h"
#include "json/json.h"

static char dir[256];
static const char *shared;

static const char *tmp_path(const char *name) {
    static char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return p;
}

static const char *F32_DESC =
    "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[4],\"strides\":[1],\"dtype\":\"float32\","
    "\"byte_order\":\"little\",\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"none\"}";

/* arange(4) + base as little-endian float32, as the fixtures' generator. */
static void ramp_le(float base, uint8_t out[16]) {
    for (int i = 0; i < 4; i++) {
        float f = base + (float)i;
        uint32_t u;
        memcpy(&u, &f, 4);
        out[4 * i] = (uint8_t)u;
        out[4 * i + 1] = (uint8_t)(u >> 8);
        out[4 * i + 2] = (uint8_t)(u >> 16);
        out[4 * i + 3] = (uint8_t)(u >> 24);
    }
}

static const char *fixture_meta(int i) {
    static char buf[128];
    snprintf(buf, sizeof buf, "{\"base\":[{\"fixture\":{\"msg_index\":%d,\"shape\":[4]}}]}", i);
    return buf;
}

static char *text_of(const tgm_value_t *v) {
    size_t n;
    const char *s = tgm_value_as_string(v, &n);
    if (s == NULL) {
        return NULL;
    }
    char *r = malloc(n + 1);
    memcpy(r, s, n);
    r[n] = '\0';
    return r;
}

/* Fix our provenance to the one stored in a reference message (its
 * footer metadata), so that our bytes can be compared with its. */
static int use_provenance_of(const uint8_t *msg, size_t len) {
    tgm_message_t *m = NULL;
    tgm_metadata_t *md = NULL;
    int ok = 0;
    if (tgm_decode(msg, len, 1, 0, 0, &m) != TGM_ERROR_OK ||
        tgm_message_metadata(m, &md) != TGM_ERROR_OK) {
        tgm_message_free(m);
        return 0;
    }
    const tgm_value_t *r = tgm_metadata_reserved(md);
    const tgm_value_t *enc = tgm_value_map_get(r, "encoder");
    char *name = text_of(tgm_value_map_get(enc, "name"));
    char *version = text_of(tgm_value_map_get(enc, "version"));
    char *time = text_of(tgm_value_map_get(r, "time"));
    char *uuid = text_of(tgm_value_map_get(r, "uuid"));
    if (name && version && time && uuid) {
        char env[512];
        snprintf(
            env, sizeof env,
            "{\"encoder\":{\"name\":\"%s\",\"version\":\"%s\"},\"time\":\"%s\",\"uuid\":\"%s\"}",
            name, version, time, uuid);
        setenv("TENSOGRAM_PROVENANCE", env, 1);
        ok = 1;
    }
    free(name);
    free(version);
    free(time);
    free(uuid);
    tgm_metadata_free(md);
    tgm_message_free(m);
    return ok;
}

/* Frame headers of every message in buf: positions of their flags' low
 * byte (message start + frame offset + 7).  Walks preamble, frames (each
 * padded to 8 from the message start) and postamble. */
static size_t flag_bytes(const uint8_t *buf, size_t len, size_t *pos, size_t cap) {
    size_t n = 0, at = 0;
    while (at + 24 <= len && memcmp(buf + at, "TENSOGRM", 8) == 0) {
        size_t p = at + 24;
        while (p + 16 <= len && memcmp(buf + p, "FR", 2) == 0) {
            if (n < cap) {
                pos[n++] = p + 7;
            }
            uint64_t fl = tgm__rd_be64(buf + p + 8);
            size_t rel = p - at + (size_t)fl;
            p = at + ((rel + 7) & ~(size_t)7);
        }
        at = p + 24;
    }
    return n;
}

/* Our bytes against a reference file written by tensogram 0.19.0.  That
 * version wrote the per-frame HASH_PRESENT flag (frame flags bit 1,
 * WIRE_FORMAT §2.5) as 0 even when it filled the hash slots; the 0.24
 * encoder we follow sets it.  That bit of the frame headers is the only
 * difference allowed; every other byte (hash slots, CBOR, offsets,
 * lengths) must match.  Returns the number of frame flags that differed,
 * or -1 on any other difference. */
static long compare_with_reference(const uint8_t *ours, size_t ours_len, const uint8_t *ref,
                                   size_t ref_len, const char *what) {
    if (ours_len != ref_len) {
        fprintf(stderr, "%s: %zu bytes, reference has %zu\n", what, ours_len, ref_len);
        return -1;
    }
    size_t pos[4096];
    size_t nflags = flag_bytes(ours, ours_len, pos, 4096);
    long flag_diffs = 0;
    size_t k = 0;
    for (size_t i = 0; i < ours_len; i++) {
        while (k < nflags && pos[k] < i) {
            k++;
        }
        if (ours[i] == ref[i]) {
            continue;
        }
        if (k < nflags && pos[k] == i && ours[i] == (ref[i] | 2u)) {
            flag_diffs++;
            continue;
        }
        fprintf(stderr, "%s: first difference at byte %zu: %02x, reference %02x\n", what, i,
                ours[i], ref[i]);
        return -1;
    }
    return flag_diffs;
}

static size_t count_frames(const uint8_t *buf, size_t len) {
    size_t pos[1024];
    return flag_bytes(buf, len, pos, 1024);
}

/* Frame types of the message at buf[0], in order. */
static size_t frame_types(const uint8_t *buf, size_t len, uint16_t *types, size_t cap) {
    size_t m = 0, p = 24;
    while (p + 16 <= len && memcmp(buf + p, "FR", 2) == 0 && m < cap) {
        types[m++] = tgm__rd_be16(buf + p + 2);
        p = (p + (size_t)tgm__rd_be64(buf + p + 8) + 7) & ~(size_t)7;
    }
    return m;
}

/* Offset of the first frame of `type` in the message at buf[0], or 0. */
static size_t frame_offset(const uint8_t *buf, size_t len, uint16_t type) {
    size_t p = 24;
    while (p + 16 <= len && memcmp(buf + p, "FR", 2) == 0) {
        if (tgm__rd_be16(buf + p + 2) == type) {
            return p;
        }
        p = (p + (size_t)tgm__rd_be64(buf + p + 8) + 7) & ~(size_t)7;
    }
    return 0;
}

static int contains(const uint8_t *buf, size_t from, size_t to, const char *needle) {
    size_t n = strlen(needle);
    for (size_t i = from; i + n <= to; i++) {
        if (memcmp(buf + i, needle, n) == 0) {
            return 1;
        }
    }
    return 0;
}

static tgm_streaming_options opts_hash(void) {
    tgm_streaming_options o = TGM_STREAMING_OPTIONS_INIT;
    o.hash_algo = "xxh3";
    return o;
}

/* One fixture-style message from a memory encoder. */
static tgm_error encode_fixture_msg(int i, int backfill, tgm_bytes_t *out) {
    tgm_streaming_options o = opts_hash();
    tgm_streaming_encoder_t *e = NULL;
    tgm_error r = tgm_streaming_encoder_create_memory(fixture_meta(i), &o, &e);
    if (r != TGM_ERROR_OK) {
        return r;
    }
    uint8_t v[16];
    ramp_le((float)i, v);
    r = tgm_streaming_encoder_write(e, F32_DESC, v, sizeof v);
    if (r == TGM_ERROR_OK) {
        r = backfill ? tgm_streaming_encoder_finish_backfilled(e) : tgm_streaming_encoder_finish(e);
    }
    if (r == TGM_ERROR_OK) {
        r = tgm_streaming_encoder_take(e, out);
    }
    tgm_streaming_encoder_free(e);
    return r;
}

static unsigned char *load_ref(const char *name, size_t *len) {
    char path[4096];
    snprintf(path, sizeof path, "%s/remote-parity/%s", shared, name);
    return tt_read_file(path, len);
}

/* ---- the reference's streamed messages ----------------------------------------- */

static void test_reference_single(void) {
    if (shared == NULL) {
        return;
    }
    size_t len;
    unsigned char *ref = load_ref("single-msg-footer.tgm", &len);
    TT_ASSERT(ref != NULL);
    TT_ASSERT(use_provenance_of(ref, len));
    tgm_bytes_t b = {NULL, 0};
    TT_CHECK_ERR(encode_fixture_msg(0, 1, &b), TGM_ERROR_OK);
    /* 5 frames: HeaderMetadata, NTensorFrame, FooterMetadata, FooterHash,
     * FooterIndex, each with HASH_PRESENT in our output. */
    TT_CHECK_EQ_INT(compare_with_reference(b.data, b.len, ref, len, "single-msg-footer"), 5);
    uint16_t t[8];
    TT_CHECK_EQ_INT(frame_types(b.data, b.len, t, 8), 5);
    TT_CHECK(t[0] == 1 && t[1] == 9 && t[2] == 7 && t[3] == 5 && t[4] == 6);
    /* Preamble flags 0xeb; both lengths back-filled; first_footer_offset
     * points at the FooterMetadata frame. */
    TT_CHECK_EQ_INT(tgm__rd_be16(b.data + 10), 0xeb);
    TT_CHECK_EQ_INT(tgm__rd_be64(b.data + 16), b.len);
    TT_CHECK_EQ_INT(tgm__rd_be64(b.data + b.len - 16), b.len);
    TT_CHECK_EQ_INT(tgm__rd_be64(b.data + b.len - 24), 256);
    TT_CHECK(memcmp(b.data + 256, "FR\0\x07", 4) == 0);

    /* The plain finish differs only in the two length fields. */
    tgm_bytes_t p = {NULL, 0};
    TT_CHECK_ERR(encode_fixture_msg(0, 0, &p), TGM_ERROR_OK);
    TT_CHECK_EQ_INT(p.len, b.len);
    if (p.len == b.len) {
        TT_CHECK_EQ_INT(tgm__rd_be64(p.data + 16), 0);
        TT_CHECK_EQ_INT(tgm__rd_be64(p.data + p.len - 16), 0);
        memcpy(p.data + 16, b.data + 16, 8);
        memcpy(p.data + p.len - 16, b.data + b.len - 16, 8);
        TT_CHECK(memcmp(p.data, b.data, b.len) == 0);
    }
    tgm_bytes_free(p);
    tgm_bytes_free(b);
    unsetenv("TENSOGRAM_PROVENANCE");
    free(ref);
}

/* ten-msg-footer.tgm rebuilt through one file descriptor: ten encoders
 * one after the other, each message back-filled at a non-zero file offset. */
static void test_reference_ten_via_fd(void) {
    if (shared == NULL) {
        return;
    }
    size_t len;
    unsigned char *ref = load_ref("ten-msg-footer.tgm", &len);
    TT_ASSERT(ref != NULL);
    tgm_scan_result_t *sr = NULL;
    TT_ASSERT(tgm_scan(ref, len, &sr) == TGM_ERROR_OK);
    TT_ASSERT(tgm_scan_count(sr) == 10);
    int fd = open(tmp_path("ten.tgm"), O_RDWR | O_CREAT | O_TRUNC, 0644);
    TT_ASSERT(fd >= 0);
    for (int i = 0; i < 10; i++) {
        tgm_scan_entry_t en = tgm_scan_entry(sr, (size_t)i);
        TT_ASSERT(use_provenance_of(ref + en.offset, en.length));
        tgm_streaming_options o = opts_hash();
        tgm_streaming_encoder_t *e = NULL;
        TT_ASSERT(tgm_streaming_encoder_create_fd(fd, fixture_meta(i), &o, &e) == TGM_ERROR_OK);
        uint8_t v[16];
        ramp_le((float)i, v);
        TT_CHECK_ERR(tgm_streaming_encoder_write(e, F32_DESC, v, sizeof v), TGM_ERROR_OK);
        TT_CHECK_EQ_INT(tgm_streaming_encoder_count(e), 1);
        TT_CHECK_ERR(tgm_streaming_encoder_finish_backfilled(e), TGM_ERROR_OK);
        TT_CHECK_EQ_INT(tgm_streaming_encoder_count(e), 0);
        tgm_streaming_encoder_free(e);
    }
    close(fd);
    unsetenv("TENSOGRAM_PROVENANCE");
    size_t olen;
    unsigned char *ours = tt_read_file(tmp_path("ten.tgm"), &olen);
    TT_ASSERT(ours != NULL);
    TT_CHECK_EQ_INT(compare_with_reference(ours, olen, ref, len, "ten-msg-footer"), 50);
    free(ours);
    tgm_scan_free(sr);
    free(ref);
}

/* streaming-tail.tgm: nine buffered messages, then one streamed message
 * finished without back-filling (total_length 0 in both places). */
static void test_reference_streaming_tail(void) {
    if (shared == NULL) {
        return;
    }
    size_t len;
    unsigned char *ref = load_ref("streaming-tail.tgm", &len);
    TT_ASSERT(ref != NULL);
    tgm_scan_result_t *sr = NULL;
    TT_ASSERT(tgm_scan(ref, len, &sr) == TGM_ERROR_OK);
    TT_ASSERT(tgm_scan_count(sr) == 10);
    int fd = open(tmp_path("tail.tgm"), O_RDWR | O_CREAT | O_TRUNC, 0644);
    TT_ASSERT(fd >= 0);
    for (int i = 0; i < 10; i++) {
        tgm_scan_entry_t en = tgm_scan_entry(sr, (size_t)i);
        TT_ASSERT(use_provenance_of(ref + en.offset, en.length));
        uint8_t v[16];
        ramp_le((float)i, v);
        if (i < 9) {
            char meta[512];
            snprintf(meta, sizeof meta,
                     "{\"base\":[{\"fixture\":{\"msg_index\":%d,\"shape\":[4]}}],"
                     "\"descriptors\":[%s]}",
                     i, F32_DESC);
            const uint8_t *ptrs[1] = {v};
            size_t lens[1] = {16};
            tgm_bytes_t b;
            TT_ASSERT(tgm_encode(meta, ptrs, lens, 1, "xxh3", 0, &b) == TGM_ERROR_OK);
            TT_ASSERT(write(fd, b.data, b.len) == (ssize_t)b.len);
            tgm_bytes_free(b);
        } else {
            tgm_streaming_options o = opts_hash();
            tgm_streaming_encoder_t *e = NULL;
            TT_ASSERT(tgm_streaming_encoder_create_fd(fd, fixture_meta(i), &o, &e) == TGM_ERROR_OK);
            TT_CHECK_ERR(tgm_streaming_encoder_write(e, F32_DESC, v, sizeof v), TGM_ERROR_OK);
            TT_CHECK_ERR(tgm_streaming_encoder_finish(e), TGM_ERROR_OK);
            tgm_streaming_encoder_free(e);
        }
    }
    close(fd);
    unsetenv("TENSOGRAM_PROVENANCE");
    size_t olen;
    unsigned char *ours = tt_read_file(tmp_path("tail.tgm"), &olen);
    TT_ASSERT(ours != NULL);
    TT_CHECK(compare_with_reference(ours, olen, ref, len, "streaming-tail") > 0);
    /* The streamed message is the last one: lengths left at zero. */
    tgm_scan_entry_t last = tgm_scan_entry(sr, 9);
    TT_CHECK_EQ_INT(tgm__rd_be64(ours + last.offset + 16), 0);
    TT_CHECK_EQ_INT(tgm__rd_be64(ours + olen - 16), 0);
    free(ours);
    tgm_scan_free(sr);
    free(ref);
}

/* ---- decoding our output -------------------------------------------------------- */

static const char *desc_f64(size_t n, const char *pipeline) {
    static char buf[512];
    snprintf(buf, sizeof buf,
             "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[%zu],\"strides\":[1],"
             "\"dtype\":\"float64\",\"byte_order\":\"little\",%s}",
             n, pipeline);
    return buf;
}

#define PIPE_NONE "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"none\""
#define PIPE_ZSTD                                                                                  \
    "\"encoding\":\"none\",\"filter\":\"shuffle\",\"shuffle_element_size\":8,\"compression\":"     \
    "\"zstd\""
#define PIPE_SP_SZIP                                                                               \
    "\"encoding\":\"simple_packing\",\"sp_bits_per_value\":16,\"filter\":\"none\","                \
    "\"compression\":\"szip\",\"szip_rsi\":128,\"szip_block_size\":16,\"szip_flags\":8"

/* Three objects (raw, shuffle+zstd, simple_packing+szip), a preceder on
 * the first and the third, message-level extras. */
static tgm_error build_three(int backfill, tgm_bytes_t *out, double *v, size_t n) {
    tgm_streaming_options o = opts_hash();
    tgm_streaming_encoder_t *e = NULL;
    tgm_error r = tgm_streaming_encoder_create_memory(
        "{\"base\":[{\"param\":\"t\",\"units\":\"C\"},{\"param\":\"u\"}],\"centre\":\"ecmwf\"}", &o,
        &e);
    if (r != TGM_ERROR_OK) {
        return r;
    }
    const uint8_t *p = (const uint8_t *)v;
    size_t nb = n * sizeof(double);
    if ((r = tgm_streaming_encoder_write_preceder(e, "{\"units\":\"K\",\"level\":850}")) ||
        (r = tgm_streaming_encoder_write(e, desc_f64(n, PIPE_NONE), p, nb)) ||
        (r = tgm_streaming_encoder_write(e, desc_f64(n, PIPE_ZSTD), p, nb)) ||
        (r = tgm_streaming_encoder_write_preceder(e, "{\"param\":\"q\"}")) ||
        (r = tgm_streaming_encoder_write(e, desc_f64(n, PIPE_SP_SZIP), p, nb)) ||
        (r = backfill ? tgm_streaming_encoder_finish_backfilled(e)
                      : tgm_streaming_encoder_finish(e)) ||
        (r = tgm_streaming_encoder_take(e, out))) {
        tgm_streaming_encoder_free(e);
        return r;
    }
    tgm_streaming_encoder_free(e);
    return TGM_ERROR_OK;
}

static void check_three(const uint8_t *buf, size_t len, const double *v, size_t n) {
    tgm_message_t *m = NULL;
    TT_ASSERT(tgm_decode(buf, len, 1, 0, 1, &m) == TGM_ERROR_OK);
    TT_CHECK_EQ_INT(tgm_message_num_objects(m), 3);
    for (size_t i = 0; i < 3 && i < tgm_message_num_objects(m); i++) {
        size_t dl;
        const double *d = (const double *)(const void *)tgm_object_data(m, i, &dl);
        TT_CHECK_EQ_INT(dl, n * 8);
        double maxerr = 0;
        for (size_t k = 0; k < n; k++) {
            double err = fabs(d[k] - v[k]);
            maxerr = err > maxerr ? err : maxerr;
        }
        TT_CHECK(i < 2 ? maxerr == 0 : maxerr < 1e-3);
        TT_CHECK_EQ_STR(tgm_object_hash_type(m, i), "xxh3");
    }
    TT_CHECK_EQ_STR(tgm_object_compression(m, 2), "szip");
    tgm_metadata_t *md = NULL;
    TT_ASSERT(tgm_message_metadata(m, &md) == TGM_ERROR_OK);
    /* Preceder keys win over base; base keys the preceder lacks stay. */
    TT_CHECK_EQ_STR(tgm_metadata_get_string_at(md, 0, "units"), "K");
    TT_CHECK_EQ_STR(tgm_metadata_get_string_at(md, 0, "param"), "t");
    TT_CHECK_EQ_INT(tgm_metadata_get_int_at(md, 0, "level", -1), 850);
    TT_CHECK_EQ_STR(tgm_metadata_get_string_at(md, 1, "param"), "u");
    TT_CHECK_EQ_STR(tgm_metadata_get_string_at(md, 2, "param"), "q");
    TT_CHECK_EQ_STR(tgm_metadata_get_string(md, "centre"), "ecmwf");
    /* _reserved_.tensor filled by the encoder, next to the preceder keys. */
    const tgm_value_t *shape = tgm_value_map_get(
        tgm_value_map_get(tgm_value_map_get(tgm_metadata_object(md, 0), "_reserved_"), "tensor"),
        "shape");
    TT_CHECK(shape != NULL && tgm_value_array_len(shape) == 1);
    TT_CHECK(tgm_value_map_len(tgm_metadata_reserved(md)) == 3); /* encoder, time, uuid */
    tgm_metadata_free(md);
    tgm_message_free(m);

    /* Metadata only: the header frame comes first, as the reference reads it. */
    TT_ASSERT(tgm_decode_metadata(buf, len, &md) == TGM_ERROR_OK);
    TT_CHECK_EQ_STR(tgm_metadata_get_string(md, "centre"), "ecmwf");
    tgm_metadata_free(md);

    /* One object through the footer index, element ranges. */
    for (size_t i = 0; i < 3; i++) {
        TT_ASSERT(tgm_decode_object(buf, len, i, 1, 0, 1, &m) == TGM_ERROR_OK);
        size_t dl;
        const double *d = (const double *)(const void *)tgm_object_data(m, 0, &dl);
        TT_CHECK(dl == n * 8 && fabs(d[n - 1] - v[n - 1]) < 1e-3);
        tgm_message_free(m);
        uint64_t off = 10, cnt = 5;
        tgm_bytes_t part = {NULL, 0};
        size_t np;
        /* not with the shuffle filter of object 1 */
        TT_CHECK_ERR(tgm_decode_range(buf, len, i, &off, &cnt, 1, 1, 0, 1, &part, &np),
                     i == 1 ? TGM_ERROR_ENCODING : TGM_ERROR_OK);
        if (part.data != NULL) {
            const double *pd = (const double *)(const void *)part.data;
            TT_CHECK(part.len == 40 && fabs(pd[0] - v[10]) < 1e-3 && fabs(pd[4] - v[14]) < 1e-3);
            tgm_bytes_free(part);
        }
    }
    TT_CHECK_ERR(tgm_decode_object(buf, len, 3, 1, 0, 0, &m), TGM_ERROR_OBJECT);
    tgm_scan_result_t *sr = NULL;
    TT_ASSERT(tgm_scan(buf, len, &sr) == TGM_ERROR_OK);
    TT_CHECK_EQ_INT(tgm_scan_count(sr), 1);
    TT_CHECK_EQ_INT(tgm_scan_entry(sr, 0).length, len);
    tgm_scan_free(sr);
}

static void test_decode_our_output(void) {
    enum { N = 1000 };
    double v[N];
    for (size_t k = 0; k < N; k++) {
        v[k] = 250.0 + 30.0 * sin((double)k * 0.01);
    }
    for (int backfill = 0; backfill < 2; backfill++) {
        tgm_bytes_t b = {NULL, 0};
        TT_ASSERT(build_three(backfill, &b, v, N) == TGM_ERROR_OK);
        TT_CHECK_EQ_INT(tgm__rd_be64(b.data + 16), backfill ? b.len : 0);
        uint16_t t[16];
        size_t nt = frame_types(b.data, b.len, t, 16);
        /* Header metadata, preceder, object, object, preceder, object,
         * footer metadata, footer hash, footer index. */
        static const uint16_t expect[] = {1, 8, 9, 9, 8, 9, 7, 5, 6};
        TT_CHECK_EQ_INT(nt, 9);
        TT_CHECK(nt == 9 && memcmp(t, expect, sizeof expect) == 0);
        check_three(b.data, b.len, v, N);
        tgm_bytes_free(b);
    }
}

/* ---- files with several streamed messages ------------------------------------------ */

static void test_file_of_streams(void) {
    const char *path = tmp_path("streams.tgm");
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    TT_ASSERT(fd >= 0);
    uint8_t v[16];
    /* Message 0 back-filled, 1-3 from one encoder through finish_and_reset
     * (plain, back-filled, plain), then a buffered message appended. */
    tgm_streaming_options o = opts_hash();
    tgm_streaming_encoder_t *e = NULL;
    TT_ASSERT(tgm_streaming_encoder_create_fd(fd, fixture_meta(0), &o, &e) == TGM_ERROR_OK);
    ramp_le(0, v);
    TT_CHECK_ERR(tgm_streaming_encoder_write(e, F32_DESC, v, 16), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_streaming_encoder_finish_backfilled(e), TGM_ERROR_OK);
    tgm_streaming_encoder_free(e);
    TT_ASSERT(tgm_streaming_encoder_create_fd(fd, fixture_meta(1), &o, &e) == TGM_ERROR_OK);
    for (int i = 1; i <= 3; i++) {
        ramp_le((float)i, v);
        TT_CHECK_ERR(tgm_streaming_encoder_write(e, F32_DESC, v, 16), TGM_ERROR_OK);
        if (i < 3) {
            tgm_bytes_t none = {(uint8_t *)1, 1};
            TT_CHECK_ERR(tgm_streaming_encoder_finish_and_reset(e, i == 2, &none), TGM_ERROR_OK);
            TT_CHECK(none.data == NULL && none.len == 0);
            TT_CHECK_EQ_INT(tgm_streaming_encoder_count(e), 0);
        }
    }
    TT_CHECK_ERR(tgm_streaming_encoder_finish(e), TGM_ERROR_OK);
    tgm_streaming_encoder_free(e);
    close(fd);

    tgm_file_t *f = NULL;
    TT_ASSERT(tgm_file_open(path, &f) == TGM_ERROR_OK);
    char meta[512];
    snprintf(meta, sizeof meta, "{\"base\":[{\"fixture\":{\"msg_index\":4}}],\"descriptors\":[%s]}",
             F32_DESC);
    ramp_le(4, v);
    const uint8_t *ptrs[1] = {v};
    size_t lens[1] = {16};
    TT_CHECK_ERR(tgm_file_append(f, meta, ptrs, lens, 1, "xxh3", 0), TGM_ERROR_OK);
    size_t count = 0;
    TT_CHECK_ERR(tgm_file_message_count(f, &count), TGM_ERROR_OK);
    TT_CHECK_EQ_INT(count, 5);
    for (size_t i = 0; i < count; i++) {
        tgm_message_t *m = NULL;
        TT_CHECK_ERR(tgm_file_decode_message(f, i, 1, 0, 1, &m), TGM_ERROR_OK);
        if (m != NULL) {
            size_t dl;
            const float *d = (const float *)(const void *)tgm_object_data(m, 0, &dl);
            TT_CHECK(dl == 16 && d[0] == (float)i && d[3] == (float)(i + 3));
            tgm_message_free(m);
        }
        /* Per-message access through the footer index. */
        TT_CHECK_ERR(tgm_file_decode_object(f, i, 0, 1, 0, 1, &m), TGM_ERROR_OK);
        tgm_message_free(m);
    }
    tgm_file_close(f);

    size_t len;
    unsigned char *buf = tt_read_file(path, &len);
    TT_ASSERT(buf != NULL);
    tgm_scan_result_t *sr = NULL;
    TT_ASSERT(tgm_scan(buf, len, &sr) == TGM_ERROR_OK);
    TT_CHECK_EQ_INT(tgm_scan_count(sr), 5);
    uint64_t expect_len[5] = {1, 0, 1, 0, 1}; /* 1: real length stored */
    size_t end = 0;
    for (size_t i = 0; i < tgm_scan_count(sr) && i < 5; i++) {
        tgm_scan_entry_t en = tgm_scan_entry(sr, i);
        TT_CHECK_EQ_INT(en.offset, end);
        end = en.offset + en.length;
        uint64_t stored = tgm__rd_be64(buf + en.offset + 16);
        TT_CHECK_EQ_INT(stored, expect_len[i] ? en.length : 0);
        TT_CHECK_EQ_INT(tgm__rd_be64(buf + end - 16), stored);
    }
    TT_CHECK_EQ_INT(end, len);
    tgm_scan_free(sr);
    free(buf);
}

/* The reference API: a path, plain finish; free without finish. */
static void test_path_encoder(void) {
    const char *path = tmp_path("path.tgm");
    tgm_streaming_encoder_t *e = NULL;
    TT_ASSERT(tgm_streaming_encoder_create(path, "{\"version\":3}", "xxh3", 0, &e) == TGM_ERROR_OK);
    float v[3] = {1, 2, 3};
    TT_CHECK_ERR(tgm_streaming_encoder_write(
                     e,
                     "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[3],\"strides\":[4],"
                     "\"dtype\":\"float32\",\"encoding\":\"none\",\"filter\":\"none\","
                     "\"compression\":\"none\"}",
                     (const uint8_t *)v, sizeof v),
                 TGM_ERROR_OK);
    uint64_t before = tgm_streaming_encoder_bytes_written(e);
    TT_CHECK(before > 0 && before % 8 == 0);
    TT_CHECK_ERR(tgm_streaming_encoder_finish(e), TGM_ERROR_OK);
    TT_CHECK_EQ_INT(tgm_streaming_encoder_bytes_written(e), 0);
    TT_CHECK_ERR(tgm_streaming_encoder_finish(e), TGM_ERROR_INVALID_ARG);
    TT_CHECK(strstr(tgm_last_error(), "already finished") != NULL);
    TT_CHECK_ERR(tgm_streaming_encoder_write(e, F32_DESC, (const uint8_t *)v, 12),
                 TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm_streaming_encoder_write_preceder(e, "{}"), TGM_ERROR_INVALID_ARG);
    tgm_bytes_t b;
    TT_CHECK_ERR(tgm_streaming_encoder_take(e, &b), TGM_ERROR_INVALID_ARG);
    tgm_streaming_encoder_free(e);

    tgm_file_t *f = NULL;
    TT_ASSERT(tgm_file_open(path, &f) == TGM_ERROR_OK);
    size_t count = 0;
    TT_CHECK_ERR(tgm_file_message_count(f, &count), TGM_ERROR_OK);
    TT_CHECK_EQ_INT(count, 1);
    tgm_message_t *m = NULL;
    TT_CHECK_ERR(tgm_file_decode_message(f, 0, 1, 0, 1, &m), TGM_ERROR_OK);
    if (m != NULL) {
        size_t dl;
        const float *d = (const float *)(const void *)tgm_object_data(m, 0, &dl);
        TT_CHECK(dl == 12 && d[2] == 3.0f);
        TT_CHECK_EQ_STR(tgm_object_hash_type(m, 0), "xxh3");
        tgm_message_free(m);
    }
    tgm_file_close(f);
    size_t len;
    unsigned char *buf = tt_read_file(path, &len);
    TT_ASSERT(buf != NULL);
    TT_CHECK_EQ_INT(tgm__rd_be64(buf + 16), 0); /* the reference's finish: no back-fill */
    free(buf);

    /* With options: hashing, no aggregate, back-filled. */
    tgm_streaming_options o = opts_hash();
    o.aggregate_hash = "none";
    TT_ASSERT(tgm_streaming_encoder_create_path(path, "{}", &o, &e) == TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_streaming_encoder_write(e, F32_DESC, (const uint8_t *)"0123456789abcdef", 16),
                 TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_streaming_encoder_finish_backfilled(e), TGM_ERROR_OK);
    tgm_streaming_encoder_free(e);
    buf = tt_read_file(path, &len);
    TT_ASSERT(buf != NULL);
    TT_CHECK(len > 0 && tgm__rd_be64(buf + 16) == len && tgm__rd_be64(buf + len - 16) == len);
    TT_CHECK_EQ_INT(tgm__rd_be16(buf + 10), 0xcb);
    free(buf);

    /* Free without finish: whole frames so far, no postamble; nothing
     * scans as a message. */
    const char *partial = tmp_path("partial.tgm");
    TT_ASSERT(tgm_streaming_encoder_create(partial, "{}", NULL, 0, &e) == TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_streaming_encoder_write_preceder(e, "{\"a\":1}"), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_streaming_encoder_write(e, F32_DESC, (const uint8_t *)"0123456789abcdef", 16),
                 TGM_ERROR_OK);
    before = tgm_streaming_encoder_bytes_written(e);
    tgm_streaming_encoder_free(e);
    buf = tt_read_file(partial, &len);
    TT_ASSERT(buf != NULL);
    TT_CHECK_EQ_INT(len, before);
    TT_CHECK_EQ_INT(count_frames(buf, len), 3);
    tgm_scan_result_t *sr = NULL;
    TT_CHECK(tgm_scan(buf, len, &sr) == TGM_ERROR_OK && tgm_scan_count(sr) == 0);
    tgm_scan_free(sr);
    free(buf);
}

/* The reference's own FFI checks: preceder keys reachable by message-level
 * lookup after a file decode; file and buffer paths report the same hash. */
static void test_reference_ffi_cases(void) {
    const char *path = tmp_path("ffi.tgm");
    tgm_streaming_encoder_t *e = NULL;
    TT_ASSERT(tgm_streaming_encoder_create(path, "{\"version\":3}", "xxh3", 0, &e) == TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_streaming_encoder_write_preceder(e, "{\"param\":\"2t\",\"source\":\"test\"}"),
                 TGM_ERROR_OK);
    uint8_t v[16];
    ramp_le(42, v);
    TT_CHECK_ERR(tgm_streaming_encoder_write(e, F32_DESC, v, 16), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_streaming_encoder_finish(e), TGM_ERROR_OK);
    tgm_streaming_encoder_free(e);
    tgm_file_t *f = NULL;
    TT_ASSERT(tgm_file_open(path, &f) == TGM_ERROR_OK);
    tgm_message_t *fm = NULL, *bm = NULL;
    TT_ASSERT(tgm_file_decode_message(f, 0, 0, 0, 0, &fm) == TGM_ERROR_OK);
    tgm_metadata_t *md = NULL;
    TT_ASSERT(tgm_message_metadata(fm, &md) == TGM_ERROR_OK);
    TT_CHECK_EQ_STR(tgm_metadata_get_string(md, "param"), "2t");
    TT_CHECK_EQ_INT(tgm_metadata_get_int(md, "version", -1), 3); /* legacy key, in _extra_ */
    tgm_metadata_free(md);
    size_t len;
    unsigned char *buf = tt_read_file(path, &len);
    TT_ASSERT(buf != NULL);
    TT_ASSERT(tgm_decode(buf, len, 0, 0, 0, &bm) == TGM_ERROR_OK);
    TT_CHECK_EQ_INT(tgm_payload_has_hash(fm, 0), 1);
    TT_CHECK(tgm_object_hash_value(fm, 0) != NULL && tgm_object_hash_value(bm, 0) != NULL &&
             strlen(tgm_object_hash_value(fm, 0)) == 16);
    TT_CHECK_EQ_STR(tgm_object_hash_value(fm, 0), tgm_object_hash_value(bm, 0));
    tgm_message_free(fm);
    tgm_message_free(bm);
    tgm_file_close(f);
    free(buf);
}

/* ---- preceders ------------------------------------------------------------------------- */

static void test_preceder_rules(void) {
    tgm_streaming_encoder_t *e = NULL;
    TT_ASSERT(tgm_streaming_encoder_create_memory("{}", NULL, &e) == TGM_ERROR_OK);
    uint8_t v[16];
    ramp_le(0, v);
    TT_CHECK_ERR(tgm_streaming_encoder_write_preceder(e, "[1,2,3]"), TGM_ERROR_METADATA);
    TT_CHECK_ERR(tgm_streaming_encoder_write_preceder(e, "{\"a\":"), TGM_ERROR_METADATA);
    TT_CHECK_ERR(tgm_streaming_encoder_write_preceder(e, "{\"_reserved_\":{\"x\":1}}"),
                 TGM_ERROR_METADATA);
    TT_CHECK(strstr(tgm_last_error(), "_reserved_") != NULL);
    uint64_t at = tgm_streaming_encoder_bytes_written(e);
    TT_CHECK_ERR(tgm_streaming_encoder_write_preceder(e, "{\"mars\":{\"param\":\"2t\"}}"),
                 TGM_ERROR_OK);
    TT_CHECK(tgm_streaming_encoder_bytes_written(e) > at);
    at = tgm_streaming_encoder_bytes_written(e);
    TT_CHECK_ERR(tgm_streaming_encoder_write_preceder(e, "{}"), TGM_ERROR_FRAMING);
    /* finish refused while the preceder waits; nothing written, still usable */
    TT_CHECK_ERR(tgm_streaming_encoder_finish(e), TGM_ERROR_FRAMING);
    TT_CHECK(strstr(tgm_last_error(), "dangling PrecederMetadata") != NULL);
    TT_CHECK_EQ_INT(tgm_streaming_encoder_bytes_written(e), at);
    /* a refused object keeps the preceder waiting */
    TT_CHECK_ERR(tgm_streaming_encoder_write(e, F32_DESC, v, 15), TGM_ERROR_METADATA);
    TT_CHECK_ERR(tgm_streaming_encoder_write(e, F32_DESC, v, 16), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_streaming_encoder_write_preceder(e, "{}"), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_streaming_encoder_write_pre_encoded(e, F32_DESC, v, 16), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_streaming_encoder_write(e, F32_DESC, v, 16), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_streaming_encoder_finish(e), TGM_ERROR_OK);
    tgm_bytes_t b = {NULL, 0};
    TT_CHECK_ERR(tgm_streaming_encoder_take(e, &b), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_streaming_encoder_take(e, &b), TGM_ERROR_INVALID_ARG);
    tgm_streaming_encoder_free(e);
    TT_ASSERT(b.data != NULL);
    uint16_t t[16];
    static const uint16_t expect[] = {1, 8, 9, 8, 9, 9, 7, 6}; /* no hashing: no FooterHash */
    TT_CHECK(frame_types(b.data, b.len, t, 16) == 8 && memcmp(t, expect, sizeof expect) == 0);
    TT_CHECK_EQ_INT(tgm__rd_be16(b.data + 10), 0x4b); /* no HASHES_PRESENT, no FOOTER_HASHES */
    tgm_message_t *m = NULL;
    TT_ASSERT(tgm_decode(b.data, b.len, 1, 0, 0, &m) == TGM_ERROR_OK);
    TT_CHECK_EQ_INT(tgm_message_num_objects(m), 3);
    TT_CHECK(tgm_object_hash_type(m, 0) == NULL);
    tgm_metadata_t *md = NULL;
    TT_ASSERT(tgm_message_metadata(m, &md) == TGM_ERROR_OK);
    TT_CHECK_EQ_STR(tgm_metadata_get_string_at(md, 0, "mars.param"), "2t");
    for (size_t i = 0; i < 3; i++) {
        const tgm_value_t *r = tgm_value_map_get(tgm_metadata_object(md, i), "_reserved_");
        TT_CHECK(tgm_value_map_get(tgm_value_map_get(r, "tensor"), "dtype") != NULL);
        TT_CHECK((tgm_value_map_get(tgm_metadata_object(md, i), "mars") != NULL) == (i == 0));
    }
    tgm_metadata_free(md);
    tgm_message_free(m);
    /* The footer metadata carries the preceder keys too, for readers that
     * skip preceder frames; the header metadata (written first) cannot. */
    size_t fm = frame_offset(b.data, b.len, 7);
    TT_CHECK(fm > 0 && contains(b.data, fm, fm + tgm__rd_be64(b.data + fm + 8), "mars"));
    TT_CHECK(!contains(b.data, 0, frame_offset(b.data, b.len, 8), "mars"));
    tgm_bytes_free(b);
}

/* ---- failures leave no trace ------------------------------------------------------ */

static void test_refused_objects_leave_no_trace(void) {
    setenv("TENSOGRAM_PROVENANCE",
           "{\"encoder\":{\"name\":\"tensogram\",\"version\":\"0.24.0\"},"
           "\"time\":\"2026-01-01T00:00:00Z\",\"uuid\":\"00000000-0000-4000-8000-000000000000\"}",
           1);
    uint8_t v[16];
    ramp_le(1, v);
    float nan4[4] = {1.0f, NAN, 2.0f, 3.0f};
    tgm_bytes_t good = {NULL, 0}, mixed = {NULL, 0};
    for (int pass = 0; pass < 2; pass++) {
        tgm_streaming_options o = opts_hash();
        tgm_streaming_encoder_t *e = NULL;
        TT_ASSERT(tgm_streaming_encoder_create_memory("{\"base\":[{\"a\":1}]}", &o, &e) ==
                  TGM_ERROR_OK);
        TT_CHECK_ERR(tgm_streaming_encoder_write(e, F32_DESC, v, 16), TGM_ERROR_OK);
        if (pass == 1) {
            uint64_t at = tgm_streaming_encoder_bytes_written(e);
            TT_CHECK_ERR(tgm_streaming_encoder_write(e, F32_DESC, v, 12), TGM_ERROR_METADATA);
            TT_CHECK_ERR(tgm_streaming_encoder_write(e, "{\"type\":", v, 16), TGM_ERROR_METADATA);
            TT_CHECK_ERR(tgm_streaming_encoder_write(e, "{\"type\":\"ntensor\"}", v, 16),
                         TGM_ERROR_METADATA);
            TT_CHECK_ERR(tgm_streaming_encoder_write(e, F32_DESC, (const uint8_t *)nan4, 16),
                         TGM_ERROR_ENCODING);
            TT_CHECK_ERR(tgm_streaming_encoder_write(
                             e,
                             "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[4],\"strides\":[1],"
                             "\"dtype\":\"float32\",\"encoding\":\"none\",\"filter\":\"none\","
                             "\"compression\":\"no_such_codec\"}",
                             v, 16),
                         TGM_ERROR_ENCODING);
            /* pre-encoded: the same checks as tgm_encode_pre_encoded */
            TT_CHECK_ERR(tgm_streaming_encoder_write_pre_encoded(
                             e,
                             "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[4],\"strides\":[1],"
                             "\"dtype\":\"float32\",\"encoding\":\"none\",\"filter\":\"none\","
                             "\"compression\":\"zstd\",\"szip_block_offsets\":[0]}",
                             v, 16),
                         TGM_ERROR_METADATA);
            TT_CHECK_EQ_INT(tgm_streaming_encoder_bytes_written(e), at);
            TT_CHECK_EQ_INT(tgm_streaming_encoder_count(e), 1);
        }
        TT_CHECK_ERR(tgm_streaming_encoder_write(e, F32_DESC, v, 16), TGM_ERROR_OK);
        TT_CHECK_ERR(tgm_streaming_encoder_finish(e), TGM_ERROR_OK);
        TT_CHECK_ERR(tgm_streaming_encoder_take(e, pass ? &mixed : &good), TGM_ERROR_OK);
        tgm_streaming_encoder_free(e);
    }
    unsetenv("TENSOGRAM_PROVENANCE");
    TT_CHECK(good.len > 0 && good.len == mixed.len && memcmp(good.data, mixed.data, good.len) == 0);
    tgm_bytes_free(good);
    tgm_bytes_free(mixed);
}

/* ---- edge cases, arguments -------------------------------------------------------- */

static void test_zero_objects(void) {
    tgm_streaming_options o = opts_hash();
    tgm_streaming_encoder_t *e = NULL;
    TT_ASSERT(tgm_streaming_encoder_create_memory("{\"note\":\"empty\",\"base\":[{\"x\":1}]}", &o,
                                                  &e) == TGM_ERROR_OK);
    TT_CHECK_EQ_INT(tgm_streaming_encoder_count(e), 0);
    TT_CHECK_ERR(tgm_streaming_encoder_finish_backfilled(e), TGM_ERROR_OK);
    tgm_bytes_t b = {NULL, 0};
    TT_CHECK_ERR(tgm_streaming_encoder_take(e, &b), TGM_ERROR_OK);
    tgm_streaming_encoder_free(e);
    TT_ASSERT(b.data != NULL);
    /* HeaderMetadata, FooterMetadata, FooterIndex: no FooterHash without
     * objects, though the preamble (written first) announces it, as the
     * reference does. */
    uint16_t t[8];
    TT_CHECK(frame_types(b.data, b.len, t, 8) == 3 && t[0] == 1 && t[1] == 7 && t[2] == 6);
    TT_CHECK_EQ_INT(tgm__rd_be16(b.data + 10), 0xeb);
    TT_CHECK_EQ_INT(tgm__rd_be64(b.data + 16), b.len);
    tgm_message_t *m = NULL;
    TT_ASSERT(tgm_decode(b.data, b.len, 1, 0, 1, &m) == TGM_ERROR_OK);
    TT_CHECK_EQ_INT(tgm_message_num_objects(m), 0);
    tgm_metadata_t *md = NULL;
    TT_ASSERT(tgm_message_metadata(m, &md) == TGM_ERROR_OK);
    TT_CHECK_EQ_STR(tgm_metadata_get_string(md, "note"), "empty");
    TT_CHECK_EQ_INT(tgm_metadata_num_objects(md), 0); /* the footer has no base */
    tgm_metadata_free(md);
    tgm_message_free(m);
    tgm_bytes_free(b);
}

static void test_arguments(void) {
    tgm_streaming_encoder_t *e = NULL;
    uint8_t v[16] = {0};
    tgm_streaming_options o = TGM_STREAMING_OPTIONS_INIT;
#define NULLARG(call)                                                                              \
    do {                                                                                           \
        TT_CHECK_ERR(call, TGM_ERROR_INVALID_ARG);                                                 \
        TT_CHECK_EQ_STR(tgm_last_error(), "null argument");                                        \
    } while (0)
    NULLARG(tgm_streaming_encoder_create(NULL, "{}", NULL, 0, &e));
    NULLARG(tgm_streaming_encoder_create(tmp_path("n.tgm"), NULL, NULL, 0, &e));
    NULLARG(tgm_streaming_encoder_create(tmp_path("n.tgm"), "{}", NULL, 0, NULL));
    NULLARG(tgm_streaming_encoder_create_with_options(NULL, "{}", NULL, 0, NULL, &e));
    NULLARG(tgm_streaming_encoder_create_path(NULL, "{}", &o, &e));
    NULLARG(tgm_streaming_encoder_create_fd(1, NULL, &o, &e));
    NULLARG(tgm_streaming_encoder_create_memory("{}", &o, NULL));
    NULLARG(tgm_streaming_encoder_write_preceder(NULL, "{}"));
    NULLARG(tgm_streaming_encoder_write(NULL, F32_DESC, v, 16));
    NULLARG(tgm_streaming_encoder_write_pre_encoded(NULL, F32_DESC, v, 16));
    NULLARG(tgm_streaming_encoder_finish(NULL));
    NULLARG(tgm_streaming_encoder_finish_backfilled(NULL));
    NULLARG(tgm_streaming_encoder_finish_and_reset(NULL, 0, NULL));
    NULLARG(tgm_streaming_encoder_take(NULL, NULL));
    TT_CHECK_EQ_INT(tgm_streaming_encoder_count(NULL), 0);
    TT_CHECK_EQ_INT(tgm_streaming_encoder_bytes_written(NULL), 0);
    tgm_streaming_encoder_free(NULL);
    TT_CHECK(access(tmp_path("n.tgm"), F_OK) != 0); /* never created */

    TT_ASSERT(tgm_streaming_encoder_create_memory("{}", &o, &e) == TGM_ERROR_OK);
    NULLARG(tgm_streaming_encoder_write_preceder(e, NULL));
    NULLARG(tgm_streaming_encoder_write(e, NULL, v, 16));
    NULLARG(tgm_streaming_encoder_write(e, F32_DESC, NULL, 16));
    NULLARG(tgm_streaming_encoder_finish_and_reset(e, 0, NULL)); /* memory: out required */
    TT_CHECK_ERR(tgm_streaming_encoder_take(e, &(tgm_bytes_t){NULL, 0}), TGM_ERROR_INVALID_ARG);
    TT_CHECK(strstr(tgm_last_error(), "not finished") != NULL);
    tgm_streaming_encoder_free(e);

    /* Bad inputs at creation: nothing is created. */
    const char *p = tmp_path("bad.tgm");
    TT_CHECK_ERR(tgm_streaming_encoder_create(p, "not json", NULL, 0, &e), TGM_ERROR_METADATA);
    TT_CHECK_ERR(tgm_streaming_encoder_create(p, "[]", NULL, 0, &e), TGM_ERROR_METADATA);
    TT_CHECK_ERR(tgm_streaming_encoder_create(p, "{\"descriptors\":[]}", NULL, 0, &e),
                 TGM_ERROR_METADATA);
    TT_CHECK_ERR(tgm_streaming_encoder_create(p, "{\"_reserved_\":{}}", NULL, 0, &e),
                 TGM_ERROR_METADATA);
    TT_CHECK_ERR(tgm_streaming_encoder_create(p, "{\"base\":[{\"_reserved_\":1}]}", NULL, 0, &e),
                 TGM_ERROR_METADATA);
    TT_CHECK_ERR(tgm_streaming_encoder_create(p, "{}", "md5", 0, &e), TGM_ERROR_INVALID_ARG);
    TgmEncodeMaskOptions mo = {true, false, "bogus", NULL, NULL, -1};
    TT_CHECK_ERR(tgm_streaming_encoder_create_with_options(p, "{}", NULL, 0, &mo, &e),
                 TGM_ERROR_INVALID_ARG);
    o.aggregate_hash = "header";
    TT_CHECK_ERR(tgm_streaming_encoder_create_path(p, "{}", &o, &e), TGM_ERROR_ENCODING);
    o.aggregate_hash = "both";
    TT_CHECK_ERR(tgm_streaming_encoder_create_path(p, "{}", &o, &e), TGM_ERROR_ENCODING);
    o.aggregate_hash = "sideways";
    TT_CHECK_ERR(tgm_streaming_encoder_create_path(p, "{}", &o, &e), TGM_ERROR_INVALID_ARG);
    o.aggregate_hash = NULL;
    o.size = 4;
    TT_CHECK_ERR(tgm_streaming_encoder_create_path(p, "{}", &o, &e), TGM_ERROR_INVALID_ARG);
    TT_CHECK(access(p, F_OK) != 0);

    /* I/O: the path is in the message. */
    TT_CHECK_ERR(tgm_streaming_encoder_create(tmp_path("no/such/dir.tgm"), "{}", NULL, 0, &e),
                 TGM_ERROR_IO);
    TT_CHECK(strstr(tgm_last_error(), "no/such/dir.tgm") != NULL);
    if (access("/dev/full", W_OK) == 0) {
        TT_CHECK_ERR(tgm_streaming_encoder_create("/dev/full", "{}", NULL, 0, &e), TGM_ERROR_IO);
        TT_CHECK(strstr(tgm_last_error(), "/dev/full") != NULL);
    }
    TT_CHECK_ERR(tgm_streaming_encoder_create_fd(-1, "{}", NULL, &e), TGM_ERROR_INVALID_ARG);
    int fd = open(tmp_path("closed.tgm"), O_WRONLY | O_CREAT, 0644);
    close(fd);
    TT_CHECK_ERR(tgm_streaming_encoder_create_fd(fd, "{}", NULL, &e), TGM_ERROR_IO);
}

/* O_APPEND descriptors and pipes cannot be patched: the back-filled
 * finish leaves the lengths at 0 there, as §9.4 says. */
static void test_unseekable_outputs(void) {
    const char *path = tmp_path("append.tgm");
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
    TT_ASSERT(fd >= 0);
    for (int i = 0; i < 2; i++) {
        tgm_streaming_encoder_t *e = NULL;
        TT_ASSERT(tgm_streaming_encoder_create_fd(fd, "{}", NULL, &e) == TGM_ERROR_OK);
        TT_CHECK_ERR(
            tgm_streaming_encoder_write(e, F32_DESC, (const uint8_t *)"0123456789abcdef", 16),
            TGM_ERROR_OK);
        TT_CHECK_ERR(tgm_streaming_encoder_finish_backfilled(e), TGM_ERROR_OK);
        tgm_streaming_encoder_free(e);
    }
    close(fd);
    size_t len;
    unsigned char *buf = tt_read_file(path, &len);
    TT_ASSERT(buf != NULL);
    tgm_scan_result_t *sr = NULL;
    TT_ASSERT(tgm_scan(buf, len, &sr) == TGM_ERROR_OK);
    TT_CHECK_EQ_INT(tgm_scan_count(sr), 2);
    TT_CHECK_EQ_INT(tgm__rd_be64(buf + 16), 0);
    TT_CHECK_EQ_INT(tgm__rd_be64(buf + len - 16), 0);
    tgm_scan_free(sr);
    free(buf);

    int pfd[2];
    TT_ASSERT(pipe(pfd) == 0);
    tgm_streaming_encoder_t *e = NULL;
    TT_ASSERT(tgm_streaming_encoder_create_fd(pfd[1], "{}", NULL, &e) == TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_streaming_encoder_write(e, F32_DESC, (const uint8_t *)"0123456789abcdef", 16),
                 TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_streaming_encoder_finish_backfilled(e), TGM_ERROR_OK);
    tgm_streaming_encoder_free(e);
    close(pfd[1]);
    uint8_t got[4096];
    ssize_t n = 0, r;
    while ((r = read(pfd[0], got + n, sizeof got - (size_t)n)) > 0) {
        n += r;
    }
    close(pfd[0]);
    TT_CHECK(n > 48 && tgm__rd_be64(got + 16) == 0);
    tgm_message_t *m = NULL;
    TT_CHECK_ERR(tgm_decode(got, (size_t)n, 1, 0, 0, &m), TGM_ERROR_OK);
    tgm_message_free(m);
}

static void test_memory_reset_and_options(void) {
    /* finish_and_reset in memory: independent messages, own provenance. */
    tgm_streaming_options o = opts_hash();
    o.aggregate_hash = "none";
    tgm_streaming_encoder_t *e = NULL;
    TT_ASSERT(tgm_streaming_encoder_create_memory("{\"run\":7}", &o, &e) == TGM_ERROR_OK);
    tgm_bytes_t parts[3];
    uint8_t v[16];
    for (int i = 0; i < 3; i++) {
        ramp_le((float)i, v);
        TT_CHECK_ERR(tgm_streaming_encoder_write(e, F32_DESC, v, 16), TGM_ERROR_OK);
        TT_CHECK_ERR(tgm_streaming_encoder_finish_and_reset(e, i != 1, &parts[i]), TGM_ERROR_OK);
    }
    tgm_streaming_encoder_free(e); /* the fourth message is abandoned */
    size_t total = 0;
    for (int i = 0; i < 3; i++) {
        total += parts[i].len;
    }
    uint8_t *all = malloc(total);
    size_t at = 0;
    for (int i = 0; i < 3; i++) {
        TT_CHECK_EQ_INT(tgm__rd_be64(parts[i].data + 16), i != 1 ? parts[i].len : 0);
        /* aggregate "none": HASHES_PRESENT without FOOTER_HASHES, no FooterHash */
        TT_CHECK_EQ_INT(tgm__rd_be16(parts[i].data + 10), 0xcb);
        uint16_t t[8];
        TT_CHECK(frame_types(parts[i].data, parts[i].len, t, 8) == 4 && t[3] == 6);
        tgm_message_t *m = NULL;
        TT_CHECK_ERR(tgm_decode(parts[i].data, parts[i].len, 1, 0, 1, &m), TGM_ERROR_OK);
        if (m != NULL) {
            size_t dl;
            const float *d = (const float *)(const void *)tgm_object_data(m, 0, &dl);
            TT_CHECK(dl == 16 && d[0] == (float)i);
            tgm_message_free(m);
        }
        memcpy(all + at, parts[i].data, parts[i].len);
        at += parts[i].len;
    }
    TT_CHECK(parts[0].len > 100 && memcmp(parts[0].data + parts[0].len - 120,
                                          parts[2].data + parts[2].len - 120, 60) != 0);
    tgm_scan_result_t *sr = NULL;
    TT_CHECK(tgm_scan(all, total, &sr) == TGM_ERROR_OK && tgm_scan_count(sr) == 3);
    tgm_scan_free(sr);
    free(all);
    for (int i = 0; i < 3; i++) {
        tgm_bytes_free(parts[i]);
    }

    /* NaN masks and threads: same bytes with 1 and 4 threads. */
    setenv("TENSOGRAM_PROVENANCE", "{\"encoder\":\"0.24.0\",\"time\":null,\"uuid\":null}", 1);
    enum { N = 100000 };
    double *x = malloc(N * sizeof *x);
    for (size_t k = 0; k < N; k++) {
        x[k] = (k % 997 == 0) ? NAN : (double)k * 0.5;
    }
    TgmEncodeMaskOptions mo = {true, false, "rle", NULL, NULL, -1};
    tgm_bytes_t out[2] = {{NULL, 0}, {NULL, 0}};
    for (int pass = 0; pass < 2; pass++) {
        tgm_streaming_options so = opts_hash();
        so.threads = pass ? 4 : 1;
        so.mask_options = &mo;
        TT_ASSERT(tgm_streaming_encoder_create_memory("{}", &so, &e) == TGM_ERROR_OK);
        TT_CHECK_ERR(tgm_streaming_encoder_write(e, desc_f64(N, PIPE_ZSTD), (const uint8_t *)x,
                                                 N * sizeof *x),
                     TGM_ERROR_OK);
        TT_CHECK_ERR(tgm_streaming_encoder_finish(e), TGM_ERROR_OK);
        TT_CHECK_ERR(tgm_streaming_encoder_take(e, &out[pass]), TGM_ERROR_OK);
        tgm_streaming_encoder_free(e);
    }
    unsetenv("TENSOGRAM_PROVENANCE");
    TT_CHECK(out[0].len > 0 && out[0].len == out[1].len &&
             memcmp(out[0].data, out[1].data, out[0].len) == 0);
    tgm_message_t *m = NULL;
    TT_ASSERT(tgm_decode(out[0].data, out[0].len, 1, 0, 1, &m) == TGM_ERROR_OK);
    size_t dl;
    const double *d = (const double *)(const void *)tgm_object_data(m, 0, &dl);
    TT_CHECK(dl == N * 8 && isnan(d[0]) && isnan(d[997]) && d[998] == 499.0);
    tgm_message_free(m);

    /* Pre-encoded: the stored payload and full descriptor of one of our
     * objects (simple_packing + szip), written again, give the same
     * message byte for byte. */
    setenv("TENSOGRAM_PROVENANCE", "{\"encoder\":\"0.24.0\",\"time\":null,\"uuid\":null}", 1);
    for (size_t k = 0; k < N; k++) {
        x[k] = 280.0 + 20.0 * cos((double)k * 0.001);
    }
    tgm_bytes_t first = {NULL, 0}, again = {NULL, 0};
    TT_ASSERT(tgm_streaming_encoder_create_memory("{}", NULL, &e) == TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_streaming_encoder_write(e, desc_f64(N, PIPE_SP_SZIP), (const uint8_t *)x,
                                             N * sizeof *x),
                 TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_streaming_encoder_finish(e), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_streaming_encoder_take(e, &first), TGM_ERROR_OK);
    tgm_streaming_encoder_free(e);
    TT_ASSERT(tgm_decode_encoded(first.data, first.len, &m) == TGM_ERROR_OK);
    const char *dj = tgm_object_descriptor_json(m, 0);
    const uint8_t *enc_payload = tgm_object_data(m, 0, &dl);
    TT_ASSERT(dj != NULL && enc_payload != NULL && dl < N * sizeof *x);
    TT_ASSERT(tgm_streaming_encoder_create_memory("{}", NULL, &e) == TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_streaming_encoder_write_pre_encoded(e, dj, enc_payload, dl), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_streaming_encoder_finish(e), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_streaming_encoder_take(e, &again), TGM_ERROR_OK);
    tgm_streaming_encoder_free(e);
    tgm_message_free(m);
    unsetenv("TENSOGRAM_PROVENANCE");
    TT_CHECK(again.len == first.len && memcmp(again.data, first.data, first.len) == 0);
    TT_ASSERT(tgm_decode(again.data, again.len, 1, 0, 0, &m) == TGM_ERROR_OK);
    d = (const double *)(const void *)tgm_object_data(m, 0, &dl);
    TT_CHECK(dl == N * 8 && fabs(d[N - 1] - x[N - 1]) < 1e-2);
    tgm_message_free(m);
    tgm_bytes_free(again);
    tgm_bytes_free(first);
    tgm_bytes_free(out[0]);
    tgm_bytes_free(out[1]);
    free(x);
}

/* ---- bounded memory, write errors (internal API with test sinks) ------------------- */

typedef struct test_sink {
    tgm_sink base;
    uint64_t fail_after; /* fail the write that would pass this many bytes */
    size_t largest_write;
} test_sink;

static tgm_error ts_write(tgm_sink *s, const void *data, size_t n) {
    test_sink *t = (test_sink *)s;
    (void)data;
    if (s->written + n > t->fail_after) {
        return tgm__fail(TGM_ERROR_IO, "cannot write to %s: test failure", s->name);
    }
    s->written += n;
    if (n > t->largest_write) {
        t->largest_write = n;
    }
    return TGM_ERROR_OK;
}

static void ts_close(tgm_sink *s) { (void)s; }

static const tgm_sink_ops ts_ops = {ts_write, NULL, NULL, ts_close};

static tgm_error stream_on(test_sink *ts, bool hashing, tgm_stream **out) {
    memset(ts, 0, sizeof *ts);
    ts->base.ops = &ts_ops;
    ts->base.name = "test sink";
    ts->fail_after = UINT64_MAX;
    tgm_arena a = TGM_ARENA_INIT;
    tgm_global_meta meta;
    tgm_error e = tgm__gmeta_init(&a, &meta);
    tgm_stream_opts o;
    memset(&o, 0, sizeof o);
    o.hashing = hashing;
    o.footer_hash = true;
    o.threads = 1;
    o.small_mask_threshold = -1;
    if (e == TGM_ERROR_OK) {
        e = tgm__stream_begin(&ts->base, &meta, &o, out);
    }
    tgm__arena_free(&a);
    return e;
}

static void desc_of(tgm_arena *a, const char *json, tgm_descriptor *d) {
    tgm_val *root;
    if (tgm__json_parse(json, strlen(json), a, &root) != TGM_ERROR_OK ||
        tgm__desc_from_val(a, root, "test", d) != TGM_ERROR_OK) {
        fprintf(stderr, "bad test descriptor\n");
        exit(1);
    }
}

static void test_memory_bound(void) {
    enum { OBJECTS = 10000, ELEMS = 1024 };
    test_sink ts;
    tgm_stream *s = NULL;
    TT_ASSERT(stream_on(&ts, true, &s) == TGM_ERROR_OK);
    tgm_arena a = TGM_ARENA_INIT;
    tgm_descriptor d;
    char dj[256];
    snprintf(dj, sizeof dj,
             "{\"type\":\"ntensor\",\"ndim\":2,\"shape\":[32,32],\"strides\":[32,1],"
             "\"dtype\":\"float32\",\"encoding\":\"none\",\"filter\":\"none\","
             "\"compression\":\"none\"}");
    desc_of(&a, dj, &d);
    float *v = calloc(ELEMS, sizeof *v);
    size_t fp_100 = 0;
    int failures = 0;
    for (int i = 0; i < OBJECTS; i++) {
        v[0] = (float)i;
        if (tgm__stream_object(s, &d, (const uint8_t *)v, ELEMS * 4, false) != TGM_ERROR_OK) {
            failures++;
        }
        if (i == 99) {
            fp_100 = tgm__stream_footprint(s);
        }
    }
    TT_CHECK_EQ_INT(failures, 0);
    size_t fp = tgm__stream_footprint(s);
    uint64_t payload = (uint64_t)OBJECTS * ELEMS * 4;
    /* Everything went to the sink as it came; what the encoder keeps is
     * ~100 bytes per object (index, hash, footer entry), not the 4 KiB
     * payloads. */
    TT_CHECK_EQ_INT(ts.base.written, tgm__stream_bytes_written(s));
    TT_CHECK(ts.base.written > payload);
    TT_CHECK(fp < (size_t)OBJECTS * 200 + 256 * 1024);
    TT_CHECK((fp - fp_100) / (OBJECTS - 100) < 200);
    TT_CHECK(ts.largest_write <= 256 * 1024);
    printf("memory bound: %d objects, %llu payload bytes, encoder footprint %zu bytes\n", OBJECTS,
           (unsigned long long)payload, fp);
    TT_CHECK_ERR(tgm__stream_finish(s, true), TGM_ERROR_OK); /* unseekable: plain */
    TT_CHECK_EQ_INT(ts.base.written, tgm__stream_bytes_written(s));
    tgm__stream_free(s);
    free(v);
    tgm__arena_free(&a);
}

/* A write error part-way through an object: reported as I/O, the encoder
 * refuses everything after it. */
static void test_write_errors(void) {
    test_sink ts;
    tgm_stream *s = NULL;
    TT_ASSERT(stream_on(&ts, false, &s) == TGM_ERROR_OK);
    tgm_arena a = TGM_ARENA_INIT;
    tgm_descriptor d;
    desc_of(&a, F32_DESC, &d);
    uint8_t v[16] = {0};
    TT_CHECK_ERR(tgm__stream_object(s, &d, v, 16, false), TGM_ERROR_OK);
    ts.fail_after = ts.base.written + 20;
    TT_CHECK_ERR(tgm__stream_object(s, &d, v, 16, false), TGM_ERROR_IO);
    TT_CHECK(!tgm__stream_is_open(s));
    TT_CHECK_EQ_INT(tgm__stream_count(s), 1);
    ts.fail_after = UINT64_MAX;
    TT_CHECK_ERR(tgm__stream_object(s, &d, v, 16, false), TGM_ERROR_IO);
    TT_CHECK(strstr(tgm_last_error(), "test sink") != NULL);
    TT_CHECK_ERR(tgm__stream_finish(s, false), TGM_ERROR_IO);
    tgm__stream_free(s);

    /* The same during finish. */
    TT_ASSERT(stream_on(&ts, true, &s) == TGM_ERROR_OK);
    TT_CHECK_ERR(tgm__stream_object(s, &d, v, 16, false), TGM_ERROR_OK);
    ts.fail_after = ts.base.written + 8;
    TT_CHECK_ERR(tgm__stream_finish(s, false), TGM_ERROR_IO);
    TT_CHECK(!tgm__stream_is_open(s));
    tgm__stream_free(s);
    tgm__arena_free(&a);
}

/* Every single allocation failure along a whole session (create, preceder,
 * two objects, back-filled finish, take) is reported cleanly, leaks
 * nothing (ASan) and never leaves a damaged message: when the session
 * still produces one, it decodes and holds exactly the objects whose
 * write succeeded.  Only in builds with TGM_ALLOC_INJECTION. */
static void test_alloc_failures(void) {
    if (!tgm__alloc_injection_enabled()) {
        return;
    }
    enum { N = 2000 };
    double x[N];
    for (size_t k = 0; k < N; k++) {
        x[k] = (double)k;
    }
    uint8_t v[16];
    ramp_le(0, v);
    int produced = 0, bad = 0;
    uint64_t k;
    for (k = 1; k < 5000; k++) {
        tgm__alloc_fail_after(k, 0);
        tgm_streaming_options o = opts_hash();
        tgm_streaming_encoder_t *e = NULL;
        tgm_bytes_t b = {NULL, 0};
        int writes = 0;
        if (tgm_streaming_encoder_create_memory("{\"base\":[{\"a\":1}],\"x\":2}", &o, &e) ==
            TGM_ERROR_OK) {
            (void)tgm_streaming_encoder_write_preceder(e, "{\"p\":1}");
            writes += tgm_streaming_encoder_write(e, desc_f64(N, PIPE_ZSTD), (const uint8_t *)x,
                                                  sizeof x) == TGM_ERROR_OK;
            writes += tgm_streaming_encoder_write(e, F32_DESC, v, 16) == TGM_ERROR_OK;
            if (tgm_streaming_encoder_finish_backfilled(e) != TGM_ERROR_OK ||
                tgm_streaming_encoder_take(e, &b) != TGM_ERROR_OK) {
                b.data = NULL;
            }
            tgm_streaming_encoder_free(e);
        }
        uint64_t used = tgm__alloc_count();
        tgm__alloc_fail_after(0, 0);
        if (b.data != NULL) {
            produced++;
            tgm_message_t *m = NULL;
            if (tgm_decode(b.data, b.len, 1, 0, 1, &m) != TGM_ERROR_OK ||
                tgm_message_num_objects(m) != (size_t)writes) {
                fprintf(stderr, "allocation %llu failed: bad message (%s)\n", (unsigned long long)k,
                        tgm_last_error());
                bad++;
            }
            tgm_message_free(m);
            tgm_bytes_free(b);
        }
        if (used < k) {
            break; /* no allocation failed: every failure point was visited */
        }
    }
    TT_CHECK(k < 5000);
    TT_CHECK(produced > 0);
    TT_CHECK_EQ_INT(bad, 0);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/tgm-test-stream-XXXXXX");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    shared = tt_shared_dir();
    if (shared == NULL) {
        printf("note: ../shared/reference not found: reference comparisons skipped\n");
    }
    TT_RUN(test_reference_single);
    TT_RUN(test_reference_ten_via_fd);
    TT_RUN(test_reference_streaming_tail);
    TT_RUN(test_decode_our_output);
    TT_RUN(test_file_of_streams);
    TT_RUN(test_path_encoder);
    TT_RUN(test_reference_ffi_cases);
    TT_RUN(test_preceder_rules);
    TT_RUN(test_refused_objects_leave_no_trace);
    TT_RUN(test_zero_objects);
    TT_RUN(test_arguments);
    TT_RUN(test_unseekable_outputs);
    TT_RUN(test_memory_reset_and_options);
    TT_RUN(test_memory_bound);
    TT_RUN(test_write_errors);
    TT_RUN(test_alloc_failures);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", dir);
    }
    return tt_finish("test_stream");
}
