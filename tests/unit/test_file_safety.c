/* Data safety of files (docs/security.md, "Files: what is guaranteed"):
 * torn streaming messages do not hide the messages after them. */
#include "tt.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tensogram/tensogram.h"

static char dir[256];

static const char *tmp_path(const char *name) {
    static char p[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

static const char *native_order(void) {
    const uint16_t one = 1;
    return *(const uint8_t *)&one ? "little" : "big";
}

static const char *desc_json(size_t n) {
    static char d[256];
    snprintf(d, sizeof d,
             "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[%zu],\"strides\":[1],"
             "\"dtype\":\"int32\",\"byte_order\":\"%s\",\"encoding\":\"none\","
             "\"filter\":\"none\",\"compression\":\"none\"}",
             n, native_order());
    return d;
}

/* One-object message {"step": step} of n int32 values step, step+1, ... */
static tgm_error append_step(tgm_file_t *f, int step, size_t n) {
    char meta[512];
    snprintf(meta, sizeof meta, "{\"base\":[{\"step\":%d}],\"descriptors\":[%s]}", step,
             desc_json(n));
    int32_t *v = malloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++) {
        v[i] = step + (int32_t)i;
    }
    const uint8_t *ptrs[1] = {(const uint8_t *)v};
    size_t lens[1] = {n * sizeof *v};
    tgm_error e = tgm_file_append(f, meta, ptrs, lens, 1, "xxh3", 0);
    free(v);
    return e;
}

/* Message idx of f holds step `step` (metadata and values). */
static int has_step(tgm_file_t *f, size_t idx, int step) {
    tgm_message_t *m = NULL;
    if (tgm_file_decode_message(f, idx, 1, 0, 1, &m) != TGM_ERROR_OK) {
        fprintf(stderr, "decode message %zu: %s\n", idx, tgm_last_error());
        return 0;
    }
    size_t n;
    const int32_t *v = (const int32_t *)(const void *)tgm_object_data(m, 0, &n);
    int ok = n >= 4 && v[0] == step && v[n / 4 - 1] == step + (int32_t)(n / 4) - 1;
    tgm_message_free(m);
    tgm_metadata_t *md = NULL;
    if (ok && tgm_file_decode_metadata(f, idx, &md) == TGM_ERROR_OK) {
        ok = tgm_metadata_get_int(md, "step", -1) == step;
        tgm_metadata_free(md);
    }
    return ok;
}

static uint64_t size_of(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* Stream `nobj` objects of step `step` to fd; finish (tl 0) or abandon. */
static void stream_message(int fd, int step, int nobj, int finish) {
    tgm_streaming_options o = TGM_STREAMING_OPTIONS_INIT;
    o.hash_algo = "xxh3";
    tgm_streaming_encoder_t *enc = NULL;
    char meta[64];
    snprintf(meta, sizeof meta, "{\"_extra_\":{\"step\":%d}}", step);
    if (tgm_streaming_encoder_create_fd(fd, meta, &o, &enc) != TGM_ERROR_OK) {
        fprintf(stderr, "streaming encoder: %s\n", tgm_last_error());
        tt_failures++;
        return;
    }
    for (int k = 0; k < nobj; k++) {
        int32_t v[64];
        for (int i = 0; i < 64; i++) {
            v[i] = step + i;
        }
        if (tgm_streaming_encoder_write(enc, desc_json(64), (const uint8_t *)v, sizeof v) !=
            TGM_ERROR_OK) {
            tt_failures++;
        }
    }
    if (finish && tgm_streaming_encoder_finish(enc) != TGM_ERROR_OK) {
        tt_failures++;
    }
    tgm_streaming_encoder_free(enc);
}

/* The JSON report of tgm_validate_file contains `needle`. */
static int report_has(const char *path, const char *needle) {
    tgm_bytes_t rep;
    if (tgm_validate_file(path, "quick", 0, &rep) != TGM_ERROR_OK) {
        fprintf(stderr, "validate %s: %s\n", path, tgm_last_error());
        return 0;
    }
    char *s = malloc(rep.len + 1);
    memcpy(s, rep.data, rep.len);
    s[rep.len] = '\0';
    int ok = strstr(s, needle) != NULL;
    if (!ok) {
        fprintf(stderr, "report of %s lacks %s:\n%s\n", path, needle, s);
    }
    free(s);
    tgm_bytes_free(rep);
    return ok;
}

/* Item 1: a streaming message (total_length 0) left unfinished before a
 * complete message must not swallow it.  Three variants of what follows
 * the tear: a buffered message, a finished streaming message, and both. */
static void test_torn_streaming_then_complete(void) {
    for (int variant = 0; variant < 3; variant++) {
        char name[32];
        snprintf(name, sizeof name, "torn%d.tgm", variant);
        const char *p = tmp_path(name);
        tgm_file_t *f = NULL;
        TT_ASSERT(tgm_file_create(p, &f) == TGM_ERROR_OK);
        TT_CHECK_ERR(append_step(f, 0, 16), TGM_ERROR_OK);
        tgm_file_close(f);
        uint64_t tear_at = size_of(p);
        int fd = open(p, O_WRONLY | O_APPEND);
        TT_ASSERT(fd >= 0);
        stream_message(fd, 100, 2, 0); /* abandoned: frames, no footer, no postamble */
        close(fd);
        uint64_t tear_len = size_of(p) - tear_at;
        TT_ASSERT(tear_len > 24);
        int expect_steps[3], nexp = 0;
        expect_steps[nexp++] = 0;
        TT_ASSERT(tgm_file_open(p, &f) == TGM_ERROR_OK);
        if (variant != 1) {
            TT_CHECK_ERR(append_step(f, 1, 16), TGM_ERROR_OK);
            expect_steps[nexp++] = 1;
        }
        if (variant != 0) {
            tgm_file_close(f);
            fd = open(p, O_WRONLY | O_APPEND);
            TT_ASSERT(fd >= 0);
            stream_message(fd, 2, 2, 1); /* complete, total_length 0 */
            close(fd);
            TT_ASSERT(tgm_file_open(p, &f) == TGM_ERROR_OK);
        }
        size_t n = 0;
        TT_ASSERT(tgm_file_message_count(f, &n) == TGM_ERROR_OK);
        TT_CHECK_EQ_INT(n, variant == 2 ? 3 : 2);
        TT_CHECK(has_step(f, 0, 0));
        if (variant != 1) {
            TT_CHECK(has_step(f, 1, 1));
        }
        uint64_t off = 0, len = 0;
        TT_CHECK_ERR(tgm_file_message_layout(f, 1, &off, &len), TGM_ERROR_OK);
        TT_CHECK_EQ_INT(off, tear_at + tear_len); /* right after the tear */
        if (variant != 0) {
            /* the streamed message: decode it */
            tgm_message_t *m = NULL;
            TT_CHECK_ERR(tgm_file_decode_message(f, n - 1, 1, 0, 1, &m), TGM_ERROR_OK);
            size_t cnt = 0;
            const int32_t *v = m ? (const int32_t *)(const void *)tgm_object_data(m, 1, &cnt) : 0;
            TT_CHECK(v != NULL && cnt == 256 && v[0] == 2 && v[63] == 65);
            tgm_message_free(m);
        }
        /* the iterator sees the same messages */
        tgm_file_iter_t *it = NULL;
        TT_ASSERT(tgm_file_iter_create(f, &it) == TGM_ERROR_OK);
        tgm_bytes_t b;
        size_t seen = 0;
        while (tgm_file_iter_next(it, &b) == TGM_ERROR_OK) {
            seen++;
            tgm_bytes_free(b);
        }
        tgm_file_iter_free(it);
        TT_CHECK_EQ_INT(seen, n);
        tgm_file_close(f);
        /* validation reports the tear with its offset and length */
        char needle[96];
        snprintf(needle, sizeof needle, "{\"byte_offset\":%llu,\"length\":%llu,",
                 (unsigned long long)tear_at, (unsigned long long)tear_len);
        TT_CHECK(report_has(p, needle));
        (void)expect_steps;
    }
}

/* Item 1, buffered variant: the first bytes of a message (total_length
 * L) torn off, then a complete message that ends exactly L bytes after the
 * torn preamble, then a torn tail (so no backward hop helps).  The torn
 * preamble's end magic check passes at the later message's end; only the
 * mirrored length tells them apart. */
static void test_torn_claim_reaches_later_message(void) {
    tgm_bytes_t big, small;
    const char *p = tmp_path("claim.tgm");
    tgm_file_t *f = NULL;
    TT_ASSERT(tgm_file_create(p, &f) == TGM_ERROR_OK);
    TT_CHECK_ERR(append_step(f, 7, 300), TGM_ERROR_OK);
    TT_CHECK_ERR(append_step(f, 8, 16), TGM_ERROR_OK);
    TT_ASSERT(tgm_file_read_message(f, 0, &big) == TGM_ERROR_OK);
    TT_ASSERT(tgm_file_read_message(f, 1, &small) == TGM_ERROR_OK);
    tgm_file_close(f);
    TT_ASSERT(big.len > small.len + 48);
    size_t head = big.len - small.len; /* what survived of the big message */
    FILE *out = fopen(p, "wb");
    TT_ASSERT(out != NULL);
    fwrite(big.data, 1, head, out);        /* torn: its first bytes only */
    fwrite(small.data, 1, small.len, out); /* ends where `big` claims to */
    fwrite(big.data, 1, 100, out);         /* a torn tail */
    fclose(out);
    TT_ASSERT(tgm_file_open(p, &f) == TGM_ERROR_OK);
    size_t n = 0;
    TT_ASSERT(tgm_file_message_count(f, &n) == TGM_ERROR_OK);
    TT_CHECK_EQ_INT(n, 1);
    TT_CHECK(has_step(f, 0, 8));
    tgm_file_close(f);
    tgm_scan_result_t *sr = NULL;
    uint8_t *all = malloc(head + small.len + 100);
    memcpy(all, big.data, head);
    memcpy(all + head, small.data, small.len);
    memcpy(all + head + small.len, big.data, 100);
    TT_ASSERT(tgm_scan(all, head + small.len + 100, &sr) == TGM_ERROR_OK);
    TT_CHECK_EQ_INT(tgm_scan_count(sr), 1);
    TT_CHECK_EQ_INT(tgm_scan_entry(sr, 0).offset, head);
    tgm_scan_free(sr);
    char needle[96];
    snprintf(needle, sizeof needle, "{\"byte_offset\":0,\"length\":%zu,", head);
    TT_CHECK(report_has(p, needle));
    free(all);
    tgm_bytes_free(big);
    tgm_bytes_free(small);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/tgm-test-safety-XXXXXX");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    TT_RUN(test_torn_streaming_then_complete);
    TT_RUN(test_torn_claim_reaches_later_message);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", dir);
    }
    return tt_finish("test_file_safety");
}
