#include "common/error.h"
#include "tensogram/tensogram.h"

unsigned tgm_version_number(void) { return TGM_VERSION_NUMBER; }

const char *tgm_version_string(void) { return TGM_VERSION_STRING; }

const char *tgm_last_error(void) { return tgm__error_detail(); }

int64_t tgm_last_error_object_index(void) { return tgm__error_object_index(); }
