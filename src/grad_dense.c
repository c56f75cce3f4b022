/* grad_dense.c — the backward pass of the materialised path: each head's
 * whole (n, m) matrices, from the weights the forward pass kept, kept in
 * turn when the gradient's steps are printed.  Per head h, kv head g:
 *   dP = dO_h V_g^T,  dS = P .* (dP - rowsum(dP .* P)),  dR = dS (or
 *   dS .* (1 - tanh^2(r/C)) with a softcap),  dQ_h = scale dR K_g,
 *   dK_g += scale dR^T Q_h,  dV_g += P^T dO_h.
 * Legend as in grad_internal.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "grad_internal.h"

/* Scratch of one head, or the steps' own matrices where they are kept. */
typedef struct {
    float *dp, *ds;      /* (n, m) */
    float *dr;           /* (n, m) with a softcap, else ds */
    float *dk, *dv;      /* (m, dh) head h's parts */
    float *owned;        /* what was allocated here */
} head_scratch;

/* dS (n, m) = P .* (dP - rowsum(dP .* P)) row by row, summed in double;
 * rows with no visible key are zero. */
static void softmax_backward(float *ds, const float *dp, const float *a,
                             const bool *empty, size_t n, size_t m)
{
    for (size_t i = 0; i < n; i++) {
        const float *dp_row = dp + i * m, *a_row = a + i * m;
        float *ds_row = ds + i * m;
        if (empty[i]) {
            memset(ds_row, 0, m * sizeof *ds_row);
            continue;
        }
        double dot = 0.0;
        for (size_t j = 0; j < m; j++)
            dot += (double)dp_row[j] * a_row[j];
        float delta = (float)dot;
        for (size_t j = 0; j < m; j++)
            ds_row[j] = a_row[j] * (dp_row[j] - delta);
    }
}

/* dR (n, m) = dS .* (1 - tanh^2(r / C)) for the raw scores r = scale Q_h
 * K_g^T, recomputed as the forward pass computed them (the same product,
 * the same tanhf), into dr. */
static void softcap_backward(float *dr, const float *ds, const sa_pass *p,
                             size_t h, size_t g)
{
    const sa_config *cfg = p->cfg;
    size_t n = p->n, m = p->m;
    // R (n, m) = scale * Q_h (n, dh; NoTrans) @ K_g^T (dh, m; Trans)
    sa_sgemm_rows(cfg->threads, CblasTrans, n, m, p->dh, cfg->scale,
                  p->q + h * p->dh, p->P, p->k + g * p->dh, p->Pkv, 0.0f, dr, m);
    for (size_t i = 0; i < n * m; i++) {
        float t = tanhf(dr[i] / cfg->softcap);
        dr[i] = ds[i] * (1.0f - t * t);
    }
}

/* Adds (or, for a group's first head, copies) part (m, dh) into columns
 * [g*dh, (g+1)*dh) of dst (m, Pkv). */
static void add_part(float *dst, const float *part, size_t m, size_t dh,
                     size_t Pkv, size_t g, bool first)
{
    for (size_t j = 0; j < m; j++)
        for (size_t t = 0; t < dh; t++) {
            float *at = dst + j * Pkv + g * dh + t;
            *at = first ? part[j * dh + t] : *at + part[j * dh + t];
        }
}

/* The scratch of a head: the steps' matrices of head h where they are
 * kept, else memory of its own. */
static bool scratch_for(head_scratch *s, const sa_backward *bw, size_t h,
                        bool first)
{
    const sa_pass *p = bw->p;
    size_t nm = p->n * p->m, mdh = p->m * p->dh;
    bool softcap = p->cfg->softcap > 0;
    if (first) {
        size_t floats = (bw->steps ? 0 : 2 * nm + 2 * mdh) + (softcap ? nm : 0);
        s->owned = floats ? malloc(floats * sizeof(float)) : NULL;
        if (floats && !s->owned)
            return false;
    }
    float *at = s->owned;
    if (bw->steps) {
        s->dp = bw->steps->dp + h * nm;
        s->ds = bw->steps->ds + h * nm;
        s->dk = bw->steps->dk + h * mdh;
        s->dv = bw->steps->dv + h * mdh;
    } else {
        s->dp = at;
        s->ds = at + nm;
        s->dk = at + 2 * nm;
        s->dv = at + 2 * nm + mdh;
        at += 2 * nm + 2 * mdh;
    }
    s->dr = softcap ? at : s->ds;
    return true;
}

