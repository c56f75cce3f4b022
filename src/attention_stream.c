/* attention_stream.c — the streaming path (Milakov & Gimelshein 2018;
 * FlashAttention): for each head and tile of queries, walk the tiles of
 * keys keeping a running maximum and sum per query and rescaling the
 * partial output (softmax.c), so no (n, m) matrix ever exists.  Tiles
 * that causal or window masking hides entirely are skipped.  Work items
 * (head, query tile) are shared by threads; each item is computed by one
 * thread in a fixed order, so the result does not depend on the number of
 * threads.  The tile products are the vector kernels (tiles.c) on K and V
 * blocked in place, where they apply, else cblas_sgemm.  Legend as in
 * attention_internal.h; Bq = TILE_Q, Bk = TILE_K, chosen by measurement
 * (docs/performance.md): a thread's (Bq, Bk) scores stay in its L2 cache,
 * and with BLAS, Bq is large enough that packing K and V costs little
 * against the products. */
#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "attention_internal.h"

#define TILE_Q 120  /* a multiple of SA_TILE_ROWS */
#define TILE_K 256  /* a multiple of SA_BLOCK */

/* One thread's scratch. */
typedef struct {
    const sa_pass *p;
    atomic_size_t *next;   /* the next work item to take */
    size_t items, q_tiles;
    float *qt;             /* (Bq, dh) the query tile for the tile kernels */
    float *s;              /* (Bq, Bk) scores, then probabilities */
    float *acc;            /* (Bq, dh) unnormalised output */
    float *row_max;        /* (Bq) running maximum */
    double *row_sum;       /* (Bq) running sum of exp(s - row_max) */
    size_t rows;           /* rows of the current query tile */
    bool overflow;         /* q.k overflowed float32 */
} worker;

/* One key tile [j0, j0 + cols) for rows [r0, r0 + rows) of the query tile
 * at i0 (head h, kv head g): scores into w->s, the online softmax, and the
 * probabilities times V into w->acc.  The BLAS products take the whole
 * tile at once; the kernels a strip of SA_TILE_ROWS rows, whose scores stay
 * in L1 from the product through exp to the next product (rows past the
 * tile are padding, with zero q).  qh: (rows, dh; row stride ld_q) from
 * row r0.  False if the scores overflow. */
static bool attend_band(worker *w, size_t h, size_t g, size_t i0, size_t r0,
                        size_t rows, const float *qh, size_t ld_q, size_t j0,
                        size_t cols, bool plain)
{
    const sa_pass *p = w->p;
    const sa_config *cfg = p->cfg;
    size_t dh = p->dh, real = rows;
    float *s = w->s + r0 * TILE_K, *acc = w->acc + r0 * dh;
    // rows j0.. and columns [g*dh, (g+1)*dh) of K and V, in either layout
    size_t at = j0 * p->Pkv + g * dh * (p->blocked ? SA_BLOCK : 1);
    const float *kg = p->k + at, *vg = p->v + at;

    // S (rows, cols; row stride Bk) = scale * Q (rows, dh) @ K_g tile^T (dh, cols)
    if (p->blocked) {
        sa_tile_scores(s, TILE_K, qh, ld_q, SA_TILE_ROWS, kg, p->Pkv, cols, dh,
                       cfg->scale);
        if (real > w->rows - r0)
            real = w->rows - r0;  // padding below the query tile
    } else {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows,
                    (int)cols, (int)dh, cfg->scale, qh, (int)ld_q, kg,
                    (int)p->Pkv, 0.0f, s, TILE_K);
    }
    // an infinity would pass for a mask: overflow is checked on the raw
    // scores, in the pass for the maximum when nothing modifies them
    if (!plain) {
        if (!sa_scores_finite(s, real, cols, TILE_K, i0 + r0, j0, p))
            return false;
        sa_finish_scores(s, real, cols, TILE_K, i0 + r0, j0, h, p);
    }
    // the online softmax, row by row
    for (size_t r = 0; r < real; r++)
        if (!sa_softmax_tile(s + r * TILE_K, cols, &w->row_max[r0 + r],
                             &w->row_sum[r0 + r], acc + r * dh, dh, plain))
            return false;
    // acc (rows, dh) += P (rows, cols; row stride Bk) @ V_g tile (cols, dh)
    if (p->blocked)
        sa_tile_values(acc, s, TILE_K, vg, p->Pkv, SA_TILE_ROWS, cols, dh);
    else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows,
                    (int)dh, (int)cols, 1.0f, s, TILE_K, vg, (int)p->Pkv,
                    1.0f, acc, (int)dh);
    return true;
}

