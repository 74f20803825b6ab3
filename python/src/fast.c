/* Fast paths of tensogram.encode and tensogram.decode for the common case.
 *
 * A small message (an ML sample: one small tensor and a few metadata
 * entries) costs the library a few microseconds; checking the caller's
 * dicts in Python, writing them as JSON text and wrapping the results in
 * Python objects cost several times that.  The functions here do the same
 * work in C for the inputs that need no Python-level treatment:
 *
 * encode_fast takes the arguments of tensogram.encode.  It handles plain
 * values (exact dict, list, tuple, str, int, float, bool, None), exact
 * NumPy arrays (C-contiguous, native or no byte order) and bytes, default
 * mask options and aggregate placement, and the built-in compressions;
 * for anything else (NumPy scalars in metadata, Mapping subclasses, arrays
 * needing a copy or a byte swap, descriptor keys that warn, user codecs,
 * any input the Python checks would refuse, any library error) it returns
 * None and the caller takes the Python path, which then gives the result
 * or raises the exception it always did.  So the fast path changes no
 * result and no exception: it only decides earlier.
 *
 * decode_fast returns the tensogram.Message itself.  The metadata and the
 * descriptors of small messages are built on first access (the decoded
 * message stays alive through the arrays anyway); large messages get them
 * at once, so that keeping only the metadata does not keep the values. */
#include <math.h>
#include <string.h>

#include "tgmpy.h"

/* ---- a growable text buffer ------------------------------------------------------------ */

typedef struct {
    char *p;
    size_t len, cap;
    char local[1024];
} jbuf;

static void jb_init(jbuf *b) {
    b->p = b->local;
    b->len = 0;
    b->cap = sizeof b->local;
}

static void jb_free(jbuf *b) {
    if (b->p != b->local) {
        PyMem_Free(b->p);
    }
}

