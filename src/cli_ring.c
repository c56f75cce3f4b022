/* cli_ring.c — ring attention (Liu et al., 2023) over MPI, the heart of
 * `mpirun -n P selfattn run`.  The sequence is cut into 2P chunks and rank
 * r holds chunks r and 2P-1-r (zig-zag), so that with --causal every rank
 * has as much work as any other.  Each rank projects its queries, keys
 * and values at their global positions, then passes its K and V block
 * round the ring with MPI_Isend/MPI_Irecv while it attends to the block
 * it holds (attention_span.c's online softmax, which the library keeps
 * free of MPI).  Reading, gathering and writing are cli_ring_io.c; with
 * the weights or steps printed, cli_ring_dense.c attends instead.
 * Legend as in attention_internal.h; P also counts ranks where it says so.
 */
#ifdef SELFATTN_MPI
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#include "cli_ring.h"

spans ring_spans(int rank, int ranks, size_t total)
{
    size_t chunks = 2 * (size_t)ranks, c[2] = {(size_t)rank,
                                               chunks - 1 - (size_t)rank};
    spans s = {0};
    for (int k = 0; k < 2; k++) {
        s.first[k] = c[k] * total / chunks;
        s.rows[k] = (c[k] + 1) * total / chunks - s.first[k];
        s.total += s.rows[k];
    }
    return s;
}

/* ---- the ring ------------------------------------------------------------ */

size_t ring_padded(size_t rows)
{
    return (rows + SA_BLOCK - 1) / SA_BLOCK * SA_BLOCK;
}

size_t ring_block_rows(const spans *k)
{
    return ring_padded(k->rows[0]) + ring_padded(k->rows[1]);
}

/* The key block of the key rows k into buf (zeroed): K (block_rows,
 * Pkv), then V, each run from a whole block, projected from rows
 * (k.total, width); blocked for the tile kernels when they apply (not
 * for the dense rows, which read every key row-major). */
static sa_status project_keys(float *buf, bool *blocked, const spans *k,
                              const float *rows, size_t width,
                              const sa_weights *wts, const sa_config *cfg,
                              sa_error *err)
{
    const bool may_block = !sa_config_dense(cfg);  // the dense rows read rows
    size_t Pkv = wts->d_kv, at = 0, row = 0, all = ring_block_rows(k);
    sa_status status = SA_OK;
    for (int s = 0; s < 2 && !status; s++) {
        status = sa_span_keys(buf + at * Pkv, buf + (all + at) * Pkv,
                              rows + row * width, k->rows[s], k->first[s],
                              width, wts, cfg, err);
        at += ring_padded(k->rows[s]);
        row += k->rows[s];
    }
    float *tmp;
    *blocked = may_block && sa_tile_kernels_usable(wts->d_proj / cfg->heads);
    if (status || !*blocked)
        return status;
    if (!(tmp = malloc(SA_BLOCK * Pkv * sizeof *tmp)))
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
    // each run blocked in place: the block travels blocked
    for (size_t s = 0, at0 = 0; s < 2; at0 += ring_padded(k->rows[s]), s++) {
        sa_block_keys(buf + at0 * Pkv, ring_padded(k->rows[s]), Pkv, tmp);
        sa_block_values(buf + (all + at0) * Pkv, ring_padded(k->rows[s]), Pkv, tmp);
    }
    free(tmp);
    return SA_OK;
}

/* Query rows taken at a time between two looks at the transfers. */
#define PROGRESS_ROWS 240

/* Takes the key block of rank owner (its K and V in kv) into st: every
 * pair of a query run and a key run, PROGRESS_ROWS queries at a time,
 * testing the transfers req (pending) in between: MPI moves a large
 * message on only inside MPI calls, and the next block must arrive while
 * this one is taken. */
static bool take_block(sa_online *st, const sa_pass *p, const spans *q,
                       const spans *k, const float *kv, MPI_Request *req,
                       int pending)
{
    size_t Pkv = p->Pkv, all = ring_block_rows(k);
    int done = 0;
    for (size_t a = 0, r0 = 0; a < 2; r0 += q->rows[a], a++)
        for (size_t at = 0; at < q->rows[a]; at += PROGRESS_ROWS) {
            size_t rows = q->rows[a] - at < PROGRESS_ROWS ? q->rows[a] - at
                                                          : PROGRESS_ROWS;
            for (size_t b = 0, c0 = 0; b < 2; c0 += ring_padded(k->rows[b]), b++)
                if (!sa_attend_span(st, p, r0 + at, q->first[a] + at, rows,
                                    kv + c0 * Pkv, kv + (all + c0) * Pkv,
                                    k->first[b], k->rows[b]))
                    return false;
            if (pending && !done)
                MPI_Testall(pending, req, &done, MPI_STATUSES_IGNORE);
        }
    return true;
}

