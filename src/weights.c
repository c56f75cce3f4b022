/* weights.c — projection weights: from JSON in either naming convention,
 * generated from a seed, checked against an input, written back as JSON.
 * Legend: d = model width, P = H * dh projected width, d_out = output width. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "json_util.h"

static const char *const math_keys[] = {"Wq", "Wk", "Wv", "Wo",
                                        "bq", "bk", "bv", "bo"};
static const char *const torch_keys[] = {"in_proj_weight", "in_proj_bias",
                                         "out_proj.weight", "out_proj.bias"};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static bool is_one_of(const char *key, const char *const *keys, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(key, keys[i]) == 0)
            return true;
    return false;
}

void sa_weights_free(sa_weights *w)
{
    free(w->wq);
    free(w->wk);
    free(w->wv);
    free(w->bq);
    free(w->bk);
    free(w->bv);
    free(w->wo);
    free(w->bo);
    memset(w, 0, sizeof *w);
}

/* Reads the optional matrix `key` of root into *data (rows, cols). */
static sa_status get_rows(float **data, size_t *rows, size_t *cols,
                          const cJSON *root, const char *key, sa_error *err)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, key);
    *data = NULL;
    *rows = *cols = 0;
    return item ? sa_json_rows(data, rows, cols, item, false, key, err) : SA_OK;
}

/* Reads the optional vector `key` of root, which must have `want` elements. */
static sa_status get_vector(float **data, const cJSON *root, const char *key,
                            size_t want, const char *why, sa_error *err)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, key);
    size_t len;
    *data = NULL;
    if (!item)
        return SA_OK;
    sa_status status = sa_json_vector(data, &len, item, key, err);
    if (status)
        return status;
    if (len != want) {
        free(*data);
        *data = NULL;
        return sa_fail(err, SA_ERR_DATA, 0, 0,
                       "%s has %zu elements but must have %zu (%s)", key, len,
                       want, why);
    }
    return SA_OK;
}

/* Math convention: Q = X Wq + bq with Wq (d, P), Wo (P, d_out). */
static sa_status read_math(sa_weights *w, const cJSON *root, sa_error *err)
{
    size_t r[3], c[3], ro, co;
    float **m[3] = {&w->wq, &w->wk, &w->wv};
    const char *names[3] = {"Wq", "Wk", "Wv"};
    sa_status status;

    for (int i = 0; i < 3; i++) {
        if (!cJSON_GetObjectItemCaseSensitive(root, names[i]))
            return sa_fail(err, SA_ERR_DATA, 0, 0,
                           "missing %s (math convention needs Wq, Wk and Wv)",
                           names[i]);
        status = get_rows(m[i], &r[i], &c[i], root, names[i], err);
        if (status)
            return status;
        if (i > 0 && (r[i] != r[0] || c[i] != c[0]))
            return sa_fail(err, SA_ERR_DATA, 0, 0,
                           "%s is %zu x %zu but Wq is %zu x %zu; Wq, Wk and Wv "
                           "must have the same shape", names[i], r[i], c[i],
                           r[0], c[0]);
    }
    w->d_model = r[0];
    w->d_proj = c[0];
    status = get_rows(&w->wo, &ro, &co, root, "Wo", err);
    if (status)
        return status;
    if (w->wo && ro != w->d_proj)
        return sa_fail(err, SA_ERR_DATA, 0, 0,
                       "Wo is %zu x %zu but must have %zu rows (the columns "
                       "of Wq)", ro, co, w->d_proj);
    w->d_out = w->wo ? co : w->d_proj;
    if ((status = get_vector(&w->bq, root, "bq", w->d_proj, "the columns of Wq", err)) ||
        (status = get_vector(&w->bk, root, "bk", w->d_proj, "the columns of Wk", err)) ||
        (status = get_vector(&w->bv, root, "bv", w->d_proj, "the columns of Wv", err)) ||
        (status = get_vector(&w->bo, root, "bo", w->d_out,
                             w->wo ? "the columns of Wo" : "the columns of Wq, without Wo",
                             err)))
        return status;
    return SA_OK;
}

/* Copies the transpose of rows [first, first + P) of src (3P, d) into a new
 * (d, P) array. */
static float *transpose_block(const float *src, size_t first, size_t P, size_t d)
{
    float *dst = malloc(d * P * sizeof *dst);
    if (dst)
        for (size_t i = 0; i < P; i++)
            for (size_t j = 0; j < d; j++)
                dst[j * P + i] = src[(first + i) * d + j];
    return dst;
}

