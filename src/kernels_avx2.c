/* kernels_avx2.c — the streaming path's kernels for x86-64 with AVX2 and
 * FMA (kernels.h): the two tile products on blocked K and V, exp with
 * its sum, and the maximum with the finiteness check.  Through
 * cblas_sgemm, OpenBLAS packs both operands and clears the result on
 * every tile (docs/performance.md).  Here a 6 x 16 block of the result
 * stays in twelve ymm registers while the inner dimension streams past,
 * reading queries and probabilities where they are and K and V in the
 * blocked layout (tiles.c) in order.  Legend as in kernels.h. */
#include "kernels.h"

#if SA_X86_KERNELS
#include <immintrin.h>
#include <math.h>

#include "kernels.h"

#define KERNEL __attribute__((target("avx2,fma")))
#define LANES 8

/* The twelve accumulators of a 6 x 16 block: row r is (a<r>l, a<r>h). */
#define ZERO_ROW(r) __m256 a##r##l = _mm256_setzero_ps(), a##r##h = a##r##l
#define FMA_ROW(r, x)                                                       \
    do {                                                                    \
        __m256 bx = _mm256_broadcast_ss(x);                                 \
        a##r##l = _mm256_fmadd_ps(bx, lo, a##r##l);                         \
        a##r##h = _mm256_fmadd_ps(bx, hi, a##r##h);                         \
    } while (0)
/* One step of the inner dimension for the 6 rows: x[r * ld] times (lo, hi). */
#define FMA_STRIP(x, ld)                                                    \
    do {                                                                    \
        FMA_ROW(0, (x));                                                    \
        FMA_ROW(1, (x) + (ld));                                             \
        FMA_ROW(2, (x) + 2 * (ld));                                         \
        FMA_ROW(3, (x) + 3 * (ld));                                         \
        FMA_ROW(4, (x) + 4 * (ld));                                         \
        FMA_ROW(5, (x) + 5 * (ld));                                         \
    } while (0)

/* s (6, 16; row stride ld_s) = scale * q (6, dh; row stride ld_q) @ kb
 * (dh, 16; row stride 16), one head's columns of a block of keys. */
