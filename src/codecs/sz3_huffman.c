/* SZ3's Huffman coder for integer bins, bit-compatible with SZ3 3.3.2.
 *
 * The tree.  Symbols are "states", bin - offset where offset is the
 * smallest bin.  Leaves for the states that occur are pushed, in increasing
 * state order, into a 1-based binary min-heap keyed on frequency; then the
 * two smallest are popped (first becomes the left child) and their parent
 * pushed, until one node is left.  Which of two equal frequencies pops first
 * depends on the heap's exact sift rules (push: stop at a parent whose
 * frequency is <= the new one; pop: move the last entry to the top and sift
 * it down towards the child with the strictly smaller frequency, preferring
 * the left one, while it is strictly larger), so they are reproduced here
 * exactly: the codes, and so the stream, depend on them.  A left edge is a
 * 0 bit, a right edge a 1 bit; codes are written most significant bit
 * first.  With a single state the tree is one leaf and every code is empty.
 *
 * Saved tree: i32 offset (little-endian), u32 node count and u32 (state
 * count / 2) (both big-endian), then the nodes numbered in preorder: one
 * byte 0, left-child indices, right-child indices (0 = none; 1, 2 or 4
 * bytes each as the node count is <= 256, <= 65536 or larger), i32 leaf
 * states (internal nodes 0), and one leaf flag byte per node.
 *
 * Encoded bins: u64 byte count, then the codes packed MSB first, the last
 * byte padded with zero bits.
 *
 * Decoding looks the next TABLE_BITS bits up in a table that gives the
 * (up to three) whole codes they hold, decodes a run of a one-bit code
 * with one leading-zero count, and walks the tree bit by bit from where the
 * table left off for codes longer than the table.  A loaded tree is checked: every child
 * index is larger than its parent's (true of preorder numbering, and it
 * rules out cycles), inside the node count, and every internal node has
 * both children. */
#include <string.h>

#include "codecs/sz3_internal.h"
#include "common/alloc.h"
#include "common/checked.h"
#include "common/endian.h"
#include "common/error.h"

#define TABLE_BITS 11

/* ---- building the tree (encoder) ---------------------------------------- */

typedef struct hnode {
    uint64_t freq;
    int32_t left, right; /* -1 for a leaf */
    int32_t state;
} hnode;

typedef struct heap {
    int32_t *q; /* q[1..end-1] are node ids */
    int32_t end;
    const hnode *nodes;
} heap;

static void heap_push(heap *h, int32_t id) {
    int32_t i = h->end++, j;
    uint64_t f = h->nodes[id].freq;
    while ((j = i >> 1) != 0) {
        if (h->nodes[h->q[j]].freq <= f) {
            break;
        }
        h->q[i] = h->q[j];
        i = j;
    }
    h->q[i] = id;
}

static int32_t heap_pop(heap *h) {
    int32_t top = h->q[1];
    h->end--;
    h->q[1] = h->q[h->end];
    int32_t i = 1, l;
    while ((l = i << 1) < h->end) {
        if (l + 1 < h->end && h->nodes[h->q[l + 1]].freq < h->nodes[h->q[l]].freq) {
            l++;
        }
        if (h->nodes[h->q[i]].freq > h->nodes[h->q[l]].freq) {
            int32_t t = h->q[i];
            h->q[i] = h->q[l];
            h->q[l] = t;
            i = l;
        } else {
            break;
        }
    }
    return top;
}

static void put_index(uint8_t *p, size_t width, uint32_t v) {
    if (width == 1) {
        p[0] = (uint8_t)v;
    } else if (width == 2) {
        tgm__wr_le16(p, (uint16_t)v);
    } else {
        tgm__wr_le32(p, v);
    }
}

static size_t index_width(uint32_t node_count) {
    return node_count <= 256 ? 1 : node_count <= 65536 ? 2 : 4;
}

/* Preorder walk from the root: number the nodes, serialise the tree, and
 * give every leaf its code. */
