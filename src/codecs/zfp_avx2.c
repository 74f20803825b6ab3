/* zfp's AVX2 kernels without BMI2's pdep / pext: for CPUs where those are
 * slow (AMD before Zen 3).  The kernels: zfp_avx2_impl.h. */
#define ZFP_AVX2_KERNELS tgm__zfp_avx2
#define ZFP_AVX2_NAME "avx2"
#include "codecs/zfp_avx2_impl.h"
