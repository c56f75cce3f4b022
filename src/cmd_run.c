/* cmd_run.c — `selfattn run`: parse options, read the files, run the
 * attention, write the report.  All the math is in the library. */
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef enum { OUT_JSON, OUT_TABLE, OUT_CSV } out_format;

typedef struct {
    const char *input, *weights, *context, *mask, *bias, *output;
    uint64_t seed;
    bool seed_set, out_proj;
    size_t heads, kv_heads, d_head;   /* kv_heads, d_head 0: defaults */
    float scale, softcap, rope_base;
    bool scale_set, causal, alibi, rope, rope_neox, pos_sinusoidal;
    bool masked_rows_nan, average_heads;
    long window;                      /* -1: none */
    bool print_output, print_weights, print_steps;
    out_format format;
    size_t digits;
} run_options;

/* Parses the comma list of --print into o. */
static bool parse_print(run_options *o, const char *arg)
{
    o->print_output = o->print_weights = o->print_steps = false;
    const char *p = arg;
    for (;;) {
        size_t len = strcspn(p, ",");
        if (len == 6 && strncmp(p, "output", len) == 0)
            o->print_output = true;
        else if (len == 7 && strncmp(p, "weights", len) == 0)
            o->print_weights = true;
        else if (len == 5 && strncmp(p, "steps", len) == 0)
            o->print_steps = true;
        else {
            cli_usage_error("--print: '%.*s' is not one of output, weights, "
                            "steps", (int)len, p);
            return false;
        }
        if (p[len] == '\0')
            return true;
        p += len + 1;
    }
}

/* Sets *index to the position of arg in the NULL-terminated names, or
 * prints a usage error listing them. */
static bool parse_choice(int *index, const char *option, const char *arg,
                         const char *const *names)
{
    for (int i = 0; names[i]; i++)
        if (strcmp(arg, names[i]) == 0) {
            *index = i;
            return true;
        }
    char list[128] = "";
    for (int i = 0; names[i]; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                 i ? ", " : "", names[i]);
    cli_usage_error("%s: '%s' is not one of %s", option, arg, list);
    return false;
}

enum { OPT_SEED = 256, OPT_D_HEAD, OPT_OUT_PROJ, OPT_SCALE, OPT_CAUSAL,
       OPT_MASK, OPT_AVERAGE, OPT_DIGITS, OPT_CONTEXT, OPT_KV_HEADS, OPT_POS,
       OPT_ROPE, OPT_ROPE_BASE, OPT_ROPE_STYLE, OPT_ALIBI, OPT_WINDOW,
       OPT_SOFTCAP, OPT_BIAS, OPT_MASKED_ROWS };

