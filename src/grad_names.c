/* grad_names.c — the gradients of the weights as the weights file has
 * them: the math convention's computed gradients (dWq (d, P), ...) named,
 * transposed and stacked back into the file's own tensors, so that each
 * can be compared with torch's .grad of the same parameter.  The layouts
 * are those read_weights.c and read_checkpoint.c read.
 * Legend: d = model width, d_ctx = key/value input width, P = H * dh,
 * Pkv = G * dh, d_out = output width. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "selfattn.h"

/* The set being filled, and whether memory ran out. */
typedef struct {
    sa_tensor_set *set;
    size_t cap;
    bool failed;
} builder;

/* Appends a zeroed tensor prefix + name (rows, cols; rows 0: a vector of
 * cols) and returns its data, or NULL once memory ran out. */
static float *add(builder *b, const char *prefix, const char *name,
                  size_t rows, size_t cols)
{
    if (b->failed)
        return NULL;
    sa_tensor_set *set = b->set;
    if (set->count == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 8;
        sa_tensor *items = realloc(set->items, cap * sizeof *items);
        if (!items) {
            b->failed = true;
            return NULL;
        }
        set->items = items;
        b->cap = cap;
    }
    sa_tensor *t = &set->items[set->count];
    memset(t, 0, sizeof *t);
    size_t len = strlen(prefix) + strlen(name) + 1;
    t->name = malloc(len);
    t->data = calloc(rows ? rows * cols : cols, sizeof *t->data);
    if (t->name)
        snprintf(t->name, len, "%s%s", prefix, name);
    set->count++;  // counted, so that freeing the set frees it
    if (!t->name || !t->data) {
        b->failed = true;
        return NULL;
    }
    t->dtype = SA_DTYPE_F32;
    t->ndim = rows ? 2 : 1;
    t->shape[0] = rows ? rows : cols;
    t->shape[1] = rows ? cols : 0;
    return t->data;
}

/* dst (cols, rows) = src (rows, cols) transposed. */
static void put_transposed(float *dst, const float *src, size_t rows,
                           size_t cols)
{
    for (size_t i = 0; i < rows; i++)
        for (size_t c = 0; c < cols; c++)
            dst[c * rows + i] = src[i * cols + c];
}

/* dst (rows, ld) columns [first, first + cols) = src (rows, cols). */
static void put_columns(float *dst, size_t ld, size_t first, const float *src,
                        size_t rows, size_t cols)
{
    for (size_t i = 0; i < rows; i++)
        memcpy(dst + i * ld + first, src + i * cols, cols * sizeof *dst);
}

/* A matrix as it is (rows, cols), or transposed (cols, rows) with
 * transpose; nothing if src is NULL. */
static void add_matrix(builder *b, const char *prefix, const char *name,
                       const float *src, size_t rows, size_t cols,
                       bool transpose)
{
    if (!src)
        return;
    float *dst = add(b, prefix, name, transpose ? cols : rows, transpose ? rows : cols);
    if (dst && transpose)
        put_transposed(dst, src, rows, cols);
    else if (dst)
        memcpy(dst, src, rows * cols * sizeof *dst);
}

/* A vector of len, or the three q, k, v vectors of len each end to end. */
static void add_vectors(builder *b, const char *prefix, const char *name,
                        const float *const *parts, size_t count, size_t len)
{
    if (!parts[0])
        return;
    float *dst = add(b, prefix, name, 0, count * len);
    for (size_t k = 0; dst && k < count; k++)
        memcpy(dst + k * len, parts[k], len * sizeof *dst);
}

/* Torch: in_proj_weight (3P, d) = [dWq^T; dWk^T; dWv^T] or the separate
 * q/k/v_proj_weight (P, d or d_ctx), in_proj_bias (3P), out_proj.weight
 * (d_out, P) = dWo^T, out_proj.bias. */
static void torch_layout(builder *b, const sa_weights *dw)
{
    size_t d = dw->d_model, dc = dw->d_kv_in, P = dw->d_proj, Pkv = dw->d_kv;
    if (dw->torch_separate) {
        add_matrix(b, "", "q_proj_weight", dw->wq, d, P, true);
        add_matrix(b, "", "k_proj_weight", dw->wk, dc, Pkv, true);
        add_matrix(b, "", "v_proj_weight", dw->wv, dc, Pkv, true);
    } else {
        float *in = add(b, "", "in_proj_weight", 3 * P, d);
        for (size_t k = 0; in && k < 3; k++) {
            const float *part = k == 0 ? dw->wq : k == 1 ? dw->wk : dw->wv;
            put_transposed(in + k * P * d, part, d, P);
        }
    }
    const float *biases[3] = {dw->bq, dw->bk, dw->bv};
    add_vectors(b, "", "in_proj_bias", biases, 3, P);
    add_matrix(b, "", "out_proj.weight", dw->wo, P, dw->d_out, true);
    const float *bo[1] = {dw->bo};
    add_vectors(b, "", "out_proj.bias", bo, 1, dw->d_out);
}

