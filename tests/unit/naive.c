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

/* What the forward pass computed, kept for the backward pass. */
typedef struct {
    size_t n, m, d, d_ctx, H, G, P, dh, Pkv, d_out;
    double scale;
    double *xd, *cd;      /* (n, d) input plus positions, (m, d_ctx) keys' rows */
    double *q, *k, *v;    /* (n, P), (m, Pkv) after RoPE */
    double *raw;          /* (H, n, m) scale q.k, before the softcap */
    double *a;            /* (H, n, m) weights */
    double *cat;          /* (n, P) heads' outputs */
    double *out;          /* (n, d_out) */
} naive_pass;

static void naive_pass_free(naive_pass *f)
{
    double *arrays[] = {f->xd, f->cd, f->q, f->k, f->v, f->raw, f->a, f->cat, f->out};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
        free(arrays[i]);
}

/* The forward pass into f; scores (H, n, m) gets the softmax input. */
static void naive_forward(naive_pass *f, double *scores, const float *x,
                          size_t n, size_t d, const float *ctx, size_t m,
                          size_t d_ctx, const sa_weights *w,
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
    *f = (naive_pass){n, m, d, d_ctx, H, G, P, dh, Pkv, d_out, scale,
                      malloc(n * d * sizeof(double)), malloc(m * d_ctx * sizeof(double)),
                      malloc(n * P * sizeof(double)), malloc(m * Pkv * sizeof(double)),
                      malloc(m * Pkv * sizeof(double)), malloc(H * n * m * sizeof(double)),
                      malloc(H * n * m * sizeof(double)), calloc(n * P, sizeof(double)),
                      malloc(n * d_out * sizeof(double))};
    double *xd = f->xd, *cd = f->cd, *q = f->q, *k = f->k, *v = f->v, *cat = f->cat;

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
            double *s = scores + (h * n + i) * m, *a = f->a + (h * n + i) * m;
            double *raw = f->raw + (h * n + i) * m;
            double max = -INFINITY, sum = 0;
            for (size_t j = 0; j < m; j++) {
                double dot = 0;
                for (size_t t = 0; t < dh; t++)
                    dot += q[i * P + h * dh + t] * k[j * Pkv + g * dh + t];
                double sc = raw[j] = scale * dot;
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
            f->out[i * d_out + j] = o;
        }
}

