/* weights.c — projection weights: from JSON in either naming convention,
 * generated from a seed, checked against an input, written back as JSON.
 * Legend: d = model width, d_ctx = key/value input width, P = H * dh query
 * width, Pkv = G * dh key/value width, d_out = output width. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "json_util.h"

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

/* Math convention: Q = X Wq + bq with Wq (d, P), Wk and Wv (d_ctx, Pkv),
 * Wo (P, d_out). */
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
    }
    if (r[2] != r[1] || c[2] != c[1])
        return sa_fail(err, SA_ERR_DATA, 0, 0,
                       "Wv is %zu x %zu but Wk is %zu x %zu; Wk and Wv must "
                       "have the same shape", r[2], c[2], r[1], c[1]);
    w->d_model = r[0];
    w->d_proj = c[0];
    w->d_kv_in = r[1];
    w->d_kv = c[1];
    status = get_rows(&w->wo, &ro, &co, root, "Wo", err);
    if (status)
        return status;
    if (w->wo && ro != w->d_proj)
        return sa_fail(err, SA_ERR_DATA, 0, 0,
                       "Wo is %zu x %zu but must have %zu rows (the columns "
                       "of Wq)", ro, co, w->d_proj);
    w->d_out = w->wo ? co : w->d_proj;
    if ((status = get_vector(&w->bq, root, "bq", w->d_proj, "the columns of Wq", err)) ||
        (status = get_vector(&w->bk, root, "bk", w->d_kv, "the columns of Wk", err)) ||
        (status = get_vector(&w->bv, root, "bv", w->d_kv, "the columns of Wv", err)) ||
        (status = get_vector(&w->bo, root, "bo", w->d_out,
                             w->wo ? "the columns of Wo" : "the columns of Wq, without Wo",
                             err)))
        return status;
    return SA_OK;
}

/* Copies the transpose of rows [first, first + P) of src (any rows, d) into
 * a new (d, P) array. */
static float *transpose_block(const float *src, size_t first, size_t P, size_t d)
{
    float *dst = malloc(d * P * sizeof *dst);
    if (dst)
        for (size_t i = 0; i < P; i++)
            for (size_t j = 0; j < d; j++)
                dst[j * P + i] = src[(first + i) * d + j];
    return dst;
}

/* Reads torch's separate projections q_proj_weight (P, d), k_proj_weight
 * and v_proj_weight (P, d_ctx) into the math convention. */
static sa_status read_torch_separate(sa_weights *w, const cJSON *root,
                                     sa_error *err)
{
    const char *names[3] = {"q_proj_weight", "k_proj_weight", "v_proj_weight"};
    float **dst[3] = {&w->wq, &w->wk, &w->wv};
    size_t rows[3], cols[3];
    sa_status status = SA_OK;

    for (int i = 0; i < 3 && !status; i++) {
        float *m = NULL;
        if (!cJSON_GetObjectItemCaseSensitive(root, names[i]))
            return sa_fail(err, SA_ERR_DATA, 0, 0, "missing %s (torch's "
                           "separate projections need all three)", names[i]);
        status = get_rows(&m, &rows[i], &cols[i], root, names[i], err);
        if (!status && i > 0 && rows[i] != rows[0])
            status = sa_fail(err, SA_ERR_DATA, 0, 0,
                             "%s is %zu x %zu but q_proj_weight has %zu rows",
                             names[i], rows[i], cols[i], rows[0]);
        if (!status && i == 2 && cols[2] != cols[1])
            status = sa_fail(err, SA_ERR_DATA, 0, 0,
                             "v_proj_weight is %zu x %zu but k_proj_weight is "
                             "%zu x %zu; selfattn needs kdim = vdim",
                             rows[2], cols[2], rows[1], cols[1]);
        if (!status) {
            *dst[i] = transpose_block(m, 0, rows[i], cols[i]);
            if (!*dst[i])
                status = sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
        }
        free(m);
    }
    if (status)
        return status;
    w->d_model = cols[0];
    w->d_kv_in = cols[1];
    w->d_proj = w->d_kv = rows[0];
    return SA_OK;
}

