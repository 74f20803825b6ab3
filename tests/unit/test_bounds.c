/* Resource bounds: small hostile inputs that claim huge sizes (shapes of
 * 2^40 elements, a zstd frame claiming a terabyte, a blosc2 frame claiming
 * huge nbytes, an index of 2^60 entries, szip streams and masks claiming
 * more than their bytes can hold) fail fast, with a clear error and
 * without a large allocation; the per-object cap
 * (TENSOGRAM_MAX_OBJECT_BYTES / tgm__limit_set_max_object_bytes) refuses
 * legitimately huge objects before memory is committed.
 *
 * Hostile messages are assembled frame by frame here (preamble, metadata
 * frame, optional index frame, data-object frames, postamble; WIRE_FORMAT
 * §2-§6) so every field can lie.  Validation must report such messages,
 * not fail on them.  Peak memory is watched with getrusage:
 * each hostile decode must leave the resident high-water mark within a
 * few megabytes, and take well under a second. */
#include "tt.h"

#include <sys/resource.h>
#include <time.h>

#include "cbor/cbor.h"
#include "codecs/blosc2.h"
#include "codecs/codec.h"
#include "codecs/szip.h"
#include "codecs/zfp.h"
#include "codecs/zstd.h"
#include "common/buf.h"
#include "common/endian.h"
#include "common/limits.h"
#include "tensogram/tensogram.h"
#include "wire/wire.h"
#include "json/json.h"

/* ---- a message builder that writes whatever it is told ------------------ */

typedef struct frames {
    tgm_buf b;
    uint16_t flags;
} frames;

static void pad8(tgm_buf *b) {
    static const uint8_t z[8] = {0};
    tgm__buf_append(b, z, (8 - b->len % 8) % 8);
}

static void fr_begin(frames *f) {
    memset(f, 0, sizeof *f);
    uint8_t pre[TGM_PREAMBLE_SIZE] = {0};
    tgm__buf_append(&f->b, pre, sizeof pre); /* written at the end */
}

static void fr_simple(frames *f, uint16_t type, const uint8_t *body, size_t n) {
    uint8_t h[TGM_FRAME_HEADER_SIZE];
    tgm_frame_header fh = {type, 1, 0, TGM_FRAME_HEADER_SIZE + n + TGM_FRAME_COMMON_FOOTER_SIZE};
    tgm__frame_header_write(h, &fh);
    tgm__buf_append(&f->b, h, sizeof h);
    tgm__buf_append(&f->b, body, n);
    uint8_t foot[TGM_FRAME_COMMON_FOOTER_SIZE] = {0};
    memcpy(foot + 8, "ENDF", 4);
    tgm__buf_append(&f->b, foot, sizeof foot);
    pad8(&f->b);
    if (type == TGM_FRAME_HEADER_METADATA) {
        f->flags |= TGM_MF_HEADER_METADATA;
    } else if (type == TGM_FRAME_HEADER_INDEX) {
        f->flags |= TGM_MF_HEADER_INDEX;
    }
}

/* Metadata frame holding an empty map. */
static void fr_meta(frames *f) {
    static const uint8_t empty_map = 0xa0;
    fr_simple(f, TGM_FRAME_HEADER_METADATA, &empty_map, 1);
}

/* A data-object frame: payload (+ mask blobs), then the descriptor given
 * as JSON and written as CBOR. */
static int fr_object(frames *f, const char *desc_json, const uint8_t *payload, size_t plen) {
    tgm_arena a = TGM_ARENA_INIT;
    tgm_val *v = NULL;
    tgm_buf cbor = TGM_BUF_INIT;
    if (tgm__json_parse(desc_json, strlen(desc_json), &a, &v) != TGM_ERROR_OK ||
        tgm__cbor_encode(v, &cbor) != TGM_ERROR_OK) {
        fprintf(stderr, "bad test descriptor: %s\n", tgm_last_error());
        tgm__arena_free(&a);
        return -1;
    }
    uint8_t h[TGM_FRAME_HEADER_SIZE];
    size_t total = TGM_FRAME_HEADER_SIZE + plen + cbor.len + TGM_DATA_FRAME_FOOTER_SIZE;
    tgm_frame_header fh = {TGM_FRAME_NTENSOR, 1, TGM_FF_CBOR_AFTER_PAYLOAD, total};
    tgm__frame_header_write(h, &fh);
    tgm__buf_append(&f->b, h, sizeof h);
    tgm__buf_append(&f->b, payload, plen);
    tgm__buf_append(&f->b, cbor.data, cbor.len);
    uint8_t foot[TGM_DATA_FRAME_FOOTER_SIZE] = {0};
    tgm__wr_be64(foot, TGM_FRAME_HEADER_SIZE + plen);
    memcpy(foot + 16, "ENDF", 4);
    tgm__buf_append(&f->b, foot, sizeof foot);
    pad8(&f->b);
    tgm__buf_free(&cbor);
    tgm__arena_free(&a);
    return 0;
}

