/* attention.c — the forward pass of multi-head scaled dot-product
 * attention, step by step: positions, the projections Q, K and V, RoPE,
 * then per head the scores, softmax and values (the dense path,
 * attention_dense.c, when the weights are kept; otherwise the streaming
 * path, attention_stream.c), then the output projection.  Its memory is
 * planned in attention_buffers.c; the scores' modifiers are scores.c, the
 * softmax softmax.c.  The same computation as plain float64 loops, which
 * the tests hold this to, is tests/unit/naive.c.
 * Legend as in attention_internal.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attention_internal.h"

void sa_average_heads(float *avg, const float *weights, size_t heads,
                      size_t n, size_t m)
{
    // avg (n, m) = (1/H) sum_h weights[h] (n, m), summed in double
    for (size_t i = 0; i < n * m; i++) {
        double sum = 0.0;
        for (size_t h = 0; h < heads; h++)
            sum += weights[h * n * m + i];
        avg[i] = (float)(sum / (double)heads);
    }
}

void sa_project(float *y, const float *x, const float *w, const float *b,
                size_t rows, size_t inner, size_t cols, size_t threads)
{
    // Y = b in every row, then sgemm Y = 1 * X @ W + 1 * Y (rows across
    // threads): the bias costs the pass that clearing Y would
    if (b)
        for (size_t i = 0; i < rows; i++)
            memcpy(y + i * cols, b, cols * sizeof *y);
    sa_sgemm_rows(threads, CblasNoTrans, rows, cols, inner, 1.0f, x, inner, w,
                  cols, b ? 1.0f : 0.0f, y, cols);
}

/* Copies columns [first, first + dh) of src (rows, ld) into dst (rows, dh). */
static void copy_head(float *dst, const float *src, size_t rows, size_t dh,
                      size_t ld, size_t first)
{
    for (size_t i = 0; i < rows; i++)
        memcpy(dst + i * dh, src + i * ld + first, dh * sizeof *dst);
}

/* The shapes sa_weights_check promised, and the sizes the pass can index. */
static sa_status check_shapes(size_t n, size_t d, size_t m, size_t d_ctx,
                              const sa_weights *w, const sa_config *cfg,
                              sa_error *err)
{
    const size_t H = cfg->heads, G = cfg->kv_heads ? cfg->kv_heads : H;
    const size_t P = w->d_proj, dh = H ? P / H : 0, Pkv = G * dh;
    if (H == 0 || P % H != 0 || H % G != 0 || w->d_kv != Pkv ||
        d != w->d_model || d_ctx != w->d_kv_in || n == 0 || m == 0)
        return sa_fail(err, SA_ERR_INTERNAL, 0, 0,
                       "sa_attention_forward called with unchecked shapes");
    if (cfg->rope && dh % 2 != 0)
        return sa_fail(err, SA_ERR_USAGE, 0, 0,
                       "RoPE needs an even head width, not %zu", dh);
    if (n > INT32_MAX / 2 || m > INT32_MAX / 2 ||
        m > SIZE_MAX / sizeof(float) / n / H ||
        P + Pkv > SIZE_MAX / sizeof(float) / 2 / (n > m ? n : m))
        return sa_fail(err, SA_ERR_NOMEM, 0, 0,
                       "%zu x %zu attention is too large", n, m);
    return SA_OK;
}

/* The per-head Q, K and V of the steps, out of the projections. */
static void keep_steps(sa_result *r, const sa_pass *p)
{
    size_t n = p->n, m = p->m, dh = p->dh;
    for (size_t h = 0; h < p->H; h++) {
        size_t g = sa_kv_head(p, h);
        copy_head(r->q + h * n * dh, p->q, n, dh, p->P, h * dh);
        copy_head(r->k + h * m * dh, p->k, m, dh, p->Pkv, g * dh);
        copy_head(r->v + h * m * dh, p->v, m, dh, p->Pkv, g * dh);
        copy_head(r->head_output + h * n * dh, p->concat, n, dh, p->P, h * dh);
    }
    memcpy(r->concat, p->concat, n * p->P * sizeof *r->concat);
}

/* output (n, d_out) = concat (n, P) @ Wo (P, d_out) + bo, or concat + bo
 * without Wo (sa_span_output); over K and V in b's block when it fits
 * there, which the result then keeps. */
