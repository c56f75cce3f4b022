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

static void write_config(FILE *out, const sa_report *r)
{
    char scale[32];
    sa_format_float(scale, r->scale);
    fprintf(out, "  \"config\": {\n    \"n\": %zu,\n    \"d_model\": %zu,\n"
            "    \"heads\": %zu,\n    \"d_head\": %zu,\n    \"d_out\": %zu,\n"
            "    \"scale\": %s,\n    \"causal\": %s,\n    \"mask\": ",
            r->n, r->d_model, r->heads, r->d_head, r->d_out, scale,
            r->causal ? "true" : "false");
    write_optional_string(out, r->mask_name);
    fputs(",\n    \"weights\": ", out);
    write_optional_string(out, r->weights_name);
    fprintf(out, ",\n    \"convention\": \"%s\",\n    \"seed\": ",
            convention_name(r->convention));
    if (r->weights_name)
        fputs("null", out);
    else
        fprintf(out, "%llu", (unsigned long long)r->seed);
    fprintf(out, ",\n    \"out_proj\": %s,\n    \"biases\": %s,\n"
            "    \"average_heads\": %s\n  }",
            r->out_proj ? "true" : "false", r->biases ? "true" : "false",
            r->average_heads ? "true" : "false");
}

sa_status sa_write_json(FILE *out, const sa_report *r, sa_error *err)
{
    const sa_result *res = r->result;
    size_t n = res->n, H = res->heads, dh = res->d_head;

    fputs("{\n", out);
    write_config(out, r);
    if (r->tokens) {
        fputs(",\n  \"tokens\": [", out);
        for (size_t i = 0; i < n; i++) {
            sa_json_write_string(out, r->tokens[i]);
            if (i + 1 < n)
                fputs(", ", out);
        }
        fputc(']', out);
    }
    if (r->print_output) {
        fputs(",\n  \"output\": ", out);
        sa_json_write_rows(out, res->output, n, res->d_out, 2);
    }
    if (r->print_weights) {
        fputs(",\n  \"weights\": ", out);
        if (r->average_heads)
            sa_json_write_rows(out, r->average, n, n, 2);
        else
            write_heads(out, res->weights, H, n, n, 2);
    }
    if (r->print_steps) {
        const struct { const char *name; const float *data; size_t cols; } steps[] = {
            {"Q", res->q, dh}, {"K", res->k, dh}, {"V", res->v, dh},
            {"scores", res->scores, n}, {"softmax", res->weights, n},
        };
        fputs(",\n  \"steps\": {\n", out);
        for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
            fprintf(out, "    \"%s\": ", steps[s].name);
            write_heads(out, steps[s].data, H, n, steps[s].cols, 4);
            fputs(s + 1 < sizeof steps / sizeof steps[0] ? ",\n" : "\n", out);
        }
        fputs("  }", out);
    }
    fputs("\n}\n", out);
    return sa_stream_status(out, err);
}
