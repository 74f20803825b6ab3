/* tenbin reader and writer (convert/tenbin.c) and the tenbin <-> Tensogram
 * conversions: the 18 files webdataset's tenbin wrote decode to the
 * expected array bytes and are written back byte for byte; byte orders,
 * uint32 and 0-d arrays; every truncation and corruption of a file fails
 * cleanly; the descriptor writers (`_fd`) give the buffer writers' bytes,
 * also for a stream of alike records (which the library's encode cache
 * serves). */
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tensogram/convert.h"
#include "tt.h"

/* The reference files (shared/reference/tenbin/MANIFEST.json): arrays of
 * each case as "dtype:shape:info". */
static const struct {
    const char *name;
    const char *arrays[10];
} cases[] = {
    {"one_float16", {"float16:3,7,5:"}},
    {"one_float32", {"float32:3,7,5:"}},
    {"one_float64", {"float64:3,7,5:"}},
    {"one_int8", {"int8:3,7,5:"}},
    {"one_int16", {"int16:3,7,5:"}},
    {"one_int32", {"int32:3,7,5:"}},
    {"one_int64", {"int64:3,7,5:"}},
    {"one_uint8", {"uint8:3,7,5:"}},
    {"one_uint16", {"uint16:3,7,5:"}},
    {"one_uint64", {"uint64:3,7,5:"}},
    {"image_and_label", {"uint8:32,32,3:image", "int64:1:label"}},
    {"many_arrays",
     {"float32:1:", "float32:2:", "float32:3:", "float32:15:", "float32:16:", "float32:17:",
      "float32:63:", "float32:64:", "float32:65:"}},
    {"empty", {"float32:0,4:"}},
    {"scalar", {"float64::"}},
    {"nine_dims", {"int16:2,2,2,2,2,2,2,2,2:"}},
    {"big_f32", {"float32:256,1024:"}},
    {"nan_inf", {"float64:6:"}},
    {"long_info", {"float32:4:12345678"}},
};

static char dir[4096];

static unsigned char *read_case(const char *name, const char *suffix, size_t *len) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s%s", dir, name, suffix);
    return tt_read_file(path, len);
}

/* "dtype:d0,d1,...:info" of an array. */
static void describe(const tgm_tenbin_array *a, char *out, size_t cap) {
    size_t n = (size_t)snprintf(out, cap, "%s:", a->dtype);
    for (uint32_t k = 0; k < a->ndim && n < cap; k++) {
        n += (size_t)snprintf(out + n, cap - n, "%s%llu", k ? "," : "",
                              (unsigned long long)a->shape[k]);
    }
    if (n < cap) {
        snprintf(out + n, cap - n, ":%s", a->info);
    }
}

static void test_reference_files(void) {
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t len;
        unsigned char *buf = read_case(cases[c].name, ".ten", &len);
        TT_ASSERT(buf != NULL);
        tgm_tenbin_record_t *rec = NULL;
        TT_CHECK_ERR(tgm_tenbin_read(buf, len, TGM_TENBIN_AUTO, &rec), TGM_ERROR_OK);
        size_t n = 0;
        while (n < 10 && cases[c].arrays[n] != NULL) {
            n++;
        }
        TT_CHECK_EQ_INT(tgm_tenbin_record_count(rec), n);
        for (size_t i = 0; i < n && i < tgm_tenbin_record_count(rec); i++) {
            const tgm_tenbin_array *a = tgm_tenbin_record_array(rec, i);
            char got[256];
            describe(a, got, sizeof got);
            TT_CHECK_EQ_STR(got, cases[c].arrays[i]);
            TT_CHECK(!a->big_endian);
            char suffix[32];
            snprintf(suffix, sizeof suffix, ".%zu.bin", i);
            size_t blen;
            unsigned char *want = read_case(cases[c].name, suffix, &blen);
            TT_CHECK(want != NULL && blen == a->nbytes &&
                     (blen == 0 || memcmp(want, a->data, blen) == 0));
            free(want);
        }
        /* Our writer reproduces the file byte for byte. */
        tgm_tenbin_array arrays[10];
        for (size_t i = 0; i < tgm_tenbin_record_count(rec); i++) {
            arrays[i] = *tgm_tenbin_record_array(rec, i);
        }
        tgm_bytes_t out = {NULL, 0};
        TT_CHECK_ERR(
            tgm_tenbin_write(arrays, tgm_tenbin_record_count(rec), TGM_TENBIN_LITTLE, &out),
            TGM_ERROR_OK);
        TT_CHECK(out.len == len && memcmp(out.data, buf, len) == 0);
        tgm_bytes_free(out);
        tgm_tenbin_record_free(rec);
        free(buf);
    }
}

