/* cli_sweep.c — `run --sweep P=V,...`: one input run once per value of a
 * parameter (scale, heads, softcap or window), and the runs printed or
 * drawn together: JSON as an array of documents, tables and CSV as blocks
 * under the value, NumPy arrays named after it in one .npz, pictures as
 * panels on one colour scale, the page with a layer per value. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_run.h"
#include "format.h"

static const char *const params[] = {"scale", "heads", "softcap", "window"};

/* What the command line says of the parameter the sweep sets. */
static bool param_given(const run_options *o)
{
    switch (o->sweep.param) {
    case SWEEP_SCALE: return o->scale_set;
    case SWEEP_HEADS: return o->heads_set;
    case SWEEP_SOFTCAP: return o->softcap != 0;
    case SWEEP_WINDOW: return o->window >= 0;
    case SWEEP_NONE: break;
    }
    return false;
}

/* Value k (from 0) of the sweep, text (NUL-terminated), as its option
 * would take it.  Returns false after a usage error naming it. */
static bool parse_value(run_sweep *w, size_t k, const char *text)
{
    const char *param = params[w->param - 1];
    char option[64];
    snprintf(option, sizeof option, "--sweep %s, value %zu", param, k + 1);
    size_t size;
    switch (w->param) {
    case SWEEP_SCALE:
    case SWEEP_SOFTCAP:
        if (!cli_parse_float(&w->floats[k], option, text))
            return false;
        if (w->param == SWEEP_SCALE && w->floats[k] == 0.0f) {
            cli_usage_error("%s: '%s' makes every score 0", option, text);
            return false;
        }
        if (w->param == SWEEP_SOFTCAP && w->floats[k] <= 0.0f) {
            cli_usage_error("%s: '%s' must be positive", option, text);
            return false;
        }
        sa_format_float(w->texts[k], w->floats[k]);
        return true;
    case SWEEP_HEADS:
    case SWEEP_WINDOW:
        if (!cli_parse_size(&size, option, text, w->param == SWEEP_HEADS ? 1 : 0,
                            w->param == SWEEP_HEADS ? CLI_MAX_HEADS : LONG_MAX))
            return false;
        w->ints[k] = (long)size;
        snprintf(w->texts[k], sizeof w->texts[k], "%ld", w->ints[k]);
        return true;
    case SWEEP_NONE: break;
    }
    return false;
}

/* The values after "P=" in list: one or more, comma-separated. */
static int parse_values(run_sweep *w, const char *list)
{
    const char *param = params[w->param - 1];
    const char *p = list;
    for (size_t k = 0;; k++) {
        size_t len = strcspn(p, ",");
        char text[64];
        if (len == 0)
            return cli_usage_error("--sweep %s: value %zu is empty (give values "
                                   "separated by commas: %s=A,B,...)", param,
                                   k + 1, param);
        if (k == CLI_MAX_SWEEP)
            return cli_usage_error("--sweep %s: more than %d values", param,
                                   CLI_MAX_SWEEP);
        snprintf(text, sizeof text, "%.*s", (int)(len < 63 ? len : 63), p);
        if (len > 63 || !parse_value(w, k, text)) {
            if (len > 63)
                cli_usage_error("--sweep %s, value %zu: '%.20s...' is too long",
                                param, k + 1, p);
            return EX_USAGE;
        }
        w->count = k + 1;
        if (!p[len])
            return 0;
        p += len + 1;
    }
}

