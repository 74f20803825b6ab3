/* User compression codecs written in Python, over tensogram/codec.h.
 *
 * register_codec() wraps Python callables in a tgm_codec_def whose `user`
 * is a pycodec (below).  The library calls the callbacks on the thread that
 * called encode / decode or on the worker threads of that call, so every
 * callback takes the GIL itself (PyGILState_Ensure); that cannot deadlock
 * because every binding call that can reach a codec runs with the GIL
 * released (TGMPY_NOGIL), and the registry's own lock is never held while
 * a callback or `release` runs.
 *
 * Buffers.  A callback sees the library's memory without a copy, through
 * memoryviews over a small exporter object (LentObject) that counts the
 * buffers taken from it.  When the callback returns, the memoryviews are
 * released - a view the callback kept then raises ValueError on use instead
 * of reading memory the library is about to free - and the exporter is
 * closed.  Anything else still holding the memory at that point (a slice
 * of a view, an array made with np.frombuffer and stored away) keeps an
 * export open; such a leak cannot be revoked, so it is reported: the call
 * fails with a message saying which buffer was kept.
 *
 * Errors.  A Python exception in a callback becomes the codec's error text
 * ("ZeroDivisionError: division by zero"), which the library wraps as
 * 'user codec "name" (id N) decode: ...'; the exception itself is dropped
 * (with its traceback, which holds the callback's frames) before the
 * buffers are checked.  A KeyboardInterrupt is re-armed so that Ctrl-C
 * still interrupts the program once the library call has returned. */
#include <stddef.h>
#include <string.h>

#include "pycodec.h"
#include "tensogram/codec.h"

/* ---- state of one registration --------------------------------------------------- */

typedef struct pycodec {
    struct pycodec *next; /* in `live` */
    char name[TGM_CODEC_NAME_MAX + 1];
    uint32_t id;
    int registered; /* set until unregister_codec removes the name */
    PyObject *encoder, *decoder;
    PyObject *decode_range, *validate; /* NULL when not given */
    PyObject *params_type;             /* tensogram.CodecParams */
} pycodec;

/* Every pycodec between its registration and its `release` callback.  Read
 * and written with the GIL held. */
static pycodec *live;

static PyObject *json_loads;
static PyObject *str_release;

/* CodecParams attributes, in the order make_params fills them. */
enum {
    A_CODEC_NAME,
    A_CODEC_ID,
    A_DTYPE,
    A_BYTE_ORDER,
    A_SHAPE,
    A_TYPESIZE,
    A_DECODED_SIZE,
    A_THREADS,
    A_COUNT
};
static const char *const attr_text[A_COUNT] = {
    "codec_name", "codec_id", "dtype", "byte_order", "shape", "typesize", "decoded_size", "threads",
};
static PyObject *attr_name[A_COUNT];

static void codec_free(pycodec *c) {
    Py_CLEAR(c->encoder);
    Py_CLEAR(c->decoder);
    Py_CLEAR(c->decode_range);
    Py_CLEAR(c->validate);
    Py_CLEAR(c->params_type);
    PyMem_RawFree(c);
}

/* A process that is exiting can no longer run Python code; taking the GIL
 * from another thread then would never return. */
static int interpreter_gone(void) {
#if PY_VERSION_HEX >= 0x030D0000
    return Py_IsFinalizing();
#else
    return _Py_IsFinalizing();
#endif
}

/* ---- buffers lent to a callback ---------------------------------------------------- */

typedef struct {
    PyObject_HEAD uint8_t *ptr;
    Py_ssize_t len;
    int readonly;
    int closed; /* the callback has returned: no new exports */
    Py_ssize_t exports;
} LentObject;

static uint8_t empty_byte;

static int lent_getbuffer(PyObject *obj, Py_buffer *view, int flags) {
    LentObject *self = (LentObject *)obj;
    if (self->closed) {
        view->obj = NULL;
        PyErr_SetString(PyExc_BufferError, "codec buffer used after its callback returned");
        return -1;
    }
    if (PyBuffer_FillInfo(view, obj, self->ptr, self->len, self->readonly, flags) < 0) {
        return -1;
    }
    self->exports++;
    return 0;
}

static void lent_releasebuffer(PyObject *obj, Py_buffer *view) {
    (void)view;
    ((LentObject *)obj)->exports--;
}

static PyBufferProcs lent_as_buffer = {lent_getbuffer, lent_releasebuffer};

