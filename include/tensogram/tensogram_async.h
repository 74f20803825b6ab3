/* tensogram_async.h - Tensogram for C additions: waiting on many tasks.
 * Included by tensogram.h; not part of the reference API.
 *
 * A notifier is a completion queue with a file descriptor.  Tasks are
 * registered with it under a caller-chosen 64-bit tag; when a registered
 * task resolves, its tag is queued and the descriptor becomes readable.
 * An event loop (asyncio, libuv, epoll, poll) watches the one descriptor
 * for any number of tasks, then drains the queued tags and joins those
 * tasks without blocking: no thread waits per task.
 *
 *     tgm_async_notifier_t *n;
 *     tgm_async_notifier_create(&n);
 *     for (i = 0; i < 1000; i++) {
 *         tgm_async_file_decode_object(f, i, 0, true, 0, true, false, NULL, 0, &t[i]);
 *         tgm_async_task_set_notifier(t[i], n, i);
 *     }
 *     for (done = 0; done < 1000;) {
 *         struct pollfd p = {tgm_async_notifier_fd(n), POLLIN, 0};
 *         poll(&p, 1, -1);
 *         uint64_t tags[64];
 *         size_t k = tgm_async_notifier_drain(n, tags, 64);
 *         for (j = 0; j < k; j++, done++) {
 *             tgm_async_task_join_message(t[tags[j]], &msg);   (ready: no wait)
 *             ...
 *         }
 *     }
 *
 * The descriptor is level-triggered: readable exactly while tags are
 * queued (an eventfd on Linux, a pipe elsewhere).  Only read it through
 * tgm_async_notifier_drain; never close it.  A notifier may be used from
 * several threads; tags are delivered once each, in completion order. */
#ifndef TENSOGRAM_ASYNC_H
#define TENSOGRAM_ASYNC_H

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tgm_async_notifier_t tgm_async_notifier_t;

/* A new, empty notifier.  TGM_ERROR_IO when no descriptor can be made. */
TGM_API tgm_error tgm_async_notifier_create(tgm_async_notifier_t **out);

/* The readable-while-tags-are-queued descriptor (-1 for NULL). */
TGM_API int tgm_async_notifier_fd(const tgm_async_notifier_t *n);

/* Queue `tag` on `n` when `task` resolves (at once if it already has).  A
 * task has at most one notifier: a second registration fails with
 * TGM_ERROR_INVALID_ARG.  Independent of tgm_async_task_set_completion;
 * both may be used on one task.  The notifier stays alive while tasks
 * registered with it are pending, even if freed by the caller. */
TGM_API tgm_error tgm_async_task_set_notifier(tgm_async_task_t *task, tgm_async_notifier_t *n,
                                              uint64_t tag);

/* Move up to max_tags queued tags into tags[] (oldest first) and return
 * how many; never blocks.  The descriptor stops being readable when the
 * queue is empty. */
TGM_API size_t tgm_async_notifier_drain(tgm_async_notifier_t *n, uint64_t *tags, size_t max_tags);

/* Block until a tag is queued or timeout_ms passes (-1: no limit).
 * Returns true when tags are queued.  For programs without an event
 * loop; it does not drain. */
TGM_API bool tgm_async_notifier_wait(tgm_async_notifier_t *n, int64_t timeout_ms);

/* Release the caller's handle (NULL is ignored).  Tags of tasks resolving
 * afterwards are dropped. */
TGM_API void tgm_async_notifier_free(tgm_async_notifier_t *n);

/* More operations on async files, with the launching conventions of the
 * reference's (cancel, timeout_ms, out_task; see tensogram.h).
 *
 * decode_descriptors resolves to a message holding the metadata and every
 * object's descriptor but no decoded values (tgm_file_decode_descriptors;
 * join with tgm_async_task_join_message).  prefetch_layouts learns where
 * messages indexes[0..n) are and what they contain (their index and
 * metadata frames), so later operations on them need no lookup of their
 * own: for remote files this is the round trips to the server, done
 * together; local files are simply scanned.  It resolves to void, or to
 * TGM_ERROR_FRAMING when an index is out of range. */
TGM_API tgm_error tgm_async_file_decode_descriptors(tgm_async_file_t *file, size_t index,
                                                    tgm_cancellation_token_t *cancel,
                                                    uint64_t timeout_ms,
                                                    tgm_async_task_t **out_task);
TGM_API tgm_error tgm_async_file_prefetch_layouts(tgm_async_file_t *file, const size_t *indexes,
                                                  size_t n, tgm_cancellation_token_t *cancel,
                                                  uint64_t timeout_ms, tgm_async_task_t **out_task);

/* One object (obj_index) of each of messages msg_indices[0..n), as
 * tgm_file_decode_object_batch: on remote files the reads of the whole
 * batch are planned together (missing layouts in one batch, neighbouring
 * frames merged into one request), where n decode_object tasks would each
 * make their own requests; like every remote operation it holds no worker
 * while the network works.  Resolves to n messages of one object each:
 * join with tgm_async_task_join_message_array(task, out, n), which fills
 * out[0..n) (the caller frees each with tgm_message_free); a different n
 * is TGM_ERROR_INVALID_ARG and discards the result. */
TGM_API tgm_error tgm_async_file_decode_object_batch(
    tgm_async_file_t *file, const size_t *msg_indices, size_t n, size_t obj_index,
    bool native_byte_order, uint32_t threads, bool verify_hash, tgm_cancellation_token_t *cancel,
    uint64_t timeout_ms, tgm_async_task_t **out_task);
TGM_API tgm_error tgm_async_task_join_message_array(tgm_async_task_t *task, tgm_message_t **out,
                                                    size_t n);

/* Tasks not yet finished, over the whole process (for monitoring and
 * tests).  A task counts until its worker has let go of it, which is just
 * after its completion callback (if any) returns: right after the last
 * callback the count may still read 1 for a moment. */
TGM_API uint64_t tgm_async_pending_tasks(void);

#ifdef __cplusplus
}
#endif

#endif
