/* Run-time CPU feature detection (cpuid + xgetbv on x86-64; nothing
 * elsewhere), for kernels that pick an instruction set when first used. */
#ifndef TGM_COMMON_CPU_H
#define TGM_COMMON_CPU_H

enum {
    TGM_CPU_AVX2 = 1u << 0,   /* AVX2 + BMI1/BMI2, with OS support for the YMM state */
    TGM_CPU_AVX512 = 1u << 1, /* AVX-512 F, BW, DQ and VL, with OS support for ZMM state */
    /* BMI2 whose pdep / pext take a few cycles: Intel, and AMD from Zen 3
     * (family 19h) on; before, they are microcoded */
    TGM_CPU_FAST_BMI2 = 1u << 2
};

/* The TGM_CPU_* bits this processor and operating system support.  Computed
 * once; safe to call from any thread. */
unsigned tgm__cpu_features(void);

#endif
