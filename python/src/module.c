/* tensogram._tensogram: module-level functions over the public C API.
 *
 * The functions take and return plain Python objects (JSON text for
 * metadata and descriptors going in, value trees (descriptors too)
 * coming out); the `tensogram` package wraps them into the documented API.
 * Every call into the library that can take time runs with the GIL
 * released. */
#define TGMPY_IMPORT_ARRAY
#include "tgmpy.h"

#include "pycodec.h"

#include <string.h>
#include <sys/mman.h>
#include <time.h>

/* "O&" converter: a thread count in 0 .. 2^32-1. */
static int threads_conv(PyObject *o, void *out) {
    unsigned long long v = PyLong_AsUnsignedLongLong(o);
    if (v == (unsigned long long)-1 && PyErr_Occurred()) {
        PyErr_Clear();
        PyErr_SetString(PyExc_ValueError, "threads must be an integer in 0 .. 4294967295");
        return 0;
    }
    if (v > UINT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "threads must be an integer in 0 .. 4294967295");
        return 0;
    }
    *(uint32_t *)out = (uint32_t)v;
    return 1;
}

/* "O&" converter: a non-negative index. */
static int index_conv(PyObject *o, void *out) {
    PyObject *i = PyNumber_Index(o);
    if (i == NULL) {
        return 0;
    }
    Py_ssize_t v = PyLong_AsSsize_t(i);
    Py_DECREF(i);
    if (v == -1 && PyErr_Occurred()) {
        return 0;
    }
    if (v < 0) {
        PyErr_SetString(PyExc_OverflowError, "can't convert negative int to unsigned");
        return 0;
    }
    *(size_t *)out = (size_t)v;
    return 1;
}

/* bytes from a library buffer, copied with the GIL released. */
static PyObject *bytes_from(tgm_bytes_t b) {
    PyObject *r = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)b.len);
    if (r != NULL && b.len > 0) {
        char *dst = PyBytes_AS_STRING(r);
        TGMPY_NOGIL(memcpy(dst, b.data, b.len));
    }
    tgm_bytes_free(b);
    return r;
}

/* ---- encode ------------------------------------------------------------------ */

/* Encode straight into a bytes object, without copying the message.
 *
 * With `exact` (every object stored as is: no encoding, filter or
 * compression; or pre-encoded payloads, which are only checked) a size
 * query costs next to nothing, so the bytes object is allocated at the
 * message's exact size; a same-sized encode then reuses the same memory,
 * as a C caller's would.  Otherwise the object gets a capacity the message
 * cannot exceed in practice and is shrunk to the message afterwards (the
 * codec work dwarfs that).  Returns NULL without an exception when the
 * capacity proved too small: the caller then takes the copying path. */
/* Large messages are written once, right after their bytes object is
 * allocated: on transparent huge pages (where THP is "madvise", Debian's
 * default) the write runs ~15% faster than on 4 KiB pages, as the
 * library's own large buffers do.  TENSOGRAM_HUGEPAGES=0 turns this off,
 * as it does in the library. */
static void want_huge_pages(uint8_t *p, size_t n) {
    static int off = -1;
    if (off < 0) {
        const char *e = getenv("TENSOGRAM_HUGEPAGES");
        off = e != NULL && strcmp(e, "0") == 0;
    }
    const uintptr_t huge = (uintptr_t)2 << 20;
    uintptr_t lo = ((uintptr_t)p + huge - 1) & ~(huge - 1);
    uintptr_t hi = ((uintptr_t)p + n) & ~(huge - 1);
    if (!off && hi > lo) {
        (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE); /* advice: failure is harmless */
    }
}

