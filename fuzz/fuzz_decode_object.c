/* Object-at-a-time access on arbitrary bytes: tgm_decode_object (through
 * the index when present), the object iterator, descriptors only and the
 * stored payloads.  The first input byte picks the object index. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fz_init();
    fz_in in = {data, size};
    size_t want = fz_u8(&in);
    const uint8_t *buf = in.p;
    size_t len = in.n;

    tgm_message_t *m = NULL;
    tgm_error e = tgm_decode_object(buf, len, want % 8, 1, 1, (want & 0x80) != 0, &m);
    if (e == TGM_ERROR_OK) {
        FZ_REQUIRE(tgm_message_num_objects(m) == 1);
        size_t n = 0;
        const uint8_t *od = tgm_object_data(m, 0, &n);
        fz_touch(od, n);
        const char *dj = tgm_object_descriptor_json(m, 0);
        FZ_REQUIRE(dj != NULL);
        tgm_message_free(m);
    }

    tgm_object_iter_t *it = NULL;
    if (tgm_object_iter_create(buf, len, (want & 0x40) != 0, 0, &it) == TGM_ERROR_OK) {
        for (int k = 0; k < 8; k++) {
            tgm_message_t *one = NULL;
            e = tgm_object_iter_next(it, &one);
            if (e != TGM_ERROR_OK) {
                break;
            }
            size_t n = 0;
            const uint8_t *od = tgm_object_data(one, 0, &n);
            fz_touch(od, n);
            tgm_message_free(one);
        }
        tgm_object_iter_free(it);
    }

    tgm_message_t *d = NULL;
    if (tgm_decode_descriptors(buf, len, &d) == TGM_ERROR_OK) {
        for (size_t i = 0; i < tgm_message_num_objects(d) && i < 8; i++) {
            FZ_REQUIRE(tgm_object_descriptor_json(d, i) != NULL);
            size_t n = 7;
            FZ_REQUIRE(tgm_object_data(d, i, &n) == NULL && n == 0);
        }
        tgm_message_free(d);
    }
    tgm_message_t *enc = NULL;
    if (tgm_decode_encoded(buf, len, &enc) == TGM_ERROR_OK) {
        for (size_t i = 0; i < tgm_message_num_objects(enc) && i < 8; i++) {
            size_t n = 0;
            const uint8_t *od = tgm_object_data(enc, i, &n);
            fz_touch(od, n);
        }
        tgm_message_free(enc);
    }
    return 0;
}
