/* The converters of libtensogram_convert (tensogram/convert.h): GRIB,
 * NetCDF and tenbin, both ways.  Argument checking that produces the
 * documented Python errors (grouping, split_by, hash, missing files) is
 * done in tensogram/_api.py; this file turns Python arguments into
 * tgm_convert_options, runs the conversion with the GIL released and
 * hands back bytes.  Warnings of a conversion are returned as a list of
 * str for the Python layer to issue. */
#include <string.h>

#include "tensogram/convert.h"
#include "tgmpy.h"

/* ---- warnings collected while the GIL is released ---------------------------------------- */

typedef struct {
    char **items;
    size_t n, cap;
} warn_list;

static void on_warning(void *user, const char *text) {
    warn_list *w = user;
    if (w->n == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 8;
        char **p = PyMem_RawRealloc(w->items, cap * sizeof *p);
        if (p == NULL) {
            return;
        }
        w->items = p;
        w->cap = cap;
    }
    size_t len = strlen(text);
    char *s = PyMem_RawMalloc(len + 1);
    if (s != NULL) {
        memcpy(s, text, len + 1);
        w->items[w->n++] = s;
    }
}

static PyObject *warn_list_take(warn_list *w) {
    PyObject *list = PyList_New(0);
    for (size_t i = 0; i < w->n; i++) {
        if (list != NULL) {
            PyObject *s =
                PyUnicode_DecodeUTF8(w->items[i], (Py_ssize_t)strlen(w->items[i]), "replace");
            if (s == NULL || PyList_Append(list, s) < 0) {
                Py_CLEAR(list);
            }
            Py_XDECREF(s);
        }
        PyMem_RawFree(w->items[i]);
    }
    PyMem_RawFree(w->items);
    memset(w, 0, sizeof *w);
    return list;
}

/* ---- options ------------------------------------------------------------------------------- */

/* opts: (encoding, bits, filter, compression, compression_level or None,
 *        threads, hash or None, mask tuple or None, grouping, all_keys,
 *        split_by, cf, tenbin_byte_order).  Strings are borrowed from the
 * tuple; `mo` must outlive `o`. */
static int parse_options(PyObject *t, tgm_convert_options *o, TgmEncodeMaskOptions *mo) {
    tgm_convert_options init = TGM_CONVERT_OPTIONS_INIT;
    *o = init;
    if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) != 13) {
        PyErr_SetString(PyExc_TypeError, "converter options must be a 13-tuple");
        return -1;
    }
    if (tgmpy_opt_str(PyTuple_GET_ITEM(t, 0), &o->encoding, "encoding") < 0 ||
        tgmpy_opt_str(PyTuple_GET_ITEM(t, 2), &o->filter, "filter") < 0 ||
        tgmpy_opt_str(PyTuple_GET_ITEM(t, 3), &o->compression, "compression") < 0 ||
        tgmpy_opt_str(PyTuple_GET_ITEM(t, 6), &o->hash_algo, "hash") < 0) {
        return -1;
    }
    unsigned long long bits = PyLong_AsUnsignedLongLong(PyTuple_GET_ITEM(t, 1));
    if (PyErr_Occurred() || bits > UINT32_MAX) {
        PyErr_Clear();
        PyErr_SetString(PyExc_ValueError, "bits must be an integer from 1 to 64");
        return -1;
    }
    o->bits = (uint32_t)bits;
    PyObject *level = PyTuple_GET_ITEM(t, 4);
    if (level != Py_None) {
        long v = PyLong_AsLong(level);
        if ((v == -1 && PyErr_Occurred()) || v < INT32_MIN || v > INT32_MAX) {
            PyErr_Clear();
            PyErr_SetString(PyExc_ValueError, "compression_level must be a 32-bit integer");
            return -1;
        }
        o->compression_level = (int32_t)v;
        o->has_compression_level = true;
    }
    unsigned long threads = PyLong_AsUnsignedLong(PyTuple_GET_ITEM(t, 5));
    if (PyErr_Occurred() || threads > UINT32_MAX) {
        PyErr_Clear();
        PyErr_SetString(PyExc_ValueError, "threads must be a non-negative integer");
        return -1;
    }
    o->threads = (uint32_t)threads;
    int have_mask = 0;
    if (tgmpy_mask_options(PyTuple_GET_ITEM(t, 7), mo, &have_mask) < 0) {
        return -1;
    }
    o->mask_options = have_mask ? mo : NULL;
    o->grib_grouping = (int32_t)PyLong_AsLong(PyTuple_GET_ITEM(t, 8));
    int all_keys = PyObject_IsTrue(PyTuple_GET_ITEM(t, 9));
    o->netcdf_split_by = (int32_t)PyLong_AsLong(PyTuple_GET_ITEM(t, 10));
    int cf = PyObject_IsTrue(PyTuple_GET_ITEM(t, 11));
    o->tenbin_byte_order = (int32_t)PyLong_AsLong(PyTuple_GET_ITEM(t, 12));
    if (PyErr_Occurred() || all_keys < 0 || cf < 0) {
        return -1;
    }
    o->grib_all_keys = all_keys != 0;
    o->netcdf_cf = cf != 0;
    return 0;
}

