/* The to-grib template of a GRIB message (grib_repro._template and
 * _restore, read back by grib_export.c): the message with its values set
 * to zeros and no bitmap, and the coded keys that this zeroing changed.
 *
 * ecCodes makes it by packing a field of zeros: a pass over every value to
 * find that the field is constant and another for its range, about a fifth
 * of the cost of decoding the message.  For the common GRIB 2 packings,
 * simple (template 5.0) and CCSDS (5.42), the result is known without
 * packing: a constant field keeps sections 1 to 4 and the scale factors,
 * gets reference value 0 and 0 bits per value, no bitmap section and an
 * empty data section (ecCodes' simple packing, unless large constant
 * fields are asked for).  Those templates are written here from the
 * message's bytes.  The first use in a process checks the rule against
 * ecCodes itself on small messages of both packings, with and without a
 * bitmap and decimal scaling; if any differs (another ecCodes version),
 * every template is made by ecCodes. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "grib_internal.h"

/* ---- by ecCodes -------------------------------------------------------------------------- */

static bool is_data_key(const char *k) {
    /* The values, the bitmap, and the counts the values setter derives. */
    return strcmp(k, "values") == 0 || strcmp(k, "codedValues") == 0 ||
           strcmp(k, "numberOfValues") == 0 || strcmp(k, "numberOfCodedValues") == 0 ||
           strcmp(k, "packedValues") == 0 || strstr(k, "itmap") != NULL ||
           strstr(k, "itMap") != NULL;
}
/* A coded scalar key of the original message, read before the values are
 * replaced. */
typedef struct {
    char *name;
    int type; /* CODES_TYPE_LONG, _DOUBLE or _STRING */
    long l;
    double d;
    char *s;
} orig_key;

static bool record_key(codes_handle *h, const char *k, orig_key *o) {
    int type = 0;
    size_t size = 0;
    if (codes_get_native_type(h, k, &type) != 0 || codes_get_size(h, k, &size) != 0 || size != 1) {
        return false; /* arrays (pl, pv, ...) are part of the header, kept in the template */
    }
    memset(o, 0, sizeof *o);
    o->type = type;
    if (type == CODES_TYPE_LONG) {
        if (codes_get_long(h, k, &o->l) != 0) {
            return false;
        }
    } else if (type == CODES_TYPE_DOUBLE) {
        if (codes_get_double(h, k, &o->d) != 0 || !isfinite(o->d)) {
            return false;
        }
    } else if (type == CODES_TYPE_STRING) {
        if ((o->s = cv_grib_get_string(h, k)) == NULL) {
            return false;
        }
    } else {
        return false;
    }
    if ((o->name = strdup(k)) == NULL) {
        free(o->s);
        return false;
    }
    return true;
}

/* Append [name, original value] to `restore` when the key now differs in t. */
static void restore_if_changed(codes_handle *t, const orig_key *o, cv_buf *restore) {
    bool differs = false;
    if (o->type == CODES_TYPE_LONG) {
        long c = 0;
        differs = codes_get_long(t, o->name, &c) != 0 || c != o->l;
    } else if (o->type == CODES_TYPE_DOUBLE) {
        double c = 0;
        differs = codes_get_double(t, o->name, &c) != 0 || c != o->d;
    } else {
        char *c = cv_grib_get_string(t, o->name);
        differs = c == NULL || strcmp(c, o->s) != 0;
        free(c);
    }
    if (!differs) {
        return;
    }
    cv_json_sep(restore);
    cv_putc(restore, '[');
    cv_json_cstr(restore, o->name);
    cv_putc(restore, ',');
    if (o->type == CODES_TYPE_LONG) {
        cv_json_i64(restore, o->l);
    } else if (o->type == CODES_TYPE_DOUBLE) {
        cv_json_f64(restore, o->d);
    } else {
        cv_json_cstr(restore, o->s);
    }
    cv_putc(restore, ']');
}