PyObject *tgmpy_encode_direct(const char *meta_json, const tgmpy_buffers *b,
                              const tgm_encode_options *opts, int exact) {
    size_t cap = 0;
    tgm_error e;
    if (exact) {
        TGMPY_NOGIL(
            e = tgm_encode_ex_into(meta_json, b->ptrs, b->lens, (size_t)b->n, opts, NULL, 0, &cap));
        if (e == TGM_ERROR_OK) { /* an empty message is never empty: not reached */
            return NULL;
        }
        if (e != TGM_ERROR_INVALID_ARG || cap == 0) {
            return tgmpy_raise(e);
        }
    } else {
        const TgmEncodeMaskOptions *mo = opts->mask_options;
        int masks = mo != NULL && (mo->allow_nan || mo->allow_inf);
        size_t mlen = strlen(meta_json);
        cap = 65536;
        if (mlen > ((size_t)PY_SSIZE_T_MAX - cap) / 4) {
            return NULL;
        }
        cap += 4 * mlen;
        for (Py_ssize_t i = 0; i < b->n; i++) {
            /* payload, codec expansion (1/64), frames, and up to three
             * bitmasks when non-finite values may be masked */
            size_t n = b->lens[i];
            size_t extra = n / 64 + 4096 + (masks ? n / 2 : 0);
            if (n > (size_t)PY_SSIZE_T_MAX - cap || extra > (size_t)PY_SSIZE_T_MAX - cap - n) {
                return NULL;
            }
            cap += n + extra;
        }
    }
    if (cap > (size_t)PY_SSIZE_T_MAX) {
        return NULL;
    }
    PyObject *r = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)cap);
    if (r == NULL) {
        return NULL;
    }
    uint8_t *dst = (uint8_t *)PyBytes_AS_STRING(r);
    if (cap >= ((size_t)4 << 20)) {
        want_huge_pages(dst, cap);
    }
    size_t len = 0;
    TGMPY_NOGIL(
        e = tgm_encode_ex_into(meta_json, b->ptrs, b->lens, (size_t)b->n, opts, dst, cap, &len));
    if (e != TGM_ERROR_OK) {
        Py_DECREF(r);
        if (e == TGM_ERROR_INVALID_ARG && len > cap) {
            return NULL;
        }
        return tgmpy_raise(e);
    }
    if (len == cap) {
        return r;
    }
    /* Shrinking a large block (realloc) makes glibc return it to the
     * system when freed, and set its mmap threshold below the next
     * capacity: every encode would then write into fresh pages, whose
     * faults cost more than the copy (+35% on a 16 MiB zstd encode).  When
     * the message fills most of the capacity, the object keeps its block
     * and only its length changes (the bytes past it are never seen). */
    if (len >= cap - cap / 8 && cap >= ((size_t)1 << 20)) {
        Py_SET_SIZE(r, (Py_ssize_t)len);
        PyBytes_AS_STRING(r)[len] = '\0';
        return r;
    }
    if (_PyBytes_Resize(&r, (Py_ssize_t)len) < 0) {
        return NULL;
    }
    return r;
}

PyDoc_STRVAR(encode_doc,
             "encode(metadata_json, datas, hash, threads, mask_options, pre_encoded, exact=False,"
             " aggregate_hash=None, once=False)\n--\n\nEncode one message; returns bytes.  "
             "once: run the library once (user codecs, whose callbacks must not run twice).");

