/* codec_matrix: the reference's codec-matrix benchmark (24 cases on its
 * smooth float64 field recipe) through the full public API - a Tensogram
 * message encoded with tgm_encode and decoded with tgm_decode - printing
 * throughput, size ratio, and ratios to two in-run baselines:
 *   memcpy  - copying the same bytes into an already-touched buffer;
 *   raw     - the codec library called directly on the same bytes
 *             (libzstd, liblz4, libaec, libzfp; simple_packing alone --
 *             parameters from the data, then packing -- for sp+none, and
 *             that followed by the codec for sp+codec), i.e. what
 *             framing and the pipeline add on top;
 *             "into/raw" repeats that with tgm_encode_into and
 *             tgm_decode_object_into on warm caller memory, as the raw
 *             calls run, so it isolates the framing overhead.
 *
 *   codec_matrix [num_values (default 16000000)] [repeats (default 5)] [threads] [only]
 *
 * `only`: run just the cases whose name contains it (e.g. "none+lz4").
 *
 * MB/s count the original float64 bytes.  Best of `repeats` runs. */
#include <stdbool.h>

#include <libaec.h>
#include <lz4.h>
#include <zfp.h>
#include <zstd.h>

#include "bench_common.h"
#include "encodings/simple_packing.h"
#include "tensogram/tensogram.h"

typedef struct bcase {
    const char *name;
    int sp_bits;            /* 0 = no simple_packing */
    const char *desc_extra; /* compression keys */
    const char *raw;        /* baseline library: "zstd", "lz4", "szip", "zfp", "none" */
    double zfp_rate;
    bool lossy;
} bcase;

static const bcase cases[] = {
    {"none+none", 0, "\"compression\":\"none\"", "none", 0, false},
    {"none+zstd(3)", 0, "\"compression\":\"zstd\",\"zstd_level\":3", "zstd", 0, false},
    {"none+lz4", 0, "\"compression\":\"lz4\"", "lz4", 0, false},
    {"none+blosc2(blosclz)", 0,
     "\"compression\":\"blosc2\",\"blosc2_codec\":\"blosclz\",\"blosc2_clevel\":5", "", 0, false},
    {"none+szip(32)", 0,
     "\"compression\":\"szip\",\"szip_rsi\":128,\"szip_block_size\":16,\"szip_flags\":8", "szip", 0,
     false},
    {"sp(16)+none", 16, "\"compression\":\"none\"", "none", 0, true},
    {"sp(16)+zstd(3)", 16, "\"compression\":\"zstd\",\"zstd_level\":3", "zstd", 0, true},
    {"sp(16)+lz4", 16, "\"compression\":\"lz4\"", "lz4", 0, true},
    {"sp(16)+blosc2(blosclz)", 16,
     "\"compression\":\"blosc2\",\"blosc2_codec\":\"blosclz\",\"blosc2_clevel\":5", "", 0, true},
    {"sp(16)+szip", 16,
     "\"compression\":\"szip\",\"szip_rsi\":128,\"szip_block_size\":16,\"szip_flags\":8", "szip", 0,
     true},
    {"sp(24)+none", 24, "\"compression\":\"none\"", "none", 0, true},
    {"sp(24)+zstd(3)", 24, "\"compression\":\"zstd\",\"zstd_level\":3", "zstd", 0, true},
    {"sp(24)+lz4", 24, "\"compression\":\"lz4\"", "lz4", 0, true},
    {"sp(24)+blosc2(blosclz)", 24,
     "\"compression\":\"blosc2\",\"blosc2_codec\":\"blosclz\",\"blosc2_clevel\":5", "", 0, true},
    {"sp(24)+szip", 24,
     "\"compression\":\"szip\",\"szip_rsi\":128,\"szip_block_size\":16,\"szip_flags\":8", "szip", 0,
     true},
    {"sp(32)+none", 32, "\"compression\":\"none\"", "none", 0, true},
    {"sp(32)+zstd(3)", 32, "\"compression\":\"zstd\",\"zstd_level\":3", "zstd", 0, true},
    {"sp(32)+lz4", 32, "\"compression\":\"lz4\"", "lz4", 0, true},
    {"sp(32)+blosc2(blosclz)", 32,
     "\"compression\":\"blosc2\",\"blosc2_codec\":\"blosclz\",\"blosc2_clevel\":5", "", 0, true},
    {"sp(32)+szip", 32,
     "\"compression\":\"szip\",\"szip_rsi\":128,\"szip_block_size\":16,\"szip_flags\":8", "szip", 0,
     true},
    {"none+zfp(rate=16)", 0, "\"compression\":\"zfp\",\"zfp_mode\":\"fixed_rate\",\"zfp_rate\":16",
     "zfp", 16, true},
    {"none+zfp(rate=24)", 0, "\"compression\":\"zfp\",\"zfp_mode\":\"fixed_rate\",\"zfp_rate\":24",
     "zfp", 24, true},
    {"none+zfp(rate=32)", 0, "\"compression\":\"zfp\",\"zfp_mode\":\"fixed_rate\",\"zfp_rate\":32",
     "zfp", 32, true},
    {"none+sz3(abs=0.01)", 0,
     "\"compression\":\"sz3\",\"sz3_error_bound_mode\":\"abs\",\"sz3_error_bound\":0.01", "", 0,
     true},
};

