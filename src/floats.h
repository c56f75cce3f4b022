/* floats.h — operations on a row of floats that the softmax and the
 * readers share: exp with its sum, the maximum, the finiteness check.
 * Each runs the active kernel set (kernels.h) on a prefix of the row and
 * finishes it with scalar loops. */
#ifndef SA_FLOATS_H
#define SA_FLOATS_H

#include <stdbool.h>
#include <stddef.h>

/* x[j] = exp(x[j] - shift) for j < n (-INFINITY gives exactly 0); returns
 * the sum of the results in double, over eight fixed lanes so that it
 * does not depend on the number of threads. */
double sa_exp_shifted(float *x, size_t n, float shift);

/* The largest of x[0 .. n) (-INFINITY for none; NaNs are passed over),
 * and in *finite whether none is infinite or NaN, in one pass. */
float sa_max_finite(const float *x, size_t n, bool *finite);

/* The two above with the generic set's plain loops, whatever set is in
 * use: the reference of the unit tests. */
double sa_exp_shifted_ref(float *x, size_t n, float shift);
float sa_max_finite_ref(const float *x, size_t n, bool *finite);

/* The largest of x[0 .. n), -INFINITY for none. */
float sa_max(const float *x, size_t n);

/* True if no element of x[0 .. n) is infinite or NaN. */
bool sa_all_finite(const float *x, size_t n);

#endif
