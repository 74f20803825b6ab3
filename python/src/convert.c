/* Library results -> Python objects: metadata values, NumPy arrays over
 * the library's decoded buffers, and the tuples the Python layer wraps. */
#include <string.h>

#include "tgmpy.h"

/* ---- metadata values ------------------------------------------------------ */

/* Nesting bound for the conversion; the library caps CBOR depth itself,
 * this only guards the C stack against a future change there. */
#define MAX_DEPTH 512

static PyObject *value_to_py(const tgm_value_t *v, int depth) {
    if (depth > MAX_DEPTH) {
        PyErr_SetString(PyExc_ValueError, "metadata nested too deeply");
        return NULL;
    }
    switch (tgm_value_get_type(v)) {
    case TGM_VALUE_TYPE_BOOL: {
        bool b = false;
        tgm_value_as_bool(v, &b);
        return PyBool_FromLong(b);
    }
    case TGM_VALUE_TYPE_INT: {
        int64_t i;
        uint64_t u;
        double f;
        if (tgm_value_as_i64(v, &i)) {
            return PyLong_FromLongLong((long long)i);
        }
        if (tgm_value_as_u64(v, &u)) {
            return PyLong_FromUnsignedLongLong((unsigned long long)u);
        }
        /* Only -2^64 .. -2^63-1 remain (CBOR major type 1). */
        if (tgm_value_as_f64(v, &f)) {
            return PyLong_FromDouble(f);
        }
        PyErr_SetString(PyExc_ValueError, "CBOR integer out of range");
        return NULL;
    }
    case TGM_VALUE_TYPE_FLOAT: {
        double f = 0.0;
        tgm_value_as_f64(v, &f);
        return PyFloat_FromDouble(f);
    }
    case TGM_VALUE_TYPE_STRING: {
        size_t n = 0;
        const char *s = tgm_value_as_string(v, &n);
        return PyUnicode_DecodeUTF8(s ? s : "", (Py_ssize_t)n, "surrogateescape");
    }
    case TGM_VALUE_TYPE_BYTES: {
        size_t n = 0;
        const uint8_t *b = tgm_value_as_bytes(v, &n);
        return PyBytes_FromStringAndSize((const char *)b, (Py_ssize_t)n);
    }
    case TGM_VALUE_TYPE_ARRAY: {
        size_t n = tgm_value_array_len(v);
        PyObject *list = PyList_New((Py_ssize_t)n);
        if (list == NULL) {
            return NULL;
        }
        for (size_t i = 0; i < n; i++) {
            PyObject *item = value_to_py(tgm_value_array_get(v, i), depth + 1);
            if (item == NULL) {
                Py_DECREF(list);
                return NULL;
            }
            PyList_SET_ITEM(list, (Py_ssize_t)i, item);
        }
        return list;
    }
    case TGM_VALUE_TYPE_MAP: {
        size_t n = tgm_value_map_len(v);
        PyObject *dict = PyDict_New();
        if (dict == NULL) {
            return NULL;
        }
        for (size_t i = 0; i < n; i++) {
            size_t klen = 0;
            const char *k = tgm_value_map_key_at(v, i, &klen);
            /* Non-text keys cannot be reached by path lookups either; they
             * are left out rather than invented. */
            if (k == NULL) {
                continue;
            }
            PyObject *key = PyUnicode_DecodeUTF8(k, (Py_ssize_t)klen, "surrogateescape");
            PyObject *val = key ? value_to_py(tgm_value_map_value_at(v, i), depth + 1) : NULL;
            if (val == NULL || PyDict_SetItem(dict, key, val) < 0) {
                Py_XDECREF(key);
                Py_XDECREF(val);
                Py_DECREF(dict);
                return NULL;
            }
            Py_DECREF(key);
            Py_DECREF(val);
        }
        return dict;
    }
    case TGM_VALUE_TYPE_NULL:
    default:
        Py_RETURN_NONE;
    }
}

PyObject *tgmpy_value_to_py(const tgm_value_t *v) {
    if (v == NULL) {
        Py_RETURN_NONE;
    }
    return value_to_py(v, 0);
}

