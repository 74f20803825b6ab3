/* The CBOR reader, canonical-form check and canonical writer on arbitrary
 * bytes.  Whatever the reader accepts must re-encode; the re-encoding
 * must pass the canonical check (duplicate keys aside) and be a fixed point of decode+encode; an
 * input the check calls canonical must re-encode to itself. */
#include "cbor/cbor.h"
#include "common/arena.h"
#include "common/buf.h"
#include "fuzz.h"
#include "json/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fz_init();
    tgm_arena a = TGM_ARENA_INIT;
    tgm_buf e1 = TGM_BUF_INIT, e2 = TGM_BUF_INIT, js = TGM_BUF_INIT;
    tgm_val *v = NULL, *v2 = NULL;
    size_t used = 0, used2 = 0;
    tgm_error canon_in = tgm__cbor_check_canonical(data, size);
    if (tgm__cbor_decode(data, size, &a, NULL, &v, &used) != TGM_ERROR_OK) {
        FZ_REQUIRE(canon_in != TGM_ERROR_OK);
        goto done;
    }
    FZ_REQUIRE(used <= size);
    if (tgm__cbor_encode(v, &e1) != TGM_ERROR_OK) {
        goto done; /* e.g. nesting the writer refuses */
    }
    /* The writer keeps duplicate map keys (as the reference does); the
     * check rightly refuses them.  Anything else must pass. */
    if (tgm__cbor_check_canonical(e1.data, e1.len) != TGM_ERROR_OK) {
        FZ_REQUIRE(strstr(tgm_last_error(), "duplicate map key") != NULL);
    }
    FZ_REQUIRE(tgm__cbor_decode(e1.data, e1.len, &a, NULL, &v2, &used2) == TGM_ERROR_OK);
    FZ_REQUIRE(used2 == e1.len);
    FZ_REQUIRE(tgm__cbor_encode(v2, &e2) == TGM_ERROR_OK);
    FZ_REQUIRE(e2.len == e1.len && memcmp(e1.data, e2.data, e1.len) == 0);
    if (canon_in == TGM_ERROR_OK) {
        FZ_REQUIRE(used == size && e1.len == size && memcmp(e1.data, data, size) == 0);
    }
    /* JSON view of the same tree (may refuse non-JSON items). */
    if (tgm__json_write(v, TGM_JSON_COMPACT, &js) == TGM_ERROR_OK) {
        tgm_val *back = NULL;
        (void)tgm__json_parse((const char *)js.data, js.len, &a, &back);
    }
done:
    tgm__buf_free(&e1);
    tgm__buf_free(&e2);
    tgm__buf_free(&js);
    tgm__arena_free(&a);
    return 0;
}
