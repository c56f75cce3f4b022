/* main.c — `selfattn COMMAND ...`: dispatch to the subcommands. */
#include <string.h>

#include "cli.h"

const char cli_usage[] =
"Usage: selfattn run [OPTIONS] INPUT     compute self-attention on INPUT\n"
"       selfattn init --d-model D [OPTIONS]   write generated weights as JSON\n"
"       selfattn --help | --version\n"
"\n"
"INPUT is an n x d matrix of token embeddings, a file or - for stdin: JSON\n"
"([[...], ...] or {\"tokens\": [...], \"embeddings\": [[...], ...]}) or CSV.\n"
"\n"
"Options of run:\n"
"  -w, --weights FILE   weights as a JSON object: Wq, Wk, Wv (d x H*dh), optional\n"
"                       Wo (H*dh x d_out) and biases bq, bk, bv, bo; or a torch\n"
"                       nn.MultiheadAttention state dict (in_proj_weight, ...)\n"
"      --seed N         without --weights: generate weights from seed N (default 0)\n"
"      --d-head N       head width of generated weights (default d / heads)\n"
"      --out-proj       generate an output projection Wo (d_out = d)\n"
"  -H, --heads N        number of heads (default 1); must divide H*dh\n"
"      --scale X        multiply Q K^T by X (default 1/sqrt(dh))\n"
"      --causal         query i sees only keys j <= i\n"
"      --mask FILE      n x n matrix of 0/1 (JSON or CSV); 1 = may attend\n"
"  -p, --print LIST     comma list of output, weights, steps (default output)\n"
"      --average-heads  print the weights averaged over heads (needs weights)\n"
"  -f, --format FMT     json (default), table or csv\n"
"  -o, --output FILE    write to FILE atomically instead of stdout\n"
"      --digits N       decimals in the table format, 0 to 9 (default 4)\n"
"\n"
"Options of init:\n"
"      --d-model D      input width d (required)\n"
"  -H, --heads N        number of heads (default 1)\n"
"      --d-head N       head width (default d / heads)\n"
"      --seed N         seed of the generator (default 0)\n"
"      --out-proj       also generate Wo\n"
"  -o, --output FILE    write to FILE atomically instead of stdout\n"
"\n"
"  -h, --help           print this help and exit\n"
"      --version        print the version and exit\n"
"\n"
"Exit status: 0 success, 64 usage, 65 bad data, 66 input missing, 70 internal\n"
"error, 71 out of memory, 73 output cannot be created, 74 read/write error.\n"
"See selfattn(1) for the formats, the JSON output and examples.\n";

int main(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error("missing command (run or init)");
    const char *cmd = argv[1];
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc - 1, argv + 1);
    if (strcmp(cmd, "init") == 0)
        return cmd_init(argc - 1, argv + 1);
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
        strcmp(cmd, "help") == 0) {
        fputs(cli_usage, stdout);
        return cli_close_stdout();
    }
    if (strcmp(cmd, "--version") == 0) {
        puts("selfattn " SA_VERSION);
        return cli_close_stdout();
    }
    if (cmd[0] == '-')
        return cli_usage_error("unknown option '%s'", cmd);
    return cli_usage_error("unknown command '%s' (run or init)", cmd);
}
