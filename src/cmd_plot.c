/* cmd_plot.c — `selfattn plot FILE...`: heatmaps (SVG or terminal) from
 * saved JSON results of `run`, several side by side on one colour scale;
 * `plot -f html FILE...`: the interactive page of one or more results
 * (one per layer). */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

/* What plot draws. */
typedef struct {
    size_t head;         /* 1-based, or 0 for every head */
    const char *what;    /* weights, average, scores, softmax, or NULL: the default */
    const char *output;  /* -o FILE, or NULL */
    const char *path;    /* the result file, or - */
    const char *mask;    /* --mask FILE, or NULL */
    bool recorded_mask;  /* --recorded-mask: the file the result names */
    bool svg;
    bool html;           /* -f html: every FILE a layer of one page */
    cli_color color;
    sa_color_limits limits;  /* --vmin, --vmax */
    const char *labels;      /* --labels A,B,...: the files' titles, or NULL */
} plot_options;

/* Handles one option; false after a usage error. */
static bool take_option(void *ctx, int c, const char *arg)
{
    static const char *const whats[] = {"weights", "average", "scores", "softmax", NULL};
    static const char *const formats[] = {"svg", "heatmap", "html", NULL};
    plot_options *o = ctx;
    int choice;
    switch (c) {
    case OPT_HEAD: return cli_parse_size(&o->head, "--head", arg, 1, CLI_MAX_HEADS);
    case OPT_WHAT:
        if (!cli_parse_choice(&choice, "--what", arg, whats))
            return false;
        o->what = whats[choice];
        return true;
    case 'f':
        if (!cli_parse_choice(&choice, "--format", arg, formats))
            return false;
        o->svg = choice == 0;
        o->html = choice == 2;
        return true;
    case OPT_COLOR: return cli_parse_color(&o->color, arg);
    case OPT_VMIN: case OPT_VMAX: return cli_parse_limit(&o->limits, c, arg);
    case 'o': return cli_parse_output(&o->output, arg);
    case OPT_MASK: o->mask = arg; return true;
    case OPT_RECORDED_MASK: o->recorded_mask = true; return true;
    case OPT_LABELS: o->labels = arg; return true;
    }
    return false;
}

/* One panel per head of res, or just o->head, into panels (count); with
 * a name (plot of several results), the panels are titled with it, and
 * carry run (res's labels and masking) and mask as their own. */
static void fill_panels(sa_panel *panels, size_t count, size_t first,
                        const sa_saved_result *res, const char *name,
                        const sa_panel_run *run, const unsigned char *mask)
{
    size_t nm = res->rows * res->cols;
    for (size_t k = 0; k < count; k++) {
        sa_panel *p = &panels[k];
        *p = (sa_panel){.rows = res->rows, .cols = res->cols,
                        .data = res->data + (first + k) * nm};
        char what[64];
        if (res->averaged)
            snprintf(what, sizeof what, "average of %zu heads", res->config_heads);
        else
            snprintf(what, sizeof what, "head %zu", res->first_head + first + k + 1);
        if (!name) {
            snprintf(p->title, sizeof p->title, "%s", what);
            continue;
        }
        if (count == 1)
            snprintf(p->title, sizeof p->title, "%s", name);
        else
            snprintf(p->title, sizeof p->title, "%.60s, %s", name, what);
        p->run = run;
        p->mask = mask;
        p->new_row = k == 0;
    }
}

/* --head against the heads the result holds (every head, the average, or
 * the one head of a run with --head): 0 or an exit code. */
static int check_head(const plot_options *o, const sa_saved_result *res)
{
    bool one = !res->averaged && res->heads < res->config_heads;
    if (!o->head || (one ? o->head == res->first_head + 1 : o->head <= res->heads))
        return 0;
    if (one)
        return cli_usage_error("--head %zu: the result holds head %zu only (it "
                               "was run with --head %zu)", o->head,
                               res->first_head + 1, res->first_head + 1);
    return cli_usage_error("--head %zu: the result has %zu head%s%s", o->head,
                           res->heads, res->heads == 1 ? "" : "s",
                           res->averaged ? " (averaged)" : "");
}

