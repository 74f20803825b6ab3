/* zfp's AVX2 kernels with BMI2's pdep / pext in the plane coder: for CPUs
 * where those are fast (Intel; AMD from Zen 3 on).  The kernels:
 * zfp_avx2_impl.h. */
#define ZFP_USE_BMI2 1
#define ZFP_AVX2_KERNELS tgm__zfp_avx2_bmi2
#define ZFP_AVX2_NAME "avx2+bmi2"
#include "codecs/zfp_avx2_impl.h"
