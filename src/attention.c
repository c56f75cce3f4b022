/* attention.c — multi-head scaled dot-product self-attention on BLAS.
 * Legend: n = queries (= keys), d = model width, H = heads, dh = head
 * width, P = H * dh, d_out = output width.  Row-major throughout. */
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

void sa_average_heads(float *avg, const float *weights, size_t heads, size_t n)
{
    // avg (n, n) = (1/H) sum_h weights[h] (n, n), summed in double
    for (size_t i = 0; i < n * n; i++) {
        double sum = 0.0;
        for (size_t h = 0; h < heads; h++)
            sum += weights[h * n * n + i];
        avg[i] = (float)(sum / (double)heads);
    }
}

/* Y (n, P) = X (n, d) @ W (d, P) + b (P, or NULL) */
static void project(float *y, const float *x, const float *w, const float *b,
                    size_t n, size_t d, size_t P)
{
    // sgemm: Y = 1 * X (NoTrans) @ W (NoTrans) + 0 * Y
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)P,
                (int)d, 1.0f, x, (int)d, w, (int)P, 0.0f, y, (int)P);
    if (b)
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < P; j++)
                y[i * P + j] += b[j];
}

/* Masks row i of s (n) in place (hidden keys become -INFINITY), then turns
 * it into softmax weights.  Returns false, leaving zeros, if no key is
 * visible. */
static bool masked_softmax_row(float *s, size_t i, size_t n, bool causal,
                               const unsigned char *mask_row)
{
    // pass 1: hide masked keys, find the maximum of the visible ones
    float max = -INFINITY;
    for (size_t j = 0; j < n; j++) {
        if ((causal && j > i) || (mask_row && !mask_row[j]))
            s[j] = -INFINITY;
        else if (s[j] > max)
            max = s[j];
    }
    if (max == -INFINITY) {
        memset(s, 0, n * sizeof *s);
        return false;
    }
    // pass 2: exponentiate in float32, sum in double
    double sum = 0.0;
    for (size_t j = 0; j < n; j++) {
        float e = s[j] == -INFINITY ? 0.0f : expf(s[j] - max);
        s[j] = e;
        sum += e;
    }
    // pass 3: normalise
    for (size_t j = 0; j < n; j++)
        s[j] = (float)(s[j] / sum);
    return true;
}

