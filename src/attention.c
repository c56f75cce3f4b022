/* attention.c — multi-head scaled dot-product attention on BLAS, with the
 * variants of sa_config.  Legend: n = queries, m = keys, d = model width,
 * d_ctx = context width, H = heads, G = key/value heads, dh = head width,
 * P = H * dh, Pkv = G * dh, d_out = output width.  Row-major throughout. */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "selfattn.h"

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

/* Y (rows, cols) = X (rows, inner) @ W (inner, cols) + b (cols, or NULL) */
static void project(float *y, const float *x, const float *w, const float *b,
                    size_t rows, size_t inner, size_t cols)
{
    // sgemm: Y = 1 * X (NoTrans) @ W (NoTrans) + 0 * Y
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows,
                (int)cols, (int)inner, 1.0f, x, (int)inner, w, (int)cols,
                0.0f, y, (int)cols);
    if (b)
        for (size_t i = 0; i < rows; i++)
            for (size_t j = 0; j < cols; j++)
                y[i * cols + j] += b[j];
}

/* True if key j is visible to query i under causal, window and mask_row. */
static bool visible(const sa_config *cfg, const unsigned char *mask_row,
                    size_t i, size_t j)
{
    if (cfg->causal && j > i)
        return false;
    if (cfg->window >= 0 && (i > j ? i - j : j - i) > (size_t)cfg->window)
        return false;
    return !mask_row || mask_row[j];
}

/* Turns row i of the scores s (m) of head h into the softmax input: softcap,
 * ALiBi, bias, then masked keys become -INFINITY.  bias_row is (m) or NULL. */
static void finish_scores(float *s, size_t i, size_t m, const sa_config *cfg,
                          float slope, const float *bias_row,
                          const unsigned char *mask_row)
{
    for (size_t j = 0; j < m; j++) {
        float v = s[j];
        if (cfg->softcap > 0)
            v = cfg->softcap * tanhf(v / cfg->softcap);
        if (cfg->alibi)
            v -= slope * (float)(i > j ? i - j : j - i);
        if (bias_row)
            v += bias_row[j];
        s[j] = visible(cfg, mask_row, i, j) ? v : -INFINITY;
    }
}

/* Turns the softmax input s (m) into weights.  Returns false, leaving
 * zeros, if every key is masked. */
