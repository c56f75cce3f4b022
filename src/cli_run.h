/* cli_run.h — what `run` and `batch` share: their options, and a session that
 * loads the files once (weights, context, mask, bias) and then computes
 * attention for one sequence at a time. */
#ifndef SA_CLI_RUN_H
#define SA_CLI_RUN_H

#include <pthread.h>

#include "cli.h"

typedef enum {
    OUT_JSON, OUT_TABLE, OUT_CSV, OUT_NPY, OUT_NPZ, OUT_SVG, OUT_HEATMAP,
    OUT_HTML   /* the interactive page */
} out_format;

/* run --sweep P=V,...: the parameter run once per value. */
typedef enum {
    SWEEP_NONE, SWEEP_SCALE, SWEEP_HEADS, SWEEP_SOFTCAP, SWEEP_WINDOW
} sweep_param;

#define CLI_MAX_SWEEP 32     /* values of one --sweep */

typedef struct {
    sweep_param param;       /* SWEEP_NONE: no --sweep */
    size_t count;            /* 1 to CLI_MAX_SWEEP values */
    float floats[CLI_MAX_SWEEP];   /* scale, softcap */
    long ints[CLI_MAX_SWEEP];      /* heads, window */
    char texts[CLI_MAX_SWEEP][32]; /* each value as titles show it: "0.125" */
} run_sweep;

typedef struct {
    const char *input, *weights, *context, *mask, *bias, *output;
    uint64_t seed;
    bool seed_set, out_proj;
    size_t heads, kv_heads, d_head;   /* kv_heads, d_head 0: defaults */
    long layer;                       /* -1: not given */
    float scale, softcap, rope_base;
    bool scale_set, causal, alibi, rope, rope_neox, pos_sinusoidal;
    bool masked_rows_nan, average_heads;
    long window;                      /* -1: none */
    bool print_output, print_weights, print_steps;
    bool print_input, print_params;   /* the input rows, the weights as used */
    out_format format;
    size_t digits;
    cli_color color;                  /* --color */
    sa_color_limits limits;           /* --vmin, --vmax of the pictures */
    bool print_given;                 /* --print was on the command line */
    size_t threads;                   /* -t: BLAS and streaming threads */
    bool stats;                       /* --stats on stderr */
    bool no_config;                   /* --no-config: JSON without "config" */
    /* batch only */
    size_t jobs;
    bool quiet;
    size_t shard, shards;             /* --shard K/N (1 <= K <= N), or 0, 0 */
    /* what the command line set, so that the weights' config sets the rest */
    bool heads_set, kv_heads_set, causal_set;
    size_t head;                      /* --head: 1-based, 0 for every head */
    size_t row;                       /* explain's --row: from 0 */
    sa_source from_weights[SA_SET_COUNT]; /* settings the weights gave */
    /* grad only */
    unsigned command;                 /* CLI_RUN, CLI_BATCH or CLI_GRAD */
    const char *dy;                   /* --dy FILE, or NULL: all ones */
    bool print_grads, print_grad_steps;
    const char *what;                 /* --what dS or dP: what the pictures
                                         draw (NULL: dS) */
    /* run only */
    const char *sweep_spec;           /* --sweep P=V,..., or NULL */
    run_sweep sweep;                  /* sweep_spec read (cli_sweep.c) */
} run_options;

/* Threads when -t is absent: OPENBLAS_NUM_THREADS if set, else the cores. */
size_t run_default_threads(void);

/* Fills o from argv for `run` (batch false) or `batch`; returns 0, -1 for
 * --help, or an exit code after printing the usage error. */
int run_parse_options(run_options *o, int argc, char **argv, bool batch);

/* The same for command, one of CLI_RUN, CLI_BATCH and CLI_GRAD (whose
 * checks are grad_check_options's). */
int run_parse_command(run_options *o, int argc, char **argv, unsigned command);

/* grad's own checks of o, after its options were read (cmd_grad.c):
 * returns 0 or EX_USAGE after the message. */
int grad_check_options(run_options *o);

/* run and grad: one INPUT, one report (cmd_run.c). */
int run_main(int argc, char **argv, unsigned command);

/* The files of a run, loaded once. */
typedef struct {
    const run_options *o;
    pthread_mutex_t lock;     /* guards generating the weights */
    sa_matrix context;        /* (m, d_ctx) with --context, else empty;
                                 (B * m, d_ctx) for a batch of contexts */
    size_t context_batch;     /* B of a 3-D --context, else 0 */
    sa_weights weights;       /* generated on the first sequence without -w */
    bool have_weights;
    char *mask_text, *bias_text;  /* parsed per sequence: n may change */
    size_t mask_len, bias_len;
    char *dy_text;            /* grad's --dy, parsed for the sequence */
    size_t dy_len;
} run_session;

/* Reads the context, weights, mask and bias files, and completes o with
 * the settings the weights carry (run_weights_settings).  Returns 0 or an
 * exit code after the message. */
int run_session_open(run_session *s, run_options *o);

/* Fills the settings of o the command line left open (heads, kv_heads,
 * scale, causal, window, softcap, rope) from the config of the weights w
 * (NULL for generated weights), read from the file path, and from a
 * config.json beside a GPT-2 or BERT checkpoint for its heads; records in
 * o->from_weights what was taken.  Then checks what depends on the heads
 * (--head) and on causal (--context).  A checkpoint whose heads nothing
 * gives is a usage error.  Returns 0 or an exit code after the message
 * (cli_weights.c). */