/* Room for n more bytes (the slow path of jb_put). */
static int jb_grow(jbuf *b, size_t n) {
    size_t cap = b->cap;
    while (cap - b->len < n) {
        if (cap > ((size_t)PY_SSIZE_T_MAX) / 2) {
            return -1;
        }
        cap *= 2;
    }
    char *p;
    if (b->p == b->local) {
        p = PyMem_Malloc(cap);
        if (p != NULL) {
            memcpy(p, b->local, b->len);
        }
    } else {
        p = PyMem_Realloc(b->p, cap);
    }
    if (p == NULL) {
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

static inline int jb_room(jbuf *b, size_t n) { return n <= b->cap - b->len ? 0 : jb_grow(b, n); }

static inline int jb_put(jbuf *b, const char *s, size_t n) {
    if (jb_room(b, n) < 0) {
        return -1;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    return 0;
}

#define JB_LIT(b, s) jb_put((b), (s), sizeof(s) - 1)

static inline int jb_ch(jbuf *b, char c) {
    if (jb_room(b, 1) < 0) {
        return -1;
    }
    b->p[b->len++] = c;
    return 0;
}

/* ---- Python values -> JSON text ------------------------------------------------------- */

/* Nesting the fast path takes; deeper values (a metadata section may nest
 * 126 levels) go the Python way, which checks the limit and names it. */
#define FAST_DEPTH 64

static int put_u64(jbuf *b, uint64_t v, int neg) {
    char tmp[24];
    int i = (int)sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    if (neg) {
        tmp[--i] = '-';
    }
    return jb_put(b, tmp + i, sizeof tmp - (size_t)i);
}

/* A JSON string of UTF-8 text s[0..n): quotes, backslashes and control
 * characters escaped, everything else as it is (Python's json with
 * ensure_ascii=False writes the same). */
static int put_str(jbuf *b, const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    if (jb_room(b, n + 2) < 0 || jb_ch(b, '"') < 0) {
        return -1;
    }
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            continue;
        }
        if (jb_put(b, s + start, i - start) < 0) {
            return -1;
        }
        start = i + 1;
        char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        if (c == '"' || c == '\\') {
            esc[1] = (char)c;
            if (jb_put(b, esc, 2) < 0) {
                return -1;
            }
        } else if (jb_put(b, esc, 6) < 0) {
            return -1;
        }
    }
    if (jb_put(b, s + start, n - start) < 0) {
        return -1;
    }
    return jb_ch(b, '"');
}

static int put_unicode(jbuf *b, PyObject *s) {
    Py_ssize_t n;
    const char *u = PyUnicode_AsUTF8AndSize(s, &n);
    if (u == NULL) { /* lone surrogates: the Python path raises */
        return -1;
    }
    return put_str(b, u, (size_t)n);
}

/* An exact int in -2^63 .. 2^64-1 (the range stored exactly). */
static int put_int(jbuf *b, PyObject *o) {
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (overflow == 0) {
        if (v == -1 && PyErr_Occurred()) {
            return -1;
        }
        return v < 0 ? put_u64(b, 0 - (uint64_t)v, 1) : put_u64(b, (uint64_t)v, 0);
    }
    if (overflow < 0) {
        return -1;
    }
    unsigned long long u = PyLong_AsUnsignedLongLong(o);
    if (u == (unsigned long long)-1 && PyErr_Occurred()) {
        return -1;
    }
    return put_u64(b, (uint64_t)u, 0);
}

static int put_float(jbuf *b, double d) {
    if (isnan(d)) {
        return JB_LIT(b, "NaN");
    }
    if (isinf(d)) {
        return d > 0 ? JB_LIT(b, "Infinity") : JB_LIT(b, "-Infinity");
    }
    /* float.__repr__, as Python's json writes floats. */
    char *r = PyOS_double_to_string(d, 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
    if (r == NULL) {
        return -1;
    }
    int rc = jb_put(b, r, strlen(r));
    PyMem_Free(r);
    return rc;
}

static int put_value(jbuf *b, PyObject *o, int depth);

static int put_items(jbuf *b, PyObject *const *items, Py_ssize_t n, int depth) {
    if (jb_ch(b, '[') < 0) {
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if ((i > 0 && jb_ch(b, ',') < 0) || put_value(b, items[i], depth + 1) < 0) {
            return -1;
        }
    }
    return jb_ch(b, ']');
}

/* Whether JSON text t[0..n) may hold a NaN or an infinity (which
 * tgm_json_parse refuses): the words, anywhere, strings included. */
static int maybe_nonfinite(const char *t, size_t n) {
    for (size_t i = 0; i + 3 <= n; i++) {
        if ((t[i] == 'N' && memcmp(t + i, "NaN", 3) == 0) ||
            (t[i] == 'I' && n - i >= 8 && memcmp(t + i, "Infinity", 8) == 0)) {
            return 1;
        }
    }
    return 0;
}

/* Note value v of top-level key k of a base entry or of _extra_ (object:
 * the entry's index or TGM_ENCODER_EXTRA), written at text[start..end),
 * when an encoder can take it with tgm_encoder_set_*: an int in int64, a
 * finite float or a str as itself; any other value (list, dict, bool,
 * None, a larger int) as its JSON text, unless that holds NaN or an
 * infinity.  Keys with a NUL are not noted. */
static void note_patch(tgmpy_patches *pp, const char *text, size_t object, PyObject *k, PyObject *v,
                       size_t start, size_t end) {
    if (pp->n == TGMPY_MAX_PATCHES) {
        return;
    }
    tgmpy_patch *p = &pp->p[pp->n];
    PyTypeObject *t = Py_TYPE(v);
    int overflow = 0;
    if (t == &PyLong_Type &&
        ((p->i = PyLong_AsLongLongAndOverflow(v, &overflow)) != -1 || !PyErr_Occurred()) &&
        overflow == 0) {
        p->kind = TGMPY_PATCH_INT;
    } else if (t == &PyFloat_Type && isfinite(PyFloat_AS_DOUBLE(v))) {
        p->f = PyFloat_AS_DOUBLE(v);
        p->kind = TGMPY_PATCH_FLOAT;
    } else if (t != &PyUnicode_Type && t != &PyFloat_Type) {
        PyErr_Clear();
        if (maybe_nonfinite(text + start, end - start)) {
            return;
        }
        p->kind = TGMPY_PATCH_JSON;
    } else if (t == &PyUnicode_Type) {
        Py_ssize_t n;
        p->s = PyUnicode_AsUTF8AndSize(v, &n); /* kept by the str */
        if (p->s == NULL) {
            PyErr_Clear();
            return;
        }
        p->slen = (size_t)n;
        p->kind = TGMPY_PATCH_STR;
    } else {
        return;
    }
    Py_ssize_t klen;
    p->key = PyUnicode_AsUTF8AndSize(k, &klen);
    if (p->key == NULL || strlen(p->key) != (size_t)klen) {
        PyErr_Clear();
        return;
    }
    p->object = object;
    p->start = start;
    p->end = end;
    pp->n++;
}

/* The members of an exact dict with exact str keys, without braces;
 * `first` says whether a comma is needed before the first one.  With pp,
 * the values are noted for patching as those of `object`. */
static int put_members(jbuf *b, PyObject *d, int depth, int *first, tgmpy_patches *pp,
                       size_t object) {
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    while (PyDict_Next(d, &pos, &k, &v)) {
        if (!PyUnicode_CheckExact(k)) {
            return -1;
        }
        if ((!*first && jb_ch(b, ',') < 0) || put_unicode(b, k) < 0 || jb_ch(b, ':') < 0) {
            return -1;
        }
        size_t start = b->len;
        if (put_value(b, v, depth + 1) < 0) {
            return -1;
        }
        if (pp != NULL) {
            note_patch(pp, b->p, object, k, v, start, b->len);
        }
        *first = 0;
    }
    return 0;
}

/* One metadata value, or -1 (possibly with an exception, which the
 * caller clears) when the Python path must handle it. */
static int put_value(jbuf *b, PyObject *o, int depth) {
    if (depth > FAST_DEPTH) {
        return -1;
    }
    PyTypeObject *t = Py_TYPE(o);
    if (t == &PyUnicode_Type) {
        return put_unicode(b, o);
    }
    if (t == &PyLong_Type) {
        return put_int(b, o);
    }
    if (t == &PyFloat_Type) {
        return put_float(b, PyFloat_AS_DOUBLE(o));
    }
    if (o == Py_True) {
        return JB_LIT(b, "true");
    }
    if (o == Py_False) {
        return JB_LIT(b, "false");
    }
    if (o == Py_None) {
        return JB_LIT(b, "null");
    }
    if (t == &PyList_Type) {
        /* A list may change under us only through code we call, and we
         * call none: the items are read directly. */
        return put_items(b, PySequence_Fast_ITEMS(o), PyList_GET_SIZE(o), depth);
    }
    if (t == &PyTuple_Type) {
        return put_items(b, PySequence_Fast_ITEMS(o), PyTuple_GET_SIZE(o), depth);
    }
    if (t == &PyDict_Type) {
        int first = 1;
        if (jb_ch(b, '{') < 0 || put_members(b, o, depth, &first, NULL, 0) < 0) {
            return -1;
        }
        return jb_ch(b, '}');
    }
    return -1; /* NumPy scalars, subclasses, Mappings, bytes, ...: Python path */
}

/* ---- descriptors ------------------------------------------------------------------------ */

/* Interned key strings and sets of names, made at module init. */
static PyObject *k_type, *k_shape, *k_strides, *k_dtype, *k_byte_order, *k_encoding, *k_filter,
    *k_compression, *k_base, *k_extra_, *k_extra, *k_reserved_;
static PyObject *dtype_set, *fixed_set, *metadata_like_set;

static const char *const DTYPE_NAMES[] = {
    "float16", "bfloat16", "float32", "float64", "complex64", "complex128", "int8",    "int16",
    "int32",   "int64",    "uint8",   "uint16",  "uint32",    "uint64",     "bitmask",
};

/* Keys the Python path warns about (application metadata in a descriptor). */
static const char *const METADATA_LIKE[] = {
    "name",      "param", "shortName", "long_name", "description", "units",
    "dim_names", "mars",  "cf",        "product",   "instrument",
};

/* Keys of the completed descriptor (the caller's values for them are
 * replaced or checked), and "hash", which is dropped. */
static const char *const FIXED_KEYS[] = {
    "type",       "ndim",     "shape",  "strides",     "dtype",
    "byte_order", "encoding", "filter", "compression", "hash",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* A set of interned names. */
static PyObject *name_set(const char *const *names, size_t n) {
    PyObject *set = PySet_New(NULL);
    for (size_t i = 0; set != NULL && i < n; i++) {
        PyObject *s = PyUnicode_InternFromString(names[i]);
        if (s == NULL || PySet_Add(set, s) < 0) {
            Py_CLEAR(set);
        }
        Py_XDECREF(s);
    }
    return set;
}

/* d[key] (key interned) without an exception: NULL when absent. */
static PyObject *item(PyObject *d, PyObject *key) {
    PyObject *v = PyDict_GetItemWithError(d, key);
    if (v == NULL) {
        PyErr_Clear();
    }
    return v;
}

/* Exact str value of `key` in d; NULL when absent (*absent = 1) or not an
 * exact str. */
static const char *str_item(PyObject *d, PyObject *key, Py_ssize_t *len, int *absent,
                            PyObject **obj) {
    PyObject *v = item(d, key);
    *absent = v == NULL;
    if (obj != NULL) {
        *obj = v;
    }
    if (v == NULL || !PyUnicode_CheckExact(v)) {
        return NULL;
    }
    return PyUnicode_AsUTF8AndSize(v, len);
}

/* A pipeline stage's name: the string at key, "none" when the key is
 * absent, NULL when it holds anything but an exact str. */
static const char *str_item_or_none(PyObject *d, PyObject *key, Py_ssize_t *len) {
    int absent;
    const char *v = str_item(d, key, len, &absent, NULL);
    if (absent) {
        *len = 4;
        return "none";
    }
    return v;
}

/* A list / tuple of exact ints in 0 .. 2^64-1 (bools are not ints here). */
static int u64_items(PyObject *seq, uint64_t *out, Py_ssize_t max, Py_ssize_t *n) {
    if (!PyList_CheckExact(seq) && !PyTuple_CheckExact(seq)) {
        return -1;
    }
    Py_ssize_t len = PySequence_Fast_GET_SIZE(seq);
    if (len > max) {
        return -1;
    }
    PyObject *const *items = PySequence_Fast_ITEMS(seq);
    for (Py_ssize_t i = 0; i < len; i++) {
        if (!PyLong_CheckExact(items[i])) {
            return -1;
        }
        unsigned long long v = PyLong_AsUnsignedLongLong(items[i]);
        if (v == (unsigned long long)-1 && PyErr_Occurred()) {
            return -1;
        }
        out[i] = (uint64_t)v;
    }
    *n = len;
    return 0;
}

static int put_u64_array(jbuf *b, const uint64_t *v, Py_ssize_t n) {
    if (jb_ch(b, '[') < 0) {
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if ((i > 0 && jb_ch(b, ',') < 0) || put_u64(b, v[i], 0) < 0) {
            return -1;
        }
    }
    return jb_ch(b, ']');
}

/* The most dimensions the fast path takes (NumPy's own limit is 32 or 64). */
#define FAST_MAX_DIMS 32

static int builtin_compression(const char *name, Py_ssize_t n) {
    if (n == 4 && memcmp(name, "none", 4) == 0) {
        return 1; /* the common case, without the walk below */
    }
    for (size_t i = 0; tgm_compression_name(i) != NULL; i++) {
        const char *c = tgm_compression_name(i);
        if (strlen(c) == (size_t)n && memcmp(c, name, (size_t)n) == 0) {
            return 1;
        }
    }
    return 0;
}

/* One completed descriptor as JSON (what descriptor_dict and
 * descriptor_json produce) for data whose own byte order is `hint`
 * ("little" / "big", or NULL for none).  *as_is: no encoding, filter or
 * compression.  -1: the Python path decides. */
static int put_descriptor(jbuf *b, PyObject *d, const char *hint, int *as_is) {
    if (!PyDict_CheckExact(d)) {
        return -1;
    }
    Py_ssize_t tlen, dlen, blen = 0, elen = 4, flen = 4, clen = 4;
    int absent;
    PyObject *dtype_obj;
    const char *type = str_item(d, k_type, &tlen, &absent, NULL);
    const char *dtype = type ? str_item(d, k_dtype, &dlen, &absent, &dtype_obj) : NULL;
    if (dtype == NULL || PySet_Contains(dtype_set, dtype_obj) != 1) {
        PyErr_Clear();
        return -1;
    }
    PyObject *shape_obj = item(d, k_shape);
    uint64_t shape[FAST_MAX_DIMS], strides[FAST_MAX_DIMS];
    Py_ssize_t ndim, nstrides;
    if (shape_obj == NULL || u64_items(shape_obj, shape, FAST_MAX_DIMS, &ndim) < 0) {
        return -1;
    }
    PyObject *strides_obj = item(d, k_strides);
    if (strides_obj != NULL) {
        if (u64_items(strides_obj, strides, FAST_MAX_DIMS, &nstrides) < 0) {
            return -1;
        }
    } else {
        nstrides = ndim;
        if (ndim > 0) {
            strides[ndim - 1] = 1;
        }
        for (Py_ssize_t i = ndim - 2; i >= 0; i--) {
            if (__builtin_mul_overflow(strides[i + 1], shape[i + 1], &strides[i])) {
                return -1; /* the Python path raises "strides overflow" */
            }
        }
    }
    const char *bo = str_item(d, k_byte_order, &blen, &absent, NULL);
    if (absent) {
        bo = hint != NULL ? hint : (PY_LITTLE_ENDIAN ? "little" : "big");
        blen = (Py_ssize_t)strlen(bo);
    } else if (bo == NULL || !((blen == 6 && memcmp(bo, "little", 6) == 0) ||
                               (blen == 3 && memcmp(bo, "big", 3) == 0))) {
        return -1;
    } else if (hint != NULL && strcmp(bo, hint) != 0) {
        return -1; /* the values need a byte swap: Python path */
    }
    const char *enc = str_item_or_none(d, k_encoding, &elen);
    if (enc == NULL) {
        return -1;
    }
    const char *filt = str_item_or_none(d, k_filter, &flen);
    if (filt == NULL) {
        return -1;
    }
    const char *comp = str_item_or_none(d, k_compression, &clen);
    if (comp == NULL || !builtin_compression(comp, clen)) {
        return -1; /* user codecs run once: Python path */
    }
    *as_is = elen == 4 && memcmp(enc, "none", 4) == 0 && flen == 4 &&
             memcmp(filt, "none", 4) == 0 && clen == 4 && memcmp(comp, "none", 4) == 0;

    if (JB_LIT(b, "{\"type\":") < 0 || put_str(b, type, (size_t)tlen) < 0 ||
        JB_LIT(b, ",\"ndim\":") < 0 || put_u64(b, (uint64_t)ndim, 0) < 0 ||
        JB_LIT(b, ",\"shape\":") < 0 || put_u64_array(b, shape, ndim) < 0 ||
        JB_LIT(b, ",\"strides\":") < 0 || put_u64_array(b, strides, nstrides) < 0 ||
        JB_LIT(b, ",\"dtype\":") < 0 || put_str(b, dtype, (size_t)dlen) < 0 ||
        JB_LIT(b, ",\"byte_order\":") < 0 || put_str(b, bo, (size_t)blen) < 0 ||
        JB_LIT(b, ",\"encoding\":") < 0 || put_str(b, enc, (size_t)elen) < 0 ||
        JB_LIT(b, ",\"filter\":") < 0 || put_str(b, filt, (size_t)flen) < 0 ||
        JB_LIT(b, ",\"compression\":") < 0 || put_str(b, comp, (size_t)clen) < 0) {
        return -1;
    }
    /* Parameters: every other key, in the caller's order. */
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    while (PyDict_Next(d, &pos, &k, &v)) {
        if (!PyUnicode_CheckExact(k)) {
            return -1;
        }
        int fixed = PySet_Contains(fixed_set, k);
        if (fixed == 1) {
            continue;
        }
        if (fixed < 0 || PySet_Contains(metadata_like_set, k) != 0) {
            return -1; /* the Python path warns */
        }
        if (jb_ch(b, ',') < 0 || put_unicode(b, k) < 0 || jb_ch(b, ':') < 0 ||
            put_value(b, v, 1) < 0) {
            return -1;
        }
    }
    return jb_ch(b, '}');
}

/* ---- metadata ------------------------------------------------------------------------------ */

/* The metadata document without its closing brace: what global_metadata
 * and metadata_json make of the caller's dict; the values of the base
 * entries' and _extra_'s own keys noted in pp. */
static int put_metadata(jbuf *b, PyObject *meta, tgmpy_patches *pp) {
    if (!PyDict_CheckExact(meta) || item(meta, k_reserved_) != NULL) {
        return -1;
    }
    if (jb_ch(b, '{') < 0) {
        return -1;
    }
    PyObject *base = item(meta, k_base);
    if (base != NULL) {
        if (!PyList_CheckExact(base)) {
            return -1;
        }
        Py_ssize_t n = PyList_GET_SIZE(base);
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *e = PyList_GET_ITEM(base, i);
            if (!PyDict_CheckExact(e) || item(e, k_reserved_) != NULL) {
                return -1;
            }
        }
        /* What put_value(b, base, 1) writes, with the entries' values noted. */
        if (JB_LIT(b, "\"base\":[") < 0) {
            return -1;
        }
        for (Py_ssize_t i = 0; i < n; i++) {
            int first = 1;
            if ((i > 0 && jb_ch(b, ',') < 0) || jb_ch(b, '{') < 0 ||
                put_members(b, PyList_GET_ITEM(base, i), 2, &first, pp, (size_t)i) < 0 ||
                jb_ch(b, '}') < 0) {
                return -1;
            }
        }
        if (JB_LIT(b, "],") < 0) {
            return -1;
        }
    }
    PyObject *extra = item(meta, k_extra_);
    if (extra == NULL) {
        extra = item(meta, k_extra);
    }
    if (extra != NULL && !PyDict_CheckExact(extra)) {
        return -1;
    }
    if (JB_LIT(b, "\"_extra_\":{") < 0) {
        return -1;
    }
    int first = 1;
    if (extra != NULL && put_members(b, extra, 1, &first, pp, TGM_ENCODER_EXTRA) < 0) {
        return -1;
    }
    /* Other top-level keys join _extra_; an explicit _extra_ entry wins. */
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    while (PyDict_Next(meta, &pos, &k, &v)) {
        if (!PyUnicode_CheckExact(k)) {
            return -1;
        }
        if (k == k_base || k == k_extra_ || k == k_extra ||
            PyUnicode_CompareWithASCIIString(k, "base") == 0 ||
            PyUnicode_CompareWithASCIIString(k, "_extra_") == 0 ||
            PyUnicode_CompareWithASCIIString(k, "extra") == 0) {
            continue;
        }
        if (extra != NULL) {
            int has = PyDict_Contains(extra, k);
            if (has != 0) {
                if (has < 0) {
                    return -1;
                }
                continue;
            }
        }
        if ((!first && jb_ch(b, ',') < 0) || put_unicode(b, k) < 0 || jb_ch(b, ':') < 0) {
            return -1;
        }
        size_t start = b->len;
        if (put_value(b, v, 2) < 0) {
            return -1;
        }
        note_patch(pp, b->p, TGM_ENCODER_EXTRA, k, v, start, b->len);
        first = 0;
    }
    return jb_ch(b, '}');
}

/* ---- payloads -------------------------------------------------------------------------------- */

/* The bytes of one object's data and their byte order ("little", "big"
 * or NULL for none), for exact NumPy arrays that need no copy, and bytes. */
static int payload(PyObject *data, const uint8_t **ptr, size_t *len, const char **hint) {
    if (PyBytes_CheckExact(data)) {
        *ptr = (const uint8_t *)PyBytes_AS_STRING(data);
        *len = (size_t)PyBytes_GET_SIZE(data);
        *hint = NULL;
        return 0;
    }
    if (!PyArray_CheckExact(data)) {
        return -1;
    }
    PyArrayObject *a = (PyArrayObject *)data;
    PyArray_Descr *d = PyArray_DESCR(a);
    if (!PyArray_IS_C_CONTIGUOUS(a) || PyDataType_HASFIELDS(d) || PyDataType_HASSUBARRAY(d) ||
        strchr("biufc", d->kind) == NULL || d->kind == '\0' || PyDataType_REFCHK(d)) {
        return -1;
    }
    if (d->byteorder == '>' || (d->byteorder == '<' && !PY_LITTLE_ENDIAN)) {
        return -1; /* stored by value: the Python path swaps */
    }
    *hint = (d->elsize == 1 || d->byteorder == '|') ? NULL : (PY_LITTLE_ENDIAN ? "little" : "big");
    *ptr = PyArray_DATA(a);
    *len = (size_t)PyArray_NBYTES(a);
    if (*ptr == NULL) {
        *ptr = (const uint8_t *)"";
    }
    return 0;
}

/* ---- encode_fast ----------------------------------------------------------------------------- */

/* Messages up to this size are written into a scratch buffer and copied
 * out: one library call, where sizing the bytes object exactly would take
 * two (a size query, then the encode), and a small message costs only a
 * few microseconds. */
#define SCRATCH_BYTES ((size_t)64 << 10)

#define FAST_MAX_OBJECTS 16

/* encode_fast(meta, pairs, hash, threads, allow_nan, allow_inf, nan_method,
 * pos_inf_method, neg_inf_method, small_mask_threshold_bytes,
 * aggregate_hash) -> bytes, or None when the Python path must run. */
static PyObject *py_encode_fast(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 11) {
        PyErr_SetString(PyExc_TypeError, "encode_fast takes 11 arguments");
        return NULL;
    }
    PyObject *meta = args[0], *pairs = args[1], *hash_obj = args[2], *threads_obj = args[3];
    for (int i = 4; i < 6; i++) {
        if (args[i] != Py_False) {
            Py_RETURN_NONE;
        }
    }
    for (int i = 6; i < 11; i++) {
        if (args[i] != Py_None) {
            Py_RETURN_NONE;
        }
    }
    if ((hash_obj != Py_None && !PyUnicode_CheckExact(hash_obj)) ||
        !PyLong_CheckExact(threads_obj) ||
        (!PyList_CheckExact(pairs) && !PyTuple_CheckExact(pairs))) {
        Py_RETURN_NONE;
    }
    unsigned long long threads = PyLong_AsUnsignedLongLong(threads_obj);
    if ((threads == (unsigned long long)-1 && PyErr_Occurred()) || threads > UINT32_MAX) {
        PyErr_Clear();
        Py_RETURN_NONE;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(pairs);
    if (n > FAST_MAX_OBJECTS) {
        Py_RETURN_NONE;
    }
    PyObject *const *items = PySequence_Fast_ITEMS(pairs);
    const uint8_t *ptrs[FAST_MAX_OBJECTS];
    size_t lens[FAST_MAX_OBJECTS];
    PyObject *held[FAST_MAX_OBJECTS];
    Py_ssize_t nheld = 0;
    PyObject *result = Py_None;
    size_t total = 0;
    int exact = 1;
    jbuf b;
    jb_init(&b);
    uint8_t *scratch_free = NULL;
    tgmpy_patches patches;
    patches.n = 0;
    if (put_metadata(&b, meta, &patches) < 0 || JB_LIT(&b, ",\"descriptors\":[") < 0) {
        goto fallback;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = items[i];
        if ((!PyTuple_CheckExact(item) && !PyList_CheckExact(item)) ||
            PySequence_Fast_GET_SIZE(item) != 2) {
            goto fallback;
        }
        PyObject *desc = PySequence_Fast_ITEMS(item)[0];
        PyObject *data = PySequence_Fast_ITEMS(item)[1];
        const char *hint;
        int as_is;
        if (payload(data, &ptrs[i], &lens[i], &hint) < 0 || (i > 0 && jb_ch(&b, ',') < 0) ||
            put_descriptor(&b, desc, hint, &as_is) < 0) {
            goto fallback;
        }
        exact &= as_is;
        total += lens[i];
        /* The data stay alive while the GIL is released, whatever the
         * caller's containers do meanwhile. */
        held[nheld++] = Py_NewRef(data);
    }
    if (JB_LIT(&b, "]}") < 0 || jb_ch(&b, '\0') < 0) {
        goto fallback;
    }

    tgm_encode_options opts = TGM_ENCODE_OPTIONS_INIT;
    TgmEncodeMaskOptions mo;
    memset(&mo, 0, sizeof mo);
    mo.small_mask_threshold_bytes = -1;
    opts.hash_algo = hash_obj == Py_None ? NULL : PyUnicode_AsUTF8(hash_obj);
    if (hash_obj != Py_None && opts.hash_algo == NULL) {
        goto fallback;
    }
    opts.threads = (uint32_t)threads;
    opts.mask_options = &mo; /* what the Python path passes: NaN / Inf refused */
    opts.input = TGM_INPUT_RAW;

    if (total + b.len < SCRATCH_BYTES / 2) {
        result =
            tgmpy_encache_encode(b.p, b.len - 1, &patches, &opts, ptrs, lens, (size_t)n, total);
        if (result != NULL) {
            goto done;
        }
        result = Py_None;
        uint8_t *scratch = PyMem_RawMalloc(SCRATCH_BYTES);
        if (scratch == NULL) {
            goto fallback;
        }
        size_t len = 0;
        tgm_error e;
        TGMPY_NOGIL(e = tgm_encode_ex_into(b.p, ptrs, lens, (size_t)n, &opts, scratch,
                                           SCRATCH_BYTES, &len));
        scratch_free = scratch;
        if (e == TGM_ERROR_OK) {
            result = PyBytes_FromStringAndSize((const char *)scratch, (Py_ssize_t)len);
            if (result == NULL) {
                goto fallback;
            }
            goto done;
        }
        if (e != TGM_ERROR_INVALID_ARG || len <= SCRATCH_BYTES) {
            goto fallback; /* the Python path raises the library's error */
        }
    }
    tgmpy_buffers bufs = {n, NULL, ptrs, lens};
    result = tgmpy_encode_direct(b.p, &bufs, &opts, exact);
    if (result == NULL) {
        goto fallback;
    }
    goto done;
fallback:
    PyErr_Clear();
    result = Py_NewRef(Py_None);
done:
    for (Py_ssize_t i = 0; i < nheld; i++) {
        Py_DECREF(held[i]);
    }
    jb_free(&b);
    PyMem_RawFree(scratch_free);
    return result;
}

/* ---- decode_fast ------------------------------------------------------------------------------
 */

/* The Python classes of results (tensogram._model), set by _fast_init. */
static PyTypeObject *metadata_type, *descriptor_type, *message_type;
static PyArray_Descr *bfloat16_descr; /* ml_dtypes.bfloat16, or NULL */
static PyObject *str_lazy, *str_base, *str_extra, *str_reserved, *str_d;

/* Decoded payloads up to this many bytes in all get lazy metadata and
 * descriptors; above, they are built at once (a lazy value keeps the
 * whole decoded message alive, values included). */
#define LAZY_MAX_BYTES ((size_t)1 << 20)

/* A value built on first use from a decoded message: its metadata
 * (index -1: the (base, extra, reserved) triple) or an object's
 * descriptor dict.  Called with no arguments by the __getattr__ of
 * Metadata / DataObjectDescriptor. */
typedef struct {
    PyObject_HEAD PyObject *capsule; /* owns the message */
    const tgm_message_t *msg;
    Py_ssize_t index;
} lazy_object;

static void lazy_dealloc(lazy_object *self) {
    Py_XDECREF(self->capsule);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *lazy_build(const tgm_message_t *msg, Py_ssize_t index) {
    if (index < 0) {
        return tgmpy_message_metadata_tuple(msg);
    }
    const tgm_value_t *d = tgm_object_descriptor(msg, (size_t)index);
    if (d == NULL) {
        return tgmpy_raise(TGM_ERROR_OBJECT);
    }
    return tgmpy_value_to_py(d);
}

static PyObject *lazy_call(lazy_object *self, PyObject *args, PyObject *kwargs) {
    if (PyTuple_GET_SIZE(args) != 0 || (kwargs != NULL && PyDict_GET_SIZE(kwargs) != 0)) {
        PyErr_SetString(PyExc_TypeError, "takes no arguments");
        return NULL;
    }
    return lazy_build(self->msg, self->index);
}

static PyTypeObject LazyType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "tensogram._tensogram._Lazy",
    .tp_basicsize = sizeof(lazy_object),
    .tp_dealloc = (destructor)lazy_dealloc,
    .tp_call = (ternaryfunc)lazy_call,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A decoded message's metadata or descriptor, built on first use.",
};

/* An instance of `type` (a class with __slots__) made without running its
 * __init__, whose slots are then set by the caller. */
static PyObject *bare_instance(PyTypeObject *type) {
    PyObject *empty = PyTuple_New(0);
    if (empty == NULL) {
        return NULL;
    }
    PyObject *o = type->tp_new(type, empty, NULL);
    Py_DECREF(empty);
    return o;
}

/* A Metadata (index -1) or DataObjectDescriptor over msg: lazy, or built
 * now. */
static PyObject *result_object(PyObject *capsule, const tgm_message_t *msg, Py_ssize_t index,
                               int lazy) {
    PyObject *o = bare_instance(index < 0 ? metadata_type : descriptor_type);
    if (o == NULL) {
        return NULL;
    }
    int rc;
    if (lazy) {
        lazy_object *l = PyObject_New(lazy_object, &LazyType);
        if (l == NULL) {
            Py_DECREF(o);
            return NULL;
        }
        l->capsule = Py_NewRef(capsule);
        l->msg = msg;
        l->index = index;
        rc = PyObject_SetAttr(o, str_lazy, (PyObject *)l);
        Py_DECREF(l);
    } else {
        PyObject *v = lazy_build(msg, index);
        if (v == NULL) {
            Py_DECREF(o);
            return NULL;
        }
        if (index < 0) {
            rc = PyObject_SetAttr(o, str_base, PyTuple_GET_ITEM(v, 0)) < 0 ||
                         PyObject_SetAttr(o, str_extra, PyTuple_GET_ITEM(v, 1)) < 0 ||
                         PyObject_SetAttr(o, str_reserved, PyTuple_GET_ITEM(v, 2)) < 0
                     ? -1
                     : 0;
        } else {
            rc = PyObject_SetAttr(o, str_d, v);
        }
        Py_DECREF(v);
    }
    if (rc < 0) {
        Py_DECREF(o);
        return NULL;
    }
    return o;
}

/* Object i's values as an array viewing the message's buffer (bfloat16
 * as ml_dtypes.bfloat16 when it is installed, as the Python path does). */
static PyObject *result_array(const tgm_message_t *msg, size_t i, PyObject *capsule) {
    size_t len = 0;
    const uint8_t *data = tgm_object_data(msg, i, &len);
    uint64_t ndim = tgm_object_ndim(msg, i);
    const char *dtype = tgm_object_dtype(msg, i);
    if (ndim > NPY_MAXDIMS) {
        return PyErr_Format(PyExc_ValueError, "object has %llu dimensions; NumPy supports %d",
                            (unsigned long long)ndim, NPY_MAXDIMS);
    }
    PyObject *a = tgmpy_array_view(dtype, (int)ndim, tgm_object_shape(msg, i), data, len, capsule);
    if (a != NULL && bfloat16_descr != NULL && dtype != NULL && strcmp(dtype, "bfloat16") == 0) {
        Py_INCREF(bfloat16_descr);
        PyObject *v = PyArray_View((PyArrayObject *)a, bfloat16_descr, NULL);
        Py_DECREF(a);
        a = v;
    }
    return a;
}

/* The tensogram.Message of a decoded message (takes ownership of msg). */
static PyObject *message_of(tgm_message_t *msg) {
    size_t n = tgm_message_num_objects(msg), total = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = 0;
        tgm_object_data(msg, i, &len);
        total += len;
    }
    int lazy = total <= LAZY_MAX_BYTES;
    PyObject *cap = tgmpy_message_capsule(msg);
    if (cap == NULL) {
        return NULL;
    }
    PyObject *objs = PyList_New((Py_ssize_t)n);
    PyObject *meta = objs ? result_object(cap, msg, -1, lazy) : NULL;
    PyObject *res = NULL;
    if (meta == NULL) {
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        PyObject *d = result_object(cap, msg, (Py_ssize_t)i, lazy);
        PyObject *a = d ? result_array(msg, i, cap) : NULL;
        PyObject *pair = a ? PyTuple_New(2) : NULL;
        if (pair == NULL) {
            Py_XDECREF(d);
            Py_XDECREF(a);
            goto done;
        }
        PyTuple_SET_ITEM(pair, 0, d);
        PyTuple_SET_ITEM(pair, 1, a);
        PyList_SET_ITEM(objs, (Py_ssize_t)i, pair);
    }
    res = message_type->tp_alloc(message_type, 2);
    if (res != NULL) {
        PyTuple_SET_ITEM(res, 0, meta);
        PyTuple_SET_ITEM(res, 1, objs);
        meta = objs = NULL;
    }
done:
    Py_XDECREF(meta);
    Py_XDECREF(objs);
    Py_DECREF(cap);
    return res;
}

/* "p"-style flag; -1 (error cleared) when its truth cannot be told. */
static int flag(PyObject *o) {
    int v = PyObject_IsTrue(o);
    if (v < 0) {
        PyErr_Clear();
    }
    return v;
}

/* decode_fast(buf, native_byte_order, threads, restore_non_finite,
 * verify_hash) -> Message, or None when the Python path must run (buf
 * not bytes, threads not a plain int in range, classes not registered). */
static PyObject *py_decode_fast(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 5) {
        PyErr_SetString(PyExc_TypeError, "decode_fast takes 5 arguments");
        return NULL;
    }
    PyObject *buf = args[0];
    if (message_type == NULL || !PyBytes_CheckExact(buf) || !PyLong_CheckExact(args[2])) {
        Py_RETURN_NONE;
    }
    unsigned long long threads = PyLong_AsUnsignedLongLong(args[2]);
    int native = flag(args[1]), restore = flag(args[3]), verify = flag(args[4]);
    if ((threads == (unsigned long long)-1 && PyErr_Occurred()) || threads > UINT32_MAX ||
        native < 0 || restore < 0 || verify < 0) {
        PyErr_Clear();
        Py_RETURN_NONE;
    }
    const uint8_t *p = (const uint8_t *)PyBytes_AS_STRING(buf);
    size_t len = (size_t)PyBytes_GET_SIZE(buf);
    tgm_message_t *msg = NULL;
    TgmDecodeMaskOptions mo = {restore != 0};
    tgm_error e;
    /* bytes are immutable and `buf` is referenced by our caller's frame:
     * the memory stays valid while the GIL is released. */
    TGMPY_NOGIL(e = tgm_decode_with_options(p, len, native, (uint32_t)threads, verify, &mo, &msg));
    if (e != TGM_ERROR_OK) {
        return tgmpy_raise(e);
    }
    return message_of(msg);
}