static tgm_error assign(sz3_huff *h, const hnode *nodes, int32_t root, uint32_t nn) {
    size_t w = index_width(nn);
    uint8_t *L = h->tree + 1, *R = L + (size_t)nn * w, *C = R + (size_t)nn * w;
    uint8_t *T = C + (size_t)nn * 4;
    h->tree[0] = 0; /* SZ3 writes the host's byte order flag: 0, little-endian */
    typedef struct item {
        int32_t node;
        int32_t parent; /* preorder index of the parent, -1 for the root */
        uint8_t is_right;
        uint8_t len;
        uint64_t code;
    } item;
    item *stack = tgm__malloc_array(nn, sizeof *stack);
    if (stack == NULL) {
        return tgm__oom((size_t)nn * sizeof *stack, "sz3 Huffman tree");
    }
    size_t top = 0;
    uint32_t next = 0;
    stack[top++] = (item){root, -1, 0, 0, 0};
    h->total_bits = 0;
    while (top > 0) {
        item it = stack[--top];
        uint32_t idx = next++;
        if (it.parent >= 0) {
            put_index((it.is_right ? R : L) + (size_t)it.parent * w, w, idx);
        }
        const hnode *nd = &nodes[it.node];
        if (nd->left < 0) {
            tgm__wr_le32(C + (size_t)idx * 4, (uint32_t)nd->state);
            T[idx] = 1;
            h->code[nd->state] = it.code;
            h->len[nd->state] = it.len;
            h->total_bits += (uint64_t)it.len * nd->freq;
            continue;
        }
        if (it.len >= 64) {
            tgm__free(stack);
            return tgm__fail(TGM_ERROR_COMPRESSION, "sz3: Huffman code longer than 64 bits");
        }
        /* Push right first so the left subtree is numbered first. */
        stack[top++] = (item){nd->right, (int32_t)idx, 1, (uint8_t)(it.len + 1), it.code << 1 | 1};
        stack[top++] = (item){nd->left, (int32_t)idx, 0, (uint8_t)(it.len + 1), it.code << 1};
    }
    tgm__free(stack);
    return TGM_ERROR_OK;
}

