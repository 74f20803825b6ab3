/* jv.h - a small JSON document model for the command-line tool.
 *
 * The library hands metadata out as JSON text (tgm_metadata_to_json,
 * tgm_object_descriptor_json, the validation and doctor reports).  The tool
 * parses that text into this tree, reshapes it (renames sections, filters
 * keys, applies `set` mutations) and prints it again.  Numbers keep their
 * original text, so whatever the library printed for a float or a large
 * integer is printed back unchanged.
 *
 * Objects keep their entries in insertion order; jv_write() can print them
 * sorted by key bytes (what serde_json does for a map) or in stored order
 * (what it does for a Rust struct).  Allocation failures end the process
 * (see xmalloc in cli.h): this is a command-line tool, not a library. */
#ifndef TGM_CLI_JV_H
#define TGM_CLI_JV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { JV_NULL, JV_BOOL, JV_NUM, JV_STR, JV_ARR, JV_OBJ } jv_kind;

typedef struct jv jv;

typedef struct {
    char *key; /* NUL-terminated, may also contain NULs: use klen */
    size_t klen;
    jv *val;
} jv_entry;

struct jv {
    jv_kind kind;
    bool b;         /* JV_BOOL */
    char *s;        /* JV_STR: bytes (NUL-terminated); JV_NUM: number text */
    size_t len;     /* JV_STR / JV_NUM: byte count */
    jv **items;     /* JV_ARR */
    jv_entry *ents; /* JV_OBJ */
    size_t n, cap;  /* element / entry count */
};

jv *jv_null(void);
jv *jv_bool(bool b);
jv *jv_num(const char *text); /* text must be a valid JSON number */
jv *jv_int(int64_t v);
jv *jv_uint(uint64_t v);
jv *jv_str(const char *s, size_t n);
jv *jv_cstr(const char *s);
jv *jv_arr(void);
jv *jv_obj(void);
void jv_free(jv *v);
jv *jv_clone(const jv *v);

void jv_push(jv *arr, jv *item);                             /* takes ownership */
void jv_set(jv *obj, const char *key, size_t klen, jv *val); /* replaces, takes ownership */
void jv_setc(jv *obj, const char *key, jv *val);
jv *jv_get(const jv *obj, const char *key); /* NULL if absent / not object */
void jv_del(jv *obj, const char *key);
/* Detach and return the value at key (NULL if absent). */
jv *jv_take(jv *obj, const char *key);

bool jv_equal(const jv *a, const jv *b);

/* A growable string. */
typedef struct {
    char *p;
    size_t n, cap;
} sbuf;
void sb_putn(sbuf *b, const char *s, size_t n);
void sb_puts(sbuf *b, const char *s);
void sb_putc(sbuf *b, char c);
void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *sb_steal(sbuf *b); /* NUL-terminated; the buffer is reset */
void sb_free(sbuf *b);

enum {
    JV_COMPACT = 0,
    JV_PRETTY = 1, /* two-space indentation, serde_json's to_string_pretty */
    JV_SORTED = 2  /* object keys in byte order (serde_json maps) */
};
void jv_write(const jv *v, int style, sbuf *out);
char *jv_to_string(const jv *v, int style); /* malloc'd */

/* Parse RFC 8259 JSON.  On failure returns NULL and writes a short reason
 * into err (at least 128 bytes). */
jv *jv_parse(const char *text, size_t len, char *err, size_t errcap);

/* Shortest round-trip decimal forms of a double.
 * fmt_f64_json: serde_json's form ("1.0", "0.1", "1e+16", "1.5e-7"); "null"
 *   for NaN / infinities.
 * fmt_f64_display: Rust's Display form ("1", "0.1", "10000000000000000",
 *   "NaN", "inf", "-inf").
 * buf must hold at least 360 bytes. */
void fmt_f64_json(double v, char *buf);
void fmt_f64_display(double v, char *buf);

#endif
