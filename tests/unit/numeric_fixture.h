/* numeric_fixture.h - read the reference's pipeline fixtures
 * (shared/reference/codecs/NAME.{in.bin,out.bin,tgm}) for the numeric codec
 * tests without depending on the message or CBOR modules.
 *
 * A message is a 24-byte preamble followed by 8-byte-aligned frames; each
 * frame starts "FR", type u16, version u16, flags u16, total_length u64 (big
 * endian).  A data-object frame (type 9) ends with cbor_offset u64, hash u64
 * and "ENDF"; with flag bit 0 set its payload runs from frame offset 16 to
 * cbor_offset and the CBOR descriptor from cbor_offset to frame_end - 20.
 * Descriptor values are looked up by scanning for the text key and decoding
 * the item after it (ints and floats only), which is enough for these
 * fixtures. */
#ifndef NUMERIC_FIXTURE_H
#define NUMERIC_FIXTURE_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tt.h"

typedef struct {
    unsigned char *in; /* NAME.in.bin */
    size_t in_len;
    unsigned char *out; /* NAME.out.bin (little endian) */
    size_t out_len;
    unsigned char *msg; /* NAME.tgm */
    size_t msg_len;
    const unsigned char *payload;
    size_t payload_len;
    const unsigned char *desc; /* CBOR descriptor */
    size_t desc_len;
} nf_case;

static uint64_t nf_be(const unsigned char *p, int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; i++) {
        v = (v << 8) | p[i];
    }
    return v;
}

static void nf_free(nf_case *c) {
    free(c->in);
    free(c->out);
    free(c->msg);
    memset(c, 0, sizeof *c);
}

/* Directory of the pipeline fixtures, or NULL when it has no manifest. */
static const char *nf_dir(void) {
    static char buf[4096];
    char probe[4200];
    const char *root = tt_shared_dir();
    if (root == NULL) {
        return NULL;
    }
    snprintf(buf, sizeof buf, "%s/codecs", root);
    snprintf(probe, sizeof probe, "%s/MANIFEST.json", buf);
    FILE *f = fopen(probe, "rb");
    if (f == NULL) {
        return NULL;
    }
    fclose(f);
    return buf;
}

/* Load fixture NAME from directory `dir`; returns 0 on success. */
static int nf_load_from(const char *dir, const char *name, nf_case *c) {
    char path[4200];
    memset(c, 0, sizeof *c);
    if (dir == NULL) {
        return -1;
    }
    snprintf(path, sizeof path, "%s/%s.in.bin", dir, name);
    c->in = tt_read_file(path, &c->in_len);
    snprintf(path, sizeof path, "%s/%s.out.bin", dir, name);
    c->out = tt_read_file(path, &c->out_len);
    snprintf(path, sizeof path, "%s/%s.tgm", dir, name);
    c->msg = tt_read_file(path, &c->msg_len);
    if (c->msg == NULL || c->in == NULL || c->out == NULL) {
        nf_free(c);
        return -1;
    }
    size_t pos = 24;
    while (pos + 16 <= c->msg_len && memcmp(c->msg + pos, "FR", 2) == 0) {
        unsigned type = (unsigned)nf_be(c->msg + pos + 2, 2);
        unsigned flags = (unsigned)nf_be(c->msg + pos + 6, 2);
        uint64_t total = nf_be(c->msg + pos + 8, 8);
        if (total < 36 || total > c->msg_len - pos) {
            break;
        }
        if (type == 9) {
            const unsigned char *fr = c->msg + pos;
            uint64_t cbor_off = nf_be(fr + total - 20, 8);
            if (!(flags & 1) || cbor_off < 16 || cbor_off > total - 20) {
                break;
            }
            c->payload = fr + 16;
            c->payload_len = (size_t)cbor_off - 16;
            c->desc = fr + cbor_off;
            c->desc_len = (size_t)(total - 20 - cbor_off);
            return 0;
        }
        pos = (size_t)((pos + total + 7) & ~(uint64_t)7);
    }
    nf_free(c);
    return -1;
}

/* Load fixture NAME from the pipeline fixtures; returns 0 on success. */
static inline int nf_load(const char *name, nf_case *c) { return nf_load_from(nf_dir(), name, c); }

static double nf_half(unsigned h) {
    int e = (int)((h >> 10) & 31);
    double m = (double)(h & 1023);
    double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(m + 1024, e - 25);
    return (h & 0x8000) ? -v : v;
}

/* Find key `key` in the descriptor and decode a number after it.
 * Returns 0 and sets *out on success. */
static int nf_desc_num(const nf_case *c, const char *key, double *out) {
    size_t kl = strlen(key);
    for (size_t i = 0; i + 1 + kl < c->desc_len; i++) {
        if (c->desc[i] != (0x60 | kl) || memcmp(c->desc + i + 1, key, kl) != 0) {
            continue;
        }
        const unsigned char *v = c->desc + i + 1 + kl;
        size_t left = c->desc_len - (i + 1 + kl);
        unsigned ib = v[0], mt = ib >> 5, ai = ib & 31;
        if (mt == 7) {
            if (ai == 27 && left >= 9) {
                uint64_t u = nf_be(v + 1, 8);
                memcpy(out, &u, 8);
                return 0;
            }
            if (ai == 26 && left >= 5) {
                uint32_t u = (uint32_t)nf_be(v + 1, 4);
                float f;
                memcpy(&f, &u, 4);
                *out = f;
                return 0;
            }
            if (ai == 25 && left >= 3) {
                *out = nf_half((unsigned)nf_be(v + 1, 2));
                return 0;
            }
            return -1;
        }
        if (mt == 0 || mt == 1) {
            uint64_t a;
            if (ai < 24) {
                a = ai;
            } else if (ai >= 24 && ai <= 27 && left >= 1 + (1u << (ai - 24))) {
                a = nf_be(v + 1, 1 << (ai - 24));
            } else {
                return -1;
            }
            *out = mt == 0 ? (double)a : -1.0 - (double)a;
            return 0;
        }
        return -1;
    }
    return -1;
}

#endif
