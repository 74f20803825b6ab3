/* Messages whose payloads the caller writes in place (fill.h).
 *
 * When every object is stored as its raw values, nothing about the layout
 * depends on the values: the descriptors, the metadata (with the
 * provenance drawn at begin), and so every frame's size and offset are
 * known before the first value is written.  The message is then allocated
 * once and the caller writes each payload at its place; committing an
 * object writes the rest of its frame and hashes the payload (checking it
 * for NaN / Inf in the same pass, chunk by chunk) while it is still in
 * cache; finish writes the header frames and the postamble around them.
 * The bytes are those of tgm__msg_encode for the same data, because the
 * layout and the frames come from the same writer (encode.c).
 *
 * The one thing the layout cannot know in advance is a NaN / Inf that the
 * options allow: it is replaced and recorded as a mask after the payload,
 * which makes that frame longer.  Such an object goes through the
 * pipeline at its commit, as tgm__msg_encode would take it, and its frame
 * is written at its slot's place if that overlaps no slot placed after
 * it, else into a buffer of its own; the other objects' frames are still
 * written in place.  Finish lays the message out with the masked
 * frames' sizes, moves the frames written in place to their offsets in it
 * (frames hold no absolute offset, so their bytes and hashes stay valid;
 * the index and hash frames, which do, are written at finish) and copies
 * the masked frames in.  With masks allowed, the message is allocated with
 * room for them, and a slot taken after masked objects were committed is
 * placed where their frames push it (place()): when the masks come first,
 * no frame moves.  Other pipelines (encodings, filters, codecs) make
 * payloads whose size depends on the values: their slots are input
 * buffers and finish encodes the general way from them. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cbor/cbor.h"
#include "common/alloc.h"
#include "common/checked.h"
#include "common/error.h"
#include "common/limits.h"
#include "common/thread.h"
#include "message/emit.h"
#include "message/fill.h"

enum { ST_NEW, ST_SLOT, ST_RANGES, ST_DONE, ST_MASKS, ST_FAILED };

/* An object being committed in ranges (commit_range). */
typedef struct {
    size_t done;      /* bytes of the slot committed, from its start */
    tgm_hasher *hash; /* direct, hashing: the payload's xxh3 so far */
    bool masks;       /* a range holds NaN / Inf to mask: the pipeline at the last range */
    bool unknown;     /* not direct: a range was neither checked nor vouched for */
} ranged;

/* An object with values to mask (direct): encoded by the pipeline at its
 * commit, its frame in a buffer of its own.  A pipeline that fails (a NaN
 * / Inf the options refuse) is run again at finish, which reports it. */
typedef struct {
    tgm_arena arena;     /* its final descriptor */
    tgm_encoded_obj obj; /* with the masks; payload dropped once framed */
    tgm_buf frame;       /* the frame, padded, unless in_msg */
    bool in_msg;         /* the frame is in the message, at written_at() */
    bool framed;
} masked;

struct tgm_msg_fill {
    tgm_arena arena; /* the caller's metadata and descriptors, the final ones */
    tgm_global_meta meta;
    tgm_global_meta full; /* direct: with the library's sections (provenance drawn) */
    tgm_descriptor *descs;
    size_t n;
    tgm_msg_encode_opts o;
    uint32_t budget;
    bool direct; /* every payload at its place in `msg` */
    bool finished;
    tgm_buf msg;           /* direct: the message, laid out */
    size_t total;          /* direct: its length */
    tgm_encoded_obj *objs; /* direct: final descriptors, payload = slot */
    size_t *frame_at;      /* direct */
    size_t *lens;          /* raw sizes */
    uint8_t **stage;       /* not direct: input buffers */
    size_t *frame_len;     /* direct: data-object frame lengths as laid out at begin */
    uint64_t *hash;        /* direct: frame hashes, set by commit */
    unsigned char *state;  /* ST_* per object */
    unsigned char *finite; /* not direct: no NaN / Inf (checked, or the caller says so) */
    const uint8_t **src;   /* copy: the caller's values (read again by the pipeline) */
    ranged *ranges;        /* per object: commit_range's progress */
    masked *masked;        /* direct: per object, used by those with values to mask */
    /* Direct, with masks allowed: spare room after the laid-out message, so
     * that a slot taken after masked objects are framed is placed where
     * their longer frames push it (placement, below). */
    size_t slack;
    size_t *shift;        /* object i's frame is written at frame_at[i] + shift[i] */
    size_t *grow;         /* how much longer a framed masked object's frame is (padded) */
    bool *placed;         /* the slot's place is fixed (shift set); under `lock` */
    pthread_mutex_t lock; /* shift, grow and placed while commits may run */
    bool locking;         /* lock initialised */
};

