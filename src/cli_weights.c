/* cli_weights.c — the settings a weights file carries, under the command
 * line's: what `run` and `batch` take from the file's config, from a
 * config.json beside a GPT-2 or BERT checkpoint and from a checkpoint's
 * layout, and the checks that need the heads and causal settled. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_run.h"

/* Reads the config.json in the directory of the checkpoint at path (a
 * regular file; nothing if there is none) into w->config's heads.
 * Returns 0 or an exit code after the message. */
static int read_config_json(sa_weights *w, const char *path)
{
    if (strcmp(path, "-") == 0)
        return 0;
    const char *slash = strrchr(path, '/');
    size_t dir = slash ? (size_t)(slash - path) + 1 : 0;
    char *name = malloc(dir + sizeof "config.json");
    if (!name)
        return cli_error(EX_OSERR, "out of memory");
    memcpy(name, path, dir);
    strcpy(name + dir, "config.json");
    struct stat st;
    char *text;
    size_t len;
    sa_error err;
    int code = 0;
    if (stat(name, &st) == 0 && S_ISREG(st.st_mode)) {
        if (cli_read_file(&text, &len, name, &err)) {
            code = cli_fail(name, &err);
        } else {
            if (sa_weights_config_from_hf(w, text, len, &err))
                code = cli_fail(name, &err);
            free(text);
        }
    }
    free(name);
    return code;
}

/* Takes each setting of c the command line left open into o. */
static void take_settings(run_options *o, const sa_weights_config *c)
{
    const sa_source *from = c->from;
    bool take[SA_SET_COUNT] = {
        [SA_SET_HEADS] = !o->heads_set,
        [SA_SET_KV_HEADS] = !o->heads_set && !o->kv_heads_set,
        [SA_SET_SCALE] = !o->scale_set,
        [SA_SET_CAUSAL] = !o->causal_set,
        [SA_SET_WINDOW] = o->window < 0,
        [SA_SET_SOFTCAP] = o->softcap == 0,
        [SA_SET_ROPE] = !o->rope,
    };
    for (int k = 0; k < SA_SET_COUNT; k++)
        o->from_weights[k] = take[k] ? from[k] : SA_FROM_NONE;
    if (from[SA_SET_HEADS] && take[SA_SET_HEADS])
        o->heads = c->heads;
    if (!o->kv_heads_set)  // -H alone means as many key/value heads
        o->kv_heads = from[SA_SET_KV_HEADS] && take[SA_SET_KV_HEADS]
                          ? c->kv_heads : o->heads;
    if (from[SA_SET_SCALE] && take[SA_SET_SCALE]) {
        o->scale = c->scale;
        o->scale_set = true;
    }
    if (from[SA_SET_CAUSAL] && take[SA_SET_CAUSAL])
        o->causal = c->causal;
    if (from[SA_SET_WINDOW] && take[SA_SET_WINDOW])
        o->window = c->window;
    if (from[SA_SET_SOFTCAP] && take[SA_SET_SOFTCAP])
        o->softcap = c->softcap;
    if (from[SA_SET_ROPE] && take[SA_SET_ROPE]) {
        o->rope = c->rope;
        o->rope_neox = c->rope_neox;
        o->rope_base = c->rope_base;
    }
}

int run_weights_settings(run_options *o, sa_weights *w, const char *path)
{
    memset(o->from_weights, 0, sizeof o->from_weights);
    if (w) {
        sa_convention c = w->convention;
        bool checkpoint = c == SA_CONVENTION_GPT2 || c == SA_CONVENTION_BERT;
        int code;
        if (checkpoint && !o->heads_set &&
            w->config.from[SA_SET_HEADS] < SA_FROM_CONFIG_JSON &&
            (code = read_config_json(w, path)))
            return code;
        if (checkpoint && !o->heads_set && !w->config.from[SA_SET_HEADS])
            return cli_usage_error("%s: nothing says the heads of this %s "
                                   "checkpoint of width %zu (no config.json "
                                   "beside it gives them, and no known model "
                                   "has that width): give -H",
                                   cli_display_name(path), sa_convention_name(c),
                                   w->d_model);
        take_settings(o, &w->config);
    }
    if (o->head > o->heads && o->sweep.param != SWEEP_HEADS)  // else per value
        return cli_usage_error("--head %zu: the run has %zu head%s", o->head,
                               o->heads, o->heads == 1 ? "" : "s");
    if (o->context && o->causal)  // the command line's --causal was refused before
        return cli_usage_error("%s: %s causal, and queries and --context keys "
                               "have no common order: add --no-causal",
                               cli_display_name(path),
                               o->from_weights[SA_SET_CAUSAL] == SA_FROM_LAYOUT
                                   ? "a GPT-2 checkpoint is" : "its config says");
    return 0;
}
