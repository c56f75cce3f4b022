/* json_util.c — JSON syntax errors with positions, and JSON arrays as floats. */
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"

/* cJSON returns NULL for a syntax error and for a failed allocation alike;
 * with sa_json_setup its allocations go through json_malloc, which notes
 * the second. */
static _Thread_local bool json_out_of_memory;

static void *json_malloc(size_t size)
{
    void *p = malloc(size);
    if (!p)
        json_out_of_memory = true;
    return p;
}

void sa_json_setup(void)
{
    cJSON_Hooks hooks = {json_malloc, free};
    cJSON_InitHooks(&hooks);
}

/* The offset of the first byte of text[from .. len) that cJSON does not
 * take for a blank (it skips every byte up to 0x20), or len. */
static size_t skip_blanks(const char *text, size_t from, size_t len)
{
    while (from < len && (unsigned char)text[from] <= 0x20)
        from++;
    return from;
}

/* Where parsing really stopped when cJSON said the last byte: cJSON puts
 * an error past the end of its input there too, so parse again with the
 * text's end marked by a NUL (on a copy: the error path only), which
 * tells the two apart. */
static const char *end_of_input(const char *text, size_t start, size_t len,
                                const char *end)
{
    char *copy = malloc(len - start + 1);
    if (!copy)
        return end;
    memcpy(copy, text + start, len - start);
    copy[len - start] = '\0';
    const char *stop = NULL;
    cJSON *again = cJSON_ParseWithLengthOpts(copy, len - start + 1, &stop, true);
    if (!again && stop == copy + (len - start))
        end = text + len;  /* at the terminator: the input ended */
    cJSON_Delete(again);
    free(copy);
    return end;
}