int run_parse_sweep(run_options *o)
{
    const char *spec = o->sweep_spec, *eq = strchr(spec, '=');
    run_sweep *w = &o->sweep;
    memset(w, 0, sizeof *w);
    size_t len = eq ? (size_t)(eq - spec) : strlen(spec);
    for (int k = 0; k < 4; k++)
        if (strlen(params[k]) == len && strncmp(spec, params[k], len) == 0)
            w->param = (sweep_param)(k + 1);
    if (!w->param) {
        char text[512];
        cli_choice_message(text, sizeof text, "--sweep", spec, len, params, 4);
        return cli_usage_error("%s (the parameter before '=')", text);
    }
    const char *param = params[w->param - 1];
    if (!eq || !eq[1])
        return cli_usage_error("--sweep %s: no values (give them after '=', "
                               "e.g. %s=%s)", param, param,
                               w->param == SWEEP_WINDOW ? "0,1,2" :
                               w->param == SWEEP_HEADS ? "1,2,4" : "0.5,1,2");
    int code = parse_values(w, eq + 1);
    if (code)
        return code;
    for (size_t k = 0; w->param == SWEEP_HEADS && k < w->count; k++) {
        size_t heads = (size_t)w->ints[k];
        if (o->head > heads)
            return cli_usage_error("--head %zu: the run with heads = %zu has "
                                   "%zu head%s", o->head, heads, heads,
                                   heads == 1 ? "" : "s");
        if (o->kv_heads_set && heads % o->kv_heads != 0)
            return cli_usage_error("--sweep heads, value %zu: --kv-heads %zu "
                                   "does not divide %zu", k + 1, o->kv_heads,
                                   heads);
    }
    if (param_given(o))
        return cli_usage_error("--sweep %s and --%s both set the %s: leave "
                               "one out", param, param, param);
    if (o->format == OUT_NPY)
        return cli_usage_error("--format npy writes one array, and --sweep "
                               "makes one per value: use npz");
    if (o->stats)
        return cli_usage_error("--stats times one run: leave it out with --sweep");
    return 0;
}

/* o with value k of its sweep, as if given on the command line (the
 * weights' config does not set it). */
static void sweep_options(run_options *one, const run_options *o, size_t k)
{
    const run_sweep *w = &o->sweep;
    *one = *o;
    switch (w->param) {
    case SWEEP_SCALE:
        one->scale = w->floats[k];
        one->scale_set = true;
        one->from_weights[SA_SET_SCALE] = SA_FROM_NONE;
        break;
    case SWEEP_SOFTCAP:
        one->softcap = w->floats[k];
        one->from_weights[SA_SET_SOFTCAP] = SA_FROM_NONE;
        break;
    case SWEEP_WINDOW:
        one->window = w->ints[k];
        one->from_weights[SA_SET_WINDOW] = SA_FROM_NONE;
        break;
    case SWEEP_HEADS:
        one->heads = (size_t)w->ints[k];
        one->heads_set = true;
        if (!o->kv_heads_set)
            one->kv_heads = one->heads;
        one->from_weights[SA_SET_HEADS] = SA_FROM_NONE;
        one->from_weights[SA_SET_KV_HEADS] = SA_FROM_NONE;
        break;
    case SWEEP_NONE: break;
    }
}

/* Runs x once per value into outs (o->sweep.count), each with its options
 * in opts; 0 or an exit code after the message. */
static int sweep_runs(run_output *outs, run_options *opts, run_session *s,
                      const sa_matrix *x, size_t batch)
{
    const run_options *o = s->o;
    const run_sweep *w = &o->sweep;
    int code = 0;
    for (size_t k = 0; k < w->count && !code; k++) {
        const char *blame;
        sa_error err;
        char empty[256];
        sweep_options(&opts[k], o, k);
        if (w->param == SWEEP_HEADS && !o->weights) {
            sa_weights_free(&s->weights);  // generated again for these heads
            s->have_weights = false;
        }
        s->o = &opts[k];
        if (run_sequences(&outs[k], s, x, batch, NULL, &blame, &err)) {
            char message[sizeof err.message];  // which value failed
            snprintf(message, sizeof message, "with %s = %s: %.400s",
                     params[w->param - 1], w->texts[k], err.message);
            memcpy(err.message, message, sizeof message);
            code = cli_fail(blame, &err);
        } else if (outs[k].result.n_empty_rows) {
            cli_warn("%s = %s: %s", params[w->param - 1], w->texts[k],
                     run_batch_empty_rows_text(empty, sizeof empty,
                                               &outs[k].result, batch,
                                               o->masked_rows_nan));
        }
        s->o = o;
    }
    return code;
}

