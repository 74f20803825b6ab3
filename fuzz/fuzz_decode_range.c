/* tgm_decode_range on arbitrary bytes.  The front of the input picks the
 * object and up to four ranges, as fractions of the object's element
 * count when the descriptors can be read (so most ranges are in bounds),
 * else as raw numbers.  When both the range decode and a full decode of
 * the object succeed, each range must equal the matching slice. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fz_init();
    fz_in in = {data, size};
    uint8_t ctl = fz_u8(&in);
    size_t obj = ctl & 3;
    size_t nr = (size_t)((ctl >> 2) & 3) + 1;
    int join = (ctl >> 4) & 1;
    int native = (ctl >> 5) & 1;
    uint64_t a[4], b[4];
    for (size_t i = 0; i < 4; i++) {
        a[i] = fz_u32(&in);
        b[i] = fz_u32(&in);
    }
    const uint8_t *buf = in.p;
    size_t len = in.n;

    uint64_t nelem = 0;
    int known = 0;
    tgm_message_t *d = NULL;
    if (tgm_decode_descriptors(buf, len, &d) == TGM_ERROR_OK) {
        if (obj < tgm_message_num_objects(d)) {
            nelem = 1;
            const uint64_t *shape = tgm_object_shape(d, obj);
            for (uint64_t k = 0; k < tgm_object_ndim(d, obj); k++) {
                nelem =
                    shape[k] != 0 && nelem > UINT64_MAX / shape[k] ? UINT64_MAX : nelem * shape[k];
            }
            known = 1;
        }
        tgm_message_free(d);
    }
    uint64_t off[4], cnt[4];
    for (size_t i = 0; i < nr; i++) {
        if (known && !(ctl & 0x80)) {
            /* a[i], b[i] as fractions of the element count */
            off[i] = nelem == 0 ? 0 : (uint64_t)((double)nelem * (a[i] / 4294967296.0));
            if (off[i] > nelem) {
                off[i] = nelem;
            }
            uint64_t room = nelem - off[i];
            cnt[i] = room == 0 ? 0 : (uint64_t)((double)room * (b[i] / 4294967296.0)) % 4097;
            if (cnt[i] > room) {
                cnt[i] = room;
            }
        } else {
            off[i] = a[i] | (uint64_t)b[i] << 32;
            cnt[i] = b[i] & 0xffff;
        }
    }

    tgm_bytes_t out[4];
    size_t got = 0;
    tgm_error e = tgm_decode_range(buf, len, obj, off, cnt, nr, native, 1, join, out, &got);
    if (e != TGM_ERROR_OK) {
        return 0;
    }
    FZ_REQUIRE(got == (join ? 1 : nr));
    tgm_message_t *full = NULL;
    if (known && nelem > 0 &&
        tgm_decode_object(buf, len, obj, native, 1, 0, &full) == TGM_ERROR_OK) {
        size_t flen = 0;
        const uint8_t *fd = tgm_object_data(full, 0, &flen);
        size_t width = nelem == 0 ? 0 : flen / nelem;
        size_t pos = 0;
        for (size_t i = 0; i < nr; i++) {
            size_t rl = (size_t)cnt[i] * width;
            const tgm_bytes_t *r = join ? &out[0] : &out[i];
            size_t at = join ? pos : 0;
            FZ_REQUIRE(join ? at + rl <= r->len : r->len == rl);
            FZ_REQUIRE((size_t)off[i] * width + rl <= flen);
            FZ_REQUIRE(rl == 0 || memcmp(r->data + at, fd + off[i] * width, rl) == 0);
            pos += rl;
        }
        FZ_REQUIRE(!join || pos == out[0].len);
        tgm_message_free(full);
    } else {
        for (size_t i = 0; i < got; i++) {
            fz_touch(out[i].data, out[i].len);
        }
    }
    for (size_t i = 0; i < got; i++) {
        tgm_bytes_free(out[i]);
    }
    return 0;
}
