/* grad.c — the backward pass of multi-head attention, step by step, in the
 * reverse order of the forward pass (attention.c): the output projection,
 * then per head the attention (grad_dense.c when the forward pass kept
 * the weights, grad_stream.c otherwise), RoPE, the projections Q, K and V,
 * and the inputs.  The loss is L = sum dY .* output; its gradient with
 * respect to everything the output depends on is computed, in float32 with
 * the sums of single values (L, the bias vectors' gradients) in double.
 * The same computation as plain float64 loops, which the tests hold this
 * to, is naive_attention_backward in tests/unit/naive.c.
 * Legend as in attention_internal.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "grad_internal.h"

void sa_grads_free(sa_grads *g)
{
    float *arrays[] = {g->dx, g->dctx, g->dbias, g->d_out, g->dq, g->dk,
                       g->dv, g->dp, g->ds};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
        free(arrays[i]);
    sa_weights_free(&g->dw);
    memset(g, 0, sizeof *g);
}

/* The arrays of one backward pass that are not the result's.  Memory a
 * process has not used before is slow to touch (alloc.c): dQ goes where
 * the heads' outputs were once read, and dY of all ones is not made when
 * Wo turns it into dO at once. */
typedef struct {
    float *block;      /* one allocation: the arrays below but dq */
    float *d_o;        /* (n, P) dO = dY Wo^T, or dY itself (ones) without
                        * Wo; NULL for a given dY without Wo */
    float *dq;         /* (n, P) over the forward's concat */
    float *dk, *dv;    /* (m, Pkv) */
    float *delta;      /* (H, n) */
} scratch;

/* A new array of len floats, zeroed, or NULL if want is false; *ok turns
 * false if memory runs out. */
static float *array(size_t len, bool want, bool *ok)
{
    if (!want)
        return NULL;
    float *a = sa_alloc_large((len ? len : 1) * sizeof *a);
    if (a)
        memset(a, 0, (len ? len : 1) * sizeof *a);
    *ok &= a != NULL;
    return a;
}

/* The result's arrays: dX, the context's, the bias's, the weights' (as w
 * has them) and the steps.  SA_ERR_NOMEM after freeing them. */
static sa_status grads_new(sa_grads *g, const sa_pass *p, const sa_weights *w,
                           size_t d, size_t d_ctx, bool cross, sa_error *err)
{
    const sa_config *cfg = p->cfg;
    size_t n = p->n, m = p->m, H = p->H, nm = n * m, dh = p->dh;
    size_t P = p->P, Pkv = p->Pkv, d_out = w->d_out;
    bool ok = true, steps = cfg->keep_grad_steps;
    *g = (sa_grads){.n = n, .m = m, .d = d, .d_ctx = d_ctx, .heads = H, .d_head = dh};
    g->dw = *w;  // sizes and source; the arrays follow
    g->dw.wq = array(d * P, true, &ok);
    g->dw.wk = array(d_ctx * Pkv, true, &ok);
    g->dw.wv = array(d_ctx * Pkv, true, &ok);
    g->dw.wo = array(P * d_out, w->wo != NULL, &ok);
    g->dw.bq = array(P, w->bq != NULL, &ok);
    g->dw.bk = array(Pkv, w->bk != NULL, &ok);
    g->dw.bv = array(Pkv, w->bv != NULL, &ok);
    g->dw.bo = array(d_out, w->bo != NULL, &ok);
    g->dx = array(n * d, true, &ok);
    g->dctx = array(m * d_ctx, cross, &ok);
    g->dbias = array((cfg->bias_per_head ? H : 1) * nm, cfg->bias != NULL, &ok);
    g->d_out = array(H * n * dh, steps, &ok);
    g->dq = array(H * n * dh, steps, &ok);
    g->dk = array(H * m * dh, steps, &ok);
    g->dv = array(H * m * dh, steps, &ok);
    g->dp = array(H * nm, steps, &ok);
    g->ds = array(H * nm, steps, &ok);
    if (ok)
        return SA_OK;
    sa_grads_free(g);
    return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory for the gradients "
                   "of %zu x %zu attention", n, m);
}

