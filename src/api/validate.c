/* tgm_validate, tgm_validate_file, tgm_validate_buffer: argument checks
 * and the JSON report (src/validate does the work). */
#include <stddef.h>
#include <string.h>

#include "api/api.h"
#include "validate/validate.h"

/* Options struct -> internal options. */
tgm_error tgm__vopts_from_options(const tgm_validate_options *in, tgm_vopts *o) {
    tgm_validate_options v = TGM_VALIDATE_OPTIONS_INIT;
    if (in != NULL) {
        TGM_RETURN_IF(in->size < offsetof(tgm_validate_options, level) + sizeof(in->level),
                      TGM_ERROR_INVALID_ARG, "tgm_validate_options.size (%zu) is too small",
                      in->size);
        size_t n = in->size < sizeof v ? in->size : sizeof v;
        memcpy(&v, in, n);
    }
    TGM_TRY(tgm__vopts_parse(v.level, v.check_canonical, o));
    if (v.max_decoded_bytes == TGM_VALIDATE_LIMIT_AUTO) {
        o->max_decoded_auto = true;
    } else {
        o->max_decoded = v.max_decoded_bytes;
    }
    return TGM_ERROR_OK;
}

static tgm_error validate_one(const uint8_t *buf, size_t buf_len, const tgm_vopts *po,
                              tgm_bytes_t *out) {
    tgm_vopts o = *po;
    tgm_vreport r;
    tgm__vreport_init(&r);
    tgm_buf b = TGM_BUF_INIT;
    tgm_error err = tgm__validate_message(buf, buf_len, &o, &r);
    if (err == TGM_ERROR_OK) {
        err = tgm__vreport_json(&r, &b);
    }
    tgm__vreport_free(&r);
    if (err != TGM_ERROR_OK) {
        tgm__buf_free(&b);
        return err;
    }
    tgm__api_bytes_from_buf(&b, out);
    return TGM_ERROR_OK;
}

tgm_error tgm_validate(const uint8_t *buf, size_t buf_len, const char *level,
                       int32_t check_canonical, tgm_bytes_t *out) {
    tgm__clear_error();
    TGM_API_REQUIRE(out != NULL, "null argument");
    TGM_API_REQUIRE(buf != NULL || buf_len == 0, "null buf with non-zero buf_len");
    tgm_vopts o;
    TGM_TRY(tgm__vopts_parse(level, check_canonical, &o));
    return validate_one(buf, buf_len, &o, out);
}

tgm_error tgm_validate_ex(const uint8_t *buf, size_t buf_len, const tgm_validate_options *options,
                          tgm_bytes_t *out) {
    tgm__clear_error();
    TGM_API_REQUIRE(out != NULL, "null argument");
    TGM_API_REQUIRE(buf != NULL || buf_len == 0, "null buf with non-zero buf_len");
    tgm_vopts o;
    TGM_TRY(tgm__vopts_from_options(options, &o));
    return validate_one(buf, buf_len, &o, out);
}

/* A file report to JSON, then to the caller. */
static tgm_error file_report_out(tgm_error err, tgm_vfile_report *r, tgm_bytes_t *out) {
    tgm_buf b = TGM_BUF_INIT;
    if (err == TGM_ERROR_OK) {
        err = tgm__vfile_report_json(r, &b);
    }
    tgm__vfile_report_free(r);
    if (err != TGM_ERROR_OK) {
        tgm__buf_free(&b);
        return err;
    }
    tgm__api_bytes_from_buf(&b, out);
    return TGM_ERROR_OK;
}

tgm_error tgm_validate_file(const char *path, const char *level, int32_t check_canonical,
                            tgm_bytes_t *out) {
    tgm__clear_error();
    TGM_API_REQUIRE(path != NULL && out != NULL, "null argument");
    tgm_vopts o;
    TGM_TRY(tgm__vopts_parse(level, check_canonical, &o));
    tgm_vfile_report r;
    tgm__vfile_report_init(&r);
    return file_report_out(tgm__validate_file(path, &o, &r), &r, out);
}

tgm_error tgm_validate_file_ex(const char *path, const tgm_validate_options *options,
                               tgm_bytes_t *out) {
    tgm__clear_error();
    TGM_API_REQUIRE(path != NULL && out != NULL, "null argument");
    tgm_vopts o;
    TGM_TRY(tgm__vopts_from_options(options, &o));
    tgm_vfile_report r;
    tgm__vfile_report_init(&r);
    return file_report_out(tgm__validate_file(path, &o, &r), &r, out);
}

tgm_error tgm_validate_buffer_ex(const uint8_t *buf, size_t buf_len,
                                 const tgm_validate_options *options, tgm_bytes_t *out) {
    tgm__clear_error();
    TGM_API_REQUIRE(out != NULL, "null argument");
    TGM_API_REQUIRE(buf != NULL || buf_len == 0, "null buf with non-zero buf_len");
    tgm_vopts o;
    TGM_TRY(tgm__vopts_from_options(options, &o));
    tgm_vfile_report r;
    tgm__vfile_report_init(&r);
    return file_report_out(tgm__validate_buffer(buf ? buf : (const uint8_t *)"", buf_len, &o, &r),
                           &r, out);
}

tgm_error tgm_validate_buffer(const uint8_t *buf, size_t buf_len, const char *level,
                              int32_t check_canonical, tgm_bytes_t *out) {
    tgm__clear_error();
    TGM_API_REQUIRE(out != NULL, "null argument");
    TGM_API_REQUIRE(buf != NULL || buf_len == 0, "null buf with non-zero buf_len");
    tgm_vopts o;
    TGM_TRY(tgm__vopts_parse(level, check_canonical, &o));
    tgm_vfile_report r;
    tgm__vfile_report_init(&r);
    return file_report_out(tgm__validate_buffer(buf ? buf : (const uint8_t *)"", buf_len, &o, &r),
                           &r, out);
}
