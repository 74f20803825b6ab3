/* Remote object configuration: URL schemes, storage options, credentials
 * and the transport policy.  The option keys are those of the reference
 * (its object_store builders: client keys, aws_*, google_*, azure_*, with
 * their aliases); docs/remote.md lists which have an effect here.  Unlike
 * the reference, an unknown key is an error, not silently ignored. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "common/error.h"
#include "remote/conf.h"

/* ---- URL schemes ------------------------------------------------------------ */

static const char *scheme_label(tgm_remote_scheme s) {
    switch (s) {
    case TGM_REMOTE_S3:
        return "s3://";
    case TGM_REMOTE_GCS:
        return "gs://";
    case TGM_REMOTE_AZURE:
        return "az://";
    default:
        return "http(s)://";
    }
}

/* ---- durations (humantime) ---------------------------------------------------- */

static const struct {
    const char *unit;
    uint64_t num, den; /* value in milliseconds = n * num / den */
} units[] = {
    {"nsec", 1, 1000000},
    {"ns", 1, 1000000},
    {"usec", 1, 1000},
    {"us", 1, 1000},
    {"msec", 1, 1},
    {"ms", 1, 1},
    {"seconds", 1000, 1},
    {"second", 1000, 1},
    {"sec", 1000, 1},
    {"s", 1000, 1},
    {"minutes", 60000, 1},
    {"minute", 60000, 1},
    {"min", 60000, 1},
    {"m", 60000, 1},
    {"hours", 3600000, 1},
    {"hour", 3600000, 1},
    {"hr", 3600000, 1},
    {"h", 3600000, 1},
    {"days", 86400000, 1},
    {"day", 86400000, 1},
    {"d", 86400000, 1},
    {"weeks", 604800000, 1},
    {"week", 604800000, 1},
    {"w", 604800000, 1},
    {"months", 2630016000, 1},
    {"month", 2630016000, 1},
    {"M", 2630016000, 1},
    {"years", 31557600000, 1},
    {"year", 31557600000, 1},
    {"y", 31557600000, 1},
};

tgm_error tgm__parse_duration(const char *s, uint64_t *ms) {
    const char *p = s;
    uint64_t total_ns_part = 0; /* sub-millisecond remainder, in 1/1e6 ms */
    uint64_t total = 0;
    int parts = 0;
    while (*p != '\0') {
        while (isspace((unsigned char)*p)) {
            p++;
        }
        if (*p == '\0') {
            break;
        }
        TGM_RETURN_IF(!isdigit((unsigned char)*p), TGM_ERROR_INVALID_ARG,
                      "failed to parse \"%s\" as a duration (expected a number at \"%s\"; "
                      "examples: 10s, 1m 30s, 250ms)",
                      s, p);
        uint64_t n = 0;
        while (isdigit((unsigned char)*p)) {
            TGM_RETURN_IF(n > (UINT64_MAX - 9) / 10, TGM_ERROR_INVALID_ARG,
                          "duration \"%s\" is too large", s);
            n = n * 10 + (uint64_t)(*p - '0');
            p++;
        }
        while (isspace((unsigned char)*p)) {
            p++;
        }
        const char *u = p;
        while (isalpha((unsigned char)*p)) {
            p++;
        }
        size_t ulen = (size_t)(p - u);
        TGM_RETURN_IF(ulen == 0, TGM_ERROR_INVALID_ARG,
                      "failed to parse \"%s\" as a duration: time unit needed (e.g. 10s or 500ms)",
                      s);
        size_t k = 0;
        for (; k < sizeof units / sizeof units[0]; k++) {
            if (strlen(units[k].unit) == ulen && strncmp(u, units[k].unit, ulen) == 0) {
                break;
            }
        }
        TGM_RETURN_IF(k == sizeof units / sizeof units[0], TGM_ERROR_INVALID_ARG,
                      "failed to parse \"%s\" as a duration: unknown time unit \"%.*s\"", s,
                      (int)ulen, u);
        if (units[k].den > 1) {
            total += n / units[k].den;
            total_ns_part += (n % units[k].den) * (1000000 / units[k].den);
        } else {
            TGM_RETURN_IF(n > UINT64_MAX / units[k].num || total > UINT64_MAX - n * units[k].num,
                          TGM_ERROR_INVALID_ARG, "duration \"%s\" is too large", s);
            total += n * units[k].num;
        }
        parts++;
    }
    TGM_RETURN_IF(parts == 0, TGM_ERROR_INVALID_ARG, "failed to parse \"%s\" as a duration", s);
    total += total_ns_part / 1000000;
    if (total == 0 && total_ns_part > 0) {
        total = 1;
    }
    *ms = total;
    return TGM_ERROR_OK;
}

/* ---- option keys ---------------------------------------------------------------- */

enum {
    M_HTTP = 1 << TGM_REMOTE_HTTP,
    M_S3 = 1 << TGM_REMOTE_S3,
    M_GCS = 1 << TGM_REMOTE_GCS,
    M_AZ = 1 << TGM_REMOTE_AZURE,
    M_ALL = M_HTTP | M_S3 | M_GCS | M_AZ
};

typedef enum {
    /* client keys (every scheme) */
    K_ALLOW_HTTP,
    K_ALLOW_INVALID_CERTS,
    K_CONNECT_TIMEOUT,
    K_TIMEOUT,
    K_USER_AGENT,
    K_PROXY_URL,
    K_PROXY_EXCLUDES,
    K_PROXY_CA,
    K_HTTP1_ONLY,
    K_HTTP2_ONLY,
    K_POOL_IDLE,
    K_KEEPALIVE,
    /* additions of Tensogram for C (every scheme) */
    K_CA_BUNDLE,
    K_CA_PATH,
    K_LOW_SPEED,
    K_MAX_RETRIES,
    K_RETRY_TIMEOUT,
    K_MAX_CONCURRENCY,
    /* S3 */
    K_S3_KEY_ID,
    K_S3_SECRET,
    K_S3_REGION,
    K_S3_DEFAULT_REGION,
    K_S3_BUCKET,
    K_S3_ENDPOINT,
    K_S3_TOKEN,
    K_S3_VHOST,
    K_S3_SKIP_SIG,
    K_S3_PAYER,
    K_S3_PROFILE,
    /* GCS */
    K_GCS_BUCKET,
    K_GCS_BASE_URL,
    K_GCS_SKIP_SIG,
    K_GCS_TOKEN,
    /* Azure */
    K_AZ_ACCOUNT,
    K_AZ_CONTAINER,
    K_AZ_SAS,
    K_AZ_TOKEN,
    K_AZ_EMULATOR,
    K_AZ_ENDPOINT,
    K_AZ_SKIP_SIG,
    /* accepted without effect on reads (write-side settings) */
    K_NOOP,
    /* known to the reference, not available here */
    K_UNSUPPORTED,
    K_COUNT
} key_id;

typedef struct {
    const char *name;
    int schemes;
    key_id id;
    const char *why; /* K_UNSUPPORTED: what to do instead */
} keydef;

