/* cli_ring.h — what the two files of `mpirun -n P selfattn run` share:
 * cli_ring.c (the zig-zag cut and the ring itself) and cli_ring_io.c
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
} rank_input;

/* What --stats tells of a rank. */
typedef struct {
    double project, compute, wait, bytes, rows, peak_mib;
} rank_stats;

/* A rank's attention: its queries' rows of the output. */
typedef struct {
    spans q, k;          /* its query rows and key rows */
    float *out;          /* (q.total, d_out) */
    bool *empty;         /* (q.total) queries that saw no key */
    rank_stats stats;
} rank_result;

/* Rank rank's chunks of a sequence of total rows cut into 2 * ranks:
 * chunk c is [c * total / (2 ranks), (c + 1) * total / (2 ranks)), so
 * ranks need not divide total and chunks may be empty.  Rank r holds
 * chunks r and 2 ranks - 1 - r (zig-zag). */
spans ring_spans(int rank, int ranks, size_t total);

/* This rank's share of the attention of out's config into res; the input
 * rows in->local get sinusoidal positions added.  0 or an exit code after
 * the message; every rank takes part in the ring whatever happens. */
int ring_attend(rank_result *res, const run_session *s,
                const run_output *out, rank_input *in, const world *w);

#endif
