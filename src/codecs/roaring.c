/* Roaring bitmaps in the portable serialisation format (WIRE_FORMAT §8;
 * https://github.com/RoaringBitmap/RoaringFormatSpec).
 *
 * Layout (all integers little-endian):
 *   cookie    u32 12346, then u32 container count          (no run containers)
 *          or u16 12347, u16 count-1, then ceil(count/8) bytes
 *             flagging run containers (bit i%8 of byte i/8)
 *   for each container: u16 key (high 16 bits), u16 cardinality-1
 *   offsets   u32 per container, byte position from the cookie; present
 *             with the 12346 cookie, or with 12347 when count >= 4
 *   containers, in key order:
 *     array   (card <= 4096, not run)  card x u16 sorted values
 *     bitmap  (card >  4096, not run)  1024 x u64, value j = bit j%64 of word j/64
 *     run     u16 run count, then (u16 start, u16 length-1) per run
 *
 * The encoder reproduces the reference writer (the Rust `roaring` crate,
 * v0.11): positions are inserted one by one, so a container is an array up
 * to 4096 values and a bitmap beyond; then `optimize()` turns an array into
 * a run container when 2 + 4*runs < 2*card, and a bitmap when
 * 2 + 4*runs < 8192; empty 64Ki ranges have no container. */
#include <inttypes.h>
#include <string.h>

#include "codecs/bitmask_codecs.h"
#include "codecs/codec.h"
#include "common/alloc.h"
#include "common/endian.h"
#include "common/error.h"

#define COOKIE_NO_RUN 12346u
#define COOKIE_RUN 12347u
#define NO_OFFSET_THRESHOLD 4u
#define ARRAY_LIMIT 4096u
#define CONTAINER_BITS 65536u
#define BITMAP_WORDS 1024u
#define BITMAP_BYTES 8192u
#define MAX_CONTAINERS 65536u

enum { C_ARRAY = 0, C_BITMAP = 1, C_RUN = 2 };

typedef struct cinfo {
    uint32_t key;
    uint32_t card;
    uint32_t runs;
    uint32_t type;
} cinfo;

/* Reverse the bit order inside each byte: packed masks are MSB-first,
 * roaring bitmaps LSB-first. */
static uint64_t rev_bits_in_bytes(uint64_t x) {
    x = ((x >> 1) & 0x5555555555555555ull) | ((x & 0x5555555555555555ull) << 1);
    x = ((x >> 2) & 0x3333333333333333ull) | ((x & 0x3333333333333333ull) << 2);
    x = ((x >> 4) & 0x0F0F0F0F0F0F0F0Full) | ((x & 0x0F0F0F0F0F0F0F0Full) << 4);
    return x;
}

static uint8_t rev8(uint8_t b) { return (uint8_t)rev_bits_in_bytes(b); }

/* --- encoder ------------------------------------------------------------- */

/* The bits of container `key` as 1024 LSB-first words; positions at or
 * beyond n_bits read as zero. */
static void load_container(const uint8_t *bits, uint64_t n_bits, uint32_t key, uint64_t *w) {
    uint64_t first = (uint64_t)key * CONTAINER_BITS;
    uint64_t avail = n_bits - first;
    const uint8_t *p = bits + first / 8;
    if (avail >= CONTAINER_BITS) {
        for (unsigned i = 0; i < BITMAP_WORDS; i++) {
            w[i] = rev_bits_in_bytes(tgm__rd_le64(p + 8 * i));
        }
        return;
    }
    uint8_t tmp[BITMAP_BYTES];
    size_t nb = (size_t)tgm__bits_nbytes(avail);
    memcpy(tmp, p, nb);
    memset(tmp + nb, 0, BITMAP_BYTES - nb);
    if (avail % 8 != 0) {
        tmp[nb - 1] &= (uint8_t)(0xFFu << (8 - avail % 8));
    }
    for (unsigned i = 0; i < BITMAP_WORDS; i++) {
        w[i] = rev_bits_in_bytes(tgm__rd_le64(tmp + 8 * i));
    }
}

static uint32_t count_card(const uint64_t *w) {
    uint32_t c = 0;
    for (unsigned i = 0; i < BITMAP_WORDS; i++) {
        c += (uint32_t)__builtin_popcountll(w[i]);
    }
    return c;
}

