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

/* Without remote access no source is remote: deferral never starts. */
tgm_error tgm__remote_defer_new(tgm_source *src, tgm_remote_defer **out) {
    (void)src;
    *out = NULL;
    return not_built(NULL);
}
void tgm__remote_defer_free(tgm_remote_defer *d) { (void)d; }
void tgm__remote_defer_begin(tgm_remote_defer *d) { (void)d; }
bool tgm__remote_defer_end(tgm_remote_defer *d) {
    (void)d;
    return false;
}
tgm_error tgm__remote_defer_status(tgm_remote_defer *d) {
    (void)d;
    return TGM_ERROR_OK;
}
uint64_t tgm__remote_defer_bytes(const tgm_remote_defer *d) {
    (void)d;
    return 0;
}
tgm_error tgm__remote_defer_fetch(tgm_remote_defer *d, void (*done)(void *user), void *user) {
    (void)d;
    (void)done;
    (void)user;
    return not_built(NULL);
}
void tgm__remote_defer_cancel(tgm_remote_defer *d) { (void)d; }
