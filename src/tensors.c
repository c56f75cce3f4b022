/* tensors.c — named arrays: the set type, element types, and conversion
 * to float32 from whatever the file stores (integers only where float32
 * holds them exactly). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "floats.h"
#include "selfattn.h"

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

static int compare_names(const void *a, const void *b)
{
    const char *const *x = a, *const *y = b;
    return strcmp(*x, *y);
}

sa_status sa_tensor_set_twin(const char **twin, const sa_tensor_set *set,
                             sa_error *err)
{
    *twin = NULL;
    if (set->count < 2)
        return SA_OK;
    const char **names = malloc(set->count * sizeof *names);
    if (!names)
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
    for (size_t i = 0; i < set->count; i++)
        names[i] = set->items[i].name;
    qsort(names, set->count, sizeof *names, compare_names);
    for (size_t i = 1; i < set->count && !*twin; i++)
        if (strcmp(names[i - 1], names[i]) == 0)
            *twin = names[i];
    free(names);
    return SA_OK;
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
    case SA_DTYPE_F64: case SA_DTYPE_I64: case SA_DTYPE_U64: return 8;
    case SA_DTYPE_F32: case SA_DTYPE_I32: case SA_DTYPE_U32: return 4;
    case SA_DTYPE_F16: case SA_DTYPE_BF16: case SA_DTYPE_I16: case SA_DTYPE_U16:
        return 2;
    case SA_DTYPE_BOOL: case SA_DTYPE_I8: case SA_DTYPE_U8: return 1;
    }
    return 1;
}

const char *sa_dtype_name(sa_dtype dtype)
{
    static const char *const names[] = {"F32", "F64", "F16", "BF16", "BOOL",
                                        "I8", "I16", "I32", "I64",
                                        "U8", "U16", "U32", "U64"};
    return names[dtype];
}

static bool dtype_is_integer(sa_dtype dtype)
{
    return dtype >= SA_DTYPE_I8 && dtype <= SA_DTYPE_U64;
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
    case SA_DTYPE_I8: case SA_DTYPE_I16: case SA_DTYPE_I32: case SA_DTYPE_I64:
    case SA_DTYPE_U8: case SA_DTYPE_U16: case SA_DTYPE_U32: case SA_DTYPE_U64:
        break;  // integers are integer_element's, which checks them
    }
    return 0.0f;
}

/* Element i (in storage order) of t's raw bytes, of an integer dtype, into
 * *f when float32 holds it exactly (at most SA_INTEGER_EXACT_MAX in
 * magnitude): true; otherwise false, with its decimal text in text (at
 * least 24 bytes). */
static bool integer_element(float *f, char *text, const sa_tensor *t, size_t i)
{
    size_t size = sa_dtype_size(t->dtype);
    uint64_t u = 0;
    for (size_t k = 0; k < size; k++)  // to a little-endian value
        u |= (uint64_t)t->raw[i * size + (t->big_endian ? size - 1 - k : k)] << (8 * k);
    bool is_signed = t->dtype <= SA_DTYPE_I64;
    if (is_signed && size < 8 && (u >> (8 * size - 1)) & 1)
        u |= ~(uint64_t)0 << (8 * size);  // sign extension
    int64_t v = (int64_t)u;
    bool exact = is_signed ? v >= -SA_INTEGER_EXACT_MAX && v <= SA_INTEGER_EXACT_MAX
                           : u <= SA_INTEGER_EXACT_MAX;
    if (exact)
        *f = is_signed ? (float)v : (float)u;
    else if (is_signed)
        snprintf(text, 24, "%lld", (long long)v);
    else
        snprintf(text, 24, "%llu", (unsigned long long)u);
    return exact;
}

/* "[1, 0, 3]": the row-major index flat of t's shape, as NumPy writes it. */
static void format_index(char *buf, size_t size, const sa_tensor *t, size_t flat)
{
    size_t idx[SA_MAX_DIMS], used = 0;
    for (size_t k = t->ndim; k-- > 0;) {
        idx[k] = t->shape[k] ? flat % t->shape[k] : 0;
        flat = t->shape[k] ? flat / t->shape[k] : 0;
    }
    used += (size_t)snprintf(buf, size, "[");
    for (size_t k = 0; k < t->ndim && used < size; k++)
        used += (size_t)snprintf(buf + used, size - used, "%s%zu", k ? ", " : "", idx[k]);
    if (used < size)
        snprintf(buf + used, size - used, "]");
}

/* f (row-major) = t's n integers, each exact in float32; otherwise
 * SA_ERR_DATA naming the first that is not, in row-major order. */
static sa_status integers_to_floats(float *f, const sa_tensor *t, size_t n,
                                    sa_error *err)
{
    bool fortran = t->fortran_order && t->ndim >= 2;
    size_t idx[SA_MAX_DIMS] = {0}, bad = SIZE_MAX;
    char value[24], text[24];
    for (size_t i = 0; i < n; i++) {
        size_t flat = i;
        if (fortran) {  // storage index i: its first index varies fastest
            flat = 0;
            for (size_t k = 0; k < t->ndim; k++)
                flat = flat * t->shape[k] + idx[k];
            for (size_t k = 0; k < t->ndim && ++idx[k] == t->shape[k]; k++)
                idx[k] = 0;
        }
        if (!integer_element(&f[flat], text, t, i) && flat < bad) {
            bad = flat;
            memcpy(value, text, sizeof value);
            if (!fortran)
                break;  // row-major: the first found is the first
        }
    }
    if (bad == SIZE_MAX)
        return SA_OK;
    char index[SA_MAX_DIMS * 24];
    format_index(index, sizeof index, t, bad);
    return sa_fail(err, SA_ERR_DATA, 0, 0, "%s, element %s (counting from 0): "
                   "the integer %s has no exact float32; integers must be at "
                   "most 2^24 = %d in magnitude", t->name, index, value,
                   SA_INTEGER_EXACT_MAX);
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
    } else if (dtype_is_integer(t->dtype)) {
        sa_status status = integers_to_floats(f, t, n, err);
        if (status) {
            free(f);
            return status;
        }
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