/* GPT-2: h.N.attn.c_attn.weight (d, 3P) = [dWq dWk dWv], c_attn.bias (3P),
 * c_proj.weight (P, d_out) = dWo, c_proj.bias (Conv1D: y = x W + b). */
static void gpt2_layout(builder *b, const sa_weights *dw)
{
    char name[96];
    size_t d = dw->d_model, P = dw->d_proj;
    snprintf(name, sizeof name, "h.%ld.attn.c_attn.weight", dw->layer);
    float *attn = add(b, dw->prefix, name, d, 3 * P);
    for (size_t k = 0; attn && k < 3; k++)
        put_columns(attn, 3 * P, k * P, k == 0 ? dw->wq : k == 1 ? dw->wk : dw->wv,
                    d, P);
    const float *biases[3] = {dw->bq, dw->bk, dw->bv};
    snprintf(name, sizeof name, "h.%ld.attn.c_attn.bias", dw->layer);
    add_vectors(b, dw->prefix, name, biases, 3, P);
    snprintf(name, sizeof name, "h.%ld.attn.c_proj.weight", dw->layer);
    add_matrix(b, dw->prefix, name, dw->wo, P, dw->d_out, false);
    snprintf(name, sizeof name, "h.%ld.attn.c_proj.bias", dw->layer);
    const float *bo[1] = {dw->bo};
    add_vectors(b, dw->prefix, name, bo, 1, dw->d_out);
}

/* BERT: encoder.layer.N.attention.self.{query,key,value}.weight (P, d) =
 * dW^T and .bias, attention.output.dense.weight (d_out, P) = dWo^T, .bias
 * (nn.Linear: y = x W^T + b). */
static void bert_layout(builder *b, const sa_weights *dw)
{
    static const char *const parts[3] = {"query", "key", "value"};
    const float *weights[3] = {dw->wq, dw->wk, dw->wv};
    const float *biases[3] = {dw->bq, dw->bk, dw->bv};
    char name[128];
    for (int k = 0; k < 3; k++) {
        snprintf(name, sizeof name, "encoder.layer.%ld.attention.self.%s.weight",
                 dw->layer, parts[k]);
        add_matrix(b, dw->prefix, name, weights[k], dw->d_model, dw->d_proj, true);
        snprintf(name, sizeof name, "encoder.layer.%ld.attention.self.%s.bias",
                 dw->layer, parts[k]);
        add_vectors(b, dw->prefix, name, &biases[k], 1, dw->d_proj);
    }
    snprintf(name, sizeof name, "encoder.layer.%ld.attention.output.dense.weight",
             dw->layer);
    add_matrix(b, dw->prefix, name, dw->wo, dw->d_proj, dw->d_out, true);
    snprintf(name, sizeof name, "encoder.layer.%ld.attention.output.dense.bias",
             dw->layer);
    const float *bo[1] = {dw->bo};
    add_vectors(b, dw->prefix, name, bo, 1, dw->d_out);
}

/* Math and generated weights: Wq, Wk, Wv, Wo, bq, bk, bv, bo as they are. */
static void math_layout(builder *b, const sa_weights *dw)
{
    size_t d = dw->d_model, dc = dw->d_kv_in, P = dw->d_proj, Pkv = dw->d_kv;
    add_matrix(b, "", "Wq", dw->wq, d, P, false);
    add_matrix(b, "", "Wk", dw->wk, dc, Pkv, false);
    add_matrix(b, "", "Wv", dw->wv, dc, Pkv, false);
    add_matrix(b, "", "Wo", dw->wo, P, dw->d_out, false);
    const float *vectors[4] = {dw->bq, dw->bk, dw->bv, dw->bo};
    const char *names[4] = {"bq", "bk", "bv", "bo"};
    size_t lens[4] = {P, Pkv, Pkv, dw->d_out};
    for (int k = 0; k < 4; k++)
        add_vectors(b, "", names[k], &vectors[k], 1, lens[k]);
}

sa_status sa_grad_tensors(sa_tensor_set *set, const sa_weights *w,
                          const sa_weights *dw, sa_error *err)
{
    builder b = {set, 0, false};
    memset(set, 0, sizeof *set);
    // the layout is w's: dw has its sizes and arrays in the math convention
    sa_weights named = *dw;
    named.convention = w->convention;
    named.torch_separate = w->torch_separate;
    named.layer = w->layer;
    memcpy(named.prefix, w->prefix, sizeof named.prefix);
    switch (w->convention) {
    case SA_CONVENTION_TORCH: torch_layout(&b, &named); break;
    case SA_CONVENTION_GPT2: gpt2_layout(&b, &named); break;
    case SA_CONVENTION_BERT: bert_layout(&b, &named); break;
    case SA_CONVENTION_MATH:
    case SA_CONVENTION_SEED: math_layout(&b, &named); break;
    }
    if (!b.failed)
        return SA_OK;
    sa_tensor_set_free(set);
    return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
}
