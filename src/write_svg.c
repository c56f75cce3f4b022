/* write_svg.c — heatmaps as one self-contained SVG: a grid of panels (one
 * per head), rows = queries, columns = keys, viridis cells with their exact
 * value in a <title> tooltip, hatched masked cells and a colour legend. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "buffer.h"
#include "format.h"
#include "heatmap.h"

#define LABEL_CHARS 14      /* longer token labels are cut with "…" */

static size_t longest_label(char *const *labels, size_t count)
{
    size_t longest = 1;
    for (size_t i = 0; i < count; i++) {
        char buf[32];
        size_t len = 0;
        if (labels) {
            for (const unsigned char *p = (const unsigned char *)labels[i]; *p; p++)
                len += (*p & 0xC0) != 0x80;
        } else {
            len = (size_t)snprintf(buf, sizeof buf, "%zu", i);
        }
        if (len > longest)
            longest = len;
    }
    return longest > LABEL_CHARS ? LABEL_CHARS + 1 : longest;
}

/* The width a text may take, generously: 0.7 em per code point in the
 * regular sans-serif (DejaVu Sans's widest lowercase letter, m, is 0.97 em,
 * its digits 0.64 em, its average letter about 0.6), 0.78 em in bold. */
static double text_width(const char *text, double font_size, bool bold)
{
    size_t chars = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        chars += (*p & 0xC0) != 0x80;
    return (double)chars * font_size * (bold ? 0.78 : 0.7);
}

/* Where everything goes: cells, labels, panels in a grid, the legend. */
typedef struct {
    double cell, left, top, pw, ph;  /* cell size, margins, panel size */
    bool labels;                     /* cells are large enough for labels */
    size_t grid;                     /* panels per row */
    double legend_x, width, height;
    sa_heatmap_scale scale;          /* the colour scale */
    char lo_text[40], hi_text[40], mid_text[40];
} layout;

/* The legend's texts, and the width from its left edge that they need:
 * the caption at x = 0, the numbers and "masked" at x = 22 (font size 11). */
static double plan_legend(layout *g, const sa_heatmaps *maps)
{
    sa_heatmap_end(g->lo_text, &g->scale, false);
    sa_heatmap_end(g->hi_text, &g->scale, true);
    sa_heatmap_number(g->mid_text, (float)(((double)g->scale.lo + g->scale.hi) / 2));
    double need = text_width(maps->caption, 11, false);
    const char *texts[4] = {g->lo_text, g->hi_text, g->mid_text, "masked"};
    for (int t = 0; t < 4; t++)
        need = fmax(need, 22 + text_width(texts[t], 11, false));
    return need;
}

/* Panel k's place (column, row) in the grid, after the previous one's in
 * *col and *row (start both at 0 for k = 0): rows of g->grid panels, and a
 * new row where a panel asks for one. */
static void place(size_t *col, size_t *row, const layout *g, const sa_panel *p,
                  size_t k)
{
    if (k == 0)
        return;
    if (p->new_row || ++*col == g->grid) {
        *col = 0;
        ++*row;
    }
}