static void fr_end(frames *f) {
    size_t at = f->b.len;
    uint8_t post[TGM_POSTAMBLE_SIZE];
    tgm_postamble pa = {at, at + TGM_POSTAMBLE_SIZE};
    tgm__postamble_write(post, &pa);
    tgm__buf_append(&f->b, post, sizeof post);
    tgm_preamble pre = {TGM_WIRE_VERSION, f->flags, 0, f->b.len};
    tgm__preamble_write(f->b.data, &pre);
}

/* One-object message from a descriptor and payload. */
static tgm_buf one_object(const char *desc_json, const uint8_t *payload, size_t plen) {
    frames f;
    fr_begin(&f);
    fr_meta(&f);
    fr_object(&f, desc_json, payload, plen);
    fr_end(&f);
    return f.b;
}

/* ---- measuring -------------------------------------------------------------- */

static long max_rss_kb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Peak-memory growth allowed for one hostile decode. */
#define RSS_SLACK_KB (16 * 1024)

/* Decode through every entry point; each must fail with `code` and a
 * detail containing `needle`, without a big allocation. */
static void expect_refused(const char *what, const tgm_buf *m, tgm_error code, const char *needle) {
    long rss0 = max_rss_kb();
    double t0 = now_s();
    tgm_message_t *msg = NULL;
    tgm_error e = tgm_decode(m->data, m->len, 1, 1, 0, &msg);
    const char *d = tgm_last_error();
    if (e != code || d == NULL || strstr(d, needle) == NULL) {
        fprintf(stderr, "[%s] tgm_decode: got %d (%s), expected %d containing \"%s\"\n", what,
                (int)e, d ? d : "no detail", (int)code, needle);
        tt_failures++;
    }
    tt_checks++;
    tgm_message_free(msg);
    msg = NULL;
    e = tgm_decode_object(m->data, m->len, 0, 1, 1, 0, &msg);
    d = tgm_last_error();
    if (e != code || d == NULL || strstr(d, needle) == NULL) {
        fprintf(stderr, "[%s] tgm_decode_object: got %d (%s), expected %d containing \"%s\"\n",
                what, (int)e, d ? d : "no detail", (int)code, needle);
        tt_failures++;
    }
    tt_checks++;
    tgm_message_free(msg);
    /* A small range of the object: refused or decoded, never a crash. */
    uint64_t off = 0, cnt = 4;
    tgm_bytes_t part;
    size_t got = 0;
    if (tgm_decode_range(m->data, m->len, 0, &off, &cnt, 1, 1, 1, 1, &part, &got) == TGM_ERROR_OK) {
        tgm_bytes_free(part);
    }
    /* Validation reports the lie; it does not fail (nor allocate for it). */
    tgm_bytes_t rep = {NULL, 0};
    e = tgm_validate(m->data, m->len, "full", 1, &rep);
    if (e != TGM_ERROR_OK) {
        fprintf(stderr, "[%s] tgm_validate failed: %s\n", what, tgm_last_error());
        tt_failures++;
    }
    tt_checks++;
    tgm_bytes_free(rep);
    /* Peak memory is the assertion; the time is only reported (a refused
     * claim is caught before any work proportional to it). */
    double dt = now_s() - t0;
    long grown = max_rss_kb() - rss0;
    if (grown > RSS_SLACK_KB) {
        fprintf(stderr, "[%s] peak RSS grew by %ld KiB (%.3f s)\n", what, grown, dt);
        tt_failures++;
    }
    tt_checks++;
}

static char *desc(char *buf, size_t cap, const char *shape, const char *dtype, const char *rest) {
    snprintf(buf, cap,
             "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[%s],\"strides\":[1],\"dtype\":\"%s\","
             "\"byte_order\":\"little\",\"encoding\":\"none\",\"filter\":\"none\",%s}",
             shape, dtype, rest);
    return buf;
}

static tgm_buf compress_with(const char *codec, const tgm_codec_params *p, const uint8_t *src,
                             size_t n) {
    tgm_buf out = TGM_BUF_INIT;
    const tgm_codec *c = tgm__codec_find(codec);
    if (c == NULL || c->compress(p, src, n, &out, NULL) != TGM_ERROR_OK) {
        fprintf(stderr, "cannot compress with %s\n", codec);
    }
    return out;
}

/* ---- tests ---------------------------------------------------------------------- */

/* Must run first: the environment is read on first use. */
static void test_env_cap(void) {
    TT_CHECK_EQ_INT(tgm__limit_max_object_bytes(), 4096);
    tgm__limit_set_max_object_bytes(0);
    TT_CHECK_EQ_INT(tgm__limit_max_object_bytes(), 0);
}

