/* write_table.c — a report as aligned, titled tables for people, in the
 * order of the computation (steps per head, weights, output). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
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

/* Writes label i (a token cut to LABEL_MAX code points, or the index) and
 * pads it to width; right-aligns if right. */
static void put_label(FILE *out, char *const *tokens, size_t i, size_t width,
                      bool right)
{
    char buf[LABEL_MAX * 4 + 8];
    if (tokens) {
        const char *t = tokens[i];
        size_t bytes = 0, cps = 0;
        while (t[bytes] && cps < LABEL_MAX) {
            bytes++;
            while (((unsigned char)t[bytes] & 0xC0) == 0x80)
                bytes++;
            cps++;
        }
        memcpy(buf, t, bytes);
        strcpy(buf + bytes, t[bytes] ? "..." : "");
    } else {
        snprintf(buf, sizeof buf, "%zu", i);
    }
    size_t pad = width > text_width(buf) ? width - text_width(buf) : 0;
    if (right)
        fprintf(out, "%*s%s", (int)pad, "", buf);
    else
        fprintf(out, "%s%*s", buf, (int)pad, "");
}

/* Width of label i as put_label writes it. */
static size_t shown_width(char *const *tokens, size_t i)
{
    if (!tokens)
        return (size_t)snprintf(NULL, 0, "%zu", i);
    size_t w = text_width(tokens[i]);
    return w > LABEL_MAX ? LABEL_MAX + 3 : w;
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

static int format_value(char *buf, size_t size, float v, int digits)
{
    if (isinf(v) && v < 0)
        return snprintf(buf, size, "-inf");
    if (isnan(v))
        return snprintf(buf, size, "nan");
    return snprintf(buf, size, "%.*f", digits, (double)v);
}

/* Writes one block; SA_ERR_NOMEM if its column widths find no memory. */
static sa_status write_block(FILE *out, const sa_report *r, const sa_block *b,
                             sa_error *err)
{
    char *const *keys = sa_report_key_labels(r);
    char *const *row_tokens = b->key_rows ? keys : r->tokens;
    char *const *col_tokens = b->key_columns ? keys : NULL;
    size_t row_w = label_width(row_tokens, b->rows);
    char buf[64];

    // column widths: the widest of the label and every value
    size_t *widths = malloc(b->cols * sizeof *widths);
    if (!widths)
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
    for (size_t j = 0; j < b->cols; j++) {
        widths[j] = shown_width(col_tokens, j);
        for (size_t i = 0; i < b->rows; i++) {
            size_t w = (size_t)format_value(buf, sizeof buf,
                                            b->data[i * b->cols + j], r->digits);
            if (w > widths[j])
                widths[j] = w;
        }
    }

    if (r->color)
        fputs("\x1b[1m", out);
    sa_block_title(out, r, b, "\xC3\x97");
    if (r->color)
        fputs("\x1b[0m", out);
    fprintf(out, "\n%*s", (int)row_w, "");
    for (size_t j = 0; j < b->cols; j++) {
        fputs("  ", out);
        put_label(out, col_tokens, j, widths[j], true);
    }
    fputc('\n', out);
    for (size_t i = 0; i < b->rows; i++) {
        put_label(out, row_tokens, i, row_w, false);
        for (size_t j = 0; j < b->cols; j++) {
            format_value(buf, sizeof buf, b->data[i * b->cols + j], r->digits);
            fprintf(out, "  %*s", (int)widths[j], buf);
        }
        fputc('\n', out);
    }
    free(widths);
    return SA_OK;
}

sa_status sa_write_table(FILE *out, const sa_report *r, sa_error *err)
{
    sa_block *blocks = malloc(sa_report_max_blocks(r) * sizeof *blocks);
    if (!blocks)
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
    size_t count = sa_report_blocks(blocks, r, true);

    sa_report_summary(out, r);
    sa_status status = SA_OK;
    for (size_t k = 0; k < count && !status; k++) {
        fputc('\n', out);
        status = write_block(out, r, &blocks[k], err);
    }
    free(blocks);
    return status ? status : sa_stream_status(out, err);
}
