/* GRIB -> Tensogram -> GRIB with libtensogram_convert.
 *
 * Converts every GRIB message of a file (one object each, all in one
 * message), prints the MARS keys and the field statistics, converts again
 * with simple_packing (16 bits) + szip, and rebuilds the GRIB file from
 * the first conversion: ecCodes gives the same messages back.
 *
 *   cc convert_grib.c $(pkg-config --cflags --libs tensogram_convert)
 *   ./a.out forecast.grib2 [back.grib2] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tensogram/convert.h>

static int fail(const char *what) {
    fprintf(stderr, "%s: %s\n", what, tgm_last_error());
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE.grib2 [BACK.grib2]\n", argv[0]);
        return 2;
    }
    if (!tgm_convert_has_grib()) {
        printf("this build has no GRIB support (ecCodes was not found)\n");
        return 77;
    }
    printf("ecCodes %s\n", tgm_convert_grib_library_version());
    tgm_convert_result_t *res = NULL;
    if (tgm_convert_grib_file(argv[1], NULL, &res) != TGM_ERROR_OK) {
        return fail("tgm_convert_grib_file");
    }
    size_t len = 0;
    const uint8_t *msg = tgm_convert_result_message(res, 0, &len);
    tgm_message_t *m = NULL;
    tgm_metadata_t *meta = NULL;
    if (tgm_decode(msg, len, 1, 0, 1, &m) != TGM_ERROR_OK ||
        tgm_message_metadata(m, &meta) != TGM_ERROR_OK) {
        return fail("tgm_decode");
    }
    printf("%s: %zu GRIB message(s) -> 1 Tensogram message of %zu bytes\n", argv[1],
           tgm_message_num_objects(m), len);
    for (size_t i = 0; i < tgm_message_num_objects(m); i++) {
        size_t n = 0;
        const double *v = (const double *)tgm_object_data(m, i, &n);
        n /= sizeof(double);
        double lo = INFINITY, hi = -INFINITY;
        size_t missing = 0;
        for (size_t k = 0; k < n; k++) {
            if (isnan(v[k])) {
                missing++;
            } else {
                lo = v[k] < lo ? v[k] : lo;
                hi = v[k] > hi ? v[k] : hi;
            }
        }
        const uint64_t *shape = tgm_object_shape(m, i);
        printf("  param %s levtype %s date %s: shape [%llu%s%llu], min %g max %g, %zu missing\n",
               tgm_metadata_get_string_at(meta, i, "mars.param"),
               tgm_metadata_get_string_at(meta, i, "mars.levtype"),
               tgm_metadata_get_string_at(meta, i, "mars.date"), (unsigned long long)shape[0],
               tgm_object_ndim(m, i) > 1 ? ", " : "",
               tgm_object_ndim(m, i) > 1 ? (unsigned long long)shape[1] : 0ULL, lo, hi, missing);
    }

    /* simple_packing 16 bits + szip, decoding a few threads at a time. */
    tgm_convert_options o = TGM_CONVERT_OPTIONS_INIT;
    o.encoding = "simple_packing";
    o.bits = 16;
    o.compression = "szip";
    o.threads = 2;
    tgm_convert_result_t *packed = NULL;
    if (tgm_convert_grib_file(argv[1], &o, &packed) != TGM_ERROR_OK) {
        return fail("tgm_convert_grib_file (simple_packing + szip)");
    }
    size_t plen = 0;
    tgm_convert_result_message(packed, 0, &plen);
    printf("simple_packing 16 bits + szip: %zu bytes (%.1f%%)\n", plen, 100.0 * plen / len);

    /* Back to GRIB. */
    tgm_bytes_t grib = {NULL, 0};
    if (tgm_convert_to_grib(msg, len, NULL, &grib) != TGM_ERROR_OK) {
        return fail("tgm_convert_to_grib");
    }
    FILE *in = fopen(argv[1], "rb");
    int same = 0;
    if (in != NULL) {
        uint8_t *orig = malloc(grib.len + 1);
        size_t got = orig ? fread(orig, 1, grib.len + 1, in) : 0;
        same = got == grib.len && memcmp(orig, grib.data, grib.len) == 0;
        free(orig);
        fclose(in);
    }
    printf("to-grib: %zu bytes, %s the input\n", grib.len, same ? "identical to" : "differs from");
    if (argc > 2) {
        FILE *out = fopen(argv[2], "wb");
        if (out == NULL || fwrite(grib.data, 1, grib.len, out) != grib.len || fclose(out) != 0) {
            perror(argv[2]);
            return 1;
        }
    }
    tgm_bytes_free(grib);
    tgm_convert_result_free(packed);
    tgm_metadata_free(meta);
    tgm_message_free(m);
    tgm_convert_result_free(res);
    return 0;
}
