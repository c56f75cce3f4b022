/* mask.c — what may attend to what: mask files (n, m) of 0/1, 1 = may
 * attend, or (B, n, m) for a batch of B sequences, and additive score
 * biases (n, m) or (H, n, m). */
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "json_util.h"

/* The shapes a mask of a batch of B sequences (0: one sequence) may have,
 * for messages: "4 x 4 (queries x keys)", and with a batch " or 2 x 4 x 4
 * (sequences x queries x keys)". */
static void mask_shapes(char *buf, size_t size, size_t batch, size_t n, size_t m)
{
    int used = snprintf(buf, size, "%zu x %zu (queries x keys)", n, m);
    if (batch && used > 0 && (size_t)used < size)
        snprintf(buf + used, size - (size_t)used, " or %zu x %zu x %zu "
                 "(sequences x queries x keys)", batch, n, m);
}

/* sa_read_mask of one (n, m) mask, for a batch of B sequences (0: one). */
static sa_status read_mask_2d(unsigned char **mask, size_t batch, size_t n,
                              size_t m, const char *name, const char *text,
                              size_t len, sa_error *err)
{
    sa_matrix mat;
    *mask = NULL;
    sa_status status = sa_read_values(&mat, true, "mask", name, text, len, err);
    if (status)
        return status;
    if (mat.rows != n || mat.cols != m) {
        char shapes[160];
        mask_shapes(shapes, sizeof shapes, batch, n, m);
        status = sa_fail(err, SA_ERR_DATA, 0, 0, "mask is %zu x %zu but must "
                         "be %s", mat.rows, mat.cols, shapes);
        goto done;
    }
    unsigned char *out = malloc(n * m > 0 ? n * m : 1);
    if (!out) {
        status = sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n * m; i++) {
        if (mat.data[i] != 0.0f && mat.data[i] != 1.0f) {
            status = sa_fail(err, SA_ERR_DATA, 0, 0,
                             "mask, row %zu, column %zu: %g is not 0 or 1",
                             i / m + 1, i % m + 1, (double)mat.data[i]);
            free(out);
            goto done;
        }
        out[i] = mat.data[i] != 0.0f;
    }
    *mask = out;
done:
    sa_matrix_free(&mat);
    return status;
}

sa_status sa_read_mask(unsigned char **mask, size_t n, size_t m,
                       const char *name, const char *text, size_t len,
                       sa_error *err)
{
    return read_mask_2d(mask, 0, n, m, name, text, len, err);
}

/* mask (count) of 0/1 bytes from values (B, n, m) of 0 or 1; another
 * value is SA_ERR_DATA naming its index [b, i, j]. */
static sa_status batch_mask_bytes(unsigned char **mask, const float *values,
                                  size_t count, size_t n, size_t m, sa_error *err)
{
    unsigned char *out = malloc(count ? count : 1);
    if (!out)
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
    for (size_t k = 0; k < count; k++) {
        if (values[k] != 0.0f && values[k] != 1.0f) {
            free(out);
            return sa_fail(err, SA_ERR_DATA, 0, 0, "mask, element [%zu, %zu, "
                           "%zu] (counting from 0): %g is not 0 or 1",
                           k / (n * m), k / m % n, k % m, (double)values[k]);
        }
        out[k] = values[k] != 0.0f;
    }
    *mask = out;
    return SA_OK;
}

sa_status sa_read_batch_mask(unsigned char **mask, bool *per_sequence,
                             size_t batch, size_t n, size_t m, const char *name,
                             const char *text, size_t len, sa_error *err)
{
    sa_tensor t;
    sa_error ignored;
    *mask = NULL;
    *per_sequence = false;
    // anything but a 3-D .npy (or a broken one) is one mask for all
    if (sa_guess_file_kind(name, text, len) != SA_FILE_NPY ||
        sa_read_npy(&t, (const unsigned char *)text, len, &ignored) != SA_OK ||
        t.ndim != 3)
        return read_mask_2d(mask, batch, n, m, name, text, len, err);
    float *values;
    size_t ndim, shape[SA_MAX_DIMS];
    sa_status status = sa_read_npy_array(&values, &ndim, shape, text, len, err);
    if (status)
        return status;
    if (!batch || shape[0] != batch || shape[1] != n || shape[2] != m) {
        char shapes[160];
        mask_shapes(shapes, sizeof shapes, batch, n, m);
        status = sa_fail(err, SA_ERR_DATA, 0, 0, "mask is %zu x %zu x %zu but "
                         "must be %s%s", shape[0], shape[1], shape[2], shapes,
                         batch ? "" : ": a mask per sequence needs a batch input");
    } else {
        status = batch_mask_bytes(mask, values, batch * n * m, n, m, err);
        *per_sequence = !status;
    }
    free(values);
    return status;
}

