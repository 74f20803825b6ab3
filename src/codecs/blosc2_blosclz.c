/* BloscLZ, the default inner codec of c-blosc2 (a FastLZ derivative).
 *
 * Stream format (as c-blosc2's blosclz_decompress reads it):
 *  - The first byte is an instruction whose top three bits are a marker
 *    (the compressor sets bit 5); it is always a literal run.
 *  - Literal run: control byte c < 32, then c + 1 literal bytes.
 *  - Match: control byte c >= 32.  Length code L = c >> 5; when L == 7,
 *    extension bytes follow, each added to the length, until one is not
 *    255.  Then one distance byte d; the match copies (L - 1) + 3 + the
 *    extensions bytes from distance ((c & 31) << 8) + d + 1.  When
 *    (c & 31) == 31 and d == 255, a 16-bit big-endian distance D follows
 *    instead and the distance is D + 8191 + 1.
 *  - A match is only applied when another instruction follows it.
 *
 * The compressor must produce exactly the bytes c-blosc2 2.21.3 produces
 * (frames are compared byte for byte), so it follows the same parsing
 * decisions: the same hash (multiplicative, 4-byte little-endian reads),
 * the same entropy probe that gives up on poorly compressible input, the
 * same minimum match lengths and the same output-limit checks. */
#include <string.h>

#include "codecs/blosc2.h"
#include "common/endian.h"

#define MAX_COPY 32u
#define MAX_DISTANCE 8191u
#define MAX_FARDISTANCE (65535u + MAX_DISTANCE - 1u)
#define IPSHIFT 4
#define MINLEN 4

static inline uint32_t hash32(uint32_t v, unsigned hashlog) {
    return (uint32_t)(v * 2654435761u) >> (32u - hashlog);
}

/* The hash table holds positions.  Inputs of at most 65536 bytes (every
 * stream of c-blosc2's default blocks, and every probe) keep them in 16
 * bits, in the first half of the caller's table: half the bytes to clear
 * per stream, and a table that stays in L1.  The positions, hence the
 * output, are the same.  `small` is a constant in each caller's inlined
 * copy. */
typedef struct table {
    uint32_t *t32;
    uint16_t *t16;
    int small;
} table;

static inline size_t tab_get(table t, uint32_t h) { return t.small ? t.t16[h] : t.t32[h]; }

static inline void tab_put(table t, uint32_t h, size_t pos) {
    if (t.small) {
        t.t16[h] = (uint16_t)pos;
    } else {
        t.t32[h] = (uint32_t)pos;
    }
}

static inline void tab_clear(table t, unsigned hashlog) {
    memset(t.t32, 0, ((size_t)1 << hashlog) * (t.small ? sizeof *t.t16 : sizeof *t.t32));
}

/* One past the first position p in [ip, bound) where in[p] differs from
 * in[ref + (p - ip)], or bound when there is none.  (For a run, ref is
 * ip - 1 and this finds the end of the run.) */
static inline size_t match_end(const uint8_t *in, size_t ip, size_t bound, size_t ref) {
    while (ip + 8 <= bound) {
        uint64_t x = tgm__rd_le64(in + ip) ^ tgm__rd_le64(in + ref);
        if (x != 0) {
            return ip + (size_t)(__builtin_ctzll(x) >> 3) + 1;
        }
        ip += 8;
        ref += 8;
    }
    while (ip < bound) {
        if (in[ip] != in[ref]) {
            return ip + 1;
        }
        ip++;
        ref++;
    }
    return bound;
}

/* Estimated compression ratio of `maxlen` bytes at base: a dry run of the
 * parser over at most 1 << hashlog bytes that only counts output bytes. */