static PyObject *section(const tgm_value_t *v) {
    if (v == NULL || tgm_value_get_type(v) != TGM_VALUE_TYPE_MAP) {
        return PyDict_New();
    }
    return value_to_py(v, 0);
}

/* A map as a dict, leaving out the key `skip` (NULL: none). */
static PyObject *map_without(const tgm_value_t *v, const char *skip) {
    if (v == NULL || tgm_value_get_type(v) != TGM_VALUE_TYPE_MAP) {
        return PyDict_New();
    }
    if (skip == NULL) {
        return value_to_py(v, 0);
    }
    size_t n = tgm_value_map_len(v), skip_len = strlen(skip);
    PyObject *dict = PyDict_New();
    for (size_t i = 0; dict != NULL && i < n; i++) {
        size_t klen = 0;
        const char *k = tgm_value_map_key_at(v, i, &klen);
        if (k == NULL || (klen == skip_len && memcmp(k, skip, klen) == 0)) {
            continue;
        }
        PyObject *key = PyUnicode_DecodeUTF8(k, (Py_ssize_t)klen, "surrogateescape");
        PyObject *val = key ? value_to_py(tgm_value_map_value_at(v, i), 1) : NULL;
        if (val == NULL || PyDict_SetItem(dict, key, val) < 0) {
            Py_CLEAR(dict);
        }
        Py_XDECREF(key);
        Py_XDECREF(val);
    }
    return dict;
}

PyObject *tgmpy_metadata_tuple_ex(const tgm_metadata_t *md, int with_reserved) {
    size_t n = tgm_metadata_num_objects(md);
    PyObject *base = PyList_New((Py_ssize_t)n);
    if (base == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        PyObject *entry =
            map_without(tgm_metadata_object(md, i), with_reserved ? NULL : "_reserved_");
        if (entry == NULL) {
            Py_DECREF(base);
            return NULL;
        }
        PyList_SET_ITEM(base, (Py_ssize_t)i, entry);
    }
    PyObject *extra = section(tgm_metadata_extra(md));
    PyObject *reserved = NULL;
    if (extra != NULL) {
        reserved = with_reserved ? section(tgm_metadata_reserved(md)) : Py_NewRef(Py_None);
    }
    if (reserved == NULL) {
        Py_DECREF(base);
        Py_XDECREF(extra);
        return NULL;
    }
    return Py_BuildValue("(NNN)", base, extra, reserved);
}

PyObject *tgmpy_metadata_tuple(const tgm_metadata_t *md) {
    size_t n = tgm_metadata_num_objects(md);
    PyObject *base = PyList_New((Py_ssize_t)n);
    if (base == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        PyObject *entry = section(tgm_metadata_object(md, i));
        if (entry == NULL) {
            Py_DECREF(base);
            return NULL;
        }
        PyList_SET_ITEM(base, (Py_ssize_t)i, entry);
    }
    PyObject *extra = section(tgm_metadata_extra(md));
    PyObject *reserved = extra ? section(tgm_metadata_reserved(md)) : NULL;
    if (reserved == NULL) {
        Py_DECREF(base);
        Py_XDECREF(extra);
        return NULL;
    }
    return Py_BuildValue("(NNN)", base, extra, reserved);
}

PyObject *tgmpy_message_metadata_tuple(const tgm_message_t *msg) {
    tgm_metadata_t *md = NULL;
    tgm_error e = tgm_message_metadata(msg, &md);
    if (e != TGM_ERROR_OK) {
        return tgmpy_raise(e);
    }
    PyObject *t = tgmpy_metadata_tuple(md);
    tgm_metadata_free(md);
    return t;
}

/* ---- capsules ------------------------------------------------------------------- */

static const char MSG_CAPSULE[] = "tensogram.message";
static const char BYTES_CAPSULE[] = "tensogram.bytes";

static void free_message_capsule(PyObject *cap) {
    tgm_message_free(PyCapsule_GetPointer(cap, MSG_CAPSULE));
}

PyObject *tgmpy_message_capsule(tgm_message_t *msg) {
    PyObject *cap = PyCapsule_New(msg, MSG_CAPSULE, free_message_capsule);
    if (cap == NULL) {
        tgm_message_free(msg);
    }
    return cap;
}

