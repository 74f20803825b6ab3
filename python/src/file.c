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

/* File(url, remote=True, storage=((key, value), ...), bidirectional=True):
 * a remote file; the keys and values are str (checked by the Python
 * layer). */
static tgm_error open_remote(PyObject *url, PyObject *storage, int bidirectional,
                             tgm_file_t **out) {
    const char *u = PyUnicode_AsUTF8(url);
    if (u == NULL) {
        return TGM_ERROR_INVALID_ARG;
    }
    PyObject *seq = PySequence_Fast(storage, "storage options must be a sequence of pairs");
    if (seq == NULL) {
        return TGM_ERROR_INVALID_ARG;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    const char **keys = PyMem_Calloc((size_t)n + 1, sizeof *keys);
    const char **vals = PyMem_Calloc((size_t)n + 1, sizeof *vals);
    tgm_error e = TGM_ERROR_INVALID_ARG;
    if (keys == NULL || vals == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *pair = PySequence_Fast_GET_ITEM(seq, i);
        PyObject *k, *v;
        if (!PyArg_ParseTuple(pair, "UU", &k, &v) || (keys[i] = PyUnicode_AsUTF8(k)) == NULL ||
            (vals[i] = PyUnicode_AsUTF8(v)) == NULL) {
            goto done;
        }
    }
    tgm_scan_options so = TGM_SCAN_OPTIONS_INIT;
    so.bidirectional = bidirectional;
    /* The strings stay alive: `seq` holds the pairs while the GIL is out. */
    TGMPY_NOGIL(e = tgm_file_open_remote(u, keys, vals, (size_t)n, &so, out));
    if (e != TGM_ERROR_OK) {
        tgmpy_raise(e);
    }
done:
    PyMem_Free(keys);
    PyMem_Free(vals);
    Py_DECREF(seq);
    return e;
}

static PyObject *File_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"path", "create", "remote", "storage", "bidirectional", NULL};
    PyObject *path_str, *path_bytes, *storage = NULL;
    int create = 0, remote = 0, bidirectional = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|ppOp", kwlist, &path_str, &create, &remote,
                                     &storage, &bidirectional)) {
        return NULL;
    }
    tgm_file_t *f = NULL;
    tgm_error e;
    if (remote) {
        if (!PyUnicode_Check(path_str)) {
            PyErr_SetString(PyExc_TypeError, "a remote source must be a str URL");
            return NULL;
        }
        PyObject *none = PyTuple_New(0);
        if (none == NULL) {
            return NULL;
        }
        e = open_remote(path_str, storage != NULL ? storage : none, bidirectional, &f);
        Py_DECREF(none);
        if (e != TGM_ERROR_OK) {
            return NULL; /* raised */
        }
        FileObject *self = (FileObject *)type->tp_alloc(type, 0);
        if (self == NULL) {
            tgm_file_close(f);
            return NULL;
        }
        self->file = f;
        self->path = Py_NewRef(path_str);
        return (PyObject *)self;
    }
    if (!PyUnicode_FSConverter(path_str, &path_bytes)) {
        return NULL;
    }
    const char *p = PyBytes_AS_STRING(path_bytes);
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

