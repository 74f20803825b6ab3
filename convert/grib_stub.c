/* The GRIB functions of a build without ecCodes: present, and failing
 * with a clear error. */
#include "internal.h"

#define NO_GRIB                                                                                    \
    cv_fail(TGM_ERROR_INVALID_ARG, "tensogram was built without GRIB support (ecCodes was not "    \
                                   "found at build time; Debian: libeccodes-dev)")

bool tgm_convert_has_grib(void) { return false; }

const char *tgm_convert_grib_library_version(void) { return NULL; }

tgm_error tgm_convert_grib_file(const char *path, const tgm_convert_options *opts,
                                tgm_convert_result_t **out) {
    (void)path;
    (void)opts;
    (void)out;
    return NO_GRIB;
}

tgm_error tgm_convert_grib_buffer(const uint8_t *buf, size_t len, const tgm_convert_options *opts,
                                  tgm_convert_result_t **out) {
    (void)buf;
    (void)len;
    (void)opts;
    (void)out;
    return NO_GRIB;
}

tgm_error tgm_convert_to_grib(const uint8_t *msg, size_t len, const tgm_convert_options *opts,
                              tgm_bytes_t *out) {
    (void)msg;
    (void)len;
    (void)opts;
    (void)out;
    return NO_GRIB;
}

tgm_error cv_grib_sanity_message(tgm_bytes_t *out) {
    (void)out;
    return NO_GRIB;
}
