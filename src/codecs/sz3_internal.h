/* SZ3 3.3.2 stream format, 1-D float64: what the sz3 files share.
 *
 * Written from SZ3's stream format and algorithm (the version the reference
 * vendors); the layout of every section is described where it is written
 * (sz3.c: header and configuration; sz3_huffman.c: the Huffman coder;
 * sz3_predict.c: interpolation and Lorenzo; sz3_tune.c: the choice between
 * them).  All multi-byte fields are little-endian except the two Huffman
 * counts SZ3 writes big-endian.
 *
 * Nothing here is part of the codec interface (codecs/codec.h, codecs/sz3.h):
 * these are the pieces the encoder and decoder are built from, exposed to
 * each other and to the unit tests. */
#ifndef TGM_CODECS_SZ3_INTERNAL_H
#define TGM_CODECS_SZ3_INTERNAL_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <zstd.h>

#include "codecs/sz3.h"
#include "common/buf.h"
#include "tensogram/tensogram.h"

#define SZ3_MAGIC 0xF342F310u
#define SZ3_DATA_VERSION 0x03030200u /* "3.3.2": major << 24 | minor << 16 | patch << 8 */
#define SZ3_HEADER_BYTES 16u
#define SZ3_ZSTD_LEVEL 3 /* SZ3's lossless stage: ZSTD_compress at level 3 */

/* SZ3's algorithm numbers (its enum ALGO) and error-bound modes (enum EB). */
enum {
    SZ3_ALGO_LORENZO_REG = 0,
    SZ3_ALGO_INTERP_LORENZO = 1,
    SZ3_ALGO_INTERP = 2,
    SZ3_ALGO_NOPRED = 3,
    SZ3_ALGO_LOSSLESS = 4
};
enum { SZ3_EB_ABS = 0, SZ3_EB_REL = 1, SZ3_EB_PSNR = 2, SZ3_EB_L2NORM = 3 };
#define SZ3_TYPE_DOUBLE 1 /* SZ3's SZ_DOUBLE */

/* ---- reading: a bounds-checked cursor over a section ------------------- */

typedef struct sz3_cur {
    const uint8_t *p;
    size_t left;
} sz3_cur;

/* Each returns TGM_ERROR_COMPRESSION ("sz3: truncated <what>") when fewer
 * bytes remain than the field needs. */
tgm_error tgm__sz3_take(sz3_cur *c, size_t n, const char *what, const uint8_t **out);
tgm_error tgm__sz3_u8(sz3_cur *c, const char *what, uint8_t *v);
tgm_error tgm__sz3_u32(sz3_cur *c, const char *what, uint32_t *v);
tgm_error tgm__sz3_u64(sz3_cur *c, const char *what, uint64_t *v);
tgm_error tgm__sz3_f64(sz3_cur *c, const char *what, double *v);

/* ---- the linear quantiser ------------------------------------------------
 * A value x with prediction p goes into bin radius + round-half-down of
 * (x - p) / (2 eb) when the reconstruction p + 2k eb lies within eb of x;
 * otherwise into bin 0 and x itself is appended to the "unpredictable"
 * list.  Serialised as: u8 uid (2), f64 eb, i32 radius, u64 count, count
 * f64 values. */
typedef struct sz3_quant {
    double eb;
    double recip; /* 1 / eb, as SZ3 computes it */
    int32_t radius;
    double *unpred;
    size_t n_unpred;
    size_t cap_unpred;
    int oom; /* an append failed: the encode fails after the pass */
} sz3_quant;

void tgm__sz3_quant_init(sz3_quant *q, double eb, int32_t radius);
void tgm__sz3_quant_set_eb(sz3_quant *q, double eb);
void tgm__sz3_quant_free(sz3_quant *q);
/* Append to the unpredictable list (grows; sets q->oom on failure). */
void tgm__sz3_quant_push(sz3_quant *q, double v);
size_t tgm__sz3_quant_save_size(const sz3_quant *q);
void tgm__sz3_quant_save(const sz3_quant *q, uint8_t **p);
/* Loads into q (which owns a copy of the values); n_values bounds the count. */
tgm_error tgm__sz3_quant_load(sz3_cur *c, sz3_quant *q, size_t n_values);

/* The quantiser's constants for one pass, copied out of the struct so the
 * hot loops keep them in registers (stores to the data cannot alias them). */