/* The scratch of the pass, after checking that it and the result fit. */
static sa_status scratch_new(scratch *s, const sa_pass *p, bool ones, bool wo,
                             size_t d, size_t d_ctx, sa_error *err)
{
    size_t n = p->n, m = p->m, P = p->P, Pkv = p->Pkv, H = p->H;
    size_t d_o = wo || ones ? n * P : 0;
    double nm = (double)n * (double)m;
    double result = (double)n * d + (double)m * d_ctx +
                    (p->cfg->bias ? (p->cfg->bias_per_head ? H : 1) * nm : 0) +
                    (p->cfg->keep_grad_steps ? 2.0 * H * nm : 0);
    double floats = (double)d_o + 2.0 * m * Pkv + H * n + result;
    char what[96];
    snprintf(what, sizeof what, "the gradients of %zu x %zu attention", n, m);
    sa_status status = sa_check_need(floats * sizeof(float), what, err);
    if (status)
        return status;
    memset(s, 0, sizeof *s);
    s->block = sa_alloc_large((d_o + 2 * m * Pkv + H * n) * sizeof(float));
    if (!s->block)
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory for %s", what);
    s->d_o = d_o ? s->block : NULL;
    s->dk = s->block + d_o;
    s->dv = s->dk + m * Pkv;
    s->delta = s->dv + m * Pkv;
    s->dq = p->concat;  // read by then (output_backward, deltas)
    return SA_OK;
}

/* out (cols) = the column sums of a (rows, cols), summed in double. */
static void column_sums(float *out, const float *a, size_t rows, size_t cols)
{
    double *sum = calloc(cols, sizeof *sum);
    if (!sum) {  // a slower order, without memory
        for (size_t c = 0; c < cols; c++) {
            double s = 0.0;
            for (size_t i = 0; i < rows; i++)
                s += a[i * cols + c];
            out[c] = (float)s;
        }
        return;
    }
    for (size_t i = 0; i < rows; i++)
        for (size_t c = 0; c < cols; c++)
            sum[c] += a[i * cols + c];
    for (size_t c = 0; c < cols; c++)
        out[c] = (float)sum[c];
    free(sum);
}

/* The output projection backward for dY of all ones: dWo (P, d_out) has
 * concat's column sums in every column, dbo is n, and every row of dO
 * (n, P) has Wo's row sums (ones without Wo); L is the outputs' sum. */
static const float *output_backward_ones(sa_grads *g, scratch *s,
                                         const float *output,
                                         const float *concat, const sa_pass *p,
                                         const sa_weights *w)
{
    size_t n = p->n, P = p->P, d_out = w->d_out;
    double loss = 0.0;
    for (size_t i = 0; i < n * d_out; i++)
        loss += output[i];
    g->loss = loss;
    for (size_t c = 0; w->bo && c < d_out; c++)
        g->dw.bo[c] = (float)n;
    float *row = s->d_o;  // dO's first row, then copied down
    if (w->wo) {
        column_sums(row, concat, n, P);
        for (size_t q = 0; q < P; q++)
            for (size_t c = 0; c < d_out; c++)
                g->dw.wo[q * d_out + c] = row[q];
        for (size_t q = 0; q < P; q++) {
            double sum = 0.0;
            for (size_t c = 0; c < d_out; c++)
                sum += w->wo[q * d_out + c];
            row[q] = (float)sum;
        }
    } else {
        for (size_t q = 0; q < P; q++)
            row[q] = 1.0f;
    }
    for (size_t i = 1; i < n; i++)
        memcpy(s->d_o + i * P, row, P * sizeof *row);
    return s->d_o;
}

/* The output projection backward: dWo (P, d_out) = concat^T dY, dbo =
 * colsum dY, dO (n, P) = dY Wo^T (dY itself without Wo); and L.  dy NULL
 * means all ones. */
