/* write_json.c — a report as one JSON document for jq and scripts, pretty
 * (one matrix row per line) or compact (one line, for JSON Lines),
 * formatted into a buffer (buffer.h); a batch's arrays gain a leading axis.
 * Legend: B = sequences, n = queries, m = keys, H = heads, dh = head width. */
#include <math.h>
#include <string.h>

#include "format.h"
#include "report.h"
#include "grad_report.h"

/* Layout of one document: compact, or pretty with keys indented. */
typedef struct {
    sa_buffer *b;
    bool compact;
    bool started;   /* a top-level member was written */
} doc;

/* Starts member key at depth 1 (top: first is whether none was written
 * yet) or 2 (in config). */
static void key(doc *d, int depth, bool first, const char *name)
{
    if (depth == 1) {
        first = !d->started;
        d->started = true;
    }
    if (!first)
        sa_buffer_putc(d->b, ',');
    if (!d->compact)
        sa_buffer_printf(d->b, "\n%*s", 2 * depth, "");
    sa_buffer_printf(d->b, d->compact ? "\"%s\":" : "\"%s\": ", name);
}

static void string_or_null(sa_buffer *b, const char *s)
{
    if (s)
        sa_buffer_json_string(b, s);
    else
        sa_buffer_puts(b, "null");
}

/* Writes data (H, rows, cols) as an array of H arrays of rows. */
static void write_heads(doc *d, const float *data, size_t H, size_t rows,
                        size_t cols, int indent)
{
    sa_buffer_putc(d->b, '[');
    for (size_t h = 0; h < H; h++) {
        if (!d->compact)
            sa_buffer_printf(d->b, "\n%*s", indent + 2, "");
        sa_buffer_json_rows(d->b, data + h * rows * cols, rows, cols,
                            d->compact ? -1 : indent + 2);
        if (h + 1 < H)
            sa_buffer_putc(d->b, ',');
    }
    if (!d->compact)
        sa_buffer_printf(d->b, "\n%*s", indent, "");
    sa_buffer_putc(d->b, ']');
}

/* The computation's options: scale, masks, positions, modifiers. */
static void write_options(doc *d, const sa_config *c, size_t d_head)
{
    sa_buffer *b = d->b;
    key(d, 2, false, "scale");
    sa_buffer_float(b, sa_config_scale(c, d_head), "null");
    key(d, 2, false, "causal");
    sa_buffer_puts(b, c->causal ? "true" : "false");
    key(d, 2, false, "window");
    if (c->window >= 0)
        sa_buffer_printf(b, "%ld", c->window);
    else
        sa_buffer_puts(b, "null");
    key(d, 2, false, "softcap");
    sa_buffer_float(b, c->softcap > 0 ? c->softcap : NAN, "null");
    key(d, 2, false, "alibi");
    sa_buffer_puts(b, c->alibi ? "true" : "false");
    key(d, 2, false, "rope");
    if (c->rope) {
        sa_buffer_puts(b, d->compact ? "{\"base\":" : "{\"base\": ");
        sa_buffer_float(b, c->rope_base, "null");
        sa_buffer_printf(b, d->compact ? ",\"style\":\"%s\"}" : ", \"style\": \"%s\"}",
                         c->rope_neox ? "neox" : "roformer");
    } else {
        sa_buffer_puts(b, "null");
    }
}

/* "from_weights": each setting the weights file gave, and from where. */
static void write_from_weights(doc *d, const sa_report *r)
{
    size_t listed = 0;
    key(d, 2, false, "from_weights");
    sa_buffer_putc(d->b, '{');
    for (int k = 0; k < SA_SET_COUNT; k++) {
        if (!r->from_weights[k])
            continue;
        sa_buffer_printf(d->b, d->compact ? "%s\"%s\":\"%s\"" : "%s\"%s\": \"%s\"",
                         listed++ ? (d->compact ? "," : ", ") : "",
                         sa_setting_name(k), sa_source_name(r->from_weights[k]));
    }
    sa_buffer_putc(d->b, '}');
}

