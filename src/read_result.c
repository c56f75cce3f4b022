/* read_result.c — a saved JSON result of `selfattn run` read back for
 * pictures: the weights (of every head, or of the one run --head printed),
 * their average or a step (scores, softmax), the token labels and the
 * masking settings from its config.
 * Legend: H = heads, n = queries, m = keys. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"

void sa_saved_result_free(sa_saved_result *r)
{
    free(r->data);
    for (size_t i = 0; r->row_labels && i < r->rows; i++)
        free(r->row_labels[i]);
    for (size_t j = 0; r->col_labels && j < r->cols; j++)
        free(r->col_labels[j]);
    free(r->row_labels);
    free(r->col_labels);
    free(r->mask_name);
    memset(r, 0, sizeof *r);
}

/* Copies an array of count strings into *labels (NULL if absent). */
static sa_status read_labels(char ***labels, const cJSON *array, size_t count,
                             const char *name, sa_error *err)
{
    *labels = NULL;
    if (!array)
        return SA_OK;
    if (!cJSON_IsArray(array) || (size_t)cJSON_GetArraySize(array) != count)
        return sa_fail(err, SA_ERR_DATA, 0, 0, "%s must be an array of %zu "
                       "strings", name, count);
    *labels = calloc(count, sizeof **labels);
    if (!*labels)
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
    size_t i = 0;
    for (const cJSON *t = array->child; t; t = t->next, i++) {
        if (!cJSON_IsString(t))
            return sa_fail(err, SA_ERR_DATA, 0, 0, "%s, element %zu: expected "
                           "a string", name, i + 1);
        if (!((*labels)[i] = strdup(t->valuestring)))
            return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
    }
    return SA_OK;
}

/* Reads a matrix (rows, cols) of numbers or null (NaN: masked) into out;
 * name says which in messages ("weights, head 2", "average_weights"). */
static sa_status read_panel(float *out, const cJSON *m, size_t rows, size_t cols,
                            const char *name, sa_error *err)
{
    const sa_json_pack *p = sa_json_packed(m);
    if (!cJSON_IsArray(m) || sa_json_length(m) != rows || (p && p->ndim != 2))
        return sa_fail(err, SA_ERR_DATA, 0, 0, "%s: expected %zu rows",
                       name, rows);
    if (p && p->cols == cols && p->first_bool == SIZE_MAX) {
        memcpy(out, p->data, rows * cols * sizeof *out);
        return SA_OK;
    }
    /* not a packed matrix of numbers: find the first row or value at fault */
    size_t i = 0;
    for (const cJSON *row = p ? NULL : m->child; row; row = row->next, i++) {
        const sa_json_pack *r = sa_json_packed(row);
        if (!cJSON_IsArray(row) || sa_json_length(row) != cols || (r && r->ndim != 1))
            return sa_fail(err, SA_ERR_DATA, 0, 0, "%s, row %zu: expected "
                           "%zu values", name, i + 1, cols);
        if (r && r->first_bool == SIZE_MAX) {
            memcpy(out + i * cols, r->data, cols * sizeof *out);
            continue;
        }
        size_t j = 0;
        for (const cJSON *v = r ? NULL : row->child; v; v = v->next, j++) {
            if (cJSON_IsNull(v)) {
                out[i * cols + j] = NAN;
                continue;
            }
            char what[64];
            snprintf(what, sizeof what, "row %zu, column %zu", i + 1, j + 1);
            sa_status status = sa_json_float(&out[i * cols + j], v, false, name,
                                             what, err);
            if (status)
                return status;
        }
        if (r)
            return sa_fail(err, SA_ERR_DATA, 0, 0, "%s, row %zu, column %zu: "
                           "expected a number", name, i + 1, r->first_bool + 1);
    }
    if (p)
        return p->cols != cols
            ? sa_fail(err, SA_ERR_DATA, 0, 0, "%s, row 1: expected %zu values",
                      name, cols)
            : sa_fail(err, SA_ERR_DATA, 0, 0, "%s, row %zu, column %zu: "
                      "expected a number", name, p->first_bool / cols + 1,
                      p->first_bool % cols + 1);
    return SA_OK;
}

static size_t config_size(const cJSON *config, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(config, key);
    return cJSON_IsNumber(v) && v->valuedouble >= 1 && v->valuedouble < 1e9
               ? (size_t)v->valuedouble : 0;
}

/* The panels to draw: the weights, the average_weights, or steps.scores or
 * steps.softmax (what; NULL: weights if printed, else the average, else
 * the softmax step), in *source.  A result of before average_weights had
 * the average under "weights", with config.average_heads. */
static sa_status choose_source(const cJSON **source, sa_saved_result *r,
                               const cJSON *root, const cJSON *config,
                               const char *what, sa_error *err)
{
    const cJSON *steps = cJSON_GetObjectItemCaseSensitive(root, "steps");
    const cJSON *weights = cJSON_GetObjectItemCaseSensitive(root, "weights");
    const cJSON *average = cJSON_GetObjectItemCaseSensitive(root, "average_weights");
    bool old = !average && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(config,
                                                                  "average_heads"));
    if (old) {  // the old shape: "weights" was the n x m average
        average = weights;
        weights = NULL;
    }
    if (!what)
        what = weights ? "weights" : average ? "average" : "softmax";
    bool from_steps = strcmp(what, "scores") == 0 || strcmp(what, "softmax") == 0;
    r->what = !from_steps ? "weights" : strcmp(what, "scores") == 0 ? "scores"
                                                                   : "softmax";
    r->source_name = r->what;
    if (from_steps) {
        *source = cJSON_GetObjectItemCaseSensitive(steps, what);
    } else if (strcmp(what, "weights") == 0 && !old) {
        *source = weights;
    } else {  // the average (what an old averaged result has for weights too)
        *source = average;
        r->averaged = true;
        r->source_name = old ? "weights" : "average_weights";
    }
    if (!weights && !average && !steps)
        return sa_fail(err, SA_ERR_DATA, 0, 0, "the result has neither "
                       "weights nor steps to draw: run with --print weights "
                       "(or steps)");
    if (!*source && strcmp(what, "average") == 0)
        return sa_fail(err, SA_ERR_DATA, 0, 0, "the result has no "
                       "average_weights: run with --average-heads");
    if (!*source)
        return sa_fail(err, SA_ERR_DATA, 0, 0, "the result has no %s%s: run "
                       "with --print %s", from_steps ? "steps." : "",
                       what, from_steps ? "steps" : "weights");
    return SA_OK;
}

