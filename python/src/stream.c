/* tensogram._tensogram.StreamingEncoder: a memory streaming encoder.
 *
 * Frames are produced as objects are written; finish() hands back the
 * whole message.  Calls are serialised by the GIL-held `busy` flag (the
 * library's encoder must not be used from two threads at once), and the
 * GIL is released while an object is encoded. */
#include <string.h>

#include "tgmpy.h"

typedef struct {
    PyObject_HEAD tgm_streaming_encoder_t *enc;
    int finished;
    int busy;
} StreamObject;

static PyObject *already_finished(void) {
    PyErr_SetString(PyExc_RuntimeError, "StreamingEncoder already finished");
    return NULL;
}

static tgm_streaming_encoder_t *enter(StreamObject *self) {
    if (self->enc == NULL || self->finished) {
        already_finished();
        return NULL;
    }
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "StreamingEncoder is in use by another thread");
        return NULL;
    }
    self->busy = 1;
    return self->enc;
}

static PyObject *Stream_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"metadata_json", "hash",           "threads",
                             "mask_options",  "aggregate_hash", NULL};
    const char *meta_json;
    PyObject *hash_obj = Py_None, *mask_obj = Py_None, *agg_obj = Py_None;
    unsigned long threads = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "s|OkOO", kwlist, &meta_json, &hash_obj, &threads,
                                     &mask_obj, &agg_obj)) {
        return NULL;
    }
    if (threads > UINT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "threads must be an integer in 0 .. 4294967295");
        return NULL;
    }
    tgm_streaming_options opt = TGM_STREAMING_OPTIONS_INIT;
    TgmEncodeMaskOptions mo;
    int have_mask;
    if (tgmpy_opt_str(hash_obj, &opt.hash_algo, "hash") < 0 ||
        tgmpy_opt_str(agg_obj, &opt.aggregate_hash, "aggregate_hash") < 0 ||
        tgmpy_mask_options(mask_obj, &mo, &have_mask) < 0) {
        return NULL;
    }
    opt.threads = (uint32_t)threads;
    opt.mask_options = have_mask ? &mo : NULL;
    tgm_streaming_encoder_t *enc = NULL;
    tgm_error e = tgm_streaming_encoder_create_memory(meta_json, &opt, &enc);
    if (e != TGM_ERROR_OK) {
        return tgmpy_raise(e);
    }
    StreamObject *self = (StreamObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        tgm_streaming_encoder_free(enc);
        return NULL;
    }
    self->enc = enc;
    return (PyObject *)self;
}

