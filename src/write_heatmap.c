/* write_heatmap.c — heatmaps in a terminal: two characters per cell, 24-bit
 * background colours, or the shades " ░▒▓█" without colour, token labels
 * on the rows, key indices on the columns and a legend with the range. */
#include <math.h>
#include <string.h>

#include "buffer.h"
#include "format.h"
#include "heatmap.h"

static const char *const shades[5] = {" ", "\xE2\x96\x91", "\xE2\x96\x92",
                                      "\xE2\x96\x93", "\xE2\x96\x88"};

/* Writes one cell of value position t in [0, 1] (negative: masked). */
static void cell(sa_buffer *out, float t, bool color)
{
    if (t < 0) {
        sa_buffer_puts(out, color ? "\x1b[48;2;90;90;90m\xC2\xB7\xC2\xB7\x1b[0m" : "\xC2\xB7\xC2\xB7");
        return;
    }
    if (color) {
        uint32_t rgb = sa_viridis(t);
        sa_buffer_printf(out, "\x1b[48;2;%u;%u;%um  \x1b[0m", (unsigned)(rgb >> 16),
                (unsigned)((rgb >> 8) & 0xff), (unsigned)(rgb & 0xff));
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

sa_status sa_write_heatmap_text(FILE *fp, const sa_heatmaps *maps,
                                bool color, sa_error *err)
{
    sa_buffer b, *out = &b;
    sa_buffer_init(out, fp);
    float lo, hi;
    char label[64], num[32];
    sa_heatmap_range(maps, &lo, &hi);
    for (size_t k = 0; k < maps->count; k++) {
        const sa_panel *p = &maps->panels[k];
        size_t width = 1;
        for (size_t i = 0; i < p->rows; i++) {
            sa_heatmap_label(label, sizeof label, maps->row_labels, i);
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
            sa_heatmap_label(label, sizeof label, maps->row_labels, i);
            sa_buffer_plain_text(out, label, 16, width);
            sa_buffer_putc(out, ' ');
            for (size_t j = 0; j < p->cols; j++)
                cell(out, sa_heatmap_masked(maps, p, i, j) ? -1.0f
                          : sa_heatmap_position(p->data[i * p->cols + j], lo, hi),
                     color);
            sa_buffer_putc(out, '\n');
        }
    }
    // the keys by index, then the scale
    if (maps->col_labels) {
        sa_buffer_puts(out, "keys:");
        for (size_t j = 0; j < maps->panels[0].cols; j++) {
            sa_buffer_printf(out, " %zu ", j);
            sa_buffer_plain_text(out, maps->col_labels[j], 16, 0);
        }
        sa_buffer_putc(out, '\n');
    }
    sa_format_float(num, lo);
    sa_buffer_printf(out, "scale: %s ", num);
    for (int s = 0; s <= 8; s++)
        cell(out, (float)s / 8.0f, color);
    sa_format_float(num, hi);
    sa_buffer_printf(out, " %s; ", num);
    cell(out, -1.0f, color);
    sa_buffer_puts(out, " masked\n");
    return sa_buffer_close(out, err);
}
