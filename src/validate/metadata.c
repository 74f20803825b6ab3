/* Level 2: the CBOR of every frame found by level 1 (WIRE_FORMAT §6):
 * global metadata, index and hash frames against the objects actually
 * present, preceders, descriptors (shape consistency, known pipeline
 * names), per-object _reserved_ entries, and optionally canonical form
 * (§12). */
#include <stdio.h>
#include <string.h>

#include "cbor/cbor.h"
#include "codecs/codec.h"
#include "validate/validate_internal.h"

#define L2 TGM_VL_METADATA

/* Copy the current library error detail (it is overwritten by the next
 * failure) and clear it. */
static void take_detail(char *out, size_t cap) {
    snprintf(out, cap, "%s", tgm__vdetail());
    tgm__clear_error();
}

/* Decode one CBOR item at the start of p[0..n) (trailing bytes, such as a
 * frame's hash slot, are not part of it). */
static tgm_error decode_item(tgm_vctx *c, const uint8_t *p, size_t n, tgm_val **root,
                             size_t *used) {
    tgm_error e = tgm__cbor_decode(p, n, &c->arena, NULL, root, used);
    if (e != TGM_ERROR_OK) {
        return tgm__wrap(e, "failed to parse CBOR");
    }
    return TGM_ERROR_OK;
}

/* Canonical-form check (--canonical) of the item at the start of p.  Our
 * check is RFC 8949 §4.2.1 in full (key order, shortest arguments and
 * floats, definite lengths), stricter than the reference's key-order-only
 * check; both report under the same codes. */
static void check_canonical(tgm_vctx *c, const uint8_t *p, size_t n, tgm_vcode code, int64_t obj,
                            const char *what) {
    tgm_arena scratch = TGM_ARENA_INIT;
    tgm_val *root;
    size_t used = 0;
    tgm_error e = tgm__cbor_decode(p, n, &scratch, NULL, &root, &used);
    tgm__arena_free(&scratch);
    if (e != TGM_ERROR_OK) {
        tgm__wrap(e, "failed to parse CBOR");
    } else {
        e = tgm__cbor_check_canonical(p, used);
    }
    if (e != TGM_ERROR_OK) {
        if (tgm__v_oom(c)) {
            return;
        }
        char d[1024];
        take_detail(d, sizeof d);
        tgm__vissue(c, code, L2, TGM_VS_WARNING, obj, -1, "%s CBOR is not canonical: %s", what, d);
    }
}

tgm_error tgm__v_parse_descriptor(tgm_vctx *c, tgm_vobj *o) {
    tgm_val *root;
    tgm_error e = tgm__cbor_decode(o->cbor, o->cbor_len, &c->arena, NULL, &root, NULL);
    if (e != TGM_ERROR_OK) {
        return tgm__wrap(e, "failed to parse descriptor CBOR");
    }
    return tgm__desc_from_val(&c->arena, root, "failed to deserialize descriptor", &o->desc);
}

/* Metadata frame: returns false when it does not parse (the reference
 * stops level 2 there). */
static bool metadata_frame(tgm_vctx *c, const tgm_vframe *f, tgm_global_meta *meta) {
    if (c->opts->check_canonical) {
        check_canonical(c, f->body, f->body_len, TGM_VC_METADATA_CBOR_NON_CANONICAL, -1,
                        "metadata");
    }
    tgm_val *root;
    size_t used;
    tgm_error e = decode_item(c, f->body, f->body_len, &root, &used);
    if (e == TGM_ERROR_OK) {
        e = tgm__gmeta_from_cbor(&c->arena, root, meta);
    }
    if (e != TGM_ERROR_OK) {
        if (tgm__v_oom(c)) {
            return false;
        }
        tgm__vissue(c, TGM_VC_METADATA_CBOR_PARSE_FAILED, L2, TGM_VS_ERROR, -1, -1,
                    "failed to parse metadata CBOR: %s", tgm__vdetail());
        tgm__clear_error();
        return false;
    }
    return true;
}

