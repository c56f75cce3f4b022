/* cli.h — what the subcommands share: exit codes, messages, option values,
 * and atomic output files.  Only the CLI prints; the library returns. */
#ifndef SA_CLI_H
#define SA_CLI_H

#include <stdio.h>
#include <sysexits.h>

#include "selfattn.h"

/* Exit codes (sysexits.h), the only place they are chosen:
 *   0 success, EX_USAGE 64, EX_DATAERR 65, EX_NOINPUT 66, EX_SOFTWARE 70,
 *   EX_OSERR 71 (out of memory), EX_CANTCREAT 73, EX_IOERR 74. */
int cli_exit_code(sa_status status);

/* The usage text of `selfattn --help`: the commands and the general
 * options (each command's own help is generated: cli_help.c). */
extern const char cli_usage[];

/* Prints "selfattn: FILE[:LINE:COL]: message" (file may be NULL) and
 * returns the exit code for err's status. */
int cli_fail(const char *file, const sa_error *err);

/* Prints "selfattn: message" and a pointer to --help (the command's, see
 * cli_set_command); returns EX_USAGE. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The commands, as bits of a mask. */
enum { CLI_RUN = 1, CLI_BATCH = 2, CLI_INIT = 4, CLI_INSPECT = 8, CLI_PLOT = 16,
       CLI_COMPLETION = 32, CLI_GRAD = 64, CLI_EXPLAIN = 128 };
#define CLI_COMMANDS 8  /* how many: CLI_EXPLAIN is 1 << (CLI_COMMANDS - 1) */

/* The name of command (one CLI_ bit): "run", ...; NULL for anything else. */
const char *cli_command_name(unsigned command);

/* The command being run (one CLI_ bit), set by main before the command
 * parses anything, or 0 (the default) outside any command.  In run, usage
 * errors point to `selfattn run --help` and cli_help() prints run's help
 * rather than the overview. */
void cli_set_command(unsigned command);
unsigned cli_command(void);

/* The code of an option without a short name (those with one have it). */
enum {
    OPT_LAYER = 256, OPT_SEED, OPT_D_MODEL, OPT_D_CONTEXT, OPT_D_HEAD,
    OPT_OUT_PROJ, OPT_KV_HEADS, OPT_CONTEXT, OPT_SCALE, OPT_POS, OPT_ROPE,
    OPT_ROPE_BASE, OPT_ROPE_STYLE, OPT_SOFTCAP, OPT_ALIBI, OPT_BIAS,
    OPT_CAUSAL, OPT_WINDOW, OPT_MASK, OPT_MASKED_ROWS, OPT_AVERAGE, OPT_HEAD,
    OPT_WHAT, OPT_DIGITS, OPT_COLOR, OPT_STATS, OPT_JOBS, OPT_QUIET,
    OPT_RECORDED_MASK, OPT_MAX_INPUT,
    OPT_VMIN, OPT_VMAX, OPT_NO_CAUSAL, OPT_NO_CONFIG,
    OPT_DY, OPT_LABELS, OPT_SWEEP, OPT_ROW, OPT_SHARD,
};

/* One option (cli_options.c holds them all). */
typedef struct {
    const char *name;    /* the long name, without "--" */
    char short_name;     /* -X, or 0 */
    int code;            /* what a command's take() receives */
    const char *value;   /* the value's name in help, or NULL for a flag */
    unsigned commands;   /* the CLI_ bits of the commands that take it */
    const char *help;    /* its help, a phrase: each command's --help wraps it */
} cli_option;

/* The table of every option; *count entries. */
const cli_option *cli_options(size_t *count);

/* Parses the options of command (one CLI_ bit) in argv, giving each to
 * take(ctx, code, value), which returns false after a usage error.  An
 * option of another command is a usage error naming the commands it
 * belongs to.  Returns 0 with optind at the first operand, -1 for
 * -h/--help, or an exit code after the message. */
int cli_parse_command(int argc, char **argv, unsigned command,
                      bool (*take)(void *ctx, int code, const char *arg),
                      void *ctx);

/* Prints "selfattn: warning: message". */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "selfattn: message" and returns code (an exit code). */
int cli_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints "selfattn: message" (--stats, notes). */
void cli_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints the help of the command being run (cli_set_command), or the
 * overview outside any command, on stdout; returns the exit code. */
int cli_help(void);

/* In a build without MPI, replaces this process (execv) with
 * selfattn-mpi, the program built with MPI, from the directory of this
 * one's executable, with the same arguments (argv, NULL-terminated), if it
 * is there; returns if it is not (or in a build with MPI). */
void cli_mpi_exec(char **argv);

/* The processes of the MPI run this one belongs to, from what the
 * launcher put in the environment (OMPI_COMM_WORLD_SIZE, PMI_SIZE,
 * PMIX_SIZE, MPI_LOCALNRANKS); 0 if none (cli_mpi.c). */
size_t cli_mpi_ranks(void);

/* Prints the help of command (one CLI_ bit) on fp: its usage lines, a few
 * words on what it does, its options as the option table gives them, and
 * where the manual says more. */
void cli_command_help(FILE *fp, unsigned command);

/* Prints the pointer to --help that follows a usage error: "Try 'selfattn
 * run --help' ..." in a command, "Try 'selfattn --help' ..." outside. */
