/* pycodec.h - user codecs written in Python (codec.c): register_codec,
 * unregister_codec and list_codecs of tensogram._tensogram. */
#ifndef TGMPY_PYCODEC_H
#define TGMPY_PYCODEC_H

#include "tgmpy.h"

/* Add the codec functions to the module and prepare their types.  0, or
 * -1 with an exception set. */
int tgmpy_codec_init(PyObject *module);

#endif
