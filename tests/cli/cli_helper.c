/* cli_helper - test companion of the `tensogram` tool scenarios.
 *
 *   cli_helper gen <fixture> <out.tgm>   write a fixture file (list below)
 *   cli_helper same <a.tgm> <b.tgm>      decoded values of both files equal?
 *   cli_helper frames <file.tgm>         preamble flags of every message
 *   cli_helper hashes <file.tgm>         per-object hash presence
 *   cli_helper flip-payload <in> <out>   copy with a payload byte of the first
 *                                        object of the first message inverted
 *
 * Written over the public header, like the tool.  The fixtures are built
 * through the library's encoder; their expected dumps in the scenario files
 * are derived by hand from the metadata written here. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tensogram/tensogram.h>

static int fail(const char *what) {
    const char *d = tgm_last_error();
    fprintf(stderr, "cli_helper: %s: %s\n", what, d ? d : "(no detail)");
    return 1;
}

static const char *native_order(void) {
    const uint16_t one = 1;
    return *(const uint8_t *)&one ? "little" : "big";
}

/* One-object message of float32 values 0, 1, 2, ... with the given
 * metadata fragments. */
static int append_f32(tgm_file_t *f, const char *base_entry, const char *extra, size_t n,
                      const char *pipeline, const TgmEncodeMaskOptions *mo, const float *values) {
    char json[4096];
    snprintf(json, sizeof json,
             "{\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[%zu],\"strides\":[1],"
             "\"dtype\":\"float32\",\"byte_order\":\"%s\",%s}],"
             "\"base\":[%s]%s%s}",
             n, native_order(),
             pipeline ? pipeline
                      : "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"none\"",
             base_entry ? base_entry : "{}", extra ? ",\"_extra_\":" : "", extra ? extra : "");
    float *v = malloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++) {
        v[i] = values ? values[i] : (float)i;
    }
    const uint8_t *ptr = (const uint8_t *)v;
    size_t len = n * sizeof *v;
    tgm_error e = tgm_file_append_with_options(f, json, &ptr, &len, 1, "xxh3", 0, mo);
    free(v);
    return e == TGM_ERROR_OK ? 0 : fail("append");
}

/* Two objects written by the streaming encoder: index and hash frames come
 * after the data (the footer), the layout `reshuffle` converts. */
static int gen_streamed(const char *out) {
    tgm_streaming_encoder_t *enc;
    if (tgm_streaming_encoder_create(out, "{\"_extra_\":{\"mode\":\"streamed\"}}", "xxh3", 0,
                                     &enc) != TGM_ERROR_OK) {
        return fail("streaming encoder");
    }
    char desc[256];
    snprintf(desc, sizeof desc,
             "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[3],\"strides\":[1],"
             "\"dtype\":\"int32\",\"byte_order\":\"%s\",\"encoding\":\"none\","
             "\"filter\":\"none\",\"compression\":\"none\"}",
             native_order());
    int rc = 0;
    for (int32_t k = 0; k < 2 && rc == 0; k++) {
        int32_t v[3] = {k, k + 1, k + 2};
        char meta[64];
        snprintf(meta, sizeof meta, "{\"param\":\"s%d\"}", (int)k);
        if (tgm_streaming_encoder_write_preceder(enc, meta) != TGM_ERROR_OK ||
            tgm_streaming_encoder_write(enc, desc, (const uint8_t *)v, sizeof v) != TGM_ERROR_OK) {
            rc = fail("streaming write");
        }
    }
    if (rc == 0 && tgm_streaming_encoder_finish(enc) != TGM_ERROR_OK) {
        rc = fail("streaming finish");
    }
    tgm_streaming_encoder_free(enc);
    return rc;
}

/* A 6 x 12 float64 field with latitude (south first) and longitude objects,
 * NaN in the two northernmost rows' first three columns, mars metadata and
 * units; and a 3 x 6 x 12 int16 object (slice k holds k). */