static const struct option run_longs[] = {
    {"weights", required_argument, NULL, 'w'},
    {"seed", required_argument, NULL, OPT_SEED},
    {"d-head", required_argument, NULL, OPT_D_HEAD},
    {"out-proj", no_argument, NULL, OPT_OUT_PROJ},
    {"heads", required_argument, NULL, 'H'},
    {"kv-heads", required_argument, NULL, OPT_KV_HEADS},
    {"context", required_argument, NULL, OPT_CONTEXT},
    {"scale", required_argument, NULL, OPT_SCALE},
    {"pos", required_argument, NULL, OPT_POS},
    {"rope", no_argument, NULL, OPT_ROPE},
    {"rope-base", required_argument, NULL, OPT_ROPE_BASE},
    {"rope-style", required_argument, NULL, OPT_ROPE_STYLE},
    {"softcap", required_argument, NULL, OPT_SOFTCAP},
    {"alibi", no_argument, NULL, OPT_ALIBI},
    {"bias", required_argument, NULL, OPT_BIAS},
    {"causal", no_argument, NULL, OPT_CAUSAL},
    {"window", required_argument, NULL, OPT_WINDOW},
    {"mask", required_argument, NULL, OPT_MASK},
    {"masked-rows", required_argument, NULL, OPT_MASKED_ROWS},
    {"print", required_argument, NULL, 'p'},
    {"average-heads", no_argument, NULL, OPT_AVERAGE},
    {"format", required_argument, NULL, 'f'},
    {"output", required_argument, NULL, 'o'},
    {"digits", required_argument, NULL, OPT_DIGITS},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Handles one option c with value arg; returns false after a usage error. */
static bool take_option(run_options *o, int c, const char *arg)
{
    static const char *const formats[] = {"json", "table", "csv", NULL};
    static const char *const positions[] = {"sinusoidal", NULL};
    static const char *const styles[] = {"roformer", "neox", NULL};
    static const char *const masked_rows[] = {"zero", "nan", NULL};
    size_t size;
    int choice;

    switch (c) {
    case 'w': o->weights = arg; return true;
    case OPT_SEED: o->seed_set = true; return cli_parse_u64(&o->seed, "--seed", arg);
    case OPT_D_HEAD: return cli_parse_size(&o->d_head, "--d-head", arg, 1, 1 << 20);
    case OPT_OUT_PROJ: o->out_proj = true; return true;
    case 'H': return cli_parse_size(&o->heads, "--heads", arg, 1, 1 << 16);
    case OPT_KV_HEADS: return cli_parse_size(&o->kv_heads, "--kv-heads", arg, 1, 1 << 16);
    case OPT_CONTEXT: o->context = arg; return true;
    case OPT_SCALE: o->scale_set = true; return cli_parse_float(&o->scale, "--scale", arg);
    case OPT_POS:
        o->pos_sinusoidal = true;
        return parse_choice(&choice, "--pos", arg, positions);
    case OPT_ROPE: o->rope = true; return true;
    case OPT_ROPE_BASE:
        o->rope = true;
        if (!cli_parse_float(&o->rope_base, "--rope-base", arg))
            return false;
        if (o->rope_base <= 1.0f) {
            cli_usage_error("--rope-base: '%s' must be greater than 1", arg);
            return false;
        }
        return true;
    case OPT_ROPE_STYLE:
        o->rope = true;
        if (!parse_choice(&choice, "--rope-style", arg, styles))
            return false;
        o->rope_neox = choice == 1;
        return true;
    case OPT_SOFTCAP:
        if (!cli_parse_float(&o->softcap, "--softcap", arg))
            return false;
        if (o->softcap <= 0) {
            cli_usage_error("--softcap: '%s' must be positive", arg);
            return false;
        }
        return true;
    case OPT_ALIBI: o->alibi = true; return true;
    case OPT_BIAS: o->bias = arg; return true;
    case OPT_CAUSAL: o->causal = true; return true;
    case OPT_WINDOW:
        if (!cli_parse_size(&size, "--window", arg, 0, LONG_MAX))
            return false;
        o->window = (long)size;
        return true;
    case OPT_MASK: o->mask = arg; return true;
    case OPT_MASKED_ROWS:
        if (!parse_choice(&choice, "--masked-rows", arg, masked_rows))
            return false;
        o->masked_rows_nan = choice == 1;
        return true;
    case 'p': return parse_print(o, arg);
    case OPT_AVERAGE: o->average_heads = true; return true;
    case 'f':
        if (!parse_choice(&choice, "--format", arg, formats))
            return false;
        o->format = (out_format)choice;
        return true;
    case 'o': o->output = arg; return true;
    case OPT_DIGITS: return cli_parse_size(&o->digits, "--digits", arg, 0, 9);
    }
    return false;
}

/* Fills o from argv; returns 0, or an exit code (-1 for --help). */
static int parse_options(run_options *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    o->heads = 1;
    o->window = -1;
    o->rope_base = 10000.0f;
    o->print_output = true;
    o->digits = 4;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":w:H:p:f:o:h", run_longs, NULL)) != -1) {
        if (c == 'h')
            return -1;
        if (c == ':' || c == '?')
            return cli_bad_option(c, argv);
        if (!take_option(o, c, optarg))
            return EX_USAGE;
    }
    if (optind == argc)
        return cli_usage_error("run: missing INPUT (a file, or - for stdin)");
    if (optind + 1 < argc)
        return cli_usage_error("run: one INPUT expected, got '%s' too",
                               argv[optind + 1]);
    o->input = argv[optind];
    if (o->weights && (o->seed_set || o->d_head || o->out_proj))
        return cli_usage_error("--seed, --d-head and --out-proj are for "
                               "generated weights, not with --weights");
    if (o->average_heads && !o->print_weights)
        return cli_usage_error("--average-heads averages the weights: add "
                               "weights to --print");
    if (o->context && o->causal)
        return cli_usage_error("--causal is for self-attention: queries and "
                               "context keys have no common order");
    const char *files[] = {o->input, o->weights, o->context, o->mask, o->bias};
    int from_stdin = 0;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        from_stdin += files[i] && strcmp(files[i], "-") == 0;
    if (from_stdin > 1)
        return cli_usage_error("only one file can be - (standard input)");
    if (!o->kv_heads)
        o->kv_heads = o->heads;
    if (o->heads % o->kv_heads != 0)
        return cli_usage_error("--kv-heads %zu does not divide --heads %zu",
                               o->kv_heads, o->heads);
    return 0;
}

