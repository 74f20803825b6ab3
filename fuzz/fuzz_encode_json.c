/* tgm_encode with fuzzed JSON metadata and small data.  Input: JSON text,
 * a NUL byte, one control byte, then bytes that fill the data buffers
 * (repeated as needed).  Buffer sizes follow each descriptor's shape and
 * dtype so encoding gets past the size check.  Whatever encodes must
 * decode; lossless pipelines must give the data back. */
#include "cbor/value.h"
#include "common/arena.h"
#include "dtype/dtype.h"
#include "fuzz.h"
#include "json/json.h"

#define FZ_MAX_OBJ 4
#define FZ_MAX_DATA 65536

/* Expected raw size of descriptor d, or a small wrong size when unknown. */
static size_t expected_size(const tgm_val *d) {
    const tgm_val *shape = tgm__val_map_get(d, "shape");
    const tgm_val *dt = tgm__val_map_get(d, "dtype");
    if (shape == NULL || shape->kind != TGM_V_ARRAY || dt == NULL || dt->kind != TGM_V_TEXT) {
        return 8;
    }
    int t = tgm__dtype_parse(dt->p.str, dt->len);
    if (t < 0) {
        return 8;
    }
    uint64_t n = 1;
    for (size_t i = 0; i < shape->len; i++) {
        const tgm_val *e = &shape->p.items[i];
        if (e->kind != TGM_V_INT || e->neg || (e->num.u != 0 && n > UINT64_MAX / e->num.u)) {
            return 8;
        }
        n *= e->num.u;
    }
    uint64_t bytes;
    if (tgm__dtype_payload_size((tgm_dtype)t, n, &bytes) || bytes > FZ_MAX_DATA) {
        return 8;
    }
    return (size_t)bytes;
}

static int lossless(const tgm_message_t *m, size_t i) {
    const char *c = tgm_object_compression(m, i);
    const char *e = tgm_payload_encoding(m, i);
    const char *t = tgm_object_dtype(m, i);
    return c != NULL && e != NULL && t != NULL && strcmp(e, "none") == 0 && strcmp(c, "zfp") != 0 &&
           strcmp(c, "sz3") != 0 && strcmp(t, "bitmask") != 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fz_init();
    const uint8_t *nul = memchr(data, 0, size);
    size_t tlen = nul ? (size_t)(nul - data) : size;
    char *text = malloc(tlen + 1);
    FZ_REQUIRE(text != NULL);
    memcpy(text, data, tlen);
    text[tlen] = '\0';
    fz_in in = {nul ? nul + 1 : data + size, nul ? size - tlen - 1 : 0};
    uint8_t ctl = fz_u8(&in);

    tgm_arena a = TGM_ARENA_INIT;
    tgm_val *root = NULL;
    size_t nobj = 0;
    size_t lens[FZ_MAX_OBJ] = {0};
    if (tgm__json_parse(text, tlen, &a, &root) == TGM_ERROR_OK) {
        const tgm_val *ds = tgm__val_map_get(root, "descriptors");
        if (ds != NULL && ds->kind == TGM_V_ARRAY) {
            nobj = ds->len < FZ_MAX_OBJ ? ds->len : FZ_MAX_OBJ;
            for (size_t i = 0; i < nobj; i++) {
                lens[i] = expected_size(&ds->p.items[i]);
            }
        }
    }
    tgm__arena_free(&a);

    uint8_t *bufs[FZ_MAX_OBJ] = {NULL};
    const uint8_t *ptrs[FZ_MAX_OBJ];
    for (size_t i = 0; i < FZ_MAX_OBJ; i++) {
        bufs[i] = malloc(lens[i] ? lens[i] : 1);
        FZ_REQUIRE(bufs[i] != NULL);
        for (size_t k = 0; k < lens[i]; k++) {
            bufs[i][k] = in.n ? in.p[(k + 7 * i) % in.n] : (uint8_t)k;
        }
        ptrs[i] = bufs[i];
    }

    TgmEncodeMaskOptions mo = {(ctl & 1) != 0, (ctl & 2) != 0, NULL, NULL, NULL, -1};
    const char *methods[4] = {NULL, "rle", "roaring", "none"};
    mo.nan_mask_method = methods[(ctl >> 2) & 3];
    const char *hash = (ctl & 16) ? "xxh3" : NULL;
    uint32_t threads = (ctl & 32) ? 2 : 1;
    tgm_bytes_t out = {NULL, 0};
    tgm_error e;
    if (ctl & 64) {
        e = tgm_encode_pre_encoded(text, ptrs, lens, nobj, hash, threads, &out);
    } else {
        e = tgm_encode_with_options(text, ptrs, lens, nobj, hash, threads, &mo, &out);
    }
    if (e == TGM_ERROR_OK) {
        tgm_message_t *m = NULL;
        tgm_error de = tgm_decode(out.data, out.len, 0, 1, hash != NULL, &m);
        if (ctl & 64) {
            /* pre-encoded payloads are the caller's word: they may not decode */
            tgm_message_free(m);
        } else {
            FZ_REQUIRE(de == TGM_ERROR_OK);
            FZ_REQUIRE(tgm_message_num_objects(m) == nobj);
            for (size_t i = 0; i < nobj; i++) {
                size_t l = 0;
                const uint8_t *d = tgm_object_data(m, i, &l);
                if (!(ctl & 3) && lossless(m, i)) {
                    FZ_REQUIRE(l == lens[i] && (l == 0 || memcmp(d, bufs[i], l) == 0));
                }
            }
            tgm_message_free(m);
        }
        tgm_metadata_t *md = NULL;
        FZ_REQUIRE(tgm_decode_metadata(out.data, out.len, &md) == TGM_ERROR_OK);
        tgm_metadata_free(md);
        tgm_scan_result_t *sr = NULL;
        FZ_REQUIRE(tgm_scan(out.data, out.len, &sr) == TGM_ERROR_OK);
        FZ_REQUIRE(tgm_scan_count(sr) == 1 && tgm_scan_entry(sr, 0).length == out.len);
        tgm_scan_free(sr);
        tgm_bytes_free(out);
    }
    for (size_t i = 0; i < FZ_MAX_OBJ; i++) {
        free(bufs[i]);
    }
    free(text);
    return 0;
}
