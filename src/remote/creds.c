/* AWS credentials and region from the environment and the shared
 * configuration files (~/.aws/credentials, ~/.aws/config), the way the AWS
 * command-line tools look them up. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "remote/conf.h"

void tgm__aws_profile_free(tgm_aws_profile *p) {
    if (p->secret_key != NULL) {
        memset(p->secret_key, 0, strlen(p->secret_key));
    }
    tgm__free(p->access_key);
    tgm__free(p->secret_key);
    tgm__free(p->token);
    tgm__free(p->region);
    tgm__free(p->origin);
    memset(p, 0, sizeof *p);
}

static const char *env(const char *name) {
    const char *v = getenv(name);
    return v != NULL && v[0] != '\0' ? v : NULL;
}

static char *trim(char *s) {
    while (isspace((unsigned char)*s)) {
        s++;
    }
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1])) {
        s[--n] = '\0';
    }
    return s;
}

/* Read `keys` of section `section` of an INI file into vals (tgm__malloc'd,
 * existing values kept).  A missing file is not an error. */
static tgm_error read_ini(const char *path, const char *section, const char *const *keys,
                          char **vals, size_t nkeys, bool *found) {
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return TGM_ERROR_OK;
    }
    char line[4096];
    bool in = false;
    tgm_error err = TGM_ERROR_OK;
    while (fgets(line, sizeof line, f) != NULL) {
        char *s = trim(line);
        if (s[0] == '#' || s[0] == ';' || s[0] == '\0') {
            continue;
        }
        if (s[0] == '[') {
            char *end = strchr(s, ']');
            if (end != NULL) {
                *end = '\0';
                in = strcmp(trim(s + 1), section) == 0;
                if (in) {
                    *found = true;
                }
            }
            continue;
        }
        if (!in) {
            continue;
        }
        char *eq = strchr(s, '=');
        if (eq == NULL) {
            continue;
        }
        *eq = '\0';
        char *k = trim(s), *v = trim(eq + 1);
        for (size_t i = 0; i < nkeys; i++) {
            if (vals[i] == NULL && strcmp(k, keys[i]) == 0) {
                vals[i] = tgm__strdup(v);
                if (vals[i] == NULL) {
                    err = tgm__oom(strlen(v), "credentials");
                    goto done;
                }
            }
        }
    }
done:
    fclose(f);
    memset(line, 0, sizeof line);
    return err;
}

static char *home_file(const char *env_name, const char *rel) {
    const char *p = env(env_name);
    if (p != NULL) {
        return tgm__strdup(p);
    }
    const char *home = env("HOME");
    if (home == NULL) {
        return NULL;
    }
    size_t n = strlen(home) + strlen(rel) + 2;
    char *s = tgm__malloc(n);
    if (s != NULL) {
        snprintf(s, n, "%s/%s", home, rel);
    }
    return s;
}

tgm_error tgm__aws_profile_load(const char *profile, tgm_aws_profile *out) {
    memset(out, 0, sizeof *out);
    tgm_error err = TGM_ERROR_OK;
    char *cred_path = NULL, *conf_path = NULL;
    bool explicit_profile = profile != NULL; /* the storage option beats the environment */
    if (profile == NULL) {
        profile = env("AWS_PROFILE");
    }
    if (profile == NULL) {
        profile = "default";
    }
    if (!explicit_profile && env("AWS_ACCESS_KEY_ID") && env("AWS_SECRET_ACCESS_KEY")) {
        out->access_key = tgm__strdup(env("AWS_ACCESS_KEY_ID"));
        out->secret_key = tgm__strdup(env("AWS_SECRET_ACCESS_KEY"));
        out->token = env("AWS_SESSION_TOKEN") ? tgm__strdup(env("AWS_SESSION_TOKEN")) : NULL;
        out->origin = tgm__strdup("the AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY environment");
        TGM_FAIL_IF(out->access_key == NULL || out->secret_key == NULL || out->origin == NULL,
                    TGM_ERROR_REMOTE, "out of memory");
    } else {
        cred_path = home_file("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
        if (cred_path != NULL) {
            static const char *const ck[] = {"aws_access_key_id", "aws_secret_access_key",
                                             "aws_session_token"};
            char *cv[3] = {NULL, NULL, NULL};
            bool found = false;
            err = read_ini(cred_path, profile, ck, cv, 3, &found);
            out->access_key = cv[0];
            out->secret_key = cv[1];
            out->token = cv[2];
            TGM_CHECK(err);
            if (out->access_key != NULL && out->secret_key != NULL) {
                size_t n = strlen(cred_path) + strlen(profile) + 8;
                out->origin = tgm__malloc(n);
                TGM_FAIL_IF(out->origin == NULL, TGM_ERROR_REMOTE, "out of memory");
                snprintf(out->origin, n, "%s [%s]", cred_path, profile);
            }
        }
    }
    /* Region: environment first, then the profile's section of the config
     * file ("[default]" or "[profile NAME]"). */
    const char *r = env("AWS_REGION");
    if (r == NULL) {
        r = env("AWS_DEFAULT_REGION");
    }
    if (r != NULL) {
        out->region = tgm__strdup(r);
        TGM_FAIL_IF(out->region == NULL, TGM_ERROR_REMOTE, "out of memory");
    } else {
        conf_path = home_file("AWS_CONFIG_FILE", ".aws/config");
        if (conf_path != NULL) {
            char section[256];
            if (strcmp(profile, "default") == 0) {
                snprintf(section, sizeof section, "default");
            } else {
                snprintf(section, sizeof section, "profile %s", profile);
            }
            static const char *const rk[] = {"region"};
            char *rv[1] = {NULL};
            bool found = false;
            err = read_ini(conf_path, section, rk, rv, 1, &found);
            out->region = rv[0];
            TGM_CHECK(err);
        }
    }
cleanup:
    tgm__free(cred_path);
    tgm__free(conf_path);
    if (err != TGM_ERROR_OK) {
        tgm__aws_profile_free(out);
    }
    return err;
}