static PyObject *result_list(tgm_convert_result_t *r) {
    size_t n = tgm_convert_result_count(r);
    PyObject *list = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; list != NULL && i < n; i++) {
        size_t len = 0;
        const uint8_t *m = tgm_convert_result_message(r, i, &len);
        PyObject *b = PyBytes_FromStringAndSize((const char *)m, (Py_ssize_t)len);
        if (b == NULL) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, b);
    }
    return list;
}

/* ---- importers ----------------------------------------------------------------------------- */

/* convert(kind, source, opts) -> (list[bytes], list[str])
 * kind: "grib_file", "grib_buffer", "netcdf_file", "netcdf_buffer";
 * source: a path (str) or a bytes-like object. */
static PyObject *py_convert(PyObject *self, PyObject *args) {
    (void)self;
    const char *kind;
    PyObject *source, *opts;
    if (!PyArg_ParseTuple(args, "sOO", &kind, &source, &opts)) {
        return NULL;
    }
    bool grib = strncmp(kind, "grib", 4) == 0;
    bool file = strstr(kind, "_file") != NULL;
    tgm_convert_options o;
    TgmEncodeMaskOptions mo;
    if (parse_options(opts, &o, &mo) < 0) {
        return NULL;
    }
    warn_list w = {0};
    o.warning = on_warning;
    o.warning_user = &w;
    tgm_convert_result_t *r = NULL;
    tgm_error e;
    if (file) {
        PyObject *path = NULL;
        if (!PyUnicode_FSConverter(source, &path)) {
            return NULL;
        }
        const char *p = PyBytes_AS_STRING(path);
        TGMPY_NOGIL(e = grib ? tgm_convert_grib_file(p, &o, &r)
                             : tgm_convert_netcdf_file(p, &o, &r));
        Py_DECREF(path);
    } else {
        Py_buffer view;
        if (PyObject_GetBuffer(source, &view, PyBUF_C_CONTIGUOUS) < 0) {
            PyErr_Clear();
            PyErr_Format(PyExc_TypeError,
                         "expected a bytes-like object (bytes, bytearray, memoryview, "
                         "numpy.uint8[:]), not %s",
                         Py_TYPE(source)->tp_name);
            return NULL;
        }
        const uint8_t *b = view.buf;
        size_t len = (size_t)view.len;
        TGMPY_NOGIL(e = grib ? tgm_convert_grib_buffer(b, len, &o, &r)
                             : tgm_convert_netcdf_buffer(b, len, &o, &r));
        PyBuffer_Release(&view);
    }
    PyObject *warnings = warn_list_take(&w);
    if (e != TGM_ERROR_OK) {
        Py_XDECREF(warnings);
        return tgmpy_raise(e);
    }
    PyObject *list = result_list(r);
    tgm_convert_result_free(r);
    if (list == NULL || warnings == NULL) {
        Py_XDECREF(list);
        Py_XDECREF(warnings);
        return NULL;
    }
    PyObject *res = PyTuple_Pack(2, list, warnings);
    Py_DECREF(list);
    Py_DECREF(warnings);
    return res;
}

/* ---- exporters ----------------------------------------------------------------------------- */