/* Attends query tile [i0, i0 + rows) of head h. */
static void attend_tile(worker *w, size_t h, size_t i0, size_t rows)
{
    const sa_pass *p = w->p;
    const sa_config *cfg = p->cfg;
    size_t dh = p->dh, g = sa_kv_head(p, h), ld_q = p->P, done = rows;
    size_t band = rows;
    bool plain = sa_scores_plain(cfg);
    const float *qh = p->q + i0 * p->P + h * dh;
    w->rows = rows;
    if (p->blocked) {
        // the kernels take strips of SA_TILE_ROWS rows: a zero-padded copy
        done = (rows + SA_TILE_ROWS - 1) / SA_TILE_ROWS * SA_TILE_ROWS;
        band = SA_TILE_ROWS;
        for (size_t r = 0; r < rows; r++)
            memcpy(w->qt + r * dh, qh + r * p->P, dh * sizeof *w->qt);
        memset(w->qt + rows * dh, 0, (done - rows) * dh * sizeof *w->qt);
        qh = w->qt;
        ld_q = dh;
    }

    for (size_t r = 0; r < rows; r++) {
        w->row_max[r] = -INFINITY;
        w->row_sum[r] = 0.0;
    }
    // padded rows stay zero: their q, so their scores and probabilities, are 0
    memset(w->acc, 0, done * dh * sizeof *w->acc);

    for (size_t j0 = 0; j0 < p->m; j0 += TILE_K) {
        size_t cols = p->m - j0 < TILE_K ? p->m - j0 : TILE_K;
        if (!sa_tile_may_be_visible(i0, i0 + rows, j0, j0 + cols, cfg))
            continue;
        for (size_t r0 = 0; r0 < done; r0 += band)
            if (!attend_band(w, h, g, i0, r0, band, qh + r0 * ld_q, ld_q, j0,
                             cols, plain)) {
                w->overflow = true;
                return;
            }
    }

    // the log-sum-exp the backward pass recomputes the weights from
    if (p->lse)
        for (size_t r = 0; r < rows; r++)
            p->lse[h * p->n + i0 + r] = w->row_sum[r] == 0.0 ? -INFINITY
                : (float)((double)w->row_max[r] + log(w->row_sum[r]));
    // normalise into columns [h*dh, (h+1)*dh) of concat
    for (size_t r = 0; r < rows; r++) {
        float *out = p->concat + (i0 + r) * p->P + h * dh;
        if (w->row_sum[r] == 0.0) {
            if (h == 0)
                p->empty[i0 + r] = true;  // the same for every head
            for (size_t t = 0; t < dh; t++)
                out[t] = cfg->masked_rows_nan ? NAN : 0.0f;
            continue;
        }
        float inv = (float)(1.0 / w->row_sum[r]);
        bool finite = true;
        for (size_t t = 0; t < dh; t++)
            finite &= isfinite(w->acc[r * dh + t] * inv) != 0;
        if (finite) {
            for (size_t t = 0; t < dh; t++)
                out[t] = w->acc[r * dh + t] * inv;
        } else if (!sa_attend_row(out, p, h, i0 + r)) {
            // values near FLT_MAX: the unnormalised sum overflowed, the mean
            // may not; recompute the row alone (before out, which may be
            // this query's q, is written), normalising as it goes
            w->overflow = true;
        }
    }
}

bool sa_attend_row(float *out, const sa_pass *p, size_t h, size_t i)
{
    size_t m = p->m, dh = p->dh, g = sa_kv_head(p, h);
    float *s = malloc(m * sizeof *s);
    double *o = calloc(dh, sizeof *o);
    if (!s || !o) {
        free(s);
        free(o);
        return false;
    }
    const float *q = p->q + i * p->P + h * dh;
    for (size_t j = 0; j < m; j++) {
        double dot = 0.0;
        for (size_t t = 0; t < dh; t++) {
            size_t col = g * dh + t;
            dot += (double)q[t] * (p->blocked ? sa_blocked_key(p->k, p->Pkv, j, col)
                                              : p->k[j * p->Pkv + col]);
        }
        s[j] = (float)(p->cfg->scale * dot);
    }
    sa_finish_scores(s, 1, m, m, i, 0, h, p);
    double sum = sa_exp_shifted(s, m, sa_max(s, m));
    for (size_t j = 0; j < m; j++) {
        double weight = s[j] / sum;
        for (size_t t = 0; t < dh; t++) {
            size_t col = g * dh + t;
            o[t] += weight * (p->blocked ? sa_blocked_value(p->v, p->Pkv, j, col)
                                         : p->v[j * p->Pkv + col]);
        }
    }
    for (size_t t = 0; t < dh; t++)
        out[t] = (float)o[t];
    free(s);
    free(o);
    return true;
}