static tgm_error template_by_eccodes(codes_handle *h, cv_zeros *zeros, cv_buf *tmpl_hex,
                                     cv_buf *restore) {
    /* The coded keys (and their values) before the values change. */
    unsigned long flags = CODES_KEYS_ITERATOR_SKIP_READ_ONLY | CODES_KEYS_ITERATOR_SKIP_COMPUTED |
                          CODES_KEYS_ITERATOR_SKIP_FUNCTION | CODES_KEYS_ITERATOR_SKIP_DUPLICATES;
    codes_keys_iterator *it = codes_keys_iterator_new(h, flags, NULL);
    if (it == NULL) {
        return cv_fail(TGM_ERROR_CONVERT, "ecCodes error: cannot iterate the coded keys");
    }
    tgm_error err = TGM_ERROR_OK;
    orig_key *keys = NULL;
    size_t nk = 0, cap = 0;
    while (codes_keys_iterator_next(it)) {
        const char *k = codes_keys_iterator_get_name(it);
        if (is_data_key(k)) {
            continue;
        }
        if (nk == cap) {
            cap = cap ? 2 * cap : 128;
            orig_key *p = realloc(keys, cap * sizeof *p);
            if (p == NULL) {
                err = cv_oom("GRIB key names");
                break;
            }
            keys = p;
        }
        if (record_key(h, k, &keys[nk])) {
            nk++;
        }
    }
    codes_keys_iterator_delete(it);

    /* The values replaced by zeros in a copy of the message (h, whose
     * buffer may be the caller's, stays as it is): no bitmap, a constant
     * field, so an almost empty data section. */
    const void *msg = NULL;
    size_t len = 0, n = 0;
    int e = err == TGM_ERROR_OK ? codes_get_message(h, &msg, &len) : 0;
    codes_handle *t = NULL;
    if (err == TGM_ERROR_OK && e == 0 &&
        (t = codes_handle_new_from_message_copy(NULL, msg, len)) == NULL) {
        e = CODES_DECODING_ERROR;
    }
    if (err == TGM_ERROR_OK && e == 0) {
        e = codes_get_size(t, "values", &n);
    }
    /* With a bitmap, "values" still counts every point (missing ones
     * included). */
    if (err == TGM_ERROR_OK && e == 0 && cv_grib_long_or(t, "bitmapPresent", 0) == 1) {
        e = codes_set_long(t, "bitmapPresent", 0);
    }
    if (err == TGM_ERROR_OK && e == 0) {
        const double *z = cv_zeros_get(zeros, n);
        if (z == NULL) {
            err = cv_oom("GRIB template");
        } else {
            e = codes_set_double_array(t, "values", z, n);
        }
    }
    if (err == TGM_ERROR_OK && e == 0) {
        e = codes_get_message(t, &msg, &len);
    }
    if (err == TGM_ERROR_OK && e != 0) {
        err = cv_fail(TGM_ERROR_CONVERT, "ecCodes error: building the to-grib template: %s",
                      cv_grib_errstr(e));
    }
    if (err == TGM_ERROR_OK) {
        cv_putc(tmpl_hex, '"');
        cv_hex(tmpl_hex, msg, len);
        cv_putc(tmpl_hex, '"');
        /* The coded keys that the zeroed values changed (bitsPerValue, ...),
         * to be set again before the real values. */
        cv_putc(restore, '[');
        for (size_t i = 0; i < nk; i++) {
            restore_if_changed(t, &keys[i], restore);
        }
        cv_putc(restore, ']');
    }
    if (t != NULL) {
        codes_handle_delete(t);
    }
    for (size_t i = 0; i < nk; i++) {
        free(keys[i].name);
        free(keys[i].s);
    }
    free(keys);
    return err;
}

/* ---- from the message's bytes ---------------------------------------------------------- */