typedef struct sz3_qk {
    double eb, recip, lim; /* lim: 2 * radius as a double */
    int32_t radius;
} sz3_qk;

static inline sz3_qk tgm__sz3_qk(const sz3_quant *q) {
    sz3_qk k = {q->eb, q->recip, (double)(2 * (int64_t)q->radius), q->radius};
    return k;
}

/* Quantise x against pred: returns the bin and sets *rec to the value the
 * decoder will see (x itself for bin 0, which the caller must append to
 * the unpredictable list). */
static inline int32_t tgm__sz3_quant1(sz3_qk k, double x, double pred, double *rec) {
    double diff = x - pred;
    double a = fabs(diff) * k.recip;
    /* SZ3 converts a to int64 without a range check; out of range (or NaN)
     * the value is unpredictable here, as it is there in all but contrived
     * cases where x86's conversion result happens to pass its test. */
    if (a < k.lim) {
        int64_t qi = (int64_t)a + 1;
        if (qi < 2 * (int64_t)k.radius) {
            /* half = qi / 2; the bin and step take the sign of diff (without
             * a branch: noisy data makes that sign unpredictable). */
            int64_t half = qi >> 1;
            int64_t neg = -(int64_t)(diff < 0);
            int64_t step = ((2 * half) ^ neg) - neg;
            int32_t bin = k.radius + (int32_t)((half ^ neg) - neg);
            double dec = pred + (double)step * k.eb;
            if (fabs(dec - x) <= k.eb) {
                *rec = dec;
                return bin;
            }
        }
    }
    *rec = x;
    return 0;
}

/* ---- Huffman coder (sz3_huffman.c) -------------------------------------- */

/* Encoder side: a code for every symbol of one bin array. */
typedef struct sz3_huff {
    int32_t offset;   /* smallest symbol */
    uint32_t nstates; /* largest - smallest + 2, as SZ3 counts them */
    uint32_t node_count;
    uint64_t *code; /* per state: code bits, right-aligned */
    uint8_t *len;   /* per state: code length (0: unused, or the only symbol) */
    uint8_t *tree;  /* the serialised tree (see sz3_huffman.c) */
    size_t tree_bytes;
    uint64_t total_bits;
} sz3_huff;

/* Builds the code SZ3 builds for bins[0..n) (n >= 1).  `hist`, when not
 * NULL, is the symbol histogram already counted over [hist_lo, hist_lo +
 * hist_n) (saves a pass); otherwise the bins are counted here. */
tgm_error tgm__sz3_huff_build(sz3_huff *h, const int32_t *bins, size_t n, const uint64_t *hist,
                              int32_t hist_lo, size_t hist_n);
void tgm__sz3_huff_free(sz3_huff *h);
/* Bytes of the saved tree (offset, counts, tree) and of the encoded bits
 * (u64 byte count + bytes). */
size_t tgm__sz3_huff_save_size(const sz3_huff *h);
size_t tgm__sz3_huff_encoded_size(const sz3_huff *h);
void tgm__sz3_huff_save(const sz3_huff *h, uint8_t **p);
/* Needs 8 bytes of slack after the encoded bytes. */
void tgm__sz3_huff_encode(const sz3_huff *h, const int32_t *bins, size_t n, uint8_t **p);

/* Decoder side. */
typedef struct sz3_huff_dec {
    int32_t offset;
    uint32_t node_count;
    int32_t *left, *right; /* child node ids; -1 for a leaf */
    int32_t *sym;          /* leaf: symbol (state + offset) */
    void *table;           /* lookup table (see sz3_huffman.c) */
    int single;            /* the tree is one leaf: every symbol is sym[0] */
    int run_bit;           /* a one-bit code's bit (runs decode at once), or -1 */
    int32_t run_sym;       /* its symbol */
} sz3_huff_dec;

tgm_error tgm__sz3_huff_load(sz3_cur *c, sz3_huff_dec *d);
/* Decodes `count` symbols (u64 byte count + bytes at the cursor) into out.
 * The cursor's buffer must be readable 8 bytes past its end. */
tgm_error tgm__sz3_huff_decode(sz3_huff_dec *d, sz3_cur *c, int32_t *out, size_t count);
void tgm__sz3_huff_dec_free(sz3_huff_dec *d);