static bool stored_raw(const tgm_descriptor *d, const tgm_msg_encode_opts *o) {
    return strcmp(d->encoding, "none") == 0 && strcmp(d->filter, "none") == 0 &&
           strcmp(d->compression, "none") == 0 && !d->has_masks && !o->object.pre_encoded &&
           !o->object.stored;
}

void tgm__msg_fill_free(tgm_msg_fill *f) {
    if (f == NULL) {
        return;
    }
    for (size_t i = 0; f->objs != NULL && i < f->n; i++) {
        tgm__encoded_obj_free(&f->objs[i]);
    }
    for (size_t i = 0; f->stage != NULL && i < f->n; i++) {
        tgm__free(f->stage[i]);
    }
    for (size_t i = 0; f->ranges != NULL && i < f->n; i++) {
        tgm__hasher_free(f->ranges[i].hash);
    }
    for (size_t i = 0; f->masked != NULL && i < f->n; i++) {
        tgm__encoded_obj_free(&f->masked[i].obj);
        tgm__buf_free(&f->masked[i].frame);
        tgm__arena_free(&f->masked[i].arena);
    }
    tgm__free(f->masked);
    tgm__free(f->shift);
    tgm__free(f->grow);
    tgm__free(f->placed);
    if (f->locking) {
        pthread_mutex_destroy(&f->lock);
    }
    tgm__free(f->ranges);
    tgm__free(f->objs);
    tgm__free(f->frame_at);
    tgm__free(f->frame_len);
    tgm__free(f->lens);
    tgm__free(f->stage);
    tgm__free(f->hash);
    tgm__free(f->state);
    tgm__free(f->finite);
    tgm__free((void *)f->src);
    tgm__buf_free(&f->msg);
    tgm__arena_free(&f->arena);
    tgm__free(f);
}

size_t tgm__msg_fill_count(const tgm_msg_fill *f) { return f->n; }

/* Direct mode: every object's final descriptor (the pipeline, which for a
 * stored-raw payload reads no value: it is only pointed at), the library
 * sections, the layout, and the message buffer. */
static tgm_error lay_out(tgm_msg_fill *f) {
    static const uint8_t nothing[1];
    size_t n = f->n;
    tgm_encode_opts eo = f->o.object;
    eo.hashing = f->o.hashing;
    eo.threads = 1;
    eo.allow_nan = false; /* no scan now: the check runs at commit */
    eo.allow_inf = false;
    for (size_t i = 0; i < n; i++) {
        TGM_TRY(
            tgm__pipeline_encode(&f->arena, &f->descs[i], nothing, f->lens[i], &eo, &f->objs[i]));
        TGM_RETURN_IF(f->objs[i].owned.data != NULL || f->objs[i].masks.len != 0 ||
                          f->objs[i].payload_len != f->lens[i],
                      TGM_ERROR_ENCODING, "internal: object %zu is not stored as given", i);
    }
    TGM_TRY(tgm__msg_sections(&f->arena, &f->meta, f->objs, n, &f->full));
    tgm_msg_layout lo = {f->frame_at, f->frame_len, 0, 0};
    TGM_TRY(tgm__msg_write(&f->arena, &f->full, f->objs, n, &f->o, f->budget, NULL, &f->msg, &lo));
    /* Room for masks: a kind's bitmap per float object, and its entry in
     * the descriptor (a guess: longer masks move frames at finish). */
    size_t kinds = (f->o.object.allow_nan ? 1u : 0u) + (f->o.object.allow_inf ? 2u : 0u);
    size_t slack = 0;
    for (size_t i = 0; kinds > 0 && i < n; i++) {
        size_t bits = (size_t)(f->descs[i].num_elements / 8 + 1); /* >= ceil(elements / 8) */
        if (f->objs[i].check_finite_on_copy &&
            (tgm__add_size(slack, kinds * (bits + 64) + 256, &slack) || slack > SIZE_MAX / 2)) {
            slack = 0;
            break;
        }
    }
    size_t cap = lo.total;
    if (slack > 0 && !tgm__add_size(lo.total, slack, &cap)) {
        f->slack = slack;
    }
    TGM_TRY(tgm__buf_reserve(&f->msg, f->slack > 0 ? cap : lo.total));
    f->total = lo.total;
    for (size_t i = 0; i < n; i++) {
        f->objs[i].payload = f->msg.data + f->frame_at[i] + TGM_FRAME_HEADER_SIZE;
    }
    return TGM_ERROR_OK;
}