/* Reads JSON (H, n, m) nested arrays into a new array. */
static sa_status read_3d(float **bias, const cJSON *root, size_t heads,
                         size_t n, size_t m, sa_error *err)
{
    size_t count = (size_t)cJSON_GetArraySize(root), h = 0;
    if (count != heads)
        return sa_fail(err, SA_ERR_DATA, 0, 0, "bias has %zu matrices but "
                       "there are %zu heads", count, heads);
    float *out = malloc(heads * n * m * sizeof *out);
    if (!out)
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
    for (const cJSON *item = root->child; item; item = item->next, h++) {
        char what[32];
        float *data;
        size_t rows, cols;
        snprintf(what, sizeof what, "bias, head %zu", h + 1);
        sa_status status = sa_json_rows(&data, &rows, &cols, item, false, what, err);
        if (!status && (rows != n || cols != m)) {
            free(data);
            status = sa_fail(err, SA_ERR_DATA, 0, 0, "%s is %zu x %zu but must "
                             "be %zu x %zu (queries x keys)", what, rows, cols,
                             n, m);
        }
        if (status) {
            free(out);
            return status;
        }
        memcpy(out + h * n * m, data, n * m * sizeof *out);
        free(data);
    }
    *bias = out;
    return SA_OK;
}

sa_status sa_read_bias(float **bias, bool *per_head, size_t heads, size_t n,
                       size_t m, const char *name, const char *text,
                       size_t len, sa_error *err)
{
    sa_matrix mat;
    sa_status status;
    *bias = NULL;
    *per_head = false;
    sa_file_kind kind = sa_guess_file_kind(name, text, len);
    if (kind == SA_FILE_NPY) {
        size_t ndim, shape[SA_MAX_DIMS];
        status = sa_read_npy_array(bias, &ndim, shape, text, len, err);
        if (status)
            return status;
        bool shared = ndim == 2 && shape[0] == n && shape[1] == m;
        *per_head = ndim == 3 && shape[0] == heads && shape[1] == n && shape[2] == m;
        if (shared || *per_head)
            return SA_OK;
        char got[96];
        sa_format_shape(got, sizeof got, ndim, shape);
        free(*bias);
        *bias = NULL;
        *per_head = false;
        return sa_fail(err, SA_ERR_DATA, 0, 0, "bias is %s but must be %zu x "
                       "%zu (queries x keys) or %zu x %zu x %zu (heads x "
                       "queries x keys)", got, n, m, heads, n, m);
    }
    if (kind == SA_FILE_JSON) {
        cJSON *root = NULL;
        status = sa_json_parse(&root, text, len, err);
        if (status)
            return status;
        /* three levels of arrays: one matrix per head */
        if (cJSON_IsArray(root) && !sa_json_packed(root) &&
            sa_json_has_rows(root->child)) {
            status = read_3d(bias, root, heads, n, m, err);
            *per_head = !status;
            cJSON_Delete(root);
            return status;
        }
        cJSON_Delete(root);
    }
    status = sa_read_values(&mat, false, "bias", name, text, len, err);
    if (status)
        return status;
    if (mat.rows != n || mat.cols != m) {
        status = sa_fail(err, SA_ERR_DATA, 0, 0,
                         "bias is %zu x %zu but must be %zu x %zu (queries x "
                         "keys) or %zu x %zu x %zu (heads x queries x keys)",
                         mat.rows, mat.cols, n, m, heads, n, m);
        sa_matrix_free(&mat);
        return status;
    }
    *bias = mat.data;
    mat.data = NULL;
    sa_matrix_free(&mat);
    return SA_OK;
}
