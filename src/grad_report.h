/* grad_report.h — the gradients of a `selfattn grad` report in each
 * writer's form (write_grads.c): JSON members, titled blocks for the table
 * and CSV writers, NumPy arrays, and the pictures of dS or dP.  Every
 * function does nothing for a report without gradients (r->grads NULL).
 * Legend: n = queries, m = keys, H = heads, dh = head width. */
#ifndef SA_GRAD_REPORT_H
#define SA_GRAD_REPORT_H

#include "buffer.h"
#include "report.h"
#include "selfattn.h"

/* Writes the members "loss", "grads" (input, context, bias, then the
 * weights' gradients by file name) and "grad_steps" (dO, dV, dP, dS, dQ,
 * dK, each (H, rows, cols)) as print_grads and print_grad_steps ask, each
 * after a comma: pretty at depth 1, or compact. */
void sa_json_grads(sa_buffer *b, const sa_report *r, bool compact);

/* The most blocks sa_report_grad_blocks adds. */
size_t sa_report_grad_max_blocks(const sa_report *r);

/* Adds the gradients' blocks to blocks from index k and returns the new
 * count: the steps per head (dO, dV, dP, dS, dQ, dK), then input.grad,
 * context.grad, bias.grad and each weight's gradient. */
size_t sa_report_grad_blocks(sa_block *blocks, size_t k, const sa_report *r);

/* The most arrays sa_report_grad_arrays adds. */
size_t sa_report_grad_max_arrays(const sa_report *r);

/* Adds the gradients as .npz members to e from index k (named input,
 * context, bias, each weight's file name, dO, dV, dP, dS, dQ, dK) and
 * returns the new count. */
size_t sa_report_grad_arrays(sa_npz_entry *e, size_t k, const sa_report *r);

/* Fills maps and panels (at least heads entries) with dS (or dP with dp)
 * of each head, or with average (n, m) as one panel when not NULL. */
void sa_grad_heatmaps(sa_heatmaps *maps, sa_panel *panels, const sa_report *r,
                      bool dp, const float *average);

#endif
