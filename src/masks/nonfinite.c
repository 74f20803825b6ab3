/* NaN / Inf detection, substitution and restoration (WIRE_FORMAT §6.5.2,
 * §6.5.4).
 *
 * Detection works on bit patterns, so the 16-bit floats need no conversion
 * and byte order costs nothing on the fast path: a block of units is first
 * checked for "exponent all ones" with the exponent mask in the data's own
 * byte order (an OR-reduction the compiler vectorises); only blocks that
 * hit are classified element by element.  Payloads with no non-finite
 * value are never copied. */
#include <inttypes.h>
#include <string.h>

#include "codecs/bitmask_codecs.h"
#include "common/alloc.h"
#include "common/cpu.h"
#include "common/endian.h"
#include "common/error.h"
#include "common/thread.h"
#include "masks/masks.h"

/* Classification codes: 0 finite, else tgm_mask_kind + 1. */
#define K_FINITE 0
#define K_NAN (TGM_MASK_NAN + 1)
#define K_PINF (TGM_MASK_POS_INF + 1)
#define K_NINF (TGM_MASK_NEG_INF + 1)

#define BLOCK_BYTES 4096u
#define TASK_BYTES ((size_t)1 << 20)

typedef struct fmt {
    unsigned width; /* bytes per unit: 2, 4 or 8 */
    unsigned upe;   /* units per element: 1, or 2 for complex */
    uint64_t exp;   /* exponent mask, host order */
    uint64_t mant;  /* mantissa mask */
    uint64_t sign;
    uint64_t exp_data; /* exponent mask as it appears when the data's bytes are loaded natively */
    int swap;          /* data byte order differs from the host's */
    const char *name;
} fmt;

static int fmt_for(tgm_dtype dt, int big_endian, fmt *f) {
    memset(f, 0, sizeof *f);
    f->upe = 1;
    switch (dt) {
    case TGM_DT_FLOAT16:
        f->width = 2, f->exp = 0x7C00, f->mant = 0x03FF, f->sign = 0x8000;
        break;
    case TGM_DT_BFLOAT16:
        f->width = 2, f->exp = 0x7F80, f->mant = 0x007F, f->sign = 0x8000;
        break;
    case TGM_DT_COMPLEX64:
        f->upe = 2;
        /* fall through */
    case TGM_DT_FLOAT32:
        f->width = 4, f->exp = 0x7F800000u, f->mant = 0x007FFFFFu, f->sign = 0x80000000u;
        break;
    case TGM_DT_COMPLEX128:
        f->upe = 2;
        /* fall through */
    case TGM_DT_FLOAT64:
        f->width = 8, f->exp = 0x7FF0000000000000ull, f->mant = 0x000FFFFFFFFFFFFFull;
        f->sign = 0x8000000000000000ull;
        break;
    default:
        return 0;
    }
    f->name = tgm__dtype_name(dt);
    f->swap = (big_endian != 0) != TGM_HOST_BIG_ENDIAN;
    f->exp_data = f->exp;
    if (f->swap) {
        f->exp_data = f->width == 2   ? __builtin_bswap16((uint16_t)f->exp)
                      : f->width == 4 ? __builtin_bswap32((uint32_t)f->exp)
                                      : __builtin_bswap64(f->exp);
    }
    return 1;
}

/* --- fast block check: does any unit have an all-ones exponent? ---------- */

/* Any unit with all exponent bits set?  `e` is the exponent mask as it
 * appears in a native load of the data (no early exit: the loop vectorises). */
#define ANY_SPECIAL(name, T)                                                                       \
    static int name(const uint8_t *p, size_t n, T e) {                                             \
        unsigned acc = 0;                                                                          \
        for (size_t i = 0; i < n; i++) {                                                           \
            T x;                                                                                   \
            memcpy(&x, p + sizeof(T) * i, sizeof(T));                                              \
            acc |= (x & e) == e;                                                                   \
        }                                                                                          \
        return acc != 0;                                                                           \
    }
