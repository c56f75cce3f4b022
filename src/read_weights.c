/* layouts.c — weights from named tensors: GPT-2 and BERT checkpoints,
 * torch nn.MultiheadAttention state dicts, and the math convention, all
 * turned into the math convention (Q = X Wq + bq).
 * Legend: d = model width, d_ctx = key/value input width, P = H * dh query
 * width, Pkv = G * dh key/value width, d_out = output width. */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "format.h"
#include "selfattn.h"

static const char *const math_keys[] = {"Wq", "Wk", "Wv", "Wo",
                                        "bq", "bk", "bv", "bo"};
static const char *const torch_keys[] = {
    "in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias",
    "q_proj_weight", "k_proj_weight", "v_proj_weight"};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *sa_convention_name(sa_convention c)
{
    static const char *const names[] = {"math", "torch", "seed", "gpt2", "bert"};
    return names[c];
}

static bool is_one_of(const char *key, const char *const *keys, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(key, keys[i]) == 0)
            return true;
    return false;
}

/* The optional matrix `name` as a new float array (rows, cols); *data is
 * NULL if the set has no such tensor. */
static sa_status get_matrix(float **data, size_t *rows, size_t *cols,
                           const sa_tensor_set *set, const char *name,
                           sa_error *err)
{
    const sa_tensor *t = sa_tensor_find(set, name);
    *data = NULL;
    *rows = *cols = 0;
    if (!t)
        return SA_OK;
    if (t->ndim != 2)
        return sa_fail(err, SA_ERR_DATA, 0, 0, "%s must be a non-empty matrix "
                       "(2 dimensions), not %zu-dimensional", name, t->ndim);
    if (t->shape[0] == 0 || t->shape[1] == 0) {
        char shape[96];
        sa_format_shape(shape, sizeof shape, t->ndim, t->shape);
        return sa_fail(err, SA_ERR_DATA, 0, 0, "%s must be a non-empty matrix "
                       "(2 dimensions), not %s", name, shape);
    }
    *rows = t->shape[0];
    *cols = t->shape[1];
    return sa_tensor_floats(data, t, err);
}

/* The optional vector `name`, which must have `want` elements (why says
 * where that number comes from). */
static sa_status get_vector(float **data, const sa_tensor_set *set,
                            const char *name, size_t want, const char *why,
                            sa_error *err)
{
    const sa_tensor *t = sa_tensor_find(set, name);
    *data = NULL;
    if (!t)
        return SA_OK;
    if (t->ndim != 1)
        return sa_fail(err, SA_ERR_DATA, 0, 0, "%s must be a vector (1 "
                       "dimension), not %zu-dimensional", name, t->ndim);
    if (t->shape[0] != want)
        return sa_fail(err, SA_ERR_DATA, 0, 0,
                       "%s has %zu elements but must have %zu (%s)", name,
                       t->shape[0], want, why);
    return sa_tensor_floats(data, t, err);
}

/* As get_matrix, for a matrix only read (transposed or split): without a
 * copy when the file holds it as float32 already (sa_tensor_native_f32),
 * *view then points into the file's bytes and *owned is NULL; otherwise
 * *view is *owned, a converted copy the caller frees.  Large weights are
 * copied once, not twice (memory this program has not touched is slow to
 * touch, see alloc.c). */
static sa_status get_matrix_view(const float **view, float **owned, size_t *rows,
                                 size_t *cols, const sa_tensor_set *set,
                                 const char *name, sa_error *err)
{
    const sa_tensor *t = sa_tensor_find(set, name);
    const float *native = t && t->ndim == 2 ? sa_tensor_native_f32(t) : NULL;
    *view = *owned = NULL;
    if (native && t->shape[0] && t->shape[1]) {
        *rows = t->shape[0];
        *cols = t->shape[1];
        sa_status status = sa_floats_finite(native, *rows * *cols, t->name, err);
        if (!status)
            *view = native;
        return status;
    }
    sa_status status = get_matrix(owned, rows, cols, set, name, err);
    *view = *owned;
    return status;
}

/* A new (cols, count) array: the transpose of rows [first, first + count)
 * of src (any rows, cols), in 16 x 16 blocks so that reads and writes both
 * stay within a few cache lines (512 x 512, measured on warm memory:
 * element by element 1.6 ms, 16 x 16 blocks 0.11 ms, 32 x 32 blocks
 * 0.65 ms as their columns, 2 KiB apart, share too few cache sets). */
static float *transpose_rows(const float *src, size_t first, size_t count,
                             size_t cols)
{
    enum { B = 16 };
    float *dst = sa_alloc_large(count * cols * sizeof *dst);
    if (dst)
        for (size_t i0 = 0; i0 < count; i0 += B)
            for (size_t j0 = 0; j0 < cols; j0 += B)
                for (size_t i = i0; i < i0 + B && i < count; i++)
                    for (size_t j = j0; j < j0 + B && j < cols; j++)
                        dst[j * count + i] = src[(first + i) * cols + j];
    return dst;
}

