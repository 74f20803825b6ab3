/* Files with many messages: open + count (one scan), per-message metadata
 * access, and appends, against plain read()/write() of the same bytes.
 *
 *   bench_file [dir]      (default: $TMPDIR or /tmp)
 *
 * Two file shapes: 1 000 and 100 000 small messages (one 16 x 16 float32
 * object each, xxh3 hashes), which is where per-message overhead shows. */
#include "bench_common.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tensogram/tensogram.h"

static void die(const char *what, tgm_error e) {
    fprintf(stderr, "%s: %s (%s)\n", what, tgm_error_string(e), tgm_last_error());
    exit(1);
}

static double read_all(const char *path, size_t size) {
    uint8_t *buf = malloc(size);
    double best;
    BENCH_BEST(5, best, {
        int fd = open(path, O_RDONLY);
        size_t got = 0;
        while (got < size) {
            ssize_t n = read(fd, buf + got, size - got);
            if (n <= 0) {
                break;
            }
            got += (size_t)n;
        }
        close(fd);
    });
    free(buf);
    return best;
}

static void run(const char *dir, size_t count) {
    float values[256];
    for (int i = 0; i < 256; i++) {
        values[i] = 270.0f + (float)i * 0.25f;
    }
    const char *meta = "{\"version\":3,\"base\":[{\"mars\":{\"param\":\"2t\",\"step\":6}}],"
                       "\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":2,\"shape\":[16,16],"
                       "\"strides\":[16,1],\"dtype\":\"float32\",\"encoding\":\"none\","
                       "\"filter\":\"none\",\"compression\":\"none\"}]}";
    const uint8_t *ptrs[1] = {(const uint8_t *)values};
    size_t lens[1] = {sizeof values};
    tgm_bytes_t msg;
    tgm_error e = tgm_encode(meta, ptrs, lens, 1, "xxh3", 1, &msg);
    if (e != TGM_ERROR_OK) {
        die("encode", e);
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/tgm_bench_file_%zu.tgm", dir, count);
    size_t total = msg.len * count;

    /* Appends through the library vs write() of the same bytes. */
    double t_append;
    BENCH_BEST(3, t_append, {
        tgm_file_t *f;
        if ((e = tgm_file_create(path, &f)) != TGM_ERROR_OK) {
            die("create", e);
        }
        for (size_t i = 0; i < count; i++) {
            if ((e = tgm_file_append_raw(f, msg.data, msg.len)) != TGM_ERROR_OK) {
                die("append", e);
            }
        }
        tgm_file_close(f);
    });
    char raw_path[4200];
    snprintf(raw_path, sizeof raw_path, "%s.raw", path);
    double t_write;
    BENCH_BEST(3, t_write, {
        int fd = open(raw_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        for (size_t i = 0; i < count; i++) {
            if (write(fd, msg.data, msg.len) != (ssize_t)msg.len) {
                perror("write");
                exit(1);
            }
        }
        close(fd);
    });
    unlink(raw_path);

    /* Open + count: one scan of a page-cache-hot file. */
    double t_open;
    size_t n = 0;
    BENCH_BEST(5, t_open, {
        tgm_file_t *f;
        if ((e = tgm_file_open(path, &f)) != TGM_ERROR_OK) {
            die("open", e);
        }
        if ((e = tgm_file_message_count(f, &n)) != TGM_ERROR_OK) {
            die("count", e);
        }
        tgm_file_close(f);
    });
    if (n != count) {
        fprintf(stderr, "count mismatch: %zu != %zu\n", n, count);
        exit(1);
    }
    double t_read = read_all(path, total);

    /* Metadata of every message, in reverse order (random access). */
    tgm_file_t *f;
    if ((e = tgm_file_open(path, &f)) != TGM_ERROR_OK) {
        die("open", e);
    }
    tgm_file_message_count(f, &n);
    double t_meta;
    BENCH_BEST(3, t_meta, {
        for (size_t i = count; i-- > 0;) {
            tgm_metadata_t *m;
            if ((e = tgm_file_decode_metadata(f, i, &m)) != TGM_ERROR_OK) {
                die("metadata", e);
            }
            tgm_metadata_free(m);
        }
    });
    double t_obj;
    BENCH_BEST(3, t_obj, {
        for (size_t i = count; i-- > 0;) {
            tgm_message_t *m;
            if ((e = tgm_file_decode_object(f, i, 0, 1, 1, 1, &m)) != TGM_ERROR_OK) {
                die("object", e);
            }
            tgm_message_free(m);
        }
    });
    tgm_file_close(f);
    unlink(path);
    tgm_bytes_free(msg);

    printf("%zu messages of %zu bytes (%.1f MB)\n", count, msg.len, (double)total / 1e6);
    printf("  %-34s %9.2f ms  %8.0f MB/s  %6.2fx read()\n", "open + count (scan)", t_open * 1e3,
           bench_mbps(total, t_open), t_read / t_open);
    printf("  %-34s %9.2f ms  %8.0f MB/s\n", "read() baseline", t_read * 1e3,
           bench_mbps(total, t_read));
    printf("  %-34s %9.2f us/message\n", "decode metadata, reverse order",
           t_meta * 1e6 / (double)count);
    printf("  %-34s %9.2f us/message\n", "decode object + verify hash",
           t_obj * 1e6 / (double)count);
    printf("  %-34s %9.2f ms  %8.0f MB/s  %6.2fx write()\n", "append_raw", t_append * 1e3,
           bench_mbps(total, t_append), t_write / t_append);
    printf("  %-34s %9.2f ms  %8.0f MB/s\n", "write() baseline", t_write * 1e3,
           bench_mbps(total, t_write));
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : getenv("TMPDIR");
    if (dir == NULL) {
        dir = "/tmp";
    }
    run(dir, 1000);
    run(dir, 100000);
    return 0;
}
