/* Hostile input: known-bad messages fail with the right error, and every
 * truncation and single-bit flip of valid messages yields an error or a
 * correct decode -- never a crash (run under ASan+UBSan in CI). */
#include "tt.h"

#include "tensogram/tensogram.h"

static const char *shared;

typedef struct bad_case {
    const char *file;
    tgm_error code;
    const char *contains;
} bad_case;

static const bad_case bad_cases[] = {
#define BAD(f, c, s) {f, c, s},
#include "../data/bad/manifest.inc"
#undef BAD
};

static unsigned char *load(const char *dir, const char *name, size_t *len) {
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return tt_read_file(path, len);
}

static void test_good_control(void) {
    size_t len;
    unsigned char *buf = load(TGM_TEST_DATA_DIR "/bad", "good.tgm", &len);
    TT_ASSERT(buf != NULL);
    tgm_message_t *m = NULL;
    TT_CHECK_ERR(tgm_decode(buf, len, 1, 0, 0, &m), TGM_ERROR_OK);
    tgm_message_free(m);
    free(buf);
}

static void test_bad_files(void) {
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const bad_case *c = &bad_cases[i];
        size_t len;
        unsigned char *buf = load(TGM_TEST_DATA_DIR "/bad", c->file, &len);
        if (buf == NULL && len == 0) {
            buf = malloc(1); /* empty file */
        }
        TT_ASSERT(buf != NULL);
        tgm_message_t *m = NULL;
        tgm_error e = tgm_decode(buf, len, 1, 0, 0, &m);
        const char *detail = tgm_last_error();
        if (e != c->code || detail == NULL || strstr(detail, c->contains) == NULL) {
            fprintf(stderr, "%s: got %d (%s), expected %d containing \"%s\"\n", c->file, (int)e,
                    detail ? detail : "no detail", (int)c->code, c->contains);
            tt_failures++;
        }
        tt_checks++;
        tgm_message_free(m);
        /* The other entry points must fail cleanly too (any error code). */
        tgm_metadata_t *md = NULL;
        if (tgm_decode_metadata(buf, len, &md) == TGM_ERROR_OK) {
            tgm_metadata_free(md);
        }
        if (tgm_decode_object(buf, len, 0, 1, 0, 0, &m) == TGM_ERROR_OK) {
            tgm_message_free(m);
        }
        tgm_scan_result_t *sr = NULL;
        TT_CHECK_ERR(tgm_scan(buf, len, &sr), TGM_ERROR_OK);
        tgm_scan_free(sr);
        free(buf);
    }
}

/* Decode `buf` with hash verification; when it succeeds the payloads must
 * equal the reference decode (flips the hash does not cover can only land
 * outside the data-object bodies). */
static int same_objects(const tgm_message_t *a, const tgm_message_t *b) {
    if (tgm_message_num_objects(a) != tgm_message_num_objects(b)) {
        return 0;
    }
    for (size_t i = 0; i < tgm_message_num_objects(a); i++) {
        size_t na, nb;
        const uint8_t *da = tgm_object_data(a, i, &na);
        const uint8_t *db = tgm_object_data(b, i, &nb);
        if (na != nb || memcmp(da, db, na) != 0) {
            return 0;
        }
    }
    return 1;
}

static void mutate_all(const char *name, const unsigned char *orig, size_t len) {
    tgm_message_t *ref = NULL;
    if (tgm_decode(orig, len, 1, 0, 1, &ref) != TGM_ERROR_OK) {
        fprintf(stderr, "%s: original does not decode: %s\n", name, tgm_last_error());
        tt_failures++;
        return;
    }
    unsigned char *buf = malloc(len);
    int bad = 0;
    /* Every truncation: decoding the prefix must fail or, for prefixes that
     * still hold a whole message (multi-message files), succeed. */
    for (size_t cut = 0; cut < len; cut++) {
        memcpy(buf, orig, cut);
        tgm_message_t *m = NULL;
        if (tgm_decode(buf, cut, 1, 0, 1, &m) == TGM_ERROR_OK) {
            tgm_message_free(m);
        }
        tgm_metadata_t *md = NULL;
        if (tgm_decode_metadata(buf, cut, &md) == TGM_ERROR_OK) {
            tgm_metadata_free(md);
        }
    }
    /* Every single-bit flip. */
    for (size_t pos = 0; pos < len; pos++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(buf, orig, len);
            buf[pos] ^= (unsigned char)(1u << bit);
            tgm_message_t *m = NULL;
            if (tgm_decode(buf, len, 1, 0, 1, &m) == TGM_ERROR_OK) {
                if (!same_objects(m, ref)) {
                    if (bad++ < 5) {
                        fprintf(stderr, "%s: flip at byte %zu bit %d decoded to different data\n",
                                name, pos, bit);
                    }
                }
                tgm_message_free(m);
            }
            if (tgm_decode_object(buf, len, 0, 1, 0, 1, &m) == TGM_ERROR_OK) {
                tgm_message_free(m);
            }
            tgm_metadata_t *md = NULL;
            if (tgm_decode_metadata(buf, len, &md) == TGM_ERROR_OK) {
                (void)tgm_metadata_to_json(md);
                tgm_metadata_free(md);
            }
            tgm_scan_result_t *sr = NULL;
            if (tgm_scan(buf, len, &sr) == TGM_ERROR_OK) {
                tgm_scan_free(sr);
            }
        }
    }
    TT_CHECK(bad == 0);
    free(buf);
    tgm_message_free(ref);
}

static void test_golden_mutations(void) {
    static const char *const files[] = {"simple_f32.tgm",    "multi_object.tgm",
                                        "mars_metadata.tgm", "multi_message.tgm",
                                        "hash_xxh3.tgm",     "multi_object_xxh3.tgm"};
    if (shared == NULL) {
        printf("SKIP golden mutations: ../shared/reference not found\n");
        return;
    }
    char dir[4096];
    if (snprintf(dir, sizeof dir, "%s/golden", shared) >= (int)sizeof dir) {
        return;
    }
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        size_t len;
        unsigned char *buf = load(dir, files[i], &len);
        TT_ASSERT(buf != NULL);
        mutate_all(files[i], buf, len);
        free(buf);
    }
}

int main(void) {
    shared = tt_shared_dir();
    TT_RUN(test_good_control);
    TT_RUN(test_bad_files);
    TT_RUN(test_golden_mutations);
    return tt_finish("test_hostile");
}
