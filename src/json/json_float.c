/* Shortest round-trip formatting of doubles.
 *
 * Digits: exact arithmetic on big integers, after Steele & White's and
 * Burger & Dybvig's free-format algorithm.  The value v = f * 2^e and the
 * half-way points to its neighbours bound the interval of decimals that
 * read back as v (bounds included when f is even, as round-half-even
 * reading would return v for them).  Digits are generated one at a time
 * until the prefix, or the prefix with its last digit raised by one, lies
 * inside the interval; the final digit is the one nearer to v (ties to
 * even).  That is the same output as Ryu / Schubfach / zmij, without
 * their precomputed tables.  Integers below 2^53 take a shortcut.
 *
 * Notation: serde_json (>= 1.0.146, formatting through zmij) writes the
 * digits in plain notation when the decimal exponent X of the first digit
 * is in -5..15 ("1.0", "0.00001", "1000000000000000.0") and otherwise as
 * d.ddde+X / d.ddde-X ("1e+16", "1.5e-7", "5e-324").  Rust's `{:?}`,
 * needed for the debug rendering of non-text map keys, has its own rule
 * (see json_internal.h). */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "json/json_internal.h"

/* Big integers of up to BN_LIMBS 32-bit limbs, least significant first.
 * The worst case (the smallest subnormal scaled by 10^340) needs about
 * 1130 bits; 40 limbs leave room for the x10 steps. */
#define BN_LIMBS 40

typedef struct bn {
    int n; /* limbs in use; w[n-1] != 0 unless n == 0 */
    uint32_t w[BN_LIMBS];
} bn;

static void bn_set_u64(bn *a, uint64_t v) {
    a->n = 0;
    while (v != 0) {
        a->w[a->n++] = (uint32_t)v;
        v >>= 32;
    }
}

static void bn_shl(bn *a, int bits) {
    if (a->n == 0 || bits == 0) {
        return;
    }
    int limbs = bits / 32, sh = bits % 32;
    int n = a->n;
    if (sh == 0) {
        for (int i = n - 1; i >= 0; i--) {
            a->w[i + limbs] = a->w[i];
        }
        n += limbs;
    } else {
        a->w[n + limbs] = 0;
        for (int i = n - 1; i >= 0; i--) {
            a->w[i + limbs + 1] |= a->w[i] >> (32 - sh);
            a->w[i + limbs] = a->w[i] << sh;
        }
        n += limbs + 1;
    }
    for (int i = 0; i < limbs; i++) {
        a->w[i] = 0;
    }
    while (n > 0 && a->w[n - 1] == 0) {
        n--;
    }
    a->n = n;
}

static void bn_mul_small(bn *a, uint32_t m) {
    uint64_t carry = 0;
    for (int i = 0; i < a->n; i++) {
        uint64_t t = (uint64_t)a->w[i] * m + carry;
        a->w[i] = (uint32_t)t;
        carry = t >> 32;
    }
    if (carry != 0) {
        a->w[a->n++] = (uint32_t)carry;
    }
}

static void bn_mul_pow10(bn *a, int k) {
    for (; k >= 9; k -= 9) {
        bn_mul_small(a, 1000000000u);
    }
    static const uint32_t small[9] = {1,      10,      100,      1000,     10000,
                                      100000, 1000000, 10000000, 100000000};
    if (k > 0) {
        bn_mul_small(a, small[k]);
    }
}

static int bn_cmp(const bn *a, const bn *b) {
    if (a->n != b->n) {
        return a->n < b->n ? -1 : 1;
    }
    for (int i = a->n - 1; i >= 0; i--) {
        if (a->w[i] != b->w[i]) {
            return a->w[i] < b->w[i] ? -1 : 1;
        }
    }
    return 0;
}

static void bn_add(bn *r, const bn *a, const bn *b) {
    const bn *big = a->n >= b->n ? a : b, *lit = a->n >= b->n ? b : a;
    uint64_t carry = 0;
    int i = 0;
    for (; i < lit->n; i++) {
        uint64_t t = (uint64_t)big->w[i] + lit->w[i] + carry;
        r->w[i] = (uint32_t)t;
        carry = t >> 32;
    }
    for (; i < big->n; i++) {
        uint64_t t = (uint64_t)big->w[i] + carry;
        r->w[i] = (uint32_t)t;
        carry = t >> 32;
    }
    r->n = big->n;
    if (carry != 0) {
        r->w[r->n++] = (uint32_t)carry;
    }
}

