/* main.c — `selfattn COMMAND ...`: dispatch to the subcommands. */
#include <cblas.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char cli_usage[] =
"Usage: selfattn run [OPTIONS] INPUT       compute attention on INPUT\n"
"       selfattn grad [OPTIONS] INPUT      and its gradients (the backward pass)\n"
"       selfattn batch [OPTIONS] FILE|-    one sequence per JSON line\n"
"       selfattn init --d-model D [OPTIONS] write generated weights as JSON\n"
"       selfattn inspect [-f json|table] FILE   what a file holds\n"
"       selfattn plot [OPTIONS] FILE|-     draw a saved JSON result of run\n"
"       selfattn completion bash|zsh      print a shell completion script\n"
"       selfattn --help | --version\n"
"\n"
"INPUT is an n x d matrix of token embeddings, a file or - for stdin: JSON\n"
"([[...], ...] or {\"tokens\": [...], \"embeddings\": [[...], ...]}), CSV or\n"
"a 2-D .npy array.\n"
"\n"
"Options of run:\n"
"  -w, --weights FILE   weights as a JSON object: Wq (d x H*dh), Wk, Wv (d_ctx x\n"
"                       G*dh), optional Wo (H*dh x d_out) and biases bq, bk, bv,\n"
"                       bo; or a torch nn.MultiheadAttention state dict; as\n"
"                       JSON, .npz or .safetensors; or a GPT-2 or BERT checkpoint\n"
"      --layer N        the layer of a GPT-2 or BERT checkpoint (default 0)\n"
"      --seed N         without --weights: generate weights from seed N (default 0)\n"
"      --d-head N       head width of generated weights (default d / heads)\n"
"      --out-proj       generate an output projection Wo (d_out = d)\n"
"  -H, --heads N        number of heads (default 1); must divide the columns\n"
"                       of Wq (of d for generated weights without --d-head)\n"
"      --kv-heads G     key/value heads (default H; 1 = multi-query); divides H\n"
"      --context FILE   cross-attention: keys and values from FILE's m rows\n"
"      --scale X        multiply q.k by X (default 1/sqrt(dh))\n"
"      --pos sinusoidal add sinusoidal positions to the input rows\n"
"      --rope           rotary positions on q and k\n"
"      --rope-base B    RoPE base (default 10000); implies --rope\n"
"      --rope-style S   roformer (pairs 2t, 2t+1; default) or neox (t, t+dh/2);\n"
"                       implies --rope\n"
"      --softcap C      scores become C*tanh(scores/C); C > 0\n"
"      --alibi          add -m_h*|i-j| to head h's scores (ALiBi slopes)\n"
"      --bias FILE      add an n x m (or H x n x m, JSON or .npy) matrix to the\n"
"                       scores\n"
"      --causal         query i sees only keys j <= i (not with --context)\n"
"      --window W       query i sees only keys j with |i-j| <= W\n"
"      --mask FILE      n x m matrix of 0/1 (JSON, CSV or .npy); 1 = may attend\n"
"      --masked-rows R  a query with no visible key gets zero (default) or nan\n"
"  -p, --print LIST     comma list of output, weights, steps (default output)\n"
"      --average-heads  print the weights averaged over heads (needs weights)\n"
"  -f, --format FMT     json (default), table, csv, npy (one array), npz, svg\n"
"                       (weights as heatmaps; -o FILE) or heatmap (terminal)\n"
"  -o, --output FILE    write to FILE atomically instead of stdout\n"
"      --digits N       decimals in the table format, 0 to 9 (default 4)\n"
"  -t, --threads N      threads (default: OPENBLAS_NUM_THREADS, else all cores)\n"
"      --stats          print time per phase, GFLOP/s and peak memory on stderr\n"
"      --max-input SIZE refuse a text input, stream or batch line over SIZE\n"
"                       (default 1G; K, M, G, T; inspect and plot take it too)\n"
"      --color WHEN     auto (default: on a terminal, NO_COLOR unset or empty,\n"
"                       TERM not dumb), always or never; heatmap and table\n"
"      --vmin X         svg and heatmap: the colour scale starts at X (default:\n"
"                       from the data); values beyond an end get its colour\n"
"      --vmax X         the colour scale ends at X; --vmin 0 --vmax 1 draws the\n"
"                       weights of any run on the same scale\n"
"\n"
"Scores, in order: s = scale*q.k -> softcap -> + ALiBi -> + bias -> mask\n"
"(causal and window and --mask) -> softmax -> . v\n"
"\n"
"Options of batch: those of run but --stats, --vmin and --vmax, and\n"
"      --jobs N         run N lines in parallel (default 1); order is kept\n"
"      --quiet          no progress line on a terminal\n"
"\n"
"Options of grad: those of run, and\n"
"      --dy FILE        the upstream gradient dY, n x d_out (JSON, CSV or .npy):\n"
"                       the gradients are those of L = sum of dY .* output\n"
"                       (default all ones: L = the sum of the outputs)\n"
"  -p, --print LIST     output, weights, steps, grads (the gradients of the\n"
"                       input, context, bias and weights) and grad_steps (dO, dV,\n"
"                       dP, dS, dQ, dK of each head); default output,grads\n"
"      --what W         svg and heatmap draw dS (default) or dP of each head\n"
"\n"
"Options of inspect:\n"
"  -f, --format FMT     json (default) or table\n"
"      --max-input SIZE as for run\n"
"\n"
"Options of plot:\n"
"  -H, --head N         draw head N only (from 1)\n"
"      --what W         weights (default), or scores or softmax from steps\n"
"  -f, --format FMT     svg (default) or heatmap\n"
"      --color WHEN     as for run\n"
"      --vmin X         the colour scale starts at X, as for run\n"
"      --vmax X         the colour scale ends at X, as for run\n"
"      --mask FILE      hatch the cells this 0/1 mask hid (the run's --mask)\n"
"      --recorded-mask  reuse the mask file the result names (regular files only)\n"
"      --max-input SIZE as for run\n"
"  -o, --output FILE    write to FILE atomically instead of stdout\n"
"\n"
"Options of init:\n"
"      --d-model D      input width d (required)\n"
"      --d-context N    width of the key/value input (default d)\n"
"  -H, --heads N        number of heads (default 1)\n"
"      --kv-heads G     key/value heads (default H)\n"
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

