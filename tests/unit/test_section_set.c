/* tgm__section_set on a section in key order places the entry itself;
 * this test holds it to the definition it stands in for: the section with
 * the entry appended, normalised (sorted by key bytes, the last of equal
 * keys kept), over keys that sort before, between and after the others,
 * replace one, are empty or a prefix of another, and sections out of
 * order (which take the definition's own path). */
#include <string.h>

#include "cbor/cbor.h"
#include "meta/meta.h"
#include "tt.h"

static const char *const pool[] = {"", "a", "ab", "b", "ba", "base", "_reserved_", "z", "\xc3\xa9"};
#define NPOOL (sizeof pool / sizeof pool[0])

static void test_against_definition(void) {
    uint64_t r = 0x9e3779b97f4a7c15ull;
    for (int t = 0; t < 4000; t++) {
        tgm_arena a = TGM_ARENA_INIT;
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        size_t n = (size_t)(r % 7);
        tgm_val *m = tgm__val_map(&a, n);
        TT_ASSERT(m != NULL);
        for (size_t i = 0; i < n; i++) {
            r ^= r << 13, r ^= r >> 7, r ^= r << 17;
            const char *k = pool[r % NPOOL];
            TT_ASSERT(tgm__val_set_text(&a, &m->p.items[2 * i], k, strlen(k)) == 0);
            tgm__val_set_uint(&m->p.items[2 * i + 1], i);
        }
        /* two in three: normalised first (in order, the placing path) */
        const tgm_val *sec = t % 3 != 0 ? tgm__section_normalise(&a, m) : m;
        TT_ASSERT(sec != NULL);
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        const char *key = pool[r % NPOOL];
        tgm_val value;
        tgm__val_set_uint(&value, 1000 + (uint64_t)t);
        tgm_val *got = tgm__section_set(&a, sec, key, &value);
        /* the definition */
        tgm_val *tmp = tgm__val_map(&a, sec->len + 1);
        TT_ASSERT(got != NULL && tmp != NULL);
        if (sec->len > 0) {
            memcpy(tmp->p.items, sec->p.items, 2 * sec->len * sizeof(tgm_val));
        }
        TT_ASSERT(tgm__val_set_text(&a, &tmp->p.items[2 * sec->len], key, strlen(key)) == 0);
        tmp->p.items[2 * sec->len + 1] = value;
        tgm_val *want = tgm__section_normalise(&a, tmp);
        TT_ASSERT(want != NULL);
        bool same = tgm__val_equal(got, want);
        if (!same) {
            fprintf(stderr, "  case %d: key '%s' into %zu entries\n", t, key, sec->len);
        }
        TT_CHECK(same);
        tgm__arena_free(&a);
    }
}

int main(void) {
    TT_RUN(test_against_definition);
    return tt_finish("test_section_set");
}