static PyObject *File_sync(FileObject *self, PyObject *unused) {
    (void)unused;
    tgm_file_t *f = enter(self);
    if (f == NULL) {
        return NULL;
    }
    tgm_error e;
    TGMPY_NOGIL(e = tgm_file_sync(f));
    leave(self);
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

/* Messages read per release of the GIL by scan_descriptors. */
#define SCAN_BATCH 64

/* scan_descriptors(with_reserved) -> [((base, extra, reserved), [descriptor
 * dict, ...]), ...] for every message: one call instead of one per message
 * (the Python-level cost of a per-message call is several times the
 * library's).  Messages are read in batches with the GIL released;
 * descriptors become dicts straight from their values (no JSON text). */
static PyObject *File_scan_descriptors(FileObject *self, PyObject *args) {
    int with_reserved = 0;
    if (!PyArg_ParseTuple(args, "|p", &with_reserved)) {
        return NULL;
    }
    tgm_file_t *f = enter(self);
    if (f == NULL) {
        return NULL;
    }
    size_t count = 0;
    tgm_error e;
    TGMPY_NOGIL(e = tgm_file_message_count(f, &count));
    PyObject *out = e == TGM_ERROR_OK ? PyList_New((Py_ssize_t)count) : NULL;
    tgm_message_t *batch[SCAN_BATCH];
    for (size_t m0 = 0; out != NULL && m0 < count; m0 += SCAN_BATCH) {
        size_t n = count - m0 < SCAN_BATCH ? count - m0 : SCAN_BATCH, got = 0;
        Py_BEGIN_ALLOW_THREADS;
        for (; got < n; got++) {
            e = tgm_file_decode_descriptors(f, m0 + got, &batch[got]);
            if (e != TGM_ERROR_OK) {
                break;
            }
        }
        Py_END_ALLOW_THREADS;
        if (e != TGM_ERROR_OK) {
            /* Raised before anything else runs: the detail is the call's. */
            PyObject *exc = tgmpy_raise(e);
            for (size_t i = 0; i < got; i++) {
                tgm_message_free(batch[i]);
            }
            Py_CLEAR(out);
            leave(self);
            return exc;
        }
        for (size_t i = 0; i < got; i++) {
            PyObject *item = out != NULL ? tgmpy_scan_item(batch[i], with_reserved) : NULL;
            tgm_message_free(batch[i]);
            if (item == NULL) {
                Py_CLEAR(out);
                continue;
            }
            PyList_SET_ITEM(out, (Py_ssize_t)(m0 + i), item);
        }
    }
    leave(self);
    if (e != TGM_ERROR_OK) {
        return tgmpy_raise(e);
    }
    return out;
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

/* A range decode, then the element type for the arrays (known without a
 * request for remote files once the object's frame has been read). */
static PyObject *range_with_dtype(tgm_file_t *f, size_t mi, size_t oi, PyObject *ranges, int join,
                                  int native, uint32_t threads) {
    uint64_t *off, *cnt;
    size_t n;
    if (tgmpy_ranges(ranges, &off, &cnt, &n) < 0) {
        return NULL;
    }
    tgm_bytes_t *parts = PyMem_Calloc(n > 0 ? n : 1, sizeof *parts);
    if (parts == NULL) {
        PyMem_Free(off);
        PyMem_Free(cnt);
        return PyErr_NoMemory();
    }
    size_t got = 0;
    const char *dtype = NULL;
    tgm_error e;
    Py_BEGIN_ALLOW_THREADS e =
        tgm_file_decode_range(f, mi, oi, off, cnt, n, native, threads, join, parts, &got);
    if (e == TGM_ERROR_OK) {
        e = tgm_file_object_dtype(f, mi, oi, &dtype);
    }
    Py_END_ALLOW_THREADS PyMem_Free(off);
    PyMem_Free(cnt);
    if (e != TGM_ERROR_OK) {
        for (size_t i = 0; i < got; i++) {
            tgm_bytes_free(parts[i]);
        }
        PyMem_Free(parts);
        return tgmpy_raise(e);
    }
    if (join && got == 0) {
        parts[0].data = NULL;
        parts[0].len = 0;
        got = 1;
    }
    PyObject *r = tgmpy_range_result(dtype != NULL ? dtype : "uint8", parts, got);
    PyMem_Free(parts);
    return r;
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
    PyObject *r = range_with_dtype(f, mi, oi, ranges, join, native, threads);
    leave(self);
    return r;
}

/* A sequence of message indices as a size_t array (PyMem). */
static int indices_arg(PyObject *o, size_t **out, size_t *n) {
    PyObject *seq = PySequence_Fast(o, "msg_indices must be a sequence of integers");
    if (seq == NULL) {
        return -1;
    }
    Py_ssize_t len = PySequence_Fast_GET_SIZE(seq);
    size_t *v = PyMem_Calloc((size_t)len + 1, sizeof *v);
    if (v == NULL) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < len; i++) {
        if (index_arg(PySequence_Fast_GET_ITEM(seq, i), &v[i], "msg_index") < 0) {
            PyMem_Free(v);
            Py_DECREF(seq);
            return -1;
        }
    }
    Py_DECREF(seq);
    *out = v;
    *n = (size_t)len;
    return 0;
}

static PyObject *File_decode_object_batch(FileObject *self, PyObject *args) {
    PyObject *io, *oo, *to;
    int native = 1, verify = 0;
    size_t oi, n, *idx;
    uint32_t threads;
    if (!PyArg_ParseTuple(args, "OOpOp", &io, &oo, &native, &to, &verify) ||
        index_arg(oo, &oi, "obj_index") < 0 || threads_arg(to, &threads) < 0 ||
        indices_arg(io, &idx, &n) < 0) {
        return NULL;
    }
    tgm_message_t **out = PyMem_Calloc(n + 1, sizeof *out);
    tgm_file_t *f = out != NULL ? enter(self) : NULL;
    if (f == NULL) {
        PyMem_Free(idx);
        PyMem_Free(out);
        return out == NULL ? PyErr_NoMemory() : NULL;
    }
    tgm_error e;
    TGMPY_NOGIL(e = tgm_file_decode_object_batch(f, idx, n, oi, native, threads, verify, out));
    leave(self);
    PyMem_Free(idx);
    if (e != TGM_ERROR_OK) {
        PyMem_Free(out);
        return tgmpy_raise(e);
    }
    PyObject *list = PyList_New((Py_ssize_t)n);
    for (size_t k = 0; k < n; k++) {
        PyObject *r = list != NULL ? tgmpy_object_result(out[k]) : NULL;
        if (r == NULL) {
            if (list == NULL) {
                tgm_message_free(out[k]); /* the others are freed below */
            }
            for (size_t q = k + 1; q < n; q++) {
                tgm_message_free(out[q]);
            }
            Py_XDECREF(list);
            PyMem_Free(out);
            return NULL;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)k, r);
    }
    PyMem_Free(out);
    return list;
}

