/* Internal definitions of the public handles. */
#ifndef TGM_API_API_H
#define TGM_API_API_H

#include <stdatomic.h>
#include <stdbool.h>

#include "common/arena.h"
#include "common/error.h"
#include "message/message.h"
#include "meta/meta.h"
#include "tensogram/tensogram.h"

/* Cached strings handed out by accessors (valid until the handle is freed). */
typedef struct tgm_str_cache {
    struct tgm_str_cache *next;
    size_t obj; /* SIZE_MAX for message-level */
    const char *key;
    const char *value;
} tgm_str_cache;

/* Metadata built on first use from a handle's bytes (api/metadata.c). */
typedef struct tgm_lazy_meta tgm_lazy_meta;

struct tgm_metadata_t {
    tgm_arena arena;
    tgm_global_meta meta; /* when bytes.cbor is NULL */
    /* Else the metadata as checked CBOR (stored after the handle, one
     * allocation): the sections are built by the first accessor that needs
     * them and published with a compare-and-swap (const accessors may run
     * on several threads). */
    tgm_meta_bytes bytes;
    _Atomic(tgm_lazy_meta *) built;
    /* Strings handed out by the getters: nodes malloc'd one by one and
     * pushed with a compare-and-swap (getters may race on one handle). */
    _Atomic(tgm_str_cache *) cache;
    const char *json;
    const char **obj_json; /* per object, lazily */
};

/* What the descriptor accessors build on first use (api/message.c): each
 * object's descriptor map (descriptors read directly keep only their
 * CBOR) and its JSON text.  Built by whichever thread asks first and
 * published with a compare-and-swap, so that const accessors may be
 * called from several threads. */
typedef struct tgm_lazy_descs tgm_lazy_descs;

/* A decoded message (message/decode.c). */
struct tgm_message_t {
    tgm_decoded d;
    _Atomic(tgm_lazy_descs *) descs;
};

void tgm__api_lazy_descs_free(tgm_lazy_descs *l);

/* Argument checks: record "null argument" style details. */
#define TGM_API_REQUIRE(cond, msg)                                                                 \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            return tgm__fail_raw(TGM_ERROR_INVALID_ARG, "%s", msg);                                \
        }                                                                                          \
    } while (0)

/* Decode into a new message handle: every object, or object `index`
 * (async tasks, files and iterators share these). */
typedef tgm_msg_decode_opts tgm_api_decode_opts;

/* The options of the reference's positional arguments (mask_options NULL:
 * NaN / Inf restored). */
tgm_msg_decode_opts tgm__api_decode_opts(int32_t native_byte_order, uint32_t threads,
                                         int32_t verify_hash,
                                         const TgmDecodeMaskOptions *mask_options);

tgm_error tgm__api_decode_into(const uint8_t *buf, size_t len, const tgm_api_decode_opts *o,
                               tgm_message_t **out);
tgm_error tgm__api_decode_one(const uint8_t *buf, size_t len, size_t index,
                              const tgm_api_decode_opts *o, tgm_message_t **out);

/* Decode one located object (tgm__msg_object, tgm__msg_parse_object_frame)
 * into *out; msgbuf is the buffer its frame_off is relative to. */
tgm_error tgm__api_decode_ref(const uint8_t *msgbuf, const tgm_obj_ref *r,
                              const tgm_api_decode_opts *o, tgm_decoded_obj *out);
/* tgm_decode_range_with_options on a located object. */
tgm_error tgm__api_decode_range_ref(const tgm_obj_ref *ref, size_t object_index,
                                    const uint64_t *ranges_offsets, const uint64_t *ranges_counts,
                                    size_t num_ranges, int32_t native_byte_order, uint32_t threads,
                                    int32_t join, const TgmDecodeMaskOptions *mask_options,
                                    tgm_bytes_t *out, size_t *out_count);

/* Remote files (file_remote.c): the per-message operations that read
 * only the bytes they need.  *done false: the message has no usable index
 * (or layout), use the whole-message path instead. */