#define NO_CRED_PROVIDER                                                                           \
    "this credential provider is not available in Tensogram for C; pass "                          \
    "aws_access_key_id / aws_secret_access_key (and aws_session_token), set the AWS_* "            \
    "environment variables or use a ~/.aws/credentials profile"
#define NO_GOOGLE_OAUTH                                                                            \
    "service-account sign-in is not available in Tensogram for C; pass an OAuth access token "     \
    "as google_bearer_token (e.g. from `gcloud auth print-access-token`) or read public objects"
#define NO_AZURE_AAD                                                                               \
    "this Azure credential is not available in Tensogram for C; pass a SAS token "                 \
    "(azure_storage_sas_token) or a bearer token (azure_storage_token), or read public blobs"

static const keydef keys[] = {
    /* client options (object_store ClientConfigKey) */
    {"allow_http", M_ALL, K_ALLOW_HTTP, NULL},
    {"allow_invalid_certificates", M_ALL, K_ALLOW_INVALID_CERTS, NULL},
    {"connect_timeout", M_ALL, K_CONNECT_TIMEOUT, NULL},
    {"timeout", M_ALL, K_TIMEOUT, NULL},
    {"user_agent", M_ALL, K_USER_AGENT, NULL},
    {"proxy_url", M_ALL, K_PROXY_URL, NULL},
    {"proxy_excludes", M_ALL, K_PROXY_EXCLUDES, NULL},
    {"proxy_ca_certificate", M_ALL, K_PROXY_CA, NULL},
    {"http1_only", M_ALL, K_HTTP1_ONLY, NULL},
    {"http2_only", M_ALL, K_HTTP2_ONLY, NULL},
    {"pool_idle_timeout", M_ALL, K_POOL_IDLE, NULL},
    {"http2_keep_alive_interval", M_ALL, K_KEEPALIVE, NULL},
    {"pool_max_idle_per_host", M_ALL, K_NOOP, NULL},
    {"default_content_type", M_ALL, K_NOOP, NULL},
    {"http2_keep_alive_timeout", M_ALL, K_NOOP, NULL},
    {"http2_keep_alive_while_idle", M_ALL, K_NOOP, NULL},
    {"http2_max_frame_size", M_ALL, K_NOOP, NULL},
    {"randomize_addresses", M_ALL, K_NOOP, NULL},
    /* ours */
    {"ca_bundle", M_ALL, K_CA_BUNDLE, NULL},
    {"ca_path", M_ALL, K_CA_PATH, NULL},
    {"low_speed_timeout", M_ALL, K_LOW_SPEED, NULL},
    {"max_retries", M_ALL, K_MAX_RETRIES, NULL},
    {"retry_timeout", M_ALL, K_RETRY_TIMEOUT, NULL},
    {"max_concurrency", M_ALL, K_MAX_CONCURRENCY, NULL},
    /* S3 (AmazonS3ConfigKey) */
    {"aws_access_key_id", M_S3, K_S3_KEY_ID, NULL},
    {"access_key_id", M_S3, K_S3_KEY_ID, NULL},
    {"aws_secret_access_key", M_S3, K_S3_SECRET, NULL},
    {"secret_access_key", M_S3, K_S3_SECRET, NULL},
    {"aws_default_region", M_S3, K_S3_DEFAULT_REGION, NULL},
    {"default_region", M_S3, K_S3_DEFAULT_REGION, NULL},
    {"aws_region", M_S3, K_S3_REGION, NULL},
    {"region", M_S3, K_S3_REGION, NULL},
    {"aws_bucket", M_S3, K_S3_BUCKET, NULL},
    {"aws_bucket_name", M_S3, K_S3_BUCKET, NULL},
    {"bucket_name", M_S3 | M_GCS, K_S3_BUCKET, NULL},
    {"bucket", M_S3 | M_GCS, K_S3_BUCKET, NULL},
    {"aws_endpoint_url", M_S3, K_S3_ENDPOINT, NULL},
    {"aws_endpoint", M_S3, K_S3_ENDPOINT, NULL},
    {"endpoint_url", M_S3, K_S3_ENDPOINT, NULL},
    {"endpoint", M_S3 | M_AZ, K_S3_ENDPOINT, NULL},
    {"aws_endpoint_url_s3", M_S3, K_S3_ENDPOINT, NULL},
    {"aws_session_token", M_S3, K_S3_TOKEN, NULL},
    {"aws_token", M_S3, K_S3_TOKEN, NULL},
    {"session_token", M_S3, K_S3_TOKEN, NULL},
    {"token", M_S3 | M_GCS | M_AZ, K_S3_TOKEN, NULL},
    {"aws_virtual_hosted_style_request", M_S3, K_S3_VHOST, NULL},
    {"virtual_hosted_style_request", M_S3, K_S3_VHOST, NULL},
    {"aws_skip_signature", M_S3, K_S3_SKIP_SIG, NULL},
    {"skip_signature", M_S3 | M_GCS | M_AZ, K_S3_SKIP_SIG, NULL},
    {"aws_request_payer", M_S3, K_S3_PAYER, NULL},
    {"request_payer", M_S3, K_S3_PAYER, NULL},
    {"aws_allow_http", M_S3, K_ALLOW_HTTP, NULL},
    {"aws_profile", M_S3, K_S3_PROFILE, NULL},
    {"profile", M_S3, K_S3_PROFILE, NULL},
    {"aws_unsigned_payload", M_S3, K_NOOP, NULL},
    {"unsigned_payload", M_S3, K_NOOP, NULL},
    {"aws_checksum_algorithm", M_S3, K_NOOP, NULL},
    {"checksum_algorithm", M_S3, K_NOOP, NULL},
    {"aws_copy_if_not_exists", M_S3, K_NOOP, NULL},
    {"copy_if_not_exists", M_S3, K_NOOP, NULL},
    {"aws_conditional_put", M_S3, K_NOOP, NULL},
    {"conditional_put", M_S3, K_NOOP, NULL},
    {"aws_disable_tagging", M_S3, K_NOOP, NULL},
    {"disable_tagging", M_S3 | M_AZ, K_NOOP, NULL},
    {"aws_server_side_encryption", M_S3, K_NOOP, NULL},
    {"server_side_encryption", M_S3, K_NOOP, NULL},
    {"aws_sse_kms_key_id", M_S3, K_NOOP, NULL},
    {"sse_kms_key_id", M_S3, K_NOOP, NULL},
    {"aws_sse_bucket_key_enabled", M_S3, K_NOOP, NULL},
    {"sse_bucket_key_enabled", M_S3, K_NOOP, NULL},
    {"aws_sse_customer_key_base64", M_S3, K_UNSUPPORTED,
     "objects encrypted with customer-provided keys (SSE-C) cannot be read by Tensogram for C"},
    {"sse_customer_key_base64", M_S3, K_UNSUPPORTED,
     "objects encrypted with customer-provided keys (SSE-C) cannot be read by Tensogram for C"},
    {"aws_s3_express", M_S3, K_UNSUPPORTED, "S3 Express One Zone sessions are not supported"},
    {"s3_express", M_S3, K_UNSUPPORTED, "S3 Express One Zone sessions are not supported"},
    {"aws_imdsv1_fallback", M_S3, K_UNSUPPORTED, NO_CRED_PROVIDER},
    {"imdsv1_fallback", M_S3, K_UNSUPPORTED, NO_CRED_PROVIDER},
    {"aws_metadata_endpoint", M_S3, K_UNSUPPORTED, NO_CRED_PROVIDER},
    {"metadata_endpoint", M_S3, K_UNSUPPORTED, NO_CRED_PROVIDER},
    {"aws_container_credentials_relative_uri", M_S3, K_UNSUPPORTED, NO_CRED_PROVIDER},
    {"container_credentials_relative_uri", M_S3, K_UNSUPPORTED, NO_CRED_PROVIDER},
    {"aws_container_credentials_full_uri", M_S3, K_UNSUPPORTED, NO_CRED_PROVIDER},
    {"container_credentials_full_uri", M_S3, K_UNSUPPORTED, NO_CRED_PROVIDER},
    {"aws_container_authorization_token_file", M_S3, K_UNSUPPORTED, NO_CRED_PROVIDER},
    {"container_authorization_token_file", M_S3, K_UNSUPPORTED, NO_CRED_PROVIDER},
    {"aws_web_identity_token_file", M_S3, K_UNSUPPORTED, NO_CRED_PROVIDER},
    {"web_identity_token_file", M_S3, K_UNSUPPORTED, NO_CRED_PROVIDER},
    {"aws_role_arn", M_S3, K_UNSUPPORTED, NO_CRED_PROVIDER},
    {"role_arn", M_S3, K_UNSUPPORTED, NO_CRED_PROVIDER},
    {"aws_role_session_name", M_S3, K_UNSUPPORTED, NO_CRED_PROVIDER},
    {"role_session_name", M_S3, K_UNSUPPORTED, NO_CRED_PROVIDER},
    {"aws_endpoint_url_sts", M_S3, K_UNSUPPORTED, NO_CRED_PROVIDER},
    {"endpoint_url_sts", M_S3, K_UNSUPPORTED, NO_CRED_PROVIDER},
    /* GCS (GoogleConfigKey) */
    {"google_bucket", M_GCS, K_GCS_BUCKET, NULL},
    {"google_bucket_name", M_GCS, K_GCS_BUCKET, NULL},
    {"google_base_url", M_GCS, K_GCS_BASE_URL, NULL},
    {"base_url", M_GCS, K_GCS_BASE_URL, NULL},
    {"google_skip_signature", M_GCS, K_GCS_SKIP_SIG, NULL},
    {"google_bearer_token", M_GCS, K_GCS_TOKEN, NULL},
    {"bearer_token", M_GCS | M_AZ, K_GCS_TOKEN, NULL},
    {"google_service_account", M_GCS, K_UNSUPPORTED, NO_GOOGLE_OAUTH},
    {"service_account", M_GCS, K_UNSUPPORTED, NO_GOOGLE_OAUTH},
    {"google_service_account_path", M_GCS, K_UNSUPPORTED, NO_GOOGLE_OAUTH},
    {"service_account_path", M_GCS, K_UNSUPPORTED, NO_GOOGLE_OAUTH},
    {"google_service_account_key", M_GCS, K_UNSUPPORTED, NO_GOOGLE_OAUTH},
    {"service_account_key", M_GCS, K_UNSUPPORTED, NO_GOOGLE_OAUTH},
    {"google_application_credentials", M_GCS, K_UNSUPPORTED, NO_GOOGLE_OAUTH},
    {"application_credentials", M_GCS, K_UNSUPPORTED, NO_GOOGLE_OAUTH},
    /* Azure (AzureConfigKey) */
    {"azure_storage_account_name", M_AZ, K_AZ_ACCOUNT, NULL},
    {"account_name", M_AZ, K_AZ_ACCOUNT, NULL},
    {"azure_container_name", M_AZ, K_AZ_CONTAINER, NULL},
    {"container_name", M_AZ, K_AZ_CONTAINER, NULL},
    {"azure_storage_sas_key", M_AZ, K_AZ_SAS, NULL},
    {"azure_storage_sas_token", M_AZ, K_AZ_SAS, NULL},
    {"sas_key", M_AZ, K_AZ_SAS, NULL},
    {"sas_token", M_AZ, K_AZ_SAS, NULL},
    {"azure_storage_token", M_AZ, K_AZ_TOKEN, NULL},
    {"azure_storage_use_emulator", M_AZ, K_AZ_EMULATOR, NULL},
    {"use_emulator", M_AZ, K_AZ_EMULATOR, NULL},
    {"azure_storage_endpoint", M_AZ, K_AZ_ENDPOINT, NULL},
    {"azure_endpoint", M_AZ, K_AZ_ENDPOINT, NULL},
    {"azure_skip_signature", M_AZ, K_AZ_SKIP_SIG, NULL},
    {"azure_allow_http", M_AZ, K_ALLOW_HTTP, NULL},
    {"azure_disable_tagging", M_AZ, K_NOOP, NULL},
    {"azure_storage_account_key", M_AZ, K_UNSUPPORTED, NO_AZURE_AAD},
    {"azure_storage_access_key", M_AZ, K_UNSUPPORTED, NO_AZURE_AAD},
    {"azure_storage_master_key", M_AZ, K_UNSUPPORTED, NO_AZURE_AAD},
    {"master_key", M_AZ, K_UNSUPPORTED, NO_AZURE_AAD},
    {"account_key", M_AZ, K_UNSUPPORTED, NO_AZURE_AAD},
    {"access_key", M_AZ, K_UNSUPPORTED, NO_AZURE_AAD},
    {"azure_storage_client_id", M_AZ, K_UNSUPPORTED, NO_AZURE_AAD},
    {"azure_client_id", M_AZ, K_UNSUPPORTED, NO_AZURE_AAD},
    {"client_id", M_AZ, K_UNSUPPORTED, NO_AZURE_AAD},
    {"azure_storage_client_secret", M_AZ, K_UNSUPPORTED, NO_AZURE_AAD},
    {"azure_client_secret", M_AZ, K_UNSUPPORTED, NO_AZURE_AAD},
    {"client_secret", M_AZ, K_UNSUPPORTED, NO_AZURE_AAD},
    {"azure_storage_tenant_id", M_AZ, K_UNSUPPORTED, NO_AZURE_AAD},
    {"azure_storage_authority_id", M_AZ, K_UNSUPPORTED, NO_AZURE_AAD},
    {"azure_tenant_id", M_AZ, K_UNSUPPORTED, NO_AZURE_AAD},
    {"azure_authority_id", M_AZ, K_UNSUPPORTED, NO_AZURE_AAD},
    {"tenant_id", M_AZ, K_UNSUPPORTED, NO_AZURE_AAD},
    {"authority_id", M_AZ, K_UNSUPPORTED, NO_AZURE_AAD},
    {"azure_storage_authority_host", M_AZ, K_UNSUPPORTED, NO_AZURE_AAD},
    {"azure_authority_host", M_AZ, K_UNSUPPORTED, NO_AZURE_AAD},
    {"authority_host", M_AZ, K_UNSUPPORTED, NO_AZURE_AAD},
    {"azure_msi_endpoint", M_AZ, K_UNSUPPORTED, NO_AZURE_AAD},
    {"azure_identity_endpoint", M_AZ, K_UNSUPPORTED, NO_AZURE_AAD},
    {"identity_endpoint", M_AZ, K_UNSUPPORTED, NO_AZURE_AAD},
    {"msi_endpoint", M_AZ, K_UNSUPPORTED, NO_AZURE_AAD},
    {"azure_object_id", M_AZ, K_UNSUPPORTED, NO_AZURE_AAD},
    {"object_id", M_AZ, K_UNSUPPORTED, NO_AZURE_AAD},
    {"azure_msi_resource_id", M_AZ, K_UNSUPPORTED, NO_AZURE_AAD},
    {"msi_resource_id", M_AZ, K_UNSUPPORTED, NO_AZURE_AAD},
    {"azure_federated_token_file", M_AZ, K_UNSUPPORTED, NO_AZURE_AAD},
    {"federated_token_file", M_AZ, K_UNSUPPORTED, NO_AZURE_AAD},
    {"azure_use_fabric_endpoint", M_AZ, K_UNSUPPORTED, NO_AZURE_AAD},
    {"use_fabric_endpoint", M_AZ, K_UNSUPPORTED, NO_AZURE_AAD},
    {"azure_use_azure_cli", M_AZ, K_UNSUPPORTED, NO_AZURE_AAD},
    {"use_azure_cli", M_AZ, K_UNSUPPORTED, NO_AZURE_AAD},
    {"azure_fabric_token_service_url", M_AZ, K_UNSUPPORTED, NO_AZURE_AAD},
    {"fabric_token_service_url", M_AZ, K_UNSUPPORTED, NO_AZURE_AAD},
    {"azure_fabric_workload_host", M_AZ, K_UNSUPPORTED, NO_AZURE_AAD},
    {"fabric_workload_host", M_AZ, K_UNSUPPORTED, NO_AZURE_AAD},
    {"azure_fabric_session_token", M_AZ, K_UNSUPPORTED, NO_AZURE_AAD},
    {"fabric_session_token", M_AZ, K_UNSUPPORTED, NO_AZURE_AAD},
    {"azure_fabric_cluster_identifier", M_AZ, K_UNSUPPORTED, NO_AZURE_AAD},
    {"fabric_cluster_identifier", M_AZ, K_UNSUPPORTED, NO_AZURE_AAD},
};