static double probe_ratio(const uint8_t *restrict base, int maxlen, unsigned hashlog,
                          uint32_t *restrict htab, double min_ratio) {
    int hashlen = 1 << hashlog;
    int limit = maxlen > hashlen ? hashlen : maxlen;
    long ip_bound = (long)limit - 1;
    long ip_limit = (long)limit - 12;
    long ip = 0;
    long oc = 5; /* the first literal run: control byte + 4 bytes */
    unsigned copy = 4;
    uint16_t *t16 = (uint16_t *)(void *)htab; /* limit <= 1 << 14: 16-bit positions */

    /* The run ends with ip <= limit - 3 and oc never decreases between
     * two literals, so once (limit - 3) / oc is below min_ratio the
     * estimate will be too (with a margin for the final division's
     * rounding): stop there, the caller's decision is the same. */
    const double top = (double)limit - 3.0, floor_ratio = 0.999 * min_ratio;

    memset(t16, 0, (size_t)hashlen * sizeof *t16);
    while (ip < ip_limit) {
        long anchor = ip;
        uint32_t cur = tgm__rd_le32(base + ip);
        uint32_t h = hash32(cur, hashlog);
        long ref = (long)t16[h];
        uint32_t distance = (uint32_t)(anchor - ref);
        t16[h] = (uint16_t)anchor;

        int literal = 0;
        if (distance - 1u >= MAX_FARDISTANCE - 1u) { /* 0, or too far */
            literal = 1;
        } else if (tgm__rd_le32(base + ref) != cur) {
            literal = 1;
        } else {
            distance--;
            ip = (long)match_end(base, (size_t)anchor + 4, (size_t)ip_bound, (size_t)ref + 4);
            ip -= IPSHIFT;
            long len = ip - anchor;
            if (len < MINLEN) {
                literal = 1;
            } else {
                if (copy == 0) {
                    oc--;
                }
                copy = 0;
                if (len >= 7) {
                    oc += (len - 7) / 255 + 1;
                }
                oc += (distance < MAX_DISTANCE) ? 2 : 4;
                h = hash32(tgm__rd_le32(base + ip), hashlog);
                t16[h] = (uint16_t)ip;
                ip += 2;
                oc++; /* the control byte of the next literal run */
            }
        }
        if (literal) {
            oc++;
            ip = anchor + 1;
            if (++copy == MAX_COPY) {
                copy = 0;
                oc++;
                if (top < floor_ratio * (double)oc) {
                    return 0.0;
                }
            }
        }
    }
    return (double)ip / (double)oc;
}

static inline int compress_body(int clevel, const uint8_t *restrict in, int length,
                                uint8_t *restrict out, int maxout, uint32_t *restrict htab,
                                const int small) {
    static const uint8_t hashlogs[10] = {0, 12, 13, 14, 14, 14, 14, 14, 14, 14};
    static const double min_ratio[10] = {0, 2, 1.5, 1.2, 1.2, 1.2, 1.2, 1.15, 1.1, 1.0};
    if (clevel < 1 || clevel > 9 || length < 0) {
        return 0;
    }
    unsigned hashlog = hashlogs[clevel];

    /* Entropy probing on the tail of the buffer: low levels look at less. */
    int maxlen = length;
    if (clevel < 2) {
        maxlen /= 8;
    } else if (clevel < 4) {
        maxlen /= 4;
    } else if (clevel < 7) {
        maxlen /= 2;
    }
    double ratio = probe_ratio(in + (length - maxlen), maxlen, hashlog, htab, min_ratio[clevel]);
    if (ratio < min_ratio[clevel]) {
        return 0;
    }
    if (length < 16 || maxout < 66) {
        return 0;
    }

    size_t ip = 0;
    size_t ip_bound = (size_t)length - 1;
    size_t ip_limit = (size_t)length - 12;
    size_t op = 0;
    size_t op_limit = (size_t)maxout;
    unsigned copy = 4;

    table t = {htab, (uint16_t *)(void *)htab, small};
    tab_clear(t, hashlog);
    out[op++] = MAX_COPY - 1;
    for (int k = 0; k < 4; k++) {
        out[op++] = in[ip++];
    }

    while (ip < ip_limit) {
        size_t anchor = ip;
        uint32_t cur = tgm__rd_le32(in + ip);
        uint32_t h = hash32(cur, hashlog);
        size_t ref = tab_get(t, h);
        uint32_t distance = (uint32_t)(anchor - ref);
        tab_put(t, h, anchor);

        int literal = 0;
        size_t len = 0;
        if (distance - 1u >= MAX_FARDISTANCE - 1u) { /* 0, or too far */
            literal = 1;
        } else if (tgm__rd_le32(in + ref) != cur) {
            literal = 1;
        } else {
            distance--;
            ip = match_end(in, anchor + 4, ip_bound, ref + 4) - IPSHIFT;
            len = ip - anchor;
            /* Short matches cost more to decode than they save. */
            if (len < MINLEN || (len <= 5 && distance >= MAX_DISTANCE)) {
                literal = 1;
            }
        }
        if (literal) {
            if (op + 2 > op_limit) {
                return 0;
            }
            out[op++] = in[anchor];
            ip = anchor + 1;
            if (++copy == MAX_COPY) {
                copy = 0;
                out[op++] = MAX_COPY - 1;
            }
            continue;
        }

        /* Close the pending literal run (its control byte was written
         * optimistically), or take that control byte back when empty. */
        if (copy != 0) {
            out[op - copy - 1] = (uint8_t)(copy - 1);
        } else {
            op--;
        }
        copy = 0;

        if (distance < MAX_DISTANCE) {
            if (len < 7) {
                if (op + 2 > op_limit) {
                    return 0;
                }
                out[op++] = (uint8_t)((len << 5) + (distance >> 8));
                out[op++] = (uint8_t)(distance & 255u);
            } else {
                if (op + 1 > op_limit) {
                    return 0;
                }
                out[op++] = (uint8_t)((7u << 5) + (distance >> 8));
                for (len -= 7; len >= 255; len -= 255) {
                    if (op + 1 > op_limit) {
                        return 0;
                    }
                    out[op++] = 255;
                }
                if (op + 2 > op_limit) {
                    return 0;
                }
                out[op++] = (uint8_t)len;
                out[op++] = (uint8_t)(distance & 255u);
            }
        } else {
            distance -= MAX_DISTANCE;
            if (len < 7) {
                if (op + 4 > op_limit) {
                    return 0;
                }
                out[op++] = (uint8_t)((len << 5) + 31u);
            } else {
                if (op + 1 > op_limit) {
                    return 0;
                }
                out[op++] = (uint8_t)((7u << 5) + 31u);
                for (len -= 7; len >= 255; len -= 255) {
                    if (op + 1 > op_limit) {
                        return 0;
                    }
                    out[op++] = 255;
                }
                if (op + 4 > op_limit) {
                    return 0;
                }
                out[op++] = (uint8_t)len;
            }
            out[op++] = 255;
            out[op++] = (uint8_t)(distance >> 8);
            out[op++] = (uint8_t)(distance & 255u);
        }

        /* Seed the hash at the match end (two positions at level 9). */
        uint32_t seq = tgm__rd_le32(in + ip);
        tab_put(t, hash32(seq, hashlog), ip);
        ip++;
        if (clevel == 9) {
            tab_put(t, hash32(seq >> 8, hashlog), ip);
        }
        ip++;

        if (op + 1 > op_limit) {
            return 0;
        }
        out[op++] = MAX_COPY - 1;
    }

    while (ip <= ip_bound) {
        if (op + 2 > op_limit) {
            return 0;
        }
        out[op++] = in[ip++];
        if (++copy == MAX_COPY) {
            copy = 0;
            out[op++] = MAX_COPY - 1;
        }
    }
    if (copy != 0) {
        out[op - copy - 1] = (uint8_t)(copy - 1);
    } else {
        op--;
    }
    out[0] |= 1u << 5;
    return (int)op;
}

