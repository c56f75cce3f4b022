/* fastexp.c — exp over arrays for the softmax, written so the compiler
 * vectorises it: e^x = 2^k * e^f with k = round(x log2 e), f = x - k ln 2
 * (Cody-Waite) and a degree-7 Taylor polynomial for e^f on |f| <= ln(2)/2
 * (relative error below 1e-8, under float32's 6e-8 rounding); built for
 * AVX2 and for plain x86-64 with the faster one chosen at run time.  The
 * sum uses eight fixed double lanes, so it is vectorised too and its
 * result does not depend on the machine. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "attention_internal.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define VECTOR_CLONES __attribute__((target_clones("avx2,fma", "default"), \
                                      optimize("O3", "no-trapping-math")))
#else
#define VECTOR_CLONES
#endif

#define LANES 8

VECTOR_CLONES
double sa_exp_shifted(float *x, size_t n, float shift)
{
    // pass 1: x[j] = exp(x[j] - shift), below -87 (and -INFINITY) -> 0
    for (size_t j = 0; j < n; j++) {
        float v = x[j] - shift;
        float keep = (float)(v >= -87.0f);              // exp(-87) ~ 1.6e-38
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
        x[j] = p * scale * keep;
    }
    // pass 2: the sum, in LANES fixed double lanes, then the lanes in order
    double lane[LANES] = {0};
    size_t j = 0;
    for (; j + LANES <= n; j += LANES)
        for (size_t l = 0; l < LANES; l++)
            lane[l] += x[j + l];
    double sum = 0.0;
    for (size_t l = 0; l < LANES; l++)
        sum += lane[l];
    for (; j < n; j++)
        sum += x[j];
    return sum;
}

VECTOR_CLONES
float sa_max(const float *x, size_t n)
{
    // LANES fixed lanes so the compiler can vectorise the comparisons
    float lane[LANES];
    for (size_t l = 0; l < LANES; l++)
        lane[l] = -INFINITY;
    size_t j = 0;
    for (; j + LANES <= n; j += LANES)
        for (size_t l = 0; l < LANES; l++)
            lane[l] = x[j + l] > lane[l] ? x[j + l] : lane[l];
    float max = -INFINITY;
    for (size_t l = 0; l < LANES; l++)
        max = lane[l] > max ? lane[l] : max;
    for (; j < n; j++)
        max = x[j] > max ? x[j] : max;
    return max;
}

VECTOR_CLONES
bool sa_all_finite(const float *x, size_t n)
{
    // x - x is 0 for a finite x and NaN for an infinity or NaN
    float lane[LANES] = {0};
    size_t j = 0;
    for (; j + LANES <= n; j += LANES)
        for (size_t l = 0; l < LANES; l++)
            lane[l] += x[j + l] - x[j + l];
    float total = 0.0f;
    for (size_t l = 0; l < LANES; l++)
        total += lane[l];
    for (; j < n; j++)
        total += x[j] - x[j];
    return total == 0.0f;
}