/* Our own arrays: uint32, a 0-d array, big endian, auto detection. */
static void test_byte_orders_uint32_scalar(void) {
    uint32_t u[6] = {0, 1, 0xDEADBEEF, 7, 0xFFFFFFFF, 42};
    double s = -2.5;
    int16_t m[4] = {1, -2, 300, -32768};
    uint64_t su[2] = {2, 3}, mu[1] = {4};
    tgm_tenbin_array in[3] = {
        {"uint32", "u", 2, su, (const uint8_t *)u, sizeof u, false},
        {"float64", "scalar", 0, NULL, (const uint8_t *)&s, sizeof s, false},
        {"int16", "12345678", 1, mu, (const uint8_t *)m, sizeof m, false},
    };
    for (int order = TGM_TENBIN_LITTLE; order <= TGM_TENBIN_BIG; order++) {
        tgm_bytes_t b = {NULL, 0};
        TT_CHECK_ERR(tgm_tenbin_write(in, 3, order, &b), TGM_ERROR_OK);
        tgm_tenbin_record_t *rec = NULL;
        TT_CHECK_ERR(tgm_tenbin_read(b.data, b.len, TGM_TENBIN_AUTO, &rec), TGM_ERROR_OK);
        TT_ASSERT(rec != NULL && tgm_tenbin_record_count(rec) == 3);
        for (size_t i = 0; i < 3; i++) {
            const tgm_tenbin_array *a = tgm_tenbin_record_array(rec, i);
            TT_CHECK_EQ_STR(a->dtype, in[i].dtype);
            TT_CHECK_EQ_STR(a->info, in[i].info);
            TT_CHECK_EQ_INT(a->ndim, in[i].ndim);
            TT_CHECK_EQ_INT(a->big_endian, order == TGM_TENBIN_BIG);
            TT_CHECK_EQ_INT(a->nbytes, in[i].nbytes);
            /* Values: swap back when stored big endian. */
            size_t es = strcmp(a->dtype, "int16") == 0    ? 2
                        : strcmp(a->dtype, "uint32") == 0 ? 4
                                                          : 8;
            uint8_t host[64];
            for (size_t k = 0; k < a->nbytes; k += es) {
                for (size_t j = 0; j < es; j++) {
                    host[k + j] = a->big_endian ? a->data[k + es - 1 - j] : a->data[k + j];
                }
            }
            TT_CHECK(memcmp(host, in[i].data, a->nbytes) == 0);
        }
        tgm_tenbin_record_free(rec);
        /* Forcing the wrong order is caught by the length checks. */
        int wrong = order == TGM_TENBIN_BIG ? TGM_TENBIN_LITTLE : TGM_TENBIN_BIG;
        TT_CHECK_ERR(tgm_tenbin_read(b.data, b.len, wrong, &rec), TGM_ERROR_FRAMING);
        tgm_bytes_free(b);
    }
    /* What tenbin cannot store. */
    tgm_tenbin_array bad = {"complex64", "", 1, su, (const uint8_t *)u, 16, false};
    tgm_bytes_t b = {NULL, 0};
    TT_CHECK_ERR(tgm_tenbin_write(&bad, 1, TGM_TENBIN_LITTLE, &b), TGM_ERROR_INVALID_ARG);
    tgm_tenbin_array badsize = {"uint32", "", 2, su, (const uint8_t *)u, 20, false};
    TT_CHECK_ERR(tgm_tenbin_write(&badsize, 1, TGM_TENBIN_LITTLE, &b), TGM_ERROR_INVALID_ARG);
    tgm_tenbin_array badinfo = {"uint32", "", 2, su, (const uint8_t *)u, sizeof u, false};
    memcpy(badinfo.info, "\xc3\xa9t\xc3\xa9", 6); /* not ASCII */
    TT_CHECK_ERR(tgm_tenbin_write(&badinfo, 1, TGM_TENBIN_LITTLE, &b), TGM_ERROR_INVALID_ARG);
}

