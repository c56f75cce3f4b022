/* grad_stream.c — the backward pass of the streaming path, FlashAttention-2's
 * (Dao 2023, algorithm 2): no (n, m) matrix exists.  A work item is a tile
 * of keys [j0, j0 + Bk); for each kv head g, each of its query heads h and
 * each tile of queries [i0, i0 + Bq) that can see some of those keys, it
 * recomputes the scores S, the weights P = exp(S - lse) from the log-sum-exp
 * the forward pass saved, and
 *   dV_g += P^T dO_h,  dP = dO_h V_g^T,  dS = P .* (dP - delta_h),
 *   dR = dS (.* (1 - tanh^2(r/C)) with a softcap),
 *   dQ_h += scale dR K_g,  dK_g += scale dR^T Q_h
 * with delta_h = rowsum(dO_h .* O_h) (= rowsum(dP .* P)).  An item owns its
 * keys' rows of dK, dV and its columns of the bias's gradient, so no two
 * threads write the same number.  dQ is a sum over tiles of keys: the
 * tiles are cut into chunks of consecutive tiles, a fixed number for the
 * number of threads T (4T, or as many as there are tiles), each adding into
 * a (n, P) array of its own (the first into dq itself), summed in the
 * chunks' order at the end.  When the kv heads share out evenly over the
 * threads (and no bias shared by the heads adds them up), a unit of work is
 * a kv head instead, all its tiles of keys, and owns its heads' columns of
 * dQ.  Threads take the units as they come free (a busy core slows one
 * thread only), and a unit's numbers do not depend on which thread takes
 * it, so the same T gives the same bits.  The tile products are
 * single-threaded cblas_sgemm calls.
 * Legend as in grad_internal.h; Bq = TILE_Q, Bk = TILE_K. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "grad_internal.h"

/* Measured (docs/performance.md): 256 keys a tile make grad 12% faster
 * than 128 at n 16384, d 64 (each OpenBLAS product packs its operands:
 * longer products pack less often); 256 or 512 queries gained nothing. */
#define TILE_Q 128
#define TILE_K 256

/* How the work is cut into units. */
typedef struct {
    size_t units;          /* kv heads, or chunks of tiles of keys */
    bool by_group;         /* units are kv heads */
    size_t per_chunk;      /* tiles of keys per chunk */
    float *dq_more;        /* (units - 1, n, P) the chunks' dQ but the first's */
} plan;

/* One thread's work and scratch. */
typedef struct {
    const sa_backward *bw;
    const plan *plan;
    atomic_size_t *next;   /* the next unit to take */
    float *dq;             /* (n, P) the current unit's dQ */
    float *s;              /* (Bq, Bk) scores, then weights P */
    float *ds;             /* (Bq, Bk) dP, then dS, then dR */
    float *raw;            /* (Bq, Bk) raw scores, with a softcap */
} worker;

/* P (rows, cols; row stride Bk) = exp(S - lse) for queries from i0 of head
 * h: a query that sees no key (lse -inf) has zero weights. */
static void weights_from_lse(float *s, size_t rows, size_t cols, size_t i0,
                             size_t h, const sa_pass *p)
{
    for (size_t r = 0; r < rows; r++) {
        float lse = p->lse[h * p->n + i0 + r];
        if (lse == -INFINITY)
            memset(s + r * TILE_K, 0, cols * sizeof *s);
        else
            sa_exp_shifted(s + r * TILE_K, cols, lse);
    }
}

/* dS (rows, cols) = P .* (dP - delta) in ds; then the bias's gradient, and
 * dR = dS .* (1 - tanh^2(raw / C)) with a softcap. */
static void scores_backward(worker *w, size_t rows, size_t cols, size_t i0,
                            size_t j0, size_t h)
{
    const sa_backward *bw = w->bw;
    const sa_pass *p = bw->p;
    const sa_config *cfg = p->cfg;
    const float *delta = bw->delta + h * p->n + i0;
    for (size_t r = 0; r < rows; r++) {
        float *restrict ds = w->ds + r * TILE_K;
        const float *restrict pr = w->s + r * TILE_K;
        const float dr = delta[r];
        for (size_t c = 0; c < cols; c++)
            ds[c] = pr[c] * (ds[c] - dr);
    }
    if (bw->dbias) {  // keys [j0, j0 + cols) are this item's alone
        float *db = bw->dbias + (cfg->bias_per_head ? h * p->n * p->m : 0);
        bool add = !cfg->bias_per_head && h > 0;
        for (size_t r = 0; r < rows; r++) {
            float *row = db + (i0 + r) * p->m + j0;
            for (size_t c = 0; c < cols; c++)
                row[c] = add ? row[c] + w->ds[r * TILE_K + c] : w->ds[r * TILE_K + c];
        }
    }
    if (cfg->softcap > 0)
        for (size_t r = 0; r < rows; r++)
            for (size_t c = 0; c < cols; c++) {
                float t = tanhf(w->raw[r * TILE_K + c] / cfg->softcap);
                w->ds[r * TILE_K + c] *= 1.0f - t * t;
            }
}