static void write_config(doc *d, const sa_report *r)
{
    const sa_config *c = r->config;
    sa_buffer *b = d->b;
    const struct { const char *name; size_t value; } sizes[] = {
        {"n", r->n}, {"m", r->m}, {"d_model", r->d_model},
        {"d_context", r->d_context}, {"heads", r->heads},
        {"kv_heads", r->kv_heads}, {"d_head", r->d_head}, {"d_out", r->d_out},
    };
    sa_buffer_putc(b, '{');
    key(d, 2, true, "batch");
    if (r->batch)
        sa_buffer_printf(b, "%zu", r->batch);
    else
        sa_buffer_puts(b, "null");
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        key(d, 2, false, sizes[i].name);
        sa_buffer_printf(b, "%zu", sizes[i].value);
    }
    write_options(d, c, r->d_head);
    const struct { const char *name, *value; } names[] = {
        {"pos", c->pos_sinusoidal ? "sinusoidal" : NULL},
        {"context", r->context_name},
        {"mask", r->mask_line && !r->mask_name ? "line" : r->mask_name},
        {"bias", r->bias_name},
        {"masked_rows", c->masked_rows_nan ? "nan" : "zero"},
        {"weights", r->weights_name},
        {"convention", sa_convention_name(r->convention)},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        key(d, 2, false, names[i].name);
        if (strcmp(names[i].name, "mask") == 0 && r->mask_line && r->mask_name) {
            // the file's mask and the line's: both are named
            sa_buffer_putc(b, '[');
            sa_buffer_json_string(b, r->mask_name);
            sa_buffer_puts(b, d->compact ? ",\"line\"]" : ", \"line\"]");
            continue;
        }
        string_or_null(b, names[i].value);
    }
    if (r->grads) {  // grad: the file of dY, or null for all ones
        key(d, 2, false, "dy");
        string_or_null(b, r->dy_name);
    }
    key(d, 2, false, "layer");
    if (r->layer >= 0)
        sa_buffer_printf(b, "%ld", r->layer);
    else
        sa_buffer_puts(b, "null");
    key(d, 2, false, "seed");
    if (r->weights_name)
        sa_buffer_puts(b, "null");
    else
        sa_buffer_printf(b, "%llu", (unsigned long long)r->seed);
    const struct { const char *name; bool value; } flags[] = {
        {"out_proj", r->out_proj}, {"biases", r->biases},
        {"average_heads", r->average_heads},
    };
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        key(d, 2, false, flags[i].name);
        sa_buffer_puts(b, flags[i].value ? "true" : "false");
    }
    key(d, 2, false, "head");
    if (r->head)
        sa_buffer_printf(b, "%zu", r->head);
    else
        sa_buffer_puts(b, "null");
    write_from_weights(d, r);
    if (!d->compact)
        sa_buffer_puts(b, "\n  ");
    sa_buffer_putc(b, '}');
}

static void write_labels(doc *d, const char *name, char *const *labels,
                         size_t count)
{
    key(d, 1, false, name);
    sa_buffer_putc(d->b, '[');
    for (size_t i = 0; i < count; i++) {
        sa_buffer_json_string(d->b, labels[i]);
        if (i + 1 < count)
            sa_buffer_puts(d->b, d->compact ? "," : ", ");
    }
    sa_buffer_putc(d->b, ']');
}

/* The arrays a report prints, in the order of the document. */
typedef enum {
    ITEM_OUTPUT, ITEM_WEIGHTS, ITEM_AVERAGE, ITEM_Q, ITEM_K, ITEM_V,
    ITEM_RAW_SCORES, ITEM_SCORES, ITEM_EXP, ITEM_ROWSUM, ITEM_SOFTMAX,
    ITEM_HEAD_OUTPUT, ITEM_CONCAT, ITEM_INPUT, ITEM_CONTEXT
} item;

/* The keys of "steps", in the order of the computation, from ITEM_Q. */
static const char *const step_keys[] = {
    "Q", "K", "V", "raw_scores", "scores", "exp", "rowsum", "softmax",
    "head_output", "concat"
};

/* Writes item of the one-sequence report r at indent: a matrix, or one
 * per head printed. */
static void write_value(doc *d, const sa_report *r, item it, int indent)
{
    const sa_result *res = r->result;
    size_t n = res->n, m = res->m, dh = res->d_head, first, H;
    sa_report_heads(&first, &H, r);
    const struct { const float *data; size_t heads, rows, cols; } items[] = {
        [ITEM_OUTPUT] = {res->output, 0, n, res->d_out},
        [ITEM_WEIGHTS] = {res->weights ? res->weights + first * n * m : NULL, H, n, m},
        [ITEM_AVERAGE] = {r->average, 0, n, m},
        [ITEM_Q] = {res->q ? res->q + first * n * dh : NULL, H, n, dh},
        [ITEM_K] = {res->k ? res->k + first * m * dh : NULL, H, m, dh},
        [ITEM_V] = {res->v ? res->v + first * m * dh : NULL, H, m, dh},
        [ITEM_SCORES] = {res->scores ? res->scores + first * n * m : NULL, H, n, m},
        [ITEM_SOFTMAX] = {res->weights ? res->weights + first * n * m : NULL, H, n, m},
        [ITEM_RAW_SCORES] = {res->raw_scores ? res->raw_scores + first * n * m : NULL, H, n, m},
        [ITEM_EXP] = {res->exp_scores ? res->exp_scores + first * n * m : NULL, H, n, m},
        // (H, n): one row of sums per head
        [ITEM_ROWSUM] = {res->rowsum ? res->rowsum + first * n : NULL, 0, H, n},
        [ITEM_HEAD_OUTPUT] = {res->head_output ? res->head_output + first * n * dh : NULL, H, n, dh},
        // (n, P): every head's columns, whichever head is printed
        [ITEM_CONCAT] = {res->concat, 0, n, res->heads * dh},
        [ITEM_INPUT] = {r->input, 0, n, r->d_model},
        [ITEM_CONTEXT] = {r->context, 0, m, r->d_context},
    };
    if (items[it].heads)
        write_heads(d, items[it].data, items[it].heads, items[it].rows,
                    items[it].cols, indent);
    else
        sa_buffer_json_rows(d->b, items[it].data, items[it].rows, items[it].cols,
                            d->compact ? -1 : indent);
}