/* Every prefix of a file and every corrupted byte of its headers: a clean
 * error or a valid shorter record, never a read outside the buffer (the
 * ASan build checks that). */
static void test_hostile(void) {
    size_t len;
    unsigned char *buf = read_case("image_and_label", ".ten", &len);
    TT_ASSERT(buf != NULL);
    int ok = 0, failed = 0;
    for (size_t cut = 0; cut < len; cut++) {
        unsigned char *p = malloc(cut ? cut : 1);
        memcpy(p, buf, cut);
        tgm_tenbin_record_t *rec = NULL;
        tgm_error e = tgm_tenbin_read(p, cut, TGM_TENBIN_AUTO, &rec);
        if (e == TGM_ERROR_OK) {
            ok++;
            /* Only whole arrays (the last chunk's padding may be short). */
            for (size_t i = 0; i < tgm_tenbin_record_count(rec); i++) {
                const tgm_tenbin_array *a = tgm_tenbin_record_array(rec, i);
                TT_CHECK(a->data + a->nbytes <= p + cut);
            }
            tgm_tenbin_record_free(rec);
        } else {
            failed++;
            TT_CHECK(e == TGM_ERROR_FRAMING);
            TT_CHECK(tgm_last_error() != NULL && strstr(tgm_last_error(), "tenbin") != NULL);
        }
        free(p);
    }
    TT_CHECK(ok > 0 && failed > 0);
    /* Corrupt each of the first 64 bytes of every chunk header region. */
    for (size_t pos = 0; pos < len; pos++) {
        for (int v = 0; v < 3; v++) {
            unsigned char *p = malloc(len);
            memcpy(p, buf, len);
            p[pos] = v == 0 ? 0xFF : v == 1 ? 0x80 : (unsigned char)(p[pos] ^ 0x01);
            tgm_tenbin_record_t *rec = NULL;
            tgm_error e = tgm_tenbin_read(p, len, TGM_TENBIN_AUTO, &rec);
            if (e == TGM_ERROR_OK) {
                for (size_t i = 0; i < tgm_tenbin_record_count(rec); i++) {
                    const tgm_tenbin_array *a = tgm_tenbin_record_array(rec, i);
                    TT_CHECK(a->data >= p && a->data + a->nbytes <= p + len);
                }
            } else {
                TT_CHECK(e == TGM_ERROR_FRAMING || e == TGM_ERROR_METADATA);
            }
            tgm_tenbin_record_free(rec);
            free(p);
        }
    }
    /* Specific lies: a huge length, a huge rank, a huge dimension. */
    unsigned char hdr[96];
    memset(hdr, 0, sizeof hdr);
    memcpy(hdr, "~TenBin~", 8);
    hdr[8] = 24;
    memcpy(hdr + 16, "f4", 2);
    memset(hdr + 32, 0xFF, 8); /* rank -1 */
    memcpy(hdr + 80, "~TenBin~", 8);
    tgm_tenbin_record_t *rec = NULL;
    TT_CHECK_ERR(tgm_tenbin_read(hdr, sizeof hdr, TGM_TENBIN_LITTLE, &rec), TGM_ERROR_FRAMING);
    hdr[32] = 1;
    memset(hdr + 33, 0, 7);
    TT_CHECK_ERR(tgm_tenbin_read(hdr, sizeof hdr, TGM_TENBIN_LITTLE, &rec), TGM_ERROR_FRAMING);
    hdr[32] = 0;
    memcpy(hdr + 16, "c8", 2);
    TT_CHECK_ERR(tgm_tenbin_read(hdr, sizeof hdr, TGM_TENBIN_LITTLE, &rec), TGM_ERROR_METADATA);
    TT_CHECK_ERR(
        tgm_tenbin_read((const uint8_t *)"not a ten file at all", 21, TGM_TENBIN_AUTO, &rec),
        TGM_ERROR_FRAMING);
    TT_CHECK(strstr(tgm_last_error(), "not a .ten file") != NULL);
    /* An empty buffer is an empty record. */
    TT_CHECK_ERR(tgm_tenbin_read(NULL, 0, TGM_TENBIN_AUTO, &rec), TGM_ERROR_OK);
    TT_CHECK_EQ_INT(tgm_tenbin_record_count(rec), 0);
    tgm_tenbin_record_free(rec);
    free(buf);
}