KERNEL static void scores_block(float *s, size_t ld_s, const float *q,
                                size_t ld_q, const float *kb, size_t dh,
                                float scale)
{
    ZERO_ROW(0); ZERO_ROW(1); ZERO_ROW(2); ZERO_ROW(3); ZERO_ROW(4); ZERO_ROW(5);
    for (size_t t = 0; t < dh; t++) {
        __m256 lo = _mm256_loadu_ps(kb + t * SA_BLOCK);
        __m256 hi = _mm256_loadu_ps(kb + t * SA_BLOCK + 8);
        FMA_STRIP(q + t, ld_q);
    }
    __m256 f = _mm256_set1_ps(scale);
#define STORE_ROW(r)                                                        \
    _mm256_storeu_ps(s + r * ld_s, _mm256_mul_ps(a##r##l, f));              \
    _mm256_storeu_ps(s + r * ld_s + 8, _mm256_mul_ps(a##r##h, f))
    STORE_ROW(0); STORE_ROW(1); STORE_ROW(2); STORE_ROW(3); STORE_ROW(4); STORE_ROW(5);
#undef STORE_ROW
}

/* acc (6, 16; row stride ld_acc) += p (6, cols; row stride ld_p) @ the
 * (cols, 16) columns of blocked values starting at vb (row k at
 * vb + (k / 16) * 16 * Pkv + (k % 16) * 16). */
KERNEL static void values_block(float *acc, size_t ld_acc, const float *p,
                                size_t ld_p, const float *vb, size_t Pkv,
                                size_t cols)
{
#define LOAD_ROW(r)                                                         \
    __m256 a##r##l = _mm256_loadu_ps(acc + r * ld_acc),                     \
           a##r##h = _mm256_loadu_ps(acc + r * ld_acc + 8)
    LOAD_ROW(0); LOAD_ROW(1); LOAD_ROW(2); LOAD_ROW(3); LOAD_ROW(4); LOAD_ROW(5);
#undef LOAD_ROW
    for (size_t k = 0; k < cols; k++) {
        const float *row = vb + k / SA_BLOCK * SA_BLOCK * Pkv + k % SA_BLOCK * SA_BLOCK;
        __m256 lo = _mm256_loadu_ps(row);
        __m256 hi = _mm256_loadu_ps(row + 8);
        FMA_STRIP(p + k, ld_p);
    }
#define STORE_ROW(r)                                                        \
    _mm256_storeu_ps(acc + r * ld_acc, a##r##l);                            \
    _mm256_storeu_ps(acc + r * ld_acc + 8, a##r##h)
    STORE_ROW(0); STORE_ROW(1); STORE_ROW(2); STORE_ROW(3); STORE_ROW(4); STORE_ROW(5);
#undef STORE_ROW
}

KERNEL void sa_tile_scores_avx2(float *s, size_t ld_s, const float *q,
                                size_t ld_q, size_t rows, const float *kb,
                                size_t Pkv, size_t cols, size_t dh, float scale)
{
    // key blocks outside, so one block of keys stays in L1
    for (size_t b = 0; b * SA_BLOCK < cols; b++)
        for (size_t r = 0; r < rows; r += SA_TILE_ROWS)
            scores_block(s + r * ld_s + b * SA_BLOCK, ld_s, q + r * ld_q, ld_q,
                         kb + b * SA_BLOCK * Pkv, dh, scale);
}

KERNEL void sa_tile_values_avx2(float *acc, const float *p, size_t ld_p,
                                const float *vb, size_t Pkv, size_t rows,
                                size_t cols, size_t dh)
{
    // columns outside, so the (cols, 16) slice of v stays in L1
    for (size_t c = 0; c < dh; c += SA_BLOCK)
        for (size_t r = 0; r < rows; r += SA_TILE_ROWS)
            values_block(acc + r * dh + c, dh, p + r * ld_p, ld_p,
                         vb + c * SA_BLOCK, Pkv, cols);
}

/* exp(v) on eight floats, as kernels_generic.c's sa_exp_scalar with fused
 * multiply-adds; inlined into the loop below. */
KERNEL static inline __attribute__((always_inline)) __m256 exp8(__m256 v)
{
    const __m256 low = _mm256_set1_ps(SA_EXP_LOW);
    __m256 keep = _mm256_cmp_ps(v, low, _CMP_GE_OQ);
    __m256 c = _mm256_max_ps(v, low);
    SA_EXP_REDUCE(__m256, k, p, c, _mm256_fmadd_ps, _mm256_fnmadd_ps,
                  _mm256_sub_ps, _mm256_set1_ps);
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

KERNEL size_t sa_exp_prefix_avx2(float *x, size_t n, float shift, double lanes[8])
{
    const __m256 vshift = _mm256_set1_ps(shift);
    __m256d sum_lo = _mm256_loadu_pd(lanes), sum_hi = _mm256_loadu_pd(lanes + 4);
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
    _mm256_storeu_pd(lanes, sum_lo);
    _mm256_storeu_pd(lanes + 4, sum_hi);
    return j;
}

KERNEL size_t sa_max_prefix_avx2(const float *x, size_t n, float *max_out,
                                 bool *finite)
{
    __m256 max = _mm256_set1_ps(-INFINITY), max2 = max;
    __m256 zero = _mm256_setzero_ps(), zero2 = zero;
    size_t j = 0;
    // two chains of sixteen, as one would wait on the latency of each step
    for (; j + 2 * LANES <= n; j += 2 * LANES) {
        __m256 v = _mm256_loadu_ps(x + j), v2 = _mm256_loadu_ps(x + j + LANES);
        SA_MAX_STEP(max, zero, v, _mm256_max_ps, _mm256_add_ps, _mm256_sub_ps);
        SA_MAX_STEP(max2, zero2, v2, _mm256_max_ps, _mm256_add_ps, _mm256_sub_ps);
    }
    max = _mm256_max_ps(max2, max);
    zero = _mm256_add_ps(zero, zero2);
    for (; j + LANES <= n; j += LANES) {
        __m256 v = _mm256_loadu_ps(x + j);
        SA_MAX_STEP(max, zero, v, _mm256_max_ps, _mm256_add_ps, _mm256_sub_ps);
    }
    float lane[LANES], zeros[LANES];
    _mm256_storeu_ps(lane, max);
    _mm256_storeu_ps(zeros, zero);
    sa_max_lanes(lane, zeros, LANES, max_out, finite);
    return j;
}

#endif