/* Reads the file path into *text (the caller frees it).  Returns 0 or an
 * exit code after the message. */
static int read_text(char **text, size_t *len, const char *path)
{
    sa_error err;
    if (sa_read_file(text, len, path, &err))
        return cli_fail(path, &err);
    return 0;
}

/* Reads a matrix file (input or context). */
static int read_matrix_file(sa_matrix *m, const char *path)
{
    char *text;
    size_t len;
    sa_error err;
    int code = read_text(&text, &len, path);
    if (code)
        return code;
    if (sa_read_matrix(m, path, text, len, &err))
        code = cli_fail(path, &err);
    free(text);
    return code;
}

/* Reads and parses the weights file, or generates weights for the widths
 * d (queries) and d_ctx (keys and values). */
static int load_weights(sa_weights *w, const run_options *o, size_t d,
                        size_t d_ctx)
{
    sa_error err;
    if (!o->weights) {
        size_t d_head = o->d_head;
        if (!d_head) {
            if (d % o->heads != 0)
                return cli_usage_error("--heads %zu does not divide d_model "
                                       "%zu; set --d-head", o->heads, d);
            d_head = d / o->heads;
        }
        if (sa_weights_generate(w, d, d_ctx, o->heads, o->kv_heads, d_head,
                                o->out_proj, o->seed, &err))
            return cli_fail(NULL, &err);
        return 0;
    }
    char *text;
    size_t len;
    int code = read_text(&text, &len, o->weights);
    if (code)
        return code;
    if (sa_weights_from_json(w, text, len, &err))
        code = cli_fail(o->weights, &err);
    free(text);
    return code;
}

/* Reads the --mask and --bias files for n queries and m keys. */
static int load_mask_and_bias(unsigned char **mask, float **bias,
                              bool *per_head, const run_options *o, size_t n,
                              size_t m)
{
    char *text;
    size_t len;
    sa_error err;
    int code;
    if (o->mask) {
        if ((code = read_text(&text, &len, o->mask)))
            return code;
        if (sa_read_mask(mask, n, m, o->mask, text, len, &err))
            code = cli_fail(o->mask, &err);
        free(text);
        if (code)
            return code;
    }
    if (o->bias) {
        if ((code = read_text(&text, &len, o->bias)))
            return code;
        if (sa_read_bias(bias, per_head, o->heads, n, m, o->bias, text, len, &err))
            code = cli_fail(o->bias, &err);
        free(text);
    }
    return code;
}

/* Lists the query rows that saw no key, as one warning. */
static void warn_empty_rows(const sa_result *r, bool nan)
{
    char list[160] = "";
    size_t used = 0, shown = 0;
    for (; shown < r->n_empty_rows && used < sizeof list - 24; shown++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%zu",
                                 shown ? ", " : "", r->empty_rows[shown]);
    if (shown < r->n_empty_rows)
        snprintf(list + used, sizeof list - used, " and %zu more",
                 r->n_empty_rows - shown);
    bool many = r->n_empty_rows > 1;
    cli_warn("query row%s %s (counting from 0) see%s no key after masking; %s weights "
             "and head outputs are %s", many ? "s" : "", list, many ? "" : "s",
             many ? "their" : "its", nan ? "NaN" : "zero");
}

static int write_report(const run_options *o, const sa_report *rep)
{
    cli_output out;
    sa_error err;
    sa_status status;
    int code = cli_output_open(&out, o->output);
    if (code)
        return code;
    switch (o->format) {
    case OUT_TABLE: status = sa_write_table(out.fp, rep, &err); break;
    case OUT_CSV: status = sa_write_csv(out.fp, rep, &err); break;
    default: status = sa_write_json(out.fp, rep, &err); break;
    }
    if (status) {
        cli_output_abort(&out);
        return cli_fail(o->output ? o->output : "<stdout>", &err);
    }
    return cli_output_commit(&out);
}

