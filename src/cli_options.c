/* cli_options.c — every option of every command, in one table: its names,
 * its value, the commands that take it and its line of help; and the
 * parsing of a command's argv against it (getopt_long underneath). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* grad takes every option of run and batch, and their readers' --max-input */
#define RUNS (CLI_RUN | CLI_BATCH | CLI_GRAD)
#define READS (CLI_RUN | CLI_BATCH | CLI_INSPECT | CLI_PLOT | CLI_GRAD)
#define ALL (CLI_RUN | CLI_BATCH | CLI_INIT | CLI_INSPECT | CLI_PLOT | CLI_GRAD)

static const cli_option options[] = {
    /* what to compute with */
    {"weights", 'w', 'w', "FILE", RUNS, "weights: JSON, .npz, .safetensors, or a checkpoint"},
    {"layer", 0, OPT_LAYER, "N", RUNS, "the layer of a GPT-2 or BERT checkpoint (default 0)"},
    {"seed", 0, OPT_SEED, "N", RUNS | CLI_INIT, "seed of generated weights (default 0)"},
    {"d-model", 0, OPT_D_MODEL, "D", CLI_INIT, "input width d (required)"},
    {"d-context", 0, OPT_D_CONTEXT, "N", CLI_INIT, "width of the key/value input (default d)"},
    {"d-head", 0, OPT_D_HEAD, "N", RUNS | CLI_INIT, "head width of generated weights (default d / heads)"},
    {"out-proj", 0, OPT_OUT_PROJ, NULL, RUNS | CLI_INIT, "generate an output projection Wo"},
    {"heads", 'H', 'H', "N", RUNS | CLI_INIT, "number of heads (default 1)"},
    {"kv-heads", 0, OPT_KV_HEADS, "G", RUNS | CLI_INIT, "key/value heads (default H); divides H"},
    {"context", 0, OPT_CONTEXT, "FILE", RUNS, "cross-attention: keys and values from FILE"},
    /* the scores */
    {"scale", 0, OPT_SCALE, "X", RUNS, "multiply q.k by X (default 1/sqrt(dh))"},
    {"pos", 0, OPT_POS, "sinusoidal", RUNS, "add sinusoidal positions to the input rows"},
    {"rope", 0, OPT_ROPE, NULL, RUNS, "rotary positions on q and k"},
    {"rope-base", 0, OPT_ROPE_BASE, "B", RUNS, "RoPE base (default 10000); implies --rope"},
    {"rope-style", 0, OPT_ROPE_STYLE, "S", RUNS, "roformer (default) or neox; implies --rope"},
    {"softcap", 0, OPT_SOFTCAP, "C", RUNS, "scores become C*tanh(scores/C)"},
    {"alibi", 0, OPT_ALIBI, NULL, RUNS, "add -m_h*|i-j| to head h's scores"},
    {"bias", 0, OPT_BIAS, "FILE", RUNS, "add an n x m (or H x n x m) matrix to the scores"},
    {"causal", 0, OPT_CAUSAL, NULL, RUNS, "query i sees only keys j <= i"},
    {"window", 0, OPT_WINDOW, "W", RUNS, "query i sees only keys j with |i-j| <= W"},
    {"mask", 0, OPT_MASK, "FILE", RUNS | CLI_PLOT, "n x m matrix of 0/1; 1 = may attend"},
    {"recorded-mask", 0, OPT_RECORDED_MASK, NULL, CLI_PLOT, "hatch the cells of the mask file the result names"},
    {"masked-rows", 0, OPT_MASKED_ROWS, "R", RUNS, "a query with no visible key: zero or nan"},
    /* what to print, and how */
    {"print", 'p', 'p', "LIST", RUNS, "comma list of output, weights, steps"},
    {"average-heads", 0, OPT_AVERAGE, NULL, RUNS, "the weights averaged over heads"},
    {"head", 'H', OPT_HEAD, "N", CLI_PLOT, "draw head N only (from 1)"},
    {"what", 0, OPT_WHAT, "W", CLI_PLOT | CLI_GRAD, "weights, or scores or softmax from steps"},
    {"format", 'f', 'f', "FMT", ALL, "the output format"},
    {"output", 'o', 'o', "FILE", RUNS | CLI_INIT | CLI_PLOT, "write to FILE atomically"},
    {"digits", 0, OPT_DIGITS, "N", RUNS, "decimals in the table format, 0 to 9"},
    {"color", 0, OPT_COLOR, "WHEN", RUNS | CLI_PLOT, "auto, always or never"},
    {"vmin", 0, OPT_VMIN, "X", CLI_RUN | CLI_PLOT | CLI_GRAD, "pictures: the colour scale starts at X"},
    {"vmax", 0, OPT_VMAX, "X", CLI_RUN | CLI_PLOT | CLI_GRAD, "pictures: the colour scale ends at X"},
    {"threads", 't', 't', "N", RUNS, "threads (default: OPENBLAS_NUM_THREADS, else all cores)"},
    {"stats", 0, OPT_STATS, NULL, CLI_RUN | CLI_GRAD, "time, GFLOP/s and peak memory on standard error"},
    {"jobs", 0, OPT_JOBS, "N", CLI_BATCH, "run N lines in parallel"},
    {"quiet", 0, OPT_QUIET, NULL, CLI_BATCH, "no progress line on a terminal"},
    {"max-input", 0, OPT_MAX_INPUT, "SIZE", READS, "refuse a text input or batch line larger than SIZE (default 1G)"},
    {"dy", 0, OPT_DY, "FILE", CLI_GRAD, "the upstream gradient dY, n x d_out (default all ones)"},
    {"help", 'h', 'h', NULL, ALL, "print the help and exit"},
};