static PyObject *py_encode(PyObject *self, PyObject *args) {
    (void)self;
    const char *meta_json;
    PyObject *datas, *hash_obj, *mask_obj, *agg_obj = Py_None;
    uint32_t threads = 0;
    int pre = 0, exact = 0, once = 0;
    if (!PyArg_ParseTuple(args, "sOOO&Op|pOp", &meta_json, &datas, &hash_obj, threads_conv,
                          &threads, &mask_obj, &pre, &exact, &agg_obj, &once)) {
        return NULL;
    }
    tgm_encode_options opts = TGM_ENCODE_OPTIONS_INIT;
    TgmEncodeMaskOptions mo;
    int have_mask;
    if (tgmpy_encode_options(hash_obj, threads, mask_obj, agg_obj, &mo, &have_mask, &opts) < 0) {
        return NULL;
    }
    opts.input = pre ? TGM_INPUT_PRE_ENCODED : TGM_INPUT_RAW;
    tgmpy_buffers b;
    if (tgmpy_buffers_get(datas, &b) < 0) {
        return NULL;
    }
    /* Pre-encoded payloads are written as given: the size is known as
     * soon as they are checked.  The direct path may run the library twice
     * (size query, or a retry with the copying path), which would run user
     * codec callbacks twice: `once` goes straight to the copying path. */
    if (!once) {
        PyObject *r = tgmpy_encode_direct(meta_json, &b, &opts, exact || pre);
        if (r != NULL || PyErr_Occurred()) {
            tgmpy_buffers_release(&b);
            return r;
        }
    }
    tgm_bytes_t out = {NULL, 0};
    tgm_error e;
    TGMPY_NOGIL(e = tgm_encode_ex(meta_json, b.ptrs, b.lens, (size_t)b.n, &opts, &out));
    tgmpy_buffers_release(&b);
    if (e != TGM_ERROR_OK) {
        return tgmpy_raise(e);
    }
    return bytes_from(out);
}

/* ---- decode ------------------------------------------------------------------ */

static PyObject *py_decode(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer buf;
    int native = 1, restore = 1, verify = 0;
    uint32_t threads = 0;
    if (!PyArg_ParseTuple(args, "y*pO&pp", &buf, &native, threads_conv, &threads, &restore,
                          &verify)) {
        return NULL;
    }
    tgm_message_t *msg = NULL;
    TgmDecodeMaskOptions mo = {restore != 0};
    tgm_error e;
    TGMPY_NOGIL(
        e = tgm_decode_with_options(buf.buf, (size_t)buf.len, native, threads, verify, &mo, &msg));
    PyBuffer_Release(&buf);
    if (e != TGM_ERROR_OK) {
        return tgmpy_raise(e);
    }
    return tgmpy_message_result(msg);
}

/* decode_with_masks(buf, native, threads) ->
 * ((base, extra, reserved), [(desc dict, array), ...], [masks, ...]) where
 * masks[i] maps "nan" / "inf+" / "inf-" to a flat bool array for the kinds
 * object i stores.  One decode: the library returns the masks with the
 * values. */
static PyObject *py_decode_with_masks(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer buf;
    int native = 1;
    uint32_t threads = 0;
    if (!PyArg_ParseTuple(args, "y*pO&", &buf, &native, threads_conv, &threads)) {
        return NULL;
    }
    tgm_message_t *msg = NULL;
    tgm_error e;
    TGMPY_NOGIL(e = tgm_decode_with_masks(buf.buf, (size_t)buf.len, native, threads, 0, &msg));
    PyBuffer_Release(&buf);
    if (e != TGM_ERROR_OK) {
        return tgmpy_raise(e);
    }
    /* The masks are read before the message handle moves into the result
     * (it may be freed once no array views it). */
    PyObject *masks = tgmpy_message_masks(msg);
    if (masks == NULL) {
        tgm_message_free(msg);
        return NULL;
    }
    PyObject *res = tgmpy_message_result(msg);
    if (res == NULL) {
        Py_DECREF(masks);
        return NULL;
    }
    PyObject *out =
        Py_BuildValue("(OON)", PyTuple_GET_ITEM(res, 0), PyTuple_GET_ITEM(res, 1), masks);
    Py_DECREF(res);
    return out;
}

static PyObject *py_decode_metadata(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer buf;
    if (!PyArg_ParseTuple(args, "y*", &buf)) {
        return NULL;
    }
    tgm_metadata_t *md = NULL;
    tgm_error e;
    TGMPY_NOGIL(e = tgm_decode_metadata(buf.buf, (size_t)buf.len, &md));
    PyBuffer_Release(&buf);
    if (e != TGM_ERROR_OK) {
        return tgmpy_raise(e);
    }
    PyObject *t = tgmpy_metadata_tuple(md);
    tgm_metadata_free(md);
    return t;
}

