/* matrix.c — the sa_matrix type and choosing a reader for a matrix file. */
#include <stdlib.h>
#include <string.h>

#include "selfattn.h"

sa_status sa_matrix_new(sa_matrix *m, size_t rows, size_t cols, sa_error *err)
{
    memset(m, 0, sizeof *m);
    if (rows != 0 && cols > SIZE_MAX / sizeof(float) / rows)
        return sa_fail(err, SA_ERR_NOMEM, 0, 0,
                       "a %zu x %zu matrix is too large", rows, cols);
    m->data = calloc(rows * cols > 0 ? rows * cols : 1, sizeof(float));
    if (!m->data)
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
    m->rows = rows;
    m->cols = cols;
    return SA_OK;
}

void sa_matrix_free(sa_matrix *m)
{
    if (m->tokens) {
        for (size_t i = 0; i < m->rows; i++)
            free(m->tokens[i]);
        free(m->tokens);
    }
    free(m->data);
    memset(m, 0, sizeof *m);
}

sa_status sa_read_npy_array(float **data, size_t *ndim, size_t *shape,
                            const char *text, size_t len, sa_error *err)
{
    sa_tensor t;
    *data = NULL;
    sa_status status = sa_read_npy(&t, (const unsigned char *)text, len, err);
    if (status)
        return status;
    *ndim = t.ndim;
    memcpy(shape, t.shape, sizeof t.shape);
    if (sa_tensor_numel(&t) == 0)
        return sa_fail(err, SA_ERR_DATA, 0, 0, "the .npy array is empty");
    t.name = (char *)"the .npy array";  /* for messages; not freed */
    return sa_tensor_floats(data, &t, err);
}

sa_status sa_read_matrix(sa_matrix *m, const char *name, const char *text,
                         size_t len, sa_error *err)
{
    size_t ndim, shape[SA_MAX_DIMS];
    sa_status status;
    memset(m, 0, sizeof *m);
    switch (sa_guess_file_kind(name, text, len)) {
    case SA_FILE_JSON:
        return sa_read_json_matrix(m, text, len, err);
    case SA_FILE_CSV:
        return sa_read_csv_matrix(m, text, len, err);
    case SA_FILE_NPZ:
    case SA_FILE_SAFETENSORS:
        return sa_fail(err, SA_ERR_DATA, 0, 0, "holds named arrays; a matrix "
                       "input must be one array (JSON, CSV or .npy)");
    case SA_FILE_NPY:
        break;
    }
    status = sa_read_npy_array(&m->data, &ndim, shape, text, len, err);
    if (!status && ndim != 2) {
        status = sa_fail(err, SA_ERR_DATA, 0, 0, "a %zu-dimensional .npy "
                         "array; expected 2 dimensions (rows x columns)", ndim);
        sa_matrix_free(m);
    }
    if (!status) {
        m->rows = shape[0];
        m->cols = shape[1];
    }
    return status;
}

sa_status sa_read_matrix_take(sa_matrix *m, const char *name, char **text,
                              size_t len, sa_error *err)
{
    sa_error ignored;
    sa_tensor t;
    const float *native;
    memset(m, 0, sizeof *m);
    // anything but the plain case (or a broken file) takes the usual way
    if (sa_guess_file_kind(name, *text, len) != SA_FILE_NPY ||
        sa_read_npy(&t, (const unsigned char *)*text, len, &ignored) != SA_OK ||
        t.ndim != 2 || sa_tensor_numel(&t) == 0 || !(native = sa_tensor_native_f32(&t)))
        return sa_read_matrix(m, name, *text, len, err);
    size_t n = sa_tensor_numel(&t);
    sa_status status = sa_floats_finite(native, n, "the .npy array", err);
    if (status)
        return status;  // *text untouched
    float *data = (float *)(void *)*text;  // malloc'd: aligned for float
    memmove(data, native, n * sizeof *data);
    m->rows = t.shape[0];
    m->cols = t.shape[1];
    m->data = data;
    *text = NULL;
    return SA_OK;
}