/* ---- predictors (sz3_predict.c) ----------------------------------------- */

typedef struct sz3_interp_params {
    int cubic;          /* SZ3's interpAlgo: 0 linear, 1 cubic */
    int direction;      /* interpDirection (always 0 in 1-D) */
    uint32_t blocksize; /* 32 */
    uint64_t anchor;    /* anchor stride, 0 when no anchor grid is used */
    double alpha, beta; /* level-wise error-bound factors */
} sz3_interp_params;

/* The anchor stride SZ3 uses for n values when configured with `stride`. */
uint64_t tgm__sz3_interp_anchor(size_t n, uint64_t stride);
/* Interpolation in place over data[0..n): bins[0..n) receive the bins in
 * SZ3's order, q the unpredictable values.  data ends up reconstructed. */
void tgm__sz3_interp_compress(double *data, size_t n, const sz3_interp_params *ip, sz3_quant *q,
                              int32_t *bins);
tgm_error tgm__sz3_interp_decompress(double *data, size_t n, const sz3_interp_params *ip,
                                     sz3_quant *q, const int32_t *bins);
size_t tgm__sz3_interp_save_size(const sz3_quant *q);
void tgm__sz3_interp_save(size_t n, const sz3_interp_params *ip, const sz3_quant *q, uint8_t **p);
tgm_error tgm__sz3_interp_load(sz3_cur *c, size_t n, sz3_interp_params *ip, sz3_quant *q);

/* Block-wise Lorenzo (first and second order, chosen per block) over
 * x[0..n), predicting the first values from two zeros (SZ3's padding).
 * `sel` receives one predictor index per block when both predictors are on,
 * bins one bin per value; hist, when not NULL, counts the bins (2 * radius
 * counters). */
typedef struct sz3_lorenzo_params {
    int first, second; /* which predictors the stream carries */
    size_t block;      /* values per block */
} sz3_lorenzo_params;

void tgm__sz3_lorenzo_compress(const double *x, size_t n, const sz3_lorenzo_params *lp,
                               sz3_quant *q, int32_t *sel, int32_t *bins, uint64_t *hist);
tgm_error tgm__sz3_lorenzo_decompress(double *data, size_t n, const sz3_lorenzo_params *lp,
                                      sz3_quant *q, const int32_t *sel, const int32_t *bins);

/* ---- the lossless stage, sections and tuning (sz3.c, sz3_tune.c) ------- */

/* What one encode shares: the zstd context and scratch memory. */
typedef struct sz3_ctx {
    ZSTD_CCtx *zc;
    tgm_buf scratch; /* pre-zstd buffers */
    tgm_buf zout;    /* zstd output of a trial compression */
} sz3_ctx;

/* SZ3's Lossless_zstd: u64 source length, then one zstd frame (level 3).
 * Appends to `out`. */
tgm_error tgm__sz3_lossless(sz3_ctx *cx, const uint8_t *src, size_t n, tgm_buf *out);

/* The pre-lossless sections (layouts in sz3_tune.c), written into dst
 * (replacing its contents); hist, when not NULL, is the bins' histogram
 * over 0 .. 2 * radius - 1. */
tgm_error tgm__sz3_write_interp(size_t n, const sz3_interp_params *ip, const sz3_quant *q,
                                const int32_t *bins, size_t nbins, tgm_buf *dst);
tgm_error tgm__sz3_write_lorenzo(const int32_t *sel, size_t nsel, const sz3_quant *q,
                                 const int32_t *bins, size_t nbins, const uint64_t *hist,
                                 tgm_buf *dst);

/* Result of the interpolation-vs-Lorenzo choice for one array. */
typedef struct sz3_choice {
    int algo;                 /* SZ3_ALGO_INTERP, _LORENZO_REG or _LOSSLESS */
    sz3_interp_params interp; /* interpolation settings (tuned or default) */
    int32_t lorenzo_bins;     /* quantisation bins for Lorenzo: 65536 or 16384 */
} sz3_choice;

/* SZ3's ALGO_INTERP_LORENZO tuning on sampled blocks: the settings it
 * picks for `data` at absolute bound eb; rel is the relative bound the
 * caller gave (0 in the other modes). */
tgm_error tgm__sz3_tune(sz3_ctx *cx, const double *data, size_t n, double eb, double rel,
                        sz3_choice *out);

#endif