ANY_SPECIAL(any_special16, uint16_t)
ANY_SPECIAL(any_special32, uint32_t)
ANY_SPECIAL(any_special64, uint64_t)
#undef ANY_SPECIAL

/* Native byte order: (x & e) + lowest_bit(e) carries into the bit just
 * above the exponent field exactly when the exponent is all ones, and
 * never sets it otherwise, so OR-accumulating the sums and testing that bit
 * answers for the whole block with adds and ors only (which vectorise with
 * plain SSE2, unlike 64-bit compares). */
#define ANY_SPECIAL_NATIVE(name, T)                                                                \
    static int name(const uint8_t *p, size_t n, T e) {                                             \
        T low = (T)(e & (T)(~e + 1u));                                                             \
        T acc = 0;                                                                                 \
        for (size_t i = 0; i < n; i++) {                                                           \
            T x;                                                                                   \
            memcpy(&x, p + sizeof(T) * i, sizeof(T));                                              \
            acc |= (T)((x & e) + low);                                                             \
        }                                                                                          \
        return (acc & (T)(e + low)) != 0;                                                          \
    }
ANY_SPECIAL_NATIVE(any_special16_native, uint16_t)
ANY_SPECIAL_NATIVE(any_special32_native, uint32_t)
ANY_SPECIAL_NATIVE(any_special64_native, uint64_t)
#undef ANY_SPECIAL_NATIVE

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_AVX2_KERNELS 1
/* The same test 32 bytes at a time: the codecs run it on data in cache,
 * where SSE2's 16 bytes per step made it a quarter of lz4's time. */
#define ANY_SPECIAL_AVX2(name, T, set1, add)                                                       \
    __attribute__((target("avx2"))) static int name(const uint8_t *p, size_t n, T e) {             \
        T low = (T)(e & (T)(~e + 1u));                                                             \
        __m256i ve = set1(e), vl = set1(low);                                                      \
        __m256i a0 = _mm256_setzero_si256(), a1 = _mm256_setzero_si256();                          \
        size_t per = 32 / sizeof(T), i = 0;                                                        \
        for (; i + 2 * per <= n; i += 2 * per) {                                                   \
            __m256i x0 = _mm256_loadu_si256((const __m256i *)(const void *)(p + sizeof(T) * i));   \
            __m256i x1 =                                                                           \
                _mm256_loadu_si256((const __m256i *)(const void *)(p + sizeof(T) * (i + per)));    \
            a0 = _mm256_or_si256(a0, add(_mm256_and_si256(x0, ve), vl));                           \
            a1 = _mm256_or_si256(a1, add(_mm256_and_si256(x1, ve), vl));                           \
        }                                                                                          \
        __m256i hit = _mm256_and_si256(_mm256_or_si256(a0, a1), set1((T)(e + low)));               \
        T acc = 0;                                                                                 \
        for (; i < n; i++) {                                                                       \
            T x;                                                                                   \
            memcpy(&x, p + sizeof(T) * i, sizeof(T));                                              \
            acc |= (T)((x & e) + low);                                                             \
        }                                                                                          \
        return !_mm256_testz_si256(hit, hit) || (acc & (T)(e + low)) != 0;                         \
    }
__attribute__((target("avx2"))) static inline __m256i set1_32(uint32_t v) {
    return _mm256_set1_epi32((int)v);
}
__attribute__((target("avx2"))) static inline __m256i set1_64(uint64_t v) {
    return _mm256_set1_epi64x((long long)v);
}
ANY_SPECIAL_AVX2(any_special32_avx2, uint32_t, set1_32, _mm256_add_epi32)
ANY_SPECIAL_AVX2(any_special64_avx2, uint64_t, set1_64, _mm256_add_epi64)
#undef ANY_SPECIAL_AVX2
#endif

