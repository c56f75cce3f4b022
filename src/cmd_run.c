/* cmd_run.c — `selfattn run`: parse options, read the files, run the
 * attention, write the report.  All the math is in the library. */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef enum { OUT_JSON, OUT_TABLE, OUT_CSV } out_format;

typedef struct {
    const char *input, *weights, *mask, *output;
    uint64_t seed;
    bool seed_set, out_proj;
    size_t heads, d_head;       /* d_head 0: d / heads */
    float scale;
    bool scale_set, causal, average_heads;
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

static bool parse_format(out_format *f, const char *arg)
{
    if (strcmp(arg, "json") == 0)
        *f = OUT_JSON;
    else if (strcmp(arg, "table") == 0)
        *f = OUT_TABLE;
    else if (strcmp(arg, "csv") == 0)
        *f = OUT_CSV;
    else {
        cli_usage_error("--format: '%s' is not one of json, table, csv", arg);
        return false;
    }
    return true;
}

enum { OPT_SEED = 256, OPT_D_HEAD, OPT_OUT_PROJ, OPT_SCALE, OPT_CAUSAL,
       OPT_MASK, OPT_AVERAGE, OPT_DIGITS };

/* Fills o from argv; returns 0, or an exit code (-1 for --help). */
static int parse_options(run_options *o, int argc, char **argv)
{
    static const struct option longs[] = {
        {"weights", required_argument, NULL, 'w'},
        {"seed", required_argument, NULL, OPT_SEED},
        {"d-head", required_argument, NULL, OPT_D_HEAD},
        {"out-proj", no_argument, NULL, OPT_OUT_PROJ},
        {"heads", required_argument, NULL, 'H'},
        {"scale", required_argument, NULL, OPT_SCALE},
        {"causal", no_argument, NULL, OPT_CAUSAL},
        {"mask", required_argument, NULL, OPT_MASK},
        {"print", required_argument, NULL, 'p'},
        {"average-heads", no_argument, NULL, OPT_AVERAGE},
        {"format", required_argument, NULL, 'f'},
        {"output", required_argument, NULL, 'o'},
        {"digits", required_argument, NULL, OPT_DIGITS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->heads = 1;
    o->print_output = true;
    o->digits = 4;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":w:H:p:f:o:h", longs, NULL)) != -1) {
        switch (c) {
        case 'w': o->weights = optarg; break;
        case OPT_SEED:
            if (!cli_parse_u64(&o->seed, "--seed", optarg))
                return EX_USAGE;
            o->seed_set = true;
            break;
        case OPT_D_HEAD:
            if (!cli_parse_size(&o->d_head, "--d-head", optarg, 1, 1 << 20))
                return EX_USAGE;
            break;
        case OPT_OUT_PROJ: o->out_proj = true; break;
        case 'H':
            if (!cli_parse_size(&o->heads, "--heads", optarg, 1, 1 << 16))
                return EX_USAGE;
            break;
        case OPT_SCALE:
            if (!cli_parse_float(&o->scale, "--scale", optarg))
                return EX_USAGE;
            o->scale_set = true;
            break;
        case OPT_CAUSAL: o->causal = true; break;
        case OPT_MASK: o->mask = optarg; break;
        case 'p':
            if (!parse_print(o, optarg))
                return EX_USAGE;
            break;
        case OPT_AVERAGE: o->average_heads = true; break;
        case 'f':
            if (!parse_format(&o->format, optarg))
                return EX_USAGE;
            break;
        case 'o': o->output = optarg; break;
        case OPT_DIGITS:
            if (!cli_parse_size(&o->digits, "--digits", optarg, 0, 9))
                return EX_USAGE;
            break;
        case 'h': return -1;
        case ':':
            return cli_usage_error("option '%s' needs a value", argv[optind - 1]);
        default:
            return cli_usage_error("unknown option '%s'", argv[optind - 1]);
        }
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
    return 0;
}

/* Reads and parses the weights file, or generates weights for width d. */
static int load_weights(sa_weights *w, const run_options *o, size_t d)
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
        if (sa_weights_generate(w, d, o->heads, d_head, o->out_proj, o->seed,
                                &err))
            return cli_fail(NULL, &err);
        return 0;
    }
    char *text;
    size_t len;
    if (sa_read_file(&text, &len, o->weights, &err) ||
        sa_weights_from_json(w, text, len, &err)) {
        free(text);
        return cli_fail(o->weights, &err);
    }
    free(text);
    return 0;
}

