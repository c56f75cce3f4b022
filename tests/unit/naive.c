/* naive.c — the float64 reference attention of the unit tests. */
#include <math.h>
#include <stdlib.h>

#include "naive.h"

void naive_attention(double *out, double *weights, double *scores,
                     const float *x, size_t n, size_t d, const sa_weights *w,
                     size_t heads, double scale, bool causal,
                     const unsigned char *mask)
{
    size_t P = w->d_proj, dh = P / heads, d_out = w->d_out;
    double *q = calloc(n * P, sizeof *q), *k = calloc(n * P, sizeof *k);
    double *v = calloc(n * P, sizeof *v), *cat = calloc(n * P, sizeof *cat);

    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < P; j++) {
            double sq = w->bq ? w->bq[j] : 0, sk = w->bk ? w->bk[j] : 0;
            double sv = w->bv ? w->bv[j] : 0;
            for (size_t t = 0; t < d; t++) {
                sq += (double)x[i * d + t] * w->wq[t * P + j];
                sk += (double)x[i * d + t] * w->wk[t * P + j];
                sv += (double)x[i * d + t] * w->wv[t * P + j];
            }
            q[i * P + j] = sq;
            k[i * P + j] = sk;
            v[i * P + j] = sv;
        }
    for (size_t h = 0; h < heads; h++)
        for (size_t i = 0; i < n; i++) {
            double *s = scores + (h * n + i) * n, *a = weights + (h * n + i) * n;
            double max = -INFINITY, sum = 0;
            for (size_t j = 0; j < n; j++) {
                bool visible = !(causal && j > i) && !(mask && !mask[i * n + j]);
                double dot = 0;
                for (size_t t = 0; t < dh; t++)
                    dot += q[i * P + h * dh + t] * k[j * P + h * dh + t];
                s[j] = visible ? scale * dot : -INFINITY;
                if (s[j] > max)
                    max = s[j];
            }
            for (size_t j = 0; j < n; j++) {
                a[j] = max == -INFINITY || s[j] == -INFINITY ? 0 : exp(s[j] - max);
                sum += a[j];
            }
            for (size_t j = 0; j < n; j++)
                a[j] = sum > 0 ? a[j] / sum : 0;
            for (size_t t = 0; t < dh; t++) {
                double o = 0;
                for (size_t j = 0; j < n; j++)
                    o += a[j] * v[j * P + h * dh + t];
                cat[i * P + h * dh + t] = o;
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
        double diff;
        if (isinf(want[i]) || isinf(got[i]))
            diff = got[i] == want[i] ? 0 : INFINITY;
        else
            diff = fabs(got[i] - want[i]);
        double ratio = diff / (atol + rtol * fabs(isinf(want[i]) ? 0 : want[i]));
        if (!(ratio <= worst))
            worst = ratio;  /* also catches NaN */
        if (!(diff <= *max_abs))
            *max_abs = diff;
    }
    return worst;
}
