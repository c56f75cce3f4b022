/* write_csv.c — a report as CSV blocks for plotting tools: each matrix is
 * preceded by a "# name" line and followed by two blank lines (gnuplot's
 * `index` separator); masked scores are written as -inf, NaN as nan.  A
 * batch's block holds the matrix of every sequence in turn, each row
 * after its sequence: the first column is the batch axis. */
#include <math.h>
#include <stdlib.h>

#include "format.h"
#include "grad_report.h"
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

/* Writes the rows of block k of each sequence of r, each row after its
 * sequence (from 0) for a batch. */
static void write_rows(sa_buffer *b, const sa_report *r, sa_block *blocks,
                       size_t k)
{
    for (size_t s = 0; s < sa_report_sequences(r); s++) {
        sa_sequence_view v;
        sa_report_sequence(&v, r, s);
        sa_report_grad_blocks(blocks, sa_report_blocks(blocks, &v.report, false),
                              &v.report);
        const sa_block *blk = &blocks[k];
        for (size_t i = 0; i < blk->rows; i++) {
            if (r->batch)
                sa_buffer_printf(b, "%zu,", s);
            for (size_t j = 0; j < blk->cols; j++) {
                float v_ij = blk->data[i * blk->cols + j];
                sa_buffer_float(b, v_ij, isnan(v_ij) ? "nan" : "-inf");
                sa_buffer_putc(b, j + 1 < blk->cols ? ',' : '\n');
            }
        }
    }
}

sa_status sa_write_csv(FILE *out, const sa_report *r, sa_error *err)
{
    size_t most = sa_report_max_blocks(r) + sa_report_grad_max_blocks(r);
    sa_block *blocks = malloc(2 * most * sizeof *blocks);
    if (!blocks)
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
    sa_block *titles = blocks + most;
    sa_sequence_view first;
    sa_report_sequence(&first, r, 0);
    size_t count = sa_report_grad_blocks(
        titles, sa_report_blocks(titles, &first.report, false), &first.report);
    sa_buffer b;
    sa_buffer_init(&b, out);
    write_labels(&b, "tokens", r->tokens, r->n);
    if (r->context_name)
        write_labels(&b, "key_tokens", r->key_tokens, r->m);
    if (r->batch)
        sa_buffer_printf(&b, "# batch: %zu sequences; each row starts with its "
                         "sequence, from 0\n", r->batch);
    for (size_t k = 0; k < count; k++) {
        if (k > 0)
            sa_buffer_puts(&b, "\n\n");
        sa_buffer_puts(&b, "# ");
        sa_block_title(&b, r, &titles[k], "x");
        sa_buffer_putc(&b, '\n');
        write_rows(&b, r, blocks, k);
    }
    free(blocks);
    return sa_buffer_close(&b, err);
}