/* Passes the key blocks round the ring, rank r sending to r + 1, while
 * attending to the one held: P - 1 exchanges.  A rank that failed keeps
 * passing blocks on, so that no other waits forever. */
static bool ring(sa_online *st, const sa_pass *p, const spans *q, float *bufs[2],
                 size_t cap, size_t m, const world *w, rank_stats *stats)
{
    bool ok = true;
    int right = (w->rank + 1) % w->ranks, left = (w->rank + w->ranks - 1) % w->ranks;
    MPI_Datatype row;  // counts in rows: a block may pass 2^31 floats
    MPI_Type_contiguous((int)p->Pkv, MPI_FLOAT, &row);
    MPI_Type_commit(&row);
    for (int step = 0; step < w->ranks; step++) {
        int owner = (w->rank - step + w->ranks) % w->ranks;
        spans k = ring_spans(owner, w->ranks, m);
        MPI_Request req[2];
        int pending = 0;
        if (step + 1 < w->ranks) {  // K and V: 2 block_rows rows of Pkv
            int rows = (int)(2 * ring_block_rows(&k));
            MPI_Irecv(bufs[1], (int)(2 * cap), row, left, step, MPI_COMM_WORLD,
                      &req[pending++]);
            MPI_Isend(bufs[0], rows, row, right, step, MPI_COMM_WORLD,
                      &req[pending++]);
            stats->bytes += (double)rows * (double)(p->Pkv * sizeof(float));
        }
        double start = sa_seconds();
        if (ok)
            ok = take_block(st, p, q, &k, bufs[0], req, pending);
        double computed = sa_seconds();
        MPI_Waitall(pending, req, MPI_STATUSES_IGNORE);
        stats->compute += computed - start;
        stats->wait += sa_seconds() - computed;
        float *t = bufs[0];
        bufs[0] = bufs[1];
        bufs[1] = t;
    }
    MPI_Type_free(&row);
    return ok;
}

/* The most rows of a key block any rank holds. */
static size_t most_rows(size_t m, int ranks)
{
    size_t most = 0;
    for (int r = 0; r < ranks; r++) {
        spans s = ring_spans(r, ranks, m);
        if (ring_block_rows(&s) > most)
            most = ring_block_rows(&s);
    }
    return most;
}

/* ring_project's work: SA_OK or the status, err saying why. */
static sa_status project_rows(float *q, float *kv, bool *blocked,
                              const rank_result *res, const run_session *s,
                              const sa_config *cfg, rank_input *in,
                              sa_error *err)
{
    const sa_weights *wts = &s->weights;
    const size_t d = in->d, P = wts->d_proj;
    const bool self = !s->o->context;
    const size_t width = self ? d : s->context.cols;
    sa_status status = SA_OK;
    // positions (global), Q of the queries, K and V of the keys this rank holds
    for (size_t k = 0, at = 0; !status && k < 2; at += res->q.rows[k], k++) {
        float *x = in->local + at * d;
        if (cfg->pos_sinusoidal)
            sa_sinusoidal_from(x, res->q.first[k], res->q.rows[k], d);
        status = sa_span_queries(q + at * P, x, res->q.rows[k], res->q.first[k],
                                 d, wts, cfg, err);
    }
    if (status)
        return status;
    const float *ctx = in->local;
    float *picked = NULL;
    if (!self) {  // the context's rows of this rank, together
        picked = malloc((res->k.total * width + 1) * sizeof *picked);
        for (int k = 0; picked && k < 2; k++)
            memcpy(picked + (k ? res->k.rows[0] * width : 0),
                   s->context.data + res->k.first[k] * width,
                   res->k.rows[k] * width * sizeof *picked);
        ctx = picked;
    }
    status = ctx ? project_keys(kv, blocked, &res->k, ctx, width, wts, cfg, err)
                 : sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
    free(picked);
    return status;
}

int ring_project(float *q, float *kv, bool *blocked, rank_result *res,
                 const run_session *s, const sa_config *cfg, rank_input *in,
                 sa_status status, sa_error *err)
{
    double start = sa_seconds();
    if (!status)
        status = project_rows(q, kv, blocked, res, s, cfg, in, err);
    free(in->local);  // projected: its memory goes to the attention
    in->local = NULL;
    res->stats.project = sa_seconds() - start;
    if (status)
        cli_fail(NULL, err);
    return mpi_agree(status ? cli_exit_code(status) : 0);
}

/* Every rank's two runs of rows between full (n, width) at rank 0 and
 * mine (q.total, width) at the rank: to rank 0 (gather) or from it. */
