/* attention_dense.c — the materialised path: each head's whole (n, m)
 * score matrix, kept when the weights or the steps are printed; also for
 * a span of the queries (a rank of an MPI run).
 * Legend as in attention_internal.h. */
#include <math.h>
#include <string.h>

#include "attention_internal.h"

sa_status sa_attend_dense_rows(const sa_dense_rows *o, const sa_pass *p,
                               size_t r0, size_t i0, size_t rows,
                               sa_error *err)
{
    const sa_config *cfg = p->cfg;
    const size_t m = p->m, dh = p->dh, hs = o->head_stride;
    for (size_t h = 0; h < p->H; h++) {
        size_t g = sa_kv_head(p, h);
        float *a = o->weights + h * hs + r0 * m;              // (rows, m)
        const float *qh = p->q + r0 * p->P + h * dh;
        const float *kg = p->k + g * dh, *vg = p->v + g * dh;
        // S (rows, m) = scale * Q_h (rows, dh; NoTrans) @ K_g^T (dh, m;
        // Trans): head h is columns [h*dh, (h+1)*dh) of Q (row stride P),
        // kv head g columns [g*dh, (g+1)*dh) of K (row stride Pkv)
        sa_sgemm_rows(cfg->threads, CblasTrans, rows, m, dh, cfg->scale, qh,
                      p->P, kg, p->Pkv, 0.0f, a, m);
        // the raw scores: q.k before the scale or any term, for the steps
        if (o->raw_scores)
            sa_sgemm_rows(cfg->threads, CblasTrans, rows, m, dh, 1.0f, qh,
                          p->P, kg, p->Pkv, 0.0f, o->raw_scores + h * hs + r0 * m, m);
        if (!sa_scores_finite(a, rows, m, m, i0, 0, p))  // would pass for a mask
            return sa_fail(err, SA_ERR_DATA, 0, 0, "the scores overflow "
                           "float32; scale the input or weights down");
        sa_finish_scores(a, rows, m, m, i0, 0, h, p);
        if (o->scores)
            memcpy(o->scores + h * hs + r0 * m, a, rows * m * sizeof *a);
        for (size_t i = 0; i < rows; i++)
            if (!sa_softmax_row(a + i * m, m,
                                o->exp_scores ? o->exp_scores + h * hs + (r0 + i) * m : NULL,
                                o->rowsum ? o->rowsum + h * o->rowsum_stride + r0 + i : NULL)) {
                p->empty[r0 + i] = true;
                if (cfg->masked_rows_nan)
                    for (size_t j = 0; j < m; j++)
                        a[i * m + j] = NAN;
            }
        // O_h (rows, dh) = A (rows, m; NoTrans) @ V_g (m, dh; NoTrans),
        // written into columns [h*dh, (h+1)*dh) of concat (row stride P)
        sa_sgemm_rows(cfg->threads, CblasNoTrans, rows, dh, m, 1.0f, a, m, vg,
                      p->Pkv, 0.0f, p->concat + r0 * p->P + h * dh, p->P);
    }
    return SA_OK;
}

sa_status sa_attend_dense(sa_result *r, const sa_pass *p, sa_error *err)
{
    const sa_dense_rows o = {r->weights, r->raw_scores, r->scores,
                             r->exp_scores, p->n * p->m, r->rowsum, p->n};
    return sa_attend_dense_rows(&o, p, 0, 0, p->n, err);
}
