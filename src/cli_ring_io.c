/* cli_ring_io.c — `mpirun -n P selfattn run` around the ring (cli_ring.c):
 * the options an MPI run refuses; each rank's rows read (a 2-D C-order
 * .npy by seeking; other inputs are read by rank 0 and sent); the output
 * written by every rank at its rows' offset (-f npy -o FILE) or gathered
 * to rank 0, which writes the report the one-process run writes; --stats
 * per rank; ranks that agree on one exit code.  Only the program knows
 * MPI.  Legend as in attention_internal.h.
 */
#ifdef SELFATTN_MPI
#include <errno.h>
#include <fcntl.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format.h"
#include "cli_ring.h"

static int agree(int code)
{
    return mpi_agree(code);
}

/* ---- reading: each rank its rows ---------------------------------------- */

/* A 2-D C-order .npy file whose data is all there: its header into t,
 * the data's offset into *offset; false otherwise (the whole-file reader
 * then gives the message a single process gives). */
static bool seekable_npy(sa_tensor *t, size_t *offset, const char *path)
{
    unsigned char head[65536 + 16];
    size_t bytes;
    sa_error err;
    struct stat st;
    int fd = strcmp(path, "-") == 0 ? -1 : open(path, O_RDONLY);
    if (fd < 0)
        return false;
    ssize_t got = fstat(fd, &st) == 0 && S_ISREG(st.st_mode)
                  ? pread(fd, head, sizeof head, 0) : -1;
    close(fd);
    if (got < 10 || sa_npy_header(t, &bytes, offset, head, (size_t)got, &err))
        return false;
    return t->ndim == 2 && !t->fortran_order && t->shape[0] > 0 &&
           t->shape[1] > 0 && (off_t)*offset + (off_t)bytes <= st.st_size;
}

/* Reads rows [first, first + rows) of the .npy file t describes into dst
 * (rows, d); 0 or an exit code after the message. */
static int read_npy_rows(float *dst, const char *path, const sa_tensor *head,
                         size_t offset, size_t first, size_t rows)
{
    sa_error err;
    size_t d = head->shape[1], size = sa_dtype_size(head->dtype);
    size_t bytes = rows * d * size;
    unsigned char *raw = malloc(bytes + 1);
    int fd = open(path, O_RDONLY);
    size_t done = 0;
    while (raw && fd >= 0 && done < bytes) {
        ssize_t got = pread(fd, raw + done, bytes - done,
                            (off_t)(offset + first * d * size + done));
        if (got <= 0)
            break;
        done += (size_t)got;
    }
    if (fd >= 0)
        close(fd);
    if (!raw || done < bytes) {
        free(raw);
        sa_fail(&err, raw ? SA_ERR_IO : SA_ERR_NOMEM, 0, 0, "%s",
                raw ? "read error" : "out of memory");
        return cli_fail(path, &err);
    }
    sa_tensor t = *head;
    t.shape[0] = rows;
    t.raw = raw;
    t.name = "the .npy array";
    float *f;
    sa_status status = sa_tensor_floats(&f, &t, &err);
    free(raw);
    if (status) {
        char message[sizeof err.message];
        snprintf(message, sizeof message, "%s", err.message);
        sa_fail(&err, status, 0, 0, "rows %zu to %zu (counting from 0): %s",
                first, first + rows - 1, message);
        return cli_fail(path, &err);
    }
    memcpy(dst, f, rows * d * sizeof *f);
    free(f);
    return 0;
}

/* Rank 0 reads the whole input as one process does; 0 or an exit code. */
static int read_whole(rank_input *in, const run_options *o)
{
    char *text = NULL;
    size_t len, batch;
    sa_error err;
    if (cli_read_file(&text, &len, o->input, &err) ||
        sa_read_input_take(&in->whole, &batch, o->input, sa_input_members,
                           &text, len, &err)) {
        free(text);
        return cli_fail(o->input, &err);
    }
    free(text);
    if (batch) {
        sa_fail(&err, SA_ERR_USAGE, 0, 0, "a batch of %zu sequences (a 3-D "
                "array): under MPI, run splits one sequence over the ranks; "
                "use batch, or one process", batch);
        return cli_fail(o->input, &err);
    }
    in->n = in->whole.rows;
    in->d = in->whole.cols;
    return 0;
}

