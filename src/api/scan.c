/* tgm_scan, buffer iterators, object iterators, tgm_compute_hash. */
#include <string.h>

#include "api/api.h"
#include "common/alloc.h"
#include "hash/hash.h"

struct tgm_scan_result_t {
    size_t n;
    tgm_scan_entry_t *entries;
};

static tgm_error scan_entries(const uint8_t *buf, size_t len, tgm_scan_entry_t **out, size_t *n) {
    tgm_u64vec o = TGM_U64VEC_INIT, l = TGM_U64VEC_INIT;
    tgm_error e = tgm__scan(buf, len, NULL, &o, &l);
    tgm_scan_entry_t *ent = NULL;
    if (e == TGM_ERROR_OK) {
        ent = tgm__calloc(o.n ? o.n : 1, sizeof *ent);
        if (ent == NULL) {
            e = tgm__oom(o.n * sizeof *ent, "scan result");
        } else {
            for (size_t i = 0; i < o.n; i++) {
                ent[i].offset = (size_t)o.v[i];
                ent[i].length = (size_t)l.v[i];
            }
            *out = ent;
            *n = o.n;
        }
    }
    tgm__u64vec_free(&o);
    tgm__u64vec_free(&l);
    return e;
}

tgm_error tgm_scan(const uint8_t *buf, size_t buf_len, tgm_scan_result_t **out) {
    tgm__clear_error();
    TGM_API_REQUIRE(out != NULL && (buf != NULL || buf_len == 0), "null argument");
    tgm_scan_result_t *r = tgm__calloc(1, sizeof *r);
    if (r == NULL) {
        return tgm__oom(sizeof *r, "scan result");
    }
    tgm_error e = scan_entries(buf, buf_len, &r->entries, &r->n);
    if (e != TGM_ERROR_OK) {
        tgm__free(r);
        return e;
    }
    *out = r;
    return TGM_ERROR_OK;
}

size_t tgm_scan_count(const tgm_scan_result_t *result) { return result ? result->n : 0; }

tgm_scan_entry_t tgm_scan_entry(const tgm_scan_result_t *result, size_t index) {
    tgm_scan_entry_t z = {0, 0};
    if (result == NULL || index >= result->n) {
        return z;
    }
    return result->entries[index];
}

void tgm_scan_free(tgm_scan_result_t *result) {
    if (result != NULL) {
        tgm__free(result->entries);
        tgm__free(result);
    }
}

/* ---- buffer iterator ---------------------------------------------------------- */

struct tgm_buffer_iter_t {
    const uint8_t *buf;
    size_t n;
    size_t next;
    tgm_scan_entry_t *entries;
};

tgm_error tgm_buffer_iter_create(const uint8_t *buf, size_t buf_len, tgm_buffer_iter_t **out) {
    tgm__clear_error();
    TGM_API_REQUIRE(out != NULL && (buf != NULL || buf_len == 0), "null argument");
    tgm_buffer_iter_t *it = tgm__calloc(1, sizeof *it);
    if (it == NULL) {
        return tgm__oom(sizeof *it, "iterator");
    }
    tgm_error e = scan_entries(buf, buf_len, &it->entries, &it->n);
    if (e != TGM_ERROR_OK) {
        tgm__free(it);
        return e;
    }
    it->buf = buf;
    *out = it;
    return TGM_ERROR_OK;
}

size_t tgm_buffer_iter_count(const tgm_buffer_iter_t *iter) { return iter ? iter->n : 0; }

tgm_error tgm_buffer_iter_next(tgm_buffer_iter_t *iter, const uint8_t **out_buf, size_t *out_len) {
    TGM_API_REQUIRE(iter != NULL && out_buf != NULL && out_len != NULL, "null argument");
    if (iter->next >= iter->n) {
        return TGM_ERROR_END_OF_ITER;
    }
    *out_buf = iter->buf + iter->entries[iter->next].offset;
    *out_len = iter->entries[iter->next].length;
    iter->next++;
    return TGM_ERROR_OK;
}

void tgm_buffer_iter_free(tgm_buffer_iter_t *iter) {
    if (iter != NULL) {
        tgm__free(iter->entries);
        tgm__free(iter);
    }
}

/* ---- object iterator ------------------------------------------------------------ */

struct tgm_object_iter_t {
    const uint8_t *buf;
    size_t len;
    size_t nobj;
    size_t next;
    tgm_api_decode_opts opts;
};

tgm_error tgm_object_iter_create(const uint8_t *buf, size_t buf_len, int32_t native_byte_order,
                                 int32_t verify_hash, tgm_object_iter_t **out) {
    tgm__clear_error();
    TGM_API_REQUIRE(buf != NULL && out != NULL, "null argument");
    /* Parse the structure once (metadata, object count). */
    tgm_arena a = TGM_ARENA_INIT;
    tgm_msg m;
    tgm_error e = tgm__msg_parse(buf, buf_len, &a, TGM_PARSE_NO_OBJECTS, &m);
    size_t nobj = m.nobj;
    tgm__arena_free(&a);
    TGM_TRY(e);
    tgm_object_iter_t *it = tgm__calloc(1, sizeof *it);
    if (it == NULL) {
        return tgm__oom(sizeof *it, "iterator");
    }
    it->buf = buf;
    it->len = buf_len;
    it->nobj = nobj;
    it->opts.native_byte_order = native_byte_order != 0;
    it->opts.verify_hash = verify_hash != 0;
    it->opts.restore_non_finite = true;
    it->opts.threads = 0;
    *out = it;
    return TGM_ERROR_OK;
}

tgm_error tgm_object_iter_next(tgm_object_iter_t *iter, tgm_message_t **out) {
    TGM_API_REQUIRE(iter != NULL && out != NULL, "null argument");
    if (iter->next >= iter->nobj) {
        return TGM_ERROR_END_OF_ITER;
    }
    tgm__clear_error();
    TGM_TRY(tgm__api_decode_one(iter->buf, iter->len, iter->next, &iter->opts, out));
    iter->next++;
    return TGM_ERROR_OK;
}

void tgm_object_iter_free(tgm_object_iter_t *iter) { tgm__free(iter); }

/* ---- hashing -------------------------------------------------------------------- */

tgm_error tgm_compute_hash(const uint8_t *data, size_t data_len, const char *algo,
                           tgm_bytes_t *out) {
    tgm__clear_error();
    TGM_API_REQUIRE(data != NULL && out != NULL, "null argument");
    if (algo != NULL && strcmp(algo, TGM_HASH_ALGORITHM) != 0 && strcmp(algo, "none") != 0) {
        return tgm__fail_raw(TGM_ERROR_INVALID_ARG,
                             "metadata error: unknown hash type: %s; expected \"xxh3\" or \"none\"",
                             algo);
    }
    char hex[17];
    tgm__hash_hex(tgm__xxh3(data_len ? data : (const uint8_t *)"", data_len), hex);
    uint8_t *p = tgm__malloc(16);
    if (p == NULL) {
        return tgm__oom(16, "hash");
    }
    memcpy(p, hex, 16);
    out->data = p;
    out->len = 16;
    return TGM_ERROR_OK;
}