static uint32_t rd32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void wr32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Where sections 1 to 7 of a GRIB 2 message holding exactly one field
 * start, and their lengths (section 2, the local one, may be absent);
 * false for anything else (GRIB 1, several fields, a malformed message). */
static bool one_field(const uint8_t *m, size_t len, size_t at[8], size_t sl[8]) {
    if (len < 16 + 4 || memcmp(m, "GRIB", 4) != 0 || m[7] != 2) {
        return false;
    }
    uint64_t total = 0;
    for (int i = 8; i < 16; i++) {
        total = total << 8 | m[i];
    }
    if (total != len || memcmp(m + len - 4, "7777", 4) != 0) {
        return false;
    }
    memset(at, 0, 8 * sizeof at[0]);
    size_t p = 16;
    int last = 0;
    while (p < len - 4) {
        if (len - 4 - p < 5) {
            return false;
        }
        size_t l = rd32(m + p);
        int num = m[p + 4];
        if (l < 5 || l > len - 4 - p || num <= last || num > 7) {
            return false;
        }
        at[num] = p;
        sl[num] = l;
        last = num;
        p += l;
    }
    return p == len - 4 && at[1] && at[3] && at[4] && at[5] && at[6] && at[7];
}

/* The template written from the message's bytes, for simple and CCSDS
 * packing with no bitmap or a bitmap of its own (indicator 0); false when
 * the message is another case (nothing is then written). */
static bool template_direct(codes_handle *h, cv_buf *tmpl_hex, cv_buf *restore) {
    const void *msg = NULL;
    size_t len = 0, n = 0;
    size_t at[8], sl[8];
    if (codes_get_message(h, &msg, &len) != 0 || codes_get_size(h, "values", &n) != 0 ||
        n > UINT32_MAX || !one_field(msg, len, at, sl)) {
        return false;
    }
    const uint8_t *m = msg;
    const uint8_t *s5 = m + at[5];
    unsigned tmpl = (unsigned)s5[9] << 8 | s5[10];
    if (!((tmpl == 0 && sl[5] == 21) || (tmpl == 42 && sl[5] == 25)) || sl[6] < 6) {
        return false;
    }
    unsigned indicator = m[at[6] + 5];
    /* No bitmap: the values are the coded ones.  A bitmap of the message's
     * own: it goes, and every point becomes a value. */
    if (!((indicator == 255 && sl[6] == 6 && rd32(s5 + 5) == n) || indicator == 0)) {
        return false;
    }
    /* Sections 0 to 4 as they are, 5 with its counts and reference value
     * changed, 6 saying "no bitmap", 7 empty, then the end marker. */
    size_t head = at[5];
    size_t out_len = head + sl[5] + 6 + 5 + 4;
    uint8_t *t = malloc(out_len);
    if (t == NULL) {
        return false;
    }
    memcpy(t, m, head);
    for (int i = 0; i < 8; i++) {
        t[8 + i] = (uint8_t)((uint64_t)out_len >> (8 * (7 - i)));
    }
    uint8_t *t5 = t + head;
    memcpy(t5, s5, sl[5]);
    wr32(t5 + 5, (uint32_t)n); /* number of values */
    wr32(t5 + 11, 0);          /* reference value 0.0 (IEEE single) */
    t5[19] = 0;                /* bits per value */
    static const uint8_t tail[] = {0, 0, 0, 6, 6, 255, 0, 0, 0, 5, 7, '7', '7', '7', '7'};
    memcpy(t5 + sl[5], tail, sizeof tail);
    cv_putc(tmpl_hex, '"');
    cv_hex(tmpl_hex, t, out_len);
    cv_putc(tmpl_hex, '"');
    free(t);
    /* Of the coded keys, only bitsPerValue changes (the reference value is
     * read-only, the counts and bitmap keys are the values'). */
    cv_putc(restore, '[');
    if (s5[19] != 0) {
        cv_puts(restore, "[\"bitsPerValue\",");
        cv_json_i64(restore, s5[19]);
        cv_putc(restore, ']');
    }
    cv_putc(restore, ']');
    return true;
}