/* a -= b; requires a >= b. */
static void bn_sub(bn *a, const bn *b) {
    int64_t borrow = 0;
    for (int i = 0; i < a->n; i++) {
        int64_t t = (int64_t)a->w[i] - (i < b->n ? (int64_t)b->w[i] : 0) - borrow;
        borrow = t < 0;
        a->w[i] = (uint32_t)(t + (borrow << 32));
    }
    while (a->n > 0 && a->w[a->n - 1] == 0) {
        a->n--;
    }
}

/* floor(r / s) for r < 10 s, leaving r mod s in r.  s must be normalised
 * (top limb >= 2^28): the quotient estimated from the top limbs is then
 * exact or one too small, and one comparison fixes it. */
static int bn_div_digit(bn *r, const bn *s) {
    int sn = s->n;
    if (r->n < sn) {
        return 0;
    }
    uint64_t rt = r->w[sn - 1];
    if (r->n > sn) {
        rt |= (uint64_t)r->w[sn] << 32;
    }
    uint32_t q = (uint32_t)(rt / ((uint64_t)s->w[sn - 1] + 1));
    if (q > 0) {
        uint64_t carry = 0, borrow = 0;
        for (int i = 0; i < r->n; i++) {
            uint64_t prod = (i < sn ? (uint64_t)s->w[i] * q : 0) + carry;
            carry = prod >> 32;
            uint64_t sub = (uint64_t)r->w[i] - (uint32_t)prod - borrow;
            r->w[i] = (uint32_t)sub;
            borrow = sub >> 63;
        }
        while (r->n > 0 && r->w[r->n - 1] == 0) {
            r->n--;
        }
    }
    while (bn_cmp(r, s) >= 0) {
        bn_sub(r, s);
        q++;
    }
    return (int)q;
}

/* Does the upper bound (r + m+) / s reach 1 (>= when bounds count, > otherwise)? */
static int high_reaches(const bn *r, const bn *mp, const bn *s, int inclusive) {
    bn t;
    bn_add(&t, r, mp);
    int c = bn_cmp(&t, s);
    return inclusive ? c >= 0 : c > 0;
}

static int u64_digits(uint64_t n, char *out) {
    char tmp[20];
    int len = 0;
    do {
        tmp[len++] = (char)('0' + n % 10);
        n /= 10;
    } while (n != 0);
    for (int i = 0; i < len; i++) {
        out[i] = tmp[len - 1 - i];
    }
    return len;
}