/* ---- raw library baselines: encode+decode of the codec step alone ---------- */

typedef struct raw_result {
    double enc, dec;
    bool ok;
} raw_result;

static raw_result raw_baseline(const bcase *c, const double *values, size_t n, int reps) {
    raw_result r = {0, 0, false};
    size_t nbytes = n * 8;
    const uint8_t *in = (const uint8_t *)values;
    uint8_t *packed = NULL;
    size_t plen = nbytes;
    tgm_sp_params sp;
    if (c->sp_bits) {
        if (tgm__sp_compute_params(in, 0, n, (uint32_t)c->sp_bits, 0, 1, &sp) != TGM_ERROR_OK ||
            tgm__sp_packed_size(n, (uint32_t)c->sp_bits, 0, &plen) != TGM_ERROR_OK) {
            return r;
        }
        packed = malloc(plen);
        tgm__sp_encode(in, 0, n, &sp, 0, packed, plen, 1);
        in = packed;
    }
    size_t cap = plen * 2 + 65536;
    uint8_t *comp = malloc(cap), *back = malloc(plen + 1);
    double *vback = malloc(nbytes + 8);
    bench_touch(comp, cap);
    bench_touch(back, plen);
    size_t clen = 0;
    /* For simple_packing + codec the baseline is the two library steps
     * back to back: packing, then the codec on the packed bytes. */
    double sp_enc = 0, sp_dec = 0;
    if (c->sp_bits && strcmp(c->raw, "none") != 0) {
        BENCH_BEST(reps, sp_enc, {
            tgm__sp_compute_params((const uint8_t *)values, 0, n, (uint32_t)c->sp_bits, 0, 1, &sp);
            tgm__sp_encode((const uint8_t *)values, 0, n, &sp, 0, packed, plen, 1);
        });
        BENCH_BEST(reps, sp_dec, tgm__sp_decode(packed, plen, n, &sp, 0, (uint8_t *)vback, 0, 1));
    }
    if (strcmp(c->raw, "none") == 0 && c->sp_bits) {
        /* simple_packing alone: parameters from the data and pack, unpack */
        BENCH_BEST(reps, r.enc, {
            tgm__sp_compute_params((const uint8_t *)values, 0, n, (uint32_t)c->sp_bits, 0, 1, &sp);
            tgm__sp_encode((const uint8_t *)values, 0, n, &sp, 0, packed, plen, 1);
        });
        BENCH_BEST(reps, r.dec, tgm__sp_decode(packed, plen, n, &sp, 0, (uint8_t *)vback, 0, 1));
        r.ok = true;
    } else if (strcmp(c->raw, "none") == 0) {
        BENCH_BEST(reps, r.enc, memcpy(comp, in, plen));
        BENCH_BEST(reps, r.dec, memcpy(back, comp, plen));
        r.ok = true;
    } else if (strcmp(c->raw, "zstd") == 0) {
        BENCH_BEST(reps, r.enc, clen = ZSTD_compress(comp, cap, in, plen, 3));
        BENCH_BEST(reps, r.dec, ZSTD_decompress(back, plen, comp, clen));
        r.ok = !ZSTD_isError(clen);
    } else if (strcmp(c->raw, "lz4") == 0 && plen < (size_t)LZ4_MAX_INPUT_SIZE) {
        BENCH_BEST(reps, r.enc,
                   clen = (size_t)LZ4_compress_default((const char *)in, (char *)comp, (int)plen,
                                                       (int)cap));
        BENCH_BEST(reps, r.dec,
                   LZ4_decompress_safe((const char *)comp, (char *)back, (int)clen, (int)plen));
        r.ok = clen > 0;
    } else if (strcmp(c->raw, "szip") == 0) {
        struct aec_stream s;
        memset(&s, 0, sizeof s);
        s.bits_per_sample = c->sp_bits ? (unsigned)c->sp_bits : 32;
        s.block_size = 16;
        s.rsi = 128;
        s.flags = AEC_DATA_PREPROCESS | (c->sp_bits ? AEC_DATA_MSB : 0) |
                  (c->sp_bits == 24 ? AEC_DATA_3BYTE : 0);
        int rc = 0;
        BENCH_BEST(reps, r.enc, {
            s.next_in = in;
            s.avail_in = plen;
            s.next_out = comp;
            s.avail_out = cap;
            rc = aec_buffer_encode(&s);
            clen = s.total_out;
        });
        BENCH_BEST(reps, r.dec, {
            s.next_in = comp;
            s.avail_in = clen;
            s.next_out = back;
            s.avail_out = plen;
            aec_buffer_decode(&s);
        });
        r.ok = rc == AEC_OK;
    } else if (strcmp(c->raw, "zfp") == 0) {
        double *vin = malloc(nbytes + 8); /* libzfp takes a non-const pointer */
        memcpy(vin, values, nbytes);
        zfp_field *field = zfp_field_1d(vin, zfp_type_double, (unsigned)n);
        zfp_stream *zs = zfp_stream_open(NULL);
        zfp_stream_set_rate(zs, c->zfp_rate, zfp_type_double, 1, zfp_false);
        bitstream *bs = stream_open(comp, cap);
        zfp_stream_set_bit_stream(zs, bs);
        BENCH_BEST(reps, r.enc, {
            zfp_stream_rewind(zs);
            clen = zfp_compress(zs, field);
        });
        zfp_field *out = zfp_field_1d(vback, zfp_type_double, (unsigned)n);
        BENCH_BEST(reps, r.dec, {
            zfp_stream_rewind(zs);
            zfp_decompress(zs, out);
        });
        zfp_field_free(out);
        zfp_field_free(field);
        free(vin);
        stream_close(bs);
        zfp_stream_close(zs);
        r.ok = clen > 0;
    }
    r.enc += sp_enc;
    r.dec += sp_dec;
    free(packed);
    free(comp);
    free(back);
    free(vback);
    return r;
}

