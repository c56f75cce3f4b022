/* fastexp.c — the softmax's row operations: exp(x - shift) with its sum,
 * the maximum, and the finiteness check.  e^x = 2^k * e^f with
 * k = round(x log2 e), f = x - k ln 2 (Cody-Waite) and a degree-7 Taylor
 * polynomial for e^f on |f| <= ln(2)/2 (relative error below 1e-8, under
 * float32's 6e-8 rounding).  Sums use eight fixed double lanes, so they
 * do not depend on the number of threads.  The active set of kernels
 * (kernels.h) handles a prefix of the row: on x86-64 with AVX2 and FMA
 * the same formulas in vector registers, exp and sum in one pass (adding
 * two groups of eight in float before the double lanes, so its last bits
 * can differ from the plain version's); the scalar loops here finish the
 * row.  With the plain prefixes (the _ref functions) it is all plain
 * loops: the portable version and the reference of the unit tests. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "attention_internal.h"
#include "kernels.h"

#define LANES 8

/* exp(v), 0 below SA_EXP_LOW: the scalar form of the vector kernels. */
static float exp_reduced(float v)
{
    float c = v >= SA_EXP_LOW ? v : SA_EXP_LOW;
    float k = (c * SA_EXP_LOG2E + SA_EXP_ROUND) - SA_EXP_ROUND;
    float f = c - k * SA_EXP_LN2_HI - k * SA_EXP_LN2_LO;
    float p = SA_EXP_C7;
    p = p * f + SA_EXP_C6;
    p = p * f + SA_EXP_C5;
    p = p * f + SA_EXP_C4;
    p = p * f + SA_EXP_C3;
    p = p * f + SA_EXP_C2;
    p = p * f + 1.0f;
    p = p * f + 1.0f;
    int32_t bits = ((int32_t)k + 127) << 23;        // 2^k
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return v >= SA_EXP_LOW ? p * scale : 0.0f;      // exp(-87) ~ 1.6e-38
}

size_t sa_exp_prefix_plain(float *x, size_t n, float shift, double lanes[LANES])
{
    size_t j = 0;
    for (; j + LANES <= n; j += LANES)
        for (size_t l = 0; l < LANES; l++) {
            x[j + l] = exp_reduced(x[j + l] - shift);
            lanes[l] += x[j + l];
        }
    return j;
}

size_t sa_max_prefix_plain(const float *x, size_t n, float *max, bool *finite)
{
    (void)x;
    (void)n;
    *max = -INFINITY;
    *finite = true;
    return 0;  // all of it to the scalar loop of max_with
}

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
        x[j] = exp_reduced(x[j] - shift);
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
