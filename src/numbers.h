/* numbers.h — float32 to and from decimal text (numbers.cc): shortest
 * round-trip printing and correctly rounded parsing, from the C++17
 * <charconv> of the system's libstdc++ (std::to_chars is Ryu-based,
 * std::from_chars is fast_float's Eisel-Lemire; docs/design.md says why).
 * Neither depends on the locale. */
#ifndef SA_NUMBERS_H
#define SA_NUMBERS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The most bytes sa_float_chars writes ("-1.17549435e-38" is 15). */
#define SA_FLOAT_CHARS 24

/* Writes the shortest decimal text that reads back as the finite f into
 * buf (at least SA_FLOAT_CHARS bytes), without a terminator, and returns
 * its length: fixed or scientific notation, whichever is shorter
 * ("0.17206892", "1e-07", "3.4028235e+38", "-0"). */
size_t sa_float_chars(char *buf, float f);

/* The same with std::to_chars, which the unit tests hold sa_float_chars
 * to (it takes about four times as long). */
size_t sa_float_chars_ref(char *buf, float f);

/* The most bytes sa_fixed_chars writes (FLT_MAX with 9 decimals is 49). */
#define SA_FIXED_CHARS 64

/* Writes the finite f with digits decimals (0 to 9), as printf's "%.*f"
 * does, into buf (at least SA_FIXED_CHARS bytes) without a terminator;
 * returns its length. */
size_t sa_fixed_chars(char *buf, float f, int digits);

/* Parsing outcomes. */
typedef enum {
    SA_NUMBER_OK,
    SA_NUMBER_RANGE,    /* finite, but beyond float32 once rounded */
    SA_NUMBER_INVALID   /* not a decimal number */
} sa_number_status;

/* Parses the decimal number text[0 .. len), all of it: an optional '-',
 * digits with an optional '.', an optional exponent (what JSON's grammar
 * allows, and also "1." and ".5" for CSV; the caller checks its own
 * grammar first), into the nearest float32, ties to even.  Underflow
 * gives a subnormal or a signed zero.  *as_double, if not NULL, gets the
 * number as a double (for messages: +-HUGE_VAL beyond double's range). */
sa_number_status sa_parse_float(const char *text, size_t len, float *out,
                                double *as_double);

/* Parses the longest number at the start of text[0 .. len) as
 * sa_parse_float does and returns how many bytes it takes (0 if none):
 * std::from_chars' pattern, -?digits(.digits)?([eE][+-]?digits)? with
 * either digits part allowed empty; the caller checks its own grammar on
 * what was taken.  *status is the outcome. */
size_t sa_parse_float_prefix(const char *text, size_t len, float *out,
                             sa_number_status *status);

#ifdef __cplusplus
}
#endif

#endif