void naive_attention(double *out, double *weights, double *scores,
                     const float *x, size_t n, size_t d, const float *ctx,
                     size_t m, size_t d_ctx, const sa_weights *w,
                     const sa_config *cfg)
{
    naive_pass f;
    naive_forward(&f, scores, x, n, d, ctx, m, d_ctx, w, cfg);
    memcpy(out, f.out, f.n * f.d_out * sizeof *out);
    memcpy(weights, f.a, f.H * f.n * f.m * sizeof *weights);
    naive_pass_free(&f);
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

double naive_worst_scaled(const float *got, const double *want, size_t len,
                          double rtol, double atol, double *max_abs)
{
    double largest = 0;
    for (size_t i = 0; i < len; i++)
        if (isfinite(want[i]) && fabs(want[i]) > largest)
            largest = fabs(want[i]);
    double worst = 0;
    *max_abs = 0;
    for (size_t i = 0; i < len; i++) {
        if (!isfinite(want[i]) || !isfinite(got[i])) {
            bool same = (isnan(want[i]) && isnan(got[i])) || got[i] == want[i];
            if (!same)
                worst = INFINITY;
            continue;
        }
        double diff = fabs(got[i] - want[i]);
        if (diff / (atol + rtol * largest) > worst)
            worst = diff / (atol + rtol * largest);
        if (diff > *max_abs)
            *max_abs = diff;
    }
    return worst;
}

/* Turns the heads of row p of dy (heads * dh) back by RoPE's angles: the
 * transpose of naive_rope's rotation. */
static void naive_rope_back(double *row, size_t p, size_t heads, size_t dh,
                            double base, bool neox)
{
    for (size_t h = 0; h < heads; h++)
        for (size_t t = 0; t < dh / 2; t++) {
            double angle = (double)p * pow(base, -2.0 * (double)t / (double)dh);
            size_t a = h * dh + (neox ? t : 2 * t);
            size_t b = h * dh + (neox ? t + dh / 2 : 2 * t + 1);
            double ga = row[a], gb = row[b];
            row[a] = ga * cos(angle) + gb * sin(angle);
            row[b] = -ga * sin(angle) + gb * cos(angle);
        }
}

void naive_grads_free(naive_grads *g)
{
    double *arrays[] = {g->dx, g->dctx, g->dbias, g->dwq, g->dwk, g->dwv, g->dwo,
                        g->dbq, g->dbk, g->dbv, g->dbo, g->d_out, g->dq, g->dk,
                        g->dv, g->dp, g->ds};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
        free(arrays[i]);
    memset(g, 0, sizeof *g);
}

/* Y = A W + b backward, A (rows, in), W (in, out): dW += A^T dY, db +=
 * colsum dY, dA += dY W^T. */
static void naive_project_back(double *dw, double *db, double *da,
                               const double *a, const double *dy,
                               const float *w, size_t rows, size_t in, size_t out)
{
    for (size_t i = 0; i < rows; i++)
        for (size_t o = 0; o < out; o++) {
            double g = dy[i * out + o];
            db[o] += g;
            for (size_t t = 0; t < in; t++) {
                dw[t * out + o] += a[i * in + t] * g;
                da[i * in + t] += g * w[t * out + o];
            }
        }
}

/* One head h (kv head g) backward: the steps, and dq, dk, dv, dbias. */
static void naive_head_back(naive_grads *g, double *dq, double *dk, double *dv,
                            const double *dcat, const naive_pass *f,
                            const sa_config *cfg, size_t h)
{
    size_t n = f->n, m = f->m, dh = f->dh, P = f->P, Pkv = f->Pkv;
    size_t kv = h / (f->H / f->G), nm = n * m;
    const double *a = f->a + h * nm, *raw = f->raw + h * nm;
    double *dp = g->dp + h * nm, *ds = g->ds + h * nm;
    for (size_t i = 0; i < n; i++)
        for (size_t t = 0; t < dh; t++)
            g->d_out[(h * n + i) * dh + t] = dcat[i * P + h * dh + t];
    for (size_t i = 0; i < n; i++) {
        double dot = 0;
        for (size_t j = 0; j < m; j++) {
            double s = 0;
            for (size_t t = 0; t < dh; t++)
                s += dcat[i * P + h * dh + t] * f->v[j * Pkv + kv * dh + t];
            dp[i * m + j] = s;
            dot += s * a[i * m + j];
        }
        for (size_t j = 0; j < m; j++)
            ds[i * m + j] = a[i * m + j] * (dp[i * m + j] - dot);
    }
    if (g->dbias)
        for (size_t e = 0; e < nm; e++)
            g->dbias[(cfg->bias_per_head ? h * nm : 0) + e] += ds[e];
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < m; j++) {
            double dr = ds[i * m + j];
            if (cfg->softcap > 0) {
                double th = tanh(raw[i * m + j] / cfg->softcap);
                dr *= 1 - th * th;
            }
            for (size_t t = 0; t < dh; t++) {
                double qv = f->q[i * P + h * dh + t], kvv = f->k[j * Pkv + kv * dh + t];
                dq[i * P + h * dh + t] += f->scale * dr * kvv;
                g->dk[(h * m + j) * dh + t] += f->scale * dr * qv;
                g->dv[(h * m + j) * dh + t] += a[i * m + j] * dcat[i * P + h * dh + t];
            }
        }
    for (size_t j = 0; j < m; j++)
        for (size_t t = 0; t < dh; t++) {
            dk[j * Pkv + kv * dh + t] += g->dk[(h * m + j) * dh + t];
            dv[j * Pkv + kv * dh + t] += g->dv[(h * m + j) * dh + t];
        }
    for (size_t i = 0; i < n; i++)
        for (size_t t = 0; t < dh; t++)
            g->dq[(h * n + i) * dh + t] = dq[i * P + h * dh + t];
}

