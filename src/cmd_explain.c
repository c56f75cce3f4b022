/* cmd_explain.c — `selfattn explain`: what run computes for a small input,
 * told in the order a tutorial teaches it, with the numbers of every step
 * and one cell of each worked in full.  It runs as `run -p steps` does
 * (the session, the dense path keeping every step); the narration is in
 * cli_explain_*.c, and says nothing the result does not hold. */
#include <stdlib.h>
#include <string.h>

#include "cli_explain.h"

/* A usage error if a size of the run is past EXPLAIN_MAX: what, its value. */
static int too_large(const char *what, size_t value)
{
    return cli_error(EX_USAGE, "explain narrates small inputs: %s is %zu, more "
                     "than %d; selfattn run -p steps -f table prints every step "
                     "of any size", what, value, EXPLAIN_MAX);
}

/* The sizes of the input (before computing) and of the weights (after):
 * 0, or an exit code after the message. */
static int check_size(const char *const *names, const size_t *sizes, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (sizes[i] > EXPLAIN_MAX)
            return too_large(names[i], sizes[i]);
    return 0;
}

/* The key of row worked in full: the one with the largest weight in head. */
static size_t worked_key(const sa_result *r, size_t head, size_t row)
{
    const float *w = r->weights + (head * r->n + row) * r->m;
    size_t best = 0;
    for (size_t j = 1; j < r->m; j++)
        if (w[j] > w[best])
            best = j;
    return best;
}

/* The input the projections saw: x plus positions, into *owned if any. */
static const float *used_input(float **owned, const sa_matrix *x,
                               const run_options *o)
{
    *owned = NULL;
    if (!o->pos_sinusoidal)
        return x->data;
    if (!(*owned = malloc(x->rows * x->cols * sizeof **owned)))
        return NULL;
    memcpy(*owned, x->data, x->rows * x->cols * sizeof **owned);
    sa_sinusoidal(*owned, x->rows, x->cols);
    return *owned;
}

/* Tells the run of out on stdout; 0 or an exit code. */
static int narrate(const run_options *o, const run_session *s,
                   const run_output *out, const sa_matrix *x)
{
    const sa_result *r = &out->result;
    const sa_weights *w = &s->weights;
    float *owned;
    explainer e = {
        .fp = stdout, .width = explain_width(stdout),
        .color = cli_use_color(o->color, stdout), .digits = (int)o->digits,
        .o = o, .out = out, .w = w, .n = r->n, .m = r->m, .d = x->cols,
        .d_ctx = o->context ? s->context.cols : x->cols, .H = r->heads,
        .G = o->kv_heads, .dh = r->d_head, .P = w->d_proj, .Pkv = w->d_kv,
        .d_out = r->d_out, .head = o->head ? o->head - 1 : 0, .row = o->row,
        .scale = sa_config_scale(&out->config, r->d_head),
    };
    e.kv = e.head / (e.H / e.G);
    e.key = worked_key(r, e.head, e.row);
    e.x = used_input(&owned, x, o);
    e.ctx = o->context ? s->context.data : e.x;
    if (!e.x)
        return cli_error(EX_OSERR, "out of memory");
    explain_line(&e, 0, "selfattn explain: %zu quer%s over %zu key%s, head %zu and "
            "query row %zu worked in full", e.n, e.n == 1 ? "y" : "ies", e.m,
            e.m == 1 ? "" : "s", e.head + 1, e.row);
    explain_inputs(&e);
    explain_weights(&e);
    explain_projections(&e);
    explain_raw_scores(&e);
    explain_scaled_scores(&e);
    explain_softmax(&e);
    explain_outputs(&e);
    explain_say(&e, "Every number is float32 as selfattn run computes it "
                "(selfattn run -p steps prints them all, for every head); the "
                "sums worked out here add, in double, the float32 numbers shown "
                "rounded to %d decimals, so a last digit may differ.", e.digits);
    free(owned);
    return cli_close_stdout();
}

int cmd_explain(int argc, char **argv)
{
    run_options o;
    run_session s;
    run_output out = {0};
    sa_matrix x = {0};
    char *text = NULL;
    size_t len, batch;
    sa_error err;
    const char *blame;
    if (cli_mpi_ranks() > 1)  // one of the ranks of mpirun -n P: refused
        return ring_main(argc, argv, CLI_EXPLAIN);
    int code = run_parse_command(&o, argc, argv, CLI_EXPLAIN);
    if (code)
        return code == -1 ? cli_help() : code;
    if ((code = run_session_open(&s, &o)))
        goto done;
    if (cli_read_file(&text, &len, o.input, &err) ||
        sa_read_input_take(&x, &batch, o.input, sa_input_members, &text, len, &err)) {
        code = cli_fail(o.input, &err);
        goto done;
    }
    if (batch) {
        code = cli_usage_error("explain tells one sequence: %s holds a batch of "
                               "%zu; selfattn run computes batches",
                               cli_display_name(o.input), batch);
        goto done;
    }
    const char *inputs[] = {"n (the input's rows)", "d (the input's width)",
                            "m (the context's rows)", "d_ctx (the context's width)"};
    size_t input_sizes[] = {x.rows, x.cols, s.context.rows, s.context.cols};
    if ((code = check_size(inputs, input_sizes, 4)))
        goto done;
    if (o.row >= x.rows) {
        code = cli_usage_error("--row %zu: INPUT has %zu query row%s (0 to %zu)",
                               o.row, x.rows, x.rows == 1 ? "" : "s", x.rows - 1);
        goto done;
    }
    if (run_sequences(&out, &s, &x, 0, NULL, &blame, &err)) {
        code = cli_fail(blame, &err);
        goto done;
    }
    const char *widths[] = {"H*dh (the columns of Wq)", "G*dh (the columns of Wk)",
                            "d_out (the columns of the output)"};
    size_t width_sizes[] = {s.weights.d_proj, s.weights.d_kv, s.weights.d_out};
    if (!(code = check_size(widths, width_sizes, 3)))
        code = narrate(&o, &s, &out, &x);
done:
    free(text);
    run_output_free(&out);
    sa_matrix_free(&x);
    run_session_close(&s);
    return code;
}