static int gen_grid(const char *out) {
    enum { NY = 6, NX = 12 };
    double lat[NY], lon[NX], field[NY * NX];
    int16_t cube[3 * NY * NX];
    for (int i = 0; i < NY; i++) {
        lat[i] = -75.0 + 30.0 * i;
    }
    for (int j = 0; j < NX; j++) {
        lon[j] = 30.0 * j;
    }
    for (int i = 0; i < NY; i++) {
        for (int j = 0; j < NX; j++) {
            field[i * NX + j] = (i >= NY - 2 && j < 3) ? NAN : 250.0 + i * 10.0 + j;
        }
    }
    for (int k = 0; k < 3 * NY * NX; k++) {
        cube[k] = (int16_t)(k / (NY * NX));
    }
    char meta[2048];
    const char *bo = native_order();
    snprintf(meta, sizeof meta,
             "{\"base\":[{\"name\":\"latitude\"},{\"name\":\"longitude\"},"
             "{\"mars\":{\"param\":\"2t\",\"levtype\":\"sfc\",\"date\":\"20260401\","
             "\"time\":\"1200\",\"step\":6},\"units\":\"K\"},{\"name\":\"cube\"}],"
             "\"descriptors\":["
             "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[%d],\"strides\":[1],"
             "\"dtype\":\"float64\",\"byte_order\":\"%s\",\"encoding\":\"none\","
             "\"filter\":\"none\",\"compression\":\"none\"},"
             "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[%d],\"strides\":[1],"
             "\"dtype\":\"float64\",\"byte_order\":\"%s\",\"encoding\":\"none\","
             "\"filter\":\"none\",\"compression\":\"none\"},"
             "{\"type\":\"ntensor\",\"ndim\":2,\"shape\":[%d,%d],\"strides\":[%d,1],"
             "\"dtype\":\"float64\",\"byte_order\":\"%s\",\"encoding\":\"none\","
             "\"filter\":\"none\",\"compression\":\"zstd\"},"
             "{\"type\":\"ntensor\",\"ndim\":3,\"shape\":[3,%d,%d],\"strides\":[%d,%d,1],"
             "\"dtype\":\"int16\",\"byte_order\":\"%s\",\"encoding\":\"none\","
             "\"filter\":\"none\",\"compression\":\"none\"}]}",
             NY, bo, NX, bo, NY, NX, NX, bo, NY, NX, NY * NX, NX, bo);
    const uint8_t *ptrs[4] = {(const uint8_t *)lat, (const uint8_t *)lon, (const uint8_t *)field,
                              (const uint8_t *)cube};
    size_t lens[4] = {sizeof lat, sizeof lon, sizeof field, sizeof cube};
    TgmEncodeMaskOptions mo;
    memset(&mo, 0, sizeof mo);
    mo.allow_nan = true;
    mo.small_mask_threshold_bytes = -1;
    tgm_file_t *f;
    if (tgm_file_create(out, &f) != TGM_ERROR_OK) {
        return fail("create");
    }
    tgm_error e = tgm_file_append_with_options(f, meta, ptrs, lens, 4, "xxh3", 0, &mo);
    tgm_file_close(f);
    return e == TGM_ERROR_OK ? 0 : fail("append grid");
}

