/* Argument conversion shared by the module functions and the types. */
#include <string.h>

#include "tgmpy.h"

int tgmpy_buffers_get(PyObject *seq, tgmpy_buffers *out) {
    memset(out, 0, sizeof *out);
    PyObject *fast = PySequence_Fast(seq, "data must be a sequence of buffers");
    if (fast == NULL) {
        return -1;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    size_t cnt = n > 0 ? (size_t)n : 1;
    out->views = PyMem_Calloc(cnt, sizeof *out->views);
    out->ptrs = PyMem_Calloc(cnt, sizeof *out->ptrs);
    out->lens = PyMem_Calloc(cnt, sizeof *out->lens);
    if (out->views == NULL || out->ptrs == NULL || out->lens == NULL) {
        Py_DECREF(fast);
        tgmpy_buffers_release(out);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(fast, i);
        /* C-contiguous only: element order on the wire is C order.  The
         * Python layer makes other layouts contiguous first (one copy). */
        if (PyObject_GetBuffer(item, &out->views[i], PyBUF_C_CONTIGUOUS) < 0) {
            PyErr_Clear();
            PyErr_Format(PyExc_ValueError,
                         "object %zd: data must be a C-contiguous numpy array or a bytes-like "
                         "object (got %s)",
                         i, Py_TYPE(item)->tp_name);
            Py_DECREF(fast);
            tgmpy_buffers_release(out);
            return -1;
        }
        out->n = i + 1;
        out->ptrs[i] = out->views[i].buf;
        out->lens[i] = (size_t)out->views[i].len;
        /* The library takes a non-NULL pointer even for empty payloads. */
        if (out->ptrs[i] == NULL) {
            out->ptrs[i] = (const uint8_t *)"";
        }
    }
    Py_DECREF(fast);
    return 0;
}

void tgmpy_buffers_release(tgmpy_buffers *b) {
    if (b->views != NULL) {
        for (Py_ssize_t i = 0; i < b->n; i++) {
            PyBuffer_Release(&b->views[i]);
        }
    }
    PyMem_Free(b->views);
    PyMem_Free((void *)b->ptrs);
    PyMem_Free(b->lens);
    memset(b, 0, sizeof *b);
}

int tgmpy_opt_str(PyObject *obj, const char **out, const char *what) {
    if (obj == NULL || obj == Py_None) {
        *out = NULL;
        return 0;
    }
    if (!PyUnicode_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "%s must be a str or None, not %s", what,
                     Py_TYPE(obj)->tp_name);
        return -1;
    }
    *out = PyUnicode_AsUTF8(obj);
    return *out == NULL ? -1 : 0;
}

int tgmpy_mask_options(PyObject *tuple, TgmEncodeMaskOptions *out, int *present) {
    memset(out, 0, sizeof *out);
    out->small_mask_threshold_bytes = -1;
    *present = 0;
    if (tuple == NULL || tuple == Py_None) {
        return 0;
    }
    if (!PyTuple_Check(tuple) || PyTuple_GET_SIZE(tuple) != 6) {
        PyErr_SetString(PyExc_TypeError, "mask options must be a 6-tuple or None");
        return -1;
    }
    int an = PyObject_IsTrue(PyTuple_GET_ITEM(tuple, 0));
    int ai = PyObject_IsTrue(PyTuple_GET_ITEM(tuple, 1));
    if (an < 0 || ai < 0) {
        return -1;
    }
    out->allow_nan = an != 0;
    out->allow_inf = ai != 0;
    if (tgmpy_opt_str(PyTuple_GET_ITEM(tuple, 2), &out->nan_mask_method, "nan_mask_method") < 0 ||
        tgmpy_opt_str(PyTuple_GET_ITEM(tuple, 3), &out->pos_inf_mask_method,
                      "pos_inf_mask_method") < 0 ||
        tgmpy_opt_str(PyTuple_GET_ITEM(tuple, 4), &out->neg_inf_mask_method,
                      "neg_inf_mask_method") < 0) {
        return -1;
    }
    PyObject *thr = PyTuple_GET_ITEM(tuple, 5);
    if (thr != Py_None) {
        Py_ssize_t t = PyNumber_AsSsize_t(thr, PyExc_OverflowError);
        if (t == -1 && PyErr_Occurred()) {
            return -1;
        }
        if (t < 0) {
            PyErr_SetString(PyExc_ValueError, "small_mask_threshold_bytes must be >= 0");
            return -1;
        }
        out->small_mask_threshold_bytes = (ptrdiff_t)t;
    }
    *present = 1;
    return 0;
}