static const keydef *find_key(const char *name, int scheme_mask, bool *other_scheme) {
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (strcmp(keys[i].name, name) == 0) {
            if (keys[i].schemes & scheme_mask) {
                return &keys[i];
            }
            *other_scheme = true;
        }
    }
    return NULL;
}

/* Client keys may carry the scheme's prefix (aws_timeout, google_proxy_url,
 * azure_user_agent), as the reference accepts. */
static const keydef *lookup_key(const char *name, tgm_remote_scheme scheme, bool *other) {
    int mask = 1 << scheme;
    *other = false;
    const keydef *k = find_key(name, mask, other);
    if (k != NULL) {
        return k;
    }
    static const char *const prefixes[] = {"", "", "aws_", "google_", "azure_"};
    const char *pre = prefixes[scheme + 1];
    size_t pl = strlen(pre);
    if (pl > 0 && strncmp(name, pre, pl) == 0) {
        bool o2 = false;
        k = find_key(name + pl, M_HTTP, &o2); /* the client keys */
        if (k != NULL && k->id <= K_MAX_CONCURRENCY) {
            return k;
        }
    }
    return NULL;
}

static tgm_error parse_bool(const char *key, const char *v, bool *out) {
    static const char *const yes[] = {"1", "true", "on", "yes", "y"};
    static const char *const no[] = {"0", "false", "off", "no", "n"};
    for (size_t i = 0; i < 5; i++) {
        if (strcasecmp(v, yes[i]) == 0) {
            *out = true;
            return TGM_ERROR_OK;
        }
        if (strcasecmp(v, no[i]) == 0) {
            *out = false;
            return TGM_ERROR_OK;
        }
    }
    return tgm__fail(TGM_ERROR_INVALID_ARG,
                     "storage option '%s': failed to parse \"%s\" as boolean (true/false)", key, v);
}