/* The numbers of source into r->data: the average, or r->heads of H. */
static sa_status read_panels(sa_saved_result *r, const cJSON *source,
                             size_t H, size_t len, sa_error *err)
{
    size_t n = r->rows, m = r->cols;
    /* every number takes at least two bytes of text ("0,"): a config that
     * claims more than the document holds is a lie, not an allocation */
    if (n > len / 2 / m || r->heads > len / 2 / (n * m))
        return sa_fail(err, SA_ERR_DATA, 0, 0, "config says %zu heads of %zu "
                       "x %zu, more numbers than the document holds",
                       r->heads, n, m);
    r->data = malloc(r->heads * n * m * sizeof *r->data);
    if (!r->data)
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
    if (r->averaged)
        return read_panel(r->data, source, n, m, r->source_name, err);
    if (!cJSON_IsArray(source) || sa_json_packed(source) ||
        (size_t)cJSON_GetArraySize(source) != r->heads)
        return r->heads < H
            ? sa_fail(err, SA_ERR_DATA, 0, 0, "%s: expected head %zu only "
                      "(config.head)", r->what, r->first_head + 1)
            : sa_fail(err, SA_ERR_DATA, 0, 0, "%s: expected %zu heads", r->what, H);
    sa_status status = SA_OK;
    size_t h = 0;
    char name[64];
    for (const cJSON *p = source->child; p && !status; p = p->next, h++) {
        snprintf(name, sizeof name, "%s, head %zu", r->what, r->first_head + h + 1);
        status = read_panel(r->data + h * n * m, p, n, m, name, err);
    }
    return status;
}

/* The masking settings and the labels. */
static sa_status read_settings(sa_saved_result *r, const cJSON *root,
                               const cJSON *config, sa_error *err)
{
    const cJSON *context = cJSON_GetObjectItemCaseSensitive(config, "context");
    const cJSON *window = cJSON_GetObjectItemCaseSensitive(config, "window");
    const cJSON *mask = cJSON_GetObjectItemCaseSensitive(config, "mask");
    r->causal = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(config, "causal"));
    if (cJSON_IsString(mask) && !(r->mask_name = strdup(mask->valuestring)))
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
    r->window = cJSON_IsNumber(window) && window->valuedouble >= 0 &&
                window->valuedouble < 1e15 ? (long)window->valuedouble : -1;
    sa_status status = read_labels(&r->row_labels, cJSON_GetObjectItemCaseSensitive(
                                   root, "tokens"), r->rows, "tokens", err);
    if (status)
        return status;
    return read_labels(&r->col_labels, cJSON_GetObjectItemCaseSensitive(root,
                       cJSON_IsString(context) ? "key_tokens" : "tokens"), r->cols,
                       "key_tokens", err);
}

sa_status sa_read_result(sa_saved_result *r, const char *text, size_t len,
                         const char *what, sa_error *err)
{
    cJSON *root = NULL;
    const cJSON *source;
    sa_status status;
    memset(r, 0, sizeof *r);
    if ((status = sa_json_parse(&root, text, len, err)))
        return status;
    const cJSON *config = cJSON_GetObjectItemCaseSensitive(root, "config");
    if (!cJSON_IsObject(root) || !cJSON_IsObject(config)) {
        status = sa_fail(err, SA_ERR_DATA, 0, 0, "not a result of selfattn run "
                         "(no \"config\" object)");
        goto done;
    }
    size_t n = config_size(config, "n"), H = config_size(config, "heads");
    size_t m = config_size(config, "m"), head = config_size(config, "head");
    if (!n || !H) {
        status = sa_fail(err, SA_ERR_DATA, 0, 0, "config needs n and heads");
        goto done;
    }
    if (head > H) {
        status = sa_fail(err, SA_ERR_DATA, 0, 0, "config.head is %zu but "
                         "config.heads is %zu", head, H);
        goto done;
    }
    if (config_size(config, "batch")) {
        status = sa_fail(err, SA_ERR_DATA, 0, 0, "the result of a batch of %zu "
                         "sequences: plot draws one sequence's; run -f svg or "
                         "-f heatmap draws a batch", config_size(config, "batch"));
        goto done;
    }
    if ((status = choose_source(&source, r, root, config, what, err)))
        goto done;
    r->heads = r->averaged || head ? 1 : H;
    r->first_head = r->averaged || !head ? 0 : head - 1;
    r->config_heads = H;
    r->rows = n;
    r->cols = m ? m : n;  /* results without cross-attention have no m */
    if (!(status = read_panels(r, source, H, len, err)))
        status = read_settings(r, root, config, err);
done:
    if (status)
        sa_saved_result_free(r);
    cJSON_Delete(root);
    return status;
}