#define COUNT (sizeof options / sizeof options[0])

const cli_option *cli_options(size_t *count)
{
    *count = COUNT;
    return options;
}

/* The getopt tables of command: longs (COUNT + 1 entries) has every
 * command's options, so that one of another command is named as such;
 * shorts has command's. */
static void getopt_tables(struct option *longs, char *shorts, unsigned command)
{
    size_t k = 0, s = 0;
    shorts[s++] = ':';
    for (size_t i = 0; i < COUNT; i++) {
        const cli_option *o = &options[i];
        longs[k++] = (struct option){o->name, o->value ? required_argument
                                                       : no_argument, NULL, o->code};
        if (o->short_name && (o->commands & command)) {
            shorts[s++] = o->short_name;
            if (o->value)
                shorts[s++] = ':';
        }
    }
    longs[k] = (struct option){NULL, 0, NULL, 0};
    shorts[s] = '\0';
}

static const char *const command_names[] = {"run", "batch", "init", "inspect",
                                            "plot", "completion", "grad"};

/* The name of command, one CLI_ bit. */
static const char *command_name(unsigned command)
{
    for (size_t i = 0; i < sizeof command_names / sizeof command_names[0]; i++)
        if (command == 1u << i)
            return command_names[i];
    return "?";
}

/* The commands of the mask commands, e.g. "run and batch". */
static const char *commands_text(unsigned commands)
{
    static char text[64];
    size_t used = 0, count = 0, total = 0;
    for (unsigned bits = commands; bits; bits &= bits - 1)
        total++;
    text[0] = '\0';
    for (size_t i = 0; i < sizeof command_names / sizeof command_names[0]; i++) {
        if (!(commands & 1u << i))
            continue;
        const char *sep = count == 0 ? "" : count + 1 == total ? " and " : ", ";
        used += (size_t)snprintf(text + used, sizeof text - used, "%s%s", sep,
                                 command_names[i]);
        count++;
    }
    return text;
}

/* The option of code. */
static const cli_option *find(int code)
{
    for (size_t i = 0; i < COUNT; i++)
        if (options[i].code == code)
            return &options[i];
    return &options[COUNT - 1];  /* not reached: getopt gives table codes */
}

/* The code a short option c stands for in command. */
static int short_code(int c, unsigned command)
{
    for (size_t i = 0; i < COUNT; i++)
        if (options[i].short_name == c && (options[i].commands & command))
            return options[i].code;
    return c;
}

int cli_parse_command(int argc, char **argv, unsigned command,
                      bool (*take)(void *ctx, int code, const char *arg),
                      void *ctx)
{
    struct option longs[COUNT + 1];
    char shorts[2 * COUNT + 2];
    getopt_tables(longs, shorts, command);
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
        if (c == ':' || c == '?')
            return cli_bad_option(c, argv);
        c = short_code(c, command);
        if (c == 'h')
            return -1;
        const cli_option *o = find(c);
        if (!(o->commands & command))
            return cli_usage_error("--%s is an option of %s, not %s", o->name,
                                   commands_text(o->commands), command_name(command));
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