int tgm__f64_shortest(double v, char digits[17], int *k_out) {
    uint64_t bits;
    memcpy(&bits, &v, 8);
    unsigned bexp = (unsigned)(bits >> 52) & 0x7ffu;
    uint64_t mant = bits & ((1ull << 52) - 1);
    uint64_t f = bexp == 0 ? mant : mant | (1ull << 52);
    int e = bexp == 0 ? -1074 : (int)bexp - 1075;

    /* Integers below 2^53: their neighbours are at most 1 away, so no decimal
     * with fewer significant digits can read back as v. */
    if (e <= 0 && e > -53 && __builtin_ctzll(f) >= -e) {
        char tmp[20];
        int len = u64_digits(f >> -e, tmp);
        int n = len;
        while (n > 1 && tmp[n - 1] == '0') {
            n--;
        }
        memcpy(digits, tmp, (size_t)n);
        *k_out = len;
        return n;
    }

    int inclusive = (f & 1u) == 0;
    int lower_closer = mant == 0 && bexp > 1; /* the gap below a power of two is half */
    bn r, s, mp, mm;
    /* v = r / s, upper bound (r + mp) / s, lower bound (r - mm) / s. */
    if (e >= 0) {
        bn_set_u64(&r, f);
        bn_shl(&r, e + 1 + lower_closer);
        bn_set_u64(&s, lower_closer ? 4 : 2);
        bn_set_u64(&mp, 1);
        bn_shl(&mp, e + lower_closer);
        bn_set_u64(&mm, 1);
        bn_shl(&mm, e);
    } else {
        bn_set_u64(&r, f << (1 + lower_closer));
        bn_set_u64(&s, 1);
        bn_shl(&s, 1 - e + lower_closer);
        bn_set_u64(&mp, lower_closer ? 2 : 1);
        bn_set_u64(&mm, 1);
    }

    /* k: the smallest power of ten above the upper bound.  The estimate from
     * the binary exponent is never too high and at most one too low. */
    int bl = 64 - __builtin_clzll(f);
    int k = (int)ceil((double)(e + bl - 1) * 0.30102999566398119521 - 1e-10);
    if (k >= 0) {
        bn_mul_pow10(&s, k);
    } else {
        bn_mul_pow10(&r, -k);
        bn_mul_pow10(&mp, -k);
        bn_mul_pow10(&mm, -k);
    }
    while (high_reaches(&r, &mp, &s, inclusive)) {
        bn_mul_small(&s, 10);
        k++;
    }

    /* Scale everything so that s has a large top limb (see bn_div_digit). */
    int lead = __builtin_clz(s.w[s.n - 1]);
    if (lead > 3) {
        bn_shl(&r, lead - 3);
        bn_shl(&s, lead - 3);
        bn_shl(&mp, lead - 3);
        bn_shl(&mm, lead - 3);
    }

    int n = 0;
    for (;;) {
        bn_mul_small(&r, 10);
        bn_mul_small(&mp, 10);
        bn_mul_small(&mm, 10);
        int d = bn_div_digit(&r, &s);
        int c_low = bn_cmp(&r, &mm);
        int low_ok = inclusive ? c_low <= 0 : c_low < 0;
        int high_ok = high_reaches(&r, &mp, &s, inclusive);
        if (!low_ok && !high_ok && n < 16) {
            digits[n++] = (char)('0' + d);
            continue;
        }
        if (low_ok && high_ok) {
            bn r2 = r;
            bn_mul_small(&r2, 2);
            int c = bn_cmp(&r2, &s);
            if (c > 0 || (c == 0 && (d & 1))) {
                d++;
            }
        } else if (high_ok) {
            d++;
        }
        /* (n == 16 without termination cannot happen for doubles: 17
         * significant digits always identify one.) */
        digits[n++] = (char)('0' + d);
        break;
    }
    /* A raised last digit can carry. */
    for (int i = n - 1; i > 0 && digits[i] > '9'; i--) {
        digits[i] = '0';
        digits[i - 1]++;
    }
    if (digits[0] > '9') {
        digits[0] = '1';
        n = 1;
        k++;
    }
    while (n > 1 && digits[n - 1] == '0') {
        n--;
    }
    *k_out = k;
    return n;
}

static size_t put_exp(char *p, int x, int plus) {
    size_t i = 0;
    p[i++] = 'e';
    if (x < 0) {
        p[i++] = '-';
        x = -x;
    } else if (plus) {
        p[i++] = '+';
    }
    char tmp[4];
    int len = u64_digits((uint64_t)x, tmp);
    memcpy(p + i, tmp, (size_t)len);
    return i + (size_t)len;
}

/* Plain notation of 0.digits * 10^k with X = k - 1 >= -(anything); at least
 * one digit after the point. */
static size_t put_plain(char *p, const char *dg, int n, int k) {
    size_t i = 0;
    if (k <= 0) {
        p[i++] = '0';
        p[i++] = '.';
        for (int z = 0; z < -k; z++) {
            p[i++] = '0';
        }
        memcpy(p + i, dg, (size_t)n);
        return i + (size_t)n;
    }
    if (n <= k) {
        memcpy(p, dg, (size_t)n);
        i = (size_t)n;
        for (int z = n; z < k; z++) {
            p[i++] = '0';
        }
        p[i++] = '.';
        p[i++] = '0';
        return i;
    }
    memcpy(p, dg, (size_t)k);
    i = (size_t)k;
    p[i++] = '.';
    memcpy(p + i, dg + k, (size_t)(n - k));
    return i + (size_t)(n - k);
}

static size_t put_sci(char *p, const char *dg, int n, int x, int plus) {
    size_t i = 0;
    p[i++] = dg[0];
    if (n > 1) {
        p[i++] = '.';
        memcpy(p + i, dg + 1, (size_t)(n - 1));
        i += (size_t)(n - 1);
    }
    return i + put_exp(p + i, x, plus);
}

