/* weights_config.c — what a weights file says about running it: its own
 * config (JSON weights' "config" key, a safetensors file's __metadata__
 * entry "selfattn.config"), a Hugging Face config.json beside a checkpoint,
 * and the checks of either against the shapes of the weights.
 * Legend: d = model width, d_ctx = key/value input width, P = H * dh query
 * width, Pkv = G * dh key/value width. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "json_util.h"
#include "weights_internal.h"

#define MAX_HEADS 65536        /* as --heads */
#define MAX_WIDTH (1 << 20)    /* as --d-model */

const char *sa_source_name(sa_source from)
{
    static const char *const names[] = {NULL, "layout", "config.json", "config"};
    return names[from];
}

const char *sa_setting_name(sa_setting setting)
{
    static const char *const names[] = {"heads", "kv_heads", "scale", "causal",
                                        "window", "softcap", "rope"};
    return names[setting];
}

/* *out = the integer item from min to max; false if it is not one. */
static bool json_size(size_t *out, const cJSON *item, double min, double max)
{
    if (!cJSON_IsNumber(item) || item->valuedouble != floor(item->valuedouble) ||
        item->valuedouble < min || item->valuedouble > max)
        return false;
    *out = (size_t)item->valuedouble;
    return true;
}

/* *out = the number item as a finite float32 greater than above (or any
 * with above = -INFINITY); false if it is not one. */
static bool json_float(float *out, const cJSON *item, float above)
{
    if (!cJSON_IsNumber(item) || !(fabs(item->valuedouble) <= 3.4028234663852886e38))
        return false;
    *out = (float)item->valuedouble;
    return *out > above;
}

/* config.rope: false, true (base 10000, roformer) or {"base": B > 1,
 * "style": "roformer" or "neox"}, either member optional. */
static bool json_rope(sa_weights_config *c, const cJSON *item)
{
    c->rope_base = 10000.0f;
    c->rope_neox = false;
    if (cJSON_IsBool(item)) {
        c->rope = cJSON_IsTrue(item);
        return true;
    }
    if (!cJSON_IsObject(item))
        return false;
    const cJSON *base = cJSON_GetObjectItemCaseSensitive(item, "base");
    const cJSON *style = cJSON_GetObjectItemCaseSensitive(item, "style");
    if (base && !cJSON_IsNull(base) && !json_float(&c->rope_base, base, 1.0f))
        return false;
    if (style && !cJSON_IsNull(style)) {
        if (!cJSON_IsString(style) || (strcmp(style->valuestring, "roformer") &&
                                       strcmp(style->valuestring, "neox")))
            return false;
        c->rope_neox = strcmp(style->valuestring, "neox") == 0;
    }
    c->rope = true;
    return true;
}

/* One setting of a config; false if its value is not what it must be. */
static bool parse_setting(sa_weights_config *c, sa_setting k, const cJSON *v)
{
    switch (k) {
    case SA_SET_HEADS: return json_size(&c->heads, v, 1, MAX_HEADS);
    case SA_SET_KV_HEADS: return json_size(&c->kv_heads, v, 1, MAX_HEADS);
    case SA_SET_SCALE:  // 0 would make every score 0 (the library reads it as the default)
        return json_float(&c->scale, v, -INFINITY) && c->scale != 0.0f;
    case SA_SET_CAUSAL:
        c->causal = cJSON_IsTrue(v);
        return cJSON_IsBool(v);
    case SA_SET_WINDOW: {
        size_t window;
        if (!json_size(&window, v, 0, 9007199254740992.0))
            return false;
        c->window = (long)window;
        return true;
    }
    case SA_SET_SOFTCAP: return json_float(&c->softcap, v, 0.0f);
    case SA_SET_ROPE: return json_rope(c, v);
    case SA_SET_COUNT: break;
    }
    return false;
}

sa_status sa_weights_config_parse(sa_weights_config *c, const cJSON *config,
                                  sa_source from, const char *name,
                                  sa_error *err)
{
    static const char *const must[SA_SET_COUNT] = {
        "an integer from 1 to 65536", "an integer from 1 to 65536",
        "a number other than 0", "true or false", "an integer from 0", "a number greater than 0",
        "false, true or {\"base\": B, \"style\": \"roformer\" or \"neox\"}",
    };
    memset(c, 0, sizeof *c);
    for (int k = 0; k < SA_SET_COUNT; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(config, sa_setting_name(k));
        if (!v || cJSON_IsNull(v))
            continue;
        if (!parse_setting(c, (sa_setting)k, v))
            return sa_fail(err, SA_ERR_DATA, 0, 0, "%s.%s must be %s (or null)",
                           name, sa_setting_name(k), must[k]);
        c->from[k] = from;
    }
    const struct { const char *key; size_t *out; } sizes[] = {
        {"d_model", &c->d_model}, {"d_context", &c->d_context}, {"d_head", &c->d_head},
    };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(config, sizes[i].key);
        if (v && !cJSON_IsNull(v) && !json_size(sizes[i].out, v, 1, MAX_WIDTH))
            return sa_fail(err, SA_ERR_DATA, 0, 0, "%s.%s must be an integer "
                           "from 1 to %d (or null)", name, sizes[i].key, MAX_WIDTH);
    }
    return SA_OK;
}

