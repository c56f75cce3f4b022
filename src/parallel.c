/* parallel.c — the library's own threads for BLAS products: the rows of
 * the result are split into one block per thread and each block is one
 * single-threaded cblas_sgemm.  Using our threads everywhere (OpenBLAS set
 * to one thread) keeps OpenBLAS's pool from spinning on the cores while
 * the streaming workers run.  A block's arithmetic does not depend on the
 * other blocks, so the same number of threads gives the same bits. */
#include <pthread.h>
#include <stdlib.h>

#include "attention_internal.h"

static size_t io_threads = 1;

void sa_set_io_threads(size_t threads)
{
    io_threads = threads ? threads : 1;
}

size_t sa_io_threads(void)
{
    return io_threads;
}

typedef struct {
    CBLAS_TRANSPOSE trans_a, trans_b;
    size_t rows, n, k;
    float alpha, beta;
    const float *a, *b;
    float *c;
    size_t lda, ldb, ldc;
} gemm_block;

static void *run_block(void *arg)
{
    const gemm_block *g = arg;
    if (g->rows)
        cblas_sgemm(CblasRowMajor, g->trans_a, g->trans_b, (int)g->rows,
                    (int)g->n, (int)g->k, g->alpha, g->a, (int)g->lda, g->b,
                    (int)g->ldb, g->beta, g->c, (int)g->ldc);
    return NULL;
}

void sa_sgemm_rows(size_t threads, CBLAS_TRANSPOSE trans_b, size_t m,
                   size_t n, size_t k, float alpha, const float *a, size_t lda,
                   const float *b, size_t ldb, float beta, float *c, size_t ldc)
{
    sa_sgemm_split(threads, CblasNoTrans, trans_b, m, n, k, alpha, a, lda, b,
                   ldb, beta, c, ldc);
}

void sa_sgemm_split(size_t threads, CBLAS_TRANSPOSE trans_a,
                    CBLAS_TRANSPOSE trans_b, size_t m, size_t n, size_t k,
                    float alpha, const float *a, size_t lda, const float *b,
                    size_t ldb, float beta, float *c, size_t ldc)
{
    // small products, or one thread: one call
    if (threads <= 1 || m < 64 || (double)m * n * k < 4e6) {
        gemm_block one = {trans_a, trans_b, m, n, k, alpha, beta, a, b, c, lda, ldb, ldc};
        run_block(&one);
        return;
    }
    if (threads > 64)
        threads = 64;
    gemm_block blocks[64];
    pthread_t ids[64];
    size_t per = (m + threads - 1) / threads, started = 0;
    for (size_t t = 0; t < threads; t++) {
        size_t first = t * per < m ? t * per : m;
        size_t rows = m - first < per ? m - first : per;
        // row `first` of op(A): a row of A, or a column when transposed
        const float *a_first = trans_a == CblasNoTrans ? a + first * lda : a + first;
        blocks[t] = (gemm_block){trans_a, trans_b, rows, n, k, alpha, beta,
                                 a_first, b, c + first * ldc, lda, ldb, ldc};
    }
    for (size_t t = 1; t < threads; t++) {
        if (pthread_create(&ids[t], NULL, run_block, &blocks[t]) != 0)
            break;
        started = t;
    }
    run_block(&blocks[0]);
    for (size_t t = 1; t <= started; t++)
        pthread_join(ids[t], NULL);
    for (size_t t = started + 1; t < threads; t++)
        run_block(&blocks[t]);  // threads that could not start
}
