/* write_csv.c — a report as CSV blocks for plotting tools: each matrix is
 * preceded by a "# name" line and followed by two blank lines (gnuplot's
 * `index` separator); masked scores are written as -inf, NaN as nan. */
#include <math.h>
#include <stdlib.h>

#include "format.h"
#include "report.h"

/* Writes "# key: "a","b"" for count labels, or nothing without labels. */
static void write_labels(FILE *out, const char *key, char *const *labels,
                         size_t count)
{
    if (!labels)
        return;
    fprintf(out, "# %s: ", key);
    for (size_t i = 0; i < count; i++) {
        sa_json_write_string(out, labels[i]);
        fputc(i + 1 < count ? ',' : '\n', out);
    }
}

sa_status sa_write_csv(FILE *out, const sa_report *r, sa_error *err)
{
    char num[32];
    sa_block *blocks = malloc(sa_report_max_blocks(r) * sizeof *blocks);
    if (!blocks)
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
    size_t count = sa_report_blocks(blocks, r, false);

    write_labels(out, "tokens", r->tokens, r->n);
    if (r->context_name)
        write_labels(out, "key_tokens", r->key_tokens, r->m);
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
                else if (isnan(v))
                    fputs("nan", out);
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
