/* Quickstart: encode a smooth 2-D temperature field (721 x 1440, float64)
 * with simple_packing (16 bits) + szip, write it to a file, read it back,
 * and print what the message holds and how well it compressed.
 *
 *   quickstart [output.tgm]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tensogram/tensogram.h>

#define NLAT 721
#define NLON 1440

static int fail(const char *what) {
    fprintf(stderr, "%s: %s\n", what, tgm_last_error() ? tgm_last_error() : "failed");
    return 1;
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "quickstart.tgm";
    size_t n = (size_t)NLAT * NLON;
    double *field = malloc(n * sizeof *field);
    if (field == NULL) {
        return 1;
    }
    for (size_t i = 0; i < NLAT; i++) {
        double lat = 90.0 - 0.25 * (double)i;
        for (size_t j = 0; j < NLON; j++) {
            double lon = 0.25 * (double)j;
            field[i * NLON + j] = 273.15 + 30.0 * cos(lat * M_PI / 180.0) +
                                  5.0 * sin(3.0 * lon * M_PI / 180.0) * cos(lat * M_PI / 90.0);
        }
    }
    char meta[1024];
    snprintf(meta, sizeof meta,
             "{\"base\":[{\"mars\":{\"class\":\"od\",\"param\":\"2t\",\"levtype\":\"sfc\"},"
             "\"units\":\"K\"}],"
             "\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":2,\"shape\":[%d,%d],"
             "\"strides\":[%d,1],\"dtype\":\"float64\",\"encoding\":\"simple_packing\","
             "\"sp_bits_per_value\":16,\"filter\":\"none\",\"compression\":\"szip\","
             "\"szip_rsi\":128,\"szip_block_size\":16,\"szip_flags\":8}]}",
             NLAT, NLON, NLON);

    tgm_file_t *file = NULL;
    const uint8_t *ptrs[1] = {(const uint8_t *)field};
    size_t lens[1] = {n * sizeof *field};
    tgm_bytes_t msg = {NULL, 0};
    if (tgm_encode(meta, ptrs, lens, 1, "xxh3", 0, &msg) != TGM_ERROR_OK) {
        return fail("encode");
    }
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(msg.data, 1, msg.len, f) != msg.len || fclose(f) != 0) {
        perror(path);
        return 1;
    }
    (void)file;
    printf("wrote %s: %zu bytes for %zu float64 values (%.1fx smaller than raw)\n", path, msg.len,
           n, (double)lens[0] / (double)msg.len);

    tgm_message_t *decoded = NULL;
    if (tgm_decode(msg.data, msg.len, 1, 0, 1, &decoded) != TGM_ERROR_OK) {
        return fail("decode");
    }
    tgm_metadata_t *md = NULL;
    if (tgm_message_metadata(decoded, &md) != TGM_ERROR_OK) {
        return fail("metadata");
    }
    size_t out_len;
    const double *out = (const double *)(const void *)tgm_object_data(decoded, 0, &out_len);
    double maxerr = 0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs(out[i] - field[i]);
        maxerr = e > maxerr ? e : maxerr;
    }
    printf("object 0: %s %llux%llu, encoding=%s compression=%s hash=%s\n",
           tgm_object_dtype(decoded, 0), (unsigned long long)tgm_object_shape(decoded, 0)[0],
           (unsigned long long)tgm_object_shape(decoded, 0)[1], tgm_payload_encoding(decoded, 0),
           tgm_object_compression(decoded, 0), tgm_object_hash_value(decoded, 0));
    printf("mars.param=%s units=%s, max abs error after 16-bit packing: %.3g K\n",
           tgm_metadata_get_string(md, "mars.param"), tgm_metadata_get_string(md, "units"), maxerr);
    printf("metadata: %s\n", tgm_metadata_to_json(md));

    /* Read back 5 values from the middle without decoding the whole field. */
    uint64_t off = n / 2, cnt = 5;
    tgm_bytes_t part;
    size_t nparts;
    if (tgm_decode_range(msg.data, msg.len, 0, &off, &cnt, 1, 1, 0, 1, &part, &nparts) !=
        TGM_ERROR_OK) {
        return fail("decode_range");
    }
    const double *pv = (const double *)(const void *)part.data;
    printf("decode_range(offset=%llu, count=5): %.4f %.4f %.4f %.4f %.4f\n",
           (unsigned long long)off, pv[0], pv[1], pv[2], pv[3], pv[4]);
    tgm_bytes_free(part);
    tgm_metadata_free(md);
    tgm_message_free(decoded);
    tgm_bytes_free(msg);
    free(field);
    return maxerr < 0.01 ? 0 : 1;
}
