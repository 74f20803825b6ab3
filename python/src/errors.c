/* Mapping of library error codes to Python exceptions.
 *
 * Invalid input of any kind (framing, metadata, encoding, compression,
 * object index, bad argument) raises ValueError, with the error family
 * named at the start of the message as the reference's binding does
 * ("FramingError: ...").  File system failures raise OSError.  Integrity
 * failures raise IntegrityError subclasses, which derive from RuntimeError
 * so that both `except RuntimeError` (the guide's table) and
 * `except tensogram.HashMismatchError` work. */
#include <stdio.h>
#include <string.h>

#include "tgmpy.h"

PyObject *tgmpy_IntegrityError = NULL;
PyObject *tgmpy_MissingHashError = NULL;
PyObject *tgmpy_HashMismatchError = NULL;

int tgmpy_errors_init(PyObject *module) {
    tgmpy_IntegrityError = PyErr_NewExceptionWithDoc(
        "tensogram.IntegrityError",
        "A decoded object failed its integrity check (base of MissingHashError and "
        "HashMismatchError).",
        PyExc_RuntimeError, NULL);
    if (tgmpy_IntegrityError == NULL) {
        return -1;
    }
    tgmpy_MissingHashError = PyErr_NewExceptionWithDoc(
        "tensogram.MissingHashError",
        "verify_hash=True on an object whose frame carries no hash (attribute object_index).",
        tgmpy_IntegrityError, NULL);
    if (tgmpy_MissingHashError == NULL) {
        return -1;
    }
    tgmpy_HashMismatchError = PyErr_NewExceptionWithDoc(
        "tensogram.HashMismatchError",
        "The stored hash of an object differs from the hash of its bytes (attributes "
        "object_index, expected, actual).",
        tgmpy_IntegrityError, NULL);
    if (tgmpy_HashMismatchError == NULL) {
        return -1;
    }
    if (PyModule_AddObjectRef(module, "IntegrityError", tgmpy_IntegrityError) < 0 ||
        PyModule_AddObjectRef(module, "MissingHashError", tgmpy_MissingHashError) < 0 ||
        PyModule_AddObjectRef(module, "HashMismatchError", tgmpy_HashMismatchError) < 0) {
        return -1;
    }
    return 0;
}

/* Family names used as message prefixes (the reference binding's). */
static const char *family(tgm_error err) {
    switch (err) {
    case TGM_ERROR_FRAMING:
        return "FramingError";
    case TGM_ERROR_METADATA:
        return "MetadataError";
    case TGM_ERROR_ENCODING:
        return "EncodingError";
    case TGM_ERROR_COMPRESSION:
        return "CompressionError";
    case TGM_ERROR_OBJECT:
        return "ObjectError";
    case TGM_ERROR_INVALID_ARG:
        return "InvalidArgument";
    case TGM_ERROR_REMOTE:
        return "RemoteError";
    default:
        return "TensogramError";
    }
}

/* Pull "expected XXXX, got YYYY" out of the mismatch detail. */
static void hash_pair(const char *detail, PyObject *exc) {
    const char *e = strstr(detail, "expected ");
    const char *g = strstr(detail, ", got ");
    if (e == NULL || g == NULL || g < e) {
        return;
    }
    e += 9;
    PyObject *exp = PyUnicode_FromStringAndSize(e, g - e);
    g += 6;
    size_t glen = strcspn(g, " ,;)");
    PyObject *act = PyUnicode_FromStringAndSize(g, (Py_ssize_t)glen);
    if (exp != NULL && act != NULL) {
        PyObject_SetAttrString(exc, "expected", exp);
        PyObject_SetAttrString(exc, "actual", act);
    }
    Py_XDECREF(exp);
    Py_XDECREF(act);
    PyErr_Clear();
}

static PyObject *raise_integrity(PyObject *type, const char *detail) {
    int64_t idx = tgm_last_error_object_index();
    PyObject *text = PyUnicode_DecodeUTF8(detail, (Py_ssize_t)strlen(detail), "replace");
    if (text == NULL) {
        return NULL;
    }
    PyObject *exc = PyObject_CallOneArg(type, text);
    Py_DECREF(text);
    if (exc == NULL) {
        return NULL;
    }
    PyObject *oi = idx >= 0 ? PyLong_FromLongLong((long long)idx) : Py_NewRef(Py_None);
    if (oi != NULL) {
        PyObject_SetAttrString(exc, "object_index", oi);
        Py_DECREF(oi);
    }
    if (type == tgmpy_HashMismatchError) {
        PyObject_SetAttrString(exc, "expected", Py_None);
        PyObject_SetAttrString(exc, "actual", Py_None);
        hash_pair(detail, exc);
    }
    PyErr_Clear();
    PyErr_SetObject(type, exc);
    Py_DECREF(exc);
    return NULL;
}

/* Set `type` with "prefix: detail" (prefix may be NULL); the detail may
 * quote user input, so undecodable bytes are replaced, never fatal. */
static PyObject *set_error(PyObject *type, const char *prefix, const char *detail) {
    PyObject *msg = prefix ? PyUnicode_FromFormat("%s: ", prefix) : PyUnicode_FromString("");
    PyObject *d = PyUnicode_DecodeUTF8(detail, (Py_ssize_t)strlen(detail), "replace");
    if (msg != NULL && d != NULL) {
        PyObject *full = PyUnicode_Concat(msg, d);
        if (full != NULL) {
            PyErr_SetObject(type, full);
            Py_DECREF(full);
        }
    }
    Py_XDECREF(msg);
    Py_XDECREF(d);
    return NULL;
}

PyObject *tgmpy_raise(tgm_error err) {
    const char *detail = tgm_last_error();
    if (detail == NULL || detail[0] == '\0') {
        detail = tgm_error_string(err);
    }
    switch (err) {
    case TGM_ERROR_OK:
    case TGM_ERROR_END_OF_ITER:
        PyErr_SetString(PyExc_RuntimeError, "internal error: failure reported without an error");
        return NULL;
    case TGM_ERROR_IO:
        return set_error(PyExc_OSError, NULL, detail);
    case TGM_ERROR_REMOTE:
        return set_error(PyExc_OSError, family(err), detail);
    case TGM_ERROR_HASH_MISMATCH:
        return raise_integrity(tgmpy_HashMismatchError, detail);
    case TGM_ERROR_MISSING_HASH:
        return raise_integrity(tgmpy_MissingHashError, detail);
    case TGM_ERROR_TIMEOUT:
        return set_error(PyExc_TimeoutError, NULL, detail);
    case TGM_ERROR_CANCELLED:
        return set_error(PyExc_RuntimeError, NULL, detail);
    case TGM_ERROR_CONVERT: /* ecCodes / netCDF-C failed: not the caller's input */
        return set_error(PyExc_RuntimeError, NULL, detail);
    default:
        return set_error(PyExc_ValueError, family(err), detail);
    }
}
