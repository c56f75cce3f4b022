/* run_options.c — the options of `run` and `batch`, and their checks. */
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_run.h"

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
       OPT_SOFTCAP, OPT_BIAS, OPT_MASKED_ROWS, OPT_LAYER, OPT_JOBS, OPT_QUIET, OPT_STATS, OPT_COLOR };

static const struct option run_longs[] = {
    {"weights", required_argument, NULL, 'w'},
    {"layer", required_argument, NULL, OPT_LAYER},
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
    {"jobs", required_argument, NULL, OPT_JOBS},     /* batch only */
    {"quiet", no_argument, NULL, OPT_QUIET},         /* batch only */
    {"threads", required_argument, NULL, 't'},
    {"stats", no_argument, NULL, OPT_STATS},
    {"color", required_argument, NULL, OPT_COLOR},
    {NULL, 0, NULL, 0},
};

/* Handles one option c with value arg; returns false after a usage error. */
static bool take_option(run_options *o, int c, const char *arg)
{
    static const char *const formats[] = {"json", "table", "csv", "npy", "npz",
                                          "svg", "heatmap", NULL};
    static const char *const positions[] = {"sinusoidal", NULL};
    static const char *const styles[] = {"roformer", "neox", NULL};
    static const char *const masked_rows[] = {"zero", "nan", NULL};
    size_t size;
    int choice;

    switch (c) {
    case 'w': o->weights = arg; return true;
    case OPT_LAYER:
        if (!cli_parse_size(&size, "--layer", arg, 0, 1000000))
            return false;
        o->layer = (long)size;
        return true;
    case OPT_JOBS: return cli_parse_size(&o->jobs, "--jobs", arg, 1, 256);
    case OPT_QUIET: o->quiet = true; return true;
    case 't': return cli_parse_size(&o->threads, "--threads", arg, 1, 1024);
    case OPT_STATS: o->stats = true; return true;
    case OPT_COLOR: return cli_parse_color(&o->color, arg);
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
    case 'p':
        o->print_given = true;
        return parse_print(o, arg);
    case OPT_AVERAGE: o->average_heads = true; return true;
    case 'f':
        if (!parse_choice(&choice, "--format", arg, formats))
            return false;
        o->format = (out_format)choice;
        return true;
    case 'o': return cli_parse_output(&o->output, arg);
    case OPT_DIGITS: return cli_parse_size(&o->digits, "--digits", arg, 0, 9);
    }
    return false;
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

int run_parse_options(run_options *o, int argc, char **argv, bool batch)
{
    const char *cmd = batch ? "batch" : "run";
    memset(o, 0, sizeof *o);
    o->layer = -1;
    o->jobs = 1;
    o->heads = 1;
    o->window = -1;
    o->rope_base = 10000.0f;
    o->print_output = true;
    o->digits = 4;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":w:H:p:f:o:t:h", run_longs, NULL)) != -1) {
        if (c == 'h')
            return -1;
        if (c == ':' || c == '?')
            return cli_bad_option(c, argv);
        if (!batch && (c == OPT_JOBS || c == OPT_QUIET))
            return cli_usage_error("%s is an option of batch, not run",
                                   c == OPT_JOBS ? "--jobs" : "--quiet");
        if (!take_option(o, c, optarg))
            return EX_USAGE;
    }
    if (optind == argc)
        return cli_usage_error("%s: missing INPUT (a file, or - for stdin)", cmd);
    if (optind + 1 < argc)
        return cli_usage_error("%s: one INPUT expected, got '%s' too", cmd,
                               argv[optind + 1]);
    o->input = argv[optind];
    if (batch && o->stats)
        return cli_usage_error("--stats is an option of run, not batch");
    if (batch && o->format != OUT_JSON)
        return cli_usage_error("batch writes JSON Lines: --format json only");
    if (o->format == OUT_NPY && o->print_steps)
        return cli_usage_error("--format npy writes one array: steps are "
                               "several; use npz");
    if (o->format == OUT_NPY && o->print_output + o->print_weights != 1)
        return cli_usage_error("--format npy writes one array: print exactly "
                               "one of output or weights (npz holds several)");
    if (o->weights && (o->seed_set || o->d_head || o->out_proj))
        return cli_usage_error("--seed, --d-head and --out-proj are for "
                               "generated weights, not with --weights");
    bool picture = o->format == OUT_SVG || o->format == OUT_HEATMAP;
    if (picture && !o->print_given) {
        o->print_output = false;  /* pictures draw the weights */
        o->print_weights = true;
    }
    if (picture && (!o->print_weights || o->print_output || o->print_steps))
        return cli_usage_error("--format %s draws the weights: --print weights "
                               "(or leave --print out)",
                               o->format == OUT_SVG ? "svg" : "heatmap");
    if (batch && picture)
        return cli_usage_error("batch writes JSON Lines: --format json only");
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
    if (!o->threads)
        o->threads = run_default_threads();
    if (!o->kv_heads)
        o->kv_heads = o->heads;
    if (o->heads % o->kv_heads != 0)
        return cli_usage_error("--kv-heads %zu does not divide --heads %zu",
                               o->kv_heads, o->heads);
    return 0;
}