static PyTypeObject LentType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "tensogram._tensogram._LentBuffer",
    .tp_basicsize = sizeof(LentObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_as_buffer = &lent_as_buffer,
    .tp_doc = "Memory lent to a codec callback for the duration of the call.",
};

/* A memoryview lent to a callback and the exporter under it. */
typedef struct {
    PyObject *view;
    LentObject *lent;
} loan;

static int lend(loan *l, const uint8_t *ptr, size_t len, int readonly) {
    l->view = NULL;
    l->lent = NULL;
    if (len > (size_t)PY_SSIZE_T_MAX) {
        PyErr_Format(PyExc_OverflowError, "codec buffer of %zu bytes is too large for Python", len);
        return -1;
    }
    LentObject *o = PyObject_New(LentObject, &LentType);
    if (o == NULL) {
        return -1;
    }
    /* The library's `src` is const; the exporter hands it out read-only. */
    o->ptr = len > 0 ? (uint8_t *)(uintptr_t)ptr : &empty_byte;
    o->len = (Py_ssize_t)len;
    o->readonly = readonly;
    o->closed = 0;
    o->exports = 0;
    l->view = PyMemoryView_FromObject((PyObject *)o);
    if (l->view == NULL) {
        Py_DECREF(o);
        return -1;
    }
    l->lent = o;
    return 0;
}

/* End a loan: release the memoryview and close the exporter.  Returns 1
 * when something made from the view still holds the memory.  No Python
 * exception may be pending. */
static int unlend(loan *l) {
    if (l->lent == NULL) {
        return 0;
    }
    int kept = 0;
    PyObject *r = PyObject_CallMethodNoArgs(l->view, str_release);
    if (r == NULL) { /* BufferError: an export of the view itself is open */
        PyErr_Clear();
        kept = 1;
    } else {
        Py_DECREF(r);
    }
    Py_CLEAR(l->view);
    l->lent->closed = 1;
    if (l->lent->exports != 0) {
        kept = 1;
    }
    Py_CLEAR(l->lent);
    return kept;
}

/* ---- errors ---------------------------------------------------------------------------- */

/* Set when a callback raised KeyboardInterrupt.  The interrupt is re-armed
 * (as a pending SIGINT, acted on once the library call is back in Python)
 * only as the callback gives the GIL back: re-armed earlier, it could fire
 * inside the Python calls this file still makes, as an exception that the
 * clean-up here clears. */
static _Thread_local int interrupted;

static void gil_release(PyGILState_STATE gs) {
    if (interrupted) {
        interrupted = 0;
        PyErr_SetInterrupt();
    }
    PyGILState_Release(gs);
}

/* "Type: text" of the pending exception into buf, then clear it. */
static void take_exception(char *buf, size_t cap) {
#if PY_VERSION_HEX >= 0x030C0000
    PyObject *exc = PyErr_GetRaisedException();
#else
    PyObject *type, *exc, *tb;
    PyErr_Fetch(&type, &exc, &tb);
    PyErr_NormalizeException(&type, &exc, &tb);
    Py_XDECREF(type);
    Py_XDECREF(tb);
#endif
    if (exc == NULL) {
        snprintf(buf, cap, "unknown error");
        return;
    }
    if (PyErr_GivenExceptionMatches(exc, PyExc_KeyboardInterrupt)) {
        interrupted = 1;
    }
    const char *tname = Py_TYPE(exc)->tp_name;
    PyObject *s = PyObject_Str(exc);
    const char *text = s != NULL ? PyUnicode_AsUTF8(s) : NULL;
    if (text == NULL) {
        PyErr_Clear();
        text = "";
    }
    if (text[0] != '\0') {
        snprintf(buf, cap, "%s: %s", tname, text);
    } else {
        snprintf(buf, cap, "%s", tname);
    }
    Py_XDECREF(s);
    /* Drops the traceback and with it the callback's frames and locals. */
    Py_DECREF(exc);
}

/* Report the pending exception as the callback's failure. */
static tgm_error failed(const tgm_codec_call *call, tgm_error code) {
    char text[512];
    take_exception(text, sizeof text);
    tgm_codec_error(call, "%s", text);
    return code;
}

static tgm_error kept_error(const tgm_codec_call *call, const char *role, const char *which) {
    tgm_codec_error(call,
                    "the %s kept a reference to its %s buffer after returning (a slice, an array "
                    "from np.frombuffer, ...); the buffers are valid during the call only: copy "
                    "what must outlive it",
                    role, which);
    return TGM_ERROR_COMPRESSION;
}