static void plan(layout *g, const sa_heatmaps *maps)
{
    // the largest panel sets the cell size and every panel's box
    size_t rows = 0, cols = 0, row_chars = 1, col_chars = 1;
    for (size_t k = 0; k < maps->count; k++) {
        const sa_panel *p = &maps->panels[k];
        size_t r = longest_label(sa_panel_row_labels(maps, p), p->rows);
        size_t c = longest_label(sa_panel_col_labels(maps, p), p->cols);
        rows = p->rows > rows ? p->rows : rows;
        cols = p->cols > cols ? p->cols : cols;
        row_chars = r > row_chars ? r : row_chars;
        col_chars = c > col_chars ? c : col_chars;
    }
    sa_heatmap_range(&g->scale, maps);
    size_t big = rows > cols ? rows : cols;
    g->cell = big <= 16 ? 28 : big <= 48 ? 16 : fmax(2.0, 640.0 / (double)big);
    g->labels = g->cell >= 10;
    g->left = g->labels ? 10 + 6.5 * (double)row_chars : 10;
    g->top = 28 + (g->labels ? 5.5 * (double)col_chars : 0);
    g->pw = g->left + (double)cols * g->cell + 24;
    for (size_t k = 0; k < maps->count; k++) {  // the titles fit their panels
        char title[192];
        snprintf(title, sizeof title, "%s (%zu \xC3\x97 %zu)", maps->panels[k].title,
                 maps->panels[k].rows, maps->panels[k].cols);
        g->pw = fmax(g->pw, g->left + text_width(title, 13, true) + 12);
    }
    g->ph = g->top + (double)rows * g->cell + 16;
    // panels per row: maps->columns, or the smallest square that holds them
    g->grid = maps->columns ? maps->columns : 1;
    while (!maps->columns && g->grid * g->grid < maps->count)
        g->grid++;
    size_t col = 0, row = 0, widest = 0;
    for (size_t k = 0; k < maps->count; k++) {
        place(&col, &row, g, &maps->panels[k], k);
        widest = col + 1 > widest ? col + 1 : widest;
    }
    g->legend_x = (double)widest * g->pw + 10;
    g->width = ceil(g->legend_x + plan_legend(g, maps) + 10);
    g->height = fmax((double)(row + 1) * g->ph + 10, 300);
}

/* The document's start: size, title, the hatch pattern and the gradient. */
static void write_head(sa_buffer *out, const layout *g, const char *caption)
{
    sa_buffer_printf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
            "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" "
            "font-size=\"11\">\n", g->width, g->height, g->width, g->height);
    sa_buffer_puts(out, "<title>");
    sa_buffer_xml_text(out, caption, 0);
    sa_buffer_puts(out, "</title>\n<defs>\n"
          "<pattern id=\"masked\" patternUnits=\"userSpaceOnUse\" width=\"6\" "
          "height=\"6\"><rect width=\"6\" height=\"6\" fill=\"#e6e6e6\"/>"
          "<path d=\"M0,6 L6,0\" stroke=\"#9a9a9a\" stroke-width=\"1\"/></pattern>\n"
          "<linearGradient id=\"scale\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">\n");
    for (int s = 0; s <= 10; s++)
        sa_buffer_printf(out, "<stop offset=\"%.1f\" stop-color=\"#%06x\"/>\n", s / 10.0,
                (unsigned)sa_viridis((float)s / 10.0f));
    sa_buffer_puts(out, "</linearGradient>\n</defs>\n<rect width=\"100%\" "
                   "height=\"100%\" fill=\"white\"/>\n");
}

/* A panel's row and column labels. */
static void write_labels(sa_buffer *out, const layout *g, const sa_heatmaps *maps,
                         const sa_panel *p)
{
    char label[64];
    for (size_t i = 0; i < p->rows; i++) {
        sa_heatmap_label(label, sizeof label, sa_panel_row_labels(maps, p), i);
        sa_buffer_printf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" "
                "dominant-baseline=\"middle\">", g->left - 4,
                g->top + ((double)i + 0.5) * g->cell);
        sa_buffer_xml_text(out, label, LABEL_CHARS);
        sa_buffer_puts(out, "</text>\n");
    }
    for (size_t j = 0; j < p->cols; j++) {
        sa_heatmap_label(label, sizeof label, sa_panel_col_labels(maps, p), j);
        double cx = g->left + ((double)j + 0.5) * g->cell;
        sa_buffer_printf(out, "<text transform=\"translate(%.1f,%.1f) rotate(-55)\">",
                cx + 3, g->top - 4);
        sa_buffer_xml_text(out, label, LABEL_CHARS);
        sa_buffer_puts(out, "</text>\n");
    }
}