/* Torch convention: in_proj_weight (3P, d) with q, k, v row blocks and
 * y = x W^T; out_proj.weight (d_out, P). */
static sa_status read_torch(sa_weights *w, const cJSON *root, sa_error *err)
{
    float *in = NULL, *out = NULL, *in_bias = NULL;
    size_t rows, d, out_rows, out_cols;
    sa_status status;

    if (!cJSON_GetObjectItemCaseSensitive(root, "in_proj_weight"))
        return sa_fail(err, SA_ERR_DATA, 0, 0, "missing in_proj_weight");
    status = get_rows(&in, &rows, &d, root, "in_proj_weight", err);
    if (status)
        return status;
    if (rows % 3 != 0) {
        status = sa_fail(err, SA_ERR_DATA, 0, 0,
                         "in_proj_weight is %zu x %zu but its rows must be "
                         "3 blocks (q, k, v) of equal size", rows, d);
        goto done;
    }
    size_t P = rows / 3;
    w->d_model = d;
    w->d_proj = P;
    status = get_rows(&out, &out_rows, &out_cols, root, "out_proj.weight", err);
    if (status)
        goto done;
    if (out && out_cols != P) {
        status = sa_fail(err, SA_ERR_DATA, 0, 0,
                         "out_proj.weight is %zu x %zu but must have %zu "
                         "columns (a third of the rows of in_proj_weight)",
                         out_rows, out_cols, P);
        goto done;
    }
    w->d_out = out ? out_rows : P;
    status = get_vector(&in_bias, root, "in_proj_bias", 3 * P,
                        "the rows of in_proj_weight", err);
    if (status)
        goto done;
    status = get_vector(&w->bo, root, "out_proj.bias", w->d_out,
                        out ? "the rows of out_proj.weight"
                            : "a third of the rows of in_proj_weight", err);
    if (status)
        goto done;

    w->wq = transpose_block(in, 0, P, d);
    w->wk = transpose_block(in, P, P, d);
    w->wv = transpose_block(in, 2 * P, P, d);
    if (out)
        w->wo = transpose_block(out, 0, w->d_out, P);
    if (in_bias) {
        w->bq = malloc(P * sizeof(float));
        w->bk = malloc(P * sizeof(float));
        w->bv = malloc(P * sizeof(float));
    }
    if (!w->wq || !w->wk || !w->wv || (out && !w->wo) ||
        (in_bias && (!w->bq || !w->bk || !w->bv))) {
        status = sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
        goto done;
    }
    if (in_bias) {
        memcpy(w->bq, in_bias, P * sizeof(float));
        memcpy(w->bk, in_bias + P, P * sizeof(float));
        memcpy(w->bv, in_bias + 2 * P, P * sizeof(float));
    }
done:
    free(in);
    free(out);
    free(in_bias);
    return status;
}

sa_status sa_weights_from_json(sa_weights *w, const char *text, size_t len,
                               sa_error *err)
{
    cJSON *root = NULL;
    bool has_math = false, has_torch = false;
    sa_status status;

    memset(w, 0, sizeof *w);
    status = sa_json_parse(&root, text, len, err);
    if (status)
        return status;
    if (!cJSON_IsObject(root)) {
        status = sa_fail(err, SA_ERR_DATA, 0, 0,
                         "weights must be a JSON object of named matrices");
        goto done;
    }
    for (const cJSON *item = root->child; item; item = item->next) {
        const char *key = item->string;
        if (key[0] == '_' || strcmp(key, "config") == 0)
            continue;
        if (is_one_of(key, math_keys, COUNT(math_keys)))
            has_math = true;
        else if (is_one_of(key, torch_keys, COUNT(torch_keys)))
            has_torch = true;
        else {
            status = sa_fail(err, SA_ERR_DATA, 0, 0,
                             "unknown key \"%.64s\" (expected Wq, Wk, Wv, Wo, "
                             "bq, bk, bv, bo, or torch's in_proj_weight, "
                             "in_proj_bias, out_proj.weight, out_proj.bias)",
                             key);
            goto done;
        }
    }
    if (has_math && has_torch) {
        status = sa_fail(err, SA_ERR_DATA, 0, 0,
                         "mixes math-convention keys (Wq, ...) with torch "
                         "keys (in_proj_weight, ...); use one convention");
    } else if (has_torch) {
        w->convention = SA_CONVENTION_TORCH;
        status = read_torch(w, root, err);
    } else if (has_math) {
        w->convention = SA_CONVENTION_MATH;
        status = read_math(w, root, err);
    } else {
        status = sa_fail(err, SA_ERR_DATA, 0, 0,
                         "no weights found (expected Wq, Wk, Wv or torch's "
                         "in_proj_weight)");
    }
done:
    if (status)
        sa_weights_free(w);
    cJSON_Delete(root);
    return status;
}

