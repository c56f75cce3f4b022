/* attention_internal.h — what the two ways of attending share: the
 * projected inputs of one forward pass, the score modifiers, and exp.
 * Legend: n = queries, m = keys, H = heads, G = kv heads, dh = head width,
 * P = H * dh, Pkv = G * dh.  Row-major throughout. */
#ifndef SA_ATTENTION_INTERNAL_H
#define SA_ATTENTION_INTERNAL_H

#include <cblas.h>

#include "alloc.h"
#include "selfattn.h"

/* One forward pass after the projections. */
typedef struct {
    const sa_config *cfg;
    size_t n, m, H, G, dh, P, Pkv;
    const float *q;        /* (n, P), after RoPE */
    const float *k, *v;    /* (m, Pkv) */
    const float *slopes;   /* (H) ALiBi slopes */
    float *concat;         /* (n, P): head h writes columns [h*dh, (h+1)*dh) */
    bool *empty;           /* (n): set for queries with no visible key */
} sa_pass;

/* C (m, n) = alpha * A (m, k; NoTrans) @ op(B) + beta * C with the rows of
 * C split across threads, each block a single-threaded cblas_sgemm. */
void sa_sgemm_rows(size_t threads, CBLAS_TRANSPOSE trans_b, size_t m,
                   size_t n, size_t k, float alpha, const float *a, size_t lda,
                   const float *b, size_t ldb, float beta, float *c, size_t ldc);

/* The kv head query head h reads. */
static inline size_t sa_kv_head(const sa_pass *p, size_t h)
{
    return h / (p->H / p->G);
}

/* Turns the raw scaled scores s (rows, cols; row stride ld) of head h,
 * queries [i0, i0 + rows) and keys [j0, j0 + cols), into the softmax input:
 * softcap, + ALiBi, + bias, then masked keys become -INFINITY. */
void sa_finish_scores(float *s, size_t rows, size_t cols, size_t ld,
                      size_t i0, size_t j0, size_t h, const sa_pass *p);

/* True if every raw score of s (rows, cols; row stride ld; queries from
 * i0, keys from j0) that causal, window and mask leave visible is finite:
 * q.k overflowed float32 otherwise. */
bool sa_scores_finite(const float *s, size_t rows, size_t cols, size_t ld,
                      size_t i0, size_t j0, const sa_pass *p);

/* One query row computed on its own, in double: the fallback of the
 * streaming path when its unnormalised sums overflow float32 though the
 * weighted mean fits.  Writes out (dh); false if memory ran out. */
bool sa_attend_row(float *out, const sa_pass *p, size_t h, size_t i);

/* False if no key of [j0, j1) can be visible to any query of [i0, i1)
 * under causal and window (the tile can be skipped). */
bool sa_tile_may_be_visible(size_t i0, size_t i1, size_t j0, size_t j1,
                            const sa_config *cfg);

/* x[j] = exp(x[j] - shift) for j < n (-INFINITY gives exactly 0); returns
 * the sum of the results in double. */
double sa_exp_shifted(float *x, size_t n, float shift);

/* True if no element of x[0 .. n) is infinite or NaN. */
bool sa_all_finite(const float *x, size_t n);

/* The largest of x[0 .. n), -INFINITY for none. */
float sa_max(const float *x, size_t n);

/* The materialised path: every head's (n, m) weights in weights (H, n, m),
 * and with steps the scores too.  SA_ERR_DATA if q.k overflows float32. */
sa_status sa_attend_dense(float *weights, float *scores, const sa_pass *p,
                          sa_error *err);

/* The streaming path: tiles of queries against tiles of keys with an
 * online softmax, on threads threads (0: one).  Memory O(threads * tile^2)
 * beyond the pass. */
sa_status sa_attend_stream(const sa_pass *p, size_t threads, sa_error *err);

#endif