/* Number of maximal runs of ones: count the ones followed by a zero (or by
 * the end of the container). */
static uint32_t count_runs(const uint64_t *w) {
    uint32_t r = 0;
    for (unsigned i = 0; i + 1 < BITMAP_WORDS; i++) {
        uint64_t x = w[i];
        r += (uint32_t)__builtin_popcountll((x << 1) & ~x) + (uint32_t)((x >> 63) & ~w[i + 1] & 1);
    }
    uint64_t last = w[BITMAP_WORDS - 1];
    r += (uint32_t)__builtin_popcountll((last << 1) & ~last) + (uint32_t)(last >> 63);
    return r;
}

/* Next position >= p holding a one (want = 1) or a zero (want = 0), or
 * CONTAINER_BITS. */
static uint32_t next_bit(const uint64_t *w, uint32_t p, int want) {
    while (p < CONTAINER_BITS) {
        unsigned i = p >> 6;
        uint64_t x = (want ? w[i] : ~w[i]) >> (p & 63);
        if (x != 0) {
            return p + (uint32_t)__builtin_ctzll(x);
        }
        p = (i + 1) << 6;
    }
    return CONTAINER_BITS;
}

static size_t container_bytes(const cinfo *c) {
    switch (c->type) {
    case C_ARRAY:
        return 2 * (size_t)c->card;
    case C_BITMAP:
        return BITMAP_BYTES;
    default:
        return 2 + 4 * (size_t)c->runs;
    }
}

static void write_container(uint8_t *o, const cinfo *c, const uint64_t *w) {
    if (c->type == C_BITMAP) {
        for (unsigned i = 0; i < BITMAP_WORDS; i++) {
            tgm__wr_le64(o + 8 * i, w[i]);
        }
    } else if (c->type == C_ARRAY) {
        for (unsigned i = 0; i < BITMAP_WORDS; i++) {
            uint64_t x = w[i];
            while (x != 0) {
                tgm__wr_le16(o, (uint16_t)(i * 64 + (unsigned)__builtin_ctzll(x)));
                o += 2;
                x &= x - 1;
            }
        }
    } else {
        tgm__wr_le16(o, (uint16_t)c->runs);
        o += 2;
        uint32_t p = 0;
        for (;;) {
            uint32_t s = next_bit(w, p, 1);
            if (s >= CONTAINER_BITS) {
                break;
            }
            uint32_t e = next_bit(w, s, 0); /* exclusive */
            tgm__wr_le16(o, (uint16_t)s);
            tgm__wr_le16(o + 2, (uint16_t)(e - 1 - s));
            o += 4;
            p = e;
        }
    }
}

