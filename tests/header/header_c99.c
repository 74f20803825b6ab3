/* The public header must compile on its own as strict C99. */
#include <tensogram/codec.h>
#include <tensogram/tensogram.h>

int tgm_header_c99_probe(void);
int tgm_header_c99_probe(void) {
    return TGM_WIRE_VERSION + (int)TGM_ERROR_CANCELLED + TGM_CODEC_ID_USER_MIN;
}
