/* kernels_avx512.c — the kernels of kernels_avx2.c on AVX-512F: one zmm
 * register holds a whole block of 16 keys or value columns, so a strip of
 * 6 query rows takes 6 x 32 scores at once (twelve zmm accumulators, two
 * blocks of keys) or 6 x 64 of its output (24, four groups of columns),
 * and exp runs on sixteen floats per step.  The shapes were chosen by
 * measurement (docs/performance.md); they pay on CPUs with two 512-bit
 * FMA units, and run at about the AVX2 rate on those with one.  Each
 * element sees the AVX2 kernels' float operations in their order.
 * Legend and layouts as in kernels.h. */
#include "kernels.h"

#if SA_X86_KERNELS
#include <immintrin.h>
#include <math.h>

#include "kernels.h"

#define KERNEL __attribute__((target("avx512f,avx2,fma")))
#define INLINE static inline __attribute__((always_inline))

/* a[r][b] += x[r * ld_x] * w[b] for the 6 rows of a strip and NB blocks:
 * one step of the inner dimension of both products. */
KERNEL INLINE void fma_strip(__m512 a[SA_TILE_ROWS][4], const float *x,
                             size_t ld_x, const __m512 w[4], int NB)
{
#pragma GCC unroll 6
    for (int r = 0; r < SA_TILE_ROWS; r++) {
        __m512 xr = _mm512_set1_ps(x[r * ld_x]);
#pragma GCC unroll 4
        for (int b = 0; b < NB; b++)
            a[r][b] = _mm512_fmadd_ps(xr, w[b], a[r][b]);
    }
}

/* s (6, 16 * NB; row stride ld_s) = scale * q (6, dh; row stride ld_q) @
 * NB blocks of keys (dh, 16 each; block b at kb + b * 16 * Pkv), NB 1 or
 * 2: a[r][b] accumulates row r's scores for block b over t in order. */
KERNEL INLINE void scores_blocks(float *s, size_t ld_s, const float *q,
                                 size_t ld_q, const float *kb, size_t Pkv,
                                 size_t dh, float scale, int NB)
{
    __m512 a[SA_TILE_ROWS][4];
#pragma GCC unroll 6
    for (int r = 0; r < SA_TILE_ROWS; r++)
#pragma GCC unroll 4
        for (int b = 0; b < NB; b++)
            a[r][b] = _mm512_setzero_ps();
    for (size_t t = 0; t < dh; t++) {
        __m512 k[4];
#pragma GCC unroll 4
        for (int b = 0; b < NB; b++)
            k[b] = _mm512_loadu_ps(kb + b * SA_BLOCK * Pkv + t * SA_BLOCK);
        fma_strip(a, q + t, ld_q, k, NB);
    }
    __m512 f = _mm512_set1_ps(scale);
#pragma GCC unroll 6
    for (int r = 0; r < SA_TILE_ROWS; r++)
#pragma GCC unroll 4
        for (int b = 0; b < NB; b++)
            _mm512_storeu_ps(s + r * ld_s + b * SA_BLOCK, _mm512_mul_ps(a[r][b], f));
}

/* acc (6, 16 * NB; row stride ld_acc) += p (6, cols; row stride ld_p) @
 * NB groups of 16 columns of blocked values (group g of row k at vb +
 * (k / 16) * 16 * Pkv + g * 256 + (k % 16) * 16), NB from 1 to 4. */
