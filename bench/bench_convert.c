/* The converters against the libraries they sit on.
 *
 *   bench_convert [grib|netcdf|tenbin|all] [threads]
 *
 * GRIB: the reference's six ECMWF 0.25-degree fields (TGM_SHARED_DIR or
 * ../shared/reference/grib; 2t_ieee left out, its data section is corrupt)
 * in one buffer, or the same number of 1440 x 721 fields made from an
 * ecCodes sample when those are absent.  Baseline: ecCodes alone decoding
 * every message to doubles (codes_handle_new_from_message +
 * codes_get_double_array, one thread).  Measured: tgm_convert_grib_buffer
 * into one message, encoding none and simple_packing 16 + szip, with 1 and
 * N threads (GRIB messages decoded in parallel).
 *
 * NetCDF: a NetCDF-4 file of eight float32 1440 x 721 variables and one
 * packed int16 variable.  Baseline: netCDF-C reading every variable
 * (nc_get_var; the packed one as doubles).  Measured:
 * tgm_convert_netcdf_file (one message).  BENCH_NETCDF_FORMATS picks the
 * files (digits: 0 contiguous, 1 chunked + deflate, 2 NetCDF-3).
 *
 * tenbin: .ten -> Tensogram -> .ten for four 64 MiB float32 arrays (GB/s of
 * array bytes, hashes off and on): through memory (tgm_convert_tenbin /
 * tgm_convert_to_tenbin), and file to file as `tensogram convert-tenbin` /
 * `to-tenbin` do it (input mapped, output written from the mapping with
 * tgm_convert_tenbin_fd / tgm_convert_to_tenbin_fd; baseline: one write()
 * of the mapped .ten into a file); and the cost per record of a small
 * webdataset sample (a 32x32x3 uint8 image and an int64 label).
 * bench/bench_tenbin.py compares the Python side with webdataset's reader. */
#include <eccodes.h>
#include <fcntl.h>
#include <malloc.h>
#include <netcdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench_common.h"
#include "tensogram/convert.h"

static int reps = 3;

/* Wall and CPU seconds of one run (all threads of the process, and the
 * calling thread alone); the best of several runs is kept for each.  On a
 * busy machine CPU time is the stable figure.  With two threads, the larger
 * of the calling thread's CPU time and the other thread's (the rest) is what
 * the wall time would be with a free core for each ("busiest thread"; with
 * more threads that column is only a lower bound). */
typedef struct {
    double wall, cpu, main;
} timing;

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double thread_cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static timing timing_start(void) { return (timing){bench_now(), cpu_now(), thread_cpu_now()}; }

static timing timing_since(timing t0) {
    return (timing){bench_now() - t0.wall, cpu_now() - t0.cpu, thread_cpu_now() - t0.main};
}

#define TIMING_NONE                                                                                \
    { 1e30, 1e30, 1e30 }

static void timing_best(timing *best, timing t) {
    best->wall = t.wall < best->wall ? t.wall : best->wall;
    if (t.cpu < best->cpu) { /* cpu and main from the same run */
        best->cpu = t.cpu;
        best->main = t.main;
    }
}

/* ---- GRIB --------------------------------------------------------------------------- */

typedef struct {
    uint8_t *data;
    size_t len;
    size_t nmsg;
    size_t values;
} grib_input;

static void append(grib_input *in, const void *p, size_t n) {
    in->data = realloc(in->data, in->len + n);
    memcpy(in->data + in->len, p, n);
    in->len += n;
}

static bool read_file(const char *path, grib_input *in) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return false;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n);
    bool ok = fread(b, 1, (size_t)n, f) == (size_t)n;
    fclose(f);
    if (ok) {
        append(in, b, (size_t)n);
        in->nmsg++;
    }
    free(b);
    return ok;
}