int cmd_run(int argc, char **argv)
{
    run_options o;
    sa_matrix x = {0}, ctx = {0};
    sa_weights w = {0};
    sa_result r = {0};
    unsigned char *mask = NULL;
    float *bias = NULL, *average = NULL;
    bool bias_per_head = false;
    sa_error err;
    int code = parse_options(&o, argc, argv);

    if (code == -1) {
        fputs(cli_usage, stdout);
        return cli_close_stdout();
    }
    if (code)
        return code;

    if ((code = read_matrix_file(&x, o.input)))
        goto done;
    if (o.context && (code = read_matrix_file(&ctx, o.context)))
        goto done;
    const sa_matrix *keys = o.context ? &ctx : &x;
    size_t n = x.rows, m = keys->rows;
    if ((code = load_weights(&w, &o, x.cols, keys->cols)))
        goto done;
    if (sa_weights_check(&w, x.cols, keys->cols, o.heads, o.kv_heads, &err)) {
        code = cli_fail(err.status == SA_ERR_USAGE ? NULL : o.weights, &err);
        goto done;
    }
    if ((code = load_mask_and_bias(&mask, &bias, &bias_per_head, &o, n, m)))
        goto done;

    size_t dh = w.d_proj / o.heads;
    if (o.rope && dh % 2 != 0) {
        code = cli_usage_error("--rope needs an even head width, not %zu", dh);
        goto done;
    }
    sa_config cfg = {
        .heads = o.heads,
        .kv_heads = o.kv_heads,
        .scale = o.scale_set ? o.scale : (float)(1.0 / sqrt((double)dh)),
        .softcap = o.softcap,
        .alibi = o.alibi,
        .bias = bias,
        .bias_per_head = bias_per_head,
        .causal = o.causal,
        .window = o.window,
        .mask = mask,
        .masked_rows_nan = o.masked_rows_nan,
        .rope = o.rope,
        .rope_neox = o.rope_neox,
        .rope_base = o.rope_base,
        .pos_sinusoidal = o.pos_sinusoidal,
        .keep_weights = o.print_weights,
        .keep_steps = o.print_steps,
    };
    if (sa_attention_forward(&r, x.data, n, x.cols, o.context ? ctx.data : NULL,
                             m, keys->cols, &w, &cfg, &err)) {
        code = cli_fail(NULL, &err);
        goto done;
    }
    if (r.n_empty_rows)
        warn_empty_rows(&r, o.masked_rows_nan);
    if (o.average_heads) {
        average = malloc(n * m * sizeof *average);
        if (!average) {
            sa_fail(&err, SA_ERR_NOMEM, 0, 0, "out of memory");
            code = cli_fail(NULL, &err);
            goto done;
        }
        sa_average_heads(average, r.weights, o.heads, n, m);
    }

    sa_report rep = {
        .n = n, .m = m, .d_model = x.cols, .d_context = keys->cols,
        .heads = o.heads, .kv_heads = o.kv_heads, .d_head = dh,
        .d_out = w.d_out, .config = &cfg,
        .context_name = o.context ? cli_display_name(o.context) : NULL,
        .mask_name = o.mask ? cli_display_name(o.mask) : NULL,
        .bias_name = o.bias ? cli_display_name(o.bias) : NULL,
        .weights_name = o.weights ? cli_display_name(o.weights) : NULL,
        .seed = o.seed, .convention = w.convention, .out_proj = w.wo != NULL,
        .biases = w.bq || w.bk || w.bv || w.bo, .tokens = x.tokens,
        .key_tokens = o.context ? ctx.tokens : NULL,
        .print_output = o.print_output, .print_weights = o.print_weights,
        .print_steps = o.print_steps, .average_heads = o.average_heads,
        .digits = (int)o.digits, .result = &r, .average = average,
    };
    if ((code = write_report(&o, &rep)))
        goto done;
    code = cli_close_stdout();
done:
    free(mask);
    free(bias);
    free(average);
    sa_result_free(&r);
    sa_weights_free(&w);
    sa_matrix_free(&ctx);
    sa_matrix_free(&x);
    return code;
}
