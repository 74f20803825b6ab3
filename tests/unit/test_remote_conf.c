/* Remote configuration without a network: URL schemes, storage options,
 * durations, the URLs built for s3:// gs:// az://, credentials lookups. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "remote/remote.h"
#include "tt.h"
#ifdef TGM_HAVE_REMOTE
#include "remote/conf.h"
#endif

static void t_schemes(void) {
    TT_CHECK(tgm__remote_is_url("http://h/x"));
    TT_CHECK(tgm__remote_is_url("HTTPS://h/x"));
    TT_CHECK(tgm__remote_is_url("s3://b/k") && tgm__remote_is_url("s3a://b/k"));
    TT_CHECK(tgm__remote_is_url("gs://b/k") && tgm__remote_is_url("az://c/b") &&
             tgm__remote_is_url("azure://c/b"));
    TT_CHECK(!tgm__remote_is_url("/tmp/a.tgm") && !tgm__remote_is_url("file:///a.tgm") &&
             !tgm__remote_is_url("ftp://h/x") && !tgm__remote_is_url("s3:/b/k") &&
             !tgm__remote_is_url(NULL) && !tgm__remote_is_url("relative/http://x"));
}

#ifdef TGM_HAVE_REMOTE
static void t_durations(void) {
    uint64_t ms = 0;
    TT_CHECK_ERR(tgm__parse_duration("10s", &ms), TGM_ERROR_OK);
    TT_CHECK_EQ_INT(ms, 10000);
    TT_CHECK_ERR(tgm__parse_duration("1m 30s", &ms), TGM_ERROR_OK);
    TT_CHECK_EQ_INT(ms, 90000);
    TT_CHECK_ERR(tgm__parse_duration("250ms", &ms), TGM_ERROR_OK);
    TT_CHECK_EQ_INT(ms, 250);
    TT_CHECK_ERR(tgm__parse_duration("2h", &ms), TGM_ERROR_OK);
    TT_CHECK_EQ_INT(ms, 7200000);
    TT_CHECK_ERR(tgm__parse_duration("1day 1hour 1min 1sec 1msec", &ms), TGM_ERROR_OK);
    TT_CHECK_EQ_INT(ms, 86400000 + 3600000 + 60000 + 1000 + 1);
    TT_CHECK_ERR(tgm__parse_duration("500us", &ms), TGM_ERROR_OK);
    TT_CHECK_EQ_INT(ms, 1); /* below a millisecond rounds up */
    TT_CHECK_ERR(tgm__parse_duration("1500us", &ms), TGM_ERROR_OK);
    TT_CHECK_EQ_INT(ms, 1); /* whole milliseconds */
    TT_CHECK_ERR(tgm__parse_duration("0s", &ms), TGM_ERROR_OK);
    TT_CHECK_EQ_INT(ms, 0);
    TT_CHECK_ERR(tgm__parse_duration("10", &ms), TGM_ERROR_INVALID_ARG); /* unit needed */
    TT_CHECK(strstr(tgm_last_error(), "unit") != NULL);
    TT_CHECK_ERR(tgm__parse_duration("10 parsecs", &ms), TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm__parse_duration("", &ms), TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm__parse_duration("-5s", &ms), TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm__parse_duration("1.5s", &ms), TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm__parse_duration("99999999999999999999s", &ms), TGM_ERROR_INVALID_ARG);
}

static tgm_remote_conf *conf(const char *url, const char **k, const char **v, size_t n) {
    tgm_remote_conf *c = NULL;
    tgm_error e = tgm__remote_conf_new(url, k, v, n, &c);
    if (e != TGM_ERROR_OK) {
        fprintf(stderr, "conf(%s): %s\n", url, tgm_last_error());
        return NULL;
    }
    return c;
}

static bool has_header(const tgm_remote_conf *c, const char *h) {
    for (size_t i = 0; i < c->nheaders; i++) {
        if (strcmp(c->headers[i], h) == 0) {
            return true;
        }
    }
    return false;
}