static const float *output_backward(sa_grads *g, scratch *s, const float *dy,
                                    const float *output, const float *concat,
                                    const sa_pass *p, const sa_weights *w)
{
    size_t n = p->n, P = p->P, d_out = w->d_out, t = p->cfg->threads;
    if (!dy)
        return output_backward_ones(g, s, output, concat, p, w);
    double loss = 0.0;
    for (size_t i = 0; i < n * d_out; i++)
        loss += (double)dy[i] * output[i];
    g->loss = loss;
    if (w->bo)
        column_sums(g->dw.bo, dy, n, d_out);
    if (!w->wo)
        return dy;
    // dWo (P, d_out) = concat^T (P, n; Trans) @ dY (n, d_out; NoTrans)
    sa_sgemm_split(t, CblasTrans, CblasNoTrans, P, d_out, n, 1.0f, concat, P,
                   dy, d_out, 0.0f, g->dw.wo, d_out);
    // dO (n, P) = dY (n, d_out; NoTrans) @ Wo^T (d_out, P; Trans)
    sa_sgemm_rows(t, CblasTrans, n, P, d_out, 1.0f, dy, d_out, w->wo, d_out,
                  0.0f, s->d_o, P);
    return s->d_o;
}

/* delta (H, n): rowsum(dO_h .* O_h) per head and query, in double. */
static void deltas(float *delta, const float *d_o, const sa_pass *p)
{
    for (size_t h = 0; h < p->H; h++)
        for (size_t i = 0; i < p->n; i++) {
            const float *a = d_o + i * p->P + h * p->dh;
            const float *o = p->concat + i * p->P + h * p->dh;
            double dot = 0.0;
            for (size_t t = 0; t < p->dh; t++)
                dot += (double)a[t] * o[t];
            delta[h * p->n + i] = (float)dot;
        }
}

/* dW (rows, cols) = A^T (rows, count) @ dY (count, cols), db = colsum dY,
 * and dA (count, rows) (+)= dY W^T: the backward of Y = A W + b. */
static void projection_backward(float *dw, float *db, float *da, bool add,
                                const float *a, const float *dy,
                                const float *w, size_t count, size_t rows,
                                size_t cols, size_t t)
{
    // dW (rows, cols) = A^T (rows, count; Trans) @ dY (count, cols; NoTrans)
    sa_sgemm_split(t, CblasTrans, CblasNoTrans, rows, cols, count, 1.0f, a,
                   rows, dy, cols, 0.0f, dw, cols);
    if (db)
        column_sums(db, dy, count, cols);
    // dA (count, rows) (+)= dY (count, cols; NoTrans) @ W^T (cols, rows; Trans)
    sa_sgemm_rows(t, CblasTrans, count, rows, cols, 1.0f, dy, cols, w, cols,
                  add ? 1.0f : 0.0f, da, rows);
}

/* Sets the rows of the queries that saw no key to value in every head's
 * weights (H, n, m) and, with concat, in concat (n, P): NaN rows are
 * zeroed for the backward pass (a query that sees nothing passes no
 * gradient), which poison() then makes NaN as autograd would. */
static void set_empty_rows(sa_result *r, const sa_pass *p, float value,
                           bool concat)
{
    for (size_t e = 0; e < r->n_empty_rows; e++) {
        size_t i = r->empty_rows[e];
        for (size_t h = 0; r->weights && h < p->H; h++)
            for (size_t j = 0; j < p->m; j++)
                r->weights[(h * p->n + i) * p->m + j] = value;
        for (size_t c = 0; concat && c < p->P; c++)
            p->concat[i * p->P + c] = value;
    }
}

/* Fills a (len) with NaN, or rows [i*cols, (i+1)*cols) for each empty
 * query i of r; nothing if a is NULL. */
static void fill_nan(float *a, size_t len, const sa_result *r, size_t cols)
{
    if (!a)
        return;
    if (!cols) {
        for (size_t i = 0; i < len; i++)
            a[i] = NAN;
        return;
    }
    for (size_t e = 0; e < r->n_empty_rows; e++)
        for (size_t c = 0; c < cols; c++)
            a[r->empty_rows[e] * cols + c] = NAN;
}

