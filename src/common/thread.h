/* Minimal fork-join parallelism over pthreads.  Work is split into tasks
 * whose boundaries the caller chooses, so results never depend on the
 * number of threads. */
#ifndef TGM_COMMON_THREAD_H
#define TGM_COMMON_THREAD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tensogram/tensogram.h"

/* Resolve a caller's `threads` argument: 0 means "use TENSOGRAM_THREADS when
 * set and non-zero, else 1"; the result is clamped to [1, 1024]. */
uint32_t tgm__resolve_threads(uint32_t requested);

/* Payloads smaller than this run on the calling thread (pool start-up
 * costs more than it saves). */
#define TGM_PARALLEL_THRESHOLD_BYTES ((size_t)64 * 1024)

/* The thread policy of every call that encodes or decodes objects: how a
 * budget of `budget` threads (resolved, >= 1) is spread over `nobj`
 * objects of `bytes` bytes in all.  Below TGM_PARALLEL_THRESHOLD_BYTES
 * everything runs on the calling thread.  Otherwise, with at least as
 * many objects as threads, the objects run side by side with one thread
 * each; with fewer, they run one after the other and each object's
 * pipeline (codec, filter, packing) gets the whole budget.  Frames, which
 * are only copied and hashed, are written on up to the whole budget.
 * Output is the same for every split. */
typedef struct tgm_thread_split {
    uint32_t objects; /* threads running objects side by side */
    uint32_t each;    /* threads one object's pipeline may use */
    uint32_t frames;  /* threads copying finished frames into place */
} tgm_thread_split;

tgm_thread_split tgm__thread_split(uint32_t budget, size_t nobj, uint64_t bytes);

/* Run fn(ctx, i) for i in [0, ntasks) on up to `nthreads` threads (the
 * calling thread included).  Each task returns a tgm_error; the error of the
 * lowest-numbered failing task is returned (its detail text is re-recorded
 * on the calling thread).  Tasks must be independent. */
typedef tgm_error (*tgm_task_fn)(void *ctx, size_t index);
tgm_error tgm__parallel_for(uint32_t nthreads, size_t ntasks, tgm_task_fn fn, void *ctx);

/* Cooperative cancellation.  The async pool points the running thread's
 * stop flag at its task's (NULL otherwise); work loops call
 * tgm__stop_requested() between steps and give up with
 * TGM_ERROR_CANCELLED.  tgm__parallel_for checks it before every task and
 * passes it on to its helper threads. */
void tgm__set_stop_flag(const atomic_int *flag);
const atomic_int *tgm__stop_flag(void);
bool tgm__stop_requested(void);

#endif
