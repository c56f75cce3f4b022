/* cli_options.c — every option of every command, in one table: its names,
 * its value, the commands that take it and its help; and the parsing of a
 * command's argv against it (getopt_long underneath), with a "did you
 * mean" for an unknown long option. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* grad takes every option of run and batch, and their readers' --max-input */
#define RUNS (CLI_RUN | CLI_BATCH | CLI_GRAD)
/* explain computes as run does: what to compute with, and the scores */
#define COMPUTES (RUNS | CLI_EXPLAIN)
#define READS (CLI_RUN | CLI_BATCH | CLI_INSPECT | CLI_PLOT | CLI_GRAD | CLI_EXPLAIN)
#define ALL (CLI_RUN | CLI_BATCH | CLI_INIT | CLI_INSPECT | CLI_PLOT | CLI_GRAD | CLI_EXPLAIN)

/* An option whose help (or values) differs between commands has a row per
 * meaning, with the same names and code: --format, --mask.  Each command's
 * --help lists its rows in this order (cli_help.c), wrapping the help. */
static const cli_option options[] = {
    /* what to compute with */
    {"weights", 'w', 'w', "FILE", COMPUTES, "weights as a JSON object: Wq (d x H*dh), Wk, Wv (d_ctx x G*dh), optional Wo (H*dh x d_out) and biases bq, bk, bv, bo; or a torch nn.MultiheadAttention state dict; as JSON, .npz or .safetensors; or a GPT-2 or BERT checkpoint"},
    {"layer", 0, OPT_LAYER, "N", COMPUTES, "the layer of a GPT-2 or BERT checkpoint (default 0)"},
    {"seed", 0, OPT_SEED, "N", COMPUTES | CLI_INIT, "generate the weights from seed N (default 0)"},
    {"d-model", 0, OPT_D_MODEL, "D", CLI_INIT, "input width d (required)"},
    {"d-context", 0, OPT_D_CONTEXT, "N", CLI_INIT, "width of the key/value input (default d)"},
    {"d-head", 0, OPT_D_HEAD, "N", COMPUTES | CLI_INIT, "head width of generated weights (default d / heads)"},
    {"out-proj", 0, OPT_OUT_PROJ, NULL, COMPUTES | CLI_INIT, "generate an output projection Wo (d_out = d)"},
    {"heads", 'H', 'H', "N", COMPUTES | CLI_INIT, "number of heads (default: what the weights file says, else 1); must divide the columns of Wq (d for generated weights, unless --d-head)"},
    {"kv-heads", 0, OPT_KV_HEADS, "G", COMPUTES | CLI_INIT, "key/value heads (default H; 1 = multi-query); divides H"},
    {"context", 0, OPT_CONTEXT, "FILE", COMPUTES, "cross-attention: keys and values from FILE's m rows"},
    /* the scores */
    {"scale", 0, OPT_SCALE, "X", COMPUTES, "multiply q.k by X (default 1/sqrt(dh))"},
    {"pos", 0, OPT_POS, "sinusoidal", COMPUTES, "add sinusoidal positions to the input rows"},
    {"rope", 0, OPT_ROPE, NULL, COMPUTES, "rotary positions on q and k"},
    {"rope-base", 0, OPT_ROPE_BASE, "B", COMPUTES, "RoPE base (default 10000); implies --rope"},
    {"rope-style", 0, OPT_ROPE_STYLE, "S", COMPUTES, "roformer (pairs 2t, 2t+1; default) or neox (t, t+dh/2); implies --rope"},
    {"softcap", 0, OPT_SOFTCAP, "C", COMPUTES, "scores become C*tanh(scores/C); C > 0"},
    {"alibi", 0, OPT_ALIBI, NULL, COMPUTES, "add -m_h*|i-j| to head h's scores (ALiBi slopes)"},
    {"bias", 0, OPT_BIAS, "FILE", COMPUTES, "add an n x m (or H x n x m, JSON or .npy) matrix to the scores"},
    {"causal", 0, OPT_CAUSAL, NULL, COMPUTES, "query i sees only keys j <= i (not with --context)"},
    {"no-causal", 0, OPT_NO_CAUSAL, NULL, COMPUTES, "every query sees every key, though the weights say causal"},
    {"window", 0, OPT_WINDOW, "W", COMPUTES, "query i sees only keys j with |i-j| <= W"},
    {"mask", 0, OPT_MASK, "FILE", COMPUTES, "n x m matrix of 0/1 (JSON, CSV or .npy); 1 = may attend"},
    {"mask", 0, OPT_MASK, "FILE", CLI_PLOT, "hatch the cells this 0/1 mask hid (the run's --mask)"},
    {"recorded-mask", 0, OPT_RECORDED_MASK, NULL, CLI_PLOT, "reuse the mask file the result names (regular files only)"},
    {"sweep", 0, OPT_SWEEP, "P=V,...", CLI_RUN, "run once per value of P (scale, heads, softcap or window) and print or draw the runs together, e.g. scale=0.125,0.5,1,2"},
    {"masked-rows", 0, OPT_MASKED_ROWS, "R", COMPUTES, "a query with no visible key gets zero (default) or nan"},
    /* what to print, and how */
    {"print", 'p', 'p', "LIST", CLI_RUN | CLI_BATCH, "comma list of output, weights, steps (Q, K, V, raw_scores, scores, exp, rowsum, softmax, head_output, concat), input (and the context), params (the weights as used) (default output)"},
    {"print", 'p', 'p', "LIST", CLI_GRAD, "comma list of output, weights, steps, input, params, grads (of the input, context, bias and weights), grad_steps (dO, dV, dP, dS, dQ, dK of each head) (default output,grads)"},
    {"average-heads", 0, OPT_AVERAGE, NULL, RUNS, "also print the heads' average (average_weights); without --print, only the average"},
    {"head", 0, OPT_HEAD, "N", RUNS, "print and draw the weights and steps of head N only (from 1)"},
    {"head", 0, OPT_HEAD, "H", CLI_EXPLAIN, "work head H's numbers in full (from 1; default 1)"},
    {"row", 0, OPT_ROW, "I", CLI_EXPLAIN, "work query row I's numbers in full (from 0; default 0)"},
    {"head", 'H', OPT_HEAD, "N", CLI_PLOT, "draw head N only (from 1; -H is an old spelling)"},
    {"what", 0, OPT_WHAT, "W", CLI_PLOT, "weights (default), average (average_weights), or scores or softmax from steps"},
    {"what", 0, OPT_WHAT, "W", CLI_GRAD, "what svg and heatmap draw of each head: dS (default) or dP"},
    {"format", 'f', 'f', "FMT", CLI_RUN, "json (default), table, csv, npy (one array), npz, svg (weights as heatmaps), heatmap (terminal) or html (an interactive page of the weights and steps)"},
    {"format", 'f', 'f', "FMT", CLI_GRAD, "json (default), table, csv, npy (one array: -p output or weights), npz (an array per name), svg or heatmap (dS or dP of each head)"},
    {"format", 'f', 'f', "FMT", CLI_BATCH, "json, the one format of batch (JSON Lines)"},
    {"format", 'f', 'f', "FMT", CLI_INSPECT, "json (default) or table"},
    {"format", 'f', 'f', "FMT", CLI_PLOT, "svg (default), heatmap (terminal) or html (an interactive page; several FILEs, one per layer)"},
    {"labels", 0, OPT_LABELS, "A,B,...", CLI_PLOT, "the titles of the FILEs' panels (or layers), one per FILE (default: the file names)"},
    {"output", 'o', 'o', "FILE", RUNS | CLI_INIT | CLI_PLOT, "write to FILE atomically instead of stdout"},
    {"digits", 0, OPT_DIGITS, "N", RUNS, "decimals in the table format, 0 to 9 (default 4)"},
    {"digits", 0, OPT_DIGITS, "N", CLI_EXPLAIN, "decimals of the numbers shown, 0 to 9 (default 4)"},
    {"no-config", 0, OPT_NO_CONFIG, NULL, RUNS, "JSON without its \"config\" object (JSON only)"},
    {"color", 0, OPT_COLOR, "WHEN", RUNS | CLI_PLOT | CLI_EXPLAIN, "auto (default: on a terminal, NO_COLOR unset or empty, TERM not dumb), always or never"},
    {"vmin", 0, OPT_VMIN, "X", CLI_RUN | CLI_PLOT | CLI_GRAD, "pictures: the colour scale starts at X (values below are drawn as X)"},
    {"vmax", 0, OPT_VMAX, "X", CLI_RUN | CLI_PLOT | CLI_GRAD, "pictures: the colour scale ends at X (values above are drawn as X)"},
    {"threads", 't', 't', "N", RUNS, "threads (default: OPENBLAS_NUM_THREADS, else all cores)"},
    {"stats", 0, OPT_STATS, NULL, CLI_RUN | CLI_GRAD, "print time per phase, GFLOP/s and peak memory on stderr"},
    {"jobs", 0, OPT_JOBS, "N", CLI_BATCH, "run N lines in parallel (default 1); order is kept"},
    {"shard", 0, OPT_SHARD, "K/N", CLI_BATCH, "run only lines L with (L - 1) mod N = K - 1, keeping their \"line\""},
    {"quiet", 0, OPT_QUIET, NULL, CLI_BATCH, "no progress line on a terminal"},
    {"max-input", 0, OPT_MAX_INPUT, "SIZE", READS, "refuse a text input, stream or batch line larger than SIZE (default 1G; K, M, G or T)"},
    {"dy", 0, OPT_DY, "FILE", CLI_GRAD, "the upstream gradient dY, n x d_out (JSON, CSV or .npy): the gradients are those of L = sum of dY .* output (default all ones)"},
    {"help", 'h', 'h', NULL, ALL | CLI_COMPLETION, "print this help and exit"},
};

