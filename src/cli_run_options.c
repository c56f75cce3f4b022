/* cli_run_options.c — the options of `run` and `batch`, and their checks. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_run.h"
#include "format.h"

/* --row's largest value: explain refuses more than 16 rows anyway */
#define EXPLAIN_ROW_MAX ((size_t)1 << 20)

/* Parses the comma list of --print into o. */
static bool parse_print(run_options *o, const char *arg)
{
    static const char *const items[] = {"output", "weights", "steps", "input",
                                        "params", "grads", "grad_steps"};
    bool grad = o->command == CLI_GRAD;
    o->print_output = o->print_weights = o->print_steps = false;
    o->print_input = o->print_params = false;
    o->print_grads = o->print_grad_steps = false;
    const char *p = arg;
    for (;;) {
        size_t len = strcspn(p, ",");
        if (len == 6 && strncmp(p, "output", len) == 0)
            o->print_output = true;
        else if (len == 7 && strncmp(p, "weights", len) == 0)
            o->print_weights = true;
        else if (len == 5 && strncmp(p, "steps", len) == 0)
            o->print_steps = true;
        else if (len == 5 && strncmp(p, "input", len) == 0)
            o->print_input = true;
        else if (len == 6 && strncmp(p, "params", len) == 0)
            o->print_params = true;
        else if (grad && len == 5 && strncmp(p, "grads", len) == 0)
            o->print_grads = true;
        else if (grad && len == 10 && strncmp(p, "grad_steps", len) == 0)
            o->print_grad_steps = true;
        else {
            char text[512];
            cli_choice_message(text, sizeof text, "--print", p, len, items,
                               grad ? 7 : 5);
            cli_usage_error("%s", text);
            return false;
        }
        if (p[len] == '\0')
            return true;
        p += len + 1;
    }
}

/* The options of what to compute it with: weights, heads, context. */
static bool take_model_option(run_options *o, int c, const char *arg)
{
    size_t size;
    switch (c) {
    case 'w': o->weights = arg; return true;
    case OPT_LAYER:
        if (!cli_parse_size(&size, "--layer", arg, 0, CLI_MAX_LAYER))
            return false;
        o->layer = (long)size;
        return true;
    case OPT_SEED: o->seed_set = true; return cli_parse_u64(&o->seed, "--seed", arg);
    case OPT_D_HEAD: return cli_parse_size(&o->d_head, "--d-head", arg, 1, CLI_MAX_WIDTH);
    case OPT_OUT_PROJ: o->out_proj = true; return true;
    case 'H':
        o->heads_set = true;
        return cli_parse_size(&o->heads, "--heads", arg, 1, CLI_MAX_HEADS);
    case OPT_KV_HEADS:
        o->kv_heads_set = true;
        return cli_parse_size(&o->kv_heads, "--kv-heads", arg, 1, CLI_MAX_HEADS);
    case OPT_CONTEXT: o->context = arg; return true;
    }
    return false;
}

/* A positive float option, or one above a bound: false after a usage error. */
static bool parse_above(float *out, const char *option, const char *arg,
                        float bound, const char *what)
{
    if (!cli_parse_float(out, option, arg))
        return false;
    if (*out <= bound) {
        cli_usage_error("%s: '%s' must be %s", option, arg, what);
        return false;
    }
    return true;
}

/* The options of the scores: scale, positions, modifiers, masks. */
static bool take_score_option(run_options *o, int c, const char *arg)
{
    static const char *const positions[] = {"sinusoidal", NULL};
    static const char *const styles[] = {"roformer", "neox", NULL};
    static const char *const masked_rows[] = {"zero", "nan", NULL};
    size_t size;
    int choice;
    switch (c) {
    case OPT_SCALE:
        o->scale_set = true;
        if (!cli_parse_float(&o->scale, "--scale", arg))
            return false;
        if (o->scale == 0.0f) {  // the library reads a zero scale as the default
            cli_usage_error("--scale: '%s' makes every score 0; leave --scale "
                            "out for the default 1/sqrt(dh)", arg);
            return false;
        }
        return true;
    case OPT_POS:
        o->pos_sinusoidal = true;
        return cli_parse_choice(&choice, "--pos", arg, positions);
    case OPT_ROPE: o->rope = true; return true;
    case OPT_ROPE_BASE:
        o->rope = true;
        return parse_above(&o->rope_base, "--rope-base", arg, 1.0f, "greater than 1");
    case OPT_ROPE_STYLE:
        o->rope = true;
        if (!cli_parse_choice(&choice, "--rope-style", arg, styles))
            return false;
        o->rope_neox = choice == 1;
        return true;
    case OPT_SOFTCAP: return parse_above(&o->softcap, "--softcap", arg, 0.0f, "positive");
    case OPT_ALIBI: o->alibi = true; return true;
    case OPT_BIAS: o->bias = arg; return true;
    case OPT_CAUSAL:
    case OPT_NO_CAUSAL:  // the last one counts
        o->causal_set = true;
        o->causal = c == OPT_CAUSAL;
        return true;
    case OPT_WINDOW:
        if (!cli_parse_size(&size, "--window", arg, 0, LONG_MAX))
            return false;
        o->window = (long)size;
        return true;
    case OPT_MASK: o->mask = arg; return true;
    case OPT_SWEEP: o->sweep_spec = arg; return true;
    case OPT_MASKED_ROWS:
        if (!cli_parse_choice(&choice, "--masked-rows", arg, masked_rows))
            return false;
        o->masked_rows_nan = choice == 1;
        return true;
    }
    return false;
}

