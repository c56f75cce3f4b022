/* write_json.c — a report as one JSON document for jq and scripts, pretty
 * (one matrix row per line) or compact (one line, for JSON Lines),
 * formatted into a buffer (buffer.h).
 * Legend: n = queries, m = keys, H = heads, dh = head width. */
#include <math.h>
#include <string.h>

#include "format.h"
#include "report.h"

/* Layout of one document: compact, or pretty with keys indented. */
typedef struct {
    sa_buffer *b;
    bool compact;
} doc;

/* Starts member key at depth 1 (top) or 2 (in config). */
static void key(doc *d, int depth, bool first, const char *name)
{
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
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        key(d, 2, i == 0, sizes[i].name);
        sa_buffer_printf(b, "%zu", sizes[i].value);
    }
    write_options(d, c, r->d_head);
    const struct { const char *name, *value; } names[] = {
        {"pos", c->pos_sinusoidal ? "sinusoidal" : NULL},
        {"context", r->context_name}, {"mask", r->mask_name},
        {"bias", r->bias_name},
        {"masked_rows", c->masked_rows_nan ? "nan" : "zero"},
        {"weights", r->weights_name},
        {"convention", sa_convention_name(r->convention)},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        key(d, 2, false, names[i].name);
        string_or_null(b, names[i].value);
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

/* The printed matrices: output, weights and steps. */
static void write_matrices(doc *d, const sa_report *r)
{
    const sa_result *res = r->result;
    size_t n = res->n, m = res->m, dh = res->d_head, first, H;
    sa_buffer *b = d->b;
    int indent = d->compact ? -1 : 2;
    sa_report_heads(&first, &H, r);
    if (r->print_output) {
        key(d, 1, false, "output");
        sa_buffer_json_rows(b, res->output, n, res->d_out, indent);
    }
    if (r->print_weights) {
        key(d, 1, false, "weights");
        write_heads(d, res->weights + first * n * m, H, n, m, 2);
    }
    if (r->average_heads) {
        key(d, 1, false, "average_weights");
        sa_buffer_json_rows(b, r->average, n, m, indent);
    }
    if (!r->print_steps)
        return;
    const struct { const char *name; const float *data; size_t rows, cols; } steps[] = {
        {"Q", res->q, n, dh}, {"K", res->k, m, dh}, {"V", res->v, m, dh},
        {"scores", res->scores, n, m}, {"softmax", res->weights, n, m},
    };
    key(d, 1, false, "steps");
    sa_buffer_putc(b, '{');
    for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
        size_t size = steps[s].rows * steps[s].cols;
        key(d, 2, s == 0, steps[s].name);
        write_heads(d, steps[s].data + first * size, H, steps[s].rows,
                    steps[s].cols, 4);
    }
    if (!d->compact)
        sa_buffer_puts(b, "\n  ");
    sa_buffer_putc(b, '}');
}

/* The document: line and id (raw JSON text) first when line > 0. */
static void write_document(sa_buffer *b, const sa_report *r, bool compact,
                           long line, const char *id)
{
    doc d = {b, compact};
    sa_buffer_putc(b, '{');
    if (line > 0) {
        key(&d, 1, true, "line");
        sa_buffer_printf(b, "%ld", line);
        if (id) {
            key(&d, 1, false, "id");
            sa_buffer_puts(b, id);
        }
    }
    key(&d, 1, line <= 0, "config");
    write_config(&d, r);
    if (r->tokens)
        write_labels(&d, "tokens", r->tokens, r->n);
    if (r->key_tokens)
        write_labels(&d, "key_tokens", r->key_tokens, r->m);
    write_matrices(&d, r);
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
