/* write_json.c — a report as one JSON document for jq and scripts, pretty
 * (one matrix row per line) or compact (one line, for JSON Lines).
 * Legend: n = queries, m = keys, H = heads, dh = head width. */
#include <string.h>

#include "format.h"

/* Layout of one document: compact, or pretty with keys indented. */
typedef struct {
    FILE *out;
    bool compact;
} doc;

/* Starts member key at depth 1 (top) or 2 (in config). */
static void key(doc *d, int depth, bool first, const char *name)
{
    if (!first)
        fputc(',', d->out);
    if (!d->compact)
        fprintf(d->out, "\n%*s", 2 * depth, "");
    fprintf(d->out, d->compact ? "\"%s\":" : "\"%s\": ", name);
}

static void string_or_null(FILE *out, const char *s)
{
    if (s)
        sa_json_write_string(out, s);
    else
        fputs("null", out);
}

/* Writes data (H, rows, cols) as an array of H arrays of rows. */
static void write_heads(doc *d, const float *data, size_t H, size_t rows,
                        size_t cols, int indent)
{
    fputc('[', d->out);
    for (size_t h = 0; h < H; h++) {
        if (!d->compact)
            fprintf(d->out, "\n%*s", indent + 2, "");
        sa_json_write_rows(d->out, data + h * rows * cols, rows, cols,
                           d->compact ? -1 : indent + 2);
        if (h + 1 < H)
            fputc(',', d->out);
    }
    if (!d->compact)
        fprintf(d->out, "\n%*s", indent, "");
    fputc(']', d->out);
}

static void write_config(doc *d, const sa_report *r)
{
    const sa_config *c = r->config;
    FILE *out = d->out;
    char num[32];
    const struct { const char *name; size_t value; } sizes[] = {
        {"n", r->n}, {"m", r->m}, {"d_model", r->d_model},
        {"d_context", r->d_context}, {"heads", r->heads},
        {"kv_heads", r->kv_heads}, {"d_head", r->d_head}, {"d_out", r->d_out},
    };
    fputc('{', out);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        key(d, 2, i == 0, sizes[i].name);
        fprintf(out, "%zu", sizes[i].value);
    }
    sa_format_float(num, c->scale);
    key(d, 2, false, "scale");
    fputs(num, out);
    key(d, 2, false, "causal");
    fputs(c->causal ? "true" : "false", out);
    key(d, 2, false, "window");
    if (c->window >= 0)
        fprintf(out, "%ld", c->window);
    else
        fputs("null", out);
    sa_format_float(num, c->softcap);
    key(d, 2, false, "softcap");
    fputs(c->softcap > 0 ? num : "null", out);
    key(d, 2, false, "alibi");
    fputs(c->alibi ? "true" : "false", out);
    key(d, 2, false, "rope");
    if (c->rope) {
        sa_format_float(num, c->rope_base);
        fprintf(out, d->compact ? "{\"base\":%s,\"style\":\"%s\"}"
                                : "{\"base\": %s, \"style\": \"%s\"}",
                num, c->rope_neox ? "neox" : "roformer");
    } else {
        fputs("null", out);
    }
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
        string_or_null(out, names[i].value);
    }
    key(d, 2, false, "layer");
    if (r->layer >= 0)
        fprintf(out, "%ld", r->layer);
    else
        fputs("null", out);
    key(d, 2, false, "seed");
    if (r->weights_name)
        fputs("null", out);
    else
        fprintf(out, "%llu", (unsigned long long)r->seed);
    const struct { const char *name; bool value; } flags[] = {
        {"out_proj", r->out_proj}, {"biases", r->biases},
        {"average_heads", r->average_heads},
    };
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        key(d, 2, false, flags[i].name);
        fputs(flags[i].value ? "true" : "false", out);
    }
    if (!d->compact)
        fputs("\n  ", out);
    fputc('}', out);
}

static void write_labels(doc *d, const char *name, char *const *labels,
                         size_t count)
{
    key(d, 1, false, name);
    fputc('[', d->out);
    for (size_t i = 0; i < count; i++) {
        sa_json_write_string(d->out, labels[i]);
        if (i + 1 < count)
            fputs(d->compact ? "," : ", ", d->out);
    }
    fputc(']', d->out);
}

/* The document: line and id (raw JSON text) first when line > 0. */
static sa_status write_document(FILE *out, const sa_report *r, bool compact,
                                long line, const char *id, sa_error *err)
{
    doc d = {out, compact};
    const sa_result *res = r->result;
    size_t n = res->n, m = res->m, H = res->heads, dh = res->d_head;
    int indent = compact ? -1 : 2;

    fputc('{', out);
    if (line > 0) {
        key(&d, 1, true, "line");
        fprintf(out, "%ld", line);
        if (id) {
            key(&d, 1, false, "id");
            fputs(id, out);
        }
    }
    key(&d, 1, line <= 0, "config");
    write_config(&d, r);
    if (r->tokens)
        write_labels(&d, "tokens", r->tokens, n);
    if (r->key_tokens)
        write_labels(&d, "key_tokens", r->key_tokens, m);
    if (r->print_output) {
        key(&d, 1, false, "output");
        sa_json_write_rows(out, res->output, n, res->d_out, indent);
    }
    if (r->print_weights) {
        key(&d, 1, false, "weights");
        if (r->average_heads)
            sa_json_write_rows(out, r->average, n, m, indent);
        else
            write_heads(&d, res->weights, H, n, m, 2);
    }
    if (r->print_steps) {
        const struct { const char *name; const float *data; size_t rows, cols; } steps[] = {
            {"Q", res->q, n, dh}, {"K", res->k, m, dh}, {"V", res->v, m, dh},
            {"scores", res->scores, n, m}, {"softmax", res->weights, n, m},
        };
        key(&d, 1, false, "steps");
        fputc('{', out);
        for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
            key(&d, 2, s == 0, steps[s].name);
            write_heads(&d, steps[s].data, H, steps[s].rows, steps[s].cols, 4);
        }
        if (!compact)
            fputs("\n  ", out);
        fputc('}', out);
    }
    fputs(compact ? "}\n" : "\n}\n", out);
    return sa_stream_status(out, err);
}

sa_status sa_write_json(FILE *out, const sa_report *r, sa_error *err)
{
    return write_document(out, r, false, 0, NULL, err);
}

sa_status sa_write_json_line(FILE *out, const sa_report *r, long line,
                             const char *id, sa_error *err)
{
    return write_document(out, r, true, line, id, err);
}
