/* attention_batch.c — attention for a batch of sequences of one length, as
 * NumPy holds them (B, n, d): each sequence is computed by
 * sa_attention_forward exactly as it would be alone, and its arrays are
 * copied into the batch's, which have a leading batch axis.  Threads go
 * over sequences first (a worker takes the next sequence, one thread
 * each), and what is left over to each sequence's own pass; a sequence's
 * arithmetic does not depend on the others, so the same threads give the
 * same bits.
 * Legend as in attention_internal.h, and B = sequences. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "attention_internal.h"

/* The run of a batch, shared by its workers. */
typedef struct {
    sa_result *r;              /* the batch's result: arrays (B, ...) */
    const float *x, *ctx;      /* (B, n, d); (B, m, d_ctx), (m, d_ctx) or NULL */
    size_t n, d, m, d_ctx;
    const sa_batch *batch;
    const sa_weights *w;
    sa_config cfg;             /* with the threads of one sequence */
    bool *empty;               /* (B, n) queries that saw no key */
    atomic_size_t next;        /* the next sequence to take */
    pthread_mutex_t lock;      /* guards what follows */
    size_t failed;             /* the first sequence that failed, or SIZE_MAX */
    sa_error err;              /* its error */
    double project, attend;    /* the sequences' times, summed */
} batch_run;

/* The (B, ...) arrays of r that cfg keeps, n and m per sequence. */
static sa_status batch_arrays(sa_result *r, size_t B, size_t n, size_t m,
                              size_t H, size_t dh, size_t d_out,
                              const sa_config *cfg, sa_error *err)
{
    bool keep_all = cfg->keep_weights || cfg->keep_steps;
    r->output = sa_alloc_large(B * n * d_out * sizeof(float));
    if (keep_all)
        r->weights = sa_alloc_large(B * H * n * m * sizeof(float));
    if (cfg->keep_steps) {
        r->scores = sa_alloc_large(B * H * n * m * sizeof(float));
        r->q = sa_alloc_large(B * H * n * dh * sizeof(float));
        r->k = sa_alloc_large(B * H * m * dh * sizeof(float));
        r->v = sa_alloc_large(B * H * m * dh * sizeof(float));
        r->raw_scores = sa_alloc_large(B * H * n * m * sizeof(float));
        r->exp_scores = sa_alloc_large(B * H * n * m * sizeof(float));
        r->rowsum = sa_alloc_large(B * H * n * sizeof(float));
        r->head_output = sa_alloc_large(B * H * n * dh * sizeof(float));
        r->concat = sa_alloc_large(B * n * H * dh * sizeof(float));
    }
    if (!r->output || (keep_all && !r->weights) ||
        (cfg->keep_steps && (!r->scores || !r->q || !r->k || !r->v ||
                             !r->raw_scores || !r->exp_scores || !r->rowsum ||
                             !r->head_output || !r->concat)))
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory for a batch of "
                       "%zu sequences", B);
    return SA_OK;
}

/* Copies src (count floats) to slot b of dst (B, count), if kept. */
static void put(float *dst, const float *src, size_t b, size_t count)
{
    if (dst && src)
        memcpy(dst + b * count, src, count * sizeof *dst);
}

/* Computes sequence b into its slots of the batch's result. */
static void run_sequence(batch_run *run, size_t b)
{
    const size_t n = run->n, m = run->m, d = run->d, d_ctx = run->d_ctx;
    sa_config cfg = run->cfg;
    if (run->batch->masks)
        cfg.mask = run->batch->masks + b * n * m;
    const float *ctx = run->ctx && run->batch->context_per_sequence
                           ? run->ctx + b * m * d_ctx : run->ctx;
    sa_result one;
    sa_error err;
    sa_status status = sa_attention_forward(&one, run->x + b * n * d, n, d, ctx,
                                            m, d_ctx, run->w, &cfg, &err);
    pthread_mutex_lock(&run->lock);
    if (status && b < run->failed) {
        run->failed = b;
        run->err = err;
        sa_fail(&run->err, status, err.line, err.col, "sequence %zu (counting "
                "from 0): %s", b, err.message);
    }
    if (!status) {
        run->project += one.seconds_project;
        run->attend += one.seconds_attend;
        run->r->flops += one.flops;
    }
    pthread_mutex_unlock(&run->lock);
    if (status)
        return;
    sa_result *r = run->r;
    const size_t H = one.heads, dh = one.d_head;
    put(r->output, one.output, b, n * one.d_out);
    put(r->weights, one.weights, b, H * n * m);
    put(r->scores, one.scores, b, H * n * m);
    put(r->q, one.q, b, H * n * dh);
    put(r->k, one.k, b, H * m * dh);
    put(r->v, one.v, b, H * m * dh);
    put(r->raw_scores, one.raw_scores, b, H * n * m);
    put(r->exp_scores, one.exp_scores, b, H * n * m);
    put(r->rowsum, one.rowsum, b, H * n);
    put(r->head_output, one.head_output, b, H * n * dh);
    put(r->concat, one.concat, b, n * H * dh);
    for (size_t k = 0; k < one.n_empty_rows; k++)
        run->empty[b * n + one.empty_rows[k]] = true;
    sa_result_free(&one);
}

/* A worker: takes the next sequence until none is left, passing over
 * those after one that failed. */
