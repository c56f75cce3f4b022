/* weights_parts.c — taking the parts of a weights layout out of a set of
 * named tensors: a matrix or vector by name (converted to float32, shapes
 * checked), a view of a float32 matrix in the file's own bytes, and the
 * transposes, column blocks and ranges that turn torch and checkpoint
 * layouts into the math convention (Q = X Wq + bq). */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "format.h"
#include "weights_internal.h"

/* The tensor `name` in *t, or NULL if the set has none; one of another
 * rank than ndim is SA_ERR_DATA saying it must be `what`. */
static sa_status find_of_rank(const sa_tensor **t, const sa_tensor_set *set,
                              const char *name, size_t ndim, const char *what,
                              sa_error *err)
{
    *t = sa_tensor_find(set, name);
    if (*t && (*t)->ndim != ndim)
        return sa_fail(err, SA_ERR_DATA, 0, 0, "%s must be %s, not "
                       "%zu-dimensional", name, what, (*t)->ndim);
    return SA_OK;
}

sa_status sa_take_matrix(float **data, size_t *rows, size_t *cols,
                         const sa_tensor_set *set, const char *name,
                         sa_error *err)
{
    const sa_tensor *t;
    *data = NULL;
    *rows = *cols = 0;
    sa_status status = find_of_rank(&t, set, name, 2, "a non-empty matrix (2 "
                                    "dimensions)", err);
    if (status || !t)
        return status;
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
sa_status sa_take_vector(float **data, const sa_tensor_set *set,
                         const char *name, size_t want, const char *why,
                         sa_error *err)
{
    const sa_tensor *t;
    *data = NULL;
    sa_status status = find_of_rank(&t, set, name, 1, "a vector (1 dimension)", err);
    if (status || !t)
        return status;
    if (t->shape[0] != want)
        return sa_fail(err, SA_ERR_DATA, 0, 0,
                       "%s has %zu elements but must have %zu (%s)", name,
                       t->shape[0], want, why);
    return sa_tensor_floats(data, t, err);
}

/* As sa_take_matrix, for a matrix only read (transposed or split): without a
 * copy when the file holds it as float32 already (sa_tensor_native_f32),
 * *view then points into the file's bytes and *owned is NULL; otherwise
 * *view is *owned, a converted copy the caller frees.  Large weights are
 * copied once, not twice (memory this program has not touched is slow to
 * touch, see alloc.c). */
sa_status sa_take_matrix_view(const float **view, float **owned, size_t *rows,
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
    sa_status status = sa_take_matrix(owned, rows, cols, set, name, err);
    *view = *owned;
    return status;
}

/* A new (cols, count) array: the transpose of rows [first, first + count)
 * of src (any rows, cols), in 16 x 16 blocks so that reads and writes both
 * stay within a few cache lines (512 x 512, measured on warm memory:
 * element by element 1.6 ms, 16 x 16 blocks 0.11 ms, 32 x 32 blocks
 * 0.65 ms as their columns, 2 KiB apart, share too few cache sets). */
float *sa_transpose_rows(const float *src, size_t first, size_t count,
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
float *sa_take_columns(const float *src, size_t rows, size_t cols,
                       size_t first, size_t count)
{
    float *dst = sa_alloc_large(rows * count * sizeof *dst);
    if (dst)
        for (size_t i = 0; i < rows; i++)
            memcpy(dst + i * count, src + i * cols + first, count * sizeof *dst);
    return dst;
}

/* A new copy of src[first .. first + count). */
float *sa_take_range(const float *src, size_t first, size_t count)
{
    float *dst = malloc((count ? count : 1) * sizeof *dst);
    if (dst)
        memcpy(dst, src + first, count * sizeof *dst);
    return dst;
}

/* Math convention: Wq (d, P), Wk and Wv (d_ctx, Pkv), Wo (P, d_out). */

sa_status sa_split_biases(sa_weights *w, const float *bias, size_t P,
                          sa_error *err)
{
    if (!bias)
        return SA_OK;
    if (!(w->bq = sa_take_range(bias, 0, P)) || !(w->bk = sa_take_range(bias, P, P)) ||
        !(w->bv = sa_take_range(bias, 2 * P, P)))
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
    return SA_OK;
}
