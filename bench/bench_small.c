/* Per-message cost of small messages (issue #19): one 3 x 8 x 8 float32
 * tensor (768 bytes), one small base entry, xxh3 hashes.  Each row is the
 * best of 3 runs of N calls, in microseconds per message, with its ratio
 * to the first row of its group (the plain API with JSON text: the in-run
 * baseline).  tgm_encode keeps the compiled form of the last few
 * metadata texts of each thread, so the first row reuses it; the second
 * gives a new text every call.  `bench_small [N]` (default 20000). */
#include "bench_common.h"

#include "tensogram/tensogram.h"

static const char *META =
    "{\"base\":[{\"name\":\"sample\",\"step\":3}],\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":"
    "3,\"shape\":[3,8,8],\"strides\":[64,8,1],\"dtype\":\"float32\",\"byte_order\":\"little\","
    "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"none\"}]}";

#define NFRESH 64

static void die(const char *what, tgm_error e) {
    fprintf(stderr, "%s: %s (%s)\n", what, tgm_error_string(e), tgm_last_error());
    exit(1);
}

#define CHECK(what, call)                                                                          \
    do {                                                                                           \
        tgm_error e_ = (call);                                                                     \
        if (e_ != TGM_ERROR_OK) {                                                                  \
            die(what, e_);                                                                         \
        }                                                                                          \
    } while (0)

static double base_us;

static void row(const char *name, double seconds, int n, int first) {
    double us = seconds / n * 1e6;
    if (first) {
        base_us = us;
    }
    printf("  %-44s %8.3f us   x%.2f\n", name, us, base_us / us);
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 20000;
    float v[192];
    for (int i = 0; i < 192; i++) {
        v[i] = (float)i * 0.5f;
    }
    const uint8_t *p[1] = {(const uint8_t *)v};
    size_t l[1] = {sizeof v};
    tgm_encode_options o = TGM_ENCODE_OPTIONS_INIT;
    o.hash_algo = "xxh3";
    tgm_json_t *doc;
    CHECK("parse", tgm_json_parse(META, strlen(META), 0, &doc));
    tgm_encoder_t *enc;
    CHECK("encoder", tgm_encoder_create(META, &o, &enc));
    /* Texts that differ in a value, used in rotation: more of them than
     * tgm_encode keeps compiled, so every call reads its text. */
    static char fresh[NFRESH][512];
    for (int i = 0; i < NFRESH; i++) {
        const char *at = strstr(META, "\"step\":3");
        snprintf(fresh[i], sizeof fresh[i], "%.*s\"step\":%d%s", (int)(at - META), META, 1000 + i,
                 at + 8);
    }
    static uint8_t dst[4096];
    size_t len = 0;
    double t;

    printf("small messages: 3x8x8 float32 (768 B), xxh3, best of 3 x %d calls\n", n);
    printf("encode (ratio: speed-up over tgm_encode)\n");
    BENCH_BEST(
        3, t, for (int i = 0; i < n; i++) {
            tgm_bytes_t b;
            CHECK("tgm_encode", tgm_encode(META, p, l, 1, "xxh3", 1, &b));
            tgm_bytes_free(b);
        });
    row("tgm_encode (JSON text)", t, n, 1);
    BENCH_BEST(
        3, t, for (int i = 0; i < n; i++) {
            tgm_bytes_t b;
            CHECK("tgm_encode", tgm_encode(fresh[i % NFRESH], p, l, 1, "xxh3", 1, &b));
            tgm_bytes_free(b);
        });
    row("tgm_encode (a new JSON text every call)", t, n, 0);
    BENCH_BEST(
        3, t, for (int i = 0; i < n; i++) {
            CHECK("tgm_encode_into",
                  tgm_encode_into(META, p, l, 1, "xxh3", 1, NULL, dst, sizeof dst, &len));
        });
    row("tgm_encode_into (JSON text, caller memory)", t, n, 0);
    BENCH_BEST(
        3, t, for (int i = 0; i < n; i++) {
            tgm_bytes_t b;
            CHECK("tgm_encode_doc", tgm_encode_doc(doc, p, l, 1, &o, &b));
            tgm_bytes_free(b);
        });
    row("tgm_encode_doc (document)", t, n, 0);
    BENCH_BEST(
        3, t, for (int i = 0; i < n; i++) {
            tgm_bytes_t b;
            CHECK("tgm_encoder_encode", tgm_encoder_encode(enc, p, l, 1, &b));
            tgm_bytes_free(b);
        });
    row("tgm_encoder_encode", t, n, 0);
    BENCH_BEST(
        3, t, for (int i = 0; i < n; i++) {
            CHECK("tgm_encoder_encode_into",
                  tgm_encoder_encode_into(enc, p, l, 1, dst, sizeof dst, &len));
        });
    row("tgm_encoder_encode_into (caller memory)", t, n, 0);
    BENCH_BEST(
        3, t, for (int i = 0; i < n; i++) {
            CHECK("set", tgm_encoder_set_i64(enc, 0, "step", i & 15));
            CHECK("tgm_encoder_encode_into",
                  tgm_encoder_encode_into(enc, p, l, 1, dst, sizeof dst, &len));
        });
    row("  + tgm_encoder_set_i64 per message", t, n, 0);

    tgm_bytes_t msg;
    CHECK("encode", tgm_encode(META, p, l, 1, "xxh3", 1, &msg));
    printf("decode (ratio: speed-up over tgm_decode)\n");
    BENCH_BEST(
        3, t, for (int i = 0; i < n; i++) {
            tgm_message_t *m;
            CHECK("tgm_decode", tgm_decode(msg.data, msg.len, 0, 1, 1, &m));
            tgm_message_free(m);
        });
    row("tgm_decode (hash verified)", t, n, 1);
    float out[192];
    BENCH_BEST(
        3, t, for (int i = 0; i < n; i++) {
            CHECK("tgm_decode_object_into", tgm_decode_object_into(msg.data, msg.len, 0, 0, 1, 1,
                                                                   NULL, out, sizeof out, &len));
        });
    row("tgm_decode_object_into (hash verified)", t, n, 0);
    BENCH_BEST(
        3, t, for (int i = 0; i < n; i++) {
            tgm_metadata_t *md;
            CHECK("tgm_decode_metadata", tgm_decode_metadata(msg.data, msg.len, &md));
            tgm_metadata_free(md);
        });
    row("tgm_decode_metadata", t, n, 0);
    int64_t sink = 0;
    BENCH_BEST(
        3, t, for (int i = 0; i < n; i++) {
            tgm_metadata_t *md;
            CHECK("tgm_decode_metadata", tgm_decode_metadata(msg.data, msg.len, &md));
            sink += tgm_metadata_get_int(md, "step", 0);
            tgm_metadata_free(md);
        });
    row("tgm_decode_metadata + one getter (int)", t, n, 0);
    BENCH_BEST(
        3, t, for (int i = 0; i < n; i++) {
            tgm_metadata_t *md;
            CHECK("tgm_decode_metadata", tgm_decode_metadata(msg.data, msg.len, &md));
            const char *s = tgm_metadata_get_string(md, "name");
            sink += s != NULL ? s[0] : 0;
            tgm_metadata_free(md);
        });
    row("tgm_decode_metadata + one getter (string)", t, n, 0);
    if (sink != (int64_t)3 * 3 * n + (int64_t)'s' * 3 * n) {
        fprintf(stderr, "getter results: %lld\n", (long long)sink);
        return 1;
    }

    tgm_bytes_free(msg);
    tgm_encoder_free(enc);
    tgm_json_free(doc);
    return 0;
}