static int gen(const char *name, const char *out) {
    if (strcmp(name, "streamed") == 0) {
        return gen_streamed(out);
    }
    if (strcmp(name, "grid") == 0) {
        return gen_grid(out);
    }
    tgm_file_t *f;
    if (tgm_file_create(out, &f) != TGM_ERROR_OK) {
        return fail("create");
    }
    int rc = 0;
    if (strcmp(name, "params") == 0) {
        /* Three forecast-like messages. */
        static const char *const rows[][4] = {
            {"2t", "fc", "0", "od"}, {"msl", "fc", "6", "od"}, {"10u", "an", "0", "rd"}};
        for (int i = 0; i < 3 && rc == 0; i++) {
            char base[512];
            snprintf(base, sizeof base,
                     "{\"mars\":{\"class\":\"%s\",\"date\":\"20260401\",\"param\":\"%s\","
                     "\"step\":%s,\"type\":\"%s\"}}",
                     rows[i][3], rows[i][0], rows[i][2], rows[i][1]);
            rc = append_f32(f, base, i == 2 ? "{\"origin\":\"test\"}" : NULL, 4, NULL, NULL, NULL);
        }
    } else if (strcmp(name, "bomb") == 0) {
        /* 656 bytes that decode to 16 GiB: 2^31 float64 values packed with
         * 0 bits per value (a constant field), stored pre-encoded. */
        const char *json = "{\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":1,"
                           "\"shape\":[2147483648],\"strides\":[1],\"dtype\":\"float64\","
                           "\"byte_order\":\"little\",\"encoding\":\"simple_packing\","
                           "\"sp_bits_per_value\":0,\"sp_reference_value\":1.0,"
                           "\"sp_binary_scale_factor\":0,\"sp_decimal_scale_factor\":0,"
                           "\"filter\":\"none\",\"compression\":\"none\"}]}";
        const uint8_t *ptr = (const uint8_t *)"";
        size_t len = 0;
        tgm_bytes_t msg;
        if (tgm_encode_pre_encoded(json, &ptr, &len, 1, "xxh3", 0, &msg) != TGM_ERROR_OK) {
            rc = fail("encode bomb");
        } else {
            if (tgm_file_append_raw(f, msg.data, msg.len) != TGM_ERROR_OK) {
                rc = fail("append bomb");
            }
            tgm_bytes_free(msg);
        }
    } else if (strcmp(name, "budget") == 0) {
        /* One message of 20 blosc2 objects of 8 MiB of zeros, a few KB in
         * all: each object is under validation's automatic per-object
         * limit, together they are over its 64 MiB budget. */
        enum { OBJ = 8 << 20, K = 20 };
        uint8_t *zeros = calloc(OBJ, 1);
        const uint8_t *zp = zeros;
        size_t zl = OBJ;
        tgm_bytes_t one = {NULL, 0};
        tgm_message_t *m = NULL;
        if (zeros == NULL ||
            tgm_encode("{\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":1,"
                       "\"shape\":[8388608],\"strides\":[1],\"dtype\":\"uint8\","
                       "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"blosc2\","
                       "\"blosc2_codec\":\"lz4\",\"blosc2_clevel\":5}]}",
                       &zp, &zl, 1, "xxh3", 0, &one) != TGM_ERROR_OK ||
            tgm_decode_encoded(one.data, one.len, &m) != TGM_ERROR_OK) {
            rc = fail("encode budget");
        } else {
            size_t plen = 0;
            const uint8_t *payload = tgm_object_data(m, 0, &plen);
            const char *dj = tgm_object_descriptor_json(m, 0);
            size_t dl = strlen(dj);
            char *json = malloc(32 + K * (dl + 1));
            const uint8_t *ptrs[K];
            size_t lens[K];
            size_t at = (size_t)sprintf(json, "{\"descriptors\":[");
            for (int i = 0; i < K; i++) {
                ptrs[i] = payload;
                lens[i] = plen;
                at += (size_t)sprintf(json + at, "%s%s", i ? "," : "", dj);
            }
            strcpy(json + at, "]}");
            tgm_bytes_t msg;
            if (tgm_encode_stored(json, ptrs, lens, K, "xxh3", 0, &msg) != TGM_ERROR_OK) {
                rc = fail("encode budget");
            } else {
                if (tgm_file_append_raw(f, msg.data, msg.len) != TGM_ERROR_OK) {
                    rc = fail("append budget");
                }
                tgm_bytes_free(msg);
            }
            free(json);
        }
        tgm_message_free(m);
        tgm_bytes_free(one);
        free(zeros);
    } else if (strcmp(name, "evil") == 0) {
        /* Metadata values that must not choose where `copy` writes: each
         * message has mars.class = its index and a hostile mars.param. */
        static const char *const params[] = {"../../escaped", "sub/dir",   "..",        ".",
                                             "a\\nb",         "a\\u0000b", "a\\u007fb", "ok"};
        for (int i = 0; i < 8 && rc == 0; i++) {
            char base[512];
            snprintf(base, sizeof base, "{\"mars\":{\"class\":\"c%d\",\"param\":\"%s\"}}", i,
                     params[i]);
            rc = append_f32(f, base, NULL, 4, NULL, NULL, NULL);
        }
    } else if (strcmp(name, "multi") == 0) {
        /* One message, three objects of different types. */
        const char *json =
            "{\"descriptors\":["
            "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[2],\"strides\":[1],\"dtype\":\"float32\","
            "\"byte_order\":\"big\",\"encoding\":\"none\",\"filter\":\"none\","
            "\"compression\":\"none\"},"
            "{\"type\":\"ntensor\",\"ndim\":2,\"shape\":[2,2],\"strides\":[2,1],"
            "\"dtype\":\"int16\",\"byte_order\":\"little\",\"encoding\":\"none\","
            "\"filter\":\"none\",\"compression\":\"zstd\",\"zstd_level\":3},"
            "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[3],\"strides\":[1],\"dtype\":\"uint8\","
            "\"byte_order\":\"little\",\"encoding\":\"none\",\"filter\":\"none\","
            "\"compression\":\"none\"}],"
            "\"base\":[{\"param\":\"a\",\"units\":\"K\"},{\"param\":\"b\"},{\"param\":\"c\"}],"
            "\"_extra_\":{\"campaign\":\"x1\"}}";
        const uint8_t f32be[8] = {0x3f, 0x80, 0, 0, 0x40, 0, 0, 0}; /* 1.0, 2.0 */
        const uint8_t i16le[8] = {1, 0, 2, 0, 0xfd, 0xff, 4, 0};    /* 1, 2, -3, 4 */
        const uint8_t u8[3] = {7, 8, 9};
        const uint8_t *ptrs[3] = {f32be, i16le, u8};
        size_t lens[3] = {8, 8, 3};
        if (tgm_file_append(f, json, ptrs, lens, 3, "xxh3", 0) != TGM_ERROR_OK) {
            rc = fail("append");
        }
    } else if (strcmp(name, "types") == 0) {
        /* Metadata values of every JSON-representable kind. */
        const char *base =
            "{\"b\":true,\"empty\":\"\",\"f\":2.5,\"fint\":1.0,\"huge\":1e20,\"tiny\":1e-7,"
            "\"third\":0.1,\"neg\":-5,\"big\":18446744073709551615,\"nul\":null,"
            "\"list\":[1,\"two\",[3.5]],\"nested\":{\"z\":1,\"a\":{\"k\":\"v\"}},"
            "\"text\":\"tab\\there \\\"quoted\\\" \\u00e9\"}";
        rc = append_f32(f, base, "{\"version\":\"user-supplied\"}", 2, NULL, NULL, NULL);
    } else if (strcmp(name, "nan") == 0) {
        /* A NaN and an infinity stored as masks. */
        float v[6] = {1, NAN, 3, INFINITY, -INFINITY, 6};
        TgmEncodeMaskOptions mo = {true, true, "rle", NULL, NULL, 0};
        rc = append_f32(f, "{\"param\":\"masked\"}", NULL, 6, NULL, &mo, v);
    } else if (strcmp(name, "zstd") == 0) {
        /* encoding none + compression: not accepted pre-encoded by the library. */
        rc = append_f32(f, "{\"param\":\"z\"}", NULL, 64,
                        "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"zstd\","
                        "\"zstd_level\":3",
                        NULL, NULL);
    } else if (strcmp(name, "rawnan") == 0) {
        /* A NaN stored as a plain value, without a mask: possible only through
         * the pre-encoded interface (as allow_nan_inf_cli.rs make_nan_file). */
        char json[512];
        snprintf(json, sizeof json,
                 "{\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[3],"
                 "\"strides\":[1],\"dtype\":\"float64\",\"byte_order\":\"%s\","
                 "\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"none\"}]}",
                 native_order());
        double v[3] = {1.0, NAN, 3.0};
        const uint8_t *p = (const uint8_t *)v;
        size_t l = sizeof v;
        tgm_bytes_t msg;
        if (tgm_encode_pre_encoded(json, &p, &l, 1, "xxh3", 0, &msg) != TGM_ERROR_OK) {
            rc = fail("encode");
        } else {
            if (tgm_file_append_raw(f, msg.data, msg.len) != TGM_ERROR_OK) {
                rc = fail("append");
            }
            tgm_bytes_free(msg);
        }
    } else if (strcmp(name, "zero") == 0) {
        if (tgm_file_append(f, "{\"descriptors\":[],\"_extra_\":{\"note\":\"no objects\"}}", NULL,
                            NULL, 0, "xxh3", 0) != TGM_ERROR_OK) {
            rc = fail("append");
        }
    } else if (strcmp(name, "nohash") == 0) {
        char json[512];
        snprintf(json, sizeof json,
                 "{\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[2],"
                 "\"strides\":[1],\"dtype\":\"uint8\",\"encoding\":\"none\",\"filter\":\"none\","
                 "\"compression\":\"none\"}],\"base\":[{\"param\":\"h\"}]}");
        const uint8_t d[2] = {1, 2};
        const uint8_t *p = d;
        size_t l = 2;
        if (tgm_file_append(f, json, &p, &l, 1, NULL, 0) != TGM_ERROR_OK) {
            rc = fail("append");
        }
    } else {
        fprintf(stderr, "cli_helper: unknown fixture '%s'\n", name);
        rc = 2;
    }
    tgm_file_close(f);
    return rc;
}