static void free_bytes_capsule(PyObject *cap) {
    tgm_bytes_t *b = PyCapsule_GetPointer(cap, BYTES_CAPSULE);
    if (b != NULL) {
        tgm_bytes_free(*b);
        PyMem_Free(b);
    }
}

PyObject *tgmpy_bytes_capsule(tgm_bytes_t b) {
    tgm_bytes_t *box = PyMem_Malloc(sizeof *box);
    if (box == NULL) {
        tgm_bytes_free(b);
        return PyErr_NoMemory();
    }
    *box = b;
    PyObject *cap = PyCapsule_New(box, BYTES_CAPSULE, free_bytes_capsule);
    if (cap == NULL) {
        tgm_bytes_free(b);
        PyMem_Free(box);
    }
    return cap;
}

/* ---- arrays ----------------------------------------------------------------------- */

static const struct {
    const char *name;
    int typenum;
} DTYPES[] = {
    {"float16", NPY_HALF},   {"bfloat16", NPY_UINT16},  {"float32", NPY_FLOAT},
    {"float64", NPY_DOUBLE}, {"complex64", NPY_CFLOAT}, {"complex128", NPY_CDOUBLE},
    {"int8", NPY_INT8},      {"int16", NPY_INT16},      {"int32", NPY_INT32},
    {"int64", NPY_INT64},    {"uint8", NPY_UINT8},      {"uint16", NPY_UINT16},
    {"uint32", NPY_UINT32},  {"uint64", NPY_UINT64},    {"bitmask", NPY_UINT8},
};

int tgmpy_typenum(const char *dtype) {
    if (dtype != NULL) {
        for (size_t i = 0; i < sizeof DTYPES / sizeof DTYPES[0]; i++) {
            if (strcmp(DTYPES[i].name, dtype) == 0) {
                return DTYPES[i].typenum;
            }
        }
    }
    PyErr_Format(PyExc_ValueError, "unknown dtype: %s", dtype ? dtype : "(none)");
    return -1;
}

PyObject *tgmpy_array_view(const char *dtype, int ndim, const uint64_t *shape, const uint8_t *data,
                           size_t len, PyObject *base) {
    int typenum = tgmpy_typenum(dtype);
    if (typenum < 0) {
        return NULL;
    }
    PyArray_Descr *descr = PyArray_DescrFromType(typenum);
    if (descr == NULL) {
        return NULL;
    }
    size_t item = (size_t)descr->elsize;
    npy_intp dims[NPY_MAXDIMS];
    /* The bitmask dtype packs 8 elements per byte: its values come back as
     * the packed bytes, flat, as in the reference binding. */
    if (ndim < 0 || strcmp(dtype, "bitmask") == 0) {
        ndim = 1;
        dims[0] = (npy_intp)(len / item);
    } else {
        if (ndim > NPY_MAXDIMS) {
            Py_DECREF(descr);
            return PyErr_Format(PyExc_ValueError, "object has %d dimensions; NumPy supports %d",
                                ndim, NPY_MAXDIMS);
        }
        /* The library checked shape against the payload size; re-check
         * here so a mismatch can never produce an array past the buffer. */
        size_t count = 1;
        for (int i = 0; i < ndim; i++) {
            if (shape[i] > (uint64_t)NPY_MAX_INTP ||
                (shape[i] != 0 && count > SIZE_MAX / (size_t)shape[i])) {
                Py_DECREF(descr);
                return PyErr_Format(PyExc_ValueError, "shape too large for NumPy");
            }
            count *= (size_t)shape[i];
            dims[i] = (npy_intp)shape[i];
        }
        if (count > SIZE_MAX / item || count * item != len) {
            Py_DECREF(descr);
            return PyErr_Format(PyExc_ValueError,
                                "decoded object holds %zu bytes, shape and dtype %s need %zu", len,
                                dtype, count <= SIZE_MAX / item ? count * item : (size_t)0);
        }
    }
    if (len == 0 || data == NULL) {
        /* Nothing to share: NumPy allocates its own (empty) buffer. */
        return PyArray_Zeros(ndim, dims, descr, 0);
    }
    /* The decoded buffer is owned by the message (or bytes) handle alone;
     * the array may be written to, as an owned array could. */
    void *ptr;
    memcpy(&ptr, &data, sizeof ptr);
    PyObject *arr =
        PyArray_NewFromDescr(&PyArray_Type, descr, ndim, dims, NULL, ptr, NPY_ARRAY_CARRAY, NULL);
    if (arr == NULL) {
        return NULL;
    }
    Py_INCREF(base);
    if (PyArray_SetBaseObject((PyArrayObject *)arr, base) < 0) {
        Py_DECREF(arr);
        return NULL;
    }
    return arr;
}

