/* attention_internal.h — what the forward pass (attention.c) and its two
 * ways of attending (attention_dense.c, attention_stream.c) share: the
 * buffers of one pass, the projected inputs, the score modifiers and the
 * softmax of a row.  The plain float64 attention the tests hold all of it
 * to is tests/unit/naive.c.
 * Legend: n = queries, m = keys, d = model width, d_ctx = key/value input
 * width, H = heads, G = kv heads, dh = head width, P = H * dh,
 * Pkv = G * dh, d_out = output width, m16 = m rounded up to SA_BLOCK.
 * Row-major throughout. */
#ifndef SA_ATTENTION_INTERNAL_H
#define SA_ATTENTION_INTERNAL_H

#include <cblas.h>

#include "alloc.h"
#include "floats.h"
#include "kernels.h"
#include "selfattn.h"

/* ---- the buffers of one forward pass (attention_buffers.c) ------------- */

typedef struct {
    float *block;     /* one allocation: k, v, q and, when kept, concat */
    float *k, *v;     /* (m16, Pkv) each; rows past m zero */
    float *q;         /* (n, P) */
    float *concat;    /* (n, P) the heads' outputs side by side; q itself
                       * on the streaming path, which writes each query
                       * tile's output over its Q */
    float *x_pos;     /* (n, d) the input plus positions, or NULL */
    float *slopes;    /* (H) ALiBi slopes */
    bool *empty;      /* (n) queries with no visible key */
    bool out_in_block;/* the output (n, d_out) goes over K and V */
    float *lse;       /* (H, n) each query's log-sum-exp on the streaming
                       * path, kept for the backward pass, or NULL */
} sa_buffers;

/* Allocates the buffers of a pass and the arrays of r the configuration
 * keeps (output unless it goes in the block, weights, steps).  With
 * backward, what the backward pass reads is kept apart: concat beside Q,
 * the output outside the block, the input with positions, and lse on the
 * streaming path.  On failure everything is freed and the status is
 * SA_ERR_NOMEM. */
sa_status sa_buffers_new(sa_buffers *b, sa_result *r, size_t n, size_t m,
                         size_t d, size_t P, size_t Pkv, size_t d_out,
                         const sa_config *cfg, bool backward, sa_error *err);

/* True if cfg asks for the dense path (every (n, m) matrix kept). */
static inline bool sa_config_dense(const sa_config *cfg)
{
    return cfg->keep_weights || cfg->keep_steps || cfg->keep_grad_steps;
}
void sa_buffers_free(sa_buffers *b);

/* ---- one pass after the projections ------------------------------------ */

typedef struct {
    const sa_config *cfg;
    size_t n, m, H, G, dh, P, Pkv;
    const float *q;        /* (n, P), after RoPE */
    float *k, *v;          /* (m16, Pkv), row-major, or in the blocked
                            * layout once the streaming path made it so */
    bool blocked;          /* k and v are in the blocked layout */
    const float *slopes;   /* (H) ALiBi slopes */
    float *concat;         /* (n, P): head h writes columns [h*dh, (h+1)*dh);
                            * may be q itself on the streaming path */
    bool *empty;           /* (n): set for queries with no visible key */
    float *lse;            /* (H, n): the streaming path writes each query's
                            * log-sum-exp max + log(sum) here, or NULL */
} sa_pass;

/* The kv head query head h reads. */
static inline size_t sa_kv_head(const sa_pass *p, size_t h)
{
    return h / (p->H / p->G);
}

/* Y (rows, cols) = X (rows, inner) @ W (inner, cols) + b (cols, or NULL),
 * the rows across threads (attention.c). */
void sa_project(float *y, const float *x, const float *w, const float *b,
                size_t rows, size_t inner, size_t cols, size_t threads);

/* C (m, n) = alpha * A (m, k; NoTrans) @ op(B) + beta * C with the rows of
 * C split across threads, each block a single-threaded cblas_sgemm
 * (parallel.c). */
void sa_sgemm_rows(size_t threads, CBLAS_TRANSPOSE trans_b, size_t m,
                   size_t n, size_t k, float alpha, const float *a, size_t lda,
                   const float *b, size_t ldb, float beta, float *c, size_t ldc);

/* As sa_sgemm_rows with op(A) too: C (m, n) = alpha * op(A) (m, k) @ op(B)
 * + beta * C, the rows of C (columns of A when trans_a) split. */