/* ---- what callbacks receive ------------------------------------------------------------ */

/* A CodecParams: the descriptor's parameters as a dict, the rest of the
 * call's description as attributes.  NULL with an exception on failure. */
static PyObject *make_params(const pycodec *c, const tgm_codec_call *call) {
    PyObject *json =
        PyUnicode_DecodeUTF8(call->params_json, (Py_ssize_t)call->params_json_len, "replace");
    if (json == NULL) {
        return NULL;
    }
    PyObject *d = PyObject_CallOneArg(json_loads, json);
    Py_DECREF(json);
    if (d == NULL) {
        return NULL;
    }
    PyObject *p = PyObject_CallOneArg(c->params_type, d);
    Py_DECREF(d);
    if (p == NULL) {
        return NULL;
    }
    PyObject *v[A_COUNT];
    v[A_CODEC_NAME] = PyUnicode_FromString(call->name);
    v[A_CODEC_ID] = PyLong_FromUnsignedLong(call->id);
    v[A_DTYPE] = PyUnicode_FromString(call->dtype);
    v[A_BYTE_ORDER] = PyUnicode_FromString(call->big_endian ? "big" : "little");
    v[A_SHAPE] = PyTuple_New((Py_ssize_t)call->ndim);
    v[A_TYPESIZE] = PyLong_FromSize_t(call->typesize);
    v[A_DECODED_SIZE] = PyLong_FromUnsignedLongLong(call->decoded_size);
    v[A_THREADS] = PyLong_FromUnsignedLong(call->threads);
    int ok = 1;
    for (size_t i = 0; ok && v[A_SHAPE] != NULL && i < call->ndim; i++) {
        PyObject *e = PyLong_FromUnsignedLongLong(call->shape[i]);
        if (e == NULL) {
            ok = 0;
        } else {
            PyTuple_SET_ITEM(v[A_SHAPE], (Py_ssize_t)i, e);
        }
    }
    for (int i = 0; i < A_COUNT; i++) {
        if (ok && (v[i] == NULL || PyObject_SetAttr(p, attr_name[i], v[i]) < 0)) {
            ok = 0;
        }
        Py_XDECREF(v[i]);
    }
    if (!ok) {
        Py_DECREF(p);
        return NULL;
    }
    return p;
}

/* ---- callbacks ------------------------------------------------------------------------- */

static tgm_error codec_encode(void *user, const tgm_codec_call *call, const uint8_t *src, size_t n,
                              tgm_codec_output *out) {
    pycodec *c = user;
    if (interpreter_gone()) {
        tgm_codec_error(call, "the Python interpreter is shutting down");
        return TGM_ERROR_COMPRESSION;
    }
    PyGILState_STATE gs = PyGILState_Ensure();
    tgm_error rc = TGM_ERROR_OK;
    loan in = {NULL, NULL};
    PyObject *res = NULL;
    PyObject *params = make_params(c, call);
    if (params == NULL || lend(&in, src, n, 1) < 0) {
        rc = failed(call, TGM_ERROR_COMPRESSION);
        goto done;
    }
    res = PyObject_CallFunctionObjArgs(c->encoder, in.view, params, NULL);
    if (res == NULL) {
        rc = failed(call, TGM_ERROR_COMPRESSION);
        goto done;
    }
    /* The result may be a view of `src` itself (an identity codec): it is
     * copied out before the loan ends. */
    Py_buffer b;
    if (PyObject_GetBuffer(res, &b, PyBUF_C_CONTIGUOUS) < 0) {
        char text[400];
        take_exception(text, sizeof text);
        tgm_codec_error(call,
                        "the encoder must return a bytes-like object (bytes, bytearray, "
                        "memoryview, contiguous array), got %s (%s)",
                        Py_TYPE(res)->tp_name, text);
        rc = TGM_ERROR_COMPRESSION;
        goto done;
    }
    /* Nothing to append for an empty result (a zero-byte write to an
     * output that has no memory yet is refused by the library). */
    if (b.len > 0) {
        TGMPY_NOGIL(rc = tgm_codec_output_write(out, b.buf, (size_t)b.len));
    }
    PyBuffer_Release(&b);
done:
    Py_XDECREF(res);
    Py_XDECREF(params);
    if (unlend(&in) && rc == TGM_ERROR_OK) {
        rc = kept_error(call, "encoder", "input (src)");
    }
    gil_release(gs);
    return rc;
}

/* The decoder's result: the number of bytes it wrote to `out` (all of
 * them), or the decoded bytes, which are copied to `dst`. */
