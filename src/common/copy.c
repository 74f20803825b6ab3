#include "common/copy.h"

#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>

void tgm__copy_stream(uint8_t *dst, const uint8_t *src, size_t n) {
    /* Head up to 16-byte alignment of dst: _mm_stream_si128 needs it. */
    size_t head = (size_t)(-(uintptr_t)dst & 15u);
    if (head > n) {
        head = n;
    }
    memcpy(dst, src, head);
    dst += head;
    src += head;
    n -= head;
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(src + i));
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(src + i + 16));
        __m128i c = _mm_loadu_si128((const __m128i *)(const void *)(src + i + 32));
        __m128i d = _mm_loadu_si128((const __m128i *)(const void *)(src + i + 48));
        _mm_stream_si128((__m128i *)(void *)(dst + i), a);
        _mm_stream_si128((__m128i *)(void *)(dst + i + 16), b);
        _mm_stream_si128((__m128i *)(void *)(dst + i + 32), c);
        _mm_stream_si128((__m128i *)(void *)(dst + i + 48), d);
    }
    memcpy(dst + i, src + i, n - i);
}

void tgm__copy_stream_fence(void) { _mm_sfence(); }

#else

void tgm__copy_stream(uint8_t *dst, const uint8_t *src, size_t n) { memcpy(dst, src, n); }

void tgm__copy_stream_fence(void) {}

#endif
