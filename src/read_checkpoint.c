/* read_checkpoint.c — one layer's attention out of a whole-model
 * checkpoint: GPT-2 ([transformer.]h.N.attn.c_attn.weight, Conv1D, used as
 * it is) or BERT ([bert.]encoder.layer.N.attention.self.query.weight, ...,
 * nn.Linear, transposed), every other tensor of the file ignored.
 * Legend: d = model width, P = H * dh query width, d_out = output width. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weights_internal.h"

typedef struct {
    sa_convention convention;
    const char *prefixes[2];  /* optional model prefixes, "" first */
    const char *probe;        /* a name with %ld for the layer */
} checkpoint_kind;

static const checkpoint_kind checkpoints[] = {
    {SA_CONVENTION_GPT2, {"", "transformer."}, "h.%ld.attn.c_attn.weight"},
    {SA_CONVENTION_BERT, {"", "bert."}, "encoder.layer.%ld.attention.self.query.weight"},
};

/* If some tensor of set matches kind's probe after a prefix, sets *prefix
 * and returns true. */
static bool find_checkpoint(const char **prefix, const sa_tensor_set *set,
                            const checkpoint_kind *kind)
{
    char pattern[128];
    for (size_t i = 0; i < set->count; i++)
        for (int p = 0; p < 2; p++) {
            size_t plen = strlen(kind->prefixes[p]);
            const char *name = set->items[i].name;
            long layer;
            int used = -1;
            if (strncmp(name, kind->prefixes[p], plen) != 0)
                continue;
            snprintf(pattern, sizeof pattern, "%s%%n", kind->probe);
            if (sscanf(name + plen, pattern, &layer, &used) == 1 && used > 0 &&
                name[plen + (size_t)used] == '\0') {
                *prefix = kind->prefixes[p];
                return true;
            }
        }
    return false;
}

/* The tensor name prefix + fmt with layer substituted. */
static const char *layer_name(char *buf, size_t size, const char *prefix,
                              const char *fmt, long layer)
{
    char tail[128];
    snprintf(tail, sizeof tail, fmt, layer);
    snprintf(buf, size, "%s%s", prefix, tail);
    return buf;
}

/* Fails naming the missing layer and listing those present. */
static sa_status missing_layer(const sa_tensor_set *set, const char *prefix,
                               const checkpoint_kind *kind, long layer,
                               sa_error *err)
{
    char list[256] = "";
    size_t used = 0, found = 0;
    for (long l = 0; l < 10000 && used < sizeof list - 16; l++) {
        char name[192];
        if (sa_tensor_find(set, layer_name(name, sizeof name, prefix, kind->probe, l))) {
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%ld",
                                     found++ ? ", " : "", l);
        }
    }
    return sa_fail(err, SA_ERR_DATA, 0, 0, "the %s checkpoint has no layer "
                   "%ld; layers present: %s", sa_convention_name(kind->convention),
                   layer, found ? list : "none");
}

/* GPT-2: c_attn.weight (d, 3P) Conv1D (y = x W + b): q, k, v are column
 * blocks; c_proj.weight (P, d_out) is Wo as it is. */
static sa_status read_gpt2(sa_weights *w, const sa_tensor_set *set,
                           const char *prefix, long layer, sa_error *err)
{
    char name[192], why[64];
    float *attn = NULL, *bias = NULL;
    size_t d, cols, ro, co;
    sa_status status;
    const char *attn_name = layer_name(name, sizeof name, prefix, "h.%ld.attn.c_attn.weight", layer);
    if ((status = sa_take_matrix(&attn, &d, &cols, set, attn_name, err)))
        return status;
    if (cols % 3 != 0) {
        status = sa_fail(err, SA_ERR_DATA, 0, 0, "%s is %zu x %zu but its "
                         "columns must be 3 blocks (q, k, v)", attn_name, d, cols);
        goto done;
    }
    size_t P = cols / 3;
    w->d_model = w->d_kv_in = d;
    w->d_proj = w->d_kv = P;
    if (!(w->wq = sa_take_columns(attn, d, cols, 0, P)) ||
        !(w->wk = sa_take_columns(attn, d, cols, P, P)) ||
        !(w->wv = sa_take_columns(attn, d, cols, 2 * P, P))) {
        status = sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
        goto done;
    }
    snprintf(why, sizeof why, "the columns of c_attn.weight");
    layer_name(name, sizeof name, prefix, "h.%ld.attn.c_attn.bias", layer);
    if ((status = sa_take_vector(&bias, set, name, cols, why, err)) ||
        (status = sa_split_biases(w, bias, P, err)))
        goto done;
    const char *proj = layer_name(name, sizeof name, prefix, "h.%ld.attn.c_proj.weight", layer);
    if ((status = sa_take_matrix(&w->wo, &ro, &co, set, proj, err)))
        goto done;
    if (w->wo && ro != P) {
        status = sa_fail(err, SA_ERR_DATA, 0, 0, "%s is %zu x %zu but must "
                         "have %zu rows", proj, ro, co, P);
        goto done;
    }
    w->d_out = w->wo ? co : P;
    layer_name(name, sizeof name, prefix, "h.%ld.attn.c_proj.bias", layer);
    status = sa_take_vector(&w->bo, set, name, w->d_out,
                            "the columns of c_proj.weight", err);
done:
    free(attn);
    free(bias);
    return status;
}