static int any_special(const fmt *f, const uint8_t *p, size_t units) {
    if (!f->swap) {
#ifdef HAVE_AVX2_KERNELS
        if (f->width >= 4 && (tgm__cpu_features() & TGM_CPU_AVX2)) {
            return f->width == 4 ? any_special32_avx2(p, units, (uint32_t)f->exp)
                                 : any_special64_avx2(p, units, f->exp);
        }
#endif
        switch (f->width) {
        case 2:
            return any_special16_native(p, units, (uint16_t)f->exp);
        case 4:
            return any_special32_native(p, units, (uint32_t)f->exp);
        default:
            return any_special64_native(p, units, f->exp);
        }
    }
    switch (f->width) {
    case 2:
        return any_special16(p, units, (uint16_t)f->exp_data);
    case 4:
        return any_special32(p, units, (uint32_t)f->exp_data);
    default:
        return any_special64(p, units, f->exp_data);
    }
}

/* Slow path for a block that hit: the indices of the units with an
 * all-ones exponent (branch-free compaction; idx has room for `n`). */
#define COLLECT(name, T)                                                                           \
    static size_t name(const uint8_t *p, size_t n, T e, uint16_t *idx) {                           \
        size_t k = 0;                                                                              \
        for (size_t i = 0; i < n; i++) {                                                           \
            T x;                                                                                   \
            memcpy(&x, p + sizeof(T) * i, sizeof(T));                                              \
            idx[k] = (uint16_t)i;                                                                  \
            k += (x & e) == e;                                                                     \
        }                                                                                          \
        return k;                                                                                  \
    }
COLLECT(collect16, uint16_t)
COLLECT(collect32, uint32_t)
COLLECT(collect64, uint64_t)
#undef COLLECT

/* Element indices (within the block) that may be non-finite, each once;
 * returns their number.  `units` <= BLOCK_BYTES / 2. */
static size_t candidates(const fmt *f, const uint8_t *p, size_t units, uint16_t *idx) {
    size_t k;
    switch (f->width) {
    case 2:
        k = collect16(p, units, (uint16_t)f->exp_data, idx);
        break;
    case 4:
        k = collect32(p, units, (uint32_t)f->exp_data, idx);
        break;
    default:
        k = collect64(p, units, f->exp_data, idx);
        break;
    }
    if (f->upe == 1) {
        return k;
    }
    /* Complex: unit -> element, dropping the repeat when both components hit. */
    size_t m = 0;
    for (size_t j = 0; j < k; j++) {
        uint16_t el = (uint16_t)(idx[j] / 2);
        if (m == 0 || idx[m - 1] != el) {
            idx[m++] = el;
        }
    }
    return m;
}

/* --- per-element classification (slow path) ------------------------------ */

static uint64_t load_unit(const fmt *f, const uint8_t *p) {
    switch (f->width) {
    case 2: {
        uint16_t x;
        memcpy(&x, p, 2);
        return f->swap ? __builtin_bswap16(x) : x;
    }
    case 4: {
        uint32_t x;
        memcpy(&x, p, 4);
        return f->swap ? __builtin_bswap32(x) : x;
    }
    default: {
        uint64_t x;
        memcpy(&x, p, 8);
        return f->swap ? __builtin_bswap64(x) : x;
    }
    }
}

static int classify_unit(const fmt *f, uint64_t x) {
    if ((x & f->exp) != f->exp) {
        return K_FINITE;
    }
    if ((x & f->mant) != 0) {
        return K_NAN;
    }
    return (x & f->sign) ? K_NINF : K_PINF;
}

/* Classify element `p`; *component is 0 real, 1 imaginary, -1 not complex. */
static int classify(const fmt *f, const uint8_t *p, int *component) {
    int cr = classify_unit(f, load_unit(f, p));
    *component = -1;
    if (f->upe == 1) {
        return cr;
    }
    int ci = classify_unit(f, load_unit(f, p + f->width));
    /* WIRE_FORMAT §6.5.2: NaN beats +Inf beats -Inf; real before imaginary. */
    static const int order[3] = {K_NAN, K_PINF, K_NINF};
    for (int k = 0; k < 3; k++) {
        if (cr == order[k]) {
            *component = 0;
            return cr;
        }
        if (ci == order[k]) {
            *component = 1;
            return ci;
        }
    }
    return K_FINITE;
}

