/* tensogram._tensogram: the asynchronous API (tgm_async_*) for asyncio.
 *
 *  - Notifier: a tgm_async_notifier_t.  Its fileno() is watched by the
 *    event loop (loop.add_reader); drain() returns the tags of the tasks
 *    that finished.  One per event loop, for any number of tasks.
 *  - Task: a tgm_async_task_t and how to turn its result into Python
 *    objects.  result() joins a finished task (no waiting) and converts;
 *    cancel() cancels the C task (its work stops).
 *  - AsyncFile: a tgm_async_file_t; each method launches a task.
 *
 * No Python thread waits for a task: the library's workers (and, for
 * remote files, its network thread) do the work and the notifier's
 * descriptor wakes the event loop.  The Python layer is _async.py. */
#include <string.h>

#include "tgmpy.h"

/* ---- Notifier ------------------------------------------------------------------------ */

typedef struct {
    PyObject_HEAD tgm_async_notifier_t *n;
} NotifierObject;

static PyObject *Notifier_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    if (!PyArg_ParseTuple(args, "") || (kw != NULL && PyDict_Size(kw) > 0)) {
        PyErr_SetString(PyExc_TypeError, "Notifier() takes no arguments");
        return NULL;
    }
    tgm_async_notifier_t *n = NULL;
    tgm_error e = tgm_async_notifier_create(&n);
    if (e != TGM_ERROR_OK) {
        return tgmpy_raise(e);
    }
    NotifierObject *self = (NotifierObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        tgm_async_notifier_free(n);
        return NULL;
    }
    self->n = n;
    return (PyObject *)self;
}