/* decode_object_fast(buf, index, native_byte_order, threads,
 * restore_non_finite, verify_hash) -> (Metadata, DataObjectDescriptor,
 * array), or None when the Python path must run (as decode_fast; index
 * not a plain non-negative int). */
static PyObject *py_decode_object_fast(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 6) {
        PyErr_SetString(PyExc_TypeError, "decode_object_fast takes 6 arguments");
        return NULL;
    }
    PyObject *buf = args[0];
    if (message_type == NULL || !PyBytes_CheckExact(buf) || !PyLong_CheckExact(args[1]) ||
        !PyLong_CheckExact(args[3])) {
        Py_RETURN_NONE;
    }
    Py_ssize_t index = PyLong_AsSsize_t(args[1]);
    unsigned long long threads = PyLong_AsUnsignedLongLong(args[3]);
    int native = flag(args[2]), restore = flag(args[4]), verify = flag(args[5]);
    if (index < 0 || (threads == (unsigned long long)-1 && PyErr_Occurred()) ||
        threads > UINT32_MAX || native < 0 || restore < 0 || verify < 0) {
        PyErr_Clear();
        Py_RETURN_NONE;
    }
    const uint8_t *p = (const uint8_t *)PyBytes_AS_STRING(buf);
    size_t len = (size_t)PyBytes_GET_SIZE(buf);
    tgm_message_t *msg = NULL;
    TgmDecodeMaskOptions mo = {restore != 0};
    tgm_error e;
    TGMPY_NOGIL(e = tgm_decode_object_with_options(p, len, (size_t)index, native, (uint32_t)threads,
                                                   verify, &mo, &msg));
    if (e != TGM_ERROR_OK) {
        return tgmpy_raise(e);
    }
    size_t dlen = 0;
    tgm_object_data(msg, 0, &dlen);
    int lazy = dlen <= LAZY_MAX_BYTES;
    PyObject *cap = tgmpy_message_capsule(msg);
    if (cap == NULL) {
        return NULL;
    }
    PyObject *meta = result_object(cap, msg, -1, lazy);
    PyObject *d = meta ? result_object(cap, msg, 0, lazy) : NULL;
    PyObject *a = d ? result_array(msg, 0, cap) : NULL;
    Py_DECREF(cap);
    if (a == NULL) {
        Py_XDECREF(meta);
        Py_XDECREF(d);
        return NULL;
    }
    PyObject *r = PyTuple_Pack(3, meta, d, a);
    Py_DECREF(meta);
    Py_DECREF(d);
    Py_DECREF(a);
    return r;
}

