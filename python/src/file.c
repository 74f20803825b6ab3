/* tensogram._tensogram.File: a tgm_file_t handle.
 *
 * The library's file handle is safe for concurrent readers, so every
 * method releases the GIL and several threads (the async wrapper's pool)
 * may work on one handle at once.  close() must not free the handle under
 * a running call: calls count themselves in `busy` (under the GIL) and the
 * last one out closes a handle whose close was requested meanwhile. */
#include <string.h>

#include "tgmpy.h"

typedef struct {
    PyObject_HEAD tgm_file_t *file;
    Py_ssize_t busy;
    int closing;
    PyObject *path; /* str, as given */
} FileObject;

/* Enter a call: the handle, or NULL with ValueError when closed. */
static tgm_file_t *enter(FileObject *self) {
    if (self->file == NULL || self->closing) {
        PyErr_SetString(PyExc_ValueError, "I/O operation on closed TensogramFile");
        return NULL;
    }
    self->busy++;
    return self->file;
}

static void leave(FileObject *self) {
    self->busy--;
    if (self->busy == 0 && self->closing && self->file != NULL) {
        tgm_file_t *f = self->file;
        self->file = NULL;
        TGMPY_NOGIL(tgm_file_close(f));
    }
}

static int threads_arg(PyObject *o, uint32_t *out) {
    unsigned long long v = PyLong_AsUnsignedLongLong(o);
    if ((v == (unsigned long long)-1 && PyErr_Occurred()) || v > UINT32_MAX) {
        PyErr_Clear();
        PyErr_SetString(PyExc_ValueError, "threads must be an integer in 0 .. 4294967295");
        return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

static int index_arg(PyObject *o, size_t *out, const char *what) {
    Py_ssize_t v = PyNumber_AsSsize_t(o, PyExc_OverflowError);
    if (v == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (v < 0) {
        PyErr_Format(PyExc_OverflowError, "%s must be non-negative", what);
        return -1;
    }
    *out = (size_t)v;
    return 0;
}

static PyObject *File_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"path", "create", NULL};
    PyObject *path_str, *path_bytes;
    int create = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|p", kwlist, &path_str, &create)) {
        return NULL;
    }
    if (!PyUnicode_FSConverter(path_str, &path_bytes)) {
        return NULL;
    }
    const char *p = PyBytes_AS_STRING(path_bytes);
    tgm_file_t *f = NULL;
    tgm_error e;
    TGMPY_NOGIL(e = create ? tgm_file_create(p, &f) : tgm_file_open(p, &f));
    Py_DECREF(path_bytes);
    if (e != TGM_ERROR_OK) {
        return tgmpy_raise(e);
    }
    FileObject *self = (FileObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        tgm_file_close(f);
        return NULL;
    }
    self->file = f;
    self->path = PyOS_FSPath(path_str);
    if (self->path == NULL) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

static void File_dealloc(FileObject *self) {
    /* No call can be running: each holds a reference to self. */
    if (self->file != NULL) {
        tgm_file_close(self->file);
    }
    Py_XDECREF(self->path);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *File_close(FileObject *self, PyObject *unused) {
    (void)unused;
    self->closing = 1;
    if (self->busy == 0 && self->file != NULL) {
        tgm_file_t *f = self->file;
        self->file = NULL;
        TGMPY_NOGIL(tgm_file_close(f));
    }
    Py_RETURN_NONE;
}

static PyObject *File_closed(FileObject *self, void *unused) {
    (void)unused;
    return PyBool_FromLong(self->file == NULL || self->closing);
}

static PyObject *File_path(FileObject *self, void *unused) {
    (void)unused;
    return Py_NewRef(self->path);
}

static PyObject *File_count(FileObject *self, PyObject *unused) {
    (void)unused;
    tgm_file_t *f = enter(self);
    if (f == NULL) {
        return NULL;
    }
    size_t n = 0;
    tgm_error e;
    TGMPY_NOGIL(e = tgm_file_message_count(f, &n));
    leave(self);
    if (e != TGM_ERROR_OK) {
        return tgmpy_raise(e);
    }
    return PyLong_FromSize_t(n);
}

static PyObject *File_decode_message(FileObject *self, PyObject *args) {
    PyObject *io, *to;
    int native = 1, restore = 1, verify = 0;
    size_t index;
    uint32_t threads;
    if (!PyArg_ParseTuple(args, "OpOpp", &io, &native, &to, &restore, &verify) ||
        index_arg(io, &index, "index") < 0 || threads_arg(to, &threads) < 0) {
        return NULL;
    }
    tgm_file_t *f = enter(self);
    if (f == NULL) {
        return NULL;
    }
    tgm_message_t *msg = NULL;
    TgmDecodeMaskOptions mo = {restore != 0};
    tgm_error e;
    TGMPY_NOGIL(
        e = tgm_file_decode_message_with_options(f, index, native, threads, verify, &mo, &msg));
    leave(self);
    if (e != TGM_ERROR_OK) {
        return tgmpy_raise(e);
    }
    return tgmpy_message_result(msg);
}

static PyObject *File_read_message(FileObject *self, PyObject *arg) {
    size_t index;
    if (index_arg(arg, &index, "index") < 0) {
        return NULL;
    }
    tgm_file_t *f = enter(self);
    if (f == NULL) {
        return NULL;
    }
    tgm_bytes_t b = {NULL, 0};
    tgm_error e;
    TGMPY_NOGIL(e = tgm_file_read_message(f, index, &b));
    leave(self);
    if (e != TGM_ERROR_OK) {
        return tgmpy_raise(e);
    }
    PyObject *r = PyBytes_FromStringAndSize((const char *)b.data, (Py_ssize_t)b.len);
    tgm_bytes_free(b);
    return r;
}

static PyObject *File_append(FileObject *self, PyObject *args) {
    const char *meta_json;
    PyObject *datas, *hash_obj, *to, *mask_obj, *agg_obj = Py_None;
    uint32_t threads;
    if (!PyArg_ParseTuple(args, "sOOOO|O", &meta_json, &datas, &hash_obj, &to, &mask_obj,
                          &agg_obj) ||
        threads_arg(to, &threads) < 0) {
        return NULL;
    }
    tgm_encode_options opts;
    TgmEncodeMaskOptions mo;
    int have_mask;
    if (tgmpy_encode_options(hash_obj, threads, mask_obj, agg_obj, &mo, &have_mask, &opts) < 0) {
        return NULL;
    }
    tgmpy_buffers b;
    if (tgmpy_buffers_get(datas, &b) < 0) {
        return NULL;
    }
    tgm_file_t *f = enter(self);
    if (f == NULL) {
        tgmpy_buffers_release(&b);
        return NULL;
    }
    tgm_error e;
    TGMPY_NOGIL(e = tgm_file_append_ex(f, meta_json, b.ptrs, b.lens, (size_t)b.n, &opts));
    leave(self);
    tgmpy_buffers_release(&b);
    if (e != TGM_ERROR_OK) {
        return tgmpy_raise(e);
    }
    Py_RETURN_NONE;
}

static PyObject *File_append_raw(FileObject *self, PyObject *args) {
    Py_buffer buf;
    if (!PyArg_ParseTuple(args, "y*", &buf)) {
        return NULL;
    }
    tgm_file_t *f = enter(self);
    if (f == NULL) {
        PyBuffer_Release(&buf);
        return NULL;
    }
    tgm_error e;
    TGMPY_NOGIL(e = tgm_file_append_raw(f, buf.buf, (size_t)buf.len));
    leave(self);
    PyBuffer_Release(&buf);
    if (e != TGM_ERROR_OK) {
        return tgmpy_raise(e);
    }
    Py_RETURN_NONE;
}

static PyObject *File_decode_metadata(FileObject *self, PyObject *arg) {
    size_t index;
    if (index_arg(arg, &index, "index") < 0) {
        return NULL;
    }
    tgm_file_t *f = enter(self);
    if (f == NULL) {
        return NULL;
    }
    tgm_metadata_t *md = NULL;
    tgm_error e;
    TGMPY_NOGIL(e = tgm_file_decode_metadata(f, index, &md));
    leave(self);
    if (e != TGM_ERROR_OK) {
        return tgmpy_raise(e);
    }
    PyObject *t = tgmpy_metadata_tuple(md);
    tgm_metadata_free(md);
    return t;
}

static PyObject *File_decode_descriptors(FileObject *self, PyObject *arg) {
    size_t index;
    if (index_arg(arg, &index, "index") < 0) {
        return NULL;
    }
    tgm_file_t *f = enter(self);
    if (f == NULL) {
        return NULL;
    }
    tgm_message_t *msg = NULL;
    tgm_error e;
    TGMPY_NOGIL(e = tgm_file_decode_descriptors(f, index, &msg));
    leave(self);
    if (e != TGM_ERROR_OK) {
        return tgmpy_raise(e);
    }
    return tgmpy_descriptors_result(msg);
}

static PyObject *File_decode_object(FileObject *self, PyObject *args) {
    PyObject *mo, *oo, *to;
    int native = 1, verify = 0;
    size_t mi, oi;
    uint32_t threads;
    if (!PyArg_ParseTuple(args, "OOpOp", &mo, &oo, &native, &to, &verify) ||
        index_arg(mo, &mi, "msg_index") < 0 || index_arg(oo, &oi, "obj_index") < 0 ||
        threads_arg(to, &threads) < 0) {
        return NULL;
    }
    tgm_file_t *f = enter(self);
    if (f == NULL) {
        return NULL;
    }
    tgm_message_t *msg = NULL;
    tgm_error e;
    TGMPY_NOGIL(e = tgm_file_decode_object(f, mi, oi, native, threads, verify, &msg));
    leave(self);
    if (e != TGM_ERROR_OK) {
        return tgmpy_raise(e);
    }
    return tgmpy_object_result(msg);
}

typedef struct {
    tgm_file_t *file;
    size_t msg;
    size_t obj;
} file_ctx;

static tgm_error file_range(void *ctx, const uint64_t *off, const uint64_t *cnt, size_t n,
                            int32_t native, uint32_t threads, int32_t join, tgm_bytes_t *out,
                            size_t *out_count) {
    file_ctx *c = ctx;
    return tgm_file_decode_range(c->file, c->msg, c->obj, off, cnt, n, native, threads, join, out,
                                 out_count);
}

static tgm_error file_descs(void *ctx, tgm_message_t **out) {
    file_ctx *c = ctx;
    return tgm_file_decode_descriptors(c->file, c->msg, out);
}

static PyObject *File_decode_range(FileObject *self, PyObject *args) {
    PyObject *mo, *oo, *ranges, *to;
    int join = 0, native = 1;
    size_t mi, oi;
    uint32_t threads;
    if (!PyArg_ParseTuple(args, "OOOppO", &mo, &oo, &ranges, &join, &native, &to) ||
        index_arg(mo, &mi, "msg_index") < 0 || index_arg(oo, &oi, "obj_index") < 0 ||
        threads_arg(to, &threads) < 0) {
        return NULL;
    }
    tgm_file_t *f = enter(self);
    if (f == NULL) {
        return NULL;
    }
    file_ctx c = {f, mi, oi};
    PyObject *r = tgmpy_do_range(file_range, file_descs, &c, oi, ranges, join, native, threads);
    leave(self);
    return r;
}

static PyMethodDef File_methods[] = {
    {"close", (PyCFunction)File_close, METH_NOARGS, "Close the handle (waits for no call)."},
    {"count", (PyCFunction)File_count, METH_NOARGS, "Number of messages."},
    {"decode_message", (PyCFunction)File_decode_message, METH_VARARGS,
     "decode_message(index, native_byte_order, threads, restore_non_finite, verify_hash)"},
    {"read_message", (PyCFunction)File_read_message, METH_O, "Raw bytes of one message."},
    {"append", (PyCFunction)File_append, METH_VARARGS,
     "append(metadata_json, datas, hash, threads, mask_options, aggregate_hash=None)"},
    {"append_raw", (PyCFunction)File_append_raw, METH_VARARGS, "Append an encoded message."},
    {"decode_metadata", (PyCFunction)File_decode_metadata, METH_O, "Metadata of one message."},
    {"decode_descriptors", (PyCFunction)File_decode_descriptors, METH_O,
     "Metadata and descriptors of one message."},
    {"decode_object", (PyCFunction)File_decode_object, METH_VARARGS,
     "decode_object(msg_index, obj_index, native_byte_order, threads, verify_hash)"},
    {"decode_range", (PyCFunction)File_decode_range, METH_VARARGS,
     "decode_range(msg_index, obj_index, ranges, join, native_byte_order, threads)"},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef File_getset[] = {
    {"path", (getter)File_path, NULL, "Path the file was opened with.", NULL},
    {"closed", (getter)File_closed, NULL, "True once close() was called.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyTypeObject tgmpy_FileType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "tensogram._tensogram.File",
    .tp_basicsize = sizeof(FileObject),
    .tp_dealloc = (destructor)File_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "File(path, create=False): low-level .tgm file handle.",
    .tp_methods = File_methods,
    .tp_getset = File_getset,
    .tp_new = File_new,
};

int tgmpy_file_init(PyObject *module) {
    if (PyType_Ready(&tgmpy_FileType) < 0) {
        return -1;
    }
    return PyModule_AddObjectRef(module, "File", (PyObject *)&tgmpy_FileType);
}
