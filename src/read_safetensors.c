/* safetensors.c — Hugging Face safetensors files:
 *   [8 bytes: header length N, little-endian u64][N bytes: JSON header][buffer]
 * The header maps each tensor name to {"dtype", "shape", "data_offsets":
 * [begin, end]} with offsets relative to the buffer. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "weights_internal.h"

/* Reads a JSON number that must be a whole number in [0, 2^53]. */
static bool whole_number(const cJSON *item, size_t *out)
{
    if (!cJSON_IsNumber(item))
        return false;
    double v = item->valuedouble;
    if (!(v >= 0 && v <= 9007199254740992.0) || floor(v) != v)
        return false;
    *out = (size_t)v;
    return true;
}

static bool parse_dtype(sa_dtype *dtype, const char *s)
{
    static const struct { const char *name; sa_dtype dtype; } known[] = {
        {"F32", SA_DTYPE_F32}, {"F64", SA_DTYPE_F64}, {"F16", SA_DTYPE_F16},
        {"BF16", SA_DTYPE_BF16}, {"BOOL", SA_DTYPE_BOOL},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(s, known[i].name) == 0) {
            *dtype = known[i].dtype;
            return true;
        }
    return false;
}

/* Fills t from the header entry item; the bytes are buffer[begin, end). */
static sa_status read_entry(sa_tensor *t, size_t *begin, size_t *end,
                            const cJSON *item, size_t buffer_len, sa_error *err)
{
    const char *name = item->string;
    const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(item, "dtype");
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(item, "shape");
    const cJSON *offsets = cJSON_GetObjectItemCaseSensitive(item, "data_offsets");

    if (!cJSON_IsObject(item) || !cJSON_IsString(dtype) || !cJSON_IsArray(shape) ||
        !cJSON_IsArray(offsets))
        return sa_fail(err, SA_ERR_DATA, 0, 0, "%s: a header entry needs "
                       "dtype, shape and data_offsets", name);
    if (!parse_dtype(&t->dtype, dtype->valuestring))
        return sa_fail(err, SA_ERR_DATA, 0, 0, "%s: unsupported dtype %.16s "
                       "(selfattn reads F32, F64, F16, BF16 and BOOL)", name,
                       dtype->valuestring);
    if (cJSON_GetArraySize(shape) > SA_MAX_DIMS)
        return sa_fail(err, SA_ERR_DATA, 0, 0, "%s: more than %d dimensions",
                       name, SA_MAX_DIMS);
    for (const cJSON *d = shape->child; d; d = d->next)
        if (!whole_number(d, &t->shape[t->ndim++]))
            return sa_fail(err, SA_ERR_DATA, 0, 0, "%s: the shape must hold "
                           "non-negative integers", name);
    if (cJSON_GetArraySize(offsets) != 2 || !cJSON_IsNumber(offsets->child) ||
        !cJSON_IsNumber(offsets->child->next))
        return sa_fail(err, SA_ERR_DATA, 0, 0, "%s: data_offsets must be "
                       "[begin, end] with begin <= end", name);
    for (const cJSON *o = offsets->child; o; o = o->next) {
        double v = o->valuedouble;
        if (v < 0 || floor(v) != v)
            return sa_fail(err, SA_ERR_DATA, 0, 0, "%s: data_offsets must be "
                           "non-negative whole numbers, not %g", name, v);
        if (v > (double)buffer_len)
            return sa_fail(err, SA_ERR_DATA, 0, 0, "%s: data_offsets end at %.17g, "
                           "past the %zu bytes of the buffer", name, v, buffer_len);
    }
    whole_number(offsets->child, begin);
    whole_number(offsets->child->next, end);
    if (*begin > *end)
        return sa_fail(err, SA_ERR_DATA, 0, 0, "%s: data_offsets must be "
                       "[begin, end] with begin <= end", name);
    if (*end > buffer_len)
        return sa_fail(err, SA_ERR_DATA, 0, 0, "%s: data_offsets end at %zu, "
                       "past the %zu bytes of the buffer", name, *end, buffer_len);
    size_t numel = sa_tensor_numel(t), size = sa_dtype_size(t->dtype);
    if (numel == SIZE_MAX || numel > SIZE_MAX / size)
        return sa_fail(err, SA_ERR_DATA, 0, 0, "%s: the shape has more "
                       "elements than memory can address", name);
    if (numel * size != *end - *begin)
        return sa_fail(err, SA_ERR_DATA, 0, 0, "%s: %zu bytes for %zu elements "
                       "of dtype %s", name, *end - *begin, numel,
                       dtype->valuestring);
    t->name = strdup(name);
    return t->name ? SA_OK : sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
}

/* Orders tensors by where their bytes begin (qsort: a header may list
 * hundreds of thousands). */
typedef struct {
    size_t begin, k;
} by_begin;

static int compare_begins(const void *a, const void *b)
{
    const by_begin *x = a, *y = b;
    return x->begin < y->begin ? -1 : x->begin > y->begin ? 1 :
           x->k < y->k ? -1 : x->k > y->k;
}

/* The header: a JSON object (no copy: sa_json_parse_plain needs no NUL). */
static sa_status parse_header(cJSON **root, const unsigned char *buf, size_t n,
                              sa_error *err)
{
    sa_status status = sa_json_parse_plain(root, (const char *)buf + 8, n, err);
    if (status == SA_ERR_DATA) {
        char why[sizeof err->message];
        snprintf(why, sizeof why, "%s", err->message);
        return sa_fail(err, status, 0, 0, "the safetensors header is not JSON: %s", why);
    }
    if (!status && !cJSON_IsObject(*root))
        return sa_fail(err, SA_ERR_DATA, 0, 0, "the safetensors header is "
                       "not a JSON object");
    return status;
}