/* The options of what to print and how to run. */
/* --shard K/N: 1 <= K <= N, N at most CLI_MAX_SHARDS. */
static bool parse_shard(run_options *o, const char *arg)
{
    char *end;
    errno = 0;
    unsigned long long k = strtoull(arg, &end, 10), n = 0;
    bool ok = end != arg && *end == '/' && arg[0] != '-' && end[1] != '-' && errno == 0;
    if (ok) {
        const char *at = end + 1;
        n = strtoull(at, &end, 10);
        ok = end != at && *end == '\0' && errno == 0;
    }
    if (!ok || k < 1 || n < 1 || k > n || n > CLI_MAX_SHARDS) {
        cli_usage_error("--shard: expected K/N with 1 <= K <= N <= %zu (shard K "
                        "of N), not '%s'", CLI_MAX_SHARDS, arg);
        return false;
    }
    o->shard = (size_t)k;
    o->shards = (size_t)n;
    return true;
}

static bool take_output_option(run_options *o, int c, const char *arg)
{
    static const char *const formats[] = {"json", "table", "csv", "npy", "npz",
                                          "svg", "heatmap", "html", NULL};
    static const char *const grad_pictures[] = {"dS", "dP", NULL};
    int choice;
    switch (c) {
    case 'p':
        o->print_given = true;
        return parse_print(o, arg);
    case OPT_AVERAGE: o->average_heads = true; return true;
    case OPT_HEAD: return cli_parse_size(&o->head, "--head", arg, 1, CLI_MAX_HEADS);
    case OPT_ROW: return cli_parse_size(&o->row, "--row", arg, 0, EXPLAIN_ROW_MAX);
    case 'f':
        if (!cli_parse_choice(&choice, "--format", arg, formats))
            return false;
        o->format = (out_format)choice;
        return true;
    case 'o': return cli_parse_output(&o->output, arg);
    case OPT_DIGITS: return cli_parse_size(&o->digits, "--digits", arg, 0, 9);
    case OPT_COLOR: return cli_parse_color(&o->color, arg);
    case OPT_VMIN: case OPT_VMAX: return cli_parse_limit(&o->limits, c, arg);
    case 't': return cli_parse_size(&o->threads, "--threads", arg, 1, CLI_MAX_THREADS);
    case OPT_STATS: o->stats = true; return true;
    case OPT_JOBS: return cli_parse_size(&o->jobs, "--jobs", arg, 1, CLI_MAX_JOBS);
    case OPT_QUIET: o->quiet = true; return true;
    case OPT_SHARD: return parse_shard(o, arg);
    case OPT_NO_CONFIG: o->no_config = true; return true;
    case OPT_DY: o->dy = arg; return true;
    case OPT_WHAT:  // grad's: what its pictures draw
        if (!cli_parse_choice(&choice, "--what", arg, grad_pictures))
            return false;
        o->what = grad_pictures[choice];
        return true;
    }
    return false;
}

/* Handles one option c with value arg; returns false after a usage error. */
static bool take_option(void *ctx, int c, const char *arg)
{
    run_options *o = ctx;
    switch (c) {
    case 'w': case OPT_LAYER: case OPT_SEED: case OPT_D_HEAD: case OPT_OUT_PROJ:
    case 'H': case OPT_KV_HEADS: case OPT_CONTEXT:
        return take_model_option(o, c, arg);
    case 'p': case OPT_AVERAGE: case 'f': case 'o': case OPT_DIGITS:
    case OPT_COLOR: case 't': case OPT_STATS: case OPT_JOBS: case OPT_QUIET:
    case OPT_SHARD:
    case OPT_VMIN: case OPT_VMAX: case OPT_HEAD: case OPT_NO_CONFIG: case OPT_DY:
    case OPT_WHAT: case OPT_ROW:
        return take_output_option(o, c, arg);
    }
    return take_score_option(o, c, arg);
}

size_t run_default_threads(void)
{
    const char *env = getenv("OPENBLAS_NUM_THREADS");
    char *end;
    long v = env ? strtol(env, &end, 10) : 0;
    if (env && *env && *end == '\0' && v > 0)
        return (size_t)v;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return cores > 0 ? (size_t)cores : 1;
}

/* The format against what is printed (o's defaults for pictures and
 * pages set here); returns 0 or an exit code after the usage error. */