static PyObject *py_decode_descriptors(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer buf;
    if (!PyArg_ParseTuple(args, "y*", &buf)) {
        return NULL;
    }
    tgm_message_t *msg = NULL;
    tgm_error e;
    TGMPY_NOGIL(e = tgm_decode_descriptors(buf.buf, (size_t)buf.len, &msg));
    PyBuffer_Release(&buf);
    if (e != TGM_ERROR_OK) {
        return tgmpy_raise(e);
    }
    return tgmpy_descriptors_result(msg);
}

static PyObject *py_decode_object(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer buf;
    size_t index;
    int native = 1, verify = 0, restore = 1;
    uint32_t threads = 0;
    if (!PyArg_ParseTuple(args, "y*O&pO&p|p", &buf, index_conv, &index, &native, threads_conv,
                          &threads, &verify, &restore)) {
        return NULL;
    }
    tgm_message_t *msg = NULL;
    TgmDecodeMaskOptions mo = {restore != 0};
    tgm_error e;
    TGMPY_NOGIL(e = tgm_decode_object_with_options(buf.buf, (size_t)buf.len, index, native, threads,
                                                   verify, &mo, &msg));
    PyBuffer_Release(&buf);
    if (e != TGM_ERROR_OK) {
        return tgmpy_raise(e);
    }
    return tgmpy_object_result(msg);
}

PyObject *tgmpy_do_range(tgmpy_range_fn fn, tgmpy_descs_fn dfn, void *ctx, size_t obj_index,
                         PyObject *ranges, int join, int native, uint32_t threads) {
    uint64_t *off, *cnt;
    size_t n;
    if (tgmpy_ranges(ranges, &off, &cnt, &n) < 0) {
        return NULL;
    }
    size_t cap = n > 0 ? n : 1;
    tgm_bytes_t *parts = PyMem_Calloc(cap, sizeof *parts);
    if (parts == NULL) {
        PyMem_Free(off);
        PyMem_Free(cnt);
        return PyErr_NoMemory();
    }
    size_t got = 0;
    tgm_message_t *descs = NULL;
    tgm_error e;
    Py_BEGIN_ALLOW_THREADS e = fn(ctx, off, cnt, n, native, threads, join, parts, &got);
    if (e == TGM_ERROR_OK) {
        e = dfn(ctx, &descs);
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
    /* With join and no ranges the library hands back nothing; an empty
     * joined array is still the answer. */
    if (join && got == 0) {
        parts[0].data = NULL;
        parts[0].len = 0;
        got = 1;
    }
    const char *dtype = tgm_object_dtype(descs, obj_index);
    char name[32] = "uint8";
    if (dtype != NULL && strlen(dtype) < sizeof name) {
        strcpy(name, dtype);
    }
    tgm_message_free(descs);
    PyObject *r = tgmpy_range_result(name, parts, got);
    PyMem_Free(parts);
    return r;
}

typedef struct {
    const uint8_t *buf;
    size_t len;
    size_t obj;
    TgmDecodeMaskOptions mask;
} buf_ctx;

static tgm_error buf_range(void *ctx, const uint64_t *off, const uint64_t *cnt, size_t n,
                           int32_t native, uint32_t threads, int32_t join, tgm_bytes_t *out,
                           size_t *out_count) {
    buf_ctx *c = ctx;
    return tgm_decode_range_with_options(c->buf, c->len, c->obj, off, cnt, n, native, threads, join,
                                         &c->mask, out, out_count);
}

static tgm_error buf_descs(void *ctx, tgm_message_t **out) {
    buf_ctx *c = ctx;
    return tgm_decode_descriptors(c->buf, c->len, out);
}

static PyObject *py_decode_range(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer buf;
    size_t index;
    PyObject *ranges;
    int join = 0, native = 1, restore = 1;
    uint32_t threads = 0;
    if (!PyArg_ParseTuple(args, "y*O&OppO&|p", &buf, index_conv, &index, &ranges, &join, &native,
                          threads_conv, &threads, &restore)) {
        return NULL;
    }
    buf_ctx c = {buf.buf, (size_t)buf.len, index, {restore != 0}};
    PyObject *r = tgmpy_do_range(buf_range, buf_descs, &c, index, ranges, join, native, threads);
    PyBuffer_Release(&buf);
    return r;
}

/* ---- scan, hash, packing ---------------------------------------------------------------- */

static PyObject *py_scan(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer buf;
    if (!PyArg_ParseTuple(args, "y*", &buf)) {
        return NULL;
    }
    tgm_scan_result_t *res = NULL;
    tgm_error e;
    TGMPY_NOGIL(e = tgm_scan(buf.buf, (size_t)buf.len, &res));
    PyBuffer_Release(&buf);
    if (e != TGM_ERROR_OK) {
        return tgmpy_raise(e);
    }
    size_t n = tgm_scan_count(res);
    PyObject *list = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; list != NULL && i < n; i++) {
        tgm_scan_entry_t en = tgm_scan_entry(res, i);
        PyObject *t = Py_BuildValue("(nn)", (Py_ssize_t)en.offset, (Py_ssize_t)en.length);
        if (t == NULL) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, t);
    }
    tgm_scan_free(res);
    return list;
}