static void index_frame(tgm_vctx *c, const tgm_vframe *f) {
    uint64_t *offsets, *lengths;
    size_t n;
    if (tgm__index_from_cbor(&c->arena, f->body, f->body_len, &offsets, &lengths, &n) !=
        TGM_ERROR_OK) {
        if (tgm__v_oom(c)) {
            return;
        }
        tgm__vissue(c, TGM_VC_INDEX_CBOR_PARSE_FAILED, L2, TGM_VS_ERROR, -1, -1,
                    "failed to parse index CBOR: %s", tgm__vdetail());
        tgm__clear_error();
        return;
    }
    /* The reference runs this comparison twice with two wordings; both
     * issues are kept so reports match. */
    if (n != c->nobjs) {
        tgm__vissue(c, TGM_VC_INDEX_COUNT_MISMATCH, L2, TGM_VS_ERROR, -1, -1,
                    "index offsets.len() %zu != actual data object count %zu", n, c->nobjs);
        tgm__vissue(c, TGM_VC_INDEX_COUNT_MISMATCH, L2, TGM_VS_ERROR, -1, -1,
                    "index offsets length %zu != data object count %zu", n, c->nobjs);
    }
    for (size_t j = 0; j < n && j < c->nobjs; j++) {
        if (offsets[j] != (uint64_t)c->objs[j].frame_off) {
            tgm__vissue(c, TGM_VC_INDEX_OFFSET_MISMATCH, L2, TGM_VS_ERROR, (int64_t)j, -1,
                        "index offset[%zu] = %llu but actual data object frame at %zu", j,
                        (unsigned long long)offsets[j], c->objs[j].frame_off);
        }
    }
}

static void hash_frame(tgm_vctx *c, const tgm_vframe *f) {
    const char *algo;
    const tgm_val *hashes;
    size_t n;
    if (tgm__hashframe_from_cbor(&c->arena, f->body, f->body_len, &algo, &hashes, &n) !=
        TGM_ERROR_OK) {
        if (tgm__v_oom(c)) {
            return;
        }
        tgm__vissue(c, TGM_VC_HASH_FRAME_CBOR_PARSE_FAILED, L2, TGM_VS_ERROR, -1, -1,
                    "failed to parse hash frame CBOR: %s", tgm__vdetail());
        tgm__clear_error();
        return;
    }
    if (n != c->nobjs) {
        tgm__vissue(c, TGM_VC_HASH_FRAME_COUNT_MISMATCH, L2, TGM_VS_ERROR, -1, -1,
                    "hash frame has %zu hashes but %zu data objects", n, c->nobjs);
    }
}

static void preceder_frame(tgm_vctx *c, const tgm_vframe *f) {
    if (c->opts->check_canonical) {
        check_canonical(c, f->body, f->body_len, TGM_VC_PRECEDER_CBOR_NON_CANONICAL, -1,
                        "preceder metadata");
    }
    tgm_val *root;
    size_t used;
    tgm_global_meta pm;
    tgm_error e = decode_item(c, f->body, f->body_len, &root, &used);
    if (e == TGM_ERROR_OK) {
        e = tgm__gmeta_from_cbor(&c->arena, root, &pm);
    }
    if (e != TGM_ERROR_OK) {
        if (tgm__v_oom(c)) {
            return;
        }
        tgm__vissue(c, TGM_VC_PRECEDER_CBOR_PARSE_FAILED, L2, TGM_VS_ERROR, -1, -1,
                    "failed to parse preceder metadata CBOR: %s", tgm__vdetail());
        tgm__clear_error();
        return;
    }
    if (pm.nbase != 1) {
        tgm__vissue(c, TGM_VC_PRECEDER_BASE_COUNT_WRONG, L2, TGM_VS_ERROR, -1, -1,
                    "PrecederMetadata base must have exactly 1 entry, got %zu", pm.nbase);
    }
}

/* Descriptor checks of one object; caches the descriptor for levels 3-4
 * and splits the mask blobs off the payload (§6.5). */