/* _fast_init(Metadata, DataObjectDescriptor, Message, bfloat16 dtype or
 * None): the classes decode_fast returns. */
static PyObject *py_fast_init(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *m, *d, *msg, *bf;
    if (!PyArg_ParseTuple(args, "O!O!O!O", &PyType_Type, &m, &PyType_Type, &d, &PyType_Type, &msg,
                          &bf)) {
        return NULL;
    }
    if (!PyType_IsSubtype((PyTypeObject *)msg, &PyTuple_Type)) {
        PyErr_SetString(PyExc_TypeError, "Message must be a tuple type");
        return NULL;
    }
    PyArray_Descr *descr = NULL;
    if (bf != Py_None && !PyArray_DescrConverter(bf, &descr)) {
        return NULL;
    }
    Py_XSETREF(bfloat16_descr, descr);
    Py_XSETREF(metadata_type, (PyTypeObject *)Py_NewRef(m));
    Py_XSETREF(descriptor_type, (PyTypeObject *)Py_NewRef(d));
    Py_XSETREF(message_type, (PyTypeObject *)Py_NewRef(msg));
    Py_RETURN_NONE;
}

static PyMethodDef fast_methods[] = {
    {"encode_fast", (PyCFunction)(void (*)(void))py_encode_fast, METH_FASTCALL,
     "encode_fast(meta, pairs, hash, threads, allow_nan, allow_inf, nan_method, "
     "pos_inf_method, neg_inf_method, small_mask_threshold_bytes, aggregate_hash) -> bytes, or "
     "None when tensogram.encode must take its general path"},
    {"decode_fast", (PyCFunction)(void (*)(void))py_decode_fast, METH_FASTCALL,
     "decode_fast(buf, native_byte_order, threads, restore_non_finite, verify_hash) -> Message, "
     "or None when tensogram.decode must take its general path"},
    {"decode_object_fast", (PyCFunction)(void (*)(void))py_decode_object_fast, METH_FASTCALL,
     "decode_object_fast(buf, index, native_byte_order, threads, restore_non_finite, "
     "verify_hash) -> (Metadata, DataObjectDescriptor, array), or None when "
     "tensogram.decode_object must take its general path"},
    {"_fast_init", py_fast_init, METH_VARARGS,
     "_fast_init(Metadata, DataObjectDescriptor, Message, bfloat16_dtype_or_None)"},
    {"_encoder_cache_info", tgmpy_encache_info, METH_NOARGS,
     "_encoder_cache_info() -> {'hits', 'made', 'missed'}: encode_fast's kept encoders"},
    {"_encoder_cache_reset", tgmpy_encache_reset, METH_NOARGS,
     "_encoder_cache_reset(): drop encode_fast's kept encoders and zero the counts"},
    {NULL, NULL, 0, NULL},
};