static PyObject *py_compute_hash(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer buf;
    PyObject *algo_obj;
    if (!PyArg_ParseTuple(args, "y*O", &buf, &algo_obj)) {
        return NULL;
    }
    const char *algo;
    if (tgmpy_opt_str(algo_obj, &algo, "algo") < 0) {
        PyBuffer_Release(&buf);
        return NULL;
    }
    tgm_bytes_t out = {NULL, 0};
    tgm_error e;
    TGMPY_NOGIL(e = tgm_compute_hash(buf.buf, (size_t)buf.len, algo, &out));
    PyBuffer_Release(&buf);
    if (e != TGM_ERROR_OK) {
        return tgmpy_raise(e);
    }
    PyObject *r = PyUnicode_FromStringAndSize((const char *)out.data, (Py_ssize_t)out.len);
    tgm_bytes_free(out);
    return r;
}

static PyObject *py_packing_params(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer buf;
    unsigned int bits;
    int dsf;
    if (!PyArg_ParseTuple(args, "y*Ii", &buf, &bits, &dsf)) {
        return NULL;
    }
    if (buf.len % (Py_ssize_t)sizeof(double) != 0) {
        PyBuffer_Release(&buf);
        PyErr_SetString(PyExc_ValueError, "values must be a float64 buffer");
        return NULL;
    }
    double ref = 0.0;
    int32_t bsf = 0;
    tgm_error e;
    /* The buffer of a float64 array is aligned for double. */
    const double *vals = buf.buf;
    TGMPY_NOGIL(e = tgm_simple_packing_compute_params(vals, (size_t)buf.len / sizeof(double), bits,
                                                      dsf, &ref, &bsf));
    PyBuffer_Release(&buf);
    if (e != TGM_ERROR_OK) {
        return tgmpy_raise(e);
    }
    return Py_BuildValue("(di)", ref, (int)bsf);
}

/* ---- validation and diagnostics ---------------------------------------------------------- */

static PyObject *json_text(tgm_bytes_t out) {
    PyObject *r = PyUnicode_DecodeUTF8((const char *)out.data, (Py_ssize_t)out.len, "replace");
    tgm_bytes_free(out);
    return r;
}

/* validate(buf, level, check_canonical[, max_decoded]): max_decoded is a
 * byte count, 0 for no limit, or -1 for the automatic limit. */
static int limit_conv(PyObject *o, void *out) {
    long long v = PyLong_AsLongLong(o);
    if (v == -1 && PyErr_Occurred()) {
        return 0;
    }
    if (v < -1) {
        PyErr_SetString(PyExc_ValueError, "decode_limit must be positive");
        return 0;
    }
    *(uint64_t *)out = v == -1 ? TGM_VALIDATE_LIMIT_AUTO : (uint64_t)v;
    return 1;
}