/* Copies columns [h*dh, (h+1)*dh) of src (rows, P) into dst (rows, dh). */
static void copy_head(float *dst, const float *src, size_t rows, size_t dh,
                      size_t P, size_t h)
{
    for (size_t i = 0; i < rows; i++)
        memcpy(dst + i * dh, src + i * P + h * dh, dh * sizeof *dst);
}

sa_status sa_backward_dense(const sa_backward *bw, sa_error *err)
{
    const sa_pass *p = bw->p;
    const sa_config *cfg = p->cfg;
    const size_t n = p->n, m = p->m, dh = p->dh, nm = n * m, t = cfg->threads;
    head_scratch s = {0};
    for (size_t h = 0; h < p->H; h++) {
        size_t g = sa_kv_head(p, h);
        const float *a = bw->weights + h * nm;                   // (n, m)
        const float *d_oh = bw->d_o + h * dh, *qh = p->q + h * dh;
        const float *kg = p->k + g * dh, *vg = p->v + g * dh;
        if (!scratch_for(&s, bw, h, h == 0))
            return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory for the "
                           "gradients of %zu x %zu attention", n, m);
        // dP (n, m) = dO_h (n, dh; NoTrans, row stride P) @ V_g^T (Trans)
        sa_sgemm_rows(t, CblasTrans, n, m, dh, 1.0f, d_oh, p->P, vg, p->Pkv,
                      0.0f, s.dp, m);
        softmax_backward(s.ds, s.dp, a, p->empty, n, m);
        if (bw->dbias) {  // the bias is added to S: its gradient is dS
            float *db = bw->dbias + (cfg->bias_per_head ? h * nm : 0);
            for (size_t i = 0; i < nm; i++)
                db[i] = cfg->bias_per_head || h == 0 ? s.ds[i] : db[i] + s.ds[i];
        }
        if (cfg->softcap > 0)
            softcap_backward(s.dr, s.ds, p, h, g);
        // dQ_h (n, dh) = scale * dR (n, m; NoTrans) @ K_g (m, dh; NoTrans),
        // into columns [h*dh, (h+1)*dh) of dq (row stride P)
        sa_sgemm_rows(t, CblasNoTrans, n, dh, m, cfg->scale, s.dr, m, kg,
                      p->Pkv, 0.0f, bw->dq + h * dh, p->P);
        // head h's part of dK_g (m, dh) = scale * dR^T (Trans) @ Q_h (NoTrans)
        sa_sgemm_split(t, CblasTrans, CblasNoTrans, m, dh, n, cfg->scale, s.dr,
                       m, qh, p->P, 0.0f, s.dk, dh);
        // and of dV_g (m, dh) = P^T (m, n; Trans) @ dO_h (n, dh; NoTrans)
        sa_sgemm_split(t, CblasTrans, CblasNoTrans, m, dh, n, 1.0f, a, m, d_oh,
                       p->P, 0.0f, s.dv, dh);
        bool first = h % (p->H / p->G) == 0;
        add_part(bw->dk, s.dk, m, dh, p->Pkv, g, first);
        add_part(bw->dv, s.dv, m, dh, p->Pkv, g, first);
        if (bw->steps) {
            copy_head(bw->steps->d_out + h * n * dh, bw->d_o, n, dh, p->P, h);
            copy_head(bw->steps->dq + h * n * dh, bw->dq, n, dh, p->P, h);
        }
    }
    free(s.owned);
    return SA_OK;
}