static tgm_error disallowed(const fmt *f, int kind, int component, uint64_t index) {
    const char *suffix = component == 0   ? " (real component)"
                         : component == 1 ? " (imaginary component)"
                                          : "";
    if (kind == K_NAN) {
        return tgm__fail(TGM_ERROR_ENCODING,
                         "strict-NaN check: NaN at element %" PRIu64
                         " of %s array%s; pass allow_nan=true to substitute with 0.0 and record "
                         "positions in a mask",
                         index, f->name, suffix);
    }
    return tgm__fail(TGM_ERROR_ENCODING,
                     "strict-Inf check: %s at element %" PRIu64
                     " of %s array%s; pass allow_inf=true to substitute with 0.0 and record "
                     "positions in a mask",
                     kind == K_PINF ? "+Inf" : "-Inf", index, f->name, suffix);
}

/* --- the scan ------------------------------------------------------------ */

typedef struct scan {
    fmt f;
    const uint8_t *src;
    size_t elem; /* bytes per element */
    uint64_t n;  /* elements */
    bool allow_nan, allow_inf;
    size_t block_elems;
    size_t task_elems;
    /* parallel phases */
    uint8_t *out;
    tgm_mask_set *masks;
    uint8_t *task_kinds; /* per task: bit k set when kind k occurs */
    uint64_t (*task_counts)[TGM_MASK_KINDS];
} scan;

static int allowed(const scan *s, int kind) { return kind == K_NAN ? s->allow_nan : s->allow_inf; }

/* How many candidates from cand[c] on are consecutive elements of the same
 * kind as element cand[c] (`kind`): at least 1.  Missing values come in
 * runs (a GRIB bitmap's land or sea, a NetCDF fill region), which are then
 * marked and zeroed as one range instead of element by element. */
static size_t same_kind_run(const fmt *f, size_t elem, const uint8_t *p, const uint16_t *cand,
                            size_t c, size_t ncand, int kind) {
    size_t run = 1;
    size_t i = cand[c];
    while (c + run < ncand && cand[c + run] == i + run) {
        const uint8_t *e = p + (i + run) * elem;
        int comp;
        /* The same bytes as the element before (one NaN pattern filling a
         * region): the same kind, without classifying. */
        if (!(f->upe == 1 && load_unit(f, e) == load_unit(f, e - elem)) &&
            classify(f, e, &comp) != kind) {
            break;
        }
        run++;
    }
    return run;
}

/* Sequential: one fused pass, copying only once a non-finite value shows. */
static tgm_error scan_sequential(scan *s, uint8_t **substituted, tgm_mask_set *masks) {
    const fmt *f = &s->f;
    uint8_t *out = NULL;
    size_t total = (size_t)s->n * s->elem;
    uint16_t cand[BLOCK_BYTES / 2];
    for (uint64_t b = 0; b < s->n; b += s->block_elems) {
        size_t cnt = (size_t)(s->n - b < s->block_elems ? s->n - b : s->block_elems);
        size_t off = (size_t)b * s->elem, bytes = cnt * s->elem;
        const uint8_t *p = s->src + off;
        if (out != NULL) {
            memcpy(out + off, p, bytes);
        }
        if (!any_special(f, p, cnt * f->upe)) {
            continue;
        }
        size_t ncand = candidates(f, p, cnt * f->upe, cand);
        for (size_t c = 0, run; c < ncand; c += run) {
            size_t i = cand[c];
            int comp;
            int kind = classify(f, p + i * s->elem, &comp);
            run = 1;
            if (kind == K_FINITE) {
                continue;
            }
            uint64_t idx = b + i;
            if (!allowed(s, kind)) {
                tgm__free(out);
                tgm__mask_set_free(masks);
                return disallowed(f, kind, comp, idx);
            }
            run = same_kind_run(f, s->elem, p, cand, c, ncand, kind);
            if (out == NULL) {
                out = tgm__malloc(total);
                if (out == NULL) {
                    tgm__mask_set_free(masks);
                    return tgm__oom(total, "NaN/Inf-substituted payload");
                }
                memcpy(out, s->src, off + bytes);
            }
            int k = kind - 1;
            if (masks->bits[k] == NULL) {
                masks->bits[k] = tgm__calloc((size_t)tgm__bits_nbytes(s->n), 1);
                if (masks->bits[k] == NULL) {
                    tgm__free(out);
                    tgm__mask_set_free(masks);
                    return tgm__oom((size_t)tgm__bits_nbytes(s->n), "NaN/Inf mask");
                }
            }
            tgm__bits_set_range(masks->bits[k], idx, run);
            masks->count[k] += run;
            memset(out + (size_t)idx * s->elem, 0, run * s->elem);
        }
    }
    *substituted = out;
    return TGM_ERROR_OK;
}

