/* run_session.c — load the files of a run once, then compute attention for
 * each sequence: what `run` does once and `batch` once per line. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_run.h"
#include "format.h"

/* Reads the file path into *text (the caller frees it).  Returns 0 or an
 * exit code after the message. */
static int read_text(char **text, size_t *len, const char *path)
{
    sa_error err;
    if (cli_read_file(text, len, path, &err))
        return cli_fail(path, &err);
    return 0;
}

int run_session_open(run_session *s, run_options *o)
{
    char *text;
    size_t len;
    sa_error err;
    int code = 0;

    memset(s, 0, sizeof *s);
    s->o = o;
    pthread_mutex_init(&s->lock, NULL);
    if (o->context) {
        if ((code = read_text(&text, &len, o->context)))
            return code;
        if (sa_read_input_take(&s->context, &s->context_batch, o->context,
                               sa_context_members, &text, len, &err))
            code = cli_fail(o->context, &err);
        free(text);
        if (code)
            return code;
    }
    if (o->weights) {
        if ((code = read_text(&text, &len, o->weights)))
            return code;
        if (sa_weights_load(&s->weights, o->weights, text, len, o->layer, &err))
            code = cli_fail(o->weights, &err);
        free(text);
        if (code)
            return code;
        s->have_weights = true;
        sa_convention c = s->weights.convention;
        if (o->layer >= 0 && c != SA_CONVENTION_GPT2 && c != SA_CONVENTION_BERT)
            return cli_usage_error("--layer is for GPT-2 and BERT checkpoints; "
                                   "%s has %s-convention weights",
                                   cli_display_name(o->weights),
                                   sa_convention_name(c));
    } else if (o->layer >= 0) {
        return cli_usage_error("--layer needs --weights (a GPT-2 or BERT checkpoint)");
    }
    if ((code = run_weights_settings(o, s->have_weights ? &s->weights : NULL,
                                     o->weights)))
        return code;
    if (o->mask && (code = read_text(&s->mask_text, &s->mask_len, o->mask)))
        return code;
    if (o->bias && (code = read_text(&s->bias_text, &s->bias_len, o->bias)))
        return code;
    if (o->dy && (code = read_text(&s->dy_text, &s->dy_len, o->dy)))
        return code;
    return 0;
}

void run_session_close(run_session *s)
{
    sa_matrix_free(&s->context);
    sa_weights_free(&s->weights);
    free(s->mask_text);
    free(s->bias_text);
    free(s->dy_text);
    if (s->o)
        pthread_mutex_destroy(&s->lock);
    memset(s, 0, sizeof *s);
}

void run_output_free(run_output *out)
{
    sa_result_free(&out->result);
    free(out->mask);
    free(out->bias);
    free(out->average);
    sa_grads_free(&out->grads);
    sa_tensor_set_free(&out->grad_tensors);
    sa_matrix_free(&out->dy);
    free(out->grad_average);
    memset(out, 0, sizeof *out);
}

/* Generates the weights for width d on first use. */
static sa_status ensure_weights(run_session *s, size_t d, size_t d_ctx,
                                sa_error *err)
{
    const run_options *o = s->o;
    if (s->have_weights)
        return SA_OK;
    size_t d_head = o->d_head;
    if (!d_head) {
        if (d % o->heads != 0) {
            char counts[256];
            sa_format_divisors(counts, sizeof counts, d, o->heads);
            return sa_fail(err, SA_ERR_USAGE, 0, 0, "--heads %zu does not "
                           "divide d_model %zu: use %s, or set --d-head",
                           o->heads, d, counts);
        }
        d_head = d / o->heads;
    }
    sa_status status = sa_weights_generate(&s->weights, d, d_ctx, o->heads,
                                           o->kv_heads, d_head, o->out_proj,
                                           o->seed, err);
    s->have_weights = status == SA_OK;
    return status;
}

/* Bytes of memory the system can still give, from /proc/meminfo's
 * MemAvailable (or free pages where that is missing). */
static double available_bytes(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    char line[128];
    unsigned long long kib;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %llu kB", &kib) == 1) {
            fclose(f);
            return (double)kib * 1024.0;
        }
    if (f)
        fclose(f);
    return (double)sysconf(_SC_AVPHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
}

/* The memory guard: printing weights (and steps) materialises H (n, m)
 * matrices (twice with steps, and grad's grad_steps three more, with three
 * of scratch) for each of the sequences (1 without a batch); fail at once,
 * rather than be killed later, when they cannot fit. */