static tgm_error take_decoded(const tgm_codec_call *call, const char *role, PyObject *res,
                              uint8_t *dst, size_t want) {
    if (PyLong_Check(res) || PyArray_IsScalar(res, Integer)) {
        PyObject *idx = PyNumber_Index(res);
        long long v = idx != NULL ? PyLong_AsLongLong(idx) : -1;
        Py_XDECREF(idx);
        if (PyErr_Occurred()) {
            PyErr_Clear();
            v = -1;
        }
        if (v < 0 || (unsigned long long)v != (unsigned long long)want) {
            PyObject *r = PyObject_Repr(res);
            const char *rt = r != NULL ? PyUnicode_AsUTF8(r) : NULL;
            if (rt == NULL) {
                PyErr_Clear();
                rt = "?";
            }
            tgm_codec_error(call,
                            "the %s returned %s, but must fill all of out: return %zu (len(out)) "
                            "or the decoded bytes",
                            role, rt, want);
            Py_XDECREF(r);
            return TGM_ERROR_COMPRESSION;
        }
        return TGM_ERROR_OK;
    }
    Py_buffer b;
    if (PyObject_GetBuffer(res, &b, PyBUF_C_CONTIGUOUS) < 0) {
        PyErr_Clear();
        tgm_codec_error(call,
                        "the %s returned %s: it must return the number of bytes written to out "
                        "(%zu) or the decoded bytes",
                        role, res == Py_None ? "None" : Py_TYPE(res)->tp_name, want);
        return TGM_ERROR_COMPRESSION;
    }
    if ((size_t)b.len != want) {
        tgm_codec_error(call, "the %s returned %zd bytes, expected %zu", role, b.len, want);
        PyBuffer_Release(&b);
        return TGM_ERROR_COMPRESSION;
    }
    /* memmove: the result may be `out` itself or overlap it. */
    if (want > 0) {
        TGMPY_NOGIL(memmove(dst, b.buf, want));
    }
    PyBuffer_Release(&b);
    return TGM_ERROR_OK;
}

/* decode and decode_range: `fn(src, out, params)`, or with `offset`
 * given, `fn(src, out, offset, params)`; `want` bytes go to `out`. */
static tgm_error run_decoder(pycodec *c, PyObject *fn, const char *role, const tgm_codec_call *call,
                             const uint8_t *src, size_t n, uint64_t offset, int ranged,
                             uint64_t want64, tgm_codec_output *out) {
    if (want64 > (uint64_t)PY_SSIZE_T_MAX) {
        tgm_codec_error(call, "%llu decoded bytes are too many for Python",
                        (unsigned long long)want64);
        return TGM_ERROR_COMPRESSION;
    }
    size_t want = (size_t)want64;
    if (interpreter_gone()) {
        tgm_codec_error(call, "the Python interpreter is shutting down");
        return TGM_ERROR_COMPRESSION;
    }
    /* Decoders write straight into the library's destination. */
    uint8_t *dst = tgm_codec_output_reserve(out, want);
    if (dst == NULL) {
        return TGM_ERROR_COMPRESSION; /* the output has failed and says why */
    }
    PyGILState_STATE gs = PyGILState_Ensure();
    tgm_error rc = TGM_ERROR_OK;
    loan in = {NULL, NULL}, outv = {NULL, NULL};
    PyObject *res = NULL, *off = NULL;
    PyObject *params = make_params(c, call);
    if (params == NULL || lend(&in, src, n, 1) < 0 || lend(&outv, dst, want, 0) < 0 ||
        (ranged && (off = PyLong_FromUnsignedLongLong(offset)) == NULL)) {
        rc = failed(call, TGM_ERROR_COMPRESSION);
        goto done;
    }
    res = ranged ? PyObject_CallFunctionObjArgs(fn, in.view, outv.view, off, params, NULL)
                 : PyObject_CallFunctionObjArgs(fn, in.view, outv.view, params, NULL);
    if (res == NULL) {
        rc = failed(call, TGM_ERROR_COMPRESSION);
        goto done;
    }
    rc = take_decoded(call, role, res, dst, want);
done:
    Py_XDECREF(res);
    Py_XDECREF(off);
    Py_XDECREF(params);
    int kept_in = unlend(&in);
    int kept_out = unlend(&outv);
    if (rc == TGM_ERROR_OK && (kept_in || kept_out)) {
        rc = kept_error(call, role,
                        kept_in && kept_out ? "input (src) and output (out)"
                        : kept_in           ? "input (src)"
                                            : "output (out)");
    }
    gil_release(gs);
    if (rc == TGM_ERROR_OK) {
        rc = tgm_codec_output_commit(out, want);
    }
    return rc;
}