static void t_urls(void) {
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    unsetenv("AWS_PROFILE");
    unsetenv("AWS_REGION");
    unsetenv("AWS_DEFAULT_REGION");
    unsetenv("AWS_ENDPOINT_URL");
    unsetenv("AWS_ENDPOINT_URL_S3");
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/c", 1);
    setenv("AWS_CONFIG_FILE", "/nonexistent/c", 1);
    /* S3: path style on the regional endpoint, keys percent-encoded. */
    tgm_remote_conf *c = conf("s3://my-bucket/dir/a b+c.tgm", NULL, NULL, 0);
    TT_ASSERT(c != NULL);
    TT_CHECK_EQ_STR(c->url, "https://s3.us-east-1.amazonaws.com/my-bucket/dir/a%20b%2Bc.tgm");
    TT_CHECK(c->auth == TGM_REMOTE_AUTH_NONE); /* no credentials: anonymous */
    tgm__remote_conf_free(c);
    const char *k1[] = {"aws_access_key_id", "aws_secret_access_key", "region",
                        "virtual_hosted_style_request", "aws_session_token"};
    const char *v1[] = {"AKID", "SECRET", "eu-west-2", "true", "TOKEN"};
    c = conf("s3a://bkt/k%2Fq.tgm", k1, v1, 5);
    TT_ASSERT(c != NULL);
    TT_CHECK_EQ_STR(c->url, "https://bkt.s3.eu-west-2.amazonaws.com/k/q.tgm");
    TT_CHECK(c->auth == TGM_REMOTE_AUTH_SIGV4);
    TT_CHECK_EQ_STR(c->sigv4, "aws:amz:eu-west-2:s3");
    TT_CHECK(has_header(c, "x-amz-content-sha256: "
                           "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    TT_CHECK(has_header(c, "x-amz-security-token: TOKEN"));
    TT_CHECK(strstr(c->display, "SECRET") == NULL);
    tgm__remote_conf_free(c);
    /* Custom endpoint, path style, plain http allowed explicitly. */
    const char *k2[] = {"endpoint", "allow_http", "AWS_REGION"};
    const char *v2[] = {"http://127.0.0.1:9000/", "true", "x-1"};
    c = conf("s3://b/k", k2, v2, 3);
    TT_ASSERT(c != NULL);
    TT_CHECK_EQ_STR(c->url, "http://127.0.0.1:9000/b/k");
    tgm__remote_conf_free(c);
    tgm_remote_conf *bad = NULL;
    TT_CHECK_ERR(tgm__remote_conf_new("s3://b/k", k2, v2, 1, &bad), TGM_ERROR_INVALID_ARG);
    TT_CHECK(strstr(tgm_last_error(), "allow_http") != NULL);
    /* GCS and Azure. */
    c = conf("gs://gb/x/y.tgm", NULL, NULL, 0);
    TT_ASSERT(c != NULL);
    TT_CHECK_EQ_STR(c->url, "https://storage.googleapis.com/gb/x/y.tgm");
    tgm__remote_conf_free(c);
    const char *k3[] = {"google_bearer_token"};
    const char *v3[] = {"ya29.tok"};
    c = conf("gs://gb/y.tgm", k3, v3, 1);
    TT_ASSERT(c != NULL);
    TT_CHECK(c->auth == TGM_REMOTE_AUTH_BEARER && has_header(c, "Authorization: Bearer ya29.tok"));
    tgm__remote_conf_free(c);
    const char *k4[] = {"azure_storage_account_name", "sas_token"};
    const char *v4[] = {"acct", "?sv=2022&sig=abc"};
    c = conf("az://cont/dir/b.tgm", k4, v4, 2);
    TT_ASSERT(c != NULL);
    TT_CHECK_EQ_STR(c->url, "https://acct.blob.core.windows.net/cont/dir/b.tgm?sv=2022&sig=abc");
    TT_CHECK_EQ_STR(c->display, "https://acct.blob.core.windows.net/cont/dir/b.tgm");
    TT_CHECK(has_header(c, "x-ms-version: 2023-11-03"));
    tgm__remote_conf_free(c);
    unsetenv("AZURE_STORAGE_ACCOUNT_NAME");
    unsetenv("AZURE_STORAGE_ACCOUNT");
    TT_CHECK_ERR(tgm__remote_conf_new("azure://cont/b.tgm", NULL, NULL, 0, &bad),
                 TGM_ERROR_INVALID_ARG);
    TT_CHECK(strstr(tgm_last_error(), "account") != NULL);
    /* http URLs: user info and query kept out of messages. */
    c = conf("https://user:pw@example.org:8443/p/f.tgm?sig=1", NULL, NULL, 0);
    TT_ASSERT(c != NULL);
    TT_CHECK_EQ_STR(c->display, "https://example.org:8443/p/f.tgm");
    tgm__remote_conf_free(c);
    TT_CHECK_ERR(tgm__remote_conf_new("http://[invalid]/f.tgm", NULL, NULL, 0, &bad),
                 TGM_ERROR_REMOTE);
    TT_CHECK(strstr(tgm_last_error(), "invalid URL") != NULL);
    TT_CHECK_ERR(tgm__remote_conf_new("s3://bucket-only", NULL, NULL, 0, &bad), TGM_ERROR_REMOTE);
}

static void t_options(void) {
    tgm_remote_conf *c = NULL;
    const char *k[] = {"timeout",       "connect_timeout",   "max_retries",
                       "retry_timeout", "low_speed_timeout", "max_concurrency",
                       "http1_only",    "user_agent",        "aws_timeout"};
    const char *v[] = {"30s", "2s", "3", "1m", "5s", "8", "yes", "ua/1", "31s"};
    /* the aws_ prefix of a client key is accepted for s3 URLs only */
    TT_CHECK_ERR(tgm__remote_conf_new("http://h/x", k, v, 8, &c), TGM_ERROR_OK);
    TT_ASSERT(c != NULL);
    TT_CHECK_EQ_INT(c->timeout_ms, 30000);
    TT_CHECK_EQ_INT(c->connect_timeout_ms, 2000);
    TT_CHECK_EQ_INT(c->max_retries, 3);
    TT_CHECK_EQ_INT(c->retry_timeout_ms, 60000);
    TT_CHECK_EQ_INT(c->low_speed_ms, 5000);
    TT_CHECK_EQ_INT(c->max_concurrency, 8);
    TT_CHECK_EQ_INT(c->http_version, 1);
    TT_CHECK_EQ_STR(c->user_agent, "ua/1");
    tgm__remote_conf_free(c);
    c = NULL;
    TT_CHECK_ERR(tgm__remote_conf_new("s3://b/k", k + 8, v + 8, 1, &c), TGM_ERROR_OK);
    if (c != NULL) {
        TT_CHECK_EQ_INT(c->timeout_ms, 31000);
        tgm__remote_conf_free(c);
    }
    const struct {
        const char *url, *key, *value, *phrase;
    } bad[] = {
        {"http://h/x", "no_such_option", "1", "unknown storage option"},
        {"http://h/x", "aws_access_key_id", "A", "does not apply"},
        {"s3://b/k", "google_bucket", "g", "does not apply"},
        {"http://h/x", "allow_http", "maybe", "boolean"},
        {"http://h/x", "max_retries", "-1", "integer"},
        {"http://h/x", "max_concurrency", "0", "max_concurrency"},
        {"s3://b/k", "aws_role_arn", "arn", "not supported"},
        {"gs://b/k", "google_service_account", "/x.json", "not supported"},
        {"az://c/b", "azure_storage_account_key", "k", "not supported"},
        {"s3://b/k", "aws_access_key_id", "A", "without aws_secret_access_key"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tgm_remote_conf *x = NULL;
        TT_CHECK_ERR(tgm__remote_conf_new(bad[i].url, &bad[i].key, &bad[i].value, 1, &x),
                     TGM_ERROR_INVALID_ARG);
        TT_CHECK(strstr(tgm_last_error(), bad[i].phrase) != NULL);
    }
    /* Write-side keys are accepted (no effect on reads). */
    const char *wk[] = {"aws_server_side_encryption", "default_content_type"};
    const char *wv[] = {"AES256", "application/octet-stream"};
    TT_CHECK_ERR(tgm__remote_conf_new("s3://b/k", wk, wv, 2, &c), TGM_ERROR_OK);
    tgm__remote_conf_free(c);
}

static void t_credentials_files(void) {
    char dir[] = "/tmp/tgm-creds-XXXXXX";
    TT_ASSERT(mkdtemp(dir) != NULL);
    char cred[256], cfg[256];
    snprintf(cred, sizeof cred, "%s/credentials", dir);
    snprintf(cfg, sizeof cfg, "%s/config", dir);
    FILE *f = fopen(cred, "w");
    TT_ASSERT(f != NULL);
    fputs("; comment\n[default]\naws_access_key_id=DEF\naws_secret_access_key = defsecret\n"
          "[other]\n  aws_access_key_id = OTH  \naws_secret_access_key=oth\naws_session_token=t\n",
          f);
    fclose(f);
    f = fopen(cfg, "w");
    TT_ASSERT(f != NULL);
    fputs("[default]\nregion = eu-central-1\n[profile other]\nregion=ap-south-1\n", f);
    fclose(f);
    setenv("AWS_SHARED_CREDENTIALS_FILE", cred, 1);
    setenv("AWS_CONFIG_FILE", cfg, 1);
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_REGION");
    unsetenv("AWS_DEFAULT_REGION");
    unsetenv("AWS_PROFILE");
    tgm_aws_profile p;
    TT_CHECK_ERR(tgm__aws_profile_load(NULL, &p), TGM_ERROR_OK);
    TT_CHECK_EQ_STR(p.access_key, "DEF");
    TT_CHECK_EQ_STR(p.secret_key, "defsecret");
    TT_CHECK_EQ_STR(p.region, "eu-central-1");
    tgm__aws_profile_free(&p);
    TT_CHECK_ERR(tgm__aws_profile_load("other", &p), TGM_ERROR_OK);
    TT_CHECK_EQ_STR(p.access_key, "OTH");
    TT_CHECK_EQ_STR(p.token, "t");
    TT_CHECK_EQ_STR(p.region, "ap-south-1");
    tgm__aws_profile_free(&p);
    /* The environment wins over the default profile. */
    setenv("AWS_ACCESS_KEY_ID", "ENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
    setenv("AWS_REGION", "us-west-2", 1);
    TT_CHECK_ERR(tgm__aws_profile_load(NULL, &p), TGM_ERROR_OK);
    TT_CHECK_EQ_STR(p.access_key, "ENV");
    TT_CHECK_EQ_STR(p.region, "us-west-2");
    tgm__aws_profile_free(&p);
    tgm_remote_conf *c = conf("s3://b/k", NULL, NULL, 0);
    TT_ASSERT(c != NULL);
    TT_CHECK(c->auth == TGM_REMOTE_AUTH_SIGV4);
    TT_CHECK_EQ_STR(c->access_key, "ENV");
    TT_CHECK_EQ_STR(c->sigv4, "aws:amz:us-west-2:s3");
    tgm__remote_conf_free(c);
    /* skip_signature forces anonymous requests. */
    const char *k[] = {"skip_signature"};
    const char *v[] = {"true"};
    c = conf("s3://b/k", k, v, 1);
    TT_ASSERT(c != NULL);
    TT_CHECK(c->auth == TGM_REMOTE_AUTH_NONE);
    tgm__remote_conf_free(c);
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    unsetenv("AWS_REGION");
    unlink(cred);
    unlink(cfg);
    rmdir(dir);
}
#endif

int main(void) {
    TT_RUN(t_schemes);
#ifdef TGM_HAVE_REMOTE
    TT_CHECK(tgm__remote_available());
    TT_RUN(t_durations);
    TT_RUN(t_urls);
    TT_RUN(t_options);
    TT_RUN(t_credentials_files);
#else
    tgm_source *s = NULL;
    TT_CHECK_ERR(tgm__remote_open("http://127.0.0.1/x.tgm", NULL, NULL, 0, &s), TGM_ERROR_REMOTE);
    TT_CHECK(strstr(tgm_last_error(), "not built in") != NULL);
#endif
    printf("%d checks, %d failures\n", tt_checks, tt_failures);
    return tt_failures ? 1 : 0;
}
