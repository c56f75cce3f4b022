/* heatmap.h — internal helpers the SVG and terminal pictures share. */
#ifndef SA_HEATMAP_H
#define SA_HEATMAP_H

#include "selfattn.h"

/* True if cell (i, j) of panel p is masked: not finite, or hidden by the
 * causal, window or mask settings of maps. */
bool sa_heatmap_masked(const sa_heatmaps *maps, const sa_panel *p, size_t i,
                       size_t j);

/* The range of the unmasked values of every panel; it starts at 0 when
 * every value is positive and the smallest is under half the largest (or
 * all are equal), and is never empty. */
void sa_heatmap_range(const sa_heatmaps *maps, float *lo, float *hi);

/* v's place in [lo, hi] as 0 to 1. */
float sa_heatmap_position(float v, float lo, float hi);

/* Label i: labels[i], or the index when labels is NULL. */
void sa_heatmap_label(char *buf, size_t size, char *const *labels, size_t i);

#endif
