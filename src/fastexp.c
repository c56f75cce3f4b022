/* fastexp.c — the softmax's row operations: exp(x - shift) with its sum,
 * the maximum, and the finiteness check.  e^x = 2^k * e^f with
 * k = round(x log2 e), f = x - k ln 2 (Cody-Waite) and a degree-7 Taylor
 * polynomial for e^f on |f| <= ln(2)/2 (relative error below 1e-8, under
 * float32's 6e-8 rounding).  Sums use eight fixed double lanes, so they
 * do not depend on the number of threads.  On x86-64 with AVX2 and FMA the
 * same formulas run on eight floats at a time, exp and sum in one pass
 * (adding two groups of eight in float before the double lanes, so its
 * last bits can differ from the plain version's); the plain loops (the
 * _ref functions) are the portable versions and the reference of the unit
 * tests. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "attention_internal.h"

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

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define KERNEL __attribute__((target("avx2,fma")))

/* exp(v) on eight floats, as exp_reduced; inlined into the loop below. */
KERNEL static inline __attribute__((always_inline)) __m256 exp8(__m256 v)
{
    const __m256 low = _mm256_set1_ps(-87.0f), magic = _mm256_set1_ps(12582912.0f);
    __m256 keep = _mm256_cmp_ps(v, low, _CMP_GE_OQ);
    __m256 c = _mm256_max_ps(v, low);
    __m256 k = _mm256_sub_ps(
        _mm256_fmadd_ps(c, _mm256_set1_ps(1.44269504088896341f), magic), magic);
    __m256 f = _mm256_fnmadd_ps(k, _mm256_set1_ps(0.693145751953125f), c);
    f = _mm256_fnmadd_ps(k, _mm256_set1_ps(1.42860682030941723212e-6f), f);
    __m256 p = _mm256_set1_ps(1.0f / 5040.0f);
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.0f / 720.0f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.0f / 120.0f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.0f / 24.0f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.0f / 6.0f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.0f));
    __m256i bits = _mm256_slli_epi32(
        _mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127)), 23);
    return _mm256_and_ps(_mm256_mul_ps(p, _mm256_castsi256_ps(bits)), keep);
}

/* Adds the eight floats of e to the double lanes (lo: 0-3, hi: 4-7). */
KERNEL static inline __attribute__((always_inline)) void add_lanes(
    __m256d *lo, __m256d *hi, __m256 e)
{
    *lo = _mm256_add_pd(*lo, _mm256_cvtps_pd(_mm256_castps256_ps128(e)));
    *hi = _mm256_add_pd(*hi, _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)));
}

KERNEL static double exp_shifted_avx2(float *x, size_t n, float shift)
{
    const __m256 vshift = _mm256_set1_ps(shift);
    __m256d sum_lo = _mm256_setzero_pd(), sum_hi = _mm256_setzero_pd();
    size_t j = 0;
    // two groups of eight at a time: two independent chains keep the FMA
    // units busy through the polynomial's latency, and their sum is added
    // in float first (one rounding, 6e-8), halving the conversions to double
    for (; j + 2 * LANES <= n; j += 2 * LANES) {
        __m256 e0 = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + j), vshift));
        __m256 e1 = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + j + LANES), vshift));
        _mm256_storeu_ps(x + j, e0);
        _mm256_storeu_ps(x + j + LANES, e1);
        add_lanes(&sum_lo, &sum_hi, _mm256_add_ps(e0, e1));
    }
    if (j + LANES <= n) {
        __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + j), vshift));
        _mm256_storeu_ps(x + j, e);
        add_lanes(&sum_lo, &sum_hi, e);
        j += LANES;
    }
    double lane[LANES];
    _mm256_storeu_pd(lane, sum_lo);
    _mm256_storeu_pd(lane + 4, sum_hi);
    double sum = 0.0;
    for (size_t l = 0; l < LANES; l++)
        sum += lane[l];
    for (; j < n; j++) {
        x[j] = exp_reduced(x[j] - shift);
        sum += x[j];
    }
    return sum;
}

KERNEL static float max_finite_avx2(const float *x, size_t n, bool *finite)
{
    __m256 max = _mm256_set1_ps(-INFINITY), max2 = max;
    __m256 zero = _mm256_setzero_ps(), zero2 = zero;
    size_t j = 0;
    // two chains of sixteen, as one would wait on the latency of each step
    for (; j + 2 * LANES <= n; j += 2 * LANES) {
        __m256 v = _mm256_loadu_ps(x + j), v2 = _mm256_loadu_ps(x + j + LANES);
        max = _mm256_max_ps(v, max);  // a NaN v keeps max, as x > max does
        max2 = _mm256_max_ps(v2, max2);
        zero = _mm256_add_ps(zero, _mm256_sub_ps(v, v));
        zero2 = _mm256_add_ps(zero2, _mm256_sub_ps(v2, v2));
    }
    max = _mm256_max_ps(max2, max);
    zero = _mm256_add_ps(zero, zero2);
    for (; j + LANES <= n; j += LANES) {
        __m256 v = _mm256_loadu_ps(x + j);
        max = _mm256_max_ps(v, max);
        zero = _mm256_add_ps(zero, _mm256_sub_ps(v, v));
    }
    float lane[LANES], zeros[LANES], m = -INFINITY, z = 0.0f;
    _mm256_storeu_ps(lane, max);
    _mm256_storeu_ps(zeros, zero);
    for (size_t l = 0; l < LANES; l++) {
        m = lane[l] > m ? lane[l] : m;
        z += zeros[l];
    }
    for (; j < n; j++) {
        m = x[j] > m ? x[j] : m;
        z += x[j] - x[j];
    }
    *finite = z == 0.0f;
    return m;
}

static bool have_avx2_fma(void)
{
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

double sa_exp_shifted(float *x, size_t n, float shift)
{
    return have_avx2_fma() ? exp_shifted_avx2(x, n, shift)
                           : sa_exp_shifted_ref(x, n, shift);
}

float sa_max_finite(const float *x, size_t n, bool *finite)
{
    return have_avx2_fma() ? max_finite_avx2(x, n, finite)
                           : sa_max_finite_ref(x, n, finite);
}

#else

double sa_exp_shifted(float *x, size_t n, float shift)
{
    return sa_exp_shifted_ref(x, n, shift);
}

float sa_max_finite(const float *x, size_t n, bool *finite)
{
    return sa_max_finite_ref(x, n, finite);
}

#endif

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
