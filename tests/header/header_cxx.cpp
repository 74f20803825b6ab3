// The public header must compile on its own as C++ (C++11 and later) and
// declare its functions with C linkage.
#include <tensogram/tensogram.h>

int tgm_header_cxx_probe();
int tgm_header_cxx_probe() {
    tgm_bytes_t b = {nullptr, 0};
    tgm_bytes_free(b);
    return TGM_WIRE_VERSION;
}