#define COUNT (sizeof options / sizeof options[0])

const cli_option *cli_options(size_t *count)
{
    *count = COUNT;
    return options;
}

/* The getopt tables of command: longs (COUNT + 1 entries) has every
 * command's options, each name once, so that one of another command is
 * named as such; shorts has command's. */
static void getopt_tables(struct option *longs, char *shorts, unsigned command)
{
    size_t k = 0, s = 0;
    shorts[s++] = ':';
    for (size_t i = 0; i < COUNT; i++) {
        const cli_option *o = &options[i];
        bool seen = false;
        for (size_t j = 0; j < k && !seen; j++)
            seen = strcmp(longs[j].name, o->name) == 0;
        if (!seen)
            longs[k++] = (struct option){o->name, o->value ? required_argument
                                                           : no_argument, NULL, o->code};
        if (o->short_name && (o->commands & command) &&
            !memchr(shorts, o->short_name, s)) {
            shorts[s++] = o->short_name;
            if (o->value)
                shorts[s++] = ':';
        }
    }
    longs[k] = (struct option){NULL, 0, NULL, 0};
    shorts[s] = '\0';
}

/* The commands of the mask commands, e.g. "run and batch". */
static const char *commands_text(unsigned commands)
{
    static char text[64];
    size_t used = 0, count = 0, total = 0;
    for (unsigned bits = commands; bits; bits &= bits - 1)
        total++;
    text[0] = '\0';
    for (unsigned i = 0; i < CLI_COMMANDS; i++) {
        if (!(commands & 1u << i))
            continue;
        const char *sep = count == 0 ? "" : count + 1 == total ? " and " : ", ";
        used += (size_t)snprintf(text + used, sizeof text - used, "%s%s", sep,
                                 cli_command_name(1u << i));
        count++;
    }
    return text;
}