static sa_status check_memory(const run_options *o, size_t batch, size_t n,
                              size_t m, sa_error *err)
{
    bool steps = o->print_steps, grad_steps = o->print_grad_steps;
    bool weights = o->print_weights || o->average_heads;
    double nm = (double)(batch ? batch : 1) * (double)n * (double)m;
    double need = ((steps ? 2.0 : weights ? 1.0 : 0.0) +
                   (grad_steps ? 3.0 : 0.0)) * (double)o->heads * nm * 4.0 +
                  (o->command == CLI_GRAD ? 3.0 * nm * 4.0 : 0.0);
    double have = available_bytes();
    if (need <= 0.9 * have)
        return SA_OK;
    char what[48];  // "weights", "weights and steps", "weights, steps and grad_steps"
    snprintf(what, sizeof what, "%s%s%s", steps ? "weights and steps" :
             weights ? "weights" : "", (steps || weights) &&
             grad_steps ? " and " : "", grad_steps ? "grad_steps" : "");
    if (steps && grad_steps)
        snprintf(what, sizeof what, "weights, steps and grad_steps");
    char sequences[48] = "";
    if (batch)
        snprintf(sequences, sizeof sequences, "%zu sequences of ", batch);
    return sa_fail(err, SA_ERR_DATA, 0, 0, "printing %s needs %.1f GiB for "
                   "%s%zu x %zu x %zu matrices but only %.1f GiB of memory are "
                   "available; drop %s from --print to stream the "
                   "attention in O(n) memory", what, need / 1073741824.0,
                   sequences, o->heads, n, m, have / 1073741824.0, what);
}

/* The weights for x with keys of width d_ctx: generated on first use,
 * then checked against the widths and heads. */
static sa_status sequence_weights(run_session *s, const sa_matrix *x,
                                  size_t d_ctx, const char **blame, sa_error *err)
{
    const run_options *o = s->o;
    pthread_mutex_lock(&s->lock);
    sa_status status = ensure_weights(s, x->cols, d_ctx, err);
    pthread_mutex_unlock(&s->lock);
    if (status)
        return status;
    if (!o->weights && s->weights.d_model != x->cols)
        return sa_fail(err, SA_ERR_DATA, 0, 0, "the input has %zu columns but "
                       "the weights were generated for %zu (the width of the "
                       "first sequence); give --weights, or use one width",
                       x->cols, s->weights.d_model);
    if (!o->weights && s->weights.d_kv_in != d_ctx)
        return sa_fail(err, SA_ERR_DATA, 0, 0, "the keys have %zu columns but "
                       "the weights were generated for %zu (the key width of "
                       "the first sequence); give --weights, or use one width",
                       d_ctx, s->weights.d_kv_in);
    status = sa_weights_check(&s->weights, x->cols, d_ctx, o->heads, o->kv_heads, err);
    if (status)
        *blame = status == SA_ERR_USAGE ? NULL : o->weights;
    return status;
}

/* A batch line's own mask (n, m) into out->mask, with the file's if
 * there is one: a key is seen only if both allow it. */
static sa_status line_mask(run_output *out, const sa_batch_line *line,
                           size_t n, size_t m, sa_error *err)
{
    if (line->mask_rows != n || line->mask_cols != m)
        return sa_fail(err, SA_ERR_DATA, 0, 0, "\"mask\" is %zu x %zu but must "
                       "be %zu x %zu (queries x keys)", line->mask_rows,
                       line->mask_cols, n, m);
    if (!out->mask && !(out->mask = malloc(n * m)))
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
    bool file = out->mask_from_file;
    for (size_t i = 0; i < n * m; i++)
        out->mask[i] = line->mask[i] && (!file || out->mask[i]);
    return SA_OK;
}

/* The mask (one for all, or *per_sequence) and bias for a batch of B
 * sequences (0: one; line: a batch line's, with its own mask) of n
 * queries and m keys, and the memory guard. */