static void test_parse_bytes(void) {
    static const struct {
        const char *text;
        int rc;
        uint64_t v;
    } c[] = {{"0", 0, 0},
             {"512", 0, 512},
             {"12K", 0, 12288},
             {"3MB", 0, 3u << 20},
             {"1g", 0, 1u << 30},
             {"2T", 0, (uint64_t)2 << 40},
             {"16777215T", 0, (uint64_t)16777215 << 40},
             {"16777216T", -1, 0},
             {"99999999999999999999", -1, 0},
             {"", -1, 0},
             {"K", -1, 0},
             {"-5", -1, 0},
             {"5X", -1, 0},
             {"5KB7", -1, 0},
             {" 5", -1, 0}};
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        uint64_t v = 12345;
        int rc = tgm__limit_parse_bytes(c[i].text, &v);
        TT_CHECK_EQ_INT(rc, c[i].rc);
        if (rc == 0) {
            TT_CHECK_EQ_INT(v, c[i].v);
        }
    }
    uint64_t v;
    TT_CHECK(tgm__limit_parse_bytes(NULL, &v) == -1);
}

/* The cap refuses objects and whole messages above it, and no others. */
static void test_cap(void) {
    char d1[512], d2[512], meta[1400];
    desc(d1, sizeof d1, "250", "float64", "\"compression\":\"none\"");
    desc(d2, sizeof d2, "100", "float64", "\"compression\":\"zstd\"");
    snprintf(meta, sizeof meta, "{\"descriptors\":[%s,%s]}", d1, d2);
    static double vals[250];
    for (int i = 0; i < 250; i++) {
        vals[i] = i * 0.25;
    }
    const uint8_t *ptrs[2] = {(const uint8_t *)vals, (const uint8_t *)vals};
    size_t lens[2] = {2000, 800};
    tgm_bytes_t msg;
    TT_ASSERT(tgm_encode(meta, ptrs, lens, 2, NULL, 1, &msg) == TGM_ERROR_OK);

    tgm_message_t *m = NULL;
    tgm_set_max_object_bytes(2000); /* each object fits, the message does not */
    TT_CHECK(tgm_max_object_bytes() == 2000);
    TT_CHECK_ERR(tgm_decode(msg.data, msg.len, 1, 1, 0, &m), TGM_ERROR_OBJECT);
    TT_CHECK(strstr(tgm_last_error(), "message decodes to 2800 bytes, more than the limit of "
                                      "2000 bytes (TENSOGRAM_MAX_OBJECT_BYTES)") != NULL);
    TT_CHECK_ERR(tgm_decode_object(msg.data, msg.len, 0, 1, 1, 0, &m), TGM_ERROR_OK);
    tgm_message_free(m);
    TT_CHECK_ERR(tgm_decode_object(msg.data, msg.len, 1, 1, 1, 0, &m), TGM_ERROR_OK);
    tgm_message_free(m);

    tgm__limit_set_max_object_bytes(1999);
    TT_CHECK_ERR(tgm_decode_object(msg.data, msg.len, 0, 1, 1, 0, &m), TGM_ERROR_OBJECT);
    TT_CHECK(strstr(tgm_last_error(), "object decodes to 2000 bytes") != NULL);
    TT_CHECK_ERR(tgm_decode_object(msg.data, msg.len, 1, 1, 1, 0, &m), TGM_ERROR_OK);
    tgm_message_free(m);
    /* Ranges are checked by what they produce. */
    uint64_t off = 10, cnt = 200;
    tgm_bytes_t part;
    size_t got;
    TT_CHECK_ERR(tgm_decode_range(msg.data, msg.len, 0, &off, &cnt, 1, 1, 1, 1, &part, &got),
                 TGM_ERROR_OK);
    tgm_bytes_free(part);
    cnt = 240;
    tgm__limit_set_max_object_bytes(1000);
    TT_CHECK_ERR(tgm_decode_range(msg.data, msg.len, 0, &off, &cnt, 1, 1, 1, 1, &part, &got),
                 TGM_ERROR_OBJECT);
    TT_CHECK(strstr(tgm_last_error(), "range decodes to 1920 bytes") != NULL);

    tgm__limit_set_max_object_bytes(0);
    TT_CHECK_ERR(tgm_decode(msg.data, msg.len, 1, 1, 0, &m), TGM_ERROR_OK);
    tgm_message_free(m);
    tgm_bytes_free(msg);
}

/* Uncompressed payloads must hold exactly what the shape claims. */
static void test_plain_shape_2_40(void) {
    char d[512];
    desc(d, sizeof d, "1099511627776", "float64", "\"compression\":\"none\"");
    uint8_t payload[64] = {0};
    tgm_buf m = one_object(d, payload, sizeof payload);
    expect_refused("plain 2^40", &m, TGM_ERROR_ENCODING,
                   "descriptor claims 8796093022208 decoded byte(s) but frame payload is 64");
    tgm__buf_free(&m);
}

