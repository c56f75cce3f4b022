/* attention_span.c — attention over a sequence split into spans of rows,
 * for the ranks of an MPI run (the program's cli_ring.c, which does the
 * communication; nothing here knows of MPI): a span's projections at its
 * global positions, then its queries' online softmax (softmax.c) carried
 * across blocks of keys that arrive one after another, in any order,
 * then normalised.  The scores' modifiers are scores.c's with global
 * query and key indices, so causal, window, ALiBi, softcap, mask and bias
 * see each pair where a single pass would.  The tile products are
 * cblas_sgemm; the plain reference is tests/unit/naive.c as for the other
 * paths.  Legend as in attention_internal.h; rows = the span's queries,
 * cols = a block's keys, Bq = SPAN_Q, Bk = SPAN_K. */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attention_internal.h"

#define SPAN_Q 120
#define SPAN_K 256

sa_status sa_online_new(sa_online *st, size_t rows, size_t P, size_t H,
                        sa_error *err)
{
    memset(st, 0, sizeof *st);
    st->rows = rows;
    st->acc = calloc(rows * P + 1, sizeof *st->acc);
    st->row_max = malloc((H * rows + 1) * sizeof *st->row_max);
    st->row_sum = calloc(H * rows + 1, sizeof *st->row_sum);
    st->s = malloc(SPAN_Q * SPAN_K * sizeof *st->s);
    if (!st->acc || !st->row_max || !st->row_sum || !st->s) {
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
    memset(st, 0, sizeof *st);
}

/* Y (rows, cols) = X (rows, inner) @ W (inner, cols) + b (cols, or NULL) */
static void project(float *y, const float *x, const float *w, const float *b,
                    size_t rows, size_t inner, size_t cols, size_t threads)
{
    if (b)
        for (size_t i = 0; i < rows; i++)
            memcpy(y + i * cols, b, cols * sizeof *y);
    // sgemm Y = 1 * X @ W + (b ? 1 : 0) * Y, rows across threads
    sa_sgemm_rows(threads, CblasNoTrans, rows, cols, inner, 1.0f, x, inner, w,
                  cols, b ? 1.0f : 0.0f, y, cols);
}

sa_status sa_span_queries(float *q, const float *x, size_t rows, size_t first,
                          size_t d, const sa_weights *w, const sa_config *cfg,
                          sa_error *err)
{
    const size_t P = w->d_proj, H = cfg->heads;
    // Q (rows, P) = x (rows, d) @ Wq (d, P) + bq, then RoPE at first..
    project(q, x, w->wq, w->bq, rows, d, P, cfg->threads);
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
    project(k, ctx, w->wk, w->bk, rows, d_ctx, Pkv, cfg->threads);
    project(v, ctx, w->wv, w->bv, rows, d_ctx, Pkv, cfg->threads);
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
        project(out, concat, w->wo, w->bo, rows, P, w->d_out, threads);
        return;
    }
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < P; j++)
            out[i * P + j] = concat[i * P + j] + (w->bo ? w->bo[j] : 0.0f);
}

/* One tile: queries [r0, r0 + rows) of the span (global i0..) of head h
 * against keys kg, vg (cols, dh; row stride Pkv), global j0..; false if
 * the scores overflow. */
static bool attend_tile(sa_online *st, const sa_pass *p, size_t h, size_t r0,
                        size_t i0, size_t rows, const float *kg,
                        const float *vg, size_t j0, size_t cols, bool plain)
{
    const size_t dh = p->dh;
    float *s = st->s, *acc = st->acc + r0 * p->P + h * dh;
    const float *qh = p->q + r0 * p->P + h * dh;
    // S (rows, cols; ld Bk) = scale * Q_h (rows, dh; ld P) @ K_g^T (dh, cols): NoTrans, Trans
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)cols,
                (int)dh, p->cfg->scale, qh, (int)p->P, kg, (int)p->Pkv, 0.0f,
                s, SPAN_K);
    if (!plain) {
        if (!sa_scores_finite(s, rows, cols, SPAN_K, i0, j0, p))
            return false;
        sa_finish_scores(s, rows, cols, SPAN_K, i0, j0, h, p);
    }
    // the online softmax, row by row, in the span's running state
    for (size_t r = 0; r < rows; r++) {
        size_t at = h * st->rows + r0 + r;
        if (!sa_softmax_tile(s + r * SPAN_K, cols, &st->row_max[at],
                             &st->row_sum[at], acc + r * p->P, dh, plain))
            return false;
    }
    // acc (rows, dh; ld P) += P (rows, cols; ld Bk) @ V_g (cols, dh; ld Pkv): NoTrans, NoTrans
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)dh,
                (int)cols, 1.0f, s, SPAN_K, vg, (int)p->Pkv, 1.0f, acc,
                (int)p->P);
    return true;
}

bool sa_attend_span(sa_online *st, const sa_pass *p, size_t r0, size_t i0,
                    size_t rows, const float *k, const float *v, size_t j0,
                    size_t cols)
{
    bool plain = sa_scores_plain(p->cfg);
    if (rows == 0 || cols == 0 ||
        !sa_tile_may_be_visible(i0, i0 + rows, j0, j0 + cols, p->cfg))
        return true;  // nothing this block can show these queries
    for (size_t h = 0; h < p->H; h++) {
        size_t g = sa_kv_head(p, h);
        for (size_t a = 0; a < rows; a += SPAN_Q) {
            size_t tr = rows - a < SPAN_Q ? rows - a : SPAN_Q;
            for (size_t b = 0; b < cols; b += SPAN_K) {
                size_t tc = cols - b < SPAN_K ? cols - b : SPAN_K;
                if (!sa_tile_may_be_visible(i0 + a, i0 + a + tr, j0 + b,
                                            j0 + b + tc, p->cfg))
                    continue;
                const float *kg = k + b * p->Pkv + g * p->dh;
                const float *vg = v + b * p->Pkv + g * p->dh;
                if (!attend_tile(st, p, h, r0 + a, i0 + a, tr, kg, vg, j0 + b,
                                 tc, plain))
                    return false;
            }
        }
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