static sa_status sequence_masks(run_output *out, bool *per_head,
                                bool *per_sequence, const run_session *s,
                                size_t batch, const sa_batch_line *line,
                                size_t n, size_t m, const char **blame,
                                sa_error *err)
{
    const run_options *o = s->o;
    sa_status status;
    if (o->mask && (status = sa_read_batch_mask(&out->mask, per_sequence, batch,
                                                n, m, o->mask, s->mask_text,
                                                s->mask_len, err))) {
        *blame = o->mask;
        return status;
    }
    out->mask_from_file = out->mask != NULL;
    if (line && line->mask && (status = line_mask(out, line, n, m, err)))
        return status;
    if (o->bias && (status = sa_read_bias(&out->bias, per_head, o->heads, n,
                                          m, o->bias, s->bias_text,
                                          s->bias_len, err))) {
        *blame = o->bias;
        return status;
    }
    // a picture's size is known before anything is computed
    double panels = (o->print_weights ? (o->head ? 1.0 : (double)o->heads) : 0.0) +
                    (o->average_heads ? 1.0 : 0.0);
    double cells = panels * (double)(batch ? batch : 1) * (double)n * (double)m;
    if (o->format == OUT_SVG && cells > SA_SVG_MAX_CELLS)
        return sa_fail(err, SA_ERR_USAGE, 0, 0, "-f svg would draw %.0f cells, "
                       "more than an SVG can hold (%d): use --average-heads, "
                       "fewer %s, or -f npy", cells, SA_SVG_MAX_CELLS,
                       batch ? "sequences or tokens" : "tokens");
    double page_cells = (o->print_weights || o->print_steps
                         ? (o->head ? 1.0 : (double)o->heads) : 1.0) * (double)n * (double)m;
    if (o->format == OUT_HTML && page_cells > SA_HTML_MAX_CELLS)
        return sa_fail(err, SA_ERR_USAGE, 0, 0, "-f html would draw %.0f cells, "
                       "more than a page can show (%d): use --head N, fewer "
                       "tokens, or -f npy", page_cells, SA_HTML_MAX_CELLS);
    if (o->print_weights || o->print_steps || o->average_heads ||
        o->print_grad_steps)
        return check_memory(o, batch, n, m, err);
    return SA_OK;
}

/* The library's configuration from the options: the defaults, changed. */
static sa_config sequence_config(const run_options *o, const run_output *out,
                                 bool per_head)
{
    sa_config c = sa_config_default();
    c.heads = o->heads;
    c.kv_heads = o->kv_heads;
    if (o->scale_set)  // else 0: 1/sqrt(dh), the library's default
        c.scale = o->scale;
    c.softcap = o->softcap;
    c.alibi = o->alibi;
    c.bias = out->bias;
    c.bias_per_head = per_head;
    c.causal = o->causal;
    c.window = o->window;
    c.mask = out->mask;
    c.masked_rows_nan = o->masked_rows_nan;
    c.rope = o->rope;
    c.rope_neox = o->rope_neox;
    c.rope_base = o->rope_base;
    c.pos_sinusoidal = o->pos_sinusoidal;
    c.keep_weights = o->print_weights || o->average_heads;
    c.keep_steps = o->print_steps;
    c.keep_grad_steps = o->print_grad_steps;
    c.threads = o->jobs > 1 ? 1 : o->threads;
    return c;
}

/* What the writers need to describe the run of n queries over m keys
 * (per sequence; keys: the input x, the context file or the line's
 * context). */
static sa_report sequence_report(const run_session *s, const run_output *out,
                                 const sa_matrix *x, const sa_matrix *keys,
                                 const sa_batch_line *line, size_t n, size_t m)
{
    const run_options *o = s->o;
    const sa_weights *w = &s->weights;
    bool checkpoint = w->convention == SA_CONVENTION_GPT2 ||
                      w->convention == SA_CONVENTION_BERT;
    return (sa_report){
        .n = n, .m = m, .d_model = x->cols, .d_context = keys->cols,
        .heads = o->heads, .kv_heads = o->kv_heads, .d_head = w->d_proj / o->heads,
        .d_out = w->d_out, .config = &out->config,
        .context_name = keys == x ? NULL : keys == &s->context
                        ? cli_display_name(o->context) : "line",
        .mask_name = o->mask ? cli_display_name(o->mask) : NULL,
        .mask_line = line && line->mask,
        .bias_name = o->bias ? cli_display_name(o->bias) : NULL,
        .weights_name = o->weights ? cli_display_name(o->weights) : NULL,
        .seed = o->seed, .convention = w->convention, .out_proj = w->wo != NULL,
        .layer = checkpoint ? (o->layer < 0 ? 0 : o->layer) : -1,
        .biases = w->bq || w->bk || w->bv || w->bo, .tokens = x->tokens,
        .key_tokens = keys != x ? keys->tokens : NULL,
        .print_output = o->print_output, .print_weights = o->print_weights,
        .print_steps = o->print_steps, .average_heads = o->average_heads,
        .print_input = o->print_input, .print_params = o->print_params,
        .input = x->data, .context = keys != x ? keys->data : NULL,
        .context_per_sequence = keys == &s->context && s->context_batch > 0,
        .params = w,
        .omit_config = o->no_config,
        .digits = (int)o->digits, .limits = o->limits, .result = &out->result,
        .average = out->average, .head = o->head,
        .grads = o->command == CLI_GRAD ? &out->grads : NULL,
        .grad_tensors = &out->grad_tensors,
        .dy_name = o->dy ? cli_display_name(o->dy) : NULL,
        .print_grads = o->print_grads, .print_grad_steps = o->print_grad_steps,
    };
}