static PyObject *py_to_grib(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *seq;
    unsigned int threads = 0;
    if (!PyArg_ParseTuple(args, "O|I", &seq, &threads)) {
        return NULL;
    }
    tgmpy_buffers bufs;
    if (tgmpy_buffers_get(seq, &bufs) < 0) {
        return NULL;
    }
    tgm_convert_options o = TGM_CONVERT_OPTIONS_INIT;
    o.threads = threads;
    PyObject *parts = PyList_New(0);
    tgm_error e = TGM_ERROR_OK;
    for (Py_ssize_t i = 0; parts != NULL && i < bufs.n; i++) {
        tgm_bytes_t out = {NULL, 0};
        TGMPY_NOGIL(e = tgm_convert_to_grib(bufs.ptrs[i], bufs.lens[i], &o, &out));
        if (e != TGM_ERROR_OK) {
            break;
        }
        PyObject *b = PyBytes_FromStringAndSize((const char *)out.data, (Py_ssize_t)out.len);
        tgm_bytes_free(out);
        if (b == NULL || PyList_Append(parts, b) < 0) {
            Py_XDECREF(b);
            Py_CLEAR(parts);
            break;
        }
        Py_DECREF(b);
    }
    tgmpy_buffers_release(&bufs);
    if (e != TGM_ERROR_OK) {
        Py_XDECREF(parts);
        return tgmpy_raise(e);
    }
    if (parts == NULL) {
        return NULL;
    }
    PyObject *empty = PyBytes_FromStringAndSize("", 0);
    PyObject *joined = empty != NULL ? PyObject_CallMethod(empty, "join", "O", parts) : NULL;
    Py_XDECREF(empty);
    Py_DECREF(parts);
    return joined;
}

static PyObject *py_to_netcdf(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *seq, *path_obj;
    unsigned int threads = 0;
    if (!PyArg_ParseTuple(args, "OO|I", &seq, &path_obj, &threads)) {
        return NULL;
    }
    PyObject *path = NULL;
    if (!PyUnicode_FSConverter(path_obj, &path)) {
        return NULL;
    }
    tgmpy_buffers bufs;
    if (tgmpy_buffers_get(seq, &bufs) < 0) {
        Py_DECREF(path);
        return NULL;
    }
    tgm_convert_options o = TGM_CONVERT_OPTIONS_INIT;
    o.threads = threads;
    tgm_error e;
    const char *p = PyBytes_AS_STRING(path);
    TGMPY_NOGIL(e = tgm_convert_to_netcdf(bufs.ptrs, bufs.lens, (size_t)bufs.n, p, &o));
    tgmpy_buffers_release(&bufs);
    Py_DECREF(path);
    if (e != TGM_ERROR_OK) {
        return tgmpy_raise(e);
    }
    Py_RETURN_NONE;
}

/* ---- tenbin ------------------------------------------------------------------------------- */

/* tenbin_read(buf, byte_order) -> [(dtype, shape, info, offset, nbytes,
 * big_endian), ...]: offsets into buf, for NumPy views. */
static PyObject *py_tenbin_read(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer view;
    int order = TGM_TENBIN_AUTO;
    if (!PyArg_ParseTuple(args, "y*|i", &view, &order)) {
        return NULL;
    }
    tgm_tenbin_record_t *rec = NULL;
    tgm_error e;
    const uint8_t *base = view.buf;
    TGMPY_NOGIL(e = tgm_tenbin_read(base, (size_t)view.len, order, &rec));
    if (e != TGM_ERROR_OK) {
        PyBuffer_Release(&view);
        return tgmpy_raise(e);
    }
    size_t n = tgm_tenbin_record_count(rec);
    PyObject *list = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; list != NULL && i < n; i++) {
        const tgm_tenbin_array *a = tgm_tenbin_record_array(rec, i);
        PyObject *shape = PyTuple_New(a->ndim);
        for (uint32_t k = 0; shape != NULL && k < a->ndim; k++) {
            PyObject *d = PyLong_FromUnsignedLongLong(a->shape[k]);
            if (d == NULL) {
                Py_CLEAR(shape);
                break;
            }
            PyTuple_SET_ITEM(shape, k, d);
        }
        PyObject *item =
            shape == NULL
                ? NULL
                : Py_BuildValue("(sNs#nnO)", a->dtype, shape, a->info, (Py_ssize_t)strlen(a->info),
                                (Py_ssize_t)(a->data - base), (Py_ssize_t)a->nbytes,
                                a->big_endian ? Py_True : Py_False);
        if (item == NULL) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, item);
    }
    tgm_tenbin_record_free(rec);
    PyBuffer_Release(&view);
    return list;
}