tgm_error tgm__sz3_huff_build(sz3_huff *h, const int32_t *bins, size_t n, const uint64_t *hist,
                              int32_t hist_lo, size_t hist_n) {
    memset(h, 0, sizeof *h);
    tgm_error err = TGM_ERROR_OK;
    uint64_t *freq = NULL;
    hnode *nodes = NULL;
    int32_t *q = NULL;
    int32_t lo, hi;
    if (hist != NULL) {
        size_t a = 0, b = hist_n;
        while (a < b && hist[a] == 0) {
            a++;
        }
        while (b > a && hist[b - 1] == 0) {
            b--;
        }
        TGM_FAIL_IF(a == b, TGM_ERROR_COMPRESSION, "sz3: Huffman input is empty");
        lo = hist_lo + (int32_t)a;
        hi = hist_lo + (int32_t)(b - 1);
    } else {
        TGM_FAIL_IF(n == 0, TGM_ERROR_COMPRESSION, "sz3: Huffman input is empty");
        lo = hi = bins[0];
        for (size_t i = 1; i < n; i++) {
            lo = bins[i] < lo ? bins[i] : lo;
            hi = bins[i] > hi ? bins[i] : hi;
        }
    }
    /* Bins are quantiser output (0 .. 2 * radius) or predictor indices. */
    uint64_t span = (uint64_t)((int64_t)hi - lo) + 1;
    TGM_FAIL_IF(span > (1u << 24), TGM_ERROR_COMPRESSION, "sz3: Huffman symbol range %llu too wide",
                (unsigned long long)span);
    h->offset = lo;
    h->nstates = (uint32_t)span + 1;
    freq = tgm__calloc((size_t)span, sizeof *freq);
    h->code = tgm__calloc((size_t)span, sizeof *h->code);
    h->len = tgm__calloc((size_t)span, 1);
    TGM_FAIL_IF(freq == NULL || h->code == NULL || h->len == NULL, TGM_ERROR_COMPRESSION,
                "sz3: out of memory for a Huffman table of %llu symbols", (unsigned long long)span);
    if (hist != NULL) {
        memcpy(freq, hist + (lo - hist_lo), (size_t)span * sizeof *freq);
    } else if (n < 4096 || span > (1u << 17)) {
        for (size_t i = 0; i < n; i++) {
            freq[bins[i] - lo]++;
        }
    } else {
        /* Four interleaved 32-bit histograms: runs of one bin (the common
         * case) would otherwise wait on the same counter's last store. */
        uint32_t *c4 = tgm__calloc(4 * (size_t)span, sizeof *c4);
        TGM_FAIL_IF(c4 == NULL, TGM_ERROR_COMPRESSION, "sz3: out of memory for a histogram");
        for (size_t at = 0; at < n;) {
            size_t end = n - at > ((size_t)1 << 30) ? at + ((size_t)1 << 30) : n;
            size_t i = at;
            for (; i + 4 <= end; i += 4) {
                c4[bins[i] - lo]++;
                c4[span + (uint32_t)(bins[i + 1] - lo)]++;
                c4[2 * span + (uint32_t)(bins[i + 2] - lo)]++;
                c4[3 * span + (uint32_t)(bins[i + 3] - lo)]++;
            }
            for (; i < end; i++) {
                c4[bins[i] - lo]++;
            }
            for (size_t k = 0; k < span; k++) {
                freq[k] += (uint64_t)c4[k] + c4[span + k] + c4[2 * span + k] + c4[3 * span + k];
                c4[k] = c4[span + k] = c4[2 * span + k] = c4[3 * span + k] = 0;
            }
            at = end;
        }
        tgm__free(c4);
    }
    uint32_t leaves = 0;
    for (size_t s = 0; s < span; s++) {
        leaves += freq[s] != 0;
    }
    uint32_t nn = 2 * leaves - 1;
    h->node_count = nn;
    nodes = tgm__malloc_array(nn, sizeof *nodes);
    q = tgm__malloc_array((size_t)leaves + 1, sizeof *q);
    TGM_FAIL_IF(nodes == NULL || q == NULL, TGM_ERROR_COMPRESSION,
                "sz3: out of memory for a Huffman tree of %u nodes", nn);
    heap hp = {q, 1, nodes};
    int32_t used = 0;
    for (size_t s = 0; s < span; s++) {
        if (freq[s] != 0) {
            nodes[used] = (hnode){freq[s], -1, -1, (int32_t)s};
            heap_push(&hp, used++);
        }
    }
    while (hp.end > 2) {
        int32_t a = heap_pop(&hp);
        int32_t b = heap_pop(&hp);
        nodes[used] = (hnode){nodes[a].freq + nodes[b].freq, a, b, 0};
        heap_push(&hp, used++);
    }
    size_t w = index_width(nn);
    h->tree_bytes = 1 + (size_t)nn * (2 * w + 5);
    h->tree = tgm__malloc(h->tree_bytes);
    TGM_FAIL_IF(h->tree == NULL, TGM_ERROR_COMPRESSION, "sz3: out of memory for a Huffman tree");
    memset(h->tree, 0, h->tree_bytes);
    TGM_CHECK(assign(h, nodes, q[1], nn));
cleanup:
    tgm__free(freq);
    tgm__free(nodes);
    tgm__free(q);
    if (err != TGM_ERROR_OK) {
        tgm__sz3_huff_free(h);
    }
    return err;
}

void tgm__sz3_huff_free(sz3_huff *h) {
    tgm__free(h->code);
    tgm__free(h->len);
    tgm__free(h->tree);
    memset(h, 0, sizeof *h);
}

size_t tgm__sz3_huff_save_size(const sz3_huff *h) { return 4 + 4 + 4 + h->tree_bytes; }

size_t tgm__sz3_huff_encoded_size(const sz3_huff *h) {
    return 8 + (size_t)((h->total_bits + 7) / 8);
}

void tgm__sz3_huff_save(const sz3_huff *h, uint8_t **p) {
    uint8_t *o = *p;
    tgm__wr_le32(o, (uint32_t)h->offset);
    tgm__wr_be32(o + 4, h->node_count);
    tgm__wr_be32(o + 8, h->nstates / 2);
    memcpy(o + 12, h->tree, h->tree_bytes);
    *p = o + 12 + h->tree_bytes;
}

/* Flushes the whole bytes of the `nacc` pending bits at the top of *acc
 * (8 bytes are stored; the caller's buffer has that much slack). */
