/* read_batch.c — inputs that may be batches, as NumPy holds them: a 3-D
 * .npy array (B, n, d) is B sequences of n rows, and an .npz archive gives
 * one of its arrays (the only one, or the one named for the purpose).
 * Everything else is a matrix, read by sa_read_matrix_take.
 * Legend: B = sequences, n = rows of each, d = columns. */
#include <stdlib.h>
#include <string.h>

#include "format.h"

const char *const sa_input_members[] = {"x", "input", NULL};
const char *const sa_context_members[] = {"context", NULL};

/* The rank of an input: 2 (a matrix) or 3 (a batch), else SA_ERR_DATA
 * after prefix ("" or "x.npy: "). */
static sa_status check_rank(const char *prefix, const char *what, size_t ndim,
                            sa_error *err)
{
    if (ndim == 2 || ndim == 3)
        return SA_OK;
    return sa_fail(err, SA_ERR_DATA, 0, 0, "%s%s %zu-dimensional %s; expected 2 "
                   "dimensions (rows x columns) or 3 (sequences x rows x "
                   "columns)", prefix, ndim == 8 ? "an" : "a", ndim, what);
}

/* Writes "a, b, c" (the names of set, the first few) into buf. */
static void list_names(char *buf, size_t size, const sa_tensor_set *set)
{
    size_t used = 0, shown = 0;
    buf[0] = '\0';
    for (; shown < set->count && used + 40 < size; shown++)
        used += (size_t)snprintf(buf + used, size - used, "%s%.32s",
                                 shown ? ", " : "", set->items[shown].name);
    if (shown < set->count)
        snprintf(buf + used, size - used, " and %zu more", set->count - shown);
}

/* The array of set to read: its only one, or the one of members it
 * holds. */
static sa_status pick_member(sa_tensor **picked, sa_tensor_set *set,
                             const char *const *members, sa_error *err)
{
    const sa_tensor *found = set->count == 1 ? &set->items[0] : NULL;
    for (size_t k = 0; !found && members && members[k]; k++) {
        found = sa_tensor_find(set, members[k]);
        for (size_t other = k + 1; found && members[other]; other++)
            if (sa_tensor_find(set, members[other]))
                return sa_fail(err, SA_ERR_DATA, 0, 0, "the .npz archive holds "
                               "both %s and %s: keep one", members[k],
                               members[other]);
    }
    *picked = found ? &set->items[found - set->items] : NULL;
    if (found)
        return SA_OK;
    char names[200], wanted[100] = "";
    list_names(names, sizeof names, set);
    for (size_t k = 0, used = 0; members && members[k] && used < sizeof wanted; k++)
        used += (size_t)snprintf(wanted + used, sizeof wanted - used, "%s%s",
                                 k == 0 ? "" : members[k + 1] ? ", " : " or ",
                                 members[k]);
    return sa_fail(err, SA_ERR_DATA, 0, 0, "the .npz archive holds %zu arrays "
                   "(%s) and none is called %s: save the one to read under "
                   "that name (np.savez(f, %s=a))", set->count, names, wanted,
                   members && members[0] ? members[0] : "x");
}

/* m (and *batch) from t's float32 data, which m takes over. */
static void take_tensor(sa_matrix *m, size_t *batch, sa_tensor *t)
{
    size_t sequences = t->ndim == 3 ? t->shape[0] : 1;
    m->rows = sequences * t->shape[t->ndim - 2];
    m->cols = t->shape[t->ndim - 1];
    m->data = t->data;
    t->data = NULL;
    *batch = t->ndim == 3 ? sequences : 0;
}

/* An .npz archive's array: 2-D or 3-D. */
static sa_status read_npz_input(sa_matrix *m, size_t *batch,
                                const char *const *members, const char *text,
                                size_t len, sa_error *err)
{
    sa_tensor_set set;
    sa_tensor *picked;
    sa_status status = sa_read_npz(&set, (const unsigned char *)text, len, err);
    if (status)
        return status;
    if (!(status = pick_member(&picked, &set, members, err))) {
        char prefix[80];
        snprintf(prefix, sizeof prefix, "%.60s.npy: ", picked->name);
        if (!(status = check_rank(prefix, "array", picked->ndim, err)) &&
            sa_tensor_numel(picked) == 0)
            status = sa_fail(err, SA_ERR_DATA, 0, 0, "%sthe array is empty", prefix);
        if (!status)
            take_tensor(m, batch, picked);
    }
    sa_tensor_set_free(&set);
    return status;
}

/* A 3-D .npy array t (read from *text): its native float32 moved to the
 * start of *text, which m takes over (*text NULL), or converted. */
static sa_status read_npy_batch(sa_matrix *m, size_t *batch, sa_tensor *t,
                                char **text, sa_error *err)
{
    size_t n = sa_tensor_numel(t);
    const float *native = sa_tensor_native_f32(t);
    sa_status status;
    t->name = (char *)"the .npy array";  // for messages; not freed
    if (n == 0)
        return sa_fail(err, SA_ERR_DATA, 0, 0, "the .npy array is empty");
    if (!native) {
        status = sa_tensor_floats(&t->data, t, err);
    } else if (!(status = sa_floats_finite(native, n, t->name, err))) {
        t->data = (float *)(void *)*text;  // malloc'd: aligned for float
        memmove(t->data, native, n * sizeof *t->data);
        *text = NULL;
    }
    if (!status)
        take_tensor(m, batch, t);
    t->data = NULL;
    return status;
}

sa_status sa_read_input_take(sa_matrix *m, size_t *batch, const char *name,
                             const char *const *members, char **text,
                             size_t len, sa_error *err)
{
    sa_tensor t;
    memset(m, 0, sizeof *m);
    *batch = 0;
    sa_file_kind kind = sa_guess_file_kind(name, *text, len);
    if (kind == SA_FILE_NPZ)
        return read_npz_input(m, batch, members, *text, len, err);
    if (kind == SA_FILE_SAFETENSORS)
        return sa_fail(err, SA_ERR_DATA, 0, 0, "holds named arrays (weights); "
                       "an input is JSON, CSV, .npy or an array of an .npz "
                       "archive");
    if (kind != SA_FILE_NPY)
        return sa_read_matrix_take(m, name, text, len, err);
    sa_status status = sa_read_npy(&t, (const unsigned char *)*text, len, err);
    if (status || (status = check_rank("", ".npy array", t.ndim, err)))
        return status;
    if (t.ndim == 2)
        return sa_read_matrix_take(m, name, text, len, err);
    status = read_npy_batch(m, batch, &t, text, err);
    if (status)
        sa_matrix_free(m);
    return status;
}
