/* write_json.c — a report as one JSON document for jq and scripts.
 * Legend: n = queries, H = heads, dh = head width, d_out = output width. */
#include <string.h>

#include "format.h"

/* Writes data (H, rows, cols) as an array of H arrays of rows. */
static void write_heads(FILE *out, const float *data, size_t H, size_t rows,
                        size_t cols, int indent)
{
    fputs("[\n", out);
    for (size_t h = 0; h < H; h++) {
        fprintf(out, "%*s", indent + 2, "");
        sa_json_write_rows(out, data + h * rows * cols, rows, cols, indent + 2);
        fputs(h + 1 < H ? ",\n" : "\n", out);
    }
    fprintf(out, "%*s]", indent, "");
}

static const char *convention_name(sa_convention c)
{
    switch (c) {
    case SA_CONVENTION_MATH: return "math";
    case SA_CONVENTION_TORCH: return "torch";
    case SA_CONVENTION_SEED: return "seed";
    }
    return "unknown";
}

static void write_optional_string(FILE *out, const char *s)
{
    if (s)
        sa_json_write_string(out, s);
    else
        fputs("null", out);
}

static void write_bool(FILE *out, const char *key, bool value)
{
    fprintf(out, ",\n    \"%s\": %s", key, value ? "true" : "false");
}

static void write_name(FILE *out, const char *key, const char *value)
{
    fprintf(out, ",\n    \"%s\": ", key);
    write_optional_string(out, value);
}

static void write_config(FILE *out, const sa_report *r)
{
    const sa_config *c = r->config;
    char num[32];
    fprintf(out, "  \"config\": {\n    \"n\": %zu,\n    \"m\": %zu,\n"
            "    \"d_model\": %zu,\n    \"d_context\": %zu,\n"
            "    \"heads\": %zu,\n    \"kv_heads\": %zu,\n"
            "    \"d_head\": %zu,\n    \"d_out\": %zu",
            r->n, r->m, r->d_model, r->d_context, r->heads, r->kv_heads,
            r->d_head, r->d_out);
    sa_format_float(num, c->scale);
    fprintf(out, ",\n    \"scale\": %s", num);
    write_bool(out, "causal", c->causal);
    if (c->window >= 0)
        fprintf(out, ",\n    \"window\": %ld", c->window);
    else
        fputs(",\n    \"window\": null", out);
    sa_format_float(num, c->softcap);
    fprintf(out, ",\n    \"softcap\": %s", c->softcap > 0 ? num : "null");
    write_bool(out, "alibi", c->alibi);
    if (c->rope) {
        sa_format_float(num, c->rope_base);
        fprintf(out, ",\n    \"rope\": {\"base\": %s, \"style\": \"%s\"}", num,
                c->rope_neox ? "neox" : "roformer");
    } else {
        fputs(",\n    \"rope\": null", out);
    }
    write_name(out, "pos", c->pos_sinusoidal ? "sinusoidal" : NULL);
    write_name(out, "context", r->context_name);
    write_name(out, "mask", r->mask_name);
    write_name(out, "bias", r->bias_name);
    write_name(out, "masked_rows", c->masked_rows_nan ? "nan" : "zero");
    write_name(out, "weights", r->weights_name);
    write_name(out, "convention", convention_name(r->convention));
    if (r->weights_name)
        fputs(",\n    \"seed\": null", out);
    else
        fprintf(out, ",\n    \"seed\": %llu", (unsigned long long)r->seed);
    write_bool(out, "out_proj", r->out_proj);
    write_bool(out, "biases", r->biases);
    write_bool(out, "average_heads", r->average_heads);
    fputs("\n  }", out);
}

/* Writes ",\n  "key": [labels]" for count labels. */
static void write_labels(FILE *out, const char *key, char *const *labels,
                         size_t count)
{
    fprintf(out, ",\n  \"%s\": [", key);
    for (size_t i = 0; i < count; i++) {
        sa_json_write_string(out, labels[i]);
        if (i + 1 < count)
            fputs(", ", out);
    }
    fputc(']', out);
}

sa_status sa_write_json(FILE *out, const sa_report *r, sa_error *err)
{
    const sa_result *res = r->result;
    size_t n = res->n, m = res->m, H = res->heads, dh = res->d_head;

    fputs("{\n", out);
    write_config(out, r);
    if (r->tokens)
        write_labels(out, "tokens", r->tokens, n);
    if (r->key_tokens)
        write_labels(out, "key_tokens", r->key_tokens, m);
    if (r->print_output) {
        fputs(",\n  \"output\": ", out);
        sa_json_write_rows(out, res->output, n, res->d_out, 2);
    }
    if (r->print_weights) {
        fputs(",\n  \"weights\": ", out);
        if (r->average_heads)
            sa_json_write_rows(out, r->average, n, m, 2);
        else
            write_heads(out, res->weights, H, n, m, 2);
    }
    if (r->print_steps) {
        const struct { const char *name; const float *data; size_t rows, cols; } steps[] = {
            {"Q", res->q, n, dh}, {"K", res->k, m, dh}, {"V", res->v, m, dh},
            {"scores", res->scores, n, m}, {"softmax", res->weights, n, m},
        };
        fputs(",\n  \"steps\": {\n", out);
        for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
            fprintf(out, "    \"%s\": ", steps[s].name);
            write_heads(out, steps[s].data, H, steps[s].rows, steps[s].cols, 4);
            fputs(s + 1 < sizeof steps / sizeof steps[0] ? ",\n" : "\n", out);
        }
        fputs("  }", out);
    }
    fputs("\n}\n", out);
    return sa_stream_status(out, err);
}
