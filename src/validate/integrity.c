/* Level 3: integrity (WIRE_FORMAT §11.2, §11.4).
 *
 *  - Hash frames: parsed, algorithm checked, header and footer copies
 *    compared.
 *  - Inline hashes: every data-object frame's xxh3-64 slot is recomputed
 *    over its hash scope (§2.4); a frame whose HASH_PRESENT flag is clear
 *    in a message that declares HASHES_PRESENT is an error.  The other
 *    frames that carry a hash (metadata, index, hash, preceder) are
 *    recomputed too, as §11.2 asks; the reference checks only object
 *    frames, so on intact messages both agree and on damaged ones ours
 *    reports more.
 *  - Each hash-frame entry must equal the hex of its object's slot.
 *  - Every object with a compression stage is decoded (not in checksum
 *    mode), unless it decodes to more than the caller's limit (reported);
 *    without one, the payload's exact size is all there is to check.  When
 *    level 4 runs, every transformed object is decoded and its checks are
 *    made right away on the decoded bytes, which are then released. */
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/endian.h"
#include "common/thread.h"
#include "hash/hash.h"
#include "pipeline/pipeline.h"
#include "validate/validate_internal.h"

#define L3 TGM_VL_INTEGRITY

static bool text_eq(const tgm_val *a, const tgm_val *b) {
    return a->len == b->len && memcmp(a->p.str, b->p.str, a->len) == 0;
}

/* Hash frames: returns the entries of the first one with algorithm "xxh3"
 * (NULL when none) and records disagreements. */
static const tgm_val *hash_frames(tgm_vctx *c, size_t *nagg, bool *all_verified) {
    const tgm_val *agg = NULL;
    *nagg = 0;
    bool have = false;
    for (size_t i = 0; i < c->nframes; i++) {
        const tgm_vframe *f = &c->frames[i];
        if (f->type != TGM_FRAME_HEADER_HASH && f->type != TGM_FRAME_FOOTER_HASH) {
            continue;
        }
        const char *algo;
        const tgm_val *hashes;
        size_t n;
        if (tgm__hashframe_from_cbor(&c->arena, f->body, f->body_len, &algo, &hashes, &n) !=
            TGM_ERROR_OK) {
            if (tgm__v_oom(c)) {
                return NULL;
            }
            *all_verified = false;
            tgm__vissue(c, TGM_VC_HASH_FRAME_CBOR_PARSE_FAILED, L3, TGM_VS_ERROR, -1, -1,
                        "failed to parse hash frame CBOR: %s", tgm__vdetail());
            tgm__clear_error();
            continue;
        }
        if (strcmp(algo, TGM_HASH_ALGORITHM) != 0) {
            tgm__vissue(c, TGM_VC_UNKNOWN_HASH_ALGORITHM, L3, TGM_VS_WARNING, -1, -1,
                        "unknown hash algorithm '%s' in HashFrame, aggregate entries cannot be "
                        "verified (inline slots still checked)",
                        algo);
            continue;
        }
        if (!have) {
            have = true;
            agg = hashes;
            *nagg = n;
            continue;
        }
        bool same = n == *nagg;
        for (size_t j = 0; same && j < n; j++) {
            same = text_eq(&hashes[j], &agg[j]);
        }
        if (!same) {
            *all_verified = false;
            tgm__vissue(c, TGM_VC_HASH_MISMATCH, L3, TGM_VS_ERROR, -1, -1,
                        "HeaderHash and FooterHash aggregate frames disagree \xe2\x80\x94 "
                        "wire-format contract requires they carry identical hash lists");
        }
    }
    return agg;
}

/* Inline hashes of the frames that are not data objects (§11.2).  Frames
 * without HASH_PRESENT are left alone: files written before the per-frame
 * flag existed carry none, and the reference never looks at them. */
static void other_frame_hashes(tgm_vctx *c, bool *all_verified) {
    for (size_t i = 0; i < c->nframes; i++) {
        const tgm_vframe *f = &c->frames[i];
        if (!(f->flags & TGM_FF_HASH_PRESENT) ||
            f->total < TGM_FRAME_HEADER_SIZE + TGM_FRAME_COMMON_FOOTER_SIZE) {
            continue;
        }
        const uint8_t *p = c->buf + f->off;
        const uint8_t *scope;
        size_t scope_len;
        tgm__frame_hash_scope(p, f->total, f->type, &scope, &scope_len);
        uint64_t stored = tgm__frame_stored_hash(p, f->total);
        uint64_t actual = tgm__xxh3(scope, scope_len);
        if (stored != actual) {
            char hs[17], ha[17];
            tgm__hash_hex(stored, hs);
            tgm__hash_hex(actual, ha);
            *all_verified = false;
            tgm__vissue(c, TGM_VC_HASH_MISMATCH, L3, TGM_VS_ERROR, -1, (int64_t)f->off,
                        "%s frame hash mismatch (expected %s, got %s)",
                        tgm__frame_type_name(f->type), hs, ha);
        }
    }
}

