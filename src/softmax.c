/* softmax.c — the softmax of a query's scores, whole (the dense path) or
 * a tile at a time with a running maximum and sum (the streaming path).
 * Both subtract the maximum before exp, so no exp overflows, and sum in
 * double (floats.c). */
#include <math.h>
#include <string.h>

#include "attention_internal.h"

bool sa_softmax_row(float *s, size_t m, float *exp_out, float *sum_out)
{
    // pass 1: the maximum of the visible keys
    float max = sa_max(s, m);
    if (max == -INFINITY) {
        memset(s, 0, m * sizeof *s);
        if (exp_out)
            memset(exp_out, 0, m * sizeof *exp_out);
        if (sum_out)
            *sum_out = 0.0f;
        return false;
    }
    // pass 2: exponentiate in float32, sum in double; pass 3: normalise
    double sum = sa_exp_shifted(s, m, max);
    if (exp_out)  // the steps keep what is normalised, and by what
        memcpy(exp_out, s, m * sizeof *exp_out);
    if (sum_out)
        *sum_out = (float)sum;
    float inv = (float)(1.0 / sum);
    for (size_t j = 0; j < m; j++)
        s[j] *= inv;
    return true;
}

bool sa_softmax_tile(float *s, size_t cols, float *row_max, double *row_sum,
                     float *acc, size_t dh, bool check_finite)
{
    // pass 1: this tile's maximum (and the overflow check)
    bool finite;
    float tile_max = sa_max_finite(s, cols, &finite);
    if (check_finite && !finite)
        return false;
    if (tile_max == -INFINITY) {
        memset(s, 0, cols * sizeof *s);  // nothing visible here
        return true;
    }
    // pass 2: a new maximum rescales what was summed so far
    float old = *row_max, max = old > tile_max ? old : tile_max;
    if (old != max && old != -INFINITY) {
        float alpha = expf(old - max);
        *row_sum *= alpha;
        for (size_t t = 0; t < dh; t++)
            acc[t] *= alpha;
    }
    *row_max = max;
    // pass 3: probabilities relative to the running maximum
    *row_sum += sa_exp_shifted(s, cols, max);
    return true;
}
