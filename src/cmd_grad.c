/* cmd_grad.c — `selfattn grad`: the backward pass of `run`, for the same
 * options plus --dy: run's report and the gradients of L = sum dY .* Y.
 * It runs as `run` does (cmd_run.c, cli_session.c); here are the checks
 * of its own options. */
#include <stdlib.h>
#include <string.h>

#include "cli_run.h"
#include "grad_report.h"

int cmd_grad(int argc, char **argv)
{
    return run_main(argc, argv, CLI_GRAD);
}

int grad_check_options(run_options *o)
{
    if (o->format == OUT_HTML)
        return cli_usage_error("grad has no page: -f html is for run and plot; "
                               "grad draws dS or dP with -f svg or -f heatmap");
    bool picture = o->format == OUT_SVG || o->format == OUT_HEATMAP;
    const char *format = o->format == OUT_SVG ? "svg" : "heatmap";
    if (picture) {
        // the pictures draw dS (or dP) of the steps, per head or averaged
        if (o->print_given && (!o->print_grad_steps || o->print_output ||
                               o->print_weights || o->print_steps || o->print_grads))
            return cli_usage_error("grad --format %s draws dS or dP of the "
                                   "gradient's steps: --print grad_steps (or "
                                   "leave --print out)", format);
        o->print_output = o->print_grads = false;
        o->print_grad_steps = true;
    } else if (o->what) {
        return cli_usage_error("--what chooses what grad draws with -f svg or "
                               "-f heatmap");
    }
    if (o->format == OUT_NPY && (o->print_grads || o->print_grad_steps))
        return cli_usage_error("--format npy writes one array: the gradients "
                               "are several; use npz");
    return 0;
}

sa_status grad_sequence(run_output *out, run_session *s, const sa_matrix *x,
                        const sa_matrix *keys, const char **blame,
                        sa_error *err)
{
    const run_options *o = s->o;
    const sa_weights *w = &s->weights;
    size_t n = x->rows, m = keys->rows;
    sa_status status;
    if (s->dy_text) {
        *blame = o->dy;
        if ((status = sa_read_values(&out->dy, false, "dY", o->dy, s->dy_text,
                                     s->dy_len, err)))
            return status;
        if (out->dy.rows != n || out->dy.cols != w->d_out)
            return sa_fail(err, SA_ERR_DATA, 0, 0, "dY is %zu x %zu but must "
                           "be %zu x %zu, the shape of the output (queries x "
                           "d_out)", out->dy.rows, out->dy.cols, n, w->d_out);
        *blame = NULL;
    }
    if ((status = sa_attention_grad(&out->result, &out->grads,
                                    s->dy_text ? out->dy.data : NULL, x->data,
                                    n, x->cols, o->context ? keys->data : NULL,
                                    m, keys->cols, w, &out->config, err)) ||
        (status = sa_grad_tensors(&out->grad_tensors, w, &out->grads.dw, err)))
        return status;
    bool picture = o->format == OUT_SVG || o->format == OUT_HEATMAP;
    if (picture && o->average_heads) {
        out->grad_average = malloc(n * m * sizeof *out->grad_average);
        if (!out->grad_average)
            return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
        const sa_grads *g = &out->grads;
        sa_average_heads(out->grad_average, o->what && strcmp(o->what, "dP") == 0
                         ? g->dp : g->ds, o->heads, n, m);
    }
    return SA_OK;
}

sa_status grad_write(FILE *fp, const run_options *o, const run_output *out,
                     sa_error *err)
{
    const sa_report *rep = &out->report;
    if (o->format != OUT_SVG && o->format != OUT_HEATMAP)
        return run_write(fp, o->format, rep, err);
    sa_heatmaps maps;
    sa_panel *panels = calloc(rep->heads, sizeof *panels);
    if (!panels)
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
    sa_grad_heatmaps(&maps, panels, rep, o->what && strcmp(o->what, "dP") == 0,
                     out->grad_average);
    sa_status status = run_write_maps(fp, o->format, &maps, rep, err);
    free(panels);
    return status;
}
