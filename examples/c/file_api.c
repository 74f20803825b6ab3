/* Files: append a forecast (one message per step) to a .tgm file, then read
 * it back the way a consumer does: count the messages, look at metadata
 * without decoding, decode one object of one message, and read a few
 * values of every step without decoding the fields (element ranges).
 *
 *   file_api [output.tgm]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tensogram/tensogram.h>

#define NY 181
#define NX 360
#define STEPS 8

static int fail(const char *what) {
    fprintf(stderr, "%s: %s\n", what, tgm_last_error() ? tgm_last_error() : "failed");
    return 1;
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "file_api.tgm";
    static double field[NY * NX];
    tgm_file_t *f;
    if (tgm_file_create(path, &f) != TGM_ERROR_OK) {
        return fail("create");
    }
    for (int step = 0; step < STEPS; step++) {
        for (int i = 0; i < NY; i++) {
            for (int j = 0; j < NX; j++) {
                double lat = (90.0 - i) * M_PI / 180.0, lon = j * M_PI / 180.0;
                field[i * NX + j] = 273.15 + 30 * cos(lat) + 5 * sin(3 * lon + step / 4.0);
            }
        }
        char meta[1024];
        snprintf(meta, sizeof meta,
                 "{\"base\":[{\"mars\":{\"param\":\"2t\",\"date\":\"20260401\",\"step\":%d},"
                 "\"units\":\"K\"}],\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":2,"
                 "\"shape\":[%d,%d],\"strides\":[%d,1],\"dtype\":\"float64\","
                 "\"encoding\":\"simple_packing\",\"sp_bits_per_value\":16,\"filter\":\"none\","
                 "\"compression\":\"szip\",\"szip_rsi\":128,\"szip_block_size\":16,"
                 "\"szip_flags\":8}]}",
                 step * 6, NY, NX, NX);
        const uint8_t *ptrs[1] = {(const uint8_t *)field};
        size_t lens[1] = {sizeof field};
        if (tgm_file_append(f, meta, ptrs, lens, 1, "xxh3", 0) != TGM_ERROR_OK) {
            return fail("append");
        }
    }
    tgm_file_close(f);

    if (tgm_file_open(path, &f) != TGM_ERROR_OK) {
        return fail("open");
    }
    size_t count;
    if (tgm_file_message_count(f, &count) != TGM_ERROR_OK) {
        return fail("count");
    }
    printf("%s: %zu messages\n", path, count);

    /* Metadata only: no payload is read. */
    for (size_t m = 0; m < count; m++) {
        tgm_metadata_t *md;
        if (tgm_file_decode_metadata(f, m, &md) != TGM_ERROR_OK) {
            return fail("metadata");
        }
        int64_t step = tgm_metadata_get_int(md, "mars.step", -1);
        printf("  message %zu: %s step %lld (%s)\n", m, tgm_metadata_get_string(md, "mars.param"),
               (long long)step, tgm_metadata_get_string(md, "units"));
        tgm_metadata_free(md);
    }

    /* One object of one message, its hash checked. */
    tgm_message_t *obj;
    if (tgm_file_decode_object(f, 3, 0, 1, 0, 1, &obj) != TGM_ERROR_OK) {
        return fail("decode object");
    }
    size_t nbytes;
    const double *v = (const double *)(const void *)tgm_object_data(obj, 0, &nbytes);
    printf("message 3: %zu values, equator at 0E = %.3f K\n", nbytes / sizeof *v, v[90 * NX]);
    double at_equator = v[90 * NX];
    tgm_message_free(obj);

    /* A time series at one grid point: one element range per message; only
     * the szip block holding it is decompressed. */
    uint64_t off = 90 * NX, cnt = 1;
    printf("2t at (0N, 0E) by step:");
    int ok = 1;
    for (size_t m = 0; m < count; m++) {
        tgm_bytes_t part;
        size_t nparts;
        if (tgm_file_decode_range(f, m, 0, &off, &cnt, 1, 1, 0, 1, &part, &nparts) !=
            TGM_ERROR_OK) {
            return fail("decode range");
        }
        double x;
        memcpy(&x, part.data, sizeof x);
        printf(" %.2f", x);
        if (m == 3 && x != at_equator) {
            ok = 0;
        }
        tgm_bytes_free(part);
    }
    printf("\n");
    tgm_file_close(f);
    return ok ? 0 : 1;
}