/* The commands that take the option of code, in any of its rows. */
static unsigned commands_of(int code)
{
    unsigned commands = 0;
    for (size_t i = 0; i < COUNT; i++)
        if (options[i].code == code)
            commands |= options[i].commands;
    return commands;
}

/* The name of the option of code. */
static const char *name_of(int code)
{
    for (size_t i = 0; i < COUNT; i++)
        if (options[i].code == code)
            return options[i].name;
    return "?";  /* not reached: getopt gives table codes */
}

/* The code a short option c stands for in command. */
static int short_code(int c, unsigned command)
{
    for (size_t i = 0; i < COUNT; i++)
        if (options[i].short_name == c && (options[i].commands & command))
            return options[i].code;
    return c;
}

/* "unknown option '--casual'; did you mean '--causal'?": the closest long
 * option of command (not of another one), when one is close.  getopt
 * takes an abbreviation of one option but not one of several (of any
 * command): the options of command it abbreviates are proposed first. */
static int unknown_long_option(const char *arg, unsigned command)
{
    const char *names[COUNT], *prefixed[COUNT];
    size_t count = 0, matches = 0;
    const char *typed = arg + 2;
    size_t len = strcspn(typed, "=");
    for (size_t i = 0; i < COUNT; i++) {
        if (!(options[i].commands & command) ||
            (count && strcmp(names[count - 1], options[i].name) == 0))
            continue;
        names[count++] = options[i].name;
        if (len >= 2 && strncmp(options[i].name, typed, len) == 0)
            prefixed[matches++] = options[i].name;
    }
    if (matches >= 2) {
        char list[512];
        size_t used = 0;
        for (size_t i = 0; i < matches && used < sizeof list; i++)
            used += (size_t)snprintf(list + used, sizeof list - used, "%s--%s",
                                     i == 0 ? "" : i + 1 == matches ? " or " : ", ",
                                     prefixed[i]);
        return cli_usage_error("option '%.*s' is ambiguous; did you mean %s?",
                               (int)(len + 2), arg, list);
    }
    const char *close = matches ? prefixed[0] : cli_suggest(typed, len, names, count);
    if (close)
        return cli_usage_error("unknown option '%s'; did you mean '--%s'?",
                               arg, close);
    return cli_usage_error("unknown option '%s'", arg);
}