static grib_input grib_fields(void) {
    grib_input in = {NULL, 0, 0, 0};
    const char *shared = getenv("TGM_SHARED_DIR");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/grib", shared ? shared : "../shared/reference");
    static const char *const names[] = {"2t", "2t_simple", "lsm", "lsm_bitmap", "q_150", "t_600"};
    for (size_t i = 0; i < 6; i++) {
        char path[1200];
        snprintf(path, sizeof path, "%s/%s.grib2", dir, names[i]);
        if (!read_file(path, &in)) {
            free(in.data);
            in = (grib_input){NULL, 0, 0, 0};
            break;
        }
    }
    if (in.nmsg > 0) {
        printf("GRIB input: the reference's 6 fields (%s), %.1f MB\n", dir, in.len / 1e6);
    } else {
        /* Six 0.25-degree fields, CCSDS 12 bits, from an ecCodes sample. */
        double *v = bench_smooth_field(1440 * 721, 42);
        for (int i = 0; i < 6; i++) {
            codes_handle *h = codes_grib_handle_new_from_samples(NULL, "regular_ll_sfc_grib2");
            codes_set_long(h, "Ni", 1440);
            codes_set_long(h, "Nj", 721);
            codes_set_double(h, "latitudeOfFirstGridPointInDegrees", 90);
            codes_set_double(h, "latitudeOfLastGridPointInDegrees", -90);
            codes_set_double(h, "longitudeOfFirstGridPointInDegrees", 0);
            codes_set_double(h, "longitudeOfLastGridPointInDegrees", 359.75);
            codes_set_double(h, "iDirectionIncrementInDegrees", 0.25);
            codes_set_double(h, "jDirectionIncrementInDegrees", 0.25);
            size_t len = 4;
            codes_set_string(h, "packingType", "grid_ccsds", &len);
            codes_set_long(h, "bitsPerValue", 12);
            for (size_t k = 0; k < 1440 * 721; k++) {
                v[k] += 0.5;
            }
            codes_set_double_array(h, "values", v, 1440 * 721);
            const void *m;
            size_t ml;
            codes_get_message(h, &m, &ml);
            append(&in, m, ml);
            in.nmsg++;
            codes_handle_delete(h);
        }
        free(v);
        printf("GRIB input: 6 synthetic 1440x721 fields (grid_ccsds 12 bits), %.1f MB\n",
               in.len / 1e6);
    }
    return in;
}

/* ecCodes alone: every message decoded to doubles, each into its own new
 * array (what a reader keeping the values does, and what the conversion
 * hands back: new memory), or with `reuse` into one array decoded into
 * again and again (the floor: no first-touch page faults). */
static timing eccodes_decode_all(const grib_input *in, size_t *values, bool reuse) {
    FILE *f = fmemopen(in->data, in->len, "rb");
    codes_handle *h;
    int err = 0;
    size_t total = 0;
    double *buf = NULL;
    size_t cap = 0;
    double *kept[64] = {NULL};
    size_t nkept = 0;
    timing t0 = timing_start();
    while ((h = codes_handle_new_from_file(NULL, f, PRODUCT_GRIB, &err)) != NULL) {
        size_t n = 0;
        codes_get_size(h, "values", &n);
        if (!reuse && nkept < 64) {
            buf = kept[nkept++] = malloc(n * sizeof *buf);
        } else if (n > cap) {
            free(buf);
            buf = malloc(n * sizeof *buf);
            cap = n;
        }
        codes_get_double_array(h, "values", buf, &n);
        total += n;
        codes_handle_delete(h);
    }
    timing dt = timing_since(t0);
    fclose(f);
    for (size_t i = 0; i < nkept; i++) {
        free(kept[i]);
    }
    if (reuse || nkept == 64) {
        free(buf);
    }
    *values = total;
    return dt;
}