static inline void flush(uint8_t **o, uint64_t *acc, unsigned *nacc) {
    tgm__wr_be64(*o, *acc);
    unsigned nb = *nacc >> 3;
    *o += nb;
    *acc = nb == 8 ? 0 : *acc << (8 * nb);
    *nacc -= 8 * nb;
}

static inline void put_bits(uint8_t **o, uint64_t *acc, unsigned *nacc, uint64_t c, unsigned l) {
    if (*nacc + l > 64) {
        flush(o, acc, nacc);
    }
    if (l != 0) {
        *acc |= c << (64 - *nacc - l);
        *nacc += l;
    }
}

void tgm__sz3_huff_encode(const sz3_huff *h, const int32_t *bins, size_t n, uint8_t **p) {
    uint8_t *o = *p;
    size_t bytes = (size_t)((h->total_bits + 7) / 8);
    tgm__wr_le64(o, bytes);
    o += 8;
    uint64_t acc = 0; /* pending bits, MSB-aligned */
    unsigned nacc = 0;
    const uint64_t *code = h->code;
    const uint8_t *len = h->len;
    int32_t off = h->offset;
    for (size_t i = 0; i < n; i++) {
        uint32_t s = (uint32_t)(bins[i] - off);
        unsigned l = len[s];
        if (l > 56) {
            /* Only possible with more values than fit in memory. */
            put_bits(&o, &acc, &nacc, code[s] >> 32, l - 32);
            put_bits(&o, &acc, &nacc, code[s] & 0xffffffffu, 32);
        } else {
            put_bits(&o, &acc, &nacc, code[s], l);
        }
    }
    tgm__wr_be64(o, acc);
    o += (nacc + 7) >> 3;
    *p = o;
}

/* ---- decoding ----------------------------------------------------------- */

/* A table entry: the symbols the next TABLE_BITS bits hold in full (up to
 * three), with the bits each prefix of them takes; n == 0 for a code longer
 * than the table (v[0] is then the node reached), RUN for the all-0 or
 * all-1 index of a tree whose root has a leaf child (a run of that symbol,
 * counted with one leading-zero count). */
typedef struct tent {
    int32_t v[3];
    uint8_t n;
    uint8_t bits[3]; /* bits[k]: bits taken by symbols 0..k */
} tent;

#define RUN 0xFF

static uint32_t get_index(const uint8_t *p, size_t width) {
    return width == 1 ? p[0] : width == 2 ? tgm__rd_le16(p) : tgm__rd_le32(p);
}

void tgm__sz3_huff_dec_free(sz3_huff_dec *d) {
    tgm__free(d->left);
    tgm__free(d->right);
    tgm__free(d->sym);
    tgm__free(d->table);
    memset(d, 0, sizeof *d);
}