/* 1 verified, 0 not verified (issue recorded). */
static int object_hash(tgm_vctx *c, const tgm_vobj *o, size_t i, uint64_t *slot) {
    const uint8_t *p = c->buf + o->frame_off;
    tgm_frame_header fh;
    if (tgm__frame_header_read(p, c->len - o->frame_off, o->frame_off, &fh) != TGM_ERROR_OK ||
        fh.total_length > (uint64_t)(c->len - o->frame_off)) {
        tgm__clear_error(); /* level 1 reported it */
        return 0;
    }
    size_t total = (size_t)fh.total_length;
    *slot = tgm__frame_stored_hash(p, total);
    if (!(fh.flags & TGM_FF_HASH_PRESENT)) {
        tgm__vissue(c, TGM_VC_HASH_VERIFICATION_ERROR, L3, TGM_VS_ERROR, (int64_t)i,
                    (int64_t)o->frame_off,
                    "frame hash verification error: hash verification requested but object %zu "
                    "has no inline hash recorded (HASH_PRESENT flag clear); re-encode with "
                    "hashing=true or call decode without verify_hash=true",
                    i);
        return 0;
    }
    const uint8_t *scope;
    size_t scope_len;
    tgm__frame_hash_scope(p, total, fh.type, &scope, &scope_len);
    uint64_t actual = tgm__xxh3(scope, scope_len);
    if (actual != *slot) {
        char hs[17], ha[17];
        tgm__hash_hex(*slot, hs);
        tgm__hash_hex(actual, ha);
        tgm__vissue(c, TGM_VC_HASH_MISMATCH, L3, TGM_VS_ERROR, (int64_t)i, (int64_t)o->frame_off,
                    "frame hash mismatch (expected %s, got %s)", hs, ha);
        return 0;
    }
    return 1;
}

static bool is_raw(const tgm_descriptor *d) {
    return strcmp(d->encoding, "none") == 0 && strcmp(d->filter, "none") == 0 &&
           strcmp(d->compression, "none") == 0;
}

/* Run the decode pipeline of one object (no byte-order conversion, no
 * NaN/Inf restoration: level 4 reads the values as stored). */
static void decode_object(tgm_vctx *c, tgm_vobj *o, size_t i, bool check_values) {
    const tgm_descriptor *d = &o->desc;
    int64_t idx = (int64_t)i, at = (int64_t)o->frame_off;
    if (d->num_elements_overflow) {
        o->state = TGM_VD_FAILED; /* reported by level 2 */
        return;
    }
    if (d->num_elements > SIZE_MAX) {
        o->state = TGM_VD_FAILED;
        tgm__vissue(c, TGM_VC_PIPELINE_CONFIG_FAILED, L3, TGM_VS_ERROR, idx, at,
                    "shape product %llu does not fit in usize",
                    (unsigned long long)d->num_elements);
        return;
    }
    size_t n;
    if (tgm__pipeline_check(d) != TGM_ERROR_OK ||
        tgm__pipeline_decoded_size(d, &n) != TGM_ERROR_OK) {
        o->state = TGM_VD_FAILED;
        if (tgm__v_oom(c)) {
            return;
        }
        tgm__vissue(c, TGM_VC_PIPELINE_CONFIG_FAILED, L3, TGM_VS_ERROR, idx, at,
                    "cannot build pipeline config: %s", tgm__vdetail());
        tgm__clear_error();
        return;
    }
    /* The size comes from the descriptor: before allocating it, check that
     * the payload can hold it and that it is within the decoded-size cap
     * (pipeline/bounds.c), as decoding does; a false claim is a finding,
     * not an out-of-memory failure of validation. */
    if (tgm__pipeline_precheck(d, o->payload_len, &n) != TGM_ERROR_OK) {
        o->state = TGM_VD_FAILED;
        if (tgm__v_oom(c)) {
            return;
        }
        tgm__vissue(c, TGM_VC_DECODE_PIPELINE_FAILED, L3, TGM_VS_ERROR, idx, at,
                    "decode pipeline failed: %s", tgm__vdetail());
        tgm__clear_error();
        return;
    }
    /* Without a compression stage the payload has just been checked to be
     * exactly the encoded size, and unshuffling or unpacking it cannot
     * fail: level 3 needs no decoded copy (a 656-byte message of 2^31
     * zero-bit simple_packing values decodes to 16 GiB).  Level 4 looks at
     * the values and does decode. */
    if (!check_values && strcmp(d->compression, "none") == 0) {
        o->state = TGM_VD_DECODED;
        return;
    }
    uint64_t limit = c->opts->max_decoded;
    if (c->opts->max_decoded_auto) {
        uint64_t scaled = (uint64_t)c->len * 64;
        limit = scaled > ((uint64_t)64 << 20) ? scaled : ((uint64_t)64 << 20);
    }
    if (limit != 0 && (uint64_t)n > limit) {
        o->state = TGM_VD_NOT_DECODED;
        tgm__vissue(c, TGM_VC_NOT_DECODED, L3, TGM_VS_WARNING, idx, at,
                    "not decoded: the object decodes to %zu bytes, more than this validation's "
                    "limit of %llu bytes%s, so %s not checked",
                    n, (unsigned long long)limit,
                    c->opts->max_decoded_auto ? " (64 MiB or 64 times the message size)" : "",
                    check_values ? "its decoding and its values were" : "its decoding was");
        return;
    }
    /* The automatic limit also bounds the whole call: many objects each
     * under the limit (a 1 MB message can hold thousands of 64 MiB
     * claims) must not add up to hours of work. */
    uint64_t *left = c->opts->max_decoded_auto ? c->opts->budget_left : NULL;
    if (left != NULL && (uint64_t)n > *left) {
        o->state = TGM_VD_NOT_DECODED;
        tgm__vissue(c, TGM_VC_NOT_DECODED, L3, TGM_VS_WARNING, idx, at,
                    "not decoded: the object decodes to %zu bytes, more than the %llu bytes left "
                    "of this validation's decode budget of %llu bytes (64 MiB or 64 times the "
                    "size of the input), so %s not checked",
                    n, (unsigned long long)*left, (unsigned long long)c->opts->budget,
                    check_values ? "its decoding and its values were" : "its decoding was");
        return;
    }
    if (left != NULL) {
        *left -= n;
    }
    uint8_t *dst = tgm__malloc(n ? n : 1);
    if (dst == NULL) {
        o->state = TGM_VD_FAILED;
        c->r->oom = true;
        return;
    }
    /* TENSOGRAM_THREADS applies as it does to decoding. */
    tgm_decode_opts dopts = {false, false, tgm__resolve_threads(0)};
    if (tgm__pipeline_decode(d, o->payload, o->payload_len, o->payload, o->payload_len, &dopts, dst,
                             n) != TGM_ERROR_OK) {
        tgm__free(dst);
        o->state = TGM_VD_FAILED;
        if (tgm__v_oom(c)) {
            return;
        }
        tgm__vissue(c, TGM_VC_DECODE_PIPELINE_FAILED, L3, TGM_VS_ERROR, idx, at,
                    "decode pipeline failed: %s", tgm__vdetail());
        tgm__clear_error();
        return;
    }
    o->state = TGM_VD_DECODED;
    if (check_values) {
        tgm__v_fidelity_early(c, i, dst, n);
    }
    tgm__free(dst);
}