void sa_weights_config_merge(sa_weights_config *dst, const sa_weights_config *src)
{
    for (int k = 0; k < SA_SET_COUNT; k++) {
        if (src->from[k] == SA_FROM_NONE || src->from[k] < dst->from[k])
            continue;
        dst->from[k] = src->from[k];
        switch ((sa_setting)k) {
        case SA_SET_HEADS: dst->heads = src->heads; break;
        case SA_SET_KV_HEADS: dst->kv_heads = src->kv_heads; break;
        case SA_SET_SCALE: dst->scale = src->scale; break;
        case SA_SET_CAUSAL: dst->causal = src->causal; break;
        case SA_SET_WINDOW: dst->window = src->window; break;
        case SA_SET_SOFTCAP: dst->softcap = src->softcap; break;
        case SA_SET_ROPE:
            dst->rope = src->rope;
            dst->rope_neox = src->rope_neox;
            dst->rope_base = src->rope_base;
            break;
        case SA_SET_COUNT: break;
        }
    }
    const size_t *sizes[] = {&src->d_model, &src->d_context, &src->d_head};
    size_t *into[] = {&dst->d_model, &dst->d_context, &dst->d_head};
    for (size_t i = 0; i < 3; i++)
        if (*sizes[i])
            *into[i] = *sizes[i];
}

sa_status sa_weights_config_check(const sa_weights *w, sa_error *err)
{
    const sa_weights_config *c = &w->config;
    const struct { const char *key; size_t value, shape; const char *what; } widths[] = {
        {"d_model", c->d_model, w->d_model, "query"},
        {"d_context", c->d_context, w->d_kv_in, "key"},
    };
    for (size_t i = 0; i < 2; i++)
        if (widths[i].value && widths[i].value != widths[i].shape)
            return sa_fail(err, SA_ERR_DATA, 0, 0, "config: %s is %zu but the "
                           "%s weights have %zu rows", widths[i].key,
                           widths[i].value, widths[i].what, widths[i].shape);
    size_t heads = c->from[SA_SET_HEADS] ? c->heads : 0;
    if (heads && w->d_proj % heads != 0)
        return sa_fail(err, SA_ERR_DATA, 0, 0, "config: %zu heads do not "
                       "divide the projected width %zu", heads, w->d_proj);
    size_t dh = heads ? w->d_proj / heads : 0;
    if (c->d_head && heads && dh != c->d_head)
        return sa_fail(err, SA_ERR_DATA, 0, 0, "config: d_head is %zu but %zu "
                       "heads of the projected width %zu are %zu wide",
                       c->d_head, heads, w->d_proj, dh);
    if (c->d_head && w->d_proj % c->d_head != 0)
        return sa_fail(err, SA_ERR_DATA, 0, 0, "config: d_head %zu does not "
                       "divide the projected width %zu", c->d_head, w->d_proj);
    if (heads && c->from[SA_SET_KV_HEADS]) {
        size_t G = c->kv_heads;
        if (heads % G != 0)
            return sa_fail(err, SA_ERR_DATA, 0, 0, "config: %zu key/value "
                           "heads do not divide %zu heads", G, heads);
        if (w->d_kv != G * dh)
            return sa_fail(err, SA_ERR_DATA, 0, 0, "config: the key weights "
                           "have %zu columns but %zu key/value head(s) of "
                           "width %zu need %zu", w->d_kv, G, dh, G * dh);
    }
    return SA_OK;
}

/* The key of a config.json that holds the heads of a checkpoint of
 * convention c, and the key of its width. */
static void hf_keys(const char **heads, const char **width, const char **type,
                    sa_convention c)
{
    bool gpt2 = c == SA_CONVENTION_GPT2;
    *heads = gpt2 ? "n_head" : "num_attention_heads";
    *width = gpt2 ? "n_embd" : "hidden_size";
    *type = gpt2 ? "gpt2" : "bert";
}

sa_status sa_weights_config_from_hf(sa_weights *w, const char *text,
                                    size_t len, sa_error *err)
{
    cJSON *root = NULL;
    const char *heads_key, *width_key, *type;
    sa_status status = sa_json_parse(&root, text, len, err);
    if (status)
        return status;
    hf_keys(&heads_key, &width_key, &type, w->convention);
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(root, "model_type");
    const cJSON *heads = cJSON_GetObjectItemCaseSensitive(root, heads_key);
    const cJSON *width = cJSON_GetObjectItemCaseSensitive(root, width_key);
    size_t h, d;
    if (!cJSON_IsObject(root)) {
        status = sa_fail(err, SA_ERR_DATA, 0, 0, "not a model's config (a JSON "
                         "object)");
    } else if ((cJSON_IsString(model) && strcmp(model->valuestring, type) != 0) ||
               !heads || w->config.from[SA_SET_HEADS] > SA_FROM_CONFIG_JSON) {
        status = SA_OK;  /* another model's, or nothing to take */
    } else if (!json_size(&h, heads, 1, MAX_HEADS)) {
        status = sa_fail(err, SA_ERR_DATA, 0, 0, "%s must be an integer from "
                         "1 to %d", heads_key, MAX_HEADS);
    } else if (width && (!json_size(&d, width, 1, SIZE_MAX) || d != w->d_model)) {
        status = sa_fail(err, SA_ERR_DATA, 0, 0, "%s is not %zu, the width of "
                         "the %s checkpoint: this config.json is another "
                         "model's", width_key, w->d_model, type);
    } else if (w->d_proj % h != 0) {
        status = sa_fail(err, SA_ERR_DATA, 0, 0, "%s %zu does not divide the "
                         "width %zu of the %s checkpoint", heads_key, h,
                         w->d_proj, type);
    } else {
        w->config.heads = h;
        w->config.from[SA_SET_HEADS] = SA_FROM_CONFIG_JSON;
    }
    cJSON_Delete(root);
    return status;
}