/* The panels of every run on one scale, titled "scale = 0.125" (and the
 * head, when a run has several panels): a row per value, or their single
 * panels in one row. */
static sa_status write_pictures(FILE *fp, const run_options *o,
                                const run_output *outs, sa_error *err)
{
    const run_sweep *w = &o->sweep;
    size_t total = 0, most = 0;
    for (size_t k = 0; k < w->count; k++) {
        const sa_report *r = &outs[k].report;
        size_t room = (r->batch ? r->batch : 1) * (r->heads + 1);
        total += room;
        most = room > most ? room : most;
    }
    sa_panel *panels = calloc(total, sizeof *panels), *one = calloc(most, sizeof *one);
    sa_panel_run *runs = calloc(w->count, sizeof *runs);
    sa_status status = SA_OK;
    if (!panels || !one || !runs) {
        status = sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
        goto done;
    }
    sa_heatmaps maps, each;
    size_t count = 0, widest = 0;
    for (size_t k = 0; k < w->count; k++) {
        const sa_report *r = &outs[k].report;
        sa_report_heatmaps(&each, one, r);
        runs[k] = (sa_panel_run){each.row_labels, each.col_labels, each.causal,
                                 each.window};
        for (size_t p = 0; p < each.count; p++) {
            sa_panel *to = &panels[count + p];
            *to = one[p];
            if (each.count == 1 && strcmp(one[p].title, "head 1") == 0)
                snprintf(to->title, sizeof to->title, "%s = %s",
                         params[w->param - 1], w->texts[k]);
            else
                snprintf(to->title, sizeof to->title, "%s = %s, %s",
                         params[w->param - 1], w->texts[k], one[p].title);
            to->run = &runs[k];
            to->mask = one[p].mask ? one[p].mask : each.mask;
            to->new_row = p == 0;
        }
        count += each.count;
        widest = each.count > widest ? each.count : widest;
    }
    maps = each;
    maps.panels = panels;
    maps.count = count;
    maps.mask = NULL;
    maps.columns = widest > 1 ? widest : w->count <= 6 ? w->count : 0;
    for (size_t p = 0; widest == 1 && p < count; p++)
        panels[p].new_row = false;
    status = run_write_maps(fp, o->format, &maps, &outs[0].report, err);
done:
    free(panels);
    free(one);
    free(runs);
    return status;
}

/* The page: a layer per value, named "scale = 0.125". */
static sa_status write_page(FILE *fp, const run_options *o,
                            const run_output *outs, sa_error *err)
{
    const run_sweep *w = &o->sweep;
    sa_html_layer layers[CLI_MAX_SWEEP];
    char names[CLI_MAX_SWEEP][48];
    char *docs[CLI_MAX_SWEEP] = {NULL};
    sa_status status = SA_OK;
    double cells = 0;
    for (size_t k = 0; k < w->count && !status; k++) {
        const sa_report *r = &outs[k].report;
        size_t heads = r->head ? 1 : r->heads, len;
        cells += (r->print_weights || r->print_steps ? (double)heads : 1.0) *
                 (double)r->n * (double)r->m;
        FILE *mem = open_memstream(&docs[k], &len);
        if (!mem)
            return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
        status = sa_write_json(mem, r, err);
        if (fclose(mem) && !status)
            status = sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
        snprintf(names[k], sizeof names[k], "%s = %s", params[w->param - 1],
                 w->texts[k]);
        layers[k] = (sa_html_layer){docs[k], len, names[k], r->config->mask,
                                    r->n, r->m};
    }
    if (!status && cells > SA_HTML_MAX_CELLS)
        status = sa_fail(err, SA_ERR_USAGE, 0, 0, "the %zu runs have %.0f cells, "
                         "too many for a page (at most %d): use --head N, "
                         "fewer tokens or fewer values", w->count, cells,
                         SA_HTML_MAX_CELLS);
    if (!status)
        status = sa_write_html(fp, layers, w->count, &o->limits, err);
    for (size_t k = 0; k < w->count; k++)
        free(docs[k]);
    return status;
}