/* The mask whose cells are hatched: --mask FILE, or with --recorded-mask
 * the file the result's config names, which must be a regular file: a
 * result is data someone may send, and its paths are followed only when
 * asked.  Without either, a result computed with a mask gets a warning.
 * Returns 0 or an exit code. */
static int plot_mask(unsigned char **mask, const plot_options *o,
                     const sa_saved_result *res)
{
    *mask = NULL;
    const char *path = o->mask;
    if (o->recorded_mask && !o->mask) {
        if (!res->mask_name)
            return cli_usage_error("--recorded-mask: the result names no mask file");
        path = res->mask_name;
        if (strcmp(path, "<stdin>") == 0)
            return cli_usage_error("--recorded-mask: the result's mask was read "
                                   "from standard input; give --mask FILE");
        struct stat st;
        if (stat(path, &st) != 0)
            return cli_error(EX_NOINPUT, "%s: the mask file the result names: "
                             "cannot open: %s", path, strerror(errno));
        if (!S_ISREG(st.st_mode))
            return cli_error(EX_NOINPUT, "%s: the mask file the result names "
                             "is not a regular file", path);
    } else if (!path) {
        if (res->mask_name)
            cli_warn("%s was computed with a mask: give plot --mask FILE (or "
                     "--recorded-mask) to hatch its cells", cli_display_name(o->path));
        return 0;
    }
    char *text;
    size_t len;
    sa_error err;
    if (cli_read_file(&text, &len, path, &err))
        return cli_fail(path, &err);
    int code = 0;
    if (sa_read_mask(mask, res->rows, res->cols, path, text, len, &err))
        code = cli_fail(path, &err);
    free(text);
    return code;
}

/* Draws maps to o->output (or stdout); 0 or an exit code. */
static int draw(const sa_heatmaps *maps, const plot_options *o)
{
    cli_output dest;
    sa_error err;
    int code = cli_output_open(&dest, o->output);
    if (code)
        return code;
    sa_colors colors = !cli_use_color(o->color, dest.fp) ? SA_COLORS_NONE
                     : cli_truecolor() ? SA_COLORS_24BIT : SA_COLORS_256;
    sa_status status = o->svg
        ? sa_write_svg(dest.fp, maps, &err)
        : sa_write_heatmap_text(dest.fp, maps, colors, &err);
    if (status) {
        cli_output_abort(&dest);
        return cli_fail(status == SA_ERR_IO ? (o->output ? o->output : "<stdout>")
                                            : NULL, &err);
    }
    if ((code = cli_output_commit(&dest)))
        return code;
    return cli_close_stdout();
}

/* The results of plot -f svg|heatmap: one per FILE, with what each has
 * as its own in a picture of several. */
typedef struct {
    size_t count;
    sa_saved_result *results;   /* (count) */
    unsigned char **masks;      /* (count) each one's hatched mask, or NULL */
    sa_panel_run *runs;         /* (count) each one's labels and masking */
    char **names;               /* (count) the titles: --labels or the files */
    char *labels;               /* --labels' copy, cut at the commas */
} plot_inputs;

static void plot_inputs_free(plot_inputs *in)
{
    for (size_t k = 0; k < in->count; k++) {
        if (in->results)
            sa_saved_result_free(&in->results[k]);
        if (in->masks)
            free(in->masks[k]);
    }
    free(in->results);
    free(in->masks);
    free(in->runs);
    free(in->names);
    free(in->labels);
}

/* The titles of the count files: --labels cut at its commas, one
 * non-empty label per file, or the files' names.  Returns 0 or an exit
 * code. */
static int plot_names(plot_inputs *in, char **files, const char *labels)
{
    size_t count = in->count;
    for (size_t k = 0; !labels && k < count; k++)
        in->names[k] = (char *)cli_display_name(files[k]);
    if (!labels)
        return 0;
    if (!(in->labels = strdup(labels)))
        return cli_error(EX_OSERR, "out of memory");
    size_t k = 0;
    for (char *p = in->labels;; k++) {
        size_t len = strcspn(p, ",");
        if (len == 0)
            return cli_usage_error("--labels: label %zu is empty", k + 1);
        if (k < count)
            in->names[k] = p;
        if (!p[len])
            break;
        p[len] = '\0';
        p += len + 1;
    }
    if (k + 1 != count)
        return cli_usage_error("--labels: %zu label%s for %zu file%s: give one "
                               "per FILE", k + 1, k ? "s" : "", count,
                               count == 1 ? "" : "s");
    return 0;
}

