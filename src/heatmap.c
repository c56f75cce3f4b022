/* heatmap.c — what every picture shares: the viridis colour map, which
 * cells are masked, the value range, and heatmaps from a report. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "heatmap.h"
#include "report.h"

uint32_t sa_viridis(float t)
{
    /* matplotlib's viridis at 0, 0.1, ..., 1, interpolated linearly */
    static const uint32_t stops[11] = {
        0x440154, 0x482475, 0x414487, 0x355f8d, 0x2a788e, 0x21918c,
        0x22a884, 0x44bf70, 0x7ad151, 0xbddf26, 0xfde725,
    };
    if (!(t > 0.0f))
        t = 0.0f;
    if (t > 1.0f)
        t = 1.0f;
    float x = t * 10.0f;
    int k = x >= 10.0f ? 9 : (int)x;
    float f = x - (float)k;
    uint32_t a = stops[k], b = stops[k + 1], rgb = 0;
    for (int shift = 16; shift >= 0; shift -= 8) {
        float ca = (float)((a >> shift) & 0xff), cb = (float)((b >> shift) & 0xff);
        rgb |= (uint32_t)lrintf(ca + f * (cb - ca)) << shift;
    }
    return rgb;
}

bool sa_heatmap_masked(const sa_heatmaps *maps, const sa_panel *p, size_t i,
                       size_t j)
{
    if (!isfinite(p->data[i * p->cols + j]))
        return true;
    if (sa_key_hidden(maps->causal, maps->window, i, j))
        return true;
    return maps->mask && !maps->mask[i * p->cols + j];
}

void sa_heatmap_range(const sa_heatmaps *maps, float *lo, float *hi)
{
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t k = 0; k < maps->count; k++) {
        const sa_panel *p = &maps->panels[k];
        for (size_t i = 0; i < p->rows; i++)
            for (size_t j = 0; j < p->cols; j++)
                if (!sa_heatmap_masked(maps, p, i, j)) {
                    float v = p->data[i * p->cols + j];
                    *lo = v < *lo ? v : *lo;
                    *hi = v > *hi ? v : *hi;
                }
    }
    if (*lo > *hi)
        *lo = *hi = 0.0f;   /* everything masked */
    if (*lo > 0.0f && (*lo < 0.5f * *hi || *lo == *hi))
        *lo = 0.0f;         /* weights: start the scale at 0 */
    if (*hi == *lo)
        *hi = *lo + 1.0f;   /* all equal and not positive */
}

float sa_heatmap_position(float v, float lo, float hi)
{
    return (v - lo) / (hi - lo);
}

void sa_heatmap_label(char *buf, size_t size, char *const *labels, size_t i)
{
    if (labels)
        snprintf(buf, size, "%s", labels[i]);
    else
        snprintf(buf, size, "%zu", i);
}

void sa_report_heatmaps(sa_heatmaps *maps, sa_panel *panels,
                        const sa_report *r)
{
    const sa_result *res = r->result;
    size_t n = res->n, m = res->m;
    memset(maps, 0, sizeof *maps);
    maps->panels = panels;
    maps->caption = "weights";
    maps->row_labels = r->tokens;
    maps->col_labels = r->context_name ? r->key_tokens : r->tokens;
    maps->causal = r->config->causal;
    maps->window = r->config->window;
    maps->mask = r->config->mask;
    size_t first, count, k = 0;
    sa_report_heads(&first, &count, r);
    for (size_t h = first; r->print_weights && h < first + count; h++, k++) {
        panels[k] = (sa_panel){"", n, m, res->weights + h * n * m};
        snprintf(panels[k].title, sizeof panels[k].title, "head %zu", h + 1);
    }
    if (r->average_heads) {
        panels[k] = (sa_panel){"", n, m, r->average};
        snprintf(panels[k].title, sizeof panels[k].title, "average of %zu heads",
                 res->heads);
        k++;
    }
    maps->count = k;
}