/* Query tile [i0, i0 + rows) of head h (kv head g) against key tile [j0,
 * j0 + cols). */
static void tile_backward(worker *w, size_t h, size_t g, size_t i0,
                          size_t rows, size_t j0, size_t cols)
{
    const sa_backward *bw = w->bw;
    const sa_pass *p = bw->p;
    const sa_config *cfg = p->cfg;
    const size_t dh = p->dh, P = p->P, Pkv = p->Pkv;
    const float *qh = p->q + i0 * P + h * dh, *d_oh = bw->d_o + i0 * P + h * dh;
    const float *kg = p->k + j0 * Pkv + g * dh, *vg = p->v + j0 * Pkv + g * dh;
    float *dk = bw->dk + j0 * Pkv + g * dh, *dv = bw->dv + j0 * Pkv + g * dh;
    const int R = (int)rows, C = (int)cols, D = (int)dh;

    // S (rows, cols; row stride Bk) = scale * Q_h tile (NoTrans) @ K_g tile^T
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, R, C, D, cfg->scale,
                qh, (int)P, kg, (int)Pkv, 0.0f, w->s, TILE_K);
    if (cfg->softcap > 0)
        for (size_t r = 0; r < rows; r++)
            memcpy(w->raw + r * TILE_K, w->s + r * TILE_K, cols * sizeof *w->s);
    sa_finish_scores(w->s, rows, cols, TILE_K, i0, j0, h, p);
    weights_from_lse(w->s, rows, cols, i0, h, p);
    // dV_g tile (cols, dh) += P^T (cols, rows; Trans) @ dO_h tile (NoTrans)
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, C, D, R, 1.0f, w->s,
                TILE_K, d_oh, (int)P, 1.0f, dv, (int)Pkv);
    // dP (rows, cols) = dO_h tile (NoTrans) @ V_g tile^T (Trans)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, R, C, D, 1.0f, d_oh,
                (int)P, vg, (int)Pkv, 0.0f, w->ds, TILE_K);
    scores_backward(w, rows, cols, i0, j0, h);
    // dQ_h tile (rows, dh) += scale * dR (NoTrans) @ K_g tile (NoTrans), into
    // this thread's dq
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, R, D, C, cfg->scale,
                w->ds, TILE_K, kg, (int)Pkv, 1.0f, w->dq + i0 * P + h * dh, (int)P);
    // dK_g tile (cols, dh) += scale * dR^T (Trans) @ Q_h tile (NoTrans)
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, C, D, R, cfg->scale,
                w->ds, TILE_K, qh, (int)P, 1.0f, dk, (int)Pkv);
}

/* Keys [j0, j0 + cols) of kv head g against every query of each of its
 * heads, in order: the group's heads add into its dK and dV. */
static void kv_tile(worker *w, size_t g, size_t j0, size_t cols)
{
    const sa_pass *p = w->bw->p;
    size_t per_group = p->H / p->G, dh = p->dh;
    for (size_t j = j0; j < j0 + cols; j++) {
        memset(w->bw->dk + j * p->Pkv + g * dh, 0, dh * sizeof(float));
        memset(w->bw->dv + j * p->Pkv + g * dh, 0, dh * sizeof(float));
    }
    for (size_t h = g * per_group; h < (g + 1) * per_group; h++)
        for (size_t i0 = 0; i0 < p->n; i0 += TILE_Q) {
            size_t rows = p->n - i0 < TILE_Q ? p->n - i0 : TILE_Q;
            if (sa_tile_may_be_visible(i0, i0 + rows, j0, j0 + cols, p->cfg))
                tile_backward(w, h, g, i0, rows, j0, cols);
        }
}

/* Unit u: kv head u's every tile of keys, or chunk u's tiles of keys for
 * every kv head (heads in order, as a shared bias's gradient adds them
 * up), into the unit's own dQ. */
