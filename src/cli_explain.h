/* cli_explain.h — `selfattn explain`: the computation of a small input told
 * step by step, with its numbers.  The library computes (the dense path
 * with every step kept, as `run -p steps`); these files only narrate from
 * its result: cmd_explain.c (the command), cli_explain_text.c (wrapped
 * prose, matrices cut to the width, worked sums), cli_explain_inputs.c (X,
 * the weights, Q, K, V), cli_explain_scores.c (the raw scores, the scale,
 * the terms and masks) and cli_explain_softmax.c (the softmax, the
 * weights, the heads' outputs, concat and the output projection).
 * Legend: n = queries, m = keys, d = model width, d_ctx = key/value input
 * width, H = heads, G = kv heads, dh = head width, P = H * dh, Pkv = G * dh,
 * d_out = output width.  Row-major throughout. */
#ifndef SA_CLI_EXPLAIN_H
#define SA_CLI_EXPLAIN_H

#include "cli_run.h"

/* The largest input explain narrates: n, m, d, d_ctx, P, Pkv and d_out at
 * most this (a 16 x 16 matrix is already 16 lines of 16 numbers). */
#define EXPLAIN_MAX 16

/* What the narration reads, and how it writes. */
typedef struct {
    FILE *fp;
    size_t width;             /* columns of the text (>= 40) */
    bool color;               /* bold headings */
    int digits;               /* decimals of the numbers shown */
    const run_options *o;
    const run_output *out;    /* its result (with every step), config, report */
    const sa_weights *w;      /* math convention: Q = X Wq */
    const float *x;           /* (n, d) the input, plus positions if any */
    const float *ctx;         /* (m, d_ctx) the keys' rows: x, or the context */
    size_t n, m, d, d_ctx, H, G, dh, P, Pkv, d_out;
    size_t head;              /* the head worked in full, from 0 */
    size_t kv;                /* its kv head */
    size_t row;               /* the query worked in full, from 0 */
    size_t key;               /* the key worked in full: the row's largest weight */
    float scale;              /* the scale in use */
    int section;              /* the last section's number */
    bool fresh;               /* nothing written since the section's title */
} explainer;

/* ---- text (cli_explain_text.c) ------------------------------------------- */

/* The width of the text: COLUMNS if a number, else the terminal's if fp
 * is one, else 80; at least 40. */
size_t explain_width(FILE *fp);

/* "N. TITLE" after a blank line, bold with colour. */
void explain_section(explainer *e, const char *title);

/* A paragraph, printf-style, wrapped at spaces to the width, after a
 * blank line unless it is the first of its section. */
void explain_say(explainer *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A matrix (rows, cols) under its title, its rows labelled by row_labels
 * (NULL: numbered from 0) and its columns by col_labels (NULL: numbered
 * from first_col); cut into blocks of columns that fit the width.  -inf
 * and nan are written as such. */
void explain_matrix(explainer *e, const char *title, const float *data,
                    size_t rows, size_t cols, char *const *row_labels,
                    char *const *col_labels, size_t first_col);

/* A line, printf-style, wrapped at spaces to the width after indent
 * spaces (no blank line before it). */
void explain_line(explainer *e, size_t indent, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* v with the decimals in use, into buf (32 bytes); returns buf. */
char *explain_num(char *buf, explainer *e, double v);

/* As explain_num without trailing zeros ("2", "0.9"), for the terms of a
 * sum; returns buf. */
char *explain_short(char *buf, explainer *e, double v);

/* "lhs = a0×b0 + a1×b1 + ... = result", wrapped at the width after a
 * " + " with the later lines indented; the sum of the products in double
 * if total is NULL, else *total; returns the sum. */
double explain_dot(explainer *e, const char *lhs, const float *a,
                   size_t a_stride, const float *b, size_t b_stride,
                   size_t count, const double *total);

/* Writes text wrapped at the width, each line after indent spaces. */
void explain_wrap(explainer *e, const char *text, size_t indent);

/* ---- the sections ------------------------------------------------------- */

/* X (and the context, and the positions added), the weights, Q, K, V
 * (cli_explain_inputs.c). */
void explain_inputs(explainer *e);
void explain_weights(explainer *e);
void explain_projections(explainer *e);

/* The raw scores q.k, the scale, the terms and masks (cli_explain_scores.c). */
void explain_raw_scores(explainer *e);
void explain_scaled_scores(explainer *e);

/* The softmax of the row, the weights, the head's output, concat and the
 * output (cli_explain_softmax.c). */
void explain_softmax(explainer *e);
void explain_outputs(explainer *e);

#endif
