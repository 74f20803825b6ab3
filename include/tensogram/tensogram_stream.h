/* tensogram_stream.h - Tensogram for C additions: streaming output.
 * Included by tensogram.h; not part of the reference API.
 *
 * The reference-compatible streaming encoder (tgm_streaming_encoder_create
 * ... _free, declared in tensogram.h) writes to a path.  The functions here
 * add other outputs (an open file descriptor, memory), the back-filled
 * finish, finishing one message and starting the next on the same encoder,
 * and the aggregate-hash placement option.
 *
 * What a streamed message looks like (WIRE_FORMAT §3.2, §6, §7, §9.4): the
 * preamble with total_length 0 and a HeaderMetadata frame holding the
 * metadata given at creation are written at once; each object's frame
 * (after its optional PrecederMetadata frame) is written by the call that
 * supplies it; finish writes a FooterMetadata frame (the metadata with each
 * object's base[i]._reserved_.tensor, the preceder keys merged in, and the
 * provenance), a FooterHash frame when hashing, a FooterIndex frame and the
 * postamble.  Decoders read such messages like any other; the footer index
 * gives O(1) access to each object.
 *
 * Semantics shared by every streaming encoder:
 *  - Memory stays bounded by the largest object: payloads are not kept
 *    after their frame is written, only a few tens of bytes per object.
 *  - A call that fails on its input (bad descriptor, non-finite value,
 *    preceder rule) writes nothing; the encoder stays usable.  After a
 *    write error (TGM_ERROR_IO, with the path in the detail) the output is
 *    incomplete and every later call fails.
 *  - tgm_streaming_encoder_finish writes total_length = 0 in the preamble
 *    and the postamble, as the reference's does; readers then find the end
 *    of the message by walking its frames.  tgm_streaming_encoder_finish_
 *    backfilled writes the real length in both places when the output is
 *    seekable (a regular file not opened with O_APPEND, or memory), which
 *    lets readers scan a file backwards; on a pipe or socket it behaves as
 *    the plain finish.
 *  - finish with a PrecederMetadata frame still waiting for its object
 *    fails with TGM_ERROR_FRAMING and writes nothing: write the object (or
 *    free the encoder).  The reference's encoder is consumed by such a
 *    failed finish; this one stays usable.
 *  - Freeing an encoder that was not finished abandons the message: the
 *    frames written so far stay in the file (whole frames, no footer and
 *    no postamble), which readers and scanners skip as an incomplete
 *    message.  The file is not removed: it may not be a regular file
 *    (a FIFO, /dev/stdout), and removing what the caller named would be
 *    surprising; remove it yourself if the partial output is unwanted.
 *    Memory output is discarded.
 *  - finish does not fsync; the bytes are with the operating system.
 *  - One encoder must not be used from two threads at once. */
#ifndef TENSOGRAM_STREAM_H
#define TENSOGRAM_STREAM_H