tgm_error tgm__msg_fill_begin(tgm_arena *arena, const tgm_global_meta *meta, tgm_descriptor *descs,
                              size_t n, const tgm_msg_encode_opts *o, tgm_msg_fill **out) {
    TGM_RETURN_IF(o->object.pre_encoded || o->object.stored, TGM_ERROR_INVALID_ARG,
                  "in-place encoding takes raw values (TGM_INPUT_RAW): the size of a "
                  "pre-encoded payload is not known in advance");
    tgm_msg_fill *f = tgm__calloc(1, sizeof *f);
    if (f == NULL) {
        return tgm__oom(sizeof *f, "in-place encoder");
    }
    f->arena = *arena;
    *arena = (tgm_arena)TGM_ARENA_INIT;
    f->meta = *meta;
    f->descs = descs;
    f->n = n;
    f->o = *o;
    f->budget = tgm__resolve_threads(o->threads);
    f->direct = true;
    tgm_error err = TGM_ERROR_OK;
    size_t k = n ? n : 1;
    f->lens = tgm__calloc(k, sizeof *f->lens);
    f->state = tgm__calloc(k, sizeof *f->state);
    f->finite = tgm__calloc(k, sizeof *f->finite);
    f->src = tgm__calloc(k, sizeof *f->src);
    f->ranges = tgm__calloc(k, sizeof *f->ranges);
    TGM_FAIL_IF(f->lens == NULL || f->state == NULL || f->finite == NULL || f->src == NULL ||
                    f->ranges == NULL,
                TGM_ERROR_ENCODING, "out of memory for %zu objects", n);
    for (size_t i = 0; i < n; i++) {
        TGM_CHECK(tgm__desc_check_shape(&descs[i]));
        TGM_CHECK(tgm__pipeline_decoded_size(&descs[i], &f->lens[i]));
        /* Memory is taken on the metadata's word alone: the decoder's cap
         * (TENSOGRAM_MAX_OBJECT_BYTES) applies. */
        char what[48];
        snprintf(what, sizeof what, "object %zu", i);
        TGM_CHECK(tgm__limit_check_object_bytes(f->lens[i], what));
        f->direct = f->direct && stored_raw(&descs[i], o);
    }
    if (f->direct) {
        f->objs = tgm__calloc(k, sizeof *f->objs);
        f->frame_at = tgm__calloc(k, sizeof *f->frame_at);
        f->frame_len = tgm__calloc(k, sizeof *f->frame_len);
        f->hash = tgm__calloc(k, sizeof *f->hash);
        f->masked = tgm__calloc(k, sizeof *f->masked);
        f->shift = tgm__calloc(k, sizeof *f->shift);
        f->grow = tgm__calloc(k, sizeof *f->grow);
        f->placed = tgm__calloc(k, sizeof *f->placed);
        TGM_FAIL_IF(f->objs == NULL || f->frame_at == NULL || f->frame_len == NULL ||
                        f->hash == NULL || f->masked == NULL || f->shift == NULL ||
                        f->grow == NULL || f->placed == NULL,
                    TGM_ERROR_ENCODING, "out of memory for %zu objects", n);
        TGM_FAIL_IF(pthread_mutex_init(&f->lock, NULL) != 0, TGM_ERROR_ENCODING,
                    "cannot create a lock");
        f->locking = true;
        TGM_CHECK(lay_out(f));
    } else {
        f->stage = tgm__calloc(k, sizeof *f->stage);
        TGM_FAIL_IF(f->stage == NULL, TGM_ERROR_ENCODING, "out of memory for %zu objects", n);
    }
    *out = f;
    return TGM_ERROR_OK;
cleanup:
    tgm__msg_fill_free(f);
    return err;
}

static tgm_error check_object(const tgm_msg_fill *f, size_t i, const char *what) {
    TGM_RETURN_IF(f->finished, TGM_ERROR_INVALID_ARG, "%s: the message is already finished", what);
    TGM_RETURN_IF(i >= f->n, TGM_ERROR_INVALID_ARG,
                  "%s: object index %zu out of range (the message has %zu objects)", what, i, f->n);
    TGM_RETURN_IF(f->state[i] == ST_FAILED, TGM_ERROR_INVALID_ARG,
                  "%s: object %zu failed its commit", what, i);
    return TGM_ERROR_OK;
}

