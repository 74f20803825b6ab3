/* Level 4: fidelity (WIRE_FORMAT §11.3).  The decoded size of every object
 * must match its shape and dtype, and float values must be finite except
 * where the object's NaN / Inf masks (§6.5) say a non-finite value was
 * substituted.  The first unexpected NaN or Inf of an object is
 * reported. */
#include <stdio.h>
#include <string.h>

#include "common/checked.h"
#include "common/endian.h"
#include "masks/masks.h"
#include "validate/validate_internal.h"

#define L4 TGM_VL_FIDELITY

enum { NF_NONE = 0, NF_NAN, NF_INF };

static inline uint16_t ld16(const uint8_t *p, bool big) {
    return big ? tgm__rd_be16(p) : tgm__rd_le16(p);
}
static inline uint32_t ld32(const uint8_t *p, bool big) {
    return big ? tgm__rd_be32(p) : tgm__rd_le32(p);
}
static inline uint64_t ld64(const uint8_t *p, bool big) {
    return big ? tgm__rd_be64(p) : tgm__rd_le64(p);
}

static inline int class32(uint32_t x) {
    return (x & 0x7f800000u) != 0x7f800000u ? NF_NONE : (x & 0x007fffffu) ? NF_NAN : NF_INF;
}
static inline int class64(uint64_t x) {
    const uint64_t e = 0x7ff0000000000000ull;
    return (x & e) != e ? NF_NONE : (x & 0x000fffffffffffffull) ? NF_NAN : NF_INF;
}

/* Index of the first element in [from, n) that is not finite, with its
 * kind and, for complex dtypes, the component (0 real, 1 imaginary: NaN
 * before Inf, real before imaginary); n when there is none. */
static size_t scan_exact(tgm_dtype dt, bool big, const uint8_t *p, size_t n, size_t from, int *kind,
                         int *comp) {
    *comp = -1;
    switch (dt) {
    case TGM_DT_FLOAT16:
    case TGM_DT_BFLOAT16: {
        const uint16_t em = dt == TGM_DT_FLOAT16 ? 0x7c00u : 0x7f80u;
        for (size_t i = from; i < n; i++) {
            uint16_t x = ld16(p + 2 * i, big);
            if ((x & em) == em) {
                *kind = (x & (uint16_t) ~(em | 0x8000u)) ? NF_NAN : NF_INF;
                return i;
            }
        }
        return n;
    }
    case TGM_DT_FLOAT32:
        for (size_t i = from; i < n; i++) {
            int k = class32(ld32(p + 4 * i, big));
            if (k) {
                *kind = k;
                return i;
            }
        }
        return n;
    case TGM_DT_FLOAT64:
        for (size_t i = from; i < n; i++) {
            int k = class64(ld64(p + 8 * i, big));
            if (k) {
                *kind = k;
                return i;
            }
        }
        return n;
    case TGM_DT_COMPLEX64:
        for (size_t i = from; i < n; i++) {
            int re = class32(ld32(p + 8 * i, big)), im = class32(ld32(p + 8 * i + 4, big));
            if (re | im) {
                /* Priority: real NaN, real Inf, imaginary NaN, imaginary Inf. */
                if (re) {
                    *kind = re;
                    *comp = 0;
                } else {
                    *kind = im;
                    *comp = 1;
                }
                return i;
            }
        }
        return n;
    case TGM_DT_COMPLEX128:
        for (size_t i = from; i < n; i++) {
            int re = class64(ld64(p + 16 * i, big)), im = class64(ld64(p + 16 * i + 8, big));
            if (re | im) {
                if (re) {
                    *kind = re;
                    *comp = 0;
                } else {
                    *kind = im;
                    *comp = 1;
                }
                return i;
            }
        }
        return n;
    default:
        return n; /* integers and bitmask have no non-finite values */
    }
}

#define SCAN_BLOCK 1024 /* elements checked at once before looking closer */

/* scan_exact over the whole remaining payload, skipping blocks in which a
 * quick exponent test finds nothing (the usual all-finite case runs at
 * memory speed). */
static size_t next_nonfinite(tgm_dtype dt, bool big, const uint8_t *p, size_t n, size_t from,
                             int *kind, int *comp) {
    if (!tgm__dtype_is_float(dt)) {
        return n; /* integers and bitmask have no non-finite values */
    }
    size_t width = tgm__dtype_width(dt); /* bytes per element, both components */
    for (size_t b = from; b < n; b += SCAN_BLOCK) {
        size_t end = n - b < SCAN_BLOCK ? n : b + SCAN_BLOCK;
        if (tgm__masks_any_nonfinite(dt, big, p + b * width, (end - b) * width)) {
            size_t i = scan_exact(dt, big, p, end, b, kind, comp);
            if (i < end) {
                return i;
            }
        }
    }
    return n;
}

static bool masked(const tgm_mask_set *set, uint64_t i) {
    for (int k = 0; k < TGM_MASK_KINDS; k++) {
        if (set->bits[k] != NULL && i < set->n_bits && tgm__bitmask_test(set->bits[k], i)) {
            return true;
        }
    }
    return false;
}

/* "[2, 3]" as Rust prints a Vec<u64>. */
static void shape_text(const tgm_descriptor *d, char *out, size_t cap) {
    size_t n = 0;
    int k = snprintf(out, cap, "[");
    n = k > 0 ? (size_t)k : 0;
    for (size_t i = 0; i < d->nshape && n < cap; i++) {
        k = snprintf(out + n, cap - n, i ? ", %llu" : "%llu", (unsigned long long)d->shape[i]);
        if (k < 0) {
            break;
        }
        n += (size_t)k;
    }
    if (n < cap) {
        snprintf(out + n, cap - n, "]");
    }
}