static void move_rows(float *full, float *mine, const spans *q, size_t n,
                      size_t width, bool gather, const world *w)
{
    MPI_Datatype row;  // counts in rows: an array may pass 2^31 floats
    MPI_Type_contiguous((int)width, MPI_FLOAT, &row);
    MPI_Type_commit(&row);
    for (int r = 0; r < w->ranks; r++) {
        spans s = ring_spans(r, w->ranks, n);
        for (int k = 0; k < 2; k++) {
            float *there = full + s.first[k] * width;
            float *here = mine + (k ? q->rows[0] * width : 0);
            int rows = (int)s.rows[k];
            if (!rows)
                continue;
            if (w->rank == 0 && r == 0)
                memcpy(gather ? there : here, gather ? here : there,
                       s.rows[k] * width * sizeof *full);
            else if (w->rank == 0 && gather)
                MPI_Recv(there, rows, row, r, k, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            else if (w->rank == 0)
                MPI_Send(there, rows, row, r, k, MPI_COMM_WORLD);
            else if (w->rank == r && gather)
                MPI_Send(here, rows, row, 0, k, MPI_COMM_WORLD);
            else if (w->rank == r)
                MPI_Recv(here, rows, row, 0, k, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        }
    }
    MPI_Type_free(&row);
}

void ring_gather_rows(float *full, const float *mine, const spans *q,
                      size_t n, size_t width, const world *w)
{
    move_rows(full, (float *)mine, q, n, width, true, w);  // mine only read
}

void ring_scatter_rows(float *mine, const float *full, const spans *q,
                       size_t n, size_t width, const world *w)
{
    move_rows((float *)full, mine, q, n, width, false, w);  // full only read
}

void rank_result_free(rank_result *res)
{
    free(res->out);
    free(res->empty);
    free(res->weights);
    free(res->raw_scores);
    free(res->scores);
    free(res->exp_scores);
    free(res->rowsum);
    free(res->q_rows);
    free(res->concat);
    free(res->k_all);
    free(res->v_all);
    memset(res, 0, sizeof *res);
}

/* ---- ring_attend ---------------------------------------------------------- */

int ring_attend(rank_result *res, const run_session *s,
                const run_output *out, rank_input *in, const world *w)
{
    const run_options *o = s->o;
    const sa_weights *wts = &s->weights;
    sa_config cfg = out->config;
    const size_t n = in->n, H = cfg.heads;
    const size_t G = cfg.kv_heads ? cfg.kv_heads : H, P = wts->d_proj;
    const size_t dh = P / H, Pkv = wts->d_kv;
    const size_t m = o->context ? s->context.rows : n;
    sa_error err;
    sa_status status = SA_OK;
    cfg.scale = sa_config_scale(&cfg, dh);
    res->q = ring_spans(w->rank, w->ranks, n);
    res->k = ring_spans(w->rank, w->ranks, m);
    size_t cap = most_rows(m, w->ranks), rows = res->q.total;
    float *q = malloc((rows * P + 1) * sizeof *q);
    float *slopes = malloc(H * sizeof *slopes);
    float *bufs[2] = {calloc(2 * cap * Pkv + 1, sizeof(float)),
                      calloc(2 * cap * Pkv + 1, sizeof(float))};
    bool blocked = false;
    res->empty = calloc(rows + 1, sizeof *res->empty);
    sa_online st = {0};
    if (!q || !slopes || !bufs[0] || !bufs[1] || !res->empty ||
        sa_online_new(&st, rows, P, H, &err))
        status = sa_fail(&err, SA_ERR_NOMEM, 0, 0, "out of memory for this "
                         "rank's %zu rows", rows);
    int code = ring_project(q, bufs[0], &blocked, res, s, &cfg, in, status, &err);
    if (!code) {
        sa_alibi_slopes(slopes, H);
        sa_pass pass = {&cfg, n, m, H, G, dh, P, Pkv, q, NULL, NULL, blocked,
                        slopes, NULL, NULL, NULL};
        int blas = openblas_get_num_threads();
        if (blas != 1)  // tiles are small: one BLAS thread per product
            openblas_set_num_threads(1);
        bool ok = ring(&st, &pass, &res->q, bufs, cap, m, w, &res->stats);
        if (blas != 1)
            openblas_set_num_threads(blas);
        free(bufs[0]);
        free(bufs[1]);
        free(q);
        bufs[0] = bufs[1] = q = NULL;
        if (!ok)
            status = sa_fail(&err, SA_ERR_DATA, 0, 0, "the scores overflow "
                             "float32; scale the input or weights down");
        else if (!(status = sa_online_finish(res->empty, &st, &pass, &err)) &&
                 !(res->out = malloc((rows * wts->d_out + 1) * sizeof *res->out)))
            status = sa_fail(&err, SA_ERR_NOMEM, 0, 0, "out of memory for this "
                             "rank's %zu rows of output", rows);
        else if (!status)
            sa_span_output(res->out, st.acc, rows, wts, cfg.threads);
        if (status)
            cli_fail(NULL, &err);
        code = mpi_agree(status ? cli_exit_code(status) : 0);
    }
    sa_online_free(&st);
    free(q);
    free(slopes);
    free(bufs[0]);
    free(bufs[1]);
    return code;
}
#endif
