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
    out_format format;
    size_t digits;
    cli_color color;                  /* --color */
    sa_color_limits limits;           /* --vmin, --vmax of the pictures */
    bool print_given;                 /* --print was on the command line */
    size_t threads;                   /* -t: BLAS and streaming threads */
    bool stats;                       /* --stats on stderr */
    /* batch only */
    size_t jobs;
    bool quiet;
    /* what the command line set, so that the weights' config sets the rest */
    bool heads_set, kv_heads_set, causal_set;
    size_t head;                      /* --head: 1-based, 0 for every head */
    sa_source from_weights[SA_SET_COUNT]; /* settings the weights gave */
} run_options;

/* Threads when -t is absent: OPENBLAS_NUM_THREADS if set, else the cores. */
size_t run_default_threads(void);

/* Fills o from argv for `run` (batch false) or `batch`; returns 0, -1 for
 * --help, or an exit code after printing the usage error. */
int run_parse_options(run_options *o, int argc, char **argv, bool batch);

/* The files of a run, loaded once. */
typedef struct {
    const run_options *o;
    pthread_mutex_t lock;     /* guards generating the weights */
    sa_matrix context;        /* (m, d_ctx) with --context, else empty */
    sa_weights weights;       /* generated on the first sequence without -w */
    bool have_weights;
    char *mask_text, *bias_text;  /* parsed per sequence: n may change */
    size_t mask_len, bias_len;
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
    unsigned char *mask;
    float *bias, *average;
} run_output;

/* Computes attention for x with the session's files and fills out (free
 * with run_output_free).  On failure returns the status, err says why and
 * *blame names the file at fault (NULL if none). */
sa_status run_sequence(run_output *out, run_session *s, const sa_matrix *x,
                       const char **blame, sa_error *err);
void run_output_free(run_output *out);

/* The query rows that saw no key as one message in buf (size), e.g.
 * "query row 1 (counting from 0) sees no key after masking; its weights
 * and head outputs are zero"; returns buf. */
const char *run_empty_rows_text(char *buf, size_t size, const sa_result *r,
                                bool nan);

/* Writes the report in format to fp. */
sa_status run_write(FILE *fp, out_format format, const sa_report *rep,
                    sa_error *err);

#endif