/* The object's descriptor as a dict, straight from its value (no JSON
 * text to print and parse again). */
static PyObject *desc_dict(const tgm_message_t *msg, size_t i) {
    const tgm_value_t *d = tgm_object_descriptor(msg, i);
    if (d == NULL) {
        return tgmpy_raise(TGM_ERROR_OBJECT);
    }
    return tgmpy_value_to_py(d);
}

static PyObject *object_array(const tgm_message_t *msg, size_t i, PyObject *capsule) {
    size_t len = 0;
    const uint8_t *data = tgm_object_data(msg, i, &len);
    uint64_t ndim = tgm_object_ndim(msg, i);
    if (ndim > NPY_MAXDIMS) {
        return PyErr_Format(PyExc_ValueError, "object has %llu dimensions; NumPy supports %d",
                            (unsigned long long)ndim, NPY_MAXDIMS);
    }
    return tgmpy_array_view(tgm_object_dtype(msg, i), (int)ndim, tgm_object_shape(msg, i), data,
                            len, capsule);
}

PyObject *tgmpy_message_objects(const tgm_message_t *msg, PyObject *capsule) {
    size_t n = tgm_message_num_objects(msg);
    PyObject *list = PyList_New((Py_ssize_t)n);
    if (list == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        PyObject *d = desc_dict(msg, i);
        PyObject *a = d ? object_array(msg, i, capsule) : NULL;
        if (a == NULL) {
            Py_XDECREF(d);
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, Py_BuildValue("(NN)", d, a));
        if (PyList_GET_ITEM(list, (Py_ssize_t)i) == NULL) {
            Py_DECREF(list);
            return NULL;
        }
    }
    return list;
}

PyObject *tgmpy_message_result(tgm_message_t *msg) {
    PyObject *cap = tgmpy_message_capsule(msg);
    if (cap == NULL) {
        return NULL;
    }
    PyObject *meta = tgmpy_message_metadata_tuple(msg);
    PyObject *objs = meta ? tgmpy_message_objects(msg, cap) : NULL;
    Py_DECREF(cap); /* the arrays hold it now */
    if (objs == NULL) {
        Py_XDECREF(meta);
        return NULL;
    }
    return Py_BuildValue("(NN)", meta, objs);
}

PyObject *tgmpy_object_result(tgm_message_t *msg) {
    PyObject *cap = tgmpy_message_capsule(msg);
    if (cap == NULL) {
        return NULL;
    }
    PyObject *meta = tgmpy_message_metadata_tuple(msg);
    PyObject *d = meta ? desc_dict(msg, 0) : NULL;
    PyObject *a = d ? object_array(msg, 0, cap) : NULL;
    Py_DECREF(cap);
    if (a == NULL) {
        Py_XDECREF(meta);
        Py_XDECREF(d);
        return NULL;
    }
    return Py_BuildValue("(NNN)", meta, d, a);
}

PyObject *tgmpy_scan_item(const tgm_message_t *msg, int with_reserved) {
    tgm_metadata_t *md = NULL;
    tgm_error e = tgm_message_metadata(msg, &md);
    if (e != TGM_ERROR_OK) {
        return tgmpy_raise(e);
    }
    PyObject *meta = tgmpy_metadata_tuple_ex(md, with_reserved);
    tgm_metadata_free(md);
    size_t n = tgm_message_num_objects(msg);
    PyObject *list = meta ? PyList_New((Py_ssize_t)n) : NULL;
    for (size_t i = 0; list != NULL && i < n; i++) {
        PyObject *d = tgmpy_value_to_py(tgm_object_descriptor(msg, i));
        if (d == NULL) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, d);
    }
    if (list == NULL) {
        Py_XDECREF(meta);
        return NULL;
    }
    return Py_BuildValue("(NN)", meta, list);
}

