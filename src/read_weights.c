/* read_weights.c — weights from named tensors: the layout is told by the
 * names (a GPT-2 or BERT checkpoint, read_checkpoint.c; torch
 * nn.MultiheadAttention state dicts; the math convention), and every one
 * is turned into the math convention (Q = X Wq + bq).
 * Legend: d = model width, d_ctx = key/value input width, P = H * dh query
 * width, Pkv = G * dh key/value width, d_out = output width. */
#include <stdlib.h>
#include <string.h>

#include "suggest.h"
#include "weights_internal.h"

static const char *const math_keys[] = {"Wq", "Wk", "Wv", "Wo",
                                        "bq", "bk", "bv", "bo"};
static const char *const torch_keys[] = {
    "in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias",
    "q_proj_weight", "k_proj_weight", "v_proj_weight"};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static bool is_one_of(const char *key, const char *const *keys, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(key, keys[i]) == 0)
            return true;
    return false;
}

/* The optional matrix `name` as a new float array (rows, cols); *data is
 * NULL if the set has no such tensor. */

static sa_status read_math(sa_weights *w, const sa_tensor_set *set, sa_error *err)
{
    size_t r[3], c[3], ro, co;
    float **m[3] = {&w->wq, &w->wk, &w->wv};
    const char *names[3] = {"Wq", "Wk", "Wv"};
    sa_status status;

    for (int i = 0; i < 3; i++) {
        if (!sa_tensor_find(set, names[i]))
            return sa_fail(err, SA_ERR_DATA, 0, 0,
                           "missing %s (math convention needs Wq, Wk and Wv)",
                           names[i]);
        if ((status = sa_take_matrix(m[i], &r[i], &c[i], set, names[i], err)))
            return status;
    }
    if (r[2] != r[1] || c[2] != c[1])
        return sa_fail(err, SA_ERR_DATA, 0, 0,
                       "Wv is %zu x %zu but Wk is %zu x %zu; Wk and Wv must "
                       "have the same shape", r[2], c[2], r[1], c[1]);
    w->d_model = r[0];
    w->d_proj = c[0];
    w->d_kv_in = r[1];
    w->d_kv = c[1];
    if ((status = sa_take_matrix(&w->wo, &ro, &co, set, "Wo", err)))
        return status;
    if (w->wo && ro != w->d_proj)
        return sa_fail(err, SA_ERR_DATA, 0, 0,
                       "Wo is %zu x %zu but must have %zu rows (the columns "
                       "of Wq)", ro, co, w->d_proj);
    w->d_out = w->wo ? co : w->d_proj;
    if ((status = sa_take_vector(&w->bq, set, "bq", w->d_proj, "the columns of Wq", err)) ||
        (status = sa_take_vector(&w->bk, set, "bk", w->d_kv, "the columns of Wk", err)) ||
        (status = sa_take_vector(&w->bv, set, "bv", w->d_kv, "the columns of Wv", err)) ||
        (status = sa_take_vector(&w->bo, set, "bo", w->d_out,
                                 w->wo ? "the columns of Wo" : "the columns of Wq, without Wo",
                                 err)))
        return status;
    return SA_OK;
}

/* Torch's separate projections q_proj_weight (P, d), k_proj_weight and
 * v_proj_weight (P, d_ctx), y = x W^T. */
static sa_status read_torch_separate(sa_weights *w, const sa_tensor_set *set,
                                     sa_error *err)
{
    const char *names[3] = {"q_proj_weight", "k_proj_weight", "v_proj_weight"};
    float **dst[3] = {&w->wq, &w->wk, &w->wv};
    size_t rows[3], cols[3];
    sa_status status = SA_OK;

    for (int i = 0; i < 3 && !status; i++) {
        const float *m;
        float *owned;
        if (!sa_tensor_find(set, names[i]))
            return sa_fail(err, SA_ERR_DATA, 0, 0, "missing %s (torch's "
                           "separate projections need all three)", names[i]);
        status = sa_take_matrix_view(&m, &owned, &rows[i], &cols[i], set, names[i], err);
        if (!status && i > 0 && rows[i] != rows[0])
            status = sa_fail(err, SA_ERR_DATA, 0, 0,
                             "%s is %zu x %zu but q_proj_weight has %zu rows",
                             names[i], rows[i], cols[i], rows[0]);
        if (!status && i == 2 && cols[2] != cols[1])
            status = sa_fail(err, SA_ERR_DATA, 0, 0,
                             "v_proj_weight is %zu x %zu but k_proj_weight is "
                             "%zu x %zu; selfattn needs kdim = vdim",
                             rows[2], cols[2], rows[1], cols[1]);
        if (!status && !(*dst[i] = sa_transpose_rows(m, 0, rows[i], cols[i])))
            status = sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
        free(owned);
    }
    if (status)
        return status;
    w->d_model = cols[0];
    w->d_kv_in = cols[1];
    w->d_proj = w->d_kv = rows[0];
    w->torch_separate = true;  // names the grads
    return SA_OK;
}

/* Torch convention: in_proj_weight (3P, d) with q, k, v row blocks and
 * y = x W^T (or the separate *_proj_weight), in_proj_bias (3P),
 * out_proj.weight (d_out, P), out_proj.bias (d_out). */
