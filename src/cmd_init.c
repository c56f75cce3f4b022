/* cmd_init.c — `selfattn init`: write generated weights as a JSON file that
 * `run --weights` reads back to the same numbers `run --seed` uses. */
#include <getopt.h>
#include <inttypes.h>
#include <string.h>

#include "cli.h"
#include "format.h"

/* What init generates. */
typedef struct {
    size_t d_model, d_context, heads, kv_heads, d_head;
    uint64_t seed;
    bool out_proj;
    const char *output;
} init_options;

/* Handles one option; false after a usage error. */
static bool take_option(void *ctx, int c, const char *arg)
{
    init_options *o = ctx;
    switch (c) {
    case OPT_D_MODEL:
        return cli_parse_size(&o->d_model, "--d-model", arg, 1, CLI_MAX_WIDTH);
    case 'H': return cli_parse_size(&o->heads, "--heads", arg, 1, CLI_MAX_HEADS);
    case OPT_KV_HEADS:
        return cli_parse_size(&o->kv_heads, "--kv-heads", arg, 1, CLI_MAX_HEADS);
    case OPT_D_CONTEXT:
        return cli_parse_size(&o->d_context, "--d-context", arg, 1, CLI_MAX_WIDTH);
    case OPT_D_HEAD:
        return cli_parse_size(&o->d_head, "--d-head", arg, 1, CLI_MAX_WIDTH);
    case OPT_SEED: return cli_parse_u64(&o->seed, "--seed", arg);
    case OPT_OUT_PROJ: o->out_proj = true; return true;
    case 'o': return cli_parse_output(&o->output, arg);
    }
    return false;
}

/* Fills o from argv; 0, -1 for --help, or an exit code after the message. */
static int parse_options(init_options *o, int argc, char **argv)
{
    *o = (init_options){.heads = 1};
    int code = cli_parse_command(argc, argv, CLI_INIT, take_option, o);
    if (code)
        return code;
    if (optind < argc)
        return cli_usage_error("init: unexpected argument '%s'", argv[optind]);
    if (!o->d_model)
        return cli_usage_error("init: --d-model is required");
    if (!o->kv_heads)
        o->kv_heads = o->heads;
    char counts[256];  /* what would work */
    if (o->heads % o->kv_heads != 0) {
        sa_format_divisors(counts, sizeof counts, o->heads, o->kv_heads);
        return cli_usage_error("--kv-heads %zu does not divide --heads %zu: "
                               "use %s", o->kv_heads, o->heads, counts);
    }
    if (!o->d_context)
        o->d_context = o->d_model;
    if (!o->d_head) {
        if (o->d_model % o->heads != 0) {
            sa_format_divisors(counts, sizeof counts, o->d_model, o->heads);
            return cli_usage_error("--heads %zu does not divide --d-model %zu: "
                                   "use %s, or set --d-head", o->heads,
                                   o->d_model, counts);
        }
        o->d_head = o->d_model / o->heads;
    }
    return 0;
}

int cmd_init(int argc, char **argv)
{
    init_options o;
    int code = parse_options(&o, argc, argv);
    if (code)
        return code == -1 ? cli_help() : code;

    sa_weights w;
    sa_error err;
    if (sa_weights_generate(&w, o.d_model, o.d_context, o.heads, o.kv_heads,
                            o.d_head, o.out_proj, o.seed, &err))
        return cli_fail(NULL, &err);
    char config[320];
    snprintf(config, sizeof config,
             "{\"generator\": \"selfattn init\", \"seed\": %" PRIu64 ", "
             "\"d_model\": %zu, \"d_context\": %zu, \"heads\": %zu, "
             "\"kv_heads\": %zu, \"d_head\": %zu, \"out_proj\": %s}",
             o.seed, o.d_model, o.d_context, o.heads, o.kv_heads, o.d_head,
             o.out_proj ? "true" : "false");
    cli_output out;
    code = cli_output_open(&out, o.output);
    if (code == 0) {
        if (sa_weights_write_json(out.fp, &w, config, &err)) {
            cli_output_abort(&out);
            code = cli_fail(o.output ? o.output : "<stdout>", &err);
        } else {
            code = cli_output_commit(&out);
        }
    }
    sa_weights_free(&w);
    return code ? code : cli_close_stdout();
}