static PyObject *py_validate(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer buf;
    tgm_validate_options o = TGM_VALIDATE_OPTIONS_INIT;
    int canonical = 0;
    if (!PyArg_ParseTuple(args, "y*sp|O&", &buf, &o.level, &canonical, limit_conv,
                          &o.max_decoded_bytes)) {
        return NULL;
    }
    o.check_canonical = canonical;
    tgm_bytes_t out = {NULL, 0};
    tgm_error e;
    TGMPY_NOGIL(e = tgm_validate_ex(buf.buf, (size_t)buf.len, &o, &out));
    PyBuffer_Release(&buf);
    if (e != TGM_ERROR_OK) {
        return tgmpy_raise(e);
    }
    return json_text(out);
}

static PyObject *py_validate_file(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *path_obj;
    tgm_validate_options o = TGM_VALIDATE_OPTIONS_INIT;
    int canonical = 0;
    if (!PyArg_ParseTuple(args, "O&sp|O&", PyUnicode_FSConverter, &path_obj, &o.level, &canonical,
                          limit_conv, &o.max_decoded_bytes)) {
        return NULL;
    }
    o.check_canonical = canonical;
    const char *path = PyBytes_AS_STRING(path_obj);
    tgm_bytes_t out = {NULL, 0};
    tgm_error e;
    TGMPY_NOGIL(e = tgm_validate_file_ex(path, &o, &out));
    Py_DECREF(path_obj);
    if (e != TGM_ERROR_OK) {
        return tgmpy_raise(e);
    }
    return json_text(out);
}

static PyObject *py_doctor(PyObject *self, PyObject *args) {
    (void)self;
    (void)args;
    tgm_bytes_t out = {NULL, 0};
    tgm_error e;
    TGMPY_NOGIL(e = tgm_doctor_to_json(&out));
    if (e != TGM_ERROR_OK) {
        return tgmpy_raise(e);
    }
    return json_text(out);
}

/* ---- benchmark support ------------------------------------------------------------------- */

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* c_call_seconds(op, arg, data, iterations[, mean]): best time of one bare
 * C call, for the overhead benchmarks (python/bench/bench_overhead.py,
 * bench_small.py); with mean, the process CPU time of the whole loop over
 * `iterations` instead (as the small-message benchmark times Python).
 * op "encode": tgm_encode_with_options(arg = metadata JSON, [data]) + free;
 * op "encode_new": the same with a new text every call (arg behind 0 to 63
 * spaces in turn: more texts than tgm_encode keeps compiled);
 * op "encoder": tgm_encoder_encode(data) + free, from an encoder made from
 * arg with hash xxh3 before the loop; op "encoder_set": the same after
 * tgm_encoder_set_i64(object 0, "i", iteration);
 * op "decode": tgm_decode(data) + tgm_message_free. */
