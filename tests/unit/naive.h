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

/* The gradients of L = sum of dY .* output (dY (n, d_out), all ones for dy
 * NULL) in double, written from the definitions by hand (the chain rule
 * through every step of naive_attention), without BLAS and without the
 * library's math.  NaN rows spread NaN by plain arithmetic, as autograd
 * does.  Every array is allocated (dctx only with a context, dbias only
 * with a bias); free with naive_grads_free.  The steps are per head h as
 * sa_grads has them. */
typedef struct {
    double loss;
    double *dx, *dctx, *dbias;           /* (n, d), (m, d_ctx), like cfg->bias */
    double *dwq, *dwk, *dwv, *dwo;       /* (d, P), (d_ctx, Pkv) x2, (P, d_out) */
    double *dbq, *dbk, *dbv, *dbo;       /* (P), (Pkv) x2, (d_out) */
    double *d_out, *dq;                  /* (H, n, dh) */
    double *dk, *dv;                     /* (H, m, dh) */
    double *dp, *ds;                     /* (H, n, m) */
} naive_grads;

void naive_attention_backward(naive_grads *g, const float *dy, const float *x,
                              size_t n, size_t d, const float *ctx, size_t m,
                              size_t d_ctx, const sa_weights *w,
                              const sa_config *cfg);
void naive_grads_free(naive_grads *g);

/* L alone, for finite differences. */
double naive_loss(const float *dy, const float *x, size_t n, size_t d,
                  const float *ctx, size_t m, size_t d_ctx,
                  const sa_weights *w, const sa_config *cfg);

/* Largest |got - want| / (atol + rtol * max |want|) over len pairs, the
 * tolerance relative to the largest value (gradients sum terms of both
 * signs: an element near zero is as exact as the largest, in absolute
 * terms); NaN must meet NaN.  *max_abs as naive_worst. */
double naive_worst_scaled(const float *got, const double *want, size_t len,
                          double rtol, double atol, double *max_abs);

/* Largest |got - want| / (atol + rtol * |want|) over len pairs: <= 1 means
 * all agree (NaN must meet NaN, infinities must be equal).  Also sets
 * *max_abs to the largest finite |got - want|. */
double naive_worst(const float *got, const double *want, size_t len,
                   double rtol, double atol, double *max_abs);

#endif
