#include "tt.h"

#include <malloc.h>
#include <pthread.h>
#include <sys/mman.h>

#include "common/alloc.h"
#include "common/arena.h"
#include "common/buf.h"
#include "common/checked.h"
#include "common/copy.h"
#include "common/endian.h"
#include "common/error.h"
#include "common/thread.h"

static void test_error_text(void) {
    tgm__clear_error();
    TT_CHECK(tgm_last_error() == NULL);
    tgm_error e = tgm__fail(TGM_ERROR_FRAMING, "bad magic at offset %d", 12);
    TT_CHECK_EQ_INT(e, TGM_ERROR_FRAMING);
    TT_CHECK_EQ_STR(tgm_last_error(), "framing error: bad magic at offset 12");
    tgm__wrap(TGM_ERROR_FRAMING, "message 3");
    TT_CHECK_EQ_STR(tgm_last_error(), "framing error: message 3: bad magic at offset 12");
    TT_CHECK_EQ_STR(tgm_error_string(TGM_ERROR_IO), "I/O error");
    TT_CHECK_EQ_STR(tgm_error_string((tgm_error)99), "unknown error");
    TT_CHECK_EQ_STR(tgm_error_string(TGM_ERROR_MISSING_HASH), "missing hash");
}

static void test_endian(void) {
    uint8_t b[8];
    tgm__wr_be64(b, 0x0102030405060708ull);
    TT_CHECK(b[0] == 1 && b[7] == 8);
    TT_CHECK(tgm__rd_be64(b) == 0x0102030405060708ull);
    TT_CHECK(tgm__rd_le32(b) == 0x04030201u);
    uint8_t s[4] = {1, 2, 3, 4};
    tgm__byteswap(s, 2, 2);
    TT_CHECK(s[0] == 2 && s[1] == 1 && s[2] == 4 && s[3] == 3);
}

static void test_buf(void) {
    tgm_buf b = TGM_BUF_INIT;
    TT_CHECK_ERR(tgm__buf_append(&b, "abc", 3), TGM_ERROR_OK);
    TT_CHECK_ERR(tgm__buf_pad8(&b), TGM_ERROR_OK);
    TT_CHECK_EQ_INT(b.len, 8);
    TT_CHECK(b.data[3] == 0 && b.data[7] == 0);
    TT_CHECK_ERR(tgm__buf_pad8(&b), TGM_ERROR_OK);
    TT_CHECK_EQ_INT(b.len, 8);
    size_t n;
    uint8_t *p = tgm__buf_steal(&b, &n);
    TT_CHECK(n == 8 && p != NULL && memcmp(p, "abc", 3) == 0);
    free(p);
}

/* An arena on the caller's memory: allocations come from it (16-byte
 * aligned, inside it) until it is full, then from chunks of the arena's
 * own; freeing releases those only, and the arena can be used again. */
static void test_arena_lent(void) {
    uint8_t mem[1000];
    tgm_arena a;
    tgm__arena_init_lent(&a, mem + 3, sizeof mem - 3); /* misaligned on purpose */
    size_t inside = 0;
    for (int i = 0; i < 100; i++) {
        uint8_t *p = tgm__arena_alloc(&a, 24);
        TT_ASSERT(p != NULL);
        TT_CHECK(((uintptr_t)p & 15u) == 0);
        memset(p, 0x5a, 24);
        inside += p >= mem && p + 24 <= mem + sizeof mem;
    }
    /* 32 bytes per allocation: about 30 fit, the rest went elsewhere. */
    TT_CHECK(inside >= 25 && inside <= 31);
    TT_CHECK(tgm__arena_owns(&a, mem + 64, 8));
    tgm__arena_free(&a);
    TT_CHECK(a.head == NULL && a.lent == NULL);
    /* Too small to hold a chunk: not used, allocation still works. */
    tgm__arena_init_lent(&a, mem, 20);
    uint8_t *q = tgm__arena_alloc(&a, 8);
    TT_CHECK(q != NULL && !(q >= mem && q < mem + 20));
    tgm__arena_free(&a);
}

static void test_arena(void) {
    tgm_arena a = TGM_ARENA_INIT;
    for (int i = 0; i < 1000; i++) {
        char *s = tgm__arena_strndup(&a, "hello", 5);
        TT_ASSERT(s != NULL && strcmp(s, "hello") == 0);
        TT_CHECK(((uintptr_t)s & 15) == 0);
    }
    void *big = tgm__arena_alloc(&a, 100000);
    TT_CHECK(big != NULL);
    tgm__arena_free(&a);
}

static void test_checked(void) {
    uint64_t r;
    TT_CHECK(tgm__mul_u64(UINT64_MAX, 2, &r) == 1);
    TT_CHECK(tgm__mul_u64(3, 4, &r) == 0 && r == 12);
    TT_CHECK(tgm__add_u64(UINT64_MAX, 1, &r) == 1);
    TT_CHECK(tgm__align8(9) == 16 && tgm__align8(16) == 16);
}

static int sums[64];
static tgm_error task(void *ctx, size_t i) {
    (void)ctx;
    sums[i] = (int)(i * i);
    if (i == 40 || i == 50) {
        return tgm__fail(TGM_ERROR_ENCODING, "task %zu failed", i);
    }
    return TGM_ERROR_OK;
}

/* Large allocations are 2 MiB aligned (huge-page advice), stay usable
 * through realloc and free; small ones are ordinary. */