/* Lists the query rows that saw no key, as one warning. */
static void warn_empty_rows(const sa_result *r)
{
    char list[160] = "";
    size_t used = 0, shown = 0;
    for (; shown < r->n_empty_rows && used < sizeof list - 24; shown++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%zu",
                                 shown ? ", " : "", r->empty_rows[shown]);
    if (shown < r->n_empty_rows)
        snprintf(list + used, sizeof list - used, " and %zu more",
                 r->n_empty_rows - shown);
    cli_warn("query row%s %s (from 0) see%s no key after masking; %s weights "
             "and head outputs are zero", r->n_empty_rows > 1 ? "s" : "",
             list, r->n_empty_rows > 1 ? "" : "s",
             r->n_empty_rows > 1 ? "their" : "its");
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
    sa_matrix x = {0};
    sa_weights w = {0};
    sa_result r = {0};
    unsigned char *mask = NULL;
    float *average = NULL;
    char *text = NULL;
    size_t len;
    sa_error err;
    int code = parse_options(&o, argc, argv);

    if (code == -1) {
        fputs(cli_usage, stdout);
        return cli_close_stdout();
    }
    if (code)
        return code;

    if (sa_read_file(&text, &len, o.input, &err) ||
        sa_read_matrix(&x, o.input, text, len, &err)) {
        code = cli_fail(o.input, &err);
        goto done;
    }
    free(text);
    text = NULL;
    if ((code = load_weights(&w, &o, x.cols)))
        goto done;
    if (sa_weights_check(&w, x.cols, o.heads, &err)) {
        code = cli_fail(err.status == SA_ERR_USAGE ? NULL : o.weights, &err);
        goto done;
    }
    if (o.mask && (sa_read_file(&text, &len, o.mask, &err) ||
                   sa_read_mask(&mask, x.rows, o.mask, text, len, &err))) {
        code = cli_fail(o.mask, &err);
        goto done;
    }

    size_t dh = w.d_proj / o.heads;
    sa_config cfg = {
        .heads = o.heads,
        .scale = o.scale_set ? o.scale : (float)(1.0 / sqrt((double)dh)),
        .causal = o.causal,
        .mask = mask,
        .keep_weights = o.print_weights,
        .keep_steps = o.print_steps,
    };
    if (sa_attention_forward(&r, x.data, x.rows, x.cols, &w, &cfg, &err)) {
        code = cli_fail(NULL, &err);
        goto done;
    }
    if (r.n_empty_rows)
        warn_empty_rows(&r);
    if (o.average_heads) {
        average = malloc(x.rows * x.rows * sizeof *average);
        if (!average) {
            sa_fail(&err, SA_ERR_NOMEM, 0, 0, "out of memory");
            code = cli_fail(NULL, &err);
            goto done;
        }
        sa_average_heads(average, r.weights, o.heads, x.rows);
    }

    sa_report rep = {
        .n = x.rows, .d_model = x.cols, .heads = o.heads, .d_head = dh,
        .d_out = w.d_out, .scale = cfg.scale, .causal = o.causal,
        .mask_name = o.mask ? cli_display_name(o.mask) : NULL,
        .weights_name = o.weights ? cli_display_name(o.weights) : NULL,
        .seed = o.seed, .convention = w.convention, .out_proj = w.wo != NULL,
        .biases = w.bq || w.bk || w.bv || w.bo, .tokens = x.tokens,
        .print_output = o.print_output, .print_weights = o.print_weights,
        .print_steps = o.print_steps, .average_heads = o.average_heads,
        .digits = (int)o.digits, .result = &r, .average = average,
    };
    if ((code = write_report(&o, &rep)))
        goto done;
    code = cli_close_stdout();
done:
    free(text);
    free(mask);
    free(average);
    sa_result_free(&r);
    sa_weights_free(&w);
    sa_matrix_free(&x);
    return code;
}