static void test_zstd_shape_2_40(void) {
#ifdef TGM_HAVE_ZSTD
    tgm_codec_params p;
    tgm__codec_params_init(&p, 1, 0);
    tgm__zstd_params(&p, 3);
    uint8_t raw[64] = {0};
    tgm_buf z = compress_with("zstd", &p, raw, sizeof raw);
    char d[512];
    desc(d, sizeof d, "1099511627776", "float64", "\"compression\":\"zstd\"");
    tgm_buf m = one_object(d, z.data, z.len);
    expect_refused("zstd shape 2^40", &m, TGM_ERROR_COMPRESSION,
                   "zstd: descriptor claims 8796093022208 bytes after decompression");
    tgm__buf_free(&m);

    /* A frame whose header claims 1 TiB of content, in an object that
     * claims 64 bytes: the decoder stops at its output bound. */
    uint8_t frame[] = {0x28, 0xb5, 0x2f, 0xfd,             /* magic */
                       0xc0,                               /* FCS 8 bytes, single segment */
                       0,    0,    0,    0,    0, 1, 0, 0, /* content size 2^40, little endian */
                       0x03, 0x00, 0x00};                  /* last raw block of 0 bytes */
    desc(d, sizeof d, "8", "float64", "\"compression\":\"zstd\"");
    m = one_object(d, frame, sizeof frame);
    expect_refused("zstd frame claiming 1 TiB", &m, TGM_ERROR_COMPRESSION, "zstd");
    tgm__buf_free(&m);
    /* The same frame in an object that claims 1 TiB as well. */
    desc(d, sizeof d, "137438953472", "float64", "\"compression\":\"zstd\"");
    m = one_object(d, frame, sizeof frame);
    expect_refused("zstd 1 TiB both ways", &m, TGM_ERROR_COMPRESSION, "at most");
    tgm__buf_free(&m);
    tgm__buf_free(&z);
#else
    TT_SKIP("zstd not built in");
#endif
}

static void test_lz4_shape(void) {
#ifdef TGM_HAVE_LZ4
    tgm_codec_params p;
    memset(&p, 0, sizeof p);
    p.threads = 1;
    uint8_t raw[256] = {0};
    tgm_buf z = compress_with("lz4", &p, raw, sizeof raw);
    char d[512];
    desc(d, sizeof d, "4294967296", "uint8", "\"compression\":\"lz4\"");
    tgm_buf m = one_object(d, z.data, z.len);
    expect_refused("lz4 shape 2^32", &m, TGM_ERROR_COMPRESSION, "lz4: descriptor claims");
    tgm__buf_free(&m);
    tgm__buf_free(&z);
#else
    TT_SKIP("lz4 not built in");
#endif
}

static void test_szip_huge(void) {
#ifdef TGM_HAVE_SZIP
    tgm_codec_params p;
    tgm__codec_params_init(&p, 1, 0);
    tgm_szip_params sp = {4, 8, 8, 8};
    TGM_CODEC_OWN_PUT(&p, sp);
    uint8_t raw[256] = {0};
    tgm_buf z = compress_with("szip", &p, raw, sizeof raw);
    char d[512];
    desc(d, sizeof d, "137438953472", "uint8",
         "\"compression\":\"szip\",\"szip_rsi\":4,\"szip_block_size\":8,\"szip_flags\":8,"
         "\"szip_block_offsets\":[0]");
    tgm_buf m = one_object(d, z.data, z.len);
    expect_refused("szip 2^37 bytes", &m, TGM_ERROR_COMPRESSION, "szip: descriptor claims");
    tgm__buf_free(&m);
    /* Claiming only 64 KiB more than the stream holds gets past the
     * expansion bound; the decoder then finds the stream too short. */
    desc(d, sizeof d, "65792", "uint8",
         "\"compression\":\"szip\",\"szip_rsi\":4,\"szip_block_size\":8,\"szip_flags\":8,"
         "\"szip_block_offsets\":[0]");
    m = one_object(d, z.data, z.len);
    expect_refused("szip stream too short", &m, TGM_ERROR_COMPRESSION, "szip");
    tgm__buf_free(&m);
    tgm__buf_free(&z);
#else
    TT_SKIP("szip not built in");
#endif
}

