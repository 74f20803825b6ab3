/* Validation of files from elsewhere: the reference's own files (golden,
 * fixtures, codecs, remote-parity), the known-bad files of tests/data/bad,
 * every single-bit flip and every truncation of a golden file.  Expected
 * outcomes are reasoned from the reference's validator source
 * (rust/tensogram/src/validate/) and the wire format, not from this
 * library. */
#include "tt.h"

#include <dirent.h>

#include "common/endian.h"
#include "tensogram/tensogram.h"
#include "validate/validate.h"
#include "wire/wire.h"

static const char *const levels[] = {"quick", "default", "checksum", "full"};

#define TT_RUN_ARG(fn, arg)                                                                        \
    do {                                                                                           \
        tt_current = #fn;                                                                          \
        fn(arg);                                                                                   \
    } while (0)

static size_t count_code(const tgm_vreport *r, tgm_vcode code) {
    size_t n = 0;
    for (size_t i = 0; i < r->nissues; i++) {
        n += r->issues[i].code == code;
    }
    return n;
}

static void dump(const char *what, const tgm_vreport *r) {
    fprintf(stderr, "  %s:\n", what);
    for (size_t i = 0; i < r->nissues; i++) {
        fprintf(stderr, "    %s obj=%lld off=%lld: %s\n", tgm__vcode_name(r->issues[i].code),
                (long long)r->issues[i].object_index, (long long)r->issues[i].byte_offset,
                r->issues[i].description);
    }
}

static bool vmsg(const uint8_t *buf, size_t len, const char *level, int canon, tgm_vreport *r) {
    tgm_vopts o;
    tgm__vreport_init(r);
    return tgm__vopts_parse(level, canon, &o) == TGM_ERROR_OK &&
           tgm__validate_message(buf, len, &o, r) == TGM_ERROR_OK;
}

static bool vfile(const char *path, const char *level, int canon, tgm_vfile_report *r) {
    tgm_vopts o;
    tgm__vfile_report_init(r);
    return tgm__vopts_parse(level, canon, &o) == TGM_ERROR_OK &&
           tgm__validate_file(path, &o, r) == TGM_ERROR_OK;
}

static bool ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* ========================================================================
 * The reference's files
 * ====================================================================== */

/* golden/ and fixtures/: clean at every level, canonical check included;
 * their hashes verify except in quick mode (which never looks). */
static void test_golden(const char *shared) {
    static const char *const sub[] = {"golden", "fixtures"};
    for (int s = 0; s < 2; s++) {
        char d[1024];
        snprintf(d, sizeof d, "%s/%s", shared, sub[s]);
        DIR *dp = opendir(d);
        TT_ASSERT(dp != NULL);
        struct dirent *e;
        int files = 0;
        while ((e = readdir(dp)) != NULL) {
            if (!ends_with(e->d_name, ".tgm")) {
                continue;
            }
            char path[2048];
            snprintf(path, sizeof path, "%s/%s", d, e->d_name);
            files++;
            for (int l = 0; l < 4; l++) {
                for (int canon = 0; canon < 2; canon++) {
                    tgm_vfile_report r;
                    TT_CHECK(vfile(path, levels[l], canon, &r));
                    TT_CHECK(r.nfile_issues == 0 && r.nmessages > 0);
                    for (size_t m = 0; m < r.nmessages; m++) {
                        TT_CHECK_EQ_INT(r.messages[m].nissues, 0);
                        TT_CHECK_EQ_INT(r.messages[m].hash_verified, l != 0);
                        if (r.messages[m].nissues) {
                            dump(path, &r.messages[m]);
                        }
                    }
                    tgm__vfile_report_free(&r);
                }
            }
        }
        closedir(dp);
        TT_CHECK(files > 0);
    }
}

/* codecs/: "every message validates at full with zero issues" in the
 * reference (codecs/README.md).  In a build without sz3 its objects cannot
 * be decoded: one pipeline_config_failed each, as the reference reports
 * for a codec it was built without. */