int main(int argc, char **argv) {
    size_t n = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 16000000;
    int reps = argc > 2 ? atoi(argv[2]) : 5;
    uint32_t threads = argc > 3 ? (uint32_t)atoi(argv[3]) : 0;
    const char *only = argc > 4 ? argv[4] : NULL;
    n = (n + 3) / 4 * 4;
    size_t nbytes = n * 8;
    double *values = bench_smooth_field(n, 42);
    uint8_t *copy = malloc(nbytes);
    bench_touch(copy, nbytes);
    double t_memcpy;
    BENCH_BEST(reps, t_memcpy, memcpy(copy, values, nbytes));
    double memcpy_mbps = bench_mbps(nbytes, t_memcpy);
    printf("codec_matrix: %zu float64 values (%.1f MiB), best of %d, threads=%u, "
           "memcpy %.0f MB/s\n\n",
           n, (double)nbytes / 1048576.0, reps, threads, memcpy_mbps);
    printf("%-24s %8s %10s %10s %8s %8s %8s %8s %9s %9s  %s\n", "case", "ratio", "enc MB/s",
           "dec MB/s", "enc/mcp", "dec/mcp", "enc/raw", "dec/raw", "into/raw", "into/raw",
           "max abs err");
    const uint8_t *ptrs[1] = {(const uint8_t *)values};
    size_t lens[1] = {nbytes};
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const bcase *c = &cases[ci];
        if (only != NULL && strstr(c->name, only) == NULL) {
            continue;
        }
        char meta[1024];
        /* none+szip(32) as in the reference: the float64 bytes as 32-bit samples */
        bool as_u32 = strcmp(c->name, "none+szip(32)") == 0;
        char sp[128] = "";
        if (c->sp_bits) {
            snprintf(sp, sizeof sp, "\"sp_bits_per_value\":%d,", c->sp_bits);
        }
        snprintf(meta, sizeof meta,
                 "{\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":1,\"shape\":[%zu],"
                 "\"strides\":[1],\"dtype\":\"%s\",\"byte_order\":\"little\",\"encoding\":\"%s\","
                 "%s\"filter\":\"none\",%s}]}",
                 as_u32 ? 2 * n : n, as_u32 ? "uint32" : "float64",
                 c->sp_bits ? "simple_packing" : "none", sp, c->desc_extra);
        tgm_bytes_t msg = {NULL, 0};
        double te, td;
        tgm_error e = tgm_encode(meta, ptrs, lens, 1, NULL, threads, &msg);
        if (e != TGM_ERROR_OK) {
            printf("%-24s %s\n", c->name, tgm_last_error());
            continue;
        }
        tgm_bytes_free(msg);
        msg.data = NULL;
        BENCH_BEST(reps, te, {
            tgm_bytes_free(msg);
            tgm_encode(meta, ptrs, lens, 1, NULL, threads, &msg);
        });
        tgm_message_t *m = NULL;
        BENCH_BEST(reps, td, {
            tgm_message_free(m);
            tgm_decode(msg.data, msg.len, 1, threads, 0, &m);
        });
        /* The same calls into warm caller memory: what the pipeline and
         * the framing add to the codec, without page faults of fresh
         * buffers (the raw baselines run in warm buffers too). */
        /* Sized as a caller would without knowing the result: the input
         * plus 1/64 and 64 KiB (the Python binding's choice), so that
         * codecs can compress straight into the frame. */
        size_t cap_into = nbytes + nbytes / 64 + 65536, got_into = 0;
        if (cap_into < msg.len + 4096) {
            cap_into = msg.len + 4096;
        }
        uint8_t *enc_into = malloc(cap_into), *dec_into = malloc(nbytes + 64);
        bench_touch(enc_into, cap_into);
        bench_touch(dec_into, nbytes + 64);
        double tei, tdi;
        BENCH_BEST(reps, tei,
                   tgm_encode_into(meta, ptrs, lens, 1, NULL, threads, NULL, enc_into, cap_into,
                                   &got_into));
        BENCH_BEST(reps, tdi,
                   tgm_decode_object_into(msg.data, msg.len, 0, 1, threads, 0, NULL, dec_into,
                                          nbytes + 64, &got_into));
        free(enc_into);
        free(dec_into);
        size_t dl;
        const double *out = (const double *)(const void *)tgm_object_data(m, 0, &dl);
        double maxerr = 0;
        for (size_t i = 0; i < n && dl == nbytes; i++) {
            double d = fabs(out[i] - values[i]);
            maxerr = d > maxerr ? d : maxerr;
        }
        raw_result raw = raw_baseline(c, values, n, reps);
        double enc = bench_mbps(nbytes, te), dec = bench_mbps(nbytes, td);
        char er[16] = "-", dr[16] = "-", eri[16] = "-", dri[16] = "-";
        if (raw.ok) {
            snprintf(er, sizeof er, "%.2f", enc / bench_mbps(nbytes, raw.enc));
            snprintf(dr, sizeof dr, "%.2f", dec / bench_mbps(nbytes, raw.dec));
            snprintf(eri, sizeof eri, "%.3f",
                     bench_mbps(nbytes, tei) / bench_mbps(nbytes, raw.enc));
            snprintf(dri, sizeof dri, "%.3f",
                     bench_mbps(nbytes, tdi) / bench_mbps(nbytes, raw.dec));
        }
        printf("%-24s %8.2f %10.0f %10.0f %8.2f %8.2f %8s %8s %9s %9s  %.3g%s\n", c->name,
               (double)nbytes / (double)msg.len, enc, dec, enc / memcpy_mbps, dec / memcpy_mbps, er,
               dr, eri, dri, maxerr, (!c->lossy && maxerr != 0) ? " LOSSLESS MISMATCH" : "");
        tgm_message_free(m);
        tgm_bytes_free(msg);
    }
    free(values);
    free(copy);
    return 0;
}