/* Parallel phase 1: check a task's elements, note which kinds occur. */
static tgm_error task_check(void *ctx, size_t t) {
    scan *s = ctx;
    const fmt *f = &s->f;
    uint64_t first = (uint64_t)t * s->task_elems;
    uint64_t end = s->n - first < s->task_elems ? s->n : first + s->task_elems;
    uint8_t kinds = 0;
    uint16_t cand[BLOCK_BYTES / 2];
    for (uint64_t b = first; b < end; b += s->block_elems) {
        size_t cnt = (size_t)(end - b < s->block_elems ? end - b : s->block_elems);
        const uint8_t *p = s->src + (size_t)b * s->elem;
        if (!any_special(f, p, cnt * f->upe)) {
            continue;
        }
        size_t ncand = candidates(f, p, cnt * f->upe, cand);
        for (size_t c = 0; c < ncand; c++) {
            size_t i = cand[c];
            int comp;
            int kind = classify(f, p + i * s->elem, &comp);
            if (kind == K_FINITE) {
                continue;
            }
            if (!allowed(s, kind)) {
                return disallowed(f, kind, comp, b + i);
            }
            kinds |= (uint8_t)(1u << (kind - 1));
        }
    }
    s->task_kinds[t] = kinds;
    return TGM_ERROR_OK;
}

/* Parallel phase 2: copy a task's bytes, zero and mark its non-finite
 * elements.  Tasks cover multiples of 8 elements, so they never share a
 * mask byte. */
static tgm_error task_fill(void *ctx, size_t t) {
    scan *s = ctx;
    const fmt *f = &s->f;
    uint64_t first = (uint64_t)t * s->task_elems;
    uint64_t end = s->n - first < s->task_elems ? s->n : first + s->task_elems;
    memcpy(s->out + (size_t)first * s->elem, s->src + (size_t)first * s->elem,
           (size_t)(end - first) * s->elem);
    if (s->task_kinds[t] == 0) {
        return TGM_ERROR_OK;
    }
    uint16_t cand[BLOCK_BYTES / 2];
    for (uint64_t b = first; b < end; b += s->block_elems) {
        size_t cnt = (size_t)(end - b < s->block_elems ? end - b : s->block_elems);
        const uint8_t *p = s->src + (size_t)b * s->elem;
        if (!any_special(f, p, cnt * f->upe)) {
            continue;
        }
        size_t ncand = candidates(f, p, cnt * f->upe, cand);
        for (size_t c = 0, run; c < ncand; c += run) {
            size_t i = cand[c];
            int comp;
            int kind = classify(f, p + i * s->elem, &comp);
            run = 1;
            if (kind == K_FINITE) {
                continue;
            }
            run = same_kind_run(f, s->elem, p, cand, c, ncand, kind);
            tgm__bits_set_range(s->masks->bits[kind - 1], b + i, run);
            s->task_counts[t][kind - 1] += run;
            memset(s->out + (size_t)(b + i) * s->elem, 0, run * s->elem);
        }
    }
    return TGM_ERROR_OK;
}