/* Direct: where object i's frame is written, fixed when its slot is first
 * taken.  Its offset in the final message is frame_at[i] plus the growth
 * of the masked frames before it (plus that of the index frame, whose
 * offsets grow with them).  The slot goes as far as the masked frames
 * framed so far push it, within the slack, but never past the shift of a
 * slot after it already placed (so slots never overlap: shifts do not
 * decrease from one object to the next, and a placed masked object's
 * values stay where its pipeline reads them).  The final shift is never
 * smaller, so finish moves frames only towards the end, and none when
 * the masks came first and fit the slack. */
static void place(tgm_msg_fill *f, size_t i) {
    if (f->slack > 0) {
        pthread_mutex_lock(&f->lock);
        size_t s = 0;
        for (size_t j = 0; j < i; j++) {
            s += f->grow[j];
        }
        s = s < f->slack ? s : f->slack;
        for (size_t m = i + 1; m < f->n; m++) {
            if (f->placed[m] && f->shift[m] < s) {
                s = f->shift[m];
            }
        }
        f->shift[i] = s;
        f->placed[i] = true;
        pthread_mutex_unlock(&f->lock);
    }
    f->objs[i].payload = f->msg.data + f->frame_at[i] + f->shift[i] + TGM_FRAME_HEADER_SIZE;
}

/* Where object i's frame is written (direct). */
static size_t written_at(const tgm_msg_fill *f, size_t i) { return f->frame_at[i] + f->shift[i]; }

tgm_error tgm__msg_fill_slot(tgm_msg_fill *f, size_t i, uint8_t **data, size_t *len) {
    TGM_TRY(check_object(f, i, "slot"));
    TGM_RETURN_IF(f->state[i] >= ST_DONE, TGM_ERROR_INVALID_ARG,
                  "slot: object %zu is already committed", i);
    if (f->direct) {
        if (f->state[i] == ST_NEW) {
            place(f, i);
        }
        *data = (uint8_t *)(uintptr_t)f->objs[i].payload;
    } else {
        if (f->stage[i] == NULL) {
            f->stage[i] = tgm__malloc(f->lens[i] ? f->lens[i] : 1);
            if (f->stage[i] == NULL) {
                return tgm__oom(f->lens[i], "object input");
            }
        }
        *data = f->stage[i];
    }
    *len = f->lens[i];
    if (f->state[i] == ST_NEW) {
        f->state[i] = ST_SLOT; /* (a slot taken again during ranges stays in them) */
    }
    return TGM_ERROR_OK;
}

static tgm_error check_commit(const tgm_msg_fill *f, size_t i, unsigned flags, const char *what) {
    TGM_TRY(check_object(f, i, what));
    TGM_RETURN_IF(flags > TGM_FILL_NONFINITE, TGM_ERROR_INVALID_ARG,
                  "%s: unknown flags %u (expected check, finite or non-finite)", what, flags);
    TGM_RETURN_IF(f->state[i] >= ST_DONE, TGM_ERROR_INVALID_ARG,
                  "%s: object %zu is already committed", what, i);
    TGM_RETURN_IF(f->state[i] == ST_RANGES, TGM_ERROR_INVALID_ARG,
                  "%s: object %zu is being committed in ranges (%zu of %zu bytes)", what, i,
                  f->ranges[i].done, f->lens[i]);
    return TGM_ERROR_OK;
}

/* The length of obj's data-object frame (unpadded). */
static tgm_error frame_length(const tgm_encoded_obj *obj, size_t *len) {
    tgm_buf cbor = TGM_BUF_INIT;
    uint64_t n = 0;
    tgm_error err = tgm__cbor_encode(obj->desc_val, &cbor);
    if (err == TGM_ERROR_OK) {
        err = tgm__emit_object_size(obj, cbor.len, &n);
    }
    tgm__buf_free(&cbor);
    *len = (size_t)n;
    return err;
}

/* Object i through the pipeline with the mask options, as tgm__msg_encode
 * takes it (from `src` for a copy, else from the slot), and its frame into
 * a buffer of its own.  With nothing to mask after all (values declared
 * non-finite that are not), the frame is written in place as a commit
 * writes it. */