static void test_codec_fixtures(const char *shared) {
    char d[1024];
    snprintf(d, sizeof d, "%s/codecs", shared);
    DIR *dp = opendir(d);
    TT_ASSERT(dp != NULL);
    struct dirent *e;
    int files = 0;
    while ((e = readdir(dp)) != NULL) {
        if (!ends_with(e->d_name, ".tgm")) {
            continue;
        }
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", d, e->d_name);
        size_t n;
        unsigned char *buf = tt_read_file(path, &n);
        TT_ASSERT(buf != NULL);
        files++;
#ifdef TGM_HAVE_SZ3
        bool sz3 = false;
#else
        bool sz3 = strncmp(e->d_name, "sz3", 3) == 0;
#endif
        static const char *const lv[] = {"full", "default", "quick"};
        for (int l = 0; l < 3; l++) {
            tgm_vreport r;
            TT_CHECK(vmsg(buf, n, lv[l], 1, &r));
            if (sz3 && l < 2) {
                TT_CHECK(r.nissues == 1 && count_code(&r, TGM_VC_PIPELINE_CONFIG_FAILED) == 1);
            } else {
                TT_CHECK_EQ_INT(r.nissues, 0);
                TT_CHECK_EQ_INT(r.hash_verified, l < 2);
            }
            if (r.nissues != (sz3 && l < 2)) {
                dump(path, &r);
            }
            tgm__vreport_free(&r);
        }
        free(buf);
    }
    closedir(dp);
    TT_CHECK(files > 50);
}

/* sz3/: the reference's sz3 messages validate at every level with zero
 * issues (full decodes every object). */
static void test_sz3_fixtures(const char *shared) {
#ifdef TGM_HAVE_SZ3
    char d[1024];
    snprintf(d, sizeof d, "%s/sz3", shared);
    DIR *dp = opendir(d);
    TT_ASSERT(dp != NULL);
    struct dirent *e;
    int files = 0;
    while ((e = readdir(dp)) != NULL) {
        if (!ends_with(e->d_name, ".tgm")) {
            continue;
        }
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", d, e->d_name);
        size_t n;
        unsigned char *buf = tt_read_file(path, &n);
        TT_ASSERT(buf != NULL);
        files++;
        static const char *const lv[] = {"full", "default", "quick"};
        for (int l = 0; l < 3; l++) {
            tgm_vreport r;
            TT_CHECK(vmsg(buf, n, lv[l], 1, &r));
            TT_CHECK_EQ_INT(r.nissues, 0);
            TT_CHECK_EQ_INT(r.hash_verified, l < 2);
            if (r.nissues != 0) {
                dump(path, &r);
            }
            tgm__vreport_free(&r);
        }
        free(buf);
    }
    closedir(dp);
    TT_CHECK_EQ_INT(files, 35);
#else
    (void)shared;
#endif
}

/* remote-parity/: written by tensogram 0.19.0 (see their _reserved_),
 * before frames carried the HASH_PRESENT flag: the preamble declares
 * HASHES_PRESENT while no frame sets HASH_PRESENT, which the reference's
 * validator (integrity.rs, verify_frame_hash) reports as a hash
 * verification error for every object.  Their footer-indexed messages
 * also declare PRECEDER_METADATA without a preceder frame (a flag
 * mismatch warning).  Structure and metadata are otherwise clean. */
