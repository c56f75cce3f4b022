/* naive.c — the float64 reference attention of the unit tests. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "naive.h"

/* y (rows, cols) = x (rows, inner) W (inner, cols) + b, in double. */
static void naive_project(double *y, const double *x, const float *w,
                          const float *b, size_t rows, size_t inner, size_t cols)
{
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++) {
            double s = b ? b[j] : 0;
            for (size_t t = 0; t < inner; t++)
                s += x[i * inner + t] * w[t * cols + j];
            y[i * cols + j] = s;
        }
}

/* Rotates the heads of row p of y (heads * dh) by RoPE. */
static void naive_rope(double *row, size_t p, size_t heads, size_t dh,
                       double base, bool neox)
{
    for (size_t h = 0; h < heads; h++)
        for (size_t t = 0; t < dh / 2; t++) {
            double angle = (double)p * pow(base, -2.0 * (double)t / (double)dh);
            size_t a = h * dh + (neox ? t : 2 * t);
            size_t b = h * dh + (neox ? t + dh / 2 : 2 * t + 1);
            double xa = row[a], xb = row[b];
            row[a] = xa * cos(angle) - xb * sin(angle);
            row[b] = xa * sin(angle) + xb * cos(angle);
        }
}

/* ALiBi slope of head h of H: the geometric sequence of the paper. */
static double naive_slope(size_t h, size_t H)
{
    size_t n2 = 1;
    while (n2 * 2 <= H)
        n2 *= 2;
    if (h < n2)
        return pow(2.0, -8.0 * (double)(h + 1) / (double)n2);
    return pow(2.0, -8.0 * (double)(2 * (h - n2) + 1) / (double)(2 * n2));
}

void naive_attention(double *out, double *weights, double *scores,
                     const float *x, size_t n, size_t d, const float *ctx,
                     size_t m, size_t d_ctx, const sa_weights *w,
                     const sa_config *cfg)
{
    size_t H = cfg->heads, G = cfg->kv_heads ? cfg->kv_heads : H;
    size_t P = w->d_proj, dh = P / H, Pkv = G * dh, d_out = w->d_out;
    double scale = cfg->scale != 0 ? cfg->scale : 1.0 / sqrt((double)dh);
    bool self = ctx == NULL;
    if (self) {
        m = n;
        d_ctx = d;
    }
    double *xd = malloc(n * d * sizeof *xd), *cd = malloc(m * d_ctx * sizeof *cd);
    double *q = malloc(n * P * sizeof *q), *cat = calloc(n * P, sizeof *cat);
    double *k = malloc(m * Pkv * sizeof *k), *v = malloc(m * Pkv * sizeof *v);

    for (size_t p = 0; p < n; p++)
        for (size_t c = 0; c < d; c++) {
            double pe = 0;
            if (cfg->pos_sinusoidal) {
                double angle = (double)p / pow(10000.0, (double)(c / 2 * 2) / (double)d);
                pe = c % 2 ? cos(angle) : sin(angle);
            }
            xd[p * d + c] = x[p * d + c] + pe;
        }
    for (size_t i = 0; i < m * d_ctx; i++)
        cd[i] = self ? xd[i] : ctx[i];
    naive_project(q, xd, w->wq, w->bq, n, d, P);
    naive_project(k, cd, w->wk, w->bk, m, d_ctx, Pkv);
    naive_project(v, cd, w->wv, w->bv, m, d_ctx, Pkv);
    if (cfg->rope) {
        for (size_t i = 0; i < n; i++)
            naive_rope(q + i * P, i, H, dh, cfg->rope_base, cfg->rope_neox);
        for (size_t j = 0; j < m; j++)
            naive_rope(k + j * Pkv, j, G, dh, cfg->rope_base, cfg->rope_neox);
    }

    for (size_t h = 0; h < H; h++) {
        size_t g = h / (H / G);
        for (size_t i = 0; i < n; i++) {
            double *s = scores + (h * n + i) * m, *a = weights + (h * n + i) * m;
            double max = -INFINITY, sum = 0;
            for (size_t j = 0; j < m; j++) {
                double dot = 0;
                for (size_t t = 0; t < dh; t++)
                    dot += q[i * P + h * dh + t] * k[j * Pkv + g * dh + t];
                double sc = scale * dot;
                if (cfg->softcap > 0)
                    sc = cfg->softcap * tanh(sc / cfg->softcap);
                if (cfg->alibi)
                    sc -= naive_slope(h, H) * fabs((double)i - (double)j);
                if (cfg->bias)
                    sc += cfg->bias[(cfg->bias_per_head ? h * n * m : 0) + i * m + j];
                bool visible = !(cfg->causal && j > i) &&
                    !(cfg->window >= 0 && fabs((double)i - (double)j) > (double)cfg->window) &&
                    !(cfg->mask && !cfg->mask[i * m + j]);
                s[j] = visible ? sc : -INFINITY;
                if (s[j] > max)
                    max = s[j];
            }
            for (size_t j = 0; j < m; j++) {
                a[j] = max == -INFINITY || s[j] == -INFINITY ? 0 : exp(s[j] - max);
                sum += a[j];
            }
            for (size_t j = 0; j < m; j++)
                a[j] = sum > 0 ? a[j] / sum : (cfg->masked_rows_nan ? NAN : 0);
            for (size_t t = 0; t < dh; t++) {
                double o = 0;
                for (size_t j = 0; j < m; j++)
                    o += a[j] * v[j * Pkv + g * dh + t];
                cat[i * P + h * dh + t] = o;
            }
        }
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d_out; j++) {
            double o = w->bo ? w->bo[j] : 0;
            if (w->wo)
                for (size_t t = 0; t < P; t++)
                    o += cat[i * P + t] * w->wo[t * d_out + j];
            else
                o += cat[i * P + j];
            out[i * d_out + j] = o;
        }
    free(xd);
    free(cd);
    free(q);
    free(k);
    free(v);
    free(cat);
}

double naive_worst(const float *got, const double *want, size_t len,
                   double rtol, double atol, double *max_abs)
{
    double worst = 0;
    *max_abs = 0;
    for (size_t i = 0; i < len; i++) {
        if (isnan(want[i]) || isinf(want[i]) || !isfinite(got[i])) {
            bool same = (isnan(want[i]) && isnan(got[i])) || got[i] == want[i];
            if (!same)
                worst = INFINITY;
            continue;
        }
        double diff = fabs(got[i] - want[i]);
        double ratio = diff / (atol + rtol * fabs(want[i]));
        if (ratio > worst)
            worst = ratio;
        if (diff > *max_abs)
            *max_abs = diff;
    }
    return worst;
}
