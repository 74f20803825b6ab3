// The public header must compile on its own as C++ (C++11 and later) and
// declare its functions with C linkage.
#include <tensogram/codec.h>
#include <tensogram/tensogram.h>

int tgm_header_cxx_probe();
int tgm_header_cxx_probe() {
    tgm_bytes_t b = {nullptr, 0};
    tgm_bytes_free(b);
    tgm_codec_def d = TGM_CODEC_DEF_INIT;
    return TGM_WIRE_VERSION + static_cast<int>(d.size > 0);
}
