/* fastexp.c — the softmax's row operations: exp(x - shift) with its sum,
 * the maximum, and the finiteness check.  e^x = 2^k * e^f with
 * k = round(x log2 e), f = x - k ln 2 (Cody-Waite) and a degree-7 Taylor
 * polynomial for e^f on |f| <= ln(2)/2 (relative error below 1e-8, under
 * float32's 6e-8 rounding).  Sums use eight fixed double lanes, so they
 * do not depend on the number of threads.  On x86-64 with AVX2 and FMA the
 * same formulas run in the vector kernels (kernels.h) on a prefix of the
 * row, exp and sum in one pass (adding two groups of eight in float
 * before the double lanes, so its last bits can differ from the plain
 * version's), and the scalar loops here finish the row; the plain loops
 * (the _ref functions) are the portable versions and the reference of the
 * unit tests. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "attention_internal.h"
#include "kernels.h"

#define LANES 8

/* exp(v) for v >= -87, the scalar form of the vector code below. */
static float exp_reduced(float v)
{
    float c = v >= -87.0f ? v : -87.0f;
    float k = (c * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    float f = c - k * 0.693145751953125f - k * 1.42860682030941723212e-6f;
    float p = 1.0f / 5040.0f;
    p = p * f + 1.0f / 720.0f;
    p = p * f + 1.0f / 120.0f;
    p = p * f + 1.0f / 24.0f;
    p = p * f + 1.0f / 6.0f;
    p = p * f + 0.5f;
    p = p * f + 1.0f;
    p = p * f + 1.0f;
    int32_t bits = ((int32_t)k + 127) << 23;        // 2^k
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return v >= -87.0f ? p * scale : 0.0f;          // exp(-87) ~ 1.6e-38
}

double sa_exp_shifted_ref(float *x, size_t n, float shift)
{
    double lane[LANES] = {0};
    size_t j = 0;
    for (; j + LANES <= n; j += LANES)
        for (size_t l = 0; l < LANES; l++) {
            x[j + l] = exp_reduced(x[j + l] - shift);
            lane[l] += x[j + l];
        }
    double sum = 0.0;
    for (size_t l = 0; l < LANES; l++)
        sum += lane[l];
    for (; j < n; j++) {
        x[j] = exp_reduced(x[j] - shift);
        sum += x[j];
    }
    return sum;
}

float sa_max_finite_ref(const float *x, size_t n, bool *finite)
{
    float max = -INFINITY, zero = 0.0f;
    for (size_t j = 0; j < n; j++) {
        max = x[j] > max ? x[j] : max;
        zero += x[j] - x[j];  // 0 for finite x, NaN for infinities and NaN
    }
    *finite = zero == 0.0f;
    return max;
}

double sa_exp_shifted(float *x, size_t n, float shift)
{
    double lane[LANES] = {0};
    size_t j = 0;
#if defined(__x86_64__) && defined(__GNUC__)
    switch (sa_isa_active()) {
    case SA_ISA_AVX512:
        j = sa_exp_shifted_avx512(x, n, shift, lane);
        break;
    case SA_ISA_AVX2:
        j = sa_exp_shifted_avx2(x, n, shift, lane);
        break;
    case SA_ISA_PLAIN:
        return sa_exp_shifted_ref(x, n, shift);
    }
#else
    return sa_exp_shifted_ref(x, n, shift);
#endif
    double sum = 0.0;
    for (size_t l = 0; l < LANES; l++)
        sum += lane[l];
    for (; j < n; j++) {
        x[j] = exp_reduced(x[j] - shift);
        sum += x[j];
    }
    return sum;
}

float sa_max_finite(const float *x, size_t n, bool *finite)
{
    float max = -INFINITY;
    size_t j = 0;
    *finite = true;
#if defined(__x86_64__) && defined(__GNUC__)
    switch (sa_isa_active()) {
    case SA_ISA_AVX512:
        j = sa_max_finite_avx512(x, n, &max, finite);
        break;
    case SA_ISA_AVX2:
        j = sa_max_finite_avx2(x, n, &max, finite);
        break;
    case SA_ISA_PLAIN:
        break;
    }
#endif
    bool rest_finite;
    float rest = sa_max_finite_ref(x + j, n - j, &rest_finite);
    *finite = *finite && rest_finite;
    return rest > max ? rest : max;
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
