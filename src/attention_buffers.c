/* attention_buffers.c — the memory of one forward pass, planned apart from
 * the math (attention.c): K, V and Q in one block, the heads' outputs
 * (concat) only where the dense path keeps them, and the result's arrays.
 * On the streaming path each query tile's output replaces its Q, and the
 * output goes where K and V were when it fits there: memory a process has
 * not touched before is slow to touch (alloc.c).  Legend as in
 * attention_internal.h. */
#include <stdlib.h>
#include <string.h>

#include "attention_internal.h"

void sa_result_free(sa_result *r)
{
    free(r->output);
    free(r->weights);
    free(r->q);
    free(r->k);
    free(r->v);
    free(r->scores);
    free(r->raw_scores);
    free(r->exp_scores);
    free(r->rowsum);
    free(r->head_output);
    free(r->concat);
    free(r->empty_rows);
    memset(r, 0, sizeof *r);
}

void sa_buffers_free(sa_buffers *b)
{
    free(b->block);
    free(b->x_pos);
    free(b->slopes);
    free(b->empty);
    free(b->lse);
    memset(b, 0, sizeof *b);
}

sa_status sa_buffers_new(sa_buffers *b, sa_result *r, size_t n, size_t m,
                         size_t d, size_t P, size_t Pkv, size_t d_out,
                         const sa_config *cfg, bool backward, sa_error *err)
{
    const size_t H = cfg->heads, dh = P / H, nm = n * m;
    const bool keep_all = sa_config_dense(cfg);
    size_t m16 = (m + SA_BLOCK - 1) / SA_BLOCK * SA_BLOCK;
    size_t concat_len = keep_all || backward ? n * P : 0;

    memset(b, 0, sizeof *b);
    double floats = 2.0 * (double)m16 * (double)Pkv + (double)n * (double)P * (keep_all ? 2 : 1)
        + (double)n * (double)d_out + (keep_all ? (double)H * (double)nm : 0)
        + (cfg->keep_steps ? (double)H * (3.0 * (double)nm + (double)n + (double)(2 * n + 2 * m) * (double)dh) + (double)n * (double)P : 0)
        + (cfg->pos_sinusoidal ? (double)n * (double)d : 0);
    char what[96];
    snprintf(what, sizeof what, "%zu x %zu attention with %zu heads", n, m, H);
    sa_status status = sa_check_need(floats * sizeof(float), what, err);
    if (status)
        return status;
    // block: K and V (m16, Pkv), Q (n, P), concat (n, P) when kept
    b->out_in_block = n * d_out <= 2 * m16 * Pkv && !backward;
    b->block = sa_alloc_large((2 * m16 * Pkv + n * P + concat_len) * sizeof(float));
    if (!b->out_in_block)
        r->output = sa_alloc_large(n * d_out * sizeof(float));
    b->empty = calloc(n, sizeof *b->empty);
    b->slopes = malloc(H * sizeof *b->slopes);
    if (keep_all)
        r->weights = sa_alloc_large(H * nm * sizeof(float));
    if (cfg->keep_steps) {
        r->scores = sa_alloc_large(H * nm * sizeof(float));
        r->q = malloc(H * n * dh * sizeof(float));
        r->k = malloc(H * m * dh * sizeof(float));
        r->v = malloc(H * m * dh * sizeof(float));
        r->raw_scores = sa_alloc_large(H * nm * sizeof(float));
        r->exp_scores = sa_alloc_large(H * nm * sizeof(float));
        r->rowsum = malloc(H * n * sizeof(float));
        r->head_output = malloc(H * n * dh * sizeof(float));
        r->concat = malloc(n * P * sizeof(float));
    }
    if (cfg->pos_sinusoidal)
        b->x_pos = malloc(n * d * sizeof(float));
    if (backward && !keep_all)
        b->lse = malloc(H * n * sizeof(float));
    if ((backward && !keep_all && !b->lse) || !b->block || (!b->out_in_block && !r->output) || !b->empty || !b->slopes ||
        (keep_all && !r->weights) ||
        (cfg->keep_steps && (!r->scores || !r->q || !r->k || !r->v ||
                             !r->raw_scores || !r->exp_scores || !r->rowsum ||
                             !r->head_output || !r->concat)) ||
        (cfg->pos_sinusoidal && !b->x_pos)) {
        sa_buffers_free(b);
        sa_result_free(r);
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory for %zu x %zu "
                       "attention with %zu heads", n, m, H);
    }
    b->k = b->block;
    b->v = b->k + m16 * Pkv;
    b->q = b->v + m16 * Pkv;
    b->concat = concat_len ? b->q + n * P : b->q;
    // the rows past m are padding that the blocked kernels read as zeros
    memset(b->k + m * Pkv, 0, (m16 - m) * Pkv * sizeof(float));
    memset(b->v + m * Pkv, 0, (m16 - m) * Pkv * sizeof(float));
    return SA_OK;
}
