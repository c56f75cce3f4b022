/* grad_internal.h — what the backward pass (grad.c) and its two ways of
 * attending backward (grad_dense.c, grad_stream.c) share.  The plain
 * float64 backward the tests hold both to is tests/unit/naive.c.
 * Legend as in attention_internal.h: n = queries, m = keys, H = heads,
 * G = kv heads, dh = head width, P = H * dh, Pkv = G * dh.  Row-major. */
#ifndef SA_GRAD_INTERNAL_H
#define SA_GRAD_INTERNAL_H

#include "attention_internal.h"

/* The backward pass of the attention proper, from dO to dQ, dK, dV (all
 * after RoPE) and the bias's gradient, on a forward pass p whose Q, K and
 * V are row-major and whose empty rows (p->empty) have zero weights and
 * zero outputs (NaN rows are zeroed before and poisoned after, grad.c). */
typedef struct {
    const sa_pass *p;      /* the forward pass: q, k, v, concat, lse */
    const float *d_o;      /* (n, P) dO = dY Wo^T: head h is columns
                            * [h*dh, (h+1)*dh) */
    const float *delta;    /* (H, n) rowsum(dO_h .* O_h), which is
                            * rowsum(dP_h .* P_h) (streaming path) */
    const float *weights;  /* (H, n, m) the forward's P (dense path) */
    float *dq;             /* (n, P) out: of Q after RoPE */
    float *dk, *dv;        /* (m, Pkv) out: summed over each group's heads */
    float *dbias;          /* like cfg->bias, zeroed, or NULL: out */
    sa_grads *steps;       /* per-head steps to fill (dense), or NULL */
} sa_backward;

/* The dense path: per head, every (n, m) matrix at once with cblas_sgemm
 * on cfg->threads threads.  SA_ERR_NOMEM if scratch memory runs out. */
sa_status sa_backward_dense(const sa_backward *bw, sa_error *err);

/* The streaming path (FlashAttention-2's backward): a unit of work owns
 * tiles of keys (or a kv head), recomputes their weights against every
 * tile of queries from p->lse and accumulates dK and dV of its keys and its
 * own dQ; the units' dQ are summed in order.  Which thread takes a unit
 * changes nothing, so the same threads give the same bits.  Memory
 * O(threads * n * P). */
sa_status sa_backward_stream(const sa_backward *bw, size_t threads,
                             sa_error *err);

#endif