static tgm_error scan_parallel(scan *s, uint32_t threads, uint8_t **substituted,
                               tgm_mask_set *masks) {
    tgm_error err = TGM_ERROR_OK;
    size_t ntasks = (size_t)((s->n + s->task_elems - 1) / s->task_elems);
    uint8_t *out = NULL;
    s->task_kinds = tgm__calloc(ntasks, 1);
    s->task_counts = tgm__calloc(ntasks, sizeof *s->task_counts);
    if (s->task_kinds == NULL || s->task_counts == NULL) {
        err = tgm__oom(ntasks * (1 + sizeof *s->task_counts), "NaN/Inf scan tasks");
        goto cleanup;
    }
    TGM_CHECK(tgm__parallel_for(threads, ntasks, task_check, s));
    uint8_t kinds = 0;
    for (size_t t = 0; t < ntasks; t++) {
        kinds |= s->task_kinds[t];
    }
    if (kinds == 0) {
        goto cleanup; /* all finite: no copy */
    }
    size_t total = (size_t)s->n * s->elem;
    out = tgm__malloc(total);
    if (out == NULL) {
        err = tgm__oom(total, "NaN/Inf-substituted payload");
        goto cleanup;
    }
    for (int k = 0; k < TGM_MASK_KINDS; k++) {
        if (kinds & (1u << k)) {
            masks->bits[k] = tgm__calloc((size_t)tgm__bits_nbytes(s->n), 1);
            if (masks->bits[k] == NULL) {
                err = tgm__oom((size_t)tgm__bits_nbytes(s->n), "NaN/Inf mask");
                goto cleanup;
            }
        }
    }
    s->out = out;
    s->masks = masks;
    TGM_CHECK(tgm__parallel_for(threads, ntasks, task_fill, s));
    for (size_t t = 0; t < ntasks; t++) {
        for (int k = 0; k < TGM_MASK_KINDS; k++) {
            masks->count[k] += s->task_counts[t][k];
        }
    }
    *substituted = out;
    out = NULL;

cleanup:
    if (err != TGM_ERROR_OK) {
        tgm__mask_set_free(masks);
    }
    tgm__free(out);
    tgm__free(s->task_kinds);
    tgm__free(s->task_counts);
    return err;
}

tgm_error tgm__masks_scan_substitute(tgm_dtype dtype, int big_endian, const uint8_t *src,
                                     size_t n_bytes, bool allow_nan, bool allow_inf,
                                     uint32_t threads, uint8_t **substituted, tgm_mask_set *masks) {
    scan s;
    memset(&s, 0, sizeof s);
    if (!fmt_for(dtype, big_endian, &s.f)) {
        tgm__mask_set_init(masks, 0);
        *substituted = NULL;
        return TGM_ERROR_OK; /* integers and bitmask: nothing can be non-finite */
    }
    s.elem = (size_t)s.f.width * s.f.upe;
    TGM_RETURN_IF(n_bytes % s.elem != 0, TGM_ERROR_ENCODING,
                  "NaN/Inf scan: %zu bytes is not a whole number of %s elements (%zu bytes each)",
                  n_bytes, s.f.name, s.elem);
    s.src = src;
    s.n = n_bytes / s.elem;
    s.allow_nan = allow_nan;
    s.allow_inf = allow_inf;
    s.block_elems = BLOCK_BYTES / s.elem;
    s.task_elems = TASK_BYTES / s.elem; /* >= 65536: a multiple of 8 */
    tgm__mask_set_init(masks, s.n);
    *substituted = NULL;
    if (threads > 1 && n_bytes >= 2 * TASK_BYTES) {
        return scan_parallel(&s, threads, substituted, masks);
    }
    return scan_sequential(&s, substituted, masks);
}

