/* write_heatmap.c — heatmaps in a terminal: two characters per cell, 24-bit
 * background colours, or the shades " ░▒▓█" without colour, token labels
 * on the rows, key indices on the columns and a legend with the range. */
#include <math.h>
#include <string.h>

#include "format.h"
#include "heatmap.h"

static const char *const shades[5] = {" ", "\xE2\x96\x91", "\xE2\x96\x92",
                                      "\xE2\x96\x93", "\xE2\x96\x88"};

/* Writes one cell of value position t in [0, 1] (negative: masked). */
static void cell(FILE *out, float t, bool color)
{
    if (t < 0) {
        fputs(color ? "\x1b[48;2;90;90;90m\xC2\xB7\xC2\xB7\x1b[0m" : "\xC2\xB7\xC2\xB7", out);
        return;
    }
    if (color) {
        uint32_t rgb = sa_viridis(t);
        fprintf(out, "\x1b[48;2;%u;%u;%um  \x1b[0m", (unsigned)(rgb >> 16),
                (unsigned)((rgb >> 8) & 0xff), (unsigned)(rgb & 0xff));
        return;
    }
    int s = (int)lrintf(t * 4.0f);
    fputs(shades[s], out);
    fputs(shades[s], out);
}

/* Width of label text in code points, at most 16 shown. */
static size_t shown(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w > 16 ? 16 : w;
}

/* Writes label padded to width, cut at 16 code points. */
static void put_label(FILE *out, const char *s, size_t width)
{
    size_t w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p & 0xC0) != 0x80 && w++ == 16)
            break;
        fputc(*p < 0x20 ? '?' : *p, out);
    }
    for (size_t i = shown(s); i < width; i++)
        fputc(' ', out);
}

sa_status sa_write_heatmap_text(FILE *out, const sa_heatmaps *maps,
                                bool color, sa_error *err)
{
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
            fputc('\n', out);
        fprintf(out, color ? "\x1b[1m%s, %s (%zu \xC3\x97 %zu)\x1b[0m\n"
                           : "%s, %s (%zu \xC3\x97 %zu)\n",
                maps->caption, p->title, p->rows, p->cols);
        // key indices, two characters per column: tens above ones
        if (p->cols > 10) {
            fprintf(out, "%*s ", (int)width, "");
            for (size_t j = 0; j < p->cols; j++)
                if (j % 10 == 0 && j > 0)
                    fprintf(out, "%2zu", (j / 10) % 10);
                else
                    fputs("  ", out);
            fputc('\n', out);
        }
        fprintf(out, "%*s ", (int)width, "");
        for (size_t j = 0; j < p->cols; j++)
            fprintf(out, "%2zu", j % 10);
        fputc('\n', out);
        for (size_t i = 0; i < p->rows; i++) {
            sa_heatmap_label(label, sizeof label, maps->row_labels, i);
            put_label(out, label, width);
            fputc(' ', out);
            for (size_t j = 0; j < p->cols; j++)
                cell(out, sa_heatmap_masked(maps, p, i, j) ? -1.0f
                          : sa_heatmap_position(p->data[i * p->cols + j], lo, hi),
                     color);
            fputc('\n', out);
        }
    }
    // the keys by index, then the scale
    if (maps->col_labels) {
        fputs("keys:", out);
        for (size_t j = 0; j < maps->panels[0].cols; j++) {
            fprintf(out, " %zu ", j);
            put_label(out, maps->col_labels[j], 0);
        }
        fputc('\n', out);
    }
    sa_format_float(num, lo);
    fprintf(out, "scale: %s ", num);
    for (int s = 0; s <= 8; s++)
        cell(out, (float)s / 8.0f, color);
    sa_format_float(num, hi);
    fprintf(out, " %s; ", num);
    cell(out, -1.0f, color);
    fputs(" masked\n", out);
    return sa_stream_status(out, err);
}