/* Torch convention: in_proj_weight (3P, d) with q, k, v row blocks and
 * y = x W^T (or the three separate *_proj_weight), in_proj_bias (3P),
 * out_proj.weight (d_out, P). */
static sa_status read_torch(sa_weights *w, const cJSON *root, sa_error *err)
{
    float *in = NULL, *out = NULL, *in_bias = NULL;
    size_t rows, d, out_rows, out_cols;
    sa_status status;

    if (cJSON_GetObjectItemCaseSensitive(root, "in_proj_weight")) {
        if (cJSON_GetObjectItemCaseSensitive(root, "q_proj_weight"))
            return sa_fail(err, SA_ERR_DATA, 0, 0, "both in_proj_weight and "
                           "q_proj_weight; torch has one or the other");
        status = get_rows(&in, &rows, &d, root, "in_proj_weight", err);
        if (status)
            return status;
        if (rows % 3 != 0) {
            status = sa_fail(err, SA_ERR_DATA, 0, 0,
                             "in_proj_weight is %zu x %zu but its rows must be "
                             "3 blocks (q, k, v) of equal size", rows, d);
            goto done;
        }
        w->d_proj = w->d_kv = rows / 3;
        w->d_model = w->d_kv_in = d;
        w->wq = transpose_block(in, 0, w->d_proj, d);
        w->wk = transpose_block(in, w->d_proj, w->d_proj, d);
        w->wv = transpose_block(in, 2 * w->d_proj, w->d_proj, d);
        if (!w->wq || !w->wk || !w->wv) {
            status = sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
            goto done;
        }
    } else if (cJSON_GetObjectItemCaseSensitive(root, "q_proj_weight")) {
        status = read_torch_separate(w, root, err);
        if (status)
            goto done;
    } else {
        return sa_fail(err, SA_ERR_DATA, 0, 0,
                       "missing in_proj_weight (or q_proj_weight, ...)");
    }
    size_t P = w->d_proj;
    status = get_rows(&out, &out_rows, &out_cols, root, "out_proj.weight", err);
    if (status)
        goto done;
    if (out && out_cols != P) {
        status = sa_fail(err, SA_ERR_DATA, 0, 0,
                         "out_proj.weight is %zu x %zu but must have %zu "
                         "columns (the query projection's width)",
                         out_rows, out_cols, P);
        goto done;
    }
    w->d_out = out ? out_rows : P;
    status = get_vector(&in_bias, root, "in_proj_bias", 3 * P,
                        "three times the query projection's width", err);
    if (status)
        goto done;
    status = get_vector(&w->bo, root, "out_proj.bias", w->d_out,
                        out ? "the rows of out_proj.weight"
                            : "the query projection's width", err);
    if (status)
        goto done;
    if (out)
        w->wo = transpose_block(out, 0, w->d_out, P);
    if (in_bias) {
        w->bq = malloc(P * sizeof(float));
        w->bk = malloc(P * sizeof(float));
        w->bv = malloc(P * sizeof(float));
    }
    if ((out && !w->wo) || (in_bias && (!w->bq || !w->bk || !w->bv))) {
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

sa_status sa_weights_generate(sa_weights *w, size_t d_model, size_t d_kv_in,
                              size_t heads, size_t kv_heads, size_t d_head,
                              bool out_proj, uint64_t seed, sa_error *err)
{
    sa_rng rng;
    memset(w, 0, sizeof *w);
    if (d_model == 0 || d_kv_in == 0 || heads == 0 || kv_heads == 0 ||
        d_head == 0)
        return sa_fail(err, SA_ERR_USAGE, 0, 0,
                       "widths and head counts must be positive");
    size_t widest = d_model > d_kv_in ? d_model : d_kv_in;
    if (d_head > SIZE_MAX / heads ||
        widest > SIZE_MAX / sizeof(float) / 4 / (heads * d_head))
        return sa_fail(err, SA_ERR_USAGE, 0, 0, "weights too large");
    sa_rng_seed(&rng, seed);
    w->convention = SA_CONVENTION_SEED;
    w->d_model = d_model;
    w->d_kv_in = d_kv_in;
    w->d_proj = heads * d_head;
    w->d_kv = kv_heads * d_head;
    w->d_out = out_proj ? d_model : w->d_proj;
    w->wq = generate_matrix(&rng, d_model, w->d_proj);
    w->wk = w->wq ? generate_matrix(&rng, d_kv_in, w->d_kv) : NULL;
    w->wv = w->wk ? generate_matrix(&rng, d_kv_in, w->d_kv) : NULL;
    if (out_proj && w->wv)
        w->wo = generate_matrix(&rng, w->d_proj, d_model);
    if (!w->wv || (out_proj && !w->wo)) {
        sa_weights_free(w);
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
    }
    return SA_OK;
}

sa_status sa_weights_check(const sa_weights *w, size_t d, size_t d_ctx,
                           size_t heads, size_t kv_heads, sa_error *err)
{
    bool torch = w->convention == SA_CONVENTION_TORCH;
    if (w->d_model != d) {
        if (torch)
            return sa_fail(err, SA_ERR_DATA, 0, 0,
                           "the input has %zu columns but the weights expect "
                           "%zu (the columns of in_proj_weight or "
                           "q_proj_weight)", d, w->d_model);
        return sa_fail(err, SA_ERR_DATA, 0, 0,
                       "the input has %zu columns but Wq is %zu x %zu, which "
                       "expects %zu", d, w->d_model, w->d_proj, w->d_model);
    }
    if (w->d_kv_in != d_ctx) {
        const char *source = d_ctx == d ? "input" : "context";
        if (torch)
            return sa_fail(err, SA_ERR_DATA, 0, 0,
                           "the %s has %zu columns but the key/value weights "
                           "expect %zu (the columns of k_proj_weight)",
                           source, d_ctx, w->d_kv_in);
        return sa_fail(err, SA_ERR_DATA, 0, 0,
                       "the %s has %zu columns but Wk is %zu x %zu, which "
                       "expects %zu", source, d_ctx, w->d_kv_in, w->d_kv,
                       w->d_kv_in);
    }
    if (heads == 0 || w->d_proj % heads != 0)
        return sa_fail(err, SA_ERR_USAGE, 0, 0,
                       "%zu heads do not divide the projected width %zu",
                       heads, w->d_proj);
    if (kv_heads == 0 || heads % kv_heads != 0)
        return sa_fail(err, SA_ERR_USAGE, 0, 0,
                       "%zu key/value head(s) do not divide %zu heads",
                       kv_heads, heads);
    size_t dh = w->d_proj / heads;
    if (w->d_kv != kv_heads * dh)
        return sa_fail(err, SA_ERR_DATA, 0, 0,
                       "%s has %zu columns but %zu key/value head(s) of width "
                       "%zu need %zu", torch ? "the key projection" : "Wk",
                       w->d_kv, kv_heads, dh, kv_heads * dh);
    return SA_OK;
}

sa_status sa_weights_write_json(FILE *out, const sa_weights *w,
                                const char *config, sa_error *err)
{
    const struct { const char *name; const float *m; size_t rows, cols; } mats[] = {
        {"Wq", w->wq, w->d_model, w->d_proj}, {"Wk", w->wk, w->d_kv_in, w->d_kv},
        {"Wv", w->wv, w->d_kv_in, w->d_kv}, {"Wo", w->wo, w->d_proj, w->d_out},
        {"bq", w->bq, 0, w->d_proj}, {"bk", w->bk, 0, w->d_kv},
        {"bv", w->bv, 0, w->d_kv}, {"bo", w->bo, 0, w->d_out},
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
