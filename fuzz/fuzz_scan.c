/* Scanning concatenated messages in arbitrary bytes: every entry lies
 * inside the buffer, entries do not overlap and appear in order, the
 * buffer iterator agrees with tgm_scan, and each found message at least
 * has readable metadata or fails cleanly. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fz_init();
    tgm_scan_result_t *sr = NULL;
    FZ_REQUIRE(tgm_scan(data, size, &sr) == TGM_ERROR_OK);
    size_t n = tgm_scan_count(sr);
    size_t end = 0;
    for (size_t i = 0; i < n; i++) {
        tgm_scan_entry_t e = tgm_scan_entry(sr, i);
        FZ_REQUIRE(e.length > 0 && e.offset <= size && e.length <= size - e.offset);
        FZ_REQUIRE(e.offset >= end);
        end = e.offset + e.length;
        if (i < 8) {
            tgm_metadata_t *md = NULL;
            if (tgm_decode_metadata(data + e.offset, e.length, &md) == TGM_ERROR_OK) {
                tgm_metadata_free(md);
            }
        }
    }
    tgm_scan_entry_t past = tgm_scan_entry(sr, n);
    FZ_REQUIRE(past.offset == 0 && past.length == 0);

    tgm_buffer_iter_t *it = NULL;
    FZ_REQUIRE(tgm_buffer_iter_create(data, size, &it) == TGM_ERROR_OK);
    FZ_REQUIRE(tgm_buffer_iter_count(it) == n);
    for (size_t i = 0;; i++) {
        const uint8_t *mb = NULL;
        size_t ml = 0;
        tgm_error e = tgm_buffer_iter_next(it, &mb, &ml);
        if (e == TGM_ERROR_END_OF_ITER) {
            FZ_REQUIRE(i == n);
            break;
        }
        FZ_REQUIRE(e == TGM_ERROR_OK && i < n);
        tgm_scan_entry_t se = tgm_scan_entry(sr, i);
        FZ_REQUIRE(mb == data + se.offset && ml == se.length);
    }
    tgm_buffer_iter_free(it);
    tgm_scan_free(sr);
    return 0;
}