void cli_help_hint(void);

/* Did you mean: the name of names (count) closest to typed (typed_len
 * bytes) when it is close enough to be what was meant (an edit distance
 * of at most about a third of the shorter length; see cli_suggest.c), else
 * the only name typed begins (2 letters or more), else NULL. */
const char *cli_suggest(const char *typed, size_t typed_len,
                        const char *const *names, size_t count);

/* Writes "a, b or c" of names (count) into buf (size). */
void cli_choices_text(char *buf, size_t size, const char *const *names,
                      size_t count);

/* Writes "OPTION ARG: expected a, b or c; did you mean 'b'?" into buf
 * (size), the suggestion only when one is close (cli_suggest); arg is len
 * bytes, quoted when empty or with blanks. */
void cli_choice_message(char *buf, size_t size, const char *option,
                        const char *arg, size_t len, const char *const *names,
                        size_t count);

/* Writes messages gathered elsewhere (whole lines) as they are. */
void cli_write_messages(const char *text, size_t len);

/* A progress line on a terminal: "selfattn: " and the text, over the
 * previous one; final ends it with a newline. */
void cli_progress(bool final, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The limits of option values, named once: beyond them a value is a
 * usage error. */
#define CLI_MAX_HEADS ((size_t)1 << 16)     /* --heads, --kv-heads, --head */
#define CLI_MAX_WIDTH ((size_t)1 << 20)     /* --d-model, --d-context, --d-head */
#define CLI_MAX_LAYER ((size_t)1000000)     /* --layer */
#define CLI_MAX_THREADS ((size_t)1024)      /* --threads */
#define CLI_MAX_JOBS ((size_t)256)          /* --jobs */
#define CLI_MAX_SHARDS ((size_t)1 << 20)    /* --shard's N */

/* The name of a path in messages: "<stdin>" for "-". */
const char *cli_display_name(const char *path);

/* Reads the file path, or standard input for "-", into a new buffer
 * (sa_read_file).  Returns the status; err says why. */
sa_status cli_read_file(char **text, size_t *len, const char *path,
                        sa_error *err);

/* Parse option values; on a bad value print a usage error naming the option
 * and return false. */
bool cli_parse_size(size_t *out, const char *option, const char *arg,
                    size_t min, size_t max);
bool cli_parse_u64(uint64_t *out, const char *option, const char *arg);
/* A size in bytes: 1048576, 512K, 64M, 4G, 1T (binary units; "MiB" and
 * "MB" are read as M too). */
bool cli_parse_bytes(size_t *out, const char *option, const char *arg);
bool cli_parse_float(float *out, const char *option, const char *arg);
/* One of the NULL-terminated names: *index is its position; otherwise
 * cli_choice_message's usage error. */
bool cli_parse_choice(int *index, const char *option, const char *arg,
                      const char *const *names);

/* An output written atomically: a temporary file beside the target,
 * renamed over it only when everything was written (see output.c for
 * links and special files). */
typedef struct {
    FILE *fp;          /* where to write: the temporary file, or stdout */
    char *tmp_path;    /* the temporary file, or NULL (stdout, special file) */
    char *target;      /* the regular file to replace, links followed */
    const char *path;  /* the name given, or NULL for stdout */
} cli_output;

/* Opens path ("-" or NULL = stdout).  Returns 0 or an exit code (73). */
int cli_output_open(cli_output *o, const char *path);
/* Flushes, closes and renames into place.  Returns 0 or an exit code (74
 * write error, 73 rename) after removing the temporary file. */
int cli_output_commit(cli_output *o);
/* Closes and removes the temporary file; the target is untouched. */
void cli_output_abort(cli_output *o);

/* Takes -o FILE's value; an empty name is a usage error. */
bool cli_parse_output(const char **out, const char *arg);

/* --color: auto (the default), always, never. */
typedef enum { CLI_COLOR_AUTO, CLI_COLOR_ALWAYS, CLI_COLOR_NEVER } cli_color;

/* Parses a --color value; false after a usage error. */
bool cli_parse_color(cli_color *out, const char *arg);

/* Whether to colour what goes to fp: always, never, or (auto) when fp is a
 * terminal, NO_COLOR is unset or empty, and TERM is not "dumb". */
bool cli_use_color(cli_color mode, FILE *fp);

/* Whether the terminal has 24-bit colour: COLORTERM is "truecolor" or
 * "24bit" (otherwise colour is xterm's 256). */
bool cli_truecolor(void);

/* Takes the value of --vmin (code OPT_VMIN) or --vmax (OPT_VMAX), a finite
 * number, into limits; false after a usage error. */
bool cli_parse_limit(sa_color_limits *limits, int code, const char *arg);

/* After the options: --vmin not below --vmax is a usage error.  Returns 0
 * or EX_USAGE after the message. */
int cli_check_limits(const sa_color_limits *limits);

/* Closes stdout and reports a write error (74): call before exiting 0. */
int cli_close_stdout(void);

/* The commands: each takes its own argv (argv[0] is the command's name)
 * and returns the exit code. */
int cmd_run(int argc, char **argv);
int cmd_batch(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_completion(int argc, char **argv);
int cmd_grad(int argc, char **argv);
int cmd_explain(int argc, char **argv);

#endif