/* tenbin_write([(dtype, shape, info, buffer, big_endian), ...], byte_order)
 * -> bytes */
static PyObject *py_tenbin_write(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *seq;
    int order = TGM_TENBIN_LITTLE;
    if (!PyArg_ParseTuple(args, "O|i", &seq, &order)) {
        return NULL;
    }
    PyObject *fast = PySequence_Fast(seq, "arrays must be a sequence");
    if (fast == NULL) {
        return NULL;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    size_t cnt = n > 0 ? (size_t)n : 1;
    tgm_tenbin_array *arrays = PyMem_Calloc(cnt, sizeof *arrays);
    Py_buffer *views = PyMem_Calloc(cnt, sizeof *views);
    uint64_t **shapes = PyMem_Calloc(cnt, sizeof *shapes);
    Py_ssize_t got = 0;
    PyObject *result = NULL;
    if (arrays == NULL || views == NULL || shapes == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *shape, *data;
        const char *dtype, *info;
        Py_ssize_t info_len;
        int big;
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(fast, i), "sOs#Op", &dtype, &shape, &info,
                              &info_len, &data, &big)) {
            goto done;
        }
        if (info_len > 8) {
            PyErr_Format(PyExc_ValueError,
                         "array %zd: info %R is longer than the 8 bytes tenbin stores", i,
                         PyTuple_GET_ITEM(PySequence_Fast_GET_ITEM(fast, i), 2));
            goto done;
        }
        PyObject *sf = PySequence_Fast(shape, "shape must be a sequence");
        if (sf == NULL) {
            goto done;
        }
        Py_ssize_t nd = PySequence_Fast_GET_SIZE(sf);
        shapes[i] = PyMem_Calloc(nd > 0 ? (size_t)nd : 1, sizeof **shapes);
        for (Py_ssize_t k = 0; shapes[i] != NULL && k < nd; k++) {
            shapes[i][k] = PyLong_AsUnsignedLongLong(PySequence_Fast_GET_ITEM(sf, k));
        }
        Py_DECREF(sf);
        if (shapes[i] == NULL || PyErr_Occurred()) {
            if (!PyErr_Occurred()) {
                PyErr_NoMemory();
            }
            goto done;
        }
        if (PyObject_GetBuffer(data, &views[i], PyBUF_C_CONTIGUOUS) < 0) {
            goto done;
        }
        got = i + 1;
        arrays[i].dtype = dtype;
        memcpy(arrays[i].info, info, (size_t)info_len);
        arrays[i].info[info_len] = '\0';
        arrays[i].ndim = (uint32_t)nd;
        arrays[i].shape = shapes[i];
        arrays[i].data = views[i].buf;
        arrays[i].nbytes = (size_t)views[i].len;
        arrays[i].big_endian = big != 0;
    }
    tgm_bytes_t out = {NULL, 0};
    tgm_error e;
    TGMPY_NOGIL(e = tgm_tenbin_write(arrays, (size_t)n, order, &out));
    if (e != TGM_ERROR_OK) {
        tgmpy_raise(e);
        goto done;
    }
    result = PyBytes_FromStringAndSize((const char *)out.data, (Py_ssize_t)out.len);
    tgm_bytes_free(out);
done:
    for (Py_ssize_t i = 0; i < got; i++) {
        PyBuffer_Release(&views[i]);
    }
    for (Py_ssize_t i = 0; shapes != NULL && i < n; i++) {
        PyMem_Free(shapes[i]);
    }
    PyMem_Free(shapes);
    PyMem_Free(views);
    PyMem_Free(arrays);
    Py_DECREF(fast);
    return result;
}

/* convert_tenbin(buf, opts, fd=-1) -> (bytes, warnings); with a
 * descriptor, the message is written there (tgm_convert_tenbin_fd) and its
 * length takes the place of the bytes. */
