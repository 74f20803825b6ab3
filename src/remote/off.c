/* Remote access in a build without libcurl (TGM_WITH_REMOTE=OFF or libcurl
 * not found): URLs are recognised and refused with a clear error. */
#include <string.h>

#include "common/error.h"
#include "remote/remote.h"

bool tgm__remote_available(void) { return false; }

static tgm_error not_built(const char *url) {
    return tgm__fail(TGM_ERROR_REMOTE,
                     "remote access is not built in (this build of Tensogram for C has no "
                     "libcurl): cannot open %s",
                     url != NULL ? url : "(null)");
}

tgm_error tgm__remote_open(const char *url, const char *const *keys, const char *const *values,
                           size_t n, tgm_source **out) {
    (void)keys;
    (void)values;
    (void)n;
    (void)out;
    return not_built(url);
}

void tgm__remote_stats(const tgm_source *src, tgm_remote_stats *out) {
    (void)src;
    memset(out, 0, sizeof *out);
}

tgm_error tgm__remote_read_async(tgm_source *src, const tgm_source_range *r, size_t n, bool keep,
                                 tgm_remote_read_done done, void *user, tgm_remote_read **out) {
    (void)src;
    (void)r;
    (void)n;
    (void)keep;
    (void)done;
    (void)user;
    (void)out;
    return not_built(NULL);
}

void tgm__remote_read_cancel(tgm_remote_read *op) { (void)op; }