/* Cell (i, j) of a panel: its colour or hatch, and its tooltip. */
static void write_cell(sa_buffer *out, const layout *g, const sa_heatmaps *maps,
                       const sa_panel *p, size_t i, size_t j)
{
    char num[32], rl[64], cl[64];
    float v = p->data[i * p->cols + j];
    bool masked = sa_heatmap_masked(maps, p, i, j);
    sa_buffer_printf(out, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
            "fill=\"", g->left + (double)j * g->cell, g->top + (double)i * g->cell,
            g->cell, g->cell);
    if (masked)
        sa_buffer_puts(out, "url(#masked)");
    else
        sa_buffer_printf(out, "#%06x", (unsigned)sa_viridis(
                sa_heatmap_position(v, g->scale.lo, g->scale.hi)));
    sa_heatmap_label(rl, sizeof rl, sa_panel_row_labels(maps, p), i);
    sa_heatmap_label(cl, sizeof cl, sa_panel_col_labels(maps, p), j);
    sa_buffer_puts(out, "\"><title>");
    sa_buffer_xml_text(out, rl, 0);
    sa_buffer_printf(out, " (%zu) \xE2\x86\x92 ", i);
    sa_buffer_xml_text(out, cl, 0);
    if (masked) {
        sa_buffer_printf(out, " (%zu): masked</title></rect>\n", j);
    } else {
        sa_format_float(num, v);
        sa_buffer_printf(out, " (%zu): %s</title></rect>\n", j, num);
    }
}

/* Panel k in its place (col, row) of the grid. */
static void write_panel(sa_buffer *out, const layout *g, const sa_heatmaps *maps,
                        size_t k, size_t col, size_t row)
{
    const sa_panel *p = &maps->panels[k];
    double x0 = (double)col * g->pw, y0 = (double)row * g->ph;
    sa_buffer_printf(out, "<g transform=\"translate(%.1f,%.1f)\">\n<text x=\"%.1f\" "
            "y=\"16\" font-size=\"13\" font-weight=\"bold\">", x0, y0, g->left);
    sa_buffer_xml_text(out, p->title, 0);
    sa_buffer_printf(out, " (%zu \xC3\x97 %zu)</text>\n", p->rows, p->cols);
    if (g->labels)
        write_labels(out, g, maps, p);
    for (size_t i = 0; i < p->rows; i++)
        for (size_t j = 0; j < p->cols; j++)
            write_cell(out, g, maps, p, i, j);
    sa_buffer_puts(out, "</g>\n");
}

sa_status sa_write_svg(FILE *fp, const sa_heatmaps *maps, sa_error *err)
{
    size_t cells = 0;
    for (size_t k = 0; k < maps->count; k++)
        cells += maps->panels[k].rows * maps->panels[k].cols;
    if (cells > SA_SVG_MAX_CELLS)
        return sa_fail(err, SA_ERR_USAGE, 0, 0, "%zu cells are too many for an "
                       "SVG (at most %d): draw one head (plot --head) or fewer "
                       "tokens", cells, SA_SVG_MAX_CELLS);
    layout g;
    sa_buffer b, *out = &b;
    sa_buffer_init(out, fp);
    plan(&g, maps);
    write_head(out, &g, maps->caption);
    size_t col = 0, row = 0;
    for (size_t k = 0; k < maps->count; k++) {
        place(&col, &row, &g, &maps->panels[k], k);
        write_panel(out, &g, maps, k, col, row);
    }

    // the legend: the colour scale with its range, and the masked swatch
    sa_buffer_printf(out, "<g transform=\"translate(%.1f,30)\">\n<text y=\"-10\">", g.legend_x);
    sa_buffer_xml_text(out, maps->caption, 0);
    sa_buffer_printf(out, "</text>\n<rect width=\"16\" height=\"200\" fill=\"url(#scale)\" "
            "stroke=\"#444\"/>\n<text x=\"22\" y=\"8\">%s</text>\n<text x=\"22\" "
            "y=\"104\">%s</text>\n<text x=\"22\" y=\"200\">%s</text>\n<rect y=\"220\" "
            "width=\"16\" height=\"16\" fill=\"url(#masked)\" stroke=\"#444\"/>\n"
            "<text x=\"22\" y=\"232\">masked</text>\n</g>\n</svg>\n",
            g.hi_text, g.mid_text, g.lo_text);
    return sa_buffer_close(out, err);
}
