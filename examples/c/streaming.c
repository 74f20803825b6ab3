/* Streaming: write a message object by object (each frame goes out as soon
 * as it is encoded, so memory holds one field at a time), then iterate over
 * the file's objects one at a time and validate the message.
 *
 *   streaming [output.tgm]
 */
#include <stdio.h>
#include <stdlib.h>

#include <tensogram/tensogram.h>

#define N 4096
#define LEVELS 5

static int fail(const char *what) {
    fprintf(stderr, "%s: %s\n", what, tgm_last_error() ? tgm_last_error() : "failed");
    return 1;
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "streaming.tgm";
    static const int levels[LEVELS] = {1000, 850, 700, 500, 250};
    tgm_streaming_encoder_t *enc;
    if (tgm_streaming_encoder_create(path, "{\"_extra_\":{\"source\":\"streaming example\"}}",
                                     "xxh3", 0, &enc) != TGM_ERROR_OK) {
        return fail("encoder");
    }
    static float field[N];
    for (int k = 0; k < LEVELS; k++) {
        for (int i = 0; i < N; i++) {
            field[i] = 288.0f - 6.5f * (1000 - levels[k]) / 100.0f + (float)(i % 64) / 64.0f;
        }
        char pre[128], desc[512];
        snprintf(pre, sizeof pre, "{\"mars\":{\"param\":\"t\",\"levelist\":%d},\"units\":\"K\"}",
                 levels[k]);
        snprintf(desc, sizeof desc,
                 "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[%d],\"strides\":[1],"
                 "\"dtype\":\"float32\",\"encoding\":\"none\",\"filter\":\"shuffle\","
                 "\"shuffle_element_size\":4,\"compression\":\"zstd\",\"zstd_level\":3}",
                 N);
        /* Per-object metadata travels in a preceder frame before the object. */
        if (tgm_streaming_encoder_write_preceder(enc, pre) != TGM_ERROR_OK ||
            tgm_streaming_encoder_write(enc, desc, (const uint8_t *)field, sizeof field) !=
                TGM_ERROR_OK) {
            return fail("write");
        }
    }
    printf("streamed %zu objects\n", tgm_streaming_encoder_count(enc));
    if (tgm_streaming_encoder_finish(enc) != TGM_ERROR_OK) {
        return fail("finish");
    }
    tgm_streaming_encoder_free(enc);

    /* Read the message back one object at a time. */
    tgm_file_t *f;
    tgm_bytes_t msg;
    if (tgm_file_open(path, &f) != TGM_ERROR_OK ||
        tgm_file_read_message(f, 0, &msg) != TGM_ERROR_OK) {
        return fail("read");
    }
    tgm_object_iter_t *it;
    if (tgm_object_iter_create(msg.data, msg.len, 1, 1, &it) != TGM_ERROR_OK) {
        return fail("object iterator");
    }
    tgm_message_t *one;
    size_t k = 0;
    tgm_error e;
    while ((e = tgm_object_iter_next(it, &one)) == TGM_ERROR_OK) {
        size_t nb;
        const float *v = (const float *)(const void *)tgm_object_data(one, 0, &nb);
        printf("  object %zu: %zu float32, first %.2f, compression %s\n", k++, nb / sizeof *v, v[0],
               tgm_object_compression(one, 0));
        tgm_message_free(one);
    }
    tgm_object_iter_free(it);
    if (e != TGM_ERROR_END_OF_ITER) {
        return fail("iterate");
    }

    /* Full validation: structure, metadata, hashes, decoded values. */
    tgm_bytes_t report;
    if (tgm_validate(msg.data, msg.len, "full", 0, &report) != TGM_ERROR_OK) {
        return fail("validate");
    }
    printf("validate --full: %.*s\n", (int)report.len, (const char *)report.data);
    tgm_bytes_free(report);
    tgm_bytes_free(msg);
    tgm_file_close(f);
    return k == LEVELS ? 0 : 1;
}
