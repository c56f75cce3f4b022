/* cmd_batch.c — `selfattn batch`: one sequence per JSON line in, one
 * compact JSON result per line out, in input order, as each is done.  A
 * pool of --jobs threads computes the lines for the whole run; the main
 * thread reads lines into a window of slots and writes the results in
 * order, so memory stays constant in the number of lines.  A bad line
 * gives {"line": N, "error": "..."} in its place. */
#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format.h"
#include "cli_run.h"
#include "line_reader.h"

/* What a line wrote to the output, recorded by the ranks of an MPI run
 * so that rank 0 can put every rank's lines in input order. */
typedef struct {
    long line;
    unsigned long long bytes;
    int usage;  /* the line stopped the run (a usage error) */
} written_line;

/* One line in flight. */
typedef struct {
    run_session *session;
    const char *source;   /* the input's display name */
    char *text;           /* the line, without its newline */
    size_t text_len;      /* its bytes (a NUL inside is the parser's to report);
                           * with text NULL, a line past the input limit */
    long line;            /* 1-based */
    char *result;         /* the output line(s), from open_memstream */
    size_t result_len;
    char *messages;       /* what to print on stderr, in order */
    size_t messages_len;
    bool failed;
    bool usage;           /* failed for a reason every line shares (64) */
    bool nomem;           /* failed for want of memory (71) */
    bool discard;         /* another shard's line, run only for the weights
                           * it would generate (its result is not written) */
} job;

/* Writes {"line": N, "error": message} and the stderr message for a line
 * that failed. */
static void fail_line(job *j, FILE *out, FILE *msg, const char *id,
                      const sa_error *err, const char *blame)
{
    j->failed = true;
    fprintf(out, "{\"line\":%ld,", j->line);
    if (id)
        fprintf(out, "\"id\":%s,", id);
    fputs("\"error\":", out);
    sa_write_json_string(out, err->message);
    fputs("}\n", out);
    /* a position belongs to the file at fault: the line's own column, or
     * the mask, bias or weights file's line:col */
    fprintf(msg, "selfattn: %s:%ld", j->source, j->line);
    if (blame)
        fprintf(msg, ": %s", cli_display_name(blame));
    if (err->line > 0 && blame)
        fprintf(msg, ":%ld:%ld", err->line, err->col);
    else if (err->line > 0)
        fprintf(msg, ":%ld", err->col);
    fprintf(msg, ": %s\n", err->message);
}

/* Computes one line into its result and messages. */
static void *run_job(void *arg)
{
    job *j = arg;
    FILE *out = open_memstream(&j->result, &j->result_len);
    FILE *msg = open_memstream(&j->messages, &j->messages_len);
    sa_batch_line line = {0};
    run_output res = {0};
    sa_error err;
    const char *blame = NULL;

    if (!out || !msg || (!j->text && !j->text_len)) {
        j->failed = j->nomem = true;
        if (out)
            fclose(out);
        if (msg)
            fclose(msg);
        return NULL;
    }
    // the id comes with every line that is JSON, also when it fails
    if (!j->text) {
        sa_fail_input_limit(&err, "the line", j->text_len);
        fail_line(j, out, msg, NULL, &err, NULL);
    } else if (sa_read_batch_line(&line, j->text, j->text_len, &err) ||
        run_sequence(&res, j->session, &line.input, &line, &blame, &err)) {
        fail_line(j, out, msg, line.id, &err, blame);
        j->usage = err.status == SA_ERR_USAGE;
        j->nomem = err.status == SA_ERR_NOMEM;
    } else {
        if (res.result.n_empty_rows) {
            char empty[256];
            fprintf(msg, "selfattn: warning: %s:%ld: %s\n", j->source, j->line,
                    run_empty_rows_text(empty, sizeof empty, &res.result,
                                        j->session->o->masked_rows_nan));
        }
        if (sa_write_json_line(out, &res.report, j->line, line.id, &err))
            fail_line(j, out, msg, line.id, &err, NULL);
    }
    fclose(out);
    fclose(msg);
    run_output_free(&res);
    sa_batch_line_free(&line);
    return NULL;
}

