/* cmd_plot.c — `selfattn plot FILE|-`: heatmaps (SVG or terminal) from a
 * saved JSON result of `run`. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cmd_plot(int argc, char **argv)
{
    static const struct option longs[] = {
        {"head", required_argument, NULL, 'H'},
        {"what", required_argument, NULL, 'W'},
        {"format", required_argument, NULL, 'f'},
        {"color", required_argument, NULL, 'C'},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    size_t head = 0;
    const char *what = NULL, *output = NULL;
    bool svg = true;
    cli_color color = CLI_COLOR_AUTO;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":H:f:o:h", longs, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(cli_usage, stdout);
            return cli_close_stdout();
        case 'H':
            if (!cli_parse_size(&head, "--head", optarg, 1, 1 << 16))
                return EX_USAGE;
            break;
        case 'W':
            if (strcmp(optarg, "weights") && strcmp(optarg, "scores") &&
                strcmp(optarg, "softmax"))
                return cli_usage_error("--what: '%s' is not one of weights, "
                                       "scores, softmax", optarg);
            what = optarg;
            break;
        case 'f':
            if (strcmp(optarg, "svg") && strcmp(optarg, "heatmap"))
                return cli_usage_error("--format: '%s' is not one of svg, "
                                       "heatmap (for plot)", optarg);
            svg = strcmp(optarg, "svg") == 0;
            break;
        case 'C':
            if (!cli_parse_color(&color, optarg))
                return EX_USAGE;
            break;
        case 'o':
            if (!cli_parse_output(&output, optarg))
                return EX_USAGE;
            break;
        default:
            return cli_bad_option(c, argv);
        }
    }
    if (optind + 1 != argc)
        return cli_usage_error("plot: one FILE expected (a JSON result of run, "
                               "or - for stdin)");
    const char *path = argv[optind];

    char *text;
    size_t len;
    sa_error err;
    sa_saved_result res;
    if (cli_read_file(&text, &len, path, &err))
        return cli_fail(path, &err);
    sa_status status = sa_read_result(&res, text, len, what, &err);
    free(text);
    if (status)
        return cli_fail(path, &err);
    if (head > res.heads) {
        size_t heads = res.heads;
        bool averaged = res.averaged;
        sa_saved_result_free(&res);
        return cli_usage_error("--head %zu: the result has %zu head%s%s", head,
                               heads, heads == 1 ? "" : "s",
                               averaged ? " (averaged)" : "");
    }

    // one panel per head, or just --head
    size_t first = head ? head - 1 : 0, count = head ? 1 : res.heads;
    sa_panel *panels = calloc(count, sizeof *panels);
    int code = 0;
    if (!panels) {
        sa_saved_result_free(&res);
        return cli_error(EX_OSERR, "out of memory");
    }
    size_t nm = res.rows * res.cols;
    for (size_t k = 0; k < count; k++) {
        panels[k] = (sa_panel){"", res.rows, res.cols, res.data + (first + k) * nm};
        if (res.averaged)
            snprintf(panels[k].title, sizeof panels[k].title,
                     "average of %zu heads", res.config_heads);
        else
            snprintf(panels[k].title, sizeof panels[k].title, "head %zu", first + k + 1);
    }
    sa_heatmaps maps = {panels, count, res.what, res.row_labels,
                        res.col_labels, res.causal, res.window, NULL};
    // the run's --mask file, named in its config, hatches its cells too
    unsigned char *mask = NULL;
    if (res.mask_name && strcmp(res.mask_name, "<stdin>") != 0) {
        char *mask_text;
        size_t mask_len;
        sa_error mask_err;
        if (cli_read_file(&mask_text, &mask_len, res.mask_name, &mask_err) ||
            sa_read_mask(&mask, res.rows, res.cols, res.mask_name, mask_text,
                         mask_len, &mask_err))
            cli_warn("%s: the mask file the result names (%s): %s; its masked "
                     "cells are drawn as weights", cli_display_name(path),
                     res.mask_name, mask_err.message);
        else
            maps.mask = mask;
        free(mask_text);
    }
    cli_output dest;
    if ((code = cli_output_open(&dest, output)) == 0) {
        status = svg ? sa_write_svg(dest.fp, &maps, &err)
                     : sa_write_heatmap_text(dest.fp, &maps,
                                             cli_use_color(color, dest.fp), &err);
        if (status) {
            cli_output_abort(&dest);
            code = cli_fail(status == SA_ERR_IO ? (output ? output : "<stdout>") : NULL, &err);
        } else if (!(code = cli_output_commit(&dest))) {
            code = cli_close_stdout();
        }
    }
    free(mask);
    free(panels);
    sa_saved_result_free(&res);
    return code;
}