static int check_format(run_options *o, bool batch, bool grad)
{
    if (batch && o->format != OUT_JSON)
        return cli_usage_error("batch writes JSON Lines: --format json only");
    bool picture = o->format == OUT_SVG || o->format == OUT_HEATMAP;
    bool page = o->format == OUT_HTML;  /* draws the weights, shows the steps */
    if (!grad && (picture || page || o->average_heads) && !o->print_given) {
        o->print_output = false;  /* pictures draw the weights, or the average */
        o->print_weights = !o->average_heads;
    }
    if (o->format == OUT_NPY && (o->print_steps || o->print_params))
        return cli_usage_error("--format npy writes one array: %s are "
                               "several; use npz", o->print_steps ? "steps"
                               : "params");
    if (o->format == OUT_NPY && o->print_output + o->print_weights +
        o->average_heads + o->print_input != 1)
        return cli_usage_error("--format npy writes one array: print one of "
                               "output, weights or input, or --average-heads "
                               "alone (npz holds several)");
    if (!grad && picture && (!(o->print_weights || o->average_heads) ||
                             o->print_output || o->print_steps ||
                             o->print_input || o->print_params))
        return cli_usage_error("--format %s draws the weights: --print weights "
                               "(or leave --print out)",
                               o->format == OUT_SVG ? "svg" : "heatmap");
    if (batch && picture)
        return cli_usage_error("batch writes JSON Lines: --format json only");
    if (page && !o->print_weights && !o->print_steps && !o->average_heads)
        return cli_usage_error("--format html draws the weights: add weights "
                               "or steps to --print");
    if ((o->limits.has_min || o->limits.has_max) && !picture && !page)
        return cli_usage_error("%s sets the colour scale of the pictures: "
                               "-f svg, -f heatmap or -f html",
                               o->limits.has_min ? "--vmin" : "--vmax");
    return cli_check_limits(&o->limits);
}

int run_parse_options(run_options *o, int argc, char **argv, bool batch)
{
    return run_parse_command(o, argc, argv, batch ? CLI_BATCH : CLI_RUN);
}

int run_parse_command(run_options *o, int argc, char **argv, unsigned command)
{
    bool batch = command == CLI_BATCH, grad = command == CLI_GRAD;
    const char *cmd = cli_command_name(command);
    memset(o, 0, sizeof *o);
    o->command = command;
    o->layer = -1;
    o->jobs = 1;
    o->heads = 1;
    o->window = -1;
    o->rope_base = 10000.0f;
    o->print_output = true;
    o->print_grads = grad;  // grad prints output,grads by default
    o->digits = 4;
    o->print_steps = command == CLI_EXPLAIN;  // explain tells every step
    int code = cli_parse_command(argc, argv, command, take_option, o);
    if (code)
        return code;
    if (optind == argc)
        return cli_usage_error("%s: missing INPUT (a file, or - for stdin)", cmd);
    if (optind + 1 < argc)
        return cli_usage_error("%s: one INPUT expected, got '%s' too", cmd,
                               argv[optind + 1]);
    o->input = argv[optind];
    if (grad && (code = grad_check_options(o)))
        return code;
    if ((code = check_format(o, batch, grad)))
        return code;
    if (o->weights && (o->seed_set || o->d_head || o->out_proj))
        return cli_usage_error("--seed, --d-head and --out-proj are for "
                               "generated weights, not with --weights");
    if (o->head && !o->print_weights && !o->print_steps && !o->print_grad_steps)
        return cli_usage_error("--head %zu picks a head's weights and steps: "
                               "add weights or steps%s to --print", o->head,
                               grad ? " or grad_steps" : "");
    if (o->no_config && o->format != OUT_JSON)
        return cli_usage_error("--no-config leaves the \"config\" object out of "
                               "JSON: it is for --format json only");
    if (o->context && o->causal)
        return cli_usage_error("--causal is for self-attention: queries and "
                               "context keys have no common order");
    const char *files[] = {o->input, o->weights, o->context, o->mask, o->bias,
                           o->dy};
    int from_stdin = 0;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        from_stdin += files[i] && strcmp(files[i], "-") == 0;
    if (from_stdin > 1)
        return cli_usage_error("only one file can be - (standard input)");
    if (o->sweep_spec && (code = run_parse_sweep(o)))
        return code;
    if (!o->threads)
        o->threads = run_default_threads();
    sa_set_io_threads(o->threads);
    if (!o->kv_heads)
        o->kv_heads = o->heads;
    // without -H, a weights file may give the heads: checked with them
    if ((o->heads_set || !o->weights) && o->heads % o->kv_heads != 0 &&
        o->sweep.param != SWEEP_HEADS) {  // --sweep heads: checked per value
        char counts[256];
        sa_format_divisors(counts, sizeof counts, o->heads, o->kv_heads);
        return cli_usage_error("--kv-heads %zu does not divide --heads %zu: "
                               "use %s", o->kv_heads, o->heads, counts);
    }
    return 0;
}

