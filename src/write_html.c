/* write_html.c — results as one self-contained interactive HTML page: the
 * JSON documents of the results embedded as data, the stylesheet and the
 * script of src/html/ (html_assets.h) inline, and a Content-Security-Policy
 * that lets the page fetch nothing.  The page draws everything in the
 * browser; this file only writes it.
 * Legend: L = layers (results), H = heads, n = queries, m = keys. */
#include <math.h>
#include <string.h>

#include "buffer.h"
#include "html_assets.h"
#include "report.h"
#include "utf8.h"

/* Writes text[0 .. len) of JSON for the inside of a <script> element: '<',
 * '>' and '&' as \u003c, \u003e, \u0026 (they only occur in JSON strings,
 * where the escape means the same character, so the JSON is unchanged and
 * no "</script>" or "<!--" can appear), invalid UTF-8 as U+FFFD, and a
 * leading byte order mark dropped. */
static void put_script_json(sa_buffer *b, const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0, start = i;
    while (i < len) {
        unsigned char c = s[i];
        size_t k = c < 0x80 ? 1 : sa_utf8_length(s + i, len - i);
        if (c == '<' || c == '>' || c == '&' || k == 0) {
            sa_buffer_write(b, text + start, i - start);
            if (k == 0)
                sa_buffer_puts(b, "\\ufffd");
            else
                sa_buffer_printf(b, "\\u%04x", c);
            i += k ? k : 1;
            start = i;
        } else {
            i += k;
        }
    }
    sa_buffer_write(b, text + start, len - start);
}

/* The page's own settings as JSON: the colour limits and the layers'
 * names, into page (a memory buffer). */
static void page_settings(sa_buffer *page, const sa_html_layer *layers,
                          size_t count, const sa_color_limits *limits)
{
    sa_buffer_printf(page, "{\"generator\": \"selfattn %s\", \"vmin\": ", sa_version());
    sa_buffer_float(page, limits && limits->has_min ? limits->min : NAN, "null");
    sa_buffer_puts(page, ", \"vmax\": ");
    sa_buffer_float(page, limits && limits->has_max ? limits->max : NAN, "null");
    sa_buffer_puts(page, ", \"names\": [");
    for (size_t l = 0; l < count; l++) {
        if (l)
            sa_buffer_puts(page, ", ");
        if (layers[l].name)
            sa_buffer_json_string(page, layers[l].name);
        else
            sa_buffer_puts(page, "null");
    }
    sa_buffer_puts(page, "]}");
}

/* The mask of layer l as JSON rows of 0 and 1. */
static void put_mask(sa_buffer *b, const sa_html_layer *layer, size_t l)
{
    sa_buffer_printf(b, "<script type=\"application/json\" class=\"selfattn-mask\" "
                     "data-layer=\"%zu\">[", l);
    for (size_t i = 0; i < layer->rows; i++) {
        sa_buffer_puts(b, i ? ",\n[" : "\n[");
        char *at = sa_buffer_room(b, 2 * layer->cols);
        if (!at)
            return;
        for (size_t j = 0; j < layer->cols; j++) {
            at[2 * j] = layer->mask[i * layer->cols + j] ? '1' : '0';
            at[2 * j + 1] = ',';
        }
        b->len += 2 * layer->cols - 1;   // no comma after the last
        sa_buffer_putc(b, ']');
    }
    sa_buffer_puts(b, "]</script>\n");
}

/* The document's start: the policy, the title and the stylesheet. */
static void put_head(sa_buffer *b)
{
    sa_buffer_printf(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
        "<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; script-src 'sha256-%s'\">\n"
        "<meta name=\"generator\" content=\"selfattn %s\">\n"
        "<title>selfattn: attention</title>\n<style>\n", sa_html_js_sha256,
        sa_version());
    sa_buffer_write(b, sa_html_css, sa_html_css_len);
    sa_buffer_puts(b, "</style>\n</head>\n<body>\n"
        "<noscript><p>This page draws attention with JavaScript, which is "
        "turned off: its numbers are in the JSON below.</p></noscript>\n"
        "<div id=\"app\"></div>\n");
}

sa_status sa_write_html(FILE *out, const sa_html_layer *layers, size_t count,
                        const sa_color_limits *limits, sa_error *err)
{
    sa_buffer b, page;
    sa_buffer_init(&b, out);
    sa_buffer_init(&page, NULL);
    page_settings(&page, layers, count, limits);
    put_head(&b);
    sa_buffer_puts(&b, "<script type=\"application/json\" id=\"selfattn-page\">");
    put_script_json(&b, page.data, page.failed ? 0 : page.len);
    sa_buffer_puts(&b, "</script>\n");
    for (size_t l = 0; l < count; l++) {
        sa_buffer_printf(&b, "<script type=\"application/json\"%s class=\"selfattn-data\" "
                         "data-layer=\"%zu\">", l == 0 ? " id=\"selfattn-data\"" : "", l);
        put_script_json(&b, layers[l].json, layers[l].json_len);
        sa_buffer_puts(&b, "</script>\n");
        if (layers[l].mask)
            put_mask(&b, &layers[l], l);
    }
    sa_buffer_puts(&b, "<script>");
    sa_buffer_write(&b, sa_html_js, sa_html_js_len);
    sa_buffer_puts(&b, "</script>\n</body>\n</html>\n");
    if (page.failed)
        b.failed = true;   // out of memory: report it as the page's
    sa_buffer_close(&page, err);
    return sa_buffer_close(&b, err);
}

sa_status sa_write_html_report(FILE *out, const sa_report *r, sa_error *err)
{
    if (sa_config_check(r->config, err))
        return SA_ERR_USAGE;
    size_t n = r->result->n, m = r->result->m, first, heads;
    sa_report_heads(&first, &heads, r);
    if (!r->print_weights && !r->print_steps && !r->average_heads)
        return sa_fail(err, SA_ERR_USAGE, 0, 0, "the page draws the weights: "
                       "print weights or steps, or average the heads");
    double cells = (r->print_weights || r->print_steps ? (double)heads : 1.0) *
                   (double)n * (double)m;
    if (cells > SA_HTML_MAX_CELLS)
        return sa_fail(err, SA_ERR_USAGE, 0, 0, "%.0f cells are too many for a "
                       "page (at most %d): draw one head or fewer tokens",
                       cells, SA_HTML_MAX_CELLS);
    sa_buffer doc;
    sa_buffer_init(&doc, NULL);
    sa_report_json(&doc, r);
    if (doc.failed)
        return sa_buffer_close(&doc, err);
    sa_html_layer layer = {doc.data, doc.len, NULL, r->config->mask, n, m};
    sa_status status = sa_write_html(out, &layer, 1, &r->limits, err);
    sa_buffer_close(&doc, NULL);
    return status;
}