int tgmpy_fast_init(PyObject *module) {
    if (PyType_Ready(&LazyType) < 0) {
        return -1;
    }
    str_lazy = PyUnicode_InternFromString("_lazy");
    str_base = PyUnicode_InternFromString("_base");
    str_extra = PyUnicode_InternFromString("_extra");
    str_reserved = PyUnicode_InternFromString("_reserved");
    str_d = PyUnicode_InternFromString("_d");
    if (str_lazy == NULL || str_base == NULL || str_extra == NULL || str_reserved == NULL ||
        str_d == NULL) {
        return -1;
    }
    PyObject **keys[] = {&k_type,       &k_shape,    &k_strides, &k_dtype,
                         &k_byte_order, &k_encoding, &k_filter,  &k_compression,
                         &k_base,       &k_extra_,   &k_extra,   &k_reserved_};
    const char *names[] = {"type",       "shape",    "strides", "dtype",
                           "byte_order", "encoding", "filter",  "compression",
                           "base",       "_extra_",  "extra",   "_reserved_"};
    for (size_t i = 0; i < COUNT(keys); i++) {
        if ((*keys[i] = PyUnicode_InternFromString(names[i])) == NULL) {
            return -1;
        }
    }
    dtype_set = name_set(DTYPE_NAMES, COUNT(DTYPE_NAMES));
    fixed_set = name_set(FIXED_KEYS, COUNT(FIXED_KEYS));
    metadata_like_set = name_set(METADATA_LIKE, COUNT(METADATA_LIKE));
    if (dtype_set == NULL || fixed_set == NULL || metadata_like_set == NULL) {
        return -1;
    }
    return PyModule_AddFunctions(module, fast_methods);
}