static tgm_error codec_decode(void *user, const tgm_codec_call *call, const uint8_t *src, size_t n,
                              tgm_codec_output *out) {
    pycodec *c = user;
    return run_decoder(c, c->decoder, "decoder", call, src, n, 0, 0, call->decoded_size, out);
}

static tgm_error codec_decode_range(void *user, const tgm_codec_call *call, const uint8_t *src,
                                    size_t n, uint64_t byte_pos, uint64_t byte_size,
                                    tgm_codec_output *out) {
    pycodec *c = user;
    return run_decoder(c, c->decode_range, "decode_range callback", call, src, n, byte_pos, 1,
                       byte_size, out);
}

static tgm_error codec_validate(void *user, const tgm_codec_call *call) {
    pycodec *c = user;
    if (interpreter_gone()) {
        tgm_codec_error(call, "the Python interpreter is shutting down");
        return TGM_ERROR_ENCODING;
    }
    PyGILState_STATE gs = PyGILState_Ensure();
    tgm_error rc = TGM_ERROR_OK;
    PyObject *params = make_params(c, call);
    PyObject *res = params != NULL ? PyObject_CallOneArg(c->validate, params) : NULL;
    if (res == NULL) {
        rc = failed(call, TGM_ERROR_ENCODING);
    } else if (res == Py_False) {
        tgm_codec_error(call, "validate returned False");
        rc = TGM_ERROR_ENCODING;
    }
    Py_XDECREF(res);
    Py_XDECREF(params);
    gil_release(gs);
    return rc;
}

/* The library is done with the codec: drop the Python objects. */
static void codec_release(void *user) {
    pycodec *c = user;
    if (interpreter_gone()) {
        return; /* the objects go with the interpreter */
    }
    PyGILState_STATE gs = PyGILState_Ensure();
    for (pycodec **p = &live; *p != NULL; p = &(*p)->next) {
        if (*p == c) {
            *p = c->next;
            break;
        }
    }
    /* Dropping the callables may run arbitrary code (finalizers), which
     * may register codecs: `c` is out of the list by now. */
    codec_free(c);
    gil_release(gs);
}

/* ---- module functions ---------------------------------------------------------------- */

static PyObject *none_to_null(PyObject *o) { return o == Py_None ? NULL : o; }

static int same_callable(PyObject *a, PyObject *b) { return none_to_null(a) == b; }

PyDoc_STRVAR(register_doc,
             "register_codec(name, id, encoder, decoder, decode_range, validate, params_type)\n"
             "--\n\nRegister a user codec (use tensogram.register_codec).");