tgm_error tgm__api_remote_metadata(tgm_file_t *f, size_t i, tgm_metadata_t **out, bool *done);
tgm_error tgm__api_remote_descriptors(tgm_file_t *f, size_t i, tgm_message_t **out, bool *done);
tgm_error tgm__api_remote_object(tgm_file_t *f, size_t i, size_t j, const tgm_api_decode_opts *o,
                                 tgm_message_t **out, bool *done);
tgm_error tgm__api_remote_range(tgm_file_t *f, size_t i, size_t j, const uint64_t *offs,
                                const uint64_t *counts, size_t nr, int32_t native, uint32_t threads,
                                int32_t join, tgm_bytes_t *out, size_t *out_count, bool *done);

/* Encode from the C API's JSON; shared by tgm_encode*, file append, ... */
typedef struct tgm_api_encode_args {
    const char *metadata_json;
    const uint8_t *const *data_ptrs;
    const size_t *data_lens;
    size_t num_objects;
    const char *hash_algo;
    uint32_t threads;
    const TgmEncodeMaskOptions *mask_options;
    bool pre_encoded;
    bool stored;      /* tgm_encode_stored */
    bool header_hash; /* aggregate hash frames (when hashing) */
    bool footer_hash;
    /* The metadata as a value tree (tgm_encode_doc); NULL: metadata_json. */
    const tgm_val *metadata_root;
} tgm_api_encode_args;

/* Encode arguments from a tgm_encode_options (NULL = defaults).
 * INVALID_ARG for a size too small, an unknown aggregate placement or
 * input kind. */
tgm_error tgm__api_encode_args_from_options(const tgm_encode_options *o, tgm_api_encode_args *a);

tgm_error tgm__api_encode(const tgm_api_encode_args *args, tgm_buf *out);

/* The first half of tgm__api_encode: the metadata (text or document) read
 * into `arena`, the descriptors (in the arena), the options checked and
 * translated.  ndesc_out NULL: the descriptor count must be
 * args->num_objects; else it is returned there. */
tgm_error tgm__api_encode_prepare(const tgm_api_encode_args *args, tgm_arena *arena,
                                  tgm_global_meta *meta, tgm_descriptor **descs_out,
                                  size_t *ndesc_out, tgm_msg_encode_opts *mo);
/* The options part of tgm__api_encode_prepare: the hash name and mask
 * options checked (INVALID_ARG), the rest translated; every byte of *mo is
 * written (padding zeroed), so equal options compare equal with memcmp. */
tgm_error tgm__api_encode_opts(const tgm_api_encode_args *args, tgm_msg_encode_opts *mo);

/* tgm__api_encode for metadata text seen before on this thread
 * (encode_cache.c): *done true when it encoded (or failed as the general
 * path would); *done false: nothing written, use the general path. */
tgm_error tgm__api_encode_cached(const tgm_api_encode_args *args, tgm_buf *out, bool *done);

/* INVALID_ARG for null data arrays or a null pointer with a length. */
tgm_error tgm__api_check_data(const uint8_t *const *data_ptrs, const size_t *data_lens, size_t n);

/* Parse mask options into pipeline options (INVALID_ARG on bad names). */
tgm_error tgm__api_mask_options(const TgmEncodeMaskOptions *mo, bool *allow_nan, bool *allow_inf,
                                const char *methods[3], int64_t *threshold);

/* A metadata handle built from parsed metadata (deep-copied into its arena). */
tgm_error tgm__api_metadata_new(const tgm_global_meta *src, tgm_metadata_t **out);
/* A metadata handle over a copy of checked metadata bytes (built on use). */
tgm_error tgm__api_metadata_new_bytes(const tgm_meta_bytes *src, tgm_metadata_t **out);

/* Hand a tgm_buf to the caller as tgm_bytes_t. */
void tgm__api_bytes_from_buf(tgm_buf *b, tgm_bytes_t *out);

/* Validation options (NULL: the defaults) as validation's own
 * (api/validate.c); INVALID_ARG for a bad level or a too small `size`. */
struct tgm_vopts;
tgm_error tgm__vopts_from_options(const tgm_validate_options *in, struct tgm_vopts *out);

#endif