static void Notifier_dealloc(NotifierObject *self) {
    tgm_async_notifier_free(self->n);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *Notifier_fileno(NotifierObject *self, PyObject *unused) {
    (void)unused;
    return PyLong_FromLong(tgm_async_notifier_fd(self->n));
}

/* drain(max=256): the tags of finished tasks, oldest first. */
static PyObject *Notifier_drain(NotifierObject *self, PyObject *args) {
    Py_ssize_t max = 256;
    if (!PyArg_ParseTuple(args, "|n", &max)) {
        return NULL;
    }
    if (max < 1 || max > 65536) {
        PyErr_SetString(PyExc_ValueError, "max must be in 1 .. 65536");
        return NULL;
    }
    uint64_t *tags = PyMem_Malloc((size_t)max * sizeof *tags);
    if (tags == NULL) {
        return PyErr_NoMemory();
    }
    size_t k = tgm_async_notifier_drain(self->n, tags, (size_t)max);
    PyObject *out = PyList_New((Py_ssize_t)k);
    for (size_t i = 0; out != NULL && i < k; i++) {
        PyObject *t = PyLong_FromUnsignedLongLong(tags[i]);
        if (t == NULL) {
            Py_CLEAR(out);
            break;
        }
        PyList_SET_ITEM(out, (Py_ssize_t)i, t);
    }
    PyMem_Free(tags);
    return out;
}

static PyMethodDef Notifier_methods[] = {
    {"fileno", (PyCFunction)Notifier_fileno, METH_NOARGS,
     "Descriptor readable while finished tasks' tags are queued."},
    {"drain", (PyCFunction)Notifier_drain, METH_VARARGS,
     "drain(max=256): tags of finished tasks (clears readiness when empty)."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject NotifierType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "tensogram._tensogram.Notifier",
    .tp_basicsize = sizeof(NotifierObject),
    .tp_dealloc = (destructor)Notifier_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Notifier(): completion queue of async tasks with a pollable descriptor.",
    .tp_methods = Notifier_methods,
    .tp_new = Notifier_new,
};

/* ---- Task ------------------------------------------------------------------------------ */

/* How a finished task's result becomes Python objects. */
typedef enum {
    R_FILE,        /* AsyncFile */
    R_SIZE,        /* int */
    R_BYTES,       /* bytes */
    R_MESSAGE,     /* tgmpy_message_result */
    R_OBJECT,      /* tgmpy_object_result */
    R_METADATA,    /* tgmpy_metadata_tuple */
    R_DESCRIPTORS, /* tgmpy_descriptors_result */
    R_RANGE,       /* tgmpy_range_result with the task's dtype */
    R_VOID,        /* None */
    R_OBJECTS      /* list of tgmpy_object_result, `count` of them */
} result_kind;

typedef struct {
    PyObject_HEAD tgm_async_task_t *t;
    result_kind kind;
    char dtype[32]; /* R_RANGE */
    size_t count;   /* R_OBJECTS */
    PyObject *path; /* R_FILE: str for the AsyncFile */
} TaskObject;

static PyTypeObject TaskType;
static PyTypeObject AsyncFileType;

typedef struct {
    PyObject_HEAD tgm_async_file_t *f;
    PyObject *path;
} AsyncFileObject;

/* A Task for a launching call's outcome (raises when the launch failed). */
static PyObject *new_task(tgm_error launch, tgm_async_task_t *t, result_kind kind) {
    if (launch != TGM_ERROR_OK) {
        return tgmpy_raise(launch);
    }
    TaskObject *self = PyObject_New(TaskObject, &TaskType);
    if (self == NULL) {
        tgm_async_task_cancel(t);
        tgm_async_task_free(t);
        return NULL;
    }
    self->t = t;
    self->kind = kind;
    self->dtype[0] = '\0';
    self->count = 0;
    self->path = NULL;
    return (PyObject *)self;
}

static void Task_dealloc(TaskObject *self) {
    /* Nobody can take the result any more: stop the work. */
    tgm_async_task_cancel(self->t);
    tgm_async_task_free(self->t);
    Py_XDECREF(self->path);
    PyObject_Free(self);
}

static PyObject *Task_set_notifier(TaskObject *self, PyObject *args) {
    PyObject *n;
    unsigned long long tag;
    if (!PyArg_ParseTuple(args, "O!K", &NotifierType, &n, &tag)) {
        return NULL;
    }
    tgm_error e = tgm_async_task_set_notifier(self->t, ((NotifierObject *)n)->n, tag);
    if (e != TGM_ERROR_OK) {
        return tgmpy_raise(e);
    }
    Py_RETURN_NONE;
}

static PyObject *Task_cancel(TaskObject *self, PyObject *unused) {
    (void)unused;
    tgm_async_task_cancel(self->t);
    Py_RETURN_NONE;
}

static PyObject *Task_done(TaskObject *self, PyObject *unused) {
    (void)unused;
    return PyBool_FromLong(tgm_async_task_is_ready(self->t));
}

static PyObject *file_object(tgm_async_file_t *f, PyObject *path) {
    AsyncFileObject *o = PyObject_New(AsyncFileObject, &AsyncFileType);
    if (o == NULL) {
        tgm_async_file_close(f);
        return NULL;
    }
    o->f = f;
    o->path = Py_NewRef(path);
    return (PyObject *)o;
}

/* result(): join (the task is normally finished: no waiting) and convert;
 * the task's error is raised as the matching exception. */
static PyObject *Task_result(TaskObject *self, PyObject *unused) {
    (void)unused;
    tgm_error e;
    switch (self->kind) {
    case R_FILE: {
        tgm_async_file_t *f = NULL;
        TGMPY_NOGIL(e = tgm_async_task_join_async_file(self->t, &f));
        return e != TGM_ERROR_OK ? tgmpy_raise(e) : file_object(f, self->path);
    }
    case R_SIZE: {
        uint64_t n = 0;
        TGMPY_NOGIL(e = tgm_async_task_join_size(self->t, &n));
        return e != TGM_ERROR_OK ? tgmpy_raise(e) : PyLong_FromUnsignedLongLong(n);
    }
    case R_BYTES: {
        tgm_bytes_t b = {NULL, 0};
        TGMPY_NOGIL(e = tgm_async_task_join_bytes(self->t, &b));
        if (e != TGM_ERROR_OK) {
            return tgmpy_raise(e);
        }
        PyObject *r = PyBytes_FromStringAndSize((const char *)b.data, (Py_ssize_t)b.len);
        tgm_bytes_free(b);
        return r;
    }
    case R_METADATA: {
        tgm_metadata_t *md = NULL;
        TGMPY_NOGIL(e = tgm_async_task_join_metadata(self->t, &md));
        if (e != TGM_ERROR_OK) {
            return tgmpy_raise(e);
        }
        PyObject *r = tgmpy_metadata_tuple(md);
        tgm_metadata_free(md);
        return r;
    }
    case R_MESSAGE:
    case R_OBJECT:
    case R_DESCRIPTORS: {
        tgm_message_t *m = NULL;
        TGMPY_NOGIL(e = tgm_async_task_join_message(self->t, &m));
        if (e != TGM_ERROR_OK) {
            return tgmpy_raise(e);
        }
        return self->kind == R_MESSAGE  ? tgmpy_message_result(m)
               : self->kind == R_OBJECT ? tgmpy_object_result(m)
                                        : tgmpy_descriptors_result(m);
    }
    case R_RANGE: {
        tgm_bytes_t *parts = NULL;
        size_t n = 0;
        TGMPY_NOGIL(e = tgm_async_task_join_multi_bytes(self->t, &parts, &n));
        if (e != TGM_ERROR_OK) {
            return tgmpy_raise(e);
        }
        /* tgmpy_range_result takes the buffers; the array that held them
         * goes back to the library alone (count 0: not the buffers). */
        PyObject *r = tgmpy_range_result(self->dtype, parts, n);
        tgm_multi_bytes_free(parts, 0);
        return r;
    }
    case R_VOID:
        TGMPY_NOGIL(e = tgm_async_task_join_void(self->t));
        return e != TGM_ERROR_OK ? tgmpy_raise(e) : Py_NewRef(Py_None);
    case R_OBJECTS: {
        size_t n = self->count;
        tgm_message_t **v = PyMem_Calloc(n + 1, sizeof *v);
        if (v == NULL) {
            return PyErr_NoMemory();
        }
        TGMPY_NOGIL(e = tgm_async_task_join_message_array(self->t, v, n));
        if (e != TGM_ERROR_OK) {
            PyMem_Free(v);
            return tgmpy_raise(e);
        }
        PyObject *list = PyList_New((Py_ssize_t)n);
        for (size_t k = 0; k < n; k++) {
            PyObject *r = list != NULL ? tgmpy_object_result(v[k]) : NULL;
            if (r == NULL) {
                if (list == NULL) {
                    tgm_message_free(v[k]);
                }
                for (size_t q = k + 1; q < n; q++) {
                    tgm_message_free(v[q]);
                }
                Py_XDECREF(list);
                PyMem_Free(v);
                return NULL;
            }
            PyList_SET_ITEM(list, (Py_ssize_t)k, r);
        }
        PyMem_Free(v);
        return list;
    }
    }
    PyErr_SetString(PyExc_SystemError, "unknown task kind");
    return NULL;
}

static PyMethodDef Task_methods[] = {
    {"set_notifier", (PyCFunction)Task_set_notifier, METH_VARARGS,
     "set_notifier(notifier, tag): queue `tag` on the notifier when the task finishes."},
    {"cancel", (PyCFunction)Task_cancel, METH_NOARGS, "Cancel the task (its work stops)."},
    {"done", (PyCFunction)Task_done, METH_NOARGS, "True once the task has finished."},
    {"result", (PyCFunction)Task_result, METH_NOARGS,
     "The result (waits if unfinished); raises the task's error."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject TaskType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "tensogram._tensogram.Task",
    .tp_basicsize = sizeof(TaskObject),
    .tp_dealloc = (destructor)Task_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "One asynchronous operation of the library.",
    .tp_methods = Task_methods,
};

/* ---- AsyncFile ----------------------------------------------------------------------------- */

static void AsyncFile_dealloc(AsyncFileObject *self) {
    tgm_async_file_close(self->f); /* tasks in flight keep the file open */
    Py_XDECREF(self->path);
    PyObject_Free(self);
}

static int size_arg(PyObject *o, void *out) {
    Py_ssize_t v = PyNumber_AsSsize_t(o, PyExc_OverflowError);
    if (v == -1 && PyErr_Occurred()) {
        return 0;
    }
    if (v < 0) {
        PyErr_SetString(PyExc_OverflowError, "index must be non-negative");
        return 0;
    }
    *(size_t *)out = (size_t)v;
    return 1;
}

static int threads_arg(PyObject *o, void *out) {
    unsigned long long v = PyLong_AsUnsignedLongLong(o);
    if ((v == (unsigned long long)-1 && PyErr_Occurred()) || v > UINT32_MAX) {
        PyErr_Clear();
        PyErr_SetString(PyExc_ValueError, "threads must be an integer in 0 .. 4294967295");
        return 0;
    }
    *(uint32_t *)out = (uint32_t)v;
    return 1;
}

static PyObject *AsyncFile_count(AsyncFileObject *self, PyObject *unused) {
    (void)unused;
    tgm_async_task_t *t = NULL;
    tgm_error e = tgm_async_file_message_count(self->f, NULL, 0, &t);
    return new_task(e, t, R_SIZE);
}

static PyObject *AsyncFile_read_message(AsyncFileObject *self, PyObject *args) {
    size_t i;
    if (!PyArg_ParseTuple(args, "O&", size_arg, &i)) {
        return NULL;
    }
    tgm_async_task_t *t = NULL;
    tgm_error e = tgm_async_file_read_message(self->f, i, NULL, 0, &t);
    return new_task(e, t, R_BYTES);
}

static PyObject *AsyncFile_decode_message(AsyncFileObject *self, PyObject *args) {
    size_t i;
    int native = 1, restore = 1, verify = 0;
    uint32_t threads = 0;
    if (!PyArg_ParseTuple(args, "O&pO&pp", size_arg, &i, &native, threads_arg, &threads, &restore,
                          &verify)) {
        return NULL;
    }
    tgm_async_task_t *t = NULL;
    tgm_error e =
        tgm_async_file_decode_message(self->f, i, native, threads, restore, verify, NULL, 0, &t);
    return new_task(e, t, R_MESSAGE);
}

static PyObject *AsyncFile_decode_metadata(AsyncFileObject *self, PyObject *args) {
    size_t i;
    if (!PyArg_ParseTuple(args, "O&", size_arg, &i)) {
        return NULL;
    }
    tgm_async_task_t *t = NULL;
    tgm_error e = tgm_async_file_decode_metadata(self->f, i, NULL, 0, &t);
    return new_task(e, t, R_METADATA);
}

static PyObject *AsyncFile_decode_descriptors(AsyncFileObject *self, PyObject *args) {
    size_t i;
    if (!PyArg_ParseTuple(args, "O&", size_arg, &i)) {
        return NULL;
    }
    tgm_async_task_t *t = NULL;
    tgm_error e = tgm_async_file_decode_descriptors(self->f, i, NULL, 0, &t);
    return new_task(e, t, R_DESCRIPTORS);
}

static PyObject *AsyncFile_decode_object(AsyncFileObject *self, PyObject *args) {
    size_t m, o;
    int native = 1, verify = 0;
    uint32_t threads = 0;
    if (!PyArg_ParseTuple(args, "O&O&pO&p", size_arg, &m, size_arg, &o, &native, threads_arg,
                          &threads, &verify)) {
        return NULL;
    }
    tgm_async_task_t *t = NULL;
    tgm_error e =
        tgm_async_file_decode_object(self->f, m, o, native, threads, true, verify, NULL, 0, &t);
    return new_task(e, t, R_OBJECT);
}

/* decode_range(msg, obj, ranges, native, threads, dtype): one array per
 * range, of `dtype` (the object's, from its descriptor). */
static PyObject *AsyncFile_decode_range(AsyncFileObject *self, PyObject *args) {
    size_t m, o;
    PyObject *ranges;
    int native = 1;
    uint32_t threads = 0;
    const char *dtype;
    if (!PyArg_ParseTuple(args, "O&O&OpO&s", size_arg, &m, size_arg, &o, &ranges, &native,
                          threads_arg, &threads, &dtype)) {
        return NULL;
    }
    if (strlen(dtype) >= 32) {
        PyErr_SetString(PyExc_ValueError, "dtype name too long");
        return NULL;
    }
    uint64_t *off, *cnt;
    size_t n;
    if (tgmpy_ranges(ranges, &off, &cnt, &n) < 0) {
        return NULL;
    }
    tgm_async_task_t *t = NULL;
    tgm_error e =
        tgm_async_file_decode_range(self->f, m, o, off, cnt, n, native, threads, NULL, 0, &t);
    PyMem_Free(off);
    PyMem_Free(cnt);
    TaskObject *task = (TaskObject *)new_task(e, t, R_RANGE);
    if (task != NULL) {
        strcpy(task->dtype, dtype);
    }
    return (PyObject *)task;
}

static PyObject *AsyncFile_prefetch(AsyncFileObject *self, PyObject *args) {
    PyObject *seq;
    if (!PyArg_ParseTuple(args, "O", &seq)) {
        return NULL;
    }
    PyObject *fast = PySequence_Fast(seq, "msg_indices must be a sequence of integers");
    if (fast == NULL) {
        return NULL;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    size_t *idx = PyMem_Malloc((size_t)(n > 0 ? n : 1) * sizeof *idx);
    if (idx == NULL) {
        Py_DECREF(fast);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!size_arg(PySequence_Fast_GET_ITEM(fast, i), &idx[i])) {
            PyMem_Free(idx);
            Py_DECREF(fast);
            return NULL;
        }
    }
    Py_DECREF(fast);
    tgm_async_task_t *t = NULL;
    tgm_error e = tgm_async_file_prefetch_layouts(self->f, idx, (size_t)n, NULL, 0, &t);
    PyMem_Free(idx);
    return new_task(e, t, R_VOID);
}

/* decode_object_batch(msg_indices, obj_index, native, threads, verify): one
 * task for the whole batch (its reads planned together). */
static PyObject *AsyncFile_decode_object_batch(AsyncFileObject *self, PyObject *args) {
    PyObject *seq;
    size_t o;
    int native = 1, verify = 0;
    uint32_t threads = 0;
    if (!PyArg_ParseTuple(args, "OO&pO&p", &seq, size_arg, &o, &native, threads_arg, &threads,
                          &verify)) {
        return NULL;
    }
    PyObject *fast = PySequence_Fast(seq, "msg_indices must be a sequence of integers");
    if (fast == NULL) {
        return NULL;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    size_t *idx = PyMem_Malloc((size_t)(n > 0 ? n : 1) * sizeof *idx);
    if (idx == NULL) {
        Py_DECREF(fast);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!size_arg(PySequence_Fast_GET_ITEM(fast, i), &idx[i])) {
            PyMem_Free(idx);
            Py_DECREF(fast);
            return NULL;
        }
    }
    Py_DECREF(fast);
    tgm_async_task_t *t = NULL;
    tgm_error e = tgm_async_file_decode_object_batch(self->f, idx, (size_t)n, o, native, threads,
                                                     verify, NULL, 0, &t);
    PyMem_Free(idx);
    TaskObject *task = (TaskObject *)new_task(e, t, R_OBJECTS);
    if (task != NULL) {
        task->count = (size_t)n;
    }
    return (PyObject *)task;
}

static PyObject *AsyncFile_path(AsyncFileObject *self, void *unused) {
    (void)unused;
    return Py_NewRef(self->path);
}

static PyMethodDef AsyncFile_methods[] = {
    {"count", (PyCFunction)AsyncFile_count, METH_NOARGS, "Task: number of messages."},
    {"read_message", (PyCFunction)AsyncFile_read_message, METH_VARARGS, "Task: raw bytes."},
    {"decode_message", (PyCFunction)AsyncFile_decode_message, METH_VARARGS,
     "decode_message(index, native_byte_order, threads, restore_non_finite, verify_hash)"},
    {"decode_metadata", (PyCFunction)AsyncFile_decode_metadata, METH_VARARGS, "Task: metadata."},
    {"decode_descriptors", (PyCFunction)AsyncFile_decode_descriptors, METH_VARARGS,
     "Task: metadata and descriptors."},
    {"decode_object", (PyCFunction)AsyncFile_decode_object, METH_VARARGS,
     "decode_object(msg_index, obj_index, native_byte_order, threads, verify_hash)"},
    {"decode_range", (PyCFunction)AsyncFile_decode_range, METH_VARARGS,
     "decode_range(msg_index, obj_index, ranges, native_byte_order, threads, dtype)"},
    {"decode_object_batch", (PyCFunction)AsyncFile_decode_object_batch, METH_VARARGS,
     "decode_object_batch(msg_indices, obj_index, native_byte_order, threads, verify_hash)"},
    {"prefetch", (PyCFunction)AsyncFile_prefetch, METH_VARARGS,
     "prefetch(msg_indices): Task locating those messages."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef AsyncFile_getset[] = {
    {"path", (getter)AsyncFile_path, NULL, "Path or URL the file was opened with.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject AsyncFileType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "tensogram._tensogram.AsyncFile",
    .tp_basicsize = sizeof(AsyncFileObject),
    .tp_dealloc = (destructor)AsyncFile_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A file read by asynchronous tasks (from async_open / async_open_remote).",
    .tp_methods = AsyncFile_methods,
    .tp_getset = AsyncFile_getset,
};

/* ---- module functions ----------------------------------------------------------------------- */

/* async_open(path) -> Task resolving to an AsyncFile. */
static PyObject *py_async_open(PyObject *mod, PyObject *args) {
    (void)mod;
    PyObject *path_obj, *path_bytes;
    if (!PyArg_ParseTuple(args, "O", &path_obj) || !PyUnicode_FSConverter(path_obj, &path_bytes)) {
        return NULL;
    }
    PyObject *path = PyOS_FSPath(path_obj);
    if (path == NULL) {
        Py_DECREF(path_bytes);
        return NULL;
    }
    tgm_async_task_t *t = NULL;
    tgm_error e = tgm_async_file_open(PyBytes_AS_STRING(path_bytes), NULL, 0, &t);
    Py_DECREF(path_bytes);
    TaskObject *task = (TaskObject *)new_task(e, t, R_FILE);
    if (task == NULL) {
        Py_DECREF(path);
        return NULL;
    }
    task->path = path;
    return (PyObject *)task;
}

/* async_open_remote(url, keys, values, bidirectional) -> Task (AsyncFile). */
static PyObject *py_async_open_remote(PyObject *mod, PyObject *args) {
    (void)mod;
    PyObject *url, *keys, *values;
    int bidir = 1;
    if (!PyArg_ParseTuple(args, "UO!O!p", &url, &PyList_Type, &keys, &PyList_Type, &values,
                          &bidir)) {
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(keys);
    if (PyList_GET_SIZE(values) != n) {
        PyErr_SetString(PyExc_ValueError, "keys and values differ in length");
        return NULL;
    }
    const char **k = PyMem_Calloc((size_t)(n > 0 ? n : 1), sizeof *k);
    const char **v = PyMem_Calloc((size_t)(n > 0 ? n : 1), sizeof *v);
    PyObject *result = NULL;
    if (k == NULL || v == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        k[i] = PyUnicode_AsUTF8(PyList_GET_ITEM(keys, i));
        v[i] = PyUnicode_AsUTF8(PyList_GET_ITEM(values, i));
        if (k[i] == NULL || v[i] == NULL) {
            goto done;
        }
    }
    const char *u = PyUnicode_AsUTF8(url);
    if (u == NULL) {
        goto done;
    }
    tgm_async_task_t *t = NULL;
    tgm_error e = tgm_async_file_open_remote(u, k, v, (size_t)n, bidir, NULL, 0, &t);
    TaskObject *task = (TaskObject *)new_task(e, t, R_FILE);
    if (task != NULL) {
        task->path = Py_NewRef(url);
    }
    result = (PyObject *)task;
done:
    PyMem_Free(k);
    PyMem_Free(v);
    return result;
}

static PyObject *py_async_pending(PyObject *mod, PyObject *unused) {
    (void)mod;
    (void)unused;
    return PyLong_FromUnsignedLongLong(tgm_async_pending_tasks());
}

static PyMethodDef async_functions[] = {
    {"async_open", py_async_open, METH_VARARGS, "async_open(path) -> Task (AsyncFile)."},
    {"async_open_remote", py_async_open_remote, METH_VARARGS,
     "async_open_remote(url, keys, values, bidirectional) -> Task (AsyncFile)."},
    {"async_pending_tasks", py_async_pending, METH_NOARGS,
     "Tasks of the library not yet finished (process-wide)."},
    {NULL, NULL, 0, NULL},
};

int tgmpy_async_init(PyObject *module) {
    if (PyType_Ready(&NotifierType) < 0 || PyType_Ready(&TaskType) < 0 ||
        PyType_Ready(&AsyncFileType) < 0) {
        return -1;
    }
    if (PyModule_AddObjectRef(module, "Notifier", (PyObject *)&NotifierType) < 0 ||
        PyModule_AddObjectRef(module, "Task", (PyObject *)&TaskType) < 0 ||
        PyModule_AddObjectRef(module, "AsyncFile", (PyObject *)&AsyncFileType) < 0) {
        return -1;
    }
    return PyModule_AddFunctions(module, async_functions);
}
