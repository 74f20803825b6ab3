/* Validation (tgm_validate, tgm_validate_file, tgm_validate_buffer).
 *
 * Messages are assembled here frame by frame (canonical CBOR from JSON
 * text, xxh3 hash slots computed independently), then damaged one defect
 * at a time; each issue code is checked with its level, severity, object
 * index and byte offset as the reference's validator reports them (facts
 * from its source: validate/structure.rs, metadata.rs, integrity.rs,
 * fidelity.rs).  Also: the reference's own files validate as its code
 * implies, the known-bad files of tests/data/bad, bit flips of a golden
 * file, file-level issues, the JSON shape, and the API contract that the
 * reference's C++ test relies on. */
#include "tt.h"

#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cbor/cbor.h"
#include "common/alloc.h"
#include "common/endian.h"
#include "hash/hash.h"
#include "tensogram/tensogram.h"
#include "validate/validate.h"
#include "wire/wire.h"
#include "json/json.h"

#define H TGM_FF_HASH_PRESENT
#define AFTER TGM_FF_CBOR_AFTER_PAYLOAD

static char dir[256];

static const char *tmp_path(const char *name) {
    static char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return p;
}

/* ========================================================================
 * Message builder
 * ====================================================================== */

typedef struct mb {
    tgm_buf b;
    size_t ffo; /* first footer frame, 0 = none yet */
} mb;

static void mb_init(mb *m) {
    memset(m, 0, sizeof *m);
    tgm__buf_append_zeros(&m->b, TGM_PREAMBLE_SIZE);
}

static void mb_free(mb *m) { tgm__buf_free(&m->b); }

/* Canonical CBOR of a JSON text (keys sorted, shortest forms). */
static void cbor_of(const char *json, tgm_buf *out) {
    tgm_arena a = TGM_ARENA_INIT;
    tgm_val *v = NULL;
    if (tgm__json_parse(json, strlen(json), &a, &v) != TGM_ERROR_OK ||
        tgm__cbor_encode(v, out) != TGM_ERROR_OK) {
        fprintf(stderr, "bad test JSON %s: %s\n", json, tgm_last_error());
        abort();
    }
    tgm__arena_free(&a);
}

/* A non-object frame around `body`; hash slot filled when flags has H. */
static size_t mb_frame_raw(mb *m, uint16_t type, uint16_t flags, const uint8_t *body, size_t n) {
    size_t off = m->b.len;
    uint8_t hdr[16];
    tgm_frame_header fh = {type, 1, flags, 16 + n + 12};
    tgm__frame_header_write(hdr, &fh);
    tgm__buf_append(&m->b, hdr, 16);
    tgm__buf_append(&m->b, body, n);
    tgm__buf_append_be64(&m->b, (flags & H) ? tgm__xxh3(body, n) : 0);
    tgm__buf_append(&m->b, "ENDF", 4);
    tgm__buf_pad8(&m->b);
    if (tgm__frame_phase(type) == TGM_PHASE_FOOTER && m->ffo == 0) {
        m->ffo = off;
    }
    return off;
}

static size_t mb_frame(mb *m, uint16_t type, uint16_t flags, const char *json) {
    tgm_buf c = TGM_BUF_INIT;
    cbor_of(json, &c);
    size_t off = mb_frame_raw(m, type, flags, c.data, c.len);
    tgm__buf_free(&c);
    return off;
}

/* A data-object frame with raw descriptor bytes: CBOR after the payload
 * when flags has AFTER, else before it. */
static size_t mb_obj_raw(mb *m, uint16_t flags, const void *payload, size_t plen,
                         const uint8_t *desc, size_t dlen) {
    size_t off = m->b.len;
    uint8_t hdr[16];
    tgm_frame_header fh = {TGM_FRAME_NTENSOR, 1, flags, 16 + plen + dlen + 20};
    tgm__frame_header_write(hdr, &fh);
    tgm__buf_append(&m->b, hdr, 16);
    size_t body = m->b.len;
    if (flags & AFTER) {
        tgm__buf_append(&m->b, payload, plen);
        tgm__buf_append(&m->b, desc, dlen);
    } else {
        tgm__buf_append(&m->b, desc, dlen);
        tgm__buf_append(&m->b, payload, plen);
    }
    uint64_t h = (flags & H) ? tgm__xxh3(m->b.data + body, plen + dlen) : 0;
    tgm__buf_append_be64(&m->b, (flags & AFTER) ? 16 + plen : 16);
    tgm__buf_append_be64(&m->b, h);
    tgm__buf_append(&m->b, "ENDF", 4);
    tgm__buf_pad8(&m->b);
    return off;
}

static size_t mb_obj(mb *m, uint16_t flags, const void *payload, size_t plen, const char *desc) {
    tgm_buf c = TGM_BUF_INIT;
    cbor_of(desc, &c);
    size_t off = mb_obj_raw(m, flags, payload, plen, c.data, c.len);
    tgm__buf_free(&c);
    return off;
}

/* Postamble and preamble.  total_length 0 writes a streaming message. */
static void mb_end_ex(mb *m, uint16_t pflags, bool streaming) {
    size_t pa = m->b.len;
    tgm_postamble post = {m->ffo ? m->ffo : pa, streaming ? 0 : pa + 24};
    uint8_t tmp[24];
    tgm__postamble_write(tmp, &post);
    tgm__buf_append(&m->b, tmp, 24);
    tgm_preamble pre = {3, pflags, 0, streaming ? 0 : m->b.len};
    tgm__preamble_write(m->b.data, &pre);
}

static void mb_end(mb *m, uint16_t pflags) { mb_end_ex(m, pflags, false); }

/* Recompute the hash slot of the frame at `off` (after a deliberate edit
 * that should not be reported as a hash mismatch). */
static void rehash(mb *m, size_t off) {
    uint8_t *p = m->b.data + off;
    size_t total = (size_t)tgm__rd_be64(p + 8);
    const uint8_t *scope;
    size_t n;
    tgm__frame_hash_scope(p, total, tgm__rd_be16(p + 2), &scope, &n);
    tgm__wr_be64(p + total - 12, tgm__xxh3(scope, n));
}

static void slot_hex(const mb *m, size_t off, char hex[17]) {
    const uint8_t *p = m->b.data + off;
    size_t total = (size_t)tgm__rd_be64(p + 8);
    tgm__hash_hex(tgm__frame_stored_hash(p, total), hex);
}

static const float F4[4] = {1, 2, 3, 4};

#define DESC_F32_4                                                                                 \
    "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[4],\"strides\":[1],\"dtype\":\"float32\","        \
    "\"byte_order\":\"little\",\"encoding\":\"none\",\"filter\":\"none\",\"compression\":"         \
    "\"none\"}"

static int host_big(void) {
    const uint16_t x = 1;
    return *(const uint8_t *)&x == 0;
}

/* Little-endian float32 payload bytes. */
static void f32_le(const float *v, size_t n, uint8_t *out) {
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &v[i], 4);
        tgm__wr_le32(out + 4 * i, u);
    }
}

/* A well-formed message: header metadata, one float32 object, footer
 * index and footer hash frame; hashed when `hashed`. */
typedef struct good {
    mb m;
    size_t meta_off, obj_off, index_off, hash_off;
} good;

static void good_msg(good *g, bool hashed) {
    uint16_t fl = hashed ? H : 0;
    uint8_t pay[16];
    f32_le(F4, 4, pay);
    mb_init(&g->m);
    g->meta_off = mb_frame(&g->m, TGM_FRAME_HEADER_METADATA, fl,
                           "{\"base\":[{\"name\":\"x\",\"_reserved_\":{\"tensor\":{}}}]}");
    g->obj_off = mb_obj(&g->m, AFTER | fl, pay, 16, DESC_F32_4);
    char json[256];
    snprintf(json, sizeof json, "{\"offsets\":[%zu],\"lengths\":[%zu]}", g->obj_off,
             (size_t)tgm__rd_be64(g->m.b.data + g->obj_off + 8));
    g->index_off = mb_frame(&g->m, TGM_FRAME_FOOTER_INDEX, fl, json);
    char hex[17];
    slot_hex(&g->m, g->obj_off, hex);
    snprintf(json, sizeof json, "{\"algorithm\":\"xxh3\",\"hashes\":[\"%s\"]}", hex);
    g->hash_off = mb_frame(&g->m, TGM_FRAME_FOOTER_HASH, fl, json);
    mb_end(&g->m, TGM_MF_HEADER_METADATA | TGM_MF_FOOTER_INDEX | TGM_MF_FOOTER_HASHES |
                      (hashed ? TGM_MF_HASHES_PRESENT : 0));
}

/* ========================================================================
 * Running and inspecting
 * ====================================================================== */

static tgm_vreport R;

static const tgm_vreport *run(const uint8_t *buf, size_t len, const char *level, int canon) {
    tgm__vreport_free(&R);
    tgm__vreport_init(&R);
    tgm_vopts o;
    if (tgm__vopts_parse(level, canon, &o) != TGM_ERROR_OK ||
        tgm__validate_message(buf, len, &o, &R) != TGM_ERROR_OK) {
        fprintf(stderr, "validation failed: %s\n", tgm_last_error());
        tt_failures++;
    }
    return &R;
}

static const tgm_vreport *runm(const mb *m, const char *level, int canon) {
    return run(m->b.data, m->b.len, level, canon);
}

static size_t count_code(const tgm_vreport *r, tgm_vcode code) {
    size_t n = 0;
    for (size_t i = 0; i < r->nissues; i++) {
        n += r->issues[i].code == code;
    }
    return n;
}

static const tgm_vissue *find(const tgm_vreport *r, tgm_vcode code) {
    for (size_t i = 0; i < r->nissues; i++) {
        if (r->issues[i].code == code) {
            return &r->issues[i];
        }
    }
    return NULL;
}

