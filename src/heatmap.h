/* heatmap.h — internal helpers the SVG and terminal pictures share. */
#ifndef SA_HEATMAP_H
#define SA_HEATMAP_H

#include "selfattn.h"

/* True if cell (i, j) of panel p is masked: not finite, or hidden by the
 * causal, window or mask settings of maps. */
bool sa_heatmap_masked(const sa_heatmaps *maps, const sa_panel *p, size_t i,
                       size_t j);

/* The row (query) and column (key) labels of panel p: its run's, or
 * maps's; NULL means indices. */
char *const *sa_panel_row_labels(const sa_heatmaps *maps, const sa_panel *p);
char *const *sa_panel_col_labels(const sa_heatmaps *maps, const sa_panel *p);

/* A picture's colour scale: lo is viridis 0 and hi viridis 1; below and
 * above say that some unmasked value lies beyond that end, and is drawn in
 * its colour (clamped). */
typedef struct {
    float lo, hi;       /* finite, lo < hi */
    bool below, above;
} sa_heatmap_scale;

/* The scale of maps: the ends maps->limits fixes, the others from the
 * unmasked values of every panel, their smallest and largest; the low end
 * starts at 0 when every value is positive and the smallest is under half
 * the largest (or all are equal).  An empty range [x, x] becomes [x, x + 1]
 * (or [x - 1, x] when only the top is fixed), and is never empty. */
void sa_heatmap_range(sa_heatmap_scale *s, const sa_heatmaps *maps);

/* v's place on the scale from lo to hi (lo < hi) as 0 to 1; values beyond
 * an end are clamped to it. */
float sa_heatmap_position(float v, float lo, float hi);

/* The finite v rounded to 3 significant digits, in the shortest text that
 * reads back as that float ("0.0903", "-1.5", "1e-07", "12300"), into buf
 * (at least 32 bytes): the legends' numbers. */
void sa_heatmap_number(char *buf, float v);

/* The legend's text for the low (high false) or high end of s into buf
 * (at least 40 bytes): its number, after "≤ " or "≥ " when values
 * beyond it are clamped. */
void sa_heatmap_end(char *buf, const sa_heatmap_scale *s, bool high);

/* Label i: labels[i], or the index when labels is NULL. */
void sa_heatmap_label(char *buf, size_t size, char *const *labels, size_t i);

#endif
