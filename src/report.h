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
} sa_block;

/* The most blocks a report can have: output, H weights, the average, 5 H
 * steps. */
size_t sa_report_max_blocks(const sa_report *r);

/* The heads whose weights and steps are printed: [first, first + count)
 * from 0, every head or the report's head. */
void sa_report_heads(size_t *first, size_t *count, const sa_report *r);

/* Fills blocks (sa_report_max_blocks entries) in computation order (steps
 * per head, weights, the average, output) or, if !computation_order, in
 * the JSON order (output, weights, the average, steps).  With steps,
 * per-head weights are left out: they are the softmax blocks.  Returns the
 * count. */
size_t sa_report_blocks(sa_block *blocks, const sa_report *r,
                        bool computation_order);

/* The labels of the keys: the context's tokens with --context, otherwise
 * the input's; NULL if there are none. */
char *const *sa_report_key_labels(const sa_report *r);

/* Writes the options in force as one human line, e.g. "n = 3, d_model = 4,
 * heads = 1, d_head = 3, d_out = 3, scale = 1, causal", and where the
 * weights came from as another: "weights: generated, seed 0", or the file
 * and what it set, "weights: w.json; from its config: heads, kv_heads". */
void sa_report_summary(sa_buffer *out, const sa_report *r);

/* Writes the block's title, e.g. "weights, head 1 (4 x 4)" with times as
 * the multiplication sign. */
void sa_block_title(sa_buffer *out, const sa_report *r, const sa_block *b,
                    const char *times);

/* Writes into b the JSON document of the report, the text sa_write_json
 * writes (write_json.c); r->config must have passed sa_config_check. */
void sa_report_json(sa_buffer *b, const sa_report *r);

#endif
