/* simple_packing decode with the claimed value count and parameters taken
 * from the input: 24 parameter bytes, then the packed bytes.  Parameters
 * pass tgm__sp_check_params first, as the pipeline does.  A range decode
 * of decoded values must match the full decode bit for bit. */
#include "encodings/simple_packing.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fz_init();
    fz_in in = {data, size};
    tgm_sp_params p;
    uint8_t bits = fz_u8(&in);
    uint8_t ctl = fz_u8(&in);
    p.bits_per_value = bits % 72; /* a few invalid widths too */
    p.reference_value = fz_f64(&in);
    p.binary_scale_factor = (int16_t)fz_u16(&in);
    p.decimal_scale_factor = (int8_t)fz_u8(&in);
    uint32_t nclaim = fz_u32(&in);
    uint32_t r = fz_u32(&in);
    uint8_t cb_sel = fz_u8(&in);
    uint32_t cb = 0;
    if (ctl & 1) {
        cb = cb_sel % 10; /* container layout, some invalid widths */
    }
    int big = (ctl >> 1) & 1;
    if (ctl & 4) {
        p.binary_scale_factor %= 300;
    }
    if (tgm__sp_check_params(&p) != TGM_ERROR_OK) {
        return 0;
    }
    size_t n = nclaim % (1u << 17);
    const uint8_t *packed = in.p;
    size_t plen = in.n;

    size_t need = 0;
    if (tgm__sp_packed_size(n, p.bits_per_value, cb, &need) != TGM_ERROR_OK) {
        return 0;
    }
    uint8_t *dst = malloc(n * 8 + 1);
    FZ_REQUIRE(dst != NULL);
    tgm_error e = tgm__sp_decode(packed, plen, n, &p, cb, dst, big, 1 + (ctl >> 7));
    FZ_REQUIRE(e != TGM_ERROR_OK || plen >= need);
    size_t first_max = need; /* range decode reads from inside the packed bytes */
    if (e == TGM_ERROR_OK && n > 0) {
        size_t off = r % n;
        size_t cnt = (r >> 16) % (n - off + 1);
        uint64_t bit = cb ? (uint64_t)off * cb * 8 : (uint64_t)off * p.bits_per_value;
        uint8_t *part = malloc(cnt * 8 + 1);
        FZ_REQUIRE(part != NULL);
        /* The pipeline hands range decode the bytes from the first one
         * the range touches. */
        size_t first = (size_t)(bit / 8);
        if (first > first_max) {
            first = first_max; /* bits == 0: nothing is stored */
            bit = (uint64_t)first * 8;
        }
        e = tgm__sp_decode_range(packed + first, plen - first, bit % 8, cnt, &p, cb, part, big);
        FZ_REQUIRE(e == TGM_ERROR_OK);
        FZ_REQUIRE(cnt == 0 || memcmp(part, dst + off * 8, cnt * 8) == 0);
        free(part);
    }
    free(dst);
    return 0;
}
