/* report.h — the matrices of a report as a list of titled blocks, shared by
 * the table and CSV writers. */
#ifndef SA_REPORT_H
#define SA_REPORT_H

#include "buffer.h"
#include "selfattn.h"

typedef struct {
    const char *name;     /* "output", "weights", "Q", "K", "V", "raw_scores",
                             "scores", "exp", "rowsum", "softmax",
                             "head_output", "concat" */
    size_t head;          /* 1-based head, or 0 for none / averaged */
    size_t rows, cols;
    const float *data;    /* (rows, cols) */
    bool key_columns;     /* columns are keys: label them with key tokens */
    bool key_rows;        /* rows are keys (K, V): label them with key tokens */
    bool index_rows;      /* rows are numbered, not labelled (a weight's
                             gradient) */
    const char *suffix;   /* after the name in the title (".grad"), or NULL */
    bool vector;          /* one row, a vector: the title says (cols) */
} sa_block;

/* One sequence of a report, to write as the report of one sequence: its
 * report (batch 0), whose result and config point into the batch's arrays
 * and masks.  It points into itself: fill it in place, do not copy it. */
typedef struct {
    sa_report report;
    sa_result result;
    sa_config config;
} sa_sequence_view;

/* The sequences of r: its batch, or 1 without a batch. */
size_t sa_report_sequences(const sa_report *r);

/* Fills v with sequence b (from 0) of r; for a report without a batch, b
 * 0 is a copy of r. */
void sa_report_sequence(sa_sequence_view *v, const sa_report *r, size_t b);

/* The most blocks a report's forward can have: output, H weights, the
 * average, 9 H steps and concat (a grad report's gradients add
 * sa_report_grad_max_blocks). */
size_t sa_report_max_blocks(const sa_report *r);

/* The heads whose weights and steps are printed: [first, first + count)
 * from 0, every head or the report's head. */
static inline void sa_report_heads(size_t *first, size_t *count,
                                   const sa_report *r)
{
    *first = r->head ? r->head - 1 : 0;
    *count = r->head ? 1 : r->result->heads;
}

/* The blocks of the input, the context and the eight weights at most. */
#define SA_REPORT_INPUT_BLOCKS 10

/* Fills b (up to 8 entries) with the report's weights as used, in the math
 * convention: Wq, Wk, Wv, Wo, then the biases bq, bk, bv, bo (vectors),
 * those that it has; returns the count (0 without params). */
size_t sa_report_params(sa_block *b, const sa_report *r);

/* Fills blocks (sa_report_max_blocks entries) in computation order (input
 * and params, steps
 * per head, weights, the average, output) or, if !computation_order, in
 * the JSON order (input and params, output, weights, the average,
 * steps).  With steps,
 * per-head weights are left out: they are the softmax blocks.  Returns the
 * count.  A grad report's writers add sa_report_grad_blocks after. */
size_t sa_report_blocks(sa_block *blocks, const sa_report *r,
                        bool computation_order);

/* The labels of the keys: the context's tokens with --context, otherwise
 * the input's; NULL if there are none. */
char *const *sa_report_key_labels(const sa_report *r);

/* Writes the options in force as one human line, e.g. "n = 3, d_model = 4,
 * heads = 1, d_head = 3, d_out = 3, scale = 1, causal" (after "batch = B, "
 * for a batch), and where the weights came from as another: "weights: generated, seed 0", or the file
 * and what it set, "weights: w.json; from its config: heads, kv_heads". */
void sa_report_summary(sa_buffer *out, const sa_report *r);

/* Writes the block's title, e.g. "weights, head 1 (4 x 4)" with times as
 * the multiplication sign. */
void sa_block_title(sa_buffer *out, const sa_report *r, const sa_block *b,
                    const char *times);

/* Writes into b the JSON document of the report, the text sa_write_json
 * writes (write_json.c); r->config must have passed sa_config_check. */
void sa_report_json(sa_buffer *b, const sa_report *r);

/* Sets maps to no panels yet (panels, count 0) with r's labels, masks,
 * colour limits and caption ("weights", "dS", ...). */
void sa_report_maps_frame(sa_heatmaps *maps, sa_panel *panels,
                          const sa_report *r, const char *caption);

#endif
