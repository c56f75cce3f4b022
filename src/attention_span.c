/* attention_span.c — attention over a sequence split into spans of rows,
 * for the ranks of an MPI run (the program's cli_ring.c, which does the
 * communication; nothing here knows of MPI): a span's projections at its
 * global positions, then its queries' online softmax (softmax.c) carried
 * across blocks of keys that arrive one after another, in any order,
 * then normalised.  The scores' modifiers are scores.c's with global
 * query and key indices, so causal, window, ALiBi, softcap, mask and bias
 * see each pair where a single pass would.  The tile products are the
 * streaming path's vector kernels (tiles.c) on K and V blocked by their
 * owner, else cblas_sgemm; the plain reference is tests/unit/naive.c as
 * for the other paths.  Legend as in attention_internal.h; rows = the span's queries,
 * cols = a block's keys, Bq = SPAN_Q, Bk = SPAN_K. */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attention_internal.h"

#define SPAN_Q 120  /* a multiple of SA_TILE_ROWS */
#define SPAN_K 256  /* a multiple of SA_BLOCK */

sa_status sa_online_new(sa_online *st, size_t rows, size_t P, size_t H,
                        sa_error *err)
{
    size_t dh = P / H;
    memset(st, 0, sizeof *st);
    st->rows = rows;
    st->acc = calloc(rows * P + 1, sizeof *st->acc);
    st->row_max = malloc((H * rows + 1) * sizeof *st->row_max);
    st->row_sum = calloc(H * rows + 1, sizeof *st->row_sum);
    st->s = malloc(SPAN_Q * SPAN_K * sizeof *st->s);
    st->qt = malloc(SPAN_Q * dh * sizeof *st->qt);
    st->at = malloc(SPAN_Q * dh * sizeof *st->at);
    if (!st->acc || !st->row_max || !st->row_sum || !st->s || !st->qt || !st->at) {
        sa_online_free(st);
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory for the "
                       "attention of %zu rows", rows);
    }
    for (size_t i = 0; i < H * rows; i++)
        st->row_max[i] = -INFINITY;
    return SA_OK;
}

void sa_online_free(sa_online *st)
{
    free(st->acc);
    free(st->row_max);
    free(st->row_sum);
    free(st->s);
    free(st->qt);
    free(st->at);
    memset(st, 0, sizeof *st);
}

sa_status sa_span_queries(float *q, const float *x, size_t rows, size_t first,
                          size_t d, const sa_weights *w, const sa_config *cfg,
                          sa_error *err)
{
    const size_t P = w->d_proj, H = cfg->heads;
    // Q (rows, P) = x (rows, d) @ Wq (d, P) + bq, then RoPE at first..
    sa_project(q, x, w->wq, w->bq, rows, d, P, cfg->threads);
    if (cfg->rope)
        sa_rope_from(q, first, rows, H, P / H, P, cfg->rope_base, cfg->rope_neox);
    if (!sa_all_finite(q, rows * P))
        return sa_fail(err, SA_ERR_DATA, 0, 0, "the projections overflow "
                       "float32; scale the input or weights down");
    return SA_OK;
}

sa_status sa_span_keys(float *k, float *v, const float *ctx, size_t rows,
                       size_t first, size_t d_ctx, const sa_weights *w,
                       const sa_config *cfg, sa_error *err)
{
    const size_t H = cfg->heads, G = cfg->kv_heads ? cfg->kv_heads : H;
    const size_t dh = w->d_proj / H, Pkv = w->d_kv;
    // K, V (rows, Pkv) = ctx (rows, d_ctx) @ Wk, Wv (d_ctx, Pkv) + bk, bv
    sa_project(k, ctx, w->wk, w->bk, rows, d_ctx, Pkv, cfg->threads);
    sa_project(v, ctx, w->wv, w->bv, rows, d_ctx, Pkv, cfg->threads);
    if (cfg->rope)
        sa_rope_from(k, first, rows, G, dh, Pkv, cfg->rope_base, cfg->rope_neox);
    if (!sa_all_finite(k, rows * Pkv) || !sa_all_finite(v, rows * Pkv))
        return sa_fail(err, SA_ERR_DATA, 0, 0, "the projections overflow "
                       "float32; scale the input or weights down");
    return SA_OK;
}

void sa_span_output(float *out, const float *concat, size_t rows,
                    const sa_weights *w, size_t threads)
{
    const size_t P = w->d_proj;
    // out (rows, d_out) = concat (rows, P) @ Wo (P, d_out) + bo, or concat + bo
    if (w->wo) {
        sa_project(out, concat, w->wo, w->bo, rows, P, w->d_out, threads);
        return;
    }
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < P; j++)
            out[i * P + j] = concat[i * P + j] + (w->bo ? w->bo[j] : 0.0f);
}

/* One band of a tile: rows [r0, r0 + rows) of the query tile (its first
 * query global i0; qh (rows, dh) in st->qt, the output in st->at) of head
 * h against the key tile kg, vg (cols keys from global j0, in the layout
 * p->blocked says; row stride Pkv), real of the rows being queries (the
 * rest zero padding).  As attention_stream.c's attend_band: scores, the
 * online softmax into the span's running state, P @ V.  False if the
 * scores overflow. */