/* The reports' arrays in one .npz, each named after its value:
 * "scale=0.125/weights". */
static sa_status write_npz(FILE *fp, const run_options *o,
                           const run_output *outs, sa_error *err)
{
    const run_sweep *w = &o->sweep;
    const sa_report *reports[CLI_MAX_SWEEP];
    char prefixes[CLI_MAX_SWEEP][48];
    const char *names[CLI_MAX_SWEEP];
    for (size_t k = 0; k < w->count; k++) {
        reports[k] = &outs[k].report;
        snprintf(prefixes[k], sizeof prefixes[k], "%s=%s", params[w->param - 1],
                 w->texts[k]);
        names[k] = prefixes[k];
    }
    return sa_write_npz_reports(fp, reports, names, w->count, err);
}

/* The runs in o's format to fp: see the file's comment. */
static sa_status write_runs(FILE *fp, const run_options *o,
                            const run_output *outs, sa_error *err)
{
    const run_sweep *w = &o->sweep;
    switch (o->format) {
    case OUT_SVG: case OUT_HEATMAP: return write_pictures(fp, o, outs, err);
    case OUT_HTML: return write_page(fp, o, outs, err);
    case OUT_NPZ: return write_npz(fp, o, outs, err);
    default: break;
    }
    sa_status status = SA_OK;
    bool color = outs[0].report.color;
    if (o->format == OUT_JSON)
        fputs("[\n", fp);
    for (size_t k = 0; k < w->count && !status; k++) {
        const char *param = params[w->param - 1];
        if (o->format == OUT_JSON && k > 0)
            fputs(",\n", fp);
        else if (o->format == OUT_CSV)
            fprintf(fp, "# %s = %s\n", param, w->texts[k]);
        else if (o->format == OUT_TABLE)
            fprintf(fp, "%s%s%s = %s%s\n\n", k ? "\n" : "", color ? "\x1b[1m" : "",
                    param, w->texts[k], color ? "\x1b[0m" : "");
        status = run_write(fp, o->format, &outs[k].report, err);
    }
    if (!status && o->format == OUT_JSON)
        fputs("]\n", fp);
    if (!status && ferror(fp))
        status = sa_fail(err, SA_ERR_IO, 0, 0, "write error");
    return status;
}

int run_sweep_main(run_session *s, const sa_matrix *x, size_t batch)
{
    const run_options *o = s->o;
    size_t count = o->sweep.count;
    run_output *outs = calloc(count, sizeof *outs);
    run_options *opts = calloc(count, sizeof *opts);
    int code = outs && opts ? sweep_runs(outs, opts, s, x, batch)
                            : cli_error(EX_OSERR, "out of memory");
    cli_output dest;
    sa_error err;
    if (!code && !(code = cli_output_open(&dest, o->output))) {
        bool binary = o->format == OUT_NPZ;
        if (binary && isatty(fileno(dest.fp))) {
            cli_output_abort(&dest);
            code = cli_usage_error("--format npz is binary: not to a terminal");
        } else {
            for (size_t k = 0; k < count; k++) {
                outs[k].report.color = cli_use_color(o->color, dest.fp);
                outs[k].report.truecolor = cli_truecolor();
            }
            if (write_runs(dest.fp, o, outs, &err)) {
                cli_output_abort(&dest);
                code = cli_fail(err.status == SA_ERR_IO
                                ? (o->output ? o->output : "<stdout>") : NULL, &err);
            } else if (!(code = cli_output_commit(&dest))) {
                code = cli_close_stdout();
            }
        }
    }
    for (size_t k = 0; outs && k < count; k++)
        run_output_free(&outs[k]);
    free(outs);
    free(opts);
    return code;
}