#ifdef __cplusplus
extern "C" {
#endif

/* Options of the streaming encoders created below.  Start from
 * TGM_STREAMING_OPTIONS_INIT (or zero the struct and set `size`): fields
 * added by later versions go at the end, and `size` tells the library
 * which fields the caller knows about. */
typedef struct {
    size_t size;           /* sizeof(tgm_streaming_options) */
    const char *hash_algo; /* "xxh3", or NULL / "none" for no hashing */
    uint32_t threads;      /* per-object codec threads: 0 = TENSOGRAM_THREADS or 1 */
    /* NaN / Inf handling (see TgmEncodeMaskOptions); NULL refuses
     * non-finite values. */
    const TgmEncodeMaskOptions *mask_options;
    /* Aggregate hash frame: NULL, "auto" or "footer" write a FooterHash
     * frame when hashing; "none" writes none (the per-frame hashes stay).
     * "header" and "both" are impossible when streaming (the header is
     * written before any hash is known): TGM_ERROR_ENCODING.  Other names:
     * TGM_ERROR_INVALID_ARG. */
    const char *aggregate_hash;
} tgm_streaming_options;

#define TGM_STREAMING_OPTIONS_INIT                                                                 \
    { sizeof(tgm_streaming_options), NULL, 0, NULL, NULL }

/* tgm_streaming_encoder_create with options (NULL = defaults: no hashing,
 * one thread, non-finite values refused, footer aggregate).  The file at
 * `path` is created or truncated. */
TGM_API tgm_error tgm_streaming_encoder_create_path(const char *path, const char *metadata_json,
                                                    const tgm_streaming_options *options,
                                                    tgm_streaming_encoder_t **out);

/* Write to an open file descriptor (a file, a pipe, a socket), starting at
 * its current position: a message may follow others in the file (offsets
 * inside a message are relative to its start).  The descriptor stays the
 * caller's: it is never closed by the library, must stay open until the
 * encoder is finished or freed, and must not be written to by anyone else
 * meanwhile (the back-filled finish patches the preamble at the position
 * where the message began).  Writing to a pipe whose reader has gone
 * raises SIGPIPE unless the program ignores it (the library does not
 * change signal handling).  TGM_ERROR_INVALID_ARG for a negative
 * descriptor, TGM_ERROR_IO for a closed one. */
TGM_API tgm_error tgm_streaming_encoder_create_fd(int fd, const char *metadata_json,
                                                  const tgm_streaming_options *options,
                                                  tgm_streaming_encoder_t **out);

/* Write into memory; after finish, take the message with
 * tgm_streaming_encoder_take. */
TGM_API tgm_error tgm_streaming_encoder_create_memory(const char *metadata_json,
                                                      const tgm_streaming_options *options,
                                                      tgm_streaming_encoder_t **out);

/* Finish with the real total_length in the preamble and the postamble when
 * the output is seekable (see above); otherwise identical to
 * tgm_streaming_encoder_finish.  The handle must still be freed. */
TGM_API tgm_error tgm_streaming_encoder_finish_backfilled(tgm_streaming_encoder_t *enc);

/* Memory encoders, after a successful finish: hand the message to the
 * caller (*out, free with tgm_bytes_free).  Once only.
 * TGM_ERROR_INVALID_ARG when the encoder does not write to memory, is not
 * finished, or the bytes were already taken. */
TGM_API tgm_error tgm_streaming_encoder_take(tgm_streaming_encoder_t *enc, tgm_bytes_t *out);

/* Finish the current message (back-filled when `backfill` is non-zero and
 * the output is seekable) and start the next one on the same output with
 * the same metadata and options.  Memory encoders hand the finished
 * message to *out (required); other encoders leave it in their file and
 * set *out, when out is not NULL, to {NULL, 0}.  Each message gets its own
 * provenance (time, uuid).  On failure the encoder is finished. */
TGM_API tgm_error tgm_streaming_encoder_finish_and_reset(tgm_streaming_encoder_t *enc,
                                                         int32_t backfill, tgm_bytes_t *out);

/* Bytes of the current message produced so far (0 for NULL or a finished
 * encoder). */
TGM_API uint64_t tgm_streaming_encoder_bytes_written(const tgm_streaming_encoder_t *enc);

/* A whole (buffered-layout) message written to a file descriptor without
 * being assembled in memory: the bytes tgm_encode_ex returns for the same
 * arguments, byte for byte (header index and hash frames included, which
 * the streaming encoders above cannot write), written at fd's current
 * position.  The frames around the payloads are built in a small buffer;
 * each payload goes to the descriptor from where it is (writev): from
 * data_ptrs[i] itself for objects stored as given (encoding, filter and
 * compression "none"), from the encoded bytes otherwise.  Payloads are
 * checked (NaN / Inf) and hashed where they are before the first byte is
 * written, so an input error (those of tgm_encode_ex) writes nothing.
 * *out_len (may be NULL) receives the message length on success.
 * TGM_ERROR_IO when a write fails (the system's reason in the detail);
 * the file then holds part of the message: for an output that appears
 * only complete, write to a temporary file in the destination directory
 * and rename it into place on success (what the tensogram tool does).
 * The descriptor is not closed, not synced, and may be a pipe or socket
 * (a vanished reader raises SIGPIPE unless the program ignores it).
 * TGM_ERROR_INVALID_ARG for a negative descriptor.  Thread-safe as
 * tgm_encode_ex (one writer per descriptor). */
TGM_API tgm_error tgm_encode_ex_fd(const char *metadata_json, const uint8_t *const *data_ptrs,
                                   const size_t *data_lens, size_t num_objects,
                                   const tgm_encode_options *options, int fd, uint64_t *out_len);

#ifdef __cplusplus
}
#endif

#endif
