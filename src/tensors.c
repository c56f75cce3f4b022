/* tensors.c — named arrays: the set type, element types, and conversion
 * to float32 from whatever the file stores. */
#include <math.h>
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