static tgm_error parse_uint(const char *key, const char *v, uint64_t max, uint64_t *out) {
    char *end = NULL;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    TGM_RETURN_IF(v[0] == '\0' || v[0] == '-' || *end != '\0' || errno != 0 || n > max,
                  TGM_ERROR_INVALID_ARG,
                  "storage option '%s': failed to parse \"%s\" as an integer in [0, %llu]", key, v,
                  (unsigned long long)max);
    *out = n;
    return TGM_ERROR_OK;
}

static tgm_error parse_dur(const char *key, const char *v, uint64_t *out) {
    tgm_error e = tgm__parse_duration(v, out);
    if (e != TGM_ERROR_OK) {
        return tgm__wrap(e, "storage option '%s'", key);
    }
    return TGM_ERROR_OK;
}

/* ---- building ------------------------------------------------------------------- */

/* Raw option values after parsing, before the URL is resolved. */
typedef struct opts {
    const char *v[K_COUNT];
    bool allow_http;
} opts;

static tgm_error buf_printf(tgm_buf *b, const char *fmt, ...) TGM_PRINTF(2, 3);
static tgm_error buf_printf(tgm_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    uint8_t *dst;
    TGM_TRY(tgm__buf_extend(b, (size_t)n + 1, &dst));
    va_start(ap, fmt);
    vsnprintf((char *)dst, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len--; /* no NUL in the buffer */
    return TGM_ERROR_OK;
}

static tgm_error add_header(tgm_remote_conf *c, const char *name, const char *value) {
    size_t n = strlen(name) + strlen(value) + 3;
    char *h = tgm__malloc(n);
    char **nh = tgm__realloc(c->headers, (c->nheaders + 1) * sizeof *nh);
    if (nh != NULL) {
        c->headers = nh;
    }
    if (h == NULL || nh == NULL) {
        tgm__free(h);
        return tgm__oom(n, "request header");
    }
    snprintf(h, n, "%s: %s", name, value);
    c->headers[c->nheaders++] = h;
    return TGM_ERROR_OK;
}

static tgm_error add_bearer(tgm_remote_conf *c, const char *token) {
    size_t n = strlen(token) + 8;
    char *v = tgm__malloc(n);
    if (v == NULL) {
        return tgm__oom(n, "request header");
    }
    snprintf(v, n, "Bearer %s", token);
    tgm_error e = add_header(c, "Authorization", v);
    memset(v, 0, n);
    tgm__free(v);
    return e;
}

/* Percent-encode an object key for a URL path: unreserved characters and
 * '/' stay, every other byte becomes %XX (the encoding S3's signature
 * expects in the canonical URI). */
static tgm_error append_encoded(tgm_buf *b, const char *s, size_t n) {
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~' || ch == '/') {
            TGM_TRY(tgm__buf_append(b, &s[i], 1));
        } else {
            char esc[3] = {'%', hex[ch >> 4], hex[ch & 15]};
            TGM_TRY(tgm__buf_append(b, esc, 3));
        }
    }
    return TGM_ERROR_OK;
}

