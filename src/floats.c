/* floats.c — exp with its sum, the maximum and the finiteness check of a
 * row (floats.h): the active kernels (kernels.h) take a prefix of the row,
 * the scalar loops here the rest.  The AVX2 and AVX-512 kernels add two
 * groups of eight in float before the double lanes, so their sums can
 * differ from the generic set's in the last bits. */
#include <math.h>

#include "floats.h"
#include "kernels.h"

#define LANES 8

/* exp with its sum: prefix's lanes, summed in order, then the rest. */
static double exp_with(size_t (*prefix)(float *, size_t, float, double *),
                       float *x, size_t n, float shift)
{
    double lane[LANES] = {0};
    size_t j = prefix(x, n, shift, lane);
    double sum = 0.0;
    for (size_t l = 0; l < LANES; l++)
        sum += lane[l];
    for (; j < n; j++) {
        x[j] = sa_exp_scalar(x[j] - shift);
        sum += x[j];
    }
    return sum;
}

/* The maximum and the check: prefix's, then the rest's. */
static float max_with(size_t (*prefix)(const float *, size_t, float *, bool *),
                      const float *x, size_t n, bool *finite)
{
    float max, zero = 0.0f;
    size_t j = prefix(x, n, &max, finite);
    for (; j < n; j++) {
        max = x[j] > max ? x[j] : max;  // a NaN x[j] is passed over
        zero += x[j] - x[j];  // 0 for finite x, NaN for infinities and NaN
    }
    *finite = *finite && zero == 0.0f;
    return max;
}

double sa_exp_shifted(float *x, size_t n, float shift)
{
    return exp_with(sa_kernels()->exp_prefix, x, n, shift);
}

double sa_exp_shifted_ref(float *x, size_t n, float shift)
{
    return exp_with(sa_exp_prefix_plain, x, n, shift);
}

float sa_max_finite(const float *x, size_t n, bool *finite)
{
    return max_with(sa_kernels()->max_prefix, x, n, finite);
}

float sa_max_finite_ref(const float *x, size_t n, bool *finite)
{
    return max_with(sa_max_prefix_plain, x, n, finite);
}

float sa_max(const float *x, size_t n)
{
    bool finite;
    return sa_max_finite(x, n, &finite);
}

bool sa_all_finite(const float *x, size_t n)
{
    bool finite;
    sa_max_finite(x, n, &finite);
    return finite;
}