static bool softmax_row(float *s, size_t m)
{
    // pass 1: the maximum of the visible keys
    float max = -INFINITY;
    for (size_t j = 0; j < m; j++)
        if (s[j] > max)
            max = s[j];
    if (max == -INFINITY) {
        memset(s, 0, m * sizeof *s);
        return false;
    }
    // pass 2: exponentiate in float32, sum in double
    double sum = 0.0;
    for (size_t j = 0; j < m; j++) {
        float e = s[j] == -INFINITY ? 0.0f : expf(s[j] - max);
        s[j] = e;
        sum += e;
    }
    // pass 3: normalise
    for (size_t j = 0; j < m; j++)
        s[j] = (float)(s[j] / sum);
    return true;
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
    float *block = NULL, *scratch = NULL, *x_pos = NULL, *slopes = NULL;
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

    // one block for Q (n, P), concat (n, P), K and V (m, Pkv)
    size_t nm = n * m;
    block = malloc((2 * n * P + 2 * m * Pkv) * sizeof(float));
    r->output = malloc(n * d_out * sizeof(float));
    empty = calloc(n, sizeof *empty);
    slopes = malloc(H * sizeof *slopes);
    if (keep_all)
        r->weights = malloc(H * nm * sizeof(float));
    else
        scratch = malloc(nm * sizeof(float));
    if (cfg->keep_steps) {
        r->scores = malloc(H * nm * sizeof(float));
        r->q = malloc(H * n * dh * sizeof(float));
        r->k = malloc(H * m * dh * sizeof(float));
        r->v = malloc(H * m * dh * sizeof(float));
    }
    if (cfg->pos_sinusoidal)
        x_pos = malloc(n * d * sizeof(float));
    if (!block || !r->output || !empty || !slopes ||
        (keep_all ? !r->weights : !scratch) ||
        (cfg->keep_steps && (!r->scores || !r->q || !r->k || !r->v)) ||
        (cfg->pos_sinusoidal && !x_pos))
        goto nomem;
    float *q = block, *concat = q + n * P, *k = concat + n * P, *v = k + m * Pkv;

    // positions: x + PE, which is also the key source in self-attention
    if (x_pos) {
        memcpy(x_pos, x, n * d * sizeof(float));
        sa_sinusoidal(x_pos, n, d);
        if (ctx == x)
            ctx = x_pos;
        x = x_pos;
    }
    // Q (n, P) = x (n, d) @ Wq + bq ;  K, V (m, Pkv) = ctx (m, d_ctx) @ Wk, Wv + bk, bv
    project(q, x, w->wq, w->bq, n, d, P);
    project(k, ctx, w->wk, w->bk, m, d_ctx, Pkv);
    project(v, ctx, w->wv, w->bv, m, d_ctx, Pkv);
    if (cfg->rope) {
        sa_rope(q, n, H, dh, P, cfg->rope_base, cfg->rope_neox);
        sa_rope(k, m, G, dh, Pkv, cfg->rope_base, cfg->rope_neox);
    }
    sa_alibi_slopes(slopes, H);

    for (size_t h = 0; h < H; h++) {
        size_t g = h / (H / G);                               // kv head of h
        float *a = keep_all ? r->weights + h * nm : scratch;  // (n, m)
        const float *qh = q + h * dh, *kg = k + g * dh, *vg = v + g * dh;
        const float *bias = cfg->bias ? cfg->bias + (cfg->bias_per_head ? h * nm : 0)
                                      : NULL;
        // S (n, m) = scale * Q_h (n, dh; NoTrans) @ K_g^T (dh, m; Trans):
        // head h is columns [h*dh, (h+1)*dh) of Q (row stride P), kv head g
        // columns [g*dh, (g+1)*dh) of K (row stride Pkv)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)m,
                    (int)dh, cfg->scale, qh, (int)P, kg, (int)Pkv, 0.0f, a,
                    (int)m);
        for (size_t i = 0; i < n; i++) {
            float *row = a + i * m;
            finish_scores(row, i, m, cfg, slopes[h], bias ? bias + i * m : NULL,
                          cfg->mask ? cfg->mask + i * m : NULL);
            if (cfg->keep_steps)
                memcpy(r->scores + h * nm + i * m, row, m * sizeof *row);
            if (!softmax_row(row, m)) {
                empty[i] = true;
                if (cfg->masked_rows_nan)
                    for (size_t j = 0; j < m; j++)
                        row[j] = NAN;
            }
        }
        // O_h (n, dh) = A (n, m; NoTrans) @ V_g (m, dh; NoTrans), written
        // into columns [h*dh, (h+1)*dh) of concat (row stride P)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n,
                    (int)dh, (int)m, 1.0f, a, (int)m, vg, (int)Pkv, 0.0f,
                    concat + h * dh, (int)P);
        if (cfg->keep_steps) {
            copy_head(r->q + h * n * dh, q, n, dh, P, h * dh);
            copy_head(r->k + h * m * dh, k, m, dh, Pkv, g * dh);
            copy_head(r->v + h * m * dh, v, m, dh, Pkv, g * dh);
        }
    }

    // output (n, d_out) = concat (n, P) @ Wo (P, d_out) + bo, or concat + bo
    if (w->wo)
        project(r->output, concat, w->wo, w->bo, n, P, d_out);
    else
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < P; j++)
                r->output[i * P + j] = concat[i * P + j] + (w->bo ? w->bo[j] : 0.0f);

    // overflow check; NaN rows are expected only where masked_rows_nan put them
    for (size_t i = 0; i < n * d_out; i++)
        if (!isfinite(r->output[i]) && !(cfg->masked_rows_nan && empty[i / d_out])) {
            status = sa_fail(err, SA_ERR_DATA, 0, 0,
                             "the result overflows float32 in query row %zu "
                             "(counting from 0); scale the input or weights "
                             "down",
                             i / d_out);
            goto fail;
        }

    r->empty_rows = malloc(n * sizeof *r->empty_rows);
    if (!r->empty_rows)
        goto nomem;
    for (size_t i = 0; i < n; i++)
        if (empty[i])
            r->empty_rows[r->n_empty_rows++] = i;

    free(block);
    free(scratch);
    free(x_pos);
    free(slopes);
    free(empty);
    return SA_OK;

nomem:
    status = sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory for %zu x %zu "
                     "attention with %zu heads", n, m, H);
fail:
    free(block);
    free(scratch);
    free(x_pos);
    free(slopes);
    free(empty);
    sa_result_free(r);
    return status;
}
