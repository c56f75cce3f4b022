/* cli_help.c — `selfattn CMD --help` and `selfattn help CMD`: each
 * command's usage, a few words on what it does and its options, generated
 * from the option table (cli_options.c); outside a command, the overview
 * of main.c. */
#include <string.h>

#include "cli.h"

/* The help of a command around its options. */
typedef struct {
    unsigned command;     /* one CLI_ bit */
    const char *usage;    /* the usage line(s), after "Usage: " */
    const char *about;    /* what it does, wrapped by hand */
    const char *notes;    /* after the options, or NULL */
    const char *see;      /* what selfattn(1) has to say about it */
} command_help;

static const command_help helps[] = {
    {CLI_RUN, "selfattn run [OPTIONS] INPUT",
     "Compute self-attention (or cross-attention, with --context) on INPUT, an\n"
     "n x d matrix of token embeddings in a file, or - for stdin: JSON ([[...],\n"
     "...] or {\"tokens\": [...], \"embeddings\": [[...], ...]}), CSV or a 2-D .npy\n"
     "array; or a batch, B x n x d in an .npy (or .npz) array: B sequences, each\n"
     "computed alike.  Without --weights the weights are generated from --seed.\n",
     "Scores, in order: s = scale*q.k -> softcap -> + ALiBi -> + bias -> mask\n"
     "(causal and window and --mask) -> softmax -> . v\n",
     "the formats, the weights, the JSON output and examples"},
    {CLI_GRAD, "selfattn grad [OPTIONS] [--dy FILE] INPUT",
     "Compute what run computes, with the same options, and its backward pass:\n"
     "the gradients of L = sum(dY .* output) with respect to the input, the\n"
     "context, the bias and every weight tensor, named and shaped as in the\n"
     "weights file (generated weights: Wq, Wk, Wv, Wo).  dY is --dy, n x d_out,\n"
     "or all ones (L = the sum of the outputs).  INPUT is one sequence.\n",
     "Scores, in order: s = scale*q.k -> softcap -> + ALiBi -> + bias -> mask\n"
     "(causal and window and --mask) -> softmax -> . v; the gradients flow back\n"
     "through each step (grad_steps: dO, dV, dP, dS, dQ, dK of each head).\n",
     "the gradients, their names and the formulas"},
    {CLI_EXPLAIN, "selfattn explain [OPTIONS] INPUT",
     "Compute what run computes, with the same options, and tell it step by step\n"
     "in the order a tutorial teaches it, with the numbers: the input and the\n"
     "weights, Q, K and V (and the columns of each head), the raw scores q.k,\n"
     "the scale, the masks, positions and terms in use, the softmax of one row\n"
     "with its exponentials and their sum, the weights, each head's output, the\n"
     "concatenation and the output projection; one cell of each worked in full\n"
     "(--row, --head).  For small inputs: n, m, d and every width at most 16.\n",
     "Text as wide as the terminal (COLUMNS, else the terminal's; 80 in a pipe).\n",
     "why each step is there"},
    {CLI_BATCH, "selfattn batch [OPTIONS] FILE|-",
     "Run many sequences with the same weights and options: each non-blank line\n"
     "of FILE (or stdin, for -) is one input as JSON on one line, and gives one\n"
     "line of JSON out, in the order of the input (JSON Lines).  A bad line\n"
     "becomes an error line and the rest is computed.\n",
     "Scores, in order: s = scale*q.k -> softcap -> + ALiBi -> + bias -> mask\n"
     "(causal and window and --mask) -> softmax -> . v\n",
     "the lines of batch, in and out"},
    {CLI_INIT, "selfattn init --d-model D [OPTIONS]",
     "Write generated weights as a JSON object (Wq, Wk, Wv and, with\n"
     "--out-proj, Wo): the weights that run generates with the same --seed,\n"
     "--heads, --kv-heads, --d-head and --out-proj, to inspect, edit and give\n"
     "back with run --weights.\n",
     NULL, "generated weights and the weights formats"},
    {CLI_INSPECT, "selfattn inspect [OPTIONS] FILE|-",
     "Describe FILE without computing anything: its format, and the shape of the\n"
     "matrix it holds, or the name, type and shape of each of its arrays and the\n"
     "weights layout run -w would find in them.\n",
     NULL, "the input and weights formats"},
    {CLI_PLOT, "selfattn plot [OPTIONS] FILE|- [FILE...]",
     "Draw results that run wrote as JSON (-p weights, or -p steps) as heat\n"
     "maps, without computing anything: an SVG image, or colours on the\n"
     "terminal, with the panels of several FILEs side by side on one colour\n"
     "scale, each titled with its file; or, with -f html, the results (one\n"
     "per layer) as an interactive page for a web browser.\n",
     NULL, "the pictures and the masks they hatch"},
    {CLI_COMPLETION, "selfattn completion bash|zsh",
     "Print the completion script of bash or zsh: it completes the commands,\n"
     "their options, the values of options that take a word, and file names.\n"
     "In bash: source <(selfattn completion bash)\n",
     NULL, "installing the scripts"},
};

/* Where the help of an option starts, and how wide lines may be. */
#define HELP_COLUMN 23
#define LINE_WIDTH 79

/* Writes text from column column on, wrapped at spaces to LINE_WIDTH, its
 * later lines indented to HELP_COLUMN. */
static void print_wrapped(FILE *fp, size_t column, const char *text)
{
    while (*text) {
        size_t room = LINE_WIDTH - column, len = strlen(text);
        if (len > room) {  /* the last space that fits, else the first */
            size_t cut = room;
            while (cut > 0 && text[cut] != ' ')
                cut--;
            len = cut ? cut : strcspn(text, " ");
        }
        fprintf(fp, "%.*s\n", (int)len, text);
        text += len;
        text += strspn(text, " ");
        if (*text)
            fprintf(fp, "%*s", HELP_COLUMN, "");
        column = HELP_COLUMN;
    }
}

/* "  -w, --weights FILE   weights as ..." */
static void print_option(FILE *fp, const cli_option *o)
{
    char names[64];
    int len = snprintf(names, sizeof names, "  %c%c%c --%s%s%s",
                       o->short_name ? '-' : ' ',
                       o->short_name ? o->short_name : ' ',
                       o->short_name ? ',' : ' ', o->name,
                       o->value ? " " : "", o->value ? o->value : "");
    size_t column = (size_t)len + 1;
    if (column < HELP_COLUMN)
        column = HELP_COLUMN;
    fprintf(fp, "%-*s", (int)column, names);
    print_wrapped(fp, column, o->help);
}

void cli_command_help(FILE *fp, unsigned command)
{
    const command_help *h = &helps[0];
    for (size_t i = 0; i < sizeof helps / sizeof helps[0]; i++)
        if (helps[i].command == command)
            h = &helps[i];
    fprintf(fp, "Usage: %s\n%s\nOptions of %s:\n", h->usage, h->about,
            cli_command_name(command));
    size_t count;
    const cli_option *options = cli_options(&count);
    for (size_t i = 0; i < count; i++)
        if (options[i].commands & command)
            print_option(fp, &options[i]);
    if (h->notes)
        fprintf(fp, "\n%s", h->notes);
    fprintf(fp, "\nSee selfattn(1) for %s.\n", h->see);
}

int cli_help(void)
{
    if (cli_command())
        cli_command_help(stdout, cli_command());
    else
        fputs(cli_usage, stdout);
    return cli_close_stdout();
}