bool tgm__masks_any_nonfinite(tgm_dtype dtype, int big_endian, const uint8_t *data,
                              size_t n_bytes) {
    fmt f;
    if (!fmt_for(dtype, big_endian, &f)) {
        return false;
    }
    return any_special(&f, data, n_bytes / f.width);
}

/* --- restoration --------------------------------------------------------- */

size_t tgm__mask_canonical_pattern(tgm_dtype dtype, tgm_mask_kind kind, int big_endian,
                                   uint8_t out[16]) {
    static const uint16_t f16[3] = {0x7E00, 0x7C00, 0xFC00};
    static const uint16_t bf16[3] = {0x7FC0, 0x7F80, 0xFF80};
    static const uint32_t f32[3] = {0x7FC00000u, 0x7F800000u, 0xFF800000u};
    static const uint64_t f64[3] = {0x7FF8000000000000ull, 0x7FF0000000000000ull,
                                    0xFFF0000000000000ull};
    if ((unsigned)kind >= TGM_MASK_KINDS) {
        return 0;
    }
    switch (dtype) {
    case TGM_DT_FLOAT16:
    case TGM_DT_BFLOAT16: {
        uint16_t v = dtype == TGM_DT_FLOAT16 ? f16[kind] : bf16[kind];
        big_endian ? tgm__wr_be16(out, v) : tgm__wr_le16(out, v);
        return 2;
    }
    case TGM_DT_FLOAT32:
    case TGM_DT_COMPLEX64:
        big_endian ? tgm__wr_be32(out, f32[kind]) : tgm__wr_le32(out, f32[kind]);
        if (dtype == TGM_DT_FLOAT32) {
            return 4;
        }
        memcpy(out + 4, out, 4);
        return 8;
    case TGM_DT_FLOAT64:
    case TGM_DT_COMPLEX128:
        big_endian ? tgm__wr_be64(out, f64[kind]) : tgm__wr_le64(out, f64[kind]);
        if (dtype == TGM_DT_FLOAT64) {
            return 8;
        }
        memcpy(out + 8, out, 8);
        return 16;
    default:
        return 0;
    }
}

void tgm__mask_restore_kind(uint8_t *data, tgm_dtype dtype, int big_endian, const uint8_t *bits,
                            uint64_t first_bit, uint64_t count, tgm_mask_kind kind) {
    uint8_t pat[16];
    size_t w = tgm__mask_canonical_pattern(dtype, kind, big_endian, pat);
    if (w == 0 || bits == NULL) {
        return;
    }
    uint64_t end = first_bit + count;
    for (uint64_t i = tgm__bitmask_next_set(bits, end, first_bit); i < end;
         i = tgm__bitmask_next_set(bits, end, i + 1)) {
        memcpy(data + (size_t)(i - first_bit) * w, pat, w);
    }
}

tgm_error tgm__masks_restore(uint8_t *data, tgm_dtype dtype, int big_endian,
                             const tgm_mask_set *set, uint64_t first, uint64_t count) {
    TGM_RETURN_IF(dtype == TGM_DT_BITMASK, TGM_ERROR_FRAMING,
                  "bitmask-companion masks cannot be restored on bitmask-dtype payloads");
    if (tgm__mask_set_empty(set)) {
        return TGM_ERROR_OK;
    }
    TGM_RETURN_IF(first > set->n_bits || count > set->n_bits - first, TGM_ERROR_FRAMING,
                  "range end %" PRIu64 " exceeds mask length %" PRIu64 " for descriptor shape",
                  first + count < first ? UINT64_MAX : first + count, set->n_bits);
    for (int k = 0; k < TGM_MASK_KINDS; k++) {
        tgm__mask_restore_kind(data, dtype, big_endian, set->bits[k], first, count,
                               (tgm_mask_kind)k);
    }
    return TGM_ERROR_OK;
}