size_t tgm__json_format_f64(double v, char *buf) {
    size_t i = 0;
    if (signbit(v)) {
        buf[i++] = '-';
    }
    if (v == 0.0 || !isfinite(v)) {
        /* Non-finite values never reach here from the writer (they become
         * null); print zero rather than garbage. */
        memcpy(buf + i, "0.0", 4);
        return i + 3;
    }
    char dg[17];
    int k;
    int n = tgm__f64_shortest(v, dg, &k);
    int x = k - 1;
    if (x >= -5 && x <= 15) {
        i += put_plain(buf + i, dg, n, k);
    } else {
        i += put_sci(buf + i, dg, n, x, 1);
    }
    buf[i] = '\0';
    return i;
}

size_t tgm__f64_format_rust_debug(double v, char *buf) {
    size_t i = 0;
    if (isnan(v)) {
        memcpy(buf, "NaN", 4);
        return 3;
    }
    if (signbit(v)) {
        buf[i++] = '-';
    }
    if (isinf(v)) {
        memcpy(buf + i, "inf", 4);
        return i + 3;
    }
    if (v == 0.0) {
        memcpy(buf + i, "0.0", 4);
        return i + 3;
    }
    char dg[17];
    int k;
    int n = tgm__f64_shortest(v, dg, &k);
    double a = fabs(v);
    if (a >= 1e-4 && a < 1e16) {
        i += put_plain(buf + i, dg, n, k);
    } else {
        i += put_sci(buf + i, dg, n, k - 1, 0);
    }
    buf[i] = '\0';
    return i;
}

void tgm__json_format_f64_plain(double v, char *out, size_t cap) {
    if (isnan(v)) {
        snprintf(out, cap, "NaN");
        return;
    }
    if (isinf(v)) {
        snprintf(out, cap, v < 0 ? "-inf" : "inf");
        return;
    }
    char sci[40];
    tgm__json_format_f64(v, sci);
    /* Split "[-]d[.ddd][e[-]x]" into sign, digits and decimal exponent. */
    const char *p = sci;
    bool neg = false;
    if (*p == '-') {
        neg = true;
        p++;
    }
    char digits[40];
    size_t nd = 0;
    int point = -1;
    int exp10 = 0;
    for (; *p && *p != 'e' && *p != 'E'; p++) {
        if (*p == '.') {
            point = (int)nd;
        } else if (nd < sizeof digits - 1) {
            digits[nd++] = *p;
        }
    }
    if (*p == 'e' || *p == 'E') {
        exp10 = atoi(p + 1);
    }
    if (point < 0) {
        point = (int)nd;
    }
    /* value = 0.digits * 10^(point + exp10) with the point after `point` digits */
    int dp = point + exp10; /* position of the decimal point in digits */
    /* strip trailing zeros after the point, leading zeros before */
    while (nd > 0 && nd > (size_t)(dp > 0 ? dp : 0) && digits[nd - 1] == '0') {
        nd--;
    }
    size_t lead = 0;
    while (lead + 1 < nd && digits[lead] == '0' && (int)lead < dp - 1) {
        lead++;
    }
    char buf[400];
    size_t j = 0;
    if (neg) {
        buf[j++] = '-';
    }
    if (dp <= 0) {
        buf[j++] = '0';
        if (nd > 0) {
            buf[j++] = '.';
            for (int i = 0; i < -dp && j < sizeof buf - 2; i++) {
                buf[j++] = '0';
            }
            for (size_t i = 0; i < nd && j < sizeof buf - 1; i++) {
                buf[j++] = digits[i];
            }
        }
    } else {
        for (int i = (int)lead; i < dp && j < sizeof buf - 2; i++) {
            buf[j++] = (size_t)i < nd ? digits[i] : '0';
        }
        if ((size_t)dp < nd) {
            buf[j++] = '.';
            for (size_t i = (size_t)dp; i < nd && j < sizeof buf - 1; i++) {
                buf[j++] = digits[i];
            }
        }
    }
    buf[j] = '\0';
    snprintf(out, cap, "%s", buf);
}