tgm_error tgm__roaring_encode(const uint8_t *bits, uint64_t n_bits, tgm_buf *out) {
    TGM_RETURN_IF(n_bits > UINT32_MAX, TGM_ERROR_ENCODING,
                  "malformed mask payload: roaring mask length %" PRIu64
                  " exceeds u32::MAX addressable positions",
                  n_bits);
    tgm_error err = TGM_ERROR_OK;
    uint32_t nkeys = (uint32_t)((n_bits + CONTAINER_BITS - 1) / CONTAINER_BITS);
    cinfo *info = NULL;
    uint64_t *w = tgm__malloc(BITMAP_BYTES);
    if (w == NULL) {
        return tgm__oom(BITMAP_BYTES, "roaring container scratch");
    }
    if (nkeys > 0) {
        info = tgm__malloc_array(nkeys, sizeof *info);
        if (info == NULL) {
            err = tgm__oom((size_t)nkeys * sizeof *info, "roaring container table");
            goto cleanup;
        }
    }

    /* Pass 1: which containers exist, their type and size. */
    uint32_t size = 0;
    int has_runs = 0;
    size_t body = 0;
    for (uint32_t key = 0; key < nkeys; key++) {
        load_container(bits, n_bits, key, w);
        uint32_t card = count_card(w);
        if (card == 0) {
            continue;
        }
        cinfo *c = &info[size++];
        c->key = key;
        c->card = card;
        c->runs = count_runs(w);
        size_t as_run = 2 + 4 * (size_t)c->runs;
        if (card <= ARRAY_LIMIT) {
            c->type = as_run < 2 * (size_t)card ? C_RUN : C_ARRAY;
        } else {
            c->type = as_run < BITMAP_BYTES ? C_RUN : C_BITMAP;
        }
        has_runs |= c->type == C_RUN;
        body += container_bytes(c);
    }

    /* Header. */
    size_t run_flag_bytes = has_runs ? (size + 7) / 8 : 0;
    int has_offsets = !has_runs || size >= NO_OFFSET_THRESHOLD;
    size_t header = (has_runs ? 4 + run_flag_bytes : 8) + 4 * (size_t)size +
                    (has_offsets ? 4 * (size_t)size : 0);
    uint8_t *o = NULL;
    TGM_CHECK(tgm__buf_extend(out, header + body, &o));
    if (has_runs) {
        tgm__wr_le32(o, COOKIE_RUN | ((size - 1) << 16));
        memset(o + 4, 0, run_flag_bytes);
        for (uint32_t i = 0; i < size; i++) {
            if (info[i].type == C_RUN) {
                o[4 + i / 8] |= (uint8_t)(1u << (i % 8));
            }
        }
        o += 4 + run_flag_bytes;
    } else {
        tgm__wr_le32(o, COOKIE_NO_RUN);
        tgm__wr_le32(o + 4, size);
        o += 8;
    }
    for (uint32_t i = 0; i < size; i++) {
        tgm__wr_le16(o, (uint16_t)info[i].key);
        tgm__wr_le16(o + 2, (uint16_t)(info[i].card - 1));
        o += 4;
    }
    if (has_offsets) {
        size_t off = header;
        for (uint32_t i = 0; i < size; i++) {
            tgm__wr_le32(o, (uint32_t)off);
            o += 4;
            off += container_bytes(&info[i]);
        }
    }

    /* Pass 2: the containers. */
    for (uint32_t i = 0; i < size; i++) {
        load_container(bits, n_bits, info[i].key, w);
        write_container(o, &info[i], w);
        o += container_bytes(&info[i]);
    }

cleanup:
    tgm__free(info);
    tgm__free(w);
    return err;
}

/* --- decoder ------------------------------------------------------------- */

#define RFAIL(...) tgm__fail(TGM_ERROR_COMPRESSION, "Roaring decode error: " __VA_ARGS__)

static tgm_error out_of_range(uint64_t pos, uint64_t n_bits) {
    return tgm__fail(TGM_ERROR_COMPRESSION,
                     "malformed mask payload: roaring mask has key %" PRIu64 " but only %" PRIu64
                     " elements declared",
                     pos, n_bits);
}

static tgm_error decode_array(const uint8_t *c, uint32_t key, uint32_t card, uint64_t n_bits,
                              uint8_t *dst) {
    uint64_t base = (uint64_t)key * CONTAINER_BITS;
    uint32_t prev = 0;
    for (uint32_t i = 0; i < card; i++) {
        uint32_t v = tgm__rd_le16(c + 2 * (size_t)i);
        if (i > 0 && v <= prev) {
            return RFAIL("array container %" PRIu32 ": value %" PRIu32 " at index %" PRIu32
                         " is not greater than %" PRIu32,
                         key, v, i, prev);
        }
        prev = v;
        if (base + v >= n_bits) {
            return out_of_range(base + v, n_bits);
        }
        tgm__bits_set(dst, base + v);
    }
    return TGM_ERROR_OK;
}

