/* cmd_init.c — `selfattn init`: write generated weights as a JSON file that
 * `run --weights` reads back to the same numbers `run --seed` uses. */
#include <getopt.h>
#include <inttypes.h>
#include <string.h>

#include "cli.h"

enum { OPT_D_MODEL = 256, OPT_D_HEAD, OPT_SEED, OPT_OUT_PROJ, OPT_KV_HEADS,
       OPT_D_CONTEXT };

int cmd_init(int argc, char **argv)
{
    static const struct option longs[] = {
        {"d-model", required_argument, NULL, OPT_D_MODEL},
        {"heads", required_argument, NULL, 'H'},
        {"d-head", required_argument, NULL, OPT_D_HEAD},
        {"kv-heads", required_argument, NULL, OPT_KV_HEADS},
        {"d-context", required_argument, NULL, OPT_D_CONTEXT},
        {"seed", required_argument, NULL, OPT_SEED},
        {"out-proj", no_argument, NULL, OPT_OUT_PROJ},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    size_t d_model = 0, d_context = 0, heads = 1, kv_heads = 0, d_head = 0;
    uint64_t seed = 0;
    bool out_proj = false;
    const char *output = NULL;
    int c;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":H:o:h", longs, NULL)) != -1) {
        switch (c) {
        case OPT_D_MODEL:
            if (!cli_parse_size(&d_model, "--d-model", optarg, 1, 1 << 20))
                return EX_USAGE;
            break;
        case 'H':
            if (!cli_parse_size(&heads, "--heads", optarg, 1, 1 << 16))
                return EX_USAGE;
            break;
        case OPT_KV_HEADS:
            if (!cli_parse_size(&kv_heads, "--kv-heads", optarg, 1, 1 << 16))
                return EX_USAGE;
            break;
        case OPT_D_CONTEXT:
            if (!cli_parse_size(&d_context, "--d-context", optarg, 1, 1 << 20))
                return EX_USAGE;
            break;
        case OPT_D_HEAD:
            if (!cli_parse_size(&d_head, "--d-head", optarg, 1, 1 << 20))
                return EX_USAGE;
            break;
        case OPT_SEED:
            if (!cli_parse_u64(&seed, "--seed", optarg))
                return EX_USAGE;
            break;
        case OPT_OUT_PROJ: out_proj = true; break;
        case 'o':
            if (!cli_parse_output(&output, optarg))
                return EX_USAGE;
            break;
        case 'h':
            fputs(cli_usage, stdout);
            return cli_close_stdout();
        default:
            return cli_bad_option(c, argv);
        }
    }
    if (optind < argc)
        return cli_usage_error("init: unexpected argument '%s'", argv[optind]);
    if (!d_model)
        return cli_usage_error("init: --d-model is required");
    if (!kv_heads)
        kv_heads = heads;
    if (heads % kv_heads != 0)
        return cli_usage_error("--kv-heads %zu does not divide --heads %zu",
                               kv_heads, heads);
    if (!d_context)
        d_context = d_model;
    if (!d_head) {
        if (d_model % heads != 0)
            return cli_usage_error("--heads %zu does not divide --d-model %zu; "
                                   "set --d-head", heads, d_model);
        d_head = d_model / heads;
    }

    sa_weights w;
    sa_error err;
    if (sa_weights_generate(&w, d_model, d_context, heads, kv_heads, d_head,
                            out_proj, seed, &err))
        return cli_fail(NULL, &err);
    char config[320];
    snprintf(config, sizeof config,
             "{\"generator\": \"selfattn init\", \"seed\": %" PRIu64 ", "
             "\"d_model\": %zu, \"d_context\": %zu, \"heads\": %zu, "
             "\"kv_heads\": %zu, \"d_head\": %zu, \"out_proj\": %s}",
             seed, d_model, d_context, heads, kv_heads, d_head,
             out_proj ? "true" : "false");
    cli_output out;
    int code = cli_output_open(&out, output);
    if (code == 0) {
        if (sa_weights_write_json(out.fp, &w, config, &err)) {
            cli_output_abort(&out);
            code = cli_fail(output ? output : "<stdout>", &err);
        } else {
            code = cli_output_commit(&out);
        }
    }
    sa_weights_free(&w);
    return code ? code : cli_close_stdout();
}