static sa_status read_torch(sa_weights *w, const sa_tensor_set *set,
                            sa_error *err)
{
    const float *in = NULL, *out = NULL;
    float *in_owned = NULL, *out_owned = NULL, *in_bias = NULL;
    size_t rows, d, out_rows, out_cols;
    sa_status status;

    if (sa_tensor_find(set, "in_proj_weight")) {
        if (sa_tensor_find(set, "q_proj_weight"))
            return sa_fail(err, SA_ERR_DATA, 0, 0, "both in_proj_weight and "
                           "q_proj_weight; torch has one or the other");
        if ((status = sa_take_matrix_view(&in, &in_owned, &rows, &d, set,
                                          "in_proj_weight", err)))
            return status;
        if (rows % 3 != 0) {
            status = sa_fail(err, SA_ERR_DATA, 0, 0,
                             "in_proj_weight is %zu x %zu but its rows must be "
                             "3 blocks (q, k, v) of equal size", rows, d);
            goto done;
        }
        size_t P = rows / 3;
        w->d_proj = w->d_kv = P;
        w->d_model = w->d_kv_in = d;
        w->wq = sa_transpose_rows(in, 0, P, d);
        w->wk = sa_transpose_rows(in, P, P, d);
        w->wv = sa_transpose_rows(in, 2 * P, P, d);
        if (!w->wq || !w->wk || !w->wv) {
            status = sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
            goto done;
        }
    } else if (sa_tensor_find(set, "q_proj_weight")) {
        if ((status = read_torch_separate(w, set, err)))
            goto done;
    } else {
        return sa_fail(err, SA_ERR_DATA, 0, 0,
                       "missing in_proj_weight (or q_proj_weight, ...)");
    }
    size_t P = w->d_proj;
    if ((status = sa_take_matrix_view(&out, &out_owned, &out_rows, &out_cols, set,
                                      "out_proj.weight", err)))
        goto done;
    if (out && out_cols != P) {
        status = sa_fail(err, SA_ERR_DATA, 0, 0,
                         "out_proj.weight is %zu x %zu but must have %zu "
                         "columns (the query projection's width)",
                         out_rows, out_cols, P);
        goto done;
    }
    w->d_out = out ? out_rows : P;
    if ((status = sa_take_vector(&in_bias, set, "in_proj_bias", 3 * P,
                                 "three times the query projection's width", err)) ||
        (status = sa_take_vector(&w->bo, set, "out_proj.bias", w->d_out,
                                 out ? "the rows of out_proj.weight"
                                       : "the query projection's width", err)))
        goto done;
    if (out && !(w->wo = sa_transpose_rows(out, 0, w->d_out, P))) {
        status = sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
        goto done;
    }
    status = sa_split_biases(w, in_bias, P, err);
done:
    free(in_owned);
    free(out_owned);
    free(in_bias);
    return status;
}

/* The message of a name that is no weight's, with the nearest one. */
static sa_status unknown_key(const char *key, sa_error *err)
{
    const char *names[COUNT(math_keys) + COUNT(torch_keys)];
    memcpy(names, math_keys, sizeof math_keys);
    memcpy(names + COUNT(math_keys), torch_keys, sizeof torch_keys);
    const char *near = sa_suggest(key, names, COUNT(names));
    return sa_fail(err, SA_ERR_DATA, 0, 0,
                   "unknown key \"%.64s\" (expected Wq, Wk, Wv, Wo, bq, bk, bv, "
                   "bo, or torch's in_proj_weight, in_proj_bias, q_proj_weight, "
                   "k_proj_weight, v_proj_weight, out_proj.weight, "
                   "out_proj.bias; or a GPT-2 or BERT checkpoint)%s%s%s", key,
                   near ? "; did you mean \"" : "", near ? near : "",
                   near ? "\"?" : "");
}

sa_status sa_weights_from_tensors(sa_weights *w, const sa_tensor_set *set,
                                  long layer, sa_error *err)
{
    bool has_math = false, has_torch = false;
    sa_status status = SA_OK;

    memset(w, 0, sizeof *w);
    if (layer < 0)
        layer = 0;
    bool checkpoint;
    status = sa_read_checkpoint(w, &checkpoint, set, layer, err);
    if (checkpoint)
        goto config;
    for (size_t i = 0; i < set->count; i++) {
        const char *key = set->items[i].name;
        if (is_one_of(key, math_keys, COUNT(math_keys)))
            has_math = true;
        else if (is_one_of(key, torch_keys, COUNT(torch_keys)))
            has_torch = true;
        else
            return unknown_key(key, err);
    }
    if (has_math && has_torch) {
        status = sa_fail(err, SA_ERR_DATA, 0, 0,
                         "mixes math-convention keys (Wq, ...) with torch "
                         "keys (in_proj_weight, ...); use one convention");
    } else if (has_torch) {
        w->convention = SA_CONVENTION_TORCH;
        status = read_torch(w, set, err);
    } else if (has_math) {
        w->convention = SA_CONVENTION_MATH;
        status = read_math(w, set, err);
    } else {
        status = sa_fail(err, SA_ERR_DATA, 0, 0,
                         "no weights found (expected Wq, Wk, Wv or torch's "
                         "in_proj_weight)");
    }
config:
    if (!status) {  // the file's own config over what the layout implies
        sa_weights_config_merge(&w->config, &set->config);
        status = sa_weights_config_check(w, err);
    }
    if (status)
        sa_weights_free(w);
    return status;
}
