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
    float *k, *v;          /* (m16, Pkv), m16 = m rounded up to SA_BLOCK,
                            * rows past m zero; row-major, or in the blocked
                            * layout once the streaming path made it so */
    bool blocked;          /* k and v are in the blocked layout */
    const float *slopes;   /* (H) ALiBi slopes */
    float *concat;         /* (n, P): head h writes columns [h*dh, (h+1)*dh);
                            * may be q itself on the streaming path */
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

/* True if cfg modifies no score (no softcap, ALiBi, bias or masking). */
bool sa_scores_plain(const sa_config *cfg);

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
 * weighted mean fits.  Writes out (dh), which may be query i's own q, once
 * q is read; false if memory ran out. */
bool sa_attend_row(float *out, const sa_pass *p, size_t h, size_t i);

/* False if no key of [j0, j1) can be visible to any query of [i0, i1)
 * under causal and window (the tile can be skipped). */
bool sa_tile_may_be_visible(size_t i0, size_t i1, size_t j0, size_t j1,
                            const sa_config *cfg);

/* x[j] = exp(x[j] - shift) for j < n (-INFINITY gives exactly 0); returns
 * the sum of the results in double. */
double sa_exp_shifted(float *x, size_t n, float shift);

/* The largest of x[0 .. n) (-INFINITY for none; NaNs are passed over),
 * and in *finite whether none is infinite or NaN, in one pass. */
float sa_max_finite(const float *x, size_t n, bool *finite);

/* The two above as plain loops: the portable versions and the reference
 * of the unit tests. */
double sa_exp_shifted_ref(float *x, size_t n, float shift);
float sa_max_finite_ref(const float *x, size_t n, bool *finite);

/* True if no element of x[0 .. n) is infinite or NaN. */
bool sa_all_finite(const float *x, size_t n);

/* The largest of x[0 .. n), -INFINITY for none. */
float sa_max(const float *x, size_t n);

/* ---- tile kernels (tile_kernel.c) -------------------------------------- */

#define SA_BLOCK 16      /* rows of K and V per block of the blocked layout */
#define SA_TILE_ROWS 6   /* query rows per kernel block */

/* True if sa_tile_scores and sa_tile_values have fast kernels for head
 * width dh on this CPU (dh a multiple of 16, AVX2 and FMA). */
bool sa_tile_kernels_usable(size_t dh);

/* Rearrange k or v (m16, Pkv), m16 a multiple of SA_BLOCK, in place into
 * the blocked layout: each block of 16 rows keeps its 16 * Pkv floats,
 * keys as (Pkv, 16), the 16 keys of each column together; values as
 * (Pkv / 16, 16, 16), the 16 rows of each group of 16 columns together.
 * tmp holds 16 * Pkv floats. */
void sa_block_keys(float *k, size_t m16, size_t Pkv, float *tmp);
void sa_block_values(float *v, size_t m16, size_t Pkv, float *tmp);

/* Element (row j, column col) of blocked keys or values of width Pkv. */
static inline float sa_blocked_key(const float *k, size_t Pkv, size_t j, size_t col)
{
    return k[j / SA_BLOCK * SA_BLOCK * Pkv + col * SA_BLOCK + j % SA_BLOCK];
}
static inline float sa_blocked_value(const float *v, size_t Pkv, size_t j, size_t col)
{
    return v[j / SA_BLOCK * SA_BLOCK * Pkv + col / SA_BLOCK * SA_BLOCK * SA_BLOCK +
             j % SA_BLOCK * SA_BLOCK + col % SA_BLOCK];
}

/* s (rows, ceil(cols/16)*16; row stride ld_s) = scale * q (rows, dh; row
 * stride ld_q) @ the keys' columns [c0, c0 + dh) for keys [j0, j0 + cols),
 * with kb = k + j0 * Pkv + c0 * 16 for blocked k and j0 a multiple of 16.
 * rows is a multiple of SA_TILE_ROWS. */
void sa_tile_scores(float *s, size_t ld_s, const float *q, size_t ld_q,
                    size_t rows, const float *kb, size_t Pkv, size_t cols,
                    size_t dh, float scale);

/* acc (rows, dh) += p (rows, cols; row stride ld_p) @ the values' rows
 * [j0, j0 + cols) and columns [c0, c0 + dh), with vb = v + j0 * Pkv +
 * c0 * 16 for blocked v, j0 and c0 multiples of 16.  rows is a multiple
 * of SA_TILE_ROWS, dh of 16. */
void sa_tile_values(float *acc, const float *p, size_t ld_p, const float *vb,
                    size_t Pkv, size_t rows, size_t cols, size_t dh);

/* The same two products as plain loops (the reference, any shapes). */
void sa_tile_scores_ref(float *s, size_t ld_s, const float *q, size_t ld_q,
                        size_t rows, const float *kb, size_t Pkv, size_t cols,
                        size_t dh, float scale);
void sa_tile_values_ref(float *acc, const float *p, size_t ld_p, const float *vb,
                        size_t Pkv, size_t rows, size_t cols, size_t dh);

/* The materialised path: every head's (n, m) weights in weights (H, n, m),
 * and with steps the scores too.  SA_ERR_DATA if q.k overflows float32. */
sa_status sa_attend_dense(float *weights, float *scores, const sa_pass *p,
                          sa_error *err);

/* The streaming path: tiles of queries against tiles of keys with an
 * online softmax, on threads threads (0: one).  Memory O(threads * tile^2)
 * beyond the pass.  May leave p->k and p->v blocked (p->blocked). */
sa_status sa_attend_stream(sa_pass *p, size_t threads, sa_error *err);

#endif