KERNEL INLINE void values_blocks(float *acc, size_t ld_acc, const float *p,
                                 size_t ld_p, const float *vb, size_t Pkv,
                                 size_t cols, int NB)
{
    __m512 a[SA_TILE_ROWS][4];
#pragma GCC unroll 6
    for (int r = 0; r < SA_TILE_ROWS; r++)
#pragma GCC unroll 4
        for (int b = 0; b < NB; b++)
            a[r][b] = _mm512_loadu_ps(acc + r * ld_acc + b * SA_BLOCK);
    for (size_t k = 0; k < cols; k++) {
        const float *row = vb + k / SA_BLOCK * SA_BLOCK * Pkv + k % SA_BLOCK * SA_BLOCK;
        __m512 v[4];
#pragma GCC unroll 4
        for (int b = 0; b < NB; b++)
            v[b] = _mm512_loadu_ps(row + b * SA_BLOCK * SA_BLOCK);
        fma_strip(a, p + k, ld_p, v, NB);
    }
#pragma GCC unroll 6
    for (int r = 0; r < SA_TILE_ROWS; r++)
#pragma GCC unroll 4
        for (int b = 0; b < NB; b++)
            _mm512_storeu_ps(acc + r * ld_acc + b * SA_BLOCK, a[r][b]);
}

KERNEL void sa_tile_scores_avx512(float *s, size_t ld_s, const float *q,
                                  size_t ld_q, size_t rows, const float *kb,
                                  size_t Pkv, size_t cols, size_t dh, float scale)
{
    // pairs of key blocks outside, so they stay in L1; an odd one alone
    size_t blocks = (cols + SA_BLOCK - 1) / SA_BLOCK, b = 0;
    for (; b + 2 <= blocks; b += 2)
        for (size_t r = 0; r < rows; r += SA_TILE_ROWS)
            scores_blocks(s + r * ld_s + b * SA_BLOCK, ld_s, q + r * ld_q, ld_q,
                          kb + b * SA_BLOCK * Pkv, Pkv, dh, scale, 2);
    if (b < blocks)
        for (size_t r = 0; r < rows; r += SA_TILE_ROWS)
            scores_blocks(s + r * ld_s + b * SA_BLOCK, ld_s, q + r * ld_q, ld_q,
                          kb + b * SA_BLOCK * Pkv, Pkv, dh, scale, 1);
}

KERNEL void sa_tile_values_avx512(float *acc, const float *p, size_t ld_p,
                                  const float *vb, size_t Pkv, size_t rows,
                                  size_t cols, size_t dh)
{
    // four column groups at a time, then two, then one, each call reading
    // its (cols, 16 * NB) slice of v in order
    size_t c = 0;
    for (; c + 4 * SA_BLOCK <= dh; c += 4 * SA_BLOCK)
        for (size_t r = 0; r < rows; r += SA_TILE_ROWS)
            values_blocks(acc + r * dh + c, dh, p + r * ld_p, ld_p,
                          vb + c * SA_BLOCK, Pkv, cols, 4);
    for (; c + 2 * SA_BLOCK <= dh; c += 2 * SA_BLOCK)
        for (size_t r = 0; r < rows; r += SA_TILE_ROWS)
            values_blocks(acc + r * dh + c, dh, p + r * ld_p, ld_p,
                          vb + c * SA_BLOCK, Pkv, cols, 2);
    if (c < dh)
        for (size_t r = 0; r < rows; r += SA_TILE_ROWS)
            values_blocks(acc + r * dh + c, dh, p + r * ld_p, ld_p,
                          vb + c * SA_BLOCK, Pkv, cols, 1);
}

/* exp(v) on sixteen floats: kernels_avx2.c's exp8, operation for
 * operation (masked multiply in place of its and with the comparison). */
KERNEL INLINE __m512 exp16(__m512 v)
{
    const __m512 low = _mm512_set1_ps(SA_EXP_LOW);
    __mmask16 keep = _mm512_cmp_ps_mask(v, low, _CMP_GE_OQ);
    __m512 c = _mm512_max_ps(v, low);
    SA_EXP_REDUCE(__m512, k, p, c, _mm512_fmadd_ps, _mm512_fnmadd_ps,
                  _mm512_sub_ps, _mm512_set1_ps);
    __m512i bits = _mm512_slli_epi32(
        _mm512_add_epi32(_mm512_cvtps_epi32(k), _mm512_set1_epi32(127)), 23);
    return _mm512_maskz_mul_ps(keep, p, _mm512_castsi512_ps(bits));
}