static timing convert_grib(const grib_input *in, uint32_t threads, bool packed, size_t *out_len) {
    tgm_convert_options o = TGM_CONVERT_OPTIONS_INIT;
    o.threads = threads;
    if (packed) {
        o.encoding = "simple_packing";
        o.bits = 16;
        o.compression = "szip";
    }
    tgm_convert_result_t *r = NULL;
    timing t0 = timing_start();
    tgm_error e = tgm_convert_grib_buffer(in->data, in->len, &o, &r);
    timing dt = timing_since(t0);
    if (e != TGM_ERROR_OK) {
        fprintf(stderr, "convert: %s\n", tgm_last_error());
        exit(1);
    }
    tgm_convert_result_message(r, 0, out_len);
    tgm_convert_result_free(r);
    return dt;
}

static void print_row(const char *label, timing t, timing base, const char *extra) {
    printf("  %-42s %7.1f ms wall %7.1f ms CPU (calling thread %6.1f, others %6.1f)   ratio "
           "%.2f wall, %.2f CPU, %.2f busiest thread%s\n",
           label, t.wall * 1e3, t.cpu * 1e3, t.main * 1e3,
           (t.cpu > t.main ? t.cpu - t.main : 0.0) * 1e3, t.wall / base.wall, t.cpu / base.cpu,
           (t.main > t.cpu - t.main ? t.main : t.cpu - t.main) / base.cpu, extra);
}

static void bench_grib(uint32_t nthreads) {
    grib_input in = grib_fields();
    size_t values = 0, len = 0;
    eccodes_decode_all(&in, &values, true); /* warm: ecCodes loads its definitions once */
    timing base = TIMING_NONE, floor = TIMING_NONE;
    for (int i = 0; i < reps; i++) {
        timing_best(&base, eccodes_decode_all(&in, &values, false));
        timing_best(&floor, eccodes_decode_all(&in, &values, true));
    }
    printf("  %zu messages, %zu values\n", in.nmsg, values);
    print_row("ecCodes decode to doubles, 1 thread", base, base, "  (baseline)");
    print_row("  the same into one reused array", floor, base, "");
    /* warm: the first conversion makes ecCodes parse its concept files
     * (paramId, shortName, ...), which the decode-only baseline never needs */
    convert_grib(&in, 1, false, &len);
    uint32_t counts[2] = {1, nthreads};
    for (int packed = 0; packed < 2; packed++) {
        for (int k = 0; k < (nthreads > 1 ? 2 : 1); k++) {
            timing best = TIMING_NONE;
            for (int i = 0; i < reps; i++) {
                timing_best(&best, convert_grib(&in, counts[k], packed, &len));
            }
            char label[96], extra[64];
            snprintf(label, sizeof label, "convert_grib, %s, %u thread%s",
                     packed ? "sp16 + szip" : "encoding none", counts[k], counts[k] > 1 ? "s" : "");
            snprintf(extra, sizeof extra, "  (%.1f MB out)", len / 1e6);
            print_row(label, best, base, extra);
        }
    }
    free(in.data);
}

/* ---- NetCDF ------------------------------------------------------------------------- */

/* format 0: NetCDF-4 contiguous; 1: NetCDF-4 chunked (one chunk per
 * 180 rows) with shuffle + deflate level 1; 2: NetCDF-3 64-bit offset. */
static void make_netcdf(const char *path, int format) {
    int nc, dims[2], v;
    nc_create(path, (format == 2 ? NC_64BIT_OFFSET : NC_NETCDF4) | NC_CLOBBER, &nc);
    nc_def_dim(nc, "lat", 721, &dims[0]);
    nc_def_dim(nc, "lon", 1440, &dims[1]);
    size_t chunks[2] = {180, 1440};
    for (int i = 0; i < 9; i++) {
        char name[16];
        snprintf(name, sizeof name, i < 8 ? "f%d" : "packed", i);
        nc_def_var(nc, name, i < 8 ? NC_FLOAT : NC_SHORT, 2, dims, &v);
        if (format == 1) {
            nc_def_var_chunking(nc, v, NC_CHUNKED, chunks);
            nc_def_var_deflate(nc, v, 1, 1, 1);
        }
    }
    double sf = 0.01, ao = 273.15;
    short fill = -32768;
    nc_put_att_double(nc, v, "scale_factor", NC_DOUBLE, 1, &sf);
    nc_put_att_double(nc, v, "add_offset", NC_DOUBLE, 1, &ao);
    nc_put_att_short(nc, v, "_FillValue", NC_SHORT, 1, &fill);
    nc_enddef(nc);
    double *field = bench_smooth_field(1440 * 721, 7);
    float *f = malloc(1440 * 721 * sizeof *f);
    short *s = malloc(1440 * 721 * sizeof *s);
    for (size_t k = 0; k < 1440 * 721; k++) {
        f[k] = (float)field[k];
        s[k] = (short)((field[k] - ao) / sf);
    }
    for (int i = 0; i < 8; i++) {
        nc_put_var_float(nc, i, f);
    }
    nc_put_var_short(nc, 8, s);
    nc_close(nc);
    free(field);
    free(f);
    free(s);
}

