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
 * threads write the same number; dQ is a sum over key tiles, which each
 * thread adds into a (n, P) array of its own (thread 0 into dq itself),
 * summed in the threads' order at the end.  When the kv heads share out
 * evenly over the threads (and no bias shared by the heads adds them up),
 * an item is a kv head instead, all its tiles of keys, and owns its heads'
 * columns of dQ too.  Thread t takes items t, t + T, t + 2T, ... (T
 * threads), so the same T gives the same bits.  The tile products are
 * single-threaded cblas_sgemm calls.
 * Legend as in grad_internal.h; Bq = TILE_Q, Bk = TILE_K. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "grad_internal.h"

#define TILE_Q 128
#define TILE_K 128

/* One thread's work and scratch. */
typedef struct {
    const sa_backward *bw;
    size_t first, step, items;  /* items first, first + step, ... < items */
    bool by_group;         /* items are kv heads, else tiles of keys */
    float *dq;             /* (n, P) this thread's dQ: bw->dq for thread 0 */
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
        float *ds = w->ds + r * TILE_K;
        const float *pr = w->s + r * TILE_K;
        for (size_t c = 0; c < cols; c++)
            ds[c] = pr[c] * (ds[c] - delta[r]);
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

/* Work item `item`: a tile of keys for every kv head (heads in order, as
 * a shared bias's gradient adds them up), or with by_group, every tile of
 * keys of kv head `item` (whose heads' columns of dQ are its own). */
static void work_item(worker *w, size_t item)
{
    const sa_pass *p = w->bw->p;
    size_t tiles = (p->m + TILE_K - 1) / TILE_K;
    for (size_t t = 0; t < (w->by_group ? tiles : 1); t++) {
        size_t j0 = (w->by_group ? t : item) * TILE_K;
        size_t cols = p->m - j0 < TILE_K ? p->m - j0 : TILE_K;
        for (size_t g = 0; g < p->G; g++)
            if (!w->by_group || g == item)
                kv_tile(w, g, j0, cols);
    }
}

static void *work(void *arg)
{
    worker *w = arg;
    for (size_t item = w->first; item < w->items; item += w->step)
        work_item(w, item);
    return NULL;
}

/* Runs workers[0 .. count) on threads, the first on this one; a thread
 * that cannot start has its items done here afterwards, with its own dq,
 * so the result is the same. */
static void run_workers(worker *workers, size_t count)
{
    pthread_t ids[64];
    bool started[64] = {false};
    for (size_t t = 1; t < count; t++)
        started[t] = pthread_create(&ids[t], NULL, work, &workers[t]) == 0;
    work(&workers[0]);
    for (size_t t = 1; t < count; t++) {
        if (started[t])
            pthread_join(ids[t], NULL);
        else
            work(&workers[t]);
    }
}

/* The number of threads for sa_backward_stream, and how it shares work. */
static size_t plan(bool *by_group, size_t *items, const sa_pass *p,
                   size_t threads)
{
    // as the forward pass: a thread per million multiply-adds or so
    double madds = (double)p->n * (double)p->m * (double)p->dh * (double)p->H;
    if (threads > madds / 1e6)
        threads = (size_t)(madds / 1e6);
    if (threads > 64)
        threads = 64;
    if (threads == 0)
        threads = 1;
    // kv heads as items, when they share out evenly, need no dQ per thread;
    // a bias shared by the heads makes heads add into the same numbers
    bool shared_bias = p->cfg->bias && !p->cfg->bias_per_head;
    *by_group = threads > 1 && p->G % threads == 0 && !shared_bias;
    *items = *by_group ? p->G : (p->m + TILE_K - 1) / TILE_K;
    return threads < *items ? threads : *items;
}

sa_status sa_backward_stream(const sa_backward *bw, size_t threads,
                             sa_error *err)
{
    const sa_pass *p = bw->p;
    size_t items, nP = p->n * p->P;
    bool by_group;
    threads = plan(&by_group, &items, p, threads);
    size_t tile = TILE_Q * TILE_K, per_thread = 3 * tile;
    size_t more = threads > 1 && !by_group ? (threads - 1) * nP : 0;
    float *scratch = malloc(threads * per_thread * sizeof(float));
    float *dq_more = more ? sa_alloc_large(more * sizeof(float)) : NULL;
    worker *workers = calloc(threads, sizeof *workers);
    if (!scratch || (more && !dq_more) || !workers) {
        free(scratch);
        free(dq_more);
        free(workers);
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory for the "
                       "gradients' tiles");
    }
    memset(bw->dq, 0, nP * sizeof(float));
    if (more)
        memset(dq_more, 0, more * sizeof(float));
    for (size_t t = 0; t < threads; t++) {
        float *base = scratch + t * per_thread;
        workers[t] = (worker){.bw = bw, .first = t, .step = threads,
                              .items = items, .by_group = by_group,
                              .dq = t == 0 || by_group ? bw->dq : dq_more + (t - 1) * nP,
                              .s = base, .ds = base + tile, .raw = base + 2 * tile};
    }
    // tiles are small: one BLAS thread per tile, our threads across tiles
    int blas_threads = openblas_get_num_threads();
    if (blas_threads != 1)
        openblas_set_num_threads(1);
    run_workers(workers, threads);
    if (blas_threads != 1)
        openblas_set_num_threads(blas_threads);
    // dQ = the threads' parts, added in their order
    for (size_t t = 1; more && t < threads; t++)
        for (size_t i = 0; i < nP; i++)
            bw->dq[i] += dq_more[(t - 1) * nP + i];
    free(scratch);
    free(dq_more);
    free(workers);
    return SA_OK;
}
