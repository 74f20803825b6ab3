/* Compressed payloads written straight into their frame (the pipeline's
 * payload slot, message/encode.c): for one-object messages above 64 KiB the
 * codec writes into the message buffer at the payload's place.  Checked
 * here through the public API, with a fixed provenance so that messages
 * compare byte for byte:
 *  - tgm_encode (a growing buffer) and tgm_encode_into with ample, exact
 *    and short capacities give the same message (a slot too small for the
 *    codec falls back to an owned buffer; one byte short is refused with
 *    the exact size needed);
 *  - when the real layout differs from the slot's (masks after the
 *    payload, a payload length of another CBOR width), the payload is moved
 *    to its place: the message decodes to the input, with hashes verified;
 *  - the same message as a two-object encode (which takes no slot) holds,
 *    object for object, the same payload bytes. */
#include <math.h>
#include <stdlib.h>

#include "common/alloc.h"
#include "tensogram/tensogram.h"
#include "tt.h"

#define PROVENANCE                                                                                 \
    "{\"encoder\":{\"name\":\"tensogram\",\"version\":\"0.0.0\"},\"time\":\"2026-01-01T00:00:"     \
    "00Z\","                                                                                       \
    "\"uuid\":\"00000000-0000-4000-8000-000000000000\"}"

static const char *const PIPELINES[] = {
    "\"compression\":\"lz4\"",
    "\"compression\":\"zstd\",\"zstd_level\":3",
    "\"compression\":\"blosc2\",\"blosc2_codec\":\"lz4\",\"blosc2_clevel\":5",
    "\"compression\":\"szip\",\"szip_rsi\":128,\"szip_block_size\":16,\"szip_flags\":8",
};

/* kind 0: values with random low bits (barely compressible); 1: zeros
 * (compress to almost nothing: the length's CBOR width differs from the
 * slot's estimate); 2: kind 0 with NaNs (masks follow the payload). */
static double *make(size_t n, int kind) {
    double *v = tgm__malloc(n * sizeof *v);
    uint64_t s = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; v != NULL && i < n; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        v[i] = kind == 1 ? 0.0 : 1.0 + (double)(s >> 11) * (1.0 / 9007199254740992.0);
        if (kind == 2 && i % 9973 == 5) {
            v[i] = NAN;
        }
    }
    return v;
}

/* `pad` bytes of message-level metadata: above 65535 the header's offsets
 * take wider CBOR integers, which shifts the index frame's size. */
static void meta_for(char *buf, size_t cap, size_t n, const char *pipe, int objects, size_t pad) {
    char one[512];
    snprintf(one, sizeof one,
             "{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[%zu],\"strides\":[1],"
             "\"dtype\":\"%s\",\"byte_order\":\"little\",\"encoding\":\"none\","
             "\"filter\":\"none\",%s}",
             strstr(pipe, "szip") != NULL ? 2 * n : n,
             strstr(pipe, "szip") != NULL ? "uint32" : "float64", pipe);
    int k = snprintf(buf, cap, "{\"descriptors\":[%s%s%s],\"note\":\"", one,
                     objects == 2 ? "," : "", objects == 2 ? one : "");
    for (size_t i = 0; k > 0 && i < pad && (size_t)k + 3 < cap; i++) {
        buf[k++] = 'x';
    }
    snprintf(buf + k, cap - (size_t)k, "\"}");
}

/* Decode (hashes verified when `verify`) and compare with the input (NaNs
 * where the input has them). */
static int decodes_to(const uint8_t *msg, size_t len, const double *v, size_t n, int verify) {
    tgm_message_t *m = NULL;
    tgm_error e = tgm_decode(msg, len, 1, 1, verify, &m);
    TT_CHECK_ERR(e, TGM_ERROR_OK);
    if (e != TGM_ERROR_OK) {
        return 0;
    }
    size_t dl = 0;
    const double *d = (const double *)(const void *)tgm_object_data(m, 0, &dl);
    int ok = d != NULL && dl == n * 8;
    for (size_t i = 0; ok && i < n; i++) {
        ok = isnan(v[i]) ? isnan(d[i]) : memcmp(&d[i], &v[i], 8) == 0;
    }
    tgm_message_free(m);
    return ok;
}