tgm_error tgm__sz3_huff_load(sz3_cur *c, sz3_huff_dec *d) {
    memset(d, 0, sizeof *d);
    uint32_t off, nn, half_states;
    TGM_TRY(tgm__sz3_u32(c, "Huffman offset", &off));
    const uint8_t *counts = NULL;
    TGM_TRY(tgm__sz3_take(c, 8, "Huffman tree header", &counts));
    nn = tgm__rd_be32(counts);
    half_states = tgm__rd_be32(counts + 4);
    (void)half_states; /* SZ3 sizes an allocation with it; nothing depends on it */
    d->offset = (int32_t)off;
    TGM_RETURN_IF(nn == 0 || nn % 2 == 0, TGM_ERROR_COMPRESSION,
                  "sz3: Huffman tree has %u nodes (expected an odd count)", nn);
    size_t w = index_width(nn);
    /* 1 + nn * (2w + 5) bytes; nn is at most the bytes left. */
    TGM_RETURN_IF(nn > c->left / (2 * w + 5), TGM_ERROR_COMPRESSION,
                  "sz3: Huffman tree of %u nodes overruns its section (%zu bytes left)", nn,
                  c->left);
    const uint8_t *t = NULL;
    TGM_TRY(tgm__sz3_take(c, 1 + (size_t)nn * (2 * w + 5), "Huffman tree", &t));
    const uint8_t *L = t + 1, *R = L + (size_t)nn * w, *C = R + (size_t)nn * w;
    const uint8_t *T = C + (size_t)nn * 4;
    d->node_count = nn;
    d->left = tgm__malloc_array(nn, sizeof *d->left);
    d->right = tgm__malloc_array(nn, sizeof *d->right);
    d->sym = tgm__malloc_array(nn, sizeof *d->sym);
    if (d->left == NULL || d->right == NULL || d->sym == NULL) {
        tgm__sz3_huff_dec_free(d);
        return tgm__oom((size_t)nn * 12, "sz3 Huffman tree");
    }
    /* SZ3 reads the root as a leaf only in the 1-byte-index layout. */
    int root_leaf = w == 1 && T[0] != 0;
    if (root_leaf) {
        TGM_RETURN_IF(nn != 1, TGM_ERROR_COMPRESSION,
                      "sz3: Huffman tree root is a leaf but the tree has %u nodes", nn);
        d->single = 1;
        d->sym[0] = (int32_t)((uint32_t)tgm__rd_le32(C) + off);
        d->left[0] = d->right[0] = -1;
        return TGM_ERROR_OK;
    }
    for (uint32_t i = 0; i < nn; i++) {
        d->left[i] = d->right[i] = -1;
        d->sym[i] = (int32_t)((uint32_t)tgm__rd_le32(C + (size_t)i * 4) + off);
    }
    /* Walk from the root (internal here) as SZ3 does: a node with leaf
     * flag 0 has two children, numbered after it.  `seen` keeps shared
     * subtrees from being walked twice. */
    uint8_t *seen = tgm__calloc(nn, 1);
    uint32_t *stack = tgm__malloc_array(nn, sizeof *stack);
    if (seen == NULL || stack == NULL) {
        tgm__free(seen);
        tgm__free(stack);
        tgm__sz3_huff_dec_free(d);
        return tgm__oom((size_t)nn * 5, "sz3 Huffman tree");
    }
    size_t top = 0;
    stack[top++] = 0;
    seen[0] = 1;
    while (top > 0) {
        uint32_t i = stack[--top];
        if (i != 0 && T[i] != 0) {
            continue; /* a leaf */
        }
        uint32_t l = get_index(L + (size_t)i * w, w), r = get_index(R + (size_t)i * w, w);
        if (l <= i || r <= i || l >= nn || r >= nn) {
            tgm__free(seen);
            tgm__free(stack);
            tgm__sz3_huff_dec_free(d);
            return tgm__fail(TGM_ERROR_COMPRESSION,
                             "sz3: Huffman node %u has children %u and %u (of %u nodes)", i, l, r,
                             nn);
        }
        d->left[i] = (int32_t)l;
        d->right[i] = (int32_t)r;
        if (!seen[r]) {
            seen[r] = 1;
            stack[top++] = r;
        }
        if (!seen[l]) {
            seen[l] = 1;
            stack[top++] = l;
        }
    }
    tgm__free(seen);
    tgm__free(stack);
    /* The lookup table. */
    d->table = tgm__malloc_array((size_t)1 << TABLE_BITS, sizeof(tent));
    if (d->table == NULL) {
        tgm__sz3_huff_dec_free(d);
        return tgm__oom(((size_t)1 << TABLE_BITS) * sizeof(tent), "sz3 Huffman table");
    }
    tent *tab = (tent *)d->table;
    for (uint32_t k = 0; k < (1u << TABLE_BITS); k++) {
        tent e;
        memset(&e, 0, sizeof e);
        unsigned b = 0;
        while (e.n < 3) {
            int32_t node = 0;
            while (b < TABLE_BITS && d->left[node] >= 0) {
                node = ((k >> (TABLE_BITS - 1 - b)) & 1) ? d->right[node] : d->left[node];
                b++;
            }
            if (d->left[node] >= 0) { /* ran out of bits inside a code */
                if (e.n == 0) {
                    e.v[0] = node;
                    e.bits[0] = TABLE_BITS;
                }
                break;
            }
            e.v[e.n] = d->sym[node];
            e.bits[e.n] = (uint8_t)b;
            e.n++;
        }
        tab[k] = e;
    }
    /* Runs: a leaf child of the root is a one-bit code. */
    d->run_bit = -1;
    for (int bit = 1; bit >= 0; bit--) {
        int32_t ch = bit ? d->right[0] : d->left[0];
        if (d->left[ch] < 0) {
            d->run_bit = bit;
            d->run_sym = d->sym[ch];
            tab[bit ? (1u << TABLE_BITS) - 1 : 0].n = RUN;
            break;
        }
    }
    return TGM_ERROR_OK;
}