static PyObject *File_decode_range_batch(FileObject *self, PyObject *args) {
    PyObject *io, *oo, *ranges, *to;
    int join = 0, native = 1;
    size_t oi, n, *idx, nr;
    uint64_t *off, *cnt;
    uint32_t threads;
    if (!PyArg_ParseTuple(args, "OOOppO", &io, &oo, &ranges, &join, &native, &to) ||
        index_arg(oo, &oi, "obj_index") < 0 || threads_arg(to, &threads) < 0) {
        return NULL;
    }
    if (indices_arg(io, &idx, &n) < 0) {
        return NULL;
    }
    if (tgmpy_ranges(ranges, &off, &cnt, &nr) < 0) {
        PyMem_Free(idx);
        return NULL;
    }
    size_t per = join ? 1 : nr;
    tgm_bytes_t *parts = PyMem_Calloc(n * per + 1, sizeof *parts);
    const char **dtypes = PyMem_Calloc(n + 1, sizeof *dtypes);
    tgm_file_t *f = parts != NULL && dtypes != NULL ? enter(self) : NULL;
    PyObject *list = NULL;
    if (f == NULL) {
        if (parts == NULL || dtypes == NULL) {
            PyErr_NoMemory();
        }
        goto done;
    }
    tgm_error e;
    Py_BEGIN_ALLOW_THREADS e =
        tgm_file_decode_range_batch(f, idx, n, oi, off, cnt, nr, native, threads, join, parts);
    for (size_t k = 0; k < n && e == TGM_ERROR_OK; k++) {
        e = tgm_file_object_dtype(f, idx[k], oi, &dtypes[k]);
    }
    Py_END_ALLOW_THREADS leave(self);
    if (e != TGM_ERROR_OK) {
        for (size_t k = 0; k < n * per; k++) {
            tgm_bytes_free(parts[k]);
        }
        tgmpy_raise(e);
        goto done;
    }
    list = PyList_New((Py_ssize_t)n);
    for (size_t k = 0; k < n; k++) {
        PyObject *r = NULL;
        if (list != NULL) {
            tgm_bytes_t empty = {NULL, 0};
            r = per > 0 ? tgmpy_range_result(dtypes[k], parts + k * per, per)
                        : tgmpy_range_result(dtypes[k], &empty, join ? 1 : 0);
        }
        if (r == NULL) {
            for (size_t q = k + 1; q < n; q++) {
                for (size_t p = 0; p < per; p++) {
                    tgm_bytes_free(parts[q * per + p]);
                }
            }
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)k, r);
    }