static int to_u64(PyObject *o, uint64_t *out, const char *what, Py_ssize_t i) {
    PyObject *idx = PyNumber_Index(o);
    if (idx == NULL) {
        PyErr_Format(PyExc_TypeError, "range %zd: %s must be an integer", i, what);
        return -1;
    }
    unsigned long long v = PyLong_AsUnsignedLongLong(idx);
    Py_DECREF(idx);
    if (v == (unsigned long long)-1 && PyErr_Occurred()) {
        PyErr_Clear();
        PyErr_Format(PyExc_ValueError, "range %zd: %s must be a non-negative 64-bit integer", i,
                     what);
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

int tgmpy_ranges(PyObject *seq, uint64_t **offsets, uint64_t **counts, size_t *n) {
    *offsets = NULL;
    *counts = NULL;
    *n = 0;
    PyObject *fast = PySequence_Fast(seq, "ranges must be a sequence of (offset, count) pairs");
    if (fast == NULL) {
        return -1;
    }
    Py_ssize_t len = PySequence_Fast_GET_SIZE(fast);
    size_t cnt = len > 0 ? (size_t)len : 1;
    uint64_t *o = PyMem_Calloc(cnt, sizeof *o);
    uint64_t *c = PyMem_Calloc(cnt, sizeof *c);
    if (o == NULL || c == NULL) {
        goto nomem;
    }
    for (Py_ssize_t i = 0; i < len; i++) {
        PyObject *pair = PySequence_Fast(PySequence_Fast_GET_ITEM(fast, i),
                                         "each range must be an (offset, count) pair");
        if (pair == NULL) {
            goto fail;
        }
        if (PySequence_Fast_GET_SIZE(pair) != 2) {
            Py_DECREF(pair);
            PyErr_Format(PyExc_ValueError, "range %zd must be an (offset, count) pair", i);
            goto fail;
        }
        int bad = to_u64(PySequence_Fast_GET_ITEM(pair, 0), &o[i], "offset", i) < 0 ||
                  to_u64(PySequence_Fast_GET_ITEM(pair, 1), &c[i], "count", i) < 0;
        Py_DECREF(pair);
        if (bad) {
            goto fail;
        }
    }
    Py_DECREF(fast);
    *offsets = o;
    *counts = c;
    *n = (size_t)len;
    return 0;
nomem:
    PyErr_NoMemory();
fail:
    Py_DECREF(fast);
    PyMem_Free(o);
    PyMem_Free(c);
    return -1;
}

int tgmpy_encode_options(PyObject *hash_obj, uint32_t threads, PyObject *mask_obj,
                         PyObject *aggregate_obj, TgmEncodeMaskOptions *mo, int *have_mask,
                         tgm_encode_options *out) {
    tgm_encode_options init = TGM_ENCODE_OPTIONS_INIT;
    *out = init;
    if (tgmpy_opt_str(hash_obj, &out->hash_algo, "hash") < 0 ||
        tgmpy_opt_str(aggregate_obj, &out->aggregate_hash, "aggregate_hash") < 0 ||
        tgmpy_mask_options(mask_obj, mo, have_mask) < 0) {
        return -1;
    }
    out->threads = threads;
    out->mask_options = *have_mask ? mo : NULL;
    return 0;
}