/* Progress on a terminal: lines done, rate and, for a file, percent and
 * time left. */
typedef struct {
    bool on;
    double start, last;
    off_t total;  /* bytes of a regular input file, or 0 */
} progress;

static void show_progress(progress *p, long lines, off_t done, bool final)
{
    double now = sa_seconds();
    if (!p->on || (!final && now - p->last < 0.2))
        return;
    p->last = now;
    double elapsed = now - p->start, rate = elapsed > 0 ? lines / elapsed : 0;
    char more[64] = "";
    if (p->total > 0 && done > 0) {
        double fraction = (double)done / (double)p->total;
        int used = snprintf(more, sizeof more, ", %.0f%%", 100 * fraction);
        if (!final && fraction > 0)
            snprintf(more + used, sizeof more - (size_t)used, ", %.0f s left",
                     elapsed * (1 - fraction) / fraction);
    }
    cli_progress(final, "%ld lines, %.0f lines/s%s", lines, rate, more);
}

/* Lines go to the pool in chunks, so that a worker takes many small lines
 * at a time (one lock and wake-up per chunk, not per line): a chunk is
 * full at CHUNK_LINES lines or CHUNK_BYTES bytes of text, so a large line
 * goes alone. */
#define CHUNK_LINES 64
#define CHUNK_BYTES ((size_t)64 << 10)

typedef struct {
    job lines[CHUNK_LINES];
    size_t count;
    bool finished;     /* computed, ready to write (under the pool's lock) */
} chunk;

/* The run: the input, the window of chunks in flight, the pool that
 * computes them and what was written. */
typedef struct {
    run_session *session;
    const char *source;        /* the input's display name */
    sa_line_reader in;
    FILE *out;
    long line_no;
    chunk *slots;              /* (n_slots) the window, chunk k in slot k % n */
    size_t n_slots;
    size_t read, taken, written;  /* chunks read, taken by a worker, written */
    bool eof, closing;         /* no more lines; the workers may stop */
    pthread_mutex_t lock;
    pthread_cond_t ready, finished;
    bool any_failed, usage, nomem, write_failed;
    long done_lines;
    size_t shard, shards;      /* --shard K/N: only lines L with
                                  (L - 1) mod N = K - 1; 0, 0 for all */
    written_line *index;       /* an MPI rank's: what each line wrote, or NULL */
    size_t indexed, index_cap;
} batch;

/* Reads the next non-blank line into j; false at the end of the input.
 * The line's buffer becomes the job's: no copy.  A line past the input
 * limit is skipped unread and becomes an error line; one that found no
 * memory fails as such. */
static bool read_job(batch *b, job *j)
{
    for (;;) {
        char *line = NULL;
        size_t len;
        sa_line_status got = sa_read_line(&b->in, sa_input_limit(), &line, &len);
        if (got == SA_LINE_END)
            return false;
        b->line_no++;
        /* another shard's lines are skipped, but for those before generated
         * weights exist: the first good line of all sets their width, as
         * in one process */
        bool other_shard = b->shards &&
                           (size_t)(b->line_no - 1) % b->shards != b->shard - 1;
        bool discard = other_shard && !b->session->have_weights &&
                       !b->session->o->weights && got == SA_LINE_OK;
        if ((other_shard && !discard) ||
            (got == SA_LINE_OK && strspn(line, " \t") == len)) {
            free(line);
            continue;  /* blank lines, and another shard's, are skipped */
        }
        *j = (job){.session = b->session, .source = b->source, .text = line,
                   .text_len = got == SA_LINE_NOMEM ? 0 : len, .line = b->line_no,
                   .discard = discard};
        return true;
    }
}

/* A worker of the pool: takes the next chunk read, computes its lines,
 * marks it. */
static void *work(void *arg)
{
    batch *b = arg;
    pthread_mutex_lock(&b->lock);
    for (;;) {
        while (b->taken == b->read && !b->closing)
            pthread_cond_wait(&b->ready, &b->lock);
        if (b->taken == b->read)
            break;
        chunk *c = &b->slots[b->taken++ % b->n_slots];
        pthread_mutex_unlock(&b->lock);
        for (size_t k = 0; k < c->count; k++)
            run_job(&c->lines[k]);
        pthread_mutex_lock(&b->lock);
        c->finished = true;
        pthread_cond_broadcast(&b->finished);
    }
    pthread_mutex_unlock(&b->lock);
    return NULL;
}