/* netCDF-C reading every variable, each into its own new buffer (what a
 * reader keeping the data does), or with `reuse` into one buffer per type
 * read again and again (the floor: a copy out of the page cache). */
static timing netcdf_read_all(const char *path, bool reuse) {
    size_t n = 1440 * 721;
    float *fbuf = reuse ? malloc(n * sizeof *fbuf) : NULL;
    double *dbuf = reuse ? malloc(n * sizeof *dbuf) : NULL;
    if (reuse) {
        bench_touch(fbuf, n * sizeof *fbuf);
        bench_touch(dbuf, n * sizeof *dbuf);
    }
    void *kept[9] = {NULL};
    timing t0 = timing_start();
    int nc;
    nc_open(path, NC_NOWRITE, &nc);
    for (int i = 0; i < 8; i++) {
        float *f = reuse ? fbuf : (float *)(kept[i] = malloc(n * sizeof *f));
        nc_get_var_float(nc, i, f);
    }
    double *d = reuse ? dbuf : (double *)(kept[8] = malloc(n * sizeof *d));
    nc_get_var_double(nc, 8, d);
    nc_close(nc);
    timing dt = timing_since(t0);
    for (int i = 0; i < 9; i++) {
        free(kept[i]);
    }
    free(fbuf);
    free(dbuf);
    return dt;
}

static void bench_netcdf(uint32_t nthreads) {
    static const char *const formats[] = {"NetCDF-4 (HDF5, contiguous)",
                                          "NetCDF-4 (chunked, shuffle + deflate 1)",
                                          "NetCDF-3 (64-bit offset, big-endian)"};
    size_t bytes = 8 * 1440 * 721 * 4 + 1440 * 721 * 2;
    printf("NetCDF input: 8 float32 + 1 packed int16 (scale_factor, add_offset, _FillValue) "
           "variables of 1440x721, %.1f MB of values\n",
           bytes / 1e6);
    /* BENCH_NETCDF_FORMATS: the formats to run, as digits ("0" for
     * contiguous NetCDF-4 alone); all three by default. */
    const char *only = getenv("BENCH_NETCDF_FORMATS");
    for (int format = 0; format < 3; format++) {
        if (only != NULL && strchr(only, '0' + format) == NULL) {
            continue;
        }
        char path[] = "/tmp/tgm-bench-XXXXXX.nc";
        int fd = mkstemps(path, 3);
        close(fd);
        make_netcdf(path, format);
        printf(" %s\n", formats[format]);
        netcdf_read_all(path, false);
        timing base = TIMING_NONE, floor = TIMING_NONE;
        for (int i = 0; i < reps; i++) {
            timing_best(&base, netcdf_read_all(path, false));
            timing_best(&floor, netcdf_read_all(path, true));
        }
        print_row("netCDF-C reading every variable", base, base, "  (baseline)");
        print_row("  the same into one reused buffer", floor, base, "");
        for (int k = 0; k < 3; k++) {
            if (k == 2 && nthreads < 2) {
                break;
            }
            tgm_convert_options o = TGM_CONVERT_OPTIONS_INIT;
            o.threads = k == 2 ? nthreads : 1;
            o.hash_algo = k == 1 ? NULL : "xxh3";
            timing best = TIMING_NONE;
            for (int i = 0; i < reps; i++) {
                tgm_convert_result_t *r = NULL;
                timing t0 = timing_start();
                if (tgm_convert_netcdf_file(path, &o, &r) != TGM_ERROR_OK) {
                    fprintf(stderr, "convert: %s\n", tgm_last_error());
                    exit(1);
                }
                timing_best(&best, timing_since(t0));
                tgm_convert_result_free(r);
            }
            char label[64];
            snprintf(label, sizeof label, "convert_netcdf, %s, %u thread%s",
                     k == 1 ? "no hash" : "xxh3", o.threads, o.threads > 1 ? "s" : "");
            print_row(label, best, base, "");
        }
        unlink(path);
    }
}

