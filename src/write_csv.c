/* write_csv.c — a report as CSV blocks for plotting tools: each matrix is
 * preceded by a "# name" line and followed by two blank lines (gnuplot's
 * `index` separator); masked scores are written as -inf, NaN as nan. */
#include <math.h>
#include <stdlib.h>

#include "format.h"
#include "report.h"

/* Writes "# key: "a","b"" for count labels, or nothing without labels. */
static void write_labels(sa_buffer *b, const char *key, char *const *labels,
                         size_t count)
{
    if (!labels)
        return;
    sa_buffer_printf(b, "# %s: ", key);
    for (size_t i = 0; i < count; i++) {
        sa_buffer_json_string(b, labels[i]);
        sa_buffer_putc(b, i + 1 < count ? ',' : '\n');
    }
}

sa_status sa_write_csv(FILE *out, const sa_report *r, sa_error *err)
{
    sa_block *blocks = malloc(sa_report_max_blocks(r) * sizeof *blocks);
    if (!blocks)
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
    size_t count = sa_report_blocks(blocks, r, false);
    sa_buffer b;
    sa_buffer_init(&b, out);
    write_labels(&b, "tokens", r->tokens, r->n);
    if (r->context_name)
        write_labels(&b, "key_tokens", r->key_tokens, r->m);
    for (size_t k = 0; k < count; k++) {
        const sa_block *blk = &blocks[k];
        if (k > 0)
            sa_buffer_puts(&b, "\n\n");
        sa_buffer_puts(&b, "# ");
        sa_block_title(&b, r, blk, "x");
        sa_buffer_putc(&b, '\n');
        for (size_t i = 0; i < blk->rows; i++)
            for (size_t j = 0; j < blk->cols; j++) {
                float v = blk->data[i * blk->cols + j];
                sa_buffer_float(&b, v, isnan(v) ? "nan" : "-inf");
                sa_buffer_putc(&b, j + 1 < blk->cols ? ',' : '\n');
            }
    }
    free(blocks);
    return sa_buffer_close(&b, err);
}