static void Stream_dealloc(StreamObject *self) {
    tgm_streaming_encoder_free(self->enc);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *write_common(StreamObject *self, PyObject *args, int pre) {
    const char *desc_json;
    Py_buffer buf;
    if (!PyArg_ParseTuple(args, "sy*", &desc_json, &buf)) {
        return NULL;
    }
    tgm_streaming_encoder_t *enc = enter(self);
    if (enc == NULL) {
        PyBuffer_Release(&buf);
        return NULL;
    }
    const uint8_t *p = buf.buf != NULL ? buf.buf : (const uint8_t *)"";
    size_t n = (size_t)buf.len;
    tgm_error e;
    if (pre) {
        TGMPY_NOGIL(e = tgm_streaming_encoder_write_pre_encoded(enc, desc_json, p, n));
    } else {
        TGMPY_NOGIL(e = tgm_streaming_encoder_write(enc, desc_json, p, n));
    }
    self->busy = 0;
    PyBuffer_Release(&buf);
    if (e != TGM_ERROR_OK) {
        return tgmpy_raise(e);
    }
    Py_RETURN_NONE;
}

static PyObject *Stream_write(StreamObject *self, PyObject *args) {
    return write_common(self, args, 0);
}

static PyObject *Stream_write_pre_encoded(StreamObject *self, PyObject *args) {
    return write_common(self, args, 1);
}

static PyObject *Stream_write_preceder(StreamObject *self, PyObject *args) {
    const char *json;
    if (!PyArg_ParseTuple(args, "s", &json)) {
        return NULL;
    }
    tgm_streaming_encoder_t *enc = enter(self);
    if (enc == NULL) {
        return NULL;
    }
    tgm_error e = tgm_streaming_encoder_write_preceder(enc, json);
    self->busy = 0;
    if (e != TGM_ERROR_OK) {
        return tgmpy_raise(e);
    }
    Py_RETURN_NONE;
}

static PyObject *to_bytes(tgm_bytes_t b) {
    PyObject *r = PyBytes_FromStringAndSize((const char *)b.data, (Py_ssize_t)b.len);
    tgm_bytes_free(b);
    return r;
}

/* finish(backfilled): the complete message; the encoder is spent. */
static PyObject *Stream_finish(StreamObject *self, PyObject *args) {
    int backfill = 0;
    if (!PyArg_ParseTuple(args, "p", &backfill)) {
        return NULL;
    }
    tgm_streaming_encoder_t *enc = enter(self);
    if (enc == NULL) {
        return NULL;
    }
    tgm_error e;
    tgm_bytes_t b = {NULL, 0};
    TGMPY_NOGIL(e = backfill ? tgm_streaming_encoder_finish_backfilled(enc)
                             : tgm_streaming_encoder_finish(enc));
    if (e == TGM_ERROR_OK) {
        e = tgm_streaming_encoder_take(enc, &b);
    }
    self->busy = 0;
    if (e != TGM_ERROR_OK) {
        return tgmpy_raise(e);
    }
    self->finished = 1;
    return to_bytes(b);
}

/* finish_and_reset(backfilled): this message; the encoder starts the next. */
static PyObject *Stream_finish_and_reset(StreamObject *self, PyObject *args) {
    int backfill = 0;
    if (!PyArg_ParseTuple(args, "p", &backfill)) {
        return NULL;
    }
    tgm_streaming_encoder_t *enc = enter(self);
    if (enc == NULL) {
        return NULL;
    }
    tgm_error e;
    tgm_bytes_t b = {NULL, 0};
    TGMPY_NOGIL(e = tgm_streaming_encoder_finish_and_reset(enc, backfill, &b));
    self->busy = 0;
    if (e != TGM_ERROR_OK) {
        self->finished = 1; /* the library finishes the encoder on failure */
        return tgmpy_raise(e);
    }
    return to_bytes(b);
}

static PyObject *Stream_count(StreamObject *self, void *unused) {
    (void)unused;
    return PyLong_FromSize_t(self->enc ? tgm_streaming_encoder_count(self->enc) : 0);
}

static PyObject *Stream_bytes_written(StreamObject *self, void *unused) {
    (void)unused;
    return PyLong_FromUnsignedLongLong(
        self->enc ? (unsigned long long)tgm_streaming_encoder_bytes_written(self->enc) : 0ULL);
}

static PyObject *Stream_finished(StreamObject *self, void *unused) {
    (void)unused;
    return PyBool_FromLong(self->finished);
}

static PyMethodDef Stream_methods[] = {
    {"write", (PyCFunction)Stream_write, METH_VARARGS, "write(descriptor_json, data)"},
    {"write_pre_encoded", (PyCFunction)Stream_write_pre_encoded, METH_VARARGS,
     "write_pre_encoded(descriptor_json, data)"},
    {"write_preceder", (PyCFunction)Stream_write_preceder, METH_VARARGS,
     "write_preceder(metadata_json)"},
    {"finish", (PyCFunction)Stream_finish, METH_VARARGS, "finish(backfilled) -> bytes"},
    {"finish_and_reset", (PyCFunction)Stream_finish_and_reset, METH_VARARGS,
     "finish_and_reset(backfilled) -> bytes"},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef Stream_getset[] = {
    {"object_count", (getter)Stream_count, NULL, "Objects written to the current message.", NULL},
    {"bytes_written", (getter)Stream_bytes_written, NULL,
     "Bytes of the current message produced so far.", NULL},
    {"finished", (getter)Stream_finished, NULL, "True once finish() succeeded.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyTypeObject tgmpy_StreamType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "tensogram._tensogram.StreamingEncoder",
    .tp_basicsize = sizeof(StreamObject),
    .tp_dealloc = (destructor)Stream_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Low-level in-memory streaming encoder.",
    .tp_methods = Stream_methods,
    .tp_getset = Stream_getset,
    .tp_new = Stream_new,
};

int tgmpy_stream_init(PyObject *module) {
    if (PyType_Ready(&tgmpy_StreamType) < 0) {
        return -1;
    }
    return PyModule_AddObjectRef(module, "StreamingEncoder", (PyObject *)&tgmpy_StreamType);
}
