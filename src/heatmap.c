/* heatmap.c — what every picture shares: the viridis colour map, which
 * cells are masked, the colour scale and its legend's numbers, the
 * nearest xterm colour, and heatmaps from a report (a batch's sequence
 * after sequence). */
#include <float.h>
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

/* The levels of each channel in xterm's 6 x 6 x 6 colour cube. */
static const int cube_levels[6] = {0, 95, 135, 175, 215, 255};

/* The index (0 to 5) of the cube level nearest to c; of two as near, the
 * lower. */
static int cube_level(int c)
{
    int k = 0;
    while (k < 5 && 2 * c > cube_levels[k] + cube_levels[k + 1])
        k++;
    return k;
}

unsigned sa_xterm256(uint32_t rgb)
{
    int c[3] = {(int)(rgb >> 16) & 0xff, (int)(rgb >> 8) & 0xff, (int)rgb & 0xff};
    // the cube is a grid: its nearest colour has the nearest level of each
    // channel (and the lowest index of equals: the lower levels)
    int level[3], best_dist = 0;
    for (int ch = 0; ch < 3; ch++) {
        level[ch] = cube_level(c[ch]);
        int d = c[ch] - cube_levels[level[ch]];
        best_dist += d * d;
    }
    unsigned best = 16 + 36 * (unsigned)level[0] + 6 * (unsigned)level[1] +
                    (unsigned)level[2];
    // the grey ramp, 8 + 10 k, comes after the cube: only a nearer grey wins
    for (int k = 0; k < 24; k++) {
        int dist = 0;
        for (int ch = 0; ch < 3; ch++)
            dist += (c[ch] - (8 + 10 * k)) * (c[ch] - (8 + 10 * k));
        if (dist < best_dist) {
            best = 232 + (unsigned)k;
            best_dist = dist;
        }
    }
    return best;
}

bool sa_heatmap_masked(const sa_heatmaps *maps, const sa_panel *p, size_t i,
                       size_t j)
{
    if (!isfinite(p->data[i * p->cols + j]))
        return true;
    if (p->run ? sa_key_hidden(p->run->causal, p->run->window, i, j)
               : sa_key_hidden(maps->causal, maps->window, i, j))
        return true;
    const unsigned char *mask = p->mask ? p->mask : maps->mask;
    return mask && !mask[i * p->cols + j];
}

char *const *sa_panel_row_labels(const sa_heatmaps *maps, const sa_panel *p)
{
    return p->run ? p->run->row_labels : maps->row_labels;
}

char *const *sa_panel_col_labels(const sa_heatmaps *maps, const sa_panel *p)
{
    return p->run ? p->run->col_labels : maps->col_labels;
}

/* Makes the empty range [lo, hi] (lo >= hi) one wide: up from lo, or
 * down from hi (down); by 1, or where 1 is lost in rounding (|x| of 2^24
 * and more) by the next float, staying finite. */
static void widen(float *lo, float *hi, bool down)
{
    if (down)
        *lo = *hi - 1.0f;
    else
        *hi = *lo + 1.0f;
    if (*lo < *hi)
        return;
    if (down)
        *lo = nextafterf(*hi, -INFINITY);
    else
        *hi = nextafterf(*lo, INFINITY);
    if (isinf(*lo)) {             /* hi was -FLT_MAX */
        *lo = -FLT_MAX;
        *hi = nextafterf(*lo, 0.0f);
    } else if (isinf(*hi)) {      /* lo was FLT_MAX */
        *hi = FLT_MAX;
        *lo = nextafterf(*hi, 0.0f);
    }
}

void sa_heatmap_range(sa_heatmap_scale *s, const sa_heatmaps *maps)
{
    float lo = INFINITY, hi = -INFINITY;
    for (size_t k = 0; k < maps->count; k++) {
        const sa_panel *p = &maps->panels[k];
        for (size_t i = 0; i < p->rows; i++)
            for (size_t j = 0; j < p->cols; j++)
                if (!sa_heatmap_masked(maps, p, i, j)) {
                    float v = p->data[i * p->cols + j];
                    lo = v < lo ? v : lo;
                    hi = v > hi ? v : hi;
                }
    }
    bool any = lo <= hi;
    float data_lo = lo, data_hi = hi;
    if (!any)
        lo = hi = 0.0f;   /* everything masked */
    if (lo > 0.0f && (lo < 0.5f * hi || lo == hi))
        lo = 0.0f;        /* weights: start the scale at 0 */
    const sa_color_limits *limits = &maps->limits;
    s->lo = limits->has_min ? limits->min : lo;
    s->hi = limits->has_max ? limits->max : hi;
    if (!(s->lo < s->hi))  /* all equal, or the values on one side of a fixed end */
        widen(&s->lo, &s->hi, limits->has_max && !limits->has_min);
    s->below = any && data_lo < s->lo;
    s->above = any && data_hi > s->hi;
}

