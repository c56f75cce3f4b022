/* attention.c — multi-head scaled dot-product attention: the projections,
 * then the dense path (attention_dense.c, when the weights are kept) or the
 * streaming path (attention_stream.c), then the output projection.  Legend: n = queries, m = keys, d = model width,
 * d_ctx = context width, H = heads, G = key/value heads, dh = head width,
 * P = H * dh, Pkv = G * dh, d_out = output width.  Row-major throughout. */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attention_internal.h"

void sa_result_free(sa_result *r)
{
    free(r->output);
    free(r->weights);
    free(r->q);
    free(r->k);
    free(r->v);
    free(r->scores);
    free(r->empty_rows);
    memset(r, 0, sizeof *r);
}

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

/* Seconds on the monotonic clock. */
static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Y (rows, cols) = X (rows, inner) @ W (inner, cols) + b (cols, or NULL) */
static void project(float *y, const float *x, const float *w, const float *b,
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

sa_status sa_attention_forward(sa_result *r, const float *x, size_t n,
                               size_t d, const float *ctx, size_t m,
                               size_t d_ctx, const sa_weights *w,
                               const sa_config *cfg, sa_error *err)
{
    const size_t H = cfg->heads, G = cfg->kv_heads ? cfg->kv_heads : H;
    const size_t P = w->d_proj, dh = H ? P / H : 0, Pkv = G * dh;
    const size_t d_out = w->d_out;
    const bool keep_all = cfg->keep_weights || cfg->keep_steps;
    float *block = NULL, *x_pos = NULL, *slopes = NULL;
    bool *empty = NULL;
    sa_status status;

    memset(r, 0, sizeof *r);
    if (!ctx) {
        ctx = x;
        m = n;
        d_ctx = d;
    }
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
    r->n = n;
    r->m = m;
    r->heads = H;
    r->d_head = dh;
    r->d_out = d_out;

    // one block for K and V (m16, Pkv), Q (n, P) and concat (n, P; on the
    // streaming path the output of each query tile replaces its Q: none).
    // The output goes where K and V were when it fits there: on this
    // machine every MiB of memory not used before costs 2-3 ms (alloc.c)
    size_t nm = n * m, m16 = (m + SA_BLOCK - 1) / SA_BLOCK * SA_BLOCK;
    size_t concat_len = keep_all ? n * P : 0;
    bool out_in_block = n * d_out <= 2 * m16 * Pkv;
    block = sa_alloc_large((2 * m16 * Pkv + n * P + concat_len) * sizeof(float));
    if (!out_in_block)
        r->output = sa_alloc_large(n * d_out * sizeof(float));
    empty = calloc(n, sizeof *empty);
    slopes = malloc(H * sizeof *slopes);
    if (keep_all)
        r->weights = sa_alloc_large(H * nm * sizeof(float));
    if (cfg->keep_steps) {
        r->scores = sa_alloc_large(H * nm * sizeof(float));
        r->q = malloc(H * n * dh * sizeof(float));
        r->k = malloc(H * m * dh * sizeof(float));
        r->v = malloc(H * m * dh * sizeof(float));
    }
    if (cfg->pos_sinusoidal)
        x_pos = malloc(n * d * sizeof(float));
    if (!block || (!out_in_block && !r->output) || !empty || !slopes || (keep_all && !r->weights) ||
        (cfg->keep_steps && (!r->scores || !r->q || !r->k || !r->v)) ||
        (cfg->pos_sinusoidal && !x_pos))
        goto nomem;
    float *k = block, *v = k + m16 * Pkv, *q = v + m16 * Pkv;
    float *concat = keep_all ? q + n * P : q;
    memset(k + m * Pkv, 0, (m16 - m) * Pkv * sizeof *k);
    memset(v + m * Pkv, 0, (m16 - m) * Pkv * sizeof *v);

    double start = now();
    // positions: x + PE, which is also the key source in self-attention
    if (x_pos) {
        memcpy(x_pos, x, n * d * sizeof(float));
        sa_sinusoidal(x_pos, n, d);
        if (ctx == x)
            ctx = x_pos;
        x = x_pos;
    }
    // Q (n, P) = x (n, d) @ Wq + bq ;  K, V (m, Pkv) = ctx (m, d_ctx) @ Wk, Wv + bk, bv
    project(q, x, w->wq, w->bq, n, d, P, cfg->threads);
    project(k, ctx, w->wk, w->bk, m, d_ctx, Pkv, cfg->threads);
    project(v, ctx, w->wv, w->bv, m, d_ctx, Pkv, cfg->threads);
    if (cfg->rope) {
        sa_rope(q, n, H, dh, P, cfg->rope_base, cfg->rope_neox);
        sa_rope(k, m, G, dh, Pkv, cfg->rope_base, cfg->rope_neox);
    }
    sa_alibi_slopes(slopes, H);
    // a NaN in the scores would pass for a masked key: stop overflow here
    if (!sa_all_finite(q, n * P) || !sa_all_finite(k, m * Pkv) ||
        !sa_all_finite(v, m * Pkv)) {
        status = sa_fail(err, SA_ERR_DATA, 0, 0, "the projections overflow "
                         "float32; scale the input or weights down");
        goto fail;
    }

    double projected = now();
    sa_pass pass = {cfg, n, m, H, G, dh, P, Pkv, q, k, v, false, slopes, concat, empty};
    status = keep_all ? sa_attend_dense(r->weights, r->scores, &pass, err)
                      : sa_attend_stream(&pass, cfg->threads, err);
    if (status)
        goto fail;
    if (cfg->keep_steps)
        for (size_t h = 0; h < H; h++) {
            size_t g = sa_kv_head(&pass, h);
            copy_head(r->q + h * n * dh, q, n, dh, P, h * dh);
            copy_head(r->k + h * m * dh, k, m, dh, Pkv, g * dh);
            copy_head(r->v + h * m * dh, v, m, dh, Pkv, g * dh);
        }

    double attended = now();
    // output (n, d_out) = concat (n, P) @ Wo (P, d_out) + bo, or concat + bo
    if (out_in_block)
        r->output = block;  // over K and V, before concat
    if (w->wo)
        project(r->output, concat, w->wo, w->bo, n, P, d_out, cfg->threads);
    else
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < P; j++)
                r->output[i * P + j] = concat[i * P + j] + (w->bo ? w->bo[j] : 0.0f);
    if (out_in_block) {  // the result keeps the block's start
        float *shrunk = realloc(block, n * d_out * sizeof(float));
        r->output = shrunk ? shrunk : block;
        block = NULL;
    }

    r->seconds_project = (projected - start) + (now() - attended);
    r->seconds_attend = attended - projected;
    r->flops = 2.0 * ((double)n * d * P + 2.0 * m * d_ctx * Pkv +
                      (w->wo ? (double)n * P * d_out : 0.0) +
                      2.0 * (double)H * n * m * dh);

    // overflow check; NaN rows are expected only where masked_rows_nan put them
    bool finite = sa_all_finite(r->output, n * d_out);
    for (size_t i = 0; !finite && i < n * d_out; i++)
        if (!isfinite(r->output[i]) && !(cfg->masked_rows_nan && empty[i / d_out])) {
            status = sa_fail(err, SA_ERR_DATA, 0, 0,
                             "the result overflows float32 in query row %zu "
                             "(counting from 0); scale the input or weights "
                             "down", i / d_out);
            goto fail;
        }

    r->empty_rows = malloc(n * sizeof *r->empty_rows);
    if (!r->empty_rows)
        goto nomem;
    for (size_t i = 0; i < n; i++)
        if (empty[i])
            r->empty_rows[r->n_empty_rows++] = i;

    free(block);
    free(x_pos);
    free(slopes);
    free(empty);
    return SA_OK;

nomem:
    status = sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory for %zu x %zu "
                     "attention with %zu heads", n, m, H);
fail:
    free(block);
    free(x_pos);
    free(slopes);
    free(empty);
    sa_result_free(r);
    return status;
}