/* OpenBLAS's own thread pool, started when the library loads, spins on
 * the cores for a while even when never used; selfattn runs BLAS from its
 * own threads (see parallel.c), so the pool is stopped at once, after
 * setting OpenBLAS to one thread: any later openblas_set_num_threads call
 * would start the pool again.  Weak: an OpenBLAS without this internal
 * function simply keeps its pool. */
extern int blas_thread_shutdown_(void) __attribute__((weak));

int main(int argc, char **argv)
{
    sa_json_setup();
    signal(SIGXFSZ, SIG_IGN);  // past `ulimit -f`, a write fails and is reported
    openblas_set_num_threads(1);
    if (blas_thread_shutdown_)
        blas_thread_shutdown_();
    /* SELFATTN_KERNELS=avx512|avx2|generic overrides the best set */
    sa_error err;
    if (sa_kernels_use(getenv("SELFATTN_KERNELS"), &err))
        return cli_error(EX_USAGE, "SELFATTN_KERNELS: %s", err.message);
    if (argc < 2)
        return cli_usage_error("missing command (run, grad, batch, init, inspect, plot or completion)");
    static const struct { const char *name; int (*run)(int, char **); } commands[] = {
        {"run", cmd_run}, {"batch", cmd_batch}, {"init", cmd_init},
        {"inspect", cmd_inspect}, {"plot", cmd_plot}, {"completion", cmd_completion},
        {"grad", cmd_grad},
    };
    const char *cmd = argv[1];
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(cmd, commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
        strcmp(cmd, "help") == 0)
        return cli_help();
    if (strcmp(cmd, "--version") == 0) {
        printf("selfattn %s\n", sa_version());
        return cli_close_stdout();
    }
    if (cmd[0] == '-')
        return cli_usage_error("unknown option '%s'", cmd);
    return cli_usage_error("unknown command '%s' (run, grad, batch, init, inspect, plot or completion)", cmd);
}