static PyObject *py_register_codec(PyObject *self, PyObject *args) {
    (void)self;
    const char *name;
    PyObject *id_obj, *enc, *dec, *rng, *val, *ptype;
    if (!PyArg_ParseTuple(args, "sOOOOOO:register_codec", &name, &id_obj, &enc, &dec, &rng, &val,
                          &ptype)) {
        return NULL;
    }
    int overflow = 0;
    long long id = PyLong_AsLongLongAndOverflow(id_obj, &overflow);
    if (id == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (overflow != 0 || id < 0 || id > (long long)UINT32_MAX) {
        return PyErr_Format(PyExc_ValueError,
                            "InvalidArgument: codec \"%s\": id %R is outside the user range %d..%d",
                            name, id_obj, TGM_CODEC_ID_USER_MIN, TGM_CODEC_ID_USER_MAX);
    }
    if (!PyCallable_Check(enc) || !PyCallable_Check(dec) ||
        (rng != Py_None && !PyCallable_Check(rng)) || (val != Py_None && !PyCallable_Check(val)) ||
        !PyCallable_Check(ptype)) {
        PyErr_SetString(PyExc_TypeError, "register_codec: the callbacks must be callable");
        return NULL;
    }
    /* The same registration again changes nothing, as in C (where it is
     * recognised by the same callbacks and user pointer). */
    tgm_codec_info info;
    for (const pycodec *c = live; c != NULL; c = c->next) {
        if (c->registered && c->id == (uint32_t)id && strcmp(c->name, name) == 0 &&
            c->encoder == enc && c->decoder == dec && same_callable(rng, c->decode_range) &&
            same_callable(val, c->validate) && c->params_type == ptype &&
            tgm_codec_lookup(name, &info) && info.id == (uint32_t)id) {
            Py_RETURN_NONE;
        }
    }
    pycodec *c = PyMem_RawCalloc(1, sizeof *c);
    if (c == NULL) {
        return PyErr_NoMemory();
    }
    /* A name too long for the buffer is refused by the library below, from
     * the caller's string; the copy only serves the identity check. */
    snprintf(c->name, sizeof c->name, "%s", name);
    c->id = (uint32_t)id;
    c->encoder = Py_NewRef(enc);
    c->decoder = Py_NewRef(dec);
    c->decode_range = rng != Py_None ? Py_NewRef(rng) : NULL;
    c->validate = val != Py_None ? Py_NewRef(val) : NULL;
    c->params_type = Py_NewRef(ptype);

    tgm_codec_def def = TGM_CODEC_DEF_INIT;
    def.name = name;
    def.id = (uint32_t)id;
    def.user = c;
    def.encode = codec_encode;
    def.decode = codec_decode;
    def.decode_range = c->decode_range != NULL ? codec_decode_range : NULL;
    def.validate = c->validate != NULL ? codec_validate : NULL;
    def.release = codec_release;
    /* The registry never calls back into Python while it holds its lock, so
     * registering with the GIL held cannot deadlock; keeping it makes the
     * registration and the `live` list change one step. */
    tgm_error e = tgm_register_codec(&def);
    if (e != TGM_ERROR_OK) {
        codec_free(c); /* a refused definition is never released by the library */
        return tgmpy_raise(e);
    }
    c->registered = 1;
    c->next = live;
    live = c;
    Py_RETURN_NONE;
}

static PyObject *py_unregister_codec(PyObject *self, PyObject *args) {
    (void)self;
    const char *name;
    if (!PyArg_ParseTuple(args, "s:unregister_codec", &name)) {
        return NULL;
    }
    /* `release` may run in here and needs the GIL. */
    tgm_error e;
    TGMPY_NOGIL(e = tgm_unregister_codec(name));
    if (e != TGM_ERROR_OK) {
        return tgmpy_raise(e);
    }
    /* One name has one registration: whatever of ours still carries the
     * name (release pending behind running callbacks) is no longer it. */
    for (pycodec *c = live; c != NULL; c = c->next) {
        if (strcmp(c->name, name) == 0) {
            c->registered = 0;
        }
    }
    Py_RETURN_NONE;
}

static PyObject *py_list_codecs(PyObject *self, PyObject *noargs) {
    (void)self;
    (void)noargs;
    tgm_codec_info *infos = NULL;
    size_t n = 0, cap = 0;
    /* A snapshot: retry while codecs come faster than the buffer grows. */
    for (;;) {
        n = tgm_codec_list(infos, cap);
        if (n <= cap) {
            break;
        }
        PyMem_Free(infos);
        cap = n + 4;
        infos = PyMem_Calloc(cap, sizeof *infos);
        if (infos == NULL) {
            return PyErr_NoMemory();
        }
    }
    PyObject *list = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; list != NULL && i < n; i++) {
        PyObject *t = Py_BuildValue("(sk)", infos[i].name, (unsigned long)infos[i].id);
        if (t == NULL) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, t);
    }
    PyMem_Free(infos);
    return list;
}

static PyMethodDef codec_methods[] = {
    {"register_codec", py_register_codec, METH_VARARGS, register_doc},
    {"unregister_codec", py_unregister_codec, METH_VARARGS,
     "unregister_codec(name): remove a user codec"},
    {"list_codecs", py_list_codecs, METH_NOARGS,
     "list_codecs() -> [(name, id), ...], ordered by id"},
    {NULL, NULL, 0, NULL},
};

int tgmpy_codec_init(PyObject *module) {
    if (PyType_Ready(&LentType) < 0) {
        return -1;
    }
    str_release = PyUnicode_InternFromString("release");
    if (str_release == NULL) {
        return -1;
    }
    for (int i = 0; i < A_COUNT; i++) {
        attr_name[i] = PyUnicode_InternFromString(attr_text[i]);
        if (attr_name[i] == NULL) {
            return -1;
        }
    }
    PyObject *json = PyImport_ImportModule("json");
    if (json == NULL) {
        return -1;
    }
    json_loads = PyObject_GetAttrString(json, "loads");
    Py_DECREF(json);
    if (json_loads == NULL) {
        return -1;
    }
    return PyModule_AddFunctions(module, codec_methods);
}
