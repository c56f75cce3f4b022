/* cmd_run.c — `selfattn run`: one sequence from INPUT, or a batch of them
 * (a 3-D NumPy array), one report; and the same for `selfattn grad`
 * (cmd_grad.c), whose report adds the gradients.  All the math is in the
 * library; the session loads the other files. */
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cli_run.h"

/* --stats: where the time went, the work done and the memory used; with
 * g (grad), the backward pass's too. */
static void print_stats(const run_options *o, const sa_result *r,
                        const sa_grads *g, double read, double compute,
                        double write)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double back = g ? g->seconds_backward : 0.0, flops = r->flops;
    double other = compute - r->seconds_project - r->seconds_attend - back;
    char backward[48] = "";
    if (g) {
        snprintf(backward, sizeof backward, " backward %.3f s,", back);
        flops += g->flops_backward;
    }
    cli_note("stats: read %.3f s, project %.3f s, attend %.3f s,%s write %.3f s, "
             "total %.3f s", read + (other > 0 ? other : 0),
            r->seconds_project, r->seconds_attend, backward, write,
            read + compute + write);
    double busy = r->seconds_project + r->seconds_attend + back;
    cli_note("stats: %.3g GFLOP, %.1f GFLOP/s in project + attend%s, %s path, "
             "%zu thread%s, peak memory %.1f MiB",
            flops / 1e9, busy > 0 ? flops / busy / 1e9 : 0.0, g ? " + backward" : "",
            o->print_weights || o->print_steps || o->average_heads ||
            o->print_grad_steps ? "dense" : "streaming",
            o->threads, o->threads == 1 ? "" : "s", (double)ru.ru_maxrss / 1024.0);
    cli_note("stats: kernels %s, OpenBLAS %s", sa_kernels_name(), sa_blas_name());
}

int cmd_run(int argc, char **argv)
{
    return run_main(argc, argv, CLI_RUN);
}

int run_main(int argc, char **argv, unsigned command)
{
    if (cli_mpi_ranks() > 1)  // one of the ranks of mpirun -n P (P > 1)
        return ring_main(argc, argv, command);
    double started = sa_seconds();
    run_options o;
    run_session s;
    run_output out = {0};
    sa_matrix x = {0};
    char *text = NULL;
    size_t len;
    sa_error err;
    const char *blame;
    char empty[256];
    int code = run_parse_command(&o, argc, argv, command);

    if (code)
        return code == -1 ? cli_help() : code;
    bool binary = o.format == OUT_NPY || o.format == OUT_NPZ;
    if (binary && (!o.output || !*o.output || (o.output[0] == '-' && !o.output[1])) &&
        isatty(STDOUT_FILENO))
        return cli_usage_error("--format %s is binary: use -o FILE or redirect "
                               "standard output", o.format == OUT_NPY ? "npy" : "npz");

    if ((code = run_session_open(&s, &o)))
        goto done;
    size_t batch;  // a 3-D NumPy input (B, n, d) is B sequences
    if (cli_read_file(&text, &len, o.input, &err) ||
        sa_read_input_take(&x, &batch, o.input, sa_input_members, &text, len, &err)) {
        code = cli_fail(o.input, &err);
        goto done;
    }
    free(text);  // if still ours, now: the attention's buffers can take its pages
    text = NULL;
    double read_done = sa_seconds();
    if (o.sweep.count) {
        code = run_sweep_main(&s, &x, batch);
        goto done;
    }
    if (run_sequences(&out, &s, &x, batch, NULL, &blame, &err)) {
        code = cli_fail(blame, &err);
        goto done;
    }
    if (out.result.n_empty_rows)
        cli_warn("%s", run_batch_empty_rows_text(empty, sizeof empty, &out.result,
                                                 batch, o.masked_rows_nan));

    double computed = sa_seconds();
    cli_output dest;
    if ((code = cli_output_open(&dest, o.output)))
        goto done;
    if (binary && isatty(fileno(dest.fp))) {
        cli_output_abort(&dest);
        code = cli_usage_error("--format %s is binary: not to a terminal",
                               o.format == OUT_NPY ? "npy" : "npz");
        goto done;
    }
    out.report.color = cli_use_color(o.color, dest.fp);
    out.report.truecolor = cli_truecolor();
    if (command == CLI_GRAD ? grad_write(dest.fp, &o, &out, &err)
                            : run_write(dest.fp, o.format, &out.report, &err)) {
        cli_output_abort(&dest);
        code = cli_fail(err.status == SA_ERR_IO ? (o.output ? o.output : "<stdout>")
                                                : NULL, &err);
        goto done;
    }
    if (!(code = cli_output_commit(&dest)))
        code = cli_close_stdout();
    if (o.stats)
        print_stats(&o, &out.result, command == CLI_GRAD ? &out.grads : NULL,
                    read_done - started, computed - read_done,
                    sa_seconds() - computed);
done:
    free(text);
    run_output_free(&out);
    sa_matrix_free(&x);
    run_session_close(&s);
    return code;
}
