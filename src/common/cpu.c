/* cpuid leaves: 1 (ECX: OSXSAVE bit 27, AVX bit 28), 7.0 (EBX: AVX2 bit 5,
 * BMI1 bit 3, BMI2 bit 8, AVX512F bit 16, AVX512DQ bit 17, AVX512BW bit 30,
 * AVX512VL bit 31; ECX: GFNI bit 8).  XCR0 must enable the SSE and AVX
 * state (bits 1, 2) for AVX2, and the opmask and ZMM state (bits 5-7) for
 * AVX-512: a kernel may support the instructions while the OS does not
 * save the registers. */
#include "common/cpu.h"

#include <stdatomic.h>
#include <stdint.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>

static uint64_t xcr0(void) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

static unsigned detect(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) {
        return 0;
    }
    if ((c & (1u << 27)) == 0 || (c & (1u << 28)) == 0) {
        return 0; /* no OSXSAVE or no AVX */
    }
    uint64_t xcr = xcr0();
    if ((xcr & 0x6u) != 0x6u) {
        return 0;
    }
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
        return 0;
    }
    unsigned f = 0;
    int avx2 = (b & (1u << 5)) != 0 && (b & (1u << 3)) != 0 && (b & (1u << 8)) != 0;
    if (avx2) {
        f |= TGM_CPU_AVX2;
    }
    uint32_t need512 = (1u << 16) | (1u << 17) | (1u << 30) | (1u << 31);
    if (avx2 && (b & need512) == need512 && (xcr & 0xe0u) == 0xe0u) {
        f |= TGM_CPU_AVX512;
    }
    if ((c & (1u << 8)) != 0) {
        f |= TGM_CPU_GFNI;
    }
    return f;
}
#else
static unsigned detect(void) { return 0; }
#endif

unsigned tgm__cpu_features(void) {
    /* Detection is idempotent: a race only computes the same value twice. */
    static atomic_uint cached = 0; /* bit 31 marks "computed" */
    unsigned v = atomic_load_explicit(&cached, memory_order_relaxed);
    if ((v & 0x80000000u) == 0) {
        v = detect() | 0x80000000u;
        atomic_store_explicit(&cached, v, memory_order_relaxed);
    }
    return v & 0x7fffffffu;
}