static void work_unit(worker *w, size_t u)
{
    const sa_pass *p = w->bw->p;
    const plan *pl = w->plan;
    size_t tiles = (p->m + TILE_K - 1) / TILE_K, first = 0, last = tiles;
    if (!pl->by_group) {
        first = u * pl->per_chunk;
        last = first + pl->per_chunk < tiles ? first + pl->per_chunk : tiles;
    }
    w->dq = pl->by_group || u == 0 ? w->bw->dq : pl->dq_more + (u - 1) * p->n * p->P;
    for (size_t t = first; t < last; t++) {
        size_t j0 = t * TILE_K, cols = p->m - j0 < TILE_K ? p->m - j0 : TILE_K;
        for (size_t g = 0; g < p->G; g++)
            if (!pl->by_group || g == u)
                kv_tile(w, g, j0, cols);
    }
}

static void *work(void *arg)
{
    worker *w = arg;
    for (;;) {
        size_t u = atomic_fetch_add(w->next, 1);
        if (u >= w->plan->units)
            return NULL;
        work_unit(w, u);
    }
}

/* Runs workers[0 .. count) on threads, the first on this one; fewer
 * threads if some cannot start (the others take more units). */
static void run_workers(worker *workers, size_t count)
{
    pthread_t ids[64];
    size_t started = 1;
    for (size_t t = 1; t < count; t++, started++)
        if (pthread_create(&ids[t], NULL, work, &workers[t]) != 0)
            break;
    work(&workers[0]);
    for (size_t t = 1; t < started; t++)
        pthread_join(ids[t], NULL);
}

/* The number of threads for sa_backward_stream, and its units of work. */
static size_t make_plan(plan *pl, const sa_pass *p, size_t threads)
{
    // as the forward pass: a thread per million multiply-adds or so
    double madds = (double)p->n * (double)p->m * (double)p->dh * (double)p->H;
    if (threads > madds / 1e6)
        threads = (size_t)(madds / 1e6);
    if (threads > 64)
        threads = 64;
    if (threads == 0)
        threads = 1;
    // kv heads as units, when they share out evenly, need no dQ per chunk;
    // a bias shared by the heads makes heads add into the same numbers
    size_t tiles = (p->m + TILE_K - 1) / TILE_K;
    bool shared_bias = p->cfg->bias && !p->cfg->bias_per_head;
    memset(pl, 0, sizeof *pl);
    pl->by_group = threads > 1 && p->G % threads == 0 && !shared_bias;
    if (pl->by_group) {
        pl->units = p->G;
    } else {
        size_t chunks = threads > 1 ? 4 * threads : 1;
        pl->per_chunk = (tiles + chunks - 1) / chunks;
        pl->units = (tiles + pl->per_chunk - 1) / pl->per_chunk;
    }
    return threads < pl->units ? threads : pl->units;
}

sa_status sa_backward_stream(const sa_backward *bw, size_t threads,
                             sa_error *err)
{
    const sa_pass *p = bw->p;
    size_t nP = p->n * p->P;
    plan pl;
    threads = make_plan(&pl, p, threads);
    size_t tile = TILE_Q * TILE_K, per_thread = 3 * tile;
    size_t more = pl.by_group ? 0 : (pl.units - 1) * nP;
    float *scratch = malloc(threads * per_thread * sizeof(float));
    pl.dq_more = more ? sa_alloc_large(more * sizeof(float)) : NULL;
    worker *workers = calloc(threads, sizeof *workers);
    if (!scratch || (more && !pl.dq_more) || !workers) {
        free(scratch);
        free(pl.dq_more);
        free(workers);
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory for the "
                       "gradients' tiles");
    }
    memset(bw->dq, 0, nP * sizeof(float));
    if (more)
        memset(pl.dq_more, 0, more * sizeof(float));
    atomic_size_t next = 0;
    for (size_t t = 0; t < threads; t++) {
        float *base = scratch + t * per_thread;
        workers[t] = (worker){.bw = bw, .plan = &pl, .next = &next, .s = base,
                              .ds = base + tile, .raw = base + 2 * tile};
    }
    // tiles are small: one BLAS thread per tile, our threads across tiles
    int blas_threads = openblas_get_num_threads();
    if (blas_threads != 1)
        openblas_set_num_threads(1);
    run_workers(workers, threads);
    if (blas_threads != 1)
        openblas_set_num_threads(blas_threads);
    // dQ = the chunks' parts, added in their order
    for (size_t u = 1; more && u < pl.units; u++)
        for (size_t i = 0; i < nP; i++)
            bw->dq[i] += pl.dq_more[(u - 1) * nP + i];
    free(scratch);
    free(pl.dq_more);
    free(workers);
    return SA_OK;
}