static tgm_error encode_masked(tgm_msg_fill *f, size_t i) {
    masked *m = &f->masked[i];
    tgm__encoded_obj_free(&m->obj);
    tgm__buf_free(&m->frame);
    m->framed = false;
    m->in_msg = false;
    const uint8_t *data = f->src[i] != NULL ? f->src[i] : f->objs[i].payload;
    size_t len = f->lens[i];
    tgm_encode_opts eo = f->o.object;
    eo.hashing = f->o.hashing;
    eo.threads = f->budget;
    TGM_TRY(tgm__pipeline_encode(&m->arena, &f->descs[i], len ? data : (const uint8_t *)"", len,
                                 &eo, &m->obj));
    if (m->obj.masks.len == 0 && m->obj.owned.data == NULL && !m->obj.check_finite_on_copy) {
        /* Finite after all (allowed, none found): the frame laid out. */
        tgm__encoded_obj_free(&m->obj);
        tgm_encoded_obj o = f->objs[i];
        o.check_finite_on_copy = false;
        o.payload = len ? data : o.payload;
        TGM_TRY(tgm__msg_write_frame(f->msg.data, written_at(f, i), &o, f->o.hashing, false, NULL,
                                     &f->hash[i]));
        f->state[i] = ST_DONE;
        return TGM_ERROR_OK;
    }
    /* Framed (checked, when the options refuse what the caller declared):
     * in the message, where its slot is, when the longer frame overlaps no
     * slot placed after it and stays in the room kept (growing it now
     * makes the slots placed later go after it); else in a buffer of its
     * own, copied in by finish. */
    size_t flen;
    TGM_TRY(frame_length(&m->obj, &flen));
    size_t was = tgm__align8(f->frame_len[i]), span = tgm__align8(flen);
    size_t grow = span > was ? span - was : 0;
    pthread_mutex_lock(&f->lock);
    bool here = f->shift[i] <= f->slack && grow <= f->slack - f->shift[i];
    for (size_t k = i + 1; here && k < f->n; k++) {
        here = !f->placed[k] || f->shift[k] >= f->shift[i] + grow;
    }
    f->grow[i] = grow;
    pthread_mutex_unlock(&f->lock);
    if (here) {
        /* (A failure leaves the values in the slot: the payload is the
         * substituted copy, or checked in place before anything moves.) */
        TGM_TRY(tgm__msg_write_frame(f->msg.data, written_at(f, i), &m->obj, f->o.hashing, false,
                                     NULL, &f->hash[i]));
    } else {
        TGM_TRY(tgm__msg_frame_to_buf(&m->obj, f->o.hashing, &m->frame, &f->hash[i]));
    }
    tgm__buf_free(&m->obj.owned); /* the frame has it; finish needs the sizes only */
    m->obj.payload = NULL;
    m->in_msg = here;
    m->framed = true;
    return TGM_ERROR_OK;
}

/* Object i has (or is said to have) NaN / Inf: masks, or the error the
 * options call for, which finish reports (as tgm__msg_encode would, from
 * the whole message). */
static tgm_error commit_masked(tgm_msg_fill *f, size_t i) {
    f->state[i] = ST_MASKS;
    if (encode_masked(f, i) != TGM_ERROR_OK) {
        tgm__clear_error(); /* run again by finish */
    }
    return TGM_ERROR_OK;
}

/* Object i's frame, its payload copied from `src` on the way (NULL: it is
 * in the slot already), checked as `flags` say and hashed in the same
 * pass.  A NaN / Inf the options allow sends the object to the pipeline
 * (commit_masked), which reads the values from the slot or from `src`. */
static tgm_error commit_direct(tgm_msg_fill *f, size_t i, const uint8_t *src, unsigned flags) {
    /* The pipeline asked for the check (lay_out refused NaN / Inf) exactly
     * for float dtypes. */
    bool is_float = f->objs[i].check_finite_on_copy;
    bool allowed = f->o.object.allow_nan || f->o.object.allow_inf;
    if (src != NULL) {
        f->src[i] = src;
    }
    if (flags == TGM_FILL_NONFINITE && is_float) {
        return commit_masked(f, i);
    }
    tgm_encoded_obj o = f->objs[i];
    o.check_finite_on_copy = is_float && flags != TGM_FILL_FINITE;
    if (src != NULL && f->lens[i] > 0) {
        o.payload = src;
    }
    tgm_error err = tgm__msg_write_frame(f->msg.data, written_at(f, i), &o, f->o.hashing, false,
                                         NULL, &f->hash[i]);
    if (err == TGM_ERROR_ENCODING && o.check_finite_on_copy && allowed) {
        /* The check met a NaN / Inf the options allow: masks. */
        tgm__clear_error();
        return commit_masked(f, i);
    }
    f->state[i] = err == TGM_ERROR_OK ? ST_DONE : ST_FAILED;
    return err;
}