/* Writes a computed job's messages and result, then frees it; after a
 * usage error nothing more is written, as with --jobs 1. */
static void write_job(batch *b, job *j)
{
    if (!b->usage) {
        if (j->messages_len)
            cli_write_messages(j->messages, j->messages_len);
        if (j->nomem && !j->result_len) {
            cli_note("%s:%ld: out of memory", j->source, j->line);
            j->failed = true;
        }
        if (j->result_len &&
            fwrite(j->result, 1, j->result_len, b->out) != j->result_len)
            b->write_failed = true;
        if (b->index && b->indexed == b->index_cap) {
            written_line *more = realloc(b->index, 2 * b->index_cap * sizeof *more);
            b->nomem |= !more;
            b->index = more ? more : b->index;
            b->index_cap *= more ? 2 : 1;
        }
        if (b->index && b->indexed < b->index_cap)
            b->index[b->indexed++] = (written_line){j->line, j->result_len, j->usage};
        b->any_failed |= j->failed;
        b->usage |= j->usage;
        b->nomem |= j->nomem;
        b->done_lines++;
    }
    free(j->text);
    free(j->result);
    free(j->messages);
}

/* Fills the next slot with a chunk of lines and hands it to the pool;
 * while generated weights do not exist yet (the first good line sets their
 * width), or without a pool, each line runs and is written here, in
 * order, instead. */
static void read_chunk(batch *b, bool pooled)
{
    chunk *c = &b->slots[b->read % b->n_slots];
    size_t bytes = 0;
    c->count = 0;
    c->finished = false;
    while (c->count < CHUNK_LINES && bytes < CHUNK_BYTES) {
        job *j = &c->lines[c->count];
        if (!read_job(b, j)) {
            b->eof = true;
            break;
        }
        if (!pooled || !b->session->have_weights || j->discard) {
            run_job(j);  /* in order: nothing is in the pool yet */
            if (j->discard) {
                free(j->text);
                free(j->result);
                free(j->messages);
                continue;
            }
            write_job(b, j);
            if (b->usage || b->write_failed)
                break;
            continue;
        }
        bytes += j->text_len;
        c->count++;
    }
    if (c->count == 0)
        return;
    pthread_mutex_lock(&b->lock);
    b->read++;
    pthread_cond_signal(&b->ready);
    pthread_mutex_unlock(&b->lock);
}

/* Runs every line and writes the results in input order, flushed
 * whenever the next chunk is not ready yet, so a reader of a pipe sees
 * them as they come. */
static void run_lines(batch *b, size_t workers, progress *p)
{
    for (;;) {
        while (!b->eof && !b->usage && !b->write_failed &&
               b->read - b->written < b->n_slots)
            read_chunk(b, workers > 0);
        if (b->written == b->read)
            break;  /* the input ended or stopped, and all is written */
        chunk *next = &b->slots[b->written % b->n_slots];
        pthread_mutex_lock(&b->lock);
        if (!next->finished) {
            pthread_mutex_unlock(&b->lock);
            if (fflush(b->out) != 0)
                b->write_failed = true;
            pthread_mutex_lock(&b->lock);
            while (!next->finished)
                pthread_cond_wait(&b->finished, &b->lock);
        }
        pthread_mutex_unlock(&b->lock);
        for (size_t k = 0; k < next->count; k++)
            write_job(b, &next->lines[k]);
        b->written++;
        show_progress(p, b->done_lines, p->total ? b->in.consumed : 0, false);
    }
    if (fflush(b->out) != 0)
        b->write_failed = true;
}

