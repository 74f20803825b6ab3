/* The tenbin reader (libtensogram_convert) on arbitrary bytes, in each
 * byte-order mode: every array it returns lies inside the input with a size
 * that matches its shape; what it reads, the writer writes and the reader
 * reads back identically; and a record that converts to a Tensogram
 * message comes back from it with the same arrays.  The descriptor writers
 * (`_fd`) agree with the buffer ones: same outcome, same bytes (the
 * message's provenance is fixed for that). */
#include <stdlib.h>
#include <unistd.h>

#include "fuzz.h"
#include "tensogram/convert.h"

/* A scratch file, emptied before each use; -1 when none can be made. */
static int scratch(void) {
    static int fd = -2;
    if (fd == -2) {
        char path[] = "/tmp/fuzz_tenbin_XXXXXX";
        fd = mkstemp(path);
        if (fd >= 0) {
            unlink(path);
        }
    }
    if (fd >= 0 && (ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0)) {
        return -1;
    }
    return fd;
}

/* fd holds exactly b (and the writer said so). */
static void holds(int fd, uint64_t written, const tgm_bytes_t *b) {
    FZ_REQUIRE(written == b->len && lseek(fd, 0, SEEK_END) == (off_t)b->len);
    uint8_t *got = malloc(b->len ? b->len : 1);
    FZ_REQUIRE(got != NULL && pread(fd, got, b->len, 0) == (ssize_t)b->len);
    FZ_REQUIRE(b->len == 0 || memcmp(got, b->data, b->len) == 0);
    free(got);
}

static void same_arrays(const tgm_tenbin_record_t *a, const tgm_tenbin_record_t *b) {
    FZ_REQUIRE(tgm_tenbin_record_count(a) == tgm_tenbin_record_count(b));
    for (size_t i = 0; i < tgm_tenbin_record_count(a); i++) {
        const tgm_tenbin_array *x = tgm_tenbin_record_array(a, i);
        const tgm_tenbin_array *y = tgm_tenbin_record_array(b, i);
        FZ_REQUIRE(strcmp(x->dtype, y->dtype) == 0 && strcmp(x->info, y->info) == 0);
        FZ_REQUIRE(x->ndim == y->ndim && x->nbytes == y->nbytes);
        FZ_REQUIRE(x->ndim == 0 || memcmp(x->shape, y->shape, x->ndim * sizeof *x->shape) == 0);
        if (x->big_endian == y->big_endian) {
            FZ_REQUIRE(x->nbytes == 0 || memcmp(x->data, y->data, x->nbytes) == 0);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fz_init();
    setenv("TENSOGRAM_PROVENANCE",
           "{\"encoder\":{\"name\":\"tensogram\",\"version\":\"0.0.0\"},\"time\":"
           "\"2026-01-01T00:00:00Z\",\"uuid\":\"00000000-0000-4000-8000-000000000000\"}",
           0);
    for (int32_t order = TGM_TENBIN_AUTO; order <= TGM_TENBIN_BIG; order++) {
        tgm_tenbin_record_t *rec = NULL;
        if (tgm_tenbin_read(data, size, order, &rec) != TGM_ERROR_OK) {
            continue;
        }
        size_t n = tgm_tenbin_record_count(rec);
        tgm_tenbin_array *arrays = calloc(n ? n : 1, sizeof *arrays);
        FZ_REQUIRE(arrays != NULL);
        for (size_t i = 0; i < n; i++) {
            const tgm_tenbin_array *a = tgm_tenbin_record_array(rec, i);
            FZ_REQUIRE(a != NULL && a->data >= data && a->nbytes <= size &&
                       (size_t)(a->data - data) <= size - a->nbytes);
            FZ_REQUIRE(strlen(a->info) <= 8);
            arrays[i] = *a;
        }
        /* Written again in the order it was read, it reads back the same
         * (infos that are not ASCII are refused by the writer). */
        tgm_bytes_t out = {NULL, 0};
        int32_t wo = n > 0 && arrays[0].big_endian ? TGM_TENBIN_BIG : TGM_TENBIN_LITTLE;
        if (tgm_tenbin_write(arrays, n, wo, &out) == TGM_ERROR_OK) {
            tgm_tenbin_record_t *again = NULL;
            FZ_REQUIRE(tgm_tenbin_read(out.data, out.len, wo, &again) == TGM_ERROR_OK);
            same_arrays(rec, again);
            tgm_tenbin_record_free(again);
            tgm_bytes_free(out);
        }
        /* To Tensogram and back, NaN / Inf allowed. */
        if (order == TGM_TENBIN_AUTO) {
            TgmEncodeMaskOptions mo = {true, true, NULL, NULL, NULL, -1};
            tgm_convert_options o = TGM_CONVERT_OPTIONS_INIT;
            o.mask_options = &mo;
            o.tenbin_byte_order = order;
            o.hash_algo = NULL;
            tgm_bytes_t msg = {NULL, 0};
            tgm_error e = tgm_convert_tenbin(data, size, &o, &msg);
            int fd = scratch();
            uint64_t w = 0;
            if (fd >= 0) {
                FZ_REQUIRE(tgm_convert_tenbin_fd(data, size, &o, fd, &w) == e);
                if (e == TGM_ERROR_OK) {
                    holds(fd, w, &msg);
                }
            }
            if (e == TGM_ERROR_OK) {
                tgm_bytes_t ten = {NULL, 0};
                o.tenbin_byte_order = wo;
                e = tgm_convert_to_tenbin(msg.data, msg.len, &o, &ten);
                if ((fd = scratch()) >= 0) {
                    FZ_REQUIRE(tgm_convert_to_tenbin_fd(msg.data, msg.len, &o, fd, &w) == e);
                    if (e == TGM_ERROR_OK) {
                        holds(fd, w, &ten);
                    }
                }
                if (e == TGM_ERROR_OK) {
                    tgm_tenbin_record_t *back = NULL;
                    FZ_REQUIRE(tgm_tenbin_read(ten.data, ten.len, wo, &back) == TGM_ERROR_OK);
                    FZ_REQUIRE(tgm_tenbin_record_count(back) == n);
                    tgm_tenbin_record_free(back);
                    tgm_bytes_free(ten);
                }
                tgm_bytes_free(msg);
            }
        }
        free(arrays);
        tgm_tenbin_record_free(rec);
    }
    return 0;
}