done:
    PyMem_Free(idx);
    PyMem_Free(off);
    PyMem_Free(cnt);
    PyMem_Free(parts);
    PyMem_Free(dtypes);
    return list;
}

static PyObject *File_prefetch_layouts(FileObject *self, PyObject *arg) {
    size_t n, *idx;
    if (indices_arg(arg, &idx, &n) < 0) {
        return NULL;
    }
    tgm_file_t *f = enter(self);
    if (f == NULL) {
        PyMem_Free(idx);
        return NULL;
    }
    tgm_error e;
    TGMPY_NOGIL(e = tgm_file_prefetch_layouts(f, idx, n));
    leave(self);
    PyMem_Free(idx);
    if (e != TGM_ERROR_OK) {
        return tgmpy_raise(e);
    }
    Py_RETURN_NONE;
}

static PyObject *File_is_remote(FileObject *self, PyObject *unused) {
    (void)unused;
    return PyBool_FromLong(self->file != NULL && tgm_file_is_remote(self->file));
}

static PyObject *File_remote_stats(FileObject *self, PyObject *unused) {
    (void)unused;
    tgm_file_t *f = enter(self);
    if (f == NULL) {
        return NULL;
    }
    tgm_remote_stats_t st = {0, 0, 0};
    tgm_file_remote_stats(f, &st);
    leave(self);
    return Py_BuildValue("{sKsKsK}", "requests", (unsigned long long)st.requests, "retries",
                         (unsigned long long)st.retries, "bytes", (unsigned long long)st.bytes);
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
    {"sync", (PyCFunction)File_sync, METH_NOARGS, "fdatasync the appended messages."},
    {"decode_metadata", (PyCFunction)File_decode_metadata, METH_O, "Metadata of one message."},
    {"decode_descriptors", (PyCFunction)File_decode_descriptors, METH_O,
     "Metadata and descriptors of one message."},
    {"scan_descriptors", (PyCFunction)File_scan_descriptors, METH_VARARGS,
     "scan_descriptors(with_reserved=False): metadata and descriptors of every message"},
    {"decode_object", (PyCFunction)File_decode_object, METH_VARARGS,
     "decode_object(msg_index, obj_index, native_byte_order, threads, verify_hash)"},
    {"decode_object_batch", (PyCFunction)File_decode_object_batch, METH_VARARGS,
     "decode_object_batch(msg_indices, obj_index, native, threads, verify)"},
    {"decode_range_batch", (PyCFunction)File_decode_range_batch, METH_VARARGS,
     "decode_range_batch(msg_indices, obj_index, ranges, join, native, threads)"},
    {"prefetch_layouts", (PyCFunction)File_prefetch_layouts, METH_O,
     "prefetch_layouts(msg_indices)"},
    {"is_remote", (PyCFunction)File_is_remote, METH_NOARGS, "True for a remote file."},
    {"remote_stats", (PyCFunction)File_remote_stats, METH_NOARGS,
     "{'requests', 'retries', 'bytes'} of a remote file."},
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
