/* webdataset tenbin <-> Tensogram with libtensogram_convert.
 *
 * Writes a .ten file (an image and a label, as a webdataset sample holds
 * them), converts it to one Tensogram message (one object per array, the
 * info names in base[i].name), compresses the image on the way, and
 * writes the .ten back from the message: the same bytes.
 *
 *   cc convert_tenbin.c $(pkg-config --cflags --libs tensogram_convert)
 *   ./a.out sample.ten */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tensogram/convert.h>

static int fail(const char *what) {
    fprintf(stderr, "%s: %s\n", what, tgm_last_error());
    return 1;
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "sample.ten";
    /* A 32x32 RGB image and its label. */
    static uint8_t image[32 * 32 * 3];
    for (size_t i = 0; i < sizeof image; i++) {
        image[i] = (uint8_t)((i * 7) ^ (i >> 5));
    }
    int64_t label = 7;
    uint64_t image_shape[3] = {32, 32, 3}, label_shape[1] = {1};
    tgm_tenbin_array arrays[2] = {
        {"uint8", "image", 3, image_shape, image, sizeof image, false},
        {"int64", "label", 1, label_shape, (const uint8_t *)&label, sizeof label, false},
    };
    tgm_bytes_t ten = {NULL, 0};
    if (tgm_tenbin_write(arrays, 2, TGM_TENBIN_LITTLE, &ten) != TGM_ERROR_OK) {
        return fail("tgm_tenbin_write");
    }
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(ten.data, 1, ten.len, f) != ten.len || fclose(f) != 0) {
        perror(path);
        return 1;
    }
    printf("wrote %s: %zu bytes, 2 arrays\n", path, ten.len);

    /* .ten -> Tensogram, the payloads compressed with zstd. */
    tgm_convert_options o = TGM_CONVERT_OPTIONS_INIT;
    o.compression = "zstd";
    tgm_bytes_t msg = {NULL, 0};
    if (tgm_convert_tenbin(ten.data, ten.len, &o, &msg) != TGM_ERROR_OK) {
        return fail("tgm_convert_tenbin");
    }
    tgm_message_t *m = NULL;
    tgm_metadata_t *meta = NULL;
    if (tgm_decode(msg.data, msg.len, 1, 0, 1, &m) != TGM_ERROR_OK ||
        tgm_message_metadata(m, &meta) != TGM_ERROR_OK) {
        return fail("tgm_decode");
    }
    printf("message: %zu bytes, %zu objects\n", msg.len, tgm_message_num_objects(m));
    for (size_t i = 0; i < tgm_message_num_objects(m); i++) {
        const uint64_t *shape = tgm_object_shape(m, i);
        printf("  %-6s %-6s %s [", tgm_metadata_get_string_at(meta, i, "name"),
               tgm_object_dtype(m, i), tgm_object_compression(m, i));
        for (uint64_t k = 0; k < tgm_object_ndim(m, i); k++) {
            printf("%s%llu", k ? ", " : "", (unsigned long long)shape[k]);
        }
        printf("]\n");
    }

    /* Tensogram -> .ten: webdataset reads the same bytes as before. */
    tgm_bytes_t back = {NULL, 0};
    if (tgm_convert_to_tenbin(msg.data, msg.len, NULL, &back) != TGM_ERROR_OK) {
        return fail("tgm_convert_to_tenbin");
    }
    int same = back.len == ten.len && memcmp(back.data, ten.data, ten.len) == 0;
    printf("back to tenbin: %zu bytes, %s\n", back.len, same ? "identical" : "DIFFERENT");
    tgm_bytes_free(back);
    tgm_metadata_free(meta);
    tgm_message_free(m);
    tgm_bytes_free(msg);
    tgm_bytes_free(ten);
    return same ? 0 : 1;
}