tgm_error tgm__msg_fill_commit(tgm_msg_fill *f, size_t i, unsigned flags) {
    TGM_TRY(check_commit(f, i, flags, "commit"));
    TGM_RETURN_IF(f->state[i] == ST_NEW, TGM_ERROR_INVALID_ARG,
                  "commit: object %zu was never filled (no slot taken)", i);
    if (!f->direct) {
        f->state[i] = ST_DONE; /* the pipeline reads (and checks) it at finish */
        f->finite[i] = flags == TGM_FILL_FINITE;
        return TGM_ERROR_OK;
    }
    return commit_direct(f, i, NULL, flags);
}

/* The range [off, off + len) of object i, in order: checked and hashed
 * now, while the caller's reader has just left it in cache; the last one
 * writes the frame around the payload hashed so far.  The outcome is
 * commit_direct's for the whole object: a NaN / Inf to mask in any range
 * (or a range declared non-finite) sends the object to the pipeline at the
 * last range, and later ranges are no longer checked nor hashed. */
static tgm_error range_direct(tgm_msg_fill *f, size_t i, size_t off, size_t len, unsigned flags) {
    ranged *r = &f->ranges[i];
    bool is_float = f->objs[i].check_finite_on_copy;
    bool allowed = f->o.object.allow_nan || f->o.object.allow_inf;
    bool last = off + len == f->lens[i];
    tgm_error err = TGM_ERROR_OK;
    if (flags == TGM_FILL_NONFINITE && is_float) {
        r->masks = true;
    }
    if (!r->masks) {
        tgm_encoded_obj o = f->objs[i];
        o.check_finite_on_copy = is_float && flags != TGM_FILL_FINITE;
        if (f->o.hashing && r->hash == NULL) {
            TGM_TRY(tgm__hasher_new(&r->hash));
        }
        err = tgm__emit_payload_range(&o, o.payload + off, len, r->hash);
        if (err == TGM_ERROR_ENCODING && o.check_finite_on_copy && allowed) {
            tgm__clear_error();
            err = TGM_ERROR_OK;
            r->masks = true;
        }
        if (err != TGM_ERROR_OK) {
            f->state[i] = ST_FAILED;
            return err;
        }
    }
    r->done = off + len;
    if (!last) {
        return TGM_ERROR_OK;
    }
    if (r->masks) {
        err = commit_masked(f, i);
    } else {
        err = tgm__msg_write_frame(f->msg.data, written_at(f, i), &f->objs[i], f->o.hashing, true,
                                   r->hash, &f->hash[i]);
        f->state[i] = err == TGM_ERROR_OK ? ST_DONE : ST_FAILED;
    }
    tgm__hasher_free(r->hash);
    r->hash = NULL;
    return err;
}

tgm_error tgm__msg_fill_commit_range(tgm_msg_fill *f, size_t i, size_t off, size_t len,
                                     unsigned flags) {
    TGM_TRY(check_object(f, i, "commit_range"));
    TGM_RETURN_IF(flags > TGM_FILL_NONFINITE, TGM_ERROR_INVALID_ARG,
                  "commit_range: unknown flags %u (expected check, finite or non-finite)", flags);
    TGM_RETURN_IF(f->state[i] >= ST_DONE, TGM_ERROR_INVALID_ARG,
                  "commit_range: object %zu is already committed", i);
    TGM_RETURN_IF(f->state[i] == ST_NEW, TGM_ERROR_INVALID_ARG,
                  "commit_range: object %zu was never filled (no slot taken)", i);
    ranged *r = &f->ranges[i];
    size_t total = f->lens[i];
    TGM_RETURN_IF(off != r->done, TGM_ERROR_INVALID_ARG,
                  "commit_range: object %zu: ranges must follow each other from byte 0; %zu bytes "
                  "are committed, this range starts at %zu",
                  i, r->done, off);
    TGM_RETURN_IF(len > total - off, TGM_ERROR_INVALID_ARG,
                  "commit_range: object %zu: range [%zu, +%zu) goes past its %zu bytes", i, off,
                  len, total);
    size_t width = tgm__dtype_width(f->descs[i].dtype);
    width = width > 0 ? width : 1;
    TGM_RETURN_IF(len % width != 0, TGM_ERROR_INVALID_ARG,
                  "commit_range: object %zu: a range of %zu bytes is not whole %zu-byte elements",
                  i, len, width);
    TGM_RETURN_IF(len == 0 && total > 0, TGM_ERROR_INVALID_ARG,
                  "commit_range: object %zu: empty range", i);
    f->state[i] = ST_RANGES;
    if (!f->direct) {
        /* The pipeline reads (and checks) the slot at finish. */
        r->unknown = r->unknown || flags != TGM_FILL_FINITE;
        r->done = off + len;
        if (r->done == total) {
            f->state[i] = ST_DONE;
            f->finite[i] = !r->unknown;
        }
        return TGM_ERROR_OK;
    }
    return range_direct(f, i, off, len, flags);
}