static void test_zfp_huge(void) {
#ifdef TGM_HAVE_ZFP
    tgm_codec_params p;
    tgm__codec_params_init(&p, 8, 16 * 8);
    tgm_zfp_params zp = {TGM_ZFP_FIXED_ACCURACY, 0, 0, 0.5, 16};
    TGM_CODEC_OWN_PUT(&p, zp);
    double raw[16] = {0};
    tgm_buf z = compress_with("zfp", &p, (const uint8_t *)raw, sizeof raw);
    char d[512];
    desc(d, sizeof d, "1073741824", "float64",
         "\"compression\":\"zfp\",\"zfp_mode\":\"fixed_accuracy\",\"zfp_tolerance\":0.5");
    tgm_buf m = one_object(d, z.data, z.len);
    expect_refused("zfp 2^30 values", &m, TGM_ERROR_COMPRESSION, "zfp: descriptor claims");
    tgm__buf_free(&m);
    tgm__buf_free(&z);

    /* Fixed rate 16: 64 bits per block, so 1000 values need 2000 bytes; a
     * claim of 1004 values (one block more) is refused before decoding, the
     * true count decodes. */
    double vals[1000];
    for (int i = 0; i < 1000; i++) {
        vals[i] = (double)i * 0.25;
    }
    tgm_zfp_params zr = {TGM_ZFP_FIXED_RATE, 16, 0, 0, 1000};
    tgm__codec_params_init(&p, 8, sizeof vals);
    TGM_CODEC_OWN_PUT(&p, zr);
    z = compress_with("zfp", &p, (const uint8_t *)vals, sizeof vals);
    TT_CHECK_EQ_INT(z.len, 2000);
    desc(d, sizeof d, "1004", "float64",
         "\"compression\":\"zfp\",\"zfp_mode\":\"fixed_rate\",\"zfp_rate\":16");
    m = one_object(d, z.data, z.len);
    expect_refused("zfp rate 16, one block more than the stream holds", &m, TGM_ERROR_COMPRESSION,
                   "decodes to at most 8000 bytes");
    tgm__buf_free(&m);
    desc(d, sizeof d, "1000", "float64",
         "\"compression\":\"zfp\",\"zfp_mode\":\"fixed_rate\",\"zfp_rate\":16");
    m = one_object(d, z.data, z.len);
    tgm_message_t *msg = NULL;
    TT_CHECK_ERR(tgm_decode(m.data, m.len, 1, 1, 0, &msg), TGM_ERROR_OK);
    tgm_message_free(msg);
    tgm__buf_free(&m);
    tgm__buf_free(&z);
#else
    TT_SKIP("zfp not built in");
#endif
}

/* blosc2 can describe huge runs in a few bytes, so only the frame's own
 * consistency and the cap protect: a frame whose header lies is refused
 * before its claim is believed, and a claim the cap forbids is refused
 * before memory is committed. */
static void test_blosc2_huge(void) {
#ifdef TGM_HAVE_BLOSC2
    tgm_codec_params p;
    tgm__codec_params_init(&p, 1, 0);
    tgm_blosc2_params bp = {TGM_BLOSC2_LZ4, 5, 1, TGM_BLOSC2_FILTER_SHUFFLE, 0};
    tgm__blosc2_params(&p, &bp);
    uint8_t raw[1000];
    for (int i = 0; i < 1000; i++) {
        raw[i] = (uint8_t)(i / 10);
    }
    tgm_buf z = compress_with("blosc2", &p, raw, sizeof raw);
    TT_ASSERT(z.len > 40 && z.data[29] == 0xd3 && tgm__rd_be64(z.data + 30) == 1000);
    tgm__wr_be64(z.data + 30, (uint64_t)1 << 40); /* header nbytes: 1 TiB */
    char d[512];
    desc(d, sizeof d, "1000", "uint8",
         "\"compression\":\"blosc2\",\"blosc2_codec\":\"lz4\",\"blosc2_clevel\":5");
    tgm_buf m = one_object(d, z.data, z.len);
    expect_refused("blosc2 nbytes 1 TiB", &m, TGM_ERROR_COMPRESSION, "blosc2");
    tgm__buf_free(&m);
    desc(d, sizeof d, "1099511627776", "uint8",
         "\"compression\":\"blosc2\",\"blosc2_codec\":\"lz4\",\"blosc2_clevel\":5");
    m = one_object(d, z.data, z.len);
    tgm__limit_set_max_object_bytes((uint64_t)1 << 30);
    expect_refused("blosc2 1 TiB under a 1 GiB cap", &m, TGM_ERROR_OBJECT,
                   "more than the limit of 1073741824 bytes");
    tgm__limit_set_max_object_bytes(0);
    tgm__buf_free(&m);
    tgm__buf_free(&z);
#else
    TT_SKIP("blosc2 not built in");
#endif
}

/* A constant field: simple_packing with 0 bits stores nothing for any
 * number of values.  Legitimate, so only the cap stops 2^40 of them. */