sa_status sa_json_parse_lenient(cJSON **root, const char *text, size_t len,
                                sa_error *err)
{
    const char *end = NULL;
    long line, col;
    size_t i = 0;

    *root = NULL;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        i = 3;  /* a UTF-8 byte order mark */
    size_t start = i;
    while (i < len && strchr(" \t\r\n", text[i]))
        i++;
    if (i == len)
        return sa_fail(err, SA_ERR_DATA, 0, 0, "empty input");
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        sa_text_position(text, len, (size_t)(nul - text), &line, &col);
        return sa_fail(err, SA_ERR_DATA, line, col,
                       "a NUL byte in JSON text");
    }
    /* text needs no terminator: cJSON reads len bytes, and what follows
     * the value must be blanks */
    json_out_of_memory = false;
    *root = cJSON_ParseWithLengthOpts(text + start, len - start, &end, false);
    if (*root) {
        size_t after = skip_blanks(text, (size_t)(end - text), len);
        if (after == len)
            return SA_OK;
        cJSON_Delete(*root);
        *root = NULL;
        end = text + after;
    } else if (!json_out_of_memory && end == text + len - 1) {
        end = end_of_input(text, start, len, end);
    }
    if (json_out_of_memory)
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory parsing JSON");
    size_t offset = end && end >= text ? (size_t)(end - text) : 0;
    sa_text_position(text, len, offset, &line, &col);
    /* cJSON stops at CJSON_NESTING_LIMIT levels: say so */
    int depth = 0;
    bool in_string = false;
    for (size_t at = start; at < offset && at < len; at++) {
        char c = text[at];
        if (in_string) {
            if (c == '\\')
                at++;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            depth++;
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    if (depth >= CJSON_NESTING_LIMIT)
        return sa_fail(err, SA_ERR_DATA, line, col, "JSON nested more than %d "
                       "levels deep", CJSON_NESTING_LIMIT);
    if (offset >= len)
        return sa_fail(err, SA_ERR_DATA, line, col,
                       "invalid JSON: unexpected end of input");
    /* show the text where parsing stopped, up to the end of its line */
    char near[24];
    size_t k = 0;
    while (k < sizeof near - 1 && offset + k < len && text[offset + k] != '\n'
           && text[offset + k] != '\r' && text[offset + k] != '\0') {
        near[k] = text[offset + k];
        k++;
    }
    near[k] = '\0';
    return sa_fail(err, SA_ERR_DATA, line, col, "invalid JSON near '%s'", near);
}

sa_status sa_json_float(float *out, const cJSON *item, bool allow_bool,
                        const char *name, const char *what, sa_error *err)
{
    if (allow_bool && cJSON_IsBool(item)) {
        *out = cJSON_IsTrue(item) ? 1.0f : 0.0f;
        return SA_OK;
    }
    if (!cJSON_IsNumber(item))
        return sa_fail(err, SA_ERR_DATA, 0, 0, "%s, %s: expected a number",
                       name, what);
    double v = item->valuedouble;
    if (isinf(v))  /* JSON has no infinity: a literal beyond double's range */
        return sa_fail(err, SA_ERR_DATA, 0, 0, "%s, %s: the number is out of "
                       "float32 range", name, what);
    if (!isfinite(v))
        return sa_fail(err, SA_ERR_DATA, 0, 0, "%s, %s: value is not finite",
                       name, what);
    if (isinf((float)v))  /* "3.4028235e+38", FLT_MAX written short, is fine */
        return sa_fail(err, SA_ERR_DATA, 0, 0,
                       "%s, %s: %g is out of float32 range", name, what, v);
    *out = (float)v;
    return SA_OK;
}

const sa_json_pack *sa_json_packed(const cJSON *item)
{
    return item && (item->type & SA_JSON_PACKED) ? (const sa_json_pack *)(const void *)
                                                   item->valuestring : NULL;
}

size_t sa_json_length(const cJSON *array)
{
    const sa_json_pack *p = sa_json_packed(array);
    if (p)
        return p->ndim == 2 ? p->rows : p->cols;
    return cJSON_IsArray(array) ? (size_t)cJSON_GetArraySize(array) : 0;
}

bool sa_json_has_rows(const cJSON *array)
{
    const sa_json_pack *p = sa_json_packed(array);
    return p ? p->ndim == 2 : cJSON_IsArray(array) && cJSON_IsArray(array->child);
}

/* Copies the packed vector or matrix p (n elements) to out, with
 * sa_json_float's message for the first element that is not a number;
 * row is the row index of a vector that is a row (SIZE_MAX: a vector on
 * its own, named by element). */
static sa_status unpack(float *out, const sa_json_pack *p, size_t n,
                        bool allow_bool, const char *name, size_t row,
                        sa_error *err)
{
    size_t bad = p->first_null;
    if (!allow_bool && p->first_bool < bad)
        bad = p->first_bool;
    if (bad != SIZE_MAX) {
        char what[64];
        if (p->ndim == 2 || row != SIZE_MAX)
            snprintf(what, sizeof what, "row %zu, column %zu",
                     (p->ndim == 2 ? bad / p->cols : row) + 1, bad % p->cols + 1);
        else
            snprintf(what, sizeof what, "element %zu", bad + 1);
        return sa_fail(err, SA_ERR_DATA, 0, 0, "%s, %s: expected a number",
                       name, what);
    }
    memcpy(out, p->data, n * sizeof *out);
    return SA_OK;
}

/* Converts the i-th row (0-based) of an array of rows, c values, to out. */
static sa_status convert_row(float *out, const cJSON *row, size_t i, size_t c,
                             bool allow_bool, const char *name, sa_error *err)
{
    const sa_json_pack *p = sa_json_packed(row);
    if (!cJSON_IsArray(row) || (p && p->ndim != 1))
        return sa_fail(err, SA_ERR_DATA, 0, 0,
                       "%s, row %zu: expected an array of numbers", name, i + 1);
    size_t got = sa_json_length(row);
    if (got != c)
        return sa_fail(err, SA_ERR_DATA, 0, 0, "%s, row %zu: %zu values, "
                       "expected %zu like row 1", name, i + 1, got, c);
    if (p)
        return unpack(out, p, c, allow_bool, name, i, err);
    size_t j = 0;
    for (const cJSON *v = row->child; v; v = v->next, j++) {
        char what[64];
        snprintf(what, sizeof what, "row %zu, column %zu", i + 1, j + 1);
        sa_status status = sa_json_float(&out[j], v, allow_bool, name, what, err);
        if (status)
            return status;
    }
    return SA_OK;
}

sa_status sa_json_rows(float **data, size_t *rows, size_t *cols,
                       const cJSON *array, bool allow_bool, const char *name,
                       sa_error *err)
{
    *data = NULL;
    if (!cJSON_IsArray(array))
        return sa_fail(err, SA_ERR_DATA, 0, 0,
                       "%s: expected an array of rows", name);
    const sa_json_pack *p = sa_json_packed(array);
    size_t r = sa_json_length(array);
    if (r == 0)
        return sa_fail(err, SA_ERR_DATA, 0, 0, "%s: no rows", name);
    if (p && p->ndim == 1)
        return sa_fail(err, SA_ERR_DATA, 0, 0,
                       "%s, row 1: expected an array of numbers", name);
    const cJSON *first = array->child;
    if (!p && !cJSON_IsArray(first))
        return sa_fail(err, SA_ERR_DATA, 0, 0,
                       "%s, row 1: expected an array of numbers", name);
    size_t c = p ? p->cols : sa_json_length(first);
    if (c == 0)
        return sa_fail(err, SA_ERR_DATA, 0, 0, "%s, row 1: empty row", name);
    if (c > SIZE_MAX / sizeof(float) / r)
        return sa_fail(err, SA_ERR_DATA, 0, 0, "%s: too large", name);
    float *out = malloc(r * c * sizeof(float));
    if (!out)
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
    sa_status status = SA_OK;
    if (p)
        status = unpack(out, p, r * c, allow_bool, name, SIZE_MAX, err);
    size_t i = 0;
    for (const cJSON *row = p ? NULL : array->child; row && !status;
         row = row->next, i++)
        status = convert_row(out + i * c, row, i, c, allow_bool, name, err);
    if (status) {
        free(out);
        return status;
    }
    *data = out;
    *rows = r;
    *cols = c;
    return SA_OK;
}

sa_status sa_json_vector(float **data, size_t *len, const cJSON *array,
                         const char *name, sa_error *err)
{
    *data = NULL;
    const sa_json_pack *p = sa_json_packed(array);
    if (!cJSON_IsArray(array) || (p && p->ndim != 1))
        return sa_fail(err, SA_ERR_DATA, 0, 0,
                       "%s: expected an array of numbers", name);
    size_t n = sa_json_length(array);
    if (n == 0)
        return sa_fail(err, SA_ERR_DATA, 0, 0, "%s: empty array", name);
    float *out = malloc(n * sizeof(float));
    if (!out)
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
    sa_status status = p ? unpack(out, p, n, false, name, SIZE_MAX, err) : SA_OK;
    size_t i = 0;
    for (const cJSON *v = p ? NULL : array->child; v && !status; v = v->next, i++) {
        char what[32];
        snprintf(what, sizeof what, "element %zu", i + 1);
        status = sa_json_float(&out[i], v, false, name, what, err);
    }
    if (status) {
        free(out);
        return status;
    }
    *data = out;
    *len = n;
    return SA_OK;
}