static int hexval(int c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decode %XX escapes of the key part of an s3:// / gs:// / az:// URL. */
static tgm_error decode_key(const char *url, const char *s, char **out) {
    size_t n = strlen(s);
    char *d = tgm__malloc(n + 1);
    if (d == NULL) {
        return tgm__oom(n + 1, "URL");
    }
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            int hi = i + 1 < n ? hexval(s[i + 1]) : -1;
            int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                tgm__free(d);
                return tgm__fail(TGM_ERROR_REMOTE, "invalid URL '%s': bad percent escape", url);
            }
            d[j++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            d[j++] = s[i];
        }
    }
    d[j] = '\0';
    *out = d;
    return TGM_ERROR_OK;
}

static bool has_http_scheme(const char *u) { return strncasecmp(u, "http://", 7) == 0; }
static bool has_https_scheme(const char *u) { return strncasecmp(u, "https://", 8) == 0; }

/* Check an http(s) URL with libcurl's parser and derive the display form
 * (no user info, no query: those may carry secrets). */
static tgm_error check_url(const char *what, const char *u, char **display) {
    CURLU *h = curl_url();
    if (h == NULL) {
        return tgm__oom(64, "URL parser");
    }
    tgm_error err = TGM_ERROR_OK;
    char *shown = NULL;
    CURLUcode rc = curl_url_set(h, CURLUPART_URL, u, 0);
    TGM_FAIL_IF(rc != CURLUE_OK, TGM_ERROR_REMOTE, "invalid URL '%s'%s%s: %s", u,
                what[0] ? " " : "", what, curl_url_strerror(rc));
    char *host = NULL;
    rc = curl_url_get(h, CURLUPART_HOST, &host, 0);
    bool empty_host = rc != CURLUE_OK || host == NULL || host[0] == '\0';
    curl_free(host);
    TGM_FAIL_IF(empty_host, TGM_ERROR_REMOTE, "invalid URL '%s': no host", u);
    curl_url_set(h, CURLUPART_USER, NULL, 0);
    curl_url_set(h, CURLUPART_PASSWORD, NULL, 0);
    curl_url_set(h, CURLUPART_QUERY, NULL, 0);
    curl_url_set(h, CURLUPART_FRAGMENT, NULL, 0);
    rc = curl_url_get(h, CURLUPART_URL, &shown, 0);
    TGM_FAIL_IF(rc != CURLUE_OK, TGM_ERROR_REMOTE, "invalid URL '%s': %s", u,
                curl_url_strerror(rc));
    *display = tgm__strdup(shown);
    TGM_FAIL_IF(*display == NULL, TGM_ERROR_REMOTE, "out of memory");
cleanup:
    curl_free(shown);
    curl_url_cleanup(h);
    return err;
}

/* Split "bucket/key" after the scheme: both parts non-empty. */
static tgm_error split_bucket(const char *url, const char *rest, const char *what, char **bucket,
                              char **key) {
    const char *slash = strchr(rest, '/');
    TGM_RETURN_IF(slash == NULL || slash == rest || slash[1] == '\0', TGM_ERROR_REMOTE,
                  "invalid URL '%s': expected %s", url, what);
    for (const char *p = rest; p < slash; p++) {
        TGM_RETURN_IF(!(isalnum((unsigned char)*p) || *p == '-' || *p == '_' || *p == '.'),
                      TGM_ERROR_REMOTE, "invalid URL '%s': bad character '%c' in the bucket name",
                      url, *p);
    }
    *bucket = tgm__strndup(rest, (size_t)(slash - rest));
    if (*bucket == NULL) {
        return tgm__oom(64, "URL");
    }
    tgm_error e = decode_key(url, slash + 1, key);
    if (e != TGM_ERROR_OK) {
        tgm__free(*bucket);
        *bucket = NULL;
    }
    return e;
}

static tgm_error endpoint_allowed(const opts *o, const char *endpoint, const char *key) {
    TGM_RETURN_IF(!has_http_scheme(endpoint) && !has_https_scheme(endpoint), TGM_ERROR_INVALID_ARG,
                  "%s '%s' must start with http:// or https://", key, endpoint);
    TGM_RETURN_IF(has_http_scheme(endpoint) && !o->allow_http, TGM_ERROR_INVALID_ARG,
                  "%s '%s' uses plain http: set the storage option allow_http=true to allow it",
                  key, endpoint);
    return TGM_ERROR_OK;
}