static void test_remote_parity(const char *shared) {
    char d[1024];
    snprintf(d, sizeof d, "%s/remote-parity", shared);
    DIR *dp = opendir(d);
    TT_ASSERT(dp != NULL);
    struct dirent *e;
    int files = 0;
    while ((e = readdir(dp)) != NULL) {
        if (!ends_with(e->d_name, ".tgm")) {
            continue;
        }
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", d, e->d_name);
        files++;
        size_t n;
        unsigned char *buf = tt_read_file(path, &n);
        TT_ASSERT(buf != NULL);
        for (int l = 0; l < 4; l++) {
            tgm_vfile_report r;
            TT_CHECK(vfile(path, levels[l], 1, &r));
            TT_CHECK_EQ_INT(r.nfile_issues, 0);
            size_t at = 0;
            for (size_t m = 0; m < r.nmessages; m++) {
                const tgm_vreport *mr = &r.messages[m];
                uint16_t flags = tgm__rd_be16(buf + at + 10);
                size_t expect_flag = (flags & TGM_MF_PRECEDER_METADATA) && l != 2 ? 1 : 0;
                size_t expect_hash = l == 0 ? 0 : mr->object_count;
                TT_CHECK_EQ_INT(count_code(mr, TGM_VC_FLAG_MISMATCH), expect_flag);
                TT_CHECK_EQ_INT(count_code(mr, TGM_VC_HASH_VERIFICATION_ERROR), expect_hash);
                TT_CHECK_EQ_INT(mr->nissues, expect_flag + expect_hash);
                TT_CHECK(mr->object_count >= 1 && !mr->hash_verified);
                /* the streaming tail has total_length 0: walk to its end */
                uint64_t tl = tgm__rd_be64(buf + at + 16);
                at += tl ? (size_t)tl : n - at;
            }
            TT_CHECK(r.nmessages > 0);
            tgm__vfile_report_free(&r);
        }
        free(buf);
    }
    closedir(dp);
    TT_CHECK(files > 0);
}

/* ========================================================================
 * tests/data/bad: one defect per file (see gen_bad.py there)
 * ====================================================================== */

typedef struct bad_case {
    const char *name;
    tgm_vcode at_default; /* TGM_VC_COUNT: no error at default level */
    tgm_vcode at_full;    /* TGM_VC_COUNT: nothing more at full */
    bool scanned;         /* the file scanner finds the message */
} bad_case;