/* The page of the results files[0 .. count) (argv's operands), each a
 * layer with its mask (--mask, or --recorded-mask: each its own), after
 * checking that there is something to draw in each and that the page is
 * not too large.  Returns 0 or an exit code. */
static int write_page(char **files, size_t count, const plot_options *o)
{
    sa_html_layer *layers = calloc(count, sizeof *layers);
    unsigned char **masks = calloc(count, sizeof *masks);
    plot_inputs in = {.count = count, .names = calloc(count, sizeof *in.names)};
    int code = layers && masks && in.names ? plot_names(&in, files, o->labels)
                                           : cli_error(EX_OSERR, "out of memory");
    double cells = 0;
    sa_error err;
    for (size_t k = 0; k < count && !code; k++) {
        plot_options one = *o;
        sa_saved_result res;
        char *text;
        size_t len;
        one.path = files[k];   // for plot_mask's warning
        if (cli_read_file(&text, &len, files[k], &err)) {
            code = cli_fail(files[k], &err);
            break;
        }
        layers[k] = (sa_html_layer){text, len, in.names[k], NULL, 0, 0};
        if (sa_read_result(&res, text, len, NULL, &err)) {
            code = cli_fail(files[k], &err);
            break;
        }
        cells += (double)res.heads * (double)res.rows * (double)res.cols;
        code = plot_mask(&masks[k], &one, &res);
        layers[k].mask = masks[k];
        layers[k].rows = res.rows;
        layers[k].cols = res.cols;
        sa_saved_result_free(&res);
    }
    if (!code && cells > SA_HTML_MAX_CELLS)
        code = cli_usage_error("the results have %.0f cells, too many for a "
                               "page (at most %d): run with --head N or fewer "
                               "tokens, or give fewer results", cells,
                               SA_HTML_MAX_CELLS);
    cli_output dest;
    if (!code && !(code = cli_output_open(&dest, o->output))) {
        if (sa_write_html(dest.fp, layers, count, &o->limits, &err)) {
            cli_output_abort(&dest);
            code = cli_fail(o->output ? o->output : "<stdout>", &err);
        } else if (!(code = cli_output_commit(&dest))) {
            code = cli_close_stdout();
        }
    }
    for (size_t k = 0; layers && masks && k < count; k++) {
        free((char *)layers[k].json);
        free(masks[k]);
    }
    free(layers);
    free(masks);
    plot_inputs_free(&in);
    return code;
}

/* plot -f html FILE...: its own checks, then the page. */
static int plot_page(int argc, char **argv, const plot_options *o)
{
    if (o->head || o->what)
        return cli_usage_error("plot -f html shows every head and step of the "
                               "results: %s is for -f svg and -f heatmap",
                               o->head ? "--head" : "--what");
    if (optind == argc)
        return cli_usage_error("plot: FILE expected (a JSON result of run, or - "
                               "for stdin; several side by side)");
    int from_stdin = o->mask && strcmp(o->mask, "-") == 0;
    for (int k = optind; k < argc; k++)
        from_stdin += strcmp(argv[k], "-") == 0;
    if (from_stdin > 1)
        return cli_usage_error("only one file can be - (standard input)");
    if (o->mask && strcmp(o->mask, "-") == 0 && argc - optind > 1)
        return cli_usage_error("--mask -: standard input is read once, and "
                               "every result needs the mask: give it as a file");
    return write_page(argv + optind, (size_t)(argc - optind), o);
}

/* Reads files[0 .. in->count) into in with what o draws of each: --head
 * and --what checked, their masks, and one thing drawn by all.  Returns 0
 * or an exit code. */