/* The batches of the input (batch, 0 for one sequence) and of the
 * context must agree: a context per sequence needs as many sequences. */
static sa_status check_batches(const run_session *s, size_t batch,
                               const char **blame, sa_error *err)
{
    size_t contexts = s->context_batch;
    if (!contexts || contexts == batch)
        return SA_OK;
    *blame = s->o->context;
    if (!batch)
        return sa_fail(err, SA_ERR_DATA, 0, 0, "the context has %zu sequences "
                       "(a 3-D array) but the input is one: give an input of "
                       "%zu sequences (%zu x n x d), or a 2-D context",
                       contexts, contexts, contexts);
    return sa_fail(err, SA_ERR_DATA, 0, 0, "the context has %zu sequences but "
                   "the input %zu: give one context per sequence, or one 2-D "
                   "context for all", contexts, batch);
}

/* The attention of x over keys (x itself in self-attention): one
 * sequence, or a batch of B (mask per sequence or for all). */
static sa_status attend(run_output *out, const run_session *s, const sa_matrix *x,
                        const sa_matrix *keys, size_t batch, size_t n, size_t m,
                        bool per_sequence, sa_error *err)
{
    const float *ctx = keys != x ? keys->data : NULL;
    if (!batch)
        return sa_attention_forward(&out->result, x->data, n, x->cols, ctx, m,
                                    keys->cols, &s->weights, &out->config, err);
    sa_batch b = {.count = batch, .context_per_sequence = s->context_batch > 0,
                  .masks = per_sequence ? out->mask : NULL};
    return sa_attention_forward_batch(&out->result, x->data, n, x->cols, ctx, m,
                                      keys->cols, &b, &s->weights, &out->config,
                                      err);
}

/* What a run of n queries of x over m keys of width d_ctx does before it
 * attends (a batch of batch sequences, or one; line: a batch line's): the
 * weights, the mask and bias (*per_sequence: a mask per sequence), the
 * RoPE check, out->config.  On failure out is freed. */
static sa_status prepare(run_output *out, bool *per_sequence, run_session *s,
                         const sa_matrix *x, size_t d_ctx, size_t batch,
                         const sa_batch_line *line, size_t n, size_t m,
                         const char **blame, sa_error *err)
{
    const run_options *o = s->o;
    bool per_head = false;
    sa_status status;
    if ((status = sequence_weights(s, x, d_ctx, blame, err)) ||
        (status = sequence_masks(out, &per_head, per_sequence, s, batch, line,
                                 n, m, blame, err)))
        goto fail;
    size_t dh = s->weights.d_proj / o->heads;
    if (o->rope && dh % 2 != 0) {
        status = sa_fail(err, SA_ERR_USAGE, 0, 0, "--rope needs an even head "
                         "width, not %zu", dh);
        goto fail;
    }
    out->config = sequence_config(o, out, per_head);
    return SA_OK;
fail:
    run_output_free(out);
    return status;
}

sa_status run_sequences(run_output *out, run_session *s, const sa_matrix *x,
                        size_t batch, const sa_batch_line *line,
                        const char **blame, sa_error *err)
{
    const run_options *o = s->o;
    const sa_matrix *keys = line && line->context.data ? &line->context
                            : o->context ? &s->context : x;
    size_t sequences = batch ? batch : 1, n = x->rows / sequences;
    size_t m = keys != x ? keys->rows / (s->context_batch && keys == &s->context
                                         ? s->context_batch : 1) : n;
    bool per_sequence = false;
    sa_status status;

    memset(out, 0, sizeof *out);
    *blame = NULL;
    if (keys != x && keys != &s->context && o->causal)  // a line's context
        return sa_fail(err, SA_ERR_DATA, 0, 0, "--causal is for self-attention: "
                       "the line's \"context\" has no common order with its "
                       "queries");
    if (batch && o->command == CLI_GRAD) {
        *blame = o->input;
        return sa_fail(err, SA_ERR_DATA, 0, 0, "grad takes one sequence, not a "
                       "batch of %zu (a 3-D array): give it one n x d matrix",
                       batch);
    }
    if ((status = check_batches(s, batch, blame, err)) ||
        (status = prepare(out, &per_sequence, s, x, keys->cols, batch, line, n,
                          m, blame, err)))
        return status;
    if (per_sequence)  // each sequence's own, given to the batch
        out->config.mask = NULL;
    status = o->command == CLI_GRAD
             ? grad_sequence(out, s, x, keys, blame, err)
             : attend(out, s, x, keys, batch, n, m, per_sequence, err);
    if (status)
        goto fail;
    if (o->average_heads) {
        out->average = malloc(sequences * n * m * sizeof *out->average);
        if (!out->average) {
            status = sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
            goto fail;
        }
        for (size_t b = 0; b < sequences; b++)
            sa_average_heads(out->average + b * n * m, out->result.weights +
                             b * o->heads * n * m, o->heads, n, m);
    }
    out->report = sequence_report(s, out, x, keys, line, n, m);
    out->report.batch = batch;
    out->report.masks = per_sequence ? out->mask : NULL;
    memcpy(out->report.from_weights, o->from_weights, sizeof o->from_weights);
    return SA_OK;
fail:
    run_output_free(out);
    return status;
}

