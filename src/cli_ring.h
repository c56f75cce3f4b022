/* cli_ring.h — what the files of `mpirun -n P selfattn run` share:
 * cli_ring.c (the zig-zag cut and the ring itself), cli_ring_dense.c (the
 * weights and steps: every key gathered, dense rows) and cli_ring_io.c
 * (options refused, reading each rank's rows, gathering and writing, the
 * stats, ring_main).  Built only with SELFATTN_MPI; the program's, not the
 * library's.  Legend as in attention_internal.h. */
#ifndef SELFATTN_CLI_RING_H
#define SELFATTN_CLI_RING_H

#include <stdbool.h>
#include <stddef.h>

#include "attention_internal.h"
#include "cli_run.h"

/* The rows a rank holds: up to two runs [first, first + rows). */
typedef struct {
    size_t first[2], rows[2];
    size_t total;             /* rows[0] + rows[1] */
} spans;

/* This rank. */
typedef struct {
    int rank, ranks;
} world;

/* This rank's rows of the input. */
typedef struct {
    size_t n, d;
    float *local;      /* (spans total, d) this rank's rows */
    sa_matrix whole;   /* rank 0, for an input read whole: all of it
                        * (its tokens label the report); else empty */
    bool seeked;       /* every rank read its own rows (a .npy) */
} rank_input;

/* What --stats tells of a rank. */
typedef struct {
    double project, compute, wait, bytes, rows, peak_mib;
} rank_stats;

/* A rank's attention: its queries' rows of the output and, when the
 * weights or steps are printed, of those (its dense rows; else NULL). */
typedef struct {
    spans q, k;          /* its query rows and key rows */
    float *out;          /* (q.total, d_out) */
    bool *empty;         /* (q.total) queries that saw no key */
    float *weights;      /* (H, q.total, m) */
    float *raw_scores, *scores, *exp_scores;  /* (H, q.total, m): steps */
    float *rowsum;       /* (H, q.total): steps */
    float *q_rows, *concat;  /* (q.total, P) Q and the heads' outputs */
    float *k_all, *v_all;    /* (m, Pkv) every key, after RoPE */
    rank_stats stats;
} rank_result;

void rank_result_free(rank_result *res);

/* Rank rank's chunks of a sequence of total rows cut into 2 * ranks:
 * chunk c is [c * total / (2 ranks), (c + 1) * total / (2 ranks)), so
 * ranks need not divide total and chunks may be empty.  Rank r holds
 * chunks r and 2 ranks - 1 - r (zig-zag). */
spans ring_spans(int rank, int ranks, size_t total);

/* This rank's share of the attention of out's config (streaming: not
 * sa_config_dense; ring_attend_dense takes the dense one) into res; the
 * input rows in->local get sinusoidal positions added, and are freed.
 * 0 or an exit code after the message; every rank takes part in the
 * ring whatever happens. */
int ring_attend(rank_result *res, const run_session *s,
                const run_output *out, rank_input *in, const world *w);

/* rows rounded up to a whole block of the blocked layout */
size_t ring_padded(size_t rows);

/* The rows of a key block in the ring: each run padded to whole blocks. */
size_t ring_block_rows(const spans *k);

/* This rank's Q (rows, P) into q and its key block into kv: K
 * (ring_block_rows, Pkv), then V, each run from a whole block, blocked for
 * the tile kernels when they apply and cfg is not dense; from its input
 * rows in->local, which get their sinusoidal positions and are then
 * freed, or with --context from the context's rows res->k holds; the
 * time in res->stats.  Nothing is projected if status (what the caller
 * met before, err saying why) is not SA_OK.  Returns the exit code every
 * rank agrees on, after this rank's message. */
int ring_project(float *q, float *kv, bool *blocked, rank_result *res,
                 const run_session *s, const sa_config *cfg, rank_input *in,
                 sa_status status, sa_error *err);

/* ring_attend with weights or steps kept (cli_ring_dense.c): every rank
 * gathers every key's K and V (smaller than the (n, m) matrices printing
 * needs) and takes its queries' rows over them on the dense path. */
int ring_attend_dense(rank_result *res, const run_session *s,
                      const run_output *out, rank_input *in, const world *w);

/* Every rank's rows of an array (its two runs, (q.total, width), in
 * mine) into full (n, width) at rank 0, at their global rows.
 * Collective. */
void ring_gather_rows(float *full, const float *mine, const spans *q,
                      size_t n, size_t width, const world *w);

/* The inverse: each rank's rows of full (n, width, at rank 0) into its
 * mine (q.total, width).  Collective. */
void ring_scatter_rows(float *mine, const float *full, const spans *q,
                       size_t n, size_t width, const world *w);

/* The weights and steps of every rank's dense rows into out->result at
 * rank 0 (and the heads' average with --average-heads), as one process
 * keeps them (cli_ring_dense.c).  0 or an exit code, agreed. */
int ring_gather_dense(run_output *out, const rank_result *res,
                      const run_options *o, const world *w);

#endif