static void object_descriptor(tgm_vctx *c, size_t i) {
    tgm_vobj *o = &c->objs[i];
    int64_t idx = (int64_t)i;
    if (c->opts->check_canonical) {
        check_canonical(c, o->cbor, o->cbor_len, TGM_VC_DESCRIPTOR_CBOR_NON_CANONICAL, idx,
                        "descriptor");
    }
    if (tgm__v_parse_descriptor(c, o) != TGM_ERROR_OK) {
        if (tgm__v_oom(c)) {
            return;
        }
        o->desc_failed = true;
        tgm__vissue(c, TGM_VC_DESCRIPTOR_CBOR_PARSE_FAILED, L2, TGM_VS_ERROR, idx, -1,
                    "descriptor CBOR parse failed: %s", tgm__vdetail());
        tgm__clear_error();
        return;
    }
    const tgm_descriptor *d = &o->desc;
    if (d->ndim != (uint64_t)d->nshape) {
        tgm__vissue(c, TGM_VC_NDIM_SHAPE_MISMATCH, L2, TGM_VS_ERROR, idx, -1,
                    "ndim %llu != shape.len() %zu", (unsigned long long)d->ndim, d->nshape);
    }
    if (d->nstrides != d->nshape) {
        tgm__vissue(c, TGM_VC_STRIDES_SHAPE_MISMATCH, L2, TGM_VS_ERROR, idx, -1,
                    "strides.len() %zu != shape.len() %zu", d->nstrides, d->nshape);
    }
    if (d->num_elements_overflow) {
        tgm__vissue(c, TGM_VC_SHAPE_OVERFLOW, L2, TGM_VS_ERROR, idx, -1,
                    "shape product overflows u64");
    }
    if (strcmp(d->encoding, "none") != 0 && strcmp(d->encoding, "simple_packing") != 0) {
        tgm__vissue(c, TGM_VC_UNKNOWN_ENCODING, L2, TGM_VS_ERROR, idx, -1, "unknown encoding '%s'",
                    d->encoding);
    }
    if (strcmp(d->filter, "none") != 0 && strcmp(d->filter, "shuffle") != 0) {
        tgm__vissue(c, TGM_VC_UNKNOWN_FILTER, L2, TGM_VS_ERROR, idx, -1, "unknown filter '%s'",
                    d->filter);
    }
    /* Every compression the format defines, built in or not, and codecs
     * registered by the application (include/tensogram/codec.h): whether
     * this build can decode it is level 3's question. */
    if (!tgm__codec_known(d->compression) && tgm__codec_lookup(d->compression) == NULL) {
        tgm__vissue(c, TGM_VC_UNKNOWN_COMPRESSION, L2, TGM_VS_ERROR, idx, -1,
                    "unknown compression '%s'", d->compression);
    }
    if (d->obj_type[0] == '\0') {
        tgm__vissue(c, TGM_VC_EMPTY_OBJ_TYPE, L2, TGM_VS_ERROR, idx, -1, "obj_type is empty");
    }
    /* The first mask blob ends the encoded payload. */
    uint64_t first = UINT64_MAX;
    bool any = false;
    for (int k = 0; k < TGM_DESC_MASKS; k++) {
        if (d->masks[k].present && d->masks[k].offset <= first) {
            first = d->masks[k].offset;
            any = true;
        }
    }
    if (any) {
        if (first <= (uint64_t)o->payload_len) {
            o->mask_region = o->payload + first;
            o->mask_len = o->payload_len - (size_t)first;
            o->mask_base = first;
            o->payload_len = (size_t)first;
        } else {
            tgm__vissue(c, TGM_VC_DESCRIPTOR_CBOR_PARSE_FAILED, L2, TGM_VS_ERROR, idx,
                        (int64_t)o->frame_off,
                        "mask offset %llu out of range (payload region is %zu bytes)",
                        (unsigned long long)first, o->payload_len);
        }
    }
    o->has_desc = true;
}

void tgm__v_metadata(tgm_vctx *c) {
    tgm_global_meta meta;
    memset(&meta, 0, sizeof meta);
    bool have_meta = false;
    for (size_t i = 0; i < c->nframes; i++) {
        const tgm_vframe *f = &c->frames[i];
        switch (f->type) {
        case TGM_FRAME_HEADER_METADATA:
        case TGM_FRAME_FOOTER_METADATA:
            if (!metadata_frame(c, f, &meta)) {
                return;
            }
            have_meta = true; /* the last metadata frame wins */
            break;
        case TGM_FRAME_HEADER_INDEX:
        case TGM_FRAME_FOOTER_INDEX:
            index_frame(c, f);
            break;
        case TGM_FRAME_HEADER_HASH:
        case TGM_FRAME_FOOTER_HASH:
            hash_frame(c, f);
            break;
        default:
            break;
        }
    }
    for (size_t i = 0; i < c->nframes; i++) {
        if (c->frames[i].type == TGM_FRAME_PRECEDER_METADATA) {
            preceder_frame(c, &c->frames[i]);
        }
    }
    if (!have_meta) {
        return;
    }
    if (meta.nbase > c->nobjs) {
        tgm__vissue(c, TGM_VC_BASE_COUNT_EXCEEDS_OBJECTS, L2, TGM_VS_ERROR, -1, -1,
                    "metadata base has %zu entries but message has %zu data objects", meta.nbase,
                    c->nobjs);
    }
    for (size_t i = 0; i < c->nobjs; i++) {
        object_descriptor(c, i);
    }
    /* base[i]._reserved_ must be a map holding "tensor" (§6.1). */
    for (size_t i = 0; i < meta.nbase && i < c->nobjs; i++) {
        const tgm_val *res = tgm__val_map_get(&meta.base[i], TGM_RESERVED_KEY);
        if (res == NULL) {
            continue;
        }
        if (res->kind != TGM_V_MAP) {
            tgm__vissue(c, TGM_VC_RESERVED_NOT_A_MAP, L2, TGM_VS_ERROR, (int64_t)i, -1,
                        "base._reserved_ is not a map");
        } else if (tgm__val_map_get(res, "tensor") == NULL) {
            tgm__vissue(c, TGM_VC_RESERVED_MISSING_TENSOR, L2, TGM_VS_WARNING, (int64_t)i, -1,
                        "base._reserved_ missing 'tensor' key");
        }
    }
}