/* The upper eight floats of e. */
KERNEL INLINE __m256 upper8(__m512 e)
{
    return _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(e), 1));
}

KERNEL size_t sa_exp_prefix_avx512(float *x, size_t n, float shift, double lanes[8])
{
    const __m512 vshift = _mm512_set1_ps(shift);
    __m512d sum = _mm512_loadu_pd(lanes);
    size_t j = 0;
    // sixteen at a time, the two halves added in float before the double
    // lanes as the AVX2 kernel adds its two groups of eight; two
    // independent chains per iteration, for the polynomial's latency
    for (; j + 32 <= n; j += 32) {
        __m512 e0 = exp16(_mm512_sub_ps(_mm512_loadu_ps(x + j), vshift));
        __m512 e1 = exp16(_mm512_sub_ps(_mm512_loadu_ps(x + j + 16), vshift));
        _mm512_storeu_ps(x + j, e0);
        _mm512_storeu_ps(x + j + 16, e1);
        sum = _mm512_add_pd(sum, _mm512_cvtps_pd(
                  _mm256_add_ps(_mm512_castps512_ps256(e0), upper8(e0))));
        sum = _mm512_add_pd(sum, _mm512_cvtps_pd(
                  _mm256_add_ps(_mm512_castps512_ps256(e1), upper8(e1))));
    }
    for (; j + 16 <= n; j += 16) {
        __m512 e = exp16(_mm512_sub_ps(_mm512_loadu_ps(x + j), vshift));
        _mm512_storeu_ps(x + j, e);
        sum = _mm512_add_pd(sum, _mm512_cvtps_pd(
                  _mm256_add_ps(_mm512_castps512_ps256(e), upper8(e))));
    }
    if (j + 8 <= n) {  // a last group of eight, alone as in the AVX2 kernel
        __m512 e = exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(0x00ff, x + j), vshift));
        _mm512_mask_storeu_ps(x + j, 0x00ff, e);
        sum = _mm512_add_pd(sum, _mm512_cvtps_pd(_mm512_castps512_ps256(e)));
        j += 8;
    }
    _mm512_storeu_pd(lanes, sum);
    return j;
}

KERNEL size_t sa_max_prefix_avx512(const float *x, size_t n, float *max_out,
                                   bool *finite)
{
    __m512 max = _mm512_set1_ps(-INFINITY), max2 = max;
    __m512 zero = _mm512_setzero_ps(), zero2 = zero;
    size_t j = 0;
    for (; j + 32 <= n; j += 32) {
        __m512 v = _mm512_loadu_ps(x + j), v2 = _mm512_loadu_ps(x + j + 16);
        SA_MAX_STEP(max, zero, v, _mm512_max_ps, _mm512_add_ps, _mm512_sub_ps);
        SA_MAX_STEP(max2, zero2, v2, _mm512_max_ps, _mm512_add_ps, _mm512_sub_ps);
    }
    max = _mm512_max_ps(max2, max);
    zero = _mm512_add_ps(zero, zero2);
    while (j < n) {  // the rest under a mask: absent lanes are left alone
        size_t some = n - j < 16 ? n - j : 16;
        __mmask16 lanes = (__mmask16)((1u << some) - 1);
        __m512 v = _mm512_maskz_loadu_ps(lanes, x + j);
        max = _mm512_mask_max_ps(max, lanes, v, max);
        zero = _mm512_add_ps(zero, _mm512_sub_ps(v, v));
        j += some;
    }
    float lane[16], zeros[16];
    _mm512_storeu_ps(lane, max);
    _mm512_storeu_ps(zeros, zero);
    sa_max_lanes(lane, zeros, 16, max_out, finite);
    return j;
}

#endif