/* The entry "selfattn.config" of __metadata__: a config as JSON weights
 * have it, as a string of JSON text, into *config. */
static sa_status read_metadata_config(sa_weights_config *config,
                                      const char *text, sa_error *err)
{
    cJSON *root = NULL;
    sa_status status = sa_json_parse_plain(&root, text, strlen(text), err);
    if (status == SA_ERR_DATA) {
        char why[sizeof err->message];
        snprintf(why, sizeof why, "%s", err->message);
        return sa_fail(err, status, 0, 0, "__metadata__ selfattn.config is "
                       "not JSON: %s", why);
    }
    if (!status && !cJSON_IsObject(root))
        status = sa_fail(err, SA_ERR_DATA, 0, 0, "__metadata__ selfattn.config "
                         "must be a JSON object");
    if (!status)
        status = sa_weights_config_parse(config, root, SA_FROM_CONFIG,
                                         "selfattn.config", err);
    cJSON_Delete(root);
    return status;
}

/* __metadata__: an object of strings, "selfattn.config" into *config. */
static sa_status check_metadata(sa_weights_config *config, const cJSON *item,
                                sa_error *err)
{
    if (!cJSON_IsObject(item))
        return sa_fail(err, SA_ERR_DATA, 0, 0, "__metadata__ must be an "
                       "object of strings");
    for (const cJSON *m = item->child; m; m = m->next)
        if (!cJSON_IsString(m))
            return sa_fail(err, SA_ERR_DATA, 0, 0, "__metadata__ must map "
                           "names to strings");
    const cJSON *own = cJSON_GetObjectItemCaseSensitive(item, "selfattn.config");
    return own ? read_metadata_config(config, own->valuestring, err) : SA_OK;
}

/* The tensors must tile the buffer: no gap, no overlap, nothing after. */
static sa_status check_tiling(const sa_tensor_set *set, const size_t *begins,
                              const size_t *ends, by_begin *order,
                              size_t buffer_len, sa_error *err)
{
    for (size_t i = 0; i < set->count; i++)
        order[i] = (by_begin){begins[i], i};
    qsort(order, set->count, sizeof *order, compare_begins);
    size_t at = 0;
    for (size_t i = 0; i < set->count; i++) {
        size_t k = order[i].k;
        if (begins[k] != at)
            return sa_fail(err, SA_ERR_DATA, 0, 0, "%s: data_offsets begin at "
                           "%zu but the previous tensor ends at %zu (tensors "
                           "must tile the buffer)", set->items[k].name,
                           begins[k], at);
        at = ends[k];
    }
    if (at != buffer_len)
        return sa_fail(err, SA_ERR_DATA, 0, 0, "the tensors cover %zu bytes "
                       "but the buffer has %zu", at, buffer_len);
    return SA_OK;
}

/* Every entry of the header into set, and where its bytes lie. */
static sa_status read_entries(sa_tensor_set *set, size_t *begins, size_t *ends,
                              const cJSON *root, const unsigned char *buffer,
                              size_t buffer_len, sa_error *err)
{
    sa_status status;
    for (const cJSON *item = root->child; item; item = item->next) {
        if (strcmp(item->string, "__metadata__") == 0) {
            if ((status = check_metadata(&set->config, item, err)))
                return status;
            continue;
        }
        size_t k = set->count++;
        if ((status = read_entry(&set->items[k], &begins[k], &ends[k], item,
                                 buffer_len, err)))
            return status;
        set->items[k].raw = buffer + begins[k];
    }
    return SA_OK;
}

sa_status sa_read_safetensors(sa_tensor_set *set, const unsigned char *buf,
                              size_t len, sa_error *err)
{
    cJSON *root = NULL;
    size_t *begins = NULL, *ends = NULL;
    by_begin *order = NULL;
    sa_status status;

    memset(set, 0, sizeof *set);
    if (len < 8)
        return sa_fail(err, SA_ERR_DATA, 0, 0, "not a safetensors file: "
                       "shorter than its 8-byte header length");
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = n << 8 | buf[i];
    if (n > len - 8)
        return sa_fail(err, SA_ERR_DATA, 0, 0, "not a safetensors file: the "
                       "header length %llu runs past the end of the file",
                       (unsigned long long)n);
    if (n > SA_SAFETENSORS_HEADER_MAX)
        return sa_fail(err, SA_ERR_DATA, 0, 0, "the safetensors header is %llu "
                       "bytes; at most %d are read", (unsigned long long)n,
                       SA_SAFETENSORS_HEADER_MAX);
    if ((status = parse_header(&root, buf, (size_t)n, err)))
        goto done;
    size_t count = (size_t)cJSON_GetArraySize(root), buffer_len = len - 8 - (size_t)n;
    set->items = calloc(count + 1, sizeof *set->items);
    begins = calloc(count + 1, sizeof *begins);
    ends = calloc(count + 1, sizeof *ends);
    order = calloc(count + 1, sizeof *order);
    if (!set->items || !begins || !ends || !order) {
        status = sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
        goto done;
    }
    const char *twin = NULL;
    if (!(status = read_entries(set, begins, ends, root, buf + 8 + n, buffer_len, err)) &&
        !(status = sa_tensor_set_twin(&twin, set, err)) && twin)
        status = sa_fail(err, SA_ERR_DATA, 0, 0, "%s appears twice in the "
                         "safetensors header", twin);
    if (!status)
        status = check_tiling(set, begins, ends, order, buffer_len, err);
done:
    if (status)
        sa_tensor_set_free(set);
    cJSON_Delete(root);
    free(begins);
    free(ends);
    free(order);
    return status;
}