static bool attend_band(sa_online *st, const sa_pass *p, size_t h, size_t at,
                        size_t i0, size_t r0, size_t rows, size_t real,
                        const float *kg, const float *vg, size_t j0,
                        size_t cols, bool plain)
{
    const size_t dh = p->dh;
    float *s = st->s + r0 * SPAN_K, *acc = st->at + r0 * dh;
    const float *qh = st->qt + r0 * dh;
    // S (rows, cols; ld Bk) = scale * Q_h (rows, dh) @ K_g tile^T (dh, cols)
    if (p->blocked)
        sa_tile_scores(s, SPAN_K, qh, dh, SA_TILE_ROWS, kg, p->Pkv, cols, dh,
                       p->cfg->scale);
    else  // NoTrans, Trans
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows,
                    (int)cols, (int)dh, p->cfg->scale, qh, (int)dh, kg,
                    (int)p->Pkv, 0.0f, s, SPAN_K);
    if (!plain) {
        if (!sa_scores_finite(s, real, cols, SPAN_K, i0 + r0, j0, p))
            return false;
        sa_finish_scores(s, real, cols, SPAN_K, i0 + r0, j0, h, p);
    }
    // the online softmax, row by row, in the span's running state
    for (size_t r = 0; r < real; r++) {
        size_t k = h * st->rows + at + r0 + r;
        if (!sa_softmax_tile(s + r * SPAN_K, cols, &st->row_max[k],
                             &st->row_sum[k], acc + r * dh, dh, plain))
            return false;
    }
    // acc (rows, dh) += P (rows, cols; ld Bk) @ V_g tile (cols, dh)
    if (p->blocked)
        sa_tile_values(acc, s, SPAN_K, vg, p->Pkv, SA_TILE_ROWS, cols, dh);
    else  // NoTrans, NoTrans
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows,
                    (int)dh, (int)cols, 1.0f, s, SPAN_K, vg, (int)p->Pkv,
                    1.0f, acc, (int)dh);
    return true;
}

/* Query tile [at, at + rows) of the span (global i0..) of head h against
 * the keys [j0, j0 + cols) of k, v: its Q and running output copied into
 * st->qt and st->at (zero-padded to whole strips for the kernels), the
 * key tiles, the output copied back. */
static bool attend_tile(sa_online *st, const sa_pass *p, size_t h, size_t at,
                        size_t i0, size_t rows, const float *k, const float *v,
                        size_t j0, size_t cols, bool plain)
{
    const size_t dh = p->dh, g = sa_kv_head(p, h);
    size_t done = rows, band = rows;
    if (p->blocked) {
        done = (rows + SA_TILE_ROWS - 1) / SA_TILE_ROWS * SA_TILE_ROWS;
        band = SA_TILE_ROWS;
    }
    memset(st->qt, 0, done * dh * sizeof *st->qt);
    memset(st->at, 0, done * dh * sizeof *st->at);
    for (size_t r = 0; r < rows; r++) {
        memcpy(st->qt + r * dh, p->q + (at + r) * p->P + h * dh, dh * sizeof *st->qt);
        memcpy(st->at + r * dh, st->acc + (at + r) * p->P + h * dh, dh * sizeof *st->at);
    }
    bool ok = true;
    for (size_t b = 0; ok && b < cols; b += SPAN_K) {
        size_t tc = cols - b < SPAN_K ? cols - b : SPAN_K;
        if (!sa_tile_may_be_visible(i0, i0 + rows, j0 + b, j0 + b + tc, p->cfg))
            continue;
        // rows b.. and columns [g*dh, (g+1)*dh) of K and V, in either layout
        size_t off = b * p->Pkv + g * dh * (p->blocked ? SA_BLOCK : 1);
        for (size_t r0 = 0; ok && r0 < done; r0 += band) {
            size_t real = r0 >= rows ? 0 : rows - r0 < band ? rows - r0 : band;
            ok = attend_band(st, p, h, at, i0, r0, band, real, k + off, v + off,
                             j0 + b, tc, plain);
        }
    }
    for (size_t r = 0; r < rows; r++)
        memcpy(st->acc + (at + r) * p->P + h * dh, st->at + r * dh, dh * sizeof *st->at);
    return ok;
}

bool sa_attend_span(sa_online *st, const sa_pass *p, size_t r0, size_t i0,
                    size_t rows, const float *k, const float *v, size_t j0,
                    size_t cols)
{
    bool plain = sa_scores_plain(p->cfg);
    if (rows == 0 || cols == 0 ||
        !sa_tile_may_be_visible(i0, i0 + rows, j0, j0 + cols, p->cfg))
        return true;  // nothing this block can show these queries
    for (size_t h = 0; h < p->H; h++)
        for (size_t a = 0; a < rows; a += SPAN_Q) {
            size_t tr = rows - a < SPAN_Q ? rows - a : SPAN_Q;
            if (sa_tile_may_be_visible(i0 + a, i0 + a + tr, j0, j0 + cols, p->cfg) &&
                !attend_tile(st, p, h, r0 + a, i0 + a, tr, k, v, j0, cols, plain))
                return false;
        }
    return true;
}

sa_status sa_online_finish(bool *empty, sa_online *st, const sa_pass *p,
                           sa_error *err)
{
    const size_t dh = p->dh, rows = st->rows;
    for (size_t r = 0; r < rows; r++) {
        empty[r] = st->row_sum[r] == 0.0;  // the same for every head
        for (size_t h = 0; h < p->H; h++) {
            float *acc = st->acc + r * p->P + h * dh;
            double sum = st->row_sum[h * rows + r];
            if (sum == 0.0) {
                for (size_t t = 0; t < dh; t++)
                    acc[t] = p->cfg->masked_rows_nan ? NAN : 0.0f;
                continue;
            }
            // normalise: O_h = acc / sum
            float inv = (float)(1.0 / sum);
            for (size_t t = 0; t < dh; t++) {
                acc[t] *= inv;
                if (!isfinite(acc[t]))
                    return sa_fail(err, SA_ERR_DATA, 0, 0, "the result "
                                   "overflows float32 in a query row of this "
                                   "rank's span; scale the input or weights "
                                   "down");
            }
        }
    }
    return SA_OK;
}