static PyObject *py_c_call_seconds(PyObject *self, PyObject *args) {
    (void)self;
    const char *op, *meta_json;
    Py_buffer buf;
    int iterations, mean = 0;
    if (!PyArg_ParseTuple(args, "ssy*i|p", &op, &meta_json, &buf, &iterations, &mean)) {
        return NULL;
    }
    int fresh = strcmp(op, "encode_new") == 0;
    int encode = fresh || strcmp(op, "encode") == 0, set = strcmp(op, "encoder_set") == 0;
    int encoder = set || strcmp(op, "encoder") == 0;
    if (!encode && !encoder && strcmp(op, "decode") != 0) {
        PyBuffer_Release(&buf);
        return PyErr_Format(PyExc_ValueError, "unknown op %s", op);
    }
    const uint8_t *ptr = buf.buf;
    size_t len = (size_t)buf.len;
    double best = 1e300;
    tgm_error e = TGM_ERROR_OK;
    tgm_encoder_t *enc = NULL;
    if (encoder) {
        tgm_encode_options o = TGM_ENCODE_OPTIONS_INIT;
        o.hash_algo = "xxh3";
        e = tgm_encoder_create(meta_json, &o, &enc);
    }
    enum { NFRESH = 64 };
    size_t mlen = strlen(meta_json);
    char *texts = fresh ? PyMem_RawMalloc(NFRESH + mlen + 1) : NULL;
    if (fresh && texts == NULL) {
        PyBuffer_Release(&buf);
        return PyErr_NoMemory();
    }
    if (fresh) {
        memset(texts, ' ', NFRESH);
        memcpy(texts + NFRESH, meta_json, mlen + 1);
    }
    double start = cpu_seconds();
    Py_BEGIN_ALLOW_THREADS for (int i = 0; i < iterations && e == TGM_ERROR_OK; i++) {
        double t0 = now_seconds();
        if (encoder) {
            tgm_bytes_t out = {NULL, 0};
            if (set) {
                e = tgm_encoder_set_i64(enc, 0, "i", i);
            }
            if (e == TGM_ERROR_OK) {
                e = tgm_encoder_encode(enc, &ptr, &len, 1, &out);
            }
            tgm_bytes_free(out);
        } else if (encode) {
            tgm_bytes_t out = {NULL, 0};
            const char *m = fresh ? texts + NFRESH - i % NFRESH : meta_json;
            e = tgm_encode_with_options(m, &ptr, &len, 1, "xxh3", 0, NULL, &out);
            tgm_bytes_free(out);
        } else {
            tgm_message_t *m = NULL;
            e = tgm_decode(ptr, len, 1, 0, 0, &m);
            tgm_message_free(m);
        }
        double t = now_seconds() - t0;
        best = t < best ? t : best;
    }
    Py_END_ALLOW_THREADS PyBuffer_Release(&buf);
    PyMem_RawFree(texts);
    tgm_encoder_free(enc);
    if (e != TGM_ERROR_OK) {
        return tgmpy_raise(e);
    }
    if (mean && iterations > 0) {
        best = (cpu_seconds() - start) / iterations;
    }
    return PyFloat_FromDouble(best);
}

/* The decoded-size cap (tgm_set_max_object_bytes). */
static PyObject *py_set_max_object_bytes(PyObject *self, PyObject *args) {
    (void)self;
    unsigned long long n;
    if (!PyArg_ParseTuple(args, "K", &n)) {
        return NULL;
    }
    tgm_set_max_object_bytes((uint64_t)n);
    Py_RETURN_NONE;
}

static PyObject *py_max_object_bytes(PyObject *self, PyObject *noargs) {
    (void)self;
    (void)noargs;
    return PyLong_FromUnsignedLongLong((unsigned long long)tgm_max_object_bytes());
}

/* ---- module ------------------------------------------------------------------------------- */

static PyObject *py_is_remote_url(PyObject *self, PyObject *arg) {
    (void)self;
    if (!PyUnicode_Check(arg)) {
        Py_RETURN_FALSE;
    }
    const char *s = PyUnicode_AsUTF8(arg);
    if (s == NULL) {
        return NULL;
    }
    return PyBool_FromLong(tgm_is_remote_url(s));
}

