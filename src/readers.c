/* readers.c — which reader reads a file, the one place that decides: by
 * the name's extension, else by the content (NumPy's magic, zip's magic,
 * a safetensors length prefix, JSON's first character), else CSV; and the
 * dispatch of matrices, arrays, weights and whole files to the readers of
 * each format (read_*.c). */
#include <stdlib.h>
#include <string.h>

#include "floats.h"
#include "json_util.h"

static bool has_suffix(const char *name, const char *suffix)
{
    size_t n = strlen(name), s = strlen(suffix);
    return n >= s && strcmp(name + n - s, suffix) == 0;
}

sa_file_kind sa_guess_file_kind(const char *name, const char *text, size_t len)
{
    static const struct { const char *ext; sa_file_kind kind; } exts[] = {
        {".json", SA_FILE_JSON}, {".csv", SA_FILE_CSV}, {".npy", SA_FILE_NPY},
        {".npz", SA_FILE_NPZ}, {".safetensors", SA_FILE_SAFETENSORS},
    };
    for (size_t i = 0; name && i < sizeof exts / sizeof exts[0]; i++)
        if (has_suffix(name, exts[i].ext))
            return exts[i].kind;
    if (len >= 6 && memcmp(text, "\x93NUMPY", 6) == 0)
        return SA_FILE_NPY;
    if (len >= 4 && memcmp(text, "PK\x03\x04", 4) == 0)
        return SA_FILE_NPZ;
    if (len >= 9 && text[8] == '{' && (unsigned char)text[7] == 0 &&
        (unsigned char)text[6] == 0)
        return SA_FILE_SAFETENSORS;  /* a small little-endian length, then '{' */
    /* text: '[' or '{' first (after a byte order mark and blanks) is JSON */
    size_t i = len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    while (i < len && strchr(" \t\r\n", text[i]))
        i++;
    return i < len && (text[i] == '[' || text[i] == '{') ? SA_FILE_JSON : SA_FILE_CSV;
}

const char *sa_file_kind_name(sa_file_kind kind)
{
    static const char *const names[] = {"json", "csv", "npy", "npz", "safetensors"};
    return names[kind];
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

/* A 2-D .npy array as m. */
static sa_status read_npy_matrix(sa_matrix *m, const char *text, size_t len,
                                 sa_error *err)
{
    size_t ndim, shape[SA_MAX_DIMS];
    sa_status status = sa_read_npy_array(&m->data, &ndim, shape, text, len, err);
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

sa_status sa_read_matrix(sa_matrix *m, const char *name, const char *text,
                         size_t len, sa_error *err)
{
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
    return read_npy_matrix(m, text, len, err);
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

sa_status sa_read_values(sa_matrix *m, bool allow_bool, const char *what,
                         const char *name, const char *text, size_t len,
                         sa_error *err)
{
    memset(m, 0, sizeof *m);
    if (sa_guess_file_kind(name, text, len) != SA_FILE_JSON)
        return sa_read_matrix(m, name, text, len, err);
    cJSON *root = NULL;
    sa_status status = sa_json_parse(&root, text, len, err);
    if (!status)
        status = sa_json_rows(&m->data, &m->rows, &m->cols, root, allow_bool,
                              what, err);
    cJSON_Delete(root);
    return status;
}

sa_status sa_read_tensors(sa_tensor_set *set, const char *name,
                          const char *text, size_t len, sa_error *err)
{
    const unsigned char *buf = (const unsigned char *)text;
    memset(set, 0, sizeof *set);
    switch (sa_guess_file_kind(name, text, len)) {
    case SA_FILE_NPZ:
        return sa_read_npz(set, buf, len, err);
    case SA_FILE_SAFETENSORS:
        return sa_read_safetensors(set, buf, len, err);
    case SA_FILE_NPY:
        return sa_fail(err, SA_ERR_DATA, 0, 0, "an .npy file holds one array; "
                       "weights need named arrays (.npz, .safetensors, JSON)");
    case SA_FILE_CSV:
        if (name && has_suffix(name, ".csv"))
            return sa_fail(err, SA_ERR_DATA, 0, 0, "weights cannot be CSV; use "
                           "JSON, .npz or .safetensors");
        return sa_fail(err, SA_ERR_DATA, 0, 0, "unknown weights format; use "
                       "JSON, .npz or .safetensors");
    case SA_FILE_JSON:
        break;
    }
    return sa_read_json_tensors(set, text, len, err);
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

/* True if JSON text reads as embeddings rather than weights: an array of
 * rows, an object with "embeddings", or an object the matrix reader
 * takes. */
static bool json_is_matrix(const char *text, size_t len)
{
    size_t i = 0;
    while (i < len && strchr(" \t\r\n", text[i]))
        i++;
    if (i < len && text[i] == '[')
        return true;
    static const char key[] = "\"embeddings\"";
    for (size_t at = 0; at + sizeof key - 1 <= len; at++)
        if (memcmp(text + at, key, sizeof key - 1) == 0)
            return true;
    sa_matrix m;
    sa_error ignored;
    bool matrix = len > 0 && sa_read_json_matrix(&m, text, len, &ignored) == SA_OK;
    sa_matrix_free(&m);
    return matrix;
}

sa_status sa_read_contents(sa_file_contents *c, const char *name,
                           const char *text, size_t len, sa_error *err)
{
    memset(c, 0, sizeof *c);
    c->kind = sa_guess_file_kind(name, text, len);
    if (c->kind == SA_FILE_CSV || (c->kind == SA_FILE_JSON && json_is_matrix(text, len))) {
        c->is_matrix = true;
        return c->kind == SA_FILE_CSV ? sa_read_csv_matrix(&c->matrix, text, len, err)
                                      : sa_read_json_matrix(&c->matrix, text, len, err);
    }
    if (c->kind != SA_FILE_NPY)
        return sa_read_tensors(&c->tensors, name, text, len, err);
    // an .npy file: its one array, called "array"
    c->tensors.items = calloc(1, sizeof *c->tensors.items);
    if (!c->tensors.items)
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
    sa_status status = sa_read_npy(&c->tensors.items[0], (const unsigned char *)text,
                                   len, err);
    if (status)
        return status;
    c->tensors.count = 1;
    if (!(c->tensors.items[0].name = strdup("array")))
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
    return SA_OK;
}

void sa_file_contents_free(sa_file_contents *c)
{
    sa_matrix_free(&c->matrix);
    sa_tensor_set_free(&c->tensors);
    memset(c, 0, sizeof *c);
}
