/* cmd_inspect.c — `selfattn inspect FILE`: what a matrix or weights file
 * holds (names, dtypes, shapes) and which layout `run` would detect. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "cli_run.h"

static const char *kind_name(sa_file_kind kind)
{
    static const char *const names[] = {"json", "csv", "npy", "npz", "safetensors"};
    return names[kind];
}

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
    sa_json_write_string(out, t->name);
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
            sa_json_write_string(out, err.message);
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
                kind_name(kind), m->rows, m->cols,
                m->tokens ? ", with tokens" : "");
        return;
    }
    fputs("{\n  \"file\": ", out);
    sa_json_write_string(out, cli_display_name(path));
    fprintf(out, ",\n  \"format\": \"%s\",\n  \"kind\": \"matrix\",\n"
            "  \"shape\": [%zu, %zu],\n  \"tokens\": %s\n}\n", kind_name(kind),
            m->rows, m->cols, m->tokens ? "true" : "false");
}

static void print_tensors(FILE *out, const char *path, sa_file_kind kind,
                          const sa_tensor_set *set, bool table)
{
    if (table) {
        fprintf(out, "%s: %s, %zu tensor%s\n", cli_display_name(path),
                kind_name(kind), set->count, set->count == 1 ? "" : "s");
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
    sa_json_write_string(out, cli_display_name(path));
    fprintf(out, ",\n  \"format\": \"%s\",\n  \"kind\": \"%s\",\n  \"tensors\": [\n",
            kind_name(kind), kind == SA_FILE_NPY ? "array" : "tensors");
    for (size_t i = 0; i < set->count; i++)
        print_tensor(out, &set->items[i], false, 0, i + 1 == set->count);
    fputs(kind == SA_FILE_NPY ? "  ]\n" : "  ],\n", out);
    if (kind != SA_FILE_NPY)
        print_layout(out, set, false);
    fputs("}\n", out);
}

int cmd_inspect(int argc, char **argv)
{
    static const struct option longs[] = {
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool table = false;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":f:h", longs, NULL)) != -1) {
        if (c == 'h') {
            fputs(cli_usage, stdout);
            return cli_close_stdout();
        }
        if (c == ':' || c == '?')
            return cli_bad_option(c, argv);
        if (strcmp(optarg, "json") != 0 && strcmp(optarg, "table") != 0)
            return cli_usage_error("--format: '%s' is not one of json, table "
                                   "(for inspect)", optarg);
        table = strcmp(optarg, "table") == 0;
    }
    if (optind + 1 != argc)
        return cli_usage_error("inspect: one FILE expected");
    const char *path = argv[optind];

    char *text;
    size_t len;
    sa_error err;
    if (sa_read_file(&text, &len, path, &err))
        return cli_fail(path, &err);
    sa_file_kind kind = sa_guess_file_kind(path, text, len);
    sa_tensor_set set = {0};
    sa_matrix m = {0};
    sa_status status;
    if (kind == SA_FILE_NPY) {
        set.items = calloc(1, sizeof *set.items);
        status = set.items ? sa_read_npy(&set.items[0], (const unsigned char *)text,
                                         len, &err)
                           : sa_fail(&err, SA_ERR_NOMEM, 0, 0, "out of memory");
        set.count = !status;
        if (!status && !(set.items[0].name = strdup("array")))
            status = sa_fail(&err, SA_ERR_NOMEM, 0, 0, "out of memory");
    } else if (kind == SA_FILE_CSV) {
        status = sa_read_csv_matrix(&m, text, len, &err);
    } else if (kind == SA_FILE_JSON && (text[strspn(text, " \t\r\n")] == '[' ||
                                        strstr(text, "\"embeddings\""))) {
        status = sa_read_json_matrix(&m, text, len, &err);  /* embeddings */
    } else if (kind == SA_FILE_JSON && len > 0 &&
               sa_read_json_matrix(&m, text, len, &err) == SA_OK) {
        status = SA_OK;  /* an embeddings object; otherwise weights below */
    } else {
        status = sa_read_tensors(&set, path, text, len, &err);
    }
    int code;
    if (status)
        code = cli_fail(path, &err);
    else {
        if (m.data)
            print_matrix(stdout, path, kind, &m, table);
        else
            print_tensors(stdout, path, kind, &set, table);
        code = cli_close_stdout();
    }
    sa_tensor_set_free(&set);
    sa_matrix_free(&m);
    free(text);
    return code;
}