/* BERT: {query,key,value}.weight (P, d) nn.Linear (y = x W^T + b) and
 * attention.output.dense.weight (d_out, P). */
static sa_status read_bert(sa_weights *w, const sa_tensor_set *set,
                           const char *prefix, long layer, sa_error *err)
{
    static const char *const parts[3] = {"query", "key", "value"};
    float **dst[3] = {&w->wq, &w->wk, &w->wv};
    float **bias_dst[3] = {&w->bq, &w->bk, &w->bv};
    char name[192], fmt[128];
    size_t rows = 0, cols = 0, r, c;
    sa_status status;

    for (int i = 0; i < 3; i++) {
        const float *m;
        float *owned;
        snprintf(fmt, sizeof fmt, "encoder.layer.%%ld.attention.self.%s.weight", parts[i]);
        layer_name(name, sizeof name, prefix, fmt, layer);
        if (!sa_tensor_find(set, name))
            return sa_fail(err, SA_ERR_DATA, 0, 0, "missing %s", name);
        if ((status = sa_take_matrix_view(&m, &owned, &r, &c, set, name, err)))
            return status;
        if (i > 0 && (r != rows || c != cols)) {
            free(owned);
            return sa_fail(err, SA_ERR_DATA, 0, 0, "%s is %zu x %zu but the "
                           "query weight is %zu x %zu", name, r, c, rows, cols);
        }
        rows = r;
        cols = c;
        *dst[i] = sa_transpose_rows(m, 0, r, c);
        free(owned);
        if (!*dst[i])
            return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
        snprintf(fmt, sizeof fmt, "encoder.layer.%%ld.attention.self.%s.bias", parts[i]);
        layer_name(name, sizeof name, prefix, fmt, layer);
        if ((status = sa_take_vector(bias_dst[i], set, name, rows,
                                     "the rows of its weight", err)))
            return status;
    }
    w->d_model = w->d_kv_in = cols;
    w->d_proj = w->d_kv = rows;
    const float *out;
    float *out_owned;
    const char *dense = layer_name(name, sizeof name, prefix,
                                   "encoder.layer.%ld.attention.output.dense.weight", layer);
    if ((status = sa_take_matrix_view(&out, &out_owned, &r, &c, set, dense, err)))
        return status;
    if (out && c != rows) {
        free(out_owned);
        return sa_fail(err, SA_ERR_DATA, 0, 0, "%s is %zu x %zu but must have "
                       "%zu columns", dense, r, c, rows);
    }
    w->d_out = out ? r : rows;
    if (out) {
        w->wo = sa_transpose_rows(out, 0, r, c);
        free(out_owned);
        if (!w->wo)
            return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
    }
    layer_name(name, sizeof name, prefix,
               "encoder.layer.%ld.attention.output.dense.bias", layer);
    return sa_take_vector(&w->bo, set, name, w->d_out,
                          "the rows of attention.output.dense.weight", err);
}

size_t sa_checkpoint_heads(sa_convention c, size_t d)
{
    /* GPT-2 small, medium, large, XL; BERT tiny, mini, small, base, large:
     * all with heads of width 64 */
    static const size_t gpt2[] = {768, 1024, 1280, 1600};
    static const size_t bert[] = {128, 256, 512, 768, 1024};
    bool is_gpt2 = c == SA_CONVENTION_GPT2;
    const size_t *widths = is_gpt2 ? gpt2 : bert;
    size_t count = is_gpt2 ? 4 : c == SA_CONVENTION_BERT ? 5 : 0;
    for (size_t i = 0; i < count; i++)
        if (widths[i] == d)
            return d / 64;
    return 0;
}

/* What the layout of w's checkpoint implies: GPT-2 is causal, BERT is not,
 * and a known model's width gives its heads. */
static void layout_config(sa_weights *w)
{
    sa_weights_config *c = &w->config;
    c->causal = w->convention == SA_CONVENTION_GPT2;
    c->from[SA_SET_CAUSAL] = SA_FROM_LAYOUT;
    if ((c->heads = sa_checkpoint_heads(w->convention, w->d_model)))
        c->from[SA_SET_HEADS] = SA_FROM_LAYOUT;
}

sa_status sa_read_checkpoint(sa_weights *w, bool *found,
                             const sa_tensor_set *set, long layer,
                             sa_error *err)
{
    const char *prefix;
    *found = false;
    for (size_t k = 0; k < sizeof checkpoints / sizeof checkpoints[0]; k++) {
        const checkpoint_kind *kind = &checkpoints[k];
        if (!find_checkpoint(&prefix, set, kind))
            continue;
        char name[192];
        *found = true;
        w->convention = kind->convention;
        snprintf(w->prefix, sizeof w->prefix, "%s", prefix);  // names the grads
        w->layer = layer;
        if (!sa_tensor_find(set, layer_name(name, sizeof name, prefix, kind->probe, layer)))
            return missing_layer(set, prefix, kind, layer, err);
        sa_status status = kind->convention == SA_CONVENTION_GPT2
            ? read_gpt2(w, set, prefix, layer, err)
            : read_bert(w, set, prefix, layer, err);
        if (!status)
            layout_config(w);
        return status;
    }
    return SA_OK;
}