static void test_large_alloc(void) {
    size_t n = (size_t)8 << 20;
    uint8_t *p = tgm__malloc(n);
    TT_ASSERT(p != NULL);
#ifdef MADV_HUGEPAGE
    TT_CHECK(((uintptr_t)p & (((uintptr_t)2 << 20) - 1)) == 0);
#endif
    memset(p, 0xA5, n);
    uint8_t *q = tgm__realloc(p, 2 * n); /* grow keeps the contents */
    TT_ASSERT(q != NULL);
    TT_CHECK(q[0] == 0xA5 && q[n - 1] == 0xA5);
    q = tgm__realloc(q, 16); /* and so does a shrink */
    TT_ASSERT(q != NULL);
    TT_CHECK(q[15] == 0xA5);
    tgm__free(q);
    tgm_buf b = TGM_BUF_INIT; /* first reserve of a large buffer */
    TT_ASSERT(tgm__buf_reserve(&b, n) == TGM_ERROR_OK);
#ifdef MADV_HUGEPAGE
    TT_CHECK(((uintptr_t)b.data & (((uintptr_t)2 << 20) - 1)) == 0);
#endif
    tgm__buf_free(&b);
    void *s = tgm__malloc(100);
    TT_CHECK(s != NULL);
    tgm__free(s);
}

static void test_threads(void) {
    tgm_error e = tgm__parallel_for(4, 64, task, NULL);
    TT_CHECK_EQ_INT(e, TGM_ERROR_ENCODING);
    TT_CHECK_EQ_STR(tgm_last_error(), "encoding error: task 40 failed");
    TT_CHECK(sums[63] == 63 * 63);
    setenv("TENSOGRAM_THREADS", "3", 1);
    TT_CHECK_EQ_INT(tgm__resolve_threads(0), 3);
    TT_CHECK_EQ_INT(tgm__resolve_threads(2), 2);
    unsetenv("TENSOGRAM_THREADS");
    TT_CHECK_EQ_INT(tgm__resolve_threads(0), 1);
}

/* tgm__copy_stream equals memcpy for every destination alignment and every
 * length around its 64-byte loop, and touches nothing outside [dst, dst+n). */
static void test_copy_stream(void) {
    uint8_t src[512], dst[600];
    for (size_t i = 0; i < sizeof src; i++) {
        src[i] = (uint8_t)(i * 131 + 7);
    }
    for (size_t align = 0; align < 16; align++) {
        for (size_t n = 0; n <= 300; n += (n < 140 ? 1 : 37)) {
            memset(dst, 0xEE, sizeof dst);
            tgm__copy_stream(dst + 32 + align, src + (align * 7) % 16, n);
            tgm__copy_stream_fence();
            TT_CHECK(memcmp(dst + 32 + align, src + (align * 7) % 16, n) == 0);
            int outside = 0;
            for (size_t i = 0; i < sizeof dst; i++) {
                if ((i < 32 + align || i >= 32 + align + n) && dst[i] != 0xEE) {
                    outside = 1;
                }
            }
            TT_CHECK(!outside);
        }
    }
}

/* Large blocks freed on a thread are handed out again on that thread for a
 * request they fit (within 2x); other sizes get fresh blocks; a thread's
 * cached blocks are released when it exits (LeakSanitizer in the ASan
 * run would report them otherwise). */
static void *cache_thread(void *arg) {
    (void)arg;
    uint8_t *p = tgm__malloc((size_t)6 << 20);
    if (p != NULL) {
        memset(p, 1, (size_t)6 << 20);
    }
    tgm__free(p); /* cached, then released at thread exit */
    return NULL;
}

#if defined(__GLIBC__)
static void block_cache_checks(void) {
    size_t n = (size_t)9 << 20;
    uint8_t *p = tgm__malloc(n);
    TT_ASSERT(p != NULL);
    memset(p, 0x5A, n);
    tgm__free(p);
    uint8_t *q = tgm__malloc(n - 4096); /* fits: the same block */
    TT_CHECK(q == p);
    TT_CHECK(malloc_usable_size(q) >= n - 4096);
    uint8_t *r = tgm__malloc(n); /* cache now empty: a new block */
    TT_ASSERT(r != NULL);
    TT_CHECK(r != q);
    tgm__free(q);
    uint8_t *big = tgm__malloc(3 * n); /* more than 2x the cached block: fresh */
    TT_ASSERT(big != NULL);
    TT_CHECK(big != q);
    tgm__free(big);
    uint8_t *small = tgm__malloc((size_t)4 << 20); /* both cached blocks over 2x */
    TT_ASSERT(small != NULL);
    TT_CHECK(small != q && small != big);
    uint8_t *again = tgm__malloc(3 * n - 100); /* the 27 MiB block fits */
    TT_CHECK(again == big);
    tgm__free(small);
    tgm__free(again);
    tgm__free(r);
    pthread_t t;
    TT_ASSERT(pthread_create(&t, NULL, cache_thread, NULL) == 0);
    TT_CHECK(pthread_join(t, NULL) == 0);
}

static void *block_cache_thread(void *arg) {
    (void)arg;
    block_cache_checks();
    return NULL;
}
#endif

/* On a thread of its own, whose cache starts empty: blocks the earlier
 * tests left in this thread's cache would otherwise compete for the
 * requests below (their usable sizes vary from run to run with where mmap
 * places them, so which one fits best does too). */
static void test_block_cache(void) {
#if defined(__GLIBC__)
    pthread_t t;
    TT_ASSERT(pthread_create(&t, NULL, block_cache_thread, NULL) == 0);
    TT_CHECK(pthread_join(t, NULL) == 0);
#endif
}

int main(void) {
    TT_RUN(test_error_text);
    TT_RUN(test_endian);
    TT_RUN(test_buf);
    TT_RUN(test_arena);
    TT_RUN(test_arena_lent);
    TT_RUN(test_checked);
    TT_RUN(test_threads);
    TT_RUN(test_large_alloc);
    TT_RUN(test_copy_stream);
    TT_RUN(test_block_cache);
    return tt_finish("test_common");
}