static tgm_error build_s3(tgm_remote_conf *c, const opts *o, const char *url, const char *rest) {
    tgm_error err = TGM_ERROR_OK;
    char *bucket = NULL, *key = NULL;
    tgm_buf u = TGM_BUF_INIT;
    size_t ulen;
    tgm_aws_profile prof = {0};
    TGM_CHECK(split_bucket(url, rest, "s3://bucket/key", &bucket, &key));
    if (o->v[K_S3_BUCKET] != NULL) {
        tgm__free(bucket);
        bucket = tgm__strdup(o->v[K_S3_BUCKET]);
        TGM_FAIL_IF(bucket == NULL, TGM_ERROR_REMOTE, "out of memory");
    }
    TGM_CHECK(tgm__aws_profile_load(o->v[K_S3_PROFILE], &prof));
    const char *region = o->v[K_S3_REGION]           ? o->v[K_S3_REGION]
                         : o->v[K_S3_DEFAULT_REGION] ? o->v[K_S3_DEFAULT_REGION]
                         : prof.region               ? prof.region
                                                     : "us-east-1";
    const char *endpoint = o->v[K_S3_ENDPOINT];
    if (endpoint == NULL) {
        endpoint = getenv("AWS_ENDPOINT_URL_S3");
        if (endpoint == NULL || endpoint[0] == '\0') {
            endpoint = getenv("AWS_ENDPOINT_URL");
        }
        if (endpoint != NULL && endpoint[0] == '\0') {
            endpoint = NULL;
        }
    }
    bool vhost = false;
    if (o->v[K_S3_VHOST] != NULL) {
        TGM_CHECK(parse_bool("virtual_hosted_style_request", o->v[K_S3_VHOST], &vhost));
    }
    if (endpoint != NULL) {
        TGM_CHECK(endpoint_allowed(o, endpoint, "S3 endpoint"));
        size_t el = strlen(endpoint);
        while (el > 0 && endpoint[el - 1] == '/') {
            el--;
        }
        TGM_CHECK(tgm__buf_append(&u, endpoint, el));
        if (!vhost) {
            TGM_CHECK(tgm__buf_append(&u, "/", 1));
            TGM_CHECK(tgm__buf_append(&u, bucket, strlen(bucket)));
        }
    } else if (vhost) {
        TGM_CHECK(buf_printf(&u, "https://%s.s3.%s.amazonaws.com", bucket, region));
    } else {
        TGM_CHECK(buf_printf(&u, "https://s3.%s.amazonaws.com/%s", region, bucket));
    }
    TGM_CHECK(tgm__buf_append(&u, "/", 1));
    TGM_CHECK(append_encoded(&u, key, strlen(key)));
    TGM_CHECK(tgm__buf_append(&u, "", 1));
    c->url = (char *)tgm__buf_steal(&u, &ulen);

    /* Credentials: explicit options, then the environment and the shared
     * files; none at all means anonymous (public buckets). */
    bool skip = false;
    if (o->v[K_S3_SKIP_SIG] != NULL) {
        TGM_CHECK(parse_bool("skip_signature", o->v[K_S3_SKIP_SIG], &skip));
    }
    const char *kid = NULL, *secret = NULL, *token = NULL, *origin = NULL;
    if (o->v[K_S3_KEY_ID] != NULL || o->v[K_S3_SECRET] != NULL) {
        TGM_FAIL_IF(o->v[K_S3_KEY_ID] == NULL, TGM_ERROR_INVALID_ARG,
                    "storage option aws_secret_access_key given without aws_access_key_id");
        TGM_FAIL_IF(o->v[K_S3_SECRET] == NULL, TGM_ERROR_INVALID_ARG,
                    "storage option aws_access_key_id given without aws_secret_access_key");
        kid = o->v[K_S3_KEY_ID];
        secret = o->v[K_S3_SECRET];
        token = o->v[K_S3_TOKEN];
        origin = "storage options";
    } else if (prof.access_key != NULL && prof.secret_key != NULL) {
        kid = prof.access_key;
        secret = prof.secret_key;
        token = o->v[K_S3_TOKEN] ? o->v[K_S3_TOKEN] : prof.token;
        origin = prof.origin;
    }
    if (skip || kid == NULL) {
        c->auth = TGM_REMOTE_AUTH_NONE;
        c->cred_origin = tgm__strdup(skip ? "skip_signature" : "no credentials found: anonymous");
    } else {
        c->auth = TGM_REMOTE_AUTH_SIGV4;
        c->access_key = tgm__strdup(kid);
        c->secret_key = tgm__strdup(secret);
        c->cred_origin = tgm__strdup(origin);
        int n = snprintf(NULL, 0, "aws:amz:%s:s3", region);
        c->sigv4 = tgm__malloc((size_t)n + 1);
        TGM_FAIL_IF(c->access_key == NULL || c->secret_key == NULL || c->sigv4 == NULL,
                    TGM_ERROR_REMOTE, "out of memory");
        snprintf(c->sigv4, (size_t)n + 1, "aws:amz:%s:s3", region);
        /* S3 requires the payload hash header; libcurl 7.88 signs a GET
         * with the hash of the empty body but does not send it. */
        TGM_CHECK(add_header(c, "x-amz-content-sha256",
                             "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
        if (token != NULL && token[0] != '\0') {
            TGM_CHECK(add_header(c, "x-amz-security-token", token));
        }
    }
    TGM_FAIL_IF(c->cred_origin == NULL, TGM_ERROR_REMOTE, "out of memory");
    if (o->v[K_S3_PAYER] != NULL) {
        bool payer = false;
        TGM_CHECK(parse_bool("request_payer", o->v[K_S3_PAYER], &payer));
        if (payer) {
            TGM_CHECK(add_header(c, "x-amz-request-payer", "requester"));
        }
    }
cleanup:
    tgm__free(bucket);
    tgm__free(key);
    tgm__buf_free(&u);
    tgm__aws_profile_free(&prof);
    return err;
}

static tgm_error build_gcs(tgm_remote_conf *c, const opts *o, const char *url, const char *rest) {
    tgm_error err = TGM_ERROR_OK;
    char *bucket = NULL, *key = NULL;
    tgm_buf u = TGM_BUF_INIT;
    size_t ulen;
    TGM_CHECK(split_bucket(url, rest, "gs://bucket/object", &bucket, &key));
    const char *b = o->v[K_S3_BUCKET]    ? o->v[K_S3_BUCKET]
                    : o->v[K_GCS_BUCKET] ? o->v[K_GCS_BUCKET]
                                         : bucket;
    const char *base =
        o->v[K_GCS_BASE_URL] ? o->v[K_GCS_BASE_URL] : "https://storage.googleapis.com";
    TGM_CHECK(endpoint_allowed(o, base, "google_base_url"));
    size_t bl = strlen(base);
    while (bl > 0 && base[bl - 1] == '/') {
        bl--;
    }
    TGM_CHECK(tgm__buf_append(&u, base, bl));
    TGM_CHECK(buf_printf(&u, "/%s/", b));
    TGM_CHECK(append_encoded(&u, key, strlen(key)));
    TGM_CHECK(tgm__buf_append(&u, "", 1));
    c->url = (char *)tgm__buf_steal(&u, &ulen);
    bool skip = false;
    if (o->v[K_S3_SKIP_SIG] != NULL) {
        TGM_CHECK(parse_bool("skip_signature", o->v[K_S3_SKIP_SIG], &skip));
    }
    if (o->v[K_GCS_SKIP_SIG] != NULL) {
        TGM_CHECK(parse_bool("google_skip_signature", o->v[K_GCS_SKIP_SIG], &skip));
    }
    const char *token = o->v[K_GCS_TOKEN] ? o->v[K_GCS_TOKEN] : o->v[K_S3_TOKEN];
    if (token != NULL && !skip) {
        c->auth = TGM_REMOTE_AUTH_BEARER;
        TGM_CHECK(add_bearer(c, token));
        c->cred_origin = tgm__strdup("bearer token");
    } else {
        c->cred_origin = tgm__strdup("anonymous");
    }
    TGM_FAIL_IF(c->cred_origin == NULL, TGM_ERROR_REMOTE, "out of memory");
cleanup:
    tgm__free(bucket);
    tgm__free(key);
    tgm__buf_free(&u);
    return err;
}

static tgm_error build_azure(tgm_remote_conf *c, const opts *o, const char *url, const char *rest) {
    tgm_error err = TGM_ERROR_OK;
    char *container = NULL, *key = NULL;
    tgm_buf u = TGM_BUF_INIT;
    size_t ulen;
    TGM_CHECK(split_bucket(url, rest, "az://container/blob", &container, &key));
    const char *cont = o->v[K_AZ_CONTAINER] ? o->v[K_AZ_CONTAINER] : container;
    const char *account = o->v[K_AZ_ACCOUNT];
    if (account == NULL) {
        account = getenv("AZURE_STORAGE_ACCOUNT_NAME");
    }
    if (account == NULL) {
        account = getenv("AZURE_STORAGE_ACCOUNT");
    }
    bool emulator = false;
    if (o->v[K_AZ_EMULATOR] != NULL) {
        TGM_CHECK(parse_bool("use_emulator", o->v[K_AZ_EMULATOR], &emulator));
    }
    const char *endpoint = o->v[K_AZ_ENDPOINT] ? o->v[K_AZ_ENDPOINT] : o->v[K_S3_ENDPOINT];
    if (endpoint != NULL) {
        TGM_CHECK(endpoint_allowed(o, endpoint, "Azure endpoint"));
        size_t el = strlen(endpoint);
        while (el > 0 && endpoint[el - 1] == '/') {
            el--;
        }
        TGM_CHECK(tgm__buf_append(&u, endpoint, el));
    } else if (emulator) {
        TGM_CHECK(
            buf_printf(&u, "http://127.0.0.1:10000/%s", account ? account : "devstoreaccount1"));
    } else {
        TGM_FAIL_IF(account == NULL || account[0] == '\0', TGM_ERROR_INVALID_ARG,
                    "az:// URL '%s' needs a storage account: set the storage option "
                    "azure_storage_account_name (or AZURE_STORAGE_ACCOUNT_NAME)",
                    url);
        for (const char *p = account; *p; p++) {
            TGM_FAIL_IF(!isalnum((unsigned char)*p), TGM_ERROR_INVALID_ARG,
                        "invalid Azure storage account name '%s'", account);
        }
        TGM_CHECK(buf_printf(&u, "https://%s.blob.core.windows.net", account));
    }
    TGM_CHECK(buf_printf(&u, "/%s/", cont));
    TGM_CHECK(append_encoded(&u, key, strlen(key)));
    bool skip = false;
    if (o->v[K_S3_SKIP_SIG] != NULL) {
        TGM_CHECK(parse_bool("skip_signature", o->v[K_S3_SKIP_SIG], &skip));
    }
    if (o->v[K_AZ_SKIP_SIG] != NULL) {
        TGM_CHECK(parse_bool("azure_skip_signature", o->v[K_AZ_SKIP_SIG], &skip));
    }
    const char *sas = o->v[K_AZ_SAS] ? o->v[K_AZ_SAS] : getenv("AZURE_STORAGE_SAS_TOKEN");
    const char *token = o->v[K_AZ_TOKEN]    ? o->v[K_AZ_TOKEN]
                        : o->v[K_GCS_TOKEN] ? o->v[K_GCS_TOKEN]
                                            : o->v[K_S3_TOKEN];
    if (!skip && sas != NULL && sas[0] != '\0') {
        TGM_CHECK(buf_printf(&u, "?%s", sas[0] == '?' ? sas + 1 : sas));
        c->cred_origin = tgm__strdup("SAS token");
    } else if (!skip && token != NULL) {
        c->auth = TGM_REMOTE_AUTH_BEARER;
        TGM_CHECK(add_bearer(c, token));
        c->cred_origin = tgm__strdup("bearer token");
    } else {
        c->cred_origin = tgm__strdup("anonymous");
    }
    TGM_FAIL_IF(c->cred_origin == NULL, TGM_ERROR_REMOTE, "out of memory");
    TGM_CHECK(add_header(c, "x-ms-version", "2023-11-03"));
    TGM_CHECK(tgm__buf_append(&u, "", 1));
    c->url = (char *)tgm__buf_steal(&u, &ulen);
cleanup:
    tgm__free(container);
    tgm__free(key);
    tgm__buf_free(&u);
    return err;
}

static tgm_error apply_client(tgm_remote_conf *c, const opts *o) {
    bool b = false;
    if (o->v[K_ALLOW_INVALID_CERTS] != NULL) {
        TGM_TRY(parse_bool("allow_invalid_certificates", o->v[K_ALLOW_INVALID_CERTS], &b));
        c->verify_tls = !b;
    }
    if (o->v[K_CONNECT_TIMEOUT] != NULL) {
        TGM_TRY(parse_dur("connect_timeout", o->v[K_CONNECT_TIMEOUT], &c->connect_timeout_ms));
    }
    if (o->v[K_TIMEOUT] != NULL) {
        TGM_TRY(parse_dur("timeout", o->v[K_TIMEOUT], &c->timeout_ms));
    }
    if (o->v[K_LOW_SPEED] != NULL) {
        TGM_TRY(parse_dur("low_speed_timeout", o->v[K_LOW_SPEED], &c->low_speed_ms));
    }
    if (o->v[K_RETRY_TIMEOUT] != NULL) {
        TGM_TRY(parse_dur("retry_timeout", o->v[K_RETRY_TIMEOUT], &c->retry_timeout_ms));
    }
    if (o->v[K_POOL_IDLE] != NULL) {
        TGM_TRY(parse_dur("pool_idle_timeout", o->v[K_POOL_IDLE], &c->pool_idle_ms));
    }
    if (o->v[K_KEEPALIVE] != NULL) {
        TGM_TRY(parse_dur("http2_keep_alive_interval", o->v[K_KEEPALIVE], &c->keepalive_ms));
    }
    uint64_t n = 0;
    if (o->v[K_MAX_RETRIES] != NULL) {
        TGM_TRY(parse_uint("max_retries", o->v[K_MAX_RETRIES], 1000, &n));
        c->max_retries = (uint32_t)n;
    }
    if (o->v[K_MAX_CONCURRENCY] != NULL) {
        TGM_TRY(parse_uint("max_concurrency", o->v[K_MAX_CONCURRENCY], 1024, &n));
        TGM_RETURN_IF(n == 0, TGM_ERROR_INVALID_ARG,
                      "storage option 'max_concurrency' must be >= 1");
        c->max_concurrency = (uint32_t)n;
    }
    bool h1 = false, h2 = false;
    if (o->v[K_HTTP1_ONLY] != NULL) {
        TGM_TRY(parse_bool("http1_only", o->v[K_HTTP1_ONLY], &h1));
    }
    if (o->v[K_HTTP2_ONLY] != NULL) {
        TGM_TRY(parse_bool("http2_only", o->v[K_HTTP2_ONLY], &h2));
    }
    TGM_RETURN_IF(h1 && h2, TGM_ERROR_INVALID_ARG,
                  "storage options http1_only and http2_only are both set");
    c->http_version = h1 ? 1 : h2 ? 2 : 0;
    if (o->v[K_PROXY_URL] != NULL) {
        c->proxy = tgm__strdup(o->v[K_PROXY_URL]);
    }
    if (o->v[K_PROXY_EXCLUDES] != NULL) {
        c->noproxy = tgm__strdup(o->v[K_PROXY_EXCLUDES]);
    }
    if (o->v[K_PROXY_CA] != NULL) {
        c->proxy_ca_pem = tgm__strdup(o->v[K_PROXY_CA]);
    }
    /* TLS trust: the option, else the environment variables the curl and
     * OpenSSL tools honour, else libcurl's built-in bundle. */
    const char *ca = o->v[K_CA_BUNDLE];
    if (ca == NULL) {
        ca = getenv("SSL_CERT_FILE");
    }
    if (ca == NULL || ca[0] == '\0') {
        ca = getenv("CURL_CA_BUNDLE");
    }
    if (ca != NULL && ca[0] != '\0') {
        c->ca_bundle = tgm__strdup(ca);
    }
    const char *capath = o->v[K_CA_PATH] ? o->v[K_CA_PATH] : getenv("SSL_CERT_DIR");
    if (capath != NULL && capath[0] != '\0') {
        c->ca_path = tgm__strdup(capath);
    }
    const char *ua = o->v[K_USER_AGENT];
    char dflt[96];
    if (ua == NULL) {
        snprintf(dflt, sizeof dflt, "tensogram-c/%s %s", TGM_VERSION_STRING,
                 curl_version_info(CURLVERSION_NOW)->version ? "libcurl" : "");
        ua = dflt;
    }
    c->user_agent = tgm__strdup(ua);
    return TGM_ERROR_OK;
}

void tgm__remote_conf_free(tgm_remote_conf *c) {
    if (c == NULL) {
        return;
    }
    tgm__free(c->source);
    tgm__free(c->url);
    tgm__free(c->display);
    tgm__free(c->sigv4);
    if (c->secret_key != NULL) {
        memset(c->secret_key, 0, strlen(c->secret_key));
    }
    tgm__free(c->access_key);
    tgm__free(c->secret_key);
    tgm__free(c->cred_origin);
    for (size_t i = 0; i < c->nheaders; i++) {
        tgm__free(c->headers[i]);
    }
    tgm__free(c->headers);
    curl_slist_free_all((struct curl_slist *)c->header_list);
    tgm__free(c->ca_bundle);
    tgm__free(c->ca_path);
    tgm__free(c->proxy);
    tgm__free(c->noproxy);
    tgm__free(c->proxy_ca_pem);
    tgm__free(c->user_agent);
    tgm__free(c);
}

tgm_error tgm__remote_conf_new(const char *url, const char *const *keyv, const char *const *values,
                               size_t n, tgm_remote_conf **out) {
    TGM_RETURN_IF(url == NULL, TGM_ERROR_INVALID_ARG, "null URL");
    TGM_RETURN_IF(n > 0 && (keyv == NULL || values == NULL), TGM_ERROR_INVALID_ARG,
                  "null storage option arrays");
    size_t plen = 0;
    int sch = tgm__remote_scheme_of(url, &plen);
    TGM_RETURN_IF(sch < 0, TGM_ERROR_REMOTE,
                  "invalid URL '%s': not a remote URL (http, https, s3, s3a, gs, az, azure)", url);
    tgm_remote_scheme scheme = (tgm_remote_scheme)sch;
    opts o;
    memset(&o, 0, sizeof o);
    char lower[128];
    for (size_t i = 0; i < n; i++) {
        TGM_RETURN_IF(keyv[i] == NULL || values[i] == NULL, TGM_ERROR_INVALID_ARG,
                      "storage option %zu: null key or value", i);
        size_t kl = strlen(keyv[i]);
        TGM_RETURN_IF(kl == 0 || kl >= sizeof lower, TGM_ERROR_INVALID_ARG,
                      "unknown storage option '%s'", keyv[i]);
        for (size_t j = 0; j <= kl; j++) {
            lower[j] = (char)tolower((unsigned char)keyv[i][j]);
        }
        bool other = false;
        const keydef *k = lookup_key(lower, scheme, &other);
        TGM_RETURN_IF(k == NULL && other, TGM_ERROR_INVALID_ARG,
                      "storage option '%s' does not apply to %s URLs", keyv[i],
                      scheme_label(scheme));
        TGM_RETURN_IF(k == NULL, TGM_ERROR_INVALID_ARG,
                      "unknown storage option '%s' (docs/remote.md lists the keys)", keyv[i]);
        TGM_RETURN_IF(k->id == K_UNSUPPORTED, TGM_ERROR_INVALID_ARG,
                      "storage option '%s' is not supported: %s", keyv[i], k->why);
        o.v[k->id] = values[i];
    }
    o.allow_http = false;
    if (o.v[K_ALLOW_HTTP] != NULL) {
        TGM_TRY(parse_bool("allow_http", o.v[K_ALLOW_HTTP], &o.allow_http));
    }

    tgm_remote_conf *c = tgm__calloc(1, sizeof *c);
    if (c == NULL) {
        return tgm__oom(sizeof *c, "remote configuration");
    }
    tgm_error err = TGM_ERROR_OK;
    c->scheme = scheme;
    c->verify_tls = true;
    c->connect_timeout_ms = 5000;
    c->timeout_ms = 0;
    c->low_speed_ms = 30000;
    c->max_retries = 10;
    c->retry_timeout_ms = 180000;
    c->backoff_init_ms = 100;
    c->backoff_max_ms = 15000;
    c->max_concurrency = 128;
    c->coalesce_gap = (uint64_t)64 << 10;
    c->max_request = (uint64_t)8 << 20;
    c->split_size = (uint64_t)16 << 20;
    c->cache_bytes = (uint64_t)16 << 20;
    c->first_read = (uint64_t)64 << 10;
    c->source = tgm__strdup(url);
    TGM_FAIL_IF(c->source == NULL, TGM_ERROR_REMOTE, "out of memory");
    TGM_CHECK(apply_client(c, &o));
    const char *rest = url + plen;
    switch (scheme) {
    case TGM_REMOTE_HTTP:
        c->url = tgm__strdup(url);
        TGM_FAIL_IF(c->url == NULL, TGM_ERROR_REMOTE, "out of memory");
        c->cred_origin = tgm__strdup(strchr(rest, '@') && strchr(rest, '@') < strchr(rest, '/')
                                         ? "user info in the URL"
                                         : "anonymous");
        break;
    case TGM_REMOTE_S3:
        TGM_CHECK(build_s3(c, &o, url, rest));
        break;
    case TGM_REMOTE_GCS:
        TGM_CHECK(build_gcs(c, &o, url, rest));
        break;
    case TGM_REMOTE_AZURE:
        TGM_CHECK(build_azure(c, &o, url, rest));
        break;
    }
    TGM_CHECK(check_url(scheme == TGM_REMOTE_HTTP ? "" : "(as http)", c->url, &c->display));
    for (size_t i = 0; i < c->nheaders; i++) {
        struct curl_slist *l =
            curl_slist_append((struct curl_slist *)c->header_list, c->headers[i]);
        TGM_FAIL_IF(l == NULL, TGM_ERROR_REMOTE, "out of memory for request headers");
        c->header_list = l;
    }
    *out = c;
    return TGM_ERROR_OK;
cleanup:
    tgm__remote_conf_free(c);
    return err;
}