void sa_sgemm_split(size_t threads, CBLAS_TRANSPOSE trans_a,
                    CBLAS_TRANSPOSE trans_b, size_t m, size_t n, size_t k,
                    float alpha, const float *a, size_t lda, const float *b,
                    size_t ldb, float beta, float *c, size_t ldc);

/* ---- the forward pass kept for the backward (attention.c) -------------- */

/* sa_attention_forward's pass, keeping for the backward pass (grad.c) what
 * it reads: on success b holds Q (after RoPE), K and V (after RoPE,
 * row-major), concat, the input with positions (x_pos, or NULL: x) and,
 * on the streaming path, lse; *pass describes them, its cfg pointing to
 * *resolved (cfg with the scale resolved).  The caller frees b with
 * sa_buffers_free, and r as sa_attention_forward says. */
sa_status sa_forward_saving(sa_result *r, sa_buffers *b, sa_pass *pass,
                            sa_config *resolved, const float *x, size_t n,
                            size_t d, const float *ctx, size_t m, size_t d_ctx,
                            const sa_weights *w, const sa_config *cfg,
                            sa_error *err);

/* ---- scores (scores.c) --------------------------------------------------- */

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

/* False if no key of [j0, j1) can be visible to any query of [i0, i1)
 * under causal and window (the tile can be skipped). */
bool sa_tile_may_be_visible(size_t i0, size_t i1, size_t j0, size_t j1,
                            const sa_config *cfg);

/* ---- softmax (softmax.c) ------------------------------------------------- */

/* s (m) = softmax(s): the softmax input of one query becomes its weights;
 * false (and zeros) if every key is masked.  exp_out (m), if not NULL,
 * gets exp(s - max) before it is normalised, and *sum_out, if not NULL,
 * their sum (zeros for a masked row). */
bool sa_softmax_row(float *s, size_t m, float *exp_out, float *sum_out);

/* One tile of the online softmax of one query (Milakov & Gimelshein
 * 2018): s (cols), this tile's softmax input, becomes exp(s - max) where
 * max is the running maximum *row_max, which grows to take the tile in;
 * when it grows, the running sum *row_sum and the unnormalised output
 * acc (dh) are rescaled.  With check_finite, false if a score is not
 * finite (q.k overflowed); s is then left as it was. */
bool sa_softmax_tile(float *s, size_t cols, float *row_max, double *row_sum,
                     float *acc, size_t dh, bool check_finite);

/* ---- the two ways of attending ------------------------------------------ */

/* The materialised path: every head's (n, m) weights in r->weights
 * (H, n, m) and, where r has them (keep_steps), the raw scores, scores,
 * exponentials and row sums too.  SA_ERR_DATA if q.k overflows float32. */
sa_status sa_attend_dense(sa_result *r, const sa_pass *p, sa_error *err);

/* Where the dense path writes the rows of a span of queries: head h's
 * row i (of p->q) at weights[h * head_stride + i * m], and alike in
 * raw_scores, scores and exp_scores (NULL when not kept); its row sum at
 * rowsum[h * rowsum_stride + i] (NULL when not kept). */
typedef struct {
    float *weights;      /* (H, head_stride) */
    float *raw_scores, *scores, *exp_scores;   /* (H, head_stride) or NULL */
    size_t head_stride;  /* >= (rows of p->q) * m */
    float *rowsum;       /* (H, rowsum_stride) or NULL */
    size_t rowsum_stride;/* >= rows of p->q */
} sa_dense_rows;

/* sa_attend_dense for the queries [r0, r0 + rows) of p->q (and of
 * p->concat, p->empty and o's arrays), whose global indices are
 * [i0, i0 + rows): p->n and p->m are the global sizes the mask and bias
 * are indexed with, p->k and p->v (m, Pkv) row-major hold every key.  The
 * head outputs go into concat's rows. */
sa_status sa_attend_dense_rows(const sa_dense_rows *o, const sa_pass *p,
                               size_t r0, size_t i0, size_t rows,
                               sa_error *err);

/* The streaming path: tiles of queries against tiles of keys with an
 * online softmax, on threads threads (0: one).  Memory O(threads * tile^2)
 * beyond the pass.  May leave p->k and p->v blocked (p->blocked). */
sa_status sa_attend_stream(sa_pass *p, size_t threads, sa_error *err);