void naive_attention_backward(naive_grads *g, const float *dy, const float *x,
                              size_t n, size_t d, const float *ctx, size_t m,
                              size_t d_ctx, const sa_weights *w,
                              const sa_config *cfg)
{
    naive_pass f;
    double *scores_unused = malloc(cfg->heads * n * (ctx ? m : n) * sizeof(double));
    naive_forward(&f, scores_unused, x, n, d, ctx, m, d_ctx, w, cfg);
    free(scores_unused);
    m = f.m;
    d_ctx = f.d_ctx;
    size_t H = f.H, P = f.P, Pkv = f.Pkv, dh = f.dh, d_out = f.d_out, nm = n * m;
    memset(g, 0, sizeof *g);
#define ZEROS(len) calloc((len) + 1, sizeof(double))
    g->dx = ZEROS(n * d);
    g->dctx = ctx ? ZEROS(m * d_ctx) : NULL;
    g->dbias = cfg->bias ? ZEROS((cfg->bias_per_head ? H : 1) * nm) : NULL;
    g->dwq = ZEROS(d * P), g->dwk = ZEROS(d_ctx * Pkv), g->dwv = ZEROS(d_ctx * Pkv);
    g->dwo = ZEROS(P * d_out), g->dbq = ZEROS(P), g->dbk = ZEROS(Pkv);
    g->dbv = ZEROS(Pkv), g->dbo = ZEROS(d_out);
    g->d_out = ZEROS(H * n * dh), g->dq = ZEROS(H * n * dh);
    g->dk = ZEROS(H * m * dh), g->dv = ZEROS(H * m * dh);
    g->dp = ZEROS(H * nm), g->ds = ZEROS(H * nm);
    double *gy = ZEROS(n * d_out), *dcat = ZEROS(n * P), *dq = ZEROS(n * P);
    double *dk = ZEROS(m * Pkv), *dv = ZEROS(m * Pkv), *dcd = ZEROS(m * d_ctx);
#undef ZEROS

    // L = sum dY .* out; the output projection
    for (size_t i = 0; i < n * d_out; i++) {
        gy[i] = dy ? dy[i] : 1.0;
        g->loss += gy[i] * f.out[i];
    }
    if (w->wo) {
        naive_project_back(g->dwo, g->dbo, dcat, f.cat, gy, w->wo, n, P, d_out);
    } else {
        for (size_t i = 0; i < n * P; i++) {
            dcat[i] = gy[i];
            g->dbo[i % P] += gy[i];
        }
    }
    for (size_t h = 0; h < H; h++)
        naive_head_back(g, dq, dk, dv, dcat, &f, cfg, h);
    if (cfg->rope) {
        for (size_t i = 0; i < n; i++)
            naive_rope_back(dq + i * P, i, H, dh, cfg->rope_base, cfg->rope_neox);
        for (size_t j = 0; j < m; j++)
            naive_rope_back(dk + j * Pkv, j, f.G, dh, cfg->rope_base, cfg->rope_neox);
    }
    naive_project_back(g->dwq, g->dbq, g->dx, f.xd, dq, w->wq, n, d, P);
    naive_project_back(g->dwk, g->dbk, dcd, f.cd, dk, w->wk, m, d_ctx, Pkv);
    naive_project_back(g->dwv, g->dbv, dcd, f.cd, dv, w->wv, m, d_ctx, Pkv);
    for (size_t i = 0; i < m * d_ctx; i++) {
        if (ctx)
            g->dctx[i] = dcd[i];
        else
            g->dx[i] += dcd[i];  // the keys are the input's rows
    }
    free(gy);
    free(dcat);
    free(dq);
    free(dk);
    free(dv);
    free(dcd);
    naive_pass_free(&f);
}

double naive_loss(const float *dy, const float *x, size_t n, size_t d,
                  const float *ctx, size_t m, size_t d_ctx,
                  const sa_weights *w, const sa_config *cfg)
{
    naive_pass f;
    double *scores = malloc(cfg->heads * n * (ctx ? m : n) * sizeof(double));
    naive_forward(&f, scores, x, n, d, ctx, m, d_ctx, w, cfg);
    double loss = 0;
    for (size_t i = 0; i < n * f.d_out; i++)
        loss += (dy ? dy[i] : 1.0) * f.out[i];
    free(scores);
    naive_pass_free(&f);
    return loss;
}