static char meta[80000], meta2[81000];

static void test_same_message_every_way(void) {
    const size_t n = 200003; /* 1.6 MB: above the slot threshold, odd */
    for (int variant = 0; variant < 5; variant++) {
        int kind = variant < 3 ? variant : 1;
        size_t pad = variant < 3 ? 0 : variant == 3 ? 70000 : 70004;
        double *v = make(n, kind);
        TT_ASSERT(v != NULL);
        for (size_t pi = 0; pi < sizeof PIPELINES / sizeof PIPELINES[0]; pi++) {
            for (int hashed = 0; hashed < 2; hashed++) {
                const char *hash = hashed ? "xxh3" : NULL;
                meta_for(meta, sizeof meta, n, PIPELINES[pi], 1, pad);
                const uint8_t *ptrs[2] = {(const uint8_t *)v, (const uint8_t *)v};
                size_t lens[2] = {n * 8, n * 8};
                TgmEncodeMaskOptions mo;
                memset(&mo, 0, sizeof mo);
                mo.allow_nan = true;
                const TgmEncodeMaskOptions *mop = kind == 2 ? &mo : NULL;

                tgm_bytes_t grown = {NULL, 0};
                TT_CHECK_ERR(tgm_encode_with_options(meta, ptrs, lens, 1, hash, 1, mop, &grown),
                             TGM_ERROR_OK);
                if (grown.data == NULL) {
                    continue;
                }
                TT_CHECK(decodes_to(grown.data, grown.len, v, n, hashed));

                /* Ample, exact and short capacities. */
                size_t caps[] = {grown.len + n * 8, grown.len + 64, grown.len, grown.len - 1};
                for (int ci = 0; ci < 4; ci++) {
                    uint8_t *dst = tgm__malloc(caps[ci]);
                    TT_ASSERT(dst != NULL);
                    size_t got = 0;
                    tgm_error e =
                        tgm_encode_into(meta, ptrs, lens, 1, hash, 1, mop, dst, caps[ci], &got);
                    if (ci < 3) {
                        TT_CHECK_ERR(e, TGM_ERROR_OK);
                        TT_CHECK(got == grown.len && memcmp(dst, grown.data, got) == 0);
                    } else {
                        TT_CHECK_ERR(e, TGM_ERROR_INVALID_ARG);
                        TT_CHECK_EQ_INT(got, grown.len);
                    }
                    tgm__free(dst);
                }

                /* Two objects take no slot: each payload as in the one-object
                 * message (compared through the decoded objects and sizes). */
                meta_for(meta2, sizeof meta2, n, PIPELINES[pi], 2, pad);
                tgm_bytes_t two = {NULL, 0};
                TT_CHECK_ERR(tgm_encode_with_options(meta2, ptrs, lens, 2, hash, 1, mop, &two),
                             TGM_ERROR_OK);
                tgm_message_t *m = NULL;
                if (two.data != NULL &&
                    tgm_decode(two.data, two.len, 1, 1, hashed, &m) == TGM_ERROR_OK) {
                    size_t dl0 = 0, dl1 = 0;
                    const uint8_t *d0 = tgm_object_data(m, 0, &dl0);
                    const uint8_t *d1 = tgm_object_data(m, 1, &dl1);
                    TT_CHECK(d0 != NULL && d1 != NULL && dl0 == dl1 && memcmp(d0, d1, dl0) == 0);
                    tgm_message_free(m);
                } else {
                    TT_CHECK(0);
                }
                tgm_bytes_free(two);
                tgm_bytes_free(grown);
            }
        }
        tgm__free(v);
    }
}

int main(void) {
    if (setenv("TENSOGRAM_PROVENANCE", PROVENANCE, 1) != 0) {
        return 1;
    }
    TT_RUN(test_same_message_every_way);
    return tt_finish("test_payload_slot");
}
