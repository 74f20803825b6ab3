/* File access on arbitrary file contents: the input is written to a
 * temporary file, which is opened, counted, iterated, read and decoded
 * message by message (whole, metadata, descriptors, one object, a range).
 * Message bytes read back must match the layout the scan reported, and
 * the iterator must yield the same messages as indexed reads. */
#include <fcntl.h>
#include <unistd.h>

#include "fuzz.h"

static char tmp_path[64];

static int write_input(const uint8_t *data, size_t size) {
    if (tmp_path[0] == '\0') {
        snprintf(tmp_path, sizeof tmp_path, "/tmp/tgm-fuzz-file-%ld.tgm", (long)getpid());
    }
    int fd = open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) {
        return -1;
    }
    size_t done = 0;
    while (done < size) {
        ssize_t w = write(fd, data + done, size - done);
        if (w <= 0) {
            close(fd);
            return -1;
        }
        done += (size_t)w;
    }
    close(fd);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fz_init();
    FZ_REQUIRE(write_input(data, size) == 0);
    tgm_file_t *f = NULL;
    FZ_REQUIRE(tgm_file_open(tmp_path, &f) == TGM_ERROR_OK);
    size_t count = 0;
    if (tgm_file_message_count(f, &count) != TGM_ERROR_OK) {
        tgm_file_close(f);
        return 0;
    }
    size_t limit = count < 8 ? count : 8;
    for (size_t i = 0; i < limit; i++) {
        uint64_t off = 0, len = 0;
        FZ_REQUIRE(tgm_file_message_layout(f, i, &off, &len) == TGM_ERROR_OK);
        FZ_REQUIRE(off <= size && len <= size - off);
        tgm_bytes_t raw = {NULL, 0};
        FZ_REQUIRE(tgm_file_read_message(f, i, &raw) == TGM_ERROR_OK);
        FZ_REQUIRE(raw.len == len && memcmp(raw.data, data + off, len) == 0);
        tgm_bytes_free(raw);

        tgm_message_t *m = NULL;
        if (tgm_file_decode_message(f, i, 1, 1, 0, &m) == TGM_ERROR_OK) {
            tgm_message_free(m);
        }
        tgm_metadata_t *md = NULL;
        if (tgm_file_decode_metadata(f, i, &md) == TGM_ERROR_OK) {
            tgm_metadata_free(md);
        }
        tgm_message_t *d = NULL;
        if (tgm_file_decode_descriptors(f, i, &d) == TGM_ERROR_OK) {
            tgm_message_free(d);
        }
        if (tgm_file_decode_object(f, i, 0, 1, 1, 0, &m) == TGM_ERROR_OK) {
            tgm_message_free(m);
        }
        uint64_t ro = 1, rc = 2;
        tgm_bytes_t part;
        size_t got = 0;
        if (tgm_file_decode_range(f, i, 0, &ro, &rc, 1, 1, 1, 1, &part, &got) == TGM_ERROR_OK) {
            FZ_REQUIRE(got == 1);
            tgm_bytes_free(part);
        }
    }
    tgm_bytes_t past = {NULL, 0};
    FZ_REQUIRE(tgm_file_read_message(f, count, &past) != TGM_ERROR_OK);

    tgm_file_iter_t *it = NULL;
    FZ_REQUIRE(tgm_file_iter_create(f, &it) == TGM_ERROR_OK);
    for (size_t i = 0;; i++) {
        tgm_bytes_t b = {NULL, 0};
        tgm_error e = tgm_file_iter_next(it, &b);
        if (e == TGM_ERROR_END_OF_ITER) {
            FZ_REQUIRE(i == count);
            break;
        }
        FZ_REQUIRE(e == TGM_ERROR_OK && i < count);
        uint64_t off = 0, len = 0;
        FZ_REQUIRE(tgm_file_message_layout(f, i, &off, &len) == TGM_ERROR_OK);
        FZ_REQUIRE(b.len == len && memcmp(b.data, data + off, len) == 0);
        tgm_bytes_free(b);
    }
    tgm_file_iter_free(it);
    tgm_file_close(f);
    return 0;
}
