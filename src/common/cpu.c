/* cpuid leaves: 1 (ECX: OSXSAVE bit 27, AVX bit 28), 7.0 (EBX: AVX2 bit 5,
 * BMI1 bit 3, BMI2 bit 8, AVX512F bit 16, AVX512DQ bit 17, AVX512BW bit 30,
 * AVX512VL bit 31).  XCR0 must enable the SSE and AVX
 * state (bits 1, 2) for AVX2, and the opmask and ZMM state (bits 5-7) for
 * AVX-512: a kernel may support the instructions while the OS does not
 * save the registers.  cpuid 0 gives the vendor, cpuid 1 (EAX) the family. */
#include "common/cpu.h"

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>

static uint64_t xcr0(void) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

/* pdep / pext run in a few cycles on every Intel CPU that has them and on
 * AMD from family 19h (Zen 3) on; AMD's families 15h-17h (and Hygon's 18h)
 * microcode them (hundreds of cycles for dense masks).  Other vendors:
 * assumed slow. */
static int fast_bmi2(unsigned eax1) {
    unsigned a, b, c, d;
    if (!__get_cpuid(0, &a, &b, &c, &d)) {
        return 0;
    }
    char vendor[13];
    memcpy(vendor, &b, 4);
    memcpy(vendor + 4, &d, 4);
    memcpy(vendor + 8, &c, 4);
    vendor[12] = '\0';
    unsigned family = (eax1 >> 8) & 0xfu;
    if (family == 0xfu) {
        family += (eax1 >> 20) & 0xffu;
    }
    if (strcmp(vendor, "GenuineIntel") == 0) {
        return 1;
    }
    if (strcmp(vendor, "AuthenticAMD") == 0) {
        return family >= 0x19u;
    }
    return 0;
}

static unsigned detect(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) {
        return 0;
    }
    unsigned eax1 = a;
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
        if (fast_bmi2(eax1)) {
            f |= TGM_CPU_FAST_BMI2;
        }
    }
    uint32_t need512 = (1u << 16) | (1u << 17) | (1u << 30) | (1u << 31);
    if (avx2 && (b & need512) == need512 && (xcr & 0xe0u) == 0xe0u) {
        f |= TGM_CPU_AVX512;
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