static PyObject *py_convert_tenbin(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer view;
    PyObject *opts;
    int fd = -1;
    if (!PyArg_ParseTuple(args, "y*O|i", &view, &opts, &fd)) {
        return NULL;
    }
    tgm_convert_options o;
    TgmEncodeMaskOptions mo;
    if (parse_options(opts, &o, &mo) < 0) {
        PyBuffer_Release(&view);
        return NULL;
    }
    warn_list w = {0};
    o.warning = on_warning;
    o.warning_user = &w;
    tgm_bytes_t out = {NULL, 0};
    uint64_t written = 0;
    tgm_error e;
    const uint8_t *b = view.buf;
    if (fd >= 0) {
        TGMPY_NOGIL(e = tgm_convert_tenbin_fd(b, (size_t)view.len, &o, fd, &written));
    } else {
        TGMPY_NOGIL(e = tgm_convert_tenbin(b, (size_t)view.len, &o, &out));
    }
    PyBuffer_Release(&view);
    PyObject *warnings = warn_list_take(&w);
    if (e != TGM_ERROR_OK) {
        Py_XDECREF(warnings);
        return tgmpy_raise(e);
    }
    PyObject *msg = fd >= 0
                        ? PyLong_FromUnsignedLongLong(written)
                        : PyBytes_FromStringAndSize((const char *)out.data, (Py_ssize_t)out.len);
    tgm_bytes_free(out);
    if (msg == NULL || warnings == NULL) {
        Py_XDECREF(msg);
        Py_XDECREF(warnings);
        return NULL;
    }
    PyObject *res = PyTuple_Pack(2, msg, warnings);
    Py_DECREF(msg);
    Py_DECREF(warnings);
    return res;
}

/* to_tenbin(msg, byte_order, threads, fd=-1) -> bytes, or with a
 * descriptor the length written there (tgm_convert_to_tenbin_fd). */
static PyObject *py_to_tenbin(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer view;
    int order = TGM_TENBIN_LITTLE;
    unsigned int threads = 0;
    int fd = -1;
    if (!PyArg_ParseTuple(args, "y*|iIi", &view, &order, &threads, &fd)) {
        return NULL;
    }
    tgm_convert_options o = TGM_CONVERT_OPTIONS_INIT;
    o.tenbin_byte_order = order;
    o.threads = threads;
    tgm_bytes_t out = {NULL, 0};
    uint64_t written = 0;
    tgm_error e;
    const uint8_t *b = view.buf;
    if (fd >= 0) {
        TGMPY_NOGIL(e = tgm_convert_to_tenbin_fd(b, (size_t)view.len, &o, fd, &written));
    } else {
        TGMPY_NOGIL(e = tgm_convert_to_tenbin(b, (size_t)view.len, &o, &out));
    }
    PyBuffer_Release(&view);
    if (e != TGM_ERROR_OK) {
        return tgmpy_raise(e);
    }
    if (fd >= 0) {
        return PyLong_FromUnsignedLongLong(written);
    }
    PyObject *res = PyBytes_FromStringAndSize((const char *)out.data, (Py_ssize_t)out.len);
    tgm_bytes_free(out);
    return res;
}

static PyMethodDef converter_methods[] = {
    {"convert", py_convert, METH_VARARGS,
     "convert(kind, source, options) -> (list[bytes], list[str])"},
    {"to_grib", py_to_grib, METH_VARARGS, "to_grib(messages, threads=0) -> bytes"},
    {"to_netcdf", py_to_netcdf, METH_VARARGS, "to_netcdf(messages, path, threads=0)"},
    {"tenbin_read", py_tenbin_read, METH_VARARGS,
     "tenbin_read(buf, byte_order) -> [(dtype, shape, info, offset, nbytes, big_endian)]"},
    {"tenbin_write", py_tenbin_write, METH_VARARGS,
     "tenbin_write([(dtype, shape, info, buffer, big_endian)], byte_order) -> bytes"},
    {"convert_tenbin", py_convert_tenbin, METH_VARARGS,
     "convert_tenbin(buf, options, fd=-1) -> (bytes or length written, list[str])"},
    {"to_tenbin", py_to_tenbin, METH_VARARGS,
     "to_tenbin(msg, byte_order, threads, fd=-1) -> bytes or length written"},
    {NULL, NULL, 0, NULL}};

int tgmpy_converters_init(PyObject *module) {
    if (PyModule_AddFunctions(module, converter_methods) < 0 ||
        PyModule_AddObjectRef(module, "HAS_GRIB", tgm_convert_has_grib() ? Py_True : Py_False) <
            0 ||
        PyModule_AddObjectRef(module, "HAS_NETCDF", tgm_convert_has_netcdf() ? Py_True : Py_False) <
            0) {
        return -1;
    }
    return 0;
}
