/* Message sources: .tgm files through the file API, or standard input. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static const char *display(const cli_input *in) {
    return strcmp(in->name, "-") == 0 ? "<stdin>" : in->name;
}

static bool read_stdin(cli_input *in) {
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = xmalloc(cap);
    for (;;) {
        if (n == cap) {
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
        size_t got = fread(buf + n, 1, cap - n, stdin);
        n += got;
        if (got == 0) {
            break;
        }
    }
    if (ferror(stdin)) {
        cli_error("reading standard input: %s", strerror(errno));
        free(buf);
        return false;
    }
    in->buf = buf;
    in->buf_len = n;
    in->size = n;
    tgm_error e = tgm_scan(buf, n, &in->scan);
    if (e != TGM_ERROR_OK) {
        cli_lib_error(e, "scanning standard input");
        return false;
    }
    in->count = tgm_scan_count(in->scan);
    return true;
}

static bool layout(cli_input *in, size_t i, uint64_t *off, uint64_t *len) {
    if (in->file == NULL) {
        tgm_scan_entry_t e = tgm_scan_entry(in->scan, i);
        *off = e.offset;
        *len = e.length;
        return true;
    }
    tgm_error e = tgm_file_message_layout(in->file, i, off, len);
    if (e != TGM_ERROR_OK) {
        cli_lib_error(e, "'%s' message %zu", display(in), i);
        return false;
    }
    return true;
}

/* Scanning skips bytes that are not part of a complete message.  The tool
 * works on the complete messages, as the reference's readers do, but says
 * what it skipped (offset and length of each region); in strict mode such
 * input is refused.  `validate` gives details. */
static bool check_coverage(cli_input *in, bool strict) {
    uint64_t pos = 0;
    for (size_t i = 0; i <= in->count; i++) {
        uint64_t off = in->size, len = 0;
        if (i < in->count && !layout(in, i, &off, &len)) {
            return false;
        }
        if (off > pos) {
            bool tail = i == in->count && in->count > 0;
            const char *what =
                tail ? "follow the last complete message" : "are not part of a complete message";
            if (strict) {
                cli_error("'%s': %llu bytes at offset %llu %s (truncated or corrupt file; "
                          "'tensogram validate' gives details)",
                          display(in), (unsigned long long)(off - pos), (unsigned long long)pos,
                          what);
                return false;
            }
            cli_warning("'%s': %llu bytes at offset %llu %s (%s; skipped; 'tensogram validate' "
                        "gives details, --strict refuses such input)",
                        display(in), (unsigned long long)(off - pos), (unsigned long long)pos, what,
                        tail ? "truncated or torn" : "torn or corrupt");
        }
        pos = off + len;
    }
    return true;
}

bool input_open(cli_input *in, const char *name, bool strict) {
    memset(in, 0, sizeof *in);
    in->name = name;
    if (strcmp(name, "-") == 0) {
        if (!read_stdin(in)) {
            return false;
        }
        return check_coverage(in, strict);
    }
    struct stat st;
    if (stat(name, &st) != 0) {
        cli_error("cannot open '%s': %s", name, strerror(errno));
        return false;
    }
    if (S_ISDIR(st.st_mode)) {
        cli_error("cannot open '%s': it is a directory", name);
        return false;
    }
    tgm_error e = tgm_file_open(name, &in->file);
    if (e != TGM_ERROR_OK) {
        cli_lib_error(e, "cannot open '%s'", name);
        return false;
    }
    e = tgm_file_message_count(in->file, &in->count);
    if (e != TGM_ERROR_OK) {
        cli_lib_error(e, "cannot read '%s'", name);
        return false;
    }
    in->size = (uint64_t)st.st_size;
    return check_coverage(in, strict);
}

void input_close(cli_input *in) {
    if (in->file != NULL) {
        tgm_file_close(in->file);
    }
    if (in->scan != NULL) {
        tgm_scan_free(in->scan);
    }
    free(in->buf);
    memset(in, 0, sizeof *in);
}

bool input_message(cli_input *in, size_t i, const uint8_t **data, size_t *len, tgm_bytes_t *owned) {
    owned->data = NULL;
    owned->len = 0;
    if (in->file == NULL) {
        tgm_scan_entry_t e = tgm_scan_entry(in->scan, i);
        *data = in->buf + e.offset;
        *len = e.length;
        return true;
    }
    tgm_error e = tgm_file_read_message(in->file, i, owned);
    if (e != TGM_ERROR_OK) {
        cli_lib_error(e, "'%s' message %zu", display(in), i);
        return false;
    }
    *data = owned->data;
    *len = owned->len;
    return true;
}

bool input_metadata(cli_input *in, size_t i, tgm_metadata_t **out) {
    tgm_error e;
    if (in->file != NULL) {
        e = tgm_file_decode_metadata(in->file, i, out);
    } else {
        tgm_scan_entry_t s = tgm_scan_entry(in->scan, i);
        e = tgm_decode_metadata(in->buf + s.offset, s.length, out);
    }
    if (e != TGM_ERROR_OK) {
        cli_lib_error(e, "'%s' message %zu", display(in), i);
        return false;
    }
    return true;
}

bool input_descriptors(cli_input *in, size_t i, tgm_message_t **out) {
    tgm_error e;
    if (in->file != NULL) {
        e = tgm_file_decode_descriptors(in->file, i, out);
    } else {
        tgm_scan_entry_t s = tgm_scan_entry(in->scan, i);
        e = tgm_decode_descriptors(in->buf + s.offset, s.length, out);
    }
    if (e != TGM_ERROR_OK) {
        cli_lib_error(e, "'%s' message %zu", display(in), i);
        return false;
    }
    return true;
}