static void test_simple_packing_bits0(void) {
    char d[768];
    snprintf(d, sizeof d,
             "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[1099511627776],\"strides\":[1],"
             "\"dtype\":\"float64\",\"byte_order\":\"little\",\"encoding\":\"simple_packing\","
             "\"sp_bits_per_value\":0,\"sp_reference_value\":1.5,\"sp_binary_scale_factor\":0,"
             "\"sp_decimal_scale_factor\":0,\"filter\":\"none\",\"compression\":\"none\"}");
    tgm_buf m = one_object(d, NULL, 0);
    tgm__limit_set_max_object_bytes((uint64_t)256 << 20);
    expect_refused("simple_packing 0 bits x 2^40", &m, TGM_ERROR_OBJECT,
                   "TENSOGRAM_MAX_OBJECT_BYTES");
    /* and a range of it decodes without touching the rest */
    uint64_t off = (uint64_t)1 << 39, cnt = 3;
    tgm_bytes_t part;
    size_t got = 0;
    TT_CHECK_ERR(tgm_decode_range(m.data, m.len, 0, &off, &cnt, 1, 1, 1, 1, &part, &got),
                 TGM_ERROR_OK);
    if (got == 1 && part.len == 24) {
        double v[3];
        memcpy(v, part.data, 24);
        TT_CHECK(v[0] == 1.5 && v[1] == 1.5 && v[2] == 1.5);
        tgm_bytes_free(part);
    } else {
        TT_CHECK(0);
    }
    tgm__limit_set_max_object_bytes(0);
    tgm__buf_free(&m);
}

static void test_shape_overflow(void) {
    char d[512];
    snprintf(d, sizeof d,
             "{\"type\":\"ntensor\",\"ndim\":3,\"shape\":[4294967296,4294967296,2],"
             "\"strides\":[1,1,1],\"dtype\":\"float64\",\"byte_order\":\"little\","
             "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"none\"}");
    tgm_buf m = one_object(d, NULL, 0);
    expect_refused("shape product overflow", &m, TGM_ERROR_METADATA, "overflow");
    tgm__buf_free(&m);
}

/* Bitmask compressors: the decoded size is ceil(n/8), with no ratio bound. */
static void test_bitmask_huge(void) {
    tgm_codec_params p;
    tgm__codec_params_init(&p, 1, 8);
    uint8_t bits[8] = {0xff, 0, 0, 0, 0, 0, 0, 0x01};
    tgm_buf z = compress_with("rle", &p, bits, sizeof bits);
    char d[512];
    /* the stream holds 64 bits; the shape claims 2^43 */
    desc(d, sizeof d, "8796093022208", "bitmask", "\"compression\":\"rle\"");
    tgm_buf m = one_object(d, z.data, z.len);
    tgm__limit_set_max_object_bytes((uint64_t)1 << 30);
    expect_refused("rle 2^43 bits under a cap", &m, TGM_ERROR_OBJECT, "TENSOGRAM_MAX_OBJECT_BYTES");
    tgm__limit_set_max_object_bytes(0);
    tgm__buf_free(&m);
    /* without a cap a smaller lie is still caught by the stream itself */
    desc(d, sizeof d, "8388608", "bitmask", "\"compression\":\"rle\"");
    m = one_object(d, z.data, z.len);
    expect_refused("rle 2^23 bits", &m, TGM_ERROR_COMPRESSION, "RLE decompressed size");
    tgm__buf_free(&m);
    tgm__buf_free(&z);
}

/* Masks whose offset or length points far outside the frame. */
static void test_mask_lengths(void) {
    float vals[4] = {1, 2, 3, 4};
    static const struct {
        const char *masks;
        const char *why;
    } c[] = {
        {"\"masks\":{\"nan\":{\"method\":\"none\",\"offset\":16,\"length\":4611686018427387904}}",
         "length 2^62"},
        {"\"masks\":{\"nan\":{\"method\":\"rle\",\"offset\":18446744073709551615,\"length\":1}}",
         "offset 2^64-1"},
        {"\"masks\":{\"nan\":{\"method\":\"roaring\",\"offset\":16,\"length\":1}}", "past end"},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        char d[768];
        desc(d, sizeof d, "4", "float32", "\"compression\":\"none\"");
        /* splice the masks key into the descriptor */
        d[strlen(d) - 1] = '\0';
        strncat(d, ",", sizeof d - strlen(d) - 1);
        strncat(d, c[i].masks, sizeof d - strlen(d) - 1);
        strncat(d, "}", sizeof d - strlen(d) - 1);
        tgm_buf m = one_object(d, (const uint8_t *)vals, sizeof vals);
        long rss0 = max_rss_kb();
        tgm_message_t *msg = NULL;
        tgm_error e = tgm_decode(m.data, m.len, 1, 1, 0, &msg);
        if (e == TGM_ERROR_OK) {
            fprintf(stderr, "mask %s: accepted\n", c[i].why);
            tgm_message_free(msg);
        }
        TT_CHECK(e != TGM_ERROR_OK);
        TT_CHECK(max_rss_kb() - rss0 < RSS_SLACK_KB);
        tgm__buf_free(&m);
    }
}