#define NONE TGM_VC_COUNT
static const bad_case bad_cases[] = {
    {"base_longer_than_objects.tgm", TGM_VC_BASE_COUNT_EXCEEDS_OBJECTS, NONE, true},
    {"cbor_depth_bomb.tgm", TGM_VC_METADATA_CBOR_PARSE_FAILED, NONE, true},
    {"cbor_huge_array_claim.tgm", TGM_VC_METADATA_CBOR_PARSE_FAILED, NONE, true},
    {"cbor_offset_out_of_range.tgm", TGM_VC_CBOR_OFFSET_INVALID, NONE, true},
    {"dangling_preceder.tgm", TGM_VC_DANGLING_PRECEDER, NONE, true},
    {"data_after_footer.tgm", TGM_VC_FRAME_ORDER_VIOLATION, NONE, true},
    {"descriptor_empty_type.tgm", TGM_VC_EMPTY_OBJ_TYPE, NONE, true},
    {"descriptor_missing_dtype.tgm", TGM_VC_DESCRIPTOR_CBOR_PARSE_FAILED, NONE, true},
    {"descriptor_ndim_mismatch.tgm", TGM_VC_NDIM_SHAPE_MISMATCH, NONE, true},
    {"descriptor_negative_ndim.tgm", TGM_VC_DESCRIPTOR_CBOR_PARSE_FAILED, NONE, true},
    {"descriptor_strides_mismatch.tgm", TGM_VC_STRIDES_SHAPE_MISMATCH, NONE, true},
    {"descriptor_unknown_dtype.tgm", TGM_VC_DESCRIPTOR_CBOR_PARSE_FAILED, NONE, true},
    {"empty.tgm", TGM_VC_BUFFER_TOO_SHORT, NONE, false},
    {"end_magic_corrupt.tgm", TGM_VC_POSTAMBLE_INVALID, NONE, false},
    {"extra_key_ambiguous.tgm", TGM_VC_METADATA_CBOR_PARSE_FAILED, NONE, true},
    /* total_length 20 meets the walker's minimum for non-object frames
     * (header + ENDF); the end marker is then not where it should be */
    {"frame_total_below_minimum.tgm", TGM_VC_MISSING_END_MARKER, NONE, true},
    {"frame_type_12.tgm", TGM_VC_INVALID_FRAME_HEADER, NONE, true},
    {"frame_type_4.tgm", TGM_VC_INVALID_FRAME_HEADER, NONE, true},
    {"good.tgm", NONE, NONE, true},
    {"header_after_data.tgm", TGM_VC_FRAME_ORDER_VIOLATION, NONE, true},
    {"index_lengths_mismatch.tgm", TGM_VC_INDEX_CBOR_PARSE_FAILED, NONE, true},
    {"mask_offset_overflow.tgm", TGM_VC_DESCRIPTOR_CBOR_PARSE_FAILED, NONE, true},
    /* the mask starts inside the payload region: the split succeeds and
     * the 10 bytes left for the raw float32 x4 payload fail at full */
    {"mask_past_region.tgm", NONE, TGM_VC_DECODED_SIZE_MISMATCH, true},
    {"metadata_not_a_map.tgm", TGM_VC_METADATA_CBOR_PARSE_FAILED, NONE, true},
    /* the reference hands CBOR readers the frame body up to ENDF, hash
     * slot included: the truncated item completes with the slot's zero
     * bytes ({"base": [{"\0": 0}]}), so this metadata parses there */
    {"metadata_truncated_cbor.tgm", NONE, NONE, true},
    {"missing_endf.tgm", TGM_VC_MISSING_END_MARKER, NONE, true},
    {"no_metadata_frame.tgm", TGM_VC_NO_METADATA_FRAME, NONE, true},
    /* raw payloads are not decoded before level 4 */
    {"payload_size_mismatch.tgm", NONE, TGM_VC_DECODED_SIZE_MISMATCH, true},
    /* the validator does not compare the postamble's copy of the length */
    {"postamble_total_mismatch.tgm", NONE, NONE, true},
    {"preceder_two_entries.tgm", TGM_VC_PRECEDER_BASE_COUNT_WRONG, NONE, true},
    {"sec001_total_length_10.tgm", TGM_VC_TOTAL_LENGTH_TOO_SMALL, NONE, false},
    {"sec002_total_length_huge.tgm", TGM_VC_TOTAL_LENGTH_EXCEEDS_BUFFER, NONE, false},
    {"sec004_frame_total_huge.tgm", TGM_VC_FRAME_LENGTH_OVERFLOW, NONE, true},
    {"shape_product_overflow.tgm", TGM_VC_SHAPE_OVERFLOW, NONE, true},
    {"truncated_half.tgm", TGM_VC_TOTAL_LENGTH_EXCEEDS_BUFFER, NONE, false},
    {"two_preceders.tgm", TGM_VC_PRECEDER_NOT_FOLLOWED_BY_OBJECT, NONE, true},
    {"unknown_compression.tgm", TGM_VC_UNKNOWN_COMPRESSION, NONE, true},
    {"version_2.tgm", TGM_VC_PREAMBLE_PARSE_FAILED, NONE, false},
    {"wrong_magic.tgm", TGM_VC_INVALID_MAGIC, NONE, false},
};

static void test_bad_files(void) {
    char d[1024];
    snprintf(d, sizeof d, "%s/bad", TGM_TEST_DATA_DIR);
    DIR *dp = opendir(d);
    TT_ASSERT(dp != NULL);
    struct dirent *e;
    size_t seen = 0;
    while ((e = readdir(dp)) != NULL) {
        if (!ends_with(e->d_name, ".tgm")) {
            continue;
        }
        const bad_case *c = NULL;
        for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
            if (strcmp(bad_cases[i].name, e->d_name) == 0) {
                c = &bad_cases[i];
            }
        }
        if (c == NULL) {
            fprintf(stderr, "  %s: no expected validation outcome in this test\n", e->d_name);
            tt_failures++;
            continue;
        }
        seen++;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", d, e->d_name);
        size_t n;
        unsigned char *buf = tt_read_file(path, &n);
        tgm_vreport r;
        TT_CHECK(vmsg(buf, n, "default", 0, &r));
        if (c->at_default == NONE) {
            TT_CHECK(tgm__vreport_ok(&r));
        } else {
            TT_CHECK(count_code(&r, c->at_default) >= 1 && !tgm__vreport_ok(&r));
        }
        if ((c->at_default == NONE) != tgm__vreport_ok(&r) ||
            (c->at_default != NONE && count_code(&r, c->at_default) == 0)) {
            dump(e->d_name, &r);
        }
        tgm__vreport_free(&r);
        TT_CHECK(vmsg(buf, n, "full", 1, &r));
        if (c->at_full != NONE) {
            TT_CHECK(count_code(&r, c->at_full) == 1);
        } else if (c->at_default == NONE) {
            TT_CHECK(tgm__vreport_ok(&r));
        }
        tgm__vreport_free(&r);
        /* as a file: unscannable bytes are a file-level issue */
        tgm_vfile_report fr;
        TT_CHECK(vfile(path, NULL, 0, &fr));
        TT_CHECK_EQ_INT(fr.nmessages, c->scanned ? 1 : 0);
        TT_CHECK_EQ_INT(fr.nfile_issues, (c->scanned || n == 0) ? 0 : 1);
        if (!c->scanned && n > 0 && fr.nfile_issues == 1) {
            TT_CHECK(fr.file_issues[0].byte_offset == 0 && fr.file_issues[0].length == n);
            TT_CHECK(strstr(fr.file_issues[0].description, "bytes with no valid messages"));
        }
        tgm__vfile_report_free(&fr);
        free(buf);
    }
    closedir(dp);
    TT_CHECK_EQ_INT(seen, sizeof bad_cases / sizeof bad_cases[0]);
}