static int count(tgm_file_t *f, size_t *n, const char *path) {
    if (tgm_file_message_count(f, n) != TGM_ERROR_OK) {
        fprintf(stderr, "cli_helper: %s: %s\n", path, tgm_last_error());
        return 1;
    }
    return 0;
}

static int same(const char *a, const char *b) {
    tgm_file_t *fa, *fb;
    if (tgm_file_open(a, &fa) != TGM_ERROR_OK || tgm_file_open(b, &fb) != TGM_ERROR_OK) {
        return fail("open");
    }
    size_t na, nb;
    if (count(fa, &na, a) || count(fb, &nb, b)) {
        return 1;
    }
    if (na != nb) {
        printf("different: %zu messages vs %zu\n", na, nb);
        return 1;
    }
    size_t objects = 0;
    for (size_t i = 0; i < na; i++) {
        tgm_message_t *ma, *mb;
        if (tgm_file_decode_message(fa, i, 1, 0, 0, &ma) != TGM_ERROR_OK ||
            tgm_file_decode_message(fb, i, 1, 0, 0, &mb) != TGM_ERROR_OK) {
            return fail("decode");
        }
        size_t oa = tgm_message_num_objects(ma), ob = tgm_message_num_objects(mb);
        if (oa != ob) {
            printf("different: message %zu has %zu objects vs %zu\n", i, oa, ob);
            return 1;
        }
        for (size_t j = 0; j < oa; j++, objects++) {
            size_t la, lb;
            const uint8_t *da = tgm_object_data(ma, j, &la);
            const uint8_t *db = tgm_object_data(mb, j, &lb);
            if (la != lb || (la > 0 && memcmp(da, db, la) != 0) ||
                strcmp(tgm_object_dtype(ma, j), tgm_object_dtype(mb, j)) != 0) {
                printf("different: message %zu object %zu\n", i, j);
                return 1;
            }
        }
        tgm_message_free(ma);
        tgm_message_free(mb);
    }
    printf("same values (%zu messages, %zu objects)\n", na, objects);
    tgm_file_close(fa);
    tgm_file_close(fb);
    return 0;
}