static tgm_error decode_bitmap(const uint8_t *c, uint32_t key, uint32_t card, uint64_t n_bits,
                               uint8_t *dst) {
    uint64_t base = (uint64_t)key * CONTAINER_BITS;
    uint64_t pop = 0;
    for (unsigned i = 0; i < BITMAP_WORDS; i++) {
        pop += (uint64_t)__builtin_popcountll(tgm__rd_le64(c + 8 * i));
    }
    if (pop != card) {
        return RFAIL("bitmap container %" PRIu32 " holds %" PRIu64
                     " values but its header says %" PRIu32,
                     key, pop, card);
    }
    /* Positions base + limit.. must be empty (limit < 65536 only for the
     * container covering the end of the mask). */
    uint64_t limit = n_bits - base < CONTAINER_BITS ? n_bits - base : CONTAINER_BITS;
    for (uint64_t j = limit / 8; j < BITMAP_BYTES; j++) {
        uint8_t b = c[j];
        if (j == limit / 8) {
            b &= (uint8_t) ~((1u << (limit % 8)) - 1u);
        }
        if (b != 0) {
            return out_of_range(base + 8 * j + (uint64_t)__builtin_ctz(b), n_bits);
        }
    }
    size_t nb = (size_t)tgm__bits_nbytes(limit);
    uint8_t *d = dst + base / 8;
    for (size_t j = 0; j < nb; j++) {
        d[j] = rev8(c[j]);
    }
    return TGM_ERROR_OK;
}

static tgm_error decode_runs(const uint8_t *c, uint32_t nruns, uint32_t key, uint32_t card,
                             uint64_t n_bits, uint8_t *dst) {
    uint64_t base = (uint64_t)key * CONTAINER_BITS;
    uint64_t total = 0;
    uint32_t prev_end = 0;
    for (uint32_t r = 0; r < nruns; r++) {
        uint32_t s = tgm__rd_le16(c + 4 * (size_t)r);
        uint32_t len1 = tgm__rd_le16(c + 4 * (size_t)r + 2);
        uint32_t e = s + len1; /* inclusive */
        if (e >= CONTAINER_BITS) {
            return RFAIL("run container %" PRIu32 ": run %" PRIu32 " (start %" PRIu32
                         ", length %" PRIu32 ") passes the end of the container",
                         key, r, s, len1 + 1);
        }
        if (r > 0 && s <= prev_end + 1) {
            return RFAIL("run container %" PRIu32 ": run %" PRIu32 " starts at %" PRIu32
                         ", overlapping or touching the previous run ending at %" PRIu32,
                         key, r, s, prev_end);
        }
        if (base + e >= n_bits) {
            return out_of_range(base + (base + s >= n_bits ? s : n_bits - base), n_bits);
        }
        prev_end = e;
        total += (uint64_t)len1 + 1;
    }
    if (total != card) {
        return RFAIL("run container %" PRIu32 " holds %" PRIu64
                     " values but its header says %" PRIu32,
                     key, total, card);
    }
    for (uint32_t r = 0; r < nruns; r++) {
        uint32_t s = tgm__rd_le16(c + 4 * (size_t)r);
        uint32_t len1 = tgm__rd_le16(c + 4 * (size_t)r + 2);
        tgm__bits_set_range(dst, base + s, (uint64_t)len1 + 1);
    }
    return TGM_ERROR_OK;
}

