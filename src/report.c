/* report.c — listing a report's matrices as titled blocks. */
#include "report.h"

size_t sa_report_max_blocks(const sa_report *r)
{
    return 1 + 6 * r->heads;
}

static size_t add_output(sa_block *b, size_t k, const sa_report *r)
{
    const sa_result *res = r->result;
    if (r->print_output)
        b[k++] = (sa_block){"output", 0, res->n, res->d_out, res->output, false};
    return k;
}

static size_t add_weights(sa_block *b, size_t k, const sa_report *r)
{
    const sa_result *res = r->result;
    size_t n = res->n;
    if (!r->print_weights)
        return k;
    if (r->average_heads)
        b[k++] = (sa_block){"weights", 0, n, n, r->average, true};
    else
        for (size_t h = 0; h < res->heads; h++)
            b[k++] = (sa_block){"weights", h + 1, n, n, res->weights + h * n * n, true};
    return k;
}

static size_t add_steps(sa_block *b, size_t k, const sa_report *r)
{
    const sa_result *res = r->result;
    size_t n = res->n, dh = res->d_head;
    if (!r->print_steps)
        return k;
    for (size_t h = 0; h < res->heads; h++) {
        b[k++] = (sa_block){"Q", h + 1, n, dh, res->q + h * n * dh, false};
        b[k++] = (sa_block){"K", h + 1, n, dh, res->k + h * n * dh, false};
        b[k++] = (sa_block){"V", h + 1, n, dh, res->v + h * n * dh, false};
        b[k++] = (sa_block){"scores", h + 1, n, n, res->scores + h * n * n, true};
        b[k++] = (sa_block){"softmax", h + 1, n, n, res->weights + h * n * n, true};
    }
    return k;
}

size_t sa_report_blocks(sa_block *blocks, const sa_report *r,
                        bool computation_order)
{
    size_t k = 0;
    if (computation_order) {
        k = add_steps(blocks, k, r);
        k = add_weights(blocks, k, r);
        k = add_output(blocks, k, r);
    } else {
        k = add_output(blocks, k, r);
        k = add_weights(blocks, k, r);
        k = add_steps(blocks, k, r);
    }
    return k;
}

void sa_block_title(FILE *out, const sa_report *r, const sa_block *b,
                    const char *times)
{
    fputs(b->name, out);
    if (b->head)
        fprintf(out, ", head %zu", b->head);
    else if (b->key_columns && r->average_heads)
        fprintf(out, ", average of %zu heads", r->heads);
    fprintf(out, " (%zu %s %zu)", b->rows, times, b->cols);
}