static void *work(void *arg)
{
    batch_run *run = arg;
    for (;;) {
        size_t b = atomic_fetch_add(&run->next, 1);
        if (b >= run->batch->count)
            return NULL;
        pthread_mutex_lock(&run->lock);
        bool skip = b > run->failed;
        pthread_mutex_unlock(&run->lock);
        if (!skip)
            run_sequence(run, b);
    }
}

/* Runs every sequence on workers threads (the caller's one of them). */
static void run_all(batch_run *run, size_t workers)
{
    pthread_t ids[64];
    size_t started = 1;
    if (workers > 64)
        workers = 64;
    // tiles and products are one BLAS thread each: only a change calls
    // openblas_set_num_threads (it restarts a stopped pool)
    int blas_threads = openblas_get_num_threads();
    if (workers > 1 && blas_threads != 1)
        openblas_set_num_threads(1);
    for (; started < workers; started++)
        if (pthread_create(&ids[started], NULL, work, run) != 0)
            break;  // fewer threads: the others take more sequences
    work(run);
    for (size_t t = 1; t < started; t++)
        pthread_join(ids[t], NULL);
    if (workers > 1 && blas_threads != 1)
        openblas_set_num_threads(blas_threads);
}

/* The memory of the batch, checked before anything is allocated: the B
 * results' kept arrays, and one pass per worker. */
static sa_status check_batch_need(size_t B, size_t workers, size_t n, size_t m,
                                  size_t d, size_t H, const sa_weights *w,
                                  const sa_config *cfg, sa_error *err)
{
    double P = (double)w->d_proj, Pkv = (double)w->d_kv, dh = H ? P / (double)H : 0;
    double nm = (double)n * (double)m;
    bool keep_all = cfg->keep_weights || cfg->keep_steps;
    double kept = (double)n * (double)w->d_out + (keep_all ? (double)H * nm : 0) +
                  (cfg->keep_steps ? (double)H * (3 * nm + (double)n +
                                                  (double)(3 * n + 2 * m) * dh) : 0);
    double pass = kept + 2.0 * (double)m * Pkv + 2.0 * (double)n * P + (double)n * (double)d;
    char what[128];
    snprintf(what, sizeof what, "a batch of %zu sequences of %zu x %zu attention "
             "with %zu heads", B, n, m, H);
    return sa_check_need(((double)B * kept + (double)workers * pass) * sizeof(float),
                         what, err);
}

sa_status sa_attention_forward_batch(sa_result *r, const float *x, size_t n,
                                     size_t d, const float *ctx, size_t m,
                                     size_t d_ctx, const sa_batch *batch,
                                     const sa_weights *w, const sa_config *cfg,
                                     sa_error *err)
{
    memset(r, 0, sizeof *r);
    sa_status status = sa_config_check(cfg, err);
    if (status)
        return status;
    const size_t B = batch->count, H = cfg->heads;
    const size_t threads = cfg->threads ? cfg->threads : 1;
    const size_t workers = threads < B ? threads : B;
    if (!ctx) {  // self-attention: the keys come from the queries' rows
        m = n;
        d_ctx = d;
    }
    if (B == 0 || H == 0 || w->d_proj % H != 0)
        return sa_fail(err, SA_ERR_INTERNAL, 0, 0, "sa_attention_forward_batch "
                       "called with unchecked shapes");
    const size_t dh = w->d_proj / H;
    batch_run run = {.r = r, .x = x, .ctx = ctx, .n = n, .d = d, .m = m,
                     .d_ctx = d_ctx, .batch = batch, .w = w, .cfg = *cfg,
                     .failed = SIZE_MAX};
    run.cfg.threads = threads / workers;
    if ((status = check_batch_need(B, workers, n, m, d, H, w, cfg, err)) ||
        (status = batch_arrays(r, B, n, m, H, dh, w->d_out, cfg, err)))
        goto fail;
    if (!(run.empty = calloc(B * n, sizeof *run.empty))) {
        status = sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
        goto fail;
    }
    atomic_init(&run.next, 0);
    pthread_mutex_init(&run.lock, NULL);
    double start = sa_seconds();
    run_all(&run, workers);
    double wall = sa_seconds() - start, busy = run.project + run.attend;
    pthread_mutex_destroy(&run.lock);
    if (run.failed != SIZE_MAX) {
        *err = run.err;
        status = run.err.status;
        goto fail;
    }
    *r = (sa_result){.n = n, .m = m, .heads = H, .d_head = dh, .d_out = w->d_out,
                     .output = r->output, .weights = r->weights, .q = r->q,
                     .k = r->k, .v = r->v, .scores = r->scores,
                     .raw_scores = r->raw_scores, .exp_scores = r->exp_scores,
                     .rowsum = r->rowsum, .head_output = r->head_output,
                     .concat = r->concat, .flops = r->flops,
                     .seconds_project = busy > 0 ? wall * run.project / busy : 0,
                     .seconds_attend = busy > 0 ? wall * run.attend / busy : 0};
    if (!(r->empty_rows = malloc(B * n * sizeof *r->empty_rows))) {
        status = sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < B * n; i++)
        if (run.empty[i])
            r->empty_rows[r->n_empty_rows++] = i;
    free(run.empty);
    return SA_OK;
fail:
    free(run.empty);
    sa_result_free(r);
    return status;
}
