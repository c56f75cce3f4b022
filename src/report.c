/* report.c — listing a report's matrices as titled blocks, and the
 * sequences of a batch report one at a time. */
#include "format.h"
#include "report.h"

char *const *sa_report_key_labels(const sa_report *r)
{
    return r->context_name ? r->key_tokens : r->tokens;
}

/* what, then a file's name as plain text. */
static void named(sa_buffer *out, const char *what, const char *name)
{
    sa_buffer_puts(out, what);
    sa_buffer_plain_text(out, name, 0, 0);
}

/* "weights: " and where they came from: generated from a seed, or a file
 * (a checkpoint's layer), and the settings the file gave, by source. */
static void weights_line(sa_buffer *out, const sa_report *r)
{
    static const sa_source sources[] = {SA_FROM_CONFIG, SA_FROM_CONFIG_JSON,
                                        SA_FROM_LAYOUT};
    static const char *const phrases[] = {"from its config", "from config.json",
                                          "from the layout"};
    if (r->weights_name)
        named(out, "weights: ", r->weights_name);
    else
        sa_buffer_printf(out, "weights: generated, seed %llu",
                         (unsigned long long)r->seed);
    if (r->layer >= 0)
        sa_buffer_printf(out, ", %s layer %ld", sa_convention_name(r->convention),
                         r->layer);
    for (size_t s = 0; s < sizeof sources / sizeof sources[0]; s++) {
        size_t listed = 0;
        for (int k = 0; k < SA_SET_COUNT; k++) {
            if (r->from_weights[k] != sources[s])
                continue;
            if (listed++)
                sa_buffer_puts(out, ", ");
            else
                sa_buffer_printf(out, "; %s: ", phrases[s]);
            sa_buffer_puts(out, sa_setting_name(k));
        }
    }
    sa_buffer_putc(out, '\n');
}

size_t sa_report_sequences(const sa_report *r)
{
    return r->batch ? r->batch : 1;
}

void sa_report_sequence(sa_sequence_view *v, const sa_report *r, size_t b)
{
    const sa_result *all = r->result;
    size_t n = all->n, m = all->m, H = all->heads, dh = all->d_head;
    v->report = *r;
    v->result = *all;
    v->config = *r->config;
    if (r->batch) {
        // each array's slot b, where it is kept
        sa_result *one = &v->result;
        one->output = all->output ? all->output + b * n * all->d_out : NULL;
        one->weights = all->weights ? all->weights + b * H * n * m : NULL;
        one->scores = all->scores ? all->scores + b * H * n * m : NULL;
        one->q = all->q ? all->q + b * H * n * dh : NULL;
        one->k = all->k ? all->k + b * H * m * dh : NULL;
        one->v = all->v ? all->v + b * H * m * dh : NULL;
        one->raw_scores = all->raw_scores ? all->raw_scores + b * H * n * m : NULL;
        one->exp_scores = all->exp_scores ? all->exp_scores + b * H * n * m : NULL;
        one->rowsum = all->rowsum ? all->rowsum + b * H * n : NULL;
        one->head_output = all->head_output ? all->head_output + b * H * n * dh : NULL;
        one->concat = all->concat ? all->concat + b * n * H * dh : NULL;
        one->empty_rows = NULL;
        one->n_empty_rows = 0;
        v->report.average = r->average ? r->average + b * n * m : NULL;
        v->report.input = r->input ? r->input + b * n * r->d_model : NULL;
        if (r->context && r->context_per_sequence)
            v->report.context = r->context + b * m * r->d_context;
        if (r->masks)
            v->config.mask = r->masks + b * n * m;
    }
    v->report.batch = 0;
    v->report.masks = NULL;
    v->report.context_per_sequence = false;
    v->report.result = &v->result;
    v->report.config = &v->config;
}

void sa_report_summary(sa_buffer *out, const sa_report *r)
{
    const sa_config *c = r->config;
    char num[32];
    if (r->batch)
        sa_buffer_printf(out, "batch = %zu, ", r->batch);
    sa_buffer_printf(out, "n = %zu", r->n);
    if (r->context_name) {
        sa_buffer_printf(out, ", m = %zu (context ", r->m);
        sa_buffer_plain_text(out, r->context_name, 0, 0);
        sa_buffer_putc(out, ')');
    }
    sa_buffer_printf(out, ", d_model = %zu, heads = %zu", r->d_model, r->heads);
    if (r->kv_heads != r->heads)
        sa_buffer_printf(out, ", kv_heads = %zu", r->kv_heads);
    sa_format_float(num, sa_config_scale(c, r->d_head));
    sa_buffer_printf(out, ", d_head = %zu, d_out = %zu, scale = %s", r->d_head,
                     r->d_out, num);
    if (c->pos_sinusoidal)
        sa_buffer_puts(out, ", sinusoidal positions");
    if (c->rope) {
        sa_format_float(num, c->rope_base);
        sa_buffer_printf(out, ", rope (%s, base %s)",
                         c->rope_neox ? "neox" : "roformer", num);
    }
    if (c->softcap > 0) {
        sa_format_float(num, c->softcap);
        sa_buffer_printf(out, ", softcap %s", num);
    }
    if (c->alibi)
        sa_buffer_puts(out, ", alibi");
    if (r->bias_name)
        named(out, ", bias ", r->bias_name);
    if (c->causal)
        sa_buffer_puts(out, ", causal");
    if (c->window >= 0)
        sa_buffer_printf(out, ", window %ld", c->window);
    if (r->mask_name)
        named(out, ", mask ", r->mask_name);
    if (c->masked_rows_nan)
        sa_buffer_puts(out, ", masked rows nan");
    sa_buffer_putc(out, '\n');
    weights_line(out, r);
}