float sa_heatmap_position(float v, float lo, float hi)
{
    double t = ((double)v - lo) / ((double)hi - lo);
    return t > 0.0 ? (t < 1.0 ? (float)t : 1.0f) : 0.0f;
}

void sa_heatmap_number(char *buf, float v)
{
    if (v != 0.0f) {
        // v = m * 10^e with 1 <= |m| < 10: keep m's first 3 digits, through
        // a power of ten that is exact in a double where it can be
        double e = floor(log10(fabs((double)v))), rounded;
        if (e <= 2.0) {
            double scale = pow(10.0, 2.0 - e);
            rounded = round((double)v * scale) / scale;
        } else {
            double unit = pow(10.0, e - 2.0);
            rounded = round((double)v / unit) * unit;
        }
        if (isfinite((float)rounded))
            v = (float)rounded;
    } else {
        v = 0.0f;   /* a legend has no -0 */
    }
    sa_format_float(buf, v);
}

void sa_heatmap_end(char *buf, const sa_heatmap_scale *s, bool high)
{
    bool clamped = high ? s->above : s->below;
    char num[32];
    sa_heatmap_number(num, high ? s->hi : s->lo);
    snprintf(buf, 40, "%s%s", clamped ? (high ? "\xE2\x89\xA5 " : "\xE2\x89\xA4 ") : "",
             num);
}

void sa_heatmap_label(char *buf, size_t size, char *const *labels, size_t i)
{
    if (labels)
        snprintf(buf, size, "%s", labels[i]);
    else
        snprintf(buf, size, "%zu", i);
}

/* Fills panels from k on with what the one-sequence report r prints as
 * weights, sequence (from 1) in their titles unless 0, mask (or NULL) as
 * their own; returns the next k. */
static size_t sequence_panels(sa_panel *panels, size_t k, const sa_report *r,
                              size_t sequence, const unsigned char *mask)
{
    const sa_result *res = r->result;
    size_t n = res->n, m = res->m, first, count;
    char in[32] = "";
    if (sequence)
        snprintf(in, sizeof in, "sequence %zu, ", sequence);
    sa_report_heads(&first, &count, r);
    for (size_t h = first; r->print_weights && h < first + count; h++, k++) {
        panels[k] = (sa_panel){.rows = n, .cols = m,
                               .data = res->weights + h * n * m, .mask = mask};
        snprintf(panels[k].title, sizeof panels[k].title, "%shead %zu", in, h + 1);
    }
    if (r->average_heads) {
        panels[k] = (sa_panel){.rows = n, .cols = m, .data = r->average, .mask = mask};
        snprintf(panels[k].title, sizeof panels[k].title, "%saverage of %zu heads",
                 in, res->heads);
        k++;
    }
    return k;
}

void sa_report_maps_frame(sa_heatmaps *maps, sa_panel *panels,
                          const sa_report *r, const char *caption)
{
    memset(maps, 0, sizeof *maps);
    maps->panels = panels;
    maps->caption = caption;
    maps->row_labels = r->tokens;
    maps->col_labels = r->context_name ? r->key_tokens : r->tokens;
    maps->causal = r->config->causal;
    maps->window = r->config->window;
    maps->mask = r->config->mask;
    maps->limits = r->limits;
}

void sa_report_heatmaps(sa_heatmaps *maps, sa_panel *panels,
                        const sa_report *r)
{
    sa_report_maps_frame(maps, panels, r, "weights");
    size_t k = 0, sequences = sa_report_sequences(r);
    for (size_t s = 0; s < sequences; s++) {
        sa_sequence_view v;
        sa_report_sequence(&v, r, s);
        k = sequence_panels(panels, k, &v.report, r->batch ? s + 1 : 0,
                            r->masks ? v.config.mask : NULL);
    }
    maps->count = k;
    // a batch's sequences one to a row, when each has several panels
    maps->columns = r->batch && k / sequences > 1 ? k / sequences : 0;
}