/* tenbin -> Tensogram -> tenbin gives the file back. */
static void test_conversion(void) {
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t len;
        unsigned char *buf = read_case(cases[c].name, ".ten", &len);
        TT_ASSERT(buf != NULL);
        tgm_bytes_t msg = {NULL, 0};
        tgm_error e = tgm_convert_tenbin(buf, len, NULL, &msg);
        if (strcmp(cases[c].name, "nan_inf") == 0) {
            /* NaN and Inf need the mask options. */
            TT_CHECK_ERR(e, TGM_ERROR_ENCODING);
            TgmEncodeMaskOptions mo = {true, true, NULL, NULL, NULL, -1};
            tgm_convert_options o = TGM_CONVERT_OPTIONS_INIT;
            o.mask_options = &mo;
            e = tgm_convert_tenbin(buf, len, &o, &msg);
        }
        TT_CHECK_ERR(e, TGM_ERROR_OK);
        tgm_message_t *m = NULL;
        TT_CHECK_ERR(tgm_decode(msg.data, msg.len, 1, 0, 1, &m), TGM_ERROR_OK);
        tgm_metadata_t *md = NULL;
        TT_CHECK_ERR(tgm_message_metadata(m, &md), TGM_ERROR_OK);
        for (size_t i = 0; i < tgm_message_num_objects(m); i++) {
            char suffix[32];
            snprintf(suffix, sizeof suffix, ".%zu.bin", i);
            size_t blen, dlen;
            unsigned char *want = read_case(cases[c].name, suffix, &blen);
            const uint8_t *d = tgm_object_data(m, i, &dlen);
            TT_CHECK(want != NULL && dlen == blen && (blen == 0 || memcmp(d, want, blen) == 0));
            free(want);
            const char *info = strrchr(cases[c].arrays[i], ':') + 1;
            const char *name = tgm_metadata_get_string_at(md, i, "name");
            if (*info != '\0') {
                TT_CHECK(name != NULL && strcmp(name, info) == 0);
            } else {
                TT_CHECK(name == NULL);
            }
        }
        tgm_bytes_t back = {NULL, 0};
        TT_CHECK_ERR(tgm_convert_to_tenbin(msg.data, msg.len, NULL, &back), TGM_ERROR_OK);
        TT_CHECK(back.len == len && memcmp(back.data, buf, len) == 0);
        tgm_bytes_free(back);
        tgm_metadata_free(md);
        tgm_message_free(m);
        tgm_bytes_free(msg);
        free(buf);
    }
}

/* Pipelines through the conversion, and names tenbin cannot hold. */
static void test_pipeline_and_names(void) {
    double v[64];
    for (int i = 0; i < 64; i++) {
        v[i] = sin(i * 0.1) * 100.0;
    }
    uint64_t shape[1] = {64};
    tgm_tenbin_array a = {"float64", "wave", 1, shape, (const uint8_t *)v, sizeof v, false};
    tgm_bytes_t ten = {NULL, 0};
    TT_ASSERT(tgm_tenbin_write(&a, 1, TGM_TENBIN_BIG, &ten) == TGM_ERROR_OK);
    tgm_convert_options o = TGM_CONVERT_OPTIONS_INIT;
    o.encoding = "simple_packing";
    o.bits = 24;
    o.compression = "szip";
    tgm_bytes_t msg = {NULL, 0};
    TT_CHECK_ERR(tgm_convert_tenbin(ten.data, ten.len, &o, &msg), TGM_ERROR_OK);
    tgm_message_t *m = NULL;
    TT_CHECK_ERR(tgm_decode(msg.data, msg.len, 1, 0, 1, &m), TGM_ERROR_OK);
    TT_CHECK_EQ_STR(tgm_payload_encoding(m, 0), "simple_packing");
    TT_CHECK_EQ_STR(tgm_object_compression(m, 0), "szip");
    size_t dl;
    const double *d = (const double *)tgm_object_data(m, 0, &dl);
    double worst = 0;
    for (int i = 0; i < 64; i++) {
        worst = fmax(worst, fabs(d[i] - v[i]));
    }
    TT_CHECK(dl == sizeof v && worst < 200.0 / (1 << 23));
    tgm_message_free(m);
    tgm_bytes_free(msg);
    tgm_bytes_free(ten);
    /* A name longer than tenbin's 8 bytes. */
    const char *meta =
        "{\"base\":[{\"name\":\"temperature\"}],\"descriptors\":[{\"type\":"
        "\"ntensor\",\"ndim\":1,\"shape\":[2],\"strides\":[1],\"dtype\":\"float32\",\"byte_order\":"
        "\"little\",\"encoding\":\"none\",\"filter\":\"none\",\"compression\":\"none\"}]}";
    float f[2] = {1, 2};
    const uint8_t *ptr[1] = {(const uint8_t *)f};
    size_t lens[1] = {sizeof f};
    tgm_error ee = tgm_encode(meta, ptr, lens, 1, NULL, 0, &msg);
    TT_CHECK_ERR(ee, TGM_ERROR_OK);
    TT_ASSERT(ee == TGM_ERROR_OK);
    tgm_bytes_t out = {NULL, 0};
    TT_CHECK_ERR(tgm_convert_to_tenbin(msg.data, msg.len, NULL, &out), TGM_ERROR_INVALID_ARG);
    TT_CHECK(strstr(tgm_last_error(), "temperature") != NULL);
    tgm_bytes_free(msg);
}