/* Writes item at indent: its value, or for a batch an array of each
 * sequence's. */
static void write_item(doc *d, const sa_report *r, item it, int indent)
{
    if (!r->batch) {
        write_value(d, r, it, indent);
        return;
    }
    sa_buffer_putc(d->b, '[');
    for (size_t s = 0; s < r->batch; s++) {
        sa_sequence_view v;
        sa_report_sequence(&v, r, s);
        if (!d->compact)
            sa_buffer_printf(d->b, "\n%*s", indent + 2, "");
        write_value(d, &v.report, it, indent + 2);
        if (s + 1 < r->batch)
            sa_buffer_putc(d->b, ',');
    }
    if (!d->compact)
        sa_buffer_printf(d->b, "\n%*s", indent, "");
    sa_buffer_putc(d->b, ']');
}

/* "params": the weights as used, in the math convention, by name. */
static void write_params(doc *d, const sa_report *r)
{
    sa_block blocks[8];
    size_t count = sa_report_params(blocks, r);
    key(d, 1, false, "params");
    sa_buffer_putc(d->b, '{');
    for (size_t k = 0; k < count; k++) {
        key(d, 2, k == 0, blocks[k].name);
        if (blocks[k].vector)
            sa_buffer_json_vector(d->b, blocks[k].data, blocks[k].cols);
        else
            sa_buffer_json_rows(d->b, blocks[k].data, blocks[k].rows,
                                blocks[k].cols, d->compact ? -1 : 4);
    }
    if (!d->compact)
        sa_buffer_puts(d->b, "\n  ");
    sa_buffer_putc(d->b, '}');
}

/* The printed matrices: input and params, output, weights and steps. */
static void write_matrices(doc *d, const sa_report *r)
{
    if (r->print_input) {
        key(d, 1, false, "input");
        write_item(d, r, ITEM_INPUT, 2);
        if (r->context) {
            key(d, 1, false, "context");
            write_item(d, r, ITEM_CONTEXT, 2);
        }
    }
    if (r->print_params && r->params)
        write_params(d, r);
    if (r->print_output) {
        key(d, 1, false, "output");
        write_item(d, r, ITEM_OUTPUT, 2);
    }
    if (r->print_weights) {
        key(d, 1, false, "weights");
        write_item(d, r, ITEM_WEIGHTS, 2);
    }
    if (r->average_heads) {
        key(d, 1, false, "average_weights");
        write_item(d, r, ITEM_AVERAGE, 2);
    }
    if (!r->print_steps)
        return;
    key(d, 1, false, "steps");
    sa_buffer_putc(d->b, '{');
    for (size_t s = 0; s < sizeof step_keys / sizeof step_keys[0]; s++) {
        key(d, 2, s == 0, step_keys[s]);
        write_item(d, r, (item)(ITEM_Q + s), 4);
    }
    if (!d->compact)
        sa_buffer_puts(d->b, "\n  ");
    sa_buffer_putc(d->b, '}');
}

/* The document: line and id (raw JSON text) first when line > 0. */
static void write_document(sa_buffer *b, const sa_report *r, bool compact,
                           long line, const char *id)
{
    doc d = {b, compact, false};
    sa_buffer_putc(b, '{');
    if (line > 0) {
        key(&d, 1, true, "line");
        sa_buffer_printf(b, "%ld", line);
        if (id) {
            key(&d, 1, false, "id");
            sa_buffer_puts(b, id);
        }
    }
    if (!r->omit_config) {
        key(&d, 1, false, "config");
        write_config(&d, r);
    }
    if (r->tokens)
        write_labels(&d, "tokens", r->tokens, r->n);
    if (r->key_tokens)
        write_labels(&d, "key_tokens", r->key_tokens, r->m);
    write_matrices(&d, r);
    sa_json_grads(b, r, compact);
    sa_buffer_puts(b, compact ? "}\n" : "\n}\n");
}

sa_status sa_write_json(FILE *out, const sa_report *r, sa_error *err)
{
    sa_buffer b;
    if (sa_config_check(r->config, err))
        return SA_ERR_USAGE;
    sa_buffer_init(&b, out);
    write_document(&b, r, false, 0, NULL);
    return sa_buffer_close(&b, err);
}

void sa_report_json(sa_buffer *b, const sa_report *r)
{
    write_document(b, r, false, 0, NULL);
}

sa_status sa_write_json_line(FILE *out, const sa_report *r, long line,
                             const char *id, sa_error *err)
{
    sa_buffer b;
    if (sa_config_check(r->config, err))
        return SA_ERR_USAGE;
    sa_buffer_init(&b, out);
    write_document(&b, r, true, line, id);
    return sa_buffer_close(&b, err);
}

void sa_write_json_string(FILE *out, const char *s)
{
    sa_buffer b;
    sa_error ignored;
    sa_buffer_init(&b, out);
    sa_buffer_json_string(&b, s);
    sa_buffer_close(&b, &ignored);  // the caller checks the stream
}
