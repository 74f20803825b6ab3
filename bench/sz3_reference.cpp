// SZ3 3.3.2 itself, configured as the reference's FFI shim configures it (a 1-D float64 array,
// ALGO_INTERP_LORENZO, Lorenzo / second-order Lorenzo / regression flags on, block size 128,
// 65536 quantisation bins, no OpenMP), for bench_sz3's in-run comparison.  Built only with
// -DTGM_BENCH_SZ3_DIR=<an SZ3 3.3.2 install prefix> (bench/README.md); SZ3 is never part of
// this project.
#include <SZ3/api/sz.hpp>

#include <cstddef>
#include <cstring>
#include <vector>

static SZ3::Config config(std::size_t n, int mode, double bound) {
    std::vector<std::size_t> dims{n};
    SZ3::Config c;
    c.setDims(dims.begin(), dims.end());
    c.errorBoundMode = mode == 0 ? SZ3::EB_ABS : mode == 1 ? SZ3::EB_REL : SZ3::EB_PSNR;
    c.absErrorBound = mode == 0 ? bound : 0;
    c.relErrorBound = mode == 1 ? bound : 0;
    c.psnrErrorBound = mode == 2 ? bound : 0;
    c.l2normErrorBound = 0;
    c.cmprAlgo = SZ3::ALGO_INTERP_LORENZO;
    c.lorenzo = c.lorenzo2 = c.regression = true;
    c.openmp = false;
    c.dataType = SZ_DOUBLE;
    c.blockSize = 128;
    c.quantbinCnt = 65536;
    return c;
}

extern "C" std::size_t bench_sz3_bound(std::size_t n, int mode, double bound) {
    return SZ3::SZ_compress_size_bound<double>(config(n, mode, bound));
}

extern "C" std::size_t bench_sz3_compress(const double *v, std::size_t n, int mode, double bound,
                                          char *out, std::size_t cap) {
    try {
        return SZ_compress<double>(config(n, mode, bound), v, out, cap);
    } catch (...) {
        return 0;
    }
}

extern "C" int bench_sz3_decompress(const char *s, std::size_t len, double *out) {
    try {
        SZ3::Config c;
        SZ_decompress<double>(c, s, len, out);
        return 0;
    } catch (...) {
        return -1;
    }
}