/* ---- checking the rule against ecCodes -------------------------------------------------- */

static bool direct_ok;
static pthread_once_t direct_once = PTHREAD_ONCE_INIT;

/* A small message of `packing`, with a bitmap and decimal scaling when
 * asked; NULL when the sample cannot be read. */
static codes_handle *check_message(const char *packing, bool bitmap, long decimal) {
    codes_handle *s = codes_grib_handle_new_from_samples(NULL, "regular_ll_sfc_grib2");
    if (s == NULL) {
        return NULL;
    }
    size_t n = 0, plen = strlen(packing);
    int e = codes_set_string(s, "packingType", packing, &plen);
    if (e == 0 && decimal != 0) {
        e = codes_set_long(s, "decimalScaleFactor", decimal);
    }
    if (e == 0 && bitmap) {
        e = codes_set_double(s, "missingValue", 9999.0);
        e = e ? e : codes_set_long(s, "bitmapPresent", 1);
    }
    e = e ? e : codes_get_size(s, "values", &n);
    double v[1024]; /* the sample has 16 x 31 points */
    if (e == 0 && n > 0 && n <= sizeof v / sizeof v[0]) {
        for (size_t i = 0; i < n; i++) {
            v[i] = bitmap && i % 7 == 3 ? 9999.0 : 270.0 + 3.25 * sin((double)i);
        }
        e = codes_set_double_array(s, "values", v, n);
    } else {
        e = e ? e : CODES_INTERNAL_ERROR;
    }
    /* Read back from the bytes, as the importer reads messages. */
    const void *m = NULL;
    size_t len = 0;
    codes_handle *h = NULL;
    if (e == 0 && codes_get_message(s, &m, &len) == 0) {
        h = codes_handle_new_from_message_copy(NULL, m, len);
    }
    codes_handle_delete(s);
    return h;
}

static void check_direct(void) {
    const char *env = getenv("ECCODES_GRIB_LARGE_CONSTANT_FIELDS");
    if (env != NULL && *env != '\0' && strcmp(env, "0") != 0) {
        return; /* constant fields keep their bits: ecCodes packs them */
    }
    cv_zeros *zeros = cv_zeros_new();
    bool ok = zeros != NULL;
    for (int k = 0; k < 8 && ok; k++) {
        codes_handle *h =
            check_message(k & 1 ? "grid_ccsds" : "grid_simple", (k & 2) != 0, k & 4 ? 2 : 0);
        cv_buf t1 = {0}, r1 = {0}, t2 = {0}, r2 = {0};
        ok = h != NULL && template_direct(h, &t1, &r1) &&
             template_by_eccodes(h, zeros, &t2, &r2) == TGM_ERROR_OK && !t1.oom && !r1.oom &&
             !t2.oom && !r2.oom && t1.len == t2.len && r1.len == r2.len &&
             memcmp(t1.p, t2.p, t1.len) == 0 && memcmp(r1.p, r2.p, r1.len) == 0;
        cv_buf_free(&t1);
        cv_buf_free(&r1);
        cv_buf_free(&t2);
        cv_buf_free(&r2);
        if (h != NULL) {
            codes_handle_delete(h);
        }
    }
    cv_zeros_free(zeros);
    direct_ok = ok;
}

tgm_error cv_grib_template_json(codes_handle *h, cv_zeros *zeros, cv_buf *tmpl_hex,
                                cv_buf *restore) {
    pthread_once(&direct_once, check_direct);
    if (direct_ok && template_direct(h, tmpl_hex, restore)) {
        return tmpl_hex->oom || restore->oom ? cv_oom("GRIB template") : TGM_ERROR_OK;
    }
    return template_by_eccodes(h, zeros, tmpl_hex, restore);
}
