/* Helpers shared by the files of the json module. */
#ifndef TGM_JSON_INTERNAL_H
#define TGM_JSON_INTERNAL_H

#include <stddef.h>

/* Shortest round-trip decimal digits of a finite, non-zero double (sign
 * ignored): writes 1..17 ASCII digits to `digits` (no NUL, no trailing
 * zeros) and the decimal exponent k such that |v| = 0.d1d2...dn * 10^k;
 * returns n.  Among the shortest digit strings that read back as v it
 * picks the one nearest to v, ties to an even last digit (the output of
 * Ryu, Schubfach and zmij). */
int tgm__f64_shortest(double v, char digits[17], int *k);

/* Any double (NaN and infinities included) the way Rust's `{:?}` prints
 * an f64: shortest digits, plain notation with at least one fractional
 * digit when 1e-4 <= |v| < 1e16 (and for zero), otherwise d.ddde<exp>
 * ("1e16", "1.5e-7"); "NaN", "inf", "-inf".  buf >= 32 bytes; returns
 * the length (NUL written). */
size_t tgm__f64_format_rust_debug(double v, char *buf);

#endif