/* ========================================================================
 * Bit flips and truncations of a golden message
 * ====================================================================== */

/* Whether the default level is blind to byte `at`, bit `bit` of the
 * message: fields no level looks at (reserved preamble bytes and flag
 * bits, frame versions, reserved frame flag bits, the postamble's copy of
 * total_length), the HASH_PRESENT flag of non-object frames (clearing it
 * only skips their optional check), and the object's CBOR_AFTER_PAYLOAD
 * flag: cbor_offset still locates the descriptor, which then parses as a
 * descriptor-first frame with an empty payload; a raw payload is only
 * measured at level 4. */
static bool unchecked(const uint8_t *msg, size_t len, size_t at, int bit) {
    if ((at >= 12 && at < 16) || at == 10) {
        return true; /* preamble reserved word, flag bits 8-15 */
    }
    if (at >= len - 16 && at < len - 8) {
        return true; /* postamble total_length */
    }
    for (size_t pos = TGM_PREAMBLE_SIZE; pos + 16 <= len - TGM_POSTAMBLE_SIZE;) {
        if (msg[pos] != 'F' || msg[pos + 1] != 'R') {
            break;
        }
        uint16_t type = tgm__rd_be16(msg + pos + 2);
        if (at >= pos + 4 && at < pos + 7) {
            return true; /* version, flag bits 8-15 */
        }
        if (at == pos + 7) {
            return type == TGM_FRAME_NTENSOR ? bit != 1 : true;
        }
        pos += (size_t)tgm__rd_be64(msg + pos + 8);
        pos = (pos + 7) & ~(size_t)7;
    }
    return false;
}

