/* The one public simple_packing entry point (declared in tensogram.h). */
#include <stdio.h>
#include <string.h>

#include "common/endian.h"
#include "common/error.h"
#include "encodings/simple_packing.h"

tgm_error tgm_simple_packing_compute_params(const double *values, size_t num_values,
                                            uint32_t bits_per_value, int32_t decimal_scale_factor,
                                            double *out_reference_value,
                                            int32_t *out_binary_scale_factor) {
    tgm__clear_error();
    if (values == NULL || out_reference_value == NULL || out_binary_scale_factor == NULL) {
        return tgm__fail_raw(TGM_ERROR_INVALID_ARG, "null argument");
    }
    tgm_sp_params p;
    /* The values are host doubles: read them in host byte order. */
    tgm_error err = tgm__sp_compute_params((const uint8_t *)values, TGM_HOST_BIG_ENDIAN, num_values,
                                           bits_per_value, decimal_scale_factor, 1, &p);
    if (err != TGM_ERROR_OK) {
        /* The reference reports the packing error itself, without a
         * category prefix ("NaN value encountered at index 3"). */
        char msg[512];
        const char *d = tgm__error_detail();
        const char *cat = tgm__error_category(err);
        size_t cl = strlen(cat);
        snprintf(msg, sizeof msg, "%s", d != NULL ? d : "");
        if (strncmp(msg, cat, cl) == 0 && msg[cl] == ':' && msg[cl + 1] == ' ') {
            return tgm__fail_raw(TGM_ERROR_ENCODING, "%s", msg + cl + 2);
        }
        return tgm__fail_raw(TGM_ERROR_ENCODING, "%s", msg);
    }
    *out_reference_value = p.reference_value;
    *out_binary_scale_factor = p.binary_scale_factor;
    return TGM_ERROR_OK;
}