bool tgm__v_integrity(tgm_vctx *c, bool check_values) {
    bool all_verified = true, any_checked = false;
    size_t nagg = 0;
    const tgm_val *agg = hash_frames(c, &nagg, &all_verified);
    bool has_hashes = (c->pre.flags & TGM_MF_HASHES_PRESENT) != 0;
    if (has_hashes) {
        other_frame_hashes(c, &all_verified);
    }

    for (size_t i = 0; i < c->nobjs; i++) {
        tgm_vobj *o = &c->objs[i];
        if (!o->has_desc && !o->desc_failed) {
            /* Level 2 did not run (checksum mode) or stopped early. */
            if (tgm__v_parse_descriptor(c, o) == TGM_ERROR_OK) {
                o->has_desc = true;
            } else if (tgm__v_oom(c)) {
                return false;
            } else {
                o->desc_failed = true;
                tgm__vissue(c, TGM_VC_HASH_VERIFICATION_ERROR, L3, TGM_VS_ERROR, (int64_t)i, -1,
                            "failed to parse descriptor: %s", tgm__vdetail());
                tgm__clear_error();
            }
        }

        int verified = 0;
        uint64_t slot = 0;
        if (!has_hashes) {
            tgm__vissue(c, TGM_VC_NO_HASH_AVAILABLE, L3, TGM_VS_WARNING, (int64_t)i, -1,
                        "HASHES_PRESENT flag is clear \xe2\x80\x94 message was encoded without "
                        "hashes; cannot verify integrity");
        } else {
            verified = object_hash(c, o, i, &slot);
            any_checked = any_checked || verified;
        }
        if (!verified) {
            all_verified = false;
        }

        /* §11.4: the hash frame's entry for this object must be the hex of
         * its inline slot. */
        if (verified && agg != NULL && i < nagg) {
            char hex[17];
            tgm__hash_hex(slot, hex);
            const tgm_val *e = &agg[i];
            if (e->len != 16 || memcmp(e->p.str, hex, 16) != 0) {
                all_verified = false;
                tgm__vissue(c, TGM_VC_HASH_MISMATCH, L3, TGM_VS_ERROR, (int64_t)i,
                            (int64_t)o->frame_off,
                            "HashFrame aggregate[%zu] = %s disagrees with frame %zu inline slot "
                            "= %s",
                            i, e->p.str, i, hex);
            }
        }

        if (!c->opts->checksum_only && o->has_desc && !is_raw(&o->desc)) {
            decode_object(c, o, i, check_values);
        }
    }
    return any_checked && all_verified;
}
