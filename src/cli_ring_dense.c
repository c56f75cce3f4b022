/* cli_ring_dense.c — `mpirun -n P selfattn run` with the weights or steps
 * printed: every rank gathers every key's K and V, takes its query rows
 * over them on the dense path (attention_dense.c's sa_attend_dense_rows),
 * and rank 0 gathers the rows of the weights and steps into the result
 * one process keeps.  Legend as in attention_internal.h.
 */
#ifdef SELFATTN_MPI
#include <limits.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#include "cli_ring.h"

/* Every key's K and V (m, Pkv) into k_all and v_all at every rank: each
 * rank's runs of its key block kv (K then V, each run from a whole block,
 * row-major) in their global rows.  counts (2 ranks) is scratch. */
static void gather_keys(float *k_all, float *v_all, const float *kv,
                        const spans *k, size_t m, size_t Pkv, int *counts,
                        const world *w)
{
    MPI_Datatype row;
    MPI_Type_contiguous((int)Pkv, MPI_FLOAT, &row);
    MPI_Type_commit(&row);
    int *starts = counts + w->ranks;
    size_t all = ring_block_rows(k);
    for (size_t s = 0, at = 0; s < 2; at += ring_padded(k->rows[s]), s++) {
        for (int r = 0; r < w->ranks; r++) {
            spans o = ring_spans(r, w->ranks, m);
            counts[r] = (int)o.rows[s];  // ring_attend_dense checked m <= INT_MAX
            starts[r] = (int)o.first[s];
        }
        MPI_Allgatherv(kv + at * Pkv, (int)k->rows[s], row, k_all, counts,
                       starts, row, MPI_COMM_WORLD);
        MPI_Allgatherv(kv + (all + at) * Pkv, (int)k->rows[s], row, v_all,
                       counts, starts, row, MPI_COMM_WORLD);
    }
    MPI_Type_free(&row);
}

/* SA_OK if every output row of res (rows, d_out) is finite but those
 * masked_rows_nan empties, as one process checks. */
static sa_status check_output(const rank_result *res, size_t d_out,
                              const sa_config *cfg, sa_error *err)
{
    for (size_t a = 0, r0 = 0; a < 2; r0 += res->q.rows[a], a++)
        for (size_t i = 0; i < res->q.rows[a]; i++) {
            size_t r = r0 + i;
            if (!sa_all_finite(res->out + r * d_out, d_out) &&
                !(cfg->masked_rows_nan && res->empty[r]))
                return sa_fail(err, SA_ERR_DATA, 0, 0, "the result overflows "
                               "float32 in query row %zu (counting from 0); "
                               "scale the input or weights down",
                               res->q.first[a] + i);
        }
    return SA_OK;
}

/* The arrays of res for the dense rows of rows queries over m keys (the
 * weights, Q, concat, every key's K and V, the output; with steps the
 * raw scores, scores, exponentials and row sums too), and the rank's K
 * and V block into *kv: false if memory ran out. */
static bool dense_arrays(rank_result *res, float **kv, size_t rows, size_t m,
                         const sa_weights *wts, size_t H, bool steps)
{
    size_t cells = H * rows * m + 1, P = wts->d_proj, Pkv = wts->d_kv;
    *kv = calloc(2 * ring_block_rows(&res->k) * Pkv + 1, sizeof **kv);
    res->empty = calloc(rows + 1, sizeof *res->empty);
    res->out = malloc((rows * wts->d_out + 1) * sizeof *res->out);
    res->weights = malloc(cells * sizeof(float));
    res->q_rows = malloc((rows * P + 1) * sizeof(float));
    res->concat = malloc((rows * P + 1) * sizeof(float));
    res->k_all = malloc((m * Pkv + 1) * sizeof(float));
    res->v_all = malloc((m * Pkv + 1) * sizeof(float));
    bool ok = *kv && res->empty && res->out && res->weights && res->q_rows &&
              res->concat && res->k_all && res->v_all;
    if (steps) {
        res->raw_scores = malloc(cells * sizeof(float));
        res->scores = malloc(cells * sizeof(float));
        res->exp_scores = malloc(cells * sizeof(float));
        res->rowsum = malloc((H * rows + 1) * sizeof(float));
        ok = ok && res->raw_scores && res->scores && res->exp_scores && res->rowsum;
    }
    return ok;
}

