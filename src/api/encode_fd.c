/* tgm_encode_ex_fd: a buffered-layout message written to a file descriptor
 * in pieces (tgm__msg_encode_gather), payloads straight from where they are. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "api/api.h"
#include "common/alloc.h"

#ifndef IOV_MAX
#define IOV_MAX 1024
#endif

typedef struct fd_ctx {
    int fd;
    uint64_t written;
} fd_ctx;

/* Every piece, in order, with as few writev calls as the kernel allows
 * (partial writes and EINTR resumed). */
static tgm_error write_pieces(void *vctx, const tgm_seg *segs, size_t n) {
    fd_ctx *c = vctx;
    struct iovec iov[64];
    size_t i = 0, skip = 0; /* bytes of segs[i] already written */
    while (i < n) {
        int k = 0;
        for (size_t j = i; j < n && k < (int)(sizeof iov / sizeof iov[0]) && k < IOV_MAX; j++) {
            size_t off = j == i ? skip : 0;
            iov[k].iov_base = (void *)(uintptr_t)((const uint8_t *)segs[j].p + off);
            iov[k].iov_len = segs[j].n - off;
            k++;
        }
        ssize_t w = writev(c->fd, iov, k);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return tgm__fail_raw(TGM_ERROR_IO, "cannot write the message to descriptor %d: %s",
                                 c->fd, w < 0 ? strerror(errno) : "nothing written");
        }
        c->written += (uint64_t)w;
        size_t left = (size_t)w;
        while (i < n && left >= segs[i].n - skip) {
            left -= segs[i].n - skip;
            skip = 0;
            i++;
        }
        skip += left;
    }
    return TGM_ERROR_OK;
}

tgm_error tgm_encode_ex_fd(const char *metadata_json, const uint8_t *const *data_ptrs,
                           const size_t *data_lens, size_t num_objects,
                           const tgm_encode_options *options, int fd, uint64_t *out_len) {
    tgm__clear_error();
    TGM_API_REQUIRE(metadata_json != NULL, "null argument");
    TGM_API_REQUIRE(fd >= 0, "negative file descriptor");
    tgm_api_encode_args args = {.metadata_json = metadata_json,
                                .data_ptrs = data_ptrs,
                                .data_lens = data_lens,
                                .num_objects = num_objects};
    TGM_TRY(tgm__api_encode_args_from_options(options, &args));
    tgm_error err = TGM_ERROR_OK;
    tgm_arena arena = TGM_ARENA_INIT;
    tgm_global_meta meta;
    tgm_descriptor *descs = NULL;
    tgm_msg_encode_opts mo;
    fd_ctx c = {fd, 0};
    TGM_CHECK(tgm__api_encode_prepare(&args, &arena, &meta, &descs, NULL, &mo));
    TGM_CHECK(tgm__api_check_data(data_ptrs, data_lens, num_objects));
    TGM_CHECK(tgm__msg_encode_gather(&arena, &meta, descs, data_ptrs, data_lens, num_objects, &mo,
                                     write_pieces, &c));
    if (out_len != NULL) {
        *out_len = c.written;
    }
cleanup:
    tgm__arena_free(&arena);
    return err;
}