/* Size, masks and values of object i, whose decoded bytes are data[0..len). */
static void check_values(tgm_vctx *c, size_t i, const uint8_t *data, size_t len) {
    const tgm_vobj *o = &c->objs[i];
    const tgm_descriptor *d = &o->desc;
    int64_t idx = (int64_t)i, at = (int64_t)o->frame_off;

    if (d->num_elements_overflow) {
        tgm__vissue(c, TGM_VC_DECODED_SIZE_MISMATCH, L4, TGM_VS_ERROR, idx, at,
                    "shape product overflows, cannot verify decoded size");
        return;
    }
    uint64_t expect;
    if (tgm__dtype_payload_size(d->dtype, d->num_elements, &expect) || expect > SIZE_MAX) {
        tgm__vissue(c, TGM_VC_DECODED_SIZE_MISMATCH, L4, TGM_VS_ERROR, idx, at,
                    "expected decoded size overflows usize");
        return;
    }
    if ((uint64_t)len != expect) {
        char shape[256];
        shape_text(d, shape, sizeof shape);
        tgm__vissue(c, TGM_VC_DECODED_SIZE_MISMATCH, L4, TGM_VS_ERROR, idx, at,
                    "decoded size %zu != expected %llu (shape %s, dtype %s)", len,
                    (unsigned long long)expect, shape, tgm__dtype_name(d->dtype));
        return;
    }

    /* Masks: positions where a non-finite value is expected.  Their
     * offsets count from the start of the payload region; mask_region
     * starts at the smallest of them. */
    tgm_mask_set set;
    tgm__mask_set_init(&set, d->num_elements);
    if (d->has_masks) {
        uint64_t base = UINT64_MAX;
        for (int k = 0; k < TGM_DESC_MASKS; k++) {
            if (d->masks[k].present && d->masks[k].offset < base) {
                base = d->masks[k].offset;
            }
        }
        tgm_mask_ref refs[TGM_MASK_KINDS];
        memset(refs, 0, sizeof refs);
        for (int k = 0; k < TGM_DESC_MASKS; k++) {
            const tgm_mask_desc *m = &d->masks[k];
            if (m->present) {
                refs[k].present = true;
                refs[k].method = m->method;
                refs[k].method_len = strlen(m->method);
                refs[k].offset = m->offset - base;
                refs[k].length = m->length;
            }
        }
        static const uint8_t none[1] = {0};
        const uint8_t *region = o->mask_region != NULL ? o->mask_region : none;
        size_t region_len = o->mask_region != NULL ? o->mask_len : 0;
        if (base != UINT64_MAX && tgm__masks_decode_region(refs, region, region_len,
                                                           d->num_elements, &set) != TGM_ERROR_OK) {
            if (!tgm__v_oom(c)) {
                tgm__vissue(c, TGM_VC_DECODE_OBJECT_FAILED, L4, TGM_VS_ERROR, idx, at,
                            "bitmask decode failed: %s", tgm__vdetail());
            }
            tgm__clear_error();
            tgm__mask_set_free(&set);
            return;
        }
    }

    size_t n = (size_t)d->num_elements;
    bool big = d->big_endian;
    int kind = NF_NONE, comp = -1;
    for (size_t at_el = next_nonfinite(d->dtype, big, data, n, 0, &kind, &comp); at_el < n;
         at_el = next_nonfinite(d->dtype, big, data, n, at_el + 1, &kind, &comp)) {
        if (masked(&set, at_el)) {
            continue;
        }
        tgm__vissue(c, kind == NF_NAN ? TGM_VC_NAN_DETECTED : TGM_VC_INF_DETECTED, L4, TGM_VS_ERROR,
                    idx, at, "unexpected %s at element %zu (%s%snot recorded in mask)",
                    kind == NF_NAN ? "NaN" : "Inf", at_el,
                    comp < 0    ? ""
                    : comp == 0 ? "real"
                                : "imaginary",
                    comp < 0 ? "" : " component, ");
        break;
    }
    tgm__mask_set_free(&set);
}

void tgm__v_fidelity_early(tgm_vctx *c, size_t i, const uint8_t *data, size_t len) {
    tgm_vreport *main_report = c->r;
    c->objs[i].early_start = c->early.nissues;
    c->r = &c->early;
    check_values(c, i, data, len);
    c->r = main_report;
    c->objs[i].early_end = c->early.nissues;
    c->objs[i].checked_early = true;
    if (c->early.oom) {
        main_report->oom = true;
    }
}

void tgm__v_fidelity(tgm_vctx *c) {
    for (size_t i = 0; i < c->nobjs; i++) {
        tgm_vobj *o = &c->objs[i];
        if (!o->has_desc || o->state == TGM_VD_FAILED) {
            continue; /* reported by levels 2 / 3 */
        }
        if (o->checked_early) {
            for (size_t k = o->early_start; k < o->early_end; k++) {
                const tgm_vissue *is = &c->early.issues[k];
                tgm__vreport_add(c->r, is->code, is->level, is->severity, is->object_index,
                                 is->byte_offset, "%s", is->description);
            }
        } else if (strcmp(o->desc.encoding, "none") == 0 && strcmp(o->desc.filter, "none") == 0 &&
                   strcmp(o->desc.compression, "none") == 0) {
            check_values(c, i, o->payload, o->payload_len); /* stored as decoded */
        }
        /* Otherwise level 3 did not decode it (it decodes every transformed
         * object whenever level 4 runs): nothing to look at. */
    }
}