static void output_projection(sa_result *r, sa_buffers *b, const sa_weights *w,
                              size_t n, size_t threads)
{
    const size_t d_out = w->d_out;
    if (b->out_in_block)
        r->output = b->block;  // over K and V, before concat
    sa_span_output(r->output, b->concat, n, w, threads);
    if (b->out_in_block) {  // the result keeps the block's start
        float *shrunk = realloc(b->block, n * d_out * sizeof(float));
        r->output = shrunk ? shrunk : b->block;
        b->block = NULL;
    }
}

/* The finished result: no overflow (NaN only in the rows masked_rows_nan
 * empties), and the list of queries that saw no key. */
static sa_status finish(sa_result *r, const bool *empty, const sa_config *cfg,
                        sa_error *err)
{
    size_t n = r->n, d_out = r->d_out;
    bool finite = sa_all_finite(r->output, n * d_out);
    for (size_t i = 0; !finite && i < n * d_out; i++)
        if (!isfinite(r->output[i]) && !(cfg->masked_rows_nan && empty[i / d_out]))
            return sa_fail(err, SA_ERR_DATA, 0, 0, "the result overflows "
                           "float32 in query row %zu (counting from 0); scale "
                           "the input or weights down", i / d_out);
    r->empty_rows = malloc(n * sizeof *r->empty_rows);
    if (!r->empty_rows)
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
    for (size_t i = 0; i < n; i++)
        if (empty[i])
            r->empty_rows[r->n_empty_rows++] = i;
    return SA_OK;
}

/* Q, K and V of the pass p (into b) from x (n, d) and ctx (m, d_ctx):
 * positions, the projections, RoPE; SA_ERR_DATA if they overflow. */
static sa_status project_inputs(sa_buffers *b, const sa_pass *p,
                                const float *x, const float *ctx, size_t d,
                                size_t d_ctx, const sa_weights *w,
                                sa_error *err)
{
    const sa_config *cfg = p->cfg;
    const size_t n = p->n, m = p->m, P = p->P, Pkv = p->Pkv;
    const size_t threads = cfg->threads;

    // x (n, d) += PE (n, d): sinusoidal positions, on the keys' rows too
    if (b->x_pos) {
        memcpy(b->x_pos, x, n * d * sizeof(float));
        sa_sinusoidal(b->x_pos, n, d);
        if (ctx == x)
            ctx = b->x_pos;
        x = b->x_pos;
    }
    // Q (n, P) = x (n, d) @ Wq (d, P) + bq
    sa_project(b->q, x, w->wq, w->bq, n, d, P, threads);
    // K, V (m, Pkv) = ctx (m, d_ctx) @ Wk, Wv (d_ctx, Pkv) + bk, bv
    sa_project(b->k, ctx, w->wk, w->bk, m, d_ctx, Pkv, threads);
    sa_project(b->v, ctx, w->wv, w->bv, m, d_ctx, Pkv, threads);
    // RoPE: each head's q and k rotated by their row's position
    if (cfg->rope) {
        sa_rope(b->q, n, p->H, p->dh, P, cfg->rope_base, cfg->rope_neox);
        sa_rope(b->k, m, p->G, p->dh, Pkv, cfg->rope_base, cfg->rope_neox);
    }
    // a NaN in the scores would pass for a masked key: stop overflow here
    if (!sa_all_finite(b->q, n * P) || !sa_all_finite(b->k, m * Pkv) ||
        !sa_all_finite(b->v, m * Pkv))
        return sa_fail(err, SA_ERR_DATA, 0, 0, "the projections overflow "
                       "float32; scale the input or weights down");
    return SA_OK;
}

/* K and V back from the blocked layout the streaming path may leave them
 * in, for the backward pass. */
static sa_status unblock(sa_pass *p, size_t m, sa_error *err)
{
    float *tmp = malloc(SA_BLOCK * p->Pkv * sizeof *tmp);
    if (!tmp)
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
    size_t m16 = (m + SA_BLOCK - 1) / SA_BLOCK * SA_BLOCK;
    sa_unblock_keys(p->k, m16, p->Pkv, tmp);
    sa_unblock_values(p->v, m16, p->Pkv, tmp);
    p->blocked = false;
    free(tmp);
    return SA_OK;
}

