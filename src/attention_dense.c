/* attention_dense.c — the materialised path: each head's whole (n, m)
 * score matrix, kept when the weights or the steps are printed.
 * Legend as in attention_internal.h. */
#include <math.h>
#include <string.h>

#include "attention_internal.h"

sa_status sa_attend_dense(float *weights, float *scores, const sa_pass *p,
                          sa_error *err)
{
    const sa_config *cfg = p->cfg;
    size_t n = p->n, m = p->m, dh = p->dh, nm = n * m;
    for (size_t h = 0; h < p->H; h++) {
        size_t g = sa_kv_head(p, h);
        float *a = weights + h * nm;                          // (n, m)
        const float *qh = p->q + h * dh, *kg = p->k + g * dh, *vg = p->v + g * dh;
        // S (n, m) = scale * Q_h (n, dh; NoTrans) @ K_g^T (dh, m; Trans):
        // head h is columns [h*dh, (h+1)*dh) of Q (row stride P), kv head g
        // columns [g*dh, (g+1)*dh) of K (row stride Pkv)
        sa_sgemm_rows(cfg->threads, CblasTrans, n, m, dh, cfg->scale, qh, p->P,
                      kg, p->Pkv, 0.0f, a, m);
        if (!sa_scores_finite(a, n, m, m, 0, 0, p))  // would pass for a mask
            return sa_fail(err, SA_ERR_DATA, 0, 0, "the scores overflow "
                           "float32; scale the input or weights down");
        sa_finish_scores(a, n, m, m, 0, 0, h, p);
        if (scores)
            memcpy(scores + h * nm, a, nm * sizeof *a);
        for (size_t i = 0; i < n; i++)
            if (!sa_softmax_row(a + i * m, m)) {
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
