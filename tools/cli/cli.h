/* cli.h - shared declarations of the `tensogram` command-line tool.
 *
 * The tool is written over the public header only.  Each subcommand lives
 * in its own cmd_<name>.c file and exposes `int cmd_<name>(int argc, char
 * **argv, cli_globals *g)` (argv[0] is the command name; global options
 * found among the arguments update *g) returning the exit status:
 *   0  success
 *   1  runtime failure (bad input file, missing key, failed validation ...)
 *   2  usage error (unknown flag, missing argument, bad flag value)
 * Every failure prints exactly one line "error: ..." on stderr that names
 * the file, key or value concerned. */
#ifndef TGM_CLI_H
#define TGM_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <tensogram/tensogram.h>

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* ---- memory and messages (util.c) ----------------------------------------------- */

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xmemdup(const void *p, size_t n); /* NUL-terminated copy */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "warning: <message>" on stderr. */
void cli_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "error: <message>" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "error: <context>: <library detail>" for a failed library call. */
void cli_lib_error(tgm_error err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Usage error: prints "error: <message>" and a pointer to --help; returns 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

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

/* Write stdout's pending data; on failure report it and return false. */
bool cli_flush_stdout(void);

/* ---- JSON documents (jdoc.c) ------------------------------------------------------------
 * The library's documents (tgm_json_*) and cursors (tgm_value_*): a failure
 * that only a shortage of memory can cause ends the process, as xmalloc
 * does.  Handles follow the library's rules: growing a container makes
 * handles to its members stale. */

tgm_json_t *jdoc_new(void); /* root null */
/* A report or other JSON text the library produced, members in document
 * order; prints the error and returns NULL unless it is a JSON object. */
tgm_json_t *jdoc_parse(const char *text, size_t len, const char *what);
tgm_value_t *jroot(tgm_json_t *d);
tgm_value_t *jedit(tgm_json_t *d, const tgm_value_t *v);
tgm_value_t *jmember(tgm_json_t *d, tgm_value_t *map, const char *key, size_t klen);
tgm_value_t *jmemberc(tgm_json_t *d, tgm_value_t *map, const char *key);
tgm_value_t *jappend(tgm_json_t *d, tgm_value_t *array);
tgm_value_t *jset_map(tgm_json_t *d, tgm_value_t *v);        /* empty map; returns v */
tgm_value_t *jset_array(tgm_json_t *d, tgm_value_t *v);      /* empty array; returns v */
void jset_str(tgm_json_t *d, tgm_value_t *v, const char *s); /* s: UTF-8 */
void jset_u64(tgm_json_t *d, tgm_value_t *v, uint64_t u);
void jset_bool(tgm_json_t *d, tgm_value_t *v, bool b);
void jset_copy(tgm_json_t *d, tgm_value_t *v, const tgm_value_t *src); /* NULL: null */
void jremove(tgm_json_t *d, tgm_value_t *map, const char *key);
/* Member key[0..klen) of a map cursor (the first), or NULL. */
const tgm_value_t *jget(const tgm_value_t *map, const char *key, size_t klen);
/* Member `key` when it has the given kind, else NULL. */
const tgm_value_t *jget_kind(const tgm_value_t *map, const char *key, tgm_value_type kind);
/* The entry indexes of a map in key byte order (as the library prints
 * maps); malloc'd. */
size_t *jsorted(const tgm_value_t *map);
/* v as JSON (TGM_JSON_* flags), malloc'd; jprint adds a newline on stdout. */
char *jtext(const tgm_value_t *v, uint32_t flags);
void jprint(const tgm_value_t *v, uint32_t flags);

/* ---- global options (main.c) -------------------------------------------------------- */

typedef struct {
    uint32_t threads;
    bool allow_nan, allow_inf;
    const char *nan_mask_method, *pos_inf_mask_method, *neg_inf_mask_method;
    bool has_small_mask_threshold;
    size_t small_mask_threshold;
    bool strict; /* bytes outside complete messages are an error, not a warning */
} cli_globals;

/* Check the mask method names and fill the library's option struct.
 * Returns false (after printing the error) on an unknown method. */
bool cli_mask_options(const cli_globals *g, TgmEncodeMaskOptions *out);

/* ---- argument parsing (args.c) -------------------------------------------------------- */

typedef struct {
    char short_name;        /* 0 if none */
    const char *long_name;  /* NULL if none */
    const char *value_name; /* NULL for a flag without value */
} cli_optdef;

enum { CLI_MAX_OPTS = 12 };

typedef struct {
    const char *value[CLI_MAX_OPTS]; /* option values (NULL if absent) */
    bool present[CLI_MAX_OPTS];
    char **pos; /* positional arguments */
    size_t npos;
    bool help;
} cli_args;

/* Parse a subcommand's arguments (argv[0] is the subcommand name).  Global
 * options may appear anywhere and update *g.  Returns 0, or EXIT_USAGE after
 * printing the error.  out->pos points into a malloc'd array (free it). */
int cli_parse_args(const char *cmd, const cli_optdef *defs, size_t ndefs, int argc, char **argv,
                   cli_globals *g, cli_args *out);

/* cli_parse_args returns this after printing the help the user asked for. */
enum { CLI_HELP_SHOWN = -1 };

/* Apply the environment fallbacks of global options not given on the
 * command line (TENSOGRAM_THREADS, TENSOGRAM_ALLOW_NAN, ...).  Returns 0 or
 * EXIT_USAGE after printing the error.  Defined in main.c. */
int cli_apply_env(const char *cmd, cli_globals *g);

/* The --storage-option KEY=VALUE pairs given (for remote inputs). */
size_t cli_storage_options(const char *const **keys, const char *const **values);

/* Try to consume a global option at argv[*i]; returns 1 if consumed, 0 if
 * argv[*i] is not a global option, EXIT_USAGE (after printing) on a bad
 * value.  Defined in main.c. */
int cli_global_option(const char *cmd, int argc, char **argv, int *i, cli_globals *g);

/* ---- subcommand help (help.c) --------------------------------------------------------- */

void cli_print_main_help(FILE *out);
/* Print the help of a subcommand; false if the name is unknown. */
bool cli_print_command_help(const char *cmd, FILE *out);

/* ---- inputs (input.c) ------------------------------------------------------------------- */

/* A source of messages: a .tgm file (opened through the file API), a
 * remote URL (http(s)://, s3://, gs://, az://; read with range requests,
 * with the --storage-option pairs) or standard input ("-"), read into
 * memory and scanned. */
typedef struct {
    const char *name; /* as given on the command line */
    tgm_file_t *file;
    uint8_t *buf; /* standard input */
    size_t buf_len;
    tgm_scan_result_t *scan;
    size_t count;
    uint64_t size;
} cli_input;

/* Open and count messages; prints the error and returns false on failure.
 * Bytes that are not part of a complete message (a torn or truncated
 * message, garbage) are skipped with a warning naming their offset and
 * length, or are an error when `strict`. */
bool input_open(cli_input *in, const char *name, bool strict);
/* `name` is a stream (named pipe, character device, socket): it is read
 * whole, as standard input is. */
bool input_is_stream(const char *name);
void input_close(cli_input *in);
/* The bytes of message i.  *owned (free with tgm_bytes_free) receives a copy
 * when one was needed; *data points either into it or into the input. */
bool input_message(cli_input *in, size_t i, const uint8_t **data, size_t *len, tgm_bytes_t *owned);
bool input_metadata(cli_input *in, size_t i, tgm_metadata_t **out);
bool input_descriptors(cli_input *in, size_t i, tgm_message_t **out);

/* ---- outputs (output.c) ------------------------------------------------------------------ */

/* An output file written to a temporary file in the destination directory
 * and renamed into place by output_commit, so a failure never leaves a
 * partial file behind.  "-" is standard output: the bytes are held in an
 * anonymous temporary file and copied to stdout on commit. */
typedef struct {
    char *path;     /* final path, NULL for stdout */
    char *tmp_path; /* NULL for stdout */
    FILE *fp;
    bool failed;
} cli_output;

bool output_open(cli_output *o, const char *path);
bool output_write(cli_output *o, const void *data, size_t len);
/* The output's descriptor, for writers that write to it themselves (what
 * output_write buffered is flushed first); -1 after a failure (reported).
 * The bytes written there are committed or removed with the rest. */
int output_fd(cli_output *o);

/* Whole-file mappings that are read through at once are populated when
 * mapped: one pass of the kernel over the page tables instead of a fault
 * per few pages (a mapped 256 MiB .tgm read by to-tenbin: ~4x faster). */
#include <sys/mman.h>
#ifdef MAP_POPULATE
#define CLI_MAP_POPULATE MAP_POPULATE
#else
#define CLI_MAP_POPULATE 0
#endif
bool output_commit(cli_output *o);
void output_abort(cli_output *o);
const char *output_name(const cli_output *o);

/* Several outputs keyed by path (copy with placeholders, split): all are
 * committed together at the end, or all abandoned. */
typedef struct {
    cli_output *items;
    size_t n, cap;
} cli_output_set;

cli_output *output_set_get(cli_output_set *s, const char *path); /* opens on first use */
bool output_set_commit(cli_output_set *s);
void output_set_abort(cli_output_set *s);

/* An output name for item `index` of several: "[index]" in tmpl becomes the
 * zero-padded index; without it the index goes before the extension
 * (dir/out.tgm -> dir/out_0003.tgm).  malloc'd.  Defined in cmd_split.c. */
char *cli_expand_index(const char *tmpl, size_t index);

/* ---- progress (util.c) ---------------------------------------------------------------------- */

/* A progress bar on stderr for long operations: drawn only when stderr is a
 * terminal and the operation has run for more than half a second. */
typedef struct {
    const char *label;
    size_t total;
    double start;
    double last_draw;
    bool drawn;
    bool enabled;
} cli_progress;

void progress_start(cli_progress *p, const char *label, size_t total);
void progress_update(cli_progress *p, size_t done);
void progress_end(cli_progress *p);

/* ---- metadata helpers (meta.c) ----------------------------------------------------------- */

/* A -w filter: key=v1/v2 (any of) or key!=v1/v2 (none of). */
typedef struct {
    char *key;
    bool negate;
    char **values;
    size_t nvalues;
} where_clause;

/* Parse a where clause; prints the error and returns false when malformed. */
bool where_parse(const char *text, where_clause *w);
void where_free(where_clause *w);
bool where_matches(const tgm_metadata_t *meta, const where_clause *w);

/* The display string of a metadata key (the pseudo-key "version" is the
 * wire version), or NULL when absent.  malloc'd. */
char *meta_lookup_display(const tgm_metadata_t *meta, const char *key);

/* Split "a, b,c" at commas, trimming blanks around each key. */
char **split_keys(const char *text, size_t *n);
void free_strv(char **v, size_t n);

/* Check that base entries and _extra_ hold only values the JSON metadata
 * interface of the encoder carries unchanged; prints the error naming the
 * first offending key and returns false otherwise. */
bool meta_json_safe(const tgm_metadata_t *meta, const char *where);

/* ---- message rewriting (rewrite.c) ------------------------------------------------------- */

/* A message read for rewriting: its objects' descriptors and stored
 * payloads (tgm_decode_encoded) and its metadata (copied into a document),
 * with base padded to one entry per object and `_reserved_` removed (the
 * encoder writes it again). */
typedef struct {
    const uint8_t *buf; /* the message bytes; must outlive the source */
    size_t len;
    tgm_message_t *enc;
    tgm_json_t *doc;
    const tgm_value_t *base;  /* in doc: array, one map per data object */
    const tgm_value_t *extra; /* in doc: map (empty when the message has no _extra_) */
    size_t nobj;
    bool hashed; /* at least one object carries a hash */
    char *where; /* "'file' message i", for error messages */
} rw_source;

bool rw_source_load(rw_source *s, const uint8_t *buf, size_t len, const char *where);
void rw_source_free(rw_source *s);

/* A message to encode: its metadata document {"base": [...], "_extra_":
 * {...}, "descriptors": [...]} (edit through rw_base / rw_extra /
 * rw_descs), each object's payload coming from a source message. */
typedef struct {
    tgm_json_t *doc;
    const rw_source **src;
    size_t *idx;
    size_t nobj, cap;
} rw_message;

void rw_init(rw_message *m);
void rw_free(rw_message *m);
/* Append object i of s: its descriptor and a copy of its base entry. */
bool rw_add_object(rw_message *m, const rw_source *s, size_t i);
/* Handles to the sections of m's document (valid until the next
 * rw_add_object). */
tgm_value_t *rw_base(rw_message *m);
tgm_value_t *rw_extra(rw_message *m);
tgm_value_t *rw_descs(rw_message *m);

/* Encode m.  hash_algo: "xxh3" or NULL.  Payloads are written exactly as
 * stored when the library accepts them pre-encoded.  Otherwise (it refuses
 * compressed `encoding: none` payloads and payloads with NaN/Inf masks) the
 * objects are decoded and encoded again through their pipelines, as the
 * reference always does; the NaN/Inf global options then apply.  The
 * metadata of the result is read back and compared with what was asked. */
bool rw_encode(const rw_message *m, const char *hash_algo, const cli_globals *g, const char *where,
               tgm_bytes_t *out);

/* ---- subcommands ------------------------------------------------------------------------------
 */

int cmd_info(int argc, char **argv, cli_globals *g);
int cmd_ls(int argc, char **argv, cli_globals *g);
int cmd_dump(int argc, char **argv, cli_globals *g);
int cmd_get(int argc, char **argv, cli_globals *g);
int cmd_set(int argc, char **argv, cli_globals *g);
int cmd_copy(int argc, char **argv, cli_globals *g);
int cmd_merge(int argc, char **argv, cli_globals *g);
int cmd_split(int argc, char **argv, cli_globals *g);
int cmd_reshuffle(int argc, char **argv, cli_globals *g);
int cmd_validate(int argc, char **argv, cli_globals *g);
int cmd_doctor(int argc, char **argv, cli_globals *g);
int cmd_plot(int argc, char **argv, cli_globals *g);
/* Converters (cmd_convert.c, cmd_export.c; libtensogram_convert). */
int cmd_convert_grib(int argc, char **argv, cli_globals *g);
int cmd_convert_netcdf(int argc, char **argv, cli_globals *g);
int cmd_convert_tenbin(int argc, char **argv, cli_globals *g);
int cmd_to_grib(int argc, char **argv, cli_globals *g);
int cmd_to_netcdf(int argc, char **argv, cli_globals *g);
int cmd_to_tenbin(int argc, char **argv, cli_globals *g);

#endif