/* ---- tenbin -------------------------------------------------------------------------- */

static void write_all(int fd, const uint8_t *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0) {
            perror("write");
            exit(1);
        }
        p += w;
        n -= (size_t)w;
    }
}

static int temp_file(const char *suffix) {
    char path[64];
    snprintf(path, sizeof path, "/tmp/bench_tenbin_XXXXXX%s", suffix);
    int fd = mkstemps(path, (int)strlen(suffix));
    if (fd < 0) {
        perror("mkstemps");
        exit(1);
    }
    unlink(path);
    return fd;
}

static const uint8_t *map_fd(int fd, size_t len) {
    void *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (m == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    return m;
}

/* File to file, as the CLI does it: the .ten in the page cache, mapped;
 * each output file emptied before its run (its pages are new page-cache
 * pages, as for a new file).  No fsync (the CLI's commit adds one, which
 * measures the disk). */
static void bench_tenbin_files(const tgm_bytes_t *ten, size_t bytes) {
    int in_fd = temp_file(".ten"), tgm_fd = temp_file(".tgm"), out_fd = temp_file(".ten");
    int copy_fd = temp_file(".copy");
    write_all(in_fd, ten->data, ten->len);
    const uint8_t *in = map_fd(in_fd, ten->len);
    printf(" file to file (input mapped, output written from the mapping, no fsync)\n");
    for (int hashed = 0; hashed < 2; hashed++) {
        tgm_convert_options o = TGM_CONVERT_OPTIONS_INIT;
        o.hash_algo = hashed ? "xxh3" : NULL;
        double to = 1e30, back = 1e30, copy_t = 1e30;
        for (int r = 0; r < reps + 1; r++) {
            if (ftruncate(tgm_fd, 0) != 0 || ftruncate(out_fd, 0) != 0 ||
                ftruncate(copy_fd, 0) != 0) {
                perror("ftruncate");
                exit(1);
            }
            lseek(tgm_fd, 0, SEEK_SET);
            lseek(out_fd, 0, SEEK_SET);
            lseek(copy_fd, 0, SEEK_SET);
            uint64_t mlen = 0, tlen = 0;
            double t0 = bench_now();
            tgm_error e1 = tgm_convert_tenbin_fd(in, ten->len, &o, tgm_fd, &mlen);
            double t1 = bench_now();
            const uint8_t *msg = e1 == TGM_ERROR_OK ? map_fd(tgm_fd, (size_t)mlen) : NULL;
            tgm_error e2 =
                msg != NULL ? tgm_convert_to_tenbin_fd(msg, (size_t)mlen, &o, out_fd, &tlen) : e1;
            double t2 = bench_now();
            if (e2 != TGM_ERROR_OK || tlen != ten->len) {
                fprintf(stderr, "tenbin file round trip failed: %s\n", tgm_last_error());
                exit(1);
            }
            if (r == 0) {
                const uint8_t *back_map = map_fd(out_fd, ten->len);
                if (memcmp(back_map, ten->data, ten->len) != 0) {
                    fprintf(stderr, "tenbin file round trip differs\n");
                    exit(1);
                }
                munmap((void *)(uintptr_t)back_map, ten->len);
            }
            munmap((void *)(uintptr_t)msg, (size_t)mlen);
            double t3 = bench_now();
            write_all(copy_fd, in, ten->len);
            double t4 = bench_now();
            if (r == 0) {
                continue; /* warm-up */
            }
            to = t1 - t0 < to ? t1 - t0 : to;
            back = t2 - t1 < back ? t2 - t1 : back;
            copy_t = t4 - t3 < copy_t ? t4 - t3 : copy_t;
        }
        printf("  hash %-4s: .ten -> tgm %5.2f GB/s, tgm -> .ten %5.2f GB/s, round trip %5.2f "
               "GB/s (one write() of the .ten: %.2f GB/s; round trip / write %.2f)\n",
               hashed ? "xxh3" : "none", bytes / to / 1e9, bytes / back / 1e9,
               bytes / (to + back) / 1e9, ten->len / copy_t / 1e9,
               (ten->len / copy_t) > 0 ? (bytes / (to + back)) / (ten->len / copy_t) : 0.0);
    }
    munmap((void *)(uintptr_t)in, ten->len);
    close(in_fd);
    close(tgm_fd);
    close(out_fd);
    close(copy_fd);
}

static void bench_tenbin(void) {
    enum { N = 4 };
    size_t n = (64u << 20) / 4;
    float *arrays[N];
    tgm_tenbin_array in[N];
    uint64_t shape[1] = {n};
    for (int i = 0; i < N; i++) {
        arrays[i] = malloc(n * sizeof(float));
        for (size_t k = 0; k < n; k++) {
            arrays[i][k] = (float)(k % 1000) * 0.5f + (float)i;
        }
        in[i] = (tgm_tenbin_array){"float32",         "",   1, shape, (const uint8_t *)arrays[i],
                                   n * sizeof(float), false};
        snprintf(in[i].info, sizeof in[i].info, "a%d", i);
    }
    tgm_bytes_t ten = {NULL, 0};
    tgm_tenbin_write(in, N, TGM_TENBIN_LITTLE, &ten);
    size_t bytes = N * n * sizeof(float);
    printf("tenbin: %d float32 arrays of 64 MiB (%.0f MB)\n", N, bytes / 1e6);
    /* Twice: with malloc's defaults (every output is new memory the kernel
     * must zero: a page-fault-bound figure on some machines), then with
     * freed memory kept for reuse, as in a long-running loader. */
    for (int keep_memory = 0; keep_memory < 2; keep_memory++) {
        if (keep_memory) {
            mallopt(M_MMAP_THRESHOLD, 1 << 30);
            mallopt(M_TRIM_THRESHOLD, 1 << 30);
        }
        printf(" %s\n", keep_memory ? "freed memory kept by malloc (mallopt)"
                                    : "malloc defaults (outputs in new memory)");
        for (int hashed = 0; hashed < 2; hashed++) {
            tgm_convert_options o = TGM_CONVERT_OPTIONS_INIT;
            o.hash_algo = hashed ? "xxh3" : NULL;
            double to = 1e30, back = 1e30, memcpy_t = 1e30;
            for (int r = 0; r < reps + 1; r++) {
                tgm_bytes_t msg = {NULL, 0}, again = {NULL, 0};
                double t0 = bench_now();
                tgm_convert_tenbin(ten.data, ten.len, &o, &msg);
                double t1 = bench_now();
                tgm_convert_to_tenbin(msg.data, msg.len, &o, &again);
                double t2 = bench_now();
                if (again.len != ten.len || memcmp(again.data, ten.data, ten.len) != 0) {
                    fprintf(stderr, "tenbin round trip differs\n");
                    exit(1);
                }
                tgm_bytes_free(msg);
                tgm_bytes_free(again);
                uint8_t *copy = malloc(ten.len);
                double t3 = bench_now();
                memcpy(copy, ten.data, ten.len);
                volatile uint8_t keep = copy[ten.len / 2];
                (void)keep;
                double t4 = bench_now();
                free(copy);
                if (r == 0) {
                    continue; /* warm-up */
                }
                to = t1 - t0 < to ? t1 - t0 : to;
                back = t2 - t1 < back ? t2 - t1 : back;
                memcpy_t = t4 - t3 < memcpy_t ? t4 - t3 : memcpy_t;
            }
            printf("  hash %-4s: .ten -> tgm %5.2f GB/s, tgm -> .ten %5.2f GB/s, round trip %5.2f "
                   "GB/s (one memcpy of the .ten: %.2f GB/s)\n",
                   hashed ? "xxh3" : "none", bytes / to / 1e9, bytes / back / 1e9,
                   bytes / (to + back) / 1e9, ten.len / memcpy_t / 1e9);
        }
    }
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    mallopt(M_TRIM_THRESHOLD, 128 * 1024);
    bench_tenbin_files(&ten, bytes);
    tgm_bytes_free(ten);
    for (int i = 0; i < N; i++) {
        free(arrays[i]);
    }
    /* Small records: a webdataset image + label sample. */
    static uint8_t image[32 * 32 * 3];
    int64_t label = 3;
    uint64_t ishape[3] = {32, 32, 3}, lshape[1] = {1};
    tgm_tenbin_array rec[2] = {{"uint8", "image", 3, ishape, image, sizeof image, false},
                               {"int64", "label", 1, lshape, (const uint8_t *)&label, 8, false}};
    tgm_bytes_t small = {NULL, 0};
    tgm_tenbin_write(rec, 2, TGM_TENBIN_LITTLE, &small);
    const int iters = 20000;
    double read_t = 1e30, to_t = 1e30, back_t = 1e30;
    tgm_bytes_t msg = {NULL, 0};
    tgm_convert_options o = TGM_CONVERT_OPTIONS_INIT;
    o.hash_algo = NULL;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = cpu_now();
        for (int i = 0; i < iters; i++) {
            tgm_tenbin_record_t *r = NULL;
            tgm_tenbin_read(small.data, small.len, TGM_TENBIN_AUTO, &r);
            tgm_tenbin_record_free(r);
        }
        double t1 = cpu_now();
        for (int i = 0; i < iters; i++) {
            tgm_bytes_free(msg);
            tgm_convert_tenbin(small.data, small.len, &o, &msg);
        }
        double t2 = cpu_now();
        for (int i = 0; i < iters; i++) {
            tgm_bytes_t t = {NULL, 0};
            tgm_convert_to_tenbin(msg.data, msg.len, &o, &t);
            tgm_bytes_free(t);
        }
        double t3 = cpu_now();
        read_t = t1 - t0 < read_t ? t1 - t0 : read_t;
        to_t = t2 - t1 < to_t ? t2 - t1 : to_t;
        back_t = t3 - t2 < back_t ? t3 - t2 : back_t;
    }
    printf("tenbin, small records (32x32x3 uint8 + int64 label, %zu bytes):\n", small.len);
    printf("  CPU per record: tgm_tenbin_read %.2f us, .ten -> tgm %.2f us, tgm -> .ten %.2f us\n",
           read_t / iters * 1e6, to_t / iters * 1e6, back_t / iters * 1e6);
    tgm_bytes_free(msg);
    tgm_bytes_free(small);
}

int main(int argc, char **argv) {
    const char *what = argc > 1 ? argv[1] : "all";
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    uint32_t threads = argc > 2 ? (uint32_t)atoi(argv[2]) : (uint32_t)(cpus > 1 ? cpus : 2);
    if (getenv("BENCH_REPS") != NULL) {
        reps = atoi(getenv("BENCH_REPS"));
    }
    if (strcmp(what, "grib") == 0 || strcmp(what, "all") == 0) {
        bench_grib(threads);
    }
    if (strcmp(what, "netcdf") == 0 || strcmp(what, "all") == 0) {
        bench_netcdf(threads);
    }
    if (strcmp(what, "tenbin") == 0 || strcmp(what, "all") == 0) {
        bench_tenbin();
    }
    return 0;
}