static void dump(const tgm_vreport *r) {
    for (size_t i = 0; i < r->nissues; i++) {
        const tgm_vissue *is = &r->issues[i];
        fprintf(stderr, "    %s %s %s obj=%lld off=%lld: %s\n", tgm__vcode_name(is->code),
                tgm__vlevel_name(is->level), tgm__vseverity_name(is->severity),
                (long long)is->object_index, (long long)is->byte_offset, is->description);
    }
}

/* The report holds `code` with these attributes (obj / off -1 = absent). */
#define EXPECT(r, code, lvl, sev, obj, off)                                                        \
    do {                                                                                           \
        const tgm_vissue *e_ = find((r), TGM_VC_##code);                                           \
        tt_checks++;                                                                               \
        if (e_ == NULL || e_->level != (lvl) || e_->severity != (sev) ||                           \
            e_->object_index != (int64_t)(obj) || e_->byte_offset != (int64_t)(off)) {             \
            tt_failures++;                                                                         \
            fprintf(stderr, "%s:%d: [%s] expected %s level %d sev %d obj %lld off %lld, got:\n",   \
                    __FILE__, __LINE__, tt_current, #code, (int)(lvl), (int)(sev),                 \
                    (long long)(obj), (long long)(off));                                           \
            dump(r);                                                                               \
        }                                                                                          \
    } while (0)

#define EXPECT_NONE(r)                                                                             \
    do {                                                                                           \
        tt_checks++;                                                                               \
        if ((r)->nissues != 0) {                                                                   \
            tt_failures++;                                                                         \
            fprintf(stderr, "%s:%d: [%s] expected no issues, got:\n", __FILE__, __LINE__,          \
                    tt_current);                                                                   \
            dump(r);                                                                               \
        }                                                                                          \
    } while (0)

#define S TGM_VL_STRUCTURE
#define M TGM_VL_METADATA
#define I TGM_VL_INTEGRITY
#define F TGM_VL_FIDELITY
#define ERR TGM_VS_ERROR
#define WARN TGM_VS_WARNING

static const char *const levels[] = {"quick", "default", "checksum", "full"};

/* ========================================================================
 * Well-formed messages
 * ====================================================================== */

static void test_good_messages(void) {
    good g;
    good_msg(&g, true);
    for (int l = 0; l < 4; l++) {
        for (int canon = 0; canon < 2; canon++) {
            const tgm_vreport *r = runm(&g.m, levels[l], canon);
            EXPECT_NONE(r);
            TT_CHECK_EQ_INT(r->object_count, 1);
            /* quick never verifies hashes */
            TT_CHECK_EQ_INT(r->hash_verified, l != 0);
        }
    }
    mb_free(&g.m);

    /* Without hashes: one warning per object at the integrity level. */
    good_msg(&g, false);
    const tgm_vreport *r = runm(&g.m, "default", 0);
    TT_CHECK_EQ_INT(r->nissues, 1);
    EXPECT(r, NO_HASH_AVAILABLE, I, WARN, 0, -1);
    TT_CHECK(!r->hash_verified);
    TT_CHECK(tgm__vreport_ok(r));
    EXPECT_NONE(runm(&g.m, "quick", 1));
    mb_free(&g.m);

    /* Descriptor before the payload (CBOR_AFTER_PAYLOAD clear), streaming
     * (total_length 0), through the library encoder: all clean. */
    mb m;
    mb_init(&m);
    uint8_t pay[16];
    f32_le(F4, 4, pay);
    mb_frame(&m, TGM_FRAME_HEADER_METADATA, H, "{\"base\":[{}]}");
    mb_obj(&m, H, pay, 16, DESC_F32_4);
    mb_obj(&m, H | AFTER, pay, 16, DESC_F32_4);
    mb_end_ex(&m, TGM_MF_HEADER_METADATA | TGM_MF_HASHES_PRESENT, true);
    r = runm(&m, "full", 1);
    EXPECT_NONE(r);
    TT_CHECK_EQ_INT(r->object_count, 2);
    TT_CHECK(r->hash_verified);
    mb_free(&m);

    const char *json =
        "{\"base\":[{\"a\":1}],\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[3],"
        "\"strides\":[1],\"dtype\":\"float32\",\"encoding\":\"none\",\"filter\":\"none\","
        "\"compression\":\"zstd\"}]}";
    const float v[3] = {1, 2, 3};
    const uint8_t *ptrs[1] = {(const uint8_t *)v};
    size_t lens[1] = {sizeof v};
    tgm_bytes_t msg;
    TT_ASSERT(tgm_encode(json, ptrs, lens, 1, "xxh3", 0, &msg) == TGM_ERROR_OK);
    for (int l = 0; l < 4; l++) {
        EXPECT_NONE(run(msg.data, msg.len, levels[l], 1));
    }
    tgm_bytes_free(msg);
}

/* ========================================================================
 * Level 1: structure
 * ====================================================================== */

static void test_preamble_postamble(void) {
    const tgm_vreport *r = run(NULL, 0, NULL, 0);
    TT_CHECK_EQ_INT(r->nissues, 1);
    EXPECT(r, BUFFER_TOO_SHORT, S, ERR, -1, 0);
    TT_CHECK_EQ_STR(r->issues[0].description, "buffer too short for preamble: 0 < 24");
    TT_CHECK_EQ_INT(r->object_count, 0);

    good g;
    good_msg(&g, true);
    uint8_t *p = g.m.b.data;
    size_t n = g.m.b.len;

    memcpy(p, "WRONGMAG", 8);
    r = runm(&g.m, NULL, 0);
    TT_CHECK_EQ_INT(r->nissues, 1);
    EXPECT(r, INVALID_MAGIC, S, ERR, -1, 0);
    TT_CHECK_EQ_STR(r->issues[0].description,
                    "invalid magic bytes: expected TENSOGRM, got \"WRONGMAG\"");
    memcpy(p, "\0\"a\\\n\x7f\xc3\xa9", 8); /* escapes as Rust's {:?} shows them */
    r = runm(&g.m, NULL, 0);
    TT_CHECK_EQ_STR(r->issues[0].description, "invalid magic bytes: expected TENSOGRM, got "
                                              "\"\\u{0}\\\"a\\\\\\n\\u{7f}\xc3\xa9\"");
    memcpy(p, TGM_MAGIC, 8);

    tgm__wr_be16(p + 8, 2);
    r = runm(&g.m, NULL, 0);
    EXPECT(r, PREAMBLE_PARSE_FAILED, S, ERR, -1, 0);
    TT_CHECK(strstr(r->issues[0].description, "unsupported message version 2") != NULL);
    tgm__wr_be16(p + 8, 3);

    r = run(p, n / 2, NULL, 0);
    EXPECT(r, TOTAL_LENGTH_EXCEEDS_BUFFER, S, ERR, -1, 16);
    TT_CHECK_EQ_INT(r->nissues, 1);

    tgm__wr_be64(p + 16, 10);
    r = runm(&g.m, NULL, 0);
    EXPECT(r, TOTAL_LENGTH_TOO_SMALL, S, ERR, -1, 16);
    TT_CHECK_EQ_STR(r->issues[0].description,
                    "total_length 10 is smaller than minimum message size 48");
    tgm__wr_be64(p + 16, n);

    p[n - 1] ^= 1;
    r = runm(&g.m, NULL, 0);
    EXPECT(r, POSTAMBLE_INVALID, S, ERR, -1, n - 24);
    TT_CHECK_EQ_INT(r->nissues, 1);
    tgm__wr_be64(p + 16, 0); /* streaming: postamble found at the end */
    r = runm(&g.m, NULL, 0);
    EXPECT(r, POSTAMBLE_INVALID, S, ERR, -1, n - 24);
    TT_CHECK_EQ_STR(r->issues[0].description, "missing or invalid postamble in streaming message");
    p[n - 1] ^= 1;
    EXPECT_NONE(runm(&g.m, "full", 0)); /* a valid streaming message */
    tgm__wr_be64(p + 16, n);

    /* first_footer_offset: out of range is an error (and then also does
     * not match: a warning); in range but wrong is a warning. */
    tgm__wr_be64(p + n - 24, 8);
    r = runm(&g.m, NULL, 0);
    EXPECT(r, FOOTER_OFFSET_OUT_OF_RANGE, S, ERR, -1, n - 24);
    EXPECT(r, FOOTER_OFFSET_MISMATCH, S, WARN, -1, -1);
    TT_CHECK_EQ_INT(r->nissues, 2);
    tgm__wr_be64(p + n - 24, n);
    EXPECT(runm(&g.m, NULL, 0), FOOTER_OFFSET_OUT_OF_RANGE, S, ERR, -1, n - 24);
    tgm__wr_be64(p + n - 24, g.obj_off);
    r = runm(&g.m, NULL, 0);
    TT_CHECK_EQ_INT(r->nissues, 1);
    EXPECT(r, FOOTER_OFFSET_MISMATCH, S, WARN, -1, -1);
    char want[128];
    snprintf(want, sizeof want,
             "first_footer_offset %zu does not match actual first footer position %zu", g.obj_off,
             g.index_off);
    TT_CHECK_EQ_STR(r->issues[0].description, want);
    /* Checksum mode drops structural warnings but keeps errors. */
    r = runm(&g.m, "checksum", 0);
    EXPECT_NONE(r);
    TT_CHECK(r->hash_verified);
    tgm__wr_be64(p + n - 24, 8);
    r = runm(&g.m, "checksum", 0);
    TT_CHECK_EQ_INT(r->nissues, 1);
    EXPECT(r, FOOTER_OFFSET_OUT_OF_RANGE, S, ERR, -1, n - 24);
    TT_CHECK(!r->hash_verified);
    mb_free(&g.m);
}

static void test_frames(void) {
    uint8_t pay[16];
    f32_le(F4, 4, pay);
    const tgm_vreport *r;

    /* "FR" with too few bytes left before the postamble. */
    mb m;
    mb_init(&m);
    tgm__buf_append(&m.b, "FR\0\0\0\0\0\0", 8);
    mb_end(&m, 0);
    r = runm(&m, NULL, 0);
    EXPECT(r, TRUNCATED_FRAME_HEADER, S, ERR, -1, 24);
    EXPECT(r, NO_METADATA_FRAME, S, ERR, -1, -1);
    mb_free(&m);

    /* Unknown frame type 12: invalid header, walk stops. */
    good g;
    good_msg(&g, true);
    tgm__wr_be16(g.m.b.data + g.obj_off + 2, 12);
    r = runm(&g.m, NULL, 0);
    EXPECT(r, INVALID_FRAME_HEADER, S, ERR, -1, g.obj_off);
    TT_CHECK(strstr(r->issues[0].description, "unknown frame type") != NULL);
    TT_CHECK_EQ_INT(r->object_count, 0);
    tgm__wr_be16(g.m.b.data + g.obj_off + 2, 9);

    /* Frame lengths. */
    uint8_t *tl = g.m.b.data + g.obj_off + 8;
    uint64_t orig = tgm__rd_be64(tl);
    tgm__wr_be64(tl, UINT64_MAX);
    EXPECT(runm(&g.m, NULL, 0), FRAME_LENGTH_OVERFLOW, S, ERR, -1, g.obj_off);
    tgm__wr_be64(tl, 35); /* data objects need 16 + 20 bytes */
    r = runm(&g.m, NULL, 0);
    EXPECT(r, FRAME_TOO_SMALL, S, ERR, -1, g.obj_off);
    char small[96];
    snprintf(small, sizeof small, "frame at offset %zu total_length 35 < minimum 36", g.obj_off);
    TT_CHECK_EQ_STR(find(r, TGM_VC_FRAME_TOO_SMALL)->description, small);
    uint64_t meta_total = tgm__rd_be64(g.m.b.data + g.meta_off + 8);
    tgm__wr_be64(g.m.b.data + g.meta_off + 8, 19); /* other frames: 16 + 4 */
    EXPECT(runm(&g.m, NULL, 0), FRAME_TOO_SMALL, S, ERR, -1, g.meta_off);
    tgm__wr_be64(g.m.b.data + g.meta_off + 8, meta_total);
    tgm__wr_be64(tl, g.m.b.len);
    r = runm(&g.m, NULL, 0);
    EXPECT(r, FRAME_EXCEEDS_MESSAGE, S, ERR, -1, g.obj_off);
    tgm__wr_be64(tl, orig);

    /* A broken end marker stops the walk; the frames after it are not
     * seen, so their flags mismatch and the index counts no object. */
    size_t endf = g.obj_off + (size_t)orig - 4;
    g.m.b.data[endf] = 'X';
    r = runm(&g.m, NULL, 0);
    EXPECT(r, MISSING_END_MARKER, S, ERR, -1, endf);
    EXPECT(r, FLAG_MISMATCH, S, WARN, -1, 10);
    TT_CHECK_EQ_INT(r->object_count, 0);
    g.m.b.data[endf] = 'E';
    EXPECT_NONE(runm(&g.m, "full", 1));
    mb_free(&g.m);

    /* Phase order and preceders. */
    mb_init(&m);
    mb_frame(&m, TGM_FRAME_HEADER_METADATA, 0, "{\"base\":[{}]}");
    mb_obj(&m, AFTER, pay, 16, DESC_F32_4);
    size_t late = mb_frame(&m, TGM_FRAME_HEADER_INDEX, 0, "{\"offsets\":[],\"lengths\":[]}");
    mb_end(&m, TGM_MF_HEADER_METADATA | TGM_MF_HEADER_INDEX);
    r = runm(&m, "quick", 0);
    TT_CHECK_EQ_INT(r->nissues, 1);
    EXPECT(r, FRAME_ORDER_VIOLATION, S, ERR, -1, late);
    char want[160];
    snprintf(want, sizeof want,
             "frame HeaderIndex at offset %zu appears after DataObjects phase \xe2\x80\x94 wrong "
             "order",
             late);
    TT_CHECK_EQ_STR(r->issues[0].description, want);
    mb_free(&m);

    mb_init(&m);
    mb_frame(&m, TGM_FRAME_HEADER_METADATA, 0, "{\"base\":[{},{}]}");
    mb_frame(&m, TGM_FRAME_PRECEDER_METADATA, 0, "{\"base\":[{\"a\":1}]}");
    size_t second = mb_frame(&m, TGM_FRAME_PRECEDER_METADATA, 0, "{\"base\":[{\"a\":2}]}");
    mb_obj(&m, AFTER, pay, 16, DESC_F32_4);
    mb_obj(&m, AFTER, pay, 16, DESC_F32_4);
    mb_frame(&m, TGM_FRAME_PRECEDER_METADATA, 0, "{\"base\":[{\"a\":3}]}");
    mb_end(&m, TGM_MF_HEADER_METADATA | TGM_MF_PRECEDER_METADATA);
    r = runm(&m, "quick", 0);
    TT_CHECK_EQ_INT(r->nissues, 2);
    EXPECT(r, PRECEDER_NOT_FOLLOWED_BY_OBJECT, S, ERR, -1, second);
    EXPECT(r, DANGLING_PRECEDER, S, ERR, -1, -1);
    mb_free(&m);

    /* cbor_offset out of range, or wrapping around: the object is left
     * out of the report's objects (its index still counts). */
    good_msg(&g, false);
    uint8_t *co = g.m.b.data + g.obj_off + (size_t)tgm__rd_be64(g.m.b.data + g.obj_off + 8) - 20;
    uint64_t co_orig = tgm__rd_be64(co);
    tgm__wr_be64(co, 5);
    r = runm(&g.m, NULL, 0);
    EXPECT(r, CBOR_OFFSET_INVALID, S, ERR, 0, g.obj_off);
    TT_CHECK_EQ_INT(r->object_count, 0);
    EXPECT(r, INDEX_COUNT_MISMATCH, M, ERR, -1, -1);
    EXPECT(r, BASE_COUNT_EXCEEDS_OBJECTS, M, ERR, -1, -1);
    tgm__wr_be64(co, UINT64_MAX);
    r = runm(&g.m, NULL, 0);
    EXPECT(r, CBOR_OFFSET_INVALID, S, ERR, 0, g.obj_off);
    TT_CHECK(strstr(find(r, TGM_VC_CBOR_OFFSET_INVALID)->description, "overflows") != NULL);
    tgm__wr_be64(co, co_orig);
    mb_free(&g.m);

    /* CBOR before the payload that does not parse: the payload boundary is
     * unknown. */
    mb_init(&m);
    mb_frame(&m, TGM_FRAME_HEADER_METADATA, 0, "{}");
    static const uint8_t junk[] = {0xff, 0x00};
    size_t ob = mb_obj_raw(&m, 0, pay, 16, junk, sizeof junk);
    mb_end(&m, TGM_MF_HEADER_METADATA);
    r = runm(&m, "quick", 0);
    TT_CHECK_EQ_INT(r->nissues, 1);
    EXPECT(r, CBOR_BEFORE_BOUNDARY_UNKNOWN, S, ERR, 0, ob);
    TT_CHECK_EQ_INT(r->object_count, 0);
    mb_free(&m);

    /* Padding must be zero: after a frame, and between frames. */
    good_msg(&g, true);
    size_t meta_end = g.meta_off + (size_t)tgm__rd_be64(g.m.b.data + g.meta_off + 8);
    TT_ASSERT(meta_end % 8 != 0); /* the metadata frame is followed by padding */
    g.m.b.data[meta_end] = 1;
    r = runm(&g.m, NULL, 0);
    TT_CHECK_EQ_INT(r->nissues, 1);
    EXPECT(r, NON_ZERO_PADDING, S, WARN, -1, meta_end);
    EXPECT_NONE(runm(&g.m, "checksum", 0)); /* warnings suppressed */
    mb_free(&g.m);

    mb_init(&m);
    mb_frame(&m, TGM_FRAME_HEADER_METADATA, 0, "{}");
    size_t gap = m.b.len;
    tgm__buf_append(&m.b, "\xaa\xaa\xaa\xaa\0\0\0\0\0\0\0\0\0\0\0\0", 16);
    mb_end(&m, TGM_MF_HEADER_METADATA);
    r = runm(&m, "quick", 0);
    TT_CHECK_EQ_INT(r->nissues, 1);
    EXPECT(r, NON_ZERO_PADDING, S, WARN, -1, gap);
    mb_free(&m);

    /* Preamble flags against frames; no metadata frame at all. */
    mb_init(&m);
    mb_obj(&m, AFTER, pay, 16, DESC_F32_4);
    mb_end(&m, TGM_MF_HEADER_INDEX);
    r = runm(&m, "quick", 0);
    TT_CHECK_EQ_INT(r->nissues, 2);
    EXPECT(r, FLAG_MISMATCH, S, WARN, -1, 10);
    TT_CHECK_EQ_STR(find(r, TGM_VC_FLAG_MISMATCH)->description,
                    "HEADER_INDEX flag mismatch: declared vs observed");
    EXPECT(r, NO_METADATA_FRAME, S, ERR, -1, -1);
    mb_free(&m);
}

/* ========================================================================
 * Level 2: metadata
 * ====================================================================== */

/* Header metadata (raw CBOR) + one object (raw descriptor CBOR). */
static size_t one_obj_raw(mb *m, const uint8_t *meta, size_t mlen, const uint8_t *desc, size_t dlen,
                          const void *pay, size_t plen, bool hashed) {
    uint16_t fl = hashed ? H : 0;
    mb_init(m);
    mb_frame_raw(m, TGM_FRAME_HEADER_METADATA, fl, meta, mlen);
    size_t off = mb_obj_raw(m, AFTER | fl, pay, plen, desc, dlen);
    mb_end(m, TGM_MF_HEADER_METADATA | (hashed ? TGM_MF_HASHES_PRESENT : 0));
    return off;
}

static size_t one_obj(mb *m, const char *meta, const char *desc, const void *pay, size_t plen,
                      bool hashed) {
    tgm_buf a = TGM_BUF_INIT, b = TGM_BUF_INIT;
    cbor_of(meta, &a);
    cbor_of(desc, &b);
    size_t off = one_obj_raw(m, a.data, a.len, b.data, b.len, pay, plen, hashed);
    tgm__buf_free(&a);
    tgm__buf_free(&b);
    return off;
}

static void test_metadata_frames(void) {
    uint8_t pay[16];
    f32_le(F4, 4, pay);
    mb m;
    const tgm_vreport *r;

    /* Unusable metadata stops level 2 before the descriptors, which level 3
     * then parses itself (reported there). */
    static const uint8_t arr[] = {0x82, 0x01, 0x02};
    tgm_buf d = TGM_BUF_INIT;
    cbor_of("{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[4],\"strides\":[1],\"encoding\":\"none\","
            "\"filter\":\"none\",\"compression\":\"none\"}",
            &d);
    one_obj_raw(&m, arr, sizeof arr, d.data, d.len, pay, 16, false);
    r = runm(&m, NULL, 0);
    EXPECT(r, METADATA_CBOR_PARSE_FAILED, M, ERR, -1, -1);
    TT_CHECK(strstr(find(r, TGM_VC_METADATA_CBOR_PARSE_FAILED)->description, "not a map") != NULL);
    EXPECT(r, HASH_VERIFICATION_ERROR, I, ERR, 0, -1);
    TT_CHECK(strstr(find(r, TGM_VC_HASH_VERIFICATION_ERROR)->description,
                    "failed to parse descriptor: ") != NULL);
    TT_CHECK_EQ_INT(count_code(r, TGM_VC_DESCRIPTOR_CBOR_PARSE_FAILED), 0);
    EXPECT_NONE(runm(&m, "quick", 0));
    /* --canonical runs the metadata level even in quick mode */
    EXPECT(runm(&m, "quick", 1), METADATA_CBOR_PARSE_FAILED, M, ERR, -1, -1);
    mb_free(&m);
    tgm__buf_free(&d);

    /* Non-canonical metadata: keys out of order; an integer not in its
     * shortest form (our check is RFC 8949 §4.2.1 in full). */
    static const uint8_t unsorted[] = {0xa2, 0x61, 'b', 0x01, 0x61, 'a', 0x02};
    static const uint8_t longint[] = {0xa1, 0x61, 'a', 0x18, 0x01};
    tgm_buf desc = TGM_BUF_INIT;
    cbor_of(DESC_F32_4, &desc);
    one_obj_raw(&m, unsorted, sizeof unsorted, desc.data, desc.len, pay, 16, true);
    EXPECT_NONE(runm(&m, "full", 0));
    r = runm(&m, "full", 1);
    TT_CHECK_EQ_INT(r->nissues, 1);
    EXPECT(r, METADATA_CBOR_NON_CANONICAL, M, WARN, -1, -1);
    TT_CHECK(r->hash_verified); /* a warning does not spoil verification */
    EXPECT(runm(&m, "quick", 1), METADATA_CBOR_NON_CANONICAL, M, WARN, -1, -1);
    EXPECT(runm(&m, "checksum", 1), METADATA_CBOR_NON_CANONICAL, M, WARN, -1, -1);
    mb_free(&m);
    one_obj_raw(&m, longint, sizeof longint, desc.data, desc.len, pay, 16, true);
    EXPECT(runm(&m, NULL, 1), METADATA_CBOR_NON_CANONICAL, M, WARN, -1, -1);
    mb_free(&m);

    /* Index frames. */
    for (int k = 0; k < 3; k++) {
        mb_init(&m);
        mb_frame(&m, TGM_FRAME_HEADER_METADATA, 0, "{}");
        size_t ob = mb_obj(&m, AFTER, pay, 16, DESC_F32_4);
        char json[128];
        if (k == 0) {
            snprintf(json, sizeof json, "{\"offsets\":[1,2],\"lengths\":[1]}");
        } else if (k == 1) {
            snprintf(json, sizeof json, "{\"offsets\":[%zu,9],\"lengths\":[1,1]}", ob);
        } else {
            snprintf(json, sizeof json, "{\"offsets\":[123],\"lengths\":[1]}");
        }
        mb_frame(&m, TGM_FRAME_FOOTER_INDEX, 0, json);
        mb_end(&m, TGM_MF_HEADER_METADATA | TGM_MF_FOOTER_INDEX);
        r = runm(&m, NULL, 0);
        if (k == 0) {
            EXPECT(r, INDEX_CBOR_PARSE_FAILED, M, ERR, -1, -1);
        } else if (k == 1) {
            /* the reference reports this count twice, in two wordings */
            TT_CHECK_EQ_INT(count_code(r, TGM_VC_INDEX_COUNT_MISMATCH), 2);
            EXPECT(r, INDEX_COUNT_MISMATCH, M, ERR, -1, -1);
            TT_CHECK_EQ_INT(count_code(r, TGM_VC_INDEX_OFFSET_MISMATCH), 0);
        } else {
            EXPECT(r, INDEX_OFFSET_MISMATCH, M, ERR, 0, -1);
            char want[96];
            snprintf(want, sizeof want, "index offset[0] = 123 but actual data object frame at %zu",
                     ob);
            TT_CHECK_EQ_STR(find(r, TGM_VC_INDEX_OFFSET_MISMATCH)->description, want);
        }
        mb_free(&m);
    }

    /* Hash frames: unparseable (reported by levels 2 and 3), wrong count. */
    mb_init(&m);
    mb_frame(&m, TGM_FRAME_HEADER_METADATA, H, "{}");
    mb_obj(&m, AFTER | H, pay, 16, DESC_F32_4);
    mb_frame(&m, TGM_FRAME_FOOTER_HASH, H, "[1]");
    mb_end(&m, TGM_MF_HEADER_METADATA | TGM_MF_FOOTER_HASHES | TGM_MF_HASHES_PRESENT);
    r = runm(&m, NULL, 0);
    EXPECT(r, HASH_FRAME_CBOR_PARSE_FAILED, M, ERR, -1, -1);
    TT_CHECK_EQ_INT(count_code(r, TGM_VC_HASH_FRAME_CBOR_PARSE_FAILED), 2);
    TT_CHECK(r->issues[r->nissues - 1].level == I || r->issues[1].level == I);
    TT_CHECK(!r->hash_verified);
    r = runm(&m, "checksum", 0);
    TT_CHECK_EQ_INT(r->nissues, 1);
    EXPECT(r, HASH_FRAME_CBOR_PARSE_FAILED, I, ERR, -1, -1);
    mb_free(&m);

    mb_init(&m);
    mb_frame(&m, TGM_FRAME_HEADER_METADATA, 0, "{}");
    mb_obj(&m, AFTER, pay, 16, DESC_F32_4);
    mb_frame(&m, TGM_FRAME_FOOTER_HASH, 0,
             "{\"algorithm\":\"xxh3\",\"hashes\":[\"0000000000000000\",\"0000000000000000\"]}");
    mb_end(&m, TGM_MF_HEADER_METADATA | TGM_MF_FOOTER_HASHES);
    r = runm(&m, NULL, 0);
    EXPECT(r, HASH_FRAME_COUNT_MISMATCH, M, ERR, -1, -1);
    TT_CHECK_EQ_STR(find(r, TGM_VC_HASH_FRAME_COUNT_MISMATCH)->description,
                    "hash frame has 2 hashes but 1 data objects");
    mb_free(&m);

    /* Preceders: not a map, not canonical, not exactly one entry. */
    static const uint8_t prec_unsorted[] = {0xa1, 0x64, 'b', 'a',  's',  'e', 0x81,
                                            0xa2, 0x61, 'b', 0x01, 0x61, 'a', 0x02};
    for (int k = 0; k < 3; k++) {
        mb_init(&m);
        mb_frame(&m, TGM_FRAME_HEADER_METADATA, 0, "{\"base\":[{}]}");
        if (k == 0) {
            mb_frame(&m, TGM_FRAME_PRECEDER_METADATA, 0, "\"text\"");
        } else if (k == 1) {
            mb_frame_raw(&m, TGM_FRAME_PRECEDER_METADATA, 0, prec_unsorted, sizeof prec_unsorted);
        } else {
            mb_frame(&m, TGM_FRAME_PRECEDER_METADATA, 0, "{\"base\":[{\"a\":1},{\"b\":2}]}");
        }
        mb_obj(&m, AFTER, pay, 16, DESC_F32_4);
        mb_end(&m, TGM_MF_HEADER_METADATA | TGM_MF_PRECEDER_METADATA);
        r = runm(&m, NULL, 1);
        if (k == 0) {
            EXPECT(r, PRECEDER_CBOR_PARSE_FAILED, M, ERR, -1, -1);
        } else if (k == 1) {
            EXPECT(r, PRECEDER_CBOR_NON_CANONICAL, M, WARN, -1, -1);
            TT_CHECK(tgm__vreport_ok(r));
        } else {
            EXPECT(r, PRECEDER_BASE_COUNT_WRONG, M, ERR, -1, -1);
            TT_CHECK_EQ_STR(find(r, TGM_VC_PRECEDER_BASE_COUNT_WRONG)->description,
                            "PrecederMetadata base must have exactly 1 entry, got 2");
        }
        mb_free(&m);
    }

    /* base longer than the objects; _reserved_ entries. */
    one_obj(&m, "{\"base\":[{},{}]}", DESC_F32_4, pay, 16, true);
    r = runm(&m, NULL, 0);
    TT_CHECK_EQ_INT(r->nissues, 1);
    EXPECT(r, BASE_COUNT_EXCEEDS_OBJECTS, M, ERR, -1, -1);
    mb_free(&m);
    one_obj(&m, "{\"base\":[{\"_reserved_\":5}]}", DESC_F32_4, pay, 16, true);
    EXPECT(runm(&m, NULL, 0), RESERVED_NOT_A_MAP, M, ERR, 0, -1);
    mb_free(&m);
    one_obj(&m, "{\"base\":[{\"_reserved_\":{\"time\":1}}]}", DESC_F32_4, pay, 16, true);
    r = runm(&m, NULL, 0);
    TT_CHECK_EQ_INT(r->nissues, 1);
    EXPECT(r, RESERVED_MISSING_TENSOR, M, WARN, 0, -1);
    TT_CHECK(r->hash_verified);
    mb_free(&m);
    tgm__buf_free(&desc);
}

static void test_descriptors(void) {
    uint8_t pay[16];
    f32_le(F4, 4, pay);
    mb m;
    const tgm_vreport *r;

    /* Object 0 is fine; object 1 breaks every name and count check;
     * object 2's shape product overflows. */
    mb_init(&m);
    mb_frame(&m, TGM_FRAME_HEADER_METADATA, 0, "{}");
    mb_obj(&m, AFTER, pay, 16, DESC_F32_4);
    size_t o1 = mb_obj(&m, AFTER, pay, 16,
                       "{\"type\":\"\",\"ndim\":2,\"shape\":[4],\"strides\":[1,1],"
                       "\"dtype\":\"float32\",\"encoding\":\"foo\",\"filter\":\"bar\","
                       "\"compression\":\"brotli\"}");
    size_t o2 = mb_obj(&m, AFTER, pay, 16,
                       "{\"type\":\"ntensor\",\"ndim\":2,\"shape\":[1099511627776,1099511627776],"
                       "\"strides\":[1099511627776,1],\"dtype\":\"float32\",\"encoding\":\"none\","
                       "\"filter\":\"none\",\"compression\":\"none\"}");
    mb_end(&m, TGM_MF_HEADER_METADATA);
    r = runm(&m, "full", 0);
    EXPECT(r, EMPTY_OBJ_TYPE, M, ERR, 1, -1);
    EXPECT(r, NDIM_SHAPE_MISMATCH, M, ERR, 1, -1);
    TT_CHECK_EQ_STR(find(r, TGM_VC_NDIM_SHAPE_MISMATCH)->description, "ndim 2 != shape.len() 1");
    EXPECT(r, STRIDES_SHAPE_MISMATCH, M, ERR, 1, -1);
    EXPECT(r, UNKNOWN_ENCODING, M, ERR, 1, -1);
    TT_CHECK_EQ_STR(find(r, TGM_VC_UNKNOWN_ENCODING)->description, "unknown encoding 'foo'");
    EXPECT(r, UNKNOWN_FILTER, M, ERR, 1, -1);
    EXPECT(r, UNKNOWN_COMPRESSION, M, ERR, 1, -1);
    EXPECT(r, PIPELINE_CONFIG_FAILED, I, ERR, 1, o1);
    EXPECT(r, SHAPE_OVERFLOW, M, ERR, 2, -1);
    /* object 2 is stored raw, so level 4 meets the overflow again */
    EXPECT(r, DECODED_SIZE_MISMATCH, F, ERR, 2, o2);
    TT_CHECK_EQ_STR(find(r, TGM_VC_DECODED_SIZE_MISMATCH)->description,
                    "shape product overflows, cannot verify decoded size");
    TT_CHECK_EQ_INT(count_code(r, TGM_VC_DECODED_SIZE_MISMATCH), 1);
    for (size_t i = 0; i < r->nissues; i++) { /* object 0 is fine (it is not hashed) */
        TT_CHECK(r->issues[i].object_index != 0 || r->issues[i].code == TGM_VC_NO_HASH_AVAILABLE);
    }
    mb_free(&m);

    /* A descriptor that does not deserialize; one that is not canonical;
     * a mask offset beyond the payload region (reported under the
     * descriptor code, at the frame's offset). */
    size_t ob = one_obj(&m, "{}",
                        "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[4],\"strides\":[1],"
                        "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"none\"}",
                        pay, 16, true);
    r = runm(&m, NULL, 0);
    EXPECT(r, DESCRIPTOR_CBOR_PARSE_FAILED, M, ERR, 0, -1);
    TT_CHECK(strstr(find(r, TGM_VC_DESCRIPTOR_CBOR_PARSE_FAILED)->description,
                    "missing field `dtype`") != NULL);
    TT_CHECK_EQ_INT(count_code(r, TGM_VC_HASH_VERIFICATION_ERROR), 0);
    /* checksum mode parses descriptors at level 3 */
    r = runm(&m, "checksum", 0);
    TT_CHECK_EQ_INT(r->nissues, 1);
    EXPECT(r, HASH_VERIFICATION_ERROR, I, ERR, 0, -1);
    TT_CHECK(!r->hash_verified);
    mb_free(&m);

    tgm_buf meta = TGM_BUF_INIT;
    cbor_of("{}", &meta);
    /* DESC_F32_4 written by hand with "type" before "ndim" (canonical
     * order has the equally long "ndim" first). */
    static const uint8_t hand[] = {
        0xa9, 0x64, 't', 'y',  'p',  'e',  0x67, 'n',  't',  'e',  'n',  's',  'o',  'r',  0x64,
        'n',  'd',  'i', 'm',  0x01, 0x65, 's',  'h',  'a',  'p',  'e',  0x81, 0x04, 0x67, 's',
        't',  'r',  'i', 'd',  'e',  's',  0x81, 0x01, 0x65, 'd',  't',  'y',  'p',  'e',  0x67,
        'f',  'l',  'o', 'a',  't',  '3',  '2',  0x6a, 'b',  'y',  't',  'e',  '_',  'o',  'r',
        'd',  'e',  'r', 0x66, 'l',  'i',  't',  't',  'l',  'e',  0x68, 'e',  'n',  'c',  'o',
        'd',  'i',  'n', 'g',  0x64, 'n',  'o',  'n',  'e',  0x66, 'f',  'i',  'l',  't',  'e',
        'r',  0x64, 'n', 'o',  'n',  'e',  0x6b, 'c',  'o',  'm',  'p',  'r',  'e',  's',  's',
        'i',  'o',  'n', 0x64, 'n',  'o',  'n',  'e'};
    one_obj_raw(&m, meta.data, meta.len, hand, sizeof hand, pay, 16, true);
    EXPECT_NONE(runm(&m, "full", 0));
    r = runm(&m, "full", 1);
    TT_CHECK_EQ_INT(r->nissues, 1);
    EXPECT(r, DESCRIPTOR_CBOR_NON_CANONICAL, M, WARN, 0, -1);
    mb_free(&m);

    ob = one_obj(&m, "{}",
                 "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[4],\"strides\":[1],"
                 "\"dtype\":\"float32\",\"byte_order\":\"little\",\"encoding\":\"none\","
                 "\"filter\":\"none\",\"compression\":\"none\",\"masks\":{\"nan\":"
                 "{\"method\":\"none\",\"offset\":100,\"length\":1}}}",
                 pay, 16, true);
    r = runm(&m, NULL, 0);
    EXPECT(r, DESCRIPTOR_CBOR_PARSE_FAILED, M, ERR, 0, ob);
    TT_CHECK_EQ_STR(find(r, TGM_VC_DESCRIPTOR_CBOR_PARSE_FAILED)->description,
                    "mask offset 100 out of range (payload region is 16 bytes)");
    /* the descriptor is still usable: level 4 then fails on the masks */
    EXPECT(runm(&m, "full", 0), DECODE_OBJECT_FAILED, F, ERR, 0, ob);
    mb_free(&m);
    tgm__buf_free(&meta);
}

/* ========================================================================
 * Level 3: integrity
 * ====================================================================== */

static void test_integrity(void) {
    good g;
    good_msg(&g, true);
    uint8_t *p = g.m.b.data;
    const tgm_vreport *r;

    /* A flipped payload byte: the object's inline hash. */
    char stored[17], actual[17], want[160];
    slot_hex(&g.m, g.obj_off, stored);
    p[g.obj_off + 16] ^= 0x01;
    const uint8_t *scope;
    size_t n;
    tgm__frame_hash_scope(p + g.obj_off, (size_t)tgm__rd_be64(p + g.obj_off + 8), 9, &scope, &n);
    tgm__hash_hex(tgm__xxh3(scope, n), actual);
    snprintf(want, sizeof want, "frame hash mismatch (expected %s, got %s)", stored, actual);
    for (int l = 1; l < 4; l++) {
        r = runm(&g.m, levels[l], 0);
        TT_CHECK_EQ_INT(r->nissues, 1);
        EXPECT(r, HASH_MISMATCH, I, ERR, 0, g.obj_off);
        TT_CHECK_EQ_STR(r->issues[0].description, want);
        TT_CHECK(!r->hash_verified);
    }
    EXPECT_NONE(runm(&g.m, "quick", 0));
    p[g.obj_off + 16] ^= 0x01;

    /* §11.4: a hash-frame entry that disagrees with the inline slot. */
    size_t hpos = g.hash_off + 16;
    size_t hlen = (size_t)tgm__rd_be64(p + g.hash_off + 8) - 28;
    uint8_t *hex = NULL;
    for (size_t i = hpos; i + 16 <= hpos + hlen; i++) {
        if (memcmp(p + i, stored, 16) == 0) {
            hex = p + i;
        }
    }
    TT_ASSERT(hex != NULL);
    hex[0] = hex[0] == '0' ? '1' : '0';
    char entry[17];
    memcpy(entry, hex, 16);
    entry[16] = '\0';
    rehash(&g.m, g.hash_off);
    r = runm(&g.m, NULL, 0);
    TT_CHECK_EQ_INT(r->nissues, 1);
    EXPECT(r, HASH_MISMATCH, I, ERR, 0, g.obj_off);
    snprintf(want, sizeof want,
             "HashFrame aggregate[0] = %s disagrees with frame 0 inline slot = %s", entry, stored);
    TT_CHECK_EQ_STR(r->issues[0].description, want);
    /* Without re-hashing, the hash frame's own slot fails too (the check
     * of non-object frames that §11.2 asks for; the reference has only
     * the aggregate finding). */
    hex[1] ^= 1;
    r = runm(&g.m, "checksum", 0);
    TT_CHECK_EQ_INT(r->nissues, 2);
    TT_CHECK(r->issues[0].code == TGM_VC_HASH_MISMATCH && r->issues[0].object_index == -1 &&
             r->issues[0].byte_offset == (int64_t)g.hash_off);
    TT_CHECK(strncmp(r->issues[0].description, "FooterHash frame hash mismatch", 30) == 0);
    hex[1] ^= 1;
    hex[0] = stored[0];
    rehash(&g.m, g.hash_off);
    EXPECT_NONE(runm(&g.m, "full", 1));

    /* Metadata content changed but still valid: only its frame hash can
     * tell (reference: no finding). */
    uint8_t *x = memchr(p + g.meta_off + 16, 'x', 64);
    TT_ASSERT(x != NULL);
    *x = 'y';
    r = runm(&g.m, NULL, 0);
    TT_CHECK_EQ_INT(r->nissues, 1);
    EXPECT(r, HASH_MISMATCH, I, ERR, -1, g.meta_off);
    *x = 'x';

    /* HASH_PRESENT clear on the object frame while the preamble says every
     * frame is hashed. */
    tgm__wr_be16(p + g.obj_off + 6, AFTER);
    r = runm(&g.m, "checksum", 0);
    TT_CHECK_EQ_INT(r->nissues, 1);
    EXPECT(r, HASH_VERIFICATION_ERROR, I, ERR, 0, g.obj_off);
    TT_CHECK(strstr(r->issues[0].description, "HASH_PRESENT flag clear") != NULL);
    tgm__wr_be16(p + g.obj_off + 6, AFTER | H);

    /* HASHES_PRESENT clear: nothing to verify, a warning per object. */
    tgm__wr_be16(p + 10, tgm__rd_be16(p + 10) & ~TGM_MF_HASHES_PRESENT);
    r = runm(&g.m, "checksum", 0);
    TT_CHECK_EQ_INT(r->nissues, 1);
    EXPECT(r, NO_HASH_AVAILABLE, I, WARN, 0, -1);
    TT_CHECK(!r->hash_verified && tgm__vreport_ok(r));
    mb_free(&g.m);

    /* Header and footer hash frames that disagree; an unknown algorithm. */
    uint8_t pay[16];
    f32_le(F4, 4, pay);
    for (int k = 0; k < 2; k++) {
        mb m;
        mb_init(&m);
        mb_frame(&m, TGM_FRAME_HEADER_METADATA, H, "{}");
        /* the object's slot is known only after it is written: write the
         * header hash frame with a placeholder and patch it */
        size_t hh = mb_frame(&m, TGM_FRAME_HEADER_HASH, H,
                             k == 0 ? "{\"algorithm\":\"xxh3\",\"hashes\":[\"................\"]}"
                                    : "{\"algorithm\":\"md5\",\"hashes\":[\"00\"]}");
        size_t ob = mb_obj(&m, AFTER | H, pay, 16, DESC_F32_4);
        char sh[17];
        slot_hex(&m, ob, sh);
        if (k == 0) {
            uint8_t *dots = memchr(m.b.data + hh + 16, '.', 64);
            memcpy(dots, sh, 16);
            rehash(&m, hh);
            mb_frame(&m, TGM_FRAME_FOOTER_HASH, H,
                     "{\"algorithm\":\"xxh3\",\"hashes\":[\"0123456789abcdef\"]}");
        }
        mb_end(&m, TGM_MF_HEADER_METADATA | TGM_MF_HEADER_HASHES | TGM_MF_HASHES_PRESENT |
                       (k == 0 ? TGM_MF_FOOTER_HASHES : 0));
        r = runm(&m, NULL, 0);
        TT_CHECK_EQ_INT(r->nissues, 1);
        if (k == 0) {
            EXPECT(r, HASH_MISMATCH, I, ERR, -1, -1);
            TT_CHECK(strstr(r->issues[0].description, "aggregate frames disagree") != NULL);
            TT_CHECK(!r->hash_verified);
        } else {
            EXPECT(r, UNKNOWN_HASH_ALGORITHM, I, WARN, -1, -1);
            TT_CHECK(strstr(r->issues[0].description, "'md5'") != NULL);
            TT_CHECK(r->hash_verified);
        }
        mb_free(&m);
    }

    /* Decoding: a zstd payload that is not a zstd frame; an sz3 payload that
     * is not an SZ3 stream (or, in a build without sz3, a compression the
     * format knows but the build lacks); szip without parameters. */
    static const char *const descs[] = {
        "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[4],\"strides\":[1],\"dtype\":\"float32\","
        "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"zstd\"}",
        "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[2],\"strides\":[1],\"dtype\":\"float64\","
        "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"sz3\","
        "\"sz3_error_bound_mode\":\"abs\",\"sz3_error_bound\":0.1}",
        "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[4],\"strides\":[1],\"dtype\":\"float32\","
        "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"szip\"}"};
    uint8_t junk[16];
    memset(junk, 0xff, sizeof junk);
    for (int k = 0; k < 3; k++) {
        mb m;
        size_t ob = one_obj(&m, "{}", descs[k], junk, 16, true);
        r = runm(&m, NULL, 0);
        TT_CHECK_EQ_INT(r->nissues, 1);
        if (k == 0) {
#ifdef TGM_HAVE_ZSTD
            EXPECT(r, DECODE_PIPELINE_FAILED, I, ERR, 0, ob);
#endif
#ifdef TGM_HAVE_SZ3
        } else if (k == 1) {
            EXPECT(r, DECODE_PIPELINE_FAILED, I, ERR, 0, ob);
#endif
        } else {
            EXPECT(r, PIPELINE_CONFIG_FAILED, I, ERR, 0, ob);
        }
        TT_CHECK(!r->hash_verified);
        EXPECT_NONE(runm(&m, "checksum", 0)); /* no decoding in checksum mode */
        TT_CHECK(R.hash_verified);
        EXPECT_NONE(runm(&m, "quick", 1));
        mb_free(&m);
    }
}

/* ========================================================================
 * Level 4: fidelity
 * ====================================================================== */

static const char *desc_for(const char *dtype, const char *order, size_t n, const char *extra) {
    static char buf[512];
    snprintf(buf, sizeof buf,
             "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[%zu],\"strides\":[1],\"dtype\":\"%s\","
             "\"byte_order\":\"%s\",\"encoding\":\"none\",\"filter\":\"none\","
             "\"compression\":\"none\"%s}",
             n, dtype, order, extra ? extra : "");
    return buf;
}

/* Validate one raw object at "full" and check its single finding. */
static void fidelity_case(const char *dtype, const char *order, size_t n, const void *pay,
                          size_t plen, tgm_vcode code, const char *text) {
    mb m;
    size_t ob = one_obj(&m, "{}", desc_for(dtype, order, n, NULL), pay, plen, true);
    EXPECT_NONE(runm(&m, NULL, 0)); /* values are looked at only by "full" */
    const tgm_vreport *r = runm(&m, "full", 0);
    if (text == NULL) {
        EXPECT_NONE(r);
    } else {
        TT_CHECK_EQ_INT(r->nissues, 1);
        if (r->nissues == 1) {
            TT_CHECK(r->issues[0].code == code && r->issues[0].level == F &&
                     r->issues[0].severity == ERR && r->issues[0].object_index == 0 &&
                     r->issues[0].byte_offset == (int64_t)ob);
            TT_CHECK_EQ_STR(r->issues[0].description, text);
        } else {
            dump(r);
        }
        TT_CHECK(!r->hash_verified);
    }
    mb_free(&m);
}

static void test_fidelity(void) {
    const float nanf_ = NAN;
    float f[4] = {1, nanf_, 3, nanf_};
    uint8_t b[64];
    f32_le(f, 4, b);
    fidelity_case("float32", "little", 4, b, 16, TGM_VC_NAN_DETECTED,
                  "unexpected NaN at element 1 (not recorded in mask)");
    /* float64 big-endian, -Inf at element 2 */
    double d[3] = {0.5, 1e300, -INFINITY};
    for (int i = 0; i < 3; i++) {
        uint64_t u;
        memcpy(&u, &d[i], 8);
        tgm__wr_be64(b + 8 * i, u);
    }
    fidelity_case("float64", "big", 3, b, 24, TGM_VC_INF_DETECTED,
                  "unexpected Inf at element 2 (not recorded in mask)");
    /* complex64: (1, 2), (1, +Inf) */
    float c[4] = {1, 2, 1, INFINITY};
    f32_le(c, 4, b);
    fidelity_case("complex64", "little", 2, b, 16, TGM_VC_INF_DETECTED,
                  "unexpected Inf at element 1 (imaginary component, not recorded in mask)");
    /* complex128 with real NaN and imaginary Inf: the real NaN wins */
    double cc[2] = {NAN, INFINITY};
    for (int i = 0; i < 2; i++) {
        uint64_t u;
        memcpy(&u, &cc[i], 8);
        tgm__wr_le64(b + 8 * i, u);
    }
    fidelity_case("complex128", "little", 1, b, 16, TGM_VC_NAN_DETECTED,
                  "unexpected NaN at element 0 (real component, not recorded in mask)");
    /* float16 NaN (0x7e00), bfloat16 +Inf (0x7f80) big-endian */
    tgm__wr_le16(b, 0x3c00);
    tgm__wr_le16(b + 2, 0x7e00);
    fidelity_case("float16", "little", 2, b, 4, TGM_VC_NAN_DETECTED,
                  "unexpected NaN at element 1 (not recorded in mask)");
    tgm__wr_be16(b, 0x7f80);
    fidelity_case("bfloat16", "big", 1, b, 2, TGM_VC_INF_DETECTED,
                  "unexpected Inf at element 0 (not recorded in mask)");
    /* integers have no non-finite values */
    memset(b, 0xff, 16);
    fidelity_case("uint32", "little", 4, b, 16, TGM_VC_COUNT, NULL);
    fidelity_case("int64", "big", 2, b, 16, TGM_VC_COUNT, NULL);
    /* decoded size */
    f32_le(F4, 4, b);
    fidelity_case("float32", "little", 4, b, 12, TGM_VC_DECODED_SIZE_MISMATCH,
                  "decoded size 12 != expected 16 (shape [4], dtype float32)");
    fidelity_case("float64", "little", (size_t)1 << 61, b, 16, TGM_VC_DECODED_SIZE_MISMATCH,
                  "expected decoded size overflows usize");

    /* Masks: NaN is expected where the nan mask has a bit.  Payload
     * [1, NaN, 3, NaN] followed by a one-byte "none" mask blob. */
    f32_le(f, 4, b);
    static const char *const masks[] = {
        ",\"masks\":{\"nan\":{\"method\":\"none\",\"offset\":16,\"length\":1}}",
        ",\"masks\":{\"nan\":{\"method\":\"bogus\",\"offset\":16,\"length\":1}}"};
    static const uint8_t blobs[] = {0x40, 0x50};
    for (int k = 0; k < 3; k++) {
        b[16] = blobs[k == 2 ? 0 : k];
        mb m;
        size_t ob = one_obj(&m, "{}", desc_for("float32", "little", 4, masks[k == 2]), b, 17, true);
        const tgm_vreport *r = runm(&m, "full", 1);
        if (k == 0) {
            TT_CHECK_EQ_INT(r->nissues, 1);
            EXPECT(r, NAN_DETECTED, F, ERR, 0, ob);
            TT_CHECK_EQ_STR(find(r, TGM_VC_NAN_DETECTED)->description,
                            "unexpected NaN at element 3 (not recorded in mask)");
        } else if (k == 1) {
            EXPECT_NONE(r);
            TT_CHECK(r->hash_verified);
        } else {
            TT_CHECK_EQ_INT(r->nissues, 1);
            EXPECT(r, DECODE_OBJECT_FAILED, F, ERR, 0, ob);
            TT_CHECK(strncmp(find(r, TGM_VC_DECODE_OBJECT_FAILED)->description,
                             "bitmask decode failed: ", 23) == 0);
        }
        mb_free(&m);
    }

    /* Large payloads (the scan looks at blocks of elements first): a NaN
     * masked in one block, an Inf unmasked in a later one, both byte
     * orders; complex128 with an imaginary Inf far in. */
    for (int big = 0; big < 2; big++) {
        size_t n = 5000, nb = n * 4;
        uint8_t *big_pay = calloc(1, nb + (n + 7) / 8);
        for (size_t i = 0; i < n; i++) {
            float x = (float)i * 0.5f;
            if (i == 1500) {
                x = NAN;
            } else if (i == 4321) {
                x = INFINITY;
            }
            uint32_t u;
            memcpy(&u, &x, 4);
            big ? tgm__wr_be32(big_pay + 4 * i, u) : tgm__wr_le32(big_pay + 4 * i, u);
        }
        big_pay[nb + 1500 / 8] = (uint8_t)(0x80 >> (1500 % 8));
        char extra[160];
        snprintf(extra, sizeof extra,
                 ",\"masks\":{\"nan\":{\"method\":\"none\",\"offset\":%zu,\"length\":%zu}}", nb,
                 (n + 7) / 8);
        mb m;
        size_t ob = one_obj(&m, "{}", desc_for("float32", big ? "big" : "little", n, extra),
                            big_pay, nb + (n + 7) / 8, true);
        const tgm_vreport *r = runm(&m, "full", 0);
        TT_CHECK_EQ_INT(r->nissues, 1);
        EXPECT(r, INF_DETECTED, F, ERR, 0, ob);
        TT_CHECK_EQ_STR(r->issues[0].description,
                        "unexpected Inf at element 4321 (not recorded in mask)");
        mb_free(&m);
        free(big_pay);

        n = 1200;
        big_pay = calloc(n, 16);
        tgm__wr_be64(big_pay + 16 * 1100 + (big ? 8 : 0), 0x7ff0000000000000ull);
        if (!big) { /* little-endian: the same value in LE byte order */
            memset(big_pay + 16 * 1100, 0, 16);
            tgm__wr_le64(big_pay + 16 * 1100 + 8, 0x7ff0000000000000ull);
        }
        fidelity_case("complex128", big ? "big" : "little", n, big_pay, n * 16, TGM_VC_INF_DETECTED,
                      "unexpected Inf at element 1100 (imaginary component, not recorded in mask)");
        free(big_pay);
    }

    /* The library's own NaN/Inf masks validate clean at "full". */
    double v[6] = {1, NAN, 3, INFINITY, -INFINITY, 6};
    const uint8_t *ptrs[1] = {(const uint8_t *)v};
    size_t lens[1] = {sizeof v};
    char json[512];
    snprintf(json, sizeof json,
             "{\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[6],\"strides\":[1],"
             "\"dtype\":\"float64\",\"byte_order\":\"%s\",\"encoding\":\"none\",\"filter\":"
             "\"none\",\"compression\":\"lz4\"}]}",
             host_big() ? "big" : "little");
    TgmEncodeMaskOptions mo = {true, true, "rle", NULL, "none", 0};
    tgm_bytes_t msg;
    TT_ASSERT(tgm_encode_with_options(json, ptrs, lens, 1, "xxh3", 0, &mo, &msg) == TGM_ERROR_OK);
    const tgm_vreport *r = run(msg.data, msg.len, "full", 1);
    EXPECT_NONE(r);
    TT_CHECK(r->hash_verified);
    tgm_bytes_free(msg);
}

/* ========================================================================
 * JSON report and the C API
 * ====================================================================== */

static char *to_str(tgm_bytes_t b) {
    char *s = malloc(b.len + 1);
    memcpy(s, b.data, b.len);
    s[b.len] = '\0';
    return s;
}

static void test_json_and_api(void) {
    good g;
    good_msg(&g, true);
    tgm_bytes_t out;
    TT_ASSERT(tgm_validate(g.m.b.data, g.m.b.len, NULL, 0, &out) == TGM_ERROR_OK);
    char *s = to_str(out);
    TT_CHECK_EQ_STR(s, "{\"issues\":[],\"object_count\":1,\"hash_verified\":true}");
    free(s);
    tgm_bytes_free(out);

    /* An issue with both optional fields, one with neither; the fields
     * come in the reference's struct order. */
    g.m.b.data[g.obj_off + 20] ^= 4;
    TT_ASSERT(tgm_validate(g.m.b.data, g.m.b.len, "default", 0, &out) == TGM_ERROR_OK);
    s = to_str(out);
    char want[256];
    snprintf(want, sizeof want,
             "{\"issues\":[{\"code\":\"hash_mismatch\",\"level\":\"integrity\",\"severity\":"
             "\"error\",\"object_index\":0,\"byte_offset\":%zu,\"description\":\"frame hash "
             "mismatch (expected ",
             g.obj_off);
    TT_CHECK(strncmp(s, want, strlen(want)) == 0);
    TT_CHECK(strstr(s, "\"}],\"object_count\":1,\"hash_verified\":false}") != NULL);
    tgm_arena a = TGM_ARENA_INIT;
    tgm_val *root = NULL;
    TT_CHECK(tgm__json_parse(s, strlen(s), &a, &root) == TGM_ERROR_OK);
    if (root != NULL) {
        const tgm_val *issues = tgm__val_map_get(root, "issues");
        TT_CHECK(issues != NULL && issues->kind == TGM_V_ARRAY && issues->len == 1);
        const tgm_val *oc = tgm__val_map_get(root, "object_count");
        TT_CHECK(oc != NULL && oc->kind == TGM_V_INT && oc->num.u == 1);
        const tgm_val *hv = tgm__val_map_get(root, "hash_verified");
        TT_CHECK(hv != NULL && hv->kind == TGM_V_BOOL && !hv->num.b);
        const tgm_val *is = &issues->p.items[0];
        TT_CHECK(is->kind == TGM_V_MAP && is->len == 6);
        TT_CHECK(tgm__val_is_text(tgm__val_map_get(is, "severity"), "error"));
    }
    tgm__arena_free(&a);
    free(s);
    tgm_bytes_free(out);
    mb_free(&g.m);

    mb m;
    mb_init(&m);
    mb_end(&m, 0);
    TT_ASSERT(tgm_validate(m.b.data, m.b.len, "quick", 0, &out) == TGM_ERROR_OK);
    s = to_str(out);
    TT_CHECK_EQ_STR(s, "{\"issues\":[{\"code\":\"no_metadata_frame\",\"level\":\"structure\","
                       "\"severity\":\"error\",\"description\":\"no metadata frame found "
                       "(neither header nor footer)\"}],\"object_count\":0,\"hash_verified\":"
                       "false}");
    free(s);
    tgm_bytes_free(out);

    /* Descriptions are escaped as serde_json does and parse back. */
    memcpy(m.b.data,
           "\"\\\t\x01"
           "abcd",
           8);
    TT_ASSERT(tgm_validate(m.b.data, m.b.len, "quick", 0, &out) == TGM_ERROR_OK);
    s = to_str(out);
    a = (tgm_arena)TGM_ARENA_INIT;
    TT_CHECK(tgm__json_parse(s, strlen(s), &a, &root) == TGM_ERROR_OK);
    const tgm_val *d =
        tgm__val_map_get(&tgm__val_map_get(root, "issues")->p.items[0], "description");
    TT_CHECK(d != NULL && tgm__val_is_text(d, "invalid magic bytes: expected TENSOGRM, got "
                                              "\"\\\"\\\\\\t\\u{1}abcd\""));
    tgm__arena_free(&a);
    free(s);
    tgm_bytes_free(out);
    mb_free(&m);

    /* What the reference's C++ test (cpp/tests/test_validate.cpp) looks
     * for, through a message from the library's own encoder. */
    const float v[3] = {1, 2, 3};
    const uint8_t *ptrs[1] = {(const uint8_t *)v};
    size_t lens[1] = {sizeof v};
    tgm_bytes_t msg;
    TT_ASSERT(tgm_encode("{\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[3],"
                         "\"strides\":[1],\"dtype\":\"float32\",\"encoding\":\"none\","
                         "\"filter\":\"none\",\"compression\":\"none\"}]}",
                         ptrs, lens, 1, "xxh3", 0, &msg) == TGM_ERROR_OK);
    static const char *const want_sub[][2] = {{NULL, "\"issues\":[]"},
                                              {"quick", "\"hash_verified\":false"},
                                              {"full", "\"issues\":[]"},
                                              {"default", "\"object_count\""}};
    for (int k = 0; k < 4; k++) {
        for (int canon = 0; canon < 2; canon++) {
            TT_ASSERT(tgm_validate(msg.data, msg.len, want_sub[k][0], canon, &out) == TGM_ERROR_OK);
            s = to_str(out);
            TT_CHECK(strstr(s, want_sub[k][1]) != NULL);
            TT_CHECK(strstr(s, "\"hash_verified\"") != NULL);
            free(s);
            tgm_bytes_free(out);
        }
    }
    TT_ASSERT(tgm_validate(NULL, 0, NULL, 0, &out) == TGM_ERROR_OK);
    s = to_str(out);
    TT_CHECK(strstr(s, "\"buffer_too_short\"") != NULL);
    free(s);
    tgm_bytes_free(out);
    memcpy(msg.data, "WRONGMAG", 8);
    TT_ASSERT(tgm_validate(msg.data, msg.len, NULL, 0, &out) == TGM_ERROR_OK);
    s = to_str(out);
    TT_CHECK(strstr(s, "\"invalid_magic\"") != NULL);
    free(s);
    tgm_bytes_free(out);

    /* Argument errors. */
    TT_CHECK_ERR(tgm_validate(msg.data, msg.len, "bogus", 0, &out), TGM_ERROR_INVALID_ARG);
    TT_CHECK(strstr(tgm_last_error(), "unknown validation level: 'bogus'") != NULL);
    TT_CHECK_ERR(tgm_validate(msg.data, msg.len, NULL, 0, NULL), TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm_validate(NULL, 42, NULL, 0, &out), TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm_validate_file(NULL, NULL, 0, &out), TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm_validate_file("x.tgm", NULL, 0, NULL), TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm_validate_file("/nonexistent/path/to/file.tgm", NULL, 0, &out), TGM_ERROR_IO);
    TT_CHECK_ERR(tgm_validate_file("/nonexistent/path/to/file.tgm", "bogus", 0, &out),
                 TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm_validate_buffer(NULL, 1, NULL, 0, &out), TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm_validate_buffer(NULL, 0, "full", 0, NULL), TGM_ERROR_INVALID_ARG);
    tgm_bytes_free(msg);
}

/* ========================================================================
 * Files and buffers of messages
 * ====================================================================== */

static void write_file(const char *path, const uint8_t *a, size_t na, const uint8_t *b, size_t nb,
                       const uint8_t *c, size_t nc) {
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        perror(path);
        abort();
    }
    if ((na && fwrite(a, 1, na, f) != na) || (nb && fwrite(b, 1, nb, f) != nb) ||
        (nc && fwrite(c, 1, nc, f) != nc)) {
        abort();
    }
    fclose(f);
}

