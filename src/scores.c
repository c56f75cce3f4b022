/* scores.c — from q.k to the softmax input, the same on both paths:
 *   s = scale*q.k -> softcap -> + ALiBi -> + bias -> mask -> softmax */
#include <math.h>

#include "attention_internal.h"

bool sa_scores_plain(const sa_config *cfg)
{
    return cfg->softcap <= 0 && !cfg->alibi && !cfg->bias && !cfg->mask &&
           !cfg->causal && cfg->window < 0;
}

void sa_finish_scores(float *s, size_t rows, size_t cols, size_t ld,
                      size_t i0, size_t j0, size_t h, const sa_pass *p)
{
    const sa_config *cfg = p->cfg;
    const float *bias = cfg->bias ? cfg->bias + (cfg->bias_per_head ? h * p->n * p->m : 0)
                                  : NULL;
    float slope = p->slopes[h];
    if (sa_scores_plain(cfg))
        return;  // nothing to do
    for (size_t r = 0; r < rows; r++) {
        size_t i = i0 + r;
        float *row = s + r * ld;
        if (cfg->softcap > 0)
            for (size_t c = 0; c < cols; c++)
                row[c] = cfg->softcap * tanhf(row[c] / cfg->softcap);
        if (cfg->alibi)
            for (size_t c = 0; c < cols; c++) {
                size_t j = j0 + c;
                row[c] -= slope * (float)(i > j ? i - j : j - i);
            }
        if (bias) {
            const float *bias_row = bias + i * p->m + j0;
            for (size_t c = 0; c < cols; c++)
                row[c] += bias_row[c];
        }
        // causal and window leave one visible range of keys [lo, hi)
        size_t lo = 0, hi = j0 + cols;
        if (cfg->causal && i + 1 < hi)
            hi = i + 1;
        if (cfg->window >= 0) {
            size_t w = (size_t)cfg->window;
            if (i > w && i - w > lo)
                lo = i - w;
            if (i + w + 1 < hi)
                hi = i + w + 1;
        }
        for (size_t c = 0; c < cols; c++) {
            size_t j = j0 + c;
            if (j < lo || j >= hi)
                row[c] = -INFINITY;
        }
        if (cfg->mask) {
            const unsigned char *mask_row = cfg->mask + i * p->m + j0;
            for (size_t c = 0; c < cols; c++)
                if (!mask_row[c])
                    row[c] = -INFINITY;
        }
    }
}

bool sa_scores_finite(const float *s, size_t rows, size_t cols, size_t ld,
                      size_t i0, size_t j0, const sa_pass *p)
{
    const sa_config *cfg = p->cfg;
    if (!cfg->causal && cfg->window < 0 && !cfg->mask) {
        for (size_t r = 0; r < rows; r++)
            if (!sa_all_finite(s + r * ld, cols))
                return false;
        return true;
    }
    // only the scores a query can see matter: a hidden overflow is masked
    for (size_t r = 0; r < rows; r++) {
        size_t i = i0 + r;
        const unsigned char *mask_row = cfg->mask ? cfg->mask + i * p->m + j0 : NULL;
        for (size_t c = 0; c < cols; c++) {
            size_t j = j0 + c;
            bool hidden = sa_key_hidden(cfg->causal, cfg->window, i, j) ||
                          (mask_row && !mask_row[c]);
            if (!hidden && !isfinite(s[r * ld + c]))
                return false;
        }
    }
    return true;
}

bool sa_tile_may_be_visible(size_t i0, size_t i1, size_t j0, size_t j1,
                            const sa_config *cfg)
{
    // queries [i0, i1), keys [j0, j1): the closest pair decides
    if (cfg->causal && j0 > i1 - 1)
        return false;  // every key is after every query
    if (cfg->window >= 0) {
        size_t w = (size_t)cfg->window;
        if (j0 > i1 - 1 && j0 - (i1 - 1) > w)
            return false;  // keys too far ahead
        if (i0 > j1 - 1 && i0 - (j1 - 1) > w)
            return false;  // keys too far behind
    }
    return true;
}