/* This rank's rows of the input into in; 0 or an exit code (agreed). */
static int read_rows(rank_input *in, const run_options *o, const world *w)
{
    sa_tensor head;
    size_t offset = 0;
    unsigned long long shape[3] = {0, 0, 0};  // n, d, seekable
    int code = 0;
    memset(in, 0, sizeof *in);
    if (w->rank == 0) {
        if (seekable_npy(&head, &offset, o->input)) {
            shape[0] = head.shape[0];
            shape[1] = head.shape[1];
            shape[2] = 1;
        } else if (!(code = read_whole(in, o))) {
            shape[0] = in->n;
            shape[1] = in->d;
        }
    }
    if ((code = agree(code)))
        return code;
    MPI_Bcast(shape, 3, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD);
    in->n = shape[0];
    in->d = shape[1];
    in->seeked = shape[2] != 0;
    spans q = ring_spans(w->rank, w->ranks, in->n);
    in->local = malloc((q.total * in->d + 1) * sizeof *in->local);
    if (!in->local)
        code = cli_error(EX_OSERR, "out of memory for %zu rows", q.total);
    if (shape[2]) {  // every rank seeks to its rows
        if (!code && w->rank != 0 && !seekable_npy(&head, &offset, o->input))
            code = cli_error(EX_NOINPUT, "%s: rank %d cannot read the file "
                             "rank 0 read", cli_display_name(o->input), w->rank);
        for (int k = 0; k < 2 && !code; k++)
            if (q.rows[k])
                code = read_npy_rows(in->local + (k ? q.rows[0] * in->d : 0),
                                     o->input, &head, offset, q.first[k], q.rows[k]);
        return agree(code);
    }
    if ((code = agree(code)))
        return code;
    ring_scatter_rows(in->local, in->whole.data, &q, in->n, in->d, w);
    return 0;
}

/* ---- writing --------------------------------------------------------------- */

/* The queries that saw no key, every rank's, at rank 0 (ascending) into
 * r->empty_rows; an empty list elsewhere. */
static int gather_empty(sa_result *r, const rank_result *res, const world *w)
{
    size_t n = r->n, rows = res->q.total;
    float *mine = malloc((rows + 1) * sizeof *mine);  // 1: saw no key
    float *all = w->rank == 0 ? malloc((n + 1) * sizeof *all) : NULL;
    size_t *list = w->rank == 0 ? malloc((n + 1) * sizeof *list) : NULL;
    int code = 0;
    if (!mine || (w->rank == 0 && (!all || !list)))
        code = cli_error(EX_OSERR, "out of memory");
    if (!(code = agree(code))) {
        for (size_t i = 0; i < rows; i++)
            mine[i] = res->empty[i] ? 1.0f : 0.0f;
        ring_gather_rows(all, mine, &res->q, n, 1, w);
        for (size_t i = 0; w->rank == 0 && i < n; i++)
            if (all[i] != 0.0f)
                list[r->n_empty_rows++] = i;
        r->empty_rows = list;
        list = NULL;
    }
    free(mine);
    free(all);
    free(list);
    return code;
}

/* -f npy -o FILE: rank 0 makes the temporary file (cli_output_open) with
 * the header and its full length, every rank writes its rows at their
 * offset, rank 0 renames it into place.  Returns 0, an exit code, or -1
 * when the output is no regular file (it is then gathered). */