tgm_error tgm__msg_fill_copy(tgm_msg_fill *f, size_t i, const uint8_t *src, size_t len,
                             unsigned flags) {
    TGM_TRY(check_commit(f, i, flags, "copy"));
    TGM_RETURN_IF(len != f->lens[i], TGM_ERROR_INVALID_ARG,
                  "copy: object %zu takes %zu bytes, %zu given", i, f->lens[i], len);
    TGM_RETURN_IF(src == NULL && len > 0, TGM_ERROR_INVALID_ARG, "copy: null source");
    if (!f->direct) {
        f->src[i] = len > 0 ? src : (const uint8_t *)""; /* the pipeline reads it at finish */
        f->state[i] = ST_DONE;
        f->finite[i] = flags == TGM_FILL_FINITE;
        return TGM_ERROR_OK;
    }
    if (f->state[i] == ST_NEW) {
        place(f, i);
    }
    f->state[i] = ST_SLOT;
    return commit_direct(f, i, src, flags);
}

/* The general encode (not direct), from the input slots.  Objects known
 * to hold no NaN / Inf (vouched for) are not scanned again: with no value
 * to mask, refusing and allowing non-finite values encode alike. */
static tgm_error encode_general(tgm_msg_fill *f, tgm_buf *out) {
    size_t n = f->n;
    const uint8_t **data = tgm__calloc(n ? n : 1, sizeof *data);
    tgm_encoded_obj *objs = tgm__calloc(n ? n : 1, sizeof *objs);
    tgm_arena a = TGM_ARENA_INIT;
    tgm_error err = TGM_ERROR_OK;
    TGM_FAIL_IF(data == NULL || objs == NULL, TGM_ERROR_ENCODING, "out of memory for %zu objects",
                n);
    bool known = false;
    for (size_t i = 0; i < n; i++) {
        data[i] = f->src[i] != NULL ? f->src[i] : f->stage[i];
        known = known || f->finite[i];
    }
    if (!known) {
        err = tgm__msg_encode(&a, &f->meta, f->descs, data, f->lens, n, &f->o, out);
        goto cleanup;
    }
    for (size_t i = 0; i < n; i++) {
        tgm_encode_opts eo = f->o.object;
        eo.hashing = f->o.hashing;
        eo.threads = f->budget;
        if (f->finite[i]) {
            eo.allow_nan = false;
            eo.allow_inf = false;
        }
        TGM_CHECK(tgm__pipeline_encode(&a, &f->descs[i], f->lens[i] ? data[i] : (const uint8_t *)"",
                                       f->lens[i], &eo, &objs[i]));
        if (f->finite[i]) {
            objs[i].check_finite_on_copy = false;
        }
    }
    tgm_global_meta full;
    TGM_CHECK(tgm__msg_sections(&a, &f->meta, objs, n, &full));
    TGM_CHECK(tgm__msg_write(&a, &full, objs, n, &f->o, f->budget, NULL, out, NULL));
cleanup:
    for (size_t i = 0; objs != NULL && i < n; i++) {
        tgm__encoded_obj_free(&objs[i]);
    }
    tgm__free(objs);
    tgm__free(data);
    tgm__arena_free(&a);
    return err;
}

/* Direct, with masked objects: the layout with their frames' real sizes;
 * the frames written in place moved to their offsets in it where they are
 * not there yet (placement), from the back (every frame moves towards the
 * end, and a frame's new place overlaps no frame before it still to
 * move); the masked frames copied in; then the other frames around
 * them. */