sa_status run_sequence(run_output *out, run_session *s, const sa_matrix *x,
                       const sa_batch_line *line, const char **blame,
                       sa_error *err)
{
    return run_sequences(out, s, x, 0, line, blame, err);
}

sa_status run_prepare(run_output *out, run_session *s, size_t n, size_t d,
                      size_t m, size_t d_ctx, const char **blame, sa_error *err)
{
    sa_matrix x = {.rows = n, .cols = d};
    bool per_sequence = false;
    memset(out, 0, sizeof *out);
    *blame = NULL;
    return prepare(out, &per_sequence, s, &x, d_ctx, 0, NULL, n, m, blame, err);
}

void run_report(run_output *out, const run_session *s, const sa_matrix *x)
{
    const run_options *o = s->o;
    const sa_matrix *keys = o->context ? &s->context : x;
    out->report = sequence_report(s, out, x, keys, NULL, out->result.n,
                                  out->result.m);
    memcpy(out->report.from_weights, o->from_weights, sizeof o->from_weights);
}

const char *run_batch_empty_rows_text(char *buf, size_t size,
                                      const sa_result *r, size_t batch, bool nan)
{
    char list[160] = "";
    size_t used = 0, shown = 0;
    for (; shown < r->n_empty_rows && used < sizeof list - 48; shown++) {
        size_t row = r->empty_rows[shown];
        used += (size_t)(batch ? snprintf(list + used, sizeof list - used,
                                          "%s[%zu, %zu]", shown ? ", " : "",
                                          row / r->n, row % r->n)
                               : snprintf(list + used, sizeof list - used, "%s%zu",
                                          shown ? ", " : "", row));
    }
    if (shown < r->n_empty_rows)
        snprintf(list + used, sizeof list - used, " and %zu more",
                 r->n_empty_rows - shown);
    bool many = r->n_empty_rows > 1;
    snprintf(buf, size, "query row%s %s (%scounting from 0) see%s no key after "
             "masking; %s weights and head outputs are %s", many ? "s" : "",
             list, batch ? "sequence and row, " : "", many ? "" : "s",
             many ? "their" : "its", nan ? "NaN" : "zero");
    return buf;
}

const char *run_empty_rows_text(char *buf, size_t size, const sa_result *r,
                                bool nan)
{
    return run_batch_empty_rows_text(buf, size, r, 0, nan);
}

sa_status run_write_maps(FILE *fp, out_format format, const sa_heatmaps *maps,
                         const sa_report *rep, sa_error *err)
{
    return format == OUT_SVG
        ? sa_write_svg(fp, maps, err)
        : sa_write_heatmap_text(fp, maps, !rep->color ? SA_COLORS_NONE
                                : rep->truecolor ? SA_COLORS_24BIT
                                : SA_COLORS_256, err);
}

sa_status run_write(FILE *fp, out_format format, const sa_report *rep,
                    sa_error *err)
{
    switch (format) {
    case OUT_TABLE: return sa_write_table(fp, rep, err);
    case OUT_CSV: return sa_write_csv(fp, rep, err);
    case OUT_NPY: return sa_write_npy_report(fp, rep, err);
    case OUT_NPZ: return sa_write_npz_report(fp, rep, err);
    case OUT_SVG:
    case OUT_HEATMAP: {
        sa_heatmaps maps;
        sa_panel *panels = calloc((rep->batch ? rep->batch : 1) * (rep->heads + 1),
                                  sizeof *panels);
        if (!panels)
            return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
        sa_report_heatmaps(&maps, panels, rep);
        sa_status status = run_write_maps(fp, format, &maps, rep, err);
        free(panels);
        return status;
    }
    case OUT_HTML: return sa_write_html_report(fp, rep, err);
    case OUT_JSON: break;
    }
    return sa_write_json(fp, rep, err);
}
