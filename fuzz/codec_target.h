/* One codec's decoder through its table (src/codecs/codec.h), included by
 * fuzz_codec_<name>.c, which defines FZ_CODEC to the codec's name before
 * the include and the codec's own hook after it:
 *
 *   static void fz_setup(fz_setup_args *a);
 *       maps the parameter bytes onto the codec's parameters (a->p) and may
 *       change the decoded size (a->dst_len), mark the codec lossy
 *       (a->lossless = 0) or set the unit of range decodes (a->unit);
 *
 * and, when it defines FZ_OFFSETS / FZ_ROUNDTRIP / FZ_CHECK before the include,
 *
 *   static int fz_offsets(const tgm_codec_params *p, const uint8_t *src, size_t n,
 *                         size_t dst_len, tgm_u64vec *offs);
 *       the block offsets a range decode needs (0: none can be had);
 *   static int fz_roundtrip(const tgm_codec_params *p, const uint8_t *d, size_t n);
 *       whether decoded bytes must survive compress + decompress;
 *   static void fz_check(const tgm_codec_params *p, const uint8_t *src, size_t n,
 *                        const uint8_t *dst, size_t dst_len, uint64_t rng);
 *       further invariants of a stream that decoded to dst (FZ_REQUIRE).
 *
 * Input: 22 parameter bytes, then the compressed stream.  The parameters
 * give the claimed decompressed size and the codec's settings, mostly
 * mapped onto valid values so the decoder itself gets exercised.  When a
 * stream decodes:
 *  - a range decode of part of it must give the same bytes;
 *  - for lossless codecs, compressing the output and decoding that again
 *    must give the output back. */
#include "codecs/codec.h"
#include "fuzz.h"

#define FZ_MAX_OUT ((size_t)1 << 16)

typedef struct fz_setup_args {
    uint32_t claim;
    uint8_t b0, b1, b2, b3;
    uint16_t w0;
    tgm_codec_params *p;
    size_t dst_len; /* claim % (FZ_MAX_OUT + 1) unless the hook says otherwise */
    int lossless;   /* 1 unless the hook says otherwise */
    size_t unit;    /* range decodes start and end on multiples of it (1) */
} fz_setup_args;

static void fz_setup(fz_setup_args *a);
#ifdef FZ_OFFSETS
static int fz_offsets(const tgm_codec_params *p, const uint8_t *src, size_t n, size_t dst_len,
                      tgm_u64vec *offs);
#endif
#ifdef FZ_ROUNDTRIP
static int fz_roundtrip(const tgm_codec_params *p, const uint8_t *d, size_t n);
#endif
#ifdef FZ_CHECK
static void fz_check(const tgm_codec_params *p, const uint8_t *src, size_t n, const uint8_t *dst,
                     size_t dst_len, uint64_t rng);
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fz_init();
    const tgm_codec *c = tgm__codec_find(FZ_CODEC);
    if (c == NULL) {
        return 0; /* not built in */
    }
    fz_in in = {data, size};
    uint32_t claim = fz_u32(&in);
    uint8_t b0 = fz_u8(&in), b1 = fz_u8(&in), b2 = fz_u8(&in), b3 = fz_u8(&in);
    uint16_t w0 = fz_u16(&in);
    uint64_t rng = fz_u64(&in);
    uint32_t extra = fz_u32(&in);
    (void)extra;

    tgm_codec_params p;
    fz_setup_args a = {claim, b0, b1, b2, b3, w0, &p, claim % (FZ_MAX_OUT + 1), 1, 1};
    tgm__codec_params_init(&p, 1, a.dst_len);
    p.threads = 1 + (b3 >> 7);
    fz_setup(&a);
    size_t dst_len = a.dst_len;

    const uint8_t *src = in.p;
    size_t n = in.n;
    uint8_t *dst = malloc(dst_len ? dst_len : 1);
    FZ_REQUIRE(dst != NULL);
    tgm_error e = c->decompress(&p, src, n, dst, dst_len);
    if (e != TGM_ERROR_OK) {
        free(dst);
        return 0;
    }

    /* Range decode of [pos, pos + cnt) against the full output. */
    if (c->decompress_range != NULL && dst_len > 0) {
        uint64_t pos = (rng & 0xffffffffu) % dst_len;
        uint64_t cnt = (rng >> 32) % (dst_len - pos + 1);
        pos -= pos % a.unit;
        cnt -= cnt % a.unit;
        uint8_t *part = malloc(cnt ? cnt : 1);
        FZ_REQUIRE(part != NULL);
        tgm_u64vec offs = TGM_U64VEC_INIT;
        int have_offsets = 1;
#ifdef FZ_OFFSETS
        have_offsets = fz_offsets(&p, src, n, dst_len, &offs);
#endif
        if (have_offsets) {
            e = c->decompress_range(&p, src, n, offs.v, offs.n, pos, cnt, part);
            FZ_REQUIRE(e == TGM_ERROR_OK);
            FZ_REQUIRE(cnt == 0 || memcmp(part, dst + pos, cnt) == 0);
        }
        tgm__u64vec_free(&offs);
        free(part);
    }

#ifdef FZ_CHECK
    fz_check(&p, src, n, dst, dst_len, rng);
#endif

    /* Lossless codecs: the output compresses and decodes back to itself. */
    int roundtrip = a.lossless && c->compress != NULL && (b3 & 1);
#ifdef FZ_ROUNDTRIP
    roundtrip = roundtrip && fz_roundtrip(&p, dst, dst_len);
#endif
    if (roundtrip) {
        tgm_buf out = TGM_BUF_INIT;
        if (c->compress(&p, dst, dst_len, &out, NULL) == TGM_ERROR_OK) {
            uint8_t *back = malloc(dst_len ? dst_len : 1);
            FZ_REQUIRE(back != NULL);
            e = c->decompress(&p, out.data, out.len, back, dst_len);
            FZ_REQUIRE(e == TGM_ERROR_OK);
            FZ_REQUIRE(dst_len == 0 || memcmp(back, dst, dst_len) == 0);
            free(back);
        }
        tgm__buf_free(&out);
    }
    free(dst);
    return 0;
}
