/* What a remote object is and how to reach it: the URL schemes
 * (http(s)://, s3:// and s3a://, gs://, az:// and azure://), the storage
 * options (the reference's object_store keys, docs/remote.md has the
 * table), credentials and the transport policy (timeouts, retries, TLS).
 *
 * A configuration is built once per opened object and is immutable
 * afterwards, except for the engine's bookkeeping fields at the end, so
 * every request of that object can read it from the network thread. */
#ifndef TGM_REMOTE_CONF_H
#define TGM_REMOTE_CONF_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tensogram/tensogram.h"

typedef enum {
    TGM_REMOTE_HTTP = 0, /* http:// or https:// */
    TGM_REMOTE_S3 = 1,   /* s3:// or s3a:// */
    TGM_REMOTE_GCS = 2,  /* gs:// */
    TGM_REMOTE_AZURE = 3 /* az:// or azure:// */
} tgm_remote_scheme;

typedef enum {
    TGM_REMOTE_AUTH_NONE = 0,  /* anonymous (or credentials inside the URL for http) */
    TGM_REMOTE_AUTH_SIGV4 = 1, /* AWS Signature Version 4 (S3) */
    TGM_REMOTE_AUTH_BEARER = 2 /* Authorization: Bearer (GCS, Azure) */
} tgm_remote_auth;

typedef struct tgm_remote_conf {
    /* ---- the object ---- */
    char *source;  /* the URL as given (tgm_file_path, Python source()) */
    char *url;     /* the http(s) URL requested (may carry a SAS query) */
    char *display; /* url without user info or query: for messages */
    tgm_remote_scheme scheme;

    /* ---- authentication ---- */
    tgm_remote_auth auth;
    char *sigv4;       /* CURLOPT_AWS_SIGV4 parameter "aws:amz:REGION:s3" */
    char *access_key;  /* SIGV4 */
    char *secret_key;  /* SIGV4 */
    char *cred_origin; /* where the credentials came from (for messages) */
    /* Extra request headers, one "Name: value" per entry (x-amz-content-
     * sha256, x-amz-security-token, Authorization: Bearer, x-ms-version,
     * ...); a curl_slist built by the HTTP layer from these. */
    char **headers;
    size_t nheaders;
    void *header_list; /* struct curl_slist *, owned */

    /* ---- transport policy ---- */
    uint64_t connect_timeout_ms; /* 0 = libcurl's default */
    uint64_t timeout_ms;         /* whole request, 0 = none */
    uint64_t low_speed_ms;       /* abort a transfer that moves < 1 byte/s this long; 0 = off */
    uint32_t max_retries;        /* retries after the first attempt */
    uint64_t retry_timeout_ms;   /* no new attempt after this much time since the first */
    uint64_t backoff_init_ms;
    uint64_t backoff_max_ms;
    bool verify_tls;
    char *ca_bundle; /* CURLOPT_CAINFO */
    char *ca_path;   /* CURLOPT_CAPATH */
    char *proxy;
    char *noproxy;
    char *proxy_ca_pem; /* PEM text (CURLOPT_PROXY_CAINFO_BLOB) */
    int http_version;   /* 0 default (HTTP/2 over TLS when offered), 1 = 1.1 only, 2 = 2 only */
    char *user_agent;
    uint64_t pool_idle_ms; /* CURLOPT_MAXAGE_CONN; 0 = libcurl's default */
    uint32_t max_concurrency;
    uint64_t keepalive_ms; /* TCP keep-alive probe interval, 0 = off */

    /* ---- read planning (used by the byte source) ---- */
    uint64_t coalesce_gap; /* ranges at most this far apart are fetched in one request */
    uint64_t max_request;  /* coalesced requests stay below this size */
    uint64_t split_size;   /* single reads above this are split into parallel parts */
    uint64_t cache_bytes;  /* block cache capacity */
    uint64_t first_read;   /* size of the opening range read */

    /* ---- engine bookkeeping (network thread, or atomics) ---- */
    uint32_t active;           /* transfers in flight (network thread only) */
    _Atomic uint64_t requests; /* HTTP requests sent (each attempt counts) */
    _Atomic uint64_t bytes;    /* body bytes received */
    _Atomic uint64_t retries;  /* attempts that were retries */
} tgm_remote_conf;

/* Build the configuration of `url` from storage options (keys[i] =
 * values[i], n pairs; keys are matched case-insensitively).  Unknown keys,
 * keys of another scheme, unparsable values and options this build cannot
 * honour are TGM_ERROR_INVALID_ARG (a URL that cannot be parsed is
 * TGM_ERROR_REMOTE), each with a detail naming the key or URL. */
tgm_error tgm__remote_conf_new(const char *url, const char *const *keys, const char *const *values,
                               size_t n, tgm_remote_conf **out);
void tgm__remote_conf_free(tgm_remote_conf *c);

/* The scheme of a remote URL (case-insensitive: http, https, s3, s3a, gs,
 * az, azure; the reference's list) and the length of "scheme://" in
 * *prefix_len (may be NULL); -1 for anything else (scheme.c). */
int tgm__remote_scheme_of(const char *s, size_t *prefix_len);

/* A duration in the reference's format (humantime): integer and unit,
 * repeated, e.g. "10s", "1m 30s", "250ms", "2h".  Units: ns/nsec, us/usec,
 * ms/msec, s/sec/second(s), m/min/minute(s), h/hr/hour(s), d/day(s),
 * w/week(s), M/month(s), y/year(s).  Result in milliseconds (a non-zero
 * duration below 1 ms rounds up to 1 ms). */
tgm_error tgm__parse_duration(const char *s, uint64_t *ms);

/* AWS credentials from the environment and the shared files (creds.c).
 * Every field is a tgm__malloc'd string or NULL. */
typedef struct tgm_aws_profile {
    char *access_key;
    char *secret_key;
    char *token;
    char *region;
    char *origin; /* "environment", "~/.aws/credentials [default]", ... */
} tgm_aws_profile;

/* Look up credentials and region: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
 * / AWS_SESSION_TOKEN first, then the profile (`profile`, else AWS_PROFILE,
 * else "default") of AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials) and,
 * for the region, AWS_REGION, AWS_DEFAULT_REGION, then the profile of
 * AWS_CONFIG_FILE (~/.aws/config).  Missing files are not an error. */
tgm_error tgm__aws_profile_load(const char *profile, tgm_aws_profile *out);
void tgm__aws_profile_free(tgm_aws_profile *p);

#endif
