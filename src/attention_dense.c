/* attention_dense.c — the materialised path: each head's whole (n, m)
 * score matrix, kept when the weights or the steps are printed.
 * Legend as in attention_internal.h. */
#include <math.h>
#include <string.h>

#include "attention_internal.h"

/* The raw scores R (n, m) = Q_h (n, dh; NoTrans) @ K_g^T (dh, m; Trans),
 * without the scale: the steps show q.k before anything is done to it. */
static void raw_scores(float *raw, const float *qh, const float *kg,
                       const sa_pass *p)
{
    sa_sgemm_rows(p->cfg->threads, CblasTrans, p->n, p->m, p->dh, 1.0f, qh,
                  p->P, kg, p->Pkv, 0.0f, raw, p->m);
}

sa_status sa_attend_dense(sa_result *r, const sa_pass *p, sa_error *err)
{
    const sa_config *cfg = p->cfg;
    size_t n = p->n, m = p->m, dh = p->dh, nm = n * m;
    for (size_t h = 0; h < p->H; h++) {
        size_t g = sa_kv_head(p, h);
        float *a = r->weights + h * nm;                       // (n, m)
        const float *qh = p->q + h * dh, *kg = p->k + g * dh, *vg = p->v + g * dh;
        // S (n, m) = scale * Q_h (n, dh; NoTrans) @ K_g^T (dh, m; Trans):
        // head h is columns [h*dh, (h+1)*dh) of Q (row stride P), kv head g
        // columns [g*dh, (g+1)*dh) of K (row stride Pkv)
        sa_sgemm_rows(cfg->threads, CblasTrans, n, m, dh, cfg->scale, qh, p->P,
                      kg, p->Pkv, 0.0f, a, m);
        if (r->raw_scores)
            raw_scores(r->raw_scores + h * nm, qh, kg, p);
        if (!sa_scores_finite(a, n, m, m, 0, 0, p))  // would pass for a mask
            return sa_fail(err, SA_ERR_DATA, 0, 0, "the scores overflow "
                           "float32; scale the input or weights down");
        sa_finish_scores(a, n, m, m, 0, 0, h, p);
        if (r->scores)
            memcpy(r->scores + h * nm, a, nm * sizeof *a);
        for (size_t i = 0; i < n; i++)
            if (!sa_softmax_row(a + i * m, m,
                                r->exp_scores ? r->exp_scores + h * nm + i * m : NULL,
                                r->rowsum ? r->rowsum + h * n + i : NULL)) {
                p->empty[i] = true;
                if (cfg->masked_rows_nan)
                    for (size_t j = 0; j < m; j++)
                        a[i * m + j] = NAN;
            }
        // O_h (n, dh) = A (n, m; NoTrans) @ V_g (m, dh; NoTrans), written
        // into columns [h*dh, (h+1)*dh) of concat (row stride P)
        sa_sgemm_rows(cfg->threads, CblasNoTrans, n, dh, m, 1.0f, a, m, vg,
                      p->Pkv, 0.0f, p->concat + h * dh, p->P);
    }
    return SA_OK;
}