sa_status sa_attention_forward(sa_result *r, const float *x, size_t n,
                               size_t d, const sa_weights *w,
                               const sa_config *cfg, sa_error *err)
{
    const size_t H = cfg->heads, P = w->d_proj, dh = P / H, d_out = w->d_out;
    const bool keep_all = cfg->keep_weights || cfg->keep_steps;
    float *q = NULL, *k = NULL, *v = NULL, *concat = NULL, *scratch = NULL;
    bool *empty = NULL;

    memset(r, 0, sizeof *r);
    if (H == 0 || P % H != 0 || d != w->d_model || n == 0)
        return sa_fail(err, SA_ERR_INTERNAL, 0, 0,
                       "sa_attention_forward called with unchecked shapes");
    if (n > SIZE_MAX / sizeof(float) / n / H || n > INT32_MAX / 2 ||
        P > SIZE_MAX / sizeof(float) / n)
        return sa_fail(err, SA_ERR_NOMEM, 0, 0,
                       "%zu x %zu attention is too large", n, n);
    r->n = n;
    r->heads = H;
    r->d_head = dh;
    r->d_out = d_out;

    // one scratch block: Q, K, V, concat (n, P) each, then scores
    size_t nP = n * P, nn = n * n;
    q = malloc(4 * nP * sizeof(float));
    r->output = malloc(n * d_out * sizeof(float));
    empty = calloc(n, sizeof *empty);
    if (keep_all)
        r->weights = malloc(H * nn * sizeof(float));
    else
        scratch = malloc(nn * sizeof(float));
    if (cfg->keep_steps) {
        r->scores = malloc(H * nn * sizeof(float));
        r->q = malloc(H * n * dh * sizeof(float));
        r->k = malloc(H * n * dh * sizeof(float));
        r->v = malloc(H * n * dh * sizeof(float));
    }
    if (!q || !r->output || !empty || (keep_all ? !r->weights : !scratch) ||
        (cfg->keep_steps && (!r->scores || !r->q || !r->k || !r->v)))
        goto nomem;
    k = q + nP;
    v = k + nP;
    concat = v + nP;

    // Q, K, V (n, P) = x (n, d) @ Wq, Wk, Wv (d, P) + biases
    project(q, x, w->wq, w->bq, n, d, P);
    project(k, x, w->wk, w->bk, n, d, P);
    project(v, x, w->wv, w->bv, n, d, P);

    for (size_t h = 0; h < H; h++) {
        float *a = keep_all ? r->weights + h * nn : scratch;   // (n, n)
        const float *qh = q + h * dh, *kh = k + h * dh, *vh = v + h * dh;
        // S (n, n) = scale * Q_h (n, dh; NoTrans) @ K_h^T (dh, n; Trans),
        // head h being columns [h*dh, (h+1)*dh) of Q and K, row stride P
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)n,
                    (int)dh, cfg->scale, qh, (int)P, kh, (int)P, 0.0f, a,
                    (int)n);
        for (size_t i = 0; i < n; i++) {
            float *row = a + i * n;
            const unsigned char *mask_row = cfg->mask ? cfg->mask + i * n : NULL;
            if (cfg->keep_steps) {
                // the softmax input, masked entries as -INFINITY
                float *srow = r->scores + h * nn + i * n;
                memcpy(srow, row, n * sizeof *row);
                for (size_t j = 0; j < n; j++)
                    if ((cfg->causal && j > i) || (mask_row && !mask_row[j]))
                        srow[j] = -INFINITY;
            }
            if (!masked_softmax_row(row, i, n, cfg->causal, mask_row))
                empty[i] = true;
        }
        // O_h (n, dh) = A (n, n; NoTrans) @ V_h (n, dh; NoTrans), written
        // into columns [h*dh, (h+1)*dh) of concat (row stride P)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n,
                    (int)dh, (int)n, 1.0f, a, (int)n, vh, (int)P, 0.0f,
                    concat + h * dh, (int)P);
        if (cfg->keep_steps)
            for (size_t i = 0; i < n; i++) {
                memcpy(r->q + (h * n + i) * dh, qh + i * P, dh * sizeof(float));
                memcpy(r->k + (h * n + i) * dh, kh + i * P, dh * sizeof(float));
                memcpy(r->v + (h * n + i) * dh, vh + i * P, dh * sizeof(float));
            }
    }

    // output (n, d_out) = concat (n, P) @ Wo (P, d_out) + bo, or concat + bo
    if (w->wo)
        project(r->output, concat, w->wo, w->bo, n, P, d_out);
    else
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < P; j++)
                r->output[i * P + j] = concat[i * P + j] + (w->bo ? w->bo[j] : 0.0f);

    for (size_t i = 0; i < n * d_out; i++)
        if (!isfinite(r->output[i])) {
            sa_fail(err, SA_ERR_DATA, 0, 0,
                    "the result overflows float32 (output row %zu); scale "
                    "the input or weights down", i / d_out + 1);
            goto fail;
        }

    r->empty_rows = malloc(n * sizeof *r->empty_rows);
    if (!r->empty_rows)
        goto nomem;
    for (size_t i = 0; i < n; i++)
        if (empty[i])
            r->empty_rows[r->n_empty_rows++] = i;

    free(q);
    free(scratch);
    free(empty);
    return SA_OK;

nomem:
    sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory for %zu x %zu attention "
            "with %zu heads", n, n, H);
fail:
    free(q);
    free(scratch);
    free(empty);
    sa_status status = err ? err->status : SA_ERR_NOMEM;
    sa_result_free(r);
    return status;
}