int tgm__blosclz_compress(int clevel, const uint8_t *restrict in, int length, uint8_t *restrict out,
                          int maxout, uint32_t *restrict htab) {
    if (length >= 0 && length <= 65536) {
        return compress_body(clevel, in, length, out, maxout, htab, 1);
    }
    return compress_body(clevel, in, length, out, maxout, htab, 0);
}

int64_t tgm__blosclz_decompress(const uint8_t *in, size_t len, uint8_t *out, size_t maxout) {
    size_t ip = 0;
    size_t op = 0;
    if (len == 0) {
        return 0;
    }
    unsigned ctrl = in[ip++] & 31u;
    for (;;) {
        if (ctrl >= 32) {
            size_t mlen = (ctrl >> 5) - 1;
            size_t back = (size_t)(ctrl & 31u) << 8;
            unsigned code;
            if (mlen == 6) {
                do {
                    if (ip + 1 >= len) {
                        return -1;
                    }
                    code = in[ip++];
                    mlen += code;
                    if (mlen > maxout) {
                        return -1;
                    }
                } while (code == 255);
            } else if (ip + 1 >= len) {
                return -1;
            }
            code = in[ip++];
            mlen += 3;
            if (code == 255 && back == (31u << 8)) {
                if (ip + 1 >= len) {
                    return -1;
                }
                back = ((size_t)in[ip] << 8) + in[ip + 1] + MAX_DISTANCE;
                ip += 2;
            } else {
                back += code;
            }
            size_t dist = back + 1;
            if (mlen > maxout - op || dist > op) {
                return -1;
            }
            if (ip >= len) {
                break; /* a trailing match is not applied */
            }
            ctrl = in[ip++];
            uint8_t *d = out + op;
            const uint8_t *s = out + op - dist;
            if (dist == 1) {
                memset(d, *s, mlen);
            } else if (dist >= mlen) {
                memcpy(d, s, mlen);
            } else {
                /* Overlapping copy: copy in pieces of dist bytes, each of
                 * which reads only bytes already written. */
                size_t left = mlen;
                while (left > 0) {
                    size_t k = left < dist ? left : dist;
                    memcpy(d, s, k);
                    d += k;
                    s += k;
                    left -= k;
                }
            }
            op += mlen;
        } else {
            size_t run = (size_t)ctrl + 1;
            if (run > maxout - op || run > len - ip) {
                return -1;
            }
            memcpy(out + op, in + ip, run);
            op += run;
            ip += run;
            if (ip >= len) {
                break;
            }
            ctrl = in[ip++];
        }
    }
    return (int64_t)op;
}
