/* simple_packing + CCSDS (szip) against ecCodes' grid_ccsds on the same
 * field: the GRIB2 way of storing a lossy-packed, entropy-coded field (ecCodes
 * packs to N bits, then compresses with libaec) and the Tensogram way (the
 * same packing, then this library's own CCSDS 121.0-B-3 coder), each through
 * its whole public API.
 *
 *   bench_ccsds [num_values (default 16777216)] [repeats (default 5)]
 *
 * "encode" = tgm_encode of one message / codes_set_double_array on a GRIB2
 * handle (parameters, packing, compression).  "decode" = tgm_decode /
 * codes_get_double_array.  MB/s over the float64 bytes; the baseline column
 * is the ratio to ecCodes (>1: faster than ecCodes).  Sizes are the encoded
 * message / GRIB message. */
#include "bench_common.h"

#include <eccodes.h>

#include "tensogram/tensogram.h"

int main(int argc, char **argv) {
    size_t n = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : (size_t)1 << 24;
    int reps = argc > 2 ? atoi(argv[2]) : 5;
    size_t ni = (size_t)ceil(sqrt((double)n));
    size_t nj = (n + ni - 1) / ni;
    n = ni * nj; /* a full ni x nj grid for both */
    size_t bytes = n * 8;
    double *v = bench_smooth_field(n, 42);
    double *out = malloc(bytes);
    if (v == NULL || out == NULL) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    bench_touch(out, bytes);
    printf("simple_packing + CCSDS, %zu float64 values (%zux%zu, %.1f MiB), best of %d\n", n, ni,
           nj, (double)bytes / 1048576.0, reps);
    printf("ecCodes %s grid_ccsds vs tensogram simple_packing+szip (rsi 128, block 16, flags 8)\n",
           ECCODES_VERSION_STR);
    printf("%-5s %-10s %12s %12s %12s %8s %8s\n", "bits", "library", "bytes", "encode MB/s",
           "decode MB/s", "enc x", "dec x");
    static const int widths[] = {12, 16, 24};
    for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++) {
        /* ecCodes */
        codes_handle *h = codes_grib_handle_new_from_samples(NULL, "regular_ll_sfc_grib2");
        if (h == NULL) {
            fprintf(stderr, "ecCodes sample regular_ll_sfc_grib2 not found\n");
            return 1;
        }
        size_t plen = strlen("grid_ccsds");
        codes_set_long(h, "Ni", (long)ni);
        codes_set_long(h, "Nj", (long)nj);
        if (codes_set_string(h, "packingType", "grid_ccsds", &plen) != 0) {
            fprintf(stderr, "ecCodes has no grid_ccsds packing\n");
            return 1;
        }
        codes_set_long(h, "bitsPerValue", widths[w]);
        /* the same CCSDS parameters on both sides */
        codes_set_long(h, "ccsdsBlockSize", 16);
        codes_set_long(h, "ccsdsRsi", 128);
        double ee, ed;
        size_t got = n;
        BENCH_BEST(reps, ee, codes_set_double_array(h, "values", v, n));
        BENCH_BEST(reps, ed, {
            got = n;
            codes_get_double_array(h, "values", out, &got);
        });
        size_t glen = 0;
        const void *gmsg = NULL;
        codes_get_message(h, &gmsg, &glen);
        double emax = 0;
        for (size_t i = 0; i < n; i++) {
            double d = fabs(out[i] - v[i]);
            emax = d > emax ? d : emax;
        }
        codes_handle_delete(h);

        /* tensogram */
        char meta[512];
        snprintf(meta, sizeof meta,
                 "{\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":2,\"shape\":[%zu,%zu],"
                 "\"strides\":[%zu,1],\"dtype\":\"float64\",\"encoding\":\"simple_packing\","
                 "\"sp_bits_per_value\":%d,\"filter\":\"none\",\"compression\":\"szip\","
                 "\"szip_rsi\":128,\"szip_block_size\":16,\"szip_flags\":8}]}",
                 nj, ni, ni, widths[w]);
        const uint8_t *ptrs[1] = {(const uint8_t *)v};
        size_t lens[1] = {bytes};
        tgm_bytes_t msg = {NULL, 0};
        double te, td;
        BENCH_BEST(reps, te, {
            tgm_bytes_free(msg);
            if (tgm_encode(meta, ptrs, lens, 1, "xxh3", 1, &msg) != TGM_ERROR_OK) {
                fprintf(stderr, "encode: %s\n", tgm_last_error());
                return 1;
            }
        });
        size_t dlen = 0;
        BENCH_BEST(reps, td, {
            if (tgm_decode_object_into(msg.data, msg.len, 0, 1, 1, 1, NULL, out, bytes, &dlen) !=
                TGM_ERROR_OK) {
                fprintf(stderr, "decode: %s\n", tgm_last_error());
                return 1;
            }
        });
        double tmax = 0;
        for (size_t i = 0; i < n; i++) {
            double d = fabs(out[i] - v[i]);
            tmax = d > tmax ? d : tmax;
        }
        printf("%-5d %-10s %12zu %12.0f %12.0f %8s %8s   max err %.3g\n", widths[w], "ecCodes",
               glen, bench_mbps(bytes, ee), bench_mbps(bytes, ed), "1.00", "1.00", emax);
        printf("%-5d %-10s %12zu %12.0f %12.0f %8.2f %8.2f   max err %.3g\n", widths[w],
               "tensogram", msg.len, bench_mbps(bytes, te), bench_mbps(bytes, td), ee / te, ed / td,
               tmax);
        tgm_bytes_free(msg);
    }
    free(v);
    free(out);
    return 0;
}