static PyMethodDef methods[] = {
    {"encode", py_encode, METH_VARARGS, encode_doc},
    {"decode", py_decode, METH_VARARGS,
     "decode(buf, native_byte_order, threads, restore_non_finite, verify_hash)"},
    {"decode_metadata", py_decode_metadata, METH_VARARGS, "decode_metadata(buf)"},
    {"decode_descriptors", py_decode_descriptors, METH_VARARGS, "decode_descriptors(buf)"},
    {"decode_with_masks", py_decode_with_masks, METH_VARARGS,
     "decode_with_masks(buf, native_byte_order, threads)"},
    {"decode_object", py_decode_object, METH_VARARGS,
     "decode_object(buf, index, native_byte_order, threads, verify_hash, "
     "restore_non_finite=True)"},
    {"decode_range", py_decode_range, METH_VARARGS,
     "decode_range(buf, object_index, ranges, join, native_byte_order, threads, "
     "restore_non_finite=True)"},
    {"scan", py_scan, METH_VARARGS, "scan(buf) -> [(offset, length), ...]"},
    {"compute_hash", py_compute_hash, METH_VARARGS, "compute_hash(data, algo)"},
    {"packing_params", py_packing_params, METH_VARARGS,
     "packing_params(float64_buffer, bits_per_value, decimal_scale_factor)"},
    {"validate", py_validate, METH_VARARGS,
     "validate(buf, level, check_canonical[, max_decoded]) -> JSON"},
    {"validate_file", py_validate_file, METH_VARARGS,
     "validate_file(path, level, check_canonical[, max_decoded]) -> JSON"},
    {"doctor", py_doctor, METH_NOARGS, "doctor() -> JSON"},
    {"is_remote_url", py_is_remote_url, METH_O, "is_remote_url(source) -> bool"},
    {"set_max_object_bytes", py_set_max_object_bytes, METH_VARARGS,
     "set_max_object_bytes(n): cap on the bytes one decoding call may produce (0 = none)"},
    {"max_object_bytes", py_max_object_bytes, METH_NOARGS,
     "max_object_bytes() -> the decoded-size cap in bytes (0 = none)"},
    {"c_call_seconds", py_c_call_seconds, METH_VARARGS,
     "c_call_seconds(op, metadata_json, data, iterations): best time of a bare C call"},
    {NULL, NULL, 0, NULL},
};

/* The module goes (interpreter shutdown): free encode_fast's kept encoders. */
static void module_free(void *module) {
    (void)module;
    tgmpy_encache_clear();
}

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT,
    "tensogram._tensogram",
    "C extension of the tensogram package (use the tensogram module instead).",
    -1,
    methods,
    NULL,
    NULL,
    NULL,
    module_free,
};

/* A tuple of the names a library list function gives, index 0 up to its
 * NULL (MASK_METHODS, COMPRESSIONS): the library's lists are the only ones. */
static int add_name_list(PyObject *m, const char *attr, const char *(*name_at)(size_t)) {
    PyObject *list = PyList_New(0);
    if (list == NULL) {
        return -1;
    }
    for (size_t i = 0; name_at(i) != NULL; i++) {
        PyObject *s = PyUnicode_FromString(name_at(i));
        if (s == NULL || PyList_Append(list, s) < 0) {
            Py_XDECREF(s);
            Py_DECREF(list);
            return -1;
        }
        Py_DECREF(s);
    }
    PyObject *tuple = PyList_AsTuple(list);
    Py_DECREF(list);
    if (tuple == NULL || PyModule_AddObject(m, attr, tuple) < 0) {
        Py_XDECREF(tuple);
        return -1;
    }
    return 0;
}

PyMODINIT_FUNC PyInit__tensogram(void);

PyMODINIT_FUNC PyInit__tensogram(void) {
    import_array();
    PyObject *m = PyModule_Create(&moduledef);
    if (m == NULL) {
        return NULL;
    }
    if (tgmpy_errors_init(m) < 0 || tgmpy_file_init(m) < 0 || tgmpy_stream_init(m) < 0 ||
        tgmpy_async_init(m) < 0 || tgmpy_codec_init(m) < 0 || tgmpy_fast_init(m) < 0 ||
        tgmpy_converters_init(m) < 0 ||
        PyModule_AddIntConstant(m, "WIRE_VERSION", TGM_WIRE_VERSION) < 0 ||
        PyModule_AddStringConstant(m, "LIBRARY_VERSION", tgm_version_string()) < 0 ||
        add_name_list(m, "MASK_METHODS", tgm_mask_method_name) < 0 ||
        add_name_list(m, "COMPRESSIONS", tgm_compression_name) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
