/* naive.h — a plain float64 loop attention, the algorithmic reference the
 * BLAS path is checked against.  Legend: n = queries, m = keys, d = model
 * width, d_ctx = context width, H = heads, G = kv heads, dh = head width,
 * P = H * dh, Pkv = G * dh, d_out = output width. */
#ifndef SA_NAIVE_H
#define SA_NAIVE_H

#include "selfattn.h"

/* out (n, d_out), weights (H, n, m) and scores (H, n, m; masked =
 * -INFINITY) of the computation sa_attention_forward documents, in double
 * precision, written from the definitions (positions, RoPE, ALiBi slopes
 * included) without BLAS and without calling the library's math.  ctx NULL
 * means self-attention. */
void naive_attention(double *out, double *weights, double *scores,
                     const float *x, size_t n, size_t d, const float *ctx,
                     size_t m, size_t d_ctx, const sa_weights *w,
                     const sa_config *cfg);

/* Largest |got - want| / (atol + rtol * |want|) over len pairs: <= 1 means
 * all agree (NaN must meet NaN, infinities must be equal).  Also sets
 * *max_abs to the largest finite |got - want|. */
double naive_worst(const float *got, const double *want, size_t len,
                   double rtol, double atol, double *max_abs);

#endif