/* An index frame claiming 2^60 entries. */
static void test_index_2_60(void) {
    uint8_t idx[64];
    size_t n = 0;
    idx[n++] = 0xa2;
    idx[n++] = 0x67;
    memcpy(idx + n, "lengths", 7);
    n += 7;
    idx[n++] = 0x9b; /* array, 8-byte count */
    tgm__wr_be64(idx + n, (uint64_t)1 << 60);
    n += 8;
    idx[n++] = 0x01;
    idx[n++] = 0x67;
    memcpy(idx + n, "offsets", 7);
    n += 7;
    idx[n++] = 0x9b;
    tgm__wr_be64(idx + n, (uint64_t)1 << 60);
    n += 8;
    idx[n++] = 0x18;
    idx[n++] = 0x40;
    frames f;
    fr_begin(&f);
    fr_meta(&f);
    fr_simple(&f, TGM_FRAME_HEADER_INDEX, idx, n);
    char d[512];
    desc(d, sizeof d, "2", "float32", "\"compression\":\"none\"");
    float vals[2] = {1, 2};
    fr_object(&f, d, (const uint8_t *)vals, sizeof vals);
    fr_end(&f);
    long rss0 = max_rss_kb();
    tgm_message_t *m = NULL;
    TT_CHECK(tgm_decode_object(f.b.data, f.b.len, 0, 1, 1, 0, &m) != TGM_ERROR_OK);
    TT_CHECK(tgm_decode(f.b.data, f.b.len, 1, 1, 0, &m) != TGM_ERROR_OK);
    tgm_message_t *d2 = NULL;
    TT_CHECK(tgm_decode_descriptors(f.b.data, f.b.len, &d2) != TGM_ERROR_OK);
    TT_CHECK(max_rss_kb() - rss0 < RSS_SLACK_KB);
    tgm__buf_free(&f.b);
}

/* CBOR that claims more than it holds, or nests without end. */
static void test_cbor_claims(void) {
    tgm_arena a = TGM_ARENA_INIT;
    tgm_val *v;
    static const uint8_t big_text[] = {0x7b, 0x40, 0, 0, 0, 0, 0, 0, 0, 'a'};
    static const uint8_t big_map[] = {0xbb, 0x10, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x02};
    static const uint8_t big_bytes_indef[] = {0x5f, 0x5b, 0x7f, 0xff, 0xff, 0xff,
                                              0xff, 0xff, 0xff, 0xff, 0xff};
    long rss0 = max_rss_kb();
    TT_CHECK_ERR(tgm__cbor_decode(big_text, sizeof big_text, &a, NULL, &v, NULL),
                 TGM_ERROR_METADATA);
    TT_CHECK_ERR(tgm__cbor_decode(big_map, sizeof big_map, &a, NULL, &v, NULL), TGM_ERROR_METADATA);
    TT_CHECK_ERR(tgm__cbor_decode(big_bytes_indef, sizeof big_bytes_indef, &a, NULL, &v, NULL),
                 TGM_ERROR_METADATA);
    uint8_t deep[4096];
    memset(deep, 0x81, sizeof deep); /* [[[[...]]]] */
    deep[sizeof deep - 1] = 0x00;
    TT_CHECK_ERR(tgm__cbor_decode(deep, sizeof deep, &a, NULL, &v, NULL), TGM_ERROR_METADATA);
    TT_CHECK(strstr(tgm_last_error(), "nesting") != NULL);
    TT_CHECK_ERR(tgm__cbor_check_canonical(deep, sizeof deep), TGM_ERROR_METADATA);
    TT_CHECK(max_rss_kb() - rss0 < RSS_SLACK_KB);
    tgm__arena_free(&a);

    /* The same depth inside a metadata frame. */
    frames f;
    fr_begin(&f);
    uint8_t meta[300];
    meta[0] = 0xa1;
    meta[1] = 0x61;
    meta[2] = 'x';
    memset(meta + 3, 0x81, sizeof meta - 4);
    meta[sizeof meta - 1] = 0x00;
    fr_simple(&f, TGM_FRAME_HEADER_METADATA, meta, sizeof meta);
    fr_end(&f);
    tgm_metadata_t *md = NULL;
    TT_CHECK_ERR(tgm_decode_metadata(f.b.data, f.b.len, &md), TGM_ERROR_METADATA);
    tgm__buf_free(&f.b);

    /* JSON nesting is capped the same way on encode. */
    char json[2100];
    memset(json, '[', 1000);
    memset(json + 1000, ']', 1000);
    json[2000] = '\0';
    tgm_arena b = TGM_ARENA_INIT;
    TT_CHECK(tgm__json_parse(json, 2000, &b, &v) != TGM_ERROR_OK);
    tgm__arena_free(&b);
}

