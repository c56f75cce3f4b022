/* main.c — `selfattn COMMAND ...`: dispatch to the subcommands. */
#include <cblas.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char cli_usage[] =
"Usage: selfattn run [OPTIONS] INPUT       compute attention on INPUT\n"
"       selfattn grad [OPTIONS] INPUT      and its gradients (the backward pass)\n"
"       selfattn explain [OPTIONS] INPUT   every step told, with its numbers\n"
"       selfattn batch [OPTIONS] FILE|-    one sequence per JSON line\n"
"       selfattn init --d-model D [OPTIONS] write generated weights as JSON\n"
"       selfattn inspect [OPTIONS] FILE|-  what a file holds\n"
"       selfattn plot [OPTIONS] FILE|-     draw a saved JSON result of run\n"
"       selfattn completion bash|zsh       print a shell completion script\n"
"       selfattn help [COMMAND]            this help, or COMMAND's options\n"
"       selfattn --help | --version\n"
"\n"
"INPUT is an n x d matrix of token embeddings, a file or - for stdin: JSON\n"
"([[...], ...] or {\"tokens\": [...], \"embeddings\": [[...], ...]}), CSV or\n"
"a 2-D .npy array; a B x n x d .npy (or .npz) array is B sequences.\n"
"\n"
"Each command's options: selfattn COMMAND --help (or selfattn help COMMAND).\n"
"\n"
"General options:\n"
"  -h, --help           print this help and exit\n"
"      --version        print the version and exit\n"
"\n"
"Exit status: 0 success, 64 usage, 65 bad data, 66 input missing, 70 internal\n"
"error, 71 out of memory, 73 output cannot be created, 74 read/write error.\n"
"See selfattn(1) for the formats, the JSON output and examples.\n";

/* The commands, in the order of their CLI_ bits. */
static int (*const commands[CLI_COMMANDS])(int, char **) = {
    cmd_run, cmd_batch, cmd_init, cmd_inspect, cmd_plot, cmd_completion,
    cmd_grad, cmd_explain,
};

/* The index of the command called name (its CLI_ bit is 1 << index), or
 * -1. */
static int find_command(const char *name)
{
    for (int i = 0; i < CLI_COMMANDS; i++)
        if (strcmp(name, cli_command_name(1u << i)) == 0)
            return i;
    return -1;
}

/* "unknown command 'rnu' (run, ...); did you mean 'run'?" (after "help: "
 * for `selfattn help rnu`, where help itself is not proposed). */
static int unknown_command(const char *name, bool in_help)
{
    const char *names[CLI_COMMANDS + 1];
    for (unsigned i = 0; i < CLI_COMMANDS; i++)
        names[i] = cli_command_name(1u << i);
    names[CLI_COMMANDS] = "help";
    const char *close = cli_suggest(name, strlen(name), names,
                                    CLI_COMMANDS + !in_help);
    return cli_usage_error("%sunknown command '%s' (run, grad, explain, "
                           "batch, init, inspect, plot or completion)%s%s%s", in_help ? "help: " : "",
                           name, close ? "; did you mean '" : "",
                           close ? close : "", close ? "'?" : "");
}

/* An option before any command: only --help and --version are. */
static int unknown_option(const char *arg)
{
    static const char *const names[] = {"help", "version"};
    const char *close = NULL;
    if (arg[1] == '-')
        close = cli_suggest(arg + 2, strcspn(arg + 2, "="), names, 2);
    if (close)
        return cli_usage_error("unknown option '%s'; did you mean '--%s'?", arg,
                               close);
    return cli_usage_error("unknown option '%s'", arg);
}

/* `selfattn help [COMMAND]`: the overview, or the help of COMMAND. */
static int help(int argc, char **argv)
{
    if (argc > 2)
        return cli_usage_error("help: one COMMAND expected, got '%s' too", argv[2]);
    if (argc == 1 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        return cli_help();
    int command = find_command(argv[1]);
    if (command < 0)
        return unknown_command(argv[1], true);
    cli_set_command(1u << command);
    return cli_help();
}

/* OpenBLAS's own thread pool, started when the library loads, spins on
 * the cores for a while even when never used; selfattn runs BLAS from its
 * own threads (see parallel.c), so the pool is stopped at once, after
 * setting OpenBLAS to one thread: any later openblas_set_num_threads call
 * would start the pool again.  Weak: an OpenBLAS without this internal
 * function simply keeps its pool. */
extern int blas_thread_shutdown_(void) __attribute__((weak));

int main(int argc, char **argv)
{
    // one rank of an MPI run: the program built with MPI, if beside this one
    if (cli_mpi_ranks() > 1)
        cli_mpi_exec(argv);
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
        return cli_usage_error("missing command (run, grad, explain, batch, init, inspect, plot "
                               "or completion)");
    const char *cmd = argv[1];
    int command = find_command(cmd);
    if (command >= 0) {
        cli_set_command(1u << command);
        return commands[command](argc - 1, argv + 1);
    }
    if (strcmp(cmd, "help") == 0)
        return help(argc - 1, argv + 1);
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0)
        return cli_help();
    if (strcmp(cmd, "--version") == 0) {
        printf("selfattn %s\n", sa_version());
        return cli_close_stdout();
    }
    if (cmd[0] == '-')
        return unknown_option(cmd);
    return unknown_command(cmd, false);
}