int run_weights_settings(run_options *o, sa_weights *w, const char *path);
void run_session_close(run_session *s);

/* The outcome of one sequence, ready for a writer. */
typedef struct {
    sa_config config;
    sa_result result;
    sa_report report;
    unsigned char *mask;      /* (n, m) the file's and the line's, or NULL */
    bool mask_from_file;      /* mask holds --mask's */
    float *bias, *average;
    /* grad */
    sa_grads grads;
    sa_tensor_set grad_tensors;   /* the weights' gradients by file name */
    sa_matrix dy;                 /* --dy's matrix, or empty: all ones */
    float *grad_average;          /* (n, m) the drawn dS or dP averaged */
} run_output;

/* Computes attention for x with the session's files and fills out (free
 * with run_output_free); for a batch line (line not NULL, x its input),
 * with its own "mask" (with --mask, --causal and --window: a key is seen
 * only if all allow it) and "context" (in place of --context's).  On
 * failure returns the status, err says why and *blame names the file at
 * fault (NULL if none: the options, or the line). */
sa_status run_sequence(run_output *out, run_session *s, const sa_matrix *x,
                       const sa_batch_line *line, const char **blame,
                       sa_error *err);

/* As run_sequence for a batch of B sequences (batch >= 1), x (B * n, d)
 * as sa_read_input_take gives it (line NULL); batch 0 is run_sequence.
 * The report has the batch axis (sa_report.batch). */
sa_status run_sequences(run_output *out, run_session *s, const sa_matrix *x,
                        size_t batch, const sa_batch_line *line,
                        const char **blame, sa_error *err);
void run_output_free(run_output *out);

/* What run_sequence does for `grad` once the config is made (cmd_grad.c):
 * dY from --dy (n x d_out), the forward and backward passes, the weights'
 * gradients by file name and, for an averaged picture, the average. */
sa_status grad_sequence(run_output *out, run_session *s, const sa_matrix *x,
                        const sa_matrix *keys, const char **blame,
                        sa_error *err);

/* What run_sequence does before attending, for one rank of an MPI run
 * (cli_ring_io.c): the weights (generated for width d), the mask and bias
 * (whole, n x m) and the config of n queries of width d over m keys of
 * width d_ctx (the context's, or d in self-attention), into out.  Returns
 * as run_sequence. */
sa_status run_prepare(run_output *out, run_session *s, size_t n, size_t d,
                      size_t m, size_t d_ctx, const char **blame, sa_error *err);

/* The report of out->result (filled by the caller) for the input x, of
 * which it reads the width and tokens only. */
void run_report(run_output *out, const run_session *s, const sa_matrix *x);

/* An MPI run of `run` (cli_ring_io.c), or the refusal of `grad` or
 * `explain` under MPI: this process is one of the ranks mpirun started
 * (cli_mpi_ranks() > 1).  Returns the exit code. */
int ring_main(int argc, char **argv, unsigned command);

/* An MPI run of `batch`: the lines spread over the ranks, written in
 * input order by rank 0 (cmd_batch.c).  Returns the exit code. */
int batch_mpi_main(int argc, char **argv);

#ifdef SELFATTN_MPI
/* Ranks other than 0 print nothing (stdout and stderr to /dev/null) while
 * on, as while every rank does the same thing (options, the files all
 * read) and rank 0's messages are the ones (cli_ring_io.c). */
void mpi_quiet(bool on);

/* Every rank's exit code agreed: the largest (a collective call).  The
 * failing rank printed why. */
int mpi_agree(int code);
#endif


/* The query rows that saw no key as one message in buf (size), e.g.
 * "query row 1 (counting from 0) sees no key after masking; its weights
 * and head outputs are zero"; returns buf. */
const char *run_empty_rows_text(char *buf, size_t size, const sa_result *r,
                                bool nan);

/* As run_empty_rows_text for the result of a batch of B sequences (0: one
 * sequence), whose rows it names [sequence, row]: "query rows [0, 1], [2,
 * 1] (sequence and row, counting from 0) see no key ...". */
const char *run_batch_empty_rows_text(char *buf, size_t size,
                                      const sa_result *r, size_t batch, bool nan);

/* Writes maps in format (OUT_SVG or OUT_HEATMAP) to fp, in the colours
 * rep asks for. */
sa_status run_write_maps(FILE *fp, out_format format, const sa_heatmaps *maps,
                         const sa_report *rep, sa_error *err);

/* Reads o->sweep_spec into o->sweep and checks it against the other
 * options: returns 0 or EX_USAGE after the message (cli_sweep.c). */
int run_parse_sweep(run_options *o);

/* run --sweep: x (batch as run_sequences) run once per value of the
 * session's options' sweep, and the runs written together to -o or
 * stdout.  Returns 0 or an exit code after the message (cli_sweep.c). */
int run_sweep_main(run_session *s, const sa_matrix *x, size_t batch);

/* Writes the report in format to fp. */
sa_status run_write(FILE *fp, out_format format, const sa_report *rep,
                    sa_error *err);

/* grad's run_write: the pictures are of dS or dP (cmd_grad.c). */
sa_status grad_write(FILE *fp, const run_options *o, const run_output *out,
                     sa_error *err);

#endif
