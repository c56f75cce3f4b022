/* report.h — the matrices of a report as a list of titled blocks, shared by
 * the table and CSV writers. */
#ifndef SA_REPORT_H
#define SA_REPORT_H

#include "buffer.h"
#include "selfattn.h"

typedef struct {
    const char *name;     /* "output", "weights", "Q", "K", "V", "scores", "softmax" */
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

/* The most blocks a report can have: output, H weights, 5 H steps. */
size_t sa_report_max_blocks(const sa_report *r);

/* Fills blocks (sa_report_max_blocks entries) in computation order (steps
 * per head, weights, output) or, if !computation_order, in the JSON order
 * (output, weights, steps).  With steps, per-head weights are left out:
 * they are the softmax blocks.  Returns the count. */
size_t sa_report_blocks(sa_block *blocks, const sa_report *r,
                        bool computation_order);

/* The labels of the keys: the context's tokens with --context, otherwise
 * the input's; NULL if there are none. */
char *const *sa_report_key_labels(const sa_report *r);

/* Writes the options in force as one human line, e.g. "n = 3, d_model = 4,
 * heads = 1, d_head = 3, d_out = 3, scale = 1, causal". */
void sa_report_summary(sa_buffer *out, const sa_report *r);

/* Writes the block's title, e.g. "weights, head 1 (4 x 4)" with times as
 * the multiplication sign. */
void sa_block_title(sa_buffer *out, const sa_report *r, const sa_block *b,
                    const char *times);

#endif