tgm_error tgm__roaring_decode(const uint8_t *src, size_t n, uint64_t n_bits, uint8_t *dst) {
    TGM_RETURN_IF(n_bits > UINT32_MAX, TGM_ERROR_ENCODING,
                  "malformed mask payload: roaring mask length %" PRIu64
                  " exceeds u32::MAX addressable positions",
                  n_bits);
    if (n < 4) {
        return RFAIL("blob of %zu bytes is too short for the 4-byte cookie", n);
    }
    uint32_t cookie = tgm__rd_le32(src);
    uint32_t size;
    size_t pos;
    const uint8_t *run_flags = NULL;
    int has_offsets;
    if (cookie == COOKIE_NO_RUN) {
        if (n < 8) {
            return RFAIL("blob of %zu bytes is too short for the container count", n);
        }
        uint32_t count = tgm__rd_le32(src + 4);
        if (count > MAX_CONTAINERS) {
            return RFAIL("container count %" PRIu32 " exceeds 65536", count);
        }
        size = count;
        pos = 8;
        has_offsets = 1;
    } else if ((cookie & 0xFFFFu) == COOKIE_RUN) {
        size = (cookie >> 16) + 1;
        size_t flag_bytes = (size + 7) / 8;
        if (n - 4 < flag_bytes) {
            return RFAIL("blob of %zu bytes is too short for %" PRIu32 " run-container flags", n,
                         size);
        }
        run_flags = src + 4;
        pos = 4 + flag_bytes;
        has_offsets = size >= NO_OFFSET_THRESHOLD;
    } else {
        return RFAIL("unknown cookie value 0x%08" PRIx32, cookie);
    }

    size_t desc_bytes = 4 * (size_t)size;
    size_t off_bytes = has_offsets ? desc_bytes : 0;
    if (n - pos < desc_bytes + off_bytes) {
        return RFAIL("blob of %zu bytes is too short for the headers of %" PRIu32
                     " containers (%zu bytes from byte %zu)",
                     n, size, desc_bytes + off_bytes, pos);
    }
    const uint8_t *desc = src + pos;
    const uint8_t *offsets = has_offsets ? src + pos + desc_bytes : NULL;
    pos += desc_bytes + off_bytes;

    memset(dst, 0, (size_t)tgm__bits_nbytes(n_bits));
    uint32_t prev_key = 0;
    for (uint32_t i = 0; i < size; i++) {
        uint32_t key = tgm__rd_le16(desc + 4 * (size_t)i);
        uint32_t card = (uint32_t)tgm__rd_le16(desc + 4 * (size_t)i + 2) + 1;
        if (i > 0 && key <= prev_key) {
            return RFAIL("container keys are not sorted: key %" PRIu32 " at index %" PRIu32
                         " follows %" PRIu32,
                         key, i, prev_key);
        }
        prev_key = key;
        if ((uint64_t)key * CONTAINER_BITS >= n_bits) {
            return out_of_range((uint64_t)key * CONTAINER_BITS, n_bits);
        }
        if (offsets != NULL && tgm__rd_le32(offsets + 4 * (size_t)i) != pos) {
            return RFAIL("offset of container %" PRIu32 " is %" PRIu32 " but it starts at byte %zu",
                         i, tgm__rd_le32(offsets + 4 * (size_t)i), pos);
        }
        int is_run = run_flags != NULL && ((run_flags[i / 8] >> (i % 8)) & 1);
        tgm_error err;
        if (is_run) {
            if (n - pos < 2) {
                return RFAIL("run container %" PRIu32 " truncated at byte %zu", key, pos);
            }
            uint32_t nruns = tgm__rd_le16(src + pos);
            if (nruns == 0) {
                return RFAIL("run container %" PRIu32 " with zero runs", key);
            }
            if ((n - pos - 2) / 4 < nruns) {
                return RFAIL("run container %" PRIu32 " with %" PRIu32
                             " runs truncated at byte %zu",
                             key, nruns, pos);
            }
            err = decode_runs(src + pos + 2, nruns, key, card, n_bits, dst);
            pos += 2 + 4 * (size_t)nruns;
        } else if (card <= ARRAY_LIMIT) {
            if ((n - pos) / 2 < card) {
                return RFAIL("array container %" PRIu32 " with %" PRIu32
                             " values truncated at byte %zu",
                             key, card, pos);
            }
            err = decode_array(src + pos, key, card, n_bits, dst);
            pos += 2 * (size_t)card;
        } else {
            if (n - pos < BITMAP_BYTES) {
                return RFAIL("bitmap container %" PRIu32 " truncated at byte %zu", key, pos);
            }
            err = decode_bitmap(src + pos, key, card, n_bits, dst);
            pos += BITMAP_BYTES;
        }
        TGM_TRY(err);
    }
    if (pos != n) {
        return RFAIL("%zu trailing bytes after the last container (blob of %zu bytes)", n - pos, n);
    }
    return TGM_ERROR_OK;
}

/* --- dtype=bitmask codec: [u32 BE bit count][roaring blob] (bitmask_codecs.c) */

#ifdef TGM_HAVE_ROARING
TGM_BITMASK_PREFIXED_CODEC(roaring, "roaring", "Roaring", tgm__roaring_encode, tgm__roaring_decode)
#endif

/* No bound on expansion: a run container covers 65536 bits in 4 bytes. */
const tgm_codec tgm__codec_roaring = {
    .name = "roaring",
    .dtypes = TGM_DTYPE_BIT(TGM_DT_BITMASK),
#ifdef TGM_HAVE_ROARING
    .compress = roaring_compress,
    .decompress = roaring_decompress,
#endif
};
