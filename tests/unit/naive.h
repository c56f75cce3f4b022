/* naive.h — a plain float64 triple-loop attention, the algorithmic reference
 * the BLAS path is checked against.  Legend: n = queries, d = model width,
 * H = heads, dh = head width, P = H * dh, d_out = output width. */
#ifndef SA_NAIVE_H
#define SA_NAIVE_H

#include "selfattn.h"

/* out (n, d_out), weights (H, n, n) and scores (H, n, n; masked = -INFINITY)
 * of the same computation as sa_attention_forward, in double precision,
 * written from the definition: no BLAS, no tricks.  Rows with no visible key
 * get zero weights. */
void naive_attention(double *out, double *weights, double *scores,
                     const float *x, size_t n, size_t d, const sa_weights *w,
                     size_t heads, double scale, bool causal,
                     const unsigned char *mask);

/* Largest |got - want| / (atol + rtol * |want|) over len pairs: <= 1 means
 * all agree.  Also sets *max_abs to the largest |got - want|. */
double naive_worst(const float *got, const double *want, size_t len,
                   double rtol, double atol, double *max_abs);

#endif