static int read_inputs(plot_inputs *in, char **files, const plot_options *o)
{
    size_t count = in->count;
    in->results = calloc(count, sizeof *in->results);
    in->masks = calloc(count, sizeof *in->masks);
    in->runs = calloc(count, sizeof *in->runs);
    in->names = calloc(count, sizeof *in->names);
    if (!in->results || !in->masks || !in->runs || !in->names)
        return cli_error(EX_OSERR, "out of memory");
    int code = plot_names(in, files, o->labels);
    for (size_t k = 0; k < count && !code; k++) {
        plot_options one = *o;
        sa_saved_result *res = &in->results[k];
        char *text;
        size_t len;
        sa_error err;
        one.path = files[k];
        if (cli_read_file(&text, &len, files[k], &err))
            return cli_fail(files[k], &err);
        sa_status status = sa_read_result(res, text, len, o->what, &err);
        free(text);
        if (status)
            return cli_fail(files[k], &err);
        if (strcmp(res->what, in->results[0].what) != 0)
            return cli_usage_error("%s holds %s but %s %s, which a colour scale "
                                   "cannot share: give --what",
                                   cli_display_name(files[k]), res->what,
                                   cli_display_name(files[0]), in->results[0].what);
        if ((code = check_head(&one, res)) ||
            (code = plot_mask(&in->masks[k], &one, res)))
            return code;
        in->runs[k] = (sa_panel_run){res->row_labels, res->col_labels,
                                     res->causal, res->window};
    }
    return code;
}

/* Draws the results of files[0 .. count): one file as before, several
 * side by side (a row of panels each, or one row of their single panels)
 * on one colour scale.  Returns 0 or an exit code. */
static int plot_pictures(char **files, size_t count, const plot_options *o)
{
    plot_inputs in = {.count = count};
    sa_panel *panels = NULL;
    int code = read_inputs(&in, files, o);
    size_t total = 0, most = 0;
    for (size_t k = 0; k < count && !code; k++) {
        size_t heads = o->head ? 1 : in.results[k].heads;
        total += heads;
        most = heads > most ? heads : most;
    }
    if (!code && !(panels = calloc(total, sizeof *panels)))
        code = cli_error(EX_OSERR, "out of memory");
    if (!code) {
        const sa_saved_result *first = &in.results[0];
        size_t k = 0;
        for (size_t f = 0; f < count; f++) {
            const sa_saved_result *res = &in.results[f];
            size_t heads = o->head ? 1 : res->heads;
            fill_panels(panels + k, heads, o->head ? o->head - 1 - res->first_head : 0,
                        res, count > 1 ? in.names[f] : NULL, &in.runs[f],
                        in.masks[f]);
            panels[k].new_row = count > 1 && most > 1;
            k += heads;
        }
        sa_heatmaps maps = {panels, total, first->what, first->row_labels,
                            first->col_labels, first->causal, first->window,
                            count == 1 ? in.masks[0] : NULL, o->limits, 0};
        // several files: a row each, or their single panels in one row
        if (count > 1)
            maps.columns = most > 1 ? most : count <= 6 ? count : 0;
        code = draw(&maps, o);
    }
    free(panels);
    plot_inputs_free(&in);
    return code;
}

int cmd_plot(int argc, char **argv)
{
    plot_options o = {.svg = true, .color = CLI_COLOR_AUTO};
    int code = cli_parse_command(argc, argv, CLI_PLOT, take_option, &o);
    if (code)
        return code == -1 ? cli_help() : code;
    if ((code = cli_check_limits(&o.limits)))
        return code;
    if (o.html)
        return plot_page(argc, argv, &o);
    if (optind == argc)
        return cli_usage_error("plot: FILE expected (a JSON result of run, or - "
                               "for stdin; several side by side)");
    int from_stdin = o.mask && strcmp(o.mask, "-") == 0;
    for (int k = optind; k < argc; k++)
        from_stdin += strcmp(argv[k], "-") == 0;
    if (from_stdin > 1)
        return cli_usage_error("only one file can be - (standard input)");
    if (o.mask && strcmp(o.mask, "-") == 0 && argc - optind > 1)
        return cli_usage_error("--mask -: standard input is read once, and "
                               "every result needs the mask: give it as a file");
    o.path = argv[optind];
    return plot_pictures(argv + optind, (size_t)(argc - optind), &o);
}
