/* matrix.c — the sa_matrix type: a float matrix with optional row labels. */
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
