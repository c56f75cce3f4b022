/* write_table.c — a report as aligned, titled tables for people, in the
 * order of the computation (steps per head, weights, output), a batch's
 * under a heading per sequence, formatted into a buffer (buffer.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "numbers.h"
#include "grad_report.h"
#include "report.h"

#define LABEL_MAX 16  /* longer token labels are cut, ending in "..." */

/* Display width of a UTF-8 string, in code points. */
static size_t text_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

/* Width of label i as put_label writes it: the token cut to LABEL_MAX
 * code points and "...", or the index. */
static size_t shown_width(char *const *tokens, size_t i)
{
    if (!tokens)
        return (size_t)snprintf(NULL, 0, "%zu", i);
    size_t w = text_width(tokens[i]);
    return w > LABEL_MAX ? LABEL_MAX + 3 : w;
}

/* Writes label i padded to width, right-aligned if right. */
static void put_label(sa_buffer *b, char *const *tokens, size_t i, size_t width,
                      bool right)
{
    size_t w = shown_width(tokens, i);
    if (right && width > w)
        sa_buffer_printf(b, "%*s", (int)(width - w), "");
    if (tokens) {
        sa_buffer_plain_text(b, tokens[i], LABEL_MAX, 0);
        if (text_width(tokens[i]) > LABEL_MAX)
            sa_buffer_puts(b, "...");
    } else {
        sa_buffer_printf(b, "%zu", i);
    }
    if (!right && width > w)
        sa_buffer_printf(b, "%*s", (int)(width - w), "");
}

/* Width of the widest of the first count labels. */
static size_t label_width(char *const *tokens, size_t count)
{
    size_t w = 1;
    for (size_t i = 0; i < count; i++)
        if (shown_width(tokens, i) > w)
            w = shown_width(tokens, i);
    return w;
}

/* The text of v with digits decimals (-inf and nan as such) in buf;
 * returns its length. */
static size_t format_value(char *buf, float v, int digits)
{
    if (!isfinite(v)) {
        const char *s = isnan(v) ? "nan" : v < 0 ? "-inf" : "inf";
        strcpy(buf, s);
        return strlen(s);
    }
    return sa_fixed_chars(buf, v, digits);
}

/* Writes one block; SA_ERR_NOMEM if its column widths find no memory. */
static sa_status write_block(sa_buffer *out, const sa_report *r, const sa_block *b,
                             sa_error *err)
{
    char *const *keys = sa_report_key_labels(r);
    char *const *row_tokens = b->index_rows ? NULL : b->key_rows ? keys : r->tokens;
    char *const *col_tokens = b->key_columns ? keys : NULL;
    size_t row_w = label_width(row_tokens, b->rows);
    char buf[SA_FIXED_CHARS];

    // column widths: the widest of the label and every value
    size_t *widths = malloc(b->cols * sizeof *widths);
    if (!widths)
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
    for (size_t j = 0; j < b->cols; j++) {
        widths[j] = shown_width(col_tokens, j);
        for (size_t i = 0; i < b->rows; i++) {
            size_t w = format_value(buf, b->data[i * b->cols + j], r->digits);
            if (w > widths[j])
                widths[j] = w;
        }
    }

    if (r->color)
        sa_buffer_puts(out, "\x1b[1m");
    sa_block_title(out, r, b, "\xC3\x97");
    if (r->color)
        sa_buffer_puts(out, "\x1b[0m");
    sa_buffer_printf(out, "\n%*s", (int)row_w, "");
    for (size_t j = 0; j < b->cols; j++) {
        sa_buffer_puts(out, "  ");
        put_label(out, col_tokens, j, widths[j], true);
    }
    sa_buffer_putc(out, '\n');
    for (size_t i = 0; i < b->rows; i++) {
        put_label(out, row_tokens, i, row_w, false);
        for (size_t j = 0; j < b->cols; j++) {
            size_t w = format_value(buf, b->data[i * b->cols + j], r->digits);
            sa_buffer_printf(out, "  %*s", (int)(widths[j] - w), "");
            sa_buffer_put(out, buf, w);
        }
        sa_buffer_putc(out, '\n');
    }
    free(widths);
    return SA_OK;
}

sa_status sa_write_table(FILE *fp, const sa_report *r, sa_error *err)
{
    if (sa_config_check(r->config, err))
        return SA_ERR_USAGE;
    sa_block *blocks = malloc((sa_report_max_blocks(r) + sa_report_grad_max_blocks(r)) *
                              sizeof *blocks);
    if (!blocks)
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
    sa_buffer out;
    sa_buffer_init(&out, fp);
    sa_report_summary(&out, r);
    sa_status status = SA_OK;
    for (size_t s = 0; s < sa_report_sequences(r) && !status; s++) {
        sa_sequence_view v;  // the report itself without a batch
        sa_report_sequence(&v, r, s);
        if (r->batch)  // each sequence's blocks under its heading
            sa_buffer_printf(&out, "\n%ssequence %zu%s\n", r->color ? "\x1b[1m" : "",
                             s + 1, r->color ? "\x1b[0m" : "");
        size_t count = sa_report_grad_blocks(  // the gradients after the forward
            blocks, sa_report_blocks(blocks, &v.report, true), &v.report);
        for (size_t k = 0; k < count && !status; k++) {
            sa_buffer_putc(&out, '\n');
            status = write_block(&out, &v.report, &blocks[k], err);
        }
    }
    free(blocks);
    sa_error closing;
    sa_status closed = sa_buffer_close(&out, &closing);
    if (!status && closed)
        *err = closing;
    return status ? status : closed;
}
