/* report.c — listing a report's matrices as titled blocks. */
#include "format.h"
#include "report.h"

char *const *sa_report_key_labels(const sa_report *r)
{
    return r->context_name ? r->key_tokens : r->tokens;
}

void sa_report_summary(FILE *out, const sa_report *r)
{
    const sa_config *c = r->config;
    char num[32];
    fprintf(out, "n = %zu", r->n);
    if (r->context_name)
        fprintf(out, ", m = %zu (context %s)", r->m, r->context_name);
    fprintf(out, ", d_model = %zu, heads = %zu", r->d_model, r->heads);
    if (r->kv_heads != r->heads)
        fprintf(out, ", kv_heads = %zu", r->kv_heads);
    sa_format_float(num, c->scale);
    fprintf(out, ", d_head = %zu, d_out = %zu, scale = %s", r->d_head,
            r->d_out, num);
    if (c->pos_sinusoidal)
        fputs(", sinusoidal positions", out);
    if (c->rope) {
        sa_format_float(num, c->rope_base);
        fprintf(out, ", rope (%s, base %s)", c->rope_neox ? "neox" : "roformer", num);
    }
    if (c->softcap > 0) {
        sa_format_float(num, c->softcap);
        fprintf(out, ", softcap %s", num);
    }
    if (c->alibi)
        fputs(", alibi", out);
    if (r->bias_name)
        fprintf(out, ", bias %s", r->bias_name);
    if (c->causal)
        fputs(", causal", out);
    if (c->window >= 0)
        fprintf(out, ", window %ld", c->window);
    if (r->mask_name)
        fprintf(out, ", mask %s", r->mask_name);
    if (c->masked_rows_nan)
        fputs(", masked rows nan", out);
    fputc('\n', out);
}

size_t sa_report_max_blocks(const sa_report *r)
{
    return 1 + 6 * r->heads;
}

static size_t add_output(sa_block *b, size_t k, const sa_report *r)
{
    const sa_result *res = r->result;
    if (r->print_output)
        b[k++] = (sa_block){"output", 0, res->n, res->d_out, res->output, false, false};
    return k;
}

static size_t add_weights(sa_block *b, size_t k, const sa_report *r)
{
    const sa_result *res = r->result;
    size_t n = res->n, m = res->m;
    /* per-head weights are the softmax step's matrices: shown once */
    if (!r->print_weights || (r->print_steps && !r->average_heads))
        return k;
    if (r->average_heads)
        b[k++] = (sa_block){"weights", 0, n, m, r->average, true, false};
    else
        for (size_t h = 0; h < res->heads; h++)
            b[k++] = (sa_block){"weights", h + 1, n, m, res->weights + h * n * m, true, false};
    return k;
}

static size_t add_steps(sa_block *b, size_t k, const sa_report *r)
{
    const sa_result *res = r->result;
    size_t n = res->n, m = res->m, dh = res->d_head;
    if (!r->print_steps)
        return k;
    for (size_t h = 0; h < res->heads; h++) {
        b[k++] = (sa_block){"Q", h + 1, n, dh, res->q + h * n * dh, false, false};
        b[k++] = (sa_block){"K", h + 1, m, dh, res->k + h * m * dh, false, true};
        b[k++] = (sa_block){"V", h + 1, m, dh, res->v + h * m * dh, false, true};
        b[k++] = (sa_block){"scores", h + 1, n, m, res->scores + h * n * m, true, false};
        b[k++] = (sa_block){"softmax", h + 1, n, m, res->weights + h * n * m, true, false};
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