static int frames(const char *path) {
    static const char *const names[] = {"header_metadata",   "footer_metadata", "header_index",
                                        "footer_index",      "header_hashes",   "footer_hashes",
                                        "preceder_metadata", "hashes_present"};
    tgm_file_t *f;
    size_t n;
    if (tgm_file_open(path, &f) != TGM_ERROR_OK || count(f, &n, path)) {
        return fail("open");
    }
    for (size_t i = 0; i < n; i++) {
        tgm_bytes_t m;
        if (tgm_file_read_message(f, i, &m) != TGM_ERROR_OK || m.len < 24) {
            return fail("read");
        }
        unsigned flags = (unsigned)m.data[10] << 8 | m.data[11]; /* WIRE_FORMAT §3 */
        printf("message %zu:", i);
        for (int b = 0; b < 8; b++) {
            if (flags & (1u << b)) {
                printf(" %s", names[b]);
            }
        }
        printf("\n");
        tgm_bytes_free(m);
    }
    tgm_file_close(f);
    return 0;
}

static int hashes(const char *path) {
    tgm_file_t *f;
    size_t n;
    if (tgm_file_open(path, &f) != TGM_ERROR_OK || count(f, &n, path)) {
        return fail("open");
    }
    for (size_t i = 0; i < n; i++) {
        tgm_message_t *m;
        if (tgm_file_decode_descriptors(f, i, &m) != TGM_ERROR_OK) {
            return fail("decode");
        }
        printf("message %zu:", i);
        for (size_t j = 0; j < tgm_message_num_objects(m); j++) {
            printf(" %s", tgm_payload_has_hash(m, j) ? "xxh3" : "none");
        }
        printf("\n");
        tgm_message_free(m);
    }
    tgm_file_close(f);
    return 0;
}