size_t sa_report_max_blocks(const sa_report *r)
{
    return 3 + 10 * r->heads + SA_REPORT_INPUT_BLOCKS;
}

size_t sa_report_params(sa_block *b, const sa_report *r)
{
    const sa_weights *w = r->params;
    size_t k = 0;
    if (!w)
        return 0;
    const struct { const char *name; const float *data; size_t rows, cols; } all[] = {
        {"Wq", w->wq, w->d_model, w->d_proj}, {"Wk", w->wk, w->d_kv_in, w->d_kv},
        {"Wv", w->wv, w->d_kv_in, w->d_kv}, {"Wo", w->wo, w->d_proj, w->d_out},
        {"bq", w->bq, 1, w->d_proj}, {"bk", w->bk, 1, w->d_kv},
        {"bv", w->bv, 1, w->d_kv}, {"bo", w->bo, 1, w->d_out},
    };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (all[i].data)
            b[k++] = (sa_block){all[i].name, 0, all[i].rows, all[i].cols, all[i].data,
                                .index_rows = all[i].rows > 1, .vector = all[i].rows == 1};
    return k;
}

/* The input and the context, then the weights, when printed. */
static size_t add_inputs(sa_block *b, size_t k, const sa_report *r)
{
    if (r->print_input) {
        b[k++] = (sa_block){"input", 0, r->n, r->d_model, r->input, .key_columns = false, .key_rows = false};
        if (r->context)
            b[k++] = (sa_block){"context", 0, r->m, r->d_context, r->context, .key_columns = false, .key_rows = true};
    }
    if (r->print_params)
        k += sa_report_params(b + k, r);
    return k;
}

static size_t add_output(sa_block *b, size_t k, const sa_report *r)
{
    const sa_result *res = r->result;
    if (r->print_output)
        b[k++] = (sa_block){"output", 0, res->n, res->d_out, res->output, .key_columns = false, .key_rows = false};
    return k;
}

static size_t add_weights(sa_block *b, size_t k, const sa_report *r)
{
    const sa_result *res = r->result;
    size_t n = res->n, m = res->m, first, count;
    sa_report_heads(&first, &count, r);
    /* per-head weights are the softmax step's matrices: shown once */
    if (r->print_weights && !r->print_steps)
        for (size_t h = first; h < first + count; h++)
            b[k++] = (sa_block){"weights", h + 1, n, m, res->weights + h * n * m, .key_columns = true, .key_rows = false};
    if (r->average_heads)
        b[k++] = (sa_block){"weights", 0, n, m, r->average, .key_columns = true, .key_rows = false};
    return k;
}

static size_t add_steps(sa_block *b, size_t k, const sa_report *r)
{
    const sa_result *res = r->result;
    size_t n = res->n, m = res->m, dh = res->d_head, first, count;
    if (!r->print_steps)
        return k;
    sa_report_heads(&first, &count, r);
    for (size_t h = first; h < first + count; h++) {
        b[k++] = (sa_block){"Q", h + 1, n, dh, res->q + h * n * dh, .key_columns = false, .key_rows = false};
        b[k++] = (sa_block){"K", h + 1, m, dh, res->k + h * m * dh, .key_columns = false, .key_rows = true};
        b[k++] = (sa_block){"V", h + 1, m, dh, res->v + h * m * dh, .key_columns = false, .key_rows = true};
        b[k++] = (sa_block){"raw_scores", h + 1, n, m, res->raw_scores + h * n * m, .key_columns = true, .key_rows = false};
        b[k++] = (sa_block){"scores", h + 1, n, m, res->scores + h * n * m, .key_columns = true, .key_rows = false};
        b[k++] = (sa_block){"exp", h + 1, n, m, res->exp_scores + h * n * m, .key_columns = true, .key_rows = false};
        // one sum per query: a column beside the query labels
        b[k++] = (sa_block){"rowsum", h + 1, n, 1, res->rowsum + h * n, .key_columns = false, .key_rows = false};
        b[k++] = (sa_block){"softmax", h + 1, n, m, res->weights + h * n * m, .key_columns = true, .key_rows = false};
        b[k++] = (sa_block){"head_output", h + 1, n, dh, res->head_output + h * n * dh, .key_columns = false, .key_rows = false};
    }
    // every head's output side by side, whichever heads are printed
    b[k++] = (sa_block){"concat", 0, n, res->heads * dh, res->concat, .key_columns = false, .key_rows = false};
    return k;
}

size_t sa_report_blocks(sa_block *blocks, const sa_report *r,
                        bool computation_order)
{
    size_t k = 0;
    if (computation_order) {
        k = add_inputs(blocks, k, r);
        k = add_steps(blocks, k, r);
        k = add_weights(blocks, k, r);
        k = add_output(blocks, k, r);
    } else {
        k = add_inputs(blocks, k, r);
        k = add_output(blocks, k, r);
        k = add_weights(blocks, k, r);
        k = add_steps(blocks, k, r);
    }
    return k;
}

void sa_block_title(sa_buffer *out, const sa_report *r, const sa_block *b,
                    const char *times)
{
    sa_buffer_puts(out, b->name);
    if (b->suffix)
        sa_buffer_puts(out, b->suffix);
    if (b->head)
        sa_buffer_printf(out, ", head %zu", b->head);
    else if (b->key_columns && r->average_heads && !b->suffix)
        sa_buffer_printf(out, ", average of %zu heads", r->heads);
    if (b->vector)
        sa_buffer_printf(out, " (%zu)", b->cols);
    else
        sa_buffer_printf(out, " (%zu %s %zu)", b->rows, times, b->cols);
}
