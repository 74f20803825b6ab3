/* NetCDF -> Tensogram -> NetCDF-4 with libtensogram_convert.
 *
 * Converts a NetCDF file (one object per numeric variable, packed ones
 * unpacked to float64, CF attributes lifted with --cf's equivalent), lists
 * the variables, and writes a NetCDF-4 file back from the messages.
 *
 *   cc convert_netcdf.c $(pkg-config --cflags --libs tensogram_convert)
 *   ./a.out data.nc back.nc */
#include <stdio.h>
#include <stdlib.h>

#include <tensogram/convert.h>

static int fail(const char *what) {
    fprintf(stderr, "%s: %s\n", what, tgm_last_error());
    return 1;
}

static void warn(void *user, const char *text) {
    (void)user;
    printf("  (warning: %s)\n", text);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s IN.nc OUT.nc\n", argv[0]);
        return 2;
    }
    if (!tgm_convert_has_netcdf()) {
        printf("this build has no NetCDF support (netCDF-C was not found)\n");
        return 77;
    }
    printf("netCDF-C %s\n", tgm_convert_netcdf_library_version());
    tgm_convert_options o = TGM_CONVERT_OPTIONS_INIT;
    o.netcdf_split_by = TGM_NETCDF_SPLIT_VARIABLE; /* one message per variable */
    o.netcdf_cf = true;
    o.compression = "zstd";
    o.warning = warn;
    tgm_convert_result_t *res = NULL;
    if (tgm_convert_netcdf_file(argv[1], &o, &res) != TGM_ERROR_OK) {
        return fail("tgm_convert_netcdf_file");
    }
    size_t n = tgm_convert_result_count(res);
    const uint8_t **msgs = calloc(n, sizeof *msgs);
    size_t *lens = calloc(n, sizeof *lens);
    for (size_t i = 0; i < n; i++) {
        msgs[i] = tgm_convert_result_message(res, i, &lens[i]);
        tgm_metadata_t *meta = NULL;
        if (tgm_decode_metadata(msgs[i], lens[i], &meta) != TGM_ERROR_OK) {
            return fail("tgm_decode_metadata");
        }
        const char *units = tgm_metadata_get_string_at(meta, 0, "cf.units");
        const char *std = tgm_metadata_get_string_at(meta, 0, "cf.standard_name");
        printf("  %-14s %-22s %s\n", tgm_metadata_get_string_at(meta, 0, "name"), std ? std : "-",
               units ? units : "");
        tgm_metadata_free(meta);
    }
    if (tgm_convert_to_netcdf(msgs, lens, n, argv[2], NULL) != TGM_ERROR_OK) {
        return fail("tgm_convert_to_netcdf");
    }
    printf("%zu message(s) -> %s\n", n, argv[2]);
    free(msgs);
    free(lens);
    tgm_convert_result_free(res);
    return 0;
}