/* With masked_rows_nan, a NaN output row spreads through the gradients as
 * autograd spreads it (see sa_attention_grad): whole arrays, or the rows
 * of the empty queries. */
static void poison(sa_grads *g, const sa_result *r, const sa_pass *p,
                   bool cross)
{
    size_t n = p->n, m = p->m, H = p->H, nm = n * m, dh = p->dh;
    sa_weights *dw = &g->dw;
    g->loss = NAN;
    fill_nan(dw->wo, dw->d_proj * dw->d_out, r, 0);
    fill_nan(dw->wq, dw->d_model * dw->d_proj, r, 0);
    fill_nan(dw->wk, dw->d_kv_in * dw->d_kv, r, 0);
    fill_nan(dw->wv, dw->d_kv_in * dw->d_kv, r, 0);
    fill_nan(dw->bq, dw->d_proj, r, 0);
    fill_nan(dw->bk, dw->d_kv, r, 0);
    fill_nan(dw->bv, dw->d_kv, r, 0);
    fill_nan(g->dx, n * g->d, r, cross ? g->d : 0);
    fill_nan(g->dctx, m * g->d_ctx, r, 0);
    fill_nan(g->dk, H * m * dh, r, 0);
    fill_nan(g->dv, H * m * dh, r, 0);
    for (size_t h = 0; h < H; h++) {
        if (g->dbias && (p->cfg->bias_per_head || h == 0))
            fill_nan(g->dbias + h * nm, nm, r, m);
        fill_nan(g->ds ? g->ds + h * nm : NULL, nm, r, m);
        fill_nan(g->dq ? g->dq + h * n * dh : NULL, n * dh, r, dh);
    }
}

/* True if every gradient is finite (before poison()). */
static bool grads_finite(const sa_grads *g, const sa_pass *p, size_t bias_len)
{
    const sa_weights *dw = &g->dw;
    size_t H = p->H, n = p->n, m = p->m, dh = p->dh;
    const struct { const float *a; size_t len; } arrays[] = {
        {g->dx, n * g->d}, {g->dctx, m * g->d_ctx}, {g->dbias, bias_len},
        {dw->wq, dw->d_model * dw->d_proj}, {dw->wk, dw->d_kv_in * dw->d_kv},
        {dw->wv, dw->d_kv_in * dw->d_kv}, {dw->wo, dw->d_proj * dw->d_out},
        {dw->bq, dw->d_proj}, {dw->bk, dw->d_kv}, {dw->bv, dw->d_kv},
        {dw->bo, dw->d_out}, {g->d_out, H * n * dh}, {g->dq, H * n * dh},
        {g->dk, H * m * dh}, {g->dv, H * m * dh}, {g->dp, H * n * m},
        {g->ds, H * n * m},
    };
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
        if (arrays[i].a && !sa_all_finite(arrays[i].a, arrays[i].len))
            return false;
    return true;
}

/* dQ, dK, dV and the bias's gradient from dO: the dense or the streaming
 * path, with the NaN rows of masked_rows_nan zeroed meanwhile. */
static sa_status attention_backward(sa_grads *g, scratch *s, sa_result *r,
                                    const sa_pass *p, const float *d_o,
                                    sa_error *err)
{
    const sa_config *cfg = p->cfg;
    bool nan_rows = cfg->masked_rows_nan && r->n_empty_rows > 0;
    sa_backward bw = {p, d_o, s->delta, r->weights, s->dq, s->dk, s->dv,
                      g->dbias, cfg->keep_grad_steps ? g : NULL};
    sa_status status;
    if (nan_rows)
        set_empty_rows(r, p, 0.0f, false);
    if (sa_config_dense(cfg)) {
        status = sa_backward_dense(&bw, err);
    } else {
        deltas(s->delta, d_o, p);
        status = sa_backward_stream(&bw, cfg->threads, err);
    }
    if (nan_rows)
        set_empty_rows(r, p, NAN, false);
    return status;
}