/* Validate a file and the same bytes as a buffer: identical reports. */
static char *validate_both(const char *path, const char *level) {
    tgm_bytes_t a, b;
    if (tgm_validate_file(path, level, 0, &a) != TGM_ERROR_OK) {
        fprintf(stderr, "validate_file %s: %s\n", path, tgm_last_error());
        tt_failures++;
        return strdup("");
    }
    size_t n;
    unsigned char *bytes = tt_read_file(path, &n);
    TT_CHECK(tgm_validate_buffer(bytes, n, level, 0, &b) == TGM_ERROR_OK);
    TT_CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
    free(bytes);
    char *s = to_str(a);
    tgm_bytes_free(a);
    tgm_bytes_free(b);
    return s;
}

static void test_files(void) {
    good g;
    good_msg(&g, true);
    const uint8_t *msg = g.m.b.data;
    size_t n = g.m.b.len;
    static const uint8_t junk[13] = "garbage bytes";
    char want[512], *s;

    const char *p = tmp_path("clean.tgm");
    write_file(p, msg, n, msg, n, NULL, 0);
    s = validate_both(p, "full");
    TT_CHECK_EQ_STR(s, "{\"file_issues\":[],\"messages\":[{\"issues\":[],\"object_count\":1,"
                       "\"hash_verified\":true},{\"issues\":[],\"object_count\":1,"
                       "\"hash_verified\":true}]}");
    free(s);

    p = tmp_path("garbage.tgm");
    write_file(p, junk, 13, msg, n, NULL, 0);
    s = validate_both(p, NULL);
    const char *lead = "{\"file_issues\":[{\"byte_offset\":0,\"length\":13,\"description\":\"13 "
                       "unrecognized bytes at offset 0\"}],\"messages\":[{\"issues\":[]";
    TT_CHECK(strncmp(s, lead, strlen(lead)) == 0);
    free(s);
    write_file(p, msg, n, junk, 13, msg, n);
    s = validate_both(p, NULL);
    snprintf(want, sizeof want,
             "{\"file_issues\":[{\"byte_offset\":%zu,\"length\":13,\"description\":\"13 "
             "unrecognized bytes at offset %zu\"}],\"messages\":[{",
             n, n);
    TT_CHECK(strncmp(s, want, strlen(want)) == 0);
    TT_CHECK(strstr(s, "},{\"issues\":[]") != NULL); /* both messages found */
    free(s);

    /* A torn tail (an append cut short) and bytes with no message. */
    p = tmp_path("torn.tgm");
    write_file(p, msg, n, msg, n / 2, NULL, 0);
    s = validate_both(p, NULL);
    snprintf(want, sizeof want,
             "{\"file_issues\":[{\"byte_offset\":%zu,\"length\":%zu,\"description\":\"%zu "
             "trailing bytes after last message at offset %zu\"}],\"messages\":[{\"issues\":[],",
             n, n / 2, n / 2, n);
    TT_CHECK(strncmp(s, want, strlen(want)) == 0);
    free(s);
    write_file(p, msg, n / 2, NULL, 0, NULL, 0);
    s = validate_both(p, "quick");
    snprintf(want, sizeof want,
             "{\"file_issues\":[{\"byte_offset\":0,\"length\":%zu,\"description\":\"%zu bytes "
             "with no valid messages\"}],\"messages\":[]}",
             n / 2, n / 2);
    TT_CHECK_EQ_STR(s, want);
    free(s);

    /* A streaming last message (total_length 0) is an ordinary message. */
    mb st;
    uint8_t pay[16];
    f32_le(F4, 4, pay);
    mb_init(&st);
    mb_frame(&st, TGM_FRAME_HEADER_METADATA, H, "{}");
    size_t sob = mb_obj(&st, AFTER | H, pay, 16, DESC_F32_4);
    snprintf(want, sizeof want, "{\"offsets\":[%zu],\"lengths\":[1]}", sob);
    mb_frame(&st, TGM_FRAME_FOOTER_INDEX, H, want);
    mb_end_ex(&st, TGM_MF_HEADER_METADATA | TGM_MF_FOOTER_INDEX | TGM_MF_HASHES_PRESENT, true);
    p = tmp_path("streaming.tgm");
    write_file(p, msg, n, st.b.data, st.b.len, NULL, 0);
    s = validate_both(p, "full");
    TT_CHECK_EQ_STR(s, "{\"file_issues\":[],\"messages\":[{\"issues\":[],\"object_count\":1,"
                       "\"hash_verified\":true},{\"issues\":[],\"object_count\":1,"
                       "\"hash_verified\":true}]}");
    free(s);
    mb_free(&st);

    p = tmp_path("empty.tgm");
    write_file(p, NULL, 0, NULL, 0, NULL, 0);
    s = validate_both(p, NULL);
    TT_CHECK_EQ_STR(s, "{\"file_issues\":[],\"messages\":[]}");
    free(s);

    tgm_bytes_t out;
    TT_CHECK_ERR(tgm_validate_file(tmp_path("missing.tgm"), NULL, 0, &out), TGM_ERROR_IO);
    TT_CHECK_ERR(tgm_validate_file(dir, NULL, 0, &out), TGM_ERROR_IO);
    mb_free(&g.m);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/tgm-test-validate-XXXXXX");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    tgm__vreport_init(&R);
    TT_RUN(test_good_messages);
    TT_RUN(test_preamble_postamble);
    TT_RUN(test_frames);
    TT_RUN(test_metadata_frames);
    TT_RUN(test_descriptors);
    TT_RUN(test_integrity);
    TT_RUN(test_fidelity);
    TT_RUN(test_json_and_api);
    TT_RUN(test_files);
    tgm__vreport_free(&R);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", dir);
    }
    return tt_finish("test_validate");
}
