/* tgm_validate, tgm_validate_file, tgm_validate_buffer: argument checks
 * and the JSON report (src/validate does the work). */
#include "validate/validate.h"
#include "api/api.h"

tgm_error tgm_validate(const uint8_t *buf, size_t buf_len, const char *level,
                       int32_t check_canonical, tgm_bytes_t *out) {
    tgm__clear_error();
    TGM_API_REQUIRE(out != NULL, "null argument");
    TGM_API_REQUIRE(buf != NULL || buf_len == 0, "null buf with non-zero buf_len");
    tgm_vopts o;
    TGM_TRY(tgm__vopts_parse(level, check_canonical, &o));
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