/* A new (rows, count) array: columns [first, first + count) of src (rows,
 * cols). */
static float *take_columns(const float *src, size_t rows, size_t cols,
                           size_t first, size_t count)
{
    float *dst = sa_alloc_large(rows * count * sizeof *dst);
    if (dst)
        for (size_t i = 0; i < rows; i++)
            memcpy(dst + i * count, src + i * cols + first, count * sizeof *dst);
    return dst;
}

/* A new copy of src[first .. first + count). */
static float *take_range(const float *src, size_t first, size_t count)
{
    float *dst = malloc((count ? count : 1) * sizeof *dst);
    if (dst)
        memcpy(dst, src + first, count * sizeof *dst);
    return dst;
}

/* Math convention: Wq (d, P), Wk and Wv (d_ctx, Pkv), Wo (P, d_out). */
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
        if ((status = get_matrix(m[i], &r[i], &c[i], set, names[i], err)))
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
    if ((status = get_matrix(&w->wo, &ro, &co, set, "Wo", err)))
        return status;
    if (w->wo && ro != w->d_proj)
        return sa_fail(err, SA_ERR_DATA, 0, 0,
                       "Wo is %zu x %zu but must have %zu rows (the columns "
                       "of Wq)", ro, co, w->d_proj);
    w->d_out = w->wo ? co : w->d_proj;
    if ((status = get_vector(&w->bq, set, "bq", w->d_proj, "the columns of Wq", err)) ||
        (status = get_vector(&w->bk, set, "bk", w->d_kv, "the columns of Wk", err)) ||
        (status = get_vector(&w->bv, set, "bv", w->d_kv, "the columns of Wv", err)) ||
        (status = get_vector(&w->bo, set, "bo", w->d_out,
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
        status = get_matrix_view(&m, &owned, &rows[i], &cols[i], set, names[i], err);
        if (!status && i > 0 && rows[i] != rows[0])
            status = sa_fail(err, SA_ERR_DATA, 0, 0,
                             "%s is %zu x %zu but q_proj_weight has %zu rows",
                             names[i], rows[i], cols[i], rows[0]);
        if (!status && i == 2 && cols[2] != cols[1])
            status = sa_fail(err, SA_ERR_DATA, 0, 0,
                             "v_proj_weight is %zu x %zu but k_proj_weight is "
                             "%zu x %zu; selfattn needs kdim = vdim",
                             rows[2], cols[2], rows[1], cols[1]);
        if (!status && !(*dst[i] = transpose_rows(m, 0, rows[i], cols[i])))
            status = sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
        free(owned);
    }
    if (status)
        return status;
    w->d_model = cols[0];
    w->d_kv_in = cols[1];
    w->d_proj = w->d_kv = rows[0];
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
        if ((status = get_matrix_view(&in, &in_owned, &rows, &d, set,
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
        w->wq = transpose_rows(in, 0, P, d);
        w->wk = transpose_rows(in, P, P, d);
        w->wv = transpose_rows(in, 2 * P, P, d);
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
    if ((status = get_matrix_view(&out, &out_owned, &out_rows, &out_cols, set,
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
    if ((status = get_vector(&in_bias, set, "in_proj_bias", 3 * P,
                             "three times the query projection's width", err)) ||
        (status = get_vector(&w->bo, set, "out_proj.bias", w->d_out,
                             out ? "the rows of out_proj.weight"
                                 : "the query projection's width", err)))
        goto done;
    if (out && !(w->wo = transpose_rows(out, 0, w->d_out, P)))
        goto nomem;
    if (in_bias && (!(w->bq = take_range(in_bias, 0, P)) ||
                    !(w->bk = take_range(in_bias, P, P)) ||
                    !(w->bv = take_range(in_bias, 2 * P, P))))
        goto nomem;
    goto done;
nomem:
    status = sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
done:
    free(in_owned);
    free(out_owned);
    free(in_bias);
    return status;
}

/* ---- whole-model checkpoints ------------------------------------------- */

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
    if ((status = get_matrix(&attn, &d, &cols, set, attn_name, err)))
        return status;
    if (cols % 3 != 0) {
        status = sa_fail(err, SA_ERR_DATA, 0, 0, "%s is %zu x %zu but its "
                         "columns must be 3 blocks (q, k, v)", attn_name, d, cols);
        goto done;
    }
    size_t P = cols / 3;
    w->d_model = w->d_kv_in = d;
    w->d_proj = w->d_kv = P;
    if (!(w->wq = take_columns(attn, d, cols, 0, P)) ||
        !(w->wk = take_columns(attn, d, cols, P, P)) ||
        !(w->wv = take_columns(attn, d, cols, 2 * P, P)))
        goto nomem;
    snprintf(why, sizeof why, "the columns of c_attn.weight");
    if ((status = get_vector(&bias, set, layer_name(name, sizeof name, prefix,
                             "h.%ld.attn.c_attn.bias", layer), cols, why, err)))
        goto done;
    if (bias && (!(w->bq = take_range(bias, 0, P)) ||
                 !(w->bk = take_range(bias, P, P)) ||
                 !(w->bv = take_range(bias, 2 * P, P))))
        goto nomem;
    const char *proj = layer_name(name, sizeof name, prefix, "h.%ld.attn.c_proj.weight", layer);
    if ((status = get_matrix(&w->wo, &ro, &co, set, proj, err)))
        goto done;
    if (w->wo && ro != P) {
        status = sa_fail(err, SA_ERR_DATA, 0, 0, "%s is %zu x %zu but must "
                         "have %zu rows", proj, ro, co, P);
        goto done;
    }
    w->d_out = w->wo ? co : P;
    status = get_vector(&w->bo, set, layer_name(name, sizeof name, prefix,
                        "h.%ld.attn.c_proj.bias", layer), w->d_out,
                        "the columns of c_proj.weight", err);
    goto done;
nomem:
    status = sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
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
        if ((status = get_matrix_view(&m, &owned, &r, &c, set, name, err)))
            return status;
        if (i > 0 && (r != rows || c != cols)) {
            free(owned);
            return sa_fail(err, SA_ERR_DATA, 0, 0, "%s is %zu x %zu but the "
                           "query weight is %zu x %zu", name, r, c, rows, cols);
        }
        rows = r;
        cols = c;
        *dst[i] = transpose_rows(m, 0, r, c);
        free(owned);
        if (!*dst[i])
            return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
        snprintf(fmt, sizeof fmt, "encoder.layer.%%ld.attention.self.%s.bias", parts[i]);
        if ((status = get_vector(bias_dst[i], set, layer_name(name, sizeof name,
                                 prefix, fmt, layer), rows,
                                 "the rows of its weight", err)))
            return status;
    }
    w->d_model = w->d_kv_in = cols;
    w->d_proj = w->d_kv = rows;
    const float *out;
    float *out_owned;
    const char *dense = layer_name(name, sizeof name, prefix,
                                   "encoder.layer.%ld.attention.output.dense.weight", layer);
    if ((status = get_matrix_view(&out, &out_owned, &r, &c, set, dense, err)))
        return status;
    if (out && c != rows) {
        free(out_owned);
        return sa_fail(err, SA_ERR_DATA, 0, 0, "%s is %zu x %zu but must have "
                       "%zu columns", dense, r, c, rows);
    }
    w->d_out = out ? r : rows;
    if (out) {
        w->wo = transpose_rows(out, 0, r, c);
        free(out_owned);
        if (!w->wo)
            return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
    }
    return get_vector(&w->bo, set, layer_name(name, sizeof name, prefix,
                      "encoder.layer.%ld.attention.output.dense.bias", layer),
                      w->d_out, "the rows of attention.output.dense.weight", err);
}

sa_status sa_weights_from_tensors(sa_weights *w, const sa_tensor_set *set,
                                  long layer, sa_error *err)
{
    bool has_math = false, has_torch = false;
    sa_status status = SA_OK;
    const char *prefix;

    memset(w, 0, sizeof *w);
    if (layer < 0)
        layer = 0;
    for (size_t k = 0; k < COUNT(checkpoints); k++) {
        const checkpoint_kind *kind = &checkpoints[k];
        if (!find_checkpoint(&prefix, set, kind))
            continue;
        char name[192];
        w->convention = kind->convention;
        if (!sa_tensor_find(set, layer_name(name, sizeof name, prefix, kind->probe, layer)))
            status = missing_layer(set, prefix, kind, layer, err);
        else if (kind->convention == SA_CONVENTION_GPT2)
            status = read_gpt2(w, set, prefix, layer, err);
        else
            status = read_bert(w, set, prefix, layer, err);
        goto done;
    }
    for (size_t i = 0; i < set->count; i++) {
        const char *key = set->items[i].name;
        if (is_one_of(key, math_keys, COUNT(math_keys)))
            has_math = true;
        else if (is_one_of(key, torch_keys, COUNT(torch_keys)))
            has_torch = true;
        else
            return sa_fail(err, SA_ERR_DATA, 0, 0,
                           "unknown key \"%.64s\" (expected Wq, Wk, Wv, Wo, "
                           "bq, bk, bv, bo, or torch's in_proj_weight, "
                           "in_proj_bias, q_proj_weight, k_proj_weight, "
                           "v_proj_weight, out_proj.weight, out_proj.bias; "
                           "or a GPT-2 or BERT checkpoint)",
                           key);
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
done:
    if (status)
        sa_weights_free(w);
    return status;
}

sa_status sa_weights_load(sa_weights *w, const char *name, const char *text,
                          size_t len, long layer, sa_error *err)
{
    sa_tensor_set set;
    memset(w, 0, sizeof *w);
    sa_status status = sa_read_tensors(&set, name, text, len, err);
    if (status)
        return status;
    status = sa_weights_from_tensors(w, &set, layer, err);
    sa_tensor_set_free(&set);
    return status;
}

sa_status sa_weights_from_json(sa_weights *w, const char *text, size_t len,
                               sa_error *err)
{
    return sa_weights_load(w, "weights.json", text, len, -1, err);
}
