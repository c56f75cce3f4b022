/* kernels_generic.c — the kernels as plain loops: the set for CPUs
 * without AVX2 (SELFATTN_KERNELS=generic), the scalar exp every set
 * finishes a row with, and the references the unit tests hold the vector
 * kernels to (kernels.h). */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kernels.h"

#define LANES 8

float sa_exp_scalar(float v)
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
            x[j + l] = sa_exp_scalar(x[j + l] - shift);
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
    return 0;  // all of it to the scalar loop of floats.c
}

void sa_tile_scores_ref(float *s, size_t ld_s, const float *q, size_t ld_q,
                        size_t rows, const float *kb, size_t Pkv, size_t cols,
                        size_t dh, float scale)
{
    // s (rows, cols16) = scale * q (rows, dh) @ K (dh, cols16), K blocked
    size_t cols16 = (cols + SA_BLOCK - 1) / SA_BLOCK * SA_BLOCK;
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols16; c++) {
            float dot = 0.0f;
            for (size_t t = 0; t < dh; t++)
                dot += q[r * ld_q + t] * sa_blocked_key(kb, Pkv, c, t);
            s[r * ld_s + c] = scale * dot;
        }
}

void sa_tile_values_ref(float *acc, const float *p, size_t ld_p, const float *vb,
                        size_t Pkv, size_t rows, size_t cols, size_t dh)
{
    // acc (rows, dh) += p (rows, cols) @ V (cols, dh), V blocked
    for (size_t r = 0; r < rows; r++)
        for (size_t t = 0; t < dh; t++) {
            float sum = acc[r * dh + t];
            for (size_t k = 0; k < cols; k++)
                sum += p[r * ld_p + k] * sa_blocked_value(vb, Pkv, k, t);
            acc[r * dh + t] = sum;
        }
}