/* The stream's bytes must be followed by at least 8 readable bytes (the
 * decoder's buffers have that slack): words are loaded at any position up
 * to the end of the declared bytes. */
tgm_error tgm__sz3_huff_decode(sz3_huff_dec *d, sz3_cur *c, int32_t *out, size_t count) {
    uint64_t bytes;
    TGM_TRY(tgm__sz3_u64(c, "Huffman byte count", &bytes));
    TGM_RETURN_IF(bytes > c->left, TGM_ERROR_COMPRESSION,
                  "sz3: Huffman stream of %llu bytes overruns its section (%zu bytes left)",
                  (unsigned long long)bytes, c->left);
    const uint8_t *base = c->p;
    c->p += bytes;
    c->left -= (size_t)bytes;
    if (d->single) {
        int32_t v = d->sym[0];
        for (size_t i = 0; i < count; i++) {
            out[i] = v;
        }
        return TGM_ERROR_OK;
    }
    const tent *tab = (const tent *)d->table;
    const uint64_t nbits = bytes * 8;
    uint64_t pos = 0;
    size_t i = 0;
    while (i < count) {
        if (pos > nbits) {
            break;
        }
        /* A window of at least 57 stream bits at the top of w. */
        uint64_t w = tgm__rd_be64(base + (pos >> 3)) << (pos & 7);
        unsigned avail = 64 - (unsigned)(pos & 7);
        int32_t node = -1;
        /* Fast path: whole entries while three more symbols fit in out. */
        while (avail >= TABLE_BITS && count - i >= 3) {
            const tent *e = &tab[w >> (64 - TABLE_BITS)];
            unsigned used, k = e->n;
            if (TGM_LIKELY(k - 1u < 3u)) {
                memcpy(out + i, e->v, 3 * sizeof(int32_t));
                i += k;
                used = e->bits[k - 1];
            } else if (k == RUN) {
                /* Bits past `avail` are zeros: cap the run there. */
                uint64_t x = d->run_bit ? ~w : w;
                unsigned r = x == 0 ? 64 : (unsigned)__builtin_clzll(x);
                r = r < avail ? r : avail;
                r = (size_t)r < count - i ? r : (unsigned)(count - i);
                int32_t v = d->run_sym;
                for (unsigned t = 0; t < r; t++) {
                    out[i + t] = v;
                }
                i += r;
                used = r;
            } else {
                node = e->v[0]; /* a long code: finish it bit by bit */
                pos += TABLE_BITS;
                break;
            }
            pos += used;
            avail -= used;
            w = used == 64 ? 0 : w << used;
        }
        /* The last symbols: one at a time. */
        if (node < 0 && avail >= TABLE_BITS && count - i < 3 && i < count) {
            const tent *e = &tab[w >> (64 - TABLE_BITS)];
            if (e->n != 0) {
                out[i++] = e->v[0];
                pos += e->n == RUN ? 1 : e->bits[0];
            } else {
                node = e->v[0];
                pos += TABLE_BITS;
            }
        }
        if (node < 0) {
            continue; /* reload the window */
        }
        while (d->left[node] >= 0) {
            if (pos >= nbits) {
                return tgm__fail(TGM_ERROR_COMPRESSION,
                                 "sz3: Huffman stream ends after %zu of %zu symbols", i, count);
            }
            unsigned bit = (base[pos >> 3] >> (7 - (pos & 7))) & 1;
            node = bit ? d->right[node] : d->left[node];
            pos++;
        }
        out[i++] = d->sym[node];
    }
    TGM_RETURN_IF(pos > nbits, TGM_ERROR_COMPRESSION,
                  "sz3: Huffman stream of %llu bytes ends after %zu of %zu symbols",
                  (unsigned long long)bytes, i, count);
    return TGM_ERROR_OK;
}
