/* The sz3 codec through its table entry (codecs/sz3.c): decoder on hostile
 * streams, encoder on whatever values come out (or on raw input bytes).
 *
 * Input: u32 claimed value count (modulo FZ_SZ3_MAX_VALUES + 1), u8 mode
 * (bits 0-1: abs / rel / psnr, bit 6: decode only, bit 7: compress the
 * stream bytes as doubles instead of decoding them), u8 bound selector,
 * then the stream.
 *  - Decoding never reads or writes out of bounds, whatever the stream and
 *    the claim (the claim is what a descriptor would say).
 *  - Values that decode (or the raw doubles), up to 6000 of them, are
 *    compressed with the selected bound, and that stream must decode; finite values come back
 *    within the absolute bound the mode implies, and non-finite ones
 *    exactly (SZ3 stores them as unpredictable values). */
#include <math.h>

#include "codecs/codec.h"
#include "codecs/sz3.h"
#include "common/alloc.h"
#include "fuzz.h"

#define FZ_SZ3_MAX_VALUES ((size_t)1 << 15)
/* Round trips (with SZ3's tuning, a dozen trial compressions) only up to
 * this many values, past the 4096 where the anchor grid starts: the
 * fuzzer spends its time on the decoder. */
#define FZ_SZ3_MAX_ROUND_TRIP ((size_t)6000)

#ifdef TGM_HAVE_SZ3
static double range_of(const double *v, size_t n) {
    double hi = v[0], lo = v[0];
    for (size_t i = 1; i < n; i++) {
        hi = hi < v[i] ? v[i] : hi;
        lo = lo > v[i] ? v[i] : lo;
    }
    return hi - lo;
}

static void round_trip(const tgm_codec *c, const double *v, size_t n, int mode, uint8_t sel) {
    static const double abs_b[8] = {0, 1e-9, 1e-6, 1e-3, 1e-2, 0.5, 10, 1e6};
    static const double rel_b[8] = {0, 1e-7, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1};
    static const double psnr_b[8] = {-10, 0, 20, 40, 60, 80, 120, 200};
    double bound = mode == 0 ? abs_b[sel % 8] : mode == 1 ? rel_b[sel % 8] : psnr_b[sel % 8];
    tgm_codec_params p;
    tgm__codec_params_init(&p, sizeof(double), n * sizeof(double));
    tgm_sz3_params sp = {(tgm_sz3_mode)mode, bound};
    TGM_CODEC_OWN_PUT(&p, sp);
    tgm_buf out = TGM_BUF_INIT;
    tgm_error e = c->compress(&p, (const uint8_t *)v, n * sizeof(double), &out, NULL);
    FZ_REQUIRE(e == TGM_ERROR_OK);
    double *back = malloc(n * sizeof *back);
    FZ_REQUIRE(back != NULL);
    e = c->decompress(&p, out.data, out.len, (uint8_t *)back, n * sizeof(double));
    FZ_REQUIRE(e == TGM_ERROR_OK);
    double range = range_of(v, n);
    double eb = mode == 0   ? bound
                : mode == 1 ? bound * range
                            : range * pow(10, -(bound + 10 * log10(1 - 2.0 / 3.0 * 0.99)) / 20);
    eb *= 1 + 1e-12; /* the encoder rounds the same formula in its own order */
    for (size_t i = 0; i < n; i++) {
        if (isfinite(v[i])) {
            FZ_REQUIRE(!isfinite(eb) || fabs(back[i] - v[i]) <= eb);
        } else {
            FZ_REQUIRE(memcmp(&back[i], &v[i], sizeof v[i]) == 0);
        }
    }
    free(back);
    tgm__buf_free(&out);
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fz_init();
#ifdef TGM_HAVE_SZ3
    const tgm_codec *c = tgm__codec_find("sz3");
    FZ_REQUIRE(c != NULL);
    fz_in in = {data, size};
    size_t n = fz_u32(&in) % (FZ_SZ3_MAX_VALUES + 1);
    uint8_t mode = fz_u8(&in), sel = fz_u8(&in);
    int m = (mode & 3) % 3;
    if (mode & 0x80) {
        size_t count = in.n / sizeof(double);
        count = count < FZ_SZ3_MAX_ROUND_TRIP ? count : FZ_SZ3_MAX_ROUND_TRIP;
        if (count > 0) {
            double *v = malloc(count * sizeof *v);
            FZ_REQUIRE(v != NULL);
            memcpy(v, in.p, count * sizeof *v);
            round_trip(c, v, count, m, sel);
            free(v);
        }
        return 0;
    }
    double *dst = malloc(n ? n * sizeof *dst : 1);
    FZ_REQUIRE(dst != NULL);
    tgm_codec_params p;
    tgm__codec_params_init(&p, sizeof(double), n * sizeof(double));
    tgm_error e = c->decompress(&p, in.p, in.n, (uint8_t *)dst, n * sizeof *dst);
    if (e == TGM_ERROR_OK && n > 0) {
        fz_touch(dst, n * sizeof *dst);
        if (n <= FZ_SZ3_MAX_ROUND_TRIP && (mode & 0x40) == 0) {
            round_trip(c, dst, n, m, sel);
        }
    }
    free(dst);
#else
    (void)data;
    (void)size;
#endif
    return 0;
}