/* One query row computed on its own, in double: the fallback of the
 * streaming path when its unnormalised sums overflow float32 though the
 * weighted mean fits.  Writes out (dh), which may be query i's own q, once
 * q is read; false if memory ran out. */
bool sa_attend_row(float *out, const sa_pass *p, size_t h, size_t i);

/* ---- positions from an offset (positions.c) ----------------------------- */

/* sa_sinusoidal for rows at positions [first, first + n). */
void sa_sinusoidal_from(float *x, size_t first, size_t n, size_t d);

/* sa_rope for rows at positions [first, first + rows). */
void sa_rope_from(float *x, size_t first, size_t rows, size_t heads,
                  size_t dh, size_t ld, float base, bool neox);

/* ---- a sequence split into spans (attention_span.c) --------------------- */

/* The running online softmax of one span's rows queries over every head,
 * carried across blocks of keys (the ranks of an MPI run). */
typedef struct {
    size_t rows;
    float *acc;       /* (rows, P) unnormalised head outputs, head h in
                       * columns [h*dh, (h+1)*dh); the output once finished */
    float *row_max;   /* (H, rows) running maximum, -INFINITY at first */
    double *row_sum;  /* (H, rows) running sum of exp(s - row_max) */
    float *s;         /* (Bq, Bk) a tile's scores */
    float *qt, *at;   /* (Bq, dh) a tile's Q and output, zero-padded */
} sa_online;

/* Allocates the state of rows queries (H heads, P = H * dh) with nothing
 * seen; SA_ERR_NOMEM (everything freed) if memory runs out. */
sa_status sa_online_new(sa_online *st, size_t rows, size_t P, size_t H,
                        sa_error *err);
void sa_online_free(sa_online *st);

/* Q (rows, P) = x (rows, d) @ Wq + bq for queries at global positions
 * [first, first + rows), RoPE at those positions when cfg says; x carries
 * sinusoidal positions already if cfg wants them (sa_sinusoidal_from).
 * SA_ERR_DATA if Q overflows float32.  BLAS on cfg->threads threads. */
sa_status sa_span_queries(float *q, const float *x, size_t rows, size_t first,
                          size_t d, const sa_weights *w, const sa_config *cfg,
                          sa_error *err);

/* K, V (rows, Pkv) = ctx (rows, d_ctx) @ Wk, Wv + bk, bv for keys at
 * global positions [first, first + rows), RoPE on K.  As sa_span_queries. */
sa_status sa_span_keys(float *k, float *v, const float *ctx, size_t rows,
                       size_t first, size_t d_ctx, const sa_weights *w,
                       const sa_config *cfg, sa_error *err);

/* out (rows, d_out) = concat (rows, P) @ Wo + bo (concat + bo without Wo). */
void sa_span_output(float *out, const float *concat, size_t rows,
                    const sa_weights *w, size_t threads);

/* Takes keys [j0, j0 + cols) (global indices), k and v (cols, Pkv)
 * row-major, into the state of the span's queries [r0, r0 + rows) (rows
 * of p->q and st), whose global indices are [i0, i0 + rows), for every
 * head.  p describes the whole sequence: p->n and p->m are the global
 * sizes the mask and bias (cfg, whole) are indexed with, p->q the span's
 * Q (st->rows, P), p->slopes the ALiBi slopes, cfg->scale resolved; with
 * p->blocked, k and v are in the blocked layout (sa_block_keys,
 * sa_block_values, on rows padded with zeros to a multiple of SA_BLOCK),
 * which needs sa_tile_kernels_usable(dh).  Tiles
 * that causal or window hide are skipped.  Blocks may come in any order:
 * the result is the same up to float32 rounding.  False if a visible
 * score overflows float32 (the state is then unusable). */
bool sa_attend_span(sa_online *st, const sa_pass *p, size_t r0, size_t i0,
                    size_t rows, const float *k, const float *v, size_t j0,
                    size_t cols);

/* Normalises st->acc into the span's concat (rows, P) once every block
 * was taken: a query that saw no key gets zeros (NaN with
 * masked_rows_nan) and empty[r] (rows) set.  SA_ERR_DATA if a result
 * overflows float32. */
sa_status sa_online_finish(bool *empty, sa_online *st, const sa_pass *p,
                           sa_error *err);

#endif