/* Frame and message lengths that claim more than the buffer holds. */
static void test_lengths(void) {
    char d[512];
    desc(d, sizeof d, "2", "float32", "\"compression\":\"none\"");
    float vals[2] = {1, 2};
    tgm_buf m = one_object(d, (const uint8_t *)vals, sizeof vals);
    tgm_message_t *msg = NULL;
    TT_CHECK_ERR(tgm_decode(m.data, m.len, 1, 1, 0, &msg), TGM_ERROR_OK);
    tgm_message_free(msg);
    /* message total_length 2^63 */
    tgm_buf bad = TGM_BUF_INIT;
    tgm__buf_append(&bad, m.data, m.len);
    tgm__wr_be64(bad.data + 16, (uint64_t)1 << 63);
    TT_CHECK_ERR(tgm_decode(bad.data, bad.len, 1, 1, 0, &msg), TGM_ERROR_FRAMING);
    /* the data frame's total_length 2^62 */
    memcpy(bad.data, m.data, m.len);
    size_t at = TGM_PREAMBLE_SIZE;
    uint64_t meta_len = tgm__rd_be64(bad.data + at + 8);
    at += (size_t)((meta_len + 7) / 8 * 8);
    TT_ASSERT(memcmp(bad.data + at, "FR", 2) == 0);
    tgm__wr_be64(bad.data + at + 8, (uint64_t)1 << 62);
    TT_CHECK(tgm_decode(bad.data, bad.len, 1, 1, 0, &msg) != TGM_ERROR_OK);
    tgm_scan_result_t *sr = NULL;
    TT_CHECK_ERR(tgm_scan(bad.data, bad.len, &sr), TGM_ERROR_OK);
    tgm_scan_free(sr);
    tgm__buf_free(&bad);
    tgm__buf_free(&m);
}

/* Scanning a buffer full of streaming-message preambles (total_length 0,
 * nothing after them): every candidate used to walk to the end of the
 * buffer, quadratic time (about 80 s for 1.6 MB).  Now linear: failed walks draw
 * on a work budget of a few times the buffer (message/scan.c). */
static void test_scan_streaming_stubs(void) {
    size_t n = (size_t)4 << 20;
    uint8_t *b = calloc(n, 1);
    TT_ASSERT(b != NULL);
    for (size_t p = 0; p + TGM_PREAMBLE_SIZE <= n; p += TGM_PREAMBLE_SIZE) {
        memcpy(b + p, "TENSOGRM", 8);
        b[p + 9] = TGM_WIRE_VERSION;
    }
    double t0 = now_s();
    tgm_scan_result_t *sr = NULL;
    TT_CHECK_ERR(tgm_scan(b, n, &sr), TGM_ERROR_OK);
    TT_CHECK_EQ_INT(tgm_scan_count(sr), 0);
    tgm_scan_free(sr);
    /* a real streaming message in front of the stubs is still found (one
     * after them would be taken as the end of the first stub: bytes
     * between frames are skipped, as by the reference) */
    tgm_streaming_encoder_t *enc = NULL;
    TT_ASSERT(tgm_streaming_encoder_create_memory("{}", NULL, &enc) == TGM_ERROR_OK);
    float v[3] = {1, 2, 3};
    char d[512];
    desc(d, sizeof d, "3", "float32", "\"compression\":\"none\"");
    TT_CHECK_ERR(tgm_streaming_encoder_write(enc, d, (const uint8_t *)v, sizeof v), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_streaming_encoder_finish(enc), TGM_ERROR_OK);
    tgm_bytes_t msg = {NULL, 0};
    TT_CHECK_ERR(tgm_streaming_encoder_take(enc, &msg), TGM_ERROR_OK);
    tgm_streaming_encoder_free(enc);
    TT_ASSERT(msg.len > 0 && msg.len < n);
    memmove(b + msg.len, b, n - msg.len);
    memcpy(b, msg.data, msg.len);
    TT_CHECK_ERR(tgm_scan(b, n, &sr), TGM_ERROR_OK);
    TT_CHECK_EQ_INT(tgm_scan_count(sr), 1);
    tgm_scan_entry_t e = tgm_scan_entry(sr, 0);
    TT_CHECK(e.offset == 0 && e.length == msg.len);
    tgm_scan_free(sr);
    /* no time limit here (tests carry no timing thresholds): the quadratic
     * walk took minutes on this buffer, which the ctest timeout catches */
    fprintf(stderr, "scanned %zu bytes of preamble stubs twice in %.2f s\n", n, now_s() - t0);
    tgm_bytes_free(msg);
    free(b);
}

int main(void) {
    /* Read by the library on first use: must be set before any call. */
    setenv("TENSOGRAM_MAX_OBJECT_BYTES", "4K", 1);
    TT_RUN(test_env_cap);
    TT_RUN(test_parse_bytes);
    TT_RUN(test_plain_shape_2_40);
    TT_RUN(test_zstd_shape_2_40);
    TT_RUN(test_lz4_shape);
    TT_RUN(test_szip_huge);
    TT_RUN(test_zfp_huge);
    TT_RUN(test_blosc2_huge);
    TT_RUN(test_simple_packing_bits0);
    TT_RUN(test_shape_overflow);
    TT_RUN(test_bitmask_huge);
    TT_RUN(test_mask_lengths);
    TT_RUN(test_index_2_60);
    TT_RUN(test_cbor_claims);
    TT_RUN(test_lengths);
    TT_RUN(test_scan_streaming_stubs);
    TT_RUN(test_cap);
    return tt_finish("test_bounds");
}
