/* Which sources are remote URLs.  Built in every configuration (also
 * without libcurl), so a URL is recognised and refused clearly. */
#include <string.h>
#include <strings.h>

#include "remote/conf.h"
#include "remote/remote.h"

static const struct {
    const char *name;
    tgm_remote_scheme scheme;
} schemes[] = {{"http", TGM_REMOTE_HTTP},  {"https", TGM_REMOTE_HTTP}, {"s3", TGM_REMOTE_S3},
               {"s3a", TGM_REMOTE_S3},     {"gs", TGM_REMOTE_GCS},     {"az", TGM_REMOTE_AZURE},
               {"azure", TGM_REMOTE_AZURE}};

int tgm__remote_scheme_of(const char *s, size_t *prefix_len) {
    const char *colon = s != NULL ? strstr(s, "://") : NULL;
    if (colon == NULL) {
        return -1;
    }
    size_t n = (size_t)(colon - s);
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
        if (strlen(schemes[i].name) == n && strncasecmp(s, schemes[i].name, n) == 0) {
            if (prefix_len != NULL) {
                *prefix_len = n + 3;
            }
            return (int)schemes[i].scheme;
        }
    }
    return -1;
}

bool tgm__remote_is_url(const char *s) { return tgm__remote_scheme_of(s, NULL) >= 0; }