static tgm_error place_masked(tgm_msg_fill *f, tgm_buf *out) {
    size_t n = f->n;
    for (size_t i = 0; i < n; i++) {
        if (f->state[i] == ST_MASKS && !f->masked[i].framed) {
            TGM_TRY(encode_masked(f, i)); /* failed at commit: its error now */
        }
    }
    tgm_error err = TGM_ERROR_OK;
    tgm_encoded_obj *lo = tgm__calloc(n, sizeof *lo);
    size_t *at = tgm__calloc(n, sizeof *at), *flen = tgm__calloc(n, sizeof *flen);
    TGM_FAIL_IF(lo == NULL || at == NULL || flen == NULL, TGM_ERROR_ENCODING,
                "out of memory for %zu objects", n);
    for (size_t i = 0; i < n; i++) {
        bool m = f->state[i] == ST_MASKS;
        lo[i] = m ? f->masked[i].obj : f->objs[i]; /* (sizes and descriptors only) */
    }
    tgm_msg_layout layout = {at, flen, 0, 0};
    TGM_CHECK(tgm__msg_write(&f->arena, &f->full, lo, n, &f->o, f->budget, NULL, &f->msg, &layout));
    if (layout.total > f->msg.cap) {
        /* Exactly: the message is handed over as it is. */
        uint8_t *p = tgm__realloc(f->msg.data, layout.total);
        TGM_FAIL_IF(p == NULL, TGM_ERROR_ENCODING, "out of memory for a message of %zu bytes",
                    layout.total);
        f->msg.data = p;
        f->msg.cap = layout.total;
    }
    uint8_t *base = f->msg.data;
    for (size_t i = n; i-- > 0;) {
        bool own = f->state[i] == ST_MASKS && !f->masked[i].in_msg;
        if (own) {
            continue;
        }
        size_t from = written_at(f, i);
        size_t expect = f->state[i] == ST_MASKS ? flen[i] : f->frame_len[i];
        TGM_FAIL_IF(at[i] < from || flen[i] != expect, TGM_ERROR_ENCODING,
                    "internal: object %zu's frame (%zu bytes at %zu) is laid out again as %zu "
                    "bytes at %zu",
                    i, f->frame_len[i], from, flen[i], at[i]);
        if (at[i] != from) {
            memmove(base + at[i], base + from, tgm__align8(flen[i]));
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (f->state[i] != ST_MASKS || f->masked[i].in_msg) {
            continue;
        }
        const tgm_buf *fr = &f->masked[i].frame;
        TGM_FAIL_IF(fr->len != tgm__align8(flen[i]), TGM_ERROR_ENCODING,
                    "internal: object %zu's frame is %zu bytes, laid out as %zu", i, fr->len,
                    flen[i]);
        memcpy(base + at[i], fr->data, fr->len);
    }
    TGM_CHECK(tgm__msg_write(&f->arena, &f->full, lo, n, &f->o, f->budget, f->hash, &f->msg, NULL));
    TGM_FAIL_IF(f->msg.len != layout.total, TGM_ERROR_ENCODING,
                "internal: the message is %zu bytes, laid out as %zu", f->msg.len, layout.total);
    tgm__buf_free(out);
    *out = f->msg;
    f->msg = (tgm_buf)TGM_BUF_INIT;
cleanup:
    tgm__free(lo);
    tgm__free(at);
    tgm__free(flen);
    return err;
}

tgm_error tgm__msg_fill_finish(tgm_msg_fill *f, tgm_buf *out) {
    TGM_RETURN_IF(f->finished, TGM_ERROR_INVALID_ARG, "finish: the message is already finished");
    bool masks = false;
    for (size_t i = 0; i < f->n; i++) {
        TGM_RETURN_IF(f->state[i] == ST_FAILED, TGM_ERROR_INVALID_ARG,
                      "finish: object %zu failed its commit", i);
        TGM_RETURN_IF(
            f->state[i] == ST_RANGES, TGM_ERROR_INVALID_ARG,
            "finish: object %zu was committed in part (ranges cover %zu of its %zu bytes)", i,
            f->ranges[i].done, f->lens[i]);
        TGM_RETURN_IF(f->state[i] < ST_DONE, TGM_ERROR_INVALID_ARG, "finish: object %zu was not %s",
                      i, f->state[i] == ST_NEW ? "filled (no slot taken)" : "committed");
        masks = masks || f->state[i] == ST_MASKS || (f->direct && f->shift[i] != 0);
    }
    f->finished = true;
    if (!f->direct) {
        return encode_general(f, out);
    }
    if (masks) {
        return place_masked(f, out);
    }
    /* The header frames, the hash frames and the postamble around the
     * object frames already written. */
    TGM_TRY(tgm__msg_write(&f->arena, &f->full, f->objs, f->n, &f->o, f->budget, f->hash, &f->msg,
                           NULL));
    TGM_RETURN_IF(f->msg.len != f->total, TGM_ERROR_ENCODING,
                  "internal: the message is %zu bytes, laid out as %zu", f->msg.len, f->total);
    tgm__buf_free(out);
    *out = f->msg;
    f->msg = (tgm_buf)TGM_BUF_INIT;
    return TGM_ERROR_OK;
}