/* A temporary file, unlinked at once: only its descriptor is used. */
static int temp_fd(void) {
    char path[] = "/tmp/tgm_test_tenbin_XXXXXX";
    int fd = mkstemp(path);
    if (fd >= 0) {
        unlink(path);
    }
    return fd;
}

/* True when fd holds exactly want[0..len) (and the writer said len). */
static bool fd_holds(int fd, uint64_t written, const uint8_t *want, size_t len) {
    off_t end = lseek(fd, 0, SEEK_END);
    if (end < 0 || (size_t)end != len || written != len) {
        return false;
    }
    uint8_t *got = malloc(len ? len : 1);
    bool ok = got != NULL && pread(fd, got, len, 0) == (ssize_t)len &&
              (len == 0 || memcmp(got, want, len) == 0);
    free(got);
    return ok;
}

/* The descriptor writers give the bytes of the buffer writers: every
 * reference file both ways through Tensogram, our arrays in both byte
 * orders (a big array crosses the 1 MiB swap buffer), and errors. */
static void test_fd_writers(void) {
    TgmEncodeMaskOptions mo = {true, true, NULL, NULL, NULL, -1};
    tgm_convert_options o = TGM_CONVERT_OPTIONS_INIT;
    o.mask_options = &mo;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t len;
        unsigned char *buf = read_case(cases[c].name, ".ten", &len);
        TT_ASSERT(buf != NULL);
        for (int h = 0; h < 2; h++) {
            o.hash_algo = h ? "xxh3" : NULL;
            tgm_bytes_t msg = {NULL, 0};
            TT_CHECK_ERR(tgm_convert_tenbin(buf, len, &o, &msg), TGM_ERROR_OK);
            int fd = temp_fd();
            TT_ASSERT(fd >= 0);
            uint64_t w = 0;
            TT_CHECK_ERR(tgm_convert_tenbin_fd(buf, len, &o, fd, &w), TGM_ERROR_OK);
            TT_CHECK(fd_holds(fd, w, msg.data, msg.len));
            close(fd);
            fd = temp_fd();
            TT_ASSERT(fd >= 0);
            TT_CHECK_ERR(tgm_convert_to_tenbin_fd(msg.data, msg.len, &o, fd, &w), TGM_ERROR_OK);
            TT_CHECK(fd_holds(fd, w, buf, len));
            close(fd);
            tgm_bytes_free(msg);
        }
        free(buf);
    }
    /* Our arrays, both orders, with data in either order. */
    size_t n = (3u << 20) / 8 + 5; /* more than the swap buffer, not a multiple of it */
    double *big = malloc(n * 8);
    TT_ASSERT(big != NULL);
    for (size_t k = 0; k < n; k++) {
        big[k] = (double)k * 0.5;
    }
    int16_t m[5] = {1, -2, 300, -32768, 9};
    uint64_t bs[1] = {n}, ms[1] = {5};
    tgm_tenbin_array in[3] = {
        {"float64", "big", 1, bs, (const uint8_t *)big, n * 8, false},
        {"int16", "m", 1, ms, (const uint8_t *)m, sizeof m, false},
        {"uint8", "", 0, NULL, (const uint8_t *)"x", 1, false},
    };
    for (int order = TGM_TENBIN_LITTLE; order <= TGM_TENBIN_NATIVE; order++) {
        tgm_bytes_t want = {NULL, 0};
        TT_CHECK_ERR(tgm_tenbin_write(in, 3, order, &want), TGM_ERROR_OK);
        int fd = temp_fd();
        TT_ASSERT(fd >= 0);
        uint64_t w = 0;
        TT_CHECK_ERR(tgm_tenbin_write_fd(in, 3, order, fd, &w), TGM_ERROR_OK);
        TT_CHECK(fd_holds(fd, w, want.data, want.len));
        close(fd);
        tgm_bytes_free(want);
    }
    free(big);
    /* Errors: nothing written for a bad array; a bad or read-only fd. */
    tgm_tenbin_array bad = {"complex64", "", 1, ms, (const uint8_t *)m, 16, false};
    int fd = temp_fd();
    TT_ASSERT(fd >= 0);
    TT_CHECK_ERR(tgm_tenbin_write_fd(&bad, 1, TGM_TENBIN_LITTLE, fd, NULL), TGM_ERROR_INVALID_ARG);
    TT_CHECK_ERR(tgm_convert_tenbin_fd((const uint8_t *)"not a ten file", 14, NULL, fd, NULL),
                 TGM_ERROR_FRAMING);
    TT_CHECK_EQ_INT(lseek(fd, 0, SEEK_END), 0);
    close(fd);
    TT_CHECK_ERR(tgm_tenbin_write_fd(in + 1, 1, TGM_TENBIN_LITTLE, -1, NULL),
                 TGM_ERROR_INVALID_ARG);
    int rd = open("/dev/null", O_RDONLY);
    TT_ASSERT(rd >= 0);
    TT_CHECK_ERR(tgm_tenbin_write_fd(in + 1, 1, TGM_TENBIN_LITTLE, rd, NULL), TGM_ERROR_IO);
    close(rd);
}