static void test_bit_flips(const char *shared) {
    char path[1024];
    snprintf(path, sizeof path, "%s/golden/simple_f32.tgm", shared);
    size_t n;
    unsigned char *msg = tt_read_file(path, &n);
    TT_ASSERT(msg != NULL);
    unsigned char *m = malloc(n);
    size_t missed = 0, false_alarm = 0;
    for (size_t at = 0; at < n; at++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(m, msg, n);
            m[at] ^= (uint8_t)(1u << bit);
            for (int l = 0; l < 4; l++) {
                for (int canon = 0; canon < 2; canon++) {
                    tgm_vreport r;
                    if (!vmsg(m, n, levels[l], canon, &r)) {
                        tt_failures++;
                    }
                    if (l == 1 && canon == 0) {
                        bool blind = unchecked(msg, n, at, bit);
                        if (blind && r.nissues != 0) {
                            false_alarm++;
                            if (false_alarm < 5) {
                                fprintf(stderr, "  flip %zu.%d reported\n", at, bit);
                                dump("flip", &r);
                            }
                        } else if (!blind && r.nissues == 0) {
                            missed++;
                            if (missed < 5) {
                                fprintf(stderr, "  flip %zu.%d not reported\n", at, bit);
                            }
                        }
                    }
                    tgm__vreport_free(&r);
                }
            }
        }
    }
    TT_CHECK_EQ_INT(missed, 0);
    TT_CHECK_EQ_INT(false_alarm, 0);

    /* A few flips with the exact findings the reference's code gives. */
    tgm_vreport r;
    size_t obj = 400; /* layout: metadata 24, index 272, hash 328, object 400 */
    TT_ASSERT(n == 592 && memcmp(msg + obj, "FR\0\x09", 4) == 0);
    memcpy(m, msg, n);
    m[obj + 16] ^= 0x10; /* payload: the object's inline hash */
    TT_CHECK(vmsg(m, n, "default", 0, &r));
    TT_CHECK(r.nissues == 1 && count_code(&r, TGM_VC_HASH_MISMATCH) == 1 &&
             r.issues[0].object_index == 0 && r.issues[0].byte_offset == (int64_t)obj);
    tgm__vreport_free(&r);
    memcpy(m, msg, n);
    m[obj + 7] ^= TGM_FF_CBOR_AFTER_PAYLOAD; /* seen at full only */
    TT_CHECK(vmsg(m, n, "full", 0, &r));
    TT_CHECK(r.nissues == 1 && count_code(&r, TGM_VC_DECODED_SIZE_MISMATCH) == 1 &&
             strstr(r.issues[0].description, "decoded size 0 != expected"));
    tgm__vreport_free(&r);
    memcpy(m, msg, n);
    m[11] ^= TGM_MF_HEADER_INDEX; /* declared flags */
    TT_CHECK(vmsg(m, n, "default", 0, &r));
    TT_CHECK(r.nissues == 1 && count_code(&r, TGM_VC_FLAG_MISMATCH) == 1 && r.hash_verified);
    tgm__vreport_free(&r);
    memcpy(m, msg, n);
    m[11] ^= TGM_MF_HASHES_PRESENT;
    TT_CHECK(vmsg(m, n, "default", 0, &r));
    TT_CHECK(r.nissues == 1 && count_code(&r, TGM_VC_NO_HASH_AVAILABLE) == 1 && !r.hash_verified &&
             tgm__vreport_ok(&r));
    tgm__vreport_free(&r);
    /* a hex digit of the hash frame's entry: the aggregate check (and this
     * library's check of the hash frame's own slot) */
    memcpy(m, msg, n);
    unsigned char *hex = NULL;
    for (size_t i = 328; i + 6 <= 400 && hex == NULL; i++) {
        hex = memcmp(m + i, "hashes", 6) == 0 ? m + i : NULL;
    }
    TT_ASSERT(hex != NULL);
    hex[8] = hex[8] == 'a' ? 'b' : 'a';
    TT_CHECK(vmsg(m, n, "checksum", 0, &r));
    TT_CHECK(r.nissues == 2 && count_code(&r, TGM_VC_HASH_MISMATCH) == 2);
    TT_CHECK(r.issues[1].object_index == 0 && strstr(r.issues[1].description, "aggregate[0]"));
    tgm__vreport_free(&r);

    /* Every truncation. */
    for (size_t len = 0; len < n; len++) {
        TT_CHECK(vmsg(msg, len, NULL, 0, &r));
        tgm_vcode want = len < 24 ? TGM_VC_BUFFER_TOO_SHORT : TGM_VC_TOTAL_LENGTH_EXCEEDS_BUFFER;
        TT_CHECK(r.nissues == 1 && r.issues[0].code == want);
        tgm__vreport_free(&r);
    }
    free(m);
    free(msg);
}

int main(void) {
    TT_RUN(test_bad_files);
    const char *shared = tt_shared_dir();
    if (shared == NULL) {
        printf("SKIP: the reference's shared files are not available\n");
        return tt_failures ? 1 : TT_SKIP_CODE;
    }
    TT_RUN_ARG(test_golden, shared);
    TT_RUN_ARG(test_codec_fixtures, shared);
    TT_RUN_ARG(test_sz3_fixtures, shared);
    TT_RUN_ARG(test_remote_parity, shared);
    TT_RUN_ARG(test_bit_flips, shared);
    return tt_finish("test_validate_ref");
}