PyObject *tgmpy_descriptors_result(tgm_message_t *msg) {
    PyObject *meta = tgmpy_message_metadata_tuple(msg);
    size_t n = tgm_message_num_objects(msg);
    PyObject *list = meta ? PyList_New((Py_ssize_t)n) : NULL;
    for (size_t i = 0; list != NULL && i < n; i++) {
        PyObject *d = desc_dict(msg, i);
        if (d == NULL) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, d);
    }
    tgm_message_free(msg);
    if (list == NULL) {
        Py_XDECREF(meta);
        return NULL;
    }
    return Py_BuildValue("(NN)", meta, list);
}

PyObject *tgmpy_range_result(const char *dtype, tgm_bytes_t *parts, size_t n) {
    PyObject *list = PyList_New((Py_ssize_t)n);
    size_t i = 0;
    if (list == NULL) {
        goto fail;
    }
    for (; i < n; i++) {
        PyObject *cap = tgmpy_bytes_capsule(parts[i]);
        if (cap == NULL) {
            i++; /* the capsule call freed part i */
            goto fail;
        }
        PyObject *a = tgmpy_array_view(dtype, -1, NULL, parts[i].data, parts[i].len, cap);
        Py_DECREF(cap);
        if (a == NULL) {
            i++;
            goto fail;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, a);
    }
    return Py_BuildValue("(sN)", dtype, list);
fail:
    for (; i < n; i++) {
        tgm_bytes_free(parts[i]);
    }
    Py_XDECREF(list);
    return NULL;
}

/* One packed mask (MSB first) as a flat bool array of n elements. */
static PyObject *mask_array(const uint8_t *bits, uint64_t n) {
    if (n > (uint64_t)NPY_MAX_INTP) {
        return PyErr_Format(PyExc_ValueError, "mask of %llu elements is too large for NumPy",
                            (unsigned long long)n);
    }
    npy_intp dims[1] = {(npy_intp)n};
    PyObject *arr = PyArray_SimpleNew(1, dims, NPY_BOOL);
    if (arr == NULL) {
        return NULL;
    }
    npy_bool *dst = PyArray_DATA((PyArrayObject *)arr);
    size_t count = (size_t)n;
    Py_BEGIN_ALLOW_THREADS size_t whole = count / 8;
    for (size_t i = 0; i < whole; i++) {
        unsigned byte = bits[i];
        for (unsigned j = 0; j < 8; j++) {
            dst[8 * i + j] = (npy_bool)((byte >> (7 - j)) & 1u);
        }
    }
    for (size_t i = 8 * whole; i < count; i++) {
        dst[i] = (npy_bool)((bits[i / 8] >> (7 - i % 8)) & 1u);
    }
    Py_END_ALLOW_THREADS return arr;
}

PyObject *tgmpy_message_masks(const tgm_message_t *msg) {
    static const char *const keys[3] = {"nan", "inf+", "inf-"};
    static const int32_t kinds[3] = {TGM_MASK_KIND_NAN, TGM_MASK_KIND_POS_INF,
                                     TGM_MASK_KIND_NEG_INF};
    size_t n = tgm_message_num_objects(msg);
    PyObject *list = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; list != NULL && i < n; i++) {
        PyObject *d = PyDict_New();
        if (d == NULL) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, d);
        for (int k = 0; k < 3; k++) {
            uint64_t nbits = 0;
            const uint8_t *bits = tgm_object_mask(msg, i, kinds[k], &nbits);
            if (bits == NULL) {
                continue;
            }
            PyObject *arr = mask_array(bits, nbits);
            if (arr == NULL || PyDict_SetItemString(d, keys[k], arr) < 0) {
                Py_XDECREF(arr);
                Py_CLEAR(list);
                break;
            }
            Py_DECREF(arr);
        }
    }
    return list;
}