/* The pass of sa_attention_forward into b, *pass and *resolved, which the
 * caller frees (b, and r on failure); with backward, b keeps what the
 * backward pass reads (sa_buffers_new). */
static sa_status forward(sa_result *r, sa_buffers *b, sa_pass *pass,
                         sa_config *resolved, bool backward, const float *x,
                         size_t n, size_t d, const float *ctx, size_t m,
                         size_t d_ctx, const sa_weights *w,
                         const sa_config *cfg, sa_error *err)
{
    sa_status status;

    memset(r, 0, sizeof *r);
    memset(b, 0, sizeof *b);
    if ((status = sa_config_check(cfg, err)))
        return status;
    const size_t H = cfg->heads, G = cfg->kv_heads ? cfg->kv_heads : H;
    const size_t P = w->d_proj, dh = H ? P / H : 0, Pkv = G * dh;
    const size_t threads = cfg->threads;
    if (!ctx) {  // self-attention: the keys come from the queries' rows
        ctx = x;
        m = n;
        d_ctx = d;
    }
    if ((status = check_shapes(n, d, m, d_ctx, w, cfg, err)) ||
        (status = sa_buffers_new(b, r, n, m, d, P, Pkv, w->d_out, cfg,
                                 backward, err)))
        return status;
    r->n = n;
    r->m = m;
    r->heads = H;
    r->d_head = dh;
    r->d_out = w->d_out;
    // the pass sees the scale the scores use (0 in cfg: 1/sqrt(dh))
    *resolved = *cfg;
    resolved->scale = sa_config_scale(cfg, dh);
    *pass = (sa_pass){resolved, n, m, H, G, dh, P, Pkv, b->q, b->k, b->v,
                      false, b->slopes, b->concat, b->empty, b->lse};
    double start = sa_seconds();

    // positions, Q (n, P), K and V (m, Pkv), RoPE
    if ((status = project_inputs(b, pass, x, ctx, d, d_ctx, w, err)))
        return status;
    sa_alibi_slopes(b->slopes, H);
    double projected = sa_seconds();

    // per head h, kv head g: O_h (n, dh) = softmax(scores(Q_h, K_g)) V_g,
    // into columns [h*dh, (h+1)*dh) of concat (n, P)
    status = sa_config_dense(cfg) ? sa_attend_dense(r, pass, err)
                                  : sa_attend_stream(pass, threads, err);
    if (status || (backward && pass->blocked && (status = unblock(pass, m, err))))
        return status;
    if (cfg->keep_steps)
        keep_steps(r, pass);
    double attended = sa_seconds();

    // output (n, d_out) = concat (n, P) @ Wo (P, d_out) + bo
    output_projection(r, b, w, n, threads);
    r->seconds_project = (projected - start) + (sa_seconds() - attended);
    r->seconds_attend = attended - projected;
    r->flops = 2.0 * ((double)n * d * P + 2.0 * m * d_ctx * Pkv +
                      (w->wo ? (double)n * P * w->d_out : 0.0) +
                      2.0 * (double)H * n * m * dh);
    return finish(r, b->empty, cfg, err);
}

sa_status sa_attention_forward(sa_result *r, const float *x, size_t n,
                               size_t d, const float *ctx, size_t m,
                               size_t d_ctx, const sa_weights *w,
                               const sa_config *cfg, sa_error *err)
{
    sa_buffers b;
    sa_pass pass;
    sa_config resolved;
    sa_status status = forward(r, &b, &pass, &resolved, false, x, n, d, ctx,
                               m, d_ctx, w, cfg, err);
    sa_buffers_free(&b);
    if (status)
        sa_result_free(r);
    return status;
}

sa_status sa_forward_saving(sa_result *r, sa_buffers *b, sa_pass *pass,
                            sa_config *resolved, const float *x, size_t n,
                            size_t d, const float *ctx, size_t m, size_t d_ctx,
                            const sa_weights *w, const sa_config *cfg,
                            sa_error *err)
{
    sa_status status = forward(r, b, pass, resolved, true, x, n, d, ctx, m,
                               d_ctx, w, cfg, err);
    if (status) {
        sa_buffers_free(b);
        sa_result_free(r);
    }
    return status;
}
