/* cmd_plot.c — `selfattn plot FILE|-`: heatmaps (SVG or terminal) from a
 * saved JSON result of `run`; `plot -f html FILE...`: the interactive page
 * of one or more results (one per layer). */
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
    }
    return false;
}

/* One panel per head of res, or just o->head, into panels (count). */
static void fill_panels(sa_panel *panels, size_t count, size_t first,
                        const sa_saved_result *res)
{
    size_t nm = res->rows * res->cols;
    for (size_t k = 0; k < count; k++) {
        panels[k] = (sa_panel){"", res->rows, res->cols, res->data + (first + k) * nm, NULL};
        if (res->averaged)
            snprintf(panels[k].title, sizeof panels[k].title,
                     "average of %zu heads", res->config_heads);
        else
            snprintf(panels[k].title, sizeof panels[k].title, "head %zu",
                     res->first_head + first + k + 1);
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

/* The page of the results files[0 .. count) (argv's operands), each a
 * layer with its mask (--mask, or --recorded-mask: each its own), after
 * checking that there is something to draw in each and that the page is
 * not too large.  Returns 0 or an exit code. */
static int write_page(char **files, size_t count, const plot_options *o)
{
    sa_html_layer *layers = calloc(count, sizeof *layers);
    unsigned char **masks = calloc(count, sizeof *masks);
    int code = layers && masks ? 0 : cli_error(EX_OSERR, "out of memory");
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
        layers[k] = (sa_html_layer){text, len, cli_display_name(files[k]), NULL, 0, 0};
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
                               "for stdin; several with -f html)");
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
    if (optind + 1 != argc)
        return cli_usage_error("plot: one FILE expected (a JSON result of run, "
                               "or - for stdin)");
    o.path = argv[optind];
    if (o.mask && strcmp(o.mask, "-") == 0 && strcmp(o.path, "-") == 0)
        return cli_usage_error("only one file can be - (standard input)");

    char *text;
    size_t len;
    sa_error err;
    sa_saved_result res;
    if (cli_read_file(&text, &len, o.path, &err))
        return cli_fail(o.path, &err);
    sa_status status = sa_read_result(&res, text, len, o.what, &err);
    free(text);
    if (status)
        return cli_fail(o.path, &err);
    if ((code = check_head(&o, &res))) {
        sa_saved_result_free(&res);
        return code;
    }
    size_t first = o.head ? o.head - 1 - res.first_head : 0;
    size_t count = o.head ? 1 : res.heads;
    sa_panel *panels = calloc(count, sizeof *panels);
    if (!panels) {
        sa_saved_result_free(&res);
        return cli_error(EX_OSERR, "out of memory");
    }
    fill_panels(panels, count, first, &res);
    unsigned char *mask;
    if (!(code = plot_mask(&mask, &o, &res))) {
        sa_heatmaps maps = {panels, count, res.what, res.row_labels,
                            res.col_labels, res.causal, res.window, mask,
                            o.limits, 0};
        code = draw(&maps, &o);
    }
    free(mask);
    free(panels);
    sa_saved_result_free(&res);
    return code;
}