static int write_npy_rows(const rank_result *res, const run_options *o,
                          size_t n, size_t d_out, const world *w)
{
    cli_output dest;
    char header[512], path[4096] = "";
    size_t shape[2] = {n, d_out}, h = sa_npy_header_bytes(header, 2, shape);
    int code = 0;
    if (w->rank == 0) {
        code = cli_output_open(&dest, o->output);
        if (!code && !dest.tmp_path) {
            cli_output_abort(&dest);
            code = -1;
        } else if (!code) {
            snprintf(path, sizeof path, "%s", dest.tmp_path);
            if (fwrite(header, 1, h, dest.fp) != h || fflush(dest.fp) != 0 ||
                ftruncate(fileno(dest.fp), (off_t)(h + n * d_out * 4)) != 0) {
                code = cli_error(EX_IOERR, "%s: write error: %s",
                                 cli_display_name(o->output), strerror(errno));
                cli_output_abort(&dest);
            }
        }
    }
    MPI_Bcast(&code, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (code)
        return code;
    MPI_Bcast(path, sizeof path, MPI_CHAR, 0, MPI_COMM_WORLD);
    int fd = open(path, O_WRONLY);
    for (size_t k = 0, at = 0; k < 2 && !code; at += res->q.rows[k], k++) {
        size_t bytes = res->q.rows[k] * d_out * sizeof(float), done = 0;
        const char *from = (const char *)(res->out + (size_t)at * d_out);
        off_t offset = (off_t)(h + res->q.first[k] * d_out * sizeof(float));
        while (fd >= 0 && done < bytes) {
            ssize_t put = pwrite(fd, from + done, bytes - done, offset + (off_t)done);
            if (put <= 0)
                break;
            done += (size_t)put;
        }
        if (done < bytes)
            code = cli_error(EX_IOERR, "%s: write error: %s (rank %d)",
                             cli_display_name(o->output), strerror(errno), w->rank);
    }
    if (fd >= 0 && close(fd) != 0 && !code)
        code = cli_error(EX_IOERR, "%s: write error: %s (rank %d)",
                         cli_display_name(o->output), strerror(errno), w->rank);
    code = agree(code);
    if (w->rank == 0 && code)
        cli_output_abort(&dest);
    else if (w->rank == 0)
        code = cli_output_commit(&dest);
    MPI_Bcast(&code, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return code;
}

/* Rank 0 writes the report of the gathered result as one process does. */
static int write_report(run_output *out, const run_session *s,
                        const run_options *o)
{
    sa_error err;
    cli_output dest;
    int code = cli_output_open(&dest, o->output);
    if (code)
        return code;
    out->report.color = cli_use_color(o->color, dest.fp);
    out->report.truecolor = cli_truecolor();
    (void)s;
    if (run_write(dest.fp, o->format, &out->report, &err)) {
        cli_output_abort(&dest);
        return cli_fail(err.status == SA_ERR_IO ? (o->output ? o->output : "<stdout>")
                                                : NULL, &err);
    }
    if (!(code = cli_output_commit(&dest)))
        code = cli_close_stdout();
    return code;
}

/* --stats: each rank's line, printed by rank 0 in rank order. */
static void print_stats(const rank_result *res, const world *w, double total)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    rank_stats mine = res->stats;
    mine.rows = (double)res->q.total;
    mine.peak_mib = (double)ru.ru_maxrss / 1024.0;
    if (w->rank != 0) {  // each rank's line, printed by rank 0 as it comes
        MPI_Send(&mine, 6, MPI_DOUBLE, 0, 0, MPI_COMM_WORLD);
        return;
    }
    cli_note("stats: %d ranks, total %.3f s, kernels %s, OpenBLAS %s",
             w->ranks, total, sa_kernels_name(), sa_blas_name());
    for (int r = 0; r < w->ranks; r++) {
        rank_stats t = mine;
        if (r > 0)
            MPI_Recv(&t, 6, MPI_DOUBLE, r, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        double ring = t.compute + t.wait;
        cli_note("stats: rank %d: %.0f rows, project %.3f s, attend %.3f s, "
                 "waiting for the ring %.3f s, sent %.1f MiB, overlap %.0f%%, "
                 "peak memory %.1f MiB", r, t.rows, t.project, t.compute,
                 t.wait, t.bytes / 1048576.0,
                 ring > 0 ? 100.0 * t.compute / ring : 100.0, t.peak_mib);
    }
}

/* --print input: the input rows as given, gathered at rank 0 when each
 * rank read its own (before positions are added to them).  0 or an exit
 * code. */
static int gather_input(rank_input *in, const run_options *o, const world *w)
{
    int code = 0;
    if (!o->print_input || !in->seeked)  // not printed, or rank 0 has it
        return 0;
    spans q = ring_spans(w->rank, w->ranks, in->n);
    if (w->rank == 0 && !(in->whole.data = malloc((in->n * in->d + 1) * sizeof(float))))
        code = cli_error(EX_OSERR, "out of memory for the input at rank 0");
    if ((code = agree(code)))
        return code;
    in->whole.rows = in->n;
    in->whole.cols = in->d;
    ring_gather_rows(in->whole.data, in->local, &q, in->n, in->d, w);
    return 0;
}

/* The files every rank reads itself (the weights, --context, --mask,
 * --bias) cannot be standard input, which reaches rank 0 alone: 0 or
 * EX_USAGE after the message. */
static int refuse_stdin(const run_options *o)
{
    const char *const files[][2] = {{"--weights", o->weights},
                                    {"--context", o->context},
                                    {"--mask", o->mask}, {"--bias", o->bias}};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++)
        if (files[i][1] && strcmp(files[i][1], "-") == 0)
            return cli_usage_error("under MPI, %s - cannot be read: every rank "
                                   "reads %s itself and standard input reaches "
                                   "rank 0 alone; give a file", files[i][0],
                                   files[i][0]);
    return 0;
}

/* agree() after what every rank does alike under mpi_quiet (options,
 * the files all read): rank 0's message is the one, and if only other
 * ranks failed, rank 0 says so. */
static int agree_alike(int code, const world *w)
{
    int all = agree(code);
    if (all && !code && w->rank == 0)
        cli_error(all, "another rank failed where rank 0 did not (reading the "
                  "weights, --context, --mask or --bias, which every rank reads "
                  "itself): every node must see the same files");
    return all;
}

/* Options an MPI run refuses: 0 or EX_USAGE after the message. */
static int refuse(const run_options *o, const run_session *s, unsigned command)
{
    if (command == CLI_GRAD)
        return cli_usage_error("grad does not run under MPI yet: run it as one "
                               "process");
    if (command == CLI_EXPLAIN)
        return cli_usage_error("explain tells a small input as one process: "
                               "run it without mpirun");
    if (o->sweep_spec)
        return cli_usage_error("under MPI, run takes one value of each "
                               "parameter: run --sweep as one process");
    if (s->context_batch)
        return cli_usage_error("under MPI, --context takes one 2-D context");
    return 0;
}

/* The rank's part once the files are read: attend, then write. */
static int run_ranks(run_session *s, const run_options *o, rank_input *in,
                     const world *w, double started)
{
    run_output out = {0};
    rank_result res = {0};
    sa_error err;
    const char *blame;
    size_t m = o->context ? s->context.rows : in->n;
    size_t d_ctx = o->context ? s->context.cols : in->d;
    int code = 0;
    mpi_quiet(true);  // every rank reads the mask and bias alike
    if (run_prepare(&out, s, in->n, in->d, m, d_ctx, &blame, &err))
        code = cli_fail(blame, &err);
    mpi_quiet(false);
    if ((code = agree_alike(code, w)) || (code = gather_input(in, o, w)) ||
        (code = sa_config_dense(&out.config) ? ring_attend_dense(&res, s, &out, in, w)
                                              : ring_attend(&res, s, &out, in, w)))
        goto done;
    sa_result *r = &out.result;
    *r = (sa_result){.n = in->n, .m = m, .heads = o->heads,
                     .d_head = s->weights.d_proj / o->heads,
                     .d_out = s->weights.d_out,
                     .seconds_project = res.stats.project,
                     .seconds_attend = res.stats.compute + res.stats.wait};
    if ((code = gather_empty(r, &res, w)))
        goto done;
    if (w->rank == 0 && r->n_empty_rows) {
        char empty[256];
        cli_warn("%s", run_empty_rows_text(empty, sizeof empty, r, o->masked_rows_nan));
    }
    bool to_file = o->output && *o->output && strcmp(o->output, "-") != 0;
    bool output_only = !o->print_weights && !o->print_steps &&
                       !o->average_heads && !o->print_input && !o->print_params;
    code = o->format == OUT_NPY && to_file && output_only
           ? write_npy_rows(&res, o, in->n, r->d_out, w) : -1;
    if (code == -1) {  // gathered at rank 0, which writes the report
        code = 0;
        if (w->rank == 0 && !(r->output = malloc((in->n * r->d_out + 1) * sizeof(float))))
            code = cli_error(EX_OSERR, "out of memory for the output");
        if (!(code = agree(code))) {
            ring_gather_rows(r->output, res.out, &res.q, in->n, r->d_out, w);
            if (res.weights)
                code = ring_gather_dense(&out, &res, o, w);
        }
        if (!code) {
            sa_matrix x = in->whole.data ? in->whole
                                         : (sa_matrix){.rows = in->n, .cols = in->d};
            run_report(&out, s, &x);
            code = agree(w->rank == 0 ? write_report(&out, s, o) : 0);
        }
    }
    if (o->stats)
        print_stats(&res, w, sa_seconds() - started);
done:
    rank_result_free(&res);
    run_output_free(&out);
    return code;
}

int ring_main(int argc, char **argv, unsigned command)
{
    double started = sa_seconds();
    world w = {0};
    run_options o;
    run_session s;
    rank_input in = {0};
    bool opened = false;
    MPI_Init(NULL, NULL);
    MPI_Comm_rank(MPI_COMM_WORLD, &w.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &w.ranks);
    mpi_quiet(true);  // what all ranks do alike, rank 0 reports
    int code = run_parse_command(&o, argc, argv, command);
    bool help = code == -1;
    if (help)
        code = w.rank == 0 ? cli_help() : 0;
    if (help) {
    } else if (code == 0 && command == CLI_RUN) {
        if (!(code = refuse_stdin(&o)) && !(code = run_session_open(&s, &o))) {
            opened = true;
            code = refuse(&o, &s, command);
        }
    } else if (code == 0) {
        code = refuse(&o, NULL, command);
    }
    // mpirun hands the ranks a pseudo-terminal for standard output, whatever
    // its own is: colour only when asked for, and no refusing a terminal
    if (!help && !code && o.color == CLI_COLOR_AUTO)
        o.color = CLI_COLOR_NEVER;
    code = agree_alike(code, &w);
    mpi_quiet(false);
    if (!help && !code && !(code = read_rows(&in, &o, &w)))
        code = run_ranks(&s, &o, &in, &w, started);
    if (opened)
        run_session_close(&s);
    free(in.local);
    sa_matrix_free(&in.whole);
    fflush(stdout);
    fflush(stderr);
    MPI_Finalize();
    return code;
}
#endif