/* Copy `in` to `out` with one byte in the middle of the first object's
 * stored payload inverted (found by searching the message for the payload
 * bytes that tgm_decode_encoded returns). */
static int flip_payload(const char *in, const char *out) {
    tgm_file_t *f;
    tgm_bytes_t m;
    if (tgm_file_open(in, &f) != TGM_ERROR_OK || tgm_file_read_message(f, 0, &m) != TGM_ERROR_OK) {
        return fail("read");
    }
    tgm_message_t *enc;
    if (tgm_decode_encoded(m.data, m.len, &enc) != TGM_ERROR_OK) {
        return fail("decode");
    }
    size_t plen;
    const uint8_t *payload = tgm_object_data(enc, 0, &plen);
    size_t at = SIZE_MAX;
    for (size_t i = 0; plen > 0 && i + plen <= m.len; i++) {
        if (memcmp(m.data + i, payload, plen) == 0) {
            at = i + plen / 2;
            break;
        }
    }
    tgm_message_free(enc);
    uint64_t off, len;
    if (at == SIZE_MAX || tgm_file_message_layout(f, 0, &off, &len) != TGM_ERROR_OK) {
        fprintf(stderr, "cli_helper: payload of %s not found\n", in);
        return 1;
    }
    tgm_bytes_free(m);
    FILE *src = fopen(in, "rb"), *dst = fopen(out, "wb");
    if (src == NULL || dst == NULL) {
        perror("cli_helper");
        return 1;
    }
    int c;
    for (uint64_t pos = 0; (c = fgetc(src)) != EOF; pos++) {
        fputc(pos == off + at ? c ^ 0xff : c, dst);
    }
    fclose(src);
    tgm_file_close(f);
    return fclose(dst) == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "flip-payload") == 0) {
        return flip_payload(argv[2], argv[3]);
    }
    if (argc == 4 && strcmp(argv[1], "gen") == 0) {
        return gen(argv[2], argv[3]);
    }
    if (argc == 4 && strcmp(argv[1], "same") == 0) {
        return same(argv[2], argv[3]);
    }
    if (argc == 3 && strcmp(argv[1], "frames") == 0) {
        return frames(argv[2]);
    }
    if (argc == 3 && strcmp(argv[1], "hashes") == 0) {
        return hashes(argv[2]);
    }
    fprintf(stderr, "usage: cli_helper gen <fixture> <out> | same <a> <b> | frames <f> | "
                    "hashes <f> | flip-payload <in> <out>\n");
    return 2;
}