/* Fills a new (rows, cols) array with uniform [-a, a), a = 1/sqrt(rows). */
static float *generate_matrix(sa_rng *rng, size_t rows, size_t cols)
{
    float *m = malloc(rows * cols * sizeof *m);
    float a = (float)(1.0 / sqrt((double)rows));
    if (!m)
        return NULL;
    for (size_t i = 0; i < rows * cols; i++)
        m[i] = a * (2.0f * sa_rng_uniform(rng) - 1.0f);
    return m;
}

sa_status sa_weights_generate(sa_weights *w, size_t d_model, size_t heads,
                              size_t d_head, bool out_proj, uint64_t seed,
                              sa_error *err)
{
    sa_rng rng;
    memset(w, 0, sizeof *w);
    if (d_model == 0 || heads == 0 || d_head == 0)
        return sa_fail(err, SA_ERR_USAGE, 0, 0,
                       "d_model, heads and d_head must be positive");
    if (d_head > SIZE_MAX / heads || d_model > SIZE_MAX / sizeof(float) / 4 / (heads * d_head))
        return sa_fail(err, SA_ERR_USAGE, 0, 0, "weights too large");
    sa_rng_seed(&rng, seed);
    w->convention = SA_CONVENTION_SEED;
    w->d_model = d_model;
    w->d_proj = heads * d_head;
    w->d_out = out_proj ? d_model : w->d_proj;
    w->wq = generate_matrix(&rng, d_model, w->d_proj);
    w->wk = w->wq ? generate_matrix(&rng, d_model, w->d_proj) : NULL;
    w->wv = w->wk ? generate_matrix(&rng, d_model, w->d_proj) : NULL;
    if (out_proj && w->wv)
        w->wo = generate_matrix(&rng, w->d_proj, d_model);
    if (!w->wv || (out_proj && !w->wo)) {
        sa_weights_free(w);
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
    }
    return SA_OK;
}

sa_status sa_weights_check(const sa_weights *w, size_t d, size_t heads,
                           sa_error *err)
{
    if (w->d_model != d) {
        if (w->convention == SA_CONVENTION_TORCH)
            return sa_fail(err, SA_ERR_DATA, 0, 0,
                           "the input has %zu columns but in_proj_weight is "
                           "%zu x %zu, which expects %zu", d, 3 * w->d_proj,
                           w->d_model, w->d_model);
        return sa_fail(err, SA_ERR_DATA, 0, 0,
                       "the input has %zu columns but Wq is %zu x %zu, which "
                       "expects %zu", d, w->d_model, w->d_proj, w->d_model);
    }
    if (heads == 0 || w->d_proj % heads != 0)
        return sa_fail(err, SA_ERR_USAGE, 0, 0,
                       "%zu heads do not divide the projected width %zu",
                       heads, w->d_proj);
    return SA_OK;
}

sa_status sa_weights_write_json(FILE *out, const sa_weights *w,
                                const char *config, sa_error *err)
{
    const struct { const char *name; const float *m; size_t rows, cols; } mats[] = {
        {"Wq", w->wq, w->d_model, w->d_proj}, {"Wk", w->wk, w->d_model, w->d_proj},
        {"Wv", w->wv, w->d_model, w->d_proj}, {"Wo", w->wo, w->d_proj, w->d_out},
        {"bq", w->bq, 0, w->d_proj}, {"bk", w->bk, 0, w->d_proj},
        {"bv", w->bv, 0, w->d_proj}, {"bo", w->bo, 0, w->d_out},
    };
    bool first = true;
    fputs("{\n", out);
    if (config) {
        fprintf(out, "  \"config\": %s", config);
        first = false;
    }
    for (size_t i = 0; i < COUNT(mats); i++) {
        if (!mats[i].m)
            continue;
        fprintf(out, "%s  \"%s\": ", first ? "" : ",\n", mats[i].name);
        if (mats[i].rows)
            sa_json_write_rows(out, mats[i].m, mats[i].rows, mats[i].cols, 2);
        else
            sa_json_write_vector(out, mats[i].m, mats[i].cols);
        first = false;
    }
    fputs("\n}\n", out);
    return sa_stream_status(out, err);
}