/* Opens the input, a file or - for standard input; 0 or an exit code. */
static int open_input(int *in, struct stat *st, const char *path)
{
    sa_error err;
    *in = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY);
    if (*in < 0) {
        sa_fail(&err, SA_ERR_NOINPUT, 0, 0, "cannot open: %s", strerror(errno));
        return cli_fail(path, &err);
    }
    if (fstat(*in, st) == 0 && S_ISDIR(st->st_mode)) {
        if (*in != STDIN_FILENO)
            close(*in);
        sa_fail(&err, SA_ERR_NOINPUT, 0, 0, "is a directory");
        return cli_fail(path, &err);
    }
    return 0;
}

/* Starts the pool, runs the lines, stops the pool; 0 or an exit code. */
static int run_batch(batch *b, const run_options *o, progress *p)
{
    size_t workers = o->jobs > 1 ? o->jobs : 0, started = 0;
    b->n_slots = 2 * (workers ? workers : 1);
    b->slots = calloc(b->n_slots, sizeof *b->slots);
    pthread_t *ids = calloc(workers + 1, sizeof *ids);
    if (!b->slots || !ids) {
        free(b->slots);
        free(ids);
        return cli_error(EX_OSERR, "out of memory");
    }
    pthread_mutex_init(&b->lock, NULL);
    pthread_cond_init(&b->ready, NULL);
    pthread_cond_init(&b->finished, NULL);
    for (; started < workers; started++)
        if (pthread_create(&ids[started], NULL, work, b) != 0)
            break;
    run_lines(b, started, p);
    pthread_mutex_lock(&b->lock);
    b->closing = true;
    pthread_cond_broadcast(&b->ready);
    pthread_mutex_unlock(&b->lock);
    for (size_t t = 0; t < started; t++)
        pthread_join(ids[t], NULL);
    for (; b->written < b->read; b->written++)  /* after a usage error */
        for (size_t k = 0; k < b->slots[b->written % b->n_slots].count; k++)
            write_job(b, &b->slots[b->written % b->n_slots].lines[k]);
    pthread_cond_destroy(&b->finished);
    pthread_cond_destroy(&b->ready);
    pthread_mutex_destroy(&b->lock);
    free(ids);
    free(b->slots);
    return 0;
}

/* The exit code once everything is written. */
static int batch_status(const batch *b, cli_output *dest, const char *output,
                        const char *input)
{
    if (b->write_failed) {
        int code = cli_error(EX_IOERR, "%s: write error: %s", output ?
                             cli_display_name(output) : "<stdout>", strerror(errno));
        cli_output_abort(dest);
        return code;
    }
    if (b->in.error) {
        cli_output_abort(dest);
        return cli_error(EX_IOERR, "%s: read error: %s", cli_display_name(input),
                         strerror(b->in.error));
    }
    int code = cli_output_commit(dest);
    if (!code)
        code = cli_close_stdout();
    if (!code && b->nomem)
        return EX_OSERR;  /* some line failed for want of memory */
    if (!code && b->usage) {
        cli_help_hint();
        return EX_USAGE;  /* the options do not fit the data: stopped */
    }
    if (!code && b->any_failed)
        return EX_DATAERR;
    return code;
}

int cmd_batch(int argc, char **argv)
{
    if (cli_mpi_ranks() > 1)  // one of the ranks of mpirun -n P (P > 1)
        return batch_mpi_main(argc, argv);
    run_options o;
    run_session s;
    int in;
    struct stat st;
    int code = run_parse_options(&o, argc, argv, true);
    if (code)
        return code == -1 ? cli_help() : code;
    if ((code = open_input(&in, &st, o.input)))
        return code;
    if ((code = run_session_open(&s, &o)))
        goto done;
    if (s.context_batch) {  // each line is one sequence
        code = cli_error(EX_DATAERR, "%s: the context has %zu sequences (a 3-D "
                         "array); batch takes a 2-D context, for every line",
                         cli_display_name(o.context), s.context_batch);
        goto done;
    }
    cli_output dest;
    if ((code = cli_output_open(&dest, o.output)))
        goto done;
    double start = sa_seconds();
    progress p = {.on = !o.quiet && isatty(STDERR_FILENO), .start = start,
                  .last = start, .total = S_ISREG(st.st_mode) ? st.st_size : 0};
    batch b = {.session = &s, .source = cli_display_name(o.input), .out = dest.fp,
               .shard = o.shard, .shards = o.shards};
    if (!sa_line_reader_open(&b.in, in)) {
        code = cli_error(EX_OSERR, "out of memory");
        cli_output_abort(&dest);
        goto done;
    }
    code = run_batch(&b, &o, &p);
    sa_line_reader_close(&b.in);
    if (code) {
        cli_output_abort(&dest);
        goto done;
    }
    show_progress(&p, b.done_lines, p.total, true);
    code = batch_status(&b, &dest, o.output, o.input);
done:
    if (in != STDIN_FILENO)
        close(in);
    run_session_close(&s);
    return code;
}

