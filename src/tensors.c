/* tensors.c — named arrays: the set type, conversion to float32, JSON
 * objects of arrays, and choosing the reader of a weights file. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "floats.h"
#include "json_util.h"

void sa_tensor_free(sa_tensor *t)
{
    free(t->name);
    free(t->data);
    memset(t, 0, sizeof *t);
}

void sa_tensor_set_free(sa_tensor_set *set)
{
    for (size_t i = 0; i < set->count; i++)
        sa_tensor_free(&set->items[i]);
    free(set->items);
    memset(set, 0, sizeof *set);
}

const sa_tensor *sa_tensor_find(const sa_tensor_set *set, const char *name)
{
    for (size_t i = 0; i < set->count; i++)
        if (strcmp(set->items[i].name, name) == 0)
            return &set->items[i];
    return NULL;
}

size_t sa_tensor_numel(const sa_tensor *t)
{
    size_t n = 1;
    for (size_t i = 0; i < t->ndim; i++) {
        if (t->shape[i] != 0 && n > SIZE_MAX / t->shape[i])
            return SIZE_MAX;
        n *= t->shape[i];
    }
    return n;
}

size_t sa_dtype_size(sa_dtype dtype)
{
    switch (dtype) {
    case SA_DTYPE_F64: return 8;
    case SA_DTYPE_F32: return 4;
    case SA_DTYPE_F16: case SA_DTYPE_BF16: return 2;
    case SA_DTYPE_BOOL: return 1;
    }
    return 1;
}

const char *sa_dtype_name(sa_dtype dtype)
{
    static const char *const names[] = {"F32", "F64", "F16", "BF16", "BOOL"};
    return names[dtype];
}

/* IEEE half precision bits to float. */
static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f,
             mant = h & 0x3ff, bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (mant << 13);       /* inf, NaN */
    } else if (exp != 0) {
        bits = sign | ((exp + 112) << 23) | (mant << 13);
    } else if (mant == 0) {
        bits = sign;                                    /* zero */
    } else {                                            /* subnormal */
        float f = ldexpf((float)mant, -24);
        return sign ? -f : f;
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* Element i (in storage order) of t's raw bytes as a float. */
static float raw_element(const sa_tensor *t, size_t i)
{
    size_t size = sa_dtype_size(t->dtype);
    unsigned char b[8];
    for (size_t k = 0; k < size; k++)  /* to little-endian */
        b[k] = t->raw[i * size + (t->big_endian ? size - 1 - k : k)];
    switch (t->dtype) {
    case SA_DTYPE_F64: {
        uint64_t u = 0;
        double v;
        for (size_t k = 0; k < 8; k++)
            u |= (uint64_t)b[k] << (8 * k);
        memcpy(&v, &u, sizeof v);
        return (float)v;  /* out-of-range values become inf, caught later */
    }
    case SA_DTYPE_F32: {
        uint32_t u = (uint32_t)b[0] | (uint32_t)b[1] << 8 |
                     (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        float v;
        memcpy(&v, &u, sizeof v);
        return v;
    }
    case SA_DTYPE_F16:
        return half_to_float((uint16_t)(b[0] | b[1] << 8));
    case SA_DTYPE_BF16: {
        uint32_t u = (uint32_t)(b[0] | b[1] << 8) << 16;
        float v;
        memcpy(&v, &u, sizeof v);
        return v;
    }
    case SA_DTYPE_BOOL:
        return b[0] ? 1.0f : 0.0f;
    }
    return 0.0f;
}

/* True if t's raw bytes are float32 as this machine stores them, in
 * row-major order (aligned or not). */
static bool raw_is_native_f32(const sa_tensor *t)
{
    const uint16_t one = 1;
    bool little_host = *(const unsigned char *)&one == 1;
    return !t->data && t->raw && t->dtype == SA_DTYPE_F32 && !t->big_endian &&
           little_host && !(t->fortran_order && t->ndim >= 2);
}

const float *sa_tensor_native_f32(const sa_tensor *t)
{
    if (!raw_is_native_f32(t) || (uintptr_t)t->raw % sizeof(float) != 0)
        return NULL;
    return (const float *)(const void *)t->raw;
}

sa_status sa_tensor_floats(float **out, const sa_tensor *t, sa_error *err)
{
    size_t n = sa_tensor_numel(t);
    *out = NULL;
    if (n == SIZE_MAX || n > SIZE_MAX / sizeof(float))
        return sa_fail(err, SA_ERR_DATA, 0, 0, "%s: too many elements", t->name);
    float *f = sa_alloc_large(n * sizeof *f);
    if (!f)
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory for %s", t->name);
    if (t->data) {
        memcpy(f, t->data, n * sizeof *f);
    } else if (raw_is_native_f32(t)) {
        memcpy(f, t->raw, n * sizeof *f);  /* already what we want */
    } else if (!t->fortran_order || t->ndim < 2) {
        for (size_t i = 0; i < n; i++)
            f[i] = raw_element(t, i);
    } else {
        /* column-major storage: storage index i holds the element whose
         * first index varies fastest; place it at its row-major index */
        size_t idx[SA_MAX_DIMS] = {0};
        for (size_t i = 0; i < n; i++) {
            size_t flat = 0;
            for (size_t k = 0; k < t->ndim; k++)
                flat = flat * t->shape[k] + idx[k];
            f[flat] = raw_element(t, i);
            for (size_t k = 0; k < t->ndim && ++idx[k] == t->shape[k]; k++)
                idx[k] = 0;
        }
    }
    sa_status status = sa_floats_finite(f, n, t->name, err);
    if (status) {
        free(f);
        return status;
    }
    *out = f;
    return SA_OK;
}

sa_status sa_floats_finite(const float *f, size_t n, const char *name,
                           sa_error *err)
{
    if (sa_all_finite(f, n))
        return SA_OK;
    size_t i = 0;
    while (isfinite(f[i]))
        i++;
    return sa_fail(err, SA_ERR_DATA, 0, 0, "%s, element %zu (counting from 0): %s",
                   name, i, isnan(f[i]) ? "NaN is not allowed" : "not finite in float32");
}

sa_status sa_read_json_tensors(sa_tensor_set *set, const char *text,
                               size_t len, sa_error *err)
{
    cJSON *root = NULL;
    sa_status status;

    memset(set, 0, sizeof *set);
    status = sa_json_parse(&root, text, len, err);
    if (status)
        return status;
    if (!cJSON_IsObject(root)) {
        status = sa_fail(err, SA_ERR_DATA, 0, 0,
                         "weights must be a JSON object of named matrices");
        goto done;
    }
    set->items = calloc((size_t)cJSON_GetArraySize(root) + 1, sizeof *set->items);
    if (!set->items) {
        status = sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
        goto done;
    }
    for (const cJSON *item = root->child; item; item = item->next) {
        const char *key = item->string;
        if (key[0] == '_' || strcmp(key, "config") == 0)
            continue;
        sa_tensor *t = &set->items[set->count++];
        t->name = strdup(key);
        if (!t->name) {
            status = sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
            goto done;
        }
        if (cJSON_IsArray(item) && cJSON_IsArray(item->child)) {
            t->ndim = 2;
            status = sa_json_rows(&t->data, &t->shape[0], &t->shape[1], item,
                                  false, key, err);
        } else if (cJSON_IsArray(item)) {
            t->ndim = 1;
            status = sa_json_vector(&t->data, &t->shape[0], item, key, err);
        } else {
            status = sa_fail(err, SA_ERR_DATA, 0, 0,
                             "%s: expected an array of numbers or of rows", key);
        }
        if (status)
            goto done;
    }
done:
    if (status)
        sa_tensor_set_free(set);
    cJSON_Delete(root);
    return status;
}

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