/* The backward pass after the forward pass p: g from dY. */
static sa_status backward(sa_grads *g, scratch *s, sa_result *r,
                          const sa_buffers *b, const sa_pass *p,
                          const float *dy, const float *x, const float *ctx,
                          const sa_weights *w, sa_error *err)
{
    const sa_config *cfg = p->cfg;
    size_t n = p->n, m = p->m, d = g->d, d_ctx = g->d_ctx, t = cfg->threads;
    size_t H = p->H, G = p->G, dh = p->dh, P = p->P, Pkv = p->Pkv;
    if (cfg->masked_rows_nan)  // the forward's NaN rows: nothing flows back
        set_empty_rows(r, p, 0.0f, true);
    const float *d_o = output_backward(g, s, dy, r->output, p->concat, p, w);
    sa_status status = attention_backward(g, s, r, p, d_o, err);
    if (status)
        return status;
    // RoPE turned Q and K: their gradients turn back
    if (cfg->rope) {
        sa_rope_transpose(s->dq, n, H, dh, P, cfg->rope_base, cfg->rope_neox);
        sa_rope_transpose(s->dk, m, G, dh, Pkv, cfg->rope_base, cfg->rope_neox);
    }
    // Q = X Wq + bq; K, V = C Wk, Wv + bk, bv with C = X (and its gradient
    // dX's) in self-attention; positions added to X pass dX unchanged
    const float *xp = b->x_pos ? b->x_pos : x, *c = ctx ? ctx : xp;
    float *dc = ctx ? g->dctx : g->dx;
    projection_backward(g->dw.wq, g->dw.bq, g->dx, false, xp, s->dq, w->wq, n,
                        d, P, t);
    projection_backward(g->dw.wk, g->dw.bk, dc, !ctx, c, s->dk, w->wk, m,
                        d_ctx, Pkv, t);
    projection_backward(g->dw.wv, g->dw.bv, dc, true, c, s->dv, w->wv, m,
                        d_ctx, Pkv, t);
    size_t bias_len = cfg->bias ? (cfg->bias_per_head ? H : 1) * n * m : 0;
    if (!grads_finite(g, p, bias_len))
        return sa_fail(err, SA_ERR_DATA, 0, 0, "the gradients overflow "
                       "float32; scale the input, weights or dY down");
    if (cfg->masked_rows_nan && r->n_empty_rows > 0)
        poison(g, r, p, ctx != NULL);
    g->flops_backward = 2.0 * ((w->wo ? 2.0 * n * P * w->d_out : 0.0) +
                               (sa_config_dense(cfg) ? 4.0 : 5.0) * H * n * m * dh +
                               2.0 * n * d * P + 4.0 * m * d_ctx * Pkv);
    return SA_OK;
}

sa_status sa_attention_grad(sa_result *r, sa_grads *g, const float *dy,
                            const float *x, size_t n, size_t d,
                            const float *ctx, size_t m, size_t d_ctx,
                            const sa_weights *w, const sa_config *cfg,
                            sa_error *err)
{
    sa_buffers b;
    sa_pass p;
    sa_config resolved;
    scratch s = {0};
    memset(g, 0, sizeof *g);
    if (ctx == x)  // the input as its own context: self-attention
        ctx = NULL;
    sa_status status = sa_forward_saving(r, &b, &p, &resolved, x, n, d, ctx,
                                         m, d_ctx, w, cfg, err);
    if (status)
        return status;
    double start = sa_seconds();
    if (!ctx)
        d_ctx = d;
    if ((status = scratch_new(&s, &p, !dy, w->wo != NULL, d, d_ctx, err)) ||
        (status = grads_new(g, &p, w, d, d_ctx, ctx != NULL, err)) ||
        (status = backward(g, &s, r, &b, &p, dy, x, ctx, w, err)))
        goto fail;
    g->seconds_backward = sa_seconds() - start;
    free(s.block);
    sa_buffers_free(&b);
    return SA_OK;
fail:
    free(s.block);
    sa_buffers_free(&b);
    sa_grads_free(g);
    sa_result_free(r);
    return status;
}