int ring_attend_dense(rank_result *res, const run_session *s,
                        const run_output *out, rank_input *in, const world *w)
{
    const sa_weights *wts = &s->weights;
    sa_config cfg = out->config;
    const size_t n = in->n, H = cfg.heads, G = cfg.kv_heads ? cfg.kv_heads : H;
    const size_t P = wts->d_proj, dh = P / H, Pkv = wts->d_kv;
    const size_t m = s->o->context ? s->context.rows : n;
    sa_error err;
    sa_status status = SA_OK;
    cfg.scale = sa_config_scale(&cfg, dh);
    res->q = ring_spans(w->rank, w->ranks, n);
    res->k = ring_spans(w->rank, w->ranks, m);
    size_t rows = res->q.total;
    float *kv = NULL, *slopes = malloc(H * sizeof *slopes);
    int *counts = malloc(2 * (size_t)w->ranks * sizeof *counts);
    bool blocked;
    if (m > INT_MAX)  // rows counted in an int by MPI
        status = sa_fail(&err, SA_ERR_NOMEM, 0, 0, "%zu keys are too many to "
                         "gather for the weights", m);
    else if (!dense_arrays(res, &kv, rows, m, wts, H, cfg.keep_steps) ||
             !slopes || !counts)
        status = sa_fail(&err, SA_ERR_NOMEM, 0, 0, "out of memory for this "
                         "rank's %zu rows of weights", rows);
    int code = ring_project(res->q_rows, kv, &blocked, res, s, &cfg, in,
                            status, &err);
    if (!code) {
        double start = sa_seconds();
        gather_keys(res->k_all, res->v_all, kv, &res->k, m, Pkv, counts, w);
        res->stats.bytes = 2.0 * (double)(res->k.total * Pkv * sizeof(float)) *
                           (double)(w->ranks - 1);
        double gathered = sa_seconds();
        res->stats.wait = gathered - start;
        sa_alibi_slopes(slopes, H);
        sa_pass pass = {&cfg, n, m, H, G, dh, P, Pkv, res->q_rows, res->k_all,
                        res->v_all, false, slopes, res->concat, res->empty, NULL};
        sa_dense_rows d = {res->weights, res->raw_scores, res->scores,
                           res->exp_scores, rows * m, res->rowsum, rows};
        for (size_t a = 0, r0 = 0; a < 2 && !status; r0 += res->q.rows[a], a++)
            status = sa_attend_dense_rows(&d, &pass, r0, res->q.first[a],
                                          res->q.rows[a], &err);
        if (!status) {
            sa_span_output(res->out, res->concat, rows, wts, cfg.threads);
            status = check_output(res, wts->d_out, &cfg, &err);
        }
        res->stats.compute = sa_seconds() - gathered;
        if (status)
            cli_fail(NULL, &err);
        code = mpi_agree(status ? cli_exit_code(status) : 0);
    }
    free(kv);
    free(slopes);
    free(counts);
    return code;
}

/* Columns [first, first + dh) of src (rows, ld) into dst (rows, dh). */
static void copy_head(float *dst, const float *src, size_t rows, size_t dh,
                      size_t ld, size_t first)
{
    for (size_t i = 0; i < rows; i++)
        memcpy(dst + i * dh, src + i * ld + first, dh * sizeof *dst);
}

/* The steps of r that are per-head copies of Q, K, V and concat, at rank
 * 0, from the gathered q (n, P) and concat (r->concat) and every key. */
static void split_heads(sa_result *r, const float *q, const rank_result *res,
                        size_t G)
{
    size_t n = r->n, m = r->m, H = r->heads, dh = r->d_head, P = H * dh;
    for (size_t h = 0; h < H; h++) {
        size_t g = h / (H / G);
        copy_head(r->q + h * n * dh, q, n, dh, P, h * dh);
        copy_head(r->k + h * m * dh, res->k_all, m, dh, G * dh, g * dh);
        copy_head(r->v + h * m * dh, res->v_all, m, dh, G * dh, g * dh);
        copy_head(r->head_output + h * n * dh, r->concat, n, dh, P, h * dh);
    }
}

int ring_gather_dense(run_output *out, const rank_result *res,
                        const run_options *o, const world *w)
{
    sa_result *r = &out->result;
    size_t n = r->n, m = r->m, H = r->heads, dh = r->d_head, P = H * dh;
    size_t rows = res->q.total, G = o->kv_heads ? o->kv_heads : H;
    bool steps = res->rowsum != NULL, ok = true;
    float *q = NULL;
    if (w->rank == 0) {
        ok = (r->weights = malloc(H * n * m * sizeof(float))) != NULL;
        if (ok && steps) {
            r->raw_scores = malloc(H * n * m * sizeof(float));
            r->scores = malloc(H * n * m * sizeof(float));
            r->exp_scores = malloc(H * n * m * sizeof(float));
            r->rowsum = malloc(H * n * sizeof(float));
            r->q = malloc(H * n * dh * sizeof(float));
            r->k = malloc(H * m * dh * sizeof(float));
            r->v = malloc(H * m * dh * sizeof(float));
            r->head_output = malloc(H * n * dh * sizeof(float));
            r->concat = malloc(n * P * sizeof(float));
            q = malloc(n * P * sizeof *q);
            ok = r->raw_scores && r->scores && r->exp_scores && r->rowsum &&
                 r->q && r->k && r->v && r->head_output && r->concat && q;
        }
        if (ok && o->average_heads)
            ok = (out->average = malloc(n * m * sizeof *out->average)) != NULL;
    }
    int code = mpi_agree(ok ? 0 : cli_error(EX_OSERR, "out of memory for "
                                            "the weights at rank 0"));
    if (code) {
        free(q);
        return code;
    }
    for (size_t h = 0; h < H; h++) {
        size_t all = h * n * m, mine = h * rows * m;
        ring_gather_rows(r->weights + all, res->weights + mine, &res->q, n, m, w);
        if (!steps)
            continue;
        ring_gather_rows(r->raw_scores + all, res->raw_scores + mine, &res->q, n, m, w);
        ring_gather_rows(r->scores + all, res->scores + mine, &res->q, n, m, w);
        ring_gather_rows(r->exp_scores + all, res->exp_scores + mine, &res->q, n, m, w);
        ring_gather_rows(r->rowsum + h * n, res->rowsum + h * rows, &res->q, n, 1, w);
    }
    if (steps) {
        ring_gather_rows(q, res->q_rows, &res->q, n, P, w);
        ring_gather_rows(r->concat, res->concat, &res->q, n, P, w);
        if (w->rank == 0)
            split_heads(r, q, res, G);
    }
    if (w->rank == 0 && o->average_heads)
        sa_average_heads(out->average, r->weights, H, n, m);
    free(q);
    return 0;
}
#endif
