/* write_heatmap.c — heatmaps in a terminal: two characters per cell, 24-bit
 * or xterm-256 background colours, or the shades " ░▒▓█" without colour,
 * token labels on the rows, key indices on the columns and a legend with
 * the range. */
#include <math.h>
#include <string.h>

#include "buffer.h"
#include "format.h"
#include "heatmap.h"

static const char *const shades[5] = {" ", "\xE2\x96\x91", "\xE2\x96\x92",
                                      "\xE2\x96\x93", "\xE2\x96\x88"};

/* The grey of masked cells. */
#define MASKED_RGB 0x5a5a5au

/* Starts a background of colour rgb, in 24-bit or the nearest of xterm's
 * 256. */
static void background(sa_buffer *out, uint32_t rgb, sa_colors colors)
{
    if (colors == SA_COLORS_24BIT)
        sa_buffer_printf(out, "\x1b[48;2;%u;%u;%um", (unsigned)(rgb >> 16),
                (unsigned)((rgb >> 8) & 0xff), (unsigned)(rgb & 0xff));
    else
        sa_buffer_printf(out, "\x1b[48;5;%um", sa_xterm256(rgb));
}

/* Writes one cell of value position t in [0, 1] (negative: masked). */
static void cell(sa_buffer *out, float t, sa_colors colors)
{
    if (t < 0) {
        if (colors != SA_COLORS_NONE)
            background(out, MASKED_RGB, colors);
        sa_buffer_puts(out, colors != SA_COLORS_NONE ? "\xC2\xB7\xC2\xB7\x1b[0m"
                                                     : "\xC2\xB7\xC2\xB7");
        return;
    }
    if (colors != SA_COLORS_NONE) {
        background(out, sa_viridis(t), colors);
        sa_buffer_puts(out, "  \x1b[0m");
        return;
    }
    int s = (int)lrintf(t * 4.0f);
    sa_buffer_puts(out, shades[s]);
    sa_buffer_puts(out, shades[s]);
}

/* Width of label text in code points, at most 16 shown. */
static size_t shown(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w > 16 ? 16 : w;
}

/* True if labels a and b (count each) are the same texts. */
static bool same_labels(char *const *a, char *const *b, size_t count)
{
    if (!a || !b)
        return a == b;
    for (size_t j = 0; j < count; j++)
        if (strcmp(a[j], b[j]) != 0)
            return false;
    return true;
}

/* The keys by index, after the last panel that has them (panel k, of
 * labels keys) before one with other keys or the end. */
static void write_keys(sa_buffer *out, const sa_heatmaps *maps, size_t k,
                       char *const *keys)
{
    const sa_panel *p = &maps->panels[k], *next = &maps->panels[k + 1];
    if (!keys || (k + 1 < maps->count && next->cols == p->cols &&
                  same_labels(keys, sa_panel_col_labels(maps, next), p->cols)))
        return;
    sa_buffer_puts(out, "keys:");
    for (size_t j = 0; j < p->cols; j++) {
        sa_buffer_printf(out, " %zu ", j);
        sa_buffer_plain_text(out, keys[j], 16, 0);
    }
    sa_buffer_putc(out, '\n');
}

sa_status sa_write_heatmap_text(FILE *fp, const sa_heatmaps *maps,
                                sa_colors colors, sa_error *err)
{
    sa_buffer b, *out = &b;
    sa_buffer_init(out, fp);
    sa_heatmap_scale scale;
    bool color = colors != SA_COLORS_NONE;
    char label[64], end[40];
    sa_heatmap_range(&scale, maps);
    for (size_t k = 0; k < maps->count; k++) {
        const sa_panel *p = &maps->panels[k];
        char *const *queries = sa_panel_row_labels(maps, p);
        size_t width = 1;
        for (size_t i = 0; i < p->rows; i++) {
            sa_heatmap_label(label, sizeof label, queries, i);
            width = shown(label) > width ? shown(label) : width;
        }
        if (k > 0)
            sa_buffer_putc(out, '\n');
        sa_buffer_printf(out, color ? "\x1b[1m%s, %s (%zu \xC3\x97 %zu)\x1b[0m\n"
                           : "%s, %s (%zu \xC3\x97 %zu)\n",
                maps->caption, p->title, p->rows, p->cols);
        // key indices, two characters per column: tens above ones
        if (p->cols > 10) {
            sa_buffer_printf(out, "%*s ", (int)width, "");
            for (size_t j = 0; j < p->cols; j++)
                if (j % 10 == 0 && j > 0)
                    sa_buffer_printf(out, "%2zu", (j / 10) % 10);
                else
                    sa_buffer_puts(out, "  ");
            sa_buffer_putc(out, '\n');
        }
        sa_buffer_printf(out, "%*s ", (int)width, "");
        for (size_t j = 0; j < p->cols; j++)
            sa_buffer_printf(out, "%2zu", j % 10);
        sa_buffer_putc(out, '\n');
        for (size_t i = 0; i < p->rows; i++) {
            sa_heatmap_label(label, sizeof label, queries, i);
            sa_buffer_plain_text(out, label, 16, width);
            sa_buffer_putc(out, ' ');
            for (size_t j = 0; j < p->cols; j++)
                cell(out, sa_heatmap_masked(maps, p, i, j) ? -1.0f
                          : sa_heatmap_position(p->data[i * p->cols + j],
                                                scale.lo, scale.hi),
                     colors);
            sa_buffer_putc(out, '\n');
        }
        write_keys(out, maps, k, sa_panel_col_labels(maps, p));
    }
    sa_heatmap_end(end, &scale, false);
    sa_buffer_printf(out, "scale: %s ", end);
    for (int s = 0; s <= 8; s++)
        cell(out, (float)s / 8.0f, colors);
    sa_heatmap_end(end, &scale, true);
    sa_buffer_printf(out, " %s; ", end);
    cell(out, -1.0f, colors);
    sa_buffer_puts(out, " masked\n");
    return sa_buffer_close(out, err);
}
