/* write_csv.c — a report as CSV blocks for plotting tools: each matrix is
 * preceded by a "# name" line and followed by two blank lines (gnuplot's
 * `index` separator); masked scores are written as -inf. */
#include <math.h>
#include <stdlib.h>

#include "format.h"
#include "report.h"

sa_status sa_write_csv(FILE *out, const sa_report *r, sa_error *err)
{
    char num[32];
    sa_block *blocks = malloc(sa_report_max_blocks(r) * sizeof *blocks);
    if (!blocks)
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
    size_t count = sa_report_blocks(blocks, r, false);

    if (r->tokens) {
        fputs("# tokens: ", out);
        for (size_t i = 0; i < r->n; i++) {
            sa_json_write_string(out, r->tokens[i]);
            fputc(i + 1 < r->n ? ',' : '\n', out);
        }
    }
    for (size_t k = 0; k < count; k++) {
        const sa_block *b = &blocks[k];
        if (k > 0)
            fputs("\n\n", out);
        fputs("# ", out);
        sa_block_title(out, r, b, "x");
        fputc('\n', out);
        for (size_t i = 0; i < b->rows; i++) {
            for (size_t j = 0; j < b->cols; j++) {
                float v = b->data[i * b->cols + j];
                if (isinf(v) && v < 0)
                    fputs("-inf", out);
                else {
                    sa_format_float(num, v);
                    fputs(num, out);
                }
                fputc(j + 1 < b->cols ? ',' : '\n', out);
            }
        }
    }
    free(blocks);
    return sa_stream_status(out, err);
}