/* The uuid of a message's provenance. */
static void uuid_of(const tgm_bytes_t *msg, char out[64]) {
    out[0] = '\0';
    tgm_metadata_t *md = NULL;
    if (tgm_decode_metadata(msg->data, msg->len, &md) == TGM_ERROR_OK) {
        const tgm_value_t *u = tgm_value_map_get(tgm_metadata_reserved(md), "uuid");
        size_t n = 0;
        const char *t = u != NULL ? tgm_value_as_string(u, &n) : NULL;
        snprintf(out, 64, "%.*s", t != NULL && n < 64 ? (int)n : 0, t != NULL ? t : "");
        tgm_metadata_free(md);
    }
}

/* Records converted one after another (the encoder kept for alike
 * records): each the bytes of a conversion made fresh, a new provenance
 * per message, and a change of shape, names or options taken into
 * account. */
static void test_record_stream(void) {
    uint8_t image[32 * 32 * 3];
    int64_t label = 3;
    uint64_t ishape[3] = {32, 32, 3}, lshape[1] = {1}, other[3] = {16, 64, 3};
    tgm_tenbin_array rec[2] = {{"uint8", "image", 3, ishape, image, sizeof image, false},
                               {"int64", "label", 1, lshape, (const uint8_t *)&label, 8, false}};
    const char *prov = getenv("TENSOGRAM_PROVENANCE");
    char *saved = prov ? strdup(prov) : NULL;
    for (int fixed = 1; fixed >= 0; fixed--) {
        if (!fixed) {
            unsetenv("TENSOGRAM_PROVENANCE");
        } else if (saved != NULL) {
            setenv("TENSOGRAM_PROVENANCE", saved, 1);
        }
        char last_uuid[64] = "";
        for (int r = 0; r < 6; r++) {
            for (size_t k = 0; k < sizeof image; k++) {
                image[k] = (uint8_t)(k * 7 + (size_t)r);
            }
            label = r;
            rec[0].shape = r == 4 ? other : ishape; /* same size, other shape */
            snprintf(rec[1].info, sizeof rec[1].info, "%s", r == 5 ? "lbl" : "label");
            tgm_bytes_t ten = {NULL, 0}, msg = {NULL, 0};
            TT_ASSERT(tgm_tenbin_write(rec, 2, TGM_TENBIN_LITTLE, &ten) == TGM_ERROR_OK);
            tgm_convert_options o = TGM_CONVERT_OPTIONS_INIT;
            o.hash_algo = r == 3 ? NULL : "xxh3";
            TT_CHECK_ERR(tgm_convert_tenbin(ten.data, ten.len, &o, &msg), TGM_ERROR_OK);
            if (fixed) {
                /* The same bytes as the descriptor writer (no kept encoder). */
                int fd = temp_fd();
                uint64_t w = 0;
                TT_ASSERT(fd >= 0);
                TT_CHECK_ERR(tgm_convert_tenbin_fd(ten.data, ten.len, &o, fd, &w), TGM_ERROR_OK);
                TT_CHECK(fd_holds(fd, w, msg.data, msg.len));
                close(fd);
            } else {
                char u[64];
                uuid_of(&msg, u);
                TT_CHECK(u[0] != '\0' && strcmp(u, last_uuid) != 0);
                snprintf(last_uuid, sizeof last_uuid, "%s", u);
            }
            /* And the record comes back. */
            tgm_bytes_t back = {NULL, 0};
            TT_CHECK_ERR(tgm_convert_to_tenbin(msg.data, msg.len, NULL, &back), TGM_ERROR_OK);
            TT_CHECK(back.len == ten.len && memcmp(back.data, ten.data, ten.len) == 0);
            tgm_bytes_free(back);
            tgm_bytes_free(msg);
            tgm_bytes_free(ten);
        }
    }
    if (saved != NULL) {
        setenv("TENSOGRAM_PROVENANCE", saved, 1);
    }
    free(saved);
    /* A NaN the options refuse, then allow. */
    double v[3] = {1.0, NAN, 2.0};
    uint64_t vs[1] = {3};
    tgm_tenbin_array a = {"float64", "v", 1, vs, (const uint8_t *)v, sizeof v, false};
    tgm_bytes_t ten = {NULL, 0}, msg = {NULL, 0};
    TT_ASSERT(tgm_tenbin_write(&a, 1, TGM_TENBIN_LITTLE, &ten) == TGM_ERROR_OK);
    TT_CHECK_ERR(tgm_convert_tenbin(ten.data, ten.len, NULL, &msg), TGM_ERROR_ENCODING);
    TT_CHECK(strstr(tgm_last_error(), "NaN") != NULL);
    TgmEncodeMaskOptions mo = {true, false, NULL, NULL, NULL, -1};
    tgm_convert_options o = TGM_CONVERT_OPTIONS_INIT;
    o.mask_options = &mo;
    TT_CHECK_ERR(tgm_convert_tenbin(ten.data, ten.len, &o, &msg), TGM_ERROR_OK);
    tgm_bytes_free(msg);
    tgm_bytes_free(ten);
}

int main(void) {
    const char *shared = tt_shared_dir();
    if (shared == NULL) {
        TT_SKIP("the reference's tenbin files are not available (TGM_SHARED_DIR)");
        return TT_SKIP_CODE;
    }
    snprintf(dir, sizeof dir, "%s/tenbin", shared);
    /* Fixed provenance: buffer and descriptor outputs compare byte for byte. */
    setenv("TENSOGRAM_PROVENANCE",
           "{\"encoder\":{\"name\":\"tensogram\",\"version\":\"0.0.0\"},\"time\":"
           "\"2026-01-01T00:00:00Z\",\"uuid\":\"00000000-0000-4000-8000-000000000000\"}",
           1);
    TT_RUN(test_reference_files);
    TT_RUN(test_byte_orders_uint32_scalar);
    TT_RUN(test_hostile);
    TT_RUN(test_conversion);
    TT_RUN(test_pipeline_and_names);
    TT_RUN(test_fd_writers);
    TT_RUN(test_record_stream);
    return tt_finish("convert_test_tenbin");
}
