/* The NetCDF functions of a build without netCDF-C: present, and failing
 * with a clear error. */
#include "internal.h"

#define NO_NETCDF                                                                                  \
    cv_fail(TGM_ERROR_INVALID_ARG, "tensogram was built without NetCDF support (netCDF-C was "     \
                                   "not found at build time; Debian: libnetcdf-dev)")

bool tgm_convert_has_netcdf(void) { return false; }

const char *tgm_convert_netcdf_library_version(void) { return NULL; }

tgm_error tgm_convert_netcdf_file(const char *path, const tgm_convert_options *opts,
                                  tgm_convert_result_t **out) {
    (void)path;
    (void)opts;
    (void)out;
    return NO_NETCDF;
}

tgm_error tgm_convert_netcdf_buffer(const uint8_t *buf, size_t len, const tgm_convert_options *opts,
                                    tgm_convert_result_t **out) {
    (void)buf;
    (void)len;
    (void)opts;
    (void)out;
    return NO_NETCDF;
}

tgm_error tgm_convert_to_netcdf(const uint8_t *const *msgs, const size_t *lens, size_t count,
                                const char *path, const tgm_convert_options *opts) {
    (void)msgs;
    (void)lens;
    (void)count;
    (void)path;
    (void)opts;
    return NO_NETCDF;
}

tgm_error cv_netcdf_sanity_file(bool netcdf4, tgm_bytes_t *out) {
    (void)netcdf4;
    (void)out;
    return NO_NETCDF;
}
