/* tile_kernel.c — the streaming path's two tile products without BLAS,
 * for head widths that are multiples of 16 on x86-64 with AVX2 and FMA.
 * Through cblas_sgemm, OpenBLAS packs both operands and clears the result
 * on every (Bq, Bk) tile; with 64-wide heads that was about 12% of the
 * attention (README "Speed and memory").  Here K and V are rearranged
 * once per pass, in place, into blocks of 16 rows that the kernels read in
 * order (sa_block_keys, sa_block_values); queries and probabilities are
 * read where they are, and a 6 x 16 block of the result stays in twelve
 * registers while the inner dimension streams past.  The plain loops at
 * the end are the reference the unit tests hold the kernels to. */
#include <string.h>

#include "attention_internal.h"

void sa_block_keys(float *k, size_t m16, size_t Pkv, float *tmp)
{
    for (size_t b = 0; b < m16; b += SA_BLOCK) {
        float *block = k + b * Pkv;
        memcpy(tmp, block, SA_BLOCK * Pkv * sizeof *tmp);
        for (size_t r = 0; r < SA_BLOCK; r++)
            for (size_t c = 0; c < Pkv; c++)
                block[c * SA_BLOCK + r] = tmp[r * Pkv + c];
    }
}

void sa_block_values(float *v, size_t m16, size_t Pkv, float *tmp)
{
    for (size_t b = 0; b < m16; b += SA_BLOCK) {
        float *block = v + b * Pkv;
        memcpy(tmp, block, SA_BLOCK * Pkv * sizeof *tmp);
        for (size_t c = 0; c < Pkv; c += SA_BLOCK)
            for (size_t r = 0; r < SA_BLOCK; r++)
                memcpy(block + c * SA_BLOCK + r * SA_BLOCK, tmp + r * Pkv + c,
                       SA_BLOCK * sizeof *tmp);
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define KERNEL __attribute__((target("avx2,fma")))

bool sa_tile_kernels_usable(size_t dh)
{
    return dh > 0 && dh % 16 == 0 && __builtin_cpu_supports("avx2") &&
           __builtin_cpu_supports("fma");
}

/* The twelve accumulators of a 6 x 16 block: row r is (a<r>l, a<r>h). */
#define ZERO_ROW(r) __m256 a##r##l = _mm256_setzero_ps(), a##r##h = a##r##l
#define FMA_ROW(r, x)                                                       \
    do {                                                                    \
        __m256 bx = _mm256_broadcast_ss(x);                                 \
        a##r##l = _mm256_fmadd_ps(bx, lo, a##r##l);                         \
        a##r##h = _mm256_fmadd_ps(bx, hi, a##r##h);                         \
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
        FMA_ROW(0, q + t);
        FMA_ROW(1, q + ld_q + t);
        FMA_ROW(2, q + 2 * ld_q + t);
        FMA_ROW(3, q + 3 * ld_q + t);
        FMA_ROW(4, q + 4 * ld_q + t);
        FMA_ROW(5, q + 5 * ld_q + t);
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
        FMA_ROW(0, p + k);
        FMA_ROW(1, p + ld_p + k);
        FMA_ROW(2, p + 2 * ld_p + k);
        FMA_ROW(3, p + 3 * ld_p + k);
        FMA_ROW(4, p + 4 * ld_p + k);
        FMA_ROW(5, p + 5 * ld_p + k);
    }
#define STORE_ROW(r)                                                        \
    _mm256_storeu_ps(acc + r * ld_acc, a##r##l);                            \
    _mm256_storeu_ps(acc + r * ld_acc + 8, a##r##h)
    STORE_ROW(0); STORE_ROW(1); STORE_ROW(2); STORE_ROW(3); STORE_ROW(4); STORE_ROW(5);
#undef STORE_ROW
}

KERNEL void sa_tile_scores(float *s, size_t ld_s, const float *q, size_t ld_q,
                           size_t rows, const float *kb, size_t Pkv,
                           size_t cols, size_t dh, float scale)
{
    // key blocks outside, so one block of keys stays in L1
    for (size_t b = 0; b * SA_BLOCK < cols; b++)
        for (size_t r = 0; r < rows; r += SA_TILE_ROWS)
            scores_block(s + r * ld_s + b * SA_BLOCK, ld_s, q + r * ld_q, ld_q,
                         kb + b * SA_BLOCK * Pkv, dh, scale);
}

KERNEL void sa_tile_values(float *acc, const float *p, size_t ld_p,
                           const float *vb, size_t Pkv, size_t rows,
                           size_t cols, size_t dh)
{
    // columns outside, so the (cols, 16) slice of v stays in L1
    for (size_t c = 0; c < dh; c += SA_BLOCK)
        for (size_t r = 0; r < rows; r += SA_TILE_ROWS)
            values_block(acc + r * dh + c, dh, p + r * ld_p, ld_p,
                         vb + c * SA_BLOCK, Pkv, cols);
}

#else  /* no AVX2 kernels: the streaming path uses cblas_sgemm */

bool sa_tile_kernels_usable(size_t dh)
{
    (void)dh;
    return false;
}

void sa_tile_scores(float *s, size_t ld_s, const float *q, size_t ld_q,
                    size_t rows, const float *kb, size_t Pkv, size_t cols,
                    size_t dh, float scale)
{
    sa_tile_scores_ref(s, ld_s, q, ld_q, rows, kb, Pkv, cols, dh, scale);
}

void sa_tile_values(float *acc, const float *p, size_t ld_p, const float *vb,
                    size_t Pkv, size_t rows, size_t cols, size_t dh)
{
    sa_tile_values_ref(acc, p, ld_p, vb, Pkv, rows, cols, dh);
}

#endif

void sa_tile_scores_ref(float *s, size_t ld_s, const float *q, size_t ld_q,
                        size_t rows, const float *kb, size_t Pkv, size_t cols,
                        size_t dh, float scale)
{
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
    for (size_t r = 0; r < rows; r++)
        for (size_t t = 0; t < dh; t++) {
            float sum = acc[r * dh + t];
            for (size_t k = 0; k < cols; k++)
                sum += p[r * ld_p + k] * sa_blocked_value(vb, Pkv, k, t);
            acc[r * dh + t] = sum;
        }
}