#ifdef SELFATTN_MPI
#include <mpi.h>

/* What each rank wrote, gathered at rank 0: lines (count) and their
 * bytes (text, bytes) per rank, rank after rank. */
typedef struct {
    written_line *lines;
    char *text;
    int *line_counts, *line_starts, *byte_counts, *byte_starts;
} gathered;

/* Gathers every rank's index and text at rank 0; false if they cannot be
 * sent (a collective call). */
static bool gather_lines(gathered *g, const batch *b, const char *text,
                         size_t text_len, int rank, int ranks)
{
    unsigned long long mine[2] = {b->indexed * sizeof *b->index, text_len};
    unsigned long long *all = calloc(2 * (size_t)ranks, sizeof *all);
    int ok = all && mine[0] < INT_MAX && mine[1] < INT_MAX, every = 0;
    MPI_Allreduce(&ok, &every, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (!every) {
        free(all);
        return false;
    }
    MPI_Gather(mine, 2, MPI_UNSIGNED_LONG_LONG, all, 2, MPI_UNSIGNED_LONG_LONG,
               0, MPI_COMM_WORLD);
    memset(g, 0, sizeof *g);
    int *counts = calloc(4 * (size_t)ranks, sizeof *counts);
    unsigned long long lines = 0, bytes = 0;
    for (int r = 0; counts && rank == 0 && r < ranks; r++) {
        counts[r] = (int)all[2 * r];
        counts[ranks + r] = (int)(lines);
        counts[2 * ranks + r] = (int)all[2 * r + 1];
        counts[3 * ranks + r] = (int)bytes;
        lines += all[2 * r];
        bytes += all[2 * r + 1];
    }
    ok = counts && lines < INT_MAX && bytes < INT_MAX;
    if (ok && rank == 0) {
        g->lines = malloc(lines + 1);
        g->text = malloc(bytes + 1);
        ok = g->lines && g->text;
    }
    MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
    free(all);
    if (!ok) {
        free(counts);
        free(g->lines);
        free(g->text);
        return false;
    }
    g->line_counts = counts;
    g->line_starts = counts + ranks;
    g->byte_counts = counts + 2 * ranks;
    g->byte_starts = counts + 3 * ranks;
    MPI_Gatherv(b->index, (int)mine[0], MPI_BYTE, g->lines, g->line_counts,
                g->line_starts, MPI_BYTE, 0, MPI_COMM_WORLD);
    MPI_Gatherv(text, (int)mine[1], MPI_BYTE, g->text, g->byte_counts,
                g->byte_starts, MPI_BYTE, 0, MPI_COMM_WORLD);
    return true;
}

/* Rank 0 writes the gathered lines in input order (each rank's are in
 * order: a merge), up to and with the first that stopped the run. */
static bool merge_lines(FILE *out, const gathered *g, int ranks)
{
    size_t *next = calloc((size_t)ranks, sizeof *next);   // entry
    size_t *at = calloc((size_t)ranks, sizeof *at);       // byte
    bool ok = next && at;
    for (;;) {
        int best = -1;
        const written_line *lines = g->lines;
        for (int r = 0; ok && r < ranks; r++) {
            size_t count = (size_t)g->line_counts[r] / sizeof *lines;
            size_t first = (size_t)g->line_starts[r] / sizeof *lines;
            if (next[r] < count && (best < 0 ||
                lines[first + next[r]].line <
                lines[g->line_starts[best] / sizeof *lines + next[best]].line))
                best = r;
        }
        if (best < 0)
            break;
        const written_line *l = &lines[g->line_starts[best] / sizeof *lines + next[best]];
        const char *from = g->text + g->byte_starts[best] + at[best];
        ok = fwrite(from, 1, l->bytes, out) == l->bytes;
        at[best] += l->bytes;
        next[best]++;
        if (l->usage)
            break;  // as one process: nothing after a usage error
    }
    free(next);
    free(at);
    return ok;
}

/* Each rank runs its lines ((L - 1) mod P = rank) into memory; rank 0
 * gathers them and writes them in input order.  0 or an exit code. */
static int batch_ranks(run_session *s, const run_options *o, int in, int rank,
                       int ranks)
{
    char *text = NULL;
    size_t text_len = 0;
    FILE *mem = open_memstream(&text, &text_len);
    batch b = {.session = s, .source = cli_display_name(o->input), .out = mem,
               .shard = (size_t)rank + 1, .shards = (size_t)ranks,
               .index = malloc(64 * sizeof *b.index), .index_cap = 64};
    progress p = {.on = false};
    int code = 0;
    if (!mem || !b.index || !sa_line_reader_open(&b.in, in))
        code = cli_error(EX_OSERR, "out of memory");
    else
        code = run_batch(&b, o, &p);
    if (b.in.buf)
        sa_line_reader_close(&b.in);
    if (mem && fclose(mem) != 0)
        b.write_failed = true;
    int flags = (b.any_failed ? 1 : 0) | (b.usage ? 2 : 0) | (b.nomem ? 4 : 0) |
                (b.write_failed ? 8 : 0), all = 0, read_error = b.in.error, error = 0;
    MPI_Allreduce(&flags, &all, 1, MPI_INT, MPI_BOR, MPI_COMM_WORLD);
    MPI_Allreduce(&read_error, &error, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    gathered g = {0};
    if ((code = mpi_agree(code)) == 0 &&
        !gather_lines(&g, &b, text, text_len, rank, ranks))
        code = cli_error(EX_OSERR, "the ranks' lines cannot be gathered at "
                         "rank 0 (2 GiB at most per rank): use --shard");
    free(text);
    free(b.index);
    if (code || rank != 0)
        return code;
    cli_output dest;
    if (!(code = cli_output_open(&dest, o->output))) {
        batch all_of = {.any_failed = all & 1, .usage = all & 2, .nomem = all & 4,
                        .write_failed = (all & 8) || !merge_lines(dest.fp, &g, ranks)};
        all_of.in.error = error;
        code = batch_status(&all_of, &dest, o->output, o->input);
    }
    free(g.lines);
    free(g.text);
    free(g.line_counts);
    return code;
}

int batch_mpi_main(int argc, char **argv)
{
    run_options o;
    run_session s;
    int in = -1, rank;
    struct stat st;
    bool opened = false;
    MPI_Init(NULL, NULL);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    int ranks;
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    mpi_quiet(true);  // what all ranks do alike, rank 0 reports
    int code = run_parse_options(&o, argc, argv, true);
    bool help = code == -1;
    if (help)
        code = rank == 0 ? cli_help() : 0;
    if (!help && !code && strcmp(o.input, "-") == 0)
        code = cli_usage_error("under MPI, batch reads a file: standard input "
                               "reaches rank 0 only (give a file, or split a "
                               "stream with --shard K/N)");
    if (!help && !code && o.shards)
        code = cli_usage_error("--shard and MPI both split the lines: use one");
    if (!help && !code)
        code = open_input(&in, &st, o.input);
    if (!help && !code && !(code = run_session_open(&s, &o)))
        opened = true;
    if (opened && s.context_batch)
        code = cli_error(EX_DATAERR, "%s: the context has %zu sequences (a 3-D "
                         "array); batch takes a 2-D context, for every line",
                         cli_display_name(o.context), s.context_batch);
    code = mpi_agree(code);
    mpi_quiet(false);
    if (!help && !code)
        code = batch_ranks(&s, &o, in, rank, ranks);
    MPI_Bcast(&code, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (in > 0)
        close(in);
    if (opened)
        run_session_close(&s);
    fflush(stdout);
    fflush(stderr);
    MPI_Finalize();
    return code;
}
#endif