static void *work(void *arg)
{
    worker *w = arg;
    for (;;) {
        size_t item = atomic_fetch_add(w->next, 1);
        if (item >= w->items)
            return NULL;
        size_t h = item / w->q_tiles, i0 = (item % w->q_tiles) * TILE_Q;
        size_t rows = w->p->n - i0 < TILE_Q ? w->p->n - i0 : TILE_Q;
        attend_tile(w, h, i0, rows);
    }
}

sa_status sa_attend_stream(sa_pass *p, size_t threads, sa_error *err)
{
    size_t q_tiles = (p->n + TILE_Q - 1) / TILE_Q, items = q_tiles * p->H;
    // a thread is worth starting for a million multiply-adds or so: a
    // batch line of 16 tokens stays on one
    double madds = (double)p->n * (double)p->m * (double)p->dh * (double)p->H;
    if (threads > madds / 1e6)
        threads = (size_t)(madds / 1e6);
    if (threads == 0)
        threads = 1;
    if (threads > items)
        threads = items;
    size_t per_thread = TILE_Q * TILE_K + 2 * TILE_Q * p->dh + TILE_Q;
    float *scratch = malloc(threads * per_thread * sizeof(float));
    double *sums = malloc(threads * TILE_Q * sizeof(double));
    worker *workers = calloc(threads, sizeof *workers);
    pthread_t *ids = calloc(threads, sizeof *ids);
    if (!scratch || !sums || !workers || !ids) {
        free(scratch);
        free(sums);
        free(workers);
        free(ids);
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory for the "
                       "attention tiles");
    }
    // the tile kernels read K and V blocked, rearranged here in place
    // (without memory for one block's rows, the BLAS products run instead)
    float *tmp = NULL;
    if (!p->blocked && sa_tile_kernels_usable(p->dh) &&
        (tmp = malloc(SA_BLOCK * p->Pkv * sizeof *tmp))) {
        size_t m16 = (p->m + SA_BLOCK - 1) / SA_BLOCK * SA_BLOCK;
        sa_block_keys(p->k, m16, p->Pkv, tmp);
        sa_block_values(p->v, m16, p->Pkv, tmp);
        p->blocked = true;
    }
    free(tmp);
    atomic_size_t next = 0;
    for (size_t t = 0; t < threads; t++) {
        float *base = scratch + t * per_thread;
        workers[t] = (worker){.p = p, .next = &next, .items = items,
                              .q_tiles = q_tiles,
                              .s = base,
                              .acc = base + TILE_Q * TILE_K,
                              .qt = base + TILE_Q * TILE_K + TILE_Q * p->dh,
                              .row_max = base + TILE_Q * TILE_K + 2 * TILE_Q * p->dh,
                              .row_sum = sums + t * TILE_Q};
    }
    // tiles are small: one BLAS thread per tile, our threads across tiles.
    // Only a change calls openblas_set_num_threads: it restarts a pool
    // that the caller had stopped, whose threads then spin on the cores.
    int blas_threads = openblas_get_num_threads();
    if (blas_threads != 1)
        openblas_set_num_threads(1);
    size_t started = 1;
    for (size_t t = 1; t < threads; t++, started++)
        if (pthread_create(&ids[t], NULL, work, &workers[t]) != 0)
            break;  // fewer threads: the others take more items
    work(&workers[0]);
    bool overflow = workers[0].overflow;
    for (size_t t = 1; t < started; t++) {
        pthread_join(ids[t], NULL);
        overflow |= workers[t].overflow;
    }
    if (blas_threads != 1)
        openblas_set_num_threads(blas_threads);
    free(scratch);
    free(sums);
    free(workers);
    free(ids);
    if (overflow)
        return sa_fail(err, SA_ERR_DATA, 0, 0, "the scores overflow float32; "
                       "scale the input or weights down");
    return SA_OK;
}
