/* cmd_inspect.c — `selfattn inspect FILE`: what a matrix or weights file
 * holds (names, dtypes, shapes) and which layout `run` would detect. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "cli_run.h"

/* Writes one tensor as a JSON object or a table row. */
static void print_tensor(FILE *out, const sa_tensor *t, bool table,
                         int name_width, bool last)
{
    char shape[128];
    sa_format_shape(shape, sizeof shape, t->ndim, t->shape);
    if (table) {
        fprintf(out, "  %-*s  %-4s  %s%s\n", name_width, t->name,
                sa_dtype_name(t->dtype), shape,
                t->fortran_order ? " (Fortran order)" : "");
        return;
    }
    fputs("    {\"name\": ", out);
    sa_write_json_string(out, t->name);
    fprintf(out, ", \"dtype\": \"%s\", \"shape\": [", sa_dtype_name(t->dtype));
    for (size_t i = 0; i < t->ndim; i++)
        fprintf(out, "%s%zu", i ? ", " : "", t->shape[i]);
    fprintf(out, "]%s}%s\n", t->fortran_order ? ", \"order\": \"F\"" : "",
            last ? "" : ",");
}

/* Writes what run would make of the tensors as weights. */
static void print_layout(FILE *out, const sa_tensor_set *set, bool table)
{
    sa_weights w;
    sa_error err;
    if (sa_weights_from_tensors(&w, set, 0, &err)) {
        if (table) {
            fprintf(out, "layout: none (%s)\n", err.message);
        } else {
            fputs("  \"layout\": null,\n  \"layout_error\": ", out);
            sa_write_json_string(out, err.message);
            fputc('\n', out);
        }
        return;
    }
    const char *name = sa_convention_name(w.convention);
    bool biases = w.bq || w.bk || w.bv || w.bo;
    if (table)
        fprintf(out, "layout: %s: d_model %zu, d_context %zu, projection %zu, "
                "key/value %zu, d_out %zu, %s, %s\n", name, w.d_model,
                w.d_kv_in, w.d_proj, w.d_kv, w.d_out,
                w.wo ? "output projection" : "no output projection",
                biases ? "biases" : "no biases");
    else
        fprintf(out, "  \"layout\": {\"convention\": \"%s\", \"d_model\": %zu, "
                "\"d_context\": %zu, \"d_proj\": %zu, \"d_kv\": %zu, "
                "\"d_out\": %zu, \"out_proj\": %s, \"biases\": %s}\n", name,
                w.d_model, w.d_kv_in, w.d_proj, w.d_kv, w.d_out,
                w.wo ? "true" : "false", biases ? "true" : "false");
    sa_weights_free(&w);
}

/* Describes a JSON or CSV matrix file. */
static void print_matrix(FILE *out, const char *path, sa_file_kind kind,
                         const sa_matrix *m, bool table)
{
    if (table) {
        fprintf(out, "%s: %s matrix, %zu x %zu%s\n", cli_display_name(path),
                sa_file_kind_name(kind), m->rows, m->cols,
                m->tokens ? ", with tokens" : "");
        return;
    }
    fputs("{\n  \"file\": ", out);
    sa_write_json_string(out, cli_display_name(path));
    fprintf(out, ",\n  \"format\": \"%s\",\n  \"kind\": \"matrix\",\n"
            "  \"shape\": [%zu, %zu],\n  \"tokens\": %s\n}\n", sa_file_kind_name(kind),
            m->rows, m->cols, m->tokens ? "true" : "false");
}

static void print_tensors(FILE *out, const char *path, sa_file_kind kind,
                          const sa_tensor_set *set, bool table)
{
    if (table) {
        fprintf(out, "%s: %s, %zu tensor%s\n", cli_display_name(path),
                sa_file_kind_name(kind), set->count, set->count == 1 ? "" : "s");
        int width = 4;
        for (size_t i = 0; i < set->count; i++)
            if ((int)strlen(set->items[i].name) > width)
                width = (int)strlen(set->items[i].name);
        for (size_t i = 0; i < set->count; i++)
            print_tensor(out, &set->items[i], true, width, false);
        if (kind != SA_FILE_NPY)
            print_layout(out, set, true);
        return;
    }
    fputs("{\n  \"file\": ", out);
    sa_write_json_string(out, cli_display_name(path));
    fprintf(out, ",\n  \"format\": \"%s\",\n  \"kind\": \"%s\",\n  \"tensors\": [\n",
            sa_file_kind_name(kind), kind == SA_FILE_NPY ? "array" : "tensors");
    for (size_t i = 0; i < set->count; i++)
        print_tensor(out, &set->items[i], false, 0, i + 1 == set->count);
    fputs(kind == SA_FILE_NPY ? "  ]\n" : "  ],\n", out);
    if (kind != SA_FILE_NPY)
        print_layout(out, set, false);
    fputs("}\n", out);
}

/* -f json|table. */
static bool take_format(void *ctx, int c, const char *arg)
{
    static const char *const formats[] = {"json", "table", NULL};
    bool *table = ctx;
    int choice;
    (void)c;
    if (!cli_parse_choice(&choice, "--format", arg, formats))
        return false;
    *table = choice == 1;
    return true;
}

int cmd_inspect(int argc, char **argv)
{
    bool table = false;
    int code = cli_parse_command(argc, argv, CLI_INSPECT, take_format, &table);
    if (code)
        return code == -1 ? cli_help() : code;
    if (optind + 1 != argc)
        return cli_usage_error("inspect: one FILE expected");
    const char *path = argv[optind];

    char *text;
    size_t len;
    sa_error err;
    if (cli_read_file(&text, &len, path, &err))
        return cli_fail(path, &err);
    sa_file_contents contents;
    if (sa_read_contents(&contents, path, text, len, &err))
        code = cli_fail(path, &err);
    else {
        if (contents.is_matrix)
            print_matrix(stdout, path, contents.kind, &contents.matrix, table);
        else
            print_tensors(stdout, path, contents.kind, &contents.tensors, table);
        code = cli_close_stdout();
    }
    sa_file_contents_free(&contents);
    free(text);
    return code;
}