/* After getopt_long returned c (':' or '?'), prints the usage error for the
 * option at argv[optind - 1] (or optopt) and returns EX_USAGE. */
static int bad_option(int c, char **argv, unsigned command)
{
    const char *arg = argv[optind - 1];
    bool is_long = arg[0] == '-' && arg[1] == '-';
    if (c == ':')
        return is_long ? cli_usage_error("option '%s' needs a value", arg)
                       : cli_usage_error("option '-%c' needs a value", optopt);
    if (is_long && optopt != 0)  /* a known flag given "=value" */
        return cli_usage_error("option '%.*s' takes no value",
                               (int)strcspn(arg, "="), arg);
    if (is_long)
        return unknown_long_option(arg, command);
    return cli_usage_error("unknown option '-%c'", optopt);
}

int cli_parse_command(int argc, char **argv, unsigned command,
                      bool (*take)(void *ctx, int code, const char *arg),
                      void *ctx)
{
    struct option longs[COUNT + 1];
    char shorts[2 * COUNT + 2];
    getopt_tables(longs, shorts, command);
    int c, index;
    opterr = 0;
    optind = 1;
    while ((index = -1, c = getopt_long(argc, argv, shorts, longs, &index)) != -1) {
        if (c == ':' || c == '?')
            return bad_option(c, argv, command);
        if (index < 0)  // a letter: what it means for this command
            c = short_code(c, command);
        if (index < 0 && c == OPT_HEAD && command == CLI_PLOT)
            cli_warn("plot -H is --head; -H means the number of heads elsewhere");
        if (c == 'h')
            return -1;
        if (!(commands_of(c) & command))
            return cli_usage_error("--%s is an option of %s, not %s", name_of(c),
                                   commands_text(commands_of(c)),
                                   cli_command_name(command));
        if (c == OPT_MAX_INPUT) {  // every reading command's, the same way
            size_t limit;
            if (!cli_parse_bytes(&limit, "--max-input", optarg))
                return EX_USAGE;
            sa_set_input_limit(limit);
            continue;
        }
        if (!take(ctx, c, optarg))
            return EX_USAGE;
    }
    return 0;
}
